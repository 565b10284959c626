"""paif:kubernetes.awaitControllers: false makes the Kubernetes provider wait for no controller
(a stack transform the engine applies to every Kubernetes object)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from paif_cli.mock_runtime import PlanMocks, run_program
from paif_components import controllers
from paif_components.program import run
from tests.support.stacks import load_example, load_stack, write_project


def _args(type_: str, props: dict[str, Any], custom: bool = True) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=custom, type_=type_, name="x", props=props, opts=pulumi.ResourceOptions()
    )


def test_every_kubernetes_object_gets_both_annotations_and_keeps_its_own() -> None:
    props = {"metadata": {"name": "q", "annotations": {"paif.vmware.com/target": "supervisor"}}}
    result = controllers.without_controller_waits(_args("kubernetes:core/v1:ResourceQuota", props))
    assert result is not None
    assert result.props["metadata"] == {
        "name": "q",
        "annotations": {
            "paif.vmware.com/target": "supervisor",
            "pulumi.com/skipAwait": "true",
            "pulumi.com/deletionPropagationPolicy": "background",
        },
    }
    assert props["metadata"]["annotations"] == {"paif.vmware.com/target": "supervisor"}


@pytest.mark.parametrize(
    ("type_", "custom"),
    [
        ("vsphere:index/computeCluster:ComputeCluster", True),
        ("harbor:index/project:Project", True),
        ("kubernetes:yaml/v2:ConfigGroup", False),
    ],
)
def test_nothing_else_is_touched(type_: str, custom: bool) -> None:
    assert controllers.without_controller_waits(_args(type_, {"name": "n"}, custom)) is None


@pytest.mark.parametrize(("value", "registered"), [(None, 0), (True, 0), (False, 1)])
def test_the_stack_registers_the_transform_only_when_asked(
    value: bool | None, registered: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = copy.deepcopy(load_example("prod"))
    if value is not None:
        config["paif:kubernetes"] = {"awaitControllers": value}
    assert load_stack(edit=lambda v: v.update(config)).kubernetes.await_controllers is (
        value is not False
    )
    seen: list[Any] = []
    monkeypatch.setattr(pulumi.runtime, "register_resource_transform", seen.append)
    project = write_project(tmp_path / "p", {"prod": config})
    run_program(lambda: run(project), PlanMocks(), project="paif", stack="prod", config=config)
    assert seen == [controllers.without_controller_waits] * registered


def test_the_offline_plan_keeps_the_transform_and_plans_in_worker_processes(
    tmp_path: Path,
) -> None:
    """The plan runs no engine: the transform is registered, not applied, and registering it
    starts no gRPC server (a forked worker would hang on its threads)."""
    from paif_cli.main import main

    stacks = {}
    for stack in ("prod", "dr"):
        stacks[stack] = copy.deepcopy(load_example(stack))
        stacks[stack]["paif:kubernetes"] = {"awaitControllers": False}
    project = write_project(tmp_path / "p", stacks)
    out = tmp_path / "out"
    args = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project)]
    assert main([*args, "--out", str(out), "--jobs", "2", "--quiet", "--format", "none"]) == 0
    quota = (out / "prod" / "manifests" / "supervisor").glob("resourcequota-*.yaml")
    text = next(iter(quota)).read_text()
    assert "pulumi.com/skipAwait" not in text
