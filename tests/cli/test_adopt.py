"""paif adopt: what adopting existing objects will change, read from `pulumi preview --json`,
and the import ids written into the stack file (a stand-in `pulumi` answers here; the engine
tier runs it with the real CLI, tests/engine/test_adopt.py)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from paif_cli.adopt import planned_adoptions
from paif_cli.main import main
from tests.support.stacks import load_example, write_project

CLUSTER = "vsphere:index/computeCluster:ComputeCluster"
SYSTEM = ("/usr/bin", "/bin")


def _project(tmp_path: Path, ownership: dict[str, Any] | None) -> Path:
    config = copy.deepcopy(load_example("prod"))
    if ownership is not None:
        config["paif:ownership"] = ownership
    return write_project(tmp_path / "project", {"prod": config})


def _fake_pulumi(tmp_path: Path, digest: dict[str, Any] | str) -> Path:
    """A `pulumi` that prints ``digest`` for `preview --json` and logs `config set`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (tmp_path / "digest.json").write_text(
        digest if isinstance(digest, str) else json.dumps(digest), encoding="utf-8"
    )
    script = folder / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{tmp_path}/calls"\n'
        f'if [ "$1" = preview ]; then cat "{tmp_path}/digest.json"; fi\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


def _steps(project: Path, live: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A preview digest as CLI v3.276.0 prints it: per adopted object an import step (read
    inputs as oldState), then an update step where ``live`` differs from what is declared."""
    from paif_cli.pipeline import plan_stack

    plan = plan_stack(project, "prod", gate=False)
    steps = []
    for record in plan.result.resources:
        if record.import_id is None:
            continue
        declared = record.inputs
        read = {**declared, **live.get(record.type, {})}
        steps.append(
            {
                "op": "import",
                "urn": record.urn,
                "oldState": {"type": record.type, "inputs": read},
                "newState": {"type": record.type, "importID": record.import_id, "inputs": read},
                "detailedDiff": None,
            }
        )
        changed = sorted(k for k in live.get(record.type, {}) if read[k] != declared.get(k))
        if changed:
            steps.append(
                {
                    "op": "update",
                    "urn": record.urn,
                    "oldState": {"type": record.type, "inputs": read},
                    "newState": {"type": record.type, "inputs": declared},
                    "diffReasons": changed,
                    "detailedDiff": {k: {"kind": "update", "inputDiff": True} for k in changed},
                }
            )
    return {"steps": steps, "changeSummary": {}}


def _adopt(
    monkeypatch: pytest.MonkeyPatch, project: Path, bin_dir: Path | None, *extra: str
) -> int:
    # The shell's tools, and no Pulumi CLI but the stand-in (if any).
    monkeypatch.setenv("PATH", os.pathsep.join([*([str(bin_dir)] if bin_dir else []), *SYSTEM]))
    return main(["adopt", "--stack", "prod", "--project-dir", str(project), *extra])


def test_a_stack_that_adopts_nothing_needs_no_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _adopt(monkeypatch, _project(tmp_path, None), None) == 0
    assert capsys.readouterr().out.startswith(
        "Stack prod (Pulumi.prod.yaml): 0 object(s) to adopt, 0 referenced"
    )


def test_differences_are_listed_and_import_ids_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, {"computeCluster": "adopt", "contentLibrary": "adopt"})
    digest = _steps(project, {CLUSTER: {"drsAutomationLevel": "manual"}})
    bin_dir = _fake_pulumi(tmp_path, digest)
    assert _adopt(monkeypatch, project, bin_dir) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:5] == [
        "Stack prod (Pulumi.prod.yaml): 2 object(s) to adopt, 0 referenced",
        "  computeCluster gpu-wld-01 (import id /dc-primary/host/gpu-wld-01): imported by the "
        "first `pulumi up`",
        '      drsAutomationLevel: declared "fullyAutomated", live "manual"',
        "  contentLibrary gpu-wld-01-dlvm (import id "
        + next(s for s in digest["steps"] if "dlvm" in s["urn"])["newState"]["importID"]
        + "): imported by the first `pulumi up`",
        "      the live object matches the declared settings",
    ]
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "preview --stack prod --json --non-interactive"
    assert calls[1] == (
        'config set --path --stack prod paif:ownership.importIds.computeCluster["gpu-wld-01"] -- '
        "/dc-primary/host/gpu-wld-01"
    )
    assert calls[2].startswith(
        'config set --path --stack prod paif:ownership.importIds.contentLibrary["gpu-wld-01-dlvm"]'
    )
    # While a difference remains, --exit-code fails; --no-write writes nothing.
    (tmp_path / "calls").unlink()
    assert _adopt(monkeypatch, project, bin_dir, "--exit-code", "--no-write") == 1
    assert len((tmp_path / "calls").read_text().splitlines()) == 1


def test_a_replacement_or_a_failed_preview_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, {"computeCluster": "adopt"})
    [(urn, _, _)] = planned_adoptions(project, "prod", None)[1]
    digest = {"steps": [{"op": "replace", "urn": urn, "detailedDiff": {"name": {}}}]}
    assert _adopt(monkeypatch, project, _fake_pulumi(tmp_path, digest)) == 1
    assert "would be REPLACED" in capsys.readouterr().out

    failed = {
        "steps": [],
        "diagnostics": [{"severity": "error", "message": "resource 'x' does not exist"}],
    }
    other = tmp_path / "other"
    other.mkdir()
    assert _adopt(monkeypatch, project, _fake_pulumi(other, failed)) == 2
    assert "  error: resource 'x' does not exist" in capsys.readouterr().out


def test_no_cli_or_no_preview_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, {"harborProjects": "adopt"})
    assert _adopt(monkeypatch, project, None) == 2
    assert "paif adopt reads the site through the Pulumi CLI, and `pulumi` is not on PATH" in (
        capsys.readouterr().err
    )
    assert _adopt(monkeypatch, project, _fake_pulumi(tmp_path, "error: no stack named 'prod'")) == 2
    assert "`pulumi preview --stack prod` printed no preview" in capsys.readouterr().err
