"""The policy report as a pull-request comment (GitHub-flavoured Markdown).

Verdict line, a count table (enforcement × severity, waived apart), the active findings table,
and the waived findings inside a collapsed ``<details>`` block. Cell text is escaped so a
message can never break the table or inject HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

from paif_cli.reports.model import (
    SEVERITIES,
    ReportContext,
    RuleMeta,
    prepare,
    resource_label,
    severity_of,
    summarize,
)
from paif_components.contract.finding import Finding

__all__ = ["render_markdown"]


def render_markdown(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> str:
    items, catalogue = prepare(findings, rules)
    context = context or ReportContext()
    summary = summarize(items, catalogue)
    active = [i for i in items if not i.waived]
    waived = [i for i in items if i.waived]

    title = "## Policy report"
    if context.stack:
        title += f" — stack `{_code(context.stack)}`"
    lines = [title, ""]
    if context.pack_name:
        pack = context.pack_name + (f" v{context.pack_version}" if context.pack_version else "")
        lines += [f"Policy pack: `{_code(pack)}`", ""]

    if summary.blocking:
        lines.append(f"**❌ {summary.blocking} mandatory violation(s) block this change.**")
    elif active:
        lines.append(f"**⚠️ No blocking violations; {len(active)} advisory finding(s).**")
    else:
        lines.append("**✅ No policy violations.**")
    lines.append("")

    header = "| | " + " | ".join(s.capitalize() for s in SEVERITIES) + " | Total |"
    lines += [header, "|---" * (len(SEVERITIES) + 2) + "|"]
    for enforcement in ("mandatory", "advisory"):
        row = [summary.matrix.get((enforcement, s), 0) for s in SEVERITIES]
        lines.append(
            f"| {enforcement.capitalize()} | "
            + " | ".join(str(n) for n in row)
            + f" | {sum(row)} |"
        )
    waived_row = [sum(1 for i in waived if severity_of(i, catalogue) == s) for s in SEVERITIES]
    lines.append("| Waived | " + " | ".join(str(n) for n in waived_row) + f" | {sum(waived_row)} |")

    if active:
        lines += [
            "",
            "### Findings",
            "",
            "| Severity | Enforcement | Rule | Resource | Message |",
            "|---|---|---|---|---|",
        ]
        for item in active:
            f = item
            lines.append(
                f"| {severity_of(item, catalogue)} | {f.enforcement} | "
                f"{_rule_cell(catalogue[f.rule_id])} | `{_code(resource_label(f.urn))}` | "
                f"{_cell(f.message)} |"
            )

    if waived:
        lines += [
            "",
            "<details>",
            f"<summary>Waived findings ({len(waived)})</summary>",
            "",
            "| Rule | Resource | Reason | Owner | Expires |",
            "|---|---|---|---|---|",
        ]
        for item in waived:
            f, w = item, item.waiver
            assert w is not None
            lines.append(
                f"| {_rule_cell(catalogue[f.rule_id])} | `{_code(resource_label(f.urn))}` | "
                f"{_cell(w.reason)} | {_cell(w.owner)} | {_cell(w.expires)} |"
            )
        lines += ["", "</details>"]

    if context.generated_at:
        lines += ["", f"<sub>Generated {context.generated_at}</sub>"]
    return "\n".join(lines) + "\n"


def _rule_cell(rule: RuleMeta) -> str:
    label = f"{_cell(rule.id)} {_cell(rule.title)}" if rule.title != rule.id else _cell(rule.id)
    if rule.help_uri:
        return f"[{label}]({rule.help_uri.replace(')', '%29').replace(' ', '%20')})"
    return label


def _cell(text: str) -> str:
    """Escape for a table cell: HTML, pipes, Markdown link/emphasis marks; newlines → <br>."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|*_[]`":
        text = text.replace(ch, "\\" + ch)
    return "<br>".join(text.splitlines())


def _code(text: str) -> str:
    """Text inside a single-backtick code span (which cannot contain a backtick)."""
    return text.replace("`", "'").replace("|", "\\|").replace("\n", " ")
