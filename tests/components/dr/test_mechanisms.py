"""Each database's DR mechanism (issue 20): declared, validated, and the RPO it gives.

Per mechanism, the example pair (``Pulumi.prod.yaml`` + ``Pulumi.dr.yaml``) is estimated with
a parameter changed, and the store's RPO moves as the formula in
paif_components.estimators.data_stores says.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from paif_components.config.errors import ConfigError
from paif_components.config.loader import parse_stack_config
from paif_components.dr.estimate import estimate_for
from paif_components.estimators import Assumptions, DatabaseFacts, DrTopology, estimate
from tests.support.stacks import load_example, parse_pair

KB = "database marketing/kb-vectors"
CHAT = "database marketing/chat-history"


def dr_estimate(
    edit: Callable[[dict[str, Any]], None], pattern: str = "warm-standby", **dr_edit: Any
) -> dict[str, Any]:
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    dr["paif:dr"].update(dr_edit)
    edit(prod)
    primary, config = parse_pair(prod, dr)
    return estimate_for(config, primary, stack="dr")


def store(result: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [s for s in result["rpo"]["stores"] if s["store"] == name]
    return found


def kb_dr(**dr: Any) -> Callable[[dict[str, Any]], None]:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["databases"][0]["dr"] = dr

    return edit


# --- logical: RPO = lag budget ------------------------------------------------------------------


@pytest.mark.parametrize("lag", ["10s", "90s", "5m"])
def test_logical_rpo_is_its_lag_budget(lag: str) -> None:
    seconds = {"10s": 10, "90s": 90, "5m": 300}[lag]
    result = dr_estimate(kb_dr(mechanism="logical", lagBudget=lag, slotRetention="6h"))
    kb = store(result, KB)
    assert (kb["mechanism"], kb["rpoS"]) == ("logical", seconds)
    assert kb["rpoExplanation"].startswith("logical replication (publication → slot → ")
    # The other database keeps the default budget (30 s): each store its own figure.
    assert store(result, CHAT)["rpoS"] == 30
    role = next(d for d in result["topology"]["databases"] if d["name"] == "kb-vectors")
    assert role["logical"]["lagBudgetSeconds"] == seconds


def test_logical_slot_retention_below_the_lag_budget_leaves_the_copy_unfed() -> None:
    """The estimator's formula (config refuses such a pair before it gets here)."""
    topo = DrTopology(
        "warm-standby",
        databases=(DatabaseFacts("kb", 10, mechanism="logical", lag_budget_seconds=600,
                                 slot_retention_seconds=300),),
    )  # fmt: skip
    result = estimate(topo, Assumptions())
    [kb] = [s for s in result.stores if s.kind == "database"]
    assert kb.rpo_seconds is None
    assert "the slot keeps 5 min of WAL, less than the lag budget 10 min" in kb.rpo_explanation
    with pytest.raises(ConfigError, match="slotRetention: 300s is shorter than lagBudget 600s"):
        dr_estimate(kb_dr(mechanism="logical", lagBudget="10m", slotRetention="5m"))


def test_slot_retention_sizes_max_slot_wal_keep_size() -> None:
    result = dr_estimate(kb_dr(mechanism="logical", slotRetention="2h", walPerSecond="4Mi"))
    role = next(d for d in result["topology"]["databases"] if d["name"] == "kb-vectors")
    assert role["logical"]["maxSlotWalKeepSizeMb"] == 2 * 3600 * 4


# --- backup-restore: RPO = WAL archive interval, else the backup interval ---------------------


@pytest.mark.parametrize(
    ("incremental", "seconds"), [("0 */1 * * *", 3600), ("*/15 * * * *", 900), (None, 86400)]
)
def test_backup_restore_rpo_is_the_backup_interval(incremental: str | None, seconds: int) -> None:
    def edit(values: dict[str, Any]) -> None:
        database = values["paif:tenants"][0]["databases"][0]
        database["dr"] = {"mechanism": "backup-restore"}
        if incremental is None:
            del database["backup"]["incrementalSchedule"]
        else:
            database["backup"]["incrementalSchedule"] = incremental

    kb = store(dr_estimate(edit), KB)
    assert (kb["mechanism"], kb["rpoS"]) == ("backup-restore", seconds)


@pytest.mark.parametrize(("interval", "seconds"), [("1m", 60), ("5m", 300)])
def test_wal_archiving_bounds_backup_restore_by_its_interval(interval: str, seconds: int) -> None:
    result = dr_estimate(kb_dr(mechanism="backup-restore", walArchiveInterval=interval))
    kb = store(result, KB)
    assert kb["rpoS"] == seconds
    assert f"WAL archived at least every {interval.replace('m', ' min')}" in kb["rpoExplanation"]


@pytest.mark.parametrize(("storage", "restore"), [("100Gi", 512.0), ("200Gi", 1024.0)])
def test_restore_time_follows_size_and_throughput(storage: str, restore: float) -> None:
    def edit(values: dict[str, Any]) -> None:
        database = values["paif:tenants"][0]["databases"][0]
        database["storage"] = storage
        database["dr"] = {"mechanism": "backup-restore"}

    kb = store(dr_estimate(edit), KB)
    # Provision (900 s) + size / 200 MiB/s (assumptions databaseProvisionSeconds and
    # databaseRestoreMibPerSecond).
    assert kb["recoveryS"] == pytest.approx(900 + restore)


# --- none: unbounded, only where declared -----------------------------------------------------


def test_none_is_unbounded_and_only_by_declaration() -> None:
    result = dr_estimate(kb_dr(mechanism="none"))
    kb = store(result, KB)
    assert kb["mechanism"] == "none" and "rpoS" not in kb and kb["rpo"] == "unbounded"
    assert result["rpo"]["bounded"] is False
    # Nothing declared: the pattern's buildable default, never 'none'.
    defaults = {
        p: store(dr_estimate(lambda v: None, pattern=p), KB)["mechanism"]
        for p in ("pilot-light", "warm-standby", "active-active")
    }
    assert defaults == {
        "pilot-light": "backup-restore",
        "warm-standby": "logical",
        "active-active": "logical",
    }


# --- streaming: refused (DSM offers no cross-site standby); the formula on record --------------


def test_streaming_is_refused_naming_why() -> None:
    with pytest.raises(ConfigError) as err:
        dr_estimate(kb_dr(mechanism="streaming"))
    [problem] = err.value.problems
    assert problem.path == "paif:tenants[0].databases[0].dr.mechanism"
    assert problem.message.startswith(
        "'streaming' needs the DR copy to be a physical standby of the primary's DSM cluster, "
        "and DSM's Kubernetes API (databases.dataservices.vmware.com/v1alpha1 PostgresCluster) "
        "has no field for a standby of another DSM installation's cluster"
    )


@pytest.mark.parametrize(("lag", "synchronous", "rpo"), [(45, False, 45), (45, True, 0)])
def test_streaming_formula(lag: float, synchronous: bool, rpo: float) -> None:
    facts = DatabaseFacts(
        "kb", 10, mechanism="streaming", lag_budget_seconds=lag, synchronous=synchronous
    )
    stores = estimate(DrTopology("warm-standby", databases=(facts,))).stores
    [kb] = [s for s in stores if s.kind == "database"]
    assert kb.rpo_seconds == rpo


# --- config errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "dr", "path", "message"),
    [
        (
            "active-active",
            {"mechanism": "logical", "bidirectional": True},
            "paif:tenants[0].databases[0].dr.bidirectional",
            "bidirectional replication is refused: §9.3.3 warns that writing one pgvector "
            "database at both sites diverges it beyond repair",
        ),
        (
            "pilot-light",
            {"mechanism": "logical"},
            "paif:tenants[0].databases[0].dr.mechanism",
            "'logical' keeps a subscribed copy running at the DR site, and pilot light runs no "
            "database there (§9.3.3 pattern 1)",
        ),
        (
            "warm-standby",
            {"mechanism": "backup-restore", "lagBudget": "30s"},
            "paif:tenants[0].databases[0].dr.lagBudget",
            "belongs to logical replication; mechanism 'backup-restore' replicates nothing",
        ),
        (
            "warm-standby",
            {"mechanism": "logical", "walArchiveInterval": "5m"},
            "paif:tenants[0].databases[0].dr.walArchiveInterval",
            "belongs to backup-restore",
        ),
    ],
)
def test_unbuildable_copies_are_config_errors(
    pattern: str, dr: dict[str, Any], path: str, message: str
) -> None:
    prod = copy.deepcopy(load_example("prod"))
    prod["paif:dr"]["pattern"] = pattern
    if pattern == "active-active":
        prod["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    prod["paif:tenants"][0]["databases"][0]["dr"] = dr
    with pytest.raises(ConfigError) as err:
        parse_stack_config(prod, "Pulumi.prod.yaml")
    assert err.value.stack_file == "Pulumi.prod.yaml"
    [problem] = err.value.problems
    assert problem.path == path
    assert message in problem.message


def test_backup_restore_needs_backups() -> None:
    prod = copy.deepcopy(load_example("prod"))
    prod["paif:dr"]["pattern"] = "pilot-light"
    del prod["paif:tenants"][0]["appDatabases"][0]["backup"]
    with pytest.raises(ConfigError) as err:
        parse_stack_config(prod, "Pulumi.prod.yaml")
    [problem] = err.value.problems
    assert problem.path == "paif:tenants[0].appDatabases[0].dr.mechanism"
    assert problem.message.startswith("'backup-restore' creates the DR copy from the primary's")


def test_copy_backup_location_must_be_a_located_one_of_a_dr_stack() -> None:
    dr = copy.deepcopy(load_example("dr"))
    dr["paif:dr"]["copyBackupLocation"] = "s3-nowhere"
    with pytest.raises(ConfigError) as err:
        parse_stack_config(dr, "Pulumi.dr.yaml")
    [problem] = err.value.problems
    assert problem.path == "paif:dr.copyBackupLocation"
    assert problem.message.startswith("'s3-nowhere' is not in backupLocations")
