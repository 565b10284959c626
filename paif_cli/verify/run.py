"""Run the §9.7.2 checks of one stack against its live deployment and report them.

Per endpoint, in order: health (the health-check API answers 200), models (the model list
names the endpoint's model), then sample requests (by default as many as it takes to show the
endpoint's error-rate limit: ``requests_for``): latency (P95 strictly below the endpoint's
threshold, 3 s the project default from §9.7.2's example SLA; P50/P99 reported) and error-rate (pass
when the 95 % upper confidence bound of the rate is below its threshold, fail when the observed
rate reaches it, inconclusive in between: too few requests to tell). Per tenant with knowledge
bases or agents, through its PAIS API: each knowledge base available and indexed, each agent
listed and answering (``paif_cli.verify.pais``). With a Prometheus URL: whether Prometheus
answers, scaling per autoscaled endpoint (replicas rose during the run), and for the site
whether alerts fire, whether alerting works (watchdog firing, an Alertmanager to send to) and
whether logs were shipped during the run.

A failure of the run itself (a bug, not a failed request) ends it with an ``aborted`` check, so
the report written says so instead of leaving none or an older one.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from paif_cli.verify import prometheus as prom
from paif_cli.verify.client import TOKEN_VARIABLE, Client, run_load
from paif_cli.verify.pais import pais_checks
from paif_cli.verify.report import Check, VerifyReport
from paif_cli.verify.stats import METHOD, LoadSummary, requests_needed, summarize
from paif_cli.verify.targets import Deployment, Target
from paif_components.constants import HEALTH_OK_STATUS, VERIFY_SAMPLE_REQUESTS
from paif_components.estimators import format_duration

BAR_WIDTH = 30
# Sample requests take at most this share of an endpoint's rate limit, leaving the rest to live
# traffic (a project default): beyond the limit the gateway answers 429, which would count as
# errors of the endpoint.
RATE_LIMIT_SHARE = 0.5
NO_PROMETHEUS = "not checked: Prometheus did not answer with data (see the prometheus check)"


@dataclass(frozen=True)
class VerifyOptions:
    # Sample requests per endpoint; None: requests_for() of each endpoint's error-rate limit.
    requests: int | None
    concurrency: int
    timeout: float
    token: str | None = None
    prometheus_url: str | None = None
    scale_wait: float = 0.0
    progress: bool = False
    # Sample requests started per second at most; None: RATE_LIMIT_SHARE of the endpoint's
    # rate limit (no pacing without one).
    max_rate: float | None = None


def requests_for(error_rate_limit: float) -> int:
    """The default number of sample requests for an endpoint: enough for the P95 and P99
    (VERIFY_SAMPLE_REQUESTS) and for a run without errors to show the rate below its limit."""
    needed = requests_needed(error_rate_limit) if 0 < error_rate_limit < 1 else None
    return max(VERIFY_SAMPLE_REQUESTS, needed or 0)


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


def _percent(rate: float) -> str:
    """Four significant digits: a bound of 0.09998 % must not read as the 0.1 % limit."""
    return f"{rate * 100:.4g} %"


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
    # Strictly below, as §9.7.2's example SLA (the project default) writes it: at the limit fails.
    if load.p95 >= limit:
        return Check(
            "latency",
            target.subject,
            "fail",
            f"P95 {_seconds(load.p95)} is not below {limit:g} s ({spread})",
            details,
        )
    return Check("latency", target.subject, "pass", f"{spread} (limit < {limit:g} s)", details)


def _error_rate(target: Target, load: LoadSummary) -> Check:
    """Pass when the upper bound is below the limit, fail when the observed rate reaches it,
    inconclusive otherwise, saying how many requests would show it."""
    limit = target.endpoint.thresholds.error_rate
    bound = load.error_rate_upper_bound or 0.0
    details = {**load.to_dict(), "errorRateLimit": limit}
    share = (
        f"{load.errors} of {load.requests} requests failed ({_percent(load.error_rate)}; "
        f"95 % upper bound {_percent(bound)}, {METHOD.split(',')[0]})"
    )
    kinds = f": {load.kinds_text()}; first: {load.first_error}" if load.errors else ""
    if load.error_rate >= limit:
        return Check(
            "error-rate",
            target.subject,
            "fail",
            f"{share}, not below {limit * 100:g} %{kinds}",
            details,
        )
    if bound < limit:
        return Check(
            "error-rate",
            target.subject,
            "pass",
            f"{share}, below {limit * 100:g} %{kinds}",
            details,
        )
    needed = requests_needed(limit, load.error_rate)
    details["requestsNeeded"] = needed
    if needed is None:
        how = "the observed rate is too close to the limit to show it"
    elif load.errors:
        how = f"at the observed rate about {needed} requests would show it (--requests {needed})"
    else:
        how = f"with no errors, {needed} requests would show it (--requests {needed})"
    return Check(
        "error-rate",
        target.subject,
        "inconclusive",
        f"{share}: too few requests to show it below {limit * 100:g} %; {how}{kinds}",
        details,
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
                f"{target.url}: no answer to the health check: {health.error}",
                {"url": target.url, "kind": health.kind},
            )
            for name in ("models", "latency", "error-rate"):
                self.add(name, subject, "skip", f"not measured: {subject} did not answer")
            return
        healthy = health.status == HEALTH_OK_STATUS and health.error is None
        message = f"health check answered {health.status}"
        if not healthy:
            message += f", not {HEALTH_OK_STATUS}" if health.status != HEALTH_OK_STATUS else ""
            message += f": {health.error}" if health.error else ""
        self.add(
            "health",
            subject,
            "pass" if healthy else "fail",
            message,
            {"status": health.status, "seconds": round(health.seconds, 4), "kind": health.kind},
        )
        answer, models = client.models()
        if models is None:
            self.add(
                "models",
                subject,
                "fail",
                f"no model list at /v1/models: {answer.error}",
                {"status": answer.status, "kind": answer.kind},
            )
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
        requests = options.requests or requests_for(target.endpoint.thresholds.error_rate)
        per_second = options.max_rate or (
            target.requests_per_minute / 60 * RATE_LIMIT_SHARE
            if target.requests_per_minute
            else None
        )
        if options.progress or options.requests is None:
            why = (
                " (enough to show its error-rate limit with no error; --requests to change)"
                if options.requests is None
                else ""
            )
            pace = (
                f", at most {per_second:g}/s (half its rate limit): at least "
                f"{format_duration(requests / per_second)}"
                if per_second and not options.max_rate
                else ""
            )
            self.stream.write(f"paif verify: {requests} sample requests to {subject}{why}{pace}\n")
        start = time.time()
        bar = ProgressBar(self.stream, subject, requests) if options.progress else None
        samples = run_load(
            client,
            target.kind,
            target.model,
            requests=requests,
            concurrency=options.concurrency,
            dimensions=target.dimensions,
            per_second=per_second,
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
            self.add("scaling", subject, "skip", NO_PROMETHEUS)
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
                self.add(name, site, "skip", NO_PROMETHEUS)
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
    deployment: Deployment, options: VerifyOptions, stream: TextIO | None = None
) -> VerifyReport:
    """Every check of the deployment, in the order the module doc lists them; a failure of the
    run itself ends it with an ``aborted`` check (the report says so; nothing is raised).
    Warnings and progress go to ``stream`` (default: the current ``sys.stderr``)."""
    stream = stream if stream is not None else sys.stderr
    started = dt.datetime.now(dt.UTC)
    begin = time.time()
    run = _Run(deployment, options, stream)
    site = deployment.config.site.name
    aborted = False
    if not options.token:
        stream.write(
            f"warning: {TOKEN_VARIABLE} is not set: requests go without a bearer token "
            "(a gateway that wants one answers 401)\n"
        )
    try:
        run.check_prometheus()
        for target in deployment.targets:
            run.endpoint(target)
        for pais in deployment.pais:
            run.checks += pais_checks(
                pais, token=options.token, timeout=options.timeout, wait_seconds=options.timeout
            )
        run.site_checks(time.time() - begin)
    except Exception as exc:
        aborted = True
        where = traceback.extract_tb(exc.__traceback__)[-1]
        run.add(
            "run",
            site,
            "fail",
            f"aborted: {type(exc).__name__}: {str(exc).strip()[:300]} "
            f"({Path(where.filename).name}:{where.lineno}); the checks above are all it made",
            {"exception": type(exc).__name__},
        )
    return VerifyReport(
        stack=deployment.stack,
        site=site,
        checks=tuple(run.checks),
        started=started.isoformat(timespec="seconds"),
        seconds=time.time() - begin,
        aborted=aborted,
    )


def out_folder(out: Path, stack: str) -> Path:
    return Path(out) / stack
