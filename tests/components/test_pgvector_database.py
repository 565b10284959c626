"""PgvectorDatabase: DSM PostgresCluster with HA, backups and secret connection details."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from paif_cli.mock_runtime import PlanMocks
from paif_components.config import parse_stack_config
from paif_components.config.models import StackConfig
from paif_components.context import SiteContext
from paif_components.dr.topology import DatabaseMode, derive_site
from paif_components.errors import ComponentInputError
from paif_components.pgvector_database import (
    PGVECTOR_DATABASE_TYPE,
    PgvectorDatabase,
    PgvectorDatabaseArgs,
    validate_pgvector_database,
)
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


def test_connection_falls_back_to_declared_values_offline(run_pulumi, prod) -> None:
    result = render(run_pulumi, args_for(prod))
    connection = result.raw_outputs["connection"]
    # The offline plan answers DSM's status.connection (paif_cli.offline.kubernetes).
    assert connection["host"] == "kb-vectors.marketing-ns.dsm.offline.invalid"
    assert connection["passwordSecretRef"]["name"] == "kb-vectors"
    assert (connection["port"], connection["dbname"], connection["username"]) == (
        5432,
        "kb-vectors",
        "pgadmin",
    )


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


LOGICAL_NAMES = {
    "paif.vmware.com/dr-publication": "paif_dr_kb_vectors",
    "paif.vmware.com/dr-slot": "paif_dr_kb_vectors",
    "paif.vmware.com/dr-subscription": "paif_dr_kb_vectors",
    "paif.vmware.com/dr-replication-user": "paif_replicator",
    "paif.vmware.com/dr-lag-budget-seconds": "30",
    "paif.vmware.com/dr-slot-retention-seconds": "21600",
}


def types(result: Any, prefix: str = "postgresql:") -> list[str]:
    return sorted(r.type.rsplit(":", 1)[-1] for r in result.resources if r.type.startswith(prefix))


def test_primary_of_a_warm_standby_publishes_to_its_logical_copy(run_pulumi) -> None:
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
        "paif.vmware.com/dr-mechanism": "logical",
        "paif.vmware.com/sslmode": "verify-full",
        "paif.vmware.com/target": "supervisor",
        "paif.vmware.com/writer-site": "seoul-primary",
        "paif.vmware.com/primary-cluster": "kb-vectors",
        "paif.vmware.com/copy-cluster": "kb-vectors-busan-dr",
        "paif.vmware.com/primary-backup-location": "s3-backup-dr",
        **LOGICAL_NAMES,
    }
    cluster = by_type(result, CLUSTER_TYPE)
    assert cluster.inputs["spec"]["replicas"] == 1
    assert cluster.inputs["spec"]["backupLocation"] == {"name": "s3-backup-dr"}
    assert result.outputs["drMode"] == "writer"
    # The publisher's side of logical replication, as real resources.
    assert types(result) == ["Extension", "Grant", "Publication", "ReplicationSlot", "Role"]
    by = {r.type.rsplit(":", 1)[-1]: r for r in result.resources if r.type.startswith("postgre")}
    assert by["Role"].inputs["name"] == "paif_replicator"
    assert by["Role"].inputs["replication"] is True
    assert by["Grant"].inputs["privileges"] == ["SELECT"]
    assert by["Extension"].inputs == {"name": "vector", "database": "kb-vectors"}
    [provider] = [r for r in result.resources if r.type == "pulumi:providers:postgresql"]
    inputs = provider.inputs
    assert (inputs["host"], inputs["username"], inputs["database"], inputs["sslmode"]) == (
        "kb-vectors.marketing-ns.dsm.offline.invalid",
        "pgadmin",
        "kb-vectors",
        "verify-full",
    )
    assert "password" in provider.secret_paths
    # DSM's admin password is read from the Secret DSM names, never written.
    reads = [r for r in result.resources if r.type == "kubernetes:core/v1:Secret"]
    assert [r.name for r in reads] == ["kb-publisher-dsm-password"]
    params = by_type(result, PARAMS_TYPE).inputs["spec"]["params"]
    assert (params["wal_level"], params["max_slot_wal_keep_size"]) == ("logical", "21600")


def test_warm_standby_dr_copy_subscribes_under_its_own_name(run_pulumi) -> None:
    result = render(run_pulumi, derived_args("warm-standby", side="dr"))
    annotations = dr_annotations(result)
    assert annotations["paif.vmware.com/dr-mode"] == "logical-subscriber"
    assert annotations["paif.vmware.com/dr-mechanism"] == "logical"
    assert {k: annotations[k] for k in LOGICAL_NAMES} == LOGICAL_NAMES
    cluster = by_type(result, CLUSTER_TYPE)
    assert cluster.inputs["metadata"]["name"] == "kb-vectors-busan-dr"
    assert cluster.inputs["spec"]["databaseName"] == "kb-vectors"
    assert cluster.inputs["spec"]["backupLocation"] == {"name": "s3-backup-busan-copies"}
    assert cluster.protect is True
    assert result.outputs["drMode"] == "logical-subscriber"
    assert types(result) == ["Extension", "Subscription"]
    [subscription] = [r for r in result.resources if r.type.endswith(":Subscription")]
    assert subscription.inputs["createSlot"] is False
    assert subscription.inputs["slotName"] == "paif_dr_kb_vectors"
    assert "conninfo" in subscription.secret_paths
    params = by_type(result, PARAMS_TYPE).inputs["spec"]["params"]
    assert "wal_level" not in params


def test_the_subscription_reaches_the_primary_as_the_replicator(run_pulumi) -> None:
    args = derived_args("warm-standby", side="dr")
    primary = {"host": "10.1.2.3", "port": 5432, "dbname": "kb-vectors"}
    args = replace(args, primary_connection=primary, replication_password="s3cret-canary")

    def program() -> None:
        database = PgvectorDatabase("kb", args)
        assert database.subscriber is not None and database.subscriber.subscription is not None
        pulumi.export("conninfo", database.subscriber.subscription.conninfo)

    result = run_pulumi(program, stack="dr")
    assert result.raw_outputs["conninfo"] == (
        "host=10.1.2.3 port=5432 dbname=kb-vectors user=paif_replicator password=s3cret-canary "
        "sslmode=verify-full"
    )
    assert result.outputs["conninfo"] == "[secret]"
    assert "s3cret-canary" not in json.dumps([r.to_json() for r in result.resources])


def test_active_active_dr_copy_subscribes_too_never_a_second_writer(run_pulumi) -> None:
    primary = dr_annotations(render(run_pulumi, derived_args("active-active", side="primary")))
    copy_ = dr_annotations(render(run_pulumi, derived_args("active-active", side="dr")))
    keys = (
        "paif.vmware.com/dr-mode",
        "paif.vmware.com/writer-site",
        "paif.vmware.com/dr-mechanism",
    )
    assert [primary[k] for k in keys] == ["writer", "seoul-primary", "logical"]
    assert [copy_[k] for k in keys] == ["logical-subscriber", "seoul-primary", "logical"]


def test_failed_over_dr_copy_is_the_writer_and_stops_subscribing(run_pulumi) -> None:
    result = render(run_pulumi, derived_args("warm-standby", side="dr", failover=True))
    annotations = dr_annotations(result)
    assert annotations["paif.vmware.com/dr-mode"] == "writer"
    assert annotations["paif.vmware.com/writer-site"] == "busan-dr"
    # Same name, same location: the copy is not replaced by the failover.
    assert by_type(result, CLUSTER_TYPE).inputs["metadata"]["name"] == "kb-vectors-busan-dr"
    assert types(result) == ["Extension"]


def test_pilot_light_primary_restores_its_copy_from_backups(run_pulumi) -> None:
    result = render(run_pulumi, derived_args("pilot-light", side="primary"))
    annotations = dr_annotations(result)
    assert annotations["paif.vmware.com/dr-mode"] == "writer"
    assert annotations["paif.vmware.com/dr-mechanism"] == "backup-restore"
    assert "paif.vmware.com/dr-publication" not in annotations
    assert types(result) == []


def test_pilot_light_dr_copy_renders_no_cluster_only_where_to_restore_from(run_pulumi) -> None:
    args = derived_args("pilot-light", side="dr")
    assert args.dr_role is not None and args.dr_role.mode is DatabaseMode.RESTORE_FROM_BACKUP
    result = render(run_pulumi, args)
    assert [r.type for r in result.resources] == [PGVECTOR_DATABASE_TYPE]
    assert result.outputs["drMode"] == "restore-from-backup"
    assert result.raw_outputs["connection"] == {
        "mechanism": "backup-restore",
        "restoreFrom": "s3-backup-dr",
        "sourceCluster": "kb-vectors",
        "clusterAtFailover": "kb-vectors-busan-dr",
        "writerSite": "seoul-primary",
    }
    assert result.outputs["connection"] == "[secret]"


def test_wal_archive_interval_sets_archive_timeout(run_pulumi) -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:dr"]["pattern"] = "pilot-light"
        values["paif:tenants"][0]["databases"][0]["dr"] = {
            "mechanism": "backup-restore",
            "walArchiveInterval": "5m",
        }

    primary = load_stack(edit=edit)
    role = derive_site(primary, None).database("marketing", "kb-vectors")
    params = by_type(render(run_pulumi, args_for(primary, dr_role=role)), PARAMS_TYPE)
    assert params.inputs["spec"]["params"]["archive_timeout"] == "300"


def test_synchronous_commit_follows_the_declared_in_site_replication(run_pulumi) -> None:
    """No cross-site mechanism makes the writer commit synchronously any more (DSM builds no
    cross-site standby); the DatabaseConfig asks for what the database declares."""
    args = derived_args("active-active", side="primary")
    assert args.database.replication == "async"
    params = by_type(render(run_pulumi, args), PARAMS_TYPE).inputs["spec"]["params"]
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
