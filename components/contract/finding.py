"""A policy finding: one violation of one rule, as the gate hands it to plan.json, the reports,
the diff and the exit code.

The one record of a finding across ``paif_cli``: the offline analyzer builds it from the
engine's diagnostic (``paif_cli.crossguard.findings``), the gate maps the advisory and waived
hand-off back to its rule and attaches the rule's metadata and the waiver, and every reader
reads its attributes. A rule itself yields ``paif_policies.registry.Violation`` (a message and
a resource): what the rule author writes, before CrossGuard gives it an enforcement level.

``to_json`` is the entry of plan.json's ``policy.violations``; ``from_json`` reads it back,
tolerantly (``paif diff --base`` reads the plan of an older checkout).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from paif_components.contract.json_read import text
from paif_components.contract.waiver import Waiver

__all__ = ["ENFORCEMENTS", "SEVERITIES", "Enforcement", "Finding"]

Enforcement = Literal["mandatory", "advisory", "remediate"]
# POLICY-RULES.md: "Severity: critical / high / medium / low", most severe first.
SEVERITIES: Final[tuple[str, ...]] = ("critical", "high", "medium", "low")
# Most blocking first; "remediate" only appears if a remediation itself failed.
ENFORCEMENTS: Final[tuple[str, ...]] = ("mandatory", "remediate", "advisory")


@dataclass(frozen=True)
class Finding:
    """``rule_id``, ``enforcement``, ``urn`` (None: the stack), ``message`` (the rule's own
    text), ``severity`` (None: the rule's); the ``waiver`` that covers it, if any; the rule's
    ``title``, ``section`` and ``help_uri``, and the ``policy`` that reported it (the rule, or
    the pack's advisory or waived policy), once the gate has mapped it back."""

    rule_id: str
    enforcement: str
    urn: str | None
    message: str
    severity: str | None = None
    waiver: Waiver | None = None
    title: str | None = None
    section: str | None = None
    help_uri: str | None = None
    policy: str | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def blocking(self) -> bool:
        """A mandatory violation fails ``pulumi preview`` (and the offline plan). Waived findings
        are never diagnostics, so never mandatory."""
        return self.enforcement == "mandatory"

    def to_json(self) -> dict[str, Any]:
        """The entry of plan.json's ``policy.violations``."""
        waiver = self.waiver
        return {
            "ruleId": self.rule_id,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "message": self.message,
            "waived": waiver is not None,
            "waiverReason": waiver.reason if waiver else None,
            "waiverOwner": waiver.owner if waiver else None,
            "waiverExpires": waiver.expires if waiver else None,
            "title": self.title,
            "section": self.section,
            "helpUri": self.help_uri,
            "policy": self.policy,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Finding:
        """An entry of ``policy.violations``; a missing field reads as empty or None. plan.json
        records the waiver's reason, owner and expiry, not the pattern it was written with: the
        waiver read back names the finding's own rule and resource."""
        urn = text(raw.get("urn"))
        rule_id = str(raw.get("ruleId") or "")
        waiver = (
            Waiver(
                rule=rule_id,
                resource=urn or "",
                reason=str(raw.get("waiverReason") or ""),
                owner=str(raw.get("waiverOwner") or ""),
                expires=str(raw.get("waiverExpires") or ""),
            )
            if raw.get("waived")
            else None
        )
        return cls(
            rule_id=rule_id,
            enforcement=str(raw.get("enforcement") or ""),
            urn=urn,
            message=str(raw.get("message") or ""),
            severity=text(raw.get("severity")),
            waiver=waiver,
            title=text(raw.get("title")),
            section=text(raw.get("section")),
            help_uri=text(raw.get("helpUri")),
            policy=text(raw.get("policy")),
        )
