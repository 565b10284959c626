"""What the packaging tier installs: a venv from the wheel, and the pack folder shipped alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the project installed from its wheel, and a lone copy of the pack."""

    python: Path
    paif: Path
    pack_dir: Path
