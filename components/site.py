"""PaifSite: everything at one PAIF site, composed from the stack config.

The site's own inputs carry the stack-wide facts the policy pack needs and cannot see on any
single resource: environment tier, DR pattern and role, declared objectives, waivers, the
estimates, and config keys that hold credentials in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.config.models import StackConfig
from components.context import SiteContext

SITE_TYPE = "paif:site:PaifSite"


@dataclass(frozen=True)
class PaifSiteArgs:
    """The validated config of this stack (DR-derived for a DR stack) and stack-wide facts."""

    config: StackConfig
    stack_file: str
    primary: StackConfig | None = None
    plaintext_secret_keys: list[str] = field(default_factory=list)

    @property
    def context(self) -> SiteContext:
        c = self.config
        return SiteContext(
            site=c.site,
            environment=c.environment,
            harbor=c.harbor,
            workload_domain=c.workload_domain,
            role=c.dr.role,
            pattern=c.dr.pattern,
        )


def validate_site(args: PaifSiteArgs) -> None:
    """Check everything the components will check, before any resource exists."""


class PaifSite(pulumi.ComponentResource):
    """One site: GPU workload domain, tenants and their services, edge security, DR role."""

    def __init__(
        self, name: str, args: PaifSiteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_site(args)
        self.args = args
        ctx = args.context
        config = args.config
        super().__init__(SITE_TYPE, name, self._site_props(args), opts)
        self.context = ctx
        self._outputs: dict[str, Any] = {
            "site": config.site.name,
            "environment": config.environment,
            "drPattern": config.dr.pattern,
            "drRole": config.dr.role,
        }
        self.register_outputs(self._outputs)

    @staticmethod
    def _site_props(args: PaifSiteArgs) -> dict[str, Any]:
        config = args.config
        dr = config.dr
        return {
            "site": config.site.name,
            "environment": config.environment,
            "stackFile": args.stack_file,
            "drPattern": dr.pattern,
            "drRole": dr.role,
            "peerSite": dr.peer.site if dr.peer else None,
            "objectives": (
                {"rtoSeconds": dr.objectives.rto, "rpoSeconds": dr.objectives.rpo}
                if dr.objectives
                else None
            ),
            "waivers": [w.model_dump(mode="json", by_alias=True) for w in config.waivers],
            "plaintextSecretConfigKeys": list(args.plaintext_secret_keys),
        }

    def stack_outputs(self) -> dict[str, Any]:
        """What the stack exports: for operators and for the peer stack's StackReference."""
        return dict(self._outputs)
