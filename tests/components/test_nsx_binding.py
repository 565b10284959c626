"""The NSX/Avi binding: package facts, bridge naming, provider-schema names, mock registration."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from paif_components import avi_binding as ab
from paif_components import nsx_binding as nb
from tests.support import terraform_bridge as naming
from tests.support.programs import RunProgram, by_name, nsx_mocks, registered_before_error
from tests.support.stacks import ROOT

SCHEMA_FILE = ROOT / "schemas" / "terraform-provider-arguments.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

# Nested argument names of the Avi 22.1 GslbPool / GslbPoolMember / IpAddr blocks, from
# vmware/terraform-provider-avi avi/resource_avi_rest_dependants.go (commit 0169bb4a): the schema
# file lists no nested Avi names, so the binding's nested Avi fields are held to these.
AVI_GSLBSERVICE_NESTED = {
    "GslbPool": {
        "algorithm", "consistent_hash_mask", "consistent_hash_mask6", "description", "enabled",
        "fallback_algorithm", "manual_resume", "members", "min_health_monitors_up", "name",
        "priority",
    },
    "GslbPoolMember": {
        "cloud_uuid", "cluster_uuid", "description", "enabled", "fqdn", "hostname", "ip",
        "location", "preference_order", "public_ip", "ratio", "resolve_fqdn_to_v6", "vs_uuid",
    },
    "IpAddr": {"addr", "type"},
}  # fmt: skip

# Nested blocks of the Avi entry (pool, VIP, virtual service), from the same file at commit
# dded6fb0 (the docs commit of the schema file): every name of the block, and those that are
# lists or sets without MaxItems 1 (the bridge pluralises them).
AVI_ENTRY_NESTED = {
    "Server": {
        "autoscaling_group_name", "availability_zone", "description", "discovered_networks",
        "enabled", "external_orchestration_id", "external_uuid", "hostname", "ip", "location",
        "mac_address", "nw_ref", "port", "preference_order", "prst_hdr_val", "ratio",
        "resolve_server_by_dns", "rewrite_host_header", "server_node", "static",
        "verify_network", "vm_ref",
    },
    "Service": {
        "enable_http2", "enable_ssl", "horizon_internal_ports", "is_active_ftp_data_port",
        "override_application_profile_ref", "override_network_profile_ref", "port",
        "port_range_end",
    },
    "Vip": {
        "auto_allocate_floating_ip", "auto_allocate_ip", "auto_allocate_ip_type",
        "availability_zone", "avi_allocated_fip", "avi_allocated_vip", "discovered_networks",
        "enabled", "floating_ip", "floating_ip6", "floating_subnet6_uuid", "floating_subnet_uuid",
        "ip6_address", "ip_address", "ipam_network_subnet", "network_ref", "placement_networks",
        "port_uuid", "prefix_length", "subnet", "subnet6", "subnet6_uuid", "subnet_uuid",
        "vip_id",
    },
    "AnalyticsPolicy": {
        "all_headers", "client_insights", "client_insights_sampling", "client_log_filters",
        "full_client_logs", "learning_log_policy", "metrics_realtime_update",
        "significant_log_throttle", "udf_log_throttle",
    },
    "FullClientLogs": {"duration", "enabled", "throttle"},
    "IpAddr": {"addr", "type"},
}  # fmt: skip
AVI_ENTRY_COLLECTIONS = {
    "Server": {"discovered_networks", "ip", "location"},
    "Service": set(),
    "Vip": {
        "discovered_networks", "floating_ip", "floating_ip6", "ip6_address", "ip_address",
        "ipam_network_subnet", "placement_networks", "subnet", "subnet6",
    },
    "AnalyticsPolicy": {
        "client_insights_sampling", "client_log_filters", "full_client_logs",
        "learning_log_policy", "metrics_realtime_update",
    },
    "FullClientLogs": set(),
    "IpAddr": set(),
}  # fmt: skip
# Top-level lists/sets of the entry's resources (same file and commit): pluralised on the wire.
AVI_ENTRY_TOP_COLLECTIONS = {
    "avi_pool": {"servers", "health_monitor_refs"},
    "avi_vsvip": {"vip"},
    "avi_wafpolicy": set(),
    "avi_virtualservice": {"services", "ssl_key_and_certificate_refs", "analytics_policy"},
}
AVI_NESTED_REFERENCE = {
    nb.GslbPool: "GslbPool",
    nb.GslbPoolMember: "GslbPoolMember",
    ab.AviServer: "Server",
    ab.AviService: "Service",
    ab.AviVip: "Vip",
    ab.AnalyticsPolicy: "AnalyticsPolicy",
    ab.FullClientLogs: "FullClientLogs",
}

# Arguments the docs mark "Required" that the provider only requires conditionally, and why the
# binding may omit them. nsxt_policy_group `conjunction`: "(Required for multiple criteria)"; the
# provider schema is Optional and rejects a conjunction next to a single criteria block.
CONDITIONALLY_REQUIRED = {"nsxt_policy_group": {"conjunction"}}

EXPECTED_TOKENS = {
    nb.PolicyGroup: "nsxt:index/policyGroup:PolicyGroup",
    nb.PolicySecurityPolicy: "nsxt:index/policySecurityPolicy:PolicySecurityPolicy",
    nb.PolicyLbPool: "nsxt:index/policyLbPool:PolicyLbPool",
    nb.PolicyLbVirtualServer: "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer",
    nb.Gslbservice: "avi:index/gslbservice:Gslbservice",
    ab.Pool: "avi:index/pool:Pool",
    ab.Vsvip: "avi:index/vsvip:Vsvip",
    ab.Wafpolicy: "avi:index/wafpolicy:Wafpolicy",
    ab.Virtualservice: "avi:index/virtualservice:Virtualservice",
}

EXPECTED_WIRE_NAMES = {
    nb.PolicyGroupArgs: {
        "displayName", "criterias", "conjunctions", "description", "domain", "nsxId",
    },
    nb.PolicySecurityPolicyArgs: {
        "displayName", "category", "rules", "domain", "description", "scopes", "stateful",
        "tcpStrict", "locked", "sequenceNumber", "nsxId",
    },
    nb.PolicyLbPoolArgs: {
        "displayName", "members", "algorithm", "minActiveMembers", "activeMonitorPath",
        "description", "nsxId",
    },
    nb.PolicyLbVirtualServerArgs: {
        "displayName", "applicationProfilePath", "ipAddress", "ports", "poolPath", "servicePath",
        "clientSsl", "serverSsl", "persistenceProfilePath", "accessLogEnabled", "enabled",
        "description", "nsxId",
    },
    nb.GslbserviceArgs: {
        "name", "domainNames", "groups", "healthMonitorRefs", "sitePersistenceEnabled",
        "applicationPersistenceProfileRef", "ttl", "poolAlgorithm", "enabled", "description",
        "tenantRef",
    },
    ab.PoolArgs: {
        "name", "servers", "defaultServerPort", "sslProfileRef", "healthMonitorRefs",
        "lbAlgorithm", "cloudRef", "description", "tenantRef",
    },
    ab.VsvipArgs: {"name", "vips", "cloudRef", "tenantRef"},
    ab.WafpolicyArgs: {"name", "wafProfileRef", "mode", "description", "tenantRef"},
    ab.VirtualserviceArgs: {
        "name", "services", "vsvipRef", "poolRef", "sslKeyAndCertificateRefs", "sslProfileRef",
        "applicationProfileRef", "wafPolicyRef", "analyticsPolicies", "cloudRef", "enabled",
        "description", "tenantRef",
    },
}  # fmt: skip


EXPECTED_NESTED = {
    nb.PolicyGroup: {nb.GroupCriteria, nb.IpAddressExpression, nb.GroupConjunction},
    nb.PolicySecurityPolicy: {nb.SecurityPolicyRule},
    nb.PolicyLbPool: {nb.LbPoolMember},
    nb.PolicyLbVirtualServer: {nb.LbClientSsl, nb.LbServerSsl},
    nb.Gslbservice: {nb.GslbPool, nb.GslbPoolMember, nb.AviIpAddr},
    ab.Pool: {ab.AviServer, nb.AviIpAddr},
    ab.Vsvip: {ab.AviVip, nb.AviIpAddr},
    ab.Wafpolicy: set(),
    ab.Virtualservice: {ab.AviService, ab.AnalyticsPolicy, ab.FullClientLogs},
}


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m[1].lower(), camel)


def nested_types(args_type: type) -> Iterator[tuple[str, type]]:
    """Every nested argument dataclass reachable from an args type, with the field path.

    Annotations are strings (``from __future__ import annotations``): the nested types are the
    binding's dataclasses named in them.
    """
    seen: set[type] = set()
    stack: list[tuple[str, type]] = [("", args_type)]
    while stack:
        path, cls = stack.pop()
        for spec in dataclasses.fields(cls):
            for identifier in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(spec.type)):
                candidate = getattr(nb, identifier, None) or getattr(ab, identifier, None)
                is_nested = isinstance(candidate, type) and dataclasses.is_dataclass(candidate)
                if is_nested and candidate not in seen:
                    seen.add(candidate)
                    child = f"{path}.{spec.name}" if path else spec.name
                    yield child, candidate
                    stack.append((child, candidate))


# ---------------------------------------------------------------------------------------------
# Package facts
# ---------------------------------------------------------------------------------------------


def test_package_parameters_are_the_bridge_values_pulumi_package_add_embeds() -> None:
    assert base64.b64decode(nb.NSXT.base64_parameter) == (
        b'{"remote":{"url":"registry.opentofu.org/vmware/nsxt","version":"3.12.0"}}'
    )
    assert base64.b64decode(nb.AVI.base64_parameter) == (
        b'{"remote":{"url":"registry.opentofu.org/vmware/avi","version":"22.1.6"}}'
    )
    for pkg in nb.PACKAGES:
        assert pkg.parameter_value == nb.parameter_json(pkg).encode()
        assert pkg.base_provider == "terraform-provider"
        assert pkg.base_provider_version == "1.4.0"
        assert pkg.base_provider_download_url == ""
    assert [(p.name, p.source, p.version) for p in nb.PACKAGES] == [
        ("nsxt", "vmware/nsxt", "3.12.0"),
        ("avi", "vmware/avi", "22.1.6"),
    ]


def test_pulumi_yaml_packages_block_is_exact() -> None:
    assert nb.PULUMI_YAML_PACKAGES == (
        "packages:\n"
        "  nsxt:\n"
        "    source: terraform-provider\n"
        "    version: 1.4.0\n"
        "    parameters:\n"
        "      - vmware/nsxt\n"
        "      - 3.12.0\n"
        "  avi:\n"
        "    source: terraform-provider\n"
        "    version: 1.4.0\n"
        "    parameters:\n"
        "      - vmware/avi\n"
        "      - 22.1.6\n"
    )
    assert yaml.safe_load(nb.PULUMI_YAML_PACKAGES) == {
        "packages": {
            "nsxt": {
                "source": "terraform-provider",
                "version": "1.4.0",
                "parameters": ["vmware/nsxt", "3.12.0"],
            },
            "avi": {
                "source": "terraform-provider",
                "version": "1.4.0",
                "parameters": ["vmware/avi", "22.1.6"],
            },
        }
    }


# ---------------------------------------------------------------------------------------------
# Bridge naming rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("rule", "rules"),
        ("member", "members"),
        ("criteria", "criterias"),
        ("conjunction", "conjunctions"),
        ("ip", "ips"),
        ("scope", "scopes"),
        ("ports", "ports"),
        ("ip_addresses", "ip_addresses"),
        ("l4_port_set_entry", "l4_port_set_entries"),
        ("status", "statuses"),
        ("person", "people"),
        ("index", "indices"),
        ("fish", "fish"),
        ("alias", "aliases"),
        ("knife", "knives"),
    ],
)
def test_pluralize_follows_pulumi_inflector(word: str, plural: str) -> None:
    assert naming.pluralize(word) == plural


def test_property_names_follow_the_bridge() -> None:
    assert naming.pulumi_property_name("display_name", collection=False) == "displayName"
    assert naming.pulumi_property_name("rule", collection=True) == "rules"
    assert naming.pulumi_property_name("ipaddress_expression", collection=False) == (
        "ipaddressExpression"
    )
    assert naming.pulumi_property_name("l4_port", collection=False) == "l4Port"
    assert naming.camel_case("_private") == "_private"
    assert naming.camel_case("trailing_") == "trailing_"


@pytest.mark.parametrize(("cls", "token"), EXPECTED_TOKENS.items())
def test_type_tokens_are_the_generated_sdk_tokens(
    cls: type[nb.BridgedResource], token: str
) -> None:
    assert cls.type_token() == token
    assert nb.bridge_resource_token(cls.package.name, cls.terraform_resource) == token
    assert cls.__name__ == token.rsplit(":", 1)[1]


def test_policy_constants_match_the_resource_tokens() -> None:
    assert nb.PolicyGroup.type_token() == nb.POLICY_GROUP_TYPE
    assert nb.PolicySecurityPolicy.type_token() == nb.POLICY_SECURITY_POLICY_TYPE
    assert nb.PolicyLbPool.type_token() == nb.POLICY_LB_POOL_TYPE
    assert nb.PolicyLbVirtualServer.type_token() == nb.POLICY_LB_VIRTUAL_SERVER_TYPE
    assert nb.Gslbservice.type_token() == nb.GSLB_SERVICE_TYPE


def test_bridge_token_requires_the_provider_prefix() -> None:
    with pytest.raises(ValueError, match="does not carry the 'nsxt' prefix"):
        nb.bridge_resource_token("nsxt", "avi_gslbservice")


# ---------------------------------------------------------------------------------------------
# Argument names against schemas/terraform-provider-arguments.json
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ab.ALL_BOUND_RESOURCES, ids=lambda c: c.__name__)
def test_top_level_wire_names_are_schema_arguments(cls: type[nb.BridgedResource]) -> None:
    schema = SCHEMA[cls.terraform_resource]
    wire = set()
    for spec in dataclasses.fields(cls.args_type):
        tf = nb.terraform_name(spec)
        assert tf in schema["top_level"], f"{cls.__name__}.{spec.name}: {tf} not in schema"
        expected_python = naming.pluralize(tf) if spec.metadata["collection"] else tf
        assert spec.name == expected_python
        name = nb.wire_name(spec)
        assert snake(name) == spec.name
        wire.add(name)
    assert wire == EXPECTED_WIRE_NAMES[cls.args_type]
    if cls.terraform_resource in AVI_ENTRY_TOP_COLLECTIONS:
        collections = {
            nb.terraform_name(spec)
            for spec in dataclasses.fields(cls.args_type)
            if spec.metadata["collection"]
        }
        assert collections == (
            AVI_ENTRY_TOP_COLLECTIONS[cls.terraform_resource]
            & {nb.terraform_name(spec) for spec in dataclasses.fields(cls.args_type)}
        )


@pytest.mark.parametrize("cls", ab.ALL_BOUND_RESOURCES, ids=lambda c: c.__name__)
def test_nested_wire_names_are_schema_arguments(cls: type[nb.BridgedResource]) -> None:
    schema = SCHEMA[cls.terraform_resource]
    known = set(schema["nested"]) | set(schema["top_level"])
    checked = 0
    found = dict(nested_types(cls.args_type))
    assert set(found.values()) == EXPECTED_NESTED[cls]
    entry = cls in ab.ENTRY_RESOURCES
    for path, nested in found.items():
        collections = None
        if cls.package is nb.AVI:
            reference = AVI_NESTED_REFERENCE.get(nested, "IpAddr")
            nested_schema = AVI_ENTRY_NESTED if entry else AVI_GSLBSERVICE_NESTED
            known = nested_schema[reference]
            collections = AVI_ENTRY_COLLECTIONS[reference] if entry else None
        for spec in dataclasses.fields(nested):
            tf = nb.terraform_name(spec)
            assert tf in known, f"{cls.__name__}.{path}.{spec.name}: {tf} unknown"
            assert snake(nb.wire_name(spec)) == spec.name
            if collections is not None:
                assert spec.metadata["collection"] == (tf in collections), (path, tf)
            checked += 1
    assert checked > 0 or not found


@pytest.mark.parametrize("cls", ab.ALL_BOUND_RESOURCES, ids=lambda c: c.__name__)
def test_required_arguments_cannot_be_left_out(cls: type[nb.BridgedResource]) -> None:
    schema = SCHEMA[cls.terraform_resource]
    mandatory = {
        nb.terraform_name(spec)
        for spec in dataclasses.fields(cls.args_type)
        if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
    }
    exceptions = CONDITIONALLY_REQUIRED.get(cls.terraform_resource, set())
    assert exceptions <= set(schema["required_top_level"])
    assert set(schema["required_top_level"]) - exceptions <= mandatory


def test_group_conjunctions_are_required_exactly_between_criteria() -> None:
    v4 = nb.GroupCriteria(nb.IpAddressExpression(("10.0.0.0/8",)))
    v6 = nb.GroupCriteria(nb.IpAddressExpression(("2001:db8::/32",)))
    with pytest.raises(
        ValueError, match=r"conjunctions: 2 criteria need 1 conjunction\(s\), got 0"
    ):
        nb.PolicyGroupArgs(display_name="g", criterias=(v4, v6))
    with pytest.raises(
        ValueError, match=r"conjunctions: 1 criteria need 0 conjunction\(s\), got 1"
    ):
        nb.PolicyGroupArgs(
            display_name="g", criterias=(v4,), conjunctions=(nb.GroupConjunction("OR"),)
        )
    args = nb.PolicyGroupArgs(
        display_name="g", criterias=[v4, v6], conjunctions=[nb.GroupConjunction("OR")]
    )
    assert nb.to_wire(args) == {
        "displayName": "g",
        "criterias": [
            {"ipaddressExpression": {"ipAddresses": ["10.0.0.0/8"]}},
            {"ipaddressExpression": {"ipAddresses": ["2001:db8::/32"]}},
        ],
        "conjunctions": [{"operator": "OR"}],
    }


# ---------------------------------------------------------------------------------------------
# Serialisation and argument checks
# ---------------------------------------------------------------------------------------------


def test_to_wire_stringifies_provider_string_numbers_and_omits_unset() -> None:
    assert nb.to_wire(nb.LbPoolMember(ip_address="10.0.0.1", port=8443, weight=2)) == {
        "ipAddress": "10.0.0.1",
        "port": "8443",
        "weight": 2,
    }
    member = nb.GslbPoolMember(
        ips=(nb.AviIpAddr("10.0.0.1", "V4"),), ratio=1, enabled=False, cluster_uuid=None
    )
    assert nb.to_wire(member) == {
        "ips": [{"addr": "10.0.0.1", "type": "V4"}],
        "ratio": "1",
        "enabled": "false",
    }
    vs = nb.PolicyLbVirtualServerArgs(
        display_name="vs",
        application_profile_path="/infra/lb-app-profiles/p",
        ip_address="10.0.0.9",
        ports=[443, 8443],
        client_ssl=nb.LbClientSsl(default_certificate_path="/infra/certificates/c"),
    )
    assert nb.to_wire(vs) == {
        "displayName": "vs",
        "applicationProfilePath": "/infra/lb-app-profiles/p",
        "ipAddress": "10.0.0.9",
        "ports": ["443", "8443"],
        "clientSsl": {"defaultCertificatePath": "/infra/certificates/c"},
    }


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: nb.SecurityPolicyRule(display_name="r", action="PERMIT"),
            "SecurityPolicyRule.action: 'PERMIT' is not one of ALLOW, DROP, REJECT, "
            "JUMP_TO_APPLICATION",
        ),
        (
            lambda: nb.PolicySecurityPolicyArgs(display_name="p", category="Default"),
            "PolicySecurityPolicyArgs.category: 'Default' is not one of",
        ),
        (
            lambda: nb.SecurityPolicyRule(display_name="r", action="DROP", services="/infra/x"),
            "SecurityPolicyRule.services: expected a list, got str",
        ),
        (
            lambda: nb.PolicyLbVirtualServerArgs(
                display_name="v", application_profile_path="/p", ip_address="1.1.1.1", ports=()
            ),
            "PolicyLbVirtualServerArgs.ports: at least one port is required",
        ),
        (
            lambda: nb.AviIpAddr(addr="1.1.1.1", type="IPV4"),
            "AviIpAddr.type: 'IPV4' is not one of V4, V6",
        ),
        (
            lambda: nb.IpAddressExpression(()),
            "IpAddressExpression.ip_addresses: at least one address is required",
        ),
    ],
)
def test_binding_args_reject_values_the_provider_rejects(
    build: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ValueError) as error:
        build()
    assert str(error.value).startswith(message)


def test_unknown_arguments_are_impossible() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        nb.PolicyGroupArgs(display_name="g", colour="red")  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------------
# Registration under the mock runtime
# ---------------------------------------------------------------------------------------------


def test_resources_register_with_tokens_inputs_and_package_refs(run_pulumi: RunProgram) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        group = nb.PolicyGroup(
            "admins",
            nb.PolicyGroupArgs(
                display_name="admins",
                criterias=(nb.GroupCriteria(nb.IpAddressExpression(("192.0.2.0/24",))),),
            ),
        )
        nb.PolicySecurityPolicy(
            "policy",
            nb.PolicySecurityPolicyArgs(
                display_name="policy",
                category="Environment",
                rules=(
                    nb.SecurityPolicyRule(
                        display_name="allow", action="ALLOW", source_groups=(group.path,)
                    ),
                ),
            ),
        )
        pool = nb.PolicyLbPool(
            "pool",
            nb.PolicyLbPoolArgs(
                display_name="pool", members=(nb.LbPoolMember("10.0.0.1", port=8443),)
            ),
        )
        nb.PolicyLbVirtualServer(
            "vs",
            nb.PolicyLbVirtualServerArgs(
                display_name="vs",
                application_profile_path="/infra/lb-app-profiles/default-http-lb-app-profile",
                ip_address="10.0.0.9",
                ports=(443,),
                pool_path=pool.path,
            ),
        )
        gslb = nb.Gslbservice(
            "gslb",
            nb.GslbserviceArgs(
                name="svc",
                domain_names=("ai.example.com",),
                groups=(
                    nb.GslbPool(
                        name="sites",
                        members=(nb.GslbPoolMember(ips=(nb.AviIpAddr("10.0.0.9", "V4"),)),),
                    ),
                ),
                ttl=30,
                site_persistence_enabled=True,
            ),
        )
        group.path.apply(lambda value: seen.__setitem__("path", value))
        gslb.uuid.apply(lambda value: seen.__setitem__("uuid", value))

    result = run_pulumi(program, mocks=nsx_mocks())
    registered = by_name(result.resources)
    assert {name: r.type for name, r in registered.items()} == {
        "admins": "nsxt:index/policyGroup:PolicyGroup",
        "policy": "nsxt:index/policySecurityPolicy:PolicySecurityPolicy",
        "pool": "nsxt:index/policyLbPool:PolicyLbPool",
        "vs": "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer",
        "gslb": "avi:index/gslbservice:Gslbservice",
    }
    assert {r.package_ref for r in registered.values()} == {"mock-uuid"}
    assert all(r.custom for r in registered.values())
    assert registered["policy"].inputs == {
        "displayName": "policy",
        "category": "Environment",
        "rules": [
            {"displayName": "allow", "action": "ALLOW", "sourceGroups": ["/infra/mock/admins"]}
        ],
    }
    assert registered["vs"].inputs == {
        "displayName": "vs",
        "applicationProfilePath": "/infra/lb-app-profiles/default-http-lb-app-profile",
        "ipAddress": "10.0.0.9",
        "ports": ["443"],
        "poolPath": "/infra/mock/pool",
    }
    assert registered["gslb"].inputs == {
        "name": "svc",
        "domainNames": ["ai.example.com"],
        "groups": [{"name": "sites", "members": [{"ips": [{"addr": "10.0.0.9", "type": "V4"}]}]}],
        "ttl": "30",
        "sitePersistenceEnabled": "true",
    }
    assert seen == {"path": "/infra/mock/admins", "uuid": "gslb-uuid"}
    # One RegisterPackage per package, carrying exactly the pinned parameterization.
    packages = sorted(
        (
            p.name,
            p.version,
            p.download_url,
            p.parameterization.name,
            p.parameterization.version,
            p.parameterization.value,
        )
        for p in result.packages
    )
    assert packages == [
        (
            "terraform-provider",
            "1.4.0",
            "",
            "avi",
            "22.1.6",
            b'{"remote":{"url":"registry.opentofu.org/vmware/avi","version":"22.1.6"}}',
        ),
        (
            "terraform-provider",
            "1.4.0",
            "",
            "nsxt",
            "3.12.0",
            b'{"remote":{"url":"registry.opentofu.org/vmware/nsxt","version":"3.12.0"}}',
        ),
    ]


def test_resource_rejects_the_wrong_args_type_before_registering() -> None:
    def program() -> None:
        nb.PolicyGroup("g", nb.PolicyLbPoolArgs(display_name="p"))  # type: ignore[arg-type]

    _, records = registered_before_error(
        program,
        TypeError,
        match="PolicyGroup takes PolicyGroupArgs, got PolicyLbPoolArgs",
        mocks=nsx_mocks(),
    )
    assert records == []


def test_the_wire_names_table_is_what_the_bridge_rules_generate() -> None:
    """components/terraform_bridge_names.py is generated once from the ported naming rules:
    it holds every bound field's name, and nothing else."""
    assert (ROOT / "components" / "terraform_bridge_names.py").read_text() == naming.names_module()


def test_a_field_missing_from_the_table_says_how_to_add_it() -> None:
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Args:
        brand_new: str = dataclasses.field(metadata=nb.tf_field("brand_new", collection=True))

    with pytest.raises(KeyError, match=r"python -m tests\.support\.terraform_bridge --write"):
        nb.to_wire(Args("x"))
