"""Planning several stacks at once: a worker process per stack as soon as its peers have run.

A DR stack reads its primary's stack outputs (a ``StackReference``), which exist once the
primary's program has run; the primary's policy gate and the DR stack's whole plan are then
independent. With ``jobs`` above one, each stack whose peers in this run have run their
programs is planned in a forked worker while this process gates the stack before it, so a
primary and its DR stack share two cores. Workers only plan: they send their ``StackPlan``
back, and the caller writes every stack once all planned, exactly as with one job, so the
out trees are byte-identical whatever ``jobs`` is and a failed run still writes nothing.
A worker's error is reported as the caller would report it, in the stack order of one job.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pulumi.runtime.proto import resource_pb2

from paif_cli.plan import StackPlan, gate_stack, plan_stack

__all__ = ["StackFailed", "default_jobs", "plan_stacks"]


class StackFailed(Exception):
    """A worker's stack failed; ``text`` is its error as ``paif`` prints it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def default_jobs() -> int:
    """One job per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


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
    render_error: Callable[[BaseException], str],
) -> dict[str, StackPlan]:
    """Plan ``stacks`` (peers first, duplicates ignored) with up to ``jobs`` processes."""
    order = list(dict.fromkeys(stacks))
    planned: dict[str, StackPlan] = {}
    workers: dict[str, _Worker] = {}
    try:
        for index, stack in enumerate(order):
            if stack in workers:
                continue
            try:
                for peer in _peers(project_dir, stack) if workers else []:
                    if peer in workers:
                        planned[peer] = _collect(workers.pop(peer))
                if jobs <= 1 or len(order) == 1:
                    planned[stack] = plan_stack(
                        project_dir, stack, planned=planned, out_dir=out_dir
                    )
                    continue
                plan = plan_stack(project_dir, stack, planned=planned, out_dir=out_dir, gate=False)
                planned[stack] = plan
                for later in order[index + 1 :]:
                    if len(workers) >= jobs - 1:
                        break
                    if later in workers or later in planned:
                        continue
                    if all(peer in planned for peer in _peers(project_dir, later)):
                        workers[later] = _start(project_dir, later, planned, out_dir, render_error)
                gate_stack(plan)
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


def _peers(project_dir: Path, stack: str) -> list[str]:
    """The stacks this one reads outputs of (a DR stack's primary); [] if it cannot tell."""
    from components.config import ConfigError, read_stack_file

    try:
        values = read_stack_file(project_dir, stack).values
    except ConfigError:
        return []
    dr = values.get("paif:dr")
    if not isinstance(dr, dict) or dr.get("role") != "dr":
        return []
    peer = dr.get("peer")
    name = peer.get("stack") if isinstance(peer, dict) else None
    return [name.rsplit("/", 1)[-1]] if isinstance(name, str) and name else []


def _start(
    project_dir: Path,
    stack: str,
    planned: dict[str, StackPlan],
    out_dir: Path | None,
    render_error: Callable[[BaseException], str],
) -> _Worker:
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
                plan = plan_stack(project_dir, stack, planned=dict(planned), out_dir=out_dir)
                # The SDK's protobuf classes do not pickle: their bytes do.
                plan.result.packages = [p.SerializeToString() for p in plan.result.packages]
                payload = pickle.dumps(("plan", plan), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                payload = pickle.dumps(("error", render_error(exc)))
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


def error_text(exc: BaseException, debug: bool) -> str:
    """What ``paif`` prints for ``exc`` (``main._print_error``), as text."""
    from paif_cli.main import _print_error

    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        _print_error(exc, debug)
    return buffer.getvalue()
