"""External entry and management isolation at one site, and the GSLB in front of two sites.

§9.6.1 path: external users reach the platform over HTTPS (443) through an NSX Edge load balancer
that terminates TLS (optional WAF); a separate management network (vCenter, NSX Manager, VCF)
admits management access only. §9.6.3: TLS on all external traffic, close unneeded ports, log
every API call. §9.3.3 pattern 3 (active-active): a GSLB spreads users over both sites with
health monitors, and one user's conversation stays on one site (site persistence).

``EdgeSecurity`` builds the per-site part (LB pool + TLS virtual server, management DFW policy);
``GslbService`` builds the Avi GSLB service over both sites' virtual IPs. Both go through
``components.nsx_binding``; see there for how the real providers are installed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi

from components.errors import ComponentInputError
from components.nsx_binding import (
    GSLB_POOL_ALGORITHMS,
    GSLB_SERVICE_ALGORITHMS,
    LB_POOL_ALGORITHMS,
    AviIpAddr,
    GroupConjunction,
    GroupCriteria,
    GslbPool,
    GslbPoolMember,
    Gslbservice,
    GslbserviceArgs,
    IpAddressExpression,
    LbClientSsl,
    LbPoolMember,
    LbServerSsl,
    PolicyGroup,
    PolicyGroupArgs,
    PolicyLbPool,
    PolicyLbPoolArgs,
    PolicyLbVirtualServer,
    PolicyLbVirtualServerArgs,
    PolicySecurityPolicy,
    PolicySecurityPolicyArgs,
    SecurityPolicyRule,
)

EDGE_SECURITY_TYPE: Final = "paif:network:EdgeSecurity"
GSLB_SERVICE_COMPONENT_TYPE: Final = "paif:network:GslbService"

# §9.6.1 external users -> HTTPS (443) -> NSX Edge load balancer (TLS termination).
HTTPS_PORT: Final = 443
# §9.6.3 "TLS on all external traffic": 80 is where clients speak plain HTTP, so the entry never
# listens there (PAIF-SEC-001: no plain HTTP listener).
PLAIN_HTTP_PORT: Final = 80

# NSX built-in objects (vendor defaults, not numbers from the source document).
DEFAULT_HTTP_APPLICATION_PROFILE: Final = "/infra/lb-app-profiles/default-http-lb-app-profile"
# Predefined NSX services for management access: TCP 443 (vCenter / NSX Manager UI and API) and
# TCP 22. §9.6.1 "management access only"; anything else to the management network is dropped.
DEFAULT_MANAGEMENT_SERVICES: Final = ("/infra/services/HTTPS", "/infra/services/SSH")
# "Environment" is the DFW category for zone isolation (e.g. management vs workloads); its rules
# are evaluated before any Application-category rule could open the management network.
DEFAULT_DFW_CATEGORY: Final = "Environment"
DFW_CATEGORIES: Final = ("Emergency", "Infrastructure", "Environment", "Application")
DEFAULT_NSX_DOMAIN: Final = "default"

# Library default, not from the source document: a short DNS TTL keeps the "DNS TTL / GSLB
# switch" term of the RTO estimate (ARCHITECTURE.md, estimators) under a minute.
DEFAULT_GSLB_TTL_SECONDS: Final = 30
MAX_DNS_TTL_SECONDS: Final = 86_400
# §9.3.3 pattern 3: both sites serve at once, 50 % each -> equal member ratios.
ACTIVE_ACTIVE_MIN_SITES: Final = 2
EQUAL_SHARE_RATIO: Final = 1

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_FQDN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


# --------------------------------------------------------------------------------------------
# Validation helpers: one message per problem, naming the field.
# --------------------------------------------------------------------------------------------


def _fail(subject: str, field: str, message: str) -> ComponentInputError:
    return ComponentInputError(subject, field, message)


def _text(subject: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(subject, field, "must be a non-empty string")
    return value


def _port(subject: str, field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65_535:
        raise _fail(subject, field, f"must be a TCP port 1-65535, got {value!r}")
    return value


def _policy_path(subject: str, field: str, value: object, prefix: str) -> str:
    text = _text(subject, field, value)
    if not text.startswith(prefix) or len(text) == len(prefix):
        raise _fail(subject, field, f"must be an NSX policy path under {prefix}, got {text!r}")
    return text


def _strings(subject: str, field: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _fail(subject, field, f"must be a list, got {type(value).__name__}")
    items = tuple(value)
    if not items:
        raise _fail(subject, field, "must not be empty")
    for index, item in enumerate(items):
        _text(subject, f"{field}[{index}]", item)
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise _fail(subject, field, f"duplicate entries {duplicates}")
    return items


def _ip(subject: str, field: str, value: object) -> str:
    text = _text(subject, field, value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise _fail(subject, field, f"{text!r} is not an IP address") from None
    return text


def _fqdn(subject: str, field: str, value: object) -> str:
    text = _text(subject, field, value)
    labels = text.rstrip(".").split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_FQDN_LABEL.match(x) for x in labels):
        raise _fail(subject, field, f"{text!r} is not a fully qualified host name")
    return text


def _networks(
    subject: str, field: str, value: object
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for index, item in enumerate(_strings(subject, field, value)):
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError as exc:
            raise _fail(subject, f"{field}[{index}]", f"{item!r} is not a CIDR: {exc}") from None
        networks.append(network)
    return tuple(networks)


def _ip_criteria(addresses: Sequence[str]) -> tuple[list[GroupCriteria], list[GroupConjunction]]:
    """One criteria block per IP family (NSX refuses mixed lists), joined by OR."""
    by_family: dict[int, list[str]] = {}
    for address in addresses:
        by_family.setdefault(ipaddress.ip_network(address).version, []).append(address)
    criteria = [
        GroupCriteria(IpAddressExpression(tuple(by_family[version])))
        for version in sorted(by_family)
    ]
    return criteria, [GroupConjunction("OR") for _ in criteria[1:]]


def _ip_group(
    resource_name: str,
    display_name: str,
    description: str,
    domain: str,
    addresses: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> PolicyGroup:
    """An NSX group of IP addresses (both families, see ``_ip_criteria``)."""
    criteria, conjunctions = _ip_criteria(addresses)
    return PolicyGroup(
        resource_name,
        PolicyGroupArgs(
            display_name=display_name,
            description=description,
            domain=domain,
            criterias=criteria,
            conjunctions=conjunctions,
        ),
        opts,
    )


# --------------------------------------------------------------------------------------------
# EdgeSecurity
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeSecurityArgs:
    """One site's external entry and management-network policy.

    Paths are NSX policy paths of objects that exist outside this component: the load balancer
    service on the site's Tier-1 (``lb_service_path``), the server certificate
    (``certificate_path``) and the client SSL profile (``client_ssl_profile_path``).
    ``management_services`` are NSX service paths (the DFW rule matches services, not bare
    ports); the defaults are the predefined HTTPS (TCP 443) and SSH (TCP 22) services.
    """

    site_name: str
    ingress_fqdn: str
    virtual_ip: str
    lb_service_path: str
    backend_members: Sequence[str]
    backend_port: int
    client_ssl_profile_path: str
    certificate_path: str
    admin_source_cidrs: Sequence[str]
    management_cidrs: Sequence[str]
    port: int = HTTPS_PORT
    management_services: Sequence[str] = DEFAULT_MANAGEMENT_SERVICES
    application_profile_path: str = DEFAULT_HTTP_APPLICATION_PROFILE
    server_ssl_profile_path: str | None = None
    pool_active_monitor_path: str | None = None
    pool_algorithm: str = "ROUND_ROBIN"
    min_active_members: int = 1
    persistence_profile_path: str | None = None
    dfw_category: str = DEFAULT_DFW_CATEGORY
    domain: str = DEFAULT_NSX_DOMAIN
    waf: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raise ComponentInputError (a ValueError) naming the first bad one."""
        subject = "EdgeSecurityArgs"
        name = _text(subject, "site_name", self.site_name)
        if not _DNS_LABEL.match(name):
            raise _fail(subject, "site_name", f"{name!r} must be a lowercase DNS label")
        _fqdn(subject, "ingress_fqdn", self.ingress_fqdn)
        vip = _ip(subject, "virtual_ip", self.virtual_ip)
        port = _port(subject, "port", self.port)
        if port == PLAIN_HTTP_PORT:
            raise _fail(
                subject,
                "port",
                f"{PLAIN_HTTP_PORT} is the plain-HTTP port; the external entry terminates TLS and "
                f"never listens for plain HTTP (§9.6.3, PAIF-SEC-001) — use {HTTPS_PORT}",
            )
        if self.waf is not False:
            raise _fail(
                subject,
                "waf",
                "the NSX load balancer virtual server (nsxt_policy_lb_virtual_server) has no WAF "
                "argument; a WAF needs an NSX ALB (Avi) virtual service with a WAF policy, which "
                "this library does not bind — set waf=False and put the WAF in front of the VIP",
            )
        _policy_path(subject, "lb_service_path", self.lb_service_path, "/infra/lb-services/")
        if not isinstance(self.client_ssl_profile_path, str) or not self.client_ssl_profile_path:
            raise _fail(
                subject,
                "client_ssl_profile_path",
                "missing client SSL profile: the virtual server must terminate TLS (§9.6.1)",
            )
        _policy_path(
            subject,
            "client_ssl_profile_path",
            self.client_ssl_profile_path,
            "/infra/lb-client-ssl-profiles/",
        )
        _policy_path(subject, "certificate_path", self.certificate_path, "/infra/certificates/")
        _policy_path(
            subject,
            "application_profile_path",
            self.application_profile_path,
            "/infra/lb-app-profiles/",
        )
        if self.server_ssl_profile_path is not None:
            _policy_path(
                subject,
                "server_ssl_profile_path",
                self.server_ssl_profile_path,
                "/infra/lb-server-ssl-profiles/",
            )
        if self.pool_active_monitor_path is not None:
            _policy_path(
                subject,
                "pool_active_monitor_path",
                self.pool_active_monitor_path,
                "/infra/lb-monitor-profiles/",
            )
        if self.persistence_profile_path is not None:
            _policy_path(
                subject,
                "persistence_profile_path",
                self.persistence_profile_path,
                "/infra/lb-persistence-profiles/",
            )
        members = _strings(subject, "backend_members", self.backend_members)
        for index, member in enumerate(members):
            _ip(subject, f"backend_members[{index}]", member)
        if vip in members:
            raise _fail(subject, "backend_members", f"the virtual IP {vip} cannot be a member")
        _port(subject, "backend_port", self.backend_port)
        if self.pool_algorithm not in LB_POOL_ALGORITHMS:
            raise _fail(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} is not one of {', '.join(LB_POOL_ALGORITHMS)}",
            )
        active = self.min_active_members
        if isinstance(active, bool) or not isinstance(active, int):
            raise _fail(subject, "min_active_members", "must be an integer")
        if not 1 <= active <= len(members):
            raise _fail(
                subject,
                "min_active_members",
                f"must be between 1 and the {len(members)} backend member(s), got {active}",
            )
        for field, value in (
            ("admin_source_cidrs", self.admin_source_cidrs),
            ("management_cidrs", self.management_cidrs),
        ):
            for index, network in enumerate(_networks(subject, field, value)):
                if network.prefixlen == 0:
                    raise _fail(
                        subject,
                        f"{field}[{index}]",
                        f"{network} matches every address; the management network admits "
                        "only the admin source group (§9.6.1, PAIF-SEC-005)",
                    )
        for index, service in enumerate(
            _strings(subject, "management_services", self.management_services)
        ):
            _policy_path(subject, f"management_services[{index}]", service, "/infra/services/")
        if self.dfw_category not in DFW_CATEGORIES:
            raise _fail(
                subject,
                "dfw_category",
                f"{self.dfw_category!r} is not one of {', '.join(DFW_CATEGORIES)}",
            )
        _text(subject, "domain", self.domain)
        for field in ("backend_members", "admin_source_cidrs", "management_cidrs"):
            object.__setattr__(self, field, tuple(getattr(self, field)))
        object.__setattr__(self, "management_services", tuple(self.management_services))

    @property
    def https_url(self) -> str:
        suffix = "" if self.port == HTTPS_PORT else f":{self.port}"
        return f"https://{self.ingress_fqdn}{suffix}"


class EdgeSecurity(pulumi.ComponentResource):
    """TLS-terminating NSX load balancer entry plus the management-network DFW policy."""

    virtual_server_path: pulumi.Output[str]
    pool_path: pulumi.Output[str]
    management_policy_path: pulumi.Output[str]
    admin_group_path: pulumi.Output[str]
    management_group_path: pulumi.Output[str]
    virtual_ip: pulumi.Output[str]
    https_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: EdgeSecurityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not isinstance(args, EdgeSecurityArgs):
            raise TypeError(f"EdgeSecurity takes EdgeSecurityArgs, got {type(args).__name__}")
        args.validate()
        super().__init__(EDGE_SECURITY_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        site = args.site_name

        admins = _ip_group(
            f"{name}-admin-group",
            f"{site}-mgmt-admins",
            "Sources allowed to reach the management network (§9.6.1)",
            args.domain,
            args.admin_source_cidrs,
            child,
        )
        management = _ip_group(
            f"{name}-mgmt-group",
            f"{site}-mgmt-network",
            "vCenter, NSX Manager and VCF management network (§9.6.1)",
            args.domain,
            args.management_cidrs,
            child,
        )
        # No policy `scope`: NSX cannot apply rules to groups made only of IP addresses, so the
        # section applies everywhere the DFW runs. Rule order is the list order: allow first.
        policy = PolicySecurityPolicy(
            f"{name}-mgmt-dfw",
            PolicySecurityPolicyArgs(
                display_name=f"{site}-mgmt-access",
                description="Management network admits the admin source group only (§9.6.1)",
                category=args.dfw_category,
                domain=args.domain,
                stateful=True,
                tcp_strict=True,
                rules=(
                    SecurityPolicyRule(
                        display_name="allow-admins-to-mgmt",
                        action="ALLOW",
                        source_groups=(admins.path,),
                        destination_groups=(management.path,),
                        services=args.management_services,
                        direction="IN_OUT",
                        logged=True,
                    ),
                    SecurityPolicyRule(
                        display_name="drop-any-to-mgmt",
                        action="DROP",
                        destination_groups=(management.path,),
                        direction="IN_OUT",
                        logged=True,
                    ),
                ),
            ),
            child,
        )
        pool = PolicyLbPool(
            f"{name}-pool",
            PolicyLbPoolArgs(
                display_name=f"{site}-ingress-pool",
                algorithm=args.pool_algorithm,
                min_active_members=args.min_active_members,
                active_monitor_path=args.pool_active_monitor_path,
                members=tuple(
                    LbPoolMember(ip_address=ip, port=args.backend_port)
                    for ip in args.backend_members
                ),
            ),
            child,
        )
        server_ssl = (
            LbServerSsl(ssl_profile_path=args.server_ssl_profile_path)
            if args.server_ssl_profile_path is not None
            else None
        )
        virtual_server = PolicyLbVirtualServer(
            f"{name}-vs",
            PolicyLbVirtualServerArgs(
                display_name=f"{site}-ingress",
                description=f"HTTPS entry for {args.ingress_fqdn} (TLS terminated, §9.6.1)",
                application_profile_path=args.application_profile_path,
                ip_address=args.virtual_ip,
                ports=(args.port,),
                service_path=args.lb_service_path,
                pool_path=pool.path,
                persistence_profile_path=args.persistence_profile_path,
                client_ssl=LbClientSsl(
                    default_certificate_path=args.certificate_path,
                    ssl_profile_path=args.client_ssl_profile_path,
                    client_auth="IGNORE",
                ),
                server_ssl=server_ssl,
                # §9.6.3 audit: log every API call.
                access_log_enabled=True,
            ),
            child,
        )

        self.virtual_server_path = virtual_server.path
        self.pool_path = pool.path
        self.management_policy_path = policy.path
        self.admin_group_path = admins.path
        self.management_group_path = management.path
        self.virtual_ip = pulumi.Output.from_input(args.virtual_ip)
        self.https_url = pulumi.Output.from_input(args.https_url)
        self.register_outputs(
            {
                "virtualServerPath": self.virtual_server_path,
                "poolPath": self.pool_path,
                "managementPolicyPath": self.management_policy_path,
                "adminGroupPath": self.admin_group_path,
                "managementGroupPath": self.management_group_path,
                "virtualIp": self.virtual_ip,
                "httpsUrl": self.https_url,
            }
        )


# --------------------------------------------------------------------------------------------
# GslbService (active-active)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GslbSite:
    """One site behind the GSLB: its HTTPS virtual IP and, when it is an Avi virtual service,
    the Avi cluster / virtual-service UUIDs that site persistence works through."""

    name: str
    virtual_ip: str
    cluster_uuid: str | None = None
    vs_uuid: str | None = None


@dataclass(frozen=True)
class GslbServiceArgs:
    """Avi GSLB service over both sites (§9.3.3 pattern 3).

    ``application_persistence_profile_ref`` is the federated persistence profile Avi uses for
    site persistence (required while ``site_persistence`` is on, which it is by default so a
    conversation stays on one site).
    """

    service_name: str
    fqdn: str
    sites: Sequence[GslbSite]
    health_monitor_refs: Sequence[str]
    application_persistence_profile_ref: str | None = None
    site_persistence: bool = True
    ttl_seconds: int = DEFAULT_GSLB_TTL_SECONDS
    pool_algorithm: str = "GSLB_SERVICE_ALGORITHM_PRIORITY"
    member_algorithm: str = "GSLB_ALGORITHM_ROUND_ROBIN"
    tenant_ref: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        subject = "GslbServiceArgs"
        name = _text(subject, "service_name", self.service_name)
        if not _DNS_LABEL.match(name):
            raise _fail(subject, "service_name", f"{name!r} must be a lowercase DNS label")
        _fqdn(subject, "fqdn", self.fqdn)
        if isinstance(self.sites, str | bytes) or not isinstance(self.sites, Sequence):
            raise _fail(subject, "sites", f"must be a list, got {type(self.sites).__name__}")
        sites = tuple(self.sites)
        if len(sites) < ACTIVE_ACTIVE_MIN_SITES:
            raise _fail(
                subject,
                "sites",
                f"active-active needs at least {ACTIVE_ACTIVE_MIN_SITES} sites, got {len(sites)}",
            )
        for index, site in enumerate(sites):
            if not isinstance(site, GslbSite):
                raise _fail(subject, f"sites[{index}]", "must be a GslbSite")
            site_name = _text(subject, f"sites[{index}].name", site.name)
            if not _DNS_LABEL.match(site_name):
                raise _fail(subject, f"sites[{index}].name", "must be a lowercase DNS label")
            _ip(subject, f"sites[{index}].virtual_ip", site.virtual_ip)
            if (site.cluster_uuid is None) != (site.vs_uuid is None):
                raise _fail(
                    subject,
                    f"sites[{index}]",
                    "cluster_uuid and vs_uuid name an Avi virtual service together; set both "
                    "or neither",
                )
        for field, values in (
            ("sites[].name", [site.name for site in sites]),
            ("sites[].virtual_ip", [site.virtual_ip for site in sites]),
        ):
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                raise _fail(subject, field, f"duplicate entries {duplicates}")
        monitors = _strings(subject, "health_monitor_refs", self.health_monitor_refs)
        for index, ref in enumerate(monitors):
            if "/api/healthmonitor" not in ref:
                raise _fail(
                    subject,
                    f"health_monitor_refs[{index}]",
                    f"{ref!r} is not an Avi health monitor reference (/api/healthmonitor...)",
                )
        if not isinstance(self.site_persistence, bool):
            raise _fail(subject, "site_persistence", "must be true or false")
        if self.site_persistence:
            ref = self.application_persistence_profile_ref
            if ref is None or "/api/applicationpersistenceprofile" not in _text(
                subject, "application_persistence_profile_ref", ref
            ):
                raise _fail(
                    subject,
                    "application_persistence_profile_ref",
                    "site persistence needs a federated application persistence profile "
                    "reference (/api/applicationpersistenceprofile...)",
                )
        ttl = self.ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_DNS_TTL_SECONDS:
            raise _fail(
                subject, "ttl_seconds", f"must be 1-{MAX_DNS_TTL_SECONDS} seconds, got {ttl!r}"
            )
        if self.pool_algorithm not in GSLB_SERVICE_ALGORITHMS:
            raise _fail(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} is not one of {', '.join(GSLB_SERVICE_ALGORITHMS)}",
            )
        if self.member_algorithm not in GSLB_POOL_ALGORITHMS:
            raise _fail(
                subject,
                "member_algorithm",
                f"{self.member_algorithm!r} is not one of {', '.join(GSLB_POOL_ALGORITHMS)}",
            )
        if self.tenant_ref is not None:
            _text(subject, "tenant_ref", self.tenant_ref)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "health_monitor_refs", monitors)


def _avi_ip(address: str) -> AviIpAddr:
    version = ipaddress.ip_address(address).version
    return AviIpAddr(addr=address, type="V4" if version == 4 else "V6")


class GslbService(pulumi.ComponentResource):
    """Avi GSLB service: one pool with every site at equal ratio (each serves its share)."""

    fqdn: pulumi.Output[str]
    service_uuid: pulumi.Output[str]
    site_virtual_ips: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: GslbServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not isinstance(args, GslbServiceArgs):
            raise TypeError(f"GslbService takes GslbServiceArgs, got {type(args).__name__}")
        args.validate()
        super().__init__(GSLB_SERVICE_COMPONENT_TYPE, name, None, opts)
        members = tuple(
            GslbPoolMember(
                ips=(_avi_ip(site.virtual_ip),),
                ratio=EQUAL_SHARE_RATIO,
                enabled=True,
                cluster_uuid=site.cluster_uuid,
                vs_uuid=site.vs_uuid,
                description=f"site {site.name}",
            )
            for site in args.sites
        )
        service = Gslbservice(
            f"{name}-gslb",
            GslbserviceArgs(
                name=args.service_name,
                domain_names=(args.fqdn,),
                groups=(
                    GslbPool(
                        name=f"{args.service_name}-sites",
                        members=members,
                        algorithm=args.member_algorithm,
                    ),
                ),
                health_monitor_refs=args.health_monitor_refs,
                site_persistence_enabled=args.site_persistence,
                application_persistence_profile_ref=(
                    args.application_persistence_profile_ref if args.site_persistence else None
                ),
                ttl=args.ttl_seconds,
                pool_algorithm=args.pool_algorithm,
                tenant_ref=args.tenant_ref,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.fqdn = pulumi.Output.from_input(args.fqdn)
        self.service_uuid = service.uuid
        self.site_virtual_ips = pulumi.Output.from_input([site.virtual_ip for site in args.sites])
        self.register_outputs(
            {
                "fqdn": self.fqdn,
                "serviceUuid": self.service_uuid,
                "siteVirtualIps": self.site_virtual_ips,
            }
        )
