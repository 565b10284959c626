"""The ``paif:`` stack config contract (models), its units, and how it is read and checked.

The names below load their modules on first use: importing a light part of the package (its
units, its errors) does not build the pydantic models, which the policy pack never needs
(its start-up is on the critical path of every ``pulumi preview --policy-pack``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paif_components.config.errors import ConfigError, FieldError, MissingStackFile, Problem
    from paif_components.config.loader import (
        StackFile,
        parse_stack_config,
        plaintext_secret_keys,
        read_stack_file,
        runtime_config_values,
    )
    from paif_components.config.models import StackConfig

_MODULES = {
    "ConfigError": "errors",
    "FieldError": "errors",
    "MissingStackFile": "errors",
    "Problem": "errors",
    "StackFile": "loader",
    "parse_stack_config": "loader",
    "plaintext_secret_keys": "loader",
    "read_stack_file": "loader",
    "runtime_config_values": "loader",
    "StackConfig": "models",
}

__all__ = [
    "ConfigError",
    "FieldError",
    "MissingStackFile",
    "Problem",
    "StackConfig",
    "StackFile",
    "parse_stack_config",
    "plaintext_secret_keys",
    "read_stack_file",
    "runtime_config_values",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
