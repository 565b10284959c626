"""§9.1.1 dev and production side by side: a tenant judged by its own tier within a stack, and
a second stack (Pulumi.dev.yaml) on the same site that references the platform objects the prod
stack owns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.stacks import load_example, write_project

SHARED_TYPES = {
    "vsphere:index/computeCluster:ComputeCluster",
    "vsphere:index/contentLibrary:ContentLibrary",
    "vsphere:index/virtualMachineClass:VirtualMachineClass",
    "vsphere:index/zone:Zone",
}


def _plan(project: Path, out: Path, *stacks: str) -> int:
    args = ["plan", "--project-dir", str(project), "--out", str(out), "--quiet", "--format", "none"]
    for stack in stacks:
        args += ["--stack", stack]
    return main(args)


def _plan_json(out: Path, stack: str) -> dict[str, Any]:
    return json.loads((out / stack / "plan.json").read_text())


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``paif plan`` of the prod stack and the second (dev) stack of the same site."""
    out = tmp_path_factory.mktemp("dev-beside-prod") / "out"
    root = Path(__file__).resolve().parents[2]
    assert _plan(root, out, "prod", "dev") == 0
    return out


def test_the_second_stack_owns_none_of_the_shared_platform_objects(both: Path) -> None:
    dev, prod = _plan_json(both, "dev"), _plan_json(both, "prod")
    created = {r["type"] for r in dev["resources"] if not r.get("urn", "").endswith("-read")}
    assert not created & SHARED_TYPES, created & SHARED_TYPES
    assert {r["type"] for r in prod["resources"]} >= SHARED_TYPES
    ownership = {(o["kind"], o["name"]): o["mode"] for o in dev["outputs"]["ownership"]}
    assert ownership[("computeCluster", "gpu-wld-01")] == "reference"
    assert ownership[("contentLibrary", "gpu-wld-01-dlvm")] == "reference"
    assert ownership[("zone", "gpu-wld-01-zone")] == "reference"
    assert {k for k, _ in ownership} >= {"vmClasses"}
    # What it references is what the prod stack creates, by name.
    prod_names = {
        (r["type"], (r.get("inputs") or {}).get("name"))
        for r in prod["resources"]
        if r["type"] in SHARED_TYPES
    }
    assert ("vsphere:index/computeCluster:ComputeCluster", "gpu-wld-01") in prod_names
    assert ("vsphere:index/contentLibrary:ContentLibrary", "gpu-wld-01-dlvm") in prod_names


def test_the_second_stack_creates_its_own_tenants(both: Path) -> None:
    dev = _plan_json(both, "dev")
    types = {r["type"] for r in dev["resources"]}
    assert "vsphere:index/namespace:Namespace" in types
    assert "harbor:index/project:Project" in types
    names = {
        (r.get("inputs") or {}).get("name")
        for r in dev["resources"]
        if r["type"] == "vsphere:index/namespace:Namespace"
    }
    assert names == {"research-dev-ns"}
    assert dev["outputs"]["environment"] == "dev"


def _tenants_with_findings(config: dict[str, Any]) -> dict[str, Any]:
    """hr (prod, the stack's tier) and dev (its own tier: dev) with the same gaps: an endpoint
    of one replica and a database without a backup."""
    tenants = config["paif:tenants"]
    marketing = tenants[0]
    for tenant in tenants[1:]:
        tenant["modelEndpoints"] = [
            {
                "name": "chat",
                "type": "completions",
                "model": {
                    "ref": f"harbor.primary.example.com/{tenant['name']}/"
                    "llama-3.1-8b-instruct:1.0.0",
                    "parametersB": 8,
                },
                "gpusPerReplica": 1,
                "replicas": {"min": 1, "max": 1},
                "rateLimit": {"requestsPerMinute": 60},
            }
        ]
        tenant["databases"] = [{"name": "notes", "ha": True, "storage": "10Gi"}]
        tenant.pop("roles", None)  # each tier's default roles
    marketing["quota"]["gpu"] = 4
    return config


def test_each_tenant_is_judged_by_its_own_tier(tmp_path: Path) -> None:
    config = _tenants_with_findings(load_example("prod"))
    config["paif:workloadDomain"]["hosts"].append("esxi-gpu-06.primary.example.com")
    project = write_project(tmp_path / "p", {"prod": config})
    out = tmp_path / "out"
    code = _plan(project, out, "prod")
    findings = json.loads((out / "prod" / "policy.json").read_text())["findings"]

    def of(rule: str) -> set[tuple[str, str]]:
        return {
            (f["enforcement"], f["urn"].rsplit("::", 1)[-1])
            for f in findings
            if f["ruleId"] == rule or f["message"].startswith(f"[{rule}]")
        }

    # One replica: below prod's 2 for hr; dev needs 1 (§9.2.2 replica table).
    assert of("PAIF-HA-001") == {("mandatory", "seoul-primary-hr-chat-endpoint")}
    # No backup: blocks hr (prod), advises dev.
    assert of("PAIF-DR-008") == {
        ("mandatory", "seoul-primary-hr-notes-cluster"),
        ("advisory", "seoul-primary-dev-notes-cluster"),
    }
    assert code == 1
    plan = _plan_json(out, "prod")
    protect = {
        r["urn"].rsplit("::", 1)[-1]: r.get("protect")
        for r in plan["resources"]
        if r["type"].endswith("PostgresCluster")
    }
    assert protect["seoul-primary-hr-notes-cluster"] is True
    assert protect["seoul-primary-dev-notes-cluster"] is False
    # Roles by tier: scoped Roles for hr, Kubernetes' builtin ones for dev.
    role_refs = {
        r["urn"].rsplit("::", 1)[-1]: r["inputs"]["roleRef"]
        for r in plan["resources"]
        if r["type"] == "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
    }
    assert role_refs["seoul-primary-hr-namespace-admin"]["kind"] == "Role"
    assert role_refs["seoul-primary-dev-namespace-edit"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }


def test_the_example_dev_tenant_is_unprotected_and_labelled_dev(example_out: Path) -> None:
    plan = _plan_json(example_out, "prod")
    by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in plan["resources"]}
    assert by_name["seoul-primary-dev-namespace-namespace"].get("protect") is False
    assert by_name["seoul-primary-hr-namespace-namespace"].get("protect") is True
    # The example keeps the scoped Roles for dev (tenants[].roles: scoped, over the tier's
    # builtin default; test_each_tenant_is_judged_by_its_own_tier shows the default).
    edit = by_name["seoul-primary-dev-namespace-edit"]["inputs"]
    assert edit["roleRef"]["kind"] == "Role" and edit["roleRef"]["name"] == "dev-edit"
    labels = edit["metadata"]["labels"]
    assert labels["paif.vmware.com/environment"] == "dev"
    tenant = by_name["seoul-primary-dev"]
    assert tenant["inputs"]["environment"] == "dev"
