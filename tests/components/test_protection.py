"""Nothing lost: in prod and mission-critical every stateful resource is protected.

The stateful resources are enumerated from the plans of the example stacks (prod, its dr peer,
and prod at the mission-critical tier), not from a list of component attributes, so a component
that adds a database or namespace another way is held to the same rule. Every custom resource
type in the plans must be classified below: a new type fails the test until someone decides
whether it holds data.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paif_cli.mock_runtime import ResourceRecord
from paif_cli.pipeline import plan_stack
from paif_cli.record import StackPlan
from paif_cli.write import write_plan
from tests.support.stacks import load_example, write_project

# Deleting these loses data or tenant state: protect=True in production tiers. The value says
# whether they must also be kept when removed from the program (retain_on_delete).
STATEFUL: dict[str, bool] = {
    # §9.4.1 Supervisor namespace: the tenant's PVCs, VMs and everything deployed into it.
    "vsphere:index/namespace:Namespace": True,
    # §9.3.2 item 2: the vector database (DSM PostgresCluster) and its backups.
    "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster": True,
    # §9.3.2 item 1: the tenant's images and models in Harbor.
    "harbor:index/project:Project": True,
    # DLVM content library: subscribed, so deleting it loses no source data, only the sync.
    "vsphere:index/contentLibrary:ContentLibrary": False,
}
# Rebuilt from the program alone (configuration, policies, credentials it regenerates).
STATELESS: frozenset[str] = frozenset(
    {
        # Tag immutability is a project setting: re-created, it protects the same tags again.
        "harbor:index/immutableTagRule:ImmutableTagRule",
        "harbor:index/projectMemberGroup:ProjectMemberGroup",
        "harbor:index/registry:Registry",
        "harbor:index/replication:Replication",
        "harbor:index/robotAccount:RobotAccount",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        # A VKS cluster runs stateless apps; tenant data lives in DSM and Harbor.
        "kubernetes:cluster.x-k8s.io/v1beta2:Cluster",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:LimitRange",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ResourceQuota",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:crd.nsx.vmware.com/v1alpha1:SecurityPolicy",
        "kubernetes:databases.dataservices.vmware.com/v1alpha1:DatabaseConfig",
        "kubernetes:keda.sh/v1alpha1:ScaledObject",
        # §9.7 monitoring objects: configuration of the site's Prometheus and Alertmanager.
        "kubernetes:monitoring.coreos.com/v1:PodMonitor",
        "kubernetes:monitoring.coreos.com/v1:Probe",
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig",
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint",
        # PAIS's state and knowledge bases are in its database (protected); this is settings.
        "kubernetes:pais.vmware.com/v1alpha1:PAISConfiguration",
        "kubernetes:policy/v1:PodDisruptionBudget",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "nsxt:index/policyGroup:PolicyGroup",
        # The WAF entry (Avi): configuration, rebuilt from the program.
        "avi:index/pool:Pool",
        "avi:index/virtualservice:Virtualservice",
        "avi:index/vsvip:Vsvip",
        "avi:index/wafpolicy:Wafpolicy",
        "nsxt:index/policyLbPool:PolicyLbPool",
        "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer",
        "nsxt:index/policySecurityPolicy:PolicySecurityPolicy",
        "vsphere:index/computeCluster:ComputeCluster",
        "vsphere:index/virtualMachineClass:VirtualMachineClass",
        "vsphere:index/zone:Zone",
        # Logical replication of the DR copies (paif_components.database_replication): objects
        # inside the DSM clusters, rebuilt from the program. The subscription must stay
        # deletable: a failover drops it (after the runbook detaches it from the lost slot).
        "postgresql:index/extension:Extension",
        "postgresql:index/grant:Grant",
        "postgresql:index/publication:Publication",
        "postgresql:index/replicationSlot:ReplicationSlot",
        "postgresql:index/role:Role",
        "postgresql:index/subscription:Subscription",
    }
)
PROVIDER_PREFIX = "pulumi:providers:"

# What the example stacks hold (§9.4.1: three tenants; marketing's knowledge-base database and
# its chat app's database, §9.3.2 item 4).
EXPECTED_STATEFUL = {
    "vsphere:index/namespace:Namespace": 3,
    "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster": 2,
    "harbor:index/project:Project": 3,
    "vsphere:index/contentLibrary:ContentLibrary": 1,
}


def tier(config: dict[str, Any], environment: str) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["paif:environment"] = environment
    return changed


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackPlan]:
    prod, dr = load_example("prod"), load_example("dr")
    small = tier(prod, "dev")
    small["paif:tenants"] = small["paif:tenants"][:1]
    project = write_project(
        tmp_path_factory.mktemp("protection"),
        {"prod": prod, "dr": dr, "critical": tier(prod, "mission-critical"), "dev": small},
    )
    out: dict[str, StackPlan] = {}
    out["prod"] = plan_stack(project, "prod")
    out["dr"] = plan_stack(project, "dr", planned=out)
    out["critical"] = plan_stack(project, "critical")
    out["dev"] = plan_stack(project, "dev")
    return out


def managed(plan: StackPlan) -> list[ResourceRecord]:
    """Resources the stack creates (not components, providers or read-only lookups)."""
    return [
        r
        for r in plan.result.resources
        if r.custom and not r.type.startswith(PROVIDER_PREFIX) and "__read" not in r.inputs
    ]


def stateful(plan: StackPlan) -> list[ResourceRecord]:
    return [r for r in managed(plan) if r.type in STATEFUL]


def counts(records: list[ResourceRecord]) -> dict[str, int]:
    out: dict[str, int] = {}
    for record in records:
        out[record.type] = out.get(record.type, 0) + 1
    return out


@pytest.mark.parametrize("stack", ["prod", "dr", "critical", "dev"])
def test_every_resource_type_is_classified(plans: dict[str, StackPlan], stack: str) -> None:
    unknown = sorted({r.type for r in managed(plans[stack])} - set(STATEFUL) - STATELESS)
    assert unknown == [], (
        f"new resource types {unknown}: add each to STATEFUL (it holds data: protect it in "
        "production tiers) or STATELESS (rebuilt from the program) in "
        "tests/components/test_protection.py"
    )


def own_dev_tier(plan: StackPlan) -> Callable[[str], bool]:
    """Whether a URN is of a tenant whose own tier (``tenants[].environment``) is dev."""
    # The tenant components record their tier (a DR stack takes its tenants from its primary's
    # stack file, so the plan's records, not its config, say which they are).
    prefixes = tuple(
        f"::{r.name}-"
        for r in plan.result.resources
        if r.type == "paif:tenancy:Tenant"
        and (r.inputs or {}).get("environment") not in (None, "prod", "mission-critical")
    )
    return lambda urn: any(p in urn for p in prefixes)


@pytest.mark.parametrize("stack", ["prod", "dr", "critical"])
def test_production_tiers_protect_every_stateful_resource(
    plans: dict[str, StackPlan], stack: str
) -> None:
    plan = plans[stack]
    assert plan.config.environment in ("prod", "mission-critical")
    records = stateful(plan)
    assert counts(records) == EXPECTED_STATEFUL
    # A tenant of its own dev tier (§9.1.1: the example's dev) is judged by it: unprotected.
    dev = own_dev_tier(plan)
    unprotected = [r.urn for r in records if not r.protect and not dev(r.urn)]
    assert unprotected == [], f"stateful resources without protect=True: {unprotected}"
    assert [r.urn for r in records if r.protect and dev(r.urn)] == []
    not_retained = [
        r.urn for r in records if STATEFUL[r.type] and not r.retain_on_delete and not dev(r.urn)
    ]
    assert not_retained == [], f"data would go with the resource on delete: {not_retained}"


def test_the_plan_json_records_the_protection(plans: dict[str, StackPlan], tmp_path: Path) -> None:
    document = write_plan(plans["prod"], tmp_path) / "plan.json"
    resources = json.loads(document.read_text())["resources"]
    flags = {
        r["urn"]: (r["protect"], r["retainOnDelete"]) for r in resources if r["type"] in STATEFUL
    }
    assert len(flags) == sum(EXPECTED_STATEFUL.values())
    dev = own_dev_tier(plans["prod"])
    assert {urn: flag[0] for urn, flag in flags.items()} == {urn: not dev(urn) for urn in flags}


def test_dev_leaves_the_same_resources_unprotected(plans: dict[str, StackPlan]) -> None:
    """Protection follows the tier: dev can be torn down and rebuilt freely."""
    records = stateful(plans["dev"])
    assert counts(records) == {
        "vsphere:index/namespace:Namespace": 1,
        "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster": 2,
        "harbor:index/project:Project": 1,
        "vsphere:index/contentLibrary:ContentLibrary": 1,
    }
    assert [r.urn for r in records if r.protect] == []
