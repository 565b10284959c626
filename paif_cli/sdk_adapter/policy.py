"""The pulumi-policy internals the offline analyzer uses, for two shortcuts.

``AnalyzeStack`` for a pack of stack policies, each resource converted once for all of them
(:func:`analyze_stack`). Over the analyzer protocol (:mod:`paif_cli.crossguard.protocol`) the
engine sends every resource in an ``AnalyzeRequest`` for ``Remediate`` and ``Analyze`` and once
more in the ``AnalyzeStackRequest``, and pulumi-policy's servicer rebuilds every resource
(properties, options, provider, parent and dependency links) for each of the pack's stack
policies: work that grows with policies × resources and was three quarters of the gate's time on
a large plan (docs/benchmarks.md). For a pack whose policies are all stack policies,
``Remediate`` and ``Analyze`` answer nothing (they only run resource policies), so this module
skips them and runs the servicer's own ``AnalyzeStack`` loop (enforcement levels, config, the
report function, the *not applicable* answer and the advisory notice for unknown values all come
from the servicer; the loop is ``paif_policies.sdk_analyzer.analyze_stack``, which the pack's
analyzer runs for the CLI too) with one set of ``PolicyResource`` objects built the way the servicer
builds them: properties as the wire format gives them (numbers as floats, secrets unwrapped, the
SDK's read-only proxies), options and provider from the same protobuf messages.

What differs: every policy gets its own list of the same resource objects, where the servicer
makes new objects per policy, so a policy must not modify the resources it is given (the pack's
rules read them through ``StackView``, which the pack then builds once for all its policies:
``paif_policies.framework._Handoff.view``); and a property mapping keeps the record's key order
where the wire format's order is the protobuf map's. Neither changes a finding of this pack:
``tests/cli/test_gate.py`` runs both paths over the example stacks and a 50-tenant stack.

And over the analyzer protocol, :func:`shared_conversions` lets the stack policies of one
``AnalyzeStack`` call share the conversion of each resource.

``Servicer`` is the SDK's analyzer servicer, which runs the pack with or without the shortcuts:
the offline analyzer needs it either way (there is no public class that serves a pack without a
socket).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import pulumi_policy.policy as sdk
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import Policy
from pulumi_policy.deserialize import (
    SPECIAL_SIG_KEY,
    _deserialize_property,
    deserialize_properties,
)
from pulumi_policy.policy import (
    PolicyProviderResource,
    PolicyResource,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import _DictProxy, _ListProxy, _proxy_helper, unknown_checking_proxy

from paif_cli.crossguard.wire import resource_options, wrap_secrets
from paif_cli.errors import PolicyEvaluationError
from paif_components.contract.plan import ResourceRecord
from paif_policies import sdk_analyzer

__all__ = ["Servicer", "analyze_stack", "policy_resources", "shared_conversions"]

Servicer = _PolicyAnalyzerServicer


def analyze_stack(
    servicer: Servicer,
    policies: Sequence[Policy],
    records: Sequence[ResourceRecord],
    by_urn: Mapping[str, ResourceRecord],
    *,
    pack_name: str,
    pack_version: str,
) -> analyzer_pb2.AnalyzeResponse:
    """The servicer's ``AnalyzeStack`` response for ``records`` (plan records): the loop the
    pack's own analyzer runs for the CLI (``paif_policies.sdk_analyzer``) over resources built from
    the records."""
    servicer._configure_runtime_settings()
    resources = policy_resources(servicer, records, by_urn)
    try:
        return sdk_analyzer.analyze_stack(servicer, policies, resources, pack_name, pack_version)
    except Exception as exc:  # a policy bug: live, the engine reports "failed to run policy"
        raise PolicyEvaluationError(
            f"failed to run policy pack {pack_name!r} on the stack: {type(exc).__name__}: {exc}"
        ) from exc


def policy_resources(
    servicer: Servicer,
    records: Sequence[ResourceRecord],
    by_urn: Mapping[str, ResourceRecord],
) -> list[PolicyResource]:
    """The resources ``AnalyzeStack`` hands a stack policy, linked to parents and dependencies."""
    providers: dict[str, PolicyProviderResource] = {}
    resources: list[PolicyResource] = []
    for record in records:
        options = servicer._get_resource_options(SimpleNamespace(options=resource_options(record)))
        resources.append(
            PolicyResource(
                record.type,
                _props(record),
                record.urn,
                record.name,
                options,
                _provider(record, by_urn, providers),
                None,
                [],
                {},
            )
        )
    linked = {resource.urn: resource for resource in resources}
    for record, resource in zip(records, resources, strict=True):
        resource.parent = linked.get(record.parent or "")
        resource.dependencies.extend(linked[urn] for urn in record.depends_on if urn in linked)
        for key, urns in (record.property_dependencies or {}).items():
            if urns:
                resource.property_dependencies[key] = [linked[u] for u in urns if u in linked]
    return resources


def _props(record: ResourceRecord) -> Mapping[str, Any]:
    """``unknown_checking_proxy(deserialize_properties(MessageToDict(<record's Struct>)))``."""
    if not record.secret_paths:
        return _proxied(record.inputs, record.urn, [], top=True)
    # Wrapped at the secret paths and unwrapped again: the same values, or the wire format's
    # error for a path that is not there.
    values = _deserialized(record.inputs, record.urn, top=True)
    wire = wrap_secrets(values, record.secret_paths, record.urn, copy=False)
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
    record: ResourceRecord,
    by_urn: Mapping[str, ResourceRecord],
    providers: dict[str, PolicyProviderResource],
) -> PolicyProviderResource | None:
    """The servicer's provider resource for ``wire.provider_message``'s message, once each."""
    reference = record.provider
    if not reference:
        return None
    urn = reference if reference in by_urn else reference.rsplit("::", 1)[0]
    if urn not in providers:
        provider = by_urn.get(urn)
        if provider is not None:
            providers[urn] = PolicyProviderResource(
                provider.type, _props(provider), urn, provider.name
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


@contextlib.contextmanager
def shared_conversions(servicer: Servicer) -> Iterator[None]:
    """Let every stack policy share one conversion of each resource's properties.

    pulumi_policy's ``AnalyzeStack`` converts every resource (``MessageToDict``, then
    ``deserialize_properties``, then ``unknown_checking_proxy``, and its options and
    provider) again for each stack policy: O(policies × resources) work that was 95 % of the
    gate's time on a 350-resource stack (docs/benchmarks.md). Each step is a pure function of
    its input and the proxies are read-only views, so each policy still sees exactly the
    values it would see live; only the conversion is done once. The SDK's names are restored
    afterwards.
    """
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

    sdk.json_format = _SharedJsonFormat()
    sdk.deserialize_properties = once(deserialized, saved[1])
    sdk.unknown_checking_proxy = once(proxied, saved[2])
    # The servicer's own converters, per resource (AnalyzerResource: one per URN).
    servicer._get_resource_options = by_urn(servicer._get_resource_options)  # type: ignore[method-assign,assignment]
    servicer._get_provider_resource = by_urn(servicer._get_provider_resource)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        sdk.json_format, sdk.deserialize_properties, sdk.unknown_checking_proxy = saved
        del servicer._get_resource_options, servicer._get_provider_resource
