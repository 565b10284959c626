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

# Repository folder -> the name it is imported (and installed) under.
PACKAGES = {"components": "paif_components", "policies": "paif_policies", "paif_cli": "paif_cli"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, name in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [name, *path.relative_to(ROOT / folder).with_suffix("").parts]
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
        ("paif_components", ("paif_policies", "paif_cli")),
        ("paif_policies", ("paif_cli",)),
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
# plan's adapter, and the pack's own two (the pack ships without paif_cli): its proxies and the
# analyzer it serves the CLI.
SDK_ADAPTERS = ("paif_cli.sdk_adapter", "paif_policies.sdk_proxies", "paif_policies.sdk_analyzer")


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
    assert "sdk_proxy._DictProxy" in private_sdk_uses("paif_policies.sdk_proxies")
    assert any(
        "_PolicyAnalyzerServicer" in use for use in private_sdk_uses("paif_policies.sdk_analyzer")
    )


# --- the size of a room -------------------------------------------------------------------------

# A file past ~600 lines usually holds two ideas (the developers' guide): split it, or say at its
# top why it is one ("Why one file: ...").
LONG_FILE_LINES = 620
SOURCE_FOLDERS = ("components", "policies", "paif_cli", "benchmarks")


def test_long_files_say_why_they_are_one() -> None:
    unexplained = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") > LONG_FILE_LINES and "Why one file:" not in text[:3000]:
                unexplained.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert unexplained == []


def test_no_module_imports_another_modules_private_names() -> None:
    """What one module uses of another is public there (a leading ``_`` means: this module's)."""
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and _resolve(node.module or "") is not None:
                private = [a.name for a in node.names if _private(a.name)]
                if private and module != "paif_policies.framework":  # the facade keeps _Handoff
                    found.append(f"{module}: from {node.module} import {', '.join(private)}")
    assert found == []


# --- the contract -------------------------------------------------------------------------------


def test_what_the_contract_spells_is_spelled_nowhere_else() -> None:
    """A resource type, label or annotation key that components write and readers match, and the
    plan's secret placeholder, are written once (``paif_components.contract``): every other
    module imports them."""
    from paif_components.contract import annotations, plan, tokens

    spelled = {
        v
        for module in (tokens, annotations, plan)
        for k, v in vars(module).items()
        if k.isupper() and isinstance(v, str)
    }
    home = ROOT / "components" / "contract"
    found = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.parent == home:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in spelled:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == []


# The keys of plan.json and of its findings that the contract's records type
# (``paif_components.contract.plan``, ``.finding``): ``paif_cli`` reads the records' attributes.
TYPED_KEYS = frozenset(
    {
        "stackFile",
        "secretOutputs",
        "violations",
        "ruleId",
        "enforcement",
        "waived",
        "waiverReason",
        "waiverOwner",
        "waiverExpires",
        "secretPaths",
        "retainOnDelete",
        "dependsOn",
    }
)


def typed_key_reads(source: str, keys: frozenset[str] = TYPED_KEYS) -> Iterator[tuple[int, str]]:
    """(line, key) of every read of a typed key: ``x["key"]`` (not an assignment to it) and
    ``x.get("key")`` / ``x.pop("key")`` / ``x.setdefault("key")``."""
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and node.args
        ):
            key = node.args[0]
        if isinstance(key, ast.Constant) and key.value in keys:
            yield node.lineno, key.value


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('blocking = [f for f in plan.findings if f["enforcement"] == "mandatory"]', 1),
        ('name = document.get("stackFile") or ""', 1),
        ('names = doc.get("secretOutputs", [])\nv = d["policy"]["violations"]', 2),
        ('entry["ruleId"] = finding.rule_id', 0),  # writing the JSON is the writer's business
        ('waived = f.waived or doc.get("estimates")', 0),
    ],
)
def test_the_typed_key_check_finds_reads_and_only_reads(source: str, found: int) -> None:
    assert len(list(typed_key_reads(source))) == found


def test_paif_cli_reads_plans_and_findings_through_the_contract_s_records() -> None:
    """No module of ``paif_cli`` reads plan.json or a finding by a key the contract types
    (``["enforcement"]``, ``.get("secretOutputs")``, ...): it reads ``PlanDocument``,
    ``ResourceRecord`` and ``Finding`` attributes; the offline analyzer too, which takes the
    plan's ``ResourceRecord``s (``paif_cli.crossguard.wire`` turns them into the engine's
    protobuf messages)."""
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {key}"
        for path in sorted((ROOT / "paif_cli").rglob("*.py"))
        for line, key in typed_key_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# The keys of plan.json's ``estimates`` that the contract's records type
# (``paif_components.contract.estimates``, ``.dr_topology``, ``.dr_databases``): its sections,
# the site facts, the DR topology and its roles. The diagram reads ``Estimates`` and
# ``DrTopologyRecord`` attributes; the keys of the estimators' own sections (``capacity``'s
# pool, an RTO term) are theirs, not the contract's.
ESTIMATE_KEYS = frozenset(
    {
        # estimates
        "topology",
        "sites",
        "capacity",
        "rto",
        "rpo",
        "objectives",
        "failover",
        "schedulability",
        "inSiteHa",
        "overriddenAssumptions",
        # an RTO or RPO figure (its terms are the estimators': a term has a duration too)
        "band",
        "sourceBand",
        "withinSourceBand",
        "terms",
        "unbounded",
        "stores",
        # what a PaifSite declares (SiteFacts: its inputs)
        "drRole",
        "drPattern",
        "peerSite",
        # a site's facts
        "harborUrl",
        "supervisor",
        "vcenter",
        "virtualIp",
        "prometheusUrl",
        "drSiteFacts",
        # the topology and its roles
        "writerSite",
        "endpoints",
        "clusters",
        "databases",
        "registry",
        "traffic",
        "failoverReplicas",
        "modelRef",
        "sourceModelRef",
        "deployed",
        "running",
        "autoscaled",
        "workers",
        "failoverWorkers",
        "failoverNodes",
        "mechanism",
        "clusterName",
        "primaryCluster",
        "copyCluster",
        "primarySite",
        "copySite",
        "backupLocation",
        "primaryBackupLocation",
        "outbound",
        "inbound",
    }
)
# A Cluster API ``Cluster``'s ``spec.topology`` (its control plane and workers), not the
# estimate's.
CAPI_READERS = {("paif_cli/diagram/nodes.py", "topology"), ("paif_cli/diagram/nodes.py", "workers")}


def estimate_key_reads(folder: Path) -> list[str]:
    """``path:line: key`` of every read of an estimate key in ``folder``'s modules."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for line, key in typed_key_reads(path.read_text(encoding="utf-8"), ESTIMATE_KEYS):
            if (relative, key) not in CAPI_READERS:
                found.append(f"{relative}:{line}: {key}")
    return found


def test_paif_cli_reads_estimates_through_the_contract_s_records() -> None:
    """The diagram, the report and the diff read plan.json's estimates as ``Estimates`` (its
    RTO, RPO, site facts), the DR topology as ``DrTopologyRecord`` (endpoint, cluster and
    database roles) and a PaifSite's inputs as ``SiteFacts``, never by a key those records type
    (``.get("topology")``, ``role["mechanism"]``, ``inputs.get("drRole")``, ...)."""
    assert estimate_key_reads(ROOT / "paif_cli") == []


def test_the_estimate_key_check_finds_the_diagram_s_old_reads() -> None:
    """The check above finds what it looks for: reads the diagram made before it read the
    records (issue 22), and not the writing of a mapping."""
    old = (
        "topology = as_mapping(document.estimates.get('topology'))\n"
        "for side in as_mapping(estimates.get('sites')).values():\n"
        "    supervisor = side.get('supervisor')\n"
        "replication = as_str(role.get('mechanism'))\n"
        "seconds = as_mapping(estimate['rto']).get('seconds')\n"
        "role = {'mechanism': 'logical'}\n"
        "role['deployed'] = False\n"
    )
    keys = sorted(key for _, key in typed_key_reads(old, ESTIMATE_KEYS))
    assert keys == ["mechanism", "rto", "sites", "supervisor", "topology"]


# --- the installed layout -----------------------------------------------------------------------


def test_the_distribution_installs_every_package_under_its_own_name() -> None:
    """pyproject.toml lists each package folder under its installed name (nothing named
    ``components`` or ``policies`` at the top of site-packages), and nothing else."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {name: folder for folder, name in PACKAGES.items()}
    folders = {
        ".".join([name, *init.parent.relative_to(ROOT / folder).parts])
        for folder, name in PACKAGES.items()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert sorted(setuptools["packages"]) == sorted(folders)
    assert not {"components", "policies"} & {p.split(".")[0] for p in setuptools["packages"]}
