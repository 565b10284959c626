"""prometheus-operator objects (``monitoring.coreos.com``): scraping, probing, alert routing,
and the Prometheus/Alertmanager a stack may declare. Specs only; ``paif_components.site_monitoring``
and ``paif_components.tenant_monitoring`` register them.

- ``PodMonitor`` per running endpoint: its replica pods' serving metrics (vLLM ``/metrics``,
  NIM ``/v1/metrics``) on port 8000;
- ``ServiceMonitor`` of the NVIDIA DCGM exporter with ``honorLabels``: DCGM labels each GPU
  series with the namespace and pod that hold the GPU, which the KEDA trigger and the alerts
  select on (without it Prometheus would rename them ``exported_namespace``/``exported_pod``);
- ``Probe`` of the ingress through the blackbox exporter (certificate expiry);
- ``AlertmanagerConfig`` routing the site's alerts (label ``site``) to the receiver;
- with ``prometheus.deploy``: ``Prometheus`` and ``Alertmanager`` selecting the objects above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from paif_components.config.models.observability import AlertReceiver, Observability
from paif_components.constants import DEFAULT_APP_GID, DEFAULT_APP_UID
from paif_components.contract.annotations import SITE_LABEL
from paif_components.observability import metrics
from paif_components.pod_security import PodHardening

MONITORING_API_VERSION: Final = "monitoring.coreos.com/v1"
ALERTMANAGER_CONFIG_API_VERSION: Final = "monitoring.coreos.com/v1alpha1"
SCRAPE_INTERVAL: Final = "30s"
# Alertmanager grouping: one notification per alert and tenant; repeat every 4 h (its default).
GROUP_BY: Final = ("alertname", "tenant", "site")
REPEAT_INTERVAL: Final = "4h"
# The blackbox exporter module that follows redirects and records the TLS chain.
PROBE_MODULE: Final = "http_2xx"
# Name of the Prometheus, Alertmanager and their ServiceAccount when the stack declares them.
DECLARED_NAME: Final = "paif"


def serving_pod_monitor_spec(selector: Mapping[str, str], backend: str) -> dict[str, Any]:
    """Scrape an endpoint's replicas (the pods its labels select) on the serving port."""
    return {
        "selector": {"matchLabels": dict(selector)},
        "podMetricsEndpoints": [
            {
                "portNumber": metrics.SERVING_METRICS_PORT,
                "path": metrics.SERVING[backend].path,
                "interval": SCRAPE_INTERVAL,
            }
        ],
    }


def dcgm_service_monitor_spec(observability: Observability) -> dict[str, Any]:
    dcgm = observability.dcgm_exporter
    return {
        "selector": {"matchLabels": dict(dcgm.service_labels)},
        "namespaceSelector": {"matchNames": [dcgm.namespace]},
        "endpoints": [{"port": dcgm.port, "interval": SCRAPE_INTERVAL, "honorLabels": True}],
    }


def ingress_probe_spec(observability: Observability, fqdn: str) -> dict[str, Any]:
    return {
        "prober": {"url": observability.prober},
        "module": PROBE_MODULE,
        "interval": SCRAPE_INTERVAL,
        "targets": {"staticConfig": {"static": [f"https://{fqdn}"]}},
    }


def _receiver(receiver: AlertReceiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    if receiver.slack is not None:
        secret = receiver.slack.api_url_secret
        out["slackConfigs"] = [
            {
                "channel": receiver.slack.channel,
                "apiURL": {"name": secret.name, "key": secret.key},
                "sendResolved": True,
                "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} "
                "({{ .CommonLabels.tenant }})",
                "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
                "{{ .Annotations.runbook_url }}\n{{ end }}",
            }
        ]
    if receiver.email is not None:
        out["emailConfigs"] = [{"to": receiver.email.to, "sendResolved": True}]
    if receiver.webhook is not None:
        webhook: dict[str, Any] = {"sendResolved": True}
        if receiver.webhook.url is not None:
            webhook["url"] = receiver.webhook.url
        else:
            url_secret = receiver.webhook.url_secret
            assert url_secret is not None  # the config model requires url or urlSecret
            webhook["urlSecret"] = {"name": url_secret.name, "key": url_secret.key}
        out["webhookConfigs"] = [webhook]
    return out


def alertmanager_config_spec(site: str, receiver: AlertReceiver) -> dict[str, Any]:
    """Route every alert of this site (label ``site``) to the receiver."""
    return {
        "route": {
            "receiver": receiver.name,
            "groupBy": list(GROUP_BY),
            "repeatInterval": REPEAT_INTERVAL,
            "matchers": [{"name": "site", "value": site, "matchType": "="}],
        },
        "receivers": [_receiver(receiver)],
    }


def selector_labels(observability: Observability, site: str) -> dict[str, str]:
    """Labels on every monitoring object, and what a declared Prometheus selects on."""
    return {SITE_LABEL: site, **observability.prometheus.selector_labels}


def monitoring_pod_security_context() -> dict[str, Any]:
    """The pod security context of a declared Prometheus or Alertmanager (UID/GID 10001)."""
    return PodHardening(DEFAULT_APP_UID, DEFAULT_APP_GID).pod_security_context()


def declared_prometheus_spec(observability: Observability, site: str) -> dict[str, Any]:
    """A Prometheus selecting this site's monitors, probes and rules in every namespace."""
    select = {"matchLabels": selector_labels(observability, site)}
    prometheus = observability.prometheus
    return {
        "replicas": prometheus.replicas,
        "retention": prometheus.retention,
        "serviceAccountName": DECLARED_NAME,
        # Its pods run hardened like every pod the library renders (PAIF-SEC-010); the
        # operator already makes the containers read-only, unprivileged and capability-free.
        "securityContext": monitoring_pod_security_context(),
        "externalLabels": {"site": site},
        "serviceMonitorSelector": select,
        "serviceMonitorNamespaceSelector": {},
        "podMonitorSelector": select,
        "podMonitorNamespaceSelector": {},
        "probeSelector": select,
        "probeNamespaceSelector": {},
        "ruleSelector": select,
        "ruleNamespaceSelector": {},
        "alerting": {
            "alertmanagers": [
                {
                    "namespace": observability.namespace,
                    "name": "alertmanager-operated",
                    "port": "web",
                }
            ]
        },
    }


def declared_alertmanager_spec(observability: Observability, site: str) -> dict[str, Any]:
    """An HA Alertmanager that takes this site's AlertmanagerConfig for all namespaces."""
    return {
        "replicas": observability.prometheus.replicas,
        "securityContext": monitoring_pod_security_context(),
        "alertmanagerConfigSelector": {"matchLabels": selector_labels(observability, site)},
        # The config routes on the site label, not on the namespace the alerts come from.
        "alertmanagerConfigMatcherStrategy": {"type": "None"},
    }


def prometheus_cluster_role_rules() -> list[dict[str, Any]]:
    """What Prometheus needs to discover and scrape targets (prometheus-operator's example)."""
    return [
        {
            "apiGroups": [""],
            "resources": ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["discovery.k8s.io"],
            "resources": ["endpointslices"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ]
