"""External entry and management isolation at one site (§9.6.1, §9.6.3).

§9.6.1 path: external users reach the platform over HTTPS (443) through an NSX Edge load balancer
that terminates TLS (optional WAF); a separate management network (vCenter, NSX Manager, VCF)
admits management access only. §9.6.3: TLS on all external traffic, close unneeded ports, log
every API call. §9.3.3 pattern 3 (active-active): a GSLB spreads users over both sites with
health monitors, and one user's conversation stays on one site (site persistence).

``EdgeSecurity`` builds the per-site part: the TLS entry and the management DFW policy. The
entry is an NSX load-balancer pool + virtual server, or, with ``waf`` (§9.6.1 "optional WAF";
on by default in production, a project default after §9.1.1's "hardened: TLS, WAF"), an Avi
pool, VIP and virtual service with an Avi WAF policy attached, since the NSX load balancer has
no WAF. Both re-encrypt to the backends when a server
SSL profile is given (§9.6.3 "TLS recommended between internal services"). ``GslbService``
builds the Avi GSLB service over both sites' virtual IPs. They go through
``components.nsx_binding`` and ``components.avi_binding``; see there for how the real
providers are installed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi

from components.avi_binding import (
    AnalyticsPolicy,
    AviServer,
    AviService,
    AviVip,
    FullClientLogs,
    Pool,
    PoolArgs,
    Virtualservice,
    VirtualserviceArgs,
    Vsvip,
    VsvipArgs,
    Wafpolicy,
    WafpolicyArgs,
    avi_ip_addr,
)
from components.errors import ComponentInputError
from components.nsx_binding import (
    LB_POOL_ALGORITHMS,
    GroupConjunction,
    GroupCriteria,
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

# Avi system objects (vendor defaults) the WAF entry uses unless config names others.
DEFAULT_AVI_CLOUD: Final = "Default-Cloud"
DEFAULT_AVI_SSL_PROFILE: Final = "System-Standard"
DEFAULT_AVI_APPLICATION_PROFILE: Final = "System-Secure-HTTP"
DEFAULT_AVI_HEALTH_MONITOR: Final = "System-HTTPS"
DEFAULT_AVI_WAF_PROFILE: Final = "System-WAF-Profile"
# NSX pool algorithms with an Avi equivalent (the rest have none in the WAF entry).
AVI_LB_ALGORITHMS: Final[dict[str, str]] = {
    "ROUND_ROBIN": "LB_ALGORITHM_ROUND_ROBIN",
    "LEAST_CONNECTION": "LB_ALGORITHM_LEAST_CONNECTIONS",
    "IP_HASH": "LB_ALGORITHM_CONSISTENT_HASH",
}
# Avi FullClientLogs.duration 0: log every request for as long as the service runs (§9.6.3 audit).
AVI_LOG_ALWAYS: Final = 0


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


def avi_ref(kind: str, name: str) -> str:
    """An Avi object referenced by name: ``/api/<kind>?name=<name>``."""
    return f"/api/{kind}?name={name}"


@dataclass(frozen=True)
class AviEntry:
    """The Avi objects a WAF-protected entry uses (references; defaults are Avi's system ones).

    ``certificate_ref`` ``None`` takes the Avi SSL key and certificate named like the last
    segment of the NSX ``certificate_path`` (the same certificate imported into Avi);
    ``server_ssl_profile_ref`` ``None`` leaves the pool's traffic to the backends plain.
    """

    certificate_ref: str | None = None
    cloud_ref: str = avi_ref("cloud", DEFAULT_AVI_CLOUD)
    ssl_profile_ref: str = avi_ref("sslprofile", DEFAULT_AVI_SSL_PROFILE)
    application_profile_ref: str = avi_ref("applicationprofile", DEFAULT_AVI_APPLICATION_PROFILE)
    server_ssl_profile_ref: str | None = avi_ref("sslprofile", DEFAULT_AVI_SSL_PROFILE)
    health_monitor_ref: str = avi_ref("healthmonitor", DEFAULT_AVI_HEALTH_MONITOR)
    waf_profile_ref: str = avi_ref("wafprofile", DEFAULT_AVI_WAF_PROFILE)
    waf_mode: str = "WAF_MODE_ENFORCEMENT"

    def validate(self, subject: str) -> None:
        refs = (
            ("certificate_ref", self.certificate_ref, "sslkeyandcertificate"),
            ("cloud_ref", self.cloud_ref, "cloud"),
            ("ssl_profile_ref", self.ssl_profile_ref, "sslprofile"),
            ("application_profile_ref", self.application_profile_ref, "applicationprofile"),
            ("server_ssl_profile_ref", self.server_ssl_profile_ref, "sslprofile"),
            ("health_monitor_ref", self.health_monitor_ref, "healthmonitor"),
            ("waf_profile_ref", self.waf_profile_ref, "wafprofile"),
        )
        for name, value, kind in refs:
            if value is None and name in ("certificate_ref", "server_ssl_profile_ref"):
                continue
            if not isinstance(value, str) or not value.startswith(f"/api/{kind}"):
                raise _fail(
                    subject,
                    f"avi.{name}",
                    f"must be an Avi {kind} reference (/api/{kind}?name=...), got {value!r}",
                )
        if self.waf_mode not in ("WAF_MODE_ENFORCEMENT", "WAF_MODE_DETECTION_ONLY"):
            raise _fail(
                subject,
                "avi.waf_mode",
                f"{self.waf_mode!r} is not WAF_MODE_ENFORCEMENT or WAF_MODE_DETECTION_ONLY",
            )


@dataclass(frozen=True)
class EdgeSecurityArgs:
    """One site's external entry and management-network policy.

    Paths are NSX policy paths of objects that exist outside this component: the load balancer
    service on the site's Tier-1 (``lb_service_path``, needed by the NSX entry only), the server
    certificate (``certificate_path``) and the client SSL profile (``client_ssl_profile_path``).
    ``server_ssl_profile_path`` makes the NSX entry re-encrypt to the backends. ``waf`` builds
    the entry on Avi instead, with a WAF policy (``avi``: the Avi objects it references).
    ``management_services`` are NSX service paths (the DFW rule matches services, not bare
    ports); the defaults are the predefined HTTPS (TCP 443) and SSH (TCP 22) services.
    """

    site_name: str
    ingress_fqdn: str
    virtual_ip: str
    lb_service_path: str | None
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
    avi: AviEntry = AviEntry()

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
        if not isinstance(self.waf, bool):
            raise _fail(subject, "waf", f"must be true or false, got {self.waf!r}")
        if self.waf:
            self._validate_avi(subject)
        else:
            if self.lb_service_path is None:
                raise _fail(
                    subject,
                    "lb_service_path",
                    "is required for the NSX load-balancer entry (waf off): name the load "
                    "balancer service on the site's Tier-1 (/infra/lb-services/...)",
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

    def _validate_avi(self, subject: str) -> None:
        """The WAF entry is Avi: only what Avi can express, with valid references."""
        if not isinstance(self.avi, AviEntry):
            raise _fail(subject, "avi", "must be an AviEntry")
        self.avi.validate(subject)
        if self.pool_algorithm not in AVI_LB_ALGORITHMS:
            raise _fail(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} has no Avi equivalent in the WAF entry; use one of "
                f"{', '.join(AVI_LB_ALGORITHMS)}",
            )
        for name in ("persistence_profile_path", "pool_active_monitor_path"):
            if getattr(self, name) is not None:
                raise _fail(
                    subject,
                    name,
                    "is an NSX load-balancer setting; the WAF entry is an Avi virtual service "
                    "(its health monitor is avi.health_monitor_ref)",
                )

    @property
    def avi_certificate_ref(self) -> str:
        """The Avi certificate of the WAF entry (the NSX certificate's name by default)."""
        if self.avi.certificate_ref is not None:
            return self.avi.certificate_ref
        return avi_ref("sslkeyandcertificate", self.certificate_path.rstrip("/").rsplit("/", 1)[-1])

    @property
    def https_url(self) -> str:
        suffix = "" if self.port == HTTPS_PORT else f":{self.port}"
        return f"https://{self.ingress_fqdn}{suffix}"


class EdgeSecurity(pulumi.ComponentResource):
    """The TLS-terminating entry (NSX, or Avi with a WAF) plus the management DFW policy.

    ``virtual_server_path`` and ``pool_path`` are NSX policy paths, or with ``waf`` the Avi
    virtual service's and pool's ids (their object URLs); ``waf_policy_ref`` is the attached
    Avi WAF policy (``None`` without WAF).
    """

    virtual_server_path: pulumi.Output[str]
    pool_path: pulumi.Output[str]
    waf_policy_ref: pulumi.Output[str] | None
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
        if args.waf:
            self._avi_entry(name, args)
        else:
            self._nsx_entry(name, args)
        self.management_policy_path = policy.path
        self.admin_group_path = admins.path
        self.management_group_path = management.path
        self.virtual_ip = pulumi.Output.from_input(args.virtual_ip)
        self.https_url = pulumi.Output.from_input(args.https_url)
        self.register_outputs(
            {
                "virtualServerPath": self.virtual_server_path,
                "poolPath": self.pool_path,
                "wafPolicyRef": self.waf_policy_ref,
                "managementPolicyPath": self.management_policy_path,
                "adminGroupPath": self.admin_group_path,
                "managementGroupPath": self.management_group_path,
                "virtualIp": self.virtual_ip,
                "httpsUrl": self.https_url,
            }
        )

    def _nsx_entry(self, name: str, args: EdgeSecurityArgs) -> None:
        """NSX load balancer: pool and TLS virtual server (re-encrypting with a server profile)."""
        child = pulumi.ResourceOptions(parent=self)
        site = args.site_name
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
        self.waf_policy_ref = None

    def _avi_entry(self, name: str, args: EdgeSecurityArgs) -> None:
        """Avi: pool (re-encrypting), VIP, WAF policy and the TLS virtual service using them."""
        child = pulumi.ResourceOptions(parent=self)
        site, avi = args.site_name, args.avi
        pool = Pool(
            f"{name}-avi-pool",
            PoolArgs(
                name=f"{site}-ingress-pool",
                servers=tuple(
                    AviServer(ips=(avi_ip_addr(ip),), port=args.backend_port)
                    for ip in args.backend_members
                ),
                default_server_port=args.backend_port,
                # §9.6.3: TLS between internal services (re-encrypt to the backends).
                ssl_profile_ref=avi.server_ssl_profile_ref,
                health_monitor_refs=(avi.health_monitor_ref,),
                lb_algorithm=AVI_LB_ALGORITHMS[args.pool_algorithm],
                cloud_ref=avi.cloud_ref,
                description=f"Backends of {args.ingress_fqdn}",
            ),
            child,
        )
        vip = Vsvip(
            f"{name}-avi-vip",
            VsvipArgs(
                name=f"{site}-ingress-vip",
                vips=(AviVip(vip_id="0", ip_addresses=(avi_ip_addr(args.virtual_ip),)),),
                cloud_ref=avi.cloud_ref,
            ),
            child,
        )
        waf = Wafpolicy(
            f"{name}-waf",
            WafpolicyArgs(
                name=f"{site}-ingress-waf",
                waf_profile_ref=avi.waf_profile_ref,
                mode=avi.waf_mode,
                description=f"WAF of {args.ingress_fqdn} (§9.6.1 perimeter)",
            ),
            child,
        )
        service = Virtualservice(
            f"{name}-avi-vs",
            VirtualserviceArgs(
                name=f"{site}-ingress",
                services=(AviService(port=args.port, enable_ssl=True),),
                vsvip_ref=vip.id,
                pool_ref=pool.id,
                ssl_key_and_certificate_refs=(args.avi_certificate_ref,),
                ssl_profile_ref=avi.ssl_profile_ref,
                application_profile_ref=avi.application_profile_ref,
                waf_policy_ref=waf.id,
                # §9.6.3 audit: log every API call, not only errors.
                analytics_policies=(
                    AnalyticsPolicy(
                        full_client_logs=(FullClientLogs(enabled=True, duration=AVI_LOG_ALWAYS),)
                    ),
                ),
                cloud_ref=avi.cloud_ref,
                description=f"HTTPS entry for {args.ingress_fqdn} (TLS terminated, WAF, §9.6.1)",
            ),
            child,
        )
        self.virtual_server_path = service.id
        self.pool_path = pool.id
        self.waf_policy_ref = waf.id
