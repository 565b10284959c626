"""The waiver record: one definition, from the stack file to the reports."""

from __future__ import annotations

import datetime as dt

import pytest

from paif_components.config.models import Waiver as WaiverConfig
from paif_components.contract.waiver import Waiver
from paif_policies.waivers import waiver_matches, waiver_problem

ENTRY = {
    "rule": "PAIF-CAP-002",
    "resource": "*marketing-namespace-quota",
    "reason": "Quota caps llama-chat until the capacity review raises it.",
    "owner": "platform-team@example.com",
    "expires": "2027-06-30",
}


def test_round_trip_keeps_every_field_in_the_stack_file_order() -> None:
    waiver = Waiver.from_json(ENTRY)
    assert waiver == Waiver(**ENTRY)
    assert waiver.to_json() == ENTRY
    assert list(waiver.to_json()) == ["rule", "resource", "reason", "owner", "expires"]


def test_a_malformed_entry_still_loads_as_an_invalid_waiver() -> None:
    waiver = Waiver.from_json({"rule": "PAIF-CAP-002", "expires": 20270630})
    assert waiver == Waiver("PAIF-CAP-002", "", "", "", "20270630")
    assert waiver_problem(waiver, dt.date(2026, 1, 1)) is not None


def test_the_config_model_hands_on_the_contract_record() -> None:
    """The input model validates; what it hands on is the contract's record, and the JSON the
    site's props carry (``model_dump``) is that record's."""
    config = WaiverConfig.model_validate(ENTRY)
    record = config.record()
    assert isinstance(record, Waiver)
    assert record == Waiver(**ENTRY)
    assert config.model_dump(mode="json", by_alias=True) == record.to_json()


@pytest.mark.parametrize(
    ("resource", "urn", "covered"),
    [
        (
            "*marketing-namespace-quota",
            "urn:pulumi:prod::p::t::seoul-marketing-namespace-quota",
            True,
        ),
        (
            "seoul-marketing-namespace-quota",
            "urn:pulumi:prod::p::t::seoul-marketing-namespace-quota",
            True,
        ),
        ("*hr-namespace-quota", "urn:pulumi:prod::p::t::seoul-marketing-namespace-quota", False),
        ("urn:pulumi:prod::*", "urn:pulumi:prod::p::t::seoul-marketing-namespace-quota", True),
        ("*", None, True),
    ],
)
def test_matching_is_the_pack_s_function_over_the_record(
    resource: str, urn: str | None, covered: bool
) -> None:
    waiver = Waiver(**{**ENTRY, "resource": resource})
    assert waiver_matches(waiver, "PAIF-CAP-002", urn) is covered
    assert waiver_matches(waiver, "PAIF-CAP-001", urn) is False
