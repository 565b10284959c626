"""``paif_cli.json_text.dumps`` writes exactly what ``json.dumps(indent=2)`` writes."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paif_cli.json_text import dumps

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), children, max_size=2),
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(_DOCUMENTS)
def test_same_text_as_json_dumps(document: Any) -> None:
    assert dumps(document) == json.dumps(document, indent=2)


def test_subclasses_and_unusual_values_are_json_dumps_own() -> None:
    for document in (
        OrderedDict(b=1, a=[float("nan"), float("inf")]),
        {"a": {1: "int key"}},
        {"x": ("tuple", 1)},
        {"é": "naïve \u2028 \x00"},
    ):
        assert dumps(document) == json.dumps(document, indent=2)
