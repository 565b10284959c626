"""docs/architecture.md states, for every section of the source document, what is implemented."""

from __future__ import annotations

import re

from paif_policies.pack import rules
from tests.support.stacks import ROOT


def _coverage() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## Source document coverage" in text
    return text.split("## Source document coverage", 1)[1].split("\n## ", 1)[0]


def test_every_section_of_the_source_document_has_a_coverage_entry() -> None:
    source = (ROOT / "docs" / "source-document.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (9\.\d) ", source, re.M)
    assert sections == [f"9.{i}" for i in range(1, 9)]
    coverage = _coverage()
    entries = re.findall(r"^\*\*§(9\.\d) ", coverage, re.M)
    assert entries == sections
    for section in sections[:-1]:  # §9.8 only summarises the others
        entry = coverage.split(f"**§{section} ", 1)[1].split("\n\n", 1)[0]
        assert "Implemented" in entry and "Stated, not enforceable" in entry, section


def test_the_rules_the_coverage_names_exist() -> None:
    named = set(re.findall(r"PAIF-[A-Z]+-\d{3}", _coverage()))
    assert named, "the coverage points at the rules that enforce each part"
    assert named <= {r.id for r in rules()}
