"""Shared test fixtures: a fresh mock runtime per test, never one set at import time."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from pulumi.runtime.stack import run_in_stack

# No per-example deadline: property tests check behaviour, not speed (performance is the
# benchmark's), and a garbage-collector pause must not fail one example on a busy machine.
settings.register_profile("paif", deadline=None)
settings.load_profile("paif")

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.config import StackConfig, parse_stack_config, read_stack_file  # noqa: E402
from components.config.models import Tenant  # noqa: E402
from components.context import SiteContext  # noqa: E402
from components.errors import ComponentInputError  # noqa: E402
from paif_cli.mock_runtime import (  # noqa: E402
    PlanMocks,
    ProgramResult,
    ResourceRecord,
    mock_runtime,
    run_program,
)

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


def registered_before_error(
    program: Callable[[], Any],
    error: type[Exception] = ComponentInputError,
    *,
    match: str | None = None,
    mocks: PlanMocks | None = None,
    stack: str = "prod",
) -> tuple[Exception, list[ResourceRecord]]:
    """Run a program that must raise ``error``; return it and what was registered before it.

    ``run_pulumi`` returns nothing when the program fails, and a fresh run afterwards would show
    an empty runtime whatever happened: validation-before-registration needs the failing run's
    own records.
    """
    with mock_runtime(mocks or PlanMocks(), project="paif", stack=stack) as (monitor, loop):
        with pytest.raises(error, match=match) as info:
            loop.run_until_complete(run_in_stack(program))
        return info.value, list(monitor.records)


def nsx_mocks() -> PlanMocks:
    """Mocks that give NSX resources a ``path`` and Avi resources a ``uuid``, from their name.

    The offline plan computes no state for the parameterized NSX/Avi packages; these tests check
    that the binding wires one resource's computed path/uuid into the next.
    """
    from components.nsx_binding import BOUND_RESOURCES

    def computed(cls: Any) -> Callable[[Any], dict[str, Any]]:
        if cls.type_token().startswith("avi:"):
            return lambda args: {"uuid": f"{args.name}-uuid"}
        return lambda args: {"path": f"/infra/mock/{args.name}"}

    return PlanMocks(computed={cls.type_token(): computed(cls) for cls in BOUND_RESOURCES})


def by_name(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    """Records keyed by resource name (names are unique within one test program)."""
    return {r.name: r for r in records}


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


def load_example(stack: str) -> dict[str, Any]:
    """The ``config:`` mapping of an example stack file, as plain data to mutate in tests."""
    import yaml

    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]


def load_stack(
    stack: str = "prod",
    edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    environment: str | None = None,
) -> StackConfig:
    """An example stack parsed; its raw values first get ``environment``, then ``edit``."""
    stack_file = read_stack_file(ROOT, stack)
    values = copy.deepcopy(stack_file.values)
    if environment is not None:
        values["paif:environment"] = environment
    if edit is not None:
        edit(values)
    return parse_stack_config(values, stack_file.file_name)


def raw_pair(pattern: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The example stacks' config with only paif:dr.pattern changed (plus gslb for A-A)."""
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    return prod, dr


def parse_pair(prod: dict[str, Any], dr: dict[str, Any]) -> tuple[StackConfig, StackConfig]:
    """The (primary, DR) stack configs of two raw ``config:`` mappings."""
    return (
        parse_stack_config(prod, "Pulumi.prod.yaml"),
        parse_stack_config(dr, "Pulumi.dr.yaml"),
    )


def marketing(cfg: StackConfig) -> Tenant:
    """The example stacks' first tenant, the one most tests build."""
    return next(t for t in cfg.tenants if t.name == "marketing")


def site_context(cfg: StackConfig, *, dr: bool = False) -> SiteContext:
    """The site facts of ``cfg``; ``dr=True`` also carries its DR role and pattern."""
    if dr:
        return SiteContext(
            site=cfg.site,
            environment=cfg.environment,
            harbor=cfg.harbor,
            workload_domain=cfg.workload_domain,
            role=cfg.dr.role,
            pattern=cfg.dr.pattern,
        )
    return SiteContext(
        site=cfg.site,
        environment=cfg.environment,
        harbor=cfg.harbor,
        workload_domain=cfg.workload_domain,
    )


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


@pytest.fixture(scope="session")
def example_out(example_plans: tuple[int, Path]) -> Path:
    """The out dir of the session's plan of both example stacks (out/<stack>/...)."""
    code, out = example_plans
    assert code == 0
    return out
