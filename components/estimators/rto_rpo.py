"""RTO and RPO estimates for a DR topology, every term explained (§9.3).

RTO is the sum of the failover steps below, each a named line item with seconds and one
sentence of why. The steps are added as if they ran one after another: a conservative bound
(some could overlap, e.g. a database restore while nodes boot), which is what a declared RTO
should be held against.

    detection          health-check interval × failures before the site counts as down
    decision           an operator declares the failover (pilot light, warm standby) or not
                       (active-active fails over by itself)
    traffic_switch     DNS TTL (pilot light, warm standby) or GSLB switch (active-active)
    services_redeploy  pilot light: PAIS configuration applied from GitOps ("PAIS rebuild")
    vks_provisioning   pilot light: VKS clusters created at the DR site
    node_scale_up      worker nodes from what runs at DR to what the load needs
    database           replica promotion, or provision + restore of a backup
    model_pull         model image from the DR Harbor to new nodes (unless cached)
    cold_start         slowest endpoint's replica start without warm-up (cold_start module)
    warm_up            that endpoint's warm-up
    validation         smoke tests before traffic counts as restored

RPO is the largest data-loss window over the stateful stores: a database contributes what the
mechanism feeding its DR copy loses (paif_components.estimators.data_stores: the lag budget for
logical replication, the WAL archive interval or backup interval for backup-restore, nothing
bounded for 'none'), and every figure names that mechanism; Harbor contributes the
transfer time of the largest model (event-based replication) or the schedule's longest gap
plus that transfer (cron). A store whose data cannot reach the DR site at all (backups kept
only at the primary site, manual Harbor replication) has no bounded RPO and is listed in
``Estimate.unbounded`` instead of being given a number.

What runs at the DR site follows the pattern (ARCHITECTURE.md "DR across two stacks", §9.3.3)
unless a fact says otherwise: pilot light — no VKS cluster, endpoints declared but not running,
databases restored from backups; warm standby — VKS scaled down (5 → 2 nodes), endpoints at 1
replica, databases as logical subscribers; active-active — everything at full scale, databases
as logical subscribers, models served only once replicated to both sites (PAIF-DR-010).

With the same workload and assumptions, each term is ordered pilot light ≥ warm standby ≥
active-active, so the totals are too, provided the assumptions are themselves ordered: the
GSLB switch no slower than the DNS TTL, provisioning a database no faster than promoting one,
and backup intervals and the WAL archive timeout no shorter than the replication lag. A
database without off-site backups cannot be restored under pilot light at all: it is listed in
``unbounded`` rather than counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from paif_components.estimators._json import num
from paif_components.estimators.cron import harbor_cron_interval_seconds
from paif_components.estimators.data_stores import (
    Mechanism,
)
from paif_components.estimators.data_stores import recovery as database_recovery
from paif_components.estimators.data_stores import rpo as database_rpo
from paif_components.estimators.dr_facts import (
    HARBOR_EVENT_BASED,
    HARBOR_MANUAL,
    HARBOR_MECHANISM,
    Assumptions,
    ClusterFacts,
    DrPattern,
    DrTopology,
    EndpointFacts,
    check_seconds,
    rpo_band,
    rto_band,
)
from paif_components.estimators.durations import format_duration
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import GIB

_T = TypeVar("_T")


@dataclass(frozen=True)
class Term:
    """One line of the estimate: what it is, how long, and why."""

    key: str
    label: str
    seconds: float
    explanation: str
    # The data store's DR mechanism behind the figure (database and Harbor terms).
    mechanism: str | None = None

    def __post_init__(self) -> None:
        check_seconds(f"term {self.key}", self.seconds)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "seconds": num(self.seconds),
            "duration": format_duration(self.seconds),
            "explanation": self.explanation,
        }
        if self.mechanism is not None:
            out["mechanism"] = self.mechanism
        return out


@dataclass(frozen=True)
class StoreEstimate:
    """One stateful store: its DR mechanism, its RPO (``None``: unbounded) and recovery time."""

    store: str
    kind: str
    mechanism: str
    rpo_seconds: float | None
    rpo_explanation: str
    recovery_seconds: float | None = None
    recovery_explanation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON; an unbounded RPO has no ``rpo_s`` (``rpo``: "unbounded")."""
        out: dict[str, Any] = {
            "store": self.store,
            "kind": self.kind,
            "mechanism": self.mechanism,
            "rpo": format_duration(self.rpo_seconds)
            if self.rpo_seconds is not None
            else "unbounded",
            "rpo_explanation": self.rpo_explanation,
        }
        if self.rpo_seconds is not None:
            out["rpo_s"] = num(self.rpo_seconds)
        if self.recovery_seconds is not None:
            out["recovery_s"] = num(self.recovery_seconds)
            out["recovery_explanation"] = str(self.recovery_explanation)
        return out


@dataclass(frozen=True)
class Estimate:
    """RTO (sum of its terms) and RPO (max of its terms), with the §9.3 bands."""

    pattern: str
    rto_terms: tuple[Term, ...]
    rpo_terms: tuple[Term, ...]
    unbounded: tuple[str, ...] = ()
    stores: tuple[StoreEstimate, ...] = ()

    @property
    def rto_s(self) -> float:
        return math.fsum(t.seconds for t in self.rto_terms)

    @property
    def rpo_s(self) -> float:
        return max((t.seconds for t in self.rpo_terms), default=0.0)

    @property
    def rto_band(self) -> str:
        return rto_band(self.rto_s)

    @property
    def rpo_band(self) -> str:
        return "unbounded" if self.unbounded else rpo_band(self.rpo_s)

    @property
    def rpo_bounded(self) -> bool:
        return not self.unbounded

    def rto_term(self, key: str) -> Term:
        return _find(self.rto_terms, key)

    def rpo_term(self, key: str) -> Term:
        return _find(self.rpo_terms, key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "rto_s": num(self.rto_s),
            "rto": format_duration(self.rto_s),
            "rto_band": self.rto_band,
            "rto_terms": [t.to_dict() for t in self.rto_terms],
            "rpo_s": num(self.rpo_s),
            "rpo": format_duration(self.rpo_s),
            "rpo_band": self.rpo_band,
            "rpo_terms": [t.to_dict() for t in self.rpo_terms],
            "unbounded": list(self.unbounded),
            "stores": [s.to_dict() for s in self.stores],
        }


def _find(terms: tuple[Term, ...], key: str) -> Term:
    for t in terms:
        if t.key == key:
            return t
    raise KeyError(key)


def _gbit_seconds(gib: float, gbit_per_second: float) -> float:
    return gib * GIB * 8 / (gbit_per_second * 1e9)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _worst(items: Iterable[_T], seconds: Callable[[Any], float]) -> tuple[_T | None, float]:
    """The item with the largest seconds (first one on ties) and those seconds."""
    best: _T | None = None
    best_s = 0.0
    for item in items:
        s = seconds(item)
        if best is None or s > best_s:
            best, best_s = item, s
    return best, best_s


def estimate(topology: DrTopology, assumptions: Assumptions | None = None) -> Estimate:
    """RTO and RPO of a site failover for this topology (module doc for the model)."""
    a = assumptions or Assumptions()
    if DrPattern(topology.pattern) is DrPattern.NONE:
        raise EstimatorError(
            "DR pattern 'none' declares no DR site, so there is no failover to estimate; "
            "declare pilot-light, warm-standby or active-active (PAIF-DR-001)"
        )
    stores = _database_stores(topology, a)
    unbounded = [
        *(s.rpo_explanation for s in stores if s.rpo_seconds is None),
        *_unreplicated_harbor(topology),
    ]
    rto = (
        _detection(a),
        _decision(topology, a),
        _traffic_switch(topology, a),
        _services_redeploy(topology, a),
        _vks_provisioning(topology, a),
        _node_scale_up(topology, a),
        _database_recovery(stores),
        *_model_start(topology, a),
        _validation(topology, a),
    )
    rpo = (*_database_rpo(stores), *_harbor_rpo(topology, a))
    return Estimate(topology.pattern, rto, rpo, tuple(unbounded), (*stores, *_harbor_store(rpo)))


def _is_active_active(topology: DrTopology) -> bool:
    return DrPattern(topology.pattern) is DrPattern.ACTIVE_ACTIVE


def _detection(a: Assumptions) -> Term:
    return Term(
        "detection",
        "Failure detection",
        a.health_check_interval_seconds * a.health_check_failure_threshold,
        f"{a.health_check_failure_threshold} failed health checks "
        f"{a.health_check_interval_seconds:g} s apart before the site counts as down.",
    )


def _decision(topology: DrTopology, a: Assumptions) -> Term:
    label = "Failover decision"
    if _is_active_active(topology):
        return Term(
            "decision",
            label,
            0.0,
            "Active-active fails over automatically on the GSLB health monitors (§9.3.3).",
        )
    if a.automated_failover:
        return Term("decision", label, 0.0, "Failover is automated.")
    return Term(
        "decision",
        label,
        a.manual_decision_seconds,
        "An operator confirms the site loss and declares the failover (§9.3.3: DNS switch "
        "on failover); how long that takes is a project default "
        "(paif:dr.assumptions.manualDecisionSeconds).",
    )


def _traffic_switch(topology: DrTopology, a: Assumptions) -> Term:
    if _is_active_active(topology):
        return Term(
            "traffic_switch",
            "GSLB switch",
            a.gslb_switch_seconds,
            "The GSLB stops answering with the failed site; clients re-resolve within the "
            "GSLB record TTL (§9.3.3 pattern 3).",
        )
    return Term(
        "traffic_switch",
        "DNS switch",
        a.dns_ttl_seconds,
        "The service record points to the DR site; clients follow once cached answers "
        "expire (DNS TTL).",
    )


def _services_redeploy(topology: DrTopology, a: Assumptions) -> Term:
    if DrPattern(topology.pattern) is DrPattern.PILOT_LIGHT:
        return Term(
            "services_redeploy",
            "PAIS rebuild",
            a.services_redeploy_seconds,
            "Endpoints, knowledge bases and agents are applied from GitOps at the DR site "
            "(§9.3.3 pattern 1: PAIS rebuild).",
        )
    return Term(
        "services_redeploy", "PAIS rebuild", 0.0, "PAIS configuration already runs at the DR site."
    )


def _vks_provisioning(topology: DrTopology, a: Assumptions) -> Term:
    missing = [c.name for c in topology.clusters if not topology.cluster_exists_at_dr(c)]
    if not missing:
        return Term(
            "vks_provisioning",
            "VKS provisioning",
            0.0,
            "Every VKS cluster already exists at the DR site.",
        )
    return Term(
        "vks_provisioning",
        "VKS provisioning",
        a.vks_cluster_provision_seconds,
        f"VKS cluster(s) {', '.join(missing)} are created at the DR site, in parallel "
        "(§9.3.3 pattern 1: VKS not deployed).",
    )


def _node_scale_up(topology: DrTopology, a: Assumptions) -> Term:
    def seconds(c: ClusterFacts) -> float:
        missing = max(0, c.nodes_needed - topology.nodes_at_dr(c))
        if not missing:
            return 0.0
        return a.node_provision_seconds + (missing - 1) * a.node_provision_stagger_seconds

    cluster, worst = _worst(topology.clusters, seconds)
    if cluster is None or worst == 0:
        return Term(
            "node_scale_up",
            "Node scale-up",
            0.0,
            "The DR clusters already run the worker nodes the load needs.",
        )
    return Term(
        "node_scale_up",
        "Node scale-up",
        worst,
        f"Cluster {cluster.name} grows from {topology.nodes_at_dr(cluster)} to "
        f"{cluster.nodes_needed} worker nodes, booting in parallel (§9.3.3: scale up).",
    )


def _database_stores(topology: DrTopology, a: Assumptions) -> list[StoreEstimate]:
    """Each database's RPO and recovery from its mechanism
    (paif_components.estimators.data_stores)."""
    out = []
    for d in topology.databases:
        mechanism = topology.mechanism(d)
        loss = database_rpo(
            d,
            mechanism,
            default_lag_seconds=a.async_replication_lag_seconds,
            default_archive_seconds=a.wal_archive_timeout_seconds,
        )
        back = database_recovery(
            d,
            mechanism,
            promotion_seconds=a.database_promotion_seconds,
            provision_seconds=a.database_provision_seconds,
            restore_mib_per_second=a.database_restore_mib_per_second,
        )
        recoverable = loss.seconds is not None or mechanism is Mechanism.NONE
        out.append(
            StoreEstimate(
                store=f"database {d.name}",
                kind="database",
                mechanism=mechanism.value,
                rpo_seconds=loss.seconds,
                rpo_explanation=loss.explanation,
                recovery_seconds=back.seconds if recoverable else None,
                recovery_explanation=back.explanation if recoverable else None,
            )
        )
    return out


_RECOVERY_LABELS: Final = {
    "backup-restore": "Database restore",
    "none": "Database provisioning",
    "logical": "Database switch-over",
    "streaming": "Database promotion",
}


def _database_recovery(stores: list[StoreEstimate]) -> Term:
    """The slowest database to come back as the writer (they recover in parallel)."""
    timed: list[StoreEstimate] = [s for s in stores if s.recovery_seconds is not None]

    def recovery(candidate: StoreEstimate) -> float:
        return float(candidate.recovery_seconds or 0.0)

    slowest, worst = _worst(timed, recovery)
    if slowest is None:
        return Term("database", "Database recovery", 0.0, "No database to recover.")
    return Term(
        "database",
        _RECOVERY_LABELS[slowest.mechanism],
        worst,
        str(slowest.recovery_explanation),
        slowest.mechanism,
    )


def _model_start(topology: DrTopology, a: Assumptions) -> tuple[Term, Term, Term]:
    """Model pull, cold start and warm-up of the endpoints that need new replicas.

    Endpoints start in parallel, so the slowest one sets each term.
    """
    starting = [e for e in topology.endpoints if topology.new_replicas(e)]
    if not starting:
        return (
            Term(
                "model_pull",
                "Model pull",
                0.0,
                "No endpoint needs a new replica at the DR site.",
            ),
            Term(
                "cold_start",
                "Model cold start",
                0.0,
                "Every endpoint already runs the replicas it needs at the DR site.",
            ),
            Term("warm_up", "Warm-up", 0.0, "Running replicas are already warm."),
        )
    if a.model_cached_on_new_nodes:
        pull = Term(
            "model_pull",
            "Model pull",
            0.0,
            "Models are already on the nodes that serve them.",
        )
    else:

        def pull_seconds(endpoint: EndpointFacts) -> float:
            return _gbit_seconds(endpoint.model_gib, a.harbor_pull_gbit_per_second)

        ep, seconds = _worst(starting, pull_seconds)
        assert ep is not None
        pull = Term(
            "model_pull",
            "Model pull",
            seconds,
            f"{ep.name}: {ep.model_gib:.1f} GiB pulled from the DR Harbor to new nodes at "
            f"{a.harbor_pull_gbit_per_second:g} Gbit/s.",
        )
    cold = {e.name: e.cold_start(a.cold_start) for e in starting}

    def start_seconds(endpoint: EndpointFacts) -> float:
        return cold[endpoint.name].point_s

    ep, _ = _worst(starting, start_seconds)
    assert ep is not None
    start = cold[ep.name]
    warm_up = start.phase("warm_up").point_s
    return (
        pull,
        Term(
            "cold_start",
            "Model cold start",
            start.point_s - warm_up,
            f"{ep.name}: starting {_plural(topology.new_replicas(ep), 'new replica')} in "
            f"parallel; {ep.parameters_b:g}B {ep.precision} on {start.gpus} GPU(s) "
            f"({ep.assignment}) takes {format_duration(start.low_s)}–"
            f"{format_duration(start.high_s)} to start (§9.5.3 cold start).",
        ),
        Term(
            "warm_up",
            "Warm-up",
            warm_up,
            f"{ep.name}: a first request compiles CUDA kernels before traffic (§9.5.3 phase 5).",
        ),
    )


def _validation(topology: DrTopology, a: Assumptions) -> Term:
    if _is_active_active(topology):
        return Term(
            "validation",
            "Validation",
            0.0,
            "The surviving site kept serving; its health monitors are the check.",
        )
    return Term(
        "validation",
        "Validation",
        a.validation_seconds,
        "Smoke tests of endpoints and app before traffic counts as restored (§9.7.2); how "
        "long they take is a project default (paif:dr.assumptions.validationSeconds).",
    )


def _unreplicated_harbor(topology: DrTopology) -> list[str]:
    if topology.harbor is None or topology.harbor.schedule != HARBOR_MANUAL:
        return []
    return [
        "harbor: replication is manual, so models reach the DR site only when someone runs it "
        "(use event_based or a cron schedule, PAIF-DR-006)"
    ]


def _database_rpo(stores: list[StoreEstimate]) -> list[Term]:
    """One RPO term per database with a bounded figure (the rest are in ``unbounded``)."""
    return [
        Term(
            f"database:{s.store.removeprefix('database ')}",
            f"Database {s.store.removeprefix('database ')}",
            s.rpo_seconds,
            s.rpo_explanation,
            s.mechanism,
        )
        for s in stores
        if s.rpo_seconds is not None
    ]


def _harbor_store(rpo: tuple[Term, ...]) -> tuple[StoreEstimate, ...]:
    harbor = [t for t in rpo if t.key == "harbor"]
    return tuple(
        StoreEstimate("harbor", "registry", str(t.mechanism), t.seconds, t.explanation)
        for t in harbor
    )


def _harbor_rpo(topology: DrTopology, a: Assumptions) -> list[Term]:
    harbor = topology.harbor
    if harbor is None or harbor.schedule == HARBOR_MANUAL:
        return []  # manual replication is listed in Estimate.unbounded
    largest = (
        harbor.largest_model_gib
        if harbor.largest_model_gib is not None
        else max((e.model_gib for e in topology.endpoints), default=0.0)
    )
    transfer = _gbit_seconds(largest, a.harbor_replication_gbit_per_second)
    if topology.served_after_replication():
        return [
            Term(
                "harbor",
                "Harbor models",
                0.0,
                "Models are served only once both sites hold them (PAIF-DR-010), so a "
                "replication in flight loses nothing served.",
                HARBOR_MECHANISM,
            )
        ]
    if harbor.schedule == HARBOR_EVENT_BASED:
        return [
            Term(
                "harbor",
                "Harbor models",
                transfer,
                f"Event-based replication: a {largest:.1f} GiB model takes this long to reach "
                f"the DR site at {a.harbor_replication_gbit_per_second:g} Gbit/s.",
                HARBOR_MECHANISM,
            )
        ]
    interval = harbor_cron_interval_seconds(harbor.schedule)
    return [
        Term(
            "harbor",
            "Harbor models",
            interval + transfer,
            f"Scheduled replication '{harbor.schedule}': up to {format_duration(interval)} "
            f"until the next run, plus {format_duration(transfer)} to transfer a "
            f"{largest:.1f} GiB model.",
            HARBOR_MECHANISM,
        )
    ]
