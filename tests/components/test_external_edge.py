"""``paif:network.edge: external``: the NSX/Avi edge belongs to another stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paif_cli.main import main
from tests.support.stacks import load_example, write_project

EDGE_PACKAGES = ("nsxt:", "avi:")


def _external(stack: str) -> dict[str, Any]:
    """The example with its edge external; who reaches the tenants, where they may go, the
    site's database addresses and where apps reach the gateway describe the network, so they
    stay."""
    config = load_example(stack)
    network = config["paif:network"]
    config["paif:network"] = {
        "edge": "external",
        "appTier": network["appTier"],
        "egress": network["egress"],
        "dataCidrs": network["dataCidrs"],
        "gatewayUrl": network["gatewayUrl"],
    }
    return config


def _plan(tmp_path: Path, stacks: dict[str, dict[str, Any]]) -> int:
    project = write_project(tmp_path / "project", stacks)
    args = ["plan", "--project-dir", str(project), "--out", str(tmp_path / "out"), "--quiet"]
    for name in stacks:
        args += ["--stack", name]
    return main(args)


def test_an_external_edge_declares_no_nsx_or_avi_resource_and_passes(tmp_path: Path) -> None:
    assert _plan(tmp_path, {"prod": _external("prod"), "dr": _external("dr")}) == 0
    for stack in ("prod", "dr"):
        plan = json.loads((tmp_path / "out" / stack / "plan.json").read_text())
        types = {r["type"] for r in plan["resources"]}
        assert not [t for t in types if t.startswith(EDGE_PACKAGES)], stack
        site = next(r for r in plan["resources"] if r["type"] == "paif:site:PaifSite")
        assert site["inputs"]["edge"] == "external"
        assert not [f for f in plan["policy"]["violations"] if f["ruleId"] == "PAIF-SEC-005"]


def test_a_stack_that_declares_no_edge_at_all_still_fails_sec_005(tmp_path: Path) -> None:
    """Leaving the edge out is not saying it is managed elsewhere."""
    config = load_example("prod")
    # Only where apps reach the gateway (the wired backend needs it) is left of the network.
    config["paif:network"] = {"gatewayUrl": config["paif:network"]["gatewayUrl"]}
    assert _plan(tmp_path, {"prod": config}) == 1
    plan = json.loads((tmp_path / "out" / "prod" / "plan.json").read_text())
    assert "PAIF-SEC-005" in {f["ruleId"] for f in plan["policy"]["violations"]}


@pytest.mark.parametrize("key", ["ingress", "managementCidrs", "adminSourceCidrs"])
def test_an_external_edge_refuses_the_edges_own_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    config = load_example("prod")
    config["paif:network"] = {"edge": "external", key: config["paif:network"][key]}
    assert _plan(tmp_path, {"prod": config}) == 2
    err = capsys.readouterr().err
    assert "Pulumi.prod.yaml" in err and f"paif:network.{key}" in err
    assert "edge is 'external'" in err
    assert not (tmp_path / "out" / "prod").exists()
