"""Running the real CLI for the engine benchmark, with its CPU time measured.

The figures come from the kernel, not from timers in the processes: the CLI's own user+system
seconds are read from ``/proc/PID/stat`` while it is a zombie (``waitid(WNOWAIT)``: exited,
not yet reaped), so they are the Go process's alone; the same line's ``cutime``/``cstime`` are
the plugins it reaped (the language host and the program, providers, the policy pack). A plugin
the CLI's children leave behind (the pack, started by the language host) would be counted by
nobody: this process is a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so such orphans
become its children and it reaps them after the command; ``getrusage(RUSAGE_CHILDREN)`` before
and after the command is then every process of it. The pack writes its own figures too
(``benchmarks/timed_pack.py``).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphans of the commands' process trees become this process's children (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def reap_orphans(keep: set[int], seconds: float = 30) -> None:
    """Wait for this process's children other than ``keep`` (the servers) to exit, reaping
    them, so their CPU joins ``RUSAGE_CHILDREN``."""
    deadline = time.monotonic() + seconds
    me = os.getpid()
    while time.monotonic() < deadline:
        orphans = [pid for pid in _children(me) if pid not in keep]
        if not orphans:
            return
        for pid in orphans:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if not done:
                time.sleep(0.05)


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
            found.append(int(entry.name))
    return found


@dataclass
class CliUsage:
    """CPU seconds of one CLI command: the Go process, what it reaped, and all of it."""

    wall: float = 0.0
    cli: float = 0.0  # the pulumi process alone (user + system)
    plugins: float = 0.0  # plugins the CLI started and reaped (language host, providers, pack)
    total: float = 0.0  # every process of the command
    pack: dict[str, Any] = field(default_factory=dict)  # timed_pack.py's record, if any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MeasuredRun:
    """A ``subprocess.run`` stand-in for ``harness.Project.pulumi``: runs the CLI's command line
    and keeps its :class:`CliUsage` in ``self.usage``."""

    def __init__(self) -> None:
        self.usage = CliUsage()

    def __call__(
        self,
        command: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        capture_output: bool = True,
        text: bool = True,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
            timer = threading.Timer(timeout, process.kill) if timeout else None
            if timer:
                timer.start()
            try:
                os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
                self.usage.wall = time.perf_counter() - start
                stat = Path(f"/proc/{process.pid}/stat").read_text()
                returncode = process.wait()
            except BaseException:  # interrupted: the CLI goes too
                process.kill()
                process.wait()
                raise
            finally:
                if timer:
                    timer.cancel()
            # Fields after the command's closing parenthesis: state is field 3, so utime
            # (field 14) is the 12th, then stime, cutime, cstime.
            fields = stat[stat.rindex(")") + 2 :].split()
            utime, stime, cutime, cstime = (int(v) / TICKS for v in fields[11:15])
            self.usage.cli = utime + stime
            self.usage.plugins = cutime + cstime
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(command, returncode, out.read(), err.read())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    project: Any, *args: str, env: dict[str, str], pack_log: Path, keep: set[int]
) -> dict[str, Any]:
    """One CLI command in ``project`` (a ``harness.Project``), measured; ``keep``: the pids of
    this process's long-lived children (servers), which are not the command's."""
    if pack_log.exists():
        pack_log.unlink()
    before = children_cpu()
    load_before = os.getloadavg()[0]
    runner = MeasuredRun()
    result = project.pulumi(*args, env=env, run=runner, check=False, timeout=7200)
    reap_orphans(keep)
    runner.usage.total = children_cpu() - before
    if pack_log.exists():
        lines = pack_log.read_text().splitlines()
        runner.usage.pack = json.loads(lines[-1]) if lines else {}
    return {
        **runner.usage.as_dict(),
        "returncode": result.returncode,
        "resources": resource_count(result.stdout),
        "load": [load_before, os.getloadavg()[0]],
        "tail": "" if result.returncode == 0 else (result.stdout[-3000:] + result.stderr[-3000:]),
    }


_SUMMARY = re.compile(r"^\s+[-+~]*\s*(\d+) (?:to create|created|unchanged|to update|to delete)")


def resource_count(stdout: str) -> int | None:
    """The resources of the CLI's summary (``Resources:`` then ``+ 703 to create`` ...)."""
    text = stdout[stdout.rfind("Resources:") :] if "Resources:" in stdout else ""
    counts = [int(m.group(1)) for line in text.splitlines() if (m := _SUMMARY.match(line))]
    return sum(counts) if counts else None
