"""The operations runbook every alert links to (§9.7.1 "incident runbook written").

Rendered by ``paif plan`` from the alert rules the stack declares, so each section lists exactly
the endpoints, databases and thresholds its alert covers. Each alert's ``runbook_url`` points at
its section (``ops-runbook.md#<alert in lower case>``). The verification step of every section,
and of the whole deployment, is ``paif verify`` (§9.7.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from paif_components.observability import alerts as a

# What each alert means and what to look at first; the covered objects are listed below it.
GUIDANCE: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    a.ENDPOINT_DOWN: (
        "No replica of the endpoint answers its metrics scrape: it is not serving.",
        (
            "kubectl -n {namespace} get modelendpoints,nimservices,pods -l "
            "paif.vmware.com/endpoint={endpoint}",
            "kubectl -n {namespace} describe pods -l paif.vmware.com/endpoint={endpoint}",
            "kubectl -n {namespace} get events --sort-by=.lastTimestamp | tail -20",
        ),
    ),
    a.LATENCY_HIGH: (
        "Requests take longer than the SLA allows: the replicas are saturated (queue depth "
        "grows), a replica is cold-starting, or the GPU pool is short.",
        (
            "kubectl -n {namespace} get scaledobjects,hpa",
            "kubectl -n {namespace} top pods -l paif.vmware.com/endpoint={endpoint}",
        ),
    ),
    a.ERROR_RATE_HIGH: (
        "More requests fail than the SLA allows: replicas crash or run out of GPU memory, the "
        "model failed to load, or a dependency (knowledge base database) fails.",
        (
            "kubectl -n {namespace} logs -l paif.vmware.com/endpoint={endpoint} --tail=200",
            "kubectl -n {namespace} get pods -l paif.vmware.com/endpoint={endpoint} -o wide",
        ),
    ),
    a.GPU_SATURATED: (
        "GPUs stay busier than the autoscaling target: the autoscaler cannot add replicas "
        "(maximum reached, quota exhausted, no free GPU in the pool).",
        (
            "kubectl -n {namespace} get resourcequota",
            "kubectl -n {namespace} get pods --field-selector=status.phase=Pending",
        ),
    ),
    a.AT_MAX_REPLICAS: (
        "The autoscaler holds the endpoint at its maximum: more load cannot be absorbed. "
        "Raise modelEndpoints[].replicas.max and the tenant's quota.gpu together, or add GPU "
        "hosts (§9.5 GPU availability).",
        ("kubectl -n {namespace} get hpa keda-hpa-{endpoint} {endpoint} --ignore-not-found",),
    ),
    a.REPLICATION_LAG_HIGH: (
        "A pgvector replica is further behind its primary than the declared RPO: a failover "
        "now loses more data than allowed. Check the link between the sites and the "
        "primary's write load.",
        (
            "kubectl -n {namespace} get postgrescluster {database} -o yaml",
            "psql -c 'SELECT now() - pg_last_xact_replay_timestamp();'   # on the replica",
        ),
    ),
    a.BACKUP_FAILING: (
        "The last backup of the database ended in error: restores would fall back to an "
        "older backup.",
        ("kubectl -n {namespace} get postgrescluster {database} -o jsonpath='{{.status}}'",),
    ),
    a.BACKUP_LATE: (
        "No backup completed within the schedule's interval: the backup job is not running "
        "or the backup location is unreachable.",
        ("kubectl -n {namespace} get postgrescluster {database} -o yaml",),
    ),
    a.HARBOR_REPLICATION_FAILING: (
        "Harbor could not push artifacts to the peer site: the DR site may serve an older "
        "model. Harbor UI → Administration → Replications shows the failed executions.",
        (),
    ),
    a.CERTIFICATE_EXPIRING: (
        "The ingress certificate expires soon: renew it in NSX (the load balancer's client "
        "SSL profile) before clients start failing.",
        (),
    ),
    a.AUDIT_SHIPPING_STOPPED: (
        "No log record leaves the site: API calls are no longer audited. Check the log "
        "collector (Fluent Bit) and its output.",
        ("kubectl get pods -A -l app.kubernetes.io/name=fluent-bit",),
    ),
    a.WATCHDOG: (
        "Always firing by design. When its notifications stop arriving, alerting itself is "
        "broken: Prometheus does not evaluate rules or cannot reach Alertmanager.",
        (),
    ),
}


def _rules_by_alert(groups: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for group in groups:
        for rule in group.get("rules") or []:
            if "alert" in rule:
                out.setdefault(str(rule["alert"]), []).append(rule)
    return out


def verify_command(stack: str, *, prometheus_url: str | None, selection: str = "") -> str:
    prometheus = f" --prometheus {prometheus_url}" if prometheus_url else ""
    return f"paif verify --stack {stack}{selection}{prometheus}"


def render_ops_runbook(
    *,
    site: str,
    stack: str,
    groups: Sequence[Mapping[str, Any]],
    prometheus_url: str | None,
) -> str:
    """Markdown: how to verify the deployment, then one section per alert the stack has."""
    by_alert = _rules_by_alert(groups)
    lines = [
        f"# Operations runbook: {site} (stack `{stack}`)",
        "",
        "Rendered by `paif plan` from the alert rules this stack declares; each alert's "
        "`runbook_url` points at its section below.",
        "",
        '<a id="verify"></a>',
        "",
        "## Verify the deployment (§9.7.2)",
        "",
        "After every `pulumi up`, and after acting on any alert below:",
        "",
        "```sh",
        "export PAIF_VERIFY_TOKEN=...   # an API token of the gateway",
        verify_command(stack, prometheus_url=prometheus_url),
        "```",
        "",
        "It checks each endpoint's health and model list, sends sample requests and compares "
        "P95 latency and the error rate with the thresholds below, checks that autoscaling "
        "added replicas under that load and that no alert is firing; it exits 1 when a check "
        "fails and writes JSON, JUnit and Markdown reports.",
    ]
    if not by_alert:
        lines += ["", "This stack declares no alert rules (`paif:observability.enabled`)."]
    for alert in a.ALL_ALERTS:
        rules = by_alert.get(alert)
        if not rules:
            continue
        meaning, commands = GUIDANCE[alert]
        severities = sorted({str(r.get("labels", {}).get("severity")) for r in rules})
        lines += [
            "",
            f'<a id="{alert.lower()}"></a>',
            "",
            f"## {alert}",
            "",
            f"Severity: {', '.join(severities)}. {meaning}",
            "",
        ]
        for rule in rules:
            labels = rule.get("labels") or {}
            hold = f" for {rule['for']}" if rule.get("for") else ""
            lines.append(f"- {rule['annotations']['summary']} — `{rule['expr']}`{hold}")
        for rule in rules[:1]:
            labels = rule.get("labels") or {}
            if commands:
                values = {
                    "namespace": labels.get("namespace", "<namespace>"),
                    "endpoint": labels.get("endpoint", "<endpoint>"),
                    "database": labels.get("database", "<database>"),
                }
                lines += ["", "First checks:", "", "```sh"]
                lines += [c.format(**values) for c in commands]
                lines.append("```")
            selection = (
                f" --endpoint {labels['tenant']}/{labels['endpoint']}"
                if ("endpoint" in labels)
                else ""
            )
            lines += [
                "",
                "Verify the fix:",
                "",
                "```sh",
                verify_command(stack, prometheus_url=prometheus_url, selection=selection),
                "```",
            ]
    return "\n".join(lines) + "\n"
