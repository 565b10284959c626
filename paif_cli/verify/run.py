"""Run the §9.7.2 checks of one stack against its live deployment and report them.

Per endpoint, in order: health (the health-check API answers 200), models (the model list
names the endpoint's model), then ``requests`` sample requests: latency (P95 at or below the
endpoint's threshold; P50/P99 reported) and error-rate (failed share at or below its
threshold). Per tenant with knowledge bases or agents, through its PAIS API: each knowledge base
available and indexed, each agent listed and answering (``paif_cli.verify.pais``). With a
Prometheus URL: whether Prometheus answers, scaling per autoscaled endpoint
(replicas rose during the run), and for the site whether alerts fire, whether alerting works
(watchdog firing, an Alertmanager to send to) and whether logs were shipped during the run.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from components.constants import HEALTH_OK_STATUS
from paif_cli.verify import prometheus as prom
from paif_cli.verify.client import Client, run_load
from paif_cli.verify.pais import pais_checks
from paif_cli.verify.report import Check, VerifyReport
from paif_cli.verify.stats import LoadSummary, summarize
from paif_cli.verify.targets import Deployment, Target

BAR_WIDTH = 30


@dataclass(frozen=True)
class VerifyOptions:
    requests: int
    concurrency: int
    timeout: float
    token: str | None = None
    prometheus_url: str | None = None
    scale_wait: float = 0.0
    progress: bool = False


class ProgressBar:
    """``  marketing/llama-chat [######------] 12/100`` redrawn in place on ``stream``."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream, self.label, self.total = stream, label, total

    def __call__(self, done: int) -> None:
        filled = BAR_WIDTH * done // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        end = "\n" if done >= self.total else ""
        self.stream.write(f"\r  {self.label} [{bar}] {done}/{self.total}{end}")
        self.stream.flush()


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g} s"


def _latency(target: Target, load: LoadSummary) -> Check:
    limit = target.endpoint.thresholds.p95_latency_seconds
    details = {**load.to_dict(), "p95LimitSeconds": limit}
    if load.p95 is None:
        return Check(
            "latency",
            target.subject,
            "fail",
            f"no request succeeded (first error: {load.first_error})",
            details,
        )
    spread = f"P50 {_seconds(load.p50)}, P95 {_seconds(load.p95)}, P99 {_seconds(load.p99)}"
    if load.p95 > limit:
        return Check(
            "latency",
            target.subject,
            "fail",
            f"P95 {_seconds(load.p95)} is above {limit:g} s ({spread})",
            details,
        )
    return Check("latency", target.subject, "pass", f"{spread} (limit {limit:g} s)", details)


def _error_rate(target: Target, load: LoadSummary) -> Check:
    limit = target.endpoint.thresholds.error_rate
    details = {**load.to_dict(), "errorRateLimit": limit}
    share = f"{load.errors} of {load.requests} requests failed ({load.error_rate * 100:.3g} %"
    if load.error_rate > limit:
        return Check(
            "error-rate",
            target.subject,
            "fail",
            f"{share}, above {limit * 100:g} %); first: {load.first_error}",
            details,
        )
    return Check(
        "error-rate", target.subject, "pass", f"{share}, limit {limit * 100:g} %)", details
    )


@dataclass
class _Run:
    deployment: Deployment
    options: VerifyOptions
    stream: TextIO
    checks: list[Check] = field(default_factory=list)
    prometheus: prom.Prometheus | None = None

    def add(
        self,
        name: str,
        subject: str,
        status: str,
        message: str,
        details: dict[str, object] | None = None,
    ) -> None:
        self.checks.append(Check(name, subject, status, message, dict(details or {})))

    def outcome(self, name: str, subject: str, get: Callable[[], prom.Outcome]) -> None:
        try:
            result = get()
        except prom.PrometheusError as exc:
            self.add(name, subject, "fail", str(exc))
            return
        self.checks.append(Check(name, subject, result.status, result.message, result.details))

    def check_prometheus(self) -> None:
        url = self.options.prometheus_url
        if url is None:
            return
        site = self.deployment.config.site.name
        candidate = prom.Prometheus(url, timeout=self.options.timeout)
        try:
            version = candidate.version()
        except prom.PrometheusError as exc:
            self.add("prometheus", site, "fail", str(exc), {"url": url})
            return
        self.prometheus = candidate
        self.add("prometheus", site, "pass", f"Prometheus {version} answers at {url}", {"url": url})

    def endpoint(self, target: Target) -> None:
        options, subject = self.options, target.subject
        client = Client(target.url, token=options.token, timeout=options.timeout)
        health = client.health()
        if health.status is None:
            self.add(
                "health",
                subject,
                "fail",
                f"{target.url} is unreachable: {health.error}",
                {"url": target.url},
            )
            for name in ("models", "latency", "error-rate"):
                self.add(name, subject, "skip", f"not measured: {subject} is unreachable")
            return
        self.add(
            "health",
            subject,
            "pass" if health.status == HEALTH_OK_STATUS else "fail",
            f"health check answered {health.status}"
            + ("" if health.status == HEALTH_OK_STATUS else f", not {HEALTH_OK_STATUS}"),
            {"status": health.status, "seconds": round(health.seconds, 4)},
        )
        answer, models = client.models()
        if models is None:
            self.add("models", subject, "fail", f"no model list at /v1/models ({answer.error})")
        elif target.model in models:
            self.add("models", subject, "pass", f"serves model {target.model}", {"models": models})
        else:
            self.add(
                "models",
                subject,
                "fail",
                f"model {target.model} is not listed (served: {', '.join(models) or 'none'})",
                {"models": models},
            )
        start = time.time()
        bar = ProgressBar(self.stream, subject, options.requests) if options.progress else None
        samples = run_load(
            client,
            target.kind,
            target.model,
            requests=options.requests,
            concurrency=options.concurrency,
            progress=bar,
        )
        load = summarize(samples)
        self.checks += [_latency(target, load), _error_rate(target, load)]
        self.scaling(target, start)

    def scaling(self, target: Target, start: float) -> None:
        if self.options.prometheus_url is None:
            return
        endpoint, subject = target.endpoint, target.subject
        if self.prometheus is None:
            self.add("scaling", subject, "skip", "not checked: Prometheus is unreachable")
            return
        if not endpoint.autoscaled:
            self.add(
                "scaling",
                subject,
                "skip",
                f"no autoscaling range here (min = max = {endpoint.max_replicas})",
            )
            return
        prometheus = self.prometheus
        self.outcome(
            "scaling",
            subject,
            lambda: prom.scaling(
                prometheus,
                namespace=endpoint.namespace,
                endpoint=endpoint.name,
                backend=endpoint.backend,
                max_replicas=endpoint.max_replicas,
                start=start,
                wait_until=time.time() + self.options.scale_wait,
            ),
        )

    def site_checks(self, run_seconds: float) -> None:
        if self.options.prometheus_url is None:
            return
        site = self.deployment.config.site.name
        if self.prometheus is None:
            for name in ("alerts", "alerting", "logging"):
                self.add(name, site, "skip", "not checked: Prometheus is unreachable")
            return
        prometheus = self.prometheus

        def alerts() -> prom.Outcome:
            firing = prom.site_alerts(prometheus.firing(), site)
            if firing:
                return prom.Outcome("fail", f"firing: {', '.join(firing)}", {"firing": firing})
            return prom.Outcome("pass", f"no alert of {site} is firing", {"firing": []})

        self.outcome("alerts", site, alerts)
        self.outcome(
            "alerting",
            site,
            lambda: prom.alerting(prometheus.firing(), site, prometheus.active_alertmanagers()),
        )
        self.outcome("logging", site, lambda: prom.logging(prometheus, run_seconds))


def verify(
    deployment: Deployment, options: VerifyOptions, stream: TextIO = sys.stderr
) -> VerifyReport:
    """Every check of the deployment, in the order the module doc lists them."""
    started = dt.datetime.now(dt.UTC)
    begin = time.time()
    run = _Run(deployment, options, stream)
    run.check_prometheus()
    for target in deployment.targets:
        run.endpoint(target)
    for pais in deployment.pais:
        run.checks += pais_checks(
            pais, token=options.token, timeout=options.timeout, wait_seconds=options.timeout
        )
    run.site_checks(time.time() - begin)
    return VerifyReport(
        stack=deployment.stack,
        site=deployment.config.site.name,
        checks=tuple(run.checks),
        started=started.isoformat(timespec="seconds"),
        seconds=time.time() - begin,
    )


def out_folder(out: Path, stack: str) -> Path:
    return Path(out) / stack
