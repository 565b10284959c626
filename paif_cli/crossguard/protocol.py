"""Every request of the analyzer protocol, played against the SDK's servicer without a socket.

``Remediate`` and ``Analyze`` per resource (with its inputs, options and provider), then
``AnalyzeStack`` once, as ``step_generator.go`` and ``AnalyzeResources`` send them; a diagnostic
always gets the analysed URN. Slower than :mod:`paif_cli.crossguard.direct` for a pack of stack
policies, and needed for a pack with resource policies or remediations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.policy import _PolicyAnalyzerServicer

from paif_cli.crossguard.findings import Finding, SeverityResolver, finding_of
from paif_cli.crossguard.wire import analyze_request, record_struct, redact, stack_resource
from paif_cli.errors import PolicyEvaluationError

__all__ = ["analyze_via_protocol", "call_servicer"]


def analyze_via_protocol(
    servicer: _PolicyAnalyzerServicer,
    records: Sequence[Mapping[str, Any]],
    by_urn: Mapping[str, Mapping[str, Any]],
    pack_name: str,
    severity_of: SeverityResolver,
    findings: list[Finding],
    not_applicable: list[tuple[str, str]] | None,
) -> analyzer_pb2.AnalyzeResponse:
    """The engine's requests: Remediate and Analyze per resource, then AnalyzeStack.

    Appends the per-resource findings to ``findings``; returns the AnalyzeStack response.
    """
    properties = {r["urn"]: record_struct(r) for r in records}
    for record in records:
        urn = record["urn"]
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
        resources=[stack_resource(r, properties[r["urn"]], by_urn) for r in records]
    )
    with _convert_each_resource_once(servicer):
        return call_servicer(servicer.AnalyzeStack, stack_request, pack_name, None)


@contextlib.contextmanager
def _convert_each_resource_once(servicer: _PolicyAnalyzerServicer) -> Iterator[None]:
    """Let every stack policy share one conversion of each resource's properties.

    pulumi_policy's ``AnalyzeStack`` converts every resource (``MessageToDict``, then
    ``deserialize_properties``, then ``unknown_checking_proxy``, and its options and
    provider) again for each stack policy: O(policies × resources) work that was 95 % of the
    gate's time on a 350-resource stack (docs/benchmarks.md). Each step is a pure function of
    its input and the proxies are read-only views, so each policy still sees exactly the
    values it would see live; only the conversion is done once. The SDK's names are restored
    afterwards.
    """
    import pulumi_policy.policy as sdk

    saved = (sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy)
    as_dicts: dict[bytes, Any] = {}
    # Keyed by id(); each entry keeps its input alive so that no id can be reused meanwhile.
    deserialized: dict[int, tuple[Any, Any]] = {}
    proxied: dict[int, tuple[Any, Any]] = {}

    def once(cache: dict[int, tuple[Any, Any]], convert: Callable[[Any], Any]) -> Any:
        def shared(value: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return convert(value, *args, **kwargs)
            hit = cache.get(id(value))
            if hit is None or hit[0] is not value:
                hit = (value, convert(value))
                cache[id(value)] = hit
            return hit[1]

        return shared

    class _SharedJsonFormat:
        def __getattr__(self, name: str) -> Any:
            return getattr(json_format, name)

        @staticmethod
        def MessageToDict(message: Any, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return json_format.MessageToDict(message, *args, **kwargs)
            # Keyed by content: protobuf may hand out a new wrapper for the same message.
            key = message.SerializeToString(deterministic=True)
            if key not in as_dicts:
                as_dicts[key] = json_format.MessageToDict(message)
            return as_dicts[key]

    def by_urn(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        cache: dict[str, Any] = {}

        def shared(resource: Any) -> Any:
            if resource.urn not in cache:
                cache[resource.urn] = convert(resource)
            return cache[resource.urn]

        return shared

    sdk.json_format = _SharedJsonFormat()  # type: ignore[assignment]
    sdk.deserialize_properties = once(deserialized, saved[1])
    sdk.unknown_checking_proxy = once(proxied, saved[2])
    # The servicer's own converters, per resource (AnalyzerResource: one per URN).
    servicer._get_resource_options = by_urn(servicer._get_resource_options)  # type: ignore[method-assign]
    servicer._get_provider_resource = by_urn(servicer._get_provider_resource)  # type: ignore[method-assign]
    try:
        yield
    finally:
        sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy = saved
        del servicer._get_resource_options, servicer._get_provider_resource


def call_servicer(method: Any, request: Any, pack: str, urn: str | None) -> Any:
    try:
        return method(request, None)
    except Exception as exc:  # a policy bug: live, the engine reports "failed to run policy"
        where = f"resource {urn}" if urn else "the stack"
        raise PolicyEvaluationError(
            f"failed to run policy pack {pack!r} on {where}: {type(exc).__name__}: {exc}"
        ) from exc
