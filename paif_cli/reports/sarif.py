"""The policy report as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Shape (OASIS SARIF 2.1.0 and GitHub's "SARIF support for code scanning"):

- ``tool.driver.rules``: every rule given, sorted by id, with ``shortDescription`` (title),
  ``fullDescription`` (description and rationale), ``help`` (remediation), ``helpUri``,
  ``properties.severity``/``tags`` and ``defaultConfiguration.level`` from the severity
  (critical/high → error, medium → warning, low → note). A rule tagged ``security`` also gets
  ``properties["security-severity"]`` so GitHub ranks it as a security alert.
- each result: ``ruleId``/``ruleIndex``; ``level`` from the enforcement (mandatory → error: it
  blocks the change; advisory → warning), ``properties.severity``/``enforcement``; one
  location whose ``logicalLocations`` hold the URN (``kind: "resource"``; the root stack URN
  for stack-level findings) and whose ``physicalLocation`` points at the stack file
  ``Pulumi.<stack>.yaml`` line 1. GitHub displays a result only if its first location has
  ``physicalLocation.artifactLocation.uri``; without a stack the physical location is omitted.
- ``partialFingerprints.primaryLocationLineHash`` from (rule, URN), so alerts stay stable across
  runs and two resources breaking one rule never collapse into a single alert.
- a waived finding carries ``suppressions: [{kind: external, status: accepted, justification}]``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from paif_cli.reports.model import (
    ReportContext,
    RuleMeta,
    prepare,
    severity_of,
)
from paif_components.contract.finding import Finding

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "build_sarif", "render_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_LEVEL_BY_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_LEVEL_BY_ENFORCEMENT = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
# GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def build_sarif(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> dict[str, Any]:
    """The SARIF log as plain data."""
    items, catalogue = prepare(findings, rules)
    context = context or ReportContext()
    index = {rule_id: i for i, rule_id in enumerate(catalogue)}

    driver: dict[str, Any] = {"name": context.tool_name}
    if context.tool_version:
        driver["version"] = context.tool_version
    if context.information_uri:
        driver["informationUri"] = context.information_uri
    driver["rules"] = [_rule(rule) for rule in catalogue.values()]

    occurrences: Counter[str] = Counter()
    results = []
    for item in sorted(items, key=lambda i: (i.rule_id, i.urn or "")):
        results.append(_result(item, catalogue, index, context, occurrences))

    run: dict[str, Any] = {"tool": {"driver": driver}}
    if context.stack:
        # One category per stack, so the prod and dr uploads do not overwrite each other.
        parts = [context.tool_name, context.project, context.stack]
        run["automationDetails"] = {"id": "/".join(p for p in parts if p) + "/"}
    if context.generated_at:
        run["invocations"] = [{"executionSuccessful": True, "endTimeUtc": context.generated_at}]
    run["results"] = results
    properties = {
        key: value
        for key, value in (
            ("project", context.project),
            ("stack", context.stack),
            ("policyPack", context.pack_name),
            ("policyPackVersion", context.pack_version),
        )
        if value
    }
    if properties:
        run["properties"] = properties
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> str:
    """``build_sarif`` serialised with two-space indent and a final newline."""
    data = build_sarif(findings, rules, context=context)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _rule(rule: RuleMeta) -> dict[str, Any]:
    full = rule.description + (f"\n\n{rule.rationale}" if rule.rationale else "")
    help_text = rule.remediation or rule.description
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": rule.title,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": f"**Remediation:** {help_text}"},
    }
    if rule.help_uri:
        entry["helpUri"] = rule.help_uri
    entry["defaultConfiguration"] = {"level": _LEVEL_BY_SEVERITY[rule.severity]}
    properties: dict[str, Any] = {"severity": rule.severity}
    if rule.tags:
        properties["tags"] = sorted(set(rule.tags))
    if "security" in rule.tags:
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    entry["properties"] = properties
    return entry


def _result(
    item: Finding,
    catalogue: dict[str, RuleMeta],
    index: dict[str, int],
    context: ReportContext,
    occurrences: Counter[str],
) -> dict[str, Any]:
    finding = item
    urn = finding.urn or context.stack_urn
    location: dict[str, Any] = {}
    if context.stack_file_path:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": context.stack_file_path},
            "region": {"startLine": 1},
        }
    if urn:
        location["logicalLocations"] = [
            {"name": urn.rsplit("::", 1)[-1], "fullyQualifiedName": urn, "kind": "resource"}
        ]
    digest = hashlib.sha256(f"{finding.rule_id}\n{urn or ''}".encode()).hexdigest()[:16]
    occurrences[digest] += 1
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVEL_BY_ENFORCEMENT.get(finding.enforcement, "warning"),
        "message": {"text": finding.message or catalogue[finding.rule_id].description},
    }
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {"primaryLocationLineHash": f"{digest}:{occurrences[digest]}"}
    result["properties"] = {
        "severity": severity_of(item, catalogue),
        "enforcement": finding.enforcement,
    }
    if item.waiver:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": item.waiver.reason,
                "properties": {"owner": item.waiver.owner, "expires": item.waiver.expires},
            }
        ]
    return result
