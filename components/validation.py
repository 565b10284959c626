"""Validate once: a site's inputs are checked whole before its components are built.

``validate_site`` (paif_components.site) runs every component's validation, collecting each
args object's problems in one error, before anything is registered. The components PaifSite
then builds from those same inputs would check them again in their constructors (which they do
when built on their own); inside :func:`validated_inputs` they skip it, so each args object of
a plan is validated once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

_VALIDATED: ContextVar[bool] = ContextVar("paif_inputs_validated", default=False)

A = TypeVar("A")


@contextmanager
def validated_inputs() -> Iterator[None]:
    """Components built inside were validated with the site's inputs (module doc)."""
    token = _VALIDATED.set(True)
    try:
        yield
    finally:
        _VALIDATED.reset(token)


def validate_unless_done(validate: Callable[[A], None], args: A) -> None:
    """``validate(args)`` unless the whole site's inputs were validated already."""
    if not _VALIDATED.get():
        validate(args)
