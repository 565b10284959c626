"""Kubernetes quantities and human durations as they appear in stack config.

Config keeps the user's spelling (``128Gi``, ``30m``) so rendered manifests read like the
source document; these helpers give the numbers the estimators and policies compare.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"m": 10**-3, "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_QUANTITY_RE = re.compile(
    r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|)$"
)
_DURATION_RE = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")


def parse_quantity(value: str | int | float) -> float:
    """Return a Kubernetes quantity as a plain number (bytes for memory, cores for cpu)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity such as '128Gi' or '32', got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a quantity cannot be negative, got {value!r}")
        return float(value)
    match = _QUANTITY_RE.match(str(value).strip())
    if not match:
        raise ValueError(
            f"expected a quantity such as '128Gi', '500Gi', '32' or '500m', got {value!r}"
        )
    number = float(match["num"])
    suffix = match["suffix"]
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def _normalise_quantity(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a quantity such as '128Gi' or '32', got {value!r}")
    parse_quantity(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


Quantity = Annotated[str, BeforeValidator(_normalise_quantity)]
"""A Kubernetes quantity kept in the user's spelling; use :func:`parse_quantity` for its value."""


def parse_duration(value: str | int) -> int:
    """Seconds for ``90s``, ``30m``, ``4h``, ``1h30m``, ``2d`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30m' or '4h', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return value
    text = str(value).strip()
    match = _DURATION_RE.match(text)
    if not text or not match or not any(match.groupdict().values()):
        raise ValueError(
            f"expected a duration such as '90s', '30m', '4h' or '1h30m', got {value!r}"
        )
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def format_seconds(seconds: float) -> str:
    """Render seconds the way config spells durations (``1h30m``, ``45s``)."""
    total = round(seconds)
    if total == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            out.append(f"{amount}{unit}")
    return "".join(out)


def _duration_seconds(value: object) -> int:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30m' or '4h', got {value!r}")
    return parse_duration(value)


Duration = Annotated[
    int, BeforeValidator(_duration_seconds), PlainSerializer(format_seconds, return_type=str)
]
"""A duration in seconds, written in config as ``30m``, ``4h`` or ``1h30m``."""
