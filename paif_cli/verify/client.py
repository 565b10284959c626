"""HTTP against an OpenAI-compatible endpoint: health, model list, sample requests.

Standard library only (urllib). Every failure of a request becomes a value, never an exception:
no connection (refused, unresolved, connect timeout, TLS), no answer after connecting (timeout,
reset, connection closed), a broken answer (bad status line, body cut short), an HTTP error
status, and a 2xx whose body is not what the API answers (an HTML login page, a JSON error).
Each is named by a short ``kind`` (counted per run) and described in ``error``, with the first
bytes of a body that was not understood. The token is sent as a Bearer header and never printed.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from paif_cli.verify.stats import Sample
from paif_components.model_endpoint import HEALTH_PATH

MODELS_PATH: Final = "/v1/models"
PATHS: Final[dict[str, str]] = {
    "completions": "/v1/chat/completions",
    "embeddings": "/v1/embeddings",
}
# The smallest request that exercises the model: one token out, one short input in.
PROMPT: Final = "ping"
# Where ``paif verify`` reads the gateway's API token from.
TOKEN_VARIABLE: Final = "PAIF_VERIFY_TOKEN"
# How much of a body that was not understood a message shows.
SHOWN_BYTES: Final = 80
# Transport and protocol failures of one request (everything else is a bug and aborts the run).
TRANSPORT_ERRORS: Final = (OSError, http.client.HTTPException, ValueError)


@dataclass(frozen=True)
class Answer:
    status: int | None
    seconds: float
    body: bytes = b""
    error: str | None = None
    kind: str | None = None
    # Where the answer came from when urllib followed a redirect (a proxy's login page, say).
    redirected_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    def with_problem(self, problem: str, kind: str) -> Answer:
        """This answer as a failure: ``problem`` (plus where a redirect led) and its kind."""
        where = f" (after a redirect to {self.redirected_to})" if self.redirected_to else ""
        return Answer(self.status, self.seconds, self.body, problem + where, kind)


def first_bytes(body: bytes) -> str:
    """The start of a body as a message shows it: decoded, whitespace collapsed, quoted."""
    if not body:
        return "an empty body"
    text = " ".join(body[: SHOWN_BYTES * 2].decode("utf-8", "replace").split())
    more = "…" if len(text) > SHOWN_BYTES or len(body) > SHOWN_BYTES * 2 else ""
    return f"{text[:SHOWN_BYTES]!r}{more}"


def _root(exc: BaseException) -> BaseException:
    """The OS or TLS error behind urllib's URLError wrapper."""
    while isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    return exc


def classify(exc: BaseException, *, phase: str, timeout: float) -> tuple[str, str]:
    """(kind, message) of a failed request. ``phase`` is where it failed: ``connect`` (urllib
    wraps everything up to sending the request in URLError), ``answer`` (waiting for the status
    line and headers) or ``body`` (reading the body)."""
    connected = phase != "connect"
    exc = _root(exc)
    when = {"answer": "waiting for the answer", "body": "reading the body"}.get(phase, "")
    if isinstance(exc, http.client.IncompleteRead):
        got, expected = len(exc.partial), exc.expected
        total = f" of {got + expected}" if expected is not None else ""
        return "body cut short", f"body cut short: the connection closed after {got}{total} bytes"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed without answer", "the server closed the connection without an answer"
    if isinstance(exc, http.client.BadStatusLine):
        line = str(exc.args[0]) if exc.args else ""
        return "bad status line", f"not an HTTP answer: bad status line {line.strip()[:80]!r}"
    if isinstance(exc, http.client.HTTPException):
        return "bad HTTP answer", f"not a valid HTTP answer: {type(exc).__name__}: {exc}"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
        return "TLS error", f"TLS error: {reason}"
    if isinstance(exc, TimeoutError | socket.timeout):
        if "handshake" in str(exc):
            return (
                "TLS error",
                f"TLS error: no TLS handshake within {timeout:g} s after connecting (is the "
                "server speaking TLS?)",
            )
        if connected:
            return (
                "timeout after connect",
                f"timed out after connecting: no answer within {timeout:g} s while {when}",
            )
        return "connect timeout", f"could not connect within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused", "connection refused"
    if isinstance(exc, ConnectionResetError):
        where = f" while {when}" if connected else ""
        return "connection reset", f"connection reset by the server{where}"
    if isinstance(exc, socket.gaierror):
        return "name not resolved", f"host name not resolved: {exc.strerror or exc}"
    text = str(exc).strip() or type(exc).__name__
    return type(exc).__name__, text.removeprefix("<urlopen error ").removesuffix(">")


def failure_reason(exc: BaseException, *, timeout: float = 0.0, phase: str = "connect") -> str:
    """The message of :func:`classify` alone."""
    return classify(exc, phase=phase, timeout=timeout)[1]


def status_problem(status: int, token: str | None) -> str:
    """What an HTTP error status says, pointing at the token for 401 and 403."""
    reason = http.client.responses.get(status, "")
    text = f"HTTP {status}{' ' + reason if reason else ''}"
    if status == 401:
        if token:
            return f"{text}: the gateway refused the token in {TOKEN_VARIABLE}"
        return f"{text}: {TOKEN_VARIABLE} is not set, and the gateway wants a token"
    if status == 403:
        if token:
            return f"{text}: the token in {TOKEN_VARIABLE} is not allowed this request"
        return f"{text}: {TOKEN_VARIABLE} is not set"
    return text


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def body_problem(kind: str, body: bytes, dimensions: int | None = None) -> str | None:
    """Why a 2xx body is not an OpenAI-compatible answer of ``kind`` (None: it is one).

    A completion has ``choices`` whose first entry holds a ``message`` (chat) or ``text``; an
    embedding has ``data`` whose entries each hold an ``embedding`` of numbers, ``dimensions``
    of them when the endpoint declares it.
    """
    document = _json(body)
    if not isinstance(document, dict):
        what = "not JSON" if document is None else "not a JSON object"
        return f"answered 2xx with a body that is {what}: {first_bytes(body)}"
    if kind == "completions":
        choices = document.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return f"answered 2xx without completion choices: {first_bytes(body)}"
        choice = choices[0]
        if not isinstance(choice.get("message"), dict) and not isinstance(choice.get("text"), str):
            return f"answered 2xx with a choice without message or text: {first_bytes(body)}"
        return None
    data = document.get("data")
    if not isinstance(data, list) or not data:
        return f"answered 2xx without embedding data: {first_bytes(body)}"
    for item in data:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(vector, list) or not vector:
            return f"answered 2xx with an entry without an embedding: {first_bytes(body)}"
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vector):
            return "answered 2xx with an embedding that is not a list of numbers"
        if dimensions is not None and len(vector) != dimensions:
            return (
                f"answered 2xx with a {len(vector)}-dimensional embedding, not {dimensions} "
                "(model.dimensions)"
            )
    return None


def body_kind(problem: str) -> str:
    return "body not JSON" if "JSON" in problem.split(":", 1)[0] else "unexpected body"


class Client:
    """Requests to one base URL with an optional bearer token."""

    def __init__(self, base_url: str, *, token: str | None, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(self, path: str, payload: dict[str, Any] | None = None) -> Answer:
        headers = {"Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, headers=headers)
        start = time.perf_counter()
        phase = "connect"
        status: int | None = None
        try:
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                status, phase = exc.code, "body"
                body = exc.read() if exc.fp is not None else b""
                error = status_problem(exc.code, self.token)
                if body and exc.code not in (401, 403):
                    error += f": {first_bytes(body)}"
                return Answer(exc.code, time.perf_counter() - start, body, error, f"HTTP {status}")
            phase = "body"
            with response:
                status = response.status
                body = response.read()
                final = response.geturl()
            redirected = final != url
        except urllib.error.URLError as exc:
            # URLError wraps what failed before the request was sent (connect, TLS, DNS).
            kind, error = classify(exc, phase="connect", timeout=self.timeout)
            return Answer(None, time.perf_counter() - start, error=error, kind=kind)
        except TRANSPORT_ERRORS as exc:
            kind, error = classify(
                exc, phase="answer" if status is None else phase, timeout=self.timeout
            )
            return Answer(status, time.perf_counter() - start, error=error, kind=kind)
        seconds = time.perf_counter() - start
        return Answer(status, seconds, body, redirected_to=final if redirected else None)

    def health(self) -> Answer:
        return self._request(HEALTH_PATH)

    def models(self) -> tuple[Answer, list[str] | None]:
        """The model ids the server lists (None when the answer is not a model list); a 2xx
        that is no model list comes back with an ``error`` saying what it was."""
        answer = self._request(MODELS_PATH)
        if not answer.ok:
            return answer, None
        document = _json(answer.body)
        try:
            return answer, [str(m["id"]) for m in document["data"]]
        except (KeyError, TypeError):
            what = "is not JSON" if document is None else "has no data[].id list"
            error = f"answered {answer.status}, but the body {what}: {first_bytes(answer.body)}"
            return answer.with_problem(error, "unexpected body"), None

    def sample(self, kind: str, model: str, *, dimensions: int | None = None) -> Sample:
        if kind == "embeddings":
            payload: dict[str, Any] = {"model": model, "input": PROMPT}
        else:
            payload = {
                "model": model,
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 1,
            }
        answer = self._request(PATHS[kind], payload)
        if answer.ok:
            problem = body_problem(kind, answer.body, dimensions)
            if problem is not None:
                answer = answer.with_problem(problem, body_kind(problem))
        return Sample(answer.seconds, answer.status, answer.error, answer.kind)


def run_load(
    client: Client,
    kind: str,
    model: str,
    *,
    requests: int,
    concurrency: int,
    dimensions: int | None = None,
    per_second: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Sample]:
    """``requests`` sample requests, ``concurrency`` at a time and at most ``per_second`` of
    them started per second; ``progress(done)`` after each."""
    done = 0
    lock = threading.Lock()
    interval = 1.0 / per_second if per_second else 0.0
    next_start = time.monotonic()

    def one(_: int) -> Sample:
        nonlocal done, next_start
        if interval:
            with lock:
                slot, next_start = next_start, max(next_start, time.monotonic()) + interval
            time.sleep(max(0.0, slot - time.monotonic()))
        sample = client.sample(kind, model, dimensions=dimensions)
        with lock:
            done += 1
            if progress is not None:
                progress(done)
        return sample

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, range(requests)))
