"""How each database's copy at the DR site is fed: ``paif:tenants[].databases[].dr`` (and
``appDatabases[].dr``).

A DR copy is real only through a mechanism the stack builds (docs/architecture.md, "Disaster
recovery"):

``logical``
    PostgreSQL logical replication: a publication and a replication slot on the primary's DSM
    cluster, a subscription on the DR copy (``pulumi-postgresql`` resources). RPO: the lag
    budget, while the slot retains the WAL the subscriber still needs.
``streaming``
    A physical standby of the primary's cluster at the other site. Refused: DSM's Kubernetes
    API has no field that makes a ``PostgresCluster`` a standby of another DSM installation's
    cluster (its ``spec.replicas`` are HA members of one cluster at one site), so the stack
    cannot build it (schemas/SOURCES.md lists the fields DSM publishes).
``backup-restore``
    Nothing runs at the DR site; the copy is created at failover from the primary's backups
    (backup location, retention and, when ``walArchiveInterval`` is set, WAL archiving). RPO:
    the WAL archive interval, else the backup interval.
``none``
    No copy. Only where the stack says so; the RPO is unbounded.

Defaults per pattern are buildable from public APIs: pilot light restores from backups, warm
standby and active-active subscribe logically. Bidirectional replication is refused (§9.3.3
warns against writing one pgvector database at both sites).

The numbers below are project defaults, not the source document's.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from paif_components.config.base import ConfigModel
from paif_components.config.errors import FieldError
from paif_components.config.units import Duration, Quantity

DrMechanism = Literal["logical", "streaming", "backup-restore", "none"]
MECHANISMS: Final = ("logical", "streaming", "backup-restore", "none")

# Project default: a subscription may fall this far behind before the copy counts as late.
# Logical replication is normally sub-second behind; 30 s bounds write bursts and WAN hiccups
# (the same figure the estimate assumed for asynchronous replication before mechanisms).
DEFAULT_LAG_BUDGET_SECONDS: Final = 30
# Project default: how long the primary keeps WAL for a disconnected subscriber before the slot
# is invalidated (max_slot_wal_keep_size = slotRetention × walPerSecond).
DEFAULT_SLOT_RETENTION_SECONDS: Final = 6 * 3600
# Project default: WAL the primary writes per second at peak, to size the slot's retention.
DEFAULT_WAL_PER_SECOND: Final = "1Mi"

# What each pattern builds when a database names no mechanism (all buildable on DSM's API).
PATTERN_DEFAULT_MECHANISM: Final[dict[str, str]] = {
    "pilot-light": "backup-restore",
    "warm-standby": "logical",
    "active-active": "logical",
}

STREAMING_REFUSED: Final = (
    "'streaming' needs the DR copy to be a physical standby of the primary's DSM cluster, and "
    "DSM's Kubernetes API (databases.dataservices.vmware.com/v1alpha1 PostgresCluster) has no "
    "field for a standby of another DSM installation's cluster: its spec.replicas are HA "
    "members of one cluster at one site (schemas/SOURCES.md). Use 'logical' (a publication, "
    "slot and subscription the stack builds) or 'backup-restore'"
)
BIDIRECTIONAL_REFUSED: Final = (
    "bidirectional replication is refused: §9.3.3 warns that writing one pgvector database at "
    "both sites diverges it beyond repair (and logical replication both ways loops every "
    "change back); keep one writer and let the DR copy subscribe ('logical', one way)"
)


def default_mechanism(pattern: str) -> str:
    """The mechanism a pattern builds for a database that declares none ('none' without DR)."""
    return PATTERN_DEFAULT_MECHANISM.get(pattern, "none")


class DatabaseDr(ConfigModel):
    """The DR copy of one database: its mechanism and that mechanism's parameters."""

    mechanism: DrMechanism | None = None
    # logical (and streaming, were it buildable): lag budget and slot retention.
    lag_budget: Duration | None = None
    slot_retention: Duration | None = None
    wal_per_second: Quantity | None = None
    # backup-restore: archive WAL at least this often (PostgreSQL archive_timeout).
    wal_archive_interval: Annotated[Duration, Field(ge=1)] | None = None
    bidirectional: bool = False

    @model_validator(mode="after")
    def _buildable(self) -> DatabaseDr:
        if self.bidirectional:
            raise FieldError("bidirectional", BIDIRECTIONAL_REFUSED)
        if self.mechanism == "streaming":
            raise FieldError("mechanism", STREAMING_REFUSED)
        replication_keys = {
            "lagBudget": self.lag_budget,
            "slotRetention": self.slot_retention,
            "walPerSecond": self.wal_per_second,
        }
        if self.mechanism in ("backup-restore", "none"):
            for key, value in replication_keys.items():
                if value is not None:
                    raise FieldError(
                        key,
                        f"belongs to logical replication; mechanism {self.mechanism!r} "
                        "replicates nothing",
                    )
        if self.mechanism in ("logical", "none") and self.wal_archive_interval is not None:
            raise FieldError(
                "walArchiveInterval",
                f"belongs to backup-restore (archive_timeout of the WAL the copy is restored "
                f"from); mechanism is {self.mechanism!r}",
            )
        if self.lag_budget is not None and self.lag_budget < 1:
            raise FieldError("lagBudget", "must be at least 1s")
        if (
            self.slot_retention is not None
            and self.lag_budget is not None
            and self.slot_retention < self.lag_budget
        ):
            raise FieldError(
                "slotRetention",
                f"{self.slot_retention}s is shorter than lagBudget {self.lag_budget}s: the "
                "slot would drop WAL the subscriber still needs within its own budget",
            )
        return self

    def resolved_mechanism(self, pattern: str) -> str:
        return self.mechanism or default_mechanism(pattern)
