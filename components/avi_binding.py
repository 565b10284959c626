"""Thin binding for the Avi (NSX ALB) entry: pool, VIP, WAF policy and virtual service (§9.6.1).

§9.6.1 puts "TLS termination, optional WAF, DDoS protection" at the edge. The NSX load
balancer (``nsxt_policy_lb_virtual_server``) has no WAF, so a WAF-protected entry is an Avi
virtual service with a WAF policy attached (``waf_policy_ref``). This module declares exactly
the four ``vmware/avi`` resources that entry needs, the same way ``paif_components.nsx_binding``
declares the NSX ones (its machinery, package facts and naming rules): token
``avi:index/<name>:<Name>``, camelCase wire names, lists and sets without ``MaxItems``
pluralised (``vip`` → ``vips``, ``ip`` → ``ips``, ``analytics_policy`` → ``analyticsPolicies``),
and every Avi number and flag sent as a string (the provider declares them ``TypeString``).

Argument names are held to ``schemas/terraform-provider-arguments.json`` (top level: the
docs' Argument Reference at the pinned commit) and, for nested blocks, to the provider's
``avi/resource_avi_rest_dependants.go`` at the same commit (tests/components/test_nsx_binding.py).
References between Avi objects are the referenced resource's id (the provider's id is the
object's URL, which Avi accepts wherever a ``*_ref`` is asked for); system objects are
referenced by name (``/api/sslprofile?name=System-Standard``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi

from paif_components.contract import tokens
from paif_components.nsx_binding import (
    BOUND_RESOURCES as NSX_AND_GSLB_RESOURCES,
)
from paif_components.nsx_binding import AviIpAddr
from paif_components.terraform_bridge import AVI, BridgedResource, freeze, one_of, tf_field

# Enum values of the Avi 22.1 API the entry uses.
WAF_MODES: Final = ("WAF_MODE_DETECTION_ONLY", "WAF_MODE_ENFORCEMENT")
POOL_LB_ALGORITHMS: Final = (
    "LB_ALGORITHM_LEAST_CONNECTIONS",
    "LB_ALGORITHM_ROUND_ROBIN",
    "LB_ALGORITHM_FASTEST_RESPONSE",
    "LB_ALGORITHM_CONSISTENT_HASH",
    "LB_ALGORITHM_LEAST_LOAD",
)


def avi_ip_addr(address: str) -> AviIpAddr:
    """``IpAddr`` of an address, with its family (``V4``/``V6``)."""
    version = ipaddress.ip_address(address).version
    return AviIpAddr(addr=address, type="V4" if version == 4 else "V6")


# --- avi_pool ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AviServer:
    """``Server``: ``ip`` is a set without MaxItems (``ips``)."""

    ips: Sequence[AviIpAddr] = field(metadata=tf_field("ip", collection=True))
    port: int | None = field(default=None, metadata=tf_field("port", as_string=True))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled", as_string=True))

    def __post_init__(self) -> None:
        freeze(self, "ips")


@dataclass(frozen=True)
class PoolArgs:
    """``avi_pool``. ``ssl_profile_ref`` makes the pool re-encrypt to its servers (§9.6.3)."""

    name: pulumi.Input[str] = field(metadata=tf_field("name"))
    servers: Sequence[AviServer] = field(default=(), metadata=tf_field("servers", collection=True))
    default_server_port: int | None = field(
        default=None, metadata=tf_field("default_server_port", as_string=True)
    )
    ssl_profile_ref: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("ssl_profile_ref")
    )
    health_monitor_refs: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("health_monitor_refs", collection=True)
    )
    lb_algorithm: str | None = field(default=None, metadata=tf_field("lb_algorithm"))
    cloud_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("cloud_ref"))
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("tenant_ref"))

    def __post_init__(self) -> None:
        freeze(self, "servers", "health_monitor_refs")
        one_of(self, "lb_algorithm", POOL_LB_ALGORITHMS)


# --- avi_vsvip --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AviVip:
    """``Vip``: ``ip_address`` is a set without MaxItems (``ipAddresses``)."""

    vip_id: str = field(metadata=tf_field("vip_id"))
    ip_addresses: Sequence[AviIpAddr] = field(
        default=(), metadata=tf_field("ip_address", collection=True)
    )

    def __post_init__(self) -> None:
        freeze(self, "ip_addresses")


@dataclass(frozen=True)
class VsvipArgs:
    """``avi_vsvip``: the virtual IP the virtual service listens on."""

    name: pulumi.Input[str] = field(metadata=tf_field("name"))
    vips: Sequence[AviVip] = field(default=(), metadata=tf_field("vip", collection=True))
    cloud_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("cloud_ref"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("tenant_ref"))

    def __post_init__(self) -> None:
        freeze(self, "vips")


# --- avi_wafpolicy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WafpolicyArgs:
    """``avi_wafpolicy``. The provider defaults ``mode`` to detection only: set it."""

    name: pulumi.Input[str] = field(metadata=tf_field("name"))
    waf_profile_ref: pulumi.Input[str] = field(metadata=tf_field("waf_profile_ref"))
    mode: str | None = field(default=None, metadata=tf_field("mode"))
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("tenant_ref"))

    def __post_init__(self) -> None:
        one_of(self, "mode", WAF_MODES)


# --- avi_virtualservice -----------------------------------------------------------------------


@dataclass(frozen=True)
class AviService:
    """``Service``: one listening port; ``enable_ssl`` terminates TLS on it."""

    port: int = field(metadata=tf_field("port", as_string=True))
    enable_ssl: bool | None = field(default=None, metadata=tf_field("enable_ssl", as_string=True))


@dataclass(frozen=True)
class FullClientLogs:
    """``FullClientLogs``: log every request, not only errors (``duration`` 0 = always)."""

    enabled: bool = field(metadata=tf_field("enabled", as_string=True))
    duration: int | None = field(default=None, metadata=tf_field("duration", as_string=True))


@dataclass(frozen=True)
class AnalyticsPolicy:
    """``AnalyticsPolicy`` (a set without MaxItems on the virtual service)."""

    full_client_logs: Sequence[FullClientLogs] = field(
        default=(), metadata=tf_field("full_client_logs", collection=True)
    )

    def __post_init__(self) -> None:
        freeze(self, "full_client_logs")


@dataclass(frozen=True)
class VirtualserviceArgs:
    """``avi_virtualservice``: TLS on its services, the pool, the VIP and the WAF policy."""

    name: pulumi.Input[str] = field(metadata=tf_field("name"))
    services: Sequence[AviService] = field(
        default=(), metadata=tf_field("services", collection=True)
    )
    vsvip_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("vsvip_ref"))
    pool_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("pool_ref"))
    ssl_key_and_certificate_refs: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=tf_field("ssl_key_and_certificate_refs", collection=True)
    )
    ssl_profile_ref: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("ssl_profile_ref")
    )
    application_profile_ref: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("application_profile_ref")
    )
    waf_policy_ref: pulumi.Input[str] | None = field(
        default=None, metadata=tf_field("waf_policy_ref")
    )
    analytics_policies: Sequence[AnalyticsPolicy] = field(
        default=(), metadata=tf_field("analytics_policy", collection=True)
    )
    cloud_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("cloud_ref"))
    enabled: bool | None = field(default=None, metadata=tf_field("enabled", as_string=True))
    description: pulumi.Input[str] | None = field(default=None, metadata=tf_field("description"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=tf_field("tenant_ref"))

    def __post_init__(self) -> None:
        freeze(self, "services", "ssl_key_and_certificate_refs", "analytics_policies")
        if not self.services:
            raise ValueError("VirtualserviceArgs.services: at least one service is required")


# --- resources --------------------------------------------------------------------------------


class _AviResource(BridgedResource):
    package = AVI
    computed_outputs = ("uuid",)

    @property
    def uuid(self) -> pulumi.Output[str]:
        """Avi object UUID (computed by the controller)."""
        return self.__dict__["uuid"]


class Pool(_AviResource):
    terraform_resource = "avi_pool"
    args_type = PoolArgs

    def __init__(
        self, resource_name: str, args: PoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class Vsvip(_AviResource):
    terraform_resource = "avi_vsvip"
    args_type = VsvipArgs

    def __init__(
        self, resource_name: str, args: VsvipArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class Wafpolicy(_AviResource):
    terraform_resource = "avi_wafpolicy"
    args_type = WafpolicyArgs

    def __init__(
        self, resource_name: str, args: WafpolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class Virtualservice(_AviResource):
    terraform_resource = "avi_virtualservice"
    args_type = VirtualserviceArgs

    def __init__(
        self,
        resource_name: str,
        args: VirtualserviceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, args, opts)


ENTRY_RESOURCES: Final[tuple[type[BridgedResource], ...]] = (
    Pool,
    Vsvip,
    Wafpolicy,
    Virtualservice,
)
# Every resource the NSX and Avi bindings declare (tests and offline mocks walk them).
ALL_BOUND_RESOURCES: Final = (*NSX_AND_GSLB_RESOURCES, *ENTRY_RESOURCES)

# Type tokens, for policies.
AVI_POOL_TYPE: Final = "avi:index/pool:Pool"
AVI_VSVIP_TYPE: Final = "avi:index/vsvip:Vsvip"
AVI_WAF_POLICY_TYPE: Final = "avi:index/wafpolicy:Wafpolicy"
AVI_VIRTUAL_SERVICE_TYPE: Final = tokens.AVI_VIRTUAL_SERVICE
