"""Serve the stack program to the real Pulumi CLI (``pulumi up --client 127.0.0.1:PORT``).

The Python language host (``pulumi-language-python``) cannot be had on this project's machines:
the Go module proxy refuses its module (docs/engine.md). The CLI's ``--client`` flag connects to
a language runtime that is already running instead; this process is one, built from the Pulumi
Python SDK's own ``LanguageServer`` (what Automation API inline programs use). The program it
runs is the project's: ``components.program.run`` with the project folder, exactly what
``__main__.py`` calls.

With ``PAIF_ENGINE_SKIP_AWAIT=1`` a resource transform adds ``pulumi.com/skipAwait: "true"`` to
the Kubernetes kinds whose readiness the provider awaits (:data:`AWAITED_KINDS`): the test API
server has no kubelet or controllers, so nothing would ever become ready. Nothing else changes.

Usage: ``python program_host.py PROJECT_DIR``; prints the port on its first line, then serves
until killed.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pulumi
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc

# The kinds the Kubernetes provider awaits (readiness, endpoints, a load balancer's address, a
# bound volume, a quota's counted usage), all of which need controllers or a kubelet.
AWAITED_KINDS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Pod",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:ResourceQuota",
    "kubernetes:networking.k8s.io/v1:Ingress",
)


def _skip_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if args.type_ not in AWAITED_KINDS:
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations["pulumi.com/skipAwait"] = "true"
    metadata["annotations"] = annotations
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def main() -> None:
    project_dir = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(project_dir))

    def program() -> None:
        from components.program import run

        if os.environ.get("PAIF_ENGINE_SKIP_AWAIT") == "1":
            pulumi.runtime.register_resource_transform(_skip_await)
        run(project_dir)

    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
