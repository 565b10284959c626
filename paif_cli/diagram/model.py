"""What the diagram shows: sites, tenants, nodes, replication edges and the GSLB, and the plan
records' type tokens and annotations it reads them from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from paif_components.contract import tokens
from paif_components.contract.estimates import Estimates

TOPOLOGY_FILE: Final = "topology.svg"


SITE_TYPE: Final = tokens.PAIF_SITE


VSPHERE_PROVIDER: Final = tokens.VSPHERE_PROVIDER


HARBOR_PROVIDER: Final = tokens.HARBOR_PROVIDER


NAMESPACE_TYPE: Final = tokens.VSPHERE_NAMESPACE


COMPUTE_CLUSTER_TYPE: Final = tokens.VSPHERE_COMPUTE_CLUSTER


PAIS_ENDPOINT_TYPE: Final = "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint"


NIM_SERVICE_TYPE: Final = "kubernetes:apps.nvidia.com/v1alpha1:NIMService"


SCALED_OBJECT_TYPE: Final = "kubernetes:keda.sh/v1alpha1:ScaledObject"


POSTGRES_CLUSTER_TYPE: Final = tokens.POSTGRES_CLUSTER


CAPI_CLUSTER_PREFIX: Final = "kubernetes:cluster.x-k8s.io/"


HARBOR_REPLICATION_TYPE: Final = tokens.HARBOR_REPLICATION


HARBOR_REGISTRY_TYPE: Final = tokens.HARBOR_REGISTRY


HARBOR_PROJECT_TYPE: Final = tokens.HARBOR_PROJECT


LB_VIRTUAL_SERVER_TYPE: Final = tokens.NSXT_LB_VIRTUAL_SERVER


AVI_VIRTUAL_SERVICE_TYPE: Final = tokens.AVI_VIRTUAL_SERVICE


GSLB_SERVICE_TYPE: Final = tokens.AVI_GSLB_SERVICE


AUTOSCALER_MIN: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"


AUTOSCALER_MAX: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"


# §9.3.3 pattern names as the legend spells them.
PATTERN_TITLES: Final[dict[str, str]] = {
    "pilot-light": "pilot light (§9.3.3 pattern 1)",
    "warm-standby": "warm standby (§9.3.3 pattern 2)",
    "active-active": "active-active (§9.3.3 pattern 3)",
    "none": "no DR site",
}


@dataclass
class Node:
    """One box of the diagram; ``state`` says whether it runs at this site."""

    id: str
    kind: str
    label: str
    detail: str = ""
    state: str = "running"  # running | reduced | declared | not-deployed | restore | stub
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Tenant:
    name: str
    namespace: str
    endpoints: list[Node] = field(default_factory=list)
    clusters: list[Node] = field(default_factory=list)
    databases: list[Node] = field(default_factory=list)

    def section(self, kind: str) -> list[Node]:
        return {
            "endpoint": self.endpoints,
            "vks-cluster": self.clusters,
            "database": self.databases,
        }[kind]


@dataclass
class Site:
    """A column: a planned site, or a peer that is only referenced (``planned=False``)."""

    name: str
    stack: str | None
    role: str
    pattern: str
    environment: str | None = None
    planned: bool = True
    vcenter: str | None = None
    supervisor: str | None = None
    harbor_url: str | None = None
    workload_domain: str | None = None
    gpu_summary: str | None = None
    edge: Node | None = None
    harbor: Node | None = None
    tenants: dict[str, Tenant] = field(default_factory=dict)


@dataclass
class Edge:
    """An arrow between two nodes (``source`` → ``target``)."""

    id: str
    kind: str
    source: str
    target: str
    label: str
    dashed: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Gslb:
    id: str
    name: str
    fqdns: list[str]
    members: list[str]
    detail: str


@dataclass
class Topology:
    """Everything the diagram draws, in drawing order."""

    sites: list[Site]
    edges: list[Edge]
    gslb: list[Gslb]
    pattern: str
    traffic: str  # gslb | dns | single-site
    estimate: Estimates | None
    estimate_stack: str | None
    stacks: list[str]


def slug(*parts: str) -> str:
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def tenant_of(site: Site, tenant: str, namespace: str) -> Tenant:
    if tenant not in site.tenants:
        site.tenants[tenant] = Tenant(tenant, namespace)
    return site.tenants[tenant]
