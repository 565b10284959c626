"""Stage 1 of ``paif plan``: read what a run needs, each problem named by its file or flag.

The project's ``Pulumi.yaml``, each stack file (and a DR stack's primary's, which it must name
correctly), the ``--policy-pack-config`` file, and the outputs of a primary planned by an
earlier run (its ``plan.json`` in the out folder), which a DR stack's ``StackReference`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from paif_cli.errors import InputError
from paif_components.config import (
    ConfigError,
    MissingStackFile,
    Problem,
    StackConfig,
    StackFile,
    parse_stack_config,
    read_stack_file,
    stacks,
)
from paif_components.config.loader import OFFLINE_SECRET_PREFIX
from paif_components.config.stacks import StackPart
from paif_components.contract.plan import SECRET_PLACEHOLDER, PlanDocument

__all__ = [
    "PLAN_FILE",
    "LoadedStack",
    "PeerOutputs",
    "load_policy_pack_config",
    "load_stack",
    "peer_stacks",
    "previous_outputs",
    "project_name",
]

PLAN_FILE = "plan.json"
PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class LoadedStack:
    """A stack file and the config it parses to (with any overrides applied): its own, or for a
    tenant-group stack its platform stack's (``paif:layout``); ``part`` says what it builds."""

    stack: str
    stack_file: StackFile
    config: StackConfig
    values: dict[str, Any]
    part: StackPart | None = None

    @property
    def peers(self) -> list[str]:
        """The stacks whose outputs it reads (``StackReference``): a DR stack's primary, and
        the primary's group that builds the same tenants."""
        dr = self.config.dr
        if dr.role != "dr" or dr.peer is None:
            return []
        extra = self.part.primary_stack if self.part is not None else None
        return list(dict.fromkeys([dr.peer.stack, *([extra] if extra else [])]))


@dataclass(frozen=True)
class PeerOutputs:
    """What a ``StackReference`` to a planned stack sees: its outputs, and which are secret."""

    outputs: dict[str, Any]
    secret_names: list[str]


def project_name(project_dir: Path) -> str:
    """The ``name`` in Pulumi.yaml: stack references and URNs use it."""
    path = Path(project_dir) / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(
            PROJECT_FILE, [Problem("", f"no such file in {path.parent} (--project-dir)")]
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(PROJECT_FILE, [Problem("", f"not valid YAML: {exc}")]) from None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError(PROJECT_FILE, [Problem("name", "the project needs a name")])
    return name


def load_stack(
    project_dir: Path, stack: str, overrides: Mapping[str, Any] | None = None
) -> LoadedStack:
    """Read and validate one stack file (and its primary's, for a DR stack); ``overrides``
    replace config values before the stack's config is parsed again with them."""
    stack_file = read_stack_file(project_dir, stack)
    values = dict(stack_file.values)
    if overrides:
        values.update(overrides)
    # A tenant-group stack's config is its platform stack's (paif:layout).
    site = stacks.site_file(project_dir, stack, values, stack_file.file_name)
    config = parse_stack_config(site.values, site.file_name)
    primary = None
    if config.dr.role == "dr" and config.dr.peer is not None:
        peer = config.dr.peer.stack.rsplit("/", 1)[-1]
        try:
            peer_file = read_stack_file(project_dir, peer)
        except MissingStackFile as exc:
            # Name the key that points at the missing file, in the file that has it.
            problem = f"names stack {peer!r}, which has no stack file {exc.stack_file} in "
            problem += exc.folder
            if exc.stacks:
                problem += f" (stacks here: {', '.join(exc.stacks)})"
            raise ConfigError(site.file_name, [Problem("paif:dr.peer.stack", problem)]) from None
        primary = parse_stack_config(peer_file.values, peer_file.file_name)
    part = stacks.stack_part(stack, site, config, primary)
    return LoadedStack(stack, stack_file, config, values, None if part.kind == "whole" else part)


def peer_stacks(project_dir: Path, stack: str) -> list[str]:
    """The stacks this one reads outputs of (a DR stack's primary, and for a DR tenant group
    the primary's group of the same tenants); [] if it cannot tell."""
    try:
        return [peer.rsplit("/", 1)[-1] for peer in load_stack(project_dir, stack).peers]
    except ConfigError:
        return []


def previous_outputs(stack: str, out_dir: Path | None) -> PeerOutputs | None:
    """The outputs of ``stack`` in the last run's plan.json under ``out_dir``, if there is one.

    Secret outputs were written as the placeholder; they come back as offline secrets, as a
    stack file's encrypted values do.
    """
    if out_dir is None:
        return None
    path = Path(out_dir) / stack / PLAN_FILE
    if not path.is_file():
        return None
    document = PlanDocument.from_json(json.loads(path.read_text(encoding="utf-8")))
    outputs = {
        k: (OFFLINE_SECRET_PREFIX + k if v == SECRET_PLACEHOLDER else v)
        for k, v in document.outputs.items()
    }
    return PeerOutputs(outputs, list(document.secret_outputs))


def load_policy_pack_config(source: Path | str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Read ``--policy-pack-config`` (a JSON object, as the Pulumi CLI takes it)."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        return json.loads(json.dumps(dict(source)))
    path = Path(source)
    flag = f"--policy-pack-config {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{flag}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{flag}: a folder, not a JSON file") from None
    except OSError as exc:
        raise InputError(f"{flag}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{flag}: not UTF-8 text (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{flag}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict):
        raise InputError(
            f"{flag}: must be a JSON object mapping policy names to "
            f'levels or settings, e.g. {{"PAIF-HA-001": {{"minReplicasProd": 3}}}}'
        )
    return document
