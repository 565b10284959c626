"""Identity and access rules (§9.6.2 identity: OIDC + RBAC): who signs in, and what people may
do in a tenant's namespaces.

Site props these rules read (``paif:site:PaifSite``), beyond the framework's:

``oidc``  ``{issuerUrl, clientId}`` or null (``paif:security.oidc``)

PAIF-SEC-011 judges the roles bound to people (``User`` and ``Group`` subjects; service
accounts have roles of their own purpose, such as Prometheus's read-only ClusterRole). A role
the stack does not declare (a built-in one, or one made elsewhere) is judged by its name alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from policies.framework import StackView, Violation, get_path, label, rule, target_of

RBAC_API: Final = "rbac.authorization.k8s.io/"
HUMAN_SUBJECT_KINDS: Final = frozenset({"User", "Group"})

# Users a cluster or vCenter ships with, or that people create as shared logins: a binding to
# one of them is a static admin account nobody can trace to a person (§9.6.2).
STATIC_ADMIN_USERS: Final = [
    "admin",
    "administrator",
    "root",
    "kubernetes-admin",
    "cluster-admin",
    "superuser",
]
# Kubernetes' built-in ClusterRoles that administer a namespace or the cluster.
ADMIN_ROLES: Final = frozenset({"cluster-admin", "admin"})


@rule(
    "PAIF-SEC-002",
    title="OIDC authentication configured; no static admin users",
    severity="high",
    section="§9.6.2",
    rationale="The ML API gateway and the namespaces trust tokens from the OIDC provider (VCF "
    "Automation); shared static admin accounts cannot be traced to a person, rotated with "
    "their leaving or protected by MFA.",
    remediation="Set paif:security.oidc (issuerUrl, clientId) and bind roles to OIDC groups "
    "(paif:tenants[].oidcGroups), never to users such as admin or root.",
    thresholds={"staticAdminUsers": STATIC_ADMIN_USERS},
)
def check_oidc(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    oidc = view.site.get("oidc")
    if view.is_production and not oidc:
        yield Violation(
            "no OIDC provider is configured (paif:security.oidc): the AI gateway and the "
            "namespaces have no single sign-on to check tokens against",
            view.site_urn,
        )
    elif oidc and not str(oidc.get("issuerUrl") or "").startswith("https://"):
        yield Violation(
            f"OIDC issuer {oidc.get('issuerUrl')!r} is not an https:// URL", view.site_urn
        )
    forbidden = {str(u).lower() for u in thresholds.get("staticAdminUsers") or []}
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for binding in view.kube(kind, "rbac.authorization.k8s.io/"):
            role = str(get_path(binding.props, "roleRef.name") or "")
            for subject in binding.props.get("subjects") or []:
                if subject.get("kind") != "User":
                    continue
                name = str(subject.get("name") or "")
                short = name.split(":", 1)[-1].split("@", 1)[0].lower()
                if short in forbidden:
                    yield Violation(
                        f"{label(binding)} binds role {role!r} to the static user {name!r}; "
                        "bind roles to OIDC groups",
                        binding.urn,
                    )
                elif role in ADMIN_ROLES:
                    yield Violation(
                        f"{label(binding)} gives the admin role {role!r} to the user {name!r} "
                        "directly; bind admin roles to an OIDC group so access follows "
                        "membership",
                        binding.urn,
                    )


# Kubernetes' built-in ClusterRoles that write workloads, ConfigMaps, Services and Secrets of a
# namespace (``admin`` and ``cluster-admin`` also its RBAC).
WRITING_BUILTIN_ROLES: Final = frozenset({"cluster-admin", "admin", "edit"})
WRITE_VERBS: Final = frozenset({"create", "update", "patch", "delete", "deletecollection"})
ANY_VERB: Final = frozenset({"*", "impersonate"})
# What people must not change by hand in production: it is the stack's to change.
MANAGED_RESOURCES: Final = frozenset(
    {
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
        "configmaps",
        "services",
        "endpoints",
        "endpointslices",
        "networkpolicies",
        "ingresses",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
        "*",
    }
)
# Reached with create alone: a shell in, or a terminal attached to, a running container.
SHELL_RESOURCES: Final = frozenset({"pods/exec", "pods/attach"})


def _human_subjects(binding: Any) -> list[str]:
    return [
        f"{s.get('kind')} {s.get('name')!r}"
        for s in binding.props.get("subjects") or []
        if s.get("kind") in HUMAN_SUBJECT_KINDS
    ]


def _declared_role(view: StackView, binding: Any) -> Any | None:
    """The Role or ClusterRole the binding names, declared in the same Kubernetes API."""
    ref = binding.props.get("roleRef") or {}
    kind = str(ref.get("kind"))
    # A Role is the binding's namespace's; a ClusterRole has none.
    namespace = get_path(binding.props, "metadata.namespace") if kind == "Role" else None
    for role in view.kube_in_namespace(kind, RBAC_API, namespace, target_of(binding)):
        if get_path(role.props, "metadata.name") == ref.get("name"):
            return role
    return None


def rule_grants(rule_: Mapping[str, Any]) -> list[str]:
    """What one RBAC rule lets a person do that production reserves for the stack."""
    verbs = {str(v) for v in rule_.get("verbs") or []}
    resources = {str(r) for r in rule_.get("resources") or []}
    writes = verbs & (WRITE_VERBS | ANY_VERB)
    found = []
    if "secrets" in resources and verbs:
        found.append(f"{'/'.join(sorted(verbs))} on secrets")
    managed = sorted(resources & MANAGED_RESOURCES)
    if writes and managed:
        found.append(f"{'/'.join(sorted(writes))} on {', '.join(managed)}")
    shells = sorted(resources & SHELL_RESOURCES)
    if shells and verbs & ({"create", "get"} | ANY_VERB):
        found.append(f"a shell through {', '.join(shells)}")
    return found


@rule(
    "PAIF-SEC-011",
    title="People get read-and-operate roles in production, never write access by hand",
    severity="high",
    section="§9.6.2 identity, §9.6.3 least privilege",
    rationale="In production every change goes through the stack: pull request, policy gate, "
    "`pulumi up`. A person who can edit Deployments, ConfigMaps, Services or network policies, "
    "read Secrets or exec into a pod bypasses the gate, leaves the namespace drifting from its "
    "code and can read the credentials of the tenant's databases and models.",
    remediation="Leave paif:tenants[].roles unset or 'scoped' in production: the OIDC groups "
    "get the library's namespaced Roles (components.tenant_rbac: read, logs for edit, pod "
    "eviction for admin). Make changes through the stack; record a waiver with its reason for "
    "a break-glass binding.",
)
def check_human_access(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if not view.is_production:
        return
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for binding in view.kube(kind, RBAC_API):
            people = _human_subjects(binding)
            if not people:
                continue
            ref = binding.props.get("roleRef") or {}
            role_name = str(ref.get("name") or "")
            who = ", ".join(people)
            role = _declared_role(view, binding)
            if role is None:
                if role_name in WRITING_BUILTIN_ROLES:
                    yield Violation(
                        f"{label(binding)} gives {who} the built-in role {role_name!r}, which "
                        "writes workloads, ConfigMaps, Services and Secrets; bind the scoped "
                        "Roles (paif:tenants[].roles: scoped)",
                        binding.urn,
                    )
                continue
            grants = [g for r in role.props.get("rules") or [] for g in rule_grants(r)]
            if grants:
                yield Violation(
                    f"{label(binding)} gives {who} {label(role)}, which grants "
                    f"{'; '.join(grants)}; people read and operate in production, the stack "
                    "changes",
                    binding.urn,
                )
