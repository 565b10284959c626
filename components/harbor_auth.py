"""Harbor's OIDC mode (``paif:security.oidc.harbor``): Harbor as its own OIDC client of the
issuer the tenants' identities come from (§9.6.2 identity: the OIDC groups the tenants' projects
admit are then Harbor's own users' groups). ``PaifSite`` (components/site.py) checks the
client secret before anything is created and declares the ``harbor.ConfigAuth``.
"""

from __future__ import annotations

from collections.abc import Set

import pulumi
import pulumiverse_harbor as harbor

from paif_components.config import ConfigError, Problem
from paif_components.config.models import StackConfig

# Harbor's name for the OIDC provider on its login page.
HARBOR_OIDC_NAME = "VCF Automation"


def harbor_auth(
    name: str, config: StackConfig, opts: pulumi.ResourceOptions
) -> harbor.ConfigAuth | None:
    """Harbor's OIDC mode, with ``paif:security.oidc.harbor`` (module doc)."""
    oidc = config.security.oidc
    if oidc is None or oidc.harbor is None:
        return None
    settings = oidc.harbor
    namespace, key = settings.client_secret.split(":", 1)
    return harbor.ConfigAuth(
        name,
        auth_mode="oidc_auth",
        primary_auth_mode=True,
        oidc_name=HARBOR_OIDC_NAME,
        oidc_endpoint=oidc.issuer_url,
        oidc_client_id=settings.client_id,
        oidc_client_secret=pulumi.Config(namespace).require_secret(key),
        oidc_scope=",".join(settings.scope),
        oidc_groups_claim=settings.groups_claim,
        oidc_user_claim=settings.user_claim,
        oidc_admin_group=settings.admin_group,
        oidc_auto_onboard=settings.auto_onboard,
        oidc_verify_cert=True,
        opts=opts,
    )


def validate_harbor_auth(config: StackConfig, secret_keys: Set[str], stack_file: str) -> None:
    """Harbor's client secret must be a stack secret the stack file sets."""
    oidc = config.security.oidc
    if oidc is None or oidc.harbor is None:
        return
    key = oidc.harbor.client_secret
    if key not in secret_keys:
        raise ConfigError(
            stack_file,
            [
                Problem(
                    "security.oidc.harbor.clientSecret",
                    f"names stack secret {key!r}, which {stack_file} does not set as a "
                    f"secret: pulumi config set --secret {key} <Harbor's OIDC client secret>",
                )
            ],
        )
