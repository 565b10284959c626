"""The plan's ``estimates``: RTO, RPO and GPU capacity of this stack's DR topology (§9.3).

Built from the declared topology (:mod:`paif_components.dr.topology`) with the arithmetic of
:mod:`paif_components.estimators`; this module only turns stack config into the estimators' facts
and the results into one JSON-friendly mapping (stack output ``estimates``, plan.json).

Both stacks estimate the same event, the loss of the primary site:

- the DR stack knows both sides: its own workload domain and the primary's tenants;
- the primary stack knows its tenants and the pattern but not the DR site's hardware, so it
  presumes the DR site has the same workload domain as itself (the DR stack's plan has the
  real figures) and says so in ``failover.drSiteFacts``.

Facts taken from the config:

- endpoints: replicas needed = the primary's min replicas; replicas already at the DR site from
  the endpoint's DR role; GPUs per replica declared, or sized against the site's GPU device
  (gpu_sizing); model size from ``parametersB`` and ``precision``;
- clusters: nodes needed = the primary's pool floors; nodes and existence at the DR site from
  the cluster's DR role (warm standby 2, pilot light none);
- databases (pgvector and app databases, §9.3.2 items 2 and 4): size = declared storage;
  sync/async/backup-only from the database's DR role;
  backup interval = the shorter of the full and incremental schedules' longest gap; backups
  count as off-site when they name a backup location;
- Harbor: the primary's ``paif:dr.replicationSchedule`` (event-based when unset); the GSLB
  switch takes ``paif:dr.gslb.ttl`` unless ``gslbSwitchSeconds`` is set in assumptions.

Defaults for everything else are :class:`paif_components.estimators.Assumptions`, overridable in
``paif:dr.assumptions`` (the DR stack's keys win over the primary's).

GPU capacity counts devices of the site's default vGPU profile (the first in
``workloadDomain.vgpuProfiles``; whole GPUs with passthrough): per tenant against its quota
and for the pool with one host down (PAIF-CAP-001/002), and whether the survivor of a site
loss carries the critical load (PAIF-DR-009).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from paif_components.config.errors import ConfigError, Problem
from paif_components.config.models import Harbor, StackConfig
from paif_components.contract.estimates import (
    Estimates,
    FailoverRecord,
    RecoveryRecord,
    SiteFactsRecord,
    SitesRecord,
    StacksRecord,
)
from paif_components.dr.failover import failover_dict
from paif_components.dr.schedulability import cluster_schedules, schedules_dict
from paif_components.dr.shapes import SiteShapes
from paif_components.dr.site_facts import (
    assumptions_for,
    dr_topology,
    in_site_ha,
    schedulability_facts,
    site_gpu_pool,
    tenant_demands,
    unit_of,
)
from paif_components.dr.topology import (
    DerivedSite,
    EndpointRole,
    stack_file_name,
    stack_name,
)
from paif_components.estimators import (
    Estimate,
    EstimatorError,
    check_capacity,
    check_site_loss,
    cron_interval_seconds,
    estimate,
    format_duration,
)
from paif_components.estimators.dr_facts import (
    RPO_BAND_HOURS,
    RPO_BAND_ZERO,
    RPO_BANDS,
    RTO_BAND_HOURS,
    RTO_BANDS,
)
from paif_components.harbor_registry import harbor_schedule

# Bands from best to worst, as the estimators name them.
RTO_BAND_ORDER: Final = (*(label for _, label in RTO_BANDS), RTO_BAND_HOURS)


RPO_BAND_ORDER: Final = (RPO_BAND_ZERO, *(label for _, label in RPO_BANDS), RPO_BAND_HOURS)


# §9.3 "choosing a strategy": RTO hours / tens of minutes / within minutes; RPO hours /
# minutes to real time / 0 (synchronous). The worst band each pattern is expected to reach.
SOURCE_RTO_BAND: Final[dict[str, str]] = {
    "pilot-light": "hours",
    "warm-standby": "tens of minutes",
    "active-active": "within minutes",
}


SOURCE_RPO_BAND: Final[dict[str, str]] = {
    "pilot-light": "hours",
    "warm-standby": "minutes",
    "active-active": "zero",
}


def _within(band: str, expected: str, order: tuple[str, ...]) -> bool:
    return order.index(band) <= order.index(expected)


def _rto(result: Estimate, pattern: str) -> RecoveryRecord:
    expected = SOURCE_RTO_BAND[pattern]
    return RecoveryRecord(
        seconds=round(result.rto_s, 3),
        duration=format_duration(result.rto_s),
        band=result.rto_band,
        source_band=expected,
        within_source_band=_within(result.rto_band, expected, RTO_BAND_ORDER),
        terms=tuple(t.to_dict() for t in result.rto_terms),
    )


def _rpo(result: Estimate, pattern: str) -> RecoveryRecord:
    expected = SOURCE_RPO_BAND[pattern]
    bounded = result.rpo_bounded
    return RecoveryRecord(
        seconds=round(result.rpo_s, 3) if bounded else None,
        duration=format_duration(result.rpo_s) if bounded else "unbounded",
        band=result.rpo_band,
        source_band=expected,
        within_source_band=bounded and _within(result.rpo_band, expected, RPO_BAND_ORDER),
        bounded=bounded,
        unbounded=tuple(result.unbounded),
        terms=tuple(t.to_dict() for t in result.rpo_terms),
        # Per data store: the mechanism behind its figure (paif_components.estimators.data_stores).
        stores=tuple(camel_keys([store.to_dict() for store in result.stores])),
    )


def _objectives_dict(
    config: StackConfig, primary: StackConfig | None, result: Estimate
) -> dict[str, Any] | None:
    objectives = config.dr.objectives or (primary.dr.objectives if primary is not None else None)
    if objectives is None:
        return None
    rto_met = result.rto_s <= objectives.rto
    rpo_met = result.rpo_bounded and result.rpo_s <= objectives.rpo
    stores = [
        {
            "store": store.store,
            "mechanism": store.mechanism,
            "estimatedSeconds": round(store.rpo_seconds, 3)
            if store.rpo_seconds is not None
            else None,
            "met": store.rpo_seconds is not None and store.rpo_seconds <= objectives.rpo,
        }
        for store in result.stores
    ]
    return {
        "rto": {
            "declared": format_duration(objectives.rto),
            "declaredSeconds": objectives.rto,
            "estimatedSeconds": round(result.rto_s, 3),
            "met": rto_met,
        },
        "rpo": {
            "declared": format_duration(objectives.rpo),
            "declaredSeconds": objectives.rpo,
            "estimatedSeconds": round(result.rpo_s, 3) if result.rpo_bounded else None,
            "met": rpo_met,
            "stores": stores,
        },
        "met": rto_met and rpo_met,
    }


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.capitalize() for w in rest)


def camel_keys(value: Any) -> Any:
    """The estimators' snake_case ``to_dict()`` keys in plan.json's camelCase."""
    if isinstance(value, Mapping):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [camel_keys(v) for v in value]
    return value


def _running_replicas(endpoints: Iterable[EndpointRole]) -> dict[tuple[str, str], int]:
    return {(r.tenant, r.name): (r.replicas.max if r.running else 0) for r in endpoints}


def _failover_replicas(endpoints: Iterable[EndpointRole]) -> dict[tuple[str, str], int]:
    return {(r.tenant, r.name): r.failover_replicas.max for r in endpoints}


def _capacity(
    here: DerivedSite,
    dr_side: DerivedSite,
    primary: StackConfig,
    dr_config: StackConfig,
    dr_assumed: bool,
) -> dict[str, Any]:
    pool = site_gpu_pool(here.config)
    site = camel_keys(
        check_capacity(
            pool,
            tenant_demands(here.config, pool, replicas=_running_replicas(here.endpoints.values())),
        ).to_dict()
    )
    site_loss: list[dict[str, Any]] = []
    if here.pattern != "none":
        dr_pool = site_gpu_pool(dr_config)
        failed = tenant_demands(
            primary, dr_pool, replicas=_failover_replicas(dr_side.endpoints.values())
        )
        own = tenant_demands(dr_side.config, dr_pool) if dr_side.pattern == "active-active" else ()
        check = check_site_loss(
            dr_pool, own, failed, survivor_site=dr_side.site, failed_site=primary.site.name
        )
        site_loss.append({**camel_keys(check.to_dict()), "survivorFacts": _facts(dr_assumed)})
        if dr_side.pattern == "active-active":
            primary_pool = site_gpu_pool(primary)
            reverse = check_site_loss(
                primary_pool,
                tenant_demands(primary, primary_pool),
                tenant_demands(dr_side.config, primary_pool),
                survivor_site=primary.site.name,
                failed_site=dr_side.site,
            )
            site_loss.append({**camel_keys(reverse.to_dict()), "survivorFacts": "declared"})
    return {
        "unit": unit_of(pool),
        "site": {"site": here.site, **site},
        "siteLoss": site_loss,
        "ok": bool(site["ok"]) and all(s["ok"] for s in site_loss),
    }


def _facts(assumed: bool) -> str:
    return "assumed equal to the primary's workload domain" if assumed else "declared"


def _site_facts(config: StackConfig, stack: str | None, *, known: bool) -> SiteFactsRecord:
    """Where a site's operators connect: what its stack file declares (None: not known here)."""
    ingress = config.network.ingress if known else None
    observability = config.observability
    return SiteFactsRecord(
        name=config.site.name,
        stack=stack,
        harbor_url=config.harbor.url,
        supervisor=config.site.supervisor.server if known else None,
        vcenter=config.site.vcenter.server if known else None,
        fqdn=ingress.fqdn if ingress else None,
        virtual_ip=ingress.virtual_ip if ingress else None,
        prometheus_url=(
            observability.prometheus.resolved_url if known and observability.enabled else None
        ),
    )


def _dr_facts(
    dr_config: StackConfig,
    dr_stack: str | None,
    assumed: bool,
    declared: StackConfig | None,
) -> SiteFactsRecord:
    """The DR site's facts: declared by the DR stack (its own, or its file read by the primary
    when it is the peer this primary names), unknown otherwise."""
    if not assumed:
        return _site_facts(dr_config, dr_stack, known=True)
    if declared is not None and declared.site.name == dr_config.site.name:
        return _site_facts(declared, dr_stack, known=True)
    return _site_facts(dr_config, dr_stack, known=False)


def estimate_for(
    config: StackConfig,
    primary: StackConfig | None,
    *,
    stack: str | None = None,
    failover: bool | None = None,
    dr_declared: StackConfig | None = None,
    shapes: SiteShapes | None = None,
) -> dict[str, Any]:
    """:func:`estimate_record`'s JSON form (stack output and plan.json ``estimates``)."""
    return estimate_record(
        config, primary, stack=stack, failover=failover, dr_declared=dr_declared, shapes=shapes
    ).to_json()


def estimate_record(
    config: StackConfig,
    primary: StackConfig | None,
    *,
    stack: str | None = None,
    failover: bool | None = None,
    dr_declared: StackConfig | None = None,
    shapes: SiteShapes | None = None,
) -> Estimates:
    """The ``estimates`` of this stack (module doc); raises ConfigError on bad input.

    ``config`` is this stack's own config, ``primary`` the primary's (DR stacks), ``stack`` this
    stack's name (for file names in messages and the runbook's commands), ``failover`` as for
    :func:`derive_site`. ``dr_declared`` is a primary's view of its DR stack file when the
    project has it: its site facts (Supervisor, vCenter, ingress, Prometheus) replace the
    unknowns of ``sites.dr``; the DR capacity stays presumed (the DR stack's plan has it). RTO
    and RPO always describe a failover from the standby state; ``topology`` shows the DR side as
    it is declared now (failed over or not). ``shapes`` are the stack's derived topology shapes
    (:mod:`paif_components.dr.shapes`), shared with the program; made here when not given.
    """
    if shapes is None:
        shapes = SiteShapes(config, primary, stack=stack)
    is_dr = config.dr.role == "dr"
    primary_stack: str | None
    if is_dr:
        assert config.dr.peer is not None
        primary_stack = stack_name(config.dr.peer.stack)
        dr_stack = stack or (
            stack_name(primary.dr.peer.stack)
            if primary is not None and primary.dr.peer is not None
            else None
        )
        this_stack = dr_stack
    else:
        primary_stack = stack
        dr_stack = stack_name(config.dr.peer.stack) if config.dr.peer else None
        this_stack = stack
    this_file = stack_file_name(this_stack) if this_stack else "Pulumi.<stack>.yaml"

    here = shapes.site(failover)
    stacks = StacksRecord(primary=primary_stack, dr=dr_stack)
    try:
        if config.dr.pattern == "none":
            pool = site_gpu_pool(config)
            site = camel_keys(check_capacity(pool, tenant_demands(config, pool)).to_dict())
            return Estimates(
                pattern=config.dr.pattern,
                role=config.dr.role,
                site=config.site.name,
                stacks=stacks,
                sites=SitesRecord(primary=_site_facts(config, stack, known=True), dr=None),
                rto=None,
                rpo=None,
                objectives=None,
                capacity={
                    "unit": unit_of(pool),
                    "site": {"site": config.site.name, **site},
                    "siteLoss": [],
                    "ok": bool(site["ok"]),
                },
                topology=here.topology,
                schedulability={"current": schedules_dict(cluster_schedules(here.config))},
                notes=(
                    "paif:dr.pattern is 'none': no DR site, so no failover to estimate "
                    "(PAIF-DR-001 asks production for one).",
                ),
            )
    except EstimatorError as exc:
        raise ConfigError(this_file, [Problem("paif:workloadDomain", str(exc))]) from None

    if is_dr:
        assert primary is not None  # derive_site raised otherwise
        primary_config, dr_config, dr_assumed = primary, config, False
        dr_side = shapes.dr_site(False)
    else:
        assert config.dr.peer is not None
        if Harbor(url=config.dr.peer.harbor_url).host == config.harbor.host:
            raise ConfigError(
                this_file,
                [
                    Problem(
                        "paif:dr.peer.harborUrl",
                        f"{config.dr.peer.harbor_url!r} is this site's own Harbor; the DR "
                        "site needs its own",
                    )
                ],
            )
        primary_config, dr_config, dr_assumed = config, shapes.dr_config(), True
        dr_side = shapes.dr_site(False)

    try:
        assumptions, overridden = assumptions_for(config, primary)
    except EstimatorError as exc:
        raise ConfigError(this_file, [Problem("paif:dr.assumptions", str(exc))]) from None
    primary_file = stack_file_name(primary_stack) if primary_stack else this_file
    try:
        harbor_schedule(primary_config.dr.replication_schedule)
    except ValueError as exc:
        raise ConfigError(
            primary_file, [Problem("paif:dr.replicationSchedule", str(exc))]
        ) from None
    for ti, tenant in enumerate(primary_config.tenants):
        declared = [("databases", di, db) for di, db in enumerate(tenant.databases)]
        declared += [("appDatabases", di, db) for di, db in enumerate(tenant.app_databases)]
        for where, di, db in declared:
            for key, value in (
                ("schedule", db.backup.schedule if db.backup else None),
                ("incrementalSchedule", db.backup.incremental_schedule if db.backup else None),
            ):
                if value is None:
                    continue
                try:
                    cron_interval_seconds(value)
                except EstimatorError as exc:
                    path = f"paif:tenants[{ti}].{where}[{di}].backup.{key}"
                    raise ConfigError(primary_file, [Problem(path, str(exc))]) from None

    dr_file = stack_file_name(dr_stack) if dr_stack else this_file
    try:
        dr_pool = site_gpu_pool(dr_config)
        topology = dr_topology(
            dr_side, primary_config, dr_pool, assignment=dr_config.workload_domain.gpu.assignment
        )
    except EstimatorError as exc:
        file = this_file if dr_assumed else dr_file
        raise ConfigError(file, [Problem("paif:workloadDomain", str(exc))]) from None
    try:
        result = estimate(topology, assumptions)
        capacity = _capacity(here, dr_side, primary_config, dr_config, dr_assumed)
    except EstimatorError as exc:
        raise ConfigError(this_file, [Problem("paif:tenants", str(exc))]) from None

    notes = []
    if dr_assumed:
        notes.append(
            f"The DR site {dr_side.site} is presumed to have this site's workload domain; the "
            f"{dr_stack or 'DR'} stack's plan has its real capacity."
        )
    # What `pulumi up` of the DR stack changes each way (paif_components.dr.failover).
    changes = failover_dict(dr_side, shapes.dr_site(True), dr_stack)
    return Estimates(
        pattern=config.dr.pattern,
        role=config.dr.role,
        site=config.site.name,
        stacks=stacks,
        sites=SitesRecord(
            primary=_site_facts(primary_config, primary_stack, known=True),
            dr=_dr_facts(dr_config, dr_stack, dr_assumed, dr_declared),
        ),
        failover=FailoverRecord(
            source=primary_config.site.name,
            target=dr_side.site,
            dr_site_facts=_facts(dr_assumed),
            changes=tuple(changes["changes"]),
            commands=changes["commands"],
        ),
        assumptions=assumptions.to_dict(),
        overridden_assumptions=tuple(overridden),
        rto=_rto(result, dr_side.pattern),
        rpo=_rpo(result, dr_side.pattern),
        objectives=_objectives_dict(config, primary, result),
        capacity=capacity,
        topology=(here if is_dr else dr_side).topology,
        in_site_ha=tuple(in_site_ha(primary_config, assumptions)),
        # PAIF-CAP-006: this stack's VKS clusters as built now, and the DR site's once failed
        # over (and, for a failed-over DR stack, as it stood by).
        schedulability=schedulability_facts(here, dr_side, shapes.dr_site),
        notes=tuple(notes),
    )
