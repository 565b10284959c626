"""A waiver: an accepted exception to one rule on one resource, with its reason, owner and expiry.

The one record of a waiver that the config, the policies and the reports share. The config
validates ``paif:waivers`` (``paif_components.config.models.Waiver``) and hands each entry on as
this record; the policies decide from it which finding it covers
(``paif_policies.waivers``); a waived finding carries it into plan.json and the reports
(:class:`paif_components.contract.finding.Finding`). Its fields stay strings, as written in the
stack file: the pack reads them from the site's props, where a malformed entry must still load
so that the rule reporting it (PAIF-GOV-001) can name it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Waiver"]


@dataclass(frozen=True)
class Waiver:
    """``rule`` (a rule id), ``resource`` (a URN, name or name pattern), ``reason``, ``owner``
    and ``expires`` (an ISO date, as written in the stack file)."""

    rule: str
    resource: str
    reason: str
    owner: str
    expires: str

    def to_json(self) -> dict[str, str]:
        """The entry as ``paif:waivers`` spells it (and the site's ``waivers`` prop carries it)."""
        return {
            "rule": self.rule,
            "resource": self.resource,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Waiver:
        """Tolerant: a missing field is empty (an invalid waiver, which waives nothing)."""
        return cls(
            rule=str(raw.get("rule", "")),
            resource=str(raw.get("resource", "")),
            reason=str(raw.get("reason", "")),
            owner=str(raw.get("owner", "")),
            expires=str(raw.get("expires", "")),
        )
