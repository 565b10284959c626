"""Plaintext credentials in props, as PAIF-SEC-004 finds them: which field names hold a
credential (the last word decides: ``adminPassword``, ``NGC_API_KEY``, not ``secretName``;
``paif_components.secret_values``, which config validation reads too), and every known string
of a props tree with its path, read through the analyzer's proxies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from paif_components.secret_values import words as name_words
from paif_policies import sdk_proxies

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def is_secret_reference(key: str, value: str) -> bool:
    """``authSecret: ngc-api-secret``: a field ending in *secret* that names a Secret object."""
    words = name_words(key)
    return bool(words) and words[-1] == "secret" and _DNS_SUBDOMAIN.match(value) is not None


def child_of(node: Any, key: Any) -> tuple[bool, Any]:
    try:
        return True, node[key]
    except (UnknownValueError, KeyError, IndexError, TypeError):
        return False, None  # unknown during preview: not a literal anyone wrote


def entries(node: Any, path: str) -> Iterator[tuple[str, str | None, Any, Any]]:
    """A mapping's (path, key, value, mapping) and a sequence's (path, None, item, sequence),
    read through ``node[key]`` (the analyzer's proxies are read from their targets instead,
    in :func:`collect_strings`)."""
    if isinstance(node, str):
        return
    if isinstance(node, Mapping):
        for key in list(node):
            ok, value = child_of(node, key)
            if ok:
                yield (f"{path}.{key}" if path else str(key)), str(key), value, node
    elif hasattr(node, "__len__") and hasattr(node, "__getitem__"):
        for index in range(len(node)):
            ok, value = child_of(node, index)
            if ok:
                yield f"{path}[{index}]", None, value, node


def string_fields(node: Any) -> list[tuple[str, str, str, Any]]:
    """The (path of its mapping, key, value, mapping) of every known string value in a
    mapping of a props tree, depth first, each before what is below it: what the
    plaintext-credential rules look at. Paths are spelled per mapping and list, not per
    entry (:func:`field_path`); unknown values are skipped."""
    found: list[tuple[str, str, str, Any]] = []
    collect_strings(node, "", found)
    return found


def field_path(container: str, key: str) -> str:
    return f"{container}.{key}" if container else key


def collect_strings(node: Any, path: str, found: list[tuple[str, str, str, Any]]) -> None:
    mapping = sdk_proxies.dict_target(node)
    items = sdk_proxies.list_target(node) if mapping is None else None
    if mapping is not None:
        # The analyzer's read-only proxies: their values as ``node[key]`` returns them, read
        # from the proxy's target (as pulumi-policy's own serializer does) rather than through
        # a proxy call each; an unknown value is skipped, as ``child_of`` skips it.
        for key, value in mapping.items():
            if isinstance(value, str):
                if not sdk_proxies.is_unknown(value):
                    found.append((path, str(key), value, node))
            elif not (value is None or isinstance(value, bool | int | float)):
                collect_strings(value, f"{path}.{key}" if path else str(key), found)
    elif items is not None:
        for index, value in enumerate(items):
            if not (value is None or isinstance(value, str | bool | int | float)):
                collect_strings(value, f"{path}[{index}]", found)
    elif not isinstance(node, str):
        for child_path, entry_key, value, parent in entries(node, path):
            if isinstance(value, str):
                if entry_key is not None:
                    found.append((path, entry_key, value, parent))
            else:
                collect_strings(value, child_path, found)
