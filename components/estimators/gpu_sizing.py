"""How many GPUs one model replica needs, and whether a declared GPU count is enough.

The memory model is vLLM's: the engine may use ``gpu_memory_utilization`` of every GPU
(default 0.9) for the weights plus the KV cache and activations. Weights are parameters ×
bytes per parameter; the KV cache/activation reserve is a fraction of the weights, a simple
proxy that keeps every decision explainable in one line of the plan (POLICY-RULES
PAIF-CAP-003: weights + KV reserve ≤ GPUs × GPU memory × 0.9).

Tensor parallelism: vLLM shards a model over ``tensor_parallel_size`` GPUs, and that size must
divide the model's attention-head count. Head counts of served LLMs are multiples of 8 (32
for Llama 3.1 8B, 64 for 70B), so a power of two (1, 2, 4, 8) always divides them while 3, 5,
6 or 7 often do not. ``size_gpus`` therefore rounds a multi-GPU count up to the next power of
two; ``power_of_two=False`` gives the bare memory count (for pipeline parallelism or a model
whose head count is known to fit).

Memory units: GiB (2**30 bytes). An "80 GB" A100 has 80 GiB of framebuffer (81,920 MiB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from paif_components.estimators._json import num
from paif_components.estimators.errors import EstimatorError

GIB: Final = 2**30


class Precision(StrEnum):
    """Weight precision of a served model (config spelling)."""

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"


# Bytes one parameter occupies in GPU memory at each precision.
BYTES_PER_PARAMETER: Final[dict[Precision, float]] = {
    Precision.FP32: 4.0,
    Precision.FP16: 2.0,
    Precision.BF16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.INT4: 0.5,
}

# vLLM EngineArgs.gpu_memory_utilization default: the engine pre-allocates 90 % of each GPU
# (https://docs.vllm.ai/en/latest/configuration/engine_args.html); the rest is left to the
# CUDA context and other processes. PAIS model endpoints run vLLM (§9.1, §9.5.3 phase 4).
VLLM_GPU_MEMORY_UTILIZATION: Final = 0.9

# KV cache + activations as a fraction of the weights. 20 % keeps a few thousand tokens of
# context per sequence for a batch of concurrent requests on an 8B model and is the margin
# that makes Llama 3.1 70B FP16 (130.4 GiB of weights) need more than two 80 GiB GPUs once
# 90 % utilisation is applied: the usual 4 × A100 80GB deployment. §9.5.3: "70B needs
# multi-GPU initialisation"; ARCHITECTURE: "70B FP16 needs ≥ 2 GPUs".
DEFAULT_KV_RESERVE_FRACTION: Final = 0.2

# Tolerance for float comparisons at the exact boundary (GiB).
_EPSILON_GIB: Final = 1e-9


def parse_precision(value: str | Precision) -> Precision:
    """Accept ``fp16``/``FP16``/``Precision.FP16``; reject anything else, listing the choices."""
    if isinstance(value, Precision):
        return value
    if isinstance(value, str):
        try:
            return Precision(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(p.value for p in Precision)
    raise EstimatorError(f"unknown precision {value!r}: expected one of {choices}")


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EstimatorError(f"{name} must be a number, got {value!r}")
    if value <= 0:
        raise EstimatorError(f"{name} must be > 0, got {value!r}")
    return float(value)


def _check_utilization(utilization: float) -> float:
    value = _positive("utilization", utilization)
    if value > 1:
        raise EstimatorError(f"utilization is a fraction of GPU memory in (0, 1], got {value!r}")
    return value


def _check_fraction(kv_reserve_fraction: float) -> float:
    if (
        isinstance(kv_reserve_fraction, bool)
        or not isinstance(kv_reserve_fraction, int | float)
        or not math.isfinite(kv_reserve_fraction)
        or kv_reserve_fraction < 0
    ):
        raise EstimatorError(
            f"kv_reserve_fraction must be a number ≥ 0, got {kv_reserve_fraction!r}"
        )
    return float(kv_reserve_fraction)


def weights_gib(parameters_b: float, precision: str | Precision) -> float:
    """GiB the weights occupy: parameters (billions) × bytes per parameter."""
    params = _positive("parameters_b", parameters_b)
    return params * 1e9 * BYTES_PER_PARAMETER[parse_precision(precision)] / GIB


def next_power_of_two(n: int) -> int:
    """Smallest power of two ≥ n (n ≥ 1)."""
    if n < 1:
        raise EstimatorError(f"a GPU count must be ≥ 1, got {n}")
    return 1 << (n - 1).bit_length()


@dataclass(frozen=True)
class FitCheck:
    """Whether a model fits the GPUs given to one replica (PAIF-CAP-003), with the numbers."""

    parameters_b: float
    precision: str
    gpus: int
    gpu_memory_gib: float
    utilization: float
    weights_gib: float
    kv_reserve_gib: float
    required_gib: float
    available_gib: float
    ok: bool

    @property
    def shortfall_gib(self) -> float:
        """GiB missing (0 when it fits)."""
        return max(0.0, self.required_gib - self.available_gib)

    @property
    def message(self) -> str:
        verb = "fit within" if self.ok else "exceed"
        return (
            f"{self.parameters_b:g}B {self.precision}: weights {self.weights_gib:.1f} GiB + "
            f"KV reserve {self.kv_reserve_gib:.1f} GiB = {self.required_gib:.1f} GiB {verb} "
            f"{self.gpus} × {self.gpu_memory_gib:g} GiB × {self.utilization:g} = "
            f"{self.available_gib:.1f} GiB"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters_b": num(self.parameters_b),
            "precision": self.precision,
            "gpus": self.gpus,
            "gpu_memory_gib": num(self.gpu_memory_gib),
            "utilization": num(self.utilization),
            "weights_gib": num(self.weights_gib),
            "kv_reserve_gib": num(self.kv_reserve_gib),
            "required_gib": num(self.required_gib),
            "available_gib": num(self.available_gib),
            "shortfall_gib": num(self.shortfall_gib),
            "ok": self.ok,
            "message": self.message,
        }


def fits(
    parameters_b: float,
    precision: str | Precision,
    gpus: int,
    gpu_memory_gib: float,
    utilization: float = VLLM_GPU_MEMORY_UTILIZATION,
    kv_reserve_fraction: float = DEFAULT_KV_RESERVE_FRACTION,
) -> FitCheck:
    """PAIF-CAP-003: weights + KV reserve ≤ GPUs × GPU memory × utilisation."""
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise EstimatorError(f"gpus must be an integer ≥ 1, got {gpus!r}")
    prec = parse_precision(precision)
    memory = _positive("gpu_memory_gib", gpu_memory_gib)
    util = _check_utilization(utilization)
    fraction = _check_fraction(kv_reserve_fraction)
    weights = weights_gib(parameters_b, prec)
    reserve = weights * fraction
    required = weights + reserve
    available = gpus * memory * util
    return FitCheck(
        parameters_b=float(parameters_b),
        precision=prec.value,
        gpus=gpus,
        gpu_memory_gib=memory,
        utilization=util,
        weights_gib=weights,
        kv_reserve_gib=reserve,
        required_gib=required,
        available_gib=available,
        ok=required <= available + _EPSILON_GIB,
    )


@dataclass(frozen=True)
class GpuSizing:
    """GPUs per replica for a model, with the memory arithmetic behind the number."""

    parameters_b: float
    precision: str
    gpu_memory_gib: float
    utilization: float
    kv_reserve_fraction: float
    weights_gib: float
    kv_reserve_gib: float
    required_gib: float
    usable_gib_per_gpu: float
    gpus_by_memory: int
    gpus: int

    @property
    def explanation(self) -> str:
        text = (
            f"{self.parameters_b:g}B {self.precision} needs {self.required_gib:.1f} GiB "
            f"(weights {self.weights_gib:.1f} + KV reserve {self.kv_reserve_gib:.1f}); "
            f"{self.usable_gib_per_gpu:.1f} GiB usable per GPU "
            f"({self.gpu_memory_gib:g} GiB × {self.utilization:g}) → "
            f"{self.gpus_by_memory} GPU(s)"
        )
        if self.gpus != self.gpus_by_memory:
            text += f", rounded up to {self.gpus} for tensor parallelism (power of two)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters_b": num(self.parameters_b),
            "precision": self.precision,
            "gpu_memory_gib": num(self.gpu_memory_gib),
            "utilization": num(self.utilization),
            "kv_reserve_fraction": num(self.kv_reserve_fraction),
            "weights_gib": num(self.weights_gib),
            "kv_reserve_gib": num(self.kv_reserve_gib),
            "required_gib": num(self.required_gib),
            "usable_gib_per_gpu": num(self.usable_gib_per_gpu),
            "gpus_by_memory": self.gpus_by_memory,
            "gpus": self.gpus,
            "explanation": self.explanation,
        }


def size_gpus(
    parameters_b: float,
    precision: str | Precision,
    gpu_memory_gib: float,
    utilization: float = VLLM_GPU_MEMORY_UTILIZATION,
    kv_reserve_fraction: float = DEFAULT_KV_RESERVE_FRACTION,
    power_of_two: bool = True,
) -> GpuSizing:
    """GPUs one replica needs; the count is the smallest that :func:`fits` accepts.

    ``power_of_two`` rounds a multi-GPU count up to a valid tensor-parallel size (module doc).
    """
    prec = parse_precision(precision)
    memory = _positive("gpu_memory_gib", gpu_memory_gib)
    util = _check_utilization(utilization)
    fraction = _check_fraction(kv_reserve_fraction)
    weights = weights_gib(parameters_b, prec)
    required = weights * (1 + fraction)
    usable = memory * util

    def ok(n: int) -> bool:
        return fits(parameters_b, prec, n, memory, util, fraction).ok

    # Start from the arithmetic answer, then settle on the boundary with the same comparison
    # fits() uses, so size_gpus and fits can never disagree.
    count = max(1, math.ceil(required / usable))
    while count > 1 and ok(count - 1):
        count -= 1
    while not ok(count):
        count += 1
    rounded = next_power_of_two(count) if power_of_two else count
    return GpuSizing(
        parameters_b=float(parameters_b),
        precision=prec.value,
        gpu_memory_gib=memory,
        utilization=util,
        kv_reserve_fraction=fraction,
        weights_gib=weights,
        kv_reserve_gib=weights * fraction,
        required_gib=required,
        usable_gib_per_gpu=usable,
        gpus_by_memory=count,
        gpus=rounded,
    )


def gpus_required(
    parameters_b: float,
    precision: str | Precision,
    gpu_memory_gib: float,
    utilization: float = VLLM_GPU_MEMORY_UTILIZATION,
    kv_reserve_fraction: float = DEFAULT_KV_RESERVE_FRACTION,
    power_of_two: bool = True,
) -> int:
    """GPUs per replica (see :func:`size_gpus` for the arithmetic and the rounding)."""
    return size_gpus(
        parameters_b, precision, gpu_memory_gib, utilization, kv_reserve_fraction, power_of_two
    ).gpus
