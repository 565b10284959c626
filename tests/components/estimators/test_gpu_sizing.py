"""GPU sizing: the §9.5.3 / ARCHITECTURE examples exactly, and properties of the memory model."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components.estimators import (
    BYTES_PER_PARAMETER,
    VLLM_GPU_MEMORY_UTILIZATION,
    EstimatorError,
    Precision,
    fits,
    gpus_required,
    size_gpus,
    weights_gib,
)

GIB = 2**30


def test_llama_8b_fp16_on_a100_80gb_needs_one_gpu() -> None:
    sizing = size_gpus(8, "fp16", 80)
    assert sizing.weights_gib == pytest.approx(16e9 / GIB)  # 14.90 GiB
    assert sizing.kv_reserve_gib == pytest.approx(0.2 * 16e9 / GIB)
    assert sizing.usable_gib_per_gpu == pytest.approx(72.0)
    assert sizing.gpus_by_memory == 1
    assert sizing.gpus == 1
    assert gpus_required(8, "fp16", 80) == 1


def test_llama_70b_fp16_needs_at_least_two_gpus_rounded_to_four() -> None:
    sizing = size_gpus(70, "fp16", 80)
    assert sizing.weights_gib == pytest.approx(140e9 / GIB)  # 130.39 GiB
    assert sizing.required_gib == pytest.approx(1.2 * 140e9 / GIB)  # 156.46 GiB
    assert sizing.gpus_by_memory == 3  # 156.46 / 72 → 3
    assert sizing.gpus == 4  # tensor-parallel size must divide the heads: power of two
    assert gpus_required(70, "fp16", 80) >= 2
    assert gpus_required(70, "fp16", 80, power_of_two=False) == 3
    assert sizing.explanation == (
        "70B fp16 needs 156.5 GiB (weights 130.4 + KV reserve 26.1); 72.0 GiB usable per GPU "
        "(80 GiB × 0.9) → 3 GPU(s), rounded up to 4 for tensor parallelism (power of two)"
    )


def test_70b_int4_fits_one_gpu_and_fp8_needs_two() -> None:
    assert gpus_required(70, "int4", 80) == 1  # 32.6 GiB × 1.2 = 39.1 ≤ 72
    assert gpus_required(70, "fp8", 80) == 2  # 65.2 GiB × 1.2 = 78.2 > 72


def test_vllm_default_utilization_is_point_nine() -> None:
    assert VLLM_GPU_MEMORY_UTILIZATION == 0.9


def test_fits_reports_numbers_and_message() -> None:
    check = fits(70, "fp16", 2, 80)
    assert not check.ok
    assert check.available_gib == pytest.approx(144.0)
    assert check.shortfall_gib == pytest.approx(1.2 * 140e9 / GIB - 144.0)
    assert check.message == (
        "70B fp16: weights 130.4 GiB + KV reserve 26.1 GiB = 156.5 GiB exceed "
        "2 × 80 GiB × 0.9 = 144.0 GiB"
    )
    ok = fits(8, "bf16", 1, 80)
    assert ok.ok and ok.shortfall_gib == 0
    assert ok.message.endswith("fit within 1 × 80 GiB × 0.9 = 72.0 GiB")


def test_fits_without_kv_reserve_lets_70b_fp16_on_two_gpus() -> None:
    assert fits(70, "fp16", 2, 80, kv_reserve_fraction=0.0).ok


def test_to_dict_is_json_with_plain_values() -> None:
    data = size_gpus(70, "fp16", 80).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["gpus"] == 4 and data["gpus_by_memory"] == 3
    assert data["weights_gib"] == 130.385
    check = fits(70, "fp16", 4, 80).to_dict()
    assert check["ok"] is True and check["available_gib"] == 288.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: weights_gib(8, "fp12"),
            "unknown precision 'fp12': expected one of fp32, fp16, bf16, fp8, int8, int4",
        ),
        (lambda: size_gpus(0, "fp16", 80), "parameters_b must be > 0, got 0"),
        (
            lambda: size_gpus(8, "fp16", 80, utilization=1.5),
            "utilization is a fraction of GPU memory in (0, 1], got 1.5",
        ),
        (lambda: size_gpus(8, "fp16", -1), "gpu_memory_gib must be > 0, got -1"),
        (
            lambda: size_gpus(8, "fp16", 80, kv_reserve_fraction=-0.1),
            "kv_reserve_fraction must be a number ≥ 0, got -0.1",
        ),
        (lambda: fits(8, "fp16", 0, 80), "gpus must be an integer ≥ 1, got 0"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EstimatorError) as err:
        call()
    assert str(err.value) == message


def test_precision_accepts_any_case() -> None:
    assert weights_gib(8, "FP16") == weights_gib(8, Precision.FP16)


params = st.floats(min_value=0.1, max_value=1000, allow_nan=False)
precisions = st.sampled_from(list(Precision))
memories = st.sampled_from([16, 24, 40, 48, 80, 94, 141])
fractions = st.floats(min_value=0, max_value=1)


@settings(max_examples=200, deadline=None)
@given(params, precisions, memories, fractions)
def test_sized_count_fits_and_one_fewer_does_not(
    p: float, prec: Precision, mem: int, frac: float
) -> None:
    sizing = size_gpus(p, prec, mem, kv_reserve_fraction=frac)
    assert fits(p, prec, sizing.gpus_by_memory, mem, kv_reserve_fraction=frac).ok
    assert fits(p, prec, sizing.gpus, mem, kv_reserve_fraction=frac).ok
    if sizing.gpus_by_memory > 1:
        assert not fits(p, prec, sizing.gpus_by_memory - 1, mem, kv_reserve_fraction=frac).ok
    assert sizing.gpus & (sizing.gpus - 1) == 0  # a power of two
    assert sizing.gpus_by_memory <= sizing.gpus < 2 * sizing.gpus_by_memory


@settings(max_examples=200, deadline=None)
@given(params, params, precisions, memories)
def test_bigger_model_never_needs_fewer_gpus(a: float, b: float, prec: Precision, mem: int) -> None:
    small, large = sorted((a, b))
    assert gpus_required(small, prec, mem) <= gpus_required(large, prec, mem)


@settings(max_examples=200, deadline=None)
@given(params, precisions, precisions, memories)
def test_fewer_bytes_per_parameter_never_needs_more_gpus(
    p: float, x: Precision, y: Precision, mem: int
) -> None:
    lean, heavy = sorted((x, y), key=lambda q: BYTES_PER_PARAMETER[q])
    assert gpus_required(p, lean, mem) <= gpus_required(p, heavy, mem)
