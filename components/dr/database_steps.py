"""The runbook's database steps, one per data store, following the mechanism that feeds its copy.

Failover (the DR copy becomes the writer) and failback (the rebuilt primary takes over again),
per ``databases[].dr.mechanism`` (paif_components.dr.copies):

============== ============================================ ===================================
mechanism      failover                                     failback
============== ============================================ ===================================
logical        fence the old primary; stop the subscription dump the copy into the rebuilt
               and detach it from the lost slot; set the    primary during a write freeze, set
               sequences past the copied rows; repoint the  its sequences, repoint; empty the
               apps                                         copy and let it subscribe again
backup-restore restore the primary's latest backup (point   restore the copy's latest backup
               in time) from its named location into the    into the primary's cluster
               copy's cluster
none           a new, empty cluster (declared: no data)     as logical (dump and load)
============== ============================================ ===================================

Every object a step names is declared by one of the two stacks; each step lists them as
:class:`Reference` so a test can hold the runbook to plan.json (tests/test_dr_runbook.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from paif_components.contract.dr_databases import DatabaseRole
from paif_components.contract.dr_topology import ClusterRole
from paif_components.dr.failover import config_command

# Set every sequence owned by a column past the largest value copied into it: logical
# replication copies rows, not sequence positions, so a promoted copy would hand out ids the
# primary already used. The margin leaves room for rows still in flight when the site went.
SEQUENCE_MARGIN: Final = 1000
SET_SEQUENCES_SQL: Final = (
    "DO $$ DECLARE r record; BEGIN "
    "FOR r IN SELECT s.seqrelid::regclass AS seq, a.attrelid::regclass AS tbl, a.attname AS col "
    "FROM pg_sequence s JOIN pg_depend d ON d.objid = s.seqrelid AND d.deptype IN ('a', 'i') "
    "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid LOOP "
    "EXECUTE format('SELECT setval(%L, COALESCE((SELECT max(%I) FROM %s), 0) + "
    f"{SEQUENCE_MARGIN}, false)', r.seq, r.col, r.tbl); END LOOP; END $$;"
)


@dataclass(frozen=True)
class Reference:
    """An object a runbook step names, and which stack declares it (``primary`` or ``dr``).

    ``kind`` is a Kubernetes kind (``PostgresCluster``, ``Deployment``), a PostgreSQL object of
    the replication (``Publication``, ``ReplicationSlot``, ``Subscription``, ``Role``) or a
    ``BackupLocation`` (``paif:dr.backupLocations``). ``scope`` is the namespace, or for
    PostgreSQL objects the database.
    """

    stack: str
    kind: str
    name: str
    scope: str | None = None


@dataclass(frozen=True)
class DatabaseStep:
    text: str
    references: tuple[Reference, ...]


def _code(*lines: str) -> str:
    return "```sh\n" + "\n".join(lines) + "\n```"


def _connect(context: str, namespace: str, cluster: str, var: str) -> list[str]:
    """Shell lines setting ``$<var>_HOST`` and ``$<var>_PW`` from the cluster's DSM status."""
    base = f"kubectl --context {context} -n {namespace} get postgrescluster {cluster}"
    return [
        f"{var}_HOST=$({base} -o jsonpath='{{.status.connection.host}}')",
        f"{var}_PW=$(kubectl --context {context} -n {namespace} get secret "
        f"$({base} -o jsonpath='{{.status.connection.passwordRef.name}}') "
        "-o jsonpath='{.data.password}' | base64 -d)",
    ]


def _psql(var: str, dbname: str, user: str, sql: str) -> str:
    return f'PGPASSWORD="${var}_PW" psql "host=${var}_HOST dbname={dbname} user={user}" {sql}'


def _psql_script(var: str, dbname: str, user: str, sql: str) -> list[str]:
    """psql reading ``sql`` from a quoted here-document: no shell expansion of ``$$``."""
    return [_psql(var, dbname, user, "<<'SQL'"), sql, "SQL"]


def _apps(db: DatabaseRole, clusters: Sequence[ClusterRole]) -> list[tuple[str, str, str]]:
    """(VKS cluster, namespace, app) of the tenant's apps at the DR site."""
    return [
        (c.name, c.namespace, app)
        for c in clusters
        if c.tenant == db.tenant and c.deployed
        for app in c.apps
    ]


def _repoint(db: DatabaseRole, clusters: Sequence[ClusterRole], host_var: str) -> str:
    apps = _apps(db, clusters)
    if not apps:
        return (
            f"Repoint the tenant's clients to `${host_var}` (the knowledge bases at this site "
            f"already name `{db.cluster_name}`)."
        )
    restarts = [
        f"kubectl --context {cluster} -n {ns} rollout restart deployment/{app}"
        for cluster, ns, app in apps
    ]
    return (
        f"Repoint the apps to `${host_var}` (database `{db.name}`): update the DSN their "
        "deployment reads, then restart them (the knowledge bases at this site already name "
        f"`{db.cluster_name}`):\n\n" + _code(*restarts)
    )


def _app_refs(db: DatabaseRole, clusters: Sequence[ClusterRole]) -> list[Reference]:
    return [Reference("dr", "Deployment", app, ns) for _, ns, app in _apps(db, clusters)]


def failover_step(
    db: DatabaseRole, *, admin: str, dr_site: str, clusters: Sequence[ClusterRole]
) -> DatabaseStep:
    """The failover of one database at the DR site (module table)."""
    ns, name, copy = db.namespace, db.name, db.cluster_name
    what = f"**{db.tenant}/{name}** ({'app database' if db.kind == 'app' else 'pgvector'}"
    mechanism = db.mechanism
    refs = [Reference("dr", "PostgresCluster", copy, ns)]
    connect = _connect(ns, ns, copy, "DR")
    if mechanism == "logical":
        # A logical copy names all three (paif_components.contract.dr_databases).
        sub, slot, publication = db.subscription, db.slot, db.publication
        assert sub is not None and slot is not None and publication is not None
        refs += [
            Reference("dr", "Subscription", sub, name),
            Reference("primary", "PostgresCluster", db.primary_cluster, ns),
            Reference("primary", "ReplicationSlot", slot, name),
            *_app_refs(db, clusters),
        ]
        text = (
            f"{what}, logical replication: copy `{copy}` subscribes to publication "
            f"`{publication}` through slot `{slot}` on "
            f"`{db.primary_cluster}` at {db.primary_site}). First fence the old primary "
            f"`{db.primary_cluster}`: it must not accept writes if {db.primary_site} comes "
            "back (one writer, §9.3.3; PAIF-DR-007). Then stop the subscription and detach it "
            "from the lost primary's slot (so `pulumi up` of the failed-over stack can drop "
            "it), and set every sequence past the copied rows (logical replication copies "
            "rows, not sequence positions):\n\n"
            + _code(
                *connect,
                _psql("DR", name, admin, f"-c 'ALTER SUBSCRIPTION {sub} DISABLE;'"),
                _psql("DR", name, admin, f"-c 'ALTER SUBSCRIPTION {sub} SET (slot_name = NONE);'"),
                *_psql_script("DR", name, admin, SET_SEQUENCES_SQL),
                _psql(
                    "DR",
                    name,
                    admin,
                    f"-tc \"SELECT subenabled FROM pg_subscription WHERE subname = '{sub}';\""
                    "   # expect: f",
                ),
            )
            + "\n\n"
            + _repoint(db, clusters, "DR_HOST")
        )
        return DatabaseStep(text, tuple(refs))
    if mechanism == "backup-restore":
        location = db.primary_backup_location or "<backup location>"
        refs += [
            Reference("dr", "BackupLocation", location),
            Reference("primary", "PostgresCluster", db.primary_cluster, ns),
            *_app_refs(db, clusters),
        ]
        check = (
            "-tc 'SELECT count(*) FROM pg_stat_user_tables;'   # expect: the app's tables"
            if db.kind == "app"
            else "-tc \"SELECT extversion FROM pg_extension WHERE extname = 'vector';\""
        )
        text = (
            f"{what}, backup-restore: nothing ran at {dr_site} until now). In Data Services "
            f"Manager at {dr_site}, restore the backups of `{db.primary_cluster}` from backup "
            f"location `{location}` to the latest point in time into a new cluster "
            f"`{copy}` in namespace `{ns}` (database `{name}`): the failed-over stack adopts "
            "it under that name and backs it up to its own location"
            + (f" `{db.backup_location}`" if db.backup_location else "")
            + ". Then check the data:\n\n"
            + _code(
                *connect,
                _psql("DR", name, admin, check),
                _psql("DR", name, admin, "-tc 'SELECT pg_is_in_recovery();'   # expect: f"),
            )
            + "\n\n"
            + _repoint(db, clusters, "DR_HOST")
        )
        return DatabaseStep(text, tuple(refs))
    if mechanism == "none":
        refs += _app_refs(db, clusters)
        return DatabaseStep(
            f"{what}, mechanism `none`: no copy was kept, declared). The failed-over stack "
            f"creates `{copy}` empty; its data since the last backup is not recovered here. "
            + _repoint(db, clusters, "DR_HOST"),
            tuple(refs),
        )
    return DatabaseStep(
        f"{what}) already writes at {db.writer_site}: nothing to do.", tuple(refs[:0])
    )


def failback_step(
    db: DatabaseRole,
    *,
    admin: str,
    primary_stack: str,
    dr_stack: str,
    primary_supervisor: str,
) -> DatabaseStep:
    """Back to the rebuilt primary, with the copy's data (module table)."""
    ns, name, copy, primary = db.namespace, db.name, db.cluster_name, db.primary_cluster
    mechanism = db.mechanism
    refs = [
        Reference("dr", "PostgresCluster", copy, ns),
        Reference("primary", "PostgresCluster", primary, ns),
    ]
    rebuild = _code(f"pulumi refresh --stack {primary_stack}", f"pulumi up --stack {primary_stack}")
    head = (
        f"**{db.tenant}/{name}** ({mechanism}). Rebuild the primary's cluster `{primary}` "
        f"(the stack re-creates what it declares) and freeze writes at {db.copy_site} "
        "(scale its apps to 0) while the data moves back:\n\n" + rebuild + "\n\n"
    )
    if mechanism == "backup-restore":
        location = db.backup_location or "<backup location of the copy>"
        refs.append(Reference("dr", "BackupLocation", location))
        text = (
            head
            + (
                f"In Data Services Manager at {db.primary_site}, restore the latest backup of "
                f"`{copy}` from backup location `{location}` into `{primary}` (database `{name}`), "
                "then repoint the apps to the primary and fail the DR stack back "
                f"(`{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`; the copy "
                "is created again from backups on the next failover)."
            )
            + _release(db, dr_stack)
        )
        return DatabaseStep(text, tuple(refs))
    primary_context = f"{db.primary_site}-{ns}"
    dump = _code(
        f"kubectl vsphere login --server={primary_supervisor} --vsphere-username <you>",
        f"kubectl config rename-context {ns} {primary_context}",
        *_connect(primary_context, ns, primary, "PRIMARY"),
        *_connect(ns, ns, copy, "DR"),
        f'PGPASSWORD="$DR_PW" pg_dump -Fc --data-only -h "$DR_HOST" -U {admin} -d {name} '
        f'| PGPASSWORD="$PRIMARY_PW" pg_restore --data-only --disable-triggers -h '
        f'"$PRIMARY_HOST" -U {admin} -d {name}',
        *_psql_script("PRIMARY", name, admin, SET_SEQUENCES_SQL),
    )
    text = head + (
        f"Load the copy's data into `{primary}` and set its sequences:\n\n{dump}\n\n"
        "Repoint the apps to the primary, then fail the DR stack back"
    )
    if mechanism == "logical":
        sub, slot, publication = db.subscription, db.slot, db.publication
        assert sub is not None and slot is not None and publication is not None
        refs += [
            Reference("primary", "Publication", publication, name),
            Reference("primary", "ReplicationSlot", slot, name),
            Reference("dr", "Subscription", sub, name),
        ]
        text += (
            f": empty the copy (`TRUNCATE` its tables in database `{name}` of `{copy}`), then "
            f"`{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`; the "
            f"subscription `{sub}` is created again and copies every row "
            f"from publication `{publication}` through slot `{slot}`."
        )
    else:
        text += f": `{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`."
        text += _release(db, dr_stack)
    return DatabaseStep(text, tuple(refs))


def _release(db: DatabaseRole, dr_stack: str) -> str:
    """A copy that runs only while failed over is protected: its deletion is a person's act."""
    copy, ns = db.cluster_name, db.namespace
    resource = f"PostgresCluster::{db.copy_site}-{db.tenant}-{db.name}-cluster"
    return (
        f" Standing by, nothing of `{copy}` runs at {db.copy_site}, but the copy is protected: "
        "that `pulumi up` stops and deletes nothing until a person, once the primary holds "
        f"the data, releases it (namespace `{ns}`):\n\n"
        + _code(
            f"pulumi stack --stack {dr_stack} --show-urns | grep '{resource}'",
            f"pulumi state unprotect --stack {dr_stack} '<that URN>'",
            f"pulumi up --stack {dr_stack}",
        )
    )
