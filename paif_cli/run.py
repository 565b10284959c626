"""Stage 2 of ``paif plan``: run a stack's program under the plan's mocks and record it.

Nothing here knows what the program declares: it runs the same ``__main__.py`` as
``pulumi up`` with the stack's config and records every registration. Stack references are
answered from the peer's outputs (this run's plan of it, or the last run's plan.json), so a DR
stack plans without credentials too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from paif_cli.errors import ProgramError
from paif_cli.load import LoadedStack, PeerOutputs
from paif_cli.mock_runtime import PlanMocks, run_program
from paif_cli.offline.vsphere import declared_hardware_invokes
from paif_cli.record import StackPlan

__all__ = ["run_stack"]


def run_stack(
    project_dir: Path,
    project: str,
    loaded: LoadedStack,
    peers: Mapping[str, PeerOutputs | None],
    *,
    sdk_shortcuts: bool = True,
) -> StackPlan:
    """Run one stack's program; ``peers``: the outputs of the stacks it references, by the
    name its config gives them (``None``: not planned, in this run or before it);
    ``sdk_shortcuts``: take the SDK shortcuts the installed pulumi allows."""
    config, stack_file = loaded.config, loaded.stack_file
    references: dict[str, dict[str, object]] = {}
    secret_names: dict[str, list[str]] = {}
    if config.dr.peer is not None and config.dr.role == "dr":
        peer = config.dr.peer.stack
        outputs = peers.get(peer)
        if outputs is None:
            raise ProgramError(
                f"{stack_file.file_name}: paif:dr.peer.stack: the peer stack {peer!r} has no "
                f"plan yet: run `paif plan --stack {peer.rsplit('/', 1)[-1]} "
                f"--stack {loaded.stack}`"
            )
        references[peer] = outputs.outputs
        secret_names[peer] = outputs.secret_names
    # Offline, the hosts offer what the stack declares (and the catalogue): vCenter checks it.
    mocks = PlanMocks(
        stack_references=references,
        stack_reference_secrets=secret_names,
        invokes=declared_hardware_invokes(config),
    )
    result = run_program(
        project_dir / "__main__.py",
        mocks,
        project=project,
        stack=loaded.stack,
        config=loaded.values,
        secret_keys=sorted(stack_file.secret_keys),
        cwd=project_dir,
        sdk_shortcuts_wanted=sdk_shortcuts,
    )
    return StackPlan(loaded.stack, project, stack_file.file_name, config, result)
