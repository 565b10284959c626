"""The Pulumi SDK's internals the plan's runtime uses, and what it swaps in for them.

Three shortcuts, each computing what the SDK's own code computes:

- six SDK functions swapped while a program runs (:func:`swapped_functions`): how
  ``wait_for_rpcs`` waits for outputs, the stack trace attached to every registration, the set
  a dependency is added to, and three pure functions of type annotations, computed once per
  annotation;
- the mock monitor's answers computed in the caller's thread without an event loop
  (:func:`register`, :func:`read`, :func:`invoke`), where the stock ``MockMonitor`` runs an
  event loop of its own per call;
- an event loop that runs ``run_in_executor(None, ...)`` calls in place
  (:class:`InlineExecutorLoop`), so the monitor is called without a thread per call.

``paif_cli.mock_runtime`` takes the last two only when ``Shortcuts.runtime`` is on; the first is
applied by :func:`paif_cli.sdk_adapter.sdk_shortcuts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
from pulumi import _types as sdk_types
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import resource_cycle_breaker as sdk_cycles
from pulumi.runtime import rpc as sdk_rpc
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime import stack as sdk_stack
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2

__all__ = [
    "OTHER_SIGS",
    "RESOURCE_SIG",
    "ROOT_STACK_TYPE",
    "SECRET_SIG",
    "SPECIAL_SIG_KEY",
    "UNKNOWN",
    "InlineExecutorLoop",
    "WouldBlock",
    "invoke",
    "is_plain",
    "needs_sdk",
    "read",
    "register",
    "serialize_now",
    "signed",
    "swapped_functions",
]

# The wire format's names, as the SDK spells them (``pulumi.runtime.rpc``).
SPECIAL_SIG_KEY: str = sdk_rpc._special_sig_key
SECRET_SIG: str = sdk_rpc._special_secret_sig
RESOURCE_SIG: str = sdk_rpc._special_resource_sig
# Assets, archives and output values: the SDK rebuilds objects from these signatures.
OTHER_SIGS = frozenset(
    {sdk_rpc._special_asset_sig, sdk_rpc._special_archive_sig, sdk_rpc._special_output_value_sig}
)
UNKNOWN: str = sdk_rpc.UNKNOWN
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


# --- six functions swapped while a program runs ---------------------------------------------

# The SDK's own functions, as imported (tests compare the replacements with them).
SDK_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "wait_for_rpcs": sdk_stack.wait_for_rpcs,
    "_get_stack_trace": sdk_resource._get_stack_trace,
    "_add_dep": sdk_cycles._add_dep,
    "unwrap_type": sdk_types.unwrap_type,
    "unwrap_optional_type": sdk_types.unwrap_optional_type,
    "_wire_union_members": sdk_types._wire_union_members,
}


class _Swaps:
    """The replacements, with the caches they share for one program run."""

    def __init__(self) -> None:
        self.source_uris: dict[str, str | None] = {}
        # Stack traces by their (file, line) frames: the components register from the same
        # places for every tenant, and the SDK copies the message into each request.
        self.traces: dict[tuple[tuple[str, int | None], ...], Any] = {}
        # The SDK unwraps ``Input[T]`` / ``Optional[T]`` annotations of the typed resource
        # classes for every property it serializes or translates, through
        # ``typing.get_origin``/``get_args`` each time: pure functions of the annotation, which
        # the classes share across all their resources. And every typed output goes through
        # ``_wire_union_members``, whose ``functools.cache`` hashes the annotation each time: a
        # Union hashes the frozenset of all its members, recursively.
        self.unwrap_type = by_identity(sdk_types.unwrap_type)
        self.unwrap_optional_type = by_identity(sdk_types.unwrap_optional_type)
        self.wire_union_members = by_identity(sdk_types._wire_union_members)

    def source_uri(self, filename: str) -> str | None:
        """``Path(filename).as_uri()``, once per file (``None`` where the SDK gives no
        position)."""
        if filename not in self.source_uris:
            try:
                self.source_uris[filename] = pathlib.Path(filename).as_uri() if filename else None
            except BaseException:  # the SDK's own guard: relative names such as <frozen runpy>
                self.source_uris[filename] = None
        return self.source_uris[filename]

    def stack_trace(self) -> Any:
        return stack_trace(self)


@contextlib.contextmanager
def swapped_functions(enabled: bool) -> Iterator[None]:
    """The six SDK functions replaced for the block (nothing when not ``enabled``)."""
    if not enabled:
        yield
        return
    swaps = _Swaps()
    saved = (
        sdk_stack.wait_for_rpcs,
        sdk_resource._get_stack_trace,
        sdk_cycles._add_dep,
        sdk_types.unwrap_type,
        sdk_types.unwrap_optional_type,
        sdk_types._wire_union_members,
    )
    sdk_stack.wait_for_rpcs = wait_for_rpcs
    sdk_resource._get_stack_trace = swaps.stack_trace
    sdk_cycles._add_dep = add_dependency
    sdk_types.unwrap_type = swaps.unwrap_type  # type: ignore[assignment]
    sdk_types.unwrap_optional_type = swaps.unwrap_optional_type  # type: ignore[assignment]
    sdk_types._wire_union_members = swaps.wire_union_members  # type: ignore[assignment]
    try:
        yield
    finally:
        (
            sdk_stack.wait_for_rpcs,
            sdk_resource._get_stack_trace,
            sdk_cycles._add_dep,
            sdk_types.unwrap_type,
            sdk_types.unwrap_optional_type,
            sdk_types._wire_union_members,
        ) = saved


def stack_trace(swaps: _Swaps | None = None) -> Any:
    """``pulumi.runtime.resource._get_stack_trace``, computed from the frames directly.

    The SDK attaches the user's call stack (the frames outside the third ``__init__`` from the
    top) to every registration. It builds it with ``traceback.extract_stack``, which stats
    every source file on the stack and reads its lines, and converts each file name to a URI
    per frame: an eighth of the program's time in the plan, through the components' deep
    frames. This walks the same frames and gives the same ``StackTrace``, built once per
    sequence of (file, line) places.
    """
    if swaps is None:
        swaps = _Swaps()
    if getattr(sys, "tracebacklimit", None) is not None:
        return sdk_stack_trace()
    frame: Any = sys._getframe()
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == 3:
                break
        frame = frame.f_back
    places = []
    outer = frame.f_back if frame is not None else None
    while outer is not None:
        places.append((outer.f_code.co_filename, outer.f_lineno))
        outer = outer.f_back
    key = tuple(places)
    trace = swaps.traces.get(key)
    if trace is None:
        frames = []
        for filename, line in key:
            uri = swaps.source_uri(filename)
            position = (
                None
                if uri is None or line is None
                else source_pb2.SourcePosition(uri=uri, line=line)
            )
            frames.append(source_pb2.StackFrame(pc=position))
        trace = swaps.traces[key] = source_pb2.StackTrace(frames=frames)
    return trace


def sdk_stack_trace() -> Any:
    """The SDK's own ``_get_stack_trace`` (where ours does not apply, and to compare)."""
    return SDK_FUNCTIONS["_get_stack_trace"]()


def add_dependency(from_resource: Any, to_resource: Any) -> None:
    """``resource_cycle_breaker._add_dep``, adding to the set instead of copying it.

    The SDK replaces a resource's set of computed dependencies with a copy plus one for every
    dependency it records: quadratic in a resource's dependencies (a Harbor replication that
    depends on every tenant has thousands). The set holds the same resources either way.
    """
    deps = from_resource.__dict__.get(sdk_cycles._DEPENDENCIES_PROPERTY)
    if deps is None:
        setattr(from_resource, sdk_cycles._DEPENDENCIES_PROPERTY, {to_resource})
    else:
        deps.add(to_resource)


def by_identity(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` of a type, computed once per type object (the type kept alive with its
    answer, so that its id is not reused)."""
    answers: dict[int, tuple[Any, Any]] = {}

    def once(typ: Any) -> Any:
        known = answers.get(id(typ))
        if known is None:
            known = answers[id(typ)] = (typ, function(typ))
        return known[1]

    once.__wrapped__ = function  # type: ignore[attr-defined]
    return once


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """``pulumi.runtime.stack.wait_for_rpcs`` with one change: how it waits for outputs.

    The SDK waits for its pending output tasks with ``asyncio.wait(FIRST_COMPLETED)`` in a
    loop, which registers a callback on every pending task each time any one completes:
    quadratic in the outputs a program creates, and 40 % of a 50-tenant plan's program time
    (docs/benchmarks.md). ``FIRST_EXCEPTION`` returns as soon as one fails (as before) or
    when all are done, so a failing output surfaces just as early and the loop ends in the
    same state.
    """
    rpc_manager = sdk_settings._get_rpc_manager()
    while True:
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(
                        rpc_manager.exception_traceback
                    )
                    raise exn from cause
                raise
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            outputs = sdk_settings.SETTINGS
            while True:
                with outputs.lock:
                    if len(outputs.outputs) == 0:
                        break
                    pending = list(outputs.outputs)
                    outputs.outputs.clear()
                done, not_done = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    await task
                if not_done:
                    with outputs.lock:
                        outputs.outputs.update(not_done)
        if len(rpc_manager.rpcs) == 0:
            break


# --- the monitor's answers, inline ----------------------------------------------------------
# ``MockMonitor``'s answers, computed in the caller's thread. The SDK calls the monitor through
# ``run_in_executor``; the stock mock monitor then runs an event loop of its own per call
# (``_sync_await``) to serialize its answer. The plan's loop runs these calls inline
# (``InlineExecutorLoop``), so the same answer is computed here without a loop; a request the
# SDK must rebuild objects for (resource references, assets) goes to the stock method in a
# thread of its own.


def register(monitor: Any, request: Any, decoded: dict[str, Any] | None = None) -> Any:
    """``MockMonitor.RegisterResource``, serializing the state without an event loop.

    ``decoded``: the request's object as ``struct_dict`` (``MessageToDict``) gave it, when
    ``_is_plain`` says that is what ``rpc.deserialize_properties`` gives too; the answer is
    then the request's own object wherever the mocks answer with the inputs unchanged (what
    ``serialize`` of ``deserialize`` gives back for such an object).
    """
    urn = monitor.make_urn(request.parent, request.type, request.name)
    if request.type == ROOT_STACK_TYPE:
        return resource_pb2.RegisterResourceResponse(urn=urn)
    inputs = decoded if decoded is not None else sdk_rpc.deserialize_properties(request.object)
    args = pulumi.runtime.MockResourceArgs(
        typ=request.type,
        name=request.name,
        inputs=inputs,
        provider=request.provider,
        resource_id=request.importId,
        custom=request.custom or False,
        transforms=sdk_mocks._resolve_callbacks(request.transforms),
    )
    id_, state = monitor.mocks.new_resource(args)
    # The response copies the object it is given: the request's own where it answers.
    obj = request.object if decoded is not None and state == decoded else serialize_now(state)
    monitor.resources[urn] = sdk_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
    return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)


def read(monitor: Any, request: Any) -> Any:
    """``MockMonitor.ReadResource`` without an event loop."""
    state = sdk_rpc.deserialize_properties(request.properties)
    args = pulumi.runtime.MockResourceArgs(
        typ=request.type,
        name=request.name,
        inputs=state,
        provider=request.provider,
        resource_id=request.id,
    )
    id_, state = monitor.mocks.new_resource(args)
    props = serialize_now(state)
    urn = monitor.make_urn(request.parent, request.type, request.name)
    monitor.resources[urn] = sdk_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
    return resource_pb2.ReadResourceResponse(urn=urn, properties=props)


def invoke(monitor: Any, request: Any) -> Any:
    """``MockMonitor.Invoke`` without an event loop."""
    args = sdk_rpc.deserialize_properties(request.args)
    if request.tok == "pulumi:pulumi:getResource":
        registered = monitor.resources.get(args["urn"])
        if registered is None:
            raise Exception(f"unknown resource {args['urn']}")
        return resource_pb2.ResourceInvokeResponse(
            failures=None, **{"return": serialize_now(registered._asdict())}
        )
    answer = monitor.mocks.call(
        pulumi.runtime.MockCallArgs(token=request.tok, args=args, provider=request.provider)
    )
    failures = None
    if not isinstance(answer, dict):
        answer, problems = answer
        failures = [
            provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in problems
        ]
    return resource_pb2.ResourceInvokeResponse(
        failures=failures, **{"return": serialize_now(answer)}
    )


class WouldBlock(Exception):
    """Serializing an answer would wait for the event loop (it holds outputs or resources)."""


def serialize_now(values: dict[str, Any]) -> Any:
    """``rpc.serialize_properties(values, {})`` run to completion without an event loop.

    Plain values (what the plan's mocks answer with) never make it wait; anything that would
    raises ``_WouldBlock`` and the caller answers the stock way instead.
    """
    coroutine = sdk_rpc.serialize_properties(values, {})
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise WouldBlock


def is_plain(value: Any, top: bool = True) -> bool:
    """Whether ``rpc.deserialize_properties`` of this decoded Struct is the decoded value itself.

    It is unless a mapping holds a null (dropped), a secret sits below a top-level property
    (its secretness moves up to that property), a value is unknown, or a special signature
    other than a top-level secret appears.
    """
    if isinstance(value, dict):
        if SPECIAL_SIG_KEY in value:
            return False
        for item in value.values():
            if item is None:
                return False
            if top and isinstance(item, dict) and item.get(SPECIAL_SIG_KEY) == SECRET_SIG:
                if set(item) != {SPECIAL_SIG_KEY, "value"} or not is_plain(item["value"], False):
                    return False
            elif not is_plain(item, False):
                return False
        return True
    if isinstance(value, list):
        return all(item is None or is_plain(item, False) for item in value)
    return value != UNKNOWN


_SIG_BYTES = SPECIAL_SIG_KEY.encode()


def signed(struct: Any) -> bool:
    """Whether a mapping in ``struct`` may hold the special signature key: its wire form holds
    the key's bytes (C-speed; most registrations hold no secret, reference or asset, and
    :func:`needs_sdk` need not walk them)."""
    return _SIG_BYTES in struct.SerializeToString()


def needs_sdk(value: Any) -> bool:
    """Whether a decoded request holds what only the SDK can rebuild (resource references,
    assets, archives, output values): such requests are answered by the stock mock monitor."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == RESOURCE_SIG or sig in OTHER_SIGS:
            return True
        return any(needs_sdk(v) for v in value.values())
    if isinstance(value, list):
        return any(needs_sdk(v) for v in value)
    return False


class InlineExecutorLoop(asyncio.SelectorEventLoop):
    """An event loop that runs ``run_in_executor(None, ...)`` calls in place.

    The SDK sends every monitor call through the default executor, as a gRPC call would block;
    the plan's monitor answers from memory, so a thread per call only adds hand-offs (and, on
    a busy machine, a wait for the scheduler per registration). Other executors still get
    threads.
    """

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., Any], *args: Any
    ) -> Any:
        if executor is not None:
            return super().run_in_executor(executor, func, *args)
        if self.is_closed():  # what asyncio's own run_in_executor checks first
            raise RuntimeError("Event loop is closed")
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            future.set_exception(exc)
        return future
