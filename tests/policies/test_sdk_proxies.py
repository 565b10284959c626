"""The pack's one shortcut through pulumi-policy's internals, and its version guard."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from paif_policies import sdk_proxies
from paif_policies.credentials import string_fields

PROPS = {
    "spec": {
        "env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "X", "value": None}],
        "replicas": 2,
        "token": UNKNOWN_STRING_VALUE,
        "nested": {"apiKey": "k", "list": ["a", {"secret": "s"}]},
    },
    "data": {"password": "p"},
}


@pytest.mark.parametrize(
    ("installed", "taken"),
    [("1.21.0", True), ("1.21.7", True), ("1.22.0", False), ("1.20.9", False), (None, False),
     ("not a version", False)],
)  # fmt: skip
def test_the_shortcut_follows_the_installed_version(installed: str | None, taken: bool) -> None:
    assert sdk_proxies.in_range(installed) is taken


def test_the_pinned_pulumi_policy_takes_it() -> None:
    assert sdk_proxies.SHORTCUT
    assert sdk_proxies.dict_target(unknown_checking_proxy(PROPS)) is not None


def test_without_it_the_rules_read_the_same_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = string_fields(unknown_checking_proxy(PROPS))
    monkeypatch.setattr(sdk_proxies, "SHORTCUT", False)
    assert sdk_proxies.dict_target(unknown_checking_proxy(PROPS)) is None
    stock = string_fields(unknown_checking_proxy(PROPS))
    assert [row[:3] for row in stock] == [row[:3] for row in fast]
    # Unknown values, numbers and nulls are not strings anyone wrote; list items have no key.
    assert [row[:3] for row in fast] == [
        ("spec.env[0]", "name", "DB_PASSWORD"),
        ("spec.env[0]", "value", "hunter2"),
        ("spec.env[1]", "name", "X"),
        ("spec.nested", "apiKey", "k"),
        ("spec.nested.list[1]", "secret", "s"),
        ("data", "password", "p"),
    ]
