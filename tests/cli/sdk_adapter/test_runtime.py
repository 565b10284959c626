"""The shortcuts through the Pulumi SDK's internals give what the SDK's own code gives.

Each replacement is compared with the SDK function it stands for: the stack trace attached to
every registration, the unwrapped type annotations, the dependency sets, the monitor's answers
computed inline, and the event loop that runs executor calls in place.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, Optional, Union

import pulumi
import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime import rpc

from paif_cli.mock_runtime import PlanMocks, struct_dict
from paif_cli.sdk_adapter.runtime import (
    RESOURCE_SIG,
    SDK_FUNCTIONS,
    SPECIAL_SIG_KEY,
    UNKNOWN,
    InlineExecutorLoop,
    _Swaps,
    add_dependency,
    is_plain,
    needs_sdk,
    sdk_stack_trace,
    serialize_now,
    signed,
    stack_trace,
)
from tests.support.structs import VALUES, secret

# --- the stack trace attached to every registration -----------------------------------------

# One run's caches, shared by the calls of this module (as by one program's registrations).
SWAPS = _Swaps()


class _Outer:
    def __init__(self, depth: int) -> None:
        self.inner = _Middle(depth)


class _Middle:
    def __init__(self, depth: int) -> None:
        self.inner = _Inner() if depth else None
        self.traces = None if depth else (stack_trace(SWAPS), sdk_stack_trace())


class _Inner:
    def __init__(self) -> None:
        # The SDK's function looks for the third ``__init__`` from the top: this one is the
        # first, _Middle's the second, _Outer's the third; the frames outside _Outer count.
        self.traces = (stack_trace(SWAPS), sdk_stack_trace())


def test_stack_trace_is_the_sdks() -> None:
    fast, sdk = _Outer(1).inner.inner.traces
    assert len(sdk.frames) > 3
    assert fast == sdk
    assert sdk.frames[0].pc.uri.endswith("/tests/cli/sdk_adapter/test_runtime.py")


def test_stack_trace_from_two_constructors_down_is_the_sdks() -> None:
    fast, sdk = _Outer(0).inner.traces
    assert fast == sdk


def test_stack_traces_from_other_places_are_other_traces() -> None:
    first = [_Outer(1).inner.inner.traces for _ in range(2)]
    second = _Outer(1).inner.inner.traces  # another line of this file
    assert first[0][0] is first[1][0] and first[0][0] == first[0][1]
    assert second[0] == second[1] and second[0] != first[0][0]


@pulumi.input_type
class _Args:
    pass


@pytest.mark.parametrize(
    "annotation",
    [
        int,
        Optional[int],  # noqa: UP045 (the SDK's generated classes)
        pulumi.Input[str],
        Optional[pulumi.Input[str]],  # noqa: UP045
        pulumi.Input[Optional[str]],  # noqa: UP045
        pulumi.Output[int],
        Union[_Args, dict],  # noqa: UP007
        # Equal to the one before, not the same: unwrapped on its own.
        Union[dict, _Args],  # noqa: UP007
        Union[_Args, list, None],  # noqa: UP007
        Optional[pulumi.Input[Sequence[pulumi.Input[str]]]],  # noqa: UP045
        list[str],
    ],
)
def test_unwrapped_types_are_the_sdks(annotation: Any) -> None:
    swaps = _Swaps()
    assert SDK_FUNCTIONS["unwrap_type"](Union[_Args, dict]) is _Args  # noqa: UP007
    for _ in range(2):
        assert swaps.unwrap_type(annotation) == SDK_FUNCTIONS["unwrap_type"](annotation)
        assert swaps.unwrap_optional_type(annotation) == SDK_FUNCTIONS["unwrap_optional_type"](
            annotation
        )
        assert swaps.wire_union_members(annotation) == SDK_FUNCTIONS["_wire_union_members"](
            annotation
        )


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), VALUES, max_size=4))
def test_a_plain_struct_round_trips_to_itself(document: dict[str, Any]) -> None:
    """Where ``is_plain`` says so, the stock answer (serialize of deserialize) is the request."""
    struct = struct_pb2.Struct()
    struct.update(document)
    decoded = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    if not is_plain(decoded):
        return
    assert rpc.deserialize_properties(struct) == decoded
    assert serialize_now(rpc.deserialize_properties(struct)) == struct


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=4), VALUES, max_size=5))
def test_a_struct_needing_the_sdk_is_signed(document: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(document)
    assert signed(struct) == (SPECIAL_SIG_KEY in json.dumps(document))
    reference = {**document, "peer": {SPECIAL_SIG_KEY: RESOURCE_SIG, "urn": "urn:x"}}
    struct.update(reference)
    assert signed(struct) and needs_sdk(struct_dict(struct))


def test_plain_means_no_nulls_nested_secrets_or_unknowns() -> None:
    assert is_plain({"a": [1.0, None, {"b": "x"}], "s": secret({"c": [1.0]})})
    assert not is_plain({"a": {"b": None}})
    assert not is_plain({"a": {"b": secret("x")}})
    assert not is_plain({"a": [UNKNOWN]})


def test_monitor_calls_run_on_the_program_thread(run_pulumi) -> None:
    """No thread per registration: the loop runs ``run_in_executor(None, ...)`` in place."""
    import threading

    threads: set[int] = set()

    class Mocks(PlanMocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            threads.add(threading.get_ident())
            return super().new_resource(args)

    def program() -> None:
        for index in range(5):
            pulumi.CustomResource("test:index:Thing", f"thing-{index}", {"index": index})

    result = run_pulumi(program, mocks=Mocks())
    assert len(result.resources) == 5
    assert threads == {threading.get_ident()}


def test_other_executors_still_get_threads() -> None:
    import concurrent.futures
    import threading

    loop = InlineExecutorLoop()
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            ident = loop.run_until_complete(loop.run_in_executor(pool, threading.get_ident))
        inline = loop.run_until_complete(loop.run_in_executor(None, threading.get_ident))
    finally:
        loop.close()
    assert ident != threading.get_ident() == inline


def test_an_inline_call_that_raises_fails_the_awaiting_task() -> None:
    loop = InlineExecutorLoop()

    def boom() -> None:
        raise ValueError("no answer")

    try:
        future = loop.run_in_executor(None, boom)
        assert isinstance(future, asyncio.Future) and future.done()
        with pytest.raises(ValueError, match="no answer"):
            loop.run_until_complete(future)
    finally:
        loop.close()


def test_dependencies_are_added_in_place_to_the_same_set_the_sdk_builds() -> None:
    from pulumi.runtime import resource_cycle_breaker as cycles

    class Node:
        pass

    ours, sdk = [Node() for _ in range(4)], [Node() for _ in range(4)]
    edges = [(0, 1), (0, 2), (1, 2), (0, 3), (0, 1)]
    for a, b in edges:
        add_dependency(ours[a], ours[b])
        SDK_FUNCTIONS["_add_dep"](sdk[a], sdk[b])
    for one, two in zip(ours, sdk, strict=True):
        assert {ours.index(n) for n in cycles._deps(one)} == {
            sdk.index(n) for n in cycles._deps(two)
        }
