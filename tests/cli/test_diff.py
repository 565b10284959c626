"""`paif diff`: a plan against itself is empty; one max-replicas change is one changed path."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paif_cli.diff import (
    MARKER,
    DiffError,
    diff_plan_dirs,
    diff_plans,
    leaf_changes,
    load_plan_dir,
    plan_revision,
    render_markdown,
    stack_order,
)
from paif_cli.main import main
from paif_components.contract.plan import PlanDocument

ROOT = Path(__file__).resolve().parents[2]
KEDA = "kubernetes:keda.sh/v1alpha1:ScaledObject"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ENDPOINT = "kubernetes:pais.vmware.com/v1alpha1:ModelEndpoint"


def write(plan: Any, out: Path) -> Path:
    from paif_cli.write import write_plan

    write_plan(plan, out)
    return out


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prod as declared, and prod with llama-chat's max replicas 10 → 8 (planned once each)."""
    from paif_cli.pipeline import plan_stack
    from paif_components.config import read_stack_file

    values = read_stack_file(ROOT, "prod").values
    tenants = copy.deepcopy(values["paif:tenants"])
    endpoint = tenants[0]["modelEndpoints"][0]
    assert (endpoint["name"], endpoint["replicas"]["max"]) == ("llama-chat", 10)
    endpoint["replicas"]["max"] = 8
    base = tmp_path_factory.mktemp("base")
    head = tmp_path_factory.mktemp("head")
    write(plan_stack(ROOT, "prod"), base)
    write(plan_stack(ROOT, "prod", config_overrides={"paif:tenants": tenants}), head)
    return {"base": base, "head": head}


def test_a_plan_against_itself_is_empty(plans, capsys):
    result = diff_plan_dirs(plans["base"], plans["base"])
    assert result.empty
    assert result.summary() == dict.fromkeys(
        ("added", "removed", "changed", "newFindings", "fixedFindings", "estimateChanges",
         "outputChanges"), 0)  # fmt: skip
    assert [s.status for s in result.stacks] == ["unchanged"]
    code = main(["diff", str(plans["base"]), str(plans["base"]), "--exit-code"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(MARKER)
    assert "No changes: both sides declare the same resources" in out


def test_one_endpoints_max_replicas_changes_the_scaler_its_alert_and_its_dashboard(plans):
    result = diff_plan_dirs(plans["base"], plans["head"])
    (stack,) = result.stacks
    assert stack.status == "changed"
    assert (stack.added, stack.removed) == ([], [])
    by_type = {c["type"]: c for c in stack.changed}
    assert sorted(by_type) == [CONFIG_MAP, KEDA, RULE, ENDPOINT]
    changed = by_type[KEDA]
    assert changed["name"].endswith("llama-chat-autoscaler")
    assert changed["paths"] == ["spec.maxReplicaCount"]
    (change,) = changed["changes"]
    assert (change["old"], change["new"]) == (10, 8)
    # The pinned-at-maximum alert and the dashboard's replica line follow the new maximum.
    rule = {c["path"]: (c["old"], c["new"]) for c in by_type[RULE]["changes"]}
    exprs = [pair for path, pair in rule.items() if path.endswith(".expr")]
    assert [(old[-5:], new[-4:]) for old, new in exprs] == [(">= 10", ">= 8")]
    assert by_type[CONFIG_MAP]["name"].endswith("marketing-monitoring-dashboard")
    # The ModelEndpoint's record of its replicas (PAIS publishes no replica field).
    record = by_type[ENDPOINT]["changes"]
    assert [(c["path"], c["old"], c["new"]) for c in record] == [
        ("metadata.annotations.paif.vmware.com/replicas", "2..10", "2..8")
    ]
    # Fewer GPUs at peak: the capacity estimate moves with it.
    peak = {c.path: (c.old, c.new) for c in stack.estimates}
    assert peak["capacity.site.peakGpus"][0] - peak["capacity.site.peakGpus"][1] == 2


def test_markdown_and_json_of_a_change(plans, tmp_path, capsys):
    markdown, document = tmp_path / "diff.md", tmp_path / "diff.json"
    code = main(
        ["diff", str(plans["base"]), str(plans["head"]), "--markdown", str(markdown),
         "--json", str(document), "--format", "json", "--exit-code"]
    )  # fmt: skip
    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(document.read_text(encoding="utf-8"))
    assert printed["summary"]["changed"] == 4
    changed = printed["stacks"]["prod"]["resources"]["changed"]
    assert ["spec.maxReplicaCount"] in [c["paths"] for c in changed]
    text = markdown.read_text(encoding="utf-8")
    assert "| `prod` | changed | 0 | 0 | 4 |" in text
    assert "  - `spec.maxReplicaCount`: 10 → 8" in text


def plan_with(name: str, rule: str, message: str, enforcement: str) -> PlanDocument:
    """A partial plan.json, as an older checkout may write it: read tolerantly."""
    urn = f"urn:{name}"
    record = {"urn": urn, "type": "t", "name": name, "custom": True, "inputs": {}}
    finding = {"ruleId": rule, "urn": urn, "message": message, "enforcement": enforcement}
    return PlanDocument.from_json({"resources": [record], "policy": {"violations": [finding]}})


def test_findings_new_and_fixed_and_added_removed_resources():
    old = {"s": plan_with("a", "R-1", "m", "mandatory")}
    new = {"s": plan_with("b", "R-2", "n", "advisory")}
    (stack,) = diff_plans(old, new).stacks
    assert [r["name"] for r in stack.added] == ["b"]
    assert [r["name"] for r in stack.removed] == ["a"]
    assert [f.rule_id for f in stack.new_findings] == ["R-2"]
    assert [f.rule_id for f in stack.fixed_findings] == ["R-1"]
    text = render_markdown(diff_plans(old, new))
    assert "- new advisory `R-2`: n" in text
    assert "- fixed `R-1`: m" in text


def test_stacks_only_on_one_side_and_option_changes():
    record = {"urn": "u", "type": "t", "name": "a", "custom": True, "inputs": {}, "protect": False}
    protected = {**record, "protect": True}

    def plan(*records: dict[str, Any]) -> PlanDocument:
        return PlanDocument.from_json({"resources": list(records)})

    result = diff_plans({"p": plan(record)}, {"p": plan(protected), "q": plan()})
    assert [(s.stack, s.status) for s in result.stacks] == [("p", "changed"), ("q", "added")]
    assert result.stacks[0].changed[0]["paths"] == ["options.protect"]


def test_leaf_paths_index_lists_and_name_keyed_estimates():
    old = {"spec": {"triggers": [{"name": "gpu", "threshold": "70"}]}, "n": 3}
    new = {"spec": {"triggers": [{"name": "gpu", "threshold": "60"}]}, "n": 3.0}
    assert [c.path for c in leaf_changes(old, new)] == ["spec.triggers[0].threshold"]
    terms_old = {"terms": [{"key": "a", "seconds": 1}, {"key": "b", "seconds": 2}]}
    terms_new = {"terms": [{"key": "z", "seconds": 0}, {"key": "a", "seconds": 1},
                           {"key": "b", "seconds": 3}]}  # fmt: skip
    changes = list(leaf_changes(terms_old, terms_new, by_name=True))
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("terms[b].seconds", 2, 3),
        ("terms[z]", None, {"key": "z", "seconds": 0}),
    ]
    assert [c.path for c in leaf_changes({"b": True}, {"b": 1})] == ["b"]


def test_missing_plan_folder_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(DiffError, match=r"no <stack>/plan\.json"):
        load_plan_dir(tmp_path)
    assert main(["diff", str(tmp_path / "nope"), str(tmp_path)]) == 2
    assert "error: " in capsys.readouterr().err
    assert main(["diff", str(tmp_path)]) == 2


def test_base_revision_is_planned_in_a_temporary_worktree(plans, tmp_path):
    """`--base REV` plans that commit's own code and stack files (the worktree is removed)."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for --base")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.dr.yaml", "__main__.py"):
        shutil.copy(ROOT / name, repo / name)
    for package in ("components", "paif_cli", "policies"):
        shutil.copytree(ROOT / package, repo / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=repo, check=True, capture_output=True)  # fmt: skip

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    out = plan_revision("HEAD", ["prod"], tmp_path / "base-out", project_dir=repo)
    result = diff_plan_dirs(out, plans["base"])
    assert result.empty, render_markdown(result)
    listed = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True)
    assert len(listed.stdout.strip().splitlines()) == 1
    with pytest.raises(DiffError, match="no such git revision"):
        plan_revision("no-such-rev", ["prod"], tmp_path / "x", project_dir=repo)


def test_stack_order_puts_primaries_first(tmp_path):
    for stack, role in (("dr", "dr"), ("prod", "primary")):
        (tmp_path / stack).mkdir()
        site = {"type": "paif:site:PaifSite", "inputs": {"drRole": role}}
        (tmp_path / stack / "plan.json").write_text(
            json.dumps({"stack": stack, "resources": [site]}), encoding="utf-8"
        )
    assert stack_order(tmp_path) == ["prod", "dr"]


def test_base_revision_imports_its_own_packages_not_this_install(tmp_path):
    """The development install maps paif_components to this checkout; `--base` must still run
    the revision's own folders (paif_cli.checkout)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.dr.yaml", "__main__.py"):
        shutil.copy(ROOT / name, repo / name)
    for package in ("components", "paif_cli", "policies"):
        shutil.copytree(ROOT / package, repo / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    marker = "import sys\nsys.stderr.write('the base revision ran its own components')\n"
    marker += "sys.exit(2)\n"
    (repo / "components" / "__init__.py").write_text(marker)

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=repo, check=True, capture_output=True)  # fmt: skip

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    with pytest.raises(DiffError, match="the base revision ran its own components"):
        plan_revision("HEAD", ["prod"], tmp_path / "base-out", project_dir=repo)
