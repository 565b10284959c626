"""Hand-kept hardware facts: what the offline plan's hosts and depot answer (never the truth
the program relies on: under ``pulumi preview``/``up`` vCenter answers the same questions).

- vGPU profiles per NVIDIA data-centre GPU, C-series (compute) sizes in this project's
  spelling: ``nvidia_<gpu>-<GiB>c``, MIG-backed ``nvidia_<gpu>-<slices>-<GiB>c``. The sizes are
  the GPU's framebuffer divided as NVIDIA AI Enterprise's vGPU profiles divide it; a real host
  reports the names its driver uses (80 GB A100 boards, for example, as ``a100d-…``), which is
  why the program asks vCenter instead of trusting this table.
- ESX base images: the ESX 9 builds of VCF 9.0 and 9.0.1 ("VMware ESX 9.0.1.0", build
  24957456, is the source document's platform).
- the NVIDIA AI Enterprise host driver as a vLCM component (govc ``cluster.draft.component.add``
  example: ``-component-id=NVD-AIE-800 -component-version=550.54.10-1OEM.800.1.0.20613240``):
  what an offline depot the stack manages holds, offline.

The offline plan answers these *plus* whatever the planned stack file declares (profiles, ESX
build): it cannot know the site, so it never refuses what the stack declares; vCenter does, at
preview.
"""

from __future__ import annotations

from typing import Final

# GPU family -> (framebuffer GiB, time-sliced profile sizes, MIG (slices, GiB) profiles).
_GPUS: Final[dict[str, tuple[tuple[int, ...], tuple[tuple[int, int], ...]]]] = {
    "a100": ((4, 5, 8, 10, 16, 20, 40, 80), ((1, 5), (2, 10), (3, 20), (4, 20), (7, 40),
                                            (1, 10), (2, 20), (3, 40), (4, 40), (7, 80))),
    "h100": ((4, 5, 8, 10, 16, 20, 40, 80), ((1, 10), (2, 20), (3, 40), (4, 40), (7, 80))),
    "a30": ((4, 6, 8, 12, 24), ((1, 6), (2, 12), (4, 24))),
    "l40": ((1, 2, 3, 4, 6, 8, 12, 16, 24, 48), ()),
    "l4": ((1, 2, 3, 4, 6, 8, 12, 24), ()),
    "t4": ((1, 2, 4, 8, 16), ()),
}  # fmt: skip

VGPU_PROFILES: Final[tuple[str, ...]] = tuple(
    sorted(
        {f"nvidia_{gpu}-{gib}c" for gpu, (sizes, _) in _GPUS.items() for gib in sizes}
        | {
            f"nvidia_{gpu}-{slices}-{gib}c"
            for gpu, (_, mig) in _GPUS.items()
            for slices, gib in mig
        }
    )
)
ESX_BASE_IMAGES: Final[tuple[str, ...]] = ("9.0.0.0.24755229", "9.0.1.0.24957456")
NVIDIA_DRIVER_COMPONENT: Final = "NVD-AIE-800"
NVIDIA_DRIVER_VERSIONS: Final[tuple[str, ...]] = ("550.54.10-1OEM.800.1.0.20613240",)
# The PCI address and name the offline hosts report for their GPU.
GPU_PCI_ADDRESS: Final = "0000:3b:00.0"
GPU_PCI_NAME: Final = "NVIDIA data-centre GPU (offline plan)"
