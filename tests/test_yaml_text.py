"""``components.yaml_text.safe_dump`` writes exactly what ``yaml.safe_dump`` writes."""

from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components import yaml_text

# Printable ASCII with YAML's indicators over-represented, plus what forces the slow path:
# line breaks, tabs, non-ASCII, and keys longer than the C path allows.
_ASCII = string.ascii_letters + string.digits + " " * 10 + ":-#'\"{}[],&*!|>%@`?=\\~^$()+;<./_"
_WORDS = st.text(alphabet=_ASCII, max_size=160)
_SPECIAL = st.sampled_from(
    (
        "",
        *("true", "null", "~", "yes", "No", "1", "1.5", "0o7", "0x1f", "1e3", ".inf"),
        *("12:30", "2027-06-30", "-", "---", "...", " x", "x ", "a: b", "a #b", "- a"),
        *("'", '"', "=", "<<"),
    )
)
_ODD = st.text(alphabet=_ASCII + "\n\t\x85é\u2028😀", max_size=120)
_STRINGS = st.one_of(_WORDS, _SPECIAL, _ODD)
_KEYS = st.one_of(
    st.text(alphabet=_ASCII, min_size=1, max_size=40),
    _SPECIAL,
    st.text(alphabet=_ASCII, min_size=95, max_size=130),
    st.text(alphabet=_ASCII + "\né", min_size=0, max_size=20),
)
_SCALARS = st.one_of(
    _STRINGS,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.booleans(),
    st.none(),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=40,
)


def _both(document: Any, **options: Any) -> tuple[str, str]:
    return yaml_text.safe_dump(document, **options), yaml.safe_dump(document, **options)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(_KEYS, _DOCUMENTS, min_size=1, max_size=4),
    st.sampled_from([None, 80, 100]),
    st.booleans(),
    st.booleans(),
)
def test_same_text_as_pyyaml(
    document: dict[str, Any], width: int | None, sort_keys: bool, allow_unicode: bool
) -> None:
    ours, theirs = _both(document, width=width, sort_keys=sort_keys, allow_unicode=allow_unicode)
    assert ours == theirs


_C_DOCUMENTS = st.recursive(
    st.one_of(_WORDS, _SPECIAL, st.integers(), st.floats(), st.booleans(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.text(alphabet=_ASCII, min_size=1, max_size=yaml_text.MAX_KEY_LENGTH),
            children,
            max_size=5,
        ),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["apiVersion", "kind", "spec", "a: b", "'"]), _C_DOCUMENTS),
    st.sampled_from([None, 80, 100]),
    st.booleans(),
)
def test_the_c_path_writes_pyyamls_text(
    document: dict[str, Any], width: int | None, sort_keys: bool
) -> None:
    assert yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document, width=width, sort_keys=sort_keys, allow_unicode=True)
    assert ours == theirs


def test_the_c_path_serves_plain_manifests() -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "labels": {"paif.vmware.com/tenant": "marketing"}},
        "data": {"k": "a long value " * 12, "n": 3, "f": 0.5, "t": True, "z": None, "e": []},
    }
    assert yaml_text._c_dumpable(manifest, set())
    ours, theirs = _both(manifest, sort_keys=False, default_flow_style=False)
    assert ours == theirs


@pytest.mark.parametrize(
    "document",
    [
        {"text": "two\nlines"},  # double-quoted, folded differently by libyaml
        {"": 1},  # an empty key
        {"k" * 101: 1},  # a key past MAX_KEY_LENGTH
        {"name": "café"},  # non-ASCII
        {1: "non-string key"},
    ],
)
def test_what_libyaml_writes_differently_takes_the_python_path(document: dict[str, Any]) -> None:
    assert not yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document, sort_keys=False)
    assert ours == theirs


def test_an_object_twice_keeps_its_anchor() -> None:
    shared = {"a": 1}
    document = {"one": shared, "two": shared}
    assert not yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document)
    assert ours == theirs and "&id001" in ours
