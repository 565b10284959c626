"""HarborProject (per tenant) and HarborReplication (to the peer site) under the plan's mocks."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from paif_cli.offline.harbor import OFFLINE_ROBOT_SECRET_PREFIX, offline_robot_secret
from paif_components.config.models import StackConfig
from paif_components.errors import ComponentInputError
from paif_components.harbor_registry import (
    HARBOR_PROJECT_TYPE,
    HARBOR_REPLICATION_TYPE,
    HarborProject,
    HarborProjectArgs,
    HarborReplication,
    HarborReplicationArgs,
    HarborReplicationReceiver,
    HarborReplicationReceiverArgs,
    docker_config_json,
    harbor_schedule,
    served_model_projects,
    validate_harbor_project,
    validate_harbor_replication,
    validate_harbor_replication_receiver,
)
from tests.support.programs import registered_before_error
from tests.support.schema_validation import manifest, validate_core_object
from tests.support.stacks import load_stack, site_context

PEER_SECRET = "peer-robot-secret-do-not-print-4711"


def of_type(result: Any, type_: str) -> list[Any]:
    """Resources of one type, by name (registration order is not deterministic)."""
    return sorted((r for r in result.resources if r.type == type_), key=lambda r: r.name)


def one(result: Any, name: str) -> Any:
    matches = [r for r in result.resources if r.name == name]
    assert len(matches) == 1, [r.name for r in result.resources]
    return matches[0]


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


def build_projects(cfg: StackConfig) -> Any:
    ctx = site_context(cfg, dr=True)

    def program() -> None:
        for tenant in cfg.tenants:
            project = HarborProject(
                f"{tenant.name}-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx)
            )
            pulumi.export(f"{tenant.name}RobotSecret", project.robot_secret)
            pulumi.export(f"{tenant.name}RobotName", project.robot_name)

    return program


def test_each_tenant_has_its_own_private_scanned_protected_project(run_pulumi, prod) -> None:
    result = run_pulumi(build_projects(prod), stack="prod")
    projects = of_type(result, "harbor:index/project:Project")
    assert [(p.name, p.inputs) for p in projects] == [
        (
            f"{t}-harbor-project",
            {"forceDestroy": False, "name": t, "public": False, "vulnerabilityScanning": True},
        )
        for t in ("dev", "hr", "marketing")
    ]
    assert all(p.protect and p.retain_on_delete for p in projects)
    components = of_type(result, HARBOR_PROJECT_TYPE)
    assert [c.name for c in components] == ["dev-harbor", "hr-harbor", "marketing-harbor"]
    for project in projects:
        parent = one(result, project.name.removesuffix("-project"))
        assert project.parent == parent.urn


def member_roles(result: Any) -> list[tuple[str, str, str, str]]:
    return sorted(
        (g.inputs["groupName"], g.inputs["role"], g.inputs["type"], g.inputs["projectId"])
        for g in of_type(result, "harbor:index/projectMemberGroup:ProjectMemberGroup")
    )


def test_production_groups_push_but_administer_nothing(run_pulumi, prod) -> None:
    """roles: scoped (the production default): admin and edit push, view pulls; nobody is
    projectadmin or maintainer (PAIF-SEC-012)."""
    result = run_pulumi(build_projects(prod), stack="prod")
    assert member_roles(result) == [
        ("dev-leads", "developer", "oidc", "dev-harbor-project-id"),
        ("developers", "developer", "oidc", "dev-harbor-project-id"),
        ("hr-admins", "developer", "oidc", "hr-harbor-project-id"),
        ("hr-staff", "guest", "oidc", "hr-harbor-project-id"),
        ("marketing-admins", "developer", "oidc", "marketing-harbor-project-id"),
        ("marketing-analysts", "guest", "oidc", "marketing-harbor-project-id"),
        ("marketing-developers", "developer", "oidc", "marketing-harbor-project-id"),
    ]


@pytest.mark.parametrize(
    ("environment", "roles"), [("dev", None), ("staging", None), ("prod", "builtin")]
)
def test_builtin_roles_keep_project_admins(run_pulumi, environment, roles) -> None:
    def edit(values: dict[str, Any]) -> None:
        for tenant in values["paif:tenants"]:
            tenant["roles"] = roles

    cfg = load_stack("prod", edit, environment=environment)
    result = run_pulumi(build_projects(cfg), stack="prod")
    roles_of = {group: role for group, role, _, _ in member_roles(result)}
    assert roles_of["marketing-admins"] == "projectadmin"
    assert roles_of["marketing-developers"] == "developer"
    assert roles_of["marketing-analysts"] == "guest"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_people_only_pull_from_a_replication_target(run_pulumi, prod, environment) -> None:
    """The DR site's copy of a project is written by replication alone (one writer per
    repository path), in every environment."""
    cfg = load_stack("prod", environment=environment)
    ctx = site_context(cfg)

    def program() -> None:
        args = HarborProjectArgs(tenant=cfg.tenants[0], ctx=ctx, replication_target=True)
        HarborProject("marketing-harbor", args)

    result = run_pulumi(program, stack="prod")
    assert {role for _, role, _, _ in member_roles(result)} == {"guest"}


def test_robot_is_project_level_pull_only_and_expires(run_pulumi, prod) -> None:
    result = run_pulumi(build_projects(prod), stack="prod")
    robots = of_type(result, "harbor:index/robotAccount:RobotAccount")
    assert [r.inputs for r in robots] == [
        {
            "description": f"Pull-only robot of tenant {t} for model endpoints",
            "level": "project",
            # paif:harbor.robots: expiryDays 90, rotation 2026-07 (Pulumi.prod.yaml)
            "name": "model-pull-2026-07",
            "duration": 90,
            "permissions": [
                {
                    "accesses": [{"action": "pull", "resource": "repository"}],
                    "kind": "project",
                    "namespace": t,
                }
            ],
        }
        for t in ("dev", "hr", "marketing")
    ]
    assert result.outputs["marketingRobotName"] == "robot$marketing+model-pull-2026-07"


def test_robots_expire_by_default_and_keep_their_name_without_rotation(run_pulumi) -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:harbor"] = {"url": values["paif:harbor"]["url"]}

    cfg = load_stack("prod", edit)
    result = run_pulumi(build_projects(cfg), stack="prod")
    robots = of_type(result, "harbor:index/robotAccount:RobotAccount")
    assert {(r.inputs["name"], r.inputs["duration"]) for r in robots} == {("model-pull", 90)}


def test_a_new_rotation_label_replaces_the_robot_and_its_pull_secret_follows(run_pulumi) -> None:
    """Rotation: the robot's name changes (Harbor cannot rename a robot, so the provider
    replaces it: a new robot, a new secret) and the pull Secret is written from the new
    robot's name and secret in the same update."""

    def rotated(label: str) -> Any:
        def edit(values: dict[str, Any]) -> None:
            values["paif:harbor"]["robots"]["rotation"] = label

        return edit

    secrets = {}
    for label in ("2026-07", "2026-09"):
        cfg = load_stack("prod", rotated(label))
        result = run_pulumi(build_projects(cfg), stack="prod")
        robot = one(result, "marketing-harbor-robot")
        secret = one(result, "marketing-harbor-pull-secret")
        assert robot.inputs["name"] == f"model-pull-{label}"
        assert robot.urn in secret.depends_on
        secrets[label] = result.raw_outputs["marketingRobotSecret"]
    assert secrets["2026-07"] != secrets["2026-09"]


def test_robot_secret_is_secret_end_to_end(run_pulumi, prod) -> None:
    result = run_pulumi(build_projects(prod), stack="prod")
    fake = offline_robot_secret("robot$marketing+model-pull-2026-07")
    # The offline answer really was produced (so the absence check below means something).
    assert result.raw_outputs["marketingRobotSecret"] == fake
    assert result.outputs["marketingRobotSecret"] == "[secret]"
    assert {"marketingRobotSecret", "hrRobotSecret", "devRobotSecret"} <= set(result.secret_outputs)
    dumped = json.dumps([r.to_json() for r in result.resources]) + json.dumps(result.outputs)
    assert fake not in dumped
    assert OFFLINE_ROBOT_SECRET_PREFIX not in dumped


def test_pull_secret_is_a_secret_dockerconfigjson_in_the_tenant_namespace(run_pulumi, prod) -> None:
    result = run_pulumi(build_projects(prod), stack="prod")
    secret = one(result, "marketing-harbor-pull-secret")
    assert secret.type == "kubernetes:core/v1:Secret"
    assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert secret.inputs["metadata"]["name"] == "marketing-harbor-pull"
    assert secret.inputs["metadata"]["namespace"] == "marketing-ns"
    assert secret.inputs["stringData"] == "[secret]"
    assert secret.secret_paths == ["stringData"]
    validate_core_object(manifest({**secret.inputs, "stringData": {".dockerconfigjson": "{}"}}))


def test_docker_config_json_carries_the_robot_login() -> None:
    payload = json.loads(docker_config_json("harbor.example.com", "robot$a+b", "s3cret"))
    assert payload == {
        "auths": {
            "harbor.example.com": {
                "auth": "cm9ib3QkYStiOnMzY3JldA==",
                "password": "s3cret",
                "username": "robot$a+b",
            }
        }
    }


def test_dev_environment_does_not_protect_projects(run_pulumi) -> None:
    cfg = load_stack(edit=lambda v: v.__setitem__("paif:environment", "dev"))
    result = run_pulumi(build_projects(cfg), stack="dev")
    projects = of_type(result, "harbor:index/project:Project")
    assert [p.protect for p in projects] == [False, False, False]
    assert all(p.retain_on_delete for p in projects)


def test_no_pull_secret_without_kubernetes(run_pulumi, prod) -> None:
    ctx, tenant = site_context(prod, dr=True), prod.tenants[1]

    def program() -> None:
        HarborProject(
            "hr-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx, create_pull_secret=False)
        )

    result = run_pulumi(program, stack="prod")
    assert of_type(result, "kubernetes:core/v1:Secret") == []


def test_a_group_mapped_twice_is_rejected(prod) -> None:
    tenant = prod.tenants[0].model_copy(
        update={
            "oidc_groups": prod.tenants[0].oidc_groups.model_copy(
                update={"view": ["marketing-admins"]}
            )
        }
    )
    with pytest.raises(ComponentInputError) as err:
        validate_harbor_project(HarborProjectArgs(tenant=tenant, ctx=site_context(prod, dr=True)))
    assert str(err.value) == (
        "tenant 'marketing': oidcGroups.view: group 'marketing-admins' is already mapped as "
        "'admin'; Harbor gives a group one role per project"
    )


def test_bad_quota_is_rejected_before_registration(prod) -> None:
    ctx, tenant = site_context(prod, dr=True), prod.tenants[0]
    error, records = registered_before_error(
        lambda: HarborProject("m", HarborProjectArgs(tenant=tenant, ctx=ctx, storage_quota_gb=0))
    )
    assert str(error) == "tenant 'marketing': harbor.storageQuotaGb: 0 must be at least 1 GB"
    assert records == []


# --- replication ------------------------------------------------------------------------------


def build_replication(cfg: StackConfig, **overrides: Any) -> Any:
    ctx = site_context(cfg, dr=True)
    kwargs: dict[str, Any] = {
        "ctx": ctx,
        "peer": cfg.dr.peer,
        "projects": served_model_projects(cfg.tenants, cfg.harbor.host),
        "access_id": "robot$dr-replicator",
        "access_secret": PEER_SECRET,
        **overrides,
    }

    def program() -> None:
        HarborReplication("harbor-dr", HarborReplicationArgs(**kwargs))

    return program


def test_served_model_projects_of_the_prod_example(prod) -> None:
    assert served_model_projects(prod.tenants, "harbor.primary.example.com") == ("marketing",)
    assert served_model_projects(prod.tenants, "harbor.dr.example.com") == ()


def test_peer_registry_and_event_based_push_rule(run_pulumi, prod) -> None:
    result = run_pulumi(build_replication(prod), stack="prod")
    registry = one(result, "harbor-dr-peer")
    assert registry.inputs == {
        "accessId": "robot$dr-replicator",
        "accessSecret": "[secret]",
        "description": "Harbor of DR peer site busan-dr (stack dr)",
        "endpointUrl": "https://harbor.dr.example.com",
        "insecure": False,
        "name": "busan-dr-harbor",
        "providerName": "harbor",
    }
    rules = of_type(result, "harbor:index/replication:Replication")
    assert [r.name for r in rules] == ["harbor-dr-marketing"]
    inputs = dict(rules[0].inputs)
    registry_id = inputs.pop("registryId")
    assert isinstance(registry_id, int) and registry_id > 0
    assert inputs == {
        "action": "push",
        "deletion": False,
        "description": "Push marketing to busan-dr (§9.3.2 item 1)",
        "destNamespaceReplace": 0,
        "enabled": True,
        "filters": [{"name": "marketing/**"}],
        "name": "marketing-to-busan-dr",
        "override": True,
        "schedule": "event_based",
    }
    assert of_type(result, HARBOR_REPLICATION_TYPE)[0].name == "harbor-dr"
    assert PEER_SECRET not in json.dumps([r.to_json() for r in result.resources])


def test_cron_schedule_and_one_rule_per_project(run_pulumi, prod) -> None:
    program = build_replication(prod, projects=("marketing", "hr"), schedule="*/15 * * * *")
    result = run_pulumi(program, stack="prod")
    rules = of_type(result, "harbor:index/replication:Replication")
    assert [(r.inputs["name"], r.inputs["schedule"], r.inputs["filters"]) for r in rules] == [
        ("hr-to-busan-dr", "0 */15 * * * *", [{"name": "hr/**"}]),
        ("marketing-to-busan-dr", "0 */15 * * * *", [{"name": "marketing/**"}]),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "event_based"),
        ("event_based", "event_based"),
        ("0 2 * * *", "0 0 2 * * *"),
        ("0 0 2 * * *", "0 0 2 * * *"),
    ],
)
def test_harbor_schedule(value: str | None, expected: str) -> None:
    assert harbor_schedule(value) == expected


@pytest.mark.parametrize("value", ["manual", "every hour", "* * *", "0 0 0 0 0 0 0"])
def test_harbor_schedule_rejects_non_cron(value: str) -> None:
    with pytest.raises(ValueError, match="is neither 'event_based' nor a cron expression"):
        harbor_schedule(value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"projects": ()},
            "site 'seoul-primary': dr.replication: no project holds a served model: "
            "nothing to replicate",
        ),
        (
            {"projects": ("marketing", "marketing")},
            "site 'seoul-primary': dr.replication.projects: project 'marketing' is listed "
            "twice: one push rule per project keeps one writer per repository path",
        ),
        (
            {"schedule": "hourly"},
            "site 'seoul-primary': dr.replicationSchedule: 'hourly' is neither 'event_based' "
            "nor a cron expression ('0 */15 * * * *' with seconds, or '*/15 * * * *')",
        ),
        (
            {"access_secret": None},
            "site 'seoul-primary': dr.peer.credentials: access_id and access_secret go "
            "together (the peer robot's name and secret)",
        ),
    ],
)
def test_bad_replication_input_is_rejected(prod, overrides: dict[str, Any], message: str) -> None:
    kwargs: dict[str, Any] = {
        "ctx": site_context(prod, dr=True),
        "peer": prod.dr.peer,
        "projects": ("marketing",),
        "access_id": "robot$x",
        "access_secret": PEER_SECRET,
        **overrides,
    }
    with pytest.raises(ComponentInputError) as err:
        validate_harbor_replication(HarborReplicationArgs(**kwargs))
    assert str(err.value) == message


def test_replicating_to_itself_is_rejected(run_pulumi, prod) -> None:
    peer = prod.dr.peer.model_copy(update={"harbor_url": "https://harbor.primary.example.com"})
    with pytest.raises(ComponentInputError) as err:
        run_pulumi(build_replication(prod, peer=peer), stack="prod")
    assert str(err.value) == (
        "site 'seoul-primary': dr.peer.harborUrl: 'https://harbor.primary.example.com' is "
        "this site's own Harbor; replicating to itself loops"
    )


def test_offline_answers_are_deterministic(run_pulumi, prod) -> None:
    first = run_pulumi(build_projects(prod), stack="prod")
    second = run_pulumi(build_projects(prod), stack="prod")
    assert first.raw_outputs == second.raw_outputs

    def key(r: Any) -> str:
        return r.urn

    assert [r.to_json() for r in sorted(first.resources, key=key)] == [
        r.to_json() for r in sorted(second.resources, key=key)
    ]


# --- the receiving side -----------------------------------------------------------------------


def test_receiver_robot_may_only_push_into_replicated_projects(run_pulumi) -> None:
    dr = load_stack("dr")
    ctx = site_context(dr, dr=True)

    def program() -> None:
        receiver = HarborReplicationReceiver(
            "from-primary",
            HarborReplicationReceiverArgs(ctx=ctx, peer=dr.dr.peer, projects=("marketing", "hr")),
        )
        pulumi.export("replicationRobot", receiver.robot_name)
        pulumi.export("replicationSecret", receiver.robot_secret)

    result = run_pulumi(program, stack="dr")
    robot = one(result, "from-primary-robot")
    access = [
        {"action": "push", "resource": "repository"},
        {"action": "pull", "resource": "repository"},
    ]
    assert robot.inputs == {
        "description": "Push replication from seoul-primary (§9.3.2 item 1)",
        "level": "system",
        "name": "replicate-from-seoul-primary-2026-07",
        "duration": 90,
        "permissions": [
            {"accesses": access, "kind": "project", "namespace": "marketing"},
            {"accesses": access, "kind": "project", "namespace": "hr"},
        ],
    }
    assert result.outputs["replicationRobot"] == "robot$replicate-from-seoul-primary-2026-07"
    assert result.outputs["replicationSecret"] == "[secret]"
    fake = offline_robot_secret("robot$replicate-from-seoul-primary-2026-07")
    assert result.raw_outputs["replicationSecret"] == fake
    assert fake not in json.dumps([r.to_json() for r in result.resources])


def test_receiver_needs_projects() -> None:
    dr = load_stack("dr")
    args = HarborReplicationReceiverArgs(
        ctx=site_context(dr, dr=True), peer=dr.dr.peer, projects=()
    )
    with pytest.raises(ComponentInputError) as err:
        validate_harbor_replication_receiver(args)
    assert str(err.value) == (
        "site 'busan-dr': dr.replication: no project is replicated here: no robot is needed"
    )


def test_robot_lifetime_below_a_day_is_rejected_for_both_robots(prod) -> None:
    dr = load_stack("dr")
    project = HarborProjectArgs(
        tenant=prod.tenants[0], ctx=site_context(prod), robot_duration_days=0
    )
    receiver = HarborReplicationReceiverArgs(
        ctx=site_context(dr, dr=True),
        peer=dr.dr.peer,
        projects=("marketing",),
        robot_duration_days=0,
    )
    with pytest.raises(ComponentInputError) as err:
        validate_harbor_project(project)
    assert str(err.value) == (
        "tenant 'marketing': harbor.robots.expiryDays: 0 must be at least 1 day "
        "(robots always expire; omit it for the site's default)"
    )
    with pytest.raises(ComponentInputError) as err:
        validate_harbor_replication_receiver(receiver)
    assert str(err.value) == (
        "site 'busan-dr': harbor.robots.expiryDays: 0 must be at least 1 day "
        "(robots always expire; omit it for the site's default)"
    )


def test_the_readme_states_the_harbor_roles_the_component_gives() -> None:
    """README, "Who may do what": the Harbor rows are what HarborProject maps in production."""
    from paif_components.harbor_registry import REPLICA_ROLE, SCOPED_ROLE_MAP
    from tests.support.readme_tables import who_may_do_what

    rows = {
        label: cells for label, cells in who_may_do_what().items() if label.startswith("Harbor:")
    }
    assert len(rows) == 3

    def role(cell: str) -> str:
        return cell.split(" ", 1)[0]

    assert {k: role(c) for k, c in rows["Harbor: the tenant's project"].items()} == SCOPED_ROLE_MAP
    target = "Harbor: a project replication writes into (the DR site's copy)"
    assert {role(c) for c in rows[target].values()} == {REPLICA_ROLE}
    [administration] = [cells for label, cells in rows.items() if "settings" in label]
    assert set(administration.values()) == {"no"}
    assert not {"projectadmin", "maintainer"} & {*SCOPED_ROLE_MAP.values(), REPLICA_ROLE}
