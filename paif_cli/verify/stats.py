"""Latency percentiles and error rate of a batch of sample requests (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: of 100 samples, P95 is the 95th smallest (§9.7.2 runbook)."""
    if not values:
        raise ValueError("no values")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is not in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Sample:
    """One request: how long it took, its HTTP status (None: no answer) and why it failed."""

    seconds: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class LoadSummary:
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None
    first_error: str | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "errorRate": self.error_rate,
            "p50Seconds": self.p50,
            "p95Seconds": self.p95,
            "p99Seconds": self.p99,
        }


def summarize(samples: Sequence[Sample]) -> LoadSummary:
    """Percentiles over the successful requests; every non-2xx answer or no answer is an error."""
    ok = [s.seconds for s in samples if s.ok]
    failed = [s for s in samples if not s.ok]
    first = next((s.error or f"HTTP {s.status}" for s in failed), None)
    return LoadSummary(
        requests=len(samples),
        errors=len(failed),
        p50=percentile(ok, 50) if ok else None,
        p95=percentile(ok, 95) if ok else None,
        p99=percentile(ok, 99) if ok else None,
        first_error=first,
    )
