"""PAIF-OPS-001: every production endpoint is scraped and has down, latency and error alerts.

Tiny programs of raw resources under the mock runtime show each way to break the rule; the
planned stack with ``paif:observability.enabled: false`` is in test_monitoring.py.
"""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from tests.support.policy import Site, findings_of, run_rules

RULE = "PAIF-OPS-001"
LABELS = {"paif.vmware.com/tenant": "t", "paif.vmware.com/endpoint": "chat"}
REQUIRED = ("PaifEndpointDown", "PaifEndpointLatencyHigh", "PaifEndpointErrorRateHigh")


def endpoint(site: Site, replicas: int = 2) -> None:
    k8s.apiextensions.CustomResource(
        "site-chat",
        api_version="pais.vmware.com/v1alpha1",
        kind="ModelEndpoint",
        # PAIS publishes no replica or pod-label field: the library records the replicas in
        # an annotation and the policies take the endpoint's own labels as its pods'.
        metadata={
            "name": "chat",
            "namespace": "t-ns",
            "labels": LABELS,
            "annotations": {"paif.vmware.com/replicas": str(replicas)},
        },
        spec={"engine": "vLLM"},
    )


def pod_monitor(selector: dict[str, str], namespace: str = "t-ns") -> None:
    k8s.apiextensions.CustomResource(
        "site-chat-scrape",
        api_version="monitoring.coreos.com/v1",
        kind="PodMonitor",
        metadata={"name": "chat", "namespace": namespace},
        spec={"selector": {"matchLabels": selector}, "podMetricsEndpoints": [{"portNumber": 8000}]},
    )


def rules(alerts: tuple[str, ...], endpoint_label: str = "chat") -> None:
    entries = [
        {"alert": a, "expr": "vector(1)", "labels": {"endpoint": endpoint_label}} for a in alerts
    ]
    k8s.apiextensions.CustomResource(
        "site-alerts",
        api_version="monitoring.coreos.com/v1",
        kind="PrometheusRule",
        metadata={"name": "paif-t", "namespace": "t-ns"},
        spec={"groups": [{"name": "g", "rules": entries}]},
    )


def build(
    *,
    monitor: dict[str, str] | None = LABELS,
    monitor_namespace: str = "t-ns",
    alerts: tuple[str, ...] = REQUIRED,
    endpoint_label: str = "chat",
    replicas: int = 2,
) -> Any:
    def program(site: Site) -> None:
        endpoint(site, replicas)
        if monitor is not None:
            pod_monitor(monitor, monitor_namespace)
        if alerts:
            rules(alerts, endpoint_label)

    return program


NOT_SCRAPED = (
    "mandatory",
    "site-chat",
    "ModelEndpoint t-ns/chat: no PodMonitor or ServiceMonitor in t-ns selects its pods, so its "
    "serving metrics are not scraped",
)


def test_a_scraped_and_alerted_endpoint_passes(run_pulumi) -> None:
    assert findings_of(run_rules(run_pulumi, build()), RULE) == []


@pytest.mark.parametrize(
    "case",
    [
        {"monitor": None},
        {"monitor": {"paif.vmware.com/endpoint": "other"}},
        {"monitor_namespace": "monitoring"},
    ],
    ids=["no-monitor", "monitor-selects-other-pods", "monitor-in-another-namespace"],
)
def test_an_endpoint_nobody_scrapes_is_a_finding(run_pulumi, case: dict[str, Any]) -> None:
    assert findings_of(run_rules(run_pulumi, build(**case)), RULE) == [NOT_SCRAPED]


def test_missing_alerts_are_named(run_pulumi) -> None:
    found = findings_of(run_rules(run_pulumi, build(alerts=("PaifEndpointDown",))), RULE)
    assert found == [
        (
            "mandatory",
            "site-chat",
            "ModelEndpoint t-ns/chat: no alert rule PaifEndpointLatencyHigh, "
            "PaifEndpointErrorRateHigh labelled endpoint=chat in namespace t-ns",
        )
    ]


def test_alerts_about_another_endpoint_do_not_count(run_pulumi) -> None:
    found = findings_of(run_rules(run_pulumi, build(endpoint_label="other")), RULE)
    assert [message for _, _, message in found] == [
        "ModelEndpoint t-ns/chat: no alert rule PaifEndpointDown, PaifEndpointLatencyHigh, "
        "PaifEndpointErrorRateHigh labelled endpoint=chat in namespace t-ns"
    ]


def test_an_endpoint_declared_but_not_running_needs_no_monitoring(run_pulumi) -> None:
    program = build(monitor=None, alerts=(), replicas=0)
    assert findings_of(run_rules(run_pulumi, program), RULE) == []


def test_dev_endpoints_are_not_held_to_it(run_pulumi) -> None:
    program = build(monitor=None, alerts=())
    assert findings_of(run_rules(run_pulumi, program, environment="dev"), RULE) == []
