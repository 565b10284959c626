"""``paif:tenants[].apps``: an app's Deployment, its wiring to the tenant's data and endpoints
(``consumes``) and its autoscaling (§9.5.1, §9.7.1).
"""

from __future__ import annotations

import posixpath
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import ConfigModel, DnsName, NonEmpty
from paif_components.config.base import require_unique as _require_unique
from paif_components.config.errors import FieldError
from paif_components.config.models.common import DnsSubdomain, HostName, NonRootId
from paif_components.config.units import Quantity
from paif_components.constants import (
    APP_HPA_CPU_UTILIZATION,
    APP_HPA_REQUEST_METRIC,
    DEFAULT_APP_GID,
    DEFAULT_APP_UID,
)
from paif_components.pod_security import TMP_PATH
from paif_components.secret_values import is_credential_name, looks_like_a_secret_value


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
    """What an app is wired to, all through the stack (paif_components.app_wiring).

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
    both ways is the library's gradual HPA behaviour (paif_components.autoscaling)."""

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
