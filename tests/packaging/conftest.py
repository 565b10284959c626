"""The packaging tier (``make test-install``): the project as a user gets it, not as we run it.

One venv per session, made the way a user or Pulumi Cloud makes it: a wheel built from the
working tree, then ``pip install -r <pack folder>/requirements.txt`` with only that wheel as the
extra source. That is at once a plain, non-editable install of ``paif-pulumi`` (no extras) and
the policy pack's own environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.installed import Installed
from tests.support.stacks import ROOT


def _run(*args: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    # Build from a copy of the tracked sources: an sdist-like tree with no .venv, out/ or caches.
    source = base / "source"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source)

    # The pack folder alone, as `pulumi policy publish` ships it.
    pack_dir = base / "shipped" / "paif-pack"
    shutil.copytree(
        ROOT / "policies", pack_dir, ignore=shutil.ignore_patterns("venv", "__pycache__")
    )

    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run(
        python, "-m", "pip", "install", "-q", "--find-links", wheels,
        "-r", pack_dir / "requirements.txt",
    )  # fmt: skip
    yield Installed(python=python, paif=env_dir / "bin" / "paif", pack_dir=pack_dir)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """A working directory that is neither the repository nor its parent."""
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)
