"""The site's workload domain as a tenant-group stack of a split site sees it (``paif:layout``).

The platform stack declares the domain; a tenant-group stack only looks it up, as
``paif:ownership`` ``reference`` looks up an object: the DLVM content library by name, the VM
classes and zone by name, and the GPU capacity from the same config the platform builds it from.
"""

from __future__ import annotations

import pulumi
import pulumi_vsphere as vsphere

from paif_components.workload_domain import (
    GpuWorkloadDomainArgs,
    domain_gpu_pools,
    gpu_vm_classes,
)

__all__ = ["ReferencedDomain"]


class ReferencedDomain:
    """What a tenant's args need of the site's domain (as :class:`GpuWorkloadDomain` gives
    them), without declaring it."""

    def __init__(self, parent: pulumi.Resource, args: GpuWorkloadDomainArgs) -> None:
        classes = gpu_vm_classes(args)
        pools = domain_gpu_pools(args)
        wd = args.workload_domain
        pool = pools[wd.vgpu_profiles[0] if wd.vgpu_profiles else "passthrough"]
        self.gpu_capacity = pool.total
        self.gpu_capacity_n1 = pool.n_plus_one
        self.gpu_vm_class_names = frozenset(c.name for c in classes)
        self.vm_class_names: dict[str, pulumi.Input[str]] = {c.name: c.name for c in classes}
        self.passthrough_classes = tuple(c for c in classes if c.passthrough)
        self.content_library_id = vsphere.get_content_library_output(
            name=args.library_name, opts=pulumi.InvokeOutputOptions(parent=parent)
        ).id
