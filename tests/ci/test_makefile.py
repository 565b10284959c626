"""A newcomer's first `make`: a wrong Python and a `.venv` of another Python each get one clear
line, before anything is installed; `make plan` installs only what a plan needs.

Each case runs `make -n` (print, do not run, the recipes; the Makefile's Python check runs all
the same) in a copy of the Makefile, pyproject.toml and scripts/, never in the project itself.
A fake interpreter stands in for Python 3.10: the real one with ``sys.version_info`` replaced.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stacks import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "clone"
    project.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "scripts", project / "scripts")
    return project


def _fake_python(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    fake = tmp_path / f"python{version[0]}.{version[1]}"
    fake.write_text(
        "#!/bin/sh\n"
        f"exec {sys.executable} -c 'import runpy, sys; "
        f'sys.version_info = ({version[0]}, {version[1]}, {version[2]}, "final", 0); '
        "sys.argv = sys.argv[1:]; "
        'runpy.run_path(sys.argv[0], run_name="__main__")\' "$@"\n'
    )
    fake.chmod(0o755)
    return fake


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_3_10_gets_one_line_saying_what_is_needed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    fake = _fake_python(tmp_path, (3, 10, 12))
    done = _make(project, "plan", f"PYTHON={fake}")
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "paif-pulumi needs Python >=3.11,<3.14 (pyproject.toml)" in line
    assert f"{fake} is Python 3.10.12: install Python 3.11 and run make PYTHON=python3.11" in line
    assert not (project / ".venv").exists()


def test_a_missing_python_gets_one_line(tmp_path: Path) -> None:
    done = _make(_project(tmp_path), "test", "PYTHON=python3-that-is-not-there")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "python3-that-is-not-there was not found" in line


def test_a_venv_of_another_python_is_recreated_with_one_line(tmp_path: Path) -> None:
    project = _project(tmp_path)
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/usr/bin/python3.10")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.10.12\n")
    # Its stamps are newer than pyproject.toml: without the check make would keep it.
    (venv / ".installed-runtime").touch()
    (venv / ".installed").touch()
    done = _make(project, "plan", f"PYTHON={sys.executable}")
    assert done.returncode == 0, done.stderr
    version = ".".join(map(str, sys.version_info[:3]))
    assert done.stderr.splitlines() == [
        f"make: .venv was made by Python 3.10.12, {sys.executable} is Python {version}: "
        "recreating it"
    ]
    assert not venv.exists()
    assert f"{sys.executable} -m venv .venv" in done.stdout


def test_a_venv_of_this_python_is_kept(tmp_path: Path) -> None:
    project = _project(tmp_path)
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    version = ".".join(map(str, sys.version_info[:3]))
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n")
    (venv / ".installed-runtime").touch()
    done = _make(project, "plan", f"PYTHON={sys.executable}")
    assert (done.returncode, done.stderr) == (0, "")
    assert venv.is_dir()
    assert "-m venv" not in done.stdout  # nothing to install: straight to the plan
    assert done.stdout.strip().endswith("plan --stack prod --stack dr --out out")


def test_make_plan_installs_the_runtime_only_and_says_so(tmp_path: Path) -> None:
    done = _make(_project(tmp_path), "plan", f"PYTHON={sys.executable}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    installs = [line for line in lines if "pip install" in line]
    assert installs == [".venv/bin/python -m pip install --disable-pip-version-check "
                        "--progress-bar on -e ."]  # fmt: skip
    announced = next(line for line in lines if "make: installing" in line)
    assert "what a plan needs" in announced and "minutes" in announced
    # `make test` adds the test tools on top.
    test = _make(_project(tmp_path / "again"), "test", f"PYTHON={sys.executable}").stdout
    assert "-e '.[dev]'" in test


def test_the_readme_documents_make_clean_and_paif_diff() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make clean" in readme
    assert "paif diff" in readme


@pytest.mark.parametrize(
    ("target", "recipe"),
    [("engine", "bash engine/build.sh"), ("trivy", "bash scanners/build-trivy.sh")],
)
def test_the_build_targets_run_although_folders_of_their_names_exist(
    tmp_path: Path, target: str, recipe: str
) -> None:
    """engine/ is a folder of the project: without .PHONY, `make engine` would be 'up to date'."""
    project = _project(tmp_path)
    (project / target).mkdir(exist_ok=True)
    done = _make(project, target)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [recipe]
