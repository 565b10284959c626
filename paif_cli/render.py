"""Stage 4 of ``paif plan``: the documents a reviewer reads beside plan.json, as text.

Per stack: the policy reports (SARIF 2.1.0, JUnit XML, Markdown for the pull-request comment,
JSON), the failover runbook (DR estimates) and the operations runbook the alerts link to. For
the whole run: ``policy-summary.md``. Nothing here writes a file (:mod:`paif_cli.write` does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from paif_cli.gate import UNMAPPED_SEVERITY
from paif_cli.mock_runtime import ResourceRecord
from paif_cli.record import StackPlan
from paif_cli.reports.json_report import render_json
from paif_cli.reports.junit import render_junit
from paif_cli.reports.markdown import render_markdown
from paif_cli.reports.model import ReportContext, RuleMeta, summarize
from paif_cli.reports.sarif import render_sarif
from paif_components.contract.finding import Finding
from paif_components.dr.runbook import RUNBOOK_FILE, render_runbook
from paif_components.observability.alerts import OPS_RUNBOOK_FILE
from paif_components.observability.runbook import render_ops_runbook
from paif_policies import pack
from paif_policies.registry import ADVISORY_POLICY, doc_link, project_urls, repository_url

__all__ = [
    "JSON_FILE",
    "JUNIT_FILE",
    "MARKDOWN_FILE",
    "REPORT_FILES",
    "SARIF_FILE",
    "SUMMARY_FILE",
    "SUMMARY_SECTIONS",
    "alert_groups",
    "metas_for",
    "ops_runbook",
    "policy_reports",
    "render_stack",
    "render_summary",
    "report_context",
    "rule_metas",
]

SARIF_FILE = "policy.sarif"
JUNIT_FILE = "policy-junit.xml"
MARKDOWN_FILE = "policy.md"
JSON_FILE = "policy.json"
REPORT_FILES = (SARIF_FILE, JUNIT_FILE, MARKDOWN_FILE, JSON_FILE)
SUMMARY_FILE = "policy-summary.md"
TOOL_NAME = "paif"
DISTRIBUTION = "paif-pulumi"
PROMETHEUS_RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"


def render_stack(plan: StackPlan) -> None:
    """Fill ``plan.reports`` for a gated stack: policy reports and both runbooks."""
    plan.reports = policy_reports(plan)
    if plan.estimates:
        plan.reports[RUNBOOK_FILE] = render_runbook(plan.config, plan.estimates)
    plan.reports[OPS_RUNBOOK_FILE] = ops_runbook(plan)


# --- policy reports ---------------------------------------------------------------------------


def rule_metas() -> list[RuleMeta]:
    """Report metadata of every rule of the pack (SARIF ``tool.driver.rules``, JUnit cases)."""
    return [
        RuleMeta(
            id=r.id,
            title=r.title,
            severity=r.severity,
            description=f"{r.title} (source: {r.section}).",
            remediation=r.remediation,
            help_uri=r.help_uri,
            rationale=r.rationale,
            tags=r.tags,
        )
        for r in pack.rules()
    ]


def _advisory_meta() -> RuleMeta:
    return RuleMeta(
        id=ADVISORY_POLICY,
        title="Advisory findings",
        severity=UNMAPPED_SEVERITY,
        description="A notice of the advisory policy that no rule of the catalogue claims.",
        help_uri=doc_link("enforcement"),
        tags=("paif",),
    )


def metas_for(findings: Sequence[Finding]) -> list[RuleMeta]:
    """The pack's rule metadata, and the advisory policy's when a finding names no rule."""
    metas = rule_metas()
    known = {m.id for m in metas}
    if any(f.rule_id not in known for f in findings):
        metas.append(_advisory_meta())
    return metas


def report_context(plan: StackPlan) -> ReportContext:
    return ReportContext(
        stack=plan.stack,
        project=plan.project,
        pack_name=pack.PACK_NAME,
        pack_version=pack.pack_version(),
        tool_name=TOOL_NAME,
        tool_version=tool_version(),
        information_uri=repository_url(project_urls()),
        stack_file=plan.stack_file,
    )


def tool_version() -> str | None:
    """The installed ``paif-pulumi`` version, ``None`` when run from a bare checkout."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


def policy_reports(plan: StackPlan) -> dict[str, str]:
    """SARIF, JUnit, Markdown and JSON of a gated stack's findings, by file name."""
    findings = plan.findings
    metas = metas_for(findings)
    context = report_context(plan)
    return {
        SARIF_FILE: render_sarif(findings, metas, context=context),
        JUNIT_FILE: render_junit(findings, metas, context=context),
        MARKDOWN_FILE: render_markdown(findings, metas, context=context),
        JSON_FILE: render_json(findings, metas, context=context),
    }


# --- runbooks ---------------------------------------------------------------------------------


def alert_groups(resources: Sequence[ResourceRecord]) -> list[dict[str, Any]]:
    """Every PrometheusRule group the stack declares, in plan order."""
    groups: list[dict[str, Any]] = []
    for record in resources:
        if record.type == PROMETHEUS_RULE_TYPE:
            groups.extend((record.inputs.get("spec") or {}).get("groups") or [])
    return groups


def ops_runbook(plan: StackPlan) -> str:
    """The operations runbook the stack's alerts link to (``paif_components.observability``)."""
    observability = plan.config.observability
    return render_ops_runbook(
        site=plan.config.site.name,
        stack=plan.stack,
        groups=alert_groups(plan.result.resources),
        prometheus_url=observability.prometheus.resolved_url if observability.enabled else None,
    )


# --- the run's summary (policy-summary.md) ----------------------------------------------------

SummarySection = Callable[[Sequence[StackPlan]], str | None]


def _overview(plans: Sequence[StackPlan]) -> str | None:
    lines = [
        "## Stacks",
        "",
        "| Stack | Site | Environment | DR | Blocking | Advisory | Waived | Verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for plan in plans:
        items = plan.findings
        summary = summarize(items, {m.id: m for m in metas_for(items)})
        verdict = "❌ blocked" if summary.blocking else "✅ passes"
        config = plan.config
        lines.append(
            f"| `{plan.stack}` | {config.site.name} | {config.environment} | "
            f"{config.dr.pattern} / {config.dr.role} | {summary.blocking} | "
            f"{summary.by_enforcement.get('advisory', 0)} | {summary.waived} | {verdict} |"
        )
    return "\n".join(lines)


def _stack_reports(plans: Sequence[StackPlan]) -> str | None:
    sections = []
    for plan in plans:
        text = plan.reports.get(MARKDOWN_FILE)
        if text is None:
            continue
        # One level down: each stack's report sits under this document's title.
        sections.append(
            "\n".join(("#" + line) if line.startswith("#") else line for line in text.splitlines())
        )
    return "\n\n".join(sections) if sections else None


def _ownership(plans: Sequence[StackPlan]) -> str | None:
    from paif_cli.reports.ownership import render_ownership

    return render_ownership([(plan.stack, plan.result.outputs) for plan in plans])


# Sections of OUT/policy-summary.md, in order; a section returning None is left out.
SUMMARY_SECTIONS: tuple[SummarySection, ...] = (_overview, _ownership, _stack_reports)
SUMMARY_TITLE = "# PAIF policy summary"


def render_summary(
    plans: Sequence[StackPlan], sections: Sequence[SummarySection] = SUMMARY_SECTIONS
) -> str:
    """``policy-summary.md``: the title, then each section's text."""
    parts = [SUMMARY_TITLE]
    for section in sections:
        text = section(plans)
        if text:
            parts.append(text.strip("\n"))
    return "\n\n".join(parts).rstrip("\n") + "\n"
