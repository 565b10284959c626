"""``paif verify`` as a command: stale reports out, checks run, table printed, reports written.

Exit codes: 0 every check passed (or was skipped), 1 a check failed, 2 bad input or an aborted
run (its report says so), 3 inconclusive: no check failed, but one could not be shown with the
requests sent (the error rate of too short a run; the check says how many would show it).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Final

from paif_cli.verify.client import TOKEN_VARIABLE
from paif_cli.verify.report import (
    remove_reports,
    render_table,
    summary_line,
    write_reports,
)
from paif_cli.verify.run import VerifyOptions, out_folder, verify
from paif_cli.verify.targets import load_deployment

EXIT_PASSED: Final = 0
EXIT_FAILED: Final = 1
EXIT_ABORTED: Final = 2
EXIT_INCONCLUSIVE: Final = 3
EXIT_CODES: Final = {
    "passed": EXIT_PASSED,
    "failed": EXIT_FAILED,
    "aborted": EXIT_ABORTED,
    "inconclusive": EXIT_INCONCLUSIVE,
}


def run_verify(args: argparse.Namespace) -> int:
    """The ``paif verify`` subcommand; bad input raises ConfigError (exit 2, no report)."""
    folder = out_folder(args.out, args.stack)
    # Before anything can fail: a report on disk is this run's or none.
    remove_reports(folder)
    deployment = load_deployment(
        args.project_dir,
        args.stack,
        url=args.url,
        endpoint_urls=dict(args.endpoint_url),
        selection=list(args.endpoint),
    )
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    options = VerifyOptions(
        requests=args.requests,
        concurrency=args.concurrency,
        timeout=args.timeout,
        token=os.environ.get(TOKEN_VARIABLE) or None,
        prometheus_url=args.prometheus,
        scale_wait=args.scale_wait,
        progress=progress,
        max_rate=args.max_rate,
    )
    report = verify(deployment, options)
    print(render_table(report.checks))
    print(summary_line(report))
    for path in write_reports(report, folder):
        print(f"wrote {path}")
    if report.aborted:
        print(f"error: paif verify {report.checks[-1].message}", file=sys.stderr)
    return EXIT_CODES[report.verdict]
