"""Run by the Makefile with the Python it is about to use, before anything is installed.

Prints one line and exits 1 when that Python is outside pyproject.toml's ``requires-python``;
removes ``.venv`` (saying so in one line) when it was made by another Python, so the stamps in
it cannot make ``make`` skip the reinstall. Written for old Pythons too (3.6 syntax; older
ones get the Makefile's own line), since its job is to tell them they are too old.
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def required() -> "tuple[tuple[int, int], tuple[int, int], str]":
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    spec = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M)
    if spec is None:
        return (0, 0), (99, 0), "any"
    low = re.search(r">=\s*(\d+)\.(\d+)", spec.group(1))
    high = re.search(r"<\s*(\d+)\.(\d+)", spec.group(1))
    return (
        (int(low.group(1)), int(low.group(2))) if low else (0, 0),
        (int(high.group(1)), int(high.group(2))) if high else (99, 0),
        spec.group(1),
    )


def venv_version(venv: Path) -> "str | None":
    """The Python version recorded in the venv (``version`` of pyvenv.cfg), None without one."""
    try:
        cfg = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+(?:\.\d+)?)", cfg, re.M)
    return match.group(1) if match else "unknown"


def main() -> int:
    venv = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".venv"
    command = sys.argv[2] if len(sys.argv) > 2 else "python3"
    low, high, spec = required()
    here = sys.version_info[:2]
    version = "{}.{}.{}".format(*sys.version_info[:3])
    if not low <= here < high:
        wanted = f"{low[0]}.{low[1]}"
        print(
            f"paif-pulumi needs Python {spec} (pyproject.toml); {command} is Python {version}: "
            f"install Python {wanted} and run make PYTHON=python{wanted} (or put it first on PATH)"
        )
        return 1
    made_by = venv_version(venv)
    if made_by is not None and made_by.split(".")[:2] != version.split(".")[:2]:
        sys.stderr.write(
            f"make: {venv} was made by Python {made_by}, {command} is Python {version}: "
            "recreating it\n"
        )
        shutil.rmtree(str(venv))
    elif made_by is not None and not (venv / "bin" / "python").exists():
        sys.stderr.write(f"make: {venv} is broken (no bin/python): recreating it\n")
        shutil.rmtree(str(venv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
