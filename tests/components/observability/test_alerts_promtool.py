"""The example plans' alert rules, checked and unit-tested by the real ``promtool``.

``make test`` installs Debian's ``prometheus`` package where promtool is missing, so a missing
tool is an error here, never a skip. Every PrometheusRule the prod and dr plans render is
written out as a rule file; ``promtool check rules`` must accept all of them, and
``promtool test rules`` runs the generated cases (``promtool_cases``): each alert fires on
series that break its threshold and stays silent on series that do not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from paif_components.observability import alerts as a
from tests.support.promtool_cases import unit_tests

PROMTOOL = shutil.which("promtool")


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool is not on PATH: run `make prometheus-tools` (make test does)"
    return subprocess.run(
        [PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


RuleFiles = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def rules(
    example_plans: tuple[int, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, RuleFiles]:
    """(folder, rule file name → groups): one file per PrometheusRule of both example plans."""
    code, out = example_plans
    assert code == 0
    folder = tmp_path_factory.mktemp("rules")
    files: dict[str, list[dict[str, Any]]] = {}
    for manifest in sorted(out.glob("*/manifests/*/prometheusrule-*.yaml")):
        rule = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        name = f"{manifest.parents[2].name}-{manifest.stem}.yaml"  # out/<stack>/manifests/<api>
        (folder / name).write_text(yaml.safe_dump(rule["spec"]), encoding="utf-8")
        files[name] = rule["spec"]["groups"]
    return folder, files


def test_the_plans_render_every_alert(rules: tuple[Path, RuleFiles]) -> None:
    _, rule_files = rules
    names = {r["alert"] for groups in rule_files.values() for g in groups for r in g["rules"]}
    assert names == set(a.ALL_ALERTS)
    # A site and three tenants per stack; only marketing has endpoints or databases.
    assert sorted(rule_files) == [
        "dr-prometheusrule-busan-dr-marketing-monitoring-alerts.yaml",
        "dr-prometheusrule-busan-dr-monitoring-alerts.yaml",
        "prod-prometheusrule-seoul-primary-marketing-monitoring-alerts.yaml",
        "prod-prometheusrule-seoul-primary-monitoring-alerts.yaml",
    ]


def test_promtool_check_rules_accepts_every_rule_file(rules: tuple[Path, RuleFiles]) -> None:
    folder, rule_files = rules
    result = _promtool("check", "rules", *sorted(rule_files), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, groups in rule_files.items():
        count = sum(len(g["rules"]) for g in groups)
        assert f"Checking {name}\n  SUCCESS: {count} rules found" in result.stdout


def test_promtool_unit_tests_fire_above_and_stay_silent_below_each_threshold(
    rules: tuple[Path, RuleFiles],
) -> None:
    folder, rule_files = rules
    tests = []
    for name, groups in sorted(rule_files.items()):
        document = unit_tests(name, groups)
        test_file = f"test-{name}"
        (folder / test_file).write_text(yaml.safe_dump(document), encoding="utf-8")
        tests.append(test_file)
        count = sum(len(g["rules"]) for g in groups)
        watchdogs = sum(1 for g in groups for r in g["rules"] if r["alert"] == a.WATCHDOG)
        assert len(document["tests"]) == 2 * count - watchdogs
    # One promtool per file, side by side: the cases are independent and this is the slow part.
    assert PROMTOOL, "promtool is not on PATH: run `make prometheus-tools` (make test does)"
    runs = [
        subprocess.Popen(
            [PROMTOOL, "test", "rules", test],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for test in tests
    ]
    for test, run in zip(tests, runs, strict=True):
        output, _ = run.communicate(timeout=120)
        assert run.returncode == 0, f"{test}:\n{output}"
        assert "SUCCESS" in output, output


def test_a_rule_rendered_with_the_wrong_threshold_fails_its_unit_test(
    rules: tuple[Path, RuleFiles], tmp_path: Path
) -> None:
    """The generated cases can fail: a latency rule holding 30 s instead of 3 s does not fire
    on the series that break 3 s, and promtool says so."""
    name = "prod-prometheusrule-seoul-primary-marketing-monitoring-alerts.yaml"
    groups = rules[1][name]
    expected = unit_tests(name, groups)
    # Only the latency cases: the rest of the file is tested above.
    expected["tests"] = [t for t in expected["tests"] if a.LATENCY_HIGH in t["name"]]
    broken = yaml.safe_load(yaml.safe_dump(groups))
    (latency,) = [
        r
        for g in broken
        for r in g["rules"]
        if r["alert"] == a.LATENCY_HIGH and r["labels"]["endpoint"] == "llama-chat"
    ]
    assert latency["expr"].endswith("> 3")
    latency["expr"] = latency["expr"].removesuffix("> 3") + "> 30"
    (tmp_path / name).write_text(yaml.safe_dump({"groups": broken}), encoding="utf-8")
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(expected), encoding="utf-8")
    result = _promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "alertname: PaifEndpointLatencyHigh" in result.stdout + result.stderr
    assert "FAILED" in result.stdout + result.stderr


def test_a_nim_endpoints_rules_read_nims_own_metrics(tmp_path: Path) -> None:
    """NIMService replicas export bare metric names (no ``vllm:`` prefix) and request outcome
    counters; their rules pass the same promtool checks, with overridden thresholds."""
    from paif_components.observability.alerts import MonitoredEndpoint, SiteFacts, tenant_groups
    from paif_components.observability.thresholds import EndpointThresholds

    endpoint = MonitoredEndpoint(
        tenant="t",
        namespace="t-ns",
        name="nim-chat",
        backend="nim",
        min_replicas=2,
        max_replicas=4,
        critical=False,
        thresholds=EndpointThresholds(2.5, 0.02, 80, 600, 1200),
    )
    groups = tenant_groups("t", [endpoint], [], SiteFacts(site="s", stack="prod"))
    exprs = {r["alert"]: r["expr"] for r in groups[0]["rules"]}
    assert "rate(e2e_request_latency_seconds_bucket{" in exprs[a.LATENCY_HIGH]
    assert exprs[a.LATENCY_HIGH].endswith("> 2.5")
    assert exprs[a.ERROR_RATE_HIGH].startswith(
        'sum(rate(request_failure_total{namespace="t-ns",pod=~"nim-chat-.*"}[5m]))'
    )
    assert exprs[a.AT_MAX_REPLICAS].endswith('horizontalpodautoscaler="nim-chat"}) >= 4')
    severity = {r["alert"]: r["labels"]["severity"] for r in groups[0]["rules"]}
    assert severity[a.ENDPOINT_DOWN] == "warning"  # critical: false
    (tmp_path / "nim.yaml").write_text(yaml.safe_dump({"groups": groups}), encoding="utf-8")
    document = unit_tests("nim.yaml", groups)
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    assert _promtool("check", "rules", "nim.yaml", cwd=tmp_path).returncode == 0
    result = _promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
