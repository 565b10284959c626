"""Monitoring as code (§9.7): what each site and tenant declares for Prometheus and Grafana.

``SiteMonitoring`` (in the Prometheus namespace): the DCGM exporter ``ServiceMonitor`` (the KEDA
GPU trigger's metric source), the ingress ``Probe``, the site's ``PrometheusRule`` (Harbor
replication, certificate, audit shipping, watchdog), the ``AlertmanagerConfig`` that routes the
site's alerts to its receiver, and, when ``paif:observability.prometheus.deploy`` is set, the
``Prometheus`` and ``Alertmanager`` themselves with their service account.

``TenantMonitoring`` (in the tenant's namespace): a ``PodMonitor`` per running endpoint, the
tenant's ``PrometheusRule`` (endpoints and databases), and its Grafana dashboard ``ConfigMap``
(in the dashboard namespace, label ``grafana_dashboard: "1"``).

Endpoints that do not run here (a pilot-light DR site) are neither scraped nor alerted on: their
"down" would be the design. Rendering is in ``components.observability``; this module only
decides what applies and registers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components.config.models import StackConfig, Tenant
from components.config.observability import Observability
from components.context import SiteContext, target_annotations
from components.dr.topology import DatabaseMode, DerivedSite
from components.errors import ComponentInputError
from components.estimators import cron_interval_seconds
from components.model_endpoint import ENDPOINT_LABEL
from components.observability import alerts, dashboards, objects
from components.observability.alerts import MonitoredDatabase, MonitoredEndpoint, SiteFacts
from components.observability.thresholds import endpoint_thresholds, replication_lag_threshold
from components.vks_cluster import TENANT_LABEL

SITE_MONITORING_TYPE: Final = "paif:ops:SiteMonitoring"
TENANT_MONITORING_TYPE: Final = "paif:ops:TenantMonitoring"
MONITORING_API_VERSION: Final = objects.MONITORING_API_VERSION


# --- what applies (pure) --------------------------------------------------------------------


def site_facts(config: StackConfig, stack: str, derived: DerivedSite | None = None) -> SiteFacts:
    """The site-wide alert inputs of a stack's config (and its DR derivation)."""
    ingress = config.network.ingress
    return SiteFacts(
        site=config.site.name,
        stack=stack,
        runbook_base_url=config.observability.runbook_base_url,
        harbor_pushes=bool(derived is not None and derived.registry and derived.registry.outbound),
        ingress_fqdn=ingress.fqdn if ingress is not None else None,
        audit_enabled=config.security.audit.enabled,
    )


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


@dataclass(frozen=True)
class SiteMonitoringArgs:
    ctx: SiteContext
    observability: Observability
    facts: SiteFacts

    def groups(self) -> list[dict[str, Any]]:
        return alerts.site_groups(self.facts)


def validate_site_monitoring(args: SiteMonitoringArgs) -> None:
    """A declared Prometheus needs somewhere to send alerts."""
    observability = args.observability
    if observability.prometheus.deploy and observability.receiver is None:
        raise ComponentInputError(
            f"site '{args.ctx.site.name}'",
            "observability.receiver",
            "a Prometheus the stack declares (prometheus.deploy) sends alerts to the "
            "Alertmanager it declares; name where they go (slack, email or webhook)",
        )


def _labels(ctx: SiteContext, observability: Observability, **extra: str) -> dict[str, str]:
    return {
        **ctx.labels,
        **objects.selector_labels(observability, ctx.site.name),
        **extra,
    }


def _monitoring_object(
    resource_name: str,
    kind: str,
    metadata: dict[str, Any],
    spec: dict[str, Any],
    opts: pulumi.ResourceOptions,
    api_version: str = MONITORING_API_VERSION,
) -> k8s.apiextensions.CustomResource:
    annotated = {
        **metadata,
        "annotations": {**metadata.get("annotations", {}), **target_annotations()},
    }
    return k8s.apiextensions.CustomResource(
        resource_name, api_version=api_version, kind=kind, metadata=annotated, spec=spec, opts=opts
    )


# --- components -----------------------------------------------------------------------------


class TenantMonitoring(pulumi.ComponentResource):
    """A tenant's scrape targets, alert rules and dashboard at one site."""

    def __init__(
        self, name: str, args: TenantMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TENANT_MONITORING_TYPE, name, None, opts)
        tenant, ctx, observability = args.tenant, args.ctx, args.observability
        child = pulumi.ResourceOptions(parent=self)
        base = _labels(ctx, observability, **{TENANT_LABEL: tenant.name})
        self.scraped: list[str] = []
        for endpoint in args.endpoints:
            selector = {TENANT_LABEL: tenant.name, ENDPOINT_LABEL: endpoint.name}
            _monitoring_object(
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
            _monitoring_object(
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


class SiteMonitoring(pulumi.ComponentResource):
    """The site's GPU scraping, ingress probe, platform alerts, routing and (declared)
    Prometheus and Alertmanager."""

    def __init__(
        self, name: str, args: SiteMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_site_monitoring(args)
        super().__init__(SITE_MONITORING_TYPE, name, None, opts)
        ctx, observability, facts = args.ctx, args.observability, args.facts
        site, namespace = ctx.site.name, observability.namespace
        labels = _labels(ctx, observability)

        def meta(object_name: str) -> dict[str, Any]:
            return {
                "name": object_name,
                "namespace": namespace,
                "labels": dict(labels),
                "annotations": target_annotations(),
            }

        after: list[pulumi.Resource] = []
        if observability.prometheus.deploy:
            after = self._declare_prometheus(name, args, meta)
        ordered = pulumi.ResourceOptions(parent=self, depends_on=after)
        _monitoring_object(
            f"{name}-dcgm",
            "ServiceMonitor",
            meta("nvidia-dcgm-exporter"),
            objects.dcgm_service_monitor_spec(observability),
            ordered,
        )
        if facts.ingress_fqdn:
            _monitoring_object(
                f"{name}-ingress-probe",
                "Probe",
                meta(f"{site}-ingress"),
                objects.ingress_probe_spec(observability, facts.ingress_fqdn),
                ordered,
            )
        _monitoring_object(
            f"{name}-alerts",
            "PrometheusRule",
            meta(f"paif-{site}"),
            {"groups": args.groups()},
            ordered,
        )
        if observability.receiver is not None:
            _monitoring_object(
                f"{name}-receiver",
                "AlertmanagerConfig",
                meta(f"paif-{site}"),
                objects.alertmanager_config_spec(site, observability.receiver),
                ordered,
                api_version=objects.ALERTMANAGER_CONFIG_API_VERSION,
            )
        self.prometheus_url = observability.prometheus.resolved_url
        self.register_outputs({"prometheusUrl": self.prometheus_url, "namespace": namespace})

    def _declare_prometheus(
        self, name: str, args: SiteMonitoringArgs, meta: Any
    ) -> list[pulumi.Resource]:
        """Service account, RBAC, Prometheus and Alertmanager (prometheus.deploy)."""
        observability, site = args.observability, args.ctx.site.name
        child = pulumi.ResourceOptions(parent=self)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-prometheus-sa", metadata=meta(objects.DECLARED_NAME), opts=child
        )
        cluster_meta = {
            "name": f"paif-prometheus-{site}",
            "labels": dict(meta(objects.DECLARED_NAME)["labels"]),
            "annotations": target_annotations(),
        }
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-prometheus-role",
            metadata=cluster_meta,
            rules=objects.prometheus_cluster_role_rules(),
            opts=child,
        )
        binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-prometheus-binding",
            metadata=cluster_meta,
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": cluster_meta["name"],
            },
            subjects=[
                {
                    "kind": "ServiceAccount",
                    "name": objects.DECLARED_NAME,
                    "namespace": observability.namespace,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, role]),
        )
        alertmanager = _monitoring_object(
            f"{name}-alertmanager",
            "Alertmanager",
            meta(objects.DECLARED_NAME),
            objects.declared_alertmanager_spec(observability, site),
            pulumi.ResourceOptions(parent=self),
        )
        prometheus = _monitoring_object(
            f"{name}-prometheus",
            "Prometheus",
            meta(objects.DECLARED_NAME),
            objects.declared_prometheus_spec(observability, site),
            pulumi.ResourceOptions(parent=self, depends_on=[binding, alertmanager]),
        )
        return [prometheus]
