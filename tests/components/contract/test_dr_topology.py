"""The DR topology's one set of classes (issue 22): the writer builds them, plan.json records
their ``to_json``, and ``from_json`` gives the same objects back, also from partial entries."""

from __future__ import annotations

import json

import pytest

from paif_components.contract.dr_databases import DatabaseMode, DatabaseRole
from paif_components.contract.dr_topology import (
    ClusterMode,
    ClusterRole,
    DrTopologyRecord,
    EndpointMode,
    EndpointRole,
    ReplicaBounds,
    TrafficMode,
)
from paif_components.dr import roles
from paif_components.dr.topology import derive_site
from tests.support.stacks import parse_pair, raw_pair

PATTERNS = ("pilot-light", "warm-standby", "active-active")


def test_the_writer_s_names_are_the_contract_s_classes() -> None:
    assert roles.EndpointRole is EndpointRole and roles.ClusterRole is ClusterRole
    assert roles.DatabaseRole is DatabaseRole and roles.EndpointMode is EndpointMode


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("failover", [False, True])
def test_each_site_s_topology_reads_back_as_the_objects_written(
    pattern: str, failover: bool
) -> None:
    prod, dr = parse_pair(*raw_pair(pattern))
    for derived in (derive_site(prod, None), derive_site(dr, prod, stack="dr", failover=failover)):
        text = json.dumps(derived.to_dict())
        record = DrTopologyRecord.from_json(json.loads(text))
        assert record == derived.topology
        assert record.registry is not None and derived.registry is not None
        assert record.registry.flows == derived.registry.flows  # the primary's flow first


def test_a_logical_copy_s_names_come_back_from_its_name() -> None:
    prod, dr = parse_pair(*raw_pair("active-active"))
    (copy, *_) = derive_site(dr, prod, stack="dr").databases.values()
    raw = copy.to_json()
    assert raw["logical"]["subscription"] == copy.subscription
    read = DatabaseRole.from_json(raw)
    assert (read.publication, read.slot, read.replication_user) == (
        copy.publication,
        copy.slot,
        copy.replication_user,
    )
    assert read.max_slot_wal_keep_size_mb == copy.max_slot_wal_keep_size_mb


def test_partial_entries_read_as_defaults_and_their_flags() -> None:
    """As the diagram's tests and older plans hand them: no mode, only the flags."""
    topology = DrTopologyRecord.from_json(
        {
            "site": "b",
            "clusters": [{"tenant": "t1", "name": "apps", "deployed": False}, {"name": "x"}],
            "databases": [
                {"tenant": "t1", "name": "db1", "running": False},
                {"tenant": "t1", "name": "db2"},
                {"tenant": "t1", "name": "db3", "mode": "logical-subscriber"},
            ],
            "endpoints": [{"tenant": "t1", "name": "e", "running": False, "replicas": {"max": 2}}],
            "traffic": {"share": 0.5},
            "registry": {"outbound": [{"from": "b", "projects": ["p"]}, "junk"]},
        }
    )
    assert (topology.pattern, topology.role, topology.peer_site) == ("none", "primary", None)
    assert [c.mode for c in topology.clusters] == [ClusterMode.NOT_DEPLOYED, ClusterMode.FULL]
    assert [d.mode for d in topology.databases] == [
        DatabaseMode.RESTORE_FROM_BACKUP,
        DatabaseMode.WRITER,
        DatabaseMode.SUBSCRIBER,
    ]
    assert topology.databases[1].mechanism == "" and topology.databases[1].kind == "vector"
    (endpoint,) = topology.endpoints
    assert endpoint.mode is EndpointMode.DECLARED and not endpoint.running
    assert endpoint.replicas == ReplicaBounds(0, 2)
    assert topology.traffic is not None and topology.traffic.mode is TrafficMode.SINGLE_SITE
    assert topology.registry is not None
    (flow,) = topology.registry.outbound
    assert (flow.projects, flow.filters, flow.schedule) == (("p",), ("p/**",), None)


def test_a_mode_this_version_does_not_know_reads_as_its_flags() -> None:
    role = ClusterRole.from_json({"mode": "hibernating", "deployed": False})
    assert role.mode is ClusterMode.NOT_DEPLOYED
    assert ClusterRole.from_json({"workers": {"gpu": 2.0}}).nodes == 2
