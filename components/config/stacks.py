"""Which part of its site a stack builds, from ``paif:layout``
(``paif_components.config.models.layout``).

A stack is the *whole* site (no layout), its *platform* stack (its file lists tenant-group
stacks) or a *tenant group* (its file names the platform stack; the site's config is read from
the platform's file, as a DR stack reads its tenants from its primary's). A DR site splits the
same way as its primary: each of its groups builds exactly the tenants of one primary group,
whose stack outputs (the tenants' databases) it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from paif_components.config.errors import ConfigError, MissingStackFile, Problem
from paif_components.config.loader import read_stack_file
from paif_components.config.models import StackConfig

Kind = Literal["whole", "platform", "tenants"]
LAYOUT_KEY = "paif:layout"


@dataclass(frozen=True)
class StackPart:
    """What one stack builds of its site."""

    stack: str
    # The stack whose file holds the site's config (the platform stack; the stack itself when
    # it is the whole site or the platform).
    site_stack: str
    kind: Kind
    tenants: frozenset[str]
    # A DR site's stack: the primary's stack that builds the same tenants (its StackReference
    # for their outputs); None for a primary.
    primary_stack: str | None = None

    @property
    def builds_platform(self) -> bool:
        """Whether this stack declares the site's own objects (domain, edge, replication, ...)."""
        return self.kind != "tenants"


def whole(stack: str, config: StackConfig, primary: StackConfig | None = None) -> StackPart:
    """A stack that builds its whole site (no ``paif:layout``)."""
    tenants = (primary if config.dr.role == "dr" and primary is not None else config).tenants
    peer = config.dr.peer.stack if config.dr.role == "dr" and config.dr.peer else None
    return StackPart(stack, stack, "whole", frozenset(t.name for t in tenants), peer)


@dataclass(frozen=True)
class SiteFile:
    """The config a stack builds from: its own file's, or its platform stack's."""

    values: Mapping[str, Any]
    file_name: str
    site_stack: str


def site_file(project_dir: Path, stack: str, values: Mapping[str, Any], file_name: str) -> SiteFile:
    """``values`` of ``stack``'s own file, or, for a tenant-group stack, its platform's file."""
    layout = values.get(LAYOUT_KEY)
    site = layout.get("site") if isinstance(layout, Mapping) else None
    if site is None:
        return SiteFile(values, file_name, stack)
    problems = [
        Problem(key, "a tenant-group stack takes the site's config from its platform stack's "
                f"file (Pulumi.{site}.yaml): move it there")
        for key in sorted(values)
        if key.startswith("paif:") and key != LAYOUT_KEY
    ]  # fmt: skip
    problems += [
        Problem(f"{LAYOUT_KEY}.{key}", "a tenant-group stack's layout names only its site")
        for key in sorted(layout or {})
        if key != "site"
    ]
    if not isinstance(site, str) or not site:
        problems.append(Problem(f"{LAYOUT_KEY}.site", "must name the platform stack"))
    if problems:
        raise ConfigError(file_name, problems)
    try:
        platform = read_stack_file(project_dir, site)
    except MissingStackFile as exc:
        raise ConfigError(
            file_name,
            [Problem(f"{LAYOUT_KEY}.site", f"names stack {site!r}, which has no stack file "
                     f"{exc.stack_file} in {exc.folder}")],
        ) from None  # fmt: skip
    return SiteFile(platform.values, platform.file_name, site)


def stack_part(
    stack: str, site: SiteFile, config: StackConfig, primary: StackConfig | None
) -> StackPart:
    """What ``stack`` builds of the site ``config`` describes (``primary``: a DR site's)."""
    groups = config.layout.tenant_stacks
    dr = config.dr.role == "dr" and primary is not None
    if not groups and stack == site.site_stack:
        return whole(stack, config, primary)
    names = [t.name for t in (primary.tenants if dr and primary else config.tenants)]
    problems: list[Problem] = []
    if dr and primary is not None:
        problems += _dr_split_problems(config, primary, names)
    if stack == site.site_stack:
        grouped = config.layout.grouped
        kind: Kind = "platform"
        own = frozenset(n for n in names if n not in grouped)
    elif stack not in groups:
        problems.append(
            Problem(
                f"{LAYOUT_KEY}.tenantStacks",
                f"does not list stack {stack!r}, whose file names this site ({LAYOUT_KEY}.site)",
            )
        )
        kind, own = "tenants", frozenset()
    else:
        kind, own = "tenants", frozenset(groups[stack])
    if problems:
        raise ConfigError(site.file_name, problems)
    primary_stack = None
    if dr and primary is not None and config.dr.peer is not None:
        primary_stack = config.dr.peer.stack
        if kind == "tenants":
            match = next(s for s, ts in primary.layout.tenant_stacks.items() if set(ts) == own)
            # Qualified as the peer is (org/project/stack on a self-managed backend).
            head, _, _ = primary_stack.rpartition("/")
            primary_stack = f"{head}/{match}" if head else match
    return StackPart(stack, site.site_stack, kind, own, primary_stack)


def _dr_split_problems(
    config: StackConfig, primary: StackConfig, names: list[str]
) -> list[Problem]:
    """A DR site splits as its primary: the same tenant sets in groups, every name known."""
    problems = []
    for stack, tenants in config.layout.tenant_stacks.items():
        unknown = sorted(set(tenants) - set(names))
        if unknown:
            problems.append(
                Problem(
                    f"{LAYOUT_KEY}.tenantStacks.{stack}",
                    f"names tenant(s) {', '.join(unknown)} the primary does not declare",
                )
            )
    ours = sorted(sorted(ts) for ts in config.layout.tenant_stacks.values())
    theirs = sorted(sorted(ts) for ts in primary.layout.tenant_stacks.values())
    if not problems and ours != theirs:
        problems.append(
            Problem(
                f"{LAYOUT_KEY}.tenantStacks",
                "a DR site splits as its primary: each group builds exactly the tenants of one "
                f"of the primary's groups ({_groups(primary)}); here: {_groups(config)}",
            )
        )
    return problems


def _groups(config: StackConfig) -> str:
    groups = config.layout.tenant_stacks
    if not groups:
        return "none"
    return "; ".join(f"{stack}: {', '.join(tenants)}" for stack, tenants in groups.items())
