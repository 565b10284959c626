"""The plan's shortcuts change how fast it is, never what it writes.

Planned with every shortcut off (``--no-sdk-shortcuts``: the stock mock runtime with a thread
per monitor call, the SDK's stack traces, dependency sets and type unwrapping, the analyzer
protocol's every request with the SDK's own conversions; and PyYAML's Python emitter and
parser, ``json.dumps``, text files, one stack at a time) the example
stacks give the same out tree, byte for byte, as with all of them on and the stacks planned
in parallel.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from paif_cli import json_text, write
from paif_cli.main import main
from paif_components import yaml_text
from paif_components.config import loader
from tests.support.stacks import ROOT, load_example, write_project

STACKS = ["--stack", "prod", "--stack", "dr"]


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _plan(out: Path, *extra: str) -> dict[str, bytes]:
    argv = ["plan", *STACKS, "--project-dir", str(ROOT), "--out", str(out), "--quiet", *extra]
    assert main(argv) == 0
    return _tree(out)


@pytest.fixture
def shortcuts_off(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The flag that turns the SDK shortcuts off (paif_cli.sdk_adapter), and every other
    shortcut of the plan replaced by the plain code it stands for."""
    monkeypatch.setattr(yaml_text, "safe_dump", yaml.safe_dump)
    monkeypatch.setattr(loader, "_CStackFileLoader", loader.StackFileLoader)
    monkeypatch.setattr(json_text, "dumps", lambda document: json.dumps(document, indent=2))
    monkeypatch.setattr(
        write, "_write_text", lambda path, text: Path(path).write_text(text, encoding="utf-8")
    )
    return ["--no-sdk-shortcuts"]


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _plan(tmp_path_factory.mktemp("fast") / "out", "--jobs", "2")


def test_every_shortcut_off_writes_the_same_bytes(
    fast: dict[str, bytes], shortcuts_off: list[str], tmp_path: Path
) -> None:
    plain = _plan(tmp_path / "out", "--jobs", "1", *shortcuts_off)
    assert sorted(plain) == sorted(fast)
    assert len(plain) > 100
    for name, content in plain.items():
        assert fast[name] == content, name


def test_one_job_and_two_jobs_write_the_same_bytes(fast: dict[str, bytes], tmp_path: Path) -> None:
    assert _plan(tmp_path / "out", "--jobs", "1") == fast


def _errors(project: Path, stacks: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The errors of ``paif plan`` with one job and with two: the same, nothing written."""
    messages = []
    for jobs in ("1", "2"):
        argv = ["plan", *stacks, "--project-dir", str(project), "--out", str(out / jobs)]
        assert main([*argv, "--jobs", jobs, "--quiet"]) == 2
        messages.append(capsys.readouterr().err)
        assert not (out / jobs).exists()
    assert messages[0] == messages[1]
    return messages[0]


def _bad_site(stack: str) -> dict:
    config = load_example(stack)
    config["paif:site"]["name"] = "Not A DNS Name"
    return config


def test_a_failing_worker_stack_is_reported_as_with_one_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path / "project", {"prod": load_example("prod"), "dr": _bad_site("dr")}
    )
    message = _errors(project, STACKS, tmp_path, capsys)
    assert "Pulumi.dr.yaml" in message and "paif:site.name" in message


def test_the_first_failing_stack_in_order_is_reported_as_with_one_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # prod runs here, "one" in a worker, "two" here while "one" runs: both fail, and one job
    # would have stopped at "one".
    stacks = {"prod": load_example("prod"), "one": _bad_site("prod"), "two": _bad_site("prod")}
    stacks["two"]["paif:environment"] = "nowhere"
    project = write_project(tmp_path / "project", stacks)
    argv = ["--stack", "prod", "--stack", "one", "--stack", "two"]
    message = _errors(project, argv, tmp_path, capsys)
    assert "Pulumi.one.yaml" in message and "paif:site.name" in message
    assert "Pulumi.two.yaml" not in message


def test_the_console_script_flushes_before_it_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "paif_cli.main", "plan", *STACKS, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"wrote {tmp_path / 'topology.svg'}")
    assert "Stack prod" in done.stdout and "Stack dr" in done.stdout


def test_jobs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "--stack", "prod", "--jobs", "0"])
    assert exit_.value.code == 2
    assert "--jobs: must be 1 or more, not 0" in capsys.readouterr().err


def test_collector_settings_are_the_callers_again_unless_the_process_ends(tmp_path: Path) -> None:
    import gc

    from paif_cli.main import PLAN_GC_THRESHOLDS

    before = gc.get_threshold()
    assert before != PLAN_GC_THRESHOLDS
    argv = ["plan", "--stack", "prod", "--project-dir", str(ROOT), "--quiet", "--format", "none"]
    try:
        assert main([*argv, "--out", str(tmp_path / "a")]) == 0
        assert gc.get_threshold() == before and gc.isenabled()
        assert main([*argv, "--out", str(tmp_path / "b")], ending=True) == 0
        assert gc.get_threshold() == PLAN_GC_THRESHOLDS and gc.isenabled()
    finally:
        gc.set_threshold(*before)


def test_the_collector_pause_keeps_a_disabled_collector_disabled() -> None:
    import gc

    from paif_cli.collector import collector_paused

    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
