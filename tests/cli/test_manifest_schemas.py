"""Every Kubernetes object of both example plans against public schemas nobody here wrote.

Custom resources with a public CRD (Cluster API, nsx-operator, KEDA, NVIDIA NIM, VM Operator,
prometheus-operator) are validated against it, DSM's kinds against the schema written from
DSM's published API (schemas/dsm/); core kinds with kubernetes-validate. PAIS publishes no
schema, so its objects are listed explicitly rather than skipped silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.schema_validation import validate_core_object, validate_crd_object

CRD_GROUPS = {
    "cluster.x-k8s.io",
    "monitoring.coreos.com",
    "crd.nsx.vmware.com",
    "keda.sh",
    "apps.nvidia.com",
    "vmoperator.vmware.com",
    # Written by this project from DSM's and PAIS's published Kubernetes APIs (SOURCES.md).
    "databases.dataservices.vmware.com",
    "pais.vmware.com",
}
# Every group the plans render has a schema (upstream, or written from a published API).
NO_PUBLIC_SCHEMA: set[str] = set()
CORE_GROUPS = {
    "",
    "apps",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
}


@pytest.fixture(scope="module")
def manifests(example_out: Path) -> list[tuple[str, dict[str, Any]]]:
    found = []
    # What is applied, and the Secrets kept apart from it (their keys must still make a Secret).
    paths = [*example_out.glob("*/manifests/*/*.yaml"), *example_out.glob("*/secrets/*/*.yaml")]
    for path in sorted(paths):
        name = path.relative_to(example_out).as_posix()
        found.append((name, yaml.safe_load(path.read_text())))
    return found


def _group(obj: dict[str, Any]) -> str:
    api_version = obj["apiVersion"]
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def test_every_object_has_a_known_schema_source(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    groups = {_group(obj) for _, obj in manifests}
    assert groups <= CRD_GROUPS | NO_PUBLIC_SCHEMA | CORE_GROUPS, groups
    # The plan really contains what the CRD checks are about.
    kinds = {obj["kind"] for _, obj in manifests}
    assert {"Cluster", "SecurityPolicy", "ScaledObject", "ResourceQuota", "NetworkPolicy"} <= kinds
    # §9.7 monitoring objects, checked against prometheus-operator's CRDs.
    monitoring = {"PodMonitor", "ServiceMonitor", "PrometheusRule", "Probe", "AlertmanagerConfig"}
    assert monitoring <= kinds


def test_custom_resources_validate_against_public_crds(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    checked = 0
    for name, obj in manifests:
        if _group(obj) in CRD_GROUPS:
            try:
                validate_crd_object(obj)
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from None
            checked += 1
    assert checked >= 8


def test_core_objects_validate_with_kubernetes_validate(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    checked = 0
    secrets = 0
    for name, obj in manifests:
        if _group(obj) in CORE_GROUPS:
            if obj["kind"] == "Secret":
                # Masked, but still a Secret: every key kept, every value the placeholder.
                payload = {**obj.get("data", {}), **obj.get("stringData", {})}
                assert payload and set(payload.values()) == {"[secret]"}, name
                secrets += 1
            try:
                validate_core_object(obj)
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from None
            checked += 1
    assert checked >= 50
    # One image pull Secret per tenant at each site and the wired backend's credentials
    # Secret at each, validated whole.
    assert secrets == 8


def test_a_secret_masked_as_a_whole_would_not_validate() -> None:
    """What the plan wrote before it kept Secret keys: strict validation refuses it."""
    whole = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "pull", "namespace": "marketing-ns"},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": "[secret]",
    }
    with pytest.raises(AssertionError, match="stringData"):
        validate_core_object(whole)


def test_no_object_is_left_without_a_schema(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    """PAIS's ModelEndpoint was the last; it is now held to schemas/pais/ (written from the
    published API), so every rendered kind is checked."""
    kinds = sorted({obj["kind"] for _, obj in manifests if _group(obj) in NO_PUBLIC_SCHEMA})
    assert kinds == []
    pais = sorted({obj["kind"] for _, obj in manifests if _group(obj) == "pais.vmware.com"})
    assert pais == ["ModelEndpoint", "PAISConfiguration"]


def test_manifest_files_are_one_object_each(example_out: Path) -> None:
    files = [*example_out.glob("*/manifests/*/*.yaml"), *example_out.glob("*/secrets/*/*.yaml")]
    assert len(files) > 100
    for path in files:
        documents = list(yaml.safe_load_all(path.read_text()))
        assert len(documents) == 1, path.name


@pytest.mark.parametrize(("stack", "site"), [("prod", "seoul-primary"), ("dr", "busan-dr")])
def test_one_folder_per_kubernetes_api_each_object_annotated_with_it(
    example_out: Path, stack: str, site: str
) -> None:
    """supervisor/ for the Supervisor, one folder per VKS cluster; the annotation says which,
    and it is the API the object is really registered through (its provider)."""
    folders = sorted(p.name for p in (example_out / stack / "manifests").iterdir())
    assert folders == ["marketing-apps", "supervisor"]
    plan = json.loads((example_out / stack / "plan.json").read_text())
    providers = {
        r["urn"]: r["name"] for r in plan["resources"] if r["type"] == "pulumi:providers:kubernetes"
    }
    for folder in folders:
        for path in (example_out / stack / "manifests" / folder).glob("*.yaml"):
            obj = yaml.safe_load(path.read_text())
            assert obj["metadata"]["annotations"]["paif.vmware.com/target"] == folder, path
    # Through which provider each target's objects go.
    expected = {
        "supervisor": f"{site}-supervisor",
        "marketing-apps": f"{site}-marketing-marketing-apps-provider",
    }
    seen: dict[str, set[str]] = {}
    for record in plan["resources"]:
        inputs = record["inputs"]
        if not record["type"].startswith("kubernetes:") or "kind" not in inputs:
            continue
        target = inputs["metadata"]["annotations"]["paif.vmware.com/target"]
        seen.setdefault(target, set()).add(providers[record["provider"].rsplit("::", 1)[0]])
    assert seen == {target: {name} for target, name in expected.items()}


def test_dsm_objects_validate_against_the_schema_written_from_dsms_api(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    """Both example stacks' PostgresClusters and DatabaseConfigs, strictly: no field DSM's
    published API does not have (schemas/SOURCES.md, "DSM kinds")."""
    dsm = [(n, o) for n, o in manifests if _group(o) == "databases.dataservices.vmware.com"]
    kinds = sorted({o["kind"] for _, o in dsm})
    assert kinds == ["DatabaseConfig", "PostgresCluster"]
    for name, obj in dsm:
        try:
            validate_crd_object(obj)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    # Primary writers and DR copies alike (prod 2 + dr 2 clusters, one DatabaseConfig each).
    assert len(dsm) == 8


def test_the_dsm_schema_refuses_a_field_dsm_does_not_have(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    [(_, cluster), *_] = [(n, o) for n, o in manifests if o["kind"] == "PostgresCluster"]
    invented = {**cluster, "spec": {**cluster["spec"], "drReplication": "async"}}
    with pytest.raises(AssertionError, match=r"spec: Additional properties.*drReplication"):
        validate_crd_object(invented)
    wrong = {**cluster, "spec": {**cluster["spec"], "backupConfig": {"schedules": [{}]}}}
    with pytest.raises(AssertionError, match="schedules"):
        validate_crd_object(wrong)
