"""Entry point the Pulumi CLI runs for ``--policy-pack policies``: serve the pack, nothing else.

``PolicyPack(...)`` starts the analyzer's gRPC server and blocks, so every policy is defined in
importable modules (``policies.pack``, ``policies.rules``) that tests and ``paif plan`` use.
"""

import sys
from pathlib import Path

# The CLI runs this directory as a script (sys.path[0] is policies/); the rules import the
# project's `policies` and `components` packages from the directory above.
_PROJECT = str(Path(__file__).resolve().parent.parent)
if _PROJECT not in sys.path:
    sys.path.insert(0, _PROJECT)

from pulumi_policy import PolicyPack  # noqa: E402

from policies.pack import pack_arguments  # noqa: E402

PolicyPack(**pack_arguments())
