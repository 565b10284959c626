"""Build once (issue 22): one ``paif plan`` builds each of the site's own args objects once.

Before, ``validate_site`` built the edge, GSLB, Harbor replication and site monitoring args to
validate them, and PaifSite built each again to construct the component: two of each per stack.
Now ``validate_site`` returns them (``SiteParts``) and PaifSite builds from those. The tenants'
args are still built twice, on purpose: at validation from the site as declared, and at
construction from the context the program completed in between (what the hosts say, the import
ids) and the workload domains just built.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

import pytest

import paif_components.site as site_module
from paif_cli.main import main
from paif_components.contract import tokens
from paif_components.contract.plan import PlanDocument
from tests.support.stacks import ROOT

SITES = ("seoul-primary", "busan-dr")


def _count(
    monkeypatch: pytest.MonkeyPatch,
    counts: collections.Counter[tuple[str, str]],
    name: str,
    site_of: Any,
) -> None:
    original = getattr(site_module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        counts[(name, site_of(*args))] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(site_module, name, counting)


def test_one_plan_builds_each_site_part_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    _count(monkeypatch, counts, "edge_args", lambda config, *_: config.site.name)
    _count(monkeypatch, counts, "gslb_args", lambda config, *_: config.site.name)
    _count(monkeypatch, counts, "replication_args", lambda ctx, *_: ctx.site.name)
    _count(monkeypatch, counts, "_monitoring_args", lambda args, *_: args.config.site.name)
    _count(monkeypatch, counts, "_tenant_args", lambda args, *_: args.config.site.name)
    argv = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT)]
    assert main([*argv, "--out", str(tmp_path), "--jobs", "1"]) == 0
    once = ("edge_args", "gslb_args", "replication_args", "_monitoring_args")
    assert counts == {
        **{(name, site): 1 for name in once for site in SITES},
        # Validation, and construction from the completed context and the built domains.
        **{("_tenant_args", site): 2 for site in SITES},
    }
    # Built from them: each stack's edge, its monitoring and the primary's Harbor replication.
    types = {
        stack: {
            r.type for r in PlanDocument.from_json(json.loads(_read(tmp_path, stack))).resources
        }
        for stack in ("prod", "dr")
    }
    for kind in (tokens.PAIF_EDGE_SECURITY, tokens.PAIF_SITE_MONITORING):
        assert kind in types["prod"] and kind in types["dr"]
    assert tokens.PAIF_HARBOR_REPLICATION in types["prod"]


def _read(out: Path, stack: str) -> str:
    return (out / stack / "plan.json").read_text(encoding="utf-8")
