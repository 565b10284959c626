"""Harbor per tenant (§9.4.1, §9.8 item 3) and push replication to the peer site (§9.3.2 item 1).

``HarborProject`` gives each tenant a private project that scans every push, maps the tenant's
OIDC groups to Harbor roles (below), keeps the tags its ``harbor.immutableTags`` rules cover
immutable, and holds a project-level robot account that may only pull. The
robot's secret is wrapped as a Pulumi secret where it is read (the provider marks it with
``additional_secret_outputs``, but the SDK's mock runtime does not apply engine-side marking),
and it reaches Kubernetes only inside a ``kubernetes.io/dockerconfigjson`` Secret whose
``stringData`` the Kubernetes SDK marks secret too.

Which Harbor role each OIDC group kind gets (Harbor's project roles, goharbor.io "User
Permissions By Role": *guest* pulls; *developer* also pushes and creates repositories;
*maintainer* also deletes images and repositories and edits tag-immutability rules;
*projectadmin* also makes the project public, adds members and robots, edits webhooks and
deletes the project):

- ``roles: scoped`` (the production default, as for the namespace's Kubernetes roles,
  ``paif_components.tenant_rbac``): ``admin`` and ``edit`` → developer (pushing app images is work
  people do), ``view`` → guest. Project settings, members, robots and immutability rules are
  the stack's: changes go through it (PAIF-SEC-012).
- ``roles: builtin`` (elsewhere): ``admin`` → projectadmin, ``edit`` → developer, ``view`` →
  guest.
- A project that replication from the peer site writes into (the DR site's copy of a tenant's
  project; in active-active, the primary's ``<tenant>-<dr-site>``): every group → guest. Push
  replication keeps one writer per repository path (PAIF-DR-005); a person pushing there
  would make the copy differ from what the other site serves.

Robots expire ``paif:harbor.robots.expiryDays`` after they are created (§9.6.3 identity: rotate
tokens regularly; PAIF-SEC-013) and their names end with ``paif:harbor.robots.rotation`` when
set: a new label makes ``pulumi up`` create new robots (the name is part of a robot's
identity), write their secrets into the pull Secrets and the replication endpoint in the same
update, then delete the old ones.

``HarborReplicationReceiver`` is the other end: at the receiving site, a system-level robot
limited to push/pull on exactly the replicated projects, whose credentials the pushing site's
registry endpoint uses (through the peer stack's outputs).

``HarborReplication`` registers the peer site's Harbor as a ``harbor.Registry`` and creates one
``push`` rule per project that holds served models, event-based unless a cron is configured.
One rule per project (never a wildcard) keeps one writer per repository path, which is what the
DR loop check (PAIF-DR-005) relies on.

Arguments follow pulumiverse_harbor 3.10.21 (terraform-provider-harbor): ``Project(public,
vulnerability_scanning)``, ``ProjectMemberGroup(project_id=<project id "/projects/N">, type
"oidc", group_name, role)``, ``RobotAccount(level "project", permissions [{kind, namespace,
accesses [{action, resource}]}])``, ``Registry(provider_name "harbor", endpoint_url)``,
``ImmutableTagRule(project_id, repo_matching | repo_excluding, tag_matching | tag_excluding)``,
``Replication(action "push", registry_id, schedule "event_based" | 6-field cron, filters
[{name "project/**"}])``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor

from paif_components import tenant_rbac
from paif_components.config.models import Peer, Tenant
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_components.errors import ComponentInputError
from paif_components.ownership import Decision, decide, lookup_import_id
from paif_components.validation import validate_unless_done

HARBOR_PROJECT_TYPE: Final = tokens.PAIF_HARBOR_PROJECT
HARBOR_REPLICATION_TYPE: Final = tokens.PAIF_HARBOR_REPLICATION
HARBOR_REPLICATION_RECEIVER_TYPE: Final = tokens.PAIF_HARBOR_REPLICATION_RECEIVER
# Push replication writes artifacts into the receiving projects: push and pull, nothing more.
REPLICATION_ACCESS: Final[tuple[dict[str, str], ...]] = (
    {"action": "push", "resource": "repository"},
    {"action": "pull", "resource": "repository"},
)

# §9.6.3 AI-specific: model access control through Harbor permissions. OIDC group kind -> the
# Harbor project role it gets (module docstring). ``roles: builtin`` (outside production):
OIDC_ROLE_MAP: Final[dict[str, str]] = {
    "admin": "projectadmin",
    "edit": "developer",
    "view": "guest",
}
# ``roles: scoped`` (production): people push images; the project itself is the stack's.
SCOPED_ROLE_MAP: Final[dict[str, str]] = {
    "admin": "developer",
    "edit": "developer",
    "view": "guest",
}
# Into a project replication writes, people only pull (one writer per repository path).
REPLICA_ROLE: Final = "guest"
# §9.6.3 identity: least privilege for service accounts — the serving robot may only pull.
ROBOT_PULL_ACCESS: Final[tuple[dict[str, str], ...]] = (
    {"action": "pull", "resource": "repository"},
)
ROBOT_NAME: Final = "model-pull"
# §9.3.2 item 1: model images are backed up by Harbor replication; event-based pushes each new
# artifact as it lands, the shortest RPO Harbor offers.
EVENT_BASED: Final = "event_based"
# Harbor project names: lowercase letters, digits and ._- (Harbor's own check).
_PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,254}")
# Harbor's replication cron has six fields (seconds first); config may use five.
_CRON_FIELD = re.compile(r"^[0-9*/,\-?LW#A-Za-z]+$")


def harbor_project_name(tenant: Tenant) -> str:
    """The tenant's Harbor project: model references read ``<harbor>/<tenant>/<repo>:<tag>``."""
    return tenant.name


def pull_secret_name(tenant: Tenant) -> str:
    """Name of the image pull Secret in the tenant namespace (used by model endpoints)."""
    return f"{harbor_project_name(tenant)}-harbor-pull"


def harbor_schedule(value: str | None) -> str:
    """Harbor's replication trigger for a configured schedule.

    ``None`` or ``event_based`` -> ``event_based``; a 5-field cron gets a leading ``0`` seconds
    field; a 6-field cron passes through. Anything else raises ``ValueError``.
    """
    if value is None or value.strip() == EVENT_BASED:
        return EVENT_BASED
    fields = value.split()
    if len(fields) not in (5, 6) or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"{value!r} is neither 'event_based' nor a cron expression "
            "('0 */15 * * * *' with seconds, or '*/15 * * * *')"
        )
    return " ".join(["0", *fields]) if len(fields) == 5 else " ".join(fields)


def served_model_projects(tenants: Sequence[Tenant], harbor_host: str) -> tuple[str, ...]:
    """Projects of ``harbor_host`` that hold a model some endpoint serves, sorted, unique."""
    projects = {
        endpoint.model.project
        for tenant in tenants
        for endpoint in tenant.model_endpoints
        if endpoint.model.registry_host == harbor_host
    }
    return tuple(sorted(projects))


def docker_config_json(host: str, username: str, password: str) -> str:
    """The ``.dockerconfigjson`` payload Kubernetes expects for a registry login."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps(
        {"auths": {host: {"username": username, "password": password, "auth": auth}}},
        sort_keys=True,
    )


# --- per-tenant project ---------------------------------------------------------------------


@dataclass(frozen=True)
class HarborProjectArgs:
    """One tenant's Harbor project.

    ``pull_secret_namespace`` is where the image pull Secret goes (default: the tenant's
    namespace); set ``create_pull_secret=False`` when no Kubernetes provider is at hand.
    ``project_name`` names a further project of the tenant (default: its own,
    :func:`harbor_project_name`), such as the active-active ``<tenant>-<dr-site>`` project
    replication needs at both sites; ``pull_robot=False`` leaves out the serving robot (and
    its pull Secret) where no endpoint pulls.
    """

    tenant: Tenant
    ctx: SiteContext
    storage_quota_gb: int | None = None
    # Days the pull robot lives; None: the site's paif:harbor.robots.expiryDays.
    robot_duration_days: int | None = None
    create_pull_secret: bool = True
    pull_secret_namespace: str | None = None
    project_name: str | None = None
    pull_robot: bool = True
    # Replication from the peer site writes into this project: people only pull from it.
    replication_target: bool = False

    @property
    def robot_days(self) -> int:
        return self.robot_duration_days or self.ctx.harbor.robots.expiry_days

    def member_roles(self) -> dict[str, str]:
        """The Harbor role of each OIDC group kind in this project (module docstring)."""
        if self.replication_target:
            return dict.fromkeys(OIDC_ROLE_MAP, REPLICA_ROLE)
        scoped = tenant_rbac.role_mode(self.tenant, self.ctx.is_production) == "scoped"
        return dict(SCOPED_ROLE_MAP if scoped else OIDC_ROLE_MAP)


def robot_name(base: str, ctx: SiteContext) -> str:
    """A robot's name: ``base``, ending with the site's rotation label when one is set."""
    rotation = ctx.harbor.robots.rotation
    return f"{base}-{rotation}" if rotation else base


def _check_robot_duration(subject: str, days: int | None) -> None:
    """A robot lives at least a day (None: the site's paif:harbor.robots.expiryDays)."""
    if days is not None and days < 1:
        raise ComponentInputError(
            subject,
            "harbor.robots.expiryDays",
            f"{days} must be at least 1 day (robots always expire; omit it for the site's default)",
        )


def validate_harbor_project(args: HarborProjectArgs) -> None:
    """Reject input Harbor would refuse, before anything is registered."""
    subject = f"tenant '{args.tenant.name}'"
    if args.project_name is not None and not _PROJECT_NAME.fullmatch(args.project_name):
        raise ComponentInputError(
            subject, "harbor.projectName", f"{args.project_name!r} is not a Harbor project name"
        )
    if args.storage_quota_gb is not None and args.storage_quota_gb < 1:
        raise ComponentInputError(
            subject, "harbor.storageQuotaGb", f"{args.storage_quota_gb} must be at least 1 GB"
        )
    _check_robot_duration(subject, args.robot_duration_days)
    groups = args.tenant.oidc_groups
    seen: dict[str, str] = {}
    for kind in OIDC_ROLE_MAP:
        for group in getattr(groups, kind):
            if group in seen:
                raise ComponentInputError(
                    subject,
                    f"oidcGroups.{kind}",
                    f"group {group!r} is already mapped as {seen[group]!r}; Harbor gives a "
                    "group one role per project",
                )
            seen[group] = kind


class HarborProject(pulumi.ComponentResource):
    """A tenant's private Harbor project, its OIDC member groups and a pull-only robot."""

    project_name: str
    registry_host: str
    pull_secret_name: str | None
    project_id: pulumi.Output[int]
    decision: Decision
    robot_name: pulumi.Output[str] | None
    robot_secret: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: HarborProjectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_harbor_project, args)
        ctx, tenant = args.ctx, args.tenant
        self.project_name = args.project_name or harbor_project_name(tenant)
        self.registry_host = ctx.harbor.host
        project_name = self.project_name
        # Adopted: imported by id (found by name unless paif:ownership pins it); referenced:
        # looked up by name, its member groups, tag rules and robot still this stack's.
        self.decision = decide(
            ctx.ownership,
            "harborProjects",
            project_name,
            import_ids=ctx.import_ids,
            lookup=lambda: lookup_import_id(
                "harborProjects",
                project_name,
                datacenter=ctx.site.vcenter.datacenter,
                opts=pulumi.InvokeOptions(parent=opts.parent if opts else None),
            ),
        )
        super().__init__(HARBOR_PROJECT_TYPE, name, None, opts)

        if self.decision.managed:
            project = harbor.Project(
                f"{name}-project",
                name=project_name,
                public=False,  # §9.4.1: tenants see only their own models
                vulnerability_scanning=True,  # §9.6.3 checklist: scan on push
                storage_quota=args.storage_quota_gb,
                force_destroy=False,
                opts=self.decision.options(
                    self,
                    production=ctx.is_production,
                    protect=ctx.is_production,
                    retain_on_delete=True,
                ),
            )
            self.project_id = project.project_id
            project_ref: pulumi.Input[str] = project.id
            robot_namespace: pulumi.Input[str] = project.name
        else:
            found = harbor.get_project_output(
                name=project_name, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.project_id = found.project_id
            project_ref, robot_namespace = found.id, found.name

        for kind, role in args.member_roles().items():
            for group in getattr(tenant.oidc_groups, kind):
                harbor.ProjectMemberGroup(
                    f"{name}-member-{kind}-{group}",
                    project_id=project_ref,
                    type="oidc",
                    group_name=group,
                    role=role,
                    opts=pulumi.ResourceOptions(parent=self),
                )

        # PAIF-SEC-008: a tag these rules cover can never be pushed again, so a reference by it
        # is as fixed as a digest.
        for index, immutable in enumerate(tenant.harbor.immutable_tags):
            harbor.ImmutableTagRule(
                f"{name}-immutable-{index}",
                project_id=project_ref,
                repo_matching=immutable.repo_matching,
                repo_excluding=immutable.exclude_repositories,
                tag_matching=immutable.tags,
                tag_excluding=immutable.exclude_tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.pull_secret_name = None
        self.robot_name = None
        self.robot_secret = None
        if args.pull_robot:
            self._pull_robot(name, args, robot_namespace)

        self.register_outputs(
            {
                "projectName": self.project_name,
                "projectId": self.project_id,
                "robotName": self.robot_name,
                "robotSecret": self.robot_secret,
                "pullSecretName": self.pull_secret_name,
            }
        )

    def _pull_robot(self, name: str, args: HarborProjectArgs, project: pulumi.Input[str]) -> None:
        """The serving robot (pull only) and, where asked, its pull Secret in the namespace."""
        ctx, tenant = args.ctx, args.tenant
        robot = harbor.RobotAccount(
            f"{name}-robot",
            name=robot_name(ROBOT_NAME, ctx),
            level="project",
            description=f"Pull-only robot of tenant {tenant.name} for model endpoints",
            duration=args.robot_days,
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace=project,
                    accesses=[
                        harbor.RobotAccountPermissionAccessArgs(**access)
                        for access in ROBOT_PULL_ACCESS
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secret"]),
        )
        self.robot_name = robot.full_name
        self.robot_secret = pulumi.Output.secret(robot.secret)
        if args.create_pull_secret:
            self.pull_secret_name = pull_secret_name(tenant)
            host = self.registry_host
            config: pulumi.Output[str] = pulumi.Output.secret(
                pulumi.Output.all(robot.full_name, self.robot_secret).apply(
                    lambda parts: docker_config_json(host, parts[0], parts[1])
                )
            )
            k8s.core.v1.Secret(
                f"{name}-pull-secret",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=self.pull_secret_name,
                    namespace=args.pull_secret_namespace or tenant.namespace,
                    labels={**ctx.labels, TENANT_LABEL: tenant.name},
                    annotations=target_annotations(),
                ),
                type="kubernetes.io/dockerconfigjson",
                string_data={".dockerconfigjson": config},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[robot]),
            )


# --- replication to the peer site -----------------------------------------------------------


@dataclass(frozen=True)
class HarborReplicationArgs:
    """Push this site's model projects to the peer site's Harbor.

    ``projects`` are Harbor projects at this site (see :func:`served_model_projects`);
    ``schedule`` is ``paif:dr.replicationSchedule`` (``None`` = event-based). ``access_id`` /
    ``access_secret`` are the peer's robot credentials (a Pulumi secret, e.g. from the peer
    stack's outputs).
    """

    ctx: SiteContext
    peer: Peer
    projects: tuple[str, ...]
    schedule: str | None = None
    access_id: pulumi.Input[str] | None = None
    access_secret: pulumi.Input[str] | None = None
    deletion: bool = False


def validate_harbor_replication(args: HarborReplicationArgs) -> None:
    """Reject rules that would loop, duplicate a writer, or never run."""
    subject = f"site '{args.ctx.site.name}'"
    peer_host = args.peer.harbor_url.removeprefix("https://").split("/", 1)[0]
    if peer_host == args.ctx.harbor.host:
        raise ComponentInputError(
            subject,
            "dr.peer.harborUrl",
            f"{args.peer.harbor_url!r} is this site's own Harbor; replicating to itself loops",
        )
    if not args.projects:
        raise ComponentInputError(
            subject, "dr.replication", "no project holds a served model: nothing to replicate"
        )
    seen: set[str] = set()
    for project in args.projects:
        if not _PROJECT_NAME.fullmatch(project):
            raise ComponentInputError(
                subject, "dr.replication.projects", f"{project!r} is not a Harbor project name"
            )
        if project in seen:
            raise ComponentInputError(
                subject,
                "dr.replication.projects",
                f"project {project!r} is listed twice: one push rule per project keeps one "
                "writer per repository path",
            )
        seen.add(project)
    try:
        harbor_schedule(args.schedule)
    except ValueError as err:
        raise ComponentInputError(subject, "dr.replicationSchedule", str(err)) from None
    if (args.access_id is None) != (args.access_secret is None):
        raise ComponentInputError(
            subject,
            "dr.peer.credentials",
            "access_id and access_secret go together (the peer robot's name and secret)",
        )


class HarborReplication(pulumi.ComponentResource):
    """The peer Harbor as a registry endpoint and one push rule per model project."""

    schedule: str
    projects: tuple[str, ...]
    peer_site: str
    registry_id: pulumi.Output[int]

    def __init__(
        self, name: str, args: HarborReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_harbor_replication, args)
        super().__init__(HARBOR_REPLICATION_TYPE, name, None, opts)
        self.schedule = harbor_schedule(args.schedule)
        self.projects = tuple(args.projects)
        self.peer_site = args.peer.site

        registry = harbor.Registry(
            f"{name}-peer",
            name=f"{args.peer.site}-harbor",
            description=f"Harbor of DR peer site {args.peer.site} (stack {args.peer.stack})",
            endpoint_url=args.peer.harbor_url,
            provider_name="harbor",
            insecure=False,
            access_id=args.access_id,
            access_secret=(
                None if args.access_secret is None else pulumi.Output.secret(args.access_secret)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry_id = registry.registry_id

        rules: dict[str, pulumi.Output[int]] = {}
        for project in self.projects:
            rule = harbor.Replication(
                f"{name}-{project}",
                name=f"{project}-to-{args.peer.site}",
                description=f"Push {project} to {args.peer.site} (§9.3.2 item 1)",
                action="push",
                registry_id=registry.registry_id,
                schedule=self.schedule,
                filters=[harbor.ReplicationFilterArgs(name=f"{project}/**")],
                dest_namespace_replace=0,  # keep repository paths: references stay valid
                override=True,
                deletion=args.deletion,
                enabled=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            rules[project] = rule.replication_policy_id

        self.register_outputs(
            {
                "peerSite": self.peer_site,
                "registryId": self.registry_id,
                "schedule": self.schedule,
                "projects": list(self.projects),
                "rules": rules,
            }
        )


# --- the receiving side of replication ------------------------------------------------------


@dataclass(frozen=True)
class HarborReplicationReceiverArgs:
    """The robot the pushing site's ``harbor.Registry`` logs in with, at the receiving site.

    One Registry endpoint carries one credential for all replicated projects, so the robot is
    system-level with a push/pull permission per project (and no other project).
    """

    ctx: SiteContext
    peer: Peer
    projects: tuple[str, ...]
    # Days the robot lives; None: the pushing site's paif:harbor.robots.expiryDays.
    robot_duration_days: int | None = None


def validate_harbor_replication_receiver(args: HarborReplicationReceiverArgs) -> None:
    subject = f"site '{args.ctx.site.name}'"
    if not args.projects:
        raise ComponentInputError(
            subject, "dr.replication", "no project is replicated here: no robot is needed"
        )
    if len(set(args.projects)) != len(args.projects):
        raise ComponentInputError(
            subject, "dr.replication.projects", f"{list(args.projects)} lists a project twice"
        )
    _check_robot_duration(subject, args.robot_duration_days)


class HarborReplicationReceiver(pulumi.ComponentResource):
    """A system robot limited to pushing into the projects the peer replicates here."""

    robot_name: pulumi.Output[str]
    robot_secret: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: HarborReplicationReceiverArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        validate_unless_done(validate_harbor_replication_receiver, args)
        super().__init__(HARBOR_REPLICATION_RECEIVER_TYPE, name, None, opts)
        robot = harbor.RobotAccount(
            f"{name}-robot",
            name=robot_name(f"replicate-from-{args.peer.site}", args.ctx),
            level="system",
            description=f"Push replication from {args.peer.site} (§9.3.2 item 1)",
            duration=args.robot_duration_days or args.ctx.harbor.robots.expiry_days,
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace=project,
                    accesses=[
                        harbor.RobotAccountPermissionAccessArgs(**access)
                        for access in REPLICATION_ACCESS
                    ],
                )
                for project in args.projects
            ],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secret"]),
        )
        self.robot_name = robot.full_name
        self.robot_secret = pulumi.Output.secret(robot.secret)
        self.register_outputs({"robotName": self.robot_name, "robotSecret": self.robot_secret})
