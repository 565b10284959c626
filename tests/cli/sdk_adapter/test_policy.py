"""The shortcuts through pulumi-policy's internals give what the SDK's own code gives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest


def test_signature_mappings_below_the_top_are_deserialized() -> None:
    from google.protobuf import json_format, struct_pb2
    from pulumi_policy.deserialize import SPECIAL_ASSET_SIG, SPECIAL_SIG_KEY, deserialize_properties

    from paif_cli.sdk_adapter.policy import _deserialized

    asset = {SPECIAL_SIG_KEY: SPECIAL_ASSET_SIG, "text": "hello"}
    inputs = {"file": asset, "files": [asset], "n": 2, SPECIAL_SIG_KEY: "kept at the top"}
    struct = struct_pb2.Struct()
    struct.update(inputs)
    expected = deserialize_properties(json_format.MessageToDict(struct))
    ours = _deserialized(inputs, "urn:test", top=True)
    assert ours["n"] == expected["n"] == 2.0 and isinstance(ours["n"], float)
    assert ours[SPECIAL_SIG_KEY] == expected[SPECIAL_SIG_KEY]
    for value, stock in (
        (ours["file"], expected["file"]),
        (ours["files"][0], expected["files"][0]),
    ):
        assert type(value) is type(stock) and value.text == stock.text == "hello"


def test_props_are_the_analyzers_proxies() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

    from paif_cli.sdk_adapter.policy import _deserialized, _proxied

    inputs = {
        "spec": {"replicas": 2, "env": [{"name": "A", "value": UNKNOWN_STRING_VALUE}]},
        "tags": ("a", 1.5, None, True),
        "unknown": UNKNOWN_STRING_VALUE,
    }
    ours = _proxied(inputs, "urn:test", [], top=True)
    stock = unknown_checking_proxy(_deserialized(inputs, "urn:test", top=True))

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value["__target"].items()}
        if isinstance(value, Sequence) and not isinstance(value, str):
            return [plain(v) for v in value["__target"]]
        return value

    assert plain(ours) == plain(stock)
    assert type(ours["spec"]["env"]) is type(stock["spec"]["env"])
    assert ours["spec"]["replicas"] == 2.0 and isinstance(ours["spec"]["replicas"], float)
    errors = []
    for props in (ours, stock):
        with pytest.raises(UnknownValueError) as unknown:
            props["spec"]["env"][0]["value"]
        errors.append(unknown.value.message)
    assert errors[0] == errors[1]
    assert ".spec.env.0.value can't be known" in errors[0]
