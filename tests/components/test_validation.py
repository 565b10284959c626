"""Validate once (issue 22): one ``paif plan`` validates each endpoint's args once, and one
error reports every problem of an endpoint.

Before, the program validated the site before asking the hosts and again after, PaifSite again,
PaifTenant again and ModelEndpoint again: five validations of each endpoint per stack. Now the
program validates the site once (then only what the hosts say), and the components PaifSite
builds skip it (:mod:`paif_components.validation`).
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import paif_components.model_endpoint as model_endpoint
import paif_components.tenant as tenant_module
from paif_cli.main import main
from paif_components.errors import ComponentInputError
from paif_components.model_endpoint import ModelEndpointArgs, validate_model_endpoint
from tests.support.programs import registered_before_error
from tests.support.stacks import ROOT, load_example, load_stack, site_context

TWO_PROBLEMS = (
    "tenant 'marketing': modelEndpoints[0].replicas.min: 0 would scale the endpoint to "
    "zero; keep at least 1 replica warm (§9.5.3 cold start)\n"
    "tenant 'marketing': modelEndpoints[0].scaleInCooldown: 30s is shorter than the "
    "model's cold start (up to 58s, §9.5.3); scale-in must not outpace scale-out"
)


def _two_problems(values: dict[str, Any]) -> None:
    endpoint = values["paif:tenants"][0]["modelEndpoints"][0]
    endpoint["replicas"] = {"min": 0, "max": 4}
    endpoint["scaleInCooldown"] = "30s"


def test_one_plan_validates_each_endpoint_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    original = model_endpoint.validate_model_endpoint

    def counting(args: ModelEndpointArgs) -> None:
        counts[(args.ctx.site.name, args.endpoint.name)] += 1
        original(args)

    # The two places that call it: PaifTenant's validation and ModelEndpoint's constructor.
    monkeypatch.setattr(tenant_module, "validate_model_endpoint", counting)
    monkeypatch.setattr(model_endpoint, "validate_model_endpoint", counting)
    argv = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(ROOT)]
    assert main([*argv, "--out", str(tmp_path), "--jobs", "1"]) == 0
    endpoints = ("llama-chat", "embeddings")
    assert counts == {(site, e): 1 for site in ("seoul-primary", "busan-dr") for e in endpoints}


def test_two_problems_of_one_endpoint_make_one_error() -> None:
    cfg = load_stack(edit=_two_problems, environment="dev")
    tenant = cfg.tenants[0]
    args = ModelEndpointArgs(
        tenant=tenant, endpoint=tenant.model_endpoints[0], ctx=site_context(cfg)
    )
    with pytest.raises(ComponentInputError) as err:
        validate_model_endpoint(args)
    assert str(err.value) == TWO_PROBLEMS
    assert [field for field, _ in err.value.problems] == [
        "modelEndpoints[0].replicas.min",
        "modelEndpoints[0].scaleInCooldown",
    ]
    error, records = registered_before_error(lambda: model_endpoint.ModelEndpoint("ep", args))
    assert str(error) == TWO_PROBLEMS
    assert records == []


def test_paif_plan_reports_both_and_exits_2(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    prod = copy.deepcopy(load_example("prod"))
    prod["paif:environment"] = "dev"
    _two_problems(prod)
    project = make_project({"prod": prod})
    code = main(
        ["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(project / "o")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    for line in TWO_PROBLEMS.splitlines():
        assert f"error: Pulumi.prod.yaml: {line}\n" in err
