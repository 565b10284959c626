"""Tenancy against a real API server: who may do what, and who reaches whom.

Every Supervisor object ``paif plan`` renders for each example stack is stored in a
kube-apiserver of its own started with ``--authorization-mode=RBAC`` (no Pulumi run is needed
to ask what stored Roles allow). Then:

- **who may do what**: a SubjectAccessReview for every tenant group × verb × resource (every
  resource the server serves, subresources people use) × namespace (each tenant's, the
  platform's) and cluster-wide, each answer held to the README's "Who may do what" table; a few
  real requests made as each group (impersonation) agree;
- **who reaches whom**: the NetworkPolicies, SecurityPolicies and namespaces are read back from
  the server and every pair of tenant tiers, the edge, Prometheus, the resolver and outside
  addresses is evaluated (``tests/reachability.py``): exactly the designed edges exist.
"""

from __future__ import annotations

import functools
import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

from paif_components.tenant_rbac import READ_VERBS, READABLE
from tests.engine.cluster import _INSECURE, ROOT, TOKEN, ApiServer, Etcd
from tests.engine.sites import example
from tests.support.reachability import Cluster, Endpoint
from tests.support.readme_tables import who_may_do_what

STACKS = ("prod", "dr")
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# Subresources people use, with the verbs that mean something for them.
SUBRESOURCES = {
    ("pods", "log"): ("get",),
    ("pods", "eviction"): ("create",),
    ("pods", "exec"): ("create", "get"),
    ("pods", "attach"): ("create", "get"),
    ("pods", "portforward"): ("create", "get"),
    ("serviceaccounts", "token"): ("create",),
}
SHELLS = {"exec", "attach", "portforward"}

# The README's rows (tests/support/readme_tables.py reads them), each a class of request.
READ = (
    "read (`get`, `list`, `watch`) in its namespace every kind of the readable list: all the "
    "library puts there (Roles, DatabaseConfigs included) but Secrets"
)
SECRETS = "read Secrets"
OTHER_READ = "read any other kind"
LOGS = "read container logs (`pods/log`)"
EVICT = "evict a pod (`pods/eviction`: the one restart that honours PodDisruptionBudgets)"
SHELL = "exec, attach or port-forward into a pod"
WRITE = "create, change or delete anything"
ELSEWHERE = "anything in another tenant's namespace, a platform namespace or cluster-wide"
ROWS = (READ, SECRETS, OTHER_READ, LOGS, EVICT, SHELL, WRITE, ELSEWHERE)


@dataclass(frozen=True)
class Ask:
    """One SubjectAccessReview: may ``group`` (of kind ``kind`` in ``home``) do this?"""

    group: str
    kind: str
    home: str
    namespace: str  # "" for cluster-wide
    verb: str
    api_group: str
    resource: str
    subresource: str = ""

    def row(self) -> str:
        """The README row this request belongs to."""
        if self.namespace != self.home:
            return ELSEWHERE
        if self.subresource == "log":
            return LOGS
        if self.subresource == "eviction":
            return EVICT
        if self.subresource in SHELLS:
            return SHELL
        if self.verb not in READ_VERBS or self.subresource:
            return WRITE
        if (self.api_group, self.resource) == ("", "secrets"):
            return SECRETS
        readable = self.resource in READABLE.get(self.api_group, ())
        return READ if readable else OTHER_READ

    def body(self) -> dict[str, Any]:
        attributes = {
            "namespace": self.namespace,
            "verb": self.verb,
            "group": self.api_group,
            "resource": self.resource,
            "subresource": self.subresource,
        }
        return {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                # The tenant group alone: what Kubernetes grants every signed-in user
                # (system:authenticated: asking what one may do, discovery) is not the tenant's.
                "user": f"someone-in-{self.group}",
                "groups": [self.group],
                "resourceAttributes": attributes,
            },
        }


class Connections:
    """Keep-alive HTTPS connections to one API server, one per thread."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self._local = threading.local()

    def call(
        self, method: str, path: str, body: Any = None, headers: list[tuple[str, str]] = ()
    ) -> tuple[int, Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.server.port, context=_INSECURE, timeout=30
            )
            self._local.connection = connection
        connection.putrequest(method, path)
        connection.putheader("Authorization", f"Bearer {TOKEN}")
        connection.putheader("Content-Type", "application/json")
        for name, value in headers:
            connection.putheader(name, value)
        data = json.dumps(body).encode() if body is not None else b""
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None


@dataclass
class TenancySite:
    stack: str
    server: ApiServer
    api: Connections
    # (apiVersion, kind) -> (plural, namespaced), from the server's discovery
    kinds: dict[tuple[str, str], tuple[str, bool]]
    # namespace -> group kind -> OIDC groups, from the stack's tenants
    tenants: dict[str, dict[str, list[str]]]
    applied: list[dict[str, Any]]

    def resources(self, namespaced: bool) -> list[tuple[str, str]]:
        """(API group, resource) of every top-level resource the server serves."""
        found = set()
        for (api_version, _), (plural, scoped) in self.kinds.items():
            if scoped == namespaced and "/" not in plural:
                group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
                found.add((group, plural))
        return sorted(found)


def _discover(api: Connections) -> dict[tuple[str, str], tuple[str, bool]]:
    kinds: dict[tuple[str, str], tuple[str, bool]] = {}
    versions = ["v1"]
    _, groups = api.call("GET", "/apis")
    versions += [v["groupVersion"] for g in groups["groups"] for v in g["versions"]]
    for version in versions:
        path = "/api/v1" if version == "v1" else f"/apis/{version}"
        _, listing = api.call("GET", path)
        for resource in listing["resources"]:
            if "/" in resource["name"]:
                continue
            kinds[(version, resource["kind"])] = (resource["name"], resource["namespaced"])
    return kinds


def _path(site: TenancySite, obj: dict[str, Any]) -> str:
    version = obj["apiVersion"]
    plural, namespaced = site.kinds[(version, obj["kind"])]
    base = "/api/v1" if version == "v1" else f"/apis/{version}"
    namespace = obj["metadata"].get("namespace")
    return f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"


def _tenants(stack: str) -> dict[str, dict[str, list[str]]]:
    """Both sites build the primary's tenants (a DR stack declares none of its own)."""
    return {
        namespace: {kind: list((t.get("oidcGroups") or {}).get(kind, [])) for kind in
                    ("view", "edit", "admin")}
        for namespace, t in _tenant_configs().items()
    }  # fmt: skip


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tenancy") / "out"
    subprocess.run(
        [str(Path(sys.executable).parent / "paif"), "plan", "--stack", "prod", "--stack", "dr",
         "--project-dir", str(ROOT), "--out", str(out), "--quiet", "--format", "none"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def rbac_sites(
    etcd: Etcd, planned: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TenancySite]]:
    workdir = tmp_path_factory.mktemp("rbac-apiservers")
    sites: dict[str, TenancySite] = {}
    try:
        for stack in STACKS:
            server = ApiServer(f"rbac-{stack}", workdir, etcd, authorization_mode="RBAC")
            server.start()
            server.install_crds()
            api = Connections(server)
            site = TenancySite(stack, server, api, _discover(api), _tenants(stack), [])
            sites[stack] = site
            # What `pulumi up` stores in the Supervisor: the manifests and the Secrets kept apart.
            objects = [
                yaml.safe_load(p.read_text())
                for folder in ("manifests", "secrets")
                for p in sorted((planned / stack / folder / "supervisor").glob("*.yaml"))
            ]
            for namespace in sorted({o["metadata"].get("namespace") for o in objects} - {None}):
                server.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
            for obj in objects:
                if obj.get("type") == "kubernetes.io/dockerconfigjson":
                    # The plan writes "[secret]" for a secret's value; the API server wants JSON.
                    obj["stringData"] = {".dockerconfigjson": '{"auths": {}}'}
                status, answer = api.call("POST", _path(site, obj), obj)
                assert status == 201, (obj["kind"], obj["metadata"], answer)
                site.applied.append(obj)
        yield sites
    finally:
        for site in sites.values():
            site.server.stop()


# --- who may do what ------------------------------------------------------------------------


def _asks(site: TenancySite) -> list[Ask]:
    tenant_namespaces = sorted(site.tenants)
    platform = sorted(
        {o["metadata"]["namespace"] for o in site.applied if o["metadata"].get("namespace")}
        - set(tenant_namespaces)
    )
    namespaces = [*tenant_namespaces, *platform, "default", "kube-system"]
    namespaced, cluster = site.resources(True), site.resources(False)
    asks = []
    for home, kinds in site.tenants.items():
        for kind, groups in kinds.items():
            for group in groups:
                for namespace in namespaces:
                    for api_group, resource in namespaced:
                        for verb in VERBS:
                            asks.append(
                                Ask(group, kind, home, namespace, verb, api_group, resource)
                            )
                    for (resource, sub), verbs in SUBRESOURCES.items():
                        for verb in verbs:
                            asks.append(Ask(group, kind, home, namespace, verb, "", resource, sub))
                # Cluster-wide: cluster-scoped kinds, and namespaced ones across namespaces.
                for api_group, resource in [*cluster, *namespaced]:
                    for verb in VERBS:
                        asks.append(Ask(group, kind, home, "", verb, api_group, resource))
    return asks


def _review(site: TenancySite, asks: list[Ask]) -> dict[Ask, bool]:
    def one(ask: Ask) -> tuple[Ask, bool]:
        status, answer = site.api.call(
            "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", ask.body()
        )
        assert status == 201, answer
        return ask, bool(answer["status"].get("allowed"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, asks))


def test_the_readme_table_has_exactly_the_rows_this_test_asks() -> None:
    kubernetes = [row for row in who_may_do_what() if not row.startswith("Harbor:")]
    assert kubernetes == list(ROWS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_group_may_do_exactly_what_the_readme_says(
    rbac_sites: dict[str, TenancySite], stack: str
) -> None:
    site = rbac_sites[stack]
    table = who_may_do_what()
    asks = _asks(site)
    answers = _review(site, asks)
    wrong = [
        f"{a.group} ({a.kind} of {a.home}) {a.verb} {a.api_group or 'core'}/{a.resource}"
        f"{'/' + a.subresource if a.subresource else ''} in {a.namespace or 'the cluster'}: "
        f"{'allowed' if allowed else 'denied'}, the README says {table[a.row()][a.kind]!r}"
        for a, allowed in answers.items()
        if allowed != (table[a.row()][a.kind] == "yes")
    ]
    assert wrong == [], f"{len(wrong)} of {len(asks)}:\n" + "\n".join(wrong[:40])
    # Every row was asked for every kind of group, and no tenant reaches another.
    assert {a.row() for a in asks} == set(ROWS)
    across = [a for a, ok in answers.items() if ok and a.namespace != a.home]
    assert across == []
    # The stored kinds of each tenant namespace are all readable by view (Secrets excepted).
    stored = {
        (o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else "", o["kind"])
        for o in site.applied
        if o["metadata"].get("namespace") in site.tenants
    }
    plural = {
        (v.rsplit("/", 1)[0] if "/" in v else "", k): p for (v, k), (p, _) in site.kinds.items()
    }
    for group_, kind in stored - {("", "Secret")}:
        assert plural[(group_, kind)] in READABLE.get(group_, ()), kind
    print(f"{stack}: {len(asks)} SubjectAccessReviews, {sum(answers.values())} allowed")


def test_real_requests_as_each_group_agree(rbac_sites: dict[str, TenancySite]) -> None:
    site = rbac_sites["prod"]
    namespaces = sorted(site.tenants)
    for home, kinds in site.tenants.items():
        other = next(n for n in namespaces if n != home)
        for kind, groups in kinds.items():
            for group in groups:
                who = [("Impersonate-User", f"someone-in-{group}"), ("Impersonate-Group", group)]

                def status(method: str, path: str, body: Any = None, who: Any = who) -> int:
                    return site.api.call(method, path, body, who)[0]

                own = f"/apis/networking.k8s.io/v1/namespaces/{home}/networkpolicies"
                assert status("GET", own) == 200, (group, own)
                assert status("GET", own.replace(home, other)) == 403, (group, other)
                assert status("GET", f"/api/v1/namespaces/{home}/secrets") == 403, group
                configmap = {"metadata": {"name": "by-hand"}, "data": {"a": "b"}}
                created = status("POST", f"/api/v1/namespaces/{home}/configmaps", configmap)
                assert created == 403, group
                # Logs: allowed for edit and admin (the pod does not exist: 404), not for view.
                logs = status("GET", f"/api/v1/namespaces/{home}/pods/none/log")
                assert logs == (403 if kind == "view" else 404), (group, logs)


# --- who reaches whom -----------------------------------------------------------------------

TCP_PORTS = (22, 53, 80, 443, 5432, 8000, 8080, 8443, 9090)
ROLES = {
    "app": {"paif.vmware.com/tier": "app"},
    "ai": {"paif.vmware.com/tier": "ai"},
    "vector": {"paif.vmware.com/tier": "data", "paif.vmware.com/database-kind": "vector"},
    "appdata": {"paif.vmware.com/tier": "data", "paif.vmware.com/database-kind": "app"},
}


def _host(cidr: str) -> str:
    network = ip_network(cidr)
    return str(next(network.hosts())) if network.num_addresses > 1 else str(network[0])


@dataclass(frozen=True)
class Party:
    endpoint: Endpoint
    tenant: str | None
    role: str


def _parties(stack: str, *, vms: bool) -> list[Party]:
    config = example(stack)["paif:network"]
    egress = config["egress"]
    monitoring = "tanzu-system-monitoring"
    parties = []
    for namespace in sorted(_tenants(stack)):
        for role, labels in ROLES.items():
            parties.append(
                Party(Endpoint(f"{namespace}/{role}", namespace, labels), namespace, role)
            )
            if vms:
                vm = Endpoint(f"{namespace}/{role}-vm", namespace, labels, vm=True)
                parties.append(Party(vm, namespace, f"{role}-vm" if role == "app" else role))
    parties += [
        Party(Endpoint("prometheus", monitoring, {"app": "prometheus"}), None, "prometheus"),
        Party(Endpoint("coredns", "kube-system", {"k8s-app": "kube-dns"}), None, "resolver"),
        Party(Endpoint("default/app", "default", ROLES["app"]), None, "foreign"),
        Party(Endpoint("edge", ip=_host(config["appTier"]["sourceCidrs"][0])), None, "edge"),
        Party(Endpoint("internet", ip="203.0.113.7"), None, "internet"),
        Party(Endpoint("dns-server", ip=_host(egress["dnsServers"][0])), None, "resolver"),
        Party(Endpoint("harbor", ip=_host(egress["harbor"][0])), None, "harbor"),
        Party(Endpoint("api", ip=_host(egress["externalApis"][0]["cidrs"][0])), None, "api"),
        Party(
            Endpoint("backup", ip=_host(next(iter(egress["backupLocations"].values()))[0])),
            None,
            "backup",
        ),
        # The peer site's databases (its paif:network.dataCidrs): the DR site's copies
        # subscribe from there to the primary's databases (issue 21).
        Party(
            Endpoint(
                "peer-databases", ip=_host(example(PEER[stack])["paif:network"]["dataCidrs"][0])
            ),
            None,
            f"{PEER[stack]}-databases",
        ),
        Party(Endpoint("peer-elsewhere", ip=_outside_data(PEER[stack])), None, "peer-elsewhere"),
    ]
    return parties


PEER = {"prod": "dr", "dr": "prod"}


def _outside_data(stack: str) -> str:
    """An address of the peer's site next to its database addresses but outside them."""
    network = ip_network(example(stack)["paif:network"]["dataCidrs"][0])
    return str(network.broadcast_address + 1)


# The design (README, "Who reaches whom") with the example's ports: the AI ports and the app
# ports are 443 (the edge's backend port), the database port 5432, the serving port 8000.
INSIDE = {
    ("app", "app"): {443},
    ("app", "ai"): {443},
    ("ai", "ai"): {443, 8000},
    ("ai", "vector"): {5432},
    ("ai", "appdata"): {5432},
    ("vector", "vector"): {5432},
    ("vector", "appdata"): {5432},
    ("appdata", "vector"): {5432},
    ("appdata", "appdata"): {5432},
}
OUT = {("ai", "harbor"): {443}, ("ai", "api"): {443}, ("vector", "backup"): {443},
       ("appdata", "backup"): {443}}  # fmt: skip


@functools.cache
def _tenant_configs() -> dict[str, dict[str, Any]]:
    """The example's tenants by namespace (both sites build them)."""
    return {t["namespace"]: t for t in example("prod")["paif:tenants"]}


def designed(source: Party, target: Party, protocol: str, port: int) -> bool:
    tenants = _tenant_configs()
    src_role = "app" if source.role == "app-vm" else source.role
    if port == 53:
        return source.tenant is not None and target.role == "resolver"
    if protocol != "TCP":
        return False
    if source.tenant and target.tenant:
        if source.tenant != target.tenant:
            return False
        ports = set(INSIDE.get((src_role, target.role), ()))
        if (src_role, target.role) == ("app", "appdata") and tenants[source.tenant].get(
            "appDatabases"
        ):
            ports.add(5432)
        return port in ports
    replicated = {"vector", "appdata"}
    if target.tenant:
        if source.role == "edge":
            return target.role == "app" and port == 443
        if source.role == "dr-databases":  # at the primary: the DR copies' subscriptions
            logical = _has_logical_copies(target.tenant)
            return target.role in replicated and logical and port == 5432
        scraped = bool(tenants[target.tenant].get("modelEndpoints"))
        return source.role == "prometheus" and target.role == "ai" and scraped and port == 8000
    if target.role == "prod-databases":  # at the DR site: its copies subscribe to them
        logical = _has_logical_copies(source.tenant)
        return src_role in replicated and logical and port == 5432
    return source.tenant is not None and port in OUT.get((src_role, target.role), ())


def _has_logical_copies(namespace: str | None) -> bool:
    """The tenant's databases have DR copies fed by logical replication (warm standby's
    default mechanism, which the example keeps)."""
    tenant = _tenant_configs().get(str(namespace)) or {}
    databases = [*(tenant.get("databases") or []), *(tenant.get("appDatabases") or [])]
    return any((d.get("dr") or {}).get("mechanism", "logical") == "logical" for d in databases)


def _stored(site: TenancySite) -> Cluster:
    def items(path: str) -> list[dict[str, Any]]:
        status, listing = site.api.call("GET", path)
        assert status == 200, listing
        return listing["items"]

    namespaces = {n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in
                  items("/api/v1/namespaces")}  # fmt: skip
    # Namespaces the parties live in that nothing was applied to exist at a site too.
    for name in ("default", "kube-system", "tanzu-system-monitoring"):
        namespaces.setdefault(name, {"kubernetes.io/metadata.name": name})
    return Cluster(
        namespaces,
        items("/apis/networking.k8s.io/v1/networkpolicies"),
        items("/apis/crd.nsx.vmware.com/v1alpha1/securitypolicies"),
    )


def _reachability(
    parties: list[Party], allowed: Callable[[Endpoint, Endpoint, str, int], bool]
) -> tuple[set[tuple[str, str, str, int]], set[tuple[str, str, str, int]]]:
    """(edges found, edges designed) among flows that touch a tenant."""
    found, wanted = set(), set()
    probes = [("TCP", p) for p in TCP_PORTS] + [("UDP", 53)]
    for source in parties:
        for target in parties:
            if source is target or not (source.tenant or target.tenant):
                continue
            if source.endpoint.external and target.endpoint.external:
                continue
            if target.role == "app-vm" or (source.role == "app-vm" and not target.tenant):
                continue  # VKS nodes are not confined by the namespace's policy (by design)
            for protocol, port in probes:
                key = (source.endpoint.name, target.endpoint.name, protocol, port)
                if allowed(source.endpoint, target.endpoint, protocol, port):
                    found.add(key)
                if designed(source, target, protocol, port):
                    wanted.add(key)
    return found, wanted


@pytest.mark.parametrize("stack", STACKS)
def test_network_policies_admit_exactly_the_designed_edges(
    rbac_sites: dict[str, TenancySite], stack: str
) -> None:
    cluster = _stored(rbac_sites[stack])
    assert len(cluster.network_policies) >= 15
    found, wanted = _reachability(_parties(stack, vms=False), cluster.allowed)
    assert sorted(found - wanted) == [], "edges the design does not have"
    assert sorted(wanted - found) == [], "designed edges the policies do not allow"
    crossing = {(s, t) for s, t, _, _ in found if s.split("/")[0] != t.split("/")[0]}
    assert not {(s, t) for s, t in crossing if s.endswith("-ns") and t.endswith("-ns")}
    print(f"{stack}: {len(found)} allowed flows, all designed")


@pytest.mark.parametrize("stack", STACKS)
def test_the_nsx_security_policy_says_the_same_for_pods_and_vms(
    rbac_sites: dict[str, TenancySite], stack: str
) -> None:
    cluster = _stored(rbac_sites[stack])
    assert len(cluster.security_policies) == len(rbac_sites[stack].tenants)
    found, wanted = _reachability(_parties(stack, vms=True), cluster.nsx_allowed)
    assert sorted(found - wanted) == [], "edges the design does not have"
    assert sorted(wanted - found) == [], "designed edges the SecurityPolicy does not allow"
