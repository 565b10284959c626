"""Security rules (§9.6): TLS at the edge, rate limits, secrets, management network, audit and
Harbor hygiene (pinned images and pod hardening: ``paif_policies.rules.workloads``; OIDC and RBAC:
``paif_policies.rules.access``).

Site props these rules read (``paif:site:PaifSite``), beyond the framework's:

``audit``                      ``{enabled, retentionDays}`` (``paif:security.audit``)
``plaintextSecretConfigKeys``  config keys that look like credentials but are not secrets
``managementCidrs``            the management network (``paif:network.managementCidrs``)
``adminSourceCidrs``           who may reach it (``paif:network.adminSourceCidrs``)

Secrets and the two engines (PAIF-SEC-004). Live, the engine marshals inputs with their secret
markers and the policy SDK unwraps them (``deserialize_properties`` without
``proxy_secrets``): a stack policy sees a Pulumi secret as its plaintext, exactly like a plain
value. Offline, ``paif plan`` records secrets as the placeholder ``[secret]``. So the rule never
decides by the value alone:

- a Kubernetes object other than a ``Secret`` stores its fields in plain text in etcd whatever
  Pulumi thinks of them, so a credential-named field or env var with a literal value is a
  finding in both engines (a Secret reference such as ``authSecret: ngc-api`` is not);
- any other resource passes when the input is the offline placeholder or is named in the
  resource's ``additionalSecretOutputs`` option (generated SDKs set it, and wrap the input in
  ``Output.secret``, for every input their schema marks secret: Harbor ``Registry.accessSecret``,
  ``RobotAccount.secret``, ...), which the engine sends to the analyzer in both engines;
- provider resources are left to the config check: their credentials come from config
  (``vsphere:password``, ``harbor:password``), live their secret values arrive unmarked and
  without ``additionalSecretOutputs`` (the vSphere provider's schema does not mark its
  password), and ``plaintextSecretConfigKeys`` says whether config holds them in plain text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.avi_binding import (
    AVI_VIRTUAL_SERVICE_TYPE,
    AVI_WAF_POLICY_TYPE,
)
from paif_components.contract import tokens
from paif_components.contract.annotations import RATE_LIMIT_RPM_ANNOTATION
from paif_components.contract.plan import SECRET_PLACEHOLDER
from paif_components.nsx_binding import (
    POLICY_GROUP_TYPE,
    POLICY_LB_VIRTUAL_SERVER_TYPE,
    POLICY_SECURITY_POLICY_TYPE,
)
from paif_components.secret_values import is_credential_name
from paif_policies.credentials import (
    field_path,
    is_secret_reference,
    string_fields,
)
from paif_policies.harbor_replication import HARBOR_PROJECT_TYPE
from paif_policies.readers import is_true, known
from paif_policies.registry import Violation, rule
from paif_policies.view import StackView, as_int, as_number, endpoints, label

HARBOR_ROBOT_TYPE: Final = tokens.HARBOR_ROBOT_ACCOUNT


KUBERNETES_SECRET_TYPE: Final = tokens.KUBERNETES_SECRET


# Library default of paif:security.audit.retentionDays (paif_components.config.models.Audit):
# one year, the retention PCI DSS v4 requirement 10.5.1 asks of audit logs. §9.6.3 asks for a
# log-retention policy without a number.
MIN_AUDIT_RETENTION_DAYS: Final = 365


# §9.6.3 least privilege: a serving robot reads images and nothing else.
READ_ONLY_ROBOT_ACTIONS: Final = frozenset({"pull", "read", "list"})


# Push replication writes into the receiving projects: push and pull, nothing more.
REPLICATION_ROBOT_ACTIONS: Final = frozenset({"pull", "push", "read", "list"})


RATE_LIMIT_ANNOTATION: Final = RATE_LIMIT_RPM_ANNOTATION


# Avi WafPolicy.mode that blocks what it detects (the provider defaults to detection only).
WAF_ENFORCEMENT: Final = "WAF_MODE_ENFORCEMENT"


def _networks(values: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for value in values or []:
        try:
            out.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue
    return out


def _group_networks(group: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    addresses: list[str] = []
    for criteria in known(lambda: group.props.get("criterias"), None) or []:
        expression = criteria.get("ipaddressExpression") or {}
        addresses.extend(str(a) for a in known(lambda e=expression: e.get("ipAddresses"), []) or [])
    return _networks(addresses)


def _overlaps(a: Any, b: Any) -> bool:
    return a.version == b.version and a.overlaps(b)


def _within(a: Any, b: Any) -> bool:
    return a.version == b.version and a.subnet_of(b)


def _count(mapping: Any, key: str) -> int | None:
    """Length of a list prop, None when it is unknown during preview."""
    return known(lambda: len(mapping.get(key) or []), None)


@rule(
    "PAIF-SEC-003",
    title="Rate limiting per tenant on model endpoints",
    severity="medium",
    section="§9.6.3 AI-specific",
    rationale="One tenant's runaway client or a prompt flood takes every GPU replica; a rate "
    "limit at the ML API gateway keeps the shared pool fair and bounds the cost (§9.2.2: "
    "per namespace or user). Neither PAIS's published ModelEndpoint and PAISConfiguration nor "
    "NIMService has a rate-limit field, so the rule checks the limit the component records "
    "for the gateway's operators (annotation paif.vmware.com/rate-limit-rpm); it cannot see "
    "whether the gateway applies it.",
    remediation="Set rateLimit.requestsPerMinute (and tokensPerMinute) on every model endpoint "
    "in paif:tenants[].modelEndpoints.",
)
def check_rate_limits(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for endpoint in endpoints(view):
        limit = as_number(endpoint.annotations.get(RATE_LIMIT_ANNOTATION))
        where = f"annotation {RATE_LIMIT_ANNOTATION}"
        if limit is None or limit <= 0:
            yield Violation(
                f"{endpoint.label} has no rate limit ({where}): one client can exhaust the "
                f"tenant's GPUs; set rateLimit.requestsPerMinute",
                endpoint.resource.urn,
            )


@rule(
    "PAIF-SEC-004",
    title="Secrets only as Pulumi secrets; no plaintext credentials in config or inputs",
    severity="critical",
    section="§9.6.3 identity",
    rationale="Plain config lands in git and plain inputs in the state file and in every "
    "preview; a Kubernetes object other than a Secret stores its fields readable to anyone who "
    "can list it.",
    remediation="pulumi config set --secret <key>; pass credentials as pulumi.Output.secret; "
    "in Kubernetes put them in a Secret and reference it (secretKeyRef, a Secret name).",
)
def check_secrets(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for key in view.facts.plaintext_secret_config_keys:
        yield Violation(
            f"config key {key!r} looks like a credential but is stored in plain text in the "
            f"stack file; set it with `pulumi config set --secret {key}`",
            view.site_urn,
        )
    for resource in view.resources:
        type_ = resource.resource_type
        if type_.startswith(("pulumi:", "paif:")):
            continue  # providers (config check above), the stack, components
        if type_.startswith("kubernetes:"):
            yield from _kubernetes_plaintext(resource)
        else:
            yield from _input_plaintext(resource)


def _kubernetes_plaintext(resource: Any) -> Iterator[Violation]:
    is_secret = resource.resource_type == KUBERNETES_SECRET_TYPE
    found: list[str] = []
    for container, key, value, parent in string_fields(resource.props):
        if not value.strip():
            continue
        if is_secret and field_path(container, key).startswith(("data", "stringData")):
            continue
        if key == "value":
            name = known(lambda p=parent: p.get("name"), None)
            if isinstance(name, str) and is_credential_name(name):
                found.append(f"env {name} ({field_path(container, key)})")
            continue
        if is_credential_name(key):
            if is_secret_reference(key, value):
                continue
            found.append(field_path(container, key))
    if found:
        yield Violation(
            f"{label(resource)} holds credential(s) in plain fields: {', '.join(found)}; "
            "Kubernetes stores them readable to anyone who can get the object: put them in a "
            "Secret and reference it (valueFrom.secretKeyRef, a Secret name)",
            resource.urn,
        )


def _input_plaintext(resource: Any) -> Iterator[Violation]:
    declared_secret = set(getattr(resource.opts, "additional_secret_outputs", None) or [])
    found = []
    for container, key, value, _parent in string_fields(resource.props):
        if not value.strip() or value == SECRET_PLACEHOLDER:
            continue
        if not is_credential_name(key):
            continue
        path = field_path(container, key)
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        if top in declared_secret:
            continue
        found.append(path)
    if found:
        yield Violation(
            f"{label(resource)} input(s) {', '.join(found)} hold a credential that is not a "
            "Pulumi secret: it is stored in plain text in the state and shown by every "
            "preview; pass it as pulumi.Output.secret (or config --secret)",
            resource.urn,
        )


@rule(
    "PAIF-SEC-005",
    title="Management network reachable only from the admin source group",
    severity="high",
    section="§9.6.1",
    rationale="vCenter, NSX Manager and VCF control every workload: reachable from the "
    "workload or user networks, one compromised pod or laptop is one step from all of them.",
    remediation="Declare paif:network.managementCidrs and adminSourceCidrs; the EdgeSecurity "
    "DFW policy allows admins to the management group and drops everything else to it.",
)
def check_management_network(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if view.facts.edge == "external" or view.part == "tenants":
        # paif:network.edge external, or a tenant group of a split site (paif:layout): the
        # stack that manages the edge is checked
        return
    management = _networks(list(view.facts.management_cidrs))
    admins = _networks(list(view.facts.admin_source_cidrs))
    if not management:
        if view.is_production:
            yield Violation(
                "the site declares no management network (paif:network.managementCidrs), so "
                "nothing keeps it reachable only from administrators",
                view.site_urn,
            )
        return
    groups = view.of_type(POLICY_GROUP_TYPE)
    mgmt_groups = {
        g.urn
        for g in groups
        if any(_overlaps(n, m) for n in _group_networks(g) for m in management)
    }
    policies = [
        p
        for p in view.of_type(POLICY_SECURITY_POLICY_TYPE)
        if any(d.urn in mgmt_groups for d in getattr(p, "dependencies", None) or [])
    ]
    cidrs = ", ".join(str(m) for m in management)
    if not mgmt_groups or not policies:
        yield Violation(
            f"no NSX distributed-firewall policy protects the management network ({cidrs}): "
            "anything that can route there reaches vCenter and NSX Manager",
            view.site_urn,
        )
        return
    for policy in policies:
        yield from _management_policy(view, policy, mgmt_groups, admins)


def _management_policy(
    view: StackView, policy: Any, mgmt_groups: set[str], admins: list[Any]
) -> Iterator[Violation]:
    what = f"DFW policy {policy.props.get('displayName') or policy.name!r}"
    active = [r for r in policy.props.get("rules") or [] if not r.get("disabled")]
    for rule_ in active:
        if str(rule_.get("action")) != "ALLOW":
            continue
        sources = _count(rule_, "sourceGroups")
        if sources == 0 or rule_.get("sourcesExcluded"):
            yield Violation(
                f"{what} rule {rule_.get('displayName')!r} allows "
                + ("any source" if sources == 0 else "every source outside its groups")
                + " to the management network; allow the admin source group only",
                policy.urn,
            )
    last = active[-1] if active else None
    if (
        last is None
        or str(last.get("action")) not in ("DROP", "REJECT")
        or _count(last, "sourceGroups") != 0
    ):
        yield Violation(
            f"{what} does not end with a rule that drops every other source to the management "
            "network; traffic the allow rule does not match falls through to later policies",
            policy.urn,
        )
    for group in getattr(policy, "dependencies", None) or []:
        if group.resource_type != POLICY_GROUP_TYPE or group.urn in mgmt_groups:
            continue
        name = group.props.get("displayName") or group.name
        for network in _group_networks(group):
            if network.prefixlen == 0:
                yield Violation(
                    f"{what} admits source group {name!r}, which contains {network}: every address",
                    policy.urn,
                )
            elif admins and not any(_within(network, a) for a in admins):
                yield Violation(
                    f"{what} admits source group {name!r} with {network}, outside the admin "
                    f"sources ({', '.join(str(a) for a in admins)})",
                    policy.urn,
                )


@rule(
    "PAIF-SEC-006",
    title="Audit and API logging enabled and retained",
    severity="medium",
    section="§9.6.3 audit",
    rationale="Every API call is logged so an incident can be traced, and kept long enough "
    "for the compliance period.",
    remediation="Keep paif:security.audit.enabled true with retentionDays ≥ the configured "
    "minimum, and access logging on at the load balancer.",
    thresholds={"minRetentionDays": MIN_AUDIT_RETENTION_DAYS},
)
def check_audit(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    audit = view.facts.audit
    minimum = as_int(thresholds.get("minRetentionDays"), MIN_AUDIT_RETENTION_DAYS) or 0
    if not audit:
        yield Violation("the site declares no audit logging (paif:security.audit)", view.site_urn)
    elif audit.get("enabled") is not True:
        yield Violation(
            "audit logging is disabled (paif:security.audit.enabled): API calls leave no trace",
            view.site_urn,
        )
    else:
        days = as_int(audit.get("retentionDays"))
        if days is None or days < minimum:
            yield Violation(
                f"audit logs are kept {days if days is not None else 'an unset number of'} "
                f"day(s), fewer than the required {minimum} "
                "(paif:security.audit.retentionDays)",
                view.site_urn,
            )
    for server in view.of_type(POLICY_LB_VIRTUAL_SERVER_TYPE):
        if server.props.get("accessLogEnabled") is not True:
            yield Violation(
                f"NSX virtual server {server.props.get('displayName') or server.name!r} has "
                "access logging off (accessLogEnabled): API calls through the entry are not "
                "logged",
                server.urn,
            )
    for service in view.of_type(AVI_VIRTUAL_SERVICE_TYPE):
        logs = [
            entry
            for policy in service.props.get("analyticsPolicies") or []
            for entry in policy.get("fullClientLogs") or []
        ]
        always = any(is_true(e.get("enabled")) and as_int(e.get("duration"), 30) == 0 for e in logs)
        if not always:
            yield Violation(
                f"Avi virtual service {service.props.get('name') or service.name!r} does not "
                "log every request (analyticsPolicies[].fullClientLogs enabled with duration 0): "
                "API calls through the entry are logged only on errors or for a while",
                service.urn,
            )


@rule(
    "PAIF-SEC-007",
    title="Harbor projects private, scanned on push, pulled by least-privilege robots",
    severity="medium",
    section="§9.6.3 AI-specific",
    rationale="Model weights are company assets: a public project hands them to anyone who "
    "can reach Harbor; unscanned images ship known CVEs; a robot that can push or delete "
    "turns a leaked pull secret into a supply-chain attack.",
    remediation="Keep Harbor projects public=false with vulnerabilityScanning=true, and give "
    "serving robots pull access to their own project only.",
)
def check_harbor(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    for project in view.of_type(HARBOR_PROJECT_TYPE):
        props = project.props
        what = f"Harbor project {props.get('name') or project.name!r}"
        if is_true(props.get("public")):
            yield Violation(f"{what} is public: anyone can pull its models", project.urn)
        if props.get("vulnerabilityScanning") is False:
            yield Violation(f"{what} does not scan images on push", project.urn)
    for robot in view.of_type(HARBOR_ROBOT_TYPE):
        props = robot.props
        what = f"Harbor robot {props.get('name') or robot.name!r}"
        # A project robot serves pulls; a system robot is the peer's replication login and
        # may push too (HarborReplicationReceiver), into named projects only.
        system = str(props.get("level") or "project") == "system"
        allowed = REPLICATION_ROBOT_ACTIONS if system else READ_ONLY_ROBOT_ACTIONS
        for permission in props.get("permissions") or []:
            namespace = known(lambda p=permission: p.get("namespace"), None)
            if namespace == "*" or permission.get("kind") == "system":
                yield Violation(
                    f"{what} has access to "
                    + ("every project (namespace '*')" if namespace == "*" else "system resources")
                    + "; scope it to the projects it serves",
                    robot.urn,
                )
            actions = sorted(
                {
                    f"{a.get('action')} {a.get('resource')}"
                    for a in permission.get("accesses") or []
                    if a.get("effect", "allow") != "deny"
                    and (
                        str(a.get("action")) not in allowed
                        or (a.get("action") == "push" and a.get("resource") != "repository")
                    )
                }
            )
            if actions:
                yield Violation(
                    f"{what} may {', '.join(actions)} in project {namespace!r}; "
                    + (
                        "a replication robot pushes and pulls repositories only"
                        if system
                        else "a serving robot pulls only"
                    ),
                    robot.urn,
                )


@rule(
    "PAIF-SEC-009",
    title="Production entry has a WAF in enforcement mode",
    severity="high",
    section="§9.1.1 (production access: TLS, WAF), §9.6.1 perimeter (optional WAF); "
    "required in production: project default",
    rationale="§9.1.1 lists TLS and a WAF under production's hardened access, while §9.6.1 "
    "marks the WAF at the edge optional; requiring one in production is a project default: "
    "prompt floods, injection payloads and scanners are stopped before they reach the "
    "gateway. The NSX load balancer has no WAF; an Avi virtual service carries one, and a WAF "
    "in detection mode only reports.",
    remediation="Keep network.ingress.waf on (the default in production): the site builds an "
    "Avi virtual service with a WAF policy in enforcement mode (network.ingress.avi.wafMode); "
    "or waive this rule with the reason and the WAF that stands in front of the entry.",
)
def check_waf(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    if not view.is_production:
        return
    for server in view.of_type(POLICY_LB_VIRTUAL_SERVER_TYPE):
        yield Violation(
            f"NSX virtual server {server.props.get('displayName') or server.name!r} is the "
            "entry and the NSX load balancer runs no WAF: set network.ingress.waf (an Avi "
            "virtual service with a WAF policy)",
            server.urn,
        )
    for service in view.of_type(AVI_VIRTUAL_SERVICE_TYPE):
        what = f"Avi virtual service {service.props.get('name') or service.name!r}"
        policies = [
            d
            for d in getattr(service, "dependencies", None) or []
            if d.resource_type == AVI_WAF_POLICY_TYPE
        ]
        attached = known(lambda s=service: s.props.get("wafPolicyRef"), "unknown")
        if not attached and not policies:
            yield Violation(f"{what} has no WAF policy (wafPolicyRef)", service.urn)
            continue
        for policy in policies:
            mode = policy.props.get("mode") or "WAF_MODE_DETECTION_ONLY"
            if mode != WAF_ENFORCEMENT:
                yield Violation(
                    f"{what}: WAF policy {policy.props.get('name') or policy.name!r} is in "
                    f"{mode}: it reports attacks but lets them through",
                    service.urn,
                )
