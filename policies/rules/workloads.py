"""Workloads (§9.3.3, §9.6.3): images you can trust, and pods hardened by default.

Site props these rules read (``paif:site:PaifSite``), beyond the framework's:

``harborHost``  the site's Harbor (``paif:harbor.url``): only its projects' tag-immutability
                rules can make a tag as good as a digest

A workload is any of ``WORKLOAD_KINDS``; its pod spec is ``spec`` (Pod),
``spec.jobTemplate.spec.template.spec`` (CronJob) or ``spec.template.spec`` (the rest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.constants import MIN_NON_ROOT_ID
from paif_components.pod_security import API_ACCESS_ANNOTATION, POD_SECURITY_LEVEL
from paif_policies.images import ImageRef, endpoint_model_ref, parse_image_ref
from paif_policies.readers import known
from paif_policies.registry import Violation, rule
from paif_policies.rules.tenancy import (
    HARBOR_PROJECT_COMPONENT,
    HARBOR_PROJECT_TYPE,
    cluster_namespaces,
)
from paif_policies.view import StackView, as_int, endpoints, get_path, label

HARBOR_IMMUTABLE_TAG_RULE_TYPE: Final = "harbor:index/immutableTagRule:ImmutableTagRule"
# §9.3.3 model version sync: a tag that moves makes "the same reference" two models.
MUTABLE_TAGS: Final = ["latest"]
WORKLOAD_KINDS: Final = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
)
SECURE_SECCOMP_TYPES: Final = frozenset({"RuntimeDefault", "Localhost"})
POD_SECURITY_ENFORCE_LABEL: Final = "pod-security.kubernetes.io/enforce"
HOST_NAMESPACES: Final = ("hostNetwork", "hostPID", "hostIPC")


# --- pod specs ------------------------------------------------------------------------------


def pod_spec_of(workload: Any) -> tuple[str, Mapping[str, Any]]:
    """(path, pod spec) of a workload object."""
    spec = workload.props.get("spec") or {}
    kind = workload.props.get("kind")
    if kind == "Pod":
        return "spec", spec
    if kind == "CronJob":
        path = "spec.jobTemplate.spec.template.spec"
        return path, get_path(spec, "jobTemplate.spec.template.spec") or {}
    return "spec.template.spec", get_path(spec, "template.spec") or {}


def containers_of(pod: Mapping[str, Any], base: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, container) of every init container and container of a pod spec."""
    for field in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(field) or []):
            yield f"{base}.{field}[{index}]", container


def workloads(view: StackView) -> Iterator[Any]:
    for kind in WORKLOAD_KINDS:
        yield from view.kube(kind)


# --- PAIF-SEC-008 ---------------------------------------------------------------------------


def harbor_pattern(pattern: str) -> re.Pattern[str]:
    """Harbor's doublestar pattern (``**``, ``*``, ``?``, ``{a,b}``) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            end = pattern.find("}", i)
            if end == -1:
                out.append(re.escape(char))
            else:
                choices = pattern[i + 1 : end].split(",")
                out.append("(?:" + "|".join(re.escape(c) for c in choices) + ")")
                i = end + 1
                continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _matches(value: str, matching: Any, excluding: Any) -> bool:
    """Harbor's selector: ``matching`` it, or not ``excluding`` it (one of the two is set)."""
    if matching:
        return harbor_pattern(str(matching)).match(value) is not None
    if excluding:
        return harbor_pattern(str(excluding)).match(value) is None
    return False


def _immutable_rules(view: StackView, project: Any) -> list[Any]:
    """The ImmutableTagRules of a Harbor project: depending on it or in its component."""
    component = view.component_of(project, HARBOR_PROJECT_COMPONENT)
    out = []
    for candidate in view.of_type(HARBOR_IMMUTABLE_TAG_RULE_TYPE):
        depends = {getattr(d, "urn", d) for d in getattr(candidate, "dependencies", None) or []}
        mine = view.component_of(candidate, HARBOR_PROJECT_COMPONENT)
        if project.urn in depends or (component is not None and mine is component):
            out.append(candidate)
    return out


def immutability_gap(view: StackView, ref: ImageRef) -> str | None:
    """Why no Harbor tag-immutability rule of this site covers ``ref`` (None: one does)."""
    harbor_host = view.facts.harbor_host or ""
    if not ref.host or ref.host != harbor_host.lower():
        where = ref.host or "Docker Hub"
        return f"its registry {where} is not this site's Harbor ({harbor_host or 'unknown'})"
    project_name, _, repository = ref.path.partition("/")
    projects = [
        p
        for p in view.of_type(HARBOR_PROJECT_TYPE)
        if str(p.props.get("name") or p.name) == project_name
    ]
    if not projects:
        return f"this stack declares no Harbor project '{project_name}'"
    for project in projects:
        for immutable in _immutable_rules(view, project):
            props = immutable.props
            if props.get("disabled") is True:
                continue
            if _matches(
                repository, props.get("repoMatching"), props.get("repoExcluding")
            ) and _matches(str(ref.tag), props.get("tagMatching"), props.get("tagExcluding")):
                return None
    return f"no tag-immutability rule of Harbor project '{project_name}' covers it"


def _unpinned(view: StackView, ref: str, mutable: set[str], production: bool) -> str | None:
    parsed = parse_image_ref(ref)
    if parsed.digest:
        return None
    if parsed.tag is None:
        return "without a tag (pulls latest); pin it by digest (repo:tag@sha256:…)"
    if parsed.tag in mutable:
        return f"by the mutable tag {parsed.tag!r}; pin it by digest (repo:tag@sha256:…)"
    if not production:
        return None
    gap = immutability_gap(view, parsed)
    if gap is None:
        return None
    return (
        f"by tag {parsed.tag!r} without a digest, and {gap}: pin it by digest "
        "(repo:tag@sha256:…) or add tenants[].harbor.immutableTags"
    )


@rule(
    "PAIF-SEC-008",
    title="Images referenced by digest, or by a tag Harbor keeps immutable, in production",
    severity="medium",
    section="§9.3.3 model version sync, §9.6.3",
    rationale="A tag can be pushed again: the same reference becomes a different model or app "
    "after the next push, the two sites drift apart, what runs is not what was scanned, and a "
    "rollback has nothing to go to. A digest cannot move; neither can a tag that a Harbor "
    "tag-immutability rule of the project covers.",
    remediation="Give app and model images as repo:tag@sha256:…, or keep version tags and "
    "declare tenants[].harbor.immutableTags (e.g. repositories '**', tags '*.*.*'); the "
    "HarborProject component creates the rules in the tenant's project.",
    thresholds={"mutableTags": MUTABLE_TAGS},
)
def check_pinned_images(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    mutable = {str(t) for t in thresholds.get("mutableTags") or []}
    for endpoint in endpoints(view):
        ref = known(lambda e=endpoint: endpoint_model_ref(e), None)
        problem = _unpinned(view, ref, mutable, view.production(endpoint.resource)) if ref else None
        if problem:
            yield Violation(f"{endpoint.label} serves model {ref} {problem}", endpoint.resource.urn)
    for workload in workloads(view):
        base, pod = pod_spec_of(workload)
        for path, container in containers_of(pod, base):
            image = known(lambda c=container: c.get("image"), None)
            if not isinstance(image, str) or not image:
                continue
            problem = _unpinned(view, image, mutable, view.production(workload))
            if problem:
                yield Violation(
                    f"{label(workload)} runs image {image} ({path}) {problem}", workload.urn
                )


# --- PAIF-SEC-010 ---------------------------------------------------------------------------


def _effective(container: Mapping[str, Any], pod: Mapping[str, Any], key: str) -> Any:
    """A security setting as Kubernetes applies it: the container's, else the pod's."""
    value = get_path(container, f"securityContext.{key}")
    return value if value is not None else get_path(pod, f"securityContext.{key}")


def container_gaps(container: Mapping[str, Any], pod: Mapping[str, Any], min_id: int) -> list[str]:
    """What a container of a pod spec lacks of the hardening list (empty: nothing)."""
    gaps = []
    if _effective(container, pod, "runAsNonRoot") is not True:
        gaps.append("runAsNonRoot is not true")
    for key in ("runAsUser", "runAsGroup"):
        value = as_int(_effective(container, pod, key))
        if value is None or value < min_id:
            gaps.append(f"{key} {value if value is not None else 'unset'} is below {min_id}")
    if get_path(container, "securityContext.readOnlyRootFilesystem") is not True:
        gaps.append("the root filesystem is writable (readOnlyRootFilesystem)")
    if get_path(container, "securityContext.allowPrivilegeEscalation") is not False:
        gaps.append("allowPrivilegeEscalation is not false")
    if get_path(container, "securityContext.privileged") is True:
        gaps.append("it is privileged")
    drop = [str(c).upper() for c in get_path(container, "securityContext.capabilities.drop") or []]
    if "ALL" not in drop:
        gaps.append("capabilities are not all dropped (drop: [ALL])")
    added = get_path(container, "securityContext.capabilities.add") or []
    if added:
        gaps.append(f"it adds capabilities {', '.join(str(c) for c in added)}")
    seccomp = _effective(container, pod, "seccompProfile.type")
    if seccomp not in SECURE_SECCOMP_TYPES:
        gaps.append(f"seccomp profile is {seccomp or 'unset'}, not RuntimeDefault")
    return gaps


def pod_gaps(workload: Any, pod: Mapping[str, Any]) -> list[str]:
    """What a pod spec lacks at pod level: host namespaces and the service-account token."""
    gaps = [
        f"it shares the host's {key[4:].lower()} namespace"
        for key in HOST_NAMESPACES
        if pod.get(key) is True
    ]
    annotations = get_path(workload.props, "metadata.annotations") or {}
    asks_api = str(annotations.get(API_ACCESS_ANNOTATION, "")).lower() == "true"
    if pod.get("automountServiceAccountToken") is not False and not asks_api:
        gaps.append(
            "the service-account token is mounted (automountServiceAccountToken is not false) "
            f"though the workload does not ask for API access ({API_ACCESS_ANNOTATION})"
        )
    return gaps


@rule(
    "PAIF-SEC-010",
    title="Every pod runs hardened: non-root, read-only root, no privileges, no stray token",
    severity="high",
    section="§9.6.3 least privilege",
    rationale="A compromised container that runs as root with a writable filesystem, its "
    "capabilities and a service-account token is one step from the node and the cluster API; "
    "the Pod Security Standard 'restricted' and a UID/GID away from the node's own users take "
    "those steps away.",
    remediation="Keep the pod hardening the components render (components.pod_security): "
    "runAsNonRoot, runAsUser/runAsGroup ≥ the minimum (apps[].runAsUser/runAsGroup), "
    "readOnlyRootFilesystem with emptyDir volumes for /tmp and apps[].writablePaths, "
    "allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault, "
    "automountServiceAccountToken false unless apps[].apiAccess; app namespaces enforce Pod "
    "Security 'restricted'.",
    thresholds={"minId": MIN_NON_ROOT_ID},
)
def check_pod_hardening(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    min_id = int(thresholds.get("minId") or MIN_NON_ROOT_ID)
    for workload in workloads(view):
        base, pod = pod_spec_of(workload)
        problems = pod_gaps(workload, pod)
        for path, container in containers_of(pod, base):
            gaps = container_gaps(container, pod, min_id)
            if gaps:
                problems.append(f"{container.get('name') or path}: {'; '.join(gaps)}")
        if problems:
            yield Violation(
                f"{label(workload)} is not hardened: {' | '.join(problems)}", workload.urn
            )
    for ns in cluster_namespaces(view):
        resource = view.by_urn.get(ns.urn or "")
        labels = (get_path(resource.props, "metadata.labels") or {}) if resource else {}
        enforced = labels.get(POD_SECURITY_ENFORCE_LABEL)
        if enforced != POD_SECURITY_LEVEL:
            yield Violation(
                f"{ns.where} enforces Pod Security {enforced or 'nothing'}, not "
                f"{POD_SECURITY_LEVEL} ({POD_SECURITY_ENFORCE_LABEL})",
                ns.urn,
            )
