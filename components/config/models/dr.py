"""``paif:dr``: the pattern, the peer stack, objectives, GSLB and where backups live (§9.3)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import ConfigModel, DnsName, HttpsUrl, NonEmpty
from paif_components.config.errors import FieldError
from paif_components.config.models.common import DrPattern, DrRole
from paif_components.config.models.site import WorkloadDomain
from paif_components.config.units import Duration


class Peer(ConfigModel):
    stack: NonEmpty
    site: DnsName
    harbor_url: HttpsUrl


class Objectives(ConfigModel):
    rto: Duration
    rpo: Duration


class Gslb(ConfigModel):
    """Avi GSLB for active-active (§9.3.3 pattern 3)."""

    domain: NonEmpty
    ttl: Annotated[int, Field(ge=1)] = 30
    site_persistence: bool = True
    health_monitors: list[NonEmpty] = Field(
        default_factory=lambda: ["/api/healthmonitor?name=System-GSLB-HTTPS"]
    )


class BackupLocation(ConfigModel):
    """Where a DSM backup location keeps its data: which site, encrypted or not (§9.3.2)."""

    site: DnsName
    encrypted: bool = True


class Dr(ConfigModel):
    pattern: DrPattern = "none"
    role: DrRole = "primary"
    peer: Peer | None = None
    objectives: Objectives | None = None
    gslb: Gslb | None = None
    replication_schedule: NonEmpty | None = None
    assumptions: dict[str, bool | int | float | str] = Field(default_factory=dict)
    backup_locations: dict[str, BackupLocation] = Field(default_factory=dict)
    # A DR site's own hosts for the primary's workload-domain-isolated tenants, by tenant name.
    tenant_workload_domains: dict[str, WorkloadDomain] = Field(default_factory=dict)
    # Set on the DR stack when the primary is lost (runbook): the DR site runs at full scale.
    failover: bool = False
    # A DR stack's own DSM backup location for its database copies (one of backupLocations):
    # never the primary's, so the copies' backups and the primary's never mix.
    copy_backup_location: NonEmpty | None = None
    # Worker nodes per VKS cluster at a warm-standby DR site: §9.3.3's example is 2 (5 → 2);
    # a site whose apps need more untainted nodes (one replica per host) declares it here.
    # Other patterns ignore it, so moving between patterns changes only ``pattern``.
    standby_workers: Annotated[int, Field(ge=1)] | None = None

    @field_validator("assumptions")
    @classmethod
    def _known_assumptions(
        cls, value: dict[str, bool | int | float | str]
    ) -> dict[str, bool | int | float | str]:
        from paif_components.estimators import Assumptions, EstimatorError

        try:
            Assumptions.from_mapping(value)
        except EstimatorError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _peer_when_needed(self) -> Dr:
        if self.pattern != "none" and self.peer is None:
            raise FieldError(
                "peer", f"pattern {self.pattern!r} needs a peer (stack, site, harborUrl)"
            )
        if self.role == "dr" and self.pattern == "none":
            raise FieldError(
                "pattern", "role 'dr' needs a pattern: pilot-light, warm-standby or active-active"
            )
        if self.failover and self.role != "dr":
            raise FieldError("failover", "only a DR stack (role 'dr') can be failed over")
        if self.pattern == "active-active" and self.gslb is None:
            raise FieldError("gslb", "pattern 'active-active' needs gslb (domain, healthMonitors)")
        if self.standby_workers is not None and self.role != "dr":
            raise FieldError(
                "standbyWorkers",
                "only a DR stack runs reduced VKS clusters (warm standby; other patterns "
                "ignore it)",
            )
        if self.copy_backup_location is not None:
            if self.role != "dr":
                raise FieldError(
                    "copyBackupLocation",
                    "only a DR stack backs up database copies; a primary names each "
                    "database's backup.location",
                )
            if self.copy_backup_location not in self.backup_locations:
                known = ", ".join(sorted(self.backup_locations)) or "none declared"
                raise FieldError(
                    "copyBackupLocation",
                    f"{self.copy_backup_location!r} is not in backupLocations ({known}): "
                    "declare its site so the copies' backups can be located",
                )
        return self
