"""Offline CrossGuard evaluation: the engine's half of the analyzer protocol, in-process.

``pulumi preview --policy-pack policies --policy-pack-config cfg.json`` boots the pack as a gRPC
analyzer and talks to it with protobuf requests. ``evaluate`` plays the engine's part against the
SDK's own servicer (``pulumi_policy.policy._PolicyAnalyzerServicer``) without a socket, so the
policies run exactly as they would live: props arrive as the SDK's proxies (``_DictProxy`` and
``_ListProxy``: Mappings and Sequences, not ``dict``/``list``, so ``isinstance(x, dict)``,
``json.dumps`` and list concatenation fail; an unknown value raises on access), numbers arrive as
floats, and enforcement levels, ``not_applicable`` and the advisory downgrade for unknown values
are the SDK's own.

What the engine does and this module mirrors (pulumi/pulumi, read for this port):

- config: ``pkg/resource/analyzer/config.go`` (``parsePolicyPackConfig``,
  ``extractEnforcementLevel``, ``createConfigWithDefaults``, ``applyConfig``,
  ``ReconcilePolicyPackConfig``,
  ``validatePolicyPackConfig``), the schema conversion and the ``enforcementLevel`` injection of
  ``sdk/go/common/resource/plugin/analyzer_plugin.go`` ``GetAnalyzerInfo``/``Configure``, and
  the error text of ``pkg/engine`` ``installAndLoadPolicyPlugins``;
- requests: ``step_generator.go`` (Remediate, then Analyze per registration with its *inputs*,
  options protect/ignoreChanges/deleteBeforeReplace/additionalSecretOutputs/aliases/
  customTimeouts/parent and the provider's inputs; a diagnostic always gets the analysed URN)
  and ``AnalyzeResources`` (AnalyzeStack once; a diagnostic URN that names no resource in the
  stack goes to the stack itself, here ``urn=None``);
- secrets: the engine marshals properties with ``KeepSecrets: true``, i.e. each secret value is
  the object ``{"4dabf1…": "1b4706…", "value": …}``; ``_wrap_secrets`` rebuilds that from the
  record's ``secretPaths``. pulumi_policy's ``Analyze``/``AnalyzeStack`` then deserialize with
  ``proxy_secrets`` off and hand policies the bare value: live the plaintext, offline the
  ``[secret]`` placeholder. Secretness is invisible to a validation policy either way. A policy
  that echoes a value into its message would print the plaintext live; offline the placeholder
  is replaced by ``***`` in every finding message.

Findings
    ``Finding.message`` is the policy's own text: the SDK sends ``description + "\\n" + message``
    and the description prefix is removed here (it belongs to the rule's metadata).
    ``Finding.urn`` is ``None`` for a stack-level violation.

Severity
    Severity is resolved per rule, first match wins: the ``severities`` argument (rule id →
    ``critical|high|medium|low``), the severity on the diagnostic, the ``Policy.severity`` the
    pack author attached (``pulumi_policy.Severity``), else ``None``. Pass ``severities`` when the
    catalogue lives outside the policy objects; attach ``severity=`` to each policy otherwise.

Limits of the offline view (also true of the real analyzer protocol unless noted)
    - ``retainOnDelete`` and ``custom`` are not part of ``AnalyzerResourceOptions``: policies
      never see them, live or offline.
    - Records carry inputs only, so AnalyzeStack receives inputs where the engine sends outputs
      (under the plan's mocks outputs are the inputs plus computed ids).
    - The root ``pulumi:pulumi:Stack`` resource and default providers are not in the records,
      so they are not analysed; a resource without an explicit provider gets no ``provider``.
    - Call ``evaluate`` outside a running event loop: the SDK runs async policies with
      ``loop.run_until_complete`` on a fresh loop.
"""

from __future__ import annotations

import contextlib
import copy as _copy
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from paif_cli.reports.model import SEVERITIES, RuleMeta

__all__ = [
    "SECRET_PLACEHOLDER",
    "SECRET_REDACTION",
    "Finding",
    "PolicyConfigError",
    "PolicyEvaluationError",
    "ReconciledPolicyConfig",
    "evaluate",
    "reconcile_policy_config",
    "rule_metadata",
]

# What the plan's recorder puts where a secret value was (paif_cli.mock_runtime).
SECRET_PLACEHOLDER = "[secret]"
# What a finding message shows instead of the placeholder if a policy echoed a secret value.
SECRET_REDACTION = "***"

# sdk/go/common/resource/properties.go: the signature key and the secret signature.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# pulumi_policy.PolicyPack: valid pack names.
_PACK_NAME_RE = re.compile(r"^[a-zA-Z0-9-_.]{1,100}$")

# apitype.EnforcementLevel.IsValid()
_VALID_LEVELS = ("advisory", "mandatory", "remediate", "disabled")

_LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}
_PROTO_TO_SEVERITY = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}

Enforcement = Literal["mandatory", "advisory", "remediate"]
# (rule id, severity on the diagnostic) -> the finding's severity
_SeverityResolver = Callable[[str, "str | None"], "str | None"]


class PolicyConfigError(ValueError):
    """The policy pack config is invalid; the message is what the Pulumi CLI would print."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("\n".join(self.errors))


class PolicyEvaluationError(RuntimeError):
    """A policy raised while running; live, the engine fails the preview the same way."""


@dataclass(frozen=True)
class Finding:
    """One policy violation, as the engine reports it (``AnalyzeDiagnostic``)."""

    rule_id: str
    enforcement: Enforcement
    urn: str | None
    message: str
    severity: str | None = None

    @property
    def blocking(self) -> bool:
        """A mandatory violation fails ``pulumi preview`` (and the offline plan)."""
        return self.enforcement == "mandatory"

    def to_dict(self) -> dict[str, Any]:
        """The finding with the JSON field names the reports use."""
        return {
            "ruleId": self.rule_id,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True)
class ReconciledPolicyConfig:
    """One entry of the reconciled config (Go ``plugin.AnalyzerPolicyConfig``)."""

    enforcement_level: str
    properties: dict[str, Any] | None = None


@dataclass(frozen=True)
class _PolicyInfo:
    """What the engine learns from ``GetAnalyzerInfo`` about one policy."""

    name: str
    enforcement_level: str
    schema_properties: dict[str, Any]
    required: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def evaluate(
    policies: Sequence[Policy],
    resources: Sequence[Mapping[str, Any]],
    *,
    pack_name: str,
    pack_version: str,
    pack_config: Mapping[str, Any] | None,
    enforcement_level: EnforcementLevel,
    severities: Mapping[str, str] | None = None,
    initial_config: Mapping[str, EnforcementLevel | Mapping[str, Any]] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    not_applicable: list[tuple[str, str]] | None = None,
    via_protocol: bool = False,
) -> list[Finding]:
    """Run the pack over recorded resources the way ``pulumi preview --policy-pack`` does.

    ``pack_config`` is the parsed ``--policy-pack-config`` JSON (``None``: no file);
    ``enforcement_level`` and ``initial_config`` are the ``PolicyPack`` arguments of the same
    name; ``pack_version`` is the ``PulumiPolicy.yaml`` version (it appears in messages);
    ``severities`` maps rule ids to severities (see the module docstring); ``stack_tags`` is
    what ``ConfigureStack`` would send (``args.stack_tags``). Findings come in the engine's
    order: per resource in the order given (remediation diagnostics, then violations), then
    the stack policies. ``not_applicable``, when given, receives ``(policy, reason)`` for every
    policy that answered *not applicable* (never a finding). Raises ``PolicyConfigError`` for an
    invalid config,
    ``PolicyEvaluationError`` when a policy raises, ``ValueError`` for a malformed record.

    A pack of stack policies only is evaluated without the per-resource requests and with one
    conversion of each resource for all its policies (``paif_cli.policy_direct``); the same
    findings come back. ``via_protocol=True`` plays every request of the protocol instead.
    """
    servicer, infos = _make_servicer(
        policies, pack_name, pack_version, enforcement_level, initial_config
    )
    config = _reconcile(
        infos, _initial_config_from_servicer(servicer), pack_config, pack_name, pack_version
    )
    _configure(servicer, config, pack_name)
    if stack_tags:
        servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags=stack_tags), None)

    severity_of = _severity_resolver(policies, severities)
    records = [_check_record(r) for r in resources]
    by_urn = {r["urn"]: r for r in records}
    if len(by_urn) != len(records):
        counts = Counter(r["urn"] for r in records)
        duplicates = sorted(u for u, n in counts.items() if n > 1)
        raise ValueError(f"duplicate resource URN(s): {', '.join(duplicates)}")
    from paif_cli import policy_direct

    findings: list[Finding] = []
    if not via_protocol and policy_direct.only_stack_policies(policies):
        response = policy_direct.analyze_stack(
            servicer, policies, records, by_urn, pack_name=pack_name, pack_version=pack_version
        )
    else:
        response = _analyze_via_protocol(
            servicer, records, by_urn, pack_name, severity_of, findings, not_applicable
        )
    for diagnostic in response.diagnostics:
        urn = diagnostic.urn if diagnostic.urn in by_urn else None
        findings.append(_finding(diagnostic, urn, severity_of))
    if not_applicable is not None:
        not_applicable.extend((n.policy_name, _redact(n.reason)) for n in response.not_applicable)
    return findings


def _analyze_via_protocol(
    servicer: _PolicyAnalyzerServicer,
    records: Sequence[Mapping[str, Any]],
    by_urn: Mapping[str, Mapping[str, Any]],
    pack_name: str,
    severity_of: _SeverityResolver,
    findings: list[Finding],
    not_applicable: list[tuple[str, str]] | None,
) -> analyzer_pb2.AnalyzeResponse:
    """The engine's requests: Remediate and Analyze per resource, then AnalyzeStack.

    Appends the per-resource findings to ``findings``; returns the AnalyzeStack response.
    """
    properties = {r["urn"]: _record_struct(r) for r in records}
    for record in records:
        urn = record["urn"]
        request = _analyze_request(record, properties[urn], by_urn)
        remediated = _call(servicer.Remediate, request, pack_name, urn)
        for remediation in remediated.remediations:
            if remediation.diagnostic:
                findings.append(
                    Finding(
                        rule_id=remediation.policyName,
                        enforcement="advisory",
                        urn=urn,
                        message=_redact(remediation.diagnostic),
                        severity=severity_of(remediation.policyName, None),
                    )
                )
            else:
                # The engine analyses (and later deploys) the remediated inputs.
                properties[urn] = remediation.properties
                request.properties.CopyFrom(remediation.properties)
        response = _call(servicer.Analyze, request, pack_name, urn)
        # step_generator.go: "we always use the URN we have here".
        findings.extend(_finding(d, urn, severity_of) for d in response.diagnostics)
        if not_applicable is not None:
            not_applicable.extend((n.policy_name, n.reason) for n in response.not_applicable)

    stack_request = analyzer_pb2.AnalyzeStackRequest(
        resources=[_stack_resource(r, properties[r["urn"]], by_urn) for r in records]
    )
    with _convert_each_resource_once(servicer):
        return _call(servicer.AnalyzeStack, stack_request, pack_name, None)


def reconcile_policy_config(
    policies: Sequence[Policy],
    *,
    pack_name: str,
    pack_version: str,
    pack_config: Mapping[str, Any] | None,
    enforcement_level: EnforcementLevel,
    initial_config: Mapping[str, EnforcementLevel | Mapping[str, Any]] | None = None,
) -> dict[str, ReconciledPolicyConfig]:
    """The effective per-policy config the CLI would send to ``Configure`` (e.g. to print it)."""
    servicer, infos = _make_servicer(
        policies, pack_name, pack_version, enforcement_level, initial_config
    )
    config = _reconcile(
        infos, _initial_config_from_servicer(servicer), pack_config, pack_name, pack_version
    )
    _check_levels(config, pack_name)
    return config


def engine_requests(
    resources: Sequence[Mapping[str, Any]], config: Mapping[str, ReconciledPolicyConfig]
) -> tuple[analyzer_pb2.ConfigureAnalyzerRequest | None, analyzer_pb2.AnalyzeStackRequest]:
    """The ``Configure`` (None when there is no config) and ``AnalyzeStack`` requests the
    engine sends a pack for these records: for driving a pack process over gRPC."""
    records = [_check_record(r) for r in resources]
    by_urn = {r["urn"]: r for r in records}
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[_stack_resource(r, _record_struct(r), by_urn) for r in records]
    )
    return (_configure_request(config) if config else None), stack


def rule_metadata(
    policies: Sequence[Policy], severities: Mapping[str, str] | None = None
) -> list[RuleMeta]:
    """Report metadata from the policy objects (display name, remediation steps, url, tags)."""
    severity_of = _severity_resolver(policies, severities)
    metas: list[RuleMeta] = []
    for policy in policies:
        severity = severity_of(policy.name, None)
        if severity is None:
            raise ValueError(
                f"policy {policy.name!r} has no severity: set Policy.severity or pass severities"
            )
        metas.append(
            RuleMeta(
                id=policy.name,
                title=policy.display_name or policy.name,
                severity=severity,
                description=policy.description,
                remediation=policy.remediation_steps or "",
                help_uri=policy.url,
                tags=tuple(policy.tags or ()),
            )
        )
    return metas


# --------------------------------------------------------------------------------------------
# The servicer and what GetAnalyzerInfo tells the engine
# --------------------------------------------------------------------------------------------


def _make_servicer(
    policies: Sequence[Policy],
    pack_name: str,
    pack_version: str,
    enforcement_level: EnforcementLevel,
    initial_config: Mapping[str, EnforcementLevel | Mapping[str, Any]] | None,
) -> tuple[_PolicyAnalyzerServicer, list[_PolicyInfo]]:
    if not isinstance(pack_name, str) or not _PACK_NAME_RE.match(pack_name):
        raise ValueError(
            f"Invalid policy pack name {pack_name!r}. Policy pack names may only contain "
            "alphanumerics, hyphens, underscores, or periods."
        )
    if not pack_version:
        raise ValueError("pack_version must be a non-empty string (PulumiPolicy.yaml version)")
    if not isinstance(enforcement_level, EnforcementLevel):
        raise TypeError("enforcement_level must be a pulumi_policy.EnforcementLevel")
    policy_list = list(policies)
    if not policy_list:
        raise ValueError("a policy pack needs at least one policy")
    seen: set[str] = set()
    for policy in policy_list:
        if not isinstance(policy, Policy):
            raise TypeError(f"expected pulumi_policy.Policy objects, got {type(policy).__name__}")
        if policy.name in seen:
            raise ValueError(f"duplicate policy name {policy.name!r} in pack {pack_name!r}")
        seen.add(policy.name)
    servicer = _PolicyAnalyzerServicer(
        pack_name,
        pack_version,
        policy_list,
        enforcement_level,
        dict(initial_config) if initial_config is not None else None,
    )
    info = servicer.GetAnalyzerInfo(None, None)
    infos: list[_PolicyInfo] = []
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties)
        # analyzer_plugin.go GetAnalyzerInfo: every policy of a config-supporting pack gets a
        # schema with `enforcementLevel` injected.
        schema["enforcementLevel"] = {"type": "string", "enum": list(_VALID_LEVELS)}
        infos.append(
            _PolicyInfo(
                name=p.name,
                enforcement_level=_PROTO_TO_LEVEL[p.enforcementLevel],
                schema_properties=schema,
                required=tuple(p.configSchema.required),
            )
        )
    # analyzer_plugin.go sorts the policies by name.
    return servicer, sorted(infos, key=lambda i: i.name)


def _initial_config_from_servicer(
    servicer: _PolicyAnalyzerServicer,
) -> dict[str, ReconciledPolicyConfig]:
    """``initialConfig`` as the Go side converts it (an unset level reads as advisory)."""
    info = servicer.GetAnalyzerInfo(None, None)
    return {
        key: ReconciledPolicyConfig(
            enforcement_level=_PROTO_TO_LEVEL[value.enforcementLevel],
            properties=json_format.MessageToDict(value.properties),
        )
        for key, value in info.initialConfig.items()
    }


# --------------------------------------------------------------------------------------------
# Config: parse, reconcile, validate (pkg/resource/analyzer/config.go)
# --------------------------------------------------------------------------------------------


def _go_value(value: Any) -> str:
    """A JSON value as Go's ``%v`` prints it, for error messages that match the CLI's."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(_go_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _extract_enforcement_level(props: dict[str, Any]) -> str:
    if "enforcementLevel" not in props:
        return ""
    level = props["enforcementLevel"]
    if not isinstance(level, str):
        raise ValueError(f"{_go_value(level)} is not a valid enforcement level; must be a string")
    if level not in _VALID_LEVELS:
        raise ValueError(f"{json.dumps(level)} is not a valid enforcement level")
    del props["enforcementLevel"]
    return level


def _parse_pack_config(config: Mapping[str, Any] | None) -> dict[str, ReconciledPolicyConfig]:
    """``parsePolicyPackConfig``: strings are levels, objects are level + properties."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise PolicyConfigError(
            [f"policy pack config must be a JSON object, not {type(config).__name__}"]
        )
    result: dict[str, ReconciledPolicyConfig] = {}
    for key, value in config.items():
        level = ""
        properties: dict[str, Any] | None = None
        if isinstance(value, str):
            if value not in _VALID_LEVELS:
                raise PolicyConfigError(
                    [
                        f"parsing enforcement level for {json.dumps(key)}: "
                        f"{json.dumps(value)} is not a valid enforcement level"
                    ]
                )
            level = value
        elif isinstance(value, Mapping):
            props = _copy.deepcopy(dict(value))
            try:
                level = _extract_enforcement_level(props)
            except ValueError as exc:
                raise PolicyConfigError(
                    [f"parsing enforcement level for {json.dumps(key)}: {exc}"]
                ) from None
            properties = props or None
        else:
            raise PolicyConfigError(
                [
                    f"parsing {json.dumps(key)}: {_go_value(value)} is not a valid value; "
                    "must be a string or object"
                ]
            )
        if level == "" and not properties:
            continue  # "Don't bother including empty configs."
        result[key] = ReconciledPolicyConfig(level, properties)
    return result


def _apply_config(
    result: dict[str, ReconciledPolicyConfig], to_apply: Mapping[str, ReconciledPolicyConfig]
) -> dict[str, ReconciledPolicyConfig]:
    """``applyConfig``: ``all`` sets every level first, then each named entry applies."""
    everything = to_apply.get("all")
    if everything is not None and everything.enforcement_level in _VALID_LEVELS:
        result = {
            name: ReconciledPolicyConfig(everything.enforcement_level, entry.properties)
            for name, entry in result.items()
        }
    for name, given in to_apply.items():
        level, properties = "", None
        if name in result:
            level = result[name].enforcement_level
            properties = dict(result[name].properties) if result[name].properties else None
        if given.enforcement_level in _VALID_LEVELS:
            level = given.enforcement_level
        if given.properties:
            properties = {**(properties or {}), **given.properties}
        result[name] = ReconciledPolicyConfig(level, properties)
    return result


def _reconcile(
    infos: Sequence[_PolicyInfo],
    initial: Mapping[str, ReconciledPolicyConfig],
    config: Mapping[str, Any] | None,
    pack_name: str,
    pack_version: str,
) -> dict[str, ReconciledPolicyConfig]:
    """``ReconcilePolicyPackConfig``: defaults, then initial config, then the config file.

    Validation errors are reported like the CLI does (sorted, one line each, prefixed
    ``validating policy config: <pack> <version>  ``) and raised together.
    """
    parsed = _parse_pack_config(config)
    result: dict[str, ReconciledPolicyConfig] = {}
    for info in infos:
        defaults = {
            key: spec["default"]
            for key, spec in info.schema_properties.items()
            if isinstance(spec, Mapping) and "default" in spec
        }
        result[info.name] = ReconciledPolicyConfig(info.enforcement_level, defaults or None)
    if initial:
        result = _apply_config(result, initial)
    if config is not None:
        result = _apply_config(result, parsed)
    errors = sorted(
        f"validating policy config: {pack_name} {pack_version}  {error}"
        for error in _validate(infos, result)
    )
    if errors:
        raise PolicyConfigError(errors)
    return result


def _validate(
    infos: Sequence[_PolicyInfo], config: Mapping[str, ReconciledPolicyConfig]
) -> list[str]:
    """``validatePolicyPackConfig`` with gojsonschema's wording, one message per problem."""
    errors: list[str] = []
    for info in infos:
        schema: dict[str, Any] = {"type": "object"}
        if info.schema_properties:
            schema["properties"] = info.schema_properties
        if info.required:
            schema["required"] = list(info.required)
        entry = config.get(info.name)
        props = dict(entry.properties) if entry and entry.properties else {}
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(props):
            errors.append(f"{info.name}: {_gojsonschema_message(error)}")
    return errors


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _gojsonschema_message(error: jsonschema.ValidationError) -> str:
    """One error as ``gojsonschema`` words it (``field: description``, root prefix dropped)."""
    field = ".".join(str(p) for p in error.absolute_path) or "(root)"
    v, arg = error.validator, error.validator_value
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(arg)
        description = f"{missing} is required"
    elif v == "type":
        expected = ",".join(arg) if isinstance(arg, list) else arg
        description = f"Invalid type. Expected: {expected}, given: {_json_type(error.instance)}"
    elif v == "enum":
        allowed = ", ".join(json.dumps(a, separators=(",", ":")) for a in arg)
        description = f"{field} must be one of the following: {allowed}"
    elif v == "const":
        description = f"{field} does not match: {json.dumps(arg, separators=(',', ':'))}"
    elif v == "minLength":
        description = f"String length must be greater than or equal to {arg}"
    elif v == "maxLength":
        description = f"String length must be less than or equal to {arg}"
    elif v == "minimum":
        description = f"Must be greater than or equal to {_number(arg)}"
    elif v == "maximum":
        description = f"Must be less than or equal to {_number(arg)}"
    elif v == "exclusiveMinimum":
        description = f"Must be greater than {_number(arg)}"
    elif v == "exclusiveMaximum":
        description = f"Must be less than {_number(arg)}"
    elif v == "multipleOf":
        description = f"Must be a multiple of {_number(arg)}"
    elif v == "pattern":
        description = f"Does not match pattern '{arg}'"
    elif v == "format":
        description = f"Does not match format '{arg}'"
    elif v == "minItems":
        description = f"Array must have at least {arg} items"
    elif v == "maxItems":
        description = f"Array must have at most {arg} items"
    elif v == "uniqueItems":
        description = "array items must be unique"
    elif v == "minProperties":
        description = f"Must have at least {arg} properties"
    elif v == "maxProperties":
        description = f"Must have at most {arg} properties"
    elif v == "anyOf":
        description = "Must validate at least one schema (anyOf)"
    elif v == "oneOf":
        description = "Must validate one and only one schema (oneOf)"
    elif v == "allOf":
        description = "Must validate all the schemas (allOf)"
    elif v == "not":
        description = "Must not validate the schema (not)"
    else:
        description = error.message
    if field == "(root)":
        return description
    return f"{field}: {description}"


def _configure(
    servicer: _PolicyAnalyzerServicer, config: Mapping[str, ReconciledPolicyConfig], pack: str
) -> None:
    """``analyzer.Configure``: sends the reconciled config (skipped when there is none)."""
    if not config:
        return
    _check_levels(config, pack)
    servicer.Configure(_configure_request(config), None)


def _configure_request(
    config: Mapping[str, ReconciledPolicyConfig],
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name in sorted(config):
        entry = config[name]
        target = request.policyConfig[name]
        target.enforcementLevel = _LEVEL_TO_PROTO[entry.enforcement_level]
        target.properties.update(entry.properties or {})
    return request


def _check_levels(config: Mapping[str, ReconciledPolicyConfig], pack: str) -> None:
    """``Configure`` refuses an entry without a valid level (a key naming no policy)."""
    for name in sorted(config):
        level = config[name].enforcement_level
        if level not in _VALID_LEVELS:
            raise PolicyConfigError(
                [
                    f"configuring policy pack {json.dumps(pack)}: invalid enforcement level "
                    f"{json.dumps(level)} (config key {json.dumps(name)} names no policy of "
                    "this pack and sets no enforcementLevel)"
                ]
            )


# --------------------------------------------------------------------------------------------
# Requests: records → analyzer protobufs
# --------------------------------------------------------------------------------------------


def _check_record(record: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("urn", "type", "name"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise ValueError(f"resource record needs a non-empty string {key!r}: {record!r:.200}")
    if not isinstance(record.get("inputs", {}), Mapping):
        raise ValueError(f"resource {record['urn']}: 'inputs' must be an object")
    return record


def _split_path(path: str) -> list[str | int]:
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
        return {_SIG_KEY: _SECRET_SIG, "value": node}
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


def _wrap_secrets(
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
    for path in sorted(secret_paths, key=lambda p: (-len(_split_path(p)), p)):
        if path in ("", "."):
            wire = {k: {_SIG_KEY: _SECRET_SIG, "value": v} for k, v in wire.items()}
            continue
        try:
            wire = _wrap_at(wire, path, path)
        except ValueError as exc:
            raise ValueError(f"resource {urn}: {exc}") from None
    return wire


def _record_struct(record: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    wire = _wrap_secrets(record.get("inputs") or {}, record.get("secretPaths") or [], record["urn"])
    try:
        struct.update(wire)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"resource {record['urn']}: inputs are not JSON-like: {exc}") from None
    return struct


def _options(record: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    """``marshalResourceOptions``: optional keys the recorder may add are passed on too."""
    timeouts = record.get("customTimeouts") or {}
    dbr = record.get("deleteBeforeReplace")
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(record.get("protect", False)),
        ignoreChanges=list(record.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=list(record.get("additionalSecretOutputs") or []),
        aliases=list(record.get("aliases") or []),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(
            create=float(timeouts.get("create", 0)),
            update=float(timeouts.get("update", 0)),
            delete=float(timeouts.get("delete", 0)),
        ),
        parent=record.get("parent") or "",
    )


def _provider(
    record: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The explicit provider (a ``urn::id`` reference) with its inputs, as the engine sends it."""
    reference = record.get("provider")
    if not reference:
        return None
    urn = reference if reference in by_urn else reference.rsplit("::", 1)[0]
    provider = by_urn.get(urn)
    if provider is not None:
        return analyzer_pb2.AnalyzerProviderResource(
            type=provider["type"],
            urn=urn,
            name=provider["name"],
            properties=_record_struct(provider),
        )
    # Not recorded (e.g. a default provider): type and name from the URN, no properties.
    qualified, _, name = urn.rpartition("::")
    return analyzer_pb2.AnalyzerProviderResource(
        type=qualified.rpartition("::")[2].split("$")[-1], urn=urn, name=name
    )


def _analyze_request(
    record: Mapping[str, Any],
    properties: struct_pb2.Struct,
    by_urn: Mapping[str, Mapping[str, Any]],
) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=record["type"],
        urn=record["urn"],
        name=record["name"],
        properties=properties,
        options=_options(record),
    )
    provider = _provider(record, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_resource(
    record: Mapping[str, Any],
    properties: struct_pb2.Struct,
    by_urn: Mapping[str, Mapping[str, Any]],
) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        type=record["type"],
        urn=record["urn"],
        name=record["name"],
        properties=properties,
        options=_options(record),
        parent=record.get("parent") or "",
        dependencies=list(record.get("dependsOn") or []),
    )
    for key, urns in (record.get("propertyDependencies") or {}).items():
        if urns:
            resource.propertyDependencies[key].urns.extend(urns)
    provider = _provider(record, by_urn)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


# --------------------------------------------------------------------------------------------
# Responses: diagnostics → findings
# --------------------------------------------------------------------------------------------


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


def _call(method: Any, request: Any, pack: str, urn: str | None) -> Any:
    try:
        return method(request, None)
    except Exception as exc:  # a policy bug: live, the engine reports "failed to run policy"
        where = f"resource {urn}" if urn else "the stack"
        raise PolicyEvaluationError(
            f"failed to run policy pack {pack!r} on {where}: {type(exc).__name__}: {exc}"
        ) from exc


def _redact(text: str) -> str:
    return text.replace(SECRET_PLACEHOLDER, SECRET_REDACTION)


def _finding(
    diagnostic: analyzer_pb2.AnalyzeDiagnostic, urn: str | None, severity_of: _SeverityResolver
) -> Finding:
    message = diagnostic.message
    prefix = diagnostic.description + "\n"
    if diagnostic.description and message.startswith(prefix):
        message = message[len(prefix) :]
    level = _PROTO_TO_LEVEL[diagnostic.enforcementLevel]
    if level == "disabled":  # never sent by the SDK; the engine would reject it
        raise PolicyEvaluationError(f"policy {diagnostic.policyName!r} reported a disabled level")
    return Finding(
        rule_id=diagnostic.policyName,
        enforcement=level,  # type: ignore[arg-type]
        urn=urn,
        message=_redact(message),
        severity=severity_of(diagnostic.policyName, _PROTO_TO_SEVERITY.get(diagnostic.severity)),
    )


def _severity_resolver(
    policies: Sequence[Policy], severities: Mapping[str, str] | None
) -> _SeverityResolver:
    explicit = dict(severities or {})
    for rule, value in explicit.items():
        if value not in SEVERITIES:
            raise ValueError(
                f"severity {value!r} for {rule!r} must be one of {', '.join(SEVERITIES)}"
            )
    attached = {p.name: p.severity.value for p in policies if p.severity is not None}

    def resolve(rule: str, on_diagnostic: str | None) -> str | None:
        return explicit.get(rule) or on_diagnostic or attached.get(rule)

    return resolve
