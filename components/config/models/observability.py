"""``paif:observability``: the Prometheus a site uses, where alerts go, and alert thresholds.

§9.7.1 asks for monitoring dashboards, alert rules and a log pipeline before deployment; §9.7.2
for errors < 0.1 % and a response time within the SLA after it (its example, P95 < 3 s, is the
project default). The site either uses an existing Prometheus (by
URL: the VKS standard package's by default, the one the KEDA GPU triggers already read) or
declares one (``deploy: true``: a prometheus-operator ``Prometheus`` and ``Alertmanager`` in
``namespace``). Thresholds are set here for the site and may be overridden per tenant
(``paif:tenants[].alertThresholds``) and per endpoint (``...modelEndpoints[].alertThresholds``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from paif_components.config.base import ConfigModel, DnsName, HttpsUrl, HttpUrl, NonEmpty
from paif_components.config.errors import FieldError
from paif_components.config.units import Duration

# Prometheus of the VKS standard package (service prometheus-server, namespace
# tanzu-system-monitoring): what a site uses when it names no other.
DEFAULT_PROMETHEUS_URL = "http://prometheus-server.tanzu-system-monitoring.svc:80"
# Namespace of a Prometheus the stack declares (deploy: true) unless config names one.
DEFAULT_MONITORING_NAMESPACE = "paif-monitoring"
# Port of the Prometheus a prometheus-operator ``Prometheus`` runs (service prometheus-operated).
OPERATED_PROMETHEUS_PORT = 9090
# NVIDIA GPU Operator's DCGM exporter Service: namespace, label and port name it ships with.
DCGM_NAMESPACE = "gpu-operator"
DCGM_SERVICE_LABELS: dict[str, str] = {"app": "nvidia-dcgm-exporter"}
DCGM_PORT_NAME = "gpu-metrics"
# Prometheus retention of a declared Prometheus (operator default is 24h; a day is too short
# to compare this week's peak with last week's).
DEFAULT_RETENTION = "15d"


def _cluster_namespace(url: str) -> str | None:
    """``ns`` of ``http://svc.ns.svc[.cluster.local]:port``; None for any other host."""
    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    if len(parts) >= 3 and parts[2] == "svc":
        return parts[1]
    return None


class SecretKeyRef(ConfigModel):
    """A key of a Kubernetes Secret in the monitoring namespace (credentials never in config)."""

    name: DnsName
    key: NonEmpty


class SlackReceiver(ConfigModel):
    channel: NonEmpty
    # The Secret holding the Slack incoming-webhook URL.
    api_url_secret: SecretKeyRef


class EmailReceiver(ConfigModel):
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class WebhookReceiver(ConfigModel):
    url: HttpsUrl | None = None
    url_secret: SecretKeyRef | None = None

    @model_validator(mode="after")
    def _one_url(self) -> WebhookReceiver:
        if (self.url is None) == (self.url_secret is None):
            raise FieldError("url", "set either url or urlSecret (a Secret holding the URL)")
        return self


class AlertReceiver(ConfigModel):
    """Where the site's alerts go (§9.7.1 "alert rules (Slack, e-mail, …)"; on-call rota)."""

    name: DnsName = "on-call"
    slack: SlackReceiver | None = None
    email: EmailReceiver | None = None
    webhook: WebhookReceiver | None = None

    @model_validator(mode="after")
    def _some_channel(self) -> AlertReceiver:
        if self.slack is None and self.email is None and self.webhook is None:
            raise FieldError("slack", "name at least one channel: slack, email or webhook")
        return self


class PrometheusServer(ConfigModel):
    """The site's Prometheus: an existing one by ``url``, or one the stack declares."""

    url: HttpUrl | None = None
    deploy: bool = False
    # Where it runs: the tenants' network policies admit its scrapes from this namespace.
    namespace: DnsName | None = None
    # Labels its serviceMonitorSelector/podMonitorSelector/ruleSelector match (for example
    # {release: kube-prometheus-stack}); every monitoring object carries them.
    selector_labels: dict[str, NonEmpty] = Field(default_factory=dict)
    replicas: Annotated[int, Field(ge=1)] = 2
    retention: Annotated[str, Field(pattern=r"^[0-9]+(ms|s|m|h|d|w|y)$")] = DEFAULT_RETENTION

    @model_validator(mode="after")
    def _existing_or_declared(self) -> PrometheusServer:
        if self.deploy and self.url is not None:
            raise FieldError(
                "url", "a declared Prometheus (deploy: true) has its own URL; remove url"
            )
        if not self.deploy and self.url is not None and self.resolved_namespace is None:
            raise FieldError(
                "namespace",
                f"cannot be read from {self.url!r} (not a <service>.<namespace>.svc address): "
                "name the namespace Prometheus runs in, so tenants' network policies admit "
                "its scrapes",
            )
        return self

    @property
    def resolved_namespace(self) -> str | None:
        if self.namespace is not None:
            return self.namespace
        if self.deploy:
            return DEFAULT_MONITORING_NAMESPACE
        return _cluster_namespace(self.url or DEFAULT_PROMETHEUS_URL)

    @property
    def resolved_url(self) -> str:
        """What KEDA triggers, Grafana and ``paif verify`` query."""
        if self.deploy:
            return (
                f"http://prometheus-operated.{self.resolved_namespace}.svc:"
                f"{OPERATED_PROMETHEUS_PORT}"
            )
        return self.url or DEFAULT_PROMETHEUS_URL


class DcgmExporter(ConfigModel):
    """The NVIDIA GPU Operator's DCGM exporter: the KEDA GPU trigger's metric source."""

    namespace: DnsName = DCGM_NAMESPACE
    service_labels: dict[str, NonEmpty] = Field(default_factory=lambda: dict(DCGM_SERVICE_LABELS))
    port: NonEmpty = DCGM_PORT_NAME


class Grafana(ConfigModel):
    """Where the Grafana dashboard sidecar looks for ``grafana_dashboard: "1"`` ConfigMaps."""

    namespace: DnsName | None = None
    folder: NonEmpty = "PAIF"


class AlertThresholds(ConfigModel):
    """Alert thresholds; unset keys inherit (endpoint → tenant → site → §9.7 defaults)."""

    p95_latency_seconds: Annotated[float, Field(gt=0)] | None = None
    error_rate_percent: Annotated[float, Field(gt=0, lt=100)] | None = None
    gpu_utilization_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    gpu_utilization_for: Duration | None = None
    max_replicas_for: Duration | None = None
    replication_lag: Duration | None = None


class Observability(ConfigModel):
    """Monitoring objects, alert routing and thresholds of one site (§9.7)."""

    enabled: bool = True
    prometheus: PrometheusServer = Field(default_factory=PrometheusServer)
    receiver: AlertReceiver | None = None
    alert_thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    # Where the team publishes `paif plan`'s out folder; alerts link to
    # <runbookBaseUrl>/<stack>/ops-runbook.md#<alert>.
    runbook_base_url: HttpsUrl | None = None
    dcgm_exporter: DcgmExporter = Field(default_factory=DcgmExporter)
    grafana: Grafana = Field(default_factory=Grafana)
    # blackbox_exporter host:port that probes the ingress certificate (default: the service
    # blackbox-exporter in the Prometheus namespace).
    blackbox_exporter: NonEmpty | None = None

    @property
    def namespace(self) -> str:
        """Where site-wide monitoring objects live: the Prometheus namespace."""
        return self.prometheus.resolved_namespace or DEFAULT_MONITORING_NAMESPACE

    @property
    def dashboard_namespace(self) -> str:
        return self.grafana.namespace or self.namespace

    @property
    def prober(self) -> str:
        return self.blackbox_exporter or f"blackbox-exporter.{self.namespace}.svc:9115"
