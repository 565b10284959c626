"""The engine tier's sites: the example stacks pointed at test API servers, and the servers."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from paif_components.contract.annotations import SOURCES_ANNOTATION
from tests.engine.cluster import ROOT, ApiServer, Etcd
from tests.engine.harness import Project, write_stack_files

SECRETS = {
    "harbor:password": "harbor-admin-Pl41nT3xt-canary",
    "vsphere:password": "vcenter-admin-Pl41nT3xt-canary",
    # The logical replication role's password (paif_components.database_replication).
    "dsm:replicationPassword": "replicator-Pl41nT3xt-canary",
}
# The PAIS API token the platform team stores in a Supervisor Secret for apps' gateway calls
# (prepare_supervisor creates it; TenantApps copies it into the app namespace on the cluster).
APP_TOKEN = "pais-api-token-Pl41nT3xt-canary"


def example(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def engine_config(stack: str, site: Site | None) -> dict[str, Any]:
    """The example stack, its Supervisor pointed at the test API server, its edge external
    (docs/engine.md: no NSX or Avi provider can be built here); who reaches the tenants and
    where they may go stay as the example declares them; and not waiting for the controllers
    the test API servers do not run (paif:kubernetes.awaitControllers)."""
    return for_engine(example(stack), site)


def for_engine(config: dict[str, Any], site: Site | None) -> dict[str, Any]:
    """A copy of a stack config made for the engine tier, as :func:`engine_config` makes the
    example's."""
    config = copy.deepcopy(config)
    if site is not None:
        config["paif:site"]["supervisor"]["server"] = site.supervisor.url.removeprefix("https://")
    network = config["paif:network"]
    config["paif:network"] = {
        "edge": "external",
        **{
            key: network[key]
            for key in ("appTier", "egress", "dataCidrs", "gatewayUrl")
            if key in network
        },
    }
    config["paif:kubernetes"] = {"awaitControllers": False}
    return config


@dataclass(frozen=True)
class Layout:
    """What exists at a site before the program runs, read from ``paif plan``."""

    namespaces: list[str]
    # DSM's admin-password Secret of each PostgresCluster: (namespace, cluster name).
    dsm_secrets: list[tuple[str, str]]
    # The other Supervisor Secrets apps are wired to, which the platform team creates (a PAIS
    # API token for the gateway): (namespace, name, key), from the credentials Secrets' sources.
    app_secrets: list[tuple[str, str, str]] = field(default_factory=list)


def platform_namespaces(tmp: Path, stacks: dict[str, dict[str, Any]] | None = None) -> Layout:
    """Every namespace the example stacks (or ``stacks``: name -> config, primary first) put
    objects in: the tenants' Supervisor namespaces (a vSphere Namespace becomes one) and the
    platform's own (monitoring, GPU operator), which exist before the program runs; and the
    Secret DSM writes beside each PostgresCluster (its admin password, which the logical
    replication providers read). From ``paif plan`` of the engine configs."""
    if stacks is None:
        stacks = {s: engine_config(s, None) for s in ("prod", "dr")}
    project = tmp / "layout"
    write_stack_files(project, stacks)
    names = [arg for stack in stacks for arg in ("--stack", stack)]
    subprocess.run(
        [str(Path(sys.executable).parent / "paif"), "plan", *names,
         "--project-dir", str(project), "--out", str(tmp / "layout-out"), "--quiet"],
        check=True, capture_output=True,
    )  # fmt: skip
    namespaces = {t["namespace"] for t in next(iter(stacks.values()))["paif:tenants"]}
    secrets: set[tuple[str, str]] = set()
    sources: set[tuple[str, str, str]] = set()
    for stack in stacks:
        plan = json.loads((tmp / "layout-out" / stack / "plan.json").read_text())
        for record in plan["resources"]:
            inputs = record.get("inputs") or {}
            metadata = inputs.get("metadata") or {}
            if record["type"].startswith("kubernetes:") and metadata.get("namespace"):
                namespaces.add(metadata["namespace"])
                if inputs.get("kind") == "PostgresCluster":
                    secrets.add((metadata["namespace"], metadata["name"]))
            notes = metadata.get("annotations") or {}
            for source in str(notes.get(SOURCES_ANNOTATION) or "").split(", "):
                where = source.partition("=supervisor:")[2]
                if where:
                    place, _, key = where.partition("#")
                    namespace, _, name = place.partition("/")
                    sources.add((namespace, name, key))
    apps = sorted(s for s in sources if (s[0], s[1]) not in secrets)
    return Layout(sorted(namespaces), sorted(secrets), apps)


def vks_clusters(config: dict[str, Any] | None = None) -> dict[str, str]:
    """VKS cluster name -> its Supervisor namespace, from the example's tenants (or those of
    ``config``)."""
    tenants = (config or example("prod"))["paif:tenants"]
    return {c["name"]: t["namespace"] for t in tenants for c in t.get("vksClusters") or []}


@dataclass
class Site:
    """A site's Supervisor API server and one API server per VKS cluster."""

    supervisor: ApiServer
    clusters: dict[str, ApiServer]

    def servers(self) -> list[ApiServer]:
        """Each API server once (VKS clusters may share one)."""
        return list({id(s): s for s in (self.supervisor, *self.clusters.values())}.values())

    def stop(self) -> None:
        for server in self.servers():
            server.stop()


def start_site(
    etcd: Etcd,
    name: str,
    workdir: Path,
    namespaces: Layout,
    vks: dict[str, str] | None = None,
    *,
    shared_vks: bool = False,
) -> Site:
    """The Supervisor's API server and one per VKS cluster (``vks``: cluster -> Supervisor
    namespace, the example's by default). ``shared_vks`` serves every cluster from one API
    server instead (the engine benchmark's many tenants: their app namespaces differ by name)."""
    vks = vks_clusters() if vks is None else vks
    clusters: dict[str, ApiServer] = {}
    for cluster in vks:
        if shared_vks and clusters:
            clusters[cluster] = next(iter(clusters.values()))
            continue
        server = ApiServer(f"{name}-{'vks' if shared_vks else cluster}", workdir, etcd)
        server.start()
        server.install_crds()
        clusters[cluster] = server
    supervisor = ApiServer(name, workdir, etcd)
    supervisor.start()
    supervisor.install_crds()
    supervisor.prepare_supervisor(
        namespaces.namespaces,
        {c: (ns, clusters[c]) for c, ns in vks.items()},
        namespaces.dsm_secrets,
        [(ns, secret, key, APP_TOKEN) for ns, secret, key in namespaces.app_secrets],
    )
    return Site(supervisor, clusters)


def new_project(workspace: dict[str, Any], name: str) -> Project:
    return Project.create(workspace["base"] / name, workspace["env"], workspace["pack"])


def stack_secrets(site: Site) -> dict[str, str]:
    return {**SECRETS, "kubernetes:kubeconfig": site.supervisor.kubeconfig}


POSTGRES_CLUSTERS = "/apis/databases.dataservices.vmware.com/v1alpha1/postgresclusters"


def report_database_hosts(supervisor: Any) -> None:
    """Stand in for DSM's controller reporting where each PostgresCluster listens (its
    ``status.connection``): until then what is wired to a database waits for its host, and a
    preview cannot know it (a missing output is unknown in a preview)."""
    for item in (supervisor.get(POSTGRES_CLUSTERS) or {"items": []})["items"]:
        name, namespace = item["metadata"]["name"], item["metadata"]["namespace"]
        item["status"] = {
            "connection": {"host": f"{name}.{namespace}.dsm.example", "port": 5432, "dbname": name}
        }
        path = f"/apis/databases.dataservices.vmware.com/v1alpha1/namespaces/{namespace}"
        supervisor.request("PUT", f"{path}/postgresclusters/{name}/status", item)


def settle_database_hosts(project: Any, stack: str, supervisor: Any, *up: str) -> None:
    """DSM reports its hosts (:func:`report_database_hosts`); a refresh reads them and an
    ``up`` (with ``up``'s extra flags) carries them to what is wired to the databases."""
    report_database_hosts(supervisor)
    project.pulumi("refresh", "--stack", stack, "--yes", "--skip-preview")
    project.pulumi("up", "--stack", stack, "--yes", "--skip-preview", *up)
