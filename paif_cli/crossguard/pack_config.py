"""Policy pack config as the Pulumi CLI reads it: parse, reconcile with the pack's defaults and
initial config, validate, and send it to the analyzer (``Configure``).

A port of ``pkg/resource/analyzer/config.go`` (``parsePolicyPackConfig``,
``extractEnforcementLevel``, ``createConfigWithDefaults``, ``applyConfig``,
``ReconcilePolicyPackConfig``, ``validatePolicyPackConfig``), the schema conversion and the
``enforcementLevel`` injection of ``sdk/go/common/resource/plugin/analyzer_plugin.go``
``GetAnalyzerInfo``/``Configure``, and the error text of ``pkg/engine``
``installAndLoadPolicyPlugins``, so an invalid config is refused in the CLI's words.
"""

from __future__ import annotations

import copy as _copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import jsonschema
from pulumi.runtime.proto import analyzer_pb2

from paif_cli.crossguard.wire import LEVEL_TO_PROTO, VALID_LEVELS
from paif_cli.errors import PolicyConfigError
from paif_cli.sdk_adapter.policy import Servicer

__all__ = [
    "PolicyInfo",
    "ReconciledPolicyConfig",
    "check_levels",
    "configure",
    "configure_request",
    "reconcile",
]


@dataclass(frozen=True)
class ReconciledPolicyConfig:
    """One entry of the reconciled config (Go ``plugin.AnalyzerPolicyConfig``)."""

    enforcement_level: str
    properties: dict[str, Any] | None = None


@dataclass(frozen=True)
class PolicyInfo:
    """What the engine learns from ``GetAnalyzerInfo`` about one policy."""

    name: str
    enforcement_level: str
    schema_properties: dict[str, Any]
    required: tuple[str, ...]


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
    if level not in VALID_LEVELS:
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
            if value not in VALID_LEVELS:
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
    if everything is not None and everything.enforcement_level in VALID_LEVELS:
        result = {
            name: ReconciledPolicyConfig(everything.enforcement_level, entry.properties)
            for name, entry in result.items()
        }
    for name, given in to_apply.items():
        level, properties = "", None
        if name in result:
            level = result[name].enforcement_level
            own = result[name].properties
            properties = dict(own) if own else None
        if given.enforcement_level in VALID_LEVELS:
            level = given.enforcement_level
        if given.properties:
            properties = {**(properties or {}), **given.properties}
        result[name] = ReconciledPolicyConfig(level, properties)
    return result


def reconcile(
    infos: Sequence[PolicyInfo],
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
    infos: Sequence[PolicyInfo], config: Mapping[str, ReconciledPolicyConfig]
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
        allowed = ", ".join(json.dumps(a, separators=(",", ":")) for a in cast(list[Any], arg))
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


def configure(servicer: Servicer, config: Mapping[str, ReconciledPolicyConfig], pack: str) -> None:
    """``analyzer.Configure``: sends the reconciled config (skipped when there is none)."""
    if not config:
        return
    check_levels(config, pack)
    servicer.Configure(configure_request(config), None)


def configure_request(
    config: Mapping[str, ReconciledPolicyConfig],
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name in sorted(config):
        entry = config[name]
        target = request.policyConfig[name]
        target.enforcementLevel = LEVEL_TO_PROTO[entry.enforcement_level]
        target.properties.update(entry.properties or {})
    return request


def check_levels(config: Mapping[str, ReconciledPolicyConfig], pack: str) -> None:
    """``Configure`` refuses an entry without a valid level (a key naming no policy)."""
    for name in sorted(config):
        level = config[name].enforcement_level
        if level not in VALID_LEVELS:
            raise PolicyConfigError(
                [
                    f"configuring policy pack {json.dumps(pack)}: invalid enforcement level "
                    f"{json.dumps(level)} (config key {json.dumps(name)} names no policy of "
                    "this pack and sets no enforcementLevel)"
                ]
            )
