"""Monitoring as code (§9.7) for the site: what it declares for Prometheus, Alertmanager and
Grafana beside the tenants' own monitoring.

``SiteMonitoring`` (in the Prometheus namespace): the DCGM exporter ``ServiceMonitor`` (the KEDA
GPU trigger's metric source), the ingress ``Probe``, the site's ``PrometheusRule`` (Harbor
replication, certificate, audit shipping, watchdog), the ``AlertmanagerConfig`` that routes the
site's alerts to its receiver, and, when ``paif:observability.prometheus.deploy`` is set, the
``Prometheus`` and ``Alertmanager`` themselves with their service account.

The tenants' monitoring is :mod:`paif_components.tenant_monitoring`'s.

Endpoints that do not run here (a pilot-light DR site) are neither scraped nor alerted on: their
"down" would be the design. Rendering is in ``paif_components.observability``; this module only
decides what applies and registers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.config.models import StackConfig
from paif_components.config.models.observability import Observability
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.dr.topology import DerivedSite
from paif_components.errors import ComponentInputError
from paif_components.observability import alerts, objects
from paif_components.observability.alerts import SiteFacts
from paif_components.validation import validate_unless_done

SITE_MONITORING_TYPE: Final = tokens.PAIF_SITE_MONITORING


MONITORING_API_VERSION: Final = objects.MONITORING_API_VERSION


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


def monitoring_labels(
    ctx: SiteContext, observability: Observability, **extra: str
) -> dict[str, str]:
    return {
        **ctx.labels,
        **objects.selector_labels(observability, ctx.site.name),
        **extra,
    }


def monitoring_object(
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


class SiteMonitoring(pulumi.ComponentResource):
    """The site's GPU scraping, ingress probe, platform alerts, routing and (declared)
    Prometheus and Alertmanager."""

    def __init__(
        self, name: str, args: SiteMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_site_monitoring, args)
        super().__init__(SITE_MONITORING_TYPE, name, None, opts)
        ctx, observability, facts = args.ctx, args.observability, args.facts
        site, namespace = ctx.site.name, observability.namespace
        labels = monitoring_labels(ctx, observability)

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
        monitoring_object(
            f"{name}-dcgm",
            "ServiceMonitor",
            meta("nvidia-dcgm-exporter"),
            objects.dcgm_service_monitor_spec(observability),
            ordered,
        )
        if facts.ingress_fqdn:
            monitoring_object(
                f"{name}-ingress-probe",
                "Probe",
                meta(f"{site}-ingress"),
                objects.ingress_probe_spec(observability, facts.ingress_fqdn),
                ordered,
            )
        monitoring_object(
            f"{name}-alerts",
            "PrometheusRule",
            meta(f"paif-{site}"),
            {"groups": args.groups()},
            ordered,
        )
        if observability.receiver is not None:
            monitoring_object(
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
        alertmanager = monitoring_object(
            f"{name}-alertmanager",
            "Alertmanager",
            meta(objects.DECLARED_NAME),
            objects.declared_alertmanager_spec(observability, site),
            pulumi.ResourceOptions(parent=self),
        )
        prometheus = monitoring_object(
            f"{name}-prometheus",
            "Prometheus",
            meta(objects.DECLARED_NAME),
            objects.declared_prometheus_spec(observability, site),
            pulumi.ResourceOptions(parent=self, depends_on=[binding, alertmanager]),
        )
        return [prometheus]
