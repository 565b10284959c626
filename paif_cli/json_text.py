"""``json.dumps(document, indent=2)``, the same text, without the encoder's generators.

With ``indent`` the standard library encodes in Python, through a generator per container;
``plan.json`` of a 200-tenant stack is tens of megabytes of it. This writes the same text with one
recursive function and the C string escaper, and leaves anything unusual (subclasses, keys
that are not strings, other types) to ``json.dumps`` itself. ``tests/test_json_text.py``
holds both to the same text.
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
    if kind is str:
        out(encode_basestring_ascii(value))
    elif kind is dict:
        if not value:
            out("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError("a key that is not a string: json.dumps converts it")
            out(separator)
            out(encode_basestring_ascii(key))
            out(": ")
            _encode(item, inner, out)
            separator = "," + inner
        out(newline + "}")
    elif kind is list:
        if not value:
            out("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out(separator)
            _encode(item, inner, out)
            separator = "," + inner
        out(newline + "]")
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is int:
        out(int.__repr__(value))
    elif kind is float:
        if value != value or value in (_INFINITY, -_INFINITY):
            raise ValueError("NaN and infinities: json.dumps writes them its own way")
        out(float.__repr__(value))
    else:
        raise TypeError(f"{kind.__name__}: json.dumps decides")
