"""``paif:kubernetes.awaitControllers``: whether ``pulumi up`` waits for the clusters' controllers.

The Kubernetes provider waits, object by object, for what controllers report: a Deployment's
rollout, a Service's endpoints, a custom resource's ``Ready`` condition (Cluster API's
``Cluster``, DSM's ``PostgresCluster``), and, on delete, for the garbage collector to remove the
object (foreground deletion, the provider's default). Where nothing reports (an API server
without its controllers, such as a conformance or rehearsal environment, or operators installed
after the stack), each wait runs to its timeout. ``awaitControllers: false`` adds to every
Kubernetes object ``pulumi.com/skipAwait: "true"`` and
``pulumi.com/deletionPropagationPolicy: background``: the provider creates, updates and deletes
without waiting. A failed rollout is then the cluster's to report, not ``pulumi up``'s: leave it
on wherever the controllers run.

It is a stack transform the engine applies (``pulumi.runtime.register_resource_transform``):
the offline plan, which runs no engine, records the objects without the two annotations.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi

SKIP_AWAIT: Final = "pulumi.com/skipAwait"
DELETION_PROPAGATION: Final = "pulumi.com/deletionPropagationPolicy"


def without_controller_waits(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Every Kubernetes object (a custom resource of the kubernetes package: components such as
    ``kubernetes:yaml`` have no metadata of their own) gets both annotations."""
    if not (args.custom and args.type_.startswith("kubernetes:")):
        return None
    props = dict(args.props)
    declared: Any = props.get("metadata") or {}
    metadata = dict(declared)
    annotations = dict(metadata.get("annotations") or {})
    annotations[SKIP_AWAIT] = "true"
    annotations[DELETION_PROPAGATION] = "background"
    metadata["annotations"] = annotations
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def register(await_controllers: bool) -> None:
    """Register the transform when the stack does not wait for controllers."""
    if not await_controllers:
        pulumi.runtime.register_resource_transform(without_controller_waits)
