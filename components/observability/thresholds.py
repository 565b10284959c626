"""Effective alert thresholds: endpoint over tenant over site over the §9.7 defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paif_components.constants import (
    ALERT_GPU_SUSTAINED_SECONDS,
    ALERT_MAX_REPLICAS_SECONDS,
    SLA_ERROR_RATE,
    SLA_P95_SECONDS,
)

if TYPE_CHECKING:  # annotations only (the policy pack imports the alerts, not the models)
    from paif_components.config.models.observability import AlertThresholds


def _first(layers: Sequence[AlertThresholds], field: str) -> Any:
    """The most specific layer's value of ``field`` (layers run general → specific)."""
    for layer in reversed(layers):
        value = getattr(layer, field)
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class EndpointThresholds:
    """What one endpoint's alerts and ``paif verify`` hold it to."""

    p95_latency_seconds: float
    error_rate: float  # a fraction: 0.001 is 0.1 %
    gpu_utilization_percent: int
    gpu_utilization_for_seconds: int
    max_replicas_for_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "p95LatencySeconds": self.p95_latency_seconds,
            "errorRatePercent": round(self.error_rate * 100, 6),
            "gpuUtilizationPercent": self.gpu_utilization_percent,
            "gpuUtilizationForSeconds": self.gpu_utilization_for_seconds,
            "maxReplicasForSeconds": self.max_replicas_for_seconds,
        }


def endpoint_thresholds(
    layers: Sequence[AlertThresholds], target_gpu_utilization: int
) -> EndpointThresholds:
    """Thresholds from ``layers`` (site, tenant, endpoint); the GPU default is the endpoint's
    autoscaling target (§9.5.2): busy above it for long means scale-out is not happening. The
    P95 default is the project default of 3 s (§9.7.2 gives it as an example SLA)."""
    error_percent = _first(layers, "error_rate_percent")
    return EndpointThresholds(
        p95_latency_seconds=float(_first(layers, "p95_latency_seconds") or SLA_P95_SECONDS),
        error_rate=error_percent / 100 if error_percent is not None else SLA_ERROR_RATE,
        gpu_utilization_percent=int(
            _first(layers, "gpu_utilization_percent") or target_gpu_utilization
        ),
        gpu_utilization_for_seconds=int(
            _first(layers, "gpu_utilization_for") or ALERT_GPU_SUSTAINED_SECONDS
        ),
        max_replicas_for_seconds=int(
            _first(layers, "max_replicas_for") or ALERT_MAX_REPLICAS_SECONDS
        ),
    )


def replication_lag_threshold(
    layers: Sequence[AlertThresholds], rpo_seconds: int | None
) -> int | None:
    """Seconds of lag a replica may reach: the override, else the declared RPO (§9.3).

    ``None`` when neither is set: there is no objective to hold the lag to.
    """
    override = _first(layers, "replication_lag")
    if override is not None:
        return int(override)
    return rpo_seconds
