"""A stack that builds logical replication needs ``dsm:replicationPassword`` (issue 21 (b)).

Without it the replication role would be created with no password and the DR copy's
subscription could never log in: the stack is refused as bad config (exit 2, the key and the
stack file named) before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from paif_cli.main import main
from paif_components.program import run
from tests.support.programs import registered_before_error
from tests.support.stacks import ROOT, load_example

KEY = "dsm:replicationPassword"
MESSAGE = (
    "Pulumi.prod.yaml: dsm:replicationPassword: is not set, but marketing/kb-vectors, "
    "marketing/chat-history have DR copies fed by logical replication (databases[].dr.mechanism "
    "'logical'), whose replication role paif_replicator logs in with it; set the same value in "
    "both stacks: pulumi config set --secret dsm:replicationPassword --stack prod"
)


def _without_password(stack: str) -> dict:
    config = load_example(stack)
    config.pop(KEY)
    return config


def test_paif_plan_refuses_a_logical_copy_without_the_password(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"prod": _without_password("prod"), "dr": load_example("dr")})
    out = project / "o"
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {MESSAGE}" in err
    assert "Traceback" not in err
    assert not (out / "prod").exists()


def test_the_dr_stack_needs_it_too_while_it_subscribes(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project({"prod": load_example("prod"), "dr": _without_password("dr")})
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project),
         "--out", str(project / "o"), "--quiet", "--format", "none"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "Pulumi.dr.yaml: dsm:replicationPassword: is not set" in err
    assert "--stack dr" in err


def test_a_failed_over_dr_stack_subscribes_to_nothing_and_needs_none(
    make_project: Callable[..., Path],
) -> None:
    dr = _without_password("dr")
    dr["paif:dr"]["failover"] = True
    project = make_project({"prod": load_example("prod"), "dr": dr})
    code = main(
        ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project),
         "--out", str(project / "o"), "--quiet", "--format", "none"]
    )  # fmt: skip
    assert code == 0


def test_nothing_is_registered_before_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {k: v for k, v in load_example("prod").items() if k != KEY}
    monkeypatch.setattr(
        "paif_components.program.runtime_config_values", lambda: (values, frozenset())
    )
    error, records = registered_before_error(
        lambda: run(ROOT), pulumi.RunError, match="dsm:replicationPassword: is not set"
    )
    assert str(error).startswith(MESSAGE)
    assert records == []


def test_a_stack_without_logical_copies_needs_no_password(
    make_project: Callable[..., Path],
) -> None:
    prod = _without_password("prod")
    for tenant in prod["paif:tenants"]:
        for database in [*tenant.get("databases", []), *tenant.get("appDatabases", [])]:
            database["dr"] = {"mechanism": "backup-restore"}
    project = make_project({"prod": prod})
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o"),
         "--quiet", "--format", "none", "--policy-pack-config", str(_advisory(project))]
    )  # fmt: skip
    assert code in (0, 1)  # the gate may judge the RPO; the config is accepted
    assert (project / "o" / "prod" / "plan.json").exists()


def _advisory(project: Path) -> Path:
    path = project / "advisory.json"
    path.write_text('{"PAIF-DR-003": "advisory", "PAIF-DR-002": "advisory"}')
    return path
