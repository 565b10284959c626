"""Alert rules of a site and its tenants (§9.7.1 "alert rules"), as PrometheusRule groups.

Every alert carries ``severity``, ``tenant`` (``platform`` for the site's own), ``site``, a
``summary``, a ``description`` and a ``runbook_url`` into the generated operations runbook
(``paif_components.observability.runbook``). Annotations are plain text rendered with the
thresholds they name, so what an operator reads is what the rule tests.

| alert                           | fires when                                              |
|---------------------------------|---------------------------------------------------------|
| PaifEndpointDown                | no replica of an endpoint answers its scrape (5 min)    |
| PaifEndpointLatencyHigh         | P95 end-to-end latency above threshold (project default |
|                                 | 3 s, §9.7.2's example SLA)                              |
| PaifEndpointErrorRateHigh       | failed/all requests above threshold (§9.7.2: 0.1 %)     |
| PaifEndpointGpuSaturated        | GPU utilisation above target for long (§9.5.2)          |
| PaifEndpointAtMaxReplicas       | the autoscaler holds the maximum for long (quota, pool) |
| PaifDatabaseReplicationLagHigh  | a replica lags more than the declared RPO (§9.3)        |
| PaifDatabaseBackupFailing       | the last backup ended in error                          |
| PaifDatabaseBackupLate          | no completed backup within its schedule's interval      |
| PaifHarborReplicationFailing    | a Harbor replication task failed in the last hour       |
| PaifCertificateExpiring         | the ingress certificate expires within 14 days (§9.6)   |
| PaifAuditLogShippingStopped     | no log record shipped for 15 min (§9.6.3 audit)         |
| PaifWatchdog                    | always: proves rules are evaluated and alerts delivered |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from paif_components.config.units import format_seconds
from paif_components.constants import (
    ALERT_AUDIT_SHIPPING_SECONDS,
    ALERT_BACKUP_GRACE_SECONDS,
    ALERT_CERTIFICATE_EXPIRY_DAYS,
    ALERT_ENDPOINT_DOWN_SECONDS,
    ALERT_HARBOR_REPLICATION_WINDOW_SECONDS,
    ALERT_REPLICATION_LAG_SECONDS,
    ALERT_SLA_WINDOW_SECONDS,
)
from paif_components.observability import metrics
from paif_components.observability.thresholds import EndpointThresholds

ENDPOINT_DOWN: Final = "PaifEndpointDown"
LATENCY_HIGH: Final = "PaifEndpointLatencyHigh"
ERROR_RATE_HIGH: Final = "PaifEndpointErrorRateHigh"
GPU_SATURATED: Final = "PaifEndpointGpuSaturated"
AT_MAX_REPLICAS: Final = "PaifEndpointAtMaxReplicas"
REPLICATION_LAG_HIGH: Final = "PaifDatabaseReplicationLagHigh"
BACKUP_FAILING: Final = "PaifDatabaseBackupFailing"
BACKUP_LATE: Final = "PaifDatabaseBackupLate"
HARBOR_REPLICATION_FAILING: Final = "PaifHarborReplicationFailing"
CERTIFICATE_EXPIRING: Final = "PaifCertificateExpiring"
AUDIT_SHIPPING_STOPPED: Final = "PaifAuditLogShippingStopped"
WATCHDOG: Final = "PaifWatchdog"
# The alerts PAIF-OPS-001 requires of every production endpoint.
REQUIRED_ENDPOINT_ALERTS: Final = (ENDPOINT_DOWN, LATENCY_HIGH, ERROR_RATE_HIGH)
ENDPOINT_ALERTS: Final = (*REQUIRED_ENDPOINT_ALERTS, GPU_SATURATED, AT_MAX_REPLICAS)
DATABASE_ALERTS: Final = (REPLICATION_LAG_HIGH, BACKUP_FAILING, BACKUP_LATE)
SITE_ALERTS: Final = (
    HARBOR_REPLICATION_FAILING,
    CERTIFICATE_EXPIRING,
    AUDIT_SHIPPING_STOPPED,
    WATCHDOG,
)
ALL_ALERTS: Final = (*ENDPOINT_ALERTS, *DATABASE_ALERTS, *SITE_ALERTS)
# Alerts of the site itself, not of one tenant.
PLATFORM_TENANT: Final = "platform"
OPS_RUNBOOK_FILE: Final = "ops-runbook.md"
# Harbor reports job types and statuses in upper or lower case depending on the version.
_HARBOR_REPLICATION = 'type=~"(?i)replication",status=~"(?i)error"'


def runbook_url(alert: str, *, stack: str, base_url: str | None) -> str:
    """Link to the alert's section of the generated runbook (relative without a base URL)."""
    anchor = f"{OPS_RUNBOOK_FILE}#{alert.lower()}"
    return f"{base_url.rstrip('/')}/{stack}/{anchor}" if base_url else anchor


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g} %"


@dataclass(frozen=True)
class MonitoredEndpoint:
    """An endpoint that runs at this site, with the thresholds that hold for it."""

    tenant: str
    namespace: str
    name: str
    backend: str
    min_replicas: int
    max_replicas: int
    critical: bool
    thresholds: EndpointThresholds

    @property
    def autoscaled(self) -> bool:
        return self.min_replicas < self.max_replicas


@dataclass(frozen=True)
class MonitoredDatabase:
    """A database running at this site: its lag objective and backup cadence here."""

    tenant: str
    namespace: str
    name: str
    replication_lag_seconds: int | None = None
    backup_interval_seconds: int | None = None


@dataclass(frozen=True)
class SiteFacts:
    """What the site-wide alerts need to know about the site."""

    site: str
    stack: str
    runbook_base_url: str | None = None
    harbor_pushes: bool = False
    ingress_fqdn: str | None = None
    audit_enabled: bool = True


def _rule(
    alert: str,
    expr: str,
    *,
    hold_seconds: int,
    severity: str,
    tenant: str,
    facts: SiteFacts,
    summary: str,
    description: str,
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert, "expr": expr}
    if hold_seconds > 0:
        rule["for"] = format_seconds(hold_seconds)
    rule["labels"] = {
        "severity": severity,
        "tenant": tenant,
        "site": facts.site,
        **(extra_labels or {}),
    }
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": runbook_url(alert, stack=facts.stack, base_url=facts.runbook_base_url),
    }
    return rule


def endpoint_rules(endpoint: MonitoredEndpoint, facts: SiteFacts) -> list[dict[str, Any]]:
    """Down, latency, error rate, GPU saturation and (autoscaled) pinned-at-max alerts."""
    ns, name, backend = endpoint.namespace, endpoint.name, endpoint.backend
    t = endpoint.thresholds
    who = f"{endpoint.tenant}/{name}"
    window = format_seconds(ALERT_SLA_WINDOW_SECONDS)
    common: dict[str, Any] = {
        "tenant": endpoint.tenant,
        "facts": facts,
        "extra_labels": {"namespace": ns, "endpoint": name},
    }
    rules = [
        _rule(
            ENDPOINT_DOWN,
            f"{metrics.targets_up(ns, name)} == 0",
            hold_seconds=ALERT_ENDPOINT_DOWN_SECONDS,
            severity="critical" if endpoint.critical else "warning",
            summary=f"Model endpoint {who} is down",
            description=f"No replica of {who} in namespace {ns} has answered its metrics "
            f"scrape for {format_seconds(ALERT_ENDPOINT_DOWN_SECONDS)} (§9.7.2 availability).",
            **common,
        ),
        _rule(
            LATENCY_HIGH,
            f"{metrics.latency_quantile(ns, name, backend, 0.95, window)} "
            f"> {t.p95_latency_seconds:g}",
            hold_seconds=ALERT_SLA_WINDOW_SECONDS,
            severity="warning",
            summary=f"P95 latency of {who} is above {t.p95_latency_seconds:g} s",
            description=f"The 95th percentile of end-to-end request latency of {who} over "
            f"{window} has stayed above {t.p95_latency_seconds:g} s for {window} "
            "(§9.7.2 response time).",
            **common,
        ),
        _rule(
            ERROR_RATE_HIGH,
            f"{metrics.error_ratio(ns, name, backend, window)} > {t.error_rate:g}",
            hold_seconds=ALERT_SLA_WINDOW_SECONDS,
            severity="critical",
            summary=f"Error rate of {who} is above {_percent(t.error_rate)}",
            description=f"More than {_percent(t.error_rate)} of the requests to {who} failed "
            f"over {window}, for {window} (§9.7.2 error rate).",
            **common,
        ),
        _rule(
            GPU_SATURATED,
            f"{metrics.gpu_utilization(ns, name)} > {t.gpu_utilization_percent}",
            hold_seconds=t.gpu_utilization_for_seconds,
            severity="warning",
            summary=f"GPUs of {who} are above {t.gpu_utilization_percent} % for "
            f"{format_seconds(t.gpu_utilization_for_seconds)}",
            description=f"The average GPU utilisation of {who} has stayed above "
            f"{t.gpu_utilization_percent} % for {format_seconds(t.gpu_utilization_for_seconds)}:"
            " autoscaling is not relieving it (at its maximum, blocked by quota, or the GPU "
            "pool is short; §9.5).",
            **common,
        ),
    ]
    if endpoint.autoscaled:
        rules.append(
            _rule(
                AT_MAX_REPLICAS,
                f"{metrics.replicas(ns, name, backend)} >= {endpoint.max_replicas}",
                hold_seconds=t.max_replicas_for_seconds,
                severity="warning",
                summary=f"{who} is pinned at its maximum of {endpoint.max_replicas} replicas",
                description=f"The autoscaler of {who} has held {endpoint.max_replicas} "
                f"replicas (its maximum) for {format_seconds(t.max_replicas_for_seconds)}; "
                "more load cannot be served faster. Raise the maximum and the tenant's GPU "
                "quota, or add GPU capacity (§9.5).",
                **common,
            )
        )
    return rules


def database_rules(database: MonitoredDatabase, facts: SiteFacts) -> list[dict[str, Any]]:
    """Replication lag against the RPO, and backups failing or late, where they apply."""
    sel = metrics.database_selector(database.namespace, database.name)
    stanza = f'stanza="{database.name}"'
    who = f"{database.tenant}/{database.name}"
    common: dict[str, Any] = {
        "tenant": database.tenant,
        "facts": facts,
        "extra_labels": {"namespace": database.namespace, "database": database.name},
    }
    rules = []
    lag = database.replication_lag_seconds
    if lag is not None:
        rules.append(
            _rule(
                REPLICATION_LAG_HIGH,
                f"max({metrics.PG_REPLICATION_LAG}{{{sel}}}) > {lag}",
                hold_seconds=ALERT_REPLICATION_LAG_SECONDS,
                severity="critical",
                summary=f"Replication lag of {who} is above its RPO of {format_seconds(lag)}",
                description=f"A replica of pgvector database {who} has lagged more than "
                f"{format_seconds(lag)} behind its primary for "
                f"{format_seconds(ALERT_REPLICATION_LAG_SECONDS)}: a failover now would lose "
                "more data than the declared RPO allows (§9.3).",
                **common,
            )
        )
    interval = database.backup_interval_seconds
    if interval is not None:
        late = interval + ALERT_BACKUP_GRACE_SECONDS
        rules += [
            _rule(
                BACKUP_FAILING,
                f"max({metrics.PGBACKREST_LAST_ERROR}{{{stanza}}}) > 0",
                hold_seconds=0,
                severity="critical",
                summary=f"The last backup of {who} failed",
                description=f"The most recent backup of pgvector database {who} ended in "
                "error (§9.3.2: vectors are backed up).",
                **common,
            ),
            _rule(
                BACKUP_LATE,
                f"min({metrics.PGBACKREST_SINCE_LAST}{{{stanza}}}) > {late} "
                f"or absent({metrics.PGBACKREST_SINCE_LAST}{{{stanza}}})",
                hold_seconds=ALERT_SLA_WINDOW_SECONDS,
                severity="warning",
                summary=f"No backup of {who} completed in {format_seconds(late)}",
                description=f"No backup of pgvector database {who} has completed for longer "
                f"than its schedule's interval ({format_seconds(interval)}) plus "
                f"{format_seconds(ALERT_BACKUP_GRACE_SECONDS)}, or none is reported at all.",
                **common,
            ),
        ]
    return rules


def site_rules(facts: SiteFacts) -> list[dict[str, Any]]:
    """The site's own alerts: Harbor replication, certificate, audit shipping, watchdog."""
    common: dict[str, Any] = {"tenant": PLATFORM_TENANT, "facts": facts}
    rules = []
    if facts.harbor_pushes:
        window = format_seconds(ALERT_HARBOR_REPLICATION_WINDOW_SECONDS)
        rules.append(
            _rule(
                HARBOR_REPLICATION_FAILING,
                f"sum(increase({metrics.HARBOR_TASKS}{{{_HARBOR_REPLICATION}}}[{window}])) > 0",
                hold_seconds=0,
                severity="warning",
                summary=f"Harbor replication from {facts.site} is failing",
                description=f"At least one Harbor replication task of {facts.site} failed in "
                f"the last {window}: the peer site may serve stale models (§9.3.2).",
                **common,
            )
        )
    if facts.ingress_fqdn:
        days = ALERT_CERTIFICATE_EXPIRY_DAYS
        instance = f"https://{facts.ingress_fqdn}"
        rules.append(
            _rule(
                CERTIFICATE_EXPIRING,
                f'min({metrics.PROBE_SSL_EXPIRY}{{instance="{instance}"}}) - time() '
                f"< {days * 86400}",
                hold_seconds=0,
                severity="warning",
                summary=f"The certificate of {facts.ingress_fqdn} expires within {days} days",
                description=f"The TLS certificate the ingress {instance} presents expires in "
                f"less than {days} days (§9.6: TLS on all external traffic).",
                **common,
            )
        )
    if facts.audit_enabled:
        window = format_seconds(ALERT_AUDIT_SHIPPING_SECONDS)
        rules.append(
            _rule(
                AUDIT_SHIPPING_STOPPED,
                f"(sum(rate({metrics.FLUENTBIT_OUTPUT_RECORDS}[{window}])) or vector(0)) == 0",
                hold_seconds=ALERT_AUDIT_SHIPPING_SECONDS,
                severity="critical",
                summary=f"Audit log shipping of {facts.site} has stopped",
                description=f"No log record has left {facts.site}'s log pipeline for {window}: "
                "API calls are not being audited (§9.6.3).",
                **common,
            )
        )
    rules.append(
        _rule(
            WATCHDOG,
            "vector(1)",
            hold_seconds=0,
            severity="none",
            summary=f"Alerting of {facts.site} works",
            description="Always firing: proves the rules are evaluated and alerts reach the "
            "receiver (§9.7.2 alerting); page when it stops arriving.",
            **common,
        )
    )
    return rules


def group(name: str, rules: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "rules": list(rules)}


def tenant_groups(
    tenant: str,
    endpoints: Sequence[MonitoredEndpoint],
    databases: Sequence[MonitoredDatabase],
    facts: SiteFacts,
) -> list[dict[str, Any]]:
    """The tenant's PrometheusRule groups (empty groups left out)."""
    out = []
    endpoint_rules_ = [r for e in endpoints for r in endpoint_rules(e, facts)]
    if endpoint_rules_:
        out.append(group(f"paif-{tenant}-endpoints", endpoint_rules_))
    data_rules = [r for d in databases for r in database_rules(d, facts)]
    if data_rules:
        out.append(group(f"paif-{tenant}-data", data_rules))
    return out


def site_groups(facts: SiteFacts) -> list[dict[str, Any]]:
    return [group(f"paif-{facts.site}-platform", site_rules(facts))]
