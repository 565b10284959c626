"""GpuWorkloadDomain under the plan's mocks: exact inputs, capacity, and input errors."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from paif_cli.mock_runtime import ResourceRecord
from paif_cli.offline.vsphere import moref
from paif_components.config import StackConfig
from paif_components.context import SiteContext
from paif_components.errors import ComponentInputError
from paif_components.workload_domain import (
    GpuWorkloadDomain,
    GpuWorkloadDomainArgs,
    device_counts,
    gpu_vm_classes,
    nvidia_device_id,
    vgpu_class_name,
)
from tests.support.programs import registered_before_error
from tests.support.schema_validation import validate_crd_object
from tests.support.stacks import load_stack


@functools.cache
def stack(name: str) -> StackConfig:
    return load_stack(name)


def context(name: str = "prod", **domain_changes: Any) -> SiteContext:
    """The stack's site context, its workload domain changed by ``domain_changes``."""
    cfg = stack(name)
    wd = cfg.workload_domain.model_copy(update=domain_changes)
    return SiteContext(
        site=cfg.site, environment=cfg.environment, harbor=cfg.harbor, workload_domain=wd
    )


def plan(run_pulumi: Any, ctx: SiteContext, stack_name: str = "prod") -> list[ResourceRecord]:
    """Resources a domain registers for ``ctx``."""
    return run_pulumi(
        lambda: GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx)), stack=stack_name
    ).resources


def by_name(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    return {r.name: r for r in records}


def test_compute_cluster_has_ha_admission_control_drs_and_nvidia_host_image(run_pulumi):
    ctx = context()
    cluster = by_name(plan(run_pulumi, ctx))["wd-cluster"]
    datacenter = moref("datacenter", "dc-primary")
    assert cluster.type == "vsphere:index/computeCluster:ComputeCluster"
    assert cluster.inputs == {
        "name": "gpu-wld-01",
        "datacenterId": datacenter,
        "hostSystemIds": [
            moref("host", datacenter, f"esxi-gpu-0{i}.primary.example.com") for i in range(1, 6)
        ],
        "haEnabled": True,
        "haHostMonitoring": "enabled",
        "haAdmissionControlPolicy": "resourcePercentage",
        "haAdmissionControlHostFailureTolerance": 1,
        "haAdmissionControlResourcePercentageAutoCompute": True,
        "drsEnabled": True,
        "drsAutomationLevel": "fullyAutomated",
        "hostImage": {
            "esxVersion": "9.0.1.0.24957456",
            "components": [{"key": "NVD-AIE-800", "version": "550.54.10-1OEM.800.1.0.20613240"}],
        },
    }
    assert cluster.protect is True


def test_one_vm_class_per_profile_and_multi_gpu_classes_of_the_whole_gpu_profile(run_pulumi):
    ctx = context()
    classes = {
        r.inputs["name"]: r.inputs
        for r in plan(run_pulumi, ctx)
        if r.type == "vsphere:index/virtualMachineClass:VirtualMachineClass"
    }
    gib = 1024
    assert classes == {
        "vgpu-a100-80c": {
            "name": "vgpu-a100-80c",
            "cpus": 16,
            "memory": 160 * gib,
            "memoryReservation": 100,
            "vgpuDevices": ["nvidia_a100-80c"],
        },
        "vgpu-a100-80c-x2": {
            "name": "vgpu-a100-80c-x2",
            "cpus": 32,
            "memory": 320 * gib,
            "memoryReservation": 100,
            "vgpuDevices": ["nvidia_a100-80c"] * 2,
        },
        "vgpu-a100-80c-x4": {
            "name": "vgpu-a100-80c-x4",
            "cpus": 64,
            "memory": 640 * gib,
            "memoryReservation": 100,
            "vgpuDevices": ["nvidia_a100-80c"] * 4,
        },
        "vgpu-a100-40c": {
            "name": "vgpu-a100-40c",
            "cpus": 16,
            "memory": 80 * gib,
            "memoryReservation": 100,
            "vgpuDevices": ["nvidia_a100-40c"],
        },
    }


def test_content_library_subscribes_to_the_dlvm_catalogue_and_zone_holds_the_cluster(run_pulumi):
    ctx = context()
    resources = plan(run_pulumi, ctx)
    records = by_name(resources)
    library = records["wd-dlvm-library"]
    assert library.inputs == {
        "name": "gpu-wld-01-dlvm",
        "description": "Deep learning VM images (DLVM), subscribed from the PAIF catalogue",
        "storageBackings": [moref("datastore", moref("datacenter", "dc-primary"), "vsanDatastore")],
        "subscription": {
            "subscriptionUrl": "https://packages.vmware.com/dl-vm/lib.json",
            "authenticationMethod": "NONE",
            "automaticSync": True,
            "onDemand": True,
        },
    }
    assert library.protect is True
    zone = records["wd-zone"]
    assert zone.inputs == {
        "name": "gpu-wld-01-zone",
        "description": "GPU workload domain gpu-wld-01 at seoul-primary",
        "clusterIds": ["wd-cluster-id"],
    }
    assert all(r.parent == records["wd"].urn for r in resources if r.name != "wd")


def test_capacity_in_schedulable_gpus_and_with_one_host_down(run_pulumi):
    domains: dict[str, GpuWorkloadDomain] = {}

    def program() -> None:
        domains["prod"] = GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=context("prod")))
        domains["dr"] = GpuWorkloadDomain("dr", GpuWorkloadDomainArgs(ctx=context("dr")))

    run_pulumi(program, stack="prod")
    prod, dr = domains["prod"], domains["dr"]
    # 5 hosts × 4 A100 80GB × 1 slice of nvidia_a100-80c (the first, default profile); N+1
    # leaves 4 hosts × 4. The 40c profile fits 2 slices per 80 GB GPU.
    assert (prod.gpu_capacity, prod.gpu_capacity_n1, prod.physical_gpus) == (20, 16, 20)
    assert prod.gpu_capacity_by_profile == {"nvidia_a100-80c": 20, "nvidia_a100-40c": 40}
    assert prod.default_profile == "nvidia_a100-80c"
    # DR: 4 hosts × 4 GPUs, 3 hosts × 4 with one down.
    assert (dr.gpu_capacity, dr.gpu_capacity_n1, dr.physical_gpus) == (16, 12, 16)
    assert prod.gpu_vm_class_names == frozenset(
        {"vgpu-a100-80c", "vgpu-a100-80c-x2", "vgpu-a100-80c-x4", "vgpu-a100-40c"}
    )


def test_capacity_is_exported_in_the_component_outputs(run_pulumi):
    import pulumi

    def program() -> None:
        domain = GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=context()))
        pulumi.export("gpuCapacity", domain.gpu_capacity)
        pulumi.export("gpuCapacityN1", domain.gpu_capacity_n1)

    result = run_pulumi(program, stack="prod")
    assert result.outputs == {"gpuCapacity": 20, "gpuCapacityN1": 16}


def test_passthrough_domain_declares_vm_operator_classes_that_validate_against_the_crd(run_pulumi):
    gpu = stack("prod").workload_domain.gpu.model_copy(update={"assignment": "passthrough"})
    ctx = context(gpu=gpu, vgpu_profiles=[])
    domains: list[GpuWorkloadDomain] = []
    result = run_pulumi(
        lambda: domains.append(GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx))),
        stack="prod",
    )
    domain = domains[0]
    assert not [
        r
        for r in result.resources
        if r.type == "vsphere:index/virtualMachineClass:VirtualMachineClass"
    ]
    assert [c.name for c in domain.passthrough_classes] == [
        "gpu-passthrough-x1",
        "gpu-passthrough-x2",
        "gpu-passthrough-x4",
    ]
    # Passthrough: one whole GPU per device, 5 hosts × 4 (4 × 4 with one host down).
    assert (domain.gpu_capacity, domain.gpu_capacity_n1) == (20, 16)
    x2 = domain.passthrough_classes[1]
    spec = x2.vm_operator_spec()
    assert spec["hardware"] == {
        "cpus": 32,
        "memory": "327680Mi",
        "devices": {"dynamicDirectPathIODevices": [{"vendorID": 0x10DE, "deviceID": 0x20B5}] * 2},
    }
    validate_crd_object(
        {
            "apiVersion": "vmoperator.vmware.com/v1alpha5",
            "kind": "VirtualMachineClass",
            "metadata": {"name": x2.name, "namespace": "marketing-ns"},
            "spec": spec,
        }
    )


def test_class_names_match_what_model_endpoints_derive():
    from paif_components.model_endpoint import vgpu_vm_class_name

    # One naming function, not two that must agree.
    assert vgpu_vm_class_name is vgpu_class_name
    for profile in ("nvidia_a100-40c", "nvidia_a100-80c", "grid_a100-3-20c", "nvidia_h100-80c"):
        for devices in (1, 2, 4):
            assert vgpu_class_name(profile, devices) == vgpu_vm_class_name(profile, devices)
    assert vgpu_class_name("nvidia_a100-40c") == "vgpu-a100-40c"
    vgpu = gpu_vm_classes(GpuWorkloadDomainArgs(ctx=context()))[0]
    with pytest.raises(ValueError, match="vgpu-a100-80c is a vGPU class"):
        vgpu.vm_operator_spec()


def test_device_counts_are_powers_of_two_up_to_one_host():
    assert device_counts(1) == (1,)
    assert device_counts(4) == (1, 2, 4)
    assert device_counts(6) == (1, 2, 4)
    assert device_counts(8) == (1, 2, 4, 8)
    assert nvidia_device_id("NVIDIA A100 80GB") == 0x20B5
    assert nvidia_device_id("NVIDIA H100 PCIe") == 0x2331
    assert nvidia_device_id("NVIDIA B200") is None


def test_profile_for_another_gpu_fails_before_anything_is_registered():
    ctx = context(vgpu_profiles=["nvidia_h100-80c"])
    error, records = registered_before_error(
        lambda: GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx))
    )
    assert str(error) == (
        "workload domain 'gpu-wld-01': workloadDomain.vgpuProfiles[0]: profile "
        "'nvidia_h100-80c' is for H100 GPUs but the hosts have 'NVIDIA A100 80GB'"
    )
    assert records == []


def test_profile_larger_than_the_gpu_is_rejected():
    gpu = stack("prod").workload_domain.gpu.model_copy(update={"memory_gi_b": 40})
    ctx = context(gpu=gpu, vgpu_profiles=["nvidia_a100-40c", "nvidia_a100-80c"])
    error, records = registered_before_error(
        lambda: GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx))
    )
    assert error.field == "workloadDomain.vgpuProfiles[1]"
    assert "needs 80 GiB of framebuffer but the GPU has 40 GiB" in error.message
    assert records == []


def test_production_needs_a_host_in_reserve():
    ctx = context(hosts=["esxi-gpu-01.primary.example.com"])
    error, records = registered_before_error(
        lambda: GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx))
    )
    assert str(error) == (
        "workload domain 'gpu-wld-01': workloadDomain.hosts: 1 host cannot keep 1 host in "
        "reserve for vSphere HA (§9.2.1 layer 1); production needs at least 2"
    )
    assert records == []


def test_single_dev_host_keeps_ha_without_admission_control(run_pulumi):
    cfg = stack("prod")
    wd = cfg.workload_domain.model_copy(update={"hosts": ["esxi-gpu-01.primary.example.com"]})
    ctx = SiteContext(site=cfg.site, environment="dev", harbor=cfg.harbor, workload_domain=wd)
    cluster = by_name(plan(run_pulumi, ctx, "dev"))["wd-cluster"]
    assert cluster.inputs["haEnabled"] is True
    assert cluster.inputs["haAdmissionControlPolicy"] == "disabled"
    assert "haAdmissionControlHostFailureTolerance" not in cluster.inputs
    assert cluster.protect is False


def test_passthrough_gpu_without_a_known_pci_id_needs_one():
    gpu = stack("prod").workload_domain.gpu.model_copy(
        update={"assignment": "passthrough", "model": "NVIDIA B200"}
    )
    ctx = context(gpu=gpu, vgpu_profiles=[])
    with pytest.raises(ComponentInputError) as info:
        GpuWorkloadDomain("wd", GpuWorkloadDomainArgs(ctx=ctx))
    assert info.value.field == "workloadDomain.gpu.model"
    assert info.value.message.startswith("no PCI device id known for 'NVIDIA B200'")
    args = GpuWorkloadDomainArgs(ctx=ctx, passthrough_device_id=0x2901)
    from paif_components.workload_domain import validate_gpu_workload_domain

    validate_gpu_workload_domain(args)
    assert {c.pci_device_id for c in gpu_vm_classes(args)} == {0x2901}


def test_named_gpu_vms_get_a_drs_anti_affinity_rule(run_pulumi):
    """§9.2.2 replicas on hosts A, B, C: GPU VMs known by name never share a host."""
    from paif_components.config.models import VmAntiAffinity

    group = VmAntiAffinity(name="dlvm-inference", vms=["dlvm-a", "dlvm-b", "dlvm-c"])
    ctx = context(vm_anti_affinity=[group])
    records = by_name(plan(run_pulumi, ctx))
    rule = records["wd-spread-dlvm-inference"]
    assert (
        rule.type
        == "vsphere:index/computeClusterVmAntiAffinityRule:ComputeClusterVmAntiAffinityRule"
    )
    datacenter = moref("datacenter", "dc-primary")
    vm_ids = rule.inputs["virtualMachineIds"]
    assert rule.inputs == {
        "name": "dlvm-inference",
        "computeClusterId": records["wd-cluster"].id,
        "virtualMachineIds": vm_ids,
        "enabled": True,
        "mandatory": False,
    }
    # Each VM's UUID, looked up by name in the site's datacenter (offline: derived from both).
    from paif_cli.offline.vsphere import INVOKES

    class Lookup:
        token = "vsphere:index/getVirtualMachine:getVirtualMachine"

        def __init__(self, name: str) -> None:
            self.args = {"name": name, "datacenterId": datacenter}

    assert vm_ids == [INVOKES[Lookup.token](Lookup(vm))["id"] for vm in group.vms]
    assert len(set(vm_ids)) == 3
    assert records["wd-cluster"].urn in rule.depends_on


def test_no_rule_without_named_vms(run_pulumi):
    types = {r.type for r in plan(run_pulumi, context())}
    assert not any("AntiAffinityRule" in t for t in types)


def test_more_vms_than_hosts_cannot_spread():
    from paif_components.config import ConfigError

    def edit(values: dict[str, Any]) -> None:
        values["paif:workloadDomain"]["vmAntiAffinity"] = [
            {"name": "too-many", "vms": [f"vm-{i}" for i in range(6)]}
        ]

    with pytest.raises(ConfigError) as error:
        load_stack("prod", edit)
    assert (
        "paif:workloadDomain.vmAntiAffinity[0].vms: 6 VMs cannot each run on a different host "
        "of the 5 in gpu-wld-01"
    ) in error.value.render()
