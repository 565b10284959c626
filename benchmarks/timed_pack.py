"""The policy pack as the engine tier's launcher runs it, with its own CPU time written down.

``python benchmarks/timed_pack.py ARGS... PACK_FOLDER`` does what ``python -m pulumi.policy
ARGS... PACK_FOLDER`` does (the command the launcher of ``tests/engine/harness.policy_pack``
and the Python language host run for a pack), and when the CLI stops it (SIGINT to its process
group, plugin.go's ``Close``) writes to ``$PAIF_BENCH_PACK_RUSAGE`` a JSON line: user and
system CPU seconds of the whole process, wall seconds alive, and seconds from start until the
analyzer served its port (the start-up: interpreter, imports, the pack's definition).
``$PAIF_BENCH_PACK_PROFILE`` also keeps a cProfile of the process (all its threads) there.
"""

from __future__ import annotations

import json
import os
import resource
import runpy
import signal
import sys
import time

START = time.perf_counter()
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
            _served.append(time.perf_counter() - START)
        return self._stream.write(data)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _finish(signum: int, frame: object) -> None:
    if _profiles:
        import pstats

        _profiles[0].disable()
        stats = pstats.Stats(_profiles[0])
        for profile in _profiles[1:]:  # the gRPC worker threads (idle now)
            stats.add(profile)
        stats.dump_stats(os.environ["PAIF_BENCH_PACK_PROFILE"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "wall": time.perf_counter() - START,
        "startup": _served[0] if _served else None,
        "maxrss_mib": usage.ru_maxrss / 1024,
    }
    with open(os.environ["PAIF_BENCH_PACK_RUSAGE"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    raise KeyboardInterrupt  # what the default handler does


_profiles: list[object] = []
if os.environ.get("PAIF_BENCH_PACK_PROFILE"):
    import cProfile
    import threading

    def _profile_thread(*_: object) -> None:
        """A cProfile per thread (cProfile sees only the thread that enables it): the gRPC
        server answers on worker threads."""
        profile = cProfile.Profile()
        _profiles.append(profile)
        profile.enable()

    _profile_thread()
    threading.setprofile(_profile_thread)

signal.signal(signal.SIGINT, _finish)
signal.signal(signal.SIGTERM, _finish)
sys.stdout = _Stream(sys.stdout)  # type: ignore[assignment]
sys.argv = ["pulumi.policy", *sys.argv[1:]]
runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
