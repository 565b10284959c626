"""GPU capacity of a workload domain against what tenants may scale to (§9.4.3, §9.5.3).

The unit is one schedulable GPU device as Kubernetes counts it (``nvidia.com/gpu``): a whole
GPU with passthrough, or one vGPU slice of a profile. A host with 4 × A100 80GB and profile
``nvidia_a100-40c`` offers 8 slices. Demand (replicas × GPUs per replica) must be in the same
unit: size a replica against the profile's framebuffer, not the physical GPU.

Checks, each returned with its numbers for the policies and the plan:

- PAIF-CAP-001: Σ endpoints' max replicas × GPUs per replica, and Σ tenant GPU quotas, fit
  the pool minus its largest host (N+1: §9.5.3 "keep headroom in the GPU pool", §9.2.2
  N+1 recommended).
- PAIF-CAP-002: each tenant's endpoints at max replicas fit its own GPU quota (§9.4.3).
- PAIF-DR-009: after a site is lost, the survivor carries its own peak plus the failed
  site's critical load (§9.3.3 pattern 3: each site must carry the whole service).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final

from paif_components.estimators._json import num
from paif_components.estimators.errors import EstimatorError

# MIG compute slices per GPU: A100 and H100 split into 7, A30 into 4 (NVIDIA MIG user guide).
# A MIG-backed profile "a100-3-40c" takes 3 of them, so profiles of 1, 2, 3 slices fit 7, 3, 2
# times on an A100 and 4 or 7 slices once: slices per GPU = compute slices // profile slices.
MIG_COMPUTE_SLICES: Final = 7
MIG_COMPUTE_SLICES_BY_GPU: Final[dict[str, int]] = {"a30": 4}

# vSphere vGPU device names: "grid_a100-40c" (older drivers), "nvidia_a100-40c", MIG-backed
# "grid_a100-3-40c", 80 GB parts "nvidia_a100d-80c". Series letter: C compute, Q workstation,
# B/A virtual PC/apps.
_PROFILE_RE: Final = re.compile(
    r"^(?P<prefix>grid|nvidia)_(?P<gpu>[a-z][a-z0-9]*)-(?:(?P<mig>[1-7])-)?(?P<fb>\d+)(?P<series>[abcq])$"
)


@dataclass(frozen=True)
class VgpuProfile:
    """A parsed vGPU profile name."""

    name: str
    gpu: str
    framebuffer_gib: int
    mig_slices: int | None
    series: str

    def slices_per_gpu(self, gpu_memory_gib: float) -> int:
        """How many devices of this profile one GPU of that memory offers."""
        if gpu_memory_gib <= 0:
            raise EstimatorError(f"GPU memory must be > 0 GiB, got {gpu_memory_gib!r}")
        if self.framebuffer_gib > gpu_memory_gib:
            raise EstimatorError(
                f"vGPU profile {self.name!r} needs {self.framebuffer_gib} GiB of framebuffer but "
                f"the GPU has {gpu_memory_gib:g} GiB"
            )
        by_memory = math.floor(gpu_memory_gib / self.framebuffer_gib)
        if self.mig_slices is None:
            return by_memory
        compute = MIG_COMPUTE_SLICES_BY_GPU.get(self.gpu, MIG_COMPUTE_SLICES)
        if self.mig_slices > compute:
            raise EstimatorError(
                f"vGPU profile {self.name!r} takes {self.mig_slices} MIG slices but a "
                f"{self.gpu} has {compute}"
            )
        return min(by_memory, compute // self.mig_slices)


def parse_vgpu_profile(name: str) -> VgpuProfile:
    """Parse ``nvidia_a100-40c``, ``grid_a100-40c``, ``grid_a100-3-20c``, ``nvidia_h100-80c``."""
    if not isinstance(name, str):
        raise EstimatorError(f"a vGPU profile is a string such as 'nvidia_a100-40c', got {name!r}")
    match = _PROFILE_RE.match(name.strip().lower())
    if not match or int(match["fb"]) == 0:
        raise EstimatorError(
            f"cannot parse vGPU profile {name!r}: expected '<grid|nvidia>_<gpu>-<GiB><series>' "
            "such as 'nvidia_a100-40c' or 'grid_a100-3-20c' (MIG-backed), series one of "
            "a, b, c, q"
        )
    return VgpuProfile(
        name=name.strip(),
        gpu=match["gpu"],
        framebuffer_gib=int(match["fb"]),
        mig_slices=int(match["mig"]) if match["mig"] else None,
        series=match["series"],
    )


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise EstimatorError(f"{name} must be an integer ≥ 1, got {value!r}")
    return value


def _non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EstimatorError(f"{name} must be an integer ≥ 0, got {value!r}")
    return value


@dataclass(frozen=True)
class GpuPool:
    """GPU devices of a workload-domain cluster, in ``nvidia.com/gpu`` units."""

    hosts: int
    gpus_per_host: int
    gpu_memory_gib: float
    profile: str | None
    slices_per_gpu: int

    @property
    def per_host(self) -> int:
        return self.gpus_per_host * self.slices_per_gpu

    @property
    def total(self) -> int:
        return self.hosts * self.per_host

    @property
    def n_plus_one(self) -> int:
        """Devices left with one host down (hosts are identical, so any host)."""
        return (self.hosts - 1) * self.per_host

    @property
    def explanation(self) -> str:
        unit = f"{self.profile} slices" if self.profile else "GPUs (passthrough)"
        return (
            f"{self.hosts} hosts × {self.gpus_per_host} GPUs × {self.slices_per_gpu} = "
            f"{self.total} {unit}; N+1 (one host down) leaves {self.n_plus_one}"
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hosts": self.hosts,
            "gpus_per_host": self.gpus_per_host,
            "gpu_memory_gib": num(self.gpu_memory_gib),
            "slices_per_gpu": self.slices_per_gpu,
            "per_host": self.per_host,
            "total": self.total,
            "n_plus_one": self.n_plus_one,
            "explanation": self.explanation,
        }
        if self.profile:
            out["profile"] = self.profile
        return out


def gpu_pool(
    hosts: int, gpus_per_host: int, gpu_memory_gib: float, profile: str | None = None
) -> GpuPool:
    """hosts × GPUs per host × slices per GPU (1 without a profile, i.e. passthrough)."""
    _positive_int("hosts", hosts)
    _positive_int("gpus_per_host", gpus_per_host)
    if (
        isinstance(gpu_memory_gib, bool)
        or not isinstance(gpu_memory_gib, int | float)
        or gpu_memory_gib <= 0
    ):
        raise EstimatorError(f"gpu_memory_gib must be > 0, got {gpu_memory_gib!r}")
    slices = 1 if profile is None else parse_vgpu_profile(profile).slices_per_gpu(gpu_memory_gib)
    return GpuPool(hosts, gpus_per_host, float(gpu_memory_gib), profile, slices)


@dataclass(frozen=True)
class EndpointDemand:
    """An endpoint's GPU demand at its peak (max replicas)."""

    name: str
    max_replicas: int
    gpus_per_replica: int
    critical: bool = True

    def __post_init__(self) -> None:
        _non_negative_int(f"endpoint {self.name!r}: max_replicas", self.max_replicas)
        _positive_int(f"endpoint {self.name!r}: gpus_per_replica", self.gpus_per_replica)

    @property
    def peak_gpus(self) -> int:
        return self.max_replicas * self.gpus_per_replica


@dataclass(frozen=True)
class TenantDemand:
    """A tenant's GPU quota (``requests.nvidia.com/gpu``, §9.4.3) and its endpoints."""

    name: str
    gpu_quota: int | None
    endpoints: tuple[EndpointDemand, ...] = ()

    def __post_init__(self) -> None:
        if self.gpu_quota is not None:
            _non_negative_int(f"tenant {self.name!r}: gpu_quota", self.gpu_quota)
        object.__setattr__(self, "endpoints", tuple(self.endpoints))

    @property
    def peak_gpus(self) -> int:
        return sum(e.peak_gpus for e in self.endpoints)

    @property
    def critical_peak_gpus(self) -> int:
        return sum(e.peak_gpus for e in self.endpoints if e.critical)


@dataclass(frozen=True)
class TenantCheck:
    """PAIF-CAP-002 for one tenant."""

    tenant: str
    gpu_quota: int | None
    peak_gpus: int
    ok: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenant": self.tenant,
            "peak_gpus": self.peak_gpus,
            "ok": self.ok,
            "message": self.message,
        }
        if self.gpu_quota is not None:
            out["gpu_quota"] = self.gpu_quota
        return out


@dataclass(frozen=True)
class CapacityCheck:
    """PAIF-CAP-001 for the pool and PAIF-CAP-002 per tenant."""

    pool: GpuPool
    peak_gpus: int
    quota_gpus: int
    tenants: tuple[TenantCheck, ...]

    @property
    def peak_fits(self) -> bool:
        return self.peak_gpus <= self.pool.n_plus_one

    @property
    def quotas_fit(self) -> bool:
        return self.quota_gpus <= self.pool.n_plus_one

    @property
    def headroom_gpus(self) -> int:
        """N+1 capacity left at everyone's peak (negative: short by that many)."""
        return self.pool.n_plus_one - self.peak_gpus

    @property
    def ok(self) -> bool:
        return self.peak_fits and self.quotas_fit and all(t.ok for t in self.tenants)

    @property
    def messages(self) -> tuple[str, ...]:
        """One line per problem (empty when everything fits)."""
        out: list[str] = []
        if not self.peak_fits:
            out.append(
                f"endpoints at max replicas need {self.peak_gpus} GPUs but the pool has "
                f"{self.pool.n_plus_one} with one host down ({self.pool.explanation})"
            )
        if not self.quotas_fit:
            out.append(
                f"tenant GPU quotas add up to {self.quota_gpus} but the pool has "
                f"{self.pool.n_plus_one} with one host down"
            )
        out.extend(t.message for t in self.tenants if not t.ok)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool": self.pool.to_dict(),
            "peak_gpus": self.peak_gpus,
            "quota_gpus": self.quota_gpus,
            "headroom_gpus": self.headroom_gpus,
            "peak_fits": self.peak_fits,
            "quotas_fit": self.quotas_fit,
            "ok": self.ok,
            "tenants": [t.to_dict() for t in self.tenants],
            "messages": list(self.messages),
        }


def check_tenant(tenant: TenantDemand) -> TenantCheck:
    """PAIF-CAP-002: the tenant's endpoints at max replicas fit its own GPU quota."""
    peak = tenant.peak_gpus
    if tenant.gpu_quota is None:
        return TenantCheck(
            tenant.name,
            None,
            peak,
            False,
            f"tenant {tenant.name}: no GPU quota (requests.nvidia.com/gpu) to hold its "
            f"{peak} GPUs at max replicas against (PAIF-MT-001)",
        )
    ok = peak <= tenant.gpu_quota
    detail = " + ".join(f"{e.name} {e.max_replicas}×{e.gpus_per_replica}" for e in tenant.endpoints)
    relation = "fit" if ok else "exceed"
    return TenantCheck(
        tenant.name,
        tenant.gpu_quota,
        peak,
        ok,
        f"tenant {tenant.name}: endpoints at max replicas need {peak} GPUs"
        + (f" ({detail})" if detail else "")
        + f", which {relation} its quota of {tenant.gpu_quota}",
    )


def check_capacity(
    pool: GpuPool, tenants: tuple[TenantDemand, ...] | list[TenantDemand]
) -> CapacityCheck:
    """PAIF-CAP-001 and PAIF-CAP-002 for every tenant sharing the pool."""
    names = [t.name for t in tenants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EstimatorError(f"tenant name(s) {', '.join(duplicates)} appear more than once")
    return CapacityCheck(
        pool=pool,
        peak_gpus=sum(t.peak_gpus for t in tenants),
        quota_gpus=sum(t.gpu_quota or 0 for t in tenants),
        tenants=tuple(check_tenant(t) for t in tenants),
    )


@dataclass(frozen=True)
class ScalingRange:
    """An endpoint's autoscaling bounds and GPUs per replica, as a quota sees them."""

    name: str
    min_replicas: int
    max_replicas: int
    gpus_per_replica: int

    def __post_init__(self) -> None:
        _non_negative_int(f"endpoint {self.name!r}: min_replicas", self.min_replicas)
        _non_negative_int(f"endpoint {self.name!r}: max_replicas", self.max_replicas)
        _positive_int(f"endpoint {self.name!r}: gpus_per_replica", self.gpus_per_replica)


def replicas_within_quota(gpu_quota: int, endpoints: list[ScalingRange]) -> dict[str, int]:
    """The most replicas each endpoint reaches under ``gpu_quota`` (PAIF-CAP-002's message).

    One endpoint scales while every other stays at its minimum, the best case the quota leaves
    it; the answer never exceeds its own max and is below its min when the minimums alone do
    not fit. Marketing's example (quota 4; llama-chat 2..10 × 1, embeddings 2..2 × 1) gives
    llama-chat 2 of its 10.
    """
    _non_negative_int("gpu_quota", gpu_quota)
    floors = sum(e.min_replicas * e.gpus_per_replica for e in endpoints)
    out: dict[str, int] = {}
    for e in endpoints:
        room = gpu_quota - (floors - e.min_replicas * e.gpus_per_replica)
        out[e.name] = min(e.max_replicas, max(0, room) // e.gpus_per_replica)
    return out


@dataclass(frozen=True)
class SiteLossCheck:
    """PAIF-DR-009: the survivor carries its own peak plus the failed site's critical load."""

    survivor_site: str
    failed_site: str
    capacity_gpus: int
    survivor_peak_gpus: int
    failed_critical_gpus: int
    keep_n_plus_one: bool

    @property
    def required_gpus(self) -> int:
        return self.survivor_peak_gpus + self.failed_critical_gpus

    @property
    def headroom_gpus(self) -> int:
        return self.capacity_gpus - self.required_gpus

    @property
    def ok(self) -> bool:
        return self.required_gpus <= self.capacity_gpus

    @property
    def message(self) -> str:
        relation = "fits" if self.ok else "exceeds"
        basis = "with one host down" if self.keep_n_plus_one else "all hosts up"
        return (
            f"after losing {self.failed_site}, {self.survivor_site} must carry its own peak "
            f"{self.survivor_peak_gpus} + {self.failed_site}'s critical {self.failed_critical_gpus}"
            f" = {self.required_gpus} GPUs, which {relation} its {self.capacity_gpus} "
            f"({basis})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "survivor_site": self.survivor_site,
            "failed_site": self.failed_site,
            "capacity_gpus": self.capacity_gpus,
            "survivor_peak_gpus": self.survivor_peak_gpus,
            "failed_critical_gpus": self.failed_critical_gpus,
            "required_gpus": self.required_gpus,
            "headroom_gpus": self.headroom_gpus,
            "keep_n_plus_one": self.keep_n_plus_one,
            "ok": self.ok,
            "message": self.message,
        }


def check_site_loss(
    survivor_pool: GpuPool,
    survivor_tenants: tuple[TenantDemand, ...] | list[TenantDemand],
    failed_tenants: tuple[TenantDemand, ...] | list[TenantDemand],
    *,
    survivor_site: str = "dr",
    failed_site: str = "primary",
    keep_n_plus_one: bool = False,
) -> SiteLossCheck:
    """PAIF-DR-009 for active-active and warm standby.

    The survivor's whole pool counts by default: a site disaster is the failure being
    absorbed, so not also keeping a host in reserve; ``keep_n_plus_one`` asks for both.
    Critical load is the failed site's critical endpoints at max replicas.
    """
    capacity = survivor_pool.n_plus_one if keep_n_plus_one else survivor_pool.total
    return SiteLossCheck(
        survivor_site=survivor_site,
        failed_site=failed_site,
        capacity_gpus=capacity,
        survivor_peak_gpus=sum(t.peak_gpus for t in survivor_tenants),
        failed_critical_gpus=sum(t.critical_peak_gpus for t in failed_tenants),
        keep_n_plus_one=keep_n_plus_one,
    )
