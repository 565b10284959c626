"""``paif:layout``: one site built by several stacks — a platform stack and tenant-group stacks.

A stack's ``pulumi up`` writes its whole state after every step (the file, S3 and Azure Blob
backends), so its cost grows with the square of its size (docs/benchmarks.md, issue 27). A
large site stays fast by keeping each stack small: the *platform stack* (the site's own stack
file: workload domain, Supervisor settings, Harbor registry and replication, the shared edge,
site monitoring) and *tenant-group stacks*, each building some of the site's tenants and
referencing the platform's objects (``paif:ownership`` ``reference``: looked up by name, never
declared). The site's config stays in one file, the platform's:

.. code-block:: yaml

    # Pulumi.prod.yaml (the platform stack, and the site's config)
    paif:layout:
      tenantStacks:
        prod-tenants-a: [marketing, hr]
        prod-tenants-b: [dev]

    # Pulumi.prod-tenants-a.yaml (a tenant-group stack: nothing else under paif:)
    paif:layout:
      site: prod

Tenants no group names stay in the platform stack. A DR site splits the same way: its own
file names groups with the same tenants as the primary's groups (docs/splitting.md).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from paif_components.config.base import ConfigModel, NonEmpty
from paif_components.config.errors import FieldError


class Layout(ConfigModel):
    """Which stacks build this site: ``tenantStacks`` in the platform stack's file, ``site``
    (the platform stack) in a tenant-group stack's file."""

    site: NonEmpty | None = None
    # tenant-group stack -> the tenants it builds
    tenant_stacks: dict[NonEmpty, list[NonEmpty]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_role(self) -> Layout:
        if self.site is not None and self.tenant_stacks:
            raise FieldError(
                "site",
                "a stack is either a tenant group (layout.site names its platform stack) or "
                "the platform stack (layout.tenantStacks lists its groups), not both",
            )
        seen: dict[str, str] = {}
        for stack, tenants in self.tenant_stacks.items():
            if not tenants:
                raise FieldError(f"tenantStacks.{stack}", "names no tenant")
            for tenant in tenants:
                if tenant in seen:
                    raise FieldError(
                        f"tenantStacks.{stack}",
                        f"tenant {tenant!r} is already built by stack {seen[tenant]!r}",
                    )
                seen[tenant] = stack
        return self

    @property
    def grouped(self) -> dict[str, str]:
        """Tenant -> the group stack that builds it."""
        return {t: stack for stack, tenants in self.tenant_stacks.items() for t in tenants}
