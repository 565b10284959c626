"""PAIF-HA-001..007 on planned stacks: the example-derived compliant stack, a broken one, tiers.

Plans run the real program (``__main__.py``) on small stack configs written to a temporary
project. Violations the components refuse to build (they validate their input) are shown on
tiny programs of raw resources under the mock runtime instead.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere
import pytest

from tests.support.policy import Site, StackPlan, findings_of, plan, run_rules
from tests.support.stacks import load_example

HA_RULES = [f"PAIF-HA-00{i}" for i in range(1, 8)]


# --- small stacks ---------------------------------------------------------------------------


def small_prod() -> dict[str, Any]:
    """The prod example cut down to one tenant with one of everything (HA-compliant)."""
    config = copy.deepcopy(load_example("prod"))
    marketing = config["paif:tenants"][0]
    marketing["modelEndpoints"] = [marketing["modelEndpoints"][0]]
    marketing["modelEndpoints"][0]["replicas"] = {"min": 2, "max": 4}
    marketing["knowledgeBases"] = []
    marketing["agents"] = []
    marketing["apps"] = [marketing["apps"][1]]
    marketing["apps"][0]["consumes"].pop("knowledgeBases")  # none left to consume
    config["paif:tenants"] = [marketing]
    return config


def broken_prod() -> dict[str, Any]:
    """Each HA rule broken once, in ways the components accept."""
    config = small_prod()
    tenant = config["paif:tenants"][0]
    tenant["modelEndpoints"][0]["replicas"] = {"min": 1, "max": 4}  # HA-001
    cluster = tenant["vksClusters"][0]
    cluster["controlPlaneReplicas"] = 1  # HA-003
    cluster["nodePools"][0]["replicas"] = 1  # HA-004: 1 + GPU pool 1 workers
    cluster["nodePools"][1].update(minReplicas=1, maxReplicas=2)  # HA-004: GPU pool of 1
    tenant["apps"][0].update(replicas=1, liveness=None, limitsMemory=None)  # HA-005
    tenant["databases"][0]["ha"] = False  # HA-006
    return config


@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    return plan(tmp_path_factory.mktemp("ha-ok"), small_prod())


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    return plan(tmp_path_factory.mktemp("ha-broken"), broken_prod())


@pytest.fixture(scope="module")
def broken_dev(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    config = broken_prod() | {"paif:environment": "dev"}
    return plan(tmp_path_factory.mktemp("ha-broken-dev"), config)


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_compliant_stack_has_no_ha_finding(compliant: StackPlan, rule_id: str) -> None:
    assert findings_of(compliant.findings, rule_id) == []


def test_ha_001_min_replicas_below_the_prod_minimum(broken: StackPlan) -> None:
    assert findings_of(broken.findings, "PAIF-HA-001") == [
        (
            "mandatory",
            "seoul-primary-marketing-llama-chat-endpoint",
            "ModelEndpoint marketing-ns/llama-chat: ScaledObject minReplicaCount is 1, below "
            "the 2 replicas required for prod",
        )
    ]


def test_ha_003_control_plane_of_one(broken: StackPlan) -> None:
    assert findings_of(broken.findings, "PAIF-HA-003") == [
        (
            "mandatory",
            "seoul-primary-marketing-marketing-apps-cluster",
            "Cluster marketing-ns/marketing-apps: control plane has 1 node(s); production "
            "needs exactly 3",
        )
    ]


def test_ha_004_too_few_workers_and_a_gpu_pool_of_one(broken: StackPlan) -> None:
    name = "seoul-primary-marketing-marketing-apps-cluster"
    assert findings_of(broken.findings, "PAIF-HA-004") == [
        (
            "mandatory",
            name,
            "Cluster marketing-ns/marketing-apps: 2 worker node(s) at minimum; production "
            "needs at least 3",
        ),
        (
            "mandatory",
            name,
            "Cluster marketing-ns/marketing-apps: GPU pool 'gpu' has 1 node(s) at minimum; it "
            "needs at least 2",
        ),
    ]


def test_ha_005_single_replica_app_without_probe_and_limit(broken: StackPlan) -> None:
    name = "seoul-primary-marketing-marketing-apps-apps-backend"
    assert findings_of(broken.findings, "PAIF-HA-005") == [
        (
            "mandatory",
            name,
            "Deployment marketing-ns/backend: 1 replica(s); production needs at least 2",
        ),
        (
            "mandatory",
            name,
            "Deployment marketing-ns/backend: container 'backend' has no livenessProbe, no "
            "resources.limits.memory",
        ),
    ]


def test_ha_006_single_server_database(broken: StackPlan) -> None:
    assert findings_of(broken.findings, "PAIF-HA-006") == [
        (
            "mandatory",
            "seoul-primary-marketing-kb-vectors-cluster",
            "PostgresCluster marketing-ns/kb-vectors: spec.replicas is 0, a single server with "
            "no standby; production needs at least 1 replica",
        )
    ]


def test_dev_tier_reports_tier_independent_findings_as_advisory(broken_dev: StackPlan) -> None:
    """In dev, 1 endpoint replica is the §9.2.2 minimum and sizes are not held to prod; the
    app's missing probe and limit are still reported, as advisory."""
    for rule_id in ("PAIF-HA-001", "PAIF-HA-003", "PAIF-HA-004", "PAIF-HA-006"):
        assert findings_of(broken_dev.findings, rule_id) == []
    assert findings_of(broken_dev.findings, "PAIF-HA-005") == [
        (
            "advisory",
            "seoul-primary-marketing-marketing-apps-apps-backend",
            "Deployment marketing-ns/backend: container 'backend' has no livenessProbe, no "
            "resources.limits.memory",
        )
    ]
    assert not [f for f in broken_dev.findings if f.blocking]


def test_ha_007_single_host_dev_domain_reserves_no_host(tmp_path: Path) -> None:
    config = small_prod() | {"paif:environment": "dev"}
    config["paif:workloadDomain"]["hosts"] = config["paif:workloadDomain"]["hosts"][:1]
    planned = plan(tmp_path, config)
    assert findings_of(planned.findings, "PAIF-HA-007") == [
        (
            "advisory",
            "seoul-primary-gpu-cluster",
            "ComputeCluster gpu-wld-01: admission control (disabled) reserves 0 host(s), "
            "fewer than 1",
        )
    ]


# --- what the components refuse to build: tiny programs ------------------------------------


ENDPOINT_LABELS = {"paif.vmware.com/tenant": "t", "paif.vmware.com/endpoint": "chat"}
SPREAD = [
    {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": ENDPOINT_LABELS},
    }
]


def endpoint(site: Site, *, replicas: int = 2) -> k8s.apiextensions.CustomResource:
    """A PAIS ModelEndpoint as the component renders it: the published fields, its replicas
    recorded in an annotation (PAIS's API has no replica field)."""
    return k8s.apiextensions.CustomResource(
        "site-chat",
        api_version="pais.vmware.com/v1alpha1",
        kind="ModelEndpoint",
        metadata={
            "name": "chat",
            "namespace": "t-ns",
            "labels": ENDPOINT_LABELS,
            "annotations": {"paif.vmware.com/replicas": f"{replicas}..{replicas}"},
        },
        spec={
            "model": {"ociRef": "h/p/m:1"},
            "engine": "vLLM",
            "type": "Completions",
            "routingName": "chat",
            "virtualMachineClassName": "vgpu",
        },
        opts=pulumi.ResourceOptions(parent=site),
    )


def nim(
    site: Site, *, spread: list[dict[str, Any]] | None = None, replicas: int = 2
) -> k8s.apiextensions.CustomResource:
    """A NIMService: pods the library describes (labels, spread), so HA-002 judges it."""
    return k8s.apiextensions.CustomResource(
        "site-chat",
        api_version="apps.nvidia.com/v1alpha1",
        kind="NIMService",
        metadata={"name": "chat", "namespace": "t-ns"},
        spec={
            "replicas": replicas,
            "labels": ENDPOINT_LABELS,
            "topologySpreadConstraints": SPREAD if spread is None else spread,
        },
        opts=pulumi.ResourceOptions(parent=site),
    )


def scaled_object(site: Site, spec: dict[str, Any]) -> None:
    k8s.apiextensions.CustomResource(
        "site-chat-scaler",
        api_version="keda.sh/v1alpha1",
        kind="ScaledObject",
        metadata={"name": "chat", "namespace": "t-ns"},
        spec={"scaleTargetRef": {"kind": "ModelEndpoint", "name": "chat"}, **spec},
        opts=pulumi.ResourceOptions(parent=site),
    )


def budget(site: Site, spec: dict[str, Any]) -> None:
    k8s.policy.v1.PodDisruptionBudget(
        "site-chat-pdb",
        metadata={"name": "chat", "namespace": "t-ns"},
        spec={"selector": {"matchLabels": ENDPOINT_LABELS}, **spec},
        opts=pulumi.ResourceOptions(parent=site),
    )


def test_ha_001_a_scaled_object_without_min_falls_back_to_zero(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        endpoint(site)
        scaled_object(site, {"maxReplicaCount": 4})
        budget(site, {"minAvailable": 1})

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-001") == [
        (
            "mandatory",
            "site-chat",
            "ModelEndpoint t-ns/chat: ScaledObject minReplicaCount is not set, so the minimum "
            "is 0 (KEDA default); set it explicitly to at least 2",
        )
    ]


def test_ha_001_mission_critical_needs_three(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        endpoint(site)
        scaled_object(site, {"minReplicaCount": 2, "maxReplicaCount": 4})
        budget(site, {"minAvailable": 1})

    assert findings_of(run_rules(run_pulumi, build, "mission-critical"), "PAIF-HA-001") == [
        (
            "mandatory",
            "site-chat",
            "ModelEndpoint t-ns/chat: ScaledObject minReplicaCount is 2, below the 3 replicas "
            "required for mission-critical",
        )
    ]
    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-001") == []


def test_ha_008_prod_below_the_recommended_three_is_advice(compliant: StackPlan) -> None:
    """§9.2.2: prod minimum 2 (PAIF-HA-001 holds), recommended 3: an advisory finding only."""
    assert findings_of(compliant.findings, "PAIF-HA-001") == []
    assert findings_of(compliant.findings, "PAIF-HA-008") == [
        (
            "advisory",
            "seoul-primary-marketing-llama-chat-endpoint",
            "ModelEndpoint marketing-ns/llama-chat: ScaledObject minReplicaCount is 2, below the "
            "3 replicas §9.2.2 recommends for prod (N+1; 2 is the minimum)",
        )
    ]


@pytest.mark.parametrize(
    ("environment", "minimum", "expected"),
    [
        ("prod", 3, []),
        (
            "staging",
            1,
            ["below the 2 replicas §9.2.2 recommends for staging (N+1; 1 is the minimum)"],
        ),
        ("dev", 1, []),
        # Mission-critical: 3 is mandatory (PAIF-HA-001) and recommended, so 2 is HA-001's alone.
        ("mission-critical", 2, []),
        ("mission-critical", 3, []),
    ],
)
def test_ha_008_by_tier(
    run_pulumi: Any, environment: str, minimum: int, expected: list[str]
) -> None:
    def build(site: Site) -> None:
        endpoint(site)
        scaled_object(site, {"minReplicaCount": minimum, "maxReplicaCount": 4})
        budget(site, {"minAvailable": 1})

    found = findings_of(run_rules(run_pulumi, build, environment), "PAIF-HA-008")
    tails = [(enforcement, m.split(f"is {minimum}, ", 1)[1]) for enforcement, _, m in found]
    assert tails == [("advisory", text) for text in expected]


def test_ha_008_warm_standby_dr_site_runs_reduced_by_design(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        endpoint(site, replicas=1)
        scaled_object(site, {"minReplicaCount": 1, "maxReplicaCount": 1})
        budget(site, {"minAvailable": 1})

    found = run_rules(run_pulumi, build, "prod", drRole="dr", drPattern="warm-standby")
    assert findings_of(found, "PAIF-HA-008") == []


def test_ha_002_spread_and_budget_present(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        nim(site)
        budget(site, {"minAvailable": 1})

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-002") == []


def test_ha_002_no_spread_and_no_budget(run_pulumi: Any) -> None:
    soft = [dict(SPREAD[0], whenUnsatisfiable="ScheduleAnyway")]

    def build(site: Site) -> None:
        nim(site, spread=soft)

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-002") == [
        (
            "mandatory",
            "site-chat",
            "NIMService t-ns/chat: no PodDisruptionBudget selects its pods",
        ),
        (
            "mandatory",
            "site-chat",
            "NIMService t-ns/chat: replicas are not spread across hosts (no "
            "topologySpreadConstraint with whenUnsatisfiable DoNotSchedule, nor required "
            "podAntiAffinity, on kubernetes.io/hostname)",
        ),
    ]


def test_ha_002_a_budget_that_lets_every_replica_go(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        nim(site)
        budget(site, {"maxUnavailable": 2})

    assert findings_of(run_rules(run_pulumi, build, "staging"), "PAIF-HA-002") == [
        (
            "advisory",
            "site-chat-pdb",
            "NIMService t-ns/chat: PodDisruptionBudget t-ns/chat does not keep at least 1 "
            "replica(s) available",
        )
    ]


def test_ha_002_leaves_pais_placement_to_pais(run_pulumi: Any) -> None:
    """PAIS places its replicas itself and publishes no placement field: nothing to judge."""

    def build(site: Site) -> None:
        endpoint(site)

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-002") == []


def test_ha_007_ha_and_drs_off_in_prod(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        vsphere.ComputeCluster(
            "site-gpu",
            name="gpu-wld-01",
            datacenter_id="datacenter-1",
            host_system_ids=["host-1", "host-2"],
            opts=pulumi.ResourceOptions(parent=site),
        )

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-007") == [
        (
            "mandatory",
            "site-gpu",
            "ComputeCluster gpu-wld-01: vSphere HA is off (haEnabled); DRS is off (drsEnabled)",
        )
    ]


@pytest.mark.parametrize(
    ("policy", "extra", "reserved"),
    [
        ("failoverHosts", {"ha_admission_control_failover_host_system_ids": []}, "0"),
        (
            "resourcePercentage",
            {
                "ha_admission_control_resource_percentage_auto_compute": False,
                "ha_admission_control_resource_percentage_cpu": 20,
                "ha_admission_control_resource_percentage_memory": 20,
            },
            "0.8",
        ),
    ],
)
def test_ha_007_admission_control_that_reserves_less_than_a_host(
    run_pulumi: Any, policy: str, extra: dict[str, Any], reserved: str
) -> None:
    def build(site: Site) -> None:
        vsphere.ComputeCluster(
            "site-gpu",
            name="gpu-wld-01",
            datacenter_id="datacenter-1",
            host_system_ids=["host-1", "host-2", "host-3", "host-4"],
            ha_enabled=True,
            drs_enabled=True,
            ha_admission_control_policy=policy,
            opts=pulumi.ResourceOptions(parent=site),
            **extra,
        )

    assert findings_of(run_rules(run_pulumi, build, "prod"), "PAIF-HA-007") == [
        (
            "mandatory",
            "site-gpu",
            f"ComputeCluster gpu-wld-01: admission control ({policy}) reserves {reserved} "
            "host(s), fewer than 1",
        )
    ]
