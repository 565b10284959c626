"""What ``paif`` says when the command line is wrong: the flag or file named, one prefix per
message, the subcommand's usage, ``--version``; and where its reports link to."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from paif_cli.errors import InputError, ProgramError, error_text
from paif_cli.main import main
from paif_policies import framework, registry
from tests.support.stacks import ROOT, load_example, write_project


def _plan(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["plan", *argv, "--quiet", "--format", "none"])
    return code, capsys.readouterr().err


def test_a_missing_policy_pack_config_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    code, err = _plan(
        ["--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path / "out"),
         "--policy-pack-config", str(missing)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert err == f"error: --policy-pack-config {missing}: no such file\n"
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_policy_pack_config_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan(
        ["--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path / "out"),
         "--policy-pack-config", str(tmp_path)],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert err == f"error: --policy-pack-config {tmp_path}: a folder, not a JSON file\n"


def test_a_project_without_pulumi_yaml_has_one_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _plan(["--stack", "prod", "--project-dir", str(tmp_path)], capsys)
    assert code == 2
    assert err == f"error: Pulumi.yaml: no such file in {tmp_path} (--project-dir)\n"
    assert "Pulumi.yaml: Pulumi.yaml" not in err


def test_an_unnamed_project_names_the_key_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "project", {"prod": load_example("prod")})
    (project / "Pulumi.yaml").write_text("runtime: python\n")
    code, err = _plan(["--stack", "prod", "--project-dir", str(project)], capsys)
    assert code == 2
    assert err == "error: Pulumi.yaml: name: the project needs a name\n"


def test_a_dr_stack_whose_primary_has_no_file_names_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "project", {"dr": load_example("dr")})
    code, err = _plan(["--stack", "dr", "--project-dir", str(project)], capsys)
    assert code == 2
    assert err == (
        "error: Pulumi.dr.yaml: paif:dr.peer.stack: names stack 'prod', which has no stack file "
        f"Pulumi.prod.yaml in {project} (stacks here: dr)\n"
    )


def test_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder")
    code, err = _plan(["--stack", "prod", "--project-dir", str(ROOT), "--out", str(out)], capsys)
    assert code == 2
    assert err == f"error: --out {out}: a file, not a folder\n"


@pytest.mark.parametrize(
    "command", [["plan", "--stack", "prod"], ["diff"], ["verify", "--stack", "prod"]]
)
def test_an_unknown_flag_prints_the_subcommands_usage(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    name = command[0]
    assert err.startswith(f"usage: paif {name} ")
    assert err.rstrip().endswith(f"paif {name}: error: unrecognized arguments: --bogus")


def test_an_unknown_top_level_flag_prints_the_top_level_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--bogus", "plan", "--stack", "prod"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: paif [-h]")
    assert err.rstrip().endswith("paif: error: unrecognized arguments: --bogus")


def test_jobs_must_be_a_whole_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "--stack", "prod", "--jobs", "two"])
    assert "argument --jobs: 'two' is not a whole number" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out == (
        f"paif {version('paif-pulumi')} (policy pack paif-production 0.1.0; "
        f"pulumi {version('pulumi')}, pulumi-policy {version('pulumi-policy')})\n"
    )


def test_os_errors_read_as_the_file_and_the_reason() -> None:
    missing = FileNotFoundError(2, "No such file or directory", "/x/plan.json")
    assert error_text(missing, False) == "error: /x/plan.json: No such file or directory\n"
    assert error_text(InputError("--out x: a\nb"), False) == "error: --out x: a\nerror: b\n"
    assert error_text(ProgramError(""), False) == "error: ProgramError\n"
    bug = error_text(KeyError("k"), False)
    assert bug.startswith("error: program failed: KeyError: 'k'\n")
    assert "--debug" in bug
    try:
        raise ValueError("v")
    except ValueError as raised:
        debug = error_text(raised, True)
    assert debug.startswith("Traceback (most recent call last):\n")
    assert debug.endswith("ValueError: v\nerror: program failed: ValueError: v\n")


# --- links in reports -------------------------------------------------------------------------


def test_project_urls_are_pyprojects() -> None:
    """The links come from pyproject.toml's [project.urls], as the installed metadata says."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("urls", {})
    assert framework.project_urls() == {k.lower(): v for k, v in declared.items()}


def test_catalogue_links_follow_the_configured_url() -> None:
    urls = framework.project_urls(["Repository, https://git.example.org/team/paif/"])
    assert framework.repository_url(urls) == "https://git.example.org/team/paif/"
    assert framework.catalogue_url(urls) == (
        "https://git.example.org/team/paif/blob/HEAD/docs/policies.md"
    )
    policies = framework.project_urls(
        ["Homepage, https://paif.example.org", "Policies, https://paif.example.org/rules"]
    )
    assert framework.catalogue_url(policies) == "https://paif.example.org/rules"
    assert framework.repository_url(policies) == "https://paif.example.org"
    assert framework.catalogue_url(framework.project_urls([])) is None


def _reports(out: Path) -> tuple[str, dict, dict]:
    prod = out / "prod"
    return (
        (prod / "policy.md").read_text(),
        json.loads((prod / "policy.sarif").read_text()),
        json.loads((prod / "policy.json").read_text()),
    )


def test_reports_link_nowhere_without_a_configured_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "project_urls", lambda entries=None: {})
    monkeypatch.setattr("paif_cli.render.project_urls", lambda entries=None: {})
    registry.docs_url.cache_clear()
    try:
        code, _ = _plan(
            ["--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path)], capsys
        )
    finally:
        registry.docs_url.cache_clear()
    assert code == 0
    markdown, sarif, document = _reports(tmp_path)
    assert "](http" not in markdown
    driver = sarif["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    assert all("helpUri" not in rule for rule in driver["rules"])
    assert {rule["helpUri"] for rule in document["rules"]} == {None}
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "github.com" not in written


def test_reports_link_to_the_configured_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = {"repository": "https://git.example.org/team/paif"}
    monkeypatch.setattr(registry, "project_urls", lambda entries=None: urls)
    monkeypatch.setattr("paif_cli.render.project_urls", lambda entries=None: urls)
    registry.docs_url.cache_clear()
    try:
        code, _ = _plan(
            ["--stack", "prod", "--project-dir", str(ROOT), "--out", str(tmp_path)], capsys
        )
    finally:
        registry.docs_url.cache_clear()
    assert code == 0
    markdown, sarif, _ = _reports(tmp_path)
    catalogue = "https://git.example.org/team/paif/blob/HEAD/docs/policies.md"
    assert f"]({catalogue}#paif-ha-008)" in markdown
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://git.example.org/team/paif"
    ha = next(rule for rule in driver["rules"] if rule["id"] == "PAIF-HA-008")
    assert ha["helpUri"] == f"{catalogue}#paif-ha-008"
