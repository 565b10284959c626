"""Stack files read through libyaml give what ``StackFileLoader`` gives, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import stack_config
from paif_components.config import ConfigError, read_stack_file
from paif_components.config.loader import StackFileLoader, _CStackFileLoader, load_stack_yaml
from tests.support.stacks import ROOT


@pytest.mark.parametrize("text", [
    (ROOT / "Pulumi.prod.yaml").read_text(),
    (ROOT / "Pulumi.dr.yaml").read_text(),
    yaml.safe_dump({"config": stack_config(20)}, sort_keys=False),
])  # fmt: skip
def test_same_values_as_the_python_loader(text: str) -> None:
    assert yaml.__with_libyaml__
    assert yaml.load(text, Loader=_CStackFileLoader) == yaml.load(text, Loader=StackFileLoader)


_LINES = st.lists(
    st.sampled_from(
        [
            "config:",
            "  paif:environment: prod",
            "  a: 2027-06-30",
            "  a: 1",
            "  b: [1, 2, {c: d}]",
            "  c: !!int x",
            "  d: &x {e: 1}",
            "  f: *x",
            "  g: 'quoted: yes'",
            "  - item",
            "    nested: 3",
            "\tbad tab",
            "  h: {",
            "  i: !!binary aGVsbG8=",
            "  j: 1e3",
            "  k: ~",
        ]
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_same_value_or_same_error(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    try:
        expected = yaml.load(text, Loader=StackFileLoader)
    except yaml.YAMLError as exc:
        with pytest.raises(yaml.YAMLError) as caught:
            load_stack_yaml(text)
        assert str(caught.value) == str(exc)
    else:
        assert load_stack_yaml(text) == expected


def test_errors_keep_the_python_parsers_position(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  a: 1\n  a: 2\n")
    with pytest.raises(ConfigError) as caught:
        read_stack_file(tmp_path, "x")
    assert "key 'a' is given twice" in caught.value.render()
    assert "line 3, column 3" in caught.value.render()
