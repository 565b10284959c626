"""The failover runbook, rendered from the DR topology and its estimate (§9.7.1 "incident
runbook written").

Steps run in dependency order: detect and declare → data tier (pgvector and app databases,
§9.3.2 items 2 and 4) → registry (Harbor)
→ runtime (VKS, PAIS endpoints) → gateway/DNS → validation (§9.7.2 criteria). Traffic moves
last, once the DR site can serve. Each step carries the RTO terms it accounts for, so the
step durations add up to the estimated RTO exactly, and the commands or console actions an
operator runs. Everything comes from ``estimate_for`` (``paif_components.dr.estimate``), so the
runbook and plan.json never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from paif_components.config.models import StackConfig
from paif_components.constants import (
    HEALTH_OK_STATUS,
    SLA_ERROR_RATE,
    SLA_P95_SECONDS,
    VERIFY_SAMPLE_REQUESTS,
)
from paif_components.contract.dr_topology import DrTopologyRecord
from paif_components.contract.estimates import Estimates, RecoveryRecord, SiteFactsRecord
from paif_components.dr.database_steps import (
    DatabaseStep,
    Reference,
    failback_step,
    failover_step,
)
from paif_components.dr.failover import commands, describe
from paif_components.estimators import format_duration
from paif_components.pgvector_database import DEFAULT_ADMIN_USERNAME

RUNBOOK_FILE: Final = "failover-runbook.md"

# Which RTO terms (paif_components.estimators.rto_rpo) each runbook phase accounts for.
PHASE_TERMS: Final[dict[str, tuple[str, ...]]] = {
    "detect": ("detection", "decision"),
    "data": ("database",),
    "registry": ("model_pull",),
    "runtime": ("services_redeploy", "vks_provisioning", "node_scale_up", "cold_start", "warm_up"),
    "gateway": ("traffic_switch",),
    "validate": ("validation",),
}
PHASE_ORDER: Final = ("detect", "data", "registry", "runtime", "gateway", "validate")
PHASE_TITLES: Final[dict[str, str]] = {
    "detect": "Detect the site loss and declare failover",
    "data": "Data tier: make each database's DR copy the writer, by its mechanism",
    "registry": "Registry: confirm the models at the DR Harbor",
    "runtime": "Runtime: bring VKS clusters and model endpoints to full scale",
    "gateway": "Gateway and DNS: move traffic to the DR site",
    "validate": "Validate the service against §9.7.2",
}


@dataclass(frozen=True)
class RunbookStep:
    """One phase of the failover with its share of the RTO and what to do."""

    phase: str
    title: str
    seconds: float
    terms: tuple[Mapping[str, Any], ...]
    actions: tuple[str, ...] = field(default_factory=tuple)
    # Objects the actions name, each declared by one of the stacks (tests hold them to plans).
    references: tuple[Reference, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> str:
        return format_duration(self.seconds)


def _placeholder(value: str | None, what: str) -> str:
    return value if value else f"<{what}>"


def _dr_fact(value: str | None, what: str, dr_stack: str) -> str:
    """A DR site fact, or a placeholder saying where it comes from: only the DR stack file
    declares it, and this project has none."""
    return value if value else f"<{what}: unknown until paif plan --stack {dr_stack}>"


def _num(value: Any) -> str:
    """A count as people write it: stack outputs turn 5 into 5.0 (protobuf numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{float(value):g}"
    return str(value)


def _code(*lines: str) -> str:
    return "```sh\n" + "\n".join(lines) + "\n```"


def _chat(fqdn: str, model: str) -> str:
    """A one-token chat completion through the gateway (OpenAI-compatible, §9.2.2)."""
    return (
        f"curl -sS https://{fqdn}/v1/chat/completions "
        "-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        f'-d \'{{"model": "{model}", "messages": [{{"role": "user", '
        '"content": "ping"}], "max_tokens": 1}\''
    )


def _terms_by_phase(terms: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    phase_of = {key: phase for phase, keys in PHASE_TERMS.items() for key in keys}
    out: dict[str, list[Mapping[str, Any]]] = {phase: [] for phase in PHASE_ORDER}
    for term in terms:
        # A term this runbook does not know yet still counts, with the runtime.
        out[phase_of.get(str(term["key"]), "runtime")].append(term)
    return out


def as_estimates(estimate: Estimates | Mapping[str, Any]) -> Estimates:
    """The typed estimate of ``estimate`` (plan.json's mapping, or already typed)."""
    return estimate if isinstance(estimate, Estimates) else Estimates.from_json(estimate)


def _failover_parts(
    estimate: Estimates,
) -> tuple[DrTopologyRecord, SiteFactsRecord, SiteFactsRecord, RecoveryRecord]:
    """What a failover runbook needs (an estimate with a DR site has them all)."""
    topology, sites, rto = estimate.topology, estimate.sites, estimate.rto
    assert topology is not None and sites.primary is not None and sites.dr is not None
    assert rto is not None
    return topology, sites.primary, sites.dr, rto


def runbook_steps(
    estimate: Estimates | Mapping[str, Any], *, dr_prometheus_url: str | None = None
) -> list[RunbookStep]:
    """The ordered steps for a failover estimate (``estimate_for``'s).

    ``dr_prometheus_url`` is the DR site's Prometheus when the rendering stack knows it (the DR
    stack's own ``paif:observability``); the verification step shows a placeholder otherwise.
    """
    estimate = as_estimates(estimate)
    topology, primary, dr, rto = _failover_parts(estimate)
    pattern = estimate.pattern
    stacks = estimate.stacks
    dr_stack = _placeholder(stacks.dr, "DR stack")
    dr_supervisor = _dr_fact(dr.supervisor, f"Supervisor of {dr.name}", dr_stack)
    active = pattern == "active-active"
    grouped = _terms_by_phase(rto.terms)
    actions: dict[str, list[str]] = {phase: [] for phase in PHASE_ORDER}

    dr_fqdn = _dr_fact(dr.fqdn, f"ingress FQDN of {dr.name}", dr_stack)

    # -- detect
    traffic = topology.traffic
    fqdn = _placeholder(primary.fqdn or (traffic.fqdn if traffic else None), "service FQDN")
    actions["detect"].append(
        "Confirm the primary is down from outside it: the service health check fails "
        "repeatedly and the primary vCenter/Supervisor do not answer:\n\n"
        + _code(
            f"curl -fsS -o /dev/null -w '%{{http_code}}\\n' https://{fqdn}/healthz",
            f"curl -fsS -o /dev/null https://{primary.vcenter or primary.name}/ "
            "|| echo 'vCenter unreachable'",
        )
    )
    if active:
        actions["detect"].append(
            "Active-active needs no declaration: the GSLB health monitors take the failed "
            "site out by themselves. Open an incident and follow the steps to confirm."
        )
    else:
        actions["detect"].append(
            f"The incident commander declares failover to {dr.name} and freezes changes on "
            f"the primary stack ({_placeholder(stacks.primary, 'primary stack')})."
        )
    actions["detect"].append(
        "Log in to the DR Supervisor; the vSphere plugin names a context after each "
        "namespace:\n\n"
        + _code(f"kubectl vsphere login --server={dr_supervisor} --vsphere-username <you>")
    )

    # -- data tier: each database by the mechanism that feeds its copy (database_steps)
    references: dict[str, list[Reference]] = {phase: [] for phase in PHASE_ORDER}
    for db in topology.databases:
        step = failover_step(
            db, admin=DEFAULT_ADMIN_USERNAME, dr_site=dr.name, clusters=topology.clusters
        )
        actions["data"].append(step.text)
        references["data"].extend(step.references)
    if not topology.databases:
        actions["data"].append("No pgvector or app database is declared: nothing to do.")

    # -- registry
    refs = [e.model_ref for e in topology.endpoints]
    inbound = topology.registry.inbound if topology.registry else ()
    if refs:
        actions["registry"].append(
            f"Check that every served model is in the DR Harbor ({dr.harbor_url}) with the "
            "tag the endpoints reference (replicated images; PAIF-DR-010):\n\n"
            + _code(*(f"crane digest {ref}" for ref in refs))
        )
    else:
        actions["registry"].append("No model endpoint is declared: no model to check.")
    for flow in inbound:
        rules = ", ".join(f"`{p}-to-{flow.target_site}`" for p in flow.projects)
        if not rules:
            continue
        actions["registry"].append(
            f"When {flow.source_site} comes back, disable its push rules {rules} (Harbor UI at "
            f"{flow.source_harbor_url} → Administration → Replications) until it is "
            f"resynchronised from {flow.target_site}, so a stale site cannot overwrite newer "
            "artifacts."
        )

    # -- runtime
    failover_cmds = _code(*commands(dr_stack, True))
    namespaces = sorted({e.namespace for e in topology.endpoints})
    if active:
        actions["runtime"].append(
            f"{dr.name} already runs every endpoint and cluster at full scale; record the "
            "failover in the DR stack so it declares the promoted databases as writers and "
            "takes all traffic (nothing else changes):\n\n" + failover_cmds
        )
        if namespaces:
            actions["runtime"].append(
                "The autoscalers take the failed site's half; watch them scale out:\n\n"
                + _code(
                    *(
                        f"kubectl --context {ns} -n {ns} get scaledobjects,pods -w"
                        for ns in namespaces
                    )
                )
            )
    else:
        actions["runtime"].append(
            "Fail the DR stack over: it derives the full site (endpoints at the primary's "
            "replicas and autoscaling, VKS pools at the primary's size, databases as writers) "
            "and applies it:\n\n" + failover_cmds
        )
        for cluster in topology.clusters:
            ns, name = cluster.namespace, cluster.name
            needed = _num(cluster.failover_nodes)
            change = (
                f"is created with {needed} workers"
                if not cluster.deployed
                else f"grows from {_num(cluster.nodes)} to {needed} workers"
            )
            actions["runtime"].append(
                f"VKS cluster **{cluster.tenant}/{name}** {change}; wait until it is ready:"
                "\n\n"
                + _code(
                    f"kubectl --context {ns} -n {ns} get clusters.cluster.x-k8s.io {name}",
                    f"kubectl --context {ns} -n {ns} get machinedeployments "
                    f"-l cluster.x-k8s.io/cluster-name={name}",
                )
            )
    endpoints = topology.endpoints
    completions = [e.name for e in endpoints if e.type == "completions"]
    if endpoints:
        lines = [
            f"kubectl --context {ns} -n {ns} get modelendpoints.pais.vmware.com"
            for ns in namespaces
        ]
        lines += [_chat(dr_fqdn, name) for name in completions]
        needed = ", ".join(
            f"{e.tenant}/{e.name} {_num(e.failover_replicas.min)}" for e in endpoints
        )
        actions["runtime"].append(
            f"Model endpoints reach their minimum replicas ({needed}); send one warm-up "
            "request per completion model before traffic arrives (§9.5.3):\n\n" + _code(*lines)
        )

    # -- gateway / DNS
    if traffic is not None and traffic.mode == "gslb":
        gslb = traffic.gslb or {}
        domain = _placeholder(gslb.get("domain"), "GSLB domain")
        actions["gateway"].append(
            f"Avi Controller → Applications → GSLB Services → `{domain}`: check that the "
            f"{primary.name} pool member is down by its health monitors and {dr.name} "
            "answers alone; with site persistence, conversations pinned to the failed site "
            "restart on the survivor. Clients follow within the GSLB TTL "
            f"({_num(gslb.get('ttl', '?'))} s):\n\n" + _code(f"dig +short {domain}")
        )
        actions["gateway"].append(
            f"Commit the DR stack file with `paif:dr.failover: true`: when {primary.name} "
            f"comes back, its own stack (`pulumi up --stack "
            f"{_placeholder(stacks.primary, 'primary stack')}`) declares its GSLB member "
            "disabled for as long as that file says failed over, so the health monitors cannot "
            "send users to a site whose databases are not yet re-seeded; failing the DR stack "
            "back enables it again."
        )
    else:
        vip = _dr_fact(dr.virtual_ip, f"ingress virtual IP of {dr.name}", dr_stack)
        ttl = int(float((estimate.assumptions or {}).get("dnsTtlSeconds", 300)))
        actions["gateway"].append(
            f"Point `{fqdn}` at the DR ingress virtual IP {vip} (the DR NSX load balancer "
            "terminates TLS with the same certificate), in your DNS provider or with "
            "nsupdate:\n\n"
            + _code(
                "nsupdate -k /etc/paif/dns.key <<'EOF'",
                f"update delete {fqdn} A",
                f"update add {fqdn} {ttl} A {vip}",
                "send",
                "EOF",
                f"dig +short {fqdn}   # expect {vip}",
            )
        )

    # -- validate (§9.7.2 after-deployment criteria): `paif verify` runs them all
    dr_name = dr.name
    actions["validate"].extend(
        [
            f"Run the §9.7.2 checks against the DR site through the service name: each "
            f"endpoint's health check answers {HEALTH_OK_STATUS} OK and lists its model, the "
            f"P95 of {VERIFY_SAMPLE_REQUESTS} sample requests per endpoint stays below "
            f"{SLA_P95_SECONDS:g} s (the project default, §9.7.2's example SLA, unless the "
            f"stack sets its own), no more than {SLA_ERROR_RATE * 100:g} % of them fail, and, "
            "with `--prometheus`, autoscaling adds replicas under that load and no alert of "
            "the DR site is firing (exit 1: the failed checks are named). "
            f"{VERIFY_SAMPLE_REQUESTS} requests are too few to show an error rate below "
            f"{SLA_ERROR_RATE * 100:g} %, so with none failing the error-rate check alone ends "
            "inconclusive (exit 3); once traffic is back, run it again without `--requests` "
            "(enough requests to show the rate, paced below each endpoint's rate limit):\n\n"
            + _code(
                "export PAIF_VERIFY_TOKEN=...   # an API token of the gateway",
                f"paif verify --stack {dr_stack} --url https://{fqdn} "
                f"--requests {VERIFY_SAMPLE_REQUESTS} --prometheus "
                + _dr_fact(
                    dr_prometheus_url or dr.prometheus_url,
                    f"Prometheus URL of {dr_name}",
                    dr_stack,
                ),
            ),
            "Logging and alerting: the DR site's log system receives the endpoints' logs, and "
            "its PaifWatchdog alert reaches the on-call channel (`paif verify` reports both "
            "as the logging and alerting checks).",
        ]
    )

    steps = []
    for phase in PHASE_ORDER:
        terms = tuple(grouped[phase])
        steps.append(
            RunbookStep(
                phase=phase,
                title=PHASE_TITLES[phase],
                seconds=sum(float(t["seconds"]) for t in terms),
                terms=terms,
                actions=tuple(actions[phase]),
                references=tuple(references[phase]),
            )
        )
    return steps


def failback_steps(estimate: Estimates | Mapping[str, Any]) -> list[DatabaseStep]:
    """Each database's way back to the rebuilt primary (paif_components.dr.database_steps)."""
    estimate = as_estimates(estimate)
    topology, primary, _, _ = _failover_parts(estimate)
    stacks = estimate.stacks
    return [
        failback_step(
            db,
            admin=DEFAULT_ADMIN_USERNAME,
            primary_stack=_placeholder(stacks.primary, "primary stack"),
            dr_stack=_placeholder(stacks.dr, "DR stack"),
            primary_supervisor=_placeholder(primary.supervisor, f"Supervisor of {primary.name}"),
        )
        for db in topology.databases
    ]


def render_runbook(config: StackConfig, estimate: Estimates | Mapping[str, Any]) -> str:
    """Markdown failover runbook for this stack's topology (module doc)."""
    estimate = as_estimates(estimate)
    pattern = estimate.pattern
    site = config.site.name
    if pattern == "none" or estimate.rto is None or estimate.rpo is None:
        return (
            f"# Failover runbook: {site}\n\n"
            "This stack declares no DR pattern (`paif:dr.pattern: none`), so there is no site "
            "to fail over to. Declare pilot-light, warm-standby or active-active in both stack "
            "files (§9.3.3; PAIF-DR-001).\n"
        )
    stacks = estimate.stacks
    _, primary_facts, dr_facts, rto = _failover_parts(estimate)
    primary, dr = primary_facts.name, dr_facts.name
    rpo = estimate.rpo
    observability = config.observability
    own_prometheus = (
        observability.prometheus.resolved_url
        if observability.enabled and config.site.name == dr
        else None
    )
    steps = runbook_steps(estimate, dr_prometheus_url=own_prometheus)
    own_stack = stacks.dr if estimate.role == "dr" else stacks.primary
    total = sum(s.seconds for s in steps)
    out: list[str] = [
        f"# Failover runbook: {primary} → {dr} ({pattern})",
        "",
        f"Rendered by `paif plan` for stack `{_placeholder(own_stack, site)}`"
        f" from the declared topology: primary stack "
        f"`{_placeholder(stacks.primary, 'primary')}`, DR stack "
        f"`{_placeholder(stacks.dr, 'dr')}`. Durations are the plan's RTO estimate, "
        "term by term (`estimates.rto.terms` in plan.json); steps run one after another.",
        "",
        f"- Estimated RTO: **{rto.duration}** ({rto.band}; §9.3 expects "
        f"{rto.source_band} for {pattern})",
        f"- Estimated RPO: **{rpo.duration}** ({rpo.band}; §9.3 expects {rpo.source_band})",
    ]
    objectives = estimate.objectives
    if objectives:
        for key in ("rto", "rpo"):
            o = objectives[key]
            verdict = "met" if o["met"] else "**NOT met**"
            out.append(f"- Declared {key.upper()}: {o['declared']}: {verdict}")
    else:
        out.append("- No RTO/RPO objectives declared (`paif:dr.objectives`).")
    for reason in rpo.unbounded or ():
        out.append(f"- Warning: {reason}")
    for note in estimate.notes:
        out.append(f"- Note: {note}")
    out += ["", "| # | step | estimated | terms |", "|---|---|---|---|"]
    for number, step in enumerate(steps, 1):
        terms = ", ".join(f"{t['label']} {t['duration']}" for t in step.terms) or "—"
        out.append(f"| {number} | {step.title} | {step.duration} | {terms} |")
    out.append(f"| | **total** | **{format_duration(total)}** | |")
    if objectives:
        o = objectives["rto"]
        relation = "within" if o["met"] else "over"
        out.append("")
        out.append(
            f"Total {format_duration(total)} is {relation} the declared RTO {o['declared']}."
        )
    for number, step in enumerate(steps, 1):
        out += ["", f"## {number}. {step.title} ({step.duration})", ""]
        for term in step.terms:
            out.append(f"- {term['label']}, {term['duration']}: {term['explanation']}")
        if step.terms:
            out.append("")
        for action in step.actions:
            out += [action, ""]
        if out[-1] == "":
            out.pop()
    changes = list(estimate.failover.changes) if estimate.failover else []
    dr_stack = _placeholder(stacks.dr, "DR stack")
    out += ["", "## What the failover changes", ""]
    out += _changes_table(changes, dr_stack)
    out += [
        "",
        "## After the failover: fail back",
        "",
        f"- {dr} is now the writer. Never run two writable primaries (§9.3.3): keep "
        f"{primary}'s databases fenced until each is rebuilt below.",
        f"- Order: (1) bring {primary} back and rebuild its clusters with its own stack; "
        f"(2) move each database's data back (below), writes frozen at {dr}; (3) fail the DR "
        f"stack back to standing by; (4) move the traffic back (the reverse of step "
        f"{PHASE_ORDER.index('gateway') + 1}); (5) validate at {primary} as in step "
        f"{PHASE_ORDER.index('validate') + 1}.",
        "- Step (3) from a laptop, with the primary back and re-seeded; `pulumi up` applies "
        "the table above read from right to left and deletes nothing protected:",
        "",
        _code(*commands(dr_stack, False)),
        "",
    ]
    for failback in failback_steps(estimate):
        out += [failback.text, ""]
    return "\n".join(out)


def _changes_table(changes: Sequence[Mapping[str, Any]], dr_stack: str) -> list[str]:
    """What ``pulumi up`` of the DR stack changes at failover (paif_components.dr.failover)."""
    if not changes:
        return ["Nothing: the DR site already runs as it would serve."]
    rows = [
        f"`{' && '.join(commands(dr_stack, True))}` changes (failback: right to left):",
        "",
        "| part | standing by | serving |",
        "|---|---|---|",
    ]
    rows += [
        f"| {c['part']} {c['name']} | {describe(c['standingBy'])} | {describe(c['serving'])} |"
        for c in changes
    ]
    return rows
