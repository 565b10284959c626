"""A tenant's Supervisor namespace: quota, defaults, RBAC and segmentation (§9.4, §9.6).

vSphere side (pulumi_vsphere 4.18.2): ``vsphere.Namespace`` (``supervisor``, ``name``,
``storage_policies`` as policy ids from ``get_policy``, ``vm_services`` with the VM classes and
content libraries the tenant may use). The provider's Namespace has no argument for CPU/memory
limits or zones, so the quota lives on the Kubernetes side and zone placement is done by the
workloads (see isolation below).

Kubernetes side (the Supervisor's API, through the ``kubernetes`` provider passed in opts):

- ``ResourceQuota`` whose ``hard`` holds exactly ``requests.nvidia.com/gpu``, ``requests.cpu``,
  ``requests.memory``, ``limits.cpu``, ``limits.memory``, ``requests.storage``,
  ``persistentvolumeclaims``, ``pods`` and ``services`` (§9.4.3; the marketing example renders
  ``paif_components.constants.MARKETING_QUOTA``);
- ``LimitRange`` with container defaults and bounds (``paif_components.container_limits``): with a
  CPU/memory quota Kubernetes rejects pods that state no requests/limits, so the defaults keep
  such pods schedulable (§9.7.1 app checklist: resource limits/requests set);
- ``RoleBinding`` per OIDC group kind, to the library's scoped ``Role`` of that kind in
  production or to the built-in ``admin``/``edit``/``view`` ClusterRoles elsewhere
  (§9.6.2 identity: OIDC + RBAC; ``paif_components.tenant_rbac``);
- a default-deny ``NetworkPolicy`` and the allowed flows, and the same segmentation as an
  nsx-operator ``SecurityPolicy`` (``paif_components.tenant_network``);
- with ``gpu.assignment: passthrough``, the domain's DirectPath I/O VM classes as VM Operator
  ``VirtualMachineClass`` objects (see ``paif_components.workload_domain``).

Segmentation (which tier reaches which, on which ports, and what lies beyond the namespace)
is ``paif_components.tenant_network``'s; the NetworkPolicies and the SecurityPolicy it renders are
created here.

Isolation levels (§9.4.2), stated as ``paif.vmware.com/isolation`` on every object:
``namespace`` (default); ``cluster`` — the tenant runs its apps on VKS clusters of its own (at
least one is required); ``workload-domain`` — the tenant gets a zone of its own cluster
(``zone``, distinct from the shared domain's ``shared_zone``); VKS node pools are pinned to it
(``VksClusterArgs.zone``) since ``vsphere.Namespace`` cannot bind a zone in 4.18.2.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere

from paif_components import tenant_rbac
from paif_components.config.models import ContainerLimits, Quota, Tenant
from paif_components.config.units import parse_quantity
from paif_components.container_limits import limit_range_spec
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_components.errors import ComponentInputError
from paif_components.ownership import Decision, decide
from paif_components.tenant_network import (  # noqa: F401  (the tiers' names are public here too)
    APP_DATA_KIND,
    DATABASE_KIND_LABEL,
    DEFAULT_AI_PORTS,
    DEFAULT_DATABASE_PORTS,
    DNS_PORT,
    HTTPS_PORT,
    TIER_AI,
    TIER_APP,
    TIER_DATA,
    TIERS,
    VECTOR_DATA_KIND,
    NamespaceNetwork,
    network_cidrs,
    network_policies,
    security_policy_spec,
)
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import check_node_pools
from paif_components.workload_domain import GpuVmClass

SUPERVISOR_NAMESPACE_TYPE: Final = tokens.PAIF_SUPERVISOR_NAMESPACE
SECURITY_POLICY_API_VERSION: Final = "crd.nsx.vmware.com/v1alpha1"
VM_OPERATOR_API_VERSION: Final = "vmoperator.vmware.com/v1alpha5"
ISOLATION_LABEL: Final = "paif.vmware.com/isolation"

# The LimitRange of a Supervisor namespace: the App model's defaults (§9.7.1 requests/limits
# set) and bounds, the maximum being the tenant quota's limit.
SUPERVISOR_CONTAINER_LIMITS: Final = ContainerLimits()
DEFAULT_LIMIT: Final[dict[str, str]] = {
    "cpu": SUPERVISOR_CONTAINER_LIMITS.default_cpu,
    "memory": SUPERVISOR_CONTAINER_LIMITS.default_memory,
}

QUOTA_KEYS: Final = (
    "requests.nvidia.com/gpu",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "requests.storage",
    "persistentvolumeclaims",
    "pods",
    "services",
)


def quota_hard(tenant: Tenant) -> dict[str, str | int]:
    """The ResourceQuota ``hard`` map of a tenant (§9.4.3), quantities in the user's spelling."""
    return quota_hard_of(tenant.quota)


def quota_hard_of(q: Quota) -> dict[str, str | int]:
    """The ResourceQuota ``hard`` map of one quota config (``QUOTA_KEYS``, in that order)."""
    return {
        "requests.nvidia.com/gpu": int(q.gpu),
        "requests.cpu": q.requests_cpu,
        "requests.memory": q.requests_memory,
        "limits.cpu": q.limits_cpu,
        "limits.memory": q.limits_memory,
        "requests.storage": q.requests_storage,
        "persistentvolumeclaims": int(q.persistent_volume_claims),
        "pods": int(q.pods),
        "services": int(q.services),
    }


def endpoint_gpu_floor(tenant: Tenant, endpoint_gpus: Mapping[str, int]) -> tuple[int, list[str]]:
    """GPUs the endpoints' minimum replicas hold, and the terms (``llama-chat 2 × 1``)."""
    subject = f"tenant '{tenant.name}'"
    total = 0
    terms: list[str] = []
    for i, endpoint in enumerate(tenant.model_endpoints):
        gpus = endpoint.gpus_per_replica or endpoint_gpus.get(endpoint.name)
        if gpus is None or gpus < 1:
            raise ComponentInputError(
                subject,
                f"modelEndpoints[{i}].gpusPerReplica",
                f"is not set for endpoint '{endpoint.name}' and no GPU sizing was passed for it "
                "(endpoint_gpus, from paif_components.estimators.gpu_sizing)",
            )
        total += endpoint.replicas.min * gpus
        terms.append(f"{endpoint.name} {endpoint.replicas.min} × {gpus}")
    return total, terms


@dataclass(frozen=True)
class SupervisorNamespaceArgs:
    """One tenant's namespace on the site's Supervisor.

    ``vm_classes`` maps each GPU VM class name of the workload domain to an Input of it
    (``GpuWorkloadDomain.vm_class_names``), so the namespace depends on the classes it lists;
    ``passthrough_classes`` are rendered as VM Operator objects. ``endpoint_gpus`` gives GPUs
    per replica for endpoints whose config leaves it to sizing.
    """

    tenant: Tenant
    ctx: SiteContext
    content_library_id: pulumi.Input[str]
    vm_classes: Mapping[str, pulumi.Input[str]]
    passthrough_classes: Sequence[GpuVmClass] = ()
    endpoint_gpus: Mapping[str, int] = field(default_factory=dict)
    storage_policy_id: pulumi.Input[str] | None = None
    zone: str | None = None
    shared_zone: str | None = None
    ai_ports: tuple[int, ...] = DEFAULT_AI_PORTS
    database_ports: tuple[int, ...] = DEFAULT_DATABASE_PORTS
    # Who reaches the app tier and where the tiers may go beyond the namespace (paif:network).
    network: NamespaceNetwork = field(default_factory=NamespaceNetwork)
    oidc_group_prefix: str = ""
    # (namespace of the site's Prometheus, serving metrics port): admit its scrapes of ``ai``.
    metrics_scrape: tuple[str, int] | None = None


def validate_supervisor_namespace(args: SupervisorNamespaceArgs) -> None:
    """Reject a namespace its tenant could never work in, before anything is registered."""
    tenant = args.tenant
    subject = f"tenant '{tenant.name}'"
    floor, terms = endpoint_gpu_floor(tenant, args.endpoint_gpus)
    if floor > tenant.quota.gpu:
        raise ComponentInputError(
            subject,
            "quota.gpu",
            f"{tenant.quota.gpu} GPUs is below the {floor} that the endpoints' minimum replicas "
            f"hold ({' + '.join(terms)}); they could never all run (§9.4.3)",
        )
    for cluster in tenant.vks_clusters:
        check_node_pools(tenant, cluster, frozenset(args.vm_classes))
    if tenant.isolation == "cluster" and not tenant.vks_clusters:
        raise ComponentInputError(
            subject,
            "vksClusters",
            "isolation 'cluster' gives the tenant VKS clusters of its own; none is declared",
        )
    if tenant.isolation == "workload-domain":
        if not args.zone:
            raise ComponentInputError(
                subject,
                "isolation",
                "'workload-domain' needs a zone of the tenant's own GPU workload domain; none "
                "was passed (zone)",
            )
        if args.shared_zone and args.zone == args.shared_zone:
            raise ComponentInputError(
                subject,
                "isolation",
                f"'workload-domain' needs its own zone, but '{args.zone}' is the shared "
                "workload domain's zone",
            )
    for name, ports in (
        ("ai_ports", args.ai_ports),
        ("database_ports", args.database_ports),
        ("network.app_ports", args.network.app_ports),
    ):
        if not ports or any(not 1 <= p <= 65535 for p in ports):
            raise ComponentInputError(subject, name, f"{list(ports)} are not TCP ports 1–65535")
    if args.metrics_scrape is not None and not 1 <= args.metrics_scrape[1] <= 65535:
        raise ComponentInputError(
            subject, "metrics_scrape", f"port {args.metrics_scrape[1]} is not a TCP port 1–65535"
        )
    for path, cidr in network_cidrs(args.network):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ComponentInputError(
                subject, path, f"{cidr!r} is not a network such as '10.10.2.0/24'"
            ) from None
    quota = tenant.quota
    for key, have, default in (
        ("limitsCpu", quota.limits_cpu, DEFAULT_LIMIT["cpu"]),
        ("limitsMemory", quota.limits_memory, DEFAULT_LIMIT["memory"]),
    ):
        if quota.pods > 0 and parse_quantity(have) < parse_quantity(default):
            raise ComponentInputError(
                subject,
                f"quota.{key}",
                f"{have} is below the default container limit {default} of the namespace's "
                "LimitRange; not even one pod with default limits would fit",
            )


def namespace_vm_classes(args: SupervisorNamespaceArgs) -> list[pulumi.Input[str]]:
    """VM classes the tenant may use: those its config names, plus GPU classes if it has GPUs."""
    tenant = args.tenant
    named: set[str] = set()
    for cluster in tenant.vks_clusters:
        named.add(cluster.control_plane_vm_class)
        named.update(p.vm_class for p in cluster.node_pools)
    named.update(d.vm_class for d in (*tenant.databases, *tenant.app_databases))
    named.update(e.vm_class for e in tenant.model_endpoints if e.vm_class)
    uses_gpus = tenant.quota.gpu > 0 or any(
        p.gpu for c in tenant.vks_clusters for p in c.node_pools
    )
    out: list[pulumi.Input[str]] = []
    for name in sorted(named | (set(args.vm_classes) if uses_gpus else set())):
        out.append(args.vm_classes.get(name, name))
    return out


class SupervisorNamespace(pulumi.ComponentResource):
    """A tenant's vSphere namespace with its quota, defaults, RBAC and network segmentation."""

    tenant: str
    namespace_name: str
    isolation: str
    zone: str | None
    quota: dict[str, str | int]
    decision: Decision
    namespace: vsphere.Namespace | None

    def __init__(
        self, name: str, args: SupervisorNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_supervisor_namespace, args)
        super().__init__(SUPERVISOR_NAMESPACE_TYPE, name, None, opts)
        ctx, tenant = args.ctx, args.tenant
        self.tenant = tenant.name
        self.namespace_name = tenant.namespace
        self.isolation = tenant.isolation
        self.zone = args.zone
        self.quota = quota_hard(tenant)

        # vSphere Namespaces cannot be imported (pulumi-vsphere 4.18.2): an existing one is
        # referenced, its storage policies, VM classes and libraries left to its owner.
        self.decision = decide(ctx.ownership, "namespaces", tenant.namespace)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self.namespace = None
        if self.decision.managed:
            policy_id = args.storage_policy_id
            if policy_id is None:
                policy_id = vsphere.get_policy_output(name=ctx.site.storage_policy, opts=invoke).id
            self.namespace = vsphere.Namespace(
                f"{name}-namespace",
                name=tenant.namespace,
                supervisor=ctx.site.supervisor.id,
                storage_policies=[policy_id],
                vm_services=[
                    vsphere.NamespaceVmServiceArgs(
                        content_libraries=[args.content_library_id],
                        vm_classes=namespace_vm_classes(args),
                    )
                ],
                opts=pulumi.ResourceOptions(
                    parent=self, protect=ctx.is_production, retain_on_delete=ctx.is_production
                ),
            )
        else:
            vsphere.get_namespace_output(name=tenant.namespace, opts=invoke)
        labels = {
            **ctx.labels,
            TENANT_LABEL: tenant.name,
            ISOLATION_LABEL: tenant.isolation,
        }
        in_namespace = [self.namespace] if self.namespace is not None else []
        k8s_opts = pulumi.ResourceOptions(parent=self, depends_on=in_namespace)

        def meta(object_name: str) -> dict[str, Any]:
            return {
                "name": object_name,
                "namespace": tenant.namespace,
                "labels": dict(labels),
                "annotations": target_annotations(),
            }

        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta(f"{tenant.name}-quota"),
            spec={"hard": self.quota},
            opts=k8s_opts,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta(f"{tenant.name}-limits"),
            spec=limit_range_spec(SUPERVISOR_CONTAINER_LIMITS, tenant.quota),
            opts=k8s_opts,
        )
        scoped = tenant_rbac.role_mode(tenant, ctx.is_production) == "scoped"
        for kind in tenant_rbac.GROUP_KINDS:
            groups = getattr(tenant.oidc_groups, kind)
            if not groups:
                continue
            binding_opts = k8s_opts
            if scoped:
                role = k8s.rbac.v1.Role(
                    f"{name}-{kind}-role",
                    metadata=meta(tenant_rbac.scoped_role_name(tenant, kind)),
                    rules=tenant_rbac.scoped_role_rules(kind),
                    opts=k8s_opts,
                )
                binding_opts = pulumi.ResourceOptions(parent=self, depends_on=[*in_namespace, role])
            k8s.rbac.v1.RoleBinding(
                f"{name}-{kind}",
                metadata=meta(f"{tenant.name}-{kind}"),
                role_ref=tenant_rbac.role_ref(tenant, kind, scoped),
                subjects=tenant_rbac.group_subjects(groups, args.oidc_group_prefix),
                opts=binding_opts,
            )
        for policy in network_policies(args):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy['name']}",
                metadata=meta(policy["name"]),
                spec=policy["spec"],
                opts=k8s_opts,
            )
        k8s.apiextensions.CustomResource(
            f"{name}-segmentation",
            api_version=SECURITY_POLICY_API_VERSION,
            kind="SecurityPolicy",
            metadata=meta(f"{tenant.name}-segmentation"),
            spec=security_policy_spec(args),
            opts=k8s_opts,
        )
        for vm_class in args.passthrough_classes:
            k8s.apiextensions.CustomResource(
                f"{name}-{vm_class.name}",
                api_version=VM_OPERATOR_API_VERSION,
                kind="VirtualMachineClass",
                metadata=meta(vm_class.name),
                spec=vm_class.vm_operator_spec(),
                opts=k8s_opts,
            )
        self.register_outputs(
            {
                "tenant": self.tenant,
                "namespace": self.namespace_name,
                "isolation": self.isolation,
                "zone": self.zone,
                "quota": self.quota,
            }
        )
