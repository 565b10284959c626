"""Governance: exceptions are accountable (rule, resource, reason, owner, expiry).

Waivers live in stack config (``paif:waivers``) and reach the pack on the PaifSite resource. A
waiver that fails any check here waives nothing (``framework.waiver_for`` ignores it, so the
finding it meant to cover stays in force: fail closed) and is itself a finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from paif_components.constants import WAIVER_MIN_REASON_LENGTH
from paif_policies.registry import Violation, rule
from paif_policies.view import StackView
from paif_policies.waivers import site_waivers, today, waiver_problem


@rule(
    "PAIF-GOV-001",
    title="Every waiver names a rule and a resource, gives a reason, an owner and a future expiry",
    severity="high",
    section="accountable exceptions",
    rationale="An exception nobody owns, explains or revisits becomes the rule. A waiver that "
    "is expired or incomplete is not honoured: the finding it covers blocks again.",
    remediation=f"Fix or remove the waiver in paif:waivers: rule (an id of the catalogue), "
    f"resource (URN, name or pattern), reason (at least {WAIVER_MIN_REASON_LENGTH} "
    "characters), owner, expires (YYYY-MM-DD, not in the past).",
)
def waivers(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    day = today()
    for index, waiver in enumerate(site_waivers(view)):
        problem = waiver_problem(waiver, day)
        if problem is not None:
            yield Violation(
                f"paif:waivers[{index}] ({waiver.rule or '?'} on {waiver.resource or '?'}) "
                f"{problem}; it waives nothing",
                view.site_urn,
            )
