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

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from paif_cli.crossguard.analyzer import evaluate
from paif_cli.errors import InputError, PolicyConfigError
from paif_cli.record import StackPlan
from paif_cli.reports.model import ENFORCEMENTS, SEVERITIES
from paif_components.contract.finding import Finding
from paif_components.contract.plan import ResourceRecord
from paif_policies import pack
from paif_policies.crossguard import parse_message, parse_waived_line
from paif_policies.registry import WAIVED_POLICY
from paif_policies.view import SITE_TYPE, StackView
from paif_policies.waivers import waiver_for, waiver_note

__all__ = [
    "UNMAPPED_SEVERITY",
    "evaluate_records",
    "gate_plan",
    "gate_site",
    "missing_groups",
    "site_records",
    "split_sites",
    "stack_view",
]

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


def stack_view(records: Sequence[ResourceRecord]) -> StackView:
    """``paif_policies.framework.StackView`` over plan records."""
    return StackView(_Resource(r.urn, r.type, r.name, r.inputs, r.parent) for r in records)


def evaluate_records(
    records: Sequence[ResourceRecord],
    pack_config: Mapping[str, Any] | None = None,
    *,
    via_protocol: bool = False,
    sdk_shortcuts: bool = True,
) -> list[Finding]:
    """Findings of the pack on plan records, report-ready.

    ``via_protocol``: play every request of the analyzer protocol instead of the direct
    evaluation of the pack's stack policies; the findings are the same. ``sdk_shortcuts``:
    take the shortcuts through pulumi-policy's internals its installed version allows.

    Each finding's message is without the ``[RULE-ID]`` and waiver prefixes; it carries its
    waiver, its rule's title, section and help link, and the policy that reported it. Sorted:
    active first, mandatory first, most severe first.
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
    findings: list[Finding] = []

    def add(
        rule_id: str,
        enforcement: str,
        urn: str | None,
        message: str,
        policy: str,
        severity: str | None = None,
    ) -> None:
        waiver = waiver_for(view, rule_id, urn) if policy == WAIVED_POLICY else None
        if waiver is not None and message.startswith(waiver_note(waiver)):
            message = message[len(waiver_note(waiver)) :]
        rule = catalogue.get(rule_id)
        resolved = rule.severity if rule else UNMAPPED_SEVERITY
        # A low finding (or a notice no rule claims) takes the severity its diagnostic carried.
        if resolved == UNMAPPED_SEVERITY and severity:
            resolved = severity
        findings.append(
            Finding(
                rule_id=rule_id,
                severity=resolved,
                enforcement=enforcement,
                urn=urn,
                message=message,
                waiver=waiver,
                title=rule.title if rule else None,
                section=rule.section if rule else None,
                help_uri=rule.help_uri if rule else None,
                policy=policy,
            )
        )

    for finding in raw:
        rule_id, message = parse_message(finding.message)
        add(
            rule_id or finding.rule_id,
            finding.enforcement,
            finding.urn,
            message,
            finding.rule_id,
            finding.severity,
        )
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
    plan.findings = evaluate_records(
        plan.result.resources, pack_config, sdk_shortcuts=sdk_shortcuts
    )


# --- a split site (paif:layout), gated as one stack ----------------------------------------


def split_sites(plans: Mapping[str, StackPlan]) -> list[tuple[StackPlan, list[StackPlan]]]:
    """Each split site whose platform stack and every tenant-group stack are in ``plans``:
    (the platform's plan, the groups' plans in the layout's order)."""
    sites = []
    for plan in plans.values():
        groups = plan.config.layout.tenant_stacks
        if not groups or plan.stack in groups:
            continue  # not split, or a group
        if all(stack in plans for stack in groups):
            sites.append((plan, [plans[stack] for stack in groups]))
    return sites


def missing_groups(plans: Mapping[str, StackPlan]) -> dict[str, list[str]]:
    """Platform stack -> the stacks of its site this run did not plan (gated alone then)."""
    out = {}
    for plan in plans.values():
        groups = plan.config.layout.tenant_stacks
        if groups and plan.stack not in groups:
            missing = [stack for stack in groups if stack not in plans]
            if missing:
                out[plan.stack] = missing
    return out


def site_records(
    platform: StackPlan, groups: Sequence[StackPlan]
) -> tuple[list[ResourceRecord], dict[str, tuple[str, str]]]:
    """The records of a split site as if one stack declared them: each group's URNs moved into
    the platform stack's (the names and parents are the same), what every stack of the site
    declares alike (the stack, the site component, its providers) once, the platform's site
    component without its ``layout`` (so the pack judges the whole site); and where each record
    came from (URN here -> its stack and URN there)."""
    records: list[ResourceRecord] = []
    origin: dict[str, tuple[str, str]] = {}
    target = f"urn:pulumi:{platform.stack}::"
    for plan in (platform, *groups):
        prefix = f"urn:pulumi:{plan.stack}::"
        for resource in plan.result.resources:
            record: ResourceRecord = resource
            if plan is not platform:
                moved = json.dumps(resource.to_json()).replace(prefix, target)
                record = ResourceRecord.from_json(json.loads(moved))
            if record.urn in origin:
                continue
            if record.type == SITE_TYPE:
                inputs = {k: v for k, v in record.inputs.items() if k != "layout"}
                record = replace(record, inputs=inputs)
            origin[record.urn] = (plan.stack, resource.urn)
            records.append(record)
    return records, origin


def gate_site(
    platform: StackPlan,
    groups: Sequence[StackPlan],
    pack_config: Mapping[str, Any] | None = None,
    *,
    sdk_shortcuts: bool = True,
) -> None:
    """Gate a split site as one stack (:func:`site_records`): every rule sees the whole site, as
    it would if one stack built it. Each stack's ``findings`` become the site's findings about
    its own resources (the site's and the stack-wide ones: the platform's)."""
    records, origin = site_records(platform, groups)
    findings = evaluate_records(records, pack_config, sdk_shortcuts=sdk_shortcuts)
    plans = {plan.stack: plan for plan in (platform, *groups)}
    for plan in plans.values():
        plan.findings = []
    for finding in findings:
        stack, urn = origin.get(finding.urn or "", (platform.stack, finding.urn))
        plans[stack].findings.append(replace(finding, urn=urn))


def _order(finding: Finding) -> tuple[Any, ...]:
    def index(order: tuple[str, ...], value: Any) -> int:
        return order.index(value) if value in order else len(order)

    return (
        finding.waived,
        index(ENFORCEMENTS, finding.enforcement),
        index(SEVERITIES, finding.severity),
        finding.rule_id,
        finding.urn or "",
        finding.message,
    )
