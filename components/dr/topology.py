"""Derive each site's DR role, and the DR site's config, from the primary's declared site.

Both stacks run the same program. A DR stack declares only its own infrastructure (site,
workload domain, Harbor, network); its tenants are the primary stack's, read from the primary's
stack file in the same commit, so tenants, quotas and model versions never drift apart. The
pattern (``paif:dr.pattern``, the same in both stack files) decides how much of the primary runs
at the DR site (§9.3.3):

+--------------------------+---------------------+-----------------------+---------------------+
| DR site                  | pilot-light         | warm-standby          | active-active       |
+==========================+=====================+=======================+=====================+
| namespaces, quotas,      | as the primary      | as the primary        | as the primary      |
| RBAC, network settings   |                     |                       |                     |
+--------------------------+---------------------+-----------------------+---------------------+
| VKS clusters (and apps)  | removed: created on | workers scaled down   | as the primary      |
|                          | failover            | to 2 per cluster      |                     |
|                          |                     | (§9.3.3: 5 → 2); app  |                     |
|                          |                     | autoscalers held at   |                     |
|                          |                     | the apps' replicas    |                     |
+--------------------------+---------------------+-----------------------+---------------------+
| model endpoints          | declared, not       | replicas min = max = 1| as the primary;     |
|                          | running (min 0)     |                       | each site serves ½  |
+--------------------------+---------------------+-----------------------+---------------------+
| model/app image refs     | primary's Harbor host → this site's Harbor host (replicated)      |
+--------------------------+---------------------+-----------------------+---------------------+
| Harbor                   | receives push       | receives push         | receives the        |
|                          | replication         | replication           | primary's projects, |
|                          |                     |                       | pushes its own      |
+--------------------------+---------------------+-----------------------+---------------------+
| pgvector and app        | per database (``dr.mechanism``, paif_components.dr.copies); default:   |
| databases                | backup-restore      | logical subscriber    | logical subscriber  |
|                          | (created at         | (publication, slot,   | (one writer)        |
|                          | failover)           | subscription)         |                     |
+--------------------------+---------------------+-----------------------+---------------------+
| traffic                  | DNS switch          | DNS switch            | Avi GSLB, 50 %      |
+--------------------------+---------------------+-----------------------+---------------------+

Facts the config models cannot spell ("declared but not running", "this database is a replica
of that one", "this cluster runs 2 of 5 nodes") travel beside the config in :class:`DerivedSite`
as per-endpoint, per-cluster and per-database roles; components take the role that concerns
them. The primary gets a :class:`DerivedSite` too (writer database, outbound replication), so
both stacks describe the same topology from their side.

Rules that keep the topology safe:

- One writer per database (§9.3.3 warns against bidirectional pgvector writes, PAIF-DR-007):
  the DR copy is never a writer unless the DR stack is failed over.
- One writer per Harbor repository path (PAIF-DR-005): the primary owns the projects its model
  and app references name (so both sites serve the same versions, PAIF-DR-010); in
  active-active each such tenant project has a ``<tenant>-<dr-site>`` twin that the DR site
  owns for artifacts built there and pushes back, so filters of the two directions never
  overlap and nothing loops. Both stacks declare every project they push or receive
  (``RegistryRole.projects``, PAIF-DR-011).

``failover=True`` (operators set it when the primary is lost; see the runbook) derives the DR
site at full scale with its database copies as writers (under their own names).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from paif_components.config.errors import ConfigError, Problem
from paif_components.config.models import (
    App,
    AppAutoscaling,
    EndpointReplicas,
    ModelEndpoint,
    NodePool,
    StackConfig,
    Tenant,
    VksCluster,
)
from paif_components.constants import WARM_STANDBY_ENDPOINT_REPLICAS, WARM_STANDBY_VKS_WORKERS
from paif_components.dr.copies import DatabaseMode as DatabaseMode
from paif_components.dr.copies import database_roles
from paif_components.dr.roles import (
    ACTIVE_ACTIVE_TRAFFIC_SHARE,
    PILOT_LIGHT_ENDPOINT_MAX_REPLICAS,
    PILOT_LIGHT_ENDPOINT_REPLICAS,
    ClusterMode,
    ClusterRole,
    DerivedSite,
    EndpointMode,
    EndpointRole,
    Key,
    RegistryRole,
    ReplicaBounds,
    ReplicationFlow,
    TrafficMode,
    TrafficRole,
)


def stack_name(stack: str) -> str:
    """The short stack name of ``org/project/stack`` (the stack file is ``Pulumi.<name>.yaml``)."""
    return stack.rsplit("/", 1)[-1]


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack_name(stack)}.yaml"


def rewrite_ref(ref: str, from_host: str, to_host: str) -> str:
    """Point an OCI reference at another registry host when it names ``from_host``."""
    host, sep, rest = ref.partition("/")
    return f"{to_host}{sep}{rest}" if host == from_host and sep else ref


def owned_projects(config: StackConfig) -> tuple[str, ...]:
    """Harbor projects of this site that hold served models or app images, sorted, unique."""
    host = config.harbor.host
    projects: set[str] = set()
    for tenant in config.tenants:
        refs = [e.model.ref for e in tenant.model_endpoints] + [a.image for a in tenant.apps]
        for ref in refs:
            parts = ref.split("/")
            if len(parts) >= 3 and parts[0] == host:
                projects.add(parts[1])
    return tuple(sorted(projects))


def dr_owned_project(project: str, dr_site: str) -> str:
    """The active-active DR site's own project beside a primary-owned one (module doc)."""
    return f"{project}-{dr_site}"


def return_projects(primary: StackConfig, dr_site: str) -> dict[str, str]:
    """Active-active: each replicated tenant project's DR-site twin -> the tenant owning both.

    Artifacts built at the DR site are pushed there and replicated back to the primary, into
    a project of the same name that the primary declares; the primary's own projects travel
    the other way only, so no repository has two writers (goharbor/harbor#17754: replicating
    one project both ways ping-pongs every artifact).
    """
    if primary.dr.pattern != "active-active":
        return {}
    replicated = set(owned_projects(primary))
    return {
        dr_owned_project(t.name, dr_site): t.name for t in primary.tenants if t.name in replicated
    }


def scale_down_pools(
    pools: Sequence[NodePool], budget: int, *, untainted_needed: int = 0
) -> dict[str, int]:
    """Share ``budget`` worker nodes among the pools of a reduced (warm-standby) cluster.

    A pool never gets more than its own floor (a warm standby never grows a pool). What runs
    there comes first: ``untainted_needed`` nodes of the untainted (non-GPU) pools, for the
    apps' replicas that spread one per host (paif_components.estimators.scheduling); then one node
    per GPU pool, kept warm (PAIF-HA-004); then the rest, round-robin in declared order.
    §9.3.3 gives the budget (5 nodes → 2); ``paif:dr.standbyWorkers`` overrides it when the
    apps need more.
    """
    allocated = {pool.name: 0 for pool in pools}
    remaining = min(budget, sum(pool.floor for pool in pools))

    def fill(group: Sequence[NodePool], want: int) -> None:
        nonlocal remaining
        want = min(want, remaining, sum(p.floor - allocated[p.name] for p in group))
        remaining -= want
        while want > 0:
            for pool in group:
                if want and allocated[pool.name] < pool.floor:
                    allocated[pool.name] += 1
                    want -= 1

    untainted = [p for p in pools if not p.gpu]
    fill(untainted, untainted_needed)
    for pool in pools:
        if pool.gpu:
            fill([pool], 1)
    fill(list(pools), remaining)
    return allocated


def _fixed(pool: NodePool, replicas: int) -> NodePool:
    update = {"replicas": replicas, "min_replicas": None, "max_replicas": None}
    return pool.model_copy(update=update)


def _check_pair(config: StackConfig, primary: StackConfig, stack: str | None) -> None:
    """The two stack files must describe one pair; raise ConfigError on the file to fix."""
    assert config.dr.peer is not None
    primary_stack = stack_name(config.dr.peer.stack)
    primary_file = stack_file_name(primary_stack)
    this_stack = stack or (
        stack_name(primary.dr.peer.stack) if primary.dr.peer is not None else None
    )
    this_file = stack_file_name(this_stack) if this_stack else "Pulumi.<dr stack>.yaml"
    mine: list[Problem] = []
    theirs: list[Problem] = []
    if primary.dr.pattern != config.dr.pattern:
        mine.append(
            Problem(
                "paif:dr.pattern",
                f"is {config.dr.pattern!r} but the primary stack {primary_stack!r} "
                f"({primary_file}) declares {primary.dr.pattern!r}; set paif:dr.pattern to the "
                "same value in both stack files",
            )
        )
    peer = config.dr.peer
    if peer.site != primary.site.name:
        mine.append(
            Problem(
                "paif:dr.peer.site",
                f"is {peer.site!r} but {primary_file} declares site {primary.site.name!r}",
            )
        )
    if peer.harbor_url != primary.harbor.url:
        mine.append(
            Problem(
                "paif:dr.peer.harborUrl",
                f"is {peer.harbor_url!r} but {primary_file} declares Harbor {primary.harbor.url!r}",
            )
        )
    if config.harbor.host == primary.harbor.host:
        mine.append(
            Problem(
                "paif:harbor.url",
                f"{config.harbor.url!r} is the primary's Harbor too; the DR site needs its own "
                "Harbor to receive replication",
            )
        )
    if (
        config.dr.pattern == "active-active"
        and primary.dr.pattern == "active-active"
        and config.dr.gslb is not None
        and primary.dr.gslb is not None
        and config.dr.gslb.domain != primary.dr.gslb.domain
    ):
        mine.append(
            Problem(
                "paif:dr.gslb.domain",
                f"is {config.dr.gslb.domain!r} but {primary_file} declares "
                f"{primary.dr.gslb.domain!r}; one GSLB service spans both sites",
            )
        )
    if mine:
        raise ConfigError(this_file, mine)
    if primary.dr.role != "primary":
        theirs.append(
            Problem(
                "paif:dr.role",
                f"is {primary.dr.role!r} but the DR stack {this_stack or '?'!s} ({this_file}) "
                "names this stack as its primary: set it to 'primary'",
            )
        )
    back = primary.dr.peer
    if back is not None:
        if stack is not None and stack_name(back.stack) != stack_name(stack):
            theirs.append(
                Problem(
                    "paif:dr.peer.stack",
                    f"is {back.stack!r} but the DR stack naming this stack as its primary is "
                    f"{stack_name(stack)!r}",
                )
            )
        if back.site != config.site.name:
            theirs.append(
                Problem(
                    "paif:dr.peer.site",
                    f"is {back.site!r} but the DR stack {this_stack or '?'!s} ({this_file}) "
                    f"declares site {config.site.name!r}",
                )
            )
        if back.harbor_url != config.harbor.url:
            theirs.append(
                Problem(
                    "paif:dr.peer.harborUrl",
                    f"is {back.harbor_url!r} but the DR stack {this_stack or '?'!s} "
                    f"({this_file}) declares Harbor {config.harbor.url!r}: replication would "
                    "push elsewhere than the DR site's model references point",
                )
            )
    if theirs:
        raise ConfigError(primary_file, theirs)


def _failover_flag(config: StackConfig, failover: bool | None) -> bool:
    if failover is not None:
        return failover
    # `paif:dr.failover` once the config model has it (see the runbook); absent means False.
    return bool(getattr(config.dr, "failover", False))


def _endpoint_replicas(endpoint: ModelEndpoint, pattern: str, failover: bool) -> EndpointReplicas:
    if failover or pattern == "active-active":
        return endpoint.replicas
    if pattern == "warm-standby":
        return EndpointReplicas(
            min=WARM_STANDBY_ENDPOINT_REPLICAS, max=WARM_STANDBY_ENDPOINT_REPLICAS
        )
    return EndpointReplicas(
        min=PILOT_LIGHT_ENDPOINT_REPLICAS, max=PILOT_LIGHT_ENDPOINT_MAX_REPLICAS
    )


def _endpoint_mode(pattern: str, failover: bool) -> EndpointMode:
    if failover or pattern == "active-active":
        return EndpointMode.SERVING
    return EndpointMode.REDUCED if pattern == "warm-standby" else EndpointMode.DECLARED


def _cluster_mode(pattern: str, failover: bool) -> ClusterMode:
    if failover or pattern == "active-active":
        return ClusterMode.FULL
    return ClusterMode.SCALED_DOWN if pattern == "warm-standby" else ClusterMode.NOT_DEPLOYED


def _app_autoscaling(app: App, mode: ClusterMode) -> AppAutoscaling | None:
    """An app's autoscaling at the DR site: held at its replicas on a scaled-down standby
    cluster (the endpoints there hold at 1, §9.3.3 warm standby), the primary's bounds when
    the cluster runs in full (active-active, failover)."""
    scaling = app.autoscaling
    if scaling is None or mode is not ClusterMode.SCALED_DOWN:
        return scaling
    return scaling.model_copy(update={"max_replicas": app.replicas})


def _apps_by_cluster(apps: Iterable[App]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for app in apps:
        out.setdefault(app.cluster, []).append(app.name)
    return {k: tuple(v) for k, v in out.items()}


def _derive_tenant(
    tenant: Tenant,
    *,
    pattern: str,
    failover: bool,
    from_host: str,
    to_host: str,
    endpoints: dict[Key, EndpointRole],
    clusters: dict[Key, ClusterRole],
    standby_workers: int | None = None,
) -> Tenant:
    endpoint_mode = _endpoint_mode(pattern, failover)
    new_endpoints: list[ModelEndpoint] = []
    for endpoint in tenant.model_endpoints:
        replicas = _endpoint_replicas(endpoint, pattern, failover)
        ref = rewrite_ref(endpoint.model.ref, from_host, to_host)
        new_endpoints.append(
            endpoint.model_copy(
                update={
                    "model": endpoint.model.model_copy(update={"ref": ref}),
                    "replicas": replicas,
                }
            )
        )
        endpoints[(tenant.name, endpoint.name)] = EndpointRole(
            tenant=tenant.name,
            name=endpoint.name,
            namespace=tenant.namespace,
            type=endpoint.type,
            mode=endpoint_mode,
            replicas=ReplicaBounds(replicas.min, replicas.max),
            failover_replicas=ReplicaBounds(endpoint.replicas.min, endpoint.replicas.max),
            model_ref=ref,
            source_model_ref=endpoint.model.ref,
            critical=endpoint.critical,
        )

    cluster_mode = _cluster_mode(pattern, failover)
    apps = _apps_by_cluster(tenant.apps)
    new_clusters: list[VksCluster] = []
    for cluster in tenant.vks_clusters:
        failover_workers = {p.name: ReplicaBounds(p.floor, p.ceiling) for p in cluster.node_pools}
        if cluster_mode is ClusterMode.FULL:
            workers = {p.name: p.floor for p in cluster.node_pools}
            new_clusters.append(cluster)
        elif cluster_mode is ClusterMode.SCALED_DOWN:
            workers = scale_down_pools(
                cluster.node_pools,
                standby_workers or WARM_STANDBY_VKS_WORKERS,
                untainted_needed=max(
                    (a.replicas for a in tenant.apps if a.cluster == cluster.name), default=0
                ),
            )
            new_clusters.append(
                cluster.model_copy(
                    update={"node_pools": [_fixed(p, workers[p.name]) for p in cluster.node_pools]}
                )
            )
        else:
            workers = {p.name: 0 for p in cluster.node_pools}
        clusters[(tenant.name, cluster.name)] = ClusterRole(
            tenant=tenant.name,
            name=cluster.name,
            namespace=tenant.namespace,
            mode=cluster_mode,
            workers=workers,
            failover_workers=failover_workers,
            apps=apps.get(cluster.name, ()),
        )

    new_apps = (
        []
        if cluster_mode is ClusterMode.NOT_DEPLOYED
        else [
            a.model_copy(
                update={
                    "image": rewrite_ref(a.image, from_host, to_host),
                    "autoscaling": _app_autoscaling(a, cluster_mode),
                }
            )
            for a in tenant.apps
        ]
    )
    return tenant.model_copy(
        update={
            "model_endpoints": new_endpoints,
            "vks_clusters": new_clusters,
            "apps": new_apps,
        }
    )


def _replication_flows(
    primary: StackConfig,
    dr_site: str,
    dr_harbor_url: str,
    dr_schedule: str | None,
) -> tuple[ReplicationFlow, ...]:
    projects = owned_projects(primary)
    flows = [
        ReplicationFlow(
            source_site=primary.site.name,
            source_harbor_url=primary.harbor.url,
            target_site=dr_site,
            target_harbor_url=dr_harbor_url,
            projects=projects,
            schedule=primary.dr.replication_schedule,
        )
    ]
    returning = tuple(sorted(return_projects(primary, dr_site)))
    if returning:
        flows.append(
            ReplicationFlow(
                source_site=dr_site,
                source_harbor_url=dr_harbor_url,
                target_site=primary.site.name,
                target_harbor_url=primary.harbor.url,
                projects=returning,
                schedule=dr_schedule,
            )
        )
    return tuple(flows)


def _gslb_dict(config: StackConfig) -> dict[str, Any] | None:
    gslb = config.dr.gslb
    if gslb is None:
        return None
    return {
        "domain": gslb.domain,
        "ttl": gslb.ttl,
        "sitePersistence": gslb.site_persistence,
        "healthMonitors": list(gslb.health_monitors),
    }


def _fqdn(config: StackConfig) -> str | None:
    if config.dr.gslb is not None:
        return config.dr.gslb.domain
    return config.network.ingress.fqdn if config.network.ingress else None


def _primary_site(config: StackConfig) -> DerivedSite:
    pattern = config.dr.pattern
    site = config.site.name
    peer = config.dr.peer
    endpoints: dict[Key, EndpointRole] = {}
    clusters: dict[Key, ClusterRole] = {}
    for tenant in config.tenants:
        # The primary runs everything it declares: collect the roles, keep the config as is.
        _derive_tenant(
            tenant,
            pattern=pattern,
            failover=True,
            from_host=config.harbor.host,
            to_host=config.harbor.host,
            endpoints=endpoints,
            clusters=clusters,
        )
    databases = database_roles(
        config.tenants,
        pattern=pattern,
        site=site,
        primary_site=site,
        dr_site=peer.site if peer else None,
        failover=False,
        source_stack=None,
        copy_backup_location=None,
    )
    registry = None
    if peer is not None:
        registry = RegistryRole(
            site,
            _replication_flows(config, peer.site, peer.harbor_url, config.dr.replication_schedule),
        )
    if pattern == "active-active":
        traffic = TrafficRole(
            TrafficMode.GSLB, ACTIVE_ACTIVE_TRAFFIC_SHARE, _fqdn(config), _gslb_dict(config)
        )
    elif pattern == "none":
        traffic = TrafficRole(TrafficMode.SINGLE_SITE, 1.0, _fqdn(config))
    else:
        traffic = TrafficRole(TrafficMode.DNS, 1.0, _fqdn(config))
    return DerivedSite(
        config=config,
        role="primary",
        pattern=pattern,
        site=site,
        peer_site=peer.site if peer else None,
        writer_site=site,
        failover=False,
        endpoints=endpoints,
        clusters=clusters,
        databases=databases,
        registry=registry,
        traffic=traffic,
    )


def derive_site(
    config: StackConfig,
    primary: StackConfig | None,
    *,
    stack: str | None = None,
    failover: bool | None = None,
) -> DerivedSite:
    """This stack's config and every part's DR role (module doc for the table).

    ``config`` is this stack's own validated config; ``primary`` the primary stack's, required
    for a DR stack (``role: dr``) and ignored otherwise. ``stack`` is this stack's name, used to
    check that the primary's ``paif:dr.peer.stack`` points back here. ``failover`` ``None``
    reads ``paif:dr.failover`` when the config model has that key. Raises :class:`ConfigError`
    naming the stack file to fix when the two stack files do not describe one pair.
    """
    if config.dr.role != "dr":
        return _primary_site(config)
    assert config.dr.peer is not None  # the config model requires a peer for role dr
    if primary is None:
        file = stack_file_name(stack) if stack else "Pulumi.<dr stack>.yaml"
        raise ConfigError(
            file,
            [
                Problem(
                    "paif:dr.peer.stack",
                    f"a DR stack derives its tenants from its primary "
                    f"({stack_file_name(config.dr.peer.stack)}), but no primary config was given",
                )
            ],
        )
    _check_pair(config, primary, stack)
    pattern = config.dr.pattern
    is_failover = _failover_flag(config, failover)
    site = config.site.name
    endpoints: dict[Key, EndpointRole] = {}
    clusters: dict[Key, ClusterRole] = {}
    tenants = [
        _derive_tenant(
            t,
            pattern=pattern,
            failover=is_failover,
            from_host=primary.harbor.host,
            to_host=config.harbor.host,
            endpoints=endpoints,
            clusters=clusters,
            standby_workers=config.dr.standby_workers,
        )
        for t in primary.tenants
    ]
    writer_site = site if is_failover else primary.site.name
    databases = database_roles(
        primary.tenants,
        pattern=pattern,
        site=site,
        primary_site=primary.site.name,
        dr_site=site,
        failover=is_failover,
        source_stack=config.dr.peer.stack,
        copy_backup_location=config.dr.copy_backup_location,
    )
    registry = RegistryRole(
        site,
        _replication_flows(primary, site, config.harbor.url, config.dr.replication_schedule),
    )
    if pattern == "active-active":
        share = 1.0 if is_failover else ACTIVE_ACTIVE_TRAFFIC_SHARE
        traffic = TrafficRole(TrafficMode.GSLB, share, _fqdn(config), _gslb_dict(config))
    else:
        # Clients keep the primary's service name; the DNS switch points it here.
        traffic = TrafficRole(TrafficMode.DNS, 1.0 if is_failover else 0.0, _fqdn(primary))
    return DerivedSite(
        config=config.model_copy(update={"tenants": tenants}),
        role="dr",
        pattern=pattern,
        site=site,
        peer_site=primary.site.name,
        writer_site=writer_site,
        failover=is_failover,
        endpoints=endpoints,
        clusters=clusters,
        databases=databases,
        registry=registry,
        traffic=traffic,
    )


def site_config_for(config: StackConfig, primary: StackConfig | None) -> StackConfig:
    """The config this stack builds: its own, or for a DR stack, the primary's tenants adapted."""
    return derive_site(config, primary).config
