"""The plan's ``estimates`` as typed records (issue 22): the writer builds them, ``to_json``
is the mapping plan.json has always had, and readers get attributes back from that mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paif_components.contract.dr_topology import DrTopologyRecord
from paif_components.contract.estimates import Estimates
from paif_components.dr.estimate import estimate_for, estimate_record
from paif_components.dr.topology import derive_site
from tests.support.stacks import load_stack, parse_pair, raw_pair

PATTERNS = ("pilot-light", "warm-standby", "active-active")


def _estimates(pattern: str) -> list[dict[str, Any]]:
    prod, dr = parse_pair(*raw_pair(pattern))
    return [
        estimate_for(prod, None, stack="prod"),
        estimate_for(dr, prod, stack="dr"),
        estimate_for(dr, prod, stack="dr", failover=True),
    ]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_from_json_then_to_json_is_the_estimate(pattern: str) -> None:
    for estimate in _estimates(pattern):
        assert Estimates.from_json(estimate).to_json() == estimate


def test_a_stack_without_dr_has_no_failover_sections() -> None:
    config = load_stack(
        edit=lambda values: values.update({"paif:dr": {"pattern": "none"}}), environment="dev"
    )
    record = estimate_record(config, None, stack="prod")
    assert (record.failover, record.assumptions, record.in_site_ha) == (None, None, None)
    assert record.rto is None and record.sites.dr is None
    estimate = record.to_json()
    assert "failover" not in estimate and "inSiteHa" not in estimate
    assert Estimates.from_json(estimate).to_json() == estimate


def test_readers_get_attributes() -> None:
    prod, dr = parse_pair(*raw_pair("warm-standby"))
    record = Estimates.from_json(estimate_for(dr, prod, stack="dr"))
    assert (record.role, record.pattern, record.stacks.primary) == ("dr", "warm-standby", "prod")
    assert record.sites.dr is not None and record.sites.dr.name == dr.site.name
    assert record.rto is not None and record.rto.seconds is not None and record.rto.seconds > 0
    assert record.rpo is not None and record.rpo.bounded is True and record.rpo.stores
    assert record.failover is not None and record.failover.target == dr.site.name
    topology = record.topology
    assert topology is not None and not topology.failover
    assert {e.name for e in topology.endpoints} == {"llama-chat", "embeddings"}
    assert topology.registry is not None
    assert [f.target_site for f in topology.registry.inbound] == [dr.site.name]


@pytest.mark.parametrize("failover", [False, True])
def test_the_topology_record_is_derived_sites_json(failover: bool) -> None:
    prod, dr = parse_pair(*raw_pair("active-active"))
    derived = derive_site(dr, prod, stack="dr", failover=failover)
    assert derived.topology.to_json() == derived.to_dict()
    record = DrTopologyRecord.from_json(derived.to_dict())
    assert record == derived.topology
    assert record.failover is failover
    assert record.traffic is not None and record.traffic.mode == "gslb"


def test_plan_json_estimates_read_back(example_out: Path) -> None:
    """plan.json carries the site input as the engine answered it: keys holding null are
    dropped; the records read them as None and give the same values back."""
    for stack in ("prod", "dr"):
        plan = json.loads((example_out / stack / "plan.json").read_text(encoding="utf-8"))
        record = Estimates.from_json(plan["estimates"])
        assert record.topology is not None
        assert record.topology.traffic is not None and record.topology.traffic.gslb is None
        assert _without_nulls(record.to_json()) == plan["estimates"]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
