"""A server on loopback that misbehaves the way real gateways and proxies do, for `paif verify`.

Unlike ``openai_server.OpenAIServer`` (a well-behaved endpoint), this one speaks HTTP by hand
over a raw socket, so it can break the protocol itself. Every ``every``-th request on the paths
of ``scope`` gets the misbehaviour of ``mode``; all others get a correct OpenAI-compatible
answer (``/health``, ``/v1/models``, chat completions, embeddings of ``dimensions`` numbers):

- ``cut``: 200 with ``Content-Length: 1000`` and a 10-byte body, then the connection closes;
- ``bad-status``: a status line that is not HTTP (``HELLO``), then close;
- ``html``: 200 with a proxy's HTML login page;
- ``json-error``: 200 with ``{"error": ...}`` and no choices or data;
- ``wrong-dimensions``: embeddings of 3 numbers;
- ``unauthorized``: 401 with ``WWW-Authenticate: Bearer``;
- ``forbidden``: 403;
- ``hang``: reads the request and never answers (until the server stops);
- ``reset``: reads the request and resets the connection (RST);
- ``not-found``: 404 with an HTML page (a URL that is not the service's).

``scope`` is ``inference`` (the two POST paths), ``v1`` (everything under ``/v1``) or ``all``.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from typing import Any

MODES = (
    "cut",
    "bad-status",
    "html",
    "json-error",
    "wrong-dimensions",
    "unauthorized",
    "forbidden",
    "hang",
    "reset",
    "not-found",
)
LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
    b"<body><form action='/login'>Please sign in to continue</form></body></html>\n"
)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


class MisbehavingServer:
    def __init__(
        self,
        mode: str,
        *,
        every: int = 1,
        scope: str = "inference",
        models: tuple[str, ...] = ("llama-chat", "embeddings"),
        dimensions: int = 1024,
    ) -> None:
        assert mode in MODES, mode
        assert scope in ("inference", "v1", "all"), scope
        self.mode, self.every, self.scope = mode, every, scope
        self.models, self.dimensions = models, dimensions
        self.lock = threading.Lock()
        self.counted = 0
        self.misbehaved = 0
        self.stopping = threading.Event()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> MisbehavingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    # --- what to answer -----------------------------------------------------------------------

    def _in_scope(self, path: str) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "v1":
            return path.startswith("/v1/")
        return path in ("/v1/chat/completions", "/v1/embeddings")

    def _misbehaves(self, path: str) -> bool:
        if not self._in_scope(path):
            return False
        with self.lock:
            self.counted += 1
            bad = self.counted % self.every == 0
            self.misbehaved += bad
        return bad

    def _good(self, method: str, path: str, payload: Any) -> tuple[int, bytes, str]:
        if path == "/health":
            return 200, b"", "text/plain"
        if path == "/v1/models":
            data = [{"id": m, "object": "model"} for m in self.models]
            return 200, json.dumps({"object": "list", "data": data}).encode(), "application/json"
        if method == "POST" and path == "/v1/chat/completions":
            body = {
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}}],
            }
            return 200, json.dumps(body).encode(), "application/json"
        if method == "POST" and path == "/v1/embeddings":
            vector = [0.01] * self.dimensions
            body = {"object": "list", "data": [{"object": "embedding", "embedding": vector}]}
            return 200, json.dumps(body).encode(), "application/json"
        return 404, b'{"error": "not found"}', "application/json"

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                reader = sock.makefile("rb")
                if reader.peek(1)[:1] == b"\x16":  # a TLS handshake: answer as plain HTTP does
                    _send(sock, 400, b"plain HTTP here", "text/plain")
                    sock.close()
                    return
                while True:  # keep-alive: one request after another on the connection
                    request = _read_request(reader)
                    if request is None:
                        return
                    method, path, payload = request
                    if server._misbehaves(path):
                        server._misbehave(sock, path)
                        return
                    status, body, content_type = server._good(method, path, payload)
                    _send(sock, status, body, content_type)

        return Handler

    def _misbehave(self, sock: socket.socket, path: str) -> None:
        mode = self.mode
        if mode == "cut":
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\nConnection: close\r\n\r\n" + b'{"choices"'
            )
        elif mode == "bad-status":
            sock.sendall(b"HELLO\r\n\r\n")
        elif mode == "html":
            _send(sock, 200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif mode == "json-error":
            body = json.dumps({"error": {"message": "upstream overloaded"}}).encode()
            _send(sock, 200, body, "application/json")
        elif mode == "wrong-dimensions":
            body = json.dumps({"data": [{"embedding": [0.1, 0.2, 0.3]}]}).encode()
            _send(sock, 200, body, "application/json")
        elif mode == "unauthorized":
            _send(
                sock,
                401,
                b'{"error": "invalid token"}',
                "application/json",
                extra=b'WWW-Authenticate: Bearer realm="gateway"\r\n',
            )
        elif mode == "forbidden":
            _send(sock, 403, b'{"error": "forbidden"}', "application/json")
        elif mode == "hang":
            self.stopping.wait(60)
        elif mode == "reset":
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "not-found":
            _send(sock, 404, b"<html><body>404 Not Found</body></html>", "text/html")
        sock.close()


def _read_request(reader: Any) -> tuple[str, str, Any] | None:
    line = reader.readline()
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    length = 0
    while True:
        header = reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    payload = json.loads(reader.read(length) or b"null") if length else None
    return method, target.split("?", 1)[0], payload


def _send(
    sock: socket.socket, status: int, body: bytes, content_type: str, *, extra: bytes = b""
) -> None:
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}
    reason = {**reasons, 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
    ).encode() + extra
    sock.sendall(head + b"\r\n" + body)
