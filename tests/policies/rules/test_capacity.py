"""PAIF-CAP-001..005 on planned stacks, and on tiny programs for what components never render."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere
import pytest

from tests.support.policy import Site, StackPlan, findings_of, plan, run_rules
from tests.support.stacks import load_example

CAP_RULES = [f"PAIF-CAP-00{i}" for i in range(1, 6)]
HARBOR = "harbor.primary.example.com"


def one_tenant(
    gpu_quota: int, endpoints: list[dict[str, Any]], *, hosts: int | None = None
) -> dict[str, Any]:
    """The prod example with marketing alone, holding just these endpoints, and no waivers.

    ``hosts`` keeps only the first that many GPU hosts of the example's workload domain.
    """
    config = copy.deepcopy(load_example("prod"))
    # The example waives PAIF-CAP-002 on marketing's quota; these stacks test the rule itself.
    config.pop("paif:waivers")
    if hosts is not None:
        domain = config["paif:workloadDomain"]
        assert len(domain["hosts"]) > hosts
        domain["hosts"] = domain["hosts"][:hosts]
    marketing = config["paif:tenants"][0]
    for key in ("databases", "knowledgeBases", "agents", "apps", "vksClusters"):
        marketing.pop(key, None)
    marketing["quota"]["gpu"] = gpu_quota
    marketing["modelEndpoints"] = endpoints
    config["paif:tenants"] = [marketing]
    return config


def llama(name: str, low: int, high: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "completions",
        "model": {"ref": f"{HARBOR}/marketing/llama-3.1-8b-instruct:1.0.0", "parametersB": 8},
        "gpusPerReplica": 1,
        "replicas": {"min": low, "max": high},
        **extra,
    }


def llama_70b() -> dict[str, Any]:
    return {
        "name": "llama-big",
        "type": "completions",
        "model": {"ref": f"{HARBOR}/marketing/llama-3.1-70b-instruct:1.0.0", "parametersB": 70},
        "replicas": {"min": 2, "max": 2},
    }


@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    """Quota 4 holds chat at max 4 × 1 GPU; 4 of the pool's 16 GPUs with a host down."""
    return plan(tmp_path_factory.mktemp("cap-ok"), one_tenant(4, [llama("chat", 2, 4)]))


@pytest.fixture(scope="module")
def oversubscribed(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    """4 hosts: quota 14 > the 12 GPUs of 3 remaining hosts; chat may reach 16 > its quota."""
    config = one_tenant(14, [llama("chat", 2, 16)], hosts=4)
    return plan(tmp_path_factory.mktemp("cap-over"), config)


@pytest.fixture(scope="module")
def large_model(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    """70B FP16 on A100 80GB: 4 GPUs per replica, 2 replicas = 8 GPUs."""
    return plan(tmp_path_factory.mktemp("cap-70b"), one_tenant(8, [llama_70b()]))


@pytest.mark.parametrize("rule_id", CAP_RULES)
def test_compliant_stack_has_no_capacity_finding(compliant: StackPlan, rule_id: str) -> None:
    assert findings_of(compliant.findings, rule_id) == []


def test_cap_001_quota_and_peak_beyond_the_pool_minus_a_host(oversubscribed: StackPlan) -> None:
    basis = "4 hosts × 4 nvidia_a100-80c devices, 12 with 1 host(s) down"
    assert findings_of(oversubscribed.findings, "PAIF-CAP-001") == [
        (
            "mandatory",
            "seoul-primary",
            f"endpoints at max replicas need 16 GPUs (chat 16×1) but the pool has 12 ({basis})",
        ),
        (
            "mandatory",
            "seoul-primary",
            f"tenant GPU quotas add up to 14 (marketing-ns 14) but the pool has 12 ({basis})",
        ),
    ]


def test_cap_002_endpoints_beyond_the_tenant_quota(oversubscribed: StackPlan) -> None:
    assert findings_of(oversubscribed.findings, "PAIF-CAP-002") == [
        (
            "mandatory",
            "seoul-primary-marketing-namespace-quota",
            "namespace marketing-ns: endpoints at max replicas need 16 GPUs (chat 16×1), more "
            "than its quota of 14; with the others at their minimum, chat reaches at most 14 of "
            "its max 16 replicas",
        )
    ]


def test_cap_002_names_what_the_quota_really_allows(tmp_path: Any) -> None:
    """Two endpoints whose minimums fill the quota: the chat endpoint never leaves its min."""
    config = one_tenant(4, [llama("chat", 2, 10), llama("embed", 2, 2)])
    stack_plan = plan(tmp_path, config)
    assert findings_of(stack_plan.findings, "PAIF-CAP-002") == [
        (
            "mandatory",
            "seoul-primary-marketing-namespace-quota",
            "namespace marketing-ns: endpoints at max replicas need 12 GPUs (chat 10×1 + embed "
            "2×1), more than its quota of 4; with the others at their minimum, chat reaches at "
            "most 2 of its max 10 replicas",
        )
    ]


def test_cap_005_large_model_warns_but_never_blocks(large_model: StackPlan) -> None:
    found = findings_of(large_model.findings, "PAIF-CAP-005")
    assert len(found) == 1
    enforcement, resource, message = found[0]
    assert (enforcement, resource) == ("advisory", "seoul-primary-marketing-llama-big-endpoint")
    assert message.startswith(
        "ModelEndpoint marketing-ns/llama-big: 70B parameters (over 30B) cold-starts in up to "
    )
    assert message.endswith(" min; keep replicas warm or pick a smaller model")
    for rule_id in ("PAIF-CAP-001", "PAIF-CAP-002", "PAIF-CAP-003", "PAIF-CAP-004"):
        assert findings_of(large_model.findings, rule_id) == []


# --- tiny programs ------------------------------------------------------------------------


def raw_endpoint(
    site: Site,
    *,
    params: str = "8",
    gpus: int = 1,
    vm_class: str = "vgpu-a100-80c",
    cold: str | None = "41-68",
    scaler: dict[str, Any] | None = None,
) -> None:
    """A ModelEndpoint as the component renders it (annotations), plus its ScaledObject."""
    annotations = {
        "paif.vmware.com/gpus-per-replica": str(gpus),
        "paif.vmware.com/model-parameters-b": params,
        "paif.vmware.com/model-precision": "fp16",
    }
    if cold is not None:
        annotations["paif.vmware.com/cold-start-seconds"] = cold
    opts = pulumi.ResourceOptions(parent=site)
    k8s.apiextensions.CustomResource(
        "site-chat",
        api_version="pais.vmware.com/v1alpha1",
        kind="ModelEndpoint",
        metadata={"name": "chat", "namespace": "t-ns", "annotations": annotations},
        spec={"replicas": 2, "virtualMachineClassName": vm_class},
        opts=opts,
    )
    if scaler is not None:
        k8s.apiextensions.CustomResource(
            "site-chat-scaler",
            api_version="keda.sh/v1alpha1",
            kind="ScaledObject",
            metadata={"name": "chat", "namespace": "t-ns"},
            spec={"scaleTargetRef": {"kind": "ModelEndpoint", "name": "chat"}, **scaler},
            opts=opts,
        )


def vm_class(site: Site, name: str, profile: str) -> None:
    vsphere.VirtualMachineClass(
        f"site-{name}",
        name=name,
        cpus=16,
        memory=131072,
        memory_reservation=100,
        vgpu_devices=[profile],
        opts=pulumi.ResourceOptions(parent=site),
    )


# What the component renders for the 41-68 s cold start of raw_endpoint: one pod per 68 s.
GRADUAL_UP: dict[str, Any] = {
    "stabilizationWindowSeconds": 41,
    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 68}],
}


def scaling(
    window: int | None = 300,
    low: int = 2,
    high: int | None = 4,
    up: dict[str, Any] | None = GRADUAL_UP,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"minReplicaCount": low}
    if high is not None:
        spec["maxReplicaCount"] = high
    behavior: dict[str, Any] = {}
    if window is not None:
        behavior["scaleDown"] = {"stabilizationWindowSeconds": window}
    if up is not None:
        behavior["scaleUp"] = up
    if behavior:
        spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": behavior}}
    return spec


def test_cap_003_model_fits_its_vgpu(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        vm_class(site, "vgpu-a100-80c", "nvidia_a100-80c")
        raw_endpoint(site, scaler=scaling())

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-003") == []


def test_cap_003_model_too_big_for_the_profile(run_pulumi: Any) -> None:
    """A 70B FP16 model on one 40 GiB vGPU: the profile's framebuffer counts, not the GPU's."""

    def build(site: Site) -> None:
        vm_class(site, "vgpu-a100-40c", "nvidia_a100-40c")
        raw_endpoint(site, params="70", vm_class="vgpu-a100-40c", scaler=scaling(600))

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-003") == [
        (
            "mandatory",
            "site-chat",
            "ModelEndpoint t-ns/chat: 70B fp16: weights 130.4 GiB + KV reserve 26.1 GiB = "
            "156.5 GiB exceed 1 × 40 GiB × 0.9 = 36.0 GiB; it needs 8 GPU(s) per replica",
        )
    ]


def test_cap_003_an_endpoint_that_does_not_state_its_model(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        k8s.apiextensions.CustomResource(
            "site-chat",
            api_version="pais.vmware.com/v1alpha1",
            kind="ModelEndpoint",
            metadata={"name": "chat", "namespace": "t-ns"},
            spec={"replicas": 2},
            opts=pulumi.ResourceOptions(parent=site),
        )

    assert findings_of(run_rules(run_pulumi, build, "dev"), "PAIF-CAP-003") == [
        (
            "advisory",
            "site-chat",
            "ModelEndpoint t-ns/chat: cannot check the model's fit: it does not state its model "
            "size, precision and GPUs per replica (paif.vmware.com/model-parameters-b, "
            "-precision, gpus-per-replica)",
        )
    ]


@pytest.mark.parametrize(
    ("scaler", "message"),
    [
        (None, "no autoscaler (KEDA ScaledObject or spec.scale.hpa), so no max replicas bounds it"),
        (scaling(high=None), "ScaledObject maxReplicaCount is not set"),
        (scaling(low=3, high=2), "ScaledObject maxReplicaCount 2 is below ScaledObject "
         "minReplicaCount 3"),
        (scaling(window=30), "scales in after 30 s, faster than its cold start (up to 68 s)"),
        (scaling(up=None), "scales out at the HPA default (up to 4 pods or 100 % every 15 s, no "
         "stabilisation): set gradual scale-up (scaleUp policies)"),
        (scaling(up={"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}]}),
         "scales out every 15 s, faster than a replica cold-starts (up to 68 s): the next step "
         "is decided before the last one's replicas serve"),
        # selectPolicy Max (default): the faster of two policies decides.
        (scaling(up={"policies": [{"type": "Pods", "value": 1, "periodSeconds": 120},
                                  {"type": "Percent", "value": 100, "periodSeconds": 15}]}),
         "scales out every 15 s, faster than a replica cold-starts (up to 68 s): the next step "
         "is decided before the last one's replicas serve"),
        (scaling(up={"selectPolicy": "Disabled"}),
         "scale-up is disabled (scaleUp.selectPolicy Disabled): it never grows past its min"),
    ],
)  # fmt: skip
def test_cap_004_autoscaling_bounds_and_scale_in(
    run_pulumi: Any, scaler: dict[str, Any] | None, message: str
) -> None:
    def build(site: Site) -> None:
        raw_endpoint(site, scaler=scaler)

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-004") == [
        ("mandatory", "site-chat", f"ModelEndpoint t-ns/chat: {message}")
    ]


def test_cap_004_select_policy_min_takes_the_slowest_policy(run_pulumi: Any) -> None:
    up = {
        "selectPolicy": "Min",
        "policies": [
            {"type": "Pods", "value": 1, "periodSeconds": 120},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }

    def build(site: Site) -> None:
        raw_endpoint(site, scaler=scaling(up=up))

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-004") == []


def test_cap_004_scale_up_from_config_faster_than_the_cold_start(tmp_path: Any) -> None:
    """A planned stack whose config asks for a scale-out step every 20 s (8B: about a minute)."""
    config = one_tenant(4, [llama("chat", 2, 4, scaleUp={"period": "20s"})])
    [(enforcement, resource, message)] = findings_of(
        plan(tmp_path, config).findings, "PAIF-CAP-004"
    )
    assert (enforcement, resource) == ("mandatory", "seoul-primary-marketing-chat-endpoint")
    assert message.startswith(
        "ModelEndpoint marketing-ns/chat: scales out every 20 s, faster than a replica "
        "cold-starts (up to "
    )


def test_cap_004_hpa_default_window_is_checked_against_the_estimate(run_pulumi: Any) -> None:
    """No window set: the HPA default 300 s; no annotation: the §9.5.3 estimate (405B)."""

    def build(site: Site) -> None:
        up = {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1800}]}
        raw_endpoint(site, params="405", gpus=8, cold=None, scaler=scaling(window=None, up=up))

    found = findings_of(run_rules(run_pulumi, build), "PAIF-CAP-004")
    assert len(found) == 1
    assert found[0][2].startswith(
        "ModelEndpoint t-ns/chat: scales in after 300 s, faster than its cold start (up to "
    )


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (
            {"gpuCapacity": {"hosts": 3, "per_host": 4, "profile": "nvidia_a100-80c"}},
            "4 hosts × 4 nvidia_a100-80c devices, 12 with 1 host(s) down",
        ),
        (
            {
                "workloadDomain": {
                    "hosts": 2,
                    "gpusPerHost": 4,
                    "gpuMemoryGiB": 80,
                    "vgpuProfiles": ["nvidia_a100-40c"],
                    "assignment": "vgpu",
                }
            },
            "4 hosts × 8 nvidia_a100-40c devices, 24 with 1 host(s) down",
        ),
    ],
)
def test_cap_001_pool_from_site_facts_and_the_clusters_real_hosts(
    run_pulumi: Any, site: dict[str, Any], expected: str
) -> None:
    def build(parent: Site) -> None:
        vsphere.ComputeCluster(
            "site-gpu",
            name="gpu",
            datacenter_id="dc",
            host_system_ids=["h1", "h2", "h3", "h4"],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        k8s.core.v1.ResourceQuota(
            "site-quota",
            metadata={"namespace": "t-ns"},
            spec={"hard": {"requests.nvidia.com/gpu": 30}},
            opts=pulumi.ResourceOptions(parent=parent),
        )

    capacity = expected.split(", ")[1].split()[0]
    assert findings_of(run_rules(run_pulumi, build, **site), "PAIF-CAP-001") == [
        (
            "mandatory",
            "site",
            f"tenant GPU quotas add up to 30 (t-ns 30) but the pool has {capacity} ({expected})",
        )
    ]


def test_cap_001_fails_closed_without_pool_facts(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        raw_endpoint(site, scaler=scaling())

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-001") == [
        (
            "mandatory",
            "site",
            "cannot check GPU capacity: the site declares no GPU pool (PaifSite gpuCapacity or "
            "workloadDomain: hosts, GPUs per host)",
        )
    ]


def test_cap_002_namespace_without_gpu_quota(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        raw_endpoint(site, scaler=scaling())

    assert findings_of(run_rules(run_pulumi, build), "PAIF-CAP-002") == [
        (
            "mandatory",
            "site-chat",
            "namespace t-ns: no requests.nvidia.com/gpu quota to hold its endpoints' 4 GPUs at "
            "max replicas (chat 4×1)",
        )
    ]
