"""The reachability evaluator the engine tier runs over stored policies, held to Kubernetes'
NetworkPolicy semantics and the SecurityPolicy's first-match rules on small cases."""

from __future__ import annotations

from typing import Any

from tests.support.reachability import Cluster, Endpoint, port_matches, selects

APP = {"tier": "app"}
A_APP = Endpoint("a/app", "a", APP)
A_AI = Endpoint("a/ai", "a", {"tier": "ai"})
B_APP = Endpoint("b/app", "b", APP)
OUTSIDE = Endpoint("outside", ip="203.0.113.7")
EDGE = Endpoint("edge", ip="10.10.0.33")
NAMESPACES = {n: {"kubernetes.io/metadata.name": n, "team": n} for n in ("a", "b")}


def policy(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace, "name": "p"}, "spec": spec}


def deny_all(namespace: str) -> dict[str, Any]:
    return policy(namespace, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def cluster(*policies: dict[str, Any]) -> Cluster:
    return Cluster(dict(NAMESPACES), list(policies))


def test_selectors_and_ports() -> None:
    assert selects({}, {"x": "1"})
    assert not selects(None, {"x": "1"})
    expression = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["ai"]}]}
    assert selects(expression, {"tier": "ai"}) and not selects(expression, APP)
    assert selects({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, APP)
    assert port_matches(None, "UDP", 53)
    assert port_matches([{"port": 443}], "TCP", 443)  # protocol defaults to TCP
    assert not port_matches([{"port": 443}], "UDP", 443)
    assert port_matches([{"protocol": "TCP", "port": 8000, "endPort": 8100}], "TCP", 8080)
    assert port_matches([{"protocol": "UDP"}], "UDP", 9)


def test_without_policies_everything_flows_and_default_deny_stops_it() -> None:
    assert cluster().allowed(A_APP, B_APP, "TCP", 22)
    fenced = cluster(deny_all("b"))
    assert not fenced.allowed(A_APP, B_APP, "TCP", 443)
    assert not fenced.allowed(OUTSIDE, B_APP, "TCP", 443)
    assert fenced.allowed(A_APP, OUTSIDE, "TCP", 443)  # a's egress is not isolated


def test_the_open_door_admits_every_namespace_and_every_address() -> None:
    """``ingress: [{}]``, as the app tier had it: other tenants and the internet, any port."""
    door = policy("b", {"podSelector": {"matchLabels": APP}, "ingress": [{}]})
    open_cluster = cluster(deny_all("b"), door)
    assert open_cluster.allowed(A_APP, B_APP, "TCP", 22)
    assert open_cluster.allowed(OUTSIDE, B_APP, "TCP", 5432)


def test_peers_and_and_or() -> None:
    same = policy(
        "b",
        {"podSelector": {}, "policyTypes": ["Ingress"],
         "ingress": [{"from": [{"podSelector": {"matchLabels": APP}}]}]},
    )  # fmt: skip
    assert not cluster(same).allowed(A_APP, B_APP, "TCP", 80)  # podSelector alone: b only
    assert cluster(same).allowed(Endpoint("b/app2", "b", APP), B_APP, "TCP", 80)
    both = {"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {"matchLabels":
            {"tier": "ai"}}}  # fmt: skip
    anded = policy("b", {"podSelector": {}, "ingress": [{"from": [both]}]})
    assert cluster(anded).allowed(A_AI, B_APP, "TCP", 80)
    assert not cluster(anded).allowed(A_APP, B_APP, "TCP", 80)
    ored = policy(
        "b",
        {"podSelector": {}, "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {"team": "a"}}},
            {"podSelector": {"matchLabels": {"tier": "ai"}}},
        ]}]},
    )  # fmt: skip
    assert cluster(ored).allowed(A_APP, B_APP, "TCP", 80)


def test_ip_blocks_with_exceptions_apply_to_addresses_outside() -> None:
    block = {"ipBlock": {"cidr": "10.10.0.0/16", "except": ["10.10.0.32/28"]}}
    spec = {"podSelector": {}, "ingress": [{"from": [block], "ports": [{"port": 443}]}]}
    fenced = cluster(policy("b", spec))
    assert fenced.allowed(Endpoint("lb", ip="10.10.9.9"), B_APP, "TCP", 443)
    assert not fenced.allowed(EDGE, B_APP, "TCP", 443)
    assert not fenced.allowed(Endpoint("lb", ip="10.10.9.9"), B_APP, "TCP", 80)
    assert not fenced.allowed(A_APP, B_APP, "TCP", 443)  # an ipBlock is no pod


def test_policy_types_default_from_the_rules() -> None:
    ingress_only = policy("a", {"podSelector": {}, "ingress": []})
    assert not cluster(ingress_only).allowed(B_APP, A_APP, "TCP", 1)
    assert cluster(ingress_only).allowed(A_APP, OUTSIDE, "TCP", 1)
    with_egress = policy("a", {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]})
    assert not cluster(with_egress).allowed(A_APP, OUTSIDE, "TCP", 443)
    assert cluster(with_egress).allowed(A_APP, OUTSIDE, "TCP", 53)


def test_a_connection_between_pods_needs_both_ends() -> None:
    out = policy("a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})
    assert not cluster(out, deny_all("b")).allowed(A_APP, B_APP, "TCP", 443)
    welcome = policy("b", {"podSelector": {}, "ingress": [{}]})
    assert cluster(out, welcome).allowed(A_APP, B_APP, "TCP", 443)


def test_nsx_first_match_decides_and_vms_are_selected_by_vm_selector() -> None:
    ai_vm = Endpoint("a/ai-vm", "a", {"tier": "ai"}, vm=True)
    rules = [
        {"name": "allow", "direction": "In", "action": "allow",
         "appliedTo": [{"vmSelector": {"matchLabels": {"tier": "ai"}}}],
         "sources": [{"podSelector": {"matchLabels": APP}}], "ports": [{"port": 443}]},
        {"name": "deny", "direction": "In", "action": "drop", "appliedTo": [
            {"podSelector": {}}, {"vmSelector": {}}]},
    ]  # fmt: skip
    nsx = Cluster(dict(NAMESPACES), [], [policy("a", {"rules": rules})])
    assert nsx.nsx_allowed(A_APP, ai_vm, "TCP", 443)
    assert not nsx.nsx_allowed(A_APP, ai_vm, "TCP", 22)
    assert not nsx.nsx_allowed(A_APP, A_AI, "TCP", 443)  # a pod: only the drop rule applies
    assert not nsx.nsx_allowed(B_APP, ai_vm, "TCP", 443)  # podSelector alone: namespace a
    assert nsx.nsx_allowed(A_APP, B_APP, "TCP", 443)  # b is not governed
