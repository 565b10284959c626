"""Every request of the analyzer protocol, played against the SDK's servicer without a socket.

``Remediate`` and ``Analyze`` per resource (with its inputs, options and provider), then
``AnalyzeStack`` once, as ``step_generator.go`` and ``AnalyzeResources`` send them; a diagnostic
always gets the analysed URN. Slower than the direct ``AnalyzeStack``
(:func:`paif_cli.sdk_adapter.policy.analyze_stack`) for a pack of stack policies, needed for a
pack with resource policies or remediations, and what runs when the SDK shortcuts are off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from paif_cli.crossguard.findings import Finding, SeverityResolver, finding_of
from paif_cli.crossguard.wire import analyze_request, record_struct, redact, stack_resource
from paif_cli.errors import PolicyEvaluationError
from paif_cli.sdk_adapter.policy import Servicer, shared_conversions
from paif_components.contract.plan import ResourceRecord

__all__ = ["analyze_via_protocol", "call_servicer"]


def analyze_via_protocol(
    servicer: Servicer,
    records: Sequence[ResourceRecord],
    by_urn: Mapping[str, ResourceRecord],
    pack_name: str,
    severity_of: SeverityResolver,
    findings: list[Finding],
    not_applicable: list[tuple[str, str]] | None,
    *,
    share_conversions: bool,
) -> analyzer_pb2.AnalyzeResponse:
    """The engine's requests: Remediate and Analyze per resource, then AnalyzeStack.

    Appends the per-resource findings to ``findings``; returns the AnalyzeStack response.
    ``share_conversions``: the stack policies share each resource's conversion (a shortcut
    through the SDK's internals, :func:`paif_cli.sdk_adapter.policy.shared_conversions`).
    """
    properties = {r.urn: record_struct(r) for r in records}
    for record in records:
        urn = record.urn
        request = analyze_request(record, properties[urn], by_urn)
        remediated = call_servicer(servicer.Remediate, request, pack_name, urn)
        for remediation in remediated.remediations:
            if remediation.diagnostic:
                findings.append(
                    Finding(
                        rule_id=remediation.policyName,
                        enforcement="advisory",
                        urn=urn,
                        message=redact(remediation.diagnostic),
                        severity=severity_of(remediation.policyName, None),
                    )
                )
            else:
                # The engine analyses (and later deploys) the remediated inputs.
                properties[urn] = remediation.properties
                request.properties.CopyFrom(remediation.properties)
        response = call_servicer(servicer.Analyze, request, pack_name, urn)
        # step_generator.go: "we always use the URN we have here".
        findings.extend(finding_of(d, urn, severity_of) for d in response.diagnostics)
        if not_applicable is not None:
            not_applicable.extend((n.policy_name, n.reason) for n in response.not_applicable)

    stack_request = analyzer_pb2.AnalyzeStackRequest(
        resources=[stack_resource(r, properties[r.urn], by_urn) for r in records]
    )
    with shared_conversions(servicer) if share_conversions else contextlib.nullcontext():
        return call_servicer(servicer.AnalyzeStack, stack_request, pack_name, None)


def call_servicer(method: Any, request: Any, pack: str, urn: str | None) -> Any:
    try:
        return method(request, None)
    except Exception as exc:  # a policy bug: live, the engine reports "failed to run policy"
        where = f"resource {urn}" if urn else "the stack"
        raise PolicyEvaluationError(
            f"failed to run policy pack {pack!r} on {where}: {type(exc).__name__}: {exc}"
        ) from exc
