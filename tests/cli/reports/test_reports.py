"""Report writers: exact content, schema validity, and order independence."""

from __future__ import annotations

import io
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from paif_cli.crossguard.analyzer import Finding, evaluate, rule_metadata
from paif_cli.reports.json_report import build_json_report, render_json
from paif_cli.reports.junit import render_junit
from paif_cli.reports.markdown import render_markdown
from paif_cli.reports.model import (
    ReportContext,
    RuleMeta,
    prepare,
    resource_label,
    summarize,
)
from paif_cli.reports.sarif import build_sarif, render_sarif
from paif_cli.reports.terminal import render_terminal, use_color
from paif_components.contract.plan import ResourceRecord
from paif_components.contract.waiver import Waiver

CONTEXT = ReportContext(
    stack="prod", project="paif", pack_name="paif", pack_version="0.1.0", tool_version="0.1.0"
)
ENDPOINT_URN = "urn:pulumi:prod::paif::paif:ai:ModelEndpoint$pais:v1alpha1:ModelEndpoint::llm"
EMBED_URN = "urn:pulumi:prod::paif::paif:ai:ModelEndpoint$pais:v1alpha1:ModelEndpoint::embed"
DB_URN = "urn:pulumi:prod::paif::paif:data:PgvectorDatabase::vectors"

RULES = [
    RuleMeta(
        id="PAIF-HA-001",
        title="Endpoint minimum replicas",
        severity="high",
        description="Model endpoints run at least 2 replicas in prod.",
        remediation="Set autoscaling.min to 2 or more.",
        help_uri="https://example.org/rules/PAIF-HA-001",
        tags=("ha",),
    ),
    RuleMeta(
        id="PAIF-SEC-004",
        title="Secrets stay Pulumi secrets",
        severity="critical",
        description="No plaintext password, token or key in inputs.",
        remediation="Wrap the value with pulumi.Output.secret.",
        rationale="Stack state and plan output must never hold credentials.",
        tags=("security",),
    ),
    RuleMeta(
        id="PAIF-CAP-005",
        title="Large model cold start",
        severity="low",
        description="Models over 30B parameters start slowly.",
        remediation="Keep one replica warm.",
    ),
    RuleMeta(
        id="PAIF-DATA-001",
        title="Stateful resources protected",
        severity="critical",
        description="Databases are protected in prod.",
        remediation="Set protect=True.",
    ),
]

WAIVER = Waiver(
    rule="PAIF-SEC-004",
    resource="vectors",
    reason="Legacy DB until the Q3 migration",
    owner="alice",
    expires="2026-09-30",
)


def findings() -> list[Finding]:
    return [
        Finding("PAIF-HA-001", "mandatory", ENDPOINT_URN, "min replicas 1 < 2", "high"),
        Finding("PAIF-HA-001", "mandatory", EMBED_URN, "min replicas 0 < 2", None),
        Finding("PAIF-CAP-005", "advisory", None, "70B model: cold start 2-5 min | plan ahead"),
        Finding("PAIF-SEC-004", "mandatory", DB_URN, "password is plaintext", "critical", WAIVER),
    ]


# --- model -----------------------------------------------------------------------------------


def test_prepare_orders_active_blocking_severe_first_and_ignores_input_order() -> None:
    shuffled = findings()
    random.Random(7).shuffle(shuffled)
    items, catalogue = prepare(shuffled, RULES)
    assert [(i.rule_id, i.urn, i.waived) for i in items] == [
        ("PAIF-HA-001", EMBED_URN, False),
        ("PAIF-HA-001", ENDPOINT_URN, False),
        ("PAIF-CAP-005", None, False),
        ("PAIF-SEC-004", DB_URN, True),
    ]
    assert list(catalogue) == ["PAIF-CAP-005", "PAIF-DATA-001", "PAIF-HA-001", "PAIF-SEC-004"]


def test_summary_counts_waived_apart() -> None:
    items, catalogue = prepare(findings(), RULES)
    summary = summarize(items, catalogue)
    assert (summary.total, summary.blocking, summary.waived) == (4, 2, 1)
    assert dict(summary.by_severity) == {"critical": 0, "high": 2, "medium": 0, "low": 1}
    assert dict(summary.by_enforcement) == {"mandatory": 2, "remediate": 0, "advisory": 1}


def test_missing_rule_metadata_and_bad_severity_are_errors() -> None:
    with pytest.raises(ValueError, match="no rule metadata for PAIF-X-001"):
        render_json([Finding("PAIF-X-001", "advisory", None, "m")], RULES)
    with pytest.raises(ValueError, match="severity 'urgent' must be one of critical, high"):
        RuleMeta(id="R", title="R", severity="urgent", description="d")


def test_resource_label_is_type_and_name() -> None:
    assert resource_label(ENDPOINT_URN) == "pais:v1alpha1:ModelEndpoint::llm"
    assert resource_label(None) == "(stack)"


# --- terminal --------------------------------------------------------------------------------


def test_terminal_table_is_aligned_and_plain() -> None:
    text = render_terminal(findings(), RULES, context=CONTEXT)
    assert text == (
        "Policy report — paif@v0.1.0 — stack prod\n"
        "3 violation(s): 2 mandatory, 1 advisory (2 high, 1 low); 1 waived\n"
        "\n"
        "SEVERITY  ENFORCEMENT  RULE          RESOURCE                            MESSAGE\n"
        "high      mandatory    PAIF-HA-001   pais:v1alpha1:ModelEndpoint::embed  "
        "min replicas 0 < 2\n"
        "high      mandatory    PAIF-HA-001   pais:v1alpha1:ModelEndpoint::llm    "
        "min replicas 1 < 2\n"
        "low       advisory     PAIF-CAP-005  (stack)                             "
        "70B model: cold start 2-5 min | plan ahead\n"
        "\n"
        "Waived (1):\n"
        "RULE          RESOURCE                             OWNER  EXPIRES     REASON\n"
        "PAIF-SEC-004  paif:data:PgvectorDatabase::vectors  alice  2026-09-30  "
        "Legacy DB until the Q3 migration\n"
    )
    assert "\x1b[" not in text


def test_terminal_colour_only_on_request_and_for_ttys(monkeypatch: pytest.MonkeyPatch) -> None:
    coloured = render_terminal(findings(), RULES, context=CONTEXT, color=True)
    assert "\x1b[31mhigh" in coloured
    assert use_color(io.StringIO()) is False

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty()) is False


def test_terminal_without_findings() -> None:
    assert render_terminal([], RULES) == "Policy report\nNo policy violations.\n"


# --- json ------------------------------------------------------------------------------------


def test_json_report_content_and_determinism() -> None:
    text = render_json(findings(), RULES, context=CONTEXT)
    shuffled = findings()
    random.Random(3).shuffle(shuffled)
    assert render_json(shuffled, list(reversed(RULES)), context=CONTEXT) == text
    data = json.loads(text)
    assert data["summary"] == {
        "total": 4,
        "blocking": 2,
        "waived": 1,
        "byEnforcement": {"mandatory": 2, "remediate": 0, "advisory": 1},
        "bySeverity": {"critical": 0, "high": 2, "medium": 0, "low": 1},
    }
    assert "generatedAt" not in data
    assert data["findings"][1] == {
        "ruleId": "PAIF-HA-001",
        "title": "Endpoint minimum replicas",
        "severity": "high",
        "enforcement": "mandatory",
        "urn": ENDPOINT_URN,
        "message": "min replicas 1 < 2",
        "waived": False,
        "waiver": None,
    }
    assert data["findings"][3]["waiver"] == {
        "reason": "Legacy DB until the Q3 migration",
        "owner": "alice",
        "expires": "2026-09-30",
    }
    stamped = build_json_report([], RULES, context=ReportContext(generated_at="2025-01-01T00:00Z"))
    assert stamped["generatedAt"] == "2025-01-01T00:00Z"


# --- sarif -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator(schemas_dir: Path) -> jsonschema.protocols.Validator:
    schema = json.loads((schemas_dir / "sarif-schema-2.1.0.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft4Validator  # what the schema declares
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def test_sarif_validates_against_the_oasis_schema(sarif_validator: Any) -> None:
    log = json.loads(render_sarif(findings(), RULES, context=CONTEXT))
    errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
    assert [e.message for e in errors] == []
    empty = build_sarif([], RULES)
    assert [e.message for e in sarif_validator.iter_errors(empty)] == []
    assert empty["runs"][0]["results"] == []


def test_sarif_rules_carry_metadata_and_levels_from_severity() -> None:
    log = build_sarif(findings(), RULES, context=CONTEXT)
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("paif", "0.1.0")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [
        "PAIF-CAP-005",
        "PAIF-DATA-001",
        "PAIF-HA-001",
        "PAIF-SEC-004",
    ]
    sec = rules[3]
    assert sec["shortDescription"] == {"text": "Secrets stay Pulumi secrets"}
    assert sec["fullDescription"] == {
        "text": "No plaintext password, token or key in inputs.\n\n"
        "Stack state and plan output must never hold credentials."
    }
    assert sec["help"]["text"] == "Wrap the value with pulumi.Output.secret."
    assert sec["defaultConfiguration"] == {"level": "error"}
    assert sec["properties"] == {
        "severity": "critical",
        "tags": ["security"],
        "security-severity": "9.5",
    }
    assert rules[2]["helpUri"] == "https://example.org/rules/PAIF-HA-001"
    assert rules[0]["defaultConfiguration"] == {"level": "note"}


def test_sarif_results_locations_levels_and_suppressions() -> None:
    run = build_sarif(findings(), RULES, context=CONTEXT)["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PAIF-CAP-005", "warning"),
        ("PAIF-HA-001", "error"),
        ("PAIF-HA-001", "error"),
        ("PAIF-SEC-004", "error"),
    ]
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": "Pulumi.prod.yaml"},
            "region": {"startLine": 1},
        }
    stack_level = results[0]["locations"][0]["logicalLocations"]
    assert stack_level == [
        {
            "name": "paif-prod",
            "fullyQualifiedName": "urn:pulumi:prod::paif::pulumi:pulumi:Stack::paif-prod",
            "kind": "resource",
        }
    ]
    assert results[2]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (ENDPOINT_URN)
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == 4
    assert [("suppressions" in r) for r in results] == [False, False, False, True]
    assert results[3]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Legacy DB until the Q3 migration",
            "properties": {"owner": "alice", "expires": "2026-09-30"},
        }
    ]
    assert run["automationDetails"] == {"id": "paif/paif/prod/"}


def test_sarif_is_deterministic_and_stable_across_runs() -> None:
    first = render_sarif(findings(), RULES, context=CONTEXT)
    shuffled = findings()
    random.Random(11).shuffle(shuffled)
    assert render_sarif(shuffled, RULES, context=CONTEXT) == first
    assert "endTimeUtc" not in first


def test_sarif_without_a_stack_has_no_physical_location(sarif_validator: Any) -> None:
    log = build_sarif(findings()[:1], RULES)
    (location,) = log["runs"][0]["results"][0]["locations"]
    assert "physicalLocation" not in location
    assert location["logicalLocations"][0]["fullyQualifiedName"] == ENDPOINT_URN
    assert [e.message for e in sarif_validator.iter_errors(log)] == []


# --- junit -----------------------------------------------------------------------------------


def test_junit_parses_with_failures_for_mandatory_and_skips_for_the_rest() -> None:
    root = ET.fromstring(render_junit(findings(), RULES, context=CONTEXT))
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "paif@v0.1.0 (prod)"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "2", "2")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "0")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert sorted(cases) == [
        ("PAIF-CAP-005", "(stack)"),
        ("PAIF-DATA-001", "(no findings)"),
        ("PAIF-HA-001", EMBED_URN),
        ("PAIF-HA-001", ENDPOINT_URN),
        ("PAIF-SEC-004", DB_URN),
    ]
    failure = cases[("PAIF-HA-001", ENDPOINT_URN)].find("failure")
    assert failure is not None
    assert (failure.get("message"), failure.get("type")) == ("min replicas 1 < 2", "mandatory")
    assert "remediation: Set autoscaling.min to 2 or more." in (failure.text or "")
    advisory = cases[("PAIF-CAP-005", "(stack)")].find("skipped")
    assert advisory is not None
    assert advisory.get("message") == "advisory: 70B model: cold start 2-5 min | plan ahead"
    waived = cases[("PAIF-SEC-004", DB_URN)].find("skipped")
    assert waived is not None
    assert waived.get("message") == "waived: Legacy DB until the Q3 migration"
    assert list(cases[("PAIF-DATA-001", "(no findings)")]) == []


def test_junit_numbers_repeat_findings_and_strips_control_characters() -> None:
    repeated = [
        Finding("PAIF-HA-001", "mandatory", ENDPOINT_URN, "first\x07"),
        Finding("PAIF-HA-001", "mandatory", ENDPOINT_URN, "second"),
    ]
    root = ET.fromstring(render_junit(repeated, RULES[:1]))
    names = [c.get("name") for c in root.iter("testcase")]
    assert names == [ENDPOINT_URN, f"{ENDPOINT_URN} #2"]
    assert [f.get("message") for f in root.iter("failure")] == ["first", "second"]


# --- markdown --------------------------------------------------------------------------------


def test_markdown_comment_has_verdict_counts_findings_and_collapsed_waivers() -> None:
    text = render_markdown(findings(), RULES, context=CONTEXT)
    lines = text.splitlines()
    assert lines[0] == "## Policy report — stack `prod`"
    assert "**❌ 2 mandatory violation(s) block this change.**" in lines
    assert "| | Critical | High | Medium | Low | Total |" in lines
    assert "| Mandatory | 0 | 2 | 0 | 0 | 2 |" in lines
    assert "| Advisory | 0 | 0 | 0 | 1 | 1 |" in lines
    assert "| Waived | 1 | 0 | 0 | 0 | 1 |" in lines
    assert (
        "| high | mandatory | [PAIF-HA-001 Endpoint minimum replicas]"
        "(https://example.org/rules/PAIF-HA-001) | `pais:v1alpha1:ModelEndpoint::llm` | "
        "min replicas 1 &lt; 2 |"
    ) in lines
    # A pipe in a message must not split the table row.
    assert (
        "| low | advisory | PAIF-CAP-005 Large model cold start | `(stack)` | "
        "70B model: cold start 2-5 min \\| plan ahead |"
    ) in lines
    details = text.index("<details>")
    assert text.index("<summary>Waived findings (1)</summary>") > details
    assert text.index("PAIF-SEC-004 Secrets stay Pulumi secrets") > details
    assert (
        "| PAIF-SEC-004 Secrets stay Pulumi secrets | `paif:data:PgvectorDatabase::vectors` | "
        "Legacy DB until the Q3 migration | alice | 2026-09-30 |"
    ) in lines
    assert text.rstrip().endswith("</details>")


def test_markdown_verdicts_without_blocking_findings() -> None:
    advisory_only = render_markdown(findings()[2:3], RULES)
    assert "**⚠️ No blocking violations; 1 advisory finding(s).**" in advisory_only
    assert "<details>" not in advisory_only
    clean = render_markdown([], RULES)
    assert "**✅ No policy violations.**" in clean
    assert "| Mandatory | 0 | 0 | 0 | 0 | 0 |" in clean
    assert "### Findings" not in clean


# --- end to end: evaluate → reports ----------------------------------------------------------


def test_evaluated_findings_render_to_valid_sarif(sarif_validator: Any) -> None:
    def min_replicas(args: Any, report: Any) -> None:
        if args.props.get("replicas", 0) < 2:
            report(f"{args.name} has {args.props['replicas']:.0f} replica(s)")

    policy = ResourceValidationPolicy(
        name="PAIF-HA-001",
        description="Model endpoints run at least 2 replicas in prod.",
        validate=min_replicas,
        display_name="Endpoint minimum replicas",
        severity=Severity.HIGH,
        remediation_steps="Set autoscaling.min to 2 or more.",
        tags=["ha"],
    )
    resources = [
        ResourceRecord(
            urn=ENDPOINT_URN, type="pais:v1alpha1:ModelEndpoint", name="llm", inputs={"replicas": 1}
        )
    ]
    result = evaluate(
        [policy],
        resources,
        pack_name="paif",
        pack_version="0.1.0",
        pack_config={"all": "mandatory"},
        enforcement_level=EnforcementLevel.ADVISORY,
    )
    log = build_sarif(result, rule_metadata([policy]), context=CONTEXT)
    assert [e.message for e in sarif_validator.iter_errors(log)] == []
    (sarif_result,) = log["runs"][0]["results"]
    assert sarif_result["message"] == {"text": "llm has 1 replica(s)"}
    assert sarif_result["level"] == "error"
    junit = ET.fromstring(render_junit(result, rule_metadata([policy])))
    assert junit.get("failures") == "1"
