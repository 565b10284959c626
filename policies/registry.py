"""How a PAIF rule is written: one small function over the stack's view with an id, a severity,
the section of the source document it enforces, a rationale and a remediation (cdk-nag style),
registered in :data:`REGISTRY` by the :func:`rule` decorator.

A rule's help link points at its section of ``docs/policies.md`` where pyproject.toml's
``[project.urls]`` publishes it (:func:`doc_link`), and nowhere otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from paif_policies.view import StackView

__all__ = [
    "ADVISORY_POLICY",
    "AREA_TAGS",
    "REGISTRY",
    "SEVERITIES",
    "WAIVED_POLICY",
    "Rule",
    "Violation",
    "catalogue_url",
    "doc_link",
    "docs_url",
    "project_urls",
    "repository_url",
    "rule",
]

ADVISORY_POLICY = "PAIF-ADVISORY"
WAIVED_POLICY = "PAIF-WAIVED"
SEVERITIES = ("critical", "high", "medium", "low")

# Rule id area -> tags on the policy (SARIF rule tags; "security" marks security alerts).
AREA_TAGS: dict[str, tuple[str, ...]] = {
    "HA": ("availability",),
    "DR": ("disaster-recovery",),
    "MT": ("multi-tenancy", "security"),
    "CAP": ("capacity",),
    "SEC": ("security",),
    "DATA": ("data-safety",),
    "GOV": ("governance",),
    "OPS": ("operations",),
}
DISTRIBUTION = "paif-pulumi"

# The catalogue's place in the repository, below the URL pyproject.toml's [project.urls] gives.
CATALOGUE_FILE = "docs/policies.md"


def project_urls(entries: Sequence[str] | None = None) -> dict[str, str]:
    """pyproject.toml's ``[project.urls]`` by lower-case label.

    ``entries``: ``Project-URL`` metadata lines (``"Label, URL"``); default: the installed
    distribution's, which is what pyproject.toml says (the pack shipped alone installs the
    distribution too, through its requirements.txt).
    """
    if entries is None:
        try:
            entries = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
        except metadata.PackageNotFoundError:
            entries = []
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    return urls


def repository_url(urls: Mapping[str, str]) -> str | None:
    """The ``Repository`` (or ``Source``, or ``Homepage``) URL, or ``None``."""
    return urls.get("repository") or urls.get("source") or urls.get("homepage")


def catalogue_url(urls: Mapping[str, str]) -> str | None:
    """Where ``docs/policies.md`` is published: the ``Policies`` URL, else the catalogue file
    below the ``Repository`` (or ``Source``) URL; ``None`` when the project names neither,
    and then reports link nowhere rather than to a guess."""
    if "policies" in urls:
        return urls["policies"]
    repository = urls.get("repository") or urls.get("source")
    return f"{repository.rstrip('/')}/blob/HEAD/{CATALOGUE_FILE}" if repository else None


@functools.cache
def docs_url() -> str | None:
    """:func:`catalogue_url` of the installed distribution (read once per process)."""
    return catalogue_url(project_urls())


def doc_link(anchor: str) -> str | None:
    """A link to one section of the catalogue, or ``None`` when it is published nowhere."""
    base = docs_url()
    return f"{base}#{anchor}" if base else None


@dataclass(frozen=True)
class Violation:
    """One finding of a rule: the resource at fault (URN, or None for the stack) and why."""

    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    section: str
    rationale: str
    remediation: str
    check: Callable[[StackView, Mapping[str, Any]], Iterable[Violation]]
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    @property
    def help_uri(self) -> str | None:
        return doc_link(self.id.lower())

    @property
    def area(self) -> str:
        """``HA`` for ``PAIF-HA-001``."""
        return self.id.split("-")[1]

    @property
    def tags(self) -> tuple[str, ...]:
        return ("paif", *AREA_TAGS.get(self.area, (self.area.lower(),)))

    @property
    def always_advisory(self) -> bool:
        """Low-severity rules warn; they never block a deployment."""
        return self.severity == "low"


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    title: str,
    severity: str,
    section: str,
    rationale: str,
    remediation: str,
    thresholds: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Iterable[Violation]]], Callable[..., Iterable[Violation]]]:
    """Register a rule function ``check(view, config) -> Iterable[Violation]``."""
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: severity must be one of {SEVERITIES}")
    if not re.fullmatch(r"PAIF-[A-Z]+-\d{3}", id):
        raise ValueError(f"rule id {id!r} is not of the form PAIF-AREA-NNN")

    def register(check: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[Violation]]:
        if id in REGISTRY:
            raise ValueError(f"rule {id} is registered twice")
        REGISTRY[id] = Rule(
            id, title, severity, section, rationale, remediation, check, dict(thresholds or {})
        )
        return check

    return register
