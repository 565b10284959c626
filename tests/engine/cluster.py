"""A Kubernetes API server for the engine tier: etcd and kube-apiserver built by ``make engine``.

One etcd serves several API servers, each with its own ``--etcd-prefix``: one per site's
Supervisor and one per VKS cluster, so objects of the same name in different clusters never
meet. There is no kubelet, scheduler or controller manager: objects are validated and stored,
nothing runs. So the ResourceQuota admission plugin is off (it refuses every object in a
namespace whose quota no controller has counted yet), and what the Supervisor's controllers
would do before the program runs (a vSphere Namespace appears as a Kubernetes namespace;
Cluster API writes a VKS cluster's kubeconfig Secret) the tests do by hand with
:meth:`ApiServer.prepare_supervisor`.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.processes import stop_process
from tests.support.schema_validation import crd_files, load_crd

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".engine" / "bin"

# Kinds the program renders that have no published CRD nor a schema of this project
# (schemas/SOURCES.md) would get a minimal CRD that keeps every field. None is left: DSM's and
# PAIS's kinds are served from schemas/dsm/ and schemas/pais/ (written from their APIs), so the
# API server refuses a field those APIs do not have.
MINIMAL_CRDS: tuple[tuple[str, str, str, str], ...] = ()


# kube-apiserver refuses anonymous requests under AlwaysAllow, so the tests use a static token.
TOKEN = "engine-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def minimal_crd(group: str, version: str, kind: str, plural: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                    "subresources": {"status": {}},
                }
            ],
        },
    }


@dataclass
class Etcd:
    workdir: Path
    client_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def start(self) -> None:
        peer = free_port()
        log = (self.workdir / "etcd.log").open("w")
        self.process = subprocess.Popen(
            [
                str(BIN / "etcd"),
                "--name=engine-test",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.url}",
                f"--advertise-client-urls={self.url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=engine-test=http://127.0.0.1:{peer}",
                "--log-level=error",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait(lambda: _get(f"{self.url}/health") is not None, 60, "etcd", self.workdir / "etcd.log")

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class ApiServer:
    """One Kubernetes API: a site's Supervisor, or one of its VKS clusters (each its own server,
    as in a real site: the same namespace name in the Supervisor and in a VKS cluster are two
    namespaces)."""

    name: str
    workdir: Path
    etcd: Etcd
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # "RBAC" judges every request by the Roles and bindings stored (the test token stays in
    # system:masters, which RBAC allows everything).
    authorization_mode: str = "AlwaysAllow"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> str:
        return yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": self.name,
                        "cluster": {"server": self.url, "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": "engine-test", "user": {"token": TOKEN}}],
                "contexts": [
                    {"name": self.name, "context": {"cluster": self.name, "user": "engine-test"}}
                ],
                "current-context": self.name,
            }
        )

    def start(self) -> None:
        keys = self.workdir / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        key, pub = keys / "sa.key", keys / "sa.pub"
        if not key.exists():
            subprocess.run(
                ["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True
            )
            subprocess.run(
                ["openssl", "rsa", "-in", key, "-pubout", "-out", pub],
                check=True,
                capture_output=True,
            )
        tokens = keys / "tokens.csv"
        tokens.write_text(f'{TOKEN},engine-test,engine-test,"system:masters"\n')
        self.log_path = self.workdir / f"apiserver-{self.name}.log"
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(BIN / "kube-apiserver"),
                f"--etcd-servers={self.etcd.url}",
                f"--etcd-prefix=/registry-{self.name}",
                "--bind-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.workdir / ('certs-' + self.name)}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={pub}",
                f"--service-account-signing-key-file={key}",
                "--service-cluster-ip-range=10.96.0.0/24",
                f"--authorization-mode={self.authorization_mode}",
                f"--token-auth-file={tokens}",
                "--disable-admission-plugins=ServiceAccount,ResourceQuota",
                "--enable-priority-and-fairness=false",
                "--v=0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait(lambda: _get(f"{self.url}/readyz") == "ok", 180, "kube-apiserver", self.log_path)

    def stop(self) -> None:
        stop_process(self.process)

    # --- the API ------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {TOKEN}")
        with urllib.request.urlopen(req, context=_INSECURE, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def get(self, path: str) -> Any | None:
        try:
            return self.request("GET", path)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def create(self, path: str, body: dict[str, Any]) -> None:
        try:
            self.request("POST", path, body)
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already there
                raise RuntimeError(f"POST {path}: {exc.code} {exc.read().decode()}") from exc

    def install_crds(self) -> list[str]:
        crds = [load_crd(p) for p in crd_files()]
        crds += [minimal_crd(*spec) for spec in MINIMAL_CRDS]
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        for crd in crds:
            self.create(path, crd)
        names = [c["metadata"]["name"] for c in crds]
        for name in names:
            _wait(lambda n=name: _established(self.get(f"{path}/{n}")), 60, f"CRD {name}", None)
        return names

    def prepare_supervisor(
        self,
        namespaces: list[str],
        vks: dict[str, tuple[str, ApiServer]],
        dsm_secrets: Sequence[tuple[str, str]] = (),
        app_secrets: Sequence[tuple[str, str, str, str]] = (),
    ) -> None:
        """Stand in for the Supervisor's controllers: the tenants' namespaces exist, each VKS
        cluster (``name -> (Supervisor namespace, its own API server)``) has the kubeconfig
        Secret Cluster API would write, pointing at that cluster's API server, and each DSM
        PostgresCluster ``(namespace, name)`` the admin-password Secret DSM writes beside it
        (named after the cluster: no DSM controller fills ``status.connection.passwordRef``
        here), and each other Secret an app is wired to ``(namespace, name, key, value)`` that
        the platform team creates (a PAIS API token)."""
        for namespace in namespaces:
            self.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
        for namespace, cluster in dsm_secrets:
            password = base64.b64encode(f"dsm-admin-of-{cluster}".encode()).decode()
            self.create(
                f"/api/v1/namespaces/{namespace}/secrets",
                {"metadata": {"name": cluster}, "data": {"password": password}},
            )
        for namespace, name, key, text in app_secrets:
            value = base64.b64encode(text.encode()).decode()
            self.create(
                f"/api/v1/namespaces/{namespace}/secrets",
                {"metadata": {"name": name}, "data": {key: value}},
            )
        for cluster, (namespace, api) in vks.items():
            value = base64.b64encode(api.kubeconfig.encode()).decode()
            self.create(
                f"/api/v1/namespaces/{namespace}/secrets",
                {"metadata": {"name": f"{cluster}-kubeconfig"}, "data": {"value": value}},
            )


_INSECURE = ssl.create_default_context()
_INSECURE.check_hostname = False
_INSECURE.verify_mode = ssl.CERT_NONE


def _get(url: str) -> str | None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(request, context=_INSECURE, timeout=5) as response:
            return response.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


def _established(crd: Any) -> bool:
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def _wait(ready: Any, seconds: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not become ready in {seconds:.0f} s\n{tail}")
