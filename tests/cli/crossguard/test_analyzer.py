"""The offline policy engine: tiny packs evaluated through the SDK's analyzer servicer."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from paif_cli.crossguard import analyzer
from paif_cli.crossguard.analyzer import (
    Finding,
    ReconciledPolicyConfig,
    evaluate,
    reconcile_policy_config,
    rule_metadata,
)
from paif_cli.crossguard.wire import record_struct
from paif_cli.errors import PolicyConfigError, PolicyEvaluationError
from paif_components.contract.plan import ResourceRecord

PACK = "paif-test"
VERSION = "0.1.0"
STACK = "test"
PROJECT = "paif"
SITE = "paif:test:Site"
ENDPOINT = "paif:test:Endpoint"
DATABASE = "paif:test:Database"
# pulumi.runtime.rpc.UNKNOWN: what an unresolved output looks like on the wire.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def urn(type_: str, name: str, parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


def record(
    type_: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    parent: str | None = None,
    parent_type: str | None = None,
    protect: bool = False,
    secret_paths: list[str] | None = None,
    depends_on: list[str] | None = None,
    provider: str | None = None,
    custom: bool = True,
) -> dict[str, Any]:
    return {
        "urn": urn(type_, name, parent_type),
        "type": type_,
        "name": name,
        "parent": parent,
        "custom": custom,
        "provider": provider,
        "inputs": dict(inputs or {}),
        "secretPaths": list(secret_paths or []),
        "protect": protect,
        "retainOnDelete": False,
        "dependsOn": list(depends_on or []),
        "aliases": [],
    }


SITE_URN = urn(SITE, "site")


def stack_records() -> list[dict[str, Any]]:
    """A site component with two endpoints and a database, in registration order."""
    return [
        record(SITE, "site", custom=False),
        record(ENDPOINT, "site-llm", {"replicas": 1}, parent=SITE_URN, parent_type=SITE),
        record(ENDPOINT, "site-embed", {"replicas": 3}, parent=SITE_URN, parent_type=SITE),
        record(
            DATABASE,
            "site-db",
            {"instances": 2},
            parent=SITE_URN,
            parent_type=SITE,
            protect=False,
            depends_on=[urn(ENDPOINT, "site-llm", SITE)],
        ),
    ]


def _min_replicas(args: Any, report: Any) -> None:
    if args.resource_type != ENDPOINT:
        return
    minimum = args.get_config()["minReplicas"]
    if args.props["replicas"] < minimum:
        report(f"replicas {args.props['replicas']!r} < minReplicas {minimum!r}")


def min_replicas_policy(level: EnforcementLevel | None = EnforcementLevel.MANDATORY) -> Any:
    return ResourceValidationPolicy(
        name="min-replicas",
        description="Endpoints keep a minimum number of replicas.",
        validate=_min_replicas,
        enforcement_level=level,
        severity=Severity.HIGH,
        config_schema=PolicyConfigSchema(
            properties={"minReplicas": {"type": "integer", "minimum": 1, "default": 2}}
        ),
    )


def _protect_stateful(args: Any, report: Any) -> None:
    for resource in args.resources:
        if resource.resource_type == DATABASE and not resource.opts.protect:
            parent = resource.parent.name if resource.parent else None
            deps = ",".join(d.name for d in resource.dependencies)
            report(
                f"{resource.name} is not protected (parent={parent}, "
                f"opts.parent={resource.opts.parent}, dependsOn={deps})",
                resource.urn,
            )


def protect_policy() -> Any:
    return StackValidationPolicy(
        name="protect-stateful",
        description="Stateful resources are protected.",
        validate=_protect_stateful,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
    )


@pytest.fixture(autouse=True, params=["direct", "protocol"])
def evaluation_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs both ways: the plan's direct path and every request of the protocol
    (a pack with resource policies takes the protocol either way)."""
    monkeypatch.setattr(
        sys.modules[__name__],
        "evaluate",
        functools.partial(analyzer.evaluate, via_protocol=request.param == "protocol"),
    )


def run(
    policies: list[Any],
    resources: list[dict[str, Any]],
    config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> list[Finding]:
    return evaluate(
        policies,
        [ResourceRecord.from_json(r) for r in resources],  # the records in plan.json's form
        pack_name=PACK,
        pack_version=VERSION,
        pack_config=config,
        enforcement_level=kwargs.pop("enforcement_level", EnforcementLevel.ADVISORY),
        **kwargs,
    )


# --- findings ---------------------------------------------------------------------------------


def test_resource_and_stack_policies_report_exact_findings_in_engine_order() -> None:
    findings = run([min_replicas_policy(), protect_policy()], stack_records())
    assert findings == [
        Finding(
            rule_id="min-replicas",
            enforcement="mandatory",
            urn=urn(ENDPOINT, "site-llm", SITE),
            # Numbers cross protobuf Struct, so the policy sees floats, as it does live.
            message="replicas 1.0 < minReplicas 2.0",
            severity="high",
        ),
        Finding(
            rule_id="protect-stateful",
            enforcement="mandatory",
            urn=urn(DATABASE, "site-db", SITE),
            message=(
                f"site-db is not protected (parent=site, opts.parent={SITE_URN}, "
                "dependsOn=site-llm)"
            ),
            severity="critical",
        ),
    ]
    assert [f.blocking for f in findings] == [True, True]
    # The analyzer's finding is the plan's record before the gate maps it back: no waiver, no
    # rule metadata yet.
    assert findings[0].to_json() == {
        "ruleId": "min-replicas",
        "severity": "high",
        "enforcement": "mandatory",
        "urn": urn(ENDPOINT, "site-llm", SITE),
        "message": "replicas 1.0 < minReplicas 2.0",
        "waived": False,
        "waiverReason": None,
        "waiverOwner": None,
        "waiverExpires": None,
        "title": None,
        "section": None,
        "helpUri": None,
        "policy": None,
    }


def test_compliant_stack_has_no_findings() -> None:
    records = stack_records()
    records[1]["inputs"]["replicas"] = 2
    records[3]["protect"] = True
    assert run([min_replicas_policy(), protect_policy()], records) == []


def test_props_are_the_runtime_proxies_not_dicts() -> None:
    """A policy written against dict/list semantics misfires offline exactly as it does live."""
    seen: dict[str, Any] = {}

    def naive(args: Any, report: Any) -> None:
        labels = args.props.get("labels")
        seen["props"] = type(args.props).__name__
        seen["labels"] = type(labels).__name__
        seen["ports"] = type(args.props["ports"]).__name__
        seen["is_mapping"] = isinstance(labels, Mapping)
        try:
            json.dumps(args.props)
        except TypeError:
            seen["json"] = "TypeError"
        if not isinstance(labels, dict):  # always true at run time: labels is a proxy
            report("labels are missing")

    policy = ResourceValidationPolicy(
        name="naive-labels", description="Labels set.", validate=naive
    )
    findings = run(
        [policy], [record(ENDPOINT, "e", {"labels": {"team": "ai"}, "ports": [80, 443]})]
    )
    assert seen == {
        "props": "_DictProxy",
        "labels": "_DictProxy",
        "ports": "_ListProxy",
        "is_mapping": True,
        "json": "TypeError",
    }
    assert [f.message for f in findings] == ["labels are missing"]
    assert findings[0].enforcement == "advisory"  # the pack default given to evaluate


def test_resource_diagnostic_always_gets_the_analysed_urn_and_stack_urn_must_exist() -> None:
    def resource_check(args: Any, report: Any) -> None:
        report("resource-level", "urn:pulumi:test::paif::other:Type::elsewhere")

    def stack_check(args: Any, report: Any) -> None:
        report("whole stack")
        report("names a resource that is not in the stack", "urn:pulumi:test::paif::x:Y::gone")

    policies = [
        ResourceValidationPolicy(name="r", description="R.", validate=resource_check),
        StackValidationPolicy(name="s", description="S.", validate=stack_check),
    ]
    findings = run(policies, [record(ENDPOINT, "only", {"replicas": 2})])
    assert [(f.rule_id, f.urn, f.message) for f in findings] == [
        ("r", urn(ENDPOINT, "only"), "resource-level"),
        ("s", None, "whole stack"),
        ("s", None, "names a resource that is not in the stack"),
    ]


def test_unknown_value_is_downgraded_to_advisory_by_the_sdk() -> None:
    findings = run(
        [min_replicas_policy(EnforcementLevel.MANDATORY)],
        [record(ENDPOINT, "pending", {"replicas": UNKNOWN})],
    )
    assert findings == [
        Finding(
            rule_id="min-replicas",
            enforcement="advisory",
            urn=urn(ENDPOINT, "pending"),
            message=(
                f"can't run policy 'min-replicas' from policy pack '{PACK}@v{VERSION}' during "
                "preview: string value at .replicas can't be known during preview"
            ),
            severity="high",
        )
    ]


def test_not_applicable_reports_nothing() -> None:
    def skip(args: Any, report: Any) -> None:
        args.not_applicable("only for databases")
        report("unreachable")

    policy = ResourceValidationPolicy(name="skip", description="Skip.", validate=skip)
    assert run([policy], [record(ENDPOINT, "e")]) == []


def test_async_policy_runs() -> None:
    async def check(args: Any, report: Any) -> None:
        report(f"async saw {args.name}")

    policy = ResourceValidationPolicy(name="async", description="Async.", validate=check)
    assert [f.message for f in run([policy], [record(ENDPOINT, "e")])] == ["async saw e"]


def test_options_and_explicit_provider_reach_the_policy() -> None:
    seen: dict[str, Any] = {}
    provider_urn = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:kubernetes::vks"

    def check(args: Any, report: Any) -> None:
        if args.resource_type != ENDPOINT:
            return
        seen.update(
            protect=args.opts.protect,
            parent=args.opts.parent,
            aliases=list(args.opts.aliases),
            provider_type=args.provider.resource_type,
            provider_name=args.provider.name,
            context=args.provider.props["context"],
        )

    records = [
        record("pulumi:providers:kubernetes", "vks", {"context": "gpu-cluster"}),
        record(
            ENDPOINT,
            "e",
            {"replicas": 2},
            protect=True,
            parent=SITE_URN,
            provider=f"{provider_urn}::id-1234",
        ),
    ]
    records[1]["aliases"] = ["urn:pulumi:test::paif::old:Type::e"]
    policy = ResourceValidationPolicy(name="opts", description="Opts.", validate=check)
    assert run([policy], records) == []
    assert seen == {
        "protect": True,
        "parent": SITE_URN,
        "aliases": ["urn:pulumi:test::paif::old:Type::e"],
        "provider_type": "pulumi:providers:kubernetes",
        "provider_name": "vks",
        "context": "gpu-cluster",
    }


def test_findings_follow_record_order_then_pack_order() -> None:
    def always(args: Any, report: Any) -> None:
        report(args.name)

    policies = [
        ResourceValidationPolicy(name="b-second", description="B.", validate=always),
        ResourceValidationPolicy(name="a-first", description="A.", validate=always),
    ]
    findings = run(policies, [record(ENDPOINT, "z"), record(ENDPOINT, "y")])
    assert [(f.rule_id, f.message) for f in findings] == [
        ("b-second", "z"),
        ("a-first", "z"),
        ("b-second", "y"),
        ("a-first", "y"),
    ]


def test_empty_message_keeps_the_description() -> None:
    policy = ResourceValidationPolicy(
        name="bare", description="Bare description.", validate=lambda a, r: r("")
    )
    assert [f.message for f in run([policy], [record(ENDPOINT, "e")])] == ["Bare description."]


def test_policy_exception_fails_the_evaluation_with_the_resource_named() -> None:
    def broken(args: Any, report: Any) -> None:
        raise KeyError("spec")

    policy = ResourceValidationPolicy(name="broken", description="Broken.", validate=broken)
    with pytest.raises(PolicyEvaluationError) as info:
        run([policy], [record(ENDPOINT, "e")])
    assert str(info.value) == (
        f"failed to run policy pack '{PACK}' on resource {urn(ENDPOINT, 'e')}: KeyError: 'spec'"
    )


def test_remediation_runs_before_analysis_like_the_engine() -> None:
    """A remediate-level policy fixes the inputs; analysis and stack policies see the fix."""
    seen: list[float] = []

    def fix(args: Any, report: Any) -> Any:
        if args.props["replicas"] < 2:
            report("too few replicas")
            return {**dict(args.props), "replicas": 2}
        return None

    def observe(args: Any, report: Any) -> None:
        seen.extend(r.props["replicas"] for r in args.resources)

    policies = [
        ResourceValidationPolicy(
            name="fix-replicas",
            description="Fix.",
            validate_remediate=fix,
            enforcement_level=EnforcementLevel.REMEDIATE,
        ),
        StackValidationPolicy(name="observe", description="Observe.", validate=observe),
    ]
    assert run(policies, [record(ENDPOINT, "e", {"replicas": 1})]) == []
    assert seen == [2.0]


# --- secrets ----------------------------------------------------------------------------------


SECRET_RECORD_INPUTS = {
    "metadata": {"annotations": {"paif.io/owner": "ai-team"}},
    "spec": {"credentials": {"password": "[secret]", "user": "svc"}},
    "env": [{"name": "A", "value": "plain"}, {"name": "TOKEN", "value": "[secret]"}],
}
SECRET_PATHS = ["env[1].value", "spec.credentials.password"]


def test_secret_paths_are_rewrapped_in_the_engine_wire_form() -> None:
    wire = json_format.MessageToDict(
        record_struct(
            ResourceRecord.from_json(
                record(ENDPOINT, "s", SECRET_RECORD_INPUTS, secret_paths=SECRET_PATHS)
            )
        )
    )
    sig = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
    assert wire["spec"]["credentials"] == {"password": {**sig, "value": "[secret]"}, "user": "svc"}
    assert wire["env"][1]["value"] == {**sig, "value": "[secret]"}
    assert wire["env"][0]["value"] == "plain"
    assert wire["metadata"] == {"annotations": {"paif.io/owner": "ai-team"}}


def test_sdk_strips_secretness_and_placeholders_never_reach_messages() -> None:
    seen: dict[str, Any] = {}

    def leaky(args: Any, report: Any) -> None:
        password = args.props["spec"]["credentials"]["password"]
        seen["password"] = password
        seen["type"] = type(password).__name__
        report(f"password={password} token={args.props['env'][1]['value']}")

    policy = ResourceValidationPolicy(name="leaky", description="Leaky.", validate=leaky)
    findings = run(
        [policy], [record(ENDPOINT, "s", SECRET_RECORD_INPUTS, secret_paths=SECRET_PATHS)]
    )
    # Analyze deserializes without proxy_secrets: the policy gets the bare value.
    assert seen == {"password": "[secret]", "type": "str"}
    assert [f.message for f in findings] == ["password=*** token=***"]


TOKEN_KEY = "vault.hashicorp.com/token"


def test_secret_path_through_a_dotted_key_resolves_against_the_data() -> None:
    inputs = {"metadata": {"annotations": {TOKEN_KEY: "[secret]", "vault": "plain"}}}
    wire = json_format.MessageToDict(
        record_struct(
            ResourceRecord.from_json(
                record(
                    ENDPOINT,
                    "s",
                    inputs,
                    secret_paths=["metadata.annotations.vault.hashicorp.com/token"],
                )
            )
        )
    )
    assert wire["metadata"]["annotations"][TOKEN_KEY]["value"] == "[secret]"
    assert wire["metadata"]["annotations"]["vault"] == "plain"


def test_secret_path_that_does_not_exist_is_an_error() -> None:
    bad = record(ENDPOINT, "s", {"spec": {}}, secret_paths=["spec.password"])
    with pytest.raises(ValueError) as info:
        run([min_replicas_policy()], [bad])
    assert str(info.value) == (
        f"resource {urn(ENDPOINT, 's')}: secret path 'spec.password' does not exist in the "
        "resource's inputs"
    )


# --- pack config reconciliation ----------------------------------------------------------------


def test_defaults_from_config_schema_are_applied() -> None:
    config = reconcile_policy_config(
        [min_replicas_policy(), protect_policy()],
        pack_name=PACK,
        pack_version=VERSION,
        pack_config=None,
        enforcement_level=EnforcementLevel.ADVISORY,
    )
    assert config == {
        "min-replicas": ReconciledPolicyConfig("mandatory", {"minReplicas": 2.0}),
        "protect-stateful": ReconciledPolicyConfig("mandatory", None),
    }


def test_all_advisory_downgrades_every_policy() -> None:
    findings = run([min_replicas_policy(), protect_policy()], stack_records(), {"all": "advisory"})
    assert [(f.rule_id, f.enforcement) for f in findings] == [
        ("min-replicas", "advisory"),
        ("protect-stateful", "advisory"),
    ]
    assert not any(f.blocking for f in findings)


def test_named_policy_overrides_all() -> None:
    findings = run(
        [min_replicas_policy(None), protect_policy()],
        stack_records(),
        {"all": "mandatory", "protect-stateful": {"enforcementLevel": "advisory"}},
    )
    assert [(f.rule_id, f.enforcement) for f in findings] == [
        ("min-replicas", "mandatory"),
        ("protect-stateful", "advisory"),
    ]


def test_per_policy_disabled_silences_it() -> None:
    findings = run(
        [min_replicas_policy(), protect_policy()], stack_records(), {"min-replicas": "disabled"}
    )
    assert [f.rule_id for f in findings] == ["protect-stateful"]


def test_config_properties_override_defaults_and_reach_the_policy() -> None:
    findings = run(
        [min_replicas_policy()],
        stack_records(),
        {"min-replicas": {"enforcementLevel": "advisory", "minReplicas": 4}},
    )
    assert [(f.urn, f.enforcement, f.message) for f in findings] == [
        (urn(ENDPOINT, "site-llm", SITE), "advisory", "replicas 1.0 < minReplicas 4.0"),
        (urn(ENDPOINT, "site-embed", SITE), "advisory", "replicas 3.0 < minReplicas 4.0"),
    ]


def test_pack_default_level_applies_to_policies_without_their_own() -> None:
    findings = run(
        [min_replicas_policy(None)],
        stack_records(),
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    assert [f.enforcement for f in findings] == ["mandatory"]


def _config_error(config: Any, policies: list[Any] | None = None) -> str:
    with pytest.raises(PolicyConfigError) as info:
        run(policies or [min_replicas_policy(), protect_policy()], stack_records(), config)
    return str(info.value)


def test_value_outside_the_schema_is_rejected_like_the_cli() -> None:
    assert _config_error({"min-replicas": {"minReplicas": 0}}) == (
        "validating policy config: paif-test 0.1.0  "
        "min-replicas: minReplicas: Must be greater than or equal to 1"
    )


def test_wrong_type_is_rejected_like_the_cli() -> None:
    assert _config_error({"min-replicas": {"minReplicas": "two"}}) == (
        "validating policy config: paif-test 0.1.0  "
        "min-replicas: minReplicas: Invalid type. Expected: integer, given: string"
    )
    assert _config_error({"min-replicas": {"minReplicas": 2.5}}) == (
        "validating policy config: paif-test 0.1.0  "
        "min-replicas: minReplicas: Invalid type. Expected: integer, given: number"
    )


def test_required_enum_and_several_errors_are_all_reported_sorted() -> None:
    policy = ResourceValidationPolicy(
        name="tiering",
        description="Tier.",
        validate=lambda a, r: None,
        config_schema=PolicyConfigSchema(
            properties={
                "owner": {"type": "string"},
                "tier": {"type": "string", "enum": ["dev", "prod"]},
            },
            required=["owner"],
        ),
    )
    message = _config_error({"tiering": {"tier": "qa"}}, [policy])
    assert message.splitlines() == [
        "validating policy config: paif-test 0.1.0  tiering: owner is required",
        "validating policy config: paif-test 0.1.0  tiering: tier: tier must be one of the "
        'following: "dev", "prod"',
    ]


def test_invalid_enforcement_levels_are_rejected_like_the_cli() -> None:
    assert _config_error({"min-replicas": "strict"}) == (
        'parsing enforcement level for "min-replicas": "strict" is not a valid enforcement level'
    )
    assert _config_error({"min-replicas": {"enforcementLevel": 1}}) == (
        'parsing enforcement level for "min-replicas": 1 is not a valid enforcement level; '
        "must be a string"
    )
    assert _config_error({"min-replicas": 5}) == (
        'parsing "min-replicas": 5 is not a valid value; must be a string or object'
    )
    assert _config_error({"min-replicas": None}) == (
        'parsing "min-replicas": <nil> is not a valid value; must be a string or object'
    )


def test_properties_for_a_policy_that_does_not_exist_fail_configure() -> None:
    assert _config_error({"min-replica": {"minReplicas": 3}}) == (
        'configuring policy pack "paif-test": invalid enforcement level "" (config key '
        '"min-replica" names no policy of this pack and sets no enforcementLevel)'
    )


def test_empty_entries_are_ignored_and_all_is_kept_like_the_cli() -> None:
    config = reconcile_policy_config(
        [min_replicas_policy(), protect_policy()],
        pack_name=PACK,
        pack_version=VERSION,
        pack_config={"all": "disabled", "protect-stateful": {}},
        enforcement_level=EnforcementLevel.ADVISORY,
    )
    assert config == {
        "min-replicas": ReconciledPolicyConfig("disabled", {"minReplicas": 2.0}),
        "protect-stateful": ReconciledPolicyConfig("disabled", None),
        "all": ReconciledPolicyConfig("disabled", None),
    }
    assert (
        run([min_replicas_policy(), protect_policy()], stack_records(), config={"all": "disabled"})
        == []
    )


def test_initial_config_without_a_level_reads_as_advisory_like_the_cli() -> None:
    """Pulumi quirk kept: PolicyConfig.enforcementLevel unset is ADVISORY (proto value 0)."""
    findings = run(
        [min_replicas_policy(EnforcementLevel.MANDATORY)],
        stack_records(),
        initial_config={"min-replicas": {"minReplicas": 3}},
    )
    assert [(f.enforcement, f.message) for f in findings] == [
        ("advisory", "replicas 1.0 < minReplicas 3.0")
    ]


# --- severity, metadata and argument checks -----------------------------------------------------


def test_severities_argument_overrides_the_policy_and_fills_gaps() -> None:
    bare = ResourceValidationPolicy(name="bare", description="Bare.", validate=lambda a, r: r("x"))
    findings = run(
        [min_replicas_policy(), bare],
        [record(ENDPOINT, "e", {"replicas": 1})],
        severities={"min-replicas": "medium", "unused-rule": "low"},
    )
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("min-replicas", "medium"),
        ("bare", None),
    ]
    with pytest.raises(ValueError, match="severity 'urgent' for 'bare' must be one of"):
        run([bare], [], severities={"bare": "urgent"})


def test_rule_metadata_comes_from_the_policy_objects() -> None:
    policy = ResourceValidationPolicy(
        name="PAIF-T-001",
        description="Endpoints keep replicas.",
        validate=lambda a, r: None,
        display_name="Endpoint replicas",
        severity=Severity.HIGH,
        remediation_steps="Raise autoscaling.min.",
        url="https://example.org/PAIF-T-001",
        tags=["ha"],
    )
    (meta,) = rule_metadata([policy])
    assert (meta.id, meta.title, meta.severity, meta.description, meta.remediation) == (
        "PAIF-T-001",
        "Endpoint replicas",
        "high",
        "Endpoints keep replicas.",
        "Raise autoscaling.min.",
    )
    assert (meta.help_uri, meta.tags) == ("https://example.org/PAIF-T-001", ("ha",))
    bare = ResourceValidationPolicy(name="bare", description="Bare.", validate=lambda a, r: None)
    with pytest.raises(ValueError, match="policy 'bare' has no severity"):
        rule_metadata([bare])
    assert rule_metadata([bare], {"bare": "low"})[0].severity == "low"


def test_bad_pack_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="Invalid policy pack name 'paif test'"):
        evaluate(
            [min_replicas_policy()],
            [],
            pack_name="paif test",
            pack_version=VERSION,
            pack_config=None,
            enforcement_level=EnforcementLevel.ADVISORY,
        )
    with pytest.raises(ValueError, match="duplicate policy name 'min-replicas'"):
        run([min_replicas_policy(), min_replicas_policy()], [])
    with pytest.raises(ValueError, match="needs a non-empty string 'urn'"):
        run([min_replicas_policy()], [{"type": ENDPOINT, "name": "x"}])
    with pytest.raises(ValueError, match=r"duplicate resource URN\(s\): " + urn(ENDPOINT, "e")):
        run([min_replicas_policy()], [record(ENDPOINT, "e"), record(ENDPOINT, "e")])


def test_stack_tags_reach_policies() -> None:
    def tagged(args: Any, report: Any) -> None:
        report(f"tier={args.stack_tags.get('paif:tier')}")

    policy = ResourceValidationPolicy(name="tags", description="Tags.", validate=tagged)
    findings = run([policy], [record(ENDPOINT, "e")], stack_tags={"paif:tier": "prod"})
    assert [f.message for f in findings] == ["tier=prod"]


# --- with the plan's recorder ------------------------------------------------------------------


class _Thing(pulumi.CustomResource):
    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        super().__init__("paif:test:Thing", name, props, opts)


class _Group(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("paif:test:Group", name)
        # A provider of the resource's own package ("paif"); the SDK ignores any other.
        provider = pulumi.ProviderResource("paif", f"{name}-provider", {"endpoint": "vc"})
        self.thing = _Thing(
            f"{name}-thing",
            {"replicas": 1, "password": pulumi.Output.secret("hunter2")},
            pulumi.ResourceOptions(parent=self, provider=provider, protect=True),
        )
        self.register_outputs({})


def test_records_from_the_mock_runtime_evaluate_as_live(run_pulumi: Any) -> None:
    """The recorder's own output (provider refs, secret paths, parents) feeds the runner."""
    seen: dict[str, Any] = {}

    def check(args: Any, report: Any) -> None:
        if args.resource_type != "paif:test:Thing":
            return
        seen.update(
            password=args.props["password"],
            provider=(args.provider.resource_type, args.provider.name),
            endpoint=args.provider.props["endpoint"],
            protect=args.opts.protect,
        )
        report(f"password {args.props['password']} with {args.props['replicas']:.0f} replica")

    def parents(args: Any, report: Any) -> None:
        for resource in args.resources:
            if resource.parent is not None:
                report(f"{resource.name} under {resource.parent.name}", resource.urn)

    result = run_pulumi(lambda: _Group("grp"), stack=STACK, project=PROJECT)
    records = [r.to_json() for r in result.resources]
    thing = next(r for r in records if r["type"] == "paif:test:Thing")
    provider_urn = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:paif::grp-provider"
    assert thing["provider"].startswith(f"{provider_urn}::")
    assert thing["secretPaths"] == ["password"]
    assert thing["inputs"]["password"] == "[secret]"
    policies = [
        ResourceValidationPolicy(name="thing", description="Thing.", validate=check),
        StackValidationPolicy(name="parents", description="Parents.", validate=parents),
    ]
    findings = run(policies, records)
    assert seen == {
        "password": "[secret]",
        "provider": ("pulumi:providers:paif", "grp-provider"),
        "endpoint": "vc",
        "protect": True,
    }
    # The provider and the component hang off the root stack, which is not recorded.
    assert [(f.rule_id, f.urn, f.message) for f in findings] == [
        ("thing", thing["urn"], "password *** with 1 replica"),
        ("parents", thing["urn"], "grp-thing under grp"),
    ]
