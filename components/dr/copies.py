"""Each database's copy at the DR site: which mechanism feeds it, and every name it needs.

The primary stack and the DR stack derive the same :class:`DatabaseRole` per database from the
primary's config (``paif:tenants[].databases[].dr``, paif_components.config.models.dr_copy), each
from its side: the primary's writer publishes, the DR copy subscribes (``logical``) or is
restored at failover from the primary's backups (``backup-restore``). Names are fixed here,
once, so the components, the estimate, the runbook and plan.json (issue 21's drill reads
them) agree:

- the DR copy's ``PostgresCluster`` is ``<database>-<dr-site>``: its own name, so its backups
  never land under the primary's name, and a restore at the DR site never reads or overwrites
  the primary's backups (PAIF-DR-012 holds the backup target apart);
- logical replication: publication and slot ``paif_dr_<database>`` on the primary, the
  subscription of the same name on the copy, logging in as :data:`REPLICATION_USER`.

The DR copy is never a writer until the DR stack is failed over (§9.3.3: one writer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from paif_components.config.models import Database, Tenant
from paif_components.config.models.dr_copy import (
    DEFAULT_LAG_BUDGET_SECONDS,
    DEFAULT_SLOT_RETENTION_SECONDS,
    DEFAULT_WAL_PER_SECOND,
)
from paif_components.config.units import parse_quantity

# The role the subscription logs in as on the primary: LOGIN REPLICATION, password from the
# stacks' secret config (``dsm:replicationPassword``).
REPLICATION_USER: Final = "paif_replicator"
# Logical decoding plugin of the slot (PostgreSQL's built-in output plugin for publications).
LOGICAL_PLUGIN: Final = "pgoutput"
# PostgreSQL identifiers (slot names in particular) hold at most 63 bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER: Final = 63
# A Kubernetes object name (DNS-1123 label) holds at most 63 characters.
MAX_CLUSTER_NAME: Final = 63


class DatabaseMode(StrEnum):
    """What a database's copy is at this site."""

    WRITER = "writer"  # the one read/write primary of the pair
    SUBSCRIBER = "logical-subscriber"  # runs, fed by the primary's publication; never written
    RESTORE_FROM_BACKUP = "restore-from-backup"  # nothing runs; restored from backups at failover
    NO_COPY = "no-copy"  # mechanism 'none': nothing to fail over to


def _identifier(text: str) -> str:
    """A PostgreSQL identifier (and slot name: ``[a-z0-9_]``) of at most 63 bytes."""
    name = re.sub(r"[^a-z0-9_]", "_", text.lower())
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def replication_name(database: str) -> str:
    """Publication, slot and subscription name of ``database``'s logical replication."""
    return _identifier(f"paif_dr_{database}")


def copy_cluster_name(database: str, dr_site: str) -> str:
    """The DR copy's PostgresCluster name (``<database>-<dr-site>``), a DNS-1123 label."""
    name = f"{database}-{dr_site}"
    if len(name) <= MAX_CLUSTER_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_CLUSTER_NAME - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class DatabaseRole:
    """One database at this site in the cross-site pair, and how its DR copy is fed.

    ``cluster_name`` is the PostgresCluster at this site; ``primary_cluster`` and
    ``copy_cluster`` name both ends. ``backup_location`` is where this site's copy backs up
    (the primary's location at the primary, ``paif:dr.copyBackupLocation`` at the DR site);
    ``primary_backup_location`` is what a ``backup-restore`` copy is restored from.
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

    def to_dict(self) -> dict[str, Any]:
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


def _schedules(database: Database) -> tuple[str, ...]:
    backup = database.backup
    if backup is None:
        return ()
    return tuple(s for s in (backup.schedule, backup.incremental_schedule) if s)


def database_roles(
    tenants: Sequence[Tenant],
    *,
    pattern: str,
    site: str,
    primary_site: str,
    dr_site: str | None,
    failover: bool,
    source_stack: str | None,
    copy_backup_location: str | None,
) -> dict[tuple[str, str], DatabaseRole]:
    """Every database's role at ``site`` (the primary's, or the DR site's): module doc."""
    is_primary = site == primary_site
    roles: dict[tuple[str, str], DatabaseRole] = {}
    for tenant in tenants:
        declared = [("vector", d) for d in tenant.databases]
        declared += [("app", d) for d in tenant.app_databases]
        for kind, db in declared:
            mechanism = db.dr.resolved_mechanism(pattern) if dr_site else "none"
            copy = copy_cluster_name(db.name, dr_site) if dr_site else None
            if is_primary:
                mode, cluster, location = DatabaseMode.WRITER, db.name, _location(db)
            else:
                assert copy is not None
                cluster, location = copy, copy_backup_location
                mode = {
                    "logical": DatabaseMode.SUBSCRIBER,
                    "backup-restore": DatabaseMode.RESTORE_FROM_BACKUP,
                }.get(mechanism, DatabaseMode.NO_COPY)
                if failover:
                    mode = DatabaseMode.WRITER
            logical = mechanism == "logical"
            wal = db.dr.wal_per_second or DEFAULT_WAL_PER_SECOND
            roles[(tenant.name, db.name)] = DatabaseRole(
                tenant=tenant.name,
                name=db.name,
                namespace=tenant.namespace,
                mode=mode,
                mechanism=mechanism,
                writer_site=site if (not is_primary and failover) else primary_site,
                primary_site=primary_site,
                copy_site=dr_site,
                source_stack=None if is_primary or failover else source_stack,
                cluster_name=cluster,
                primary_cluster=db.name,
                copy_cluster=copy,
                backup_location=location,
                primary_backup_location=_location(db),
                backup_schedules=_schedules(db),
                retention_days=db.backup.retention_days if db.backup else None,
                storage=db.storage,
                kind=kind,
                lag_budget_seconds=(db.dr.lag_budget or DEFAULT_LAG_BUDGET_SECONDS)
                if logical
                else None,
                slot_retention_seconds=(db.dr.slot_retention or DEFAULT_SLOT_RETENTION_SECONDS)
                if logical
                else None,
                wal_bytes_per_second=parse_quantity(wal) if logical else None,
                wal_archive_interval_seconds=db.dr.wal_archive_interval
                if mechanism == "backup-restore"
                else None,
            )
    return roles


def _location(database: Database) -> str | None:
    return database.backup.location if database.backup else None
