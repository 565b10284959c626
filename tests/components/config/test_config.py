"""The config contract: the example stacks load; bad input names its path and exits 2."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from paif_components.config import ConfigError, parse_stack_config, read_stack_file
from paif_components.config.units import format_seconds, parse_duration, parse_quantity
from tests.support.stacks import ROOT, load_example


def test_prod_example_matches_the_source_document() -> None:
    f = read_stack_file(ROOT, "prod")
    config = parse_stack_config(f.values, f.file_name)
    assert config.environment == "prod"
    assert [t.namespace for t in config.tenants] == ["marketing-ns", "hr-ns", "dev-ns"]
    marketing = config.tenants[0]
    q = marketing.quota
    # §9.4.3 example quota, exactly.
    assert (q.gpu, q.requests_cpu, q.requests_memory, q.limits_cpu, q.limits_memory) == (
        4,
        "32",
        "128Gi",
        "64",
        "256Gi",
    )
    assert (q.requests_storage, q.persistent_volume_claims, q.pods, q.services) == (
        "500Gi",
        10,
        50,
        20,
    )
    chat = marketing.model_endpoints[0]
    assert (chat.type, chat.replicas.min, chat.replicas.max, chat.target_gpu_utilization) == (
        "completions",
        2,
        10,
        70,
    )
    assert chat.model.parameters_b == 8
    assert marketing.model_endpoints[1].type == "embeddings"
    assert marketing.databases[0].ha is True
    assert marketing.knowledge_bases[0].database == "kb-vectors"
    cluster = marketing.vks_clusters[0]
    assert cluster.control_plane_replicas == 3
    assert sum(p.floor for p in cluster.node_pools if not p.gpu) >= 3
    assert any(p.gpu for p in cluster.node_pools)
    assert config.dr.pattern == "warm-standby"
    assert config.dr.peer is not None and config.dr.peer.stack == "dr"
    assert config.dr.objectives is not None
    assert (config.dr.objectives.rto, config.dr.objectives.rpo) == (3600, 900)


def test_dr_example_is_the_peer_of_prod() -> None:
    f = read_stack_file(ROOT, "dr")
    config = parse_stack_config(f.values, f.file_name)
    assert (config.dr.role, config.dr.pattern) == ("dr", "warm-standby")
    assert config.dr.peer is not None and config.dr.peer.stack == "prod"
    assert config.tenants == []
    assert config.harbor.url == "https://harbor.dr.example.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("128Gi", 128 * 2**30), ("32", 32.0), ("500m", 0.5), ("1.5Ki", 1536.0), (4, 4.0)],
)
def test_quantities(text: Any, expected: float) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("4h", 14400), ("1h30m", 5400), ("90s", 90), (15, 15)]
)
def test_durations_round_trip(text: Any, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_seconds(seconds)) == seconds


@pytest.mark.parametrize("bad", ["", "abc", "30 minutes", "-5m", "1.5h"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


Mutation = Callable[[dict[str, Any]], None]


def _tenant(config: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return config["paif:tenants"][index]


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        node = config
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Mutation:
    def mutate(config: dict[str, Any]) -> None:
        node = config
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


T0 = ["paif:tenants", 0]
EP0 = [*T0, "modelEndpoints", 0]

BAD_INPUTS: list[tuple[str, Mutation, str, str]] = [
    (
        "an embedding length on a completions endpoint",
        _set([*EP0, "model", "dimensions"], 1024),
        "paif:tenants[0].modelEndpoints[0].model.dimensions",
        "is the vector length of an embeddings endpoint; 'llama-chat' is of type completions",
    ),
    (
        "max below min",
        _set([*EP0, "replicas", "max"], 1),
        "paif:tenants[0].modelEndpoints[0].replicas.max",
        "1 is below min 2",
    ),
    (
        "unknown environment",
        _set(["paif:environment"], "production"),
        "paif:environment",
        "Input should be 'dev', 'staging', 'prod' or 'mission-critical' (got 'production')",
    ),
    (
        "typo in a top-level key",
        lambda c: c.update({"paif:tenats": c.pop("paif:tenants")}),
        "paif:tenats",
        "unknown key (did you mean paif:tenants?)",
    ),
    (
        "typo in a nested key",
        lambda c: _tenant(c)["quota"].update({"gpus": _tenant(c)["quota"].pop("gpu")}),
        "paif:tenants[0].quota.gpus",
        "unknown key (did you mean gpu?)",
    ),
    (
        "bad quantity",
        _set([*T0, "quota", "requestsMemory"], "lots"),
        "paif:tenants[0].quota.requestsMemory",
        "expected a quantity such as '128Gi'",
    ),
    (
        "limits below requests",
        _set([*T0, "quota", "limitsMemory"], "64Gi"),
        "paif:tenants[0].quota.limitsMemory",
        "64Gi is below requestsMemory 128Gi",
    ),
    (
        "negative GPU quota",
        _set([*T0, "quota", "gpu"], -1),
        "paif:tenants[0].quota.gpu",
        "Input should be greater than or equal to 0",
    ),
    (
        "knowledge base on a missing database",
        _set([*T0, "knowledgeBases", 0, "database"], "nope"),
        "paif:tenants[0].knowledgeBases[0].database",
        "names database 'nope', which this tenant does not declare (kb-vectors)",
    ),
    (
        "knowledge base on a completions endpoint",
        _set([*T0, "knowledgeBases", 0, "embeddingEndpoint"], "llama-chat"),
        "paif:tenants[0].knowledgeBases[0].embeddingEndpoint",
        "'llama-chat' is a completions endpoint; it must be of type 'embeddings'",
    ),
    (
        "duplicate tenant name",
        _set(["paif:tenants", 1, "name"], "marketing"),
        "paif:tenants",
        "duplicate tenant name 'marketing'",
    ),
    (
        "bad DR objective",
        _set(["paif:dr", "objectives", "rto"], "soon"),
        "paif:dr.objectives.rto",
        "expected a duration such as '90s', '30m', '4h' or '1h30m', got 'soon'",
    ),
    (
        "unknown DR pattern",
        _set(["paif:dr", "pattern"], "hot-standby"),
        "paif:dr.pattern",
        "(got 'hot-standby')",
    ),
    (
        "DR pattern without peer",
        _delete(["paif:dr", "peer"]),
        "paif:dr.peer",
        "pattern 'warm-standby' needs a peer (stack, site, harborUrl)",
    ),
    (
        "node pool with both replicas and a range",
        _set([*T0, "vksClusters", 0, "nodePools", 1, "replicas"], 2),
        "paif:tenants[0].vksClusters[0].nodePools[1]",
        "set either replicas or minReplicas + maxReplicas, not both",
    ),
    (
        "GPU pool max below min",
        _set([*T0, "vksClusters", 0, "nodePools", 1, "maxReplicas"], 1),
        "paif:tenants[0].vksClusters[0].nodePools[1].maxReplicas",
        "1 is below minReplicas 2",
    ),
    (
        "model reference that is a URL",
        _set([*EP0, "model", "ref"], "https://huggingface.co/meta-llama/Llama-3.1-8B"),
        "paif:tenants[0].modelEndpoints[0].model.ref",
        "is not an OCI reference",
    ),
    (
        "namespace that is not a DNS label",
        _set([*T0, "namespace"], "Marketing_NS"),
        "paif:tenants[0].namespace",
        "String should match pattern",
    ),
    (
        "missing required key",
        _delete(["paif:site"]),
        "paif:site",
        "required key is missing",
    ),
    (
        "harbor over plain http",
        _set(["paif:harbor", "url"], "http://harbor.primary.example.com"),
        "paif:harbor.url",
        "String should match pattern",
    ),
    (
        "waiver without expiry date",
        lambda c: c.update(
            {
                "paif:waivers": [
                    {"rule": "PAIF-HA-001", "resource": "x", "reason": "r" * 12, "owner": "o"}
                ]
            }
        ),
        "paif:waivers[0].expires",
        "required key is missing",
    ),
    (
        "backup schedule with a bad cron field",
        _set([*T0, "databases", 0, "backup", "schedule"], "0 1 * * *-x"),
        "paif:tenants[0].databases[0].backup.schedule",
        "cron '0 1 * * *-x': day-of-week value '*' is not a number or a name",
    ),
    (
        "app on an undeclared cluster",
        _set([*T0, "apps", 0, "cluster"], "other"),
        "paif:tenants[0].apps[0].cluster",
        "names VKS cluster 'other', which this tenant does not declare (marketing-apps)",
    ),
    (
        "container minimum above the default request",
        _set([*T0, "appNamespace"], {"limits": {"minCpu": "1"}}),
        "paif:tenants[0].appNamespace.limits.defaultRequestCpu",
        "500m is below minCpu 1",
    ),
    (
        "unknown role mode",
        _set([*T0, "roles"], "superuser"),
        "paif:tenants[0].roles",
        "'scoped' or 'builtin'",
    ),
    (
        "edge source that is not a network",
        _set(["paif:network", "appTier", "sourceCidrs"], ["10.10.0.33/28"]),
        "paif:network.appTier.sourceCidrs[0]",
        "'10.10.0.33/28' is not a network such as '10.10.2.0/24'",
    ),
    (
        "egress without Harbor",
        _delete(["paif:network", "egress", "harbor"]),
        "paif:network.egress.harbor",
        "required key is missing",
    ),
    (
        "egress without the backup location the databases use",
        _delete(["paif:network", "egress", "backupLocations", "s3-backup-dr"]),
        "site 'seoul-primary': network.egress.backupLocations.s3-backup-dr",
        "is missing: marketing/kb-vectors, marketing/chat-history back up to 's3-backup-dr'",
    ),
    (
        "robot rotation label with spaces",
        _set(["paif:harbor", "robots", "rotation"], "July 2026"),
        "paif:harbor.robots.rotation",
        "String should match pattern",
    ),
    (
        "robots that never expire",
        _set(["paif:harbor", "robots", "expiryDays"], 0),
        "paif:harbor.robots.expiryDays",
        "greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_config_names_path_and_exits_2(
    mutate: Mutation,
    path: str,
    message: str,
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = copy.deepcopy(load_example("prod"))
    mutate(config)
    project = make_project({"prod": config})
    out = project / "out"
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: Pulumi.prod.yaml: {path}: " in err
    line = next(x for x in err.splitlines() if f"Pulumi.prod.yaml: {path}: " in x)
    assert message in line
    assert "Traceback" not in err
    assert not out.exists(), "nothing may be written for bad config"


def test_all_problems_are_reported_at_once() -> None:
    values = {
        "paif:environment": "prd",
        "paif:tenats": [],
        "paif:site": {
            "name": "x",
            "vcenter": {"server": "a", "datacentre": "b"},
            "supervisor": {"id": "1", "server": "s"},
        },
    }
    with pytest.raises(ConfigError) as info:
        parse_stack_config(values, "Pulumi.x.yaml")
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "paif:tenats",
        "paif:environment",
        "paif:site.vcenter.datacenter",
        "paif:site.vcenter.datacentre",
        "paif:workloadDomain",
        "paif:harbor",
    ]


def test_other_namespaces_are_not_ours() -> None:
    f = read_stack_file(ROOT, "prod")
    values = dict(f.values) | {"vsphere:user": "admin", "kubernetes:context": "sv"}
    assert parse_stack_config(values, f.file_name).site.name == "seoul-primary"
