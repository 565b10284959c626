"""The one error the estimators raise for bad input."""

from __future__ import annotations


class EstimatorError(ValueError):
    """Input an estimator cannot work with; the message names the value and what would fit.

    A ``ValueError`` so that config validators (pydantic) and the CLI treat it like any other
    bad value: one clear line, exit code 2, never a traceback.
    """
