"""Protobuf ``Struct`` values as the SDK sends them: strategies for property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from paif_cli.sdk_adapter.runtime import SECRET_SIG, SPECIAL_SIG_KEY, UNKNOWN

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.just(UNKNOWN),
)


def secret(value: Any) -> dict[str, Any]:
    """``value`` wrapped as the wire format marks a secret."""
    return {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}


VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3),
        children.map(secret),
    ),
    max_leaves=12,
)


def typed(value: Any) -> Any:
    """``value`` with every scalar's type beside it (``1.0`` and ``1`` differ)."""
    if isinstance(value, dict):
        return [(key, typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)
