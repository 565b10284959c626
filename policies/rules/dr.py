"""Disaster recovery rules (§9.3): pattern, objectives, Harbor replication, pgvector, GSLB.

What a rule cannot see on one resource it reads from the ``paif:site:PaifSite`` props (see
``policies.framework.StackView.site``). Keys these rules read, beyond the framework's:

``objectives``            ``{rtoSeconds, rpoSeconds}`` declared in ``paif:dr.objectives``
``estimates``             ``components.dr.estimate.estimate_for``: ``rto``/``rpo``
                          ({seconds, terms, unbounded}), ``assumptions``, ``sites`` (both
                          Harbor URLs), ``capacity.siteLoss``, ``topology`` (``failover``,
                          ``registry``: replication flows of both sites)
``peerReplication``       the peer stack's replication (its ``replication`` output): flows
                          {from, to, fromHarbor, toHarbor, filters} or rules {sourceRegistryUrl,
                          destRegistryUrl, filters}, ``filters`` a list of name patterns or
                          Harbor filter objects ({name, tag, decoration}); without it, the
                          peer's flows in ``estimates.topology.registry``
``peerModelRefs``         model references the peer serves, registry host stripped
``backupLocations``       ``{<DSM backup location>: {site, encrypted}}``: where backups live
``harborUrl``, ``peerHarborUrl``, ``failover``: override what ``estimates`` says

Resources they read: PAIS ``ModelEndpoint`` / ``NIMService`` (model references, replicas,
``paif.vmware.com/*`` annotations), Harbor ``Replication``/``Registry``/``Project``, DSM
``PostgresCluster`` (``paif.vmware.com/dr-mode`` annotation, backup fields) and the Avi
``Gslbservice``; ``estimates.rpo.stores`` gives each data store's RPO with its DR mechanism
(components.estimators.data_stores). Fields that are computed by a provider (ids, paths) are
never read: a Replication finds its Registry through its dependencies, so the rules also run
during a first ``pulumi preview`` where those values are still unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any, Final, TypeVar

from pulumi_policy.proxy import UnknownValueError

from components.estimators.cron import harbor_cron_interval_seconds
from components.estimators.dr import Assumptions
from components.estimators.durations import format_duration
from components.estimators.errors import EstimatorError
from components.estimators.gpu_sizing import GIB, weights_gib
from components.nsx_binding import GSLB_SERVICE_TYPE
from policies.framework import (
    DSM_GROUP,
    Endpoint,
    StackView,
    Violation,
    as_number,
    endpoints,
    get_path,
    label,
    rule,
)

_T = TypeVar("_T")

# Resource types (pulumiverse_harbor 3.10 tokens; the provider's own resource type).
HARBOR_PROJECT_TYPE: Final = "harbor:index/project:Project"
HARBOR_REGISTRY_TYPE: Final = "harbor:index/registry:Registry"
HARBOR_REPLICATION_TYPE: Final = "harbor:index/replication:Replication"
HARBOR_PROVIDER_TYPE: Final = "pulumi:providers:harbor"

# Annotations the components put on what they render.
PARAMETERS_ANNOTATION: Final = "paif.vmware.com/model-parameters-b"
PRECISION_ANNOTATION: Final = "paif.vmware.com/model-precision"
DR_MODE_ANNOTATION: Final = "paif.vmware.com/dr-mode"
BACKUP_ENCRYPTED_ANNOTATION: Final = "paif.vmware.com/backup-encrypted"

# components.dr.copies.DatabaseMode values: the copies of the one writer that run before
# failover (a subscriber is fed by the writer's publication and never written).
STANDBY_MODES: Final = frozenset({"logical-subscriber"})
WRITER_MODE: Final = "writer"

# Harbor replication triggers (pulumiverse_harbor Replication.schedule; "manual" is the default).
EVENT_BASED: Final = "event_based"
MANUAL: Final = "manual"

# §9.3 table: patterns whose RPO is "minutes" or 0 need replication as data changes.
CONTINUOUS_REPLICATION_PATTERNS: Final = frozenset({"warm-standby", "active-active"})
DR_PATTERNS: Final = ("pilot-light", "warm-standby", "active-active")


# --- small readers --------------------------------------------------------------------------


def known(read: Callable[[], _T], default: _T) -> _T:
    """``read()``, or ``default`` when it touches a value unknown during preview."""
    try:
        return read()
    except UnknownValueError:
        return default


def host_of(url: Any) -> str | None:
    """``harbor.example.com`` for ``https://harbor.example.com/x`` or a bare host."""
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip().lower()
    text = text.split("://", 1)[-1]
    return text.split("/", 1)[0] or None


def annotations(resource: Any) -> Mapping[str, Any]:
    """``metadata.annotations`` of a Kubernetes object: where components state DR intent."""
    return get_path(resource.props, "metadata.annotations") or {}


def _true(value: Any) -> bool:
    """Flags arrive as bools or as the strings Avi and annotations use."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def _str_list(value: Any) -> list[str]:
    if value is None or isinstance(value, str):
        return []
    return [str(item) for item in value if isinstance(item, str)]


# --- OCI references -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRef:
    """An OCI reference split as Docker does: ``host/path:tag@digest``."""

    host: str | None
    path: str
    tag: str | None
    digest: str | None

    @property
    def without_host(self) -> str:
        """``project/repo:tag`` or ``project/repo@sha256:...``: what both sites must serve."""
        if self.digest:
            return f"{self.path}@{self.digest}"
        return f"{self.path}:{self.tag}" if self.tag else self.path

    @property
    def project(self) -> str:
        return self.path.split("/", 1)[0]


def parse_image_ref(ref: str) -> ImageRef:
    """Split a reference; the first component is a host when it has a dot, a port or is
    ``localhost`` (the Docker rule)."""
    rest = ref.strip()
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    host = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, rest = first.lower(), remainder
    tag = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
    return ImageRef(host, rest, tag or None, digest or None)


def endpoint_model_ref(endpoint: Endpoint) -> str | None:
    """The model an endpoint serves: PAIS ``spec.model.ociRef``; NIM image repository:tag."""
    spec = endpoint.spec
    if endpoint.kind == "ModelEndpoint":
        ref = get_path(spec, "model.ociRef")
        return str(ref) if ref else None
    repository = get_path(spec, "image.repository")
    if not repository:
        return None
    tag = get_path(spec, "image.tag")
    return f"{repository}:{tag}" if tag else str(repository)


@dataclass(frozen=True)
class ServedModel:
    endpoint: Endpoint
    ref: ImageRef
    raw: str


def served_models(view: StackView) -> list[ServedModel]:
    """Every model an endpoint of this stack serves (skipping references unknown in preview)."""
    out = []
    for endpoint in endpoints(view):
        raw = known(lambda e=endpoint: endpoint_model_ref(e), None)
        if raw:
            out.append(ServedModel(endpoint, parse_image_ref(raw), raw))
    return out


# --- Harbor filters: matching and overlap ---------------------------------------------------

# A glob token: ("lit", c) | ("one",) | ("star",) | ("globstar",) | ("class", chars, negated)
_Token = tuple[Any, ...]


def _expand_braces(pattern: str, limit: int = 64) -> list[str]:
    """``a/{b,c}/**`` -> ``a/b/**``, ``a/c/**`` (doublestar alternatives), at most ``limit``."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    out: list[str] = []
    for option in match.group(1).split(","):
        for expanded in _expand_braces(pattern[: match.start()] + option + pattern[match.end() :]):
            out.append(expanded)
            if len(out) >= limit:
                return out
    return out


def _tokens(pattern: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern.startswith("**", i):
                tokens.append(("globstar",))
                i += 2
                while i < len(pattern) and pattern[i] == "*":
                    i += 1
                continue
            tokens.append(("star",))
        elif char == "?":
            tokens.append(("one",))
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            negated = body[:1] in ("!", "^")
            body = body[1:] if negated else body
            chars: set[str] = set()
            j = 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    chars.update(chr(c) for c in range(ord(body[j]), ord(body[j + 2]) + 1))
                    j += 3
                else:
                    chars.add(body[j])
                    j += 1
            tokens.append(("class", frozenset(chars), negated))
            i = end + 1
            continue
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            tokens.append(("lit", pattern[i]))
        else:
            tokens.append(("lit", char))
        i += 1
    return tuple(tokens)


def _token_regex(token: _Token) -> str:
    kind = token[0]
    if kind == "lit":
        return re.escape(token[1])
    if kind == "one":
        return "[^/]"
    if kind == "star":
        return "[^/]*"
    if kind == "globstar":
        return ".*"
    chars = "".join(re.escape(c) for c in sorted(token[1]))
    return f"[^/{chars}]" if token[2] else f"[{chars}]"


def glob_matches(pattern: str, text: str) -> bool:
    """Harbor's (doublestar) match of a repository name or tag against a filter pattern."""
    return any(
        re.fullmatch("".join(_token_regex(t) for t in _tokens(option)), text) is not None
        for option in _expand_braces(pattern)
    )


def _is_star(token: _Token) -> bool:
    return token[0] in ("star", "globstar")


def _star_takes(star: _Token, other: _Token) -> bool:
    """Can ``star`` consume a character that ``other`` matches?"""
    if star[0] == "globstar":
        return True
    kind = other[0]
    if kind == "lit":
        return other[1] != "/"
    if kind == "class" and not other[2]:
        return bool(other[1] - {"/"})
    return True  # "?" and negated classes match characters other than "/"


def _chars_meet(a: _Token, b: _Token) -> bool:
    """Do two single-character tokens match a common character?"""
    if a[0] == "lit" and b[0] == "lit":
        return bool(a[1] == b[1])
    if a[0] != "lit" and b[0] == "lit":
        a, b = b, a
    if a[0] == "lit":
        char = a[1]
        if b[0] == "one":
            return bool(char != "/")
        return (char in b[1]) != b[2] and char != "/"
    if a[0] == "class" and b[0] == "class" and not a[2] and not b[2]:
        return bool((a[1] & b[1]) - {"/"})
    if a[0] == "class" and not a[2]:
        return bool(a[1] - {"/"})
    if b[0] == "class" and not b[2]:
        return bool(b[1] - {"/"})
    return True


def _tokens_overlap(a: tuple[_Token, ...], b: tuple[_Token, ...]) -> bool:
    """Is there a string both token sequences match? (product automaton reachability)"""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and _is_star(a[i]) and meet(i + 1, j):
            return True
        if j < len(b) and _is_star(b[j]) and meet(i, j + 1):
            return True
        if i == len(a) or j == len(b):
            return False
        ta, tb = a[i], b[j]
        if _is_star(ta) and _is_star(tb):
            return False  # both consuming the same character changes no state
        if _is_star(ta):
            return _star_takes(ta, tb) and meet(i, j + 1)
        if _is_star(tb):
            return _star_takes(tb, ta) and meet(i + 1, j)
        return _chars_meet(ta, tb) and meet(i + 1, j + 1)

    return meet(0, 0)


def globs_overlap(a: str, b: str) -> bool:
    """True when some name matches both patterns (e.g. ``marketing/**`` and ``*/llama*``)."""
    return any(
        _tokens_overlap(_tokens(x), _tokens(y))
        for x, y in product(_expand_braces(a), _expand_braces(b))
    )


@dataclass(frozen=True)
class RepoFilter:
    """A rule's filters as far as they select repositories: name and tag (None = any)."""

    name: str | None = None
    tag: str | None = None
    tag_excludes: bool = False
    charts_only: bool = False

    @property
    def name_pattern(self) -> str:
        return self.name or "**"

    def covers(self, repository: str, tag: str | None) -> bool:
        if self.charts_only or not glob_matches(self.name_pattern, repository):
            return False
        if self.tag is None or tag is None:
            return True  # no tag filter, or a digest reference whose tags we cannot see
        return glob_matches(self.tag, tag) != self.tag_excludes

    def overlaps(self, other: RepoFilter) -> bool:
        if self.charts_only != other.charts_only:
            return False
        if not globs_overlap(self.name_pattern, other.name_pattern):
            return False
        if self.tag is None or other.tag is None or self.tag_excludes or other.tag_excludes:
            return True
        return globs_overlap(self.tag, other.tag)

    def describe(self) -> str:
        text = self.name_pattern
        if self.tag is not None:
            text += f" ({'not ' if self.tag_excludes else ''}tag {self.tag})"
        return text


def parse_filters(raw: Any) -> RepoFilter:
    """Harbor ``filters`` ([{name}, {tag, decoration}, {resource}]) or a list of name patterns."""
    name = tag = None
    excludes = charts = False
    for item in raw or []:
        if isinstance(item, str):
            name = name or item
            continue
        if item.get("name"):
            name = name or str(item.get("name"))
        if item.get("tag"):
            tag = str(item.get("tag"))
            excludes = str(item.get("decoration") or "matches") == "excludes"
        if str(item.get("resource") or "") == "chart":
            charts = True
    return RepoFilter(name, tag, excludes, charts)


# --- replication edges ----------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """One replication rule as a transfer ``source -> dest`` between registries (hosts)."""

    name: str
    source: str | None
    dest: str | None
    filter: RepoFilter
    schedule: str
    resource: Any | None  # None: a rule of the peer stack

    @property
    def where(self) -> str:
        return f"rule {self.name!r}" + ("" if self.resource is not None else " of the peer stack")


def estimates(view: StackView) -> Mapping[str, Any]:
    """The site's DR estimate (empty when the site carries none)."""
    return view.site.get("estimates") or {}


def _site_harbor(view: StackView, mine: bool) -> str | None:
    """This site's (``mine``) or the peer's Harbor host, as the estimate's site facts say."""
    sites = estimates(view).get("sites") or {}
    here_is_primary = view.dr_role != "dr"
    facts = sites.get("primary" if here_is_primary == mine else "dr") or {}
    return host_of(facts.get("harborUrl"))


def failed_over(view: StackView) -> bool:
    """A DR stack running failed over holds the writer and serves at full scale."""
    if view.site.get("failover") is not None:
        return _true(view.site.get("failover"))
    return _true(get_path(estimates(view), "topology.failover"))


def local_harbor_host(view: StackView) -> str | None:
    """This site's Harbor host: site facts first, then the Harbor provider's url."""
    host = host_of(view.site.get("harborUrl")) or _site_harbor(view, mine=True)
    if host:
        return host
    for provider in view.of_type(HARBOR_PROVIDER_TYPE):
        host = host_of(known(lambda p=provider: p.props.get("url"), None))
        if host:
            return host
    return None


def _registry_of(replication: Any) -> Any | None:
    for dependency in getattr(replication, "dependencies", None) or []:
        if dependency.resource_type == HARBOR_REGISTRY_TYPE:
            return dependency
    return None


def _provider_host(resource: Any) -> str | None:
    provider = getattr(resource, "provider", None)
    props = getattr(provider, "props", None)
    if not props:
        return None
    return host_of(known(lambda: props.get("url"), None))


def local_edges(view: StackView) -> list[Edge]:
    """The stack's enabled Harbor replication rules as transfers between registry hosts."""
    local = local_harbor_host(view)
    out = []
    # Sorted so that a finding about a pair of rules always names the same one first.
    for resource in sorted(view.of_type(HARBOR_REPLICATION_TYPE), key=lambda r: r.urn):
        props = resource.props
        if props.get("enabled") is False:
            continue
        registry = _registry_of(resource)
        remote = (
            host_of(known(lambda r=registry: r.props.get("endpointUrl"), None))
            if registry is not None
            else None
        )
        here = _provider_host(resource) or local
        action = str(props.get("action") or "push")
        source, dest = (here, remote) if action == "push" else (remote, here)
        out.append(
            Edge(
                name=str(props.get("name") or resource.name),
                source=source,
                dest=dest,
                filter=parse_filters(known(lambda p=props: p.get("filters"), None)),
                schedule=str(props.get("schedule") or MANUAL),
                resource=resource,
            )
        )
    return out


def _flow_entry(flow: Any) -> tuple[str, Any, Any, Any, Any]:
    """A flow as the topology and the stacks' ``replication`` output spell it."""
    return (
        f"{flow.get('from')}-to-{flow.get('to')}",
        flow.get("fromHarbor"),
        flow.get("toHarbor"),
        flow.get("filters"),
        flow.get("schedule"),
    )


def peer_edges(view: StackView) -> list[Edge]:
    """The peer stack's rules: ``peerReplication``, else the flows the topology derives.

    ``peerReplication`` entries are rules ({sourceRegistryUrl, destRegistryUrl, filters}) or
    flows ({from, to, fromHarbor, toHarbor, filters}: the peer's ``replication`` output, which
    lists both directions). Of flows, only those leaving another site are the peer's.
    """
    here = view.site.get("site")
    declared = view.site.get("peerReplication")
    entries = []
    if declared is not None:
        for index, raw in enumerate(declared):
            if raw.get("fromHarbor") is not None:
                if raw.get("from") != here:
                    entries.append(_flow_entry(raw))
                continue
            entries.append(
                (
                    str(raw.get("name") or f"peerReplication[{index}]"),
                    raw.get("sourceRegistryUrl"),
                    raw.get("destRegistryUrl"),
                    raw.get("filters"),
                    raw.get("schedule"),
                )
            )
    else:
        # The estimate's topology (seen from the DR site) lists both directions.
        registry = get_path(estimates(view), "topology.registry") or {}
        entries = [
            _flow_entry(flow)
            for direction in ("outbound", "inbound")
            for flow in registry.get(direction) or []
            if flow.get("from") != here
        ]
    out = []
    for name, source, dest, filters, schedule in entries:
        patterns = [f for f in filters or [] if isinstance(f, str)]
        # A list of name patterns is one rule per pattern (one writer per project).
        selections = [RepoFilter(p) for p in patterns] if patterns else [parse_filters(filters)]
        for selection in selections:
            out.append(
                Edge(
                    name=name,
                    source=host_of(source),
                    dest=host_of(dest),
                    filter=selection,
                    schedule=str(schedule or EVENT_BASED),
                    resource=None,
                )
            )
    return out


def edges_to_peer(view: StackView) -> list[Edge]:
    """Local rules that move this site's artifacts to the peer site's Harbor."""
    local = local_harbor_host(view)
    peer = host_of(view.site.get("peerHarborUrl")) or _site_harbor(view, mine=False)
    out = []
    for edge in local_edges(view):
        if edge.dest is None or edge.dest == local:
            continue
        if local is not None and edge.source not in (local, None):
            continue
        if peer is not None and edge.dest != peer:
            continue
        out.append(edge)
    return out


def pushes_to_peer(view: StackView) -> bool:
    """Does this stack own replication to the peer? The primary does; active-active both."""
    return view.dr_pattern in DR_PATTERNS and (
        view.dr_role == "primary" or view.dr_pattern == "active-active"
    )


# --- site facts -----------------------------------------------------------------------------


def objective_seconds(view: StackView, key: str) -> float | None:
    """A declared objective (``rtoSeconds``/``rpoSeconds``), None when not declared."""
    objectives = view.site.get("objectives") or {}
    return as_number(objectives.get(key))


def _terms(raw: Any) -> list[tuple[str, float]]:
    return [
        (str(t.get("label") or t.get("key")), as_number(t.get("seconds")) or 0.0) for t in raw or []
    ]


def _largest_terms(terms: list[tuple[str, float]], count: int = 3) -> str:
    biggest = sorted((t for t in terms if t[1] > 0), key=lambda t: -t[1])[:count]
    return ", ".join(f"{name} {format_duration(seconds)}" for name, seconds in biggest)


def _is_writer(cluster: Any) -> bool:
    """A PostgresCluster is a read/write primary unless it is marked as a standby copy."""
    mode = str(annotations(cluster).get(DR_MODE_ANNOTATION) or WRITER_MODE)
    return mode not in STANDBY_MODES


def postgres_clusters(view: StackView) -> list[Any]:
    """The DSM PostgreSQL clusters (pgvector databases) of the stack."""
    return view.kube("PostgresCluster", DSM_GROUP)


def _harbor_project(view: StackView, name: str) -> Any | None:
    for project in view.of_type(HARBOR_PROJECT_TYPE):
        if project.props.get("name") == name:
            return project
    return None


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- the rules ------------------------------------------------------------------------------


@rule(
    "PAIF-DR-001",
    title="A DR pattern is declared for production and the DR site matches it",
    severity="high",
    section="§9.3.3 patterns, §9.3.4 choice; required in production: project default",
    rationale="§9.3 describes the patterns and how to choose one but makes none mandatory; "
    "requiring one in production is a project default, because without a declared pattern "
    "nobody knows how the service survives a site loss. A DR site that runs more or less than "
    "its pattern makes the RTO/RPO estimate and the cost wrong (pilot light: nothing runs; "
    "warm standby: reduced; active-active: full).",
    remediation="Set paif:dr.pattern (pilot-light, warm-standby or active-active) with a peer, "
    "and let the DR stack derive its site from the primary's config for that pattern.",
)
def check_dr_pattern(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    pattern, site = view.dr_pattern, view.site_urn
    if pattern not in DR_PATTERNS:
        if view.is_production:
            yield Violation(
                f"production site {view.site.get('site')!r} declares no DR pattern "
                f"(paif:dr.pattern is {pattern!r}); a site loss would have no recovery path "
                "(§9.3: pilot-light, warm-standby or active-active)",
                site,
            )
        return
    if not view.site.get("peerSite"):
        yield Violation(
            f"DR pattern {pattern!r} names no peer site (paif:dr.peer)",
            site,
        )
    if view.dr_role != "dr" or failed_over(view):
        return
    for endpoint in endpoints(view):
        if pattern == "pilot-light" and endpoint.running:
            runs = endpoint.min_replicas if endpoint.min_replicas is not None else "unset"
            yield Violation(
                f"{endpoint.label} runs replicas ({endpoint.min_source}: {runs}) at a "
                "pilot-light DR site; pilot light declares endpoints without running them "
                "(§9.3.3 pattern 1): set replicas to 0 or declare warm-standby",
                endpoint.resource.urn,
            )
        elif pattern != "pilot-light" and not endpoint.running:
            yield Violation(
                f"{endpoint.label} runs no replica at a {pattern} DR site; {pattern} keeps "
                "endpoints serving at the DR site (§9.3.3): run at least 1 replica or declare "
                "pilot-light",
                endpoint.resource.urn,
            )
    if pattern == "pilot-light":
        for cluster in postgres_clusters(view):
            yield Violation(
                f"{label(cluster)} runs at a pilot-light DR site; pilot light keeps database "
                "backups only and restores them on failover (§9.3.3 pattern 1): remove it or "
                "declare warm-standby",
                cluster.urn,
            )


@rule(
    "PAIF-DR-002",
    title="Estimated RTO within the declared RTO",
    severity="high",
    section="§9.3.0",
    rationale="A recovery time objective nobody can meet is a false promise; the estimate adds "
    "detection, decision, traffic switch, provisioning, database recovery, model pull and cold "
    "start for this topology.",
    remediation="Pick a faster pattern (warm-standby or active-active), keep endpoints warm at "
    "the DR site, pre-pull models, or declare a realistic paif:dr.objectives.rto.",
)
def check_rto(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _check_objective(view, "rto", "rtoSeconds", "RTO")


@rule(
    "PAIF-DR-003",
    title="Estimated RPO within the declared RPO",
    severity="high",
    section="§9.3.0",
    rationale="The data a failover loses is bounded by each stateful store's DR mechanism: "
    "logical replication loses its lag budget, backup-restore the WAL archive or backup "
    "interval, a store without a copy everything; Harbor its replication delay for models. "
    "Each store is held to the objective on its own, naming its mechanism.",
    remediation="Give the named store a mechanism that meets the objective (databases[].dr: "
    "'logical' with a lagBudget within it, or 'backup-restore' with a walArchiveInterval or "
    "backups within it), use event-based Harbor replication, or declare a realistic "
    "paif:dr.objectives.rpo.",
)
def check_rpo(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    stores = get_path(estimates(view), "rpo.stores")
    if stores is None or isinstance(stores, str) or view.dr_pattern not in DR_PATTERNS:
        yield from _check_objective(view, "rpo", "rpoSeconds", "RPO")
        return
    declared = objective_seconds(view, "rpoSeconds")
    if declared is None:
        yield from _check_objective(view, "rpo", "rpoSeconds", "RPO")
        return
    for store in stores:
        name = str(store.get("store"))
        mechanism = str(store.get("mechanism"))
        seconds = as_number(store.get("rpoS"))
        why = str(store.get("rpoExplanation") or "")
        if seconds is None:
            yield Violation(
                f"{name} (mechanism {mechanism!r}): RPO unbounded, objective "
                f"{format_duration(declared)}: {why}",
                view.site_urn,
            )
        elif seconds > declared:
            yield Violation(
                f"{name} (mechanism {mechanism!r}): RPO {format_duration(seconds)} exceeds the "
                f"objective {format_duration(declared)}: {why}",
                view.site_urn,
            )


def _check_objective(
    view: StackView, what: str, objective_key: str, name: str
) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    site = view.site_urn
    declared = objective_seconds(view, objective_key)
    if declared is None:
        yield Violation(
            f"DR pattern {view.dr_pattern!r} declares no {name} objective "
            f"(paif:dr.objectives.{what}); the estimate cannot be held to anything",
            site,
        )
        return
    estimate = estimates(view).get(what) or {}
    unbounded = _str_list(estimate.get("unbounded"))
    for reason in unbounded:
        yield Violation(
            f"RPO is unbounded, declared {format_duration(declared)}: {reason}",
            site,
        )
    estimated = as_number(estimate.get("seconds"))
    if estimated is None:
        if not unbounded:
            yield Violation(
                f"the site carries no {name} estimate (estimates.{what}.seconds), so the "
                f"declared {name} {format_duration(declared)} cannot be checked",
                site,
            )
        return
    if estimated > declared:
        largest = _largest_terms(_terms(estimate.get("terms")))
        yield Violation(
            f"estimated {name} {format_duration(estimated)} exceeds the declared {name} "
            f"{format_duration(declared)} for pattern {view.dr_pattern!r}"
            + (f" (largest terms: {largest})" if largest else ""),
            site,
        )


@rule(
    "PAIF-DR-004",
    title="Every Harbor project that holds a served model is replicated to the DR site",
    severity="high",
    section="§9.3.2 item 1",
    rationale="Model images are the slowest thing to bring back: without a replica at the DR "
    "site a failover first has to copy tens of GiB that may be gone with the primary.",
    remediation="Create a push replication rule (HarborReplication) for each model project to "
    "the peer site's Harbor, with a name filter '<project>/**'.",
)
def check_models_replicated(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if not pushes_to_peer(view):
        return
    local = local_harbor_host(view)
    edges = edges_to_peer(view)
    inbound = [e for e in peer_edges(view) if local is None or e.dest in (local, None)]
    peer = view.site.get("peerSite") or "the DR site"
    peer_host = host_of(view.site.get("peerHarborUrl")) or _site_harbor(view, mine=False)
    missing: dict[str, list[ServedModel]] = {}
    for model in served_models(view):
        if local is not None and model.ref.host not in (local, None):
            continue  # not in this site's Harbor: not a project this stack replicates
        if any(e.filter.covers(model.ref.path, model.ref.tag) for e in edges):
            continue
        if any(e.filter.covers(model.ref.path, model.ref.tag) for e in inbound):
            continue  # the peer owns it and replicates it here; pushing it back would loop
        missing.setdefault(model.ref.project, []).append(model)
    for project, models in sorted(missing.items()):
        harbor_project = _harbor_project(view, project)
        urn = harbor_project.urn if harbor_project is not None else models[0].endpoint.resource.urn
        refs = ", ".join(
            sorted(_dedupe(f"{m.ref.without_host} ({m.endpoint.label})" for m in models))
        )
        yield Violation(
            f"Harbor project {project!r} holds served model(s) {refs} but no enabled "
            f"replication rule copies it to {peer}'s Harbor"
            + (f" ({peer_host})" if peer_host else ""),
            urn,
        )


@rule(
    "PAIF-DR-005",
    title="No Harbor replication loop between the sites",
    severity="critical",
    section="Harbor replication behaviour",
    rationale="Two rules that push overlapping repositories to each other's registries make "
    "every artifact bounce between the sites; with deletion or override on, a change at one "
    "site can overwrite or delete the other's only good copy.",
    remediation="Keep one writer per repository path: the primary pushes its projects, the "
    "peer pushes only projects it owns (e.g. '<project>-<site>/**'), never the same filter.",
)
def check_replication_loops(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    mine = local_edges(view)
    theirs = peer_edges(view)
    for edge in mine:
        if edge.source is not None and edge.source == edge.dest:
            yield Violation(
                f"replication {edge.where} copies {edge.filter.describe()} from "
                f"{edge.source} to itself",
                edge.resource.urn,
            )
    for i, edge in enumerate(mine):
        for other in [*mine[i + 1 :], *theirs]:
            if None in (edge.source, edge.dest) or edge.source == edge.dest:
                continue
            if (other.source, other.dest) != (edge.dest, edge.source):
                continue
            if not edge.filter.overlaps(other.filter):
                continue
            yield Violation(
                f"replication {edge.where} copies {edge.filter.describe()} from {edge.source} "
                f"to {edge.dest}, and {other.where} copies {other.filter.describe()} back from "
                f"{other.source} to {other.dest}: repositories matching both bounce between "
                "the sites",
                edge.resource.urn,
            )


@rule(
    "PAIF-DR-006",
    title="Warm standby and active-active replicate models as they change",
    severity="medium",
    section="§9.3 table",
    rationale="Warm standby promises an RPO of minutes and active-active of zero; a nightly "
    "or manual replication leaves the DR site with models hours old.",
    remediation="Use schedule 'event_based' (the default of HarborReplication), or a cron "
    "whose interval plus the transfer of the largest model fits the declared RPO.",
)
def check_replication_schedule(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in CONTINUOUS_REPLICATION_PATTERNS or not pushes_to_peer(view):
        return
    rpo = objective_seconds(view, "rpoSeconds")
    transfer = _largest_model_transfer_seconds(view)
    for edge in edges_to_peer(view):
        schedule = edge.schedule.strip()
        if schedule == EVENT_BASED:
            continue
        where = f"replication {edge.where} ({edge.filter.describe()})"
        if schedule == MANUAL:
            yield Violation(
                f"{where} runs only when someone starts it (schedule 'manual'); "
                f"{view.dr_pattern} needs 'event_based' or a schedule within the RPO",
                edge.resource.urn,
            )
            continue
        try:
            interval = float(harbor_cron_interval_seconds(schedule))
        except EstimatorError as exc:
            yield Violation(f"{where} has an unreadable schedule: {exc}", edge.resource.urn)
            continue
        if rpo is None:
            yield Violation(
                f"{where} runs on schedule {schedule!r} (every {format_duration(interval)}) but "
                "no RPO is declared to hold it to; use 'event_based' or declare "
                "paif:dr.objectives.rpo",
                edge.resource.urn,
            )
        elif interval + transfer > rpo:
            yield Violation(
                f"{where} runs on schedule {schedule!r}: up to {format_duration(interval)} "
                f"between runs plus {format_duration(transfer)} to transfer the largest model "
                f"exceeds the declared RPO {format_duration(rpo)}",
                edge.resource.urn,
            )


def _largest_model_transfer_seconds(view: StackView) -> float:
    """Time to push the largest served model over the inter-site link (DR assumptions)."""
    assumptions = estimates(view).get("assumptions") or {}
    link = as_number(assumptions.get("harborReplicationGbitPerSecond"))
    if link is None or link <= 0:
        link = Assumptions().harbor_replication_gbit_per_second
    largest = 0.0
    for endpoint in endpoints(view):
        notes = endpoint.annotations
        parameters = as_number(notes.get(PARAMETERS_ANNOTATION))
        if parameters is None or parameters <= 0:
            continue
        try:
            size = weights_gib(parameters, str(notes.get(PRECISION_ANNOTATION) or "fp16"))
        except EstimatorError:
            continue
        largest = max(largest, size)
    return largest * GIB * 8 / (link * 1e9)


@rule(
    "PAIF-DR-007",
    title="pgvector: RPO 0 needs a synchronous copy; never two writable primaries",
    severity="critical",
    section="§9.3.3 warning",
    rationale="Only a synchronous copy at the other site loses nothing when a site goes, and "
    "DSM's API builds none across sites; two writable copies of one knowledge base diverge "
    "and cannot be merged back.",
    remediation="Declare an RPO the database mechanisms can meet (logical: its lag budget); at "
    "the DR site render each database as the copy its mechanism makes (one writer), and make "
    "it the writer only on failover.",
)
def check_database_writers(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    clusters = postgres_clusters(view)
    rpo = objective_seconds(view, "rpoSeconds")
    is_failed_over = failed_over(view)
    if rpo == 0 and clusters:
        yield Violation(
            f"RPO 0 is declared for pattern {view.dr_pattern!r}, but no database here is "
            "replicated synchronously to the other site: logical replication is asynchronous "
            "and DSM's API offers no cross-site synchronous standby (databases[].dr, "
            "docs/architecture.md), so commits in flight are lost with the site (§9.3)",
            view.site_urn,
        )
    writer_site = view.site.get("peerSite") or "the primary site"
    for cluster in clusters:
        if view.dr_role == "dr" and _is_writer(cluster) and not is_failed_over:
            yield Violation(
                f"{label(cluster)} is a writable primary at the DR site while {writer_site} "
                "holds the writer: two writable copies diverge (§9.3.3 warning); render it as "
                f"the copy its mechanism makes ({DR_MODE_ANNOTATION}: logical-subscriber) and "
                "make it the writer only on failover",
                cluster.urn,
            )


@rule(
    "PAIF-DR-008",
    title="Every database is backed up off the primary site, encrypted",
    severity="high",
    section="§9.3.2 item 2, §9.6.3 data",
    rationale="Replication copies mistakes too; a backup restores the knowledge base after a "
    "bad write, and only a backup stored elsewhere survives the site. Backups of embeddings "
    "hold company data: they are encrypted.",
    remediation="Give each database backup (schedule, retention) to a DSM backup location at "
    "another site (declared in paif:dr.backupLocations with its site), encrypted.",
)
def check_backups(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    here = view.site.get("site")
    locations = view.site.get("backupLocations") or {}
    for cluster in postgres_clusters(view):
        if not _is_writer(cluster):
            continue  # a standby's data is backed up where the writer runs
        spec = cluster.props.get("spec") or {}
        what = label(cluster)
        schedules = list(get_path(spec, "backupConfig.schedules") or [])
        location = get_path(spec, "backupLocation.name")
        if not schedules or not location:
            yield Violation(
                f"{what} has no backup "
                + ("schedule" if location else "location" if schedules else "configured")
                + " (spec.backupConfig.schedules, spec.backupLocation): replication alone copies "
                "mistakes and a lost site takes the only copy",
                cluster.urn,
            )
            continue
        facts = locations.get(str(location))
        if facts is None:
            yield Violation(
                f"{what} backs up to location {location!r}, whose site is not declared "
                "(paif:dr.backupLocations); nobody can tell whether the backups survive this "
                "site",
                cluster.urn,
            )
        elif here and str(facts.get("site") or "") == str(here):
            yield Violation(
                f"{what} backs up to location {location!r} at this site ({here}); a site loss "
                "takes the database and its backups together: back up to another site",
                cluster.urn,
            )
        encrypted = _true(annotations(cluster).get(BACKUP_ENCRYPTED_ANNOTATION))
        if facts is not None and facts.get("encrypted") is False:
            encrypted = False
        if not encrypted:
            yield Violation(
                f"{what} backups to {location!r} are not encrypted (§9.6.3: encrypt backup data)",
                cluster.urn,
            )


@rule(
    "PAIF-DR-009",
    title="Active-active: GSLB with health monitors and site persistence; each site carries "
    "the whole critical load",
    severity="high",
    section="§9.3.3 pattern 3",
    rationale="Without health monitors the GSLB keeps sending users to a dead site; without "
    "site persistence a conversation hops between sites mid-session; a site that cannot carry "
    "both halves of the critical load fails over into an outage.",
    remediation="Declare paif:dr.gslb (health monitors, site persistence) and size each site's "
    "GPU pool for its own peak plus the other site's critical endpoints at maximum replicas.",
)
def check_active_active(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern != "active-active":
        return
    services = view.of_type(GSLB_SERVICE_TYPE)
    if not services and view.dr_role == "primary":
        yield Violation(
            "active-active declares no GSLB service (avi Gslbservice): nothing spreads users "
            "over the two sites or fails them over (§9.3.3 pattern 3)",
            view.site_urn,
        )
    for service in services:
        props = service.props
        what = f"GSLB service {props.get('name') or service.name!r}"
        if not _str_list(props.get("healthMonitorRefs")):
            yield Violation(
                f"{what} has no health monitors: it keeps answering with a failed site",
                service.urn,
            )
        if not _true(props.get("sitePersistenceEnabled")):
            yield Violation(
                f"{what} has site persistence off: one user's conversation may hop between "
                "sites (§9.3.3 session consistency)",
                service.urn,
            )
        members = [
            member
            for group in props.get("groups") or []
            if str(group.get("enabled", "true")).lower() != "false"
            for member in group.get("members") or []
            if str(member.get("enabled", "true")).lower() != "false"
        ]
        if len(members) < 2:
            yield Violation(
                f"{what} has {len(members)} enabled site member(s); active-active needs both sites",
                service.urn,
            )
    losses = list(get_path(estimates(view), "capacity.siteLoss") or [])
    if not losses:
        yield Violation(
            "the site carries no site-loss capacity estimate (estimates.capacity.siteLoss), so "
            "nobody can tell whether each site carries the critical load when the other fails",
            view.site_urn,
        )
    for loss in losses:
        if loss.get("ok") is False:
            facts = str(loss.get("survivorFacts") or "declared")
            yield Violation(
                f"{loss.get('message')}; each active-active site must carry the other's "
                f"critical load (survivor's capacity: {facts})",
                view.site_urn,
            )


@rule(
    "PAIF-DR-010",
    title="Model version parity: both sites serve the same model references",
    severity="high",
    section="§9.3.3 pattern 3",
    rationale="After a failover users must get the same model: a different version answers "
    "differently, and embeddings from another model do not match the stored vectors.",
    remediation="Derive the DR site's endpoints from the primary's config in the same commit "
    "and pin models by immutable tag or digest; replicate before switching versions.",
)
def check_model_parity(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    peer_refs = view.site.get("peerModelRefs")
    if peer_refs is None:
        return  # the peer stack has not exported its models yet (first deployment)
    theirs = {parse_image_ref(str(r)).without_host for r in peer_refs}
    mine: dict[str, list[ServedModel]] = {}
    for model in served_models(view):
        mine.setdefault(model.ref.without_host, []).append(model)
    peer = view.site.get("peerSite") or "the peer site"
    for ref, models in sorted(mine.items()):
        if ref not in theirs:
            for model in models:
                yield Violation(
                    f"{model.endpoint.label} serves {ref}, which {peer} does not serve"
                    + (f" (it serves {', '.join(sorted(theirs))})" if theirs else ""),
                    model.endpoint.resource.urn,
                )
    only_theirs = sorted(theirs - set(mine))
    if only_theirs:
        yield Violation(
            f"{peer} serves {', '.join(only_theirs)}, which this site does not serve",
            view.site_urn,
        )


def filter_project(selection: RepoFilter) -> str | None:
    """The one project a ``<project>/**`` name filter selects (None: several, or unknown)."""
    project, slash, rest = (selection.name or "").partition("/")
    if not slash or rest != "**" or re.search(r"[*?\[\]{}]", project) or not project:
        return None
    return project


def flows_into(view: StackView) -> list[Mapping[str, Any]]:
    """Replication flows whose target is this site (the topology's, and the peer's output)."""
    here = view.site.get("site")
    registry = get_path(estimates(view), "topology.registry") or {}
    flows = [
        *(registry.get("outbound") or []),
        *(registry.get("inbound") or []),
        *(f for f in view.site.get("peerReplication") or [] if f.get("fromHarbor") is not None),
    ]
    seen: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for flow in flows:
        if flow.get("to") == here:
            seen.setdefault((flow.get("from"), tuple(_str_list(flow.get("filters")))), flow)
    return list(seen.values())


def _flow_projects(flow: Mapping[str, Any]) -> list[str]:
    projects = _str_list(flow.get("projects"))
    if projects:
        return projects
    found = (filter_project(RepoFilter(f)) for f in _str_list(flow.get("filters")))
    return [p for p in found if p is not None]


@rule(
    "PAIF-DR-011",
    title="Every replicated Harbor project exists in the stacks at both ends",
    severity="high",
    section="§9.3.2 item 1, §9.3.3 pattern 3",
    rationale="A push rule whose source project no stack declares replicates nothing, or "
    "whatever someone created by hand; one whose destination project does not exist fails on "
    "every push, or lands in a project without the tenant's permissions and protection. Each "
    "stack declares what it pushes and what is pushed into it, so both ends are managed; in "
    "active-active the two directions use different projects, since replicating one project "
    "both ways makes every artifact bounce (goharbor/harbor#17754).",
    remediation="Reference models and app images from the tenant's own Harbor project, and "
    "let the site declare every replicated project at both sites (the tenant's project; in "
    "active-active also its <tenant>-<dr-site> project, where the DR site's builds go).",
)
def check_replicated_projects(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.dr_pattern not in DR_PATTERNS:
        return
    declared = {
        str(name)
        for project in view.of_type(HARBOR_PROJECT_TYPE)
        if (name := known(lambda p=project: p.props.get("name"), None)) is not None
    }
    for edge in local_edges(view):
        project = filter_project(edge.filter)
        if project is not None and project not in declared:
            yield Violation(
                f"replication {edge.where} pushes project {project!r} to {edge.dest or 'the peer'}"
                ", but this stack declares no Harbor project of that name: the rule replicates "
                "nothing, or a project nobody manages",
                edge.resource.urn,
            )
    for flow in flows_into(view):
        for project in _flow_projects(flow):
            if project not in declared:
                yield Violation(
                    f"{flow.get('from')} replicates project {project!r} into this site's "
                    "Harbor, but this stack declares no Harbor project of that name: every "
                    "push fails, or lands in a project without the tenant's permissions and "
                    "protection",
                    view.site_urn,
                )
