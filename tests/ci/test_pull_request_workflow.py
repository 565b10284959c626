"""The pull-request workflow: valid for GitHub, and its offline gate runs as written.

The gate job is executed step by step the way a runner would: each ``run:`` script through
``bash -eo pipefail`` in a checkout, each ``if:`` evaluated (a pull-request event), the default
``success()`` rule honoured after a failing step. The checkout is this repository (symlinked),
with ``.venv`` standing in for what ``make install`` builds (its stamp is fresh, so the real
``make install`` is a no-op) and ``.venv/bin/paif`` running this interpreter. The ``uses:``
steps are checked for what they would consume: the SARIF files per stack, the comment body,
the artifact folder. The preview job's set-up is held to the commands
``tests/engine/test_preview_job.py`` runs, and the daily drift workflow (``drift.yml``) to the
same set-up, its report step run on drift and on none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PULL_REQUEST = ROOT / ".github" / "workflows" / "pull-request.yml"
# What a checkout of this repository holds that the gate needs.
CHECKOUT = (
    "Makefile",
    "scripts",
    "pyproject.toml",
    "requirements.txt",
    "Pulumi.yaml",
    "Pulumi.prod.yaml",
    "Pulumi.dr.yaml",
    "__main__.py",
    "components",
    "policies",
    "paif_cli",
)
STACKS = ("prod", "dr")


def load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the `on:` key as True; GitHub means "on".
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:
        document["on"] = document.pop(True)
    return document


def test_workflow_files_validate_against_the_github_workflow_schema():
    assert PULL_REQUEST in WORKFLOWS
    run = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in WORKFLOWS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def test_the_gate_job_needs_no_credentials_and_reports_whatever_the_gate_says():
    workflow = load(PULL_REQUEST)
    assert "pull_request" in workflow["on"]
    gate = workflow["jobs"]["gate"]
    assert "secrets." not in yaml.safe_dump(gate)
    steps = gate["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0] == "make install"
    assert runs[1] == ".venv/bin/paif plan --stack prod --stack dr --out out --format markdown"
    uploads = [
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    ]
    assert [(u["with"]["sarif_file"], u["with"]["category"]) for u in uploads] == [
        (f"out/{stack}/policy.sarif", f"paif-policy-{stack}") for stack in STACKS
    ]
    plan_index = next(i for i, s in enumerate(steps) if s.get("id") == "plan")
    for step in steps[plan_index + 1 :]:
        assert step["if"].startswith("always()"), step["name"]
    assert gate["permissions"]["security-events"] == "write"


def test_the_real_preview_runs_only_with_a_backend_secret(tmp_path: Path):
    jobs = load(PULL_REQUEST)["jobs"]
    check = jobs["credentials"]["steps"][0]
    assert set(check["env"]) == {
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
    }
    assert jobs["credentials"]["outputs"]["preview"] == "${{ steps.check.outputs.preview }}"
    preview = jobs["preview"]
    assert preview["needs"] == "credentials"
    assert preview["if"] == "needs.credentials.outputs.preview == 'true'"
    assert preview["strategy"]["matrix"]["stack"] == list(STACKS)
    (action,) = [s for s in preview["steps"] if s.get("with", {}).get("command")]
    assert action["uses"].startswith("pulumi/actions@")
    assert action["with"]["command"] == "preview"
    assert action["with"]["policyPacks"] == "policies"
    assert action["with"]["comment-on-pr"] is True
    installs = [s["run"] for s in preview["steps"] if "run" in s]
    assert "make install" in installs
    assert any(r.startswith("pulumi install") for r in installs)
    # Outcome of the check script for each secret combination (no secret value is printed).
    script = check["run"]
    for env, expected in (
        ({}, "false"),
        ({"PULUMI_ACCESS_TOKEN": "t"}, "true"),
        ({"PULUMI_BACKEND_URL": "s3://b"}, "false"),
        ({"PULUMI_BACKEND_URL": "s3://b", "PULUMI_CONFIG_PASSPHRASE": "p"}, "true"),
    ):
        assert run_check(script, env, tmp_path) == f"preview={expected}"


def run_check(script: str, env: Mapping[str, str], directory: Path) -> str:
    output = directory / "github-output"
    output.write_text("", encoding="utf-8")
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        check=True,
    )
    return output.read_text(encoding="utf-8").strip()


# --- running the gate job ---------------------------------------------------------------------


def checkout(directory: Path) -> Path:
    """A checkout of this repository with the venv `make install` would have made."""
    directory.mkdir(parents=True)
    for name in CHECKOUT:
        (directory / name).symlink_to(ROOT / name)
    bin_dir = directory / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    paif = bin_dir / "paif"
    paif.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m paif_cli.main "$@"\n', encoding="utf-8")
    paif.chmod(0o755)
    # Newer than pyproject.toml, the runtime's first: nothing to do.
    for stamp in (".installed-runtime", ".installed"):
        (directory / ".venv" / stamp).touch()
    return directory


CONDITION = re.compile(
    r"always\(\)|github\.event_name == 'pull_request'|hashFiles\('([^']+)'\) != ''|&&"
)


def condition(expression: str | None, workspace: Path, failed: bool) -> bool:
    """Evaluate the `if:` of a step for a pull-request event."""
    if expression is None:
        return not failed  # success()
    if CONDITION.sub("", expression).strip():
        raise AssertionError(f"the test cannot evaluate this `if:` yet: {expression!r}")
    if "always()" not in expression and failed:
        return False
    return all((workspace / path).exists() for path in CONDITION.findall(expression) if path)


@dataclass
class Gate:
    workspace: Path
    summary: str
    exits: dict[str, int]
    uses: list[dict[str, Any]]


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    if shutil.which("make") is None or shutil.which("bash") is None:
        pytest.fail("the gate job runs `make` and `bash` (the README's install command)")
    root = tmp_path_factory.mktemp("runner")
    workspace = checkout(root / "workspace")
    summary = root / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "pull_request",
    }
    exits: dict[str, int] = {}
    uses: list[dict[str, Any]] = []
    failed = False
    for step in load(PULL_REQUEST)["jobs"]["gate"]["steps"]:
        if not condition(step.get("if"), workspace, failed):
            continue
        name = step["name"]
        if "uses" in step:
            action = step["uses"].split("@")[0]
            if action == "actions/checkout" and "path" in step.get("with", {}):
                # The base branch; here the same commit, so its plan equals this one.
                checkout(workspace / step["with"]["path"])
            uses.append(step)
            continue
        assert "${{" not in step["run"], f"{name}: expressions in run scripts are not emulated"
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        exits[name] = run.returncode
        if run.returncode != 0 and not step.get("continue-on-error"):
            failed = True
    return Gate(workspace, summary.read_text(encoding="utf-8"), exits, uses)


def mandatory_failures(workspace: Path) -> int:
    count = 0
    for stack in STACKS:
        plan = json.loads((workspace / "out" / stack / "plan.json").read_text(encoding="utf-8"))
        count += sum(
            1
            for v in plan["policy"]["violations"]
            if v["enforcement"] == "mandatory" and not v.get("waived")
        )
    return count


def test_gate_plans_both_stacks_and_fails_exactly_on_mandatory_findings(gate):
    assert gate.exits["Install (the README's command)"] == 0
    code = gate.exits["Plan prod and dr offline and gate them with the policy pack"]
    assert code == (1 if mandatory_failures(gate.workspace) else 0)
    for stack in STACKS:
        for report in ("plan.json", "policy.sarif", "policy.md", "policy-junit.xml"):
            assert (gate.workspace / "out" / stack / report).is_file()
    assert (gate.workspace / "out" / "topology.svg").is_file()


def test_report_steps_run_after_the_gate_and_produce_what_the_actions_upload(gate):
    # Every report step ran and succeeded, whatever the gate's exit code.
    for name in (
        "Plan the base branch",
        "Diff the plans (base → this branch)",
        "Write the report (job summary and comment body)",
    ):
        assert gate.exits[name] == 0, name
    for step in gate.uses:
        inputs = step.get("with", {})
        if step["uses"].startswith("github/codeql-action/upload-sarif"):
            sarif = json.loads((gate.workspace / inputs["sarif_file"]).read_text(encoding="utf-8"))
            assert sarif["version"] == "2.1.0"
            assert sarif["runs"][0]["tool"]["driver"]["name"] == "paif"
        elif step["uses"].startswith("actions/upload-artifact"):
            assert (gate.workspace / inputs["path"]).is_dir()
    used = {s["uses"].split("@")[0] for s in gate.uses}
    assert used == {
        "actions/checkout",
        "actions/setup-python",
        "github/codeql-action/upload-sarif",
        "actions/upload-artifact",
        "actions/github-script",
    }
    comment = (gate.workspace / "out" / "pr-comment.md").read_text(encoding="utf-8")
    policy_summary = (gate.workspace / "out" / "policy-summary.md").read_text(encoding="utf-8")
    assert comment.startswith("<!-- paif-plan -->\n" + policy_summary)
    # The base is the same commit here: its plan diff is empty.
    assert "No changes: both sides declare the same resources" in comment
    diff = json.loads((gate.workspace / "out" / "plan-diff.json").read_text(encoding="utf-8"))
    assert diff["empty"] is True and set(diff["stacks"]) == set(STACKS)
    assert gate.summary.startswith(comment)
    for stack in STACKS:
        report = (gate.workspace / "out" / stack / "policy.md").read_text(encoding="utf-8")
        assert report in gate.summary


# --- the preview job and the drift workflow ---------------------------------------------------

DRIFT = ROOT / ".github" / "workflows" / "drift.yml"
WHEEL = ".venv/bin/python -m pip wheel --no-deps --wheel-dir dist ."
PULUMI_INSTALL = "pulumi install\ncd policies && pulumi install\n"


def _setup_steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The job's steps up to and including ``pulumi install``: checkout to dependencies."""
    steps = job["steps"]
    end = next(i for i, s in enumerate(steps) if s.get("run") == PULUMI_INSTALL)
    return steps[: end + 1]


def test_the_preview_job_installs_the_policy_pack_from_this_checkout():
    """The pack pins paif-pulumi==<version> (as the pack published alone needs); on the runner
    that distribution is this checkout's wheel, which `pulumi install` finds in dist/.
    tests/engine/test_preview_job.py runs these commands against the engine tier."""
    preview = load(PULL_REQUEST)["jobs"]["preview"]
    steps = _setup_steps(preview)
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0] == "make install"
    assert runs[1] == WHEEL
    assert runs[-1] == PULUMI_INSTALL
    [install] = [s for s in steps if s.get("run") == PULUMI_INSTALL]
    assert install["env"] == {"PIP_FIND_LINKS": "${{ github.workspace }}/dist"}
    [cli] = [s for s in steps if s.get("uses", "").startswith("pulumi/actions@")]
    assert steps.index(cli) < steps.index(install)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    requirements = (ROOT / "policies" / "requirements.txt").read_text().splitlines()
    assert [r for r in requirements if r and not r.startswith("#")] == [f"paif-pulumi=={version}"]


def test_the_drift_workflow_runs_daily_and_sets_up_as_the_preview_job_does():
    workflow = load(DRIFT)
    assert workflow["on"]["schedule"] == [{"cron": "23 5 * * *"}]
    assert "workflow_dispatch" in workflow["on"]
    pull_request = load(PULL_REQUEST)["jobs"]
    jobs = workflow["jobs"]
    assert jobs["credentials"] == pull_request["credentials"]
    drift = jobs["drift"]
    assert drift["needs"] == "credentials"
    assert drift["if"] == "needs.credentials.outputs.preview == 'true'"
    assert drift["strategy"]["matrix"]["stack"] == list(STACKS)
    assert _setup_steps(drift) == _setup_steps(pull_request["preview"])
    by_id = {s["id"]: s for s in drift["steps"] if "id" in s}
    refresh = by_id["refresh"]["run"]
    assert 'pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff' in refresh
    assert "--policy-pack policies" in refresh
    verify = by_id["verify"]["run"]
    assert verify.startswith('.venv/bin/paif verify --stack "$STACK_FILE" --out out')
    for step in (by_id["refresh"], by_id["verify"]):
        assert step["continue-on-error"] is True
    assert drift["steps"][-1]["if"] == (
        "steps.refresh.outcome == 'failure' || steps.verify.outcome == 'failure'"
    )
    for step in drift["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def _drift_summary(tmp_path: Path, refresh: str, *, drift: str | None, verify: str | None) -> str:
    [report] = [s for s in load(DRIFT)["jobs"]["drift"]["steps"] if s["name"].startswith("Drift")]
    workspace = tmp_path / refresh
    (workspace / "out" / "prod").mkdir(parents=True)
    if drift is not None:
        (workspace / "out" / "drift.txt").write_text(drift, encoding="utf-8")
    if verify is not None:
        (workspace / "out" / "prod" / "verify.md").write_text(verify, encoding="utf-8")
    summary = workspace / "summary.md"
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_STEP_SUMMARY": str(summary),
        "STACK_FILE": "prod",
        "REFRESH": refresh,
        "VERIFY": "success" if verify else "failure",
    }
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", report["run"]],
        cwd=workspace,
        env=env,
        check=True,
    )
    return summary.read_text(encoding="utf-8")


def test_the_drift_report_says_what_drifted(tmp_path: Path):
    diff = "~ vsphere:index/computeCluster:ComputeCluster seoul-primary-gpu-cluster update\n"
    drifted = _drift_summary(tmp_path, "failure", drift=diff, verify="## paif verify\nok\n")
    assert drifted.startswith("## Drift of `prod`\n\n❌ The live site differs from the stack")
    assert "```\n" + diff + "```\n</details>" in drifted
    assert drifted.endswith("## paif verify\nok\n")
    clean = _drift_summary(tmp_path, "success", drift="", verify=None)
    assert "✅ The live site matches the stack" in clean
    assert "<details>" not in clean
    assert clean.endswith("paif verify wrote no report (outcome: failure).\n")
