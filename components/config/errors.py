"""Config errors that name the config path and the stack file, one line per problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class FieldError(ValueError):
    """A validator's complaint about one field below the model that raised it.

    ``subpath`` is relative to that model in config spelling (``replicas.max``,
    ``knowledgeBases[0].database``) so the loader can print the full path.
    """

    def __init__(self, subpath: str, message: str) -> None:
        super().__init__(message)
        self.subpath = subpath
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One problem at a config path; an empty path is a problem of the whole file."""

    path: str
    message: str

    def render(self, stack_file: str) -> str:
        if not self.path:
            return f"{stack_file}: {self.message}"
        return f"{stack_file}: {self.path}: {self.message}"


class ConfigError(Exception):
    """Bad stack config: every problem with its path; the CLI prints them and exits 2."""

    def __init__(self, stack_file: str, problems: Sequence[Problem]) -> None:
        self.stack_file = stack_file
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render(self.stack_file) for p in self.problems)


class MissingStackFile(ConfigError):
    """The stack file does not exist (``stacks``: the stacks the folder has)."""

    def __init__(self, stack_file: str, folder: str, stacks: Sequence[str]) -> None:
        self.folder = folder
        self.stacks = tuple(stacks)
        hint = f" (stacks here: {', '.join(self.stacks)})" if self.stacks else ""
        super().__init__(stack_file, [Problem("", f"no such stack file in {folder}{hint}")])
