"""The whole stack's config, and ``paif:waivers``; cross-part rules (references between tenants'
parts, unique names) are checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import ConfigModel, NonEmpty
from paif_components.config.base import require_unique as _require_unique
from paif_components.config.errors import FieldError
from paif_components.config.models.common import Environment
from paif_components.config.models.dr import Dr
from paif_components.config.models.dr_copy import default_mechanism
from paif_components.config.models.layout import Layout
from paif_components.config.models.network import KubernetesOptions, Network, Security
from paif_components.config.models.observability import Observability
from paif_components.config.models.ownership import Ownership
from paif_components.config.models.site import Harbor, Site, WorkloadDomain
from paif_components.config.models.tenant import Database, Tenant
from paif_components.contract import waiver as contract


class Waiver(ConfigModel):
    """One entry of ``paif:waivers`` as the stack file is checked: an input model only. What
    the policies and the reports read is :meth:`record` (the contract's
    :class:`~paif_components.contract.waiver.Waiver`)."""

    rule: Annotated[str, Field(pattern=r"^PAIF-[A-Z]+-\d{3}$")]
    resource: NonEmpty
    reason: NonEmpty
    owner: NonEmpty
    expires: dt.date

    def record(self) -> contract.Waiver:
        return contract.Waiver(
            rule=self.rule,
            resource=self.resource,
            reason=self.reason,
            owner=self.owner,
            expires=self.expires.isoformat(),
        )


class StackConfig(ConfigModel):
    """Everything under ``paif:`` in one stack file."""

    environment: Environment
    site: Site
    workload_domain: WorkloadDomain
    harbor: Harbor
    tenants: list[Tenant] = Field(default_factory=list)
    network: Network = Field(default_factory=Network)
    security: Security = Field(default_factory=Security)
    dr: Dr = Field(default_factory=Dr)
    observability: Observability = Field(default_factory=Observability)
    waivers: list[Waiver] = Field(default_factory=list)
    # Which platform objects the stack creates, adopts or references (paif_components.ownership).
    ownership: Ownership = Field(default_factory=Ownership)
    kubernetes: KubernetesOptions = Field(default_factory=KubernetesOptions)
    # Which stacks build this site (paif_components.config.models.layout): tenant groups of
    # their own.
    layout: Layout = Field(default_factory=Layout)

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, tenants: list[Tenant]) -> list[Tenant]:
        _require_unique([t.name for t in tenants], "tenant name")
        _require_unique([t.namespace for t in tenants], "tenant namespace")
        # A VKS cluster's name is the target of its manifests (out/<stack>/manifests/<name>/)
        # and of the objects applied to it, so it is unique on the site.
        _require_unique([c.name for t in tenants for c in t.vks_clusters], "VKS cluster name")
        return tenants

    @model_validator(mode="after")
    def _grouped_tenants_exist(self) -> StackConfig:
        if self.layout.site is not None:
            raise FieldError(
                "layout.site",
                "a tenant-group stack takes the site's config from its platform stack's file: "
                "nothing but paif:layout belongs in its own file",
            )
        if self.dr.role == "dr":  # its tenants are the primary's (checked with the primary)
            return self
        known = {t.name for t in self.tenants}
        for stack, tenants in self.layout.tenant_stacks.items():
            for tenant in tenants:
                if tenant not in known:
                    raise FieldError(
                        f"layout.tenantStacks.{stack}",
                        f"names tenant {tenant!r}, which paif:tenants does not declare",
                    )
        return self

    @model_validator(mode="after")
    def _dr_site_has_no_tenants(self) -> StackConfig:
        if self.dr.role == "dr" and self.tenants:
            raise FieldError(
                "tenants",
                "a DR stack derives its tenants from the primary stack "
                f"({self.dr.peer.stack if self.dr.peer else '?'}); remove paif:tenants here",
            )
        if self.dr.role != "dr" and self.dr.tenant_workload_domains:
            raise FieldError(
                "dr.tenantWorkloadDomains",
                "only a DR stack declares hosts for the primary's isolated tenants",
            )
        for ti, tenant in enumerate(self.tenants):
            for key, declared in (
                ("databases", tenant.databases),
                ("appDatabases", tenant.app_databases),
            ):
                for di, database in enumerate(declared):
                    _check_dr_copy(self.dr.pattern, f"tenants[{ti}].{key}[{di}]", database)
        site_hosts = set(self.workload_domain.hosts)
        for i, tenant in enumerate(self.tenants):
            domain = tenant.workload_domain
            for host in domain.hosts if domain else ():
                if host in site_hosts:
                    raise FieldError(
                        f"tenants[{i}].workloadDomain.hosts",
                        f"host {host!r} is already in the site's workload domain",
                    )
        return self

    @model_validator(mode="after")
    def _host_driver_known(self) -> StackConfig:
        image = self.workload_domain.host_image
        if image is None or not (image.declares_driver or image.depot):
            raise FieldError(
                "workloadDomain.hostImage",
                "the GPU hosts' NVIDIA AI Enterprise driver is not known: declare "
                "nvidiaDriverComponent and nvidiaDriverVersion (the vLCM component you "
                "downloaded for the hosts' ESX build), or depot (the offline depot whose NVIDIA "
                "component the hosts get)",
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment in ("prod", "mission-critical")

    @property
    def waf(self) -> bool:
        """Whether the entry has a WAF: ``network.ingress.waf``, else on in production."""
        ingress = self.network.ingress
        if ingress is None:
            return False
        return self.is_production if ingress.waf is None else ingress.waf


def _check_dr_copy(pattern: str, path: str, database: Database) -> None:
    """The database's DR mechanism must be one the pattern can run, with what it needs."""
    dr = database.dr
    mechanism = dr.mechanism or default_mechanism(pattern)
    if pattern == "none":
        if dr.mechanism not in (None, "none"):
            raise FieldError(
                f"{path}.dr.mechanism",
                f"{dr.mechanism!r} needs a DR site, but paif:dr.pattern is 'none'",
            )
        return
    if mechanism == "logical" and pattern == "pilot-light":
        raise FieldError(
            f"{path}.dr.mechanism",
            "'logical' keeps a subscribed copy running at the DR site, and pilot light runs no "
            "database there (§9.3.3 pattern 1): use 'backup-restore', or declare warm-standby",
        )
    if mechanism == "backup-restore" and (database.backup is None or not database.backup.location):
        raise FieldError(
            f"{path}.dr.mechanism",
            "'backup-restore' creates the DR copy from the primary's backups: declare backup "
            "(schedule, retentionDays, location) on this database",
        )
