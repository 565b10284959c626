"""PAIF-SEC-001 (§9.6): TLS at the entry and nothing reachable from outside in plain text on
any port: the NSX or Avi entry, LoadBalancer and NodePort Services, Ingress hosts, Gateway
listeners; in production also re-encryption to the backends and TLS to the databases. The
other security rules are :mod:`paif_policies.rules.security`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.avi_binding import (
    AVI_POOL_TYPE,
    AVI_VIRTUAL_SERVICE_TYPE,
)
from paif_components.contract.annotations import SSLMODE_ANNOTATION
from paif_components.nsx_binding import (
    GSLB_SERVICE_TYPE,
    POLICY_LB_VIRTUAL_SERVER_TYPE,
)
from paif_policies.readers import as_strings, is_true
from paif_policies.registry import Violation, rule
from paif_policies.view import DSM_GROUP, StackView, as_int, get_path, label

# §9.6.1: external users reach the platform over HTTPS; 80 is the plain-HTTP port.
PLAIN_HTTP_PORT: Final = 80


# Service types reachable from outside the cluster, and the appProtocols that carry TLS.
EXTERNAL_SERVICE_TYPES: Final = frozenset({"LoadBalancer", "NodePort"})


TLS_APP_PROTOCOLS: Final = frozenset({"https", "tls"})


GATEWAY_API_GROUP: Final = "gateway.networking.k8s.io/"


TLS_LISTENER_PROTOCOLS: Final = frozenset({"HTTPS", "TLS"})


# libpq sslmode values that encrypt the connection or fail (the others fall back to plain text).
TLS_SSLMODES: Final = ["require", "verify-ca", "verify-full"]


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
    secure = [s for s in listeners if is_true(s.get("enableSsl"))]
    plain = [str(s.get("port")) for s in listeners if not is_true(s.get("enableSsl"))]
    if not secure:
        yield Violation(
            f"{what} has no SSL service (services[].enableSsl): it does not terminate TLS",
            service.urn,
        )
    if plain:
        yield Violation(
            f"{what} listens without TLS on port(s) {', '.join(plain)}: plain HTTP", service.urn
        )
    if secure and not as_strings(props.get("sslKeyAndCertificateRefs")):
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
