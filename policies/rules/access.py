"""Identity and access rules (§9.6.2 identity: OIDC + RBAC): who signs in, and what people may
do in a tenant's namespaces.

Site props these rules read (``paif:site:PaifSite``), beyond the framework's:

``replicationTargets``  Harbor projects replication from the peer site writes into here

PAIF-SEC-002 reads OIDC from the objects that carry it (``paif_components.pais``): each tenant's
``PAISConfiguration`` (the ML API gateway's ``auth.oidc``) and, when the stack sets Harbor's
mode, Harbor's ``ConfigAuth``; a namespace whose PAIS waits for its database (restored at a
DR site at failover: the tenant component's ``paisDatabaseAtFailover``) has no gateway before
then. Nothing the stack renders can carry it to the Supervisor's own sign-in (an identity
provider of the Supervisor is set in vCenter; pulumi_vsphere has no resource for it) or to the
NSX/Avi entry (it serves the apps' browser sessions too, and §9.2.2 puts token validation at
the gateway), so the rule does not look there.

PAIF-SEC-011 judges the roles bound to people (``User`` and ``Group`` subjects; service
accounts have roles of their own purpose, such as Prometheus's read-only ClusterRole). A role
the stack does not declare (a built-in one, or one made elsewhere) is judged by its name alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.constants import ROBOT_EXPIRY_DAYS
from paif_policies.registry import Violation, rule
from paif_policies.rules.security import HARBOR_ROBOT_TYPE
from paif_policies.rules.tenancy import (
    HARBOR_MEMBER_GROUP_TYPE,
    HARBOR_PROJECT_COMPONENT,
    HARBOR_PROJECT_TYPE,
)
from paif_policies.view import (
    PAIS_DATABASE_AT_FAILOVER,
    PAIS_GROUP,
    TENANT_TYPE,
    StackView,
    as_int,
    endpoints,
    get_path,
    label,
    target_of,
)

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
HARBOR_CONFIG_AUTH_TYPE: Final = "harbor:index/configAuth:ConfigAuth"


@rule(
    "PAIF-SEC-002",
    title="OIDC at the ML API gateway and Harbor, RBAC by OIDC group; no static admin users",
    severity="high",
    section="§9.2.2 (OIDC token validation and RBAC at the ML API gateway), §9.6.2 identity",
    rationale="§9.2.2 has the ML API gateway validate OIDC tokens from VCF Automation's "
    "provider and apply RBAC; the gateway of a tenant's PAIS endpoints is its PAIS API server, "
    "configured by the namespace's PAISConfiguration (auth.oidc: issuer, client, the groups "
    "it admits). Shared static admin accounts cannot be traced to a person, rotated with "
    "their leaving or protected by MFA. The Supervisor's own sign-in (an identity provider "
    "set in vCenter, for which pulumi_vsphere has no resource) and the NSX/Avi entry (which "
    "also serves the apps' browser sessions; §9.2.2 validates tokens at the gateway) carry "
    "nothing the stack renders, so the rule cannot check them; nor NIM endpoints, whose "
    "NIMService has no authentication field.",
    remediation="Set paif:security.oidc (issuerUrl, clientId): every tenant with a PAIS "
    "endpoint gets a PAISConfiguration whose auth.oidc admits its oidcGroups; set "
    "paif:security.oidc.harbor to put Harbor in OIDC mode; bind roles to OIDC groups "
    "(paif:tenants[].oidcGroups), never to users such as admin or root.",
    thresholds={"staticAdminUsers": STATIC_ADMIN_USERS},
)
def check_oidc(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _gateway_oidc(view)
    yield from _harbor_oidc(view)
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


def _pais_waits(view: StackView, resource: Any) -> str | None:
    """The database PAIS waits for at this site (its tenant component's record), if any."""
    tenant = view.component_of(resource, TENANT_TYPE)
    waiting = tenant.props.get(PAIS_DATABASE_AT_FAILOVER) if tenant is not None else None
    return str(waiting) if waiting else None


def _gateway_oidc(view: StackView) -> Iterator[Violation]:
    """Each namespace that serves a PAIS endpoint has a PAISConfiguration validating OIDC."""
    configurations = {
        (str(get_path(c.props, "metadata.namespace")), target_of(c)): c
        for c in view.kube("PAISConfiguration", PAIS_GROUP)
    }
    served = sorted(
        {(ep.namespace, ep.target) for ep in endpoints(view) if ep.kind == "ModelEndpoint"}
    )
    for namespace, target in served:
        configuration = configurations.get((namespace, target))
        if configuration is None:
            running = [
                ep
                for ep in endpoints(view)
                if ep.kind == "ModelEndpoint" and ep.namespace == namespace and ep.running
            ]
            # Where PAIS waits for its database (restored here at failover) there is no gateway
            # to configure yet: its PAISConfiguration is rendered with the database.
            running = [ep for ep in running if _pais_waits(view, ep.resource) is None]
            if running:
                yield Violation(
                    f"namespace {namespace} serves PAIS endpoint(s) "
                    f"{', '.join(ep.name for ep in running)} but has no PAISConfiguration: "
                    "nothing configures its gateway's authentication",
                    running[0].resource.urn,
                )
            continue
        oidc = get_path(configuration.props, "spec.auth.oidc")
        what = label(configuration)
        if not oidc:
            if view.production(configuration):
                yield Violation(
                    f"{what} sets no auth.oidc: its ML API gateway validates no OIDC tokens "
                    "(set paif:security.oidc)",
                    configuration.urn,
                )
            continue
        issuer = str(oidc.get("issuerUrl") or "")
        if not issuer.startswith("https://"):
            yield Violation(
                f"{what}: OIDC issuer {issuer!r} is not an https:// URL", configuration.urn
            )
        if not oidc.get("clientId"):
            yield Violation(f"{what}: auth.oidc names no clientId", configuration.urn)
        if view.production(configuration) and not list(oidc.get("authorizedGroups") or []):
            yield Violation(
                f"{what} admits no authorizedGroups: any identity of the provider reaches the "
                "tenant's endpoints (set tenants[].oidcGroups)",
                configuration.urn,
            )


def _harbor_oidc(view: StackView) -> Iterator[Violation]:
    for auth in view.of_type(HARBOR_CONFIG_AUTH_TYPE):
        props = auth.props
        what = f"Harbor auth {auth.name}"
        if str(props.get("authMode")) != "oidc_auth":
            yield Violation(f"{what} is in mode {props.get('authMode')!r}, not oidc_auth", auth.urn)
            continue
        endpoint = str(props.get("oidcEndpoint") or "")
        if not endpoint.startswith("https://"):
            yield Violation(f"{what}: OIDC endpoint {endpoint!r} is not an https:// URL", auth.urn)
        if props.get("oidcVerifyCert") is False:
            yield Violation(
                f"{what} does not verify the OIDC provider's certificate (oidcVerifyCert)",
                auth.urn,
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
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for binding in view.kube(kind, RBAC_API):
            people = _human_subjects(binding)
            if not people or not view.production(binding):
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


# --- Harbor: what people and robots may do in the registry ----------------------------------

HARBOR_MEMBER_USER_TYPE: Final = "harbor:index/projectMemberUser:ProjectMemberUser"
# Harbor's project roles that push (goharbor.io, "User Permissions By Role").
PUSH_ROLES: Final = ["developer", "maintainer", "projectadmin"]
# What the stack owns in a project: projectadmin changes the project's visibility, members,
# robots and webhooks and deletes it; maintainer deletes images and repositories and edits the
# tag-immutability rules PAIF-SEC-008 relies on.
ADMINISTERING_ROLES: Final = ["projectadmin", "maintainer"]


def _project_of(view: StackView, member: Any) -> Any | None:
    """The Harbor project a member belongs to: a dependency, else its component's project."""
    for dependency in getattr(member, "dependencies", None) or []:
        found = view.by_urn.get(getattr(dependency, "urn", dependency))
        if found is not None and found.resource_type == HARBOR_PROJECT_TYPE:
            return found
    component = view.component_of(member, HARBOR_PROJECT_COMPONENT)
    if component is None:
        return None
    return next(
        (c for c in view.children(component.urn) if c.resource_type == HARBOR_PROJECT_TYPE), None
    )


def _member_name(member: Any) -> str:
    props = member.props
    if member.resource_type == HARBOR_MEMBER_USER_TYPE:
        return f"user {props.get('userName') or member.name!r}"
    return f"{props.get('type') or 'group'} group {props.get('groupName') or member.name!r}"


@rule(
    "PAIF-SEC-012",
    title="In production people push to Harbor but administer no project and push into no "
    "replication target",
    severity="high",
    section="§9.6.2 identity, §9.6.3 AI-specific (model access control through Harbor "
    "permissions), §9.3.2 item 1",
    rationale="Changes go through the stack. A projectadmin can make the project public, add "
    "another tenant's group as a member, mint robots and delete the project; a maintainer "
    "deletes images and the tag-immutability rules that make a tag as fixed as a digest "
    "(PAIF-SEC-008) — all outside the stack until the next `pulumi up`, if it notices. A "
    "person pushing into a project that replication from the other site writes makes the "
    "copy differ from what that site serves, and is a second writer of one repository path "
    "(PAIF-DR-005).",
    remediation="Leave paif:tenants[].roles unset or 'scoped' in production: admin and edit "
    "groups get Harbor's developer role (push images), view groups guest; replication "
    "targets give every group guest (components.harbor_registry). Push to the site that owns "
    "the project and let replication carry it.",
    thresholds={"administeringRoles": ADMINISTERING_ROLES, "pushRoles": PUSH_ROLES},
)
def check_harbor_people(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    administering = {str(r).lower() for r in thresholds["administeringRoles"]}
    pushing = {str(r).lower() for r in thresholds["pushRoles"]}
    targets = set(view.facts.replication_targets)
    for member in view.of_type(HARBOR_MEMBER_GROUP_TYPE, HARBOR_MEMBER_USER_TYPE):
        if not view.production(member):
            continue
        role = str(member.props.get("role") or "").lower()
        project = _project_of(view, member)
        name = str(project.props.get("name") or project.name) if project is not None else "?"
        who = _member_name(member)
        if role in administering:
            yield Violation(
                f"Harbor project {name!r}: {who} is {role}, which administers the project "
                "(visibility, members, robots, image deletion, immutability rules) outside the "
                "stack; give people developer at most",
                member.urn,
            )
        elif role in pushing and name in targets:
            yield Violation(
                f"Harbor project {name!r} is written by replication from the peer site, and "
                f"{who} is {role}, which pushes into it; give people guest there and push to "
                "the site that owns the project",
                member.urn,
            )


@rule(
    "PAIF-SEC-013",
    title="Harbor robot accounts expire",
    severity="medium",
    section="§9.6.3 identity (least privilege for service accounts; rotate API keys/tokens "
    "regularly)",
    rationale="A robot's secret sits in pull Secrets on every cluster that pulls and in the "
    "peer site's replication endpoint; a copy that leaks keeps working for as long as the "
    "robot lives. An expiry bounds that, and forces the rotation §9.6.3 asks for.",
    remediation="Keep paif:harbor.robots.expiryDays (default 90) at or below the threshold and "
    "rotate before it runs out: set paif:harbor.robots.rotation to a new label and run "
    "`pulumi up` (README, 'Robot accounts and their rotation').",
    thresholds={"maxDays": ROBOT_EXPIRY_DAYS},
)
def check_robot_expiry(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    limit = int(thresholds["maxDays"])
    for robot in view.of_type(HARBOR_ROBOT_TYPE):
        what = f"Harbor robot {robot.props.get('name') or robot.name!r}"
        days = as_int(robot.props.get("duration"))
        if days is None or days <= 0:
            yield Violation(
                f"{what} never expires (duration {days if days is not None else 'unset'}): a "
                f"leaked secret works forever; give it an expiry of at most {limit} days",
                robot.urn,
            )
        elif days > limit:
            yield Violation(
                f"{what} lives {days} days, longer than the {limit} allowed; rotate more often",
                robot.urn,
            )
