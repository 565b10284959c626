"""Errors components raise for bad input, before any resource is registered."""

from __future__ import annotations


class ComponentInputError(ValueError):
    """Bad component input, naming what it belongs to and the field.

    ``subject`` is e.g. ``tenant 'marketing'``; ``field`` is in config spelling
    (``modelEndpoints[0].gpusPerReplica``) so the message maps back to the stack file.
    """

    def __init__(self, subject: str, field: str, message: str) -> None:
        self.subject = subject
        self.field = field
        self.message = message
        super().__init__(f"{subject}: {field}: {message}")
