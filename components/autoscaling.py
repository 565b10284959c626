"""How a model endpoint scales (§9.5.1-§9.5.3): KEDA triggers and the HPA's pace each way.

§9.5.1 names the horizontal triggers (CPU/GPU utilisation, request count); §9.5.2 sets the
bounds (min 2, max 10, target GPU utilisation 70 %); §9.5.3 asks for gradual
scaling ("too fast is unstable, too slow hurts latency") and never outpacing a cold start. Both
directions are therefore explicit HPA behaviour derived from the model's cold-start estimate
(``paif_components.estimators.cold_start``) unless config says otherwise:

- scale-out: at most ``scaleUp.podsPerPeriod`` (1) new replicas per period, the period one
  cold start long (the next step sees the replicas the last one added serving), after a
  stabilisation window of the fastest cold start (a burst that ends before a new replica could
  serve it does not buy a GPU). The HPA's own default — 4 pods or 100 % every 15 s, no
  stabilisation — adds replicas faster than any model here loads and overshoots.
- scale-in: one replica per minute after a window of max(HPA default 300 s, the slowest cold
  start), or ``scaleInCooldown``: scaling in faster than a replica comes back makes the next
  peak wait a full cold start.

Pure functions: the ModelEndpoint component renders what they return, PAIF-CAP-004 checks it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from paif_components.config.models import HPA_MAX_PERIOD_SECONDS, HPA_MAX_STABILIZATION_SECONDS, App
from paif_components.config.models import ModelEndpoint as EndpointConfig
from paif_components.constants import SCALE_DOWN_PODS_PER_PERIOD, SCALE_UP_PODS_PER_PERIOD
from paif_components.estimators.cold_start import ColdStartEstimate
from paif_components.observability import metrics
from paif_components.observability.metrics import DCGM_GPU_UTIL_METRIC

# Kubernetes HPA default scale-down stabilisation (kubernetes.io HPA docs); the window is
# never shorter than this nor than the model's cold start.
HPA_DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS: Final = 300
SCALE_DOWN_PERIOD_SECONDS: Final = 60
# KEDA polls triggers every 30 s by default (keda.sh ScaledObject spec); stated explicitly, and
# the shortest scale-up period (a step shorter than a poll cannot be observed).
KEDA_POLLING_INTERVAL_SECONDS: Final = 30
# The site's Prometheus (paif:observability.prometheus; the VKS standard package's by default)
# is ModelEndpointArgs.prometheus_url. Metric names and the trigger queries come from
# paif_components.observability.metrics, which the alerts and dashboards share.
# The same gauge as a pods metric for the NIM HPA (through a Prometheus adapter, which cannot
# serve names with a colon; NIM LLM exports it as num_requests_waiting).
NIM_QUEUE_METRIC: Final = "num_requests_waiting"
# NIM's request rate as a pods metric, served by a Prometheus adapter rule over the rate of
# request_success_total (the adapter's conventional ``_per_second`` name).
NIM_REQUEST_RATE_METRIC: Final = "request_success_per_second"


def scale_in_window_seconds(endpoint: EndpointConfig, cold_start: ColdStartEstimate) -> int:
    """Scale-in stabilisation: the configured cooldown, else max(HPA default, cold start)."""
    if endpoint.scale_in_cooldown is not None:
        return int(endpoint.scale_in_cooldown)
    return max(HPA_DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS, math.ceil(cold_start.high_s))


@dataclass(frozen=True)
class ScaleUp:
    """Gradual scale-out: ``pods`` replicas per ``period_seconds``, after ``stabilization``."""

    pods: int
    period_seconds: int
    stabilization_seconds: int

    def behavior(self) -> dict[str, Any]:
        """The HPA ``behavior.scaleUp`` block."""
        return {
            "stabilizationWindowSeconds": self.stabilization_seconds,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": self.pods, "periodSeconds": self.period_seconds}
            ],
        }

    def to_dict(self) -> dict[str, int]:
        return {
            "podsPerPeriod": self.pods,
            "periodSeconds": self.period_seconds,
            "stabilizationSeconds": self.stabilization_seconds,
        }


def scale_up_for(endpoint: EndpointConfig, cold_start: ColdStartEstimate) -> ScaleUp:
    """``scaleUp`` from config; what it leaves out, from the cold start (module doc)."""
    config = endpoint.scale_up
    period = config.period
    if period is None:
        derived = max(KEDA_POLLING_INTERVAL_SECONDS, math.ceil(cold_start.high_s))
        period = min(derived, HPA_MAX_PERIOD_SECONDS)
    stabilization = config.stabilization
    if stabilization is None:
        stabilization = min(math.floor(cold_start.low_s), HPA_MAX_STABILIZATION_SECONDS)
    return ScaleUp(config.pods_per_period, int(period), int(stabilization))


def scale_down_behavior(window_seconds: int) -> dict[str, Any]:
    """HPA scale-down behaviour: stabilise for the window, then one replica per period."""
    return {
        "stabilizationWindowSeconds": window_seconds,
        "selectPolicy": "Min",
        "policies": [
            {
                "type": "Pods",
                "value": SCALE_DOWN_PODS_PER_PERIOD,
                "periodSeconds": SCALE_DOWN_PERIOD_SECONDS,
            }
        ],
    }


def hpa_behavior(scale_up: ScaleUp, window_seconds: int) -> dict[str, Any]:
    """The HPA ``behavior`` both ways (KEDA ``advanced.horizontalPodAutoscalerConfig``, NIM)."""
    return {"scaleUp": scale_up.behavior(), "scaleDown": scale_down_behavior(window_seconds)}


def autoscaling_triggers(
    endpoint: EndpointConfig, namespace: str, prometheus_url: str
) -> list[dict[str, Any]]:
    """KEDA Prometheus triggers: GPU utilisation (target) and, optionally, the request rate
    and the queue depth, each per replica (§9.5.1: GPU utilisation, request count)."""
    triggers: list[dict[str, Any]] = [
        {
            "type": "prometheus",
            "name": "gpu-utilization",
            # Value: HPA compares the average utilisation with the target directly.
            "metricType": "Value",
            "metadata": {
                "serverAddress": prometheus_url,
                "query": metrics.gpu_utilization(namespace, endpoint.name),
                "threshold": str(endpoint.target_gpu_utilization),
            },
        }
    ]
    if endpoint.request_rate_target is not None:
        triggers.append(
            {
                "type": "prometheus",
                "name": "request-rate",
                # AverageValue: requests per second per replica.
                "metricType": "AverageValue",
                "metadata": {
                    "serverAddress": prometheus_url,
                    "query": metrics.request_rate(namespace, endpoint.name, endpoint.backend),
                    "threshold": f"{endpoint.request_rate_target:g}",
                },
            }
        )
    if endpoint.queue_depth_target is not None:
        triggers.append(
            {
                "type": "prometheus",
                "name": "queue-depth",
                # AverageValue: waiting requests per replica.
                "metricType": "AverageValue",
                "metadata": {
                    "serverAddress": prometheus_url,
                    "query": metrics.queue_depth(namespace, endpoint.name),
                    "threshold": str(endpoint.queue_depth_target),
                },
            }
        )
    return triggers


def nim_hpa_metrics(endpoint: EndpointConfig) -> list[dict[str, Any]]:
    """The NIMService HPA's pods metrics: GPU utilisation and, optionally, the request rate
    and the queue depth."""
    metrics: list[dict[str, Any]] = [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": DCGM_GPU_UTIL_METRIC},
                "target": {
                    "type": "AverageValue",
                    "averageValue": str(endpoint.target_gpu_utilization),
                },
            },
        }
    ]
    if endpoint.request_rate_target is not None:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": NIM_REQUEST_RATE_METRIC},
                    "target": {
                        "type": "AverageValue",
                        "averageValue": f"{endpoint.request_rate_target:g}",
                    },
                },
            }
        )
    if endpoint.queue_depth_target is not None:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": NIM_QUEUE_METRIC},
                    "target": {
                        "type": "AverageValue",
                        "averageValue": str(endpoint.queue_depth_target),
                    },
                },
            }
        )
    return metrics


def scaled_object_spec(
    triggers: list[dict[str, Any]],
    *,
    target: Mapping[str, str],
    min_replicas: int,
    max_replicas: int,
    window_seconds: int,
    scale_up: ScaleUp,
) -> dict[str, Any]:
    """The KEDA ScaledObject spec: explicit bounds, triggers and gradual scaling both ways."""
    return {
        "scaleTargetRef": dict(target),
        "minReplicaCount": min_replicas,
        "maxReplicaCount": max_replicas,
        "pollingInterval": KEDA_POLLING_INTERVAL_SECONDS,
        "cooldownPeriod": window_seconds,
        "advanced": {
            "horizontalPodAutoscalerConfig": {"behavior": hpa_behavior(scale_up, window_seconds)}
        },
        "triggers": triggers,
    }


# An app's pods start in seconds, not a model's minutes: one pod per polling period up, no
# stabilisation; down as an endpoint, after the HPA's default window (project defaults).
APP_SCALE_UP: Final = ScaleUp(
    pods=SCALE_UP_PODS_PER_PERIOD,
    period_seconds=KEDA_POLLING_INTERVAL_SECONDS,
    stabilization_seconds=0,
)


def app_hpa_metrics(app: App) -> list[dict[str, Any]]:
    """The app HPA's metrics (§9.5.1: CPU utilisation, request count): CPU always, the pods
    request-rate metric when ``requestsPerSecond`` is set."""
    scaling = app.autoscaling
    if scaling is None:
        return []
    metrics: list[dict[str, Any]] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization},
            },
        }
    ]
    if scaling.requests_per_second is not None:
        metrics.append(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": scaling.request_metric},
                    "target": {
                        "type": "AverageValue",
                        "averageValue": f"{scaling.requests_per_second:g}",
                    },
                },
            }
        )
    return metrics


def app_hpa_spec(app: App) -> dict[str, Any]:
    """The HorizontalPodAutoscaler (autoscaling/v2) spec of an autoscaled app."""
    scaling = app.autoscaling
    if scaling is None:
        raise ValueError(f"app '{app.name}' does not autoscale")
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name},
        "minReplicas": int(app.replicas),
        "maxReplicas": int(scaling.max_replicas),
        "metrics": app_hpa_metrics(app),
        "behavior": hpa_behavior(APP_SCALE_UP, HPA_DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS),
    }
