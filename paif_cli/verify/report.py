"""The verification report: a terminal table, and JSON, JUnit XML and Markdown files.

The verdict of a run: ``failed`` when a check failed (exit 1), ``inconclusive`` when none failed
but one could not be shown with the requests sent (exit 3), ``passed`` otherwise (exit 0), and
``aborted`` when the run itself broke off (exit 2; the report holds the checks made until then).
Reports of an earlier run are removed before a run starts (:func:`remove_reports`), so a report
on disk is always this run's.
"""

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
STATUSES: Final = ("pass", "fail", "inconclusive", "skip")
REPORT_FILES: Final = (JSON_FILE, JUNIT_FILE, MARKDOWN_FILE)
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
    aborted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.checks)
        return {status: counted.get(status, 0) for status in STATUSES}

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def verdict(self) -> str:
        if self.aborted:
            return "aborted"
        if self.failed:
            return "failed"
        if any(c.status == "inconclusive" for c in self.checks):
            return "inconclusive"
        return "passed"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "site": self.site,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "summary": self.counts,
            "passed": self.verdict == "passed",
            "verdict": self.verdict,
            "checks": [c.to_dict() for c in self.checks],
        }


def summary_line(report: VerifyReport) -> str:
    counts = report.counts
    verdict = report.verdict if report.verdict == "passed" else report.verdict.upper()
    inconclusive = f", {counts['inconclusive']} inconclusive" if counts["inconclusive"] else ""
    return (
        f"paif verify {report.stack} ({report.site}): {verdict} — {len(report.checks)} checks, "
        f"{counts['pass']} passed, {counts['fail']} failed{inconclusive}, "
        f"{counts['skip']} skipped"
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
    marks = {
        "pass": "✅ pass",
        "fail": "❌ fail",
        "inconclusive": "❔ inconclusive",
        "skip": "⏭ skip",
    }
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
        skipped=str(counts["skip"] + counts["inconclusive"]),
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
        elif check.status == "inconclusive":
            ET.SubElement(case, "skipped", message=f"inconclusive: {message}")
        elif check.status == "skip":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def remove_reports(folder: Path) -> list[Path]:
    """Delete the report files of an earlier run in ``folder``; the paths removed."""
    removed = []
    for name in REPORT_FILES:
        path = Path(folder) / name
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


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
