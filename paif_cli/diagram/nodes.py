"""One box per thing a tenant runs at a site, read from its records: model endpoints (replicas,
scaling), VKS clusters (control plane, workers), databases (HA, DR role) and the edge entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from paif_cli.diagram.model import (
    AUTOSCALER_MAX,
    AUTOSCALER_MIN,
    AVI_VIRTUAL_SERVICE_TYPE,
    LB_VIRTUAL_SERVER_TYPE,
    NIM_SERVICE_TYPE,
    Node,
    Site,
    Tenant,
    as_int,
    as_list,
    as_mapping,
    as_str,
    slug,
    tenant_of,
)
from paif_components.contract.annotations import REPLICAS_ANNOTATION, REPLICATION_ANNOTATION
from paif_components.contract.dr_databases import DatabaseRole
from paif_components.contract.dr_topology import ClusterRole, EndpointRole
from paif_components.contract.estimates import SiteFactsRecord
from paif_components.contract.plan import ResourceRecord

Absent = TypeVar("Absent", ClusterRole, DatabaseRole)


def host_of(url: str | None) -> str:
    if not url:
        return ""
    return re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].lower()


def _range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "?"
    if low == high or high is None:
        return str(low)
    if low is None:
        return f"≤{high}"
    return f"{low}–{high}"


def _replicas(count: str) -> str:
    return f"{count} replica" if count == "1" else f"{count} replicas"


def metadata_of(record: ResourceRecord) -> tuple[str | None, str | None, Mapping[str, Any]]:
    inputs = record.inputs
    metadata = as_mapping(inputs.get("metadata"))
    return as_str(metadata.get("name")), as_str(metadata.get("namespace")), metadata


def absent(
    site: Site,
    seen: set[tuple[str, str, str]],
    kind: str,
    roles: Mapping[tuple[str, str], Absent],
) -> Iterable[tuple[Tenant, str, Absent]]:
    """Roles the DR topology declares but this site neither renders nor runs: a cluster not
    deployed, a database not running."""
    for (tenant_name, name), role in roles.items():
        runs = role.deployed if isinstance(role, ClusterRole) else role.running
        if (kind, tenant_name, name) in seen or runs:
            continue
        yield tenant_of(site, tenant_name, role.namespace or tenant_name), name, role


def endpoint_node(
    site: Site,
    tenant: Tenant,
    name: str,
    typ: Any,
    spec: Mapping[str, Any],
    scaling: Mapping[tuple[str, str], Mapping[str, Any]],
    role: EndpointRole | None,
    metadata: Mapping[str, Any],
) -> Node:
    backend = "nim" if typ == NIM_SERVICE_TYPE else "pais"
    scaled = scaling.get((tenant.namespace, name))
    if backend == "pais":
        kind = as_str(spec.get("type")) or "endpoint"
        # PAIS's ModelEndpoint has no replica field: the component records "min..max" / "0".
        recorded = as_str(as_mapping(metadata.get("annotations")).get(REPLICAS_ANNOTATION)) or ""
        floor, _, ceiling = recorded.partition("..")
        low = as_int(scaled.get("minReplicaCount")) if scaled else as_int(floor)
        high = as_int(scaled.get("maxReplicaCount")) if scaled else as_int(ceiling or floor)
        autoscaled = scaled is not None
    else:
        kind = "NIM"
        hpa = as_mapping(as_mapping(spec.get("scale")).get("hpa"))
        autoscaled = bool(hpa)
        low = as_int(hpa.get("minReplicas")) if hpa else as_int(spec.get("replicas"))
        high = as_int(hpa.get("maxReplicas")) if hpa else as_int(spec.get("replicas"))
    mode = role.mode.value if role is not None else None
    if mode is None:
        mode = "declared" if high == 0 else ("serving" if autoscaled else "reduced")
    state = {"serving": "running", "reduced": "reduced", "declared": "declared"}.get(
        mode, "running"
    )
    if state == "declared":
        detail = f"{kind} · declared, 0 replicas (GitOps)"
    elif autoscaled and mode != "reduced":
        detail = f"{kind} · {_replicas(_range(low, high))} · autoscaled"
    else:
        detail = f"{kind} · {_replicas(_range(low, high))}"
        if mode == "reduced":
            detail += " (standby)"
    attrs = {
        "site": site.name,
        "tenant": tenant.name,
        "namespace": tenant.namespace,
        "name": name,
        "backend": backend,
        "type": kind,
        "mode": mode,
        "min": "" if low is None else str(low),
        "max": "" if high is None else str(high),
    }
    return Node(
        slug("endpoint", site.name, tenant.name, name), "endpoint", name, detail, state, attrs
    )


def cluster_node(
    site: Site, tenant: Tenant, name: str, spec: Mapping[str, Any], role: ClusterRole | None
) -> Node:
    topology = as_mapping(spec.get("topology"))
    control_plane = as_int(as_mapping(topology.get("controlPlane")).get("replicas"))
    pools = []
    low_total = high_total = 0
    for deployment in as_list(as_mapping(topology.get("workers")).get("machineDeployments")):
        deployment = as_mapping(deployment)
        pool = as_str(deployment.get("name")) or "pool"
        replicas = as_int(deployment.get("replicas"))
        annotations = as_mapping(as_mapping(deployment.get("metadata")).get("annotations"))
        low = replicas if replicas is not None else as_int(annotations.get(AUTOSCALER_MIN))
        high = replicas if replicas is not None else as_int(annotations.get(AUTOSCALER_MAX))
        low_total += low or 0
        high_total += high or 0
        pools.append(f"{pool} {_range(low, high)}")
    mode = role.mode.value if role is not None else "full"
    state = "reduced" if mode == "scaled-down" else "running"
    detail = f"CP {control_plane if control_plane is not None else '?'} · " + ", ".join(pools)
    if mode == "scaled-down":
        detail += " (scaled down)"
    attrs = {
        "site": site.name,
        "tenant": tenant.name,
        "namespace": tenant.namespace,
        "name": name,
        "mode": mode,
        "control-plane": "" if control_plane is None else str(control_plane),
        "workers-min": str(low_total),
        "workers-max": str(high_total),
    }
    return Node(
        slug("vks", site.name, tenant.name, name), "vks-cluster", name, detail, state, attrs
    )


def edge_node(
    name: str, resources: Sequence[ResourceRecord], facts: SiteFactsRecord | None
) -> Node | None:
    """The site's entry: its NSX virtual server or Avi virtual service, else its facts."""
    fqdn = (facts.fqdn if facts else None) or ""
    vip = (facts.virtual_ip if facts else None) or None
    for record in resources:
        inputs = record.inputs
        if record.type == LB_VIRTUAL_SERVER_TYPE:
            label = "NSX edge LB"
            vip = as_str(inputs.get("ipAddress")) or vip
            ports = [str(p) for p in as_list(inputs.get("ports"))]
            tls = "TLS" if inputs.get("clientSsl") else "no TLS"
        elif record.type == AVI_VIRTUAL_SERVICE_TYPE:
            label = "Avi edge VS"
            services = [as_mapping(x) for x in as_list(inputs.get("services"))]
            ports = [str(x.get("port")) for x in services]
            secure = any(str(x.get("enableSsl")) == "true" for x in services)
            tls = ("TLS" if secure else "no TLS") + (" · WAF" if inputs.get("wafPolicyRef") else "")
        else:
            continue
        return Node(
            id=slug("edge", name),
            kind="edge-lb",
            label=f"{label} {fqdn}".rstrip(),
            detail=f"{vip or '?'}:{','.join(ports) or '443'} · {tls}",
            attrs={"site": name, "vip": vip or "?", "fqdn": fqdn},
        )
    if not vip:
        return None
    return Node(
        id=slug("edge", name),
        kind="edge-lb",
        label=f"edge {fqdn}".rstrip(),
        detail=f"{vip}:443",
        attrs={"site": name, "vip": vip, "fqdn": fqdn},
    )


def database_node(
    site: Site,
    tenant: Tenant,
    name: str,
    spec: Mapping[str, Any],
    annotations: Mapping[str, Any],
    role: DatabaseRole | None,
) -> Node:
    replicas = as_int(spec.get("replicas"))
    replication = (role.mechanism if role else None) or as_str(
        annotations.get(REPLICATION_ANNOTATION)
    )
    mode = role.mode.value if role is not None else "writer"
    ha = "HA" if replicas and replicas > 0 else "single server"
    words = {
        "writer": "writer",
        "logical-subscriber": "logical subscriber",
        "restore-from-backup": "restore from backup",
        "no-copy": "no copy (declared)",
    }
    # §9.3.2 item 4: an app database holds the application's data, not embeddings.
    kind = (role.kind if role else None) or "vector"
    detail = f"{'app data' if kind == 'app' else 'pgvector'} · {ha} · {words.get(mode, mode)}"
    storage = as_str(spec.get("storageSpace"))
    if storage:
        detail += f" · {storage}"
    attrs = {
        "site": site.name,
        "tenant": tenant.name,
        "namespace": tenant.namespace,
        "name": name,
        "mode": mode,
        "replication": replication or "",
        "replicas": "" if replicas is None else str(replicas),
    }
    state = {"writer": "running", "restore-from-backup": "restore"}.get(mode, "reduced")
    return Node(slug("db", site.name, tenant.name, name), "database", name, detail, state, attrs)
