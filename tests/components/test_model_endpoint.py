"""ModelEndpoint: PAIS endpoint, KEDA autoscaling, spread, sizing and cold start under mocks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components.autoscaling import (
    HPA_DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS,
    KEDA_POLLING_INTERVAL_SECONDS,
    autoscaling_triggers,
    scale_in_window_seconds,
    scale_up_for,
    scaled_object_spec,
)
from paif_components.config import ConfigError
from paif_components.config.models import StackConfig, Tenant
from paif_components.errors import ComponentInputError
from paif_components.model_endpoint import (
    MODEL_ENDPOINT_TYPE,
    ModelEndpoint,
    ModelEndpointArgs,
    cold_start_for,
    disruption_budget_min_available,
    plan_placement,
    storage_class_name,
    validate_model_endpoint,
    vgpu_vm_class_name,
)
from tests.support.programs import registered_before_error
from tests.support.schema_validation import manifest, validate_core_object, validate_crd_object
from tests.support.stacks import load_stack, site_context

PROD_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "paif.vmware.com/environment": "prod",
    "paif.vmware.com/site": "seoul-primary",
    "paif.vmware.com/tenant": "marketing",
    "paif.vmware.com/tier": "ai",
}
HARBOR = "harbor.primary.example.com"
LLAMA_70B = f"{HARBOR}/marketing/llama-3.1-70b-instruct:1.0.0"


def edit_endpoint(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    """Edit marketing's modelEndpoints[index] in the raw stack values (camelCase keys)."""

    def edit(values: dict[str, Any]) -> None:
        endpoint = values["paif:tenants"][0]["modelEndpoints"][index]
        for key, value in changes.items():
            if value is None:
                endpoint.pop(key, None)
            else:
                endpoint[key] = value

    return edit


def edit_site(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """Edit paif:workloadDomain, then marketing's modelEndpoints[0] via ``endpoint``."""
    endpoint_edit = changes.pop("endpoint", None)

    def edit(values: dict[str, Any]) -> None:
        domain = values["paif:workloadDomain"]
        for key, value in changes.items():
            domain[key] = value
        if endpoint_edit is not None:
            endpoint_edit(values)

    return edit


def args_for(cfg: StackConfig, index: int = 0, **extra: Any) -> ModelEndpointArgs:
    tenant: Tenant = cfg.tenants[0]
    return ModelEndpointArgs(
        tenant=tenant, endpoint=tenant.model_endpoints[index], ctx=site_context(cfg), **extra
    )


def render(run_pulumi: Any, args: ModelEndpointArgs) -> tuple[Any, dict[str, Any]]:
    """Run one endpoint; return the result and its records keyed by child suffix."""
    built: list[ModelEndpoint] = []

    def program() -> None:
        built.append(ModelEndpoint("ep", args))

    result = run_pulumi(program, stack="prod")
    records = {r.name.removeprefix("ep-"): r for r in result.resources}
    return built[0], records


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


def test_prod_completion_endpoint_scales_2_to_10_at_70_percent(run_pulumi, prod) -> None:
    component, records = render(run_pulumi, args_for(prod))
    scaled = records["autoscaler"]
    assert scaled.type == "kubernetes:keda.sh/v1alpha1:ScaledObject"
    spec = scaled.inputs["spec"]
    assert spec["minReplicaCount"] == 2
    assert spec["maxReplicaCount"] == 10
    assert spec["scaleTargetRef"] == {
        "apiVersion": "pais.vmware.com/v1alpha1",
        "kind": "ModelEndpoint",
        "name": "llama-chat",
    }
    gpu, queue = spec["triggers"]
    assert gpu == {
        "type": "prometheus",
        "name": "gpu-utilization",
        "metricType": "Value",
        "metadata": {
            "serverAddress": "http://prometheus-server.tanzu-system-monitoring.svc:80",
            "query": 'avg(DCGM_FI_DEV_GPU_UTIL{namespace="marketing-ns",pod=~"llama-chat-.*"})',
            "threshold": "70",
        },
    }
    assert queue["metricType"] == "AverageValue"
    assert queue["metadata"]["query"] == (
        'sum(vllm:num_requests_waiting{namespace="marketing-ns",pod=~"llama-chat-.*"})'
    )
    assert queue["metadata"]["threshold"] == "8"
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
    assert behavior == {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Min",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
    }
    assert spec["cooldownPeriod"] == 300
    # §9.5.3: scale-in never outpaces a cold start (8B: up to about a minute).
    assert behavior["stabilizationWindowSeconds"] >= math.ceil(component.cold_start.high_s)
    # §9.5.3 gradual scaling: one replica per cold start, bursts shorter than one ignored.
    cold = component.cold_start
    scale_up = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleUp"]
    assert scale_up == {
        "stabilizationWindowSeconds": math.floor(cold.low_s),
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": math.ceil(cold.high_s)}],
    }
    assert (math.floor(cold.low_s), math.ceil(cold.high_s)) == (31, 58)
    assert (component.min_replicas, component.max_replicas) == (2, 10)
    assert component.target_gpu_utilization == 70
    validate_crd_object(manifest(scaled.inputs))


def test_queue_trigger_only_when_configured(run_pulumi, prod) -> None:
    _, records = render(run_pulumi, args_for(prod, index=1))
    triggers = records["autoscaler"].inputs["spec"]["triggers"]
    assert [t["name"] for t in triggers] == ["gpu-utilization"]
    # The example's embeddings endpoint is pinned at 2 replicas (min 2, max 2).
    spec = records["autoscaler"].inputs["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 2)
    validate_crd_object(manifest(records["autoscaler"].inputs))


def test_pais_model_endpoint_spec(run_pulumi, prod) -> None:
    """What PAIS's published API takes, and nothing else; the rest is a recorded annotation."""
    _, records = render(run_pulumi, args_for(prod))
    endpoint = records["endpoint"]
    assert endpoint.type == "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint"
    labels = {**PROD_LABELS, "paif.vmware.com/endpoint": "llama-chat"}
    assert endpoint.inputs == {
        "apiVersion": "pais.vmware.com/v1alpha1",
        "kind": "ModelEndpoint",
        "metadata": {
            "name": "llama-chat",
            "namespace": "marketing-ns",
            "labels": labels,
            "annotations": {
                "paif.vmware.com/cold-start-seconds": "31-58",
                "paif.vmware.com/critical": "true",
                "paif.vmware.com/gpus-per-replica": "1",
                "paif.vmware.com/model-parameters-b": "8",
                "paif.vmware.com/model-precision": "fp16",
                "paif.vmware.com/replicas": "2..10",
                "paif.vmware.com/gateway-timeout-seconds": "60",
                "paif.vmware.com/warm-up": "true",
                "paif.vmware.com/rate-limit-rpm": "600",
                "paif.vmware.com/target": "supervisor",
            },
        },
        "spec": {
            "model": {
                "ociRef": "harbor.primary.example.com/marketing/llama-3.1-8b-instruct:1.0.0",
                "pullSecrets": [{"name": "marketing-harbor-pull"}],
            },
            "engine": "vLLM",
            "type": "Completions",
            "routingName": "llama-chat",
            "virtualMachineClassName": "vgpu-a100-80c",
            "storageClassName": "vsan-default-storage-policy",
        },
    }
    validate_crd_object(manifest(endpoint.inputs))
    component = next(r for r in records.values() if r.type == MODEL_ENDPOINT_TYPE)
    assert endpoint.parent == component.urn
    assert records["autoscaler"].parent == component.urn
    # PAIS places its replicas itself: no spread, no disruption budget of the library's.
    assert "pdb" not in records


def test_a_field_pais_does_not_take_is_refused_by_the_schema(run_pulumi, prod) -> None:
    _, records = render(run_pulumi, args_for(prod))
    body = manifest(records["endpoint"].inputs)
    body["spec"] = {**body["spec"], "replicas": 2}
    with pytest.raises(AssertionError, match="replicas"):
        validate_crd_object(body)


def test_nim_disruption_budget_keeps_one_replica(run_pulumi) -> None:
    cfg = load_stack(edit=edit_endpoint(0, backend="nim"))
    _, records = render(run_pulumi, args_for(cfg))
    pdb = records["pdb"]
    assert pdb.inputs["spec"] == {
        "minAvailable": 1,
        "selector": {
            "matchLabels": {
                "paif.vmware.com/endpoint": "llama-chat",
                "paif.vmware.com/tenant": "marketing",
            }
        },
    }
    validate_core_object(manifest(pdb.inputs))
    assert [disruption_budget_min_available(n) for n in (1, 2, 3, 5)] == [1, 1, 2, 4]


def test_cold_start_output_matches_section_9_5_3(run_pulumi, prod) -> None:
    component, _ = render(run_pulumi, args_for(prod))
    out = component.cold_start_output()
    # §9.5.3: Llama 3.1 8B on A100 80GB starts in 30 s – 1 min.
    assert 30 <= out["lowSeconds"] < out["highSeconds"] <= 60
    assert out["gpus"] == 1
    assert out["assignment"] == "vgpu"


def test_70b_fp16_derives_multiple_80gb_gpus_and_minutes_of_cold_start(run_pulumi) -> None:
    cfg = load_stack(
        edit=edit_endpoint(0, model={"ref": LLAMA_70B, "parametersB": 70}, gpusPerReplica=None)
    )
    component, records = render(run_pulumi, args_for(cfg))
    assert component.gpus_per_replica >= 2  # §9.5.3 / ARCHITECTURE: 70B FP16 needs ≥ 2 GPUs
    assert component.gpus_per_replica == 4  # power-of-two tensor parallel size
    assert component.vm_class == "vgpu-a100-80c-x4"
    spec = records["endpoint"].inputs["spec"]
    # The four GPUs reach PAIS through the VM class (x4); the count is recorded beside it.
    annotations = records["endpoint"].inputs["metadata"]["annotations"]
    assert annotations["paif.vmware.com/gpus-per-replica"] == "4"
    assert spec["virtualMachineClassName"] == "vgpu-a100-80c-x4"
    out = component.cold_start_output()
    assert 120 <= out["lowSeconds"] < out["highSeconds"] <= 300  # §9.5.3: 2 – 5 min
    window = records["autoscaler"].inputs["spec"]["advanced"]["horizontalPodAutoscalerConfig"]
    assert window["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= out["highSeconds"]
    # A 70B replica loads for minutes: scale-out steps wait that long too.
    [policy] = window["behavior"]["scaleUp"]["policies"]
    period = math.ceil(component.cold_start.high_s)
    assert policy == {"type": "Pods", "value": 1, "periodSeconds": period}
    assert window["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == math.floor(
        component.cold_start.low_s
    )


def test_nim_backend_validates_against_nvidia_crd(run_pulumi) -> None:
    cfg = load_stack(edit=edit_endpoint(0, backend="nim"))
    _, records = render(run_pulumi, args_for(cfg))
    assert "endpoint" not in records and "autoscaler" not in records
    nim = records["nim"]
    assert nim.type == "kubernetes:apps.nvidia.com/v1alpha1:NIMService"
    spec = nim.inputs["spec"]
    assert spec["image"] == {
        "repository": "harbor.primary.example.com/marketing/llama-3.1-8b-instruct",
        "tag": "1.0.0",
        "pullPolicy": "IfNotPresent",
        "pullSecrets": ["marketing-harbor-pull"],
    }
    hpa = spec["scale"]["hpa"]
    assert spec["scale"]["enabled"] is True
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert hpa["metrics"][0]["pods"]["target"] == {"type": "AverageValue", "averageValue": "70"}
    assert "replicas" not in spec  # CRD rule: no spec.replicas with scale.enabled
    assert spec["resources"] == {"limits": {"nvidia.com/gpu": 1}}
    validate_crd_object(manifest(nim.inputs))
    validate_core_object(manifest(records["pdb"].inputs))


def test_pilot_light_declares_without_running(run_pulumi) -> None:
    # paif_components.dr.topology derives pilot-light endpoints with replicas 0..1, running False.
    cfg = load_stack(edit=edit_endpoint(0, replicas={"min": 0, "max": 1}))
    component, records = render(run_pulumi, args_for(cfg, running=False))
    assert set(records) == {"ep", "endpoint"}
    annotations = records["endpoint"].inputs["metadata"]["annotations"]
    assert annotations["paif.vmware.com/replicas"] == "0"
    assert component.min_replicas == 0


def test_pilot_light_nim_declares_zero_replicas_without_hpa(run_pulumi) -> None:
    cfg = load_stack(edit=edit_endpoint(0, replicas={"min": 0, "max": 1}, backend="nim"))
    _, records = render(run_pulumi, args_for(cfg, running=False))
    assert set(records) == {"ep", "nim"}
    spec = records["nim"].inputs["spec"]
    assert spec["replicas"] == 0
    assert "scale" not in spec
    validate_crd_object(manifest(records["nim"].inputs))


def test_warm_standby_runs_one_replica(run_pulumi) -> None:
    # paif_components.dr.topology derives warm-standby endpoints with replicas min = max = 1.
    cfg = load_stack(edit=edit_endpoint(0, replicas={"min": 1, "max": 1}))
    _, records = render(run_pulumi, args_for(cfg))
    annotations = records["endpoint"].inputs["metadata"]["annotations"]
    assert annotations["paif.vmware.com/replicas"] == "1..1"
    assert records["autoscaler"].inputs["spec"]["minReplicaCount"] == 1
    assert records["autoscaler"].inputs["spec"]["maxReplicaCount"] == 1


@pytest.mark.parametrize(
    ("edit", "env", "message"),
    [
        (
            edit_endpoint(
                0, model={"ref": "other.example.com/marketing/llama:1.0", "parametersB": 8}
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[0].model.ref: "
            "'other.example.com/marketing/llama:1.0' is not in this site's Harbor "
            "(harbor.primary.example.com); push the model there and reference "
            "harbor.primary.example.com/marketing/<repo>:<tag>",
        ),
        (
            edit_endpoint(
                0, model={"ref": "harbor.primary.example.com/hr/llama:1.0", "parametersB": 8}
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[0].model.ref: "
            "'harbor.primary.example.com/hr/llama:1.0' is in Harbor project 'hr', but the "
            "tenant's pull robot may only pull from 'marketing'",
        ),
        (
            edit_endpoint(
                0,
                model={
                    "ref": "harbor.primary.example.com/marketing/llama:latest",
                    "parametersB": 8,
                },
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[0].model.ref: "
            "'harbor.primary.example.com/marketing/llama:latest' has the mutable tag latest; "
            "production pins a model by immutable tag or digest (§9.3.3 model version sync)",
        ),
        (
            edit_endpoint(
                1, model={"ref": "harbor.primary.example.com/marketing/bge", "parametersB": 0.3}
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[1].model.ref: "
            "'harbor.primary.example.com/marketing/bge' has no tag; production pins a model by "
            "immutable tag or digest (§9.3.3 model version sync)",
        ),
        (
            edit_endpoint(0, model={"ref": LLAMA_70B, "parametersB": 70}, gpusPerReplica=1),
            "prod",
            "tenant 'marketing': modelEndpoints[0].gpusPerReplica: 1 is too few for "
            "llama-3.1-70b-instruct:1.0.0: 70B fp16: weights 130.4 GiB + KV reserve 26.1 GiB "
            "= 156.5 GiB exceed 1 × 80 GiB × 0.9 = 72.0 GiB; it needs 4",
        ),
        (
            edit_endpoint(
                0,
                model={
                    "ref": "harbor.primary.example.com/marketing/llama-405b:1",
                    "parametersB": 405,
                },
                gpusPerReplica=None,
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[0].model: one replica needs 16 GPUs but a host "
            "of gpu-wld-01 has 4; a replica cannot span hosts (use a smaller model or precision)",
        ),
        (
            edit_endpoint(0, model={"ref": LLAMA_70B, "parametersB": 70}, gpusPerReplica=3),
            "prod",
            "tenant 'marketing': modelEndpoints[0].gpusPerReplica: 3 GPUs per replica: the "
            "workload domain offers VM classes with 1, 2, 4 GPUs (tensor parallel sizes); pick "
            "one or set vmClass",
        ),
        (
            edit_site(
                vgpuProfiles=["nvidia_a100-40c"],
                endpoint=edit_endpoint(
                    0,
                    model={"ref": f"{HARBOR}/marketing/model-30b:1", "parametersB": 30},
                    gpusPerReplica=None,
                ),
            ),
            "prod",
            "tenant 'marketing': modelEndpoints[0].vmClass: 2 GPUs per replica need whole-GPU "
            "vGPU devices, but the largest profile 'nvidia_a100-40c' is a 40 GiB slice of a 80 "
            "GiB GPU; add a whole-GPU profile or set vmClass",
        ),
        (
            edit_endpoint(0, replicas={"min": 0, "max": 4}),
            "dev",
            "tenant 'marketing': modelEndpoints[0].replicas.min: 0 would scale the endpoint to "
            "zero; keep at least 1 replica warm (§9.5.3 cold start)",
        ),
        (
            edit_endpoint(0, scaleInCooldown="30s"),
            "prod",
            "tenant 'marketing': modelEndpoints[0].scaleInCooldown: 30s is shorter than the "
            "model's cold start (up to 58s, §9.5.3); scale-in must not outpace scale-out",
        ),
        (
            edit_endpoint(0, vmClass="vgpu-a100-80c-x2"),
            "prod",
            "tenant 'marketing': modelEndpoints[0].vmClass: 'vgpu-a100-80c-x2' has 2 GPU(s) "
            "but gpusPerReplica is 1",
        ),
    ],
)
def test_bad_input_is_rejected_before_registration(edit: Any, env: str, message: str) -> None:
    cfg = load_stack(edit=edit, environment=env)
    index = 1 if "[1]" in message else 0
    with pytest.raises(ComponentInputError) as err:
        validate_model_endpoint(args_for(cfg, index=index))
    assert str(err.value) == message
    error, records = registered_before_error(
        lambda: ModelEndpoint("ep", args_for(cfg, index=index))
    )
    assert str(error) == message
    assert records == []  # nothing registered, not even the component


def test_latest_is_allowed_outside_production(prod) -> None:
    ref = "harbor.primary.example.com/marketing/llama:latest"
    cfg = load_stack(edit=edit_endpoint(0, model={"ref": ref, "parametersB": 8}), environment="dev")
    validate_model_endpoint(args_for(cfg))


def test_digest_pinned_model_is_accepted_in_production() -> None:
    ref = "harbor.primary.example.com/marketing/llama@sha256:" + "a" * 64
    cfg = load_stack(edit=edit_endpoint(0, model={"ref": ref, "parametersB": 8}))
    validate_model_endpoint(args_for(cfg))


def test_explicit_slice_class_sizes_with_its_framebuffer(prod) -> None:
    cfg = load_stack(edit=edit_endpoint(0, vmClass="vgpu-a100-40c", gpusPerReplica=None))
    placement = plan_placement(site_context(cfg), cfg.tenants[0].model_endpoints[0])
    assert (placement.vm_class, placement.gpus, placement.gpu_memory_gib) == (
        "vgpu-a100-40c",
        1,
        40.0,
    )


def test_passthrough_site_uses_passthrough_classes() -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:workloadDomain"]["gpu"]["assignment"] = "passthrough"
        values["paif:workloadDomain"]["vgpuProfiles"] = []

    cfg = load_stack(edit=edit)
    placement = plan_placement(site_context(cfg), cfg.tenants[0].model_endpoints[0])
    assert (placement.vm_class, placement.gpus, placement.gpu_memory_gib) == (
        "gpu-passthrough-x1",
        1,
        80.0,
    )


def test_naming_helpers() -> None:
    assert storage_class_name("vSAN Default Storage Policy") == "vsan-default-storage-policy"
    assert vgpu_vm_class_name("nvidia_a100-40c") == "vgpu-a100-40c"
    assert vgpu_vm_class_name("nvidia_a100-80c", 2) == "vgpu-a100-80c-x2"


@settings(max_examples=40, deadline=None)
@given(
    minimum=st.integers(min_value=1, max_value=10),
    extra=st.integers(min_value=0, max_value=10),
    cooldown=st.one_of(st.none(), st.integers(min_value=60, max_value=3600)),
)
def test_autoscaler_is_explicit_and_never_outpaces_cold_start(
    minimum: int, extra: int, cooldown: int | None
) -> None:
    def edit(values: dict[str, Any]) -> None:
        endpoint = values["paif:tenants"][0]["modelEndpoints"][0]
        endpoint["replicas"] = {"min": minimum, "max": minimum + extra}
        if cooldown is not None:
            endpoint["scaleInCooldown"] = cooldown

    cfg = load_stack(edit=edit)
    args = args_for(cfg)
    validate_model_endpoint(args)
    cold = cold_start_for(args.ctx, args.endpoint, plan_placement(args.ctx, args.endpoint))
    spec = scaled_object_spec(
        autoscaling_triggers(args.endpoint, args.tenant.namespace, args.prometheus_url),
        target={"apiVersion": "v", "kind": "K", "name": "n"},
        min_replicas=args.endpoint.replicas.min,
        max_replicas=args.endpoint.replicas.max,
        window_seconds=scale_in_window_seconds(args.endpoint, cold),
        scale_up=scale_up_for(args.endpoint, cold),
    )
    assert spec["minReplicaCount"] == minimum >= 1
    assert spec["maxReplicaCount"] == minimum + extra
    window = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
    assert window["stabilizationWindowSeconds"] >= math.ceil(cold.high_s)
    expected = cooldown if cooldown is not None else HPA_DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS
    assert window["stabilizationWindowSeconds"] == expected


def test_scale_up_from_config_overrides_the_cold_start_defaults(run_pulumi) -> None:
    cfg = load_stack(
        edit=edit_endpoint(0, scaleUp={"podsPerPeriod": 2, "period": "2m", "stabilization": 0})
    )
    component, records = render(run_pulumi, args_for(cfg))
    scale_up = records["autoscaler"].inputs["spec"]["advanced"]["horizontalPodAutoscalerConfig"][
        "behavior"
    ]["scaleUp"]
    assert scale_up == {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 2, "periodSeconds": 120}],
    }
    assert component.scale_up.to_dict() == {
        "podsPerPeriod": 2,
        "periodSeconds": 120,
        "stabilizationSeconds": 0,
    }
    validate_crd_object(manifest(records["autoscaler"].inputs))


def test_nim_hpa_scales_up_gradually_too(run_pulumi) -> None:
    cfg = load_stack(edit=edit_endpoint(0, backend="nim"))
    component, records = render(run_pulumi, args_for(cfg))
    behavior = records["nim"].inputs["spec"]["scale"]["hpa"]["behavior"]
    assert behavior["scaleUp"] == component.scale_up.behavior()
    assert behavior["scaleUp"]["policies"][0]["periodSeconds"] == math.ceil(
        component.cold_start.high_s
    )


@settings(max_examples=40, deadline=None)
@given(params=st.floats(min_value=0.1, max_value=70))
def test_scale_up_period_is_one_cold_start_within_hpa_limits(params: float) -> None:
    model = {"ref": LLAMA_70B, "parametersB": params}
    cfg = load_stack(edit=edit_endpoint(0, model=model, gpusPerReplica=None))
    args = args_for(cfg)
    cold = cold_start_for(args.ctx, args.endpoint, plan_placement(args.ctx, args.endpoint))
    scale_up = scale_up_for(args.endpoint, cold)
    assert scale_up.pods == 1
    assert scale_up.period_seconds == min(
        max(KEDA_POLLING_INTERVAL_SECONDS, math.ceil(cold.high_s)), 1800
    )
    assert 0 <= scale_up.stabilization_seconds <= cold.low_s


def test_request_rate_and_queue_triggers_where_the_engine_exports_them(run_pulumi) -> None:
    """§9.5.1's request count as a request-rate trigger, beside the queue depth, per replica."""
    cfg = load_stack(edit=edit_endpoint(0, requestRateTarget=4, queueDepthTarget=8))
    _, records = render(run_pulumi, args_for(cfg))
    triggers = {t["name"]: t for t in records["autoscaler"].inputs["spec"]["triggers"]}
    assert list(triggers) == ["gpu-utilization", "request-rate", "queue-depth"]
    rate = triggers["request-rate"]
    assert rate["metricType"] == "AverageValue"
    assert rate["metadata"]["threshold"] == "4"
    assert rate["metadata"]["query"] == (
        '(sum(rate(http_requests_total{namespace="marketing-ns",pod=~"llama-chat-.*"}[1m])) '
        "or vector(0))"
    )
    validate_crd_object(manifest(records["autoscaler"].inputs))
    nim = load_stack(edit=edit_endpoint(0, backend="nim", requestRateTarget=4))
    _, records = render(run_pulumi, args_for(nim))
    metrics = records["nim"].inputs["spec"]["scale"]["hpa"]["metrics"]
    assert [m["pods"]["metric"]["name"] for m in metrics] == [
        "DCGM_FI_DEV_GPU_UTIL",
        "request_success_per_second",
        "num_requests_waiting",  # the example's queueDepthTarget
    ]
    validate_crd_object(manifest(records["nim"].inputs))


@pytest.mark.parametrize("key", ["requestRateTarget", "queueDepthTarget"])
def test_an_infinity_endpoint_scales_on_gpu_only(key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_stack(edit=edit_endpoint(1, engine="Infinity", **{key: 4}))
    assert f"modelEndpoints[1].{key}" in raised.value.render()
    assert "Infinity engine does not export" in raised.value.render()
    infinity = load_stack(edit=edit_endpoint(1, engine="Infinity"))
    assert infinity.tenants[0].model_endpoints[1].engine == "Infinity"
