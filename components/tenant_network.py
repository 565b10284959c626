"""A tenant's segmentation in its Supervisor namespace (§9.6.1, §9.6.3): who reaches what.

Rendered twice, with the same rules: as Kubernetes ``NetworkPolicy`` objects (pods) and as one
nsx-operator ``SecurityPolicy`` (``crd.nsx.vmware.com/v1alpha1``, enforced by the NSX
distributed firewall, which also sees VMs). Every rule names its sources or destinations and
its ports (PAIF-MT-004); what lies beyond the namespace comes from ``paif:network``.

Tier label convention (§9.6.1: app → AI services → database), label ``paif.vmware.com/tier``:

- ``app``: application workloads — VKS cluster node VMs (``paif_components.vks_cluster``) and any
  application pod;
- ``ai``: PAIS model/embedding endpoints, agents and the ML API gateway
  (``paif_components.model_endpoint``);
- ``data``: DSM PostgreSQL/pgvector (``paif_components.pgvector_database``).

Allowed flows (everything else is denied):

- DNS (53/UDP, 53/TCP) out from every workload to the cluster's resolver: the CoreDNS pods
  (``k8s-app: kube-dns`` in ``kube-system``) and ``network.egress.dnsServers``;
- into ``app`` from the edge's sources only (``network.appTier``: ``sourceCidrs``,
  ``sourceNamespaces``) on the app ports (``appTier.ports``, default the edge's backend port):
  users arrive through the edge load balancer (§9.6.1), nobody else does;
- ``app`` → ``ai`` on the AI gateway ports (default 443);
- ``ai`` → ``data`` on the database ports (default 5432);
- ``app`` → the tenant's app databases (``data`` with ``paif.vmware.com/database-kind: app``,
  §9.3.2 item 4) on the database ports, when it declares any; never to its vector databases;
- within a tier on that tier's ports: ``app`` on the app ports (frontend → backend), ``ai`` on
  the AI ports and the serving port (gateway → replicas: vLLM and NIM serve on 8000), ``data``
  on the database ports (primary → standby);
- with ``metrics_scrape`` (namespace, port): the site's Prometheus into ``ai`` on the serving
  metrics port (``allow-metrics-scrape``; §9.7.1 monitoring: every endpoint is scraped);
- out of ``ai`` to the site's Harbor (model pulls, §9.5.3 phase 4), the model store and the
  declared external APIs; out of ``data`` to the backup locations' object stores (§9.3.2
  item 2) — ``network.egress``;
- logical replication of a DR copy (``databases[].dr.mechanism: logical``), only in a tenant
  that has one: at the primary, into ``data`` from the DR site's database addresses; at a DR
  site whose copy subscribes, out of ``data`` to the primary's — on the database ports, the
  addresses being the peer stack file's ``network.dataCidrs`` (:class:`ReplicationPath`).

Without ``network.egress`` the namespace keeps the library's earlier defaults: DNS to any
address on 53 and the ``ai``/``data`` tiers to any address on 443. PAIF-MT-005 refuses that in
production and reports it elsewhere, listing what to declare.

The ``SecurityPolicy`` confines every pod and the ``ai``/``data`` VMs; VKS node VMs (tier
``app``) are sources of the app → AI rule but are not confined by it, because a VKS cluster
also needs the Supervisor API, NTP and image registries that VKS itself manages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from paif_components.config.models import Network, Tenant
from paif_components.observability.metrics import SERVING_METRICS_PORT
from paif_components.vks_cluster import TIER_LABEL

TIER_APP: Final = "app"
TIER_AI: Final = "ai"
TIER_DATA: Final = "data"
# What a ``data`` workload holds: pgvector embeddings ("vector") or the app's own data ("app").
DATABASE_KIND_LABEL: Final = "paif.vmware.com/database-kind"
VECTOR_DATA_KIND: Final = "vector"
APP_DATA_KIND: Final = "app"
TIERS: Final = (TIER_APP, TIER_AI, TIER_DATA)

# §9.2.2: the PAIS ML API gateway serves the OpenAI-compatible API over HTTPS.
DEFAULT_AI_PORTS: Final = (443,)
# PostgreSQL's port (DSM pgvector, §9.2.3).
DEFAULT_DATABASE_PORTS: Final = (5432,)
DNS_PORT: Final = 53
HTTPS_PORT: Final = 443
# The gateway reaches its replicas on their HTTP port (vLLM and NIM: 8000), where Prometheus
# also scrapes them.
SERVING_PORT: Final = SERVING_METRICS_PORT
ANY_IPV4: Final = "0.0.0.0/0"
SECURITY_POLICY_PRIORITY: Final = 10
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
# Where a cluster's CoreDNS runs, and its pods' label (the Supervisor's and a VKS cluster's).
DNS_NAMESPACE: Final = "kube-system"
DNS_POD_LABELS: Final[dict[str, str]] = {"k8s-app": "kube-dns"}


@dataclass(frozen=True)
class Route:
    """A destination beyond the namespace: its name in rule names, addresses and ports."""

    name: str
    cidrs: tuple[str, ...]
    ports: tuple[int, ...] = (HTTPS_PORT,)


@dataclass(frozen=True)
class Egress:
    """``network.egress`` as the namespaces use it: resolvers, and routes out per tier."""

    dns_servers: tuple[str, ...]
    ai: tuple[Route, ...]
    data: tuple[Route, ...]


@dataclass(frozen=True)
class ReplicationPath:
    """The one cross-site flow of a tenant's data tier: logical replication of its DR copies.

    ``direction`` ``"in"`` at the primary (its databases admit the DR site's database addresses,
    from which the copies' subscriptions connect), ``"out"`` at a DR site whose copies subscribe
    (they connect to the primary's). ``cidrs`` are the peer site's ``network.dataCidrs``.
    """

    peer_site: str
    direction: Literal["in", "out"]
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class NamespaceNetwork:
    """What the site's network says about every tenant namespace: who reaches the app tier on
    which ports, (``egress``; None: not declared) where the tiers may go, and (``replication``)
    the peer site's databases a tenant's logical DR copies connect across."""

    app_ports: tuple[int, ...] = (HTTPS_PORT,)
    edge_cidrs: tuple[str, ...] = ()
    edge_namespaces: tuple[str, ...] = ()
    egress: Egress | None = None
    replication: ReplicationPath | None = None

    @property
    def has_edge(self) -> bool:
        return bool(self.edge_cidrs or self.edge_namespaces)


def network_cidrs(network: NamespaceNetwork) -> list[tuple[str, str]]:
    """(config path, CIDR) of every address range the namespaces' rules will name."""
    found = [("network.appTier.sourceCidrs", c) for c in network.edge_cidrs]
    egress = network.egress
    if egress is not None:
        found += [("network.egress.dnsServers", c) for c in egress.dns_servers]
        for route in (*egress.ai, *egress.data):
            found += [(f"network.egress ({route.name})", c) for c in route.cidrs]
    if network.replication is not None:
        where = f"network.dataCidrs ({network.replication.peer_site})"
        found += [(where, c) for c in network.replication.cidrs]
    return found


def namespace_network(network: Network) -> NamespaceNetwork:
    """The tenant namespaces' view of ``paif:network``."""
    declared = network.egress
    egress = None
    if declared is not None:
        ai = [Route("harbor", tuple(declared.harbor))]
        if declared.model_store:
            ai.append(Route("model-store", tuple(declared.model_store)))
        ai += [
            Route(f"api-{api.name}", tuple(api.cidrs), tuple(sorted(set(api.ports))))
            for api in declared.external_apis
        ]
        data = [
            Route(f"backup-{name}", tuple(cidrs))
            for name, cidrs in sorted(declared.backup_locations.items())
        ]
        egress = Egress(tuple(declared.dns_servers), tuple(ai), tuple(data))
    return NamespaceNetwork(
        app_ports=network.app_ports,
        edge_cidrs=tuple(network.app_tier.source_cidrs),
        edge_namespaces=tuple(network.app_tier.source_namespaces),
        egress=egress,
    )


def _selector(tier: str) -> dict[str, Any]:
    return {"matchLabels": {TIER_LABEL: tier}}


def _tcp(ports: Sequence[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": int(p)} for p in ports]


def _dns_ports() -> list[dict[str, Any]]:
    return [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}]


def namespace_selector(namespace: str) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}


def _dns_pods() -> dict[str, Any]:
    return {
        "namespaceSelector": namespace_selector(DNS_NAMESPACE),
        "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
    }


class SegmentedNamespace(Protocol):
    """What segmentation reads of a namespace's args (``SupervisorNamespaceArgs`` has it).

    A protocol rather than the args class itself, so this module does not import the one
    that imports it.
    """

    @property
    def tenant(self) -> Tenant: ...
    @property
    def ai_ports(self) -> tuple[int, ...]: ...
    @property
    def database_ports(self) -> tuple[int, ...]: ...
    @property
    def network(self) -> NamespaceNetwork: ...
    @property
    def metrics_scrape(self) -> tuple[str, int] | None: ...


def internal_ports(args: SegmentedNamespace, tier: str) -> tuple[int, ...]:
    """The ports a tier's own workloads reach each other on."""
    if tier == TIER_APP:
        return args.network.app_ports
    if tier == TIER_AI:
        return tuple(sorted({*args.ai_ports, SERVING_PORT}))
    return tuple(args.database_ports)


def _routes(args: SegmentedNamespace, tier: str) -> tuple[Route, ...]:
    """Where a tier goes beyond the namespace; undeclared egress: anywhere on 443."""
    egress = args.network.egress
    if egress is None:
        return (Route("https", (ANY_IPV4,)),)
    return egress.ai if tier == TIER_AI else egress.data


# --- NetworkPolicy --------------------------------------------------------------------------


def network_policies(args: SegmentedNamespace) -> list[dict[str, Any]]:
    """Name and spec of each NetworkPolicy, default-deny first."""
    network = args.network
    ai_ports, db_ports = _tcp(args.ai_ports), _tcp(args.database_ports)

    def within(tier: str) -> dict[str, Any]:
        return {"podSelector": _selector(tier)}

    def internal(tier: str, direction: str) -> dict[str, Any]:
        return {direction: [within(tier)], "ports": _tcp(internal_ports(args, tier))}

    def routes_out(tier: str) -> list[dict[str, Any]]:
        return [
            {"to": [{"ipBlock": {"cidr": c}} for c in route.cidrs], "ports": _tcp(route.ports)}
            for route in _routes(args, tier)
        ]

    # Undeclared egress: any destination on 53, as before network.egress existed.
    dns_rule: dict[str, Any] = {"ports": _dns_ports()}
    if network.egress is not None:
        resolvers = [_dns_pods(), *({"ipBlock": {"cidr": c}} for c in network.egress.dns_servers)]
        dns_rule = {"to": resolvers, **dns_rule}
    app_ingress = [internal(TIER_APP, "from")]
    if network.has_edge:
        edge = [{"ipBlock": {"cidr": c}} for c in network.edge_cidrs]
        edge += [{"namespaceSelector": namespace_selector(n)} for n in network.edge_namespaces]
        app_ingress.insert(0, {"from": edge, "ports": _tcp(network.app_ports)})

    policies: list[dict[str, Any]] = [
        {
            "name": "default-deny",
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "name": "allow-dns",
            "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [dns_rule]},
        },
        {
            "name": "allow-app",
            "spec": {
                "podSelector": _selector(TIER_APP),
                "policyTypes": ["Ingress", "Egress"],
                "ingress": app_ingress,
                "egress": [
                    {"to": [within(TIER_AI)], "ports": ai_ports},
                    internal(TIER_APP, "to"),
                ],
            },
        },
        {
            "name": "allow-ai",
            "spec": {
                "podSelector": _selector(TIER_AI),
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": [within(TIER_APP)], "ports": ai_ports},
                    internal(TIER_AI, "from"),
                ],
                "egress": [
                    {"to": [within(TIER_DATA)], "ports": db_ports},
                    internal(TIER_AI, "to"),
                    *routes_out(TIER_AI),
                ],
            },
        },
        {
            "name": "allow-data",
            "spec": {
                "podSelector": _selector(TIER_DATA),
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": [within(TIER_AI)], "ports": db_ports},
                    internal(TIER_DATA, "from"),
                ],
                "egress": [internal(TIER_DATA, "to"), *routes_out(TIER_DATA)],
            },
        },
        *_app_data_policies(args, db_ports),
        *_replication_policies(args, db_ports),
    ]
    if args.metrics_scrape is not None:
        namespace, port = args.metrics_scrape
        policies.append(
            {
                "name": "allow-metrics-scrape",
                "spec": {
                    "podSelector": _selector(TIER_AI),
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": namespace_selector(namespace)}],
                            "ports": _tcp([port]),
                        }
                    ],
                },
            }
        )
    return policies


def _app_data_selector() -> dict[str, Any]:
    return {"matchLabels": {TIER_LABEL: TIER_DATA, DATABASE_KIND_LABEL: APP_DATA_KIND}}


def _app_data_policies(
    args: SegmentedNamespace, db_ports: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """App tier → the tenant's app databases (§9.3.2 item 4), never its vector databases."""
    if not args.tenant.app_databases:
        return []
    return [
        {
            "name": "allow-app-to-app-data",
            "spec": {
                "podSelector": _selector(TIER_APP),
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": _app_data_selector()}], "ports": db_ports}],
            },
        },
        {
            "name": "allow-app-data-from-app",
            "spec": {
                "podSelector": _app_data_selector(),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": _selector(TIER_APP)}], "ports": db_ports}],
            },
        },
    ]


REPLICATION_POLICY: Final = "allow-data-replication"


def _replication_policies(
    args: SegmentedNamespace, db_ports: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The data tier's one cross-site flow, logical replication (:class:`ReplicationPath`)."""
    path = args.network.replication
    if path is None:
        return []
    peers = [{"ipBlock": {"cidr": c}} for c in path.cidrs]
    if path.direction == "in":
        rules = {"policyTypes": ["Ingress"], "ingress": [{"from": peers, "ports": db_ports}]}
    else:
        rules = {"policyTypes": ["Egress"], "egress": [{"to": peers, "ports": db_ports}]}
    return [{"name": REPLICATION_POLICY, "spec": {"podSelector": _selector(TIER_DATA), **rules}}]


# --- NSX SecurityPolicy ---------------------------------------------------------------------


def _peers(tier: str, *, vms: bool = True) -> list[dict[str, Any]]:
    peers: list[dict[str, Any]] = [{"podSelector": _selector(tier)}]
    if vms:
        peers.append({"vmSelector": _selector(tier)})
    return peers


def _ip_blocks(cidrs: Sequence[str]) -> dict[str, Any]:
    return {"ipBlocks": [{"cidr": c} for c in cidrs]}


def security_policy_spec(args: SegmentedNamespace) -> dict[str, Any]:
    """The nsx-operator SecurityPolicy spec: the NetworkPolicy rules for pods and VMs."""
    network = args.network
    ai_ports, db_ports = _tcp(args.ai_ports), _tcp(args.database_ports)
    confined_vms = {
        "vmSelector": {
            "matchExpressions": [
                {"key": TIER_LABEL, "operator": "In", "values": [TIER_AI, TIER_DATA]}
            ]
        }
    }
    everything: list[dict[str, Any]] = [{"podSelector": {}}, confined_vms]

    def rule(
        name: str, direction: str, action: str, applied: list[dict[str, Any]], **kw: Any
    ) -> dict[str, Any]:
        return {"name": name, "direction": direction, "action": action, "appliedTo": applied, **kw}

    resolvers = (
        {"destinations": [_dns_pods(), _ip_blocks(network.egress.dns_servers)]}
        if network.egress is not None
        else {}  # undeclared egress: any destination on 53, as before
    )
    rules = [rule("allow-dns", "Out", "allow", everything, **resolvers, ports=_dns_ports())]
    if network.has_edge:
        edge: list[dict[str, Any]] = []
        if network.edge_cidrs:
            edge.append(_ip_blocks(network.edge_cidrs))
        edge += [{"namespaceSelector": namespace_selector(n)} for n in network.edge_namespaces]
        rules.append(
            rule(
                "allow-app-ingress",
                "In",
                "allow",
                _peers(TIER_APP, vms=False),
                sources=edge,
                ports=_tcp(network.app_ports),
            )
        )
    rules += [
        rule(
            "allow-app-to-ai",
            "Out",
            "allow",
            _peers(TIER_APP, vms=False),
            destinations=_peers(TIER_AI),
            ports=ai_ports,
        ),
        rule(
            "allow-ai-from-app",
            "In",
            "allow",
            _peers(TIER_AI),
            sources=_peers(TIER_APP),
            ports=ai_ports,
        ),
        rule(
            "allow-ai-to-data",
            "Out",
            "allow",
            _peers(TIER_AI),
            destinations=_peers(TIER_DATA),
            ports=db_ports,
        ),
        rule(
            "allow-data-from-ai",
            "In",
            "allow",
            _peers(TIER_DATA),
            sources=_peers(TIER_AI),
            ports=db_ports,
        ),
    ]
    if args.tenant.app_databases:
        app_data = [{"podSelector": _app_data_selector()}, {"vmSelector": _app_data_selector()}]
        rules += [
            rule(
                "allow-app-to-app-data",
                "Out",
                "allow",
                _peers(TIER_APP, vms=False),
                destinations=app_data,
                ports=db_ports,
            ),
            rule(
                "allow-app-data-from-app",
                "In",
                "allow",
                app_data,
                sources=_peers(TIER_APP),
                ports=db_ports,
            ),
        ]
    for tier in TIERS:
        confined = _peers(tier, vms=tier != TIER_APP)
        ports = _tcp(internal_ports(args, tier))
        rules.append(
            rule(
                f"allow-{tier}-internal-in",
                "In",
                "allow",
                confined,
                sources=_peers(tier),
                ports=ports,
            )
        )
        rules.append(
            rule(
                f"allow-{tier}-internal-out",
                "Out",
                "allow",
                confined,
                destinations=_peers(tier),
                ports=ports,
            )
        )
    for tier in (TIER_AI, TIER_DATA):
        for route in _routes(args, tier):
            rules.append(
                rule(
                    f"allow-{tier}-{route.name}-out",
                    "Out",
                    "allow",
                    _peers(tier),
                    destinations=[_ip_blocks(route.cidrs)],
                    ports=_tcp(route.ports),
                )
            )
    path = network.replication
    if path is not None:
        peers = {"sources" if path.direction == "in" else "destinations": [_ip_blocks(path.cidrs)]}
        rules.append(
            rule(
                f"{REPLICATION_POLICY}-{path.direction}",
                "In" if path.direction == "in" else "Out",
                "allow",
                _peers(TIER_DATA),
                **peers,
                ports=db_ports,
            )
        )
    if args.metrics_scrape is not None:
        namespace, port = args.metrics_scrape
        rules.append(
            rule(
                "allow-ai-metrics-scrape",
                "In",
                "allow",
                _peers(TIER_AI),
                sources=[{"namespaceSelector": namespace_selector(namespace)}],
                ports=_tcp([port]),
            )
        )
    rules.append(rule("default-deny-in", "In", "drop", everything))
    rules.append(rule("default-deny-out", "Out", "drop", everything))
    return {"priority": SECURITY_POLICY_PRIORITY, "rules": rules}
