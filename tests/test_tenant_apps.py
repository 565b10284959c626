"""TenantApps under the plan's mocks: Deployments, Services, PDBs in a VKS cluster."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest
from conftest import load_stack, registered_before_error, site_context
from schema_validation import manifest, validate_core_object

from components.config import StackConfig
from components.config.models import App, Probe, Tenant
from components.context import SiteContext
from components.errors import ComponentInputError
from components.tenant_apps import TenantApps, TenantAppsArgs
from components.vks_cluster import VksCluster, VksClusterArgs
from paif_cli.mock_runtime import ResourceRecord

SITE_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "paif.vmware.com/environment": "prod",
    "paif.vmware.com/site": "seoul-primary",
}


@functools.cache
def prod() -> StackConfig:
    return load_stack()


def context() -> SiteContext:
    return site_context(prod())


def marketing(**changes: Any) -> Tenant:
    return prod().tenants[0].model_copy(update=changes)


def with_apps(*apps: App) -> Tenant:
    return marketing(apps=list(apps))


def plan(run_pulumi: Any, args: TenantAppsArgs) -> dict[str, ResourceRecord]:
    """Build the VKS cluster and the apps through its provider, as the site wires them."""

    def program() -> None:
        vks = VksCluster(
            "mk",
            VksClusterArgs(
                tenant=args.tenant,
                cluster=args.tenant.vks_clusters[0],
                ctx=args.ctx,
                gpu_vm_classes=frozenset({"vgpu-a100-40c"}),
            ),
        )
        TenantApps(
            "apps", args, opts=pulumi.ResourceOptions(providers={"kubernetes": vks.provider})
        )

    return {r.name: r for r in run_pulumi(program, stack="prod").resources}


def pod_labels(app: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"marketing-{app}",
        "app.kubernetes.io/part-of": "marketing",
        "paif.vmware.com/tier": "app",
        "paif.vmware.com/tenant": "marketing",
    }


def selector(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": f"marketing-{app}"}


def test_frontend_deployment_is_exactly_the_production_shape(run_pulumi):
    records = plan(
        run_pulumi, TenantAppsArgs(tenant=marketing(), cluster="marketing-apps", ctx=context())
    )
    deployment = records["apps-frontend"]
    assert deployment.inputs == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "frontend",
            "namespace": "marketing-ns",
            "labels": {**SITE_LABELS, **pod_labels("frontend")},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": selector("frontend")},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": pod_labels("frontend")},
                "spec": {
                    "containers": [
                        {
                            "name": "frontend",
                            "image": "harbor.primary.example.com/marketing/chat-frontend:2.3.1",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "resources": {
                                "requests": {"cpu": "500m", "memory": "512Mi"},
                                "limits": {"cpu": "1", "memory": "1Gi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": 8080},
                                "initialDelaySeconds": 15,
                                "periodSeconds": 10,
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": 8080},
                                "initialDelaySeconds": 5,
                                "periodSeconds": 10,
                            },
                        }
                    ],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": selector("frontend")},
                        }
                    ],
                },
            },
        },
    }
    for record in records.values():
        if record.type.startswith("kubernetes:") and record.name.startswith("apps"):
            validate_core_object(manifest(record.inputs))


def test_services_and_disruption_budgets(run_pulumi):
    records = plan(
        run_pulumi, TenantAppsArgs(tenant=marketing(), cluster="marketing-apps", ctx=context())
    )
    assert records["apps-frontend-service"].inputs["spec"] == {
        "type": "LoadBalancer",
        "selector": selector("frontend"),
        "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}],
    }
    assert records["apps-backend-service"].inputs["spec"] == {
        "type": "ClusterIP",
        "selector": selector("backend"),
        "ports": [{"name": "http", "port": 9000, "targetPort": "http", "protocol": "TCP"}],
    }
    assert records["apps-backend-pdb"].inputs["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": selector("backend")},
    }
    assert records["apps-namespace"].inputs["metadata"] == {
        "name": "marketing-ns",
        "labels": {
            **SITE_LABELS,
            "paif.vmware.com/tenant": "marketing",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }
    provider = records["mk-provider"].urn
    app_resources = [r for r in records.values() if r.name.startswith("apps-")]
    assert len(app_resources) == 7
    assert all(r.provider and r.provider.startswith(provider) for r in app_resources)


def test_single_replica_app_gets_no_budget_and_probes_follow_config(run_pulumi):
    worker = App(
        name="worker",
        cluster="marketing-apps",
        image="harbor.primary.example.com/marketing/worker:1.0.0",
        replicas=1,
        port=7000,
        liveness=Probe(path="/live", port=7001),
        readiness=None,
        requests_cpu=None,
        limits_cpu=None,
    )
    args = TenantAppsArgs(
        tenant=with_apps(worker),
        cluster="marketing-apps",
        ctx=context(),
        app_namespace="marketing-apps",
        image_pull_secrets=("marketing-harbor-pull",),
    )
    records = plan(run_pulumi, args)
    assert "apps-worker-pdb" not in records
    pod = records["apps-worker"].inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/live", "port": 7001}
    assert "readinessProbe" not in container
    assert container["resources"] == {"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}}
    assert pod["imagePullSecrets"] == [{"name": "marketing-harbor-pull"}]
    assert records["apps-worker"].inputs["metadata"]["namespace"] == "marketing-apps"
    validate_core_object(manifest(records["apps-worker"].inputs))


def test_apps_of_another_cluster_are_left_out(run_pulumi):
    cluster = marketing().vks_clusters[0]
    other = cluster.model_copy(update={"name": "batch"})
    elsewhere = App(name="nightly", cluster="batch", image="harbor.primary.example.com/m/n:1")
    t = marketing(vks_clusters=[cluster, other], apps=[*marketing().apps, elsewhere])
    built: list[TenantApps] = []

    def program() -> None:
        built.append(
            TenantApps("apps", TenantAppsArgs(tenant=t, cluster="marketing-apps", ctx=context()))
        )

    run_pulumi(program, stack="prod")
    assert built[0].app_names == ("frontend", "backend")
    assert built[0].exposed == ("frontend",)


def test_limit_below_request_fails_before_registration():
    bad = App(
        name="greedy",
        cluster="marketing-apps",
        image="harbor.primary.example.com/marketing/greedy:1.0.0",
        requests_memory="2Gi",
        limits_memory="1Gi",
    )
    args = TenantAppsArgs(tenant=with_apps(bad), cluster="marketing-apps", ctx=context())
    error, records = registered_before_error(lambda: TenantApps("apps", args))
    assert str(error) == "tenant 'marketing': apps[0].limitsMemory: 1Gi is below requestsMemory 2Gi"
    assert records == []


def test_unknown_cluster_is_named():
    with pytest.raises(ComponentInputError) as info:
        TenantApps("apps", TenantAppsArgs(tenant=marketing(), cluster="nope", ctx=context()))
    assert str(info.value) == (
        "tenant 'marketing': vksClusters: has no VKS cluster 'nope' (marketing-apps)"
    )
