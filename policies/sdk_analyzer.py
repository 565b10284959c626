"""The analyzer the Pulumi CLI talks to for ``--policy-pack``: pulumi-policy's, minus its waste.

pulumi-policy's servicer (``_PolicyAnalyzerServicer``) does, for a pack of stack policies only:

- ``Remediate`` and ``Analyze``, called by the engine for every resource while the program
  runs: ``Remediate`` converts the resource's properties (``MessageToDict``, then
  ``deserialize_properties``) before finding that no policy remediates, ``Analyze`` walks every
  policy to find no resource policy. The engine waits for both answers before it goes on with
  the resource's step;
- ``AnalyzeStack``, once at the end: converts every resource again *for each stack policy*,
  O(policies × resources) (docs/benchmarks.md, issue 27: 48 policies, so 48 conversions of
  each resource).

:class:`StackPackServicer` answers ``Remediate`` and ``Analyze`` at once when the pack has no
resource policy (their answer is then empty whatever the resource), and converts each
resource of an ``AnalyzeStack`` request once, with the servicer's own functions, for all the
stack policies (:func:`analyze_stack`, which ``paif plan``'s direct evaluation shares). The
policies get the same resource objects, so they must not modify them: the pack's rules read
them through one ``StackView`` (``paif_policies.crossguard._Handoff.view``). Everything else (the
handshake, ``GetAnalyzerInfo``, ``Configure``, enforcement levels, config, the report function,
*not applicable*, the advisory notice for unknown values) is pulumi-policy's.

This reads pulumi-policy's private servicer, so, like :mod:`paif_policies.sdk_proxies` (the pack's
other adapter; the pack ships without ``paif_cli``), :func:`serve` uses it only for the
pulumi-policy versions it was written for (``sdk_proxies.WRITTEN_FOR``); otherwise it serves the
pack with ``pulumi_policy.PolicyPack``, slower, with the same answers.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from concurrent import futures
from inspect import isawaitable
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import (
    _GRPC_CHANNEL_OPTIONS,
    PolicyResource,
    UnknownValueError,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import unknown_checking_proxy

from paif_policies import sdk_proxies

__all__ = ["StackPackServicer", "analyze_stack", "serve"]

# What ``PolicyPack`` gives its servicer: the CLI reports PulumiPolicy.yaml's version instead.
SDK_PACK_VERSION = "0.0.1"


class StackPackServicer(_PolicyAnalyzerServicer):
    """pulumi-policy's servicer with each resource converted at most once per request."""

    def __init__(self, name: str, policies: list[Policy], *args: Any, **kwargs: Any) -> None:
        super().__init__(name, SDK_PACK_VERSION, policies, *args, **kwargs)
        self.pack_name = name
        self.policies = policies
        self.resource_policies = any(isinstance(p, ResourceValidationPolicy) for p in policies)

    def Remediate(self, request: Any, context: Any) -> analyzer_pb2.RemediateResponse:
        if self.resource_policies:
            return super().Remediate(request, context)
        self._configure_runtime_settings()
        return analyzer_pb2.RemediateResponse()

    def Analyze(self, request: Any, context: Any) -> analyzer_pb2.AnalyzeResponse:
        if self.resource_policies:
            return super().Analyze(request, context)
        self._configure_runtime_settings()
        return analyzer_pb2.AnalyzeResponse()

    def AnalyzeStack(self, request: Any, context: Any) -> analyzer_pb2.AnalyzeResponse:
        self._configure_runtime_settings()
        return analyze_stack(
            self, self.policies, stack_resources(self, request.resources), self.pack_name,
            SDK_PACK_VERSION,
        )  # fmt: skip


def stack_resources(
    servicer: _PolicyAnalyzerServicer, requested: Sequence[Any]
) -> list[PolicyResource]:
    """The resources of an ``AnalyzeStackRequest`` as the servicer builds them for each stack
    policy, built once: properties, options, provider (once per provider), then the parent,
    dependency and property-dependency links."""
    providers: dict[str, Any] = {}
    resources = []
    for r in requested:
        props = unknown_checking_proxy(
            deserialize_properties(json_format.MessageToDict(r.properties))
        )
        provider = None
        if r.HasField("provider"):
            key = r.provider.SerializeToString(deterministic=True)
            if key not in providers:
                providers[key] = servicer._get_provider_resource(r)
            provider = providers[key]
        options = servicer._get_resource_options(r)
        resources.append(
            PolicyResource(r.type, props, r.urn, r.name, options, provider, None, [], {})
        )
    by_urn = {resource.urn: resource for resource in resources}
    for r, resource in zip(requested, resources, strict=True):
        if r.parent and r.parent in by_urn:
            resource.parent = by_urn[r.parent]
        resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
        for key, deps in r.propertyDependencies.items():
            resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
    return resources


def analyze_stack(
    servicer: _PolicyAnalyzerServicer,
    policies: Sequence[Policy],
    resources: Sequence[PolicyResource],
    pack_name: str,
    pack_version: str,
) -> analyzer_pb2.AnalyzeResponse:
    """The servicer's ``AnalyzeStack`` loop over its stack policies, each given the same
    ``resources``. A policy's own exception propagates (the engine reports it as a failed
    policy; ``paif plan`` as a ``PolicyEvaluationError``)."""
    stack_tags = servicer._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]
    response = analyzer_pb2.AnalyzeResponse()
    for policy in policies:
        level = servicer._get_enforcement_level(policy)
        if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        report = servicer._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        args = StackValidationArgs(
            list(resources), servicer._get_policy_config(policy.name), stack_tags
        )
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))  # type: ignore[arg-type]
                loop.close()
        except UnknownValueError as exc:
            response.diagnostics.append(
                analyzer_pb2.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack_name,
                    policyPackVersion=pack_version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{pack_name}@v{pack_version}' during preview: {exc.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=servicer._map_enforcement_level(EnforcementLevel.ADVISORY),
                )
            )
        except _NotApplicableError as exc:
            response.not_applicable.append(
                analyzer_pb2.PolicyNotApplicable(policy_name=policy.name, reason=exc.reason or "")
            )
    return response


def serve(arguments: dict[str, Any], *, shortcut: bool = sdk_proxies.SHORTCUT) -> None:
    """What ``pulumi_policy.PolicyPack(**arguments)`` does, with :class:`StackPackServicer`
    where the installed pulumi-policy allows (``shortcut``): serve on a free loopback port,
    print it as the first line, run until interrupted."""
    if not shortcut:
        PolicyPack(**arguments)
        return
    arguments = dict(arguments)
    servicer = StackPackServicer(
        arguments.pop("name"),
        arguments.pop("policies"),
        arguments.pop("enforcement_level", None) or EnforcementLevel.ADVISORY,
        **arguments,
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=_GRPC_CHANNEL_OPTIONS)
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        while True:
            time.sleep(24 * 60 * 60)
    except KeyboardInterrupt:
        server.stop(0)
