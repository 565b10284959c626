"""`paif verify` against OpenAI-compatible servers the tests start on loopback.

Healthy, slow (P95 > 3 s) and erroring (> 0.1 %) servers, an unreachable address, and bad
input; the checks against a real Prometheus are in test_verify_prometheus.py.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paif_cli.main import main
from paif_cli.verify.run import _error_rate, _latency, requests_for
from paif_cli.verify.stats import (
    LoadSummary,
    Sample,
    percentile,
    requests_needed,
    summarize,
    upper_bound,
)
from paif_cli.verify.targets import load_deployment
from tests.support.openai_server import OpenAIServer
from tests.support.stacks import ROOT, load_example, write_project

TOKEN = "tok-3b7e-never-printed"


# Loopback servers answer at once: no pacing to the example's rate limits.
UNPACED = ["--max-rate", "1000"]


def verify(out: Path, *args: str, project: Path = ROOT) -> tuple[int, dict[str, Any]]:
    argv = ["verify", "--stack", "prod", "--project-dir", str(project), "--out", str(out)]
    code = main([*argv, *UNPACED, *args])
    report = out / "prod" / "verify.json"
    return code, json.loads(report.read_text()) if report.exists() else {}


def project_with_error_limit(directory: Path, percent: float) -> Path:
    """The example prod stack with every endpoint's error-rate limit at ``percent``."""
    prod = load_example("prod")
    prod["paif:observability"].setdefault("alertThresholds", {})["errorRatePercent"] = percent
    return write_project(directory, {"prod": prod})


def verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["check"], c["subject"]): c["status"] for c in report["checks"]}


def check(report: dict[str, Any], name: str, subject: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if (c["check"], c["subject"]) == (name, subject))


# --- statistics -------------------------------------------------------------------------------


def test_p95_of_100_samples_is_the_95th_smallest() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    with pytest.raises(ValueError, match="no values"):
        percentile([], 95)


@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1), st.floats(0.1, 100))
def test_a_percentile_is_a_sample_with_that_share_at_or_below_it(values, p) -> None:
    result = percentile(values, p)
    assert result in values
    assert sum(v <= result for v in values) >= p / 100 * len(values)
    assert sum(v < result for v in values) < p / 100 * len(values)


def test_every_answer_but_2xx_is_an_error_and_latency_counts_successes() -> None:
    samples = [
        Sample(0.1, 200),
        Sample(5.0, 500),
        Sample(0.2, None, "timed out", "connect timeout"),
        Sample(0.3, 201),
        Sample(0.4, 200, "answered 2xx with a body that is not JSON: ''", "body not JSON"),
    ]
    summary = summarize(samples)
    assert (summary.requests, summary.errors, summary.error_rate) == (5, 3, 0.6)
    assert (summary.p50, summary.p95) == (0.1, 0.3)
    assert summary.first_error == "HTTP 500"
    assert summary.error_kinds == {"HTTP 500": 1, "connect timeout": 1, "body not JSON": 1}


# Clopper-Pearson one-sided 95 % upper bounds: the rule of three's exact form for no errors,
# and published values (e.g. 1 of 20: 0.2161, 5 of 100: 0.1023).
@pytest.mark.parametrize(
    ("errors", "requests", "bound"),
    [(0, 100, 0.02951), (0, 2995, 0.0009998), (1, 20, 0.2161), (1, 25, 0.1761), (5, 100, 0.1023)],
)
def test_the_upper_bound_is_clopper_pearson(errors: int, requests: int, bound: float) -> None:
    assert upper_bound(errors, requests) == pytest.approx(bound, rel=1e-3)


@given(st.integers(1, 400), st.data())
def test_the_bound_leaves_5_percent_to_the_tail(requests: int, data: st.DataObject) -> None:
    errors = data.draw(st.integers(0, requests - 1))
    bound = upper_bound(errors, requests)
    assert errors / requests <= bound <= 1
    # At the bound, seeing this few errors or fewer has probability 5 %.
    tail = sum(
        math.comb(requests, i) * bound**i * (1 - bound) ** (requests - i) for i in range(errors + 1)
    )
    assert tail == pytest.approx(0.05, abs=1e-6)


def test_the_requests_needed_to_show_a_limit() -> None:
    # No error in 2995 requests shows < 0.1 % at 95 %; 2994 do not.
    assert requests_needed(0.001) == 2995
    assert upper_bound(0, 2995) < 0.001 <= upper_bound(0, 2994)
    assert requests_needed(0.01) == 299
    # Errors keep coming at 0.03 %: more requests are needed; at the limit, no number does.
    assert requests_needed(0.001, 0.0003) == 4742
    assert requests_needed(0.001, 0.001) is None
    # The default count per endpoint: enough for its limit, at least 100 (P95, P99).
    assert (requests_for(0.001), requests_for(0.05), requests_for(0.5)) == (2995, 100, 100)


def _summary(requests: int, errors: int, p95: float = 0.5) -> LoadSummary:
    kinds = {"HTTP 500": errors} if errors else {}
    first = "HTTP 500" if errors else None
    return LoadSummary(requests, errors, 0.1, p95, p95, first, kinds)


@pytest.mark.parametrize(
    ("requests", "errors", "status"),
    [(2995, 0, "pass"), (100, 0, "inconclusive"), (20_000, 3, "pass"), (1000, 1, "fail"),
     (3000, 2, "inconclusive")],
)  # fmt: skip
def test_the_error_rate_verdict_is_judged_on_its_bound(
    requests: int, errors: int, status: str
) -> None:
    target = load_deployment(ROOT, "prod").targets[0]
    result = _error_rate(target, _summary(requests, errors))
    assert result.status == status, result.message
    assert result.details["errorRateUpperBound"] == upper_bound(errors, requests)
    assert "95 % upper bound" in result.message and "Clopper-Pearson" in result.message


def test_latency_exactly_at_the_limit_fails_as_the_source_writes_it() -> None:
    target = load_deployment(ROOT, "prod").targets[0]  # llama-chat: P95 < 3 s
    assert _latency(target, _summary(100, 0, p95=3.0)).status == "fail"
    assert _latency(target, _summary(100, 0, p95=3.0)).message.startswith(
        "P95 3 s is not below 3 s"
    )
    assert _latency(target, _summary(100, 0, p95=2.999)).status == "pass"


# --- against loopback servers -----------------------------------------------------------------

LOAD = ["--endpoint", "marketing/llama-chat", "--requests", "20", "--concurrency", "20"]


def test_a_healthy_deployment_passes_every_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 5 % limit: 100 requests without an error show it (the default count, at least 100).
    project = project_with_error_limit(tmp_path / "project", 5)
    monkeypatch.setenv("PAIF_VERIFY_TOKEN", TOKEN)
    with OpenAIServer("healthy") as server:
        code, report = verify(tmp_path, "--url", server.url, "--progress", project=project)
    output = capsys.readouterr()
    assert code == 0, output.out
    assert report["passed"] is True and report["verdict"] == "passed"
    subjects = ("marketing/llama-chat", "marketing/embeddings")
    names = ("health", "models", "latency", "error-rate")
    assert verdicts(report) == {
        **{(n, s): "pass" for s in subjects for n in names},
        # §9.7.1 through the PAIS API: the knowledge base indexed, the agent answering.
        ("knowledge-base", "marketing/product-docs"): "pass",
        ("agent", "marketing/product-assistant"): "pass",
    }
    assert set(server.pais_authorizations) == {f"Bearer {TOKEN}"}
    rate = check(report, "error-rate", "marketing/llama-chat")
    assert rate["details"]["requests"] == 100
    assert rate["message"] == (
        "0 of 100 requests failed (0 %; 95 % upper bound 2.951 %, Clopper-Pearson), below 5 %"
    )
    assert rate["details"]["errorRateBoundMethod"] == "Clopper-Pearson, one-sided 95 %"
    # The token went out as a bearer header and appears in no output or report.
    assert set(server.authorizations) == {f"Bearer {TOKEN}"}
    assert len(server.authorizations) == 200
    written = "".join(p.read_text() for p in (tmp_path / "prod").iterdir())
    assert TOKEN not in output.out + output.err + written
    assert "PAIF_VERIFY_TOKEN is not set" not in output.err
    # A progress bar per endpoint on stderr; the table and summary on stdout.
    assert "marketing/llama-chat [" in output.err and "100/100\n" in output.err
    assert re.search(r"PASS +latency +marketing/llama-chat", output.out)
    assert "paif verify prod (seoul-primary): passed — 10 checks, 10 passed" in output.out
    suite = ET.parse(tmp_path / "prod" / "verify-junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("10", "0", "0")
    markdown = (tmp_path / "prod" / "verify.md").read_text()
    assert "| ✅ pass | latency | marketing/llama-chat | P50 " in markdown


def test_too_few_requests_to_show_the_error_rate_is_inconclusive_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OpenAIServer("healthy") as server:
        code, report = verify(tmp_path, "--url", server.url, *LOAD)
    output = capsys.readouterr()
    assert code == 3, output.err
    assert (report["passed"], report["verdict"]) == (False, "inconclusive")
    assert check(report, "error-rate", "marketing/llama-chat") == {
        "check": "error-rate",
        "subject": "marketing/llama-chat",
        "status": "inconclusive",
        "message": "0 of 20 requests failed (0 %; 95 % upper bound 13.91 %, Clopper-Pearson): "
        "too few requests to show it below 0.1 %; with no errors, 2995 requests would show it "
        "(--requests 2995)",
        "details": check(report, "error-rate", "marketing/llama-chat")["details"],
    }
    assert check(report, "error-rate", "marketing/llama-chat")["details"]["requestsNeeded"] == 2995
    assert "INCONCLUSIVE — 4 checks, 3 passed, 0 failed, 1 inconclusive, 0 skipped" in output.out
    (case,) = [
        c
        for c in ET.parse(tmp_path / "prod" / "verify-junit.xml").iter("testcase")
        if c.get("classname") == "error-rate"
    ]
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("inconclusive: 0 of 20")


def test_a_slow_deployment_fails_the_latency_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every 10th request takes 3.2 s: 2 of 20, so the 19th fastest (P95) is slow.
    with OpenAIServer("slow", slow_every=10, slow_seconds=3.2) as server:
        code, report = verify(tmp_path, "--url", server.url, *LOAD)
    assert code == 1
    assert verdicts(report) == {
        ("health", "marketing/llama-chat"): "pass",
        ("models", "marketing/llama-chat"): "pass",
        ("latency", "marketing/llama-chat"): "fail",
        # No error in 20 requests does not show a rate below 0.1 %.
        ("error-rate", "marketing/llama-chat"): "inconclusive",
    }
    latency = check(report, "latency", "marketing/llama-chat")
    assert re.fullmatch(
        r"P95 3\.\d+ s is not below 3 s \(P50 .* s, P95 .* s, P99 .* s\)", latency["message"]
    )
    assert latency["details"]["p95Seconds"] > 3
    assert re.search(
        r"FAIL          latency     marketing/llama-chat  P95 3\.\d+ s is not below 3 s",
        capsys.readouterr().out,
    )
    suite = ET.parse(tmp_path / "prod" / "verify-junit.xml").getroot().find("testsuite")
    assert suite is not None
    (failure,) = suite.iter("failure")
    assert failure.get("type") == "latency"


def test_an_erroring_deployment_fails_the_error_rate_check(tmp_path: Path) -> None:
    # Every 20th request answers 500: 1 of 20 is 5 %, above 0.1 %.
    with OpenAIServer("erroring", error_every=20) as server:
        code, report = verify(tmp_path, "--url", server.url, *LOAD)
    assert code == 1
    failed = [(c["check"], c["subject"]) for c in report["checks"] if c["status"] == "fail"]
    assert failed == [("error-rate", "marketing/llama-chat")]
    assert check(report, "error-rate", "marketing/llama-chat")["message"] == (
        "1 of 20 requests failed (5 %; 95 % upper bound 21.61 %, Clopper-Pearson), not below "
        "0.1 %: 1 HTTP 500; first: HTTP 500 Internal Server Error: "
        '\'{"error": {"message": "engine failed"}}\''
    )


def test_an_endpoint_that_does_not_serve_its_model_fails_the_model_check(tmp_path: Path) -> None:
    with OpenAIServer("healthy", models=("other-model",)) as server:
        code, report = verify(tmp_path, "--url", server.url, *LOAD)
    assert code == 1
    assert check(report, "models", "marketing/llama-chat")["message"] == (
        "model llama-chat is not listed (served: other-model)"
    )
    # Its sample requests are refused (404) too: every one is an error.
    assert check(report, "error-rate", "marketing/llama-chat")["details"]["errors"] == 20


def test_an_unreachable_endpoint_is_a_failed_check_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.prometheus_process import free_port

    url = f"http://127.0.0.1:{free_port()}"
    code, report = verify(tmp_path, "--url", url, "--endpoint", "marketing/llama-chat")
    output = capsys.readouterr()
    assert code == 1
    assert check(report, "health", "marketing/llama-chat")["message"] == (
        f"{url}: no answer to the health check: connection refused"
    )
    assert {c["status"] for c in report["checks"][1:]} == {"skip"}
    assert "Traceback" not in output.out + output.err


def test_an_unreachable_prometheus_is_a_failed_check(tmp_path: Path) -> None:
    from tests.support.prometheus_process import free_port

    prometheus = f"http://127.0.0.1:{free_port()}"
    with OpenAIServer("healthy") as server:
        code, report = verify(
            tmp_path, "--url", server.url, *LOAD, "--prometheus", prometheus, "--scale-wait", "0"
        )
    assert code == 1
    assert check(report, "prometheus", "seoul-primary")["message"] == (
        f"{prometheus} is unreachable: connection refused"
    )
    skipped = {(c["check"], c["status"]) for c in report["checks"] if c["check"] != "prometheus"}
    assert ("scaling", "skip") in skipped and ("alerts", "skip") in skipped


# --- bad input: exit 2, one line naming the problem ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--stack", "nope"],
            f"error: Pulumi.nope.yaml: no such stack file in {ROOT} (stacks here: dev, dr, prod)",
        ),
        (
            ["--stack", "prod", "--endpoint", "marketing/missing"],
            "error: Pulumi.prod.yaml: paif:tenants: declares no endpoint 'marketing/missing' "
            "running at seoul-primary (running here: marketing/embeddings, marketing/llama-chat)",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["verify", "--project-dir", str(ROOT), "--out", str(tmp_path), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == message
    assert "Traceback" not in err
    assert not (tmp_path / "prod").exists()


@pytest.mark.parametrize(
    "args",
    [["--requests", "0"], ["--url", "ftp://example.com"], ["--endpoint-url", "llama-chat=x"]],
)
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--stack", "prod", *args])
    assert exit_info.value.code == 2
    assert "paif verify: error: argument" in capsys.readouterr().err


def test_a_stack_without_ingress_needs_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = load_example("prod")
    del prod["paif:network"]["ingress"]
    project = write_project(tmp_path / "project", {"prod": prod})
    code = main(["verify", "--stack", "prod", "--project-dir", str(project)])
    assert code == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: Pulumi.prod.yaml: paif:network.ingress.fqdn: is not set, so endpoint "
        "marketing/llama-chat has no URL: pass --url URL (or --endpoint-url "
        "marketing/llama-chat=URL)"
    )


def test_a_dr_stack_verifies_what_runs_at_its_site() -> None:
    deployment = load_deployment(ROOT, "dr")
    assert deployment.config.site.name == "busan-dr"
    assert [(t.subject, t.kind, t.url) for t in deployment.targets] == [
        ("marketing/llama-chat", "completions", "https://ai-dr.example.com"),
        ("marketing/embeddings", "embeddings", "https://ai-dr.example.com"),
    ]
    # Warm standby runs one replica of each: nothing to autoscale, so no scaling check.
    assert {(t.endpoint.min_replicas, t.endpoint.max_replicas) for t in deployment.targets} == {
        (1, 1)
    }
    # Thresholds come with the tenants from Pulumi.prod.yaml (embeddings: 1 s).
    limits = {t.subject: t.endpoint.thresholds.p95_latency_seconds for t in deployment.targets}
    assert limits == {"marketing/llama-chat": 3.0, "marketing/embeddings": 1.0}


def test_a_pilot_light_dr_site_has_nothing_to_verify(tmp_path: Path) -> None:
    prod, dr = load_example("prod"), load_example("dr")
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = "pilot-light"
    project = write_project(tmp_path / "project", {"prod": prod, "dr": dr})
    assert load_deployment(project, "dr").targets == ()


@pytest.mark.parametrize("doc", ["README.md", "docs/quickstart.md"])
def test_the_docs_run_paif_verify_after_pulumi_up(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    up = text.index("pulumi up")
    assert up < text.index("paif verify --stack prod", up)
