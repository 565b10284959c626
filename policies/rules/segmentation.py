"""Segmentation (§9.6.1, §9.6.3): every network rule names who it admits, where it lets traffic
go and on which ports.

Judged on the objects the stack renders: Kubernetes ``NetworkPolicy`` (Supervisor namespaces
and the app namespaces of VKS clusters) and nsx-operator ``SecurityPolicy``
(``crd.nsx.vmware.com``). Only *allowing* rules are judged: a rule that drops everything is the
default deny. PAIF-MT-005 judges the Supervisor's objects: an app namespace's way out
(``tenants[].appNamespace.serviceCidrs``) is a tenant key, and a DR site builds the primary's
tenants, so it cannot hold one site's addresses.

Site props these rules read (``paif:site:PaifSite``), beyond the framework's:

``harborHost``       the site Harbor's host name, for PAIF-MT-005's message
``backupLocations``  ``{name: {site, encrypted}}`` (``paif:dr.backupLocations``), likewise
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from paif_components.context import SUPERVISOR_TARGET
from paif_policies.registry import Violation, rule
from paif_policies.view import StackView, as_int, label, target_of

NETWORK_POLICY_API: Final = "networking.k8s.io/"
NSX_API: Final = "crd.nsx.vmware.com/"


def _every_address(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _selects_all(selector: Any) -> bool:
    """An empty label selector (``{}``): every object of its kind."""
    return selector is not None and not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    )


def _open_peer(peer: Mapping[str, Any]) -> str | None:
    """How a NetworkPolicy or SecurityPolicy peer stands for everyone, or None."""
    blocks: list[Any] = (
        [peer.get("ipBlock")] if peer.get("ipBlock") else list(peer.get("ipBlocks") or [])
    )
    for block in blocks:
        cidr = block.get("cidr")
        if _every_address(cidr) and not block.get("except"):
            return f"every address ({cidr})"
    namespaces = peer.get("namespaceSelector")
    pods = peer.get("podSelector")
    if _selects_all(namespaces) and (pods is None or _selects_all(pods)):
        return "every pod of every namespace"
    return None


def _open_peers(peers: Sequence[Any] | None, missing: str) -> str | None:
    """How a rule's peers stand for everyone (``missing`` when it names none), or None."""
    if not peers:
        return missing
    return next((found for p in peers if (found := _open_peer(p))), None)


def _ports_text(ports: Sequence[Any] | None) -> str:
    """``TCP 443``, ``UDP 53, TCP 53`` (numbers arrive as floats), or ``every port``."""
    if not ports:
        return "every port"
    return ", ".join(
        f"{p.get('protocol') or 'TCP'} {as_int(p.get('port'), p.get('port')) or 'every port'}"
        for p in ports
    )


def _every_port(ports: Sequence[Any] | None) -> bool:
    return not ports or any(p.get("port") is None for p in ports)


def network_rules(resource: Any) -> Iterator[tuple[str, str, list[Any], list[Any]]]:
    """``(where, direction, peers, ports)`` of each allowing rule of a NetworkPolicy or an
    nsx-operator SecurityPolicy; direction ``In`` or ``Out``."""
    spec = resource.props.get("spec") or {}
    if resource.props.get("kind") == "NetworkPolicy":
        for key, peers_key, direction in (("ingress", "from", "In"), ("egress", "to", "Out")):
            for index, item in enumerate(spec.get(key) or []):
                yield (
                    f"{key}[{index}]",
                    direction,
                    list(item.get(peers_key) or []),
                    list(item.get("ports") or []),
                )
        return
    for index, item in enumerate(spec.get("rules") or []):
        if str(item.get("action") or "").lower() != "allow":
            continue
        inbound = str(item.get("direction") or "").lower() in ("in", "ingress")
        keys = ("sources", "from") if inbound else ("destinations", "to")
        peers = [p for k in keys for p in item.get(k) or []]
        where = f"rule {item.get('name')!r}" if item.get("name") else f"rules[{index}]"
        yield where, "In" if inbound else "Out", peers, list(item.get("ports") or [])


def segmentation_objects(view: StackView) -> list[Any]:
    """Every NetworkPolicy and nsx-operator SecurityPolicy of the stack."""
    return [
        *view.kube("NetworkPolicy", NETWORK_POLICY_API),
        *view.kube("SecurityPolicy", NSX_API),
    ]


@rule(
    "PAIF-MT-004",
    title="Every network rule admits named sources on named ports",
    severity="high",
    section="§9.6.1, §9.6.3 (close unneeded ports; restrict pod-to-pod traffic)",
    rationale="An ingress rule without sources (`ingress: [{}]`, an NSX rule with no sources) "
    "or without ports admits every pod of every tenant and any outside address on any port: "
    "tenants meet each other where the design has no edge, and a default-deny policy beside "
    "it means nothing for the workloads it selects. Users reach the app tier through the edge "
    "load balancer (§9.6.1), so naming the edge's addresses loses nothing.",
    remediation="Declare who reaches the tenants' app tier under paif:network.appTier "
    "(sourceCidrs: the edge's source addresses; sourceNamespaces: an ingress controller's "
    "namespace; ports): SupervisorNamespace renders only that. For a hand-written policy, "
    "give every ingress rule `from` peers and `ports`, never an ipBlock of 0.0.0.0/0.",
)
def check_named_sources(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for resource in segmentation_objects(view):
        problems = []
        for where, direction, peers, ports in network_rules(resource):
            if direction == "In":
                sources = _open_peers(peers, "every source")
                what = [f"admits {sources}"] if sources else []
                if _every_port(ports):
                    what.append("on every port")
            else:
                what = ["opens every port"] if _every_port(ports) else []
            if what:
                problems.append(f"{where} {' '.join(what)}")
        if problems:
            yield Violation(
                f"{label(resource)}: {'; '.join(problems)}; name the sources and ports "
                "(paif:network.appTier for the app tier)",
                resource.urn,
            )


def _what_to_declare(view: StackView) -> str:
    """The paif:network.egress keys this stack needs, with what it knows of each."""
    harbor = view.facts.harbor_host
    locations = sorted(view.facts.backup_locations)
    parts = [
        "dnsServers (the Supervisor workload network's DNS servers)",
        f"harbor (the addresses of {harbor})" if harbor else "harbor (the site Harbor's addresses)",
        f"backupLocations ({', '.join(f'{n}: its object store' for n in locations)})"
        if locations
        else "backupLocations (each DSM backup location's object store)",
    ]
    return (
        f"declare paif:network.egress: {', '.join(parts)}, and modelStore and externalApis "
        "where the tenants use them"
    )


@rule(
    "PAIF-MT-005",
    title="Tenant workloads open connections only to declared destinations in production",
    severity="high",
    section="§9.6.1, §9.6.3 (restrict pod-to-pod traffic; data protection)",
    rationale="A rule that lets a tier open connections to any address is an exfiltration "
    "path: a compromised model server or database can send prompts, embeddings or a dump "
    "anywhere on 443, and a DNS rule to any address carries data out as queries. The AI tier "
    "needs Harbor (model pulls), the model store and the APIs it calls; the data tier its "
    "backup locations; every workload the cluster's resolver. Outside production the "
    "library's open defaults stay, reported as advisories.",
    remediation="Declare paif:network.egress (dnsServers, harbor, backupLocations, modelStore, "
    "externalApis): the tenants' Supervisor namespaces then reach exactly those.",
)
def check_declared_destinations(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for resource in segmentation_objects(view):
        if target_of(resource) != SUPERVISOR_TARGET:
            continue  # a VKS cluster's app namespace: appNamespace.serviceCidrs (module doc)
        open_rules = []
        for where, direction, peers, ports in network_rules(resource):
            if direction != "Out":
                continue
            destination = _open_peers(peers, "any destination")
            if destination:
                open_rules.append(f"{where} ({_ports_text(ports)} to {destination})")
        if open_rules:
            yield Violation(
                f"{label(resource)} lets workloads open connections to any address: "
                f"{'; '.join(open_rules)}; {_what_to_declare(view)}",
                resource.urn,
            )
