"""PAIF-SEC-011 (people read and operate in production), PAIF-SEC-012 (Harbor rights of people)
and PAIF-SEC-013 (robots expire) on compliant and violating stacks, through the real analyzer;
PAIF-SEC-002 is in test_rules_security.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor
import pytest

from paif_components.tenant_rbac import GROUP_KINDS, scoped_role_rules
from paif_policies.rules.access import rule_grants
from tests.support.policy import ProgramResult, check, run_site

SITE: dict[str, Any] = {
    "site": "seoul-primary",
    "environment": "prod",
    "waivers": [],
    "oidc": {"issuerUrl": "https://auth.vcfa.primary.example.com", "clientId": "paif-gateway"},
}
RBAC = "rbac.authorization.k8s.io"
GROUP = {"apiGroup": RBAC, "kind": "Group", "name": "oidc:marketing-admins"}


def binding(name: str, role_kind: str, role: str, subjects: list[dict[str, Any]]) -> None:
    k8s.rbac.v1.RoleBinding(
        name,
        metadata={"name": name, "namespace": "marketing-ns"},
        role_ref={"apiGroup": RBAC, "kind": role_kind, "name": role},
        subjects=subjects,
    )


def role(
    name: str, rules: list[dict[str, Any]], namespace: str = "marketing-ns", target: str = ""
) -> None:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if target:
        metadata["annotations"] = {"paif.vmware.com/target": target}
    k8s.rbac.v1.Role(f"{target}{namespace}-{name}", metadata=metadata, rules=rules)


def run(build: Any, environment: str = "prod") -> ProgramResult:
    return run_site({**SITE, "environment": environment}, build)


def test_scoped_roles_grant_nothing_production_reserves_for_the_stack() -> None:
    for kind in GROUP_KINDS:
        assert [g for r in scoped_role_rules(kind) for g in rule_grants(r)] == []

    def build() -> None:
        for kind in GROUP_KINDS:
            role(f"marketing-{kind}", scoped_role_rules(kind))
            binding(f"marketing-{kind}", "Role", f"marketing-{kind}", [GROUP])

    assert check(run(build), "PAIF-SEC-011") == []


def test_the_example_stacks_pass_with_their_scoped_roles(example_out: Path) -> None:
    for stack in ("prod", "dr"):
        planned = json.loads((example_out / stack / "plan.json").read_text())
        assert [v for v in planned["policy"]["violations"] if v["ruleId"] == "PAIF-SEC-011"] == []
        refs = [
            r["inputs"]["roleRef"]
            for r in planned["resources"]
            if r["type"] == "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
        ]
        assert refs and {ref["kind"] for ref in refs} == {"Role"}


@pytest.mark.parametrize("builtin", ["admin", "edit", "cluster-admin"])
def test_a_writing_builtin_role_for_people_fails_in_production(builtin: str) -> None:
    def build() -> None:
        binding("marketing-admin", "ClusterRole", builtin, [GROUP])

    assert check(run(build), "PAIF-SEC-011") == [
        (
            "mandatory",
            "marketing-admin",
            f"RoleBinding marketing-ns/marketing-admin gives Group 'oidc:marketing-admins' the "
            f"built-in role {builtin!r}, which writes workloads, ConfigMaps, Services and "
            "Secrets; bind the scoped Roles (paif:tenants[].roles: scoped)",
        )
    ]
    assert check(run(build, environment="dev"), "PAIF-SEC-011") == []


def test_view_and_service_accounts_are_not_judged() -> None:
    def build() -> None:
        binding("marketing-view", "ClusterRole", "view", [GROUP])
        account = {"kind": "ServiceAccount", "name": "deployer", "namespace": "marketing-ns"}
        binding("deployer", "ClusterRole", "edit", [account])

    assert check(run(build), "PAIF-SEC-011") == []


def test_a_declared_role_is_judged_by_its_rules() -> None:
    def build() -> None:
        role(
            "operator",
            [
                {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
            ],
        )
        binding("operators", "Role", "operator", [GROUP])
        # Same name in another namespace, or in the same namespace of a VKS cluster's API
        # (declared first): not the role the binding means.
        writes = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]
        role("reader", writes, "hr-ns")
        role("reader", writes, target="marketing-apps")
        role("reader", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}])
        binding("readers", "Role", "reader", [GROUP])

    assert check(run(build), "PAIF-SEC-011") == [
        (
            "mandatory",
            "operators",
            "RoleBinding marketing-ns/operators gives Group 'oidc:marketing-admins' Role "
            "marketing-ns/operator, which grants patch on deployments; get on secrets; a shell "
            "through pods/exec; people read and operate in production, the stack changes",
        )
    ]


# --- PAIF-SEC-012: Harbor rights of people --------------------------------------------------


def harbor_project(name: str, members: dict[str, str]) -> None:
    """A Harbor project and OIDC member groups (group -> role), linked as the component does."""
    project = harbor.Project(name, name=name, public=False, vulnerability_scanning=True)
    for group, role_ in members.items():
        harbor.ProjectMemberGroup(
            f"{name}-{group}", project_id=project.id, type="oidc", group_name=group, role=role_
        )


def test_production_groups_that_push_and_pull_pass() -> None:
    def build() -> None:
        harbor_project("marketing", {"admins": "developer", "devs": "developer", "all": "guest"})

    assert check(run(build), "PAIF-SEC-012") == []


@pytest.mark.parametrize("administering", ["projectadmin", "maintainer"])
def test_a_human_group_administering_a_project_fails_in_production(administering: str) -> None:
    """The held-back case: ``projectadmin`` for a human group."""

    def build() -> None:
        harbor_project("marketing", {"marketing-admins": administering})

    assert check(run(build), "PAIF-SEC-012") == [
        (
            "mandatory",
            "marketing-marketing-admins",
            f"Harbor project 'marketing': oidc group 'marketing-admins' is {administering}, "
            "which administers the project (visibility, members, robots, image deletion, "
            "immutability rules) outside the stack; give people developer at most",
        )
    ]
    assert check(run(build, environment="dev"), "PAIF-SEC-012") == []


def test_people_pushing_into_a_replication_target_fail() -> None:
    def build() -> None:
        harbor_project("marketing", {"marketing-developers": "developer", "viewers": "guest"})
        harbor_project("hr", {"hr-admins": "developer"})

    result = run_site({**SITE, "replicationTargets": ["marketing"]}, build)
    assert check(result, "PAIF-SEC-012") == [
        (
            "mandatory",
            "marketing-marketing-developers",
            "Harbor project 'marketing' is written by replication from the peer site, and oidc "
            "group 'marketing-developers' is developer, which pushes into it; give people guest "
            "there and push to the site that owns the project",
        )
    ]


def test_the_example_stacks_give_people_no_harbor_administration(example_out: Path) -> None:
    for stack in ("prod", "dr"):
        planned = json.loads((example_out / stack / "plan.json").read_text())
        found = [v for v in planned["policy"]["violations"] if v["ruleId"] == "PAIF-SEC-012"]
        assert found == [], stack
    dr = json.loads((example_out / "dr" / "plan.json").read_text())
    site = next(r for r in dr["resources"] if r["type"] == "paif:site:PaifSite")
    assert site["inputs"]["replicationTargets"] == ["marketing"]


# --- PAIF-SEC-013: robots expire ------------------------------------------------------------


def robot(name: str, duration: int | None) -> None:
    access = [harbor.RobotAccountPermissionAccessArgs(action="pull", resource="repository")]
    harbor.RobotAccount(
        name,
        name=name,
        level="project",
        duration=duration,
        permissions=[
            harbor.RobotAccountPermissionArgs(
                kind="project", namespace="marketing", accesses=access
            )
        ],
    )


def test_robots_that_never_expire_or_live_too_long_fail() -> None:
    def build() -> None:
        robot("forever", None)
        robot("minus-one", -1)
        robot("a-year", 365)
        robot("quarterly", 90)

    assert check(run(build), "PAIF-SEC-013") == [
        (
            "mandatory",
            "a-year",
            "Harbor robot 'a-year' lives 365 days, longer than the 90 allowed; rotate more often",
        ),
        (
            "mandatory",
            "forever",
            "Harbor robot 'forever' never expires (duration unset): a leaked secret works "
            "forever; give it an expiry of at most 90 days",
        ),
        (
            "mandatory",
            "minus-one",
            "Harbor robot 'minus-one' never expires (duration -1): a leaked secret works "
            "forever; give it an expiry of at most 90 days",
        ),
    ]
    relaxed = check(run(build), "PAIF-SEC-013", {"PAIF-SEC-013": {"maxDays": 365}})
    assert [name for _, name, _ in relaxed] == ["forever", "minus-one"]
    assert {row[0] for row in check(run(build, environment="dev"), "PAIF-SEC-013")} == {"advisory"}
