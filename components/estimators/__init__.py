"""Pure estimators shared by the components, the policy pack and the offline plan.

Plain frozen dataclasses in and out, no Pulumi: GPU sizing (how many GPUs a model needs),
cold start (§9.5.3), DR RTO/RPO (§9.3) and GPU capacity (§9.4.3, §9.5.3). Every result has a
``to_dict()`` for plan.json. Bad input raises :class:`EstimatorError` (a ``ValueError``).
"""

from paif_components.estimators.capacity import (
    CapacityCheck,
    EndpointDemand,
    GpuPool,
    ScalingRange,
    SiteLossCheck,
    TenantCheck,
    TenantDemand,
    VgpuProfile,
    check_capacity,
    check_site_loss,
    check_tenant,
    gpu_pool,
    parse_vgpu_profile,
    replicas_within_quota,
)
from paif_components.estimators.cold_start import (
    ColdStartEstimate,
    ColdStartProfile,
    GpuAssignment,
    Phase,
    estimate_cold_start,
)
from paif_components.estimators.cron import (
    CronSchedule,
    cron_interval_seconds,
    harbor_cron_interval_seconds,
    parse_harbor_cron,
    parse_standard_cron,
)
from paif_components.estimators.data_stores import DatabaseFacts, Mechanism
from paif_components.estimators.dr_facts import (
    Assumptions,
    ClusterFacts,
    DrPattern,
    DrTopology,
    EndpointFacts,
    HarborFacts,
    rpo_band,
    rto_band,
)
from paif_components.estimators.durations import format_duration, parse_duration
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import (
    BYTES_PER_PARAMETER,
    DEFAULT_KV_RESERVE_FRACTION,
    VLLM_GPU_MEMORY_UTILIZATION,
    FitCheck,
    GpuSizing,
    Precision,
    fits,
    gpus_required,
    size_gpus,
    weights_gib,
)
from paif_components.estimators.rto_rpo import Estimate, StoreEstimate, Term, estimate

__all__ = [
    "BYTES_PER_PARAMETER",
    "DEFAULT_KV_RESERVE_FRACTION",
    "VLLM_GPU_MEMORY_UTILIZATION",
    "Assumptions",
    "CapacityCheck",
    "ClusterFacts",
    "ColdStartEstimate",
    "ColdStartProfile",
    "CronSchedule",
    "DatabaseFacts",
    "DrPattern",
    "DrTopology",
    "EndpointDemand",
    "EndpointFacts",
    "Estimate",
    "EstimatorError",
    "FitCheck",
    "GpuAssignment",
    "GpuPool",
    "GpuSizing",
    "HarborFacts",
    "Mechanism",
    "Phase",
    "Precision",
    "ScalingRange",
    "SiteLossCheck",
    "StoreEstimate",
    "TenantCheck",
    "TenantDemand",
    "Term",
    "VgpuProfile",
    "check_capacity",
    "check_site_loss",
    "check_tenant",
    "cron_interval_seconds",
    "estimate",
    "estimate_cold_start",
    "fits",
    "format_duration",
    "gpu_pool",
    "gpus_required",
    "harbor_cron_interval_seconds",
    "parse_duration",
    "parse_harbor_cron",
    "parse_standard_cron",
    "parse_vgpu_profile",
    "replicas_within_quota",
    "rpo_band",
    "rto_band",
    "size_gpus",
    "weights_gib",
]
