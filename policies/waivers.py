"""Exceptions with a recorded reason: a waiver in ``paif:waivers`` names a rule, a resource (URN,
name or name pattern), a reason, an owner and an expiry. An invalid waiver (unknown rule, short
reason, no owner, a past or malformed expiry) waives nothing: rules fail closed, and
PAIF-GOV-001 reports it.

The record is the contract's (:class:`paif_components.contract.waiver.Waiver`, re-exported
here); this module holds what the pack decides from it: which finding it covers, and whether
it can be honoured at all.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping

from paif_components.contract.waiver import Waiver
from paif_policies.registry import REGISTRY
from paif_policies.view import StackView

__all__ = [
    "Waiver",
    "site_waivers",
    "today",
    "waiver_for",
    "waiver_matches",
    "waiver_note",
    "waiver_problem",
]


def waiver_matches(waiver: Waiver, rule_id: str, urn: str | None) -> bool:
    """Whether ``waiver`` names this rule and this resource (its URN, its name, or a pattern of
    either)."""
    if waiver.rule != rule_id:
        return False
    target = urn or ""
    name = target.rsplit("::", 1)[-1]
    if waiver.resource in ("*", target, name):
        return True
    return fnmatch.fnmatchcase(name, waiver.resource) or (
        waiver.resource.startswith("urn:") and fnmatch.fnmatchcase(target, waiver.resource)
    )


def waiver_problem(waiver: Waiver, today: dt.date) -> str | None:
    """Why ``waiver`` cannot be honoured, or None if it is valid (fail closed)."""
    from paif_components.constants import WAIVER_MIN_REASON_LENGTH

    if waiver.rule not in REGISTRY:
        return f"names unknown rule {waiver.rule!r}"
    if len(waiver.reason.strip()) < WAIVER_MIN_REASON_LENGTH:
        return f"reason must have at least {WAIVER_MIN_REASON_LENGTH} characters"
    if not waiver.owner.strip():
        return "has no owner"
    if not waiver.resource.strip():
        return "names no resource"
    try:
        expires = dt.date.fromisoformat(waiver.expires)
    except ValueError:
        return f"expiry {waiver.expires!r} is not a date (YYYY-MM-DD)"
    if expires < today:
        return f"expired on {waiver.expires}"
    return None


def site_waivers(view: StackView) -> list[Waiver]:
    """The site's ``waivers`` prop as records (malformed entries too: PAIF-GOV-001 names them)."""
    return [
        Waiver.from_json(raw if isinstance(raw, Mapping) else {})
        for raw in view.site.get("waivers") or []
    ]


def today() -> dt.date:
    return dt.date.today()


def waiver_for(
    view: StackView, rule_id: str, urn: str | None, on: dt.date | None = None
) -> Waiver | None:
    """The valid waiver covering this finding, if any (invalid waivers never apply)."""
    day = on or today()
    for waiver in site_waivers(view):
        if waiver_problem(waiver, day) is None and waiver_matches(waiver, rule_id, urn):
            return waiver
    return None


def waiver_note(waiver: Waiver) -> str:
    """The marker a waived finding's message carries after its rule id."""
    return f"[waived by {waiver.owner} until {waiver.expires}: {waiver.reason}] "
