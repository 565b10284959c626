"""Disaster recovery rules (§9.3): pattern, objectives, pgvector writers and backups, GSLB.

Harbor replication of the models is :mod:`paif_policies.rules.dr_replication`'s.

What a rule cannot see on one resource it reads from the ``paif:site:PaifSite`` props (see
``paif_policies.framework.StackView.site``). Keys these rules read, beyond the framework's:

``objectives``            ``{rtoSeconds, rpoSeconds}`` declared in ``paif:dr.objectives``
``estimates``             ``paif_components.dr.estimate.estimate_for``: ``rto``/``rpo``
                          ({seconds, terms, unbounded}), ``assumptions``, ``sites`` (both
                          Harbor URLs), ``capacity.siteLoss``, ``topology`` (``failover``,
                          ``registry``: replication flows of both sites)
``peerReplication``       the peer stack's replication (its ``replication`` output): flows
                          {from, to, fromHarbor, toHarbor, filters} or rules {sourceRegistryUrl,
                          destRegistryUrl, filters}, ``filters`` a list of name patterns or
                          Harbor filter objects ({name, tag, decoration}); without it, the
                          peer's flows in ``estimates.topology.registry``
``peerModelRefs``         model references the peer serves, registry host stripped
``backupLocations``       ``{<DSM backup location>: {site, encrypted}}``: where backups live
``harborUrl``, ``peerHarborUrl``, ``failover``: override what ``estimates`` says

Resources they read: PAIS ``ModelEndpoint`` / ``NIMService`` (model references, replicas,
``paif.vmware.com/*`` annotations), Harbor ``Replication``/``Registry``/``Project``, DSM
``PostgresCluster`` (``paif.vmware.com/dr-mode`` annotation, backup fields) and the Avi
``Gslbservice``; ``estimates.rpo.stores`` gives each data store's RPO with its DR mechanism
(paif_components.estimators.data_stores). Fields that are computed by a provider (ids, paths) are
never read: a Replication finds its Registry through its dependencies, so the rules also run
during a first ``pulumi preview`` where those values are still unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from paif_components.contract.annotations import BACKUP_ENCRYPTED_ANNOTATION, DR_MODE_ANNOTATION
from paif_components.estimators.durations import format_duration
from paif_components.nsx_binding import GSLB_SERVICE_TYPE
from paif_policies.harbor_replication import (
    DR_PATTERNS,
    failed_over,
)
from paif_policies.readers import annotations_of, is_true, str_list
from paif_policies.registry import Violation, rule
from paif_policies.view import DSM_GROUP, StackView, as_number, endpoints, get_path, label

# paif_components.dr.copies.DatabaseMode values: the copies of the one writer that run before
# failover (a subscriber is fed by the writer's publication and never written).
STANDBY_MODES: Final = frozenset({"logical-subscriber"})
WRITER_MODE: Final = "writer"

# §9.3 table: patterns whose RPO is "minutes" or 0 need replication as data changes.
CONTINUOUS_REPLICATION_PATTERNS: Final = frozenset({"warm-standby", "active-active"})


# --- site facts -----------------------------------------------------------------------------


def objective_seconds(view: StackView, key: str) -> float | None:
    """A declared objective (``rtoSeconds``/``rpoSeconds``), None when not declared."""
    objectives = view.facts.objectives
    if objectives is None:
        return None
    return as_number(objectives.rto_seconds if key == "rtoSeconds" else objectives.rpo_seconds)


def _terms(raw: Any) -> list[tuple[str, float]]:
    return [
        (str(t.get("label") or t.get("key")), as_number(t.get("seconds")) or 0.0) for t in raw or []
    ]


def _largest_terms(terms: list[tuple[str, float]], count: int = 3) -> str:
    biggest = sorted((t for t in terms if t[1] > 0), key=lambda t: -t[1])[:count]
    return ", ".join(f"{name} {format_duration(seconds)}" for name, seconds in biggest)


def _is_writer(cluster: Any) -> bool:
    """A PostgresCluster is a read/write primary unless it is marked as a standby copy."""
    mode = str(annotations_of(cluster).get(DR_MODE_ANNOTATION) or WRITER_MODE)
    return mode not in STANDBY_MODES


def postgres_clusters(view: StackView) -> list[Any]:
    """The DSM PostgreSQL clusters (pgvector databases) of the stack."""
    return view.kube("PostgresCluster", DSM_GROUP)


def dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- the rules ------------------------------------------------------------------------------


@rule(
    "PAIF-DR-001",
    title="A DR pattern is declared for production and the DR site matches it",
    severity="high",
    section="§9.3.3 patterns, §9.3.4 choice; required in production: project default",
    rationale="§9.3 describes the patterns and how to choose one but makes none mandatory; "
    "requiring one in production is a project default, because without a declared pattern "
    "nobody knows how the service survives a site loss. A DR site that runs more or less than "
    "its pattern makes the RTO/RPO estimate and the cost wrong (pilot light: nothing runs; "
    "warm standby: reduced; active-active: full).",
    remediation="Set paif:dr.pattern (pilot-light, warm-standby or active-active) with a peer, "
    "and let the DR stack derive its site from the primary's config for that pattern.",
)
def check_dr_pattern(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    pattern, site = view.dr_pattern, view.site_urn
    if pattern not in DR_PATTERNS:
        if view.is_production:
            yield Violation(
                f"production site {view.facts.site!r} declares no DR pattern "
                f"(paif:dr.pattern is {pattern!r}); a site loss would have no recovery path "
                "(§9.3: pilot-light, warm-standby or active-active)",
                site,
            )
        return
    if not view.facts.peer_site:
        yield Violation(
            f"DR pattern {pattern!r} names no peer site (paif:dr.peer)",
            site,
        )
    if view.dr_role != "dr" or failed_over(view):
        return
    for endpoint in endpoints(view):
        if pattern == "pilot-light" and endpoint.running:
            runs = endpoint.min_replicas if endpoint.min_replicas is not None else "unset"
            yield Violation(
                f"{endpoint.label} runs replicas ({endpoint.min_source}: {runs}) at a "
                "pilot-light DR site; pilot light declares endpoints without running them "
                "(§9.3.3 pattern 1): set replicas to 0 or declare warm-standby",
                endpoint.resource.urn,
            )
        elif pattern != "pilot-light" and not endpoint.running:
            yield Violation(
                f"{endpoint.label} runs no replica at a {pattern} DR site; {pattern} keeps "
                "endpoints serving at the DR site (§9.3.3): run at least 1 replica or declare "
                "pilot-light",
                endpoint.resource.urn,
            )
    if pattern == "pilot-light":
        for cluster in postgres_clusters(view):
            yield Violation(
                f"{label(cluster)} runs at a pilot-light DR site; pilot light keeps database "
                "backups only and restores them on failover (§9.3.3 pattern 1): remove it or "
                "declare warm-standby",
                cluster.urn,
            )


@rule(
    "PAIF-DR-002",
    title="Estimated RTO within the declared RTO",
    severity="high",
    section="§9.3.0",
    rationale="A recovery time objective nobody can meet is a false promise; the estimate adds "
    "detection, decision, traffic switch, provisioning, database recovery, model pull and cold "
    "start for this topology.",
    remediation="Pick a faster pattern (warm-standby or active-active), keep endpoints warm at "
    "the DR site, pre-pull models, or declare a realistic paif:dr.objectives.rto.",
)
def check_rto(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _check_objective(view, "rto", "rtoSeconds", "RTO")


@rule(
    "PAIF-DR-003",
    title="Estimated RPO within the declared RPO",
    severity="high",
    section="§9.3.0",
    rationale="The data a failover loses is bounded by each stateful store's DR mechanism: "
    "logical replication loses its lag budget, backup-restore the WAL archive or backup "
    "interval, a store without a copy everything; Harbor its replication delay for models. "
    "Each store is held to the objective on its own, naming its mechanism.",
    remediation="Give the named store a mechanism that meets the objective (databases[].dr: "
    "'logical' with a lagBudget within it, or 'backup-restore' with a walArchiveInterval or "
    "backups within it), use event-based Harbor replication, or declare a realistic "
    "paif:dr.objectives.rpo.",
)
def check_rpo(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    rpo = view.estimates.rpo
    stores = rpo.stores if rpo is not None else None
    if stores is None or view.dr_pattern not in DR_PATTERNS:
        yield from _check_objective(view, "rpo", "rpoSeconds", "RPO")
        return
    declared = objective_seconds(view, "rpoSeconds")
    if declared is None:
        yield from _check_objective(view, "rpo", "rpoSeconds", "RPO")
        return
    for store in stores:
        name = str(store.get("store"))
        mechanism = str(store.get("mechanism"))
        seconds = as_number(store.get("rpoS"))
        why = str(store.get("rpoExplanation") or "")
        if seconds is None:
            yield Violation(
                f"{name} (mechanism {mechanism!r}): RPO unbounded, objective "
                f"{format_duration(declared)}: {why}",
                view.site_urn,
            )
        elif seconds > declared:
            yield Violation(
                f"{name} (mechanism {mechanism!r}): RPO {format_duration(seconds)} exceeds the "
                f"objective {format_duration(declared)}: {why}",
                view.site_urn,
            )


def _check_objective(
    view: StackView, what: str, objective_key: str, name: str
) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    site = view.site_urn
    declared = objective_seconds(view, objective_key)
    if declared is None:
        yield Violation(
            f"DR pattern {view.dr_pattern!r} declares no {name} objective "
            f"(paif:dr.objectives.{what}); the estimate cannot be held to anything",
            site,
        )
        return
    estimate = view.estimates.rto if what == "rto" else view.estimates.rpo
    unbounded = str_list(list(estimate.unbounded or ())) if estimate is not None else []
    for reason in unbounded:
        yield Violation(
            f"RPO is unbounded, declared {format_duration(declared)}: {reason}",
            site,
        )
    estimated = as_number(estimate.seconds) if estimate is not None else None
    if estimate is None or estimated is None:
        if not unbounded:
            yield Violation(
                f"the site carries no {name} estimate (estimates.{what}.seconds), so the "
                f"declared {name} {format_duration(declared)} cannot be checked",
                site,
            )
        return
    if estimated > declared:
        largest = _largest_terms(_terms(estimate.terms))
        yield Violation(
            f"estimated {name} {format_duration(estimated)} exceeds the declared {name} "
            f"{format_duration(declared)} for pattern {view.dr_pattern!r}"
            + (f" (largest terms: {largest})" if largest else ""),
            site,
        )


@rule(
    "PAIF-DR-007",
    title="pgvector: RPO 0 needs a synchronous copy; never two writable primaries",
    severity="critical",
    section="§9.3.3 warning",
    rationale="Only a synchronous copy at the other site loses nothing when a site goes, and "
    "DSM's API builds none across sites; two writable copies of one knowledge base diverge "
    "and cannot be merged back.",
    remediation="Declare an RPO the database mechanisms can meet (logical: its lag budget); at "
    "the DR site render each database as the copy its mechanism makes (one writer), and make "
    "it the writer only on failover.",
)
def check_database_writers(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    clusters = postgres_clusters(view)
    rpo = objective_seconds(view, "rpoSeconds")
    is_failed_over = failed_over(view)
    if rpo == 0 and clusters:
        yield Violation(
            f"RPO 0 is declared for pattern {view.dr_pattern!r}, but no database here is "
            "replicated synchronously to the other site: logical replication is asynchronous "
            "and DSM's API offers no cross-site synchronous standby (databases[].dr, "
            "docs/architecture.md), so commits in flight are lost with the site (§9.3)",
            view.site_urn,
        )
    writer_site = view.facts.peer_site or "the primary site"
    for cluster in clusters:
        if view.dr_role == "dr" and _is_writer(cluster) and not is_failed_over:
            yield Violation(
                f"{label(cluster)} is a writable primary at the DR site while {writer_site} "
                "holds the writer: two writable copies diverge (§9.3.3 warning); render it as "
                f"the copy its mechanism makes ({DR_MODE_ANNOTATION}: logical-subscriber) and "
                "make it the writer only on failover",
                cluster.urn,
            )


@rule(
    "PAIF-DR-008",
    title="Every database is backed up off the primary site, encrypted",
    severity="high",
    section="§9.3.2 item 2, §9.6.3 data",
    rationale="Replication copies mistakes too; a backup restores the knowledge base after a "
    "bad write, and only a backup stored elsewhere survives the site. Backups of embeddings "
    "hold company data: they are encrypted.",
    remediation="Give each database backup (schedule, retention) to a DSM backup location at "
    "another site (declared in paif:dr.backupLocations with its site), encrypted.",
)
def check_backups(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    here = view.facts.site
    locations = view.facts.backup_locations
    for cluster in postgres_clusters(view):
        if not _is_writer(cluster):
            continue  # a standby's data is backed up where the writer runs
        spec = cluster.props.get("spec") or {}
        what = label(cluster)
        schedules = list(get_path(spec, "backupConfig.schedules") or [])
        location = get_path(spec, "backupLocation.name")
        if not schedules or not location:
            yield Violation(
                f"{what} has no backup "
                + ("schedule" if location else "location" if schedules else "configured")
                + " (spec.backupConfig.schedules, spec.backupLocation): replication alone copies "
                "mistakes and a lost site takes the only copy",
                cluster.urn,
            )
            continue
        facts = locations.get(str(location))
        if facts is None:
            yield Violation(
                f"{what} backs up to location {location!r}, whose site is not declared "
                "(paif:dr.backupLocations); nobody can tell whether the backups survive this "
                "site",
                cluster.urn,
            )
        elif here and str(facts.get("site") or "") == str(here):
            yield Violation(
                f"{what} backs up to location {location!r} at this site ({here}); a site loss "
                "takes the database and its backups together: back up to another site",
                cluster.urn,
            )
        encrypted = is_true(annotations_of(cluster).get(BACKUP_ENCRYPTED_ANNOTATION))
        if facts is not None and facts.get("encrypted") is False:
            encrypted = False
        if not encrypted:
            yield Violation(
                f"{what} backups to {location!r} are not encrypted (§9.6.3: encrypt backup data)",
                cluster.urn,
            )


@rule(
    "PAIF-DR-009",
    title="Active-active: GSLB with health monitors and site persistence; each site carries "
    "the whole critical load",
    severity="high",
    section="§9.3.3 pattern 3",
    rationale="Without health monitors the GSLB keeps sending users to a dead site; without "
    "site persistence a conversation hops between sites mid-session; a site that cannot carry "
    "both halves of the critical load fails over into an outage.",
    remediation="Declare paif:dr.gslb (health monitors, site persistence) and size each site's "
    "GPU pool for its own peak plus the other site's critical endpoints at maximum replicas.",
)
def check_active_active(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern != "active-active":
        return
    services = view.of_type(GSLB_SERVICE_TYPE)
    if not services and view.dr_role == "primary":
        yield Violation(
            "active-active declares no GSLB service (avi Gslbservice): nothing spreads users "
            "over the two sites or fails them over (§9.3.3 pattern 3)",
            view.site_urn,
        )
    for service in services:
        props = service.props
        what = f"GSLB service {props.get('name') or service.name!r}"
        if not str_list(props.get("healthMonitorRefs")):
            yield Violation(
                f"{what} has no health monitors: it keeps answering with a failed site",
                service.urn,
            )
        if not is_true(props.get("sitePersistenceEnabled")):
            yield Violation(
                f"{what} has site persistence off: one user's conversation may hop between "
                "sites (§9.3.3 session consistency)",
                service.urn,
            )
        members = [
            member
            for group in props.get("groups") or []
            if str(group.get("enabled", "true")).lower() != "false"
            for member in group.get("members") or []
            if str(member.get("enabled", "true")).lower() != "false"
        ]
        if len(members) < 2:
            yield Violation(
                f"{what} has {len(members)} enabled site member(s); active-active needs both sites",
                service.urn,
            )
    losses = list(get_path(view.estimates.capacity or {}, "siteLoss") or [])
    if not losses:
        yield Violation(
            "the site carries no site-loss capacity estimate (estimates.capacity.siteLoss), so "
            "nobody can tell whether each site carries the critical load when the other fails",
            view.site_urn,
        )
    for loss in losses:
        if loss.get("ok") is False:
            facts = str(loss.get("survivorFacts") or "declared")
            yield Violation(
                f"{loss.get('message')}; each active-active site must carry the other's "
                f"critical load (survivor's capacity: {facts})",
                view.site_urn,
            )
