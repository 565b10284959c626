"""What every config node shares: camelCase keys, unknown keys rejected, immutable, and the
name and string types used throughout the ``paif:`` contract."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# DNS-1123 label: what Kubernetes and vSphere accept as a namespace or object name.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DnsName = Annotated[str, Field(pattern=_DNS_LABEL.pattern, max_length=63)]
NonEmpty = Annotated[str, Field(min_length=1)]
HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")]
# A TCP or UDP port.
Port = Annotated[int, Field(ge=1, le=65535)]


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a network such as '10.10.2.0/24' (or '10.10.2.7/32')"
        ) from None
    return value


# An IP network in CIDR notation, host bits zero (what NetworkPolicy ipBlock and NSX take).
Cidr = Annotated[str, AfterValidator(_network)]


class ConfigModel(BaseModel):
    """Base for every config node: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=True,
    )


def require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
