"""Who may do what in a tenant's Supervisor namespace: the roles its OIDC groups get (§9.6.2).

§9.6.2 identity asks for OIDC authentication and RBAC. The tenant declares three kinds of
groups (``oidcGroups.admin``/``edit``/``view``); ``tenants[].roles`` says which roles they are
bound to:

- ``builtin`` (the default outside production): Kubernetes' own ``admin``/``edit``/``view``
  ClusterRoles, bound per namespace. People change workloads by hand, as dev and staging expect.
- ``scoped`` (the default in production): a ``Role`` per group kind that the library writes
  out rule by rule. In production every change goes through the stack (pull request, policy
  gate, ``pulumi up``), so people get what investigating and operating need and nothing that
  makes the namespace drift from its code: no write on workloads, ConfigMaps, Services or
  network policies, no Secrets, no exec/attach, no RBAC changes. ``view`` reads every kind the
  library puts in the namespace (its roles and bindings, DSM's DatabaseConfigs included)
  but Secrets; ``edit`` also reads container logs (they may carry prompts and personal data,
  §9.6.3); ``admin`` also evicts a pod, the one restart that honours PodDisruptionBudgets and
  leaves no drift. PAIF-SEC-011 holds production namespaces to this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from paif_components.config.models import Tenant

GroupKind = Literal["admin", "edit", "view"]
GROUP_KINDS: Final[tuple[GroupKind, ...]] = ("admin", "edit", "view")
RBAC_API_GROUP: Final = "rbac.authorization.k8s.io"

# §9.6.2 identity: OIDC group kinds -> Kubernetes built-in user-facing ClusterRoles.
BUILTIN_ROLE_FOR_GROUP_KIND: Final[dict[GroupKind, str]] = {
    "admin": "admin",
    "edit": "edit",
    "view": "view",
}

READ_VERBS: Final = ("get", "list", "watch")

# What a tenant namespace holds, by API group: the workloads and their fences, who may do what
# there, and the custom resources the library creates there (PAIS, NIM, DSM, VKS, KEDA, NSX,
# VM Operator, prometheus-operator). Every kind the library renders into a tenant namespace is
# here or in NOT_READABLE (a test derives the kinds from the plan).
READABLE: Final[dict[str, tuple[str, ...]]] = {
    "": (
        "configmaps",
        "endpoints",
        "events",
        "limitranges",
        "persistentvolumeclaims",
        "pods",
        "replicationcontrollers",
        "resourcequotas",
        "serviceaccounts",
        "services",
    ),
    "apps": ("daemonsets", "deployments", "replicasets", "statefulsets"),
    "apps.nvidia.com": ("nimservices",),
    "autoscaling": ("horizontalpodautoscalers",),
    "batch": ("cronjobs", "jobs"),
    "cluster.x-k8s.io": ("clusters", "machinedeployments", "machines"),
    "crd.nsx.vmware.com": ("securitypolicies",),
    "databases.dataservices.vmware.com": ("databaseconfigs", "postgresclusters"),
    "discovery.k8s.io": ("endpointslices",),
    "events.k8s.io": ("events",),
    "keda.sh": ("scaledobjects",),
    "monitoring.coreos.com": ("podmonitors", "probes", "prometheusrules", "servicemonitors"),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    "pais.vmware.com": ("modelendpoints", "paisconfigurations"),
    "policy": ("poddisruptionbudgets",),
    "rbac.authorization.k8s.io": ("rolebindings", "roles"),
    "vmoperator.vmware.com": ("virtualmachineclasses", "virtualmachines"),
}


# Kinds the library renders into a tenant namespace that people do not read, and why.
NOT_READABLE: Final[dict[tuple[str, str], str]] = {
    ("", "secrets"): "reading one is reading the credential (database, registry, API keys)",
}


def _read_rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [group], "resources": list(resources), "verbs": list(READ_VERBS)}
        for group, resources in READABLE.items()
    ]


LOG_RULE: Final[Mapping[str, Any]] = {
    "apiGroups": [""],
    "resources": ["pods/log"],
    "verbs": ["get"],
}
EVICT_RULE: Final[Mapping[str, Any]] = {
    "apiGroups": [""],
    "resources": ["pods/eviction"],
    "verbs": ["create"],
}


def scoped_role_rules(kind: GroupKind) -> list[dict[str, Any]]:
    """The rules of the ``scoped`` Role a group kind is bound to (see the module docstring)."""
    rules = _read_rules()
    if kind in ("edit", "admin"):
        rules.append(dict(LOG_RULE))
    if kind == "admin":
        rules.append(dict(EVICT_RULE))
    return rules


def role_mode(tenant: Tenant, is_production: bool) -> Literal["scoped", "builtin"]:
    """``tenants[].roles``, or the environment's default when it is not set."""
    if tenant.roles is not None:
        return tenant.roles
    return "scoped" if is_production else "builtin"


def scoped_role_name(tenant: Tenant, kind: GroupKind) -> str:
    return f"{tenant.name}-{kind}"


def role_ref(tenant: Tenant, kind: GroupKind, scoped: bool) -> dict[str, str]:
    """The ``roleRef`` of the binding of ``kind``'s groups (``scoped``: see ``role_mode``)."""
    if scoped:
        return {"apiGroup": RBAC_API_GROUP, "kind": "Role", "name": scoped_role_name(tenant, kind)}
    return {
        "apiGroup": RBAC_API_GROUP,
        "kind": "ClusterRole",
        "name": BUILTIN_ROLE_FOR_GROUP_KIND[kind],
    }


def group_subjects(groups: list[str], prefix: str) -> list[dict[str, str]]:
    return [{"apiGroup": RBAC_API_GROUP, "kind": "Group", "name": f"{prefix}{g}"} for g in groups]
