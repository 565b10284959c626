"""What every report writer reads: rule metadata, the run's context, and one ordering.

The writers are pure functions ``render_*(findings, rules, *, context=...) -> str`` over the
contract's :class:`~paif_components.contract.finding.Finding` (its waiver attached, if any).
Every finding's rule must have a ``RuleMeta`` (``crossguard.analyzer.rule_metadata`` builds
them from the pack), so a report never invents a severity or a title.

Waived findings are listed (never dropped) but do not count as failures or blocking violations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paif_components.contract.finding import ENFORCEMENTS, SEVERITIES, Finding

__all__ = [
    "ENFORCEMENTS",
    "SEVERITIES",
    "ReportContext",
    "RuleMeta",
    "Summary",
    "prepare",
    "resource_label",
    "rules_by_id",
    "severity_of",
    "summarize",
]


@dataclass(frozen=True)
class RuleMeta:
    """A rule as reports describe it (SARIF ``reportingDescriptor``, Markdown links)."""

    id: str
    title: str
    severity: str
    description: str
    remediation: str = ""
    help_uri: str | None = None
    rationale: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("RuleMeta.id must not be empty")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"rule {self.id}: severity {self.severity!r} must be one of {', '.join(SEVERITIES)}"
            )


@dataclass(frozen=True)
class ReportContext:
    """Where the findings come from; only what is given is written (no clock, no hostname)."""

    stack: str | None = None
    project: str | None = None
    pack_name: str | None = None
    pack_version: str | None = None
    tool_name: str = "paif"
    tool_version: str | None = None
    information_uri: str | None = None
    stack_file: str | None = None  # default: Pulumi.<stack>.yaml
    generated_at: str | None = None  # ISO 8601 UTC, only when the caller wants a timestamp

    @property
    def stack_file_path(self) -> str | None:
        if self.stack_file:
            return self.stack_file
        return f"Pulumi.{self.stack}.yaml" if self.stack else None

    @property
    def stack_urn(self) -> str | None:
        """The root stack URN (``resource.DefaultRootStackURN``) for stack-level findings."""
        if not (self.stack and self.project):
            return None
        return (
            f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::"
            f"{self.project}-{self.stack}"
        )


@dataclass(frozen=True)
class Summary:
    """Counts a reader wants first. Waived findings are counted only under ``waived``."""

    total: int
    blocking: int
    waived: int
    by_enforcement: Mapping[str, int] = field(default_factory=dict)
    by_severity: Mapping[str, int] = field(default_factory=dict)
    matrix: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (enforcement, severity)


def prepare(
    findings: Iterable[Finding], rules: Iterable[RuleMeta]
) -> tuple[list[Finding], dict[str, RuleMeta]]:
    """Check every rule has metadata, and fix the one report order.

    Order: active before waived, then mandatory before advisory, most severe first, then
    rule id, URN (stack-level first) and message, so output never depends on input order.
    """
    items = list(findings)
    catalogue = rules_by_id(items, rules)

    def key(f: Finding) -> tuple[Any, ...]:
        return (
            f.waived,
            _index(ENFORCEMENTS, f.enforcement),
            _index(SEVERITIES, severity_of(f, catalogue)),
            f.rule_id,
            f.urn or "",
            f.message,
        )

    return sorted(items, key=key), catalogue


def rules_by_id(findings: Sequence[Finding], rules: Iterable[RuleMeta]) -> dict[str, RuleMeta]:
    """Rule metadata by id, sorted by id; a finding whose rule has none is an error."""
    catalogue: dict[str, RuleMeta] = {}
    for rule in rules:
        if rule.id in catalogue and catalogue[rule.id] != rule:
            raise ValueError(f"conflicting metadata for rule {rule.id}")
        catalogue[rule.id] = rule
    missing = sorted({f.rule_id for f in findings} - catalogue.keys())
    if missing:
        raise ValueError(f"no rule metadata for {', '.join(missing)}")
    return dict(sorted(catalogue.items()))


def severity_of(finding: Finding, rules: Mapping[str, RuleMeta]) -> str:
    """The finding's own severity if it has one, else its rule's."""
    severity = finding.severity
    if severity in SEVERITIES:
        return severity
    return rules[finding.rule_id].severity


def summarize(findings: Sequence[Finding], rules: Mapping[str, RuleMeta]) -> Summary:
    active = [f for f in findings if not f.waived]
    matrix = Counter((f.enforcement, severity_of(f, rules)) for f in active)
    return Summary(
        total=len(findings),
        blocking=sum(1 for f in active if f.blocking),
        waived=len(findings) - len(active),
        by_enforcement={e: sum(matrix[(e, s)] for s in SEVERITIES) for e in ENFORCEMENTS},
        by_severity={s: sum(matrix[(e, s)] for e in ENFORCEMENTS) for s in SEVERITIES},
        matrix=dict(matrix),
    )


def resource_label(urn: str | None) -> str:
    """A short resource name for tables: ``<type>::<name>`` from the URN, ``(stack)`` if none."""
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    type_token = parts[2].split("$")[-1]
    return f"{type_token}::{'::'.join(parts[3:])}"


def _index(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)
