"""An OpenAI-compatible server on loopback for ``paif verify`` tests, with a /metrics page.

It stands in for a model endpoint behind the gateway: ``/health``, ``/v1/models``,
``/v1/chat/completions`` and ``/v1/embeddings``, in one of three modes:

- ``healthy``: answers at once;
- ``slow``: every ``slow_every``-th request takes ``slow_seconds`` (P95 above 3 s when at
  least 5 % of the requests are slow);
- ``erroring``: every ``error_every``-th request answers 500.

``/metrics`` exposes what a real Prometheus scrapes from such a deployment, under the names
``paif_components.observability.metrics`` queries: vLLM's latency histogram and
``http_requests_total`` (the endpoint), the autoscaler's replica count (kube-state-metrics:
it rises from ``replicas[0]`` to ``replicas[1]`` after ``scale_after`` requests, as an HPA
would under load) and a log shipper's record counter (Fluent Bit: one record per request).
``POST /api/v2/alerts`` records what Prometheus delivers, standing in for Alertmanager.

It also answers the PAIS REST operations ``paif verify`` reads knowledge bases and agents
through (``paif_cli.verify.pais``), in the shapes PAIS's reference publishes: the knowledge
base list and a knowledge base's indexes (``knowledge_bases``: name -> (status, documents)),
the agent list, and OpenAI's Assistants run (``agents``: name -> the status a run ends in).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# vLLM's buckets of vllm:e2e_request_latency_seconds.
BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0)


class _Server(ThreadingHTTPServer):
    # Room for every concurrent test client: the default backlog of 5 makes the kernel drop
    # connections, and a retried SYN adds a second to a request.
    request_queue_size = 128
    daemon_threads = True


class OpenAIServer:
    def __init__(
        self,
        mode: str = "healthy",
        *,
        models: tuple[str, ...] = ("llama-chat", "embeddings"),
        namespace: str = "marketing-ns",
        hpa: str | None = "keda-hpa-llama-chat",
        replicas: tuple[int, int] = (2, 3),
        scale_after: int = 10,
        slow_every: int = 10,
        slow_seconds: float = 3.2,
        error_every: int = 20,
        knowledge_bases: dict[str, tuple[str, int]] | None = None,
        agents: dict[str, str] | None = None,
        dimensions: int = 1024,
    ) -> None:
        assert mode in ("healthy", "slow", "erroring")
        self.mode = mode
        self.models = models
        self.namespace, self.hpa = namespace, hpa
        self.replicas, self.scale_after = replicas, scale_after
        self.slow_every, self.slow_seconds = slow_every, slow_seconds
        self.error_every = error_every
        self.knowledge_bases = (
            {"product-docs": ("AVAILABLE", 12)} if knowledge_bases is None else knowledge_bases
        )
        self.agents = {"product-assistant": "completed"} if agents is None else agents
        self.runs: dict[str, str] = {}
        self.pais_authorizations: list[str | None] = []
        self.questions: list[str] = []
        self.dimensions = dimensions
        self.lock = threading.Lock()
        self.requests = 0
        self.statuses: Counter[str] = Counter()
        self.bucket_counts = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.authorizations: list[str | None] = []
        self.alerts: list[dict[str, Any]] = []
        self.httpd = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> OpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- behaviour ----------------------------------------------------------------------

    def _serve(self) -> tuple[int, float]:
        """(status, delay) of the next inference request."""
        with self.lock:
            self.requests += 1
            number = self.requests
        if self.mode == "slow" and number % self.slow_every == 0:
            return 200, self.slow_seconds
        if self.mode == "erroring" and number % self.error_every == 0:
            return 500, 0.0
        return 200, 0.0

    def _record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[f"{status // 100}xx"] += 1
            if status < 300:
                self.latency_sum += seconds
                self.latency_count += 1
                for i, bound in enumerate(BUCKETS):
                    if seconds <= bound:
                        self.bucket_counts[i] += 1

    def metrics(self) -> str:
        with self.lock:
            lines = ["# TYPE vllm:e2e_request_latency_seconds histogram"]
            for bound, count in zip(BUCKETS, self.bucket_counts, strict=True):
                lines.append(f'vllm:e2e_request_latency_seconds_bucket{{le="{bound}"}} {count}')
            lines += [
                f'vllm:e2e_request_latency_seconds_bucket{{le="+Inf"}} {self.latency_count}',
                f"vllm:e2e_request_latency_seconds_sum {self.latency_sum}",
                f"vllm:e2e_request_latency_seconds_count {self.latency_count}",
                "# TYPE http_requests_total counter",
            ]
            for status in ("2xx", "5xx"):
                lines.append(
                    f'http_requests_total{{handler="/v1",method="POST",status="{status}"}} '
                    f"{self.statuses[status]}"
                )
            if self.hpa is not None:
                current = (
                    self.replicas[1] if self.requests >= self.scale_after else self.replicas[0]
                )
                lines += [
                    "# TYPE kube_horizontalpodautoscaler_status_current_replicas gauge",
                    "kube_horizontalpodautoscaler_status_current_replicas"
                    f'{{namespace="{self.namespace}",horizontalpodautoscaler="{self.hpa}"}} '
                    f"{current}",
                ]
            lines += [
                "# TYPE fluentbit_output_proc_records_total counter",
                f'fluentbit_output_proc_records_total{{name="audit"}} {self.requests}',
            ]
        return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _pais_get(self) -> bool:
                """PAIS's REST reads (module doc); False when the path is none of them."""
                kbs = "/api/v1/control/knowledge-bases"
                threads = "/api/v1/compatibility/openai/v1/threads/"
                if self.path == kbs:
                    data = [
                        {"id": f"kb-{n}", "name": n, "status": s, "object": "knowledge_base"}
                        for n, (s, _) in server.knowledge_bases.items()
                    ]
                    self._send(200, {"object": "list", "data": data})
                elif self.path.startswith(kbs + "/kb-") and self.path.endswith("/indexes"):
                    name = self.path[len(kbs) + 4 : -len("/indexes")]
                    _, documents = server.knowledge_bases.get(name, ("", 0))
                    index = {"id": f"ix-{name}", "num_documents": documents, "status": "AVAILABLE"}
                    self._send(200, {"object": "list", "data": [index]})
                elif self.path == "/api/v1/compatibility/openai/v1/assistants":
                    data = [{"id": f"asst-{n}", "name": n} for n in server.agents]
                    self._send(200, {"object": "list", "data": data})
                elif self.path.startswith(threads) and "/runs/" in self.path:
                    run = self.path.rsplit("/", 1)[-1]
                    self._send(200, {"id": run, "status": server.runs.get(run, "expired")})
                elif self.path.startswith(threads) and self.path.endswith("/messages"):
                    reply = {"type": "text", "text": {"value": "From the product documentation."}}
                    data = [{"role": "assistant", "content": [reply]}]
                    self._send(200, {"object": "list", "data": data})
                else:
                    return False
                return True

            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/"):
                    with server.lock:
                        server.pais_authorizations.append(self.headers.get("Authorization"))
                if self._pais_get():
                    return
                if self.path == "/health":
                    self._send(200, "", "text/plain")
                elif self.path == "/v1/models":
                    data = [{"id": m, "object": "model"} for m in server.models]
                    self._send(200, {"object": "list", "data": data})
                elif self.path == "/metrics":
                    self._send(200, server.metrics(), "text/plain; version=0.0.4")
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"null")
                if self.path == "/api/v2/alerts":
                    with server.lock:
                        server.alerts.extend(payload or [])
                    self._send(200, {})
                    return
                if self.path == "/api/v1/compatibility/openai/v1/threads/runs":
                    agent = str((payload or {}).get("assistant_id", "")).removeprefix("asst-")
                    question = (payload or {})["thread"]["messages"][0]["content"]
                    with server.lock:
                        run = f"run-{len(server.runs) + 1}"
                        server.runs[run] = server.agents.get(agent, "failed")
                        server.questions.append(question)
                    self._send(200, {"id": run, "thread_id": "thread-1", "status": "queued"})
                    return
                if self.path not in ("/v1/chat/completions", "/v1/embeddings"):
                    self._send(404, {"error": "not found"})
                    return
                with server.lock:
                    server.authorizations.append(self.headers.get("Authorization"))
                if (payload or {}).get("model") not in server.models:
                    self._send(404, {"error": {"message": "model not found"}})
                    return
                start = time.perf_counter()
                status, delay = server._serve()
                time.sleep(delay)
                if status != 200:
                    server._record(status, time.perf_counter() - start)
                    self._send(status, {"error": {"message": "engine failed"}})
                    return
                if self.path == "/v1/embeddings":
                    body: dict[str, Any] = {
                        "object": "list",
                        "data": [
                            {
                                "object": "embedding",
                                "index": 0,
                                "embedding": [0.01] * server.dimensions,
                            }
                        ],
                    }
                else:
                    body = {
                        "object": "chat.completion",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}}],
                    }
                server._record(200, time.perf_counter() - start)
                self._send(200, body)

        return Handler
