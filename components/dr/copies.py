"""Each database's copy at the DR site: which mechanism feeds it, and every name it needs.

The primary stack and the DR stack derive the same :class:`DatabaseRole` (the contract's,
:mod:`paif_components.contract.dr_databases`: plan.json records it) per database from the
primary's config (``paif:tenants[].databases[].dr``, paif_components.config.models.dr_copy), each
from its side: the primary's writer publishes, the DR copy subscribes (``logical``) or is
restored at failover from the primary's backups (``backup-restore``). Names are fixed here and
in the contract (the replication's), once, so the components, the estimate, the runbook and
plan.json (issue 21's drill reads them) agree:

- the DR copy's ``PostgresCluster`` is ``<database>-<dr-site>``: its own name, so its backups
  never land under the primary's name, and a restore at the DR site never reads or overwrites
  the primary's backups (PAIF-DR-012 holds the backup target apart);
- logical replication: publication and slot ``paif_dr_<database>`` on the primary, the
  subscription of the same name on the copy, logging in as :data:`REPLICATION_USER`.

The DR copy is never a writer until the DR stack is failed over (§9.3.3: one writer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from paif_components.config.models import Database, Tenant
from paif_components.config.models.dr_copy import (
    DEFAULT_LAG_BUDGET_SECONDS,
    DEFAULT_SLOT_RETENTION_SECONDS,
    DEFAULT_WAL_PER_SECOND,
)
from paif_components.config.units import parse_quantity
from paif_components.contract.dr_databases import LOGICAL_PLUGIN as LOGICAL_PLUGIN
from paif_components.contract.dr_databases import REPLICATION_USER as REPLICATION_USER
from paif_components.contract.dr_databases import DatabaseMode as DatabaseMode
from paif_components.contract.dr_databases import DatabaseRole as DatabaseRole
from paif_components.contract.dr_databases import replication_name as replication_name

# A Kubernetes object name (DNS-1123 label) holds at most 63 characters.
MAX_CLUSTER_NAME: Final = 63


def copy_cluster_name(database: str, dr_site: str) -> str:
    """The DR copy's PostgresCluster name (``<database>-<dr-site>``), a DNS-1123 label."""
    name = f"{database}-{dr_site}"
    if len(name) <= MAX_CLUSTER_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_CLUSTER_NAME - 9].rstrip('-')}-{digest}"


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
