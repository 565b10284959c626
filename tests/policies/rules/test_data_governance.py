"""PAIF-DATA-001 (stateful resources protected) and PAIF-GOV-001 (accountable waivers)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere
import pulumiverse_harbor as harbor
import pytest

from tests.support.policy import (
    Site,
    StackPlan,
    evaluate_records,
    findings_of,
    plan,
    run_rules,
    site_records,
)
from tests.support.stacks import load_example

FUTURE = (dt.date.today() + dt.timedelta(days=90)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def small() -> dict[str, Any]:
    """The prod example's marketing tenant with a database and one endpoint."""
    config = copy.deepcopy(load_example("prod"))
    marketing = config["paif:tenants"][0]
    marketing["modelEndpoints"] = marketing["modelEndpoints"][:1]
    marketing["modelEndpoints"][0]["replicas"] = {"min": 2, "max": 4}
    for key in ("knowledgeBases", "agents", "apps", "vksClusters"):
        marketing.pop(key, None)
    config["paif:tenants"] = [marketing]
    return config


@pytest.fixture(scope="module")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    return plan(tmp_path_factory.mktemp("data-ok"), small())


@pytest.fixture(scope="module")
def waived(tmp_path_factory: pytest.TempPathFactory) -> StackPlan:
    """One endpoint at 1 replica (HA-001), waived; two broken waivers beside it."""
    config = small()
    config["paif:tenants"][0]["modelEndpoints"][0]["replicas"] = {"min": 1, "max": 4}
    config["paif:waivers"] = [
        {
            "rule": "PAIF-HA-001",
            "resource": "*-llama-chat-*",
            "reason": "GPU delivery slips to next quarter; one replica until then",
            "owner": "ml-platform",
            "expires": FUTURE,
        },
        {
            "rule": "PAIF-HA-006",
            "resource": "*",
            "reason": "single-server DB during the migration window",
            "owner": "dba-team",
            "expires": PAST,
        },
        {
            "rule": "PAIF-MT-002",
            "resource": "marketing-*",
            "reason": "temp",
            "owner": "netops",
            "expires": FUTURE,
        },
    ]
    return plan(tmp_path_factory.mktemp("gov-waived"), config)


def test_components_protect_stateful_resources_in_prod(compliant: StackPlan) -> None:
    assert findings_of(compliant.findings, "PAIF-DATA-001") == []
    protected = {r.type for r in compliant.result.resources if r.protect}
    assert {
        "vsphere:index/namespace:Namespace",
        "vsphere:index/contentLibrary:ContentLibrary",
        "harbor:index/project:Project",
        "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster",
    } <= protected


def test_gov_001_no_waivers_no_finding(compliant: StackPlan) -> None:
    assert findings_of(compliant.findings, "PAIF-GOV-001") == []


def test_gov_001_expired_and_unreasoned_waivers_fail_closed(waived: StackPlan) -> None:
    assert findings_of(waived.findings, "PAIF-GOV-001") == [
        (
            "mandatory",
            "seoul-primary",
            f"paif:waivers[1] (PAIF-HA-006 on *) expired on {PAST}; it waives nothing",
        ),
        (
            "mandatory",
            "seoul-primary",
            "paif:waivers[2] (PAIF-MT-002 on marketing-*) reason must have at least 10 "
            "characters; it waives nothing",
        ),
    ]


def test_a_valid_waiver_is_reported_waived_with_its_reason(waived: StackPlan) -> None:
    (finding,) = [f for f in waived.findings if f.rule_id == "PAIF-HA-001"]
    assert finding.enforcement == "advisory"
    assert finding.waiver is not None
    assert finding.waiver.reason == "GPU delivery slips to next quarter; one replica until then"
    assert finding.waiver.owner == "ml-platform"
    assert finding.waiver.expires == FUTURE
    assert finding.message == (
        "ModelEndpoint marketing-ns/llama-chat: ScaledObject minReplicaCount is 1, below the 2 "
        "replicas required for prod"
    )
    assert finding not in waived.mandatory_failures


# --- tiny programs ------------------------------------------------------------------------


def stateful(site: Site, protect: bool) -> None:
    opts = pulumi.ResourceOptions(parent=site, protect=protect)
    vsphere.Namespace("site-ns", name="t-ns", supervisor="domain-c10", opts=opts)
    vsphere.ContentLibrary("site-library", name="dlvm", storage_backings=["ds-1"], opts=opts)
    harbor.Project("site-project", name="t", opts=opts)
    k8s.apiextensions.CustomResource(
        "site-db",
        api_version="databases.dataservices.vmware.com/v1alpha1",
        kind="PostgresCluster",
        metadata={"name": "kb", "namespace": "t-ns"},
        spec={"replicas": 1},
        opts=opts,
    )
    # Not stateful: never reported.
    k8s.core.v1.ConfigMap("site-config", metadata={"namespace": "t-ns"}, opts=opts)


def test_data_001_unprotected_stateful_resources_in_prod(run_pulumi: Any) -> None:
    message = "{} holds data but is not protected (protect: true)"
    assert findings_of(
        run_rules(run_pulumi, lambda site: stateful(site, protect=False), "prod"), "PAIF-DATA-001"
    ) == [
        ("mandatory", "site-project", message.format("Project site-project")),
        ("mandatory", "site-db", message.format("PostgresCluster t-ns/kb")),
        ("mandatory", "site-library", message.format("ContentLibrary site-library")),
        ("mandatory", "site-ns", message.format("Namespace site-ns")),
    ]


@pytest.mark.parametrize(("environment", "protect"), [("prod", True), ("dev", False)])
def test_data_001_protected_or_not_production(
    run_pulumi: Any, environment: str, protect: bool
) -> None:
    assert (
        findings_of(
            run_rules(run_pulumi, lambda site: stateful(site, protect), environment),
            "PAIF-DATA-001",
        )
        == []
    )


def test_data_001_extra_stateful_types_from_pack_config(run_pulumi: Any) -> None:
    def build(site: Site) -> None:
        stateful(site, True)
        k8s.core.v1.PersistentVolumeClaim(
            "site-claim",
            metadata={"name": "cache", "namespace": "t-ns"},
            opts=pulumi.ResourceOptions(parent=site),
        )

    records = site_records(run_pulumi, build)
    assert findings_of(evaluate_records(records), "PAIF-DATA-001") == []
    config = {"PAIF-DATA-001": {"extraStatefulTypes": ["kubernetes:core/v1:PersistentVolumeClaim"]}}
    assert findings_of(evaluate_records(records, config), "PAIF-DATA-001") == [
        (
            "mandatory",
            "site-claim",
            "PersistentVolumeClaim t-ns/cache holds data but is not protected (protect: true)",
        )
    ]
