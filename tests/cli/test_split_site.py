"""A split site (``paif:layout``): the example's prod/DR pair as a platform stack and two
tenant-group stacks each, planned and gated by ``paif plan`` as one site (issue 27)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.stacks import ROOT, load_example, write_project

GROUPS = {"a": ["marketing"], "b": ["hr", "dev"]}
# What every stack of a site declares alike: its site component and providers (a DR stack: the
# reference to the primary's platform stack).
SHARED_TYPES = {
    "paif:site:PaifSite",
    "pulumi:providers:harbor",
    "pulumi:providers:kubernetes",
    "pulumi:providers:vsphere",
    "pulumi:pulumi:StackReference",
}


def split_stacks(
    prod_groups: dict[str, list[str]] | None = None,
    dr_groups: dict[str, list[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The example pair with ``paif:layout`` (groups named ``<site>-tenants-<key>``) and the
    group stacks' files."""
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    stacks: dict[str, dict[str, Any]] = {"prod": prod, "dr": dr}
    for site, values, groups in (("prod", prod, prod_groups), ("dr", dr, dr_groups)):
        groups = GROUPS if groups is None else groups
        values["paif:layout"] = {
            "tenantStacks": {f"{site}-tenants-{key}": tenants for key, tenants in groups.items()}
        }
        # A group's own config: its providers' and secrets (dsm:replicationPassword).
        own = {k: v for k, v in values.items() if not k.startswith("paif:")}
        for key in groups:
            stacks[f"{site}-tenants-{key}"] = {**own, "paif:layout": {"site": site}}
    return stacks


TENANT = "paif:tenancy:Tenant"
SPLIT = ["prod", "prod-tenants-a", "prod-tenants-b", "dr", "dr-tenants-a", "dr-tenants-b"]


def plan(project: Path, stacks: list[str], out: Path) -> int:
    args = ["plan", "--project-dir", str(project), "--out", str(out), "--quiet", "--jobs", "1"]
    for stack in stacks:
        args += ["--stack", stack]
    return main(args)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the whole pair's out folder, the split pair's)."""
    base = tmp_path_factory.mktemp("split")
    whole = base / "whole"
    assert plan(ROOT, ["prod", "dr"], whole) == 0
    project = write_project(base / "project", split_stacks())
    split = base / "split"
    assert plan(project, SPLIT, split) == 0
    return whole, split


def resources(out: Path, stack: str, as_stack: str) -> list[dict[str, Any]]:
    """A plan's resources, their URNs as if stack ``as_stack`` declared them."""
    records = json.loads((out / stack / "plan.json").read_text())["resources"]
    prefix, target = f"urn:pulumi:{stack}::", f"urn:pulumi:{as_stack}::"
    return [{**r, "urn": r["urn"].replace(prefix, target)} for r in records]


def violations(out: Path, stack: str, as_stack: str) -> list[tuple[str, str]]:
    found = json.loads((out / stack / "plan.json").read_text())["policy"]["violations"]
    prefix, target = f"urn:pulumi:{stack}::", f"urn:pulumi:{as_stack}::"
    return sorted((v["ruleId"], v["urn"].replace(prefix, target)) for v in found)


@pytest.mark.parametrize("site", ["prod", "dr"])
def test_the_split_stacks_declare_the_whole_site_once(
    planned: tuple[Path, Path], site: str
) -> None:
    whole_out, split_out = planned
    whole = {r["urn"] for r in resources(whole_out, site, site)}
    counts: Counter[str] = Counter()
    for stack in (site, f"{site}-tenants-a", f"{site}-tenants-b"):
        counts.update(r["urn"] for r in resources(split_out, stack, site))
    # Every resource of the whole site, and nothing else but a DR group's reference to the
    # primary's group that builds its tenants.
    extra = set(counts) - whole
    assert whole <= set(counts)
    assert extra == (
        {
            "urn:pulumi:dr::paif::pulumi:pulumi:StackReference::prod-tenants-a",
            "urn:pulumi:dr::paif::pulumi:pulumi:StackReference::prod-tenants-b",
        }
        if site == "dr"
        else set()
    )
    # Declared by more than one stack: only the site component, its providers, the reference.
    twice = {urn.split("::")[-2].split("$")[-1] for urn, n in counts.items() if n > 1}
    assert twice <= SHARED_TYPES


def test_the_platform_stack_builds_the_site_and_the_groups_their_tenants(
    planned: tuple[Path, Path],
) -> None:
    _, split_out = planned

    def components(stack: str) -> set[str]:
        types = {r["urn"].split("::")[-2] for r in resources(split_out, stack, stack)}
        return {t.split("$")[1] for t in types if t.count("$") >= 1}

    assert components("prod") == {
        "paif:infra:GpuWorkloadDomain",
        "paif:network:EdgeSecurity",
        "paif:ops:SiteMonitoring",
        "paif:registry:HarborReplication",
        "paif:registry:HarborReplicationReceiver",
    }
    assert components("prod-tenants-a") == components("prod-tenants-b") == {"paif:tenancy:Tenant"}
    tenants = {
        stack: sorted(r["name"] for r in resources(split_out, stack, stack) if r["type"] == TENANT)
        for stack in ("prod-tenants-a", "prod-tenants-b", "dr-tenants-a", "dr-tenants-b")
    }
    assert tenants == {
        "prod-tenants-a": ["seoul-primary-marketing"],
        "prod-tenants-b": ["seoul-primary-dev", "seoul-primary-hr"],
        "dr-tenants-a": ["busan-dr-marketing"],
        "dr-tenants-b": ["busan-dr-dev", "busan-dr-hr"],
    }


def test_a_tenant_group_looks_the_platform_library_up_instead_of_declaring_it(
    planned: tuple[Path, Path],
) -> None:
    _, split_out = planned
    group = {r["name"]: r for r in resources(split_out, "prod-tenants-b", "prod")}
    namespace = group["seoul-primary-hr-namespace-namespace"]
    libraries = namespace["inputs"]["vmServices"][0]["contentLibraries"]
    assert libraries and libraries != ["seoul-primary-gpu-dlvm-library-id"]
    assert namespace["dependsOn"] == []  # nothing of the platform's is declared here
    assert not any(r["type"].startswith("vsphere:index/contentLibrary") for r in group.values())


@pytest.mark.parametrize("site", ["prod", "dr"])
def test_the_split_site_is_gated_as_one_stack(planned: tuple[Path, Path], site: str) -> None:
    """The same findings as the whole site's, each reported by the stack declaring it."""
    whole_out, split_out = planned
    split = sorted(
        v
        for stack in (site, f"{site}-tenants-a", f"{site}-tenants-b")
        for v in violations(split_out, stack, site)
    )
    assert split == violations(whole_out, site, site)
    if site == "prod":
        assert {r for r, _ in violations(split_out, "prod-tenants-a", "prod")} == {
            "PAIF-HA-008",
            "PAIF-CAP-002",
        }


def test_a_dr_group_reads_the_primary_group_of_its_tenants(planned: tuple[Path, Path]) -> None:
    _, split_out = planned
    references = {
        stack: sorted(
            r["name"]
            for r in resources(split_out, stack, stack)
            if r["type"] == "pulumi:pulumi:StackReference"
        )
        for stack in ("dr", "dr-tenants-a", "dr-tenants-b")
    }
    assert references == {
        "dr": ["prod"],
        "dr-tenants-a": ["prod", "prod-tenants-a"],
        "dr-tenants-b": ["prod", "prod-tenants-b"],
    }


def test_planning_part_of_a_split_site_says_it_was_gated_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "p", split_stacks())
    assert plan(project, ["prod", "prod-tenants-a"], tmp_path / "o") == 0
    err = capsys.readouterr().err
    assert (
        "note: prod is the platform stack of a split site whose stack(s) prod-tenants-b this run "
        "did not plan: each stack was gated alone, not the site as one (plan them together: "
        "--stack prod --stack prod-tenants-b)"
    ) in err


def _error(tmp_path: Path, capsys: pytest.CaptureFixture[str], stacks: dict[str, Any]) -> str:
    project = write_project(tmp_path / "p", stacks)
    code = plan(project, [s for s in SPLIT if s in stacks], tmp_path / "o")
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing half-written
    return err


def test_a_group_naming_an_unknown_tenant_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = split_stacks({"a": ["marketing", "finance"], "b": ["hr", "dev"]})
    del stacks["dr"], stacks["dr-tenants-a"], stacks["dr-tenants-b"]
    err = _error(tmp_path, capsys, stacks)
    assert (
        "Pulumi.prod.yaml: paif:layout.tenantStacks.prod-tenants-a: names tenant 'finance', "
        "which paif:tenants does not declare"
    ) in err


def test_a_tenant_in_two_groups_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = split_stacks({"a": ["marketing", "hr"], "b": ["hr", "dev"]})
    del stacks["dr"], stacks["dr-tenants-a"], stacks["dr-tenants-b"]
    err = _error(tmp_path, capsys, stacks)
    assert (
        "Pulumi.prod.yaml: paif:layout.tenantStacks.prod-tenants-b: tenant 'hr' is already "
        "built by stack 'prod-tenants-a'"
    ) in err


def test_a_dr_site_split_unlike_its_primary_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(tmp_path, capsys, split_stacks(dr_groups={"a": ["marketing", "hr"], "b": ["dev"]}))
    assert "Pulumi.dr.yaml: paif:layout.tenantStacks: a DR site splits as its primary" in err
    assert "(prod-tenants-a: marketing; prod-tenants-b: hr, dev)" in err


def test_a_group_stack_with_its_own_site_config_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = split_stacks()
    stacks["prod-tenants-a"]["paif:environment"] = "prod"
    err = _error(tmp_path, capsys, stacks)
    assert (
        "Pulumi.prod-tenants-a.yaml: paif:environment: a tenant-group stack takes the site's "
        "config from its platform stack's file (Pulumi.prod.yaml): move it there"
    ) in err


def test_a_group_stack_its_site_does_not_list_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = split_stacks()
    stacks["prod-tenants-c"] = {"paif:layout": {"site": "prod"}}
    project = write_project(tmp_path / "p", stacks)
    code = plan(project, ["prod", "prod-tenants-c"], tmp_path / "o")
    err = capsys.readouterr().err
    assert code == 2, err
    assert (
        "Pulumi.prod.yaml: paif:layout.tenantStacks: does not list stack 'prod-tenants-c', "
        "whose file names this site (paif:layout.site)"
    ) in err


def test_a_group_stack_naming_a_missing_site_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "p", {"prod-tenants-a": {"paif:layout": {"site": "qa"}}})
    code = plan(project, ["prod-tenants-a"], tmp_path / "o")
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Pulumi.prod-tenants-a.yaml: paif:layout.site: names stack 'qa', which has no " in err


def test_a_group_without_its_replication_password_names_its_own_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The secret config is each stack's own: the error names the group's file, not the
    platform's, and the command to set it there."""
    stacks = split_stacks()
    del stacks["prod-tenants-a"]["dsm:replicationPassword"]
    project = write_project(tmp_path / "p", stacks)
    code = plan(project, ["prod", "prod-tenants-a", "prod-tenants-b"], tmp_path / "o")
    err = capsys.readouterr().err
    assert code == 2, err
    assert "error: Pulumi.prod-tenants-a.yaml: dsm:replicationPassword: is not set" in err
    assert "--stack prod-tenants-a" in err
