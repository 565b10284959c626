"""DR estimates per pattern from the example stacks (issue 5: estimates)."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paif_components.config import ConfigError, StackConfig, parse_stack_config
from paif_components.config.models import Objectives
from paif_components.dr.estimate import (
    RPO_BAND_ORDER,
    RTO_BAND_ORDER,
    SOURCE_RPO_BAND,
    SOURCE_RTO_BAND,
    camel_keys,
    estimate_for,
    site_gpu_pool,
)
from paif_components.estimators import Assumptions, harbor_cron_interval_seconds
from tests.support.stacks import parse_pair, raw_pair

PATTERNS = ("pilot-light", "warm-standby", "active-active")
HOUR = 3600.0


def estimates(pattern: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(DR stack's estimate, primary stack's estimate)."""
    primary, dr = parse_pair(*raw_pair(pattern))
    return estimate_for(dr, primary, stack="dr"), estimate_for(primary, None, stack="prod")


def term(section: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in section["terms"] if t["key"] == key)


# --- the bands of the source document (§9.3) ---------------------------------------------------


@pytest.mark.parametrize("side", [0, 1], ids=["dr-stack", "primary-stack"])
def test_warm_standby_is_tens_of_minutes_and_minutes(side: int) -> None:
    result = estimates("warm-standby")[side]
    assert 10 * 60 <= result["rto"]["seconds"] < HOUR
    assert result["rto"]["band"] == "tens of minutes"
    assert 60 <= result["rpo"]["seconds"] < HOUR
    assert result["rpo"]["band"] == "minutes"
    assert result["rto"]["withinSourceBand"] and result["rpo"]["withinSourceBand"]
    # The example declares RTO 1h / RPO 15m: warm standby meets both.
    assert result["objectives"]["met"] is True


@pytest.mark.parametrize("side", [0, 1], ids=["dr-stack", "primary-stack"])
def test_pilot_light_is_hours(side: int) -> None:
    result = estimates("pilot-light")[side]
    assert result["rto"]["seconds"] >= HOUR
    assert (result["rto"]["band"], result["rpo"]["band"]) == ("hours", "hours")
    assert result["rpo"]["seconds"] == HOUR  # the hourly incremental backup
    assert term(result["rto"], "vks_provisioning")["seconds"] > 0
    assert term(result["rto"], "database")["label"] == "Database restore"
    assert result["objectives"]["rto"]["met"] is False
    assert result["objectives"]["rpo"]["met"] is False


@pytest.mark.parametrize("side", [0, 1], ids=["dr-stack", "primary-stack"])
def test_active_active_is_within_minutes_and_rpo_of_its_logical_copies(side: int) -> None:
    """DSM's API builds no cross-site synchronous standby, so active-active's copies subscribe
    logically: the RPO is their lag budget, outside §9.3's "0 (synchronous)" band, and says so."""
    result = estimates("active-active")[side]
    assert result["rto"]["seconds"] < 10 * 60
    assert result["rto"]["band"] == "within minutes"
    assert result["rpo"]["seconds"] == 30
    assert result["rpo"]["band"] == "real time"
    assert (result["rpo"]["sourceBand"], result["rpo"]["withinSourceBand"]) == ("zero", False)
    assert [(t["key"], t["seconds"], t["mechanism"]) for t in result["rpo"]["terms"]] == [
        ("database:marketing/kb-vectors", 30.0, "logical"),
        ("database:marketing/chat-history", 30.0, "logical"),
        ("harbor", 0.0, "harbor-push-replication"),
    ]
    assert term(result["rto"], "traffic_switch")["label"] == "GSLB switch"
    assert term(result["rto"], "traffic_switch")["seconds"] == 30.0  # gslb.ttl default


def test_warm_standby_terms_follow_the_derived_topology() -> None:
    result, _ = estimates("warm-standby")
    rto = result["rto"]
    assert [t["key"] for t in rto["terms"]] == [
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
    assert math.isclose(rto["seconds"], sum(t["seconds"] for t in rto["terms"]), abs_tol=0.01)
    assert term(rto, "node_scale_up")["explanation"].startswith(
        "Cluster marketing/marketing-apps grows from 3 to 5 worker nodes"
    )
    assert "(logical): the subscription is stopped" in term(rto, "database")["explanation"]
    assert term(rto, "database")["mechanism"] == "logical"
    assert "1 new replica" in term(rto, "cold_start")["explanation"]
    assert term(result["rpo"], "database:marketing/kb-vectors")["seconds"] == 30.0
    # §9.3.2 item 4: the app's own data counts in the RPO like the vector data.
    assert term(result["rpo"], "database:marketing/chat-history")["seconds"] == 30.0
    assert result["rpo"]["seconds"] == term(result["rpo"], "harbor")["seconds"]  # max over stores
    for section in (result["rto"], result["rpo"]):
        assert all(t["explanation"] for t in section["terms"])


def test_source_bands_are_the_estimators_labels() -> None:
    assert set(SOURCE_RTO_BAND.values()) <= set(RTO_BAND_ORDER)
    assert set(SOURCE_RPO_BAND.values()) <= set(RPO_BAND_ORDER)
    assert RTO_BAND_ORDER == ("within minutes", "tens of minutes", "hours")
    assert RPO_BAND_ORDER == ("zero", "real time", "minutes", "hours")


# --- declared facts and assumptions -------------------------------------------------------------


def test_assumptions_override_defaults_and_dr_keys_win() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["assumptions"] = {"dnsTtlSeconds": 120, "validationSeconds": "5m"}
    dr["paif:dr"]["assumptions"] = {"dnsTtlSeconds": 60}
    primary, config = parse_pair(prod, dr)
    result = estimate_for(config, primary, stack="dr")
    assert term(result["rto"], "traffic_switch")["seconds"] == 60.0
    assert term(result["rto"], "validation")["seconds"] == 300.0
    assert result["overriddenAssumptions"] == ["dnsTtlSeconds", "validationSeconds"]
    assert result["assumptions"]["dnsTtlSeconds"] == 60.0
    # The primary's own estimate uses only its own keys.
    own = estimate_for(primary, None, stack="prod")
    assert term(own["rto"], "traffic_switch")["seconds"] == 120.0


def test_assumptions_valid_per_file_but_inconsistent_together_are_a_config_error() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["assumptions"] = {"schedulingSecondsLow": 1, "schedulingSecondsHigh": 1.5}
    dr["paif:dr"]["assumptions"] = {"schedulingSecondsLow": 2}
    primary, config = parse_pair(prod, dr)  # each file is valid on its own
    with pytest.raises(ConfigError) as exc:
        estimate_for(config, primary, stack="dr")
    assert exc.value.stack_file == "Pulumi.dr.yaml"
    (problem,) = exc.value.problems
    assert problem.path == "paif:dr.assumptions"
    assert "schedulingSecondsLow (2) exceeds schedulingSecondsHigh (1.5)" in problem.message


def test_gslb_ttl_is_the_switch_time_unless_overridden() -> None:
    prod, dr = raw_pair("active-active")
    dr["paif:dr"]["gslb"]["ttl"] = 20
    primary, config = parse_pair(prod, dr)
    assert (
        term(estimate_for(config, primary, stack="dr")["rto"], "traffic_switch")["seconds"] == 20.0
    )
    dr["paif:dr"]["assumptions"] = {"gslbSwitchSeconds": 45}
    primary, config = parse_pair(prod, dr)
    assert (
        term(estimate_for(config, primary, stack="dr")["rto"], "traffic_switch")["seconds"] == 45.0
    )


def test_replication_schedule_and_backups_drive_the_rpo() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["replicationSchedule"] = "*/15 * * * *"
    primary, config = parse_pair(prod, dr)
    result = estimate_for(config, primary, stack="dr")
    harbor = term(result["rpo"], "harbor")
    # Event-based replication loses the transfer of the largest model; a cron adds its gap.
    transfer = term(estimates("warm-standby")[0]["rpo"], "harbor")["seconds"]
    assert harbor["seconds"] == pytest.approx(
        harbor_cron_interval_seconds("0 */15 * * * *") + transfer, abs=0.01
    )
    assert harbor["seconds"] == pytest.approx(900 + transfer, abs=0.01)

    prod, dr = raw_pair("pilot-light")
    del prod["paif:tenants"][0]["databases"][0]["backup"]["incrementalSchedule"]
    primary, config = parse_pair(prod, dr)
    daily = estimate_for(config, primary, stack="dr")
    assert term(daily["rpo"], "database:marketing/kb-vectors")["seconds"] == 86400.0

    # Backups kept at the primary site only: backup-restore has nothing to restore from.
    prod["paif:dr"]["backupLocations"]["s3-backup-dr"]["site"] = "seoul-primary"
    dr["paif:dr"]["backupLocations"]["s3-backup-dr"]["site"] = "seoul-primary"
    primary, config = parse_pair(prod, dr)
    nowhere = estimate_for(config, primary, stack="dr")
    assert nowhere["rpo"]["bounded"] is False
    assert nowhere["rpo"]["band"] == "unbounded"
    assert nowhere["rpo"]["seconds"] is None
    assert nowhere["rpo"]["withinSourceBand"] is False
    assert nowhere["objectives"]["rpo"]["met"] is False
    assert nowhere["rpo"]["unbounded"] == [
        f"database marketing/{db}: backups are kept only at the primary site, so the DR "
        "site can neither restore it nor recover its data (PAIF-DR-008)"
        for db in ("kb-vectors", "chat-history")
    ]


def test_bad_replication_schedule_names_the_primary_file() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["replicationSchedule"] = "every hour"
    primary, config = parse_pair(prod, dr)
    with pytest.raises(ConfigError) as exc:
        estimate_for(config, primary, stack="dr")
    assert exc.value.stack_file == "Pulumi.prod.yaml"
    assert [p.path for p in exc.value.problems] == ["paif:dr.replicationSchedule"]


def test_objectives_compare_estimate_with_declared() -> None:
    prod, dr = raw_pair("warm-standby")
    dr["paif:dr"]["objectives"] = {"rto": "30m", "rpo": "1m"}
    primary, config = parse_pair(prod, dr)
    result = estimate_for(config, primary, stack="dr")
    objectives = result["objectives"]
    assert objectives["rto"]["declaredSeconds"] == 1800
    assert objectives["rto"]["declared"] == "30 min"
    assert objectives["rto"]["met"] is (result["rto"]["seconds"] <= 1800)
    assert objectives["rto"]["met"] is False
    assert objectives["rpo"]["met"] is False
    assert objectives["met"] is False


# --- GPU capacity -----------------------------------------------------------------------------


def test_capacity_of_the_warm_standby_dr_site() -> None:
    result, _ = estimates("warm-standby")
    capacity = result["capacity"]
    assert capacity["unit"] == "nvidia_a100-80c vGPU devices"
    site = capacity["site"]
    assert site["site"] == "busan-dr"
    # 4 hosts × 4 A100 80GB × 1 nvidia_a100-80c slice; 3 hosts × 4 with one host down.
    assert (site["pool"]["total"], site["pool"]["nPlusOne"]) == (16, 12)
    assert site["peakGpus"] == 2  # two endpoints at one replica each
    assert [(t["tenant"], t["peakGpus"], t["gpuQuota"]) for t in site["tenants"]] == [
        ("marketing", 2, 4),
        ("hr", 0, 2),
        ("dev", 0, 2),
    ]
    (loss,) = capacity["siteLoss"]
    assert (loss["survivorSite"], loss["failedSite"]) == ("busan-dr", "seoul-primary")
    # The primary's critical endpoints at max replicas: llama-chat 10 × 1 + embeddings 2 × 1.
    assert (loss["survivorPeakGpus"], loss["failedCriticalGpus"]) == (0, 12)
    assert (loss["capacityGpus"], loss["requiredGpus"], loss["ok"]) == (16, 12, True)
    assert loss["survivorFacts"] == "declared"
    assert capacity["ok"] is True


def test_capacity_of_pilot_light_counts_no_running_replicas() -> None:
    result, _ = estimates("pilot-light")
    assert result["capacity"]["site"]["peakGpus"] == 0


def test_active_active_checks_the_loss_of_either_site() -> None:
    result, _ = estimates("active-active")
    losses = result["capacity"]["siteLoss"]
    assert [(s["survivorSite"], s["failedSite"]) for s in losses] == [
        ("busan-dr", "seoul-primary"),
        ("seoul-primary", "busan-dr"),
    ]
    # Each site runs llama-chat 10 × 1 + embeddings 2 × 1 and must take the other's 12.
    assert [(s["survivorPeakGpus"], s["failedCriticalGpus"]) for s in losses] == [
        (12, 12),
        (12, 12),
    ]
    # busan-dr: 4 hosts × 4; seoul-primary: 5 hosts × 4. Neither carries 24.
    assert [s["capacityGpus"] for s in losses] == [16, 20]
    assert [s["ok"] for s in losses] == [False, False]
    assert result["capacity"]["ok"] is False


def test_a_dr_site_with_more_hosts_carries_the_critical_load() -> None:
    # Over-committed: the DR site with 3 hosts and the embeddings endpoint at max 4, so the
    # primary's critical load is llama-chat 10 × 1 + embeddings 4 × 1 = 14 > 3 hosts × 4.
    prod, dr = raw_pair("warm-standby")
    dr["paif:workloadDomain"]["hosts"].remove("esxi-gpu-04.dr.example.com")
    embeddings = prod["paif:tenants"][0]["modelEndpoints"][1]
    assert embeddings["name"] == "embeddings"
    embeddings["replicas"]["max"] = 4
    primary, config = parse_pair(prod, dr)
    capacity = estimate_for(config, primary, stack="dr")["capacity"]
    (loss,) = capacity["siteLoss"]
    assert (loss["survivorPeakGpus"], loss["failedCriticalGpus"]) == (0, 14)
    assert (loss["capacityGpus"], loss["requiredGpus"], loss["ok"]) == (12, 14, False)
    assert loss["message"] == (
        "after losing seoul-primary, busan-dr must carry its own peak 0 + seoul-primary's "
        "critical 14 = 14 GPUs, which exceeds its 12 (all hosts up)"
    )
    assert capacity["ok"] is False
    # A fourth host carries it.
    dr["paif:workloadDomain"]["hosts"].append("esxi-gpu-04.dr.example.com")
    primary, config = parse_pair(prod, dr)
    capacity = estimate_for(config, primary, stack="dr")["capacity"]
    (loss,) = capacity["siteLoss"]
    assert (loss["capacityGpus"], loss["requiredGpus"], loss["ok"]) == (16, 14, True)
    assert capacity["ok"] is True


def test_pool_counts_passthrough_gpus_and_sizes_replicas_against_them() -> None:
    prod, dr = raw_pair("warm-standby")
    dr["paif:workloadDomain"]["gpu"]["assignment"] = "passthrough"
    dr["paif:workloadDomain"]["vgpuProfiles"] = []
    primary, config = parse_pair(prod, dr)
    pool = site_gpu_pool(config)
    assert (pool.profile, pool.total) == (None, 16)  # 4 hosts × 4 whole GPUs
    result = estimate_for(config, primary, stack="dr")
    assert result["capacity"]["unit"] == "GPUs (passthrough)"
    assert "(passthrough)" in term(result["rto"], "cold_start")["explanation"]


# --- the primary stack's view and the rest ----------------------------------------------------


def test_primary_presumes_the_dr_site_has_its_hardware() -> None:
    _, result = estimates("warm-standby")
    assert result["role"] == "primary"
    assert result["stacks"] == {"primary": "prod", "dr": "dr"}
    failover = dict(result["failover"])
    assert {failover.pop("changes")[0]["part"], len(failover.pop("commands"))} == {"endpoint", 2}
    assert failover == {
        "from": "seoul-primary",
        "to": "busan-dr",
        "drSiteFacts": "assumed equal to the primary's workload domain",
    }
    assert result["sites"]["dr"]["supervisor"] is None
    assert result["sites"]["dr"]["harborUrl"] == "https://harbor.dr.example.com"
    assert result["notes"] == [
        "The DR site busan-dr is presumed to have this site's workload domain; the dr stack's "
        "plan has its real capacity."
    ]
    (loss,) = result["capacity"]["siteLoss"]
    # The presumed DR site has the primary's 5 hosts × 4 GPUs.
    assert (loss["capacityGpus"], loss["survivorFacts"]) == (20, result["failover"]["drSiteFacts"])
    assert result["topology"]["role"] == "dr"
    assert result["topology"]["site"] == "busan-dr"


def test_a_failed_over_dr_stack_shows_its_state_but_estimates_from_standby() -> None:
    primary, config = parse_pair(*raw_pair("warm-standby"))
    standby = estimate_for(config, primary, stack="dr")
    failed_over = estimate_for(config, primary, stack="dr", failover=True)
    assert standby["topology"]["failover"] is False
    assert failed_over["topology"]["failover"] is True
    assert failed_over["topology"]["databases"][0]["mode"] == "writer"
    assert failed_over["rto"] == standby["rto"]
    # At full scale the DR site runs the primary's endpoints at max replicas: 10 + 2.
    assert failed_over["capacity"]["site"]["peakGpus"] == 12


def test_no_dr_pattern_has_capacity_only() -> None:
    prod, _ = raw_pair("warm-standby")
    prod["paif:dr"] = {"pattern": "none"}
    config = parse_stack_config(prod, "Pulumi.prod.yaml")
    result = estimate_for(config, None, stack="prod")
    assert (result["rto"], result["rpo"], result["objectives"]) == (None, None, None)
    assert result["capacity"]["siteLoss"] == []
    assert result["capacity"]["site"]["peakGpus"] == 12  # llama-chat 10 × 1 + embeddings 2 × 1
    assert result["notes"][0].startswith("paif:dr.pattern is 'none'")


@pytest.mark.parametrize("pattern", PATTERNS)
def test_estimate_is_plain_json(pattern: str) -> None:
    for result in estimates(pattern):
        text = json.dumps(result, allow_nan=False)
        assert json.loads(text) == result


def test_camel_keys() -> None:
    assert camel_keys({"n_plus_one": [{"gpu_quota": 1}], "ok": True}) == {
        "nPlusOne": [{"gpuQuota": 1}],
        "ok": True,
    }


# --- properties -------------------------------------------------------------------------------

assumption_values = st.fixed_dictionaries(
    {},
    optional={
        "dnsTtlSeconds": st.integers(1, 3600),
        "manualDecisionSeconds": st.integers(0, 7200),
        "nodeProvisionSeconds": st.integers(60, 1800),
        "asyncReplicationLagSeconds": st.integers(0, 600),
        "databaseRestoreMibPerSecond": st.integers(10, 1000),
        "validationSeconds": st.integers(0, 1800),
        "harborReplicationGbitPerSecond": st.integers(1, 40),
    },
)


@functools.cache
def parsed_pair(pattern: str) -> tuple[StackConfig, StackConfig]:
    return parse_pair(*raw_pair(pattern))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    assumptions=assumption_values,
    objectives=st.tuples(st.integers(60, 4 * 3600), st.integers(1, 4 * 3600)),
)
def test_estimates_are_consistent_for_any_assumptions(
    assumptions: dict[str, int], objectives: tuple[int, int]
) -> None:
    by_pattern = {}
    for pattern in PATTERNS:
        primary, config = parsed_pair(pattern)
        declared = Objectives(rto=objectives[0], rpo=objectives[1])
        dr_block = config.dr.model_copy(
            update={"assumptions": dict(assumptions), "objectives": declared}
        )
        result = estimate_for(config.model_copy(update={"dr": dr_block}), primary, stack="dr")
        rto, rpo = result["rto"], result["rpo"]
        assert math.isclose(rto["seconds"], sum(t["seconds"] for t in rto["terms"]), abs_tol=0.01)
        assert rpo["seconds"] == max(t["seconds"] for t in rpo["terms"])
        met = result["objectives"]
        assert met["rto"]["met"] is (rto["seconds"] <= objectives[0])
        assert met["rpo"]["met"] is (rpo["seconds"] <= objectives[1])
        gslb = {"gslbSwitchSeconds": 30.0} if pattern == "active-active" else {}
        assert result["assumptions"] == {
            **Assumptions.from_mapping(assumptions).to_dict(),
            **gslb,
        }
        by_pattern[pattern] = (rto["seconds"], rpo["seconds"])
    # §9.3: more DR infrastructure never recovers slower or loses more.
    pilot, warm, active = (by_pattern[p] for p in PATTERNS)
    assert pilot[0] >= warm[0] >= active[0]
    assert pilot[1] >= warm[1] >= active[1] > 0
