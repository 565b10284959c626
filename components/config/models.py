"""The stack config contract: everything under ``paif:`` in ``Pulumi.<stack>.yaml``.

Keys are camelCase as users write them; attributes are snake_case. Unknown keys are errors so
that a typo never silently falls back to a default. Cross-field rules that only need the config
(min <= max, references between tenants' parts, unique names) live here; rules that need the
site's hardware (vGPU profiles, GPU sizing) are checked by the components before they create
anything.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import posixpath
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import Cidr, ConfigModel, DnsName, HttpsUrl, NonEmpty, Port
from components.config.base import require_unique as _require_unique
from components.config.dr_copy import DatabaseDr, default_mechanism
from components.config.errors import FieldError
from components.config.observability import AlertThresholds, Observability
from components.config.ownership import Ownership
from components.config.units import Duration, Quantity, parse_quantity
from components.constants import (
    APP_HPA_CPU_UTILIZATION,
    APP_HPA_REQUEST_METRIC,
    AUTOSCALING_MAX_REPLICAS,
    AUTOSCALING_MIN_REPLICAS,
    AUTOSCALING_TARGET_GPU_UTILIZATION,
    DEFAULT_APP_GID,
    DEFAULT_APP_UID,
    DLVM_LIBRARY_URL,
    MIN_NON_ROOT_ID,
    ROBOT_EXPIRY_DAYS,
    SCALE_UP_PODS_PER_PERIOD,
    VKS_CONTROL_PLANE_REPLICAS,
)

Environment = Literal["dev", "staging", "prod", "mission-critical"]
Isolation = Literal["namespace", "cluster", "workload-domain"]
EndpointType = Literal["completions", "embeddings"]
Precision = Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"]
GpuAssignment = Literal["vgpu", "passthrough"]
Replication = Literal["sync", "async"]
DrPattern = Literal["none", "pilot-light", "warm-standby", "active-active"]
DrRole = Literal["primary", "dr"]

# DNS-1123 subdomain: what Kubernetes accepts as a Secret or IngressClass name.
DnsSubdomain = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", max_length=253)
]
# A host name an Ingress rule and its TLS certificate name (a leading wildcard allowed).
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
HostName = Annotated[str, Field(pattern=rf"^(\*\.)?{_LABEL}(\.{_LABEL})+$", max_length=253)]
# A UID or GID a hardened pod runs as (PAIF-SEC-010).
NonRootId = Annotated[int, Field(ge=MIN_NON_ROOT_ID, le=2147483647)]


# --- site -----------------------------------------------------------------------------------


class VCenter(ConfigModel):
    server: NonEmpty
    datacenter: NonEmpty


class Supervisor(ConfigModel):
    id: NonEmpty
    server: NonEmpty


class Site(ConfigModel):
    name: DnsName
    vcenter: VCenter
    supervisor: Supervisor
    storage_policy: NonEmpty = "vSAN Default Storage Policy"


class Gpu(ConfigModel):
    model: NonEmpty
    per_host: Annotated[int, Field(ge=1, le=16)]
    memory_gi_b: Annotated[int, Field(ge=1, alias="memoryGiB")]
    assignment: GpuAssignment = "vgpu"


class HostImage(ConfigModel):
    """vLCM image of the GPU hosts: ESX build and the NVIDIA AI Enterprise host driver (§9.1).

    What the site has decides what may be declared (``components.hardware``): ``esxVersion``
    must be a base image of vCenter's depot (``get_host_base_images``; left out: the newest one
    there). The driver is ``nvidiaDriverComponent``/``nvidiaDriverVersion``, or, left out, the
    NVIDIA component of ``depot``: an offline depot (zip URL) this stack adds to vCenter
    (``vsphere.OfflineSoftwareDepot``). A tenant's own workload domain without a host image
    uses the site's.
    """

    esx_version: NonEmpty | None = None
    nvidia_driver_component: NonEmpty | None = None
    nvidia_driver_version: NonEmpty | None = None
    depot: HttpsUrl | None = None

    @model_validator(mode="after")
    def _driver_named_whole(self) -> HostImage:
        if (self.nvidia_driver_component is None) != (self.nvidia_driver_version is None):
            missing = (
                "nvidiaDriverVersion"
                if self.nvidia_driver_version is None
                else "nvidiaDriverComponent"
            )
            raise FieldError(missing, "the driver is named by component and version together")
        return self

    @property
    def declares_driver(self) -> bool:
        return self.nvidia_driver_component is not None


class VmAntiAffinity(ConfigModel):
    """GPU VMs, by vCenter name, that DRS keeps on different hosts (§9.2.2 hosts A, B, C).

    For GPU VMs whose names are fixed (deployed by name, e.g. from the DLVM library): VKS
    nodes and PAIS replicas get generated names at run time and are spread by VKS and the pod
    topology spread instead (docs/architecture.md). ``mandatory`` false is a "should" rule:
    vSphere HA may still restart a failed host's VM beside another one.
    """

    name: DnsName
    vms: Annotated[list[NonEmpty], Field(min_length=2)]
    mandatory: bool = False

    @field_validator("vms")
    @classmethod
    def _unique_vms(cls, vms: list[str]) -> list[str]:
        _require_unique(vms, "VM")
        return vms


class WorkloadDomain(ConfigModel):
    cluster: NonEmpty
    hosts: Annotated[list[NonEmpty], Field(min_length=1)]
    gpu: Gpu
    vgpu_profiles: list[NonEmpty] = Field(default_factory=list)
    dlvm_library_url: NonEmpty = DLVM_LIBRARY_URL
    host_image: HostImage | None = None
    vm_anti_affinity: list[VmAntiAffinity] = Field(default_factory=list)

    @field_validator("hosts")
    @classmethod
    def _unique_hosts(cls, hosts: list[str]) -> list[str]:
        _require_unique(hosts, "host")
        return hosts

    @model_validator(mode="after")
    def _spread_fits_the_hosts(self) -> WorkloadDomain:
        _require_unique([g.name for g in self.vm_anti_affinity], "anti-affinity rule name")
        for i, group in enumerate(self.vm_anti_affinity):
            if len(group.vms) > len(self.hosts):
                raise FieldError(
                    f"vmAntiAffinity[{i}].vms",
                    f"{len(group.vms)} VMs cannot each run on a different host of the "
                    f"{len(self.hosts)} in {self.cluster}",
                )
        return self

    @model_validator(mode="after")
    def _profiles_match_assignment(self) -> WorkloadDomain:
        if self.gpu.assignment == "vgpu" and not self.vgpu_profiles:
            raise FieldError(
                "vgpuProfiles",
                "is empty but gpu.assignment is 'vgpu': list at least one profile "
                "(e.g. 'nvidia_a100-40c')",
            )
        if self.gpu.assignment == "passthrough" and self.vgpu_profiles:
            raise FieldError("vgpuProfiles", "must be empty when gpu.assignment is 'passthrough'")
        return self


# A rotation label: lowercase letters, digits and dashes (it becomes part of a robot's name).
RotationLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$")]


class HarborRobots(ConfigModel):
    """The robot accounts this stack creates: the tenants' pull robots at this site's Harbor and
    the replication robot it makes on the peer's (§9.6.3 identity: rotate tokens regularly).

    Each expires ``expiryDays`` after it is created. ``rotation`` is a label the robots' names
    end with (``model-pull-2026-07``): changing it makes ``pulumi up`` create new robots, hand
    their secrets to the pull Secrets and the replication endpoint, and delete the old ones
    (README, "Robot accounts and their rotation").
    """

    expiry_days: Annotated[int, Field(ge=1, le=3650)] = ROBOT_EXPIRY_DAYS
    rotation: RotationLabel | None = None


class Harbor(ConfigModel):
    url: HttpsUrl
    robots: HarborRobots = Field(default_factory=HarborRobots)

    @property
    def host(self) -> str:
        return self.url.removeprefix("https://").split("/", 1)[0]


# --- tenants --------------------------------------------------------------------------------


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
    (components.autoscaling): one step per cold start, and bursts shorter than the fastest cold
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
        from components.estimators import EstimatorError, cron_interval_seconds

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
    # The copy at the DR site: mechanism and its parameters (components.config.dr_copy).
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


# Always writable in a hardened pod (an emptyDir), whatever the app lists.
TMP_PATH = "/tmp"


class Probe(ConfigModel):
    path: NonEmpty = "/healthz"
    port: Annotated[int, Field(ge=1, le=65535)] | None = None


class AppIngress(ConfigModel):
    """How an exposed app is published: an Ingress serving ``host`` over TLS only (§9.6.1).

    ``tlsSecret`` names the ``kubernetes.io/tls`` Secret holding the certificate in the app
    namespace (issued by cert-manager or copied in by the platform team; never in config).
    """

    host: HostName
    tls_secret: DnsSubdomain
    # VKS's standard ingress package is Contour (its Envoy pods serve the Ingress).
    class_name: DnsSubdomain = "contour"


# An environment variable name (what a container's ``env[].name`` takes, C identifier style).
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
# A stack config key holding a Pulumi secret: ``namespace:key``, or ``key`` in ``apps``.
StackSecretKey = Annotated[
    str, Field(pattern=r"^([A-Za-z][A-Za-z0-9_-]*:)?[A-Za-z][A-Za-z0-9_.-]*$", max_length=256)
]


class ConsumedDatabase(ConfigModel):
    """The database an app connects to: one of the tenant's ``appDatabases`` (or ``databases``).

    The app gets ``<envPrefix>HOST``, ``PORT``, ``NAME``, ``USER`` and ``SSLMODE`` from its
    wiring ConfigMap and ``<envPrefix>PASSWORD`` from its credentials Secret, a copy of the
    password Secret DSM writes next to the cluster in the Supervisor namespace.
    """

    name: DnsName
    env_prefix: EnvName = "DATABASE_"


class ConsumedEndpoint(ConfigModel):
    """A model endpoint an app calls through the ML API gateway (§9.2.2).

    ``tokenSecret`` names the Secret in the tenant's Supervisor namespace that holds the
    app's API token for the gateway, in the layout PAIS uses for API tokens (type
    ``pais.vmware.com/api-token-credentials``, key ``api_token``); the platform team creates it
    there (the gateway validates OIDC tokens, §9.2.2). The app gets ``<envPrefix>URL``,
    ``<envPrefix>MODEL`` (the routing name) and ``<envPrefix>API_TOKEN``; ``envPrefix``
    defaults to the endpoint's name in upper case (``LLAMA_CHAT_``).
    """

    name: DnsName
    token_secret: DnsSubdomain
    env_prefix: EnvName | None = None


class AppConsumes(ConfigModel):
    """What an app is wired to, all through the stack (components.app_wiring).

    ``database``, ``endpoints`` and ``knowledgeBases`` name the tenant's own; ``config`` holds
    plain values (never credentials: PAIF-SEC-014 checks what lands in a ConfigMap);
    ``secrets`` maps environment variables to stack secrets (``pulumi config set --secret
    apps:<key>``), which reach the app's credentials Secret and nothing else. ``secretFiles``
    also mounts that Secret as files at the directory it names.
    """

    database: ConsumedDatabase | None = None
    endpoints: list[ConsumedEndpoint] = Field(default_factory=list)
    knowledge_bases: list[DnsName] = Field(default_factory=list)
    config: dict[EnvName, str] = Field(default_factory=dict)
    secrets: dict[EnvName, StackSecretKey] = Field(default_factory=dict)
    secret_files: NonEmpty | None = None

    @field_validator("database", mode="before")
    @classmethod
    def _database_by_name(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("endpoints")
    @classmethod
    def _unique_endpoints(cls, endpoints: list[ConsumedEndpoint]) -> list[ConsumedEndpoint]:
        _require_unique([e.name for e in endpoints], "endpoint")
        return endpoints

    @field_validator("knowledge_bases")
    @classmethod
    def _unique_knowledge_bases(cls, names: list[str]) -> list[str]:
        _require_unique(names, "knowledge base")
        return names

    @field_validator("config")
    @classmethod
    def _no_credentials_in_config(cls, config: dict[str, str]) -> dict[str, str]:
        from components.secret_values import is_credential_name, looks_like_a_secret_value

        for name, value in config.items():
            if is_credential_name(name):
                raise ValueError(
                    f"{name} names a credential: list it under secrets (a stack secret), "
                    "never under config, which lands in a ConfigMap"
                )
            why = looks_like_a_secret_value(value)
            if why is not None:
                raise ValueError(
                    f"{name}'s value {why}: list it under secrets (a stack secret), never "
                    "under config, which lands in a ConfigMap"
                )
        return config

    @field_validator("secret_files")
    @classmethod
    def _absolute(cls, path: str | None) -> str | None:
        if path is not None and (
            not path.startswith("/") or posixpath.normpath(path) != path or path == "/"
        ):
            raise ValueError(
                f"{path!r} is not an absolute directory such as '/var/run/secrets/app'"
            )
        return path


class AppAutoscaling(ConfigModel):
    """A HorizontalPodAutoscaler for the app (§9.5.1: app pods scale horizontally on CPU
    utilisation or request count): from the app's ``replicas`` up to ``maxReplicas``, on CPU
    (``cpuUtilization`` % of the request) and, with ``requestsPerSecond``, on each pod's
    request rate (the pods metric ``requestMetric``, served by a Prometheus adapter). The pace
    both ways is the library's gradual HPA behaviour (components.autoscaling)."""

    max_replicas: Annotated[int, Field(ge=1)]
    cpu_utilization: Annotated[int, Field(ge=1, le=100)] = APP_HPA_CPU_UTILIZATION
    requests_per_second: Annotated[float, Field(gt=0)] | None = None
    request_metric: NonEmpty = APP_HPA_REQUEST_METRIC


class App(ConfigModel):
    """An application Deployment in a tenant's VKS cluster (§9.7.1 app checklist).

    Every app pod is hardened (PAIF-SEC-010): it runs as ``runAsUser``/``runAsGroup`` (≥ 10000),
    on a read-only root filesystem with an ``emptyDir`` at ``/tmp`` and at each of
    ``writablePaths``, with no service-account token unless ``apiAccess`` is set.
    """

    name: DnsName
    cluster: DnsName
    image: NonEmpty
    replicas: Annotated[int, Field(ge=0)] = 2
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    expose: bool = False
    ingress: AppIngress | None = None
    liveness: Probe | None = Field(default_factory=Probe)
    readiness: Probe | None = Field(default_factory=lambda: Probe(path="/ready"))
    requests_cpu: Quantity | None = "500m"
    requests_memory: Quantity | None = "512Mi"
    limits_cpu: Quantity | None = "1"
    limits_memory: Quantity | None = "1Gi"
    run_as_user: NonRootId = DEFAULT_APP_UID
    run_as_group: NonRootId = DEFAULT_APP_GID
    writable_paths: list[NonEmpty] = Field(default_factory=list)
    api_access: bool = False
    consumes: AppConsumes = Field(default_factory=AppConsumes)
    autoscaling: AppAutoscaling | None = None

    @property
    def ceiling(self) -> int:
        """Pods the app may run: its autoscaling maximum, else its replicas."""
        return max(self.replicas, self.autoscaling.max_replicas if self.autoscaling else 0)

    @field_validator("writable_paths")
    @classmethod
    def _absolute_paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/") or posixpath.normpath(path) != path or path == "/":
                raise ValueError(
                    f"{path!r} is not an absolute, normalised directory such as '/var/cache/app'"
                )
            if path == TMP_PATH:
                raise ValueError(f"{TMP_PATH} is always writable (an emptyDir); do not list it")
        _require_unique(paths, "writable path")
        return paths

    @model_validator(mode="after")
    def _exposed_over_tls(self) -> App:
        if self.expose and self.ingress is None:
            raise FieldError(
                "ingress",
                "expose: true publishes the app over TLS only: set ingress.host and "
                "ingress.tlsSecret (the kubernetes.io/tls Secret with its certificate)",
            )
        if self.ingress is not None and not self.expose:
            raise FieldError("ingress", "only an app with expose: true is published")
        return self

    @model_validator(mode="after")
    def _autoscaling_bounds(self) -> App:
        if self.autoscaling is not None and self.autoscaling.max_replicas < self.replicas:
            raise FieldError(
                "autoscaling.maxReplicas",
                f"{self.autoscaling.max_replicas} is below replicas {self.replicas} (the "
                "autoscaler's minimum)",
            )
        if self.autoscaling is not None and self.replicas < 1:
            raise FieldError("replicas", "0 cannot autoscale: the HPA's minimum is at least 1")
        return self


class ContainerLimits(ConfigModel):
    """LimitRange of an app namespace (``components.container_limits``): container defaults
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
    """The tenant's PAIS instance (its PAISConfiguration, components.pais): the pgvector
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
    # Which roles the OIDC groups get (components.tenant_rbac): the library's ``scoped`` Roles
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
            for kb in agent.knowledge_bases:
                if kb not in kbs:
                    raise _ref_error(f"agents[{i}].knowledgeBases", kb, "knowledge base", kbs)
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


# --- network and security -------------------------------------------------------------------


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
    # that (components.tenant_network, "replication").
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
    configuration (components.pais, components.harbor_registry)."""

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
    """How the stack treats the Kubernetes APIs it applies to (``components.controllers``):
    ``awaitControllers: false`` for clusters whose controllers do not report readiness."""

    await_controllers: bool = True


# --- disaster recovery ----------------------------------------------------------------------


class Peer(ConfigModel):
    stack: NonEmpty
    site: DnsName
    harbor_url: HttpsUrl


class Objectives(ConfigModel):
    rto: Duration
    rpo: Duration


class Gslb(ConfigModel):
    """Avi GSLB for active-active (§9.3.3 pattern 3)."""

    domain: NonEmpty
    ttl: Annotated[int, Field(ge=1)] = 30
    site_persistence: bool = True
    health_monitors: list[NonEmpty] = Field(
        default_factory=lambda: ["/api/healthmonitor?name=System-GSLB-HTTPS"]
    )


class BackupLocation(ConfigModel):
    """Where a DSM backup location keeps its data: which site, encrypted or not (§9.3.2)."""

    site: DnsName
    encrypted: bool = True


class Dr(ConfigModel):
    pattern: DrPattern = "none"
    role: DrRole = "primary"
    peer: Peer | None = None
    objectives: Objectives | None = None
    gslb: Gslb | None = None
    replication_schedule: NonEmpty | None = None
    assumptions: dict[str, bool | int | float | str] = Field(default_factory=dict)
    backup_locations: dict[str, BackupLocation] = Field(default_factory=dict)
    # A DR site's own hosts for the primary's workload-domain-isolated tenants, by tenant name.
    tenant_workload_domains: dict[str, WorkloadDomain] = Field(default_factory=dict)
    # Set on the DR stack when the primary is lost (runbook): the DR site runs at full scale.
    failover: bool = False
    # A DR stack's own DSM backup location for its database copies (one of backupLocations):
    # never the primary's, so the copies' backups and the primary's never mix.
    copy_backup_location: NonEmpty | None = None
    # Worker nodes per VKS cluster at a warm-standby DR site: §9.3.3's example is 2 (5 → 2);
    # a site whose apps need more untainted nodes (one replica per host) declares it here.
    # Other patterns ignore it, so moving between patterns changes only ``pattern``.
    standby_workers: Annotated[int, Field(ge=1)] | None = None

    @field_validator("assumptions")
    @classmethod
    def _known_assumptions(
        cls, value: dict[str, bool | int | float | str]
    ) -> dict[str, bool | int | float | str]:
        from components.estimators import Assumptions, EstimatorError

        try:
            Assumptions.from_mapping(value)
        except EstimatorError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _peer_when_needed(self) -> Dr:
        if self.pattern != "none" and self.peer is None:
            raise FieldError(
                "peer", f"pattern {self.pattern!r} needs a peer (stack, site, harborUrl)"
            )
        if self.role == "dr" and self.pattern == "none":
            raise FieldError(
                "pattern", "role 'dr' needs a pattern: pilot-light, warm-standby or active-active"
            )
        if self.failover and self.role != "dr":
            raise FieldError("failover", "only a DR stack (role 'dr') can be failed over")
        if self.pattern == "active-active" and self.gslb is None:
            raise FieldError("gslb", "pattern 'active-active' needs gslb (domain, healthMonitors)")
        if self.standby_workers is not None and self.role != "dr":
            raise FieldError(
                "standbyWorkers",
                "only a DR stack runs reduced VKS clusters (warm standby; other patterns "
                "ignore it)",
            )
        if self.copy_backup_location is not None:
            if self.role != "dr":
                raise FieldError(
                    "copyBackupLocation",
                    "only a DR stack backs up database copies; a primary names each "
                    "database's backup.location",
                )
            if self.copy_backup_location not in self.backup_locations:
                known = ", ".join(sorted(self.backup_locations)) or "none declared"
                raise FieldError(
                    "copyBackupLocation",
                    f"{self.copy_backup_location!r} is not in backupLocations ({known}): "
                    "declare its site so the copies' backups can be located",
                )
        return self


class Waiver(ConfigModel):
    rule: Annotated[str, Field(pattern=r"^PAIF-[A-Z]+-\d{3}$")]
    resource: NonEmpty
    reason: NonEmpty
    owner: NonEmpty
    expires: dt.date


# --- the whole stack ------------------------------------------------------------------------


class StackConfig(ConfigModel):
    """Everything under ``paif:`` in one stack file."""

    environment: Environment
    site: Site
    workload_domain: WorkloadDomain
    harbor: Harbor
    tenants: list[Tenant] = Field(default_factory=list)
    network: Network = Field(default_factory=Network)
    security: Security = Field(default_factory=Security)
    dr: Dr = Field(default_factory=Dr)
    observability: Observability = Field(default_factory=Observability)
    waivers: list[Waiver] = Field(default_factory=list)
    # Which platform objects the stack creates, adopts or references (components.ownership).
    ownership: Ownership = Field(default_factory=Ownership)
    kubernetes: KubernetesOptions = Field(default_factory=KubernetesOptions)

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, tenants: list[Tenant]) -> list[Tenant]:
        _require_unique([t.name for t in tenants], "tenant name")
        _require_unique([t.namespace for t in tenants], "tenant namespace")
        # A VKS cluster's name is the target of its manifests (out/<stack>/manifests/<name>/)
        # and of the objects applied to it, so it is unique on the site.
        _require_unique([c.name for t in tenants for c in t.vks_clusters], "VKS cluster name")
        return tenants

    @model_validator(mode="after")
    def _dr_site_has_no_tenants(self) -> StackConfig:
        if self.dr.role == "dr" and self.tenants:
            raise FieldError(
                "tenants",
                "a DR stack derives its tenants from the primary stack "
                f"({self.dr.peer.stack if self.dr.peer else '?'}); remove paif:tenants here",
            )
        if self.dr.role != "dr" and self.dr.tenant_workload_domains:
            raise FieldError(
                "dr.tenantWorkloadDomains",
                "only a DR stack declares hosts for the primary's isolated tenants",
            )
        for ti, tenant in enumerate(self.tenants):
            for key, declared in (
                ("databases", tenant.databases),
                ("appDatabases", tenant.app_databases),
            ):
                for di, database in enumerate(declared):
                    _check_dr_copy(self.dr.pattern, f"tenants[{ti}].{key}[{di}]", database)
        site_hosts = set(self.workload_domain.hosts)
        for i, tenant in enumerate(self.tenants):
            domain = tenant.workload_domain
            for host in domain.hosts if domain else ():
                if host in site_hosts:
                    raise FieldError(
                        f"tenants[{i}].workloadDomain.hosts",
                        f"host {host!r} is already in the site's workload domain",
                    )
        return self

    @model_validator(mode="after")
    def _host_driver_known(self) -> StackConfig:
        image = self.workload_domain.host_image
        if image is None or not (image.declares_driver or image.depot):
            raise FieldError(
                "workloadDomain.hostImage",
                "the GPU hosts' NVIDIA AI Enterprise driver is not known: declare "
                "nvidiaDriverComponent and nvidiaDriverVersion (the vLCM component you "
                "downloaded for the hosts' ESX build), or depot (the offline depot whose NVIDIA "
                "component the hosts get)",
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment in ("prod", "mission-critical")

    @property
    def waf(self) -> bool:
        """Whether the entry has a WAF: ``network.ingress.waf``, else on in production."""
        ingress = self.network.ingress
        if ingress is None:
            return False
        return self.is_production if ingress.waf is None else ingress.waf


def _check_dr_copy(pattern: str, path: str, database: Database) -> None:
    """The database's DR mechanism must be one the pattern can run, with what it needs."""
    dr = database.dr
    mechanism = dr.mechanism or default_mechanism(pattern)
    if pattern == "none":
        if dr.mechanism not in (None, "none"):
            raise FieldError(
                f"{path}.dr.mechanism",
                f"{dr.mechanism!r} needs a DR site, but paif:dr.pattern is 'none'",
            )
        return
    if mechanism == "logical" and pattern == "pilot-light":
        raise FieldError(
            f"{path}.dr.mechanism",
            "'logical' keeps a subscribed copy running at the DR site, and pilot light runs no "
            "database there (§9.3.3 pattern 1): use 'backup-restore', or declare warm-standby",
        )
    if mechanism == "backup-restore" and (database.backup is None or not database.backup.location):
        raise FieldError(
            f"{path}.dr.mechanism",
            "'backup-restore' creates the DR copy from the primary's backups: declare backup "
            "(schedule, retentionDays, location) on this database",
        )


def _ref_error(path: str, value: str, what: str, known: set[str]) -> FieldError:
    choices = ", ".join(sorted(known)) or "none declared"
    return FieldError(
        path, f"names {what} {value!r}, which this tenant does not declare ({choices})"
    )
