"""Where a model endpoint's replicas run and how fast they start (§9.5): the GPU VM class and
vGPU profile its model fits, GPU memory per replica, the storage class of its model cache, and
the cold start of a replica on that placement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from paif_components.config.models import ModelEndpoint as EndpointConfig
from paif_components.context import SiteContext
from paif_components.estimators.capacity import VgpuProfile, parse_vgpu_profile
from paif_components.estimators.cold_start import ColdStartEstimate, estimate_cold_start
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import (
    size_gpus,
)
from paif_components.vks_cluster import storage_class_slug
from paif_components.workload_domain import passthrough_class_name, vgpu_class_name

VGPU_CLASS = re.compile(r"^(?P<base>vgpu-.+?)(?:-x(?P<count>\d+))?$")


# One source for each name: the components that create what is named. Kept importable from
# here as public API. The endpoint's cache volume takes the storage class slug as is, empty
# included (VksCluster refuses an empty one) — unchanged behaviour.
storage_class_name = storage_class_slug


vgpu_vm_class_name = vgpu_class_name


def vgpu_profiles(ctx: SiteContext) -> list[VgpuProfile]:
    parsed = []
    for name in ctx.workload_domain.vgpu_profiles:
        try:
            parsed.append(parse_vgpu_profile(name))
        except EstimatorError:
            continue
    return parsed


def largest_profile(ctx: SiteContext) -> VgpuProfile | None:
    """The site's vGPU profile with the largest framebuffer."""
    profiles = vgpu_profiles(ctx)
    return max(profiles, key=lambda p: p.framebuffer_gib) if profiles else None


def whole_gpu(ctx: SiteContext, profile: VgpuProfile) -> bool:
    """A whole-GPU profile: the only kind the domain offers -x2/-x4 classes of."""
    return profile.framebuffer_gib >= ctx.workload_domain.gpu.memory_gi_b


@dataclass(frozen=True)
class Placement:
    """What one replica gets: VM class, GPUs and the memory of each GPU."""

    vm_class: str
    gpus: int
    gpu_memory_gib: float
    sizing: str


def class_profile(ctx: SiteContext, vm_class: str) -> tuple[VgpuProfile, int] | None:
    """(profile, devices) when ``vm_class`` is one of the domain's vGPU classes."""
    match = VGPU_CLASS.match(vm_class)
    if not match:
        return None
    for profile in vgpu_profiles(ctx):
        if vgpu_class_name(profile.name) == match["base"]:
            return profile, int(match["count"] or 1)
    return None


def gpu_memory_for(ctx: SiteContext, vm_class: str | None) -> float:
    """GPU memory one device of ``vm_class`` has (the site's GPU when the class is unknown)."""
    wd = ctx.workload_domain
    known = class_profile(ctx, vm_class) if vm_class else None
    if known:
        return float(known[0].framebuffer_gib)
    largest = largest_profile(ctx)
    if not vm_class and wd.gpu.assignment == "vgpu" and largest is not None:
        return float(largest.framebuffer_gib)
    return float(wd.gpu.memory_gi_b)


def plan_placement(ctx: SiteContext, endpoint: EndpointConfig) -> Placement:
    """GPUs per replica (given, or derived from model size) and the VM class to run on.

    Without ``vmClass`` the replica gets the domain's class of that many devices of its
    largest vGPU profile (``paif_components.workload_domain`` names them), or of passthrough GPUs.
    """
    memory = gpu_memory_for(ctx, endpoint.vm_class)
    model = endpoint.model
    if endpoint.gpus_per_replica is not None:
        gpus = endpoint.gpus_per_replica
        sizing = f"{gpus} GPU(s) per replica as configured"
    else:
        derived = size_gpus(model.parameters_b, model.precision, memory)
        gpus = derived.gpus
        sizing = derived.explanation
    largest = largest_profile(ctx)
    if endpoint.vm_class:
        vm_class = endpoint.vm_class
    elif ctx.workload_domain.gpu.assignment == "passthrough":
        vm_class = passthrough_class_name(gpus)
    else:
        vm_class = vgpu_class_name(largest.name, gpus) if largest else ""
    return Placement(vm_class=vm_class, gpus=gpus, gpu_memory_gib=memory, sizing=sizing)


def cold_start_for(
    ctx: SiteContext, endpoint: EndpointConfig, placement: Placement
) -> ColdStartEstimate:
    """§9.5.3 cold start of one replica of this endpoint at this site."""
    return estimate_cold_start(
        endpoint.model.parameters_b,
        endpoint.model.precision,
        gpus=placement.gpus,
        assignment=ctx.workload_domain.gpu.assignment,
        gpu_memory_gib=placement.gpu_memory_gib,
    )


# Model cache volume: weights plus room for tokenizer/config and a second version during a
# rolling upgrade.
MODEL_CACHE_HEADROOM: Final = 2.0
