"""The engine tier (``make engine-test``): real CLI, real Kubernetes provider and API server."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent):  # this tier's modules, and the shared test helpers
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cluster import BIN, ROOT, ApiServer, Etcd  # noqa: E402
from harness import Project, engine_env, policy_pack, standin_providers  # noqa: E402

REQUIRED = [
    BIN / n
    for n in (
        "pulumi",
        "pulumi-language-python",
        "pulumi-language-python-exec",
        "pulumi-resource-kubernetes",
        "etcd",
        "kube-apiserver",
    )
]
SECRETS = {
    "harbor:password": "harbor-admin-Pl41nT3xt-canary",
    "vsphere:password": "vcenter-admin-Pl41nT3xt-canary",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [str(p.relative_to(ROOT)) for p in REQUIRED if not p.exists()]
    if missing:
        raise pytest.UsageError(f"the engine tier needs `make engine` first; missing: {missing}")


def example(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def engine_config(stack: str, site: Site | None) -> dict[str, Any]:
    """The example stack, its Supervisor pointed at the test API server, its edge external
    (docs/engine.md: no NSX or Avi provider can be built here), and not waiting for the
    controllers the test API servers do not run (paif:kubernetes.awaitControllers)."""
    config = copy.deepcopy(example(stack))
    if site is not None:
        config["paif:site"]["supervisor"]["server"] = site.supervisor.url.removeprefix("https://")
    config["paif:network"] = {"edge": "external"}
    config["paif:kubernetes"] = {"awaitControllers": False}
    return config


def platform_namespaces(tmp: Path) -> list[str]:
    """Every namespace the example stacks put objects in: the tenants' Supervisor namespaces
    (a vSphere Namespace becomes one) and the platform's own (monitoring, GPU operator), which
    exist before the program runs. Read from ``paif plan`` of the engine configs."""
    from harness import write_stack_files

    project = tmp / "layout"
    write_stack_files(project, {s: engine_config(s, None) for s in ("prod", "dr")})
    subprocess.run(
        [str(Path(sys.executable).parent / "paif"), "plan", "--stack", "prod", "--stack", "dr",
         "--project-dir", str(project), "--out", str(tmp / "layout-out"), "--quiet"],
        check=True, capture_output=True,
    )  # fmt: skip
    namespaces = {t["namespace"] for t in example("prod")["paif:tenants"]}
    for stack in ("prod", "dr"):
        plan = json.loads((tmp / "layout-out" / stack / "plan.json").read_text())
        for record in plan["resources"]:
            metadata = (record.get("inputs") or {}).get("metadata") or {}
            if record["type"].startswith("kubernetes:") and metadata.get("namespace"):
                namespaces.add(metadata["namespace"])
    return sorted(namespaces)


def vks_clusters() -> dict[str, str]:
    """VKS cluster name -> its Supervisor namespace, from the example's tenants."""
    tenants = example("prod")["paif:tenants"]
    return {c["name"]: t["namespace"] for t in tenants for c in t.get("vksClusters") or []}


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Etcd]:
    server = Etcd(tmp_path_factory.mktemp("etcd"))
    server.start()
    yield server
    server.stop()


@dataclass
class Site:
    """A site's Supervisor API server and one API server per VKS cluster."""

    supervisor: ApiServer
    clusters: dict[str, ApiServer]

    def stop(self) -> None:
        for server in (self.supervisor, *self.clusters.values()):
            server.stop()


def start_site(etcd: Etcd, name: str, workdir: Path, namespaces: list[str]) -> Site:
    clusters = {}
    for cluster in vks_clusters():
        server = ApiServer(f"{name}-{cluster}", workdir, etcd)
        server.start()
        server.install_crds()
        clusters[cluster] = server
    supervisor = ApiServer(name, workdir, etcd)
    supervisor.start()
    supervisor.install_crds()
    supervisor.prepare_supervisor(
        namespaces, {c: (ns, clusters[c]) for c, ns in vks_clusters().items()}
    )
    return Site(supervisor, clusters)


@pytest.fixture(scope="session")
def namespaces(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return platform_namespaces(tmp_path_factory.mktemp("layout"))


@pytest.fixture(scope="session")
def sites(
    etcd: Etcd, namespaces: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Site]]:
    workdir = tmp_path_factory.mktemp("apiservers")
    servers = {name: start_site(etcd, name, workdir, namespaces) for name in ("prod", "dr")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("engine")
    backend = base / "state"
    backend.mkdir()
    env = engine_env(base / "pulumi-home", backend, standin_providers(base / "standin"))
    return {"base": base, "backend": backend, "env": env, "pack": policy_pack(base)}


def new_project(workspace: dict[str, Any], name: str) -> Project:
    return Project.create(workspace["base"] / name, workspace["env"], workspace["pack"])


def stack_secrets(site: Site) -> dict[str, str]:
    return {**SECRETS, "kubernetes:kubeconfig": site.supervisor.kubeconfig}
