"""The platform objects a stack adopts or references (``paif:ownership``), as Markdown.

A section of ``OUT/policy-summary.md`` (the pull-request comment): a reviewer sees which
objects the change brings under the stack (imported: the first ``pulumi up`` then enforces the
declared settings on them) and which it uses without managing. Created objects are the rest;
a plan where the stacks create everything gets no section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MODES = {"adopt": "adopted (imported)", "reference": "referenced (not managed)"}


def ownership_rows(outputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The stack output ``ownership``: one entry per adopted or referenced object."""
    value = outputs.get("ownership")
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def render_ownership(stacks: Sequence[tuple[str, Mapping[str, Any]]]) -> str | None:
    """``stacks``: (stack name, its outputs); ``None`` when every object is created."""
    lines = [
        "## Adopted and referenced objects",
        "",
        "| Stack | Kind | Object | Mode | Import id / why |",
        "|---|---|---|---|---|",
    ]
    rows = 0
    for stack, outputs in stacks:
        for row in ownership_rows(outputs):
            mode = str(row.get("mode", ""))
            note = row.get("importId") or row.get("why") or ""
            if row.get("requested") and row.get("requested") != mode:
                note = f"asked to {row['requested']}: {note}"
            cell = str(note).replace("|", "\\|")
            lines.append(
                f"| `{stack}` | {row.get('kind', '')} | `{row.get('name', '')}` | "
                f"{MODES.get(mode, mode)} | {cell} |"
            )
            rows += 1
    return "\n".join(lines) if rows else None
