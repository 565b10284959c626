"""EdgeSecurity and GslbService under the Pulumi mock runtime: exact registrations and inputs."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.mock_runtime import ResourceRecord
from paif_components import avi_binding as ab
from paif_components import nsx_binding as nb
from paif_components.edge_security import HTTPS_PORT, AviEntry, EdgeSecurity, EdgeSecurityArgs
from paif_components.errors import ComponentInputError
from paif_components.gslb import DEFAULT_GSLB_TTL_SECONDS, GslbService, GslbServiceArgs, GslbSite
from tests.support.programs import RunProgram, by_name, nsx_mocks, registered_before_error
from tests.support.stacks import ROOT

SCHEMA = json.loads(
    (ROOT / "schemas" / "terraform-provider-arguments.json").read_text(encoding="utf-8")
)
TERRAFORM_RESOURCE_BY_TYPE = {cls.type_token(): cls for cls in ab.ALL_BOUND_RESOURCES}
# Docs say "(Required for multiple criteria)": a single criteria block takes no conjunction.
CONDITIONALLY_REQUIRED = {"nsxt_policy_group": {"conjunction"}}

CLIENT_SSL_PROFILE = "/infra/lb-client-ssl-profiles/default-balanced-client-ssl-profile"
CERTIFICATE = "/infra/certificates/ai-example-com"
LB_SERVICE = "/infra/lb-services/site-a-t1-lb"
HEALTH_MONITOR = "/api/healthmonitor?name=System-GSLB-HTTPS"
PERSISTENCE_PROFILE = "/api/applicationpersistenceprofile?name=paif-gslb-site-cookie"


def edge_args(**overrides: Any) -> EdgeSecurityArgs:
    values: dict[str, Any] = {
        "site_name": "site-a",
        "ingress_fqdn": "ai.example.com",
        "virtual_ip": "10.10.0.10",
        "lb_service_path": LB_SERVICE,
        "backend_members": ["10.20.0.11", "10.20.0.12"],
        "backend_port": 8443,
        "client_ssl_profile_path": CLIENT_SSL_PROFILE,
        "certificate_path": CERTIFICATE,
        "admin_source_cidrs": ["192.168.50.0/24"],
        "management_cidrs": ["10.255.0.0/24", "10.255.1.0/24"],
    }
    values.update(overrides)
    return EdgeSecurityArgs(**values)


def gslb_args(**overrides: Any) -> GslbServiceArgs:
    values: dict[str, Any] = {
        "service_name": "paif-ai",
        "fqdn": "ai.example.com",
        "sites": [GslbSite("site-a", "10.10.0.10"), GslbSite("site-b", "10.30.0.10")],
        "health_monitor_refs": [HEALTH_MONITOR],
        "application_persistence_profile_ref": PERSISTENCE_PROFILE,
    }
    values.update(overrides)
    return GslbServiceArgs(**values)


def assert_required_arguments_present(registration: ResourceRecord) -> None:
    cls = TERRAFORM_RESOURCE_BY_TYPE[registration.type]
    fields = {nb.terraform_name(s): nb.wire_name(s) for s in dataclasses.fields(cls.args_type)}
    required = set(SCHEMA[cls.terraform_resource]["required_top_level"])
    required -= CONDITIONALLY_REQUIRED.get(cls.terraform_resource, set())
    missing = {tf for tf in required if fields[tf] not in registration.inputs}
    assert not missing, f"{registration.name} lacks required {sorted(missing)}"


# ---------------------------------------------------------------------------------------------
# EdgeSecurity
# ---------------------------------------------------------------------------------------------


def test_edge_security_registers_exactly_the_entry_and_management_policy(
    run_pulumi: RunProgram,
) -> None:
    result = run_pulumi(lambda: EdgeSecurity("site-a", edge_args()), mocks=nsx_mocks())
    registered = by_name(result.resources)
    assert {name: r.type for name, r in registered.items()} == {
        "site-a": "paif:network:EdgeSecurity",
        "site-a-admin-group": "nsxt:index/policyGroup:PolicyGroup",
        "site-a-mgmt-group": "nsxt:index/policyGroup:PolicyGroup",
        "site-a-mgmt-dfw": "nsxt:index/policySecurityPolicy:PolicySecurityPolicy",
        "site-a-pool": "nsxt:index/policyLbPool:PolicyLbPool",
        "site-a-vs": "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer",
    }
    component = registered["site-a"]
    # The engine's URN: the root stack adds nothing to the qualified type, but is the parent.
    assert component.urn == "urn:pulumi:test::paif::paif:network:EdgeSecurity::site-a"
    assert component.parent == "urn:pulumi:test::paif::pulumi:pulumi:Stack::paif-test"
    assert not component.custom
    for name, registration in registered.items():
        if name == "site-a":
            continue
        assert registration.parent == component.urn
        assert registration.custom
        assert registration.package_ref == "mock-uuid"
        assert_required_arguments_present(registration)

    assert registered["site-a-admin-group"].inputs == {
        "displayName": "site-a-mgmt-admins",
        "description": "Sources allowed to reach the management network (§9.6.1)",
        "domain": "default",
        "criterias": [{"ipaddressExpression": {"ipAddresses": ["192.168.50.0/24"]}}],
    }
    assert registered["site-a-mgmt-group"].inputs == {
        "displayName": "site-a-mgmt-network",
        "description": "vCenter, NSX Manager and VCF management network (§9.6.1)",
        "domain": "default",
        "criterias": [{"ipaddressExpression": {"ipAddresses": ["10.255.0.0/24", "10.255.1.0/24"]}}],
    }
    assert registered["site-a-mgmt-dfw"].inputs == {
        "displayName": "site-a-mgmt-access",
        "description": "Management network admits the admin source group only (§9.6.1)",
        "category": "Environment",
        "domain": "default",
        "stateful": True,
        "tcpStrict": True,
        "rules": [
            {
                "displayName": "allow-admins-to-mgmt",
                "action": "ALLOW",
                "sourceGroups": ["/infra/mock/site-a-admin-group"],
                "destinationGroups": ["/infra/mock/site-a-mgmt-group"],
                "services": ["/infra/services/HTTPS", "/infra/services/SSH"],
                "direction": "IN_OUT",
                "logged": True,
            },
            {
                "displayName": "drop-any-to-mgmt",
                "action": "DROP",
                "destinationGroups": ["/infra/mock/site-a-mgmt-group"],
                "direction": "IN_OUT",
                "logged": True,
            },
        ],
    }
    assert registered["site-a-pool"].inputs == {
        "displayName": "site-a-ingress-pool",
        "algorithm": "ROUND_ROBIN",
        "minActiveMembers": 1.0,
        "members": [
            {"ipAddress": "10.20.0.11", "port": "8443"},
            {"ipAddress": "10.20.0.12", "port": "8443"},
        ],
    }
    assert registered["site-a-vs"].inputs == {
        "displayName": "site-a-ingress",
        "description": "HTTPS entry for ai.example.com (TLS terminated, §9.6.1)",
        "applicationProfilePath": "/infra/lb-app-profiles/default-http-lb-app-profile",
        "ipAddress": "10.10.0.10",
        "ports": ["443"],
        "servicePath": LB_SERVICE,
        "poolPath": "/infra/mock/site-a-pool",
        "clientSsl": {
            "defaultCertificatePath": CERTIFICATE,
            "sslProfilePath": CLIENT_SSL_PROFILE,
            "clientAuth": "IGNORE",
        },
        "accessLogEnabled": True,
    }
    assert result.resource_outputs[component.urn] == {
        "virtualServerPath": "/infra/mock/site-a-vs",
        "poolPath": "/infra/mock/site-a-pool",
        "managementPolicyPath": "/infra/mock/site-a-mgmt-dfw",
        "adminGroupPath": "/infra/mock/site-a-admin-group",
        "managementGroupPath": "/infra/mock/site-a-mgmt-group",
        "virtualIp": "10.10.0.10",
        "httpsUrl": "https://ai.example.com",
    }


def test_admin_group_splits_ip_families_into_or_joined_criteria(run_pulumi: RunProgram) -> None:
    args = edge_args(admin_source_cidrs=["2001:db8:50::/64", "192.168.50.0/24", "192.168.51.7/32"])
    result = run_pulumi(lambda: EdgeSecurity("site-a", args), mocks=nsx_mocks())
    inputs = by_name(result.resources)["site-a-admin-group"].inputs
    assert inputs["criterias"] == [
        {"ipaddressExpression": {"ipAddresses": ["192.168.50.0/24", "192.168.51.7/32"]}},
        {"ipaddressExpression": {"ipAddresses": ["2001:db8:50::/64"]}},
    ]
    assert inputs["conjunctions"] == [{"operator": "OR"}]


def test_optional_tls_to_backends_monitor_and_persistence_are_passed_through(
    run_pulumi: RunProgram,
) -> None:
    args = edge_args(
        port=8443,
        server_ssl_profile_path="/infra/lb-server-ssl-profiles/default-balanced-server-ssl-profile",
        pool_active_monitor_path="/infra/lb-monitor-profiles/default-https-lb-monitor",
        persistence_profile_path="/infra/lb-persistence-profiles/default-cookie-lb-persistence-profile",
        pool_algorithm="LEAST_CONNECTION",
        min_active_members=2,
        management_services=["/infra/services/HTTPS"],
        dfw_category="Infrastructure",
    )
    result = run_pulumi(lambda: EdgeSecurity("edge", args), mocks=nsx_mocks())
    registered = by_name(result.resources)
    vs = registered["edge-vs"].inputs
    assert vs["ports"] == ["8443"]
    assert vs["serverSsl"] == {
        "sslProfilePath": "/infra/lb-server-ssl-profiles/default-balanced-server-ssl-profile"
    }
    assert vs["persistenceProfilePath"] == (
        "/infra/lb-persistence-profiles/default-cookie-lb-persistence-profile"
    )
    pool = registered["edge-pool"].inputs
    assert pool["activeMonitorPath"] == "/infra/lb-monitor-profiles/default-https-lb-monitor"
    assert (pool["algorithm"], pool["minActiveMembers"]) == ("LEAST_CONNECTION", 2.0)
    policy = registered["edge-mgmt-dfw"].inputs
    assert policy["category"] == "Infrastructure"
    assert policy["rules"][0]["services"] == ["/infra/services/HTTPS"]
    component_urn = registered["edge"].urn
    assert result.resource_outputs[component_urn]["httpsUrl"] == "https://ai.example.com:8443"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"port": 80},
            "EdgeSecurityArgs: port: 80 is the plain-HTTP port; the external entry terminates "
            "TLS and never listens for plain HTTP (§9.6.3, PAIF-SEC-001) — use 443",
        ),
        ({"port": 70000}, "EdgeSecurityArgs: port: must be a TCP port 1-65535, got 70000"),
        (
            {"client_ssl_profile_path": ""},
            "EdgeSecurityArgs: client_ssl_profile_path: missing client SSL profile: the virtual "
            "server must terminate TLS (§9.6.1)",
        ),
        (
            {"client_ssl_profile_path": None},
            "EdgeSecurityArgs: client_ssl_profile_path: missing client SSL profile: the virtual "
            "server must terminate TLS (§9.6.1)",
        ),
        (
            {"client_ssl_profile_path": "/infra/lb-server-ssl-profiles/x"},
            "EdgeSecurityArgs: client_ssl_profile_path: must be an NSX policy path under "
            "/infra/lb-client-ssl-profiles/, got '/infra/lb-server-ssl-profiles/x'",
        ),
        (
            {"certificate_path": "ai.example.com.pem"},
            "EdgeSecurityArgs: certificate_path: must be an NSX policy path under "
            "/infra/certificates/, got 'ai.example.com.pem'",
        ),
        (
            {"lb_service_path": None},
            "EdgeSecurityArgs: lb_service_path: is required for the NSX load-balancer entry (waf "
            "off): name the load balancer service on the site's Tier-1 (/infra/lb-services/...)",
        ),
        (
            {"waf": True, "pool_algorithm": "WEIGHTED_ROUND_ROBIN"},
            "EdgeSecurityArgs: pool_algorithm: 'WEIGHTED_ROUND_ROBIN' has no Avi equivalent in "
            "the WAF entry; use one of ROUND_ROBIN, LEAST_CONNECTION, IP_HASH",
        ),
        (
            {"waf": True, "persistence_profile_path": "/infra/lb-persistence-profiles/p"},
            "EdgeSecurityArgs: persistence_profile_path: is an NSX load-balancer setting; the WAF "
            "entry is an Avi virtual service (its health monitor is avi.health_monitor_ref)",
        ),
        (
            {"waf": True, "avi": AviEntry(waf_profile_ref="System-WAF-Profile")},
            "EdgeSecurityArgs: avi.waf_profile_ref: must be an Avi wafprofile reference "
            "(/api/wafprofile?name=...), got 'System-WAF-Profile'",
        ),
        (
            {"waf": True, "avi": AviEntry(waf_mode="BLOCK")},
            "EdgeSecurityArgs: avi.waf_mode: 'BLOCK' is not WAF_MODE_ENFORCEMENT or "
            "WAF_MODE_DETECTION_ONLY",
        ),
        (
            {"admin_source_cidrs": ["0.0.0.0/0"]},
            "EdgeSecurityArgs: admin_source_cidrs[0]: 0.0.0.0/0 matches every address; the "
            "management network admits only the admin source group (§9.6.1, PAIF-SEC-005)",
        ),
        (
            {"admin_source_cidrs": "192.168.50.0/24"},
            "EdgeSecurityArgs: admin_source_cidrs: must be a list, got str",
        ),
        (
            {"admin_source_cidrs": []},
            "EdgeSecurityArgs: admin_source_cidrs: must not be empty",
        ),
        (
            {"management_cidrs": ["10.255.0.1/24"]},
            "EdgeSecurityArgs: management_cidrs[0]: '10.255.0.1/24' is not a CIDR: "
            "10.255.0.1/24 has host bits set",
        ),
        (
            {"backend_members": ["10.20.0.11", "10.20.0.11"]},
            "EdgeSecurityArgs: backend_members: duplicate entries ['10.20.0.11']",
        ),
        (
            {"backend_members": ["10.10.0.10"]},
            "EdgeSecurityArgs: backend_members: the virtual IP 10.10.0.10 cannot be a member",
        ),
        (
            {"backend_members": ["backend-1"]},
            "EdgeSecurityArgs: backend_members[0]: 'backend-1' is not an IP address",
        ),
        ({"virtual_ip": "10.10.0.300"}, "EdgeSecurityArgs: virtual_ip: '10.10.0.300' is not"),
        (
            {"ingress_fqdn": "https://ai.example.com"},
            "EdgeSecurityArgs: ingress_fqdn: 'https://ai.example.com' is not a fully qualified "
            "host name",
        ),
        (
            {"site_name": "Site A"},
            "EdgeSecurityArgs: site_name: 'Site A' must be a lowercase DNS label",
        ),
        (
            {"min_active_members": 3},
            "EdgeSecurityArgs: min_active_members: must be between 1 and the 2 backend "
            "member(s), got 3",
        ),
        (
            {"pool_algorithm": "RANDOM"},
            "EdgeSecurityArgs: pool_algorithm: 'RANDOM' is not one of IP_HASH, "
            "WEIGHTED_ROUND_ROBIN, ROUND_ROBIN, WEIGHTED_LEAST_CONNECTION, LEAST_CONNECTION",
        ),
        (
            {"dfw_category": "Ethernet"},
            "EdgeSecurityArgs: dfw_category: 'Ethernet' is not one of Emergency, "
            "Infrastructure, Environment, Application",
        ),
        (
            {"management_services": ["tcp/22"]},
            "EdgeSecurityArgs: management_services[0]: must be an NSX policy path under "
            "/infra/services/, got 'tcp/22'",
        ),
        (
            {"lb_service_path": "/infra/lb-services/"},
            "EdgeSecurityArgs: lb_service_path: must be an NSX policy path under "
            "/infra/lb-services/, got '/infra/lb-services/'",
        ),
    ],
)
def test_bad_edge_args_are_rejected_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ComponentInputError) as error:
        edge_args(**overrides)
    assert str(error.value).startswith(message)
    assert isinstance(error.value, ValueError)


def test_waf_entry_is_an_avi_virtual_service_with_the_waf_policy_attached(
    run_pulumi: RunProgram,
) -> None:
    """§9.6.1 optional WAF (on in production): the NSX LB has none, so the entry is Avi's."""
    args = edge_args(waf=True, lb_service_path=None)
    built: list[EdgeSecurity] = []
    result = run_pulumi(lambda: built.append(EdgeSecurity("site-a", args)), mocks=nsx_mocks())
    registered = by_name(result.resources)
    assert {name: r.type for name, r in registered.items()} == {
        "site-a": "paif:network:EdgeSecurity",
        "site-a-admin-group": "nsxt:index/policyGroup:PolicyGroup",
        "site-a-mgmt-group": "nsxt:index/policyGroup:PolicyGroup",
        "site-a-mgmt-dfw": "nsxt:index/policySecurityPolicy:PolicySecurityPolicy",
        "site-a-avi-pool": "avi:index/pool:Pool",
        "site-a-avi-vip": "avi:index/vsvip:Vsvip",
        "site-a-waf": "avi:index/wafpolicy:Wafpolicy",
        "site-a-avi-vs": "avi:index/virtualservice:Virtualservice",
    }
    for name, registration in registered.items():
        if name != "site-a":
            assert registration.package_ref == "mock-uuid"
            assert_required_arguments_present(registration)
    cloud = "/api/cloud?name=Default-Cloud"
    assert registered["site-a-waf"].inputs == {
        "name": "site-a-ingress-waf",
        "wafProfileRef": "/api/wafprofile?name=System-WAF-Profile",
        "mode": "WAF_MODE_ENFORCEMENT",
        "description": "WAF of ai.example.com (§9.6.1 perimeter)",
    }
    assert registered["site-a-avi-pool"].inputs == {
        "name": "site-a-ingress-pool",
        "servers": [
            {"ips": [{"addr": "10.20.0.11", "type": "V4"}], "port": "8443"},
            {"ips": [{"addr": "10.20.0.12", "type": "V4"}], "port": "8443"},
        ],
        "defaultServerPort": "8443",
        # §9.6.3: re-encrypt to the backends.
        "sslProfileRef": "/api/sslprofile?name=System-Standard",
        "healthMonitorRefs": ["/api/healthmonitor?name=System-HTTPS"],
        "lbAlgorithm": "LB_ALGORITHM_ROUND_ROBIN",
        "cloudRef": cloud,
        "description": "Backends of ai.example.com",
    }
    assert registered["site-a-avi-vip"].inputs["vips"] == [
        {"vipId": "0", "ipAddresses": [{"addr": "10.10.0.10", "type": "V4"}]}
    ]
    service = registered["site-a-avi-vs"]
    assert service.inputs["services"] == [{"port": "443", "enableSsl": "true"}]
    assert service.inputs["sslKeyAndCertificateRefs"] == [
        "/api/sslkeyandcertificate?name=ai-example-com"
    ]
    assert service.inputs["sslProfileRef"] == "/api/sslprofile?name=System-Standard"
    assert service.inputs["applicationProfileRef"] == (
        "/api/applicationprofile?name=System-Secure-HTTP"
    )
    assert service.inputs["analyticsPolicies"] == [
        {"fullClientLogs": [{"enabled": "true", "duration": "0"}]}
    ]
    # The references are the referenced resources' ids, so the engine orders them first.
    assert service.inputs["wafPolicyRef"] == registered["site-a-waf"].id
    assert service.inputs["poolRef"] == registered["site-a-avi-pool"].id
    assert service.inputs["vsvipRef"] == registered["site-a-avi-vip"].id
    assert set(service.depends_on) >= {
        registered[n].urn for n in ("site-a-waf", "site-a-avi-pool", "site-a-avi-vip")
    }


def test_nsx_entry_re_encrypts_with_a_server_ssl_profile(run_pulumi: RunProgram) -> None:
    profile = "/infra/lb-server-ssl-profiles/default-balanced-server-ssl-profile"
    result = run_pulumi(
        lambda: EdgeSecurity("site-a", edge_args(server_ssl_profile_path=profile)),
        mocks=nsx_mocks(),
    )
    assert by_name(result.resources)["site-a-vs"].inputs["serverSsl"] == {"sslProfilePath": profile}


def test_edge_security_validates_before_registering_anything(run_pulumi: RunProgram) -> None:
    args = edge_args()
    object.__setattr__(args, "port", 80)  # bypass the dataclass check: the component re-checks

    _, records = registered_before_error(
        lambda: EdgeSecurity("site-a", args),
        match=r"EdgeSecurityArgs: port: 80 is the plain",
        mocks=nsx_mocks(),
    )
    assert records == []


def test_edge_security_rejects_untyped_args() -> None:
    with pytest.raises(TypeError, match="EdgeSecurity takes EdgeSecurityArgs, got dict"):
        EdgeSecurity("site-a", {"site_name": "site-a"})  # type: ignore[arg-type]


def test_https_port_default_is_443() -> None:
    assert HTTPS_PORT == 443
    assert edge_args().port == 443
    assert edge_args().https_url == "https://ai.example.com"


# ---------------------------------------------------------------------------------------------
# GslbService
# ---------------------------------------------------------------------------------------------


def test_gslb_service_registers_the_avi_service_over_both_sites(run_pulumi: RunProgram) -> None:
    args = gslb_args(
        sites=[
            GslbSite("site-a", "10.10.0.10", cluster_uuid="cluster-a", vs_uuid="vs-a"),
            GslbSite("site-b", "2001:db8:30::10"),
        ]
    )
    result = run_pulumi(lambda: GslbService("gslb", args), mocks=nsx_mocks())
    registered = by_name(result.resources)
    assert {name: r.type for name, r in registered.items()} == {
        "gslb": "paif:network:GslbService",
        "gslb-gslb": "avi:index/gslbservice:Gslbservice",
    }
    service = registered["gslb-gslb"]
    assert service.parent == registered["gslb"].urn
    assert service.package_ref == "mock-uuid"
    assert_required_arguments_present(service)
    assert service.inputs == {
        "name": "paif-ai",
        "domainNames": ["ai.example.com"],
        "groups": [
            {
                "name": "paif-ai-sites",
                "algorithm": "GSLB_ALGORITHM_ROUND_ROBIN",
                "members": [
                    {
                        "ips": [{"addr": "10.10.0.10", "type": "V4"}],
                        "ratio": "1",
                        "enabled": "true",
                        "clusterUuid": "cluster-a",
                        "vsUuid": "vs-a",
                        "description": "site site-a",
                    },
                    {
                        "ips": [{"addr": "2001:db8:30::10", "type": "V6"}],
                        "ratio": "1",
                        "enabled": "true",
                        "description": "site site-b",
                    },
                ],
            }
        ],
        "healthMonitorRefs": [HEALTH_MONITOR],
        "sitePersistenceEnabled": "true",
        "applicationPersistenceProfileRef": PERSISTENCE_PROFILE,
        "ttl": str(DEFAULT_GSLB_TTL_SECONDS),
        "poolAlgorithm": "GSLB_SERVICE_ALGORITHM_PRIORITY",
    }
    assert result.resource_outputs[registered["gslb"].urn] == {
        "fqdn": "ai.example.com",
        "serviceUuid": "gslb-gslb-uuid",
        "siteVirtualIps": ["10.10.0.10", "2001:db8:30::10"],
    }


def test_gslb_without_site_persistence_sends_no_profile(run_pulumi: RunProgram) -> None:
    args = gslb_args(
        site_persistence=False, ttl_seconds=60, pool_algorithm="GSLB_SERVICE_ALGORITHM_GEO"
    )
    inputs = by_name(run_pulumi(lambda: GslbService("gslb", args), mocks=nsx_mocks()).resources)[
        "gslb-gslb"
    ].inputs
    assert inputs["sitePersistenceEnabled"] == "false"
    assert "applicationPersistenceProfileRef" not in inputs
    assert (inputs["ttl"], inputs["poolAlgorithm"]) == ("60", "GSLB_SERVICE_ALGORITHM_GEO")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"sites": [GslbSite("site-a", "10.10.0.10")]},
            "GslbServiceArgs: sites: active-active needs at least 2 sites, got 1",
        ),
        (
            {"sites": [GslbSite("site-a", "10.10.0.10"), GslbSite("site-a", "10.30.0.10")]},
            "GslbServiceArgs: sites[].name: duplicate entries ['site-a']",
        ),
        (
            {"sites": [GslbSite("site-a", "10.10.0.10"), GslbSite("site-b", "10.10.0.10")]},
            "GslbServiceArgs: sites[].virtual_ip: duplicate entries ['10.10.0.10']",
        ),
        (
            {
                "sites": [
                    GslbSite("site-a", "10.10.0.10", cluster_uuid="c"),
                    GslbSite("b", "1.1.1.1"),
                ]
            },
            "GslbServiceArgs: sites[0]: cluster_uuid and vs_uuid name an Avi virtual service "
            "together; set both or neither",
        ),
        ({"health_monitor_refs": []}, "GslbServiceArgs: health_monitor_refs: must not be empty"),
        (
            {"health_monitor_refs": ["System-GSLB-HTTPS"]},
            "GslbServiceArgs: health_monitor_refs[0]: 'System-GSLB-HTTPS' is not an Avi health "
            "monitor reference (/api/healthmonitor...)",
        ),
        (
            {"application_persistence_profile_ref": None},
            "GslbServiceArgs: application_persistence_profile_ref: site persistence needs a "
            "federated application persistence profile reference "
            "(/api/applicationpersistenceprofile...)",
        ),
        ({"ttl_seconds": 0}, "GslbServiceArgs: ttl_seconds: must be 1-86400 seconds, got 0"),
        (
            {"pool_algorithm": "GSLB_SERVICE_ALGORITHM_RANDOM"},
            "GslbServiceArgs: pool_algorithm: 'GSLB_SERVICE_ALGORITHM_RANDOM' is not one of "
            "GSLB_SERVICE_ALGORITHM_PRIORITY, GSLB_SERVICE_ALGORITHM_GEO",
        ),
        (
            {"member_algorithm": "RR"},
            "GslbServiceArgs: member_algorithm: 'RR' is not one of GSLB_ALGORITHM_ROUND_ROBIN",
        ),
        ({"fqdn": "localhost"}, "GslbServiceArgs: fqdn: 'localhost' is not a fully qualified"),
    ],
)
def test_bad_gslb_args_are_rejected_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ComponentInputError) as error:
        gslb_args(**overrides)
    assert str(error.value).startswith(message)


def test_gslb_service_validates_before_registering_anything(run_pulumi: RunProgram) -> None:
    args = gslb_args()
    object.__setattr__(args, "health_monitor_refs", ())

    _, records = registered_before_error(
        lambda: GslbService("gslb", args),
        match="health_monitor_refs: must not be empty",
        mocks=nsx_mocks(),
    )
    assert records == []


# ---------------------------------------------------------------------------------------------
# The site's entry from stack config: WAF on in production, NSX elsewhere
# ---------------------------------------------------------------------------------------------


def _entry_types(project: Path, stack: str) -> set[str]:
    from paif_cli.pipeline import plan_stack

    planned = plan_stack(project, stack)
    return {
        r.type.rsplit(":", 1)[-1]
        for r in planned.result.resources
        if r.type.startswith(("avi:", "nsxt:index/policyLb"))
    }


def test_waf_is_on_by_default_in_production_only(tmp_path: Path) -> None:
    from tests.support.stacks import load_example, write_project

    prod = load_example("prod")
    del prod["paif:network"]["ingress"]["waf"]
    dev = copy.deepcopy(prod) | {"paif:environment": "dev"}
    dev["paif:network"]["ingress"]["lbServicePath"] = LB_SERVICE
    project = write_project(tmp_path / "p", {"prod": prod, "dev": dev})
    assert _entry_types(project, "prod") == {"Pool", "Vsvip", "Wafpolicy", "Virtualservice"}
    assert _entry_types(project, "dev") == {"PolicyLbPool", "PolicyLbVirtualServer"}


def test_nsx_entry_without_its_lb_service_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from paif_cli.main import main
    from tests.support.stacks import load_example, write_project

    config = load_example("prod")
    config["paif:network"]["ingress"]["waf"] = False
    project = write_project(tmp_path / "p", {"prod": config})
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "Pulumi.prod.yaml: site 'seoul-primary': network.ingress.lbServicePath: is required for "
        "the NSX load-balancer entry (waf off)"
    ) in err
    assert "Traceback" not in err
