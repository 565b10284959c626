"""VksCluster under the plan's mocks: the exact Cluster body, CRD validity, kubeconfig secrecy."""

from __future__ import annotations

import base64
import functools
from typing import Any

import pulumi
import pytest

from paif_cli.offline.kubernetes import offline_kubeconfig
from paif_components.config import StackConfig
from paif_components.config.models import NodePool, Tenant
from paif_components.config.models import VksCluster as VksClusterConfig
from paif_components.context import SiteContext
from paif_components.errors import ComponentInputError
from paif_components.vks_cluster import (
    VksCluster,
    VksClusterArgs,
    render_cluster,
    storage_class_name,
)
from tests.support.programs import by_name, registered_before_error
from tests.support.schema_validation import manifest, validate_crd_object
from tests.support.stacks import load_stack, site_context

GPU_CLASSES = frozenset({"vgpu-a100-80c", "vgpu-a100-80c-x2", "vgpu-a100-80c-x4", "vgpu-a100-40c"})
COMMON_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "paif.vmware.com/environment": "prod",
    "paif.vmware.com/site": "seoul-primary",
}


@functools.cache
def prod() -> StackConfig:
    return load_stack()


def context() -> SiteContext:
    return site_context(prod())


def marketing(**cluster_changes: Any) -> tuple[Tenant, VksClusterConfig]:
    tenant = prod().tenants[0]
    cluster = tenant.vks_clusters[0].model_copy(update=cluster_changes)
    return tenant.model_copy(update={"vks_clusters": [cluster]}), cluster


def args_for(**cluster_changes: Any) -> VksClusterArgs:
    tenant, cluster = marketing(**cluster_changes)
    return VksClusterArgs(tenant=tenant, cluster=cluster, ctx=context(), gpu_vm_classes=GPU_CLASSES)


EXPECTED_V1BETA2 = {
    "apiVersion": "cluster.x-k8s.io/v1beta2",
    "kind": "Cluster",
    "metadata": {
        "name": "marketing-apps",
        "namespace": "marketing-ns",
        "labels": {
            **COMMON_LABELS,
            "paif.vmware.com/tenant": "marketing",
            "paif.vmware.com/tier": "app",
        },
        "annotations": {
            "pulumi.com/waitFor": "condition=Available",
            "paif.vmware.com/target": "supervisor",
        },
    },
    "spec": {
        "topology": {
            "classRef": {
                "name": "builtin-generic-v3.4.0",
                "namespace": "vmware-system-vks-public",
            },
            "version": "v1.33.1---vmware.1-fips-vkr.2",
            "controlPlane": {
                "replicas": 3,
                "metadata": {
                    "labels": {"paif.vmware.com/tenant": "marketing", "paif.vmware.com/tier": "app"}
                },
            },
            "workers": {
                "machineDeployments": [
                    {
                        "class": "node-pool",
                        "name": "workers",
                        "replicas": 3,
                        "metadata": {
                            "labels": {
                                "paif.vmware.com/tenant": "marketing",
                                "paif.vmware.com/tier": "app",
                                "paif.vmware.com/node-pool": "workers",
                            }
                        },
                        "variables": {
                            "overrides": [
                                {"name": "vmClass", "value": "best-effort-large"},
                                {
                                    "name": "node",
                                    "value": {"labels": {"paif.vmware.com/node-pool": "workers"}},
                                },
                            ]
                        },
                    },
                    {
                        "class": "node-pool",
                        "name": "gpu",
                        "metadata": {
                            "labels": {
                                "paif.vmware.com/tenant": "marketing",
                                "paif.vmware.com/tier": "app",
                                "paif.vmware.com/node-pool": "gpu",
                            },
                            "annotations": {
                                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "2",
                                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "4",
                            },
                        },
                        "variables": {
                            "overrides": [
                                {"name": "vmClass", "value": "vgpu-a100-40c"},
                                {
                                    "name": "volumes",
                                    "value": [
                                        {
                                            "name": "containerd",
                                            "mountPath": "/var/lib/containerd",
                                            "storageClass": "vsan-default-storage-policy",
                                            "capacity": "100Gi",
                                        }
                                    ],
                                },
                                {
                                    "name": "node",
                                    "value": {
                                        "labels": {"paif.vmware.com/node-pool": "gpu"},
                                        "taints": [
                                            {
                                                "key": "nvidia.com/gpu",
                                                "value": "present",
                                                "effect": "NoSchedule",
                                            }
                                        ],
                                    },
                                },
                            ]
                        },
                    },
                ]
            },
            "variables": [
                {"name": "vmClass", "value": "best-effort-medium"},
                {"name": "storageClass", "value": "vsan-default-storage-policy"},
            ],
        }
    },
}


def test_cluster_body_is_exactly_the_declared_topology_and_validates(run_pulumi):
    args = args_for()
    result = run_pulumi(lambda: VksCluster("mk", args), stack="prod")
    cluster = by_name(result.resources)["mk-cluster"]
    assert cluster.type == "kubernetes:cluster.x-k8s.io/v1beta2:Cluster"
    assert cluster.inputs == EXPECTED_V1BETA2
    validate_crd_object(manifest(cluster.inputs))


def test_v1beta1_for_older_supervisors_names_the_class_and_validates(run_pulumi):
    args = args_for(api_version="cluster.x-k8s.io/v1beta1")
    result = run_pulumi(lambda: VksCluster("mk", args), stack="prod")
    cluster = by_name(result.resources)["mk-cluster"]
    topology = cluster.inputs["spec"]["topology"]
    assert cluster.type == "kubernetes:cluster.x-k8s.io/v1beta1:Cluster"
    assert cluster.inputs["apiVersion"] == "cluster.x-k8s.io/v1beta1"
    assert topology["class"] == "builtin-generic-v3.4.0"
    assert topology["classNamespace"] == "vmware-system-vks-public"
    assert "classRef" not in topology
    assert cluster.inputs["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "condition=Ready",
        "paif.vmware.com/target": "supervisor",
    }
    expected = EXPECTED_V1BETA2["spec"]["topology"]
    for key in ("version", "controlPlane", "workers", "variables"):
        assert topology[key] == expected[key]
    validate_crd_object(manifest(cluster.inputs))


def test_a_misspelt_field_would_not_validate():
    body = render_cluster(args_for())
    body["spec"]["topology"]["workers"]["machineDeployments"][0]["replica"] = 3
    with pytest.raises(AssertionError, match=r"machineDeployments\[0\]: Additional properties"):
        validate_crd_object(body)


def test_zone_pins_every_node_pool_and_attributes_count_nodes(run_pulumi):
    tenant, cluster = marketing()
    args = VksClusterArgs(
        tenant=tenant,
        cluster=cluster,
        ctx=context(),
        gpu_vm_classes=GPU_CLASSES,
        zone="marketing-zone",
    )
    built: list[VksCluster] = []
    result = run_pulumi(lambda: built.append(VksCluster("mk", args)), stack="prod")
    body = by_name(result.resources)["mk-cluster"].inputs
    deployments = body["spec"]["topology"]["workers"]["machineDeployments"]
    assert [d["failureDomain"] for d in deployments] == ["marketing-zone", "marketing-zone"]
    validate_crd_object(body)
    vks = built[0]
    assert (vks.worker_nodes_min, vks.worker_nodes_max, vks.gpu_nodes_max) == (5, 7, 4)
    assert (vks.name, vks.namespace) == ("marketing-apps", "marketing-ns")


def test_cpu_pool_gets_a_containerd_volume_only_when_configured():
    pool = NodePool(
        name="big", vm_class="best-effort-xlarge", replicas=3, containerd_volume="200Gi"
    )
    body = render_cluster(args_for(node_pools=[pool]))
    overrides = body["spec"]["topology"]["workers"]["machineDeployments"][0]["variables"][
        "overrides"
    ]
    assert overrides[1] == {
        "name": "volumes",
        "value": [
            {
                "name": "containerd",
                "mountPath": "/var/lib/containerd",
                "storageClass": "vsan-default-storage-policy",
                "capacity": "200Gi",
            }
        ],
    }
    plain = NodePool(name="plain", vm_class="best-effort-large", replicas=3)
    body = render_cluster(args_for(node_pools=[plain]))
    names = [
        o["name"]
        for o in body["spec"]["topology"]["workers"]["machineDeployments"][0]["variables"][
            "overrides"
        ]
    ]
    assert names == ["vmClass", "node"]


def test_kubeconfig_stays_secret_and_feeds_the_workload_provider(run_pulumi):
    args = args_for()

    def program() -> None:
        vks = VksCluster("mk", args)
        pulumi.export("kubeconfig", vks.kubeconfig)

    result = run_pulumi(program, stack="prod")
    records = by_name(result.resources)
    assert result.outputs == {"kubeconfig": "[secret]"}
    assert result.secret_outputs == ["kubeconfig"]
    assert result.raw_outputs["kubeconfig"] == offline_kubeconfig("marketing-ns", "marketing-apps")
    read = records["mk-kubeconfig"]
    assert read.inputs == {"__read": "marketing-ns/marketing-apps-kubeconfig"}
    provider = records["mk-provider"]
    assert provider.type == "pulumi:providers:kubernetes"
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.secret_paths == ["kubeconfig"]
    assert provider.parent == records["mk"].urn
    assert records["mk-cluster"].parent == records["mk"].urn


def test_offline_kubeconfig_secret_is_base64_of_the_document():
    from paif_cli.offline.kubernetes import COMPUTED

    class Args:
        resource_id = "marketing-ns/marketing-apps-kubeconfig"
        inputs: dict[str, Any] = {}  # noqa: RUF012

    data = COMPUTED["kubernetes:core/v1:Secret"](Args())["data"]["value"]
    assert base64.b64decode(data).decode() == offline_kubeconfig("marketing-ns", "marketing-apps")

    class Registered(Args):
        inputs = {"metadata": {"name": "x"}}  # noqa: RUF012

    assert COMPUTED["kubernetes:core/v1:Secret"](Registered()) == {}


def test_gpu_pool_with_a_class_the_domain_lacks_fails_before_registration():
    tenant, cluster = marketing()
    args = VksClusterArgs(
        tenant=tenant,
        cluster=cluster,
        ctx=context(),
        gpu_vm_classes=frozenset({"vgpu-a100-80c"}),
    )
    error, records = registered_before_error(lambda: VksCluster("mk", args))
    assert str(error) == (
        "tenant 'marketing': vksClusters[0].nodePools[1].vmClass: GPU pool 'gpu' names VM "
        "class 'vgpu-a100-40c', which the GPU workload domain does not create (its GPU "
        "classes: vgpu-a100-80c)"
    )
    assert records == []


def test_gpu_class_on_a_pool_not_marked_gpu_is_rejected():
    pool = NodePool(name="sneaky", vm_class="vgpu-a100-40c", replicas=2)
    with pytest.raises(ComponentInputError) as info:
        VksCluster("mk", args_for(node_pools=[pool]))
    assert info.value.field == "vksClusters[0].nodePools[0].gpu"
    assert "nvidia.com/gpu taint" in info.value.message


def test_gpu_pool_with_max_below_min_is_rejected_by_config_and_component():
    with pytest.raises(ValueError, match="3 is below minReplicas 4"):
        NodePool(name="gpu", vm_class="vgpu-a100-40c", gpu=True, min_replicas=4, max_replicas=3)
    pool = NodePool.model_construct(
        name="gpu",
        vm_class="vgpu-a100-40c",
        gpu=True,
        replicas=None,
        min_replicas=4,
        max_replicas=3,
        containerd_volume="100Gi",
    )
    args = args_for(node_pools=[pool])
    error, records = registered_before_error(lambda: VksCluster("mk", args))
    assert str(error) == (
        "tenant 'marketing': vksClusters[0].nodePools[0].maxReplicas: 3 is below minReplicas 4"
    )
    assert records == []


def test_control_plane_of_two_is_not_a_vks_size():
    with pytest.raises(ComponentInputError) as info:
        VksCluster("mk", args_for(control_plane_replicas=2))
    assert str(info.value) == (
        "tenant 'marketing': vksClusters[0].controlPlaneReplicas: 2 is not a control plane "
        "size VKS supports (1 or 3; §9.2.4 uses 3)"
    )


def test_storage_class_name_follows_the_supervisor_naming():
    assert storage_class_name("vSAN Default Storage Policy") == "vsan-default-storage-policy"
    assert storage_class_name("Gold_Tier (NVMe)") == "gold-tier-nvme"
    with pytest.raises(ValueError):
        storage_class_name("***")
