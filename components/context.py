"""Facts about the site that many components need, passed down instead of re-derived."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from paif_components.constants import PRODUCTION_TIERS
from paif_components.contract.annotations import ENVIRONMENT_LABEL, SITE_LABEL

if TYPE_CHECKING:  # annotations only: the policy pack imports this module's names, not the models
    from paif_components.config.models import (
        DrPattern,
        DrRole,
        Environment,
        Harbor,
        Site,
        WorkloadDomain,
    )
    from paif_components.config.models.ownership import Kind, Ownership
    from paif_components.hardware import DomainHardware

# Every Kubernetes object says which API it is applied to: the site's Supervisor, or a VKS
# cluster by name. `paif plan` writes manifests into one folder per target, and the tenancy
# rules (PAIF-MT-001/MT-002) judge a namespace together with the objects of its own target only.
TARGET_ANNOTATION: Final = "paif.vmware.com/target"
SUPERVISOR_TARGET: Final = "supervisor"


def target_annotations(target: str = SUPERVISOR_TARGET) -> dict[str, str]:
    """The annotation naming the Kubernetes API an object goes to (a VKS cluster's name)."""
    return {TARGET_ANNOTATION: target}


def _create_everything() -> Ownership:
    """The default ownership (create every kind), imported when first needed."""
    from paif_components.config.models.ownership import Ownership

    return Ownership()


@dataclass(frozen=True)
class SiteContext:
    """What a component may ask about the site it is built into.

    ``role``/``pattern`` tell a component whether it is the primary or a DR copy, so it can,
    for example, build a database as a replica instead of a primary. ``ownership`` says which
    platform objects the stack creates, adopts or references (``paif_components.ownership``);
    ``import_ids`` and ``hardware`` are what the program already asked the site (adopted
    objects' ids; per workload-domain cluster, its hosts), so components need not ask again.
    """

    site: Site
    environment: Environment
    harbor: Harbor
    workload_domain: WorkloadDomain
    role: DrRole = "primary"
    pattern: DrPattern = "none"
    ownership: Ownership = field(default_factory=lambda: _create_everything())
    import_ids: Mapping[tuple[Kind, str], str] = field(default_factory=dict, hash=False)
    hardware: Mapping[str, DomainHardware] = field(default_factory=dict, hash=False)

    @property
    def is_production(self) -> bool:
        """Production tiers protect stateful resources and enforce policies."""
        return self.environment in PRODUCTION_TIERS

    @property
    def labels(self) -> dict[str, str]:
        """Labels every Kubernetes object of the site carries (for selection and audit)."""
        return {
            "app.kubernetes.io/managed-by": "pulumi",
            SITE_LABEL: self.site.name,
            ENVIRONMENT_LABEL: self.environment,
        }
