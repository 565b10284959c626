"""The NSX (``vmware/nsxt``) resources the library uses, and the Avi GSLB service, bound through
Pulumi's parameterized Terraform bridge (:mod:`paif_components.terraform_bridge`): each with the
type token, package reference and wire argument names the generated ``pulumi_nsxt``/``pulumi_avi``
SDKs use, so a stack can switch to a generated SDK without replacing anything. Offline (tests,
``paif plan``) they register under the mock runtime with no plugin at all.

The Avi entry's resources (pool, VIP, WAF policy, virtual service) are
:mod:`paif_components.avi_binding`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi

from paif_components.contract import tokens
from paif_components.terraform_bridge import (  # noqa: F401  (the binding's names, public here too)
    AVI,
    NSXT,
    PACKAGES,
    PULUMI_YAML_PACKAGES,
    TERRAFORM_PROVIDER,
    TERRAFORM_PROVIDER_VERSION,
    BridgedPackage,
    BridgedResource,
    bridge_resource_token,
    freeze,
    one_of,
    parameter_json,
    pulumi_yaml_packages,
    terraform_name,
    tf_field,
    to_wire,
    wire_name,
)

GROUP_CONJUNCTION_OPERATORS: Final = ("OR", "AND")


@dataclass(frozen=True)
class IpAddressExpression:
    """``criteria.ipaddress_expression`` (MaxItems 1). NSX rejects mixed IPv4/IPv6 lists."""

    ip_addresses: Sequence[str] = field(metadata=tf_field("ip_addresses", collection=True))

    def __post_init__(self) -> None:
        freeze(self, "ip_addresses")
        if not self.ip_addresses:
            raise ValueError("IpAddressExpression.ip_addresses: at least one address is required")


@dataclass(frozen=True)
class GroupCriteria:
    """One ``criteria`` block; only the IP address expression is bound."""

    ipaddress_expression: IpAddressExpression = field(metadata=tf_field("ipaddress_expression"))


@dataclass(frozen=True)
class GroupConjunction:
    operator: str = field(metadata=tf_field("operator"))

    def __post_init__(self) -> None:
        one_of(self, "operator", GROUP_CONJUNCTION_OPERATORS)


@dataclass(frozen=True)
class PolicyGroupArgs:
    """``nsxt_policy_group``. ``conjunctions`` join consecutive criteria (one fewer than them)."""

    display_name: pulumi.Input[str] = field(metadata=tf_field("display_name"))
    criterias: Sequence[GroupCriteria] = field(
        default=(), metadata=tf_field("criteria", collection=True)
    )
    conjunctions: Sequence[GroupConjunction] = field(
        default=(), metadata=tf_field("conjunction", collection=True)
    )
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    domain: pulumi.Input[str] | None = field(default=None, metadata=tf_field("domain"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=tf_field("nsx_id"))

    def __post_init__(self) -> None:
        freeze(self, "criterias", "conjunctions")
        expected = max(len(self.criterias) - 1, 0)
        if len(self.conjunctions) != expected:
            raise ValueError(
                f"PolicyGroupArgs.conjunctions: {len(self.criterias)} criteria need "
                f"{expected} conjunction(s), got {len(self.conjunctions)}"
            )


SECURITY_POLICY_CATEGORIES: Final = (
    "Ethernet",
    "Emergency",
    "Infrastructure",
    "Environment",
    "Application",
)


RULE_ACTIONS: Final = ("ALLOW", "DROP", "REJECT", "JUMP_TO_APPLICATION")


RULE_DIRECTIONS: Final = ("IN", "OUT", "IN_OUT")


RULE_IP_VERSIONS: Final = ("NONE", "IPV4", "IPV6", "IPV4_IPV6")


@dataclass(frozen=True)
class SecurityPolicyRule:
    """One ``rule`` block. Empty ``source_groups``/``destination_groups``/``services`` = any."""

    display_name: pulumi.Input[str] = field(metadata=tf_field("display_name"))
    action: str = field(metadata=tf_field("action"))
    source_groups: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("source_groups", collection=True)
    )
    destination_groups: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("destination_groups", collection=True)
    )
    services: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("services", collection=True)
    )
    direction: str | None = field(default=None, metadata=tf_field("direction"))
    ip_version: str | None = field(default=None, metadata=tf_field("ip_version"))
    logged: bool | None = field(default=None, metadata=tf_field("logged"))
    disabled: bool | None = field(default=None, metadata=tf_field("disabled"))
    sources_excluded: bool | None = field(default=None, metadata=tf_field("sources_excluded"))
    destinations_excluded: bool | None = field(
        default=None, metadata=tf_field("destinations_excluded")
    )
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    notes: str | None = field(default=None, metadata=tf_field("notes"))
    log_label: str | None = field(default=None, metadata=tf_field("log_label"))

    def __post_init__(self) -> None:
        freeze(self, "source_groups", "destination_groups", "services")
        one_of(self, "action", RULE_ACTIONS)
        one_of(self, "direction", RULE_DIRECTIONS)
        one_of(self, "ip_version", RULE_IP_VERSIONS)


@dataclass(frozen=True)
class PolicySecurityPolicyArgs:
    """``nsxt_policy_security_policy`` (distributed firewall section). Rules apply in order."""

    display_name: pulumi.Input[str] = field(metadata=tf_field("display_name"))
    category: str = field(metadata=tf_field("category"))
    rules: Sequence[SecurityPolicyRule] = field(
        default=(), metadata=tf_field("rule", collection=True)
    )
    domain: pulumi.Input[str] | None = field(default=None, metadata=tf_field("domain"))
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    scopes: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("scope", collection=True)
    )
    stateful: bool | None = field(default=None, metadata=tf_field("stateful"))
    tcp_strict: bool | None = field(default=None, metadata=tf_field("tcp_strict"))
    locked: bool | None = field(default=None, metadata=tf_field("locked"))
    sequence_number: int | None = field(default=None, metadata=tf_field("sequence_number"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=tf_field("nsx_id"))

    def __post_init__(self) -> None:
        freeze(self, "rules", "scopes")
        one_of(self, "category", SECURITY_POLICY_CATEGORIES)


LB_POOL_ALGORITHMS: Final = (
    "IP_HASH",
    "WEIGHTED_ROUND_ROBIN",
    "ROUND_ROBIN",
    "WEIGHTED_LEAST_CONNECTION",
    "LEAST_CONNECTION",
)


LB_MEMBER_ADMIN_STATES: Final = ("ENABLED", "DISABLED", "GRACEFUL_DISABLED")


@dataclass(frozen=True)
class LbPoolMember:
    """One ``member`` block; the provider declares ``port`` as a string."""

    ip_address: pulumi.Input[str] = field(metadata=tf_field("ip_address"))
    port: int | None = field(default=None, metadata=tf_field("port", as_string=True))
    display_name: pulumi.Input[str] | None = field(default=None, metadata=tf_field("display_name"))
    admin_state: str | None = field(default=None, metadata=tf_field("admin_state"))
    weight: int | None = field(default=None, metadata=tf_field("weight"))

    def __post_init__(self) -> None:
        one_of(self, "admin_state", LB_MEMBER_ADMIN_STATES)


@dataclass(frozen=True)
class PolicyLbPoolArgs:
    """``nsxt_policy_lb_pool`` (v3.12: a single ``active_monitor_path``)."""

    display_name: pulumi.Input[str] = field(metadata=tf_field("display_name"))
    members: Sequence[LbPoolMember] = field(
        default=(), metadata=tf_field("member", collection=True)
    )
    algorithm: str | None = field(default=None, metadata=tf_field("algorithm"))
    min_active_members: int | None = field(default=None, metadata=tf_field("min_active_members"))
    active_monitor_path: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("active_monitor_path")
    )
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=tf_field("nsx_id"))

    def __post_init__(self) -> None:
        freeze(self, "members")
        one_of(self, "algorithm", LB_POOL_ALGORITHMS)


LB_CLIENT_AUTH_MODES: Final = ("REQUIRED", "IGNORE")


LB_SERVER_AUTH_MODES: Final = ("REQUIRED", "IGNORE", "AUTO_APPLY")


@dataclass(frozen=True)
class LbClientSsl:
    """``client_ssl`` (MaxItems 1): the load balancer terminates the client's TLS here."""

    default_certificate_path: pulumi.Input[str] = field(
        metadata=tf_field("default_certificate_path")
    )
    ssl_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("ssl_profile_path")
    )
    client_auth: str | None = field(default=None, metadata=tf_field("client_auth"))
    certificate_chain_depth: int | None = field(
        default=None, metadata=tf_field("certificate_chain_depth")
    )

    def __post_init__(self) -> None:
        one_of(self, "client_auth", LB_CLIENT_AUTH_MODES)


@dataclass(frozen=True)
class LbServerSsl:
    """``server_ssl`` (MaxItems 1): TLS from the load balancer to the pool members."""

    ssl_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("ssl_profile_path")
    )
    server_auth: str | None = field(default=None, metadata=tf_field("server_auth"))

    def __post_init__(self) -> None:
        one_of(self, "server_auth", LB_SERVER_AUTH_MODES)


@dataclass(frozen=True)
class PolicyLbVirtualServerArgs:
    """``nsxt_policy_lb_virtual_server``; ``ports`` are strings on the wire."""

    display_name: pulumi.Input[str] = field(metadata=tf_field("display_name"))
    application_profile_path: pulumi.Input[str] = field(
        metadata=tf_field("application_profile_path")
    )
    ip_address: pulumi.Input[str] = field(metadata=tf_field("ip_address"))
    ports: Sequence[int] = field(metadata=tf_field("ports", collection=True, as_string=True))
    pool_path: pulumi.Input[str] | None = field(default=None, metadata=tf_field("pool_path"))
    service_path: pulumi.Input[str] | None = field(default=None, metadata=tf_field("service_path"))
    client_ssl: LbClientSsl | None = field(default=None, metadata=tf_field("client_ssl"))
    server_ssl: LbServerSsl | None = field(default=None, metadata=tf_field("server_ssl"))
    persistence_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("persistence_profile_path")
    )
    access_log_enabled: bool | None = field(default=None, metadata=tf_field("access_log_enabled"))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled"))
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=tf_field("nsx_id"))

    def __post_init__(self) -> None:
        freeze(self, "ports")
        if not self.ports:
            raise ValueError("PolicyLbVirtualServerArgs.ports: at least one port is required")


GSLB_SERVICE_ALGORITHMS: Final = ("GSLB_SERVICE_ALGORITHM_PRIORITY", "GSLB_SERVICE_ALGORITHM_GEO")


GSLB_POOL_ALGORITHMS: Final = (
    "GSLB_ALGORITHM_ROUND_ROBIN",
    "GSLB_ALGORITHM_CONSISTENT_HASH",
    "GSLB_ALGORITHM_GEO",
    "GSLB_ALGORITHM_TOPOLOGY",
    "GSLB_ALGORITHM_PREFERENCE_ORDER",
)


AVI_ADDR_TYPES: Final = ("V4", "V6")


@dataclass(frozen=True)
class AviIpAddr:
    """``IpAddr`` (``addr`` + ``type``)."""

    addr: pulumi.Input[str] = field(metadata=tf_field("addr"))
    type: str = field(metadata=tf_field("type"))

    def __post_init__(self) -> None:
        one_of(self, "type", AVI_ADDR_TYPES)


@dataclass(frozen=True)
class GslbPoolMember:
    """``GslbPoolMember``: ``ip`` is a set without MaxItems, so the bridge names it ``ips``."""

    ips: Sequence[AviIpAddr] = field(default=(), metadata=tf_field("ip", collection=True))
    ratio: int | None = field(default=None, metadata=tf_field("ratio", as_string=True))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled", as_string=True))
    cluster_uuid: pulumi.Input[str] | None = field(default=None, metadata=tf_field("cluster_uuid"))
    vs_uuid: pulumi.Input[str] | None = field(default=None, metadata=tf_field("vs_uuid"))
    description: str | None = field(default=None, metadata=tf_field("description"))

    def __post_init__(self) -> None:
        freeze(self, "ips")


@dataclass(frozen=True)
class GslbPool:
    """``GslbPool`` (an entry of ``groups``)."""

    name: str = field(metadata=tf_field("name"))
    members: Sequence[GslbPoolMember] = field(metadata=tf_field("members", collection=True))
    algorithm: str | None = field(default=None, metadata=tf_field("algorithm"))
    priority: int | None = field(default=None, metadata=tf_field("priority", as_string=True))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled", as_string=True))

    def __post_init__(self) -> None:
        freeze(self, "members")
        one_of(self, "algorithm", GSLB_POOL_ALGORITHMS)


@dataclass(frozen=True)
class GslbserviceArgs:
    """``avi_gslbservice``. Avi 22.1 declares numbers and flags as strings."""

    name: str = field(metadata=tf_field("name"))
    domain_names: Sequence[str] = field(metadata=tf_field("domain_names", collection=True))
    groups: Sequence[GslbPool] = field(metadata=tf_field("groups", collection=True))
    health_monitor_refs: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("health_monitor_refs", collection=True)
    )
    site_persistence_enabled: bool | None = field(
        default=None, metadata=tf_field("site_persistence_enabled", as_string=True)
    )
    application_persistence_profile_ref: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("application_persistence_profile_ref")
    )
    ttl: int | None = field(default=None, metadata=tf_field("ttl", as_string=True))
    pool_algorithm: str | None = field(default=None, metadata=tf_field("pool_algorithm"))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled", as_string=True))
    description: str | None = field(default=None, metadata=tf_field("description"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("tenant_ref"))

    def __post_init__(self) -> None:
        freeze(self, "domain_names", "groups", "health_monitor_refs")
        one_of(self, "pool_algorithm", GSLB_SERVICE_ALGORITHMS)


class _NsxtResource(BridgedResource):
    package = NSXT
    computed_outputs = ("path",)

    @property
    def path(self) -> pulumi.Output[str]:
        """NSX policy path of the object (computed by the provider)."""
        return self.__dict__["path"]


class PolicyGroup(_NsxtResource):
    terraform_resource = "nsxt_policy_group"
    args_type = PolicyGroupArgs

    def __init__(
        self, resource_name: str, args: PolicyGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicySecurityPolicy(_NsxtResource):
    terraform_resource = "nsxt_policy_security_policy"
    args_type = PolicySecurityPolicyArgs

    def __init__(
        self,
        resource_name: str,
        args: PolicySecurityPolicyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicyLbPool(_NsxtResource):
    terraform_resource = "nsxt_policy_lb_pool"
    args_type = PolicyLbPoolArgs

    def __init__(
        self, resource_name: str, args: PolicyLbPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicyLbVirtualServer(_NsxtResource):
    terraform_resource = "nsxt_policy_lb_virtual_server"
    args_type = PolicyLbVirtualServerArgs

    def __init__(
        self,
        resource_name: str,
        args: PolicyLbVirtualServerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, args, opts)


class Gslbservice(BridgedResource):
    """``avi_gslbservice`` (class named as the generated ``pulumi_avi`` SDK names it)."""

    package = AVI
    terraform_resource = "avi_gslbservice"
    args_type = GslbserviceArgs
    computed_outputs = ("uuid",)

    def __init__(
        self, resource_name: str, args: GslbserviceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)

    @property
    def uuid(self) -> pulumi.Output[str]:
        """Avi object UUID (computed by the controller)."""
        return self.__dict__["uuid"]


BOUND_RESOURCES: Final[tuple[type[BridgedResource], ...]] = (
    PolicyGroup,
    PolicySecurityPolicy,
    PolicyLbPool,
    PolicyLbVirtualServer,
    Gslbservice,
)


# Type tokens, for policies (which must not import component internals beyond constants).
POLICY_GROUP_TYPE: Final = "nsxt:index/policyGroup:PolicyGroup"


POLICY_SECURITY_POLICY_TYPE: Final = "nsxt:index/policySecurityPolicy:PolicySecurityPolicy"


POLICY_LB_POOL_TYPE: Final = "nsxt:index/policyLbPool:PolicyLbPool"


POLICY_LB_VIRTUAL_SERVER_TYPE: Final = tokens.NSXT_LB_VIRTUAL_SERVER


GSLB_SERVICE_TYPE: Final = tokens.AVI_GSLB_SERVICE
