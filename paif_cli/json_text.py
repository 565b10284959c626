"""``json.dumps(document, indent=2)``, the same text, without the encoder's generators.

With ``indent`` the standard library encodes in Python, through a generator per container;
``plan.json`` of a 200-tenant stack is tens of megabytes of it. This writes the same text with
one recursive call per non-empty container and the C string escaper, and leaves anything
unusual (subclasses, keys that are not strings, other types) to ``json.dumps`` itself.
``tests/cli/test_json_text.py`` holds both to the same text.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["dumps"]

_INFINITY = float("inf")


def dumps(document: Any) -> str:
    """``json.dumps(document, indent=2)``."""
    parts: list[str] = []
    try:
        _encode(document, "\n", parts.append)
    except (TypeError, ValueError):
        return json.dumps(document, indent=2)
    return "".join(parts)


def _encode(value: Any, newline: str, out: Any) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            out("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError("a key that is not a string: json.dumps converts it")
            item_kind = type(item)
            if item_kind is str:
                out(separator + encode_basestring_ascii(key) + ": " + encode_basestring_ascii(item))
            elif (item_kind is dict or item_kind is list) and item:
                out(separator + encode_basestring_ascii(key) + ": ")
                _encode(item, inner, out)
            else:
                out(separator + encode_basestring_ascii(key) + ": " + _scalar(item))
            separator = "," + inner
        out(newline + "}")
    elif kind is list:
        if not value:
            out("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            item_kind = type(item)
            if item_kind is str:
                out(separator + encode_basestring_ascii(item))
            elif (item_kind is dict or item_kind is list) and item:
                out(separator)
                _encode(item, inner, out)
            else:
                out(separator + _scalar(item))
            separator = "," + inner
        out(newline + "]")
    else:
        out(_scalar(value))


def _scalar(value: Any) -> str:
    """A value's text when it holds no other: a string, an empty container, a number, a constant."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value or value in (_INFINITY, -_INFINITY):
            raise ValueError("NaN and infinities: json.dumps writes them its own way")
        return float.__repr__(value)
    if kind is dict:  # empty (the others are encoded in place)
        return "{}"
    if kind is list:
        return "[]"
    raise TypeError(f"{kind.__name__}: json.dumps decides")
