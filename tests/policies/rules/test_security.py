"""PAIF-SEC-001..007 and PAIF-SEC-009: each rule on a compliant and a violating stack, through the
real analyzer (PAIF-SEC-008 and PAIF-SEC-010: test_rules_workloads.py).

Stacks are plans of small stack configs through the real program where the site already
carries the fact (plain-text credentials in config), otherwise tiny programs that register the
components (or, where a component refuses the violation, the raw resources) beside a
``paif:site:PaifSite`` component with the site props, evaluated with
``paif_cli.crossguard.analyzer.evaluate`` like ``paif plan`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from paif_components.avi_binding import (
    AnalyticsPolicy,
    AviService,
    FullClientLogs,
    Virtualservice,
    VirtualserviceArgs,
)
from paif_components.config.models import StackConfig
from paif_components.edge_security import AviEntry, EdgeSecurity, EdgeSecurityArgs
from paif_components.gslb import GslbService, GslbServiceArgs, GslbSite
from paif_components.harbor_registry import (
    HarborProject,
    HarborProjectArgs,
    HarborReplicationReceiver,
    HarborReplicationReceiverArgs,
)
from paif_components.model_endpoint import NIM_API_VERSION, ModelEndpoint
from paif_components.model_endpoint import ModelEndpointArgs as EndpointArgs
from paif_components.nsx_binding import (
    GroupCriteria,
    IpAddressExpression,
    LbClientSsl,
    PolicyGroup,
    PolicyGroupArgs,
    PolicyLbVirtualServer,
    PolicyLbVirtualServerArgs,
    PolicySecurityPolicy,
    PolicySecurityPolicyArgs,
    SecurityPolicyRule,
)
from paif_components.pgvector_database import PgvectorDatabase, PgvectorDatabaseArgs
from paif_components.tenant_apps import TenantApps
from paif_policies.rules import security
from tests.support.policy import (
    SECRET_PLACEHOLDER,
    ProgramResult,
    check,
    plan_rows,
    plan_stack,
    run_site,
)
from tests.support.stacks import (
    load_example,
    load_stack,
    marketing,
    site_context,
    tenant_apps_args,
    write_project,
)

HOST = "harbor.primary.example.com"
CERT = "/infra/certificates/ai-example-com"
PROFILE = "/infra/lb-client-ssl-profiles/default-balanced-client-ssl-profile"
APP_PROFILE = "/infra/lb-app-profiles/default-http-lb-app-profile"
SERVER_PROFILE = "/infra/lb-server-ssl-profiles/default-balanced-server-ssl-profile"
ADMINS = ["10.0.100.0/24"]
MANAGEMENT = ["10.0.0.0/24"]


# --- harness --------------------------------------------------------------------------------


SITE: dict[str, Any] = {
    "site": "seoul-primary",
    "environment": "prod",
    "drPattern": "warm-standby",
    "drRole": "primary",
    "peerSite": "busan-dr",
    "waivers": [],
    "plaintextSecretConfigKeys": [],
    "oidc": {"issuerUrl": "https://auth.vcfa.primary.example.com", "clientId": "paif-gateway"},
    "audit": {"enabled": True, "retentionDays": 365},
    "managementCidrs": MANAGEMENT,
    "adminSourceCidrs": ADMINS,
}


def run(build: Callable[[], None] = lambda: None, **site: Any) -> ProgramResult:
    return run_site({**SITE, **site}, build)


def endpoints_of(cfg: StackConfig) -> Callable[[], None]:
    tenant, ctx = marketing(cfg), site_context(cfg, dr=True)

    def build() -> None:
        for endpoint in tenant.model_endpoints:
            ModelEndpoint(
                f"{tenant.name}-{endpoint.name}",
                EndpointArgs(tenant=tenant, endpoint=endpoint, ctx=ctx),
            )

    return build


def apps_of(cfg: StackConfig) -> None:
    """Marketing's apps on its VKS cluster, as the site builds them."""
    TenantApps("marketing-apps", tenant_apps_args(cfg))


def edge(name: str = "edge", **overrides: Any) -> None:
    args: dict[str, Any] = {
        "site_name": "seoul-primary",
        "ingress_fqdn": "ai.example.com",
        "virtual_ip": "10.10.0.10",
        "lb_service_path": "/infra/lb-services/seoul-primary-t1-lb",
        "backend_members": ("10.10.1.21", "10.10.1.22"),
        "backend_port": 443,
        "client_ssl_profile_path": PROFILE,
        "server_ssl_profile_path": SERVER_PROFILE,
        "certificate_path": CERT,
        "admin_source_cidrs": ADMINS,
        "management_cidrs": MANAGEMENT,
    }
    args.update(overrides)
    EdgeSecurity(name, EdgeSecurityArgs(**args))


def waf_edge(name: str = "edge", **overrides: Any) -> None:
    """The WAF entry (an Avi virtual service) as the site builds it in production."""
    edge(name, waf=True, lb_service_path=None, **overrides)


def virtual_server(name: str, ports: tuple[int, ...], client_ssl: LbClientSsl | None) -> None:
    PolicyLbVirtualServer(
        name,
        PolicyLbVirtualServerArgs(
            display_name=name,
            application_profile_path=APP_PROFILE,
            ip_address="10.10.0.11",
            ports=ports,
            client_ssl=client_ssl,
            access_log_enabled=True,
        ),
    )


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


# --- PAIF-SEC-001 ---------------------------------------------------------------------------


def test_sec_001_edge_terminates_tls(prod: StackConfig) -> None:
    def build() -> None:
        edge()
        apps_of(prod)
        GslbService(
            "gslb",
            GslbServiceArgs(
                service_name="ai",
                fqdn="ai.example.com",
                sites=(GslbSite("seoul-primary", "10.10.0.10"), GslbSite("busan-dr", "10.20.0.10")),
                health_monitor_refs=("/api/healthmonitor?name=System-GSLB-HTTPS",),
                application_persistence_profile_ref="/api/applicationpersistenceprofile?name=p",
            ),
        )

    assert check(run(build), "PAIF-SEC-001") == []


def test_sec_001_plain_http_entry() -> None:
    def build() -> None:
        virtual_server("plain", (80, 8080), None)
        virtual_server("no-profile", (443,), LbClientSsl(default_certificate_path=CERT))
        k8s.core.v1.Service(
            "web",
            metadata={"name": "web", "namespace": "marketing-ns"},
            spec={"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]},
        )
        k8s.core.v1.Service(
            "internal",
            metadata={"name": "internal", "namespace": "marketing-ns"},
            spec={"type": "ClusterIP", "ports": [{"port": 80}]},
        )
        k8s.networking.v1.Ingress(
            "chat",
            metadata={"name": "chat", "namespace": "marketing-ns"},
            spec={"rules": [{"host": "chat.example.com"}]},
        )
        GslbService(
            "gslb",
            GslbServiceArgs(
                service_name="ai",
                fqdn="ai.example.com",
                sites=(GslbSite("seoul-primary", "10.10.0.10"), GslbSite("busan-dr", "10.20.0.10")),
                health_monitor_refs=("/api/healthmonitor?name=System-GSLB-HTTP",),
                application_persistence_profile_ref="/api/applicationpersistenceprofile?name=p",
            ),
        )

    assert check(run(build), "PAIF-SEC-001") == [
        ("mandatory", "chat", "Ingress marketing-ns/chat has no spec.tls: it serves plain HTTP"),
        (
            "mandatory",
            "gslb-gslb",
            "GSLB service 'ai' checks the sites with plain-HTTP health monitor "
            "'System-GSLB-HTTP': the sites answer HTTP; monitor them over HTTPS (e.g. "
            "System-GSLB-HTTPS)",
        ),
        (
            "mandatory",
            "no-profile",
            "NSX virtual server 'no-profile' forwards to its backends in plain text (no serverSsl "
            "profile): re-encrypt with a server SSL profile (network.ingress.serverSslProfile, "
            "§9.6.3)",
        ),
        (
            "mandatory",
            "no-profile",
            "NSX virtual server 'no-profile' sets no client SSL profile (clientSsl.sslProfilePath):"
            " the protocols and ciphers it accepts are left to chance",
        ),
        (
            "mandatory",
            "plain",
            "NSX virtual server 'plain' on port(s) 80, 8080 has no client SSL: it does not "
            "terminate TLS and listens for plain HTTP on 80",
        ),
        (
            "mandatory",
            "web",
            "Service marketing-ns/web is reachable from outside the cluster as a LoadBalancer "
            "Service on port 443 (no TLS appProtocol): it serves plain text; publish it through "
            "an Ingress with TLS, or serve TLS and declare appProtocol https",
        ),
        (
            "mandatory",
            "web",
            "Service marketing-ns/web is reachable from outside the cluster as a LoadBalancer "
            "Service on port 80 (no TLS appProtocol): it serves plain text; publish it through "
            "an Ingress with TLS, or serve TLS and declare appProtocol https",
        ),
    ]


def test_sec_001_the_waf_entry_terminates_tls_and_re_encrypts() -> None:
    assert check(run(waf_edge), "PAIF-SEC-001") == []


def test_sec_001_internal_hops_in_production() -> None:
    """§9.6.3 TLS between internal services: the LB → backend hop and database clients."""
    plain_pool = AviEntry(server_ssl_profile_ref=None)

    def build() -> None:
        edge(server_ssl_profile_path=None)
        waf_edge("dr-edge", avi=plain_pool, site_name="busan-dr", virtual_ip="10.20.0.10")
        k8s.apiextensions.CustomResource(
            "kb",
            api_version="databases.dataservices.vmware.com/v1alpha1",
            kind="PostgresCluster",
            metadata={
                "name": "kb",
                "namespace": "marketing-ns",
                "annotations": {"paif.vmware.com/sslmode": "prefer"},
            },
            spec={"replicas": 1},
        )

    expected = [
        (
            "mandatory",
            "dr-edge-avi-pool",
            "Avi pool 'busan-dr-ingress-pool' sends traffic to its servers in plain text (no "
            "sslProfileRef): re-encrypt (network.ingress.avi.serverSslProfile, §9.6.3)",
        ),
        (
            "mandatory",
            "edge-vs",
            "NSX virtual server 'seoul-primary-ingress' forwards to its backends in plain text "
            "(no serverSsl profile): re-encrypt with a server SSL profile "
            "(network.ingress.serverSslProfile, §9.6.3)",
        ),
        (
            "mandatory",
            "kb",
            "PostgresCluster marketing-ns/kb: clients may connect without TLS (sslmode 'prefer'); "
            "require require or verify-ca or verify-full (databases[].sslMode, §9.6.3)",
        ),
    ]
    assert check(run(build), "PAIF-SEC-001") == expected
    # Outside production the internal hops are the checklist's recommendation, not a rule.
    assert check(run(build, environment="dev"), "PAIF-SEC-001") == []


def test_sec_001_an_avi_service_without_tls() -> None:
    def build() -> None:
        Virtualservice(
            "plain-vs",
            VirtualserviceArgs(
                name="plain-vs", services=(AviService(port=80), AviService(port=8443))
            ),
        )

    assert check(run(build), "PAIF-SEC-001") == [
        (
            "mandatory",
            "plain-vs",
            "Avi virtual service 'plain-vs' has no SSL service (services[].enableSsl): it does "
            "not terminate TLS",
        ),
        (
            "mandatory",
            "plain-vs",
            "Avi virtual service 'plain-vs' listens without TLS on port(s) 80, 8443: plain HTTP",
        ),
    ]


def test_sec_001_databases_the_site_builds_require_tls(prod: StackConfig) -> None:
    tenant = marketing(prod)
    ctx = site_context(prod)
    databases = [*tenant.databases, *tenant.app_databases]
    assert {d.ssl_mode for d in databases} == {"verify-full"}

    def build() -> None:
        for database in databases:
            PgvectorDatabase(
                database.name, PgvectorDatabaseArgs(tenant=tenant, database=database, ctx=ctx)
            )

    assert check(run(build), "PAIF-SEC-001") == []


def _service(name: str, spec: dict[str, Any]) -> None:
    k8s.core.v1.Service(name, metadata={"name": name, "namespace": "marketing-ns"}, spec=spec)


@pytest.mark.parametrize(
    ("spec", "how", "shown"),
    [
        (
            {"type": "LoadBalancer", "ports": [{"port": 8080, "name": "http"}]},
            "a LoadBalancer Service",
            "no TLS appProtocol",
        ),
        (
            {"type": "LoadBalancer", "ports": [{"port": 9000, "appProtocol": "http"}]},
            "a LoadBalancer Service",
            "appProtocol http",
        ),
        (
            {"type": "NodePort", "ports": [{"port": 8443}]},
            "a NodePort Service",
            "no TLS appProtocol",
        ),
        (
            {"type": "ClusterIP", "externalIPs": ["10.10.0.50"], "ports": [{"port": 7000}]},
            "a Service with externalIPs",
            "no TLS appProtocol",
        ),
    ],
)
def test_sec_001_plain_text_service_on_any_port_fails_beside_the_example_apps(
    prod: StackConfig, spec: dict[str, Any], how: str, shown: str
) -> None:
    """The example's apps pass; a plain Service reachable from outside fails on any port."""

    def build() -> None:
        apps_of(prod)
        _service("plain", spec)

    port = spec["ports"][0]["port"]
    assert check(run(build), "PAIF-SEC-001") == [
        (
            "mandatory",
            "plain",
            f"Service marketing-ns/plain is reachable from outside the cluster as {how} on port "
            f"{port} ({shown}): it serves plain text; publish it through an Ingress with TLS, "
            "or serve TLS and declare appProtocol https",
        )
    ]


def test_sec_001_tls_services_ingress_hosts_and_gateway_listeners() -> None:
    def build() -> None:
        _service(
            "tls-lb", {"type": "LoadBalancer", "ports": [{"port": 8443, "appProtocol": "https"}]}
        )
        k8s.networking.v1.Ingress(
            "partly",
            metadata={"name": "partly", "namespace": "marketing-ns"},
            spec={
                "tls": [{"hosts": ["*.example.com"], "secretName": "wildcard"}],
                "rules": [{"host": "chat.example.com"}, {"host": "chat.other.org"}],
            },
        )
        k8s.apiextensions.CustomResource(
            "gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            metadata={"name": "gateway", "namespace": "marketing-ns"},
            spec={
                "gatewayClassName": "contour",
                "listeners": [
                    {"name": "https", "port": 443, "protocol": "HTTPS"},
                    {"name": "web", "port": 8080, "protocol": "HTTP"},
                ],
            },
        )

    assert check(run(build), "PAIF-SEC-001") == [
        (
            "mandatory",
            "gateway",
            "Gateway marketing-ns/gateway listener 'web' on port 8080 speaks HTTP, not HTTPS or "
            "TLS",
        ),
        (
            "mandatory",
            "partly",
            "Ingress marketing-ns/partly serves host chat.other.org without TLS (no spec.tls "
            "entry names it)",
        ),
    ]


def test_sec_001_the_example_stacks_pass(example_out: Path) -> None:
    """Both example plans: the exposed app goes out through its TLS Ingress only."""
    for stack in ("prod", "dr"):
        planned = json.loads((example_out / stack / "plan.json").read_text())
        assert [v for v in planned["policy"]["violations"] if v["ruleId"] == "PAIF-SEC-001"] == []
        kinds = {
            (r["inputs"].get("kind"), (r["inputs"].get("spec") or {}).get("type"))
            for r in planned["resources"]
            if r["type"].startswith("kubernetes:")
        }
        assert ("Ingress", None) in kinds
        assert ("Service", "LoadBalancer") not in kinds


# --- PAIF-SEC-002 ---------------------------------------------------------------------------


def role_binding(name: str, role: str, subjects: list[dict[str, str]]) -> None:
    k8s.rbac.v1.RoleBinding(
        name,
        metadata={"name": name, "namespace": "marketing-ns"},
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        subjects=[{"apiGroup": "rbac.authorization.k8s.io", **s} for s in subjects],
    )


def test_sec_002_oidc_groups() -> None:
    def build() -> None:
        role_binding("marketing-admin", "admin", [{"kind": "Group", "name": "marketing-admins"}])
        role_binding("marketing-view", "view", [{"kind": "User", "name": "oidc:alice@corp"}])

    assert check(run(build), "PAIF-SEC-002") == []


def test_sec_002_static_admins() -> None:
    def build() -> None:
        role_binding("ops", "edit", [{"kind": "User", "name": "sso:Administrator@vsphere.local"}])
        role_binding("bob", "admin", [{"kind": "User", "name": "oidc:bob@corp"}])

    assert check(run(build, oidc=None), "PAIF-SEC-002") == [
        (
            "mandatory",
            "bob",
            "RoleBinding marketing-ns/bob gives the admin role 'admin' to the user "
            "'oidc:bob@corp' directly; bind admin roles to an OIDC group so access follows "
            "membership",
        ),
        (
            "mandatory",
            "ops",
            "RoleBinding marketing-ns/ops binds role 'edit' to the static user "
            "'sso:Administrator@vsphere.local'; bind roles to OIDC groups",
        ),
    ]


def _pais_endpoint(
    namespace: str = "marketing-ns", opts: pulumi.ResourceOptions | None = None
) -> None:
    k8s.apiextensions.CustomResource(
        f"{namespace}-chat",
        api_version="pais.vmware.com/v1alpha1",
        kind="ModelEndpoint",
        metadata={
            "name": "chat",
            "namespace": namespace,
            "annotations": {"paif.vmware.com/replicas": "2..4"},
        },
        spec={"model": {"ociRef": "h/p/m:1"}, "engine": "vLLM", "type": "Completions"},
        opts=opts,
    )


def _pais_configuration(namespace: str, oidc: dict[str, Any] | None) -> None:
    spec: dict[str, Any] = {"database": {"passwordRef": {"name": "kb"}}}
    if oidc is not None:
        spec["auth"] = {"oidc": oidc}
    k8s.apiextensions.CustomResource(
        f"{namespace}-pais",
        api_version="pais.vmware.com/v1alpha1",
        kind="PAISConfiguration",
        metadata={"name": "default", "namespace": namespace},
        spec=spec,
    )


def test_sec_002_reads_oidc_from_the_gateway_configuration() -> None:
    """The site's config key is not what is checked: each namespace serving PAIS endpoints
    has a PAISConfiguration that validates tokens and admits named groups."""
    good = {
        "issuerUrl": "https://auth.vcfa.example.com",
        "clientId": "paif-gateway",
        "authorizedGroups": ["marketing-admins"],
    }

    def build() -> None:
        _pais_endpoint("marketing-ns")
        _pais_configuration("marketing-ns", good)
        _pais_endpoint("hr-ns")  # no PAISConfiguration at all
        _pais_endpoint("dev-ns")
        _pais_configuration("dev-ns", None)
        _pais_endpoint("ops-ns")
        _pais_configuration(
            "ops-ns", {"issuerUrl": "http://auth", "clientId": "c", "authorizedGroups": []}
        )

    assert check(run(build), "PAIF-SEC-002") == [
        (
            "mandatory",
            "dev-ns-pais",
            "PAISConfiguration dev-ns/default sets no auth.oidc: its ML API gateway validates "
            "no OIDC tokens (set paif:security.oidc)",
        ),
        (
            "mandatory",
            "hr-ns-chat",
            "namespace hr-ns serves PAIS endpoint(s) chat but has no PAISConfiguration: nothing "
            "configures its gateway's authentication",
        ),
        (
            "mandatory",
            "ops-ns-pais",
            "PAISConfiguration ops-ns/default admits no authorizedGroups: any identity of the "
            "provider reaches the tenant's endpoints (set tenants[].oidcGroups)",
        ),
        (
            "mandatory",
            "ops-ns-pais",
            "PAISConfiguration ops-ns/default: OIDC issuer 'http://auth' is not an https:// URL",
        ),
    ]


def test_sec_002_a_pais_waiting_for_its_restored_database_has_no_gateway_yet() -> None:
    """At a DR site whose PAIS database is restored at failover, PAIS has no instance (and so
    no gateway) before then: its tenant component records which database it waits for, and
    the rule holds only the namespaces that record is not on."""

    def build() -> None:
        for namespace, props in (
            ("marketing-ns", {"tenant": "marketing", "paisDatabaseAtFailover": "docs"}),
            ("hr-ns", {"tenant": "hr"}),
        ):
            tenant = pulumi.ComponentResource("paif:tenancy:Tenant", namespace, props)
            _pais_endpoint(namespace, pulumi.ResourceOptions(parent=tenant))

    assert check(run(build), "PAIF-SEC-002") == [
        (
            "mandatory",
            "hr-ns-chat",
            "namespace hr-ns serves PAIS endpoint(s) chat but has no PAISConfiguration: nothing "
            "configures its gateway's authentication",
        )
    ]


def test_sec_002_the_example_gateways_validate_oidc(prod: StackConfig, tmp_path: Path) -> None:
    def edit(values: dict[str, Any]) -> None:
        del values["paif:security"]["oidc"]

    assert plan_rows(plan_stack(write_project(tmp_path, {"prod": load_example("prod")}), "prod"),
                     "PAIF-SEC-002") == []  # fmt: skip
    values = load_example("prod")
    edit(values)
    rows = plan_rows(plan_stack(write_project(tmp_path / "no-oidc", {"prod": values}), "prod"),
                     "PAIF-SEC-002")  # fmt: skip
    assert rows == [
        (
            "mandatory",
            "PAISConfiguration marketing-ns/default sets no auth.oidc: its ML API gateway "
            "validates no OIDC tokens (set paif:security.oidc)",
        )
    ]


def test_sec_002_harbor_in_oidc_mode() -> None:
    def build() -> None:
        harbor.ConfigAuth("auth-db", auth_mode="db_auth")
        harbor.ConfigAuth(
            "auth-oidc",
            auth_mode="oidc_auth",
            oidc_endpoint="https://auth.vcfa.example.com",
            oidc_client_id="harbor",
            oidc_verify_cert=False,
        )

    assert check(run(build), "PAIF-SEC-002") == [
        ("mandatory", "auth-db", "Harbor auth auth-db is in mode 'db_auth', not oidc_auth"),
        (
            "mandatory",
            "auth-oidc",
            "Harbor auth auth-oidc does not verify the OIDC provider's certificate "
            "(oidcVerifyCert)",
        ),
    ]


def test_sec_002_static_user_list_is_pack_config() -> None:
    result = run(lambda: role_binding("ops", "view", [{"kind": "User", "name": "breakglass"}]))
    assert check(result, "PAIF-SEC-002") == []
    config = {"PAIF-SEC-002": {"staticAdminUsers": ["breakglass"]}}
    assert check(result, "PAIF-SEC-002", config) == [
        (
            "mandatory",
            "ops",
            "RoleBinding marketing-ns/ops binds role 'view' to the static user 'breakglass'; "
            "bind roles to OIDC groups",
        )
    ]


# --- PAIF-SEC-003 ---------------------------------------------------------------------------


def test_sec_003_endpoints_rate_limited(prod: StackConfig) -> None:
    assert check(run(endpoints_of(prod)), "PAIF-SEC-003") == []


def test_sec_003_endpoint_without_rate_limit() -> None:
    """The limit is read from the record both backends carry; the NIM embeddings endpoint
    keeps its configured limit, the PAIS chat endpoint has none."""

    def edit(values: dict[str, Any]) -> None:
        endpoints = values["paif:tenants"][0]["modelEndpoints"]
        del endpoints[0]["rateLimit"]
        endpoints[1]["backend"] = "nim"

    cfg = load_stack(edit=edit)
    assert check(run(endpoints_of(cfg)), "PAIF-SEC-003") == [
        (
            "mandatory",
            "marketing-llama-chat-endpoint",
            "ModelEndpoint marketing-ns/llama-chat has no rate limit (annotation "
            "paif.vmware.com/rate-limit-rpm): one client can exhaust the tenant's GPUs; set "
            "rateLimit.requestsPerMinute",
        ),
    ]


# --- PAIF-SEC-004 ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def config_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example prod stack with the Harbor password in plain text, and as a secret."""
    values = load_example("prod")
    plain = {**values, "harbor:username": "admin", "harbor:password": "Harbor12345"}
    secret = {**plain, "harbor:password": {"secure": "v1:AAAA"}}
    project = write_project(tmp_path_factory.mktemp("sec-rules"), {"plain": plain, "sec": secret})
    return {stack: plan_stack(Path(project), stack) for stack in ("plain", "sec")}


def test_sec_004_plaintext_config_key(config_plans: dict[str, Any]) -> None:
    assert plan_rows(config_plans["plain"], "PAIF-SEC-004") == [
        (
            "mandatory",
            "config key 'harbor:password' looks like a credential but is stored in plain text "
            "in the stack file; set it with `pulumi config set --secret harbor:password`",
        )
    ]
    assert plan_rows(config_plans["sec"], "PAIF-SEC-004") == []
    assert "Harbor12345" not in str(config_plans["plain"].findings)


def test_sec_004_components_keep_secrets_secret(prod: StackConfig) -> None:
    tenant, ctx = marketing(prod), site_context(prod, dr=True)

    def build() -> None:
        HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx))
        harbor.Registry(
            "peer",
            name="busan-dr",
            provider_name="harbor",
            endpoint_url="https://harbor.dr.example.com",
            access_id="robot$replicate",
            access_secret="s3cr3t-from-the-peer",
        )
        endpoints_of(prod)()
        k8s.apiextensions.CustomResource(
            "nim",
            api_version=NIM_API_VERSION,
            kind="NIMService",
            metadata={"name": "nim", "namespace": "marketing-ns"},
            spec={"authSecret": "ngc-api-secret", "image": {"repository": "r", "tag": "1"}},
        )
        k8s.apps.v1.Deployment(
            "backend",
            metadata={"name": "backend", "namespace": "marketing-ns"},
            spec={
                "selector": {"matchLabels": {"app": "backend"}},
                "template": {
                    "metadata": {"labels": {"app": "backend"}},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "containers": [
                            {
                                "name": "backend",
                                "image": f"{HOST}/marketing/chat-backend:2.3.1",
                                "env": [
                                    {"name": "TOKENIZER_PATH", "value": "/models/tokenizer"},
                                    {
                                        "name": "DB_PASSWORD",
                                        "valueFrom": {
                                            "secretKeyRef": {"name": "kb", "key": "password"}
                                        },
                                    },
                                ],
                            }
                        ],
                    },
                },
            },
        )

    result = run(build)
    registry = next(r for r in result.resources if r.name == "peer")
    assert registry.inputs["accessSecret"] == SECRET_PLACEHOLDER
    assert check(result, "PAIF-SEC-004") == []


def test_sec_004_plaintext_in_kubernetes_objects() -> None:
    def build() -> None:
        k8s.core.v1.ConfigMap(
            "app-config",
            metadata={"name": "app-config", "namespace": "marketing-ns"},
            data={"db-password": "hunter2", "model": "llama"},
        )
        k8s.apps.v1.Deployment(
            "backend",
            metadata={"name": "backend", "namespace": "marketing-ns"},
            spec={
                "selector": {"matchLabels": {"app": "backend"}},
                "template": {
                    "metadata": {"labels": {"app": "backend"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "backend",
                                "image": f"{HOST}/marketing/chat-backend:2.3.1",
                                "env": [{"name": "NGC_API_KEY", "value": "nvapi-123"}],
                            }
                        ]
                    },
                },
            },
        )
        # A Pulumi secret in a custom resource is still plain text in etcd.
        k8s.apiextensions.CustomResource(
            "kb",
            api_version="example.com/v1",
            kind="Connector",
            metadata={"name": "kb", "namespace": "marketing-ns"},
            spec={"adminPassword": pulumi.Output.secret("pa55word")},
        )

    assert check(run(build), "PAIF-SEC-004") == [
        (
            "mandatory",
            "app-config",
            "ConfigMap marketing-ns/app-config holds credential(s) in plain fields: "
            "data.db-password; Kubernetes stores them readable to anyone who can get the "
            "object: put them in a Secret and reference it (valueFrom.secretKeyRef, a Secret "
            "name)",
        ),
        (
            "mandatory",
            "backend",
            "Deployment marketing-ns/backend holds credential(s) in plain fields: env "
            "NGC_API_KEY (spec.template.spec.containers[0].env[0].value); Kubernetes stores "
            "them readable to anyone who can get the object: put them in a Secret and "
            "reference it (valueFrom.secretKeyRef, a Secret name)",
        ),
        (
            "mandatory",
            "kb",
            "Connector marketing-ns/kb holds credential(s) in plain fields: spec.adminPassword; "
            "Kubernetes stores them readable to anyone who can get the object: put them in a "
            "Secret and reference it (valueFrom.secretKeyRef, a Secret name)",
        ),
    ]


class Thing(pulumi.CustomResource):
    """A provider resource with credential-named inputs its schema does not mark secret."""

    def __init__(self, name: str, props: Mapping[str, Any]) -> None:
        super().__init__("example:index/thing:Thing", name, dict(props))


def test_sec_004_inputs_offline_and_live() -> None:
    def build() -> None:
        Thing("plain", {"apiToken": "abc123", "tokenUrl": "https://auth/token"})
        Thing("wrapped", {"apiToken": pulumi.Output.secret("abc123")})

    result = run(build)
    expected_plain = (
        "mandatory",
        "plain",
        "Thing plain input(s) apiToken hold a credential that is not a Pulumi secret: it is "
        "stored in plain text in the state and shown by every preview; pass it as "
        "pulumi.Output.secret (or config --secret)",
    )
    assert check(result, "PAIF-SEC-004") == [expected_plain]
    # Live, the engine hands the policy a secret's plaintext; what marks it is the option the
    # generated SDKs set for schema-secret inputs.
    live = [r.to_json() for r in result.resources]
    for record in live:
        if record["name"] == "wrapped":
            record["inputs"]["apiToken"] = "abc123"
            record["secretPaths"] = []
            record["additionalSecretOutputs"] = ["apiToken"]
    assert check(live, "PAIF-SEC-004") == [expected_plain]


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("adminPassword", True),
        ("DB_PASSWORD", True),
        ("NGC_API_KEY", True),
        ("clientSecret", True),
        ("kubeconfig", True),
        ("privateKey", True),
        ("secretName", False),
        ("passwordRef", False),
        ("TOKENIZER_PATH", False),
        ("imagePullSecrets", False),
        ("publicKey", False),
    ],
)
def test_sec_004_credential_names(name: str, credential: bool) -> None:
    assert security.is_credential_name(name) is credential


def test_sec_004_placeholder_matches_the_recorder() -> None:
    assert security.SECRET_PLACEHOLDER == SECRET_PLACEHOLDER


# --- PAIF-SEC-005 ---------------------------------------------------------------------------


def test_sec_005_edge_security_isolates_management() -> None:
    assert check(run(edge), "PAIF-SEC-005") == []


def test_sec_005_management_network_not_declared() -> None:
    assert check(run(managementCidrs=[]), "PAIF-SEC-005") == [
        (
            "mandatory",
            "seoul-primary",
            "the site declares no management network (paif:network.managementCidrs), so "
            "nothing keeps it reachable only from administrators",
        )
    ]
    assert check(run(), "PAIF-SEC-005") == [
        (
            "mandatory",
            "seoul-primary",
            "no NSX distributed-firewall policy protects the management network (10.0.0.0/24): "
            "anything that can route there reaches vCenter and NSX Manager",
        )
    ]


def test_sec_005_open_management_policy() -> None:
    def build() -> None:
        def group(name: str, cidrs: list[str]) -> PolicyGroup:
            return PolicyGroup(
                name,
                PolicyGroupArgs(
                    display_name=name,
                    criterias=(GroupCriteria(IpAddressExpression(tuple(cidrs))),),
                ),
            )

        mgmt = group("mgmt", MANAGEMENT)
        users = group("users", ["10.50.0.0/16"])
        PolicySecurityPolicy(
            "mgmt-dfw",
            PolicySecurityPolicyArgs(
                display_name="mgmt-access",
                category="Environment",
                rules=(
                    SecurityPolicyRule(
                        display_name="users",
                        action="ALLOW",
                        source_groups=(users.path,),
                        destination_groups=(mgmt.path,),
                    ),
                    SecurityPolicyRule(
                        display_name="anyone", action="ALLOW", destination_groups=(mgmt.path,)
                    ),
                ),
            ),
        )

    assert check(run(build), "PAIF-SEC-005") == [
        (
            "mandatory",
            "mgmt-dfw",
            "DFW policy 'mgmt-access' admits source group 'users' with 10.50.0.0/16, outside "
            "the admin sources (10.0.100.0/24)",
        ),
        (
            "mandatory",
            "mgmt-dfw",
            "DFW policy 'mgmt-access' does not end with a rule that drops every other source to "
            "the management network; traffic the allow rule does not match falls through to "
            "later policies",
        ),
        (
            "mandatory",
            "mgmt-dfw",
            "DFW policy 'mgmt-access' rule 'anyone' allows any source to the management "
            "network; allow the admin source group only",
        ),
    ]


# --- PAIF-SEC-006 ---------------------------------------------------------------------------


def test_sec_006_audit_on_and_retained() -> None:
    assert check(run(edge), "PAIF-SEC-006") == []


def test_sec_006_audit_off_short_or_missing() -> None:
    assert check(run(audit={"enabled": False, "retentionDays": 365}), "PAIF-SEC-006") == [
        (
            "mandatory",
            "seoul-primary",
            "audit logging is disabled (paif:security.audit.enabled): API calls leave no trace",
        )
    ]
    short = run(audit={"enabled": True, "retentionDays": 30})
    assert check(short, "PAIF-SEC-006") == [
        (
            "mandatory",
            "seoul-primary",
            "audit logs are kept 30 day(s), fewer than the required 365 "
            "(paif:security.audit.retentionDays)",
        )
    ]
    assert check(short, "PAIF-SEC-006", {"PAIF-SEC-006": {"minRetentionDays": 30}}) == []
    quiet = run(
        lambda: PolicyLbVirtualServer(
            "quiet",
            PolicyLbVirtualServerArgs(
                display_name="quiet",
                application_profile_path=APP_PROFILE,
                ip_address="10.10.0.12",
                ports=(443,),
                client_ssl=LbClientSsl(default_certificate_path=CERT, ssl_profile_path=PROFILE),
            ),
        ),
        audit=None,
    )
    assert check(quiet, "PAIF-SEC-006") == [
        (
            "mandatory",
            "quiet",
            "NSX virtual server 'quiet' has access logging off (accessLogEnabled): API calls "
            "through the entry are not logged",
        ),
        ("mandatory", "seoul-primary", "the site declares no audit logging (paif:security.audit)"),
    ]


# --- PAIF-SEC-007 ---------------------------------------------------------------------------


def test_sec_007_private_scanned_least_privilege(prod: StackConfig) -> None:
    tenant, ctx = marketing(prod), site_context(prod, dr=True)
    assert prod.dr.peer is not None
    peer = prod.dr.peer

    def build() -> None:
        HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=ctx))
        HarborReplicationReceiver(
            "receiver",
            HarborReplicationReceiverArgs(ctx=ctx, peer=peer, projects=("marketing",)),
        )

    assert check(run(build), "PAIF-SEC-007") == []


def test_sec_007_public_unscanned_and_broad_robots() -> None:
    def build() -> None:
        harbor.Project("open", name="open", public=True, vulnerability_scanning=False)
        harbor.RobotAccount(
            "ci",
            name="ci",
            level="project",
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace="open",
                    accesses=[
                        harbor.RobotAccountPermissionAccessArgs(
                            action="pull", resource="repository"
                        ),
                        harbor.RobotAccountPermissionAccessArgs(
                            action="push", resource="repository"
                        ),
                        harbor.RobotAccountPermissionAccessArgs(
                            action="delete", resource="artifact"
                        ),
                    ],
                )
            ],
        )
        harbor.RobotAccount(
            "everything",
            name="everything",
            level="system",
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace="*",
                    accesses=[
                        harbor.RobotAccountPermissionAccessArgs(
                            action="pull", resource="repository"
                        ),
                    ],
                )
            ],
        )

    assert check(run(build), "PAIF-SEC-007") == [
        (
            "mandatory",
            "ci",
            "Harbor robot 'ci' may delete artifact, push repository in project 'open'; a "
            "serving robot pulls only",
        ),
        (
            "mandatory",
            "everything",
            "Harbor robot 'everything' has access to every project (namespace '*'); scope it to "
            "the projects it serves",
        ),
        ("mandatory", "open", "Harbor project 'open' does not scan images on push"),
        ("mandatory", "open", "Harbor project 'open' is public: anyone can pull its models"),
    ]


# --- during a first preview ------------------------------------------------------------------

# pulumi.runtime.rpc.UNKNOWN: what an output not yet known looks like on the wire.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _unknown_paths(node: Any) -> Any:
    """Records as a first preview sends them: every NSX path (null offline) unknown."""
    if isinstance(node, dict):
        return {k: _unknown_paths(v) for k, v in node.items()}
    if isinstance(node, list):
        return [UNKNOWN if v is None else _unknown_paths(v) for v in node]
    return node


def test_rules_run_while_paths_are_unknown() -> None:
    def build() -> None:
        edge()
        Thing("later", {"apiToken": pulumi.Output.secret("abc"), "clientSecret": "x"})

    records = [r.to_json() for r in run(build).resources]
    for record in records:
        record["inputs"] = _unknown_paths(record["inputs"])
        if record["name"] == "later":
            record["inputs"]["apiToken"] = UNKNOWN
            record["secretPaths"] = []
    assert check(records, "PAIF-SEC-005") == []
    assert check(records, "PAIF-SEC-001") == []
    assert check(records, "PAIF-SEC-004") == [
        (
            "mandatory",
            "later",
            "Thing later input(s) clientSecret hold a credential that is not a Pulumi secret: it "
            "is stored in plain text in the state and shown by every preview; pass it as "
            "pulumi.Output.secret (or config --secret)",
        )
    ]


def test_sec_006_the_waf_entry_logs_every_request() -> None:
    assert check(run(waf_edge), "PAIF-SEC-006") == []

    def errors_only() -> None:
        Virtualservice(
            "quiet-vs",
            VirtualserviceArgs(
                name="quiet-vs",
                services=(AviService(port=443, enable_ssl=True),),
                analytics_policies=(
                    AnalyticsPolicy(full_client_logs=(FullClientLogs(enabled=True),)),
                ),
            ),
        )

    assert check(run(errors_only), "PAIF-SEC-006") == [
        (
            "mandatory",
            "quiet-vs",
            "Avi virtual service 'quiet-vs' does not log every request (analyticsPolicies[]."
            "fullClientLogs enabled with duration 0): API calls through the entry are logged "
            "only on errors or for a while",
        )
    ]


# --- PAIF-SEC-009 ---------------------------------------------------------------------------


def test_sec_009_production_entry_has_an_enforcing_waf() -> None:
    assert check(run(waf_edge), "PAIF-SEC-009") == []


def test_sec_009_nsx_entry_has_no_waf_in_production() -> None:
    message = (
        "NSX virtual server 'seoul-primary-ingress' is the entry and the NSX load balancer runs "
        "no WAF: set network.ingress.waf (an Avi virtual service with a WAF policy)"
    )
    assert check(run(edge), "PAIF-SEC-009") == [("mandatory", "edge-vs", message)]
    assert check(run(edge, environment="staging"), "PAIF-SEC-009") == []


def test_sec_009_a_waf_that_only_detects() -> None:
    detect = AviEntry(waf_mode="WAF_MODE_DETECTION_ONLY")
    assert check(run(lambda: waf_edge(avi=detect)), "PAIF-SEC-009") == [
        (
            "mandatory",
            "edge-avi-vs",
            "Avi virtual service 'seoul-primary-ingress': WAF policy 'seoul-primary-ingress-waf' "
            "is in WAF_MODE_DETECTION_ONLY: it reports attacks but lets them through",
        )
    ]

    def no_policy() -> None:
        Virtualservice(
            "bare-vs",
            VirtualserviceArgs(name="bare-vs", services=(AviService(port=443, enable_ssl=True),)),
        )

    assert check(run(no_policy), "PAIF-SEC-009") == [
        ("mandatory", "bare-vs", "Avi virtual service 'bare-vs' has no WAF policy (wafPolicyRef)")
    ]


def test_sec_009_waiving_the_waf_on_a_planned_stack(tmp_path: Path) -> None:
    """`waf: false` in prod: PAIF-SEC-009 blocks until a waiver names the WAF in front."""
    config = load_example("prod")
    ingress = config["paif:network"]["ingress"]
    ingress.update(waf=False, lbServicePath="/infra/lb-services/seoul-primary-t1-lb")
    blocked = plan_stack(write_project(tmp_path / "a", {"prod": config}), "prod")
    assert plan_rows(blocked, "PAIF-SEC-009") == [
        (
            "mandatory",
            "NSX virtual server 'seoul-primary-ingress' is the entry and the NSX "
            "load balancer runs no WAF: set network.ingress.waf (an Avi virtual service with a "
            "WAF policy)",
        )
    ]
    config["paif:waivers"].append(
        {
            "rule": "PAIF-SEC-009",
            "resource": "*-edge-vs",
            "reason": "The corporate F5 WAF in front of the VIP inspects every request.",
            "owner": "network-team@example.com",
            "expires": "2027-06-30",
        }
    )
    waived = plan_stack(write_project(tmp_path / "b", {"prod": config}), "prod")
    assert next(f for f in waived.findings if f.rule_id == "PAIF-SEC-009").waived
    assert waived.mandatory_failures == []


def _checked_item(target: Any, key: Any) -> Any:
    from pulumi_policy.proxy import UnknownValueError, _is_unknown

    value = target[key]
    if _is_unknown(value):
        raise UnknownValueError(value, [str(key)])
    if isinstance(value, dict):
        return _Checked(value)
    return _CheckedList(value) if isinstance(value, list) else value


class _Checked(Mapping):
    """A props mapping that raises for unknown values as the analyzer's proxies do, but is
    not one of them: PAIF-SEC-004's walk reads it through ``node[key]``."""

    def __init__(self, target: dict[str, Any]) -> None:
        self.target = target

    def __getitem__(self, key: str) -> Any:
        return _checked_item(self.target, key)

    def __iter__(self) -> Any:
        return iter(self.target)

    def __len__(self) -> int:
        return len(self.target)


class _CheckedList(Sequence):
    def __init__(self, target: list[Any]) -> None:
        self.target = target

    def __getitem__(self, index: Any) -> Any:
        return _checked_item(self.target, index)

    def __len__(self) -> int:
        return len(self.target)


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any, Any]]:
    """Every (path, key, value, parent mapping) of a props tree through ``node[key]``, unknown
    values skipped, depth first: what the plaintext rules walked before ``string_fields``."""
    from paif_policies.credentials import entries

    pending = [entries(node, path)]
    while pending:
        for child_path, key, value, parent in pending[-1]:
            if key is not None:
                yield child_path, key, value, parent
            if not isinstance(value, str):
                pending.append(entries(value, child_path))
                break
        else:
            pending.pop()


_PROPS = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=6),
        st.sampled_from(["", " ", "hunter2", UNKNOWN_STRING_VALUE, UNKNOWN_OBJECT_VALUE]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["value", "name", "password", "a", "b.c"]), children),
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["spec", "data", "token", "x"]), _PROPS))
def test_string_fields_are_the_walks_strings(props: dict[str, Any]) -> None:
    from pulumi_policy.proxy import unknown_checking_proxy

    from paif_policies.credentials import field_path, string_fields

    walked = [
        (p, k, v) for p, k, v, _ in _walk(unknown_checking_proxy(props), "") if isinstance(v, str)
    ]
    for node in (unknown_checking_proxy(props), _Checked(props)):
        assert [(field_path(c, k), k, v) for c, k, v, _ in string_fields(node)] == walked


def test_the_secrets_walk_reads_proxies_as_any_mapping() -> None:
    from pulumi_policy.proxy import (
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
        unknown_checking_proxy,
    )

    from paif_policies.credentials import field_path, string_fields

    props = {
        "kind": "Deployment",
        "unknown": UNKNOWN_STRING_VALUE,
        "spec": {
            "env": [
                {"name": "DB_PASSWORD", "value": "hunter2"},
                UNKNOWN_OBJECT_VALUE,
                {"name": "API_TOKEN", "value": UNKNOWN_STRING_VALUE},
                ["nested", UNKNOWN_STRING_VALUE, {"clientSecret": "s"}],
            ],
            "empty": {},
        },
    }

    def entries(node: Any) -> list[tuple[str, str, Any]]:
        return [(p, k, v if isinstance(v, str) else None) for p, k, v, _ in _walk(node, "")]

    def strings(node: Any) -> list[tuple[str, str, Any]]:
        return [(field_path(c, k), k, v) for c, k, v, _ in string_fields(node)]

    walked = entries(unknown_checking_proxy(props))
    assert walked == entries(_Checked(props))
    assert strings(unknown_checking_proxy(props)) == strings(_Checked(props))
    assert strings(_Checked(props)) == [e for e in walked if isinstance(e[2], str)]
    assert ("spec.env[0].value", "value", "hunter2") in walked
    assert ("spec.env[3][2].clientSecret", "clientSecret", "s") in walked
    assert not any(p in ("unknown", "spec.env[2].value") for p, _, _ in walked)
