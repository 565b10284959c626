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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

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


def _apps(db: Mapping[str, Any], clusters: list[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(VKS cluster, namespace, app) of the tenant's apps at the DR site."""
    return [
        (c["name"], c["namespace"], app)
        for c in clusters
        if c["tenant"] == db["tenant"] and c.get("deployed", True)
        for app in c.get("apps") or []
    ]


def _repoint(db: Mapping[str, Any], clusters: list[Mapping[str, Any]], host_var: str) -> str:
    apps = _apps(db, clusters)
    if not apps:
        return (
            f"Repoint the tenant's clients to `${host_var}` (the knowledge bases at this site "
            f"already name `{db['clusterName']}`)."
        )
    restarts = [
        f"kubectl --context {cluster} -n {ns} rollout restart deployment/{app}"
        for cluster, ns, app in apps
    ]
    return (
        f"Repoint the apps to `${host_var}` (database `{db['name']}`): update the DSN their "
        "deployment reads, then restart them (the knowledge bases at this site already name "
        f"`{db['clusterName']}`):\n\n" + _code(*restarts)
    )


def _app_refs(db: Mapping[str, Any], clusters: list[Mapping[str, Any]]) -> list[Reference]:
    return [Reference("dr", "Deployment", app, ns) for _, ns, app in _apps(db, clusters)]


def failover_step(
    db: Mapping[str, Any], *, admin: str, dr_site: str, clusters: list[Mapping[str, Any]]
) -> DatabaseStep:
    """The failover of one database at the DR site (module table)."""
    ns, name, copy = db["namespace"], db["name"], db["clusterName"]
    what = f"**{db['tenant']}/{name}** ({'app database' if db.get('kind') == 'app' else 'pgvector'}"
    mechanism = db.get("mechanism")
    refs = [Reference("dr", "PostgresCluster", copy, ns)]
    connect = _connect(ns, ns, copy, "DR")
    if mechanism == "logical":
        logical = db["logical"]
        sub = logical["subscription"]
        refs += [
            Reference("dr", "Subscription", sub, name),
            Reference("primary", "PostgresCluster", db["primaryCluster"], ns),
            Reference("primary", "ReplicationSlot", logical["slot"], name),
            *_app_refs(db, clusters),
        ]
        text = (
            f"{what}, logical replication: copy `{copy}` subscribes to publication "
            f"`{logical['publication']}` through slot `{logical['slot']}` on "
            f"`{db['primaryCluster']}` at {db['primarySite']}). First fence the old primary "
            f"`{db['primaryCluster']}`: it must not accept writes if {db['primarySite']} comes "
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
        location = db.get("primaryBackupLocation") or "<backup location>"
        refs += [
            Reference("dr", "BackupLocation", location),
            Reference("primary", "PostgresCluster", db["primaryCluster"], ns),
            *_app_refs(db, clusters),
        ]
        check = (
            "-tc 'SELECT count(*) FROM pg_stat_user_tables;'   # expect: the app's tables"
            if db.get("kind") == "app"
            else "-tc \"SELECT extversion FROM pg_extension WHERE extname = 'vector';\""
        )
        text = (
            f"{what}, backup-restore: nothing ran at {dr_site} until now). In Data Services "
            f"Manager at {dr_site}, restore the backups of `{db['primaryCluster']}` from backup "
            f"location `{location}` to the latest point in time into a new cluster "
            f"`{copy}` in namespace `{ns}` (database `{name}`): the failed-over stack adopts "
            "it under that name and backs it up to its own location"
            + (f" `{db['backupLocation']}`" if db.get("backupLocation") else "")
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
        f"{what}) already writes at {db['writerSite']}: nothing to do.", tuple(refs[:0])
    )


def failback_step(
    db: Mapping[str, Any],
    *,
    admin: str,
    primary_stack: str,
    dr_stack: str,
    primary_supervisor: str,
) -> DatabaseStep:
    """Back to the rebuilt primary, with the copy's data (module table)."""
    ns, name, copy, primary = db["namespace"], db["name"], db["clusterName"], db["primaryCluster"]
    mechanism = db.get("mechanism")
    refs = [
        Reference("dr", "PostgresCluster", copy, ns),
        Reference("primary", "PostgresCluster", primary, ns),
    ]
    rebuild = _code(f"pulumi refresh --stack {primary_stack}", f"pulumi up --stack {primary_stack}")
    head = (
        f"**{db['tenant']}/{name}** ({mechanism}). Rebuild the primary's cluster `{primary}` "
        f"(the stack re-creates what it declares) and freeze writes at {db['copySite']} "
        "(scale its apps to 0) while the data moves back:\n\n" + rebuild + "\n\n"
    )
    if mechanism == "backup-restore":
        location = db.get("backupLocation") or "<backup location of the copy>"
        refs.append(Reference("dr", "BackupLocation", location))
        text = (
            head
            + (
                f"In Data Services Manager at {db['primarySite']}, restore the latest backup of "
                f"`{copy}` from backup location `{location}` into `{primary}` (database `{name}`), "
                "then repoint the apps to the primary and fail the DR stack back "
                f"(`{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`; the copy "
                "is created again from backups on the next failover)."
            )
            + _release(db, dr_stack)
        )
        return DatabaseStep(text, tuple(refs))
    primary_context = f"{db['primarySite']}-{ns}"
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
        logical = db["logical"]
        refs += [
            Reference("primary", "Publication", logical["publication"], name),
            Reference("primary", "ReplicationSlot", logical["slot"], name),
            Reference("dr", "Subscription", logical["subscription"], name),
        ]
        text += (
            f": empty the copy (`TRUNCATE` its tables in database `{name}` of `{copy}`), then "
            f"`{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`; the "
            f"subscription `{logical['subscription']}` is created again and copies every row "
            f"from publication `{logical['publication']}` through slot `{logical['slot']}`."
        )
    else:
        text += f": `{config_command(dr_stack, False)} && pulumi up --stack {dr_stack}`."
        text += _release(db, dr_stack)
    return DatabaseStep(text, tuple(refs))


def _release(db: Mapping[str, Any], dr_stack: str) -> str:
    """A copy that runs only while failed over is protected: its deletion is a person's act."""
    copy, ns = db["clusterName"], db["namespace"]
    resource = f"PostgresCluster::{db['copySite']}-{db['tenant']}-{db['name']}-cluster"
    return (
        f" Standing by, nothing of `{copy}` runs at {db['copySite']}, but the copy is protected: "
        "that `pulumi up` stops and deletes nothing until a person, once the primary holds "
        f"the data, releases it (namespace `{ns}`):\n\n"
        + _code(
            f"pulumi stack --stack {dr_stack} --show-urns | grep '{resource}'",
            f"pulumi state unprotect --stack {dr_stack} '<that URN>'",
            f"pulumi up --stack {dr_stack}",
        )
    )
