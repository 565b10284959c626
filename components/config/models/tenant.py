"""``paif:tenants``: one tenant's quota, groups, VKS clusters, model endpoints, databases,
knowledge bases, agents and PAIS instance (§9.4); its apps are in ``app.py``.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import ConfigModel, DnsName, NonEmpty
from paif_components.config.base import require_unique as _require_unique
from paif_components.config.errors import FieldError
from paif_components.config.models.app import App
from paif_components.config.models.common import (
    DnsSubdomain,
    EndpointType,
    Environment,
    Isolation,
    Precision,
    Replication,
)
from paif_components.config.models.dr_copy import DatabaseDr
from paif_components.config.models.observability import AlertThresholds
from paif_components.config.models.site import WorkloadDomain
from paif_components.config.units import Duration, Quantity, parse_quantity
from paif_components.constants import (
    AUTOSCALING_MAX_REPLICAS,
    AUTOSCALING_MIN_REPLICAS,
    AUTOSCALING_TARGET_GPU_UTILIZATION,
    SCALE_UP_PODS_PER_PERIOD,
    VKS_CONTROL_PLANE_REPLICAS,
)


class Quota(ConfigModel):
    """§9.4.3 resource quota of a tenant namespace."""

    gpu: Annotated[int, Field(ge=0)]
    requests_cpu: Quantity
    requests_memory: Quantity
    limits_cpu: Quantity
    limits_memory: Quantity
    requests_storage: Quantity
    persistent_volume_claims: Annotated[int, Field(ge=0)]
    pods: Annotated[int, Field(ge=0)]
    services: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> Quota:
        if parse_quantity(self.limits_cpu) < parse_quantity(self.requests_cpu):
            raise FieldError(
                "limitsCpu", f"{self.limits_cpu} is below requestsCpu {self.requests_cpu}"
            )
        if parse_quantity(self.limits_memory) < parse_quantity(self.requests_memory):
            raise FieldError(
                "limitsMemory",
                f"{self.limits_memory} is below requestsMemory {self.requests_memory}",
            )
        return self


class OidcGroups(ConfigModel):
    admin: list[NonEmpty] = Field(default_factory=list)
    edit: list[NonEmpty] = Field(default_factory=list)
    view: list[NonEmpty] = Field(default_factory=list)


class NodePool(ConfigModel):
    name: DnsName
    vm_class: NonEmpty
    replicas: Annotated[int, Field(ge=0)] | None = None
    min_replicas: Annotated[int, Field(ge=0)] | None = None
    max_replicas: Annotated[int, Field(ge=1)] | None = None
    gpu: bool = False
    containerd_volume: Quantity = "100Gi"

    @model_validator(mode="after")
    def _replicas_xor_range(self) -> NodePool:
        fixed = self.replicas is not None
        ranged = self.min_replicas is not None or self.max_replicas is not None
        if fixed and ranged:
            raise ValueError("set either replicas or minReplicas + maxReplicas, not both")
        if not fixed and not ranged:
            raise ValueError("set replicas, or minReplicas and maxReplicas")
        if ranged:
            if self.min_replicas is None or self.max_replicas is None:
                raise ValueError("minReplicas and maxReplicas go together")
            if self.max_replicas < self.min_replicas:
                raise FieldError(
                    "maxReplicas", f"{self.max_replicas} is below minReplicas {self.min_replicas}"
                )
        return self

    @property
    def floor(self) -> int:
        """Nodes the pool always has (replicas, or the autoscaler minimum)."""
        return self.replicas if self.replicas is not None else int(self.min_replicas or 0)

    @property
    def ceiling(self) -> int:
        return self.replicas if self.replicas is not None else int(self.max_replicas or 0)


class VksCluster(ConfigModel):
    name: DnsName
    kubernetes_release: NonEmpty = "v1.33.1---vmware.1-fips-vkr.2"
    control_plane_replicas: Annotated[int, Field(ge=1)] = VKS_CONTROL_PLANE_REPLICAS
    control_plane_vm_class: NonEmpty = "best-effort-medium"
    node_pools: Annotated[list[NodePool], Field(min_length=1)]
    api_version: Literal["cluster.x-k8s.io/v1beta2", "cluster.x-k8s.io/v1beta1"] = (
        "cluster.x-k8s.io/v1beta2"
    )

    @field_validator("name")
    @classmethod
    def _not_the_supervisor(cls, name: str) -> str:
        if name == "supervisor":
            raise ValueError("'supervisor' names the Supervisor's own API; pick another name")
        return name

    @field_validator("node_pools")
    @classmethod
    def _unique_pools(cls, pools: list[NodePool]) -> list[NodePool]:
        _require_unique([p.name for p in pools], "node pool name")
        return pools


class Model(ConfigModel):
    ref: NonEmpty
    parameters_b: Annotated[float, Field(gt=0, alias="parametersB")]
    precision: Precision = "fp16"
    # An embedding model's vector length; `paif verify` holds every answer to it.
    dimensions: Annotated[int, Field(ge=1)] | None = None

    @field_validator("ref")
    @classmethod
    def _oci_ref(cls, ref: str) -> str:
        if "://" in ref or "/" not in ref:
            raise ValueError(
                f"model.ref {ref!r} is not an OCI reference such as "
                "'harbor.example.com/project/llama-3.1-8b-instruct:1.0'"
            )
        return ref

    @property
    def registry_host(self) -> str:
        return self.ref.split("/", 1)[0]

    @property
    def project(self) -> str:
        return self.ref.split("/")[1]


class EndpointReplicas(ConfigModel):
    """§9.5.2 autoscaling bounds (defaults 2 and 10)."""

    min: Annotated[int, Field(ge=0)] = AUTOSCALING_MIN_REPLICAS
    max: Annotated[int, Field(ge=1)] = AUTOSCALING_MAX_REPLICAS

    @model_validator(mode="after")
    def _min_le_max(self) -> EndpointReplicas:
        if self.max < self.min:
            raise FieldError("max", f"{self.max} is below min {self.min}")
        return self


# Kubernetes HPA scaling-policy limits (autoscaling/v2 HPAScalingPolicy, HPAScalingRules).
HPA_MAX_PERIOD_SECONDS = 1800


HPA_MAX_STABILIZATION_SECONDS = 3600


class ScaleUp(ConfigModel):
    """§9.5.3 gradual scale-out: at most ``podsPerPeriod`` new replicas each ``period``.

    ``period`` and ``stabilization`` left out are derived from the model's cold-start estimate
    (paif_components.autoscaling): one step per cold start, and bursts shorter than the fastest cold
    start ignored.
    """

    pods_per_period: Annotated[int, Field(ge=1)] = SCALE_UP_PODS_PER_PERIOD
    period: Duration | None = None
    stabilization: Duration | None = None

    @model_validator(mode="after")
    def _within_hpa_limits(self) -> ScaleUp:
        if self.period is not None and not 1 <= self.period <= HPA_MAX_PERIOD_SECONDS:
            raise FieldError(
                "period", f"{self.period}s is outside the HPA's 1s..{HPA_MAX_PERIOD_SECONDS}s"
            )
        if self.stabilization is not None and self.stabilization > HPA_MAX_STABILIZATION_SECONDS:
            raise FieldError(
                "stabilization",
                f"{self.stabilization}s is longer than the HPA's {HPA_MAX_STABILIZATION_SECONDS}s",
            )
        return self


class RateLimit(ConfigModel):
    requests_per_minute: Annotated[int, Field(ge=1)]
    tokens_per_minute: Annotated[int, Field(ge=1)] | None = None


# The serving engines a PAIS ModelEndpoint takes (its published examples: vLLM, Infinity).
PaisEngine = Literal["vLLM", "Infinity"]


class ModelEndpoint(ConfigModel):
    """A model or embeddings endpoint (§9.2.2), autoscaled (§9.5.1 triggers, §9.5.2 bounds).

    Triggers: GPU utilisation (``targetGpuUtilization``) always; the request count of §9.5.1 as
    each replica's request rate (``requestRateTarget``, requests per second) and the queue of
    waiting requests (``queueDepthTarget``), where the engine exports them: vLLM (PAIS) and NIM.
    An Infinity endpoint (PAIS ``engine: Infinity``) scales on GPU utilisation only.
    """

    name: DnsName
    type: EndpointType
    model: Model
    gpus_per_replica: Annotated[int, Field(ge=1, le=8)] | None = None
    replicas: EndpointReplicas = Field(default_factory=EndpointReplicas)
    target_gpu_utilization: Annotated[int, Field(ge=1, le=100)] = AUTOSCALING_TARGET_GPU_UTILIZATION
    queue_depth_target: Annotated[int, Field(ge=1)] | None = None
    request_rate_target: Annotated[float, Field(gt=0)] | None = None
    engine: PaisEngine = "vLLM"
    scale_in_cooldown: Duration | None = None
    scale_up: ScaleUp = Field(default_factory=ScaleUp)
    vm_class: NonEmpty | None = None
    backend: Literal["pais", "nim"] = "pais"
    rate_limit: RateLimit | None = None
    critical: bool = True
    # Overrides of the site's and tenant's alert thresholds for this endpoint (§9.7).
    alert_thresholds: AlertThresholds = Field(default_factory=AlertThresholds)

    @model_validator(mode="after")
    def _triggers_the_engine_exports(self) -> ModelEndpoint:
        if self.backend == "nim" and self.engine != "vLLM":
            raise FieldError("engine", "is PAIS's; a NIM endpoint runs NIM's own engine")
        if self.engine == "Infinity":
            for key, value in (
                ("queueDepthTarget", self.queue_depth_target),
                ("requestRateTarget", self.request_rate_target),
            ):
                if value is not None:
                    raise FieldError(
                        key,
                        "needs a metric the Infinity engine does not export as vLLM and NIM "
                        "do; an Infinity endpoint scales on GPU utilisation",
                    )
        return self

    @model_validator(mode="after")
    def _dimensions_of_embeddings(self) -> ModelEndpoint:
        if self.model.dimensions is not None and self.type != "embeddings":
            raise FieldError(
                "model.dimensions",
                f"is the vector length of an embeddings endpoint; {self.name!r} is of type "
                f"{self.type}",
            )
        return self


class Backup(ConfigModel):
    schedule: NonEmpty
    incremental_schedule: NonEmpty | None = None
    retention_days: Annotated[int, Field(ge=1)]
    location: NonEmpty | None = None
    encrypted: bool = True

    @field_validator("schedule", "incremental_schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a 5-field cron expression such as '0 2 * * *'")
        from paif_components.estimators import EstimatorError, cron_interval_seconds

        try:
            cron_interval_seconds(value)
        except EstimatorError as exc:
            raise ValueError(str(exc)) from None
        return value


# libpq sslmode values (PostgreSQL docs, "SSL Support"): the first three allow plain text.
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class Database(ConfigModel):
    """A DSM PostgreSQL database of a tenant (pgvector under ``databases``, app data under
    ``appDatabases``). Clients connect over TLS (§9.6.3 "TLS between internal services"):
    ``sslMode`` is what they are told to require (default: verify the server's certificate
    and name), ``tlsMinVersion`` the oldest protocol the server accepts."""

    name: DnsName
    ha: bool = True
    replication: Replication = "async"
    storage: Quantity
    vm_class: NonEmpty = "best-effort-large"
    version: NonEmpty = "16"
    backup: Backup | None = None
    ssl_mode: SslMode = "verify-full"
    tls_min_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    # The copy at the DR site: mechanism and its parameters (paif_components.config.models.dr_copy).
    dr: DatabaseDr = Field(default_factory=DatabaseDr)


class DataSource(ConfigModel):
    type: Literal["s3", "confluence", "google-drive", "sharepoint", "web"] = "s3"
    url: NonEmpty
    refresh: NonEmpty = "0 3 * * *"


class KnowledgeBase(ConfigModel):
    name: DnsName
    database: DnsName
    embedding_endpoint: DnsName
    data_source: DataSource | None = None


class Agent(ConfigModel):
    name: DnsName
    completion_endpoint: DnsName
    knowledge_bases: list[DnsName] = Field(default_factory=list)
    system_prompt: NonEmpty
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    max_tokens: Annotated[int, Field(ge=1)] = 1024


class ContainerLimits(ConfigModel):
    """LimitRange of an app namespace (``paif_components.container_limits``): container defaults
    and bounds; ``max`` unset is the namespace quota's limit."""

    # The smallest container worth admitting: below it a quantity has most likely lost its unit.
    min_cpu: Quantity = "10m"
    min_memory: Quantity = "16Mi"
    default_cpu: Quantity = "1"
    default_memory: Quantity = "1Gi"
    default_request_cpu: Quantity = "500m"
    default_request_memory: Quantity = "512Mi"
    max_cpu: Quantity | None = None
    max_memory: Quantity | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ContainerLimits:
        for what, minimum, request, default, maximum in (
            ("Cpu", self.min_cpu, self.default_request_cpu, self.default_cpu, self.max_cpu),
            (
                "Memory",
                self.min_memory,
                self.default_request_memory,
                self.default_memory,
                self.max_memory,
            ),
        ):
            if parse_quantity(request) < parse_quantity(minimum):
                raise FieldError(f"defaultRequest{what}", f"{request} is below min{what} {minimum}")
            if parse_quantity(default) < parse_quantity(request):
                raise FieldError(
                    f"default{what}", f"{default} is below defaultRequest{what} {request}"
                )
            if maximum is not None and parse_quantity(maximum) < parse_quantity(default):
                raise FieldError(f"max{what}", f"{maximum} is below default{what} {default}")
        return self


class AppNamespace(ConfigModel):
    """The namespace a tenant's apps run in, inside each of its VKS clusters (§9.4, §9.6.1).

    It gets its own quota (default: the tenant's ``quota``), LimitRange and default-deny
    NetworkPolicy with the allowed flows: the ingress controller's namespace → exposed apps,
    exposed apps → the other apps, those → the tenant's AI endpoints and databases at
    ``serviceCidrs`` (any address when empty) on ``aiPorts``/``databasePorts``, and DNS.
    """

    quota: Quota | None = None
    limits: ContainerLimits = Field(default_factory=ContainerLimits)
    # Where VKS's Contour package runs its Envoy pods.
    ingress_controller_namespace: DnsName = "tanzu-system-ingress"
    service_cidrs: list[NonEmpty] = Field(default_factory=list)
    # §9.2.2: the PAIS ML API gateway serves HTTPS; DSM PostgreSQL listens on 5432.
    ai_ports: Annotated[list[Annotated[int, Field(ge=1, le=65535)]], Field(min_length=1)] = Field(
        default_factory=lambda: [443]
    )
    database_ports: Annotated[list[Annotated[int, Field(ge=1, le=65535)]], Field(min_length=1)] = (
        Field(default_factory=lambda: [5432])
    )

    @field_validator("service_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a network such as '10.10.2.0/24'") from None
        return cidrs


class ImmutableTagRule(ConfigModel):
    """A Harbor tag-immutability rule of the tenant's project: once pushed, a matching tag can
    never point at another image, so a reference by that tag is as good as a digest
    (PAIF-SEC-008). Patterns are Harbor's (doublestar: ``**``, ``*``, ``?``, ``{a,b}``);
    repositories are named without the project (``chat-frontend``)."""

    repositories: NonEmpty | None = None
    exclude_repositories: NonEmpty | None = None
    tags: NonEmpty | None = None
    exclude_tags: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> ImmutableTagRule:
        if self.repositories is not None and self.exclude_repositories is not None:
            raise FieldError("excludeRepositories", "set repositories or excludeRepositories")
        if (self.tags is None) == (self.exclude_tags is None):
            raise ValueError("set exactly one of tags (e.g. '*.*.*') and excludeTags")
        return self

    @property
    def repo_matching(self) -> str | None:
        if self.exclude_repositories is not None:
            return None
        return self.repositories or "**"


class TenantHarbor(ConfigModel):
    """The tenant's Harbor project beyond what every project gets."""

    immutable_tags: list[ImmutableTagRule] = Field(default_factory=list)


class TenantPais(ConfigModel):
    """The tenant's PAIS instance (its PAISConfiguration, paif_components.pais): the pgvector
    database PAIS keeps its state and knowledge bases in (default: the tenant's first
    ``databases`` entry), the VM class of the VKS control plane PAIS runs, and CA bundles
    (ConfigMaps with ``ca.crt``) PAIS trusts when it calls the database, Harbor or data
    sources."""

    database: DnsName | None = None
    control_plane_vm_class: NonEmpty = "best-effort-large"
    ca_bundles: list[DnsSubdomain] = Field(default_factory=list)


class Tenant(ConfigModel):
    """One tenant's slice (§9.4.1). ``environment``: the tenant's own tier, when it is not the
    stack's (§9.1.1: DEV-NS and PROD-NS on one platform): its replicas, protection, roles and
    the rules that block are judged by it."""

    name: DnsName
    namespace: DnsName
    environment: Environment | None = None
    isolation: Isolation = "namespace"
    quota: Quota
    oidc_groups: OidcGroups = Field(default_factory=OidcGroups)
    # Which roles the OIDC groups get (paif_components.tenant_rbac): the library's ``scoped`` Roles
    # or Kubernetes' ``builtin`` admin/edit/view; unset: scoped in production, else builtin.
    roles: Literal["scoped", "builtin"] | None = None
    vks_clusters: list[VksCluster] = Field(default_factory=list)
    model_endpoints: list[ModelEndpoint] = Field(default_factory=list)
    databases: list[Database] = Field(default_factory=list)
    # §9.3.2 item 4: the application's own data (users, conversation history, feedback) in a
    # separate PostgreSQL on DSM, without pgvector, backed up like the vector databases.
    app_databases: list[Database] = Field(default_factory=list)
    knowledge_bases: list[KnowledgeBase] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    apps: list[App] = Field(default_factory=list)
    app_namespace: AppNamespace = Field(default_factory=AppNamespace)
    harbor: TenantHarbor = Field(default_factory=TenantHarbor)
    # §9.4.2 workload-domain isolation: the tenant's own GPU hosts (a cluster and zone of its own).
    workload_domain: WorkloadDomain | None = None
    # Overrides of the site's alert thresholds for this tenant's endpoints and databases (§9.7).
    alert_thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    pais: TenantPais = Field(default_factory=TenantPais)

    @model_validator(mode="after")
    def _references(self) -> Tenant:
        for what, names in (
            ("VKS cluster", [c.name for c in self.vks_clusters]),
            ("model endpoint", [e.name for e in self.model_endpoints]),
            ("database", [d.name for d in (*self.databases, *self.app_databases)]),
            ("knowledge base", [k.name for k in self.knowledge_bases]),
            ("agent", [a.name for a in self.agents]),
            ("app", [a.name for a in self.apps]),
        ):
            _require_unique(names, f"{what} name")
        databases = {d.name for d in self.databases}
        endpoints = {e.name: e for e in self.model_endpoints}
        kbs = {k.name for k in self.knowledge_bases}
        clusters = {c.name for c in self.vks_clusters}
        app_databases = {d.name for d in self.app_databases}
        for i, kb in enumerate(self.knowledge_bases):
            if kb.database in app_databases:
                raise FieldError(
                    f"knowledgeBases[{i}].database",
                    f"{kb.database!r} is an app database (no pgvector); a knowledge base needs "
                    f"one of databases ({', '.join(sorted(databases)) or 'none declared'})",
                )
            if kb.database not in databases:
                raise _ref_error(
                    f"knowledgeBases[{i}].database", kb.database, "database", databases
                )
            endpoint = endpoints.get(kb.embedding_endpoint)
            if endpoint is None:
                raise _ref_error(
                    f"knowledgeBases[{i}].embeddingEndpoint",
                    kb.embedding_endpoint,
                    "model endpoint",
                    set(endpoints),
                )
            if endpoint.type != "embeddings":
                raise FieldError(
                    f"knowledgeBases[{i}].embeddingEndpoint",
                    f"{kb.embedding_endpoint!r} is a {endpoint.type} endpoint; it must be of "
                    "type 'embeddings'",
                )
        for i, agent in enumerate(self.agents):
            endpoint = endpoints.get(agent.completion_endpoint)
            if endpoint is None or endpoint.type != "completions":
                completions = {n for n, e in endpoints.items() if e.type == "completions"}
                raise _ref_error(
                    f"agents[{i}].completionEndpoint",
                    agent.completion_endpoint,
                    "completions endpoint",
                    completions,
                )
            for kb_name in agent.knowledge_bases:
                if kb_name not in kbs:
                    raise _ref_error(f"agents[{i}].knowledgeBases", kb_name, "knowledge base", kbs)
        for i, app in enumerate(self.apps):
            if app.cluster not in clusters:
                raise _ref_error(f"apps[{i}].cluster", app.cluster, "VKS cluster", clusters)
        if self.pais.database is not None and self.pais.database not in databases:
            raise _ref_error("pais.database", self.pais.database, "pgvector database", databases)
        if self.isolation == "cluster" and not self.vks_clusters:
            raise FieldError(
                "vksClusters",
                "isolation 'cluster' gives the tenant its own VKS cluster: declare one here",
            )
        if self.isolation == "workload-domain" and self.workload_domain is None:
            raise FieldError(
                "workloadDomain",
                "isolation 'workload-domain' gives the tenant GPU hosts of its own: declare "
                "their cluster, hosts and gpu here",
            )
        if self.isolation != "workload-domain" and self.workload_domain is not None:
            raise FieldError(
                "workloadDomain",
                f"only a tenant with isolation 'workload-domain' has its own "
                f"workload domain (this one has {self.isolation!r})",
            )
        return self


def _ref_error(path: str, value: str, what: str, known: set[str]) -> FieldError:
    choices = ", ".join(sorted(known)) or "none declared"
    return FieldError(
        path, f"names {what} {value!r}, which this tenant does not declare ({choices})"
    )
