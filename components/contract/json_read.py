"""Tolerant readers of parsed JSON: what every record's ``from_json`` reads a value with.

A record reads what another version of its writer may have written (``paif diff --base`` reads
the plan.json of an older checkout; a policy may judge a hand-made site; plan.json drops keys
that hold null): a missing or malformed value reads as "not there" instead of failing. One set
of readers, so every record of the contract tolerates the same things. Chosen on purpose:

- An array is any sequence but text: a parsed ``list``, a writer's ``tuple``, and the
  read-only list proxy pulumi-policy hands a policy its props in (``paif_policies.sdk_proxies``).
  A string, though a sequence, is never an array.
- Arrays read as tuples: the records are frozen, and a tuple cannot change under them
  (plan.py's records keep the lists they have always held: ``list(strings(...))``).
- "Not there" is None, not an empty value, where the writer tells the two apart (an RPO's
  ``unbounded`` list exists only on an RPO); a record that has no such difference asks for its
  default with ``or``.
- Text is a JSON scalar's text (a number read where text is expected reads as its digits, as
  ``str`` gives them); an object or an array where text is expected reads as None, never as
  Python's rendering of it.
- A mapping is the parsed object itself, not a copy: a record only reads it, and its
  ``to_json`` copies what it writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeGuard, TypeVar

JsonMap = Mapping[str, Any]

_SCALARS = (str, int, float, bool)
E = TypeVar("E", bound=StrEnum)


def is_array(value: object) -> TypeGuard[Sequence[Any]]:
    """A JSON array (module doc): any sequence but text."""
    if isinstance(value, (list, tuple)):
        return True
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def items(value: object) -> tuple[Any, ...] | None:
    """A JSON array's items; None when ``value`` is not an array (absent, or not yet known)."""
    return tuple(value) if is_array(value) else None


def strings(value: object) -> tuple[str, ...]:
    """A JSON array's items as text; empty when ``value`` is not an array."""
    return tuple(str(v) for v in value) if is_array(value) else ()


def maps(value: object) -> tuple[JsonMap, ...]:
    """The objects of a JSON array (anything else in it is skipped); empty when not an array."""
    if is_array(value):
        return tuple(v for v in value if isinstance(v, Mapping))
    return ()


def mapping(value: object) -> JsonMap | None:
    """A JSON object; None when ``value`` is not one."""
    return value if isinstance(value, Mapping) else None


def text(value: object) -> str | None:
    """A JSON scalar as text; None when absent, or an object or array."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, _SCALARS) else None


def integer(value: object, default: int = 0) -> int:
    """A JSON number (or its text) as an int; ``default`` when it is none."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, str)):
        try:
            return int(float(value))
        except ValueError:
            return default
    return default


def number(value: object) -> float | int | None:
    """A JSON number as it was parsed (an int stays an int); None when it is not one."""
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (int, float)) else None


def member(value: object, kind: type[E]) -> E | None:
    """The member of ``kind`` spelled ``value``; None for any other value (absent, or one this
    version does not know)."""
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None
