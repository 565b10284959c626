"""App databases (§9.3.2 item 4): plain PostgreSQL on DSM, backed up, counted in the DR plan."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from paif_components.app_database import APP_DATABASE_TYPE, AppDatabase
from paif_components.config import ConfigError, parse_stack_config
from paif_components.config.models import StackConfig
from paif_components.dr.estimate import estimate_for
from paif_components.dr.topology import derive_site
from paif_components.errors import ComponentInputError
from paif_components.pgvector_database import PGVECTOR_DATABASE_TYPE, DsmDatabaseArgs
from tests.support.programs import registered_before_error
from tests.support.stacks import load_example, load_stack, site_context

CLUSTER_TYPE = "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster"


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack("prod")


def app_args(cfg: StackConfig, **extra: Any) -> DsmDatabaseArgs:
    tenant = cfg.tenants[0]
    return DsmDatabaseArgs(
        tenant=tenant, database=tenant.app_databases[0], ctx=site_context(cfg), **extra
    )


def test_the_example_declares_the_chat_apps_database(prod: StackConfig) -> None:
    [app] = prod.tenants[0].app_databases
    assert (app.name, app.ha, app.storage) == ("chat-history", True, "50Gi")
    assert app.backup is not None and app.backup.location == "s3-backup-dr"


def test_app_database_is_dsm_postgres_without_pgvector(run_pulumi: Any, prod: StackConfig) -> None:
    def program() -> None:
        database = AppDatabase("chat", app_args(prod))
        pulumi.export("connection", database.connection)

    result = run_pulumi(program, stack="prod")
    [component] = [r for r in result.resources if r.name == "chat"]
    assert component.type == APP_DATABASE_TYPE != PGVECTOR_DATABASE_TYPE
    [cluster] = [r for r in result.resources if r.type == CLUSTER_TYPE]
    metadata = cluster.inputs["metadata"]
    assert metadata["labels"]["paif.vmware.com/tier"] == "data"
    assert metadata["labels"]["paif.vmware.com/database-kind"] == "app"
    assert "paif.vmware.com/extensions" not in metadata["annotations"]
    spec = cluster.inputs["spec"]
    assert spec["replicas"] == 1  # HA: primary + standby (§9.2.3)
    assert spec["backupLocation"] == {"name": "s3-backup-dr"}
    assert [s["type"] for s in spec["backupConfig"]["schedules"]] == ["full", "incremental"]
    assert cluster.protect is True
    assert result.raw_outputs["connection"]["extensions"] == []


def test_app_database_errors_name_the_app_databases_key(prod: StackConfig) -> None:
    tenant = prod.tenants[0]
    database = tenant.app_databases[0]
    broken = database.model_copy(
        update={"backup": database.backup.model_copy(update={"location": None})}
    )
    tenant = tenant.model_copy(update={"app_databases": [broken]})
    args = DsmDatabaseArgs(tenant=tenant, database=broken, ctx=site_context(prod))
    error, registered = registered_before_error(lambda: AppDatabase("chat", args))
    assert isinstance(error, ComponentInputError)
    assert error.field == "appDatabases[0].backup.location"
    assert registered == []


def _config(edit: Any) -> dict[str, Any]:
    values = copy.deepcopy(load_example("prod"))
    edit(values["paif:tenants"][0])
    return values


def test_a_knowledge_base_cannot_use_an_app_database() -> None:
    def edit(tenant: dict[str, Any]) -> None:
        tenant["knowledgeBases"][0]["database"] = "chat-history"

    with pytest.raises(ConfigError) as info:
        parse_stack_config(_config(edit), "Pulumi.prod.yaml")
    assert "knowledgeBases[0].database" in info.value.render()
    assert "'chat-history' is an app database (no pgvector)" in info.value.render()


def test_database_names_are_unique_across_both_kinds() -> None:
    def edit(tenant: dict[str, Any]) -> None:
        tenant["appDatabases"][0]["name"] = "kb-vectors"

    with pytest.raises(ConfigError) as info:
        parse_stack_config(_config(edit), "Pulumi.prod.yaml")
    assert "duplicate database name 'kb-vectors'" in info.value.render()


@pytest.mark.parametrize(
    ("pattern", "mode"),
    [
        ("pilot-light", "restore-from-backup"),
        ("warm-standby", "logical-subscriber"),
        ("active-active", "logical-subscriber"),
    ],
)
def test_the_dr_site_holds_the_app_database_like_the_vector_one(
    prod: StackConfig, pattern: str, mode: str
) -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}

    primary, dr = load_stack("prod", edit), load_stack("dr", edit)
    derived = derive_site(dr, primary, stack="dr")
    roles = {name: role for (_, name), role in derived.databases.items()}
    assert (roles["chat-history"].kind, roles["chat-history"].mode.value) == ("app", mode)
    assert roles["kb-vectors"].mode == roles["chat-history"].mode
    estimate = estimate_for(dr, primary, stack="dr")
    keys = [t["key"] for t in estimate["rpo"]["terms"]]
    assert "database:marketing/chat-history" in keys


def test_pilot_light_rpo_counts_the_app_databases_backups() -> None:
    """Backups every hour (incremental): the app data's RPO term is the backup interval."""

    def edit(values: dict[str, Any]) -> None:
        values["paif:dr"]["pattern"] = "pilot-light"

    primary, dr = load_stack("prod", edit), load_stack("dr", edit)
    terms = {t["key"]: t for t in estimate_for(dr, primary, stack="dr")["rpo"]["terms"]}
    assert terms["database:marketing/chat-history"]["seconds"] == 3600
