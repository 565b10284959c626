"""Logical replication of a DSM database to its DR copy, as resources of the two stacks.

``dr.mechanism: logical`` (paif_components.config.models.dr_copy) is built with the
``pulumi-postgresql``
provider, one provider per DSM cluster (its ``status.connection`` host, DSM's admin and the
password DSM keeps in the Secret that ``status.connection.passwordRef`` names):

- the primary stack (:class:`ReplicationPublisher`): the replication role (LOGIN REPLICATION,
  password from the secret config ``dsm:replicationPassword``), SELECT on the published tables
  for the initial copy, the ``vector`` extension (pgvector databases), a publication
  ``FOR ALL TABLES`` and a ``pgoutput`` replication slot; the cluster's DatabaseConfig sets
  ``wal_level: logical`` and ``max_slot_wal_keep_size`` (paif_components.pgvector_database);
- the DR stack (:class:`ReplicationSubscriber`): the ``vector`` extension and a subscription to
  that publication through that slot (``create_slot: false``), its connection string built
  from the primary's endpoint (read through the DR stack's ``StackReference``) and the same
  secret password. A failed-over DR stack keeps the extension and drops the subscription (the
  runbook first detaches it from the lost primary's slot).

Logical replication carries rows, not schema: the application's migration creates the tables
on both sides (a publication ``FOR ALL TABLES`` publishes whatever exists), and sequences are
set at failover (runbook). Names come from paif_components.dr.copies, so plan.json, the runbook and
issue 21's drill read the same ones.

The provider binary (``pulumi-resource-postgresql``) cannot be built here (the Go module proxy
refuses it, docs/engine.md): the offline plan answers these resources with their inputs and the
engine tier with its stand-in provider.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from paif_components.config.errors import ConfigError, Problem
from paif_components.config.models import StackConfig
from paif_components.contract import tokens
from paif_components.dr.copies import LOGICAL_PLUGIN, REPLICATION_USER, DatabaseMode, DatabaseRole
from paif_components.tenant_network import ReplicationPath

with warnings.catch_warnings():
    # pulumi-postgresql 3.18's __init__ warns about its own deprecated DefaultPrivileg alias.
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_postgresql as postgresql

PUBLISHER_TYPE: Final = tokens.PAIF_REPLICATION_PUBLISHER
SUBSCRIBER_TYPE: Final = tokens.PAIF_REPLICATION_SUBSCRIBER
# Config namespace and key of the replication role's password (set with --secret, same value
# in both stacks).
REPLICATION_PASSWORD_CONFIG: Final = ("dsm", "replicationPassword")
# Suffix of the Pulumi name of the read of DSM's admin-password Secret (paif_cli.offline).
DSM_PASSWORD_READ_SUFFIX: Final = "-dsm-password"
DSM_PASSWORD_KEY: Final = "password"
POSTGRES_PORT: Final = 5432
# The schema the application's migration creates its tables in.
PUBLISHED_SCHEMA: Final = "public"


def replication_password_problems(
    databases: Iterable[DatabaseRole], *, password_set: bool, stack: str
) -> list[Problem]:
    """The missing ``dsm:replicationPassword`` of a stack that builds logical replication.

    The primary's replication role and the DR copy's subscription both log in with it: without
    it the role is created without a password and the subscription can never connect, so the
    stack is refused before any resource is registered (a config error, exit 2).
    """
    if password_set:
        return []
    # The primary publishes; a standing-by copy subscribes (a failed-over one does not).
    needing = [
        role
        for role in databases
        if role.logical
        and (
            (role.writer and role.cluster_name == role.primary_cluster)
            or role.mode is DatabaseMode.SUBSCRIBER
        )
    ]
    if not needing:
        return []
    names = ", ".join(f"{r.tenant}/{r.name}" for r in needing)
    namespace, key = REPLICATION_PASSWORD_CONFIG
    return [
        Problem(
            f"{namespace}:{key}",
            f"is not set, but {names} "
            f"{'has a DR copy' if len(needing) == 1 else 'have DR copies'} fed by logical "
            "replication (databases[].dr.mechanism 'logical'), whose replication role "
            f"{REPLICATION_USER} logs in with it; set the same value in both stacks: "
            f"pulumi config set --secret {namespace}:{key} --stack {stack}",
        )
    ]


def replication_path(
    databases: Iterable[DatabaseRole],
    *,
    role: str,
    peer: StackConfig | None,
    peer_stack_file: str,
) -> ReplicationPath | None:
    """Where one tenant's logical replication crosses the sites, if it does.

    ``databases`` are the tenant's roles at this site. The primary admits the DR site's
    database addresses while any copy is logical; a DR site connects to the primary's while a
    copy subscribes (not once failed over). The addresses are the peer stack file's
    ``paif:network.dataCidrs``; a primary planned without its peer's file renders none.
    """
    logical = [r for r in databases if r.logical]
    if role == "dr":
        logical = [r for r in logical if r.mode is DatabaseMode.SUBSCRIBER]
    if not logical or peer is None:
        return None
    if not peer.network.data_cidrs:
        names = ", ".join(f"{r.tenant}/{r.name}" for r in logical)
        side = "connects to" if role == "dr" else "is admitted from"
        raise ConfigError(
            peer_stack_file,
            [
                Problem(
                    "paif:network.dataCidrs",
                    f"is not declared, but the DR copy of {names} is fed by logical "
                    f"replication, whose subscription {side} {peer.site.name}'s databases on "
                    f"port {POSTGRES_PORT}: name the addresses DSM gives this site's databases, "
                    "so both sites' network policies admit exactly that flow",
                )
            ],
        )
    return ReplicationPath(
        peer.site.name, "out" if role == "dr" else "in", tuple(peer.network.data_cidrs)
    )


@dataclass(frozen=True)
class DsmEndpoint:
    """How the provider reaches one DSM cluster as its admin."""

    cluster: str
    namespace: str
    database: str
    admin_username: str
    sslmode: str
    status: pulumi.Output[Any]


def _host(status: Any) -> str | None:
    return ((status or {}).get("connection") or {}).get("host")


def _port(status: Any) -> int:
    return int(((status or {}).get("connection") or {}).get("port") or POSTGRES_PORT)


def _admin_password(name: str, endpoint: DsmEndpoint, parent: pulumi.Resource) -> pulumi.Output:
    """DSM's admin password, from the Secret its status names (else the cluster's name)."""

    def secret_id(status: Any) -> str:
        ref = ((status or {}).get("connection") or {}).get("passwordRef") or {}
        return f"{endpoint.namespace}/{ref.get('name') or endpoint.cluster}"

    secret = k8s.core.v1.Secret.get(
        f"{name}{DSM_PASSWORD_READ_SUFFIX}",
        endpoint.status.apply(secret_id),
        opts=pulumi.ResourceOptions(parent=parent),
    )

    def decode(data: Any) -> str:
        encoded = (data or {}).get(DSM_PASSWORD_KEY) or ""
        return base64.b64decode(encoded).decode() if encoded else ""

    return pulumi.Output.secret(secret.data.apply(decode))


def _provider(name: str, endpoint: DsmEndpoint, parent: pulumi.Resource) -> postgresql.Provider:
    return postgresql.Provider(
        f"{name}-postgresql",
        host=endpoint.status.apply(lambda s: _host(s) or ""),
        port=endpoint.status.apply(_port),
        database=endpoint.database,
        username=endpoint.admin_username,
        password=_admin_password(name, endpoint, parent),
        sslmode=endpoint.sslmode,
        # DSM's admin is not a PostgreSQL superuser.
        superuser=False,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _extensions(
    name: str, database: str, extensions: tuple[str, ...], opts: pulumi.ResourceOptions
) -> list[postgresql.Extension]:
    """The extensions the tables need, on each side (logical replication carries no DDL)."""
    return [
        postgresql.Extension(f"{name}-{extension}", name=extension, database=database, opts=opts)
        for extension in extensions
    ]


class ReplicationPublisher(pulumi.ComponentResource):
    """The primary's side: replication role, extension, publication and slot (module doc)."""

    def __init__(
        self,
        name: str,
        role: DatabaseRole,
        endpoint: DsmEndpoint,
        *,
        extensions: tuple[str, ...],
        replication_password: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(PUBLISHER_TYPE, name, None, opts)
        assert role.publication and role.slot and role.replication_user
        provider = _provider(name, endpoint, self)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        database = endpoint.database
        self.role = postgresql.Role(
            f"{name}-replicator",
            name=role.replication_user,
            login=True,
            replication=True,
            password=replication_password,
            opts=child,
        )
        self.extensions = _extensions(name, database, extensions, child)
        # The initial copy reads every published table as the replication role.
        self.grant = postgresql.Grant(
            f"{name}-replicator-select",
            database=database,
            role=role.replication_user,
            schema=PUBLISHED_SCHEMA,
            object_type="table",
            privileges=["SELECT"],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.role]),
        )
        self.publication = postgresql.Publication(
            f"{name}-publication",
            name=role.publication,
            database=database,
            all_tables=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=list(self.extensions)
            ),
        )
        self.slot = postgresql.ReplicationSlot(
            f"{name}-slot",
            name=role.slot,
            database=database,
            plugin=LOGICAL_PLUGIN,
            opts=child,
        )
        self.register_outputs(
            {
                "publication": role.publication,
                "slot": role.slot,
                "replicationUser": role.replication_user,
            }
        )


def subscription_conninfo(
    primary: Any, role: DatabaseRole, password: str | None, sslmode: str
) -> str:
    """libpq connection string of the subscription: the primary's endpoint as the replicator."""
    connection = primary if isinstance(primary, dict) else {}
    parts = []
    if connection.get("host"):
        parts.append(f"host={connection['host']}")
    parts.append(f"port={int(connection.get('port') or POSTGRES_PORT)}")
    parts.append(f"dbname={connection.get('dbname') or role.primary_cluster}")
    parts.append(f"user={role.replication_user}")
    if password:
        parts.append(f"password={password}")
    parts.append(f"sslmode={sslmode}")
    return " ".join(parts)


class ReplicationSubscriber(pulumi.ComponentResource):
    """The DR copy's side: extension and subscription (module doc)."""

    def __init__(
        self,
        name: str,
        role: DatabaseRole,
        endpoint: DsmEndpoint,
        *,
        extensions: tuple[str, ...],
        primary_connection: pulumi.Input[Any] | None,
        replication_password: pulumi.Input[str] | None,
        subscribe: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(SUBSCRIBER_TYPE, name, None, opts)
        provider = _provider(name, endpoint, self)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.extensions = _extensions(name, endpoint.database, extensions, child)
        self.subscription: postgresql.Subscription | None = None
        if subscribe:
            assert role.subscription and role.publication and role.slot
            conninfo: pulumi.Output[str] = pulumi.Output.secret(
                pulumi.Output.all(primary_connection, replication_password).apply(
                    lambda values: subscription_conninfo(
                        values[0], role, values[1], endpoint.sslmode
                    )
                )
            )
            self.subscription = postgresql.Subscription(
                f"{name}-subscription",
                name=role.subscription,
                database=endpoint.database,
                conninfo=conninfo,
                publications=[role.publication],
                create_slot=False,
                slot_name=role.slot,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=list(self.extensions)
                ),
            )
        self.register_outputs(
            {"subscription": role.subscription if subscribe else None, "slot": role.slot}
        )
