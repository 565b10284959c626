"""Synthetic stacks for the plan benchmark and the scale tests: the example, N tenants wide.

The primary is the example prod stack with its marketing tenant (two endpoints, a VKS cluster
with a GPU pool, an HA pgvector database, a knowledge base, an agent and two apps) copied N
times as ``t000``, ``t001``, ...; its waiver covers every copy, and the GPU hosts are enlarged
so that every copy's endpoints fit their peak with one host down. The DR stack is the example
DR stack peered with it, its hosts enlarged alike. ``vks=False`` leaves out each copy's VKS
cluster and the apps that run in it (the engine benchmark's smaller tenant, issue 27).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACK = "bench"
DR_STACK = "benchdr"
TEMPLATE_TENANT = "marketing"
GPUS_PER_HOST = 16
# What a tenant without a VKS cluster leaves out: the cluster and what runs inside it.
VKS_KEYS = ("vksClusters", "apps", "appNamespace")


def _example(stack: str) -> dict[str, Any]:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["config"]


def _hosts(domain: dict[str, Any], gpus: int, site: str) -> None:
    domain["gpu"]["perHost"] = GPUS_PER_HOST
    count = -(-gpus // GPUS_PER_HOST) + 1  # N+1
    domain["hosts"] = [f"esxi-gpu-{i:03d}.{site}.example.com" for i in range(1, count + 1)]


def _peak_gpus(tenant: dict[str, Any]) -> int:
    return sum(
        int(e.get("gpusPerReplica", 1)) * int(e["replicas"]["max"])
        for e in tenant.get("modelEndpoints", [])
    )


def stack_config(tenants: int, *, vks: bool = True) -> dict[str, Any]:
    """The primary: the example prod stack with the template tenant copied ``tenants`` times
    (without its VKS cluster and apps when ``vks`` is false)."""
    config = _example("prod")
    tenant = next(t for t in config["paif:tenants"] if t["name"] == TEMPLATE_TENANT)
    if not vks:
        tenant = {k: v for k, v in tenant.items() if k not in VKS_KEYS}
    template = json.dumps(tenant)
    copies = [json.loads(template.replace(TEMPLATE_TENANT, f"t{i:03d}")) for i in range(tenants)]
    config["paif:tenants"] = copies
    _hosts(config["paif:workloadDomain"], sum(_peak_gpus(t) for t in copies), "primary")
    config["paif:dr"]["peer"]["stack"] = DR_STACK
    for waiver in config.get("paif:waivers", []):
        waiver["resource"] = waiver["resource"].replace(TEMPLATE_TENANT, "")
    return config


def dr_stack_config(tenants: int, *, vks: bool = True) -> dict[str, Any]:
    """The DR stack of the example, peered with the synthetic primary, hosts enlarged alike."""
    config = _example("dr")
    config["paif:dr"]["peer"]["stack"] = STACK
    primary = stack_config(tenants, vks=vks)
    _hosts(
        config["paif:workloadDomain"],
        sum(_peak_gpus(t) for t in primary["paif:tenants"]),
        "dr",
    )
    return config


def write_project(directory: Path, tenants: int, *, vks: bool = True) -> Path:
    """A project with both synthetic stacks: ``Pulumi.bench.yaml`` and ``Pulumi.benchdr.yaml``."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    stacks = (
        (STACK, stack_config(tenants, vks=vks)),
        (DR_STACK, dr_stack_config(tenants, vks=vks)),
    )
    for stack, config in stacks:
        text = yaml.safe_dump({"config": config}, sort_keys=False)
        (directory / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return directory
