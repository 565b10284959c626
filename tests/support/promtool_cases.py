"""Unit tests for ``promtool test rules``, generated from the rendered alert rules themselves.

For every alert rule of a rule file this writes two test groups: synthetic series that break
the rule's threshold (the alert must fire at ``eval_time`` with exactly the rule's labels and
annotations) and series just as plausible that stay within it (no alert). The threshold is
read back from the rendered expression, so a rule rendered with a wrong number, selector or
metric fails here. ``PaifWatchdog`` always fires by design: it only has the firing case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from paif_components.config.units import parse_duration
from paif_components.observability import alerts as a

# Minutes of history before the rule's hold starts (rate windows are 5 m; the audit one 15 m).
WARM_UP_MINUTES = 20
_TRAILING = re.compile(r"(>=|>|<|==)\s*([-+0-9.eE]+)\s*$")


def threshold(expr: str) -> float:
    match = _TRAILING.search(expr)
    if not match:
        raise AssertionError(f"no trailing comparison in {expr!r}")
    return float(match[2])


def _label(expr: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', expr)
    if not match:
        raise AssertionError(f"no {name} matcher in {expr!r}")
    return match[1]


def _series(metric: str, labels: Mapping[str, str], values: str) -> dict[str, str]:
    body = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{metric}{{{body}}}", "values": values}


def _counter(per_minute: float, samples: int) -> str:
    return f"0+{per_minute:g}x{samples}"


def _gauge(value: float, samples: int) -> str:
    return f"{value:g}x{samples}"


def synthetic(rule: Mapping[str, Any], samples: int) -> tuple[list[dict], list[dict] | None]:
    """(series that fire the alert, series that do not; None for the watchdog)."""
    name, expr, labels = rule["alert"], rule["expr"], rule["labels"]
    if name == a.WATCHDOG:
        return [], None
    if name in a.ENDPOINT_ALERTS:
        pod = {"namespace": labels["namespace"], "pod": f"{labels['endpoint']}-0"}
    if name == a.ENDPOINT_DOWN:
        return (
            [_series("up", pod, _gauge(0, samples))],
            [_series("up", pod, _gauge(1, samples))],
        )
    if name == a.LATENCY_HIGH:
        t = threshold(expr)
        bucket = re.search(r"rate\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr)[1]  # type: ignore[index]
        bounds = [t / 2, t, 2 * t, math.inf]

        def histogram(lowest_filled: int) -> list[dict]:
            return [
                _series(
                    bucket,
                    {**pod, "le": "+Inf" if b == math.inf else f"{b:g}"},
                    _counter(60 if i >= lowest_filled else 0, samples),
                )
                for i, b in enumerate(bounds)
            ]

        # All requests between t and 2t: P95 ≈ 1.95 t. All below t/2: P95 ≈ 0.475 t.
        return histogram(2), histogram(0)
    if name == a.ERROR_RATE_HIGH:
        r = threshold(expr)
        ok, bad = 1000.0, 1000.0 * 2 * r / (1 - r)  # failed share 2r/(1+r) > r
        if "http_requests_total" in expr:
            served = ("http_requests_total", {**pod, "status": "2xx"})
            failed = ("http_requests_total", {**pod, "status": "5xx"})
            series = [_series(*served, _counter(ok, samples))]
        else:
            series = [_series("request_success_total", pod, _counter(ok, samples))]
            failed = ("request_failure_total", pod)
        return (
            [*series, _series(*failed, _counter(bad, samples))],
            [*series, _series(*failed, _gauge(0, samples))],
        )
    if name == a.GPU_SATURATED:
        t = threshold(expr)
        metric = "DCGM_FI_DEV_GPU_UTIL"
        return (
            [_series(metric, pod, _gauge(t + 1, samples))],
            [_series(metric, pod, _gauge(t / 2, samples))],
        )
    if name == a.AT_MAX_REPLICAS:
        t = threshold(expr)
        hpa = {
            "namespace": labels["namespace"],
            "horizontalpodautoscaler": _label(expr, "horizontalpodautoscaler"),
        }
        metric = "kube_horizontalpodautoscaler_status_current_replicas"
        return (
            [_series(metric, hpa, _gauge(t, samples))],
            [_series(metric, hpa, _gauge(t - 1, samples))],
        )
    if name == a.REPLICATION_LAG_HIGH:
        t = threshold(expr)
        db = {"namespace": labels["namespace"], "cluster": labels["database"]}
        metric = "pg_replication_lag_seconds"
        return (
            [_series(metric, db, _gauge(2 * t + 1, samples))],
            [_series(metric, db, _gauge(0, samples))],
        )
    if name in (a.BACKUP_FAILING, a.BACKUP_LATE):
        stanza = {"stanza": labels["database"], "backup_type": "full"}
        if name == a.BACKUP_FAILING:
            metric = "pgbackrest_backup_last_error_status"
            return (
                [_series(metric, stanza, _gauge(1, samples))],
                [_series(metric, stanza, _gauge(0, samples))],
            )
        late = float(re.search(r"\) > ([0-9.]+) or absent", expr)[1])  # type: ignore[index]
        metric = "pgbackrest_backup_since_last_completion_seconds"
        return (
            [_series(metric, stanza, _gauge(late + 3600, samples))],
            [_series(metric, stanza, _gauge(60, samples))],
        )
    if name == a.HARBOR_REPLICATION_FAILING:
        metric = "harbor_jobservice_task_total"
        return (
            # Harbor spells type and status in either case; the rule matches both.
            [_series(metric, {"type": "REPLICATION", "status": "Error"}, _counter(1, samples))],
            [_series(metric, {"type": "replication", "status": "success"}, _counter(1, samples))],
        )
    if name == a.CERTIFICATE_EXPIRING:
        limit = threshold(expr)
        instance = {"instance": _label(expr, "instance")}
        metric = "probe_ssl_earliest_cert_expiry"
        # time() counts from 0 in a promtool test; expiry given as seconds since then.
        return (
            [_series(metric, instance, _gauge(limit / 2, samples))],
            [_series(metric, instance, _gauge(limit * 2 + samples * 60, samples))],
        )
    if name == a.AUDIT_SHIPPING_STOPPED:
        metric = "fluentbit_output_proc_records_total"
        output = {"name": "audit"}
        return (
            [_series(metric, output, _gauge(5000, samples))],
            [_series(metric, output, _counter(100, samples))],
        )
    raise AssertionError(f"no synthetic series for alert {name}")


def unit_tests(rule_file: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``promtool test rules`` document for one rule file.

    promtool compares every alert of a name at ``eval_time``, so a case for one endpoint's
    rule also feeds its siblings (the same alert for the other endpoints) series that keep
    them silent.
    """
    rules = [r for g in groups for r in g["rules"]]
    tests = []
    for rule in rules:
        hold = parse_duration(rule.get("for", "0s")) // 60
        eval_minutes = WARM_UP_MINUTES + hold
        samples = eval_minutes + 5
        firing, silent = synthetic(rule, samples)
        siblings = [
            series
            for other in rules
            if other is not rule and other["alert"] == rule["alert"]
            for series in synthetic(other, samples)[1] or []
        ]
        expected = {
            "exp_labels": dict(rule["labels"]),
            "exp_annotations": dict(rule["annotations"]),
        }
        case = {"eval_time": f"{eval_minutes}m", "alertname": rule["alert"]}
        tests.append(
            {
                "name": f"{rule['alert']} {rule['labels']} fires",
                "interval": "1m",
                "input_series": [*firing, *siblings],
                "alert_rule_test": [{**case, "exp_alerts": [expected]}],
            }
        )
        if silent is not None:
            tests.append(
                {
                    "name": f"{rule['alert']} {rule['labels']} stays silent",
                    "interval": "1m",
                    "input_series": [*silent, *siblings],
                    "alert_rule_test": [{**case, "exp_alerts": []}],
                }
            )
    return {"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests}
