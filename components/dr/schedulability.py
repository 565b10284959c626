"""The scheduler's view of each VKS cluster a derived site builds, before and after failover.

Facts come from the config the site builds (:class:`paif_components.dr.topology.DerivedSite`), in
the terms the components render them: a pool's nodes carry its ``paif.vmware.com/node-pool``
label and, for GPU pools, the ``nvidia.com/gpu`` taint (paif_components.vks_cluster); an app
Deployment spreads its replicas over hostnames with ``maxSkew: 1, DoNotSchedule`` and, with 2
or more replicas, has a PodDisruptionBudget of ``maxUnavailable: 1`` (paif_components.tenant_apps).
PAIF-CAP-006 checks the rendered objects themselves; this module gives the estimate the same
check for the shape the stack does not render now (the DR site failed over, or still standing
by).

Model endpoints run on the Supervisor's GPU VMs and databases on DSM's VMs, not in a VKS
cluster: their capacity is the GPU estimate's (PAIF-CAP-001, PAIF-DR-009).
"""

from __future__ import annotations

from typing import Any, Final

from paif_components.config.models import App, StackConfig, Tenant
from paif_components.constants import APP_MIN_REPLICAS
from paif_components.estimators.scheduling import (
    ClusterSchedule,
    NodeGroup,
    Taint,
    Workload,
    schedule,
)
from paif_components.vks_cluster import GPU_TAINT, NODE_POOL_LABEL

# paif_components.tenant_apps: every app spreads its replicas one per host, and keeps all but one
# available through disruptions.
APP_SPREAD_MAX_SKEW: Final = 1
APP_PDB_MAX_UNAVAILABLE: Final = 1


def app_workload(tenant: Tenant, app: App) -> Workload:
    pdb = app.replicas - APP_PDB_MAX_UNAVAILABLE if app.replicas >= APP_MIN_REPLICAS else None
    return Workload(
        name=f"Deployment {tenant.namespace}/{app.name}",
        replicas=app.replicas,
        spread_max_skew=APP_SPREAD_MAX_SKEW,
        min_available=pdb,
    )


def cluster_schedules(config: StackConfig) -> list[ClusterSchedule]:
    """Every VKS cluster of ``config`` (a derived site's) with its apps placed."""
    gpu_taint = Taint(GPU_TAINT["key"], GPU_TAINT["value"], GPU_TAINT["effect"])
    out = []
    for tenant in config.tenants:
        for cluster in tenant.vks_clusters:
            groups = [
                NodeGroup(
                    pool.name,
                    pool.floor,
                    {NODE_POOL_LABEL: pool.name},
                    (gpu_taint,) if pool.gpu else (),
                )
                for pool in cluster.node_pools
            ]
            workloads = [app_workload(tenant, a) for a in tenant.apps if a.cluster == cluster.name]
            out.append(schedule(cluster.name, groups, workloads))
    return out


def schedules_dict(schedules: list[ClusterSchedule]) -> dict[str, Any]:
    return {
        "clusters": [s.to_dict() for s in schedules],
        "ok": all(s.ok for s in schedules),
    }
