"""GPU capacity: vGPU profile slices, N+1, tenant quotas, and surviving a site loss."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components.estimators import (
    EndpointDemand,
    EstimatorError,
    ScalingRange,
    TenantDemand,
    check_capacity,
    check_site_loss,
    gpu_pool,
    parse_vgpu_profile,
    replicas_within_quota,
)


@pytest.mark.parametrize(
    ("profile", "memory", "slices"),
    [
        ("nvidia_a100-40c", 80, 2),
        ("grid_a100-40c", 80, 2),
        ("grid_a100-40c", 40, 1),
        ("nvidia_h100-80c", 80, 1),
        ("nvidia_a100d-20c", 80, 4),
        ("nvidia_a100-16c", 80, 5),
        ("grid_a100-3-20c", 40, 2),  # MIG 3g.20gb: 7 // 3
        ("grid_a100-1-5c", 40, 7),  # MIG 1g.5gb: 7 slices, not 8
        ("grid_a100d-4-40c", 80, 1),
        ("grid_a30-1-6c", 24, 4),  # A30 has 4 MIG slices
        ("NVIDIA_L40S-48Q", 48, 1),
    ],
)
def test_slices_per_gpu(profile: str, memory: int, slices: int) -> None:
    assert parse_vgpu_profile(profile).slices_per_gpu(memory) == slices


def test_parsed_profile_fields() -> None:
    profile = parse_vgpu_profile("grid_a100-3-20c")
    assert (profile.gpu, profile.framebuffer_gib, profile.mig_slices, profile.series) == (
        "a100",
        20,
        3,
        "c",
    )


@pytest.mark.parametrize(
    "name",
    ["a100-40c", "nvidia_a100_40c", "nvidia_a100-40x", "nvidia_a100-0c", "vmware_a100-40c", ""],
)
def test_unparseable_profiles_are_rejected(name: str) -> None:
    with pytest.raises(EstimatorError) as err:
        parse_vgpu_profile(name)
    assert str(err.value) == (
        f"cannot parse vGPU profile {name!r}: expected '<grid|nvidia>_<gpu>-<GiB><series>' such "
        "as 'nvidia_a100-40c' or 'grid_a100-3-20c' (MIG-backed), series one of a, b, c, q"
    )


def test_profile_larger_than_the_gpu_is_rejected() -> None:
    with pytest.raises(EstimatorError) as err:
        gpu_pool(4, 4, 40, "nvidia_a100-80c")
    assert str(err.value) == (
        "vGPU profile 'nvidia_a100-80c' needs 80 GiB of framebuffer but the GPU has 40 GiB"
    )


def test_pool_and_n_plus_one() -> None:
    pool = gpu_pool(4, 4, 80, "nvidia_a100-40c")
    assert (pool.slices_per_gpu, pool.per_host, pool.total, pool.n_plus_one) == (2, 8, 32, 24)
    assert pool.explanation == (
        "4 hosts × 4 GPUs × 2 = 32 nvidia_a100-40c slices; N+1 (one host down) leaves 24"
    )
    passthrough = gpu_pool(3, 8, 80)
    assert (passthrough.total, passthrough.n_plus_one) == (24, 16)
    assert "profile" not in passthrough.to_dict()


def marketing(max_replicas: int = 2) -> TenantDemand:
    """§9.4.3 example quota: nvidia.com/gpu 4."""
    return TenantDemand(
        "marketing",
        4,
        (
            EndpointDemand("chat", max_replicas, 1),
            EndpointDemand("embed", 1, 1, critical=False),
        ),
    )


def test_capacity_fits() -> None:
    pool = gpu_pool(3, 4, 80)  # 12 GPUs, 8 with a host down
    result = check_capacity(
        pool, [marketing(), TenantDemand("hr", 4, (EndpointDemand("qa", 2, 2),))]
    )
    assert (result.peak_gpus, result.quota_gpus, result.headroom_gpus) == (7, 8, 1)
    assert result.ok and result.messages == ()


def test_capacity_short_of_n_plus_one_and_quota_exceeded() -> None:
    pool = gpu_pool(3, 4, 80)
    result = check_capacity(pool, [marketing(max_replicas=10), TenantDemand("hr", None)])
    assert not result.peak_fits and result.quotas_fit
    assert result.headroom_gpus == -3
    assert result.messages == (
        "endpoints at max replicas need 11 GPUs but the pool has 8 with one host down "
        "(3 hosts × 4 GPUs × 1 = 12 GPUs (passthrough); N+1 (one host down) leaves 8)",
        "tenant marketing: endpoints at max replicas need 11 GPUs (chat 10×1 + embed 1×1), "
        "which exceed its quota of 4",
        "tenant hr: no GPU quota (requests.nvidia.com/gpu) to hold its 0 GPUs at max replicas "
        "against (PAIF-MT-001)",
    )
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["tenants"][1] == {
        "tenant": "hr",
        "peak_gpus": 0,
        "ok": False,
        "message": result.messages[2],
    }


def test_quota_sum_over_n_plus_one() -> None:
    result = check_capacity(gpu_pool(2, 4, 80), [TenantDemand("a", 3), TenantDemand("b", 3)])
    assert result.peak_fits and not result.quotas_fit
    assert result.messages == (
        "tenant GPU quotas add up to 6 but the pool has 4 with one host down",
    )


def test_duplicate_tenants_are_rejected() -> None:
    with pytest.raises(EstimatorError) as err:
        check_capacity(gpu_pool(2, 4, 80), [TenantDemand("a", 1), TenantDemand("a", 1)])
    assert str(err.value) == "tenant name(s) a appear more than once"


def test_site_loss_active_active() -> None:
    pool = gpu_pool(4, 4, 80)  # 16 GPUs per site
    site = [marketing(max_replicas=6)]  # peak 7, critical 6
    result = check_site_loss(pool, site, site, survivor_site="site-b", failed_site="site-a")
    assert (result.required_gpus, result.capacity_gpus, result.headroom_gpus) == (13, 16, 3)
    assert result.ok
    assert result.message == (
        "after losing site-a, site-b must carry its own peak 7 + site-a's critical 6 = 13 GPUs, "
        "which fits its 16 (all hosts up)"
    )
    strict = check_site_loss(pool, site, site, keep_n_plus_one=True)
    assert strict.capacity_gpus == 12 and not strict.ok


def test_site_loss_warm_standby_small_dr_site() -> None:
    dr_pool = gpu_pool(1, 2, 80)
    result = check_site_loss(dr_pool, [], [marketing(max_replicas=3)])
    assert (result.required_gpus, result.capacity_gpus, result.ok) == (3, 2, False)
    assert result.to_dict()["headroom_gpus"] == -1


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=64),
    st.integers(min_value=1, max_value=16),
    st.sampled_from([24, 40, 48, 80, 94, 141]),
    st.one_of(st.none(), st.sampled_from([4, 8, 10, 12, 16, 20, 24, 40, 48, 80])),
)
def test_pool_arithmetic(hosts: int, gpus: int, memory: int, framebuffer: int | None) -> None:
    if framebuffer is not None and framebuffer > memory:
        with pytest.raises(EstimatorError):
            gpu_pool(hosts, gpus, memory, f"nvidia_x1-{framebuffer}c")
        return
    profile = None if framebuffer is None else f"nvidia_x1-{framebuffer}c"
    pool = gpu_pool(hosts, gpus, memory, profile)
    assert pool.total == hosts * gpus * pool.slices_per_gpu
    assert pool.n_plus_one == pool.total - pool.per_host
    if framebuffer is not None:
        assert pool.slices_per_gpu * framebuffer <= memory < (pool.slices_per_gpu + 1) * framebuffer


demands = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=8)),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=40), demands), max_size=4),
    st.integers(min_value=1, max_value=8),
)
def test_capacity_is_exactly_the_sums(tenants_spec: list, hosts: int) -> None:  # type: ignore[type-arg]
    tenants = [
        TenantDemand(
            f"t{i}", quota, tuple(EndpointDemand(f"e{j}", r, g) for j, (r, g) in enumerate(eps))
        )
        for i, (quota, eps) in enumerate(tenants_spec)
    ]
    pool = gpu_pool(hosts, 4, 80)
    result = check_capacity(pool, tenants)
    peak = sum(r * g for _, eps in tenants_spec for r, g in eps)
    assert result.peak_gpus == peak
    assert result.peak_fits == (peak <= (hosts - 1) * 4)
    assert result.quotas_fit == (sum(q for q, _ in tenants_spec) <= (hosts - 1) * 4)
    for check, (quota, eps) in zip(result.tenants, tenants_spec, strict=True):
        assert check.ok == (sum(r * g for r, g in eps) <= quota)
    assert result.ok == (
        result.peak_fits and result.quotas_fit and all(t.ok for t in result.tenants)
    )
    assert result.ok == (result.messages == ())


def test_quota_caps_the_example_chat_endpoint_at_two_replicas() -> None:
    """§9.4.3 quota 4 against §9.5.2 bounds: the minimums take every GPU (PAIF-CAP-002)."""
    endpoints = [ScalingRange("llama-chat", 2, 10, 1), ScalingRange("embeddings", 2, 2, 1)]
    assert replicas_within_quota(4, endpoints) == {"llama-chat": 2, "embeddings": 2}
    assert replicas_within_quota(8, endpoints) == {"llama-chat": 6, "embeddings": 2}
    assert replicas_within_quota(3, endpoints) == {"llama-chat": 1, "embeddings": 1}
    assert replicas_within_quota(9, [ScalingRange("big", 1, 4, 4)]) == {"big": 2}


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=40),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=6),
            st.integers(min_value=0, max_value=10),
            st.integers(min_value=1, max_value=4),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_replicas_within_quota_is_the_best_case_for_each(
    quota: int,
    spec: list[tuple[int, int, int]],
) -> None:
    ranges = [
        ScalingRange(f"e{i}", low, low + extra, gpus) for i, (low, extra, gpus) in enumerate(spec)
    ]
    reach = replicas_within_quota(quota, ranges)
    floors = sum(r.min_replicas * r.gpus_per_replica for r in ranges)
    for r in ranges:
        most = reach[r.name]
        others = floors - r.min_replicas * r.gpus_per_replica
        assert 0 <= most <= r.max_replicas
        if most > 0:  # it fits beside the others' minimums ...
            assert others + most * r.gpus_per_replica <= quota
        if most < r.max_replicas:  # ... and one more replica would not
            assert others + (most + 1) * r.gpus_per_replica > quota
