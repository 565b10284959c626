"""`paif verify` against a server that misbehaves (``misbehaving_server``): bodies cut short,
status lines that are not HTTP, HTML or JSON errors answered with 200, 401 and 403, a hang after
accepting, resets, a wrong embedding length, TLS to a plain server, a Prometheus URL that is not
one. Each is a failed check naming what was seen, the run ends with exit 1 (never an abort),
and the reports on disk are this run's: an earlier run's passing report is gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.misbehaving_server import MisbehavingServer
from tests.support.stacks import ROOT

STALE = {"stack": "prod", "passed": True, "verdict": "passed", "checks": []}
CHAT = "marketing/llama-chat"
EMBEDDINGS = "marketing/embeddings"


def verify(out: Path, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    """A run with an earlier run's passing reports in place, which must not survive it."""
    folder = out / "prod"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "verify.json").write_text(json.dumps(STALE))
    (folder / "verify.md").write_text("all passed\n")
    (folder / "verify-junit.xml").write_text("<testsuites/>\n")
    argv = ["verify", "--stack", "prod", "--project-dir", str(ROOT), "--out", str(out)]
    code = main([*argv, "--url", url, "--max-rate", "1000", "--concurrency", "5", *args])
    report = json.loads((folder / "verify.json").read_text())
    assert "started" in report and report != STALE
    assert "all passed" not in (folder / "verify.md").read_text()
    return code, report


def check(report: dict[str, Any], name: str, subject: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if (c["check"], c["subject"]) == (name, subject))


def failed(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["check"], c["subject"]) for c in report["checks"] if c["status"] == "fail"]


# (mode, every, endpoint, error kind counted, the first error's message)
ONE_IN_25 = [
    (
        "cut",
        25,
        CHAT,
        "body cut short",
        "body cut short: the connection closed after 10 of 1000 bytes",
    ),
    (
        "bad-status",
        25,
        CHAT,
        "bad status line",
        "not an HTTP answer: bad status line 'HELLO'",
    ),
    ("reset", 25, CHAT, "connection reset", "connection reset by the server while "),
    (
        "html",
        25,
        CHAT,
        "body not JSON",
        'answered 2xx with a body that is not JSON: "<!DOCTYPE html> <html><head><title>Sign '
        "in</title></head> <body><form action='/l\"…",
    ),
    (
        "json-error",
        25,
        CHAT,
        "unexpected body",
        "answered 2xx without completion choices: "
        '\'{"error": {"message": "upstream overloaded"}}\'',
    ),
    (
        "wrong-dimensions",
        25,
        EMBEDDINGS,
        "unexpected body",
        "answered 2xx with a 3-dimensional embedding, not 1024 (model.dimensions)",
    ),
]


@pytest.mark.parametrize(
    ("mode", "every", "subject", "kind", "first"), ONE_IN_25, ids=[c[0] for c in ONE_IN_25]
)
def test_one_bad_answer_in_25_is_a_failed_request_of_its_kind_not_an_abort(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    every: int,
    subject: str,
    kind: str,
    first: str,
) -> None:
    with MisbehavingServer(mode, every=every) as server:
        code, report = verify(tmp_path, server.url, "--endpoint", subject, "--requests", "25")
    output = capsys.readouterr()
    assert code == 1, output.err
    assert server.misbehaved == 1
    assert (report["passed"], report["verdict"]) == (False, "failed")
    assert failed(report) == [("error-rate", subject)]
    rate = check(report, "error-rate", subject)
    assert rate["details"]["errors"] == 1
    assert rate["details"]["errorKinds"] == {kind: 1}
    assert rate["message"].startswith(
        "1 of 25 requests failed (4 %; 95 % upper bound 17.61 %, Clopper-Pearson), not below "
        f"0.1 %: 1 {kind}; first: {first}"
    ), rate["message"]
    # The 24 good answers still give the latency.
    assert check(report, "latency", subject)["status"] == "pass"
    assert "Traceback" not in output.out + output.err and "program failed" not in output.err


def test_a_server_that_accepts_and_hangs_times_out_after_connecting(tmp_path: Path) -> None:
    with MisbehavingServer("hang", scope="all") as server:
        code, report = verify(tmp_path, server.url, "--endpoint", CHAT, "--timeout", "0.5")
    assert code == 1
    assert failed(report) == [("health", CHAT)]
    health = check(report, "health", CHAT)
    assert health["message"] == (
        f"{server.url}: no answer to the health check: timed out after connecting: no answer "
        "within 0.5 s while waiting for the answer"
    )
    assert health["details"]["kind"] == "timeout after connect"
    assert {c["status"] for c in report["checks"][1:]} == {"skip"}


def test_sample_requests_that_hang_fail_latency_and_error_rate(tmp_path: Path) -> None:
    with MisbehavingServer("hang") as server:
        code, report = verify(
            tmp_path, server.url, "--endpoint", CHAT, "--timeout", "0.5", "--requests", "5"
        )
    assert code == 1
    assert failed(report) == [("latency", CHAT), ("error-rate", CHAT)]
    rate = check(report, "error-rate", CHAT)
    assert rate["details"]["errorKinds"] == {"timeout after connect": 5}
    assert check(report, "latency", CHAT)["message"].startswith(
        "no request succeeded (first error: timed out after connecting: no answer within 0.5 s"
    )


@pytest.mark.parametrize("token", [None, "tok-refused"])
def test_401_names_the_token_variable(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    token: str | None,
) -> None:
    if token is None:
        monkeypatch.delenv("PAIF_VERIFY_TOKEN", raising=False)
    else:
        monkeypatch.setenv("PAIF_VERIFY_TOKEN", token)
    with MisbehavingServer("unauthorized", scope="v1") as server:
        code, report = verify(tmp_path, server.url, "--endpoint", CHAT, "--requests", "5")
    err = capsys.readouterr().err
    assert code == 1
    assert failed(report) == [("models", CHAT), ("latency", CHAT), ("error-rate", CHAT)]
    why = (
        "PAIF_VERIFY_TOKEN is not set, and the gateway wants a token"
        if token is None
        else "the gateway refused the token in PAIF_VERIFY_TOKEN"
    )
    assert check(report, "models", CHAT)["message"] == (
        f"no model list at /v1/models: HTTP 401 Unauthorized: {why}"
    )
    assert check(report, "error-rate", CHAT)["message"].endswith(
        f": 5 HTTP 401; first: HTTP 401 Unauthorized: {why}"
    )
    warning = "warning: PAIF_VERIFY_TOKEN is not set: requests go without a bearer token"
    assert (warning in err) == (token is None)
    assert token is None or token not in json.dumps(report)


def test_403_names_the_token_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIF_VERIFY_TOKEN", "tok-not-allowed")
    with MisbehavingServer("forbidden") as server:
        code, report = verify(tmp_path, server.url, "--endpoint", CHAT, "--requests", "5")
    assert code == 1
    assert check(report, "error-rate", CHAT)["message"].endswith(
        "first: HTTP 403 Forbidden: the token in PAIF_VERIFY_TOKEN is not allowed this request"
    )


def test_an_html_page_instead_of_the_model_list_says_what_it_was(tmp_path: Path) -> None:
    with MisbehavingServer("html", scope="v1") as server:
        code, report = verify(tmp_path, server.url, "--endpoint", CHAT, "--requests", "5")
    assert code == 1
    message = check(report, "models", CHAT)["message"]
    assert message.startswith(
        'no model list at /v1/models: answered 200, but the body is not JSON: "<!DOCTYPE html>'
    ), message
    assert check(report, "error-rate", CHAT)["details"]["errorKinds"] == {"body not JSON": 5}


def test_tls_to_a_plain_http_server_is_a_tls_error(tmp_path: Path) -> None:
    with MisbehavingServer("html", every=10**6) as server:
        url = server.url.replace("http://", "https://")
        code, report = verify(tmp_path, url, "--endpoint", CHAT, "--timeout", "5")
    assert code == 1
    health = check(report, "health", CHAT)
    assert health["details"]["kind"] == "TLS error"
    assert health["message"].startswith(f"{url}: no answer to the health check: TLS error: ")


def test_a_prometheus_url_that_answers_404_says_so(tmp_path: Path) -> None:
    with (
        MisbehavingServer("html", every=10**6) as gateway,
        MisbehavingServer("not-found", scope="all") as other,
    ):
        code, report = verify(
            tmp_path,
            gateway.url,
            "--endpoint",
            CHAT,
            "--requests",
            "5",
            "--prometheus",
            other.url,
            "--scale-wait",
            "0",
        )
    assert code == 1
    assert check(report, "prometheus", "seoul-primary")["message"] == (
        f"{other.url}/api/v1/status/buildinfo answered HTTP 404 (is {other.url} the Prometheus "
        "server?): '<html><body>404 Not Found</body></html>'"
    )
    assert check(report, "alerts", "seoul-primary")["message"] == (
        "not checked: Prometheus did not answer with data (see the prometheus check)"
    )


def test_a_run_that_breaks_off_writes_a_report_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import paif_cli.verify.run as run

    def broken(samples: object) -> object:
        raise RuntimeError("summary exploded")

    monkeypatch.setattr(run, "summarize", broken)
    with MisbehavingServer("html", every=10**6) as server:
        code, report = verify(tmp_path, server.url, "--endpoint", CHAT, "--requests", "5")
    err = capsys.readouterr().err
    assert code == 2
    assert (report["passed"], report["verdict"]) == (False, "aborted")
    aborted = report["checks"][-1]
    assert (aborted["check"], aborted["status"]) == ("run", "fail")
    assert aborted["message"].startswith("aborted: RuntimeError: summary exploded (")
    # What was checked before the break is kept.
    assert [c["check"] for c in report["checks"]] == ["health", "models", "run"]
    assert err.splitlines()[-1].startswith("error: paif verify aborted: RuntimeError:")
