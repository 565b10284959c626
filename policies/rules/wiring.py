"""How workloads get their credentials (§9.6.3, §9.7.1 "ConfigMaps and Secrets created").

A ConfigMap and a container's plain ``env`` ``value`` are stored readable to anyone who may
get the object; a Secret is the only place a credential belongs, and a pod reads it by
reference (``valueFrom.secretKeyRef``, ``envFrom.secretRef``, a secret volume). PAIF-SEC-004
finds credentials by the *name* of the field that holds them; this rule finds them by *value*,
whatever the key is called:

- a value that came from a Pulumi secret (the offline plan records it as ``[secret]``, since
  rendering a secret into a ConfigMap or an env value leaves it in plain text in etcd);
- a value that some Secret of the stack holds too (a copy out of a Secret; live, the policy
  sees Secrets' values, offline both are ``[secret]``);
- a value whose form carries a credential (``paif_components.secret_values``): a private key, an
  Authorization header, a URL with a password, a JSON Web Token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any, Final

from paif_components.contract.plan import SECRET_PLACEHOLDER
from paif_components.secret_values import looks_like_a_secret_value
from paif_policies.readers import known
from paif_policies.registry import Violation, rule
from paif_policies.rules.workloads import containers_of, pod_spec_of, workloads
from paif_policies.view import NIM_GROUP, StackView, get_path, label

# A value shorter than this is too common to say it was copied out of a Secret.
MIN_COPIED_LENGTH: Final = 8


def _decoded(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def secret_values(view: StackView) -> frozenset[str]:
    """Every value the stack's Secrets hold (``data`` decoded, ``stringData`` as is)."""

    def collect() -> frozenset[str]:
        found: set[str] = set()
        for secret in view.kube("Secret", "v1"):
            for field, decode in (("data", True), ("stringData", False)):
                values = known(lambda s=secret, f=field: s.props.get(f), None)
                if not isinstance(values, Mapping):
                    continue
                for raw in values.values():
                    if not isinstance(raw, str) or raw == SECRET_PLACEHOLDER:
                        continue
                    value = _decoded(raw) if decode else raw
                    if value is not None and len(value) >= MIN_COPIED_LENGTH:
                        found.add(value)
        return frozenset(found)

    return view.memo("wiring.secret-values", collect)


def why_secret(value: Any, secrets: frozenset[str]) -> str | None:
    """Why a plain value is a credential, or None."""
    if not isinstance(value, str) or not value:
        return None
    if value == SECRET_PLACEHOLDER:
        return "is a Pulumi secret rendered in plain text"
    if value in secrets:
        return "is the value of a Secret of this stack"
    return looks_like_a_secret_value(value)


def _config_map_findings(view: StackView, secrets: frozenset[str]) -> Iterator[Violation]:
    for config_map in view.kube("ConfigMap", "v1"):
        data = known(lambda c=config_map: c.props.get("data"), None)
        if not isinstance(data, Mapping):
            continue
        found = []
        for key in sorted(data):
            why = why_secret(known(lambda d=data, k=key: d[k], None), secrets)
            if why is not None:
                found.append(f"data.{key} {why}")
        if found:
            yield Violation(
                f"{label(config_map)} holds secret values: {'; '.join(found)}. A ConfigMap is "
                "readable to anyone who may get it: put the value in a Secret and reference it "
                "(valueFrom.secretKeyRef, a secret volume)",
                config_map.urn,
            )


def _env_entries(resource: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, env entry) of every container of a workload or NIMService."""
    if resource.props.get("kind") == "NIMService":
        for index, entry in enumerate(get_path(resource.props, "spec.env") or []):
            yield f"spec.env[{index}]", entry
        return
    base, pod = pod_spec_of(resource)
    for path, container in containers_of(pod, base):
        for index, entry in enumerate(container.get("env") or []):
            yield f"{path}.env[{index}]", entry


def _env_findings(view: StackView, secrets: frozenset[str]) -> Iterator[Violation]:
    for workload in [*workloads(view), *view.kube("NIMService", NIM_GROUP)]:
        found = []
        for path, entry in _env_entries(workload):
            why = why_secret(known(lambda e=entry: e.get("value"), None), secrets)
            if why is not None:
                found.append(f"{entry.get('name')} ({path}.value) {why}")
        if found:
            yield Violation(
                f"{label(workload)} passes secret values as plain env values: "
                f"{'; '.join(found)}. They are stored readable in the object: read them from "
                "a Secret instead (env[].valueFrom.secretKeyRef)",
                workload.urn,
            )


@rule(
    "PAIF-SEC-014",
    title="Credentials reach pods only from Secrets: none in a ConfigMap or a plain env value",
    severity="critical",
    section="§9.6.3 identity and data protection, §9.7.1 app (ConfigMaps and Secrets)",
    rationale="A ConfigMap and a container's env value are stored readable to anyone who may "
    "get the object, and shown by every kubectl describe; a password or token there is a "
    "leaked credential whatever the key is called. Apps are wired to their database and "
    "endpoints through a Secret the stack writes (apps[].consumes), read by reference.",
    remediation="Move the value into a Secret and reference it: apps[].consumes.secrets for a "
    "stack secret, consumes.database/endpoints for DSM's password and the gateway token "
    "(env valueFrom.secretKeyRef); never put it under consumes.config or in a ConfigMap.",
)
def check_secret_values(view: StackView, _: Mapping[str, Any]) -> Iterator[Violation]:
    secrets = secret_values(view)
    yield from _config_map_findings(view, secrets)
    yield from _env_findings(view, secrets)
