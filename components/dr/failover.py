"""What ``pulumi up`` of the DR stack changes when it fails over, and back (issue 21).

Failover and failback are config, applied from a laptop: ``paif:dr.failover`` on the DR stack
(``--path``: it is a key inside the ``paif:dr`` object) and ``pulumi up``. The DR site moves
between the two shapes its pattern defines (paif_components.dr.topology): standing by and serving.
:func:`failover_changes` lists every part whose declared shape differs between the two, so
``paif plan`` (``estimates.failover.changes``) and the runbook show what an ``up`` will do
before anyone runs it; failback is the same list read backwards.

================ ================================ ================================
part             failover (standing by → serving) failback
================ ================================ ================================
model endpoint   replicas to the primary's         back to 1 (warm) / 0 (pilot light)
                 (autoscaled); pilot light: run
VKS cluster      pools to the primary's floors;    back to the standby workers /
                 pilot light: created              deleted (pilot light)
database copy    subscriber / restored / empty     subscribes again (logical); the
                 → writer; subscription dropped    restored copy is released by hand
traffic          DNS switch / GSLB: all to DR      back to the primary (DNS / GSLB)
================ ================================ ================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from paif_components.dr.topology import ClusterRole, DerivedSite, EndpointRole

FAILOVER_CONFIG_KEY: Final = "paif:dr.failover"


def config_command(stack: str, value: bool) -> str:
    """The ``pulumi config set`` that moves the DR stack (``--path``: a key inside paif:dr)."""
    return f"pulumi config set --path {FAILOVER_CONFIG_KEY} {str(value).lower()} --stack {stack}"


def commands(stack: str, value: bool) -> list[str]:
    """The laptop's command sequence for one direction."""
    return [config_command(stack, value), f"pulumi up --stack {stack}"]


@dataclass(frozen=True)
class Change:
    """One part of the DR site whose declared shape differs between standing by and serving."""

    part: str
    name: str
    standing_by: Any
    serving: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "name": self.name,
            "standingBy": self.standing_by,
            "serving": self.serving,
        }


def _endpoint(role: EndpointRole | None) -> dict[str, Any] | None:
    if role is None:
        return None
    return {
        "mode": role.mode.value,
        "replicas": role.replicas.to_json(),
        "autoscaled": role.autoscaled,
    }


def _cluster(role: ClusterRole | None) -> dict[str, Any] | None:
    if role is None or not role.deployed:
        return {"deployed": False}
    pools = {}
    for pool, workers in role.workers.items():
        bounds = role.failover_workers.get(pool)
        floor, ceiling = (bounds.min, bounds.max) if bounds is not None else (workers, workers)
        autoscaled = role.mode.value == "full" and floor != ceiling
        pools[pool] = {"min": floor, "max": ceiling} if autoscaled else workers
    return {"deployed": True, "workers": pools, "nodes": role.nodes}


def _database(site: DerivedSite, key: tuple[str, str]) -> dict[str, Any] | None:
    role = site.databases.get(key)
    if role is None:
        return None
    return {
        "mode": role.mode.value,
        "running": role.running,
        "writerSite": role.writer_site,
        "subscription": role.subscription if role.mode.value == "logical-subscriber" else None,
    }


def _traffic(site: DerivedSite) -> dict[str, Any] | None:
    if site.traffic is None:
        return None
    return {"mode": site.traffic.mode.value, "share": site.traffic.share}


def failover_changes(standing_by: DerivedSite, serving: DerivedSite) -> list[Change]:
    """Every part of the DR site that ``pulumi up`` changes at failover (module table)."""

    def database_name(key: tuple[str, str]) -> str:
        role = serving.databases.get(key) or standing_by.databases[key]
        return f"{'/'.join(key)} ({role.cluster_name})"

    parts: list[tuple[str, Callable[[DerivedSite], Mapping[Any, Any]], Callable[..., Any], Any]] = [
        ("endpoint", lambda s: s.endpoints, lambda s, k: _endpoint(s.endpoints.get(k)), "/".join),
        ("vks-cluster", lambda s: s.clusters, lambda s, k: _cluster(s.clusters.get(k)), "/".join),
        ("database", lambda s: s.databases, _database, database_name),
    ]
    changes: list[Change] = []
    for part, members, shape, name in parts:
        for key in sorted(set(members(standing_by)) | set(members(serving))):
            before, after = shape(standing_by, key), shape(serving, key)
            if before != after:
                changes.append(Change(part, name(key), before, after))
    before, after = _traffic(standing_by), _traffic(serving)
    if before != after:
        changes.append(Change("traffic", serving.site, before, after))
    return changes


def failover_dict(
    standing_by: DerivedSite, serving: DerivedSite, dr_stack: str | None
) -> dict[str, Any]:
    """``estimates.failover``'s ``changes`` and ``commands`` (the runbook renders both)."""
    stack = dr_stack or "<DR stack>"
    return {
        "changes": [c.to_dict() for c in failover_changes(standing_by, serving)],
        "commands": {"failover": commands(stack, True), "failback": commands(stack, False)},
    }


def describe(value: Mapping[str, Any] | None) -> str:
    """A change's side in a sentence fragment (runbook tables)."""
    if value is None:
        return "—"
    if "replicas" in value:
        low, high = _num(value["replicas"]["min"]), _num(value["replicas"]["max"])
        count = low if low == high else f"{low}–{high}"
        scaling = " (autoscaled)" if value.get("autoscaled") else ""
        return f"{value['mode']}, {count} replica{'' if count == '1' else 's'}{scaling}"
    if "deployed" in value:
        if not value["deployed"]:
            return "not deployed"
        pools = ", ".join(
            f"{pool} {_num(n['min'])}–{_num(n['max'])} (autoscaled)"
            if isinstance(n, Mapping)
            else f"{pool} {_num(n)}"
            for pool, n in value["workers"].items()
        )
        return f"workers: {pools}"
    if "writerSite" in value:
        text = value["mode"]
        if value.get("subscription"):
            text += f" (subscription `{value['subscription']}`)"
        return text if value["running"] else f"{text}, nothing running"
    if "share" in value:
        return f"{value['mode']}, {float(value['share']) * 100:g} % of the traffic"
    return str(dict(value))


def _num(value: Any) -> str:
    """A count read back from JSON (where an int may come back as a float)."""
    return f"{float(value):g}"
