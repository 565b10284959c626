"""Which metrics say what, and how a query picks one endpoint's or database's series.

One place for metric names and label selectors, so the KEDA triggers, the alert rules, the
Grafana dashboards and ``paif verify`` ask the same questions of the same series.

Sources (who scrapes them) and metrics:

- vLLM serving, PAIS endpoints (PodMonitor): ``vllm:e2e_request_latency_seconds`` histogram,
  ``http_requests_total{status="2xx".."5xx"}``, ``vllm:num_requests_waiting``;
- NIM for LLMs, NIMService (PodMonitor): ``e2e_request_latency_seconds`` histogram,
  ``request_success_total`` / ``request_failure_total``;
- NVIDIA DCGM exporter (ServiceMonitor): ``DCGM_FI_DEV_GPU_UTIL`` (0–100, labelled with the
  pod that holds the GPU: honorLabels);
- kube-state-metrics (the site's Prometheus): ``kube_horizontalpodautoscaler_status_current_
  replicas`` (KEDA names its HPA ``keda-hpa-<ScaledObject>``);
- postgres_exporter of a DSM database: ``pg_replication_lag_seconds``;
- pgbackrest_exporter (stanza = database name): ``pgbackrest_backup_since_last_completion_
  seconds``, ``pgbackrest_backup_last_error_status``;
- Harbor exporter (jobservice): ``harbor_jobservice_task_total{type,status}``;
- blackbox exporter (Probe of the ingress): ``probe_ssl_earliest_cert_expiry``;
- Fluent Bit (audit log shipping): ``fluentbit_output_proc_records_total``.

An endpoint's series are picked by namespace and pod name prefix (PAIS and NIM name replica
pods ``<endpoint>-…``); a database's by namespace and ``cluster`` (the PostgresCluster name),
which the database exporters' scrape configuration must set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Serving metrics are on the replica's HTTP port (vLLM and NIM both default to 8000).
SERVING_METRICS_PORT: Final = 8000
UP: Final = "up"
DCGM_GPU_UTIL_METRIC: Final = "DCGM_FI_DEV_GPU_UTIL"
VLLM_QUEUE_METRIC: Final = "vllm:num_requests_waiting"
HPA_CURRENT_REPLICAS: Final = "kube_horizontalpodautoscaler_status_current_replicas"
KEDA_HPA_PREFIX: Final = "keda-hpa-"
PG_REPLICATION_LAG: Final = "pg_replication_lag_seconds"
PGBACKREST_SINCE_LAST: Final = "pgbackrest_backup_since_last_completion_seconds"
PGBACKREST_LAST_ERROR: Final = "pgbackrest_backup_last_error_status"
HARBOR_TASKS: Final = "harbor_jobservice_task_total"
PROBE_SSL_EXPIRY: Final = "probe_ssl_earliest_cert_expiry"
FLUENTBIT_OUTPUT_RECORDS: Final = "fluentbit_output_proc_records_total"
DATABASE_LABEL: Final = "cluster"


@dataclass(frozen=True)
class ServingMetrics:
    """Where one serving engine exposes metrics and what its latency and errors are called."""

    path: str
    latency_bucket: str
    # Counter selectors ({sel}: the endpoint's matchers): failed requests, and the counters
    # whose sum is all requests.
    errors: str
    requests: tuple[str, ...]


SERVING: Final[dict[str, ServingMetrics]] = {
    # vLLM's OpenAI server (PAIS): prometheus-fastapi-instrumentator groups statuses as "5xx".
    "pais": ServingMetrics(
        path="/metrics",
        latency_bucket="vllm:e2e_request_latency_seconds_bucket",
        errors='http_requests_total{{{sel},status=~"5.."}}',
        requests=("http_requests_total{{{sel}}}",),
    ),
    # NIM for LLMs serves its metrics under /v1/metrics.
    "nim": ServingMetrics(
        path="/v1/metrics",
        latency_bucket="e2e_request_latency_seconds_bucket",
        errors="request_failure_total{{{sel}}}",
        requests=("request_success_total{{{sel}}}", "request_failure_total{{{sel}}}"),
    ),
}


def endpoint_selector(namespace: str, endpoint: str) -> str:
    """Label matchers of one endpoint's replica pods (DCGM's attribution labels too)."""
    return f'namespace="{namespace}",pod=~"{endpoint}-.*"'


def hpa_name(endpoint: str, backend: str) -> str:
    """The HorizontalPodAutoscaler behind an endpoint: KEDA's for PAIS, NIM's own for NIM."""
    return f"{KEDA_HPA_PREFIX}{endpoint}" if backend == "pais" else endpoint


def hpa_selector(namespace: str, endpoint: str, backend: str) -> str:
    return f'namespace="{namespace}",horizontalpodautoscaler="{hpa_name(endpoint, backend)}"'


def database_selector(namespace: str, database: str) -> str:
    return f'namespace="{namespace}",{DATABASE_LABEL}="{database}"'


def gpu_utilization(namespace: str, endpoint: str) -> str:
    """Average GPU utilisation (%) of an endpoint's replicas: the KEDA trigger's query."""
    return f"avg({DCGM_GPU_UTIL_METRIC}{{{endpoint_selector(namespace, endpoint)}}})"


def queue_depth(namespace: str, endpoint: str) -> str:
    return f"sum({VLLM_QUEUE_METRIC}{{{endpoint_selector(namespace, endpoint)}}})"


# The window the request-rate trigger averages over (KEDA polls every 30 s).
REQUEST_RATE_WINDOW: Final = "1m"


def request_rate(
    namespace: str, endpoint: str, backend: str, window: str = REQUEST_RATE_WINDOW
) -> str:
    """Requests per second an endpoint's replicas serve together (§9.5.1 "request count")."""
    sel = endpoint_selector(namespace, endpoint)
    counters = [c.format(sel=sel) for c in SERVING[backend].requests]
    return " + ".join(f"(sum(rate({c}[{window}])) or vector(0))" for c in counters)


def latency_quantile(
    namespace: str, endpoint: str, backend: str, quantile: float, window: str
) -> str:
    """The ``quantile`` (0.95 for P95) of end-to-end request latency over ``window``."""
    bucket = SERVING[backend].latency_bucket
    sel = endpoint_selector(namespace, endpoint)
    return f"histogram_quantile({quantile:g}, sum by (le) (rate({bucket}{{{sel}}}[{window}])))"


def error_ratio(namespace: str, endpoint: str, backend: str, window: str) -> str:
    """Failed requests / all requests over ``window`` (0–1)."""
    metrics = SERVING[backend]
    sel = endpoint_selector(namespace, endpoint)
    errors = metrics.errors.format(sel=sel)
    counters = [c.format(sel=sel) for c in metrics.requests]
    if len(counters) == 1:
        requests = f"sum(rate({counters[0]}[{window}]))"
    else:
        # A counter nobody has incremented yet is absent, not 0: count it as 0.
        requests = "(" + " + ".join(f"(sum(rate({c}[{window}])) or vector(0))" for c in counters)
        requests += ")"
    return f"sum(rate({errors}[{window}])) / {requests}"


def replicas(namespace: str, endpoint: str, backend: str) -> str:
    """Current replicas of an endpoint, as its autoscaler reports them."""
    return f"max({HPA_CURRENT_REPLICAS}{{{hpa_selector(namespace, endpoint, backend)}}})"


def targets_up(namespace: str, endpoint: str) -> str:
    """Replicas answering their scrape; 0 when none does or none is discovered at all."""
    return f"(sum({UP}{{{endpoint_selector(namespace, endpoint)}}}) or vector(0))"
