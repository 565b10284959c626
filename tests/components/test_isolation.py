"""§9.4.2 isolation levels as a user declares them: workload-domain tenants get their own hosts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.stacks import load_example

HR_DOMAIN = {
    "cluster": "hr-gpu",
    "hosts": ["esxi-hr-01.primary.example.com", "esxi-hr-02.primary.example.com"],
    "gpu": {"model": "NVIDIA A100 80GB", "perHost": 2, "memoryGiB": 80},
    "vgpuProfiles": ["nvidia_a100-80c"],
}
HR_DR_DOMAIN = {
    **HR_DOMAIN,
    "cluster": "hr-gpu-dr",
    "hosts": ["esxi-hr-01.dr.example.com", "esxi-hr-02.dr.example.com"],
}


def _pair(dr_domains: bool) -> dict[str, dict[str, Any]]:
    prod, dr = load_example("prod"), load_example("dr")
    hr = prod["paif:tenants"][1]
    hr["isolation"] = "workload-domain"
    hr["workloadDomain"] = HR_DOMAIN
    if dr_domains:
        dr["paif:dr"]["tenantWorkloadDomains"] = {"hr": HR_DR_DOMAIN}
    return {"prod": prod, "dr": dr}


def _plan(project: Path) -> int:
    args = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project)]
    return main([*args, "--out", str(project / "out"), "--quiet", "--format", "none"])


def test_workload_domain_tenant_gets_its_own_cluster_and_zone_at_both_sites(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(_pair(dr_domains=True))
    assert _plan(project) == 0
    for stack, site, cluster in (
        ("prod", "seoul-primary", "hr-gpu"),
        ("dr", "busan-dr", "hr-gpu-dr"),
    ):
        plan = json.loads((project / "out" / stack / "plan.json").read_text())
        clusters = {
            r["name"]: r["inputs"]
            for r in plan["resources"]
            if r["type"] == "vsphere:index/computeCluster:ComputeCluster"
        }
        assert sorted(clusters) == [f"{site}-gpu-cluster", f"{site}-hr-gpu-cluster"]
        assert clusters[f"{site}-hr-gpu-cluster"]["name"] == cluster
        zones = sorted(
            r["inputs"]["name"] for r in plan["resources"] if r["type"] == "vsphere:index/zone:Zone"
        )
        assert f"{cluster}-zone" in zones


def test_dr_stack_must_declare_hosts_for_isolated_tenants(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(_pair(dr_domains=False))
    assert _plan(project) == 2
    err = capsys.readouterr().err
    assert (
        "error: Pulumi.dr.yaml: tenant 'hr': dr.tenantWorkloadDomains.hr: the primary isolates "
        "this tenant on GPU hosts of its own; declare the DR site's hosts for it here"
    ) in err
    assert not (project / "out").exists()


@pytest.mark.parametrize(
    ("isolation", "domain", "message"),
    [
        ("workload-domain", None, "isolation 'workload-domain' gives the tenant GPU hosts"),
        ("namespace", HR_DOMAIN, "only a tenant with isolation 'workload-domain'"),
    ],
)
def test_workload_domain_goes_with_its_isolation_level(
    isolation: str,
    domain: dict[str, Any] | None,
    message: str,
    make_project: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    prod = load_example("prod")
    hr = prod["paif:tenants"][1]
    hr["isolation"] = isolation
    if domain is not None:
        hr["workloadDomain"] = domain
    project = make_project({"prod": prod})
    args = ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"error: Pulumi.prod.yaml: paif:tenants[1].workloadDomain: {message}" in err


def test_isolated_hosts_cannot_be_the_sites_own(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    prod = load_example("prod")
    hr = prod["paif:tenants"][1]
    hr["isolation"] = "workload-domain"
    hr["workloadDomain"] = {**HR_DOMAIN, "hosts": ["esxi-gpu-01.primary.example.com"]}
    project = make_project({"prod": prod})
    args = ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    assert main(args) == 2
    assert (
        "paif:tenants[1].workloadDomain.hosts: host 'esxi-gpu-01.primary.example.com' is "
        "already in the site's workload domain"
    ) in capsys.readouterr().err
