"""The plan's runtime answers exactly what the SDK's stock mock runtime answers, only faster."""

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

from paif_cli import mock_runtime
from paif_cli.mock_runtime import (
    RESOURCE_SIG,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN,
    PlanMocks,
    _is_plain,
    _needs_sdk,
    _serialize_now,
    _signed,
    mask_secrets,
    stack_trace,
    struct_dict,
)

# --- the stack trace attached to every registration -----------------------------------------


class _Outer:
    def __init__(self, depth: int) -> None:
        self.inner = _Middle(depth)


class _Middle:
    def __init__(self, depth: int) -> None:
        self.inner = _Inner() if depth else None
        self.traces = None if depth else (stack_trace(), mock_runtime._sdk_stack_trace())


class _Inner:
    def __init__(self) -> None:
        # The SDK's function looks for the third ``__init__`` from the top: this one is the
        # first, _Middle's the second, _Outer's the third; the frames outside _Outer count.
        self.traces = (stack_trace(), mock_runtime._sdk_stack_trace())


def test_stack_trace_is_the_sdks() -> None:
    fast, sdk = _Outer(1).inner.inner.traces
    assert len(sdk.frames) > 3
    assert fast == sdk
    assert sdk.frames[0].pc.uri.endswith("/tests/cli/test_mock_runtime.py")


def test_stack_trace_from_two_constructors_down_is_the_sdks() -> None:
    fast, sdk = _Outer(0).inner.traces
    assert fast == sdk


def test_stack_traces_from_other_places_are_other_traces() -> None:
    first = [_Outer(1).inner.inner.traces for _ in range(2)]
    second = _Outer(1).inner.inner.traces  # another line of this file
    assert first[0][0] is first[1][0] and first[0][0] == first[0][1]
    assert second[0] == second[1] and second[0] != first[0][0]


# --- type annotations the SDK unwraps for every property ------------------------------------


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
    assert mock_runtime._sdk_unwrap_type(Union[_Args, dict]) is _Args  # noqa: UP007
    for _ in range(2):
        assert mock_runtime.unwrap_type(annotation) == mock_runtime._sdk_unwrap_type(annotation)
        assert mock_runtime.unwrap_optional_type(
            annotation
        ) == mock_runtime._sdk_unwrap_optional_type(annotation)
        assert mock_runtime.wire_union_members(annotation) == mock_runtime._sdk_wire_union_members(
            annotation
        )


# --- the monitor's answers ------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.just(UNKNOWN),
)


def _secret(value: Any) -> dict[str, Any]:
    return {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}


_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3),
        children.map(_secret),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=4), _VALUES, max_size=4))
def test_a_plain_struct_round_trips_to_itself(document: dict[str, Any]) -> None:
    """Where ``_is_plain`` says so, the stock answer (serialize of deserialize) is the request."""
    struct = struct_pb2.Struct()
    struct.update(document)
    decoded = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    if not _is_plain(decoded):
        return
    assert rpc.deserialize_properties(struct) == decoded
    assert _serialize_now(rpc.deserialize_properties(struct)) == struct


def _typed(value: Any) -> Any:
    """``value`` with every scalar's type beside it (``1.0`` and ``1`` differ)."""
    if isinstance(value, dict):
        return [(key, _typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), _VALUES, max_size=5))
def test_struct_dict_is_message_to_dict(document: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(document)
    expected = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    assert _typed(struct_dict(struct)) == _typed(expected)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=4), _VALUES, max_size=5))
def test_a_struct_needing_the_sdk_is_signed(document: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(document)
    assert _signed(struct) == (SPECIAL_SIG_KEY in json.dumps(document))
    reference = {**document, "peer": {SPECIAL_SIG_KEY: RESOURCE_SIG, "urn": "urn:x"}}
    struct.update(reference)
    assert _signed(struct) and _needs_sdk(struct_dict(struct))


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_struct_dict_refuses_what_message_to_dict_refuses(number: float) -> None:
    struct = struct_pb2.Struct()
    struct.update({"a": [number]})
    with pytest.raises(ValueError) as ours:
        struct_dict(struct)
    with pytest.raises(ValueError) as theirs:
        json_format.MessageToDict(struct)
    assert str(ours.value) == str(theirs.value)


def _mask_secrets_as_before(
    value: Any, path: str = "", keys: dict[str, list[str]] | None = None
) -> tuple[Any, list[str]]:
    """``mask_secrets`` as it was: each path spelled at every level."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            inner = value.get("value")
            if keys is not None and isinstance(inner, dict):
                keys[path or "."] = sorted(str(k) for k in inner)
            return "[secret]", [path or "."]
        if sig == RESOURCE_SIG:
            return value.get("urn", ""), []
        out: dict[str, Any] = {}
        secrets: list[str] = []
        for key in sorted(value):
            child, found = _mask_secrets_as_before(
                value[key], f"{path}.{key}" if path else key, keys
            )
            out[key] = child
            secrets.extend(found)
        return out, secrets
    if isinstance(value, list):
        items = []
        secrets = []
        for i, item in enumerate(value):
            child, found = _mask_secrets_as_before(item, f"{path}[{i}]", keys)
            items.append(child)
            secrets.extend(found)
        return items, secrets
    if isinstance(value, float) and value.is_integer():
        return int(value), []
    return value, []


_MASKABLE = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        children.map(_secret),
        st.dictionaries(st.text(max_size=3), children, max_size=2).map(_secret),
        st.just({SPECIAL_SIG_KEY: RESOURCE_SIG, "urn": "urn:x"}),
    ),
    max_leaves=14,
)


@settings(max_examples=400, deadline=None)
@given(_MASKABLE, st.sampled_from(["", "outputs", "a[0]"]))
def test_mask_secrets_is_as_before(value: Any, path: str) -> None:
    ours_keys: dict[str, list[str]] = {}
    theirs_keys: dict[str, list[str]] = {}
    ours = mask_secrets(value, path, ours_keys)
    theirs = _mask_secrets_as_before(value, path, theirs_keys)
    assert _typed(list(ours)) == _typed(list(theirs))
    assert ours_keys == theirs_keys


def test_plain_means_no_nulls_nested_secrets_or_unknowns() -> None:
    assert _is_plain({"a": [1.0, None, {"b": "x"}], "s": _secret({"c": [1.0]})})
    assert not _is_plain({"a": {"b": None}})
    assert not _is_plain({"a": {"b": _secret("x")}})
    assert not _is_plain({"a": [UNKNOWN]})


def test_inputs_holding_a_resource_are_answered_by_the_stock_monitor(run_pulumi) -> None:
    """A resource reference needs the SDK to rebuild the resource: the stock path answers it."""

    def program() -> None:
        first = pulumi.CustomResource("test:index:Thing", "first", {"size": 1})
        pulumi.CustomResource("test:index:Thing", "second", {"peer": first, "size": 2})

    result = run_pulumi(program)
    second = next(r for r in result.resources if r.name == "second")
    first = next(r for r in result.resources if r.name == "first")
    assert second.inputs == {"peer": first.urn, "size": 2}
    assert first.id == "first-id"


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

    loop = mock_runtime._InlineExecutorLoop()
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            ident = loop.run_until_complete(loop.run_in_executor(pool, threading.get_ident))
        inline = loop.run_until_complete(loop.run_in_executor(None, threading.get_ident))
    finally:
        loop.close()
    assert ident != threading.get_ident() == inline


def test_an_inline_call_that_raises_fails_the_awaiting_task() -> None:
    loop = mock_runtime._InlineExecutorLoop()

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
        mock_runtime.add_dependency(ours[a], ours[b])
        mock_runtime._sdk_add_dep(sdk[a], sdk[b])
    for one, two in zip(ours, sdk, strict=True):
        assert {ours.index(n) for n in cycles._deps(one)} == {
            sdk.index(n) for n in cycles._deps(two)
        }
