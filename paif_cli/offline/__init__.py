"""What the offline plan answers in place of real providers: invokes and computed outputs.

One module per provider. Each maps a type token (resources) or an invoke token to a function
of the mock args that returns camelCase wire values. Answers are deterministic: the same
program gives byte-identical plans. Unknown invokes are errors, never a silent ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paif_cli.offline import harbor, kubernetes, vsphere

Computed = Callable[[Any], dict[str, Any]]

COMPUTED: dict[str, Computed] = {**vsphere.COMPUTED, **kubernetes.COMPUTED, **harbor.COMPUTED}
INVOKES: dict[str, Computed] = {**vsphere.INVOKES, **kubernetes.INVOKES, **harbor.INVOKES}

__all__ = ["COMPUTED", "INVOKES"]
