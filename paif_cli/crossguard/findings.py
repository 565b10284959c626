"""A policy's diagnostic as a finding (the contract's :class:`Finding`), its severity resolved."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import Policy

from paif_cli.crossguard.wire import PROTO_TO_LEVEL, PROTO_TO_SEVERITY, redact
from paif_cli.errors import PolicyEvaluationError
from paif_cli.reports.model import SEVERITIES
from paif_components.contract.finding import Enforcement, Finding

__all__ = ["Enforcement", "Finding", "SeverityResolver", "finding_of", "severity_resolver"]

# (rule id, severity on the diagnostic) -> the finding's severity
SeverityResolver = Callable[[str, "str | None"], "str | None"]


def finding_of(
    diagnostic: analyzer_pb2.AnalyzeDiagnostic, urn: str | None, severity_of: SeverityResolver
) -> Finding:
    message = diagnostic.message
    prefix = diagnostic.description + "\n"
    if diagnostic.description and message.startswith(prefix):
        message = message[len(prefix) :]
    level = PROTO_TO_LEVEL[diagnostic.enforcementLevel]
    if level == "disabled":  # never sent by the SDK; the engine would reject it
        raise PolicyEvaluationError(f"policy {diagnostic.policyName!r} reported a disabled level")
    return Finding(
        rule_id=diagnostic.policyName,
        enforcement=level,
        urn=urn,
        message=redact(message),
        severity=severity_of(diagnostic.policyName, PROTO_TO_SEVERITY.get(diagnostic.severity)),
    )


def severity_resolver(
    policies: Sequence[Policy], severities: Mapping[str, str] | None
) -> SeverityResolver:
    explicit = dict(severities or {})
    for rule, value in explicit.items():
        if value not in SEVERITIES:
            raise ValueError(
                f"severity {value!r} for {rule!r} must be one of {', '.join(SEVERITIES)}"
            )
    attached = {p.name: p.severity.value for p in policies if p.severity is not None}

    def resolve(rule: str, on_diagnostic: str | None) -> str | None:
        return explicit.get(rule) or on_diagnostic or attached.get(rule)

    return resolve
