"""Can every pod a VKS cluster is given be scheduled on the nodes it has? (§9.2.4, §9.3.3)

A reduced DR cluster (warm standby: 5 → 2 nodes) must still run what the DR stack declares, and
the failed-over cluster what the load needs. This is the part of kube-scheduler's filtering that
a plan can decide, replica by replica:

- **taints**: a pod lands only on nodes whose ``NoSchedule``/``NoExecute`` taints it tolerates
  (the GPU pools' ``nvidia.com/gpu`` taint, paif_components.vks_cluster);
- **node selector**: the node's labels must match;
- **topology spread** over ``kubernetes.io/hostname`` with ``whenUnsatisfiable:
  DoNotSchedule``: placing a pod may not make any node's count exceed the smallest by more than
  ``maxSkew``; the domain is every node matching the selector, *tainted ones included*
  (``nodeTaintsPolicy`` defaults to ``Ignore``), which is why one untainted worker beside a
  tainted GPU node holds one replica of a spread Deployment, not two;
- **required pod anti-affinity** on the hostname: one replica per node;
- **PodDisruptionBudget**: when fewer pods can run than the budget keeps available, no eviction
  is ever allowed (drains and upgrades block).

Not modelled: CPU and memory (VM class sizes are not in the plan), volumes, and preferences
(they never keep a pod Pending). A pod placed greedily on the least-loaded allowed node is what
the scheduler's spread scoring does; where greedy placement fails, so does the scheduler's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from paif_components.estimators.errors import EstimatorError

BLOCKING_EFFECTS: Final = frozenset({"NoSchedule", "NoExecute"})


@dataclass(frozen=True)
class Taint:
    key: str
    value: str | None = None
    effect: str = "NoSchedule"


@dataclass(frozen=True)
class Toleration:
    key: str | None = None
    operator: str = "Equal"
    value: str | None = None
    effect: str | None = None

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key is None:
            return self.operator == "Exists"
        if self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


@dataclass(frozen=True)
class NodeGroup:
    """A node pool: ``count`` identical nodes."""

    name: str
    count: int
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise EstimatorError(f"node pool {self.name!r}: count must be ≥ 0, got {self.count!r}")


@dataclass(frozen=True)
class Workload:
    """A Deployment (or any replicated pod template) as the scheduler sees it."""

    name: str
    replicas: int
    tolerations: tuple[Toleration, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=dict)
    # Topology spread over hostname with DoNotSchedule: its maxSkew (None: no such constraint).
    spread_max_skew: int | None = None
    # Required pod anti-affinity over hostname against its own replicas.
    anti_affinity: bool = False
    # What its PodDisruptionBudget keeps available (minAvailable, or replicas - maxUnavailable).
    min_available: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int):
            raise EstimatorError(f"{self.name}: replicas must be an integer, got {self.replicas!r}")
        if self.replicas < 0:
            raise EstimatorError(f"{self.name}: replicas must be ≥ 0, got {self.replicas}")


@dataclass(frozen=True)
class Placement:
    """How many replicas of a workload the cluster runs, and what is missing for the rest."""

    workload: str
    replicas: int
    scheduled: int
    by_node: Mapping[str, int]
    missing: str | None = None
    pdb_blocked: str | None = None

    @property
    def pending(self) -> int:
        return self.replicas - self.scheduled

    @property
    def ok(self) -> bool:
        return self.pending == 0 and self.pdb_blocked is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "replicas": self.replicas,
            "scheduled": self.scheduled,
            "pending": self.pending,
            "byNode": dict(self.by_node),
            "missing": self.missing,
            "pdbBlocked": self.pdb_blocked,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class ClusterSchedule:
    cluster: str
    nodes: Mapping[str, int]
    placements: tuple[Placement, ...]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.placements)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "nodes": dict(self.nodes),
            "placements": [p.to_dict() for p in self.placements],
            "ok": self.ok,
        }


@dataclass(frozen=True)
class _Node:
    name: str
    group: NodeGroup


def _expand(groups: Sequence[NodeGroup]) -> list[_Node]:
    return [_Node(f"{g.name}-{i + 1}", g) for g in groups for i in range(g.count)]


def _allowed(workload: Workload, group: NodeGroup) -> bool:
    if any(group.labels.get(k) != v for k, v in workload.node_selector.items()):
        return False
    return all(
        any(t.tolerates(taint) for t in workload.tolerations)
        for taint in group.taints
        if taint.effect in BLOCKING_EFFECTS
    )


def _in_domain(workload: Workload, group: NodeGroup) -> bool:
    """Spread domain: nodes matching the selector, taints ignored (nodeTaintsPolicy Ignore)."""
    return all(group.labels.get(k) == v for k, v in workload.node_selector.items())


def _place(workload: Workload, nodes: list[_Node]) -> dict[str, int]:
    counts = {n.name: 0 for n in nodes}
    domain = [n for n in nodes if _in_domain(workload, n.group)]
    allowed = [n for n in nodes if _allowed(workload, n.group)]
    for _ in range(workload.replicas):
        best: _Node | None = None
        for node in allowed:
            if workload.anti_affinity and counts[node.name] >= 1:
                continue
            if workload.spread_max_skew is not None and domain:
                floor = min(counts[d.name] for d in domain)
                if counts[node.name] + 1 - floor > workload.spread_max_skew:
                    continue
            if best is None or counts[node.name] < counts[best.name]:
                best = node
        if best is None:
            break
        counts[best.name] += 1
    return {name: count for name, count in counts.items() if count}


def _missing(workload: Workload, groups: Sequence[NodeGroup], pending: int) -> str:
    """The fewest nodes of a pool the workload may use that would run every replica."""
    usable = [g for g in groups if _allowed(workload, g)]
    if not usable:
        taints = sorted({f"{t.key}:{t.effect}" for g in groups for t in g.taints})
        return (
            f"no node it may run on: every pool is tainted ({', '.join(taints) or 'none'}) or "
            "unlabelled for it; it needs an untainted worker pool"
        )
    pool = usable[0]
    for extra in range(1, workload.replicas + 1):
        grown = [
            NodeGroup(g.name, g.count + extra, g.labels, g.taints) if g is pool else g
            for g in groups
        ]
        placed = sum(_place(workload, _expand(grown)).values())
        if placed >= workload.replicas:
            return (
                f"{extra} more node(s) in pool {pool.name!r} (untainted for it: it has "
                f"{pool.count}); {pending} replica(s) stay Pending"
            )
    return f"{pending} replica(s) stay Pending whatever pool {pool.name!r} grows to"


def schedule(
    cluster: str, groups: Sequence[NodeGroup], workloads: Sequence[Workload]
) -> ClusterSchedule:
    """Place every workload's replicas on ``groups``' nodes (module doc for the rules)."""
    nodes = _expand(groups)
    placements = []
    for workload in workloads:
        by_node = _place(workload, nodes)
        scheduled = sum(by_node.values())
        pending = workload.replicas - scheduled
        missing = _missing(workload, groups, pending) if pending else None
        blocked = None
        need = workload.min_available
        if need is not None and need > 0 and scheduled < need:
            blocked = (
                f"its PodDisruptionBudget keeps {need} pod(s) available but only {scheduled} "
                "can run, so no eviction is ever allowed (node drains and upgrades block)"
            )
        placements.append(
            Placement(workload.name, workload.replicas, scheduled, by_node, missing, blocked)
        )
    return ClusterSchedule(cluster, {g.name: g.count for g in groups}, tuple(placements))
