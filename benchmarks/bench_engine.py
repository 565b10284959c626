"""Benchmark ``pulumi preview`` and ``pulumi up`` with the real engine as a site grows (issue 27).

The stacks are ``benchmarks/synthetic.py``'s: the example's marketing tenant copied N times,
with its VKS cluster and apps (``--vks yes``) or without them (``--vks no``, the issue's
figures), made for the engine tier as its tests make the example (``tests/engine/sites.py``:
the Supervisor at a test API server, the edge external). They run through the engine tier's
own harness and servers (``tests/engine``): the CLI and Kubernetes provider built by ``make
engine``, etcd and kube-apiserver, the stand-in for the vSphere, Harbor and PostgreSQL
providers, the program and the pack run by the Python language host. One Supervisor API server
holds every
preview; every VKS cluster of a site is served by one more API server (their app namespaces
differ by name); each ``up`` gets a site of its own, so it creates everything from nothing.

Configurations (``--configs``), interleaved per size and round:

- ``plan``: ``paif plan --stack S`` (offline, for comparison);
- ``preview``, ``preview+pack``: ``pulumi preview`` as before issue 27 (checkpoints on), without
  and with ``--policy-pack``;
- ``preview-skip``, ``preview-skip+pack``: the documented configuration,
  ``PULUMI_SKIP_CHECKPOINTS=true`` (docs/benchmarks.md says why a preview may);
- ``up``: ``pulumi up --yes --skip-preview --policy-pack`` of a new stack, checkpoints on;
- ``up-skip``: the same with checkpoints skipped (to show what they cost; not a recommendation);
- ``up-split``: the same site as a platform stack and tenant-group stacks of ``--group-tenants``
  tenants each (``paif:layout``, docs/splitting.md), each stack's ``up`` run one after the other,
  checkpoints on: the figures are the sums over the stacks (``stacks`` lists each).

Per command: wall seconds, the CLI's own CPU seconds, every process's (language host and
program, providers, pack), the pack process's CPU and start-up, the resources of the CLI's
summary, the 1-minute load average before and after. ``--base DIR`` adds configurations
``...+basepack`` that run another checkout's pack (with that checkout's components): the
pack before a change, beside it. Run from the repository root (``make engine`` first):

    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/bench_engine.py --vks no \\
        --tenants 1 7 15 22 --configs preview-skip preview-skip+pack --repeat 3 \\
        --json /tmp/engine.json

``--example`` adds the example prod stack (the engine tier's, 140 resources). Results are
appended to ``--json`` (so runs add up); ``--report`` prints the tables of a JSON file without
running anything, and ``--docs FILE --section NAME`` writes them into FILE between
``<!-- bench-engine:NAME -->`` and ``<!-- /bench-engine:NAME -->``. ``--profile`` runs each
command once with ``pulumi --profiling`` and a cProfile of the pack, and prints the top
functions of both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.engine_runs import become_subreaper, run_measured  # noqa: E402
from benchmarks.synthetic import stack_config  # noqa: E402
from benchmarks.timed_pack import timed_copy  # noqa: E402
from tests.engine.cluster import BIN, Etcd  # noqa: E402
from tests.engine.harness import (  # noqa: E402
    VENV,
    Project,
    engine_env,
    policy_pack,
    standin_providers,
)
from tests.engine.sites import (  # noqa: E402
    Layout,
    Site,
    example,
    for_engine,
    platform_namespaces,
    stack_secrets,
    start_site,
    vks_clusters,
)

CONFIGS = {
    # name: (command, policy pack: None, "pack" (this checkout's) or "basepack" (--base's), skip
    # checkpoints)
    "preview": ("preview", None, False),
    "preview+pack": ("preview", "pack", False),
    "preview+basepack": ("preview", "basepack", False),
    "preview-skip": ("preview", None, True),
    "preview-skip+pack": ("preview", "pack", True),
    "preview-skip+basepack": ("preview", "basepack", True),
    "up": ("up", "pack", False),
    "up-skip": ("up", "pack", True),
    "up-split": ("up", "pack", False),
}
# The repository's folders and the names they install under (pyproject.toml's package-dir).
PACKAGES = {
    folder: name
    for name, folder in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["setuptools"]["package-dir"].items()
}
MARK = "<!-- bench-engine:{} -->"
END = "<!-- /bench-engine:{} -->"


# --- the stacks and the sites -----------------------------------------------------------------


def variant_config(variant: str, tenants: int) -> dict[str, Any]:
    """The stack config of a variant: ``example`` (the example prod stack), ``vks`` or
    ``novks`` (N synthetic tenants with or without their VKS cluster and apps)."""
    if variant == "example":
        return example("prod")
    return stack_config(tenants, vks=variant == "vks")


def site_layout(work: Path, configs: Sequence[dict[str, Any]]) -> tuple[Layout, dict[str, str]]:
    """The namespaces and DSM secrets every config needs, and all their VKS clusters."""
    namespaces: set[str] = set()
    secrets: set[tuple[str, str]] = set()
    clusters: dict[str, str] = {}
    for i, config in enumerate(configs):
        layout = platform_namespaces(work / f"layout-{i}", {"bench": for_engine(config, None)})
        namespaces.update(layout.namespaces)
        secrets.update(layout.dsm_secrets)
        clusters.update(vks_clusters(config))
    return Layout(sorted(namespaces), sorted(secrets)), clusters


def installed_names(checkout: Path, work: Path) -> Path:
    """A folder where ``checkout``'s packages import under the names it installs them as: the
    checkout itself before its pyproject.toml mapped folders to names (``components``), else
    links named by its package-dir (``paif_components`` -> ``components``)."""
    pyproject = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = pyproject.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    if all(name == folder for name, folder in mapping.items()):
        return checkout
    folder = work / "base-source"
    folder.mkdir()
    for name, source in mapping.items():
        (folder / name).symlink_to(checkout / source)
    return folder


class Bench:
    """One etcd, the preview site, the project and the pack launchers."""

    def __init__(
        self, work: Path, configs: Sequence[dict[str, Any]], base: Path | None = None
    ) -> None:
        become_subreaper()
        self.work = work
        # The code measured is this checkout's as it is now, copied: the program (its folder
        # comes first on sys.path), the pack's components and `paif plan` (PYTHONPATH) read the
        # copy, so editing the checkout during a run changes nothing measured.
        self.source = work / "source"
        # Under the names they install as (pyproject.toml's package-dir): on PYTHONPATH the
        # copies come before the editable install's finder.
        for folder, package in PACKAGES.items():
            shutil.copytree(
                ROOT / folder, self.source / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        os.environ["PYTHONPATH"] = str(self.source)
        self.etcd = Etcd(work / "etcd-dir")
        (work / "etcd-dir").mkdir(parents=True)
        self.etcd.start()
        self.layout, self.clusters = site_layout(work, configs)
        self.sites: list[Site] = []
        self.preview_site = self.start_site("preview")
        env = engine_env(work / "pulumi-home", self._backend(), standin_providers(work / "standin"))
        self.pack_log = work / "pack-rusage.jsonl"
        env["PAIF_BENCH_PACK_RUSAGE"] = str(self.pack_log)
        self.packs = {"pack": timed_copy(policy_pack(work), (str(self.source),))}
        if base is not None:
            # The pack of another checkout, with that checkout's components first on sys.path.
            folder = work / "base-policy-pack"
            shutil.copytree(
                base / "policies", folder, ignore=shutil.ignore_patterns("venv", "__pycache__")
            )
            (folder / "venv").symlink_to(VENV)
            self.packs["basepack"] = timed_copy(folder, (str(installed_names(base, work)),))
        self.project = Project.create(work / "paif", env, self.packs["pack"])
        (self.project.directory / "paif_components").symlink_to(self.source / "paif_components")
        self.stacks: set[str] = set()

    def _backend(self) -> Path:
        backend = self.work / "state"
        backend.mkdir()
        return backend

    def start_site(self, name: str) -> Site:
        site = start_site(
            self.etcd, name, self.work / "apiservers", self.layout, self.clusters, shared_vks=True
        )
        self.sites.append(site)
        return site

    def server_pids(self) -> set[int]:
        servers = [self.etcd, *(s for site in self.sites for s in site.servers())]
        return {s.process.pid for s in servers if s.process is not None}

    def stop_site(self, site: Site) -> None:
        site.stop()
        self.sites.remove(site)

    def init_stack(self, stack: str, config: dict[str, Any], site: Site) -> None:
        if stack not in self.stacks:
            self.project.init_stack(stack, for_engine(config, site), stack_secrets(site))
            self.stacks.add(stack)

    def close(self) -> None:
        for site in list(self.sites):
            self.stop_site(site)
        self.etcd.stop()


def environment(base: dict[str, str], skip: bool, profile: Path | None) -> dict[str, str]:
    env = dict(base)
    if skip:
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    if profile is not None:
        env["PAIF_BENCH_PACK_PROFILE"] = str(profile)
    return env


def measure(
    bench: Bench,
    variant: str,
    tenants: int,
    config_name: str,
    round_: int,
    profile_dir: Path | None = None,
    group_tenants: int = 7,
) -> dict[str, Any]:
    config = variant_config(variant, tenants)
    record: dict[str, Any] = {
        "variant": variant,
        "tenants": tenants,
        "config": config_name,
        "round": round_,
        "time": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    stack = f"{variant}-{tenants}"
    if config_name == "plan":
        bench.init_stack(stack, config, bench.preview_site)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        code, _ = bench.project.paif_plan(stack)
        record.update(wall=time.perf_counter() - start, returncode=code)
        record["load"] = [load_before, os.getloadavg()[0]]
        return record
    if config_name == "up-split":
        record.update(measure_split(bench, config, f"up{round_}-split-{stack}", group_tenants))
        return record
    command, with_pack, skip = CONFIGS[config_name]
    args = [command, "--stack"]
    site = None
    if command == "up":
        stack = f"up{round_}-{config_name}-{stack}"
        site = bench.start_site(stack)
        bench.init_stack(stack, config, site)
        args += [stack, "--yes", "--skip-preview"]
    else:
        bench.init_stack(stack, config, bench.preview_site)
        args += [stack]
    if with_pack:
        args += ["--policy-pack", str(bench.packs[with_pack])]
    pack_profile = None
    if profile_dir is not None:
        prefix = profile_dir / f"{stack}-{config_name}"
        args += ["--profiling", str(prefix)]
        pack_profile = prefix.with_suffix(".pack.prof") if with_pack else None
    env = environment(bench.project.env, skip, pack_profile)
    try:
        record.update(
            run_measured(
                bench.project, *args, env=env, pack_log=bench.pack_log, keep=bench.server_pids()
            )
        )
    finally:
        if site is not None:
            bench.stop_site(site)
    if profile_dir is not None:
        record["profile"] = str(prefix)
    return record


def split_configs(
    config: dict[str, Any], platform: str, group_tenants: int
) -> dict[str, dict[str, Any]]:
    """Stack name -> config of ``config``'s site split (``paif:layout``): the platform stack
    (``platform``), then tenant-group stacks of ``group_tenants`` tenants each, whose files hold
    only the layout and the providers' config."""
    names = [t["name"] for t in config["paif:tenants"]]
    groups = {
        f"{platform}-g{i // group_tenants}": names[i : i + group_tenants]
        for i in range(0, len(names), group_tenants)
    }
    providers = {k: v for k, v in config.items() if not k.startswith("paif:")}
    out = {platform: {**config, "paif:layout": {"tenantStacks": groups}}}
    for group in groups:
        out[group] = {**providers, "paif:layout": {"site": platform}}
    return out


def measure_split(
    bench: Bench, config: dict[str, Any], platform: str, group_tenants: int
) -> dict[str, Any]:
    """``up`` of a split site on a site of its own: the platform stack first, then each group."""
    site = bench.start_site(platform)
    stacks = split_configs(for_engine(config, site), platform, group_tenants)
    env = environment(bench.project.env, False, None)
    runs: list[dict[str, Any]] = []
    try:
        for stack, stack_config in stacks.items():
            bench.project.init_stack(stack, stack_config, stack_secrets(site))
            args = ["up", "--stack", stack, "--yes", "--skip-preview"]
            args += ["--policy-pack", str(bench.packs["pack"])]
            run = run_measured(
                bench.project, *args, env=env, pack_log=bench.pack_log, keep=bench.server_pids()
            )
            runs.append({"stack": stack, **run})
            if run["returncode"]:
                break
    finally:
        bench.stop_site(site)

    def total(key: str) -> float | None:
        values = [r.get(key) for r in runs]
        return None if None in values else sum(values)  # type: ignore[arg-type]

    pack = {key: sum((r.get("pack") or {}).get(key, 0) for r in runs) for key in ("user", "sys")}
    return {
        **{key: total(key) for key in ("wall", "cli", "plugins", "total", "resources")},
        "pack": pack,
        "returncode": next((r["returncode"] for r in runs if r["returncode"]), 0),
        "load": [runs[0]["load"][0], runs[-1]["load"][1]],
        "largest": max(r.get("resources") or 0 for r in runs),
        "stacks": [{k: v for k, v in r.items() if k != "tail"} for r in runs],
        "tail": next((r["tail"] for r in runs if r["returncode"]), ""),
    }


# --- reports ------------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(records: Sequence[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Medians per (variant, tenants) and configuration."""
    groups: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = {}
    for r in records:
        if r.get("returncode", 0) != 0:
            continue
        groups.setdefault((r["variant"], r["tenants"]), {}).setdefault(r["config"], []).append(r)
    table: dict[tuple[str, int], dict[str, Any]] = {}
    for key, by_config in groups.items():
        row: dict[str, Any] = {}
        for name, runs in by_config.items():
            row[name] = {
                "n": len(runs),
                "wall": _median([r["wall"] for r in runs]),
                "cli": _median([r.get("cli") for r in runs]),
                "total": _median([r.get("total") for r in runs]),
                "pack": _median(
                    [
                        (r.get("pack") or {}).get("user", 0) + (r.get("pack") or {}).get("sys", 0)
                        for r in runs
                        if r.get("pack")
                    ]
                ),
                "pack_startup": _median(
                    [(r.get("pack") or {}).get("startup") for r in runs if r.get("pack")]
                ),
                "resources": _median([r.get("resources") for r in runs]),
                "load": [min(min(r["load"]) for r in runs), max(max(r["load"]) for r in runs)],
                "by_round": {r["round"]: r for r in runs},
            }
        table[key] = row
    return table


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _paired(cell: dict[str, Any], base: dict[str, Any], measure_: str) -> str:
    """What a configuration adds to its base: the median of the differences within each round
    (the two ran one after the other, so a slow spell of the machine mostly cancels)."""
    rounds = sorted(set(cell["by_round"]) & set(base["by_round"]))
    extra = [cell["by_round"][r][measure_] - base["by_round"][r][measure_] for r in rounds]
    return _share(_median(extra), base[measure_]) if extra else "–"


def _share(extra: float | None, base: float | None) -> str:
    if extra is None or base in (None, 0):
        return "–"
    return f"{extra:+.2f} s ({100 * extra / base:+.0f} %)"  # type: ignore[operator]


def tables(records: Sequence[dict[str, Any]]) -> str:
    """Markdown: one table per variant, a row per size, medians of the rounds."""
    table = summarize(records)
    lines: list[str] = []
    for variant in ("example", "novks", "vks"):
        keys = sorted(k for k in table if k[0] == variant)
        if not keys:
            continue
        title = {
            "example": "the example prod stack (engine tier)",
            "novks": "tenants without VKS clusters or apps",
            "vks": "tenants with their VKS cluster and apps",
        }[variant]
        lines += [
            f"**{title}**: medians, rounds in brackets",
            "",
            "| tenants | resources | `paif plan` s | configuration | wall s | CLI CPU s "
            "| all CPU s | pack CPU s (start-up s) | pack adds: wall, all CPU (paired) "
            "| load (1 min) |",
            "|---:|---:|---:|---|---:|---:|---:|---:|---|---|",
        ]
        for key in keys:
            row = table[key]
            resources = next((c["resources"] for c in row.values() if c.get("resources")), None)
            plan = row.get("plan", {}).get("wall")
            first = True
            for name in [c for c in CONFIGS if c in row]:
                cell = row[name]
                base = row.get(name.split("+")[0]) if "+" in name else None
                added = "–"
                if base is not None:
                    added = f"{_paired(cell, base, 'wall')}, {_paired(cell, base, 'total')}"
                pack = "–"
                if cell["pack"] is not None:
                    pack = f"{_f(cell['pack'], 2)} ({_f(cell['pack_startup'], 2)})"
                lo, hi = cell["load"]
                lines.append(
                    f"| {key[1] if first else ''} | {_f(resources, 0) if first else ''} "
                    f"| {_f(plan) if first else ''} | `{name}` [{cell['n']}] | {_f(cell['wall'])} "
                    f"| {_f(cell['cli'])} | {_f(cell['total'])} | {pack} | {added} "
                    f"| {lo:.1f}–{hi:.1f} |"
                )
                first = False
        lines += ["", *linearity(table, variant), ""]
    return "\n".join(lines)


def linearity(table: dict[tuple[str, int], dict[str, Any]], variant: str) -> list[str]:
    """Per-resource cost at the largest size over that at the size nearest 500 resources."""
    out = []
    keys = sorted(k for k in table if k[0] == variant)
    for name in ("preview", "preview-skip", "preview-skip+pack", "up", "up-split"):
        points = [
            (table[k][name]["resources"], table[k][name])
            for k in keys
            if name in table[k] and table[k][name]["resources"]
        ]
        if len(points) < 2:
            continue
        small = min(points, key=lambda p: abs(p[0] - 500))
        large = max(points, key=lambda p: p[0])
        if large[0] <= small[0]:
            continue
        growth = {
            measure_: (large[1][measure_] / large[0]) / (small[1][measure_] / small[0])
            for measure_ in ("wall", "cli", "total")
            if large[1][measure_] and small[1][measure_]
        }
        spelled = ", ".join(f"{m} {g:.2f}" for m, g in growth.items())
        out.append(
            f"- `{name}`: per-resource cost at {large[0]:,.0f} resources over that at "
            f"{small[0]:,.0f}: {spelled} (1.00 is linear)"
        )
    return out


def write_docs(path: Path, section: str, text: str) -> None:
    document = path.read_text(encoding="utf-8")
    start, end = MARK.format(section), END.format(section)
    if start not in document or end not in document:
        raise SystemExit(f"{path}: no {start} ... {end} block to write into")
    head, rest = document.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text.strip()}\n{end}{tail}", encoding="utf-8")


# --- profiles -------------------------------------------------------------------------------


def pprof_top(profile: Path, count: int = 20) -> str:
    """``go tool pprof -top`` of a CLI profile: the Pulumi functions by cumulative time (where
    the engine's time goes) and every function by its own time."""
    parts = []
    for flags in (["-cum", "-show=github.com/pulumi/"], ["-flat"]):
        result = subprocess.run(
            ["go", "tool", "pprof", "-top", *flags, f"-nodecount={count}", str(BIN / "pulumi"),
             str(profile)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        parts.append(f"--- {profile.name} {' '.join(flags)}\n{result.stdout or result.stderr}")
    return "\n".join(parts)


def pack_top(profile: Path, count: int = 25) -> str:
    import io
    import pstats

    stream = io.StringIO()
    stats = pstats.Stats(str(profile), stream=stream)
    stats.sort_stats("cumulative").print_stats(count)
    return stream.getvalue()


def show_profiles(record: dict[str, Any]) -> None:
    prefix = Path(record["profile"])
    for cpu in sorted(prefix.parent.glob(prefix.name + ".*.cpu")):
        print(pprof_top(cpu))
    pack = prefix.with_suffix(".pack.prof")
    if pack.exists():
        print(f"--- the pack ({pack.name})\n{pack_top(pack)}")


# --- main -----------------------------------------------------------------------------------


@contextmanager
def bench_in(work: Path, configs: Sequence[dict[str, Any]], base: Path | None) -> Iterator[Bench]:
    bench = Bench(work, configs, base)
    try:
        yield bench
    finally:
        bench.close()


def run(args: argparse.Namespace, records: list[dict[str, Any]]) -> None:
    """Measure every configuration at every size, ``--repeat`` rounds, appending to ``records``
    (and to ``--json`` after each command)."""
    variants = {"no": ["novks"], "yes": ["vks"], "both": ["novks", "vks"]}[args.vks]
    points = [(v, n) for n in args.tenants for v in variants]
    if args.example:
        points.insert(0, ("example", 0))
    largest = [
        variant_config(v, max(n for w, n in points if w == v)) for v in {v for v, _ in points}
    ]
    work = Path(tempfile.mkdtemp(prefix="paif-bench-engine-"))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        with bench_in(work, largest, args.base) as bench:
            for round_ in range(args.repeat):
                for variant, tenants in points:
                    for name in args.configs:
                        record = measure(
                            bench, variant, tenants, name, round_, args.profile,
                            args.group_tenants,
                        )  # fmt: skip
                        records.append(record)
                        shown = {k: v for k, v in record.items() if k != "tail"}
                        print(json.dumps(shown), flush=True)
                        if record.get("returncode"):
                            print(record.get("tail", ""), file=sys.stderr)
                        if args.profile and "profile" in record:
                            show_profiles(record)
                        if args.json:
                            args.json.write_text(json.dumps(records, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, nargs="*", default=[])
    parser.add_argument("--vks", choices=("no", "yes", "both"), default="no")
    parser.add_argument("--example", action="store_true", help="also the example prod stack")
    parser.add_argument("--configs", nargs="+", default=["preview-skip", "preview-skip+pack"],
                        choices=["plan", *CONFIGS])  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--group-tenants", type=int, default=7,
                        help="tenants per tenant-group stack of up-split")  # fmt: skip
    parser.add_argument("--json", type=Path, help="append the records to this file")
    parser.add_argument("--report", action="store_true", help="only print --json's tables")
    parser.add_argument("--docs", type=Path, help="write the tables into this Markdown file")
    parser.add_argument("--section", default="curve", help="the --docs block's name")
    parser.add_argument("--profile", type=Path, help="keep profiles in this folder")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--base", type=Path, help="another checkout whose pack the +basepack configs run"
    )
    args = parser.parse_args(argv)

    records: list[dict[str, Any]] = []
    if args.json and args.json.exists():
        records = json.loads(args.json.read_text())
    if not args.report:
        # SIGTERM ends the run like Ctrl-C: the servers are stopped, the work folder removed.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        run(args, records)
    text = tables(records)
    print(text)
    if args.docs:
        write_docs(args.docs, args.section, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
