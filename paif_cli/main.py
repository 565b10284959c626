"""``paif``: the offline plan and its companions, for laptops and CI without credentials.

Exit codes: 0 clean, 1 a mandatory policy failed, 2 bad config or a program error (one message
per problem, no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paif",
        description="Plan PAIF stacks offline: what each stack declares and whether it passes.",
    )
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
        choices=["table", "json", "markdown", "none"],
        default="table",
        help="what to print for policy findings (all report files are written regardless)",
    )
    plan.add_argument("--quiet", action="store_true", help="print no resource summary")
    return parser


class UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        _print_error(exc, args.debug)
        return EXIT_ERROR
    raise UsageError(args.command)


def _print_error(exc: BaseException, debug: bool) -> None:
    from components.config import ConfigError
    from components.errors import ComponentInputError
    from paif_cli.mock_runtime import ProgramError

    if debug:
        traceback.print_exception(exc)
    if isinstance(exc, ConfigError):
        for line in exc.render().splitlines():
            print(f"error: {line}", file=sys.stderr)
        return
    message = str(exc).strip() or type(exc).__name__
    import pulumi

    known = (ProgramError, ComponentInputError, FileNotFoundError, PermissionError, pulumi.RunError)
    if isinstance(exc, known):
        for line in message.splitlines():
            print(f"error: {line}", file=sys.stderr)
        return
    print(f"error: program failed: {type(exc).__name__}: {message}", file=sys.stderr)
    if not debug:
        print("       (run with --debug for the traceback)", file=sys.stderr)


def _plan(args: argparse.Namespace) -> int:
    from paif_cli.plan import StackPlan, plan_stack, summary, write_plan

    planned: dict[str, StackPlan] = {}
    for stack in args.stack:
        if stack in planned:
            continue
        planned[stack] = plan_stack(
            args.project_dir, stack, planned=planned, out_dir=args.out.resolve()
        )
    # Write only once every stack planned: a failed run leaves no half-written plan.
    failed = False
    for plan in planned.values():
        target = write_plan(plan, args.out)
        if not args.quiet:
            print(summary(plan))
        _print_findings(plan, args.format)
        print(f"  wrote {target}")
        failed = failed or bool(plan.mandatory_failures)
    from paif_cli.gate import write_pair_artifacts

    for path in write_pair_artifacts(list(planned.values()), args.out):
        print(f"wrote {path}")
    return EXIT_POLICY if failed else EXIT_OK


def _print_findings(plan: object, fmt: str) -> None:
    from paif_cli.gate import render_findings

    text = render_findings(plan, fmt)  # type: ignore[arg-type]
    if text:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
