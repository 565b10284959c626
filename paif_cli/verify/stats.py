"""Latency percentiles and error rate of a batch of sample requests (pure).

An error rate measured on n requests is an estimate; what a run can *show* is that the true rate
is below a limit, and that needs enough requests: with no error in 100 requests the rate is only
known to be below about 3 % (95 % confidence). The error-rate check therefore judges the
Clopper-Pearson upper bound (exact, one-sided, 95 %), not the observed share alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

# The confidence at which the error-rate check shows a rate below its limit (project default).
CONFIDENCE: Final = 0.95
METHOD: Final = "Clopper-Pearson, one-sided 95 %"
# Beyond this many requests a run is not a post-deployment check any more: the rate observed is
# too close to the limit to tell (requests_needed answers None).
MAX_REQUESTS: Final = 1_000_000


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: of 100 samples, P95 is the 95th smallest (§9.7.2 runbook)."""
    if not values:
        raise ValueError("no values")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is not in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (n up to millions)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_term = n * log_q  # i = 0
    total = math.exp(log_term)
    for i in range(k):  # term(i + 1) = term(i) * (n - i) / (i + 1) * p / q
        log_term += math.log(n - i) - math.log(i + 1) + log_p - log_q
        total += math.exp(log_term)
    return min(total, 1.0)


def upper_bound(errors: int, requests: int, confidence: float = CONFIDENCE) -> float:
    """Clopper-Pearson one-sided upper bound of the error rate: the largest rate under which
    seeing ``errors`` or fewer in ``requests`` still has probability ``1 - confidence``."""
    if requests < 1:
        raise ValueError("no requests")
    if not 0 <= errors <= requests:
        raise ValueError(f"{errors} errors of {requests} requests")
    if errors == requests:
        return 1.0
    alpha = 1.0 - confidence
    if errors == 0:  # closed form: (1 - U)^n = alpha
        return 1.0 - alpha ** (1.0 / requests)
    low, high = errors / requests, 1.0
    for _ in range(100):  # bisection: the CDF falls as p rises
        mid = (low + high) / 2
        if _binomial_cdf(errors, requests, mid) > alpha:
            low = mid
        else:
            high = mid
    return high


def requests_needed(limit: float, rate: float = 0.0, confidence: float = CONFIDENCE) -> int | None:
    """The fewest requests whose upper bound falls below ``limit`` when errors keep coming at
    ``rate``; None when ``rate`` is at or too close to the limit to show it in MAX_REQUESTS."""
    if not 0 < limit < 1:
        raise ValueError(f"limit {limit} is not in (0, 1)")
    if rate >= limit:
        return None

    def shown(n: int) -> bool:
        return upper_bound(math.floor(rate * n), n, confidence) < limit

    if rate == 0.0:  # closed form of upper_bound(0, n) < limit
        n = math.floor(math.log(1 - confidence) / math.log1p(-limit)) + 1
        while not shown(n):
            n += 1
        return n
    if not shown(MAX_REQUESTS):
        return None
    low, high = 1, MAX_REQUESTS  # shown(high); the bound falls (almost) monotonically with n
    while high - low > 1:
        mid = (low + high) // 2
        if shown(mid):
            high = mid
        else:
            low = mid
    return high


@dataclass(frozen=True)
class Sample:
    """One request: how long it took, its HTTP status (None: no answer), why it failed and the
    kind of failure (``HTTP 500``, ``timeout after connect``, ``body not JSON``, ...)."""

    seconds: float
    status: int | None
    error: str | None = None
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class LoadSummary:
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None
    first_error: str | None
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def error_rate_upper_bound(self) -> float | None:
        return upper_bound(self.errors, self.requests) if self.requests else None

    def kinds_text(self) -> str:
        """``3 timeout after connect, 1 HTTP 500``, most frequent first."""
        ordered = sorted(self.error_kinds.items(), key=lambda item: (-item[1], item[0]))
        return ", ".join(f"{count} {kind}" for kind, count in ordered)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "errorRate": self.error_rate,
            "errorRateUpperBound": self.error_rate_upper_bound,
            "errorRateBoundMethod": METHOD,
            "errorKinds": dict(self.error_kinds),
            "p50Seconds": self.p50,
            "p95Seconds": self.p95,
            "p99Seconds": self.p99,
        }


def summarize(samples: Sequence[Sample]) -> LoadSummary:
    """Percentiles over the successful requests; every failed request (no answer, a non-2xx
    status, or a 2xx whose body is not what the API answers) is an error."""
    ok = [s.seconds for s in samples if s.ok]
    failed = [s for s in samples if not s.ok]
    first = next((s.error or f"HTTP {s.status}" for s in failed), None)
    kinds = Counter(s.kind or (f"HTTP {s.status}" if s.status else "no answer") for s in failed)
    return LoadSummary(
        requests=len(samples),
        errors=len(failed),
        p50=percentile(ok, 50) if ok else None,
        p95=percentile(ok, 95) if ok else None,
        p99=percentile(ok, 99) if ok else None,
        first_error=first,
        error_kinds=dict(kinds),
    )
