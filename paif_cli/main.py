"""``paif``: the offline plan and its companions, for laptops and CI without credentials.

Exit codes: 0 clean, 1 a mandatory policy failed, 2 bad config or a program error (one message
per problem, no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_ERROR = 2
# A plan allocates millions of small objects that live until it ends; with Python's default
# thresholds (700, 10, 10) the cyclic GC re-scans them over and over: about a quarter of a
# 50-tenant plan (docs/benchmarks.md). Collections stay on, just rarer.
PLAN_GC_THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def plan_gc_thresholds() -> Iterator[None]:
    """Run with PLAN_GC_THRESHOLDS and restore the caller's (tests call ``main`` in-process)."""
    previous = gc.get_threshold()
    gc.set_threshold(*PLAN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


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
    plan.add_argument(
        "--policy-pack-config",
        type=Path,
        metavar="FILE",
        help="policy pack config JSON, as `pulumi preview --policy-pack-config` takes it",
    )
    _add_diff_parser(commands)
    return parser


def _add_diff_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


class UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with plan_gc_thresholds():
            if args.command == "plan":
                return _plan(args)
            if args.command == "diff":
                return _diff(args)
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
    from paif_cli.gate import set_policy_pack_config
    from paif_cli.plan import StackPlan, plan_stack, summary, write_plan

    set_policy_pack_config(args.policy_pack_config)
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
    from paif_cli.diagram import write_topology

    topology = write_topology(list(planned.values()), args.out)
    if topology is not None:
        print(f"wrote {topology}")
    return EXIT_POLICY if failed else EXIT_OK


def _print_findings(plan: object, fmt: str) -> None:
    from paif_cli.gate import render_findings

    text = render_findings(plan, fmt)  # type: ignore[arg-type]
    if text:
        print(text)


def _diff(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from paif_cli.diff import DiffError, diff_plan_dirs, plan_revision, render_markdown, stack_order

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
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
