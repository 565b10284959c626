"""The DR topology a plan records (``estimates.topology``), as typed records.

:class:`paif_components.dr.topology.DerivedSite` writes it (``to_dict``); the runbooks, the
policies and the diagram read it back from plan.json or the site's inputs with
:meth:`DrTopologyRecord.from_json` instead of indexing the mapping by string keys.
``to_json`` gives back the very mapping it was read from (same keys, same values).

Endpoints, the registry's flows and traffic are typed field by field; a cluster's and a
database's role stay JSON mappings (their keys depend on the mechanism: ``logical`` appears
only for logical copies), read through :mod:`paif_components.dr.database_steps`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JsonMap = Mapping[str, Any]


@dataclass(frozen=True)
class ReplicaBounds:
    min: int
    max: int

    @classmethod
    def from_json(cls, raw: JsonMap) -> ReplicaBounds:
        return cls(min=int(raw["min"]), max=int(raw["max"]))

    def to_json(self) -> dict[str, int]:
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True)
class EndpointRoleRecord:
    """One model endpoint's DR role at the site (``DerivedSite.endpoints``)."""

    tenant: str
    name: str
    namespace: str
    type: str
    mode: str
    running: bool
    autoscaled: bool
    replicas: ReplicaBounds
    failover_replicas: ReplicaBounds
    model_ref: str
    source_model_ref: str
    critical: bool

    @classmethod
    def from_json(cls, raw: JsonMap) -> EndpointRoleRecord:
        return cls(
            tenant=raw["tenant"],
            name=raw["name"],
            namespace=raw["namespace"],
            type=raw["type"],
            mode=raw["mode"],
            running=bool(raw["running"]),
            autoscaled=bool(raw["autoscaled"]),
            replicas=ReplicaBounds.from_json(raw["replicas"]),
            failover_replicas=ReplicaBounds.from_json(raw["failoverReplicas"]),
            model_ref=raw["modelRef"],
            source_model_ref=raw["sourceModelRef"],
            critical=bool(raw["critical"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "type": self.type,
            "mode": self.mode,
            "running": self.running,
            "autoscaled": self.autoscaled,
            "replicas": self.replicas.to_json(),
            "failoverReplicas": self.failover_replicas.to_json(),
            "modelRef": self.model_ref,
            "sourceModelRef": self.source_model_ref,
            "critical": self.critical,
        }


@dataclass(frozen=True)
class ReplicationFlowRecord:
    """One Harbor push replication between the sites."""

    source_site: str
    target_site: str
    source_harbor_url: str
    target_harbor_url: str
    projects: tuple[str, ...]
    filters: tuple[str, ...]
    schedule: str

    @classmethod
    def from_json(cls, raw: JsonMap) -> ReplicationFlowRecord:
        return cls(
            source_site=raw["from"],
            target_site=raw["to"],
            source_harbor_url=raw["fromHarbor"],
            target_harbor_url=raw["toHarbor"],
            projects=tuple(raw["projects"]),
            filters=tuple(raw["filters"]),
            schedule=raw["schedule"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source_site,
            "to": self.target_site,
            "fromHarbor": self.source_harbor_url,
            "toHarbor": self.target_harbor_url,
            "projects": list(self.projects),
            "filters": list(self.filters),
            "schedule": self.schedule,
        }


@dataclass(frozen=True)
class RegistryRecord:
    """The site's Harbor replication: flows out, flows in, and the projects either way."""

    outbound: tuple[ReplicationFlowRecord, ...]
    inbound: tuple[ReplicationFlowRecord, ...]
    projects: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: JsonMap) -> RegistryRecord:
        return cls(
            outbound=tuple(ReplicationFlowRecord.from_json(f) for f in raw.get("outbound") or ()),
            inbound=tuple(ReplicationFlowRecord.from_json(f) for f in raw.get("inbound") or ()),
            projects=tuple(raw.get("projects") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "outbound": [f.to_json() for f in self.outbound],
            "inbound": [f.to_json() for f in self.inbound],
            "projects": list(self.projects),
        }


@dataclass(frozen=True)
class TrafficRecord:
    """How clients reach the site: alone, by a DNS switch, or through the GSLB."""

    mode: str
    share: float
    fqdn: str | None
    gslb: JsonMap | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> TrafficRecord:
        gslb = raw.get("gslb")
        return cls(
            mode=raw["mode"],
            share=raw["share"],
            fqdn=raw.get("fqdn"),
            gslb=dict(gslb) if gslb is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
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
    endpoints: tuple[EndpointRoleRecord, ...]
    clusters: tuple[JsonMap, ...]
    databases: tuple[JsonMap, ...]
    registry: RegistryRecord | None
    traffic: TrafficRecord | None

    @classmethod
    def from_json(cls, raw: JsonMap) -> DrTopologyRecord:
        registry, traffic = raw.get("registry"), raw.get("traffic")
        return cls(
            pattern=raw["pattern"],
            role=raw["role"],
            site=raw["site"],
            peer_site=raw.get("peerSite"),
            writer_site=raw["writerSite"],
            failover=bool(raw["failover"]),
            endpoints=tuple(EndpointRoleRecord.from_json(e) for e in raw.get("endpoints") or ()),
            clusters=tuple(raw.get("clusters") or ()),
            databases=tuple(raw.get("databases") or ()),
            registry=RegistryRecord.from_json(registry) if registry else None,
            traffic=TrafficRecord.from_json(traffic) if traffic else None,
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
            "clusters": [dict(c) for c in self.clusters],
            "databases": [dict(d) for d in self.databases],
            "registry": self.registry.to_json() if self.registry else None,
            "traffic": self.traffic.to_json() if self.traffic else None,
        }
