"""A stand-in for the vSphere, Harbor and PostgreSQL providers in the engine tier
(docs/engine.md).

Their Go modules are not served by the module proxy these machines reach, so no real
``pulumi-resource-vsphere``, ``-harbor`` or ``-postgresql`` can be built. This process answers
the provider protocol in their place, and answers it the way the offline plan's mocks do
(:mod:`paif_cli.offline`): Create returns the inputs plus what the real provider computes (a
Harbor registry's ``registryId``, a robot's ``fullName`` and ``secret``), invokes answer from
the same table. So the engine sees the outputs the program depends on (a replication rule's
``registryId``, a pull Secret built from the robot's secret), and a second ``up`` changes
nothing unless the program does. It talks to no vCenter and no Harbor.

With ``PAIF_STANDIN_SITE`` naming a JSON file (a copy of ``existing_site.json``), it also plays
the site that exists before the stack: the objects of the kinds a VCF site already holds
(cluster, library, VM classes, zone, namespaces, Harbor projects) live in that file. Lookups by
name (``getComputeCluster``, ``getContentLibrary``, ``getZone``, ``getNamespace``, Harbor's
``getProject``) find them there or fail as the real provider does; ``Read`` (an import, a
refresh) returns the file's state; ``Create``, ``Update`` and ``Delete`` write the file, so a
test sees what the stack changed on the site, and a setting edited in the file "by hand" is
drift. The hosts listed there answer ``getHostVgpuProfile`` with their own profiles.

Started by the CLI as ``pulumi-resource-<package>`` (a launcher that
:func:`harness.standin_providers` writes, setting ``PAIF_STANDIN_PACKAGE``); prints its port on
its first line.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict
from plugin_server import serve
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from paif_cli.offline import COMPUTED, INVOKES

# What GetPluginInfo reports: the Python SDK pin of the package it stands in for, so the engine
# records the provider version it would record with the real plugin.
VERSIONS = {"vsphere": "4.18.2", "harbor": "3.10.21", "postgresql": "3.18.2"}
SECRET_SIG = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SITE_ENV = "PAIF_STANDIN_SITE"
# Lookups by name of the kinds a site holds: invoke token -> resource type.
LOOKUPS = {
    "vsphere:index/getComputeCluster:getComputeCluster": (
        "vsphere:index/computeCluster:ComputeCluster"
    ),
    "vsphere:index/getContentLibrary:getContentLibrary": (
        "vsphere:index/contentLibrary:ContentLibrary"
    ),
    "vsphere:index/getZone:getZone": "vsphere:index/zone:Zone",
    "vsphere:index/getNamespace:getNamespace": "vsphere:index/namespace:Namespace",
    "harbor:index/getProject:getProject": "harbor:index/project:Project",
}
SITE_TYPES = frozenset(LOOKUPS.values()) | {"vsphere:index/virtualMachineClass:VirtualMachineClass"}


class Site:
    """The existing site's objects, in a JSON file both stand-in processes share (locked)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def document(self) -> Iterator[dict[str, Any]]:
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            document = json.loads(self.path.read_text())
            before = json.dumps(document, sort_keys=True)
            yield document
            if json.dumps(document, sort_keys=True) != before:
                self.path.write_text(json.dumps(document, indent=2) + "\n")

    @staticmethod
    def find(document: dict[str, Any], type_: str, ident: str) -> dict[str, Any] | None:
        for obj in document["objects"]:
            if obj["type"] == type_ and ident in (obj["id"], obj.get("importId")):
                return obj
        return None

    @staticmethod
    def named(document: dict[str, Any], type_: str, name: str) -> dict[str, Any] | None:
        for obj in document["objects"]:
            if obj["type"] == type_ and obj["state"].get("name") == name:
                return obj
        return None


def _site() -> Site | None:
    path = os.environ.get(SITE_ENV)
    return Site(Path(path)) if path else None


def _inputs(type_: str, state: dict[str, Any]) -> dict[str, Any]:
    """What a provider reads back as inputs: the state less the outputs it computes."""
    factory = COMPUTED.get(type_)
    if factory is None:
        return dict(state)
    computed = factory(MockResourceArgs(type_, "read", plain(state), "", ""))
    return {k: v for k, v in state.items() if k not in computed}


def plain(value: Any) -> Any:
    """Wire values without secret wrappers (the computed answers read plain inputs)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return MessageToDict(message) if message is not None else {}


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def name_of(urn: str) -> str:
    return urn.split("::")[3]


class StandIn(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str, site: Site | None = None) -> None:
        self.package = package
        self.site = site

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSIONS[self.package])

    def GetSchema(self, request: Any, context: Any) -> Any:
        schema = f'{{"name":"{self.package}","version":"{VERSIONS[self.package]}"}}'
        return provider_pb2.GetSchemaResponse(schema=schema)

    def CheckConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:
        # No preview support: the engine shows a new resource's outputs as unknown in a
        # preview, as it does for a provider that cannot compute them before creating.
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, acceptResources=True, supportsPreview=False
        )

    def Check(self, request: Any, context: Any) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else None
        if olds is None:
            olds = to_dict(request.olds)
        news = to_dict(request.news)
        changed = sorted(
            k
            for k in set(olds) | set(news)
            if not k.startswith("__") and olds.get(k) != news.get(k)
        )
        if not changed:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        # A detailed diff per top-level property, as the bridged providers report one.
        update = provider_pb2.PropertyDiff(kind=provider_pb2.PropertyDiff.UPDATE, inputDiff=True)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME,
            diffs=changed,
            detailedDiff={k: update for k in changed},
            hasDetailedDiff=True,
        )

    def _state(self, urn: str, inputs: dict[str, Any], resource_id: str) -> dict[str, Any]:
        state = dict(inputs)
        factory = COMPUTED.get(type_of(urn))
        if factory is not None:
            args = MockResourceArgs(type_of(urn), name_of(urn), plain(inputs), "", resource_id)
            state.update(factory(args))
        return state

    def _on_site(self, urn: str) -> bool:
        return self.site is not None and type_of(urn) in SITE_TYPES

    def Create(self, request: Any, context: Any) -> Any:
        resource_id = "standin-" + hashlib.sha256(request.urn.encode()).hexdigest()[:16]
        state = self._state(request.urn, to_dict(request.properties), resource_id)
        if self._on_site(request.urn) and not request.preview:
            with self.site.document() as document:  # type: ignore[union-attr]
                document["objects"].append(
                    {"type": type_of(request.urn), "id": resource_id, "state": plain(state)}
                )
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(state))

    def Read(self, request: Any, context: Any) -> Any:
        if not self._on_site(request.urn):
            return provider_pb2.ReadResponse(
                id=request.id, properties=request.properties, inputs=request.inputs
            )
        type_ = type_of(request.urn)
        with self.site.document() as document:  # type: ignore[union-attr]
            found = Site.find(document, type_, request.id)
        if found is None:  # gone from the site: the engine drops it (refresh) or fails (import)
            return provider_pb2.ReadResponse(id="")
        state = found["state"]
        return provider_pb2.ReadResponse(
            id=found["id"],
            properties=to_struct(state),
            inputs=to_struct(_inputs(type_, state)),
        )

    def Update(self, request: Any, context: Any) -> Any:
        state = self._state(request.urn, to_dict(request.news), request.id)
        if self._on_site(request.urn) and not request.preview:
            with self.site.document() as document:  # type: ignore[union-attr]
                found = Site.find(document, type_of(request.urn), request.id)
                if found is not None:
                    found["state"] = plain(state)
        return provider_pb2.UpdateResponse(properties=to_struct(state))

    def Delete(self, request: Any, context: Any) -> Any:
        if self._on_site(request.urn):
            with self.site.document() as document:  # type: ignore[union-attr]
                found = Site.find(document, type_of(request.urn), request.id)
                if found is not None:
                    document["objects"].remove(found)
        return empty_pb2.Empty()

    def _site_answer(self, token: str, args: dict[str, Any]) -> dict[str, Any] | str | None:
        """The site's answer to a lookup (a dict), its refusal (a message), or None when the
        site does not hold that kind of thing (the offline answer stands)."""
        if self.site is None:
            return None
        if token in LOOKUPS:
            name = str(args.get("name"))
            with self.site.document() as document:
                found = Site.named(document, LOOKUPS[token], name)
            if found is None:
                return f"{LOOKUPS[token].rsplit(':', 1)[-1]} {name!r} not found"
            answer = {**_inputs(LOOKUPS[token], found["state"]), "id": found["id"]}
            if "projectId" in found["state"]:
                answer["projectId"] = found["state"]["projectId"]
            return answer
        if token == "vsphere:index/getHostVgpuProfile:getHostVgpuProfile":
            with self.site.document() as document:
                host = (document.get("hosts") or {}).get(str(args.get("hostId")))
            if host is None:
                return None
            profiles = [{"vgpu": p} for p in host["vgpuProfiles"]]
            return {"hostId": args["hostId"], "id": args["hostId"], "vgpuProfiles": profiles}
        return None

    def Invoke(self, request: Any, context: Any) -> Any:
        args = plain(to_dict(request.args))
        answer = self._site_answer(request.tok, args)
        if isinstance(answer, str):  # the provider's "not found": a failure of the invoke
            failure = provider_pb2.CheckFailure(property="name", reason=answer)
            return provider_pb2.InvokeResponse(failures=[failure])
        if answer is None:
            handler = INVOKES.get(request.tok)
            if handler is None:
                context.abort(
                    grpc.StatusCode.UNIMPLEMENTED, f"stand-in: no answer for {request.tok}"
                )
            answer = handler(MockCallArgs(request.tok, args, ""))
        return provider_pb2.InvokeResponse(**{"return": to_struct(answer)})

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def main() -> None:
    package = os.environ.get("PAIF_STANDIN_PACKAGE", "")
    if package not in VERSIONS:
        sys.exit(f"stand-in provider: unknown package {package!r} (one of {sorted(VERSIONS)})")
    serve(
        lambda server: provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            StandIn(package, _site()), server
        )
    )


if __name__ == "__main__":
    main()
