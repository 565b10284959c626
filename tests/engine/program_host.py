"""Serve the stack program to the real Pulumi CLI (``pulumi up --client 127.0.0.1:PORT``).

The Python language host (``pulumi-language-python``) cannot be had on this project's machines:
the Go module proxy refuses its module (docs/engine.md). The CLI's ``--client`` flag connects to
a language runtime that is already running instead; this process is one, built from the Pulumi
Python SDK's own ``LanguageServer`` (what Automation API inline programs use). The program it
runs is the project's: ``paif_components.program.run`` with the project folder, exactly what
``__main__.py`` calls.

With ``PAIF_ENGINE_SKIP_AWAIT=1`` a resource transform adds ``pulumi.com/skipAwait: "true"`` and
background deletion to every Kubernetes object: the test API server has no kubelet or
controllers, so nothing would ever become ready or lose its deletion finalizer. Nothing else
changes.

Usage: ``python program_host.py PROJECT_DIR``; prints the port on its first line, then serves
until killed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pulumi
from plugin_server import serve
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc


# Nothing in the test API server ever becomes ready: there is no kubelet, no scheduler and no
# controller. The provider awaits the built-in kinds' readiness (rollouts, endpoints, a load
# balancer's address, a bound volume, a quota's counted usage) and, for custom resources, a
# ``Ready`` condition (Cluster API's ``Cluster``, DSM's ``PostgresCluster``): every Kubernetes
# object (a custom resource of the kubernetes package; components such as ``kubernetes:yaml``
# have no metadata of their own) gets the annotation, so no step waits for a controller that is
# not there.
def _skip_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    if not (args.custom and args.type_.startswith("kubernetes:")):
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations["pulumi.com/skipAwait"] = "true"
    # Foreground deletion (the provider's default) waits for the garbage collector, a controller
    # the test API server does not run, to remove its finalizer: the object would never go.
    annotations["pulumi.com/deletionPropagationPolicy"] = "background"
    metadata["annotations"] = annotations
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def main() -> None:
    project_dir = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(project_dir))

    def program() -> None:
        from paif_components.program import run

        if os.environ.get("PAIF_ENGINE_SKIP_AWAIT") == "1":
            pulumi.runtime.register_resource_transform(_skip_await)
        run(project_dir)

    serve(
        lambda server: language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
            LanguageServer(program), server
        )
    )


if __name__ == "__main__":
    main()
