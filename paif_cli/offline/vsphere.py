"""Offline answers for the vsphere provider (see paif_cli.offline).

Invokes look vSphere inventory up by name; offline, each name maps to a stable managed-object
id of the right shape (``datacenter-…``, ``host-…``, ``datastore-…``, ``domain-c…``, a policy
or library UUID), derived from the name alone, so the same stack always plans to the same ids.
Every object looked up exists offline (an adopted cluster or library too). What the hosts
offer and the depot holds comes from :mod:`paif_cli.offline.catalogue`, plus what the planned
stack declares (:func:`hardware_invokes`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import paif_cli.offline.catalogue as catalogue

_POLICY_NAMESPACE = uuid.UUID("6f1c0b52-6c1e-4d0a-9a55-2b7d3f0e5a10")


def moref(kind: str, *names: str) -> str:
    """A stable managed-object reference id such as ``host-48213`` for a named object."""
    digest = hashlib.sha256("/".join((kind, *names)).encode()).hexdigest()
    return f"{kind}-{int(digest[:8], 16) % 100000}"


def _require(args: Any, key: str) -> str:
    value = args.args.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"invoke {args.token!r} needs {key!r}; got {value!r}")
    return value


def _datacenter(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    return {"id": moref("datacenter", name), "name": name, "virtualMachines": []}


def _host(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    datacenter = _require(args, "datacenterId")
    return {
        "id": moref("host", datacenter, name),
        "name": name,
        "datacenterId": datacenter,
        "resourcePoolId": moref("resgroup", datacenter, name),
    }


def _datastore(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    datacenter = _require(args, "datacenterId")
    return {"id": moref("datastore", datacenter, name), "name": name, "datacenterId": datacenter}


def _virtual_machine(args: Any) -> dict[str, Any]:
    """A VM looked up by name: its UUID (the provider's id) derived from datacenter and name."""
    name = _require(args, "name")
    datacenter = _require(args, "datacenterId")
    vm_uuid = str(uuid.uuid5(_POLICY_NAMESPACE, f"vm/{datacenter}/{name}"))
    return {"id": vm_uuid, "uuid": vm_uuid, "name": name, "datacenterId": datacenter}


def _policy(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    return {"id": str(uuid.uuid5(_POLICY_NAMESPACE, name)), "name": name}


def cluster_moref(datacenter_id: str, name: str) -> str:
    """A cluster's id as vCenter spells it (``domain-c<n>``)."""
    return "domain-c" + moref("cluster", datacenter_id, name).rsplit("-", 1)[1]


def library_id(name: str) -> str:
    return str(uuid.uuid5(_POLICY_NAMESPACE, f"library/{name}"))


def _compute_cluster(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    datacenter = str(args.args.get("datacenterId") or "")
    return {
        "id": cluster_moref(datacenter, name),
        "name": name,
        "datacenterId": datacenter,
        "resourcePoolId": moref("resgroup", datacenter, name),
    }


def _content_library(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    return {"id": library_id(name), "name": name}


def _zone(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    return {"id": moref("zone", name), "name": name, "description": "", "clusterIds": []}


def _namespace(args: Any) -> dict[str, Any]:
    name = _require(args, "name")
    return {"id": name, "name": name, "storagePolicies": [], "vmServices": []}


def hardware_invokes(
    profiles: Iterable[str] = (), base_images: Iterable[str] = ()
) -> dict[str, Callable[[Any], dict[str, Any]]]:
    """What the hosts and the depot answer offline: the catalogue, plus ``profiles`` and
    ``base_images`` (what the planned stack declares: offline, the site has it)."""
    offered = sorted({*catalogue.VGPU_PROFILES, *profiles})
    images = sorted({*catalogue.ESX_BASE_IMAGES, *base_images})

    def vgpu_profiles(args: Any) -> dict[str, Any]:
        host = _require(args, "hostId")
        return {
            "hostId": host,
            "id": hashlib.sha256(host.encode()).hexdigest(),
            "vgpuProfiles": [
                {
                    "vgpu": profile,
                    "diskSnapshotSupported": True,
                    "memorySnapshotSupported": True,
                    "migrateSupported": True,
                    "suspendSupported": True,
                }
                for profile in offered
            ],
        }

    def pci_device(args: Any) -> dict[str, Any]:
        return {
            "hostId": _require(args, "hostId"),
            "id": catalogue.GPU_PCI_ADDRESS,
            "name": catalogue.GPU_PCI_NAME,
            "vendorId": "10de",
            "classId": "302",
        }

    def base_image_list(args: Any) -> dict[str, Any]:
        return {"id": images[0], "versions": list(images)}

    return {
        "vsphere:index/getHostVgpuProfile:getHostVgpuProfile": vgpu_profiles,
        "vsphere:index/getHostPciDevice:getHostPciDevice": pci_device,
        "vsphere:index/getHostBaseImages:getHostBaseImages": base_image_list,
    }


def declared_hardware_invokes(config: Any) -> dict[str, Callable[[Any], dict[str, Any]]]:
    """:func:`hardware_invokes` with what a stack config declares (``StackConfig``): every
    workload domain's vGPU profiles and ESX build."""
    domains = [
        config.workload_domain,
        *(t.workload_domain for t in config.tenants if t.workload_domain is not None),
        *config.dr.tenant_workload_domains.values(),
    ]
    profiles = {p for d in domains for p in d.vgpu_profiles}
    images = {d.host_image.esx_version for d in domains if d.host_image}
    return hardware_invokes(profiles, {i for i in images if i})


def _depot(args: Any) -> dict[str, Any]:
    """An offline depot the stack adds: it holds the NVIDIA host driver of the catalogue."""
    return {
        "components": [
            {
                "key": catalogue.NVIDIA_DRIVER_COMPONENT,
                "displayName": "NVIDIA AI Enterprise vGPU host driver",
                "versions": list(catalogue.NVIDIA_DRIVER_VERSIONS),
            }
        ]
    }


COMPUTED: dict[str, Callable[[Any], dict[str, Any]]] = {
    "vsphere:index/offlineSoftwareDepot:OfflineSoftwareDepot": _depot,
}
INVOKES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "vsphere:index/getDatacenter:getDatacenter": _datacenter,
    "vsphere:index/getHost:getHost": _host,
    "vsphere:index/getDatastore:getDatastore": _datastore,
    "vsphere:index/getPolicy:getPolicy": _policy,
    "vsphere:index/getVirtualMachine:getVirtualMachine": _virtual_machine,
    "vsphere:index/getComputeCluster:getComputeCluster": _compute_cluster,
    "vsphere:index/getContentLibrary:getContentLibrary": _content_library,
    "vsphere:index/getZone:getZone": _zone,
    "vsphere:index/getNamespace:getNamespace": _namespace,
    **hardware_invokes(),
}
