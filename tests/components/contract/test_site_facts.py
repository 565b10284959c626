"""The site's facts for the policies as one typed record (issue 22): PaifSite registers its
``to_props``; the policies read ``from_props`` of the site's inputs (``StackView.facts``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paif_components.contract import tokens
from paif_components.contract.site_facts import SiteFacts
from paif_policies.view import StackView


def _site_inputs(out: Path, stack: str) -> dict[str, Any]:
    plan = json.loads((out / stack / "plan.json").read_text(encoding="utf-8"))
    site = next(r for r in plan["resources"] if r["type"] == tokens.PAIF_SITE)
    return dict(site["inputs"])


def test_the_planned_site_inputs_read_back(example_out: Path) -> None:
    for stack, role in (("prod", "primary"), ("dr", "dr")):
        inputs = _site_inputs(example_out, stack)
        facts = SiteFacts.from_props(inputs)
        assert (facts.dr_role, facts.dr_pattern, facts.environment) == (
            role,
            "warm-standby",
            "prod",
        )
        assert facts.objectives is not None and facts.objectives.rto_seconds == 3600
        assert facts.estimates.role == role and facts.estimates.topology is not None
        assert facts.waivers and facts.harbor_host and facts.backup_locations
        # plan.json records the inputs PaifSite registered: to_props gives them back, beside
        # what a DR site adds from its peer stack's outputs (not its own facts).
        peer = {k: inputs.pop(k) for k in ("peerModelRefs", "peerReplication") if k in inputs}
        assert facts.to_props() == inputs
        assert bool(peer) == (role == "dr")


def test_a_hand_made_site_reads_as_missing() -> None:
    facts = SiteFacts.from_props({"site": "x", "managementCidrs": "not a list", "audit": 3})
    assert facts.site == "x" and facts.management_cidrs == () and facts.audit is None
    assert facts.objectives is None and facts.estimates.topology is None


class _Site:
    resource_type = tokens.PAIF_SITE
    urn = "urn:site"

    def __init__(self, props: dict[str, Any]) -> None:
        self.props = props


def test_the_view_exposes_them_typed(example_out: Path) -> None:
    view = StackView([_Site(_site_inputs(example_out, "dr"))])
    assert view.facts is view.facts  # read once per view
    assert view.dr_role == "dr" and view.facts.peer_site == "seoul-primary"
    assert view.estimates is view.facts.estimates
