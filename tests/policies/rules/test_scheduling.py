"""PAIF-CAP-006 and the placement it rests on (paif_components.estimators.scheduling): the DR site
runs what it declares, before and after failover (issue 20)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s

from paif_components.estimators.scheduling import NodeGroup, Taint, Toleration, Workload, schedule
from paif_components.vks_cluster import GPU_TAINT
from paif_policies import pack
from tests.support.policy import check, plan_rows, plan_stack, run_site
from tests.support.stacks import load_example, write_project

pack.rules()  # registers the catalogue, PAIF-CAP-006 with it

GPU = Taint(GPU_TAINT["key"], GPU_TAINT["value"], GPU_TAINT["effect"])
DR_SITE = {
    "site": "busan-dr",
    "environment": "prod",
    "drPattern": "warm-standby",
    "drRole": "dr",
    "peerSite": "seoul-primary",
}


# --- the placement -------------------------------------------------------------------------


def test_one_untainted_worker_beside_a_gpu_node_holds_one_spread_replica() -> None:
    """The tainted GPU node counts in the spread domain (nodeTaintsPolicy Ignore) but takes
    no replica: the second one stays Pending."""
    groups = [NodeGroup("workers", 1), NodeGroup("gpu", 1, taints=(GPU,))]
    app = Workload("Deployment ns/frontend", 2, spread_max_skew=1, min_available=1)
    [placement] = schedule("apps", groups, [app]).placements
    assert (placement.scheduled, placement.pending) == (1, 1)
    assert placement.by_node == {"workers-1": 1}
    assert placement.missing == (
        "1 more node(s) in pool 'workers' (untainted for it: it has 1); 1 replica(s) stay Pending"
    )
    assert placement.pdb_blocked is None  # 1 runs, the budget keeps 1


def test_two_untainted_workers_fit_and_a_tolerating_pod_may_use_the_gpu_node() -> None:
    groups = [NodeGroup("workers", 2), NodeGroup("gpu", 1, taints=(GPU,))]
    app = Workload("Deployment ns/frontend", 2, spread_max_skew=1)
    assert schedule("apps", groups, [app]).ok
    tolerating = Workload(
        "Deployment ns/nim",
        3,
        tolerations=(Toleration("nvidia.com/gpu", "Exists", None, "NoSchedule"),),
        anti_affinity=True,
    )
    [placement] = schedule("apps", groups, [tolerating]).placements
    assert placement.scheduled == 3 and placement.ok


def test_anti_affinity_and_the_disruption_budget() -> None:
    groups = [NodeGroup("workers", 2)]
    app = Workload("Deployment ns/api", 3, anti_affinity=True, min_available=3)
    [placement] = schedule("apps", groups, [app]).placements
    assert (placement.scheduled, placement.pending) == (2, 1)
    assert placement.pdb_blocked == (
        "its PodDisruptionBudget keeps 3 pod(s) available but only 2 can run, so no eviction is "
        "ever allowed (node drains and upgrades block)"
    )


def test_no_usable_pool_says_so() -> None:
    groups = [NodeGroup("gpu", 2, taints=(GPU,))]
    [placement] = schedule("apps", groups, [Workload("Deployment ns/a", 1)]).placements
    assert placement.missing == (
        "no node it may run on: every pool is tainted (nvidia.com/gpu:NoSchedule) or "
        "unlabelled for it; it needs an untainted worker pool"
    )


# --- the rule on rendered objects ------------------------------------------------------------


def _cluster(workers: int, gpu: int) -> None:
    pools = []
    for name, count, taints in (("workers", workers, []), ("gpu", gpu, [dict(GPU_TAINT)])):
        node: dict[str, Any] = {"labels": {"paif.vmware.com/node-pool": name}}
        if taints:
            node["taints"] = taints
        pools.append(
            {
                "class": "node-pool",
                "name": name,
                "replicas": count,
                "variables": {"overrides": [{"name": "node", "value": node}]},
            }
        )
    k8s.apiextensions.CustomResource(
        "cluster",
        api_version="cluster.x-k8s.io/v1beta2",
        kind="Cluster",
        metadata={
            "name": "marketing-apps",
            "namespace": "marketing-ns",
            "annotations": {"paif.vmware.com/target": "supervisor"},
        },
        spec={"topology": {"workers": {"machineDeployments": pools}}},
    )


def _spread_app(name: str, replicas: int = 2) -> None:
    labels = {"app.kubernetes.io/name": name}
    meta = {
        "name": name,
        "namespace": "marketing-ns",
        "annotations": {"paif.vmware.com/target": "marketing-apps"},
    }
    k8s.apps.v1.Deployment(
        name,
        metadata=meta,
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": name, "image": "x"}],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": labels},
                        }
                    ],
                },
            },
        },
    )
    k8s.policy.v1.PodDisruptionBudget(
        f"{name}-pdb",
        metadata=meta,
        spec={"maxUnavailable": 1, "selector": {"matchLabels": labels}},
    )


def test_cap_006_fails_a_dr_cluster_of_one_untainted_worker_with_two_spread_pods() -> None:
    def build() -> None:
        _cluster(workers=1, gpu=1)
        _spread_app("frontend")

    assert check(run_site(DR_SITE, build), "PAIF-CAP-006") == [
        (
            "mandatory",
            "busan-dr",
            "VKS cluster 'marketing-apps' (worker nodes: workers 1, gpu 1): Deployment "
            "marketing-ns/frontend can run 1 of its 2 replicas; missing: 1 more node(s) in pool "
            "'workers' (untainted for it: it has 1); 1 replica(s) stay Pending",
        )
    ]


def test_cap_006_passes_two_untainted_workers() -> None:
    def build() -> None:
        _cluster(workers=2, gpu=1)
        _spread_app("frontend")
        _spread_app("backend")

    assert check(run_site(DR_SITE, build), "PAIF-CAP-006") == []


def test_cap_006_holds_a_dr_stack_to_its_failed_over_shape_too() -> None:
    failed = {
        "clusters": [
            {
                "cluster": "marketing-apps",
                "nodes": {"workers": 1},
                "placements": [
                    {
                        "workload": "Deployment marketing-ns/frontend",
                        "replicas": 2,
                        "scheduled": 1,
                        "pending": 1,
                        "missing": "1 more node(s) in pool 'workers'",
                        "pdbBlocked": None,
                    }
                ],
            }
        ]
    }
    site = {**DR_SITE, "estimates": {"schedulability": {"drSiteFailedOver": failed}}}
    assert check(run_site(site), "PAIF-CAP-006") == [
        (
            "mandatory",
            "busan-dr",
            "once failed over: VKS cluster 'marketing-apps' (worker nodes: workers 1): "
            "Deployment marketing-ns/frontend can run 1 of its 2 replicas; missing: 1 more "
            "node(s) in pool 'workers'",
        )
    ]


# --- the example stacks, both shapes ------------------------------------------------------------


def test_the_example_pair_fits_before_and_after_failover(example_out: Path) -> None:
    """The session's plan of both example stacks: no PAIF-CAP-006 finding, and the DR site's
    clusters fit as it stands by (2 untainted workers + 1 GPU node) and once failed over."""
    plans = {s: json.loads((example_out / s / "plan.json").read_text()) for s in ("prod", "dr")}
    for plan in plans.values():
        assert [v for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-CAP-006"] == []
    shapes = plans["dr"]["estimates"]["schedulability"]
    assert {key: value["ok"] for key, value in shapes.items()} == {
        "current": True,
        "drSiteFailedOver": True,
    }
    [now] = shapes["current"]["clusters"]
    [failed_over] = shapes["drSiteFailedOver"]["clusters"]
    assert (now["nodes"], failed_over["nodes"]) == (
        {"workers": 2, "gpu": 1},
        {"workers": 3, "gpu": 2},
    )
    assert {p["workload"]: p["scheduled"] for p in now["placements"]} == {
        "Deployment marketing-ns/frontend": 2,
        "Deployment marketing-ns/backend": 2,
    }


def test_the_warm_standby_of_section_9_3_3_without_the_override_holds_one_gpu_node_cold(
    tmp_path: Path,
) -> None:
    """§9.3.3's 2 nodes go to the apps' 2 untainted workers first: the pods fit, and the GPU
    pool runs none, which PAIF-HA-004 reports (the example declares standbyWorkers: 3)."""
    prod, dr = load_example("prod"), copy.deepcopy(load_example("dr"))
    del dr["paif:dr"]["standbyWorkers"]
    project = write_project(tmp_path, {"prod": prod, "dr": dr})
    plan = plan_stack(project, "dr", planned={"prod": plan_stack(project, "prod")})
    assert plan_rows(plan, "PAIF-CAP-006") == []
    assert [m for _, m in plan_rows(plan, "PAIF-HA-004")] == [
        "Cluster marketing-ns/marketing-apps: GPU pool 'gpu' has 0 node(s) at minimum; it needs "
        "at least 1 at a warm-standby DR site"
    ]
