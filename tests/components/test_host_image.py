"""The GPU hosts' vLCM image (ESX build, NVIDIA host driver) comes from the stack config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from paif_cli.main import main
from tests.support.stacks import load_example


def _cluster_image(project: Path) -> object:
    args = ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    assert main([*args, "--quiet", "--format", "none"]) == 0
    plan = json.loads((project / "o" / "prod" / "plan.json").read_text())
    [cluster] = [
        r for r in plan["resources"] if r["type"] == "vsphere:index/computeCluster:ComputeCluster"
    ]
    return cluster["inputs"]["hostImage"]


def test_host_image_from_config(make_project: Callable[..., Path]) -> None:
    prod = load_example("prod")
    prod["paif:workloadDomain"]["hostImage"] = {
        "esxVersion": "9.0.2.0.25000000",
        "nvidiaDriverComponent": "NVD-AIE-900",
        "nvidiaDriverVersion": "580.65.05-1OEM.900.0.0.24755229",
    }
    assert _cluster_image(make_project({"prod": prod})) == {
        "esxVersion": "9.0.2.0.25000000",
        "components": [{"key": "NVD-AIE-900", "version": "580.65.05-1OEM.900.0.0.24755229"}],
    }


def test_host_image_defaults_when_not_declared(make_project: Callable[..., Path]) -> None:
    prod = load_example("prod")
    del prod["paif:workloadDomain"]["hostImage"]
    assert _cluster_image(make_project({"prod": prod})) == {
        "esxVersion": "9.0.1.0.24957456",
        "components": [{"key": "NVD-AIE-800", "version": "550.54.10-1OEM.800.1.0.20613240"}],
    }
