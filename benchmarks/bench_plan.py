"""Benchmark ``paif plan`` against the bare Pulumi SDK on synthetic stacks of N tenants.

(Why one file: it is run as a script and re-runs itself as its own child processes, the plan,
the bare replay and the profile, which must share their measuring code without an import.)

The stack: the example's marketing tenant (two endpoints, a VKS cluster with a GPU pool, an HA
pgvector database, a knowledge base, an agent and two apps) copied N times, with the example's
warm-standby ``paif:dr`` and its waiver, and GPU hosts enlarged so that the capacity rules pass.
For each size N, interleaved, ``--repeat`` times:

1. *plan*: ``paif plan --stack bench`` in a fresh process, exactly as the console script runs it
   (``paif_cli.main.run``: imports, config, program, policy gate, writing out/, exit). *Plan s* is
   that process's wall time, from start to exit; the phases come from timers inside it.
2. *bare SDK*: another fresh process registers what the plan registered with the stock SDK
   under stock mocks (``MockMonitor``, the SDK's own ``wait_for_rpcs``, trivial ``Mocks`` that
   answer every registration with its inputs): plain ``CustomResource`` / ``ComponentResource``
   / ``ProviderResource`` with the same types, names, parents, providers, dependencies,
   protect and retain flags and inputs (secret ones as secrets), the same reads and invokes,
   component outputs and stack exports. *Bare s* is the registration alone (no imports, no
   exit): the SDK's cost of registering the same resources.

Both processes run with the GC thresholds ``paif`` sets (``paif_cli.main.PLAN_GC_THRESHOLDS``);
``paif`` also pauses the collector through its gate and its writing, phases the bare replay does
not have (``paif_cli.collector.collector_paused``). ``--source DIR`` plans with the ``paif`` of
another checkout (the figures before a change) against this checkout's replay. ``--pair N`` also
plans the N-tenant primary with its DR stack (``--stack bench --stack benchdr``) one stack at a
time and in parallel (``--jobs``), and checks that both out trees are byte-identical. Run
from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_plan.py --tenants 10 50 200 --repeat 3 --pair 50

It prints Markdown tables (``--json FILE`` writes the raw figures). ``--profile N`` instead
profiles one N-tenant plan with cProfile (``$TMPDIR/paif-plan-N.prof``) and prints its time by
phase and by area (our rules, our components, the SDK, protobuf, asyncio, ...) and the top
entries.
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import DR_STACK, STACK, write_project  # noqa: E402

PROJECT = "paif"
# --source: plan with the paif of another checkout (say main's, for the figures before a change);
# the bare replay, the synthetic stacks and this script stay this checkout's.
SOURCE: Path | None = None
SOURCE_VARIABLE = "PAIF_BENCH_SOURCE"
# Targets of issue 16: overhead over the bare SDK, the policy and writing shares, memory.
TARGET_RATIO = 1.3
TARGET_POLICY_SHARE = 0.10
TARGET_WRITE_SHARE = 0.10
TARGET_MEMORY_RATIO = 1.5
# The plan's phases: the functions (module, attribute) whose time each one sums, wrapped where
# the caller looks them up. Both layouts are listed, the pipeline's (paif_cli.pipeline and its
# stages) and the one before it (paif_cli.plan, paif_cli.gate), so that ``--source`` can time a
# checkout of either; a target the checkout lacks is skipped.
PHASES = {
    "config": [("paif_cli.pipeline", "load_stack"), ("paif_cli.plan", "load_config")],
    "program": [("paif_cli.run", "run_program"), ("paif_cli.plan", "run_program")],
    "policy": [
        ("paif_cli.pipeline", "gate_plan"),
        ("paif_cli.render", "policy_reports"),
        ("paif_cli.gate", "evaluate_plan"),
    ],
    "write": [
        ("paif_cli.pipeline", "write_plan"),
        ("paif_cli.pipeline", "write_run"),
        ("paif_cli.plan", "write_plan"),
        ("paif_cli.gate", "write_pair_artifacts"),
        ("paif_cli.diagram", "write_topology"),  # before the pipeline
    ],
}
# Where the plan looks up ``run_program`` (the recording for the bare replay wraps it there).
RUN_PROGRAM_MODULES = ("paif_cli.run", "paif_cli.plan")


# --- measuring inside a child ---------------------------------------------------------------


def current_rss_mib() -> float:
    """Resident memory of this process now (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    """Peak resident memory of this process (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    """Wraps module attributes and sums the wall time spent in them (outermost calls only)."""

    def __init__(self, targets: Sequence[tuple[str, str]]) -> None:
        import importlib

        self.seconds = 0.0
        self._depth = 0
        for module_name, attribute in targets:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue  # the other layout's module
            if hasattr(module, attribute):
                setattr(module, attribute, self._wrap(getattr(module, attribute)))

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += time.perf_counter() - start

        return timed


def child_plan(argv: list[str], result_file: Path, recording: Path | None) -> None:
    """Run ``paif plan`` as the console script does; time its phases; record for the replay."""
    started = time.perf_counter()
    source = os.environ.get(SOURCE_VARIABLE)
    if source:  # the paif under test is another checkout's (--source)
        sys.path.insert(0, source)
        if (Path(source) / "paif_cli" / "checkout.py").is_file():
            # A tree with the installed layout: its own paif_components, paif_policies, paif_cli.
            from paif_cli.checkout import use_checkout

            for name in [n for n in sys.modules if n.split(".")[0] == "paif_cli"]:
                del sys.modules[name]
            use_checkout(Path(source))
    import importlib

    import paif_cli.main
    from paif_cli.mock_runtime import PlanMocks

    timers = {name: Timer(targets) for name, targets in PHASES.items()}
    results: list[Any] = []
    invokes: list[dict[str, Any]] = []
    if recording is not None:
        runner = None
        for name in RUN_PROGRAM_MODULES:
            try:
                runner = importlib.import_module(name)
                break
            except ModuleNotFoundError:
                continue
        assert runner is not None, f"none of {RUN_PROGRAM_MODULES} in this checkout"
        original_run, original_call = runner.run_program, PlanMocks.call

        def run_program(*args: Any, **kwargs: Any) -> Any:
            results.append(original_run(*args, **kwargs))
            return results[-1]

        def call(self: PlanMocks, args: Any) -> dict[str, Any]:
            invokes.append({"token": args.token, "args": _plain(args.args)})
            return original_call(self, args)

        runner.run_program = run_program
        PlanMocks.call = call  # type: ignore[method-assign]
    imported = time.perf_counter()
    with open(os.devnull, "w") as sink:
        stdout, sys.stdout = sys.stdout, sink
        try:
            # As the console script runs it (``paif_cli.main.run``, where there is one).
            ending = "ending" in inspect.signature(paif_cli.main.main).parameters
            code = paif_cli.main.main(argv, **({"ending": True} if ending else {}))
        finally:
            sys.stdout = stdout
    ran = time.perf_counter()
    peak = peak_rss_mib()  # before the recording, which is the benchmark's, not the plan's
    if code not in (0, 1):
        raise SystemExit(f"paif plan {argv} exited {code}")
    recorded = recorded_cpu = 0.0
    if recording is not None:
        cpu = time.process_time()
        result = results[0]
        recording.write_text(
            json.dumps(
                {
                    "resources": [r.to_json() for r in result.resources],
                    "resourceOutputs": result.resource_outputs,
                    "outputs": result.outputs,
                    "invokes": invokes,
                }
            ),
            encoding="utf-8",
        )
        recorded = time.perf_counter() - ran
        recorded_cpu = time.process_time() - cpu
    document = {
        "exit": code,
        "imports_s": imported - started,
        "main_s": ran - imported,
        "recording_s": recorded,
        "recording_cpu_s": recorded_cpu,
        "resources": len(results[0].resources) if results else None,
        "peak_rss_mib": peak,
        **{f"{name}_s": timer.seconds for name, timer in timers.items()},
    }
    result_file.write_text(json.dumps(document), encoding="utf-8")
    # End the way the console script ends (before issue 16: an ordinary interpreter exit).
    exit_now = getattr(paif_cli.main, "exit_now", None)
    if exit_now is not None:
        exit_now(code)
    sys.exit(code)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _with_secrets(inputs: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """Recorded inputs with each secret path wrapped as a secret Output again."""
    import pulumi

    out = copy.deepcopy(inputs)
    for path in paths:
        if path == ".":
            continue
        parts = [p for p in path.replace("]", "").replace("[", ".").split(".") if p]
        node = out
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        key: Any = int(last) if isinstance(node, list) else last
        node[key] = pulumi.Output.secret(node[key])
    return out


def _order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents, providers and dependencies before the resources that name them."""
    by_urn = {r["urn"]: r for r in records}
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []

    def visit(urn: str) -> None:
        if urn in done or urn not in by_urn:
            return
        done.add(urn)
        record = by_urn[urn]
        before = [record["parent"] or ""] + record["dependsOn"]
        if record["provider"]:
            before.append(record["provider"].rsplit("::", 1)[0])
        for other in before:
            visit(other)
        ordered.append(record)

    for record in records:
        visit(record["urn"])
    return ordered


def child_bare(recording: Path, result_file: Path) -> None:
    """Register what the plan registered with the stock SDK under stock mocks."""
    import asyncio

    import pulumi
    from pulumi.runtime import mocks as sdk_mocks
    from pulumi.runtime import settings as sdk_settings
    from pulumi.runtime.stack import run_in_stack

    from paif_cli.main import plan_gc_thresholds
    from paif_cli.mock_runtime import mock_settings

    before_input = current_rss_mib()
    document = json.loads(recording.read_text(encoding="utf-8"))
    records = _order(document["resources"])
    input_mib = current_rss_mib() - before_input  # the replay's input: in its peak, not the SDK's
    component_outputs = document["resourceOutputs"]
    stack_outputs = document["outputs"]
    invokes = document["invokes"]

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            return {}

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for invoke in invokes:
            pulumi.runtime.invoke(invoke["token"], invoke["args"])
        for record in records:
            parent = created.get(record["parent"] or "")
            provider = created.get((record["provider"] or "").rsplit("::", 1)[0])
            depends = [created[u] for u in record["dependsOn"] if u in created]
            opts = pulumi.ResourceOptions(
                parent=parent,
                provider=provider,  # type: ignore[arg-type]
                depends_on=depends,
                protect=record["protect"],
                retain_on_delete=record["retainOnDelete"],
            )
            kind = record["type"]
            if not record["custom"]:
                component = pulumi.ComponentResource(kind, record["name"], None, opts)
                component.register_outputs(component_outputs.get(record["urn"], {}))
                created[record["urn"]] = component
            elif kind.startswith("pulumi:providers:"):
                package = kind.removeprefix("pulumi:providers:")
                props = _with_secrets(record["inputs"], record["secretPaths"])
                created[record["urn"]] = pulumi.ProviderResource(
                    package, record["name"], props, opts
                )
            elif "__read" in record["inputs"]:
                opts.id = record["inputs"]["__read"]
                created[record["urn"]] = pulumi.CustomResource(kind, record["name"], {}, opts)
            else:
                props = _with_secrets(record["inputs"], record["secretPaths"])
                created[record["urn"]] = pulumi.CustomResource(kind, record["name"], props, opts)
        for key, value in stack_outputs.items():
            pulumi.export(key, value)

    with plan_gc_thresholds():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        monitor = sdk_mocks.MockMonitor(Mocks())
        sdk_settings.configure(mock_settings(monitor, PROJECT, STACK, "bare"))
        start, cpu = time.perf_counter(), time.process_time()
        loop.run_until_complete(run_in_stack(program))
        bare, bare_cpu = time.perf_counter() - start, time.process_time() - cpu
    registered = sum(1 for urn in monitor.resources if "::pulumi:pulumi:Stack::" not in urn)
    result_file.write_text(
        json.dumps(
            {
                "bare_s": bare,
                "bare_cpu_s": bare_cpu,
                "bare_resources": registered,
                "peak_rss_mib": peak_rss_mib(),
                "input_rss_mib": input_mib,
            }
        ),
        encoding="utf-8",
    )
    sys.stdout.flush()
    os._exit(0)


# --- the driver -----------------------------------------------------------------------------


def _spawn(args: list[str]) -> tuple[dict[str, Any], float, float, float]:
    """Run a child of this script: its result, wall time, peak RSS (MiB) and CPU seconds."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = Path(handle.name)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if SOURCE is not None and args[0] == "plan":
        env[SOURCE_VARIABLE] = str(SOURCE)
    command = [sys.executable, __file__, "--child", str(result_file), *args]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    stderr = process.stderr.read() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"benchmark child {args} failed:\n{stderr}")
    document = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.unlink()
    return document, wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def measure_size(tenants: int, work: Path) -> dict[str, Any]:
    project = write_project(work / "project", tenants)
    recording = work / "recording.json"
    argv = ["plan", "--stack", STACK, "--project-dir", str(project), "--out", str(work / "out")]
    plan, wall, _, cpu = _spawn(["plan", str(recording), "--", *argv])
    # The recording was written after `paif plan` finished, inside the measured process.
    plan_s = wall - plan["recording_s"]
    bare, _, _, _ = _spawn(["bare", str(recording)])
    resources = plan["resources"]
    if bare["bare_resources"] != resources:
        raise SystemExit(f"the replay registered {bare['bare_resources']} of {resources}")
    return {
        "tenants": tenants,
        "resources": resources,
        "plan_s": plan_s,
        "plan_cpu_s": cpu - plan["recording_cpu_s"],
        "imports_s": plan["imports_s"],
        **{f"{p}_s": plan[f"{p}_s"] for p in PHASES},
        # Each process's own peak (VmHWM): the kernel's ru_maxrss of a child counts the
        # pages of the process that spawned it.
        "peak_rss_mib": plan["peak_rss_mib"],
        "bare_s": bare["bare_s"],
        "bare_cpu_s": bare["bare_cpu_s"],
        "bare_peak_rss_mib": bare["peak_rss_mib"],
        "bare_input_rss_mib": bare["input_rss_mib"],
        "load": load(),
    }


def measure_pair(tenants: int, work: Path, jobs: int | None) -> dict[str, Any]:
    """``--jobs None``: the CLI's default, for a version without the option."""
    project = work / "project"
    if not project.is_dir():
        write_project(project, tenants)
    out = work / f"out-jobs{jobs}"
    argv = ["plan", "--stack", STACK, "--stack", DR_STACK, "--project-dir", str(project)]
    argv += ["--out", str(out)] + ([] if jobs is None else ["--jobs", str(jobs)])
    _, wall, rss, cpu = _spawn(["plan", "-", "--", *argv])
    return {
        "tenants": tenants,
        "jobs": jobs,
        "plan_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "out": out,
    }


def same_tree(one: Path, two: Path) -> bool:
    first = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    second = sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    return first == second and all((one / p).read_bytes() == (two / p).read_bytes() for p in first)


def _median(rows: Sequence[dict[str, Any]], key: str | Callable[[dict[str, Any]], float]) -> float:
    get = key if callable(key) else (lambda row: row[key])
    return statistics.median(get(row) for row in rows)


def measure(
    sizes: Sequence[int], repeat: int, pair: Sequence[int], jobs: bool = True
) -> dict[str, Any]:
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    pairs: dict[int, list[dict[str, Any]]] = {n: [] for n in pair}
    started = load()
    with tempfile.TemporaryDirectory(prefix="paif-bench-") as tmp:
        for round_ in range(repeat):
            for n in sizes:
                work = Path(tmp) / f"n{n}-r{round_}"
                runs[n].append(measure_size(n, work))
                shutil.rmtree(work)
                print(f"  {n} tenants, round {round_ + 1}: {runs[n][-1]}", file=sys.stderr)
            for n in pair:
                work = Path(tmp) / f"pair{n}-r{round_}"
                if not jobs:  # a version without --jobs: its default, twice
                    one, two = measure_pair(n, work, None), measure_pair(n, work, None)
                else:
                    one, two = measure_pair(n, work, 1), measure_pair(n, work, 2)
                if not same_tree(one.pop("out"), two.pop("out")):
                    raise SystemExit(f"{n} tenants: --jobs 1 and --jobs 2 wrote different out/")
                pairs[n].append({"jobs1": one, "jobs2": two, "load": load()})
                shutil.rmtree(work)
                print(f"  pair {n} tenants, round {round_ + 1}: {pairs[n][-1]}", file=sys.stderr)
    summary = []
    for n in sizes:
        rows = runs[n]
        summary.append(
            {
                "tenants": n,
                "resources": rows[0]["resources"],
                **{
                    key: _median(rows, key)
                    for key in (
                        "plan_s",
                        "plan_cpu_s",
                        "bare_cpu_s",
                        "imports_s",
                        *(f"{p}_s" for p in PHASES),
                        "bare_s",
                        "peak_rss_mib",
                        "bare_peak_rss_mib",
                    )
                },
                "ratio": _median(rows, lambda r: r["plan_s"] / r["bare_s"]),
                "cpu_ratio": _median(rows, lambda r: r["plan_cpu_s"] / r["bare_cpu_s"]),
                "policy_share": _median(rows, lambda r: r["policy_s"] / r["plan_s"]),
                "write_share": _median(rows, lambda r: r["write_s"] / r["plan_s"]),
                "memory_ratio": _median(rows, lambda r: r["peak_rss_mib"] / r["bare_peak_rss_mib"]),
                "runs": rows,
            }
        )
    pair_summary = [
        {
            "tenants": n,
            "jobs1_s": _median(pairs[n], lambda r: r["jobs1"]["plan_s"]),
            "jobs2_s": _median(pairs[n], lambda r: r["jobs2"]["plan_s"]),
            "jobs1_rss_mib": _median(pairs[n], lambda r: r["jobs1"]["peak_rss_mib"]),
            "jobs2_rss_mib": _median(pairs[n], lambda r: r["jobs2"]["peak_rss_mib"]),
            "runs": pairs[n],
        }
        for n in pair
    ]
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": started,
        "load_after": load(),
        "repeat": repeat,
        "sizes": summary,
        "pairs": pair_summary,
    }


def markdown(report: dict[str, Any]) -> str:
    from paif_cli.main import PLAN_GC_THRESHOLDS

    lines = [
        f"{report['cpus']} CPUs, Python {report['python']}, median of {report['repeat']} "
        f"run(s); load average (1/5/15 min) {report['load_before']} before, "
        f"{report['load_after']} after; paif from {report.get('source', ROOT)}; GC thresholds "
        f"{PLAN_GC_THRESHOLDS} in both processes.",
        "",
        "| tenants | resources | plan wall s | ms / resource | peak RSS MiB | bare SDK s | "
        "bare peak RSS MiB | plan / bare | RSS / bare | program s | policy s (share) | "
        "write s (share) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["sizes"]:
        lines.append(
            f"| {row['tenants']} | {row['resources']:,} | {row['plan_s']:.2f} | "
            f"{1000 * row['plan_s'] / row['resources']:.2f} | {row['peak_rss_mib']:.0f} | "
            f"{row['bare_s']:.2f} | {row['bare_peak_rss_mib']:.0f} | {row['ratio']:.2f} | "
            f"{row['memory_ratio']:.2f} | {row['program_s']:.2f} | "
            f"{row['policy_s']:.2f} ({row['policy_share']:.0%}) | "
            f"{row['write_s']:.2f} ({row['write_share']:.0%}) |"
        )
    if report["pairs"]:
        lines += [
            "",
            f"`paif plan --stack {STACK} --stack {DR_STACK}` (primary and DR), wall s; out/ "
            "trees byte-identical:",
            "",
            "| tenants | --jobs 1 s | --jobs 2 s | speed-up | peak RSS MiB (jobs 1 / 2) |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in report["pairs"]:
            lines.append(
                f"| {row['tenants']} | {row['jobs1_s']:.2f} | {row['jobs2_s']:.2f} | "
                f"{row['jobs1_s'] / row['jobs2_s']:.2f} | {row['jobs1_rss_mib']:.0f} / "
                f"{row['jobs2_rss_mib']:.0f} |"
            )
    return "\n".join(lines) + "\n"


# Where profiled time is spent, by the file a function is in (first match wins).
AREAS = [
    ("policy pack (our rules)", "/policies/"),
    ("components (our program)", "/components/"),
    ("paif_cli (runtime, gate, writing)", "/paif_cli/"),
    ("pulumi_policy (analyzer SDK)", "/pulumi_policy/"),
    ("pulumi SDK", "/pulumi/"),
    ("protobuf", "/google/protobuf/"),
    ("asyncio", "/asyncio/"),
    ("PyYAML", "/yaml/"),
]


def profile(tenants: int, top: int = 25) -> str:
    """cProfile one in-process ``paif plan`` of ``tenants`` (after a warm-up plan of one
    tenant): the stats file, time by area and phase, and the top entries, as text."""
    import contextlib
    import cProfile
    import importlib
    import io
    import pstats

    import paif_cli.main

    target = Path(tempfile.gettempdir()) / f"paif-plan-{tenants}.prof"
    with (
        tempfile.TemporaryDirectory(prefix="paif-bench-") as tmp,
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
    ):
        warm, project = write_project(Path(tmp) / "w", 1), write_project(Path(tmp) / "p", tenants)
        paif_cli.main.main(["plan", "--stack", STACK, "--project-dir", str(warm), "--out", tmp])
        argv = ["plan", "--stack", STACK, "--project-dir", str(project), "--out", f"{tmp}/o"]
        # As the console script runs it: the collector's settings kept to the end.
        code = "main(argv, ending=True)"
        cProfile.runctx(code, {"main": paif_cli.main.main, "argv": argv}, {}, target)
    stats = pstats.Stats(str(target))
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    areas: dict[str, float] = {}
    for (file_name, _, _), entry in raw.items():
        area = next((name for name, part in AREAS if part in file_name), "other (builtins, stdlib)")
        areas[area] = areas.get(area, 0.0) + entry[2]

    def cumulative(module: str, attribute: str) -> float:
        code = getattr(importlib.import_module(module), attribute).__code__
        key = (code.co_filename, code.co_firstlineno, code.co_name)
        return raw[key][3] if key in raw else 0.0

    phases = {name: sum(cumulative(*t) for t in targets) for name, targets in PHASES.items()}
    lines = [f"cProfile of one {tenants}-tenant plan: {target}", "", "Time by phase (cumulative):"]
    lines += [f"  {name:10s} {seconds:7.2f} s" for name, seconds in phases.items()]
    lines += ["", f"Own time by area (total {total:.2f} s):"]
    for area, seconds in sorted(areas.items(), key=lambda item: -item[1]):
        lines.append(f"  {area:36s} {seconds:7.2f} s  {seconds / total:4.0%}")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(str(target), stream=text).sort_stats(order).print_stats(top)
        body = text.getvalue()
        lines += ["", f"Top {top} by {order}:", body[body.index("   ncalls") :].rstrip()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, nargs="*", default=[10, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pair", type=int, nargs="*", default=[], metavar="N")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--no-jobs", action="store_true", help="for versions of paif without --jobs (--pair)"
    )
    parser.add_argument("--profile", type=int, metavar="N", help="profile one plan of N tenants")
    parser.add_argument(
        "--source", type=Path, metavar="DIR", help="plan with the paif in DIR (another checkout)"
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        # --child RESULT plan RECORDING|- -- PAIF-ARGS... | --child RESULT bare RECORDING
        result, kind, recording, *paif_args = argv[1:]
        if kind == "plan":
            child_plan(paif_args[1:], Path(result), None if recording == "-" else Path(recording))
        else:
            child_bare(Path(recording), Path(result))
        return 0
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.profile), end="")
        return 0
    global SOURCE
    SOURCE = args.source.resolve() if args.source else None
    report = measure(args.tenants, args.repeat, args.pair, jobs=not args.no_jobs)
    report["source"] = str(SOURCE or ROOT)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(markdown(report), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
