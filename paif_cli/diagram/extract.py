"""plan.json documents → :class:`~paif_cli.diagram.model.Topology`: what each stack declares,
read from its records and its site's facts (roles, estimates, replication).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from paif_cli.diagram.model import (
    CAPI_CLUSTER_PREFIX,
    COMPUTE_CLUSTER_TYPE,
    GSLB_SERVICE_TYPE,
    HARBOR_PROJECT_TYPE,
    HARBOR_PROVIDER,
    HARBOR_REGISTRY_TYPE,
    HARBOR_REPLICATION_TYPE,
    NAMESPACE_TYPE,
    NIM_SERVICE_TYPE,
    PAIS_ENDPOINT_TYPE,
    POSTGRES_CLUSTER_TYPE,
    SCALED_OBJECT_TYPE,
    SITE_TYPE,
    VSPHERE_PROVIDER,
    Edge,
    Gslb,
    Node,
    Site,
    Tenant,
    Topology,
    as_int,
    as_list,
    as_mapping,
    as_str,
    slug,
    tenant_of,
)
from paif_cli.diagram.nodes import (
    absent,
    cluster_node,
    database_node,
    edge_node,
    endpoint_node,
    host_of,
    metadata_of,
)
from paif_components.contract.annotations import PRIMARY_CLUSTER_ANNOTATION, TENANT_LABEL
from paif_components.contract.dr_databases import DatabaseRole
from paif_components.contract.dr_topology import ClusterRole, DrTopologyRecord, EndpointRole
from paif_components.contract.estimates import Estimates, SiteFactsRecord
from paif_components.contract.plan import PlanDocument, ResourceRecord
from paif_components.contract.site_facts import SiteFacts

Role = TypeVar("Role", EndpointRole, ClusterRole, DatabaseRole)


def site_facts(document: PlanDocument) -> SiteFacts:
    """What the stack's PaifSite declared (its inputs, read as the contract's record; a plan
    without a site reads as no facts)."""
    for record in document.resources:
        if record.type == SITE_TYPE:
            return SiteFacts.from_props(record.inputs)
    return SiteFacts.from_props({})


def _estimate_topology(estimates: Estimates, site: str | None) -> DrTopologyRecord | None:
    """``estimates.topology`` when it describes this stack's own site.

    A primary's estimate describes the DR side it fails over to, so its roles are not the
    primary's.
    """
    topology = estimates.topology
    if topology is None or (topology.site and topology.site != site):
        return None
    return topology


def _roles(roles: Iterable[Role]) -> dict[tuple[str, str], Role]:
    """DR roles of ``estimates.topology`` (endpoints, clusters or databases) by (tenant, name)."""
    return {(role.tenant, role.name): role for role in roles if role.tenant and role.name}


def _tenant_of_namespace(resources: Sequence[ResourceRecord]) -> dict[str, str]:
    """namespace → tenant, from the tenant label every tenant object carries."""
    out: dict[str, str] = {}
    for record in resources:
        _, namespace, metadata = metadata_of(record)
        tenant = as_str(as_mapping(metadata.get("labels")).get(TENANT_LABEL))
        if namespace and tenant:
            out.setdefault(namespace, tenant)
    return out


def _site_from(document: PlanDocument, declared: SiteFacts) -> Site:
    estimates = Estimates.read(document.estimates)
    stack = document.stack or None
    name = declared.site or estimates.site or stack or "site"
    role = declared.dr_role or estimates.role or "primary"
    pattern = declared.dr_pattern or estimates.pattern or "none"
    site = Site(
        name=name,
        stack=stack,
        role=role,
        pattern=pattern,
        environment=document.environment or declared.environment,
    )
    facts: SiteFactsRecord | None = None
    for side in (estimates.sites.primary, estimates.sites.dr):
        if side is not None and side.name == name:
            facts = side
    site.supervisor = (facts.supervisor if facts else None) or None
    resources = list(document.resources)
    harbors: list[tuple[str, str]] = []
    for record in resources:
        typ, inputs = record.type, record.inputs
        if typ == VSPHERE_PROVIDER:
            site.vcenter = site.vcenter or as_str(inputs.get("vsphereServer"))
        elif typ == HARBOR_PROVIDER and as_str(inputs.get("url")):
            harbors.append((str(record.name), str(inputs["url"])))
        elif typ == COMPUTE_CLUSTER_TYPE and site.workload_domain is None:
            hosts = as_list(inputs.get("hostSystemIds"))
            label = as_str(inputs.get("name")) or as_str(record.name) or "cluster"
            site.workload_domain = f"{label} ({len(hosts)} hosts)" if hosts else label
            if record.import_id:
                site.workload_domain += " · adopted"
    # paif:ownership: what the stack adopted (imported) or only references.
    owned = {
        (as_str(o.get("kind")), as_str(o.get("name"))): as_str(o.get("mode"))
        for o in (as_mapping(o) for o in as_list(document.outputs.get("ownership")))
    }
    if site.workload_domain is None:
        referenced = [n for (k, n), m in owned.items() if k == "computeCluster" and n]
        if referenced:
            site.workload_domain = f"{referenced[0]} · referenced"
    site.vcenter = site.vcenter or (facts.vcenter if facts else None) or None
    # This site's own Harbor: the estimate's site facts, else the provider named after the
    # site (a stack also holds a provider for the peer's Harbor when it pushes there).
    peers = {
        host_of(as_str(r.inputs.get("endpointUrl")))
        for r in resources
        if r.type == HARBOR_REGISTRY_TYPE
    }
    own = [url for provider, url in harbors if provider == f"{name}-harbor"]
    own += [url for _, url in harbors if host_of(url) not in peers]
    site.harbor_url = (facts.harbor_url if facts else None) or next(iter(own), None)
    capacity = as_mapping(estimates.capacity).get("site")
    pool = as_mapping(as_mapping(capacity).get("pool"))
    total, n_plus_one = as_int(pool.get("total")), as_int(pool.get("nPlusOne"))
    if total is not None:
        profile = as_str(pool.get("profile"))
        summary = f"{total} × {profile}" if profile else f"{total} GPUs"
        if n_plus_one is not None:
            summary += f" · N+1 {n_plus_one}"
        peak = as_int(as_mapping(capacity).get("peakGpus"))
        if peak is not None:
            over = n_plus_one is not None and peak > n_plus_one
            summary += f" · peak {peak}" + (" (over N+1)" if over else "")
        site.gpu_summary = summary

    # Edge entry (§9.6.1): the TLS virtual server (NSX) or service (Avi, with the WAF) and the
    # name users resolve; without either, what the site facts say.
    site.edge = edge_node(name, resources, facts)

    projects = sorted(
        {as_str(r.inputs.get("name")) or "" for r in resources if r.type == HARBOR_PROJECT_TYPE}
        | {n or "" for (k, n), _ in owned.items() if k == "harborProjects"} - {""}
    )
    marks = {"adopt": " (adopted)", "reference": " (referenced)"}
    shown = [p + marks.get(owned.get(("harborProjects", p)) or "", "") for p in projects]
    if site.harbor_url or projects:
        site.harbor = Node(
            id=slug("harbor", name),
            kind="harbor",
            label=f"Harbor {host_of(site.harbor_url)}".rstrip(),
            detail=("projects " + ", ".join(shown)) if projects else "",
            attrs={"site": name, "url": site.harbor_url or "", "projects": " ".join(projects)},
        )

    _add_tenants(site, resources, _estimate_topology(estimates, declared.site))
    return site


def _add_tenants(
    site: Site, resources: Sequence[ResourceRecord], topology: DrTopologyRecord | None
) -> None:
    by_namespace = _tenant_of_namespace(resources)
    endpoint_roles = _roles(topology.endpoints if topology else ())
    cluster_roles = _roles(topology.clusters if topology else ())
    database_roles = _roles(topology.databases if topology else ())
    for roles in (endpoint_roles, cluster_roles, database_roles):
        for role in roles.values():
            if role.namespace:
                by_namespace.setdefault(role.namespace, role.tenant)

    # Tenants in the order their Supervisor namespaces are declared.
    for record in resources:
        if record.type == NAMESPACE_TYPE:
            namespace = as_str(record.inputs.get("name"))
            if namespace:
                tenant_of(site, by_namespace.get(namespace, namespace), namespace)

    def owner(namespace: str | None) -> Tenant:
        ns = namespace or "default"
        return tenant_of(site, by_namespace.get(ns, ns), ns)

    scaling: dict[tuple[str, str], Mapping[str, Any]] = {}
    for record in resources:
        if record.type == SCALED_OBJECT_TYPE:
            _, namespace, _ = metadata_of(record)
            spec = as_mapping(record.inputs.get("spec"))
            target = as_str(as_mapping(spec.get("scaleTargetRef")).get("name"))
            if namespace and target:
                scaling[(namespace, target)] = spec

    seen: set[tuple[str, str, str]] = set()

    for record in resources:
        typ = record.type
        name, namespace, metadata = metadata_of(record)
        if not name:
            continue
        spec = as_mapping(record.inputs.get("spec"))
        if typ in (PAIS_ENDPOINT_TYPE, NIM_SERVICE_TYPE):
            tenant = owner(namespace)
            endpoint_role = endpoint_roles.get((tenant.name, name))
            tenant.endpoints.append(
                endpoint_node(site, tenant, name, typ, spec, scaling, endpoint_role, metadata)
            )
            seen.add(("endpoint", tenant.name, name))
        elif (
            isinstance(typ, str)
            and typ.startswith(CAPI_CLUSTER_PREFIX)
            and typ.endswith(":Cluster")
        ):
            tenant = owner(namespace)
            cluster_role = cluster_roles.get((tenant.name, name))
            tenant.clusters.append(cluster_node(site, tenant, name, spec, cluster_role))
            seen.add(("vks-cluster", tenant.name, name))
        elif typ == POSTGRES_CLUSTER_TYPE:
            tenant = owner(namespace)
            annotations = as_mapping(metadata.get("annotations"))
            # A DR copy has its own cluster name; it is drawn as the database it copies.
            database = as_str(annotations.get(PRIMARY_CLUSTER_ANNOTATION)) or name
            db_role = database_roles.get((tenant.name, database))
            tenant.databases.append(
                database_node(site, tenant, database, spec, annotations, db_role)
            )
            seen.add(("database", tenant.name, database))

    # What the DR role declares but does not run here (pilot light): shown dashed.
    for tenant, name, _ in absent(site, seen, "vks-cluster", cluster_roles):
        tenant.clusters.append(
            Node(
                id=slug("vks", site.name, tenant.name, name),
                kind="vks-cluster",
                label=name,
                detail="not deployed: created on failover",
                state="not-deployed",
                attrs={"site": site.name, "tenant": tenant.name, "name": name},
            )
        )
    for tenant, name, absent_db in absent(site, seen, "database", database_roles):
        tenant.databases.append(
            Node(
                id=slug("db", site.name, tenant.name, name),
                kind="database",
                label=name,
                detail="restored from backup on failover",
                state="restore",
                attrs={
                    "site": site.name,
                    "tenant": tenant.name,
                    "name": name,
                    "mode": absent_db.mode.value,
                },
            )
        )


@dataclass
class _Flow:
    source: str
    target_url: str
    target_name: str
    projects: list[str]
    schedules: set[str]


def _flows(document: PlanDocument, site: str) -> list[_Flow]:
    """Harbor push rules of one stack, grouped per peer registry."""
    resources = list(document.resources)
    registries = {r.parent: r.inputs for r in resources if r.type == HARBOR_REGISTRY_TYPE}
    flows: dict[str, _Flow] = {}
    for record in resources:
        if record.type != HARBOR_REPLICATION_TYPE:
            continue
        inputs = record.inputs
        if (as_str(inputs.get("action")) or "push") != "push":
            continue
        registry = registries.get(record.parent, {})
        url = as_str(registry.get("endpointUrl")) or ""
        flow = flows.setdefault(
            url,
            _Flow(
                site, url, (as_str(registry.get("name")) or "").removesuffix("-harbor"), [], set()
            ),
        )
        for entry in as_list(inputs.get("filters")):
            pattern = as_str(as_mapping(entry).get("name"))
            if pattern:
                flow.projects.append(pattern)
        flow.schedules.add(as_str(inputs.get("schedule")) or "event_based")
    return list(flows.values())


def _gslb(document: PlanDocument) -> list[Gslb]:
    out = []
    for record in document.resources:
        if record.type != GSLB_SERVICE_TYPE:
            continue
        inputs = record.inputs
        name = as_str(inputs.get("name")) or as_str(record.name) or "gslb"
        members = []
        for group in as_list(inputs.get("groups")):
            for member in as_list(as_mapping(group).get("members")):
                for ip in as_list(as_mapping(member).get("ips")):
                    addr = as_str(as_mapping(ip).get("addr"))
                    if addr:
                        members.append(addr)
        persistence = str(inputs.get("sitePersistenceEnabled")).lower() == "true"
        ttl = inputs.get("ttl")
        details = ["Avi", "site persistence" if persistence else "no site persistence"]
        if ttl is not None:
            details.append(f"TTL {ttl}s")
        out.append(
            Gslb(
                id=slug("gslb", name),
                name=name,
                fqdns=[str(d) for d in as_list(inputs.get("domainNames"))],
                members=members,
                detail=" · ".join(details),
            )
        )
    return out


def _estimate_of(documents: Sequence[PlanDocument]) -> tuple[Estimates | None, str | None]:
    """The DR stack's estimate when planned (it knows both sites), else the first one."""
    candidates = []
    for document in documents:
        estimates = Estimates.read(document.estimates)
        if estimates.rto is not None or estimates.rpo is not None:
            candidates.append((estimates.role != "dr", (document.stack or None), estimates))
    if not candidates:
        return None, None
    candidates.sort(key=lambda c: c[0])
    _, stack, estimates = candidates[0]
    return estimates, stack


def extract_topology(documents: Sequence[PlanDocument]) -> Topology:
    """Read the diagram's model from plan.json documents (one per planned stack)."""
    sites: list[Site] = []
    flows: list[_Flow] = []
    gslbs: list[Gslb] = []
    # What each stack's PaifSite declared, read once per document.
    declared = [site_facts(document) for document in documents]
    for document, facts in zip(documents, declared, strict=True):
        site = _site_from(document, facts)
        if any(s.name == site.name for s in sites):
            continue
        sites.append(site)
        flows.extend(_flows(document, site.name))
        for service in _gslb(document):
            if all(g.id != service.id for g in gslbs):
                gslbs.append(service)
    sites.sort(key=lambda s: (s.role == "dr", 0))

    by_host = {host_of(s.harbor_url): s for s in sites if s.harbor_url}
    # Peers referenced but not planned in this run: a stub column so arrows have an end.
    for facts, site in zip(declared, list(sites), strict=False):
        peer = facts.peer_site
        if peer and all(s.name != peer for s in sites):
            sites.append(
                Site(name=peer, stack=None, role="peer", pattern=site.pattern, planned=False)
            )
    for flow in flows:
        host = host_of(flow.target_url)
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
                id=slug("harbor", site.name),
                kind="harbor",
                label=f"Harbor {host_of(site.harbor_url)}",
                detail="" if site.planned else "peer site",
                state="running" if site.planned else "stub",
                attrs={"site": site.name, "url": site.harbor_url, "projects": ""},
            )

    edges: list[Edge] = []
    for flow in flows:
        target = by_host.get(host_of(flow.target_url))
        source = next(s for s in sites if s.name == flow.source)
        if target is None or source.harbor is None or target.harbor is None:
            continue
        schedules = sorted(flow.schedules)
        when = "event-based" if schedules == ["event_based"] else "cron " + ", ".join(schedules)
        filters = sorted(set(flow.projects))
        projects = sorted({f.removesuffix("/**") for f in filters})
        edges.append(
            Edge(
                id=slug("replication", source.name, target.name),
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
                    id=slug("gslb-member", gslb.name, site.name),
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
                    id=slug("dns-failover", primary.name, standby.name),
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
                id=slug("db-replication", source_site.name, site.name, tenant.name, node.label),
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
