"""Cold start (§9.5.3): the 8B / 70B calibration on A100 80GB, and monotonicity."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components.estimators import (
    ColdStartProfile,
    EstimatorError,
    GpuAssignment,
    estimate_cold_start,
)

GIB = 2**30


@pytest.mark.parametrize("assignment", ["vgpu", "passthrough"])
def test_8b_on_a100_80gb_starts_in_30_to_60_seconds(assignment: str) -> None:
    est = estimate_cold_start(8, "fp16", assignment=assignment)
    assert est.gpus == 1
    assert 30 <= est.low_s < est.point_s < est.high_s <= 60
    # §9.5.3: the bottleneck is model loading.
    longest = max(est.phases, key=lambda p: p.point_s)
    assert longest.key == "model_load"


@pytest.mark.parametrize("assignment", ["vgpu", "passthrough"])
def test_70b_on_a100_80gb_starts_in_2_to_5_minutes(assignment: str) -> None:
    est = estimate_cold_start(70, "fp16", assignment=assignment)
    assert est.gpus == 4
    assert 120 <= est.low_s < est.point_s < est.high_s <= 300
    assert est.phase("multi_gpu_init").point_s > 0


def test_8b_vgpu_exact_phases() -> None:
    est = estimate_cold_start(8, "fp16", assignment="vgpu")
    model = 16e9 / GIB
    assert [p.key for p in est.phases] == [
        "scheduling",
        "gpu_allocation",
        "container_start",
        "model_load",
        "multi_gpu_init",
        "warm_up",
    ]
    assert est.phase("gpu_allocation").low_s == pytest.approx(5.0 * 1.2)
    assert est.phase("gpu_allocation").high_s == pytest.approx(10.0 * 1.2)
    assert est.phase("model_load").low_s == pytest.approx(model / 1.0)
    assert est.phase("model_load").high_s == pytest.approx(model / 0.55)
    assert est.low_s == pytest.approx(2 + 6 + 3 + model + 0 + 6)
    assert est.high_s == pytest.approx(3 + 12 + 5 + model / 0.55 + 0 + 10)
    assert est.range_s == (est.low_s, est.high_s)
    assert est.point_s == pytest.approx((est.low_s + est.high_s) / 2)


def test_70b_is_about_five_times_8b() -> None:
    """§9.5.3: 'do not use 70B when 8B is enough: 5× load time'."""
    ratio = estimate_cold_start(70).point_s / estimate_cold_start(8).point_s
    assert 4.5 <= ratio <= 5.5


def test_vgpu_is_slightly_slower_than_passthrough() -> None:
    vgpu = estimate_cold_start(8, assignment=GpuAssignment.VGPU)
    passthrough = estimate_cold_start(8, assignment="passthrough")
    assert vgpu.point_s - passthrough.point_s == pytest.approx((6 + 12) / 2 - (5 + 10) / 2)


def test_profile_overrides_change_the_estimate() -> None:
    fast = ColdStartProfile(model_load_gib_per_second_low=2.0, model_load_gib_per_second_high=4.0)
    assert estimate_cold_start(8, profile=fast).phase("model_load").high_s == pytest.approx(
        16e9 / GIB / 2.0
    )


def test_profile_validation_messages() -> None:
    with pytest.raises(EstimatorError) as err:
        ColdStartProfile(warm_up_seconds_low=20)
    assert str(err.value) == "cold start warm_up_seconds_low (20) exceeds warm_up_seconds_high (10)"
    with pytest.raises(EstimatorError) as err:
        ColdStartProfile(vgpu_allocation_factor=0.5)
    assert "vgpu_allocation_factor must be ≥ 1" in str(err.value)
    with pytest.raises(EstimatorError) as err:
        estimate_cold_start(8, assignment="sriov")
    assert str(err.value) == "unknown GPU assignment 'sriov': expected 'vgpu' or 'passthrough'"


def test_to_dict_is_json() -> None:
    data = estimate_cold_start(70).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["gpus"] == 4
    assert [p["key"] for p in data["phases"]][-1] == "warm_up"
    assert data["low_s"] == round(estimate_cold_start(70).low_s, 3)


sizes = st.floats(min_value=0.1, max_value=500, allow_nan=False)
gpu_counts = st.integers(min_value=1, max_value=16)
assignments = st.sampled_from(["vgpu", "passthrough"])


@settings(max_examples=200, deadline=None)
@given(sizes, sizes, gpu_counts, assignments)
def test_bigger_model_never_starts_faster(a: float, b: float, gpus: int, mode: str) -> None:
    small, large = sorted((a, b))
    x = estimate_cold_start(small, gpus=gpus, assignment=mode)
    y = estimate_cold_start(large, gpus=gpus, assignment=mode)
    assert x.low_s <= y.low_s and x.high_s <= y.high_s and x.point_s <= y.point_s


@settings(max_examples=200, deadline=None)
@given(sizes, sizes, assignments)
def test_bigger_model_never_starts_faster_with_sized_gpus(a: float, b: float, mode: str) -> None:
    small, large = sorted((a, b))
    assert (
        estimate_cold_start(small, assignment=mode).point_s
        <= estimate_cold_start(large, assignment=mode).point_s
    )


@settings(max_examples=200, deadline=None)
@given(sizes, gpu_counts, gpu_counts)
def test_more_gpus_never_start_faster_and_phases_are_ordered(p: float, g1: int, g2: int) -> None:
    few, many = sorted((g1, g2))
    x = estimate_cold_start(p, gpus=few)
    y = estimate_cold_start(p, gpus=many)
    assert x.point_s <= y.point_s
    for phase in y.phases:
        assert 0 <= phase.low_s <= phase.point_s <= phase.high_s
    assert estimate_cold_start(p, gpus=few, assignment="passthrough").point_s <= x.point_s
