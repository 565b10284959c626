"""Facts about the site that many components need, passed down instead of re-derived."""

from __future__ import annotations

from dataclasses import dataclass

from components.config.models import DrPattern, DrRole, Environment, Harbor, Site, WorkloadDomain
from components.constants import PRODUCTION_TIERS


@dataclass(frozen=True)
class SiteContext:
    """What a component may ask about the site it is built into.

    ``role``/``pattern`` tell a component whether it is the primary or a DR copy, so it can,
    for example, build a database as a replica instead of a primary.
    """

    site: Site
    environment: Environment
    harbor: Harbor
    workload_domain: WorkloadDomain
    role: DrRole = "primary"
    pattern: DrPattern = "none"

    @property
    def is_production(self) -> bool:
        """Production tiers protect stateful resources and enforce policies."""
        return self.environment in PRODUCTION_TIERS

    @property
    def labels(self) -> dict[str, str]:
        """Labels every Kubernetes object of the site carries (for selection and audit)."""
        return {
            "app.kubernetes.io/managed-by": "pulumi",
            "paif.vmware.com/site": self.site.name,
            "paif.vmware.com/environment": self.environment,
        }
