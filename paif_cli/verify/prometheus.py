"""The site's Prometheus, asked over its HTTP API (``/api/v1``) what the run did.

- scaling: did the endpoint's autoscaler report more replicas during the run than at its
  start (§9.7.2 "inject load, watch replicas")?
- alerts: is any alert of this site firing (other than the watchdog)?
- alerting: is the site's PaifWatchdog firing (its rules are loaded and evaluated) and does
  Prometheus have an Alertmanager to send to (§9.7.2 "fire a test alert")?
- logging: did the log pipeline ship records during the run (§9.7.2 "logs collected")?
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from paif_cli.verify.client import TRANSPORT_ERRORS, failure_reason, first_bytes
from paif_components.observability import metrics
from paif_components.observability.alerts import WATCHDOG

ALERT_PREFIX: Final = "Paif"
# How often the scaling check asks again while it waits for the autoscaler.
POLL_SECONDS: Final = 1.0
# The logging check looks back at least this far: with the usual 30 s scrape interval a shorter
# window may hold a single sample, and increase() needs two.
LOGGING_MIN_WINDOW_SECONDS: Final = 120


class PrometheusError(Exception):
    """Prometheus did not answer, or not with data: becomes a failed check's message."""


@dataclass(frozen=True)
class Prometheus:
    url: str
    timeout: float = 10.0

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """``data`` of an API answer; PrometheusError saying what was seen otherwise."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        where = f"{self.url.rstrip('/')}{path}"
        request = urllib.request.Request(where + query, headers={"Accept": "application/json"})
        status: int | None = None
        try:
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                body = exc.read() if exc.fp is not None else b""
                hint = f" (is {self.url} the Prometheus server?)" if exc.code == 404 else ""
                raise PrometheusError(
                    f"{where} answered HTTP {exc.code}{hint}: {first_bytes(body)}"
                ) from None
            with response:
                status = response.status
                body = response.read()
        except urllib.error.URLError as exc:
            reason = failure_reason(exc, phase="connect", timeout=self.timeout)
            raise PrometheusError(f"{self.url} is unreachable: {reason}") from None
        except TRANSPORT_ERRORS as exc:
            phase = "answer" if status is None else "body"
            reason = failure_reason(exc, phase=phase, timeout=self.timeout)
            raise PrometheusError(f"{where}: {reason}") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise PrometheusError(
                f"{where} answered {status}, but not with JSON (is {self.url} the Prometheus "
                f"server?): {first_bytes(body)}"
            ) from None
        if not isinstance(document, dict) or document.get("status") != "success":
            raise PrometheusError(f"{where} did not answer with data: {first_bytes(body)}")
        return document.get("data")

    def version(self) -> str:
        return str((self._get("/api/v1/status/buildinfo") or {}).get("version", "?"))

    def range_values(self, expr: str, start: float, end: float, step: float) -> list[float]:
        """All values of ``expr`` over [start, end] (every series), in time order."""
        data = self._get(
            "/api/v1/query_range",
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
        )
        try:
            points = sorted(
                (float(t), float(v))
                for series in data.get("result", [])
                for t, v in series["values"]
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise PrometheusError(
                f"{self.url} answered {expr!r} with data of another shape"
            ) from None
        return [v for _, v in points]

    def value(self, expr: str) -> float | None:
        """The single value of an instant query now, None when it returns nothing."""
        data = self._get("/api/v1/query", {"query": expr})
        try:
            result = data.get("result") or []
            return float(result[0]["value"][1]) if result else None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            raise PrometheusError(
                f"{self.url} answered {expr!r} with data of another shape"
            ) from None

    def firing(self) -> list[dict[str, Any]]:
        alerts = (self._get("/api/v1/alerts") or {}).get("alerts") or []
        return [a for a in alerts if a.get("state") == "firing"]

    def active_alertmanagers(self) -> int:
        data = self._get("/api/v1/alertmanagers") or {}
        return len(data.get("activeAlertmanagers") or [])


@dataclass(frozen=True)
class Outcome:
    """A check's verdict before it gets its name: pass, fail or skip, why, and numbers."""

    status: str
    message: str
    details: dict[str, Any]


def scaling(
    prometheus: Prometheus,
    *,
    namespace: str,
    endpoint: str,
    backend: str,
    max_replicas: int,
    start: float,
    wait_until: float,
) -> Outcome:
    """More replicas than at ``start``, by ``wait_until`` at the latest."""
    expr = metrics.replicas(namespace, endpoint, backend)
    step = 1.0
    while True:
        now = time.time()
        values = prometheus.range_values(expr, start, now, step)
        if values:
            first, peak = values[0], max(values)
            details = {"query": expr, "replicasAtStart": first, "replicasPeak": peak}
            if first >= max_replicas:
                return Outcome(
                    "skip",
                    f"already at its maximum of {max_replicas} replicas when the run began: "
                    "scale-out cannot be observed",
                    details,
                )
            if peak > first:
                return Outcome(
                    "pass", f"replicas rose from {first:g} to {peak:g} under load", details
                )
        if now >= wait_until:
            if not values:
                return Outcome(
                    "fail",
                    f"no replica count for {endpoint} ({expr}): is kube-state-metrics scraped?",
                    {"query": expr},
                )
            return Outcome(
                "fail",
                f"replicas stayed at {values[0]:g} under load (§9.7.2: replicas increase "
                "automatically)",
                {"query": expr, "replicasAtStart": values[0], "replicasPeak": max(values)},
            )
        time.sleep(POLL_SECONDS)


def site_alerts(alerts: list[dict[str, Any]], site: str) -> list[str]:
    """Firing PAIF alerts of ``site`` (watchdog excluded), as ``Name (tenant/subject)``."""
    out = []
    for alert in alerts:
        labels = alert.get("labels") or {}
        name = str(labels.get("alertname", ""))
        if labels.get("site") != site or not name.startswith(ALERT_PREFIX) or name == WATCHDOG:
            continue
        subject = labels.get("endpoint") or labels.get("database")
        where = f"{labels.get('tenant', '?')}/{subject}" if subject else labels.get("tenant", "?")
        out.append(f"{name} ({where})")
    return sorted(set(out))


def alerting(alerts: list[dict[str, Any]], site: str, alertmanagers: int) -> Outcome:
    watchdog = any(
        (a.get("labels") or {}).get("alertname") == WATCHDOG
        and (a.get("labels") or {}).get("site") == site
        for a in alerts
    )
    details = {"watchdogFiring": watchdog, "activeAlertmanagers": alertmanagers}
    if not watchdog:
        return Outcome(
            "fail",
            f"{WATCHDOG} of {site} is not firing: the site's alert rules are not loaded "
            "(is its PrometheusRule selected?)",
            details,
        )
    if alertmanagers == 0:
        return Outcome(
            "fail", "Prometheus has no active Alertmanager: alerts reach nobody", details
        )
    return Outcome(
        "pass",
        f"{WATCHDOG} fires and Prometheus sends to {alertmanagers} Alertmanager(s)",
        details,
    )


def logging(prometheus: Prometheus, seconds: float) -> Outcome:
    window = f"{max(LOGGING_MIN_WINDOW_SECONDS, round(seconds))}s"
    expr = f"sum(increase({metrics.FLUENTBIT_OUTPUT_RECORDS}[{window}]))"
    shipped = prometheus.value(expr)
    details = {"query": expr, "recordsShipped": shipped}
    if shipped is None:
        return Outcome(
            "fail", f"no log shipping metric ({metrics.FLUENTBIT_OUTPUT_RECORDS})", details
        )
    if shipped <= 0:
        return Outcome("fail", f"no log record shipped during the run ({window})", details)
    return Outcome("pass", f"{shipped:g} log records shipped during the run", details)
