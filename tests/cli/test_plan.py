"""The offline plan of the example stacks: shape, manifests, determinism, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from paif_cli.main import main
from tests.support.stacks import ROOT, load_example

RESOURCE_KEYS = {"urn", "type", "name", "parent", "inputs", "protect", "dependsOn"}
VIOLATION_KEYS = {"ruleId", "severity", "enforcement", "urn", "message"}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "out"
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT), "--out", str(out)]
    )
    assert code == 0
    return out


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_plan_json_has_the_documented_shape(planned: Path, stack: str) -> None:
    plan = json.loads((planned / stack / "plan.json").read_text())
    assert plan["stack"] == stack
    assert plan["project"] == "paif"
    assert isinstance(plan["outputs"], dict) and plan["outputs"]["site"]
    assert isinstance(plan["estimates"], dict)
    assert isinstance(plan["policy"]["violations"], list)
    for violation in plan["policy"]["violations"]:
        assert set(violation) >= VIOLATION_KEYS
    urns = set()
    for resource in plan["resources"]:
        assert set(resource) >= RESOURCE_KEYS, resource
        assert resource["urn"].startswith(f"urn:pulumi:{stack}::paif::")
        assert resource["urn"].endswith("::" + resource["name"])
        assert isinstance(resource["protect"], bool)
        urns.add(resource["urn"])
    # Every parent is the stack or a resource of the plan: the tree is complete.
    stack_urn = f"urn:pulumi:{stack}::paif::pulumi:pulumi:Stack::paif-{stack}"
    for resource in plan["resources"]:
        assert resource["parent"] in urns | {stack_urn}
    assert len(urns) == len(plan["resources"])


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_manifests_are_yaml_with_integers(planned: Path, stack: str) -> None:
    files = sorted((planned / stack / "manifests").glob("*/*.yaml"))
    assert files, "a site declares Kubernetes objects"
    for path in files:
        document = yaml.safe_load(path.read_text())
        assert {"apiVersion", "kind", "metadata"} <= set(document), path.name
        # Nothing to apply holds a placeholder: Secrets are kept apart (secrets/<target>/).
        assert document["kind"] != "Secret" and "[secret]" not in path.read_text(), path.name
    quota = next(
        yaml.safe_load(p.read_text())
        for p in files
        if p.name.startswith("resourcequota-") and "marketing" in p.name
    )
    # §9.4.3: counts render as integers, not 10.0.
    assert quota["spec"]["hard"]["persistentvolumeclaims"] == 10
    assert quota["spec"]["hard"]["pods"] == 50


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_secrets_are_kept_apart_with_a_readme_saying_how_to_supply_them(
    planned: Path, stack: str
) -> None:
    secrets = planned / stack / "secrets"
    files = sorted(secrets.glob("supervisor/*.yaml"))
    assert len(files) == 3  # the tenants' pull secrets
    # The backend's credentials, copied from Supervisor Secrets to its VKS cluster (issue 23).
    site = {"prod": "seoul-primary", "dr": "busan-dr"}[stack]
    assert [p.name for p in secrets.glob("marketing-apps/*.yaml")] == [
        f"secret-{site}-marketing-marketing-apps-apps-backend-credentials.yaml"
    ]
    assert sorted(p.name for p in secrets.iterdir() if p.is_dir()) == [
        "marketing-apps",
        "supervisor",
    ]
    readme = (secrets / "README.md").read_text()
    assert "not to be applied as they are" in readme
    for path in files:
        document = yaml.safe_load(path.read_text())
        assert document["kind"] == "Secret"
        assert document["stringData"] == {".dockerconfigjson": "[secret]"}
        name, namespace = document["metadata"]["name"], document["metadata"]["namespace"]
        assert f"`secrets/supervisor/{path.name}`" in readme
        assert (
            f"kubectl --context supervisor -n {namespace} create secret docker-registry {name} "
            in readme
        )


def test_planning_twice_is_byte_identical(planned: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert (
        main(
            [
                "plan",
                "--stack",
                "prod",
                "--stack",
                "dr",
                "--project-dir",
                str(ROOT),
                "--out",
                str(again),
                "--quiet",
            ]
        )
        == 0
    )
    first = sorted(p.relative_to(planned) for p in planned.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    for relative in first:
        assert (planned / relative).read_bytes() == (again / relative).read_bytes(), relative


def test_dr_stack_without_its_peer_plan_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", "--stack", "dr", "--project-dir", str(ROOT), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Pulumi.dr.yaml: paif:dr.peer.stack: the peer stack 'prod' has no plan yet" in err
    assert not (tmp_path / "o").exists()


def test_dr_stack_reads_the_peer_plan_from_the_out_dir(planned: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "o"
    shutil.copytree(planned / "prod", out / "prod")
    assert (
        main(["plan", "--stack", "dr", "--project-dir", str(ROOT), "--out", str(out), "--quiet"])
        == 0
    )
    assert json.loads((out / "dr" / "plan.json").read_text())["stack"] == "dr"


def test_unknown_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--stack", "qa", "--project-dir", str(ROOT), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    expected = f"error: Pulumi.qa.yaml: no such stack file in {ROOT} (stacks here: dev, dr, prod)"
    assert expected + "\n" == err


def test_malformed_yaml(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"prod": load_example("prod")})
    (project / "Pulumi.prod.yaml").write_text("config:\n  paif:environment: [prod\n")
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "error: Pulumi.prod.yaml: not valid YAML at line" in err
    assert "Traceback" not in err


def test_summary_groups_by_component_and_states_the_dr_estimate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["plan", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path / "o")]
    assert main([*args, "--format", "none"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Stack prod (Pulumi.prod.yaml, environment prod, site seoul-primary, "
        "DR warm-standby/primary)\n"
    )
    for group in (
        "paif:infra:GpuWorkloadDomain seoul-primary-gpu: 7",
        "paif:tenancy:Tenant seoul-primary-marketing:",
        "paif:tenancy:Tenant seoul-primary-hr:",
        # Management DFW (2 groups, 1 policy) and the WAF entry (Avi pool, VIP, WAF, service).
        "paif:network:EdgeSecurity seoul-primary-edge: 7",
    ):
        assert f"\n  {group}" in out
    assert "1 ComputeCluster, 1 ContentLibrary, 4 VirtualMachineClass, 1 Zone" in out
    assert "DR warm-standby: RTO ≈ 44 min 27 s (tens of minutes)" in out
    assert "declared 1h/15m: met" in out


def test_summary_says_an_unbounded_rpo_does_not_meet_the_declared_one(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A database whose DR copy is declared ``none`` leaves the RPO unbounded (no figure): the
    summary says the declared objectives are not met, instead of comparing a missing number."""
    config = load_example("prod")
    config["paif:tenants"][0]["databases"][0]["dr"] = {"mechanism": "none"}
    project = make_project({"prod": config})
    args = ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    code = main([*args, "--format", "none"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code in (0, 1), captured.err
    assert "RPO ≈ unbounded" in captured.out
    assert "declared 1h/15m: NOT met" in captured.out


def test_the_example_waiver_states_what_the_quota_allows(planned: Path) -> None:
    """PAIF-CAP-002 names llama-chat's real ceiling, and the waiver's reason says the same."""
    plan = json.loads((planned / "prod" / "plan.json").read_text())
    [finding] = [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-CAP-002"]
    assert finding["waived"] is True
    assert finding["message"].endswith(
        "with the others at their minimum, llama-chat reaches at most 2 of its max 10 replicas"
    )
    assert "caps llama-chat at 2 of its 10 replicas" in finding["waiverReason"]
    assert "4 GPUs until" not in finding["waiverReason"]
