"""Where things go: the fixed geometry (one column per site, tenants aligned across sites so
replication arrows run straight), colours, and text widths from DejaVu Sans' advances, so labels
are cut to fit without a font at hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from paif_cli.diagram.model import Site

MARGIN: Final = 24


COLUMN_WIDTH: Final = 450


GAP_WIDTH: Final = 260


TITLE_HEIGHT: Final = 58


SITE_HEADER_HEIGHT: Final = 74


NODE_HEIGHT: Final = 26


NODE_GAP: Final = 6


TENANT_TITLE_HEIGHT: Final = 28


TENANT_PAD: Final = 10


ROW_SPACING: Final = 12


INNER_PAD: Final = 12


LINE_HEIGHT: Final = 17


FONT: Final = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"


COLORS: Final[dict[str, str]] = {
    "endpoint": "#1a7f37",
    "vks-cluster": "#0969da",
    "database": "#9a6700",
    "harbor": "#8250df",
    "edge-lb": "#cf222e",
    "gslb": "#bc4c00",
    "dns": "#57606a",
    "harbor-replication": "#8250df",
    "db-replication": "#9a6700",
    "gslb-member": "#bc4c00",
    "primary": "#0969da",
    "dr": "#8250df",
    "peer": "#57606a",
}


KIND_TAGS: Final[dict[str, str]] = {
    "endpoint": "AI",
    "vks-cluster": "VKS",
    "database": "DB",
    "harbor": "REG",
    "edge-lb": "LB",
}


# Advance widths of DejaVu Sans (the first font asked for), in em; others fall back to the
# class averages below. Bold text is about 10 % wider.
_ADVANCE: Final[dict[str, float]] = {
    **dict.fromkeys("abdeghnopqu", 0.63),
    **dict.fromkeys("cksvxyz", 0.56),
    **dict.fromkeys("ijl", 0.28),
    **dict.fromkeys("frt", 0.4),
    "m": 0.97,
    "w": 0.82,
    **dict.fromkeys("0123456789", 0.64),
    **dict.fromkeys(" .,:;'|!", 0.32),
    **dict.fromkeys("()[]{}/-", 0.37),
    "I": 0.3,
    "M": 0.86,
    "W": 0.99,
    "·": 0.32,
    "–": 0.5,
    "…": 0.8,
    "→": 0.84,
    "≈": 0.84,
    "⇄": 0.84,
    "%": 0.95,
    "@": 1.0,
}


_UPPER_ADVANCE: Final = 0.72


_OTHER_ADVANCE: Final = 0.62


BOLD_FACTOR: Final = 1.1


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Approximate rendered width of ``text`` at ``size`` px (DejaVu Sans metrics)."""
    return _advances(text)[-1] * size * (BOLD_FACTOR if bold else 1.0)


def _advances(text: str) -> list[float]:
    """The advance of each prefix of ``text``, summed from the left (``[0.0, ...]``)."""
    total = 0.0
    totals = [total]
    for char in text:
        advance = _ADVANCE.get(char)
        if advance is None:
            advance = _UPPER_ADVANCE if char.isupper() else _OTHER_ADVANCE
        total += advance
        totals.append(total)
    return totals


def fit(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it fits ``width``: the longest prefix that fits
    with the ellipsis (each prefix's width summed as ``text_width`` sums it)."""
    totals = _advances(text)
    factor = BOLD_FACTOR if bold else 1.0
    if totals[-1] * size * factor <= width:
        return text
    ellipsis = _ADVANCE["…"]
    end = len(text)
    while end and (totals[end] + ellipsis) * size * factor > width:
        end -= 1
    return text[:end].rstrip() + "…"


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w


def tenant_rows(sites: Sequence[Site]) -> list[tuple[str, dict[str, int]]]:
    """Tenants (those with services first, then by name) with, per section, the most items
    any site has; registration order is not stable, so nothing here depends on it."""
    sizes: dict[str, dict[str, int]] = {}
    for site in sites:
        for name, tenant in site.tenants.items():
            entry = sizes.setdefault(name, {"endpoint": 0, "vks-cluster": 0, "database": 0})
            for kind in entry:
                entry[kind] = max(entry[kind], len(tenant.section(kind)))
    order = sorted(sizes, key=lambda name: (not any(sizes[name].values()), name))
    return [(name, sizes[name]) for name in order]
