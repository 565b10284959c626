"""Operations (§9.7): every production endpoint is watched before anyone relies on it.

§9.7.1 lists monitoring and alert rules among the things to have *before* deployment, and
§9.7.2 judges the deployment by availability, response time within the SLA and error rate; an
endpoint nobody scrapes, or whose scrapes no rule reads, breaks those criteria silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from paif_components.observability.alerts import REQUIRED_ENDPOINT_ALERTS
from paif_policies.registry import Violation, rule
from paif_policies.view import (
    MONITORING_GROUP,
    Endpoint,
    StackView,
    endpoints,
    get_path,
    selector_matches,
)


@dataclass(frozen=True)
class EndpointWatch:
    """How one endpoint is watched: which monitors scrape it, which alerts read it."""

    endpoint: Endpoint
    monitors: tuple[str, ...]
    alerts: frozenset[str]

    @property
    def missing_alerts(self) -> list[str]:
        return [a for a in REQUIRED_ENDPOINT_ALERTS if a not in self.alerts]

    @property
    def monitored(self) -> bool:
        return bool(self.monitors) and not self.missing_alerts


def _alerts_by_endpoint(view: StackView) -> dict[tuple[str, str], set[str]]:
    """Alert names per (namespace, endpoint label) over every PrometheusRule of the stack."""
    out: dict[tuple[str, str], set[str]] = {}
    for resource in view.kube("PrometheusRule", MONITORING_GROUP):
        home = get_path(resource.props, "metadata.namespace")
        for group in get_path(resource.props, "spec.groups") or []:
            for entry in group.get("rules") or []:
                labels = entry.get("labels") or {}
                name, endpoint = entry.get("alert"), labels.get("endpoint")
                if name and endpoint:
                    namespace = labels.get("namespace") or home
                    out.setdefault((str(namespace), str(endpoint)), set()).add(str(name))
    return out


def endpoint_watches(view: StackView) -> list[EndpointWatch]:
    """Every running endpoint with its scrapes and alerts (the plan summary shows them too)."""
    alerts = view.memo("ops.alerts", lambda: _alerts_by_endpoint(view))
    out = []
    for ep in endpoints(view):
        if not ep.running:
            continue
        monitors = tuple(
            str(get_path(m.props, "metadata.name") or m.name)
            for kind in ("PodMonitor", "ServiceMonitor")
            for m in view.kube_in_namespace(kind, MONITORING_GROUP, ep.namespace)
            if selector_matches(get_path(m.props, "spec.selector"), ep.pod_labels)
        )
        found = frozenset(alerts.get((ep.namespace, ep.name), set()))
        out.append(EndpointWatch(ep, monitors, found))
    return out


@rule(
    "PAIF-OPS-001",
    title="Every production endpoint is scraped and has down, latency and error-rate alerts",
    severity="high",
    section="§9.7.1 monitoring and alert rules, §9.7.2 after-deployment criteria",
    rationale="§9.7.2 holds a deployment to 200 OK, a response time within the SLA (project "
    "default: P95 < 3 s, the source's example) and errors < 0.1 %; without "
    "scraping of the endpoint's serving metrics and alerts on being down, on latency and on "
    "the error rate, a breach is found by users instead of the on-call engineer.",
    remediation="Keep paif:observability.enabled (the default): each tenant's monitoring "
    "renders a PodMonitor per running endpoint and the PaifEndpointDown, "
    "PaifEndpointLatencyHigh and PaifEndpointErrorRateHigh rules; a hand-written "
    "PrometheusRule must label each of these alerts with the endpoint's name (endpoint) and "
    "namespace.",
)
def endpoints_watched(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    for watch in endpoint_watches(view):
        ep = watch.endpoint
        if not view.production(ep.resource):
            continue
        if not watch.monitors:
            yield Violation(
                f"{ep.label}: no PodMonitor or ServiceMonitor in {ep.namespace} selects its "
                "pods, so its serving metrics are not scraped",
                ep.resource.urn,
            )
        if watch.missing_alerts:
            yield Violation(
                f"{ep.label}: no alert rule {', '.join(watch.missing_alerts)} labelled "
                f"endpoint={ep.name} in namespace {ep.namespace}",
                ep.resource.urn,
            )
