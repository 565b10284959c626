"""paif:ownership: each platform object VCF may already own is created, adopted (imported) or
referenced, per kind with a site-wide default; the offline plan marks what is not created."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.stack import run_in_stack

from paif_cli.main import main
from paif_cli.mock_runtime import PlanMocks, mock_runtime
from paif_cli.offline.harbor import project_id
from paif_cli.offline.vsphere import library_id
from paif_components.program import run
from tests.support.stacks import load_example, write_project

CLUSTER = "vsphere:index/computeCluster:ComputeCluster"
LIBRARY = "vsphere:index/contentLibrary:ContentLibrary"
VM_CLASS = "vsphere:index/virtualMachineClass:VirtualMachineClass"
ZONE = "vsphere:index/zone:Zone"
NAMESPACE = "vsphere:index/namespace:Namespace"
PROJECT = "harbor:index/project:Project"
PLATFORM = (CLUSTER, LIBRARY, VM_CLASS, ZONE, NAMESPACE, PROJECT)


def _config(ownership: dict[str, Any] | None, environment: str = "prod") -> dict[str, Any]:
    config = copy.deepcopy(load_example("prod"))
    config["paif:environment"] = environment
    if ownership is not None:
        config["paif:ownership"] = ownership
    return config


def _plan(tmp_path: Path, config: dict[str, Any]) -> tuple[int, Path, dict[str, Any]]:
    project = write_project(tmp_path / "project", {"prod": config})
    out = tmp_path / "out"
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out), "--quiet",
         "--format", "none"]
    )  # fmt: skip
    return code, out, json.loads((out / "prod" / "plan.json").read_text())


def _platform(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in PLATFORM}
    for record in plan["resources"]:
        if record["type"] in out:
            out[record["type"]].append(record)
    return out


def test_created_by_default_nothing_imported_nothing_marked(tmp_path: Path) -> None:
    code, out, plan = _plan(tmp_path, _config(None))
    assert code == 0
    platform = _platform(plan)
    assert {t: len(r) for t, r in platform.items()} == {
        CLUSTER: 1, LIBRARY: 1, VM_CLASS: 4, ZONE: 1, NAMESPACE: 3, PROJECT: 3,
    }  # fmt: skip
    assert not any("importId" in r for r in plan["resources"])
    assert "ownership" not in plan["outputs"]
    assert "Adopted and referenced objects" not in (out / "policy-summary.md").read_text()


def test_adopt_imports_the_importable_and_references_the_rest(tmp_path: Path) -> None:
    code, out, plan = _plan(tmp_path, _config({"default": "adopt"}))
    assert code == 0, "adopting changes nothing the policies hold the stack to"
    platform = _platform(plan)
    [cluster], [library] = platform[CLUSTER], platform[LIBRARY]
    # Imported by the id the provider's importer takes: the cluster's inventory path, the
    # library's id as get_content_library finds it by name, a project's /projects/<id>.
    assert cluster["importId"] == "/dc-primary/host/gpu-wld-01"
    assert library["importId"] == library_id("gpu-wld-01-dlvm")
    assert sorted(p["importId"] for p in platform[PROJECT]) == sorted(
        f"/projects/{project_id(name)}" for name in ("marketing", "hr", "dev")
    )
    for record in (cluster, library, *platform[PROJECT]):
        assert record["retainOnDelete"] is True, record["name"]
        # Protected in production: the example's dev tenant is judged by its own tier (§9.1.1).
        dev = record["name"] == "seoul-primary-dev-harbor-project"
        assert record["protect"] is not dev, record["name"]
    # The provider cannot import VM classes, zones or namespaces: referenced, not declared.
    assert platform[VM_CLASS] == platform[ZONE] == platform[NAMESPACE] == []
    # What still hangs off them is the stack's: the tenant's quota in its namespace, the zone's
    # VKS placement, the classes the node pools use.
    kinds = {r["type"] for r in plan["resources"]}
    assert "kubernetes:core/v1:ResourceQuota" in kinds
    modes = {(o["kind"], o["name"]): o for o in plan["outputs"]["ownership"]}
    assert modes[("computeCluster", "gpu-wld-01")] == {
        "kind": "computeCluster",
        "name": "gpu-wld-01",
        "mode": "adopt",
        "importId": "/dc-primary/host/gpu-wld-01",
    }
    assert modes[("zone", "gpu-wld-01-zone")] == {
        "kind": "zone",
        "name": "gpu-wld-01-zone",
        "mode": "reference",
        "requested": "adopt",
        "why": "vsphere.Zone has no importer in pulumi-vsphere 4.18.2",
    }
    assert {k for k, _ in modes} == {
        "computeCluster", "contentLibrary", "vmClasses", "zone", "namespaces", "harborProjects"
    }  # fmt: skip
    summary = (out / "policy-summary.md").read_text()
    assert "## Adopted and referenced objects" in summary
    assert (
        "| `prod` | computeCluster | `gpu-wld-01` | adopted (imported) | "
        "/dc-primary/host/gpu-wld-01 |" in summary
    )
    assert (
        "| `prod` | namespaces | `marketing-ns` | referenced (not managed) | asked to adopt: "
        "vsphere.Namespace has no importer in pulumi-vsphere 4.18.2 |" in summary
    )
    svg = (out / "topology.svg").read_text()
    assert "gpu-wld-01 (5 hosts) · adopted" in svg
    assert "projects dev (adopted), hr (adopted), marketing (adopted)" in svg


def test_per_kind_switches_beat_the_default_and_staging_adopts_unprotected(
    tmp_path: Path,
) -> None:
    ownership = {"default": "adopt", "harborProjects": "create", "vmClasses": "create"}
    code, _, plan = _plan(tmp_path, _config(ownership, environment="staging"))
    assert code == 0
    platform = _platform(plan)
    [cluster] = platform[CLUSTER]
    assert (cluster["protect"], cluster["retainOnDelete"]) == (False, True)
    assert len(platform[VM_CLASS]) == 4 and not any("importId" in r for r in platform[VM_CLASS])
    assert len(platform[PROJECT]) == 3 and not any("importId" in r for r in platform[PROJECT])


def test_pinned_import_ids_are_used_as_written(tmp_path: Path) -> None:
    ownership = {
        "computeCluster": "adopt",
        "contentLibrary": "adopt",
        "importIds": {
            "computeCluster": {"gpu-wld-01": "/dc-primary/host/Cluster-GPU"},
            "contentLibrary": {"gpu-wld-01-dlvm": "0e3f6a4c-1b2d-4c5e-8f90-123456789abc"},
        },
    }
    code, _, plan = _plan(tmp_path, _config(ownership))
    assert code == 0
    platform = _platform(plan)
    assert platform[CLUSTER][0]["importId"] == "/dc-primary/host/Cluster-GPU"
    assert platform[LIBRARY][0]["importId"] == "0e3f6a4c-1b2d-4c5e-8f90-123456789abc"
    assert len(platform[ZONE]) == 1 and "importId" not in platform[ZONE][0]


def test_reference_uses_the_objects_found_by_name_and_declares_none(tmp_path: Path) -> None:
    ownership = {"computeCluster": "reference", "contentLibrary": "reference", "zone": "reference"}
    code, out, plan = _plan(tmp_path, _config(ownership))
    assert code == 0
    platform = _platform(plan)
    assert platform[CLUSTER] == platform[LIBRARY] == platform[ZONE] == []
    # The tenants' namespaces get the library found by name.
    libraries = {
        tuple(r["inputs"]["vmServices"][0]["contentLibraries"]) for r in platform[NAMESPACE]
    }
    assert libraries == {(library_id("gpu-wld-01-dlvm"),)}
    assert "gpu-wld-01 · referenced" in (out / "topology.svg").read_text()


@pytest.mark.parametrize(
    ("ownership", "path", "message"),
    [
        ({"default": "own"}, "paif:ownership.default", "Input should be 'create', 'adopt' or"),
        (
            {"clusters": "adopt"},
            "paif:ownership.clusters",
            "unknown key (did you mean computeCluster?)",
        ),
        (
            {"zone": "adopt", "importIds": {"zone": {"z": "zone-1"}}},
            "paif:ownership.importIds.zone",
            "the provider cannot import zone (vsphere.Zone has no importer",
        ),
        (
            {"importIds": {"contentLibrary": {"gpu-wld-01-dlvm": "x"}}},
            "paif:ownership.importIds.contentLibrary",
            "contentLibrary is set to 'create': import ids are for adopted objects only",
        ),
    ],
)
def test_bad_ownership_names_the_path(
    ownership: dict[str, Any],
    path: str,
    message: str,
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = make_project({"prod": _config(ownership)})
    out = str(project / "out")
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out", out])
    err = capsys.readouterr().err
    assert code == 2
    line = next(x for x in err.splitlines() if f"Pulumi.prod.yaml: {path}" in x)
    assert message in line, err


def test_adopting_what_does_not_exist_stops_before_anything(tmp_path: Path) -> None:
    config = _config({"contentLibrary": "adopt"})
    project = write_project(tmp_path / "project", {"prod": config})

    def missing(args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        # How a provider refuses an invoke: a check failure on the property.
        return {}, [("name", f"no content library named {args.args['name']!r}")]

    mocks = PlanMocks(invokes={"vsphere:index/getContentLibrary:getContentLibrary": missing})
    with mock_runtime(mocks, project="paif", stack="prod", config=config) as (monitor, loop):
        with pytest.raises(pulumi.RunError) as info:
            loop.run_until_complete(run_in_stack(lambda: run(project)))
        records = list(monitor.records)
    assert str(info.value) == (
        "Pulumi.prod.yaml: contentLibrary 'gpu-wld-01-dlvm': ownership.contentLibrary: is set to "
        "adopt, but vCenter has no such object to import (invoke of "
        "vsphere:index/getContentLibrary:getContentLibrary failed: no content library named "
        "'gpu-wld-01-dlvm' (name)); set it to 'create', or fix the name"
    )
    assert all(r.type.startswith("pulumi:providers:") for r in records if r.custom)
