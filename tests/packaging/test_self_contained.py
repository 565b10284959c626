"""The project outside this workplace: a plain install plans, the pack runs from its folder alone,
and ``paif plan``'s exit code is the verdict the engine would reach from the pack's diagnostics."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from paif_cli.crossguard.analyzer import engine_requests, reconcile_policy_config
from paif_components.contract.plan import ResourceRecord
from paif_policies import pack
from paif_policies.framework import (
    ADVISORY_POLICY,
    WAIVED_POLICY,
    parse_message,
    parse_waived_line,
)
from tests.packaging.installed import Installed
from tests.support.stacks import ROOT

STACKS = ("prod", "dr")


def _plan(installed: Installed, cwd: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [installed.paif, "plan", "--stack", "prod", "--stack", "dr"]
    args += ["--project-dir", ROOT, "--out", out, "--quiet", *extra]
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)


# --- 1. a plain install runs the program ---------------------------------------------------------


def test_the_install_is_plain_and_not_editable(installed: Installed, elsewhere: Path) -> None:
    code = (
        "import importlib.metadata as m, paif_components, paif_policies, paif_cli; "
        "print(paif_components.__file__); print(sorted(r for r in m.requires('paif-pulumi')))"
    )
    out = subprocess.run(
        [str(installed.python), "-c", code], cwd=elsewhere, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    location, requires = out.stdout.splitlines()
    assert "site-packages" in location and str(ROOT) not in location
    # What paif plan imports at run time is a runtime requirement, not a dev extra.
    assert "jsonschema==4.26.0" in requires
    for dev_only in ("pytest", "hypothesis", "ruff", "kubernetes_validate"):
        probe = subprocess.run(
            [str(installed.python), "-c", f"import {dev_only}"], capture_output=True, cwd=elsewhere
        )
        assert probe.returncode != 0, f"{dev_only} is installed without the dev extra"


def test_nothing_generic_lands_at_the_top_of_site_packages(
    installed: Installed, elsewhere: Path
) -> None:
    """The installed layout (docs/architecture.md): the distribution's import names are its own
    (paif_components, paif_policies, paif_cli); a user's `components` or `policies` is theirs."""
    code = (
        "import importlib.metadata as m, importlib.util as u; "
        "files = m.files('paif-pulumi'); "
        "print(sorted({str(f).split('/')[0] for f in files if str(f).endswith('.py')})); "
        "print(u.find_spec('components'), u.find_spec('policies'))"
    )
    out = subprocess.run(
        [str(installed.python), "-c", code], cwd=elsewhere, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    tops, specs = out.stdout.splitlines()
    assert tops == "['paif_cli', 'paif_components', 'paif_policies']"
    assert specs == "None None"


def test_a_plain_install_plans_both_stacks_from_another_folder(
    installed: Installed, elsewhere: Path, tmp_path: Path
) -> None:
    result = _plan(installed, elsewhere, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    for stack in STACKS:
        plan = json.loads((tmp_path / "out" / stack / "plan.json").read_text())
        assert plan["stack"] == stack and len(plan["resources"]) > 50
    # Same plan as the development install makes of the same commit.
    dev = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "paif"), "plan", "--stack", "prod", "--stack", "dr",
         "--project-dir", str(ROOT), "--out", str(tmp_path / "dev"), "--quiet"],
        cwd=elsewhere, capture_output=True, text=True,
    )  # fmt: skip
    assert dev.returncode == 0, dev.stderr
    for stack in STACKS:
        assert (tmp_path / "out" / stack / "plan.json").read_bytes() == (
            tmp_path / "dev" / stack / "plan.json"
        ).read_bytes()


# --- 3. the pack from its folder alone, over the analyzer protocol -------------------------------


@pytest.fixture(scope="module")
def analyzer(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The lone pack folder started as the CLI starts it, from a venv of its requirements only."""
    cwd = tmp_path_factory.mktemp("pack-cwd")
    process = subprocess.Popen(
        [
            str(installed.python),
            "-u",
            "-m",
            "pulumi.policy",
            "127.0.0.1:1",
            str(installed.pack_dir),
        ],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_lone_pack_answers_with_every_policy(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    assert info.name == pack.PACK_NAME and info.supportsConfig
    expected = [r.id for r in pack.rules()] + [ADVISORY_POLICY, WAIVED_POLICY]
    assert [p.name for p in info.policies] == expected


# --- 4. the verdict, for every pack config the docs show ----------------------------------------


def documented_pack_configs() -> list[dict[str, Any]]:
    """Every JSON object docs/policies.md shows in backticks in its enforcement section, plus
    no config at all."""
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    section = text[text.index("## Enforcement and waivers") : text.index("## Rules")]
    configs: list[dict[str, Any]] = [{}]
    for snippet in re.findall(r"`(\{.*?\})`", section):
        value = json.loads(snippet)
        if value not in configs:
            configs.append(value)
    return configs


def test_the_docs_show_the_configs_the_verdict_must_hold_for() -> None:
    configs = documented_pack_configs()
    assert {"all": "mandatory"} in configs and {ADVISORY_POLICY: "mandatory"} in configs
    assert len(configs) >= 5


def _engine_view(analyzer: Any, records: list[dict[str, Any]], config: dict[str, Any]) -> Any:
    reconciled = reconcile_policy_config(
        pack.policies(),
        pack_name=pack.PACK_NAME,
        pack_version=pack.pack_version(),
        pack_config=config or None,
        enforcement_level=pack.ENFORCEMENT_LEVEL,
    )
    configure, stack = engine_requests([ResourceRecord.from_json(r) for r in records], reconciled)
    if configure is not None:
        analyzer.Configure(configure, timeout=60)
    return analyzer.AnalyzeStack(stack, timeout=300)


_LEVEL = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}


@pytest.mark.parametrize("config", documented_pack_configs(), ids=json.dumps)
def test_paif_plan_exits_with_the_engines_verdict(
    installed: Installed, analyzer: Any, elsewhere: Path, tmp_path: Path, config: dict[str, Any]
) -> None:
    extra: list[str] = []
    if config:
        (tmp_path / "cfg.json").write_text(json.dumps(config))
        extra = ["--policy-pack-config", str(tmp_path / "cfg.json")]
    result = _plan(installed, elsewhere, tmp_path / "out", *extra)
    assert result.returncode in (0, 1), result.stderr

    failed = False
    for stack in STACKS:
        plan = json.loads((tmp_path / "out" / stack / "plan.json").read_text())
        response = _engine_view(analyzer, plan["resources"], config)
        # The engine fails a preview on any diagnostic at mandatory level, waivers unknown to it.
        failed = failed or any(d.enforcementLevel == analyzer_pb2.MANDATORY
                               for d in response.diagnostics)  # fmt: skip
        over_grpc = Counter(
            (parse_message(d.message.split("\n", 1)[-1])[0] or d.policyName, d.urn,
             _LEVEL[d.enforcementLevel])
            for d in response.diagnostics
        )  # fmt: skip
        waived_over_grpc = Counter(
            (parse_message(text)[0], urn)
            for n in response.not_applicable
            if n.policy_name == WAIVED_POLICY
            for text, urn in map(parse_waived_line, n.reason.splitlines())
        )
        findings = plan["policy"]["violations"]
        active = [f for f in findings if not f["waived"]]
        assert over_grpc == Counter((f["ruleId"], f["urn"], f["enforcement"]) for f in active)
        assert waived_over_grpc == Counter((f["ruleId"], f["urn"]) for f in findings if f["waived"])
        assert not [f for f in findings if f["waived"] and f["enforcement"] == "mandatory"]
    assert result.returncode == (1 if failed else 0), (config, result.stdout, result.stderr)


def test_a_waived_finding_is_never_mandatory_even_when_everything_is(
    installed: Installed, analyzer: Any, elsewhere: Path, tmp_path: Path
) -> None:
    """The prod example's PAIF-CAP-002 is waived: no config brings it back as a violation."""
    result = _plan(installed, elsewhere, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "out" / "prod" / "plan.json").read_text())
    waived = [f for f in plan["policy"]["violations"] if f["waived"]]
    assert [f["ruleId"] for f in waived] == ["PAIF-CAP-002"]
    for config in (
        {"all": "mandatory"},
        {ADVISORY_POLICY: "mandatory"},
        {WAIVED_POLICY: "mandatory"},
    ):
        response = _engine_view(analyzer, plan["resources"], config)
        assert not [d for d in response.diagnostics if "PAIF-CAP-002" in d.message], config
        reasons = [n.reason for n in response.not_applicable if n.policy_name == WAIVED_POLICY]
        assert len(reasons) == 1 and "[PAIF-CAP-002]" in reasons[0], config
