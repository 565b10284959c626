"""Programs under the plan's mocks: run one, or run one that must fail, and read its records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.runtime.stack import run_in_stack

from paif_cli.mock_runtime import PlanMocks, ProgramResult, ResourceRecord, mock_runtime
from paif_components.errors import ComponentInputError

RunProgram = Callable[..., ProgramResult]


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
    from paif_components.nsx_binding import BOUND_RESOURCES

    def computed(cls: Any) -> Callable[[Any], dict[str, Any]]:
        if cls.type_token().startswith("avi:"):
            return lambda args: {"uuid": f"{args.name}-uuid"}
        return lambda args: {"path": f"/infra/mock/{args.name}"}

    return PlanMocks(computed={cls.type_token(): computed(cls) for cls in BOUND_RESOURCES})


def by_name(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    """Records keyed by resource name (names are unique within one test program)."""
    return {r.name: r for r in records}
