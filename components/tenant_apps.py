"""A tenant's application workloads inside one of its VKS clusters (§9.2.4, §9.7.1 app).

Everything goes into one application namespace of the workload cluster (default: the tenant's
namespace name), created here with Pod Security ``restricted`` enforced and fenced like a
Supervisor namespace, but in the cluster's own API (``paif_components.app_namespace``): a
``ResourceQuota``, a ``LimitRange`` and a default-deny ``NetworkPolicy`` with the allowed flows.

For every ``Tenant.apps`` entry that names this cluster:

- a ``ServiceAccount`` of its own, whose token is mounted only if the app asks for API access;
- a ``Deployment`` with the configured replicas, liveness and readiness probes, resource
  requests/limits, ``imagePullPolicy: IfNotPresent`` (§9.5.3: cache images on nodes), a
  rolling update that never drops below the desired count, a topology spread of one replica
  per node (``kubernetes.io/hostname``, ``DoNotSchedule``) so a node failure takes at most one
  replica (§9.2: VKS ReplicaSet layer), and a hardened pod (``paif_components.pod_security``);
- a ``ClusterIP`` ``Service``; an app with ``expose: true`` is published by an ``Ingress`` that
  serves its host over TLS only, with the certificate Secret named in config (§9.6.1: TLS on
  all external traffic), never by a plain ``LoadBalancer`` Service;
- a ``PodDisruptionBudget`` (``maxUnavailable: 1``) when replicas ≥ 2, so drains and upgrades
  keep the rest serving;
- for an app that consumes anything (``apps[].consumes``): its wiring ConfigMap and its
  credentials Secret, read by ``env`` entries that are all ``valueFrom`` references
  (``paif_components.app_wiring``);
- with ``autoscaling``: a ``HorizontalPodAutoscaler`` (autoscaling/v2) from ``replicas`` to
  ``maxReplicas`` on CPU and, optionally, each pod's request rate (§9.5.1), pacing both ways as
  ``paif_components.autoscaling`` does; the Deployment then leaves ``spec.replicas`` to it.

Pods carry ``paif.vmware.com/tier: app`` (the tier convention of
``paif_components.tenant_namespace``) and ``paif.vmware.com/app-role`` (frontend or backend). Every
object is annotated with its target, the VKS cluster's name. The workload cluster's provider
comes through opts (``providers={"kubernetes": VksCluster.provider}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

import pulumi
import pulumi_kubernetes as k8s

from paif_components.app_namespace import (
    APP_ROLE_LABEL,
    app_quota,
    app_role,
    check_apps_fit,
    network_policies,
    resource_quota_spec,
)
from paif_components.app_wiring import CREDENTIALS_VOLUME, Wiring, app_wiring
from paif_components.autoscaling import app_hpa_spec
from paif_components.config.models import App, Probe, Tenant
from paif_components.config.units import parse_quantity
from paif_components.constants import APP_MIN_REPLICAS, IMAGE_PULL_POLICY
from paif_components.container_limits import limit_range_spec
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import SOURCES_ANNOTATION, TENANT_LABEL
from paif_components.errors import ComponentInputError
from paif_components.pod_security import PodHardening, pod_security_labels
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import TIER_LABEL

TENANT_APPS_TYPE: Final = tokens.PAIF_TENANT_APPS
APP_TIER: Final = "app"
NAME_LABEL: Final = "app.kubernetes.io/name"
INSTANCE_LABEL: Final = "app.kubernetes.io/instance"
PART_OF_LABEL: Final = "app.kubernetes.io/part-of"
HOSTNAME_TOPOLOGY_KEY: Final = "kubernetes.io/hostname"
# Contour: answer plain HTTP on the Ingress's host with a redirect to HTTPS, never content.
FORCE_TLS_ANNOTATION: Final = "ingress.kubernetes.io/force-ssl-redirect"
# Probes: first check after the app had time to start, then every 10 s (kubelet default period).
LIVENESS_INITIAL_DELAY_SECONDS: Final = 15
READINESS_INITIAL_DELAY_SECONDS: Final = 5
PROBE_PERIOD_SECONDS: Final = 10
HTTP_PORT_NAME: Final = "http"


@dataclass(frozen=True)
class TenantAppsArgs:
    """The apps of ``tenant`` that run in VKS cluster ``cluster``."""

    tenant: Tenant
    cluster: str
    ctx: SiteContext
    app_namespace: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    # Where the apps reach the ML API gateway (paif:network.gatewayUrl, else the site's entry).
    gateway_url: str | None = None
    # Per app, the base64 value of each key of its credentials Secret (Pulumi secrets read
    # from the Supervisor or the stack's config; paif_components.tenant.PaifTenant supplies them).
    credentials: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    # Per database, its host as DSM reports it (None until it does).
    database_hosts: Mapping[str, pulumi.Input[str | None]] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.app_namespace or self.tenant.namespace

    def apps(self) -> list[tuple[int, App]]:
        """(index in the tenant's config, app) of the apps in this cluster."""
        return [(i, a) for i, a in enumerate(self.tenant.apps) if a.cluster == self.cluster]

    def wiring(self, app: App) -> Wiring:
        return app_wiring(self.tenant, app, self.gateway_url)


def validate_tenant_apps(args: TenantAppsArgs, *, credentials: bool = True) -> None:
    """Reject apps Kubernetes would refuse or that could never schedule; with
    ``credentials``, also apps whose credential values were not supplied (PaifTenant validates
    before it has read them, and supplies every one)."""
    tenant = args.tenant
    subject = f"tenant '{tenant.name}'"
    if args.cluster not in {c.name for c in tenant.vks_clusters}:
        known = ", ".join(sorted(c.name for c in tenant.vks_clusters)) or "none declared"
        raise ComponentInputError(
            subject, "vksClusters", f"has no VKS cluster '{args.cluster}' ({known})"
        )
    for i, app in args.apps():
        for what, request, limit in (
            ("Cpu", app.requests_cpu, app.limits_cpu),
            ("Memory", app.requests_memory, app.limits_memory),
        ):
            if (
                request is not None
                and limit is not None
                and parse_quantity(limit) < parse_quantity(request)
            ):
                raise ComponentInputError(
                    subject, f"apps[{i}].limits{what}", f"{limit} is below requests{what} {request}"
                )
    check_apps_fit(tenant, args.cluster, args.apps())
    for i, app in args.apps() if credentials else ():
        needed = [c.key for c in args.wiring(app).credentials]
        missing = [k for k in needed if k not in args.credentials.get(app.name, {})]
        if missing:
            raise ComponentInputError(
                subject,
                f"apps[{i}].consumes",
                f"no value was supplied for credential(s) {', '.join(missing)} "
                "(TenantAppsArgs.credentials; PaifTenant reads them from the Supervisor and "
                "the stack's secrets)",
            )


def app_labels(tenant: Tenant, app: App) -> dict[str, str]:
    """The selector labels of one app's pods."""
    return {NAME_LABEL: app.name, INSTANCE_LABEL: f"{tenant.name}-{app.name}"}


def _probe(probe: Probe | None, port: int, delay: int) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "httpGet": {"path": probe.path, "port": probe.port or port},
        "initialDelaySeconds": delay,
        "periodSeconds": PROBE_PERIOD_SECONDS,
    }


def _resources(app: App) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    requests = {"cpu": app.requests_cpu, "memory": app.requests_memory}
    limits = {"cpu": app.limits_cpu, "memory": app.limits_memory}
    for key, values in (("requests", requests), ("limits", limits)):
        present = {k: v for k, v in values.items() if v is not None}
        if present:
            out[key] = present
    return out


def hardening(app: App) -> PodHardening:
    """How the app's pods run (paif_components.pod_security)."""
    return PodHardening(
        run_as_user=app.run_as_user,
        run_as_group=app.run_as_group,
        writable_paths=tuple(app.writable_paths),
        api_access=app.api_access,
    )


def render_deployment(args: TenantAppsArgs, app: App) -> dict[str, Any]:
    """spec of the app's Deployment."""
    selector = app_labels(args.tenant, app)
    wiring = args.wiring(app)
    container: dict[str, Any] = {
        "name": app.name,
        "image": app.image,
        "imagePullPolicy": IMAGE_PULL_POLICY,
        "ports": [{"name": HTTP_PORT_NAME, "containerPort": app.port, "protocol": "TCP"}],
        "resources": _resources(app),
    }
    if wiring.wired:
        container["env"] = [dict(e) for e in wiring.env]
    liveness = _probe(app.liveness, app.port, LIVENESS_INITIAL_DELAY_SECONDS)
    readiness = _probe(app.readiness, app.port, READINESS_INITIAL_DELAY_SECONDS)
    if liveness:
        container["livenessProbe"] = liveness
    if readiness:
        container["readinessProbe"] = readiness
    pod_spec: dict[str, Any] = {
        "serviceAccountName": app.name,
        "containers": [container],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": HOSTNAME_TOPOLOGY_KEY,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": dict(selector)},
            }
        ],
    }
    if args.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": s} for s in args.image_pull_secrets]
    if wiring.credentials and app.consumes.secret_files:
        # Read-only, readable by the pod's own user only (0400; fsGroup owns it).
        pod_spec["volumes"] = [
            {
                "name": CREDENTIALS_VOLUME,
                "secret": {"secretName": wiring.secret_name, "defaultMode": 0o400},
            }
        ]
        container["volumeMounts"] = [
            {
                "name": CREDENTIALS_VOLUME,
                "mountPath": app.consumes.secret_files,
                "readOnly": True,
            }
        ]
    return {
        "replicas": int(app.replicas),
        "selector": {"matchLabels": dict(selector)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        },
        "template": {
            "metadata": {"labels": _pod_labels(args, app)},
            "spec": hardening(app).harden(pod_spec),
        },
    }


def _pod_labels(args: TenantAppsArgs, app: App) -> dict[str, str]:
    return {
        **app_labels(args.tenant, app),
        PART_OF_LABEL: args.tenant.name,
        TIER_LABEL: APP_TIER,
        APP_ROLE_LABEL: app_role(app),
        TENANT_LABEL: args.tenant.name,
    }


def render_service(args: TenantAppsArgs, app: App) -> dict[str, Any]:
    """spec of the app's Service: reachable inside the cluster only; the Ingress publishes it."""
    return {
        "type": "ClusterIP",
        "selector": app_labels(args.tenant, app),
        "ports": [
            {
                "name": HTTP_PORT_NAME,
                "port": app.port,
                "targetPort": HTTP_PORT_NAME,
                "protocol": "TCP",
            }
        ],
    }


def render_ingress(app: App) -> dict[str, Any]:
    """spec of an exposed app's Ingress: its host over TLS with the named certificate."""
    ingress = app.ingress
    if ingress is None:  # the config model requires it for expose: true
        raise ValueError(f"app '{app.name}' is exposed without an ingress")
    return {
        "ingressClassName": ingress.class_name,
        "tls": [{"hosts": [ingress.host], "secretName": ingress.tls_secret}],
        "rules": [
            {
                "host": ingress.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": app.name, "port": {"name": HTTP_PORT_NAME}}
                            },
                        }
                    ]
                },
            }
        ],
    }


class TenantApps(pulumi.ComponentResource):
    """The Deployments, Services and disruption budgets of a tenant's apps in one cluster."""

    cluster: str
    namespace: str
    app_names: tuple[str, ...]
    exposed: tuple[str, ...]
    wired: tuple[str, ...]
    services: dict[str, k8s.core.v1.Service]

    def __init__(
        self, name: str, args: TenantAppsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_tenant_apps, args)
        super().__init__(TENANT_APPS_TYPE, name, None, opts)
        ctx, tenant = args.ctx, args.tenant
        apps = [app for _, app in args.apps()]
        self.cluster = args.cluster
        self.namespace = args.namespace
        self.app_names = tuple(a.name for a in apps)
        self.exposed = tuple(a.name for a in apps if a.expose)
        self.wired = tuple(a.name for a in apps if args.wiring(a).wired)
        self.services = {}
        base_labels = {**ctx.labels, TENANT_LABEL: tenant.name}
        target = target_annotations(args.cluster)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {**base_labels, **pod_security_labels()},
                "annotations": dict(target),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        def namespaced(object_name: str) -> dict[str, Any]:
            return {
                "name": object_name,
                "namespace": args.namespace,
                "labels": dict(base_labels),
                "annotations": dict(target),
            }

        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=namespaced(f"{tenant.name}-apps-quota"),
            spec=resource_quota_spec(tenant),
            opts=child,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=namespaced(f"{tenant.name}-apps-limits"),
            spec=limit_range_spec(tenant.app_namespace.limits, app_quota(tenant)),
            opts=child,
        )
        for policy in network_policies(tenant, apps):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy['name']}",
                metadata=namespaced(policy["name"]),
                spec=policy["spec"],
                opts=child,
            )
        for app in apps:
            labels = {**base_labels, **_pod_labels(args, app)}

            def meta(
                app: App = app, labels: dict[str, str] = labels, **annotations: str
            ) -> dict[str, Any]:
                return {
                    "name": app.name,
                    "namespace": args.namespace,
                    "labels": dict(labels),
                    "annotations": {**target, **annotations},
                }

            account = k8s.core.v1.ServiceAccount(
                f"{name}-{app.name}-account",
                metadata=meta(),
                automount_service_account_token=app.api_access,
                opts=child,
            )
            wired = self._wiring(name, args, app, labels, target, child)
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{app.name}",
                metadata=meta(
                    **cast(
                        dict[str, Any],
                        {
                            **hardening(app).annotations(),
                            **args.wiring(app).deployment_annotations(),
                        },
                    )
                ),
                spec=render_deployment(args, app),
                # The autoscaler owns the replica count; `pulumi up` must not reset it.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[namespace, account, *wired],
                    ignore_changes=["spec.replicas"] if app.autoscaling else None,
                ),
            )
            if app.autoscaling is not None:
                k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    f"{name}-{app.name}-autoscaler",
                    metadata=meta(),
                    spec=app_hpa_spec(app),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, deployment]),
                )
            service = k8s.core.v1.Service(
                f"{name}-{app.name}-service",
                metadata=meta(),
                spec=render_service(args, app),
                opts=child,
            )
            self.services[app.name] = service
            if app.expose:
                k8s.networking.v1.Ingress(
                    f"{name}-{app.name}-ingress",
                    metadata=meta(**cast(dict[str, Any], {FORCE_TLS_ANNOTATION: "true"})),
                    spec=render_ingress(app),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, service]),
                )
            if app.replicas >= APP_MIN_REPLICAS:
                k8s.policy.v1.PodDisruptionBudget(
                    f"{name}-{app.name}-pdb",
                    metadata=meta(),
                    spec={
                        "maxUnavailable": 1,
                        "selector": {"matchLabels": app_labels(tenant, app)},
                    },
                    opts=child,
                )
        self.register_outputs(
            {
                "wired": list(self.wired),
                "cluster": self.cluster,
                "namespace": self.namespace,
                "apps": list(self.app_names),
                "exposed": list(self.exposed),
            }
        )

    def _wiring(
        self,
        name: str,
        args: TenantAppsArgs,
        app: App,
        labels: Mapping[str, str],
        target: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> list[pulumi.Resource]:
        """The app's wiring ConfigMap and credentials Secret (nothing for an unwired app)."""
        wiring = args.wiring(app)
        if not wiring.wired:
            return []
        created: list[pulumi.Resource] = []
        data: pulumi.Input[dict[str, str]] = dict(wiring.config)
        if wiring.host_key is not None and wiring.database is not None:
            host = args.database_hosts.get(wiring.database)
            known, key = dict(wiring.config), wiring.host_key
            data = pulumi.Output.from_input(host).apply(
                # Until DSM reports the host the key is absent: the container then refuses to
                # start (a missing configMapKeyRef key) instead of starting with no host.
                lambda h: {**known, key: str(h)} if h else known
            )
        created.append(
            k8s.core.v1.ConfigMap(
                f"{name}-{app.name}-wiring",
                metadata={
                    "name": wiring.config_map_name,
                    "namespace": args.namespace,
                    "labels": dict(labels),
                    "annotations": dict(target),
                },
                data=data,
                opts=opts,
            )
        )
        if wiring.credentials:
            values = args.credentials[app.name]
            created.append(
                k8s.core.v1.Secret(
                    f"{name}-{app.name}-credentials",
                    metadata={
                        "name": wiring.secret_name,
                        "namespace": args.namespace,
                        "labels": dict(labels),
                        "annotations": {
                            **target,
                            SOURCES_ANNOTATION: wiring.sources_annotation(),
                        },
                    },
                    type="Opaque",
                    data={c.key: pulumi.Output.secret(values[c.key]) for c in wiring.credentials},
                    opts=opts,
                )
            )
        return created
