"""Stage 5 of ``paif plan``: the out tree, written once every stack has planned.

``OUT/<stack>/``: ``plan.json`` (every registration, outputs, findings, estimates),
``manifests/<target>/`` (each Kubernetes object the stack declares, in a folder per Kubernetes
API), ``secrets/<target>/`` (its Secrets, apart: their values are placeholders, with a README
saying how to supply them) and the rendered documents; ``OUT/``: ``policy-summary.md`` and
``topology.svg`` of all stacks of the run. Secrets are already the placeholder in every record:
nothing secret is written.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from paif_cli import json_text
from paif_cli.diagram import TOPOLOGY_FILE, render_topology
from paif_cli.load import PLAN_FILE
from paif_cli.mock_runtime import ResourceRecord
from paif_cli.record import StackPlan
from paif_cli.render import SUMMARY_FILE, render_summary
from paif_components import yaml_text
from paif_components.context import TARGET_ANNOTATION
from paif_components.contract.annotations import SOURCES_ANNOTATION
from paif_components.contract.plan import SECRET_PLACEHOLDER

__all__ = [
    "MANIFEST_DIR",
    "SECRET_DIR",
    "dump_yaml",
    "kubernetes_manifests",
    "manifest_target",
    "write_plan",
    "write_run",
]

MANIFEST_DIR = "manifests"
# Secrets go beside the manifests, not among them: their values are placeholders, so `kubectl
# apply` of a target's manifests folder (even -R of all of them) must not reach them. The
# folder's README says how to supply the values.
SECRET_DIR = "secrets"
SECRET_README = "README.md"
APPLY_FIRST_PREFIX = "00-"
KUBERNETES_PREFIX = "kubernetes:"
SECRET_DATA_FIELDS = ("data", "stringData")


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


def credential_sources(stack: str, annotations: Mapping[str, Any]) -> dict[str, str]:
    """Where each key of an app's credentials Secret comes from, as a shell value: a Supervisor
    Secret's key read with kubectl, a stack secret with ``pulumi config get``
    (``paif_components.app_wiring``'s ``paif.vmware.com/credential-sources``)."""
    out: dict[str, str] = {}
    for entry in str(annotations.get(SOURCES_ANNOTATION) or "").split(", "):
        key, _, source = entry.partition("=")
        kind, _, where = source.partition(":")
        if kind == "supervisor":
            place, _, field = where.partition("#")
            namespace, _, name = place.partition("/")
            field = field.replace(".", "\\.")  # jsonpath: a dotted key (tls.crt) is escaped
            out[key] = (
                f'"$(kubectl --context supervisor -n {namespace} get secret {name} '
                f"-o jsonpath='{{.data.{field}}}' | base64 -d)\""
            )
        elif kind == "config":
            out[key] = f'"$(pulumi config get --stack {stack} {where})"'
    return out


def secrets_readme(stack: str, secrets: Mapping[str, Mapping[str, Any]]) -> str:
    """What ``secrets/`` holds and how to give each Secret its values (its keys are known, its
    values are not: they are Pulumi secrets or come from Harbor at ``pulumi up``)."""
    lines = [
        f"# Secrets of stack `{stack}`: not to be applied as they are",
        "",
        "Each file is a Secret the stack declares, with its keys and `[secret]` in place of each "
        "value (the values are Pulumi secrets, or made during `pulumi up`: a pull secret's robot "
        "account comes from Harbor; an app's credentials are copied from Supervisor Secrets and "
        "stack secrets, and its command reads each one there). "
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
            sources = credential_sources(stack, metadata.get("annotations") or {})
            literals = " ".join(f"--from-literal={k}={sources.get(k, '<value>')}" for k in keys)
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
    for stale in (manifests_dir, target / SECRET_DIR):
        if stale.is_dir():
            shutil.rmtree(stale)  # this plan's own output: no stale target survives
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


def write_run(plans: Sequence[StackPlan], out_dir: Path) -> list[Path]:
    """Files about all planned stacks together: ``policy-summary.md`` and ``topology.svg``."""
    if not plans:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = out / SUMMARY_FILE
    summary.write_text(render_summary(plans), encoding="utf-8")
    topology = out / TOPOLOGY_FILE
    topology.write_text(render_topology(plan.document() for plan in plans), encoding="utf-8")
    return [summary, topology]
