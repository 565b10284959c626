"""The policy pack as a package: it serves like the CLI runs it, its metadata, its enforcement.

Enforcement, waivers and pack config are shown on tiny Pulumi programs planned under the mock
runtime (a site component and a GPU cluster) and evaluated through the SDK's analyzer servicer
(``paif_cli.gate.evaluate_records``), so props arrive as the runtime's read-only proxies.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi_vsphere as vsphere
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Severity

from paif_components.contract.finding import Finding
from paif_components.contract.waiver import Waiver
from paif_policies import framework, pack
from paif_policies.framework import (
    ADVISORY_POLICY,
    SITE_TYPE,
    WAIVED_POLICY,
    Rule,
    Violation,
    build_policies,
    format_message,
    parse_message,
)
from tests.support.policy import InputError, evaluate, evaluate_records
from tests.support.stacks import ROOT

HA_007 = "PAIF-HA-007"
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


class _Site(pulumi.ComponentResource):
    """Stands in for PaifSite: the props the pack reads from it, nothing else."""

    def __init__(self, name: str, props: Mapping[str, Any]) -> None:
        super().__init__(SITE_TYPE, name, dict(props))
        self.register_outputs({})


def _records(
    run_pulumi: Callable[..., Any],
    environment: str,
    *,
    tolerance: int = 1,
    ha: bool = True,
    waivers: list[dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """A site and one GPU cluster (HA-007 fails when ``ha`` is False)."""

    def program() -> None:
        site = _Site("site", {"environment": environment, "waivers": waivers or []})
        vsphere.ComputeCluster(
            "site-gpu",
            name="gpu-wld-01",
            datacenter_id="datacenter-1",
            host_system_ids=["host-1", "host-2", "host-3"],
            ha_enabled=ha,
            drs_enabled=True,
            ha_admission_control_policy="resourcePercentage",
            ha_admission_control_host_failure_tolerance=tolerance,
            opts=pulumi.ResourceOptions(parent=site),
        )

    result = run_pulumi(program, stack="prod")
    return [r.to_json() for r in result.resources]


def _cluster_urn(records: list[dict[str, Any]]) -> str:
    return next(r["urn"] for r in records if r["type"].startswith("vsphere:"))


def _site_urn(records: list[dict[str, Any]]) -> str:
    return next(r["urn"] for r in records if r["type"] == SITE_TYPE)


# The tiny stacks here break other rules too (no DR pattern, no audit settings): these tests
# look at the rules they exercise only.
SUBJECT_RULES = {HA_007, "PAIF-GOV-001"}


def _ours(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule_id in SUBJECT_RULES]


def _brief(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return [(f.rule_id, f.enforcement, f.waived, f.message) for f in _ours(findings)]


HA_OFF = "ComputeCluster gpu-wld-01: vSphere HA is off (haEnabled)"


# --- packaging ------------------------------------------------------------------------------


def test_pack_serves_over_grpc_as_the_pulumi_cli_starts_it(tmp_path: Path) -> None:
    """``python -m pulumi.policy <engine> policies`` (what the CLI's analyzer plugin runs)."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(ROOT / "policies")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert info.name == pack.PACK_NAME
    assert info.supportsConfig
    names = [p.name for p in info.policies]
    assert names == [r.id for r in pack.rules()] + [ADVISORY_POLICY, WAIVED_POLICY]
    by_name = {p.name: p for p in info.policies}
    ha = by_name[HA_007]
    assert ha.enforcementLevel == analyzer_pb2.MANDATORY
    assert ha.policy_type == analyzer_pb2.POLICY_TYPE_STACK
    assert ha.severity == analyzer_pb2.POLICY_SEVERITY_HIGH
    # Linked where pyproject.toml's [project.urls] publishes the catalogue, else nowhere.
    assert ha.url == (framework.doc_link("paif-ha-007") or "")
    assert "admission control" in ha.remediation_steps
    assert dict(ha.configSchema.properties)["minReservedHosts"]["default"] == 1
    assert by_name[ADVISORY_POLICY].enforcementLevel == analyzer_pb2.ADVISORY


def test_main_only_serves_the_policy_pack() -> None:
    tree = ast.parse((ROOT / "policies" / "__main__.py").read_text())
    calls = [
        node.value.func.id
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
    ]
    assert calls == ["_load_this_folder_as_paif_policies", "serve"]
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert defined == ["_load_this_folder_as_paif_policies"]


def test_the_pack_starts_without_the_config_models() -> None:
    """The pack's start-up is on the path of every ``pulumi preview --policy-pack``: defining its
    policies must not build the pydantic config models (issue 27; docs/benchmarks.md)."""
    script = (
        "import json, sys\n"
        "from paif_policies.pack import pack_arguments\n"
        "assert pack_arguments()['policies']\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('paif_components.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = json.loads(done.stdout)
    assert "paif_components.config.models" not in loaded
    assert [m for m in loaded if m.startswith("paif_components.config.models")] == []
    assert "paif_components.config.loader" not in loaded


def test_pack_version_and_runtime_come_from_pulumipolicy_yaml() -> None:
    document = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert pack.pack_version() == document["version"] == "0.1.0"
    assert document["runtime"]["name"] == "python"


def test_requirements_pin_the_project_at_its_own_version() -> None:
    """Shipped alone, the pack installs the project it belongs to, nothing looser."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    lines = (ROOT / "policies" / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == [
        f"paif-pulumi=={version}"
    ]


def test_every_rule_becomes_a_stack_policy_with_its_metadata() -> None:
    policies = pack.policies()
    assert [p.name for p in policies] == [r.id for r in pack.rules()] + [
        ADVISORY_POLICY,
        WAIVED_POLICY,
    ]
    severity = {"critical": Severity.CRITICAL, "high": Severity.HIGH}
    severity |= {"medium": Severity.MEDIUM, "low": Severity.LOW}
    for policy, rule_ in zip(policies, pack.rules(), strict=False):
        assert policy.enforcement_level is EnforcementLevel.MANDATORY
        assert policy.severity is severity[rule_.severity]
        assert policy.display_name == rule_.title
        assert policy.remediation_steps == rule_.remediation
        assert policy.url == framework.doc_link(rule_.id.lower())
        assert policy.name == rule_.id and rule_.section in policy.description
        schema = policy.config_schema.properties if policy.config_schema else {}
        assert {k: v["default"] for k, v in schema.items()} == dict(rule_.thresholds)


def _design_catalogue() -> dict[str, str]:
    """Rule id -> severity of the starting design's catalogue (data/design-catalogue.tsv)."""
    lines = (Path(__file__).parent / "data" / "design-catalogue.tsv").read_text().splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return {rule_id: severity for rule_id, severity, _source in rows}


def test_every_rule_of_the_design_catalogue_is_registered_with_its_severity() -> None:
    table = _design_catalogue()
    assert len(table) == 35
    registered = {r.id: r.severity for r in pack.rules()}
    assert {r: registered.get(r) for r in table} == table


def test_docs_catalogue_is_generated_from_the_registry() -> None:
    current = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    assert current == pack.render_catalogue(), (
        "docs/policies.md is stale: run `python -m paif_policies.pack --write-docs`"
    )
    for r in pack.rules():
        assert f'<a id="{r.id.lower()}"></a>' in current


def test_messages_carry_the_rule_id_and_parse_back() -> None:
    assert format_message("PAIF-HA-001", "too few") == "[PAIF-HA-001] too few"
    assert parse_message("[PAIF-HA-001] too few\nsecond") == ("PAIF-HA-001", "too few\nsecond")
    assert parse_message("can't run policy") == (None, "can't run policy")


# --- enforcement on planned resources --------------------------------------------------------


def test_production_violation_is_mandatory_and_names_the_resource(run_pulumi: Any) -> None:
    records = _records(run_pulumi, "prod", ha=False)
    findings = _ours(evaluate_records(records))
    assert _brief(findings) == [(HA_007, "mandatory", False, HA_OFF)]
    assert findings[0].urn == _cluster_urn(records)
    assert findings[0].severity == "high"
    assert findings[0].policy == HA_007


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_lower_tiers_report_the_same_finding_as_advisory(run_pulumi: Any, environment: str) -> None:
    findings = _ours(evaluate_records(_records(run_pulumi, environment, ha=False)))
    assert _brief(findings) == [(HA_007, "advisory", False, HA_OFF)]
    assert findings[0].policy == ADVISORY_POLICY
    assert findings[0].severity == "high"


def test_mission_critical_is_a_production_tier(run_pulumi: Any) -> None:
    findings = evaluate_records(_records(run_pulumi, "mission-critical", ha=False))
    assert _brief(findings) == [(HA_007, "mandatory", False, HA_OFF)]


def test_a_valid_waiver_keeps_the_finding_visible_but_advisory(run_pulumi: Any) -> None:
    waiver = {
        "rule": HA_007,
        "resource": "site-*",
        "reason": "HA licence arrives with the Q3 hardware refresh",
        "owner": "platform-team",
        "expires": FUTURE,
    }
    findings = _ours(evaluate_records(_records(run_pulumi, "prod", ha=False, waivers=[waiver])))
    assert _brief(findings) == [(HA_007, "advisory", True, HA_OFF)]
    assert findings[0].waiver == Waiver(
        rule=HA_007,
        resource="site-*",
        reason=waiver["reason"],
        owner="platform-team",
        expires=FUTURE,
    )


def test_a_waiver_for_another_resource_or_rule_waives_nothing(run_pulumi: Any) -> None:
    waivers = [
        {"rule": HA_007, "resource": "other-*", "reason": "a different cluster entirely",
         "owner": "ops", "expires": FUTURE},
        {"rule": "PAIF-HA-006", "resource": "*", "reason": "databases are not HA yet",
         "owner": "ops", "expires": FUTURE},
    ]  # fmt: skip
    findings = evaluate_records(_records(run_pulumi, "prod", ha=False, waivers=waivers))
    assert _brief(findings) == [(HA_007, "mandatory", False, HA_OFF)]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"expires": PAST}, f"expired on {PAST}"),
        ({"reason": "later"}, "reason must have at least 10 characters"),
        ({"rule": "PAIF-XX-999"}, "names unknown rule 'PAIF-XX-999'"),
        ({"owner": " "}, "has no owner"),
    ],
)
def test_an_invalid_waiver_fails_closed_and_is_itself_a_finding(
    run_pulumi: Any, change: dict[str, str], problem: str
) -> None:
    waiver = {
        "rule": HA_007,
        "resource": "site-gpu",
        "reason": "HA licence arrives with the Q3 hardware refresh",
        "owner": "platform-team",
        "expires": FUTURE,
    } | change
    records = _records(run_pulumi, "prod", ha=False, waivers=[waiver])
    findings = _ours(evaluate_records(records))
    governance = f"paif:waivers[0] ({waiver['rule']} on site-gpu) {problem}; it waives nothing"
    assert _brief(findings) == [
        ("PAIF-GOV-001", "mandatory", False, governance),
        (HA_007, "mandatory", False, HA_OFF),
    ]
    assert findings[0].urn == _site_urn(records)


def test_thresholds_from_pack_config_apply_in_every_tier(run_pulumi: Any) -> None:
    config = {HA_007: {"minReservedHosts": 2}}
    message = (
        "ComputeCluster gpu-wld-01: admission control (resourcePercentage) reserves 1 host(s), "
        "fewer than 2"
    )
    prod = evaluate_records(_records(run_pulumi, "prod"), config)
    dev = evaluate_records(_records(run_pulumi, "dev"), config)
    assert _brief(prod) == [(HA_007, "mandatory", False, message)]
    assert _brief(dev) == [(HA_007, "advisory", False, message)]
    assert _ours(evaluate_records(_records(run_pulumi, "prod"))) == []


@pytest.mark.parametrize("environment", ["prod", "dev"])
def test_a_disabled_rule_reports_nothing_in_either_policy(
    run_pulumi: Any, environment: str
) -> None:
    records = _records(run_pulumi, environment, ha=False)
    assert _ours(evaluate_records(records, {HA_007: "disabled"})) == []


def test_pack_config_overrides_enforcement_like_the_cli(run_pulumi: Any) -> None:
    prod = _records(run_pulumi, "prod", ha=False)
    dev = _records(run_pulumi, "dev", ha=False)
    assert _brief(evaluate_records(prod, {"all": "advisory"})) == [
        (HA_007, "advisory", False, HA_OFF)
    ]
    assert _brief(evaluate_records(dev, {ADVISORY_POLICY: "mandatory"})) == [
        (HA_007, "mandatory", False, HA_OFF)
    ]


def test_invalid_pack_config_is_a_user_error_worded_like_the_cli(run_pulumi: Any) -> None:
    records = _records(run_pulumi, "prod")
    with pytest.raises(InputError) as error:
        evaluate_records(records, {HA_007: {"minReservedHosts": "two"}})
    assert str(error.value) == (
        "--policy-pack-config: validating policy config: paif-production 0.1.0  "
        "PAIF-HA-007: minReservedHosts: Invalid type. Expected: integer, given: string"
    )


# --- the framework with rules of its own ------------------------------------------------------


def _rule(severity: str, found: list[Violation], seen: list[Mapping[str, Any]]) -> Rule:
    def check(view: framework.StackView, t: Mapping[str, Any]) -> list[Violation]:
        seen.append(dict(t))
        return found

    return Rule(
        id="PAIF-TST-001",
        title="test rule",
        severity=severity,
        section="§0",
        rationale="r",
        remediation="fix it",
        check=check,
        thresholds={"limit": 3},
    )


def _stack(environment: str) -> list[dict[str, Any]]:
    urn = f"urn:pulumi:prod::paif::{SITE_TYPE}::site"
    return [{"urn": urn, "type": SITE_TYPE, "name": "site", "inputs": {"environment": environment}}]


def test_low_severity_rules_never_block(run_pulumi: Any) -> None:
    seen: list[Mapping[str, Any]] = []
    policies = build_policies([_rule("low", [Violation("slow start")], seen)])
    findings = evaluate(
        policies,
        _stack("prod"),
        pack_name="t",
        pack_version="1",
        pack_config=None,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    assert [(f.rule_id, f.enforcement, f.message) for f in findings] == [
        (ADVISORY_POLICY, "advisory", "[PAIF-TST-001] slow start")
    ]
    assert seen == [{"limit": 3}]  # computed once, by the rule's own policy


def test_integer_thresholds_come_back_as_ints() -> None:
    seen: list[Mapping[str, Any]] = []
    policies = build_policies([_rule("high", [], seen)])
    evaluate(
        policies,
        _stack("dev"),
        pack_name="t",
        pack_version="1",
        pack_config={"PAIF-TST-001": {"limit": 5}},
        enforcement_level=EnforcementLevel.MANDATORY,
    )
    assert seen == [{"limit": 5}]
    assert type(seen[0]["limit"]) is int
