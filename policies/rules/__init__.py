"""Every rule module of the pack; importing this package registers the whole catalogue."""

from policies.rules import (
    access,
    capacity,
    data,
    dr,
    dr_copies,
    governance,
    ha,
    operations,
    scheduling,
    security,
    segmentation,
    tenancy,
    wiring,
    workloads,
)

__all__ = [
    "access",
    "capacity",
    "data",
    "dr",
    "dr_copies",
    "governance",
    "ha",
    "operations",
    "scheduling",
    "security",
    "segmentation",
    "tenancy",
    "wiring",
    "workloads",
]
