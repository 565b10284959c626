"""Monitoring as code (§9.7): config, thresholds, what the site and tenant components declare,
the objects against prometheus-operator's public CRDs, and what a plan shows of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.pipeline import plan_stack
from paif_cli.record import StackPlan
from paif_cli.report import summary
from paif_components.config import ConfigError
from paif_components.config.models.observability import AlertThresholds, Observability
from paif_components.dr.topology import derive_site
from paif_components.observability import alerts as a
from paif_components.observability.thresholds import endpoint_thresholds
from paif_components.site_monitoring import SiteMonitoring, SiteMonitoringArgs, site_facts
from paif_components.tenant_monitoring import (
    TenantMonitoring,
    TenantMonitoringArgs,
    monitored_databases,
    monitored_endpoints,
)
from paif_components.tenant_namespace import (
    SupervisorNamespaceArgs,
    network_policies,
    security_policy_spec,
)
from tests.support.policy import findings_of
from tests.support.programs import by_name, registered_before_error
from tests.support.schema_validation import manifest, validate_core_object, validate_crd_object
from tests.support.stacks import load_example, load_stack, marketing, site_context, write_project

# --- config ---------------------------------------------------------------------------------


def problems(edit: Any) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load_stack("prod", edit)
    return [(p.path, p.message) for p in info.value.problems]


def _observability(values: dict[str, Any], **changes: Any) -> None:
    values["paif:observability"] = {**values["paif:observability"], **changes}


def test_the_default_is_the_vks_prometheus_its_namespace_and_the_document_thresholds() -> None:
    observability = Observability()
    assert observability.prometheus.resolved_url == (
        "http://prometheus-server.tanzu-system-monitoring.svc:80"
    )
    assert observability.namespace == "tanzu-system-monitoring"
    t = endpoint_thresholds([observability.alert_thresholds], target_gpu_utilization=70)
    assert (t.p95_latency_seconds, t.error_rate, t.gpu_utilization_percent) == (3.0, 0.001, 70)
    assert (t.gpu_utilization_for_seconds, t.max_replicas_for_seconds) == (900, 900)


def test_a_declared_prometheus_is_queried_where_the_operator_serves_it() -> None:
    observability = Observability.model_validate({"prometheus": {"deploy": True}})
    assert observability.namespace == "paif-monitoring"
    assert observability.prometheus.resolved_url == (
        "http://prometheus-operated.paif-monitoring.svc:9090"
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"prometheus": {"url": "https://prometheus.example.com"}},
            (
                "paif:observability.prometheus.namespace",
                "cannot be read from 'https://prometheus.example.com' (not a "
                "<service>.<namespace>.svc address): name the namespace Prometheus runs in, so "
                "tenants' network policies admit its scrapes",
            ),
        ),
        (
            {"prometheus": {"deploy": True, "url": "http://p.monitoring.svc:9090"}},
            (
                "paif:observability.prometheus.url",
                "a declared Prometheus (deploy: true) has its own URL; remove url",
            ),
        ),
        (
            {"receiver": {"name": "on-call"}},
            (
                "paif:observability.receiver.slack",
                "name at least one channel: slack, email or webhook",
            ),
        ),
        (
            {"receiver": {"webhook": {}}},
            (
                "paif:observability.receiver.webhook.url",
                "set either url or urlSecret (a Secret holding the URL)",
            ),
        ),
        (
            {"alertThresholds": {"errorRatePercent": 0}},
            (
                "paif:observability.alertThresholds.errorRatePercent",
                "Input should be greater than 0",
            ),
        ),
        (
            {"alertThresholds": {"p95Latency": 3}},
            (
                "paif:observability.alertThresholds.p95Latency",
                "unknown key (did you mean p95LatencySeconds?)",
            ),
        ),
    ],
)
def test_bad_observability_config_names_its_path(
    changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert problems(lambda v: _observability(v, **changes)) == [expected]


def test_endpoint_thresholds_override_the_tenants_which_override_the_sites() -> None:
    site = AlertThresholds(p95_latency_seconds=4, error_rate_percent=1, gpu_utilization_for=600)
    tenant = AlertThresholds(p95_latency_seconds=2, gpu_utilization_percent=85)
    endpoint = AlertThresholds(p95_latency_seconds=1)
    t = endpoint_thresholds([site, tenant, endpoint], target_gpu_utilization=70)
    assert (t.p95_latency_seconds, t.error_rate, t.gpu_utilization_percent) == (1.0, 0.01, 85)
    assert (t.gpu_utilization_for_seconds, t.max_replicas_for_seconds) == (600, 900)


# --- what applies at each site --------------------------------------------------------------


def test_the_example_tenant_is_watched_with_its_overrides() -> None:
    cfg = load_stack("prod")
    watched = monitored_endpoints(marketing(cfg), cfg.observability, derive_site(cfg, None))
    assert [(e.name, e.min_replicas, e.max_replicas, e.autoscaled) for e in watched] == [
        ("llama-chat", 2, 10, True),
        ("embeddings", 2, 2, False),
    ]
    assert [e.thresholds.p95_latency_seconds for e in watched] == [3.0, 1.0]
    databases = monitored_databases(
        marketing(cfg), cfg.observability, 15 * 60, derive_site(cfg, None)
    )
    # HA standbys at the writer: lag held to the 15 min RPO; backups hourly (incremental). The
    # chat app's own database (§9.3.2 item 4) is watched like the vector one.
    assert [(d.name, d.replication_lag_seconds, d.backup_interval_seconds) for d in databases] == [
        ("kb-vectors", 900, 3600),
        ("chat-history", 900, 3600),
    ]


def pair(pattern: str) -> tuple[Any, Any]:
    prod, dr = load_example("prod"), load_example("dr")
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
    primary = load_stack("prod", lambda v: v.update(prod))
    return primary, load_stack("dr", lambda v: v.update(dr))


def test_a_pilot_light_dr_site_watches_nothing_that_does_not_run() -> None:
    primary, dr = pair("pilot-light")
    derived = derive_site(dr, primary)
    tenant = marketing(derived.config)
    assert monitored_endpoints(tenant, dr.observability, derived) == []
    assert monitored_databases(tenant, dr.observability, 900, derived) == []


def test_a_warm_standby_replica_is_held_to_the_rpo_and_backs_nothing_up() -> None:
    primary, dr = pair("warm-standby")
    derived = derive_site(dr, primary)
    tenant = marketing(derived.config)
    databases = monitored_databases(tenant, dr.observability, 900, derived)
    # Watched under the copies' own PostgresCluster names (paif_components.dr.copies).
    assert [(d.name, d.replication_lag_seconds, d.backup_interval_seconds) for d in databases] == [
        ("kb-vectors-busan-dr", 900, None),
        ("chat-history-busan-dr", 900, None),
    ]
    watched = monitored_endpoints(tenant, dr.observability, derived)
    assert [(e.min_replicas, e.max_replicas, e.autoscaled) for e in watched] == [
        (1, 1, False),
        (1, 1, False),
    ]


# --- the components -------------------------------------------------------------------------


def tenant_args(observability: Observability | None = None) -> TenantMonitoringArgs:
    cfg = load_stack("prod")
    obs = observability or cfg.observability
    derived = derive_site(cfg, None)
    tenant = marketing(cfg)
    return TenantMonitoringArgs(
        tenant=tenant,
        ctx=site_context(cfg),
        observability=obs,
        facts=site_facts(cfg, "prod", derived),
        endpoints=tuple(monitored_endpoints(tenant, obs, derived)),
        databases=tuple(monitored_databases(tenant, obs, 900, derived)),
    )


def records_of(run_pulumi: Any, build: Any) -> dict[str, Any]:
    return by_name(run_pulumi(build, stack="prod").resources)


def test_a_tenant_declares_a_pod_monitor_per_endpoint_its_rules_and_dashboard(run_pulumi) -> None:
    args = tenant_args()
    records = records_of(run_pulumi, lambda: TenantMonitoring("m", args))
    kinds = sorted(r.inputs.get("kind", r.type) for r in records.values() if r.custom)
    assert kinds == ["ConfigMap", "PodMonitor", "PodMonitor", "PrometheusRule"]
    chat = records["m-llama-chat-scrape"].inputs
    assert chat["metadata"]["namespace"] == "marketing-ns"
    assert chat["spec"] == {
        "selector": {
            "matchLabels": {
                "paif.vmware.com/tenant": "marketing",
                "paif.vmware.com/endpoint": "llama-chat",
            }
        },
        "podMetricsEndpoints": [{"portNumber": 8000, "path": "/metrics", "interval": "30s"}],
    }
    groups = records["m-alerts"].inputs["spec"]["groups"]
    assert [(g["name"], [r["alert"] for r in g["rules"]]) for g in groups] == [
        (
            "paif-marketing-endpoints",
            [*a.ENDPOINT_ALERTS, *a.ENDPOINT_ALERTS[:4]],
        ),
        # kb-vectors and the chat app's chat-history database.
        ("paif-marketing-data", [*a.DATABASE_ALERTS, *a.DATABASE_ALERTS]),
    ]
    for rule in (r for g in groups for r in g["rules"]):
        assert {"severity", "tenant", "site"} <= set(rule["labels"])
        assert rule["labels"]["tenant"] == "marketing"
        assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}
        assert rule["annotations"]["runbook_url"] == (
            f"https://paif-plans.example.com/main/prod/ops-runbook.md#{rule['alert'].lower()}"
        )
    for record in records.values():
        if record.custom and record.inputs.get("kind") != "ConfigMap":
            validate_crd_object(manifest(record.inputs))


def test_the_dashboard_follows_the_grafana_sidecar_convention(run_pulumi) -> None:
    args = tenant_args()
    dashboard = records_of(run_pulumi, lambda: TenantMonitoring("m", args))["m-dashboard"]
    validate_core_object(manifest(dashboard.inputs))
    metadata = dashboard.inputs["metadata"]
    assert metadata["labels"]["grafana_dashboard"] == "1"
    assert metadata["namespace"] == "tanzu-system-monitoring"
    model = json.loads(dashboard.inputs["data"]["paif-marketing.json"])
    assert model["uid"] == "paif-seoul-primary-marketing"
    titles = [p["title"] for p in model["panels"]]
    assert titles == [
        "marketing/llama-chat", "GPU utilisation", "Replicas", "Latency", "Error rate",
        "marketing/embeddings", "GPU utilisation", "Replicas", "Latency", "Error rate",
    ]  # fmt: skip
    latency = model["panels"][3]
    assert [t["legendFormat"] for t in latency["targets"]] == ["P50", "P95", "P99"]
    assert latency["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == 3.0
    assert model["panels"][8]["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == 1.0


def test_a_tenant_with_nothing_to_watch_declares_nothing(run_pulumi) -> None:
    cfg = load_stack("prod")
    hr = next(t for t in cfg.tenants if t.name == "hr")
    args = TenantMonitoringArgs(hr, site_context(cfg), cfg.observability, site_facts(cfg, "prod"))
    records = run_pulumi(lambda: TenantMonitoring("m", args), stack="prod").resources
    assert [r.type for r in records] == ["paif:ops:TenantMonitoring"]


def site_args(edit: Any = None) -> SiteMonitoringArgs:
    cfg = load_stack("prod", edit)
    return SiteMonitoringArgs(
        site_context(cfg), cfg.observability, site_facts(cfg, "prod", derive_site(cfg, None))
    )


def test_the_site_scrapes_dcgm_probes_the_ingress_and_routes_alerts(run_pulumi) -> None:
    args = site_args()
    records = records_of(run_pulumi, lambda: SiteMonitoring("s", args))
    dcgm = records["s-dcgm"].inputs
    assert dcgm["spec"] == {
        "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
        "namespaceSelector": {"matchNames": ["gpu-operator"]},
        "endpoints": [{"port": "gpu-metrics", "interval": "30s", "honorLabels": True}],
    }
    probe = records["s-ingress-probe"].inputs["spec"]
    assert probe["targets"] == {"staticConfig": {"static": ["https://ai.example.com"]}}
    assert probe["prober"] == {"url": "blackbox-exporter.tanzu-system-monitoring.svc:9115"}
    receiver = records["s-receiver"].inputs
    assert receiver["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    assert receiver["spec"]["route"]["matchers"] == [
        {"name": "site", "value": "seoul-primary", "matchType": "="}
    ]
    (slack,) = receiver["spec"]["receivers"][0]["slackConfigs"]
    assert slack["apiURL"] == {"name": "alertmanager-slack", "key": "webhook-url"}
    (group,) = records["s-alerts"].inputs["spec"]["groups"]
    assert [r["alert"] for r in group["rules"]] == list(a.SITE_ALERTS)
    assert {r["labels"]["tenant"] for r in group["rules"]} == {"platform"}
    for record in records.values():
        if record.custom:
            validate_crd_object(manifest(record.inputs))


def test_a_declared_prometheus_and_alertmanager_select_the_sites_objects(run_pulumi) -> None:
    args = site_args(lambda v: _observability(v, prometheus={"deploy": True, "replicas": 2}))
    records = records_of(run_pulumi, lambda: SiteMonitoring("s", args))
    prometheus = records["s-prometheus"].inputs
    site = {"matchLabels": {"paif.vmware.com/site": "seoul-primary"}}
    spec = prometheus["spec"]
    assert (spec["replicas"], spec["serviceAccountName"], spec["ruleSelector"]) == (2, "paif", site)
    assert spec["podMonitorSelector"] == spec["serviceMonitorSelector"] == site
    assert spec["alerting"]["alertmanagers"] == [
        {"namespace": "paif-monitoring", "name": "alertmanager-operated", "port": "web"}
    ]
    alertmanager = records["s-alertmanager"].inputs["spec"]
    assert alertmanager["alertmanagerConfigMatcherStrategy"] == {"type": "None"}
    # Their pods run hardened like the apps' (paif_components.pod_security).
    hardened = {
        "fsGroup": 10001,
        "runAsGroup": 10001,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["securityContext"] == alertmanager["securityContext"] == hardened
    for name in ("s-prometheus", "s-alertmanager", "s-dcgm"):
        validate_crd_object(manifest(records[name].inputs))
    for name in ("s-prometheus-sa", "s-prometheus-role", "s-prometheus-binding"):
        validate_core_object(manifest(records[name].inputs))
    # Everything else waits for the Prometheus that reads it.
    assert records["s-prometheus"].urn in records["s-dcgm"].depends_on


def test_a_declared_prometheus_without_a_receiver_registers_nothing() -> None:
    args = site_args(
        lambda v: (
            _observability(v, prometheus={"deploy": True}, receiver=None)
            or v["paif:observability"].pop("receiver")
        )
    )
    error, registered = registered_before_error(lambda: SiteMonitoring("s", args))
    assert str(error) == (
        "site 'seoul-primary': observability.receiver: a Prometheus the stack declares "
        "(prometheus.deploy) sends alerts to the Alertmanager it declares; name where they go "
        "(slack, email or webhook)"
    )
    assert registered == []


def namespace_args(**kw: Any) -> SupervisorNamespaceArgs:
    cfg = load_stack("prod")
    return SupervisorNamespaceArgs(
        tenant=marketing(cfg), ctx=site_context(cfg), content_library_id="l", vm_classes={}, **kw
    )


def test_tenants_admit_scrapes_from_the_prometheus_namespace_only_into_the_ai_tier() -> None:
    args = namespace_args(metrics_scrape=("tanzu-system-monitoring", 8000))
    policy = next(p for p in network_policies(args) if p["name"] == "allow-metrics-scrape")
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"paif.vmware.com/tier": "ai"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {
                                "kubernetes.io/metadata.name": "tanzu-system-monitoring"
                            }
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 8000}],
            }
        ],
    }
    rules = [r["name"] for r in security_policy_spec(args)["rules"]]
    assert rules.index("allow-ai-metrics-scrape") < rules.index("default-deny-in")
    plain = namespace_args()
    assert "allow-metrics-scrape" not in [p["name"] for p in network_policies(plain)]


# --- in the plan ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unwatched(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    prod = copy.deepcopy(load_example("prod"))
    prod["paif:observability"]["enabled"] = False
    project = write_project(tmp_path_factory.mktemp("unwatched"), {"prod": prod})
    return plan_stack(project, "prod")


def test_without_observability_nothing_is_watched_and_ops_001_blocks(unwatched: StackPlan) -> None:
    kinds = {r.inputs.get("kind") for r in unwatched.result.resources if r.custom}
    assert not kinds & {"PodMonitor", "ServiceMonitor", "PrometheusRule", "Probe"}
    assert findings_of(unwatched.findings, "PAIF-OPS-001") == [
        (
            "mandatory",
            f"seoul-primary-marketing-{name}-endpoint",
            f"ModelEndpoint marketing-ns/{name}: {problem}",
        )
        for name in ("embeddings", "llama-chat")
        for problem in (
            "no PodMonitor or ServiceMonitor in marketing-ns selects its pods, so its serving "
            "metrics are not scraped",
            f"no alert rule PaifEndpointDown, PaifEndpointLatencyHigh, "
            f"PaifEndpointErrorRateHigh labelled endpoint={name} in namespace marketing-ns",
        )
    ]
    assert "  NOT monitored: marketing-ns/embeddings, marketing-ns/llama-chat" in summary(unwatched)


def test_the_example_plan_shows_which_endpoints_are_monitored(
    example_plans: tuple[int, Path],
) -> None:
    _, out = example_plans
    for stack in ("prod", "dr"):
        plan = json.loads((out / stack / "plan.json").read_text())
        tenants = plan["outputs"]["tenants"]
        assert tenants["marketing"]["monitoredEndpoints"] == ["embeddings", "llama-chat"]
        assert tenants["hr"]["monitoredEndpoints"] == []


def test_every_runbook_link_lands_on_a_section_that_verifies_with_paif_verify(
    example_plans: tuple[int, Path],
) -> None:
    _, out = example_plans
    runbook = (out / "prod" / "ops-runbook.md").read_text()
    anchors = {line.split('"')[1] for line in runbook.splitlines() if line.startswith("<a id=")}
    assert anchors == {"verify", *(alert.lower() for alert in a.ALL_ALERTS)}
    assert runbook.count("paif verify --stack prod") == len(a.ALL_ALERTS) + 1
    assert "paif verify --stack prod --endpoint marketing/llama-chat --prometheus " in runbook
