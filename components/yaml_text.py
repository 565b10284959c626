"""YAML text as ``yaml.safe_dump`` writes it, through libyaml where that gives the same bytes.

Plans and config maps are written with ``yaml.safe_dump``; its pure-Python emitter was a fifth
of a large plan's time (docs/benchmarks.md). PyYAML's C emitter (``CSafeDumper``) writes the
same text for most documents but not all: it folds long double-quoted strings differently,
and treats empty or very long mapping keys differently. :func:`safe_dump` takes the C path
only for documents where the two agree, those made of mappings with short non-empty string
keys, lists, numbers, booleans, nulls and strings of printable ASCII (no line breaks, so no
double quotes) with no object appearing twice (no anchors), and builds the C emitter's
nodes directly instead of through the representer. Anything else goes to ``yaml.safe_dump``
itself. ``tests/test_yaml_text.py`` holds both paths to the same bytes.
"""

from __future__ import annotations

import functools
import io
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

# Longer keys are written as complex keys ("? key") at lengths where the two emitters differ.
MAX_KEY_LENGTH = 100
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _BOOL, _NULL, _MAP, _SEQ = (
    _TAG + name for name in ("str", "int", "bool", "null", "map", "seq")
)
_REPRESENTER = yaml.SafeDumper(None)

__all__ = ["safe_dump"]


def safe_dump(
    document: Any,
    *,
    sort_keys: bool = True,
    width: int | None = None,
    allow_unicode: bool = False,
    default_flow_style: bool | None = False,
) -> str:
    """``yaml.safe_dump(document, ...)`` with the same keyword arguments and the same text."""
    if getattr(yaml, "__with_libyaml__", False) and default_flow_style is False:
        seen: set[int] = set()
        if _c_dumpable(document, seen):
            stream = io.StringIO()
            dumper = _Dumper(
                stream, default_flow_style=False, allow_unicode=allow_unicode, width=width
            )
            dumper.open()
            dumper.serialize(_node(document, sort_keys))
            dumper.close()
            return stream.getvalue()
    return yaml.safe_dump(
        document,
        sort_keys=sort_keys,
        width=width,
        allow_unicode=allow_unicode,
        default_flow_style=default_flow_style,
    )


def _c_dumpable(value: Any, seen: set[int]) -> bool:
    kind = type(value)
    if kind is str:
        return value.isascii() and value.isprintable()
    if kind is dict or kind is list:
        if id(value) in seen:  # the representer would write an anchor and an alias
            return False
        seen.add(id(value))
        if kind is list:
            return all(_c_dumpable(item, seen) for item in value)
        return all(
            type(key) is str
            and 0 < len(key) <= MAX_KEY_LENGTH
            and key.isascii()
            and key.isprintable()
            and _c_dumpable(item, seen)
            for key, item in value.items()
        )
    return value is None or kind is bool or kind is int or kind is float


def _node(value: Any, sort_keys: bool) -> Any:
    """The node ``SafeRepresenter`` makes of ``value`` (default_flow_style=False)."""
    kind = type(value)
    if kind is str:
        return ScalarNode(_STR, value)
    if kind is dict:
        items = sorted(value.items()) if sort_keys else value.items()
        return MappingNode(
            _MAP, [(ScalarNode(_STR, k), _node(v, sort_keys)) for k, v in items], False
        )
    if kind is list:
        return SequenceNode(_SEQ, [_node(v, sort_keys) for v in value], False)
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(_INT, str(value))
    if value is None:
        return ScalarNode(_NULL, "null")
    return _REPRESENTER.represent_float(value)


@functools.lru_cache(maxsize=8192)
def _resolve_scalar(value: str, implicit: tuple[bool, bool]) -> str:
    return yaml.resolver.Resolver.resolve(_REPRESENTER, ScalarNode, value, implicit)


class _Dumper(yaml.CSafeDumper):
    """The C emitter; implicit tags resolved once per scalar value (a pure function)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            return _resolve_scalar(value, implicit)
        return super().resolve(kind, value, implicit)
