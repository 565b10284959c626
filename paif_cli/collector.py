"""How a plan runs Python's cyclic garbage collector: rarely, and not at all while gating and
writing (docs/benchmarks.md)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["PLAN_GC_THRESHOLDS", "collector_paused", "plan_gc_thresholds"]

# A plan allocates millions of small objects that live until it ends; with Python's default
# thresholds (700, 10, 10) the cyclic GC re-scans them over and over: about a quarter of a
# 50-tenant plan (docs/benchmarks.md). Collections stay on, just rarer.
PLAN_GC_THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def plan_gc_thresholds(*, restore: bool = True) -> Iterator[None]:
    """Run with PLAN_GC_THRESHOLDS and restore the caller's (tests call ``main`` in-process).

    Restoring lower thresholds starts collections of everything the run made (over a second
    at 50 tenants): ``restore=False`` is for a process that ends right after.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*PLAN_GC_THRESHOLDS)
    try:
        yield
    finally:
        if restore:
            gc.set_threshold(*previous)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting goes on): for the gate and the
    writing, which build many objects that live to the end of the phase and leave few cycles.
    The collector would only walk them: a third of a 50-tenant gate's time, and a collection
    of the program's objects while writing (docs/benchmarks.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
