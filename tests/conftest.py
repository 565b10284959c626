"""Shared fixtures: a fresh mock runtime per test, never one set at import time; the example
plans once per session. Helpers the tests import live in ``tests/support``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from paif_cli.mock_runtime import PlanMocks, ProgramResult, run_program
from tests.support.programs import RunProgram
from tests.support.stacks import ROOT, SCHEMAS, write_project

# No per-example deadline: property tests check behaviour, not speed (performance is the
# benchmark's), and a garbage-collector pause must not fail one example on a busy machine.
settings.register_profile("paif", deadline=None)
settings.load_profile("paif")

# The slower tiers, each with its own make target; a test there carries its tier's marker.
TIERS = ("engine", "packaging", "scanners", "drill")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(tests).parts
        if parts and parts[0] in TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture
def run_pulumi() -> RunProgram:
    """Run a callable Pulumi program under the plan's mocks and return what it registered.

    ``run_pulumi(program, stack="prod", config={"paif:environment": "prod"}, mocks=None)``.
    Each call builds a fresh event loop and settings and tears them down afterwards.
    """

    def run(
        program: Callable[[], Any],
        *,
        stack: str = "test",
        project: str = "paif",
        config: Mapping[str, Any] | None = None,
        secret_keys: list[str] | None = None,
        mocks: PlanMocks | None = None,
    ) -> ProgramResult:
        return run_program(
            program,
            mocks or PlanMocks(),
            project=project,
            stack=stack,
            config=config,
            secret_keys=secret_keys,
        )

    return run


@pytest.fixture(scope="session")
def example_plans(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """``paif plan --stack prod --stack dr`` of the example stacks, once per session.

    (exit code, out dir). Read-only for the tests that share it.
    """
    from paif_cli.main import main

    out = tmp_path_factory.mktemp("example-plans") / "out"
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT), "--out", str(out),
         "--quiet", "--format", "none"]
    )  # fmt: skip
    return code, out


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    return SCHEMAS


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project({"prod": config_mapping, ...})`` → a project dir to plan."""

    def make(stacks: Mapping[str, Mapping[str, Any]], name: str = "project") -> Path:
        return write_project(tmp_path / name, stacks)

    return make


@pytest.fixture(scope="session")
def example_out(example_plans: tuple[int, Path]) -> Path:
    """The out dir of the session's plan of both example stacks (out/<stack>/...)."""
    code, out = example_plans
    assert code == 0
    return out
