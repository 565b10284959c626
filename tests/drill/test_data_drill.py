"""The DR data drill (issue 21): lose the primary database, fail over as the runbook says, count
what was lost, and hold it to the estimate.

For each mechanism the project builds, a primary and a DR PostgreSQL 16 + pgvector server are
configured as the stacks' plans declare (tests/drill/harness.py); a writer inserts embedding
rows at a steady rate into the primary and records each acknowledged commit; the primary's
whole process group is SIGKILLed; the copy is failed over by the runbook's own commands; then
the rows acknowledged but absent at the DR side are counted, the seconds from the loss until the
DR side accepts a write measured, and a nearest-neighbour query through the HNSW index compared
with the one answered before the loss, over the rows that survived.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.drill.harness import TABLE, Drill, Writer, literal, vector_of
from tests.drill.plan import PlanMismatch, planned_copy
from tests.drill.postgres import Postgres

# Rows per second the writer commits, one row per commit (stated in the docs' table).
RATE = 20.0
# How long the primary takes writes before it is lost: several archive intervals for
# backup-restore, long enough for the subscription to be busy for logical.
WRITE_SECONDS = {"logical": 8.0, "backup-restore": 24.0, "none": 4.0}
NEIGHBOURS = 10
# The row that proves the DR side writable (not one of the writer's).
PROBE = "written at the DR side after failover"
RESULTS = Path(os.environ.get("PAIF_DRILL_RESULTS", "out/dr-drill/results.json"))


def _knn(server: Postgres, database: str, cutoff: int) -> tuple[list[int], str]:
    """Ten nearest rows (ids up to ``cutoff``) to a fixed query, and the plan that found them."""
    query = literal(vector_of(424242))
    sql = (
        f"SELECT id FROM {TABLE} WHERE id <= %s ORDER BY embedding <-> %s::vector LIMIT "
        f"{NEIGHBOURS}"
    )
    with server.connect(database) as conn:
        # Search the whole graph: the drill compares results, not HNSW's recall.
        conn.execute("SET hnsw.ef_search = 1000")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, (cutoff, query)).fetchall())
        return [r[0] for r in conn.execute(sql, (cutoff, query)).fetchall()], plan


def _writable(server: Postgres, database: str, deadline: float) -> None:
    """Wait until the DR side commits a new row (its sequence past every copied id)."""
    error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with server.connect(database) as conn:
                conn.execute(
                    f"INSERT INTO {TABLE} (doc, embedding) VALUES (%s, %s::vector)",
                    (PROBE, literal(vector_of(0))),
                )
                return
        except psycopg.Error as exc:
            error = exc
            time.sleep(0.1)
    raise AssertionError(f"the DR side never accepted a write: {error}")


def run_drill(out: Path, servers: dict[str, Postgres], database: str) -> dict[str, Any]:
    copy = planned_copy(out, "marketing", database)
    drill = Drill(copy, servers["primary"], servers["dr"], servers["primary"].root)
    drill.set_up()
    load = os.getloadavg()[0]
    writer = Writer(servers["primary"], database, RATE)
    writer.start()
    time.sleep(WRITE_SECONDS[copy.mechanism] - 2)
    cutoff = writer.acknowledged[-1]
    before, index_plan = _knn(servers["primary"], database, cutoff)
    assert f"{TABLE}_hnsw" in index_plan, index_plan
    time.sleep(2)
    lost_at = time.monotonic()
    servers["primary"].kill()
    writer.until_refused()
    assert writer.error, "the writer kept writing to a dead primary"
    drill.fail_over()
    _writable(servers["dr"], database, lost_at + 300)
    writable_after = time.monotonic() - lost_at
    present = {
        r[0] for r in servers["dr"].sql(database, f"SELECT id FROM {TABLE} WHERE doc <> %s", PROBE)
    }
    acknowledged = set(writer.acknowledged)
    lost = sorted(acknowledged - present)
    after, _ = _knn(servers["dr"], database, cutoff) if present else ([], "")
    result = {
        "mechanism": copy.mechanism,
        "database": f"marketing/{database}",
        "rate": RATE,
        "achievedRate": round(writer.achieved_rate, 2),
        "written": len(acknowledged),
        "lost": len(lost),
        "writableSeconds": round(writable_after, 2),
        "rpoSeconds": copy.rpo_seconds,
        # What the estimate's RPO allows at the rate the writer really reached.
        "allowedLoss": None
        if copy.rpo_seconds is None
        else round(writer.achieved_rate * copy.rpo_seconds, 1),
        "databaseTermSeconds": copy.recovery_seconds,
        "loadAverage1m": round(load, 1),
        "before": before,
        "after": after,
        "survivors": sorted(present & acknowledged),
    }
    _record(result)
    return result


def _record(result: dict[str, Any]) -> None:
    """Keep every drill's figures for the docs' table (docs/architecture.md)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    found[result["mechanism"]] = {
        k: v for k, v in result.items() if k not in ("before", "after", "survivors")
    }
    RESULTS.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")


def _same_neighbours(result: dict[str, Any]) -> None:
    """The index answers as before the loss, for the rows that survived."""
    survivors = set(result["survivors"])
    expected = [r for r in result["before"] if r in survivors]
    assert result["after"][: len(expected)] == expected, result


@pytest.mark.parametrize("database", ["kb-vectors", "kb-restored"])
def test_the_copy_takes_over_within_the_estimate(
    drill_plan: Path, servers: dict[str, Postgres], database: str
) -> None:
    result = run_drill(drill_plan, servers, database)
    print(
        json.dumps({k: v for k, v in result.items() if k not in ("before", "after", "survivors")})
    )
    assert result["written"] >= RATE * 3
    assert result["allowedLoss"] is not None
    assert result["lost"] <= result["allowedLoss"], result
    assert result["writableSeconds"] <= result["databaseTermSeconds"], result
    assert result["survivors"], "nothing survived"
    _same_neighbours(result)


def test_the_harness_created_exactly_what_the_plan_names(
    drill_plan: Path, servers: dict[str, Postgres]
) -> None:
    copy = planned_copy(drill_plan, "marketing", "kb-vectors")
    drill = Drill(copy, servers["primary"], servers["dr"], servers["primary"].root)
    drill.set_up()
    primary, dr = servers["primary"], servers["dr"]
    assert primary.sql("kb-vectors", "SELECT pubname, puballtables FROM pg_publication") == [
        (copy.one("primary", "Publication")["name"], True)
    ]
    assert primary.sql(
        "kb-vectors", "SELECT slot_name, plugin, database FROM pg_replication_slots"
    ) == [(copy.one("primary", "ReplicationSlot")["name"], "pgoutput", "kb-vectors")]
    role = copy.one("primary", "Role")["name"]
    assert primary.sql(
        "postgres", "SELECT rolcanlogin, rolreplication FROM pg_roles WHERE rolname = %s", role
    ) == [(True, True)]
    subscription = copy.one("dr", "Subscription")
    assert dr.sql(
        "kb-vectors", "SELECT subname, subslotname, subpublications FROM pg_subscription"
    ) == [(subscription["name"], subscription["slotName"], subscription["publications"])]
    # The subscription logs in as the planned replication user.
    assert primary.sql(
        "kb-vectors",
        "SELECT usename FROM pg_stat_replication WHERE application_name = %s",
        subscription["name"],
    ) == [(copy.topology["logical"]["replicationUser"],)]


def test_a_copy_that_subscribes_to_a_slot_the_primary_does_not_declare_fails_the_drill(
    drill_plan: Path, servers: dict[str, Postgres], tmp_path: Path
) -> None:
    """Holds the harness to the plan: the DR stack renaming its subscription's slot (and the
    primary not) makes a plan pair that cannot replicate, and the drill says so."""
    out = tmp_path / "out"
    shutil.copytree(drill_plan, out)
    plan_file = out / "dr" / "plan.json"
    plan = json.loads(plan_file.read_text())
    for record in plan["resources"]:
        if (
            record["type"].endswith(":Subscription")
            and record["inputs"]["database"] == "kb-vectors"
        ):
            record["inputs"]["slotName"] = "paif_dr_renamed"
    plan_file.write_text(json.dumps(plan))
    copy = planned_copy(out, "marketing", "kb-vectors")
    drill = Drill(copy, servers["primary"], servers["dr"], servers["primary"].root)
    drill.stream_timeout = 8.0
    with pytest.raises(PlanMismatch, match="never streamed"):
        drill.set_up()


def test_the_held_back_case_fails_the_gate_and_the_forced_drill_loses_rows(
    held_back_plan: tuple[int, Path, str], servers: dict[str, Postgres]
) -> None:
    code, out, output = held_back_plan
    assert code == 1, output[-3000:]
    copy = planned_copy(out, "marketing", "kb-vectors")
    assert copy.mechanism == "none"
    assert any(
        m.startswith("database marketing/kb-vectors (mechanism 'none')") and "2 min" in m
        for m in copy.gate_violations
    ), copy.gate_violations
    result = run_drill(out, servers, "kb-vectors")
    print(
        json.dumps({k: v for k, v in result.items() if k not in ("before", "after", "survivors")})
    )
    assert result["lost"] == result["written"] > 0
