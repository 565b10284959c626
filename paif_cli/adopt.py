"""``paif adopt``: see, before the first ``pulumi up``, what adopting existing objects will do.

The stack file says which kinds of platform objects the stack adopts (``paif:ownership``). This
command reads the site through the Pulumi CLI: ``pulumi preview --json`` of the stack imports
each adopted object by the id the program found by name (the provider reads it from vCenter or
Harbor; nothing is written), and the engine then diffs the live object against the declared
settings. For each adopted object it prints the import id and every setting where the two
differ, declared and live side by side: what the first ``pulumi up`` will change on the live
object after importing it (CLI v3.276.0: import, then update). Then it writes the import ids
into the stack file (``pulumi config set --path paif:ownership.importIds...``), so they are
reviewed in the pull request and every later run imports exactly those objects.

The sequence (docs/adopting.md): discover (``paif adopt``), settle (change the stack file, or the
site, until the differences left are the ones the stack should enforce; ``--exit-code`` fails
while any remain), ``pulumi up`` (imports: no create, no replace), then change.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paif_cli.errors import PaifError
from paif_components.config.models.ownership import KINDS
from paif_components.ownership import RESOURCE_TYPES

IMPORT_OPS = ("import", "import-replacement")
REPLACE_OPS = ("replace", "create-replacement", "delete-replaced", "import-replacement")
CHANGE_OPS = ("update", *REPLACE_OPS)
_KIND_OF_TYPE = {t: k for k, t in RESOURCE_TYPES.items()}


class AdoptError(PaifError):
    """What stops ``paif adopt`` (exit 2): the message says what to do."""


@dataclass
class Difference:
    path: str
    declared: Any
    live: Any


@dataclass
class Adoption:
    """One adopted object as the preview shows it."""

    kind: str
    name: str
    urn: str
    import_id: str | None = None
    live_id: str | None = None
    state: str = "import"  # import | in-stack | replace | create | missing
    differences: list[Difference] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return self.state in ("import", "in-stack") and not self.differences


@dataclass
class AdoptReport:
    stack: str
    stack_file: str
    adoptions: list[Adoption]
    referenced: list[Mapping[str, Any]]
    errors: list[str]
    written: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(a.state in ("replace", "create", "missing") for a in self.adoptions)

    @property
    def settled(self) -> bool:
        return all(a.settled for a in self.adoptions)


def _get(value: Any, path: str) -> Any:
    """``a.b[0].c`` (the engine's detailed-diff paths) inside nested mappings and lists."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def _differences(step: Mapping[str, Any]) -> list[Difference]:
    """Declared (``newState``) against live (``oldState``: what the import read) per path."""
    old = (step.get("oldState") or {}).get("inputs") or {}
    new = (step.get("newState") or {}).get("inputs") or {}
    paths = sorted((step.get("detailedDiff") or {}).keys()) or sorted(step.get("diffReasons") or [])
    return [Difference(p, _get(new, p), _get(old, p)) for p in paths if not p.startswith("__")]


def read_preview(
    digest: Mapping[str, Any], adopted: Sequence[tuple[str, str, str]]
) -> list[Adoption]:
    """The adoptions ``adopted`` (urn, kind, name) as the preview ``digest`` shows them."""
    steps: dict[str, list[Mapping[str, Any]]] = {}
    for step in digest.get("steps") or []:
        steps.setdefault(str(step.get("urn")), []).append(step)
    out = []
    for urn, kind, name in adopted:
        adoption = Adoption(kind, name, urn, state="missing")
        for step in steps.get(urn, []):
            op = step.get("op")
            new_state = step.get("newState") or {}
            if op in IMPORT_OPS:
                adoption.state = "replace" if op == "import-replacement" else "import"
                adoption.import_id = new_state.get("importID") or None
                adoption.live_id = new_state.get("id") or None
            elif op in REPLACE_OPS:
                adoption.state = "replace"
                adoption.differences = _differences(step)
            elif op == "update":
                if adoption.state == "missing":
                    adoption.state = "in-stack"
                adoption.differences = _differences(step)
            elif op == "same" and adoption.state == "missing":
                adoption.state = "in-stack"
            elif op == "create":
                adoption.state = "create"
        out.append(adoption)
    return out


def planned_adoptions(
    project_dir: Path, stack: str, out_dir: Path | None
) -> tuple[str, list[tuple[str, str, str]], list[Mapping[str, Any]]]:
    """From the offline plan: the stack file, (urn, kind, name) of every object the stack
    imports, and the objects it references."""
    from paif_cli.pipeline import plan_stack

    plan = plan_stack(project_dir, stack, out_dir=out_dir, gate=False)
    adopted: list[tuple[str, str, str]] = []
    for record in plan.result.resources:
        kind = _KIND_OF_TYPE.get(record.type)
        if record.import_id is not None and kind is not None:
            adopted.append((record.urn, kind, str(record.inputs.get("name") or record.name)))
    rows = plan.result.outputs.get("ownership")
    referenced: list[Mapping[str, Any]] = [
        r for r in (rows if isinstance(rows, list) else []) if r.get("mode") == "reference"
    ]
    return plan.stack_file, adopted, referenced


def run_preview(pulumi: str, project_dir: Path, stack: str) -> tuple[dict[str, Any], str]:
    """``pulumi preview --json`` of the stack: (the digest, stderr)."""
    result = subprocess.run(
        [pulumi, "preview", "--stack", stack, "--json", "--non-interactive"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        digest = json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = (result.stderr or result.stdout).strip()[-2000:]
        raise AdoptError(f"`pulumi preview --stack {stack}` printed no preview: {tail}") from None
    return digest, result.stderr


def preview_errors(digest: Mapping[str, Any]) -> list[str]:
    return [
        str(d.get("message", "")).strip()
        for d in digest.get("diagnostics") or []
        if d.get("severity") == "error"
    ]


def write_import_ids(
    pulumi: str, project_dir: Path, stack: str, adoptions: Sequence[Adoption], pinned: Any
) -> list[tuple[str, str, str]]:
    """``pulumi config set --path`` each import id the stack file does not pin yet."""
    written: list[tuple[str, str, str]] = []
    for adoption in adoptions:
        if adoption.import_id is None or adoption.kind not in KINDS:
            continue
        if pinned.pinned_id(adoption.kind, adoption.name) == adoption.import_id:
            continue
        key = f'paif:ownership.importIds.{adoption.kind}["{adoption.name}"]'
        result = subprocess.run(
            [pulumi, "config", "set", "--path", "--stack", stack, key, "--", adoption.import_id],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise AdoptError(f"pulumi config set {key}: {result.stderr.strip()[-1000:]}")
        written.append((adoption.kind, adoption.name, adoption.import_id))
    return written


def adopt(
    project_dir: Path,
    stack: str,
    *,
    write: bool = True,
    pulumi: str | None = None,
    out_dir: Path | None = None,
) -> AdoptReport:
    from paif_cli.load import load_stack

    project_dir = Path(project_dir).resolve()
    config = load_stack(project_dir, stack).config
    stack_file, adopted, referenced = planned_adoptions(project_dir, stack, out_dir)
    report = AdoptReport(stack, stack_file, [], referenced, [])
    if not adopted:
        return report
    cli = pulumi or shutil.which("pulumi")
    if cli is None:
        raise AdoptError(
            "paif adopt reads the site through the Pulumi CLI, and `pulumi` is not on PATH "
            "(docs/quickstart.md)"
        )
    digest, _ = run_preview(cli, project_dir, stack)
    report.errors = preview_errors(digest)
    report.adoptions = read_preview(digest, adopted)
    if write and not report.errors:
        report.written = write_import_ids(
            cli, project_dir, stack, report.adoptions, config.ownership
        )
    return report


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else "(not set)"


def render(report: AdoptReport) -> str:
    lines = [
        f"Stack {report.stack} ({report.stack_file}): {len(report.adoptions)} object(s) to "
        f"adopt, {len(report.referenced)} referenced"
    ]
    states = {
        "import": "imported by the first `pulumi up`",
        "in-stack": "already in the stack",
        "replace": "would be REPLACED: change the declared setting that forces it",
        "create": "would be CREATED, not imported",
        "missing": "not in the preview (see the errors above)",
    }
    for error in report.errors:
        lines.append(f"  error: {error}")
    for a in report.adoptions:
        ident = f" (import id {a.import_id}" + (
            f", live id {a.live_id})" if a.live_id and a.live_id != a.import_id else ")"
        )
        lines.append(f"  {a.kind} {a.name}{ident if a.import_id else ''}: {states[a.state]}")
        if not a.differences and a.state in ("import", "in-stack"):
            lines.append("      the live object matches the declared settings")
        for d in a.differences:
            lines.append(f"      {d.path}: declared {_show(d.declared)}, live {_show(d.live)}")
    if report.referenced:
        names = ", ".join(f"{r.get('kind')} {r.get('name')}" for r in report.referenced)
        lines.append(f"  referenced (looked up by name, never managed): {names}")
    if any(a.differences for a in report.adoptions):
        lines.append(
            "The first `pulumi up` imports each object and then changes the live settings "
            "listed above to the declared ones. Settle each difference: keep it (the stack "
            "enforces it), or change the stack file (or the site) and run paif adopt again."
        )
    for kind, name, import_id in report.written:
        lines.append(f"wrote paif:ownership.importIds.{kind}.{name}: {import_id}")
    return "\n".join(lines)
