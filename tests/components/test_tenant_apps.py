"""TenantApps under the plan's mocks: Deployments, Services, PDBs in a VKS cluster."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest

from paif_cli.mock_runtime import ResourceRecord
from paif_components.config import ConfigError, StackConfig
from paif_components.config.models import App, AppNamespace, ContainerLimits, Probe, Tenant
from paif_components.constants import MARKETING_QUOTA
from paif_components.container_limits import limit_range_spec
from paif_components.context import SiteContext
from paif_components.errors import ComponentInputError
from paif_components.tenant_apps import TenantApps, TenantAppsArgs
from paif_components.vks_cluster import VksCluster, VksClusterArgs
from tests.support.programs import registered_before_error
from tests.support.schema_validation import manifest, validate_core_object
from tests.support.stacks import load_stack, site_context

FRONTEND_IMAGE = (
    "harbor.primary.example.com/marketing/chat-frontend:2.3.1"
    "@sha256:0d9af20ff6d635d0ce1015f354309468424217ddf4aa946a6263854ece003c9b"
)
TARGET = {"paif.vmware.com/target": "marketing-apps"}
SITE_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "paif.vmware.com/environment": "prod",
    "paif.vmware.com/site": "seoul-primary",
}


@functools.cache
def prod() -> StackConfig:
    """The example stack with its apps unwired and fixed in size: the shapes tested here;
    wiring and autoscaling are tests/components/test_app_wiring.py's."""

    def plain(values: dict[str, Any]) -> None:
        for app in values["paif:tenants"][0]["apps"]:
            app.pop("consumes", None)
            app.pop("autoscaling", None)

    return load_stack(edit=plain)


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
        "paif.vmware.com/app-role": "frontend" if app == "frontend" else "backend",
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
            "annotations": TARGET,
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
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "frontend",
                            "image": FRONTEND_IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "resources": {
                                "requests": {"cpu": "500m", "memory": "512Mi"},
                                "limits": {"cpu": "1", "memory": "1Gi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "privileged": False,
                                "readOnlyRootFilesystem": True,
                                "runAsGroup": 10001,
                                "runAsNonRoot": True,
                                "runAsUser": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "volumeMounts": [{"mountPath": "/tmp", "name": "tmp"}],
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
                    "securityContext": {
                        "fsGroup": 10001,
                        "runAsGroup": 10001,
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "serviceAccountName": "frontend",
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "DoNotSchedule",
                            "labelSelector": {"matchLabels": selector("frontend")},
                        }
                    ],
                    "volumes": [{"emptyDir": {}, "name": "tmp"}],
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
        "type": "ClusterIP",
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
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
        "annotations": TARGET,
    }
    provider = records["mk-provider"].urn
    app_resources = [r for r in records.values() if r.name.startswith("apps-")]
    # namespace, quota, limits, 6 network policies; per app account, deployment, service, pdb;
    # the frontend's ingress.
    assert len(app_resources) == 1 + 2 + 6 + 2 * 4 + 1
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


# --- the app namespace's own fences (its VKS cluster is an API of its own) -------------------


def test_app_namespace_gets_quota_limits_and_default_deny_with_the_allowed_flows(run_pulumi):
    records = plan(
        run_pulumi, TenantAppsArgs(tenant=marketing(), cluster="marketing-apps", ctx=context())
    )
    meta = {"namespace": "marketing-ns", "annotations": TARGET}
    quota = records["apps-quota"].inputs
    assert quota["metadata"] == {
        "name": "marketing-apps-quota",
        "labels": {**SITE_LABELS, "paif.vmware.com/tenant": "marketing"},
        **meta,
    }
    # Default: the tenant's own §9.4.3 quota.
    assert quota["spec"] == {"hard": MARKETING_QUOTA}
    # Bounds: a floor against lost units, the app namespace quota's limits as the maximum.
    assert records["apps-limits"].inputs["spec"] == {
        "limits": [
            {
                "type": "Container",
                "min": {"cpu": "10m", "memory": "16Mi"},
                "max": {"cpu": MARKETING_QUOTA["limits.cpu"], "memory": "256Gi"},
                "default": {"cpu": "1", "memory": "1Gi"},
                "defaultRequest": {"cpu": "500m", "memory": "512Mi"},
            }
        ]
    }
    policies = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in records.values()
        if r.inputs.get("kind") == "NetworkPolicy"
    }
    frontend = {"paif.vmware.com/tier": "app", "paif.vmware.com/app-role": "frontend"}
    backend = {"paif.vmware.com/tier": "app", "paif.vmware.com/app-role": "backend"}
    assert policies == {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
        "allow-ingress-to-frontend": {
            "podSelector": {"matchLabels": frontend},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {
                                    "kubernetes.io/metadata.name": "tanzu-system-ingress"
                                }
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 8080}],
                }
            ],
        },
        "allow-frontend-to-backend": {
            "podSelector": {"matchLabels": frontend},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"podSelector": {"matchLabels": backend}}],
                    "ports": [{"protocol": "TCP", "port": 9000}],
                }
            ],
        },
        "allow-backend-from-frontend": {
            "podSelector": {"matchLabels": backend},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": frontend}}],
                    "ports": [{"protocol": "TCP", "port": 9000}],
                }
            ],
        },
        "allow-backend-to-services": {
            "podSelector": {"matchLabels": backend},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 5432}],
                }
            ],
        },
    }
    for record in records.values():
        if record.type.startswith("kubernetes:") and record.name.startswith("apps"):
            assert record.inputs["metadata"]["annotations"]["paif.vmware.com/target"] == (
                "marketing-apps"
            )
            validate_core_object(manifest(record.inputs))


def test_app_namespace_config_overrides_quota_limits_and_service_cidrs(run_pulumi):
    quota = marketing().quota.model_copy(update={"gpu": 0, "pods": 12, "services": 4})
    limits = ContainerLimits(max_cpu="2", max_memory="2Gi")
    namespace = AppNamespace(
        quota=quota,
        limits=limits,
        ingress_controller_namespace="projectcontour",
        service_cidrs=["10.10.2.0/24"],
        ai_ports=[8443],
        database_ports=[5432, 5433],
    )
    records = plan(
        run_pulumi,
        TenantAppsArgs(
            tenant=marketing(app_namespace=namespace), cluster="marketing-apps", ctx=context()
        ),
    )
    hard = records["apps-quota"].inputs["spec"]["hard"]
    assert (hard["requests.nvidia.com/gpu"], hard["pods"], hard["services"]) == (0, 12, 4)
    assert records["apps-limits"].inputs["spec"]["limits"][0]["max"] == {
        "cpu": "2",
        "memory": "2Gi",
    }
    out = records["apps-allow-backend-to-services"].inputs["spec"]["egress"]
    assert out == [
        {
            "to": [{"ipBlock": {"cidr": "10.10.2.0/24"}}],
            "ports": [
                {"protocol": "TCP", "port": 5432},
                {"protocol": "TCP", "port": 5433},
                {"protocol": "TCP", "port": 8443},
            ],
        }
    ]
    ingress_from = records["apps-allow-ingress-to-frontend"].inputs["spec"]["ingress"][0]["from"]
    assert ingress_from == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "projectcontour"}}}
    ]


def test_backends_alone_get_no_ingress_or_frontend_flows(run_pulumi):
    backend = marketing().apps[1]
    records = plan(
        run_pulumi,
        TenantAppsArgs(tenant=with_apps(backend), cluster="marketing-apps", ctx=context()),
    )
    names = sorted(
        r.inputs["metadata"]["name"]
        for r in records.values()
        if r.inputs.get("kind") == "NetworkPolicy"
    )
    assert names == ["allow-backend-to-services", "allow-dns", "default-deny"]
    assert not any(r.inputs.get("kind") == "Ingress" for r in records.values())


# --- publishing and pod hardening ---------------------------------------------------------------


def test_exposed_app_is_published_by_a_tls_ingress_only(run_pulumi):
    records = plan(
        run_pulumi, TenantAppsArgs(tenant=marketing(), cluster="marketing-apps", ctx=context())
    )
    ingress = records["apps-frontend-ingress"].inputs
    assert ingress["metadata"]["annotations"] == {
        **TARGET,
        "ingress.kubernetes.io/force-ssl-redirect": "true",
    }
    assert ingress["spec"] == {
        "ingressClassName": "contour",
        "tls": [{"hosts": ["chat.marketing.example.com"], "secretName": "chat-marketing-tls"}],
        "rules": [
            {
                "host": "chat.marketing.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "frontend", "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ],
    }
    assert "apps-backend-ingress" not in records
    services = [
        r.inputs["spec"]["type"] for r in records.values() if r.inputs.get("kind") == "Service"
    ]
    assert services == ["ClusterIP", "ClusterIP"]
    validate_core_object(manifest(ingress))


def test_every_app_has_its_own_service_account_without_a_token(run_pulumi):
    records = plan(
        run_pulumi, TenantAppsArgs(tenant=marketing(), cluster="marketing-apps", ctx=context())
    )
    account = records["apps-frontend-account"].inputs
    assert account["metadata"]["name"] == "frontend"
    assert account["automountServiceAccountToken"] is False
    assert records["apps-backend-account"].inputs["automountServiceAccountToken"] is False
    validate_core_object(manifest(account))


def test_uid_writable_paths_and_api_access_follow_config(run_pulumi):
    worker = App(
        name="worker",
        cluster="marketing-apps",
        image="harbor.primary.example.com/marketing/worker:1.0.0",
        run_as_user=20000,
        run_as_group=20001,
        writable_paths=["/var/cache/worker", "/home/app/.config"],
        api_access=True,
    )
    records = plan(
        run_pulumi,
        TenantAppsArgs(tenant=with_apps(worker), cluster="marketing-apps", ctx=context()),
    )
    deployment = records["apps-worker"].inputs
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["automountServiceAccountToken"] is True
    assert pod["securityContext"] == {
        "fsGroup": 20001,
        "runAsGroup": 20001,
        "runAsNonRoot": True,
        "runAsUser": 20000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert (
        container["securityContext"]["runAsUser"],
        container["securityContext"]["runAsGroup"],
    ) == (
        20000,
        20001,
    )
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["volumeMounts"] == [
        {"mountPath": "/tmp", "name": "tmp"},
        {"mountPath": "/var/cache/worker", "name": "writable-var-cache-worker"},
        {"mountPath": "/home/app/.config", "name": "writable-home-app-config"},
    ]
    assert pod["volumes"] == [
        {"emptyDir": {}, "name": "tmp"},
        {"emptyDir": {}, "name": "writable-var-cache-worker"},
        {"emptyDir": {}, "name": "writable-home-app-config"},
    ]
    assert deployment["metadata"]["annotations"] == {
        **TARGET,
        "paif.vmware.com/api-access": "true",
        "checkov.io/skip1": "CKV_K8S_38=the app asks for Kubernetes API access (apiAccess)",
    }
    assert records["apps-worker-account"].inputs["automountServiceAccountToken"] is True
    validate_core_object(manifest(deployment))


@pytest.mark.parametrize(
    ("app", "path", "message"),
    [
        (
            {"runAsUser": 1000},
            "apps[0].runAsUser",
            "Input should be greater than or equal to 10000",
        ),
        (
            {"runAsGroup": 0},
            "apps[0].runAsGroup",
            "Input should be greater than or equal to 10000",
        ),
        (
            {"writablePaths": ["var/cache"]},
            "apps[0].writablePaths",
            "'var/cache' is not an absolute, normalised directory such as '/var/cache/app'",
        ),
        (
            {"writablePaths": ["/tmp"]},
            "apps[0].writablePaths",
            "/tmp is always writable (an emptyDir); do not list it",
        ),
        (
            {"ingress": None},
            "apps[0].ingress",
            "expose: true publishes the app over TLS only: set ingress.host and "
            "ingress.tlsSecret (the kubernetes.io/tls Secret with its certificate)",
        ),
        (
            {"ingress": {"host": "chat.marketing.example.com"}},
            "apps[0].ingress.tlsSecret",
            "required key is missing",
        ),
    ],
)
def test_bad_app_hardening_or_publishing_config_is_named(
    app: dict[str, Any], path: str, message: str
) -> None:
    def edit(values: dict[str, Any]) -> None:
        frontend = values["paif:tenants"][0]["apps"][0]
        frontend.update(app)
        if frontend.get("ingress") is None:
            frontend.pop("ingress")

    with pytest.raises(ConfigError) as info:
        load_stack(edit=edit)
    assert f"Pulumi.prod.yaml: paif:tenants[0].{path}: {message}" in str(info.value)


def test_ingress_without_expose_is_refused() -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["apps"][1]["ingress"] = {
            "host": "b.example.com",
            "tlsSecret": "b",
        }

    with pytest.raises(ConfigError) as info:
        load_stack(edit=edit)
    assert "paif:tenants[0].apps[1].ingress: only an app with expose: true is published" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("quota", "path", "message"),
    [
        (
            {"pods": 5},
            "appNamespace.quota.pods",
            "5 is below the 6 pods the apps in VKS cluster 'marketing-apps' run during a "
            "rolling update (replicas, or autoscaling.maxReplicas, + 1 each)",
        ),
        (
            {"services": 1},
            "appNamespace.quota.services",
            "1 is below the 2 Services of the apps in VKS cluster 'marketing-apps'",
        ),
        (
            {"requestsCpu": "4", "limitsCpu": "4"},
            "appNamespace.quota.limitsCpu",
            "4 is below the 6 the apps in VKS cluster 'marketing-apps' need during a rolling "
            "update",
        ),
        (
            {"requestsMemory": "2Gi", "limitsMemory": "8Gi"},
            "appNamespace.quota.requestsMemory",
            "2Gi is below the 3Gi the apps in VKS cluster 'marketing-apps' need during a rolling "
            "update",
        ),
    ],
)
def test_apps_that_cannot_fit_the_namespace_quota_fail_before_registration(
    quota: dict[str, Any], path: str, message: str
) -> None:
    updated = marketing().quota.model_copy(update={_snake(k): v for k, v in quota.items()})
    tenant = marketing(app_namespace=AppNamespace(quota=updated))
    args = TenantAppsArgs(tenant=tenant, cluster="marketing-apps", ctx=context())
    error, records = registered_before_error(lambda: TenantApps("apps", args))
    assert str(error) == f"tenant 'marketing': {path}: {message}"
    assert records == []


def test_an_app_above_the_container_maximum_is_named() -> None:
    tenant = marketing(app_namespace=AppNamespace(limits=ContainerLimits(max_memory="1Gi")))
    big = tenant.apps[1].model_copy(update={"limits_memory": "2Gi"})
    tenant = tenant.model_copy(update={"apps": [tenant.apps[0], big]})
    args = TenantAppsArgs(tenant=tenant, cluster="marketing-apps", ctx=context())
    with pytest.raises(ComponentInputError) as info:
        TenantApps("apps", args)
    assert str(info.value) == (
        "tenant 'marketing': apps[1].limitsMemory: 2Gi is above the namespace's container "
        "maximum 1Gi (appNamespace.limits.maxMemory)"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "requests_memory",
            "512",
            "apps[1].requestsMemory: 512 is below the namespace's container minimum 16Mi "
            "(appNamespace.limits.minMemory); a lost unit?",
        ),
        (
            "requests_cpu",
            "5m",
            "apps[1].requestsCpu: 5m is below the namespace's container minimum 10m "
            "(appNamespace.limits.minCpu); a lost unit?",
        ),
        (
            # No request: Kubernetes takes the limit for it.
            "limits_memory",
            "8Mi",
            "apps[1].limitsMemory: 8Mi is below the namespace's container minimum 16Mi "
            "(appNamespace.limits.minMemory); a lost unit?",
        ),
    ],
)
def test_an_app_below_the_container_minimum_is_named(key: str, value: str, message: str) -> None:
    tenant = marketing()
    unset = {"requests_memory": None} if key == "limits_memory" else {}
    small = tenant.apps[1].model_copy(update={key: value, **unset})
    tenant = tenant.model_copy(update={"apps": [tenant.apps[0], small]})
    args = TenantAppsArgs(tenant=tenant, cluster="marketing-apps", ctx=context())
    error, records = registered_before_error(lambda: TenantApps("apps", args))
    assert str(error) == f"tenant 'marketing': {message}"
    assert records == []


def test_limit_range_maximum_never_falls_below_the_default_limit() -> None:
    """A quota with no room for pods still gets a LimitRange Kubernetes accepts (max ≥ default)."""
    quota = marketing().quota.model_copy(
        update={"pods": 0, "limits_cpu": "500m", "requests_cpu": "500m"}
    )
    spec = limit_range_spec(ContainerLimits(), quota)
    assert spec["limits"][0]["max"] == {"cpu": "1", "memory": "256Gi"}
    validate_core_object(
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "x"}, "spec": spec}
    )


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
