"""The failover runbook rendered from the topology and its estimate (issue 5: runbook)."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import pytest

from paif_components.config import StackConfig, parse_stack_config
from paif_components.dr.estimate import estimate_for
from paif_components.dr.runbook import PHASE_ORDER, PHASE_TERMS, render_runbook, runbook_steps
from paif_components.estimators import format_duration
from tests.support.stacks import load_example

PATTERNS = ("pilot-light", "warm-standby", "active-active")


def pair(pattern: str) -> tuple[StackConfig, StackConfig]:
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    return (
        parse_stack_config(prod, "Pulumi.prod.yaml"),
        parse_stack_config(dr, "Pulumi.dr.yaml"),
    )


def dr_runbook(pattern: str) -> tuple[str, dict[str, Any]]:
    primary, dr = pair(pattern)
    estimate = estimate_for(dr, primary, stack="dr")
    return render_runbook(dr, estimate), estimate


def section(text: str, number: int) -> str:
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_steps_are_ordered_and_add_up_to_the_rto(pattern: str) -> None:
    _, estimate = dr_runbook(pattern)
    steps = runbook_steps(estimate)
    assert [s.phase for s in steps] == list(PHASE_ORDER)
    assert [s.phase for s in steps] == [
        "detect",
        "data",
        "registry",
        "runtime",
        "gateway",
        "validate",
    ]
    for step in steps:
        assert [t["key"] for t in step.terms] == [
            t["key"] for t in estimate["rto"]["terms"] if t["key"] in PHASE_TERMS[step.phase]
        ]
        assert step.actions, step.phase
    total = sum(s.seconds for s in steps)
    assert math.isclose(total, estimate["rto"]["seconds"], abs_tol=0.01)


def test_warm_standby_runbook() -> None:
    text, estimate = dr_runbook("warm-standby")
    assert text.startswith("# Failover runbook: seoul-primary → busan-dr (warm-standby)\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(" (")[0] for h in headings] == [
        "## 1. Detect the site loss and declare failover",
        "## 2. Data tier: make each database's DR copy the writer, by its mechanism",
        "## 3. Registry: confirm the models at the DR Harbor",
        "## 4. Runtime: bring VKS clusters and model endpoints to full scale",
        "## 5. Gateway and DNS: move traffic to the DR site",
        "## 6. Validate the service against §9.7.2",
        "## What the failover changes",
        "## After the failover: fail back",
    ]
    total = format_duration(estimate["rto"]["seconds"])
    assert f"| | **total** | **{total}** | |" in text
    assert f"Total {total} is within the declared RTO 1 h." in text

    data = section(text, 2)
    assert (
        "**marketing/kb-vectors** (pgvector, logical replication: copy `kb-vectors-busan-dr` "
        "subscribes to publication `paif_dr_kb_vectors` through slot `paif_dr_kb_vectors` on "
        "`kb-vectors` at seoul-primary)"
    ) in data
    assert (
        'psql "host=$DR_HOST dbname=kb-vectors user=pgadmin" '
        "-c 'ALTER SUBSCRIPTION paif_dr_kb_vectors DISABLE;'" in data
    )
    assert "-c 'ALTER SUBSCRIPTION paif_dr_kb_vectors SET (slot_name = NONE);'" in data
    assert "<<'SQL'\nDO $$ DECLARE r record;" in data  # sequences, no shell expansion
    assert "fence the old primary `kb-vectors`" in data
    assert "rollout restart deployment/frontend" in data
    assert "pg_promote" not in text

    registry = section(text, 3)
    assert "crane digest harbor.dr.example.com/marketing/llama-3.1-8b-instruct:1.0.0" in registry
    assert "crane digest harbor.dr.example.com/marketing/bge-large-en-v1.5:1.0.0" in registry
    assert "`marketing-to-busan-dr`" in registry

    runtime = section(text, 4)
    assert (
        "pulumi config set --path paif:dr.failover true --stack dr\npulumi up --stack dr" in runtime
    )
    assert "**marketing/marketing-apps** grows from 3 to 5 workers" in runtime
    assert "(marketing/llama-chat 2, marketing/embeddings 2)" in runtime
    assert '"model": "llama-chat"' in runtime
    assert '"model": "embeddings"' not in runtime  # embeddings take no chat warm-up

    gateway = section(text, 5)
    assert "update add ai.example.com 300 A 10.20.0.10" in gateway
    assert "dig +short ai.example.com   # expect 10.20.0.10" in gateway

    validate = section(text, 6)
    assert "health check answers 200 OK" in validate
    assert "P95 of 100 sample requests per endpoint stays below 3 s" in validate
    assert "error rate below 0.1 %" in validate
    # The verification step is `paif verify` against the DR stack through the service name.
    assert (
        "paif verify --stack dr --url https://ai.example.com --requests 100 "
        "--prometheus http://prometheus-server.tanzu-system-monitoring.svc:80" in validate
    )

    # Data tier before registry before runtime before DNS.
    order = [
        text.index(s)
        for s in ("ALTER SUBSCRIPTION", "crane digest", "pulumi up --stack dr", "nsupdate")
    ]
    assert order == sorted(order)


def test_pilot_light_runbook_restores_and_creates_the_cluster() -> None:
    text, _ = dr_runbook("pilot-light")
    data = section(text, 2)
    assert (
        "restore the backups of `kb-vectors` from backup location `s3-backup-dr` to the latest "
        "point in time into a new cluster `kb-vectors-busan-dr` in namespace `marketing-ns`"
    ) in data
    assert "backs it up to its own location `s3-backup-busan-copies`" in data
    assert "extname = 'vector'" in data
    assert "pg_promote" not in data and "SUBSCRIPTION" not in data
    assert "**marketing/marketing-apps** is created with 5 workers" in section(text, 4)
    assert "- Declared RTO: 1 h: **NOT met**" in text
    assert "is over the declared RTO 1 h." in text


def test_active_active_runbook_uses_the_gslb() -> None:
    text, _ = dr_runbook("active-active")
    assert "**marketing/kb-vectors** (pgvector, logical replication" in section(text, 2)
    assert "get scaledobjects,pods -w" in section(text, 4)
    gateway = section(text, 5)
    assert "Avi Controller → Applications → GSLB Services → `ai.example.com`" in gateway
    assert "GSLB TTL (30 s)" in gateway
    assert "nsupdate" not in text
    assert "Active-active needs no declaration" in section(text, 1)


def test_a_primary_without_the_dr_stack_file_says_where_its_facts_come_from() -> None:
    primary, _ = pair("warm-standby")
    text = render_runbook(primary, estimate_for(primary, None, stack="prod"))
    unknown = "unknown until paif plan --stack dr>"
    assert f"kubectl vsphere login --server=<Supervisor of busan-dr: {unknown}" in text
    assert f"update add ai.example.com 300 A <ingress virtual IP of busan-dr: {unknown}" in text
    assert f"--prometheus <Prometheus URL of busan-dr: {unknown}" in text
    assert "- Note: The DR site busan-dr is presumed to have this site's workload domain" in text


def test_a_primary_reads_the_dr_site_facts_from_the_dr_stack_file() -> None:
    primary, dr = pair("warm-standby")
    estimate = estimate_for(primary, None, stack="prod", dr_declared=dr)
    assert estimate["sites"]["dr"] == {
        "name": "busan-dr",
        "stack": "dr",
        "harborUrl": "https://harbor.dr.example.com",
        "supervisor": "supervisor.dr.example.com",
        "vcenter": "vcenter.dr.example.com",
        "fqdn": "ai-dr.example.com",
        "virtualIp": "10.20.0.10",
        "prometheusUrl": "http://prometheus-server.tanzu-system-monitoring.svc:80",
    }
    text = render_runbook(primary, estimate)
    assert "<Supervisor" not in text and "<ingress" not in text and "<Prometheus" not in text
    # The DR stack's own runbook of the same failover names the same places (its durations
    # may differ: it knows the DR site's real capacity).
    own = render_runbook(dr, estimate_for(dr, primary, stack="dr"))
    for line in (
        "kubectl vsphere login --server=supervisor.dr.example.com --vsphere-username <you>",
        "curl -sS https://ai-dr.example.com/v1/chat/completions",
        "update add ai.example.com 300 A 10.20.0.10",
        "--prometheus http://prometheus-server.tanzu-system-monitoring.svc:80",
    ):
        assert line in text and line in own, line
    # The capacity stays presumed: only the DR stack's plan has it.
    assert estimate["failover"]["drSiteFacts"] == "assumed equal to the primary's workload domain"


def test_a_dr_stack_file_of_another_site_is_not_taken_for_the_peer() -> None:
    primary, _ = pair("warm-standby")
    other = copy.deepcopy(load_example("dr"))
    other["paif:site"]["name"] = "daegu-dr"
    declared = parse_stack_config(other, "Pulumi.dr.yaml")
    estimate = estimate_for(primary, None, stack="prod", dr_declared=declared)
    assert estimate["sites"]["dr"]["supervisor"] is None


def test_dns_ttl_assumption_reaches_the_dns_record() -> None:
    primary, dr = pair("warm-standby")
    dr = dr.model_copy(
        update={"dr": dr.dr.model_copy(update={"assumptions": {"dnsTtlSeconds": 60}})}
    )
    text = render_runbook(dr, estimate_for(dr, primary, stack="dr"))
    assert "update add ai.example.com 60 A 10.20.0.10" in text


def test_unknown_terms_still_count_with_the_runtime() -> None:
    _, estimate = dr_runbook("warm-standby")
    extra = {
        "key": "gpu_driver_check",
        "label": "GPU driver check",
        "seconds": 42.0,
        "duration": "42 s",
        "explanation": "x",
    }
    changed = {**estimate, "rto": {**estimate["rto"], "terms": [*estimate["rto"]["terms"], extra]}}
    steps = runbook_steps(changed)
    runtime = next(s for s in steps if s.phase == "runtime")
    assert runtime.terms[-1]["key"] == "gpu_driver_check"
    assert math.isclose(sum(s.seconds for s in steps), estimate["rto"]["seconds"] + 42.0)


def floats(value: Any) -> Any:
    """What a stack output looks like after protobuf: every number a float."""
    if isinstance(value, dict):
        return {k: floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [floats(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.mark.parametrize("pattern", PATTERNS)
def test_runbook_from_a_stack_output_reads_the_same(pattern: str) -> None:
    primary, dr = pair(pattern)
    estimate = estimate_for(dr, primary, stack="dr")
    assert render_runbook(dr, floats(estimate)) == render_runbook(dr, estimate)


def test_no_dr_pattern_renders_a_short_notice() -> None:
    prod = copy.deepcopy(load_example("prod"))
    prod["paif:dr"] = {"pattern": "none"}
    config = parse_stack_config(prod, "Pulumi.prod.yaml")
    text = render_runbook(config, estimate_for(config, None, stack="prod"))
    assert text == (
        "# Failover runbook: seoul-primary\n\n"
        "This stack declares no DR pattern (`paif:dr.pattern: none`), so there is no site to "
        "fail over to. Declare pilot-light, warm-standby or active-active in both stack files "
        "(§9.3.3; PAIF-DR-001).\n"
    )


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_the_example_runbooks_hold_no_placeholder_the_plans_could_fill(
    example_out: Path, stack: str
) -> None:
    """The prod stack's runbook has the DR site's values from Pulumi.dr.yaml, as the dr stack's
    own does; what is left is the operator's own name."""
    text = (example_out / stack / "failover-runbook.md").read_text(encoding="utf-8")
    assert set(re.findall(r"<[^<>\s][^<>]*>", text)) == {"<you>"}
