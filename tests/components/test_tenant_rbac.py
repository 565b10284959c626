"""View means view: the scoped roles read every kind the plan renders into a tenant namespace."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from paif_components.context import SUPERVISOR_TARGET, TARGET_ANNOTATION
from paif_components.tenant_rbac import NOT_READABLE, READ_VERBS, READABLE, scoped_role_rules
from tests.support.policy import plan
from tests.support.stacks import load_example

# Kubernetes' plural of a kind (the API server's discovery agrees for every kind here; the
# engine tier reads the real plurals back from one).
_IRREGULAR = {"Endpoints": "endpoints"}


def plural(kind: str) -> str:
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    if re.search(r"(s|x|ch|sh)$", lower):
        return lower + "es"
    return lower + "s"


def test_plural_follows_kubernetes() -> None:
    assert [plural(k) for k in ("NetworkPolicy", "Ingress", "ConfigMap", "Endpoints")] == [
        "networkpolicies",
        "ingresses",
        "configmaps",
        "endpoints",
    ]


def tenant_kinds(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(API group, resource) of every object the plan puts in a tenant's Supervisor namespace."""
    namespaces = {
        r["inputs"]["name"] for r in records if r["type"] == "vsphere:index/namespace:Namespace"
    }
    found = set()
    for record in records:
        inputs = record.get("inputs") or {}
        metadata = inputs.get("metadata") or {}
        target = (metadata.get("annotations") or {}).get(TARGET_ANNOTATION, SUPERVISOR_TARGET)
        if not record["type"].startswith("kubernetes:") or target != SUPERVISOR_TARGET:
            continue
        if metadata.get("namespace") in namespaces:
            api = str(inputs["apiVersion"])
            group = api.rsplit("/", 1)[0] if "/" in api else ""
            found.add((group, plural(str(inputs["kind"]))))
    return found


@pytest.fixture(scope="module")
def nim_plan(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The prod example with marketing's endpoints served by NIM (another kind in the namespace)."""
    config = copy.deepcopy(load_example("prod"))
    for endpoint in config["paif:tenants"][0]["modelEndpoints"]:
        endpoint["backend"] = "nim"
    stack_plan = plan(tmp_path_factory.mktemp("nim"), config)
    return [r.to_json() for r in stack_plan.result.resources]


def test_view_reads_every_kind_the_plan_renders_into_a_tenant_namespace(
    example_out: Path, nim_plan: list[dict[str, Any]]
) -> None:
    rendered: set[tuple[str, str]] = set(tenant_kinds(nim_plan))
    for stack in ("prod", "dr"):
        planned = json.loads((example_out / stack / "plan.json").read_text())
        rendered |= tenant_kinds(planned["resources"])
    # The derivation sees what the issue named: DSM's DatabaseConfig, NIM, the RBAC objects.
    assert {
        ("databases.dataservices.vmware.com", "databaseconfigs"),
        ("apps.nvidia.com", "nimservices"),
        ("rbac.authorization.k8s.io", "roles"),
        ("", "secrets"),
    } <= rendered
    readable = {(group, r) for group, resources in READABLE.items() for r in resources}
    assert sorted(rendered - readable - set(NOT_READABLE)) == []
    assert set(NOT_READABLE) <= rendered, "an exception for a kind nothing renders is stale"
    view = {
        (group, resource)
        for rule in scoped_role_rules("view")
        if set(rule["verbs"]) == set(READ_VERBS)
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert rendered - set(NOT_READABLE) <= view
    assert not view & set(NOT_READABLE)
