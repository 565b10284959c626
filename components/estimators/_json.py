"""Number rounding shared by every ``to_dict()``, so plan.json stays short and stable."""

from __future__ import annotations

JSON_DECIMALS = 3


def num(value: float | int) -> float | int:
    """Round floats to a few decimals (ints pass through) so plan.json diffs stay readable."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(value, int):
        return value
    return round(float(value), JSON_DECIMALS)
