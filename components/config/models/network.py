"""``paif:network`` and ``paif:security``: the edge, who reaches the app tier, where the tiers
may go, identity and audit (§9.6).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import Cidr, ConfigModel, DnsName, HttpsUrl, NonEmpty, Port
from paif_components.config.base import require_unique as _require_unique
from paif_components.config.errors import FieldError


class AviIngress(ConfigModel):
    """Avi objects (by name) the WAF entry uses; the defaults are Avi's system objects.

    ``certificate`` defaults to the name of ``ingress.certificate``'s last path segment (the
    same certificate imported into Avi); ``serverSslProfile: null`` stops re-encryption to the
    backends (PAIF-SEC-001 reports it in production).
    """

    cloud: NonEmpty = "Default-Cloud"
    certificate: NonEmpty | None = None
    ssl_profile: NonEmpty = "System-Standard"
    application_profile: NonEmpty = "System-Secure-HTTP"
    server_ssl_profile: NonEmpty | None = "System-Standard"
    health_monitor: NonEmpty = "System-HTTPS"
    waf_profile: NonEmpty = "System-WAF-Profile"
    waf_mode: Literal["enforcement", "detection"] = "enforcement"


class Ingress(ConfigModel):
    """The site's external HTTPS entry (§9.6.1): NSX load balancer, or Avi with a WAF.

    ``waf`` left out is on in production tiers: a project default, after §9.1.1's production
    access "hardened: TLS, WAF" (§9.6.1 marks the WAF optional). A WAF needs the Avi entry
    (``avi``), the NSX entry needs ``lbServicePath``.
    ``serverSslProfile`` (NSX) re-encrypts to the backends (§9.6.3); ``null`` turns it off.
    """

    fqdn: NonEmpty
    virtual_ip: NonEmpty
    lb_service_path: NonEmpty | None = None
    backend_members: Annotated[list[NonEmpty], Field(min_length=1)]
    backend_port: Annotated[int, Field(ge=1, le=65535)] = 443
    client_ssl_profile: NonEmpty = (
        "/infra/lb-client-ssl-profiles/default-balanced-client-ssl-profile"
    )
    server_ssl_profile: NonEmpty | None = (
        "/infra/lb-server-ssl-profiles/default-balanced-server-ssl-profile"
    )
    certificate: NonEmpty
    waf: bool | None = None
    avi: AviIngress = Field(default_factory=AviIngress)


class AppTier(ConfigModel):
    """Who reaches the tenants' app tier in their Supervisor namespaces, and on which ports
    (§9.6.1: users → edge load balancer → app). Nothing else does (PAIF-MT-004).

    ``sourceCidrs`` are the addresses the edge's traffic comes from as the app tier sees it
    (the NSX load balancer's SNAT addresses, or the Avi Service Engines' data addresses), not
    the virtual IP; ``sourceNamespaces`` are Supervisor namespaces whose pods may reach it (an
    ingress controller's). ``ports`` default to ``ingress.backendPort`` (else 443).
    """

    source_cidrs: list[Cidr] = Field(default_factory=list)
    source_namespaces: list[DnsName] = Field(default_factory=list)
    ports: Annotated[list[Port], Field(min_length=1)] | None = None


class ExternalApi(ConfigModel):
    """A service outside the site the AI tier calls (a knowledge base's data source, a hosted
    API): its addresses and ports."""

    name: DnsName
    cidrs: Annotated[list[Cidr], Field(min_length=1)]
    ports: Annotated[list[Port], Field(min_length=1)] = Field(default_factory=lambda: [443])


class Egress(ConfigModel):
    """Where tenant workloads may open connections beyond their namespace (§9.6.3: close
    unneeded ports; restrict pod-to-pod traffic). Declared, every tier reaches exactly these
    (PAIF-MT-005); left out, DNS goes to any address on 53 and the AI and data tiers to any
    address on 443, which production refuses.

    ``dnsServers``: the resolvers besides the cluster's CoreDNS pods (the Supervisor workload
    network's DNS servers, which VMs use); ``harbor``: the site Harbor's addresses (model
    pulls, §9.5.3 phase 4); ``modelStore``: where models are fetched from besides Harbor;
    ``backupLocations``: each DSM backup location's object store (§9.3.2 item 2), by the name
    databases use in ``backup.location``; ``externalApis``: anything else the AI tier calls.
    All on HTTPS (443) but the external APIs, which name their ports.
    """

    dns_servers: Annotated[list[Cidr], Field(min_length=1)]
    harbor: Annotated[list[Cidr], Field(min_length=1)]
    model_store: list[Cidr] = Field(default_factory=list)
    backup_locations: dict[DnsName, Annotated[list[Cidr], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    external_apis: list[ExternalApi] = Field(default_factory=list)

    @field_validator("external_apis")
    @classmethod
    def _unique_apis(cls, apis: list[ExternalApi]) -> list[ExternalApi]:
        _require_unique([a.name for a in apis], "external API name")
        return apis


class Network(ConfigModel):
    """§9.6 edge: TLS at the load balancer; management reachable only from admins.

    ``edge: external`` says the NSX/Avi edge (ingress virtual server, management firewall,
    GSLB) is managed outside this stack, e.g. by the network team's own stack: this stack then
    declares none of it and the rules that inspect it have nothing here to check.
    ``appTier`` and ``egress`` say what the tenants' namespaces may reach and be reached from;
    they describe the network, so an external edge keeps them, as it keeps ``dataCidrs`` (the
    site's database addresses, which the peer site's logical replication connects to or from)
    and ``gatewayUrl`` (where apps reach the ML API gateway; the entry's FQDN by default).
    """

    edge: Literal["managed", "external"] = "managed"
    ingress: Ingress | None = None
    # Where workloads reach the ML API gateway (§9.2.2), as apps are told (apps[].consumes);
    # unset, the site's entry https://<ingress.fqdn>. Each stack names its own site's.
    gateway_url: HttpsUrl | None = None
    admin_source_cidrs: list[NonEmpty] = Field(default_factory=list)
    management_cidrs: list[NonEmpty] = Field(default_factory=list)
    app_tier: AppTier = Field(default_factory=AppTier)
    egress: Egress | None = None
    # This site's DSM database addresses (the network DSM puts its PostgreSQL clusters on). The
    # peer site's stack reads them from this file: a logical DR copy's subscription connects
    # from the DR site's to the primary's on the database port, and both sides admit exactly
    # that (paif_components.tenant_network, "replication").
    data_cidrs: list[Cidr] = Field(default_factory=list)

    @property
    def resolved_gateway_url(self) -> str | None:
        """``gatewayUrl``, else the entry ``https://<ingress.fqdn>``; None with neither."""
        if self.gateway_url is not None:
            return self.gateway_url
        return f"https://{self.ingress.fqdn}" if self.ingress is not None else None

    @property
    def app_ports(self) -> tuple[int, ...]:
        """The app tier's ports: ``appTier.ports``, else the edge's backend port, else 443."""
        if self.app_tier.ports:
            return tuple(sorted(set(self.app_tier.ports)))
        return (self.ingress.backend_port if self.ingress else 443,)

    @model_validator(mode="after")
    def _external_edge_declares_nothing(self) -> Network:
        if self.edge == "external":
            for key, value in (
                ("ingress", self.ingress),
                ("managementCidrs", self.management_cidrs),
                ("adminSourceCidrs", self.admin_source_cidrs),
            ):
                if value:
                    raise FieldError(
                        key, "is the edge's to declare, but edge is 'external': leave it out"
                    )
        return self


class HarborOidc(ConfigModel):
    """Harbor's OIDC mode (``harbor.ConfigAuth``): Harbor is its own OIDC client of the same
    issuer. Its client secret is the stack secret ``clientSecret`` names (``pulumi config set
    --secret harbor:oidcClientSecret …``). Switching a Harbor to OIDC is the installation's
    decision (only its local admin may exist), hence opt-in."""

    client_id: NonEmpty
    client_secret: Annotated[
        str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z][A-Za-z0-9_.-]*$")
    ] = "harbor:oidcClientSecret"
    groups_claim: NonEmpty = "groups"
    user_claim: NonEmpty | None = None
    admin_group: NonEmpty | None = None
    scope: list[NonEmpty] = Field(default_factory=lambda: ["openid", "profile", "email", "groups"])
    auto_onboard: bool = True


class Oidc(ConfigModel):
    """The OIDC provider (§9.2.2: VCF Automation's) that identities come from. Carried by each
    tenant's PAISConfiguration (the ML API gateway validates tokens of ``clientId`` from
    ``issuerUrl`` and admits the tenant's OIDC groups) and, with ``harbor``, by Harbor's auth
    configuration (paif_components.pais, paif_components.harbor_registry)."""

    issuer_url: Annotated[str, Field(pattern=r"^https://")]
    client_id: NonEmpty
    scope: list[NonEmpty] = Field(default_factory=lambda: ["openid", "groups"])
    extra_audiences: list[NonEmpty] = Field(default_factory=list)
    harbor: HarborOidc | None = None


class Audit(ConfigModel):
    enabled: bool = True
    retention_days: Annotated[int, Field(ge=1)] = 365


class Security(ConfigModel):
    oidc: Oidc | None = None
    audit: Audit = Field(default_factory=Audit)


class KubernetesOptions(ConfigModel):
    """How the stack treats the Kubernetes APIs it applies to (``paif_components.controllers``):
    ``awaitControllers: false`` for clusters whose controllers do not report readiness."""

    await_controllers: bool = True
