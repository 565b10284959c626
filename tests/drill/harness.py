"""The drill's stand-in for the providers that cannot be built here (docs/engine.md): it applies
to two real PostgreSQL servers exactly what the stacks' plans declare for one database's DR
copy, then fails over the way the DR stack's runbook says.

``logical``: the primary gets the plan's ``DatabaseConfig`` parameters, the replication role
(login, replication, the stacks' password), its SELECT grant, the extensions, the publication
and the slot; the copy gets its extensions and the subscription, whose connection string is
built by the component's own ``subscription_conninfo`` to the drill's primary (sslmode
``disable``: loopback, no certificates). What DSM does besides (the database, the admin role)
and what the application's migration does (the embeddings table and its HNSW index, on both
sides: logical replication carries no DDL) the harness does too, and says so.

``backup-restore``: the primary archives its WAL (``archive_timeout`` from the plan) to a
folder standing for the primary's backup location, after a full base backup; at failover the
copy is restored from them to the latest point in time (DSM's restore, played with
``pg_basebackup``'s copy, ``restore_command`` and ``recovery.signal``).

``none``: nothing is kept; at failover the copy is an empty cluster with the schema.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import psycopg

from paif_components.database_replication import subscription_conninfo
from paif_components.pgvector_database import DEFAULT_ADMIN_USERNAME
from tests.drill.plan import PlanMismatch, PlannedCopy, shell_blocks
from tests.drill.postgres import NOBODY, PG_BIN, Postgres, run_tool

REPLICATION_PASSWORD = "drill-replicator-password"
DIMENSIONS = 8
TABLE = "embeddings"
# The application's migration, run on both sides (logical replication carries rows, not DDL).
MIGRATION = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, doc text NOT NULL, "
    f"embedding vector({DIMENSIONS}) NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_l2_ops)",
)
# Lines of a runbook block that read a cluster's connection from DSM's status: the harness
# supplies ``$DR_HOST``/``$DR_PW`` itself (it plays DSM).
CONNECTION_LINES = ("DR_HOST=", "DR_PW=", "PRIMARY_HOST=", "PRIMARY_PW=")


def vector_of(row: int) -> list[float]:
    """A deterministic embedding per row id (no model is loaded: the index is what counts)."""
    return [((row * 7919 + i * 104729) % 1000) / 1000.0 for i in range(DIMENSIONS)]


def literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{v:.3f}" for v in vector) + "]"


@dataclass
class Drill:
    """One database's copy across two sites: ``primary`` and ``dr`` servers, as planned."""

    copy: PlannedCopy
    primary: Postgres
    dr: Postgres
    folder: Path
    archive: Path = field(init=False)
    base_backup: Path = field(init=False)
    stream_timeout: float = 60.0

    def __post_init__(self) -> None:
        self.archive = self.folder / "backup-location" / "wal"
        self.base_backup = self.folder / "backup-location" / "base"

    @property
    def database(self) -> str:
        return self.copy.database

    # --- what DSM and the app's migration do ----------------------------------------------------

    def _cluster(self, server: Postgres, settings: dict[str, str]) -> None:
        server.init()
        server.start(settings)
        server.sql("postgres", f'CREATE DATABASE "{self.database}"')
        server.sql("postgres", f"CREATE ROLE {DEFAULT_ADMIN_USERNAME} LOGIN SUPERUSER")

    def _migrate(self, server: Postgres) -> None:
        for statement in MIGRATION:
            server.sql(self.database, statement)

    # --- the stacks' resources ------------------------------------------------------------------

    def _extensions(self, server: Postgres, side: str) -> None:
        for extension in (self.copy.primary if side == "primary" else self.copy.dr).get(
            "Extension", []
        ):
            server.sql(
                extension["database"], f'CREATE EXTENSION IF NOT EXISTS "{extension["name"]}"'
            )

    def _publisher(self) -> None:
        role = self.copy.one("primary", "Role")
        options = " ".join(
            option
            for option, on in (
                ("LOGIN", role.get("login")),
                ("REPLICATION", role.get("replication")),
            )
            if on
        )
        self.primary.sql(
            "postgres",
            f"CREATE ROLE {role['name']} {options} PASSWORD '{REPLICATION_PASSWORD}'",
        )
        grant = self.copy.one("primary", "Grant")
        if grant["objectType"] != "table":
            raise PlanMismatch(f"grant on {grant['objectType']}: the drill applies table grants")
        self.primary.sql(
            grant["database"],
            f"GRANT {', '.join(grant['privileges'])} ON ALL TABLES IN SCHEMA "
            f"{grant['schema']} TO {grant['role']}",
        )
        publication = self.copy.one("primary", "Publication")
        if not publication.get("allTables"):
            raise PlanMismatch("the drill applies publications FOR ALL TABLES only")
        self.primary.sql(
            publication["database"], f"CREATE PUBLICATION {publication['name']} FOR ALL TABLES"
        )
        slot = self.copy.one("primary", "ReplicationSlot")
        self.primary.sql(
            slot["database"],
            "SELECT pg_create_logical_replication_slot(%s, %s)",
            slot["name"],
            slot["plugin"],
        )

    def _subscriber(self) -> None:
        subscription = self.copy.one("dr", "Subscription")
        logical = self.copy.topology["logical"]
        role = SimpleNamespace(
            primary_cluster=self.database, replication_user=logical["replicationUser"]
        )
        conninfo = subscription_conninfo(
            {"host": "127.0.0.1", "port": self.primary.port, "dbname": self.database},
            role,  # type: ignore[arg-type]
            REPLICATION_PASSWORD,
            "disable",
        )
        publications = ", ".join(subscription["publications"])
        create_slot = "true" if subscription.get("createSlot", True) else "false"
        self.dr.sql(
            subscription["database"],
            f"CREATE SUBSCRIPTION {subscription['name']} CONNECTION '{conninfo}' "
            f"PUBLICATION {publications} WITH (create_slot = {create_slot}, "
            f"slot_name = '{subscription['slotName']}')",
        )

    def set_up(self) -> None:
        """Both clusters as the stacks leave them, before any row is written."""
        mechanism = self.copy.mechanism
        settings = dict(self.copy.primary_params)
        if mechanism == "backup-restore":
            for path in (self.archive.parent, self.archive):
                path.mkdir(parents=True, exist_ok=True)
                if os.geteuid() == 0:
                    os.chown(path, NOBODY, NOBODY)
            settings.update(archive_mode="on", archive_command=f"cp %p {self.archive}/%f")
        self._cluster(self.primary, settings)
        self._extensions(self.primary, "primary")
        self.primary.sql(self.database, "CREATE EXTENSION IF NOT EXISTS vector")
        self._migrate(self.primary)
        if mechanism == "logical":
            self._publisher()
            self._cluster(self.dr, {})
            self._extensions(self.dr, "dr")
            self._migrate(self.dr)
            self._subscriber()
            self.wait_until_streaming(self.stream_timeout)
        elif mechanism == "backup-restore":
            # The primary's full backup (its schedule's last run) in the backup location.
            run_tool(
                "pg_basebackup", "-h", str(self.primary.sockets), "-p", str(self.primary.port),
                "-U", "postgres", "-D", str(self.base_backup), "-X", "stream", "-c", "fast",
            )  # fmt: skip
        elif mechanism != "none":
            raise PlanMismatch(f"the drill has no stand-in for mechanism {mechanism!r}")

    def wait_until_streaming(self, seconds: float = 60) -> None:
        """The subscription connected through the planned slot and copied the tables."""
        subscription = self.copy.one("dr", "Subscription")["name"]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = self.dr.sql(
                self.database,
                "SELECT srsubstate FROM pg_subscription_rel r JOIN pg_subscription s "
                "ON s.oid = r.srsubid WHERE s.subname = %s",
                subscription,
            )
            active = self.primary.sql(
                self.database,
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                self.copy.one("primary", "ReplicationSlot")["name"],
            )
            if states and all(s == "r" for (s,) in states) and active == [(True,)]:
                return
            time.sleep(0.3)
        log = self.dr.log.read_text()[-2000:]
        raise PlanMismatch(f"the subscription {subscription} never streamed:\n{log}")

    # --- failover as the runbook says -----------------------------------------------------------

    def fail_over(self) -> None:
        """Make the copy writable by its mechanism, running the runbook's own commands."""
        mechanism = self.copy.mechanism
        if mechanism == "backup-restore":
            self._restore()
        elif mechanism == "none":
            # The failed-over stack creates the copy empty; the app's migration makes the schema.
            self._cluster(self.dr, {})
            self.dr.sql(self.database, "CREATE EXTENSION IF NOT EXISTS vector")
            self._migrate(self.dr)
        for block in shell_blocks(self.copy.runbook_step):
            if "psql" in block:
                self.run_runbook_block(block)

    def _restore(self) -> None:
        """DSM's restore to the latest point in time, from the primary's backup location."""
        self.dr.folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.base_backup, self.dr.data)
        (self.dr.data / "recovery.signal").touch()
        if os.geteuid() == 0:
            for path in [self.dr.folder, *self.dr.folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        os.chmod(self.dr.data, 0o700)
        self.dr.sockets.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.dr.sockets, NOBODY, NOBODY)
        self.dr.start(
            {
                "restore_command": f"cp {self.archive}/%f %p",
                "recovery_target_timeline": "latest",
                "recovery_target_action": "promote",
                "archive_mode": "off",
            }
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error):
                if self.dr.sql("postgres", "SELECT pg_is_in_recovery()") == [(False,)]:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the restore never finished:\n{self.dr.log.read_text()[-3000:]}")
        with contextlib.suppress(psycopg.Error):
            self.dr.sql("postgres", f"CREATE ROLE {DEFAULT_ADMIN_USERNAME} LOGIN SUPERUSER")

    def run_runbook_block(self, block: str) -> list[str]:
        """Run a runbook shell block against the DR server, as written: the connection lines are
        DSM's (the harness answers them), ``# expect:`` comments are checked."""
        env = {
            **os.environ,
            "PATH": f"{PG_BIN}{os.pathsep}{os.environ['PATH']}",
            "DR_HOST": str(self.dr.sockets),
            "DR_PW": "",
            "PGPORT": str(self.dr.port),
        }
        outputs = []
        for command in _commands(block):
            if command.startswith(CONNECTION_LINES):
                continue
            result = subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60
            )
            if result.returncode != 0:
                raise AssertionError(f"runbook command failed: {command}\n{result.stderr}")
            expected = command.partition("# expect:")[2].strip()
            if expected and result.stdout.strip() != expected:
                raise AssertionError(f"{command}\ngave {result.stdout.strip()!r}, not {expected!r}")
            outputs.append(result.stdout)
        return outputs


def _commands(block: str) -> list[str]:
    """Commands of a shell block; a here-document stays with its command."""
    commands: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<'" in line:
            marker = line.split("<<'", 1)[1].split("'", 1)[0]
            end = lines.index(marker, i + 1)
            commands.append("\n".join(lines[i : end + 1]))
            i = end + 1
            continue
        if line.strip():
            commands.append(line)
        i += 1
    return commands


@dataclass
class Writer:
    """Inserts one embedding row per tick at a steady rate into whichever server it is given,
    and records every row whose commit was acknowledged."""

    server: Postgres
    database: str
    rate: float
    acknowledged: list[int] = field(default_factory=list)
    acknowledged_at: list[float] = field(default_factory=list)
    error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        interval = 1.0 / self.rate
        try:
            with self.server.connect(self.database) as conn:
                next_at = time.monotonic()
                while not self._stop.is_set():
                    n = len(self.acknowledged) + 1
                    (row,) = conn.execute(
                        f"INSERT INTO {TABLE} (doc, embedding) VALUES (%s, %s::vector) "
                        "RETURNING id",
                        (f"chunk {n}", literal(vector_of(n))),
                    ).fetchone()
                    self.acknowledged.append(int(row))  # autocommit: the commit returned
                    self.acknowledged_at.append(time.monotonic())
                    next_at += interval
                    self._stop.wait(max(0.0, next_at - time.monotonic()))
        except psycopg.Error as exc:
            self.error = str(exc).strip()

    @property
    def achieved_rate(self) -> float:
        """Commits per second it really made (a loaded machine may fall behind ``rate``)."""
        stamps = self.acknowledged_at
        if len(stamps) < 2 or stamps[-1] <= stamps[0]:
            return self.rate
        return (len(stamps) - 1) / (stamps[-1] - stamps[0])

    def until_refused(self, seconds: float = 15) -> None:
        """Keep writing until the (lost) server refuses a commit: the writer sees the loss."""
        if self._thread is not None:
            self._thread.join(timeout=seconds)
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
