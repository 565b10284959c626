"""How a plan records what it cannot show."""

from __future__ import annotations

from typing import Final

# A secret value, as the offline plan (paif_cli.mock_runtime) records it in plan.json and in the
# props the policies read: the rules that look for plaintext credentials skip it.
SECRET_PLACEHOLDER: Final = "[secret]"
