"""The tenant's vector database: a DSM ``PostgresCluster`` with pgvector (§9.2.3, §9.3.2 item 2).

DSM (VMware Data Services Manager) manages PostgreSQL HA itself: a primary (read/write,
pgvector) streams to a standby, a monitor fails over automatically and the VIP moves (§9.2.3).
This component declares that cluster as code in the tenant namespace, with backups, and
exports how to connect without ever holding the password.

Fields used (``databases.dataservices.vmware.com/v1alpha1``), with where they are documented:

- ``spec.replicas``, ``version``, ``storageSpace``, ``storagePolicyName``, ``adminUsername``,
  ``databaseName``, ``infrastructurePolicy.name``, ``backupLocation.name``,
  ``backupConfig.backupRetentionDays``, ``backupConfig.schedules[{name, type full|incremental,
  schedule}]``, ``databaseConfig.name``: Broadcom "VMware Data Services Manager Kubernetes API"
  samples, PostgresCluster "With custom db param, backup config & 1 replica"
  (developer.broadcom.com/xapis/vmware-data-services-manager-kubernetes-api, 2.2.1 and 9.0.x).
- ``spec.vmClass.name``: the DSM Terraform samples (``kubernetes_manifest`` PostgresCluster,
  vmware-samples) and the DSM Aria Automation actions, which also show that
  ``spec.replicas`` counts *replicas*, not nodes: DSM topology "1 (Primary + Monitor), 0
  Replica" is ``replicas: 0``; the HA topology "3 (1 Primary, 1 Replica, 1 Monitor)" is
  ``replicas: 1``.
- ``DatabaseConfig`` (``spec.params``): same API samples; referenced by
  ``spec.databaseConfig.name``.
- Connection: DSM publishes ``status.connection`` (host, port, dbname, username,
  passwordRef) and keeps the admin password in a Secret named after the cluster, key
  ``password``, in the cluster's namespace (DSM Aria Automation actions read it there).

Where the docs are silent (our choices, documented here):

- Synchronous vs asynchronous in-site replication has no PostgresCluster field, and DSM
  documents no synchronous-standby mode. The stack asks through the ``DatabaseConfig`` with
  PostgreSQL's own ``synchronous_commit`` (``on`` for ``replication: sync``, else ``local``)
  and states it as the annotation ``paif.vmware.com/replication``; whether a commit waits for
  the standby depends on ``synchronous_standby_names``, which DSM manages, so the estimate
  counts the asynchronous window for a failover inside the site (``estimates.inSiteHa``).
- Backup encryption is a property of the DSM backup location (an S3 bucket); the declared
  intent is the annotation ``paif.vmware.com/backup-encrypted``.
- ``pulumi.com/waitFor: condition=Ready`` (pulumi-kubernetes ≥ 4.18 annotation) makes
  ``pulumi up`` wait for DSM's Ready condition, so ``status.connection`` is filled when the
  outputs are read; DSM provisioning takes tens of minutes, hence the 30-minute timeout.

Every other fact is a ``paif.vmware.com/`` annotation, never an invented spec field (the DSM
schema in ``schemas/dsm/`` rejects those): ``ha``, ``replication`` (in-site), ``sslmode``,
``extensions``, ``backup-encrypted``, and the DR copy's ``dr-mode`` (``writer``,
``logical-subscriber``; a ``backup-restore`` or ``none`` copy renders no cluster until
failover), ``dr-mechanism``, ``writer-site``, ``primary-cluster``/``copy-cluster``,
``primary-backup-location`` and, for ``logical``, ``dr-publication``, ``dr-slot``,
``dr-subscription``, ``dr-replication-user``, ``dr-lag-budget-seconds``,
``dr-slot-retention-seconds`` (paif_components.dr.copies names them). ``logical`` replication
itself is built by paif_components.database_replication; the cluster's DatabaseConfig carries what
PostgreSQL needs for it (``wal_level: logical``, ``max_slot_wal_keep_size``), and
``backup-restore`` with ``walArchiveInterval`` sets ``archive_timeout``.

``CREATE EXTENSION vector`` is a ``postgresql.Extension`` where the stack replicates logically
(both sides); otherwise the application's schema migration runs it (DSM ships pgvector with its
PostgreSQL images) and the component states it in the connection output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

import pulumi
import pulumi_kubernetes as k8s

from paif_components.config.models import Database, Tenant
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import (
    BACKUP_ENCRYPTED_ANNOTATION,
    DR_MODE_ANNOTATION,
    PRIMARY_BACKUP_LOCATION_ANNOTATION,
    PRIMARY_CLUSTER_ANNOTATION,
    REPLICATION_ANNOTATION,
    SSLMODE_ANNOTATION,
    TENANT_LABEL,
)
from paif_components.database_replication import (
    DsmEndpoint,
    ReplicationPublisher,
    ReplicationSubscriber,
)
from paif_components.dr.copies import DatabaseMode, DatabaseRole
from paif_components.errors import ComponentInputError
from paif_components.tenant_namespace import (
    DATABASE_KIND_LABEL,
    TIER_DATA,
    VECTOR_DATA_KIND,
)
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import TIER_LABEL

PGVECTOR_DATABASE_TYPE: Final = tokens.PAIF_PGVECTOR_DATABASE
DSM_API_VERSION: Final = "databases.dataservices.vmware.com/v1alpha1"

# §9.2.3 pgvector HA: primary + standby (+ DSM monitor). DSM counts replicas, not nodes.
DSM_HA_REPLICAS: Final = 1
DSM_SINGLE_SERVER_REPLICAS: Final = 0
# PostgreSQL's default port; DSM reports the real one in status.connection.port.
POSTGRES_PORT: Final = 5432
DEFAULT_ADMIN_USERNAME: Final = "pgadmin"
# Key of the admin password in the Secret DSM creates next to the cluster.
DSM_PASSWORD_KEY: Final = "password"
# §9.2.3 "synchronous vs asynchronous replication (consistency vs performance)".
SYNCHRONOUS_COMMIT: Final[dict[str, str]] = {"sync": "on", "async": "local"}
# DSM provisions VMs and PostgreSQL: allow 30 minutes (the DSM Terraform samples' create
# timeout) before `pulumi up` gives up waiting for Ready.
DSM_READY_TIMEOUT_SECONDS: Final = 1800


def _cron_ok(value: str) -> bool:
    return len(value.split()) == 5


@dataclass(frozen=True)
class DsmDatabaseArgs:
    """One DSM database of a tenant: a pgvector database, or an app database (``app_database``).

    ``storage_policy`` defaults to the site's storage policy (§9.2.3: vSAN or shared storage);
    ``infrastructure_policy`` names the DSM infrastructure policy when DSM runs standalone
    (omit it when the Supervisor namespace supplies placement).
    """

    tenant: Tenant
    database: Database
    ctx: SiteContext
    storage_policy: str | None = None
    infrastructure_policy: str | None = None
    admin_username: str = DEFAULT_ADMIN_USERNAME
    # This copy's place in the cross-site pair (paif_components.dr.topology); None: a lone writer.
    dr_role: DatabaseRole | None = None
    # Where the tenant declares it: ``databases`` (pgvector) or ``appDatabases``.
    config_key: Literal["databases", "appDatabases"] = "databases"
    # Logical replication (paif_components.database_replication): the replication role's password
    # (secret config ``dsm:replicationPassword``) and, at the DR site, the primary's
    # connection (host, port, dbname) read through the DR stack's StackReference.
    replication_password: pulumi.Input[str] | None = None
    primary_connection: pulumi.Input[Any] | None = None

    @property
    def dr_mode(self) -> str:
        return self.dr_role.mode.value if self.dr_role is not None else DatabaseMode.WRITER.value


# The pgvector component's args and validation keep their names (public API).
PgvectorDatabaseArgs = DsmDatabaseArgs


def _field(args: DsmDatabaseArgs, name: str) -> str:
    declared = (
        args.tenant.app_databases if args.config_key == "appDatabases" else args.tenant.databases
    )
    index = next((i for i, d in enumerate(declared) if d.name == args.database.name), 0)
    return f"{args.config_key}[{index}].{name}"


def validate_dsm_database(args: DsmDatabaseArgs) -> None:
    """Reject a database DSM would refuse or that could not meet what it declares."""
    subject = f"tenant '{args.tenant.name}'"
    db = args.database
    if db.replication == "sync" and not db.ha:
        raise ComponentInputError(
            subject,
            _field(args, "replication"),
            "'sync' needs a standby to wait for: set ha: true (primary + standby)",
        )
    backup = db.backup
    if backup is not None:
        if not backup.location:
            raise ComponentInputError(
                subject,
                _field(args, "backup.location"),
                "is required when backup is set: name the DSM backup location (an S3 bucket "
                "off this site, §9.3.2 item 2)",
            )
        for key, value in (
            ("schedule", backup.schedule),
            ("incrementalSchedule", backup.incremental_schedule),
        ):
            if value is not None and not _cron_ok(value):
                raise ComponentInputError(
                    subject, _field(args, f"backup.{key}"), f"{value!r} is not a 5-field cron"
                )
    if not args.admin_username or args.admin_username == "postgres":
        raise ComponentInputError(
            subject,
            _field(args, "adminUsername"),
            f"{args.admin_username!r} is reserved; pick an admin name such as 'pgadmin'",
        )


def database_config_params(db: Database, dr_role: DatabaseRole | None = None) -> dict[str, str]:
    """PostgreSQL parameters DSM applies through the cluster's DatabaseConfig.

    ``ssl_min_protocol_version`` (PostgreSQL ≥ 12) refuses TLS older than the configured version;
    whether a client may skip TLS altogether is decided by ``sslmode`` on its side (below).
    The DR mechanism adds what PostgreSQL needs for it at the primary: logical decoding
    (``wal_level``) and the slot's WAL retention (``max_slot_wal_keep_size``, MB) for
    ``logical``; ``archive_timeout`` for ``backup-restore`` with a WAL archive interval.
    """
    params = {
        "synchronous_commit": SYNCHRONOUS_COMMIT[db.replication],
        "ssl_min_protocol_version": db.tls_min_version,
    }
    if dr_role is not None and dr_role.mode is DatabaseMode.WRITER:
        if dr_role.logical and dr_role.cluster_name == dr_role.primary_cluster:
            params["wal_level"] = "logical"
            params["max_slot_wal_keep_size"] = str(dr_role.max_slot_wal_keep_size_mb)
        if dr_role.wal_archive_interval_seconds is not None:
            params["archive_timeout"] = str(dr_role.wal_archive_interval_seconds)
    return params


def _location(db: Database) -> str | None:
    return db.backup.location if db.backup is not None else None


def dr_annotations(role: DatabaseRole) -> dict[str, str]:
    """The DR copy's mechanism and names, as ``paif.vmware.com/`` annotations (module doc)."""
    out = {
        "paif.vmware.com/dr-mechanism": role.mechanism,
        "paif.vmware.com/writer-site": role.writer_site,
        PRIMARY_CLUSTER_ANNOTATION: role.primary_cluster,
    }
    if role.copy_cluster is not None:
        out["paif.vmware.com/copy-cluster"] = role.copy_cluster
    if role.primary_backup_location is not None:
        out[PRIMARY_BACKUP_LOCATION_ANNOTATION] = role.primary_backup_location
    if role.logical:
        assert role.publication and role.slot and role.subscription and role.replication_user
        out.update(
            {
                "paif.vmware.com/dr-publication": role.publication,
                "paif.vmware.com/dr-slot": role.slot,
                "paif.vmware.com/dr-subscription": role.subscription,
                "paif.vmware.com/dr-replication-user": role.replication_user,
                "paif.vmware.com/dr-lag-budget-seconds": str(role.lag_budget_seconds),
                "paif.vmware.com/dr-slot-retention-seconds": str(role.slot_retention_seconds),
            }
        )
    if role.wal_archive_interval_seconds is not None:
        out["paif.vmware.com/dr-wal-archive-interval-seconds"] = str(
            role.wal_archive_interval_seconds
        )
    return out


def backup_config(db: Database) -> dict[str, Any] | None:
    """``spec.backupConfig``: full (and incremental) schedules and retention, or ``None``."""
    if db.backup is None:
        return None
    schedules = [{"name": "full", "type": "full", "schedule": db.backup.schedule}]
    if db.backup.incremental_schedule:
        schedules.append(
            {
                "name": "incremental",
                "type": "incremental",
                "schedule": db.backup.incremental_schedule,
            }
        )
    return {"backupRetentionDays": db.backup.retention_days, "schedules": schedules}


class _DsmPostgresCluster(k8s.apiextensions.CustomResource):
    """A PostgresCluster whose ``status`` is an output (the generic CustomResource drops it)."""

    @property
    @pulumi.getter
    def status(self) -> pulumi.Output[Any]:
        return pulumi.get(self, "status")

    def _internal_init(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        opts: pulumi.ResourceOptions | None = None,
        metadata: Any = None,
        spec: Any = None,
        __props__: Any = None,
    ) -> None:
        props = k8s.apiextensions.CustomResourceArgs.__new__(k8s.apiextensions.CustomResourceArgs)
        props.__dict__.update(
            api_version=api_version, kind=kind, metadata=metadata, spec=spec, status=None
        )
        pulumi.CustomResource.__init__(
            self,
            f"kubernetes:{api_version}:{kind}",
            resource_name,
            props,  # type: ignore[arg-type]  # an input type, as pulumi_kubernetes passes it
            opts,
        )


validate_pgvector_database = validate_dsm_database


class DsmDatabase(pulumi.ComponentResource):
    """A DSM PostgreSQL cluster in the tenant namespace, HA and backed up.

    Subclasses say what it holds: :class:`PgvectorDatabase` (embeddings, with the ``vector``
    extension) or ``paif_components.app_database.AppDatabase`` (the application's own data).
    """

    component_type: ClassVar[str]
    kind: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    cluster_name: str
    namespace: str
    replicas: int
    ha: bool
    replication: str
    backup: dict[str, Any] | None
    dr_mode: str
    connection: pulumi.Output[dict[str, Any]]
    # Where clients connect, as DSM reports it (not secret); None while nothing runs here.
    host: pulumi.Output[str | None]
    # The PostgresCluster's id, known once it exists (its password Secret is read after it).
    cluster_id: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: DsmDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_dsm_database, args)
        super().__init__(self.component_type, name, None, opts)
        ctx, tenant, db, role = args.ctx, args.tenant, args.database, args.dr_role
        self.cluster_name = role.cluster_name if role is not None else db.name
        self.namespace = tenant.namespace
        self.ha = db.ha
        self.replicas = DSM_HA_REPLICAS if db.ha else DSM_SINGLE_SERVER_REPLICAS
        self.replication = db.replication
        self.mechanism = role.mechanism if role is not None else "none"
        self.dr_mode = args.dr_mode
        self.publisher: ReplicationPublisher | None = None
        self.subscriber: ReplicationSubscriber | None = None
        location = role.backup_location if role is not None else _location(db)
        self.backup = backup_config(db) if location else None
        if role is not None and not role.running:
            # A backup-restore copy is created at failover from the primary's backups (the
            # runbook's restore step); a 'none' copy is not kept. Nothing runs here now.
            self.replicas = 0
            self.host = pulumi.Output.from_input(None)
            self.cluster_id = None
            self.connection = pulumi.Output.secret(
                {
                    "mechanism": role.mechanism,
                    "restoreFrom": role.primary_backup_location,
                    "sourceCluster": role.primary_cluster,
                    "clusterAtFailover": role.cluster_name,
                    "writerSite": role.writer_site,
                }
            )
            self._register_outputs()
            return
        labels = {
            **ctx.labels,
            # The network policy's data tier (paif_components.tenant_namespace, §9.6).
            TIER_LABEL: TIER_DATA,
            TENANT_LABEL: tenant.name,
            "paif.vmware.com/database": db.name,
            DATABASE_KIND_LABEL: self.kind,
        }

        params_name = f"{self.cluster_name}-params"
        params = k8s.apiextensions.CustomResource(
            f"{name}-params",
            api_version=DSM_API_VERSION,
            kind="DatabaseConfig",
            metadata={
                "name": params_name,
                "namespace": tenant.namespace,
                "labels": labels,
                "annotations": target_annotations(),
            },
            spec={"params": database_config_params(db, role)},
            opts=pulumi.ResourceOptions(parent=self),
        )

        spec: dict[str, Any] = {
            "replicas": self.replicas,
            "version": db.version,
            "vmClass": {"name": db.vm_class},
            "storageSpace": db.storage,
            "storagePolicyName": args.storage_policy or ctx.site.storage_policy,
            "adminUsername": args.admin_username,
            # The PostgreSQL database inside keeps its name at both sites (clients, publication).
            "databaseName": db.name,
            "databaseConfig": {"name": params_name},
        }
        if args.infrastructure_policy:
            spec["infrastructurePolicy"] = {"name": args.infrastructure_policy}
        if self.backup is not None:
            spec["backupLocation"] = {"name": location}
            spec["backupConfig"] = self.backup
        annotations = {
            "pulumi.com/waitFor": "condition=Ready",
            "pulumi.com/timeoutSeconds": str(DSM_READY_TIMEOUT_SECONDS),
            "paif.vmware.com/ha": str(db.ha).lower(),
            REPLICATION_ANNOTATION: db.replication,
            BACKUP_ENCRYPTED_ANNOTATION: str(db.backup.encrypted if db.backup else False).lower(),
            # The cross-site role (§9.3.3): one writer; the DR copy subscribes or waits.
            DR_MODE_ANNOTATION: self.dr_mode,
            # §9.6.3: what clients must require (libpq sslmode); PAIF-SEC-001 reads it.
            SSLMODE_ANNOTATION: db.ssl_mode,
            **target_annotations(),
        }
        if self.extensions:
            annotations["paif.vmware.com/extensions"] = ",".join(self.extensions)
        if role is not None:
            annotations.update(dr_annotations(role))
        cluster = _DsmPostgresCluster(
            f"{name}-cluster",
            api_version=DSM_API_VERSION,
            kind="PostgresCluster",
            metadata={
                "name": self.cluster_name,
                "namespace": tenant.namespace,
                "labels": labels,
                "annotations": annotations,
            },
            spec=spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[params],
                protect=ctx.is_production,
                retain_on_delete=True,
            ),
        )

        namespace, dbname, username = tenant.namespace, db.name, args.admin_username
        sslmode, cluster_name = db.ssl_mode, self.cluster_name

        def _connection(status: Any) -> dict[str, Any]:
            live = (status or {}).get("connection") or {}
            secret = (live.get("passwordRef") or {}).get("name") or cluster_name
            return {
                "host": live.get("host"),
                "port": int(live.get("port") or POSTGRES_PORT),
                "dbname": live.get("dbname") or dbname,
                "username": live.get("username") or username,
                "passwordSecretRef": {
                    "namespace": namespace,
                    "name": secret,
                    "key": DSM_PASSWORD_KEY,
                },
                "extensions": list(self.extensions),
                "sslmode": sslmode,
            }

        self.connection = pulumi.Output.secret(cluster.status.apply(_connection))
        self.host = cluster.status.apply(lambda s: ((s or {}).get("connection") or {}).get("host"))
        self.cluster_id = cluster.id
        if role is not None and role.logical:
            self._replicate(name, args, role, cluster)
        self._register_outputs()

    def _replicate(
        self, name: str, args: DsmDatabaseArgs, role: DatabaseRole, cluster: _DsmPostgresCluster
    ) -> None:
        """Logical replication's resources on this side (paif_components.database_replication)."""
        endpoint = DsmEndpoint(
            cluster=self.cluster_name,
            namespace=self.namespace,
            database=args.database.name,
            admin_username=args.admin_username,
            sslmode=args.database.ssl_mode,
            status=cluster.status,
        )
        opts = pulumi.ResourceOptions(parent=self, depends_on=[cluster])
        if role.cluster_name == role.primary_cluster:
            self.publisher = ReplicationPublisher(
                f"{name}-publisher",
                role,
                endpoint,
                extensions=self.extensions,
                replication_password=args.replication_password,
                opts=opts,
            )
            return
        self.subscriber = ReplicationSubscriber(
            f"{name}-subscriber",
            role,
            endpoint,
            extensions=self.extensions,
            primary_connection=args.primary_connection,
            replication_password=args.replication_password,
            # Failed over: the copy writes; the runbook detached the subscription first.
            subscribe=role.mode is DatabaseMode.SUBSCRIBER,
            opts=opts,
        )

    def _register_outputs(self) -> None:
        """The same outputs whether the cluster runs here or is restored on failover."""
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "namespace": self.namespace,
                "replicas": self.replicas,
                "replication": self.replication,
                "drMode": self.dr_mode,
                "drMechanism": self.mechanism,
                "connection": self.connection,
            }
        )


class PgvectorDatabase(DsmDatabase):
    """A DSM PostgreSQL cluster with pgvector in the tenant namespace, HA and backed up."""

    component_type = PGVECTOR_DATABASE_TYPE
    kind = VECTOR_DATA_KIND
    extensions = ("vector",)
