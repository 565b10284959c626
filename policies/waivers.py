"""Exceptions with a recorded reason: a waiver in ``paif:waivers`` names a rule, a resource (URN,
name or name pattern), a reason, an owner and an expiry. An invalid waiver (unknown rule, short
reason, no owner, a past or malformed expiry) waives nothing: rules fail closed, and
PAIF-GOV-001 reports it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass

from paif_policies.registry import REGISTRY
from paif_policies.view import StackView

__all__ = ["Waiver", "site_waivers", "today", "waiver_for", "waiver_note"]


@dataclass(frozen=True)
class Waiver:
    rule: str
    resource: str
    reason: str
    owner: str
    expires: str

    def matches(self, rule_id: str, urn: str | None) -> bool:
        if self.rule != rule_id:
            return False
        target = urn or ""
        name = target.rsplit("::", 1)[-1]
        if self.resource in ("*", target, name):
            return True
        return fnmatch.fnmatchcase(name, self.resource) or (
            self.resource.startswith("urn:") and fnmatch.fnmatchcase(target, self.resource)
        )

    def problem(self, today: dt.date) -> str | None:
        """Why this waiver cannot be honoured, or None if it is valid (fail closed)."""
        from paif_components.constants import WAIVER_MIN_REASON_LENGTH

        if self.rule not in REGISTRY:
            return f"names unknown rule {self.rule!r}"
        if len(self.reason.strip()) < WAIVER_MIN_REASON_LENGTH:
            return f"reason must have at least {WAIVER_MIN_REASON_LENGTH} characters"
        if not self.owner.strip():
            return "has no owner"
        if not self.resource.strip():
            return "names no resource"
        try:
            expires = dt.date.fromisoformat(self.expires)
        except ValueError:
            return f"expiry {self.expires!r} is not a date (YYYY-MM-DD)"
        if expires < today:
            return f"expired on {self.expires}"
        return None


def site_waivers(view: StackView) -> list[Waiver]:
    out = []
    for raw in view.site.get("waivers") or []:
        out.append(
            Waiver(
                rule=str(raw.get("rule", "")),
                resource=str(raw.get("resource", "")),
                reason=str(raw.get("reason", "")),
                owner=str(raw.get("owner", "")),
                expires=str(raw.get("expires", "")),
            )
        )
    return out


def today() -> dt.date:
    return dt.date.today()


def waiver_for(
    view: StackView, rule_id: str, urn: str | None, on: dt.date | None = None
) -> Waiver | None:
    """The valid waiver covering this finding, if any (invalid waivers never apply)."""
    day = on or today()
    for waiver in site_waivers(view):
        if waiver.problem(day) is None and waiver.matches(rule_id, urn):
            return waiver
    return None


def waiver_note(waiver: Waiver) -> str:
    """The marker a waived finding's message carries after its rule id."""
    return f"[waived by {waiver.owner} until {waiver.expires}: {waiver.reason}] "
