"""Every error ``paif`` raises, and the one place that words an error for the user.

Exit code 2 and the message alone (no traceback unless ``--debug``) for what the user can fix:
bad config (``paif_components.config.ConfigError``), bad component input
(``paif_components.errors.ComponentInputError``) and the errors below that derive from
:class:`PaifError`. A policy that raises (:class:`PolicyEvaluationError`) or any other exception
is a program failure: the message, its type and a pointer to ``--debug``.

Each message carries one prefix: the stack file and config path, the flag or the file it is
about, never two of them.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence

__all__ = [
    "DiffError",
    "InputError",
    "PaifError",
    "PolicyConfigError",
    "PolicyEvaluationError",
    "ProgramError",
    "StackFailed",
    "error_text",
]


class PaifError(Exception):
    """An error whose message is what the user should read: one line per problem."""


class InputError(PaifError):
    """Bad input given on the command line: the message names the flag or the file."""


class ProgramError(PaifError):
    """The stack's program failed, or asks for something the offline plan cannot answer."""


class PolicyConfigError(PaifError):
    """The policy pack config is invalid; ``errors`` are worded as the Pulumi CLI words them."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("\n".join(self.errors))


class DiffError(PaifError):
    """A plan folder or revision that ``paif diff`` cannot compare."""


class StackFailed(PaifError):
    """A stack planned in a worker process failed; ``text`` is its error as ``paif`` prints it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class PolicyEvaluationError(RuntimeError):
    """A policy raised while running; live, the engine fails the preview the same way."""


def error_text(exc: BaseException, debug: bool) -> str:
    """What ``paif`` prints on stderr for ``exc``: ``error: ...`` lines (and, with ``debug``, the
    traceback first)."""
    import pulumi

    from paif_components.config import ConfigError
    from paif_components.errors import ComponentInputError

    if isinstance(exc, StackFailed):  # a worker's error, already as paif prints it
        return exc.text
    lines: list[str] = []
    if debug:
        lines.append("".join(traceback.format_exception(exc)).rstrip("\n"))
    if isinstance(exc, ConfigError):
        message = exc.render()
    elif isinstance(exc, PaifError | ComponentInputError | pulumi.RunError):
        message = str(exc).strip() or type(exc).__name__
    elif isinstance(exc, OSError) and exc.strerror:
        # "[Errno 2] No such file or directory: 'x'" reads as "x: No such file or directory".
        where = f"{exc.filename}: " if exc.filename is not None else ""
        message = f"{where}{exc.strerror}"
    else:
        message = str(exc).strip() or type(exc).__name__
        lines.append(f"error: program failed: {type(exc).__name__}: {message}")
        if not debug:
            lines.append("       (run with --debug for the traceback)")
        return "\n".join(lines) + "\n"
    lines.extend(f"error: {line}" for line in message.splitlines())
    return "\n".join(lines) + "\n"
