"""The real Pulumi CLI driven the way a user drives it, in a throwaway project and backend.

Each command runs ``.engine/bin/pulumi`` with a file backend and a passphrase secrets provider in
a temporary folder, with the project's venv activated (its ``bin`` first on ``PATH``, as
``source .venv/bin/activate`` leaves it). The CLI runs ``__main__.py`` through the Python
language host ``make engine`` builds (``pulumi-language-python``), which finds the venv from
``Pulumi.yaml``'s ``virtualenv: .venv``: each project folder links ``.venv`` to this one's.
``--policy-pack`` gets a copy of ``policies/`` (a folder, as users give it), run by the same
host in its ``venv`` (PulumiPolicy.yaml's ``virtualenv: venv``), linked to this venv too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.engine.cluster import ROOT

ENGINE = ROOT / ".engine"
BIN = ENGINE / "bin"
STANDIN_PROVIDER = Path(__file__).resolve().parent / "standin_provider.py"
STANDIN_PACKAGES = ("vsphere", "harbor", "postgresql")
PASSPHRASE = "engine-tier-passphrase"
VENV = Path(sys.prefix)


def standin_providers(folder: Path) -> Path:
    """``pulumi-resource-vsphere``, ``-harbor`` and ``-postgresql`` launchers of the stand-in in
    ``folder`` (kept out of ``.engine/``: sourcing env.sh never puts a fake provider on PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    for package in STANDIN_PACKAGES:
        launcher = folder / f"pulumi-resource-{package}"
        launcher.write_text(
            f'#!/bin/sh\nPAIF_STANDIN_PACKAGE={package} exec "{sys.executable}" -u '
            f'"{STANDIN_PROVIDER}"\n',
            encoding="utf-8",
        )
        launcher.chmod(0o755)
    return folder


def engine_env(home: Path, backend: Path, standin: Path) -> dict[str, str]:
    """What ``source .engine/env.sh`` and ``source .venv/bin/activate`` set, plus the stand-in
    providers, a private PULUMI_HOME and the file backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "PYTHON"))}
    env.update(
        PATH=os.pathsep.join([str(VENV / "bin"), str(BIN), str(standin), env["PATH"]]),
        VIRTUAL_ENV=str(VENV),
        PULUMI_HOME=str(home),
        PULUMI_SKIP_UPDATE_CHECK="1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
        PULUMI_BACKEND_URL=f"file://{backend}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
    )
    return env


def policy_pack(folder: Path) -> Path:
    """A copy of ``policies/`` whose ``venv`` is this venv (paif-pulumi is installed in it)."""
    pack = folder / "policy-pack"
    shutil.copytree(ROOT / "policies", pack, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    (pack / "venv").symlink_to(VENV)
    return pack


def write_stack_files(directory: Path, stacks: dict[str, dict[str, Any]]) -> None:
    """A project folder with the real Pulumi.yaml and __main__.py, ``.venv`` linked to this
    venv, and these stack configs."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    if not (directory / ".venv").exists():
        (directory / ".venv").symlink_to(VENV)
    for stack, config in stacks.items():
        text = yaml.safe_dump({"config": config}, sort_keys=False)
        (directory / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")


@dataclass
class Project:
    """A project folder (the real Pulumi.yaml and __main__.py, the tests' stack files)."""

    directory: Path
    env: dict[str, str]
    pack: Path

    @classmethod
    def create(cls, directory: Path, env: dict[str, str], pack: Path) -> Project:
        directory.mkdir(parents=True)  # a new folder: projects never share one
        write_stack_files(directory, {})
        return cls(directory, env, pack)

    def init_stack(self, stack: str, config: dict[str, Any], secrets: dict[str, str]) -> None:
        self.pulumi("stack", "init", stack, "--secrets-provider", "passphrase")
        path = self.directory / f"Pulumi.{stack}.yaml"
        document = yaml.safe_load(path.read_text()) if path.exists() else {}
        document = document or {}
        document["config"] = config
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        for key, value in secrets.items():
            self.pulumi("config", "set", "--secret", "--stack", stack, key, "--", value)

    def pulumi(
        self, *args: str, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        # Flags go before a `--` that ends them (config set ... -- VALUE).
        split = args.index("--") if "--" in args else len(args)
        command = [str(BIN / "pulumi"), *args[:split], "--non-interactive", *args[split:]]
        result = subprocess.run(
            command,
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{_essentials(result.stdout)}\nstderr:\n{result.stderr[-6000:]}"
            )
        return result

    def preview_steps(self, stack: str, *extra: str) -> tuple[subprocess.CompletedProcess, Any]:
        result = self.pulumi("preview", "--stack", stack, "--json", *extra, check=False)
        try:
            return result, json.loads(result.stdout)
        except json.JSONDecodeError:
            return result, None

    def paif_plan(self, *stacks: str, extra: tuple[str, ...] = ()) -> tuple[int, Path]:
        out = self.directory / "paif-out"
        args = [
            str(Path(sys.executable).parent / "paif"),
            "plan",
            "--project-dir",
            str(self.directory),
        ]
        for stack in stacks:
            args += ["--stack", stack]
        result = subprocess.run(
            [*args, "--out", str(out), "--quiet", *extra], capture_output=True, text=True
        )
        return result.returncode, out


def _essentials(stdout: str) -> str:
    """The CLI's diagnostics and policy sections (what failed and why), else the tail."""
    start = min(
        (i for i in (stdout.find("Diagnostics:"), stdout.find("Policies:")) if i >= 0), default=-1
    )
    return stdout[start : start + 8000] if start >= 0 else stdout[-6000:]
