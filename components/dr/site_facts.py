"""What a stack's config says about the sites a DR estimate is about: the GPU pool, each tenant's
demand, the databases' DR facts, the topology both sites run after a failover, the assumptions
the config overrides, in-site HA and whether the failed-over site can schedule its clusters.
:mod:`paif_components.dr.estimate` turns them into the plan's ``estimates``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from paif_components.config.models import StackConfig
from paif_components.config.units import parse_quantity
from paif_components.dr.copies import DatabaseRole
from paif_components.dr.schedulability import cluster_schedules, schedules_dict
from paif_components.dr.topology import DerivedSite
from paif_components.estimators import (
    Assumptions,
    ClusterFacts,
    DatabaseFacts,
    DrTopology,
    EndpointDemand,
    EndpointFacts,
    GpuPool,
    HarborFacts,
    TenantDemand,
    cron_interval_seconds,
    format_duration,
    gpu_pool,
    gpus_required,
    parse_vgpu_profile,
)
from paif_components.estimators.data_stores import DEFAULT_BACKUP_INTERVAL_SECONDS
from paif_components.estimators.gpu_sizing import GIB
from paif_components.harbor_registry import harbor_schedule

# Assumption keys (camelCase or snake_case) whose default a declared fact replaces.
_GSLB_SWITCH_KEYS: Final = ("gslbSwitchSeconds", "gslb_switch_seconds")


def site_gpu_pool(config: StackConfig) -> GpuPool:
    """The site's GPU devices in ``nvidia.com/gpu`` units (default profile, module doc)."""
    wd = config.workload_domain
    profile = wd.vgpu_profiles[0] if wd.gpu.assignment == "vgpu" and wd.vgpu_profiles else None
    return gpu_pool(len(wd.hosts), wd.gpu.per_host, float(wd.gpu.memory_gi_b), profile)


def device_memory_gib(pool: GpuPool) -> float:
    """GPU memory one device offers: the profile's framebuffer, or the whole GPU."""
    if pool.profile is None:
        return pool.gpu_memory_gib
    return float(parse_vgpu_profile(pool.profile).framebuffer_gib)


def unit_of(pool: GpuPool) -> str:
    return f"{pool.profile} vGPU devices" if pool.profile else "GPUs (passthrough)"


def replica_gpus(declared: int | None, parameters_b: float, precision: str, pool: GpuPool) -> int:
    """GPUs per replica: declared, else what the model needs on one of the pool's devices."""
    if declared is not None:
        return declared
    return gpus_required(parameters_b, precision, device_memory_gib(pool))


def tenant_demands(
    config: StackConfig, pool: GpuPool, *, replicas: Mapping[tuple[str, str], int] | None = None
) -> tuple[TenantDemand, ...]:
    """Each tenant's GPU quota and endpoints at peak, sized for ``pool``'s devices.

    ``replicas`` overrides an endpoint's max replicas by (tenant, endpoint), e.g. 0 for an
    endpoint declared but not running.
    """
    out = []
    for tenant in config.tenants:
        endpoints = []
        for e in tenant.model_endpoints:
            peak = e.replicas.max
            if replicas is not None:
                peak = replicas.get((tenant.name, e.name), peak)
            gpus = replica_gpus(e.gpus_per_replica, e.model.parameters_b, e.model.precision, pool)
            endpoints.append(EndpointDemand(e.name, peak, gpus, e.critical))
        out.append(TenantDemand(tenant.name, tenant.quota.gpu, tuple(endpoints)))
    return tuple(out)


def _backup_interval(role: DatabaseRole) -> float:
    if not role.backup_schedules:
        return DEFAULT_BACKUP_INTERVAL_SECONDS
    return float(min(cron_interval_seconds(s) for s in role.backup_schedules))


def _backups_off_site(role: DatabaseRole, primary: StackConfig) -> bool:
    """The primary's backups survive its site: scheduled, located, not at the primary site."""
    location = role.primary_backup_location
    if not role.backup_schedules or location is None:
        return False
    facts = primary.dr.backup_locations.get(location)
    return facts is None or facts.site != primary.site.name


def database_facts(role: DatabaseRole, primary: StackConfig) -> DatabaseFacts:
    """The estimator's facts of one database: its mechanism and that mechanism's parameters."""
    return DatabaseFacts(
        name=f"{role.tenant}/{role.name}",
        size_gib=parse_quantity(role.storage) / GIB,
        mechanism=role.mechanism,
        backup_interval_seconds=_backup_interval(role),
        backups_off_site=_backups_off_site(role, primary),
        wal_archive_interval_seconds=role.wal_archive_interval_seconds,
        lag_budget_seconds=role.lag_budget_seconds,
        slot_retention_seconds=role.slot_retention_seconds,
    )


def dr_topology(
    dr_side: DerivedSite, primary: StackConfig, pool: GpuPool, *, assignment: str
) -> DrTopology:
    """The estimators' view of the DR side as derived (standby state, before failover)."""
    endpoints: list[EndpointFacts] = []
    by_key = {(t.name, e.name): e for t in primary.tenants for e in t.model_endpoints}
    for key, role in dr_side.endpoints.items():
        source = by_key[key]
        endpoints.append(
            EndpointFacts(
                name=f"{role.tenant}/{role.name}",
                parameters_b=source.model.parameters_b,
                replicas_needed=role.failover_replicas.min,
                precision=source.model.precision,
                gpus_per_replica=replica_gpus(
                    source.gpus_per_replica,
                    source.model.parameters_b,
                    source.model.precision,
                    pool,
                ),
                gpu_memory_gib=device_memory_gib(pool),
                assignment=assignment,
                replicas_at_dr=role.replicas.min if role.running else 0,
            )
        )
    databases = [database_facts(role, primary) for role in dr_side.databases.values()]
    clusters = [
        ClusterFacts(
            name=f"{role.tenant}/{role.name}",
            nodes_needed=role.failover_nodes,
            nodes_at_dr=role.nodes,
            exists_at_dr=role.deployed,
        )
        for role in dr_side.clusters.values()
    ]
    return DrTopology(
        pattern=dr_side.pattern,
        endpoints=tuple(endpoints),
        databases=tuple(databases),
        harbor=HarborFacts(schedule=harbor_schedule(primary.dr.replication_schedule)),
        clusters=tuple(clusters),
    )


def assumptions_for(
    config: StackConfig, primary: StackConfig | None
) -> tuple[Assumptions, list[str]]:
    """Assumptions from ``paif:dr.assumptions`` (DR keys over the primary's) and declared facts.

    Returns the assumptions and the keys the stack config set. Raises ``EstimatorError``.
    """
    merged: dict[str, Any] = {}
    if primary is not None and config.dr.role == "dr":
        merged.update(primary.dr.assumptions)
    merged.update(config.dr.assumptions)
    overridden = sorted(merged)
    gslb = config.dr.gslb or (primary.dr.gslb if primary is not None else None)
    if gslb is not None and not any(k in merged for k in _GSLB_SWITCH_KEYS):
        # A GSLB answer lives for its TTL: the switch takes that long (§9.3.3 pattern 3).
        merged["gslbSwitchSeconds"] = gslb.ttl
    return Assumptions.from_mapping(merged), overridden


# In-site HA (§9.2.3): the mechanism DSM runs between a cluster's primary and its standby.
IN_SITE_HA_MECHANISM: Final = "dsm-ha"


def in_site_ha(config: StackConfig, assumptions: Assumptions) -> list[dict[str, Any]]:
    """What a failover inside the site can lose, per database (§9.2.3 primary/standby).

    DSM's published API has no synchronous/asynchronous mode for a PostgresCluster's standby:
    the stack can ask for ``synchronous_commit: on`` through the DatabaseConfig (``replication:
    sync``), but whether a commit then waits for the standby depends on
    ``synchronous_standby_names``, which DSM manages and does not document. So the estimate
    counts the asynchronous window for every HA pair (docs/architecture.md).
    """
    lag = assumptions.async_replication_lag_seconds
    out: list[dict[str, Any]] = []
    for tenant in config.tenants:
        for db in (*tenant.databases, *tenant.app_databases):
            if not db.ha:
                out.append(
                    {
                        "database": f"{tenant.name}/{db.name}",
                        "mechanism": "none",
                        "requested": None,
                        "rpoSeconds": None,
                        "explanation": "ha: false runs no standby: a lost server is restored "
                        "from backup.",
                    }
                )
                continue
            out.append(
                {
                    "database": f"{tenant.name}/{db.name}",
                    "mechanism": IN_SITE_HA_MECHANISM,
                    "requested": db.replication,
                    "rpoSeconds": lag,
                    "explanation": (
                        f"DSM primary and standby (requested {db.replication!r}, "
                        f"synchronous_commit {'on' if db.replication == 'sync' else 'local'}); "
                        "DSM documents no synchronous-standby mode, so a failover inside the "
                        f"site is counted as losing up to {format_duration(lag)} "
                        "(asyncReplicationLagSeconds)."
                    ),
                }
            )
    return out


def schedulability_facts(
    here: DerivedSite, dr_side: DerivedSite, dr_site: Callable[[bool], DerivedSite]
) -> dict[str, Any]:
    """This stack's clusters as built now, and the DR side's in the other state (``dr_site``
    gives the DR side standing by or failed over, derived once per stack)."""
    other_shape = not (dr_side.failover or here.failover)
    dr_other = dr_site(other_shape)
    return {
        "current": schedules_dict(cluster_schedules(here.config)),
        "drSiteFailedOver" if other_shape else "drSiteStandingBy": schedules_dict(
            cluster_schedules(dr_other.config)
        ),
    }
