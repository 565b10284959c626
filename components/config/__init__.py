"""The ``paif:`` stack config contract (models), its units, and how it is read and checked."""

from paif_components.config.errors import ConfigError, FieldError, MissingStackFile, Problem
from paif_components.config.loader import (
    StackFile,
    parse_stack_config,
    plaintext_secret_keys,
    read_stack_file,
    runtime_config_values,
)
from paif_components.config.models import StackConfig

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
