"""Model and embedding endpoints (PAIS), their autoscaling and cold start (§9.2.2, §9.5).

One ``ModelEndpoint`` component serves one model of a tenant. With the default ``pais``
backend it renders:

- a PAIS ``ModelEndpoint`` (``pais.vmware.com/v1alpha1``) in the tenant namespace, with the
  fields PAIS's published API takes and nothing else (``schemas/SOURCES.md``, "PAIS kinds";
  the schema the tests and the engine tier's API servers hold it to is
  ``schemas/pais/pais.vmware.com_modelendpoints.yaml``)::

      spec:
        model: {ociRef: <harbor>/<project>/<repo>:<tag>, pullSecrets: [{name: <pull secret>}]}
        engine: vLLM | Infinity
        type: Completions | Embeddings
        routingName: <endpoint name>          # the model name clients send
        virtualMachineClassName: <vGPU class> # VM class of each replica
        storageClassName: <storage class>

- a KEDA ``ScaledObject`` (``keda.sh/v1alpha1``) that realises §9.5.2 autoscaling explicitly:
  ``minReplicaCount`` always set (KEDA's default 0 would scale production to zero, §9.5.3 keeps
  at least one replica warm), ``maxReplicaCount``, a Prometheus trigger on the DCGM GPU
  utilisation (``DCGM_FI_DEV_GPU_UTIL``) with the target as threshold, optional triggers on
  the request rate and on vLLM's queue depth (``vllm:num_requests_waiting``) per replica, and
  gradual HPA behaviour both ways derived from the model's cold start
  (``paif_components.autoscaling``, §9.5.3). It targets the ModelEndpoint (``scaleTargetRef``),
  which needs PAIS to serve a ``/scale`` subresource on it; PAIS's published API does not show
  one, so ``scale_target`` points it at another workload where PAIS does not.

PAIS runs the replicas on VMs of the namespace and places and replaces them itself (§9.2.1
layer 3, "PAIS self-healing"); its published API has no placement, pod-label or disruption
field, so the library renders no topology spread or disruption budget for a PAIS endpoint.

What PAIS's published API has no field for, and the library still decides, is stated on the
ModelEndpoint as ``paif.vmware.com/`` annotations: a record for people, the policies and the
estimators, which PAIS does not read. ``replicas`` (this tier's bounds, ``min..max``; ``0`` at
a pilot-light DR site), ``rate-limit-rpm``/``rate-limit-tpm`` (§9.6.3, for the gateway),
``gateway-timeout-seconds`` (§9.2.2: 60 s or more), ``warm-up`` (§9.5.3 mitigation),
``gpus-per-replica``, the model's size and precision, ``cold-start-seconds``, ``critical``.

With ``backend: nim`` it renders an NVIDIA ``NIMService`` (``apps.nvidia.com/v1alpha1``) whose
``spec.scale.hpa`` carries the same bounds and behaviour, with required pod anti-affinity on the
host name (§9.2.2: replicas on hosts A, B, C) and a ``PodDisruptionBudget`` that keeps at least
one replica through voluntary disruptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.autoscaling import (
    ScaleUp,
    autoscaling_triggers,
    hpa_behavior,
    nim_hpa_metrics,
    scale_in_window_seconds,
    scale_up_for,
    scaled_object_spec,
)
from paif_components.config.models import ModelEndpoint as EndpointConfig
from paif_components.config.models import Tenant
from paif_components.config.models.observability import DEFAULT_PROMETHEUS_URL
from paif_components.constants import (
    GATEWAY_TIMEOUT_SECONDS,
    IMAGE_PULL_POLICY,
    MIN_WARM_REPLICAS,
)
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import (
    MODEL_PARAMETERS_ANNOTATION,
    MODEL_PRECISION_ANNOTATION,
    RATE_LIMIT_RPM_ANNOTATION,
    REPLICAS_ANNOTATION,
    TENANT_LABEL,
)
from paif_components.endpoint_placement import (  # noqa: F401  (public here too, as before the move)
    MODEL_CACHE_HEADROOM,
    Placement,
    class_profile,
    cold_start_for,
    gpu_memory_for,
    largest_profile,
    plan_placement,
    storage_class_name,
    vgpu_vm_class_name,
    whole_gpu,
)
from paif_components.errors import ComponentInputError
from paif_components.estimators.cold_start import ColdStartEstimate
from paif_components.estimators.gpu_sizing import (
    fits,
    size_gpus,
    weights_gib,
)
from paif_components.harbor_registry import harbor_project_name, pull_secret_name
from paif_components.tenant_namespace import TIER_AI
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import GPU_TAINT, TIER_LABEL
from paif_components.workload_domain import device_counts

MODEL_ENDPOINT_TYPE: Final = tokens.PAIF_MODEL_ENDPOINT


PAIS_API_VERSION: Final = "pais.vmware.com/v1alpha1"


KEDA_API_VERSION: Final = "keda.sh/v1alpha1"


NIM_API_VERSION: Final = "apps.nvidia.com/v1alpha1"


# Tier label (TIER_LABEL: TIER_AI, paif_components.tenant_namespace) puts replicas in the network
# policy's AI tier (§9.6: app → AI services → database).
ENDPOINT_LABEL: Final = "paif.vmware.com/endpoint"


PAIS_TYPES: Final[dict[str, str]] = {"completions": "Completions", "embeddings": "Embeddings"}


# Annotations recording what PAIS's published ModelEndpoint has no field for (module doc).
RATE_LIMIT_TPM_ANNOTATION: Final = "paif.vmware.com/rate-limit-tpm"
GATEWAY_TIMEOUT_ANNOTATION: Final = "paif.vmware.com/gateway-timeout-seconds"
WARM_UP_ANNOTATION: Final = "paif.vmware.com/warm-up"
# §9.2.2 gateway health checks against vLLM /health.
HEALTH_PATH: Final = "/health"


# NIM's OpenAI-compatible port (NIMService expose.service.port default).
NIM_SERVICE_PORT: Final = 8000


def routing_name(endpoint: EndpointConfig) -> str:
    """The model name clients send to the ML API gateway (OpenAI ``model`` field)."""
    return endpoint.name


def _image_tag(ref: str) -> str | None:
    """The tag of an OCI reference (``None`` when it has none or is pinned by digest)."""
    if "@" in ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@dataclass(frozen=True)
class ModelEndpointArgs:
    """One endpoint of a tenant.

    ``image_pull_secret`` defaults to the tenant's Harbor pull Secret (see HarborProject);
    ``running=False`` declares the endpoint without running it (a pilot-light DR site,
    ``paif_components.dr.topology.EndpointRole.running``): the PAIS object exists with 0 replicas,
    and no autoscaler or disruption budget is rendered. DR-derived replica bounds (warm
    standby 1/1) arrive in ``endpoint.replicas`` like any other config.
    """

    tenant: Tenant
    endpoint: EndpointConfig
    ctx: SiteContext
    image_pull_secret: pulumi.Input[str] | None = None
    storage_class: str | None = None
    prometheus_url: str = DEFAULT_PROMETHEUS_URL
    running: bool = True
    scale_target: Mapping[str, str] | None = None


def _index(args: ModelEndpointArgs) -> int:
    return next(
        (i for i, e in enumerate(args.tenant.model_endpoints) if e.name == args.endpoint.name), 0
    )


def validate_model_endpoint(args: ModelEndpointArgs) -> None:
    """Reject an endpoint that could not pull, fit, scale or stay warm, before registering:
    one error listing every problem found (checks that need a placement run once it has one)."""
    tenant, endpoint, ctx = args.tenant, args.endpoint, args.ctx
    subject = f"tenant '{tenant.name}'"
    path = f"modelEndpoints[{_index(args)}]"
    model = endpoint.model

    problems: list[tuple[str, str]] = []

    def fail(field: str, message: str) -> None:
        problems.append((f"{path}.{field}", message))

    if model.registry_host != ctx.harbor.host:
        fail(
            "model.ref",
            f"{model.ref!r} is not in this site's Harbor ({ctx.harbor.host}); push the model "
            f"there and reference {ctx.harbor.host}/{harbor_project_name(tenant)}/<repo>:<tag>",
        )
    if model.project != harbor_project_name(tenant):
        fail(
            "model.ref",
            f"{model.ref!r} is in Harbor project {model.project!r}, but the tenant's pull "
            f"robot may only pull from {harbor_project_name(tenant)!r}",
        )
    tag = _image_tag(model.ref)
    if ctx.is_production and "@" not in model.ref and (tag is None or tag == "latest"):
        fail(
            "model.ref",
            f"{model.ref!r} has {'no tag' if tag is None else 'the mutable tag latest'}; "
            "production pins a model by immutable tag or digest (§9.3.3 model version sync)",
        )

    if endpoint.backend == "nim" and "@" in model.ref:
        fail(
            "model.ref",
            f"{model.ref!r} is pinned by digest; a NIMService takes repository and tag "
            "(spec.image.tag): pin an immutable tag instead",
        )

    wd = ctx.workload_domain
    largest = largest_profile(ctx)
    if endpoint.vm_class:
        known = class_profile(ctx, endpoint.vm_class)
        if known and endpoint.gpus_per_replica and known[1] != endpoint.gpus_per_replica:
            fail(
                "vmClass",
                f"{endpoint.vm_class!r} has {known[1]} GPU(s) but gpusPerReplica is "
                f"{endpoint.gpus_per_replica}",
            )
    elif wd.gpu.assignment == "vgpu" and largest is None:
        fail(
            "vmClass",
            "cannot be derived: no vGPU profile of the site names its framebuffer size "
            f"({', '.join(wd.vgpu_profiles)}); set vmClass",
        )
    if problems and problems[-1][0] == f"{path}.vmClass":
        raise ComponentInputError.collected(subject, problems)  # no placement to check
    placement = plan_placement(ctx, endpoint)
    if endpoint.gpus_per_replica is not None:
        check = fits(model.parameters_b, model.precision, placement.gpus, placement.gpu_memory_gib)
        if not check.ok:
            needed = size_gpus(model.parameters_b, model.precision, placement.gpu_memory_gib)
            fail(
                "gpusPerReplica",
                f"{placement.gpus} is too few for {model.ref.rsplit('/', 1)[-1]}: "
                f"{check.message}; it needs {needed.gpus}",
            )
    gpu_field = "gpusPerReplica" if endpoint.gpus_per_replica is not None else "model"
    too_many = placement.gpus > wd.gpu.per_host
    if too_many:
        fail(
            gpu_field,
            f"one replica needs {placement.gpus} GPUs but a host of {wd.cluster} has "
            f"{wd.gpu.per_host}; a replica cannot span hosts (use a smaller model or precision)",
        )
    if not endpoint.vm_class:
        offered = device_counts(wd.gpu.per_host)
        if placement.gpus not in offered and not too_many:  # (too many says it already)
            fail(
                gpu_field,
                f"{placement.gpus} GPUs per replica: the workload domain offers VM classes "
                f"with {', '.join(map(str, offered))} GPUs (tensor parallel sizes); pick one "
                "or set vmClass",
            )
        if placement.gpus > 1 and largest is not None and not whole_gpu(ctx, largest):
            fail(
                "vmClass",
                f"{placement.gpus} GPUs per replica need whole-GPU vGPU devices, but the "
                f"largest profile {largest.name!r} is a {largest.framebuffer_gib} GiB slice of "
                f"a {wd.gpu.memory_gi_b} GiB GPU; add a whole-GPU profile or set vmClass",
            )

    replicas = endpoint.replicas
    if args.running and replicas.min < MIN_WARM_REPLICAS:
        fail(
            "replicas.min",
            f"{replicas.min} would scale the endpoint to zero; keep at least "
            f"{MIN_WARM_REPLICAS} replica warm (§9.5.3 cold start)",
        )
    cold = cold_start_for(ctx, endpoint, placement)
    if endpoint.scale_in_cooldown is not None and endpoint.scale_in_cooldown < math.ceil(
        cold.high_s
    ):
        fail(
            "scaleInCooldown",
            f"{endpoint.scale_in_cooldown}s is shorter than the model's cold start (up to "
            f"{math.ceil(cold.high_s)}s, §9.5.3); scale-in must not outpace scale-out",
        )
    if args.scale_target is not None and not {"apiVersion", "kind", "name"} <= set(
        args.scale_target
    ):
        fail("scaleTarget", "needs apiVersion, kind and name")
    if problems:
        raise ComponentInputError.collected(subject, problems)


def endpoint_labels(args: ModelEndpointArgs) -> dict[str, str]:
    """Labels of the endpoint and of every replica pod (tier label for network policy)."""
    return {
        **args.ctx.labels,
        TIER_LABEL: TIER_AI,
        TENANT_LABEL: args.tenant.name,
        ENDPOINT_LABEL: args.endpoint.name,
    }


def _selector(args: ModelEndpointArgs) -> dict[str, str]:
    return {TENANT_LABEL: args.tenant.name, ENDPOINT_LABEL: args.endpoint.name}


def record_annotations(endpoint: EndpointConfig, min_replicas: int) -> dict[str, str]:
    """What the library decides and no published PAIS field takes (module doc): a record."""
    notes = {
        REPLICAS_ANNOTATION: (f"{min_replicas}..{endpoint.replicas.max}" if min_replicas else "0"),
        GATEWAY_TIMEOUT_ANNOTATION: str(GATEWAY_TIMEOUT_SECONDS),
        WARM_UP_ANNOTATION: "true",
    }
    if endpoint.rate_limit is not None:
        notes[RATE_LIMIT_RPM_ANNOTATION] = str(endpoint.rate_limit.requests_per_minute)
        if endpoint.rate_limit.tokens_per_minute is not None:
            notes[RATE_LIMIT_TPM_ANNOTATION] = str(endpoint.rate_limit.tokens_per_minute)
    return notes


def disruption_budget_min_available(min_replicas: int) -> int:
    """Keep ≥ 1 replica serving and let one go at a time (PAIF-HA-002)."""
    return max(MIN_WARM_REPLICAS, min_replicas - 1)


class ModelEndpoint(pulumi.ComponentResource):
    """A tenant's model or embedding endpoint with explicit autoscaling and HA spread."""

    endpoint_name: str
    namespace: str
    backend: str
    gpus_per_replica: int
    vm_class: str
    min_replicas: int
    max_replicas: int
    target_gpu_utilization: int
    scale_in_window_seconds: int
    scale_up: ScaleUp
    cold_start: ColdStartEstimate
    sizing: str

    def __init__(
        self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_model_endpoint, args)
        super().__init__(MODEL_ENDPOINT_TYPE, name, None, opts)
        tenant, endpoint, ctx = args.tenant, args.endpoint, args.ctx
        placement = plan_placement(ctx, endpoint)
        self.cold_start = cold_start_for(ctx, endpoint, placement)
        self.endpoint_name = endpoint.name
        self.namespace = tenant.namespace
        self.backend = endpoint.backend
        self.gpus_per_replica = placement.gpus
        self.vm_class = placement.vm_class
        self.sizing = placement.sizing
        running = args.running
        self.min_replicas = endpoint.replicas.min if running else 0
        self.max_replicas = endpoint.replicas.max
        self.target_gpu_utilization = endpoint.target_gpu_utilization
        self.scale_in_window_seconds = scale_in_window_seconds(endpoint, self.cold_start)
        self.scale_up = scale_up_for(endpoint, self.cold_start)
        labels = endpoint_labels(args)
        pull_secret = args.image_pull_secret or pull_secret_name(tenant)
        annotations = {
            "paif.vmware.com/gpus-per-replica": str(placement.gpus),
            MODEL_PARAMETERS_ANNOTATION: f"{endpoint.model.parameters_b:g}",
            MODEL_PRECISION_ANNOTATION: endpoint.model.precision,
            "paif.vmware.com/cold-start-seconds": (
                f"{math.floor(self.cold_start.low_s)}-{math.ceil(self.cold_start.high_s)}"
            ),
            "paif.vmware.com/critical": str(endpoint.critical).lower(),
            **record_annotations(endpoint, self.min_replicas),
            **target_annotations(),
        }
        metadata = {
            "name": endpoint.name,
            "namespace": tenant.namespace,
            "labels": labels,
            "annotations": annotations,
        }
        child = pulumi.ResourceOptions(parent=self)

        if endpoint.backend == "pais":
            workload = k8s.apiextensions.CustomResource(
                f"{name}-endpoint",
                api_version=PAIS_API_VERSION,
                kind="ModelEndpoint",
                metadata=metadata,
                spec=self._pais_spec(args, placement, pull_secret),
                opts=child,
            )
            target = dict(
                args.scale_target
                or {"apiVersion": PAIS_API_VERSION, "kind": "ModelEndpoint", "name": endpoint.name}
            )
            if running:
                k8s.apiextensions.CustomResource(
                    f"{name}-autoscaler",
                    api_version=KEDA_API_VERSION,
                    kind="ScaledObject",
                    metadata={
                        "name": endpoint.name,
                        "namespace": tenant.namespace,
                        "labels": labels,
                        "annotations": target_annotations(),
                    },
                    spec=scaled_object_spec(
                        autoscaling_triggers(endpoint, tenant.namespace, args.prometheus_url),
                        target=target,
                        min_replicas=self.min_replicas,
                        max_replicas=self.max_replicas,
                        window_seconds=self.scale_in_window_seconds,
                        scale_up=self.scale_up,
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[workload]),
                )
        else:
            workload = k8s.apiextensions.CustomResource(
                f"{name}-nim",
                api_version=NIM_API_VERSION,
                kind="NIMService",
                metadata=metadata,
                spec=self._nim_spec(args, placement, pull_secret, running),
                opts=child,
            )

        # PAIS places and replaces its replicas itself (§9.2.1 layer 3) and publishes no pod
        # labels to select them by, so a disruption budget is NIM's only.
        if running and endpoint.backend == "nim":
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=endpoint.name,
                    namespace=tenant.namespace,
                    labels=labels,
                    annotations=target_annotations(),
                ),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    min_available=disruption_budget_min_available(self.min_replicas),
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=_selector(args)),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[workload]),
            )

        self.register_outputs(
            {
                "endpoint": endpoint.name,
                "namespace": tenant.namespace,
                "backend": endpoint.backend,
                "routingName": routing_name(endpoint),
                "gpusPerReplica": placement.gpus,
                "vmClass": placement.vm_class,
                "minReplicas": self.min_replicas,
                "maxReplicas": self.max_replicas,
                "targetGpuUtilization": self.target_gpu_utilization,
                "scaleInWindowSeconds": self.scale_in_window_seconds,
                "scaleUp": self.scale_up.to_dict(),
                "coldStart": self.cold_start_output(),
            }
        )

    def cold_start_output(self) -> dict[str, Any]:
        """The §9.5.3 estimate the DR estimator reads (seconds, with the phases)."""
        return {
            "lowSeconds": round(self.cold_start.low_s, 1),
            "highSeconds": round(self.cold_start.high_s, 1),
            "pointSeconds": round(self.cold_start.point_s, 1),
            "gpus": self.cold_start.gpus,
            "assignment": self.cold_start.assignment,
        }

    def _pais_spec(
        self, args: ModelEndpointArgs, placement: Placement, pull_secret: pulumi.Input[str]
    ) -> dict[str, Any]:
        endpoint, ctx = args.endpoint, args.ctx
        return {
            "model": {"ociRef": endpoint.model.ref, "pullSecrets": [{"name": pull_secret}]},
            "engine": endpoint.engine,
            "type": PAIS_TYPES[endpoint.type],
            "routingName": routing_name(endpoint),
            "virtualMachineClassName": placement.vm_class,
            "storageClassName": args.storage_class or storage_class_name(ctx.site.storage_policy),
        }

    def _nim_spec(
        self,
        args: ModelEndpointArgs,
        placement: Placement,
        pull_secret: pulumi.Input[str],
        running: bool,
    ) -> dict[str, Any]:
        endpoint, ctx = args.endpoint, args.ctx
        tag = _image_tag(endpoint.model.ref) or "latest"
        repository = endpoint.model.ref.removesuffix(f":{tag}")
        cache_gib = math.ceil(
            weights_gib(endpoint.model.parameters_b, endpoint.model.precision)
            * MODEL_CACHE_HEADROOM
        )
        spec: dict[str, Any] = {
            "image": {
                "repository": repository,
                "tag": tag,
                "pullPolicy": IMAGE_PULL_POLICY,
                "pullSecrets": [pull_secret],
            },
            "labels": endpoint_labels(args),
            "storage": {
                "pvc": {
                    "create": True,
                    "storageClass": args.storage_class
                    or storage_class_name(ctx.site.storage_policy),
                    "size": f"{cache_gib}Gi",
                    "volumeAccessMode": "ReadWriteOnce",
                }
            },
            "resources": {"limits": {"nvidia.com/gpu": placement.gpus}},
            # The GPU node pools' taint (paif_components.vks_cluster); NIM replicas tolerate it.
            "tolerations": [
                {"key": GPU_TAINT["key"], "operator": "Exists", "effect": GPU_TAINT["effect"]}
            ],
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": _selector(args)},
                        }
                    ]
                }
            },
            "expose": {"service": {"type": "ClusterIP", "port": NIM_SERVICE_PORT}},
        }
        if running:
            spec["scale"] = {
                "enabled": True,
                "hpa": {
                    "minReplicas": self.min_replicas,
                    "maxReplicas": self.max_replicas,
                    "metrics": nim_hpa_metrics(endpoint),
                    "behavior": hpa_behavior(self.scale_up, self.scale_in_window_seconds),
                },
            }
        else:
            spec["replicas"] = 0
        return spec
