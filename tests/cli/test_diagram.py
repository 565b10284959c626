"""The topology diagram: its nodes and edges follow the plans of the example prod/dr pair."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paif_cli.diagram import (
    TOPOLOGY_FILE,
    Topology,
    extract_topology,
    fit,
    render_topology,
    text_width,
)
from paif_components.contract.plan import PlanDocument

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
PAIS = "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint"
KEDA = "kubernetes:keda.sh/v1alpha1:ScaledObject"
CAPI = "kubernetes:cluster.x-k8s.io/v1beta2:Cluster"
DSM = "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster"


@pytest.fixture(scope="module")
def example(example_out: Path) -> tuple[list[dict[str, Any]], Path]:
    """The session's plan of the example pair: the diagram `paif plan` wrote, and the plans."""
    documents = [json.loads((example_out / s / "plan.json").read_text()) for s in ("prod", "dr")]
    return documents, example_out / TOPOLOGY_FILE


def draw(plans: Sequence[Mapping[str, Any]]) -> str:
    """The diagram of plan.json documents, read as ``paif plan`` hands them over."""
    return render_topology([PlanDocument.from_json(p) for p in plans])


def extract(plans: Sequence[Mapping[str, Any]]) -> Topology:
    return extract_topology([PlanDocument.from_json(p) for p in plans])


def groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def of_kind(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("data-kind") == kind]


def records(document: Mapping[str, Any], typ: str) -> list[Mapping[str, Any]]:
    return [r for r in document["resources"] if r["type"] == typ]


def site_of(document: Mapping[str, Any]) -> str:
    (site,) = records(document, "paif:site:PaifSite")
    return site["inputs"]["site"]


def tenant_of(record: Mapping[str, Any]) -> str:
    return record["inputs"]["metadata"]["labels"]["paif.vmware.com/tenant"]


def test_example_pair_has_a_node_for_every_declared_site_tenant_and_service(example):
    documents, path = example
    root = ET.parse(path).getroot()
    ids = groups(root)
    assert root.get("data-stacks") == "prod dr"
    assert root.get("data-pattern") == "warm-standby"
    assert root.get("data-traffic") == "dns"
    for document in documents:
        site = site_of(document)
        panel = ids[f"site-{site}"]
        assert panel.get("data-stack") == document["stack"]
        assert panel.get("data-role") == ("primary" if document["stack"] == "prod" else "dr")
        for namespace in records(document, "vsphere:index/namespace:Namespace"):
            tenant = [
                g
                for g in root.iter(f"{SVG}g")
                if g.get("class") == "tenant"
                and g.get("data-site") == site
                and g.get("data-namespace") == namespace["inputs"]["name"]
            ]
            assert len(tenant) == 1
        scaling = {
            (r["inputs"]["metadata"]["namespace"], r["inputs"]["spec"]["scaleTargetRef"]["name"]): r
            for r in records(document, KEDA)
        }
        endpoints = records(document, PAIS)
        assert endpoints, "the example declares model endpoints"
        for record in endpoints:
            meta = record["inputs"]["metadata"]
            node = ids[f"endpoint-{site}-{tenant_of(record)}-{meta['name']}"]
            spec = scaling[(meta["namespace"], meta["name"])]["inputs"]["spec"]
            assert node.get("data-min") == str(int(spec["minReplicaCount"]))
            assert node.get("data-max") == str(int(spec["maxReplicaCount"]))
        for record in records(document, CAPI):
            meta = record["inputs"]["metadata"]
            node = ids[f"vks-{site}-{tenant_of(record)}-{meta['name']}"]
            assert node.get("data-control-plane") == str(
                int(record["inputs"]["spec"]["topology"]["controlPlane"]["replicas"])
            )
        for record in records(document, DSM):
            meta = record["inputs"]["metadata"]
            # A DR copy (its own cluster name) is drawn as the database it copies.
            name = meta["annotations"].get("paif.vmware.com/primary-cluster", meta["name"])
            assert f"db-{site}-{tenant_of(record)}-{name}" in ids
        assert len(of_kind(root, "endpoint")) == sum(len(records(d, PAIS)) for d in documents)


def test_example_pair_draws_replication_with_its_direction(example):
    documents, path = example
    root = ET.parse(path).getroot()
    prod, dr = documents
    primary, standby = site_of(prod), site_of(dr)
    (harbor,) = of_kind(root, "harbor-replication")
    # Warm standby: the primary pushes its model projects to the DR Harbor, never back.
    assert harbor.get("data-from") == f"harbor-{primary}"
    assert harbor.get("data-to") == f"harbor-{standby}"
    filters = {
        f["name"]
        for r in records(prod, "harbor:index/replication:Replication")
        for f in r["inputs"]["filters"]
    }
    assert {f"{p}/**" for p in harbor.get("data-projects").split()} == filters
    assert not records(dr, "harbor:index/replication:Replication")
    app_data, database = sorted(of_kind(root, "db-replication"), key=lambda e: e.get("data-from"))
    assert database.get("data-from") == f"db-{primary}-marketing-kb-vectors"
    assert database.get("data-to") == f"db-{standby}-marketing-kb-vectors"
    assert database.get("data-mode") == "logical-subscriber"
    # §9.3.2 item 4: the chat app's own database replicates the same way.
    assert app_data.get("data-from") == f"db-{primary}-marketing-chat-history"
    assert app_data.get("data-to") == f"db-{standby}-marketing-chat-history"
    (dns,) = of_kind(root, "dns-failover")
    assert (dns.get("data-from"), dns.get("data-to")) == (f"edge-{primary}", f"edge-{standby}")
    # §9.6.1: each site's entry is the Avi virtual service with its WAF (prod default).
    entries = ["".join(g.itertext()) for g in of_kind(root, "edge-lb")]
    assert len(entries) == 2
    assert all("Avi edge VS" in text and ":443 · TLS · WAF" in text for text in entries)
    assert not of_kind(root, "gslb")
    ids = groups(root)
    for edge in root.iter(f"{SVG}g"):
        if "edge" in (edge.get("class") or "").split():
            assert edge.get("data-from") in ids and edge.get("data-to") in ids
            (line,) = edge.iter(f"{SVG}path")
            assert line.get("marker-end", "").startswith("url(#arrow-")


def test_example_legend_states_the_dr_stacks_estimate(example):
    documents, path = example
    root = ET.parse(path).getroot()
    estimate = documents[1]["estimates"]
    legend = groups(root)["legend"]
    assert legend.get("data-estimate-stack") == "dr"
    assert legend.get("data-rto-seconds") == str(estimate["rto"]["seconds"])
    assert legend.get("data-rpo-seconds") == str(estimate["rpo"]["seconds"])
    assert legend.get("data-rto-band") == estimate["rto"]["band"]
    texts = ["".join(t.itertext()) for t in legend.iter(f"{SVG}text")]
    assert any(t.startswith(f"RTO ≈ {estimate['rto']['duration']}") for t in texts)
    assert any(t.startswith(f"RPO ≈ {estimate['rpo']['duration']}") for t in texts)


def test_rendering_is_deterministic(example):
    documents, path = example
    assert draw(documents) == path.read_text(encoding="utf-8")
    assert draw(list(reversed(documents))) == path.read_text(encoding="utf-8")


# --- synthetic plans: the parts the example pair does not show ---------------------------------


def resource(typ: str, name: str, inputs: dict[str, Any], parent: str | None = None) -> dict:
    return {"urn": f"urn:{typ}::{name}", "type": typ, "name": name, "parent": parent,
            "custom": True, "inputs": inputs}  # fmt: skip


def site_plan(
    stack: str, site: str, role: str, pattern: str, peer: str, *, vip: str, push: str | None
) -> dict[str, Any]:
    harbor = f"https://harbor.{site}.example.com"
    labels = {"paif.vmware.com/tenant": "t1"}
    items = [
        resource("paif:site:PaifSite", site,
                 {"site": site, "drRole": role, "drPattern": pattern, "peerSite": peer}),
        resource("pulumi:providers:harbor", f"{site}-harbor", {"url": harbor}),
        resource("vsphere:index/namespace:Namespace", f"{site}-t1", {"name": "t1-ns"}),
        resource("nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer", f"{site}-vs",
                 {"ipAddress": vip, "ports": ["443"], "clientSsl": {}}),
        resource(DSM, f"{site}-db", {"metadata": {"name": "db1", "namespace": "t1-ns",
                                                  "labels": labels}, "spec": {"replicas": 1}}),
    ]  # fmt: skip
    if push:
        parent = f"urn:{site}-replication"
        items += [
            resource("harbor:index/registry:Registry", f"{site}-peer",
                     {"name": f"{peer}-harbor", "endpointUrl": f"https://harbor.{peer}.example.com"},
                     parent),
            resource("harbor:index/replication:Replication", f"{site}-{push}",
                     {"action": "push", "schedule": "event_based",
                      "filters": [{"name": f"{push}/**"}]}, parent),
        ]  # fmt: skip
    return {"stack": stack, "resources": items, "estimates": {}}


def with_roles(plan: dict[str, Any], site: str, **roles: list[dict[str, Any]]) -> dict[str, Any]:
    plan["estimates"] = {"role": "dr", "site": site, "topology": {"site": site, **roles}}
    return plan


def active_active() -> list[dict[str, Any]]:
    prod = site_plan("prod", "a", "primary", "active-active", "b", vip="10.1.0.1", push="t1")
    dr = site_plan("dr", "b", "dr", "active-active", "a", vip="10.2.0.1", push="t1-b")
    prod["resources"].append(
        resource("avi:index/gslbservice:Gslbservice", "gslb",
                 {"name": "ai", "domainNames": ["ai.example.com"], "sitePersistenceEnabled": "true",
                  "ttl": "30", "groups": [{"name": "sites", "members": [
                      {"ips": [{"addr": "10.1.0.1", "type": "V4"}]},
                      {"ips": [{"addr": "10.2.0.1", "type": "V4"}]}]}]})
    )  # fmt: skip
    with_roles(dr, "b", databases=[{"tenant": "t1", "name": "db1", "mode": "logical-subscriber"}])
    return [prod, dr]


def test_active_active_has_the_gslb_in_front_of_both_sites_and_replication_both_ways():
    root = ET.fromstring(draw(active_active()))
    assert root.get("data-traffic") == "gslb"
    (gslb,) = of_kind(root, "gslb")
    assert gslb.get("data-fqdn") == "ai.example.com"
    members = {(e.get("data-from"), e.get("data-to")) for e in of_kind(root, "gslb-member")}
    assert members == {("gslb-ai", "edge-a"), ("gslb-ai", "edge-b")}
    flows = {
        (e.get("data-from"), e.get("data-to"), e.get("data-projects"))
        for e in of_kind(root, "harbor-replication")
    }
    assert flows == {("harbor-a", "harbor-b", "t1"), ("harbor-b", "harbor-a", "t1-b")}
    (database,) = of_kind(root, "db-replication")
    assert (database.get("data-from"), database.get("data-to")) == ("db-a-t1-db1", "db-b-t1-db1")
    assert database.get("data-mode") == "logical-subscriber"
    assert not of_kind(root, "dns-failover")


def test_pilot_light_shows_what_the_dr_site_only_declares_dashed():
    prod = site_plan("prod", "a", "primary", "pilot-light", "b", vip="10.1.0.1", push="t1")
    dr = site_plan("dr", "b", "dr", "pilot-light", "a", vip="10.2.0.1", push=None)
    dr["resources"] = [r for r in dr["resources"] if r["type"] != DSM]
    with_roles(
        dr,
        "b",
        clusters=[{"tenant": "t1", "name": "apps", "namespace": "t1-ns", "deployed": False}],
        databases=[{"tenant": "t1", "name": "db1", "namespace": "t1-ns", "running": False,
                    "mode": "restore-from-backup"}],
    )  # fmt: skip
    root = ET.fromstring(draw([prod, dr]))
    ids = groups(root)
    assert ids["vks-b-t1-apps"].get("data-state") == "not-deployed"
    assert ids["db-b-t1-db1"].get("data-state") == "restore"
    assert "vks-a-t1-apps" not in ids
    (database,) = of_kind(root, "db-replication")
    assert database.get("data-mode") == "restore-from-backup"
    (line,) = database.iter(f"{SVG}path")
    assert line.get("stroke-dasharray") == "6 4"


def test_a_primarys_estimate_roles_describe_the_dr_side_and_are_not_applied_to_it():
    prod = site_plan("prod", "a", "primary", "warm-standby", "b", vip="10.1.0.1", push="t1")
    prod["estimates"] = {
        "role": "primary",
        "topology": {"site": "b", "databases": [{"tenant": "t1", "name": "db1",
                                                 "mode": "logical-subscriber"}]},
    }  # fmt: skip
    topology = extract([prod])
    (node,) = topology.sites[0].tenants["t1"].databases
    assert node.attrs["mode"] == "writer"


def test_a_peer_not_planned_in_the_run_gets_a_stub_column_so_replication_has_an_end():
    prod = site_plan("prod", "a", "primary", "warm-standby", "b", vip="10.1.0.1", push="t1")
    root = ET.fromstring(draw([prod]))
    ids = groups(root)
    assert ids["site-b"].get("data-planned") == "false"
    assert ids["harbor-b"].get("data-state") == "stub"
    (flow,) = of_kind(root, "harbor-replication")
    assert (flow.get("data-from"), flow.get("data-to")) == ("harbor-a", "harbor-b")


def test_fit_cuts_text_to_the_width_with_an_ellipsis():
    assert fit("kb-vectors", 12, 500) == "kb-vectors"
    cut = fit("harbor.primary.example.com projects dev, hr, marketing", 11, 120)
    assert cut.endswith("…") and text_width(cut, 11) <= 120
    assert text_width("mm", 10, bold=True) > text_width("mm", 10)


def _fit_one_character_at_a_time(text: str, size: float, width: float, bold: bool) -> str:
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abmwI WM0.-…→%@é" + "tenant-", max_size=300),
    st.sampled_from([10, 11, 12, 12.5, 19]),
    st.floats(min_value=0, max_value=2000),
    st.booleans(),
)
def test_fit_is_the_cut_one_character_at_a_time(
    text: str, size: float, width: float, bold: bool
) -> None:
    assert fit(text, size, width, bold=bold) == _fit_one_character_at_a_time(
        text, size, width, bold
    )
