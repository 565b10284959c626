"""Capacity (§9.4.3, §9.5.3): GPU quotas and autoscaling bounds fit the GPU pool and the model.

Units follow ``paif_components.estimators.capacity``: schedulable GPU devices (``nvidia.com/gpu``),
one whole GPU with passthrough or one device of the domain's default vGPU profile (its first).
Demand is an endpoint's max replicas × GPUs per replica; the pool comes from the hardware the
site declares (``workloadDomain`` on the PaifSite: GPUs per host, GPU memory, profiles) and the
hosts the ComputeCluster really holds. Model facts come from the annotations the
ModelEndpoint component puts on each endpoint (``paif.vmware.com/model-parameters-b``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sized
from dataclasses import dataclass
from typing import Any, cast

from paif_components.constants import LARGE_MODEL_PARAMETERS_B
from paif_components.context import SUPERVISOR_TARGET
from paif_components.estimators.capacity import (
    GpuPool,
    ScalingRange,
    gpu_pool,
    parse_vgpu_profile,
    replicas_within_quota,
)
from paif_components.estimators.cold_start import estimate_cold_start
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import (
    DEFAULT_KV_RESERVE_FRACTION,
    VLLM_GPU_MEMORY_UTILIZATION,
    fits,
    gpus_required,
)
from paif_policies.registry import Violation, rule
from paif_policies.rules.ha import COMPUTE_CLUSTER_TYPE, GPU_RESOURCE, vm_classes
from paif_policies.view import (
    Endpoint,
    StackView,
    as_int,
    as_number,
    endpoints,
    get_path,
    target_of,
)

VM_CLASS_TYPE = "vsphere:index/virtualMachineClass:VirtualMachineClass"
QUOTA_KEY = f"requests.{GPU_RESOURCE}"
ANNOTATION_PREFIX = "paif.vmware.com/"
# Kubernetes HPA scale-down stabilisation when none is set (kubernetes.io HPA docs).
HPA_DEFAULT_SCALE_DOWN_SECONDS = 300


# --- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """GPU devices per host and hosts: what N+1 is computed from."""

    hosts: int
    per_host: int
    unit: str

    def capacity(self, hosts_down: int) -> int:
        return max(0, self.hosts - hosts_down) * self.per_host


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) is not None:
            return mapping.get(key)
    return None


def site_pool(view: StackView) -> tuple[Pool | None, str]:
    """The site's GPU pool (``None`` with the reason when the site does not say enough).

    From the PaifSite's ``gpuCapacity`` (``GpuPool.to_dict()``: hosts, per_host, profile; or a
    total over the ComputeCluster's identical hosts) or, failing that, its ``workloadDomain``
    (hosts, gpusPerHost, gpuMemoryGiB, vgpuProfiles, assignment) sized with
    ``paif_components.estimators.capacity``. The ComputeCluster's hosts, when declared, count
    instead of the site's figure: what the cluster really holds.
    """
    capacity = view.facts.gpu_capacity
    domain = view.site.get("workloadDomain") or {}
    clusters = view.of_type(COMPUTE_CLUSTER_TYPE)
    cluster_hosts = sum(len(c.props.get("hostSystemIds") or []) for c in clusters)
    hosts: int | None = None
    per_host: int | None = None
    unit = "GPUs"
    if capacity is not None and hasattr(capacity, "get"):
        hosts = as_int(capacity.get("hosts"))
        per_host = as_int(_first(capacity, "per_host", "perHost"))
        profile = capacity.get("profile")
        unit = f"{profile} devices" if profile else "GPUs"
    elif as_int(capacity) and cluster_hosts and as_int(capacity, 0) % cluster_hosts == 0:
        # A total over identical hosts (PaifSite's gpuCapacity): devices per host.
        hosts, per_host, unit = cluster_hosts, as_int(capacity, 0) // cluster_hosts, "GPU devices"
    if per_host is None and domain:
        declared = domain.get("hosts")
        hosts = (
            as_int(declared)
            if isinstance(declared, int | float | str)
            else len(cast(Sized, declared))
        )
        gpus = as_int(domain.get("gpusPerHost"))
        memory = as_number(domain.get("gpuMemoryGiB"))
        profiles = [str(p) for p in domain.get("vgpuProfiles") or []]
        passthrough = domain.get("assignment") == "passthrough" or not profiles
        profile = None if passthrough else profiles[0]
        if gpus and memory and hosts:
            try:
                sized: GpuPool = gpu_pool(hosts, gpus, memory, profile)
            except EstimatorError as error:
                return None, f"the site's GPU pool cannot be sized: {error}"
            per_host = sized.per_host
            unit = f"{profile} devices" if profile else "GPUs"
    if cluster_hosts:
        hosts = cluster_hosts
    if not per_host or not hosts:
        return None, (
            "the site declares no GPU pool (PaifSite gpuCapacity or workloadDomain: hosts, "
            "GPUs per host)"
        )
    return Pool(hosts, per_host, unit), ""


def annotation(ep: Endpoint, key: str) -> Any:
    return ep.annotations.get(ANNOTATION_PREFIX + key)


def gpus_per_replica(ep: Endpoint) -> int | None:
    """Devices one replica takes: the component's annotation, else what a NIM spec requests
    (PAIS's published ModelEndpoint says it only through the VM class)."""
    declared = as_int(annotation(ep, "gpus-per-replica"))
    if declared is not None:
        return declared
    if ep.kind == "NIMService":
        return as_int(get_path(ep.spec, f"resources.limits.{GPU_RESOURCE}"))
    return None


@dataclass(frozen=True)
class ModelFacts:
    parameters_b: float
    precision: str


def model_facts(ep: Endpoint) -> ModelFacts | None:
    params = as_number(annotation(ep, "model-parameters-b"))
    if params is None or params <= 0:
        return None
    return ModelFacts(params, str(annotation(ep, "model-precision") or "fp16"))


def device_memory_gib(view: StackView, ep: Endpoint) -> float | None:
    """GPU memory of one device of the endpoint's VM class (its vGPU profile's framebuffer)."""
    vm_class = ep.spec.get("virtualMachineClassName")
    for name, props in vm_classes(view):
        if vm_class and name == vm_class:
            devices = props.get("vgpuDevices") or []
            if devices:
                try:
                    return float(parse_vgpu_profile(str(devices[0])).framebuffer_gib)
                except EstimatorError:
                    break
    return as_number((view.site.get("workloadDomain") or {}).get("gpuMemoryGiB"))


def tenant_quotas(view: StackView) -> dict[str, tuple[int | None, Any]]:
    """GPU quota per Supervisor namespace (``None`` when its quotas do not bound GPUs) and its
    resource. Quotas in VKS clusters are left out: the cluster's GPU nodes are VMs of the
    Supervisor namespace, whose quota already holds them."""
    out: dict[str, tuple[int | None, Any]] = {}
    for quota in view.kube("ResourceQuota", "v1"):
        if target_of(quota) != SUPERVISOR_TARGET:
            continue
        namespace = str(get_path(quota.props, "metadata.namespace") or "")
        hard = get_path(quota.props, "spec.hard") or {}
        value = as_int(hard.get(QUOTA_KEY))
        if value is None:
            value = as_int(hard.get(GPU_RESOURCE))
        known = out.get(namespace)
        if known is None or (known[0] is None and value is not None):
            out[namespace] = (value, quota)
    return out


def peak_devices(ep: Endpoint) -> int:
    return (ep.max_replicas or 0) * (gpus_per_replica(ep) or 0)


# --- rules ----------------------------------------------------------------------------------


@rule(
    "PAIF-CAP-001",
    title="GPU quotas and endpoint peaks fit the GPU pool with one host down",
    severity="high",
    section="§9.5.3 GPU availability",
    rationale="Scale-out fails when the GPU pool is short (§9.5.3), and vSphere HA restarts a "
    "failed host's GPU VMs only if the other hosts have room: tenants' quotas and every "
    "endpoint at max replicas must fit the pool minus one host (N+1).",
    remediation="Lower tenants[].quota.gpu or modelEndpoints[].replicas.max, or add GPU hosts "
    "to the workload domain.",
    thresholds={"hostsDown": 1},
)
def pool_fit(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    listed = sorted(endpoints(view), key=lambda ep: (ep.namespace, ep.name))
    quotas = tenant_quotas(view)
    peak = sum(peak_devices(ep) for ep in listed)
    total = sum(q for q, _ in quotas.values() if q)
    if not (peak or total):
        return  # nothing claims GPUs
    pool, why = site_pool(view)
    if pool is None:
        yield Violation(f"cannot check GPU capacity: {why}", view.site_urn)
        return
    down = int(t["hostsDown"])
    capacity = pool.capacity(down)
    basis = f"{pool.hosts} hosts × {pool.per_host} {pool.unit}, {capacity} with {down} host(s) down"
    if peak > capacity:
        detail = " + ".join(
            f"{ep.name} {ep.max_replicas}×{gpus_per_replica(ep)}"
            for ep in listed
            if peak_devices(ep)
        )
        yield Violation(
            f"endpoints at max replicas need {peak} GPUs ({detail}) but the pool has "
            f"{capacity} ({basis})",
            view.site_urn,
        )
    if total > capacity:
        detail = " + ".join(f"{ns} {q}" for ns, (q, _) in sorted(quotas.items()) if q)
        yield Violation(
            f"tenant GPU quotas add up to {total} ({detail}) but the pool has {capacity} ({basis})",
            view.site_urn,
        )


@rule(
    "PAIF-CAP-002",
    title="A tenant's endpoints at max replicas fit its own GPU quota",
    severity="high",
    section="§9.4.3",
    rationale="The quota is the tenant's share of the pool: an autoscaler allowed more "
    "replicas than the quota holds stalls at the quota with pods pending, exactly at peak.",
    remediation="Raise tenants[].quota.gpu to cover Σ replicas.max × GPUs per replica, or "
    "lower replicas.max; the message names the most replicas each endpoint really reaches "
    "under the quota (the others at their minimum), which a waiver's reason should state.",
)
def tenant_fit(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    quotas = tenant_quotas(view)
    by_namespace: dict[str, list[Endpoint]] = {}
    for ep in endpoints(view):
        if ep.running:
            by_namespace.setdefault(ep.namespace, []).append(ep)
    for namespace in sorted(by_namespace):
        listed = sorted(by_namespace[namespace], key=lambda ep: ep.name)
        peak = sum(peak_devices(ep) for ep in listed)
        detail = " + ".join(f"{ep.name} {ep.max_replicas}×{gpus_per_replica(ep)}" for ep in listed)
        quota, resource = quotas.get(namespace, (None, None))
        if quota is None:
            yield Violation(
                f"namespace {namespace}: no {QUOTA_KEY} quota to hold its endpoints' {peak} "
                f"GPUs at max replicas ({detail})",
                resource.urn if resource is not None else listed[0].resource.urn,
            )
        elif peak > quota:
            yield Violation(
                f"namespace {namespace}: endpoints at max replicas need {peak} GPUs ({detail}), "
                f"more than its quota of {quota}; {quota_caps(quota, listed)}",
                resource.urn,
            )


def quota_caps(quota: int, listed: list[Endpoint]) -> str:
    """What the quota really allows each capped endpoint, the others at their minimum."""
    ranges = [
        ScalingRange(
            ep.name, ep.min_replicas or 0, ep.max_replicas or 0, max(gpus_per_replica(ep) or 1, 1)
        )
        for ep in listed
    ]
    reach = replicas_within_quota(quota, ranges)
    parts = []
    for r in ranges:
        most = reach[r.name]
        if most < r.min_replicas:
            parts.append(
                f"{r.name} cannot even hold its minimum of {r.min_replicas} (room for {most})"
            )
        elif most < r.max_replicas:
            parts.append(f"{r.name} reaches at most {most} of its max {r.max_replicas} replicas")
    if not parts:
        return "each endpoint reaches its max alone, but not all of them at once"
    return "with the others at their minimum, " + ", ".join(parts)


@rule(
    "PAIF-CAP-003",
    title="Each model fits the GPUs of one replica",
    severity="high",
    section="vLLM memory model; §9.5.3 model size",
    rationale="vLLM allocates a fixed share of each GPU (gpu_memory_utilization, 0.9) for "
    "weights, KV cache and activations; a model whose weights plus KV reserve exceed it never "
    "starts (out of memory at load).",
    remediation="Give the endpoint more GPUs per replica (gpusPerReplica, a power of two), a "
    "larger vGPU profile, or a lower precision / smaller model.",
    thresholds={
        "gpuMemoryUtilization": VLLM_GPU_MEMORY_UTILIZATION,
        "kvReserveFraction": DEFAULT_KV_RESERVE_FRACTION,
    },
)
def model_fit(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    utilization = float(t["gpuMemoryUtilization"])
    reserve = float(t["kvReserveFraction"])
    for ep in endpoints(view):
        facts = model_facts(ep)
        gpus = gpus_per_replica(ep)
        memory = device_memory_gib(view, ep)
        if facts is None or gpus is None or memory is None:
            yield Violation(
                f"{ep.label}: cannot check the model's fit: it does not state its model size, "
                "precision and GPUs per replica (paif.vmware.com/model-parameters-b, "
                "-precision, gpus-per-replica)",
                ep.resource.urn,
            )
            continue
        try:
            check = fits(
                facts.parameters_b, facts.precision, max(gpus, 1), memory, utilization, reserve
            )
            needed = gpus_required(
                facts.parameters_b, facts.precision, memory, utilization, reserve
            )
        except EstimatorError as error:
            yield Violation(f"{ep.label}: cannot check the model's fit: {error}", ep.resource.urn)
            continue
        if not check.ok:
            yield Violation(
                f"{ep.label}: {check.message}; it needs {needed} GPU(s) per replica",
                ep.resource.urn,
            )


def cold_start_high_seconds(ep: Endpoint) -> float | None:
    """Upper cold-start bound: the component's annotation (``low-high`` s), else estimated."""
    text = str(annotation(ep, "cold-start-seconds") or "")
    if "-" in text:
        high = as_number(text.rsplit("-", 1)[1])
        if high is not None:
            return high
    facts = model_facts(ep)
    if facts is None:
        return None
    try:
        return estimate_cold_start(
            facts.parameters_b, facts.precision, gpus=gpus_per_replica(ep) or None
        ).high_s
    except EstimatorError:
        return None


def hpa_behavior(ep: Endpoint) -> Mapping[str, Any]:
    """The HPA ``behavior`` of the endpoint's autoscaler (KEDA's, or the NIMService's)."""
    if ep.autoscaler is not None:
        behavior = get_path(
            ep.autoscaler.props, "spec.advanced.horizontalPodAutoscalerConfig.behavior"
        )
    else:
        behavior = get_path(ep.spec, "scale.hpa.behavior")
    return behavior or {}


def scale_in_seconds(ep: Endpoint) -> float:
    """Scale-down stabilisation of the endpoint's autoscaler (HPA default when unset)."""
    window = as_number(get_path(hpa_behavior(ep), "scaleDown.stabilizationWindowSeconds"))
    return HPA_DEFAULT_SCALE_DOWN_SECONDS if window is None else window


def scale_up_problem(ep: Endpoint, cold: float | None) -> str | None:
    """Why the endpoint does not scale out gradually (§9.5.3), or None."""
    up = get_path(hpa_behavior(ep), "scaleUp") or {}
    select = str(up.get("selectPolicy") or "Max")
    if select == "Disabled":
        return "scale-up is disabled (scaleUp.selectPolicy Disabled): it never grows past its min"
    periods = [
        period
        for policy in up.get("policies") or []
        if (period := as_number(policy.get("periodSeconds"))) is not None
    ]
    if not periods:
        return (
            "scales out at the HPA default (up to 4 pods or 100 % every 15 s, no "
            "stabilisation): set gradual scale-up (scaleUp policies)"
        )
    # selectPolicy Max (the default) lets the fastest policy decide; Min the slowest.
    period = max(periods) if select == "Min" else min(periods)
    if cold is not None and period < math.ceil(cold):
        return (
            f"scales out every {period:g} s, faster than a replica cold-starts (up to "
            f"{math.ceil(cold)} s): the next step is decided before the last one's replicas serve"
        )
    return None


@rule(
    "PAIF-CAP-004",
    title="Autoscaling has a max ≥ min and scales gradually, never faster than a cold start",
    severity="medium",
    section="§9.5 scaling speed (gradual scaling), §9.5.3 cold start",
    rationale="Without a max, cost and GPU use are unbounded (§9.5.3: set a max replicas "
    "limit); scaling in faster than a replica can come back makes the next peak wait a full "
    "cold start; scaling out faster than a replica loads (the HPA default adds 4 pods every "
    "15 s) decides the next step before the last one serves and overshoots (gradual scaling).",
    remediation="Set modelEndpoints[].replicas.max ≥ min, scaleInCooldown no shorter than the "
    "model's cold start (the component defaults it to max(300 s, cold start)), and "
    "scaleUp.period no shorter than the cold start (the component's default).",
)
def autoscaling(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    for ep in endpoints(view):
        if ep.min_replicas == 0:
            continue  # declared, not running: nothing scales
        if ep.autoscaler is None and not get_path(ep.spec, "scale.enabled"):
            yield Violation(
                f"{ep.label}: no autoscaler (KEDA ScaledObject or spec.scale.hpa), so no "
                "max replicas bounds it",
                ep.resource.urn,
            )
            continue
        if ep.max_replicas is None:
            yield Violation(f"{ep.label}: {ep.max_source} is not set", ep.resource.urn)
        elif ep.min_replicas is not None and ep.max_replicas < ep.min_replicas:
            yield Violation(
                f"{ep.label}: {ep.max_source} {ep.max_replicas} is below {ep.min_source} "
                f"{ep.min_replicas}",
                ep.resource.urn,
            )
        cold = cold_start_high_seconds(ep)
        window = scale_in_seconds(ep)
        if cold is not None and window < math.ceil(cold):
            yield Violation(
                f"{ep.label}: scales in after {window:g} s, faster than its cold start (up to "
                f"{math.ceil(cold)} s)",
                ep.resource.urn,
            )
        problem = scale_up_problem(ep, cold)
        if problem is not None:
            yield Violation(f"{ep.label}: {problem}", ep.resource.urn)


@rule(
    "PAIF-CAP-005",
    title="Models over 30 B parameters take minutes to cold-start",
    severity="low",
    section="§9.5.3 mitigations; 30 B threshold: project default",
    rationale="§9.5.3: a 70B model loads in 2–5 minutes on A100 80GB, 5× an 8B model; every "
    "scale-out and failover waits that long. The source gives those two sizes only; flagging "
    "models over 30 B is a project default between them (the cold-start estimator puts a 30B "
    "model past a minute).",
    remediation="Keep enough replicas warm (replicas.min) for the peak, or serve a smaller "
    "model where it is good enough.",
    thresholds={"largeModelParametersB": LARGE_MODEL_PARAMETERS_B},
)
def large_models(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    limit = float(t["largeModelParametersB"])
    for ep in endpoints(view):
        facts = model_facts(ep)
        if facts is None or facts.parameters_b <= limit:
            continue
        cold = cold_start_high_seconds(ep)
        when = f"up to {math.ceil(cold / 60)} min" if cold else "minutes"
        yield Violation(
            f"{ep.label}: {facts.parameters_b:g}B parameters (over {limit:g}B) cold-starts in "
            f"{when}; keep replicas warm or pick a smaller model",
            ep.resource.urn,
        )
