"""What the plan learned about one stack: the record every stage after the program reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paif_cli.mock_runtime import ProgramResult
from paif_components.config import StackConfig
from paif_components.contract.finding import Finding
from paif_components.contract.plan import PlanDocument

__all__ = ["StackPlan"]


@dataclass
class StackPlan:
    """One stack's plan: its config, what its program registered, the gate's findings and the
    documents rendered for it (``reports``: file name → text, written beside plan.json)."""

    stack: str
    project: str
    stack_file: str
    config: StackConfig
    result: ProgramResult
    findings: list[Finding] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def estimates(self) -> dict[str, Any]:
        value = self.result.outputs.get("estimates")
        return value if isinstance(value, dict) else {}

    @property
    def mandatory_failures(self) -> list[Finding]:
        # The engine's rule: any diagnostic at mandatory level fails the preview. Waived
        # findings are never diagnostics (PAIF-WAIVED answers "not applicable").
        return [f for f in self.findings if f.blocking]

    def document(self) -> PlanDocument:
        """plan.json's record of this stack."""
        return PlanDocument(
            stack=self.stack,
            project=self.project,
            stack_file=self.stack_file,
            environment=self.config.environment,
            resources=self.result.resources,
            outputs=self.result.outputs,
            secret_outputs=self.result.secret_outputs,
            findings=self.findings,
            estimates=self.estimates,
        )

    def to_json(self) -> dict[str, Any]:
        return self.document().to_json()
