"""``paif_components.yaml_text.safe_dump`` writes exactly what ``yaml.safe_dump`` writes."""

from __future__ import annotations

import io
import json
import string
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_components import yaml_text

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
        {"": 1},  # an empty key
        {"k" * 101: 1},  # a key past MAX_KEY_LENGTH
        {"café": 1},  # a non-ASCII key
        {"two\nlines": 1},  # a key with a line break
        {1: "non-string key"},
    ],
)
def test_what_libyaml_writes_differently_takes_the_python_path(document: dict[str, Any]) -> None:
    assert not yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document, sort_keys=False)
    assert ours == theirs


_DASHBOARD = json.dumps(
    {
        "panels": [
            {"title": f"panel {i}", "targets": [{"expr": "sum(rate(x[5m]))"}]} for i in range(30)
        ]
    },
    indent=2,
)


@pytest.mark.parametrize(
    "value",
    [
        "two\nlines",  # single-quoted, a blank line per break
        "café ≥ 2 replicas — see the runbook",  # plain with allow_unicode, escaped without
        _DASHBOARD,  # double-quoted (a space after a break), folded many times
        "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
        "tab\there " * 20,
        "\ufeff\x85\u2028 \U0001f600 end " * 8,
    ],
)
@pytest.mark.parametrize("width", [None, 100, 20])
@pytest.mark.parametrize("allow_unicode", [True, False])
def test_strings_the_c_emitter_writes_differently_are_written_in_its_text(
    value: str, width: int | None, allow_unicode: bool
) -> None:
    document = {
        "data": {"config.json": value, "n": 1},
        "items": [value, [value, {"deep": [value]}], {"key": value, "other": value}],
        "last": value,
    }
    assert yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document, sort_keys=False, width=width, allow_unicode=allow_unicode)
    assert ours == theirs


_LONG = st.text(alphabet=_ASCII + "\n" * 8 + " " * 20 + '"\\\té\x85\u2028\ufeff😀', max_size=600)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_LONG, _DOCUMENTS), min_size=1, max_size=3),
    st.sampled_from([None, 60, 100]),
    st.booleans(),
)
def test_long_strings_anywhere_give_pyyamls_text(
    values: list[Any], width: int | None, allow_unicode: bool
) -> None:
    document = {"a": values[0], "b": values, "c": {"d": values[-1]}}
    ours, theirs = _both(document, sort_keys=False, width=width, allow_unicode=allow_unicode)
    assert ours == theirs


@settings(max_examples=500, deadline=None)
@given(
    _LONG,
    st.integers(min_value=0, max_value=130),
    st.integers(min_value=0, max_value=40),
    st.sampled_from([None, 10, 40, 80, 120]),
    st.booleans(),
    st.booleans(),
)
def test_write_double_quoted_is_pyyamls(
    text: str, column: int, indent: int, width: int | None, allow_unicode: bool, split: bool
) -> None:
    def emitter() -> tuple[io.StringIO, yaml.emitter.Emitter]:
        stream = io.StringIO()
        result = yaml.emitter.Emitter(stream, width=width, allow_unicode=allow_unicode)
        result.column, result.indent, result.whitespace = column, indent, False
        return stream, result

    (ours, fast), (theirs, stock) = emitter(), emitter()
    yaml_text.write_double_quoted(fast, text, split)
    stock.write_double_quoted(text, split)
    assert ours.getvalue() == theirs.getvalue()
    assert (fast.column, fast.whitespace, fast.indention) == (
        stock.column,
        stock.whitespace,
        stock.indention,
    )


def test_an_object_twice_keeps_its_anchor() -> None:
    shared = {"a": 1}
    document = {"one": shared, "two": shared}
    assert not yaml_text._c_dumpable(document, set())
    ours, theirs = _both(document)
    assert ours == theirs and "&id001" in ours


# --- the block writer (what the plan's manifests take) --------------------------------------

# One-line strings the block writer writes itself: indicators, quotes, runs of spaces and
# non-ASCII (written as is with allow_unicode); long enough to be folded at narrow widths.
_LINE = st.text(alphabet=_ASCII + "é—≥😀" + " " * 12, max_size=140)
_BLOCK_DOCUMENTS = st.recursive(
    st.one_of(_LINE, _SPECIAL, st.integers(), st.floats(), st.booleans(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(_SPECIAL.filter(bool), st.text(alphabet=_ASCII, min_size=1, max_size=30)),
            children,
            max_size=4,
        ),
    ),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet=_ASCII, min_size=1, max_size=12), _BLOCK_DOCUMENTS, min_size=1
    ),
    st.sampled_from([None, 5, 20, 40, 80]),
    st.booleans(),
    st.booleans(),
)
def test_the_block_writer_writes_pyyamls_text(
    document: dict[str, Any], width: int | None, sort_keys: bool, allow_unicode: bool
) -> None:
    ours = yaml_text._block_dump(document, sort_keys, width, allow_unicode)
    assert ours is not None
    assert ours == yaml.safe_dump(
        document, sort_keys=sort_keys, width=width, allow_unicode=allow_unicode
    )


@pytest.mark.parametrize("width", [None, 20, 45])
def test_the_block_writer_folds_where_pyyaml_folds(width: int | None) -> None:
    words = "a runbook line with  two spaces, a 'quote' and: colons # and hashes " * 3
    document = {
        "plain": words.strip(),
        "quoted": " " + words,
        "items": [words.strip(), [" " + words, {"deep key": words.strip()}]],
        "nested": {"inner": {"innermost": ["x " * 60]}},
    }
    ours = yaml_text._block_dump(document, False, width, True)
    assert ours == yaml.safe_dump(document, sort_keys=False, width=width, allow_unicode=True)
    assert ours.count("\n") > 12  # folded


_SHARED: dict[str, Any] = {"x": 1}
_EMPTY: list[Any] = []


@pytest.mark.parametrize(
    "document",
    [
        {},
        [1],
        "text",
        {"": 1},
        {"k" * 101: 1},
        {1: 2},
        {"a": (1,)},
        {"a": _SHARED, "b": _SHARED},  # PyYAML writes an anchor
        {"a": _EMPTY, "b": [_EMPTY]},
    ],
)
def test_the_block_writer_leaves_the_rest(document: Any) -> None:
    assert yaml_text._block_dump(document, False, None, True) is None
    assert yaml_text.safe_dump(document) == yaml.safe_dump(document)
