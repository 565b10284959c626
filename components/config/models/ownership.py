"""``paif:ownership``: which platform objects this stack creates, adopts or only references.

On a VCF site that runs, SDDC Manager created the workload domain's cluster, vCenter (or VCF
Automation) the Supervisor and its namespaces, and the PAIF set-up wizard often the DLVM content
library and the vGPU VM classes. Per kind of such object the stack says what it does:

- ``create`` (the default): the stack creates the object and owns it;
- ``adopt``: the object exists; the stack looks it up by name and imports it (the ``import``
  resource option), so every later ``pulumi up`` enforces the declared settings; it is never
  deleted by the stack (``retainOnDelete``) and protected in production. Kinds the provider
  cannot import (:data:`NOT_IMPORTABLE`) are referenced instead;
- ``reference``: the object exists and belongs to someone else (another stack, the platform
  team): the stack looks it up by name and uses it, and never manages it.

``importIds`` pins, per kind and object name, the provider's import id (``paif adopt`` writes
them after reading the site); without one the program looks the object up by name.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from paif_components.config.base import ConfigModel, NonEmpty
from paif_components.config.errors import FieldError

Mode = Literal["create", "adopt", "reference"]
Kind = Literal[
    "computeCluster", "contentLibrary", "vmClasses", "zone", "namespaces", "harborProjects"
]
KINDS: Final[tuple[Kind, ...]] = (
    "computeCluster",
    "contentLibrary",
    "vmClasses",
    "zone",
    "namespaces",
    "harborProjects",
)
# What the provider cannot import (pulumi-vsphere 4.18.2, i.e. terraform-provider-vsphere: no
# importer on vsphere_virtual_machine_class, vsphere_zone, vsphere_namespace): ``adopt`` of
# these references the object instead, and nothing enforces its settings.
NOT_IMPORTABLE: Final[dict[Kind, str]] = {
    "vmClasses": "vsphere.VirtualMachineClass has no importer in pulumi-vsphere 4.18.2",
    "zone": "vsphere.Zone has no importer in pulumi-vsphere 4.18.2",
    "namespaces": "vsphere.Namespace has no importer in pulumi-vsphere 4.18.2",
}


class Ownership(ConfigModel):
    """Per kind of platform object: ``create``, ``adopt`` or ``reference`` (``default`` for the
    kinds not named)."""

    default: Mode = "create"
    compute_cluster: Mode | None = None
    content_library: Mode | None = None
    vm_classes: Mode | None = None
    zone: Mode | None = None
    namespaces: Mode | None = None
    harbor_projects: Mode | None = None
    # kind -> object name -> the provider's import id (written by `paif adopt`).
    import_ids: dict[Kind, dict[NonEmpty, NonEmpty]] = Field(default_factory=dict)

    def requested(self, kind: Kind) -> Mode:
        """The mode the stack file asks for this kind."""
        value = getattr(self, _ATTRIBUTES[kind])
        return value if value is not None else self.default

    def mode(self, kind: Kind) -> Mode:
        """What the stack does: ``adopt`` of a kind the provider cannot import is a reference."""
        requested = self.requested(kind)
        return "reference" if requested == "adopt" and kind in NOT_IMPORTABLE else requested

    def pinned_id(self, kind: Kind, name: str) -> str | None:
        return self.import_ids.get(kind, {}).get(name)

    @property
    def all_created(self) -> bool:
        return all(self.requested(kind) == "create" for kind in KINDS) and not self.import_ids

    @model_validator(mode="after")
    def _ids_only_for_adopted_kinds(self) -> Ownership:
        for kind in self.import_ids:
            if kind in NOT_IMPORTABLE:
                raise FieldError(
                    f"importIds.{kind}",
                    f"the provider cannot import {kind} ({NOT_IMPORTABLE[kind]})",
                )
            if self.mode(kind) != "adopt":
                raise FieldError(
                    f"importIds.{kind}",
                    f"{kind} is set to {self.mode(kind)!r}: import ids are for adopted "
                    "objects only",
                )
        return self


_ATTRIBUTES: Final[dict[Kind, str]] = {
    "computeCluster": "compute_cluster",
    "contentLibrary": "content_library",
    "vmClasses": "vm_classes",
    "zone": "zone",
    "namespaces": "namespaces",
    "harborProjects": "harbor_projects",
}
