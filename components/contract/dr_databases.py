"""A database's DR role at a site (an entry of ``estimates.topology.databases``), the one class
the writer builds and every reader reads.

:func:`paif_components.dr.copies.database_roles` builds a :class:`DatabaseRole` per database;
the components, the estimate and the runbook use its attributes, and plan.json records its
:meth:`~DatabaseRole.to_json`. Which keys an entry has depends on the mechanism that feeds the
copy (``paif:tenants[].databases[].dr.mechanism``): ``logical`` (publication, slot,
subscription, the lag budget) only for logical replication, ``backupRestore`` (what the copy
is restored from) only for ``backup-restore``. The record holds those as optional fields;
the replication's object names are derived from the database's name (:func:`replication_name`),
so writer and readers cannot disagree on them.

``from_json`` is tolerant (``paif diff --base`` reads older plans, plan.json drops keys that
hold null, tests feed partial topologies): a missing field reads as its default (an empty
``mechanism``: not recorded), and a missing ``mode`` from ``running`` (a copy that does not run
is restored from backup; one that runs is the writer).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from paif_components.contract.json_read import (
    JsonMap,
    integer,
    mapping,
    member,
    number,
    strings,
    text,
)

__all__ = [
    "LOGICAL_PLUGIN",
    "MAX_IDENTIFIER",
    "REPLICATION_USER",
    "DatabaseMode",
    "DatabaseRole",
    "replication_name",
]

# The role the subscription logs in as on the primary: LOGIN REPLICATION, password from the
# stacks' secret config (``dsm:replicationPassword``).
REPLICATION_USER: Final = "paif_replicator"
# Logical decoding plugin of the slot (PostgreSQL's built-in output plugin for publications).
LOGICAL_PLUGIN: Final = "pgoutput"
# PostgreSQL identifiers (slot names in particular) hold at most 63 bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER: Final = 63


class DatabaseMode(StrEnum):
    """What a database's copy is at this site."""

    WRITER = "writer"  # the one read/write primary of the pair
    SUBSCRIBER = "logical-subscriber"  # runs, fed by the primary's publication; never written
    RESTORE_FROM_BACKUP = "restore-from-backup"  # nothing runs; restored from backups at failover
    NO_COPY = "no-copy"  # mechanism 'none': nothing to fail over to


def _identifier(name_text: str) -> str:
    """A PostgreSQL identifier (and slot name: ``[a-z0-9_]``) of at most 63 bytes."""
    name = re.sub(r"[^a-z0-9_]", "_", name_text.lower())
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def replication_name(database: str) -> str:
    """Publication, slot and subscription name of ``database``'s logical replication."""
    return _identifier(f"paif_dr_{database}")


def _mode(raw: JsonMap) -> DatabaseMode:
    mode = member(raw.get("mode"), DatabaseMode)
    if mode is not None:
        return mode
    return DatabaseMode.RESTORE_FROM_BACKUP if raw.get("running") is False else DatabaseMode.WRITER


@dataclass(frozen=True)
class DatabaseRole:
    """One database at this site in the cross-site pair, and how its DR copy is fed.

    ``cluster_name`` is the PostgresCluster at this site; ``primary_cluster`` and
    ``copy_cluster`` name both ends. ``backup_location`` is where this site's copy backs up
    (the primary's location at the primary, ``paif:dr.copyBackupLocation`` at the DR site);
    ``primary_backup_location`` is what a ``backup-restore`` copy is restored from. The lag
    budget, slot retention and WAL rate are set for a logical copy only, the WAL archive
    interval for a ``backup-restore`` one only (module doc).
    """

    tenant: str
    name: str
    namespace: str
    mode: DatabaseMode
    mechanism: str
    writer_site: str
    primary_site: str
    copy_site: str | None
    source_stack: str | None
    cluster_name: str
    primary_cluster: str
    copy_cluster: str | None
    backup_location: str | None
    primary_backup_location: str | None
    backup_schedules: tuple[str, ...]
    retention_days: int | None
    storage: str
    # "vector" (pgvector, ``databases``) or "app" (§9.3.2 item 4, ``appDatabases``).
    kind: str = "vector"
    lag_budget_seconds: int | None = None
    slot_retention_seconds: int | None = None
    wal_bytes_per_second: float | None = None
    wal_archive_interval_seconds: int | None = None

    @property
    def writer(self) -> bool:
        return self.mode is DatabaseMode.WRITER

    @property
    def running(self) -> bool:
        """False where nothing runs yet: a copy restored (or started empty) at failover."""
        return self.mode in (DatabaseMode.WRITER, DatabaseMode.SUBSCRIBER)

    @property
    def logical(self) -> bool:
        return self.mechanism == "logical"

    @property
    def publication(self) -> str | None:
        return replication_name(self.name) if self.logical else None

    @property
    def slot(self) -> str | None:
        return replication_name(self.name) if self.logical else None

    @property
    def subscription(self) -> str | None:
        return replication_name(self.name) if self.logical else None

    @property
    def replication_user(self) -> str | None:
        return REPLICATION_USER if self.logical else None

    @property
    def max_slot_wal_keep_size_mb(self) -> int | None:
        """``max_slot_wal_keep_size`` (MB) that keeps ``slotRetention`` of WAL for the copy."""
        if not self.logical or self.slot_retention_seconds is None:
            return None
        rate = self.wal_bytes_per_second or 0.0
        return max(1, -(-int(self.slot_retention_seconds * rate) // 2**20))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenant": self.tenant,
            "name": self.name,
            "namespace": self.namespace,
            "kind": self.kind,
            "mode": self.mode.value,
            "mechanism": self.mechanism,
            "writer": self.writer,
            "running": self.running,
            "writerSite": self.writer_site,
            "primarySite": self.primary_site,
            "copySite": self.copy_site,
            "sourceStack": self.source_stack,
            "clusterName": self.cluster_name,
            "primaryCluster": self.primary_cluster,
            "copyCluster": self.copy_cluster,
            "backupLocation": self.backup_location,
            "primaryBackupLocation": self.primary_backup_location,
            "backupSchedules": list(self.backup_schedules),
            "retentionDays": self.retention_days,
            "storage": self.storage,
        }
        if self.logical:
            out["logical"] = {
                "publication": self.publication,
                "slot": self.slot,
                "subscription": self.subscription,
                "replicationUser": self.replication_user,
                "plugin": LOGICAL_PLUGIN,
                "lagBudgetSeconds": self.lag_budget_seconds,
                "slotRetentionSeconds": self.slot_retention_seconds,
                "walBytesPerSecond": self.wal_bytes_per_second,
                "maxSlotWalKeepSizeMb": self.max_slot_wal_keep_size_mb,
            }
        if self.mechanism == "backup-restore":
            out["backupRestore"] = {
                "restoreFrom": self.primary_backup_location,
                "sourceCluster": self.primary_cluster,
                "walArchiveIntervalSeconds": self.wal_archive_interval_seconds,
            }
        return out

    @classmethod
    def from_json(cls, raw: JsonMap) -> DatabaseRole:
        """Tolerant (module doc). The replication's names are derived again from ``name``."""
        logical = mapping(raw.get("logical")) or {}
        restore = mapping(raw.get("backupRestore")) or {}
        name = text(raw.get("name")) or ""
        retention, lag, slot = (
            raw.get("retentionDays"),
            logical.get("lagBudgetSeconds"),
            logical.get("slotRetentionSeconds"),
        )
        interval = restore.get("walArchiveIntervalSeconds")
        return cls(
            tenant=text(raw.get("tenant")) or "",
            name=name,
            namespace=text(raw.get("namespace")) or "",
            mode=_mode(raw),
            mechanism=text(raw.get("mechanism")) or "",
            writer_site=text(raw.get("writerSite")) or "",
            primary_site=text(raw.get("primarySite")) or "",
            copy_site=text(raw.get("copySite")),
            source_stack=text(raw.get("sourceStack")),
            cluster_name=text(raw.get("clusterName")) or name,
            primary_cluster=text(raw.get("primaryCluster")) or name,
            copy_cluster=text(raw.get("copyCluster")),
            backup_location=text(raw.get("backupLocation")),
            primary_backup_location=text(raw.get("primaryBackupLocation")),
            backup_schedules=strings(raw.get("backupSchedules")),
            retention_days=integer(retention) if retention is not None else None,
            storage=text(raw.get("storage")) or "",
            kind=text(raw.get("kind")) or "vector",
            lag_budget_seconds=integer(lag) if lag is not None else None,
            slot_retention_seconds=integer(slot) if slot is not None else None,
            wal_bytes_per_second=number(logical.get("walBytesPerSecond")),
            wal_archive_interval_seconds=integer(interval) if interval is not None else None,
        )
