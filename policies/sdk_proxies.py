"""pulumi-policy's read-only proxies, read from their targets where the installed version allows.

Props reach a policy as pulumi-policy's proxies (``_DictProxy``, ``_ListProxy``); reading every
value through ``node[key]`` costs a proxy call each, which the plaintext-credential rules pay
for every string of every resource. The values can be read from the proxy's target instead, as
pulumi-policy's own serializer does: a private part of pulumi-policy, so only when the installed
version is one this was written for (:data:`WRITTEN_FOR`). Otherwise :func:`dict_target` and
:func:`list_target` answer ``None`` and the rules read through the public ``Mapping`` and
sequence interface, with the same findings.

The pack ships alone (``policies/`` and its requirements), without ``paif_cli``: this is the
pack's own counterpart of ``paif_cli.sdk_adapter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from packaging.version import InvalidVersion, Version
from pulumi_policy import proxy as sdk_proxy

__all__ = ["WRITTEN_FOR", "dict_target", "in_range", "is_unknown", "list_target"]

# [lowest, first version not covered) of pulumi-policy (pyproject.toml pins 1.21.0).
WRITTEN_FOR = ("1.21.0", "1.22.0")


def in_range(installed: str | None) -> bool:
    """Whether the proxies of pulumi-policy ``installed`` are the ones this reads."""
    if installed is None:
        return False
    try:
        return Version(WRITTEN_FOR[0]) <= Version(installed) < Version(WRITTEN_FOR[1])
    except InvalidVersion:
        return False


def _installed() -> str | None:
    try:
        return version("pulumi-policy")
    except PackageNotFoundError:
        return None


# Decided once, when the pack is loaded: the installed SDK does not change under a running pack.
SHORTCUT = in_range(_installed())


def dict_target(node: Any) -> Mapping[str, Any] | None:
    """The plain mapping behind a proxied mapping (``None``: read ``node`` itself)."""
    if SHORTCUT and isinstance(node, sdk_proxy._DictProxy):
        target: Mapping[str, Any] = node["__target"]
        return target
    return None


def list_target(node: Any) -> Sequence[Any] | None:
    """The plain list behind a proxied sequence (``None``: read ``node`` itself)."""
    if SHORTCUT and isinstance(node, sdk_proxy._ListProxy):
        target: Sequence[Any] = node["__target"]
        return target
    return None


def is_unknown(value: str) -> bool:
    """Whether a string read from a target is one of the analyzer's unknown values."""
    return bool(sdk_proxy._is_unknown(value))
