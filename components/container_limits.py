"""The LimitRange of every namespace the library creates (Supervisor and VKS app namespaces).

With a CPU/memory quota Kubernetes rejects pods that state no requests/limits, so the
``default``/``defaultRequest`` keep such pods schedulable (§9.7.1 app checklist: requests and
limits set). The bounds make admission fail early and clearly: ``min`` catches quantities with
a lost unit (``memory: 512`` is 512 bytes, a container that is OOM-killed at start), ``max``
defaults to the namespace quota's own limit (a container larger than the whole namespace could
never run) unless ``maxCpu``/``maxMemory`` set a tighter bound.
"""

from __future__ import annotations

from typing import Any, Final

from paif_components.config.models import ContainerLimits, Quota
from paif_components.config.units import parse_quantity

CONTAINER_LIMIT_TYPE: Final = "Container"


def _at_least(bound: str, floor: str) -> str:
    return bound if parse_quantity(bound) >= parse_quantity(floor) else floor


def limit_range_spec(limits: ContainerLimits, quota: Quota) -> dict[str, Any]:
    """One ``Container`` entry with ``min``, ``max``, ``default`` and ``defaultRequest``."""
    max_cpu = limits.max_cpu or _at_least(quota.limits_cpu, limits.default_cpu)
    max_memory = limits.max_memory or _at_least(quota.limits_memory, limits.default_memory)
    return {
        "limits": [
            {
                "type": CONTAINER_LIMIT_TYPE,
                "min": {"cpu": limits.min_cpu, "memory": limits.min_memory},
                "max": {"cpu": max_cpu, "memory": max_memory},
                "default": {"cpu": limits.default_cpu, "memory": limits.default_memory},
                "defaultRequest": {
                    "cpu": limits.default_request_cpu,
                    "memory": limits.default_request_memory,
                },
            }
        ]
    }
