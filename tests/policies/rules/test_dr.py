"""PAIF-DR-001..010: each rule on a compliant and a violating stack, through the real analyzer.

Stacks are either plans of small stack configs through the real program (what the site wiring
already expresses) or tiny programs that register the components (or, where a component refuses
the violation, the raw resources) beside a ``paif:site:PaifSite`` component carrying the site
props, evaluated with ``paif_cli.crossguard.analyzer.evaluate`` like ``paif plan`` does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor
import pytest

from paif_components.config.models import EndpointReplicas, StackConfig, Tenant
from paif_components.config.models import ModelEndpoint as EndpointConfig
from paif_components.context import SiteContext
from paif_components.dr.estimate import estimate_for
from paif_components.dr.topology import rewrite_ref
from paif_components.gslb import GslbService, GslbServiceArgs, GslbSite
from paif_components.harbor_registry import (
    HarborProject,
    HarborProjectArgs,
    HarborReplication,
    HarborReplicationArgs,
)
from paif_components.model_endpoint import (
    NIM_API_VERSION,
    PAIS_API_VERSION,
    ModelEndpoint,
    ModelEndpointArgs,
)
from paif_components.nsx_binding import (
    GSLB_SERVICE_TYPE,
    AviIpAddr,
    GslbPool,
    GslbPoolMember,
    Gslbservice,
    GslbserviceArgs,
)
from paif_components.pgvector_database import (
    DSM_API_VERSION,
    PgvectorDatabase,
    PgvectorDatabaseArgs,
)
from paif_policies import framework, harbor_filters, images
from paif_policies.rules import dr
from tests.support.policy import check, plan_rows, plan_stack, run_site
from tests.support.stacks import load_example, load_stack, marketing, site_context, write_project

PRIMARY_HOST = "harbor.primary.example.com"
DR_HOST = "harbor.dr.example.com"
LLAMA = "marketing/llama-3.1-8b-instruct:1.0.0"
BGE = "marketing/bge-large-en-v1.5:1.0.0"
PERSISTENCE = "/api/applicationpersistenceprofile?name=System-Persistence-Client-IP"
MONITOR = "/api/healthmonitor?name=System-GSLB-HTTPS"


# --- harness --------------------------------------------------------------------------------


def site_props(
    cfg: StackConfig, primary: StackConfig | None = None, **overrides: Any
) -> dict[str, Any]:
    """What PaifSite carries for ``cfg`` (its estimate included), with overrides."""
    dr_cfg = cfg.dr
    objectives = dr_cfg.objectives or (primary.dr.objectives if primary else None)
    props: dict[str, Any] = {
        "site": cfg.site.name,
        "environment": cfg.environment,
        "drPattern": dr_cfg.pattern,
        "drRole": dr_cfg.role,
        "peerSite": dr_cfg.peer.site if dr_cfg.peer else None,
        "objectives": (
            {"rtoSeconds": objectives.rto, "rpoSeconds": objectives.rpo} if objectives else None
        ),
        "waivers": [],
        "plaintextSecretConfigKeys": [],
        "estimates": estimate_for(cfg, primary, stack="dr" if primary else "prod"),
    }
    props.update(overrides)
    return props


def endpoint_at(endpoint: EndpointConfig, host: str) -> EndpointConfig:
    """The primary's endpoint as the DR site declares it (model from its own Harbor)."""
    model = endpoint.model.model_copy(
        update={"ref": rewrite_ref(endpoint.model.ref, PRIMARY_HOST, host)}
    )
    return endpoint.model_copy(update={"model": model})


def add_endpoints(
    tenant: Tenant, ctx: SiteContext, host: str = PRIMARY_HOST, replicas: int | None = None
) -> None:
    """The tenant's endpoints; ``replicas`` fixes them as a DR site does (0: declared only)."""
    for endpoint in tenant.model_endpoints:
        config = endpoint_at(endpoint, host)
        if replicas:
            fixed = EndpointReplicas(min=replicas, max=replicas)
            config = config.model_copy(update={"replicas": fixed})
        ModelEndpoint(
            f"{tenant.name}-{endpoint.name}",
            ModelEndpointArgs(tenant=tenant, endpoint=config, ctx=ctx, running=replicas != 0),
        )


def model_endpoint_cr(name: str, ref: str, replicas: int = 2) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        name,
        api_version=PAIS_API_VERSION,
        kind="ModelEndpoint",
        metadata={"name": name, "namespace": "marketing-ns"},
        spec={"replicas": replicas, "model": {"ociRef": ref}},
    )


def postgres_cr(
    name: str,
    annotations: Mapping[str, str] | None = None,
    spec: Mapping[str, Any] | None = None,
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        name,
        api_version=DSM_API_VERSION,
        kind="PostgresCluster",
        metadata={
            "name": name,
            "namespace": "marketing-ns",
            "annotations": dict(annotations or {}),
        },
        spec=dict(spec or {"replicas": 1}),
    )


def _active(values: dict[str, Any]) -> None:
    """Raw stack values edited to active-active (GSLB included)."""
    values["paif:dr"] = {
        **values["paif:dr"],
        "pattern": "active-active",
        "gslb": {"domain": "ai.example.com"},
    }


# --- shared configs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack("prod")


@pytest.fixture(scope="module")
def dr_cfg() -> StackConfig:
    return load_stack("dr")


@pytest.fixture(scope="module")
def prod_site(prod: StackConfig) -> dict[str, Any]:
    return site_props(prod)


@pytest.fixture(scope="module")
def dr_site(prod: StackConfig, dr_cfg: StackConfig) -> dict[str, Any]:
    return site_props(dr_cfg, prod)


def test_api_groups_match_the_components() -> None:
    assert PAIS_API_VERSION.split("/")[0] + "/" == framework.PAIS_GROUP
    assert NIM_API_VERSION.split("/")[0] + "/" == framework.NIM_GROUP
    assert DSM_API_VERSION.split("/")[0] + "/" == framework.DSM_GROUP


# --- PAIF-DR-001 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example prod stack and the same without DR: real plans."""
    prod_values = load_example("prod")
    solo = {k: v for k, v in prod_values.items() if k != "paif:dr"}
    project = write_project(
        tmp_path_factory.mktemp("dr-rules"), {"prod": prod_values, "solo": solo}
    )
    return {stack: plan_stack(Path(project), stack) for stack in ("prod", "solo")}


def test_dr_001_production_stack_without_pattern(planned: dict[str, Any]) -> None:
    assert plan_rows(planned["solo"], "PAIF-DR-001") == [
        (
            "mandatory",
            "production site 'seoul-primary' declares no DR pattern (paif:dr.pattern is "
            "'none'); a site loss would have no recovery path (§9.3: pilot-light, "
            "warm-standby or active-active)",
        )
    ]


def test_dr_001_declared_pattern_and_dev_pass(
    planned: dict[str, Any], prod_site: dict[str, Any]
) -> None:
    assert plan_rows(planned["prod"], "PAIF-DR-001") == []
    # Dev needs no DR site: not even an advisory finding.
    solo_dev = {**prod_site, "environment": "dev", "drPattern": "none", "peerSite": None}
    assert check(run_site(solo_dev), "PAIF-DR-001") == []


def test_dr_001_pilot_light_dr_site_runs_nothing(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    ctx = site_context(dr_cfg, dr=True)
    site = {**dr_site, "drPattern": "pilot-light"}
    tenant = marketing(prod)
    idle = run_site(site, lambda: add_endpoints(tenant, ctx, DR_HOST, replicas=0))
    assert check(idle, "PAIF-DR-001") == []

    def running() -> None:
        add_endpoints(tenant, ctx, DR_HOST, replicas=1)
        postgres_cr("kb-vectors")

    assert check(run_site(site, running), "PAIF-DR-001") == [
        (
            "mandatory",
            "kb-vectors",
            "PostgresCluster marketing-ns/kb-vectors runs at a pilot-light DR site; pilot light "
            "keeps database backups only and restores them on failover (§9.3.3 pattern 1): "
            "remove it or declare warm-standby",
        ),
        (
            "mandatory",
            "marketing-embeddings-endpoint",
            "ModelEndpoint marketing-ns/embeddings runs replicas (ScaledObject minReplicaCount: "
            "1) at a pilot-light DR site; pilot light declares endpoints without running them "
            "(§9.3.3 pattern 1): set replicas to 0 or declare warm-standby",
        ),
        (
            "mandatory",
            "marketing-llama-chat-endpoint",
            "ModelEndpoint marketing-ns/llama-chat runs replicas (ScaledObject minReplicaCount: "
            "1) at a pilot-light DR site; pilot light declares endpoints without running them "
            "(§9.3.3 pattern 1): set replicas to 0 or declare warm-standby",
        ),
    ]


def test_dr_001_warm_standby_dr_site_keeps_endpoints_running(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    ctx = site_context(dr_cfg, dr=True)
    tenant = marketing(prod)
    assert (
        check(run_site(dr_site, lambda: add_endpoints(tenant, ctx, DR_HOST, 1)), "PAIF-DR-001")
        == []
    )
    stopped = run_site(dr_site, lambda: add_endpoints(tenant, ctx, DR_HOST, replicas=0))
    assert check(stopped, "PAIF-DR-001") == [
        (
            "mandatory",
            f"marketing-{name}-endpoint",
            f"ModelEndpoint marketing-ns/{name} runs no replica at a warm-standby DR site; "
            "warm-standby keeps endpoints serving at the DR site (§9.3.3): run at least 1 "
            "replica or declare pilot-light",
        )
        for name in ("embeddings", "llama-chat")
    ]
    # Failed over, the DR site is the primary: nothing to compare with the standby shape.
    failed_over = {**dr_site, "failover": True}
    assert (
        check(run_site(failed_over, lambda: add_endpoints(tenant, ctx, DR_HOST, 0)), "PAIF-DR-001")
        == []
    )


def test_dr_001_pattern_without_peer(prod_site: dict[str, Any]) -> None:
    assert check(run_site({**prod_site, "peerSite": None}), "PAIF-DR-001") == [
        (
            "mandatory",
            "seoul-primary",
            "DR pattern 'warm-standby' names no peer site (paif:dr.peer)",
        )
    ]


# --- PAIF-DR-002 / PAIF-DR-003 --------------------------------------------------------------


def test_dr_002_003_example_warm_standby_meets_its_objectives(prod_site: dict[str, Any]) -> None:
    assert prod_site["estimates"]["rto"]["seconds"] == pytest.approx(2667.297)
    result = run_site(prod_site)
    assert check(result, "PAIF-DR-002") == []
    assert check(result, "PAIF-DR-003") == []


def test_dr_002_pilot_light_estimate_exceeds_one_hour(prod: StackConfig) -> None:
    def pilot(values: dict[str, Any]) -> None:
        values["paif:dr"] = {**values["paif:dr"], "pattern": "pilot-light"}

    cfg = load_stack("prod", pilot)
    site = site_props(cfg)
    assert check(run_site(site), "PAIF-DR-002") == [
        (
            "mandatory",
            "seoul-primary",
            "estimated RTO 1 h 51 min exceeds the declared RTO 1 h for pattern 'pilot-light' "
            "(largest terms: VKS provisioning 30 min, Database restore 23 min 32 s, Failover "
            "decision 15 min)",
        )
    ]
    # Pilot light restores from backups taken hourly: the RPO fails too, per database, naming
    # the mechanism behind each figure.
    assert check(run_site(site), "PAIF-DR-003") == [
        (
            "mandatory",
            "seoul-primary",
            f"database marketing/{db} (mechanism 'backup-restore'): RPO 1 h exceeds the "
            "objective 15 min: backup-restore from the last backup: everything since it is lost "
            "(backups every 1 h; §9.3.3 pattern 1).",
        )
        for db in ("chat-history", "kb-vectors")
    ]


def test_dr_003_unbounded_rpo_and_missing_inputs(prod_site: dict[str, Any]) -> None:
    estimates = copy.deepcopy(prod_site["estimates"])
    estimates["rpo"].update(
        seconds=None,
        bounded=False,
        unbounded=["harbor: replication is manual, so models reach the DR site only when run"],
    )
    del estimates["rpo"]["stores"]  # an estimate without per-store figures: the totals
    assert check(run_site({**prod_site, "estimates": estimates}), "PAIF-DR-003") == [
        (
            "mandatory",
            "seoul-primary",
            "RPO is unbounded, declared 15 min: harbor: replication is manual, so models reach "
            "the DR site only when run",
        )
    ]
    assert check(run_site({**prod_site, "estimates": None}), "PAIF-DR-003") == [
        (
            "mandatory",
            "seoul-primary",
            "the site carries no RPO estimate (estimates.rpo.seconds), so the declared RPO "
            "15 min cannot be checked",
        )
    ]
    assert check(run_site({**prod_site, "objectives": None}), "PAIF-DR-002") == [
        (
            "mandatory",
            "seoul-primary",
            "DR pattern 'warm-standby' declares no RTO objective (paif:dr.objectives.rto); the "
            "estimate cannot be held to anything",
        )
    ]


def test_dr_002_is_advisory_in_dev(prod_site: dict[str, Any]) -> None:
    site = {**prod_site, "environment": "dev", "objectives": {"rtoSeconds": 60, "rpoSeconds": 900}}
    [row] = check(run_site(site), "PAIF-DR-002")
    assert row[:2] == ("advisory", "seoul-primary")
    assert row[2].startswith("estimated RTO 44 min 27 s exceeds the declared RTO 1 min")


# --- PAIF-DR-004 ----------------------------------------------------------------------------


def _primary_with_replication(
    prod: StackConfig, projects: tuple[str, ...], schedule: str | None = None
) -> Callable[[], None]:
    ctx = site_context(prod, dr=True)
    tenant = marketing(prod)

    def build() -> None:
        add_endpoints(tenant, ctx)
        HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx))
        assert prod.dr.peer is not None
        HarborReplication(
            "replication",
            HarborReplicationArgs(ctx=ctx, peer=prod.dr.peer, projects=projects, schedule=schedule),
        )

    return build


def test_dr_004_model_project_replicated(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    result = run_site(prod_site, _primary_with_replication(prod, ("marketing",)))
    assert check(result, "PAIF-DR-004") == []


def test_dr_004_model_project_not_replicated(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    result = run_site(prod_site, _primary_with_replication(prod, ("hr",)))
    assert check(result, "PAIF-DR-004") == [
        (
            "mandatory",
            "marketing-harbor-project",
            f"Harbor project 'marketing' holds served model(s) {BGE} (ModelEndpoint "
            f"marketing-ns/embeddings), {LLAMA} (ModelEndpoint marketing-ns/llama-chat) but no "
            f"enabled replication rule copies it to busan-dr's Harbor ({DR_HOST})",
        )
    ]


def test_dr_004_warm_standby_dr_site_does_not_push(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    ctx = site_context(dr_cfg, dr=True)
    result = run_site(dr_site, lambda: add_endpoints(marketing(prod), ctx, DR_HOST, 1))
    assert check(result, "PAIF-DR-004") == []


def test_dr_004_tag_filter_and_disabled_rule(prod_site: dict[str, Any]) -> None:
    def build(enabled: bool, tag: str) -> Callable[[], None]:
        def program() -> None:
            model_endpoint_cr("llama-chat", f"{PRIMARY_HOST}/{LLAMA}")
            registry = harbor.Registry(
                "peer", name="busan-dr", provider_name="harbor", endpoint_url=f"https://{DR_HOST}"
            )
            harbor.Replication(
                "push",
                name="marketing-to-busan-dr",
                action="push",
                registry_id=registry.registry_id,
                schedule="event_based",
                enabled=enabled,
                filters=[
                    harbor.ReplicationFilterArgs(name="marketing/**"),
                    harbor.ReplicationFilterArgs(tag=tag),
                ],
            )

        return program

    assert check(run_site(prod_site, build(True, "1.*")), "PAIF-DR-004") == []
    expected = [
        (
            "mandatory",
            "llama-chat",
            f"Harbor project 'marketing' holds served model(s) {LLAMA} (ModelEndpoint "
            f"marketing-ns/llama-chat) but no enabled replication rule copies it to busan-dr's "
            f"Harbor ({DR_HOST})",
        )
    ]
    assert check(run_site(prod_site, build(True, "2.*")), "PAIF-DR-004") == expected
    assert check(run_site(prod_site, build(False, "1.*")), "PAIF-DR-004") == expected


# --- PAIF-DR-005 ----------------------------------------------------------------------------


def test_dr_005_one_writer_per_path_across_stacks(
    prod: StackConfig, prod_site: dict[str, Any]
) -> None:
    build = _primary_with_replication(prod, ("marketing",))

    def flow(source: str, target: str, filters: list[str]) -> dict[str, Any]:
        hosts = {"seoul-primary": PRIMARY_HOST, "busan-dr": DR_HOST}
        return {
            "from": source,
            "to": target,
            "fromHarbor": f"https://{hosts[source]}",
            "toHarbor": f"https://{hosts[target]}",
            "projects": [f.removesuffix("/**") for f in filters],
            "filters": filters,
            "schedule": "event_based",
        }

    # The peer's `replication` output lists both directions; it pushes back only the project
    # it owns, and this site's own flow is not the peer's.
    owned = {
        **prod_site,
        "peerReplication": [
            flow("seoul-primary", "busan-dr", ["marketing/**"]),
            flow("busan-dr", "seoul-primary", ["marketing-busan-dr/**"]),
        ],
    }
    assert check(run_site(owned, build), "PAIF-DR-005") == []
    mirrored = {
        **prod_site,
        "peerReplication": [
            flow("busan-dr", "seoul-primary", ["hr/**", "marketing/**"]),
            {
                "name": "llama-to-seoul-primary",
                "sourceRegistryUrl": f"https://{DR_HOST}",
                "destRegistryUrl": f"https://{PRIMARY_HOST}/",
                "filters": [{"name": "marketing/llama-*"}],
            },
        ],
    }
    loop = (
        f"replication rule 'marketing-to-busan-dr' copies marketing/** from {PRIMARY_HOST} to "
        f"{DR_HOST}, and rule '{{peer}}' of the peer stack copies {{back}} back from {DR_HOST} "
        f"to {PRIMARY_HOST}: repositories matching both bounce between the sites"
    )
    assert check(run_site(mirrored, build), "PAIF-DR-005") == [
        (
            "mandatory",
            "replication-marketing",
            loop.format(peer="busan-dr-to-seoul-primary", back="marketing/**"),
        ),
        (
            "mandatory",
            "replication-marketing",
            loop.format(peer="llama-to-seoul-primary", back="marketing/llama-*"),
        ),
    ]


def test_dr_005_active_active_topology_flows_do_not_loop(prod: StackConfig) -> None:
    cfg = load_stack("prod", _active)
    site = site_props(cfg)
    # Without the peer's outputs, the peer's rules come from the derived topology.
    inbound = site["estimates"]["topology"]["registry"]["outbound"]
    assert [f["filters"] for f in inbound] == [["marketing-busan-dr/**"]]
    assert (
        check(run_site(site, _primary_with_replication(cfg, ("marketing",))), "PAIF-DR-005") == []
    )


# --- PAIF-DR-011 ----------------------------------------------------------------------------


def test_dr_011_pushed_project_declared_here(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    result = run_site(prod_site, _primary_with_replication(prod, ("marketing",)))
    assert check(result, "PAIF-DR-011") == []


def test_dr_011_pushing_a_project_no_stack_declares(
    prod: StackConfig, prod_site: dict[str, Any]
) -> None:
    """An app image in a 'shared' project: the primary would push a project nobody manages."""
    result = run_site(prod_site, _primary_with_replication(prod, ("marketing", "shared")))
    assert check(result, "PAIF-DR-011") == [
        (
            "mandatory",
            "replication-shared",
            f"replication rule 'shared-to-busan-dr' pushes project 'shared' to {DR_HOST}, but "
            "this stack declares no Harbor project of that name: the rule replicates nothing, or "
            "a project nobody manages",
        )
    ]


def test_dr_011_receiving_site_declares_what_is_pushed_into_it(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    ctx = site_context(dr_cfg, dr=True)
    tenant = marketing(prod)
    missing = (
        "mandatory",
        "busan-dr",
        "seoul-primary replicates project 'marketing' into this site's Harbor, but this stack "
        "declares no Harbor project of that name: every push fails, or lands in a project "
        "without the tenant's permissions and protection",
    )
    assert check(run_site(dr_site), "PAIF-DR-011") == [missing]

    def build() -> None:
        HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx))

    assert check(run_site(dr_site, build), "PAIF-DR-011") == []


def test_dr_011_active_active_return_path_needs_its_own_project_at_the_primary() -> None:
    """goharbor/harbor#17754: one project replicated both ways bounces; the DR site's builds
    come back through ``marketing-busan-dr``, which the primary must declare."""

    cfg = load_stack("prod", _active)
    site = site_props(cfg)
    ctx = site_context(cfg)
    tenant = marketing(cfg)

    def own_project_only() -> None:
        HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx))

    assert check(run_site(site, own_project_only), "PAIF-DR-011") == [
        (
            "mandatory",
            "seoul-primary",
            "busan-dr replicates project 'marketing-busan-dr' into this site's Harbor, but this "
            "stack declares no Harbor project of that name: every push fails, or lands in a "
            "project without the tenant's permissions and protection",
        )
    ]

    def with_return_project() -> None:
        own_project_only()
        args = HarborProjectArgs(
            tenant=tenant, ctx=ctx, project_name="marketing-busan-dr", pull_robot=False
        )
        HarborProject("marketing-harbor-marketing-busan-dr", args)

    assert check(run_site(site, with_return_project), "PAIF-DR-011") == []


def test_dr_005_loop_within_one_stack(prod_site: dict[str, Any]) -> None:
    def build() -> None:
        registry = harbor.Registry(
            "peer", name="busan-dr", provider_name="harbor", endpoint_url=f"https://{DR_HOST}"
        )
        for name, action, pattern in (("push", "push", "**"), ("pull", "pull", "hr/*")):
            harbor.Replication(
                name,
                name=name,
                action=action,
                registry_id=registry.registry_id,
                filters=[harbor.ReplicationFilterArgs(name=pattern)],
            )
        own = harbor.Registry(
            "self", name="self", provider_name="harbor", endpoint_url=f"https://{PRIMARY_HOST}"
        )
        harbor.Replication(
            "mirror",
            name="mirror",
            action="push",
            registry_id=own.registry_id,
            filters=[harbor.ReplicationFilterArgs(name="dev/**")],
        )

    assert check(run_site(prod_site, build), "PAIF-DR-005") == [
        (
            "mandatory",
            "mirror",
            f"replication rule 'mirror' copies dev/** from {PRIMARY_HOST} to itself",
        ),
        (
            "mandatory",
            "pull",
            f"replication rule 'pull' copies hr/* from {DR_HOST} to {PRIMARY_HOST}, and rule "
            f"'push' copies ** back from {PRIMARY_HOST} to {DR_HOST}: repositories matching "
            "both bounce between the sites",
        ),
    ]


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("marketing/**", "marketing-busan-dr/**", False),
        ("marketing/**", "*/llama*", True),
        ("marketing/*", "marketing/a/b", False),
        ("marketing/**", "marketing/a/b", True),
        ("{hr,dev}/**", "marketing/**", False),
        ("{hr,marketing}/**", "marketing/x", True),
        ("a/[0-9]*", "a/x*", False),
        ("a/[!x]*", "a/y", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
    ],
)
def test_dr_005_glob_overlap(a: str, b: str, overlap: bool) -> None:
    assert harbor_filters.globs_overlap(a, b) is overlap
    assert harbor_filters.globs_overlap(b, a) is overlap


def test_dr_005_glob_match_follows_doublestar() -> None:
    assert harbor_filters.glob_matches("marketing/**", "marketing/llama-3.1-8b-instruct")
    assert not harbor_filters.glob_matches("marketing/*", "marketing/models/llama")
    assert harbor_filters.glob_matches("{hr,marketing}/llama-*", "marketing/llama-3")
    assert not harbor_filters.glob_matches("marketing/**", "marketing-busan-dr/llama")


# --- PAIF-DR-006 ----------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", [None, "*/5 * * * *"])
def test_dr_006_event_based_or_within_rpo(
    prod: StackConfig, prod_site: dict[str, Any], schedule: str | None
) -> None:
    result = run_site(prod_site, _primary_with_replication(prod, ("marketing",), schedule))
    assert check(result, "PAIF-DR-006") == []


def test_dr_006_cron_slower_than_rpo(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    result = run_site(prod_site, _primary_with_replication(prod, ("marketing",), "*/30 * * * *"))
    assert check(result, "PAIF-DR-006") == [
        (
            "mandatory",
            "replication-marketing",
            "replication rule 'marketing-to-busan-dr' (marketing/**) runs on schedule "
            "'0 */30 * * * *': up to 30 min between runs plus 2 min 8 s to transfer the largest "
            "model exceeds the declared RPO 15 min",
        )
    ]
    # Pilot light promises hours: a nightly replication is its business.
    pilot = {**prod_site, "drPattern": "pilot-light"}
    nightly = run_site(pilot, _primary_with_replication(prod, ("marketing",), "0 2 * * *"))
    assert check(nightly, "PAIF-DR-006") == []


def test_dr_006_manual_replication(prod_site: dict[str, Any]) -> None:
    def build() -> None:
        model_endpoint_cr("llama-chat", f"{PRIMARY_HOST}/{LLAMA}")
        registry = harbor.Registry(
            "peer", name="busan-dr", provider_name="harbor", endpoint_url=f"https://{DR_HOST}"
        )
        harbor.Replication(
            "push",
            name="marketing",
            action="push",
            registry_id=registry.registry_id,
            filters=[harbor.ReplicationFilterArgs(name="marketing/**")],
        )

    assert check(run_site(prod_site, build), "PAIF-DR-006") == [
        (
            "mandatory",
            "push",
            "replication rule 'marketing' (marketing/**) runs only when someone starts it "
            "(schedule 'manual'); warm-standby needs 'event_based' or a schedule within the RPO",
        )
    ]


# --- PAIF-DR-007 ----------------------------------------------------------------------------


def test_dr_007_dr_site_database_is_a_standby(dr_site: dict[str, Any]) -> None:
    standby = run_site(
        dr_site,
        lambda: postgres_cr("kb-vectors", {dr.DR_MODE_ANNOTATION: "logical-subscriber"}),
    )
    assert check(standby, "PAIF-DR-007") == []


def test_dr_007_second_writer_at_dr_site(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    tenant, ctx = marketing(prod), site_context(dr_cfg, dr=True)

    def build() -> None:
        for database in tenant.databases:
            PgvectorDatabase(
                f"{tenant.name}-{database.name}",
                PgvectorDatabaseArgs(tenant=tenant, database=database, ctx=ctx),
            )

    assert check(run_site(dr_site, build), "PAIF-DR-007") == [
        (
            "mandatory",
            "marketing-kb-vectors-cluster",
            "PostgresCluster marketing-ns/kb-vectors is a writable primary at the DR site while "
            "seoul-primary holds the writer: two writable copies diverge (§9.3.3 warning); "
            "render it as the copy its mechanism makes (paif.vmware.com/dr-mode: "
            "logical-subscriber) and make it the writer only on failover",
        )
    ]
    # After a failover the DR site holds the one writer.
    assert check(run_site({**dr_site, "failover": True}, build), "PAIF-DR-007") == []


def test_dr_007_rpo_zero_cannot_be_met_by_any_buildable_copy(prod_site: dict[str, Any]) -> None:
    """Logical replication is asynchronous and DSM builds no cross-site synchronous standby:
    an RPO of 0 is refused for every pattern, naming why."""
    zero = {"rtoSeconds": 600, "rpoSeconds": 0}
    for pattern in ("warm-standby", "active-active"):
        site = {**prod_site, "objectives": zero, "drPattern": pattern}
        assert check(run_site(site, lambda: postgres_cr("kb-vectors")), "PAIF-DR-007") == [
            (
                "mandatory",
                "seoul-primary",
                f"RPO 0 is declared for pattern {pattern!r}, but no database here is replicated "
                "synchronously to the other site: logical replication is asynchronous and DSM's "
                "API offers no cross-site synchronous standby (databases[].dr, "
                "docs/architecture.md), so commits in flight are lost with the site (§9.3)",
            )
        ]
    one_minute = {**prod_site, "objectives": {"rtoSeconds": 600, "rpoSeconds": 60}}
    assert check(run_site(one_minute, lambda: postgres_cr("kb-vectors")), "PAIF-DR-007") == []


# --- PAIF-DR-008 ----------------------------------------------------------------------------

OFF_SITE = {"s3-backup-dr": {"site": "busan-dr", "encrypted": True}}


def _databases(cfg: StackConfig) -> Callable[[], None]:
    tenant, ctx = marketing(cfg), site_context(cfg, dr=True)

    def build() -> None:
        for database in tenant.databases:
            PgvectorDatabase(
                f"{tenant.name}-{database.name}",
                PgvectorDatabaseArgs(tenant=tenant, database=database, ctx=ctx),
            )

    return build


def test_dr_008_backed_up_off_site_encrypted(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    result = run_site({**prod_site, "backupLocations": OFF_SITE}, _databases(prod))
    assert check(result, "PAIF-DR-008") == []


def test_dr_008_backups_at_the_primary_site(prod: StackConfig, prod_site: dict[str, Any]) -> None:
    here = {"s3-backup-dr": {"site": "seoul-primary", "encrypted": False}}
    result = run_site({**prod_site, "backupLocations": here}, _databases(prod))
    what = "PostgresCluster marketing-ns/kb-vectors"
    assert check(result, "PAIF-DR-008") == [
        (
            "mandatory",
            "marketing-kb-vectors-cluster",
            f"{what} backs up to location 's3-backup-dr' at this site (seoul-primary); a site "
            "loss takes the database and its backups together: back up to another site",
        ),
        (
            "mandatory",
            "marketing-kb-vectors-cluster",
            f"{what} backups to 's3-backup-dr' are not encrypted (§9.6.3: encrypt backup data)",
        ),
    ]
    undeclared = run_site(prod_site, _databases(prod))
    assert check(undeclared, "PAIF-DR-008") == [
        (
            "mandatory",
            "marketing-kb-vectors-cluster",
            f"{what} backs up to location 's3-backup-dr', whose site is not declared "
            "(paif:dr.backupLocations); nobody can tell whether the backups survive this site",
        )
    ]


def test_dr_008_no_backup_or_unencrypted(prod_site: dict[str, Any]) -> None:
    def edit(values: dict[str, Any]) -> None:
        databases = values["paif:tenants"][0]["databases"]
        databases[0]["backup"]["encrypted"] = False
        databases.append({"name": "scratch", "storage": "10Gi"})

    cfg = load_stack("prod", edit)
    result = run_site({**prod_site, "backupLocations": OFF_SITE}, _databases(cfg))
    assert check(result, "PAIF-DR-008") == [
        (
            "mandatory",
            "marketing-kb-vectors-cluster",
            "PostgresCluster marketing-ns/kb-vectors backups to 's3-backup-dr' are not "
            "encrypted (§9.6.3: encrypt backup data)",
        ),
        (
            "mandatory",
            "marketing-scratch-cluster",
            "PostgresCluster marketing-ns/scratch has no backup configured "
            "(spec.backupConfig.schedules, spec.backupLocation): replication alone copies "
            "mistakes and a lost site takes the only copy",
        ),
    ]


# --- PAIF-DR-009 ----------------------------------------------------------------------------


def _small_load(values: dict[str, Any]) -> None:
    _active(values)
    for endpoint in values["paif:tenants"][0]["modelEndpoints"]:
        endpoint["replicas"] = {"min": 2, "max": 3}


def _gslb() -> None:
    GslbService(
        "gslb",
        GslbServiceArgs(
            service_name="ai",
            fqdn="ai.example.com",
            sites=(GslbSite("seoul-primary", "10.10.0.10"), GslbSite("busan-dr", "10.20.0.10")),
            health_monitor_refs=(MONITOR,),
            application_persistence_profile_ref=PERSISTENCE,
        ),
    )


def test_dr_009_gslb_and_capacity(prod: StackConfig) -> None:
    site = site_props(load_stack("prod", _small_load))
    assert [loss["ok"] for loss in site["estimates"]["capacity"]["siteLoss"]] == [True, True]
    assert check(run_site(site, _gslb), "PAIF-DR-009") == []


def test_dr_009_gslb_without_monitors_or_persistence() -> None:
    site = site_props(load_stack("prod", _small_load))

    def build() -> None:
        Gslbservice(
            "gslb",
            GslbserviceArgs(
                name="ai",
                domain_names=("ai.example.com",),
                groups=(
                    GslbPool(
                        name="sites",
                        members=(
                            GslbPoolMember(ips=(AviIpAddr("10.10.0.10", "V4"),), enabled=True),
                        ),
                    ),
                ),
                site_persistence_enabled=False,
            ),
        )

    assert check(run_site(site, build), "PAIF-DR-009") == [
        (
            "mandatory",
            "gslb",
            "GSLB service 'ai' has 1 enabled site member(s); active-active needs both sites",
        ),
        (
            "mandatory",
            "gslb",
            "GSLB service 'ai' has no health monitors: it keeps answering with a failed site",
        ),
        (
            "mandatory",
            "gslb",
            "GSLB service 'ai' has site persistence off: one user's conversation may hop "
            "between sites (§9.3.3 session consistency)",
        ),
    ]
    assert check(run_site(site), "PAIF-DR-009") == [
        (
            "mandatory",
            "seoul-primary",
            "active-active declares no GSLB service (avi Gslbservice): nothing spreads users "
            "over the two sites or fails them over (§9.3.3 pattern 3)",
        )
    ]


def test_dr_009_survivor_cannot_carry_the_critical_load() -> None:
    # Each site runs llama-chat 10 × 1 + embeddings 2 × 1 = 12 and must take the other's 12;
    # the primary's 5 hosts × 4 = 20 GPUs (the DR site presumed the same) cannot hold 24.
    site = site_props(load_stack("prod", _active))
    assert check(run_site(site, _gslb), "PAIF-DR-009") == [
        (
            "mandatory",
            "seoul-primary",
            "after losing busan-dr, seoul-primary must carry its own peak 12 + busan-dr's "
            "critical 12 = 24 GPUs, which exceeds its 20 (all hosts up); each active-active site "
            "must carry the other's critical load (survivor's capacity: declared)",
        ),
        (
            "mandatory",
            "seoul-primary",
            "after losing seoul-primary, busan-dr must carry its own peak 12 + seoul-primary's "
            "critical 12 = 24 GPUs, which exceeds its 20 (all hosts up); each active-active site "
            "must carry the other's critical load (survivor's capacity: assumed equal to the "
            "primary's workload domain)",
        ),
    ]


def test_dr_009_only_active_active(prod_site: dict[str, Any]) -> None:
    assert GSLB_SERVICE_TYPE == dr.GSLB_SERVICE_TYPE
    assert check(run_site(prod_site), "PAIF-DR-009") == []


# --- PAIF-DR-010 ----------------------------------------------------------------------------


def test_dr_010_same_models_on_both_sites(
    prod: StackConfig, dr_cfg: StackConfig, dr_site: dict[str, Any]
) -> None:
    ctx = site_context(dr_cfg, dr=True)
    site = {**dr_site, "peerModelRefs": [LLAMA, BGE]}
    result = run_site(site, lambda: add_endpoints(marketing(prod), ctx, DR_HOST, 1))
    assert check(result, "PAIF-DR-010") == []
    # Without the peer's outputs (its first deployment) there is nothing to compare.
    assert (
        check(
            run_site(dr_site, lambda: add_endpoints(marketing(prod), ctx, DR_HOST, 1)),
            "PAIF-DR-010",
        )
        == []
    )


def test_dr_010_versions_differ(prod_site: dict[str, Any]) -> None:
    site = {**prod_site, "peerModelRefs": ["marketing/llama-3.1-8b-instruct:1.1.0", BGE]}

    def build() -> None:
        model_endpoint_cr("llama-chat", f"{PRIMARY_HOST}/{LLAMA}")
        k8s.apiextensions.CustomResource(
            "embeddings",
            api_version=NIM_API_VERSION,
            kind="NIMService",
            metadata={"name": "embeddings", "namespace": "marketing-ns"},
            spec={
                "image": {
                    "repository": f"{PRIMARY_HOST}/marketing/bge-large-en-v1.5",
                    "tag": "1.0.0",
                },
                "replicas": 2,
            },
        )

    assert check(run_site(site, build), "PAIF-DR-010") == [
        (
            "mandatory",
            "llama-chat",
            f"ModelEndpoint marketing-ns/llama-chat serves {LLAMA}, which busan-dr does not "
            f"serve (it serves {BGE}, marketing/llama-3.1-8b-instruct:1.1.0)",
        ),
        (
            "mandatory",
            "seoul-primary",
            "busan-dr serves marketing/llama-3.1-8b-instruct:1.1.0, which this site does not serve",
        ),
    ]


def test_parse_image_ref() -> None:
    ref = images.parse_image_ref("harbor.example.com:8443/marketing/llama@sha256:abc")
    assert ref == images.ImageRef("harbor.example.com:8443", "marketing/llama", None, "sha256:abc")
    assert ref.without_host == "marketing/llama@sha256:abc"
    assert images.parse_image_ref("marketing/llama:1.0").host is None
    assert images.parse_image_ref("localhost/x/y").host == "localhost"
    assert images.parse_image_ref("h.example.com/p/r").tag is None


# --- during a first preview ------------------------------------------------------------------

# pulumi.runtime.rpc.UNKNOWN: what an output not yet known looks like on the wire.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def test_replication_rules_run_while_registry_ids_are_unknown(
    prod: StackConfig, prod_site: dict[str, Any]
) -> None:
    site = {
        **prod_site,
        "peerReplication": [
            {
                "name": "back",
                "sourceRegistryUrl": f"https://{DR_HOST}",
                "destRegistryUrl": f"https://{PRIMARY_HOST}",
                "filters": ["hr/**"],
            }
        ],
    }
    records = [
        r.to_json() for r in run_site(site, _primary_with_replication(prod, ("hr",))).resources
    ]
    for record in records:
        if "registryId" in record["inputs"]:
            record["inputs"]["registryId"] = UNKNOWN
    rows = {
        rule_id: check(records, rule_id)
        for rule_id in ("PAIF-DR-004", "PAIF-DR-005", "PAIF-DR-006")
    }
    # The Registry behind each rule is found through dependencies, not the unknown id.
    assert [row[:2] for row in rows["PAIF-DR-004"]] == [("mandatory", "marketing-harbor-project")]
    assert rows["PAIF-DR-005"] == [
        (
            "mandatory",
            "replication-hr",
            f"replication rule 'hr-to-busan-dr' copies hr/** from {PRIMARY_HOST} to {DR_HOST}, "
            f"and rule 'back' of the peer stack copies hr/** back from {DR_HOST} to "
            f"{PRIMARY_HOST}: repositories matching both bounce between the sites",
        )
    ]
    assert rows["PAIF-DR-006"] == []


# --- PAIF-DR-003 per data store (issue 20) ---------------------------------------------------


def test_dr_003_held_back_backup_restore_hourly_against_two_minutes() -> None:
    """Warm standby whose vector database is restored from hourly backups, objective 2 min:
    the gate names that database, its mechanism, its figure and the objective."""

    def held_back(values: dict[str, Any]) -> None:
        values["paif:dr"]["objectives"] = {"rto": "1h", "rpo": "2m"}
        values["paif:tenants"][0]["databases"][0]["dr"] = {"mechanism": "backup-restore"}

    cfg = load_stack("prod", held_back)
    assert check(run_site(site_props(cfg)), "PAIF-DR-003") == [
        (
            "mandatory",
            "seoul-primary",
            "database marketing/kb-vectors (mechanism 'backup-restore'): RPO 1 h exceeds the "
            "objective 2 min: backup-restore from the last backup: everything since it is lost "
            "(backups every 1 h; §9.3.3 pattern 1).",
        ),
        (
            "mandatory",
            "seoul-primary",
            "harbor (mechanism 'harbor-push-replication'): RPO 2 min 8 s exceeds the objective "
            "2 min: Event-based replication: a 14.9 GiB model takes this long to reach the DR "
            "site at 1 Gbit/s.",
        ),
    ]


def test_dr_003_declared_none_is_unbounded_and_named() -> None:
    def none(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["appDatabases"][0]["dr"] = {"mechanism": "none"}

    cfg = load_stack("prod", none)
    assert check(run_site(site_props(cfg)), "PAIF-DR-003") == [
        (
            "mandatory",
            "seoul-primary",
            "database marketing/chat-history (mechanism 'none'): RPO unbounded, objective "
            "15 min: database marketing/chat-history: mechanism 'none' keeps no copy at the DR "
            "site (declared), so its data is lost with the primary site",
        )
    ]


# --- PAIF-DR-012 -----------------------------------------------------------------------------


def _copy_cr(name: str, location: str | None, primary: str = "kb-vectors") -> Callable[[], None]:
    notes = {
        dr.DR_MODE_ANNOTATION: "logical-subscriber",
        "paif.vmware.com/primary-cluster": primary,
        "paif.vmware.com/primary-backup-location": "s3-backup-dr",
    }
    spec: dict[str, Any] = {"replicas": 1}
    if location:
        spec["backupLocation"] = {"name": location}
    return lambda: postgres_cr(name, notes, spec)


def test_dr_012_copy_backs_up_to_its_own_location_under_its_own_name(
    dr_site: dict[str, Any],
) -> None:
    own = run_site(dr_site, _copy_cr("kb-vectors-busan-dr", "s3-backup-busan-copies"))
    assert check(own, "PAIF-DR-012") == []
    same = run_site(dr_site, _copy_cr("kb-vectors", "s3-backup-dr"))
    assert check(same, "PAIF-DR-012") == [
        (
            "mandatory",
            "kb-vectors",
            "PostgresCluster marketing-ns/kb-vectors backs up to 's3-backup-dr', the primary's "
            "backup location: a restore at the DR site could read or overwrite the primary's "
            "backups (set paif:dr.copyBackupLocation to a location of its own)",
        ),
        (
            "mandatory",
            "kb-vectors",
            "PostgresCluster marketing-ns/kb-vectors is a DR copy under the primary's name "
            "'kb-vectors': its backups are indistinguishable from the primary's",
        ),
    ]
    nowhere = run_site(dr_site, _copy_cr("kb-vectors-busan-dr", None))
    assert check(nowhere, "PAIF-DR-012") == [
        (
            "mandatory",
            "kb-vectors-busan-dr",
            "PostgresCluster marketing-ns/kb-vectors-busan-dr is a DR copy with no backup "
            "location: once it takes over, the site has no backup of it (set "
            "paif:dr.copyBackupLocation)",
        )
    ]


def test_dr_012_the_example_dr_stack_without_a_copy_location_is_caught(
    tmp_path: Path,
) -> None:
    prod, dr_values = load_example("prod"), load_example("dr")
    del dr_values["paif:dr"]["copyBackupLocation"]
    project = write_project(tmp_path, {"prod": prod, "dr": dr_values})
    primary = plan_stack(project, "prod")
    rows = plan_rows(plan_stack(project, "dr", planned={"prod": primary}), "PAIF-DR-012")
    assert rows == [
        (
            "mandatory",
            f"PostgresCluster marketing-ns/{db}-busan-dr is a DR copy with no backup location: "
            "once it takes over, the site has no backup of it (set paif:dr.copyBackupLocation)",
        )
        for db in ("chat-history", "kb-vectors")
    ]


def test_dr_003_held_back_case_fails_paif_plan_naming_the_database(tmp_path: Path) -> None:
    """The same held-back case through `paif plan` of the example pair (the engine tier runs
    it through the real `pulumi preview --policy-pack`, tests/engine/test_workflows.py)."""
    prod, dr_values = load_example("prod"), load_example("dr")
    for values in (prod, dr_values):
        values["paif:dr"]["objectives"] = {"rto": "1h", "rpo": "2m"}
    prod["paif:tenants"][0]["databases"][0]["dr"] = {"mechanism": "backup-restore"}
    project = write_project(tmp_path, {"prod": prod, "dr": dr_values})
    primary = plan_stack(project, "prod")
    for plan in (primary, plan_stack(project, "dr", planned={"prod": primary})):
        messages = [m for _, m in plan_rows(plan, "PAIF-DR-003")]
        assert (
            "database marketing/kb-vectors (mechanism 'backup-restore'): RPO 1 h exceeds the "
            "objective 2 min: backup-restore from the last backup: everything since it is lost "
            "(backups every 1 h; §9.3.3 pattern 1)."
        ) in messages
        assert any(f.rule_id == "PAIF-DR-003" for f in plan.mandatory_failures)
