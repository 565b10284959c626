"""Disaster recovery rules for the models (§9.3.2 item 1): every model a site serves is pushed to
the other site by Harbor replication, without loops, as the models change, with both ends
declared, and the same versions served at both sites.

The site facts these rules read are :mod:`paif_policies.rules.dr`'s (its module docstring lists
them); the replication rules of both stacks come from :mod:`paif_policies.harbor_replication`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from paif_components.contract.annotations import (
    MODEL_PARAMETERS_ANNOTATION as PARAMETERS_ANNOTATION,
)
from paif_components.contract.annotations import (
    MODEL_PRECISION_ANNOTATION as PRECISION_ANNOTATION,
)
from paif_components.estimators.cron import harbor_cron_interval_seconds
from paif_components.estimators.dr_facts import Assumptions
from paif_components.estimators.durations import format_duration
from paif_components.estimators.errors import EstimatorError
from paif_components.estimators.gpu_sizing import GIB, weights_gib
from paif_policies.harbor_filters import RepoFilter
from paif_policies.harbor_replication import (
    DR_PATTERNS,
    EVENT_BASED,
    HARBOR_PROJECT_TYPE,
    MANUAL,
    edges_to_peer,
    local_edges,
    local_harbor_host,
    peer_edges,
    pushes_to_peer,
    site_harbor,
)
from paif_policies.images import ServedModel, parse_image_ref, served_models
from paif_policies.readers import host_of, known, str_list
from paif_policies.registry import Violation, rule
from paif_policies.rules.dr import (
    CONTINUOUS_REPLICATION_PATTERNS,
    dedupe,
    objective_seconds,
)
from paif_policies.view import StackView, as_number, endpoints


@rule(
    "PAIF-DR-004",
    title="Every Harbor project that holds a served model is replicated to the DR site",
    severity="high",
    section="§9.3.2 item 1",
    rationale="Model images are the slowest thing to bring back: without a replica at the DR "
    "site a failover first has to copy tens of GiB that may be gone with the primary.",
    remediation="Create a push replication rule (HarborReplication) for each model project to "
    "the peer site's Harbor, with a name filter '<project>/**'.",
)
def check_models_replicated(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if not pushes_to_peer(view) or view.part == "tenants":
        return  # a tenant group's projects are replicated by its platform stack's rules
    local = local_harbor_host(view)
    edges = edges_to_peer(view)
    inbound = [e for e in peer_edges(view) if local is None or e.dest in (local, None)]
    peer = view.facts.peer_site or "the DR site"
    peer_host = host_of(view.site.get("peerHarborUrl")) or site_harbor(view, mine=False)
    missing: dict[str, list[ServedModel]] = {}
    for model in served_models(view):
        if local is not None and model.ref.host not in (local, None):
            continue  # not in this site's Harbor: not a project this stack replicates
        if any(e.filter.covers(model.ref.path, model.ref.tag) for e in edges):
            continue
        if any(e.filter.covers(model.ref.path, model.ref.tag) for e in inbound):
            continue  # the peer owns it and replicates it here; pushing it back would loop
        missing.setdefault(model.ref.project, []).append(model)
    for project, models in sorted(missing.items()):
        harbor_project = _harbor_project(view, project)
        urn = harbor_project.urn if harbor_project is not None else models[0].endpoint.resource.urn
        refs = ", ".join(
            sorted(dedupe(f"{m.ref.without_host} ({m.endpoint.label})" for m in models))
        )
        yield Violation(
            f"Harbor project {project!r} holds served model(s) {refs} but no enabled "
            f"replication rule copies it to {peer}'s Harbor"
            + (f" ({peer_host})" if peer_host else ""),
            urn,
        )


@rule(
    "PAIF-DR-005",
    title="No Harbor replication loop between the sites",
    severity="critical",
    section="Harbor replication behaviour",
    rationale="Two rules that push overlapping repositories to each other's registries make "
    "every artifact bounce between the sites; with deletion or override on, a change at one "
    "site can overwrite or delete the other's only good copy.",
    remediation="Keep one writer per repository path: the primary pushes its projects, the "
    "peer pushes only projects it owns (e.g. '<project>-<site>/**'), never the same filter.",
)
def check_replication_loops(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    mine = local_edges(view)
    theirs = peer_edges(view)
    for edge in mine:
        if edge.source is not None and edge.source == edge.dest:
            yield Violation(
                f"replication {edge.where} copies {edge.filter.describe()} from "
                f"{edge.source} to itself",
                edge.urn,
            )
    for i, edge in enumerate(mine):
        for other in [*mine[i + 1 :], *theirs]:
            if None in (edge.source, edge.dest) or edge.source == edge.dest:
                continue
            if (other.source, other.dest) != (edge.dest, edge.source):
                continue
            if not edge.filter.overlaps(other.filter):
                continue
            yield Violation(
                f"replication {edge.where} copies {edge.filter.describe()} from {edge.source} "
                f"to {edge.dest}, and {other.where} copies {other.filter.describe()} back from "
                f"{other.source} to {other.dest}: repositories matching both bounce between "
                "the sites",
                edge.urn,
            )


@rule(
    "PAIF-DR-006",
    title="Warm standby and active-active replicate models as they change",
    severity="medium",
    section="§9.3 table",
    rationale="Warm standby promises an RPO of minutes and active-active of zero; a nightly "
    "or manual replication leaves the DR site with models hours old.",
    remediation="Use schedule 'event_based' (the default of HarborReplication), or a cron "
    "whose interval plus the transfer of the largest model fits the declared RPO.",
)
def check_replication_schedule(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in CONTINUOUS_REPLICATION_PATTERNS or not pushes_to_peer(view):
        return
    rpo = objective_seconds(view, "rpoSeconds")
    transfer = _largest_model_transfer_seconds(view)
    for edge in edges_to_peer(view):
        schedule = edge.schedule.strip()
        if schedule == EVENT_BASED:
            continue
        where = f"replication {edge.where} ({edge.filter.describe()})"
        if schedule == MANUAL:
            yield Violation(
                f"{where} runs only when someone starts it (schedule 'manual'); "
                f"{view.dr_pattern} needs 'event_based' or a schedule within the RPO",
                edge.urn,
            )
            continue
        try:
            interval = float(harbor_cron_interval_seconds(schedule))
        except EstimatorError as exc:
            yield Violation(f"{where} has an unreadable schedule: {exc}", edge.urn)
            continue
        if rpo is None:
            yield Violation(
                f"{where} runs on schedule {schedule!r} (every {format_duration(interval)}) but "
                "no RPO is declared to hold it to; use 'event_based' or declare "
                "paif:dr.objectives.rpo",
                edge.urn,
            )
        elif interval + transfer > rpo:
            yield Violation(
                f"{where} runs on schedule {schedule!r}: up to {format_duration(interval)} "
                f"between runs plus {format_duration(transfer)} to transfer the largest model "
                f"exceeds the declared RPO {format_duration(rpo)}",
                edge.urn,
            )


def _largest_model_transfer_seconds(view: StackView) -> float:
    """Time to push the largest served model over the inter-site link (DR assumptions)."""
    assumptions = view.estimates.assumptions or {}
    link = as_number(assumptions.get("harborReplicationGbitPerSecond"))
    if link is None or link <= 0:
        link = Assumptions().harbor_replication_gbit_per_second
    largest = 0.0
    for endpoint in endpoints(view):
        notes = endpoint.annotations
        parameters = as_number(notes.get(PARAMETERS_ANNOTATION))
        if parameters is None or parameters <= 0:
            continue
        try:
            size = weights_gib(parameters, str(notes.get(PRECISION_ANNOTATION) or "fp16"))
        except EstimatorError:
            continue
        largest = max(largest, size)
    return largest * GIB * 8 / (link * 1e9)


@rule(
    "PAIF-DR-010",
    title="Model version parity: both sites serve the same model references",
    severity="high",
    section="§9.3.3 pattern 3",
    rationale="After a failover users must get the same model: a different version answers "
    "differently, and embeddings from another model do not match the stored vectors.",
    remediation="Derive the DR site's endpoints from the primary's config in the same commit "
    "and pin models by immutable tag or digest; replicate before switching versions.",
)
def check_model_parity(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    peer_refs = view.site.get("peerModelRefs")
    if peer_refs is None:
        return  # the peer stack has not exported its models yet (first deployment)
    theirs = {parse_image_ref(str(r)).without_host for r in peer_refs}
    # A split site: the models of tenants another stack of it builds are served there.
    elsewhere = view.projects_elsewhere
    theirs = {r for r in theirs if r.partition("/")[0] not in elsewhere}
    mine: dict[str, list[ServedModel]] = {}
    for model in served_models(view):
        mine.setdefault(model.ref.without_host, []).append(model)
    peer = view.facts.peer_site or "the peer site"
    for ref, models in sorted(mine.items()):
        if ref not in theirs:
            for model in models:
                yield Violation(
                    f"{model.endpoint.label} serves {ref}, which {peer} does not serve"
                    + (f" (it serves {', '.join(sorted(theirs))})" if theirs else ""),
                    model.endpoint.resource.urn,
                )
    only_theirs = sorted(theirs - set(mine))
    if only_theirs:
        yield Violation(
            f"{peer} serves {', '.join(only_theirs)}, which this site does not serve",
            view.site_urn,
        )


def filter_project(selection: RepoFilter) -> str | None:
    """The one project a ``<project>/**`` name filter selects (None: several, or unknown)."""
    project, slash, rest = (selection.name or "").partition("/")
    if not slash or rest != "**" or re.search(r"[*?\[\]{}]", project) or not project:
        return None
    return project


def flows_into(view: StackView) -> list[Mapping[str, Any]]:
    """Replication flows whose target is this site (the topology's, and the peer's output)."""
    here = view.facts.site
    topology = view.estimates.topology
    registry = topology.registry if topology is not None else None
    flows = [
        *(f.to_json() for f in (registry.outbound if registry is not None else ())),
        *(f.to_json() for f in (registry.inbound if registry is not None else ())),
        *(f for f in view.site.get("peerReplication") or [] if f.get("fromHarbor") is not None),
    ]
    seen: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for flow in flows:
        if flow.get("to") == here:
            seen.setdefault((flow.get("from"), tuple(str_list(flow.get("filters")))), flow)
    return list(seen.values())


def _flow_projects(flow: Mapping[str, Any]) -> list[str]:
    projects = str_list(flow.get("projects"))
    if projects:
        return projects
    found = (filter_project(RepoFilter(f)) for f in str_list(flow.get("filters")))
    return [p for p in found if p is not None]


@rule(
    "PAIF-DR-011",
    title="Every replicated Harbor project exists in the stacks at both ends",
    severity="high",
    section="§9.3.2 item 1, §9.3.3 pattern 3",
    rationale="A push rule whose source project no stack declares replicates nothing, or "
    "whatever someone created by hand; one whose destination project does not exist fails on "
    "every push, or lands in a project without the tenant's permissions and protection. Each "
    "stack declares what it pushes and what is pushed into it, so both ends are managed; in "
    "active-active the two directions use different projects, since replicating one project "
    "both ways makes every artifact bounce (goharbor/harbor#17754).",
    remediation="Reference models and app images from the tenant's own Harbor project, and "
    "let the site declare every replicated project at both sites (the tenant's project; in "
    "active-active also its <tenant>-<dr-site> project, where the DR site's builds go).",
)
def check_replicated_projects(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    declared = {
        str(name)
        for project in view.of_type(HARBOR_PROJECT_TYPE)
        if (name := known(lambda p=project: p.props.get("name"), None)) is not None
    } | view.projects_elsewhere  # declared by another stack of a split site
    for edge in local_edges(view):
        project = filter_project(edge.filter)
        if project is not None and project not in declared:
            yield Violation(
                f"replication {edge.where} pushes project {project!r} to {edge.dest or 'the peer'}"
                ", but this stack declares no Harbor project of that name: the rule replicates "
                "nothing, or a project nobody manages",
                edge.urn,
            )
    for flow in flows_into(view):
        for project in _flow_projects(flow):
            if project not in declared:
                yield Violation(
                    f"{flow.get('from')} replicates project {project!r} into this site's "
                    "Harbor, but this stack declares no Harbor project of that name: every "
                    "push fails, or lands in a project without the tenant's permissions and "
                    "protection",
                    view.site_urn,
                )


def _harbor_project(view: StackView, name: str) -> Any | None:
    for project in view.of_type(HARBOR_PROJECT_TYPE):
        if project.props.get("name") == name:
            return project
    return None
