"""Every rule module of the pack; importing this package registers the whole catalogue."""

from paif_policies.rules import (
    access,
    capacity,
    data,
    dr,
    dr_copies,
    dr_replication,
    governance,
    ha,
    operations,
    scheduling,
    security,
    segmentation,
    tenancy,
    tls,
    wiring,
    workloads,
)

__all__ = [
    "access",
    "capacity",
    "data",
    "dr",
    "dr_copies",
    "dr_replication",
    "governance",
    "ha",
    "operations",
    "scheduling",
    "security",
    "segmentation",
    "tenancy",
    "tls",
    "wiring",
    "workloads",
]
