"""Harbor replication as the DR rules see it: every replication rule of this stack, and of the
peer stack through the site's facts, as a transfer between registries (:class:`Edge`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from paif_components.contract import tokens
from paif_policies.harbor_filters import RepoFilter, parse_filters
from paif_policies.readers import host_of, is_true, known
from paif_policies.view import StackView

__all__ = [
    "DR_PATTERNS",
    "EVENT_BASED",
    "HARBOR_PROJECT_TYPE",
    "HARBOR_PROVIDER_TYPE",
    "HARBOR_REGISTRY_TYPE",
    "HARBOR_REPLICATION_TYPE",
    "MANUAL",
    "Edge",
    "edges_to_peer",
    "failed_over",
    "local_edges",
    "local_harbor_host",
    "peer_edges",
    "pushes_to_peer",
    "site_harbor",
]

# Resource types (pulumiverse_harbor 3.10 tokens; the provider's own resource type).
HARBOR_PROJECT_TYPE: Final = tokens.HARBOR_PROJECT
HARBOR_REGISTRY_TYPE: Final = tokens.HARBOR_REGISTRY
HARBOR_REPLICATION_TYPE: Final = tokens.HARBOR_REPLICATION
HARBOR_PROVIDER_TYPE: Final = tokens.HARBOR_PROVIDER

# Harbor replication triggers (pulumiverse_harbor Replication.schedule; "manual" is the default).
EVENT_BASED: Final = "event_based"
MANUAL: Final = "manual"
# The §9.3.3 patterns: each replicates to a DR site.
DR_PATTERNS: Final = ("pilot-light", "warm-standby", "active-active")


@dataclass(frozen=True)
class Edge:
    """One replication rule as a transfer ``source -> dest`` between registries (hosts)."""

    name: str
    source: str | None
    dest: str | None
    filter: RepoFilter
    schedule: str
    resource: Any | None  # None: a rule of the peer stack

    @property
    def where(self) -> str:
        return f"rule {self.name!r}" + ("" if self.resource is not None else " of the peer stack")

    @property
    def urn(self) -> str | None:
        """The URN of this stack's Replication (None: a rule of the peer stack)."""
        return self.resource.urn if self.resource is not None else None


def site_harbor(view: StackView, mine: bool) -> str | None:
    """This site's (``mine``) or the peer's Harbor host, as the estimate's site facts say."""
    here_is_primary = view.dr_role != "dr"
    facts = view.estimates.sites.side(primary=here_is_primary == mine)
    return host_of(facts.harbor_url if facts is not None else None)


def failed_over(view: StackView) -> bool:
    """A DR stack running failed over holds the writer and serves at full scale."""
    if view.site.get("failover") is not None:
        return is_true(view.site.get("failover"))
    topology = view.estimates.topology
    return topology is not None and topology.failover


def local_harbor_host(view: StackView) -> str | None:
    """This site's Harbor host: the estimate's site facts first, then the Harbor provider's
    url."""
    host = site_harbor(view, mine=True)
    if host:
        return host
    for provider in view.of_type(HARBOR_PROVIDER_TYPE):
        host = host_of(known(lambda p=provider: p.props.get("url"), None))
        if host:
            return host
    return None


def _registry_of(replication: Any) -> Any | None:
    for dependency in getattr(replication, "dependencies", None) or []:
        if dependency.resource_type == HARBOR_REGISTRY_TYPE:
            return dependency
    return None


def _provider_host(resource: Any) -> str | None:
    provider = getattr(resource, "provider", None)
    props = getattr(provider, "props", None)
    if not props:
        return None
    return host_of(known(lambda: props.get("url"), None))


def local_edges(view: StackView) -> list[Edge]:
    """The stack's enabled Harbor replication rules as transfers between registry hosts."""
    local = local_harbor_host(view)
    out = []
    # Sorted so that a finding about a pair of rules always names the same one first.
    for resource in sorted(view.of_type(HARBOR_REPLICATION_TYPE), key=lambda r: r.urn):
        props = resource.props
        if props.get("enabled") is False:
            continue
        registry = _registry_of(resource)
        remote = (
            host_of(known(lambda r=registry: r.props.get("endpointUrl"), None))
            if registry is not None
            else None
        )
        here = _provider_host(resource) or local
        action = str(props.get("action") or "push")
        source, dest = (here, remote) if action == "push" else (remote, here)
        out.append(
            Edge(
                name=str(props.get("name") or resource.name),
                source=source,
                dest=dest,
                filter=parse_filters(known(lambda p=props: p.get("filters"), None)),
                schedule=str(props.get("schedule") or MANUAL),
                resource=resource,
            )
        )
    return out


def _flow_entry(flow: Any) -> tuple[str, Any, Any, Any, Any]:
    """A flow as the topology and the stacks' ``replication`` output spell it."""
    return (
        f"{flow.get('from')}-to-{flow.get('to')}",
        flow.get("fromHarbor"),
        flow.get("toHarbor"),
        flow.get("filters"),
        flow.get("schedule"),
    )


def peer_edges(view: StackView) -> list[Edge]:
    """The peer stack's rules: ``peerReplication``, else the flows the topology derives.

    ``peerReplication`` entries are rules ({sourceRegistryUrl, destRegistryUrl, filters}) or
    flows ({from, to, fromHarbor, toHarbor, filters}: the peer's ``replication`` output, which
    lists both directions). Of flows, only those leaving another site are the peer's.
    """
    here = view.facts.site
    declared = view.site.get("peerReplication")
    entries = []
    if declared is not None:
        for index, raw in enumerate(declared):
            if raw.get("fromHarbor") is not None:
                if raw.get("from") != here:
                    entries.append(_flow_entry(raw))
                continue
            entries.append(
                (
                    str(raw.get("name") or f"peerReplication[{index}]"),
                    raw.get("sourceRegistryUrl"),
                    raw.get("destRegistryUrl"),
                    raw.get("filters"),
                    raw.get("schedule"),
                )
            )
    else:
        # The estimate's topology (seen from the DR site) lists both directions.
        topology = view.estimates.topology
        registry = topology.registry if topology is not None else None
        entries = (
            [
                _flow_entry(flow.to_json())
                for flow in (*registry.outbound, *registry.inbound)
                if flow.source_site != here
            ]
            if registry is not None
            else []
        )
    out = []
    for name, source, dest, filters, schedule in entries:
        patterns = [f for f in filters or [] if isinstance(f, str)]
        # A list of name patterns is one rule per pattern (one writer per project).
        selections = [RepoFilter(p) for p in patterns] if patterns else [parse_filters(filters)]
        for selection in selections:
            out.append(
                Edge(
                    name=name,
                    source=host_of(source),
                    dest=host_of(dest),
                    filter=selection,
                    schedule=str(schedule or EVENT_BASED),
                    resource=None,
                )
            )
    return out


def edges_to_peer(view: StackView) -> list[Edge]:
    """Local rules that move this site's artifacts to the peer site's Harbor."""
    local = local_harbor_host(view)
    peer = host_of(view.site.get("peerHarborUrl")) or site_harbor(view, mine=False)
    out = []
    for edge in local_edges(view):
        if edge.dest is None or edge.dest == local:
            continue
        if local is not None and edge.source not in (local, None):
            continue
        if peer is not None and edge.dest != peer:
            continue
        out.append(edge)
    return out


def pushes_to_peer(view: StackView) -> bool:
    """Does this stack own replication to the peer? The primary does; active-active both."""
    return view.dr_pattern in DR_PATTERNS and (
        view.dr_role == "primary" or view.dr_pattern == "active-active"
    )
