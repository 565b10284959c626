"""The GPU workload domain: the vSphere cluster every GPU workload of the site runs on (§9.1).

What it declares (pulumi_vsphere 4.18.2 argument names):

- ``vsphere.ComputeCluster`` of the GPU hosts (looked up with ``get_datacenter``/``get_host``)
  with vSphere HA on, host monitoring on, admission control reserving one host's capacity
  (``resourcePercentage`` with ``ha_admission_control_host_failure_tolerance=1``, percentages
  computed by vSphere), DRS fully automated, and a vLCM ``host_image`` (ESX base image plus
  the NVIDIA AI Enterprise host driver component). §9.2.1 layer 1: vSphere HA restarts the
  VMs of a failed host elsewhere; PAIF-HA-007. The ESX build must be a base image of vCenter's
  depot (left out: the newest there); the driver is the stack file's, or the NVIDIA component
  of the offline depot the domain adds (``hostImage.depot`` → ``vsphere.OfflineSoftwareDepot``).
- one ``vsphere.VirtualMachineClass`` per vGPU profile (``vgpu_devices=[profile]``,
  ``memory_reservation=100`` — vSphere requires a full memory reservation for vGPU VMs),
  named ``vgpu-<profile without "nvidia_">`` (``nvidia_a100-40c`` → ``vgpu-a100-40c``), plus
  ``-x2``/``-x4``/… classes with 2, 4, … devices of the whole-GPU profile for replicas that
  need several GPUs (tensor parallelism rounds GPU counts to powers of two; a VM cannot span
  hosts, so at most the GPUs of one host). These are the names ``paif_components.model_endpoint``
  derives for replicas and VKS GPU pools must use.
- with ``gpu.assignment: passthrough`` (DirectPath I/O): ``vsphere.VirtualMachineClass`` has no
  PCI-device argument in 4.18.2, so the classes ``gpu-passthrough-x<n>`` are declared as
  :class:`GpuVmClass` specs (NVIDIA vendor id and the GPU's PCI device id) that each tenant's
  Supervisor namespace renders as VM Operator ``VirtualMachineClass`` objects
  (``spec.hardware.devices.dynamicDirectPathIODevices``).
- a subscribed ``vsphere.ContentLibrary`` on the DLVM catalogue (deep learning VM images).
- a ``vsphere.Zone`` holding the cluster, for the Supervisor and for zone-pinned tenants.
- one ``vsphere.ComputeClusterVmAntiAffinityRule`` per ``vmAntiAffinity`` group: GPU VMs known
  by name that DRS keeps on different hosts (§9.2.2 replicas on hosts A, B, C). The provider
  takes VM UUIDs, looked up by name at deploy time; VKS node VMs and PAIS replica VMs are
  created by VM Operator under generated names, so no stack can list them (docs/architecture.md
  "Replica spread across hosts").

What the hosts say decides (``paif_components.hardware``): before anything is registered, the
domain asks vCenter for each host's vGPU profiles and NVIDIA GPU and for the depot's ESX
images, and refuses a profile some host does not offer. Each of cluster, library, VM classes and
zone may already exist (``paif:ownership``, ``paif_components.ownership``): adopted ones are
imported, referenced ones looked up by name (cluster, library, zone) or used by name (VM classes).

Capacity, in schedulable GPUs (``nvidia.com/gpu`` units, via
``paif_components.estimators.capacity``): hosts × GPUs per host × slices of the domain's default
profile (its first vGPU profile; 1 slice per GPU with passthrough), and the same with one host
down (N+1, §9.5.3 "keep headroom in the GPU pool") for the planner and PAIF-CAP-001.

Sizing defaults of the VM classes are this library's choice, not the source document's: 16
vCPUs and host memory twice the vGPU framebuffer (at least 64 GiB) so weights can be staged in
guest memory while loading (§9.5.3 phase 4); override them in the args.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import pulumi
import pulumi_vsphere as vsphere

from paif_components.config.models import HostImage, WorkloadDomain
from paif_components.config.models.ownership import Kind
from paif_components.context import SiteContext
from paif_components.contract import tokens
from paif_components.errors import ComponentInputError
from paif_components.estimators.capacity import GpuPool, VgpuProfile, gpu_pool, parse_vgpu_profile
from paif_components.estimators.errors import EstimatorError
from paif_components.hardware import (
    NVIDIA_COMPONENT_PREFIX,
    DomainHardware,
    check_domain,
    discover_domain,
    esx_version,
    newest_image,
)
from paif_components.ownership import Decision, decide, lookup_import_id
from paif_components.validation import validate_unless_done

GPU_WORKLOAD_DOMAIN_TYPE: Final = tokens.PAIF_GPU_WORKLOAD_DOMAIN

# §9.2.1 layer 1 / PAIF-HA-007: admission control keeps one host's worth of capacity free.
HA_HOST_FAILURES_TOLERATED: Final = 1
HA_ADMISSION_CONTROL_POLICY: Final = "resourcePercentage"
DRS_AUTOMATION_LEVEL: Final = "fullyAutomated"
# vCenter's default name for a cluster's vSAN datastore (backs the content library).
DEFAULT_LIBRARY_DATASTORE: Final = "vsanDatastore"
# vSphere requires memory_reservation = 100 (%) for a VM class with vGPU devices.
FULL_MEMORY_RESERVATION: Final = 100
DEFAULT_VM_CLASS_CPUS: Final = 16
DEFAULT_MEMORY_PER_GPU_MEMORY: Final = 2.0
DEFAULT_MIN_VM_CLASS_MEMORY_GIB: Final = 64
MIB_PER_GIB: Final = 1024

# PCI ids of NVIDIA data-centre GPUs (pci.ids database, vendor 10de): GPU model -> device id.
NVIDIA_VENDOR_ID: Final = 0x10DE
NVIDIA_DEVICE_IDS: Final[dict[str, int]] = {
    "a100 sxm4 40gb": 0x20B0,
    "a100 sxm4 80gb": 0x20B2,
    "a100 80gb": 0x20B5,
    "a100 pcie 80gb": 0x20B5,
    "a100 40gb": 0x20F1,
    "a100 pcie 40gb": 0x20F1,
    "a30": 0x20B7,
    "h100 sxm5 80gb": 0x2330,
    "h100": 0x2331,
    "h100 pcie": 0x2331,
    "l40": 0x26B5,
    "l4": 0x27B8,
    "t4": 0x1EB8,
}

PASSTHROUGH_CLASS_PREFIX: Final = "gpu-passthrough"


def vgpu_class_name(profile: str, devices: int = 1) -> str:
    """VM class of ``devices`` vGPUs of a profile: ``nvidia_a100-80c`` → ``vgpu-a100-80c``."""
    base = "vgpu-" + profile.removeprefix("nvidia_").replace("_", "-")
    return base if devices == 1 else f"{base}-x{devices}"


def passthrough_class_name(devices: int) -> str:
    """VM class of ``devices`` whole GPUs by DirectPath I/O: ``gpu-passthrough-x1``."""
    return f"{PASSTHROUGH_CLASS_PREFIX}-x{devices}"


def device_counts(gpus_per_host: int) -> tuple[int, ...]:
    """1, 2, 4, … up to the GPUs of one host (a VM's devices all sit on its host)."""
    counts = [1]
    while counts[-1] * 2 <= gpus_per_host:
        counts.append(counts[-1] * 2)
    return tuple(counts)


def _model_key(model: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", model.lower()).split()).removeprefix("nvidia ")


def nvidia_device_id(model: str) -> int | None:
    """PCI device id of an NVIDIA GPU model name (``NVIDIA A100 80GB`` → 0x20B5)."""
    return NVIDIA_DEVICE_IDS.get(_model_key(model))


@dataclass(frozen=True)
class GpuVmClass:
    """A GPU VM class the domain offers (vGPU or passthrough), with its sizing."""

    name: str
    cpus: int
    memory_mib: int
    devices: int
    vgpu_profile: str | None = None
    pci_vendor_id: int | None = None
    pci_device_id: int | None = None

    @property
    def passthrough(self) -> bool:
        return self.vgpu_profile is None

    def vm_operator_spec(self) -> dict[str, object]:
        """``spec`` of the VM Operator ``VirtualMachineClass`` of a passthrough class."""
        if not self.passthrough:
            raise ValueError(f"{self.name} is a vGPU class; vSphere declares it, not VM Operator")
        memory = f"{self.memory_mib}Mi"
        devices = [
            {"vendorID": self.pci_vendor_id, "deviceID": self.pci_device_id}
            for _ in range(self.devices)
        ]
        return {
            "description": f"{self.devices} GPU(s) by DirectPath I/O",
            "hardware": {
                "cpus": self.cpus,
                "memory": memory,
                "devices": {"dynamicDirectPathIODevices": devices},
            },
            # DirectPath I/O needs the VM's memory fully reserved, like vGPU.
            "policies": {"resources": {"requests": {"memory": memory}}},
        }


@dataclass(frozen=True)
class GpuWorkloadDomainArgs:
    """The site's GPU workload domain (``ctx.workload_domain`` unless ``domain`` is given).

    ``domain`` lets a tenant with workload-domain isolation (§9.4.2) get a cluster of its own;
    ``zone_name`` defaults to ``<cluster>-zone``. ``host_image`` defaults to the domain's own
    ``hostImage``; ``hardware`` to what the program already asked vCenter about the domain
    (``ctx.hardware``), else the domain asks itself.
    """

    ctx: SiteContext
    domain: WorkloadDomain | None = None
    zone_name: str | None = None
    host_image: HostImage | None = None
    hardware: DomainHardware | None = None
    library_datastore: str = DEFAULT_LIBRARY_DATASTORE
    vm_class_cpus: int = DEFAULT_VM_CLASS_CPUS
    memory_per_gpu_memory: float = DEFAULT_MEMORY_PER_GPU_MEMORY
    min_vm_class_memory_gib: int = DEFAULT_MIN_VM_CLASS_MEMORY_GIB
    passthrough_device_id: int | None = None

    @property
    def workload_domain(self) -> WorkloadDomain:
        return self.domain or self.ctx.workload_domain

    @property
    def resolved_zone_name(self) -> str:
        return self.zone_name or f"{self.workload_domain.cluster}-zone"

    @property
    def image(self) -> HostImage | None:
        return self.host_image or self.workload_domain.host_image

    @property
    def library_name(self) -> str:
        return f"{self.workload_domain.cluster}-dlvm"


def _subject(args: GpuWorkloadDomainArgs) -> str:
    return f"workload domain '{args.workload_domain.cluster}'"


def parsed_profiles(args: GpuWorkloadDomainArgs) -> list[VgpuProfile]:
    """The domain's vGPU profiles, each checked against the GPU it runs on."""
    wd = args.workload_domain
    model = re.sub(r"[^a-z0-9]+", "", wd.gpu.model.lower())
    out: list[VgpuProfile] = []
    for i, name in enumerate(wd.vgpu_profiles):
        field_name = f"workloadDomain.vgpuProfiles[{i}]"
        if name in wd.vgpu_profiles[:i]:
            # Each profile becomes VM classes named after it: a repeat would clash.
            raise ComponentInputError(_subject(args), field_name, f"{name!r} is listed twice")
        try:
            profile = parse_vgpu_profile(name)
            profile.slices_per_gpu(wd.gpu.memory_gi_b)
        except EstimatorError as error:
            raise ComponentInputError(_subject(args), field_name, str(error)) from None
        family = re.match(r"^[a-z]+\d+", profile.gpu)
        if family is None or family.group(0) not in model:
            raise ComponentInputError(
                _subject(args),
                field_name,
                f"profile {name!r} is for {profile.gpu.upper()} GPUs but the hosts have "
                f"{wd.gpu.model!r}",
            )
        out.append(profile)
    return out


def known_hardware(args: GpuWorkloadDomainArgs) -> DomainHardware | None:
    """What the program already asked vCenter about this domain's hosts, if it did."""
    return args.hardware or args.ctx.hardware.get(args.workload_domain.cluster)


def validate_gpu_workload_domain(args: GpuWorkloadDomainArgs) -> None:
    """Reject a domain vSphere or the estimators could not build, before anything exists;
    with the hosts' answers at hand, also what the hardware does not offer."""
    wd = args.workload_domain
    subject = _subject(args)
    if len(wd.hosts) < 1 + HA_HOST_FAILURES_TOLERATED and args.ctx.is_production:
        raise ComponentInputError(
            subject,
            "workloadDomain.hosts",
            f"{len(wd.hosts)} host cannot keep {HA_HOST_FAILURES_TOLERATED} host in reserve for "
            "vSphere HA (§9.2.1 layer 1); production needs at least 2",
        )
    parsed_profiles(args)
    if (
        wd.gpu.assignment == "passthrough"
        and args.passthrough_device_id is None
        and nvidia_device_id(wd.gpu.model) is None
    ):
        known = ", ".join(sorted(NVIDIA_DEVICE_IDS))
        raise ComponentInputError(
            subject,
            "workloadDomain.gpu.model",
            f"no PCI device id known for {wd.gpu.model!r} (known: {known}); pass "
            "passthrough_device_id",
        )
    if args.vm_class_cpus < 1:
        raise ComponentInputError(subject, "vm_class_cpus", f"{args.vm_class_cpus} must be ≥ 1")
    if args.memory_per_gpu_memory <= 0:
        raise ComponentInputError(
            subject, "memory_per_gpu_memory", f"{args.memory_per_gpu_memory} must be > 0"
        )
    image = args.image
    if image is None or not (image.declares_driver or image.depot):
        raise ComponentInputError(
            subject,
            "workloadDomain.hostImage",
            "names no NVIDIA host driver: declare nvidiaDriverComponent and "
            "nvidiaDriverVersion, or depot",
        )
    if not args.library_datastore.strip():
        raise ComponentInputError(subject, "library_datastore", "is empty")
    validate_domain_hardware(args)


def validate_domain_hardware(args: GpuWorkloadDomainArgs) -> None:
    """What the hosts offer against what the domain declares, when the program asked them."""
    hardware = known_hardware(args)
    image = args.image
    if hardware is not None and image is not None:
        check_domain(_subject(args), args.workload_domain, image, hardware)


def _memory_mib(args: GpuWorkloadDomainArgs, gpu_memory_gib: float) -> int:
    gib = max(args.min_vm_class_memory_gib, math.ceil(args.memory_per_gpu_memory * gpu_memory_gib))
    return int(gib * MIB_PER_GIB)


def gpu_vm_classes(args: GpuWorkloadDomainArgs) -> tuple[GpuVmClass, ...]:
    """Every GPU VM class of the domain, in a stable order."""
    wd = args.workload_domain
    counts = device_counts(wd.gpu.per_host)
    classes: list[GpuVmClass] = []
    if wd.gpu.assignment == "passthrough":
        device_id = args.passthrough_device_id or nvidia_device_id(wd.gpu.model)
        for n in counts:
            classes.append(
                GpuVmClass(
                    name=passthrough_class_name(n),
                    cpus=args.vm_class_cpus * n,
                    memory_mib=_memory_mib(args, wd.gpu.memory_gi_b * n),
                    devices=n,
                    pci_vendor_id=NVIDIA_VENDOR_ID,
                    pci_device_id=device_id,
                )
            )
        return tuple(classes)
    for profile in parsed_profiles(args):
        whole_gpu = profile.framebuffer_gib >= wd.gpu.memory_gi_b
        for n in counts if whole_gpu else (1,):
            classes.append(
                GpuVmClass(
                    name=vgpu_class_name(profile.name, n),
                    cpus=args.vm_class_cpus * n,
                    memory_mib=_memory_mib(args, profile.framebuffer_gib * n),
                    devices=n,
                    vgpu_profile=profile.name,
                )
            )
    return tuple(classes)


def domain_gpu_pools(args: GpuWorkloadDomainArgs) -> dict[str, GpuPool]:
    """GPU pool per profile (key ``passthrough`` without vGPU)."""
    wd = args.workload_domain
    hosts, per_host, memory = len(wd.hosts), wd.gpu.per_host, wd.gpu.memory_gi_b
    if wd.gpu.assignment == "passthrough":
        return {"passthrough": gpu_pool(hosts, per_host, memory)}
    return {p: gpu_pool(hosts, per_host, memory, p) for p in wd.vgpu_profiles}


def domain_decisions(
    args: GpuWorkloadDomainArgs, invoke: pulumi.InvokeOptions | None = None
) -> dict[str, Decision]:
    """Per platform object of the domain (cluster, library, each vGPU VM class, zone): what the
    stack does with it. Adopted objects without a pinned or resolved id are looked up now."""
    ctx, wd = args.ctx, args.workload_domain
    datacenter = ctx.site.vcenter.datacenter

    def one(kind: Kind, name: str) -> Decision:
        return decide(
            ctx.ownership,
            kind,
            name,
            import_ids=ctx.import_ids,
            lookup=lambda: lookup_import_id(kind, name, datacenter=datacenter, opts=invoke),
        )

    out = {
        "cluster": one("computeCluster", wd.cluster),
        "library": one("contentLibrary", args.library_name),
        "zone": one("zone", args.resolved_zone_name),
    }
    for vm_class in gpu_vm_classes(args):
        if not vm_class.passthrough:
            out[vm_class.name] = one("vmClasses", vm_class.name)
    return out


def _nvidia_component(components: Sequence[Any] | None, depot: str) -> dict[str, str]:
    """The NVIDIA host driver among an offline depot's components: key and newest version."""
    for component in components or []:
        key = str(getattr(component, "key", None) or "")
        versions = [str(v) for v in getattr(component, "versions", None) or []]
        if key.startswith(NVIDIA_COMPONENT_PREFIX) and versions:
            return {"key": key, "version": str(newest_image(versions))}
    raise ValueError(
        f"workloadDomain.hostImage.depot: the depot {depot} holds no NVIDIA AI Enterprise "
        f"component (a key starting with {NVIDIA_COMPONENT_PREFIX}); declare "
        "nvidiaDriverComponent and nvidiaDriverVersion, or use the NVAIE host driver depot"
    )


class GpuWorkloadDomain(pulumi.ComponentResource):
    """GPU hosts in an HA/DRS cluster with GPU VM classes, the DLVM library and a zone."""

    cluster_name: str
    zone_name: str
    vm_classes: tuple[GpuVmClass, ...]
    gpu_vm_class_names: frozenset[str]
    vm_class_names: dict[str, pulumi.Input[str]]
    passthrough_classes: tuple[GpuVmClass, ...]
    default_profile: str | None
    gpu_pool: GpuPool
    gpu_pools: dict[str, GpuPool]
    gpu_capacity: int
    gpu_capacity_n1: int
    gpu_capacity_by_profile: dict[str, int]
    physical_gpus: int
    hardware: DomainHardware
    decisions: dict[str, Decision]
    compute_cluster: vsphere.ComputeCluster | None
    anti_affinity_rules: list[vsphere.ComputeClusterVmAntiAffinityRule]
    content_library: vsphere.ContentLibrary | None
    zone: vsphere.Zone | None
    depot: vsphere.OfflineSoftwareDepot | None
    cluster_id: pulumi.Output[str]
    content_library_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: GpuWorkloadDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_gpu_workload_domain, args)
        ctx, wd = args.ctx, args.workload_domain
        # Ask the hosts (and resolve adopted objects' ids) before registering anything.
        ask = pulumi.InvokeOptions(parent=opts.parent if opts else None)
        hardware = known_hardware(args)
        if hardware is None:
            hardware = discover_domain(ctx.site.vcenter.datacenter, wd.hosts, ask)
            check_domain(_subject(args), wd, args.image, hardware)
        self.hardware = hardware
        self.decisions = domain_decisions(args, ask)
        super().__init__(GPU_WORKLOAD_DOMAIN_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.cluster_name = wd.cluster
        self.zone_name = args.resolved_zone_name
        self.vm_classes = gpu_vm_classes(args)
        self.gpu_vm_class_names = frozenset(c.name for c in self.vm_classes)
        self.passthrough_classes = tuple(c for c in self.vm_classes if c.passthrough)
        self.default_profile = wd.vgpu_profiles[0] if wd.vgpu_profiles else None
        self.gpu_pools = domain_gpu_pools(args)
        self.gpu_pool = self.gpu_pools[self.default_profile or "passthrough"]
        self.gpu_capacity = self.gpu_pool.total
        self.gpu_capacity_n1 = self.gpu_pool.n_plus_one
        self.gpu_capacity_by_profile = {k: p.total for k, p in self.gpu_pools.items()}
        self.physical_gpus = len(wd.hosts) * wd.gpu.per_host

        invoke = pulumi.InvokeOutputOptions(parent=self)
        datacenter_id = hardware.datacenter_id
        self.depot = None
        image = args.image
        if image is not None and image.depot is not None:
            self.depot = vsphere.OfflineSoftwareDepot(
                f"{name}-depot", location=image.depot, opts=child
            )
        self._cluster(name, args, datacenter_id)

        self.vm_class_names = {}
        for vm_class in self.vm_classes:
            decision = self.decisions.get(vm_class.name)
            if decision is None or not decision.managed:
                # DirectPath I/O classes are VM Operator objects (tenant namespaces); referenced
                # vGPU classes exist in vCenter under their name.
                self.vm_class_names[vm_class.name] = vm_class.name
                continue
            depends: list[pulumi.Resource] | None = (
                [self.compute_cluster] if self.compute_cluster is not None else None
            )
            resource = vsphere.VirtualMachineClass(
                f"{name}-{vm_class.name}",
                name=vm_class.name,
                cpus=vm_class.cpus,
                memory=vm_class.memory_mib,
                memory_reservation=FULL_MEMORY_RESERVATION,
                vgpu_devices=[cast(str, vm_class.vgpu_profile)] * vm_class.devices,
                opts=decision.options(self, production=False, depends_on=depends),
            )
            self.vm_class_names[vm_class.name] = resource.name

        library = self.decisions["library"]
        self.content_library = None
        if library.managed:
            datastore = vsphere.get_datastore_output(
                name=args.library_datastore, datacenter_id=datacenter_id, opts=invoke
            )
            self.content_library = vsphere.ContentLibrary(
                f"{name}-dlvm-library",
                name=args.library_name,
                description="Deep learning VM images (DLVM), subscribed from the PAIF catalogue",
                storage_backings=[datastore.id],
                subscription=vsphere.ContentLibrarySubscriptionArgs(
                    subscription_url=wd.dlvm_library_url,
                    authentication_method="NONE",
                    automatic_sync=True,
                    on_demand=True,
                ),
                opts=library.options(self, production=ctx.is_production, protect=ctx.is_production),
            )
            self.content_library_id = self.content_library.id
        else:
            self.content_library_id = vsphere.get_content_library_output(
                name=args.library_name, opts=invoke
            ).id

        self.anti_affinity_rules = [
            vsphere.ComputeClusterVmAntiAffinityRule(
                f"{name}-spread-{group.name}",
                name=group.name,
                compute_cluster_id=self.cluster_id,
                # The provider takes VM UUIDs: looked up by name when the stack deploys.
                virtual_machine_ids=[
                    vsphere.get_virtual_machine_output(
                        name=vm, datacenter_id=datacenter_id, opts=invoke
                    ).id
                    for vm in group.vms
                ],
                enabled=True,
                mandatory=group.mandatory,
                opts=child,
            )
            for group in wd.vm_anti_affinity
        ]

        zone = self.decisions["zone"]
        self.zone = None
        if zone.managed:
            self.zone = vsphere.Zone(
                f"{name}-zone",
                name=self.zone_name,
                description=f"GPU workload domain {wd.cluster} at {ctx.site.name}",
                cluster_ids=[self.cluster_id],
                opts=zone.options(self, production=False),
            )
        else:
            vsphere.get_zone_output(name=self.zone_name, opts=invoke)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterId": self.cluster_id,
                "zoneName": self.zone_name,
                "contentLibraryId": self.content_library_id,
                "gpuVmClasses": sorted(self.gpu_vm_class_names),
                "gpuCapacity": self.gpu_capacity,
                "gpuCapacityN1": self.gpu_capacity_n1,
                "gpuCapacityByProfile": self.gpu_capacity_by_profile,
                "physicalGpus": self.physical_gpus,
            }
        )

    def _cluster(self, name: str, args: GpuWorkloadDomainArgs, datacenter_id: str) -> None:
        """The HA/DRS cluster with its vLCM image: created, adopted, or looked up."""
        ctx, wd = args.ctx, args.workload_domain
        decision = self.decisions["cluster"]
        self.compute_cluster = None
        if not decision.managed:
            self.cluster_id = vsphere.get_compute_cluster_output(
                name=wd.cluster,
                datacenter_id=datacenter_id,
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).id
            return
        ha_policy: dict[str, Any]
        if len(wd.hosts) > HA_HOST_FAILURES_TOLERATED:
            ha_policy = {
                "ha_admission_control_policy": HA_ADMISSION_CONTROL_POLICY,
                "ha_admission_control_host_failure_tolerance": HA_HOST_FAILURES_TOLERATED,
                "ha_admission_control_resource_percentage_auto_compute": True,
            }
        else:
            # A single non-production host cannot reserve a host; HA still restarts VMs.
            ha_policy = {"ha_admission_control_policy": "disabled"}
        image = args.image
        driver: vsphere.ComputeClusterHostImageComponentArgs
        if image is not None and image.declares_driver:
            driver = vsphere.ComputeClusterHostImageComponentArgs(
                key=str(image.nvidia_driver_component), version=str(image.nvidia_driver_version)
            )
        else:
            # validate_gpu_workload_domain made sure a depot is declared
            assert self.depot is not None and image is not None and image.depot is not None
            depot = image.depot
            found = self.depot.components.apply(
                lambda components: _nvidia_component(components, depot)
            )
            driver = vsphere.ComputeClusterHostImageComponentArgs(
                key=found["key"], version=found["version"]
            )
        self.compute_cluster = vsphere.ComputeCluster(
            f"{name}-cluster",
            name=wd.cluster,
            datacenter_id=datacenter_id,
            host_system_ids=self.hardware.host_ids,
            ha_enabled=True,
            ha_host_monitoring="enabled",
            drs_enabled=True,
            drs_automation_level=DRS_AUTOMATION_LEVEL,
            host_image=vsphere.ComputeClusterHostImageArgs(
                esx_version=esx_version(image, self.hardware),
                components=[driver],
            ),
            opts=decision.options(self, production=ctx.is_production, protect=ctx.is_production),
            **ha_policy,
        )
        self.cluster_id = self.compute_cluster.id
