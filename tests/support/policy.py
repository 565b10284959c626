"""What the policy-rule tests share: a PaifSite stand-in, tiny programs, plans and finding rows.

Rules are evaluated through the real analyzer (``paif_cli.crossguard.analyzer.evaluate`` or the
gate's ``evaluate_records``) like ``paif plan`` does; these helpers only shape input and output
(a test edits a record in plan.json's form: :func:`records_of` reads it back as the
``ResourceRecord`` the analyzer takes).
The rule tests import ``policies``, the components they build and this module: the CLI's runtime,
gate and plan are reached through the names below, not imported by each test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi_policy import EnforcementLevel

from paif_cli import gate
from paif_cli.crossguard import analyzer
from paif_cli.crossguard.analyzer import Finding
from paif_cli.errors import InputError, ProgramError
from paif_cli.mock_runtime import (
    SECRET_PLACEHOLDER,
    PlanMocks,
    ProgramResult,
    run_program,
)
from paif_cli.pipeline import plan_stack
from paif_cli.record import StackPlan
from paif_components.contract.plan import ResourceRecord
from paif_policies import framework
from paif_policies.framework import REGISTRY, SITE_TYPE, build_policies
from paif_policies.pack import PACK_NAME, pack_version
from tests.support.stacks import write_project

__all__ = [
    "SECRET_PLACEHOLDER",
    "InputError",
    "ProgramError",
    "ProgramResult",
    "Row",
    "Site",
    "StackPlan",
    "check",
    "evaluate",
    "evaluate_records",
    "findings_of",
    "plan",
    "plan_rows",
    "plan_stack",
    "records_of",
    "run_rules",
    "run_site",
    "site_records",
]

Row = tuple[str, str | None, str]
Records = Sequence[ResourceRecord | Mapping[str, Any]]


def records_of(records: Records) -> list[ResourceRecord]:
    """The analyzer's records: each in plan.json's form read back (``ResourceRecord.from_json``)."""
    return [r if isinstance(r, ResourceRecord) else ResourceRecord.from_json(r) for r in records]


def evaluate(policies: Any, records: Records, **kwargs: Any) -> list[Finding]:
    """``paif_cli.crossguard.analyzer.evaluate`` on records in either form."""
    return analyzer.evaluate(policies, records_of(records), **kwargs)


def evaluate_records(records: Records, *args: Any, **kwargs: Any) -> list[Any]:
    """The gate's ``evaluate_records`` on records in either form."""
    return gate.evaluate_records(records_of(records), *args, **kwargs)


class Site(pulumi.ComponentResource):
    """Stands in for PaifSite: the same type token, the site props given."""

    def __init__(self, name: str, props: Mapping[str, Any]) -> None:
        super().__init__(SITE_TYPE, name, dict(props))
        self.register_outputs({})


def run_site(props: Mapping[str, Any], build: Callable[[], None] = lambda: None) -> ProgramResult:
    """A program of a site named ``props["site"]`` and whatever ``build`` registers beside it."""

    def program() -> None:
        Site(str(props["site"]), props)
        build()

    return run_program(program, PlanMocks(), project="paif", stack="test")


def site_records(
    run_pulumi: Callable[..., ProgramResult],
    build: Callable[[Site], None],
    environment: str = "prod",
    **site: Any,
) -> list[dict[str, Any]]:
    """Plan records of a site named ``site`` and what ``build`` hangs under it."""

    def program() -> None:
        build(Site("site", {"environment": environment, **site}))

    return [r.to_json() for r in run_pulumi(program, stack="prod").resources]


def run_rules(
    run_pulumi: Callable[..., ProgramResult],
    build: Callable[[Site], None],
    environment: str = "prod",
    **site: Any,
) -> list[dict[str, Any]]:
    """The whole pack's findings (default pack config) on ``site_records``."""
    return evaluate_records(site_records(run_pulumi, build, environment, **site))


def check(
    result: ProgramResult | list[dict[str, Any]],
    rule_id: str,
    config: Mapping[str, Any] | None = None,
) -> list[Row]:
    """(enforcement, resource name, message) of one rule's findings, sorted."""
    records = records_of(result if isinstance(result, list) else result.resources)
    found = evaluate(
        build_policies([REGISTRY[rule_id]]),
        records,
        pack_name=PACK_NAME,
        pack_version=pack_version(),
        pack_config=config,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    # Everything the rule's own policy says (a crash or "can't run during preview" included),
    # and what it handed to the advisory policy.
    return sorted(
        _row(f, rule_id)
        for f in found
        if f.rule_id == rule_id or f.message.startswith(f"[{rule_id}] ")
    )


def _row(finding: Finding, rule_id: str) -> Row:
    assert finding.rule_id in (rule_id, framework.ADVISORY_POLICY)
    name = finding.urn.rsplit("::", 1)[-1] if finding.urn else None
    return finding.enforcement, name, finding.message.removeprefix(f"[{rule_id}] ")


def findings_of(findings: Sequence[Finding], rule_id: str) -> list[tuple[str, str, str]]:
    """(enforcement, resource name, message) of one rule's findings, in report order."""
    return [
        (f.enforcement, (f.urn or "").rsplit("::", 1)[-1], f.message)
        for f in findings
        if f.rule_id == rule_id
    ]


def plan(tmp: Path, config: dict[str, Any], stack: str = "prod") -> StackPlan:
    """``paif plan`` of a one-stack throwaway project holding ``config``."""
    return plan_stack(write_project(tmp, {stack: config}), stack)


def plan_rows(stack_plan: StackPlan, rule_id: str) -> list[tuple[str, str]]:
    """(enforcement, message) of one rule's findings in a plan, sorted."""
    return sorted((f.enforcement, f.message) for f in stack_plan.findings if f.rule_id == rule_id)
