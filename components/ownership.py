"""What the stack does with each platform object VCF may already own: create, adopt, reference.

``paif:ownership`` (``paif_components.config.models.ownership``) names a mode per kind; a component
asks
:func:`decide` for each object it would declare and gets a :class:`Decision`:

- ``create``: declare the resource as ever;
- ``adopt``: declare it with ``import_=<id>`` (the id pinned in ``importIds``, or found by name
  through the provider's data source), ``retain_on_delete`` and, in production, ``protect``;
  the first ``up`` imports the live object (CLI v3.276.0: then updates whatever the declared
  settings change, docs/adopting.md), later ``up``s enforce the declared settings;
- ``reference``: declare nothing; the component looks the object up by name where a data
  source exists (:func:`reference_id`) and uses it.

Import ids by kind: a compute cluster is imported by inventory path
(``/<datacenter>/host/<cluster>``, terraform-provider-vsphere's importer), a content library by
its id, a Harbor project by ``/projects/<id>`` (``harbor.get_project``'s id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_vsphere as vsphere
import pulumiverse_harbor as harbor

from paif_components.config.models.ownership import NOT_IMPORTABLE, Kind, Mode, Ownership
from paif_components.contract import tokens
from paif_components.errors import ComponentInputError

# Resource types of the kinds, for the plan and `paif adopt` to name them.
RESOURCE_TYPES: Final[dict[Kind, str]] = {
    "computeCluster": tokens.VSPHERE_COMPUTE_CLUSTER,
    "contentLibrary": tokens.VSPHERE_CONTENT_LIBRARY,
    "vmClasses": "vsphere:index/virtualMachineClass:VirtualMachineClass",
    "zone": "vsphere:index/zone:Zone",
    "namespaces": tokens.VSPHERE_NAMESPACE,
    "harborProjects": tokens.HARBOR_PROJECT,
}
# Resolved import ids: (kind, object name) -> id.
ImportIds = Mapping[tuple[Kind, str], str]


@dataclass(frozen=True)
class Decision:
    """One platform object: what the stack does with it."""

    kind: Kind
    name: str
    mode: Mode
    requested: Mode
    import_id: str | None = None

    @property
    def managed(self) -> bool:
        """Whether the stack declares the resource (create or adopt)."""
        return self.mode != "reference"

    @property
    def adopted(self) -> bool:
        return self.mode == "adopt"

    def options(
        self,
        parent: pulumi.Resource,
        *,
        production: bool,
        protect: bool = False,
        retain_on_delete: bool = False,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> pulumi.ResourceOptions:
        """The resource options of a managed object: an adopted one is imported, never deleted
        by the stack and protected in production, whatever the created one would be."""
        if not self.adopted:
            return pulumi.ResourceOptions(
                parent=parent,
                protect=protect,
                retain_on_delete=retain_on_delete,
                depends_on=depends_on,
            )
        return pulumi.ResourceOptions(
            parent=parent,
            protect=protect or production,
            retain_on_delete=True,
            import_=self.import_id,
            depends_on=depends_on,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "mode": self.mode}
        if self.requested != self.mode:
            out["requested"] = self.requested
            out["why"] = NOT_IMPORTABLE.get(self.kind, "")
        if self.import_id is not None:
            out["importId"] = self.import_id
        return out


def decide(
    ownership: Ownership,
    kind: Kind,
    name: str,
    *,
    import_ids: ImportIds | None = None,
    lookup: Any = None,
) -> Decision:
    """The decision for one object; an adopted object's id is pinned, resolved, or looked up
    now (``lookup()``, a blocking data-source call)."""
    mode, requested = ownership.mode(kind), ownership.requested(kind)
    if mode != "adopt":
        return Decision(kind, name, mode, requested)
    import_id = ownership.pinned_id(kind, name) or (import_ids or {}).get((kind, name))
    if import_id is None:
        if lookup is None:
            raise ValueError(f"no way to find the import id of {kind} {name!r}")
        import_id = lookup()
    return Decision(kind, name, mode, requested, import_id)


def _lookup_error(kind: Kind, name: str, where: str, exc: Exception) -> ComponentInputError:
    detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return ComponentInputError(
        f"{kind} {name!r}",
        f"ownership.{kind}",
        f"is set to adopt, but {where} has no such object to import ({detail}); set it to "
        "'create', or fix the name",
    )


def lookup_import_id(
    kind: Kind, name: str, *, datacenter: str, opts: pulumi.InvokeOptions | None = None
) -> str:
    """Find an existing object by name with the provider's data source; return its import id."""
    try:
        if kind == "computeCluster":
            datacenter_id = vsphere.get_datacenter(name=datacenter, opts=opts).id
            vsphere.get_compute_cluster(name=name, datacenter_id=datacenter_id, opts=opts)
            return f"/{datacenter}/host/{name}"
        if kind == "contentLibrary":
            return vsphere.get_content_library(name=name, opts=opts).id
        if kind == "harborProjects":
            return harbor.get_project(name=name, opts=opts).id
    except Exception as exc:  # the provider's "not found", whatever its wording
        where = "Harbor" if kind == "harborProjects" else "vCenter"
        raise _lookup_error(kind, name, where, exc) from None
    raise ValueError(f"{kind} cannot be imported ({NOT_IMPORTABLE.get(kind, '')})")
