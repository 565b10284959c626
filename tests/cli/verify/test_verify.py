"""`paif verify` against OpenAI-compatible servers the tests start on loopback.

Healthy, slow (P95 > 3 s) and erroring (> 0.1 %) servers, an unreachable address, and bad
input; the checks against a real Prometheus are in test_verify_prometheus.py.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paif_cli.main import main
from paif_cli.verify.stats import Sample, percentile, summarize
from paif_cli.verify.targets import load_deployment
from tests.support.openai_server import OpenAIServer
from tests.support.stacks import ROOT, load_example, write_project

TOKEN = "tok-3b7e-never-printed"


def verify(out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["verify", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(out), *args])
    report = out / "prod" / "verify.json"
    return code, json.loads(report.read_text()) if report.exists() else {}


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
    samples = [Sample(0.1, 200), Sample(5.0, 500), Sample(0.2, None, "timed out"), Sample(0.3, 201)]
    summary = summarize(samples)
    assert (summary.requests, summary.errors, summary.error_rate) == (4, 2, 0.5)
    assert (summary.p50, summary.p95) == (0.1, 0.3)
    assert summary.first_error == "HTTP 500"


# --- against loopback servers -----------------------------------------------------------------

LOAD = ["--endpoint", "marketing/llama-chat", "--requests", "20", "--concurrency", "20"]


def test_a_healthy_deployment_passes_every_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAIF_VERIFY_TOKEN", TOKEN)
    with OpenAIServer("healthy") as server:
        code, report = verify(tmp_path, "--url", server.url, "--requests", "20", "--progress")
    output = capsys.readouterr()
    assert code == 0, output.out
    assert report["passed"] is True
    subjects = ("marketing/llama-chat", "marketing/embeddings")
    names = ("health", "models", "latency", "error-rate")
    assert verdicts(report) == {
        **{(n, s): "pass" for s in subjects for n in names},
        # §9.7.1 through the PAIS API: the knowledge base indexed, the agent answering.
        ("knowledge-base", "marketing/product-docs"): "pass",
        ("agent", "marketing/product-assistant"): "pass",
    }
    assert set(server.pais_authorizations) == {f"Bearer {TOKEN}"}
    assert check(report, "error-rate", "marketing/llama-chat")["details"]["requests"] == 20
    # The token went out as a bearer header and appears in no output or report.
    assert set(server.authorizations) == {f"Bearer {TOKEN}"}
    assert len(server.authorizations) == 40
    written = "".join(p.read_text() for p in (tmp_path / "prod").iterdir())
    assert TOKEN not in output.out + output.err + written
    # A progress bar per endpoint on stderr; the table and summary on stdout.
    assert "marketing/llama-chat [" in output.err and "20/20\n" in output.err
    assert re.search(r"PASS +latency +marketing/llama-chat", output.out)
    assert "paif verify prod (seoul-primary): passed — 10 checks, 10 passed" in output.out
    suite = ET.parse(tmp_path / "prod" / "verify-junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("10", "0", "0")
    markdown = (tmp_path / "prod" / "verify.md").read_text()
    assert "| ✅ pass | latency | marketing/llama-chat | P50 " in markdown


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
        ("error-rate", "marketing/llama-chat"): "pass",
    }
    latency = check(report, "latency", "marketing/llama-chat")
    assert re.fullmatch(
        r"P95 3\.\d+ s is above 3 s \(P50 .* s, P95 .* s, P99 .* s\)", latency["message"]
    )
    assert latency["details"]["p95Seconds"] > 3
    assert re.search(
        r"FAIL    latency     marketing/llama-chat  P95 3\.\d+ s is above 3 s",
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
        "1 of 20 requests failed (5 %, above 0.1 %); first: HTTP 500"
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
        f"{url} is unreachable: connection refused"
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
