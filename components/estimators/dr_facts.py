"""What an RTO/RPO estimate is computed from (§9.3): the DR pattern and its bands, the
assumptions (every one a named, overridable figure), and the facts of the topology (endpoints,
clusters, databases, Harbor at both sites). :mod:`paif_components.estimators.rto_rpo` computes the
estimate from them.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Final, TypeVar

from paif_components.constants import (
    AUTOSCALING_MIN_REPLICAS,
    WARM_STANDBY_ENDPOINT_REPLICAS,
    WARM_STANDBY_VKS_WORKERS,
)
from paif_components.estimators._json import num
from paif_components.estimators.cold_start import (
    DEFAULT_GPU_MEMORY_GIB,
    ColdStartEstimate,
    ColdStartProfile,
    estimate_cold_start,
    parse_assignment,
)
from paif_components.estimators.cron import harbor_cron_interval_seconds
from paif_components.estimators.data_stores import (
    DatabaseFacts,
    Mechanism,
)
from paif_components.estimators.durations import parse_duration
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import parse_precision, weights_gib

_T = TypeVar("_T")


class DrPattern(StrEnum):
    NONE = "none"
    PILOT_LIGHT = "pilot-light"
    WARM_STANDBY = "warm-standby"
    ACTIVE_ACTIVE = "active-active"


# Patterns from most to least DR infrastructure kept idle (§9.3 "choosing a strategy").
PATTERNS_BY_COST: Final = (DrPattern.PILOT_LIGHT, DrPattern.WARM_STANDBY, DrPattern.ACTIVE_ACTIVE)


# §9.3 RTO bands: active-active "within minutes", warm standby "tens of minutes", pilot light
# "hours". Upper bounds in seconds; anything at or above the last bound is "hours".
RTO_BANDS: Final = (
    (600.0, "within minutes"),
    (3600.0, "tens of minutes"),
)


RTO_BAND_HOURS: Final = "hours"


# §9.3 RPO bands: active-active "0 (synchronous)", warm standby "minutes to real time", pilot
# light "hours".
RPO_BAND_ZERO: Final = "zero"


RPO_BANDS: Final = (
    (60.0, "real time"),
    (3600.0, "minutes"),
)


RPO_BAND_HOURS: Final = "hours"


HARBOR_EVENT_BASED: Final = "event_based"


# How models reach the DR site (PAIF-DR-004): the mechanism the Harbor RPO term names.
HARBOR_MECHANISM: Final = "harbor-push-replication"


HARBOR_MANUAL: Final = "manual"


def rto_band(seconds: float) -> str:
    """The §9.3 RTO band: 'within minutes' (< 10 min), 'tens of minutes' (< 1 h), 'hours'."""
    check_seconds("seconds", seconds)
    for bound, label in RTO_BANDS:
        if seconds < bound:
            return label
    return RTO_BAND_HOURS


def rpo_band(seconds: float) -> str:
    """The §9.3 RPO band: 'zero', 'real time' (< 1 min), 'minutes' (< 1 h), 'hours'."""
    check_seconds("seconds", seconds)
    if seconds == 0:
        return RPO_BAND_ZERO
    for bound, label in RPO_BANDS:
        if seconds < bound:
            return label
    return RPO_BAND_HOURS


def check_seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EstimatorError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise EstimatorError(f"{name} must be ≥ 0 seconds, got {value!r}")
    return float(value)


def _to_camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class Assumptions:
    """Every default of the DR estimate, named and overridable (``paif:dr.assumptions``).

    Stack config spells the keys in camelCase (``dnsTtlSeconds``); the cold-start keys of
    :class:`ColdStartProfile` are accepted at the same level (``modelLoadGibPerSecondLow``).
    """

    # Kubernetes probe defaults periodSeconds=10, failureThreshold=3
    # (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/);
    # Avi health monitors also probe every 10 s by default. §9.2.2: a failed health check
    # takes a replica out.
    health_check_interval_seconds: float = 10.0
    health_check_failure_threshold: int = 3
    # Time for the on-call team to confirm a site loss and declare failover (runbook and
    # on-call rota, §9.7.1 operations). Project default: the source gives no time (§9.3.3 only
    # says warm standby fails over by scale-up and a DNS switch); 15 min is a common
    # major-incident escalation target.
    manual_decision_seconds: float = 900.0
    # §9.3.3: pilot light and warm standby fail over by a DNS switch someone decides on;
    # set true when that decision is automated. Active-active is always automatic.
    automated_failover: bool = False
    # TTL of the service's DNS record: clients keep the old address until it expires.
    # 300 s is a common TTL for records that may need to move (§9.3.3 "DNS switch").
    dns_ttl_seconds: float = 300.0
    # Avi's DNS service answers with a 30 s TTL unless set (DnsServiceApplicationProfile.ttl
    # default 30; also the `paif:dr.gslb.ttl` default); the GSLB stops answering with the
    # failed site once its health monitors fail.
    gslb_switch_seconds: float = 30.0
    # §9.3.3 pattern 1 "PAIS rebuild": apply endpoints, knowledge bases and agents from GitOps.
    services_redeploy_seconds: float = 900.0
    # §9.3.3 pattern 1 "VKS deployment": a new VKS cluster (3 control-plane nodes, §9.2.4)
    # typically takes 20–30 min on a Supervisor; 30 min keeps the estimate conservative.
    vks_cluster_provision_seconds: float = 1800.0
    # One wave of worker nodes: VM clone from the VKR image, boot, join, GPU operator/vGPU
    # driver ready. Nodes boot in parallel; each extra node adds a small stagger.
    node_provision_seconds: float = 600.0
    node_provision_stagger_seconds: float = 30.0
    # Promote a PostgreSQL replica to primary and repoint the DSM endpoint; pg_promote itself
    # takes seconds, the endpoint and client reconnects dominate (§9.2.3 DSM failover, VIP).
    database_promotion_seconds: float = 120.0
    # Pilot light restore (§9.3.2 item 2: "minutes to tens of minutes depending on size"):
    # create a DSM PostgresCluster at the DR site, then restore at this throughput.
    database_provision_seconds: float = 900.0
    database_restore_mib_per_second: float = 200.0
    # Async streaming replication is normally sub-second behind; 30 s bounds it under write
    # bursts and WAN hiccups (§9.3 warm standby: "minutes to real time").
    async_replication_lag_seconds: float = 30.0
    # PostgreSQL archive_timeout forces a WAL segment switch at least this often; 300 s is a
    # common production value (the PostgreSQL docs warn against going much lower than 60 s).
    wal_archive_timeout_seconds: float = 300.0
    # Inter-site link available to Harbor push replication, Gbit/s (§9.3.2 item 1: model
    # restore takes minutes to hours depending on size).
    harbor_replication_gbit_per_second: float = 1.0
    # DR Harbor to the DR nodes, same data centre, Gbit/s.
    harbor_pull_gbit_per_second: float = 10.0
    # Models pre-pulled on new nodes (e.g. by a DaemonSet, §9.5.3 "cache images on nodes").
    model_cached_on_new_nodes: bool = False
    # Smoke tests of the AI endpoints and the app before traffic counts as restored
    # (§9.7.2 after-deployment checks: health 200 OK, sample requests within SLA). Project
    # default: §9.7.2 lists the checks, not how long they take; 10 min covers `paif verify`'s
    # 100 sample requests per endpoint and a look at alerts and logs.
    validation_seconds: float = 600.0
    cold_start: ColdStartProfile = field(default_factory=ColdStartProfile)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "cold_start":
                if not isinstance(value, ColdStartProfile):
                    raise EstimatorError(f"cold_start must be a ColdStartProfile, got {value!r}")
            elif isinstance(f.default, bool):
                if not isinstance(value, bool):
                    raise EstimatorError(f"DR assumption {f.name} must be true or false")
            elif isinstance(f.default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise EstimatorError(
                        f"DR assumption {f.name} must be an integer ≥ 1, got {value!r}"
                    )
            else:
                check_seconds(f"DR assumption {f.name}", value)
                object.__setattr__(self, f.name, float(value))
        for name in sorted(_RATES - {f.name for f in fields(ColdStartProfile)}):
            if getattr(self, name) <= 0:
                raise EstimatorError(f"DR assumption {name} must be > 0")

    @classmethod
    def config_keys(cls) -> tuple[str, ...]:
        """Every key ``paif:dr.assumptions`` accepts, camelCase."""
        own = [_to_camel(f.name) for f in fields(cls) if f.name != "cold_start"]
        cold = [_to_camel(f.name) for f in fields(ColdStartProfile)]
        return tuple(own + cold)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> Assumptions:
        """Build from stack config; unknown keys and bad values are rejected, all at once.

        Keys are camelCase (snake_case accepted too). ``*Seconds`` values take a number or a
        duration (``"5m"``, ``"1h30m"``); booleans take true/false.
        """
        if not isinstance(mapping, Mapping):
            raise EstimatorError(f"paif:dr.assumptions must be a mapping, got {mapping!r}")
        own = {f.name: f for f in fields(cls) if f.name != "cold_start"}
        cold = {f.name: f for f in fields(ColdStartProfile)}
        by_key = {**{_to_camel(n): n for n in own}, **{_to_camel(n): n for n in cold}}
        by_key.update({n: n for n in [*own, *cold]})
        own_values: dict[str, Any] = {}
        cold_values: dict[str, Any] = {}
        problems: list[str] = []
        for key, raw in mapping.items():
            name = by_key.get(str(key))
            if name is None:
                hint = difflib.get_close_matches(str(key), cls.config_keys(), n=1)
                problems.append(
                    f"unknown DR assumption {key!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                    + f"; known keys: {', '.join(cls.config_keys())}"
                )
                continue
            default = own[name].default if name in own else cold[name].default
            try:
                value = _coerce(name, default, raw)
            except EstimatorError as exc:
                problems.append(f"DR assumption {_to_camel(name)!r}: {exc}")
                continue
            (own_values if name in own else cold_values)[name] = value
        if problems:
            raise EstimatorError("; ".join(problems))
        try:
            return cls(**own_values, cold_start=ColdStartProfile(**cold_values))
        except EstimatorError as exc:
            # Speak config: name the keys as the stack file spells them.
            message = re.sub(
                r"\b[a-z]+(?:_[a-z]+)+\b",
                lambda m: _to_camel(m[0]) if m[0] in by_key else m[0],
                str(exc),
            )
            raise EstimatorError(f"paif:dr.assumptions: {message}") from None

    def to_dict(self) -> dict[str, Any]:
        """camelCase keys, as in stack config, so the plan shows what it assumed."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "cold_start":
                continue
            value = getattr(self, f.name)
            out[_to_camel(f.name)] = value if isinstance(value, bool) else num(value)
        for f in fields(ColdStartProfile):
            out[_to_camel(f.name)] = num(getattr(self.cold_start, f.name))
        return out


# Throughputs: a zero would mean "never finishes".
_RATES: Final = frozenset(
    {
        "database_restore_mib_per_second",
        "harbor_replication_gbit_per_second",
        "harbor_pull_gbit_per_second",
        "model_load_gib_per_second_low",
        "model_load_gib_per_second_high",
    }
)


def _coerce(name: str, default: object, raw: object) -> object:
    """One config value to the field's type, or a message saying what was expected."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise EstimatorError(f"expected true or false, got {raw!r}")
    if isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
            return raw
        if isinstance(raw, float) and raw.is_integer() and raw >= 1:
            return int(raw)
        raise EstimatorError(f"expected an integer ≥ 1, got {raw!r}")
    if name.endswith("_seconds") or "_seconds_" in name:
        return parse_duration(raw)  # type: ignore[arg-type]  # parse_duration names a bad value
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise EstimatorError(f"expected a number, got {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        raise EstimatorError(f"expected a number, got {raw!r}") from None
    if name in _RATES:
        if not math.isfinite(value) or value <= 0:
            raise EstimatorError(f"expected a rate > 0, got {raw!r}")
    elif not math.isfinite(value) or value < 0:
        raise EstimatorError(f"expected a number ≥ 0, got {raw!r}")
    return value


def _name(kind: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EstimatorError(f"{kind} name must be a non-empty string, got {value!r}")
    return value


def _count(subject: str, name: str, value: object, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EstimatorError(f"{subject}: {name} must be an integer ≥ 0, got {value!r}")


@dataclass(frozen=True)
class EndpointFacts:
    """A model or embedding endpoint as the DR estimate needs it.

    ``replicas_needed`` is how many replicas must run at the DR site before service counts as
    restored — the endpoint's min replicas (§9.5.2 default 2); the autoscaler adds the rest
    under load. ``replicas_at_dr`` is what runs there before the failover; ``None`` takes it
    from the pattern. ``gpus_per_replica`` ``None`` sizes it from the model (gpu_sizing).
    """

    name: str
    parameters_b: float
    replicas_needed: int = AUTOSCALING_MIN_REPLICAS
    precision: str = "fp16"
    gpus_per_replica: int | None = None
    gpu_memory_gib: float = DEFAULT_GPU_MEMORY_GIB
    assignment: str = "vgpu"
    replicas_at_dr: int | None = None

    def __post_init__(self) -> None:
        subject = f"endpoint {_name('endpoint', self.name)!r}"
        try:
            object.__setattr__(self, "precision", parse_precision(self.precision).value)
            object.__setattr__(self, "assignment", parse_assignment(self.assignment).value)
            weights_gib(self.parameters_b, self.precision)  # validates parameters_b
        except EstimatorError as exc:
            raise EstimatorError(f"{subject}: {exc}") from None
        _count(subject, "replicas_needed", self.replicas_needed)
        _count(subject, "replicas_at_dr", self.replicas_at_dr, allow_none=True)
        if self.gpus_per_replica is not None and (
            isinstance(self.gpus_per_replica, bool)
            or not isinstance(self.gpus_per_replica, int)
            or self.gpus_per_replica < 1
        ):
            raise EstimatorError(
                f"{subject}: gpus_per_replica must be an integer ≥ 1, got {self.gpus_per_replica!r}"
            )
        if (
            isinstance(self.gpu_memory_gib, bool)
            or not isinstance(self.gpu_memory_gib, int | float)
            or self.gpu_memory_gib <= 0
        ):
            raise EstimatorError(
                f"{subject}: gpu_memory_gib must be > 0, got {self.gpu_memory_gib!r}"
            )

    @property
    def model_gib(self) -> float:
        return weights_gib(self.parameters_b, self.precision)

    def cold_start(self, profile: ColdStartProfile) -> ColdStartEstimate:
        return estimate_cold_start(
            self.parameters_b,
            self.precision,
            self.gpus_per_replica,
            self.assignment,
            self.gpu_memory_gib,
            profile,
        )


@dataclass(frozen=True)
class HarborFacts:
    """How models reach the DR Harbor.

    ``schedule`` as the Harbor provider spells it: ``event_based``, ``manual`` or a six-field
    cron. ``largest_model_gib`` ``None`` takes the largest endpoint model.
    ``served_after_replication`` ``None`` is true for active-active (models are served only
    once both sites hold them, PAIF-DR-010) and false otherwise.
    """

    schedule: str = HARBOR_EVENT_BASED
    largest_model_gib: float | None = None
    served_after_replication: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, str):
            raise EstimatorError(f"harbor schedule must be a string, got {self.schedule!r}")
        text = self.schedule.strip()
        if text.lower().replace("-", "_") in (HARBOR_EVENT_BASED, HARBOR_MANUAL):
            text = text.lower().replace("-", "_")
        else:
            harbor_cron_interval_seconds(text)  # validates, with Harbor's own message
        object.__setattr__(self, "schedule", text)
        if self.largest_model_gib is not None:
            check_seconds("harbor largest_model_gib", self.largest_model_gib)


@dataclass(frozen=True)
class ClusterFacts:
    """A VKS cluster: worker nodes the load needs, and what exists at the DR site.

    ``exists_at_dr`` / ``nodes_at_dr`` ``None`` take them from the pattern (pilot light: no
    cluster; warm standby: 2 workers, §9.3.3; active-active: full).
    """

    name: str
    nodes_needed: int
    nodes_at_dr: int | None = None
    exists_at_dr: bool | None = None

    def __post_init__(self) -> None:
        subject = f"cluster {_name('cluster', self.name)!r}"
        _count(subject, "nodes_needed", self.nodes_needed)
        _count(subject, "nodes_at_dr", self.nodes_at_dr, allow_none=True)
        if self.exists_at_dr is False and self.nodes_at_dr:
            raise EstimatorError(
                f"{subject}: nodes_at_dr is {self.nodes_at_dr} but the cluster does not exist "
                "at the DR site"
            )


def _unique(kind: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise EstimatorError(f"{kind} name {n!r} appears twice")
        seen.add(n)


@dataclass(frozen=True)
class DrTopology:
    """The workload and what the DR site holds, by pattern."""

    pattern: str
    endpoints: tuple[EndpointFacts, ...] = ()
    databases: tuple[DatabaseFacts, ...] = ()
    harbor: HarborFacts | None = field(default_factory=HarborFacts)
    clusters: tuple[ClusterFacts, ...] = ()

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "pattern", DrPattern(self.pattern).value)
        except ValueError:
            choices = ", ".join(repr(p.value) for p in DrPattern)
            raise EstimatorError(
                f"unknown DR pattern {self.pattern!r}: expected {choices}"
            ) from None
        for attr, kind in (
            ("endpoints", EndpointFacts),
            ("databases", DatabaseFacts),
            ("clusters", ClusterFacts),
        ):
            items = tuple(getattr(self, attr))
            for item in items:
                if not isinstance(item, kind):
                    raise EstimatorError(f"{attr} must hold {kind.__name__}, got {item!r}")
            object.__setattr__(self, attr, items)
        if self.harbor is not None and not isinstance(self.harbor, HarborFacts):
            raise EstimatorError(f"harbor must be HarborFacts or None, got {self.harbor!r}")
        _unique("endpoint", (e.name for e in self.endpoints))
        _unique("database", (d.name for d in self.databases))
        _unique("cluster", (c.name for c in self.clusters))

    def with_pattern(self, pattern: str) -> DrTopology:
        """The same workload under another pattern (facts left to the pattern stay so)."""
        return DrTopology(pattern, self.endpoints, self.databases, self.harbor, self.clusters)

    # What the DR site holds, facts first, then the pattern's defaults.

    def replicas_at_dr(self, endpoint: EndpointFacts) -> int:
        if endpoint.replicas_at_dr is not None:
            return endpoint.replicas_at_dr
        return {
            DrPattern.PILOT_LIGHT: 0,
            DrPattern.WARM_STANDBY: min(endpoint.replicas_needed, WARM_STANDBY_ENDPOINT_REPLICAS),
        }.get(DrPattern(self.pattern), endpoint.replicas_needed)

    def mechanism(self, database: DatabaseFacts) -> Mechanism:
        """The declared mechanism, else the pattern's default
        (paif_components.config.models.dr_copy)."""
        if database.mechanism is not None:
            return Mechanism(database.mechanism)
        return {
            DrPattern.PILOT_LIGHT: Mechanism.BACKUP_RESTORE,
            DrPattern.WARM_STANDBY: Mechanism.LOGICAL,
            DrPattern.ACTIVE_ACTIVE: Mechanism.LOGICAL,
        }.get(DrPattern(self.pattern), Mechanism.NONE)

    def cluster_exists_at_dr(self, cluster: ClusterFacts) -> bool:
        if cluster.exists_at_dr is not None:
            return cluster.exists_at_dr
        if cluster.nodes_at_dr:
            return True
        return DrPattern(self.pattern) in (DrPattern.WARM_STANDBY, DrPattern.ACTIVE_ACTIVE)

    def nodes_at_dr(self, cluster: ClusterFacts) -> int:
        if cluster.nodes_at_dr is not None:
            return cluster.nodes_at_dr
        pattern = DrPattern(self.pattern)
        if not self.cluster_exists_at_dr(cluster) or pattern is DrPattern.PILOT_LIGHT:
            return 0  # pilot light keeps no workers running, even in a pre-created cluster
        if pattern is DrPattern.WARM_STANDBY:
            return min(cluster.nodes_needed, WARM_STANDBY_VKS_WORKERS)
        return cluster.nodes_needed

    def new_replicas(self, endpoint: EndpointFacts) -> int:
        """Replicas that must start at the DR site during the failover."""
        return max(0, endpoint.replicas_needed - self.replicas_at_dr(endpoint))

    def served_after_replication(self) -> bool:
        if self.harbor is not None and self.harbor.served_after_replication is not None:
            return self.harbor.served_after_replication
        return DrPattern(self.pattern) is DrPattern.ACTIVE_ACTIVE
