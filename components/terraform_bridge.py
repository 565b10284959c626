"""Pulumi's parameterized Terraform bridge, as the NSX and Avi bindings use it.

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
``MaxItems: 1`` becomes a single object (``client_ssl`` -> ``clientSsl: {...}``). Each field of a
binding records its Terraform name (:func:`tf_field`); the wire names are looked up in
:data:`~paif_components.terraform_bridge_names.WIRE_NAMES`, generated once from those rules
(``tests/support/terraform_bridge.py`` ports the bridge's pluralizer and casing; a test holds
the table to it and every name to ``schemas/terraform-provider-arguments.json``).

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
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import pulumi
import pulumi.runtime.settings

from paif_components.terraform_bridge_names import WIRE_NAMES

__all__ = [
    "AVI",
    "NSXT",
    "PACKAGES",
    "PULUMI_YAML_PACKAGES",
    "TERRAFORM_PROVIDER",
    "TERRAFORM_PROVIDER_VERSION",
    "BridgedPackage",
    "BridgedResource",
    "bridge_resource_token",
    "freeze",
    "one_of",
    "parameter_json",
    "pulumi_yaml_packages",
    "terraform_name",
    "tf_field",
    "to_wire",
    "wire_name",
]


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


def parameter_json(pkg: BridgedPackage) -> str:
    """The parameter value as the bridge marshals it (compact JSON, ``remote`` then fields)."""
    value = {"remote": {"url": pkg.registry_address, "version": pkg.version}}
    return json.dumps(value, separators=(",", ":"))


def _upper_camel(rest: str) -> str:
    parts = [part for part in re.split(r"[_-]", rest) if part]
    return "".join(part[:1].upper() + part[1:] for part in parts)


def bridge_resource_token(package: str, terraform_resource: str) -> str:
    """``tokens.SingleModule(prefix, "index", tokens.MakeStandard(package))`` for one resource."""
    if not terraform_resource.startswith(f"{package}_"):
        raise ValueError(f"{terraform_resource!r} does not carry the {package!r} prefix")
    name = _upper_camel(terraform_resource[len(package) :])
    return f"{package}:index/{name[:1].lower()}{name[1:]}:{name}"


_TF = "terraform_name"


_COLLECTION = "collection"


_AS_STRING = "as_string"


def tf_field(
    terraform_name: str, *, collection: bool = False, as_string: bool = False
) -> dict[str, Any]:
    """Field metadata binding a dataclass field to a Terraform argument.

    ``collection``: a list/set whose MaxItems is not 1 (pluralised on the wire). ``as_string``:
    ints and bools are sent the way the provider declares them (``TypeString``: the NSX pool
    member ``port``, every Avi number and flag).
    """
    return {_TF: terraform_name, _COLLECTION: collection, _AS_STRING: as_string}


def wire_name(spec: dataclasses.Field[Any]) -> str:
    """The camelCase name a field is sent under (:data:`WIRE_NAMES`, generated from the bridge's
    naming rules)."""
    key = (spec.metadata[_TF], spec.metadata[_COLLECTION])
    try:
        return WIRE_NAMES[key]
    except KeyError:
        raise KeyError(
            f"no wire name for Terraform argument {key[0]!r} (collection: {key[1]}): run "
            "`python -m tests.support.terraform_bridge --write` to add it to "
            "components/terraform_bridge_names.py"
        ) from None


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


def freeze(obj: Any, *names: str) -> None:
    """Store sequence fields as tuples (hashable, immutable); reject a bare string."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ValueError(
                f"{type(obj).__name__}.{name}: expected a list, got {type(value).__name__}"
            )
        object.__setattr__(obj, name, tuple(value))


def one_of(obj: Any, name: str, allowed: Sequence[str]) -> None:
    value = getattr(obj, name)
    if value is not None and value not in allowed:
        raise ValueError(
            f"{type(obj).__name__}.{name}: {value!r} is not one of {', '.join(allowed)}"
        )


class BridgedResource(pulumi.CustomResource):
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
