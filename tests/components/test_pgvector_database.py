"""PgvectorDatabase: DSM PostgresCluster with HA, backups and secret connection details."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.config import parse_stack_config
from components.config.models import StackConfig
from components.context import SiteContext
from components.dr.topology import DatabaseMode, DatabaseRole, derive_site
from components.errors import ComponentInputError
from components.pgvector_database import (
    PGVECTOR_DATABASE_TYPE,
    PgvectorDatabase,
    PgvectorDatabaseArgs,
    validate_pgvector_database,
)
from paif_cli.mock_runtime import PlanMocks
from paif_cli.offline.kubernetes import POSTGRES_CLUSTER_TYPE
from tests.support.programs import registered_before_error
from tests.support.stacks import load_example, load_stack, site_context

CLUSTER_TYPE = "kubernetes:databases.dataservices.vmware.com/v1alpha1:PostgresCluster"
PARAMS_TYPE = "kubernetes:databases.dataservices.vmware.com/v1alpha1:DatabaseConfig"
FAKE_HOST = "10.77.66.55"
FAKE_USER = "pgadmin-live-user-3141"


def edit_database(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def edit(values: dict[str, Any]) -> None:
        database = values["paif:tenants"][0]["databases"][0]
        for key, value in changes.items():
            if value is None:
                database.pop(key, None)
            else:
                database[key] = value

    return edit


def args_for(cfg: StackConfig, **extra: Any) -> PgvectorDatabaseArgs:
    tenant = cfg.tenants[0]
    return PgvectorDatabaseArgs(
        tenant=tenant, database=tenant.databases[0], ctx=site_context(cfg), **extra
    )


def render(run_pulumi: Any, args: PgvectorDatabaseArgs, mocks: PlanMocks | None = None) -> Any:
    def program() -> None:
        database = PgvectorDatabase("kb", args)
        pulumi.export("connection", database.connection)
        pulumi.export("drMode", database.dr_mode)

    return run_pulumi(program, stack="prod", mocks=mocks)


def by_type(result: Any, type_: str) -> Any:
    matches = [r for r in result.resources if r.type == type_]
    assert len(matches) == 1
    return matches[0]


def live_dsm() -> PlanMocks:
    """Mocks that answer like DSM once the cluster is Ready (status.connection filled)."""

    def status(args: Any) -> dict[str, Any]:
        return {
            "status": {
                "connection": {
                    "host": FAKE_HOST,
                    "port": 5432,
                    "dbname": "kb-vectors",
                    "username": FAKE_USER,
                }
            }
        }

    return PlanMocks(computed={CLUSTER_TYPE: status})


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


def test_prod_database_is_ha_with_backups_and_protected(run_pulumi, prod) -> None:
    result = render(run_pulumi, args_for(prod))
    cluster = by_type(result, CLUSTER_TYPE)
    assert cluster.name == "kb-cluster"
    assert cluster.inputs["metadata"]["name"] == "kb-vectors"
    assert cluster.inputs["metadata"]["namespace"] == "marketing-ns"
    assert cluster.inputs["metadata"]["labels"]["paif.vmware.com/tier"] == "data"
    assert cluster.inputs["spec"] == {
        "replicas": 1,
        "version": "16",
        "vmClass": {"name": "best-effort-large"},
        "storageSpace": "100Gi",
        "storagePolicyName": "vSAN Default Storage Policy",
        "adminUsername": "pgadmin",
        "databaseName": "kb-vectors",
        "databaseConfig": {"name": "kb-vectors-params"},
        "backupLocation": {"name": "s3-backup-dr"},
        "backupConfig": {
            "backupRetentionDays": 30,
            "schedules": [
                {"name": "full", "type": "full", "schedule": "0 1 * * *"},
                {"name": "incremental", "type": "incremental", "schedule": "0 */1 * * *"},
            ],
        },
    }
    assert cluster.inputs["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": "1800",
        "paif.vmware.com/ha": "true",
        "paif.vmware.com/replication": "async",
        "paif.vmware.com/backup-encrypted": "true",
        "paif.vmware.com/extensions": "vector",
        # No DR role given: the one writer, and no cross-site annotations.
        "paif.vmware.com/dr-mode": "writer",
        # §9.6.3: clients verify the server's certificate and name (TLS required).
        "paif.vmware.com/sslmode": "verify-full",
        "paif.vmware.com/target": "supervisor",
    }
    assert cluster.protect is True
    assert cluster.retain_on_delete is True
    component = by_type(result, PGVECTOR_DATABASE_TYPE)
    assert cluster.parent == component.urn


def test_async_and_sync_replication_become_synchronous_commit(run_pulumi, prod) -> None:
    params = by_type(render(run_pulumi, args_for(prod)), PARAMS_TYPE)
    assert params.inputs["metadata"]["name"] == "kb-vectors-params"
    assert params.inputs["spec"] == {
        "params": {"synchronous_commit": "local", "ssl_min_protocol_version": "TLSv1.2"}
    }
    sync = load_stack(edit=edit_database(replication="sync"))
    result = render(run_pulumi, args_for(sync))
    params = by_type(result, PARAMS_TYPE).inputs["spec"]["params"]
    assert params["synchronous_commit"] == "on"
    annotations = by_type(result, CLUSTER_TYPE).inputs["metadata"]["annotations"]
    assert annotations["paif.vmware.com/replication"] == "sync"


def test_single_server_without_ha_and_without_backup(run_pulumi) -> None:
    cfg = load_stack(edit=edit_database(ha=False, backup=None), environment="dev")
    cluster = by_type(render(run_pulumi, args_for(cfg)), CLUSTER_TYPE)
    assert cluster.inputs["spec"]["replicas"] == 0
    assert "backupConfig" not in cluster.inputs["spec"]
    assert "backupLocation" not in cluster.inputs["spec"]
    assert cluster.inputs["metadata"]["annotations"]["paif.vmware.com/backup-encrypted"] == "false"
    assert cluster.protect is False
    assert cluster.retain_on_delete is True


def test_infrastructure_policy_and_storage_policy_overrides(run_pulumi, prod) -> None:
    args = args_for(prod, infrastructure_policy="wld-db-01", storage_policy="gold")
    spec = by_type(render(run_pulumi, args), CLUSTER_TYPE).inputs["spec"]
    assert spec["infrastructurePolicy"] == {"name": "wld-db-01"}
    assert spec["storagePolicyName"] == "gold"


def test_connection_is_a_secret_output_with_a_password_reference(run_pulumi, prod) -> None:
    result = render(run_pulumi, args_for(prod), mocks=live_dsm())
    assert result.raw_outputs["connection"] == {
        "host": FAKE_HOST,
        "port": 5432,
        "dbname": "kb-vectors",
        "username": FAKE_USER,
        "passwordSecretRef": {"namespace": "marketing-ns", "name": "kb-vectors", "key": "password"},
        "extensions": ["vector"],
        "sslmode": "verify-full",
    }
    assert result.outputs["connection"] == "[secret]"
    assert "connection" in result.secret_outputs
    dumped = json.dumps([r.to_json() for r in result.resources]) + json.dumps(result.outputs)
    assert FAKE_HOST not in dumped
    assert FAKE_USER not in dumped


def test_connection_falls_back_to_declared_values_without_a_status(run_pulumi, prod) -> None:
    """An API server with no DSM controller (the engine tier's) reports no status: the
    connection falls back to what the stack declared, and the host is unknown."""
    no_status = PlanMocks(computed={POSTGRES_CLUSTER_TYPE: lambda args: {}})
    result = render(run_pulumi, args_for(prod), no_status)
    connection = result.raw_outputs["connection"]
    assert connection["host"] is None
    assert (connection["port"], connection["dbname"], connection["username"]) == (
        5432,
        "kb-vectors",
        "pgadmin",
    )


def test_the_offline_plan_answers_the_status_dsm_reports(run_pulumi, prod) -> None:
    connection = render(run_pulumi, args_for(prod)).raw_outputs["connection"]
    assert connection["host"] == "kb-vectors.marketing-ns.offline.invalid"
    assert connection["passwordSecretRef"] == {
        "namespace": "marketing-ns",
        "name": "kb-vectors",
        "key": "password",
    }


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        (
            edit_database(ha=False, replication="sync"),
            {},
            "tenant 'marketing': databases[0].replication: 'sync' needs a standby to wait "
            "for: set ha: true (primary + standby)",
        ),
        (
            edit_database(backup={"schedule": "0 1 * * *", "retentionDays": 7}),
            {},
            "tenant 'marketing': databases[0].backup.location: is required when backup is set: "
            "name the DSM backup location (an S3 bucket off this site, §9.3.2 item 2)",
        ),
        (
            None,
            {"admin_username": "postgres"},
            "tenant 'marketing': databases[0].adminUsername: 'postgres' is reserved; pick an "
            "admin name such as 'pgadmin'",
        ),
    ],
)
def test_bad_input_is_rejected_before_registration(
    edit: Any, extra: dict[str, Any], message: str
) -> None:
    args = args_for(load_stack(edit=edit), **extra)
    with pytest.raises(ComponentInputError) as err:
        validate_pgvector_database(args)
    assert str(err.value) == message
    error, records = registered_before_error(lambda: PgvectorDatabase("kb", args))
    assert str(error) == message
    assert records == []


# --- the cross-site role (§9.3.3) -------------------------------------------------------------


def derived_args(pattern: str, *, side: str, failover: bool = False) -> PgvectorDatabaseArgs:
    """kb-vectors' args at one side of the example pair with ``paif:dr.pattern`` changed."""
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    primary = parse_stack_config(prod, "Pulumi.prod.yaml")
    if side == "primary":
        site = derive_site(primary, None, stack="prod")
    else:
        config = parse_stack_config(dr, "Pulumi.dr.yaml")
        site = derive_site(config, primary, stack="dr", failover=failover)
    role = site.database("marketing", "kb-vectors")
    cfg = site.config
    tenant = next(t for t in cfg.tenants if t.name == "marketing")
    ctx = SiteContext(
        site=cfg.site,
        environment=cfg.environment,
        harbor=cfg.harbor,
        workload_domain=cfg.workload_domain,
    )
    return PgvectorDatabaseArgs(tenant=tenant, database=tenant.databases[0], ctx=ctx, dr_role=role)


def dr_annotations(result: Any) -> dict[str, str]:
    annotations = by_type(result, CLUSTER_TYPE).inputs["metadata"]["annotations"]
    return {k: v for k, v in annotations.items() if k.startswith("paif.vmware.com/")}


def test_primary_of_a_warm_standby_is_the_writer_with_its_async_link(run_pulumi) -> None:
    args = derived_args("warm-standby", side="primary")
    assert args.dr_role is not None and args.dr_role.mode is DatabaseMode.WRITER
    assert args.dr_mode == "writer"
    result = render(run_pulumi, args)
    assert dr_annotations(result) == {
        "paif.vmware.com/ha": "true",
        "paif.vmware.com/replication": "async",
        "paif.vmware.com/backup-encrypted": "true",
        "paif.vmware.com/extensions": "vector",
        "paif.vmware.com/dr-mode": "writer",
        "paif.vmware.com/sslmode": "verify-full",
        "paif.vmware.com/target": "supervisor",
        "paif.vmware.com/writer-site": "seoul-primary",
        "paif.vmware.com/dr-replication": "async",
    }
    assert by_type(result, CLUSTER_TYPE).inputs["spec"]["replicas"] == 1
    assert result.outputs["drMode"] == "writer"


def test_warm_standby_dr_copy_is_an_async_replica_of_the_primary(run_pulumi) -> None:
    result = render(run_pulumi, derived_args("warm-standby", side="dr"))
    annotations = dr_annotations(result)
    assert {k: annotations[k] for k in annotations if "dr-" in k or "writer" in k} == {
        "paif.vmware.com/dr-mode": "async-replica",
        "paif.vmware.com/writer-site": "seoul-primary",
        "paif.vmware.com/dr-replication": "async",
    }
    cluster = by_type(result, CLUSTER_TYPE)
    assert cluster.inputs["metadata"]["namespace"] == "marketing-ns"
    assert cluster.protect is True
    assert result.outputs["drMode"] == "async-replica"


def test_active_active_dr_copy_is_a_sync_standby_never_a_second_writer(run_pulumi) -> None:
    primary = dr_annotations(render(run_pulumi, derived_args("active-active", side="primary")))
    standby = dr_annotations(render(run_pulumi, derived_args("active-active", side="dr")))
    keys = (
        "paif.vmware.com/dr-mode",
        "paif.vmware.com/writer-site",
        "paif.vmware.com/dr-replication",
    )
    assert [primary[k] for k in keys] == ["writer", "seoul-primary", "sync"]
    assert [standby[k] for k in keys] == ["sync-standby", "seoul-primary", "sync"]


def test_failed_over_dr_copy_is_the_writer_with_no_cross_site_link(run_pulumi) -> None:
    annotations = dr_annotations(
        render(run_pulumi, derived_args("warm-standby", side="dr", failover=True))
    )
    assert annotations["paif.vmware.com/dr-mode"] == "writer"
    assert annotations["paif.vmware.com/writer-site"] == "busan-dr"
    assert "paif.vmware.com/dr-replication" not in annotations


def test_pilot_light_primary_names_the_writer_site_but_no_replication(run_pulumi) -> None:
    annotations = dr_annotations(render(run_pulumi, derived_args("pilot-light", side="primary")))
    assert annotations["paif.vmware.com/dr-mode"] == "writer"
    assert annotations["paif.vmware.com/writer-site"] == "seoul-primary"
    assert "paif.vmware.com/dr-replication" not in annotations


def test_pilot_light_dr_copy_renders_no_cluster_only_where_to_restore_from(run_pulumi) -> None:
    args = derived_args("pilot-light", side="dr")
    assert args.dr_role is not None and args.dr_role.mode is DatabaseMode.RESTORE_FROM_BACKUP
    result = render(run_pulumi, args)
    assert [r.type for r in result.resources] == [PGVECTOR_DATABASE_TYPE]
    assert result.outputs["drMode"] == "restore-from-backup"
    assert result.raw_outputs["connection"] == {
        "restoreFrom": "s3-backup-dr",
        "writerSite": "seoul-primary",
    }
    assert result.outputs["connection"] == "[secret]"


def test_a_hand_built_role_drives_the_annotations(run_pulumi, prod) -> None:
    role = DatabaseRole(
        tenant="marketing",
        name="kb-vectors",
        namespace="marketing-ns",
        mode=DatabaseMode.SYNC_STANDBY,
        replication="sync",
        writer_site="busan-dr",
        standby_site="seoul-primary",
        source_stack="dr",
        backup_location="s3-backup-dr",
        backup_schedules=("0 1 * * *",),
        storage="100Gi",
    )
    annotations = dr_annotations(render(run_pulumi, args_for(prod, dr_role=role)))
    assert annotations["paif.vmware.com/dr-mode"] == "sync-standby"
    assert annotations["paif.vmware.com/writer-site"] == "busan-dr"
    assert annotations["paif.vmware.com/dr-replication"] == "sync"


def test_a_synchronous_cross_site_link_makes_the_writer_commit_synchronously(run_pulumi) -> None:
    # §9.3.3 active-active promises RPO 0: the writer waits for the other site, even though
    # the local pair is declared asynchronous.
    args = derived_args("active-active", side="primary")
    assert args.database.replication == "async"
    params = by_type(render(run_pulumi, args), PARAMS_TYPE).inputs["spec"]["params"]
    assert params["synchronous_commit"] == "on"
    warm = derived_args("warm-standby", side="primary")
    params = by_type(render(run_pulumi, warm), PARAMS_TYPE).inputs["spec"]["params"]
    assert params["synchronous_commit"] == "local"


def test_tls_settings_come_from_config(run_pulumi) -> None:
    """§9.6.3: the server refuses old TLS; clients are told which sslmode to require."""
    cfg = load_stack(edit=edit_database(sslMode="require", tlsMinVersion="TLSv1.3"))
    result = render(run_pulumi, args_for(cfg))
    params = by_type(result, PARAMS_TYPE).inputs["spec"]["params"]
    assert params["ssl_min_protocol_version"] == "TLSv1.3"
    annotations = by_type(result, CLUSTER_TYPE).inputs["metadata"]["annotations"]
    assert annotations["paif.vmware.com/sslmode"] == "require"
    assert result.raw_outputs["connection"]["sslmode"] == "require"
