"""Offline answers for the vsphere provider (see paif_cli.offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

COMPUTED: dict[str, Callable[[Any], dict[str, Any]]] = {}
INVOKES: dict[str, Callable[[Any], dict[str, Any]]] = {}
