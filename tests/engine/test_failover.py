"""The infrastructure drill (issue 21): lose the primary site, fail the DR stack over with the
commands its plan names, and back.

On a pair of sites of its own (API servers in the session's etcd) and a backend of its own:
`up` prod and dr with the pack; every API server of the prod site is stopped (the site is
lost); the DR stack's failover commands (``estimates.failover.commands``, which the runbook
renders) run as a person would run them; the DR site's API servers then hold the serving shape
(model endpoint replicas, autoscaler bounds, VKS worker pools, the database copies' roles; the
subscriptions gone from the stand-in's records) and a second preview changes nothing. With the
primary back, failback returns the reduced shape, every protected resource still the one it
was. The failover `up`'s wall time and the load it ran under are written for docs/engine.md.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.cluster import ApiServer, Etcd
from tests.engine.harness import Project, engine_env, standin_providers
from tests.engine.sites import (
    Layout,
    Site,
    engine_config,
    settle_database_hosts,
    stack_secrets,
    start_site,
)

NAMESPACE = "marketing-ns"
CLUSTER = "marketing-apps"
COPIES = ("kb-vectors-busan-dr", "chat-history-busan-dr")
SUBSCRIPTION = "postgresql:index/subscription:Subscription"
RESULTS = Path(os.environ.get("PAIF_FAILOVER_RESULTS", "out/engine/failover.json"))


@pytest.fixture(scope="module")
def pair(
    etcd: Etcd,
    namespaces: Layout,
    workspace: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Project, dict[str, Site]]]:
    workdir = tmp_path_factory.mktemp("failover-apiservers")
    sites: dict[str, Site] = {}
    try:
        for stack in ("prod", "dr"):
            sites[stack] = start_site(etcd, f"failover-{stack}", workdir, namespaces)
        base = tmp_path_factory.mktemp("failover")
        backend = base / "state"
        backend.mkdir()
        env = engine_env(base / "pulumi-home", backend, standin_providers(base / "standin"))
        project = Project.create(base / "paif", env, workspace["pack"])
        for stack in ("prod", "dr"):
            project.init_stack(
                stack, engine_config(stack, sites[stack]), stack_secrets(sites[stack])
            )
        yield project, sites
    finally:
        for site in sites.values():
            site.stop()


def _items(api: ApiServer, path: str) -> dict[str, dict[str, Any]]:
    listing = api.get(path) or {"items": []}
    return {item["metadata"]["name"]: item for item in listing["items"]}


def shape(site: Site) -> dict[str, Any]:
    """What the DR site's API servers hold: the parts a failover changes."""
    api = site.supervisor
    endpoints = _items(api, f"/apis/pais.vmware.com/v1alpha1/namespaces/{NAMESPACE}/modelendpoints")
    scalers = _items(api, f"/apis/keda.sh/v1alpha1/namespaces/{NAMESPACE}/scaledobjects")
    clusters = _items(api, f"/apis/cluster.x-k8s.io/v1beta2/namespaces/{NAMESPACE}/clusters")
    databases = _items(
        api,
        f"/apis/databases.dataservices.vmware.com/v1alpha1/namespaces/{NAMESPACE}/postgresclusters",
    )
    pools = clusters[CLUSTER]["spec"]["topology"]["workers"]["machineDeployments"]
    annotation = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-{}-size"
    return {
        # PAIS publishes no replica field: the library records the bounds in an annotation.
        "endpointReplicas": {
            n: e["metadata"]["annotations"]["paif.vmware.com/replicas"]
            for n, e in endpoints.items()
        },
        "autoscalers": {
            n: (s["spec"]["minReplicaCount"], s["spec"]["maxReplicaCount"])
            for n, s in scalers.items()
        },
        "workers": {
            p["name"]: p.get("replicas")
            or tuple(
                int(((p.get("metadata") or {}).get("annotations") or {})[annotation.format(k)])
                for k in ("min", "max")
            )
            for p in pools
        },
        "databases": {
            name: (
                databases[name]["metadata"]["annotations"]["paif.vmware.com/dr-mode"],
                databases[name]["metadata"]["annotations"]["paif.vmware.com/writer-site"],
            )
            for name in COPIES
        },
    }


STANDING_BY = {
    "endpointReplicas": {"llama-chat": "1..1", "embeddings": "1..1"},
    "autoscalers": {"llama-chat": (1, 1), "embeddings": (1, 1)},
    "workers": {"workers": 2, "gpu": 1},
    "databases": {name: ("logical-subscriber", "seoul-primary") for name in COPIES},
}
# §9.3.3 pattern 2 at failover: the primary's replicas and autoscaling, its 5 VKS workers
# (3 + a GPU pool of 2..4), the copies as writers. The endpoints' recorded bounds are the
# primary's; the ScaledObjects own the running count.
SERVING = {
    "endpointReplicas": {"llama-chat": "2..10", "embeddings": "2..2"},
    "autoscalers": {"llama-chat": (2, 10), "embeddings": (2, 2)},
    "workers": {"workers": 3, "gpu": (2, 4)},
    "databases": {name: ("writer", "busan-dr") for name in COPIES},
}


def _state(project: Project, stack: str) -> list[dict[str, Any]]:
    return json.loads(project.pulumi("stack", "export", "--stack", stack).stdout)["deployment"][
        "resources"
    ]


def _run(project: Project, command: str) -> float:
    """One of the commands the plan names, as a person runs it; returns its wall time."""
    args = shlex.split(command)
    assert args[0] == "pulumi", command
    extra: tuple[str, ...] = ()
    if args[1] == "up":
        extra = ("--yes", "--skip-preview", "--policy-pack", str(project.pack))
    start = time.monotonic()
    project.pulumi(*args[1:], *extra)
    return time.monotonic() - start


def test_the_dr_site_fails_over_and_back_through_its_stack(
    pair: tuple[Project, dict[str, Site]],
) -> None:
    project, sites = pair
    up = ("up", "--yes", "--skip-preview", "--policy-pack", str(project.pack))
    project.pulumi(*up, "--stack", "prod")
    project.pulumi(*up, "--stack", "dr")
    assert shape(sites["dr"]) == STANDING_BY
    before = {r["urn"]: r["id"] for r in _state(project, "dr") if r.get("protect")}
    assert len([r for r in _state(project, "dr") if r["type"] == SUBSCRIPTION]) == 2
    estimates = json.loads(
        project.pulumi("stack", "output", "estimates", "--stack", "dr", "--json").stdout
    )
    commands = estimates["failover"]["commands"]

    sites["prod"].stop()  # the primary site is lost: every API server of it
    load = os.getloadavg()
    seconds = {command: _run(project, command) for command in commands["failover"]}
    wall = seconds[commands["failover"][-1]]
    assert shape(sites["dr"]) == SERVING
    assert [r for r in _state(project, "dr") if r["type"] == SUBSCRIPTION] == []
    # DSM reports where the copies listen; the stack carries it to what is wired to them.
    settle_database_hosts(project, "dr", sites["dr"].supervisor, "--policy-pack", str(project.pack))
    project.pulumi(
        "preview", "--stack", "dr", "--expect-no-changes", "--policy-pack", str(project.pack)
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "failoverUpSeconds": round(wall, 1),
                "loadAverage1m5m15mBefore": [round(x, 2) for x in load],
                "loadAverage1m5m15mAfter": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
                "commands": commands["failover"],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"failover up: {wall:.1f} s, load before {load}")

    for server in (sites["prod"].supervisor, *sites["prod"].clusters.values()):
        server.start()  # the primary is back (and, in a real failback, re-seeded)
    for command in commands["failback"]:
        _run(project, command)
    assert shape(sites["dr"]) == STANDING_BY
    assert len([r for r in _state(project, "dr") if r["type"] == SUBSCRIPTION]) == 2
    after = {r["urn"]: r["id"] for r in _state(project, "dr") if r.get("protect")}
    assert after == before, "a protected resource was replaced or deleted"
    project.pulumi("preview", "--stack", "dr", "--expect-no-changes")
