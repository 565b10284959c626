"""The edge's inputs checked before anything is registered, one message per problem naming the
field (``ComponentInputError``), and the NSX groups its addresses become.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

import pulumi

from paif_components.errors import ComponentInputError
from paif_components.nsx_binding import (
    GroupConjunction,
    GroupCriteria,
    IpAddressExpression,
    PolicyGroup,
    PolicyGroupArgs,
)

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


FQDN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def input_error(subject: str, field: str, message: str) -> ComponentInputError:
    return ComponentInputError(subject, field, message)


def text_input(subject: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise input_error(subject, field, "must be a non-empty string")
    return value


def port_input(subject: str, field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65_535:
        raise input_error(subject, field, f"must be a TCP port 1-65535, got {value!r}")
    return value


def policy_path_input(subject: str, field: str, value: object, prefix: str) -> str:
    text = text_input(subject, field, value)
    if not text.startswith(prefix) or len(text) == len(prefix):
        raise input_error(
            subject, field, f"must be an NSX policy path under {prefix}, got {text!r}"
        )
    return text


def strings_input(subject: str, field: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise input_error(subject, field, f"must be a list, got {type(value).__name__}")
    items = tuple(value)
    if not items:
        raise input_error(subject, field, "must not be empty")
    for index, item in enumerate(items):
        text_input(subject, f"{field}[{index}]", item)
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise input_error(subject, field, f"duplicate entries {duplicates}")
    return items


def ip_input(subject: str, field: str, value: object) -> str:
    text = text_input(subject, field, value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise input_error(subject, field, f"{text!r} is not an IP address") from None
    return text


def fqdn_input(subject: str, field: str, value: object) -> str:
    text = text_input(subject, field, value)
    labels = text.rstrip(".").split(".")
    if len(text) > 253 or len(labels) < 2 or not all(FQDN_LABEL.match(x) for x in labels):
        raise input_error(subject, field, f"{text!r} is not a fully qualified host name")
    return text


def networks_input(
    subject: str, field: str, value: object
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for index, item in enumerate(strings_input(subject, field, value)):
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError as exc:
            raise input_error(
                subject, f"{field}[{index}]", f"{item!r} is not a CIDR: {exc}"
            ) from None
        networks.append(network)
    return tuple(networks)


def ip_criteria(addresses: Sequence[str]) -> tuple[list[GroupCriteria], list[GroupConjunction]]:
    """One criteria block per IP family (NSX refuses mixed lists), joined by OR."""
    by_family: dict[int, list[str]] = {}
    for address in addresses:
        by_family.setdefault(ipaddress.ip_network(address).version, []).append(address)
    criteria = [
        GroupCriteria(IpAddressExpression(tuple(by_family[version])))
        for version in sorted(by_family)
    ]
    return criteria, [GroupConjunction("OR") for _ in criteria[1:]]


def ip_group(
    resource_name: str,
    display_name: str,
    description: str,
    domain: str,
    addresses: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> PolicyGroup:
    """An NSX group of IP addresses (both families, see ``ip_criteria``)."""
    criteria, conjunctions = ip_criteria(addresses)
    return PolicyGroup(
        resource_name,
        PolicyGroupArgs(
            display_name=display_name,
            description=description,
            domain=domain,
            criterias=criteria,
            conjunctions=conjunctions,
        ),
        opts,
    )
