"""The policy report for a person at a terminal: one aligned table, then the waived findings.

Plain text unless ``color=True``; decide that with ``use_color(stream)`` (a TTY, and ``NO_COLOR``
unset), so piping the plan into a file or CI log never embeds escape codes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TextIO

from paif_cli.reports.model import (
    ReportContext,
    RuleMeta,
    prepare,
    resource_label,
    severity_of,
    summarize,
)
from paif_components.contract.finding import Finding

__all__ = ["render_terminal", "use_color"]

_HEADERS = ("SEVERITY", "ENFORCEMENT", "RULE", "RESOURCE", "MESSAGE")
_GAP = "  "
_ANSI = {
    "critical": "\x1b[1;31m",
    "high": "\x1b[31m",
    "medium": "\x1b[33m",
    "low": "\x1b[36m",
    "mandatory": "\x1b[1m",
    "bold": "\x1b[1m",
    "reset": "\x1b[0m",
}


def use_color(stream: TextIO) -> bool:
    """Colour only for a TTY and only if the user has not set ``NO_COLOR`` (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render_terminal(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
    color: bool = False,
) -> str:
    """Summary line, findings table (stable order), waived findings table."""
    items, catalogue = prepare(findings, rules)
    context = context or ReportContext()
    summary = summarize(items, catalogue)

    def paint(text: str, style: str) -> str:
        return f"{_ANSI[style]}{text}{_ANSI['reset']}" if color and style in _ANSI else text

    lines: list[str] = []
    title = "Policy report"
    if context.pack_name:
        pack = context.pack_name + (f"@v{context.pack_version}" if context.pack_version else "")
        title += f" — {pack}"
    if context.stack:
        title += f" — stack {context.stack}"
    lines.append(paint(title, "bold"))

    active = [i for i in items if not i.waived]
    waived = [i for i in items if i.waived]
    if not items:
        lines.append("No policy violations.")
        return "\n".join(lines) + "\n"

    counts = ", ".join(f"{n} {s}" for s, n in summary.by_severity.items() if n) or "none active"
    lines.append(
        f"{len(active)} violation(s): {summary.blocking} mandatory, "
        f"{summary.by_enforcement.get('advisory', 0)} advisory ({counts}); "
        f"{summary.waived} waived"
    )

    if active:
        lines.append("")
        rows = [
            (
                severity_of(i, catalogue),
                i.enforcement,
                i.rule_id,
                resource_label(i.urn),
                i.message,
            )
            for i in active
        ]
        lines.extend(_table(_HEADERS, rows, paint))

    if waived:
        lines.append("")
        lines.append(paint(f"Waived ({len(waived)}):", "bold"))
        rows = [
            (
                i.rule_id,
                resource_label(i.urn),
                i.waiver.owner if i.waiver else "",
                i.waiver.expires if i.waiver else "",
                i.waiver.reason if i.waiver else "",
            )
            for i in waived
        ]
        lines.extend(_table(("RULE", "RESOURCE", "OWNER", "EXPIRES", "REASON"), rows, None))
    return "\n".join(lines) + "\n"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    paint: object,
) -> list[str]:
    """Columns padded to their widest cell; the last column is free text.

    A multi-line last cell continues on the next lines, indented to its column.
    """
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers[:-1])]
    indent = sum(widths) + len(_GAP) * len(widths)
    out = [_GAP.join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True))]
    out[0] = (out[0] + _GAP + headers[-1]).rstrip()
    for row in rows:
        cells = []
        for i, w in enumerate(widths):
            text = row[i].ljust(w)
            if callable(paint) and i < 2:  # severity and enforcement columns
                text = paint(text, row[i])
            cells.append(text)
        first, *rest = (row[-1] or "").splitlines() or [""]
        out.append((_GAP.join(cells) + _GAP + first).rstrip())
        out.extend((" " * indent + line).rstrip() for line in rest)
    return out
