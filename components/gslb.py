"""The GSLB in front of both sites of an active-active pair (§9.3.3 pattern 3).

A GSLB spreads users over both sites with health monitors, and one user's conversation stays on
one site (site persistence). ``GslbService`` builds the Avi GSLB service over both sites'
virtual IPs through ``paif_components.nsx_binding``; the per-site entries are
``paif_components.edge_security``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi

from paif_components.avi_binding import avi_ip_addr
from paif_components.contract import tokens
from paif_components.edge_inputs import (
    DNS_LABEL,
    fqdn_input,
    input_error,
    ip_input,
    strings_input,
    text_input,
)
from paif_components.nsx_binding import (
    GSLB_POOL_ALGORITHMS,
    GSLB_SERVICE_ALGORITHMS,
    GslbPool,
    GslbPoolMember,
    Gslbservice,
    GslbserviceArgs,
)
from paif_components.validation import validate_unless_done

GSLB_SERVICE_COMPONENT_TYPE: Final = tokens.PAIF_GSLB_SERVICE

# Library default, not from the source document: a short DNS TTL keeps the "DNS TTL / GSLB
# switch" term of the RTO estimate (ARCHITECTURE.md, estimators) under a minute.
DEFAULT_GSLB_TTL_SECONDS: Final = 30
MAX_DNS_TTL_SECONDS: Final = 86_400
# §9.3.3 pattern 3: both sites serve at once, 50 % each -> equal member ratios.
ACTIVE_ACTIVE_MIN_SITES: Final = 2
EQUAL_SHARE_RATIO: Final = 1


@dataclass(frozen=True)
class GslbSite:
    """One site behind the GSLB: its HTTPS virtual IP and, when it is an Avi virtual service,
    the Avi cluster / virtual-service UUIDs that site persistence works through, and whether
    the GSLB sends it traffic."""

    name: str
    virtual_ip: str
    cluster_uuid: str | None = None
    vs_uuid: str | None = None
    # False: the GSLB sends this site nothing (a lost site, while the other serves alone).
    enabled: bool = True


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
        name = text_input(subject, "service_name", self.service_name)
        if not DNS_LABEL.match(name):
            raise input_error(subject, "service_name", f"{name!r} must be a lowercase DNS label")
        fqdn_input(subject, "fqdn", self.fqdn)
        if isinstance(self.sites, str | bytes) or not isinstance(self.sites, Sequence):
            raise input_error(subject, "sites", f"must be a list, got {type(self.sites).__name__}")
        sites = tuple(self.sites)
        if len(sites) < ACTIVE_ACTIVE_MIN_SITES:
            raise input_error(
                subject,
                "sites",
                f"active-active needs at least {ACTIVE_ACTIVE_MIN_SITES} sites, got {len(sites)}",
            )
        for index, site in enumerate(sites):
            if not isinstance(site, GslbSite):
                raise input_error(subject, f"sites[{index}]", "must be a GslbSite")
            site_name = text_input(subject, f"sites[{index}].name", site.name)
            if not DNS_LABEL.match(site_name):
                raise input_error(subject, f"sites[{index}].name", "must be a lowercase DNS label")
            ip_input(subject, f"sites[{index}].virtual_ip", site.virtual_ip)
            if (site.cluster_uuid is None) != (site.vs_uuid is None):
                raise input_error(
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
                raise input_error(subject, field, f"duplicate entries {duplicates}")
        monitors = strings_input(subject, "health_monitor_refs", self.health_monitor_refs)
        for index, ref in enumerate(monitors):
            if "/api/healthmonitor" not in ref:
                raise input_error(
                    subject,
                    f"health_monitor_refs[{index}]",
                    f"{ref!r} is not an Avi health monitor reference (/api/healthmonitor...)",
                )
        if not isinstance(self.site_persistence, bool):
            raise input_error(subject, "site_persistence", "must be true or false")
        if self.site_persistence:
            profile = self.application_persistence_profile_ref
            if profile is None or "/api/applicationpersistenceprofile" not in text_input(
                subject, "application_persistence_profile_ref", profile
            ):
                raise input_error(
                    subject,
                    "application_persistence_profile_ref",
                    "site persistence needs a federated application persistence profile "
                    "reference (/api/applicationpersistenceprofile...)",
                )
        ttl = self.ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_DNS_TTL_SECONDS:
            raise input_error(
                subject, "ttl_seconds", f"must be 1-{MAX_DNS_TTL_SECONDS} seconds, got {ttl!r}"
            )
        if self.pool_algorithm not in GSLB_SERVICE_ALGORITHMS:
            raise input_error(
                subject,
                "pool_algorithm",
                f"{self.pool_algorithm!r} is not one of {', '.join(GSLB_SERVICE_ALGORITHMS)}",
            )
        if self.member_algorithm not in GSLB_POOL_ALGORITHMS:
            raise input_error(
                subject,
                "member_algorithm",
                f"{self.member_algorithm!r} is not one of {', '.join(GSLB_POOL_ALGORITHMS)}",
            )
        if self.tenant_ref is not None:
            text_input(subject, "tenant_ref", self.tenant_ref)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "health_monitor_refs", monitors)


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
        # Its __post_init__ validated it already.
        validate_unless_done(GslbServiceArgs.validate, args)
        super().__init__(GSLB_SERVICE_COMPONENT_TYPE, name, None, opts)
        members = tuple(
            GslbPoolMember(
                ips=(avi_ip_addr(site.virtual_ip),),
                ratio=EQUAL_SHARE_RATIO,
                enabled=site.enabled,
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
