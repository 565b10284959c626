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
``paif_components.nsx_binding`` and ``paif_components.avi_binding``; see there for how the real
providers are installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi

from paif_components.avi_binding import (
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
from paif_components.contract import tokens
from paif_components.edge_inputs import (
    DNS_LABEL,
    fqdn_input,
    input_error,
    ip_group,
    ip_input,
    networks_input,
    policy_path_input,
    port_input,
    strings_input,
    text_input,
)
from paif_components.nsx_binding import (
    LB_POOL_ALGORITHMS,
    LbClientSsl,
    LbPoolMember,
    LbServerSsl,
    PolicyLbPool,
    PolicyLbPoolArgs,
    PolicyLbVirtualServer,
    PolicyLbVirtualServerArgs,
    PolicySecurityPolicy,
    PolicySecurityPolicyArgs,
    SecurityPolicyRule,
)
from paif_components.validation import validate_unless_done

EDGE_SECURITY_TYPE: Final = tokens.PAIF_EDGE_SECURITY


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
                raise input_error(
                    subject,
                    f"avi.{name}",
                    f"must be an Avi {kind} reference (/api/{kind}?name=...), got {value!r}",
                )
        if self.waf_mode not in ("WAF_MODE_ENFORCEMENT", "WAF_MODE_DETECTION_ONLY"):
            raise input_error(
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
        name = text_input(subject, "site_name", self.site_name)
        if not DNS_LABEL.match(name):
            raise input_error(subject, "site_name", f"{name!r} must be a lowercase DNS label")
        fqdn_input(subject, "ingress_fqdn", self.ingress_fqdn)
        vip = ip_input(subject, "virtual_ip", self.virtual_ip)
        port = port_input(subject, "port", self.port)
        if port == PLAIN_HTTP_PORT:
            raise input_error(
                subject,
                "port",
                f"{PLAIN_HTTP_PORT} is the plain-HTTP port; the external entry terminates TLS and "
                f"never listens for plain HTTP (§9.6.3, PAIF-SEC-001) — use {HTTPS_PORT}",
            )
        if not isinstance(self.waf, bool):
            raise input_error(subject, "waf", f"must be true or false, got {self.waf!r}")
        if self.waf:
            self._validate_avi(subject)
        else:
            if self.lb_service_path is None:
                raise input_error(
                    subject,
                    "lb_service_path",
                    "is required for the NSX load-balancer entry (waf off): name the load "
                    "balancer service on the site's Tier-1 (/infra/lb-services/...)",
                )
            policy_path_input(
                subject, "lb_service_path", self.lb_service_path, "/infra/lb-services/"
            )
        if not isinstance(self.client_ssl_profile_path, str) or not self.client_ssl_profile_path:
            raise input_error(
                subject,
                "client_ssl_profile_path",
                "missing client SSL profile: the virtual server must terminate TLS (§9.6.1)",
            )
        policy_path_input(
            subject,
            "client_ssl_profile_path",
            self.client_ssl_profile_path,
            "/infra/lb-client-ssl-profiles/",
        )
        policy_path_input(
            subject, "certificate_path", self.certificate_path, "/infra/certificates/"
        )
        policy_path_input(
            subject,
            "application_profile_path",
            self.application_profile_path,
            "/infra/lb-app-profiles/",
        )
        if self.server_ssl_profile_path is not None:
            policy_path_input(
                subject,
                "server_ssl_profile_path",
                self.server_ssl_profile_path,
                "/infra/lb-server-ssl-profiles/",
            )
        if self.pool_active_monitor_path is not None:
            policy_path_input(
                subject,
                "pool_active_monitor_path",
                self.pool_active_monitor_path,
                "/infra/lb-monitor-profiles/",
            )
        if self.persistence_profile_path is not None:
            policy_path_input(
                subject,
                "persistence_profile_path",
                self.persistence_profile_path,
                "/infra/lb-persistence-profiles/",
            )
        members = strings_input(subject, "backend_members", self.backend_members)
        for index, member in enumerate(members):
            ip_input(subject, f"backend_members[{index}]", member)
        if vip in members:
            raise input_error(
                subject, "backend_members", f"the virtual IP {vip} cannot be a member"
            )
        port_input(subject, "backend_port", self.backend_port)
        if self.pool_algorithm not in LB_POOL_ALGORITHMS:
            raise input_error(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} is not one of {', '.join(LB_POOL_ALGORITHMS)}",
            )
        active = self.min_active_members
        if isinstance(active, bool) or not isinstance(active, int):
            raise input_error(subject, "min_active_members", "must be an integer")
        if not 1 <= active <= len(members):
            raise input_error(
                subject,
                "min_active_members",
                f"must be between 1 and the {len(members)} backend member(s), got {active}",
            )
        for field, value in (
            ("admin_source_cidrs", self.admin_source_cidrs),
            ("management_cidrs", self.management_cidrs),
        ):
            for index, network in enumerate(networks_input(subject, field, value)):
                if network.prefixlen == 0:
                    raise input_error(
                        subject,
                        f"{field}[{index}]",
                        f"{network} matches every address; the management network admits "
                        "only the admin source group (§9.6.1, PAIF-SEC-005)",
                    )
        for index, service in enumerate(
            strings_input(subject, "management_services", self.management_services)
        ):
            policy_path_input(subject, f"management_services[{index}]", service, "/infra/services/")
        if self.dfw_category not in DFW_CATEGORIES:
            raise input_error(
                subject,
                "dfw_category",
                f"{self.dfw_category!r} is not one of {', '.join(DFW_CATEGORIES)}",
            )
        text_input(subject, "domain", self.domain)
        for field in ("backend_members", "admin_source_cidrs", "management_cidrs"):
            object.__setattr__(self, field, tuple(getattr(self, field)))
        object.__setattr__(self, "management_services", tuple(self.management_services))

    def _validate_avi(self, subject: str) -> None:
        """The WAF entry is Avi: only what Avi can express, with valid references."""
        if not isinstance(self.avi, AviEntry):
            raise input_error(subject, "avi", "must be an AviEntry")
        self.avi.validate(subject)
        if self.pool_algorithm not in AVI_LB_ALGORITHMS:
            raise input_error(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} has no Avi equivalent in the WAF entry; use one of "
                f"{', '.join(AVI_LB_ALGORITHMS)}",
            )
        for name in ("persistence_profile_path", "pool_active_monitor_path"):
            if getattr(self, name) is not None:
                raise input_error(
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
        # Its __post_init__ validated it already.
        validate_unless_done(EdgeSecurityArgs.validate, args)
        super().__init__(EDGE_SECURITY_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        site = args.site_name

        admins = ip_group(
            f"{name}-admin-group",
            f"{site}-mgmt-admins",
            "Sources allowed to reach the management network (§9.6.1)",
            args.domain,
            args.admin_source_cidrs,
            child,
        )
        management = ip_group(
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
