"""Failover and failback through the stacks (issue 21): what ``pulumi up`` of the DR stack
changes each way, listed by ``paif plan`` (``estimates.failover``) and the runbook, and the
commands a person runs from a laptop."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from paif_components.dr.failover import failover_changes
from paif_components.dr.topology import derive_site
from tests.support.stacks import parse_pair, raw_pair

COMMANDS = {
    "failover": [
        "pulumi config set --path paif:dr.failover true --stack dr",
        "pulumi up --stack dr",
    ],
    "failback": [
        "pulumi config set --path paif:dr.failover false --stack dr",
        "pulumi up --stack dr",
    ],
}


def _changes(pattern: str) -> dict[tuple[str, str], tuple[Any, Any]]:
    prod, dr = parse_pair(*raw_pair(pattern))
    standing_by = derive_site(dr, prod, stack="dr", failover=False)
    serving = derive_site(dr, prod, stack="dr", failover=True)
    return {
        (c.part, c.name): (c.standing_by, c.serving) for c in failover_changes(standing_by, serving)
    }


def test_warm_standby_scales_up_and_promotes() -> None:
    """§9.3.3 pattern 2: endpoints from 1 replica to the primary's, VKS from the standby
    workers to the primary's pools (5 nodes), the copies from subscribers to writers."""
    changes = _changes("warm-standby")
    assert changes[("endpoint", "marketing/llama-chat")] == (
        {"mode": "reduced", "replicas": {"min": 1, "max": 1}, "autoscaled": False},
        {"mode": "serving", "replicas": {"min": 2, "max": 10}, "autoscaled": True},
    )
    before, after = changes[("vks-cluster", "marketing/marketing-apps")]
    assert (before["nodes"], after["nodes"]) == (3, 5)
    assert after["workers"] == {"workers": 3, "gpu": {"min": 2, "max": 4}}
    before, after = changes[("database", "marketing/kb-vectors (kb-vectors-busan-dr)")]
    assert (before["mode"], before["subscription"]) == ("logical-subscriber", "paif_dr_kb_vectors")
    assert (after["mode"], after["writerSite"], after["subscription"]) == (
        "writer",
        "busan-dr",
        None,
    )
    assert changes[("traffic", "busan-dr")] == (
        {"mode": "dns", "share": 0.0},
        {"mode": "dns", "share": 1.0},
    )


def test_pilot_light_creates_everything_it_deferred() -> None:
    changes = _changes("pilot-light")
    before, after = changes[("vks-cluster", "marketing/marketing-apps")]
    assert before == {"deployed": False} and after["deployed"] and after["nodes"] == 5
    assert changes[("endpoint", "marketing/embeddings")][0]["mode"] == "declared"
    before, after = changes[("database", "marketing/kb-vectors (kb-vectors-busan-dr)")]
    assert (before["mode"], before["running"]) == ("restore-from-backup", False)
    assert (after["mode"], after["running"]) == ("writer", True)


def test_active_active_changes_only_who_writes_and_who_serves() -> None:
    changes = _changes("active-active")
    assert {part for part, _ in changes} == {"database", "traffic"}
    assert changes[("traffic", "busan-dr")] == (
        {"mode": "gslb", "share": 0.5},
        {"mode": "gslb", "share": 1.0},
    )


def _plan(make_project: Callable[..., Path], pattern: str, **dr_edits: Any) -> tuple[int, Path]:
    prod, dr = raw_pair(pattern)
    if pattern == "pilot-light":  # §9.3.3 pattern 1 is hours by design
        for config in (prod, dr):
            config["paif:dr"]["objectives"] = {"rto": "4h", "rpo": "2h"}
    dr["paif:dr"].update(dr_edits)
    project = make_project({"prod": prod, "dr": dr})
    out = project / "out"
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project),
         "--out", str(out), "--quiet", "--format", "none"]
    )  # fmt: skip
    return code, out


@pytest.mark.parametrize("pattern", ["warm-standby", "pilot-light"])
def test_paif_plan_lists_the_changes_and_the_gate_passes_failed_over(
    make_project: Callable[..., Path], pattern: str
) -> None:
    code, out = _plan(make_project, pattern, failover=True)
    assert code == 0, json.loads((out / "dr" / "policy.json").read_text())
    plan = json.loads((out / "dr" / "plan.json").read_text())
    failover = plan["estimates"]["failover"]
    assert failover["commands"] == COMMANDS
    assert {c["part"] for c in failover["changes"]} >= {"endpoint", "vks-cluster", "database"}
    assert plan["estimates"]["topology"]["failover"] is True
    runbook = (out / "dr" / "failover-runbook.md").read_text()
    assert "## What the failover changes" in runbook
    assert "\n".join(COMMANDS["failback"]) in runbook


def test_the_pilot_light_failback_releases_the_protected_copy_by_hand(
    make_project: Callable[..., Path],
) -> None:
    """A restored copy runs only while failed over, and it is protected: failing back deletes
    nothing until a person releases it."""
    code, out = _plan(make_project, "pilot-light", failover=True)
    assert code == 0
    runbook = (out / "dr" / "failover-runbook.md").read_text()
    failback = runbook.split("## After the failover: fail back", 1)[1]
    assert (
        "pulumi stack --stack dr --show-urns | grep "
        "'PostgresCluster::busan-dr-marketing-kb-vectors-cluster'" in failback
    )
    assert "pulumi state unprotect --stack dr '<that URN>'" in failback


def _gslb_members(out: Path) -> dict[str, str]:
    plan = json.loads((out / "prod" / "plan.json").read_text())
    [gslb] = [r for r in plan["resources"] if r["type"] == "avi:index/gslbservice:Gslbservice"]
    [pool] = gslb["inputs"]["groups"]
    return {m["description"]: m["enabled"] for m in pool["members"]}


def test_the_gslb_stops_sending_to_the_lost_site_until_failback(
    make_project: Callable[..., Path],
) -> None:
    """Active-active: while the DR stack file says failed over, the primary's stack (run once its
    site is back) declares its own GSLB member disabled; failing back enables it."""
    _, out = _plan(make_project, "active-active", failover=True)
    assert _gslb_members(out) == {"site seoul-primary": "false", "site busan-dr": "true"}
    _, out = _plan(make_project, "active-active")
    assert _gslb_members(out) == {"site seoul-primary": "true", "site busan-dr": "true"}
