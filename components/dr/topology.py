"""Derive the DR site's declared config from the primary's, by DR pattern (§9.3.3)."""

from __future__ import annotations

from components.config.models import StackConfig


def site_config_for(config: StackConfig, primary: StackConfig | None) -> StackConfig:
    """The config this stack builds: its own, or for a DR stack, the primary's tenants adapted."""
    if config.dr.role != "dr" or primary is None:
        return config
    return config.model_copy(update={"tenants": list(primary.tenants)})
