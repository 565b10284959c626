"""``paif plan`` as a pipeline: load → run → gate → render, per stack; then write → report.

Each stage is a module that imports only the stages before it (and the plan record):
:mod:`~paif_cli.load` reads the project, the stack files and the pack config;
:mod:`~paif_cli.run` runs the stack's program under the plan's mocks; :mod:`~paif_cli.gate`
evaluates the policy pack; :mod:`~paif_cli.render` turns the result into the reviewer's
documents; :mod:`~paif_cli.write` writes the out tree once every stack has planned, so a failed
run writes nothing; :mod:`~paif_cli.report` says on the terminal what was planned and found.

Several stacks plan at once: a DR stack reads its primary's stack outputs (a
``StackReference``), which exist once the primary's program has run; the primary's gate and
the DR stack's whole plan are then independent. With ``jobs`` above one, each stack whose peers
in this run have run their programs is planned in a forked worker while this process gates the
stack before it, so a primary and its DR stack share two cores. Workers only plan: they send
their ``StackPlan`` back, and the caller writes every stack once all planned, exactly as with
one job, so the out trees are byte-identical whatever ``jobs`` is. A worker's error is reported
as the caller would report it, in the stack order of one job.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pulumi.runtime.proto import resource_pb2

from paif_cli import report
from paif_cli.collector import collector_paused
from paif_cli.errors import StackFailed, error_text
from paif_cli.gate import gate_plan
from paif_cli.load import (
    PeerOutputs,
    load_stack,
    peer_stacks,
    previous_outputs,
    project_name,
)
from paif_cli.record import StackPlan
from paif_cli.render import render_stack
from paif_cli.run import run_stack
from paif_cli.sdk_adapter import check_versions
from paif_cli.write import write_plan, write_run

__all__ = ["PlanOptions", "default_jobs", "gate_stack", "plan_stack", "plan_stacks", "run_plan"]


@dataclass(frozen=True)
class PlanOptions:
    """One ``paif plan`` run, as its flags give it."""

    project_dir: Path
    stacks: Sequence[str]
    out_dir: Path
    jobs: int = 1
    pack_config: Mapping[str, Any] | None = None
    findings_format: str = "table"
    quiet: bool = False
    debug: bool = False
    # Take the shortcuts through the Pulumi SDKs' internals their versions allow
    # (paif_cli.sdk_adapter); off: the SDKs' own code everywhere, the same plan.
    sdk_shortcuts: bool = True


def default_jobs() -> int:
    """One job per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def run_plan(options: PlanOptions, stdout: TextIO, stderr: TextIO) -> bool:
    """Plan, gate, write and report every stack of ``options``; whether a stack is blocked."""
    for note in check_versions(wanted=options.sdk_shortcuts).notes:
        print(f"note: {note}", file=stderr)
    planned = plan_stacks(
        options.project_dir,
        options.stacks,
        out_dir=options.out_dir.resolve(),
        jobs=options.jobs,
        pack_config=options.pack_config,
        debug=options.debug,
        sdk_shortcuts=options.sdk_shortcuts,
    )
    plans = list(planned.values())
    # Write only once every stack planned: a failed run leaves no half-written plan.
    with collector_paused():
        failed = False
        for plan in plans:
            target = write_plan(plan, options.out_dir)
            if not options.quiet:
                print(report.summary(plan), file=stdout)
            findings = report.render_findings(plan, options.findings_format)
            if findings:
                print(findings, file=stdout)
            print(f"  wrote {target}", file=stdout)
            failed = failed or bool(plan.mandatory_failures)
        for path in write_run(plans, options.out_dir):
            print(f"wrote {path}", file=stdout)
    return failed


def plan_stack(
    project_dir: Path,
    stack: str,
    *,
    planned: Mapping[str, StackPlan] | None = None,
    out_dir: Path | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    gate: bool = True,
    pack_config: Mapping[str, Any] | None = None,
    sdk_shortcuts: bool = True,
) -> StackPlan:
    """Load, run, gate and render one stack; raise ConfigError or a ``paif_cli.errors`` error
    with a user-readable message.

    ``gate=False`` stops after the program (config, program, outputs: all a DR stack needs of
    its primary); :func:`gate_stack` does the rest.
    """
    project_dir = Path(project_dir).resolve()
    project = project_name(project_dir)
    loaded = load_stack(project_dir, stack, config_overrides)
    peers: dict[str, PeerOutputs | None] = {}
    if loaded.config.dr.peer is not None and loaded.config.dr.role == "dr":
        peer = loaded.config.dr.peer.stack
        peers[peer] = _peer_outputs(peer, planned or {}, out_dir)
    plan = run_stack(project_dir, project, loaded, peers, sdk_shortcuts=sdk_shortcuts)
    if gate:
        gate_stack(plan, pack_config, sdk_shortcuts=sdk_shortcuts)
    return plan


def gate_stack(
    plan: StackPlan, pack_config: Mapping[str, Any] | None = None, *, sdk_shortcuts: bool = True
) -> None:
    """What ``plan_stack`` does after the program: the policy gate and the documents."""
    with collector_paused():
        gate_plan(plan, pack_config, sdk_shortcuts=sdk_shortcuts)
        render_stack(plan)


def _peer_outputs(
    stack_name: str, planned: Mapping[str, StackPlan], out_dir: Path | None
) -> PeerOutputs | None:
    """What a StackReference to ``stack_name`` sees: this run's plan, else the last one."""
    short = stack_name.rsplit("/", 1)[-1]
    if short in planned:
        result = planned[short].result
        return PeerOutputs(dict(result.raw_outputs), list(result.secret_outputs))
    return previous_outputs(short, out_dir)


# --- several stacks, in worker processes ------------------------------------------------------


@dataclass
class _Worker:
    pid: int
    pipe: int


def plan_stacks(
    project_dir: Path,
    stacks: Sequence[str],
    *,
    out_dir: Path | None,
    jobs: int,
    pack_config: Mapping[str, Any] | None = None,
    debug: bool = False,
    sdk_shortcuts: bool = True,
) -> dict[str, StackPlan]:
    """Plan ``stacks`` (peers first, duplicates ignored) with up to ``jobs`` processes."""
    order = list(dict.fromkeys(stacks))
    planned: dict[str, StackPlan] = {}
    workers: dict[str, _Worker] = {}

    def plan_one(stack: str, *, gate: bool = True) -> StackPlan:
        return plan_stack(
            project_dir,
            stack,
            planned=planned,
            out_dir=out_dir,
            gate=gate,
            pack_config=pack_config,
            sdk_shortcuts=sdk_shortcuts,
        )

    try:
        for index, stack in enumerate(order):
            if stack in workers:
                continue
            try:
                for peer in peer_stacks(project_dir, stack) if workers else []:
                    if peer in workers:
                        planned[peer] = _collect(workers.pop(peer))
                if jobs <= 1 or len(order) == 1:
                    planned[stack] = plan_one(stack)
                    continue
                plan = plan_one(stack, gate=False)
                planned[stack] = plan
                for later in order[index + 1 :]:
                    if len(workers) >= jobs - 1:
                        break
                    if later in workers or later in planned:
                        continue
                    if all(peer in planned for peer in peer_stacks(project_dir, later)):
                        workers[later] = _start(lambda s=later: plan_one(s), debug)
                gate_stack(plan, pack_config, sdk_shortcuts=sdk_shortcuts)
            except BaseException:
                # One job would have stopped at an earlier stack's error: report that one.
                for earlier in order[:index]:
                    if earlier in workers:
                        _collect(workers.pop(earlier))
                raise
        for stack in list(workers):
            planned[stack] = _collect(workers.pop(stack))
    finally:
        gc.unfreeze()
        for worker in workers.values():  # a failure in this process: the workers' plans go
            with contextlib.suppress(OSError):
                os.kill(worker.pid, 9)
            with contextlib.suppress(OSError):
                os.waitpid(worker.pid, 0)
            with contextlib.suppress(OSError):
                os.close(worker.pipe)
    return {stack: planned[stack] for stack in order}


def _start(plan: Any, debug: bool) -> _Worker:
    """Fork a worker that runs ``plan()`` and sends the plan (or its error's text) back."""
    read_end, write_end = os.pipe()
    # Objects that exist now are never collected in either process while workers run: the
    # collector would touch (and so copy) every page of the heap both processes share.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the worker: plan, send the plan (or the error) back, leave at once
        code = 0
        try:
            os.close(read_end)
            try:
                result = plan()
                # The SDK's protobuf classes do not pickle: their bytes do.
                result.result.packages = [p.SerializeToString() for p in result.result.packages]
                payload = pickle.dumps(("plan", result), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                payload = pickle.dumps(("error", error_text(exc, debug)))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return _Worker(pid, read_end)


def _collect(worker: _Worker) -> StackPlan:
    with os.fdopen(worker.pipe, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(worker.pid, 0)
    if not payload:
        raise StackFailed(f"error: a planning worker ended without a plan (status {status})\n")
    kind, value = pickle.loads(payload)
    if kind == "error":
        raise StackFailed(value)
    value.result.packages = [
        resource_pb2.RegisterPackageRequest.FromString(data) for data in value.result.packages
    ]
    return value
