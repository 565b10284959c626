"""The DR topology a plan records (``estimates.topology``): each part's role at a site, as the
one set of classes the writer builds and every reader reads.

:mod:`paif_components.dr.topology` derives the roles from both stacks' config and builds these
objects (:class:`~paif_components.dr.roles.DerivedSite` holds them, keyed by tenant and name);
the components and the estimate use their attributes and properties, plan.json records
:meth:`DrTopologyRecord.to_json`, and the runbooks, the policies and the diagram read it back
with :meth:`DrTopologyRecord.from_json` instead of indexing the mapping by string keys. A
database's role, whose keys depend on the mechanism feeding its copy, is
:class:`paif_components.contract.dr_databases.DatabaseRole`.

``from_json`` is tolerant (``paif diff --base`` reads older plans, plan.json drops keys that
hold null, tests feed partial topologies): a missing field reads as its default; a missing
mode as what the entry's flags say (``running``, ``deployed``), else the full one.
``to_json`` gives back the mapping a writer's ``to_json`` wrote (same keys, same values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from paif_components.contract.dr_databases import DatabaseRole
from paif_components.contract.json_read import (
    JsonMap,
    integer,
    mapping,
    maps,
    member,
    number,
    strings,
    text,
)

__all__ = [
    "ClusterMode",
    "ClusterRole",
    "DrTopologyRecord",
    "EndpointMode",
    "EndpointRole",
    "JsonMap",
    "RegistryRole",
    "ReplicaBounds",
    "ReplicationFlow",
    "TrafficMode",
    "TrafficRole",
]


class EndpointMode(StrEnum):
    """How a model endpoint exists at this site."""

    SERVING = "serving"  # full replicas and autoscaling, serves traffic
    REDUCED = "reduced"  # warm standby: fixed reduced replicas, ready to scale up
    DECLARED = "declared"  # pilot light: configuration only, no replica runs


class ClusterMode(StrEnum):
    FULL = "full"
    SCALED_DOWN = "scaled-down"
    NOT_DEPLOYED = "not-deployed"


class TrafficMode(StrEnum):
    SINGLE_SITE = "single-site"
    DNS = "dns"
    GSLB = "gslb"


@dataclass(frozen=True)
class ReplicaBounds:
    min: int
    max: int

    @classmethod
    def from_json(cls, raw: object) -> ReplicaBounds:
        bounds = mapping(raw) or {}
        return cls(min=integer(bounds.get("min")), max=integer(bounds.get("max")))

    def to_json(self) -> dict[str, int]:
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True)
class EndpointRole:
    """A model endpoint at this site and what it must become on failover.

    ``replicas`` is what the component declares here (also in the derived config);
    ``failover_replicas`` the primary's, which the site needs once it carries the load.
    ``model_ref`` points into this site's Harbor.
    """

    tenant: str
    name: str
    namespace: str
    type: str
    mode: EndpointMode
    replicas: ReplicaBounds
    failover_replicas: ReplicaBounds
    model_ref: str
    source_model_ref: str
    critical: bool

    @property
    def running(self) -> bool:
        """False for a pilot-light endpoint: declare it with 0 replicas and no autoscaler."""
        return self.mode is not EndpointMode.DECLARED

    @property
    def autoscaled(self) -> bool:
        """Only a serving endpoint autoscales; a reduced one stays at its fixed replicas."""
        return self.mode is EndpointMode.SERVING

    @classmethod
    def from_json(cls, raw: JsonMap) -> EndpointRole:
        mode = member(raw.get("mode"), EndpointMode)
        if mode is None:
            mode = EndpointMode.DECLARED if raw.get("running") is False else EndpointMode.SERVING
        return cls(
            tenant=text(raw.get("tenant")) or "",
            name=text(raw.get("name")) or "",
            namespace=text(raw.get("namespace")) or "",
            type=text(raw.get("type")) or "",
            mode=mode,
            replicas=ReplicaBounds.from_json(raw.get("replicas")),
            failover_replicas=ReplicaBounds.from_json(raw.get("failoverReplicas")),
            model_ref=text(raw.get("modelRef")) or "",
            source_model_ref=text(raw.get("sourceModelRef")) or "",
            critical=bool(raw.get("critical")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "type": self.type,
            "mode": self.mode.value,
            "running": self.running,
            "autoscaled": self.autoscaled,
            "replicas": self.replicas.to_json(),
            "failoverReplicas": self.failover_replicas.to_json(),
            "modelRef": self.model_ref,
            "sourceModelRef": self.source_model_ref,
            "critical": self.critical,
        }


@dataclass(frozen=True)
class ClusterRole:
    """A VKS cluster at this site: worker nodes per pool now, and the primary's on failover."""

    tenant: str
    name: str
    namespace: str
    mode: ClusterMode
    workers: Mapping[str, int]
    failover_workers: Mapping[str, ReplicaBounds]
    apps: tuple[str, ...] = ()

    @property
    def deployed(self) -> bool:
        return self.mode is not ClusterMode.NOT_DEPLOYED

    @property
    def nodes(self) -> int:
        """Worker nodes running at this site."""
        return sum(self.workers.values())

    @property
    def failover_nodes(self) -> int:
        """Worker nodes the primary always runs (pool floors): what the load needs."""
        return sum(bounds.min for bounds in self.failover_workers.values())

    @classmethod
    def from_json(cls, raw: JsonMap) -> ClusterRole:
        mode = member(raw.get("mode"), ClusterMode)
        if mode is None:
            mode = ClusterMode.NOT_DEPLOYED if raw.get("deployed") is False else ClusterMode.FULL
        workers = mapping(raw.get("workers")) or {}
        failover = mapping(raw.get("failoverWorkers")) or {}
        return cls(
            tenant=text(raw.get("tenant")) or "",
            name=text(raw.get("name")) or "",
            namespace=text(raw.get("namespace")) or "",
            mode=mode,
            workers={str(pool): integer(count) for pool, count in workers.items()},
            failover_workers={
                str(pool): ReplicaBounds.from_json(bounds) for pool, bounds in failover.items()
            },
            apps=strings(raw.get("apps")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "mode": self.mode.value,
            "deployed": self.deployed,
            "workers": dict(self.workers),
            "nodes": self.nodes,
            "failoverWorkers": {
                pool: bounds.to_json() for pool, bounds in self.failover_workers.items()
            },
            "failoverNodes": self.failover_nodes,
            "apps": list(self.apps),
        }


@dataclass(frozen=True)
class ReplicationFlow:
    """One direction of Harbor push replication: one rule per project, filter ``<p>/**``.

    ``schedule`` is the pushing stack's ``paif:dr.replicationSchedule`` (``None``: event-based).
    """

    source_site: str
    source_harbor_url: str
    target_site: str
    target_harbor_url: str
    projects: tuple[str, ...]
    schedule: str | None

    @property
    def filters(self) -> tuple[str, ...]:
        return tuple(f"{project}/**" for project in self.projects)

    @classmethod
    def from_json(cls, raw: JsonMap) -> ReplicationFlow:
        schedule = text(raw.get("schedule"))
        return cls(
            source_site=text(raw.get("from")) or "",
            source_harbor_url=text(raw.get("fromHarbor")) or "",
            target_site=text(raw.get("to")) or "",
            target_harbor_url=text(raw.get("toHarbor")) or "",
            projects=strings(raw.get("projects")),
            schedule=None if schedule == "event_based" else schedule,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source_site,
            "to": self.target_site,
            "fromHarbor": self.source_harbor_url,
            "toHarbor": self.target_harbor_url,
            "projects": list(self.projects),
            "filters": list(self.filters),
            "schedule": self.schedule or "event_based",
        }


@dataclass(frozen=True)
class RegistryRole:
    """Harbor replication between the two sites, seen from ``site``: every flow, in the order
    the stacks declare them (primary's first)."""

    site: str
    flows: tuple[ReplicationFlow, ...]

    @property
    def outbound(self) -> tuple[ReplicationFlow, ...]:
        """Rules this site's stack creates (HarborReplication)."""
        return tuple(f for f in self.flows if f.source_site == self.site)

    @property
    def inbound(self) -> tuple[ReplicationFlow, ...]:
        return tuple(f for f in self.flows if f.target_site == self.site)

    @property
    def projects(self) -> tuple[str, ...]:
        """Projects this site's Harbor must hold: those it pushes and those pushed into it.

        Push replication keeps repository paths (``dest_namespace_replace`` 0), so a project
        replicated either way exists under the same name at both sites (PAIF-DR-011).
        """
        names = {p for f in (*self.outbound, *self.inbound) for p in f.projects}
        return tuple(sorted(names))

    @classmethod
    def from_json(cls, raw: JsonMap, site: str, *, primary: bool) -> RegistryRole:
        """The flows recorded ``outbound`` and ``inbound`` of ``site`` (the topology's), the
        primary's first: a primary pushes it, a DR site receives it."""
        outbound = tuple(ReplicationFlow.from_json(f) for f in maps(raw.get("outbound")))
        inbound = tuple(ReplicationFlow.from_json(f) for f in maps(raw.get("inbound")))
        return cls(site=site, flows=outbound + inbound if primary else inbound + outbound)

    def to_json(self) -> dict[str, Any]:
        return {
            "outbound": [f.to_json() for f in self.outbound],
            "inbound": [f.to_json() for f in self.inbound],
            "projects": list(self.projects),
        }


@dataclass(frozen=True)
class TrafficRole:
    """How clients reach this site: alone, by a DNS switch on failover, or through the GSLB."""

    mode: TrafficMode
    share: float
    fqdn: str | None
    gslb: JsonMap | None = None

    @classmethod
    def from_json(cls, raw: JsonMap) -> TrafficRole:
        share = number(raw.get("share"))
        return cls(
            mode=member(raw.get("mode"), TrafficMode) or TrafficMode.SINGLE_SITE,
            share=share if share is not None else 1.0,
            fqdn=text(raw.get("fqdn")),
            gslb=mapping(raw.get("gslb")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "share": self.share,
            "fqdn": self.fqdn,
            "gslb": dict(self.gslb) if self.gslb is not None else None,
        }


@dataclass(frozen=True)
class DrTopologyRecord:
    """``estimates.topology``: the site's DR role and every part's (module doc)."""

    pattern: str
    role: str
    site: str
    peer_site: str | None
    writer_site: str
    failover: bool
    endpoints: tuple[EndpointRole, ...]
    clusters: tuple[ClusterRole, ...]
    databases: tuple[DatabaseRole, ...]
    registry: RegistryRole | None
    traffic: TrafficRole | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> DrTopologyRecord:
        registry, traffic = mapping(raw.get("registry")), mapping(raw.get("traffic"))
        site, role = text(raw.get("site")) or "", text(raw.get("role")) or "primary"
        return cls(
            pattern=text(raw.get("pattern")) or "none",
            role=role,
            site=site,
            peer_site=text(raw.get("peerSite")),
            writer_site=text(raw.get("writerSite")) or "",
            failover=bool(raw.get("failover")),
            endpoints=tuple(EndpointRole.from_json(e) for e in maps(raw.get("endpoints"))),
            clusters=tuple(ClusterRole.from_json(c) for c in maps(raw.get("clusters"))),
            databases=tuple(DatabaseRole.from_json(d) for d in maps(raw.get("databases"))),
            registry=(
                RegistryRole.from_json(registry, site, primary=role != "dr") if registry else None
            ),
            traffic=TrafficRole.from_json(traffic) if traffic else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "role": self.role,
            "site": self.site,
            "peerSite": self.peer_site,
            "writerSite": self.writer_site,
            "failover": self.failover,
            "endpoints": [e.to_json() for e in self.endpoints],
            "clusters": [c.to_json() for c in self.clusters],
            "databases": [d.to_json() for d in self.databases],
            "registry": self.registry.to_json() if self.registry else None,
            "traffic": self.traffic.to_json() if self.traffic else None,
        }
