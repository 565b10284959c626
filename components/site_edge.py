"""The site's edge and GSLB arguments, read from the stack config.

A bad value is reported at the config key it came from (``network.ingress.virtualIp``), not as
the Python field of ``EdgeSecurityArgs`` or ``GslbServiceArgs`` that rejected it: the two tables
below map one to the other. ``PaifSite`` (components/site.py) builds the components from these.
"""

from __future__ import annotations

from paif_components.config.models import AviIngress, StackConfig
from paif_components.dr.topology import DerivedSite
from paif_components.edge_security import AviEntry, EdgeSecurityArgs, avi_ref
from paif_components.errors import ComponentInputError
from paif_components.gslb import GslbServiceArgs, GslbSite

# Where each EdgeSecurityArgs / GslbServiceArgs field comes from in stack config, so that a bad
# value is reported at its config path (network.ingress.virtualIp), not as a Python field.
_EDGE_CONFIG_PATHS = {
    "site_name": "site.name",
    "ingress_fqdn": "network.ingress.fqdn",
    "virtual_ip": "network.ingress.virtualIp",
    "lb_service_path": "network.ingress.lbServicePath",
    "backend_members": "network.ingress.backendMembers",
    "backend_port": "network.ingress.backendPort",
    "client_ssl_profile_path": "network.ingress.clientSslProfile",
    "server_ssl_profile_path": "network.ingress.serverSslProfile",
    "certificate_path": "network.ingress.certificate",
    "avi.certificate_ref": "network.ingress.avi.certificate",
    "avi.cloud_ref": "network.ingress.avi.cloud",
    "avi.ssl_profile_ref": "network.ingress.avi.sslProfile",
    "avi.application_profile_ref": "network.ingress.avi.applicationProfile",
    "avi.server_ssl_profile_ref": "network.ingress.avi.serverSslProfile",
    "avi.health_monitor_ref": "network.ingress.avi.healthMonitor",
    "avi.waf_profile_ref": "network.ingress.avi.wafProfile",
    "admin_source_cidrs": "network.adminSourceCidrs",
    "management_cidrs": "network.managementCidrs",
    "waf": "network.ingress.waf",
}
_GSLB_CONFIG_PATHS = {
    "service_name": "site.name",
    "fqdn": "dr.gslb.domain",
    "health_monitor_refs": "dr.gslb.healthMonitors",
    "ttl_seconds": "dr.gslb.ttl",
    "site_persistence": "dr.gslb.sitePersistence",
    "sites[0].name": "site.name",
    "sites[0].virtual_ip": "network.ingress.virtualIp",
    "sites[1].name": "dr.peer.stack (the peer stack's site.name)",
    "sites[1].virtual_ip": "dr.peer.stack (the peer stack's network.ingress.virtualIp)",
    "sites[].name": "site.name",
    "sites[].virtual_ip": "network.ingress.virtualIp",
}


def _at_config_path(
    config: StackConfig, exc: ComponentInputError, paths: dict[str, str]
) -> ComponentInputError:
    """The same complaint, about the config key the bad value came from."""
    field_name = exc.field
    if field_name in paths:
        return ComponentInputError(f"site '{config.site.name}'", paths[field_name], exc.message)
    base, bracket, rest = field_name.partition("[")
    if base in paths:
        return ComponentInputError(
            f"site '{config.site.name}'", f"{paths[base]}{bracket}{rest}", exc.message
        )
    return exc


def edge_args(config: StackConfig) -> EdgeSecurityArgs | None:
    """The site's NSX/Avi edge from ``network.ingress``; None when the stack declares none."""
    network = config.network
    if network.ingress is None:
        return None
    ingress = network.ingress
    try:
        return EdgeSecurityArgs(
            site_name=config.site.name,
            ingress_fqdn=ingress.fqdn,
            virtual_ip=ingress.virtual_ip,
            lb_service_path=ingress.lb_service_path,
            backend_members=list(ingress.backend_members),
            backend_port=ingress.backend_port,
            client_ssl_profile_path=ingress.client_ssl_profile,
            certificate_path=ingress.certificate,
            admin_source_cidrs=list(network.admin_source_cidrs),
            management_cidrs=list(network.management_cidrs),
            server_ssl_profile_path=ingress.server_ssl_profile,
            waf=config.waf,
            avi=_avi_entry(ingress.avi),
        )
    except ComponentInputError as exc:
        raise _at_config_path(config, exc, _EDGE_CONFIG_PATHS) from None


def _avi_entry(avi: AviIngress) -> AviEntry:
    """The Avi objects of ``network.ingress.avi`` as references."""
    return AviEntry(
        certificate_ref=avi_ref("sslkeyandcertificate", avi.certificate)
        if avi.certificate
        else None,
        cloud_ref=avi_ref("cloud", avi.cloud),
        ssl_profile_ref=avi_ref("sslprofile", avi.ssl_profile),
        application_profile_ref=avi_ref("applicationprofile", avi.application_profile),
        server_ssl_profile_ref=avi_ref("sslprofile", avi.server_ssl_profile)
        if avi.server_ssl_profile
        else None,
        health_monitor_ref=avi_ref("healthmonitor", avi.health_monitor),
        waf_profile_ref=avi_ref("wafprofile", avi.waf_profile),
        waf_mode="WAF_MODE_ENFORCEMENT"
        if avi.waf_mode == "enforcement"
        else "WAF_MODE_DETECTION_ONLY",
    )


def gslb_args(config: StackConfig, peer: StackConfig | None) -> GslbServiceArgs | None:
    """Active-active: the primary stack declares the GSLB over both sites' entries (``peer``:
    the peer stack's config)."""
    gslb = config.dr.gslb
    if config.dr.pattern != "active-active" or config.dr.role != "primary" or gslb is None:
        return None
    if config.network.ingress is None or peer is None or peer.network.ingress is None:
        return None
    try:
        return GslbServiceArgs(
            service_name=f"{config.site.name}-gslb",
            fqdn=gslb.domain,
            sites=[
                # The DR stack file in this commit says it failed over: this site was lost, and
                # takes traffic again only once the DR stack fails back (the runbook's order).
                GslbSite(
                    config.site.name,
                    config.network.ingress.virtual_ip,
                    enabled=not peer.dr.failover,
                ),
                GslbSite(peer.site.name, peer.network.ingress.virtual_ip),
            ],
            health_monitor_refs=list(gslb.health_monitors),
            application_persistence_profile_ref=(
                "/api/applicationpersistenceprofile?name=System-Persistence-Http-Cookie"
                if gslb.site_persistence
                else None
            ),
            site_persistence=gslb.site_persistence,
            ttl_seconds=gslb.ttl,
        )
    except ComponentInputError as exc:
        raise _at_config_path(config, exc, _GSLB_CONFIG_PATHS) from None


def backup_locations_used(config: StackConfig) -> dict[str, list[str]]:
    """Backup location -> the databases (``tenant/database``) that back up to it here."""
    used: dict[str, list[str]] = {}
    for tenant in config.tenants:
        for db in (*tenant.databases, *tenant.app_databases):
            if db.backup is not None and db.backup.location:
                used.setdefault(db.backup.location, []).append(f"{tenant.name}/{db.name}")
    return used


def validate_egress(config: StackConfig, derived: DerivedSite) -> None:
    """Declared egress names every backup location this site's databases write to."""
    egress = config.network.egress
    if egress is None:
        return
    for location, databases in sorted(backup_locations_used(derived.config).items()):
        if location not in egress.backup_locations:
            raise ComponentInputError(
                f"site '{config.site.name}'",
                f"network.egress.backupLocations.{location}",
                f"is missing: {', '.join(databases)} back up to {location!r}, and with "
                "network.egress declared the data tier reaches only the addresses listed "
                "there",
            )
