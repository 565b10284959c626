"""Thin binding for the NSX (``vmware/nsxt``) and Avi (``vmware/avi``) resources the library uses.

There is no NSX or Avi Pulumi package on PyPI. The supported path is Pulumi's parameterized
Terraform bridge: ``pulumi package add terraform-provider ...`` generates ``pulumi_nsxt`` and
``pulumi_avi`` on a connected machine. This module declares exactly the resources we use with the
type tokens, package reference and wire (camelCase) argument names those generated SDKs use, so
the engine serves them from the same ``terraform-provider`` plugin and a stack can switch to the
generated SDK without replacing anything. Offline (tests, ``paif plan``) they register under the
Pulumi SDK's mock runtime with no plugin at all.

How the names are derived (pulumi-terraform-bridge, ``dynamic/info.go``): the resource prefix is
the provider name, every resource goes into module ``index`` and the token is
``<pkg>:index/<lowerFirst(Name)>:<Name>`` with ``Name`` the upper-camel-case of the Terraform name
minus the prefix (``nsxt_policy_group`` -> ``nsxt:index/policyGroup:PolicyGroup``,
``avi_gslbservice`` -> ``avi:index/gslbservice:Gslbservice``). Argument names are camelCased
Terraform names; a list or set whose ``MaxItems`` is not 1 is pluralised with pulumi/inflector
(``rule`` -> ``rules``, ``criteria`` -> ``criterias``, ``ip`` -> ``ips``) and a block with
``MaxItems: 1`` becomes a single object (``client_ssl`` -> ``clientSsl: {...}``). Each field below
records its Terraform name so the tests can hold it to
``schemas/terraform-provider-arguments.json``.

Installing the real providers on a connected machine (Pulumi CLI and network needed)::

    pulumi package add terraform-provider@1.4.0 vmware/nsxt 3.12.0
    pulumi package add terraform-provider@1.4.0 vmware/avi 22.1.6
    pulumi install

``package add`` generates ``sdks/nsxt`` and ``sdks/avi`` (``pulumi_nsxt``, ``pulumi_avi``) and
records the packages in ``Pulumi.yaml`` (the block is :data:`PULUMI_YAML_PACKAGES`); on a fresh
checkout ``pulumi install`` regenerates them and installs the ``terraform-provider`` plugin, which
fetches the Terraform providers from ``registry.opentofu.org`` on first use. Provider settings are
stack config in camelCase of the Terraform provider arguments, credentials as secrets, e.g.
``pulumi config set nsxt:host nsx.example.com``, ``pulumi config set --secret nsxt:password ...``,
``pulumi config set avi:aviController avi.example.com``. If ``package add`` ever writes other
versions or another parameter, change :data:`NSXT` / :data:`AVI` (the only place they live) and
the schema file together.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import pulumi
import pulumi.runtime.settings

# --------------------------------------------------------------------------------------------
# Package facts: the one place they live.
# --------------------------------------------------------------------------------------------

TERRAFORM_PROVIDER: Final = "terraform-provider"
# Pinned with `pulumi package add terraform-provider@1.4.0 ...` so Pulumi.yaml is reproducible.
TERRAFORM_PROVIDER_VERSION: Final = "1.4.0"
# The terraform-provider plugin is published by Pulumi (get.pulumi.com): no custom download URL.
TERRAFORM_PROVIDER_DOWNLOAD_URL: Final = ""


@dataclass(frozen=True)
class BridgedPackage:
    """A Terraform provider served through the ``terraform-provider`` plugin, parameterized.

    ``base64_parameter`` is what the generated SDK embeds: base64 of the bridge's parameter value
    ``{"remote":{"url":<registry address>,"version":<version>}}`` (Go ``json.Marshal`` of
    ``parameterize.Value``; OpenTofu's registry is the default host).
    """

    name: str
    source: str
    version: str
    registry_address: str
    base64_parameter: str
    base_provider: str = TERRAFORM_PROVIDER
    base_provider_version: str = TERRAFORM_PROVIDER_VERSION
    base_provider_download_url: str = TERRAFORM_PROVIDER_DOWNLOAD_URL

    @property
    def parameter_value(self) -> bytes:
        """The raw parameter bytes the engine hands to the base provider."""
        return base64.b64decode(self.base64_parameter)

    def package_ref(self) -> Awaitable[str]:
        """A fresh awaitable of this package's reference (one per resource: awaited once).

        ``register_package`` caches the reference per deployment, so the engine sees one
        ``RegisterPackage`` however many resources ask.
        """
        return pulumi.runtime.settings.register_package(
            self.base_provider,
            self.base_provider_version,
            self.base_provider_download_url,
            self.name,
            self.version,
            self.base64_parameter,
        )


NSXT: Final = BridgedPackage(
    name="nsxt",
    source="vmware/nsxt",
    version="3.12.0",
    registry_address="registry.opentofu.org/vmware/nsxt",
    # {"remote":{"url":"registry.opentofu.org/vmware/nsxt","version":"3.12.0"}}
    base64_parameter=(
        "eyJyZW1vdGUiOnsidXJsIjoicmVnaXN0cnkub3BlbnRvZnUub3JnL3Ztd2FyZS9uc3h0IiwidmVyc2lvbiI6"
        "IjMuMTIuMCJ9fQ=="
    ),
)

# 22.1.6 is the release line schemas/terraform-provider-arguments.json was taken from.
AVI: Final = BridgedPackage(
    name="avi",
    source="vmware/avi",
    version="22.1.6",
    registry_address="registry.opentofu.org/vmware/avi",
    # {"remote":{"url":"registry.opentofu.org/vmware/avi","version":"22.1.6"}}
    base64_parameter=(
        "eyJyZW1vdGUiOnsidXJsIjoicmVnaXN0cnkub3BlbnRvZnUub3JnL3Ztd2FyZS9hdmkiLCJ2ZXJzaW9uIjoi"
        "MjIuMS42In19"
    ),
)

PACKAGES: Final[tuple[BridgedPackage, ...]] = (NSXT, AVI)


def pulumi_yaml_packages(packages: Sequence[BridgedPackage] = PACKAGES) -> str:
    """The ``packages:`` block of Pulumi.yaml, as ``pulumi package add`` writes it."""
    lines = ["packages:"]
    for pkg in packages:
        lines += [
            f"  {pkg.name}:",
            f"    source: {pkg.base_provider}",
            f"    version: {pkg.base_provider_version}",
            "    parameters:",
            f"      - {pkg.source}",
            f"      - {pkg.version}",
        ]
    return "\n".join(lines) + "\n"


PULUMI_YAML_PACKAGES: Final = pulumi_yaml_packages()

# --------------------------------------------------------------------------------------------
# The bridge's naming rules (ported so tests can derive names instead of trusting literals).
# --------------------------------------------------------------------------------------------

# pulumi/inflector, the pluralizer the bridge uses (naming.terraformToPulumiName).
_UNINFLECTED: Final = (
    "Amoyese|bison|Borghese|bream|breeches|britches|buffalo|cantus|carp|chassis|clippers|cod|"
    "coitus|Congoese|contretemps|corps|debris|diabetes|djinn|eland|elk|equipment|Faroese|"
    "flounder|Foochowese|gallows|Genevese|Genoese|Gilbertese|graffiti|headquarters|herpes|"
    "hijinks|Hottentotese|information|innings|jackanapes|Kiplingese|Kongoese|Lucchese|mackerel|"
    "Maltese|.*?media|mews|moose|mumps|Nankingese|news|nexus|Niasese|Pekingese|Piedmontese|"
    "pincers|Pistoiese|pliers|Portuguese|proceedings|rabies|rice|rhinoceros|salmon|Sarawakese|"
    "scissors|sea[- ]bass|series|Shavese|shears|siemens|species|swine|testes|trousers|trout|"
    "tuna|Vermontese|Wenchowese|whiting|wildebeest|Yengeese|"
    ".*[nrlm]ese|.*deer|.*fish|.*measles|.*ois|.*pox|.*sheep|people"
)
_IRREGULAR_PLURALS: Final = {
    "atlas": "atlases", "beef": "beefs", "brother": "brothers", "cafe": "cafes",
    "child": "children", "cookie": "cookies", "corpus": "corpuses", "cow": "cows",
    "ganglion": "ganglions", "genie": "genies", "genus": "genera", "graffito": "graffiti",
    "hoof": "hoofs", "loaf": "loaves", "man": "men", "money": "monies",
    "mongoose": "mongooses", "move": "moves", "mythos": "mythoi", "niche": "niches",
    "numen": "numina", "occiput": "occiputs", "octopus": "octopuses", "opus": "opuses",
    "ox": "oxen", "penis": "penises", "person": "people", "sex": "sexes",
    "soliloquy": "soliloquies", "testis": "testes", "trilby": "trilbys", "turf": "turfs",
    "potato": "potatoes", "hero": "heroes", "tooth": "teeth", "goose": "geese", "foot": "feet",
}  # fmt: skip
_PLURAL_RULES: Final = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?i)(s)tatus$", r"\1tatuses"),
        (r"(?i)(quiz)$", r"\1zes"),
        (r"(?i)^(ox)$", r"\1en"),
        (r"(?i)([m|l])ouse$", r"\1ice"),
        (r"(?i)(matr|vert|ind)(ix|ex)$", r"\1ices"),
        (r"(?i)(x|ch|ss|sh)$", r"\1es"),
        (r"(?i)([^aeiouy]|qu)y$", r"\1ies"),
        (r"(?i)(hive)$", r"\1s"),
        (r"(?i)(?:([^f])fe|([lre])f)$", r"\1\2ves"),
        (r"(?i)sis$", "ses"),
        (r"(?i)([ti])um$", r"\1a"),
        (r"(?i)(p)erson$", r"\1eople"),
        (r"(?i)(m)an$", r"\1en"),
        (r"(?i)(c)hild$", r"\1hildren"),
        (r"(?i)(buffal|tomat)o$", r"\1oes"),
        (
            r"(?i)(alumn|bacill|cact|foc|fung|nucle|radi|stimul|syllab|termin|vir)us$",
            r"\1i",
        ),
        (r"(?i)us$", "uses"),
        (r"(?i)(alias)$", r"\1es"),
        (r"(?i)(ax|cris|test)is$", r"\1es"),
        (r"s$", "s"),
        (r"^$", ""),
        (r"$", "s"),
    )
)
_UNINFLECTED_RE: Final = re.compile(rf"(?i)(^(?:{_UNINFLECTED}))$")
_IRREGULAR_RE: Final = re.compile(rf"(?i)(.*)\b((?:{'|'.join(_IRREGULAR_PLURALS)}))$")


def pluralize(word: str) -> str:
    """``inflector.Pluralize``: irregular words, then uninflected ones, then the first rule."""
    irregular = _IRREGULAR_RE.match(word)
    if irregular:
        return irregular[1] + word[:1] + _IRREGULAR_PLURALS[irregular[2].lower()][1:]
    if _UNINFLECTED_RE.match(word):
        return word
    for pattern, replacement in _PLURAL_RULES:
        if pattern.search(word):
            return pattern.sub(replacement, word)
    return word


def camel_case(snake: str) -> str:
    """The bridge's ``terraformToPulumiName`` casing (lowerCamel, leading ``_`` kept)."""
    out: list[str] = []
    next_cap = activated = False
    prev = ""
    for char in snake:
        prev = char
        if char == "_" and activated:
            next_cap = True
            continue
        activated = activated or char != "_"
        out.append(char.upper() if next_cap and "a" <= char <= "z" else char)
        next_cap = False
    if prev == "_":
        out.append("_")
    return "".join(out)


def pulumi_property_name(terraform_name: str, *, collection: bool) -> str:
    """Wire name of a Terraform argument; ``collection`` = list/set whose MaxItems is not 1."""
    return camel_case(pluralize(terraform_name) if collection else terraform_name)


def _upper_camel(rest: str) -> str:
    parts = [part for part in re.split(r"[_-]", rest) if part]
    return "".join(part[:1].upper() + part[1:] for part in parts)


def bridge_resource_token(package: str, terraform_resource: str) -> str:
    """``tokens.SingleModule(prefix, "index", tokens.MakeStandard(package))`` for one resource."""
    if not terraform_resource.startswith(f"{package}_"):
        raise ValueError(f"{terraform_resource!r} does not carry the {package!r} prefix")
    name = _upper_camel(terraform_resource[len(package) :])
    return f"{package}:index/{name[:1].lower()}{name[1:]}:{name}"


# --------------------------------------------------------------------------------------------
# Arguments: dataclass fields that know their Terraform name.
# --------------------------------------------------------------------------------------------

_TF = "terraform_name"
_COLLECTION = "collection"
_AS_STRING = "as_string"


def _tf(
    terraform_name: str, *, collection: bool = False, as_string: bool = False
) -> dict[str, Any]:
    """Field metadata binding a dataclass field to a Terraform argument.

    ``collection``: a list/set whose MaxItems is not 1 (pluralised on the wire). ``as_string``:
    ints and bools are sent the way the provider declares them (``TypeString``: the NSX pool
    member ``port``, every Avi number and flag).
    """
    return {_TF: terraform_name, _COLLECTION: collection, _AS_STRING: as_string}


def wire_name(spec: dataclasses.Field[Any]) -> str:
    """The camelCase name a field is sent under."""
    return pulumi_property_name(spec.metadata[_TF], collection=spec.metadata[_COLLECTION])


def terraform_name(spec: dataclasses.Field[Any]) -> str:
    return str(spec.metadata[_TF])


def _as_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def to_wire(args: Any) -> dict[str, Any]:
    """Serialise an argument dataclass to wire names; unset (None / empty) fields are omitted."""
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(args):
        value = getattr(args, spec.name)
        if value is None or (isinstance(value, tuple) and not value):
            continue
        out[wire_name(spec)] = _wire_value(value, as_string=spec.metadata[_AS_STRING])
    return out


def _wire_value(value: Any, *, as_string: bool) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_wire(value)
    if isinstance(value, tuple):
        return [_wire_value(item, as_string=as_string) for item in value]
    return _as_string(value) if as_string else value


def _freeze(obj: Any, *names: str) -> None:
    """Store sequence fields as tuples (hashable, immutable); reject a bare string."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ValueError(
                f"{type(obj).__name__}.{name}: expected a list, got {type(value).__name__}"
            )
        object.__setattr__(obj, name, tuple(value))


def _one_of(obj: Any, name: str, allowed: Sequence[str]) -> None:
    value = getattr(obj, name)
    if value is not None and value not in allowed:
        raise ValueError(
            f"{type(obj).__name__}.{name}: {value!r} is not one of {', '.join(allowed)}"
        )


# --- nsxt_policy_group ------------------------------------------------------------------------

GROUP_CONJUNCTION_OPERATORS: Final = ("OR", "AND")


@dataclass(frozen=True)
class IpAddressExpression:
    """``criteria.ipaddress_expression`` (MaxItems 1). NSX rejects mixed IPv4/IPv6 lists."""

    ip_addresses: Sequence[str] = field(metadata=_tf("ip_addresses", collection=True))

    def __post_init__(self) -> None:
        _freeze(self, "ip_addresses")
        if not self.ip_addresses:
            raise ValueError("IpAddressExpression.ip_addresses: at least one address is required")


@dataclass(frozen=True)
class GroupCriteria:
    """One ``criteria`` block; only the IP address expression is bound."""

    ipaddress_expression: IpAddressExpression = field(metadata=_tf("ipaddress_expression"))


@dataclass(frozen=True)
class GroupConjunction:
    operator: str = field(metadata=_tf("operator"))

    def __post_init__(self) -> None:
        _one_of(self, "operator", GROUP_CONJUNCTION_OPERATORS)


@dataclass(frozen=True)
class PolicyGroupArgs:
    """``nsxt_policy_group``. ``conjunctions`` join consecutive criteria (one fewer than them)."""

    display_name: pulumi.Input[str] = field(metadata=_tf("display_name"))
    criterias: Sequence[GroupCriteria] = field(
        default=(), metadata=_tf("criteria", collection=True)
    )
    conjunctions: Sequence[GroupConjunction] = field(
        default=(), metadata=_tf("conjunction", collection=True)
    )
    description: pulumi.Input[str] | None = field(default=None, metadata=_tf("description"))
    domain: pulumi.Input[str] | None = field(default=None, metadata=_tf("domain"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=_tf("nsx_id"))

    def __post_init__(self) -> None:
        _freeze(self, "criterias", "conjunctions")
        expected = max(len(self.criterias) - 1, 0)
        if len(self.conjunctions) != expected:
            raise ValueError(
                f"PolicyGroupArgs.conjunctions: {len(self.criterias)} criteria need "
                f"{expected} conjunction(s), got {len(self.conjunctions)}"
            )


# --- nsxt_policy_security_policy --------------------------------------------------------------

SECURITY_POLICY_CATEGORIES: Final = (
    "Ethernet",
    "Emergency",
    "Infrastructure",
    "Environment",
    "Application",
)
RULE_ACTIONS: Final = ("ALLOW", "DROP", "REJECT", "JUMP_TO_APPLICATION")
RULE_DIRECTIONS: Final = ("IN", "OUT", "IN_OUT")
RULE_IP_VERSIONS: Final = ("NONE", "IPV4", "IPV6", "IPV4_IPV6")


@dataclass(frozen=True)
class SecurityPolicyRule:
    """One ``rule`` block. Empty ``source_groups``/``destination_groups``/``services`` = any."""

    display_name: pulumi.Input[str] = field(metadata=_tf("display_name"))
    action: str = field(metadata=_tf("action"))
    source_groups: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=_tf("source_groups", collection=True)
    )
    destination_groups: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=_tf("destination_groups", collection=True)
    )
    services: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=_tf("services", collection=True)
    )
    direction: str | None = field(default=None, metadata=_tf("direction"))
    ip_version: str | None = field(default=None, metadata=_tf("ip_version"))
    logged: bool | None = field(default=None, metadata=_tf("logged"))
    disabled: bool | None = field(default=None, metadata=_tf("disabled"))
    sources_excluded: bool | None = field(default=None, metadata=_tf("sources_excluded"))
    destinations_excluded: bool | None = field(default=None, metadata=_tf("destinations_excluded"))
    description: pulumi.Input[str] | None = field(default=None, metadata=_tf("description"))
    notes: str | None = field(default=None, metadata=_tf("notes"))
    log_label: str | None = field(default=None, metadata=_tf("log_label"))

    def __post_init__(self) -> None:
        _freeze(self, "source_groups", "destination_groups", "services")
        _one_of(self, "action", RULE_ACTIONS)
        _one_of(self, "direction", RULE_DIRECTIONS)
        _one_of(self, "ip_version", RULE_IP_VERSIONS)


@dataclass(frozen=True)
class PolicySecurityPolicyArgs:
    """``nsxt_policy_security_policy`` (distributed firewall section). Rules apply in order."""

    display_name: pulumi.Input[str] = field(metadata=_tf("display_name"))
    category: str = field(metadata=_tf("category"))
    rules: Sequence[SecurityPolicyRule] = field(default=(), metadata=_tf("rule", collection=True))
    domain: pulumi.Input[str] | None = field(default=None, metadata=_tf("domain"))
    description: pulumi.Input[str] | None = field(default=None, metadata=_tf("description"))
    scopes: Sequence[pulumi.Input[str]] = field(default=(), metadata=_tf("scope", collection=True))
    stateful: bool | None = field(default=None, metadata=_tf("stateful"))
    tcp_strict: bool | None = field(default=None, metadata=_tf("tcp_strict"))
    locked: bool | None = field(default=None, metadata=_tf("locked"))
    sequence_number: int | None = field(default=None, metadata=_tf("sequence_number"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=_tf("nsx_id"))

    def __post_init__(self) -> None:
        _freeze(self, "rules", "scopes")
        _one_of(self, "category", SECURITY_POLICY_CATEGORIES)


# --- nsxt_policy_lb_pool ----------------------------------------------------------------------

LB_POOL_ALGORITHMS: Final = (
    "IP_HASH",
    "WEIGHTED_ROUND_ROBIN",
    "ROUND_ROBIN",
    "WEIGHTED_LEAST_CONNECTION",
    "LEAST_CONNECTION",
)
LB_MEMBER_ADMIN_STATES: Final = ("ENABLED", "DISABLED", "GRACEFUL_DISABLED")


@dataclass(frozen=True)
class LbPoolMember:
    """One ``member`` block; the provider declares ``port`` as a string."""

    ip_address: pulumi.Input[str] = field(metadata=_tf("ip_address"))
    port: int | None = field(default=None, metadata=_tf("port", as_string=True))
    display_name: pulumi.Input[str] | None = field(default=None, metadata=_tf("display_name"))
    admin_state: str | None = field(default=None, metadata=_tf("admin_state"))
    weight: int | None = field(default=None, metadata=_tf("weight"))

    def __post_init__(self) -> None:
        _one_of(self, "admin_state", LB_MEMBER_ADMIN_STATES)


@dataclass(frozen=True)
class PolicyLbPoolArgs:
    """``nsxt_policy_lb_pool`` (v3.12: a single ``active_monitor_path``)."""

    display_name: pulumi.Input[str] = field(metadata=_tf("display_name"))
    members: Sequence[LbPoolMember] = field(default=(), metadata=_tf("member", collection=True))
    algorithm: str | None = field(default=None, metadata=_tf("algorithm"))
    min_active_members: int | None = field(default=None, metadata=_tf("min_active_members"))
    active_monitor_path: pulumi.Input[str] | None = field(
        default=None, metadata=_tf("active_monitor_path")
    )
    description: pulumi.Input[str] | None = field(default=None, metadata=_tf("description"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=_tf("nsx_id"))

    def __post_init__(self) -> None:
        _freeze(self, "members")
        _one_of(self, "algorithm", LB_POOL_ALGORITHMS)


# --- nsxt_policy_lb_virtual_server ------------------------------------------------------------

LB_CLIENT_AUTH_MODES: Final = ("REQUIRED", "IGNORE")
LB_SERVER_AUTH_MODES: Final = ("REQUIRED", "IGNORE", "AUTO_APPLY")


@dataclass(frozen=True)
class LbClientSsl:
    """``client_ssl`` (MaxItems 1): the load balancer terminates the client's TLS here."""

    default_certificate_path: pulumi.Input[str] = field(metadata=_tf("default_certificate_path"))
    ssl_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=_tf("ssl_profile_path")
    )
    client_auth: str | None = field(default=None, metadata=_tf("client_auth"))
    certificate_chain_depth: int | None = field(
        default=None, metadata=_tf("certificate_chain_depth")
    )

    def __post_init__(self) -> None:
        _one_of(self, "client_auth", LB_CLIENT_AUTH_MODES)


@dataclass(frozen=True)
class LbServerSsl:
    """``server_ssl`` (MaxItems 1): TLS from the load balancer to the pool members."""

    ssl_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=_tf("ssl_profile_path")
    )
    server_auth: str | None = field(default=None, metadata=_tf("server_auth"))

    def __post_init__(self) -> None:
        _one_of(self, "server_auth", LB_SERVER_AUTH_MODES)


@dataclass(frozen=True)
class PolicyLbVirtualServerArgs:
    """``nsxt_policy_lb_virtual_server``; ``ports`` are strings on the wire."""

    display_name: pulumi.Input[str] = field(metadata=_tf("display_name"))
    application_profile_path: pulumi.Input[str] = field(metadata=_tf("application_profile_path"))
    ip_address: pulumi.Input[str] = field(metadata=_tf("ip_address"))
    ports: Sequence[int] = field(metadata=_tf("ports", collection=True, as_string=True))
    pool_path: pulumi.Input[str] | None = field(default=None, metadata=_tf("pool_path"))
    service_path: pulumi.Input[str] | None = field(default=None, metadata=_tf("service_path"))
    client_ssl: LbClientSsl | None = field(default=None, metadata=_tf("client_ssl"))
    server_ssl: LbServerSsl | None = field(default=None, metadata=_tf("server_ssl"))
    persistence_profile_path: pulumi.Input[str] | None = field(
        default=None, metadata=_tf("persistence_profile_path")
    )
    access_log_enabled: bool | None = field(default=None, metadata=_tf("access_log_enabled"))
    enabled: bool | None = field(default=None, metadata=_tf("enabled"))
    description: pulumi.Input[str] | None = field(default=None, metadata=_tf("description"))
    nsx_id: pulumi.Input[str] | None = field(default=None, metadata=_tf("nsx_id"))

    def __post_init__(self) -> None:
        _freeze(self, "ports")
        if not self.ports:
            raise ValueError("PolicyLbVirtualServerArgs.ports: at least one port is required")


# --- avi_gslbservice --------------------------------------------------------------------------

GSLB_SERVICE_ALGORITHMS: Final = ("GSLB_SERVICE_ALGORITHM_PRIORITY", "GSLB_SERVICE_ALGORITHM_GEO")
GSLB_POOL_ALGORITHMS: Final = (
    "GSLB_ALGORITHM_ROUND_ROBIN",
    "GSLB_ALGORITHM_CONSISTENT_HASH",
    "GSLB_ALGORITHM_GEO",
    "GSLB_ALGORITHM_TOPOLOGY",
    "GSLB_ALGORITHM_PREFERENCE_ORDER",
)
AVI_ADDR_TYPES: Final = ("V4", "V6")


@dataclass(frozen=True)
class AviIpAddr:
    """``IpAddr`` (``addr`` + ``type``)."""

    addr: pulumi.Input[str] = field(metadata=_tf("addr"))
    type: str = field(metadata=_tf("type"))

    def __post_init__(self) -> None:
        _one_of(self, "type", AVI_ADDR_TYPES)


@dataclass(frozen=True)
class GslbPoolMember:
    """``GslbPoolMember``: ``ip`` is a set without MaxItems, so the bridge names it ``ips``."""

    ips: Sequence[AviIpAddr] = field(default=(), metadata=_tf("ip", collection=True))
    ratio: int | None = field(default=None, metadata=_tf("ratio", as_string=True))
    enabled: bool | None = field(default=None, metadata=_tf("enabled", as_string=True))
    cluster_uuid: pulumi.Input[str] | None = field(default=None, metadata=_tf("cluster_uuid"))
    vs_uuid: pulumi.Input[str] | None = field(default=None, metadata=_tf("vs_uuid"))
    description: str | None = field(default=None, metadata=_tf("description"))

    def __post_init__(self) -> None:
        _freeze(self, "ips")


@dataclass(frozen=True)
class GslbPool:
    """``GslbPool`` (an entry of ``groups``)."""

    name: str = field(metadata=_tf("name"))
    members: Sequence[GslbPoolMember] = field(metadata=_tf("members", collection=True))
    algorithm: str | None = field(default=None, metadata=_tf("algorithm"))
    priority: int | None = field(default=None, metadata=_tf("priority", as_string=True))
    enabled: bool | None = field(default=None, metadata=_tf("enabled", as_string=True))

    def __post_init__(self) -> None:
        _freeze(self, "members")
        _one_of(self, "algorithm", GSLB_POOL_ALGORITHMS)


@dataclass(frozen=True)
class GslbserviceArgs:
    """``avi_gslbservice``. Avi 22.1 declares numbers and flags as strings."""

    name: str = field(metadata=_tf("name"))
    domain_names: Sequence[str] = field(metadata=_tf("domain_names", collection=True))
    groups: Sequence[GslbPool] = field(metadata=_tf("groups", collection=True))
    health_monitor_refs: Sequence[pulumi.Input[str]] = field(
        default=(), metadata=_tf("health_monitor_refs", collection=True)
    )
    site_persistence_enabled: bool | None = field(
        default=None, metadata=_tf("site_persistence_enabled", as_string=True)
    )
    application_persistence_profile_ref: pulumi.Input[str] | None = field(
        default=None, metadata=_tf("application_persistence_profile_ref")
    )
    ttl: int | None = field(default=None, metadata=_tf("ttl", as_string=True))
    pool_algorithm: str | None = field(default=None, metadata=_tf("pool_algorithm"))
    enabled: bool | None = field(default=None, metadata=_tf("enabled", as_string=True))
    description: str | None = field(default=None, metadata=_tf("description"))
    tenant_ref: pulumi.Input[str] | None = field(default=None, metadata=_tf("tenant_ref"))

    def __post_init__(self) -> None:
        _freeze(self, "domain_names", "groups", "health_monitor_refs")
        _one_of(self, "pool_algorithm", GSLB_SERVICE_ALGORITHMS)


# --------------------------------------------------------------------------------------------
# Resources.
# --------------------------------------------------------------------------------------------


class _BridgedResource(pulumi.CustomResource):
    """A resource served by a parameterized ``terraform-provider`` package."""

    package: ClassVar[BridgedPackage]
    terraform_resource: ClassVar[str]
    args_type: ClassVar[type]
    computed_outputs: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def type_token(cls) -> str:
        return bridge_resource_token(cls.package.name, cls.terraform_resource)

    def __init__(
        self, resource_name: str, args: Any, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not isinstance(args, self.args_type):
            raise TypeError(
                f"{type(self).__name__} takes {self.args_type.__name__}, got {type(args).__name__}"
            )
        props: dict[str, Any] = to_wire(args)
        for output in self.computed_outputs:
            props[output] = None
        super().__init__(
            self.type_token(), resource_name, props, opts, package_ref=self.package.package_ref()
        )


class _NsxtResource(_BridgedResource):
    package = NSXT
    computed_outputs = ("path",)

    @property
    def path(self) -> pulumi.Output[str]:
        """NSX policy path of the object (computed by the provider)."""
        return self.__dict__["path"]  # type: ignore[no-any-return]


class PolicyGroup(_NsxtResource):
    terraform_resource = "nsxt_policy_group"
    args_type = PolicyGroupArgs

    def __init__(
        self, resource_name: str, args: PolicyGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicySecurityPolicy(_NsxtResource):
    terraform_resource = "nsxt_policy_security_policy"
    args_type = PolicySecurityPolicyArgs

    def __init__(
        self,
        resource_name: str,
        args: PolicySecurityPolicyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicyLbPool(_NsxtResource):
    terraform_resource = "nsxt_policy_lb_pool"
    args_type = PolicyLbPoolArgs

    def __init__(
        self, resource_name: str, args: PolicyLbPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)


class PolicyLbVirtualServer(_NsxtResource):
    terraform_resource = "nsxt_policy_lb_virtual_server"
    args_type = PolicyLbVirtualServerArgs

    def __init__(
        self,
        resource_name: str,
        args: PolicyLbVirtualServerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, args, opts)


class Gslbservice(_BridgedResource):
    """``avi_gslbservice`` (class named as the generated ``pulumi_avi`` SDK names it)."""

    package = AVI
    terraform_resource = "avi_gslbservice"
    args_type = GslbserviceArgs
    computed_outputs = ("uuid",)

    def __init__(
        self, resource_name: str, args: GslbserviceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(resource_name, args, opts)

    @property
    def uuid(self) -> pulumi.Output[str]:
        """Avi object UUID (computed by the controller)."""
        return self.__dict__["uuid"]  # type: ignore[no-any-return]


BOUND_RESOURCES: Final[tuple[type[_BridgedResource], ...]] = (
    PolicyGroup,
    PolicySecurityPolicy,
    PolicyLbPool,
    PolicyLbVirtualServer,
    Gslbservice,
)

# Type tokens, for policies (which must not import component internals beyond constants).
POLICY_GROUP_TYPE: Final = "nsxt:index/policyGroup:PolicyGroup"
POLICY_SECURITY_POLICY_TYPE: Final = "nsxt:index/policySecurityPolicy:PolicySecurityPolicy"
POLICY_LB_POOL_TYPE: Final = "nsxt:index/policyLbPool:PolicyLbPool"
POLICY_LB_VIRTUAL_SERVER_TYPE: Final = "nsxt:index/policyLbVirtualServer:PolicyLbVirtualServer"
GSLB_SERVICE_TYPE: Final = "avi:index/gslbservice:Gslbservice"


def parameter_json(pkg: BridgedPackage) -> str:
    """The parameter value as the bridge marshals it (compact JSON, ``remote`` then fields)."""
    value = {"remote": {"url": pkg.registry_address, "version": pkg.version}}
    return json.dumps(value, separators=(",", ":"))
