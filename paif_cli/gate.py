"""Stage 3 of ``paif plan``: the policy gate, the CrossGuard pack over the plan's records.

``gate_plan`` runs ``paif_policies.pack`` over the planned resources through the SDK's own analyzer
servicer (:mod:`paif_cli.crossguard`), with pack config reconciled the way the Pulumi CLI does
it, so a finding here is the finding ``pulumi preview --policy-pack policies`` shows. It then
maps ``PAIF-ADVISORY`` messages back to their rule, reads the waived findings from
``PAIF-WAIVED``'s *not applicable* answer, and attaches severity and rule metadata.

``plan.mandatory_failures`` is not empty exactly when the engine would fail the preview, which
it does on any diagnostic at mandatory level: ``paif plan`` then exits 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from paif_cli.crossguard.analyzer import evaluate
from paif_cli.errors import InputError, PolicyConfigError
from paif_cli.record import StackPlan
from paif_cli.reports.model import ENFORCEMENTS, SEVERITIES
from paif_policies import pack
from paif_policies.crossguard import parse_message, parse_waived_line
from paif_policies.registry import WAIVED_POLICY
from paif_policies.view import StackView
from paif_policies.waivers import waiver_for, waiver_note

__all__ = ["UNMAPPED_SEVERITY", "evaluate_records", "gate_plan", "stack_view"]

# Severity of a finding no rule of the catalogue claims (e.g. the SDK's "can't run policy
# during preview" notice from PAIF-ADVISORY).
UNMAPPED_SEVERITY = "low"


@dataclass(frozen=True)
class _Resource:
    """A plan record as ``paif_policies.framework.StackView`` reads resources."""

    urn: str
    resource_type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None


def stack_view(records: Sequence[Mapping[str, Any]]) -> StackView:
    """``paif_policies.framework.StackView`` over plan records (``ResourceRecord.to_json()``)."""
    return StackView(
        _Resource(r["urn"], r["type"], r["name"], r.get("inputs") or {}, r.get("parent"))
        for r in records
    )


def evaluate_records(
    records: Sequence[Mapping[str, Any]],
    pack_config: Mapping[str, Any] | None = None,
    *,
    via_protocol: bool = False,
    sdk_shortcuts: bool = True,
) -> list[dict[str, Any]]:
    """Findings of the pack on plan records (``ResourceRecord.to_json()``), report-ready.

    ``via_protocol``: play every request of the analyzer protocol instead of the direct
    evaluation of the pack's stack policies; the findings are the same. ``sdk_shortcuts``:
    take the shortcuts through pulumi-policy's internals its installed version allows.

    Each finding: ruleId, severity, enforcement, urn, message (without the ``[RULE-ID]`` and
    waiver prefixes), waived, waiverReason/Owner/Expires, title, section, helpUri and the
    policy that reported it. Sorted: active first, mandatory first, most severe first.
    """
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
            sdk_shortcuts_wanted=sdk_shortcuts,
        )
    except PolicyConfigError as exc:
        raise InputError(
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


def gate_plan(
    plan: StackPlan, pack_config: Mapping[str, Any] | None = None, *, sdk_shortcuts: bool = True
) -> None:
    """Gate one planned stack: fill ``plan.findings``."""
    records = [r.to_json() for r in plan.result.resources]
    plan.findings = evaluate_records(records, pack_config, sdk_shortcuts=sdk_shortcuts)


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
