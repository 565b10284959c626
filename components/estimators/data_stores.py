"""RPO and recovery time of one database from the mechanism that feeds its DR copy (§9.3).

Pure arithmetic: each figure comes from the mechanism the stack declares and its parameters,
never from the pattern's name. Every result says which mechanism and which formula it took.

==================  ==========================================  ==============================
mechanism           RPO                                         recovery (RTO term)
==================  ==========================================  ==============================
streaming (sync)    0: a commit returns once the standby has it  promotion
streaming / logical lag budget, while the slot keeps the WAL the  promotion (streaming), or stop
                    copy still needs (slot retention ≥ lag        the subscription, set the
                    budget); unbounded once the slot can drop it  sequences, repoint (logical)
backup-restore      WAL archive interval when WAL is archived,   provision + size / restore
                    else the backup interval; unbounded when the  throughput
                    backups stay at the primary site
none                unbounded (declared: nothing to recover)     provision an empty cluster
==================  ==========================================  ==============================

``streaming`` is arithmetic only: the stack refuses it (DSM's API offers no cross-site standby,
paif_components.config.models.dr_copy), the estimator keeps it so the formula is on record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from paif_components.estimators.durations import format_duration
from paif_components.estimators.errors import EstimatorError

# §9.3.3 pattern 1: "RPO per backup period (usually hours)". DSM backups run daily by default.
DEFAULT_BACKUP_INTERVAL_SECONDS: Final = 86400.0


class Mechanism(StrEnum):
    LOGICAL = "logical"
    STREAMING = "streaming"
    BACKUP_RESTORE = "backup-restore"
    NONE = "none"


def _seconds(subject: str, name: str, value: float | None, *, positive: bool = False) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        bound = "> 0" if positive else "≥ 0"
        raise EstimatorError(
            f"{subject}: {name} must be a number of seconds {bound}, got {value!r}"
        )


@dataclass(frozen=True)
class DatabaseFacts:
    """A pgvector or app database and the mechanism that feeds its DR copy.

    ``mechanism`` ``None`` takes the pattern's default (:meth:`DrTopology.mechanism`).
    ``lag_budget_seconds`` ``None`` takes the ``asyncReplicationLagSeconds`` assumption;
    ``slot_retention_seconds`` ``None`` is a slot without a retention limit. For backup-restore,
    ``wal_archive_interval_seconds`` (or ``wal_archiving`` with the ``walArchiveTimeoutSeconds``
    assumption) bounds the loss below the backup interval.
    """

    name: str
    size_gib: float
    mechanism: str | None = None
    backup_interval_seconds: float = DEFAULT_BACKUP_INTERVAL_SECONDS
    backups_off_site: bool = True
    wal_archiving: bool = False
    wal_archive_interval_seconds: float | None = None
    lag_budget_seconds: float | None = None
    slot_retention_seconds: float | None = None
    synchronous: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise EstimatorError(f"database name must be a non-empty string, got {self.name!r}")
        subject = f"database {self.name!r}"
        if (
            isinstance(self.size_gib, bool)
            or not isinstance(self.size_gib, int | float)
            or not math.isfinite(self.size_gib)
            or self.size_gib < 0
        ):
            raise EstimatorError(f"{subject}: size_gib must be a number ≥ 0, got {self.size_gib!r}")
        if self.mechanism is not None:
            try:
                object.__setattr__(self, "mechanism", Mechanism(self.mechanism).value)
            except ValueError:
                choices = ", ".join(repr(m.value) for m in Mechanism)
                raise EstimatorError(
                    f"{subject}: mechanism {self.mechanism!r} is not one of {choices}"
                ) from None
        _seconds(subject, "backup_interval_seconds", self.backup_interval_seconds, positive=True)
        _seconds(subject, "wal_archive_interval_seconds", self.wal_archive_interval_seconds)
        _seconds(subject, "lag_budget_seconds", self.lag_budget_seconds)
        _seconds(subject, "slot_retention_seconds", self.slot_retention_seconds)
        if self.synchronous and self.mechanism not in (None, Mechanism.STREAMING.value):
            raise EstimatorError(
                f"{subject}: synchronous applies to streaming replication only, not "
                f"{self.mechanism!r}"
            )


@dataclass(frozen=True)
class Figure:
    """One database's RPO (``None``: unbounded) or recovery time, and how it was reached."""

    seconds: float | None
    explanation: str


def rpo(
    d: DatabaseFacts,
    mechanism: Mechanism,
    *,
    default_lag_seconds: float,
    default_archive_seconds: float,
) -> Figure:
    """The data ``d`` loses when the primary site goes (module table)."""
    if mechanism is Mechanism.NONE:
        return Figure(
            None,
            f"database {d.name}: mechanism 'none' keeps no copy at the DR site (declared), so "
            "its data is lost with the primary site",
        )
    if mechanism is Mechanism.STREAMING and d.synchronous:
        return Figure(
            0.0,
            "streaming, synchronous: a commit returns only once the standby has it (§9.3.3: "
            "RPO 0).",
        )
    if mechanism in (Mechanism.LOGICAL, Mechanism.STREAMING):
        lag = d.lag_budget_seconds if d.lag_budget_seconds is not None else default_lag_seconds
        what = (
            "logical replication (publication → slot → subscription)"
            if mechanism is Mechanism.LOGICAL
            else "streaming replication, asynchronous"
        )
        retention = d.slot_retention_seconds
        if retention is not None and retention < lag:
            return Figure(
                None,
                f"database {d.name}: {mechanism.value}: the slot keeps "
                f"{format_duration(retention)} of WAL, less than the lag budget "
                f"{format_duration(lag)}, so the primary can drop WAL the copy still needs and "
                "the copy stops being fed",
            )
        kept = (
            f"; the slot keeps {format_duration(retention)} of WAL for a disconnected copy"
            if retention is not None
            else ""
        )
        return Figure(
            lag,
            f"{what}: commits not yet applied at the copy are lost, at most the lag budget "
            f"{format_duration(lag)}{kept}.",
        )
    if not d.backups_off_site:
        return Figure(
            None,
            f"database {d.name}: backups are kept only at the primary site, so the DR site can "
            "neither restore it nor recover its data (PAIF-DR-008)",
        )
    archive = d.wal_archive_interval_seconds
    if archive is None and d.wal_archiving:
        archive = default_archive_seconds
    if archive is not None:
        return Figure(
            archive,
            f"backup-restore with WAL archived at least every {format_duration(archive)} "
            "(archive_timeout): at most that much of the WAL is not yet in the backup location.",
        )
    return Figure(
        d.backup_interval_seconds,
        "backup-restore from the last backup: everything since it is lost (backups every "
        f"{format_duration(d.backup_interval_seconds)}; §9.3.3 pattern 1).",
    )


def recovery(
    d: DatabaseFacts,
    mechanism: Mechanism,
    *,
    promotion_seconds: float,
    provision_seconds: float,
    restore_mib_per_second: float,
) -> Figure:
    """How long bringing ``d`` up as the writer at the DR site takes (module table)."""
    if mechanism is Mechanism.BACKUP_RESTORE:
        restore = d.size_gib * 1024 / restore_mib_per_second
        return Figure(
            provision_seconds + restore,
            f"{d.name} (backup-restore): a DSM cluster is provisioned and {d.size_gib:g} GiB "
            f"restored from backup at {restore_mib_per_second:g} MiB/s (§9.3.2 item 2).",
        )
    if mechanism is Mechanism.NONE:
        return Figure(
            provision_seconds,
            f"{d.name} (none): an empty DSM cluster is provisioned; no data comes back.",
        )
    if mechanism is Mechanism.LOGICAL:
        return Figure(
            promotion_seconds,
            f"{d.name} (logical): the subscription is stopped, sequences are set past the "
            "copied rows and clients are repointed to the copy.",
        )
    return Figure(
        promotion_seconds,
        f"{d.name} (streaming): the standby at the DR site is promoted and clients reconnect "
        "(§9.2.3).",
    )
