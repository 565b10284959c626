"""DR estimate (§9.3): the three patterns on the source's example workload, and properties."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from paif_components.estimators import (
    Assumptions,
    ClusterFacts,
    DatabaseFacts,
    DrTopology,
    EndpointFacts,
    EstimatorError,
    HarborFacts,
    estimate,
    estimate_cold_start,
    rpo_band,
    rto_band,
)

GIB = 2**30
PATTERNS = ("pilot-light", "warm-standby", "active-active")


def example(pattern: str, harbor: str = "event_based") -> DrTopology:
    """§9.3.3 pattern 2's workload: 8B completions (min 2 / max 10), embeddings, one HA
    pgvector of ~100 GiB, Harbor replication, a VKS cluster of 5 workers (2 at the DR site)."""
    return DrTopology(
        pattern,
        endpoints=(
            EndpointFacts("completion", 8, replicas_needed=2),
            EndpointFacts("embedding", 0.335, replicas_needed=2),
        ),
        databases=(DatabaseFacts("pgvector", 100),),
        harbor=HarborFacts(harbor),
        clusters=(ClusterFacts("app", nodes_needed=5),),
    )


def seconds_by_key(terms: tuple) -> dict[str, float]:  # type: ignore[type-arg]
    return {t.key: t.seconds for t in terms}


COLD_8B = estimate_cold_start(8, "fp16", assignment="vgpu")
WARM_UP_8B = COLD_8B.phase("warm_up").point_s
PULL_8B = 16e9 * 8 / 10e9  # 8B fp16 = 16e9 bytes at 10 Gbit/s → 12.8 s
TRANSFER_8B = 16e9 * 8 / 1e9  # at 1 Gbit/s → 128 s


def test_warm_standby_lands_in_tens_of_minutes_and_minutes() -> None:
    est = estimate(example("warm-standby"))
    assert seconds_by_key(est.rto_terms) == pytest.approx(
        {
            "detection": 30.0,
            "decision": 900.0,
            "traffic_switch": 300.0,
            "services_redeploy": 0.0,
            "vks_provisioning": 0.0,
            "node_scale_up": 600.0 + 2 * 30.0,  # 2 → 5 workers
            "database": 120.0,
            "model_pull": PULL_8B,
            "cold_start": COLD_8B.point_s - WARM_UP_8B,
            "warm_up": WARM_UP_8B,
            "validation": 600.0,
        }
    )
    assert est.rto_s == pytest.approx(2610.0 + PULL_8B + COLD_8B.point_s)
    assert est.rto_band == "tens of minutes"
    assert seconds_by_key(est.rpo_terms) == pytest.approx(
        {"database:pgvector": 30.0, "harbor": TRANSFER_8B}
    )
    assert est.rpo_s == pytest.approx(128.0)
    assert est.rpo_band == "minutes"
    assert est.unbounded == ()


def test_pilot_light_lands_in_hours() -> None:
    est = estimate(example("pilot-light"))
    terms = seconds_by_key(est.rto_terms)
    assert terms["services_redeploy"] == 900.0
    assert terms["vks_provisioning"] == 1800.0
    assert terms["node_scale_up"] == 600.0 + 4 * 30.0  # 0 → 5 workers
    assert terms["database"] == 900.0 + 100 * 1024 / 200  # provision + restore 100 GiB
    assert est.rto_s == pytest.approx(
        30 + 900 + 300 + 900 + 1800 + 720 + 1412 + PULL_8B + COLD_8B.point_s + 600
    )
    assert est.rto_band == "hours"
    assert est.rpo_s == 86400.0  # daily backups
    assert est.rpo_band == "hours"
    term = est.rpo_term("database:pgvector")
    assert term.mechanism == "backup-restore"
    assert term.explanation == (
        "backup-restore from the last backup: everything since it is lost (backups every 1 d; "
        "§9.3.3 pattern 1)."
    )


def test_active_active_within_minutes_and_rpo_of_its_logical_lag() -> None:
    """Active-active subscribes logically by default (DSM builds no cross-site synchronous
    standby): the RPO is the lag budget, not the §9.3 band's 0."""
    est = estimate(example("active-active"))
    assert seconds_by_key(est.rto_terms) == {
        "detection": 30.0,
        "decision": 0.0,
        "traffic_switch": 30.0,
        "services_redeploy": 0.0,
        "vks_provisioning": 0.0,
        "node_scale_up": 0.0,
        "database": 120.0,
        "model_pull": 0.0,
        "cold_start": 0.0,
        "warm_up": 0.0,
        "validation": 0.0,
    }
    assert est.rto_s == 180.0
    assert est.rto_band == "within minutes"
    assert est.rpo_s == 30.0
    assert est.rpo_band == "real time"
    assert est.rpo_term("database:pgvector").mechanism == "logical"


def test_harbor_cron_adds_its_interval_to_the_transfer() -> None:
    est = estimate(example("warm-standby", harbor="0 0 */4 * * *"))
    harbor = est.rpo_term("harbor")
    assert harbor.seconds == pytest.approx(4 * 3600 + TRANSFER_8B)
    assert harbor.explanation == (
        "Scheduled replication '0 0 */4 * * *': up to 4 h until the next run, plus 2 min 8 s "
        "to transfer a 14.9 GiB model."
    )
    assert est.rpo_band == "hours"


def test_each_term_explains_itself() -> None:
    est = estimate(example("warm-standby"))
    assert est.rto_term("node_scale_up").explanation == (
        "Cluster app grows from 2 to 5 worker nodes, booting in parallel (§9.3.3: scale up)."
    )
    assert est.rto_term("cold_start").explanation == (
        "completion: starting 1 new replica in parallel; 8B fp16 on 1 GPU(s) (vgpu) takes "
        "32 s–57 s to start (§9.5.3 cold start)."
    )
    assert est.rto_term("database").label == "Database switch-over"
    assert est.rto_term("database").mechanism == "logical"
    assert all(t.explanation.endswith(".") for t in est.rto_terms + est.rpo_terms)


def test_unrecoverable_stores_are_listed_not_numbered() -> None:
    topo = DrTopology(
        "pilot-light",
        databases=(DatabaseFacts("chat-history", 10, backups_off_site=False),),
        harbor=HarborFacts("manual"),
    )
    est = estimate(topo)
    assert est.unbounded == (
        "database chat-history: backups are kept only at the primary site, so the DR site can "
        "neither restore it nor recover its data (PAIF-DR-008)",
        "harbor: replication is manual, so models reach the DR site only when someone runs it "
        "(use event_based or a cron schedule, PAIF-DR-006)",
    )
    assert est.rpo_band == "unbounded"
    assert not est.rpo_bounded
    assert est.rpo_terms == ()


def test_wal_archiving_bounds_backup_only_rpo_by_archive_timeout() -> None:
    topo = DrTopology("pilot-light", databases=(DatabaseFacts("kb", 5, wal_archiving=True),))
    assert estimate(topo).rpo_s == 300.0


def test_explicit_facts_override_the_pattern() -> None:
    topo = DrTopology(
        "warm-standby",
        endpoints=(EndpointFacts("llm", 8, replicas_needed=3, replicas_at_dr=3),),
        databases=(DatabaseFacts("kb", 50, mechanism="streaming", synchronous=True),),
        clusters=(ClusterFacts("app", nodes_needed=5, nodes_at_dr=5),),
    )
    est = estimate(topo)
    assert est.rto_term("cold_start").seconds == 0.0
    assert est.rto_term("node_scale_up").seconds == 0.0
    assert est.rpo_term("database:kb").seconds == 0.0


def test_assumptions_change_the_estimate() -> None:
    faster = Assumptions(manual_decision_seconds=300, dns_ttl_seconds=60, automated_failover=False)
    base = estimate(example("warm-standby")).rto_s
    assert estimate(example("warm-standby"), faster).rto_s == pytest.approx(base - 600 - 240)
    auto = estimate(example("warm-standby"), Assumptions(automated_failover=True))
    assert auto.rto_term("decision").seconds == 0.0


def test_pattern_none_has_nothing_to_estimate() -> None:
    with pytest.raises(EstimatorError) as err:
        estimate(example("none"))
    assert str(err.value) == (
        "DR pattern 'none' declares no DR site, so there is no failover to estimate; declare "
        "pilot-light, warm-standby or active-active (PAIF-DR-001)"
    )


def test_to_dict_is_plain_json() -> None:
    data = estimate(example("warm-standby")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["rto_band"] == "tens of minutes" and data["rpo_band"] == "minutes"
    assert data["rto"] == "44 min 27 s"
    assert data["rto_terms"][0] == {
        "key": "detection",
        "label": "Failure detection",
        "seconds": 30.0,
        "duration": "30 s",
        "explanation": "3 failed health checks 10 s apart before the site counts as down.",
    }

    def leaves(value: object) -> list[object]:
        if isinstance(value, dict):
            return [x for v in value.values() for x in leaves(v)]
        if isinstance(value, list):
            return [x for v in value for x in leaves(v)]
        return [value]

    assert all(type(v) in (int, float, str) for v in leaves(data))


@pytest.mark.parametrize(
    ("seconds", "band"),
    [
        (0, "within minutes"),
        (599, "within minutes"),
        (600, "tens of minutes"),
        (3599, "tens of minutes"),
        (3600, "hours"),
    ],
)
def test_rto_bands(seconds: float, band: str) -> None:
    assert rto_band(seconds) == band


@pytest.mark.parametrize(
    ("seconds", "band"),
    [
        (0, "zero"),
        (5, "real time"),
        (60, "minutes"),
        (3599, "minutes"),
        (3600, "hours"),
        (86400, "hours"),
    ],
)
def test_rpo_bands(seconds: float, band: str) -> None:
    assert rpo_band(seconds) == band


# --- Assumptions from stack config -----------------------------------------------------------


def test_assumptions_from_camel_case_mapping_with_durations() -> None:
    a = Assumptions.from_mapping(
        {
            "dnsTtlSeconds": "1m",
            "manualDecisionSeconds": 600,
            "healthCheckFailureThreshold": 5,
            "automatedFailover": "true",
            "modelLoadGibPerSecondLow": 0.8,
            "harbor_replication_gbit_per_second": 10,
        }
    )
    assert a.dns_ttl_seconds == 60.0
    assert a.manual_decision_seconds == 600.0
    assert a.health_check_failure_threshold == 5
    assert a.automated_failover is True
    assert a.cold_start.model_load_gib_per_second_low == 0.8
    assert a.harbor_replication_gbit_per_second == 10.0
    assert Assumptions.from_mapping({}) == Assumptions()


def test_assumptions_round_trip_through_to_dict() -> None:
    a = Assumptions(dns_ttl_seconds=60, automated_failover=True)
    data = a.to_dict()
    assert data["dnsTtlSeconds"] == 60.0 and data["automatedFailover"] is True
    assert set(data) == set(Assumptions.config_keys())
    assert Assumptions.from_mapping(data) == a


def test_unknown_assumption_key_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(EstimatorError) as err:
        Assumptions.from_mapping({"dnsTtl": 60})
    message = str(err.value)
    assert message.startswith("unknown DR assumption 'dnsTtl' (did you mean 'dnsTtlSeconds'?); ")
    assert "known keys: healthCheckIntervalSeconds, healthCheckFailureThreshold," in message


def test_zero_rates_are_rejected() -> None:
    with pytest.raises(EstimatorError) as err:
        Assumptions.from_mapping({"harborPullGbitPerSecond": 0})
    assert str(err.value) == ("DR assumption 'harborPullGbitPerSecond': expected a rate > 0, got 0")
    with pytest.raises(EstimatorError) as err:
        Assumptions(harbor_pull_gbit_per_second=0)
    assert str(err.value) == "DR assumption harbor_pull_gbit_per_second must be > 0"


def test_bad_assumption_values_are_all_reported() -> None:
    with pytest.raises(EstimatorError) as err:
        Assumptions.from_mapping(
            {"dnsTtlSeconds": "soon", "healthCheckFailureThreshold": 0, "automatedFailover": 1}
        )
    assert str(err.value) == (
        "DR assumption 'dnsTtlSeconds': expected a duration such as '90s', '30m', '4h' or "
        "'1h30m', got 'soon'; DR assumption 'healthCheckFailureThreshold': expected an integer "
        "≥ 1, got 0; DR assumption 'automatedFailover': expected true or false, got 1"
    )


def test_inconsistent_cold_start_override_names_the_config() -> None:
    with pytest.raises(EstimatorError) as err:
        Assumptions.from_mapping({"warmUpSecondsLow": "1m"})
    assert str(err.value) == (
        "paif:dr.assumptions: cold start warmUpSecondsLow (60) exceeds warmUpSecondsHigh (10)"
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: DrTopology("hot-standby"),
            "unknown DR pattern 'hot-standby': expected 'none', 'pilot-light', 'warm-standby', "
            "'active-active'",
        ),
        (
            lambda: DatabaseFacts("kb", 1, mechanism="semi-sync"),
            "database 'kb': mechanism 'semi-sync' is not one of 'logical', 'streaming', "
            "'backup-restore', 'none'",
        ),
        (
            lambda: EndpointFacts("llm", 8, replicas_needed=-1),
            "endpoint 'llm': replicas_needed must be an integer ≥ 0, got -1",
        ),
        (
            lambda: EndpointFacts("llm", 0),
            "endpoint 'llm': parameters_b must be > 0, got 0",
        ),
        (
            lambda: EndpointFacts("llm", 8, precision="fp64"),
            "endpoint 'llm': unknown precision 'fp64': expected one of fp32, fp16, bf16, fp8, "
            "int8, int4",
        ),
        (
            lambda: ClusterFacts("app", 5, nodes_at_dr=2, exists_at_dr=False),
            "cluster 'app': nodes_at_dr is 2 but the cluster does not exist at the DR site",
        ),
        (
            lambda: HarborFacts("0 */4 * * *"),
            "Harbor cron '0 */4 * * *' has 5 fields; Harbor uses 6 with seconds first (second "
            "minute hour day-of-month month day-of-week): did you mean '0 0 */4 * * *'?",
        ),
        (
            lambda: DrTopology(
                "warm-standby", endpoints=(EndpointFacts("a", 8), EndpointFacts("a", 1))
            ),
            "endpoint name 'a' appears twice",
        ),
    ],
)
def test_bad_facts_are_rejected(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EstimatorError) as err:
        build()
    assert str(err.value) == message


# --- properties ------------------------------------------------------------------------------

endpoint_facts = st.builds(
    EndpointFacts,
    name=st.just("x"),
    parameters_b=st.floats(min_value=0.1, max_value=400, allow_nan=False),
    replicas_needed=st.integers(min_value=0, max_value=6),
    precision=st.sampled_from(["fp16", "bf16", "fp8", "int4"]),
    gpus_per_replica=st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
    assignment=st.sampled_from(["vgpu", "passthrough"]),
)
database_facts = st.builds(
    DatabaseFacts,
    name=st.just("x"),
    size_gib=st.floats(min_value=0, max_value=5000, allow_nan=False),
    mechanism=st.one_of(st.none(), st.sampled_from(["logical", "backup-restore", "none"])),
    backup_interval_seconds=st.floats(min_value=60, max_value=7 * 86400),
    backups_off_site=st.booleans(),
    wal_archiving=st.booleans(),
)
cluster_facts = st.builds(
    ClusterFacts,
    name=st.just("x"),
    nodes_needed=st.integers(min_value=0, max_value=20),
    nodes_at_dr=st.none(),
    exists_at_dr=st.one_of(st.none(), st.booleans()),
)
harbor_facts = st.one_of(
    st.none(),
    st.builds(
        HarborFacts,
        schedule=st.sampled_from(["event_based", "manual", "0 0 */4 * * *", "0 */15 * * * *"]),
        largest_model_gib=st.one_of(st.none(), st.floats(min_value=0, max_value=800)),
    ),
)


def _named(items: list, prefix: str) -> tuple:  # type: ignore[type-arg]
    return tuple(replace(item, name=f"{prefix}{i}") for i, item in enumerate(items))


@st.composite
def workloads(draw: st.DrawFn) -> DrTopology:
    return DrTopology(
        "warm-standby",
        endpoints=_named(draw(st.lists(endpoint_facts, max_size=3)), "ep"),
        databases=_named(draw(st.lists(database_facts, max_size=3)), "db"),
        harbor=draw(harbor_facts),
        clusters=_named(draw(st.lists(cluster_facts, max_size=2)), "c"),
    )


seconds = st.floats(min_value=0, max_value=7200, allow_nan=False)


@st.composite
def assumption_sets(draw: st.DrawFn) -> Assumptions:
    """Assumptions that respect the documented ordering preconditions."""
    dns = draw(seconds)
    provision = draw(seconds)
    return Assumptions(
        health_check_interval_seconds=draw(st.floats(min_value=1, max_value=60)),
        health_check_failure_threshold=draw(st.integers(min_value=1, max_value=10)),
        manual_decision_seconds=draw(seconds),
        automated_failover=draw(st.booleans()),
        dns_ttl_seconds=dns,
        gslb_switch_seconds=draw(st.floats(min_value=0, max_value=dns)),
        services_redeploy_seconds=draw(seconds),
        vks_cluster_provision_seconds=draw(seconds),
        node_provision_seconds=draw(seconds),
        node_provision_stagger_seconds=draw(st.floats(min_value=0, max_value=120)),
        database_promotion_seconds=draw(st.floats(min_value=0, max_value=provision)),
        database_provision_seconds=provision,
        database_restore_mib_per_second=draw(st.floats(min_value=1, max_value=2000)),
        async_replication_lag_seconds=draw(st.floats(min_value=0, max_value=60)),
        wal_archive_timeout_seconds=draw(st.floats(min_value=60, max_value=3600)),
        harbor_replication_gbit_per_second=draw(st.floats(min_value=0.1, max_value=100)),
        harbor_pull_gbit_per_second=draw(st.floats(min_value=0.1, max_value=100)),
        model_cached_on_new_nodes=draw(st.booleans()),
        validation_seconds=draw(seconds),
    )


def _rpo_key(est: object) -> float:
    """An unbounded RPO is longer than any number."""
    return math.inf if est.unbounded else est.rpo_s  # type: ignore[attr-defined]


@settings(max_examples=200, deadline=None)
@given(workloads(), assumption_sets())
def test_patterns_are_ordered_for_the_same_workload(topo: DrTopology, a: Assumptions) -> None:
    pilot, warm, active = (estimate(topo.with_pattern(p), a) for p in PATTERNS)
    tolerance = 1e-6
    if not pilot.unbounded:  # an unrestorable database drops out of pilot light's RTO
        assert pilot.rto_s >= warm.rto_s - tolerance
        for p_term, w_term in zip(pilot.rto_terms, warm.rto_terms, strict=True):
            assert p_term.seconds >= w_term.seconds - tolerance, p_term.key
    assert warm.rto_s >= active.rto_s - tolerance
    for w_term, a_term in zip(warm.rto_terms, active.rto_terms, strict=True):
        assert w_term.seconds >= a_term.seconds - tolerance, w_term.key
    assert _rpo_key(pilot) >= _rpo_key(warm) >= _rpo_key(active)


@settings(max_examples=200, deadline=None)
@given(workloads(), assumption_sets(), st.sampled_from(PATTERNS))
def test_terms_are_non_negative_and_add_up(topo: DrTopology, a: Assumptions, pattern: str) -> None:
    est = estimate(topo.with_pattern(pattern), a)
    assert all(t.seconds >= 0 for t in est.rto_terms + est.rpo_terms)
    assert est.rto_s == math.fsum(t.seconds for t in est.rto_terms)
    assert est.rpo_s == max((t.seconds for t in est.rpo_terms), default=0.0)
    assert [t.key for t in est.rto_terms] == [
        "detection",
        "decision",
        "traffic_switch",
        "services_redeploy",
        "vks_provisioning",
        "node_scale_up",
        "database",
        "model_pull",
        "cold_start",
        "warm_up",
        "validation",
    ]
    assert json.loads(json.dumps(est.to_dict())) == est.to_dict()


@settings(max_examples=200, deadline=None)
@given(
    workloads(),
    assumption_sets(),
    st.sampled_from(PATTERNS),
    st.floats(min_value=1.0, max_value=20.0),
)
def test_bigger_model_never_lowers_rto(
    topo: DrTopology, a: Assumptions, pattern: str, factor: float
) -> None:
    assume(topo.endpoints)
    first = topo.endpoints[0]
    bigger = replace(first, parameters_b=first.parameters_b * factor)
    grown = DrTopology(
        pattern,
        (bigger, *topo.endpoints[1:]),
        topo.databases,
        topo.harbor,
        topo.clusters,
    )
    assert estimate(grown, a).rto_s >= estimate(topo.with_pattern(pattern), a).rto_s - 1e-6


@settings(max_examples=200, deadline=None)
@given(workloads(), assumption_sets(), st.sampled_from(PATTERNS))
def test_synchronous_streaming_contributes_zero_rpo(
    topo: DrTopology, a: Assumptions, pattern: str
) -> None:
    """The formula on record for the mechanism DSM cannot build
    (paif_components.config.models.dr_copy)."""
    synced = DrTopology(
        pattern,
        topo.endpoints,
        tuple(replace(d, mechanism="streaming", synchronous=True) for d in topo.databases),
        topo.harbor,
        topo.clusters,
    )
    est = estimate(synced, a)
    for d in synced.databases:
        assert est.rpo_term(f"database:{d.name}").seconds == 0.0
