"""A tenant's VKS workload cluster as a Cluster API ``Cluster`` on the Supervisor (§9.2.4).

The cluster is a ClusterClass-based ``cluster.x-k8s.io`` ``Cluster`` (``v1beta2`` by default,
``v1beta1`` for older Supervisors) whose ``topology`` points at VKS's builtin generic
ClusterClass in ``vmware-system-vks-public`` and whose ``version`` is a KubernetesRelease
name. The control plane has 3 replicas by default (§9.2.4); each node pool is one
``machineDeployment`` of class ``node-pool``.

ClusterClass variables (builtin-generic-v3.3.0 and later), as Broadcom documents them in the
"ClusterClass Variable Reference" of vSphere Kubernetes Service
(https://developer.broadcom.com/xapis/vmware-vsphere-kubernetes-service/latest/variable-docs.html):

- ``vmClass`` (string, required): VM class of the nodes; set cluster-wide to the control
  plane's class and overridden per node pool.
- ``storageClass`` (string, required): storage class of the node root disks.
- ``volumes`` (list of ``{name, mountPath, storageClass, capacity}``): extra node disks; GPU
  pools get a ``/var/lib/containerd`` disk sized by ``NodePool.containerdVolume`` so large
  model images fit (§9.5.3 cache images on nodes).
- ``node`` (``{labels: {...}, taints: [{key, value, effect}]}``): node labels and taints; GPU
  pools carry ``nvidia.com/gpu=present:NoSchedule`` so only pods that request GPUs land there.

(builtin-generic-v3.1.0 and the legacy ``tanzukubernetescluster`` class spell the last two
``nodePoolVolumes``/``nodePoolTaints``; this module targets v3.3.0+.)

A pool with ``minReplicas``/``maxReplicas`` gets the cluster-autoscaler annotations
``cluster.x-k8s.io/cluster-api-autoscaler-node-group-{min,max}-size`` and no ``replicas``
(Cluster API leaves the count to the autoscaler when it is unset).

Workloads in the cluster are deployed through a Kubernetes provider built from the
``<cluster>-kubeconfig`` Secret that Cluster API writes next to the Cluster in the Supervisor
namespace; the kubeconfig is a Pulumi secret end to end. The Cluster carries the
``pulumi.com/waitFor`` annotation (pulumi-kubernetes ≥ 4.18 user-defined await logic) so
``pulumi up`` reads that Secret only once the cluster is available.

Label conventions (shared with ``paif_components.tenant_namespace``): node pools carry
``paif.vmware.com/tier: app`` and ``paif.vmware.com/tenant``; the tenant's network policies
let the ``app`` tier reach the AI services tier only.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_components.errors import ComponentInputError
from paif_components.validation import validate_unless_done

if TYPE_CHECKING:  # annotations only (the policy pack reads AUTOSCALER_MIN from here)
    from paif_components.config.models import NodePool, Tenant
    from paif_components.config.models import VksCluster as VksClusterConfig

VKS_CLUSTER_TYPE: Final = tokens.PAIF_VKS_CLUSTER

# VKS publishes its builtin ClusterClasses in this namespace (Broadcom VKS documentation).
CLUSTER_CLASS_NAMESPACE: Final = "vmware-system-vks-public"
# Newest builtin generic class with the v3.3+ variable schema used here; override per Supervisor.
DEFAULT_CLUSTER_CLASS: Final = "builtin-generic-v3.4.0"
# Worker class defined by the builtin generic ClusterClass.
WORKER_CLASS: Final = "node-pool"
# VKS accepts 1 or 3 control plane nodes; §9.2.4 production uses 3.
ALLOWED_CONTROL_PLANE_REPLICAS: Final = frozenset({1, 3})

AUTOSCALER_MIN: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
# pulumi-kubernetes user-defined await (pulumi/pulumi-kubernetes#3134): Cluster conditions.
WAIT_FOR_ANNOTATION: Final = "pulumi.com/waitFor"
READY_CONDITION: Final[dict[str, str]] = {
    "cluster.x-k8s.io/v1beta2": "condition=Available",
    "cluster.x-k8s.io/v1beta1": "condition=Ready",
}
# Cluster API writes the workload cluster's admin kubeconfig here, key ``value``.
KUBECONFIG_SECRET_SUFFIX: Final = "-kubeconfig"
KUBECONFIG_SECRET_KEY: Final = "value"

GPU_TAINT: Final[dict[str, str]] = {
    "key": "nvidia.com/gpu",
    "value": "present",
    "effect": "NoSchedule",
}
CONTAINERD_MOUNT_PATH: Final = "/var/lib/containerd"

TIER_LABEL: Final = "paif.vmware.com/tier"
NODE_POOL_LABEL: Final = "paif.vmware.com/node-pool"
APP_TIER: Final = "app"
# VKS clusters are created for a KubernetesRelease; provisioning takes tens of minutes.
CREATE_TIMEOUT: Final = "60m"


def storage_class_slug(storage_policy: str) -> str:
    """The Kubernetes storage class a Supervisor derives from a vSphere storage policy name.

    ``vSAN Default Storage Policy`` → ``vsan-default-storage-policy``; empty when the name has
    no ASCII letter or digit (``storage_class_name`` refuses that).
    """
    return re.sub(r"[^a-z0-9]+", "-", storage_policy.lower()).strip("-")


def storage_class_name(storage_policy: str) -> str:
    """``storage_class_slug``, refusing a policy name that gives no class name."""
    slug = storage_class_slug(storage_policy)
    if not slug:
        raise ValueError(f"storage policy {storage_policy!r} gives no storage class name")
    return slug


def cluster_path(tenant: Tenant, cluster: VksClusterConfig) -> str:
    """Config path of a cluster inside its tenant (``vksClusters[0]``)."""
    for i, declared in enumerate(tenant.vks_clusters):
        if declared.name == cluster.name:
            return f"vksClusters[{i}]"
    return f"vksClusters[{cluster.name}]"


def check_node_pools(
    tenant: Tenant, cluster: VksClusterConfig, gpu_vm_classes: Collection[str]
) -> None:
    """Reject pools the workload domain cannot serve or Cluster API would refuse."""
    subject = f"tenant '{tenant.name}'"
    base = cluster_path(tenant, cluster)
    known = ", ".join(sorted(gpu_vm_classes)) or "none"
    for j, pool in enumerate(cluster.node_pools):
        path = f"{base}.nodePools[{j}]"
        if pool.gpu and pool.vm_class not in gpu_vm_classes:
            raise ComponentInputError(
                subject,
                f"{path}.vmClass",
                f"GPU pool '{pool.name}' names VM class '{pool.vm_class}', which the GPU workload "
                f"domain does not create (its GPU classes: {known})",
            )
        if not pool.gpu and pool.vm_class in gpu_vm_classes:
            raise ComponentInputError(
                subject,
                f"{path}.gpu",
                f"pool '{pool.name}' uses GPU VM class '{pool.vm_class}' but is not marked "
                "gpu: true, so its nodes would lack the nvidia.com/gpu taint",
            )
        if pool.replicas is None:
            low, high = pool.min_replicas, pool.max_replicas
            if low is None or high is None:
                raise ComponentInputError(
                    subject, f"{path}.minReplicas", "minReplicas and maxReplicas go together"
                )
            if high < low:
                raise ComponentInputError(
                    subject, f"{path}.maxReplicas", f"{high} is below minReplicas {low}"
                )


@dataclass(frozen=True)
class VksClusterArgs:
    """One VKS cluster of a tenant.

    ``gpu_vm_classes`` are the GPU VM class names the workload domain creates (a GPU pool must
    use one). ``zone`` is the vSphere Zone (Cluster API failure domain) every node pool is
    pinned to, for tenants isolated on their own workload domain (§9.4.2).
    """

    tenant: Tenant
    cluster: VksClusterConfig
    ctx: SiteContext
    gpu_vm_classes: frozenset[str]
    namespace: str | None = None
    storage_class: str | None = None
    cluster_class: str = DEFAULT_CLUSTER_CLASS
    zone: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def supervisor_namespace(self) -> str:
        return self.namespace or self.tenant.namespace

    @property
    def resolved_storage_class(self) -> str:
        return self.storage_class or storage_class_name(self.ctx.site.storage_policy)


def validate_vks_cluster(args: VksClusterArgs) -> None:
    """Everything Cluster API or the Supervisor would reject later, checked up front."""
    subject = f"tenant '{args.tenant.name}'"
    base = cluster_path(args.tenant, args.cluster)
    replicas = args.cluster.control_plane_replicas
    if replicas not in ALLOWED_CONTROL_PLANE_REPLICAS:
        raise ComponentInputError(
            subject,
            f"{base}.controlPlaneReplicas",
            f"{replicas} is not a control plane size VKS supports (1 or 3; §9.2.4 uses 3)",
        )
    check_node_pools(args.tenant, args.cluster, args.gpu_vm_classes)
    if args.zone is not None and not args.zone.strip():
        raise ComponentInputError(subject, f"{base}.zone", "is empty")


def _variable(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value}


def _pool_overrides(pool: NodePool, storage_class: str) -> list[dict[str, Any]]:
    overrides = [_variable("vmClass", pool.vm_class)]
    wants_volume = pool.gpu or "containerd_volume" in pool.model_fields_set
    if wants_volume:
        overrides.append(
            _variable(
                "volumes",
                [
                    {
                        "name": "containerd",
                        "mountPath": CONTAINERD_MOUNT_PATH,
                        "storageClass": storage_class,
                        "capacity": pool.containerd_volume,
                    }
                ],
            )
        )
    node: dict[str, Any] = {"labels": {NODE_POOL_LABEL: pool.name}}
    if pool.gpu:
        node["taints"] = [dict(GPU_TAINT)]
    overrides.append(_variable("node", node))
    return overrides


def render_cluster(args: VksClusterArgs) -> dict[str, Any]:
    """The Cluster object (apiVersion, kind, metadata, spec) the component registers."""
    config = args.cluster
    api_version = config.api_version
    storage_class = args.resolved_storage_class
    tier_labels = {TIER_LABEL: APP_TIER, TENANT_LABEL: args.tenant.name}
    deployments: list[dict[str, Any]] = []
    for pool in config.node_pools:
        metadata: dict[str, Any] = {"labels": {**tier_labels, NODE_POOL_LABEL: pool.name}}
        deployment: dict[str, Any] = {"class": WORKER_CLASS, "name": pool.name}
        if pool.replicas is not None:
            deployment["replicas"] = int(pool.replicas)
        else:
            metadata["annotations"] = {
                AUTOSCALER_MIN: str(pool.min_replicas),
                AUTOSCALER_MAX: str(pool.max_replicas),
            }
        deployment["metadata"] = metadata
        if args.zone:
            deployment["failureDomain"] = args.zone
        deployment["variables"] = {"overrides": _pool_overrides(pool, storage_class)}
        deployments.append(deployment)

    topology: dict[str, Any] = {}
    if api_version == "cluster.x-k8s.io/v1beta2":
        topology["classRef"] = {"name": args.cluster_class, "namespace": CLUSTER_CLASS_NAMESPACE}
    else:
        topology["class"] = args.cluster_class
        topology["classNamespace"] = CLUSTER_CLASS_NAMESPACE
    topology["version"] = config.kubernetes_release
    topology["controlPlane"] = {
        "replicas": int(config.control_plane_replicas),
        "metadata": {"labels": dict(tier_labels)},
    }
    topology["workers"] = {"machineDeployments": deployments}
    topology["variables"] = [
        _variable("vmClass", config.control_plane_vm_class),
        _variable("storageClass", storage_class),
    ]
    return {
        "apiVersion": api_version,
        "kind": "Cluster",
        "metadata": {
            "name": config.name,
            "namespace": args.supervisor_namespace,
            "labels": {**args.ctx.labels, **tier_labels, **dict(args.labels)},
            "annotations": {
                WAIT_FOR_ANNOTATION: READY_CONDITION[api_version],
                **target_annotations(),
            },
        },
        "spec": {"topology": topology},
    }


def _decode_kubeconfig(data: Mapping[str, str] | None) -> str:
    if not data or KUBECONFIG_SECRET_KEY not in data:
        raise ValueError(f"the kubeconfig Secret has no '{KUBECONFIG_SECRET_KEY}' key")
    return base64.b64decode(data[KUBECONFIG_SECRET_KEY]).decode()


class VksCluster(pulumi.ComponentResource):
    """A VKS cluster on the Supervisor and a Kubernetes provider for deploying into it."""

    name: str
    namespace: str
    api_version: str
    worker_nodes_min: int
    worker_nodes_max: int
    gpu_nodes_max: int
    cluster: k8s.apiextensions.CustomResource
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(
        self, name: str, args: VksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_vks_cluster, args)
        super().__init__(VKS_CLUSTER_TYPE, name, None, opts)
        config = args.cluster
        self.name = config.name
        self.namespace = args.supervisor_namespace
        self.api_version = config.api_version
        self.worker_nodes_min = sum(p.floor for p in config.node_pools)
        self.worker_nodes_max = sum(p.ceiling for p in config.node_pools)
        self.gpu_nodes_max = sum(p.ceiling for p in config.node_pools if p.gpu)

        body = render_cluster(args)
        self.cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version=body["apiVersion"],
            kind=body["kind"],
            metadata=body["metadata"],
            spec=body["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                custom_timeouts=pulumi.CustomTimeouts(create=CREATE_TIMEOUT, update=CREATE_TIMEOUT),
            ),
        )

        secret_name = f"{config.name}{KUBECONFIG_SECRET_SUFFIX}"
        namespace = self.namespace
        secret = k8s.core.v1.Secret.get(
            f"{name}-kubeconfig",
            # Read only once the Cluster exists (its id is known), so a preview of a new
            # cluster does not look for a Secret Cluster API has not written yet.
            id=self.cluster.id.apply(lambda _: f"{namespace}/{secret_name}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]),
        )
        self.kubeconfig = pulumi.Output.secret(secret.data.apply(_decode_kubeconfig))
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "clusterName": self.name,
                "namespace": self.namespace,
                "apiVersion": self.api_version,
                "workerNodesMin": self.worker_nodes_min,
                "workerNodesMax": self.worker_nodes_max,
                "gpuNodesMax": self.gpu_nodes_max,
                "kubeconfig": self.kubeconfig,
            }
        )
