"""``paif``: the offline plan and its companions, for laptops and CI without credentials, and
``paif verify``, the §9.7.2 checks against a live deployment.

Exit codes: 0 clean, 1 a mandatory policy (plan) or a check (verify) failed, 2 bad config, bad
input or a program error (one message per problem, no traceback unless ``--debug``), 3 a verify
run too short to show the error rate (inconclusive).

This module only reads the command line and hands over: ``plan`` to :mod:`paif_cli.pipeline`,
``diff`` to :mod:`paif_cli.diff`, ``verify`` to :mod:`paif_cli.verify`. Each subcommand's modules
are imported when it runs, so ``paif verify`` and ``paif diff`` do not load the Pulumi SDK and
the policy pack they never use.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NoReturn

from paif_cli.collector import PLAN_GC_THRESHOLDS, plan_gc_thresholds
from paif_cli.errors import error_text

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_POLICY", "PLAN_GC_THRESHOLDS", "main", "run"]

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_ERROR = 2
DISTRIBUTION = "paif-pulumi"
FINDINGS_FORMATS = ("table", "json", "markdown", "none")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands report their own bad flags.

    argparse hands a subcommand's unknown flags back to the top-level parser, which prints the
    top-level usage; :meth:`parse_args` instead has the subcommand's parser refuse them, with
    the usage of the subcommand that was called.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommands: dict[str, argparse.ArgumentParser] = {}

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        argv = list(sys.argv[1:] if args is None else args)
        parsed, extras = self.parse_known_args(argv, namespace)
        if extras:
            name = getattr(parsed, "command", None) or ""
            # A flag before the subcommand's name is the top level's; after it, the subcommand's.
            start = argv.index(name) if name in argv else len(argv)
            ours = any(extra in argv[:start] for extra in extras)
            command = self if ours else self.subcommands.get(name, self)
            command.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


class _Version(argparse.Action):
    """``--version``: paif's, the policy pack's and the Pulumi SDKs' versions, then exit."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print versions and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        from paif_policies import pack

        def installed(name: str) -> str:
            try:
                return version(name)
            except PackageNotFoundError:
                return "not installed"

        print(
            f"paif {installed(DISTRIBUTION)} (policy pack {pack.PACK_NAME} {pack.pack_version()}; "
            f"pulumi {installed('pulumi')}, pulumi-policy {installed('pulumi-policy')})"
        )
        parser.exit()


def _parser() -> _Parser:
    parser = _Parser(
        prog="paif",
        description="Plan PAIF stacks offline: what each stack declares and whether it passes.",
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of program errors")
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser(
        "plan", help="run stack programs under mocks, gate them with the policy pack, write plans"
    )
    plan.add_argument(
        "--stack",
        action="append",
        required=True,
        metavar="NAME",
        help="stack to plan (Pulumi.NAME.yaml); repeat for several, peers first",
    )
    plan.add_argument("--project-dir", type=Path, default=Path("."), help="default: .")
    plan.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    plan.add_argument(
        "--format",
        choices=FINDINGS_FORMATS,
        default="table",
        help="what to print for policy findings (all report files are written regardless)",
    )
    plan.add_argument("--quiet", action="store_true", help="print no resource summary")
    plan.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="stacks planned at once, in worker processes (default: one per CPU; 1: one at a "
        "time); the out tree is the same either way",
    )
    plan.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy pack config JSON, as `pulumi preview --policy-pack-config` takes it",
    )
    plan.add_argument(
        "--no-sdk-shortcuts",
        dest="sdk_shortcuts",
        action="store_false",
        help="run the Pulumi SDKs' own code everywhere: slower, the same plan (the shortcuts "
        "are off anyway when the installed SDKs are not the versions they were written for)",
    )
    parser.subcommands["plan"] = plan
    parser.subcommands["diff"] = _add_diff_parser(commands)
    parser.subcommands["verify"] = _add_verify_parser(commands)
    parser.subcommands["adopt"] = _add_adopt_parser(commands)
    return parser


def _add_adopt_parser(
    commands: argparse._SubParsersAction,
) -> argparse.ArgumentParser:
    adopt = commands.add_parser(
        "adopt",
        help="before the first `pulumi up`: compare objects to adopt with the site, pin import ids",
        description="For each object the stack adopts (paif:ownership), read the live object "
        "through `pulumi preview --json` (the Pulumi CLI on PATH, the stack's backend and "
        "credentials) and list every declared setting that differs from it: what the first "
        "`pulumi up` will change after importing. Writes the import ids into the stack file. "
        "Exits 1 when an object would be replaced or created, or with --exit-code while any "
        "difference remains; 2 on errors.",
    )
    adopt.add_argument("--stack", required=True, metavar="NAME", help="Pulumi.NAME.yaml")
    adopt.add_argument("--project-dir", type=Path, default=Path("."), help="default: .")
    adopt.add_argument(
        "--out", type=Path, default=Path("out"), help="where a DR stack's primary plan is"
    )
    adopt.add_argument(
        "--no-write", action="store_true", help="do not write import ids into the stack file"
    )
    adopt.add_argument(
        "--exit-code", action="store_true", help="exit 1 while any difference remains"
    )
    return adopt


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value:g} is negative")
    return value


def _per_second(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number per second") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value:g} is not above 0")
    return value


def _http_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1]) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def _endpoint_url(text: str) -> tuple[str, str]:
    subject, sep, url = text.partition("=")
    if not sep or subject.count("/") != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not TENANT/ENDPOINT=URL")
    return subject, _http_url(url)


def _add_verify_parser(
    commands: argparse._SubParsersAction,
) -> argparse.ArgumentParser:
    from paif_cli.verify.stats import requests_needed
    from paif_components.constants import (
        GATEWAY_TIMEOUT_SECONDS,
        SLA_ERROR_RATE,
        VERIFY_SAMPLE_REQUESTS,
    )

    verify = commands.add_parser(
        "verify",
        help="run the §9.7.2 after-deployment checks against a live deployment",
        description="Check each endpoint the stack runs: health, model list, P50/P95/P99 "
        "latency and error rate of sample requests against the stack's thresholds; with "
        "--prometheus also autoscaling, firing alerts, alert delivery and log shipping. "
        "Prints a table, writes verify.json, verify-junit.xml and verify.md (removing an "
        "earlier run's first); exits 1 when a check fails, 2 on bad input or an aborted run, "
        "3 when no check failed but the error rate could not be shown with the requests sent "
        "(inconclusive). The API token is read from $PAIF_VERIFY_TOKEN.",
    )
    verify.add_argument("--stack", required=True, metavar="NAME", help="Pulumi.NAME.yaml")
    verify.add_argument("--project-dir", type=Path, default=Path("."), help="default: .")
    verify.add_argument(
        "--url",
        type=_http_url,
        help="base URL of the OpenAI-compatible gateway (default: https://<ingress fqdn>)",
    )
    verify.add_argument(
        "--endpoint-url",
        type=_endpoint_url,
        action="append",
        default=[],
        metavar="TENANT/ENDPOINT=URL",
        help="a different base URL for one endpoint (repeatable)",
    )
    verify.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="TENANT/ENDPOINT",
        help="check only these endpoints (repeatable; default: all running at the site)",
    )
    verify.add_argument(
        "--requests",
        type=_positive_int,
        default=None,
        help="sample requests per endpoint (default: enough for a run without errors to show "
        f"the endpoint's error-rate limit at 95 %% confidence, at least {VERIFY_SAMPLE_REQUESTS}:"
        f" {requests_needed(SLA_ERROR_RATE)} for {SLA_ERROR_RATE * 100:g} %%)",
    )
    verify.add_argument(
        "--concurrency", type=_positive_int, default=4, help="requests in flight (default: 4)"
    )
    verify.add_argument(
        "--max-rate",
        type=_per_second,
        metavar="PER_SECOND",
        help="sample requests started per second at most, per endpoint (default: half the "
        "endpoint's rateLimit.requestsPerMinute, which live traffic shares; none without one)",
    )
    verify.add_argument(
        "--timeout",
        type=_seconds,
        default=float(GATEWAY_TIMEOUT_SECONDS),
        help=f"seconds per request (default: {GATEWAY_TIMEOUT_SECONDS}, the gateway's)",
    )
    verify.add_argument(
        "--prometheus", type=_http_url, metavar="URL", help="the site's Prometheus to ask"
    )
    verify.add_argument(
        "--scale-wait",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long after the load to wait for the autoscaler (default: 120)",
    )
    verify.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    verify.add_argument(
        "--out", type=Path, default=Path("out"), help="reports go to OUT/STACK (default: out)"
    )
    return verify


def _add_diff_parser(
    commands: argparse._SubParsersAction,
) -> argparse.ArgumentParser:
    diff = commands.add_parser(
        "diff",
        help="compare two plans: resources, policy findings and estimates (PR comment)",
        description="Compare OLD_PLAN_DIR with NEW_PLAN_DIR (folders `paif plan --out` wrote), "
        "or plan git revision REV with --base and compare it with NEW_PLAN_DIR.",
    )
    diff.add_argument(
        "dirs", nargs="*", type=Path, metavar="PLAN_DIR", help="OLD NEW, or NEW with --base"
    )
    diff.add_argument(
        "--base",
        metavar="REV",
        help="plan this git revision in a temporary worktree and use it as OLD",
    )
    diff.add_argument(
        "--stack",
        action="append",
        metavar="NAME",
        help="stacks to plan for --base (default: the stacks of NEW_PLAN_DIR, primaries first)",
    )
    diff.add_argument("--project-dir", type=Path, default=Path("."), help="default: .")
    diff.add_argument(
        "--format", choices=["markdown", "json"], default="markdown", help="what to print"
    )
    diff.add_argument("--markdown", type=Path, metavar="FILE", help="also write the Markdown here")
    diff.add_argument("--json", type=Path, metavar="FILE", help="also write the JSON here")
    diff.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the plans differ (like git diff)"
    )
    return diff


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def main(argv: Sequence[str] | None = None, *, ending: bool = False) -> int:
    """``paif ARGV``; ``ending``: the process ends when this returns (the console script)."""
    args = _parser().parse_args(argv)
    try:
        with plan_gc_thresholds(restore=not ending):
            if args.command == "plan":
                return _plan(args)
            if args.command == "diff":
                return _diff(args)
            if args.command == "adopt":
                return _adopt(args)
            return _verify(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        sys.stderr.write(error_text(exc, args.debug))
        return EXIT_ERROR


def _plan(args: argparse.Namespace) -> int:
    from paif_cli.errors import InputError
    from paif_cli.load import load_policy_pack_config
    from paif_cli.pipeline import PlanOptions, default_jobs, run_plan

    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out}: a file, not a folder")
    options = PlanOptions(
        project_dir=args.project_dir,
        stacks=args.stack,
        out_dir=args.out,
        jobs=args.jobs or default_jobs(),
        pack_config=load_policy_pack_config(args.policy_pack_config),
        findings_format=args.format,
        quiet=args.quiet,
        debug=args.debug,
        sdk_shortcuts=args.sdk_shortcuts,
    )
    return EXIT_POLICY if run_plan(options, sys.stdout, sys.stderr) else EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from paif_cli.diff import diff_plan_dirs, plan_revision, render_markdown, stack_order
    from paif_cli.errors import DiffError

    try:
        if args.base is None:
            if len(args.dirs) != 2:
                raise DiffError("give OLD_PLAN_DIR and NEW_PLAN_DIR, or --base REV [NEW_PLAN_DIR]")
            old_dir, new_dir = args.dirs
            result = diff_plan_dirs(old_dir, new_dir)
        else:
            if len(args.dirs) > 1:
                raise DiffError("with --base give at most NEW_PLAN_DIR (default: out)")
            new_dir = args.dirs[0] if args.dirs else Path("out")
            stacks = args.stack or stack_order(new_dir)
            with tempfile.TemporaryDirectory(prefix="paif-base-plan-") as base_out:
                plan_revision(args.base, stacks, Path(base_out), project_dir=args.project_dir)
                result = diff_plan_dirs(Path(base_out), new_dir, base=args.base)
    except DiffError as exc:
        sys.stderr.write(error_text(exc, args.debug))
        return EXIT_ERROR
    markdown = render_markdown(result)
    document = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown, encoding="utf-8")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(document, encoding="utf-8")
    print(markdown if args.format == "markdown" else document, end="")
    return EXIT_POLICY if args.exit_code and not result.empty else EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from paif_cli.verify.command import run_verify

    return run_verify(args)


def _adopt(args: argparse.Namespace) -> int:
    from paif_cli.adopt import adopt, render

    report = adopt(
        args.project_dir, args.stack, write=not args.no_write, out_dir=args.out.resolve()
    )
    print(render(report))
    if report.errors:
        return EXIT_ERROR
    if report.blocked or (args.exit_code and not report.settled):
        return EXIT_POLICY
    return EXIT_OK


def run() -> NoReturn:
    """The ``paif`` console script: ``main()``, then :func:`exit_now`."""
    exit_now(main(ending=True))


def exit_now(code: int) -> NoReturn:
    """Flush and end the process without tearing down its objects one by one.

    A large plan leaves millions of objects behind; the interpreter's orderly exit freed them
    for seconds after the last file was written (docs/benchmarks.md). Everything is written and
    closed when ``main`` returns, so nothing is lost by skipping it.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
