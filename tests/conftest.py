"""Shared test fixtures: a fresh mock runtime per test, never one set at import time."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from paif_cli.mock_runtime import PlanMocks, ProgramResult, run_program  # noqa: E402

RunProgram = Callable[..., ProgramResult]


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
def shared_dir() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


def load_example(stack: str) -> dict[str, Any]:
    """The ``config:`` mapping of an example stack file, as plain data to mutate in tests."""
    import yaml

    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]


def write_project(directory: Path, stacks: Mapping[str, Mapping[str, Any]]) -> Path:
    """A throwaway project: the real Pulumi.yaml and __main__.py plus the given stack configs."""
    import shutil

    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    for name, config in stacks.items():
        (directory / f"Pulumi.{name}.yaml").write_text(
            yaml.safe_dump({"config": dict(config)}, sort_keys=False), encoding="utf-8"
        )
    return directory


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project({"prod": config_mapping, ...})`` → a project dir to plan."""

    def make(stacks: Mapping[str, Mapping[str, Any]], name: str = "project") -> Path:
        return write_project(tmp_path / name, stacks)

    return make
