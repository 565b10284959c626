"""Security rules (§9.6): TLS at the edge, rate limits, secrets, management network, audit and
Harbor hygiene (pinned images and pod hardening: ``policies.rules.workloads``; OIDC and RBAC:
``policies.rules.access``).

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

from pulumi_policy.proxy import UnknownValueError

from components.avi_binding import (
    AVI_POOL_TYPE,
    AVI_VIRTUAL_SERVICE_TYPE,
    AVI_WAF_POLICY_TYPE,
)
from components.nsx_binding import (
    GSLB_SERVICE_TYPE,
    POLICY_GROUP_TYPE,
    POLICY_LB_VIRTUAL_SERVER_TYPE,
    POLICY_SECURITY_POLICY_TYPE,
)
from components.secret_values import is_credential_name
from components.secret_values import words as _words
from policies import sdk_proxies
from policies.framework import (
    DSM_GROUP,
    StackView,
    Violation,
    as_int,
    as_number,
    endpoints,
    get_path,
    label,
    rule,
)
from policies.rules.dr import (
    HARBOR_PROJECT_TYPE,
    known,
)

HARBOR_ROBOT_TYPE: Final = "harbor:index/robotAccount:RobotAccount"
KUBERNETES_SECRET_TYPE: Final = "kubernetes:core/v1:Secret"
# paif_cli.mock_runtime.SECRET_PLACEHOLDER: how the offline plan records a secret value.
SECRET_PLACEHOLDER: Final = "[secret]"

# §9.6.1: external users reach the platform over HTTPS; 80 is the plain-HTTP port.
PLAIN_HTTP_PORT: Final = 80
# Service types reachable from outside the cluster, and the appProtocols that carry TLS.
EXTERNAL_SERVICE_TYPES: Final = frozenset({"LoadBalancer", "NodePort"})
TLS_APP_PROTOCOLS: Final = frozenset({"https", "tls"})
GATEWAY_API_GROUP: Final = "gateway.networking.k8s.io/"
TLS_LISTENER_PROTOCOLS: Final = frozenset({"HTTPS", "TLS"})
# Library default of paif:security.audit.retentionDays (components.config.models.Audit):
# one year, the retention PCI DSS v4 requirement 10.5.1 asks of audit logs. §9.6.3 asks for a
# log-retention policy without a number.
MIN_AUDIT_RETENTION_DAYS: Final = 365
# §9.6.3 least privilege: a serving robot reads images and nothing else.
READ_ONLY_ROBOT_ACTIONS: Final = frozenset({"pull", "read", "list"})
# Push replication writes into the receiving projects: push and pull, nothing more.
REPLICATION_ROBOT_ACTIONS: Final = frozenset({"pull", "push", "read", "list"})
RATE_LIMIT_ANNOTATION: Final = "paif.vmware.com/rate-limit-rpm"
# components.pgvector_database: the libpq sslmode a database's clients must use.
SSLMODE_ANNOTATION: Final = "paif.vmware.com/sslmode"
# libpq sslmode values that encrypt the connection or fail (the others fall back to plain text).
TLS_SSLMODES: Final = ["require", "verify-ca", "verify-full"]
# Avi WafPolicy.mode that blocks what it detects (the provider defaults to detection only).
WAF_ENFORCEMENT: Final = "WAF_MODE_ENFORCEMENT"
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


# --- helpers --------------------------------------------------------------------------------


def _is_secret_reference(key: str, value: str) -> bool:
    """``authSecret: ngc-api-secret``: a field ending in *secret* that names a Secret object."""
    words = _words(key)
    return bool(words) and words[-1] == "secret" and _DNS_SUBDOMAIN.match(value) is not None


def _child(node: Any, key: Any) -> tuple[bool, Any]:
    try:
        return True, node[key]
    except (UnknownValueError, KeyError, IndexError, TypeError):
        return False, None  # unknown during preview: not a literal anyone wrote


def _entries(node: Any, path: str) -> Iterator[tuple[str, str | None, Any, Any]]:
    """A mapping's (path, key, value, mapping) and a sequence's (path, None, item, sequence),
    read through ``node[key]`` (the analyzer's proxies are read from their targets instead,
    in :func:`_collect_strings`)."""
    if isinstance(node, str):
        return
    if isinstance(node, Mapping):
        for key in list(node):
            ok, value = _child(node, key)
            if ok:
                yield (f"{path}.{key}" if path else str(key)), str(key), value, node
    elif hasattr(node, "__len__") and hasattr(node, "__getitem__"):
        for index in range(len(node)):
            ok, value = _child(node, index)
            if ok:
                yield f"{path}[{index}]", None, value, node


def _string_fields(node: Any) -> list[tuple[str, str, str, Any]]:
    """The (path of its mapping, key, value, mapping) of every known string value in a
    mapping of a props tree, depth first, each before what is below it: what the
    plaintext-credential rules look at. Paths are spelled per mapping and list, not per
    entry (:func:`_field_path`); unknown values are skipped."""
    found: list[tuple[str, str, str, Any]] = []
    _collect_strings(node, "", found)
    return found


def _field_path(container: str, key: str) -> str:
    return f"{container}.{key}" if container else key


def _collect_strings(node: Any, path: str, found: list[tuple[str, str, str, Any]]) -> None:
    mapping = sdk_proxies.dict_target(node)
    items = sdk_proxies.list_target(node) if mapping is None else None
    if mapping is not None:
        # The analyzer's read-only proxies: their values as ``node[key]`` returns them, read
        # from the proxy's target (as pulumi-policy's own serializer does) rather than through
        # a proxy call each; an unknown value is skipped, as ``_child`` skips it.
        for key, value in mapping.items():
            if isinstance(value, str):
                if not sdk_proxies.is_unknown(value):
                    found.append((path, str(key), value, node))
            elif not (value is None or isinstance(value, bool | int | float)):
                _collect_strings(value, f"{path}.{key}" if path else str(key), found)
    elif items is not None:
        for index, value in enumerate(items):
            if not (value is None or isinstance(value, str | bool | int | float)):
                _collect_strings(value, f"{path}[{index}]", found)
    elif not isinstance(node, str):
        for child_path, key, value, parent in _entries(node, path):
            if isinstance(value, str):
                if key is not None:
                    found.append((path, key, value, parent))
            else:
                _collect_strings(value, child_path, found)


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


# --- the rules ------------------------------------------------------------------------------


@rule(
    "PAIF-SEC-001",
    title="TLS at the entry, nothing external in plain text; internal hops encrypted in production",
    severity="critical",
    section="§9.6.1, §9.6.3",
    rationale="Prompts, answers and tokens cross the corporate network or the internet: in "
    "plain text anyone on the path reads and alters them, whatever the port. Inside, the load "
    "balancer's hop to the backends and every database connection carry the same data (§9.6.3: "
    "TLS between internal services), so production encrypts them too.",
    remediation="Give each entry (NSX virtual server: client SSL block; Avi virtual service: "
    "SSL service, certificate and SSL profile) TLS, never plain HTTP; re-encrypt to the "
    "backends (network.ingress.serverSslProfile / avi.serverSslProfile); keep databases' "
    "sslMode require, verify-ca or verify-full; publish apps through an Ingress with spec.tls "
    "for every host (apps[].expose with apps[].ingress.tlsSecret) or a Gateway listener of "
    "protocol HTTPS/TLS; a LoadBalancer or NodePort Service must serve TLS on every port "
    "(appProtocol https or tls).",
    thresholds={"tlsSslModes": TLS_SSLMODES},
)
def check_tls(view: StackView, thresholds: Mapping[str, Any]) -> Iterator[Violation]:
    for server in view.of_type(POLICY_LB_VIRTUAL_SERVER_TYPE):
        yield from _nsx_entry_tls(view, server)
    for service in view.of_type(AVI_VIRTUAL_SERVICE_TYPE):
        yield from _avi_entry_tls(service)
    yield from _internal_hops(view, [str(m) for m in thresholds.get("tlsSslModes") or []])
    for service in view.of_type(GSLB_SERVICE_TYPE):
        for ref in service.props.get("healthMonitorRefs") or []:
            name = str(ref).rsplit("name=", 1)[-1].rsplit("/", 1)[-1]
            if re.search(r"(?i)(^|[-_])HTTP($|[-_])", name):
                yield Violation(
                    f"GSLB service {service.props.get('name') or service.name!r} checks the "
                    f"sites with plain-HTTP health monitor {name!r}: the sites answer HTTP; "
                    "monitor them over HTTPS (e.g. System-GSLB-HTTPS)",
                    service.urn,
                )
    yield from _plain_services(view)
    yield from _plain_ingresses(view)
    for gateway in view.kube("Gateway", GATEWAY_API_GROUP):
        for listener in get_path(gateway.props, "spec.listeners") or []:
            protocol = str(listener.get("protocol") or "")
            if protocol.upper() not in TLS_LISTENER_PROTOCOLS:
                yield Violation(
                    f"{label(gateway)} listener {listener.get('name')!r} on port "
                    f"{as_int(listener.get('port'))} speaks {protocol or 'an unset protocol'}, not "
                    "HTTPS or TLS",
                    gateway.urn,
                )


def _plain_services(view: StackView) -> Iterator[Violation]:
    """Services reachable from outside the cluster with a port that carries no TLS."""
    for svc in view.kube("Service", "v1"):
        spec = svc.props.get("spec") or {}
        kind = str(spec.get("type") or "ClusterIP")
        if kind in EXTERNAL_SERVICE_TYPES:
            how = f"a {kind} Service"
        elif spec.get("externalIPs"):
            how = "a Service with externalIPs"
        else:
            continue
        for port in spec.get("ports") or []:
            protocol = str(port.get("appProtocol") or "").lower()
            if protocol in TLS_APP_PROTOCOLS:
                continue
            shown = f"appProtocol {protocol}" if protocol else "no TLS appProtocol"
            yield Violation(
                f"{label(svc)} is reachable from outside the cluster as {how} on port "
                f"{as_int(port.get('port'))} ({shown}): it serves plain text; publish it "
                "through an Ingress with TLS, or serve TLS and declare appProtocol https",
                svc.urn,
            )


def _covered(host: str, tls_hosts: list[str]) -> bool:
    return any(
        host == h or (h.startswith("*.") and host.split(".", 1)[-1] == h[2:]) for h in tls_hosts
    )


def _plain_ingresses(view: StackView) -> Iterator[Violation]:
    for ingress in view.kube("Ingress", "networking.k8s.io/"):
        tls = get_path(ingress.props, "spec.tls") or []
        if not tls:
            yield Violation(f"{label(ingress)} has no spec.tls: it serves plain HTTP", ingress.urn)
            continue
        tls_hosts = [str(h) for entry in tls for h in entry.get("hosts") or []]
        for rule_ in get_path(ingress.props, "spec.rules") or []:
            host = rule_.get("host")
            if host and not _covered(str(host), tls_hosts):
                yield Violation(
                    f"{label(ingress)} serves host {host} without TLS (no spec.tls entry names it)",
                    ingress.urn,
                )


def _nsx_entry_tls(view: StackView, server: Any) -> Iterator[Violation]:
    props = server.props
    what = f"NSX virtual server {props.get('displayName') or server.name!r}"
    ports = [str(p) for p in props.get("ports") or []]
    client_ssl = props.get("clientSsl")
    if not client_ssl:
        plain = [p for p in ports if as_int(p) == PLAIN_HTTP_PORT]
        yield Violation(
            f"{what} on port(s) {', '.join(ports) or '?'} has no client SSL: it does not "
            "terminate TLS"
            + (f" and listens for plain HTTP on {PLAIN_HTTP_PORT}" if plain else ""),
            server.urn,
        )
        return
    if not client_ssl.get("sslProfilePath"):
        yield Violation(
            f"{what} sets no client SSL profile (clientSsl.sslProfilePath): the protocols "
            "and ciphers it accepts are left to chance",
            server.urn,
        )
    if not client_ssl.get("defaultCertificatePath"):
        yield Violation(
            f"{what} has no server certificate (clientSsl.defaultCertificatePath)", server.urn
        )
    if view.is_production and not get_path(props, "serverSsl.sslProfilePath"):
        yield Violation(
            f"{what} forwards to its backends in plain text (no serverSsl profile): "
            "re-encrypt with a server SSL profile (network.ingress.serverSslProfile, §9.6.3)",
            server.urn,
        )


def _avi_entry_tls(service: Any) -> Iterator[Violation]:
    props = service.props
    what = f"Avi virtual service {props.get('name') or service.name!r}"
    listeners = [s for s in props.get("services") or [] if s is not None]
    secure = [s for s in listeners if _truthy(s.get("enableSsl"))]
    plain = [str(s.get("port")) for s in listeners if not _truthy(s.get("enableSsl"))]
    if not secure:
        yield Violation(
            f"{what} has no SSL service (services[].enableSsl): it does not terminate TLS",
            service.urn,
        )
    if plain:
        yield Violation(
            f"{what} listens without TLS on port(s) {', '.join(plain)}: plain HTTP", service.urn
        )
    if secure and not _str_list(props.get("sslKeyAndCertificateRefs")):
        yield Violation(f"{what} has no server certificate (sslKeyAndCertificateRefs)", service.urn)
    if secure and not props.get("sslProfileRef"):
        yield Violation(
            f"{what} sets no SSL profile (sslProfileRef): the protocols and ciphers it accepts "
            "are left to chance",
            service.urn,
        )


def _internal_hops(view: StackView, tls_modes: list[str]) -> Iterator[Violation]:
    """Production: the load balancer's hop to the backends and database clients use TLS
    (the entry by the stack's tier, each database by its tenant's)."""
    for pool in view.of_type(AVI_POOL_TYPE) if view.is_production else ():
        if not pool.props.get("sslProfileRef"):
            yield Violation(
                f"Avi pool {pool.props.get('name') or pool.name!r} sends traffic to its servers "
                "in plain text (no sslProfileRef): re-encrypt (network.ingress.avi."
                "serverSslProfile, §9.6.3)",
                pool.urn,
            )
    for cluster in view.kube("PostgresCluster", DSM_GROUP):
        if not view.production(cluster):
            continue
        notes = get_path(cluster.props, "metadata.annotations") or {}
        mode = notes.get(SSLMODE_ANNOTATION)
        if mode not in tls_modes:
            state = f"sslmode {mode!r}" if mode else f"no {SSLMODE_ANNOTATION}"
            yield Violation(
                f"{label(cluster)}: clients may connect without TLS ({state}); require "
                f"{' or '.join(tls_modes)} (databases[].sslMode, §9.6.3)",
                cluster.urn,
            )


def _str_list(value: Any) -> list[str]:
    return [str(v) for v in value or [] if v is not None]


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
    for key in view.site.get("plaintextSecretConfigKeys") or []:
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
    for container, key, value, parent in _string_fields(resource.props):
        if not value.strip():
            continue
        if is_secret and _field_path(container, key).startswith(("data", "stringData")):
            continue
        if key == "value":
            name = known(lambda p=parent: p.get("name"), None)
            if isinstance(name, str) and is_credential_name(name):
                found.append(f"env {name} ({_field_path(container, key)})")
            continue
        if is_credential_name(key):
            if _is_secret_reference(key, value):
                continue
            found.append(_field_path(container, key))
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
    for container, key, value, _parent in _string_fields(resource.props):
        if not value.strip() or value == SECRET_PLACEHOLDER:
            continue
        if not is_credential_name(key):
            continue
        path = _field_path(container, key)
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
    if view.site.get("edge") == "external":
        return  # paif:network.edge external: the stack that manages the edge is checked
    management = _networks(view.site.get("managementCidrs"))
    admins = _networks(view.site.get("adminSourceCidrs"))
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
    audit = view.site.get("audit")
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
        always = any(_truthy(e.get("enabled")) and as_int(e.get("duration"), 30) == 0 for e in logs)
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
        if _truthy(props.get("public")):
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


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


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
