"""The policy report as JUnit XML, for CI test dashboards.

One ``<testcase>`` per finding (``classname`` = rule id, ``name`` = resource URN or ``(stack)``)
plus one passing ``<testcase name="(no findings)">`` per rule with no finding:

- mandatory, not waived → ``<failure>`` (it blocks the change, so the build is red);
- advisory, not waived → ``<skipped message="advisory: …">``: dashboards show it as a warning
  (yellow) without failing the build, which is what advisory means; the full text is in
  ``<system-out>``;
- waived (any level) → ``<skipped message="waived: <reason>">`` with owner and expiry in
  ``<system-out>``: accepted, visible, not failing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable

from paif_cli.reports.model import (
    ReportContext,
    RuleMeta,
    prepare,
    severity_of,
)
from paif_components.contract.finding import Finding

__all__ = ["render_junit"]

# XML 1.0 forbids most control characters even when escaped.
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NO_FINDINGS = "(no findings)"


def render_junit(
    findings: Iterable[Finding],
    rules: Iterable[RuleMeta],
    *,
    context: ReportContext | None = None,
) -> str:
    """A ``<testsuites>`` document with one suite for the policy pack."""
    items, catalogue = prepare(findings, rules)
    context = context or ReportContext()
    suite_name = context.pack_name or "policy"
    if context.pack_version:
        suite_name += f"@v{context.pack_version}"
    if context.stack:
        suite_name += f" ({context.stack})"

    cases: list[ET.Element] = []
    seen: Counter[tuple[str, str]] = Counter()
    by_rule = sorted(items, key=lambda i: (i.rule_id, i.urn or "", i.waived))
    for item in by_rule:
        finding = item
        rule = catalogue[finding.rule_id]
        name = finding.urn or "(stack)"
        seen[(finding.rule_id, name)] += 1
        if seen[(finding.rule_id, name)] > 1:
            name = f"{name} #{seen[(finding.rule_id, name)]}"
        case = ET.Element("testcase", {"classname": finding.rule_id, "name": _clean(name)})
        severity = severity_of(item, catalogue)
        detail = (
            f"[{finding.enforcement}] [{severity}] {rule.title}\n"
            f"resource: {finding.urn or '(stack)'}\n{finding.message}"
        )
        if rule.remediation:
            detail += f"\nremediation: {rule.remediation}"
        if item.waiver:
            ET.SubElement(case, "skipped", {"message": _clean(f"waived: {item.waiver.reason}")})
            out = ET.SubElement(case, "system-out")
            out.text = _clean(
                f"{detail}\nwaived by {item.waiver.owner} until {item.waiver.expires}: "
                f"{item.waiver.reason}"
            )
        elif finding.enforcement == "advisory":
            first = finding.message.splitlines()[0] if finding.message else rule.title
            ET.SubElement(case, "skipped", {"message": _clean(f"advisory: {first}")})
            out = ET.SubElement(case, "system-out")
            out.text = _clean(detail)
        else:
            first = finding.message.splitlines()[0] if finding.message else rule.title
            failure = ET.SubElement(
                case, "failure", {"message": _clean(first), "type": finding.enforcement}
            )
            failure.text = _clean(detail)
        cases.append(case)

    ruled = {i.rule_id for i in items}
    for rule_id in catalogue:
        if rule_id not in ruled:
            cases.append(ET.Element("testcase", {"classname": rule_id, "name": _NO_FINDINGS}))
    cases.sort(key=lambda c: (c.get("classname", ""), c.get("name", "")))

    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": context.tool_name, **counts})
    attributes = {"name": _clean(suite_name), **counts}
    if context.generated_at:
        attributes["timestamp"] = context.generated_at
    suite = ET.SubElement(root, "testsuite", attributes)
    suite.extend(cases)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _clean(text: str) -> str:
    return _INVALID_XML.sub("", text)
