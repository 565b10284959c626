"""The DR topology as components and policies read it: what each endpoint, VKS cluster and
registry does at a site under its pattern (serving, reduced, declared; scaled down or absent),
how traffic reaches the sites, and :class:`DerivedSite`, the config a site builds with those
roles. :mod:`paif_components.dr.topology` derives them from both stacks' config.

The roles are the contract's classes (:mod:`paif_components.contract.dr_topology`, the one
definition plan.json's readers share), named here too for the components that build with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from paif_components.config.models import (
    StackConfig,
)
from paif_components.contract.dr_databases import DatabaseMode as DatabaseMode
from paif_components.contract.dr_databases import DatabaseRole as DatabaseRole
from paif_components.contract.dr_topology import ClusterMode as ClusterMode
from paif_components.contract.dr_topology import ClusterRole as ClusterRole
from paif_components.contract.dr_topology import DrTopologyRecord
from paif_components.contract.dr_topology import EndpointMode as EndpointMode
from paif_components.contract.dr_topology import EndpointRole as EndpointRole
from paif_components.contract.dr_topology import RegistryRole as RegistryRole
from paif_components.contract.dr_topology import ReplicaBounds as ReplicaBounds
from paif_components.contract.dr_topology import ReplicationFlow as ReplicationFlow
from paif_components.contract.dr_topology import TrafficMode as TrafficMode
from paif_components.contract.dr_topology import TrafficRole as TrafficRole

# §9.3.3 pattern 1 pilot light: "PAIS standby (minimal)", endpoints kept as configuration
# (GitOps) but not running. The config model requires max >= 1, so the declared bound is 1;
# the endpoint role (running=False) tells the component to run none.
PILOT_LIGHT_ENDPOINT_REPLICAS: Final = 0


PILOT_LIGHT_ENDPOINT_MAX_REPLICAS: Final = 1


# §9.3.3 pattern 3: both sites serve at once, each half of the traffic behind the GSLB.
ACTIVE_ACTIVE_TRAFFIC_SHARE: Final = 0.5


PATTERNS: Final = ("pilot-light", "warm-standby", "active-active")


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

    @property
    def topology(self) -> DrTopologyRecord:
        """The roles as plan.json records them (``estimates.topology``)."""
        return DrTopologyRecord(
            pattern=self.pattern,
            role=self.role,
            site=self.site,
            peer_site=self.peer_site,
            writer_site=self.writer_site,
            failover=self.failover,
            endpoints=tuple(self.endpoints.values()),
            clusters=tuple(self.clusters.values()),
            databases=tuple(self.databases.values()),
            registry=self.registry,
            traffic=self.traffic,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (plan.json ``estimates.topology``), camelCase like the stack config."""
        return self.topology.to_json()
