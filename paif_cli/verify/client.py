"""HTTP against an OpenAI-compatible endpoint: health, model list, sample requests.

Standard library only (urllib); every failure becomes a value (status ``None`` and a reason),
never an exception, so an unreachable endpoint is a failed check with a message. The token is
sent as a Bearer header and never printed.
"""

from __future__ import annotations

import json
import socket
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


@dataclass(frozen=True)
class Answer:
    status: int | None
    seconds: float
    body: bytes = b""
    error: str | None = None


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = str(exc).strip() or type(exc).__name__
    return text.removeprefix("<urlopen error ").removesuffix(">")


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
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
                return Answer(response.status, time.perf_counter() - start, body)
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            return Answer(exc.code, time.perf_counter() - start, body, f"HTTP {exc.code}")
        except (OSError, ValueError, urllib.error.URLError) as exc:
            return Answer(None, time.perf_counter() - start, error=failure_reason(exc))

    def health(self) -> Answer:
        return self._request(HEALTH_PATH)

    def models(self) -> tuple[Answer, list[str] | None]:
        """The model ids the server lists (None when the answer is not a model list)."""
        answer = self._request(MODELS_PATH)
        if answer.status != 200:
            return answer, None
        try:
            document = json.loads(answer.body)
            return answer, [str(m["id"]) for m in document["data"]]
        except (ValueError, KeyError, TypeError):
            return answer, None

    def sample(self, kind: str, model: str) -> Sample:
        if kind == "embeddings":
            payload: dict[str, Any] = {"model": model, "input": PROMPT}
        else:
            payload = {
                "model": model,
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 1,
            }
        answer = self._request(PATHS[kind], payload)
        return Sample(answer.seconds, answer.status, answer.error)


def run_load(
    client: Client,
    kind: str,
    model: str,
    *,
    requests: int,
    concurrency: int,
    progress: Callable[[int], None] | None = None,
) -> list[Sample]:
    """``requests`` sample requests, ``concurrency`` at a time; ``progress(done)`` after each."""
    done = 0
    lock = threading.Lock()

    def one(_: int) -> Sample:
        nonlocal done
        sample = client.sample(kind, model)
        with lock:
            done += 1
            if progress is not None:
                progress(done)
        return sample

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, range(requests)))
