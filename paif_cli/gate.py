"""The policy gate of the offline plan: the CrossGuard pack, evaluated in-process.

``evaluate_plan`` runs ``policies.pack`` over the planned resources through the SDK's own
analyzer servicer (``paif_cli.policy_runner``), with pack config reconciled the way the Pulumi
CLI does it, so a finding here is the finding ``pulumi preview --policy-pack policies`` shows.
It then maps ``PAIF-ADVISORY`` messages back to their rule, reads the waived findings from
``PAIF-WAIVED``'s *not applicable* answer, attaches severity and rule metadata, and renders the
reports ``write_plan`` puts into ``OUT/STACK``: SARIF 2.1.0, JUnit XML, Markdown (pull-request
comment) and JSON.

``main.py`` exits 1 when ``plan.mandatory_failures`` is not empty: exactly when the engine would
fail the preview, which it does on any diagnostic at mandatory level.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paif_cli.reports.model import (
    ENFORCEMENTS,
    SEVERITIES,
    ReportContext,
    ReportFinding,
    RuleMeta,
    Waiver,
    summarize,
)

if TYPE_CHECKING:
    from paif_cli.plan import StackPlan

__all__ = [
    "REPORT_FILES",
    "SUMMARY_FILE",
    "SUMMARY_SECTIONS",
    "evaluate_plan",
    "evaluate_records",
    "load_policy_pack_config",
    "render_findings",
    "rule_metas",
    "set_policy_pack_config",
    "stack_view",
    "write_pair_artifacts",
]

SARIF_FILE = "policy.sarif"
JUNIT_FILE = "policy-junit.xml"
MARKDOWN_FILE = "policy.md"
JSON_FILE = "policy.json"
REPORT_FILES = (SARIF_FILE, JUNIT_FILE, MARKDOWN_FILE, JSON_FILE)
SUMMARY_FILE = "policy-summary.md"
TOOL_NAME = "paif"
INFORMATION_URI = "https://github.com/paif-pulumi/paif-pulumi"
# Severity of a finding no rule of the catalogue claims (e.g. the SDK's "can't run policy
# during preview" notice from PAIF-ADVISORY).
UNMAPPED_SEVERITY = "low"

# The --policy-pack-config of this run (main.py sets it); a plan may carry its own.
_pack_config: dict[str, Any] | None = None


# --- pack config ----------------------------------------------------------------------------


def load_policy_pack_config(source: Path | str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Read ``--policy-pack-config`` (a JSON object, as the Pulumi CLI takes it)."""
    from paif_cli.mock_runtime import ProgramError

    if source is None:
        return None
    if isinstance(source, Mapping):
        return json.loads(json.dumps(dict(source)))
    path = Path(source)
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgramError(
            f"--policy-pack-config {path}: not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict):
        raise ProgramError(
            f"--policy-pack-config {path}: must be a JSON object mapping policy names to "
            f'levels or settings, e.g. {{"PAIF-HA-001": {{"minReplicasProd": 3}}}}'
        )
    return document


def set_policy_pack_config(source: Path | str | Mapping[str, Any] | None) -> None:
    """Use this pack config for every plan of the run (``None`` clears it)."""
    global _pack_config
    _pack_config = load_policy_pack_config(source)


def _config_for(plan: StackPlan) -> dict[str, Any] | None:
    own = getattr(plan, "policy_pack_config", None)
    return load_policy_pack_config(own) if own is not None else _pack_config


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    """A plan record as ``policies.framework.StackView`` reads resources."""

    urn: str
    resource_type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None


def rule_metas() -> list[RuleMeta]:
    """Report metadata of every rule of the pack (SARIF ``tool.driver.rules``, JUnit cases)."""
    from policies import pack

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
    from policies.framework import ADVISORY_POLICY, DOCS_URL

    return RuleMeta(
        id=ADVISORY_POLICY,
        title="Advisory findings",
        severity=UNMAPPED_SEVERITY,
        description="A notice of the advisory policy that no rule of the catalogue claims.",
        help_uri=f"{DOCS_URL}#enforcement",
        tags=("paif",),
    )


def stack_view(records: Sequence[Mapping[str, Any]]) -> Any:
    """``policies.framework.StackView`` over plan records (``ResourceRecord.to_json()``)."""
    from policies.framework import StackView

    return StackView(
        _Resource(r["urn"], r["type"], r["name"], r.get("inputs") or {}, r.get("parent"))
        for r in records
    )


def evaluate_records(
    records: Sequence[Mapping[str, Any]],
    pack_config: Mapping[str, Any] | None = None,
    *,
    via_protocol: bool = False,
) -> list[dict[str, Any]]:
    """Findings of the pack on plan records (``ResourceRecord.to_json()``), report-ready.

    ``via_protocol``: play every request of the analyzer protocol (``policy_runner.evaluate``)
    instead of the direct evaluation of the pack's stack policies; the findings are the same.

    Each finding: ruleId, severity, enforcement, urn, message (without the ``[RULE-ID]`` and
    waiver prefixes), waived, waiverReason/Owner/Expires, title, section, helpUri and the
    policy that reported it. Sorted: active first, mandatory first, most severe first.
    """
    from paif_cli.mock_runtime import ProgramError
    from paif_cli.policy_runner import PolicyConfigError, evaluate
    from policies import pack
    from policies.framework import (
        WAIVED_POLICY,
        parse_message,
        parse_waived_line,
        waiver_for,
        waiver_note,
    )

    not_applicable: list[tuple[str, str]] = []
    try:
        raw = evaluate(
            pack.policies(),
            records,
            pack_name=pack.PACK_NAME,
            pack_version=pack.pack_version(),
            pack_config=pack_config,
            enforcement_level=pack.ENFORCEMENT_LEVEL,
            severities=pack.severities(),
            not_applicable=not_applicable,
            via_protocol=via_protocol,
        )
    except PolicyConfigError as exc:
        raise ProgramError(
            "\n".join(f"--policy-pack-config: {line}" for line in exc.errors)
        ) from None

    view = stack_view(records)
    catalogue = {r.id: r for r in pack.rules()}
    findings: list[dict[str, Any]] = []

    def add(rule_id: str, enforcement: str, urn: str | None, message: str, policy: str) -> None:
        waiver = waiver_for(view, rule_id, urn) if policy == WAIVED_POLICY else None
        if waiver is not None and message.startswith(waiver_note(waiver)):
            message = message[len(waiver_note(waiver)) :]
        rule = catalogue.get(rule_id)
        findings.append(
            {
                "ruleId": rule_id,
                "severity": rule.severity if rule else UNMAPPED_SEVERITY,
                "enforcement": enforcement,
                "urn": urn,
                "message": message,
                "waived": waiver is not None,
                "waiverReason": waiver.reason if waiver else None,
                "waiverOwner": waiver.owner if waiver else None,
                "waiverExpires": waiver.expires if waiver else None,
                "title": rule.title if rule else None,
                "section": rule.section if rule else None,
                "helpUri": rule.help_uri if rule else None,
                "policy": policy,
            }
        )

    for finding in raw:
        rule_id, message = parse_message(finding.message)
        add(rule_id or finding.rule_id, finding.enforcement, finding.urn, message, finding.rule_id)
        if findings[-1]["severity"] == UNMAPPED_SEVERITY and finding.severity:
            findings[-1]["severity"] = finding.severity
    # Waived findings come back as PAIF-WAIVED's "not applicable" reason, one line each: they
    # are never diagnostics, so no pack config can make them block (the engine's view too).
    for policy, reason in not_applicable:
        if policy != WAIVED_POLICY:
            continue
        for line in reason.splitlines():
            text, urn = parse_waived_line(line)
            rule_id, message = parse_message(text)
            add(rule_id or WAIVED_POLICY, "advisory", urn, message, WAIVED_POLICY)
    return sorted(findings, key=_order)


def evaluate_plan(plan: StackPlan) -> None:
    """Gate one planned stack: fill ``plan.findings`` and ``plan.reports``."""
    records = [r.to_json() for r in plan.result.resources]
    plan.findings = evaluate_records(records, _config_for(plan))
    plan.reports = _reports(plan)


def _order(finding: Mapping[str, Any]) -> tuple[Any, ...]:
    def index(order: tuple[str, ...], value: Any) -> int:
        return order.index(value) if value in order else len(order)

    return (
        bool(finding.get("waived")),
        index(ENFORCEMENTS, finding["enforcement"]),
        index(SEVERITIES, finding["severity"]),
        finding["ruleId"],
        finding["urn"] or "",
        finding["message"],
    )


# --- reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Finding:
    """A finding of ``plan.findings`` in the shape the report writers read."""

    rule_id: str
    severity: str | None
    enforcement: str
    urn: str | None
    message: str


def report_findings(plan: StackPlan) -> list[ReportFinding]:
    """``plan.findings`` as report findings, waivers attached."""
    out = []
    for f in plan.findings:
        waiver = (
            Waiver(reason=f["waiverReason"], owner=f["waiverOwner"], expires=f["waiverExpires"])
            if f.get("waived")
            else None
        )
        finding = _Finding(f["ruleId"], f["severity"], f["enforcement"], f["urn"], f["message"])
        out.append(ReportFinding(finding, waiver))
    return out


def _metas_for(findings: Sequence[ReportFinding]) -> list[RuleMeta]:
    metas = rule_metas()
    known = {m.id for m in metas}
    if any(f.finding.rule_id not in known for f in findings):
        metas.append(_advisory_meta())
    return metas


def report_context(plan: StackPlan) -> ReportContext:
    from policies import pack

    return ReportContext(
        stack=plan.stack,
        project=plan.project,
        pack_name=pack.PACK_NAME,
        pack_version=pack.pack_version(),
        tool_name=TOOL_NAME,
        tool_version=_tool_version(),
        information_uri=INFORMATION_URI,
        stack_file=plan.stack_file,
    )


def _tool_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paif-pulumi")
    except PackageNotFoundError:
        return None


def _reports(plan: StackPlan) -> dict[str, str]:
    from paif_cli.reports.json_report import render_json
    from paif_cli.reports.junit import render_junit
    from paif_cli.reports.markdown import render_markdown
    from paif_cli.reports.sarif import render_sarif

    findings = report_findings(plan)
    metas = _metas_for(findings)
    context = report_context(plan)
    return {
        SARIF_FILE: render_sarif(findings, metas, context=context),
        JUNIT_FILE: render_junit(findings, metas, context=context),
        MARKDOWN_FILE: render_markdown(findings, metas, context=context),
        JSON_FILE: render_json(findings, metas, context=context),
    }


def render_findings(plan: StackPlan, fmt: str) -> str:
    """What ``paif plan --format`` prints: ``table``, ``json``, ``markdown`` or ``none``."""
    if fmt == "none":
        return ""
    from paif_cli.reports.json_report import render_json
    from paif_cli.reports.markdown import render_markdown
    from paif_cli.reports.terminal import render_terminal, use_color

    findings = report_findings(plan)
    metas = _metas_for(findings)
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


# --- artifacts across stacks ----------------------------------------------------------------

SummarySection = Callable[[Sequence["StackPlan"]], str | None]


def _overview(plans: Sequence[StackPlan]) -> str | None:
    lines = [
        "## Stacks",
        "",
        "| Stack | Site | Environment | DR | Blocking | Advisory | Waived | Verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for plan in plans:
        items = report_findings(plan)
        summary = summarize(items, {m.id: m for m in _metas_for(items)})
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


# Sections of OUT/policy-summary.md, in order; append (or insert) a function to add one
# (e.g. a topology diagram or a failover runbook). A section returning None is left out.
SUMMARY_SECTIONS: list[SummarySection] = [_overview, _ownership, _stack_reports]


@dataclass
class _SummaryDocument:
    title: str = "# PAIF policy summary"
    sections: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n\n".join([self.title, *self.sections]).rstrip("\n") + "\n"


def render_summary(plans: Sequence[StackPlan]) -> str:
    document = _SummaryDocument()
    for section in SUMMARY_SECTIONS:
        text = section(plans)
        if text:
            document.sections.append(text.strip("\n"))
    return document.render()


def write_pair_artifacts(plans: list[StackPlan], out_dir: Path) -> list[Path]:
    """Files about all planned stacks together: ``OUT/policy-summary.md``."""
    if not plans:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / SUMMARY_FILE
    path.write_text(render_summary(plans), encoding="utf-8")
    return [path]
