"""Every path of the offline analyzer gives the same findings.

``paif plan`` evaluates the pack's stack policies with one conversion of each resource
(``paif_cli.sdk_adapter.policy.analyze_stack``); ``via_protocol=True`` plays every request the
engine sends, sharing conversions across policies; without the SDK shortcuts the protocol runs
on the SDK's own code alone. All run the same pack (``paif_policies.pack.policies()``) and must
agree on every finding, waived or not, and so on the verdict: on the example stacks, under pack
configs, and at 50 tenants with findings of several rules.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import DR_STACK, STACK, dr_stack_config, stack_config
from paif_cli import gate
from paif_cli.pipeline import plan_stack
from paif_cli.record import StackPlan
from paif_components.contract.plan import ResourceRecord
from tests.support.stacks import ROOT, blocked_prod, write_project


def _records(plan: StackPlan) -> Sequence[ResourceRecord]:
    return plan.result.resources


def _both(plan: StackPlan, pack_config: dict[str, Any] | None = None) -> tuple[list, list]:
    """The direct path's findings and the protocol's (with and without the SDK shortcuts,
    which must agree)."""
    records = _records(plan)
    direct = gate.evaluate_records(records, pack_config)
    protocol = gate.evaluate_records(records, pack_config, via_protocol=True)
    stock = gate.evaluate_records(records, pack_config, sdk_shortcuts=False)
    assert stock == protocol
    return direct, protocol


@pytest.fixture(scope="module")
def examples() -> dict[str, StackPlan]:
    prod = plan_stack(ROOT, "prod")
    return {"prod": prod, "dr": plan_stack(ROOT, "dr", planned={"prod": prod})}


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_example_stacks_same_findings(examples: dict[str, StackPlan], stack: str) -> None:
    direct, protocol = _both(examples[stack])
    assert direct == protocol
    assert direct == examples[stack].findings
    assert any(f.waived for f in examples["prod"].findings)


@pytest.mark.parametrize(
    "pack_config",
    [
        {"all": "mandatory"},
        {"all": "advisory"},
        {"PAIF-CAP-002": "disabled", "PAIF-ADVISORY": "mandatory"},
        {"PAIF-HA-001": {"minReplicasProd": 3}},
    ],
)
def test_same_findings_under_pack_config(
    examples: dict[str, StackPlan], pack_config: dict[str, Any]
) -> None:
    direct, protocol = _both(examples["prod"], pack_config)
    assert direct == protocol


def _broken_at_scale(tenants: int) -> dict[str, Any]:
    """The synthetic primary with faults in a few tenants, so that several rules report."""
    config = copy.deepcopy(stack_config(tenants))
    copies = config["paif:tenants"]
    copies[3]["modelEndpoints"][0]["replicas"] = {"min": 1, "max": 10}
    copies[7]["vksClusters"][0]["controlPlaneReplicas"] = 1
    del copies[9]["databases"][0]["backup"]
    copies[11]["databases"][0]["ha"] = False
    # test_gate's broken stack: a plaintext password and an expired waiver.
    broken = blocked_prod()
    config["vsphere:password"] = broken["vsphere:password"]
    config["paif:waivers"] += broken["paif:waivers"]
    return config


def test_fifty_tenants_same_findings_and_verdict(tmp_path: Path) -> None:
    project = write_project(tmp_path, {STACK: _broken_at_scale(50), DR_STACK: dr_stack_config(50)})
    plan = plan_stack(project, STACK)
    protocol = gate.evaluate_records(_records(plan), via_protocol=True)
    assert plan.findings == protocol
    rules = {f.rule_id for f in protocol if not f.waived}
    assert len(rules) >= 4, rules
    assert sum(f.waived for f in protocol) >= 50
    assert plan.mandatory_failures


def test_one_stack_view_per_direct_evaluation(
    examples: dict[str, StackPlan], monkeypatch: pytest.MonkeyPatch
) -> None:
    from paif_policies import framework

    built: list[int] = []
    real_init = framework.StackView.__init__

    def counting_init(self: Any, resources: Any) -> None:
        built.append(1)
        real_init(self, resources)

    monkeypatch.setattr(framework.StackView, "__init__", counting_init)
    direct, protocol = [], []
    for via_protocol, counts in ((False, direct), (True, protocol)):
        built.clear()
        gate.evaluate_records(_records(examples["prod"]), via_protocol=via_protocol)
        counts.append(len(built))
    # The protocol hands each of the pack's policies objects of its own: a view each.
    assert protocol[0] > 30
    assert direct[0] <= 2  # the direct evaluation's shared view (and gate's own)
