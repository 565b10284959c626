"""What the stacks declare about one database's DR copy, read from ``paif plan``'s output.

The drill's harness applies only what is read here: the primary's replication role, grant,
extensions, publication and slot and the DR copy's subscription (the ``postgresql:`` resources
the real ``pulumi-postgresql`` provider would create; it cannot be built here, docs/engine.md),
the PostgreSQL parameters of the primary's DSM ``DatabaseConfig``, the copy's role and mechanism
(``estimates.topology.databases``), its RPO and recovery estimate (``estimates.rpo.stores``) and
the failover step of the DR stack's rendered runbook (``failover-runbook.md``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POSTGRESQL = "postgresql:index/"
FAILBACK_HEADING = "## After the failover: fail back"


class PlanMismatch(AssertionError):
    """The two stacks' plans do not describe one working replication."""


def _plan(out: Path, stack: str) -> dict[str, Any]:
    return json.loads((out / stack / "plan.json").read_text(encoding="utf-8"))


def _resources(plan: dict[str, Any], database: str) -> dict[str, list[dict[str, Any]]]:
    """``postgresql:`` resources of ``database`` by kind (``Publication``, ``Role``, ...)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for record in plan["resources"]:
        if not record["type"].startswith(POSTGRESQL) or record["type"].endswith("Provider"):
            continue
        inputs = record.get("inputs") or {}
        kind = record["type"].rsplit(":", 1)[-1]
        # A Role has no database: it belongs to the publisher of the database it is named after.
        if inputs.get("database") == database or (
            kind == "Role" and f"-{database}-publisher-" in record["name"]
        ):
            by_kind.setdefault(kind, []).append(inputs)
    return by_kind


def _params(plan: dict[str, Any], cluster: str) -> dict[str, str]:
    for record in plan["resources"]:
        inputs = record.get("inputs") or {}
        if (
            inputs.get("kind") == "DatabaseConfig"
            and inputs["metadata"]["name"] == f"{cluster}-params"
        ):
            return dict(inputs["spec"]["params"])
    raise PlanMismatch(f"no DatabaseConfig {cluster}-params in the primary's plan")


def _runbook_step(out: Path, stack: str, tenant: str, database: str) -> str:
    """The failover step of ``tenant/database`` in the rendered runbook, its shell block."""
    text = (out / stack / "failover-runbook.md").read_text(encoding="utf-8")
    failover = text.split(FAILBACK_HEADING, 1)[0]
    start = failover.find(f"**{tenant}/{database}**")
    if start < 0:
        raise PlanMismatch(f"the runbook of {stack} has no failover step for {tenant}/{database}")
    following = failover[start:]
    end = following.find("\n**", 1)
    return following if end < 0 else following[:end]


def shell_blocks(step: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", step, flags=re.S)


@dataclass(frozen=True)
class PlannedCopy:
    tenant: str
    database: str
    mechanism: str
    topology: dict[str, Any]
    primary_params: dict[str, str]
    primary: dict[str, list[dict[str, Any]]]
    dr: dict[str, list[dict[str, Any]]]
    rpo_seconds: float | None
    recovery_seconds: float
    runbook_step: str
    gate_violations: tuple[str, ...]

    def one(self, side: str, kind: str) -> dict[str, Any]:
        found = (self.primary if side == "primary" else self.dr).get(kind) or []
        if len(found) != 1:
            raise PlanMismatch(f"{side} plan declares {len(found)} {kind} for {self.database}")
        return found[0]


def planned_copy(out: Path, tenant: str, database: str) -> PlannedCopy:
    primary, dr = _plan(out, "prod"), _plan(out, "dr")
    estimates = dr["estimates"]
    topology = next(
        d
        for d in estimates["topology"]["databases"]
        if d["tenant"] == tenant and d["name"] == database
    )
    store = next(
        s for s in estimates["rpo"]["stores"] if s["store"] == f"database {tenant}/{database}"
    )
    return PlannedCopy(
        tenant=tenant,
        database=database,
        mechanism=topology["mechanism"],
        topology=topology,
        primary_params=_params(primary, topology["primaryCluster"]),
        primary=_resources(primary, database),
        dr=_resources(dr, database),
        rpo_seconds=store.get("rpoS"),
        recovery_seconds=float(store["recoveryS"]),
        runbook_step=_runbook_step(out, "dr", tenant, database),
        gate_violations=tuple(
            v["message"]
            for stack in (primary, dr)
            for v in stack["policy"]["violations"]
            if v["enforcement"] == "mandatory" and not v.get("waived")
        ),
    )
