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

Started by the CLI as ``pulumi-resource-<package>`` (a launcher that
:func:`harness.standin_providers` writes, setting ``PAIF_STANDIN_PACKAGE``); prints its port on
its first line.
"""

from __future__ import annotations

import hashlib
import os
import sys
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
    def __init__(self, package: str) -> None:
        self.package = package

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
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=changed)

    def _state(self, urn: str, inputs: dict[str, Any], resource_id: str) -> dict[str, Any]:
        state = dict(inputs)
        factory = COMPUTED.get(type_of(urn))
        if factory is not None:
            args = MockResourceArgs(type_of(urn), name_of(urn), plain(inputs), "", resource_id)
            state.update(factory(args))
        return state

    def Create(self, request: Any, context: Any) -> Any:
        resource_id = "standin-" + hashlib.sha256(request.urn.encode()).hexdigest()[:16]
        state = self._state(request.urn, to_dict(request.properties), resource_id)
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct(state))

    def Read(self, request: Any, context: Any) -> Any:
        return provider_pb2.ReadResponse(
            id=request.id, properties=request.properties, inputs=request.inputs
        )

    def Update(self, request: Any, context: Any) -> Any:
        state = self._state(request.urn, to_dict(request.news), request.id)
        return provider_pb2.UpdateResponse(properties=to_struct(state))

    def Delete(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        handler = INVOKES.get(request.tok)
        if handler is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"stand-in: no answer for {request.tok}")
        answer = handler(MockCallArgs(request.tok, plain(to_dict(request.args)), ""))
        return provider_pb2.InvokeResponse(**{"return": to_struct(answer)})

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


def main() -> None:
    package = os.environ.get("PAIF_STANDIN_PACKAGE", "")
    if package not in VERSIONS:
        sys.exit(f"stand-in provider: unknown package {package!r} (one of {sorted(VERSIONS)})")
    serve(
        lambda server: provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            StandIn(package), server
        )
    )


if __name__ == "__main__":
    main()
