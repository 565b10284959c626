"""Derive once (issue 22): one ``paif plan`` derives each DR topology shape it needs once.

Before, every reader derived its own (the program, PaifSite's helpers, the estimators, the
schedulability facts): 11 ``derive_site`` calls per stack, 22 for the example's prod and dr.
Now :class:`~paif_components.dr.shapes.SiteShapes` derives each shape on first use and every
reader gets that one. The five that remain, and why each is needed:

- prod: its own site (the components build it); the DR site it presumes standing by (RTO/RPO,
  capacity, topology) and failed over (the failover's changes, its schedulability);
- dr: its own site as declared, standing by (the components build it; RTO/RPO read it too) and
  failed over (the failover's changes, its schedulability).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import paif_components.dr.shapes as shapes_module
from paif_cli.main import main
from paif_components.config.models import StackConfig
from paif_components.dr import topology
from paif_components.dr.shapes import SiteShapes
from tests.support.stacks import ROOT, parse_pair, raw_pair


def test_one_plan_of_prod_and_dr_derives_five_shapes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Nothing else holds derive_site, so counting it in shapes counts every derivation.
    holders = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith(("paif_components", "paif_cli", "paif_policies"))
        and getattr(module, "derive_site", None) is topology.derive_site
    )
    # (topology's own site_config_for is for tests; paif verify derives its own, outside plan.)
    others = {"paif_components.dr.topology", "paif_cli.verify.targets"}
    assert set(holders) - others == {"paif_components.dr.shapes"}
    calls: list[tuple[str, str, bool | None]] = []

    def counting(config: StackConfig, primary: StackConfig | None, **kw: Any) -> Any:
        calls.append((config.site.name, config.dr.role, kw.get("failover")))
        return topology.derive_site(config, primary, **kw)

    monkeypatch.setattr(shapes_module, "derive_site", counting)
    argv = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT)]
    assert main([*argv, "--out", str(tmp_path), "--jobs", "1"]) == 0
    assert sorted(calls, key=str) == sorted(
        [
            ("seoul-primary", "primary", None),  # prod as declared
            ("busan-dr", "dr", False),  # prod's presumed DR site standing by
            ("busan-dr", "dr", True),  # ... and failed over
            ("busan-dr", "dr", None),  # dr as declared (standing by)
            ("busan-dr", "dr", True),  # dr failed over
        ],
        key=str,
    )


def test_a_dr_stack_standing_by_shares_its_declared_shape() -> None:
    prod, dr = parse_pair(*raw_pair("warm-standby"))
    shapes = SiteShapes(dr, prod, stack="dr")
    assert shapes.site() is shapes.dr_site(False)
    assert shapes.site(True) is shapes.dr_site(True)
    assert shapes.dr_site(True).failover and not shapes.site().failover


def test_a_primary_presumes_its_dr_site_once() -> None:
    prod, _ = parse_pair(*raw_pair("warm-standby"))
    shapes = SiteShapes(prod, None, stack="prod")
    standby = shapes.dr_site(False)
    assert standby is shapes.dr_site(False)
    assert standby.config.site.name == prod.dr.peer.site if prod.dr.peer else False
    assert shapes.dr_config() is shapes.dr_config()
    assert shapes.site().role == "primary"
