"""The pack's analyzer answers every request exactly as pulumi-policy's own servicer does.

``paif_policies.sdk_analyzer.StackPackServicer`` is what ``pulumi preview --policy-pack`` talks to:
it skips ``Remediate``/``Analyze`` work for a pack of stack policies and converts each resource of
an ``AnalyzeStack`` request once for all policies. Each answer is held to the stock servicer's for
the example stacks' requests, as the engine would send them, under pack configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from paif_cli.crossguard.analyzer import engine_requests, reconcile_policy_config
from paif_components.contract.plan import PlanDocument, ResourceRecord
from paif_policies import pack
from paif_policies.sdk_analyzer import SDK_PACK_VERSION, StackPackServicer


def _records(out: Path, stack: str) -> list[ResourceRecord]:
    return list(
        PlanDocument.from_json(json.loads((out / stack / "plan.json").read_text())).resources
    )


def _servicers() -> tuple[_PolicyAnalyzerServicer, StackPackServicer]:
    """The stock servicer as ``PolicyPack(**pack_arguments())`` builds it, and ours; each with
    policies of its own (a set of policies shares its advisory hand-off)."""
    stock_args = pack.pack_arguments()
    stock = _PolicyAnalyzerServicer(
        stock_args.pop("name"),
        SDK_PACK_VERSION,
        stock_args.pop("policies"),
        stock_args.pop("enforcement_level"),
        **stock_args,
    )
    ours_args = pack.pack_arguments()
    ours = StackPackServicer(
        ours_args.pop("name"), ours_args.pop("policies"), ours_args.pop("enforcement_level"),
        **ours_args,
    )  # fmt: skip
    return stock, ours


def _requests(out: Path, stack: str, config: dict[str, Any]) -> tuple[Any, Any]:
    reconciled = reconcile_policy_config(
        pack.policies(),
        pack_name=pack.PACK_NAME,
        pack_version=pack.pack_version(),
        pack_config=config or None,
        enforcement_level=pack.ENFORCEMENT_LEVEL,
    )
    return engine_requests(_records(out, stack), reconciled)


@pytest.mark.parametrize("stack", ["prod", "dr"])
@pytest.mark.parametrize(
    "config",
    [{}, {"all": "mandatory"}, {"PAIF-CAP-002": "disabled", "PAIF-ADVISORY": "mandatory"}],
    ids=json.dumps,
)
def test_analyze_stack_answers_as_the_stock_servicer(
    example_out: Path, stack: str, config: dict[str, Any]
) -> None:
    configure, request = _requests(example_out, stack, config)
    stock, ours = _servicers()
    tags = analyzer_pb2.AnalyzerStackConfigureRequest(tags={"team": "platform"})
    for servicer in (stock, ours):
        if configure is not None:
            servicer.Configure(configure, None)
        servicer.ConfigureStack(tags, None)
    expected = stock.AnalyzeStack(request, None)
    answered = ours.AnalyzeStack(request, None)
    assert answered == expected
    # Not vacuous: the example's prod stack has advisory findings and a waived one.
    if stack == "prod" and not config:
        assert expected.diagnostics and expected.not_applicable


def test_remediate_and_analyze_answer_as_the_stock_servicer(example_out: Path) -> None:
    _, request = _requests(example_out, "prod", {})
    stock, ours = _servicers()
    for resource in request.resources:
        each = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=resource.properties,
            urn=resource.urn,
            name=resource.name,
            options=resource.options,
            provider=resource.provider,
        )
        assert ours.Remediate(each, None) == stock.Remediate(each, None)
        assert ours.Analyze(each, None) == stock.Analyze(each, None)


def test_a_pack_with_a_resource_policy_is_analyzed_by_the_stock_code(example_out: Path) -> None:
    def no_namespaces(args: Any, report: Any) -> None:
        if args.resource_type == "kubernetes:core/v1:Namespace":
            report("no namespaces here")

    policy = ResourceValidationPolicy(
        name="no-namespaces", description="No namespaces.", validate=no_namespaces
    )
    ours = StackPackServicer("resource-pack", [policy], EnforcementLevel.MANDATORY)
    _, request = _requests(example_out, "prod", {})
    namespaces = [r for r in request.resources if r.type == "kubernetes:core/v1:Namespace"]
    assert namespaces
    each = analyzer_pb2.AnalyzeRequest(
        type=namespaces[0].type, properties=namespaces[0].properties, urn=namespaces[0].urn,
        name=namespaces[0].name, options=namespaces[0].options,
    )  # fmt: skip
    answer = ours.Analyze(each, None)
    assert [d.policyName for d in answer.diagnostics] == ["no-namespaces"]
    assert "no namespaces here" in answer.diagnostics[0].message
