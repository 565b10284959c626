"""Monitoring as code (§9.7) for one tenant: ``TenantMonitoring`` (in the tenant's namespace)
renders a ``PodMonitor`` per running endpoint, the tenant's ``PrometheusRule`` (endpoints and
databases), and its Grafana dashboard ``ConfigMap`` (in the dashboard namespace, label
``grafana_dashboard: "1"``).

Endpoints that do not run here (a pilot-light DR site) are neither scraped nor alerted on: their
"down" would be the design. Rendering is in ``paif_components.observability``; the site's own
objects are :mod:`paif_components.site_monitoring`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.config.models import Tenant
from paif_components.config.models.observability import Observability
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_components.dr.topology import DatabaseMode, DerivedSite
from paif_components.estimators import cron_interval_seconds
from paif_components.model_endpoint import ENDPOINT_LABEL
from paif_components.observability import alerts, dashboards, objects
from paif_components.observability.alerts import MonitoredDatabase, MonitoredEndpoint, SiteFacts
from paif_components.observability.thresholds import endpoint_thresholds, replication_lag_threshold
from paif_components.site_monitoring import monitoring_labels, monitoring_object

TENANT_MONITORING_TYPE: Final = tokens.PAIF_TENANT_MONITORING


def monitored_endpoints(
    tenant: Tenant,
    observability: Observability,
    derived: DerivedSite | None = None,
) -> list[MonitoredEndpoint]:
    """The tenant's endpoints that run at this site, with their effective thresholds."""
    out = []
    for endpoint in tenant.model_endpoints:
        role = derived.endpoints.get((tenant.name, endpoint.name)) if derived else None
        if role is not None and not role.running:
            continue
        layers = (
            observability.alert_thresholds,
            tenant.alert_thresholds,
            endpoint.alert_thresholds,
        )
        out.append(
            MonitoredEndpoint(
                tenant=tenant.name,
                namespace=tenant.namespace,
                name=endpoint.name,
                backend=endpoint.backend,
                min_replicas=endpoint.replicas.min,
                max_replicas=endpoint.replicas.max,
                critical=endpoint.critical,
                thresholds=endpoint_thresholds(layers, endpoint.target_gpu_utilization),
            )
        )
    return out


def monitored_databases(
    tenant: Tenant,
    observability: Observability,
    rpo_seconds: int | None,
    derived: DerivedSite | None = None,
) -> list[MonitoredDatabase]:
    """Databases running here: lag held to the RPO where replicas run, backups at the writer."""
    out = []
    layers = (observability.alert_thresholds, tenant.alert_thresholds)
    # Vector and app databases alike (§9.3.2 items 2 and 4).
    for database in (*tenant.databases, *tenant.app_databases):
        role = derived.databases.get((tenant.name, database.name)) if derived else None
        mode = role.mode if role is not None else DatabaseMode.WRITER
        if role is not None and not role.running:
            continue
        replicas_here = database.ha or mode is not DatabaseMode.WRITER
        lag = replication_lag_threshold(layers, rpo_seconds) if replicas_here else None
        interval = None
        if mode is DatabaseMode.WRITER and database.backup is not None:
            schedules = [database.backup.schedule, database.backup.incremental_schedule]
            interval = min(cron_interval_seconds(s) for s in schedules if s)
        if lag is None and interval is None:
            continue
        out.append(
            MonitoredDatabase(
                tenant=tenant.name,
                namespace=tenant.namespace,
                name=role.cluster_name if role is not None else database.name,
                replication_lag_seconds=lag,
                backup_interval_seconds=interval,
            )
        )
    return out


@dataclass(frozen=True)
class TenantMonitoringArgs:
    """One tenant's monitoring at one site."""

    tenant: Tenant
    ctx: SiteContext
    observability: Observability
    facts: SiteFacts
    endpoints: Sequence[MonitoredEndpoint] = field(default_factory=tuple)
    databases: Sequence[MonitoredDatabase] = field(default_factory=tuple)

    def groups(self) -> list[dict[str, Any]]:
        return alerts.tenant_groups(self.tenant.name, self.endpoints, self.databases, self.facts)


class TenantMonitoring(pulumi.ComponentResource):
    """A tenant's scrape targets, alert rules and dashboard at one site."""

    def __init__(
        self, name: str, args: TenantMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TENANT_MONITORING_TYPE, name, None, opts)
        tenant, ctx, observability = args.tenant, args.ctx, args.observability
        child = pulumi.ResourceOptions(parent=self)
        base = monitoring_labels(ctx, observability, **{TENANT_LABEL: tenant.name})
        self.scraped: list[str] = []
        for endpoint in args.endpoints:
            selector = {TENANT_LABEL: tenant.name, ENDPOINT_LABEL: endpoint.name}
            monitoring_object(
                f"{name}-{endpoint.name}-scrape",
                "PodMonitor",
                {
                    "name": endpoint.name,
                    "namespace": tenant.namespace,
                    "labels": {**base, ENDPOINT_LABEL: endpoint.name},
                },
                objects.serving_pod_monitor_spec(selector, endpoint.backend),
                child,
            )
            self.scraped.append(endpoint.name)
        groups = args.groups()
        self.alerts = sorted({r["alert"] for g in groups for r in g["rules"]})
        if groups:
            monitoring_object(
                f"{name}-alerts",
                "PrometheusRule",
                {"name": f"paif-{tenant.name}", "namespace": tenant.namespace, "labels": base},
                {"groups": groups},
                child,
            )
        if args.endpoints:
            dashboard = dashboards.tenant_dashboard(ctx.site.name, tenant.name, args.endpoints)
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard",
                metadata={
                    "name": f"paif-{tenant.name}-dashboard",
                    "namespace": observability.dashboard_namespace,
                    "labels": {**base, dashboards.DASHBOARD_LABEL: "1"},
                    "annotations": {
                        dashboards.FOLDER_ANNOTATION: f"{observability.grafana.folder}",
                        **target_annotations(),
                    },
                },
                data={f"paif-{tenant.name}.json": dashboards.dashboard_json(dashboard)},
                opts=child,
            )
        self.register_outputs({"scraped": list(self.scraped), "alerts": list(self.alerts)})
