"""High availability (§9.2): endpoint replicas and spread, VKS sizing, apps, pgvector, vSphere HA.

The three layers of §9.2.1 each have a rule: vSphere HA on the GPU cluster (PAIF-HA-007), VKS
ReplicaSets for apps (PAIF-HA-003..005) and replicated model endpoints (PAIF-HA-001/002, and the
recommended count as advice, PAIF-HA-008), plus pgvector in DSM HA (PAIF-HA-006). A DR site's
warm standby runs reduced by design (§9.3.3 pattern 2: 1 endpoint replica, VKS 5 → 2 nodes), so
the DR role of a warm standby is held to the standby sizes, which are thresholds of their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from paif_components.constants import (
    APP_MIN_REPLICAS,
    MIN_WARM_REPLICAS,
    REPLICAS_BY_ENVIRONMENT,
    VKS_CONTROL_PLANE_REPLICAS,
    VKS_MIN_GPU_POOL_NODES,
    VKS_MIN_WORKERS,
    WARM_STANDBY_ENDPOINT_REPLICAS,
    WARM_STANDBY_VKS_WORKERS,
)
from paif_components.contract import tokens
from paif_policies.registry import Violation, rule
from paif_policies.view import (
    CAPI_GROUP,
    DSM_GROUP,
    HOSTNAME_TOPOLOGY_KEY,
    StackView,
    as_int,
    as_number,
    endpoints,
    get_path,
    label,
    selector_matches,
)

COMPUTE_CLUSTER_TYPE = tokens.VSPHERE_COMPUTE_CLUSTER
AUTOSCALER_MIN_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
GPU_RESOURCE = "nvidia.com/gpu"
# Provider defaults of vsphere.ComputeCluster (terraform-provider-vsphere): a property a stack
# leaves out takes these values.
_VSPHERE_DEFAULTS: Mapping[str, Any] = {
    "haEnabled": False,
    "drsEnabled": False,
    "haAdmissionControlPolicy": "resourcePercentage",
    "haAdmissionControlHostFailureTolerance": 1,
    "haAdmissionControlResourcePercentageAutoCompute": True,
}


def _standby(view: StackView) -> bool:
    """The DR site of a warm standby: reduced by design (§9.3.3 pattern 2)."""
    return view.dr_role == "dr" and view.dr_pattern == "warm-standby"


def _pilot_light_dr(view: StackView) -> bool:
    """The DR site of a pilot light: endpoints declared, not running (§9.3.3 pattern 1)."""
    return view.dr_role == "dr" and view.dr_pattern == "pilot-light"


# --- PAIF-HA-001 ----------------------------------------------------------------------------


def required_endpoint_replicas(
    view: StackView, t: Mapping[str, Any], environment: str | None = None
) -> tuple[int, str]:
    """Minimum replicas an endpoint of ``environment`` (default: the stack's tier) needs, and
    why (tier, or DR standby role)."""
    if _pilot_light_dr(view):
        return 0, "a pilot-light DR site (declared, not running)"
    if _standby(view):
        return int(t["minReplicasWarmStandby"]), "a warm-standby DR site"
    environment = environment or view.environment
    if environment == "mission-critical":
        return int(t["minReplicasMissionCritical"]), "mission-critical"
    if environment == "prod":
        return int(t["minReplicasProd"]), "prod"
    return int(t["minReplicas"]), environment


@rule(
    "PAIF-HA-001",
    title="Endpoints keep enough replicas for their tier",
    severity="high",
    section="§9.2.2 replica table, §9.5.3",
    rationale="A model or embedding endpoint with one replica is down whenever its pod, GPU or "
    "host is; production needs N+1 (2), mission-critical survives simultaneous failures (3), "
    "and no endpoint may fall back to an autoscaler default of 0 (cold start, §9.5.3).",
    remediation="Set modelEndpoints[].replicas.min to at least 2 (prod) or 3 "
    "(mission-critical); every tier keeps at least 1, set explicitly.",
    thresholds={
        "minReplicas": MIN_WARM_REPLICAS,
        "minReplicasProd": REPLICAS_BY_ENVIRONMENT["prod"][0],
        "minReplicasMissionCritical": REPLICAS_BY_ENVIRONMENT["mission-critical"][0],
        "minReplicasWarmStandby": WARM_STANDBY_ENDPOINT_REPLICAS,
    },
)
def endpoint_replicas(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    for ep in endpoints(view):
        # Each endpoint by its tenant's tier (§9.1.1: dev and prod side by side).
        required, why = required_endpoint_replicas(view, t, view.tier_of(ep.resource))
        urn = ep.resource.urn
        if ep.min_replicas is None:
            default = "0 (KEDA default)" if ep.autoscaler is not None else "unset"
            yield Violation(
                f"{ep.label}: {ep.min_source} is not set, so the minimum is {default}; set it "
                f"explicitly to at least {max(required, 1)}",
                urn,
            )
        elif ep.min_replicas < required:
            yield Violation(
                f"{ep.label}: {ep.min_source} is {ep.min_replicas}, below the {required} "
                f"replicas required for {why}",
                urn,
            )


# --- PAIF-HA-008 ----------------------------------------------------------------------------


@rule(
    "PAIF-HA-008",
    title="Endpoints run the recommended replicas for their tier (N+1)",
    severity="low",
    section="§9.2.2 replica table (recommended column)",
    rationale="§9.2.2 recommends 3 replicas in production (N+1: one replica can fail while a "
    "second is drained for maintenance) and 2 in staging; 2 is the mandatory production "
    "minimum (PAIF-HA-001), 3 the recommendation. Every replica holds a GPU, so this is advice, "
    "never a block.",
    remediation="Raise modelEndpoints[].replicas.min to the recommended count where the GPU "
    "budget allows, or accept the advisory finding.",
    thresholds={
        "recommendedReplicas": REPLICAS_BY_ENVIRONMENT["dev"][1],
        "recommendedReplicasStaging": REPLICAS_BY_ENVIRONMENT["staging"][1],
        "recommendedReplicasProd": REPLICAS_BY_ENVIRONMENT["prod"][1],
        "recommendedReplicasMissionCritical": REPLICAS_BY_ENVIRONMENT["mission-critical"][1],
    },
)
def recommended_replicas(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    if _pilot_light_dr(view) or _standby(view):
        return  # a standby DR site runs reduced by design (§9.3.3)
    for ep in endpoints(view):
        environment = view.tier_of(ep.resource)
        key = {
            "staging": "recommendedReplicasStaging",
            "prod": "recommendedReplicasProd",
            "mission-critical": "recommendedReplicasMissionCritical",
        }.get(environment, "recommendedReplicas")
        recommended = int(t[key])
        required = REPLICAS_BY_ENVIRONMENT.get(environment, REPLICAS_BY_ENVIRONMENT["dev"])[0]
        low = ep.min_replicas
        # Below the tier's minimum is PAIF-HA-001's finding, not a recommendation.
        if low is not None and required <= low < recommended:
            yield Violation(
                f"{ep.label}: {ep.min_source} is {low}, below the {recommended} replicas "
                f"§9.2.2 recommends for {environment} (N+1; {required} is the minimum)",
                ep.resource.urn,
            )


# --- PAIF-HA-002 ----------------------------------------------------------------------------


def _spread_across_hosts(spec: Mapping[str, Any], keys: list[str]) -> bool:
    for constraint in spec.get("topologySpreadConstraints") or []:
        if (
            constraint.get("topologyKey") in keys
            and constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
        ):
            return True
    required = get_path(
        spec, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    )
    return any(term.get("topologyKey") in keys for term in required or [])


def _budget_keeps(spec: Mapping[str, Any], min_replicas: int | None, floor: int) -> bool:
    min_available = spec.get("minAvailable")
    if min_available is not None:
        text = str(min_available).strip()
        if text.endswith("%"):
            percent = as_number(text[:-1])
            return percent is not None and percent > 0
        count = as_int(min_available)
        return count is not None and count >= floor
    max_unavailable = as_int(spec.get("maxUnavailable"))
    if max_unavailable is not None and min_replicas is not None:
        return min_replicas - max_unavailable >= floor
    return False


@rule(
    "PAIF-HA-002",
    title="Endpoint replicas spread across hosts and keep a disruption budget",
    severity="medium",
    section="§9.2.2 (replicas on hosts A, B, C)",
    rationale="Replicas on the same ESXi host fail together; §9.2.2 places them on hosts A, B "
    "and C. A PodDisruptionBudget stops node drains and upgrades from taking every replica "
    "at once. PAIS places and replaces a ModelEndpoint's replicas itself (§9.2.1 layer 3) and "
    "its published API has no placement or disruption field, so the rule holds NIM endpoints "
    "(pods the library describes) and cannot check PAIS's.",
    remediation="Give a NIM endpoint a hard topology spread (or required pod anti-affinity) on "
    "kubernetes.io/hostname and a PodDisruptionBudget selecting its pods with minAvailable ≥ 1 "
    "(the ModelEndpoint component renders both).",
    thresholds={"topologyKeys": [HOSTNAME_TOPOLOGY_KEY], "minAvailable": MIN_WARM_REPLICAS},
)
def endpoint_spread(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    keys = [str(k) for k in t["topologyKeys"]]
    floor = int(t["minAvailable"])
    for ep in endpoints(view):
        if not ep.running or ep.kind == "ModelEndpoint":
            continue  # PAIS places its replicas itself (rationale)
        if not _spread_across_hosts(ep.spec, keys):
            yield Violation(
                f"{ep.label}: replicas are not spread across hosts (no topologySpreadConstraint "
                f"with whenUnsatisfiable DoNotSchedule, nor required podAntiAffinity, on "
                f"{' or '.join(keys)})",
                ep.resource.urn,
            )
        covering = [
            b
            for b in view.kube_in_namespace(
                "PodDisruptionBudget", "policy/", ep.namespace, ep.target
            )
            if selector_matches(get_path(b.props, "spec.selector"), ep.pod_labels)
        ]
        if not covering:
            yield Violation(f"{ep.label}: no PodDisruptionBudget selects its pods", ep.resource.urn)
        elif not any(
            _budget_keeps(b.props.get("spec") or {}, ep.min_replicas, floor) for b in covering
        ):
            names = ", ".join(label(b) for b in covering)
            yield Violation(
                f"{ep.label}: {names} does not keep at least {floor} replica(s) available",
                covering[0].urn,
            )


# --- PAIF-HA-003 / 004: VKS clusters ---------------------------------------------------------


def vks_clusters(view: StackView) -> list[Any]:
    return view.kube("Cluster", CAPI_GROUP)


def _overrides(deployment: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variable in get_path(deployment, "variables.overrides") or []:
        if variable.get("name"):
            out[str(variable.get("name"))] = variable.get("value")
    return out


def is_gpu_pool(deployment: Mapping[str, Any], gpu_classes: set[str]) -> bool:
    """A node pool of GPU nodes: the nvidia.com/gpu taint, or a GPU VM class."""
    overrides = _overrides(deployment)
    taints = get_path(overrides, "node.taints") or []
    if any(taint.get("key") == GPU_RESOURCE for taint in taints):
        return True
    return str(overrides.get("vmClass") or "") in gpu_classes


def pool_floor(deployment: Mapping[str, Any]) -> int | None:
    """Nodes the pool always has: ``replicas``, or the cluster autoscaler's minimum."""
    replicas = as_int(deployment.get("replicas"))
    if replicas is not None:
        return replicas
    annotations = get_path(deployment, "metadata.annotations") or {}
    return as_int(annotations.get(AUTOSCALER_MIN_ANNOTATION))


def vm_classes(view: StackView) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, properties) of every vSphere VM class the stack uses: those it declares, and those
    it references (``paif:ownership``), which the site lists with the profile each is named
    after (PaifSite ``referencedVmClasses``)."""
    out = [
        (str(c.props.get("name") or c.name), c.props)
        for c in view.of_type("vsphere:index/virtualMachineClass:VirtualMachineClass")
    ]
    for listed in view.facts.referenced_vm_classes or ():
        if hasattr(listed, "get") and listed.get("name"):
            out.append((str(listed["name"]), listed))
    return out


def gpu_vm_classes(view: StackView) -> set[str]:
    """Names of the vSphere VM classes with vGPU devices (and passthrough class names)."""
    return {name for name, props in vm_classes(view) if props.get("vgpuDevices")}


@rule(
    "PAIF-HA-003",
    title="VKS control plane has 3 nodes in production",
    severity="high",
    section="§9.2.4",
    rationale="A control plane of one node loses the cluster API with that node; three keep "
    "etcd quorum through one failure (VKS deploys 3 for production).",
    remediation="Set vksClusters[].controlPlaneReplicas to 3.",
    thresholds={"controlPlaneReplicas": VKS_CONTROL_PLANE_REPLICAS},
)
def control_plane(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    expected = int(t["controlPlaneReplicas"])
    for cluster in vks_clusters(view):
        if not view.production(cluster):
            continue
        replicas = as_int(get_path(cluster.props, "spec.topology.controlPlane.replicas"))
        if replicas is None:
            yield Violation(
                f"{label(cluster)}: spec.topology.controlPlane.replicas is not set; set it to "
                f"{expected}",
                cluster.urn,
            )
        elif replicas != expected:
            yield Violation(
                f"{label(cluster)}: control plane has {replicas} node(s); production needs "
                f"exactly {expected}",
                cluster.urn,
            )


@rule(
    "PAIF-HA-004",
    title="VKS clusters have at least 3 workers and GPU pools at least 2 nodes in production",
    severity="medium",
    section="§9.2.4 (workers); GPU pool size: project default",
    rationale="Pods are rescheduled only if other nodes have room: §9.2.4 recommends at least "
    "3 workers, so a cluster can lose one. The source names no GPU pool size; 2 nodes is a "
    "project default, because a GPU pool of one node loses every GPU workload with that node.",
    remediation="Give each production VKS cluster node pools totalling at least 3 workers "
    "(minReplicas for autoscaled pools) and every GPU pool at least 2 nodes.",
    thresholds={
        "minWorkers": VKS_MIN_WORKERS,
        "minGpuPoolNodes": VKS_MIN_GPU_POOL_NODES,
        "minWorkersWarmStandby": WARM_STANDBY_VKS_WORKERS,
        "minGpuPoolNodesWarmStandby": MIN_WARM_REPLICAS,
    },
)
def workers(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    standby = _standby(view)
    min_workers = int(t["minWorkersWarmStandby"] if standby else t["minWorkers"])
    min_gpu = int(t["minGpuPoolNodesWarmStandby"] if standby else t["minGpuPoolNodes"])
    role = " at a warm-standby DR site" if standby else ""
    gpu_classes = gpu_vm_classes(view)
    for cluster in vks_clusters(view):
        if not view.production(cluster):
            continue
        deployments = get_path(cluster.props, "spec.topology.workers.machineDeployments") or []
        total = 0
        for deployment in deployments:
            floor = pool_floor(deployment) or 0
            total += floor
            if is_gpu_pool(deployment, gpu_classes) and floor < min_gpu:
                yield Violation(
                    f"{label(cluster)}: GPU pool '{deployment.get('name')}' has {floor} "
                    f"node(s) at minimum; it needs at least {min_gpu}{role}",
                    cluster.urn,
                )
        if total < min_workers:
            yield Violation(
                f"{label(cluster)}: {total} worker node(s) at minimum; production needs at "
                f"least {min_workers}{role}",
                cluster.urn,
            )


# --- PAIF-HA-005: app Deployments ------------------------------------------------------------


def _container_problems(container: Mapping[str, Any]) -> list[str]:
    problems = []
    for probe in ("livenessProbe", "readinessProbe"):
        if not container.get(probe):
            problems.append(f"no {probe}")
    for part in ("requests", "limits"):
        values = get_path(container, f"resources.{part}") or {}
        missing = [k for k in ("cpu", "memory") if not values.get(k)]
        if missing:
            problems.append(f"no resources.{part}.{' or '.join(missing)}")
    return problems


@rule(
    "PAIF-HA-005",
    title="App Deployments run 2+ replicas with probes and resource requests and limits",
    severity="medium",
    section="§9.2.4, §9.7.1 app",
    rationale="A Deployment of one replica is down during every restart; without liveness "
    "and readiness probes Kubernetes cannot replace a hung pod or keep traffic off a "
    "starting one; without requests and limits the scheduler cannot place pods safely.",
    remediation="Set apps[].replicas ≥ 2 and keep liveness, readiness, requestsCpu/"
    "requestsMemory and limitsCpu/limitsMemory set (the App defaults do).",
    thresholds={
        "minReplicas": APP_MIN_REPLICAS,
        "minReplicasWarmStandby": WARM_STANDBY_ENDPOINT_REPLICAS,
    },
)
def app_deployments(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    minimum = int(t["minReplicasWarmStandby"] if _standby(view) else t["minReplicas"])
    for deployment in view.kube("Deployment", "apps/"):
        spec = deployment.props.get("spec") or {}
        replicas = as_int(spec.get("replicas"), 1)  # Kubernetes defaults replicas to 1
        if view.production(deployment) and replicas is not None and replicas < minimum:
            yield Violation(
                f"{label(deployment)}: {replicas} replica(s); production needs at least {minimum}",
                deployment.urn,
            )
        for container in get_path(spec, "template.spec.containers") or []:
            problems = _container_problems(container)
            if problems:
                yield Violation(
                    f"{label(deployment)}: container '{container.get('name')}' has "
                    + ", ".join(problems),
                    deployment.urn,
                )


# --- PAIF-HA-006: pgvector ------------------------------------------------------------------


@rule(
    "PAIF-HA-006",
    title="pgvector databases run in DSM HA (primary + standby) in production",
    severity="high",
    section="§9.2.3",
    rationale="A single PostgreSQL server stops vector search (and RAG) whenever it fails; DSM "
    "HA keeps a standby it promotes automatically behind the same VIP.",
    remediation="Set databases[].ha: true (DSM PostgresCluster spec.replicas: 1, i.e. one "
    "primary, one replica and the monitor).",
    thresholds={"minStandbyReplicas": 1},
)
def pgvector_ha(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    minimum = int(t["minStandbyReplicas"])
    for cluster in view.kube("PostgresCluster", DSM_GROUP):
        if not view.production(cluster):
            continue
        replicas = as_int(get_path(cluster.props, "spec.replicas"), 0)
        if replicas is None or replicas < minimum:
            yield Violation(
                f"{label(cluster)}: spec.replicas is {replicas}, a single server with no "
                f"standby; production needs at least {minimum} replica",
                cluster.urn,
            )


# --- PAIF-HA-007: vSphere HA on the GPU cluster ----------------------------------------------


def _prop(props: Mapping[str, Any], key: str) -> Any:
    value = props.get(key)
    return _VSPHERE_DEFAULTS.get(key) if value is None else value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def reserved_hosts(props: Mapping[str, Any]) -> float:
    """Hosts' worth of capacity vSphere HA admission control keeps free."""
    policy = str(_prop(props, "haAdmissionControlPolicy"))
    if policy == "disabled":
        return 0
    if policy == "failoverHosts":
        return float(len(props.get("haAdmissionControlFailoverHostSystemIds") or []))
    tolerance = as_int(_prop(props, "haAdmissionControlHostFailureTolerance"), 0) or 0
    if policy == "resourcePercentage" and not _flag(
        _prop(props, "haAdmissionControlResourcePercentageAutoCompute")
    ):
        hosts = len(props.get("hostSystemIds") or [])
        cpu = as_number(props.get("haAdmissionControlResourcePercentageCpu")) or 0
        memory = as_number(props.get("haAdmissionControlResourcePercentageMemory")) or 0
        if hosts == 0:
            return 0
        return min(cpu, memory) / 100 * hosts
    return float(tolerance)


@rule(
    "PAIF-HA-007",
    title="GPU cluster: vSphere HA on, admission control reserves a host, DRS on",
    severity="high",
    section="§9.2.1 layer 1",
    rationale="vSphere HA is the first of the three layers: it restarts a failed host's VMs "
    "elsewhere, which only works if admission control kept a host's worth of capacity free; "
    "DRS rebalances the GPU VMs afterwards.",
    remediation="Set haEnabled and drsEnabled on the ComputeCluster, and admission control "
    "(resourcePercentage with haAdmissionControlHostFailureTolerance ≥ 1, or failover hosts).",
    thresholds={"minReservedHosts": 1},
)
def vsphere_ha(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    minimum = float(t["minReservedHosts"])
    for cluster in view.of_type(COMPUTE_CLUSTER_TYPE):
        props = cluster.props
        name = props.get("name") or cluster.name
        problems = []
        if not _flag(_prop(props, "haEnabled")):
            problems.append("vSphere HA is off (haEnabled)")
        else:
            reserved = reserved_hosts(props)
            if reserved < minimum:
                policy = _prop(props, "haAdmissionControlPolicy")
                problems.append(
                    f"admission control ({policy}) reserves {reserved:g} host(s), fewer than "
                    f"{minimum:g}"
                )
        if not _flag(_prop(props, "drsEnabled")):
            problems.append("DRS is off (drsEnabled)")
        if problems:
            yield Violation(f"ComputeCluster {name}: " + "; ".join(problems), cluster.urn)
