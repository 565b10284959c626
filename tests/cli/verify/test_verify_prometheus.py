"""`paif verify --prometheus` against a real Prometheus (Debian's package) on loopback.

One Prometheus for the module, scraping a healthy server as llama-chat's replica and an erroring
one as embeddings', loaded with the prod plan's rendered rule files and sending alerts to a
stand-in Alertmanager. Only change to the rules: PaifEndpointErrorRateHigh holds for 0 s
instead of 5 min, so the firing case fits in a short test. The healthy run goes first: the
erroring traffic of the second test makes that alert fire for the rest of the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from paif_cli.main import main
from paif_cli.verify.client import Client, run_load
from paif_components.observability import alerts as a
from tests.support.openai_server import OpenAIServer
from tests.support.prometheus_process import get_json, prometheus, wait_for
from tests.support.stacks import ROOT

SITE = "seoul-primary"


@dataclass(frozen=True)
class Site:
    prometheus: str
    healthy: OpenAIServer
    erroring: OpenAIServer
    alertmanager: OpenAIServer


def _rule_files(out: Path, folder: Path) -> list[Path]:
    files = []
    for manifest in sorted((out / "prod" / "manifests").glob("*/prometheusrule-*.yaml")):
        spec = yaml.safe_load(manifest.read_text(encoding="utf-8"))["spec"]
        for group in spec["groups"]:
            for rule in group["rules"]:
                if rule["alert"] == a.ERROR_RATE_HIGH:
                    rule.pop("for")
        path = folder / manifest.name
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        files.append(path)
    return files


def _firing(url: str) -> list[dict[str, Any]]:
    alerts = get_json(f"{url}/api/v1/alerts")["data"]["alerts"]
    return [x for x in alerts if x["state"] == "firing"]


@pytest.fixture(scope="module")
def site(
    example_plans: tuple[int, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    code, out = example_plans
    assert code == 0
    folder = tmp_path_factory.mktemp("prometheus")
    with (
        OpenAIServer("healthy", replicas=(2, 3), scale_after=10) as healthy,
        OpenAIServer("erroring", error_every=10, hpa=None) as erroring,
        OpenAIServer("healthy", hpa=None) as alertmanager,
    ):
        targets = [
            (f"127.0.0.1:{healthy.port}", {"namespace": "marketing-ns", "pod": "llama-chat-0"}),
            (f"127.0.0.1:{erroring.port}", {"namespace": "marketing-ns", "pod": "embeddings-0"}),
        ]
        with prometheus(
            folder,
            targets=targets,
            rule_files=_rule_files(out, folder),
            alertmanager=f"127.0.0.1:{alertmanager.port}",
        ) as url:
            wait_for(
                "both replicas to be scraped",
                lambda: len(get_json(f"{url}/api/v1/query?query=up==1")["data"]["result"]) == 2,
            )
            wait_for(
                "the watchdog to reach the Alertmanager",
                lambda: any(x["labels"]["alertname"] == a.WATCHDOG for x in alertmanager.alerts),
            )
            yield Site(url, healthy, erroring, alertmanager)


def _verify(site: Site, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(
        ["verify", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(out),
         "--prometheus", site.prometheus, "--scale-wait", "15", "--max-rate", "1000", *args]
    )  # fmt: skip
    return code, json.loads((out / "prod" / "verify.json").read_text())


def _by_check(report: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c["check"], c["subject"]): (c["status"], c["message"]) for c in report["checks"]}


def test_a_healthy_run_scales_out_fires_no_alert_and_ships_logs(site: Site, tmp_path: Path) -> None:
    code, report = _verify(
        site, tmp_path, "--url", site.healthy.url, "--endpoint", "marketing/llama-chat",
        "--requests", "30", "--concurrency", "10",
    )  # fmt: skip
    checks = _by_check(report)
    # 30 requests without an error cannot show a rate below 0.1 % (test_verify.py has that):
    # inconclusive, exit 3; everything else passes.
    assert code == 3, checks
    assert checks.pop(("error-rate", "marketing/llama-chat"))[0] == "inconclusive"
    assert {status for status, _ in checks.values()} == {"pass"}
    assert checks[("prometheus", SITE)][1].startswith("Prometheus 2.")
    assert checks[("scaling", "marketing/llama-chat")][1] == "replicas rose from 2 to 3 under load"
    assert checks[("alerts", SITE)][1] == f"no alert of {SITE} is firing"
    assert checks[("alerting", SITE)][1] == (
        "PaifWatchdog fires and Prometheus sends to 1 Alertmanager(s)"
    )
    assert checks[("logging", SITE)][0] == "pass"
    assert [c["check"] for c in report["checks"]] == [
        "prometheus", "health", "models", "latency", "error-rate", "scaling",
        "alerts", "alerting", "logging",
    ]  # fmt: skip
    # The watchdog reached the receiver with its runbook link (the test alert of §9.7.2).
    (watchdog, *_) = [x for x in site.alertmanager.alerts if x["labels"]["alertname"] == a.WATCHDOG]
    assert watchdog["labels"]["site"] == SITE
    assert watchdog["annotations"]["runbook_url"].endswith("/prod/ops-runbook.md#paifwatchdog")


def test_firing_alerts_and_errors_fail_the_run(site: Site, tmp_path: Path) -> None:
    client = Client(site.erroring.url, token=None, timeout=5)
    run_load(client, "embeddings", "embeddings", requests=40, concurrency=10)
    wait_for(
        "PaifEndpointErrorRateHigh to fire for embeddings",
        lambda: any(
            x["labels"]["alertname"] == a.ERROR_RATE_HIGH
            and x["labels"]["endpoint"] == "embeddings"
            for x in _firing(site.prometheus)
        ),
    )
    code, report = _verify(
        site, tmp_path, "--endpoint", "marketing/embeddings",
        "--endpoint-url", f"marketing/embeddings={site.erroring.url}", "--requests", "20",
    )  # fmt: skip
    checks = _by_check(report)
    assert code == 1
    failed = sorted(k for k, (status, _) in checks.items() if status == "fail")
    assert failed == [("alerts", SITE), ("error-rate", "marketing/embeddings")]
    assert checks[("alerts", SITE)][1] == "firing: PaifEndpointErrorRateHigh (marketing/embeddings)"
    # min = max = 2: nothing to scale, said so rather than failed.
    assert checks[("scaling", "marketing/embeddings")] == (
        "skip",
        "no autoscaling range here (min = max = 2)",
    )
