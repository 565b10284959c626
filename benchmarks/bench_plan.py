"""Benchmark ``paif plan`` against the bare Pulumi SDK on synthetic stacks of N tenants.

For each size N (default 10, 50, 200 tenants; each tenant a Supervisor namespace, a Harbor
project, a VKS cluster, a completions and an embeddings endpoint and a pgvector database):

1. *plan*: a fresh process plans the synthetic stack with ``paif_cli.plan.plan_stack`` (config
   load, the stack program under the plan's mocks, the CrossGuard pack, the runbook) and records
   wall time, the program's and the policy evaluation's share, resources registered and peak
   memory (VmHWM);
2. *bare*: another fresh process replays exactly what the plan registered — same types, names,
   parents, providers, dependencies, protect flags, inputs (secret ones as secrets), reads,
   invokes, component outputs and stack outputs — as plain ``CustomResource`` /
   ``ComponentResource`` / ``ProviderResource`` registrations under the same mocks and the
   same recording monitor. That is what the bare SDK costs for the same work, so
   ``plan / bare`` is our overhead.

Import time is excluded from both. Sizes run interleaved, plan then bare, ``--repeat`` times;
the median is reported. Run from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_plan.py --tenants 10 50 200 --repeat 3

It prints a Markdown table (and ``--json FILE`` writes the raw figures). ``--profile N`` writes
a cProfile of one plan of N tenants to ``$TMPDIR/paif-plan-N.prof`` instead.
"""

from __future__ import annotations

import argparse
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
STACK = "bench"
PROJECT = "paif"
# Targets of the scale issue: overhead over the bare SDK, and the policy share of the plan.
TARGET_RATIO = 1.3
TARGET_POLICY_SHARE = 0.10
# Per host: enough GPUs that the synthetic tenants fit their quotas (4 GPUs each) with N+1.
GPUS_PER_HOST = 16
TENANT_GPU_QUOTA = 4


# --- the synthetic stack --------------------------------------------------------------------


def tenant(index: int) -> dict[str, Any]:
    """One tenant in the shape of §9.4.1: namespace, quota, a VKS cluster, two endpoints, a DB."""
    name = f"t{index:03d}"
    registry = f"harbor.bench.example.com/{name}"
    return {
        "name": name,
        "namespace": f"{name}-ns",
        "quota": {
            "gpu": TENANT_GPU_QUOTA,
            "requestsCpu": "16",
            "requestsMemory": "64Gi",
            "limitsCpu": "32",
            "limitsMemory": "128Gi",
            "requestsStorage": "200Gi",
            "persistentVolumeClaims": 10,
            "pods": 50,
            "services": 20,
        },
        "oidcGroups": {"admin": [f"{name}-admins"], "view": [f"{name}-staff"]},
        "vksClusters": [
            {
                "name": f"{name}-apps",
                "nodePools": [{"name": "workers", "vmClass": "best-effort-large", "replicas": 3}],
            }
        ],
        "modelEndpoints": [
            {
                "name": "chat",
                "type": "completions",
                "model": {"ref": f"{registry}/llama-3.1-8b-instruct:1.0.0", "parametersB": 8},
                "gpusPerReplica": 1,
                "replicas": {"min": 2, "max": 3},
            },
            {
                "name": "embeddings",
                "type": "embeddings",
                "model": {"ref": f"{registry}/bge-large-en-v1.5:1.0.0", "parametersB": 0.335},
                "replicas": {"min": 1, "max": 1},
            },
        ],
        "databases": [{"name": "vectors", "ha": True, "storage": "50Gi"}],
    }


def stack_config(tenants: int) -> dict[str, Any]:
    hosts = -(-tenants * TENANT_GPU_QUOTA // GPUS_PER_HOST) + 1
    return {
        "paif:environment": "prod",
        "paif:site": {
            "name": "bench-site",
            "vcenter": {"server": "vcenter.bench.example.com", "datacenter": "dc-bench"},
            "supervisor": {"id": "domain-c1", "server": "supervisor.bench.example.com"},
        },
        "paif:workloadDomain": {
            "cluster": "gpu-wld-bench",
            "hosts": [f"esxi-{i:03d}.bench.example.com" for i in range(hosts)],
            "gpu": {"model": "NVIDIA A100 80GB", "perHost": GPUS_PER_HOST, "memoryGiB": 80},
            "vgpuProfiles": ["nvidia_a100-80c"],
        },
        "paif:harbor": {"url": "https://harbor.bench.example.com"},
        "paif:tenants": [tenant(i) for i in range(tenants)],
    }


def write_project(directory: Path, tenants: int) -> Path:
    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    text = yaml.safe_dump({"config": stack_config(tenants)}, sort_keys=False)
    (directory / f"Pulumi.{STACK}.yaml").write_text(text, encoding="utf-8")
    return directory


# --- measuring ------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """Peak resident memory of this process (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Timer:
    """Wraps a module attribute and sums the wall time spent in it."""

    def __init__(self, module: Any, attribute: str) -> None:
        self.seconds = 0.0
        original: Callable[..., Any] = getattr(module, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(module, attribute, timed)


def child_plan(tenants: int, workdir: Path, recording: Path) -> dict[str, Any]:
    """Plan the synthetic stack once; save what it registered for the bare replay."""
    import components.program  # noqa: F401  (imports are not what we measure)
    import paif_cli.gate
    import paif_cli.plan
    import policies.pack  # noqa: F401
    from paif_cli.mock_runtime import PlanMocks

    # Warm up: the providers' SDKs import their modules lazily, on first use. Import time is
    # not what we measure (the bare replay imports none of them).
    paif_cli.plan.plan_stack(write_project(workdir / "warmup", 1), STACK)
    project = write_project(workdir / "project", tenants)
    invokes: list[dict[str, Any]] = []
    original_call = PlanMocks.call

    def call(self: PlanMocks, args: Any) -> dict[str, Any]:
        invokes.append({"token": args.token, "args": _plain(args.args)})
        return original_call(self, args)

    PlanMocks.call = call  # type: ignore[method-assign]
    program = Timer(paif_cli.plan, "run_program")
    policy = Timer(paif_cli.gate, "evaluate_plan")
    base_rss = rss_mib()
    start = time.perf_counter()
    plan = paif_cli.plan.plan_stack(project, STACK)
    total = time.perf_counter() - start
    result = plan.result
    recording.write_text(
        json.dumps(
            {
                "resources": [_record_json(r) for r in result.resources],
                "resourceOutputs": getattr(result, "resource_outputs", {}),
                "outputs": result.outputs,
                "invokes": invokes,
            }
        ),
        encoding="utf-8",
    )
    return {
        "tenants": tenants,
        "resources": len(result.resources),
        "custom": sum(1 for r in result.resources if r.custom),
        "invokes": len(invokes),
        "findings": len(plan.findings),
        "plan_s": total,
        "program_s": program.seconds,
        "policy_s": policy.seconds,
        "rss_after_imports_mib": base_rss,
        "peak_rss_mib": peak_rss_mib(),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _record_json(record: Any) -> dict[str, Any]:
    return {
        "urn": record.urn,
        "type": record.type,
        "name": record.name,
        "parent": record.parent,
        "custom": record.custom,
        "provider": record.provider,
        "inputs": record.inputs,
        "secretPaths": record.secret_paths,
        "protect": record.protect,
        "retainOnDelete": record.retain_on_delete,
        "dependsOn": record.depends_on,
        "id": record.id,
    }


def _with_secrets(inputs: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """Recorded inputs with each secret path wrapped as a secret Output again."""
    import pulumi

    out = json.loads(json.dumps(inputs))
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


def child_bare(recording: Path) -> dict[str, Any]:
    """Register what the plan registered with the bare SDK, under the same mocks."""
    import pulumi

    from paif_cli.mock_runtime import PlanMocks, run_program

    document = json.loads(recording.read_text(encoding="utf-8"))
    records = _order(document["resources"])
    component_outputs = document["resourceOutputs"]
    stack_outputs = document["outputs"]
    invokes = document["invokes"]

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

    base_rss = rss_mib()
    start = time.perf_counter()
    result = run_program(program, PlanMocks(), project=PROJECT, stack=STACK)
    bare = time.perf_counter() - start
    return {
        "bare_s": bare,
        "bare_resources": len(result.resources),
        "bare_rss_after_imports_mib": base_rss,
        "bare_peak_rss_mib": peak_rss_mib(),
    }


# --- the driver -----------------------------------------------------------------------------


def _child(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def measure(sizes: Sequence[int], repeat: int) -> dict[str, Any]:
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    started = load()
    with tempfile.TemporaryDirectory(prefix="paif-bench-") as tmp:
        for round_ in range(repeat):
            for n in sizes:
                work = Path(tmp) / f"n{n}-r{round_}"
                work.mkdir()
                recording = work / "recording.json"
                plan = _child(["--child", "plan", str(n), str(work), str(recording)])
                bare = _child(["--child", "bare", str(recording)])
                if bare["bare_resources"] != plan["resources"]:
                    raise SystemExit(f"replay registered {bare['bare_resources']} of {plan}")
                runs[n].append(plan | bare | {"load": load()})
                print(f"  {n} tenants, round {round_ + 1}: {runs[n][-1]}", file=sys.stderr)
    summary = []
    for n in sizes:
        rows = runs[n]

        def median(key: str, rows: list[dict[str, Any]] = rows) -> float:
            return statistics.median(row[key] for row in rows)

        plan_s, bare_s, policy_s, program_s = (
            median("plan_s"),
            median("bare_s"),
            median("policy_s"),
            median("program_s"),
        )
        summary.append(
            {
                "tenants": n,
                "resources": rows[0]["resources"],
                "invokes": rows[0]["invokes"],
                "plan_s": plan_s,
                "program_s": program_s,
                "policy_s": policy_s,
                "bare_s": bare_s,
                "ratio": statistics.median(r["plan_s"] / r["bare_s"] for r in rows),
                "program_ratio": statistics.median(r["program_s"] / r["bare_s"] for r in rows),
                "policy_share": statistics.median(r["policy_s"] / r["plan_s"] for r in rows),
                "ms_per_resource": 1000 * plan_s / rows[0]["resources"],
                "peak_rss_mib": median("peak_rss_mib"),
                "rss_after_imports_mib": median("rss_after_imports_mib"),
                "bare_peak_rss_mib": median("bare_peak_rss_mib"),
                "runs": rows,
            }
        )
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": started,
        "load_after": load(),
        "repeat": repeat,
        "sizes": summary,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"{report['cpus']} CPUs, Python {report['python']}, median of {report['repeat']} "
        f"run(s); load average (1/5/15 min) {report['load_before']} before, "
        f"{report['load_after']} after.",
        "",
        "| tenants | resources | plan s | program s | policy s (share) | bare SDK s | "
        "plan / bare | program / bare | ms / resource | peak RSS MiB (after imports) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["sizes"]:
        lines.append(
            f"| {row['tenants']} | {row['resources']} | {row['plan_s']:.2f} | "
            f"{row['program_s']:.2f} | {row['policy_s']:.2f} ({row['policy_share']:.0%}) | "
            f"{row['bare_s']:.2f} | {row['ratio']:.2f} | {row['program_ratio']:.2f} | "
            f"{row['ms_per_resource']:.1f} | {row['peak_rss_mib']:.0f} "
            f"({row['rss_after_imports_mib']:.0f}) |"
        )
    return "\n".join(lines) + "\n"


def profile(tenants: int) -> Path:
    import cProfile

    import components.program  # noqa: F401
    import paif_cli.plan
    import policies.pack  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="paif-bench-") as tmp:
        paif_cli.plan.plan_stack(write_project(Path(tmp) / "warmup", 1), STACK)
        project = write_project(Path(tmp) / "project", tenants)
        target = Path(tempfile.gettempdir()) / f"paif-plan-{tenants}.prof"
        cProfile.runctx(
            "paif_cli.plan.plan_stack(project, STACK)",
            globals(),
            {"paif_cli": paif_cli, "project": project, "STACK": STACK},
            str(target),
        )
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile one plan of N tenants")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        from paif_cli.main import plan_gc_thresholds

        kind, *rest = args.child
        # Both sides run with the GC settings `paif` runs with (paif_cli.main).
        with plan_gc_thresholds():
            if kind == "plan":
                result = child_plan(int(rest[0]), Path(rest[1]), Path(rest[2]))
            else:
                result = child_bare(Path(rest[0]))
        print(json.dumps(result))
        return 0
    if args.profile:
        print(f"wrote {profile(args.profile)}")
        return 0
    report = measure(args.tenants, args.repeat)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
