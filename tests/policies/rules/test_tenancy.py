"""PAIF-MT-001..003 on planned stacks, and on tiny programs for what components never omit."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere
import pulumiverse_harbor as harbor
import pytest

from paif_components.contract.finding import Finding
from paif_components.harbor_registry import HARBOR_PROJECT_TYPE
from paif_policies.rules import tenancy
from tests.support.policy import (
    Site,
    StackPlan,
    evaluate_records,
    findings_of,
    plan,
    run_rules,
    site_records,
)
from tests.support.stacks import load_example

MT_RULES = ["PAIF-MT-001", "PAIF-MT-002", "PAIF-MT-003"]


def tenants_only() -> dict[str, Any]:
    """The prod example's three tenants with their services removed (namespaces, quotas, RBAC)."""
    config = copy.deepcopy(load_example("prod"))
    for tenant in config["paif:tenants"]:
        for key in ("modelEndpoints", "databases", "knowledgeBases", "agents", "apps"):
            tenant.pop(key, None)
        tenant.pop("vksClusters", None)
    # Nothing served, nothing to replicate: no DR pattern (PAIF-DR-001 is not looked at here).
    config["paif:dr"] = {"pattern": "none"}
    return config


@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    return plan(tmp_path_factory.mktemp("mt-ok"), tenants_only())


@pytest.fixture(scope="module")
def no_groups(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    config = tenants_only()
    config["paif:tenants"][1]["oidcGroups"] = {}
    return plan(tmp_path_factory.mktemp("mt-groups"), config)


@pytest.mark.parametrize("rule_id", MT_RULES)
def test_every_tenant_is_fenced(compliant: StackPlan, rule_id: str) -> None:
    assert findings_of(compliant.findings, rule_id) == []


def test_all_three_example_tenants_are_seen(compliant: StackPlan) -> None:
    from paif_policies.framework import StackView

    records = [r.to_json() for r in compliant.result.resources]

    class R:
        def __init__(self, r: dict[str, Any]) -> None:
            self.urn, self.resource_type, self.name = r["urn"], r["type"], r["name"]
            self.props, self.parent = r["inputs"], r["parent"]

    seen = tenancy.tenant_namespaces(StackView(R(r) for r in records))
    assert [(t.namespace, t.tenant) for t in seen] == [
        ("dev-ns", "dev"),
        ("hr-ns", "hr"),
        ("marketing-ns", "marketing"),
    ]


def test_mt_003_tenant_without_oidc_groups(no_groups: StackPlan) -> None:
    assert findings_of(no_groups.findings, "PAIF-MT-003") == [
        (
            "mandatory",
            "seoul-primary-hr-harbor-project",
            "tenant hr: Harbor project 'hr' maps no OIDC group (ProjectMemberGroup type oidc)",
        )
    ]
    assert findings_of(no_groups.findings, "PAIF-MT-001") == []


def test_harbor_component_token_matches_the_rule() -> None:
    assert tenancy.HARBOR_PROJECT_COMPONENT == HARBOR_PROJECT_TYPE


# --- tiny programs ------------------------------------------------------------------------


FULL_QUOTA = {
    "requests.nvidia.com/gpu": 2,
    "requests.cpu": "8",
    "requests.memory": "32Gi",
    "limits.cpu": "16",
    "limits.memory": "64Gi",
    "requests.storage": "100Gi",
    "persistentvolumeclaims": 5,
    "pods": 20,
    "services": 5,
}
DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
CONTAINER_DEFAULTS = {
    "limits": [
        {
            "type": "Container",
            "default": {"cpu": "1", "memory": "1Gi"},
            "defaultRequest": {"cpu": "500m", "memory": "512Mi"},
        }
    ]
}


def tenant(
    site: Site,
    *,
    quota: dict[str, Any] | None = FULL_QUOTA,
    policies: list[dict[str, Any]] | None = None,
    label: bool = True,
    groups: tuple[str, ...] = ("oidc",),
    limits: dict[str, Any] | None = CONTAINER_DEFAULTS,
) -> None:
    opts = pulumi.ResourceOptions(parent=site)
    vsphere.Namespace("t-namespace", name="t-ns", supervisor="domain-c10", opts=opts)
    labels = {"paif.vmware.com/tenant": "t"} if label else {}
    meta = {"namespace": "t-ns", "labels": labels}
    if quota is not None:
        k8s.core.v1.ResourceQuota(
            "t-quota", metadata={"name": "t-quota", **meta}, spec={"hard": quota}, opts=opts
        )
    if limits is not None:
        k8s.core.v1.LimitRange(
            "t-limits", metadata={"name": "t-limits", **meta}, spec=limits, opts=opts
        )
    for i, spec in enumerate([DENY_ALL] if policies is None else policies):
        k8s.networking.v1.NetworkPolicy(
            f"t-policy-{i}", metadata={"name": f"p{i}", **meta}, spec=spec, opts=opts
        )
    project = harbor.Project("t-project", name="t", public=False, opts=opts)
    for kind in groups:
        harbor.ProjectMemberGroup(
            f"t-member-{kind}",
            project_id=project.id,
            type=kind,
            group_name="t-admins",
            role="projectadmin",
            opts=opts,
        )


def test_a_fenced_tenant_passes(run_pulumi: Any) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s))
    for rule_id in MT_RULES:
        assert findings_of(findings, rule_id) == []


def test_mt_001_no_quota(run_pulumi: Any) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s, quota=None))
    assert findings_of(findings, "PAIF-MT-001") == [
        ("mandatory", "t-namespace", "namespace t-ns: no ResourceQuota")
    ]


def test_mt_001_quota_without_gpu_and_services(run_pulumi: Any) -> None:
    quota = {
        k: v for k, v in FULL_QUOTA.items() if k not in ("requests.nvidia.com/gpu", "services")
    }
    findings = run_rules(run_pulumi, lambda s: tenant(s, quota=quota), environment="dev")
    assert findings_of(findings, "PAIF-MT-001") == [
        (
            "advisory",
            "t-quota",
            "namespace t-ns: ResourceQuota t-ns/t-quota does not bound requests.nvidia.com/gpu, "
            "services",
        )
    ]


@pytest.mark.parametrize(
    "limits",
    [
        None,
        # A maximum only: pods that state nothing still get no requests or limits.
        {"limits": [{"type": "Container", "max": {"cpu": "2", "memory": "2Gi"}}]},
        # Defaults for pods, not containers.
        {"limits": [{"type": "Pod", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "1"}}]},
    ],
)
def test_mt_001_no_container_defaults(run_pulumi: Any, limits: dict[str, Any] | None) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s, limits=limits))
    assert findings_of(findings, "PAIF-MT-001") == [
        (
            "mandatory",
            "t-namespace",
            "namespace t-ns: no LimitRange gives containers a default CPU and memory limit and "
            "request",
        )
    ]


@pytest.mark.parametrize(
    ("policies", "missing"),
    [
        ([], "Ingress and Egress"),
        ([{"podSelector": {}, "policyTypes": ["Ingress"]}], "Egress"),
        # Selects some pods only: not a namespace-wide default.
        (
            [
                {
                    "podSelector": {"matchLabels": {"tier": "ai"}},
                    "policyTypes": ["Ingress", "Egress"],
                }
            ],
            "Ingress and Egress",
        ),
        # Allows everything in: not a deny.
        ([{"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}]}], "Ingress"),
    ],
)
def test_mt_002_no_default_deny(
    run_pulumi: Any, policies: list[dict[str, Any]], missing: str
) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s, policies=policies))
    assert findings_of(findings, "PAIF-MT-002") == [
        (
            "mandatory",
            "t-namespace",
            f"namespace t-ns: no NetworkPolicy denies {missing} by default (podSelector {{}} "
            "with no rules)",
        )
    ]


def test_mt_002_egress_only_config_accepts_an_ingress_deny(run_pulumi: Any) -> None:
    policies = [{"podSelector": {}, "policyTypes": ["Ingress"]}]

    records = site_records(run_pulumi, lambda s: tenant(s, policies=policies))
    findings = evaluate_records(records, {"PAIF-MT-002": {"directions": ["Ingress"]}})
    assert findings_of(findings, "PAIF-MT-002") == []


def test_mt_003_member_groups_not_from_oidc(run_pulumi: Any) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s, groups=("ldap",)))
    assert findings_of(findings, "PAIF-MT-003") == [
        (
            "mandatory",
            "t-project",
            "tenant t: Harbor project 't' maps no OIDC group (ProjectMemberGroup type oidc)",
        )
    ]


def test_mt_003_unknown_tenant(run_pulumi: Any) -> None:
    findings = run_rules(run_pulumi, lambda s: tenant(s, label=False))
    assert findings_of(findings, "PAIF-MT-003") == [
        (
            "mandatory",
            "t-namespace",
            "namespace t-ns: no tenant can be told for it (no object labelled "
            "paif.vmware.com/tenant), so no Harbor project can be matched",
        )
    ]


def test_mt_003_no_project(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        opts = pulumi.ResourceOptions(parent=site)
        vsphere.Namespace("t-namespace", name="t-ns", supervisor="domain-c10", opts=opts)
        k8s.core.v1.ResourceQuota(
            "t-quota",
            metadata={"namespace": "t-ns", "labels": {"paif.vmware.com/tenant": "t"}},
            spec={"hard": FULL_QUOTA},
            opts=opts,
        )

    findings = run_rules(run_pulumi, build)
    assert findings_of(findings, "PAIF-MT-003") == [
        ("mandatory", "t-namespace", "tenant t: no Harbor project 't'")
    ]


# --- per target: the Supervisor and each VKS cluster are separate APIs ----------------------


def vks_namespace(
    site: Site, *, quota: bool = True, limits: bool = True, deny: bool = True
) -> None:
    """A fenced Supervisor namespace t-ns, and a namespace of the same name in VKS cluster c."""
    tenant(site)
    opts = pulumi.ResourceOptions(parent=site)
    target = {"paif.vmware.com/target": "c"}
    labels = {"paif.vmware.com/tenant": "t"}
    k8s.core.v1.Namespace(
        "c-namespace", metadata={"name": "t-ns", "labels": labels, "annotations": target}, opts=opts
    )
    meta = {"namespace": "t-ns", "labels": labels, "annotations": target}
    if quota:
        k8s.core.v1.ResourceQuota(
            "c-quota", metadata={"name": "q", **meta}, spec={"hard": FULL_QUOTA}, opts=opts
        )
    if limits:
        k8s.core.v1.LimitRange(
            "c-limits", metadata={"name": "l", **meta}, spec=CONTAINER_DEFAULTS, opts=opts
        )
    if deny:
        k8s.networking.v1.NetworkPolicy(
            "c-deny", metadata={"name": "d", **meta}, spec=DENY_ALL, opts=opts
        )


def test_a_fenced_cluster_namespace_passes(run_pulumi: Any) -> None:
    findings = run_rules(run_pulumi, lambda s: vks_namespace(s))
    for rule_id in MT_RULES:
        assert findings_of(findings, rule_id) == []


def test_the_supervisor_namespace_of_the_same_name_does_not_fence_the_cluster_one(
    run_pulumi: Any,
) -> None:
    findings = run_rules(
        run_pulumi, lambda s: vks_namespace(s, quota=False, limits=False, deny=False)
    )
    where = "namespace t-ns of VKS cluster c"
    assert findings_of(findings, "PAIF-MT-001") == [
        (
            "mandatory",
            "c-namespace",
            f"{where}: no LimitRange gives containers a default CPU and memory limit and request",
        ),
        ("mandatory", "c-namespace", f"{where}: no ResourceQuota"),
    ]
    assert findings_of(findings, "PAIF-MT-002") == [
        (
            "mandatory",
            "c-namespace",
            f"{where}: no NetworkPolicy denies Ingress and Egress by default (podSelector {{}} "
            "with no rules)",
        )
    ]
    # One Harbor check per tenant: the cluster namespace adds no second MT-003 finding.
    assert findings_of(findings, "PAIF-MT-003") == []


# --- the example stacks' VKS clusters -----------------------------------------------------------


@pytest.fixture(scope="module")
def example_plan_json(example_out: Path) -> dict[str, dict[str, Any]]:
    """plan.json of each example stack, from the session's plan."""
    return {s: json.loads((example_out / s / "plan.json").read_text()) for s in ("prod", "dr")}


def _app_fences(plan: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """(cluster, namespace) → {kind: resource name} of the fences in each VKS app namespace."""
    records = plan["resources"]
    fences: dict[tuple[str, str], dict[str, str]] = {}
    for r in records:
        meta = r["inputs"].get("metadata") or {}
        cluster = (meta.get("annotations") or {}).get("paif.vmware.com/target")
        if r["inputs"].get("kind") == "Namespace" and cluster != "supervisor":
            fences.setdefault((cluster, meta["name"]), {})
    for r in records:
        inputs = r["inputs"]
        meta = inputs.get("metadata") or {}
        cluster = (meta.get("annotations") or {}).get("paif.vmware.com/target")
        key = (cluster, meta.get("namespace"))
        if key not in fences:
            continue
        kind, spec = inputs.get("kind"), inputs.get("spec") or {}
        if kind == "NetworkPolicy" and tenancy.denied_directions(inputs) == {"Ingress", "Egress"}:
            fences[key]["default-deny"] = r["name"]
        elif kind == "ResourceQuota" and set(spec.get("hard") or {}) >= set(
            tenancy.REQUIRED_QUOTA_KEYS
        ):
            fences[key]["quota"] = r["name"]
        elif kind == "LimitRange" and tenancy.has_container_defaults(inputs):
            fences[key]["limits"] = r["name"]
    return fences


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_each_example_vks_cluster_fences_its_app_namespace(
    example_plan_json: dict[str, dict[str, Any]], stack: str
) -> None:
    fences = _app_fences(example_plan_json[stack])
    assert sorted(fences) == [("marketing-apps", "marketing-ns")]
    site = "seoul-primary" if stack == "prod" else "busan-dr"
    prefix = f"{site}-marketing-marketing-apps-apps"
    assert fences[("marketing-apps", "marketing-ns")] == {
        "default-deny": f"{prefix}-default-deny",
        "quota": f"{prefix}-quota",
        "limits": f"{prefix}-limits",
    }
    violations = [Finding.from_json(v) for v in example_plan_json[stack]["policy"]["violations"]]
    for rule_id in ("PAIF-MT-001", "PAIF-MT-002"):
        assert findings_of(violations, rule_id) == []


@pytest.mark.parametrize("stack", ["prod", "dr"])
@pytest.mark.parametrize(
    ("fence", "rule_id", "message"),
    [
        (
            "default-deny",
            "PAIF-MT-002",
            "no NetworkPolicy denies Ingress and Egress by default (podSelector {} with no rules)",
        ),
        ("quota", "PAIF-MT-001", "no ResourceQuota"),
        (
            "limits",
            "PAIF-MT-001",
            "no LimitRange gives containers a default CPU and memory limit and request",
        ),
    ],
)
def test_removing_a_fence_of_an_example_vks_cluster_fails_for_that_cluster(
    example_plan_json: dict[str, dict[str, Any]], stack: str, fence: str, rule_id: str, message: str
) -> None:
    plan = example_plan_json[stack]
    for (cluster, namespace), names in _app_fences(plan).items():
        records = [r for r in plan["resources"] if r["name"] != names[fence]]
        findings = evaluate_records(records)
        namespace_object = next(
            r["name"]
            for r in plan["resources"]
            if r["inputs"].get("kind") == "Namespace"
            and r["inputs"]["metadata"]["name"] == namespace
        )
        assert findings_of(findings, rule_id) == [
            (
                "mandatory",
                namespace_object,
                f"namespace {namespace} of VKS cluster {cluster}: {message}",
            )
        ]
        # The Supervisor namespace of the same name still has its own fence: no finding there.
        other = "PAIF-MT-002" if rule_id == "PAIF-MT-001" else "PAIF-MT-001"
        assert findings_of(findings, other) == []
