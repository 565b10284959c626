"""PaifSite: everything at one PAIF site, composed from the stack config.

The site's own inputs carry the stack-wide facts the policy pack needs and cannot see on any
single resource: environment tier, DR pattern and role, declared objectives, waivers, the DR
estimate, GPU capacity, and config keys that hold credentials in plain text. Registered outputs
repeat them, because the engine shows a component's outputs to stack policies.

Cross-stack flow (docs/architecture.md): only a DR stack references its primary
(``pulumi.StackReference``) — for the primary's model references, replication rules and
database endpoints. Harbor push replication is owned by the pushing stack, which manages the
receiving robot on the peer Harbor through a second Harbor provider (config namespace
``peerHarbor``), so no credential has to travel between stacks by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from paif_components.config.models import Peer, StackConfig, Tenant, WorkloadDomain
from paif_components.config.models.ownership import Kind
from paif_components.config.stacks import StackPart
from paif_components.context import SiteContext
from paif_components.contract import tokens
from paif_components.contract.estimates import Estimates
from paif_components.contract.site_facts import Objectives, SiteFacts
from paif_components.database_replication import replication_path
from paif_components.dr.estimate import estimate_record
from paif_components.dr.shapes import SiteShapes
from paif_components.dr.site_facts import site_gpu_pool
from paif_components.dr.topology import DerivedSite, stack_file_name
from paif_components.edge_security import EdgeSecurity, EdgeSecurityArgs
from paif_components.errors import ComponentInputError
from paif_components.gslb import GslbService, GslbServiceArgs
from paif_components.harbor_auth import harbor_auth, validate_harbor_auth
from paif_components.harbor_registry import (
    HarborReplication,
    HarborReplicationArgs,
    HarborReplicationReceiver,
    HarborReplicationReceiverArgs,
    validate_harbor_replication,
)
from paif_components.hardware import DomainHardware
from paif_components.ownership import Decision
from paif_components.referenced_domain import ReferencedDomain
from paif_components.site_edge import edge_args, gslb_args, validate_egress
from paif_components.site_monitoring import (
    SiteMonitoring,
    SiteMonitoringArgs,
    site_facts,
    validate_site_monitoring,
)
from paif_components.site_replication import (
    replicated_projects,
    replication_args,
    replication_targets,
)
from paif_components.tenant import PaifTenant, PaifTenantArgs, tenant_endpoint_gpus, validate_tenant
from paif_components.tenant_network import namespace_network
from paif_components.validation import validated_inputs
from paif_components.workload_domain import (
    GpuWorkloadDomain,
    GpuWorkloadDomainArgs,
    gpu_vm_classes,
    validate_domain_hardware,
    validate_gpu_workload_domain,
)

SITE_TYPE = tokens.PAIF_SITE
# Stack outputs (besides gpuCapacity and estimates): what operators and the peer stack read.
EXPORTED_OUTPUTS = (
    "site",
    "environment",
    "drPattern",
    "drRole",
    "gpuCapacityNPlusOne",
    "tenants",
    "modelRefs",
    "replication",
    "ingress",
)


@dataclass(frozen=True)
class PaifSiteArgs:
    """This stack's own validated config, its primary's (DR stacks) and stack-wide facts."""

    config: StackConfig
    stack_file: str
    primary: StackConfig | None = None
    plaintext_secret_keys: list[str] = field(default_factory=list)
    peer_config: StackConfig | None = None
    # Config keys of this stack set as Pulumi secrets (what apps' consumes.secrets may name).
    secret_keys: frozenset[str] = frozenset()
    # What the program asked the site before building it (paif_components.program): adopted
    # objects' import ids, and per workload-domain cluster what vCenter says of its hosts.
    import_ids: Mapping[tuple[Kind, str], str] = field(default_factory=dict)
    hardware: Mapping[str, DomainHardware] = field(default_factory=dict)
    # The replication role's password of logical DR copies (secret config
    # ``dsm:replicationPassword``, the same in both stacks; paif_components.database_replication).
    replication_password: pulumi.Input[str] | None = None
    # What this stack builds of the site (paif:layout, paif_components.config.stacks): None is the
    # whole site.
    part: StackPart | None = None
    # The stack's DR topology shapes (paif_components.dr.shapes): derived once, shared by the
    # program, the site, its estimates and runbooks; made anew when config or primary differ.
    shapes: SiteShapes | None = field(default=None, compare=False, repr=False)
    # Set by the program once validate_site and the hardware's checks passed: what validate_site
    # built, which PaifSite builds from (validate once, build once).
    checked: SiteParts | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        s = self.shapes
        if (
            s is None
            or s.config is not self.config
            or s.primary is not self.primary
            or s.stack != self.stack
        ):
            s = SiteShapes(self.config, self.primary, stack=self.stack)
        object.__setattr__(self, "shapes", s)

    def builds(self, tenant: str) -> bool:
        """Whether this stack builds ``tenant`` (every tenant, unless the site is split)."""
        return self.part is None or tenant in self.part.tenants

    @property
    def builds_platform(self) -> bool:
        """Whether this stack declares the site's own objects (not a tenant-group stack)."""
        return self.part is None or self.part.builds_platform

    @property
    def stack(self) -> str:
        return self.stack_file.removeprefix("Pulumi.").removesuffix(".yaml")

    def derived(self) -> DerivedSite:
        assert self.shapes is not None  # __post_init__
        return self.shapes.site()

    def site_config(self) -> StackConfig:
        """What this site builds: its own config, or the primary's tenants adapted (DR)."""
        return self.derived().config

    @property
    def context(self) -> SiteContext:
        c = self.config
        return SiteContext(
            site=c.site,
            environment=c.environment,
            harbor=c.harbor,
            workload_domain=c.workload_domain,
            role=c.dr.role,
            pattern=c.dr.pattern,
            ownership=c.ownership,
            import_ids=self.import_ids,
            hardware=self.hardware,
        )


def domain_args(ctx: SiteContext) -> GpuWorkloadDomainArgs:
    """The workload domain of ``ctx`` (its host image is the domain's ``hostImage``)."""
    return GpuWorkloadDomainArgs(ctx)


def tenant_domain_config(args: PaifSiteArgs, tenant: Tenant) -> WorkloadDomain | None:
    """A workload-domain-isolated tenant's own hosts at this site (§9.4.2), else None.

    At a DR site they are the DR stack's own hosts (``paif:dr.tenantWorkloadDomains``), never
    the primary's.
    """
    if tenant.isolation != "workload-domain":
        return None
    if args.config.dr.role != "dr":
        return tenant.workload_domain
    own = args.config.dr.tenant_workload_domains.get(tenant.name)
    if own is None:
        raise ComponentInputError(
            f"tenant '{tenant.name}'",
            f"dr.tenantWorkloadDomains.{tenant.name}",
            "the primary isolates this tenant on GPU hosts of its own; declare the DR "
            "site's hosts for it here",
        )
    return own


def _tenant_context(args: PaifSiteArgs, tenant: Tenant) -> SiteContext:
    """The site as one tenant sees it: its own tier (§9.1.1) and, isolated, its own domain."""
    ctx = args.context
    if tenant.environment is not None:
        ctx = replace(ctx, environment=tenant.environment)
    own = tenant_domain_config(args, tenant)
    if own is None:
        return ctx
    if own.host_image is None:  # the site's vCenter, depot and driver
        own = own.model_copy(update={"host_image": args.config.workload_domain.host_image})
    return replace(ctx, workload_domain=own)


def site_domains(args: PaifSiteArgs) -> dict[str, WorkloadDomain]:
    """Every workload domain the site builds, by cluster name: the site's and the isolated
    tenants' own (host images filled in as the domains get them)."""
    domains = {args.config.workload_domain.cluster: args.config.workload_domain}
    for tenant in args.site_config().tenants:
        if args.builds(tenant.name) and tenant_domain_config(args, tenant) is not None:
            domain = _tenant_context(args, tenant).workload_domain
            domains[domain.cluster] = domain
    return domains


def adopted_objects(args: PaifSiteArgs) -> list[tuple[Kind, str]]:
    """The objects the site adopts that are imported by an id the program must find: each
    domain's cluster and library, each tenant's Harbor projects (its own, and those replication
    gives it)."""
    ownership = args.config.ownership
    out: list[tuple[Kind, str]] = []
    site_cluster = args.config.workload_domain.cluster
    for cluster in site_domains(args):
        if cluster == site_cluster and not args.builds_platform:
            continue  # the platform stack's: referenced here
        for kind, name in (("computeCluster", cluster), ("contentLibrary", f"{cluster}-dlvm")):
            if ownership.mode(kind) == "adopt":  # type: ignore[arg-type]
                out.append((kind, name))  # type: ignore[arg-type]
    if ownership.mode("harborProjects") == "adopt":
        derived = args.derived()
        replicated = replicated_projects(args.config, args.primary, derived)
        for tenant in derived.config.tenants:
            if not args.builds(tenant.name):
                continue
            for project in (tenant.name, *replicated.get(tenant.name, ())):
                out.append(("harborProjects", project))
    return out


def _tenant_args(
    args: PaifSiteArgs,
    derived: DerivedSite,
    domains: Mapping[str, GpuWorkloadDomain | ReferencedDomain] | None = None,
    primary_tenants: pulumi.Output[Any] | None = None,
) -> list[PaifTenantArgs]:
    """Each tenant's args; ``domains`` maps "" (the site's) and isolated tenants' names."""
    shared_zone = domain_args(args.context).resolved_zone_name
    objectives = args.config.dr.objectives
    facts = site_facts(args.config, args.stack, derived)
    replicated = replicated_projects(args.config, args.primary, derived)
    targets = frozenset(replication_targets(derived))
    network = namespace_network(args.config.network)
    peer = args.primary if args.config.dr.role == "dr" else args.peer_config
    peer_file = stack_file_name(args.config.dr.peer.stack) if args.config.dr.peer else ""
    out = []
    for tenant in derived.config.tenants:
        if not args.builds(tenant.name):
            continue
        path = replication_path(
            (r for (t, _), r in derived.databases.items() if t == tenant.name),
            role=args.config.dr.role,
            peer=peer,
            peer_stack_file=peer_file,
        )
        ctx = _tenant_context(args, tenant)
        isolated = tenant.isolation == "workload-domain"
        own_args = domain_args(ctx)
        domain = (domains or {}).get(tenant.name if isolated else "")
        classes = gpu_vm_classes(own_args)
        names = frozenset(c.name for c in classes)
        out.append(
            PaifTenantArgs(
                tenant=tenant,
                ctx=ctx,
                content_library_id=domain.content_library_id if domain else "",
                vm_classes=domain.vm_class_names if domain else {n: n for n in names},
                gpu_vm_classes=domain.gpu_vm_class_names if domain else names,
                passthrough_classes=domain.passthrough_classes
                if domain
                else tuple(c for c in classes if c.passthrough),
                zone=shared_zone,
                own_zone=own_args.resolved_zone_name if isolated else None,
                derived=derived,
                endpoint_gpus=tenant_endpoint_gpus(tenant, ctx),
                observability=args.config.observability,
                facts=facts,
                rpo_seconds=objectives.rpo if objectives is not None else None,
                replicated_projects=replicated.get(tenant.name, ()),
                replication_targets=targets,
                network=replace(network, replication=path),
                site_gateway_url=site_gateway_url(args.config),
                stack_secret_keys=args.secret_keys,
                stack_file=args.stack_file,
                oidc=args.config.security.oidc,
                replication_password=args.replication_password,
                primary_tenants=primary_tenants,
            )
        )
    return out


def site_gateway_url(config: StackConfig) -> str | None:
    """Where this site's apps reach the ML API gateway (paif:network.gatewayUrl)."""
    return config.network.resolved_gateway_url


def _monitoring_args(args: PaifSiteArgs, derived: DerivedSite) -> SiteMonitoringArgs | None:
    observability = args.config.observability
    if not observability.enabled:
        return None
    return SiteMonitoringArgs(
        ctx=args.context,
        observability=observability,
        facts=site_facts(args.config, args.stack, derived),
    )


def validate_site_hardware(args: PaifSiteArgs) -> None:
    """What the hosts say of each workload domain (``args.hardware``), once validate_site has
    checked the domains as declared."""
    validate_domain_hardware(domain_args(args.context))
    for tenant in args.site_config().tenants:
        if tenant_domain_config(args, tenant) is not None:
            validate_domain_hardware(domain_args(_tenant_context(args, tenant)))


@dataclass(frozen=True)
class SiteParts:
    """The args of the site's own objects as validate_site built and checked them, which
    PaifSite builds the objects from (each built once per stack). What the program asks the
    site in between (hardware, import ids) changes none of them: PaifSite hands the monitoring
    the completed context. The tenants' and domains' args are the exception, built again: they
    are made from that context and, at construction, from the domains built."""

    edge: EdgeSecurityArgs | None
    gslb: GslbServiceArgs | None
    replications: tuple[HarborReplicationArgs, ...]
    monitoring: SiteMonitoringArgs | None


def validate_site(args: PaifSiteArgs) -> SiteParts:
    """Everything the components will check, before any resource exists (each args object
    once: the components PaifSite builds from validated args skip it, paif_components.validation);
    the site's own args, to build from."""
    validate_harbor_auth(args.config, args.secret_keys, args.stack_file)
    derived = args.derived()
    validate_egress(args.config, derived)
    validate_gpu_workload_domain(domain_args(args.context))
    for tenant in derived.config.tenants:
        if tenant_domain_config(args, tenant) is not None:
            validate_gpu_workload_domain(domain_args(_tenant_context(args, tenant)))
    for tenant_args in _tenant_args(args, derived):
        validate_tenant(tenant_args)
    edge = edge_args(args.config)  # each args object validates itself as it is made
    replications = tuple(replication_args(args.context, derived))
    for replication in replications:
        validate_harbor_replication(replication)
    gslb = gslb_args(args.config, args.peer_config)
    monitoring = _monitoring_args(args, derived)
    if monitoring is not None:
        validate_site_monitoring(monitoring)
    return SiteParts(edge, gslb, replications, monitoring)


class PaifSite(pulumi.ComponentResource):
    """One site: GPU workload domain, tenants and their services, edge security, DR role."""

    # The site inputs as the engine answers them (the SDK sets one Output per input key): the
    # estimate's JSON form, nulls dropped, which the stack exports. ``estimate`` is the record.
    estimates: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        args: PaifSiteArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        peer_outputs: pulumi.StackReference | None = None,
        peer_tenants: pulumi.StackReference | None = None,
        peer_harbor: pulumi.ProviderResource | None = None,
    ) -> None:
        """``peer_outputs``: a DR site's primary (its platform stack when split);
        ``peer_tenants``: the primary stack building this stack's tenants, when that is another
        one (a tenant group of a split site)."""
        parts = args.checked if args.checked is not None else validate_site(args)
        self.args = args
        self.derived = derived = args.derived()
        self.estimate: Estimates = estimate_record(
            args.config,
            args.primary,
            stack=args.stack,
            dr_declared=args.peer_config if args.config.dr.role != "dr" else None,
            shapes=args.shapes,
        )
        ctx = args.context
        config = args.config
        self.facts = self._site_facts(args, self.estimate, derived)
        props = self.facts.to_props()
        if peer_outputs is not None:
            props["peerModelRefs"] = peer_outputs.get_output("modelRefs")
            props["peerReplication"] = peer_outputs.get_output("replication")
        super().__init__(SITE_TYPE, name, props, opts)
        self.context = ctx
        with validated_inputs():  # validate_site checked every part above
            child = pulumi.ResourceOptions(parent=self)

            self.domain: GpuWorkloadDomain | ReferencedDomain = (
                GpuWorkloadDomain(f"{name}-gpu", domain_args(ctx), child)
                if args.builds_platform
                else ReferencedDomain(self, domain_args(ctx))
            )
            domains: dict[str, GpuWorkloadDomain | ReferencedDomain] = {"": self.domain}
            for tenant in derived.config.tenants:
                if args.builds(tenant.name) and tenant_domain_config(args, tenant) is not None:
                    domains[tenant.name] = GpuWorkloadDomain(
                        f"{name}-{tenant.name}-gpu",
                        domain_args(_tenant_context(args, tenant)),
                        child,
                    )
            self.tenants: dict[str, PaifTenant] = {}
            primary = peer_tenants if peer_tenants is not None else peer_outputs
            primary_tenants = (
                primary.get_output("tenants")
                if primary is not None and config.dr.role == "dr"
                else None
            )
            for tenant_args in _tenant_args(args, derived, domains, primary_tenants):
                tenant_name = tenant_args.tenant.name
                domain = domains.get(tenant_name, self.domain)
                self.tenants[tenant_name] = PaifTenant(
                    f"{name}-{tenant_name}",
                    tenant_args,
                    pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[domain] if isinstance(domain, pulumi.Resource) else [],
                    ),
                )

            # The site's own objects: the platform stack's (every stack's when the site is whole).
            platform = args.builds_platform
            edge = parts.edge if platform else None
            self.edge = EdgeSecurity(f"{name}-edge", edge, child) if edge is not None else None
            self.harbor_auth = harbor_auth(f"{name}-harbor-auth", config, child)

            self.replications: list[HarborReplication] = []
            for replication in parts.replications if platform else ():
                target = replication.peer.site
                receiver_opts = pulumi.ResourceOptions(
                    parent=self,
                    providers={"harbor": peer_harbor} if peer_harbor is not None else None,
                )
                receiver = HarborReplicationReceiver(
                    f"{name}-to-{target}-receiver",
                    # Created on the peer's Harbor: the site that pushes into it is this one.
                    HarborReplicationReceiverArgs(
                        ctx=ctx,
                        peer=Peer(
                            stack=args.stack, site=config.site.name, harbor_url=config.harbor.url
                        ),
                        projects=replication.projects,
                    ),
                    receiver_opts,
                )
                self.replications.append(
                    HarborReplication(
                        f"{name}-to-{target}",
                        HarborReplicationArgs(
                            ctx=ctx,
                            peer=replication.peer,
                            projects=replication.projects,
                            schedule=replication.schedule,
                            access_id=receiver.robot_name,
                            access_secret=receiver.robot_secret,
                        ),
                        pulumi.ResourceOptions(parent=self, depends_on=list(self.tenants.values())),
                    )
                )

            gslb = parts.gslb if platform else None
            self.gslb = GslbService(f"{name}-gslb", gslb, child) if gslb is not None else None

            monitoring = parts.monitoring if platform else None
            self.monitoring = (
                SiteMonitoring(f"{name}-monitoring", replace(monitoring, ctx=ctx), child)
                if monitoring is not None
                else None
            )
            self.decisions = _decisions(
                [d for d in domains.values() if isinstance(d, GpuWorkloadDomain)],
                self.tenants.values(),
            )

            self._outputs: dict[str, Any] = {
                **props,
                "gpuCapacityNPlusOne": self.domain.gpu_capacity_n1,
                "tenants": {t: tenant.outputs for t, tenant in self.tenants.items()},
                "modelRefs": sorted(
                    {
                        e.model.ref.split("/", 1)[1]
                        for t in derived.config.tenants
                        for e in t.model_endpoints
                    }
                ),
                "replication": [
                    f.to_json() for f in (derived.registry.flows if derived.registry else ())
                ],
                "ingress": self.edge.https_url if self.edge is not None else None,
            }
        self.register_outputs(self._outputs)

    @staticmethod
    def _site_facts(args: PaifSiteArgs, estimate: Estimates, derived: DerivedSite) -> SiteFacts:
        """What the site declares for the policies (paif_components.contract.site_facts)."""
        config = args.config
        dr = config.dr
        oidc = config.security.oidc
        referenced = _referenced_vm_classes(args)
        return SiteFacts(
            site=config.site.name,
            environment=config.environment,
            stack_file=args.stack_file,
            dr_pattern=dr.pattern,
            dr_role=dr.role,
            peer_site=dr.peer.site if dr.peer else None,
            objectives=Objectives(dr.objectives.rto, dr.objectives.rpo) if dr.objectives else None,
            # A DR site builds the primary's tenants, so the primary's waivers cover them too.
            waivers=tuple(
                w.record().to_json()
                for w in [*config.waivers, *(args.primary.waivers if args.primary else ())]
            ),
            plaintext_secret_config_keys=tuple(args.plaintext_secret_keys),
            oidc=oidc.model_dump(mode="json", by_alias=True) if oidc else None,
            audit=config.security.audit.model_dump(mode="json", by_alias=True),
            harbor_host=config.harbor.host,
            # Projects replication from the peer writes into here (PAIF-SEC-012).
            replication_targets=replication_targets(derived),
            management_cidrs=tuple(config.network.management_cidrs),
            admin_source_cidrs=tuple(config.network.admin_source_cidrs),
            edge="external" if config.network.edge == "external" else None,
            backup_locations={
                name: location.model_dump(mode="json", by_alias=True)
                for name, location in dr.backup_locations.items()
            },
            gpu_capacity=site_gpu_pool(config).to_dict(),
            estimates=estimate,
            referenced_vm_classes=tuple(referenced) if referenced is not None else None,
            layout=_layout(args, derived),
        )

    def stack_outputs(self) -> dict[str, Any]:
        """What the stack exports: for operators and for the peer stack's StackReference."""
        exported = {key: self._outputs[key] for key in EXPORTED_OUTPUTS}
        # The site's inputs carry the pool's details for policies; operators get the count.
        exported["gpuCapacity"] = self.domain.gpu_capacity
        exported["estimates"] = self.estimates
        if any(d.mode != "create" for d in self.decisions):
            # What the stack adopted or references (paif plan marks them; paif adopt reads it).
            exported["ownership"] = [d.to_json() for d in self.decisions if d.mode != "create"]
        return exported


def _layout(args: PaifSiteArgs, derived: DerivedSite) -> dict[str, Any] | None:
    """For a stack of a split site (``paif:layout``): what it builds and which Harbor projects
    the site's other stacks declare, so the pack does not miss here what lives there."""
    part = args.part
    if part is None:
        return None
    replicated = replicated_projects(args.config, args.primary, derived)
    elsewhere = {
        project
        for tenant in derived.config.tenants
        if not args.builds(tenant.name)
        for project in (tenant.name, *replicated.get(tenant.name, ()))
    }
    return {
        "part": part.kind,
        "stack": part.stack,
        "siteStack": part.site_stack,
        "tenants": sorted(part.tenants),
        "projectsElsewhere": sorted(elsewhere),
    }


def _referenced_vm_classes(args: PaifSiteArgs) -> list[dict[str, Any]] | None:
    """The vGPU VM classes the stack uses but does not declare (``paif:ownership.vmClasses:
    reference``, or the platform stack's of a split site), as the policies see declared ones:
    the profile each is named after."""
    if args.config.ownership.mode("vmClasses") != "reference" and args.builds_platform:
        return None
    contexts = [args.context] + [
        _tenant_context(args, t)
        for t in args.site_config().tenants
        if tenant_domain_config(args, t) is not None
    ]
    classes = {
        c.name: {"name": c.name, "vgpuDevices": [c.vgpu_profile] * c.devices}
        for ctx in contexts
        for c in gpu_vm_classes(domain_args(ctx))
        if not c.passthrough
    }
    return [classes[name] for name in sorted(classes)]


def _decisions(
    domains: Iterable[GpuWorkloadDomain], tenants: Iterable[PaifTenant]
) -> list[Decision]:
    """Every platform object's decision, by kind and name."""
    out = [d for domain in domains for d in domain.decisions.values()]
    for tenant in tenants:
        out.append(tenant.namespace.decision)
        out += [p.decision for p in (tenant.harbor, *tenant.replicated_projects.values())]
    return sorted(out, key=lambda d: (d.kind, d.name))
