"""The example pair planned under each DR pattern: what the DR site declares (§9.3.3).

Only ``paif:dr.pattern`` changes in both stack files (plus the GSLB block active-active
requires), as a user would move between patterns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from paif_components.dr.runbook import failback_steps, runbook_steps
from paif_policies.view import recorded_replicas
from tests.support.schema_validation import manifest, validate_crd_object
from tests.support.stacks import load_example, write_project

PATTERNS = ("pilot-light", "warm-standby", "active-active")


def _plan_pair(
    directory: Path, pattern: str, *, failover: bool = False
) -> dict[str, dict[str, Any]]:
    prod, dr = load_example("prod"), load_example("dr")
    for config in (prod, dr):
        config["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            config["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    if failover:
        dr["paif:dr"]["failover"] = True
    project = write_project(directory, {"prod": prod, "dr": dr})
    out = project / "out"
    stacks = ["--stack", "prod", "--stack", "dr", "--project-dir", str(project)]
    code = main(["plan", *stacks, "--out", str(out), "--quiet", "--format", "none"])
    assert code in (0, 1), "both stacks must plan; policy verdicts are checked separately"
    plans = {s: json.loads((out / s / "plan.json").read_text()) for s in ("prod", "dr")}
    for stack, plan in plans.items():
        plan["__runbook"] = (out / stack / "failover-runbook.md").read_text()
    return plans


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    return {p: _plan_pair(tmp_path_factory.mktemp(p), p) for p in PATTERNS}


@pytest.fixture(scope="module")
def failed_over(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each pattern's DR stack planned with ``paif:dr.failover: true``."""
    return {
        p: _plan_pair(tmp_path_factory.mktemp(f"{p}-failover"), p, failover=True)["dr"]
        for p in PATTERNS
    }


def _crs(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        r["inputs"]
        for r in plan["resources"]
        if r["type"].startswith("kubernetes:") and r["inputs"].get("kind") == kind
    ]


def _named(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [found] = [o for o in objects if o["metadata"]["name"] == name]
    return found


def _of_type(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == token]


def _workers(cluster: dict[str, Any]) -> int:
    deployments = cluster["spec"]["topology"]["workers"]["machineDeployments"]
    return sum(int(d.get("replicas", 0)) for d in deployments)


def _replicas(endpoint: dict[str, Any]) -> tuple[int | None, int | None]:
    """(min, max) replicas the library recorded on a PAIS ModelEndpoint (PAIS publishes no
    replica field: ``paif.vmware.com/replicas``)."""
    return recorded_replicas(endpoint["metadata"].get("annotations") or {})


def test_pilot_light_dr_site_keeps_configuration_only(plans: dict[str, Any]) -> None:
    dr = plans["pilot-light"]["dr"]
    assert _crs(dr, "Cluster") == [], "no VKS cluster until failover"
    assert _crs(dr, "PostgresCluster") == [], "pgvector is restored from backups on failover"
    assert _of_type(dr, "postgresql:index/subscription:Subscription") == []
    assert _crs(dr, "ScaledObject") == []
    endpoints = _crs(dr, "ModelEndpoint")
    assert sorted(e["metadata"]["name"] for e in endpoints) == ["embeddings", "llama-chat"]
    assert {_replicas(e) for e in endpoints} == {(0, 0)}, "declared, not running"
    # Namespaces, quotas, RBAC and network policy exist at the DR site as at the primary.
    assert len(_crs(dr, "ResourceQuota")) == 3
    assert len([n for n in _crs(dr, "NetworkPolicy") if n["metadata"]["name"] == "default-deny"])
    assert len(_crs(dr, "RoleBinding")) == 7
    # Harbor receives push replication from the primary.
    rules = _of_type(plans["pilot-light"]["prod"], "harbor:index/replication:Replication")
    assert [r["inputs"]["action"] for r in rules] == ["push"]
    estimate = dr["estimates"]
    assert (estimate["rto"]["band"], estimate["rpo"]["band"]) == ("hours", "hours")


def test_warm_standby_dr_site_runs_reduced(plans: dict[str, Any]) -> None:
    dr = plans["warm-standby"]["dr"]
    [cluster] = _crs(dr, "Cluster")
    # §9.3.3 keeps 2 of 5; the example keeps 3 (paif:dr.standbyWorkers): 2 untainted workers
    # for the apps' spread replicas and 1 GPU node warm (PAIF-CAP-006, PAIF-HA-004).
    assert _workers(cluster) == 3
    endpoints = _crs(dr, "ModelEndpoint")
    assert {_replicas(e) for e in endpoints} == {(1, 1)}
    assert {
        (s["spec"]["minReplicaCount"], s["spec"]["maxReplicaCount"])
        for s in _crs(dr, "ScaledObject")
    } == {(1, 1)}
    database = _named(_crs(dr, "PostgresCluster"), "kb-vectors-busan-dr")
    annotations = database["metadata"]["annotations"]
    assert annotations["paif.vmware.com/dr-mode"] == "logical-subscriber"
    assert annotations["paif.vmware.com/dr-mechanism"] == "logical"
    assert annotations["paif.vmware.com/writer-site"] == "seoul-primary"
    assert database["spec"]["backupLocation"] == {"name": "s3-backup-busan-copies"}
    # Model references point at the DR site's own Harbor (replicated images).
    refs = {e["spec"]["model"]["ociRef"] for e in endpoints}
    assert all(ref.startswith("harbor.dr.example.com/marketing/") for ref in refs)
    estimate = dr["estimates"]
    assert (estimate["rto"]["band"], estimate["rpo"]["band"]) == ("tens of minutes", "minutes")
    assert dr["policy"]["violations"] == []


def test_active_active_both_sites_full_behind_gslb(plans: dict[str, Any]) -> None:
    prod, dr = plans["active-active"]["prod"], plans["active-active"]["dr"]
    [prod_cluster], [dr_cluster] = _crs(prod, "Cluster"), _crs(dr, "Cluster")
    assert _workers(dr_cluster) == _workers(prod_cluster)
    assert {s["spec"]["maxReplicaCount"] for s in _crs(dr, "ScaledObject")} == {2, 10}
    [gslb] = _of_type(prod, "avi:index/gslbservice:Gslbservice")
    assert gslb["inputs"]["sitePersistenceEnabled"] == "true"
    assert gslb["inputs"]["healthMonitorRefs"]
    database = _named(_crs(dr, "PostgresCluster"), "kb-vectors-busan-dr")
    assert database["metadata"]["annotations"]["paif.vmware.com/dr-mode"] == "logical-subscriber"
    primary_db = _named(_crs(prod, "PostgresCluster"), "kb-vectors")
    assert primary_db["metadata"]["annotations"]["paif.vmware.com/dr-mode"] == "writer"
    # Replication each way with non-overlapping filters: never a loop.
    filters = {}
    for stack, plan in (("prod", prod), ("dr", dr)):
        rules = _of_type(plan, "harbor:index/replication:Replication")
        filters[stack] = {f["name"] for r in rules for f in r["inputs"]["filters"]}
    assert filters == {"prod": {"marketing/**"}, "dr": {"marketing-busan-dr/**"}}
    estimate = dr["estimates"]
    assert estimate["rto"]["band"] == "within minutes"
    assert estimate["rpo"]["seconds"] == 30  # the logical copies' lag budget


def test_rto_orders_the_patterns(plans: dict[str, Any]) -> None:
    rto = {p: plans[p]["dr"]["estimates"]["rto"]["seconds"] for p in PATTERNS}
    assert rto["pilot-light"] > rto["warm-standby"] > rto["active-active"]


def test_the_receiving_robot_names_the_pushing_site(plans: dict[str, Any]) -> None:
    # The primary pushes; the robot it logs in with lives on the DR Harbor and names the pusher.
    robots = _of_type(plans["warm-standby"]["prod"], "harbor:index/robotAccount:RobotAccount")
    receiver = [r for r in robots if r["inputs"]["name"].startswith("replicate-from-")]
    # ... ending with the stack's rotation label (paif:harbor.robots.rotation).
    assert [r["inputs"]["name"] for r in receiver] == ["replicate-from-seoul-primary-2026-07"]
    assert receiver[0]["inputs"]["level"] == "system"


def test_active_active_each_site_declares_what_it_pushes_and_receives(
    plans: dict[str, Any],
) -> None:
    """§9.3.3 pattern 3: builds at the DR site reach the primary through a project of their
    own that both stacks declare; the primary's projects travel only the other way."""
    projects = {
        stack: {r["inputs"]["name"]: r for r in _of_type(plan, "harbor:index/project:Project")}
        for stack, plan in plans["active-active"].items()
    }
    assert set(projects["prod"]) == set(projects["dr"]) == {
        "dev", "hr", "marketing", "marketing-busan-dr"
    }  # fmt: skip
    for stack in ("prod", "dr"):
        assert projects[stack]["marketing-busan-dr"]["protect"] is True
        plan = plans["active-active"][stack]
        robots = _of_type(plan, "harbor:index/robotAccount:RobotAccount")
        # The serving robots pull from the tenants' own projects only; the return project
        # is written by replication (and the DR site's builds), not pulled by endpoints.
        pulls = [r for r in robots if r["inputs"]["level"] == "project"]
        assert {r["name"] for r in pulls} == {
            f"{plan['outputs']['site']}-{t}-harbor-robot" for t in ("dev", "hr", "marketing")
        }
        assert [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-DR-011"] == []
    # The receiving robot each pushing stack creates on the peer's Harbor may push exactly the
    # projects it replicates there.
    receivers = {
        stack: [
            r["inputs"]["permissions"]
            for r in _of_type(plan, "harbor:index/robotAccount:RobotAccount")
            if r["inputs"]["level"] == "system"
        ]
        for stack, plan in plans["active-active"].items()
    }
    assert [p["namespace"] for [p] in receivers["prod"]] == ["marketing"]
    assert [p["namespace"] for [p] in receivers["dr"]] == ["marketing-busan-dr"]


def test_people_only_pull_where_replication_writes(plans: dict[str, Any]) -> None:
    """Active-active: the primary's ``marketing`` is written by people at the primary and by
    replication at the DR site; ``marketing-busan-dr`` the other way round (PAIF-SEC-012)."""
    roles: dict[tuple[str, str], set[str]] = {}
    for stack, plan in plans["active-active"].items():
        projects = {
            r["urn"]: r["inputs"]["name"] for r in _of_type(plan, "harbor:index/project:Project")
        }
        for member in _of_type(plan, "harbor:index/projectMemberGroup:ProjectMemberGroup"):
            if member["inputs"]["groupName"] != "marketing-developers":
                continue
            [project] = [projects[d] for d in member["dependsOn"] if d in projects]
            roles.setdefault((stack, project), set()).add(member["inputs"]["role"])
        assert [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-SEC-012"] == []
    assert roles == {
        ("prod", "marketing"): {"developer"},
        ("prod", "marketing-busan-dr"): {"guest"},
        ("dr", "marketing"): {"guest"},
        ("dr", "marketing-busan-dr"): {"developer"},
    }


@pytest.mark.parametrize("pattern", ["pilot-light", "warm-standby"])
def test_one_way_patterns_have_no_return_project(plans: dict[str, Any], pattern: str) -> None:
    for plan in plans[pattern].values():
        names = {r["inputs"]["name"] for r in _of_type(plan, "harbor:index/project:Project")}
        assert names == {"dev", "hr", "marketing"}
        assert [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-DR-011"] == []


# --- issue 20: every DR copy declared, fed and walked by the runbook --------------------------

EXPECTED_MECHANISM = {
    "pilot-light": "backup-restore",
    "warm-standby": "logical",
    "active-active": "logical",
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_dr_copy_declares_its_mechanism_and_every_figure_names_it(
    plans: dict[str, Any], pattern: str
) -> None:
    for stack in ("prod", "dr"):
        estimate = plans[pattern][stack]["estimates"]
        databases = estimate["topology"]["databases"]
        assert {d["name"] for d in databases} == {"kb-vectors", "chat-history"}
        assert {d["mechanism"] for d in databases} == {EXPECTED_MECHANISM[pattern]}
        stores = estimate["rpo"]["stores"]
        assert {s["store"] for s in stores} == {
            "database marketing/kb-vectors",
            "database marketing/chat-history",
            "harbor",
        }
        assert all(s["mechanism"] for s in stores)
        assert all(t.get("mechanism") for t in estimate["rpo"]["terms"])
        assert term_mechanism(estimate["rto"]["terms"], "database") == EXPECTED_MECHANISM[pattern]
        assert {s["store"]: s["mechanism"] for s in estimate["objectives"]["rpo"]["stores"]} == {
            s["store"]: s["mechanism"] for s in stores
        }


def term_mechanism(terms: list[dict[str, Any]], key: str) -> str:
    [found] = [t for t in terms if t["key"] == key]
    return str(found["mechanism"])


@pytest.mark.parametrize("pattern", ["warm-standby", "active-active"])
def test_logical_copies_are_real_resources_at_both_ends(
    plans: dict[str, Any], pattern: str
) -> None:
    """Publication, slot and replication role on the primary; extension and subscription on the
    copy, with the names plan.json and the runbook share (issue 21's drill reads them)."""
    prod, dr = plans[pattern]["prod"], plans[pattern]["dr"]
    for database, extension in (("kb-vectors", ["vector"]), ("chat-history", [])):
        name = "paif_dr_" + database.replace("-", "_")
        [publication] = [
            r["inputs"]
            for r in _of_type(prod, "postgresql:index/publication:Publication")
            if r["inputs"]["database"] == database
        ]
        assert publication == {"name": name, "database": database, "allTables": True}
        [slot] = [
            r["inputs"]
            for r in _of_type(prod, "postgresql:index/replicationSlot:ReplicationSlot")
            if r["inputs"]["database"] == database
        ]
        assert slot == {"name": name, "database": database, "plugin": "pgoutput"}
        [subscription] = [
            r
            for r in _of_type(dr, "postgresql:index/subscription:Subscription")
            if r["inputs"]["database"] == database
        ]
        inputs = subscription["inputs"]
        assert (inputs["name"], inputs["publications"], inputs["slotName"]) == (
            name,
            [name],
            name,
        )
        assert inputs["createSlot"] is False
        assert "conninfo" in subscription["secretPaths"]  # the replication password inside
        for plan in (prod, dr):
            found = sorted(
                r["inputs"]["name"]
                for r in _of_type(plan, "postgresql:index/extension:Extension")
                if r["inputs"]["database"] == database
            )
            assert found == extension
    roles = [r["inputs"] for r in _of_type(prod, "postgresql:index/role:Role")]
    assert {(r["name"], r["login"], r["replication"]) for r in roles} == {
        ("paif_replicator", True, True)
    }
    # The primary's DatabaseConfig enables logical decoding and bounds the slot's WAL.
    params = _named(_crs(prod, "DatabaseConfig"), "kb-vectors-params")["spec"]["params"]
    assert (params["wal_level"], params["max_slot_wal_keep_size"]) == ("logical", "21600")


@pytest.mark.parametrize("pattern", PATTERNS)
def test_dsm_objects_of_every_pattern_validate_against_dsms_schema(
    plans: dict[str, Any], failed_over: dict[str, Any], pattern: str
) -> None:
    checked = 0
    for plan in (*plans[pattern].values(), failed_over[pattern]):
        for kind in ("PostgresCluster", "DatabaseConfig"):
            for obj in _crs(plan, kind):
                validate_crd_object(manifest(obj))
                checked += 1
    assert checked >= 8


def _objects(plan: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    """(kind, name, scope) of what a plan declares, as runbook references name them."""
    out: set[tuple[str, str, str | None]] = set()
    for record in plan["resources"]:
        inputs = record["inputs"]
        if record["type"].startswith("kubernetes:") and "kind" in inputs:
            meta = inputs.get("metadata") or {}
            out.add((inputs["kind"], meta.get("name"), meta.get("namespace")))
        elif record["type"].startswith("postgresql:index/"):
            kind = record["type"].rsplit(":", 1)[-1]
            out.add((kind, inputs.get("name"), inputs.get("database")))
        elif record["type"] == "paif:site:PaifSite":
            for location in inputs.get("backupLocations") or {}:
                out.add(("BackupLocation", location, None))
    return out


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_runbook_names_only_what_the_stacks_declare(
    plans: dict[str, Any], failed_over: dict[str, Any], pattern: str
) -> None:
    """Walk every failover and failback step; each object it names is in plan.json of the stack
    that declares it (the DR stack as it stands, or as failed over)."""
    prod, dr = plans[pattern]["prod"], plans[pattern]["dr"]
    declared = {"primary": _objects(prod), "dr": _objects(dr) | _objects(failed_over[pattern])}
    estimate = dr["estimates"]
    references = [ref for step in runbook_steps(estimate) for ref in step.references]
    references += [ref for step in failback_steps(estimate) for ref in step.references]
    kinds = {ref.kind for ref in references}
    expected = {"PostgresCluster"} | (
        {"Subscription", "ReplicationSlot", "Publication", "Deployment"}
        if EXPECTED_MECHANISM[pattern] == "logical"
        else {"BackupLocation"}
    )
    assert expected <= kinds, kinds
    for ref in references:
        assert (ref.kind, ref.name, ref.scope) in declared[ref.stack], ref
    # The runbook paif plan wrote names them too.
    for ref in references:
        assert ref.name in dr["__runbook"], ref


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_fits_its_clusters_before_and_after_failover(
    plans: dict[str, Any], failed_over: dict[str, Any], pattern: str
) -> None:
    """PAIF-CAP-006 on the rendered DR site, standing by and failed over (issue 20 §5)."""
    for plan in (*plans[pattern].values(), failed_over[pattern]):
        found = [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-CAP-006"]
        assert found == []
        shapes = plan["estimates"]["schedulability"]
        assert all(shape["ok"] for shape in shapes.values()), shapes
