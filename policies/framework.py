"""How a PAIF rule is written, and how rules become CrossGuard policies.

A rule is one small function over a :class:`StackView` that yields :class:`Violation`s, with an
id, a severity, the section of the source document it enforces and a remediation (cdk-nag style).
Every rule becomes a *stack* policy, so it can see the site's tier, DR role and waivers, which
live on the ``paif:site:PaifSite`` resource, not on the resource at fault.

Enforcement follows the tier of the resource at fault in both engines (§9.1.1: dev and
production side by side): a tenant's objects are judged by the tenant's own tier
(``paif:tenants[].environment``, on its objects' ``paif.vmware.com/environment`` label and its
tenant component), everything else by ``paif:environment``. A rule's own policy reports only
findings that are mandatory (a production tier, not waived, severity above low);
the advisory policy ``PAIF-ADVISORY`` reports the rest that is not waived, each message starting
with its rule id. Pack config can still override any policy's enforcement level, as the CLI
allows.

Waived findings are never violations. The engine fails a preview on any diagnostic at mandatory
level and knows nothing of waivers, and pack config (``{"all": "mandatory"}``) can make any
policy mandatory; so ``PAIF-WAIVED`` lists them through the protocol's *not applicable* answer
(``PolicyNotApplicable.reason``, one line per finding), which no config turns into a failure.

Thresholds are each rule policy's own config. The engine hands a policy only its own config,
so the rule policy computes every finding with its thresholds and passes the non-mandatory
ones to ``PAIF-ADVISORY`` (which runs last in the same ``AnalyzeStack`` call) instead of the
advisory policy recomputing them with defaults. A rule disabled by pack config therefore
reports nothing at all, in neither policy.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.context import SUPERVISOR_TARGET, TARGET_ANNOTATION

SITE_TYPE = "paif:site:PaifSite"
# components.tenant.TENANT_TYPE, and the label every object of a site carries with its tier
# (components.context.SiteContext.labels; a tenant's objects carry the tenant's own tier).
TENANT_TYPE = "paif:tenancy:Tenant"
# components.tenant.PAIS_DATABASE_AT_FAILOVER: on a tenant component whose PAIS waits for its
# state database, restored at this site at failover.
PAIS_DATABASE_AT_FAILOVER = "paisDatabaseAtFailover"
ENVIRONMENT_LABEL = "paif.vmware.com/environment"
ADVISORY_POLICY = "PAIF-ADVISORY"
WAIVED_POLICY = "PAIF-WAIVED"
# Joins a waived finding's message and its resource in PAIF-WAIVED's reason lines.
WAIVED_RESOURCE_MARK = " \u2014 resource "
SEVERITIES = ("critical", "high", "medium", "low")
PRODUCTION_TIERS = frozenset({"prod", "mission-critical"})
_MESSAGE_RE = re.compile(r"^\[(?P<rule>PAIF-[A-Z]+-\d{3})\]\s(?P<rest>.*)$", re.S)
# Rule id area -> tags on the policy (SARIF rule tags; "security" marks security alerts).
AREA_TAGS: dict[str, tuple[str, ...]] = {
    "HA": ("availability",),
    "DR": ("disaster-recovery",),
    "MT": ("multi-tenancy", "security"),
    "CAP": ("capacity",),
    "SEC": ("security",),
    "DATA": ("data-safety",),
    "GOV": ("governance",),
    "OPS": ("operations",),
}
_SEVERITY_ENUM = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}


DISTRIBUTION = "paif-pulumi"
# The catalogue's place in the repository, below the URL pyproject.toml's [project.urls] gives.
CATALOGUE_FILE = "docs/policies.md"


def project_urls(entries: Sequence[str] | None = None) -> dict[str, str]:
    """pyproject.toml's ``[project.urls]`` by lower-case label.

    ``entries``: ``Project-URL`` metadata lines (``"Label, URL"``); default: the installed
    distribution's, which is what pyproject.toml says (the pack shipped alone installs the
    distribution too, through its requirements.txt).
    """
    if entries is None:
        try:
            entries = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
        except metadata.PackageNotFoundError:
            entries = []
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    return urls


def repository_url(urls: Mapping[str, str]) -> str | None:
    """The ``Repository`` (or ``Source``, or ``Homepage``) URL, or ``None``."""
    return urls.get("repository") or urls.get("source") or urls.get("homepage")


def catalogue_url(urls: Mapping[str, str]) -> str | None:
    """Where ``docs/policies.md`` is published: the ``Policies`` URL, else the catalogue file
    below the ``Repository`` (or ``Source``) URL; ``None`` when the project names neither,
    and then reports link nowhere rather than to a guess."""
    if "policies" in urls:
        return urls["policies"]
    repository = urls.get("repository") or urls.get("source")
    return f"{repository.rstrip('/')}/blob/HEAD/{CATALOGUE_FILE}" if repository else None


@functools.cache
def docs_url() -> str | None:
    """:func:`catalogue_url` of the installed distribution (read once per process)."""
    return catalogue_url(project_urls())


def doc_link(anchor: str) -> str | None:
    """A link to one section of the catalogue, or ``None`` when it is published nowhere."""
    base = docs_url()
    return f"{base}#{anchor}" if base else None


@dataclass(frozen=True)
class Violation:
    """One finding of a rule: the resource at fault (URN, or None for the stack) and why."""

    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    section: str
    rationale: str
    remediation: str
    check: Callable[[StackView, Mapping[str, Any]], Iterable[Violation]]
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    @property
    def help_uri(self) -> str | None:
        return doc_link(self.id.lower())

    @property
    def area(self) -> str:
        """``HA`` for ``PAIF-HA-001``."""
        return self.id.split("-")[1]

    @property
    def tags(self) -> tuple[str, ...]:
        return ("paif", *AREA_TAGS.get(self.area, (self.area.lower(),)))

    @property
    def always_advisory(self) -> bool:
        """Low-severity rules warn; they never block a deployment."""
        return self.severity == "low"


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    title: str,
    severity: str,
    section: str,
    rationale: str,
    remediation: str,
    thresholds: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Iterable[Violation]]], Callable[..., Iterable[Violation]]]:
    """Register a rule function ``check(view, config) -> Iterable[Violation]``."""
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: severity must be one of {SEVERITIES}")
    if not re.fullmatch(r"PAIF-[A-Z]+-\d{3}", id):
        raise ValueError(f"rule id {id!r} is not of the form PAIF-AREA-NNN")

    def register(check: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[Violation]]:
        if id in REGISTRY:
            raise ValueError(f"rule {id} is registered twice")
        REGISTRY[id] = Rule(
            id, title, severity, section, rationale, remediation, check, dict(thresholds or {})
        )
        return check

    return register


# --- the stack as rules see it --------------------------------------------------------------


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
        self._scalers: dict[str, dict[tuple[str, str], list[Any]]] | None = None

    # site-wide facts
    @property
    def site(self) -> Mapping[str, Any]:
        return self._site.props if self._site is not None else {}

    @property
    def site_urn(self) -> str | None:
        return self._site.urn if self._site is not None else None

    @property
    def environment(self) -> str:
        return str(self.site.get("environment") or "dev")

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
        labels = get_path(resource.props, "metadata.labels") if hasattr(resource, "props") else None
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
        return str(self.site.get("drPattern") or "none")

    @property
    def dr_role(self) -> str:
        return str(self.site.get("drRole") or "primary")

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


# --- what the components declare, as rules look it up ----------------------------------------

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
        by_target: dict[tuple[str, str], list[Any]] = {}
        by_name: dict[tuple[str, str], list[Any]] = {}
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


# components.model_endpoint.REPLICAS_ANNOTATION: a PAIS endpoint's recorded replica bounds.
REPLICAS_ANNOTATION = "paif.vmware.com/replicas"


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


# --- waivers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiver:
    rule: str
    resource: str
    reason: str
    owner: str
    expires: str

    def matches(self, rule_id: str, urn: str | None) -> bool:
        if self.rule != rule_id:
            return False
        target = urn or ""
        name = target.rsplit("::", 1)[-1]
        if self.resource in ("*", target, name):
            return True
        return fnmatch.fnmatchcase(name, self.resource) or (
            self.resource.startswith("urn:") and fnmatch.fnmatchcase(target, self.resource)
        )

    def problem(self, today: dt.date) -> str | None:
        """Why this waiver cannot be honoured, or None if it is valid (fail closed)."""
        from components.constants import WAIVER_MIN_REASON_LENGTH

        if self.rule not in REGISTRY:
            return f"names unknown rule {self.rule!r}"
        if len(self.reason.strip()) < WAIVER_MIN_REASON_LENGTH:
            return f"reason must have at least {WAIVER_MIN_REASON_LENGTH} characters"
        if not self.owner.strip():
            return "has no owner"
        if not self.resource.strip():
            return "names no resource"
        try:
            expires = dt.date.fromisoformat(self.expires)
        except ValueError:
            return f"expiry {self.expires!r} is not a date (YYYY-MM-DD)"
        if expires < today:
            return f"expired on {self.expires}"
        return None


def site_waivers(view: StackView) -> list[Waiver]:
    out = []
    for raw in view.site.get("waivers") or []:
        out.append(
            Waiver(
                rule=str(raw.get("rule", "")),
                resource=str(raw.get("resource", "")),
                reason=str(raw.get("reason", "")),
                owner=str(raw.get("owner", "")),
                expires=str(raw.get("expires", "")),
            )
        )
    return out


def today() -> dt.date:
    return dt.date.today()


def waiver_for(
    view: StackView, rule_id: str, urn: str | None, on: dt.date | None = None
) -> Waiver | None:
    """The valid waiver covering this finding, if any (invalid waivers never apply)."""
    day = on or today()
    for waiver in site_waivers(view):
        if waiver.problem(day) is None and waiver.matches(rule_id, urn):
            return waiver
    return None


# --- from rules to CrossGuard policies ------------------------------------------------------


def _thresholds(rule_: Rule, config: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with pack config; integers come back as ints (JSON sends 2.0)."""
    merged = dict(rule_.thresholds)
    for key, default in rule_.thresholds.items():
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if isinstance(default, int) and not isinstance(default, bool):
            number = as_number(value)
            if number is not None and number.is_integer():
                value = int(number)
        elif isinstance(default, list):
            value = list(value)
        merged[key] = value
    return merged


def findings_of(rule_: Rule, view: StackView, config: Mapping[str, Any]) -> list[Violation]:
    return list(rule_.check(view, _thresholds(rule_, config)))


def is_mandatory_here(rule_: Rule, view: StackView, urn: str | None = None) -> bool:
    """A finding blocks when its resource is judged as production (its tenant's tier, else
    the stack's) and the rule is not low-severity."""
    tier = view.tier_of_urn(urn) if urn is not None else view.environment
    return tier in PRODUCTION_TIERS and not rule_.always_advisory


def waiver_note(waiver: Waiver) -> str:
    """The marker a waived finding's message carries after its rule id."""
    return f"[waived by {waiver.owner} until {waiver.expires}: {waiver.reason}] "


def format_message(rule_id: str, message: str, waiver: Waiver | None = None) -> str:
    prefix = f"[{rule_id}] "
    if waiver is not None:
        prefix += waiver_note(waiver)
    return prefix + message


def parse_message(message: str) -> tuple[str | None, str]:
    """Split ``[PAIF-XX-000] text`` into the rule id and the text."""
    match = _MESSAGE_RE.match(message)
    if not match:
        return None, message
    return match["rule"], match["rest"]


class _Handoff:
    """Findings a rule policy leaves for ``PAIF-ADVISORY`` within one ``AnalyzeStack`` call.

    Keyed by the stack's URNs, so a stale entry from an earlier call (say one that failed
    half-way) is never reported against another stack.
    """

    def __init__(self) -> None:
        self._key: tuple[str, ...] | None = None
        self._pending: dict[str, list[Violation]] = {}
        self._waived_key: tuple[str, ...] | None = None
        self._waived: dict[str, list[str]] = {}
        self._view: StackView | None = None

    def view(self, resources: Sequence[Any]) -> StackView:
        """The ``StackView`` of these resources, shared by the policies of one call that get
        the very same resource objects (``paif plan``'s direct evaluation); over the analyzer
        protocol each policy gets objects of its own, so each gets its own view, as before."""
        view = self._view
        if (
            view is None
            or len(view.resources) != len(resources)
            or any(a is not b for a, b in zip(view.resources, resources, strict=True))
        ):
            view = self._view = StackView(resources)
        return view

    def release_view(self) -> None:
        """The call is over (``PAIF-WAIVED`` runs last): the stack's objects may go."""
        self._view = None

    @staticmethod
    def key_of(view: StackView) -> tuple[str, ...]:
        return view.memo("handoff.key", lambda: tuple(r.urn for r in view.resources))

    def put(self, key: tuple[str, ...], rule_id: str, items: list) -> None:
        if key != self._key:
            self._key, self._pending = key, {}
        self._pending[rule_id] = items

    def take(self, key: tuple[str, ...]) -> dict[str, list[Violation]]:
        pending = self._pending if key == self._key else {}
        self._key, self._pending = None, {}
        return pending

    def put_waived(self, key: tuple[str, ...], rule_id: str, lines: list[str]) -> None:
        if key != self._waived_key:
            self._waived_key, self._waived = key, {}
        self._waived[rule_id] = lines

    def take_waived(self, key: tuple[str, ...]) -> list[str]:
        waived = self._waived if key == self._waived_key else {}
        self._waived_key, self._waived = None, {}
        return [line for rule_id in sorted(waived) for line in waived[rule_id]]


def _rule_policy(rule_: Rule, handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        view = handoff.view(args.resources)
        deferred: list[Violation] = []
        waived: list[str] = []
        for violation in findings_of(rule_, view, args.get_config()):
            waiver = waiver_for(view, rule_.id, violation.urn)
            if waiver is not None:
                waived.append(waived_line(rule_.id, violation, waiver))
            elif is_mandatory_here(rule_, view, violation.urn):
                report(format_message(rule_.id, violation.message), violation.urn)
            else:
                deferred.append(violation)
        key = _Handoff.key_of(view)
        handoff.put(key, rule_.id, deferred)
        handoff.put_waived(key, rule_.id, waived)

    schema = PolicyConfigSchema(
        properties={key: _schema_of(value) for key, value in rule_.thresholds.items()}
    )
    return StackValidationPolicy(
        name=rule_.id,
        description=f"{rule_.title} ({rule_.severity}; source {rule_.section}). "
        f"Remediation: {rule_.remediation}",
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema if rule_.thresholds else None,
        display_name=rule_.title,
        severity=_SEVERITY_ENUM[rule_.severity],
        tags=list(rule_.tags),
        remediation_steps=rule_.remediation,
        url=rule_.help_uri,
    )


def _advisory_policy(rules: list[Rule], handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        view = handoff.view(args.resources)
        pending = handoff.take(_Handoff.key_of(view))
        for rule_ in rules:
            for violation in pending.get(rule_.id, []):
                report(format_message(rule_.id, violation.message), violation.urn)

    return StackValidationPolicy(
        name=ADVISORY_POLICY,
        description="Findings that do not block this stack: non-production tiers and "
        "low-severity rules, each prefixed with its rule id.",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        display_name="Advisory findings",
        tags=["paif"],
        url=doc_link("enforcement"),
    )


def waived_line(rule_id: str, violation: Violation, waiver: Waiver) -> str:
    """One line of PAIF-WAIVED's reason: the finding with its waiver, then its resource."""
    message = format_message(rule_id, violation.message, waiver).replace("\n", " ")
    return f"{message}{WAIVED_RESOURCE_MARK}{violation.urn or 'stack'}"


def parse_waived_line(line: str) -> tuple[str, str | None]:
    """``(message, urn)`` of a PAIF-WAIVED reason line (``urn`` None for the stack)."""
    message, _, urn = line.rpartition(WAIVED_RESOURCE_MARK)
    return message, (None if urn == "stack" else urn)


def _waived_policy(handoff: _Handoff) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        lines = handoff.take_waived(_Handoff.key_of(handoff.view(args.resources)))
        handoff.release_view()
        if lines:
            # Not a violation at any enforcement level: the engine lists it and moves on.
            args.not_applicable("\n".join(lines))

    return StackValidationPolicy(
        name=WAIVED_POLICY,
        description="Findings covered by a valid waiver (paif:waivers), listed with owner, expiry "
        "and reason; never a violation, whatever the pack config says.",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        display_name="Waived findings",
        tags=["paif"],
        url=doc_link("enforcement"),
    )


def _schema_of(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean", "default": value}
    if isinstance(value, int):
        return {"type": "integer", "default": value}
    if isinstance(value, float):
        return {"type": "number", "default": value}
    if isinstance(value, list):
        return {"type": "array", "default": list(value)}
    return {"type": "string", "default": value}


def build_policies(rules: Iterable[Rule] | None = None) -> list[StackValidationPolicy]:
    """One mandatory stack policy per rule, the advisory policy, then the waived-findings list.

    Order matters: the engine runs stack policies in list order; ``PAIF-ADVISORY`` reports what
    the rule policies before it handed over, ``PAIF-WAIVED`` lists the waived ones.
    """
    selected = sorted(rules if rules is not None else REGISTRY.values(), key=lambda r: r.id)
    handoff = _Handoff()
    return [
        *(_rule_policy(r, handoff) for r in selected),
        _advisory_policy(selected, handoff),
        _waived_policy(handoff),
    ]
