"""A tenant's PAIS instance: its ``PAISConfiguration`` (§9.2.2, the ML API gateway's settings).

PAIS 2.0 is configured per Supervisor namespace by one ``PAISConfiguration`` (a singleton named
``default``): the PostgreSQL with pgvector PAIS keeps its state and knowledge bases in, the CA
bundles it trusts, the authentication of its API server and UI, how that server is published,
and the VKS control plane it runs (``schemas/SOURCES.md``, "PAIS kinds"; the schema is
``schemas/pais/pais.vmware.com_paisconfigurations.yaml``). Every ModelEndpoint of the
namespace is routed through that API server: it is the ML API gateway of §9.2.2, and its
``auth.oidc`` is where "OIDC token validation and RBAC" live:

- ``issuerUrl``, ``clientId``, ``scope``, ``extraAudiences``: ``paif:security.oidc``
  (VCF Automation's OIDC provider, §9.2.2);
- ``authorizedGroups``: the tenant's OIDC groups (``tenants[].oidcGroups``, every role), so
  only the tenant's people reach its endpoints — RBAC at the gateway, per tenant (§9.4.1).

The database is the tenant's pgvector database (``tenants[].pais.database``, default its
first), reached at the host DSM reports, as its admin, with the password from the Secret DSM
writes beside it (``passwordRef``). The API server is published as a ``LoadBalancer`` Service
(NSX gives it a VIP in the namespace's network), as in PAIS's example.

Rendered for each tenant that has a PAIS endpoint and a pgvector database running at this site
(at a pilot-light DR site nothing of PAIS runs until failover: its ModelEndpoints are declared
with no replicas and its database is restored then; where that database is restored at
failover, the tenant component records it as ``paisDatabaseAtFailover`` and PAIF-SEC-002 has
no gateway to hold before then). A tenant with PAIS endpoints and no
pgvector database gets none: nothing then configures its gateway, which PAIF-SEC-002 reports
in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.config.models import Database, Oidc, Tenant
from paif_components.context import SiteContext, target_annotations
from paif_components.errors import ComponentInputError
from paif_components.pgvector_database import DEFAULT_ADMIN_USERNAME, DSM_PASSWORD_KEY
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import TENANT_LABEL, storage_class_slug

PAIS_INSTANCE_TYPE: Final = "paif:ai:PaisInstance"
PAIS_API_VERSION: Final = "pais.vmware.com/v1alpha1"
PAIS_CONFIGURATION_KIND: Final = "PAISConfiguration"
# A singleton per namespace; PAIS's example names it so.
PAIS_CONFIGURATION_NAME: Final = "default"
PAIS_SERVICE_TYPE: Final = "LoadBalancer"


def uses_pais(tenant: Tenant) -> bool:
    """Whether the tenant has a PAIS endpoint (NIM endpoints need no PAIS instance)."""
    return any(e.backend == "pais" for e in tenant.model_endpoints)


def pais_database(tenant: Tenant) -> Database | None:
    """The pgvector database PAIS keeps its state in: ``pais.database``, else the first."""
    if tenant.pais.database is not None:
        return next(d for d in tenant.databases if d.name == tenant.pais.database)
    return tenant.databases[0] if tenant.databases else None


def authorized_groups(tenant: Tenant) -> list[str]:
    """Every OIDC group of the tenant, once, sorted: who may use its gateway."""
    groups = tenant.oidc_groups
    return sorted({*groups.admin, *groups.edit, *groups.view})


def pais_configuration_spec(
    tenant: Tenant,
    ctx: SiteContext,
    oidc: Oidc | None,
    database_host: str | None,
) -> dict[str, Any]:
    """The PAISConfiguration spec of ``tenant`` (``database_host``: as DSM reports it)."""
    database = pais_database(tenant)
    if database is None:
        raise ValueError(f"tenant '{tenant.name}' has no pgvector database for PAIS")
    storage_class = storage_class_slug(ctx.site.storage_policy)
    db: dict[str, Any] = {
        "username": DEFAULT_ADMIN_USERNAME,
        "dbname": database.name,
        "passwordRef": {"name": database.name, "fieldPath": DSM_PASSWORD_KEY},
    }
    if database_host:
        db = {"host": database_host, **db}
    spec: dict[str, Any] = {
        "worker": {"storageClassName": storage_class},
        "database": db,
        "ingress": {"serviceType": PAIS_SERVICE_TYPE},
        "vksControlPlane": {
            "virtualMachineClassName": tenant.pais.control_plane_vm_class,
            "storageClassName": storage_class,
        },
    }
    if tenant.pais.ca_bundles:
        spec["clientTls"] = {"caBundleRefs": [{"name": n} for n in tenant.pais.ca_bundles]}
    if oidc is not None:
        spec["auth"] = {
            "oidc": {
                "issuerUrl": oidc.issuer_url,
                "clientId": oidc.client_id,
                "scope": list(oidc.scope),
                "extraAudiences": list(oidc.extra_audiences),
                "authorizedGroups": authorized_groups(tenant),
            }
        }
    return spec


@dataclass(frozen=True)
class PaisInstanceArgs:
    tenant: Tenant
    ctx: SiteContext
    oidc: Oidc | None
    database_host: pulumi.Input[str | None] = None


def validate_pais_instance(args: PaisInstanceArgs) -> None:
    tenant = args.tenant
    if pais_database(tenant) is None:
        raise ComponentInputError(
            f"tenant '{tenant.name}'",
            "databases",
            "PAIS keeps its state and knowledge bases in a PostgreSQL with pgvector (its "
            "PAISConfiguration's database): declare one under databases (or choose it with "
            "pais.database)",
        )


class PaisInstance(pulumi.ComponentResource):
    """A tenant's PAISConfiguration (module doc)."""

    def __init__(
        self, name: str, args: PaisInstanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_pais_instance, args)
        super().__init__(PAIS_INSTANCE_TYPE, name, None, opts)
        tenant, ctx = args.tenant, args.ctx
        spec = pulumi.Output.from_input(args.database_host).apply(
            lambda host: pais_configuration_spec(tenant, ctx, args.oidc, host)
        )
        self.configuration = k8s.apiextensions.CustomResource(
            f"{name}-configuration",
            api_version=PAIS_API_VERSION,
            kind=PAIS_CONFIGURATION_KIND,
            metadata={
                "name": PAIS_CONFIGURATION_NAME,
                "namespace": tenant.namespace,
                "labels": {**ctx.labels, TENANT_LABEL: tenant.name},
                "annotations": target_annotations(),
            },
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "namespace": tenant.namespace,
                "authorizedGroups": authorized_groups(tenant),
                "oidcIssuer": args.oidc.issuer_url if args.oidc else None,
            }
        )
