"""``paif:site``, ``paif:workloadDomain`` and ``paif:harbor``: the site, its GPU hosts and its
registry.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from paif_components.config.base import ConfigModel, DnsName, HttpsUrl, NonEmpty
from paif_components.config.base import require_unique as _require_unique
from paif_components.config.errors import FieldError
from paif_components.config.models.common import GpuAssignment
from paif_components.constants import (
    DLVM_LIBRARY_URL,
    ROBOT_EXPIRY_DAYS,
)


class VCenter(ConfigModel):
    server: NonEmpty
    datacenter: NonEmpty


class Supervisor(ConfigModel):
    id: NonEmpty
    server: NonEmpty


class Site(ConfigModel):
    name: DnsName
    vcenter: VCenter
    supervisor: Supervisor
    storage_policy: NonEmpty = "vSAN Default Storage Policy"


class Gpu(ConfigModel):
    model: NonEmpty
    per_host: Annotated[int, Field(ge=1, le=16)]
    memory_gi_b: Annotated[int, Field(ge=1, alias="memoryGiB")]
    assignment: GpuAssignment = "vgpu"


class HostImage(ConfigModel):
    """vLCM image of the GPU hosts: ESX build and the NVIDIA AI Enterprise host driver (§9.1).

    What the site has decides what may be declared (``paif_components.hardware``): ``esxVersion``
    must be a base image of vCenter's depot (``get_host_base_images``; left out: the newest one
    there). The driver is ``nvidiaDriverComponent``/``nvidiaDriverVersion``, or, left out, the
    NVIDIA component of ``depot``: an offline depot (zip URL) this stack adds to vCenter
    (``vsphere.OfflineSoftwareDepot``). A tenant's own workload domain without a host image
    uses the site's.
    """

    esx_version: NonEmpty | None = None
    nvidia_driver_component: NonEmpty | None = None
    nvidia_driver_version: NonEmpty | None = None
    depot: HttpsUrl | None = None

    @model_validator(mode="after")
    def _driver_named_whole(self) -> HostImage:
        if (self.nvidia_driver_component is None) != (self.nvidia_driver_version is None):
            missing = (
                "nvidiaDriverVersion"
                if self.nvidia_driver_version is None
                else "nvidiaDriverComponent"
            )
            raise FieldError(missing, "the driver is named by component and version together")
        return self

    @property
    def declares_driver(self) -> bool:
        return self.nvidia_driver_component is not None


class VmAntiAffinity(ConfigModel):
    """GPU VMs, by vCenter name, that DRS keeps on different hosts (§9.2.2 hosts A, B, C).

    For GPU VMs whose names are fixed (deployed by name, e.g. from the DLVM library): VKS
    nodes and PAIS replicas get generated names at run time and are spread by VKS and the pod
    topology spread instead (docs/architecture.md). ``mandatory`` false is a "should" rule:
    vSphere HA may still restart a failed host's VM beside another one.
    """

    name: DnsName
    vms: Annotated[list[NonEmpty], Field(min_length=2)]
    mandatory: bool = False

    @field_validator("vms")
    @classmethod
    def _unique_vms(cls, vms: list[str]) -> list[str]:
        _require_unique(vms, "VM")
        return vms


class WorkloadDomain(ConfigModel):
    cluster: NonEmpty
    hosts: Annotated[list[NonEmpty], Field(min_length=1)]
    gpu: Gpu
    vgpu_profiles: list[NonEmpty] = Field(default_factory=list)
    dlvm_library_url: NonEmpty = DLVM_LIBRARY_URL
    host_image: HostImage | None = None
    vm_anti_affinity: list[VmAntiAffinity] = Field(default_factory=list)

    @field_validator("hosts")
    @classmethod
    def _unique_hosts(cls, hosts: list[str]) -> list[str]:
        _require_unique(hosts, "host")
        return hosts

    @model_validator(mode="after")
    def _spread_fits_the_hosts(self) -> WorkloadDomain:
        _require_unique([g.name for g in self.vm_anti_affinity], "anti-affinity rule name")
        for i, group in enumerate(self.vm_anti_affinity):
            if len(group.vms) > len(self.hosts):
                raise FieldError(
                    f"vmAntiAffinity[{i}].vms",
                    f"{len(group.vms)} VMs cannot each run on a different host of the "
                    f"{len(self.hosts)} in {self.cluster}",
                )
        return self

    @model_validator(mode="after")
    def _profiles_match_assignment(self) -> WorkloadDomain:
        if self.gpu.assignment == "vgpu" and not self.vgpu_profiles:
            raise FieldError(
                "vgpuProfiles",
                "is empty but gpu.assignment is 'vgpu': list at least one profile "
                "(e.g. 'nvidia_a100-40c')",
            )
        if self.gpu.assignment == "passthrough" and self.vgpu_profiles:
            raise FieldError("vgpuProfiles", "must be empty when gpu.assignment is 'passthrough'")
        return self


# A rotation label: lowercase letters, digits and dashes (it becomes part of a robot's name).
RotationLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$")]


class HarborRobots(ConfigModel):
    """The robot accounts this stack creates: the tenants' pull robots at this site's Harbor and
    the replication robot it makes on the peer's (§9.6.3 identity: rotate tokens regularly).

    Each expires ``expiryDays`` after it is created. ``rotation`` is a label the robots' names
    end with (``model-pull-2026-07``): changing it makes ``pulumi up`` create new robots, hand
    their secrets to the pull Secrets and the replication endpoint, and delete the old ones
    (README, "Robot accounts and their rotation").
    """

    expiry_days: Annotated[int, Field(ge=1, le=3650)] = ROBOT_EXPIRY_DAYS
    rotation: RotationLabel | None = None


class Harbor(ConfigModel):
    url: HttpsUrl
    robots: HarborRobots = Field(default_factory=HarborRobots)

    @property
    def host(self) -> str:
        return self.url.removeprefix("https://").split("/", 1)[0]
