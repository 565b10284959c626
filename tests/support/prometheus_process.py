"""A real Prometheus (Debian's ``prometheus`` package) on loopback, for as long as a test needs.

Free port, its own storage folder under the test's tmp path, scrape, rule evaluation and alert
resending every second so a test stays short; stopped (and killed if it hangs) on exit.
``make test`` installs the package where it is missing: a missing binary is an error, never a
skip.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.support.processes import stop_process

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for(what: str, condition: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if condition():
                return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@contextlib.contextmanager
def prometheus(
    folder: Path,
    *,
    targets: Sequence[tuple[str, Mapping[str, str]]],
    rule_files: Sequence[Path] = (),
    alertmanager: str | None = None,
) -> Iterator[str]:
    """Run Prometheus scraping ``targets`` (host:port, static labels); yield its URL."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not on PATH: run `make prometheus-tools` (make test does)"
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {
                "job_name": "serving",
                # The stand-in serves kube-state-metrics' series with their own namespace.
                "honor_labels": True,
                "static_configs": [
                    {"targets": [target], "labels": dict(labels)} for target, labels in targets
                ],
            }
        ],
    }
    if alertmanager is not None:
        config["alerting"] = {
            "alertmanagers": [
                {"api_version": "v2", "static_configs": [{"targets": [alertmanager]}]}
            ]
        }
    config_file = folder / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            # Alertmanagers are discovered a few seconds after start; resend firing alerts
            # every second (default: 1 min) so the first delivery does not wait a minute.
            "--rules.alert.resend-delay=1s",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def ready() -> bool:
        if process.poll() is not None:
            output = (folder / "prometheus.log").read_text(encoding="utf-8")[-2000:]
            raise AssertionError(f"prometheus exited with {process.returncode}:\n{output}")
        return urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200

    try:
        wait_for("Prometheus to be ready", ready)
        yield url
    finally:
        stop_process(process, timeout=10)
        log.close()
