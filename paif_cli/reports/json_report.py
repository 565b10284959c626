"""The policy report as JSON, for scripts: every finding, its rule, its waiver, and the counts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from paif_cli.reports.model import (
    ENFORCEMENTS,
    SEVERITIES,
    ReportContext,
    RuleMeta,
    prepare,
    severity_of,
    summarize,
)
from paif_components.contract.finding import Finding

__all__ = ["REPORT_SCHEMA_VERSION", "build_json_report", "render_json"]

# Bumped when a field changes meaning or disappears (adding fields keeps the version).
REPORT_SCHEMA_VERSION = 1


def build_json_report(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> dict[str, Any]:
    """The report as plain data (ordered, no timestamp unless the context carries one)."""
    items, catalogue = prepare(findings, rules)
    context = context or ReportContext()
    summary = summarize(items, catalogue)
    report: dict[str, Any] = {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "tool": {"name": context.tool_name, "version": context.tool_version},
        "project": context.project,
        "stack": context.stack,
        "policyPack": {"name": context.pack_name, "version": context.pack_version},
    }
    if context.generated_at:
        report["generatedAt"] = context.generated_at
    report["summary"] = {
        "total": summary.total,
        "blocking": summary.blocking,
        "waived": summary.waived,
        "byEnforcement": {e: summary.by_enforcement[e] for e in ENFORCEMENTS},
        "bySeverity": {s: summary.by_severity[s] for s in SEVERITIES},
    }
    report["rules"] = [
        {
            "id": rule.id,
            "title": rule.title,
            "severity": rule.severity,
            "description": rule.description,
            "rationale": rule.rationale,
            "remediation": rule.remediation,
            "helpUri": rule.help_uri,
            "tags": list(rule.tags),
        }
        for rule in catalogue.values()
    ]
    report["findings"] = [
        {
            "ruleId": item.rule_id,
            "title": catalogue[item.rule_id].title,
            "severity": severity_of(item, catalogue),
            "enforcement": item.enforcement,
            "urn": item.urn,
            "message": item.message,
            "waived": item.waived,
            "waiver": (
                {
                    "reason": item.waiver.reason,
                    "owner": item.waiver.owner,
                    "expires": item.waiver.expires,
                }
                if item.waiver
                else None
            ),
        }
        for item in items
    ]
    return report


def render_json(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> str:
    """``build_json_report`` serialised with two-space indent and a final newline."""
    data = build_json_report(findings, rules, context=context)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
