"""Who may open a connection to whom, from stored network policies: a small evaluator.

Kubernetes ``NetworkPolicy`` semantics (kubernetes.io, "Network Policies"): a pod is isolated
in a direction when some policy of its namespace selects it with that policy type; an isolated
pod admits (sends) only what some selecting policy's rule allows, the union of all of them. A
connection between two pods needs the source's egress *and* the destination's ingress. A rule
without ``from``/``to`` matches every peer, without ``ports`` every port. A peer's
``podSelector`` alone means pods of the policy's own namespace; ``namespaceSelector`` alone,
every pod of the namespaces it selects; both, the pods it selects in those namespaces;
``ipBlock`` an address range, which this evaluator applies to addresses outside the cluster
only (pods here have no address: what ipBlock does to pod IPs is the network plugin's choice).
``policyTypes`` left out means Ingress, plus Egress when the policy has egress rules.

nsx-operator ``SecurityPolicy`` (``crd.nsx.vmware.com``): rules in order, the first whose
direction, ``appliedTo``, peers and ports match decides (``allow``, or ``drop``/``reject``);
the NSX distributed firewall applies a connection's ``Out`` rules at the source and its ``In``
rules at the destination. ``vmSelector`` picks VMs (VM Service VMs, VKS nodes); nothing matched
by any rule is not governed by the policy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Labels = Mapping[str, str]


@dataclass(frozen=True)
class Endpoint:
    """A pod or VM (``namespace`` set) or an address outside the cluster (``ip`` set)."""

    name: str
    namespace: str | None = None
    labels: Labels = field(default_factory=dict)
    ip: str | None = None
    vm: bool = False

    @property
    def external(self) -> bool:
        return self.namespace is None


def selects(selector: Mapping[str, Any] | None, labels: Labels) -> bool:
    """A label selector (``matchLabels`` and ``matchExpressions``) against labels; ``{}``
    selects everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = set(expression.get("values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _in_blocks(ip: str, blocks: Iterable[Mapping[str, Any]]) -> bool:
    address = ipaddress.ip_address(ip)
    for block in blocks:
        if address in ipaddress.ip_network(block["cidr"], strict=False) and not any(
            address in ipaddress.ip_network(e, strict=False) for e in block.get("except") or []
        ):
            return True
    return False


def port_matches(ports: Sequence[Mapping[str, Any]] | None, protocol: str, port: int) -> bool:
    if not ports:
        return True
    for item in ports:
        if str(item.get("protocol") or "TCP") != protocol:
            continue
        number = item.get("port")
        if number is None:
            return True
        end = item.get("endPort") or number
        if isinstance(number, int) and number <= port <= int(end):
            return True
    return False


@dataclass
class Cluster:
    """The stored objects of one Kubernetes API: namespaces (with labels) and policies."""

    namespaces: dict[str, Labels]
    network_policies: list[Mapping[str, Any]]
    security_policies: list[Mapping[str, Any]] = field(default_factory=list)

    # --- Kubernetes NetworkPolicy -------------------------------------------------------------

    def _peer_matches(self, peer: Mapping[str, Any], home: str, other: Endpoint) -> bool:
        if "ipBlock" in peer:
            return other.ip is not None and _in_blocks(other.ip, [peer["ipBlock"]])
        if other.external or other.vm:
            return False
        pod_selector = peer.get("podSelector")
        return self._in_namespace(peer, home, other) and (
            pod_selector is None or selects(pod_selector, other.labels)
        )

    def _in_namespace(self, peer: Mapping[str, Any], home: str, endpoint: Endpoint) -> bool:
        """A peer's namespaces: those its ``namespaceSelector`` selects, else the policy's."""
        selector = peer.get("namespaceSelector")
        if selector is None:
            return endpoint.namespace == home
        return selects(selector, self.namespaces.get(str(endpoint.namespace), {}))

    def _policies_for(self, pod: Endpoint, direction: str) -> list[Mapping[str, Any]]:
        found = []
        for policy in self.network_policies:
            metadata, spec = policy["metadata"], policy.get("spec") or {}
            if metadata.get("namespace") != pod.namespace:
                continue
            if not selects(spec.get("podSelector") or {}, pod.labels):
                continue
            types = spec.get("policyTypes") or ["Ingress"] + (
                ["Egress"] if spec.get("egress") else []
            )
            if direction in types:
                found.append(policy)
        return found

    def _side_allows(
        self, pod: Endpoint, other: Endpoint, direction: str, protocol: str, port: int
    ) -> bool:
        """Whether ``pod``'s policies let it send to / receive from ``other``."""
        if pod.external or pod.vm:
            return True  # nothing outside the cluster, nor a VM, is a NetworkPolicy's pod
        policies = self._policies_for(pod, direction)
        if not policies:
            return True  # not isolated in this direction
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in policies:
            home = policy["metadata"]["namespace"]
            for rule in policy["spec"].get(key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(self._peer_matches(p, home, other) for p in peers)
                if peer_ok and port_matches(rule.get("ports"), protocol, port):
                    return True
        return False

    def allowed(self, source: Endpoint, target: Endpoint, protocol: str, port: int) -> bool:
        """Kubernetes: the source's egress and the destination's ingress both allow it."""
        return self._side_allows(source, target, "Egress", protocol, port) and self._side_allows(
            target, source, "Ingress", protocol, port
        )

    # --- nsx-operator SecurityPolicy ---------------------------------------------------------

    def _nsx_selects(self, item: Mapping[str, Any], home: str, endpoint: Endpoint) -> bool:
        if endpoint.external:
            return "ipBlocks" in item and _in_blocks(str(endpoint.ip), item["ipBlocks"])
        if "ipBlocks" in item or not self._in_namespace(item, home, endpoint):
            return False
        if "vmSelector" in item:
            return endpoint.vm and selects(item["vmSelector"], endpoint.labels)
        if "podSelector" in item:
            return not endpoint.vm and selects(item["podSelector"], endpoint.labels)
        return "namespaceSelector" in item and not endpoint.vm

    def _nsx_side(
        self, endpoint: Endpoint, other: Endpoint, direction: str, protocol: str, port: int
    ) -> bool:
        if endpoint.external:
            return True
        for policy in self.security_policies:
            home = policy["metadata"]["namespace"]
            for rule in policy["spec"].get("rules") or []:
                inbound = str(rule.get("direction")).lower() in ("in", "ingress")
                if inbound != (direction == "In"):
                    continue
                if not any(self._nsx_selects(a, home, endpoint) for a in rule["appliedTo"]):
                    continue
                keys = ("sources", "from") if inbound else ("destinations", "to")
                peers = [p for k in keys for p in rule.get(k) or []]
                if peers and not any(self._nsx_selects(p, home, other) for p in peers):
                    continue
                if not port_matches(rule.get("ports"), protocol, port):
                    continue
                return str(rule.get("action")).lower() == "allow"
        return True

    def nsx_allowed(self, source: Endpoint, target: Endpoint, protocol: str, port: int) -> bool:
        """NSX: the source's Out rules and the destination's In rules both allow it."""
        return self._nsx_side(source, target, "Out", protocol, port) and self._nsx_side(
            target, source, "In", protocol, port
        )
