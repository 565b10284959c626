"""A split site (``paif:layout``, docs/splitting.md) with the real CLI: the example prod stack as
a platform stack and two tenant-group stacks, each ``up`` with the pack on a site of its own;
what each stack created is what ``paif plan`` of the three together records, the tenants'
objects reach the API server, and a second preview of each changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.cluster import Etcd
from tests.engine.harness import Project
from tests.engine.sites import (
    Layout,
    Site,
    engine_config,
    new_project,
    settle_database_hosts,
    stack_secrets,
    start_site,
)

# Stack names of their own: the tier's stacks share one backend (and `prod` is the workflows').
PLATFORM = "split"
GROUPS = {"split-tenants-a": ["marketing"], "split-tenants-b": ["hr", "dev"]}
STACKS = [PLATFORM, *GROUPS]


@pytest.fixture(scope="module")
def site(
    etcd: Etcd, namespaces: Layout, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    server = start_site(etcd, "split", tmp_path_factory.mktemp("split-apiservers"), namespaces)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(workspace: dict[str, Any], site: Site) -> Project:
    project = new_project(workspace, "paif-split")
    platform = {**engine_config("prod", site), "paif:layout": {"tenantStacks": GROUPS}}
    project.init_stack(PLATFORM, platform, stack_secrets(site))
    providers = {k: v for k, v in platform.items() if not k.startswith("paif:")}
    for group in GROUPS:
        config = {**providers, "paif:layout": {"site": PLATFORM}}
        project.init_stack(group, config, stack_secrets(site))
    return project


def _state_urns(project: Project, stack: str) -> set[str]:
    exported = project.pulumi("stack", "export", "--stack", stack).stdout
    return {r["urn"] for r in json.loads(exported)["deployment"]["resources"]}


def _planned(out: Path, stack: str) -> set[str]:
    return {r["urn"] for r in json.loads((out / stack / "plan.json").read_text())["resources"]}


def test_the_split_site_comes_up_stack_by_stack_as_paif_plan_records_it(
    project: Project, site: Site
) -> None:
    for stack in STACKS:  # the platform first: the groups look up its content library
        project.pulumi(
            "up", "--stack", stack, "--yes", "--skip-preview", "--policy-pack", str(project.pack)
        )
    code, out = project.paif_plan(*STACKS)
    assert code == 0
    for stack in STACKS:
        created = {u for u in _state_urns(project, stack) if "pulumi:pulumi:Stack" not in u}
        assert created == _planned(out, stack), stack
    platform_types = {u.split("::")[2] for u in _state_urns(project, PLATFORM)}
    assert any("GpuWorkloadDomain" in t for t in platform_types)
    assert not any("paif:tenancy:Tenant" in t for t in platform_types)
    for group in GROUPS:
        types = {u.split("::")[2] for u in _state_urns(project, group)}
        assert not any("GpuWorkloadDomain" in t for t in types), group
    # Each group's tenants reached the Supervisor.
    endpoints = site.supervisor.get(
        "/apis/pais.vmware.com/v1alpha1/namespaces/marketing-ns/modelendpoints"
    )
    assert endpoints and len(endpoints["items"]) == 2
    for namespace in ("hr-ns", "dev-ns"):
        quota = site.supervisor.get(f"/api/v1/namespaces/{namespace}/resourcequotas")
        assert quota and quota["items"], namespace
    # DSM reports its databases' hosts, which the groups' app wiring and PAIS read (sites.py).
    for group in GROUPS:
        settle_database_hosts(project, group, site.supervisor, "--policy-pack", str(project.pack))
    for stack in STACKS:
        project.pulumi("preview", "--stack", stack, "--expect-no-changes")
