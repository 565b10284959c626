"""SupervisorNamespace under the plan's mocks: quota, RBAC, segmentation, isolation, errors."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import pytest

from paif_cli.mock_runtime import ResourceRecord
from paif_cli.offline.vsphere import INVOKES
from paif_components.config import StackConfig
from paif_components.config.models import Tenant
from paif_components.constants import MARKETING_QUOTA
from paif_components.context import SiteContext
from paif_components.errors import ComponentInputError
from paif_components.tenant_namespace import (
    SupervisorNamespace,
    SupervisorNamespaceArgs,
    quota_hard,
)
from paif_components.tenant_network import Egress, NamespaceNetwork, Route
from paif_components.tenant_rbac import scoped_role_rules
from paif_components.workload_domain import GpuWorkloadDomain, GpuWorkloadDomainArgs
from tests.support.programs import registered_before_error
from tests.support.schema_validation import manifest, validate_core_object, validate_crd_object
from tests.support.stacks import load_stack, site_context

GPU_CLASSES = {
    name: name
    for name in ("vgpu-a100-80c", "vgpu-a100-80c-x2", "vgpu-a100-80c-x4", "vgpu-a100-40c")
}
LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "paif.vmware.com/environment": "prod",
    "paif.vmware.com/site": "seoul-primary",
    "paif.vmware.com/tenant": "marketing",
    "paif.vmware.com/isolation": "namespace",
}
TIER = "paif.vmware.com/tier"


@functools.cache
def prod() -> StackConfig:
    return load_stack()


def context() -> SiteContext:
    return site_context(prod())


def tenant(name: str = "marketing", **changes: Any) -> Tenant:
    found = next(t for t in prod().tenants if t.name == name)
    return found.model_copy(update=changes)


def args_for(t: Tenant | None = None, **kw: Any) -> SupervisorNamespaceArgs:
    defaults: dict[str, Any] = {
        "content_library_id": "library-1",
        "vm_classes": GPU_CLASSES,
        "endpoint_gpus": {"embeddings": 1},
    }
    return SupervisorNamespaceArgs(tenant=t or tenant(), ctx=context(), **{**defaults, **kw})


def plan(run_pulumi: Any, args: SupervisorNamespaceArgs) -> dict[str, ResourceRecord]:
    result = run_pulumi(lambda: SupervisorNamespace("mk", args), stack="prod")
    return {r.name: r for r in result.resources}


def policy_id(name: str) -> str:
    class Call:
        token = "vsphere:index/getPolicy:getPolicy"
        args = {"name": name}  # noqa: RUF012

    return INVOKES[Call.token](Call())["id"]


def test_marketing_quota_renders_exactly_the_section_9_4_3_example(run_pulumi):
    records = plan(run_pulumi, args_for())
    quota = records["mk-quota"]
    assert quota.inputs == {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": "marketing-quota",
            "namespace": "marketing-ns",
            "labels": LABELS,
            "annotations": {"paif.vmware.com/target": "supervisor"},
        },
        "spec": {"hard": MARKETING_QUOTA},
    }
    assert quota_hard(tenant()) == MARKETING_QUOTA
    validate_core_object(manifest(quota.inputs))


def test_vsphere_namespace_has_policies_classes_and_library_and_is_protected(run_pulumi):
    records = plan(run_pulumi, args_for())
    namespace = records["mk-namespace"]
    assert namespace.type == "vsphere:index/namespace:Namespace"
    assert namespace.inputs == {
        "name": "marketing-ns",
        "supervisor": "domain-c10",
        "storagePolicies": [policy_id("vSAN Default Storage Policy")],
        "vmServices": [
            {
                "contentLibraries": ["library-1"],
                "vmClasses": [
                    "best-effort-large",
                    "best-effort-medium",
                    "vgpu-a100-40c",
                    "vgpu-a100-80c",
                    "vgpu-a100-80c-x2",
                    "vgpu-a100-80c-x4",
                ],
            }
        ],
    }
    assert (namespace.protect, namespace.retain_on_delete) == (True, True)
    for record in records.values():
        if record.type.startswith("kubernetes:"):
            assert namespace.urn in record.depends_on
            assert record.parent == records["mk"].urn


def test_namespace_lists_the_domain_classes_it_depends_on(run_pulumi):
    def program() -> None:
        domain = GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=context()))
        SupervisorNamespace(
            "mk",
            args_for(
                content_library_id=domain.content_library_id,
                vm_classes=domain.vm_class_names,
            ),
        )

    records = {r.name: r for r in run_pulumi(program, stack="prod").resources}
    services = records["mk-namespace"].inputs["vmServices"][0]
    assert services["contentLibraries"] == ["wd-dlvm-library-id"]
    assert "vgpu-a100-40c" in services["vmClasses"]
    assert records["wd-vgpu-a100-40c"].urn in records["mk-namespace"].depends_on


def test_tenant_without_gpus_gets_no_gpu_classes(run_pulumi):
    hr = tenant("hr")
    records = plan(
        run_pulumi,
        args_for(hr.model_copy(update={"quota": hr.quota.model_copy(update={"gpu": 0})})),
    )
    assert records["mk-namespace"].inputs["vmServices"][0]["vmClasses"] == []


def test_limit_range_bounds_containers_between_a_floor_and_the_tenant_quota(run_pulumi):
    records = plan(run_pulumi, args_for())
    assert records["mk-limits"].inputs["spec"] == {
        "limits": [
            {
                "type": "Container",
                "min": {"cpu": "10m", "memory": "16Mi"},
                # The marketing quota's limits.cpu / limits.memory (§9.4.3).
                "max": {"cpu": MARKETING_QUOTA["limits.cpu"], "memory": "256Gi"},
                "default": {"cpu": "1", "memory": "1Gi"},
                "defaultRequest": {"cpu": "500m", "memory": "512Mi"},
            }
        ]
    }
    validate_core_object(manifest(records["mk-limits"].inputs))


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def _group(name: str) -> list[dict[str, str]]:
    return [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}]


def _bindings(records: dict[str, ResourceRecord]) -> dict[str, tuple[dict[str, str], Any]]:
    return {
        r.inputs["metadata"]["name"]: (r.inputs["roleRef"], r.inputs["subjects"])
        for r in records.values()
        if r.type.endswith(":RoleBinding")
    }


def test_production_binds_oidc_groups_to_the_scoped_roles(run_pulumi):
    records = plan(run_pulumi, args_for(oidc_group_prefix="oidc:"))
    assert _bindings(records) == {
        "marketing-admin": (_ref("Role", "marketing-admin"), _group("oidc:marketing-admins")),
        "marketing-edit": (_ref("Role", "marketing-edit"), _group("oidc:marketing-developers")),
        "marketing-view": (_ref("Role", "marketing-view"), _group("oidc:marketing-analysts")),
    }
    roles = {r.name: r for r in records.values() if r.type.endswith(":Role")}
    assert sorted(roles) == ["mk-admin-role", "mk-edit-role", "mk-view-role"]
    for kind in ("admin", "edit", "view"):
        declared = roles[f"mk-{kind}-role"]
        assert declared.inputs["metadata"]["name"] == f"marketing-{kind}"
        assert declared.inputs["metadata"]["namespace"] == "marketing-ns"
        assert declared.inputs["rules"] == scoped_role_rules(kind)
        assert declared.urn in records[f"mk-{kind}"].depends_on
        validate_core_object(manifest(declared.inputs))

    def grants(kind: str) -> set[tuple[str, str, str]]:
        return {
            (group, resource, verb)
            for rule in scoped_role_rules(kind)
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }

    # view reads; edit adds container logs; admin adds pod eviction. Nothing writes, nothing
    # reads Secrets.
    assert grants("edit") - grants("view") == {("", "pods/log", "get")}
    assert grants("admin") - grants("edit") == {("", "pods/eviction", "create")}
    assert {verb for _, _, verb in grants("view")} == {"get", "list", "watch"}
    assert not any(resource == "secrets" for _, resource, _ in grants("admin"))
    assert ("pais.vmware.com", "modelendpoints", "list") in grants("view")
    hr_records = plan(run_pulumi, args_for(tenant("hr", model_endpoints=[])))
    assert sorted(_bindings(hr_records)) == ["hr-admin", "hr-view"]
    assert sorted(r.name for r in hr_records.values() if r.type.endswith(":Role")) == [
        "mk-admin-role",
        "mk-view-role",
    ]


@pytest.mark.parametrize(
    ("environment", "roles"), [("dev", None), ("staging", None), ("prod", "builtin")]
)
def test_builtin_cluster_roles_outside_production_or_when_asked(
    run_pulumi, environment: str, roles: str | None
):
    args = args_for(tenant(roles=roles), oidc_group_prefix="oidc:")
    args = dataclasses.replace(args, ctx=dataclasses.replace(args.ctx, environment=environment))
    records = plan(run_pulumi, args)
    assert _bindings(records) == {
        "marketing-admin": (_ref("ClusterRole", "admin"), _group("oidc:marketing-admins")),
        "marketing-edit": (_ref("ClusterRole", "edit"), _group("oidc:marketing-developers")),
        "marketing-view": (_ref("ClusterRole", "view"), _group("oidc:marketing-analysts")),
    }
    assert not [r for r in records.values() if r.type.endswith(":Role")]


def test_scoped_roles_can_be_asked_for_outside_production(run_pulumi):
    args = args_for(tenant(roles="scoped"))
    args = dataclasses.replace(args, ctx=dataclasses.replace(args.ctx, environment="dev"))
    records = plan(run_pulumi, args)
    assert {ref["kind"] for ref, _ in _bindings(records).values()} == {"Role"}


EDGE = NamespaceNetwork(app_ports=(8443,), edge_cidrs=("10.10.0.32/28",))
EGRESS = Egress(
    dns_servers=("10.10.0.2/32",),
    ai=(Route("harbor", ("10.10.5.10/32",)), Route("api-docs", ("10.30.4.0/24",), (443, 8443))),
    data=(Route("backup-s3", ("10.20.8.0/24",)),),
)


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def tier(name: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {TIER: name}}}


def policies_of(records: dict[str, ResourceRecord]) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in records.values()
        if r.type.endswith(":NetworkPolicy")
    }


DNS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def test_default_deny_and_the_allowed_flows_app_to_ai_to_data(run_pulumi):
    network = dataclasses.replace(EDGE, egress=EGRESS)
    records = plan(run_pulumi, args_for(network=network))
    policies = policies_of(records)
    assert set(policies) == {
        "default-deny",
        "allow-dns",
        "allow-app",
        "allow-ai",
        "allow-data",
        # marketing declares an app database (§9.3.2 item 4): the app tier reaches it alone.
        "allow-app-to-app-data",
        "allow-app-data-from-app",
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    # DNS to the cluster's resolver: CoreDNS pods and the declared DNS servers, nothing else.
    assert policies["allow-dns"]["egress"] == [
        {
            "to": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                    },
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                },
                {"ipBlock": {"cidr": "10.10.0.2/32"}},
            ],
            "ports": DNS,
        }
    ]
    # The app tier admits the edge's addresses and its own tier, both on the app ports only.
    assert policies["allow-app"] == {
        "podSelector": {"matchLabels": {TIER: "app"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.10.0.32/28"}}], "ports": tcp(8443)},
            {"from": [tier("app")], "ports": tcp(8443)},
        ],
        "egress": [
            {"to": [tier("ai")], "ports": tcp(443)},
            {"to": [tier("app")], "ports": tcp(8443)},
        ],
    }
    # Within the AI tier: the gateway port and the replicas' serving port (8000).
    assert policies["allow-ai"] == {
        "podSelector": {"matchLabels": {TIER: "ai"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {"from": [tier("app")], "ports": tcp(443)},
            {"from": [tier("ai")], "ports": tcp(443, 8000)},
        ],
        "egress": [
            {"to": [tier("data")], "ports": tcp(5432)},
            {"to": [tier("ai")], "ports": tcp(443, 8000)},
            {"to": [{"ipBlock": {"cidr": "10.10.5.10/32"}}], "ports": tcp(443)},
            {"to": [{"ipBlock": {"cidr": "10.30.4.0/24"}}], "ports": tcp(443, 8443)},
        ],
    }
    assert policies["allow-data"] == {
        "podSelector": {"matchLabels": {TIER: "data"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {"from": [tier("ai")], "ports": tcp(5432)},
            {"from": [tier("data")], "ports": tcp(5432)},
        ],
        "egress": [
            {"to": [tier("data")], "ports": tcp(5432)},
            {"to": [{"ipBlock": {"cidr": "10.20.8.0/24"}}], "ports": tcp(443)},
        ],
    }
    app_data = {"matchLabels": {TIER: "data", "paif.vmware.com/database-kind": "app"}}
    assert policies["allow-app-to-app-data"] == {
        "podSelector": {"matchLabels": {TIER: "app"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": app_data}], "ports": tcp(5432)}],
    }
    assert policies["allow-app-data-from-app"] == {
        "podSelector": app_data,
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [tier("app")], "ports": tcp(5432)}],
    }
    for record in records.values():
        if record.type.startswith("kubernetes:") and not record.type.startswith("kubernetes:crd"):
            validate_core_object(manifest(record.inputs))


def test_every_rule_names_its_peers_and_ports(run_pulumi):
    """No rule admits everyone or every port, whatever the network declares (PAIF-MT-004)."""
    for network in (NamespaceNetwork(), EDGE, dataclasses.replace(EDGE, egress=EGRESS)):
        records = plan(run_pulumi, args_for(network=network))
        for name, spec in policies_of(records).items():
            for key, peers in (("ingress", "from"), ("egress", "to")):
                for item in spec.get(key, []):
                    assert item.get("ports"), (name, key, item)
                    if key == "ingress":
                        assert item.get(peers), (name, item)
        for item in records["mk-segmentation"].inputs["spec"]["rules"]:
            if item["action"] == "allow":
                assert item.get("ports"), item
                if item["direction"] == "In":
                    assert item.get("sources"), item


def test_without_edge_sources_the_app_tier_admits_only_itself(run_pulumi):
    records = plan(run_pulumi, args_for())
    assert policies_of(records)["allow-app"]["ingress"] == [
        {"from": [tier("app")], "ports": tcp(443)}
    ]
    rules = [r["name"] for r in records["mk-segmentation"].inputs["spec"]["rules"]]
    assert "allow-app-ingress" not in rules


def test_an_ingress_controller_namespace_is_a_source_of_the_app_tier(run_pulumi):
    network = NamespaceNetwork(edge_namespaces=("ingress-nginx",))
    records = plan(run_pulumi, args_for(network=network))
    selector = {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    assert policies_of(records)["allow-app"]["ingress"][0] == {
        "from": [{"namespaceSelector": selector}],
        "ports": tcp(443),
    }
    rules = {r["name"]: r for r in records["mk-segmentation"].inputs["spec"]["rules"]}
    assert rules["allow-app-ingress"]["sources"] == [{"namespaceSelector": selector}]


def test_undeclared_egress_keeps_dns_and_https_open(run_pulumi):
    """Without paif:network.egress: DNS anywhere on 53, ai/data anywhere on 443 (PAIF-MT-005
    reports it; production fails)."""
    records = plan(run_pulumi, args_for())
    policies = policies_of(records)
    assert policies["allow-dns"]["egress"] == [{"ports": DNS}]
    anywhere = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(443)}
    assert policies["allow-ai"]["egress"][-1] == anywhere
    assert policies["allow-data"]["egress"][-1] == anywhere
    rules = {r["name"]: r for r in records["mk-segmentation"].inputs["spec"]["rules"]}
    assert "destinations" not in rules["allow-dns"]
    assert rules["allow-ai-https-out"]["destinations"] == [{"ipBlocks": [{"cidr": "0.0.0.0/0"}]}]


def test_security_policy_states_the_same_segmentation_for_pods_and_vms(run_pulumi):
    network = dataclasses.replace(EDGE, egress=EGRESS)
    records = plan(run_pulumi, args_for(network=network))
    policy = records["mk-segmentation"]
    assert policy.type == "kubernetes:crd.nsx.vmware.com/v1alpha1:SecurityPolicy"
    validate_crd_object(manifest(policy.inputs))
    spec = policy.inputs["spec"]
    assert spec["priority"] == 10
    rules = {r["name"]: r for r in spec["rules"]}
    assert [r["name"] for r in spec["rules"]] == [
        "allow-dns",
        "allow-app-ingress",
        "allow-app-to-ai",
        "allow-ai-from-app",
        "allow-ai-to-data",
        "allow-data-from-ai",
        "allow-app-to-app-data",
        "allow-app-data-from-app",
        "allow-app-internal-in",
        "allow-app-internal-out",
        "allow-ai-internal-in",
        "allow-ai-internal-out",
        "allow-data-internal-in",
        "allow-data-internal-out",
        "allow-ai-harbor-out",
        "allow-ai-api-docs-out",
        "allow-data-backup-s3-out",
        "default-deny-in",
        "default-deny-out",
    ]

    def peers(name: str) -> list[dict[str, Any]]:
        selector = {"matchLabels": {TIER: name}}
        return [{"podSelector": selector}, {"vmSelector": selector}]

    everything = [
        {"podSelector": {}},
        {
            "vmSelector": {
                "matchExpressions": [{"key": TIER, "operator": "In", "values": ["ai", "data"]}]
            }
        },
    ]
    assert rules["allow-dns"] == {
        "name": "allow-dns",
        "direction": "Out",
        "action": "allow",
        "appliedTo": everything,
        "destinations": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            },
            {"ipBlocks": [{"cidr": "10.10.0.2/32"}]},
        ],
        "ports": DNS,
    }
    assert rules["allow-app-ingress"] == {
        "name": "allow-app-ingress",
        "direction": "In",
        "action": "allow",
        "appliedTo": [{"podSelector": {"matchLabels": {TIER: "app"}}}],
        "sources": [{"ipBlocks": [{"cidr": "10.10.0.32/28"}]}],
        "ports": tcp(8443),
    }
    assert rules["allow-ai-from-app"] == {
        "name": "allow-ai-from-app",
        "direction": "In",
        "action": "allow",
        "appliedTo": peers("ai"),
        "sources": peers("app"),
        "ports": tcp(443),
    }
    app_data = {"matchLabels": {TIER: "data", "paif.vmware.com/database-kind": "app"}}
    assert rules["allow-app-data-from-app"] == {
        "name": "allow-app-data-from-app",
        "direction": "In",
        "action": "allow",
        "appliedTo": [{"podSelector": app_data}, {"vmSelector": app_data}],
        "sources": peers("app"),
        "ports": tcp(5432),
    }
    assert rules["allow-data-from-ai"]["sources"] == peers("ai")
    assert rules["allow-data-from-ai"]["ports"] == tcp(5432)
    assert rules["allow-ai-internal-in"]["ports"] == tcp(443, 8000)
    assert rules["allow-data-internal-out"]["ports"] == tcp(5432)
    assert rules["allow-ai-api-docs-out"] == {
        "name": "allow-ai-api-docs-out",
        "direction": "Out",
        "action": "allow",
        "appliedTo": peers("ai"),
        "destinations": [{"ipBlocks": [{"cidr": "10.30.4.0/24"}]}],
        "ports": tcp(443, 8443),
    }
    assert rules["allow-data-backup-s3-out"]["destinations"] == [
        {"ipBlocks": [{"cidr": "10.20.8.0/24"}]}
    ]
    assert rules["default-deny-in"] == {
        "name": "default-deny-in",
        "direction": "In",
        "action": "drop",
        "appliedTo": everything,
    }
    assert rules["default-deny-out"]["appliedTo"] == everything


def test_passthrough_classes_become_vm_operator_objects(run_pulumi):
    from paif_components.workload_domain import gpu_vm_classes

    cfg = prod()
    gpu = cfg.workload_domain.gpu.model_copy(update={"assignment": "passthrough"})
    wd = cfg.workload_domain.model_copy(update={"gpu": gpu, "vgpu_profiles": []})
    ctx = SiteContext(site=cfg.site, environment="prod", harbor=cfg.harbor, workload_domain=wd)
    classes = gpu_vm_classes(GpuWorkloadDomainArgs(ctx=ctx))
    t = tenant(vks_clusters=[])
    args = args_for(t, vm_classes={c.name: c.name for c in classes}, passthrough_classes=classes)
    records = plan(run_pulumi, args)
    objects = {
        r.inputs["metadata"]["name"]: r
        for r in records.values()
        if r.type.endswith(":VirtualMachineClass")
    }
    assert sorted(objects) == ["gpu-passthrough-x1", "gpu-passthrough-x2", "gpu-passthrough-x4"]
    for record in objects.values():
        assert record.type == "kubernetes:vmoperator.vmware.com/v1alpha5:VirtualMachineClass"
        validate_crd_object(manifest(record.inputs))
    assert objects["gpu-passthrough-x4"].inputs["spec"]["hardware"]["devices"] == {
        "dynamicDirectPathIODevices": [{"vendorID": 4318, "deviceID": 8373}] * 4
    }


def test_quota_below_the_endpoints_minimum_replicas_fails_before_registration():
    t = tenant()
    t = t.model_copy(update={"quota": t.quota.model_copy(update={"gpu": 3})})
    args = args_for(t)
    error, records = registered_before_error(lambda: SupervisorNamespace("mk", args))
    assert str(error) == (
        "tenant 'marketing': quota.gpu: 3 GPUs is below the 4 that the endpoints' minimum "
        "replicas hold (llama-chat 2 × 1 + embeddings 2 × 1); they could never all run (§9.4.3)"
    )
    assert records == []


def test_endpoint_without_gpu_sizing_is_named():
    with pytest.raises(ComponentInputError) as info:
        SupervisorNamespace("mk", args_for(endpoint_gpus={}))
    assert info.value.subject == "tenant 'marketing'"
    assert info.value.field == "modelEndpoints[1].gpusPerReplica"
    assert info.value.message.startswith("is not set for endpoint 'embeddings'")


def test_gpu_pool_naming_a_class_the_domain_lacks_is_rejected():
    with pytest.raises(ComponentInputError) as info:
        SupervisorNamespace("mk", args_for(vm_classes={"vgpu-a100-80c": "vgpu-a100-80c"}))
    assert info.value.field == "vksClusters[0].nodePools[1].vmClass"


def test_isolation_levels_are_enforced(run_pulumi):
    wd_tenant = tenant(isolation="workload-domain")
    with pytest.raises(ComponentInputError) as info:
        SupervisorNamespace("mk", args_for(wd_tenant))
    assert str(info.value) == (
        "tenant 'marketing': isolation: 'workload-domain' needs a zone of the tenant's own GPU "
        "workload domain; none was passed (zone)"
    )
    with pytest.raises(ComponentInputError, match="is the shared workload domain's zone"):
        SupervisorNamespace(
            "mk", args_for(wd_tenant, zone="gpu-wld-01-zone", shared_zone="gpu-wld-01-zone")
        )
    built: list[SupervisorNamespace] = []
    result = run_pulumi(
        lambda: built.append(
            SupervisorNamespace(
                "mk", args_for(wd_tenant, zone="marketing-zone", shared_zone="gpu-wld-01-zone")
            )
        ),
        stack="prod",
    )
    assert (built[0].isolation, built[0].zone) == ("workload-domain", "marketing-zone")
    quota = next(r for r in result.resources if r.name == "mk-quota")
    assert quota.inputs["metadata"]["labels"]["paif.vmware.com/isolation"] == "workload-domain"

    cluster_tenant = tenant(isolation="cluster", vks_clusters=[], apps=[])
    with pytest.raises(ComponentInputError) as info:
        SupervisorNamespace("mk", args_for(cluster_tenant))
    assert info.value.field == "vksClusters"


def test_limits_below_the_default_container_limit_are_rejected():
    t = tenant()
    t = t.model_copy(
        update={
            "quota": t.quota.model_copy(
                update={"limits_memory": "512Mi", "requests_memory": "256Mi"}
            )
        }
    )
    with pytest.raises(ComponentInputError) as info:
        SupervisorNamespace("mk", args_for(t))
    assert str(info.value) == (
        "tenant 'marketing': quota.limitsMemory: 512Mi is below the default container limit "
        "1Gi of the namespace's LimitRange; not even one pod with default limits would fit"
    )


def test_a_tenant_without_app_databases_keeps_the_app_away_from_data(run_pulumi):
    records = plan(run_pulumi, args_for(tenant("hr", model_endpoints=[])))
    names = {
        r.inputs["metadata"]["name"] for r in records.values() if r.type.endswith(":NetworkPolicy")
    }
    assert names == {"default-deny", "allow-dns", "allow-app", "allow-ai", "allow-data"}


def test_an_address_range_that_is_no_network_is_refused_before_registration():
    network = NamespaceNetwork(edge_cidrs=("10.10.0.33/28",))
    error, registered = registered_before_error(
        lambda: SupervisorNamespace("mk", args_for(network=network))
    )
    assert str(error) == (
        "tenant 'marketing': network.appTier.sourceCidrs: '10.10.0.33/28' is not a network "
        "such as '10.10.2.0/24'"
    )
    assert registered == []
