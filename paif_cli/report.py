"""Stage 6 of ``paif plan``: what it prints about each stack.

A readable account of what the stack declares (resources by the component that owns them,
which endpoints are monitored, the DR estimate against the declared objectives, the outputs)
and its policy findings as a table, JSON or Markdown (``--format``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from paif_cli.gate import stack_view
from paif_cli.mock_runtime import ResourceRecord
from paif_cli.record import StackPlan
from paif_cli.render import metas_for, report_context
from paif_cli.reports.json_report import render_json
from paif_cli.reports.markdown import render_markdown
from paif_cli.reports.terminal import render_terminal, use_color
from paif_components.config.units import format_seconds
from paif_components.contract.estimates import Estimates, RecoveryRecord
from paif_policies.rules.operations import endpoint_watches

__all__ = ["FINDINGS_FORMATS", "monitoring_lines", "render_findings", "summary"]

FINDINGS_FORMATS = ("table", "json", "markdown", "none")


def render_findings(plan: StackPlan, fmt: str) -> str:
    """What ``paif plan --format`` prints: ``table``, ``json``, ``markdown`` or ``none``."""
    if fmt == "none":
        return ""
    findings = plan.findings
    metas = metas_for(findings)
    context = report_context(plan)
    if fmt == "table":
        return render_terminal(
            findings, metas, context=context, color=use_color(sys.stdout)
        ).rstrip("\n")
    if fmt == "json":
        return render_json(findings, metas, context=context).rstrip("\n")
    if fmt == "markdown":
        return render_markdown(findings, metas, context=context).rstrip("\n")
    raise ValueError(f"unknown findings format {fmt!r}: expected table, json, markdown or none")


def monitoring_lines(plan: StackPlan) -> list[str]:
    """Which running endpoints are scraped and alerted on (PAIF-OPS-001's view), and which not."""
    watches = endpoint_watches(stack_view(plan.result.resources))
    if not watches:
        return []
    watched = [f"{w.endpoint.namespace}/{w.endpoint.name}" for w in watches if w.monitored]
    lines = [
        f"  monitored endpoints (scraped; down, latency and error-rate alerts): "
        f"{', '.join(watched) or 'none'}"
    ]
    unwatched = [w for w in watches if not w.monitored]
    if unwatched:
        lines.append(
            "  NOT monitored: "
            + ", ".join(f"{w.endpoint.namespace}/{w.endpoint.name}" for w in unwatched)
        )
    return lines


def summary(plan: StackPlan) -> str:
    """A readable account of what the stack declares, for the terminal.

    Resources are grouped by the component they belong to one level below the site (a tenant,
    the GPU domain, the edge, a replication), so a reviewer sees who declares what.
    """
    records = plan.result.resources
    by_urn = {r.urn: r for r in records}
    config = plan.config
    lines = [
        f"Stack {plan.stack} ({plan.stack_file}, environment {config.environment}, "
        f"site {config.site.name}, DR {config.dr.pattern}/{config.dr.role})",
        f"  {sum(1 for r in records if r.custom)} resources in "
        f"{sum(1 for r in records if not r.custom)} components",
    ]

    def group_of(record: ResourceRecord) -> str:
        chain = []
        current: ResourceRecord | None = record
        while current is not None:
            if not current.custom:
                chain.append(current)
            current = by_urn.get(current.parent or "")
        if not chain:
            return "(stack)"
        top = chain[-2] if len(chain) >= 2 else chain[-1]
        return f"{top.type} {top.name}"

    groups: dict[str, Counter[str]] = {}
    for record in records:
        if record.custom:
            groups.setdefault(group_of(record), Counter())[record.type.rsplit(":", 1)[-1]] += 1
    for group in sorted(groups):
        counts = groups[group]
        lines.append(f"  {group}: {sum(counts.values())}")
        parts = [f"{count} {kind}" for kind, count in sorted(counts.items())]
        row = "     "
        for part in parts:
            if len(row) + len(part) + 2 > 100:
                lines.append(row.rstrip(", "))
                row = "     "
            row += f" {part},"
        lines.append(row.rstrip(","))
    lines += monitoring_lines(plan)
    estimate = Estimates.read(plan.estimates)
    rto, rpo = estimate.rto, estimate.rpo
    if rto is not None and rpo is not None:
        declared = config.dr.objectives
        verdict = ""
        if declared is not None:
            met = _within(rto, declared.rto) and _within(rpo, declared.rpo)
            verdict = f"; declared {format_seconds(declared.rto)}/{format_seconds(declared.rpo)}: "
            verdict += "met" if met else "NOT met"
        lines.append(
            f"  DR {config.dr.pattern}: RTO ≈ {rto.duration} ({rto.band}), "
            f"RPO ≈ {rpo.duration} ({rpo.band}){verdict}"
        )
    if plan.result.outputs:
        lines.append("  outputs:")
        for key in sorted(plan.result.outputs):
            value = plan.result.outputs[key]
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
            if len(text) > 100:
                text = text[:97] + "..."
            lines.append(f"    {key}: {text}")
    return "\n".join(lines)


def _within(figure: RecoveryRecord, limit: float) -> bool:
    """An unbounded figure (no built mechanism bounds it: ``seconds`` is None) meets no limit."""
    return figure.seconds is not None and figure.seconds <= limit
