"""plan.json, the record ``paif plan`` writes of each stack and every later reader reads: the
document (:class:`PlanDocument`), its resources (:class:`ResourceRecord`), and how it records
what it cannot show (:data:`SECRET_PLACEHOLDER`).

``paif_cli`` writes it (``StackPlan.document()``) and reads it back (``paif diff``, the
diagram, a DR stack's peer outputs) through these records, never by the document's keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from paif_components.contract.finding import Finding
from paif_components.contract.json_read import mapping, maps, strings, text

__all__ = ["SECRET_PLACEHOLDER", "PlanDocument", "ResourceRecord"]

# A secret value, as the offline plan (paif_cli.mock_runtime) records it in plan.json and in the
# props the policies read: the rules that look for plaintext credentials skip it.
SECRET_PLACEHOLDER: Final = "[secret]"


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """One registered resource as plan.json records it: what the engine would see (secrets
    masked). ``inputs`` stay a mapping: a resource's inputs are its provider's schema, not
    ours. It is also the offline policy analyzer's input (``paif_cli.crossguard``)."""

    urn: str
    type: str
    name: str
    parent: str | None = None
    custom: bool = True
    provider: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    secret_paths: Sequence[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: Sequence[str] = field(default_factory=list)
    aliases: Sequence[str] = field(default_factory=list)
    # The id of an existing object the engine imports (``import_``): an adopted object.
    import_id: str | None = None
    # Options of the registration the engine also sends a policy pack, which the offline
    # recorder does not record: plan.json has each only when it is set (a caller of the
    # analyzer playing a live registration sets them). Unset, none costs a record an object.
    ignore_changes: Sequence[str] = ()
    delete_before_replace: bool | None = None
    additional_secret_outputs: Sequence[str] = ()
    custom_timeouts: Mapping[str, float] | None = None
    property_dependencies: Mapping[str, Sequence[str]] | None = None

    def to_json(self) -> dict[str, Any]:
        """An entry of plan.json's ``resources`` (``importId`` only for an adopted object, an
        engine option only when set)."""
        record = {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider,
            "inputs": self.inputs,
            "secretPaths": self.secret_paths,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "dependsOn": self.depends_on,
            "aliases": self.aliases,
        }
        if self.import_id is not None:
            record["importId"] = self.import_id
        if self.ignore_changes:
            record["ignoreChanges"] = list(self.ignore_changes)
        if self.delete_before_replace is not None:
            record["deleteBeforeReplace"] = self.delete_before_replace
        if self.additional_secret_outputs:
            record["additionalSecretOutputs"] = list(self.additional_secret_outputs)
        if self.custom_timeouts:
            record["customTimeouts"] = dict(self.custom_timeouts)
        if self.property_dependencies:
            record["propertyDependencies"] = {
                key: list(urns) for key, urns in self.property_dependencies.items()
            }
        return record

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ResourceRecord:
        """Tolerant: a missing or malformed field reads as its default (a component is a
        record that says ``custom: false``)."""
        return cls(
            urn=str(raw.get("urn") or ""),
            type=str(raw.get("type") or ""),
            name=str(raw.get("name") or ""),
            parent=text(raw.get("parent")),
            custom=bool(raw.get("custom", True)),
            provider=text(raw.get("provider")),
            inputs=mapping(raw.get("inputs")) or {},
            secret_paths=list(strings(raw.get("secretPaths"))),
            protect=bool(raw.get("protect", False)),
            retain_on_delete=bool(raw.get("retainOnDelete", False)),
            depends_on=list(strings(raw.get("dependsOn"))),
            aliases=list(strings(raw.get("aliases"))),
            import_id=text(raw.get("importId")),
            ignore_changes=strings(raw.get("ignoreChanges")),
            delete_before_replace=_flag(raw.get("deleteBeforeReplace")),
            additional_secret_outputs=strings(raw.get("additionalSecretOutputs")),
            custom_timeouts={
                str(k): float(v)
                for k, v in (mapping(raw.get("customTimeouts")) or {}).items()
                if isinstance(v, int | float)
            }
            or None,
            property_dependencies={
                str(k): strings(v)
                for k, v in (mapping(raw.get("propertyDependencies")) or {}).items()
            }
            or None,
        )


@dataclass(frozen=True)
class PlanDocument:
    """``OUT/<stack>/plan.json``: the stack, what it registered, its outputs (``secretOutputs``:
    the names whose values are masked), the policy's findings (``policy.violations``) and the
    estimates (a mapping: ``paif_components.dr`` writes it)."""

    stack: str
    project: str
    stack_file: str
    environment: str
    resources: Sequence[ResourceRecord] = field(default_factory=list)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    secret_outputs: Sequence[str] = field(default_factory=list)
    findings: Sequence[Finding] = field(default_factory=list)
    estimates: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "stackFile": self.stack_file,
            "environment": self.environment,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "secretOutputs": self.secret_outputs,
            "policy": {"violations": [f.to_json() for f in self.findings]},
            "estimates": self.estimates,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PlanDocument:
        """Tolerant, for plans of other versions (``paif diff --base`` plans an older
        checkout): a missing or malformed part reads as empty, a resource or finding that is
        not an object is skipped."""
        policy = mapping(raw.get("policy")) or {}
        return cls(
            stack=str(raw.get("stack") or ""),
            project=str(raw.get("project") or ""),
            stack_file=str(raw.get("stackFile") or ""),
            environment=str(raw.get("environment") or ""),
            resources=[ResourceRecord.from_json(r) for r in maps(raw.get("resources"))],
            outputs=mapping(raw.get("outputs")) or {},
            secret_outputs=list(strings(raw.get("secretOutputs"))),
            findings=[Finding.from_json(f) for f in maps(policy.get("violations"))],
            estimates=mapping(raw.get("estimates")) or {},
        )


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)
