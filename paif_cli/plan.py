"""The offline plan: run a stack's program under mocks, gate it with the policy pack, write it.

Nothing here knows what the program declares: it runs the same ``__main__.py`` as
``pulumi up`` with the stack's config, records every registration, and writes what a reviewer
needs (plan.json, Kubernetes manifests, policy reports). Stack references are answered from the
peer's plan, so a DR stack plans without credentials too.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components import yaml_text
from components.config import ConfigError, StackConfig, parse_stack_config, read_stack_file
from components.config.loader import OFFLINE_SECRET_PREFIX
from components.config.units import format_seconds
from components.context import TARGET_ANNOTATION
from components.observability.alerts import OPS_RUNBOOK_FILE
from paif_cli import json_text
from paif_cli.mock_runtime import (
    SECRET_PLACEHOLDER,
    PlanMocks,
    ProgramError,
    ProgramResult,
    ResourceRecord,
    run_program,
)

PLAN_FILE = "plan.json"
PROMETHEUS_RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
MANIFEST_DIR = "manifests"
# Secrets go beside the manifests, not among them: their values are placeholders, so `kubectl
# apply` of a target's manifests folder (even -R of all of them) must not reach them. The
# folder's README says how to supply the values.
SECRET_DIR = "secrets"
SECRET_README = "README.md"
APPLY_FIRST_PREFIX = "00-"
KUBERNETES_PREFIX = "kubernetes:"
SECRET_DATA_FIELDS = ("data", "stringData")


@dataclass
class StackPlan:
    """Everything the plan learned about one stack."""

    stack: str
    project: str
    stack_file: str
    config: StackConfig
    result: ProgramResult
    findings: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def estimates(self) -> dict[str, Any]:
        value = self.result.outputs.get("estimates")
        return value if isinstance(value, dict) else {}

    @property
    def mandatory_failures(self) -> list[dict[str, Any]]:
        # The engine's rule: any diagnostic at mandatory level fails the preview. Waived
        # findings are never diagnostics (PAIF-WAIVED answers "not applicable").
        return [f for f in self.findings if f["enforcement"] == "mandatory"]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "stackFile": self.stack_file,
            "environment": self.config.environment,
            "resources": [r.to_json() for r in self.result.resources],
            "outputs": self.result.outputs,
            "secretOutputs": self.result.secret_outputs,
            "policy": {"violations": self.findings},
            "estimates": self.estimates,
        }


def project_name(project_dir: Path) -> str:
    """The ``name`` in Pulumi.yaml: stack references and URNs use it."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.is_file():
        raise ConfigError(
            "Pulumi.yaml", [_problem("Pulumi.yaml", f"no Pulumi.yaml in {path.parent}")]
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError("Pulumi.yaml", [_problem("yaml", f"not valid YAML: {exc}")]) from None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError("Pulumi.yaml", [_problem("name", "the project needs a name")])
    return name


def _problem(path: str, message: str) -> Any:
    from components.config import Problem

    return Problem(path, message)


def load_config(project_dir: Path, stack: str) -> tuple[StackConfig, Any]:
    """Read and validate one stack file (and its primary's, for a DR stack)."""
    stack_file = read_stack_file(project_dir, stack)
    config = parse_stack_config(stack_file.values, stack_file.file_name)
    if config.dr.role == "dr" and config.dr.peer is not None:
        peer = config.dr.peer.stack.rsplit("/", 1)[-1]
        try:
            peer_file = read_stack_file(project_dir, peer)
        except ConfigError as exc:
            if [p.path for p in exc.problems] != ["stack"]:
                raise
            # Name the key that points at the missing file, in the file that has it.
            detail = exc.problems[0].message.removeprefix("no ")
            raise ConfigError(
                stack_file.file_name,
                [_problem("paif:dr.peer.stack", f"names stack {peer!r}, which has no {detail}")],
            ) from None
        parse_stack_config(peer_file.values, peer_file.file_name)
    return config, stack_file


def stack_reference_outputs(
    stack_name: str, planned: Mapping[str, StackPlan], out_dir: Path | None
) -> dict[str, Any] | None:
    """Outputs a StackReference to ``stack_name`` sees: this run's plan, else the last one."""
    short = stack_name.rsplit("/", 1)[-1]
    if short in planned:
        return dict(planned[short].result.raw_outputs)
    previous = _previous_plan_file(short, out_dir)
    if previous is None:
        return None
    outputs = json.loads(previous.read_text(encoding="utf-8")).get("outputs", {})
    return {
        k: (OFFLINE_SECRET_PREFIX + k if v == SECRET_PLACEHOLDER else v) for k, v in outputs.items()
    }


def stack_reference_secret_names(
    stack_name: str, planned: Mapping[str, StackPlan], out_dir: Path | None
) -> list[str]:
    """Which of those outputs are secret, so the reference keeps them secret."""
    short = stack_name.rsplit("/", 1)[-1]
    if short in planned:
        return list(planned[short].result.secret_outputs)
    previous = _previous_plan_file(short, out_dir)
    if previous is None:
        return []
    document = json.loads(previous.read_text(encoding="utf-8"))
    return [str(name) for name in document.get("secretOutputs", [])]


def _previous_plan_file(short: str, out_dir: Path | None) -> Path | None:
    """The last run's plan file of a stack this run does not plan, ``None`` if there is none."""
    if out_dir is None:
        return None
    previous = Path(out_dir) / short / PLAN_FILE
    return previous if previous.is_file() else None


def plan_stack(
    project_dir: Path,
    stack: str,
    *,
    planned: Mapping[str, StackPlan] | None = None,
    out_dir: Path | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    gate: bool = True,
) -> StackPlan:
    """Plan one stack; raise ConfigError or ProgramError with a user-readable message.

    ``gate=False`` stops after the program (config, program, outputs: all a DR stack needs of
    its primary); :func:`gate_stack` does the rest.
    """
    planned = planned or {}
    project_dir = Path(project_dir).resolve()
    project = project_name(project_dir)
    config, stack_file = load_config(project_dir, stack)
    values = dict(stack_file.values)
    if config_overrides:
        values.update(config_overrides)
        config = parse_stack_config(values, stack_file.file_name)
    references: dict[str, dict[str, Any]] = {}
    secret_names: dict[str, list[str]] = {}
    if config.dr.peer is not None and config.dr.role == "dr":
        peer = config.dr.peer.stack
        outputs = stack_reference_outputs(peer, planned, out_dir)
        if outputs is None:
            raise ProgramError(
                f"{stack_file.file_name}: paif:dr.peer.stack: the peer stack {peer!r} has no "
                f"plan yet: run `paif plan --stack {peer.rsplit('/', 1)[-1]} --stack {stack}`"
            )
        references[peer] = outputs
        secret_names[peer] = stack_reference_secret_names(peer, planned, out_dir)
    mocks = PlanMocks(stack_references=references, stack_reference_secrets=secret_names)
    result = run_program(
        project_dir / "__main__.py",
        mocks,
        project=project,
        stack=stack,
        config=values,
        secret_keys=sorted(stack_file.secret_keys),
        cwd=project_dir,
    )
    plan = StackPlan(stack, project, stack_file.file_name, config, result)
    if gate:
        gate_stack(plan)
    return plan


def gate_stack(plan: StackPlan) -> None:
    """What ``plan_stack`` does after the program: the policy gate and the runbooks."""
    from components.dr.runbook import RUNBOOK_FILE, render_runbook
    from paif_cli.gate import evaluate_plan

    with collector_paused():
        evaluate_plan(plan)
        if plan.estimates:
            plan.reports[RUNBOOK_FILE] = render_runbook(plan.config, plan.estimates)
        plan.reports[OPS_RUNBOOK_FILE] = ops_runbook(plan)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting goes on): for the gate and the
    writing, which build many objects that live to the end of the phase and leave few cycles.
    The collector would only walk them: a third of a 50-tenant gate's time, and a collection
    of the program's objects while writing (docs/benchmarks.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def alert_groups(resources: Sequence[ResourceRecord]) -> list[dict[str, Any]]:
    """Every PrometheusRule group the stack declares, in plan order."""
    groups: list[dict[str, Any]] = []
    for record in resources:
        if record.type == PROMETHEUS_RULE_TYPE:
            groups.extend((record.inputs.get("spec") or {}).get("groups") or [])
    return groups


def ops_runbook(plan: StackPlan) -> str:
    """The operations runbook the stack's alerts link to (``components.observability``)."""
    from components.observability.runbook import render_ops_runbook

    observability = plan.config.observability
    return render_ops_runbook(
        site=plan.config.site.name,
        stack=plan.stack,
        groups=alert_groups(plan.result.resources),
        prometheus_url=observability.prometheus.resolved_url if observability.enabled else None,
    )


def monitoring_lines(plan: StackPlan) -> list[str]:
    """Which running endpoints are scraped and alerted on (PAIF-OPS-001's view), and which not."""
    from paif_cli.gate import stack_view
    from policies.rules.operations import endpoint_watches

    watches = endpoint_watches(stack_view([r.to_json() for r in plan.result.resources]))
    if not watches:
        return []
    watched = [f"{w.endpoint.namespace}/{w.endpoint.name}" for w in watches if w.monitored]
    lines = [
        f"  monitored endpoints (scraped; down, latency and error-rate alerts): "
        f"{', '.join(watched) or 'none'}"
    ]
    unwatched = [w for w in watches if not w.monitored]
    if unwatched:
        lines.append(
            "  NOT monitored: "
            + ", ".join(f"{w.endpoint.namespace}/{w.endpoint.name}" for w in unwatched)
        )
    return lines


# --- writing --------------------------------------------------------------------------------


def manifest_target(body: Mapping[str, Any], record: ResourceRecord) -> str:
    """The Kubernetes API an object is applied to: its target annotation (the Supervisor or a
    VKS cluster's name); an object without one goes under its provider's name."""
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    target = annotations.get(TARGET_ANNOTATION) if isinstance(annotations, dict) else None
    if isinstance(target, str) and target:
        return target
    provider = (record.provider or "").split("::")
    return f"provider-{provider[-2]}" if len(provider) >= 2 else "default-provider"


def _with_secret_keys(body: dict[str, Any], record: ResourceRecord) -> dict[str, Any]:
    """A masked Secret keeps its keys: each value becomes ``[secret]``, so the manifest still
    validates as a Secret (``data``/``stringData`` are maps of strings)."""
    for field_name in SECRET_DATA_FIELDS:
        if body.get(field_name) == SECRET_PLACEHOLDER and field_name in record.secret_keys:
            body[field_name] = {k: SECRET_PLACEHOLDER for k in record.secret_keys[field_name]}
    return body


def kubernetes_manifests(resources: Sequence[ResourceRecord]) -> dict[str, dict[str, Any]]:
    """Every Kubernetes object the stack declares, keyed by its path under the stack's out
    folder: ``manifests/<target>/<stable file name>``, or ``secrets/<target>/...`` for a Secret."""
    manifests: dict[str, dict[str, Any]] = {}
    for record in resources:
        if not record.type.startswith(KUBERNETES_PREFIX) or not record.custom:
            continue
        if record.inputs.get("__read") is not None:
            continue
        body = {k: v for k, v in record.inputs.items() if not k.startswith("__")}
        if "apiVersion" not in body or "kind" not in body:
            continue
        ordered = {"apiVersion": body.pop("apiVersion"), "kind": body.pop("kind")}
        if "metadata" in body:
            ordered["metadata"] = body.pop("metadata")
        ordered.update(body)
        folder = MANIFEST_DIR
        if ordered["kind"] == "Secret":
            ordered = _with_secret_keys(ordered, record)
            folder = SECRET_DIR
        target = re.sub(r"[^a-z0-9.-]+", "-", manifest_target(ordered, record).lower())
        kind = str(ordered["kind"]).lower()
        # `kubectl apply -f FOLDER` applies files as they sort: a namespace goes first, before
        # the objects that live in it.
        first = APPLY_FIRST_PREFIX if kind == "namespace" else ""
        stem = first + re.sub(r"[^a-z0-9.-]+", "-", f"{kind}-{record.name}".lower())
        name = f"{folder}/{target}/{stem}.yaml"
        counter = 2
        while name in manifests:
            name = f"{folder}/{target}/{stem}-{counter}.yaml"
            counter += 1
        manifests[name] = ordered
    return manifests


def secrets_readme(stack: str, secrets: Mapping[str, Mapping[str, Any]]) -> str:
    """What ``secrets/`` holds and how to give each Secret its values (its keys are known, its
    values are not: they are Pulumi secrets or come from Harbor at ``pulumi up``)."""
    lines = [
        f"# Secrets of stack `{stack}`: not to be applied as they are",
        "",
        "Each file is a Secret the stack declares, with its keys and `[secret]` in place of each "
        "value (the values are Pulumi secrets, or made during `pulumi up`: a pull secret's robot "
        "account comes from Harbor). "
        "`pulumi up` creates them with their real values. Applying the manifests by hand "
        "(`kubectl apply -f manifests/<target>/`) leaves them out; create each one with its "
        "values first, in the API of its folder:",
        "",
    ]
    for path, document in sorted(secrets.items()):
        metadata = document.get("metadata") or {}
        name, namespace = metadata.get("name", "?"), metadata.get("namespace", "default")
        target = path.split("/")[1]
        keys = sorted(
            key for field in SECRET_DATA_FIELDS for key in (document.get(field) or {}) or {}
        )
        if document.get("type") == "kubernetes.io/dockerconfigjson":
            command = (
                f"kubectl --context {target} -n {namespace} create secret docker-registry "
                f"{name} --docker-server=<registry host> --docker-username=<robot account> "
                "--docker-password=<its secret>"
            )
        else:
            literals = " ".join(f"--from-literal={k}=<value>" for k in keys)
            command = (
                f"kubectl --context {target} -n {namespace} create secret generic {name} "
                f"{literals}".rstrip()
            )
        lines += [
            f"- `{path}`: {document.get('type', 'Opaque')}, keys {', '.join(keys) or 'none'}",
            "",
            "  ```sh",
            f"  {command}",
            "  ```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def dump_yaml(document: Any) -> str:
    return yaml_text.safe_dump(
        document, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def write_plan(plan: StackPlan, out_dir: Path) -> Path:
    """Write plan.json, manifests and reports under OUT/STACK; return that folder."""
    target = Path(out_dir) / plan.stack
    manifests_dir = target / MANIFEST_DIR
    for folder in (manifests_dir, target / SECRET_DIR):
        if folder.is_dir():
            shutil.rmtree(folder)  # this plan's own output: no stale target survives
    manifests_dir.mkdir(parents=True, exist_ok=True)
    (target / PLAN_FILE).write_text(json_text.dumps(plan.to_json()) + "\n", encoding="utf-8")
    folders: set[str] = set()
    documents = kubernetes_manifests(plan.result.resources)
    secrets = {k: v for k, v in documents.items() if k.startswith(f"{SECRET_DIR}/")}
    if secrets:
        (target / SECRET_DIR).mkdir(parents=True, exist_ok=True)
        _write_text(
            os.path.join(target, SECRET_DIR, SECRET_README), secrets_readme(plan.stack, secrets)
        )
    for file_name, document in documents.items():
        path = os.path.join(target, file_name)
        folder = os.path.dirname(path)
        if folder not in folders:  # a folder per target API
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        _write_text(path, dump_yaml(document))
    for file_name, text in plan.reports.items():
        (target / file_name).write_text(text, encoding="utf-8")
    return target


def _write_text(path: str, text: str) -> None:
    """``Path(path).write_text(text, encoding="utf-8")`` without a text-file object per file
    (thousands of manifests in a large plan)."""
    if os.linesep != "\n":  # text mode would translate line ends
        Path(path).write_text(text, encoding="utf-8")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def summary(plan: StackPlan) -> str:
    """A readable account of what the stack declares, for the terminal.

    Resources are grouped by the component they belong to one level below the site (a tenant,
    the GPU domain, the edge, a replication), so a reviewer sees who declares what.
    """
    records = plan.result.resources
    by_urn = {r.urn: r for r in records}
    config = plan.config
    lines = [
        f"Stack {plan.stack} ({plan.stack_file}, environment {config.environment}, "
        f"site {config.site.name}, DR {config.dr.pattern}/{config.dr.role})",
        f"  {sum(1 for r in records if r.custom)} resources in "
        f"{sum(1 for r in records if not r.custom)} components",
    ]

    def group_of(record: ResourceRecord) -> str:
        chain = []
        current: ResourceRecord | None = record
        while current is not None:
            if not current.custom:
                chain.append(current)
            current = by_urn.get(current.parent or "")
        if not chain:
            return "(stack)"
        top = chain[-2] if len(chain) >= 2 else chain[-1]
        return f"{top.type} {top.name}"

    groups: dict[str, Counter[str]] = {}
    for record in records:
        if record.custom:
            groups.setdefault(group_of(record), Counter())[record.type.rsplit(":", 1)[-1]] += 1
    for group in sorted(groups):
        counts = groups[group]
        lines.append(f"  {group}: {sum(counts.values())}")
        parts = [f"{count} {kind}" for kind, count in sorted(counts.items())]
        row = "     "
        for part in parts:
            if len(row) + len(part) + 2 > 100:
                lines.append(row.rstrip(", "))
                row = "     "
            row += f" {part},"
        lines.append(row.rstrip(","))
    lines += monitoring_lines(plan)
    estimate = plan.estimates
    rto, rpo = estimate.get("rto"), estimate.get("rpo")
    if isinstance(rto, dict) and isinstance(rpo, dict):
        declared = config.dr.objectives
        verdict = ""
        if declared is not None:
            met = rto.get("seconds", 0) <= declared.rto and rpo.get("seconds", 0) <= declared.rpo
            verdict = f"; declared {format_seconds(declared.rto)}/{format_seconds(declared.rpo)}: "
            verdict += "met" if met else "NOT met"
        lines.append(
            f"  DR {config.dr.pattern}: RTO ≈ {rto.get('duration')} ({rto.get('band')}), "
            f"RPO ≈ {rpo.get('duration')} ({rpo.get('band')}){verdict}"
        )
    if plan.result.outputs:
        lines.append("  outputs:")
        for key in sorted(plan.result.outputs):
            value = plan.result.outputs[key]
            text = json.dumps(value, sort_keys=True, ensure_ascii=False)
            if len(text) > 100:
                text = text[:97] + "..."
            lines.append(f"    {key}: {text}")
    return "\n".join(lines)
