"""The verification report: a terminal table, and JSON, JUnit XML and Markdown files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

JSON_FILE: Final = "verify.json"
JUNIT_FILE: Final = "verify-junit.xml"
MARKDOWN_FILE: Final = "verify.md"
STATUSES: Final = ("pass", "fail", "skip")
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Check:
    """One verdict: ``name`` (health, latency, …) of ``subject`` (an endpoint or the site)."""

    name: str
    subject: str
    status: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "subject": self.subject,
            "status": self.status,
            "message": self.message,
            "details": self.details,
        }


@dataclass(frozen=True)
class VerifyReport:
    stack: str
    site: str
    checks: tuple[Check, ...]
    started: str
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.checks)
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "site": self.site,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "summary": self.counts,
            "passed": not self.failed,
            "checks": [c.to_dict() for c in self.checks],
        }


def summary_line(report: VerifyReport) -> str:
    counts = report.counts
    verdict = "FAILED" if report.failed else "passed"
    return (
        f"paif verify {report.stack} ({report.site}): {verdict} — {len(report.checks)} checks, "
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
    )


def render_table(checks: Sequence[Check]) -> str:
    headers = ("RESULT", "CHECK", "SUBJECT", "DETAIL")
    rows = [(c.status.upper(), c.name, c.subject, c.message) for c in checks]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]
    lines = []
    for row in [headers, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines)


def render_markdown(report: VerifyReport) -> str:
    lines = [
        f"## paif verify — stack `{report.stack}` ({report.site})",
        "",
        summary_line(report).split(": ", 1)[1].capitalize() + f" (started {report.started}).",
        "",
        "| result | check | subject | detail |",
        "|---|---|---|---|",
    ]
    marks = {"pass": "✅ pass", "fail": "❌ fail", "skip": "⏭ skip"}
    for check in report.checks:
        detail = check.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {marks[check.status]} | {check.name} | {check.subject} | {detail} |")
    return "\n".join(lines) + "\n"


def render_junit(report: VerifyReport) -> str:
    counts = report.counts
    suites = ET.Element("testsuites", name="paif verify")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"paif verify ({report.stack})",
        tests=str(len(report.checks)),
        failures=str(counts["fail"]),
        skipped=str(counts["skip"]),
        errors="0",
        time=f"{report.seconds:.3f}",
        timestamp=report.started,
    )
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", classname=check.name, name=check.subject)
        message = _INVALID_XML.sub("", check.message)
        if check.status == "fail":
            failure = ET.SubElement(case, "failure", message=message, type=check.name)
            failure.text = json.dumps(check.details, sort_keys=True)
        elif check.status == "skip":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def write_reports(report: VerifyReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        (JSON_FILE, json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"),
        (JUNIT_FILE, render_junit(report) + "\n"),
        (MARKDOWN_FILE, render_markdown(report)),
    ):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
