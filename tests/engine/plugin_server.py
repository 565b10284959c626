"""Serve a gRPC servicer the way Pulumi plugins do: on a free loopback port printed as the
first line of stdout, until killed (the program host and the stand-in provider both do)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc


def serve(register: Callable[[grpc.Server], None]) -> None:
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()
