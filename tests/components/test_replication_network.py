"""The network lets the declared replication flow, and nothing wider (issue 21 (a)).

A logical DR copy's subscription connects from the DR site's DSM cluster to the primary's on
5432. Since the tenants' data tier admits only its own namespace and reaches only its backup
locations, both sides render that one flow explicitly: the primary's data tier admits the DR
site's ``network.dataCidrs``, the DR data tier reaches the primary's, as a NetworkPolicy and as
a SecurityPolicy rule, only while a copy is logical (and at the DR site, subscribing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.stacks import load_example

POLICY = "allow-data-replication"
DATA = {"matchLabels": {"paif.vmware.com/tier": "data"}}


def _objects(out: Path, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    plan = json.loads((out / stack / "plan.json").read_text())
    return {
        r["inputs"]["metadata"]["name"]: r["inputs"]
        for r in plan["resources"]
        if r["type"].startswith("kubernetes:") and (r.get("inputs") or {}).get("kind") == kind
    }


def _replication_rules(out: Path, stack: str, namespace: str) -> list[dict[str, Any]]:
    policies = _objects(out, stack, "SecurityPolicy")
    spec = next(p["spec"] for p in policies.values() if p["metadata"]["namespace"] == namespace)
    return [r for r in spec["rules"] if r["name"].startswith(POLICY)]


def _replication_policies(out: Path, stack: str) -> dict[str, dict[str, Any]]:
    return {
        p["metadata"]["namespace"]: p["spec"]
        for name, p in _objects(out, stack, "NetworkPolicy").items()
        if name == POLICY
    }


def test_the_primary_admits_the_dr_sites_databases_on_5432_only(example_out: Path) -> None:
    # Only marketing has databases: hr and dev get no cross-site flow at all.
    assert _replication_policies(example_out, "prod") == {
        "marketing-ns": {
            "podSelector": DATA,
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": "10.20.6.0/24"}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ],
        }
    }
    [rule] = _replication_rules(example_out, "prod", "marketing-ns")
    assert rule == {
        "name": "allow-data-replication-in",
        "direction": "In",
        "action": "allow",
        "appliedTo": [{"podSelector": DATA}, {"vmSelector": DATA}],
        "sources": [{"ipBlocks": [{"cidr": "10.20.6.0/24"}]}],
        "ports": [{"protocol": "TCP", "port": 5432}],
    }
    assert _replication_rules(example_out, "prod", "hr-ns") == []


def test_the_dr_site_reaches_the_primarys_databases_on_5432_only(example_out: Path) -> None:
    assert _replication_policies(example_out, "dr") == {
        "marketing-ns": {
            "podSelector": DATA,
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "10.10.6.0/24"}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ],
        }
    }
    [rule] = _replication_rules(example_out, "dr", "marketing-ns")
    assert rule["direction"] == "Out"
    assert rule["destinations"] == [{"ipBlocks": [{"cidr": "10.10.6.0/24"}]}]
    # Before the catch-all drops, or it would never match.
    policy = next(
        p
        for p in _objects(example_out, "dr", "SecurityPolicy").values()
        if p["metadata"]["namespace"] == "marketing-ns"
    )
    names = [r["name"] for r in policy["spec"]["rules"]]
    assert names.index("allow-data-replication-out") < names.index("default-deny-out")


def _plan(
    make_project: Callable[..., Path], prod: dict[str, Any], dr: dict[str, Any]
) -> tuple[int, Path]:
    project = make_project({"prod": prod, "dr": dr})
    out = project / "o"
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project),
         "--out", str(out), "--quiet", "--format", "none"]
    )  # fmt: skip
    return code, out


def test_a_failed_over_dr_site_subscribes_to_nothing_and_opens_nothing(
    make_project: Callable[..., Path],
) -> None:
    dr = load_example("dr")
    dr["paif:dr"]["failover"] = True
    code, out = _plan(make_project, load_example("prod"), dr)
    assert code == 0
    assert _replication_policies(out, "dr") == {}
    assert _replication_rules(out, "dr", "marketing-ns") == []
    # The primary still admits them: its stack does not know the DR site failed over.
    assert set(_replication_policies(out, "prod")) == {"marketing-ns"}


def test_copies_restored_from_backups_open_no_path(make_project: Callable[..., Path]) -> None:
    prod = load_example("prod")
    for database in [
        *prod["paif:tenants"][0]["databases"],
        *prod["paif:tenants"][0]["appDatabases"],
    ]:
        database["dr"] = {"mechanism": "backup-restore"}
    prod["paif:dr"]["objectives"] = {"rto": "4h", "rpo": "2h"}
    dr = load_example("dr")
    dr["paif:dr"]["objectives"] = {"rto": "4h", "rpo": "2h"}
    code, out = _plan(make_project, prod, dr)
    assert code == 0
    assert _replication_policies(out, "prod") == _replication_policies(out, "dr") == {}
    # PAIS's own database is among them: the DR site has no PAIS instance until it is restored,
    # and the tenant records which database it waits for (PAIF-SEC-002 reads it).
    plan = json.loads((out / "dr" / "plan.json").read_text())
    types = {r["type"] for r in plan["resources"]}
    assert "kubernetes:pais.vmware.com/v1alpha1:PAISConfiguration" not in types
    waiting = {
        r["inputs"]["tenant"]: r["inputs"].get("paisDatabaseAtFailover")
        for r in plan["resources"]
        if r["type"] == "paif:tenancy:Tenant"
    }
    assert waiting == {"marketing": "kb-vectors", "hr": None, "dev": None}


@pytest.mark.parametrize(
    ("without", "needed_by", "message"),
    [
        ("dr", "prod", "is admitted from busan-dr's databases"),
        ("prod", "dr", "connects to seoul-primary's databases"),
    ],
)
def test_a_logical_copy_without_the_peers_database_addresses_is_a_config_error(
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    without: str,
    needed_by: str,
    message: str,
) -> None:
    configs = {"prod": load_example("prod"), "dr": load_example("dr")}
    del configs[without]["paif:network"]["dataCidrs"]
    code, out = _plan(make_project, configs["prod"], configs["dr"])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"Pulumi.{without}.yaml: paif:network.dataCidrs: is not declared, but the DR copy of "
        f"marketing/kb-vectors, marketing/chat-history is fed by logical replication, whose "
        f"subscription {message} on port 5432"
    ) in err
    assert not (out / needed_by / "plan.json").exists()
