"""The DR topology as components and policies read it: what each endpoint, VKS cluster and
registry does at a site under its pattern (serving, reduced, declared; scaled down or absent),
how traffic reaches the sites, and :class:`DerivedSite`, the config a site builds with those
roles. :mod:`paif_components.dr.topology` derives them from both stacks' config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from paif_components.config.models import (
    StackConfig,
)
from paif_components.dr.copies import DatabaseMode as DatabaseMode
from paif_components.dr.copies import DatabaseRole

# §9.3.3 pattern 1 pilot light: "PAIS standby (minimal)", endpoints kept as configuration
# (GitOps) but not running. The config model requires max >= 1, so the declared bound is 1;
# the endpoint role (running=False) tells the component to run none.
PILOT_LIGHT_ENDPOINT_REPLICAS: Final = 0


PILOT_LIGHT_ENDPOINT_MAX_REPLICAS: Final = 1


# §9.3.3 pattern 3: both sites serve at once, each half of the traffic behind the GSLB.
ACTIVE_ACTIVE_TRAFFIC_SHARE: Final = 0.5


PATTERNS: Final = ("pilot-light", "warm-standby", "active-active")


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
class EndpointRole:
    """A model endpoint at this site and what it must become on failover.

    ``replicas_min``/``replicas_max`` are what the component declares here (also in the derived
    config); ``failover_min``/``failover_max`` are the primary's, which the site needs once it
    carries the load. ``model_ref`` points into this site's Harbor.
    """

    tenant: str
    name: str
    namespace: str
    type: str
    mode: EndpointMode
    replicas_min: int
    replicas_max: int
    failover_min: int
    failover_max: int
    model_ref: str
    source_model_ref: str
    parameters_b: float
    critical: bool

    @property
    def running(self) -> bool:
        """False for a pilot-light endpoint: declare it with 0 replicas and no autoscaler."""
        return self.mode is not EndpointMode.DECLARED

    @property
    def autoscaled(self) -> bool:
        """Only a serving endpoint autoscales; a reduced one stays at its fixed replicas."""
        return self.mode is EndpointMode.SERVING

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "type": self.type,
            "mode": self.mode.value,
            "running": self.running,
            "autoscaled": self.autoscaled,
            "replicas": {"min": self.replicas_min, "max": self.replicas_max},
            "failoverReplicas": {"min": self.failover_min, "max": self.failover_max},
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
    failover_workers: Mapping[str, tuple[int, int]]
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
        return sum(floor for floor, _ in self.failover_workers.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "mode": self.mode.value,
            "deployed": self.deployed,
            "workers": dict(self.workers),
            "nodes": self.nodes,
            "failoverWorkers": {
                pool: {"min": floor, "max": ceiling}
                for pool, (floor, ceiling) in self.failover_workers.items()
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

    def to_dict(self) -> dict[str, Any]:
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
    """Harbor replication between the two sites, seen from ``site``."""

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "outbound": [f.to_dict() for f in self.outbound],
            "inbound": [f.to_dict() for f in self.inbound],
            "projects": list(self.projects),
        }


@dataclass(frozen=True)
class TrafficRole:
    """How clients reach this site: alone, by a DNS switch on failover, or through the GSLB."""

    mode: TrafficMode
    share: float
    fqdn: str | None
    gslb: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "share": self.share,
            "fqdn": self.fqdn,
            "gslb": dict(self.gslb) if self.gslb is not None else None,
        }


Key = tuple[str, str]


@dataclass(frozen=True)
class DerivedSite:
    """What this stack builds (``config``) and each part's DR role at this site."""

    config: StackConfig
    role: str
    pattern: str
    site: str
    peer_site: str | None
    writer_site: str
    failover: bool
    endpoints: Mapping[Key, EndpointRole] = field(default_factory=dict)
    clusters: Mapping[Key, ClusterRole] = field(default_factory=dict)
    databases: Mapping[Key, DatabaseRole] = field(default_factory=dict)
    registry: RegistryRole | None = None
    traffic: TrafficRole | None = None

    def endpoint(self, tenant: str, name: str) -> EndpointRole:
        return self.endpoints[(tenant, name)]

    def cluster(self, tenant: str, name: str) -> ClusterRole:
        return self.clusters[(tenant, name)]

    def database(self, tenant: str, name: str) -> DatabaseRole:
        return self.databases[(tenant, name)]

    @property
    def is_standby(self) -> bool:
        """A DR site that is not (yet) serving: pilot light or warm standby, not failed over."""
        return (
            self.role == "dr"
            and not self.failover
            and self.pattern in ("pilot-light", "warm-standby")
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (plan.json ``estimates.topology``), camelCase like the stack config."""
        return {
            "pattern": self.pattern,
            "role": self.role,
            "site": self.site,
            "peerSite": self.peer_site,
            "writerSite": self.writer_site,
            "failover": self.failover,
            "endpoints": [r.to_dict() for r in self.endpoints.values()],
            "clusters": [r.to_dict() for r in self.clusters.values()],
            "databases": [r.to_dict() for r in self.databases.values()],
            "registry": self.registry.to_dict() if self.registry else None,
            "traffic": self.traffic.to_dict() if self.traffic else None,
        }
