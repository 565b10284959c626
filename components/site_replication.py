"""The site's Harbor replication, read from its derived DR topology: which projects the peer
writes into here, which projects beside its own each tenant has, what this site pushes."""

from __future__ import annotations

from paif_components.config.models import Peer, StackConfig
from paif_components.context import SiteContext
from paif_components.dr.topology import DerivedSite, return_projects
from paif_components.harbor_registry import HarborReplicationArgs


def replication_targets(derived: DerivedSite) -> tuple[str, ...]:
    """Harbor projects of this site that replication from the peer site writes into."""
    if derived.registry is None:
        return ()
    return tuple(sorted({p for flow in derived.registry.inbound for p in flow.projects}))


def replicated_projects(
    config: StackConfig, primary: StackConfig | None, derived: DerivedSite
) -> dict[str, tuple[str, ...]]:
    """Per tenant, the projects beside its own that replication pushes from or into here."""
    if derived.registry is None or derived.peer_site is None:
        return {}
    is_dr = config.dr.role == "dr"
    primary = primary if is_dr else config
    dr_site = derived.site if is_dr else derived.peer_site
    owners = return_projects(primary, dr_site) if primary is not None else {}
    out: dict[str, list[str]] = {}
    for project in derived.registry.projects:
        if project in owners:
            out.setdefault(owners[project], []).append(project)
    return {tenant: tuple(projects) for tenant, projects in out.items()}


def replication_args(ctx: SiteContext, derived: DerivedSite) -> list[HarborReplicationArgs]:
    """The Harbor replications this site pushes to its peer."""
    if derived.registry is None:
        return []
    out = []
    for flow in derived.registry.outbound:
        peer = Peer(stack="peer", site=flow.target_site, harbor_url=flow.target_harbor_url)
        out.append(
            HarborReplicationArgs(
                ctx=ctx, peer=peer, projects=tuple(flow.projects), schedule=flow.schedule
            )
        )
    return out
