"""The import structure the architecture promises (docs/architecture.md): no circles, and each
layer imports only the layers below it.

Read from the source with ``ast``, every import counted, those inside functions too (an import
hidden in a function still ties the two modules together).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stacks import ROOT

PACKAGES = ("components", "policies", "paif_cli")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import names (``a.b.c`` may be module ``a.b`` and its name c)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Project modules ``module`` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles() -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(GRAPH):
        if node not in index:
            yield from visit(node)


def test_the_project_has_no_import_circle() -> None:
    assert list(_cycles()) == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("components", ("policies", "paif_cli")),
        ("policies", ("paif_cli",)),
    ],
)
def test_lower_layers_never_import_higher_ones(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == layer
        for target in targets
        if target.split(".")[0] in forbidden
    )
    assert wrong == []


# paif plan's stages, in pipeline order: a stage imports only the stages before it.
STAGES = [
    "paif_cli.load",
    "paif_cli.run",
    "paif_cli.gate",
    "paif_cli.render",
    "paif_cli.write",
    "paif_cli.report",
    "paif_cli.pipeline",
    "paif_cli.main",
]


def test_the_plan_stages_import_only_earlier_stages() -> None:
    wrong = sorted(
        f"{stage} -> {target}"
        for position, stage in enumerate(STAGES)
        for target in GRAPH[stage]
        if target in STAGES[position + 1 :]
    )
    assert wrong == []


def test_the_offline_crossguard_never_reaches_into_the_plan() -> None:
    """The analyzer is a library of its own: it knows plan records, not stages."""
    crossguard = [m for m in GRAPH if m.startswith("paif_cli.crossguard")]
    wrong = sorted(
        f"{module} -> {target}"
        for module in crossguard
        for target in GRAPH[module]
        if target in STAGES or target == "paif_cli.record"
    )
    assert wrong == []


# --- private parts of the Pulumi SDKs ---------------------------------------------------------

SDK_PACKAGES = ("pulumi", "pulumi_policy")
# Where the shortcuts through the SDKs' private code live, each behind a version guard: the
# plan's adapter, and the pack's own (the pack ships without paif_cli).
SDK_ADAPTERS = ("paif_cli.sdk_adapter", "policies.sdk_proxies")


def _is_sdk(module: str) -> bool:
    return module.split(".")[0] in SDK_PACKAGES


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_sdk_uses(module: str) -> list[str]:
    """``module``'s imports of private SDK names and its reads of private SDK attributes."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    sdk_aliases: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_sdk(alias.name):
                    sdk_aliases.add(alias.asname or alias.name.split(".")[0])
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and _is_sdk(node.module):
            for alias in node.names:
                sdk_aliases.add(alias.asname or alias.name)
                if _private(alias.name) or any(_private(p) for p in node.module.split(".")):
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in sdk_aliases
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return sorted(set(found))


def test_private_sdk_parts_are_used_only_behind_the_adapters() -> None:
    outside = {
        module: uses
        for module in MODULES
        if not module.startswith(SDK_ADAPTERS) and (uses := private_sdk_uses(module))
    }
    assert outside == {}


def test_the_adapters_do_use_private_sdk_parts() -> None:
    """The check above finds what it looks for."""
    assert "sdk_types._wire_union_members" in private_sdk_uses("paif_cli.sdk_adapter.runtime")
    assert any(
        "_PolicyAnalyzerServicer" in use for use in private_sdk_uses("paif_cli.sdk_adapter.policy")
    )
    assert "sdk_proxy._DictProxy" in private_sdk_uses("policies.sdk_proxies")
