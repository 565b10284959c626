"""Multi-tenancy (§9.4): every tenant namespace is fenced by quota, network policy and Harbor RBAC.

A tenant namespace is a Supervisor namespace (``vsphere.Namespace``), a tenant the site
declares (``tenants`` on the PaifSite, when it lists them), or a ``Namespace`` object the
stack creates in a tenant's VKS cluster; the tenant's name, which is also its Harbor project,
comes from that declaration or from the ``paif.vmware.com/tenant`` label.

Namespaces are judged per target: each Kubernetes object names the API it is applied to with
the ``paif.vmware.com/target`` annotation (``supervisor``, or a VKS cluster's name; an object
without it is taken to be on the Supervisor). A quota or policy in the Supervisor namespace
``marketing-ns`` says nothing about the namespace of the same name in VKS cluster
``marketing-apps``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from paif_components.constants import MARKETING_QUOTA
from paif_components.context import SUPERVISOR_TARGET
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_policies.registry import Violation, rule
from paif_policies.view import StackView, get_path, label, target_of

VSPHERE_NAMESPACE_TYPE = tokens.VSPHERE_NAMESPACE
KUBERNETES_NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
HARBOR_PROJECT_TYPE = tokens.HARBOR_PROJECT
HARBOR_MEMBER_GROUP_TYPE = tokens.HARBOR_PROJECT_MEMBER_GROUP
# The library's Harbor project component (paif_components.harbor_registry.HARBOR_PROJECT_TYPE).
HARBOR_PROJECT_COMPONENT = tokens.PAIF_HARBOR_PROJECT
# §9.4.3: the quota keys of the marketing-ns example are what every tenant quota must bound.
REQUIRED_QUOTA_KEYS = list(MARKETING_QUOTA)


@dataclass(frozen=True)
class TenantNamespace:
    """A tenant's namespace: its name, the tenant (if known), the resource to blame and the
    Kubernetes API it lives in."""

    namespace: str
    tenant: str | None
    urn: str | None
    target: str = SUPERVISOR_TARGET

    @property
    def where(self) -> str:
        """How messages name it: ``namespace t-ns`` or ``… of VKS cluster c``."""
        if self.target == SUPERVISOR_TARGET:
            return f"namespace {self.namespace}"
        return f"namespace {self.namespace} of VKS cluster {self.target}"


def _labelled_tenant(view: StackView, namespace: str) -> str | None:
    for resource in view.resources:
        if not resource.resource_type.startswith("kubernetes:"):
            continue
        metadata = resource.props.get("metadata") or {}
        if metadata.get("namespace") != namespace:
            continue
        tenant = (metadata.get("labels") or {}).get(TENANT_LABEL)
        if tenant:
            return str(tenant)
    return None


def _declared(tenants: Any) -> list[tuple[str | None, str]]:
    """(tenant, namespace) pairs the site declares: ``[{name, namespace}]`` or
    ``{tenant: {namespace, ...}}`` (the shape of PaifSite's ``tenants`` output)."""
    pairs: list[tuple[str | None, str]] = []
    if tenants is None:
        return pairs
    entries: list[tuple[str | None, Any]]
    if hasattr(tenants, "items"):
        entries = [(str(k), v) for k, v in tenants.items()]
    else:
        entries = [(None, v) for v in tenants]
    for name, value in entries:
        if not hasattr(value, "get"):
            continue
        namespace = value.get("namespace")
        tenant = value.get("name") or value.get("tenant") or name
        if namespace:
            pairs.append((str(tenant) if tenant else None, str(namespace)))
    return pairs


def supervisor_namespaces(view: StackView) -> list[TenantNamespace]:
    """Every tenant namespace of the Supervisor, declared or realised, sorted by name."""
    found: dict[str, TenantNamespace] = {}
    for name, namespace in _declared(view.site.get("tenants")):
        found[namespace] = TenantNamespace(namespace, name, view.site_urn)
    for resource in view.of_type(VSPHERE_NAMESPACE_TYPE):
        namespace = str(resource.props.get("name") or resource.name)
        known = found.get(namespace)
        tenant = known.tenant if known else None
        found[namespace] = TenantNamespace(
            namespace, tenant or _labelled_tenant(view, namespace), resource.urn
        )
    return [found[k] for k in sorted(found)]


def cluster_namespaces(view: StackView) -> list[TenantNamespace]:
    """Every namespace the stack creates in a VKS cluster, sorted by cluster and name."""
    found = []
    for resource in view.kube("Namespace", "v1"):
        target = target_of(resource)
        if target == SUPERVISOR_TARGET:
            continue
        name = str(get_path(resource.props, "metadata.name") or resource.name)
        tenant = (get_path(resource.props, "metadata.labels") or {}).get(TENANT_LABEL)
        found.append(TenantNamespace(name, str(tenant) if tenant else None, resource.urn, target))
    return sorted(found, key=lambda ns: (ns.target, ns.namespace))


def tenant_namespaces(view: StackView) -> list[TenantNamespace]:
    """The Supervisor's tenant namespaces, then those in the tenants' VKS clusters."""
    return [*supervisor_namespaces(view), *cluster_namespaces(view)]


def _in_namespace(view: StackView, kind: str, api_prefix: str, ns: TenantNamespace) -> list[Any]:
    """Objects of ``kind`` in the namespace, in its own Kubernetes API only."""
    return view.kube_in_namespace(kind, api_prefix, ns.namespace, ns.target)


def has_container_defaults(limit_range: Mapping[str, Any]) -> bool:
    """A LimitRange giving containers a default CPU and memory limit and request."""
    for item in get_path(limit_range, "spec.limits") or []:
        if item.get("type") != "Container":
            continue
        default, request = item.get("default") or {}, item.get("defaultRequest") or {}
        if all(k in default and k in request for k in ("cpu", "memory")):
            return True
    return False


@rule(
    "PAIF-MT-001",
    title="Every tenant namespace has a ResourceQuota bounding GPUs, compute and storage, and "
    "container defaults",
    severity="high",
    section="§9.4.3",
    rationale="Tenants share one GPU pool; without a quota one tenant's scale-out starves the "
    "others. §9.4.3 bounds GPUs, CPU, memory, storage, PVCs, pods and services. Under a CPU and "
    "memory quota Kubernetes refuses pods that state no requests and limits, so a LimitRange "
    "gives containers defaults. A VKS cluster is an API of its own: its namespaces need their "
    "own quota and limits.",
    remediation="Declare tenants[].quota (gpu, requestsCpu, requestsMemory, limitsCpu, "
    "limitsMemory, requestsStorage, persistentVolumeClaims, pods, services); the "
    "SupervisorNamespace component renders it as a ResourceQuota and LimitRange, and TenantApps "
    "renders tenants[].appNamespace (quota, limits) in each app namespace of a VKS cluster.",
    thresholds={"requiredKeys": REQUIRED_QUOTA_KEYS},
)
def quotas(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    required = [str(k) for k in t["requiredKeys"]]
    for ns in tenant_namespaces(view):
        if not any(
            has_container_defaults(r.props) for r in _in_namespace(view, "LimitRange", "v1", ns)
        ):
            yield Violation(
                f"{ns.where}: no LimitRange gives containers a default CPU and memory limit "
                "and request",
                ns.urn,
            )
        found = _in_namespace(view, "ResourceQuota", "v1", ns)
        if not found:
            yield Violation(f"{ns.where}: no ResourceQuota", ns.urn)
            continue
        bounded: set[str] = set()
        for quota in found:
            bounded.update(str(k) for k in (get_path(quota.props, "spec.hard") or {}))
        missing = [k for k in required if k not in bounded]
        if missing:
            names = ", ".join(label(q) for q in found)
            yield Violation(
                f"{ns.where}: {names} does not bound {', '.join(missing)}",
                found[0].urn,
            )


def _selects_everything(selector: Any) -> bool:
    if selector is None:
        return False
    return not (selector.get("matchLabels") or selector.get("matchExpressions"))


def denied_directions(policy: Mapping[str, Any]) -> set[str]:
    """Directions a NetworkPolicy denies for every pod of its namespace by default."""
    spec = policy.get("spec") or {}
    if not _selects_everything(spec.get("podSelector")):
        return set()
    types = [str(t) for t in spec.get("policyTypes") or []]
    if not types:  # Kubernetes: Ingress, plus Egress if egress rules are given
        types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    denied = set()
    if "Ingress" in types and not spec.get("ingress"):
        denied.add("Ingress")
    if "Egress" in types and not spec.get("egress"):
        denied.add("Egress")
    return denied


@rule(
    "PAIF-MT-002",
    title="Every tenant namespace has a default-deny NetworkPolicy",
    severity="high",
    section="§9.6.1, §9.6.3",
    rationale="Micro-segmentation starts from deny: without a default-deny policy every pod of "
    "a tenant can reach every other pod, and the allowed flows (app → AI services → "
    "database) mean nothing.",
    remediation="Keep the 'default-deny' NetworkPolicy (podSelector {}, policyTypes Ingress "
    "and Egress, no rules) that SupervisorNamespace and TenantApps render in every namespace, in "
    "the Supervisor and in each VKS cluster, and add allowed flows beside it.",
    thresholds={"directions": ["Ingress", "Egress"]},
)
def default_deny(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    wanted = [str(d) for d in t["directions"]]
    for ns in tenant_namespaces(view):
        denied: set[str] = set()
        for policy in _in_namespace(view, "NetworkPolicy", "networking.k8s.io/", ns):
            denied |= denied_directions(policy.props)
        missing = [d for d in wanted if d not in denied]
        if missing:
            yield Violation(
                f"{ns.where}: no NetworkPolicy denies {' and '.join(missing)} "
                "by default (podSelector {} with no rules)",
                ns.urn,
            )


def _member_groups(view: StackView) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Member groups (by position) per URN they depend on and per HarborProject component."""
    by_dependency: dict[str, list[int]] = {}
    by_component: dict[str, list[int]] = {}
    for index, member in enumerate(view.of_type(HARBOR_MEMBER_GROUP_TYPE)):
        for d in {getattr(d, "urn", d) for d in getattr(member, "dependencies", None) or []}:
            by_dependency.setdefault(d, []).append(index)
        component = view.component_of(member, HARBOR_PROJECT_COMPONENT)
        if component is not None:
            by_component.setdefault(component.urn, []).append(index)
    return by_dependency, by_component


def _member_groups_of(view: StackView, project: Any) -> list[Any]:
    component = view.component_of(project, HARBOR_PROJECT_COMPONENT)
    by_dependency, by_component = view.memo("harbor-member-groups", lambda: _member_groups(view))
    found = set(by_dependency.get(project.urn, []))
    if component is not None:
        found.update(by_component.get(component.urn, []))
    members = view.of_type(HARBOR_MEMBER_GROUP_TYPE)
    return [members[i] for i in sorted(found)]


@rule(
    "PAIF-MT-003",
    title="Every tenant has its own Harbor project with RBAC from OIDC groups",
    severity="medium",
    section="§9.4.1, §9.8 item 3",
    rationale="Harbor is shared; project permissions are what keeps one tenant's models from "
    "another (§9.8 item 3), and mapping OIDC groups keeps access in the identity provider.",
    remediation="Give each tenant oidcGroups (admin/edit/view); the HarborProject component "
    "creates the tenant's project and maps the groups as OIDC member groups.",
)
def harbor_projects(view: StackView, t: Mapping[str, Any]) -> Iterator[Violation]:
    projects = {str(p.props.get("name") or p.name): p for p in view.of_type(HARBOR_PROJECT_TYPE)}
    for ns in supervisor_namespaces(view):
        if ns.tenant is None:
            yield Violation(
                f"namespace {ns.namespace}: no tenant can be told for it (no object labelled "
                f"{TENANT_LABEL}), so no Harbor project can be matched",
                ns.urn,
            )
            continue
        project = projects.get(ns.tenant)
        if project is None:
            yield Violation(f"tenant {ns.tenant}: no Harbor project '{ns.tenant}'", ns.urn)
            continue
        groups = [
            m
            for m in _member_groups_of(view, project)
            if str(m.props.get("type") or "").lower() == "oidc"
        ]
        if not groups:
            yield Violation(
                f"tenant {ns.tenant}: Harbor project '{ns.tenant}' maps no OIDC group "
                "(ProjectMemberGroup type oidc)",
                project.urn,
            )
