"""Data safety: what holds data is protected from deletion in production.

A refactor that renames a component, or a stack that drops a tenant by mistake, must not delete
a database, a Supervisor namespace, a Harbor project or a content library: ``protect`` makes
``pulumi up`` refuse. (``retainOnDelete`` is not visible to policies in either engine.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from paif_components.contract import tokens
from paif_policies.registry import Violation, rule
from paif_policies.view import DSM_GROUP, StackView, label

# Resource types that hold data, by provider token; Kubernetes kinds below.
STATEFUL_TYPES = [
    tokens.VSPHERE_NAMESPACE,
    tokens.VSPHERE_CONTENT_LIBRARY,
    tokens.HARBOR_PROJECT,
]
STATEFUL_KINDS = [("PostgresCluster", DSM_GROUP)]


def _protected(resource: Any) -> bool:
    opts = getattr(resource, "opts", None)
    return bool(getattr(opts, "protect", False))


@rule(
    "PAIF-DATA-001",
    title="Stateful resources are protected in production",
    severity="critical",
    section="nothing lost on a bad refactor",
    rationale="Deleting a database, namespace, Harbor project or content library loses data "
    "(embeddings, models, tenants' workloads); protect turns a mistaken delete or replace into "
    "an error instead.",
    remediation="Create stateful resources with ResourceOptions(protect=True) in production "
    "tiers (the components do this when paif:environment is prod or mission-critical).",
    thresholds={"extraStatefulTypes": []},
)
def protected(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    stateful = view.of_type(*STATEFUL_TYPES, *(str(x) for x in t["extraStatefulTypes"]))
    for kind, group in STATEFUL_KINDS:
        stateful += view.kube(kind, group)
    for resource in sorted(stateful, key=lambda r: r.urn):
        if view.production(resource) and not _protected(resource):
            yield Violation(
                f"{label(resource)} holds data but is not protected (protect: true)",
                resource.urn,
            )
