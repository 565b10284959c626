"""Durations in and out: config spellings (``90s``, ``30m``, ``1h30m``) and plan wording.

The grammar matches ``paif_components.config.units.parse_duration`` (d, h, m, s in that order) and
also takes decimals (``1.5h``) and plain numbers of seconds; it lives here so the estimators
import nothing beyond the standard library.
"""

from __future__ import annotations

import math
import re

from paif_components.estimators.errors import EstimatorError

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION_RE = re.compile(
    rf"^(?:(?P<d>{_NUMBER})d)?(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m)?(?:(?P<s>{_NUMBER})s)?$"
)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DISPLAY_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def parse_duration(value: str | int | float) -> float:
    """Seconds for ``45``, ``90s``, ``30m``, ``4h``, ``1h30m``, ``1.5h`` or ``2d``."""
    if isinstance(value, bool):
        raise EstimatorError(f"expected a duration such as '30m' or 1800, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        match = _DURATION_RE.match(text)
        if text and re.fullmatch(_NUMBER, text):
            seconds = float(text)
        elif text and match and any(match.groupdict().values()):
            seconds = sum(
                float(amount) * _UNIT_SECONDS[unit]
                for unit, amount in match.groupdict().items()
                if amount
            )
        else:
            raise EstimatorError(
                f"expected a duration such as '90s', '30m', '4h' or '1h30m', got {value!r}"
            )
    else:
        raise EstimatorError(f"expected a duration such as '30m' or 1800, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise EstimatorError(f"a duration must be a finite number ≥ 0 seconds, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds for people: ``45 s``, ``2 min 8 s``, ``1 h 52 min``, ``2 d 3 h``.

    Rounds to whole seconds and keeps the two largest units: an estimate is not more
    precise than that, and the plan stays readable.
    """
    if isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise EstimatorError(f"a duration must be a finite number ≥ 0 seconds, got {seconds!r}")
    if 0 < seconds < 0.5:
        return "< 1 s"
    remaining = round(seconds)
    if remaining == 0:
        return "0 s"
    parts: list[str] = []
    for unit, size in _DISPLAY_UNITS:
        amount, remaining = divmod(remaining, size)
        if amount or parts:
            parts.append(f"{amount} {unit}")
        if len(parts) == 2:
            break
    if len(parts) == 2 and parts[1].startswith("0 "):
        parts.pop()
    return " ".join(parts)
