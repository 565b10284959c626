"""§9.7.1 "knowledge base created and indexed", "agent created and tested", checked over HTTP.

Knowledge bases and agents are objects of PAIS's REST API, not of the stack (the stack renders
configuration records a person or pipeline applies: ``paif_components.knowledge_base``). After
deployment ``paif verify`` asks the tenant's PAIS API (the same address as its gateway) what
the published reference lets it ask (``schemas/SOURCES.md``, "PAIS kinds", [REST]):

- ``knowledge-base``: ``GET /api/v1/control/knowledge-bases`` lists it by name with status
  ``AVAILABLE``, and ``GET /api/v1/control/knowledge-bases/{id}/indexes`` shows an index holding
  documents (``num_documents`` > 0): created and indexed;
- ``agent``: ``GET /api/v1/compatibility/openai/v1/assistants`` lists it by name, and it
  answers a question. PAIS's agent API follows OpenAI's Assistants API (its reference says the
  field names are copied from it); the run goes the OpenAI way: ``POST .../threads/runs`` with
  the agent's id and the question, ``GET .../threads/{thread}/runs/{run}`` until the run ends,
  ``GET .../threads/{thread}/messages`` for the answer. An agent that uses knowledge bases
  retrieves from them to answer, so this is also the knowledge bases' retrieval check: PAIS's
  published reference shows no retrieval operation of a knowledge base's own.

Lists are read as a JSON array or as OpenAI's ``{"object": "list", "data": [...]}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from paif_cli.verify.client import Client, first_bytes
from paif_cli.verify.report import Check

KNOWLEDGE_BASES_PATH: Final = "/api/v1/control/knowledge-bases"
ASSISTANTS_PATH: Final = "/api/v1/compatibility/openai/v1/assistants"
THREADS_PATH: Final = "/api/v1/compatibility/openai/v1/threads"
AVAILABLE: Final = "AVAILABLE"
# OpenAI run states after which nothing changes by waiting.
FINISHED_RUN_STATES: Final = frozenset(
    {"completed", "failed", "cancelled", "expired", "incomplete", "requires_action"}
)
# What an agent is asked: a question any grounded agent can answer from its sources.
QUESTION: Final = "In one sentence, which documents do you answer from?"
RUN_POLL_SECONDS: Final = 1.0


@dataclass(frozen=True)
class PaisTarget:
    """One tenant's PAIS API, with the knowledge bases and agents it should hold."""

    tenant: str
    url: str
    knowledge_bases: tuple[str, ...]
    agents: tuple[str, ...]


class PaisError(Exception):
    """An answer that is not what the PAIS API answers (a message for the check)."""


def _json(client: Client, path: str, payload: dict[str, Any] | None = None) -> Any:
    answer = client._request(path, payload)  # the verify client's one request primitive
    if not answer.ok:
        # The client names the failure: its kind, a 401/403 naming the token, the body's start.
        raise PaisError(f"{path}: {answer.error or f'answered {answer.status}'}")
    try:
        return json.loads(answer.body)
    except ValueError:
        where = f" (after a redirect to {answer.redirected_to})" if answer.redirected_to else ""
        raise PaisError(
            f"{path} answered {answer.status} with no JSON: {first_bytes(answer.body)}{where}"
        ) from None


def _items(document: Any, path: str) -> list[dict[str, Any]]:
    items = document.get("data") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PaisError(f"{path} answered no list")
    return items


def _listed(client: Client, path: str, name: str, what: str, record: str) -> dict[str, Any]:
    """The object ``path`` lists by ``name``; PaisError naming its configuration record if none."""
    found = next((i for i in _items(_json(client, path), path) if i.get("name") == name), None)
    if found is None:
        raise PaisError(
            f"PAIS lists no {what} {name!r}: apply its configuration record (ConfigMap {record})"
        )
    return found


def knowledge_base_check(client: Client, target: PaisTarget, name: str) -> Check:
    subject = f"{target.tenant}/{name}"
    try:
        found = _listed(client, KNOWLEDGE_BASES_PATH, name, "knowledge base", f"kb-{name}")
        status = found.get("status")
        if status is not None and status != AVAILABLE:
            return Check(
                "knowledge-base",
                subject,
                "fail",
                f"knowledge base {name!r} is {status}, not {AVAILABLE}",
                {"id": found.get("id"), "status": status},
            )
        path = f"{KNOWLEDGE_BASES_PATH}/{found.get('id')}/indexes"
        indexes = _items(_json(client, path), path)
    except PaisError as exc:
        return Check("knowledge-base", subject, "fail", str(exc))
    documents = sum(int(i.get("num_documents") or 0) for i in indexes)
    details = {"id": found.get("id"), "indexes": len(indexes), "documents": documents}
    if not indexes:
        return Check(
            "knowledge-base", subject, "fail", f"knowledge base {name!r} has no index", details
        )
    if documents == 0:
        return Check(
            "knowledge-base",
            subject,
            "fail",
            f"knowledge base {name!r} is not indexed: its {len(indexes)} index(es) hold no "
            "document",
            details,
        )
    return Check(
        "knowledge-base",
        subject,
        "pass",
        f"knowledge base {name!r} is available, {documents} document(s) indexed",
        details,
    )


def _answer_text(messages: list[dict[str, Any]]) -> str:
    """The text of the agent's reply in an OpenAI messages list (content parts of type text)."""
    for message in messages:
        if message.get("role") != "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            return content.strip()
        for part in content if isinstance(content, list) else []:
            text = part.get("text") if isinstance(part, dict) else None
            value = text.get("value") if isinstance(text, dict) else text
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def agent_check(
    client: Client,
    target: PaisTarget,
    name: str,
    *,
    wait_seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Check:
    subject = f"{target.tenant}/{name}"
    try:
        found = _listed(client, ASSISTANTS_PATH, name, "agent", f"agent-{name}")
        run = _json(
            client,
            f"{THREADS_PATH}/runs",
            {
                "assistant_id": found.get("id"),
                "thread": {"messages": [{"role": "user", "content": QUESTION}]},
            },
        )
        thread, run_id = run.get("thread_id"), run.get("id")
        deadline = clock() + wait_seconds
        while run.get("status") not in FINISHED_RUN_STATES and clock() < deadline:
            sleep(RUN_POLL_SECONDS)
            run = _json(client, f"{THREADS_PATH}/{thread}/runs/{run_id}")
        status = run.get("status")
        details: dict[str, Any] = {"id": found.get("id"), "run": run_id, "status": status}
        if status != "completed":
            return Check(
                "agent",
                subject,
                "fail",
                f"agent {name!r} did not answer: its run is {status or 'without a status'}"
                + (f" after {wait_seconds:g} s" if status not in FINISHED_RUN_STATES else ""),
                details,
            )
        path = f"{THREADS_PATH}/{thread}/messages"
        text = _answer_text(_items(_json(client, path), path))
    except PaisError as exc:
        return Check("agent", subject, "fail", str(exc))
    if not text:
        return Check("agent", subject, "fail", f"agent {name!r} answered nothing", details)
    shown = text if len(text) <= 80 else text[:80] + "…"
    details["question"] = QUESTION
    return Check("agent", subject, "pass", f"agent {name!r} answers: {shown!r}", details)


def pais_checks(
    target: PaisTarget, *, token: str | None, timeout: float, wait_seconds: float
) -> list[Check]:
    """Every knowledge base and agent check of one tenant's PAIS API."""
    client = Client(target.url, token=token, timeout=timeout)
    checks = [knowledge_base_check(client, target, kb) for kb in target.knowledge_bases]
    checks += [
        agent_check(client, target, agent, wait_seconds=wait_seconds) for agent in target.agents
    ]
    return checks
