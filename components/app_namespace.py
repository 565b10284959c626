"""Tenancy of the namespace a tenant's apps run in, inside one of its VKS clusters (§9.4, §9.6.1).

A VKS cluster is a Kubernetes API of its own: the quota, limits and network policies of the
tenant's Supervisor namespace (``paif_components.tenant_namespace``) say nothing about it. So every
namespace the library creates in a VKS cluster gets, from ``tenants[].appNamespace``:

- a ``ResourceQuota`` with the §9.4.3 keys (default: the tenant's own ``quota``);
- a ``LimitRange`` with container defaults and bounds (``paif_components.container_limits``);
- a default-deny ``NetworkPolicy`` and the allowed flows, by app role (an app with
  ``expose: true`` is a *frontend*, every other app a *backend*):

  - DNS (53/UDP, 53/TCP) out to the cluster's DNS pods in ``kube-system``;
  - the ingress controller's namespace → frontends, on their ports;
  - frontends → backends, on the backends' ports;
  - backends → the tenant's AI endpoints and databases (``serviceCidrs``, any address when
    none is given) on ``aiPorts`` and ``databasePorts`` only.

PAIF-MT-001 and PAIF-MT-002 check these per target cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from paif_components.config.models import App, ContainerLimits, Quota, Tenant
from paif_components.config.units import parse_quantity
from paif_components.errors import ComponentInputError
from paif_components.tenant_namespace import DNS_PORT, quota_hard_of
from paif_components.vks_cluster import TIER_LABEL

APP_ROLE_LABEL: Final = "paif.vmware.com/app-role"
FRONTEND: Final = "frontend"
BACKEND: Final = "backend"
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
# Where a VKS cluster's CoreDNS runs, and its pods' label.
DNS_NAMESPACE: Final = "kube-system"
DNS_POD_LABELS: Final[dict[str, str]] = {"k8s-app": "kube-dns"}
ANY_IPV4: Final = "0.0.0.0/0"
# A rolling update adds this many pods above the desired count (tenant_apps' maxSurge).
ROLLOUT_SURGE: Final = 1
_GI: Final = 2**30


def app_role(app: App) -> str:
    """``frontend`` for an app published through the ingress, ``backend`` otherwise."""
    return FRONTEND if app.expose else BACKEND


def app_quota(tenant: Tenant) -> Quota:
    """The quota of the tenant's app namespaces: its own, or the tenant's Supervisor quota."""
    return tenant.app_namespace.quota or tenant.quota


def quota_config_path(tenant: Tenant) -> str:
    return "appNamespace.quota" if tenant.app_namespace.quota is not None else "quota"


def resource_quota_spec(tenant: Tenant) -> dict[str, Any]:
    return {"hard": quota_hard_of(app_quota(tenant))}


def _role(role: str) -> dict[str, Any]:
    return {"matchLabels": {TIER_LABEL: "app", APP_ROLE_LABEL: role}}


def _namespace(name: str) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_NAME_LABEL: name}}


def _ports(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": int(p)} for p in sorted(set(ports))]


def network_policies(tenant: Tenant, apps: Sequence[App]) -> list[dict[str, Any]]:
    """Name and spec of each NetworkPolicy of an app namespace, default-deny first."""
    config = tenant.app_namespace
    frontends = [a for a in apps if app_role(a) == FRONTEND]
    backends = [a for a in apps if app_role(a) == BACKEND]
    policies: list[dict[str, Any]] = [
        {"name": "default-deny", "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        {
            "name": "allow-dns",
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": _namespace(DNS_NAMESPACE),
                                "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
                            }
                        ],
                        "ports": [
                            {"protocol": "UDP", "port": DNS_PORT},
                            {"protocol": "TCP", "port": DNS_PORT},
                        ],
                    }
                ],
            },
        },
    ]
    if frontends:
        ingress_namespace = config.ingress_controller_namespace
        policies.append(
            {
                "name": "allow-ingress-to-frontend",
                "spec": {
                    "podSelector": _role(FRONTEND),
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": _namespace(ingress_namespace)}],
                            "ports": _ports([a.port for a in frontends]),
                        }
                    ],
                },
            }
        )
    if frontends and backends:
        backend_ports = _ports([a.port for a in backends])
        policies.append(
            {
                "name": "allow-frontend-to-backend",
                "spec": {
                    "podSelector": _role(FRONTEND),
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"podSelector": _role(BACKEND)}], "ports": backend_ports}],
                },
            }
        )
        policies.append(
            {
                "name": "allow-backend-from-frontend",
                "spec": {
                    "podSelector": _role(BACKEND),
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {"from": [{"podSelector": _role(FRONTEND)}], "ports": backend_ports}
                    ],
                },
            }
        )
    if backends:
        cidrs = list(config.service_cidrs) or [ANY_IPV4]
        policies.append(
            {
                "name": "allow-backend-to-services",
                "spec": {
                    "podSelector": _role(BACKEND),
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": c}} for c in cidrs],
                            "ports": _ports([*config.ai_ports, *config.database_ports]),
                        }
                    ],
                },
            }
        )
    return policies


def _effective(app: App, what: str, limits: ContainerLimits) -> tuple[float, float]:
    """(request, limit) a container of ``app`` gets once the LimitRange filled in defaults."""
    request = getattr(app, f"requests_{what}")
    limit = getattr(app, f"limits_{what}")
    default_limit = getattr(limits, f"default_{what}")
    default_request = getattr(limits, f"default_request_{what}")
    limit_value = parse_quantity(limit if limit is not None else default_limit)
    if request is not None:
        request_value = parse_quantity(request)
    elif limit is not None:
        request_value = limit_value  # Kubernetes: an unset request defaults to the limit
    else:
        request_value = parse_quantity(default_request)
    return request_value, limit_value


def _amount(value: float, what: str) -> str:
    if what == "memory":
        return f"{value / _GI:g}Gi"
    return f"{value:g}"


def check_apps_fit(tenant: Tenant, cluster: str, apps: Sequence[tuple[int, App]]) -> None:
    """Refuse apps the namespace's quota or limits could never admit at full rollout."""
    subject = f"tenant '{tenant.name}'"
    limits = tenant.app_namespace.limits
    for i, app in apps:
        for what, minimum in (("cpu", limits.min_cpu), ("memory", limits.min_memory)):
            request, _ = _effective(app, what, limits)
            if request < parse_quantity(minimum):
                # An unset request is the limit (the namespace's defaults are above the floor).
                field = "requests" if getattr(app, f"requests_{what}") is not None else "limits"
                raise ComponentInputError(
                    subject,
                    f"apps[{i}].{field}{what.capitalize()}",
                    f"{getattr(app, f'{field}_{what}')} is below the namespace's container "
                    f"minimum {minimum} (appNamespace.limits.min{what.capitalize()}); a lost "
                    "unit?",
                )
        for what, maximum in (("cpu", limits.max_cpu), ("memory", limits.max_memory)):
            _, limit = _effective(app, what, limits)
            if maximum is not None and limit > parse_quantity(maximum):
                raise ComponentInputError(
                    subject,
                    f"apps[{i}].limits{what.capitalize()}",
                    f"{_amount(limit, what)} is above the namespace's container maximum "
                    f"{maximum} (appNamespace.limits.max{what.capitalize()})",
                )
    quota, path = app_quota(tenant), quota_config_path(tenant)
    pods = sum(app.ceiling + ROLLOUT_SURGE for _, app in apps)
    if pods > quota.pods:
        raise ComponentInputError(
            subject,
            f"{path}.pods",
            f"{quota.pods} is below the {pods} pods the apps in VKS cluster '{cluster}' run "
            f"during a rolling update (replicas, or autoscaling.maxReplicas, + {ROLLOUT_SURGE} "
            "each)",
        )
    if len(apps) > quota.services:
        raise ComponentInputError(
            subject,
            f"{path}.services",
            f"{quota.services} is below the {len(apps)} Services of the apps in VKS cluster "
            f"'{cluster}'",
        )
    for what in ("cpu", "memory"):
        needed = [0.0, 0.0]
        for _, app in apps:
            request, limit = _effective(app, what, limits)
            needed[0] += request * (app.ceiling + ROLLOUT_SURGE)
            needed[1] += limit * (app.ceiling + ROLLOUT_SURGE)
        for index, kind in enumerate(("requests", "limits")):
            key = f"{kind}{what.capitalize()}"
            have = getattr(quota, f"{kind}_{what}")
            if parse_quantity(have) < needed[index]:
                raise ComponentInputError(
                    subject,
                    f"{path}.{key}",
                    f"{have} is below the {_amount(needed[index], what)} the apps in VKS "
                    f"cluster '{cluster}' need during a rolling update",
                )
