"""The application's own database (§9.3.2 item 4): users, conversation history, feedback.

§9.3.2 recommends "a separate PostgreSQL instance with regular backups" for app data: a DSM
``PostgresCluster`` like the tenant's vector databases (HA, backups to a located backup
location, the same cross-site role per DR pattern), without the ``vector`` extension. Tenants
declare them in ``paif:tenants[].appDatabases``; they count in the RPO estimate and the
failover runbook like any database (``paif_components.dr``), and the network policy lets the app
tier reach them (the AI tier reaches the vector databases).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import pulumi

from paif_components.contract import tokens
from paif_components.pgvector_database import DsmDatabase, DsmDatabaseArgs, validate_dsm_database
from paif_components.tenant_namespace import APP_DATA_KIND

APP_DATABASE_TYPE: Final = tokens.PAIF_APP_DATABASE


def app_database_args(args: DsmDatabaseArgs) -> DsmDatabaseArgs:
    """``args`` as declared under ``appDatabases`` (error messages name that key)."""
    return replace(args, config_key="appDatabases")


def validate_app_database(args: DsmDatabaseArgs) -> None:
    validate_dsm_database(app_database_args(args))


class AppDatabase(DsmDatabase):
    """A DSM PostgreSQL cluster for the application's data: HA, backed up, no pgvector."""

    component_type = APP_DATABASE_TYPE
    kind = APP_DATA_KIND
    extensions = ()

    def __init__(
        self, name: str, args: DsmDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, app_database_args(args), opts)
