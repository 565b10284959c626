"""What PaifSite declares for the policies on its own inputs, as one typed record.

The stack-wide facts no single resource shows (module doc of ``paif_components.site``): the
tier, the DR pattern and role, the declared objectives, the waivers, the DR estimate, the GPU
pool, the network facts and the config keys holding credentials in plain text. PaifSite builds a
:class:`SiteFacts` and registers :meth:`SiteFacts.to_props` (the very mapping it registered
before); the policies read :meth:`SiteFacts.from_props` of the site's inputs
(``StackView.facts``) and use attributes instead of string keys.

``from_props`` does not fail: a policy may judge a hand-made site, or inputs the engine has
not resolved; what is missing reads as None (or empty). The waivers stay the parsed JSON the
waiver module reads (``paif_policies.waivers``). Facts a test or a peer stack adds beside these
(``peerReplication``, ``peerModelRefs``, overrides such as ``failover``) are not the site's own
and stay on the raw inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paif_components.contract.estimates import Estimates
from paif_components.contract.json_read import JsonMap, mapping, maps, strings, text


@dataclass(frozen=True)
class Objectives:
    """``paif:dr.objectives`` in seconds."""

    rto_seconds: float | None
    rpo_seconds: float | None

    def to_props(self) -> dict[str, Any]:
        return {"rtoSeconds": self.rto_seconds, "rpoSeconds": self.rpo_seconds}


@dataclass(frozen=True)
class SiteFacts:
    """The site's own inputs (module doc). Optional keys (``edge``, ``referencedVmClasses``,
    ``layout``) are left out of the props when None."""

    site: str | None
    environment: str | None
    stack_file: str | None
    dr_pattern: str | None
    dr_role: str | None
    peer_site: str | None
    objectives: Objectives | None
    waivers: tuple[JsonMap, ...]
    plaintext_secret_config_keys: tuple[str, ...]
    oidc: JsonMap | None
    audit: JsonMap | None
    harbor_host: str | None
    replication_targets: tuple[str, ...]
    management_cidrs: tuple[str, ...]
    admin_source_cidrs: tuple[str, ...]
    backup_locations: Mapping[str, JsonMap]
    gpu_capacity: JsonMap | None
    estimates: Estimates
    edge: str | None = None
    referenced_vm_classes: tuple[JsonMap, ...] | None = None
    layout: JsonMap | None = None

    def to_props(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "environment": self.environment,
            "stackFile": self.stack_file,
            "drPattern": self.dr_pattern,
            "drRole": self.dr_role,
            "peerSite": self.peer_site,
            "objectives": self.objectives.to_props() if self.objectives is not None else None,
            "waivers": [dict(w) for w in self.waivers],
            "plaintextSecretConfigKeys": list(self.plaintext_secret_config_keys),
            "oidc": self.oidc,
            "audit": self.audit,
            "harborHost": self.harbor_host,
            "replicationTargets": list(self.replication_targets),
            "managementCidrs": list(self.management_cidrs),
            "adminSourceCidrs": list(self.admin_source_cidrs),
            **({"edge": self.edge} if self.edge is not None else {}),
            "backupLocations": {k: dict(v) for k, v in self.backup_locations.items()},
            "gpuCapacity": self.gpu_capacity,
            "estimates": self.estimates.to_json(),
            **(
                {"referencedVmClasses": [dict(c) for c in self.referenced_vm_classes]}
                if self.referenced_vm_classes is not None
                else {}
            ),
            **({"layout": self.layout} if self.layout is not None else {}),
        }

    @classmethod
    def from_props(cls, props: JsonMap) -> SiteFacts:
        objectives = mapping(props.get("objectives"))
        locations = mapping(props.get("backupLocations")) or {}
        classes = props.get("referencedVmClasses")
        estimates = props.get("estimates")
        return cls(
            site=text(props.get("site")),
            environment=text(props.get("environment")),
            stack_file=text(props.get("stackFile")),
            dr_pattern=text(props.get("drPattern")),
            dr_role=text(props.get("drRole")),
            peer_site=text(props.get("peerSite")),
            objectives=Objectives(
                rto_seconds=objectives.get("rtoSeconds"), rpo_seconds=objectives.get("rpoSeconds")
            )
            if objectives is not None
            else None,
            waivers=maps(props.get("waivers")),
            plaintext_secret_config_keys=strings(props.get("plaintextSecretConfigKeys")),
            oidc=mapping(props.get("oidc")),
            audit=mapping(props.get("audit")),
            harbor_host=text(props.get("harborHost")),
            replication_targets=strings(props.get("replicationTargets")),
            management_cidrs=strings(props.get("managementCidrs")),
            admin_source_cidrs=strings(props.get("adminSourceCidrs")),
            backup_locations={str(k): v for k, v in locations.items() if isinstance(v, Mapping)},
            gpu_capacity=mapping(props.get("gpuCapacity")),
            estimates=Estimates.read(estimates),
            edge=text(props.get("edge")),
            referenced_vm_classes=maps(classes) if classes is not None else None,
            layout=mapping(props.get("layout")),
        )
