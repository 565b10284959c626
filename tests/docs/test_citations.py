"""Every § citation points at a section the source document has, and none credits the source
with a rule the project chose.

The sections come from ``docs/source-sections.tsv``, generated from the Korean original
(``tests/support/source_sections.py``); a clone has no ``shared/`` directory, so nothing here
reads it.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from tests.support.source_sections import (
    INDEX,
    ROOT,
    citations,
    parse_seed,
    read_index,
    render_index,
    tracked_files,
)

# Files that quote others' citations rather than make ours: the restatement of the source
# itself, the index, and the starting design's rule catalogue (its sources as the design
# notes wrote them, kept to hold the registry to its ids and severities).
QUOTED = (
    "docs/source-document.md",
    "docs/source-sections.tsv",
    "tests/policies/data/design-catalogue.tsv",
    "tests/docs/test_citations.py",
    "tests/support/source_sections.py",
)
# A test's made-up rule cites a section no document has, on purpose.
MADE_UP = {("tests/policies/test_pack.py", "0")}

# The project's own choices (docs/architecture.md, "Project defaults where the source is
# silent"): a statement naming one of them next to a § citation must say it is a project
# default.
PROJECT_CHOICES: dict[str, re.Pattern[str]] = {
    "GPU pools of at least 2 nodes": re.compile(
        r"GPU pools? (?:has |have )?(?:of )?(?:at least|≥|>=) ?2|VKS_MIN_GPU_POOL_NODES", re.I
    ),
    "models over 30 B are large": re.compile(r"\b30 ?B\b|LARGE_MODEL_PARAMETERS_B"),
    "a DR pattern is required in production": re.compile(
        r"DR pattern is (?:declared|required|mandatory)|pattern is required", re.I
    ),
    "a WAF is required in production": re.compile(
        r"WAF[^.]{0,40}(?:on by default|required|in enforcement mode)|"
        r"(?:required|on by default)[^.]{0,40}WAF",
        re.I,
    ),
    "P95 < 3 s is the criterion": re.compile(r"P95 ?(?:<|below|of) ?3 ?s|P95 3 s|SLA_P95_SECONDS"),
    "a 15-minute failover decision": re.compile(
        r"manual_?[dD]ecision_?[sS]econds|15[- ]min[^.]{0,40}decision|decision[^.]{0,60}15[- ]min"
    ),
    "a 10-minute validation": re.compile(
        r"validation_?[sS]econds|10[- ]min[^.]{0,40}validation|validation[^.]{0,60}10[- ]min"
    ),
}


def test_the_index_lists_the_sections_of_the_source_document() -> None:
    index = read_index()
    assert list(index)[:3] == ["9", "9.1", "9.1.1"]
    assert {"9.3.0", "9.5.1", "9.5.2", "9.5.3", "9.7.2", "9.8"} <= set(index)
    assert "9.5.4" not in index and "9.9" not in index
    assert index["9.5.2"].title == "Model endpoint autoscaling"


def test_the_index_is_what_the_generator_writes_from_the_seed() -> None:
    """Regenerated from the decoded original when the steering repository is beside this one;
    a clone without it checks only that the committed index round-trips."""
    seed = ROOT.parent / "shared" / "mission" / "seed-ko-decoded.txt"
    text = INDEX.read_text(encoding="utf-8")
    if seed.exists():
        assert render_index(parse_seed(seed.read_text(encoding="utf-8"))) == text
    assert render_index(list(read_index().values())) == text


def test_every_citation_names_a_section_of_the_source_document() -> None:
    index = read_index()
    found = list(citations(skip=QUOTED))
    assert len(found) > 500, "the code, docs and stack files cite the source throughout"
    by_kind = Counter(c.path.rsplit(".", 1)[-1] for c in found)
    assert {"py", "md", "yaml"} <= set(by_kind), by_kind
    missing = [
        f"{c.path}:{c.line}: §{c.number} ({c.text})"
        for c in found
        if c.number not in index and (c.path, c.number) not in MADE_UP
    ]
    assert not missing, "citations of sections the source does not have:\n" + "\n".join(missing)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    return tmp_path


def test_held_back_citations_are_found(tmp_path: Path) -> None:
    """A missing section and a project default credited to the source are both reported."""
    root = _repo(
        tmp_path,
        {
            "a.py": "# §9.5.4 defaults and §9.5.2's bounds\nX = 1\n",
            "b.md": "GPU pools have at least 2 nodes (§9.2.4).\n\nP95 < 3 s is a project default "
            "(§9.7.2 example).\n",
        },
    )
    index = read_index()
    assert [c.number for c in citations(root) if c.number not in index] == ["9.5.4"]
    assert project_choices_credited_to_the_source(root) == [
        "b.md:1: GPU pools of at least 2 nodes: GPU pools have at least 2 nodes (§9.2.4)."
    ]


def _paragraph(lines: list[str], at: int) -> str:
    """The lines around ``at`` up to a blank line (comment-only lines count as blank)."""

    def blank(line: str) -> bool:
        return not line.strip().strip("#").strip().strip('"').strip()

    start = at
    while start > 0 and at - start < 6 and not blank(lines[start - 1]):
        start -= 1
    end = at
    while end + 1 < len(lines) and end - at < 6 and not blank(lines[end + 1]):
        end += 1
    return "\n".join(lines[start : end + 1])


def project_choices_credited_to_the_source(root: Path = ROOT) -> list[str]:
    """Statements naming a project choice beside a § citation without saying it is ours."""
    bad = []
    for name in tracked_files(root):
        if name.startswith(QUOTED) or not name.endswith((".py", ".md", ".yaml", ".yml")):
            continue
        text = (root / name).read_text(encoding="utf-8")
        if "§" not in text:
            continue
        # The table of project defaults names each as one by its heading.
        text = text.split("## Project defaults where the source is silent", 1)[0]
        lines = text.splitlines()
        for number, line in enumerate(lines):
            for choice, pattern in PROJECT_CHOICES.items():
                if not pattern.search(line):
                    continue
                paragraph = _paragraph(lines, number)
                # One sentence may be wrapped over comment lines or string literals.
                words = " ".join(re.sub(r"[\"'#]", " ", paragraph).split()).lower()
                if "§" in paragraph and "project default" not in words:
                    bad.append(f"{name}:{number + 1}: {choice}: {line.strip()}")
    return bad


def test_no_citation_credits_the_source_with_a_project_default() -> None:
    bad = project_choices_credited_to_the_source()
    assert not bad, "say 'project default' beside these:\n" + "\n".join(bad)


def test_the_project_defaults_table_names_each_choice() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Project defaults where the source is silent", 1)[1]
    for needle in (
        "≥ 2 nodes",
        "over 30 B",
        "a DR pattern in production",
        "WAF at the entry in production",
        "P95 latency threshold",
        "failover decision time",
        "validation after failover",
    ):
        assert needle in table, needle


def test_the_autoscaling_defaults_cite_their_section() -> None:
    """§9.5.2 sets min 2, max 10 and 70 %; §9.5.1 only names the kinds of scaling."""
    wrong = []
    for c in citations(skip=QUOTED):
        if c.number == "9.5.1" and re.search(
            r"\b(?:2\.\.10|min 2|max 10)|GPU[^|]{0,30}70 ?%", c.text
        ):
            wrong.append(f"{c.path}:{c.line}: {c.text}")
    assert not wrong, "\n".join(wrong)
