"""The policy pack's own CPU time, written down when the CLI stops it (the engine benchmark).

``bench_engine`` gives the CLI a copy of ``policies/`` whose ``__main__.py`` imports this module
and then runs the pack's real ``__main__.py`` (kept beside it as ``_pack_main.py``): the same
process the Python language host starts for a pack (``python -m pulumi.policy ... <folder>``).
When the CLI stops it (SIGINT to its process group, plugin.go's ``Close``) this writes to
``$PAIF_BENCH_PACK_RUSAGE`` a JSON line: user and system CPU seconds of the whole process, wall
seconds since it started, and seconds from its start until the analyzer printed its port (the
start-up: interpreter, ``pulumi`` and the pack's imports, the pack's definition).
``$PAIF_BENCH_PACK_PROFILE`` also keeps a cProfile of the process (all its threads) there.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _alive() -> float:
    """Seconds since this process started (its start time in /proc against the uptime)."""
    stat = Path("/proc/self/stat").read_text()
    started = int(stat[stat.rindex(")") + 2 :].split()[19]) / TICKS
    return float(Path("/proc/uptime").read_text().split()[0]) - started


_served: list[float] = []


class _Stream:
    """Notes when the analyzer prints its port (its first output): the start-up's end."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    @property
    def buffer(self) -> _Stream:
        return _Stream(self._stream.buffer)  # type: ignore[attr-defined]

    def write(self, data: str | bytes) -> int:
        if not _served and data.strip():
            _served.append(_alive())
        return self._stream.write(data)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


_profiles: list[object] = []


def _finish(signum: int, frame: object) -> None:
    if _profiles:
        import pstats

        _profiles[0].disable()  # type: ignore[attr-defined]
        stats = pstats.Stats(_profiles[0])  # type: ignore[arg-type]
        for profile in _profiles[1:]:  # the gRPC worker threads (idle now)
            stats.add(profile)  # type: ignore[arg-type]
        stats.dump_stats(os.environ["PAIF_BENCH_PACK_PROFILE"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "wall": _alive(),
        "startup": _served[0] if _served else None,
        "maxrss_mib": usage.ru_maxrss / 1024,
    }
    with open(os.environ["PAIF_BENCH_PACK_RUSAGE"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    raise KeyboardInterrupt  # what the default handler does


def install() -> None:
    if os.environ.get("PAIF_BENCH_PACK_PROFILE"):
        import cProfile
        import threading

        def profile_thread(*_: object) -> None:
            """A cProfile per thread (cProfile sees only the thread that enables it): the
            gRPC server answers on worker threads."""
            profile = cProfile.Profile()
            _profiles.append(profile)
            profile.enable()

        profile_thread()
        threading.setprofile(profile_thread)
    if os.environ.get("PAIF_BENCH_PACK_RUSAGE"):
        signal.signal(signal.SIGINT, _finish)
        signal.signal(signal.SIGTERM, _finish)
    sys.stdout = _Stream(sys.stdout)  # type: ignore[assignment]


WRAPPER = '''"""The pack, timed by the engine benchmark (benchmarks/timed_pack.py)."""
import runpy
import sys

sys.path[:0] = {paths!r}
sys.path.insert(0, {bench!r})
import timed_pack  # noqa: E402

sys.path.remove({bench!r})
timed_pack.install()
runpy.run_path({main!r}, run_name="__main__")
'''


def timed_copy(folder: Path, paths: tuple[str, ...] = ()) -> Path:
    """Make the pack in ``folder`` (a copy of ``policies/``) run under this module; ``paths``
    go first on ``sys.path`` (another checkout's ``components``)."""
    main = folder / "__main__.py"
    real = folder / "_pack_main.py"
    main.rename(real)
    main.write_text(
        WRAPPER.format(paths=list(paths), bench=str(Path(__file__).parent), main=str(real)),
        encoding="utf-8",
    )
    return folder
