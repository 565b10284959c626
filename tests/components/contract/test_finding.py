"""The finding record: plan.json's ``policy.violations`` entry, written and read back."""

from __future__ import annotations

import json

from paif_components.contract.finding import Finding
from paif_components.contract.waiver import Waiver

URN = "urn:pulumi:prod::paif::kubernetes:core/v1:ResourceQuota::seoul-marketing-namespace-quota"
WAIVER = Waiver("PAIF-CAP-002", URN, "Quota caps llama-chat until review.", "ops", "2027-06-30")
WAIVED = Finding(
    rule_id="PAIF-CAP-002",
    enforcement="advisory",
    urn=URN,
    message="quota 4 < 12 GPUs at max replicas",
    severity="high",
    waiver=WAIVER,
    title="A tenant's endpoints fit its quota",
    section="§9.4.3",
    help_uri=None,
    policy="PAIF-WAIVED",
)


def test_to_json_is_the_plan_entry_field_for_field_in_order() -> None:
    assert WAIVED.to_json() == {
        "ruleId": "PAIF-CAP-002",
        "severity": "high",
        "enforcement": "advisory",
        "urn": URN,
        "message": "quota 4 < 12 GPUs at max replicas",
        "waived": True,
        "waiverReason": "Quota caps llama-chat until review.",
        "waiverOwner": "ops",
        "waiverExpires": "2027-06-30",
        "title": "A tenant's endpoints fit its quota",
        "section": "§9.4.3",
        "helpUri": None,
        "policy": "PAIF-WAIVED",
    }
    assert list(WAIVED.to_json())[:5] == ["ruleId", "severity", "enforcement", "urn", "message"]


def test_round_trip_through_json_text() -> None:
    """plan.json keeps the waiver's reason, owner and expiry; read back, it names the finding's
    own rule and resource."""
    assert Finding.from_json(json.loads(json.dumps(WAIVED.to_json()))) == WAIVED
    active = Finding("PAIF-HA-001", "mandatory", None, "1 replica < 2", "high")
    assert Finding.from_json(active.to_json()) == active
    assert active.blocking and not active.waived
    assert not WAIVED.blocking and WAIVED.waived


def test_an_older_or_partial_entry_still_loads() -> None:
    """``paif diff --base`` reads plans of older checkouts: missing fields read as empty."""
    old = Finding.from_json({"ruleId": "PAIF-HA-001", "urn": None, "waived": False})
    assert old == Finding("PAIF-HA-001", "", None, "")
    assert Finding.from_json({}) == Finding("", "", None, "")
    waived = Finding.from_json({"ruleId": "R", "urn": URN, "waived": True, "waiverOwner": "o"})
    assert waived.waiver == Waiver("R", URN, "", "o", "")
