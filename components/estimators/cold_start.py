"""Cold start of one model-endpoint replica, phase by phase, as a range and a point (§9.5.3).

§9.5.3 names five phases: (1) pod scheduling, seconds; (2) GPU allocation by the vGPU manager
or DirectPath I/O, seconds to tens of seconds; (3) container start, seconds; (4) model load
into GPU memory by vLLM, tens of seconds to minutes; (5) warm-up (first inference, CUDA
kernels), seconds. It expects, on A100 80GB, 30 s – 1 min for Llama 3.1 8B (bottleneck: model
loading) and 2 – 5 min for Llama 3.1 70B (model loading + multi-GPU initialisation), and says
vGPU is slightly slower than DirectPath I/O (passthrough).

Every phase is a (low, high) pair; the point estimate is the midpoint. Model load is the
model's bytes over a load bandwidth, so it grows with model size; a multi-GPU replica adds a
per-extra-GPU allocation and tensor-parallel initialisation time (NCCL set-up, per-worker
CUDA graphs), so more GPUs never make a start faster. The defaults below are calibrated so
that, for both vGPU and passthrough, an 8B FP16 replica lands inside 30–60 s and a 70B FP16
replica (4 GPUs, see gpu_sizing) inside 2–5 min, with model load the largest phase in both:

    8B  passthrough 30.9 – 55.1 s, vGPU 31.9 – 57.1 s
    70B passthrough 155.4 – 286.1 s, vGPU 157.0 – 289.9 s

The 70B point estimate (≈ 221 s) is about five times the 8B one (≈ 43 s), matching §9.5.3
"8B instead of 70B: 5× load time".

The model is assumed to be on the node already (image cached, §9.5.3 mitigation
``imagePullPolicy: IfNotPresent``); pulling it from Harbor is a separate RTO term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Final

from paif_components.estimators._json import num
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import (
    Precision,
    gpus_required,
    parse_precision,
    weights_gib,
)

# §9.5.3 phase 1, pod scheduling by the VKS scheduler: "seconds".
SCHEDULING_SECONDS: Final = (2.0, 3.0)
# §9.5.3 phase 2, GPU allocation (vGPU manager or DirectPath I/O): "seconds to tens of
# seconds"; one GPU, passthrough.
GPU_ALLOCATION_SECONDS: Final = (5.0, 10.0)
# Each further GPU of a multi-GPU replica is attached and initialised too.
GPU_ALLOCATION_PER_EXTRA_GPU_SECONDS: Final = (1.0, 3.0)
# §9.5.3 "vGPU: slightly slower (virtualisation overhead of the vGPU manager); DirectPath
# I/O: slightly faster": allocation takes 20 % longer on vGPU.
VGPU_ALLOCATION_FACTOR: Final = 1.2
# §9.5.3 phase 3, container start: "seconds" (image already on the node).
CONTAINER_START_SECONDS: Final = (3.0, 5.0)
# §9.5.3 phase 4, model load "tens of seconds to minutes", the bottleneck. Bandwidth from
# node storage into GPU memory, GiB/s: (low, high). The low end gives the high time.
# Calibrated on the 8B and 70B anchors above (safetensors read + host→GPU copy).
MODEL_LOAD_GIB_PER_SECOND: Final = (0.55, 1.0)
# §9.5.3 70B bottleneck "model loading + multi-GPU initialisation": per extra GPU.
MULTI_GPU_INIT_PER_EXTRA_GPU_SECONDS: Final = (2.0, 4.0)
# §9.5.3 phase 5, warm-up (first inference, CUDA kernel compilation): "seconds".
WARM_UP_SECONDS: Final = (6.0, 10.0)

# Default GPU of the §9.5.3 expectations (A100 80GB).
DEFAULT_GPU_MEMORY_GIB: Final = 80.0


class GpuAssignment(StrEnum):
    """How a replica gets its GPU: a vGPU profile or DirectPath I/O (passthrough)."""

    VGPU = "vgpu"
    PASSTHROUGH = "passthrough"


def parse_assignment(value: str | GpuAssignment) -> GpuAssignment:
    """Accept ``vgpu``/``passthrough`` (any case); reject anything else with the choices."""
    if isinstance(value, GpuAssignment):
        return value
    if isinstance(value, str):
        try:
            return GpuAssignment(value.strip().lower())
        except ValueError:
            pass
    raise EstimatorError(f"unknown GPU assignment {value!r}: expected 'vgpu' or 'passthrough'")


@dataclass(frozen=True)
class ColdStartProfile:
    """The cold-start constants, each overridable (``paif:dr.assumptions`` feeds these).

    Pairs are spelled as ``*_low`` / ``*_high`` fields so that stack config can override one
    number at a time with a flat key such as ``modelLoadGibPerSecondLow``.
    """

    scheduling_seconds_low: float = SCHEDULING_SECONDS[0]
    scheduling_seconds_high: float = SCHEDULING_SECONDS[1]
    gpu_allocation_seconds_low: float = GPU_ALLOCATION_SECONDS[0]
    gpu_allocation_seconds_high: float = GPU_ALLOCATION_SECONDS[1]
    gpu_allocation_per_extra_gpu_seconds_low: float = GPU_ALLOCATION_PER_EXTRA_GPU_SECONDS[0]
    gpu_allocation_per_extra_gpu_seconds_high: float = GPU_ALLOCATION_PER_EXTRA_GPU_SECONDS[1]
    vgpu_allocation_factor: float = VGPU_ALLOCATION_FACTOR
    container_start_seconds_low: float = CONTAINER_START_SECONDS[0]
    container_start_seconds_high: float = CONTAINER_START_SECONDS[1]
    model_load_gib_per_second_low: float = MODEL_LOAD_GIB_PER_SECOND[0]
    model_load_gib_per_second_high: float = MODEL_LOAD_GIB_PER_SECOND[1]
    multi_gpu_init_per_extra_gpu_seconds_low: float = MULTI_GPU_INIT_PER_EXTRA_GPU_SECONDS[0]
    multi_gpu_init_per_extra_gpu_seconds_high: float = MULTI_GPU_INIT_PER_EXTRA_GPU_SECONDS[1]
    warm_up_seconds_low: float = WARM_UP_SECONDS[0]
    warm_up_seconds_high: float = WARM_UP_SECONDS[1]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise EstimatorError(f"cold start {f.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise EstimatorError(f"cold start {f.name} must be ≥ 0, got {value!r}")
            object.__setattr__(self, f.name, float(value))
        for stem in (
            "scheduling_seconds",
            "gpu_allocation_seconds",
            "gpu_allocation_per_extra_gpu_seconds",
            "container_start_seconds",
            "model_load_gib_per_second",
            "multi_gpu_init_per_extra_gpu_seconds",
            "warm_up_seconds",
        ):
            low, high = getattr(self, f"{stem}_low"), getattr(self, f"{stem}_high")
            if low > high:
                raise EstimatorError(
                    f"cold start {stem}_low ({low:g}) exceeds {stem}_high ({high:g})"
                )
        if self.model_load_gib_per_second_low <= 0:
            raise EstimatorError("cold start model_load_gib_per_second_low must be > 0")
        if self.vgpu_allocation_factor < 1:
            raise EstimatorError(
                "cold start vgpu_allocation_factor must be ≥ 1 (§9.5.3: vGPU is slightly "
                f"slower than passthrough), got {self.vgpu_allocation_factor:g}"
            )


DEFAULT_PROFILE: Final = ColdStartProfile()


@dataclass(frozen=True)
class Phase:
    """One cold-start phase with its range and why it takes that long."""

    key: str
    label: str
    low_s: float
    high_s: float
    explanation: str

    @property
    def point_s(self) -> float:
        return (self.low_s + self.high_s) / 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "low_s": num(self.low_s),
            "high_s": num(self.high_s),
            "point_s": num(self.point_s),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ColdStartEstimate:
    """A replica's cold start: the phases and their sums."""

    parameters_b: float
    precision: str
    gpus: int
    assignment: str
    model_gib: float
    phases: tuple[Phase, ...]

    @property
    def low_s(self) -> float:
        return math.fsum(p.low_s for p in self.phases)

    @property
    def high_s(self) -> float:
        return math.fsum(p.high_s for p in self.phases)

    @property
    def point_s(self) -> float:
        return (self.low_s + self.high_s) / 2

    @property
    def range_s(self) -> tuple[float, float]:
        return (self.low_s, self.high_s)

    def phase(self, key: str) -> Phase:
        for p in self.phases:
            if p.key == key:
                return p
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters_b": num(self.parameters_b),
            "precision": self.precision,
            "gpus": self.gpus,
            "assignment": self.assignment,
            "model_gib": num(self.model_gib),
            "low_s": num(self.low_s),
            "high_s": num(self.high_s),
            "point_s": num(self.point_s),
            "phases": [p.to_dict() for p in self.phases],
        }


def estimate_cold_start(
    parameters_b: float,
    precision: str | Precision = Precision.FP16,
    gpus: int | None = None,
    assignment: str | GpuAssignment = GpuAssignment.VGPU,
    gpu_memory_gib: float = DEFAULT_GPU_MEMORY_GIB,
    profile: ColdStartProfile = DEFAULT_PROFILE,
) -> ColdStartEstimate:
    """Cold start of one replica; ``gpus`` defaults to what gpu_sizing says the model needs."""
    prec = parse_precision(precision)
    mode = parse_assignment(assignment)
    model_gib = weights_gib(parameters_b, prec)
    if gpus is None:
        gpus = gpus_required(parameters_b, prec, gpu_memory_gib)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise EstimatorError(f"gpus must be an integer ≥ 1, got {gpus!r}")
    extra = gpus - 1
    p = profile
    factor = p.vgpu_allocation_factor if mode is GpuAssignment.VGPU else 1.0
    allocation_low = factor * (
        p.gpu_allocation_seconds_low + extra * p.gpu_allocation_per_extra_gpu_seconds_low
    )
    allocation_high = factor * (
        p.gpu_allocation_seconds_high + extra * p.gpu_allocation_per_extra_gpu_seconds_high
    )
    via = "the vGPU manager" if mode is GpuAssignment.VGPU else "DirectPath I/O"
    phases = (
        Phase(
            "scheduling",
            "Pod scheduling",
            p.scheduling_seconds_low,
            p.scheduling_seconds_high,
            "The VKS scheduler places the pod on a GPU node (§9.5.3 phase 1: seconds).",
        ),
        Phase(
            "gpu_allocation",
            "GPU allocation",
            allocation_low,
            allocation_high,
            f"{gpus} GPU(s) attached through {via} (§9.5.3 phase 2: seconds to tens of "
            "seconds; vGPU slightly slower than passthrough).",
        ),
        Phase(
            "container_start",
            "Container start",
            p.container_start_seconds_low,
            p.container_start_seconds_high,
            "The vLLM container starts from an image cached on the node (§9.5.3 phase 3).",
        ),
        Phase(
            "model_load",
            "Model load",
            model_gib / p.model_load_gib_per_second_high,
            model_gib / p.model_load_gib_per_second_low,
            f"vLLM loads {model_gib:.1f} GiB of weights into GPU memory at "
            f"{p.model_load_gib_per_second_low:g}–{p.model_load_gib_per_second_high:g} GiB/s "
            "(§9.5.3 phase 4: the bottleneck).",
        ),
        Phase(
            "multi_gpu_init",
            "Multi-GPU initialisation",
            extra * p.multi_gpu_init_per_extra_gpu_seconds_low,
            extra * p.multi_gpu_init_per_extra_gpu_seconds_high,
            (
                f"Tensor-parallel start-up across {gpus} GPUs (§9.5.3: 70B adds multi-GPU "
                "initialisation)."
                if extra
                else "One GPU: no tensor-parallel start-up."
            ),
        ),
        Phase(
            "warm_up",
            "Warm-up",
            p.warm_up_seconds_low,
            p.warm_up_seconds_high,
            "First inference compiles CUDA kernels and captures graphs (§9.5.3 phase 5: seconds).",
        ),
    )
    return ColdStartEstimate(
        parameters_b=float(parameters_b),
        precision=prec.value,
        gpus=gpus,
        assignment=mode.value,
        model_gib=model_gib,
        phases=phases,
    )
