"""Every use of a private part of the Pulumi SDKs, behind one switch with a version guard.

An offline plan needs less than the SDKs do for a live deployment, and where the SDK's own code
costs a large plan most of its time the plan takes a shortcut through the SDK's internals
(docs/benchmarks.md). All of those shortcuts live in this package, nowhere else:

- :mod:`.runtime` (``pulumi``): six SDK functions swapped while a program runs
  (``pulumi.runtime.stack.wait_for_rpcs``, ``pulumi.runtime.resource._get_stack_trace``,
  ``pulumi.runtime.resource_cycle_breaker._add_dep``, ``pulumi._types.unwrap_type``,
  ``unwrap_optional_type`` and ``_wire_union_members``), the mock monitor's answers computed in
  the caller's thread without an event loop, and an event loop that runs executor calls in
  place;
- :mod:`.policy` (``pulumi-policy``): ``AnalyzeStack`` run directly on the servicer's
  name-mangled internals with each resource converted once, and the analyzer protocol's
  conversions shared across policies.

Each shortcut computes exactly what the SDK's own code computes: the plan is byte-identical with
them or without them (tests/cli/test_plan_identical.py). They depend on the SDKs' private code,
so :func:`sdk_shortcuts`, the one switch, applies them only when the installed ``pulumi`` and
``pulumi-policy`` are in the range they were written for (:data:`WRITTEN_FOR`); otherwise, or
when the caller turns them off (``paif plan --no-sdk-shortcuts``), the SDK's own code runs
everywhere, slower, with the same plan.

The protocol's names (signatures, the unknown value) are imported from the SDK here, never
copied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from packaging.version import InvalidVersion, Version

from paif_cli.sdk_adapter import runtime

__all__ = ["WRITTEN_FOR", "Shortcuts", "check_versions", "installed_versions", "sdk_shortcuts"]

# The versions the shortcuts were written against and tested with (pyproject.toml pins them),
# as [lowest, first version not covered): patch releases of the same minor version only.
WRITTEN_FOR: Mapping[str, tuple[str, str]] = {
    "pulumi": ("3.272.0", "3.273.0"),
    "pulumi-policy": ("1.21.0", "1.22.0"),
}


@dataclass(frozen=True)
class Shortcuts:
    """Which shortcuts a run takes: ``runtime`` (pulumi's), ``policy`` (pulumi-policy's);
    ``notes`` say why one is off when the versions do not allow it."""

    runtime: bool
    policy: bool
    notes: tuple[str, ...] = ()


OFF = Shortcuts(runtime=False, policy=False)


def installed_versions() -> dict[str, str | None]:
    """The installed version of each package of :data:`WRITTEN_FOR` (``None``: not installed)."""
    found: dict[str, str | None] = {}
    for package in WRITTEN_FOR:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def _covered(package: str, installed: str | None) -> str | None:
    """Why ``installed`` is outside the range of ``package``'s shortcuts, or None."""
    low, high = WRITTEN_FOR[package]
    span = f"{low} up to before {high}"
    if installed is None:
        return f"{package} is not installed (the shortcuts were written for {span})"
    try:
        found = Version(installed)
    except InvalidVersion:
        return f"{package} {installed} is not a version (the shortcuts were written for {span})"
    if not Version(low) <= found < Version(high):
        return (
            f"{package} {installed} is outside the range the plan's SDK shortcuts were written "
            f"for ({span}): the SDK's own code runs instead (slower, the same plan)"
        )
    return None


def check_versions(
    installed: Mapping[str, str | None] | None = None, *, wanted: bool = True
) -> Shortcuts:
    """The shortcuts allowed for ``installed`` versions (default: what is installed)."""
    if not wanted:
        return OFF
    versions = installed_versions() if installed is None else installed
    problems = {package: _covered(package, versions.get(package)) for package in WRITTEN_FOR}
    return Shortcuts(
        runtime=problems["pulumi"] is None,
        policy=problems["pulumi-policy"] is None,
        notes=tuple(note for note in problems.values() if note is not None),
    )


@contextlib.contextmanager
def sdk_shortcuts(wanted: bool = True) -> Iterator[Shortcuts]:
    """Apply the shortcuts the installed SDKs allow for the block; restore the SDKs after.

    Yields what is on: the runtime's swapped functions are installed here (and restored on the
    way out, even if the block fails); the callers take the other shortcuts only when the
    yielded :class:`Shortcuts` says so.
    """
    shortcuts = check_versions(wanted=wanted)
    with runtime.swapped_functions(shortcuts.runtime):
        yield shortcuts
