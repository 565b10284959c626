"""Entry point the Pulumi CLI runs for ``--policy-pack <this folder>``: serve the pack.

The folder is also what ``pulumi policy publish`` ships alone, and Pulumi Cloud runs it with only
``requirements.txt`` installed. So this file imports the rules from the folder it sits in, under
the package name ``paif_policies`` whatever the folder is called, and the rules import the shared
constants and estimators from the ``paif-pulumi`` distribution that ``requirements.txt`` pins
(``paif_components``). Nothing here looks at the folders around it.

``PolicyPack(...)`` starts the analyzer's gRPC server and blocks, so every policy is defined in
importable modules (``paif_policies.pack``, ``paif_policies.rules``) that tests and ``paif plan``
use.
"""

import importlib.util
import sys
from pathlib import Path


def _load_this_folder_as_paif_policies() -> None:
    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        "paif_policies", here / "__init__.py", submodule_search_locations=[str(here)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - the file is beside this one
        raise ImportError(f"cannot load the policy pack from {here}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["paif_policies"] = module
    spec.loader.exec_module(module)


_load_this_folder_as_paif_policies()

from pulumi_policy import PolicyPack  # noqa: E402

from paif_policies.pack import pack_arguments  # noqa: E402

PolicyPack(**pack_arguments())
