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
import pathlib
import runpy
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import resource_cycle_breaker as pulumi_cycles
from pulumi.runtime import rpc as pulumi_rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime import stack as pulumi_stack
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_in_stack

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
# Assets, archives and output values: the SDK rebuilds objects from these signatures.
OTHER_SIGS = frozenset(
    {
        "c44067f5952c0a294b673a41bacd8c17",
        "0def7320c3a5731c473e5ecbe6d01bc7",
        "d0e6a833031e9bbcd3f4e8bde6ca49a4",
    }
)
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_PLACEHOLDER = "[secret]"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class ResourceRecord:
    """One registered resource as the engine would see it (secrets masked)."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    inputs: dict[str, Any]
    secret_paths: list[str]
    protect: bool
    retain_on_delete: bool
    depends_on: list[str]
    aliases: list[str]
    id: str | None = None
    # The package a parameterized provider's resource was registered under (not in the plan).
    package_ref: str | None = None
    # The keys of each secret mapping by its secret path (``stringData``: [".dockerconfigjson"]):
    # a masked Kubernetes Secret manifest keeps its keys. Not in the plan.
    secret_keys: dict[str, list[str]] = field(default_factory=dict)
    # The id of an existing object the engine imports (``import_``): an adopted object.
    import_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        record = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider,
            "inputs": self.inputs,
            "secretPaths": self.secret_paths,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "dependsOn": self.depends_on,
            "aliases": self.aliases,
        }
        if self.import_id is not None:
            record["importId"] = self.import_id
        return record


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


class ProgramError(Exception):
    """The program failed; ``message`` is what a user should read (no traceback)."""


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
        from paif_cli.offline import COMPUTED, INVOKES

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

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        handler = self.invokes.get(args.token)
        if handler is None:
            raise ProgramError(f"the offline plan has no answer for invoke {args.token!r}")
        return handler(args)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps the full registration of every resource, in order."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
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
        if request.type == ROOT_STACK_TYPE:
            response = self._answer(super().RegisterResource, self._register, request)
            self._stack_urn = response.urn
            return response
        raw = struct_dict(request.object)
        secret_keys: dict[str, list[str]] = {}
        inputs, secret_paths = mask_secrets(raw, keys=secret_keys)
        if _signed(request.object) and _needs_sdk(raw):
            response = self._in_thread(super().RegisterResource, request)
        elif _is_plain(raw) and type(self.mocks).new_resource is PlanMocks.new_resource:
            response = self._answer(
                super().RegisterResource, lambda r: self._register(r, decoded=raw), request
            )
        else:
            response = self._answer(super().RegisterResource, self._register, request)
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

    # ``MockMonitor``'s answers, computed in the caller's thread. The SDK calls the monitor
    # through ``run_in_executor``; the stock mock monitor then runs an event loop of its own
    # per call (``_sync_await``) to serialize its answer. The plan's loop runs these calls
    # inline (``_InlineExecutorLoop``), so the same answer is computed here without a loop;
    # a request the SDK must rebuild objects for (resource references, assets) goes to the
    # stock method in a thread of its own, as before.

    def _register(self, request: Any, decoded: dict[str, Any] | None = None) -> Any:
        """``MockMonitor.RegisterResource``, serializing the state without an event loop.

        ``decoded``: the request's object as ``struct_dict`` (``MessageToDict``) gave it, when
        ``_is_plain`` says that is what ``rpc.deserialize_properties`` gives too; the answer is
        then the request's own object wherever the mocks answer with the inputs unchanged (what
        ``serialize`` of ``deserialize`` gives back for such an object).
        """
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = (
            decoded if decoded is not None else pulumi_rpc.deserialize_properties(request.object)
        )
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=pulumi_mocks._resolve_callbacks(request.transforms),
        )
        id_, state = self.mocks.new_resource(args)
        # The response copies the object it is given: the request's own where it answers.
        obj = request.object if decoded is not None and state == decoded else _serialize_now(state)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

    def _read(self, request: Any) -> Any:
        """``MockMonitor.ReadResource`` without an event loop."""
        state = pulumi_rpc.deserialize_properties(request.properties)
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=state,
            provider=request.provider,
            resource_id=request.id,
        )
        id_, state = self.mocks.new_resource(args)
        props = _serialize_now(state)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=props)

    def _invoke(self, request: Any) -> Any:
        """``MockMonitor.Invoke`` without an event loop."""
        args = pulumi_rpc.deserialize_properties(request.args)
        if request.tok == "pulumi:pulumi:getResource":
            registered = self.resources.get(args["urn"])
            if registered is None:
                raise Exception(f"unknown resource {args['urn']}")
            return resource_pb2.ResourceInvokeResponse(
                failures=None, **{"return": _serialize_now(registered._asdict())}
            )
        answer = self.mocks.call(
            pulumi.runtime.MockCallArgs(token=request.tok, args=args, provider=request.provider)
        )
        failures = None
        if not isinstance(answer, dict):
            answer, problems = answer
            failures = [
                provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in problems
            ]
        return resource_pb2.ResourceInvokeResponse(
            failures=failures, **{"return": _serialize_now(answer)}
        )

    def _answer(
        self, stock: Callable[[Any], Any], inline: Callable[[Any], Any], request: Any
    ) -> Any:
        try:
            return inline(request)
        except _WouldBlock:
            return self._in_thread(stock, request)

    @staticmethod
    def _in_thread(method: Callable[[Any], Any], request: Any) -> Any:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(method, request).result()

    def Invoke(self, request: Any) -> Any:
        if _needs_sdk(struct_dict(request.args)):
            return self._in_thread(super().Invoke, request)
        return self._answer(super().Invoke, self._invoke, request)

    def RegisterPackage(self, request: Any) -> Any:
        self.packages.append(request)
        return super().RegisterPackage(request)

    def ReadResource(self, request: Any) -> Any:
        if _needs_sdk(struct_dict(request.properties)):
            response = self._in_thread(super().ReadResource, request)
        else:
            response = self._answer(super().ReadResource, self._read, request)
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


class _WouldBlock(Exception):
    """Serializing an answer would wait for the event loop (it holds outputs or resources)."""


def _serialize_now(values: dict[str, Any]) -> Any:
    """``rpc.serialize_properties(values, {})`` run to completion without an event loop.

    Plain values (what the plan's mocks answer with) never make it wait; anything that would
    raises ``_WouldBlock`` and the caller answers the stock way instead.
    """
    coroutine = pulumi_rpc.serialize_properties(values, {})
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise _WouldBlock


def _is_plain(value: Any, top: bool = True) -> bool:
    """Whether ``rpc.deserialize_properties`` of this decoded Struct is the decoded value itself.

    It is unless a mapping holds a null (dropped), a secret sits below a top-level property
    (its secretness moves up to that property), a value is unknown, or a special signature
    other than a top-level secret appears.
    """
    if isinstance(value, dict):
        if SPECIAL_SIG_KEY in value:
            return False
        for item in value.values():
            if item is None:
                return False
            if top and isinstance(item, dict) and item.get(SPECIAL_SIG_KEY) == SECRET_SIG:
                if set(item) != {SPECIAL_SIG_KEY, "value"} or not _is_plain(item["value"], False):
                    return False
            elif not _is_plain(item, False):
                return False
        return True
    if isinstance(value, list):
        return all(item is None or _is_plain(item, False) for item in value)
    return value != UNKNOWN


_SIG_BYTES = SPECIAL_SIG_KEY.encode()


def _signed(struct: Any) -> bool:
    """Whether a mapping in ``struct`` may hold the special signature key: its wire form holds
    the key's bytes (C-speed; most registrations hold no secret, reference or asset, and
    :func:`_needs_sdk` need not walk them)."""
    return _SIG_BYTES in struct.SerializeToString()


def _needs_sdk(value: Any) -> bool:
    """Whether a decoded request holds what only the SDK can rebuild (resource references,
    assets, archives, output values): such requests are answered by the stock mock monitor."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == RESOURCE_SIG or sig in OTHER_SIGS:
            return True
        return any(_needs_sdk(v) for v in value.values())
    if isinstance(value, list):
        return any(_needs_sdk(v) for v in value)
    return False


class _InlineExecutorLoop(asyncio.SelectorEventLoop):
    """An event loop that runs ``run_in_executor(None, ...)`` calls in place.

    The SDK sends every monitor call through the default executor, as a gRPC call would block;
    the plan's monitor answers from memory, so a thread per call only adds hand-offs (and, on
    a busy machine, a wait for the scheduler per registration). Other executors still get
    threads.
    """

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if executor is not None:
            return super().run_in_executor(executor, func, *args)
        self._check_closed()
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            future.set_exception(exc)
        return future


_SOURCE_URIS: dict[str, str | None] = {}


def _source_uri(filename: str) -> str | None:
    """``Path(filename).as_uri()``, once per file (``None`` where the SDK gives no position)."""
    if filename not in _SOURCE_URIS:
        try:
            _SOURCE_URIS[filename] = pathlib.Path(filename).as_uri() if filename else None
        except BaseException:  # the SDK's own guard: relative names such as <frozen runpy>
            _SOURCE_URIS[filename] = None
    return _SOURCE_URIS[filename]


def stack_trace() -> Any:
    """``pulumi.runtime.resource._get_stack_trace``, computed from the frames directly.

    The SDK attaches the user's call stack (the frames outside the third ``__init__`` from the
    top) to every registration. It builds it with ``traceback.extract_stack``, which stats
    every source file on the stack and reads its lines, and converts each file name to a URI
    per frame: an eighth of the program's time in the plan, through the components' deep
    frames. This walks the same frames and gives the same ``StackTrace``, built once per
    sequence of (file, line) places.
    """
    if getattr(sys, "tracebacklimit", None) is not None:
        return _sdk_stack_trace()
    frame: Any = sys._getframe()
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == 3:
                break
        frame = frame.f_back
    places = []
    outer = frame.f_back if frame is not None else None
    while outer is not None:
        places.append((outer.f_code.co_filename, outer.f_lineno))
        outer = outer.f_back
    key = tuple(places)
    trace = _STACK_TRACES.get(key)
    if trace is None:
        frames = []
        for filename, line in key:
            uri = _source_uri(filename)
            position = (
                None
                if uri is None or line is None
                else source_pb2.SourcePosition(uri=uri, line=line)
            )
            frames.append(source_pb2.StackFrame(pc=position))
        trace = _STACK_TRACES[key] = source_pb2.StackTrace(frames=frames)
    return trace


# Stack traces by their (file, line) frames: the components register from the same places for
# every tenant, and the SDK copies the message into each request.
_STACK_TRACES: dict[tuple[tuple[str, int | None], ...], Any] = {}


_sdk_stack_trace = pulumi_resource._get_stack_trace
_sdk_add_dep = pulumi_cycles._add_dep


def add_dependency(from_resource: Any, to_resource: Any) -> None:
    """``resource_cycle_breaker._add_dep``, adding to the set instead of copying it.

    The SDK replaces a resource's set of computed dependencies with a copy plus one for every
    dependency it records: quadratic in a resource's dependencies (a Harbor replication that
    depends on every tenant has thousands). The set holds the same resources either way.
    """
    deps = from_resource.__dict__.get(pulumi_cycles._DEPENDENCIES_PROPERTY)
    if deps is None:
        setattr(from_resource, pulumi_cycles._DEPENDENCIES_PROPERTY, {to_resource})
    else:
        deps.add(to_resource)


def _by_identity(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function`` of a type, computed once per type object (the type kept alive with its
    answer, so that its id is not reused)."""
    answers: dict[int, tuple[Any, Any]] = {}

    def once(typ: Any) -> Any:
        known = answers.get(id(typ))
        if known is None:
            known = answers[id(typ)] = (typ, function(typ))
        return known[1]

    once.__wrapped__ = function  # type: ignore[attr-defined]
    return once


# The SDK unwraps ``Input[T]`` / ``Optional[T]`` annotations of the typed resource classes for
# every property it serializes or translates, through ``typing.get_origin``/``get_args`` each
# time: pure functions of the annotation, which the classes share across all their resources.
_sdk_unwrap_type = pulumi_types.unwrap_type
_sdk_unwrap_optional_type = pulumi_types.unwrap_optional_type
unwrap_type = _by_identity(_sdk_unwrap_type)
unwrap_optional_type = _by_identity(_sdk_unwrap_optional_type)
# And every typed output goes through ``_wire_union_members``, whose ``functools.cache`` hashes
# the annotation each time: a Union hashes the frozenset of all its members, recursively.
_sdk_wire_union_members = pulumi_types._wire_union_members
wire_union_members = _by_identity(_sdk_wire_union_members)


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
) -> Iterator[tuple[RecordingMonitor, asyncio.AbstractEventLoop]]:
    """Configure a fresh event loop and mock settings; restore a clean runtime afterwards."""
    loop = _InlineExecutorLoop()
    asyncio.set_event_loop(loop)
    pulumi_settings.reset_options()
    pulumi.runtime.set_all_config(
        {k: _config_string(v) for k, v in (config or {}).items()}, list(secret_keys or [])
    )
    monitor = RecordingMonitor(mocks)
    pulumi_settings.configure(mock_settings(monitor, project, stack, "paif.plan"))
    pulumi_settings.SETTINGS.callbacks = OfflineCallbacks()  # type: ignore[assignment]
    sdk_wait_for_rpcs = pulumi_stack.wait_for_rpcs
    pulumi_stack.wait_for_rpcs = wait_for_rpcs
    pulumi_resource._get_stack_trace = stack_trace
    pulumi_cycles._add_dep = add_dependency
    pulumi_types.unwrap_type = unwrap_type
    pulumi_types.unwrap_optional_type = unwrap_optional_type
    pulumi_types._wire_union_members = wire_union_members
    try:
        yield monitor, loop
    finally:
        pulumi_stack.wait_for_rpcs = sdk_wait_for_rpcs
        pulumi_resource._get_stack_trace = _sdk_stack_trace
        pulumi_cycles._add_dep = _sdk_add_dep
        pulumi_types.unwrap_type = _sdk_unwrap_type
        pulumi_types.unwrap_optional_type = _sdk_unwrap_optional_type
        pulumi_types._wire_union_members = _sdk_wire_union_members
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


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """``pulumi.runtime.stack.wait_for_rpcs`` with one change: how it waits for outputs.

    The SDK waits for its pending output tasks with ``asyncio.wait(FIRST_COMPLETED)`` in a
    loop, which registers a callback on every pending task each time any one completes:
    quadratic in the outputs a program creates, and 40 % of a 50-tenant plan's program time
    (docs/benchmarks.md). ``FIRST_EXCEPTION`` returns as soon as one fails (as before) or
    when all are done, so a failing output surfaces just as early and the loop ends in the
    same state.
    """
    rpc_manager = pulumi_settings._get_rpc_manager()
    while True:
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(
                        rpc_manager.exception_traceback
                    )
                    raise exn from cause
                raise
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            outputs = pulumi_settings.SETTINGS
            while True:
                with outputs.lock:
                    if len(outputs.outputs) == 0:
                        break
                    pending = list(outputs.outputs)
                    outputs.outputs.clear()
                done, not_done = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    await task
                if not_done:
                    with outputs.lock:
                        outputs.outputs.update(not_done)
        if len(rpc_manager.rpcs) == 0:
            break


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

        target_cwd = cwd or path.parent
    else:
        body = program  # type: ignore[assignment]
        target_cwd = cwd
    with mock_runtime(
        mocks, project=project, stack=stack, config=config, secret_keys=secret_keys
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
