"""Offline CrossGuard evaluation: the engine's half of the analyzer protocol, in-process.

``pulumi preview --policy-pack policies --policy-pack-config cfg.json`` boots the pack as a gRPC
analyzer and talks to it with protobuf requests. ``evaluate`` plays the engine's part against the
SDK's own servicer (``paif_cli.sdk_adapter.policy.Servicer``) without a socket, so the
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
  the object ``{"4dabf1…": "1b4706…", "value": …}``; ``wire.wrap_secrets`` rebuilds that from
  the record's ``secret_paths``. pulumi_policy's ``Analyze``/``AnalyzeStack`` then deserialize with
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

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, cast

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy, StackValidationPolicy

from paif_cli.crossguard.findings import Finding, finding_of, severity_resolver
from paif_cli.crossguard.pack_config import (
    PolicyInfo,
    ReconciledPolicyConfig,
    check_levels,
    configure,
    configure_request,
    reconcile,
)
from paif_cli.crossguard.protocol import analyze_via_protocol
from paif_cli.crossguard.wire import (
    PROTO_TO_LEVEL,
    VALID_LEVELS,
    check_record,
    record_struct,
    redact,
    stack_resource,
)
from paif_cli.reports.model import RuleMeta
from paif_cli.sdk_adapter import sdk_shortcuts
from paif_cli.sdk_adapter.policy import Servicer, analyze_stack
from paif_components.contract.plan import ResourceRecord

__all__ = [
    "Finding",
    "ReconciledPolicyConfig",
    "engine_requests",
    "evaluate",
    "only_stack_policies",
    "reconcile_policy_config",
    "rule_metadata",
]

# pulumi_policy.PolicyPack: valid pack names.
PACK_NAME_RE = re.compile(r"^[a-zA-Z0-9-_.]{1,100}$")


def only_stack_policies(policies: Sequence[Policy]) -> bool:
    """Whether ``Remediate`` and ``Analyze`` have nothing to run for this pack: then, with the
    SDK shortcuts on, the pack is evaluated directly
    (:func:`paif_cli.sdk_adapter.policy.analyze_stack`), with the same findings."""
    return all(isinstance(p, StackValidationPolicy) for p in policies)


def evaluate(
    policies: Sequence[Policy],
    resources: Sequence[ResourceRecord],
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
    sdk_shortcuts_wanted: bool = True,
) -> list[Finding]:
    """Run the pack over recorded resources (the plan's records, read as they are) the way
    ``pulumi preview --policy-pack`` does.

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
    conversion of each resource for all its policies (``paif_cli.sdk_adapter.policy``); the same
    findings come back. ``via_protocol=True`` plays every request of the protocol instead, and
    so does an installed pulumi-policy outside the range the shortcuts were written for, or
    ``sdk_shortcuts_wanted=False`` (then with the SDK's own conversions as well).
    """
    servicer, infos = make_servicer(
        policies, pack_name, pack_version, enforcement_level, initial_config
    )
    config = reconcile(
        infos, initial_config_from_servicer(servicer), pack_config, pack_name, pack_version
    )
    configure(servicer, config, pack_name)
    if stack_tags:
        servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags=stack_tags), None)

    severity_of = severity_resolver(policies, severities)
    records = [check_record(r) for r in resources]
    by_urn = {r.urn: r for r in records}
    if len(by_urn) != len(records):
        counts = Counter(r.urn for r in records)
        duplicates = sorted(u for u, n in counts.items() if n > 1)
        raise ValueError(f"duplicate resource URN(s): {', '.join(duplicates)}")
    findings: list[Finding] = []
    with sdk_shortcuts(sdk_shortcuts_wanted) as shortcuts:
        if shortcuts.policy and not via_protocol and only_stack_policies(policies):
            response = analyze_stack(
                servicer, policies, records, by_urn, pack_name=pack_name, pack_version=pack_version
            )
        else:
            response = analyze_via_protocol(
                servicer,
                records,
                by_urn,
                pack_name,
                severity_of,
                findings,
                not_applicable,
                share_conversions=shortcuts.policy,
            )
    for diagnostic in response.diagnostics:
        urn = diagnostic.urn if diagnostic.urn in by_urn else None
        findings.append(finding_of(diagnostic, urn, severity_of))
    if not_applicable is not None:
        not_applicable.extend((n.policy_name, redact(n.reason)) for n in response.not_applicable)
    return findings


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
    servicer, infos = make_servicer(
        policies, pack_name, pack_version, enforcement_level, initial_config
    )
    config = reconcile(
        infos, initial_config_from_servicer(servicer), pack_config, pack_name, pack_version
    )
    check_levels(config, pack_name)
    return config


def engine_requests(
    resources: Sequence[ResourceRecord], config: Mapping[str, ReconciledPolicyConfig]
) -> tuple[analyzer_pb2.ConfigureAnalyzerRequest | None, analyzer_pb2.AnalyzeStackRequest]:
    """The ``Configure`` (None when there is no config) and ``AnalyzeStack`` requests the
    engine sends a pack for these records: for driving a pack process over gRPC."""
    records = [check_record(r) for r in resources]
    by_urn = {r.urn: r for r in records}
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[stack_resource(r, record_struct(r), by_urn) for r in records]
    )
    return (configure_request(config) if config else None), stack


def rule_metadata(
    policies: Sequence[Policy], severities: Mapping[str, str] | None = None
) -> list[RuleMeta]:
    """Report metadata from the policy objects (display name, remediation steps, url, tags)."""
    severity_of = severity_resolver(policies, severities)
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


def make_servicer(
    policies: Sequence[Policy],
    pack_name: str,
    pack_version: str,
    enforcement_level: EnforcementLevel,
    initial_config: Mapping[str, EnforcementLevel | Mapping[str, Any]] | None,
) -> tuple[Servicer, list[PolicyInfo]]:
    if not isinstance(pack_name, str) or not PACK_NAME_RE.match(pack_name):
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
    servicer = Servicer(
        pack_name,
        pack_version,
        policy_list,
        enforcement_level,
        cast(Any, dict(initial_config)) if initial_config is not None else None,
    )
    info = servicer.GetAnalyzerInfo(None, None)
    infos: list[PolicyInfo] = []
    for p in info.policies:
        schema = json_format.MessageToDict(p.configSchema.properties)
        # analyzer_plugin.go GetAnalyzerInfo: every policy of a config-supporting pack gets a
        # schema with `enforcementLevel` injected.
        schema["enforcementLevel"] = {"type": "string", "enum": list(VALID_LEVELS)}
        infos.append(
            PolicyInfo(
                name=p.name,
                enforcement_level=PROTO_TO_LEVEL[p.enforcementLevel],
                schema_properties=schema,
                required=tuple(p.configSchema.required),
            )
        )
    # analyzer_plugin.go sorts the policies by name.
    return servicer, sorted(infos, key=lambda i: i.name)


def initial_config_from_servicer(
    servicer: Servicer,
) -> dict[str, ReconciledPolicyConfig]:
    """``initialConfig`` as the Go side converts it (an unset level reads as advisory)."""
    info = servicer.GetAnalyzerInfo(None, None)
    return {
        key: ReconciledPolicyConfig(
            enforcement_level=PROTO_TO_LEVEL[value.enforcementLevel],
            properties=json_format.MessageToDict(value.properties),
        )
        for key, value in info.initialConfig.items()
    }
