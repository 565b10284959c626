"""Offline answers for the kubernetes provider (see paif_cli.offline).

Reading a VKS cluster's ``<cluster>-kubeconfig`` Secret from the Supervisor (Cluster API
writes it once the control plane is up) returns a kubeconfig pointing at an address that does
not resolve (``*.offline.invalid``) and carries no credential: enough for a workload-cluster
provider to be declared, and nothing that could reach a real cluster.

A DSM ``PostgresCluster`` answers with the ``status.connection`` DSM publishes once it is Ready
(host ``<name>.<namespace>.dsm.offline.invalid``, port 5432, its database and admin, the Secret
named after the cluster), so the logical replication providers and the DR copy's subscription
have an endpoint to name; reading DSM's admin-password Secret answers a placeholder that is
no credential (the offline plan masks it as a secret anyway).

Reading any other Secret (what apps are wired to: DSM's password Secret of a database, a PAIS
API-token Secret) returns the keys of both layouts, ``password`` and ``api_token``, holding a
placeholder that names the Secret: the copies the apps get show their keys, and the plan
records the values as secrets.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from paif_components import yaml_text
from paif_components.contract import tokens

KUBECONFIG_SUFFIX = "-kubeconfig"


def offline_kubeconfig(namespace: str, cluster: str) -> str:
    """The kubeconfig document the offline plan answers for a VKS cluster."""
    server = f"https://{cluster}.{namespace}.offline.invalid:6443"
    user = f"{cluster}-admin"
    return yaml_text.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"server": server}}],
            "users": [{"name": user, "user": {}}],
            "contexts": [
                {"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}
            ],
            "current-context": f"{user}@{cluster}",
        },
        sort_keys=True,
    )


DSM_PASSWORD_READ_SUFFIX = "-dsm-password"
OFFLINE_PASSWORD = "offline-placeholder-not-a-credential"
POSTGRES_PORT = 5432
# The keys an app's wiring reads: DSM's password Secret, and PAIS's API-token Secret layout.
READ_SECRET_KEYS = ("password", "api_token")


def offline_secret_value(namespace: str, name: str, key: str) -> str:
    """The placeholder a read Secret's key holds offline (base64), never a credential."""
    return base64.b64encode(f"offline:{namespace}/{name}#{key}".encode()).decode()


def _secret(args: Any) -> dict[str, Any]:
    """Answer reads of Secrets: Cluster API kubeconfigs, DSM's admin-password Secrets and what
    apps are wired to (module doc); registered Secrets keep their inputs."""
    resource_id = args.resource_id or ""
    if args.inputs or "/" not in resource_id:
        return {}
    namespace, name = resource_id.split("/", 1)
    if str(getattr(args, "name", "")).endswith(DSM_PASSWORD_READ_SUFFIX):
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"password": base64.b64encode(OFFLINE_PASSWORD.encode()).decode()},
        }
    if not name.endswith(KUBECONFIG_SUFFIX):
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "data": {k: offline_secret_value(namespace, name, k) for k in READ_SECRET_KEYS},
        }
    cluster = name.removesuffix(KUBECONFIG_SUFFIX)
    value = base64.b64encode(offline_kubeconfig(namespace, cluster).encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "cluster.x-k8s.io/secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"cluster.x-k8s.io/cluster-name": cluster},
        },
        "data": {"value": value},
    }


def _postgres_cluster(args: Any) -> dict[str, Any]:
    """``status.connection`` of a Ready DSM PostgresCluster (module doc)."""
    metadata = args.inputs.get("metadata") or {}
    spec = args.inputs.get("spec") or {}
    name, namespace = metadata.get("name"), metadata.get("namespace")
    return {
        "status": {
            "connection": {
                "host": f"{name}.{namespace}.dsm.offline.invalid",
                "port": POSTGRES_PORT,
                "dbname": spec.get("databaseName") or name,
                "username": spec.get("adminUsername"),
                "passwordRef": {"name": name},
            }
        }
    }


COMPUTED: dict[str, Callable[[Any], dict[str, Any]]] = {
    tokens.KUBERNETES_SECRET: _secret,
    tokens.POSTGRES_CLUSTER: _postgres_cluster,
}
INVOKES: dict[str, Callable[[Any], dict[str, Any]]] = {}
