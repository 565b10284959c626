"""Every pod a stack gives a VKS cluster can be scheduled there (§9.2.4, §9.3.3).

Reads the rendered objects: each Cluster API ``Cluster`` (its ``machineDeployments``: count, and
the node labels and taints of the ``node`` variable override), and in that cluster's API
(``paif.vmware.com/target``) each ``Deployment`` (replicas, tolerations, node selector,
hostname topology spread with ``DoNotSchedule``, required hostname anti-affinity) and the
``PodDisruptionBudget`` selecting it. The placement itself is
:mod:`paif_components.estimators.scheduling`. A DR stack is also held to its site's other shape,
from ``estimates.schedulability`` (paif_components.dr.schedulability): the failed-over cluster, or
the standby one a failed-over stack returns to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.estimators.scheduling import (
    ClusterSchedule,
    NodeGroup,
    Taint,
    Toleration,
    Workload,
    schedule,
)
from paif_components.vks_cluster import AUTOSCALER_MIN
from paif_policies.readers import known
from paif_policies.registry import Violation, rule
from paif_policies.view import StackView, as_number, get_path, target_of

HOSTNAME: Final = "kubernetes.io/hostname"
CLUSTER_API_GROUP: Final = "cluster.x-k8s.io"
OTHER_SHAPES: Final = {
    "drSiteFailedOver": "once failed over",
    "drSiteStandingBy": "standing by (before failover)",
}


def _node_override(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    for override in get_path(deployment, "variables.overrides") or []:
        if override.get("name") == "node":
            return override.get("value") or {}
    return {}


def node_groups(cluster: Any) -> list[NodeGroup]:
    """The worker pools of a Cluster API ``Cluster`` (topology) as node groups."""
    out = []
    for md in get_path(cluster.props, "spec.topology.workers.machineDeployments") or []:
        count = as_number(md.get("replicas"))
        if count is None:
            count = as_number(get_path(md, f"metadata.annotations.{AUTOSCALER_MIN}"))
        node = _node_override(md)
        taints = tuple(
            Taint(str(t.get("key")), t.get("value"), str(t.get("effect") or "NoSchedule"))
            for t in node.get("taints") or []
        )
        labels = {str(k): str(v) for k, v in (node.get("labels") or {}).items()}
        out.append(NodeGroup(str(md.get("name")), int(count or 0), labels, taints))
    return out


def _spread_skew(pod: Mapping[str, Any]) -> int | None:
    skews = [
        int(c.get("maxSkew") or 1)
        for c in pod.get("topologySpreadConstraints") or []
        if c.get("topologyKey") == HOSTNAME and c.get("whenUnsatisfiable") == "DoNotSchedule"
    ]
    return min(skews) if skews else None


def _anti_affinity(pod: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    terms = get_path(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")
    for term in terms or []:
        selector = get_path(term, "labelSelector.matchLabels") or {}
        if term.get("topologyKey") == HOSTNAME and selector.items() <= dict(labels).items():
            return True
    return False


def _min_available(view: StackView, deployment: Any, target: str, replicas: int) -> int | None:
    labels = get_path(deployment.props, "spec.template.metadata.labels") or {}
    namespace = get_path(deployment.props, "metadata.namespace")
    for pdb in view.kube("PodDisruptionBudget", "policy"):
        if target_of(pdb) != target or get_path(pdb.props, "metadata.namespace") != namespace:
            continue
        selector = get_path(pdb.props, "spec.selector.matchLabels") or {}
        if not selector or not selector.items() <= dict(labels).items():
            continue
        minimum = as_number(get_path(pdb.props, "spec.minAvailable"))
        if minimum is not None:
            return int(minimum)
        unavailable = as_number(get_path(pdb.props, "spec.maxUnavailable"))
        if unavailable is not None:
            return max(0, replicas - int(unavailable))
    return None


def workloads(view: StackView, target: str) -> list[Workload]:
    """The Deployments rendered into the cluster ``target``'s API."""
    out = []
    for deployment in sorted(view.kube("Deployment", "apps"), key=lambda r: r.urn):
        if target_of(deployment) != target:
            continue
        spec = deployment.props.get("spec") or {}
        pod = get_path(spec, "template.spec") or {}
        labels = get_path(spec, "template.metadata.labels") or {}
        replicas = int(as_number(spec.get("replicas")) or 0)
        namespace = get_path(deployment.props, "metadata.namespace")
        name = get_path(deployment.props, "metadata.name")
        out.append(
            Workload(
                name=f"Deployment {namespace}/{name}",
                replicas=replicas,
                tolerations=tuple(
                    Toleration(
                        t.get("key"), t.get("operator") or "Equal", t.get("value"), t.get("effect")
                    )
                    for t in pod.get("tolerations") or []
                ),
                node_selector={str(k): str(v) for k, v in (pod.get("nodeSelector") or {}).items()},
                spread_max_skew=_spread_skew(pod),
                anti_affinity=_anti_affinity(pod, labels),
                min_available=_min_available(view, deployment, target, replicas),
            )
        )
    return out


def rendered_schedules(view: StackView) -> list[ClusterSchedule]:
    out = []
    for cluster in sorted(view.kube("Cluster", CLUSTER_API_GROUP), key=lambda r: r.urn):
        name = known(lambda c=cluster: get_path(c.props, "metadata.name"), None)
        if not name:
            continue
        groups = known(lambda c=cluster: node_groups(c), None)
        found = known(lambda n=name: workloads(view, str(n)), None)
        if groups is None or found is None:
            continue  # values unknown during a first preview
        out.append(schedule(str(name), groups, found))
    return out


def _nodes(nodes: Mapping[str, Any]) -> str:
    return ", ".join(f"{pool} {int(count)}" for pool, count in nodes.items()) or "none"


def _count(value: Any) -> int:
    """Counts read back from stack outputs arrive as floats (protobuf numbers)."""
    return int(as_number(value) or 0)


def _findings(cluster: str, nodes: Mapping[str, Any], placement: Mapping[str, Any]) -> list[str]:
    out = []
    where = f"VKS cluster {cluster!r} (worker nodes: {_nodes(nodes)})"
    if placement.get("pending"):
        out.append(
            f"{where}: {placement['workload']} can run {_count(placement['scheduled'])} of its "
            f"{_count(placement['replicas'])} replicas; missing: {placement.get('missing')}"
        )
    if placement.get("pdbBlocked"):
        out.append(f"{where}: {placement['workload']}: {placement['pdbBlocked']}")
    return out


@rule(
    "PAIF-CAP-006",
    title="Every pod a VKS cluster is given can be scheduled there, before and after failover",
    severity="high",
    section="§9.2.4, §9.3.3",
    rationale="A Deployment whose replicas cannot all be placed (taints, one replica per host, "
    "topology spread) runs fewer replicas than declared, and its disruption budget then blocks "
    "every drain; a reduced DR cluster that cannot run what it declares is not a warm standby, "
    "and one that cannot run the load after failover fails over into an outage.",
    remediation="Give the cluster enough untainted worker nodes for each spread Deployment "
    "(a reduced DR cluster keeps its untainted pools first), or lower the app's replicas.",
)
def check_schedulable(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for result in rendered_schedules(view):
        data = result.to_dict()
        for placement in data["placements"]:
            for message in _findings(result.cluster, data["nodes"], placement):
                yield Violation(message, view.site_urn)
    if view.dr_role != "dr":
        return
    shapes = view.estimates.schedulability or {}
    for key, when in OTHER_SHAPES.items():
        for cluster in get_path(shapes, f"{key}.clusters") or []:
            for placement in cluster.get("placements") or []:
                for message in _findings(cluster["cluster"], cluster.get("nodes") or {}, placement):
                    yield Violation(f"{when}: {message}", view.site_urn)
