"""The offline gate: ``paif plan`` evaluates the pack, writes the reports, sets the exit code.

The example stacks pass; their dev tier reports the same findings as advisory; a broken prod
stack exits 1 with each broken rule in a SARIF log that validates against the OASIS schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from paif_cli import report
from paif_cli.main import main
from paif_cli.pipeline import plan_stack
from paif_components.contract.finding import Finding
from paif_policies import pack
from tests.support.stacks import ROOT, SCHEMAS, blocked_prod, load_example, write_project

REPORTS = {"policy.sarif", "policy-junit.xml", "policy.md", "policy.json", "plan.json"}
FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def sarif_errors(validator: jsonschema.protocols.Validator, path: Path) -> list[str]:
    log = json.loads(path.read_text())
    return [e.message for e in validator.iter_errors(log)]


@pytest.fixture(scope="module")
def examples(example_plans: tuple[int, Path]) -> tuple[int, Path]:
    return example_plans


def test_example_stacks_pass_the_gate(examples: tuple[int, Path]) -> None:
    code, out = examples
    for stack in ("prod", "dr"):
        violations = json.loads((out / stack / "plan.json").read_text())["policy"]["violations"]
        blocking = [v for v in violations if v["enforcement"] == "mandatory" and not v["waived"]]
        assert blocking == [], f"{stack}: {blocking}"
    assert code == 0


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_every_report_is_written_and_well_formed(
    examples: tuple[int, Path], stack: str, sarif_validator: Any
) -> None:
    _, out = examples
    folder = out / stack
    assert {p.name for p in folder.iterdir()} >= REPORTS
    assert sarif_errors(sarif_validator, folder / "policy.sarif") == []
    log = json.loads((folder / "policy.sarif").read_text())
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [r.id for r in pack.rules()]
    assert run["automationDetails"] == {"id": f"paif/paif/{stack}/"}
    suites = ET.fromstring((folder / "policy-junit.xml").read_text())
    assert suites.tag == "testsuites"
    cases = suites.findall("./testsuite/testcase")
    assert {c.get("classname") for c in cases} >= {r.id for r in pack.rules()}
    assert suites.get("failures") == "0"
    report = json.loads((folder / "policy.json").read_text())
    assert report["policyPack"] == {"name": "paif-production", "version": pack.pack_version()}
    assert report["stack"] == stack
    assert (folder / "policy.md").read_text().startswith(f"## Policy report — stack `{stack}`")


def test_summary_covers_both_stacks(examples: tuple[int, Path]) -> None:
    _, out = examples
    text = (out / "policy-summary.md").read_text()
    assert text.startswith("# PAIF policy summary\n")
    assert "| `prod` | seoul-primary | prod | warm-standby / primary | 0 |" in text
    assert "| `dr` | busan-dr | prod | warm-standby / dr | 0 |" in text
    assert "### Policy report — stack `prod`" in text
    assert "### Policy report — stack `dr`" in text


def test_violations_have_the_plan_json_shape(examples: tuple[int, Path]) -> None:
    _, out = examples
    keys = {"ruleId", "severity", "enforcement", "urn", "message", "waived"}
    for stack in ("prod", "dr"):
        for violation in json.loads((out / stack / "plan.json").read_text())["policy"][
            "violations"
        ]:
            assert keys <= set(violation)
            assert violation["ruleId"].startswith("PAIF-")
            assert not violation["message"].startswith("[PAIF-")


def test_dev_tier_of_the_prod_stack_reports_the_same_findings_as_advisory(
    tmp_path: Path,
) -> None:
    prod_config = load_example("prod")
    dev_config = copy.deepcopy(prod_config) | {"paif:environment": "dev"}
    project = write_project(tmp_path, {"prod": prod_config, "dev": dev_config})
    prod = plan_stack(project, "prod")
    dev = plan_stack(project, "dev")

    def key(f: Finding) -> tuple[Any, ...]:
        return (
            f.rule_id,
            (f.urn or "").replace("urn:pulumi:dev::", "urn:pulumi:prod::"),
            f.message,
        )

    # The §9.2.2 recommendation (PAIF-HA-008) is a tier's own: 3 replicas in prod, 1 in dev.
    recommended = [key(f) for f in prod.findings if f.rule_id == "PAIF-HA-008"]
    assert [r[2].split(": ", 1)[0] for r in recommended] == [
        "ModelEndpoint marketing-ns/embeddings",
        "ModelEndpoint marketing-ns/llama-chat",
    ]
    assert {f.enforcement for f in prod.findings if f.rule_id == "PAIF-HA-008"} == {"advisory"}
    rest = [key(f) for f in prod.findings if f.rule_id != "PAIF-HA-008"]
    assert sorted(map(key, dev.findings)) == sorted(rest)
    assert {f.enforcement for f in dev.findings} <= {"advisory"}
    assert dev.mandatory_failures == []


# --- a broken prod stack ------------------------------------------------------------------

BROKEN_RULES = ["PAIF-HA-001", "PAIF-CAP-002", "PAIF-SEC-004", "PAIF-GOV-001"]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, Any]:
    base = tmp_path_factory.mktemp("broken")
    project = write_project(base / "project", {"prod": blocked_prod()})
    out = base / "out"
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out), "--quiet",
         "--format", "none"]
    )  # fmt: skip
    return code, out, project


def test_broken_stack_fails_with_each_rule_in_the_sarif(
    broken: tuple[int, Path, Any], sarif_validator: Any
) -> None:
    code, out, _ = broken
    assert code == 1
    sarif = out / "prod" / "policy.sarif"
    assert sarif_errors(sarif_validator, sarif) == []
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    failing = {r["ruleId"] for r in results if r["level"] == "error"}
    assert set(BROKEN_RULES) <= failing
    for result in results:
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith(
            "urn:pulumi:prod::paif::"
        )


def test_broken_stack_junit_counts_its_failures(broken: tuple[int, Path, Any]) -> None:
    _, out, _ = broken
    root = ET.fromstring((out / "prod" / "policy-junit.xml").read_text())
    failed = {c.get("classname") for c in root.iter("testcase") if c.find("failure") is not None}
    assert set(BROKEN_RULES) <= failed
    assert int(root.get("failures", "0")) >= len(BROKEN_RULES)


def test_broken_stack_markdown_blocks_the_change(broken: tuple[int, Path, Any]) -> None:
    _, out, _ = broken
    text = (out / "prod" / "policy.md").read_text()
    assert "mandatory violation(s) block this change.**" in text
    for rule_id in BROKEN_RULES:
        assert f"| {rule_id} " in text


def test_plaintext_secret_never_reaches_a_report(broken: tuple[int, Path, Any]) -> None:
    _, out, _ = broken
    for path in (out / "prod").glob("*"):
        if path.is_file():
            assert "VMware1!VMware1!" not in path.read_text(), path.name


def test_waived_findings_are_sarif_suppressions(tmp_path: Path, sarif_validator: Any) -> None:
    config = copy.deepcopy(load_example("prod"))
    config["paif:tenants"][0]["modelEndpoints"][0]["replicas"] = {"min": 1, "max": 10}
    reason = "second GPU host for this endpoint arrives in the next refresh"
    # Added to the example's own waivers (its PAIF-CAP-002 waiver stays in force).
    config["paif:waivers"] = [
        *config["paif:waivers"],
        {"rule": "PAIF-HA-001", "resource": "*", "reason": reason, "owner": "ml-platform",
         "expires": FUTURE},
    ]  # fmt: skip
    project = write_project(tmp_path / "project", {"prod": config})
    out = tmp_path / "out"
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out), "--quiet",
         "--format", "none"]
    )  # fmt: skip
    sarif = out / "prod" / "policy.sarif"
    assert sarif_errors(sarif_validator, sarif) == []
    (result,) = [
        r
        for r in json.loads(sarif.read_text())["runs"][0]["results"]
        if r["ruleId"] == "PAIF-HA-001"
    ]
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": reason,
            "properties": {"owner": "ml-platform", "expires": FUTURE},
        }
    ]
    assert result["level"] == "warning"
    violations = json.loads((out / "prod" / "plan.json").read_text())["policy"]["violations"]
    (waived,) = [v for v in violations if v["ruleId"] == "PAIF-HA-001"]
    assert (waived["waived"], waived["waiverReason"]) == (True, reason)
    assert code == 0


# --- pack config and formats --------------------------------------------------------------


def test_policy_pack_config_raises_a_threshold(tmp_path: Path, capsys: Any) -> None:
    config_file = tmp_path / "policy-config.json"
    config_file.write_text(json.dumps({"PAIF-HA-001": {"minReplicasProd": 3}}))
    out = tmp_path / "out"
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(out), "--quiet",
         "--format", "json", "--policy-pack-config", str(config_file)]
    )  # fmt: skip
    assert code == 1
    printed = capsys.readouterr().out
    report = json.loads(printed[: printed.rindex("}") + 1])
    ha = [f for f in report["findings"] if f["ruleId"] == "PAIF-HA-001"]
    assert ha and {f["enforcement"] for f in ha} == {"mandatory"}
    assert all("below the 3 replicas required for prod" in f["message"] for f in ha)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ('{"PAIF-HA-001": {"minReplicasProd": "three"}}',
         "PAIF-HA-001: minReplicasProd: Invalid type. Expected: integer, given: string"),
    ],
)  # fmt: skip
def test_bad_policy_pack_config_is_a_usage_error(
    tmp_path: Path, capsys: Any, content: str, message: str
) -> None:
    config_file = tmp_path / "policy-config.json"
    config_file.write_text(content)
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path / "out"),
         "--quiet", "--policy-pack-config", str(config_file)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_formats_render_the_same_findings(broken: tuple[int, Path, Any]) -> None:
    _, _, project = broken
    planned = plan_stack(project, "prod")
    assert report.render_findings(planned, "none") == ""
    table = report.render_findings(planned, "table")
    assert table.startswith("Policy report — paif-production@v0.1.0 — stack prod\n")
    document = json.loads(report.render_findings(planned, "json"))
    assert [f["ruleId"] for f in document["findings"]] == [f.rule_id for f in planned.findings]
    markdown = report.render_findings(planned, "markdown")
    assert markdown.startswith("## Policy report — stack `prod`")
    with pytest.raises(ValueError, match="unknown findings format 'xml'"):
        report.render_findings(planned, "xml")
