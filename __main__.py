"""The stack program: typed config in, one PAIF site (and its DR role) out.

``pulumi up`` runs this file; so does ``paif plan``, under the SDK's mocks. Keep it thin: all
logic lives in ``components`` where it is tested.
"""

from paif_components.program import run

run()
