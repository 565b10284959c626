"""Value types the config models share: tiers, patterns, roles, and constrained strings and
numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from paif_components.constants import (
    MIN_NON_ROOT_ID,
)

Environment = Literal["dev", "staging", "prod", "mission-critical"]


Isolation = Literal["namespace", "cluster", "workload-domain"]


EndpointType = Literal["completions", "embeddings"]


Precision = Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"]


GpuAssignment = Literal["vgpu", "passthrough"]


Replication = Literal["sync", "async"]


DrPattern = Literal["none", "pilot-light", "warm-standby", "active-active"]


DrRole = Literal["primary", "dr"]


# DNS-1123 subdomain: what Kubernetes accepts as a Secret or IngressClass name.
DnsSubdomain = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", max_length=253)
]


# A host name an Ingress rule and its TLS certificate name (a leading wildcard allowed).
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"


HostName = Annotated[str, Field(pattern=rf"^(\*\.)?{_LABEL}(\.{_LABEL})+$", max_length=253)]


# A UID or GID a hardened pod runs as (PAIF-SEC-010).
NonRootId = Annotated[int, Field(ge=MIN_NON_ROOT_ID, le=2147483647)]
