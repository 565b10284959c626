"""The topology diagram ``paif plan`` writes: both sites of a DR pair in one SVG.

Drawn from what the plans declare (plan.json), not from the config, so the picture shows what
``pulumi up`` would build: each site with its edge entry and Harbor, each tenant with its model
endpoints, VKS clusters and pgvector databases, Harbor push replication and database
replication as arrows with their direction, the Avi GSLB in front of both sites
(active-active) or the DNS switch (pilot light, warm standby), and the RTO/RPO estimate
(``estimates``) in the legend.

Pure Python, no Graphviz: the layout is fixed (one column per site, tenants aligned across
sites so replication arrows run straight), so the output is deterministic and diffable. Every
node (``class="node <kind>"``) and arrow (``class="link <kind>"``) is a ``<g>`` with an ``id``
and ``data-*`` attributes (``data-kind``, ``data-site``, ``data-tenant``,
``data-from``/``data-to``...) that tests and tools can read with any XML parser.

What the parts mean is the source document's: §9.2 (HA: endpoints, VKS, pgvector), §9.3 (DR
patterns, RTO/RPO bands), §9.4 (tenants), §9.6.1 (edge).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from xml.sax.saxutils import escape

# components.model_endpoint.REPLICAS_ANNOTATION (a PAIS endpoint's recorded bounds).
REPLICAS_ANNOTATION: Final = "paif.vmware.com/replicas"

__all__ = [
    "TOPOLOGY_FILE",
    "Topology",
    "extract_topology",
    "render_svg",
    "render_topology",
]

TOPOLOGY_FILE: Final = "topology.svg"

# --- resource tokens the diagram reads (the components' own type tokens and API versions) ----

SITE_TYPE: Final = "paif:site:PaifSite"
VSPHERE_PROVIDER: Final = "pulumi:providers:vsphere"
HARBOR_PROVIDER: Final = "pulumi:providers:harbor"
NAMESPACE_TYPE: Final = "vsphere:index/namespace:Namespace"
COMPUTE_CLUSTER_TYPE: Final = "vsphere:index/computeCluster:ComputeCluster"
PAIS_ENDPOINT_TYPE: Final = "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint"
NIM_SERVICE_TYPE: Final = "kubernetes:apps.nvidia.com/v1alpha1:NIMService"
SCALED_OBJECT_TYPE: Final = "kubernetes:keda.sh/v1alpha1:ScaledObject"
POSTGRES_CLUSTER_TYPE: Final = (
    "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster"
)
CAPI_CLUSTER_PREFIX: Final = "kubernetes:cluster.x-k8s.io/"
HARBOR_REPLICATION_TYPE: Final = "harbor:index/replication:Replication"
HARBOR_REGISTRY_TYPE: Final = "harbor:index/registry:Registry"
HARBOR_PROJECT_TYPE: Final = "harbor:index/project:Project"
LB_VIRTUAL_SERVER_TYPE: Final = "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer"
AVI_VIRTUAL_SERVICE_TYPE: Final = "avi:index/virtualservice:Virtualservice"
GSLB_SERVICE_TYPE: Final = "avi:index/gslbservice:Gslbservice"

TENANT_LABEL: Final = "paif.vmware.com/tenant"
REPLICATION_ANNOTATION: Final = "paif.vmware.com/replication"
PRIMARY_CLUSTER_ANNOTATION: Final = "paif.vmware.com/primary-cluster"
AUTOSCALER_MIN: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"

# §9.3.3 pattern names as the legend spells them.
PATTERN_TITLES: Final[dict[str, str]] = {
    "pilot-light": "pilot light (§9.3.3 pattern 1)",
    "warm-standby": "warm standby (§9.3.3 pattern 2)",
    "active-active": "active-active (§9.3.3 pattern 3)",
    "none": "no DR site",
}

# --- layout (pixels) --------------------------------------------------------------------------

MARGIN: Final = 24
COLUMN_WIDTH: Final = 450
GAP_WIDTH: Final = 260
TITLE_HEIGHT: Final = 58
SITE_HEADER_HEIGHT: Final = 74
NODE_HEIGHT: Final = 26
NODE_GAP: Final = 6
TENANT_TITLE_HEIGHT: Final = 28
TENANT_PAD: Final = 10
ROW_SPACING: Final = 12
INNER_PAD: Final = 12
LINE_HEIGHT: Final = 17
FONT: Final = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"

COLORS: Final[dict[str, str]] = {
    "endpoint": "#1a7f37",
    "vks-cluster": "#0969da",
    "database": "#9a6700",
    "harbor": "#8250df",
    "edge-lb": "#cf222e",
    "gslb": "#bc4c00",
    "dns": "#57606a",
    "harbor-replication": "#8250df",
    "db-replication": "#9a6700",
    "gslb-member": "#bc4c00",
    "primary": "#0969da",
    "dr": "#8250df",
    "peer": "#57606a",
}
KIND_TAGS: Final[dict[str, str]] = {
    "endpoint": "AI",
    "vks-cluster": "VKS",
    "database": "DB",
    "harbor": "REG",
    "edge-lb": "LB",
}


# --- the model --------------------------------------------------------------------------------


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
    estimate: dict[str, Any] | None
    estimate_stack: str | None
    stacks: list[str]


# --- helpers ----------------------------------------------------------------------------------


def _slug(*parts: str) -> str:
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _host(url: str | None) -> str:
    if not url:
        return ""
    return re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].lower()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


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


def _meta(record: Mapping[str, Any]) -> tuple[str | None, str | None, Mapping[str, Any]]:
    inputs = _mapping(record.get("inputs"))
    metadata = _mapping(inputs.get("metadata"))
    return _str(metadata.get("name")), _str(metadata.get("namespace")), metadata


# --- extraction -------------------------------------------------------------------------------


def _site_props(document: Mapping[str, Any]) -> Mapping[str, Any]:
    for record in _list(document.get("resources")):
        if record.get("type") == SITE_TYPE:
            return _mapping(record.get("inputs"))
    return {}


def _estimate_topology(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """``estimates.topology`` when it describes this stack's own site.

    A primary's estimate describes the DR side it fails over to, so its roles are not the
    primary's.
    """
    topology = _mapping(_mapping(document.get("estimates")).get("topology"))
    site = _str(topology.get("site"))
    if site is not None and site != _str(_site_props(document).get("site")):
        return {}
    return topology


def _roles(document: Mapping[str, Any], key: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    """DR roles of ``estimates.topology`` (endpoints, clusters, databases) by (tenant, name)."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for role in _list(_estimate_topology(document).get(key)):
        role = _mapping(role)
        tenant, name = _str(role.get("tenant")), _str(role.get("name"))
        if tenant and name:
            out[(tenant, name)] = role
    return out


def _tenant_of_namespace(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """namespace → tenant, from the tenant label every tenant object carries."""
    out: dict[str, str] = {}
    for record in resources:
        _, namespace, metadata = _meta(record)
        tenant = _str(_mapping(metadata.get("labels")).get(TENANT_LABEL))
        if namespace and tenant:
            out.setdefault(namespace, tenant)
    return out


def _site_from(document: Mapping[str, Any]) -> Site:
    props = _site_props(document)
    estimates = _mapping(document.get("estimates"))
    stack = _str(document.get("stack"))
    name = _str(props.get("site")) or _str(estimates.get("site")) or stack or "site"
    role = _str(props.get("drRole")) or _str(estimates.get("role")) or "primary"
    pattern = _str(props.get("drPattern")) or _str(estimates.get("pattern")) or "none"
    site = Site(
        name=name,
        stack=stack,
        role=role,
        pattern=pattern,
        environment=_str(document.get("environment")) or _str(props.get("environment")),
    )
    facts = {}
    for side in _mapping(estimates.get("sites")).values():
        side = _mapping(side)
        if side.get("name") == name:
            facts = side
    site.supervisor = _str(facts.get("supervisor"))
    resources = [_mapping(r) for r in _list(document.get("resources"))]
    harbors: list[tuple[str, str]] = []
    for record in resources:
        typ, inputs = record.get("type"), _mapping(record.get("inputs"))
        if typ == VSPHERE_PROVIDER:
            site.vcenter = site.vcenter or _str(inputs.get("vsphereServer"))
        elif typ == HARBOR_PROVIDER and _str(inputs.get("url")):
            harbors.append((str(record.get("name")), str(inputs["url"])))
        elif typ == COMPUTE_CLUSTER_TYPE and site.workload_domain is None:
            hosts = _list(inputs.get("hostSystemIds"))
            label = _str(inputs.get("name")) or _str(record.get("name")) or "cluster"
            site.workload_domain = f"{label} ({len(hosts)} hosts)" if hosts else label
            if record.get("importId"):
                site.workload_domain += " · adopted"
    # paif:ownership: what the stack adopted (imported) or only references.
    owned = {
        (_str(o.get("kind")), _str(o.get("name"))): _str(o.get("mode"))
        for o in (_mapping(o) for o in _list(_mapping(document.get("outputs")).get("ownership")))
    }
    if site.workload_domain is None:
        referenced = [n for (k, n), m in owned.items() if k == "computeCluster" and n]
        if referenced:
            site.workload_domain = f"{referenced[0]} · referenced"
    site.vcenter = site.vcenter or _str(facts.get("vcenter"))
    # This site's own Harbor: the estimate's site facts, else the provider named after the
    # site (a stack also holds a provider for the peer's Harbor when it pushes there).
    peers = {
        _host(_str(_mapping(r.get("inputs")).get("endpointUrl")))
        for r in resources
        if r.get("type") == HARBOR_REGISTRY_TYPE
    }
    own = [url for provider, url in harbors if provider == f"{name}-harbor"]
    own += [url for _, url in harbors if _host(url) not in peers]
    site.harbor_url = _str(facts.get("harborUrl")) or next(iter(own), None)
    pool = _mapping(_mapping(_mapping(estimates.get("capacity")).get("site")).get("pool"))
    total, n_plus_one = _int(pool.get("total")), _int(pool.get("nPlusOne"))
    if total is not None:
        profile = _str(pool.get("profile"))
        summary = f"{total} × {profile}" if profile else f"{total} GPUs"
        if n_plus_one is not None:
            summary += f" · N+1 {n_plus_one}"
        peak = _int(_mapping(_mapping(estimates.get("capacity")).get("site")).get("peakGpus"))
        if peak is not None:
            over = n_plus_one is not None and peak > n_plus_one
            summary += f" · peak {peak}" + (" (over N+1)" if over else "")
        site.gpu_summary = summary

    # Edge entry (§9.6.1): the TLS virtual server (NSX) or service (Avi, with the WAF) and the
    # name users resolve; without either, what the site facts say.
    site.edge = _edge_node(name, resources, facts)

    projects = sorted(
        {
            _str(_mapping(r.get("inputs")).get("name")) or ""
            for r in resources
            if r.get("type") == HARBOR_PROJECT_TYPE
        }
        | {n or "" for (k, n), _ in owned.items() if k == "harborProjects"} - {""}
    )
    marks = {"adopt": " (adopted)", "reference": " (referenced)"}
    shown = [p + marks.get(owned.get(("harborProjects", p)) or "", "") for p in projects]
    if site.harbor_url or projects:
        site.harbor = Node(
            id=_slug("harbor", name),
            kind="harbor",
            label=f"Harbor {_host(site.harbor_url)}".rstrip(),
            detail=("projects " + ", ".join(shown)) if projects else "",
            attrs={"site": name, "url": site.harbor_url or "", "projects": " ".join(projects)},
        )

    _add_tenants(site, document, resources)
    return site


def _tenant(site: Site, tenant: str, namespace: str) -> Tenant:
    if tenant not in site.tenants:
        site.tenants[tenant] = Tenant(tenant, namespace)
    return site.tenants[tenant]


def _add_tenants(
    site: Site, document: Mapping[str, Any], resources: Sequence[Mapping[str, Any]]
) -> None:
    by_namespace = _tenant_of_namespace(resources)
    topology = _estimate_topology(document)
    for key in ("endpoints", "clusters", "databases"):
        for role in _list(topology.get(key)):
            role = _mapping(role)
            namespace, tenant = _str(role.get("namespace")), _str(role.get("tenant"))
            if namespace and tenant:
                by_namespace.setdefault(namespace, tenant)

    # Tenants in the order their Supervisor namespaces are declared.
    for record in resources:
        if record.get("type") == NAMESPACE_TYPE:
            namespace = _str(_mapping(record.get("inputs")).get("name"))
            if namespace:
                _tenant(site, by_namespace.get(namespace, namespace), namespace)

    def owner(namespace: str | None) -> Tenant:
        ns = namespace or "default"
        return _tenant(site, by_namespace.get(ns, ns), ns)

    scaling: dict[tuple[str, str], Mapping[str, Any]] = {}
    for record in resources:
        if record.get("type") == SCALED_OBJECT_TYPE:
            _, namespace, _ = _meta(record)
            spec = _mapping(_mapping(record.get("inputs")).get("spec"))
            target = _str(_mapping(spec.get("scaleTargetRef")).get("name"))
            if namespace and target:
                scaling[(namespace, target)] = spec

    endpoint_roles = _roles(document, "endpoints")
    cluster_roles = _roles(document, "clusters")
    database_roles = _roles(document, "databases")
    seen: set[tuple[str, str, str]] = set()

    for record in resources:
        typ = record.get("type")
        name, namespace, metadata = _meta(record)
        if not name:
            continue
        spec = _mapping(_mapping(record.get("inputs")).get("spec"))
        if typ in (PAIS_ENDPOINT_TYPE, NIM_SERVICE_TYPE):
            tenant = owner(namespace)
            role = endpoint_roles.get((tenant.name, name), {})
            tenant.endpoints.append(
                _endpoint_node(site, tenant, name, typ, spec, scaling, role, metadata)
            )
            seen.add(("endpoint", tenant.name, name))
        elif (
            isinstance(typ, str)
            and typ.startswith(CAPI_CLUSTER_PREFIX)
            and typ.endswith(":Cluster")
        ):
            tenant = owner(namespace)
            role = cluster_roles.get((tenant.name, name), {})
            tenant.clusters.append(_cluster_node(site, tenant, name, spec, role))
            seen.add(("vks-cluster", tenant.name, name))
        elif typ == POSTGRES_CLUSTER_TYPE:
            tenant = owner(namespace)
            annotations = _mapping(metadata.get("annotations"))
            # A DR copy has its own cluster name; it is drawn as the database it copies.
            database = _str(annotations.get(PRIMARY_CLUSTER_ANNOTATION)) or name
            role = database_roles.get((tenant.name, database), {})
            tenant.databases.append(_database_node(site, tenant, database, spec, annotations, role))
            seen.add(("database", tenant.name, database))

    # What the DR role declares but does not run here (pilot light): shown dashed.
    for tenant, name, _ in _absent(site, seen, "vks-cluster", cluster_roles, "deployed"):
        tenant.clusters.append(
            Node(
                id=_slug("vks", site.name, tenant.name, name),
                kind="vks-cluster",
                label=name,
                detail="not deployed: created on failover",
                state="not-deployed",
                attrs={"site": site.name, "tenant": tenant.name, "name": name},
            )
        )
    for tenant, name, role in _absent(site, seen, "database", database_roles, "running"):
        tenant.databases.append(
            Node(
                id=_slug("db", site.name, tenant.name, name),
                kind="database",
                label=name,
                detail="restored from backup on failover",
                state="restore",
                attrs={
                    "site": site.name,
                    "tenant": tenant.name,
                    "name": name,
                    "mode": _str(role.get("mode")) or "restore-from-backup",
                },
            )
        )


def _absent(
    site: Site,
    seen: set[tuple[str, str, str]],
    kind: str,
    roles: Mapping[tuple[str, str], Mapping[str, Any]],
    flag: str,
) -> Iterable[tuple[Tenant, str, Mapping[str, Any]]]:
    """Roles the DR topology declares but this site neither renders nor runs (``flag`` False)."""
    for (tenant_name, name), role in roles.items():
        if (kind, tenant_name, name) in seen or role.get(flag) is not False:
            continue
        yield _tenant(site, tenant_name, _str(role.get("namespace")) or tenant_name), name, role


def _endpoint_node(
    site: Site,
    tenant: Tenant,
    name: str,
    typ: Any,
    spec: Mapping[str, Any],
    scaling: Mapping[tuple[str, str], Mapping[str, Any]],
    role: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> Node:
    backend = "nim" if typ == NIM_SERVICE_TYPE else "pais"
    scaled = scaling.get((tenant.namespace, name))
    if backend == "pais":
        kind = _str(spec.get("type")) or "endpoint"
        # PAIS's ModelEndpoint has no replica field: the component records "min..max" / "0".
        recorded = _str(_mapping(metadata.get("annotations")).get(REPLICAS_ANNOTATION)) or ""
        floor, _, ceiling = recorded.partition("..")
        low = _int(scaled.get("minReplicaCount")) if scaled else _int(floor)
        high = _int(scaled.get("maxReplicaCount")) if scaled else _int(ceiling or floor)
        autoscaled = scaled is not None
    else:
        kind = "NIM"
        hpa = _mapping(_mapping(spec.get("scale")).get("hpa"))
        autoscaled = bool(hpa)
        low = _int(hpa.get("minReplicas")) if hpa else _int(spec.get("replicas"))
        high = _int(hpa.get("maxReplicas")) if hpa else _int(spec.get("replicas"))
    mode = _str(role.get("mode"))
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
        _slug("endpoint", site.name, tenant.name, name), "endpoint", name, detail, state, attrs
    )


def _cluster_node(
    site: Site, tenant: Tenant, name: str, spec: Mapping[str, Any], role: Mapping[str, Any]
) -> Node:
    topology = _mapping(spec.get("topology"))
    control_plane = _int(_mapping(topology.get("controlPlane")).get("replicas"))
    pools = []
    low_total = high_total = 0
    for deployment in _list(_mapping(topology.get("workers")).get("machineDeployments")):
        deployment = _mapping(deployment)
        pool = _str(deployment.get("name")) or "pool"
        replicas = _int(deployment.get("replicas"))
        annotations = _mapping(_mapping(deployment.get("metadata")).get("annotations"))
        low = replicas if replicas is not None else _int(annotations.get(AUTOSCALER_MIN))
        high = replicas if replicas is not None else _int(annotations.get(AUTOSCALER_MAX))
        low_total += low or 0
        high_total += high or 0
        pools.append(f"{pool} {_range(low, high)}")
    mode = _str(role.get("mode")) or "full"
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
        _slug("vks", site.name, tenant.name, name), "vks-cluster", name, detail, state, attrs
    )


def _edge_node(name: str, resources: Sequence[Any], facts: Mapping[str, Any]) -> Node | None:
    """The site's entry: its NSX virtual server or Avi virtual service, else its facts."""
    fqdn = _str(facts.get("fqdn")) or ""
    vip = _str(facts.get("virtualIp"))
    for record in resources:
        inputs = _mapping(record.get("inputs"))
        if record.get("type") == LB_VIRTUAL_SERVER_TYPE:
            label = "NSX edge LB"
            vip = _str(inputs.get("ipAddress")) or vip
            ports = [str(p) for p in _list(inputs.get("ports"))]
            tls = "TLS" if inputs.get("clientSsl") else "no TLS"
        elif record.get("type") == AVI_VIRTUAL_SERVICE_TYPE:
            label = "Avi edge VS"
            services = [_mapping(x) for x in _list(inputs.get("services"))]
            ports = [str(x.get("port")) for x in services]
            secure = any(str(x.get("enableSsl")) == "true" for x in services)
            tls = ("TLS" if secure else "no TLS") + (" · WAF" if inputs.get("wafPolicyRef") else "")
        else:
            continue
        return Node(
            id=_slug("edge", name),
            kind="edge-lb",
            label=f"{label} {fqdn}".rstrip(),
            detail=f"{vip or '?'}:{','.join(ports) or '443'} · {tls}",
            attrs={"site": name, "vip": vip or "?", "fqdn": fqdn},
        )
    if not vip:
        return None
    return Node(
        id=_slug("edge", name),
        kind="edge-lb",
        label=f"edge {fqdn}".rstrip(),
        detail=f"{vip}:443",
        attrs={"site": name, "vip": vip, "fqdn": fqdn},
    )


def _database_node(
    site: Site,
    tenant: Tenant,
    name: str,
    spec: Mapping[str, Any],
    annotations: Mapping[str, Any],
    role: Mapping[str, Any],
) -> Node:
    replicas = _int(spec.get("replicas"))
    replication = _str(role.get("mechanism")) or _str(annotations.get(REPLICATION_ANNOTATION))
    mode = _str(role.get("mode")) or "writer"
    ha = "HA" if replicas and replicas > 0 else "single server"
    words = {
        "writer": "writer",
        "logical-subscriber": "logical subscriber",
        "restore-from-backup": "restore from backup",
        "no-copy": "no copy (declared)",
    }
    # §9.3.2 item 4: an app database holds the application's data, not embeddings.
    kind = _str(role.get("kind")) or "vector"
    detail = f"{'app data' if kind == 'app' else 'pgvector'} · {ha} · {words.get(mode, mode)}"
    storage = _str(spec.get("storageSpace"))
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
    return Node(_slug("db", site.name, tenant.name, name), "database", name, detail, state, attrs)


@dataclass
class _Flow:
    source: str
    target_url: str
    target_name: str
    projects: list[str]
    schedules: set[str]


def _flows(document: Mapping[str, Any], site: str) -> list[_Flow]:
    """Harbor push rules of one stack, grouped per peer registry."""
    resources = [_mapping(r) for r in _list(document.get("resources"))]
    registries = {
        r.get("parent"): _mapping(r.get("inputs"))
        for r in resources
        if r.get("type") == HARBOR_REGISTRY_TYPE
    }
    flows: dict[str, _Flow] = {}
    for record in resources:
        if record.get("type") != HARBOR_REPLICATION_TYPE:
            continue
        inputs = _mapping(record.get("inputs"))
        if (_str(inputs.get("action")) or "push") != "push":
            continue
        registry = registries.get(record.get("parent"), {})
        url = _str(registry.get("endpointUrl")) or ""
        flow = flows.setdefault(
            url,
            _Flow(site, url, (_str(registry.get("name")) or "").removesuffix("-harbor"), [], set()),
        )
        for entry in _list(inputs.get("filters")):
            pattern = _str(_mapping(entry).get("name"))
            if pattern:
                flow.projects.append(pattern)
        flow.schedules.add(_str(inputs.get("schedule")) or "event_based")
    return list(flows.values())


def _gslb(document: Mapping[str, Any]) -> list[Gslb]:
    out = []
    for record in _list(document.get("resources")):
        record = _mapping(record)
        if record.get("type") != GSLB_SERVICE_TYPE:
            continue
        inputs = _mapping(record.get("inputs"))
        name = _str(inputs.get("name")) or _str(record.get("name")) or "gslb"
        members = []
        for group in _list(inputs.get("groups")):
            for member in _list(_mapping(group).get("members")):
                for ip in _list(_mapping(member).get("ips")):
                    addr = _str(_mapping(ip).get("addr"))
                    if addr:
                        members.append(addr)
        persistence = str(inputs.get("sitePersistenceEnabled")).lower() == "true"
        ttl = inputs.get("ttl")
        details = ["Avi", "site persistence" if persistence else "no site persistence"]
        if ttl is not None:
            details.append(f"TTL {ttl}s")
        out.append(
            Gslb(
                id=_slug("gslb", name),
                name=name,
                fqdns=[str(d) for d in _list(inputs.get("domainNames"))],
                members=members,
                detail=" · ".join(details),
            )
        )
    return out


def _estimate_of(
    documents: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any] | None, str | None]:
    """The DR stack's estimate when planned (it knows both sites), else the first one."""
    candidates = []
    for document in documents:
        estimates = _mapping(document.get("estimates"))
        if _mapping(estimates.get("rto")) or _mapping(estimates.get("rpo")):
            candidates.append(
                (estimates.get("role") != "dr", _str(document.get("stack")), estimates)
            )
    if not candidates:
        return None, None
    candidates.sort(key=lambda c: c[0])
    _, stack, estimates = candidates[0]
    return dict(estimates), stack


def extract_topology(documents: Sequence[Mapping[str, Any]]) -> Topology:
    """Read the diagram's model from plan.json documents (one per planned stack)."""
    sites: list[Site] = []
    flows: list[_Flow] = []
    gslbs: list[Gslb] = []
    for document in documents:
        site = _site_from(document)
        if any(s.name == site.name for s in sites):
            continue
        sites.append(site)
        flows.extend(_flows(document, site.name))
        for service in _gslb(document):
            if all(g.id != service.id for g in gslbs):
                gslbs.append(service)
    sites.sort(key=lambda s: (s.role == "dr", 0))

    by_host = {_host(s.harbor_url): s for s in sites if s.harbor_url}
    # Peers referenced but not planned in this run: a stub column so arrows have an end.
    for document, site in zip(documents, list(sites), strict=False):
        props = _site_props(document)
        peer = _str(props.get("peerSite"))
        if peer and all(s.name != peer for s in sites):
            sites.append(
                Site(name=peer, stack=None, role="peer", pattern=site.pattern, planned=False)
            )
    for flow in flows:
        host = _host(flow.target_url)
        if host and host not in by_host:
            target = next(
                (s for s in sites if s.name == flow.target_name and not s.harbor_url), None
            )
            if target is None:
                target = Site(
                    name=flow.target_name or host,
                    stack=None,
                    role="peer",
                    pattern=sites[0].pattern if sites else "none",
                    planned=False,
                )
                sites.append(target)
            target.harbor_url = flow.target_url
            by_host[host] = target
    for site in sites:
        if site.harbor is None and site.harbor_url:
            site.harbor = Node(
                id=_slug("harbor", site.name),
                kind="harbor",
                label=f"Harbor {_host(site.harbor_url)}",
                detail="" if site.planned else "peer site",
                state="running" if site.planned else "stub",
                attrs={"site": site.name, "url": site.harbor_url, "projects": ""},
            )

    edges: list[Edge] = []
    for flow in flows:
        target = by_host.get(_host(flow.target_url))
        source = next(s for s in sites if s.name == flow.source)
        if target is None or source.harbor is None or target.harbor is None:
            continue
        schedules = sorted(flow.schedules)
        when = "event-based" if schedules == ["event_based"] else "cron " + ", ".join(schedules)
        filters = sorted(set(flow.projects))
        projects = sorted({f.removesuffix("/**") for f in filters})
        edges.append(
            Edge(
                id=_slug("replication", source.name, target.name),
                kind="harbor-replication",
                source=source.harbor.id,
                target=target.harbor.id,
                label=f"push {', '.join(filters)} · {when}",
                attrs={
                    "from-site": source.name,
                    "to-site": target.name,
                    "projects": " ".join(projects),
                    "filters": " ".join(filters),
                    "schedule": " ".join(schedules),
                },
            )
        )

    edges.extend(_database_edges(sites))

    pattern = next((s.pattern for s in sites if s.planned), "none")
    for gslb in gslbs:
        for site in sites:
            if site.edge is None:
                continue
            vip = site.edge.attrs.get("vip")
            if gslb.members and vip not in gslb.members:
                continue
            edges.append(
                Edge(
                    id=_slug("gslb-member", gslb.name, site.name),
                    kind="gslb-member",
                    source=gslb.id,
                    target=site.edge.id,
                    label="50 %" if pattern == "active-active" else "",
                    attrs={"to-site": site.name, "vip": vip or ""},
                )
            )
    traffic = (
        "gslb" if gslbs else ("dns" if pattern != "none" and len(sites) > 1 else "single-site")
    )
    if traffic == "dns":
        primary = next((s for s in sites if s.role == "primary"), None)
        standby = next((s for s in sites if s.role != "primary"), None)
        if primary and standby and primary.edge and standby.edge:
            edges.append(
                Edge(
                    id=_slug("dns-failover", primary.name, standby.name),
                    kind="dns-failover",
                    source=primary.edge.id,
                    target=standby.edge.id,
                    label="DNS switch on failover",
                    dashed=True,
                    attrs={"from-site": primary.name, "to-site": standby.name},
                )
            )
    estimate, estimate_stack = _estimate_of(documents)
    return Topology(
        sites=sites,
        edges=edges,
        gslb=gslbs,
        pattern=pattern,
        traffic=traffic,
        estimate=estimate,
        estimate_stack=estimate_stack,
        stacks=[s.stack for s in sites if s.stack],
    )


def _database_edges(sites: Sequence[Site]) -> list[Edge]:
    """Writer → standby for each database present at two sites (§9.2.3, §9.3.3)."""
    edges = []
    writers: dict[tuple[str, str], tuple[Site, Node]] = {}
    others: list[tuple[Site, Tenant, Node]] = []
    for site in sites:
        for tenant in site.tenants.values():
            for node in tenant.databases:
                if node.attrs.get("mode", "writer") == "writer":
                    writers.setdefault((tenant.name, node.label), (site, node))
                else:
                    others.append((site, tenant, node))
    for site, tenant, node in others:
        match = writers.get((tenant.name, node.label))
        if match is None or match[0] is site:
            continue
        source_site, source = match
        mode = node.attrs.get("mode", "")
        label = {
            "logical-subscriber": "logical replication (publication → subscription)",
            "restore-from-backup": "backups · restore on failover",
        }.get(mode, mode)
        edges.append(
            Edge(
                id=_slug("db-replication", source_site.name, site.name, tenant.name, node.label),
                kind="db-replication",
                source=source.id,
                target=node.id,
                label=label,
                dashed=mode == "restore-from-backup",
                attrs={
                    "from-site": source_site.name,
                    "to-site": site.name,
                    "tenant": tenant.name,
                    "mode": mode,
                },
            )
        )
    return edges


# --- text metrics -----------------------------------------------------------------------------

# Advance widths of DejaVu Sans (the first font asked for), in em; others fall back to the
# class averages below. Bold text is about 10 % wider.
_ADVANCE: Final[dict[str, float]] = {
    **dict.fromkeys("abdeghnopqu", 0.63),
    **dict.fromkeys("cksvxyz", 0.56),
    **dict.fromkeys("ijl", 0.28),
    **dict.fromkeys("frt", 0.4),
    "m": 0.97,
    "w": 0.82,
    **dict.fromkeys("0123456789", 0.64),
    **dict.fromkeys(" .,:;'|!", 0.32),
    **dict.fromkeys("()[]{}/-", 0.37),
    "I": 0.3,
    "M": 0.86,
    "W": 0.99,
    "·": 0.32,
    "–": 0.5,
    "…": 0.8,
    "→": 0.84,
    "≈": 0.84,
    "⇄": 0.84,
    "%": 0.95,
    "@": 1.0,
}
_UPPER_ADVANCE: Final = 0.72
_OTHER_ADVANCE: Final = 0.62
BOLD_FACTOR: Final = 1.1


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Approximate rendered width of ``text`` at ``size`` px (DejaVu Sans metrics)."""
    return _advances(text)[-1] * size * (BOLD_FACTOR if bold else 1.0)


def _advances(text: str) -> list[float]:
    """The advance of each prefix of ``text``, summed from the left (``[0.0, ...]``)."""
    total = 0.0
    totals = [total]
    for char in text:
        advance = _ADVANCE.get(char)
        if advance is None:
            advance = _UPPER_ADVANCE if char.isupper() else _OTHER_ADVANCE
        total += advance
        totals.append(total)
    return totals


def fit(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it fits ``width``: the longest prefix that fits
    with the ellipsis (each prefix's width summed as ``text_width`` sums it)."""
    totals = _advances(text)
    factor = BOLD_FACTOR if bold else 1.0
    if totals[-1] * size * factor <= width:
        return text
    ellipsis = _ADVANCE["…"]
    end = len(text)
    while end and (totals[end] + ellipsis) * size * factor > width:
        end -= 1
    return text[:end].rstrip() + "…"


# --- rendering --------------------------------------------------------------------------------


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _data(attrs: Mapping[str, str]) -> str:
    return "".join(f' data-{k}="{_attr(v)}"' for k, v in attrs.items())


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 12,
        weight: str = "normal",
        fill: str = "#1f2328",
        anchor: str = "start",
        width: float | None = None,
        italic: bool = False,
    ) -> None:
        bold = weight == "bold"
        shown = fit(value, size, width, bold=bold) if width is not None else value
        style = ' font-style="italic"' if italic else ""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}"{style}>{escape(shown)}</text>'
        )


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w


def _node(svg: _Svg, node: Node, box: _Box, boxes: dict[str, _Box]) -> None:
    boxes[node.id] = box
    color = COLORS.get(node.kind, "#57606a")
    ghost = node.state in ("not-deployed", "restore", "declared", "stub")
    attrs = {"kind": node.kind, "state": node.state, **node.attrs}
    svg.add(f'<g id="{_attr(node.id)}" class="node {node.kind}"{_data(attrs)}>')
    svg.add(f"<title>{escape(node.label + (' — ' + node.detail if node.detail else ''))}</title>")
    dash = ' stroke-dasharray="5 3"' if ghost else ""
    fill = "#ffffff" if not ghost else "#f6f8fa"
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="4" '
        f'fill="{fill}" stroke="{color}" stroke-width="1.2"{dash}/>'
    )
    tag = KIND_TAGS.get(node.kind, "")
    text_x = box.x + 8
    if tag:
        svg.add(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="34" height="{box.h:.1f}" rx="4" '
            f'fill="{color}" opacity="{0.45 if ghost else 1}"/>'
        )
        svg.text(
            box.x + 17, box.mid_y + 4, tag, size=10, weight="bold", fill="#ffffff", anchor="middle"
        )
        text_x = box.x + 42
    label_fill = "#57606a" if ghost else "#1f2328"
    available = box.right - text_x - 6
    label = fit(node.label, 12, available * (0.7 if node.detail else 1.0), bold=True)
    svg.text(text_x, box.mid_y + 4, label, size=12, weight="bold", fill=label_fill)
    if node.detail:
        offset = text_width(label, 12, bold=True) + 8
        svg.text(
            text_x + offset,
            box.mid_y + 4,
            node.detail,
            size=11,
            fill="#57606a",
            width=available - offset,
            italic=ghost,
        )
    svg.add("</g>")


def _arrow(
    svg: _Svg,
    edge: Edge,
    start: tuple[float, float],
    end: tuple[float, float],
    label_at: tuple[float, float] | None,
    label_width: float,
) -> None:
    color = COLORS.get(edge.kind, "#57606a")
    attrs = {"kind": edge.kind, "from": edge.source, "to": edge.target, **edge.attrs}
    svg.add(f'<g id="{_attr(edge.id)}" class="link {edge.kind}"{_data(attrs)}>')
    svg.add(f"<title>{escape(edge.label)}</title>")
    dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
    marker = f' marker-end="url(#arrow-{edge.kind})"' if edge.kind != "dns-failover" else ""
    if edge.kind == "dns-failover":
        marker = ' marker-end="url(#arrow-dns)" marker-start="url(#arrow-dns)"'
    svg.add(
        f'<path d="M{start[0]:.1f},{start[1]:.1f} L{end[0]:.1f},{end[1]:.1f}" fill="none" '
        f'stroke="{color}" stroke-width="1.8"{dash}{marker}/>'
    )
    if label_at is not None and edge.label:
        svg.text(
            label_at[0],
            label_at[1],
            edge.label,
            size=10.5,
            fill=color,
            anchor="middle",
            width=label_width,
        )
    svg.add("</g>")


def _tenant_rows(sites: Sequence[Site]) -> list[tuple[str, dict[str, int]]]:
    """Tenants (those with services first, then by name) with, per section, the most items
    any site has; registration order is not stable, so nothing here depends on it."""
    sizes: dict[str, dict[str, int]] = {}
    for site in sites:
        for name, tenant in site.tenants.items():
            entry = sizes.setdefault(name, {"endpoint": 0, "vks-cluster": 0, "database": 0})
            for kind in entry:
                entry[kind] = max(entry[kind], len(tenant.section(kind)))
    order = sorted(sizes, key=lambda name: (not any(sizes[name].values()), name))
    return [(name, sizes[name]) for name in order]


def _fmt_term(term: Mapping[str, Any]) -> str:
    label = _str(term.get("label")) or _str(term.get("key")) or "?"
    return f"{label} {term.get('duration') or term.get('seconds')}"


def _legend_lines(topology: Topology) -> list[tuple[str, str]]:
    """(style, text) lines of the estimate block; style: title | text | note."""
    lines: list[tuple[str, str]] = []
    estimate = topology.estimate
    pattern = PATTERN_TITLES.get(topology.pattern, topology.pattern)
    traffic = {
        "gslb": "Avi GSLB sends users to both sites",
        "dns": "users reach the primary; DNS switches to the DR site on failover",
        "single-site": "one site",
    }[topology.traffic]
    lines.append(("title", f"DR: {pattern} · {traffic}"))
    if not estimate:
        lines.append(("note", "no RTO/RPO estimate in these plans (paif:dr.pattern none)"))
        return lines
    failover = _mapping(estimate.get("failover"))
    source = f"estimate of stack {topology.estimate_stack}" if topology.estimate_stack else ""
    if failover:
        source += f" · loss of {failover.get('from')} → {failover.get('to')}"
    lines.append(("note", source.strip(" ·")))
    objectives = _mapping(estimate.get("objectives"))
    for key, name in (("rto", "RTO"), ("rpo", "RPO")):
        part = _mapping(estimate.get(key))
        if not part:
            continue
        text = f"{name} ≈ {part.get('duration')}  ({part.get('band')}"
        if part.get("sourceBand"):
            text += f"; §9.3 expects {part.get('sourceBand')}"
        text += ")"
        objective = _mapping(objectives.get(key))
        if objective.get("declared"):
            verdict = "met" if objective.get("met") else "NOT met"
            text += f" · declared {objective.get('declared')}: {verdict}"
        lines.append(("value", text))
    terms = [
        _mapping(t)
        for t in _list(_mapping(estimate.get("rto")).get("terms"))
        if (_mapping(t).get("seconds") or 0) > 0
    ]
    terms.sort(key=lambda t: -float(t.get("seconds") or 0))
    if terms:
        lines.append(("text", "largest RTO terms: " + ", ".join(_fmt_term(t) for t in terms[:4])))
    rpo_terms = [_mapping(t) for t in _list(_mapping(estimate.get("rpo")).get("terms"))]
    rpo_terms.sort(key=lambda t: -float(t.get("seconds") or 0))
    if rpo_terms:
        lines.append(("text", "RPO set by: " + _fmt_term(rpo_terms[0])))
    unbounded = _list(_mapping(estimate.get("rpo")).get("unbounded"))
    if unbounded:
        lines.append(("text", "unbounded RPO: " + ", ".join(str(u) for u in unbounded)))
    return lines


def render_svg(topology: Topology) -> str:
    """The diagram as an SVG document (deterministic for the same topology)."""
    sites = topology.sites or [Site(name="(no site)", stack=None, role="primary", pattern="none")]
    columns = len(sites)
    width = MARGIN * 2 + columns * COLUMN_WIDTH + (columns - 1) * GAP_WIDTH
    xs = [MARGIN + i * (COLUMN_WIDTH + GAP_WIDTH) for i in range(columns)]
    svg = _Svg()
    boxes: dict[str, _Box] = {}
    column_of: dict[str, int] = {}

    top = MARGIN + TITLE_HEIGHT
    edge_y = top + SITE_HEADER_HEIGHT
    # With a GSLB between the edge nodes, leave room under it for the replication labels.
    harbor_y = edge_y + NODE_HEIGHT + ROW_SPACING + (18 if topology.gslb else 0)
    tenants_y = harbor_y + NODE_HEIGHT + ROW_SPACING * 2
    rows = _tenant_rows(sites)
    y = tenants_y
    row_boxes: list[tuple[str, dict[str, int], float, float]] = []
    for name, sizes in rows:
        items = sum(sizes.values())
        height = TENANT_TITLE_HEIGHT + TENANT_PAD
        height += items * (NODE_HEIGHT + NODE_GAP) if items else LINE_HEIGHT + NODE_GAP
        row_boxes.append((name, sizes, y, height))
        y += height + ROW_SPACING
    panel_bottom = max(y, tenants_y + LINE_HEIGHT) + INNER_PAD

    legend_lines = _legend_lines(topology)
    key_rows = 2
    legend_y = panel_bottom + 20
    legend_h = 34 + key_rows * 22 + 10 + len(legend_lines) * LINE_HEIGHT + 12
    height = legend_y + legend_h + MARGIN

    # Title.
    stacks = " ⇄ ".join(f"{s.stack} ({s.name})" if s.stack else f"{s.name} (peer)" for s in sites)
    svg.text(MARGIN, MARGIN + 20, "PAIF topology", size=19, weight="bold")
    title_width = text_width("PAIF topology", 19, bold=True) + 14
    svg.text(
        MARGIN + title_width,
        MARGIN + 20,
        stacks,
        size=14,
        fill="#57606a",
        width=width - MARGIN * 2 - title_width,
    )
    svg.text(
        MARGIN,
        MARGIN + 42,
        "Drawn by `paif plan` from plan.json: what each stack declares, offline.",
        size=11,
        fill="#57606a",
    )

    # Site panels.
    for index, site in enumerate(sites):
        x = xs[index]
        column_of[site.name] = index
        color = COLORS.get(site.role, COLORS["peer"])
        attrs = {
            "site": site.name,
            "stack": site.stack or "",
            "role": site.role,
            "pattern": site.pattern,
            "planned": "true" if site.planned else "false",
        }
        svg.add(f'<g id="{_attr(_slug("site", site.name))}" class="site"{_data(attrs)}>')
        dash = "" if site.planned else ' stroke-dasharray="8 5"'
        bottom = panel_bottom if site.planned else harbor_y + NODE_HEIGHT + INNER_PAD
        svg.add(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{COLUMN_WIDTH}" height="{bottom - top:.1f}" '
            f'rx="8" fill="#f6f8fa" stroke="{color}" stroke-width="1.5"{dash}/>'
        )
        svg.add(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{COLUMN_WIDTH}" height="6" rx="3" '
            f'fill="{color}"/>'
        )
        role = {"primary": "PRIMARY", "dr": "DR SITE", "peer": "PEER"}.get(site.role, site.role)
        svg.text(x + INNER_PAD, top + 28, site.name, size=16, weight="bold")
        svg.text(
            x + COLUMN_WIDTH - INNER_PAD,
            top + 28,
            role,
            size=11,
            weight="bold",
            fill=color,
            anchor="end",
        )
        inner = COLUMN_WIDTH - INNER_PAD * 2
        if site.planned:
            line1 = (
                f"stack {site.stack} · {site.environment or '?'} · vCenter {site.vcenter or '?'}"
            )
            parts = []
            if site.workload_domain:
                parts.append(site.workload_domain)
            if site.gpu_summary:
                parts.append(site.gpu_summary)
            line2 = " · ".join(parts) or (
                f"Supervisor {site.supervisor}" if site.supervisor else ""
            )
        else:
            line1 = "not planned in this run (its own stack declares it)"
            line2 = ""
        svg.text(x + INNER_PAD, top + 45, line1, size=11, fill="#57606a", width=inner)
        if line2:
            svg.text(x + INNER_PAD, top + 60, line2, size=11, fill="#57606a", width=inner)
        node_w = COLUMN_WIDTH - INNER_PAD * 2
        if site.edge is not None:
            _node(svg, site.edge, _Box(x + INNER_PAD, edge_y, node_w, NODE_HEIGHT), boxes)
        if site.harbor is not None:
            _node(svg, site.harbor, _Box(x + INNER_PAD, harbor_y, node_w, NODE_HEIGHT), boxes)
        if site.planned:
            for name, sizes, row_y, row_h in row_boxes:
                tenant = site.tenants.get(name)
                if tenant is None:
                    continue
                _tenant_box(
                    svg, site, tenant, sizes, _Box(x + INNER_PAD, row_y, node_w, row_h), boxes
                )
        svg.add("</g>")

    # GSLB nodes sit in the gap at the height of the edge nodes they send users to.
    for index, gslb in enumerate(topology.gslb):
        gap_x = xs[0] + COLUMN_WIDTH if columns > 1 else xs[0] + COLUMN_WIDTH - GAP_WIDTH
        box = _Box(gap_x + 44, edge_y - 7 - index * 48, GAP_WIDTH - 88, 40)
        boxes[gslb.id] = box
        color = COLORS["gslb"]
        attrs = {
            "kind": "gslb",
            "name": gslb.name,
            "fqdn": " ".join(gslb.fqdns),
            "members": " ".join(gslb.members),
        }
        svg.add(f'<g id="{_attr(gslb.id)}" class="node gslb"{_data(attrs)}>')
        svg.add(f"<title>{escape('Avi GSLB ' + gslb.name + ' — ' + gslb.detail)}</title>")
        svg.add(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            f'rx="14" fill="#fff8f2" stroke="{color}" stroke-width="1.5"/>'
        )
        name = "GSLB " + (", ".join(gslb.fqdns) or gslb.name)
        svg.text(
            box.x + box.w / 2,
            box.y + 17,
            name,
            size=11.5,
            weight="bold",
            fill=color,
            anchor="middle",
            width=box.w - 12,
        )
        svg.text(
            box.x + box.w / 2,
            box.y + 32,
            gslb.detail,
            size=10,
            fill="#57606a",
            anchor="middle",
            width=box.w - 12,
        )
        svg.add("</g>")

    # Arrows.
    pair_count: dict[tuple[str, str], int] = {}
    for edge in topology.edges:
        key = tuple(sorted((edge.source, edge.target)))
        pair_count[key] = pair_count.get(key, 0) + 1  # type: ignore[index]
    drawn: dict[tuple[str, str], int] = {}
    for edge in topology.edges:
        source, target = boxes.get(edge.source), boxes.get(edge.target)
        if source is None or target is None:
            continue
        key = tuple(sorted((edge.source, edge.target)))
        n = drawn.get(key, 0)  # type: ignore[arg-type]
        drawn[key] = n + 1  # type: ignore[index]
        offset = 0.0
        if pair_count[key] > 1:  # type: ignore[index]
            offset = (n - (pair_count[key] - 1) / 2) * 9  # type: ignore[index]
        if edge.kind == "gslb-member":
            if target.x > source.x:
                start = (source.right, target.mid_y)
                end = (target.x - 3, target.mid_y)
            else:
                start = (source.x, target.mid_y)
                end = (target.right + 3, target.mid_y)
            label_at = ((start[0] + end[0]) / 2, target.mid_y - 6)
            _arrow(svg, edge, start, end, label_at, 60)
            continue
        if target.x > source.x:
            start = (source.right + 2, source.mid_y + offset)
            end = (target.x - 3, target.mid_y + offset)
        else:
            start = (source.x - 2, source.mid_y + offset)
            end = (target.right + 3, target.mid_y + offset)
        label_y = min(start[1], end[1]) - 5 if offset <= 0 else max(start[1], end[1]) + 13
        label_at = ((start[0] + end[0]) / 2, label_y)
        _arrow(svg, edge, start, end, label_at, abs(end[0] - start[0]) - 8)

    _legend(svg, topology, legend_lines, _Box(MARGIN, legend_y, width - MARGIN * 2, legend_h))

    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" '
        f'data-stacks="{_attr(" ".join(topology.stacks))}" '
        f'data-pattern="{_attr(topology.pattern)}" '
        f'data-traffic="{topology.traffic}">'
    )
    title = f"<title>PAIF topology: {escape(stacks)}</title>"
    return (
        "\n".join(
            [
                head,
                title,
                _defs(),
                f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
                *svg.parts,
                "</svg>",
            ]
        )
        + "\n"
    )


def _defs() -> str:
    markers = []
    for kind in ("harbor-replication", "db-replication", "gslb-member", "dns"):
        color = COLORS[kind]
        markers.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{color}"/></marker>'
        )
    return "<defs>" + "".join(markers) + "</defs>"


def _tenant_box(
    svg: _Svg,
    site: Site,
    tenant: Tenant,
    sizes: Mapping[str, int],
    box: _Box,
    boxes: dict[str, _Box],
) -> None:
    attrs = {"site": site.name, "tenant": tenant.name, "namespace": tenant.namespace}
    svg.add(
        f'<g id="{_attr(_slug("tenant", site.name, tenant.name))}" class="tenant"{_data(attrs)}>'
    )
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6" '
        f'fill="#ffffff" stroke="#d0d7de" stroke-width="1"/>'
    )
    title = f"tenant {tenant.name}"
    title_width = text_width(title, 12.5, bold=True)
    svg.text(box.x + 10, box.y + 18, title, size=12.5, weight="bold")
    svg.text(
        box.x + 10 + title_width + 10,
        box.y + 18,
        f"namespace {tenant.namespace}",
        size=11,
        fill="#57606a",
        width=box.w - title_width - 30,
    )
    y = box.y + TENANT_TITLE_HEIGHT
    if not any(sizes.values()):
        svg.text(
            box.x + 10,
            y + 12,
            "quota, RBAC and network policy only (no endpoints, clusters or databases)",
            size=10.5,
            fill="#57606a",
            italic=True,
            width=box.w - 20,
        )
    for kind in ("endpoint", "vks-cluster", "database"):
        nodes = sorted(tenant.section(kind), key=lambda node: node.label)
        for index in range(sizes[kind]):
            if index < len(nodes):
                _node(svg, nodes[index], _Box(box.x + 8, y, box.w - 16, NODE_HEIGHT), boxes)
            y += NODE_HEIGHT + NODE_GAP
    svg.add("</g>")


def _legend(svg: _Svg, topology: Topology, lines: Sequence[tuple[str, str]], box: _Box) -> None:
    estimate = topology.estimate or {}
    rto, rpo = _mapping(estimate.get("rto")), _mapping(estimate.get("rpo"))
    attrs = {
        "pattern": topology.pattern,
        "traffic": topology.traffic,
        "rto-seconds": "" if rto.get("seconds") is None else f"{rto.get('seconds')}",
        "rto-band": str(rto.get("band") or ""),
        "rpo-seconds": "" if rpo.get("seconds") is None else f"{rpo.get('seconds')}",
        "rpo-band": str(rpo.get("band") or ""),
        "estimate-stack": topology.estimate_stack or "",
    }
    svg.add(f'<g id="legend" class="legend"{_data(attrs)}>')
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="8" '
        f'fill="#ffffff" stroke="#d0d7de"/>'
    )
    svg.text(box.x + 14, box.y + 22, "Legend", size=13, weight="bold")
    x, y = box.x + 14, box.y + 38
    keys = [
        ("endpoint", "AI endpoint (PAIS)"),
        ("vks-cluster", "VKS cluster"),
        ("database", "pgvector database (DSM)"),
        ("harbor", "Harbor registry"),
        ("edge-lb", "NSX edge load balancer"),
    ]
    step = (box.w - 28) / len(keys)
    for index, (kind, text) in enumerate(keys):
        kx = x + index * step
        color = COLORS[kind]
        svg.add(f'<rect x="{kx:.1f}" y="{y:.1f}" width="30" height="16" rx="3" fill="{color}"/>')
        svg.text(
            kx + 15, y + 12, KIND_TAGS[kind], size=9, weight="bold", fill="#ffffff", anchor="middle"
        )
        svg.text(kx + 36, y + 12, text, size=10.5, fill="#1f2328", width=step - 42)
    y += 22
    lines_key = [
        ("harbor-replication", False, "Harbor push replication"),
        ("db-replication", False, "database replication"),
        ("gslb-member", False, "GSLB member"),
        ("dns", True, "DNS switch / restore on failover"),
    ]
    step = (box.w - 28) / (len(lines_key) + 1)
    for index, (kind, dashed, text) in enumerate(lines_key):
        kx = x + index * step
        color = COLORS[kind]
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        svg.add(
            f'<path d="M{kx:.1f},{y + 8:.1f} L{kx + 34:.1f},{y + 8:.1f}" stroke="{color}" '
            f'stroke-width="1.8"{dash} marker-end="url(#arrow-{kind})"/>'
        )
        svg.text(kx + 42, y + 12, text, size=10.5, width=step - 48)
    kx = x + len(lines_key) * step
    svg.add(
        f'<rect x="{kx:.1f}" y="{y:.1f}" width="34" height="16" rx="3" fill="#f6f8fa" '
        f'stroke="#57606a" stroke-dasharray="5 3"/>'
    )
    svg.text(kx + 42, y + 12, "declared, not running here", size=10.5, width=step - 48)
    y += 32
    for style, text in lines:
        if style == "title":
            svg.text(x, y, text, size=12.5, weight="bold", width=box.w - 28)
        elif style == "value":
            svg.text(x, y, text, size=12.5, weight="bold", fill="#0969da", width=box.w - 28)
        elif style == "note":
            svg.text(x, y, text, size=10.5, fill="#57606a", width=box.w - 28, italic=True)
        else:
            svg.text(x, y, text, size=11, fill="#1f2328", width=box.w - 28)
        y += LINE_HEIGHT
    svg.add("</g>")


# --- entry points -----------------------------------------------------------------------------


def render_topology(documents: Iterable[Mapping[str, Any]]) -> str:
    """plan.json documents → SVG text."""
    return render_svg(extract_topology(list(documents)))
