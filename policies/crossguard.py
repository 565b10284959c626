"""How rules become CrossGuard policies.

A rule is one small function over a :class:`StackView` that yields :class:`Violation`s, with an
id, a severity, the section of the source document it enforces and a remediation (cdk-nag style).
Every rule becomes a *stack* policy, so it can see the site's tier, DR role and waivers, which
live on the ``paif:site:PaifSite`` resource, not on the resource at fault.

Enforcement follows the tier of the resource at fault in both engines (§9.1.1: dev and
production side by side): a tenant's objects are judged by the tenant's own tier
(``paif:tenants[].environment``, on its objects' ``paif.vmware.com/environment`` label and its
tenant component), everything else by ``paif:environment``. A rule's own policy reports only
findings that are mandatory (a production tier, not waived, severity above low);
the advisory policy ``PAIF-ADVISORY`` reports the rest that is not waived, each message starting
with its rule id. Pack config can still override any policy's enforcement level, as the CLI
allows.

Waived findings are never violations. The engine fails a preview on any diagnostic at mandatory
level and knows nothing of waivers, and pack config (``{"all": "mandatory"}``) can make any
policy mandatory; so ``PAIF-WAIVED`` lists them through the protocol's *not applicable* answer
(``PolicyNotApplicable.reason``, one line per finding), which no config turns into a failure.

Thresholds are each rule policy's own config. The engine hands a policy only its own config,
so the rule policy computes every finding with its thresholds and passes the non-mandatory
ones to ``PAIF-ADVISORY`` (which runs last in the same ``AnalyzeStack`` call) instead of the
advisory policy recomputing them with defaults. A rule disabled by pack config therefore
reports nothing at all, in neither policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from paif_policies.registry import (
    ADVISORY_POLICY,
    REGISTRY,
    WAIVED_POLICY,
    Rule,
    Violation,
    doc_link,
)
from paif_policies.view import PRODUCTION_TIERS, StackView, as_number
from paif_policies.waivers import Waiver, waiver_for, waiver_note

__all__ = [
    "WAIVED_RESOURCE_MARK",
    "build_policies",
    "findings_of",
    "format_message",
    "is_mandatory_here",
    "parse_message",
    "parse_waived_line",
    "waived_line",
]

# Joins a waived finding's message and its resource in PAIF-WAIVED's reason lines.
WAIVED_RESOURCE_MARK = " \u2014 resource "
_MESSAGE_RE = re.compile(r"^\[(?P<rule>PAIF-[A-Z]+-\d{3})\]\s(?P<rest>.*)$", re.S)
_SEVERITY_ENUM = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}


def _thresholds(rule_: Rule, config: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with pack config; integers come back as ints (JSON sends 2.0)."""
    merged = dict(rule_.thresholds)
    for key, default in rule_.thresholds.items():
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if isinstance(default, int) and not isinstance(default, bool):
            number = as_number(value)
            if number is not None and number.is_integer():
                value = int(number)
        elif isinstance(default, list):
            value = list(value)
        merged[key] = value
    return merged


def findings_of(rule_: Rule, view: StackView, config: Mapping[str, Any]) -> list[Violation]:
    return list(rule_.check(view, _thresholds(rule_, config)))


def is_mandatory_here(rule_: Rule, view: StackView, urn: str | None = None) -> bool:
    """A finding blocks when its resource is judged as production (its tenant's tier, else
    the stack's) and the rule is not low-severity."""
    tier = view.tier_of_urn(urn) if urn is not None else view.environment
    return tier in PRODUCTION_TIERS and not rule_.always_advisory


def format_message(rule_id: str, message: str, waiver: Waiver | None = None) -> str:
    prefix = f"[{rule_id}] "
    if waiver is not None:
        prefix += waiver_note(waiver)
    return prefix + message


def parse_message(message: str) -> tuple[str | None, str]:
    """Split ``[PAIF-XX-000] text`` into the rule id and the text."""
    match = _MESSAGE_RE.match(message)
    if not match:
        return None, message
    return match["rule"], match["rest"]


class _Handoff:
    """Findings a rule policy leaves for ``PAIF-ADVISORY`` within one ``AnalyzeStack`` call.

    Keyed by the stack's URNs, so a stale entry from an earlier call (say one that failed
    half-way) is never reported against another stack.
    """

    def __init__(self) -> None:
        self._key: tuple[str, ...] | None = None
        self._pending: dict[str, list[Violation]] = {}
        self._waived_key: tuple[str, ...] | None = None
        self._waived: dict[str, list[str]] = {}
        self._view: StackView | None = None

    def view(self, resources: Sequence[Any]) -> StackView:
        """The ``StackView`` of these resources, shared by the policies of one call that get
        the very same resource objects (``paif plan``'s direct evaluation); over the analyzer
        protocol each policy gets objects of its own, so each gets its own view, as before."""
        view = self._view
        if (
            view is None
            or len(view.resources) != len(resources)
            or any(a is not b for a, b in zip(view.resources, resources, strict=True))
        ):
            view = self._view = StackView(resources)
        return view

    def release_view(self) -> None:
        """The call is over (``PAIF-WAIVED`` runs last): the stack's objects may go."""
        self._view = None

    @staticmethod
    def key_of(view: StackView) -> tuple[str, ...]:
        return view.memo("handoff.key", lambda: tuple(r.urn for r in view.resources))

    def put(self, key: tuple[str, ...], rule_id: str, items: list) -> None:
        if key != self._key:
            self._key, self._pending = key, {}
        self._pending[rule_id] = items

    def take(self, key: tuple[str, ...]) -> dict[str, list[Violation]]:
        pending = self._pending if key == self._key else {}
        self._key, self._pending = None, {}
        return pending

    def put_waived(self, key: tuple[str, ...], rule_id: str, lines: list[str]) -> None:
        if key != self._waived_key:
            self._waived_key, self._waived = key, {}
        self._waived[rule_id] = lines

    def take_waived(self, key: tuple[str, ...]) -> list[str]:
        waived = self._waived if key == self._waived_key else {}
        self._waived_key, self._waived = None, {}
        return [line for rule_id in sorted(waived) for line in waived[rule_id]]


def _rule_policy(rule_: Rule, handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        view = handoff.view(args.resources)
        deferred: list[Violation] = []
        waived: list[str] = []
        for violation in findings_of(rule_, view, args.get_config()):
            waiver = waiver_for(view, rule_.id, violation.urn)
            if waiver is not None:
                waived.append(waived_line(rule_.id, violation, waiver))
            elif is_mandatory_here(rule_, view, violation.urn):
                report(format_message(rule_.id, violation.message), violation.urn)
            else:
                deferred.append(violation)
        key = _Handoff.key_of(view)
        handoff.put(key, rule_.id, deferred)
        handoff.put_waived(key, rule_.id, waived)

    schema = PolicyConfigSchema(
        properties={key: _schema_of(value) for key, value in rule_.thresholds.items()}
    )
    return StackValidationPolicy(
        name=rule_.id,
        description=f"{rule_.title} ({rule_.severity}; source {rule_.section}). "
        f"Remediation: {rule_.remediation}",
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema if rule_.thresholds else None,
        display_name=rule_.title,
        severity=_SEVERITY_ENUM[rule_.severity],
        tags=list(rule_.tags),
        remediation_steps=rule_.remediation,
        url=rule_.help_uri,
    )


def _advisory_policy(rules: list[Rule], handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        view = handoff.view(args.resources)
        pending = handoff.take(_Handoff.key_of(view))
        for rule_ in rules:
            for violation in pending.get(rule_.id, []):
                report(format_message(rule_.id, violation.message), violation.urn)

    return StackValidationPolicy(
        name=ADVISORY_POLICY,
        description="Findings that do not block this stack: non-production tiers and "
        "low-severity rules, each prefixed with its rule id.",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        display_name="Advisory findings",
        tags=["paif"],
        url=doc_link("enforcement"),
    )


def waived_line(rule_id: str, violation: Violation, waiver: Waiver) -> str:
    """One line of PAIF-WAIVED's reason: the finding with its waiver, then its resource."""
    message = format_message(rule_id, violation.message, waiver).replace("\n", " ")
    return f"{message}{WAIVED_RESOURCE_MARK}{violation.urn or 'stack'}"


def parse_waived_line(line: str) -> tuple[str, str | None]:
    """``(message, urn)`` of a PAIF-WAIVED reason line (``urn`` None for the stack)."""
    message, _, urn = line.rpartition(WAIVED_RESOURCE_MARK)
    return message, (None if urn == "stack" else urn)


def _waived_policy(handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        lines = handoff.take_waived(_Handoff.key_of(handoff.view(args.resources)))
        handoff.release_view()
        if lines:
            # Not a violation at any enforcement level: the engine lists it and moves on.
            args.not_applicable("\n".join(lines))

    return StackValidationPolicy(
        name=WAIVED_POLICY,
        description="Findings covered by a valid waiver (paif:waivers), listed with owner, expiry "
        "and reason; never a violation, whatever the pack config says.",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        display_name="Waived findings",
        tags=["paif"],
        url=doc_link("enforcement"),
    )


def _schema_of(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean", "default": value}
    if isinstance(value, int):
        return {"type": "integer", "default": value}
    if isinstance(value, float):
        return {"type": "number", "default": value}
    if isinstance(value, list):
        return {"type": "array", "default": list(value)}
    return {"type": "string", "default": value}


def build_policies(rules: Iterable[Rule] | None = None) -> list[StackValidationPolicy]:
    """One mandatory stack policy per rule, the advisory policy, then the waived-findings list.

    Order matters: the engine runs stack policies in list order; ``PAIF-ADVISORY`` reports what
    the rule policies before it handed over, ``PAIF-WAIVED`` lists the waived ones.
    """
    selected = sorted(rules if rules is not None else REGISTRY.values(), key=lambda r: r.id)
    handoff = _Handoff()
    return [
        *(_rule_policy(r, handoff) for r in selected),
        _advisory_policy(selected, handoff),
        _waived_policy(handoff),
    ]
