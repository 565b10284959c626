"""What the plan's runtime records: every input as the engine sees it, secrets masked."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_cli.mock_runtime import mask_secrets, struct_dict
from paif_cli.sdk_adapter.runtime import RESOURCE_SIG, SECRET_SIG, SPECIAL_SIG_KEY
from tests.support.structs import SCALARS, VALUES, secret, typed


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), VALUES, max_size=5))
def test_struct_dict_is_message_to_dict(document: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(document)
    expected = json_format.MessageToDict(struct, preserving_proto_field_name=True)
    assert typed(struct_dict(struct)) == typed(expected)


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
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        children.map(secret),
        st.dictionaries(st.text(max_size=3), children, max_size=2).map(secret),
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
    assert typed(list(ours)) == typed(list(theirs))
    assert ours_keys == theirs_keys


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
