"""DR site derivation per pattern, from the example stacks (issue 5: topologies)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paif_components.config import ConfigError, StackConfig, parse_stack_config
from paif_components.config.models import NodePool, Tenant
from paif_components.constants import WARM_STANDBY_ENDPOINT_REPLICAS, WARM_STANDBY_VKS_WORKERS
from paif_components.dr.topology import (
    ClusterMode,
    DatabaseMode,
    EndpointMode,
    ReplicaBounds,
    TrafficMode,
    derive_site,
    owned_projects,
    rewrite_ref,
    scale_down_pools,
    site_config_for,
)
from tests.support.stacks import marketing, parse_pair, raw_pair

PATTERNS = ("pilot-light", "warm-standby", "active-active")
PRIMARY_HOST = "harbor.primary.example.com"
DR_HOST = "harbor.dr.example.com"


def pair(pattern: str) -> tuple[StackConfig, StackConfig]:
    return parse_pair(*raw_pair(pattern))


# --- per pattern: what the DR site declares ---------------------------------------------------


def test_warm_standby_runs_one_replica_reduced_workers_and_a_logical_subscriber() -> None:
    primary, dr = pair("warm-standby")
    site = derive_site(dr, primary, stack="dr")
    tenant = marketing(site.config)

    for endpoint in tenant.model_endpoints:
        assert (endpoint.replicas.min, endpoint.replicas.max) == (1, 1)
        role = site.endpoint("marketing", endpoint.name)
        assert role.mode is EndpointMode.REDUCED
        assert role.running and not role.autoscaled
        assert (role.replicas.min, role.replicas.max) == (WARM_STANDBY_ENDPOINT_REPLICAS,) * 2
    # On failover: the primary's autoscaling, llama-chat 2..10 and embeddings 2..2.
    assert [
        (r.failover_replicas.min, r.failover_replicas.max) for r in site.endpoints.values()
    ] == [(2, 10), (2, 2)]

    (cluster,) = tenant.vks_clusters
    # Pulumi.dr.yaml keeps 3 of 5 nodes (standbyWorkers): 2 untainted workers for the apps'
    # spread replicas first, then 1 GPU node warm (scale_down_pools).
    assert [(p.name, p.replicas, p.min_replicas, p.max_replicas) for p in cluster.node_pools] == [
        ("workers", 2, None, None),
        ("gpu", 1, None, None),
    ]
    role = site.cluster("marketing", "marketing-apps")
    assert role.mode is ClusterMode.SCALED_DOWN
    assert role.nodes == dr.dr.standby_workers == 3
    assert role.failover_nodes == 5
    assert dict(role.failover_workers) == {
        "workers": ReplicaBounds(3, 3),
        "gpu": ReplicaBounds(2, 4),
    }
    assert role.apps == ("frontend", "backend")

    db = site.database("marketing", "kb-vectors")
    assert db.mode is DatabaseMode.SUBSCRIBER
    assert (db.writer, db.running, db.mechanism) == (False, True, "logical")
    assert (db.writer_site, db.copy_site, db.source_stack) == ("seoul-primary", "busan-dr", "prod")
    # The copy's own name and backup location; the logical replication's names.
    assert (db.cluster_name, db.primary_cluster) == ("kb-vectors-busan-dr", "kb-vectors")
    assert (db.backup_location, db.primary_backup_location) == (
        "s3-backup-busan-copies",
        "s3-backup-dr",
    )
    assert (db.publication, db.slot, db.subscription, db.replication_user) == (
        "paif_dr_kb_vectors",
        "paif_dr_kb_vectors",
        "paif_dr_kb_vectors",
        "paif_replicator",
    )
    assert (db.lag_budget_seconds, db.slot_retention_seconds) == (30, 6 * 3600)
    # max_slot_wal_keep_size: 6 h of WAL at the default 1 MiB/s.
    assert db.max_slot_wal_keep_size_mb == 6 * 3600
    assert site.traffic is not None
    assert (site.traffic.mode, site.traffic.share, site.traffic.fqdn) == (
        TrafficMode.DNS,
        0.0,
        "ai.example.com",
    )
    assert site.is_standby


def test_pilot_light_has_no_clusters_declared_endpoints_and_restores_from_backup() -> None:
    primary, dr = pair("pilot-light")
    site = derive_site(dr, primary, stack="dr")
    tenant = marketing(site.config)

    assert all(not t.vks_clusters and not t.apps for t in site.config.tenants)
    for endpoint in tenant.model_endpoints:
        assert (endpoint.replicas.min, endpoint.replicas.max) == (0, 1)
        role = site.endpoint("marketing", endpoint.name)
        assert role.mode is EndpointMode.DECLARED
        assert not role.running and not role.autoscaled
    cluster = site.cluster("marketing", "marketing-apps")
    assert cluster.mode is ClusterMode.NOT_DEPLOYED and not cluster.deployed
    assert dict(cluster.workers) == {"workers": 0, "gpu": 0}
    assert cluster.failover_nodes == 5

    db = site.database("marketing", "kb-vectors")
    assert db.mode is DatabaseMode.RESTORE_FROM_BACKUP
    assert (db.running, db.writer, db.mechanism) == (False, False, "backup-restore")
    assert db.primary_backup_location == "s3-backup-dr"
    assert db.cluster_name == "kb-vectors-busan-dr"
    assert db.backup_schedules == ("0 1 * * *", "0 */1 * * *")
    assert db.publication is None
    # Knowledge bases and agents stay declared (PAIS configuration as code, §9.3.2 item 3).
    assert tenant.knowledge_bases == marketing(primary).knowledge_bases
    assert tenant.agents == marketing(primary).agents


def test_active_active_is_full_with_a_logical_subscriber_and_gslb() -> None:
    primary, dr = pair("active-active")
    site = derive_site(dr, primary, stack="dr")
    tenant, source = marketing(site.config), marketing(primary)

    assert [e.replicas for e in tenant.model_endpoints] == [
        e.replicas for e in source.model_endpoints
    ]
    assert all(r.mode is EndpointMode.SERVING and r.autoscaled for r in site.endpoints.values())
    assert tenant.vks_clusters == source.vks_clusters
    assert site.cluster("marketing", "marketing-apps").nodes == 5

    db = site.database("marketing", "kb-vectors")
    assert db.mode is DatabaseMode.SUBSCRIBER
    assert (db.writer, db.mechanism, db.writer_site) == (False, "logical", "seoul-primary")

    assert site.traffic is not None
    assert site.traffic.mode is TrafficMode.GSLB
    assert site.traffic.share == 0.5
    assert site.traffic.gslb == {
        "domain": "ai.example.com",
        "ttl": 30,
        "sitePersistence": True,
        "healthMonitors": ["/api/healthmonitor?name=System-GSLB-HTTPS"],
    }
    assert not site.is_standby


def test_active_active_replicates_each_way_without_overlap() -> None:
    primary, dr = pair("active-active")
    site = derive_site(dr, primary, stack="dr")
    assert site.registry is not None
    (inbound,) = site.registry.inbound
    (outbound,) = site.registry.outbound
    assert (inbound.source_site, inbound.target_site, inbound.projects) == (
        "seoul-primary",
        "busan-dr",
        ("marketing",),
    )
    assert inbound.filters == ("marketing/**",)
    assert (outbound.source_site, outbound.target_site, outbound.projects) == (
        "busan-dr",
        "seoul-primary",
        ("marketing-busan-dr",),
    )
    assert outbound.target_harbor_url == "https://harbor.primary.example.com"
    assert not set(inbound.projects) & set(outbound.projects)


@pytest.mark.parametrize("pattern", ["pilot-light", "warm-standby"])
def test_standby_patterns_only_receive_replication(pattern: str) -> None:
    primary, dr = pair(pattern)
    site = derive_site(dr, primary, stack="dr")
    assert site.registry is not None
    assert site.registry.outbound == ()
    (flow,) = site.registry.inbound
    assert flow.to_json() == {
        "from": "seoul-primary",
        "to": "busan-dr",
        "fromHarbor": "https://harbor.primary.example.com",
        "toHarbor": "https://harbor.dr.example.com",
        "projects": ["marketing"],
        "filters": ["marketing/**"],
        "schedule": "event_based",
    }


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_keeps_tenancy_and_points_at_the_dr_harbor(pattern: str) -> None:
    primary, dr = pair(pattern)
    derived = site_config_for(dr, primary)
    assert [t.name for t in derived.tenants] == ["marketing", "hr", "dev"]
    for mine, theirs in zip(derived.tenants, primary.tenants, strict=True):
        assert mine.namespace == theirs.namespace
        assert mine.isolation == theirs.isolation
        assert mine.quota == theirs.quota
        assert mine.oidc_groups == theirs.oidc_groups
        assert mine.databases == theirs.databases
    refs = [e.model.ref for e in marketing(derived).model_endpoints]
    assert refs == [
        "harbor.dr.example.com/marketing/llama-3.1-8b-instruct:1.0.0",
        "harbor.dr.example.com/marketing/bge-large-en-v1.5:1.0.0",
    ]
    if pattern != "pilot-light":
        # The digest travels with the reference: the DR site runs the very same image.
        assert [a.image.split("@")[0] for a in marketing(derived).apps] == [
            "harbor.dr.example.com/marketing/chat-frontend:2.3.1",
            "harbor.dr.example.com/marketing/chat-backend:2.3.1",
        ]
        assert [a.image.split("@")[1] for a in marketing(derived).apps] == [
            a.image.split("@")[1] for a in marketing(primary).apps
        ]
        assert marketing(derived).harbor == marketing(primary).harbor
        assert marketing(derived).app_namespace == marketing(primary).app_namespace
    # The DR site's own infrastructure and DR block stay its own.
    assert (derived.site, derived.harbor, derived.network, derived.dr) == (
        dr.site,
        dr.harbor,
        dr.network,
        dr.dr,
    )


def test_changing_only_the_pattern_moves_between_the_three() -> None:
    summaries = {}
    for pattern in PATTERNS:
        primary, dr = pair(pattern)
        site = derive_site(dr, primary, stack="dr")
        summaries[pattern] = (
            site.cluster("marketing", "marketing-apps").nodes,
            site.endpoint("marketing", "llama-chat").replicas.min,
            site.database("marketing", "kb-vectors").mode.value,
            site.traffic.mode.value if site.traffic else None,
        )
    assert summaries == {
        "pilot-light": (0, 0, "restore-from-backup", "dns"),
        "warm-standby": (3, 1, "logical-subscriber", "dns"),
        "active-active": (5, 2, "logical-subscriber", "gslb"),
    }


@pytest.mark.parametrize(
    ("pattern", "mechanism"),
    [
        ("pilot-light", "backup-restore"),
        ("warm-standby", "logical"),
        ("active-active", "logical"),
    ],
)
def test_primary_side_is_the_writer_and_pushes(pattern: str, mechanism: str) -> None:
    primary, _ = pair(pattern)
    site = derive_site(primary, None)
    assert site.config is primary
    db = site.database("marketing", "kb-vectors")
    assert (db.mode, db.writer, db.mechanism, db.copy_site) == (
        DatabaseMode.WRITER,
        True,
        mechanism,
        "busan-dr",
    )
    assert (db.cluster_name, db.copy_cluster) == ("kb-vectors", "kb-vectors-busan-dr")
    assert db.backup_location == "s3-backup-dr"
    assert site.registry is not None
    (outbound,) = site.registry.outbound
    assert (outbound.target_site, outbound.projects) == ("busan-dr", ("marketing",))
    assert len(site.registry.inbound) == (1 if pattern == "active-active" else 0)
    assert all(r.mode is EndpointMode.SERVING for r in site.endpoints.values())
    assert site.cluster("marketing", "marketing-apps").mode is ClusterMode.FULL


def test_primary_without_dr_is_single_site() -> None:
    prod, _ = raw_pair("warm-standby")
    prod["paif:dr"] = {"pattern": "none"}
    config = parse_stack_config(prod, "Pulumi.prod.yaml")
    site = derive_site(config, None)
    assert site.registry is None
    assert site.traffic is not None and site.traffic.mode is TrafficMode.SINGLE_SITE
    db = site.database("marketing", "kb-vectors")
    assert (db.copy_site, db.copy_cluster, db.mechanism) == (None, None, "none")


@pytest.mark.parametrize("pattern", PATTERNS)
def test_failover_brings_the_dr_site_to_full_scale_as_writer(pattern: str) -> None:
    primary, dr = pair(pattern)
    site = derive_site(dr, primary, stack="dr", failover=True)
    tenant = marketing(site.config)
    assert [e.replicas for e in tenant.model_endpoints] == [
        e.replicas for e in marketing(primary).model_endpoints
    ]
    assert tenant.vks_clusters == marketing(primary).vks_clusters
    db = site.database("marketing", "kb-vectors")
    assert (db.mode, db.writer_site, db.source_stack) == (DatabaseMode.WRITER, "busan-dr", None)
    # The copy keeps its own name and location as the writer: no replacement on failover.
    assert (db.cluster_name, db.backup_location) == (
        "kb-vectors-busan-dr",
        "s3-backup-busan-copies",
    )
    assert site.writer_site == "busan-dr"
    assert site.traffic is not None and site.traffic.share == 1.0
    assert not site.is_standby


def test_to_dict_is_plain_json() -> None:
    import json

    primary, dr = pair("warm-standby")
    data = derive_site(dr, primary, stack="dr").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["clusters"][0]["workers"] == {"workers": 2, "gpu": 1}
    assert data["databases"][0]["mode"] == "logical-subscriber"
    assert data["databases"][0]["logical"]["publication"] == "paif_dr_kb_vectors"
    assert data["endpoints"][0]["failoverReplicas"] == {"min": 2, "max": 10}


# --- the two stack files must describe one pair ----------------------------------------------


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in exc.value.problems]


def test_pattern_mismatch_is_reported_on_the_dr_stack_file() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["pattern"] = "pilot-light"
    primary, config = parse_pair(prod, dr)
    with pytest.raises(ConfigError) as exc:
        site_config_for(config, primary)
    assert exc.value.stack_file == "Pulumi.dr.yaml"
    assert problems(exc) == [
        (
            "paif:dr.pattern",
            "is 'warm-standby' but the primary stack 'prod' (Pulumi.prod.yaml) declares "
            "'pilot-light'; set paif:dr.pattern to the same value in both stack files",
        )
    ]


def test_dr_peer_must_name_the_primary_site_and_harbor() -> None:
    prod, dr = raw_pair("warm-standby")
    dr["paif:dr"]["peer"]["site"] = "seoul-other"
    dr["paif:dr"]["peer"]["harborUrl"] = "https://harbor.other.example.com"
    primary, config = parse_pair(prod, dr)
    with pytest.raises(ConfigError) as exc:
        derive_site(config, primary, stack="dr")
    assert exc.value.render() == (
        "Pulumi.dr.yaml: paif:dr.peer.site: is 'seoul-other' but Pulumi.prod.yaml declares "
        "site 'seoul-primary'\n"
        "Pulumi.dr.yaml: paif:dr.peer.harborUrl: is 'https://harbor.other.example.com' but "
        "Pulumi.prod.yaml declares Harbor 'https://harbor.primary.example.com'"
    )


def test_primary_peer_must_point_back_at_this_stack() -> None:
    prod, dr = raw_pair("warm-standby")
    prod["paif:dr"]["peer"] = {
        "stack": "staging-dr",
        "site": "daegu-dr",
        "harborUrl": "https://harbor.daegu.example.com",
    }
    primary, config = parse_pair(prod, dr)
    with pytest.raises(ConfigError) as exc:
        derive_site(config, primary, stack="dr")
    assert exc.value.stack_file == "Pulumi.prod.yaml"
    assert problems(exc) == [
        (
            "paif:dr.peer.stack",
            "is 'staging-dr' but the DR stack naming this stack as its primary is 'dr'",
        ),
        (
            "paif:dr.peer.site",
            "is 'daegu-dr' but the DR stack dr (Pulumi.dr.yaml) declares site 'busan-dr'",
        ),
        (
            "paif:dr.peer.harborUrl",
            "is 'https://harbor.daegu.example.com' but the DR stack dr (Pulumi.dr.yaml) "
            "declares Harbor 'https://harbor.dr.example.com': replication would push elsewhere "
            "than the DR site's model references point",
        ),
    ]


def test_primary_must_have_role_primary() -> None:
    prod, dr = raw_pair("warm-standby")
    primary, config = parse_pair(prod, dr)
    as_dr = primary.model_copy(
        update={"dr": primary.dr.model_copy(update={"role": "dr"}), "tenants": []}
    )
    with pytest.raises(ConfigError) as exc:
        derive_site(config, as_dr, stack="dr")
    assert problems(exc) == [
        (
            "paif:dr.role",
            "is 'dr' but the DR stack dr (Pulumi.dr.yaml) names this stack as its primary: "
            "set it to 'primary'",
        )
    ]


def test_a_dr_stack_needs_the_primary_config() -> None:
    _, config = pair("warm-standby")
    with pytest.raises(ConfigError) as exc:
        derive_site(config, None, stack="dr")
    assert exc.value.render() == (
        "Pulumi.dr.yaml: paif:dr.peer.stack: a DR stack derives its tenants from its primary "
        "(Pulumi.prod.yaml), but no primary config was given"
    )


def test_dr_harbor_must_differ_and_gslb_domains_match() -> None:
    prod, dr = raw_pair("active-active")
    dr["paif:harbor"] = {"url": "https://harbor.primary.example.com"}
    prod["paif:dr"]["peer"]["harborUrl"] = "https://harbor.primary.example.com"
    dr["paif:dr"]["gslb"] = {"domain": "chat.example.com"}
    primary, config = parse_pair(prod, dr)
    with pytest.raises(ConfigError) as exc:
        derive_site(config, primary, stack="dr")
    assert problems(exc) == [
        (
            "paif:harbor.url",
            "'https://harbor.primary.example.com' is the primary's Harbor too; the DR site needs "
            "its own Harbor to receive replication",
        ),
        (
            "paif:dr.gslb.domain",
            "is 'chat.example.com' but Pulumi.prod.yaml declares 'ai.example.com'; one GSLB "
            "service spans both sites",
        ),
    ]


# --- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (f"{PRIMARY_HOST}/marketing/llama:1.0", f"{DR_HOST}/marketing/llama:1.0"),
        (f"{PRIMARY_HOST}/a/b/c@sha256:abc", f"{DR_HOST}/a/b/c@sha256:abc"),
        ("nvcr.io/nim/meta/llama:1.0", "nvcr.io/nim/meta/llama:1.0"),
        (f"{PRIMARY_HOST}.evil/marketing/x:1", f"{PRIMARY_HOST}.evil/marketing/x:1"),
        (PRIMARY_HOST, PRIMARY_HOST),
    ],
)
def test_rewrite_ref_swaps_only_the_primary_host(ref: str, expected: str) -> None:
    assert rewrite_ref(ref, PRIMARY_HOST, DR_HOST) == expected


def test_owned_projects_counts_models_and_apps_on_this_harbor_only() -> None:
    primary, _ = pair("warm-standby")
    assert owned_projects(primary) == ("marketing",)
    tenant = marketing(primary)
    external = tenant.model_endpoints[0].model_copy(
        update={
            "model": tenant.model_endpoints[0].model.model_copy(
                update={"ref": "nvcr.io/nim/llama:1"}
            )
        }
    )
    app = tenant.apps[0].model_copy(update={"image": f"{PRIMARY_HOST}/web/frontend:1"})
    changed = primary.model_copy(
        update={
            "tenants": [tenant.model_copy(update={"model_endpoints": [external], "apps": [app]})]
        }
    )
    assert owned_projects(changed) == ("web",)


pools_strategy = st.lists(
    st.one_of(
        st.integers(0, 6).map(lambda n: ("fixed", n, n)),
        st.tuples(st.integers(0, 5), st.integers(1, 8))
        .filter(lambda t: t[1] >= t[0])
        .map(lambda t: ("range", t[0], t[1])),
    ),
    min_size=1,
    max_size=4,
)


def make_pools(spec: list[tuple[str, int, int]]) -> list[NodePool]:
    pools = []
    for i, (kind, low, high) in enumerate(spec):
        if kind == "fixed":
            pools.append(NodePool(name=f"p{i}", vm_class="best-effort-large", replicas=low))
        else:
            pools.append(
                NodePool(
                    name=f"p{i}",
                    vm_class="best-effort-large",
                    min_replicas=low,
                    max_replicas=high,
                )
            )
    return pools


@given(spec=pools_strategy, budget=st.integers(0, 8))
def test_scale_down_pools_shares_the_budget_fairly(
    spec: list[tuple[str, int, int]], budget: int
) -> None:
    pools = make_pools(spec)
    allocated = scale_down_pools(pools, budget)
    floors = {p.name: p.floor for p in pools}
    assert sum(allocated.values()) == min(budget, sum(floors.values()))
    assert all(0 <= allocated[name] <= floors[name] for name in floors)
    # Round-robin: a pool below its floor is never more than one node behind another.
    short = [allocated[n] for n in floors if allocated[n] < floors[n]]
    if short:
        assert max(allocated.values()) <= min(short) + 1


@pytest.mark.parametrize(
    ("budget", "needed", "expected"),
    [
        # §9.3.3's 2 nodes: the apps' two spread replicas need both untainted nodes.
        (2, 2, {"workers": 2, "gpu": 0}),
        # One more keeps a GPU node warm (PAIF-HA-004), as Pulumi.dr.yaml declares.
        (3, 2, {"workers": 2, "gpu": 1}),
        # Apps of one replica: one untainted node, then the GPU pool, then the rest.
        (3, 1, {"workers": 2, "gpu": 1}),
        (2, 1, {"workers": 1, "gpu": 1}),
        (9, 2, {"workers": 3, "gpu": 2}),
    ],
)
def test_scale_down_serves_what_runs_first(
    budget: int, needed: int, expected: dict[str, int]
) -> None:
    pools = [
        NodePool(name="workers", vm_class="best-effort-large", replicas=3),
        NodePool(name="gpu", vm_class="vgpu", gpu=True, min_replicas=2, max_replicas=4),
    ]
    assert scale_down_pools(pools, budget, untainted_needed=needed) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=st.sampled_from(PATTERNS),
    spec=pools_strategy,
    replicas=st.tuples(st.integers(0, 4), st.integers(1, 12)).filter(lambda t: t[1] >= t[0]),
)
def test_derived_tenants_are_valid_config_and_never_point_at_the_primary(
    pattern: str, spec: list[tuple[str, int, int]], replicas: tuple[int, int]
) -> None:
    prod, dr = raw_pair(pattern)
    tenant = prod["paif:tenants"][0]
    tenant["vksClusters"][0]["nodePools"] = [
        {"name": f"p{i}", "vmClass": "best-effort-large", "replicas": low}
        if kind == "fixed"
        else {
            "name": f"p{i}",
            "vmClass": "best-effort-large",
            "minReplicas": low,
            "maxReplicas": high,
        }
        for i, (kind, low, high) in enumerate(spec)
    ]
    tenant["modelEndpoints"][0]["replicas"] = {"min": replicas[0], "max": replicas[1]}
    primary, config = parse_pair(prod, dr)
    site = derive_site(config, primary, stack="dr")

    for derived in site.config.tenants:
        dumped = derived.model_dump(by_alias=True)
        assert Tenant.model_validate(dumped) == derived
        text = repr(dumped)
        assert PRIMARY_HOST not in text
    for role in site.clusters.values():
        assert role.nodes <= role.failover_nodes
        expected = {
            "pilot-light": 0,
            "warm-standby": min(
                config.dr.standby_workers or WARM_STANDBY_VKS_WORKERS, role.failover_nodes
            ),
            "active-active": role.failover_nodes,
        }[pattern]
        assert role.nodes == expected
    llama = site.endpoint("marketing", "llama-chat")
    assert (llama.failover_replicas.min, llama.failover_replicas.max) == replicas
    assert (llama.replicas.min, llama.replicas.max) == {
        "pilot-light": (0, 1),
        "warm-standby": (1, 1),
        "active-active": replicas,
    }[pattern]
    assert site.registry is not None
    outbound = {p for f in site.registry.outbound for p in f.projects}
    inbound = {p for f in site.registry.inbound for p in f.projects}
    assert not outbound & inbound
