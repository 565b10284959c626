"""Errors components raise for bad input, before any resource is registered."""

from __future__ import annotations

from collections.abc import Sequence


class ComponentInputError(ValueError):
    """Bad component input, naming what it belongs to and the field.

    ``subject`` is e.g. ``tenant 'marketing'``; ``field`` is in config spelling
    (``modelEndpoints[0].gpusPerReplica``) so the message maps back to the stack file. ``more``
    are further (field, message) problems of the same args object, so one error reports them
    all (one line each).
    """

    def __init__(
        self, subject: str, field: str, message: str, *, more: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.subject = subject
        self.field = field
        self.message = message
        self.problems: tuple[tuple[str, str], ...] = ((field, message), *more)
        super().__init__("\n".join(f"{subject}: {f}: {m}" for f, m in self.problems))

    @classmethod
    def collected(cls, subject: str, problems: Sequence[tuple[str, str]]) -> ComponentInputError:
        """One error for every (field, message) problem of ``subject`` (at least one)."""
        (field, message), *more = problems
        return cls(subject, field, message, more=more)

    def render(self, stack_file: str) -> str:
        """Each problem on its own line, naming the stack file to fix."""
        return "\n".join(f"{stack_file}: {line}" for line in str(self).splitlines())
