"""Grafana dashboards per tenant (§9.7.1 "monitoring dashboards"), for the sidecar to load.

One dashboard per tenant and site, one row per endpoint: GPU utilisation against the
autoscaling target, replicas against the maximum, P50/P95/P99 latency against the P95
threshold, and the error rate against its threshold. The ConfigMap that carries it has the
label ``grafana_dashboard: "1"`` (the Grafana sidecar convention) and a ``grafana_folder``
annotation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Final

from paif_components.config.units import format_seconds
from paif_components.constants import ALERT_SLA_WINDOW_SECONDS
from paif_components.observability import metrics
from paif_components.observability.alerts import MonitoredEndpoint

DASHBOARD_LABEL: Final = "grafana_dashboard"
FOLDER_ANNOTATION: Final = "grafana_folder"
# Grafana's dashboard JSON model version this renders (Grafana 10/11).
SCHEMA_VERSION: Final = 39
DATASOURCE: Final = {"type": "prometheus", "uid": "${datasource}"}
# Grafana limits dashboard uids to 40 characters.
_UID_LENGTH: Final = 40
_PANEL_WIDTH: Final = 6
_PANEL_HEIGHT: Final = 8


def dashboard_uid(site: str, tenant: str) -> str:
    uid = f"paif-{site}-{tenant}"
    if len(uid) <= _UID_LENGTH:
        return uid
    digest = hashlib.sha256(uid.encode()).hexdigest()[:8]
    return f"{uid[: _UID_LENGTH - 9]}-{digest}"


def _thresholds(limit: float) -> dict[str, Any]:
    return {
        "mode": "absolute",
        "steps": [{"color": "green", "value": None}, {"color": "red", "value": limit}],
    }


def _panel(
    panel_id: int,
    title: str,
    targets: Sequence[tuple[str, str]],
    *,
    unit: str,
    limit: float,
    x: int,
    y: int,
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": _PANEL_HEIGHT, "w": _PANEL_WIDTH, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": _thresholds(limit),
                "custom": {"thresholdsStyle": {"mode": "line"}},
            },
            "overrides": [],
        },
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def endpoint_panels(endpoint: MonitoredEndpoint, first_id: int, y: int) -> list[dict[str, Any]]:
    """A row and four panels for one endpoint."""
    ns, name, backend = endpoint.namespace, endpoint.name, endpoint.backend
    t = endpoint.thresholds
    window = format_seconds(ALERT_SLA_WINDOW_SECONDS)
    row = {
        "id": first_id,
        "type": "row",
        "title": f"{endpoint.tenant}/{name}",
        "collapsed": False,
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
        "panels": [],
    }
    y += 1
    quantiles = [
        (metrics.latency_quantile(ns, name, backend, q, window), f"P{round(q * 100)}")
        for q in (0.5, 0.95, 0.99)
    ]
    return [
        row,
        _panel(
            first_id + 1,
            "GPU utilisation",
            [(metrics.gpu_utilization(ns, name), "GPU %")],
            unit="percent",
            limit=t.gpu_utilization_percent,
            x=0,
            y=y,
        ),
        _panel(
            first_id + 2,
            "Replicas",
            [(metrics.replicas(ns, name, backend), "replicas")],
            unit="short",
            limit=endpoint.max_replicas,
            x=_PANEL_WIDTH,
            y=y,
        ),
        _panel(
            first_id + 3,
            "Latency",
            quantiles,
            unit="s",
            limit=t.p95_latency_seconds,
            x=2 * _PANEL_WIDTH,
            y=y,
        ),
        _panel(
            first_id + 4,
            "Error rate",
            [(metrics.error_ratio(ns, name, backend, window), "errors")],
            unit="percentunit",
            limit=t.error_rate,
            x=3 * _PANEL_WIDTH,
            y=y,
        ),
    ]


def tenant_dashboard(site: str, tenant: str, endpoints: Sequence[MonitoredEndpoint]) -> dict:
    """The Grafana dashboard JSON model of one tenant at one site."""
    panels: list[dict[str, Any]] = []
    for index, endpoint in enumerate(endpoints):
        panels += endpoint_panels(endpoint, first_id=index * 5 + 1, y=index * (_PANEL_HEIGHT + 1))
    return {
        "uid": dashboard_uid(site, tenant),
        "title": f"PAIF {tenant} ({site})",
        "tags": ["paif", f"tenant:{tenant}", f"site:{site}"],
        "timezone": "browser",
        "schemaVersion": SCHEMA_VERSION,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "panels": panels,
    }


def dashboard_json(dashboard: dict[str, Any]) -> str:
    """Stable text for the ConfigMap (sorted keys: a replan changes nothing)."""
    return json.dumps(dashboard, indent=2, sort_keys=True)
