"""The pull-request workflow's preview job, step by step as ``.github/workflows/pull-request.yml``
spells it, on a fresh checkout, against the engine tier's API servers.

Each ``run:`` script runs through ``bash -eo pipefail`` in the checkout with the step's ``env``
(``${{ github.workspace }}`` is the checkout, ``${{ secrets.* }}`` empty: the stack's provider
credentials are its secret config) and the ``GITHUB_ENV`` the earlier steps wrote. The ``uses:``
steps are what the runner would do here: ``actions/checkout`` is the copy of this repository's
files, ``actions/setup-python`` this machine's Python 3.11, ``pulumi/actions`` without a command
puts ``.engine/bin`` on ``PATH`` (the CLI and the language host ``make engine`` builds), and the
preview step runs the command the action runs for its inputs: ``pulumi preview --stack prod
--policy-pack policies --diff``.

One step cannot run here as written, and the test runs for it what the current language host
runs (docs/engine.md): the project's own ``pulumi install`` first installs ``Pulumi.yaml``'s
``packages`` (the nsxt/avi SDKs generated through the ``terraform-provider`` plugin, which
nothing here can download), so a ``pulumi`` shim on that step's ``PATH`` answers ``pulumi
install`` in the project folder with ``python -m venv .venv`` and ``.venv/bin/python -m pip
install -r requirements.txt``. ``cd policies && pulumi install`` runs for real, through the
built host: it creates ``policies/venv`` and installs the pack's ``paif-pulumi`` requirement
from the wheel the job built (``PIP_FIND_LINKS``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.cluster import BIN, ROOT
from tests.engine.harness import PASSPHRASE, Project
from tests.engine.sites import Layout, Site, engine_config, stack_secrets, start_site

WORKFLOW = ROOT / ".github" / "workflows" / "pull-request.yml"
STACK = "prod"


def fresh_checkout(directory: Path) -> Path:
    """The repository's files, as ``actions/checkout`` leaves them (no venv, no build)."""
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, text=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return directory


def root_install_shim(folder: Path, real: Path) -> Path:
    """``pulumi install`` in a project with ``packages``: what the current host runs for the
    program's venv (docs/engine.md); every other command goes to the real CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "pulumi"
    shim.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = install ] && grep -q "^packages:" Pulumi.yaml 2>/dev/null; then\n'
        "  python -m venv .venv && exec .venv/bin/python -m pip install -r requirements.txt\n"
        "fi\n"
        f'exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return folder


EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def expand(value: str, workspace: Path) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression == "github.workspace":
            return str(workspace)
        if expression.startswith("secrets."):
            return ""
        raise AssertionError(f"the test cannot evaluate ${{{{ {expression} }}}}")

    return EXPRESSION.sub(one, value)


def github_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


@pytest.fixture(scope="module")
def job_site(etcd: Any, namespaces: Layout, tmp_path_factory: pytest.TempPathFactory) -> Any:
    site = start_site(etcd, "preview-job", tmp_path_factory.mktemp("job-api"), namespaces)
    yield site
    site.stop()


def test_the_preview_job_passes_as_the_workflow_spells_it(
    workspace: dict[str, Any], job_site: Site, tmp_path: Path
) -> None:
    checkout = fresh_checkout(tmp_path / "workspace")
    runner = tmp_path / "runner"
    runner.mkdir()
    # The stack exists in the backend the repository's secrets name, pointed at this site.
    stack_env = {
        **workspace["env"],
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    }
    (tmp_path / "backend").mkdir()
    project = Project(checkout, stack_env, workspace["pack"])
    project.init_stack(STACK, engine_config(STACK, job_site), stack_secrets(job_site))

    base_path = os.pathsep.join(
        [p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)]
    )
    env: dict[str, str] = {
        "PATH": base_path,
        "HOME": str(runner),
        "RUNNER_TEMP": str(runner),
        "GITHUB_WORKSPACE": str(checkout),
        "GITHUB_ENV": str(runner / "github-env"),
        "PULUMI_HOME": stack_env["PULUMI_HOME"],
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
        "PULUMI_BACKEND_URL": stack_env["PULUMI_BACKEND_URL"],
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # The runner's pip cache: this machine's, so packages are not downloaded again.
        "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip"),
    }
    (runner / "github-env").write_text("", encoding="utf-8")
    standin = workspace["base"] / "standin"  # the stand-in providers (conftest.workspace)
    ran: list[str] = []
    preview = None
    for step in yaml.safe_load(WORKFLOW.read_text())["jobs"]["preview"]["steps"]:
        name = step["name"]
        step_env = {**env, **github_env(runner / "github-env")}
        step_env.update({k: expand(str(v), checkout) for k, v in (step.get("env") or {}).items()})
        if "uses" in step:
            action = step["uses"].split("@")[0]
            if action == "pulumi/actions" and "command" not in step.get("with", {}):
                # The CLI: the one built from source, its language host beside it. The
                # stand-in vSphere and Harbor providers answer for the site (docs/engine.md).
                env["PATH"] = os.pathsep.join([str(BIN), str(standin), env["PATH"]])
            elif action == "pulumi/actions":
                preview = step["with"]
            else:
                assert action in ("actions/checkout", "actions/setup-python"), action
            ran.append(name)
            continue
        if step["run"].startswith("pulumi install"):
            shim = root_install_shim(runner / "shim", BIN / "pulumi")
            step_env["PATH"] = os.pathsep.join([str(shim), step_env["PATH"]])
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=checkout,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert result.returncode == 0, f"{name}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        ran.append(name)
    # The pack's own venv, with this checkout's wheel in it, made by `pulumi install` there.
    pack_python = checkout / "policies" / "venv" / "bin" / "python"
    version = subprocess.run(
        [str(pack_python), "-c", "import importlib.metadata as m; print(m.version('paif-pulumi'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "0.1.0"
    assert not (checkout / "policies" / "pyvenv.cfg").exists(), "the pack folder became a venv"

    # The preview step: what pulumi/actions runs for command preview, policyPacks, diff.
    assert preview is not None
    assert (preview["command"], preview["policyPacks"], preview["diff"]) == (
        "preview",
        "policies",
        True,
    )
    command = ["pulumi", "preview", "--stack", STACK, "--policy-pack", "policies", "--diff"]
    result = subprocess.run(
        [*command, "--non-interactive"],
        cwd=checkout,
        env={**env, **github_env(runner / "github-env")},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    # The pack in policies/ ran (through the host, in policies/venv) and passed the stack.
    assert re.search(r"paif-production\|local\|policies\s+0\.1\.0", result.stdout), result.stdout[
        -3000:
    ]
    assert ran[-1] == "pulumi preview with the policy pack"
