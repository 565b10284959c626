"""Import the project from another checkout of the repository: ``paif diff --base`` plans a git
revision with that revision's own code, and the benchmark's ``--source`` times another tree.

The distribution installs its folders under their own names (``components/`` as
``paif_components``, ``policies/`` as ``paif_policies``; docs/architecture.md, "The installed
layout"), and a development install maps those names to this checkout. Putting another tree on
``sys.path`` is not enough then: :func:`use_checkout` puts a finder in front that maps each
name to that tree's folder. A tree from before the layout (whose code imports ``components``)
is found through ``sys.path`` as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["FOLDERS", "bootstrap_code", "use_checkout"]

# Import name -> the repository folder it is (the package-dir of pyproject.toml).
FOLDERS = {"paif_components": "components", "paif_policies": "policies", "paif_cli": "paif_cli"}


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Finds the distribution's top-level packages in the folders of one checkout."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        folder = FOLDERS.get(fullname)
        init = self.tree / folder / "__init__.py" if folder else None
        if init is None or not init.is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname, init, submodule_search_locations=[str(init.parent)]
        )


def use_checkout(tree: Path) -> None:
    """Import this process's ``paif_components``, ``paif_policies`` and ``paif_cli`` (and, for an
    older tree, ``components``/``policies``) from ``tree``."""
    tree = Path(tree).resolve()
    sys.path.insert(0, str(tree))
    sys.meta_path.insert(0, _CheckoutFinder(tree))


def bootstrap_code(tree: Path, module: str = "paif_cli.main") -> str:
    """Self-contained ``python -c`` code that runs ``module`` as ``__main__`` with the packages of
    ``tree`` (what :func:`use_checkout` does, for a child process; its arguments follow)."""
    return f"""\
import importlib.util, runpy, sys
from pathlib import Path

TREE = Path({str(Path(tree).resolve())!r})
FOLDERS = {FOLDERS!r}


class Finder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        folder = FOLDERS.get(name)
        init = TREE / folder / "__init__.py" if folder else None
        if init is None or not init.is_file():
            return None
        where = [str(init.parent)]
        return importlib.util.spec_from_file_location(name, init, submodule_search_locations=where)


sys.path.insert(0, str(TREE))
sys.meta_path.insert(0, Finder)
runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
"""
