"""The engine tier (``make engine-test``): real CLI, real Kubernetes provider and API server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.cluster import BIN, ROOT, Etcd
from tests.engine.harness import engine_env, policy_pack, standin_providers
from tests.engine.sites import Layout, Site, platform_namespaces, start_site

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [str(p.relative_to(ROOT)) for p in REQUIRED if not p.exists()]
    if missing:
        raise pytest.UsageError(f"the engine tier needs `make engine` first; missing: {missing}")


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Etcd]:
    server = Etcd(tmp_path_factory.mktemp("etcd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def namespaces(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return platform_namespaces(tmp_path_factory.mktemp("layout"))


@pytest.fixture(scope="session")
def sites(
    etcd: Etcd, namespaces: Layout, tmp_path_factory: pytest.TempPathFactory
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
