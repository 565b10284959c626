"""``paif diff``: what a change does to the plans, for the pull-request comment.

Two plan folders (``paif plan --out``) are compared stack by stack: resources added, removed and
changed (with the input paths that changed), policy findings that are new or fixed, and changes
of the estimates (RTO/RPO, capacity, DR roles). ``--base REV`` plans that git revision in a
temporary worktree first, with the revision's own code and stack files, so the comparison is
base branch against this branch and not this code against two configs.

Values come from plan.json, where secrets are already ``"[secret]"``: a changed secret shows as
unchanged, and no secret reaches the report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from paif_cli.checkout import bootstrap_code
from paif_cli.errors import DiffError
from paif_components.contract import tokens
from paif_components.contract.estimates import Estimates
from paif_components.contract.finding import Finding
from paif_components.contract.plan import PlanDocument, ResourceRecord
from paif_components.contract.site_facts import SiteFacts

__all__ = [
    "PlanDiff",
    "StackDiff",
    "diff_plan_dirs",
    "diff_plans",
    "load_plan_dir",
    "plan_revision",
    "render_markdown",
]

PLAN_FILE: Final = "plan.json"
# Record fields compared besides ``inputs`` (resource options that change what `up` does): the
# name a change path gives each, and the record's attribute.
OPTION_FIELDS: Final = (
    ("parent", "parent"),
    ("provider", "provider"),
    ("protect", "protect"),
    ("retainOnDelete", "retain_on_delete"),
    ("dependsOn", "depends_on"),
    ("aliases", "aliases"),
)
# GitHub rejects comments over 65536 characters; stay below with room for the marker.
MARKDOWN_LIMIT: Final = 60_000
# Longest rendering of one value in the Markdown (the JSON keeps them whole).
VALUE_WIDTH: Final = 80
MARKER: Final = "<!-- paif-plan-diff -->"


# --- loading ----------------------------------------------------------------------------------


def load_plan_dir(path: Path) -> dict[str, PlanDocument]:
    """``OUT/<stack>/plan.json`` of a plan folder, by stack name."""
    root = Path(path)
    if not root.is_dir():
        raise DiffError(f"{root}: no such plan folder (run `paif plan --out {root}` first)")
    plans: dict[str, PlanDocument] = {}
    for file in sorted(root.glob(f"*/{PLAN_FILE}")):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DiffError(f"{file}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
        if not isinstance(document, dict):
            raise DiffError(f"{file}: not a plan (expected a JSON object)")
        plan = PlanDocument.from_json(document)
        plans[plan.stack or file.parent.name] = plan
    if not plans:
        raise DiffError(f"{root}: no <stack>/{PLAN_FILE} in it (run `paif plan --out {root}`)")
    return plans


# --- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass
class StackDiff:
    """Differences of one stack; ``status`` is added, removed, changed or unchanged."""

    stack: str
    status: str
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    fixed_findings: list[Finding] = field(default_factory=list)
    estimates: list[Change] = field(default_factory=list)
    outputs: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.new_findings
            or self.fixed_findings
            or self.estimates
            or self.outputs
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            "resources": {"added": self.added, "removed": self.removed, "changed": self.changed},
            "policy": {
                "new": [_finding_ref(f) for f in self.new_findings],
                "fixed": [_finding_ref(f) for f in self.fixed_findings],
            },
            "estimates": [c.to_json() for c in self.estimates],
            "outputs": [c.to_json() for c in self.outputs],
        }


@dataclass
class PlanDiff:
    base: str
    head: str
    stacks: list[StackDiff]

    @property
    def empty(self) -> bool:
        return all(s.empty for s in self.stacks)

    def summary(self) -> dict[str, int]:
        return {
            "added": sum(len(s.added) for s in self.stacks),
            "removed": sum(len(s.removed) for s in self.stacks),
            "changed": sum(len(s.changed) for s in self.stacks),
            "newFindings": sum(len(s.new_findings) for s in self.stacks),
            "fixedFindings": sum(len(s.fixed_findings) for s in self.stacks),
            "estimateChanges": sum(len(s.estimates) for s in self.stacks),
            "outputChanges": sum(len(s.outputs) for s in self.stacks),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "empty": self.empty,
            "summary": self.summary(),
            "stacks": {s.stack: s.to_json() for s in self.stacks},
        }


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _keyed(items: Sequence[Any]) -> dict[str, Any] | None:
    """A list of objects that name themselves (``key`` or ``name``) as a mapping by that name."""
    for attr in ("key", "name"):
        if items and all(isinstance(i, Mapping) and isinstance(i.get(attr), str) for i in items):
            names = [i[attr] for i in items]
            if len(set(names)) == len(names):
                return {f"[{n}]": i for n, i in zip(names, items, strict=True)}
    return None


def leaf_changes(old: Any, new: Any, path: str = "", *, by_name: bool = False) -> Iterator[Change]:
    """Every path where ``old`` and ``new`` differ, deepest first-differing level only.

    Lists compare by index (``spec.triggers[0].metadata.threshold``, as Pulumi's own diff paths
    read); with ``by_name`` lists of named objects compare by name (``terms[cold_start]``), so an
    inserted item does not shift every later one.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            child = _join(path, str(key))
            if key not in old:
                yield Change(child, None, new[key])
            elif key not in new:
                yield Change(child, old[key], None)
            else:
                yield from leaf_changes(old[key], new[key], child, by_name=by_name)
        return
    if isinstance(old, list) and isinstance(new, list):
        if by_name:
            old_keyed, new_keyed = _keyed(old), _keyed(new)
            if old_keyed is not None and new_keyed is not None:
                for key in list(old_keyed) + [k for k in new_keyed if k not in old_keyed]:
                    if key not in new_keyed:
                        yield Change(f"{path}{key}", old_keyed[key], None)
                    elif key not in old_keyed:
                        yield Change(f"{path}{key}", None, new_keyed[key])
                    else:
                        yield from leaf_changes(
                            old_keyed[key], new_keyed[key], f"{path}{key}", by_name=by_name
                        )
                return
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            if index >= len(old):
                yield Change(child, None, new[index])
            elif index >= len(new):
                yield Change(child, old[index], None)
            else:
                yield from leaf_changes(old[index], new[index], child, by_name=by_name)
        return
    if old != new or (type(old) is not type(new) and not _same_number(old, new)):
        yield Change(path, old, new)


def _same_number(old: Any, new: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(old, numbers)
        and isinstance(new, numbers)
        and not isinstance(old, bool)
        and not isinstance(new, bool)
        and old == new
    )


def _resource_ref(record: ResourceRecord) -> dict[str, Any]:
    return {"urn": record.urn, "type": record.type, "name": record.name}


def _finding_key(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule_id, finding.urn, finding.message, finding.waived)


def _finding_ref(finding: Finding) -> dict[str, Any]:
    return {
        "ruleId": finding.rule_id,
        "severity": finding.severity,
        "enforcement": finding.enforcement,
        "urn": finding.urn,
        "message": finding.message,
        "waived": finding.waived,
    }


def _options(record: ResourceRecord, attribute: str) -> Any:
    value = getattr(record, attribute)
    return list(value) if isinstance(value, tuple) else value


def diff_stack(stack: str, old: PlanDocument | None, new: PlanDocument | None) -> StackDiff:
    """Compare one stack's plans (``None``: the stack is not planned on that side)."""
    status = "added" if old is None else "removed" if new is None else "changed"
    result = StackDiff(stack, status)
    old_resources = {r.urn: r for r in (old.resources if old else ()) if r.urn}
    new_resources = {r.urn: r for r in (new.resources if new else ()) if r.urn}
    for urn, record in new_resources.items():
        if urn not in old_resources:
            result.added.append(_resource_ref(record))
    for urn, record in old_resources.items():
        if urn not in new_resources:
            result.removed.append(_resource_ref(record))
    for urn, record in new_resources.items():
        before = old_resources.get(urn)
        # Components are not changed by `up` themselves: their children are, and stack-wide
        # facts on them (objectives, waivers, estimates) show under findings and estimates.
        if before is None or not record.custom:
            continue
        changes = list(leaf_changes(before.inputs, record.inputs))
        for option, attribute in OPTION_FIELDS:
            changes.extend(
                leaf_changes(
                    _options(before, attribute), _options(record, attribute), f"options.{option}"
                )
            )
        if changes:
            result.changed.append(
                {
                    **_resource_ref(record),
                    "paths": [c.path for c in changes],
                    "changes": [c.to_json() for c in changes],
                }
            )
    old_findings = {_finding_key(f): f for f in (old.findings if old else ())}
    new_findings = {_finding_key(f): f for f in (new.findings if new else ())}
    result.new_findings = [f for k, f in new_findings.items() if k not in old_findings]
    result.fixed_findings = [f for k, f in old_findings.items() if k not in new_findings]
    result.estimates = list(
        leaf_changes(old.estimates if old else {}, new.estimates if new else {}, by_name=True)
    )
    result.outputs = list(leaf_changes(old.outputs if old else {}, new.outputs if new else {}))
    if status == "changed" and result.empty:
        result.status = "unchanged"
    return result


def diff_plans(
    old: Mapping[str, PlanDocument],
    new: Mapping[str, PlanDocument],
    *,
    base: str = "base",
    head: str = "head",
) -> PlanDiff:
    """Compare two sets of plans by stack (new stacks first in their order, then removed)."""
    stacks = list(new) + [s for s in old if s not in new]
    return PlanDiff(base, head, [diff_stack(s, old.get(s), new.get(s)) for s in stacks])


def diff_plan_dirs(
    old_dir: Path, new_dir: Path, *, base: str | None = None, head: str | None = None
) -> PlanDiff:
    return diff_plans(
        load_plan_dir(old_dir),
        load_plan_dir(new_dir),
        base=base or str(old_dir),
        head=head or str(new_dir),
    )


# --- planning a revision ----------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed: --base needs it") from None


def plan_revision(
    revision: str,
    stacks: Sequence[str],
    out_dir: Path,
    *,
    project_dir: Path = Path("."),
    python: str | None = None,
) -> Path:
    """Plan ``revision`` of the repository at ``project_dir`` into ``out_dir``; return it.

    The revision is checked out into a temporary ``git worktree`` (the working tree is not
    touched) and planned there with that revision's own ``paif_cli``, components and stack files,
    by this Python interpreter. Exit 1 of that plan (mandatory policy findings) still yields a
    plan to compare; exit 2 (bad config, program error) raises :class:`DiffError`.
    """
    project = Path(project_dir).resolve()
    top = _git(["rev-parse", "--show-toplevel"], project)
    if top.returncode != 0:
        raise DiffError(f"{project}: not inside a git repository: {top.stderr.strip()}")
    root = Path(top.stdout.strip())
    resolved = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root)
    if resolved.returncode != 0:
        raise DiffError(f"--base {revision}: no such git revision")
    commit = resolved.stdout.strip()
    relative = project.relative_to(root) if project != root else Path(".")
    work = Path(tempfile.mkdtemp(prefix="paif-base-"))
    tree = work / "tree"
    try:
        added = _git(["worktree", "add", "--detach", str(tree), commit], root)
        if added.returncode != 0:
            raise DiffError(f"git worktree add {revision}: {added.stderr.strip()}")
        try:
            base_project = tree / relative
            if not (base_project / "paif_cli").is_dir():
                raise DiffError(f"--base {revision}: that revision has no paif_cli to plan it with")
            # That revision's own packages, whatever this process's install maps them to.
            code = bootstrap_code(base_project)
            command = [python or sys.executable, "-c", code, "plan", "--quiet"]
            command += ["--format", "none", "--out", str(Path(out_dir).resolve())]
            for stack in stacks:
                command += ["--stack", stack]
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                [str(base_project), *filter(None, [env.get("PYTHONPATH")])]
            )
            run = subprocess.run(
                command, cwd=base_project, env=env, capture_output=True, text=True, check=False
            )
            if run.returncode not in (0, 1):
                detail = (run.stderr or run.stdout).strip()
                raise DiffError(
                    f"planning --base {revision} failed (exit {run.returncode}):\n{detail}"
                )
        finally:
            _git(["worktree", "remove", "--force", str(tree)], root)
            _git(["worktree", "prune"], root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Path(out_dir)


def stack_order(plan_dir: Path) -> list[str]:
    """Stacks of a plan folder, primaries before the DR stacks that reference them."""
    plans = load_plan_dir(plan_dir)

    def is_dr(document: PlanDocument) -> bool:
        for record in document.resources:
            if record.type == tokens.PAIF_SITE:
                return SiteFacts.from_props(record.inputs).dr_role == "dr"
        return Estimates.read(document.estimates).role == "dr"

    return sorted(plans, key=lambda s: (is_dr(plans[s]), list(plans).index(s)))


# --- rendering --------------------------------------------------------------------------------


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > VALUE_WIDTH:
        text = text[: VALUE_WIDTH - 1] + "…"
    return text.replace("|", "\\|").replace("`", "'")


def _code(text: Any) -> str:
    quoted = str(text).replace("`", "'")
    return f"`{quoted}`"


def _stack_section(stack: StackDiff) -> list[str]:
    lines = [f"### Stack `{stack.stack}` ({stack.status})", ""]
    if stack.empty:
        return [*lines, "No changes.", ""]
    if stack.added or stack.removed or stack.changed:
        lines.append("**Resources**")
        lines.append("")
        for ref in stack.added:
            lines.append(f"- added {_code(ref['type'])} {_code(ref['name'])}")
        for ref in stack.removed:
            lines.append(f"- removed {_code(ref['type'])} {_code(ref['name'])}")
        for ref in stack.changed:
            lines.append(f"- changed {_code(ref['type'])} {_code(ref['name'])}:")
            for change in ref["changes"]:
                before, after = _value(change["old"]), _value(change["new"])
                lines.append(f"  - {_code(change['path'])}: {before} → {after}")
        lines.append("")
    if stack.new_findings or stack.fixed_findings:
        lines.append("**Policy findings**")
        lines.append("")
        for finding in stack.new_findings:
            waived = " (waived)" if finding.waived else ""
            lines.append(
                f"- new {finding.enforcement} {_code(finding.rule_id)}{waived}: {finding.message}"
            )
        for finding in stack.fixed_findings:
            lines.append(f"- fixed {_code(finding.rule_id)}: {finding.message}")
        lines.append("")
    for title, changes in (("Estimates", stack.estimates), ("Stack outputs", stack.outputs)):
        if not changes:
            continue
        lines += [f"**{title}**", "", "| path | before | after |", "|---|---|---|"]
        for change in changes:
            lines.append(f"| {_code(change.path)} | {_value(change.old)} | {_value(change.new)} |")
        lines.append("")
    return lines


def render_markdown(diff: PlanDiff) -> str:
    """The diff as a pull-request comment (GitHub Markdown)."""
    lines = [MARKER, f"## Plan diff: {_code(diff.base)} → {_code(diff.head)}", ""]
    if diff.empty:
        lines.append(
            "No changes: both sides declare the same resources, policy findings, estimates "
            "and outputs."
        )
        return "\n".join(lines) + "\n"
    lines += [
        "| stack | status | added | removed | changed | new findings | fixed findings | "
        "estimate changes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stack in diff.stacks:
        lines.append(
            f"| {_code(stack.stack)} | {stack.status} | {len(stack.added)} | {len(stack.removed)}"
            f" | {len(stack.changed)} | {len(stack.new_findings)} | {len(stack.fixed_findings)}"
            f" | {len(stack.estimates)} |"
        )
    lines.append("")
    for stack in diff.stacks:
        lines += _stack_section(stack)
    text = "\n".join(lines).rstrip("\n") + "\n"
    if len(text) > MARKDOWN_LIMIT:
        cut = text[:MARKDOWN_LIMIT].rsplit("\n", 1)[0]
        text = cut + "\n\n_… truncated: the JSON diff (`--json`) has everything._\n"
    return text
