"""Plan records in the analyzer protocol's wire form: the requests the engine sends a pack.

The boundary: the offline analyzer's input is the contract's :class:`ResourceRecord` (what
``paif plan`` records), read by attribute everywhere; this module is where a record becomes
the engine's gRPC wire form (``AnalyzeRequest``, ``AnalyzeStackRequest``: protobuf messages,
secrets wrapped), for the protocol path and for a pack process driven over gRPC
(``analyzer.engine_requests``). What reads that form is the pack's servicer
(``paif_policies.sdk_analyzer``), as it reads the real CLI's requests.

What the engine does and this mirrors (pulumi/pulumi): ``step_generator.go`` (the options,
the provider with its inputs, the URN a diagnostic gets) and ``AnalyzeResources``; secrets as
the engine marshals them with ``KeepSecrets: true``: each secret value is the object
``{"4dabf1…": "1b4706…", "value": …}``, which :func:`wrap_secrets` rebuilds from the record's
``secret_paths``. pulumi_policy's ``Analyze``/``AnalyzeStack`` then deserialize with
``proxy_secrets`` off and hand policies the bare value: live the plaintext, offline the
``[secret]`` placeholder, which :func:`redact` replaces by ``***`` in every finding message.
"""

from __future__ import annotations

import copy as _copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

from paif_components.contract.plan import SECRET_PLACEHOLDER, ResourceRecord

__all__ = [
    "LEVEL_TO_PROTO",
    "PROTO_TO_LEVEL",
    "PROTO_TO_SEVERITY",
    "SECRET_REDACTION",
    "VALID_LEVELS",
    "analyze_request",
    "check_record",
    "provider_message",
    "record_struct",
    "redact",
    "resource_options",
    "split_path",
    "stack_resource",
    "wrap_secrets",
]

# What a finding message shows instead of the placeholder if a policy echoed a secret value.
SECRET_REDACTION = "***"

# apitype.EnforcementLevel.IsValid(), in the order the SDK lists them.
VALID_LEVELS = tuple(level.value for level in EnforcementLevel)
LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
PROTO_TO_LEVEL = {v: k for k, v in LEVEL_TO_PROTO.items()}
PROTO_TO_SEVERITY = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


def check_record(record: ResourceRecord) -> ResourceRecord:
    for key, value in (("urn", record.urn), ("type", record.type), ("name", record.name)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"resource record needs a non-empty string {key!r}: {record!r:.200}")
    if not isinstance(record.inputs, Mapping):
        raise ValueError(f"resource {record.urn}: 'inputs' must be an object")
    return record


def split_path(path: str) -> list[str | int]:
    """Tokens of a recorder path: ``a.b[0].c`` → ``["a", "b", 0, "c"]`` (dots ambiguous)."""
    tokens: list[str | int] = []
    for match in re.finditer(r"\[(\d+)\]|\[\"((?:[^\"\\]|\\.)*)\"\]|([^.\[\]]+)", path):
        index, quoted, plain = match.groups()
        if index is not None:
            tokens.append(int(index))
        elif quoted is not None:
            tokens.append(json.loads(f'"{quoted}"'))
        else:
            tokens.append(plain)
    return tokens


def _wrap_at(node: Any, path: str, rest: str) -> Any:
    """Wrap the value at ``rest`` (a suffix of ``path``) inside ``node``; keys may hold dots."""
    if rest == "":
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": node}
    if rest.startswith("["):
        match = re.match(r"\[(\d+)\]", rest)
        if match and isinstance(node, list) and int(match.group(1)) < len(node):
            i = int(match.group(1))
            node[i] = _wrap_at(node[i], path, rest[match.end() :].removeprefix("."))
            return node
        match = re.match(r"\[\"((?:[^\"\\]|\\.)*)\"\]", rest)
        if match and isinstance(node, dict):
            key = json.loads(f'"{match.group(1)}"')
            if key in node:
                node[key] = _wrap_at(node[key], path, rest[match.end() :].removeprefix("."))
                return node
        raise ValueError(f"secret path {path!r} does not exist in the resource's inputs")
    if isinstance(node, dict):
        # The longest key that the remaining path starts with wins ("a.b" before "a").
        for key in sorted(node, key=len, reverse=True):
            if rest == key or rest.startswith((key + ".", key + "[")):
                tail = rest[len(key) :].removeprefix(".")
                node[key] = _wrap_at(node[key], path, tail)
                return node
    raise ValueError(f"secret path {path!r} does not exist in the resource's inputs")


def wrap_secrets(
    inputs: Mapping[str, Any], secret_paths: Sequence[str], urn: str, *, copy: bool = True
) -> dict[str, Any]:
    """Inputs in the engine's wire form: each secret path wrapped with the secret signature.

    The SDK's ``Analyze``/``AnalyzeStack`` deserialize these with ``proxy_secrets`` off, which
    drops the wrapper and hands the policy the bare value (live: the plaintext; here: the
    recorder's ``[secret]`` placeholder). A policy therefore cannot tell a secret from a plain
    value, live or offline; only ``Remediate`` keeps secretness (to re-wrap written values).
    """
    wire = _copy.deepcopy(dict(inputs)) if copy else dict(inputs)
    # Deepest first, so a secret inside a secret is still reachable by its path.
    for path in sorted(secret_paths, key=lambda p: (-len(split_path(p)), p)):
        if path in ("", "."):
            wire = {k: {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": v} for k, v in wire.items()}
            continue
        try:
            wire = _wrap_at(wire, path, path)
        except ValueError as exc:
            raise ValueError(f"resource {urn}: {exc}") from None
    return wire


def record_struct(record: ResourceRecord) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    wire = wrap_secrets(record.inputs, record.secret_paths, record.urn)
    try:
        struct.update(wire)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"resource {record.urn}: inputs are not JSON-like: {exc}") from None
    return struct


def resource_options(record: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
    """``marshalResourceOptions``: the options the record carries (those the offline recorder
    does not record are what a caller set, else their defaults)."""
    timeouts = record.custom_timeouts or {}
    dbr = record.delete_before_replace
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=record.protect,
        ignoreChanges=list(record.ignore_changes),
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=list(record.additional_secret_outputs),
        aliases=list(record.aliases),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=float(timeouts.get("create", 0)),
            update=float(timeouts.get("update", 0)),
            delete=float(timeouts.get("delete", 0)),
        ),
        parent=record.parent or "",
    )


def provider_message(
    record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The explicit provider (a ``urn::id`` reference) with its inputs, as the engine sends it."""
    reference = record.provider
    if not reference:
        return None
    urn = reference if reference in by_urn else reference.rsplit("::", 1)[0]
    provider = by_urn.get(urn)
    if provider is not None:
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider.type,
            urn=urn,
            name=provider.name,
            properties=record_struct(provider),
        )
    # Not recorded (e.g. a default provider): type and name from the URN, no properties.
    qualified, _, name = urn.rpartition("::")
    return analyzer_pb2.AnalyzerProviderResource(
        type=qualified.rpartition("::")[2].split("$")[-1], urn=urn, name=name
    )


def analyze_request(
    record: ResourceRecord,
    properties: struct_pb2.Struct,
    by_urn: Mapping[str, ResourceRecord],
) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=record.type,
        urn=record.urn,
        name=record.name,
        properties=properties,
        options=resource_options(record),
    )
    provider = provider_message(record, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(
    record: ResourceRecord,
    properties: struct_pb2.Struct,
    by_urn: Mapping[str, ResourceRecord],
) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        type=record.type,
        urn=record.urn,
        name=record.name,
        properties=properties,
        options=resource_options(record),
        parent=record.parent or "",
        dependencies=list(record.depends_on),
    )
    for key, urns in (record.property_dependencies or {}).items():
        if urns:
            resource.propertyDependencies[key].urns.extend(urns)
    provider = provider_message(record, by_urn)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


def redact(text: str) -> str:
    return text.replace(SECRET_PLACEHOLDER, SECRET_REDACTION)
