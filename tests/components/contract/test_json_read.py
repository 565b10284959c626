"""The contract's one set of tolerant JSON readers (issue 22): what each reads, and what it
reads as "not there"."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import pytest

from paif_components.contract.json_read import (
    integer,
    is_array,
    items,
    mapping,
    maps,
    member,
    number,
    strings,
    text,
)


class _Proxy(Sequence[object]):
    """A read-only sequence that is not a list, as pulumi-policy hands a policy its props."""

    def __init__(self, *values: object) -> None:
        self._values = values

    def __getitem__(self, index: int) -> object:  # type: ignore[override]
        return self._values[index]

    def __len__(self) -> int:
        return len(self._values)


class _Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "array"),
    [([], True), ((1,), True), (_Proxy(1), True), ("ab", False), (b"ab", False), ({}, False)],
)
def test_an_array_is_any_sequence_but_text(value: object, array: bool) -> None:
    assert is_array(value) is array


def test_arrays_read_as_tuples_and_anything_else_as_not_there() -> None:
    assert items([1, "a"]) == (1, "a")
    assert items(_Proxy("a")) == ("a",)
    assert items(None) is None and items("a") is None and items({"a": 1}) is None
    assert strings(["a", 1]) == ("a", "1")
    assert strings("abc") == () and strings(None) == ()
    assert maps([{"a": 1}, "b", None, {"c": 2}]) == ({"a": 1}, {"c": 2})
    assert maps({"a": 1}) == ()


def test_a_mapping_is_the_object_itself() -> None:
    raw = {"a": 1}
    assert mapping(raw) is raw
    assert mapping([("a", 1)]) is None and mapping(None) is None


@pytest.mark.parametrize(
    ("value", "read"),
    [("a", "a"), ("", ""), (5, "5"), (1.5, "1.5"), (None, None), ({"a": 1}, None), ([1], None)],
)
def test_text_is_a_scalar_s_text(value: object, read: str | None) -> None:
    assert text(value) == read


@pytest.mark.parametrize(
    ("value", "read"), [(3, 3), (3.0, 3), ("4", 4), ("4.0", 4), (True, 1), ("x", 0), (None, 0)]
)
def test_integer_reads_numbers_and_their_text(value: object, read: int) -> None:
    assert integer(value) == read
    assert integer(None, default=7) == 7


def test_number_keeps_the_parsed_type() -> None:
    assert number(2) == 2 and isinstance(number(2), int)
    assert number(0.5) == 0.5
    assert number(True) is None and number("1") is None and number(None) is None


def test_member_reads_a_known_spelling_and_nothing_else() -> None:
    assert member("red", _Colour) is _Colour.RED
    assert member("blue", _Colour) is None
    assert member(None, _Colour) is None
