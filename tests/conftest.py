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
