"""Offline answers for the vsphere provider (see paif_cli.offline).

Invokes look vSphere inventory up by name; offline, each name maps to a stable managed-object
id of the right shape (``datacenter-…``, ``host-…``, ``datastore-…``, a policy UUID), derived
from the name alone, so the same stack always plans to the same ids.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

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


COMPUTED: dict[str, Callable[[Any], dict[str, Any]]] = {}
INVOKES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "vsphere:index/getDatacenter:getDatacenter": _datacenter,
    "vsphere:index/getHost:getHost": _host,
    "vsphere:index/getDatastore:getDatastore": _datastore,
    "vsphere:index/getPolicy:getPolicy": _policy,
    "vsphere:index/getVirtualMachine:getVirtualMachine": _virtual_machine,
}
