"""Run a Pulumi program in-process under the SDK's mock runtime and record what it declares.

This is the engine of the offline plan and of the tests: the program is the same ``__main__.py``
that ``pulumi up`` runs; only the resource monitor differs. The recording monitor keeps what
``MockResourceArgs`` drops (parent, dependencies, protect, aliases, which inputs are secret).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import math
import os
import runpy
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_in_stack

from paif_cli.errors import ProgramError
from paif_cli.offline import COMPUTED, INVOKES
from paif_cli.sdk_adapter import runtime as sdk_runtime
from paif_cli.sdk_adapter import sdk_shortcuts
from paif_cli.sdk_adapter.runtime import (
    RESOURCE_SIG,
    ROOT_STACK_TYPE,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
)
from paif_components.contract import plan
from paif_components.contract.plan import SECRET_PLACEHOLDER

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True, slots=True)
class ResourceRecord(plan.ResourceRecord):
    """One registered resource: plan.json's record (``to_json``), and what the run learns
    beside it that the plan does not record."""

    id: str | None = None
    # The package a parameterized provider's resource was registered under.
    package_ref: str | None = None
    # The keys of each secret mapping by its secret path (``stringData``: [".dockerconfigjson"]):
    # a masked Kubernetes Secret manifest keeps its keys.
    secret_keys: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ProgramResult:
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    secret_outputs: list[str] = field(default_factory=list)
    raw_outputs: dict[str, Any] = field(default_factory=dict)
    # Every resource's registered outputs by URN (secrets masked) and each RegisterPackage
    # request: what component and parameterized-provider tests assert on; not in the plan.
    resource_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: list[Any] = field(default_factory=list)


def mask_secrets(
    value: Any, path: str = "", keys: dict[str, list[str]] | None = None
) -> tuple[Any, list[str]]:
    """Replace secret-wrapped values of a decoded protobuf Struct by ``[secret]``.

    ``keys``, when given, collects the keys of each secret mapping by its path. Paths
    (``a.b[0].c``) are spelled only for the secrets found.
    """
    secrets: list[str] = []
    masked = _mask(value, [path] if path else [], secrets, keys)
    return masked, secrets


def _spelled(parts: list[Any]) -> str:
    """The path of ``parts`` (keys, and list indexes as ints) as ``mask_secrets`` spells it."""
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if type(part) is int else f"{path}.{part}" if path else part
    return path


def _mask(
    value: Any, parts: list[Any], secrets: list[str], keys: dict[str, list[str]] | None
) -> Any:
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            path = _spelled(parts) or "."
            inner = value.get("value")
            if keys is not None and isinstance(inner, dict):
                keys[path] = sorted(str(k) for k in inner)
            secrets.append(path)
            return SECRET_PLACEHOLDER
        if sig == RESOURCE_SIG:
            return value.get("urn", "")
        out: dict[str, Any] = {}
        for key in sorted(value):
            parts.append(key)
            out[key] = _mask(value[key], parts, secrets, keys)
            parts.pop()
        return out
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            parts.append(index)
            items.append(_mask(item, parts, secrets, keys))
            parts.pop()
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_dict(struct: Any) -> dict[str, Any]:
    """``json_format.MessageToDict(struct)`` of a ``Struct``: the same values, types and key
    order, without the printer's per-value descriptor lookups (every registration's inputs
    go through it)."""
    return {key: _value_of(value) for key, value in struct.fields.items()}


def _value_of(value: Any) -> Any:
    which = value.WhichOneof("kind")
    if which == "string_value":
        return value.string_value
    if which == "struct_value":
        return {key: _value_of(item) for key, item in value.struct_value.fields.items()}
    if which == "number_value":
        number = value.number_value
        if math.isinf(number):
            raise ValueError(
                "Fail to serialize Infinity for Value.number_value, "
                "which would parse as string_value"
            )
        if math.isnan(number):
            raise ValueError(
                "Fail to serialize NaN for Value.number_value, which would parse as string_value"
            )
        return number
    if which == "bool_value":
        return value.bool_value
    if which == "list_value":
        return [_value_of(item) for item in value.list_value.values]
    return None


def unwrap_secrets(value: Any) -> Any:
    """Decoded Struct with secret wrappers removed (the real values, for mock state)."""
    if isinstance(value, dict):
        if value.get(SPECIAL_SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def fake_id(urn: str) -> str:
    """Deterministic physical id: the same program gives the same ids on every run."""
    return "id-" + hashlib.sha256(urn.encode()).hexdigest()[:12]


class PlanMocks(pulumi.runtime.Mocks):
    """Answers registrations with their inputs plus deterministic computed outputs."""

    def __init__(
        self,
        stack_references: Mapping[str, Mapping[str, Any]] | None = None,
        computed: Mapping[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]]
        | None = None,
        invokes: Mapping[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]]
        | None = None,
        stack_reference_secrets: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.stack_references = dict(stack_references or {})
        # Which outputs of each referenced stack are secret: StackReference.get_output keeps
        # their secretness, as it does against the service.
        self.stack_reference_secrets = {
            ref: sorted(names) for ref, names in (stack_reference_secrets or {}).items()
        }
        self.computed = {**COMPUTED, **(computed or {})}
        self.invokes = {**INVOKES, **(invokes or {})}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE_TYPE:
            ref = str(args.inputs.get("name", args.name))
            if ref not in self.stack_references:
                raise ProgramError(
                    f"stack reference {ref!r} cannot be resolved offline: plan that stack first "
                    "(name it before this one in --stack) or keep its plan in the out dir"
                )
            outputs = dict(self.stack_references[ref])
            secret_names = self.stack_reference_secrets.get(ref, [])
            return f"{ref}-ref", {
                "name": ref,
                "outputs": outputs,
                "secretOutputNames": list(secret_names),
            }
        state = dict(args.inputs)
        factory = self.computed.get(args.typ)
        if factory is not None:
            state.update(factory(args))
        return (args.resource_id or f"{args.name}-id"), state

    def call(  # type: ignore[override]  # the SDK accepts a dict too (MockMonitor.Invoke)
        self, args: pulumi.runtime.MockCallArgs
    ) -> dict[str, Any]:
        handler = self.invokes.get(args.token)
        if handler is None:
            raise ProgramError(f"the offline plan has no answer for invoke {args.token!r}")
        return handler(args)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps the full registration of every resource, in order.

    ``inline``: answer in the caller's thread without an event loop where the SDK shortcuts
    allow it (:mod:`paif_cli.sdk_adapter.runtime`); otherwise every answer is the stock
    ``MockMonitor``'s.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, *, inline: bool = False) -> None:
        super().__init__(mocks)
        self.inline = inline
        self.records: list[ResourceRecord] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_secret_outputs: list[str] = []
        self.stack_raw_outputs: dict[str, Any] = {}
        self.resource_outputs: dict[str, dict[str, Any]] = {}
        self.packages: list[Any] = []
        self._stack_urn: str | None = None
        # Expanded aliases by URN: a child's inherited aliases come from its parent's.
        self._alias_urns: dict[str, list[str]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine forms them (``Deployment.generateURN``).

        The parent contributes its full qualified type (``A$B$C``), the root stack nothing. The
        SDK's mock monitor keeps only the parent's last type, which is not what ``pulumi up``
        records: resource identity is public API, so the plan must show the real URNs.
        """
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def _aliases(self, request: Any, urn: str) -> list[str]:
        """Every URN this resource answers to, as the engine expands them (``generateAliases``).

        Alias specs are collapsed to URNs with this resource's defaults; each alias of the
        parent adds the inherited child alias (name prefix rewritten) and re-parents each of
        this resource's own aliases.
        """
        stack, project = pulumi.get_stack(), pulumi.get_project()
        parent = request.parent or ""
        own: list[str] = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                own.append(alias.urn)
                continue
            spec = alias.spec
            alias_parent = parent
            if spec.noParent:
                alias_parent = ""
            elif spec.parentUrn:
                alias_parent = spec.parentUrn
            own.append(
                engine_urn(
                    spec.stack or stack,
                    spec.project or project,
                    alias_parent,
                    spec.type or request.type,
                    spec.name or request.name,
                )
            )
        result: list[str] = []
        for alias_urn in own:
            if alias_urn not in result:
                result.append(alias_urn)
        parent_name = parent.rsplit("::", 1)[-1] if parent else ""
        for parent_alias in self._alias_urns.get(parent, []):
            inherited = [
                inherited_child_alias(request.type, request.name, parent_name, parent_alias)
            ]
            for alias_urn in own:
                alias_type = alias_urn.split("::")[2].split("$")[-1]
                alias_name = alias_urn.rsplit("::", 1)[-1]
                inherited.append(
                    inherited_child_alias(alias_type, alias_name, parent_name, parent_alias)
                )
            for alias_urn in inherited:
                if alias_urn not in result:
                    result.append(alias_urn)
        result = [a for a in result if a and a != urn]
        self._alias_urns[urn] = result
        return result

    def RegisterResource(self, request: Any) -> Any:
        stock = super().RegisterResource
        if request.type == ROOT_STACK_TYPE:
            response = self._answer(stock, lambda r: sdk_runtime.register(self, r), request)
            self._stack_urn = response.urn
            return response
        raw = struct_dict(request.object)
        secret_keys: dict[str, list[str]] = {}
        inputs, secret_paths = mask_secrets(raw, keys=secret_keys)
        if not self.inline:
            response = stock(request)
        elif sdk_runtime.signed(request.object) and sdk_runtime.needs_sdk(raw):
            response = self._in_thread(stock, request)
        elif sdk_runtime.is_plain(raw) and type(self.mocks).new_resource is PlanMocks.new_resource:
            response = self._answer(
                stock, lambda r: sdk_runtime.register(self, r, decoded=raw), request
            )
        else:
            response = self._answer(stock, lambda r: sdk_runtime.register(self, r), request)
        protect = bool(request.protect) if request.HasField("protect") else False
        retain = bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False
        aliases = self._aliases(request, response.urn)
        self.records.append(
            ResourceRecord(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                provider=request.provider or None,
                inputs=inputs,
                secret_paths=sorted(secret_paths),
                protect=protect,
                retain_on_delete=retain,
                depends_on=sorted(set(request.dependencies)),
                aliases=aliases,
                id=response.id or None,
                package_ref=request.packageRef or None,
                secret_keys=secret_keys,
                import_id=request.importId or None,
            )
        )
        return response

    # Inline, the plan's event loop runs the SDK's monitor calls in its own thread
    # (``sdk_runtime.InlineExecutorLoop``): an answer is computed without an event loop
    # (``sdk_runtime.register``, ``read``, ``invoke``), and one the stock monitor must give
    # (a resource reference or an asset to rebuild) in a thread of its own.

    def _answer(
        self, stock: Callable[[Any], Any], inline: Callable[[Any], Any], request: Any
    ) -> Any:
        if not self.inline:
            return stock(request)
        try:
            return inline(request)
        except sdk_runtime.WouldBlock:
            return self._in_thread(stock, request)

    @staticmethod
    def _in_thread(method: Callable[[Any], Any], request: Any) -> Any:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(method, request).result()

    def Invoke(self, request: Any) -> Any:
        if self.inline and sdk_runtime.needs_sdk(struct_dict(request.args)):
            return self._in_thread(super().Invoke, request)
        return self._answer(super().Invoke, lambda r: sdk_runtime.invoke(self, r), request)

    def RegisterPackage(self, request: Any) -> Any:
        self.packages.append(request)
        return super().RegisterPackage(request)

    def ReadResource(self, request: Any) -> Any:
        if self.inline and sdk_runtime.needs_sdk(struct_dict(request.properties)):
            response = self._in_thread(super().ReadResource, request)
        else:
            response = self._answer(
                super().ReadResource, lambda r: sdk_runtime.read(self, r), request
            )
        self.records.append(
            ResourceRecord(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=True,
                provider=request.provider or None,
                inputs={"__read": request.id},
                secret_paths=[],
                protect=False,
                retain_on_delete=False,
                depends_on=sorted(set(request.dependencies)),
                aliases=[],
                id=request.id,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        raw = struct_dict(request.outputs)
        masked, secrets = mask_secrets(raw)
        if request.urn:
            self.resource_outputs[request.urn] = masked
        if request.urn and request.urn == self._stack_urn:
            self.stack_outputs = masked
            self.stack_secret_outputs = sorted({p.split(".")[0].split("[")[0] for p in secrets})
            self.stack_raw_outputs = _plain(unwrap_secrets(raw))
        return super().RegisterResourceOutputs(request)


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """``resource.NewURN`` with the parent's full qualified type, as ``pulumi up`` forms URNs."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def inherited_child_alias(
    child_type: str, child_name: str, parent_name: str, parent_alias: str
) -> str:
    """The engine's ``inheritedChildAlias``: ``{parent}-x`` children follow a renamed parent."""
    alias_name = child_name
    if parent_name and child_name.startswith(parent_name):
        alias_name = parent_alias.rsplit("::", 1)[-1] + child_name[len(parent_name) :]
    parts = parent_alias.split("::")
    stack, project = parts[0].removeprefix("urn:pulumi:"), parts[1]
    return engine_urn(stack, project, parent_alias, child_type, alias_name)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@contextlib.contextmanager
def mock_runtime(
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    sdk_shortcuts_wanted: bool = True,
) -> Iterator[tuple[RecordingMonitor, asyncio.AbstractEventLoop]]:
    """Configure a fresh event loop and mock settings; restore a clean runtime afterwards.

    With the SDK shortcuts the installed pulumi allows (``paif_cli.sdk_adapter``), unless
    ``sdk_shortcuts_wanted`` is off: then the stock loop and monitor answer everything.
    """
    with sdk_shortcuts(sdk_shortcuts_wanted) as shortcuts:
        loop = (
            sdk_runtime.InlineExecutorLoop() if shortcuts.runtime else asyncio.SelectorEventLoop()
        )
        asyncio.set_event_loop(loop)
        pulumi_settings.reset_options()
        pulumi.runtime.set_all_config(
            {k: _config_string(v) for k, v in (config or {}).items()}, list(secret_keys or [])
        )
        monitor = RecordingMonitor(mocks, inline=shortcuts.runtime)
        pulumi_settings.configure(mock_settings(monitor, project, stack, "paif.plan"))
        pulumi_settings.SETTINGS.callbacks = OfflineCallbacks()
        try:
            yield monitor, loop
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)
            pulumi_settings.reset_options()
            pulumi.runtime.set_all_config({}, [])


class OfflineCallbacks:
    """What the SDK asks of its callback server when a program registers a stack transform
    (``register_resource_transform``): the engine applies transforms, and the plan runs no
    engine, so they are kept, never called. Without this the SDK serves callbacks over gRPC,
    and a plan's worker processes, forked afterwards, hang on gRPC's threads."""

    def __init__(self) -> None:
        self.stack_transforms: list[Any] = []
        self.stack_invoke_transforms: list[Any] = []

    def register_stack_transform(self, transform: Any) -> None:
        self.stack_transforms.append(transform)

    def register_stack_invoke_transform(self, transform: Any) -> None:
        self.stack_invoke_transforms.append(transform)


def mock_settings(monitor: Any, project: str, stack: str, logger: str) -> Any:
    """What ``pulumi.runtime.set_mocks`` configures, less its root stack (``run_in_stack``
    makes one): ``monitor``'s features, a mock engine logging to ``logger``, no preview."""
    return pulumi_mocks.MockSettings(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=pulumi_mocks.MockEngine(logging.getLogger(logger)),
        project=project,
        stack=stack,
        dry_run=False,
        organization="organization",
        callbacks=None,
    )


def _refuse_duplicate_urns(records: list[ResourceRecord]) -> None:
    """The engine fails a deployment that registers one URN twice; so does the plan."""
    counts = Counter(r.urn for r in records)
    duplicates = sorted(urn for urn, count in counts.items() if count > 1)
    if duplicates:
        raise ProgramError(
            "\n".join(
                f"duplicate resource URN {urn!r}: two resources of one type have the same "
                "name; give them unique names"
                for urn in duplicates
            )
        )


def _config_string(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def run_program(
    program: Callable[[], Any] | Path,
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    cwd: Path | None = None,
    sdk_shortcuts_wanted: bool = True,
) -> ProgramResult:
    """Run a program (a callable or a ``__main__.py`` path) and return what it registered."""
    previous_cwd = Path.cwd()
    if isinstance(program, Path):
        path = program.resolve()
        directory = str(path.parent)

        def body() -> None:
            if directory not in sys.path:
                sys.path.insert(0, directory)
            runpy.run_path(str(path), run_name="__main__")

        target_cwd: Path | None = cwd or path.parent
    else:
        body = program
        target_cwd = cwd
    with mock_runtime(
        mocks,
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        sdk_shortcuts_wanted=sdk_shortcuts_wanted,
    ) as (monitor, loop):
        try:
            if target_cwd is not None:
                os.chdir(target_cwd)
            loop.run_until_complete(run_in_stack(body))
        finally:
            os.chdir(previous_cwd)
        _refuse_duplicate_urns(monitor.records)
        return ProgramResult(
            # Registrations arrive from a thread pool in no fixed order: sort for stable plans.
            resources=sorted(monitor.records, key=lambda r: r.urn),
            outputs=monitor.stack_outputs,
            secret_outputs=monitor.stack_secret_outputs,
            raw_outputs=monitor.stack_raw_outputs,
            resource_outputs=monitor.resource_outputs,
            packages=monitor.packages,
        )
