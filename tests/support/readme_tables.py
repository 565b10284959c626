"""The README's tables as data, so that tests hold the code to what the README promises."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def table(header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the README table whose header's first cell is
    ``header``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == header:
            rows = []
            for body in lines[index + 2 :]:
                if not body.startswith("|"):
                    break
                rows.append([c.strip() for c in body.strip().strip("|").split("|")])
            return rows
    raise AssertionError(f"README.md has no table headed {header!r}")


WHO_MAY_DO_WHAT = "in production (`roles: scoped`)"
GROUP_COLUMNS = ("view", "edit", "admin")


def who_may_do_what() -> dict[str, dict[str, str]]:
    """Row label -> {group kind: cell} of the README's "Who may do what" table."""
    return {
        row[0]: dict(zip(GROUP_COLUMNS, row[1:], strict=True)) for row in table(WHO_MAY_DO_WHAT)
    }
