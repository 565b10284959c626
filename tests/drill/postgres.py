"""A real PostgreSQL 16 with pgvector per site, on loopback, from the ``pgserver`` wheel.

The drill does not use pgserver's own server handling (one unix-socket server per folder,
stopped at interpreter exit): it runs the wheel's binaries itself, ``initdb`` into a temporary
folder and ``postgres`` on a free TCP port of 127.0.0.1, in a process group of its own, so a
test can SIGKILL the whole site (the postmaster and every backend at once, as when the site's
hosts go) and stop anything left by its id. PostgreSQL refuses to run as root: as root the
binaries run as ``nobody``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pgserver
import psycopg

PG_BIN = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"
# The superuser initdb creates; the drill connects as it over the unix socket (trust).
SUPERUSER = "postgres"
NOBODY = 65534
READY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> dict[str, Any]:
    """Popen arguments that drop root (PostgreSQL will not run as root)."""
    return {"user": NOBODY, "group": NOBODY} if os.geteuid() == 0 else {}


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def run_tool(tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """One of the wheel's client tools (initdb, pg_basebackup, psql), as the server user."""
    return subprocess.run(
        [str(PG_BIN / tool), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
        **_as_server_user(),
    )


@dataclass
class Postgres:
    """One site's database server: ``root/<name>/{data,run,postgres.log}``."""

    name: str
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def folder(self) -> Path:
        return self.root / self.name

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def sockets(self) -> Path:
        return self.folder / "run"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def init(self) -> None:
        """``initdb``: trust on the socket, SCRAM passwords over TCP (the replication role)."""
        for path in (self.root, self.folder, self.sockets):
            _own(path)
        os.chmod(self.root, 0o755)
        os.chmod(self.folder, 0o755)
        run_tool(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--no-instructions",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip

    def start(self, settings: dict[str, str] | None = None) -> None:
        command = [
            str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-k", str(self.sockets), "-c", "listen_addresses=127.0.0.1",
        ]  # fmt: skip
        for key, value in (settings or {}).items():
            command += ["-c", f"{key}={value}"]
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole site dies at once
            **_as_server_user(),
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres {self.name} exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(psycopg.OperationalError):
                self.connect("postgres").close()
                return
            time.sleep(0.2)
        raise RuntimeError(f"postgres {self.name} not ready:\n{self.log.read_text()[-3000:]}")

    def connect(self, dbname: str, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=str(self.sockets),
            port=self.port,
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
            **kwargs,
        )

    def sql(self, dbname: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.connect(dbname) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """The site is lost: SIGKILL to the postmaster and every backend at once."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server and anything left of its process group, by its id."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
