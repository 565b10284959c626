"""Policy gate of the offline plan (filled in by the policy pack work)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paif_cli.plan import StackPlan


def evaluate_plan(plan: StackPlan) -> None:
    plan.findings = []


def render_findings(plan: StackPlan, fmt: str) -> str:
    return ""


def write_pair_artifacts(plans: list[StackPlan], out_dir: Path) -> list[Path]:
    return []
