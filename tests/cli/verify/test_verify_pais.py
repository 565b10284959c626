"""§9.7.1 over HTTP: a knowledge base available and indexed, an agent listed and answering,
through the PAIS REST operations (paif_cli.verify.pais) of a loopback server."""

from __future__ import annotations

from typing import Any

import pytest

from paif_cli.verify.client import Client
from paif_cli.verify.pais import (
    QUESTION,
    PaisTarget,
    agent_check,
    knowledge_base_check,
    pais_checks,
)
from tests.support.openai_server import OpenAIServer

TARGET = PaisTarget("marketing", "", ("product-docs",), ("product-assistant",))


def _client(server: OpenAIServer) -> Client:
    return Client(server.url, token="t0ken", timeout=5)


def _target(server: OpenAIServer) -> PaisTarget:
    return PaisTarget("marketing", server.url, TARGET.knowledge_bases, TARGET.agents)


def test_an_indexed_knowledge_base_and_an_answering_agent_pass() -> None:
    with OpenAIServer() as server:
        checks = pais_checks(_target(server), token="t0ken", timeout=5, wait_seconds=5)
    by_name = {c.name: c for c in checks}
    assert by_name["knowledge-base"].status == "pass"
    assert by_name["knowledge-base"].message == (
        "knowledge base 'product-docs' is available, 12 document(s) indexed"
    )
    assert by_name["agent"].status == "pass"
    assert by_name["agent"].message == (
        "agent 'product-assistant' answers: 'From the product documentation.'"
    )
    assert by_name["agent"].details["question"] == QUESTION
    assert server.questions == [QUESTION]
    assert set(server.pais_authorizations) == {"Bearer t0ken"}


@pytest.mark.parametrize(
    ("knowledge_bases", "message"),
    [
        (
            {},
            "PAIS lists no knowledge base 'product-docs': apply its configuration record "
            "(ConfigMap kb-product-docs)",
        ),
        (
            {"product-docs": ("ERROR", 12)},
            "knowledge base 'product-docs' is ERROR, not AVAILABLE",
        ),
        (
            {"product-docs": ("AVAILABLE", 0)},
            "knowledge base 'product-docs' is not indexed: its 1 index(es) hold no document",
        ),
    ],
)
def test_a_knowledge_base_missing_failing_or_empty_fails(
    knowledge_bases: dict[str, Any], message: str
) -> None:
    with OpenAIServer(knowledge_bases=knowledge_bases) as server:
        check = knowledge_base_check(_client(server), _target(server), "product-docs")
    assert (check.status, check.message) == ("fail", message)
    assert check.subject == "marketing/product-docs"


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        (
            {},
            "PAIS lists no agent 'product-assistant': apply its configuration record "
            "(ConfigMap agent-product-assistant)",
        ),
        (
            {"product-assistant": "failed"},
            "agent 'product-assistant' did not answer: its run is failed",
        ),
    ],
)
def test_an_agent_missing_or_failing_fails(agents: dict[str, str], message: str) -> None:
    with OpenAIServer(agents=agents) as server:
        check = agent_check(_client(server), _target(server), "product-assistant", wait_seconds=5)
    assert (check.status, check.message) == ("fail", message)


def test_a_run_that_never_ends_fails_after_the_wait() -> None:
    ticks = iter(range(100))
    with OpenAIServer(agents={"product-assistant": "in_progress"}) as server:
        check = agent_check(
            _client(server),
            _target(server),
            "product-assistant",
            wait_seconds=3,
            clock=lambda: float(next(ticks)),
            sleep=lambda _: None,
        )
    assert check.status == "fail"
    assert check.message == (
        "agent 'product-assistant' did not answer: its run is in_progress after 3 s"
    )


def test_no_pais_api_is_a_failed_check_naming_the_path() -> None:
    from tests.support.prometheus_process import free_port

    url = f"http://127.0.0.1:{free_port()}"
    target = PaisTarget("marketing", url, ("product-docs",), ())
    (check,) = pais_checks(target, token=None, timeout=2, wait_seconds=2)
    assert check.status == "fail"
    assert check.message == "/api/v1/control/knowledge-bases: connection refused"
