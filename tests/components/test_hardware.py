"""What the site's hardware says decides: vGPU profiles and GPUs from the hosts, the ESX build and
the NVIDIA driver from the depot (paif_components.hardware), before anything is declared."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.stack import run_in_stack

from paif_cli.main import main
from paif_cli.mock_runtime import PlanMocks, ResourceRecord, mock_runtime
from paif_cli.offline import catalogue
from paif_cli.offline.vsphere import hardware_invokes
from paif_components.program import run
from tests.support.stacks import load_example, write_project

CLUSTER = "vsphere:index/computeCluster:ComputeCluster"


def _plan(project: Path, stack: str = "prod") -> tuple[int, dict[str, Any]]:
    out = project / "o"
    code = main(
        ["plan", "--stack", stack, "--project-dir", str(project), "--out", str(out), "--quiet",
         "--format", "none"]
    )  # fmt: skip
    plan_file = out / stack / "plan.json"
    return code, json.loads(plan_file.read_text()) if plan_file.exists() else {}


def _of_type(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_]


def test_host_image_from_config(make_project: Callable[..., Path]) -> None:
    prod = load_example("prod")
    prod["paif:workloadDomain"]["hostImage"] = {
        "esxVersion": "9.0.2.0.25000000",
        "nvidiaDriverComponent": "NVD-AIE-900",
        "nvidiaDriverVersion": "580.65.05-1OEM.900.0.0.24755229",
    }
    code, plan = _plan(make_project({"prod": prod}))
    assert code == 0
    # Offline the depot holds what the stack declares: vCenter is asked at preview.
    [cluster] = _of_type(plan, CLUSTER)
    assert cluster["inputs"]["hostImage"] == {
        "esxVersion": "9.0.2.0.25000000",
        "components": [{"key": "NVD-AIE-900", "version": "580.65.05-1OEM.900.0.0.24755229"}],
    }


def test_esx_build_left_out_is_the_newest_base_image_of_the_depot(
    make_project: Callable[..., Path],
) -> None:
    prod = load_example("prod")
    del prod["paif:workloadDomain"]["hostImage"]["esxVersion"]
    code, plan = _plan(make_project({"prod": prod}))
    assert code == 0
    [cluster] = _of_type(plan, CLUSTER)
    assert cluster["inputs"]["hostImage"]["esxVersion"] == max(catalogue.ESX_BASE_IMAGES)
    assert max(catalogue.ESX_BASE_IMAGES) == "9.0.1.0.24957456"


def test_a_driver_named_by_neither_the_stack_nor_a_depot_is_refused(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    prod = load_example("prod")
    del prod["paif:workloadDomain"]["hostImage"]
    code, _ = _plan(make_project({"prod": prod}))
    assert code == 2
    err = capsys.readouterr().err
    assert "Pulumi.prod.yaml: paif:workloadDomain.hostImage: the GPU hosts' NVIDIA AI " in err
    assert "declare nvidiaDriverComponent and nvidiaDriverVersion" in err
    assert "Traceback" not in err


def test_half_a_driver_is_refused(make_project: Callable[..., Path], capsys: Any) -> None:
    prod = load_example("prod")
    del prod["paif:workloadDomain"]["hostImage"]["nvidiaDriverVersion"]
    code, _ = _plan(make_project({"prod": prod}))
    assert code == 2
    assert "paif:workloadDomain.hostImage.nvidiaDriverVersion: the driver is named by " in (
        capsys.readouterr().err
    )


def test_the_driver_comes_from_the_depot_the_stack_adds(make_project: Callable[..., Path]) -> None:
    prod = load_example("prod")
    url = "https://depot.primary.example.com/nvaie/NVD-AIE-800_offline_bundle.zip"
    prod["paif:workloadDomain"]["hostImage"] = {"depot": url}
    code, plan = _plan(make_project({"prod": prod}))
    assert code == 0
    [depot] = _of_type(plan, "vsphere:index/offlineSoftwareDepot:OfflineSoftwareDepot")
    assert depot["inputs"] == {"location": url}
    assert depot["parent"].endswith("paif:infra:GpuWorkloadDomain::seoul-primary-gpu")
    [cluster] = _of_type(plan, CLUSTER)
    # The depot's NVIDIA component (its newest version), as the offline depot answers it.
    assert cluster["inputs"]["hostImage"] == {
        "esxVersion": max(catalogue.ESX_BASE_IMAGES),
        "components": [
            {
                "key": catalogue.NVIDIA_DRIVER_COMPONENT,
                "version": catalogue.NVIDIA_DRIVER_VERSIONS[-1],
            }
        ],
    }
    assert depot["urn"] in cluster["dependsOn"]


def test_an_isolated_tenants_domain_takes_the_sites_host_image(
    make_project: Callable[..., Path],
) -> None:
    prod = load_example("prod")
    hr = next(t for t in prod["paif:tenants"] if t["name"] == "hr")
    hr["isolation"] = "workload-domain"
    hr["workloadDomain"] = {
        "cluster": "gpu-wld-hr",
        "hosts": ["esxi-hr-01.primary.example.com", "esxi-hr-02.primary.example.com"],
        "gpu": {"model": "NVIDIA L40", "perHost": 2, "memoryGiB": 48},
        "vgpuProfiles": ["nvidia_l40-24c"],
    }
    code, plan = _plan(make_project({"prod": prod}))
    assert code == 0
    images = {r["inputs"]["name"]: r["inputs"]["hostImage"] for r in _of_type(plan, CLUSTER)}
    assert images["gpu-wld-hr"] == images["gpu-wld-01"]


# --- a site that lacks what the stack declares -------------------------------------------------


def _site_without(
    *, profile: str | None = None, gpu_on: str | None = None, images: tuple[str, ...] = ()
) -> PlanMocks:
    """Mocks of a site whose hosts lack ``profile`` (one host, ``esxi-gpu-03``), whose host
    ``gpu_on`` has no NVIDIA GPU, and whose depot holds ``images`` (default: the catalogue)."""
    invokes = hardware_invokes(base_images=images)
    offline_profiles = invokes["vsphere:index/getHostVgpuProfile:getHostVgpuProfile"]
    offline_device = invokes["vsphere:index/getHostPciDevice:getHostPciDevice"]
    hosts: dict[str, str] = {}
    from paif_cli.offline.vsphere import moref

    for stack in ("prod", "dr"):
        config = load_example(stack)
        datacenter = moref("datacenter", config["paif:site"]["vcenter"]["datacenter"])
        for host in config["paif:workloadDomain"]["hosts"]:
            hosts[moref("host", datacenter, host)] = host

    def profiles(args: Any) -> dict[str, Any]:
        answer = offline_profiles(args)
        if profile is not None and hosts.get(args.args["hostId"], "").startswith("esxi-gpu-03"):
            answer["vgpuProfiles"] = [p for p in answer["vgpuProfiles"] if p["vgpu"] != profile]
        return answer

    def device(args: Any) -> dict[str, Any]:
        if gpu_on is not None and hosts.get(args.args["hostId"]) == gpu_on:
            return {"hostId": args.args["hostId"], "id": "", "name": ""}
        return offline_device(args)

    overrides = {
        "vsphere:index/getHostVgpuProfile:getHostVgpuProfile": profiles,
        "vsphere:index/getHostPciDevice:getHostPciDevice": device,
    }
    if images:
        key = "vsphere:index/getHostBaseImages:getHostBaseImages"
        overrides[key] = lambda args: {"id": images[0], "versions": list(images)}
    return PlanMocks(invokes=overrides)


@contextlib.contextmanager
def _program(tmp_path: Path, config: dict[str, Any], mocks: PlanMocks) -> Iterator[Any]:
    """The stack program of ``config`` under ``mocks``: yields a runner that must fail, and the
    records registered before it did."""
    project = write_project(tmp_path / "project", {"prod": config})
    with mock_runtime(mocks, project="paif", stack="prod", config=config) as (monitor, loop):

        def failing() -> tuple[str, list[ResourceRecord]]:
            with pytest.raises(pulumi.RunError) as info:
                loop.run_until_complete(run_in_stack(lambda: run(project)))
            return str(info.value), list(monitor.records)

        yield failing


def _only_providers(records: list[ResourceRecord]) -> bool:
    return all(r.type.startswith("pulumi:providers:") for r in records if r.custom)


def test_a_profile_some_host_does_not_offer_stops_the_program_before_anything(
    tmp_path: Path,
) -> None:
    config = copy.deepcopy(load_example("prod"))
    with _program(tmp_path, config, _site_without(profile="nvidia_a100-40c")) as failing:
        message, records = failing()
    assert message == (
        "Pulumi.prod.yaml: workload domain 'gpu-wld-01': workloadDomain.vgpuProfiles[1]: host "
        "'esxi-gpu-03.primary.example.com' does not offer vGPU profile 'nvidia_a100-40c' "
        "(vCenter lists: "
        + ", ".join(p for p in catalogue.VGPU_PROFILES if p != "nvidia_a100-40c")
        + ")"
    )
    assert _only_providers(records), [r.type for r in records if r.custom]


def test_a_host_without_an_nvidia_gpu_is_refused(tmp_path: Path) -> None:
    config = copy.deepcopy(load_example("prod"))
    mocks = _site_without(gpu_on="esxi-gpu-05.primary.example.com")
    with _program(tmp_path, config, mocks) as failing:
        message, records = failing()
    assert message == (
        "Pulumi.prod.yaml: workload domain 'gpu-wld-01': workloadDomain.hosts: host "
        "'esxi-gpu-05.primary.example.com' has no NVIDIA GPU (vCenter lists no PCI device of "
        "vendor 10de, class 0302 on it)"
    )
    assert _only_providers(records)


def test_an_esx_build_the_depot_does_not_hold_is_refused(tmp_path: Path) -> None:
    config = copy.deepcopy(load_example("prod"))
    with _program(tmp_path, config, _site_without(images=("9.0.0.0.24755229",))) as failing:
        message, records = failing()
    assert message == (
        "Pulumi.prod.yaml: workload domain 'gpu-wld-01': workloadDomain.hostImage.esxVersion: "
        "'9.0.1.0.24957456' is not an ESX base image in vCenter's depot (it has: "
        "9.0.0.0.24755229)"
    )
    assert _only_providers(records)


def test_the_example_stacks_declare_what_the_catalogue_offers() -> None:
    """The offline plan needs no mirroring for the examples: their profiles and ESX build are
    the catalogue's (so a unit test without the stack's answers sees the same hosts)."""
    for stack in ("prod", "dr"):
        domain = load_example(stack)["paif:workloadDomain"]
        assert set(domain["vgpuProfiles"]) <= set(catalogue.VGPU_PROFILES)
        assert domain["hostImage"]["esxVersion"] in catalogue.ESX_BASE_IMAGES
