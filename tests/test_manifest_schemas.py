"""Every Kubernetes object of both example plans against public schemas nobody here wrote.

Custom resources with a public CRD (Cluster API, nsx-operator, KEDA, NVIDIA NIM, VM Operator,
prometheus-operator)
are validated against it; core kinds with kubernetes-validate. PAIS and DSM publish no schema
file, so their objects are listed explicitly rather than skipped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from schema_validation import validate_core_object, validate_crd_object

from paif_cli.main import main

CRD_GROUPS = {
    "cluster.x-k8s.io",
    "monitoring.coreos.com",
    "crd.nsx.vmware.com",
    "keda.sh",
    "apps.nvidia.com",
    "vmoperator.vmware.com",
}
# Broadcom publishes API references but no schema file for these (schemas/SOURCES.md).
NO_PUBLIC_SCHEMA = {"pais.vmware.com", "databases.dataservices.vmware.com"}
CORE_GROUPS = {"", "apps", "policy", "networking.k8s.io", "rbac.authorization.k8s.io"}


@pytest.fixture(scope="module")
def manifests(example_plans: tuple[int, Path]) -> list[tuple[str, dict[str, Any]]]:
    code, out = example_plans
    assert code == 0
    found = []
    for path in sorted(out.glob("*/manifests/*.yaml")):
        found.append((f"{path.parent.parent.name}/{path.name}", yaml.safe_load(path.read_text())))
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
    for name, obj in manifests:
        if _group(obj) in CORE_GROUPS:
            if obj["kind"] == "Secret":
                # The Kubernetes SDK makes a Secret's whole payload one Pulumi secret, so the
                # plan masks it as a unit; everything around it is still validated.
                assert obj.get("stringData", "[secret]") == "[secret]", name
                assert obj.get("data", "[secret]") == "[secret]", name
                obj = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
            try:
                validate_core_object(obj)
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from None
            checked += 1
    assert checked >= 50


def test_schema_less_objects_are_the_declared_ones(
    manifests: list[tuple[str, dict[str, Any]]],
) -> None:
    kinds = sorted({obj["kind"] for _, obj in manifests if _group(obj) in NO_PUBLIC_SCHEMA})
    assert kinds == ["DatabaseConfig", "ModelEndpoint", "PostgresCluster"]


def test_manifest_files_are_one_object_each(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["plan", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(out), "--quiet"]
    assert main([*args, "--format", "none"]) == 0
    for path in (out / "prod" / "manifests").glob("*.yaml"):
        documents = list(yaml.safe_load_all(path.read_text()))
        assert len(documents) == 1, path.name
