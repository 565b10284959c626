"""The stack as rules see it: :class:`StackView` over the resources of one ``AnalyzeStack`` call
(pulumi-policy's resources, or look-alikes), the site's facts, lookups computed once per view,
and what the components declare as rules look it up (endpoints and their scaling).

Props may be the runtime's read-only proxies: read them with ``get``/``items``/iteration only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, overload

from paif_components.context import SUPERVISOR_TARGET, TARGET_ANNOTATION
from paif_components.contract import tokens
from paif_components.contract.annotations import (
    ENVIRONMENT_LABEL,
    PAIS_DATABASE_AT_FAILOVER,
    REPLICAS_ANNOTATION,
)
from paif_components.contract.estimates import Estimates
from paif_components.contract.site_facts import SiteFacts

__all__ = [
    "CAPI_GROUP",
    "DSM_GROUP",
    "ENVIRONMENT_LABEL",
    "HOSTNAME_TOPOLOGY_KEY",
    "KEDA_GROUP",
    "MONITORING_GROUP",
    "NIM_GROUP",
    "PAIS_DATABASE_AT_FAILOVER",
    "PAIS_GROUP",
    "PRODUCTION_TIERS",
    "REPLICAS_ANNOTATION",
    "SITE_TYPE",
    "TENANT_TYPE",
    "Endpoint",
    "StackView",
    "as_int",
    "as_number",
    "endpoints",
    "get_path",
    "label",
    "recorded_replicas",
    "selector_matches",
    "target_of",
]

SITE_TYPE = tokens.PAIF_SITE
# The tenant component: it carries the tenant's own tier (paif_components.tenant).
TENANT_TYPE = tokens.PAIF_TENANT
PRODUCTION_TIERS = frozenset({"prod", "mission-critical"})


class StackView:
    """Read-only helpers over the stack's resources (PolicyResource objects or look-alikes).

    Props may be the runtime's read-only proxies: use ``get``/``items``/iteration only.
    """

    def __init__(self, resources: Iterable[Any]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._site = next((r for r in self.resources if r.resource_type == SITE_TYPE), None)
        # Lookups rules repeat per endpoint or tenant: computed once per view, so that a rule
        # stays linear in the stack's size (docs/benchmarks.md).
        self._kube: dict[tuple[str, str], list[Any]] = {}
        self._kube_by_namespace: dict[tuple[str, str], dict[Any, list[Any]]] = {}
        self._of_type: dict[tuple[str, ...], list[Any]] = {}
        self._memo: dict[str, Any] = {}
        # ScaledObjects by (namespace, name): props, so any value (None included) may key them.
        self._scalers: dict[str, dict[tuple[Any, Any], list[Any]]] | None = None

    # site-wide facts
    @property
    def site(self) -> Mapping[str, Any]:
        return self._site.props if self._site is not None else {}

    @property
    def facts(self) -> SiteFacts:
        """The site's own facts, typed (``paif_components.contract.site_facts``), read once
        per view; what the site does not carry reads as None or empty."""
        found = self._memo.get("site.facts")
        if not isinstance(found, SiteFacts):
            found = self._memo["site.facts"] = SiteFacts.from_props(self.site)
        return found

    @property
    def estimates(self) -> Estimates:
        """The site's DR estimate, typed (``paif_components.contract.estimates``; empty when
        the site carries none)."""
        return self.facts.estimates

    @property
    def site_urn(self) -> str | None:
        return self._site.urn if self._site is not None else None

    @property
    def environment(self) -> str:
        return self.facts.environment or "dev"

    @property
    def is_production(self) -> bool:
        """The stack's own tier (``paif:environment``): what site-wide objects are judged by."""
        return self.environment in PRODUCTION_TIERS

    def tier_of(self, resource: Any | None) -> str:
        """The tier a resource is judged by (§9.1.1: dev and production side by side): the
        ``paif.vmware.com/environment`` label a component put on a Kubernetes object, else its
        tenant's (``paif:tenants[].environment``, on the tenant component), else the stack's."""
        if resource is None:
            return self.environment
        labels: Any = (
            get_path(resource.props, "metadata.labels") if hasattr(resource, "props") else None
        )
        tier = labels.get(ENVIRONMENT_LABEL) if hasattr(labels, "get") else None
        if isinstance(tier, str) and tier:
            return tier
        tenant = self.component_of(resource, TENANT_TYPE)
        if tenant is not None:
            own = tenant.props.get("environment")
            if isinstance(own, str) and own:
                return own
        return self.environment

    def production(self, resource: Any | None) -> bool:
        """Whether ``resource`` is judged as production (its own tier, :meth:`tier_of`)."""
        return self.tier_of(resource) in PRODUCTION_TIERS

    def tier_of_urn(self, urn: str | None) -> str:
        return self.tier_of(self.by_urn.get(urn or ""))

    @property
    def dr_pattern(self) -> str:
        return self.facts.dr_pattern or "none"

    @property
    def dr_role(self) -> str:
        return self.facts.dr_role or "primary"

    @property
    def part(self) -> str:
        """What this stack builds of a split site (``paif:layout``): ``platform`` (the site's
        own objects) or ``tenants`` (a tenant group); ``whole`` when the site is one stack (and
        when ``paif plan`` gates a split site's stacks together)."""
        return str((self.facts.layout or {}).get("part") or "whole")

    @property
    def projects_elsewhere(self) -> frozenset[str]:
        """Harbor projects the other stacks of a split site declare."""
        layout = self.facts.layout or {}
        return frozenset(str(p) for p in layout.get("projectsElsewhere") or [])

    # resources
    def of_type(self, *types: str) -> list[Any]:
        if types not in self._of_type:
            self._of_type[types] = [r for r in self.resources if r.resource_type in types]
        return list(self._of_type[types])

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per view: for indexes a rule would otherwise rebuild per item."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def kube(self, kind: str, api_version_prefix: str = "") -> list[Any]:
        """Kubernetes objects by kind (typed resources and CustomResources alike)."""
        key = (kind, api_version_prefix)
        if key not in self._kube:
            self._kube[key] = [
                r
                for r in self.memo("kube-by-kind", self._kube_by_kind).get(kind, [])
                if str(r.props.get("apiVersion", "")).startswith(api_version_prefix)
            ]
        return list(self._kube[key])

    def _kube_by_kind(self) -> dict[str, list[Any]]:
        """Kubernetes objects by their (string) kind, in stack order: one pass for all kinds."""
        index: dict[str, list[Any]] = {}
        for r in self.resources:
            if r.resource_type.startswith("kubernetes:"):
                kind = r.props.get("kind")
                if isinstance(kind, str):
                    index.setdefault(kind, []).append(r)
        return index

    def kube_in_namespace(
        self, kind: str, api_version_prefix: str, namespace: Any, target: str | None = None
    ) -> list[Any]:
        """``kube(kind, prefix)`` restricted to one ``metadata.namespace`` (and, when given, one
        target API: a namespace of the Supervisor is not the one of the same name in a VKS
        cluster), in stack order."""
        key = (kind, api_version_prefix)
        if key not in self._kube_by_namespace:
            index: dict[Any, list[Any]] = {}
            for r in self.kube(kind, api_version_prefix):
                index.setdefault(get_path(r.props, "metadata.namespace"), []).append(r)
            self._kube_by_namespace[key] = index
        found = self._kube_by_namespace[key].get(namespace, [])
        return [r for r in found if target is None or target_of(r) == target]

    def children(self, parent_urn: str) -> list[Any]:
        return [r for r in self.resources if _parent_urn(r) == parent_urn]

    def ancestors(self, resource: Any) -> Iterator[Any]:
        current = self.by_urn.get(_parent_urn(resource) or "")
        while current is not None:
            yield current
            current = self.by_urn.get(_parent_urn(current) or "")

    def component_of(self, resource: Any, type_: str) -> Any | None:
        return next((a for a in self.ancestors(resource) if a.resource_type == type_), None)


def _parent_urn(resource: Any) -> str | None:
    parent = getattr(resource, "parent", None)
    if parent is None:
        return None
    return parent if isinstance(parent, str) else getattr(parent, "urn", None)


@functools.lru_cache(maxsize=1024)
def _path_parts(path: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^.\[\]]+|\[\d+\]", path))


def get_path(value: Any, path: str, default: Any = None) -> Any:
    """``get_path(props, "spec.scale.hpa.minReplicas")`` over mappings and sequences."""
    current = value
    for part in _path_parts(path):
        if part.startswith("["):
            index = int(part[1:-1])
            try:
                current = current[index]
            except (IndexError, KeyError, TypeError):
                return default
        else:
            try:
                current = current.get(part)
            except AttributeError:
                return default
        if current is None:
            return default
    return current


def as_number(value: Any) -> float | None:
    """A prop as a number (ints arrive as floats, quantities like ``"3"`` as strings)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


@overload
def as_int(value: Any, default: int) -> int: ...
@overload
def as_int(value: Any, default: None = None) -> int | None: ...
def as_int(value: Any, default: int | None = None) -> int | None:
    """``as_number`` for counts: 3.0 and ``"3"`` are 3; anything else is ``default``."""
    number = as_number(value)
    if number is None or not number.is_integer():
        return default
    return int(number)


def target_of(resource: Any) -> str:
    """The Kubernetes API an object is applied to: its ``paif.vmware.com/target`` annotation
    (``supervisor`` or a VKS cluster's name); an object without one is on the Supervisor."""
    annotations = get_path(resource.props, "metadata.annotations") or {}
    target = annotations.get(TARGET_ANNOTATION) if hasattr(annotations, "get") else None
    return str(target) if target else SUPERVISOR_TARGET


def label(resource: Any) -> str:
    """How a message names a resource: ``kind namespace/name`` for Kubernetes objects."""
    props = resource.props
    kind = props.get("kind") if resource.resource_type.startswith("kubernetes:") else None
    if kind:
        name = get_path(props, "metadata.name") or resource.name
        namespace = get_path(props, "metadata.namespace")
        return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
    return f"{resource.resource_type.rsplit(':', 1)[-1]} {resource.name}"


# Kubernetes API groups of the custom resources the components render.
PAIS_GROUP = "pais.vmware.com/"
NIM_GROUP = "apps.nvidia.com/"
KEDA_GROUP = "keda.sh/"
CAPI_GROUP = "cluster.x-k8s.io/"
DSM_GROUP = "databases.dataservices.vmware.com/"
MONITORING_GROUP = "monitoring.coreos.com/"
HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname"


@dataclass(frozen=True)
class Endpoint:
    """A model/embedding endpoint (PAIS ModelEndpoint or NVIDIA NIMService) and its scaling.

    ``min_replicas`` is None when nothing sets it explicitly (KEDA's own default is 0);
    ``min_source`` names the field it came from, for messages.
    """

    resource: Any
    kind: str
    name: str
    namespace: str
    min_replicas: int | None
    min_source: str
    max_replicas: int | None
    max_source: str
    autoscaler: Any | None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.resource.props.get("spec") or {}

    @property
    def annotations(self) -> Mapping[str, Any]:
        return get_path(self.resource.props, "metadata.annotations") or {}

    @property
    def pod_labels(self) -> Mapping[str, Any]:
        """Labels of the replica pods: NIM's ``spec.labels``; for PAIS, which publishes no pod
        label field, the labels the ModelEndpoint itself carries."""
        labels = self.spec.get("labels") if self.kind == "NIMService" else None
        return labels or get_path(self.resource.props, "metadata.labels") or {}

    @property
    def running(self) -> bool:
        return self.min_replicas is None or self.min_replicas > 0

    @property
    def target(self) -> str:
        return target_of(self.resource)


def _scaled_objects(view: StackView) -> dict[str, dict[tuple[str, str], list[Any]]]:
    """ScaledObjects by (namespace, target name) and by (namespace, own name), in stack order."""
    if view._scalers is None:
        by_target: dict[tuple[Any, Any], list[Any]] = {}
        by_name: dict[tuple[Any, Any], list[Any]] = {}
        for candidate in view.kube("ScaledObject", KEDA_GROUP):
            props = candidate.props
            namespace = get_path(props, "metadata.namespace")
            target = get_path(props, "spec.scaleTargetRef") or {}
            by_target.setdefault((namespace, target.get("name")), []).append(candidate)
            by_name.setdefault((namespace, get_path(props, "metadata.name")), []).append(candidate)
        view._scalers = {"target": by_target, "name": by_name}
    return view._scalers


def _scaled_object_for(
    view: StackView, kind: str, name: str, namespace: str, api: str
) -> Any | None:
    """The ScaledObject scaling an endpoint: same namespace of the same target API."""
    index = _scaled_objects(view)
    for candidate in index["target"].get((namespace, name), []):
        target = get_path(candidate.props, "spec.scaleTargetRef") or {}
        if target.get("kind") in (kind, None) and target_of(candidate) == api:
            return candidate
    named = [c for c in index["name"].get((namespace, name), []) if target_of(c) == api]
    return named[0] if named else None


def endpoints(view: StackView) -> list[Endpoint]:
    """Every endpoint of the stack, with its effective replica bounds."""
    out: list[Endpoint] = []
    for kind, group in (("ModelEndpoint", PAIS_GROUP), ("NIMService", NIM_GROUP)):
        for resource in view.kube(kind, group):
            props = resource.props
            name = str(get_path(props, "metadata.name") or resource.name)
            namespace = str(get_path(props, "metadata.namespace") or "default")
            spec = props.get("spec") or {}
            scaler = _scaled_object_for(view, kind, name, namespace, target_of(resource))
            hpa = get_path(spec, "scale.hpa") if get_path(spec, "scale.enabled") else None
            if scaler is not None:
                low = as_int(get_path(scaler.props, "spec.minReplicaCount"))
                high = as_int(get_path(scaler.props, "spec.maxReplicaCount"))
                low_src, high_src = "ScaledObject minReplicaCount", "ScaledObject maxReplicaCount"
            elif hpa is not None:
                low, high = as_int(hpa.get("minReplicas")), as_int(hpa.get("maxReplicas"))
                low_src, high_src = "spec.scale.hpa.minReplicas", "spec.scale.hpa.maxReplicas"
            elif kind == "ModelEndpoint":
                # PAIS's published ModelEndpoint has no replica field: the component records
                # the tier's bounds as an annotation ("2..10", "0" when declared only).
                low, high = recorded_replicas(get_path(props, "metadata.annotations") or {})
                low_src = high_src = f"annotation {REPLICAS_ANNOTATION}"
            else:
                low = high = as_int(spec.get("replicas"))
                low_src = high_src = "spec.replicas"
            out.append(
                Endpoint(resource, kind, name, namespace, low, low_src, high, high_src, scaler)
            )
    return out


def recorded_replicas(annotations: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(min, max) from ``paif.vmware.com/replicas`` (``"2..10"`` or ``"0"``); None if unset."""
    text = str(annotations.get(REPLICAS_ANNOTATION) or "").strip()
    low, _, high = text.partition("..")
    return as_int(low), as_int(high or low)


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """A non-empty ``matchLabels`` selector that picks pods with ``labels``."""
    match = (selector or {}).get("matchLabels") or {}
    if not match:
        return False
    return all(labels.get(key) == value for key, value in match.items())
