"""What the site's hardware says: the hosts' vGPU profiles and GPUs, and vCenter's ESX images.

A stack declares its GPU model, vGPU profiles and host image; vCenter knows what the hosts
actually offer. Before anything is created the program asks it, through pulumi-vsphere's data
sources (answered by vCenter under ``pulumi preview``/``up``, by ``paif_cli/offline/`` in the
offline plan):

- ``get_host`` per host name → the host's managed-object id;
- ``get_host_vgpu_profile(host_id)`` → the vGPU profiles the host's GPUs and driver offer;
- ``get_host_pci_device(host_id, vendor 10de, class 0302)`` → an NVIDIA 3D controller on the
  host (the data source answers the device's address and name, not its PCI device id: the
  DirectPath I/O classes still take the id from ``paif_components.workload_domain``'s pci.ids
  table or ``passthrough_device_id``);
- ``get_host_base_images()`` → the ESX base images in vCenter's depot.

A declared profile that some host does not offer, a host without an NVIDIA GPU, or an ESX build
the depot does not hold is a clear error naming the config path, raised before any resource is
registered. The NVIDIA driver component comes from the stack file or from the offline depot the
stack manages (``vsphere.OfflineSoftwareDepot``, whose ``components`` output lists it): no data
source of pulumi-vsphere 4.18.2 lists a depot's components.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_vsphere as vsphere

from paif_components.config.models import HostImage, WorkloadDomain
from paif_components.errors import ComponentInputError

# PCI ids (pci.ids): NVIDIA's vendor id, and the class of data-centre GPUs (3D controller).
NVIDIA_VENDOR_HEX: Final = "10de"
GPU_CLASS_HEX: Final = "302"
# The NVIDIA AI Enterprise host driver's vLCM component keys start with this (NVD-AIE-800).
NVIDIA_COMPONENT_PREFIX: Final = "NVD"


@dataclass(frozen=True)
class HostFacts:
    """One host as vCenter describes it."""

    name: str
    id: str
    vgpu_profiles: tuple[str, ...]
    # The NVIDIA 3D controller's device name, None when the host has none.
    gpu: str | None


@dataclass(frozen=True)
class DomainHardware:
    """The hosts of one workload domain and the ESX images vCenter can give them."""

    datacenter_id: str
    hosts: tuple[HostFacts, ...]
    base_images: tuple[str, ...]

    @property
    def host_ids(self) -> list[str]:
        return [h.id for h in self.hosts]


def discover_domain(
    datacenter: str, hosts: Sequence[str], opts: pulumi.InvokeOptions | None = None
) -> DomainHardware:
    """Ask vCenter about ``hosts`` of ``datacenter`` (blocking data-source calls)."""
    datacenter_id = vsphere.get_datacenter(name=datacenter, opts=opts).id
    facts = []
    for name in hosts:
        host_id = vsphere.get_host(name=name, datacenter_id=datacenter_id, opts=opts).id
        profiles = vsphere.get_host_vgpu_profile(host_id=host_id, opts=opts).vgpu_profiles
        device = vsphere.get_host_pci_device(
            host_id=host_id, vendor_id=NVIDIA_VENDOR_HEX, class_id=GPU_CLASS_HEX, opts=opts
        )
        facts.append(
            HostFacts(
                name=name,
                id=host_id,
                vgpu_profiles=tuple(p.vgpu for p in profiles),
                gpu=(device.name or device.id) if device.id else None,
            )
        )
    images = vsphere.get_host_base_images(opts=opts).versions
    return DomainHardware(datacenter_id, tuple(facts), tuple(images))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def newest_image(versions: Sequence[str]) -> str | None:
    """The newest ESX base image by build numbers (``9.0.1.0.24957456``)."""
    return max(versions, key=_version_key) if versions else None


def check_domain(
    subject: str, domain: WorkloadDomain, image: HostImage | None, hardware: DomainHardware
) -> None:
    """Refuse what the hosts or the depot do not have."""
    for host in hardware.hosts:
        if host.gpu is None:
            raise ComponentInputError(
                subject,
                "workloadDomain.hosts",
                f"host {host.name!r} has no NVIDIA GPU (vCenter lists no PCI device of vendor "
                f"{NVIDIA_VENDOR_HEX}, class 0{GPU_CLASS_HEX} on it)",
            )
    if domain.gpu.assignment == "vgpu":
        for i, profile in enumerate(domain.vgpu_profiles):
            for host in hardware.hosts:
                offered = {p.lower() for p in host.vgpu_profiles}
                if profile.lower() not in offered:
                    listing = ", ".join(sorted(host.vgpu_profiles)) or "none"
                    raise ComponentInputError(
                        subject,
                        f"workloadDomain.vgpuProfiles[{i}]",
                        f"host {host.name!r} does not offer vGPU profile {profile!r} (vCenter "
                        f"lists: {listing})",
                    )
    declared = image.esx_version if image is not None else None
    if declared is not None and declared not in hardware.base_images:
        listing = ", ".join(hardware.base_images) or "none"
        raise ComponentInputError(
            subject,
            "workloadDomain.hostImage.esxVersion",
            f"{declared!r} is not an ESX base image in vCenter's depot (it has: {listing})",
        )
    if declared is None and not hardware.base_images:
        raise ComponentInputError(
            subject,
            "workloadDomain.hostImage.esxVersion",
            "is not declared and vCenter's depot holds no ESX base image to take",
        )


def esx_version(image: HostImage | None, hardware: DomainHardware) -> str:
    """The declared ESX build, else the newest base image in the depot."""
    declared = image.esx_version if image is not None else None
    newest = newest_image(hardware.base_images)
    version = declared or newest
    if version is None:  # check_domain refused this already
        raise ValueError("no ESX base image")
    return version
