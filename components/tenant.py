"""PaifTenant: one tenant's whole slice of a site (§9.4.1): namespace, registry, clusters, services.

Order matters and is expressed as dependencies, not code order: the Harbor project's pull
secret lives in the tenant namespace, endpoints pull with it, knowledge bases point at the
databases and embedding endpoints they name.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from paif_components.app_database import AppDatabase, app_database_args
from paif_components.app_wiring import (
    supervisor_sources,
    validate_app_wiring,
    wirings,
)
from paif_components.config.models import Database, Oidc, Tenant
from paif_components.config.models.observability import DEFAULT_PROMETHEUS_URL, Observability
from paif_components.context import SiteContext
from paif_components.contract import tokens
from paif_components.contract.annotations import PAIS_DATABASE_AT_FAILOVER
from paif_components.dr.topology import DerivedSite
from paif_components.harbor_registry import (
    HarborProject,
    HarborProjectArgs,
    harbor_project_name,
    validate_harbor_project,
)
from paif_components.knowledge_base import (
    Agent,
    AgentArgs,
    KnowledgeBase,
    KnowledgeBaseArgs,
    validate_agent,
    validate_knowledge_base,
)
from paif_components.model_endpoint import (
    ModelEndpoint,
    ModelEndpointArgs,
    plan_placement,
    validate_model_endpoint,
)
from paif_components.observability.alerts import SiteFacts
from paif_components.observability.metrics import SERVING_METRICS_PORT
from paif_components.pais import (
    PaisInstance,
    PaisInstanceArgs,
    pais_database,
    uses_pais,
    validate_pais_instance,
)
from paif_components.pgvector_database import (
    DsmDatabaseArgs,
    PgvectorDatabase,
    validate_dsm_database,
)
from paif_components.tenant_apps import TenantApps, TenantAppsArgs, validate_tenant_apps
from paif_components.tenant_monitoring import (
    TenantMonitoring,
    TenantMonitoringArgs,
    monitored_databases,
    monitored_endpoints,
)
from paif_components.tenant_namespace import (
    SupervisorNamespace,
    SupervisorNamespaceArgs,
    validate_supervisor_namespace,
)
from paif_components.tenant_network import NamespaceNetwork
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import VksCluster, VksClusterArgs, validate_vks_cluster
from paif_components.workload_domain import GpuVmClass

TENANT_TYPE = tokens.PAIF_TENANT


@dataclass(frozen=True)
class PaifTenantArgs:
    """A tenant, the site it lives on, and what the workload domain offers it."""

    tenant: Tenant
    ctx: SiteContext
    content_library_id: pulumi.Input[str]
    vm_classes: Mapping[str, pulumi.Input[str]]
    gpu_vm_classes: frozenset[str]
    passthrough_classes: tuple[GpuVmClass, ...] = ()
    zone: str | None = None
    # Workload-domain isolation (§9.4.2): the zone of the tenant's own GPU hosts.
    own_zone: str | None = None
    derived: DerivedSite | None = None
    endpoint_gpus: Mapping[str, int] = field(default_factory=dict)
    # §9.7 monitoring: the site's observability config, alert facts and declared RPO.
    observability: Observability | None = None
    facts: SiteFacts | None = None
    rpo_seconds: int | None = None
    # Further Harbor projects of the tenant that replication needs here (active-active:
    # ``<tenant>-<dr-site>``, paif_components.dr.topology.return_projects).
    replicated_projects: tuple[str, ...] = ()
    # Projects replication from the peer site writes into here: people only pull from them.
    replication_targets: frozenset[str] = frozenset()
    # What paif:network says about the tenant's namespace (paif_components.tenant_network).
    network: NamespaceNetwork = field(default_factory=NamespaceNetwork)
    # Where the site's apps reach the ML API gateway (paif:network.gatewayUrl).
    site_gateway_url: str | None = None
    # Stack config keys set as Pulumi secrets (apps[].consumes.secrets must name one).
    stack_secret_keys: frozenset[str] = frozenset()
    stack_file: str = "the stack file"
    # The site's OIDC provider (paif:security.oidc): the tenant's PAIS gateway validates its
    # tokens (paif_components.pais).
    oidc: Oidc | None = None
    # Logical replication of the databases (paif_components.database_replication): the replication
    # role's password (secret config) and, at a DR site, the primary's ``tenants`` output
    # (read through the StackReference) for the primary's database endpoints.
    replication_password: pulumi.Input[str] | None = None
    primary_tenants: pulumi.Output[Any] | None = None

    @property
    def gateway_url(self) -> str | None:
        return self.site_gateway_url

    @property
    def prometheus_url(self) -> str:
        if self.observability is None:
            return DEFAULT_PROMETHEUS_URL
        return self.observability.prometheus.resolved_url

    def monitoring_args(self) -> TenantMonitoringArgs | None:
        """What the tenant's monitoring declares here; None with observability disabled."""
        observability = self.observability
        if observability is None or not observability.enabled or self.facts is None:
            return None
        return TenantMonitoringArgs(
            tenant=self.tenant,
            ctx=self.ctx,
            observability=observability,
            facts=self.facts,
            endpoints=tuple(monitored_endpoints(self.tenant, observability, self.derived)),
            databases=tuple(
                monitored_databases(self.tenant, observability, self.rpo_seconds, self.derived)
            ),
        )

    def _metrics_scrape(self) -> tuple[str, int] | None:
        monitoring = self.monitoring_args()
        if monitoring is None or not monitoring.endpoints:
            return None
        namespace = monitoring.observability.namespace
        return (namespace, SERVING_METRICS_PORT)

    def pais_database_at_failover(self) -> str | None:
        """PAIS's state database when it does not run at this site before failover (a copy
        restored from backups, or started empty, then): PAIS has no instance here until then."""
        database = pais_database(self.tenant)
        if not uses_pais(self.tenant) or database is None or self.derived is None:
            return None
        role = self.derived.databases.get((self.tenant.name, database.name))
        return database.name if role is not None and not role.running else None

    def endpoint_running(self, name: str) -> bool:
        if self.derived is None:
            return True
        role = self.derived.endpoints.get((self.tenant.name, name))
        return True if role is None else role.running

    def namespace_args(self) -> SupervisorNamespaceArgs:
        return SupervisorNamespaceArgs(
            tenant=self.tenant,
            ctx=self.ctx,
            content_library_id=self.content_library_id,
            vm_classes=self.vm_classes,
            passthrough_classes=self.passthrough_classes,
            endpoint_gpus=self.endpoint_gpus,
            zone=self.own_zone,
            shared_zone=self.zone,
            metrics_scrape=self._metrics_scrape(),
            network=self.network,
        )

    def harbor_args(self) -> HarborProjectArgs:
        project = harbor_project_name(self.tenant)
        return HarborProjectArgs(
            tenant=self.tenant,
            ctx=self.ctx,
            replication_target=project in self.replication_targets,
        )

    def replicated_project_args(self) -> list[HarborProjectArgs]:
        """Projects only replication writes to or reads from: no serving robot, no Secret."""
        return [
            HarborProjectArgs(
                tenant=self.tenant,
                ctx=self.ctx,
                project_name=project,
                pull_robot=False,
                create_pull_secret=False,
                replication_target=project in self.replication_targets,
            )
            for project in self.replicated_projects
        ]

    def cluster_args(self) -> list[VksClusterArgs]:
        return [
            VksClusterArgs(
                tenant=self.tenant,
                cluster=cluster,
                ctx=self.ctx,
                gpu_vm_classes=self.gpu_vm_classes,
                namespace=self.tenant.namespace,
                zone=self.own_zone,
            )
            for cluster in self.tenant.vks_clusters
        ]

    def apps_args(
        self,
        credentials: Mapping[str, Mapping[str, pulumi.Input[str]]] | None = None,
        database_hosts: Mapping[str, pulumi.Input[str | None]] | None = None,
    ) -> list[TenantAppsArgs]:
        return [
            TenantAppsArgs(
                tenant=self.tenant,
                cluster=cluster.name,
                ctx=self.ctx,
                gateway_url=self.gateway_url,
                credentials=dict(credentials or {}),
                database_hosts=dict(database_hosts or {}),
            )
            for cluster in self.tenant.vks_clusters
            if any(app.cluster == cluster.name for app in self.tenant.apps)
        ]

    def endpoint_args(
        self, pull_secret: pulumi.Input[str] | None = None
    ) -> list[ModelEndpointArgs]:
        return [
            ModelEndpointArgs(
                tenant=self.tenant,
                endpoint=endpoint,
                ctx=self.ctx,
                image_pull_secret=pull_secret,
                prometheus_url=self.prometheus_url,
                running=self.endpoint_running(endpoint.name),
            )
            for endpoint in self.tenant.model_endpoints
        ]

    def database_args(self) -> list[DsmDatabaseArgs]:
        """The tenant's pgvector databases."""
        return self._dsm_args(self.tenant.databases)

    def app_database_args(self) -> list[DsmDatabaseArgs]:
        """The tenant's app databases (§9.3.2 item 4)."""
        return [app_database_args(a) for a in self._dsm_args(self.tenant.app_databases)]

    def _dsm_args(self, databases: list[Database]) -> list[DsmDatabaseArgs]:
        roles = self.derived.databases if self.derived is not None else {}
        return [
            DsmDatabaseArgs(
                tenant=self.tenant,
                database=database,
                ctx=self.ctx,
                dr_role=roles.get((self.tenant.name, database.name)),
                replication_password=self.replication_password,
                primary_connection=self._primary_connection(database),
            )
            for database in databases
        ]

    def _primary_connection(self, database: Database) -> pulumi.Output[Any] | None:
        """The primary's connection of ``database`` (host, port, dbname), at a DR site."""
        if self.primary_tenants is None:
            return None
        tenant, name = self.tenant.name, database.name
        key = "appDatabases" if database in self.tenant.app_databases else "databases"

        def pick(tenants: Any) -> Any:
            # An offline plan of the DR stack alone reads the primary's last plan, whose secret
            # outputs are placeholders: then the endpoint is unknown here.
            found: Any = tenants
            for part in (tenant, key, name):
                found = found.get(part) if isinstance(found, Mapping) else None
            return found if isinstance(found, Mapping) else None

        return self.primary_tenants.apply(pick)

    def cluster_name(self, database: str) -> str:
        """The PostgresCluster that holds ``database`` at this site (a DR copy's own name)."""
        role = self.derived.databases.get((self.tenant.name, database)) if self.derived else None
        return role.cluster_name if role is not None else database

    def pais_args(self, database_host: pulumi.Input[str | None] = None) -> PaisInstanceArgs:
        return PaisInstanceArgs(
            tenant=self.tenant, ctx=self.ctx, oidc=self.oidc, database_host=database_host
        )

    def knowledge_base_args(self) -> list[KnowledgeBaseArgs]:
        return [
            KnowledgeBaseArgs(
                tenant=self.tenant,
                knowledge_base=kb,
                ctx=self.ctx,
                database_cluster=self.cluster_name(kb.database),
            )
            for kb in self.tenant.knowledge_bases
        ]

    def agent_args(self) -> list[AgentArgs]:
        return [AgentArgs(tenant=self.tenant, agent=a, ctx=self.ctx) for a in self.tenant.agents]


def tenant_endpoint_gpus(tenant: Tenant, ctx: SiteContext) -> dict[str, int]:
    """GPUs per replica of each endpoint, sized from the model where config leaves it out."""
    return {e.name: plan_placement(ctx, e).gpus for e in tenant.model_endpoints}


def validate_tenant(args: PaifTenantArgs) -> None:
    """Every part's validation, so a bad tenant registers nothing at all."""
    validate_supervisor_namespace(args.namespace_args())
    validate_harbor_project(args.harbor_args())
    for project_args in args.replicated_project_args():
        validate_harbor_project(project_args)
    for cluster_args in args.cluster_args():
        validate_vks_cluster(cluster_args)
    for index, app in enumerate(args.tenant.apps):
        validate_app_wiring(
            args.tenant,
            index,
            app,
            gateway_url=args.gateway_url,
            secret_keys=args.stack_secret_keys,
            stack_file=args.stack_file,
        )
    for apps_args in args.apps_args():
        validate_tenant_apps(apps_args, credentials=False)
    for endpoint_args in args.endpoint_args():
        validate_model_endpoint(endpoint_args)
    for database_args in [*args.database_args(), *args.app_database_args()]:
        validate_dsm_database(database_args)
    if uses_pais(args.tenant) and pais_database(args.tenant) is not None:
        validate_pais_instance(args.pais_args())
    for kb_args in args.knowledge_base_args():
        validate_knowledge_base(kb_args)
    for agent_args in args.agent_args():
        validate_agent(agent_args)


class PaifTenant(pulumi.ComponentResource):
    """A tenant's namespace, Harbor project, VKS clusters, apps, endpoints and data."""

    namespace: SupervisorNamespace
    harbor: HarborProject
    clusters: dict[str, VksCluster]
    endpoints: dict[str, ModelEndpoint]
    databases: dict[str, PgvectorDatabase]

    def __init__(
        self, name: str, args: PaifTenantArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_tenant, args)
        tenant = args.tenant
        # The tenant's tier on its component: policies judge what it holds by it (§9.1.1).
        # And, where PAIS waits for its database (restored at failover), which one: its
        # gateway's configuration comes with it (PAIF-SEC-002 reads this).
        props: dict[str, Any] = {"tenant": tenant.name, "environment": args.ctx.environment}
        waiting = args.pais_database_at_failover()
        if waiting is not None:
            props[PAIS_DATABASE_AT_FAILOVER] = waiting
        super().__init__(TENANT_TYPE, name, props, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.namespace = SupervisorNamespace(f"{name}-namespace", args.namespace_args(), child)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self.harbor = HarborProject(f"{name}-harbor", args.harbor_args(), in_namespace)
        self.replicated_projects = {
            str(project_args.project_name): HarborProject(
                f"{name}-harbor-{project_args.project_name}", project_args, in_namespace
            )
            for project_args in args.replicated_project_args()
        }

        self.clusters = {}
        for cluster_args in args.cluster_args():
            cluster_name = cluster_args.cluster.name
            self.clusters[cluster_name] = VksCluster(
                f"{name}-{cluster_name}", cluster_args, in_namespace
            )
        self.databases = {}
        for database_args in args.database_args():
            db = database_args.database.name
            self.databases[db] = PgvectorDatabase(f"{name}-{db}", database_args, in_namespace)
        self.app_databases: dict[str, AppDatabase] = {}
        for database_args in args.app_database_args():
            db = database_args.database.name
            self.app_databases[db] = AppDatabase(f"{name}-{db}", database_args, in_namespace)

        self.pais: PaisInstance | None = None
        database = pais_database(tenant)
        running = self.databases.get(database.name) if database is not None else None
        if uses_pais(tenant) and running is not None and running.cluster_id is not None:
            self.pais = PaisInstance(
                f"{name}-pais",
                args.pais_args(running.host),
                pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, running]),
            )

        self.apps: dict[str, TenantApps] = {}
        credentials, hosts = self._app_credentials(name, args)
        for apps_args in args.apps_args(credentials, hosts):
            cluster = self.clusters[apps_args.cluster]
            self.apps[apps_args.cluster] = TenantApps(
                f"{name}-{apps_args.cluster}-apps",
                apps_args,
                pulumi.ResourceOptions(parent=self, providers={"kubernetes": cluster.provider}),
            )

        pulls = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.harbor])
        self.endpoints = {}
        for endpoint_args in args.endpoint_args(self.harbor.pull_secret_name):
            endpoint = endpoint_args.endpoint.name
            self.endpoints[endpoint] = ModelEndpoint(f"{name}-{endpoint}", endpoint_args, pulls)

        self.knowledge_bases: dict[str, KnowledgeBase] = {}
        for kb_args in args.knowledge_base_args():
            kb = kb_args.knowledge_base
            depends = [self.databases[kb.database], self.endpoints[kb.embedding_endpoint]]
            self.knowledge_bases[kb.name] = KnowledgeBase(
                f"{name}-{kb.name}",
                kb_args,
                pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        self.agents: dict[str, Agent] = {}
        for agent_args in args.agent_args():
            agent = agent_args.agent
            depends = [self.endpoints[agent.completion_endpoint]] + [
                self.knowledge_bases[kb] for kb in agent.knowledge_bases
            ]
            self.agents[agent.name] = Agent(
                f"{name}-{agent.name}",
                agent_args,
                pulumi.ResourceOptions(parent=self, depends_on=depends),
            )

        monitoring = args.monitoring_args()
        self.monitoring = (
            TenantMonitoring(f"{name}-monitoring", monitoring, in_namespace)
            if monitoring is not None
            else None
        )

        self.outputs: dict[str, Any] = {
            "namespace": tenant.namespace,
            "harborProject": self.harbor.project_name,
            "replicatedHarborProjects": sorted(self.replicated_projects),
            "robotName": self.harbor.robot_name,
            "robotSecret": self.harbor.robot_secret,
            "endpoints": {
                e: {
                    "routingName": ep.endpoint_name,
                    "minReplicas": ep.min_replicas,
                    "maxReplicas": ep.max_replicas,
                    "coldStart": ep.cold_start_output(),
                }
                for e, ep in self.endpoints.items()
            },
            "databases": {d: db.connection for d, db in self.databases.items()},
            "appDatabases": {d: db.connection for d, db in self.app_databases.items()},
            "vksClusters": sorted(self.clusters),
            "monitoredEndpoints": sorted(self.monitoring.scraped) if self.monitoring else [],
        }
        # Its inputs too: under the Pulumi engine a component's registered outputs are what the
        # policy pack reads as its properties (the tier, PAIS's waiting database).
        self.register_outputs({**props, **self.outputs})

    def _app_credentials(
        self, name: str, args: PaifTenantArgs
    ) -> tuple[dict[str, dict[str, pulumi.Output[str]]], dict[str, pulumi.Output[str | None]]]:
        """Each wired app's credential values (base64, Pulumi secrets) and the databases'
        hosts: Supervisor Secrets read once each, stack secrets from config
        (paif_components.app_wiring says why the stack carries them)."""
        tenant = args.tenant
        wiring_of = wirings(tenant, tenant.apps, args.gateway_url)
        dsm = {**self.databases, **self.app_databases}
        reads: dict[tuple[str, str], k8s.core.v1.Secret] = {}
        for namespace, secret in supervisor_sources(wiring_of):
            database = dsm.get(secret)
            if database is not None and database.cluster_id is not None:
                # DSM writes the password Secret once the cluster exists: read it after.
                secret_id: pulumi.Input[str] = database.cluster_id.apply(
                    _constant(f"{namespace}/{secret}")
                )
                depends: list[pulumi.Resource] = [database]
            else:
                secret_id, depends = f"{namespace}/{secret}", [self.namespace]
            reads[(namespace, secret)] = k8s.core.v1.Secret.get(
                f"{name}-{secret}-read",
                id=secret_id,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        credentials: dict[str, dict[str, pulumi.Output[str]]] = {}
        for app, wiring in wiring_of.items():
            values: dict[str, pulumi.Output[str]] = {}
            for c in wiring.credentials:
                if c.source == "stack-secret":
                    namespace, key = c.name.split(":", 1)
                    values[c.key] = (
                        pulumi.Config(namespace)
                        .require_secret(key)
                        .apply(lambda v: base64.b64encode(str(v).encode()).decode())
                    )
                else:
                    read = reads[(c.namespace, c.name)]
                    values[c.key] = pulumi.Output.secret(read.data.apply(_key_reader(c.source_key)))
            credentials[app] = values
        hosts = {d: db.host for d, db in dsm.items()}
        return credentials, hosts


def _constant(value: str) -> Callable[[Any], str]:
    """``value``, once what it is applied to resolves (an id that exists only after it)."""
    return lambda _: value


def _key_reader(key: str) -> Callable[[Mapping[str, str] | None], str]:
    return lambda data: _key_of(data, key)


def _key_of(data: Mapping[str, str] | None, key: str) -> str:
    """A key of a read Secret's ``data`` (base64), with a message naming what is missing."""
    if not data or key not in data:
        have = ", ".join(sorted(data or {})) or "no keys"
        raise ValueError(f"the Secret has no key {key!r} ({have})")
    return data[key]
