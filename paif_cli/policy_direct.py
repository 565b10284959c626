"""``AnalyzeStack`` for a pack of stack policies, each resource converted once for all of them.

Over the analyzer protocol (``policy_runner``, ``via_protocol=True``) the engine sends every
resource in an ``AnalyzeRequest`` for ``Remediate`` and ``Analyze`` and once more in the
``AnalyzeStackRequest``, and pulumi-policy's servicer rebuilds every resource (properties,
options, provider, parent and dependency links) for each of the pack's stack policies: work
that grows with policies × resources and was three quarters of the gate's time on a large
plan (docs/benchmarks.md). For a pack whose policies are all stack policies, ``Remediate``
and ``Analyze`` answer nothing (they only run resource policies), so this module skips them
and runs the servicer's own ``AnalyzeStack`` loop (enforcement levels, config, the report
function, the *not applicable* answer and the advisory notice for unknown values all come
from the servicer) with one set of ``PolicyResource`` objects built the way the servicer
builds them: properties as the wire format gives them (numbers as floats, secrets unwrapped,
the SDK's read-only proxies), options and provider from the same protobuf messages.

What differs: every policy gets its own list of the same resource objects, where the servicer
makes new objects per policy, so a policy must not modify the resources it is given (the
pack's rules read them through ``StackView``, which the pack then builds once for all its
policies: ``policies.framework._Handoff.view``); and a property mapping keeps the record's key
order where the wire format's order is the protobuf map's. Neither changes a finding of this
pack: ``tests/cli/test_gate.py`` runs both paths over the example stacks and a 50-tenant stack.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from inspect import isawaitable
from types import SimpleNamespace
from typing import Any

from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy, StackValidationArgs, StackValidationPolicy
from pulumi_policy.deserialize import (
    SPECIAL_SIG_KEY,
    _deserialize_property,
    deserialize_properties,
)
from pulumi_policy.policy import (
    PolicyProviderResource,
    PolicyResource,
    UnknownValueError,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import _DictProxy, _ListProxy, _proxy_helper, unknown_checking_proxy

from paif_cli.policy_runner import PolicyEvaluationError, _options, _wrap_secrets

__all__ = ["analyze_stack", "only_stack_policies"]


def only_stack_policies(policies: Sequence[Policy]) -> bool:
    """Whether ``Remediate`` and ``Analyze`` have nothing to run for this pack."""
    return all(isinstance(p, StackValidationPolicy) for p in policies)


def analyze_stack(
    servicer: _PolicyAnalyzerServicer,
    policies: Sequence[Policy],
    records: Sequence[Mapping[str, Any]],
    by_urn: Mapping[str, Mapping[str, Any]],
    *,
    pack_name: str,
    pack_version: str,
) -> analyzer_pb2.AnalyzeResponse:
    """The servicer's ``AnalyzeStack`` response for ``records`` (``policy_runner`` records)."""
    servicer._configure_runtime_settings()
    resources = policy_resources(servicer, records, by_urn)
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
        except Exception as exc:  # a policy bug: live, the engine reports "failed to run policy"
            raise PolicyEvaluationError(
                f"failed to run policy pack {pack_name!r} on the stack: {type(exc).__name__}: {exc}"
            ) from exc
    return response


def policy_resources(
    servicer: _PolicyAnalyzerServicer,
    records: Sequence[Mapping[str, Any]],
    by_urn: Mapping[str, Mapping[str, Any]],
) -> list[PolicyResource]:
    """The resources ``AnalyzeStack`` hands a stack policy, linked to parents and dependencies."""
    providers: dict[str, PolicyProviderResource] = {}
    resources: list[PolicyResource] = []
    for record in records:
        options = servicer._get_resource_options(SimpleNamespace(options=_options(record)))
        resources.append(
            PolicyResource(
                record["type"],
                _props(record),
                record["urn"],
                record["name"],
                options,
                _provider(record, by_urn, providers),
                None,
                [],
                {},
            )
        )
    linked = {resource.urn: resource for resource in resources}
    for record, resource in zip(records, resources, strict=True):
        resource.parent = linked.get(record.get("parent") or "")
        resource.dependencies.extend(
            linked[urn] for urn in record.get("dependsOn") or [] if urn in linked
        )
        for key, urns in (record.get("propertyDependencies") or {}).items():
            if urns:
                resource.property_dependencies[key] = [linked[u] for u in urns if u in linked]
    return resources


def _props(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """``unknown_checking_proxy(deserialize_properties(MessageToDict(<record's Struct>)))``."""
    inputs = record.get("inputs") or {}
    if not record.get("secretPaths"):
        return _proxied(inputs, record["urn"], [], top=True)
    # Wrapped at the secret paths and unwrapped again: the same values, or the wire format's
    # error for a path that is not there.
    values = _deserialized(inputs, record["urn"], top=True)
    wire = _wrap_secrets(values, record["secretPaths"], record["urn"], copy=False)
    return unknown_checking_proxy(deserialize_properties(wire))


def _proxied(value: Any, urn: str, path: list[str], *, top: bool = False) -> Any:
    """``unknown_checking_proxy`` of ``_deserialized(value)`` in the same pass: the proxies
    ``_proxy_helper`` makes, each with the property path it reports unknown values under."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and (top or SPECIAL_SIG_KEY not in value):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"resource {urn}: inputs are not JSON-like: key {key!r}")
            # A string is its own proxy (the most common value: no path, no call for it).
            out[key] = item if type(item) is str else _proxied(item, urn, [*path, key])
        return _DictProxy(out, path)
    if isinstance(value, list | tuple):
        items = [
            item if type(item) is str else _proxied(item, urn, [*path, str(index)])
            for index, item in enumerate(value)
        ]
        return _ListProxy(items, path)
    return _proxy_helper(_deserialized(value, urn), path)


def _provider(
    record: Mapping[str, Any],
    by_urn: Mapping[str, Mapping[str, Any]],
    providers: dict[str, PolicyProviderResource],
) -> PolicyProviderResource | None:
    """The servicer's provider resource for ``policy_runner._provider``'s message, once each."""
    reference = record.get("provider")
    if not reference:
        return None
    urn = reference if reference in by_urn else reference.rsplit("::", 1)[0]
    if urn not in providers:
        provider = by_urn.get(urn)
        if provider is not None:
            providers[urn] = PolicyProviderResource(
                provider["type"], _props(provider), urn, provider["name"]
            )
        else:  # not recorded (a default provider): type and name from the URN, no properties
            qualified, _, name = urn.rpartition("::")
            kind = qualified.rpartition("::")[2].split("$")[-1]
            providers[urn] = PolicyProviderResource(kind, unknown_checking_proxy({}), urn, name)
    return providers[urn]


def _deserialized(value: Any, urn: str, *, top: bool = False) -> Any:
    """A record's value as ``deserialize_properties(MessageToDict(<Struct>))`` gives it, in one
    pass: numbers as floats (what a ``Struct`` holds), a signature mapping (a secret, an asset)
    below the ``top`` one as its value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise PolicyEvaluationError(
                f"resource {urn}: inputs hold {number}, which the wire format cannot carry"
            )
        return number
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"resource {urn}: inputs are not JSON-like: key {key!r}")
            out[key] = _deserialized(item, urn)
        return out if top or SPECIAL_SIG_KEY not in out else _deserialize_property(out)
    if isinstance(value, list | tuple):
        return [_deserialized(item, urn) for item in value]
    raise ValueError(f"resource {urn}: inputs are not JSON-like: {type(value).__name__}")
