"""Bad input: random and mutated stack configs plan, or exit 2 with one line per problem.

Property-based (hypothesis), cheapest level first:

1. any text in a stack file → ``read_stack_file`` returns JSON-safe values or a ``ConfigError``;
2. mutated config values → ``parse_stack_config`` and the program's pre-flight checks
   (``validate_site``, DR derivation, estimates) accept them or name the config path;
3. mutated small stacks → ``paif plan`` exits 0/1 with a plan written, or exits 2 with
   ``error: Pulumi.fuzz.yaml: <path>: <message>`` lines, no traceback and nothing written.

Plan-level examples cost about a second each, so level 3 is bounded (``PAIF_FUZZ_PLANS``
examples, default 30); raise it locally for a deeper run, e.g. ``PAIF_FUZZ_PLANS=500``.

Also here: bad inputs that tests/cli/test_plan.py and tests/components/config/test_config.py
do not cover (a DR stack whose peer has no stack file, a failure in a later stack of one run,
waivers for unknown rules).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paif_cli.main import main
from paif_components.config import ConfigError, StackConfig, parse_stack_config, read_stack_file
from paif_components.errors import ComponentInputError
from paif_components.site import PaifSiteArgs, validate_site
from tests.support.stacks import ROOT, load_example, write_project

FUZZ_STACK = "fuzz"
FUZZ_FILE = f"Pulumi.{FUZZ_STACK}.yaml"
PLAN_EXAMPLES = int(os.environ.get("PAIF_FUZZ_PLANS", "30"))

# One problem per line: the file, a path (a config key, `config`, or a component subject and its
# config field) and the message; or, for a problem of the whole file, the file and the message.
_CONFIG_PATH = r"(?:[A-Za-z][\w-]*:[\w.\[\]-]+|config)"
_COMPONENT_PATH = r"[a-z][a-z ]*'[^']*': [\w.\[\]-]+"
_FILE_PROBLEM = r"(?:not valid YAML|not UTF-8 text|nested too deeply|the file must be)"
ERROR_LINE = re.compile(
    rf"^error: {re.escape(FUZZ_FILE)}: "
    rf"(?:(?P<path>{_CONFIG_PATH}|{_COMPONENT_PATH}): \S|{_FILE_PROBLEM})"
)

# Values a careless edit puts anywhere: wrong types, bounds, units, shapes.
JUNK: list[Any] = [
    None, True, False, 0, -1, 1, 3, 65536, 10**12, 0.5, -0.0, float("inf"), float("nan"),
    "", " ", "x", "0", "-1", "1Gi", "500m", "10m", "1h", "lots", "UPPER_case", "https://x",
    "http://x", "a/b", "*", "2027-06-30", "0 1 * * *", "* * *", "PAIF-HA-001", "PAIF-XYZ-999",
    "a" * 70, [], [1], ["a"], {}, {"x": 1}, {"secure": "AAABAC=="},
]  # fmt: skip
# Raw YAML that never survives a round trip through yaml.safe_dump: tags, anchors, dates.
RAW_YAML: list[str] = [
    "2027-06-30", "2027-13-45", "!!binary aGVsbG8=", "!!set {a, b}", "&loop [*loop]",
    "!!int x", "!!bool maybe", "!!float x", "!!python/name:os.system", "~", ".nan", "-.inf",
    "0x1F", "1e400", "!custom x", "{a: 1, a: 2}", "[1, [2, [3]]]", "*undefined",
]  # fmt: skip
UNKNOWN_KEYS = ["bogus", "name", "replicas", "gpu", "Replicas", "min_replicas"]
RAW_MARK = "__raw_yaml_{}__"


def small_config() -> dict[str, Any]:
    """The prod example with one tenant (marketing: every kind of service), ~70 resources."""
    config = load_example("prod")
    config["paif:tenants"] = config["paif:tenants"][:1]
    return config


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _near_value(value: Any) -> list[Any]:
    """Plausible edits of a value: off by one, zero, negated, emptied, re-cased."""
    if isinstance(value, bool):
        return [not value, str(value).lower()]
    if isinstance(value, int):
        return [0, -value, value + 1, value - 1, value * 1000, str(value)]
    if isinstance(value, float):
        return [0.0, -value, value * 1000]
    if isinstance(value, str):
        return ["", value.upper(), value + "-x", value[:1], value * 3, value.replace("-", "_")]
    if isinstance(value, list):
        return [[], value[:1], value + value[:1]]
    return [{}]


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], raw: bool = False) -> dict[str, Any]:
    """``base`` with one to three edits; with ``raw``, values may be raw YAML (see RAW_MARK)."""
    config = copy.deepcopy(base)
    raws: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(config))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = config
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        ops = ["delete", "junk", "near", "add", "duplicate"] + (["raw"] if raw else [])
        op = draw(st.sampled_from(ops))
        if op == "delete":
            del parent[key]
        elif op == "junk":
            parent[key] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif op == "near":
            parent[key] = draw(st.sampled_from(_near_value(parent[key])))
        elif op == "add" and isinstance(parent[key], dict):
            # A copy, as for "junk": a later edit must not change JUNK itself, which would
            # make the next example draw from a different list (hypothesis: flaky strategy).
            parent[key][draw(st.sampled_from(UNKNOWN_KEYS))] = copy.deepcopy(
                draw(st.sampled_from(JUNK))
            )
        elif op == "add" and isinstance(parent[key], list):
            parent[key].append(copy.deepcopy(draw(st.sampled_from(JUNK))))
        elif op == "duplicate" and isinstance(parent[key], list) and parent[key]:
            parent[key].append(copy.deepcopy(parent[key][0]))
        elif op == "raw":
            raws.append(draw(st.sampled_from(RAW_YAML)))
            parent[key] = RAW_MARK.format(len(raws) - 1)
    config["__raw__"] = raws
    return config


def render_stack_file(config: dict[str, Any]) -> str:
    """The stack file text, with raw YAML spliced in where ``mutated`` left its marks."""
    values = dict(config)
    raws = values.pop("__raw__", [])
    text = yaml.safe_dump({"config": values}, sort_keys=False, allow_unicode=True)
    for index, raw in enumerate(raws):
        text = text.replace(RAW_MARK.format(index), raw)
    return text


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A project folder reused by every example (hypothesis runs examples one at a time)."""
    directory = Path(tempfile.mkdtemp(prefix="paif-fuzz-"))
    write_project(directory, {})
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _single_line_problems(error: ConfigError) -> None:
    assert error.problems, "a ConfigError names at least one problem"
    for problem in error.problems:
        assert "\n" not in problem.path, problem  # "": a problem of the whole file
        assert problem.message and "\n" not in problem.message, problem


def _one_line_per_problem(error: ComponentInputError) -> None:
    """An error collects every problem of its args object, one line each (components/errors.py):
    no message spans lines, and each line names the subject and the field."""
    assert error.subject and error.field, error
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems), lines
    for line, (field, _) in zip(lines, error.problems, strict=True):
        assert line.startswith(f"{error.subject}: {field}: "), line


# --- 1. stack file text ---------------------------------------------------------------------

EXAMPLE_LINES = (ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8").splitlines()


@st.composite
def edited_example_text(draw: st.DrawFn) -> str:
    """The prod stack file with a few lines replaced, re-indented, dropped or given raw YAML."""
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        op = draw(st.sampled_from(["value", "indent", "dedent", "drop", "text"]))
        if op == "value" and ":" in line:
            lines[index] = line.split(":", 1)[0] + ": " + draw(st.sampled_from(RAW_YAML))
        elif op == "indent":
            lines[index] = " " * draw(st.integers(1, 3)) + line
        elif op == "dedent":
            lines[index] = line.lstrip()
        elif op == "drop":
            del lines[index]
        else:
            lines[index] = draw(st.text(max_size=30))
    return "\n".join(lines) + "\n"


stack_file_texts = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.builds(
            "  {}: {}".format,
            st.sampled_from(["paif:environment", "paif:site", "vsphere:password", "x:y", "p:"]),
            st.sampled_from(RAW_YAML) | st.text(max_size=12),
        ),
        max_size=5,
    ).map(lambda lines: "config:\n" + "\n".join(lines) + "\n"),
    edited_example_text(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=stack_file_texts)
def test_any_stack_file_text_reads_or_names_the_problem(scratch: Path, text: str) -> None:
    (scratch / FUZZ_FILE).write_text(text, encoding="utf-8")
    try:
        stack_file = read_stack_file(scratch, FUZZ_STACK)
    except ConfigError as error:
        assert error.stack_file == FUZZ_FILE
        _single_line_problems(error)
        return
    # What the program receives must survive the trip through Pulumi config (JSON).
    json.dumps(stack_file.values, allow_nan=True)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("config:\n  paif:environment: !!int x\n", "not valid YAML at line 2, column 21"),
        ("config:\n  a:b: 1\n  a:b: 2\n", "not valid YAML at line 3, column 3: key 'a:b'"),
        ("config:\n  vsphere:user: !!binary aGVsbG8=\n", "vsphere:user: a YAML !!binary value"),
        ("config:\n  paif:tenants: &t [*t]\n", "paif:tenants[0]: refers to itself"),
        (
            b"config:\n  paif:environment: \xff\n",
            "not UTF-8 text (byte 28): invalid start byte",
        ),
    ],
    ids=["bad tagged value", "duplicate key", "binary", "self-reference", "not utf-8"],
)
def test_yaml_pitfalls_are_config_errors(scratch: Path, text: str | bytes, line: str) -> None:
    path = scratch / FUZZ_FILE
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as info:
        read_stack_file(scratch, FUZZ_STACK)
    assert info.value.render().startswith(f"{FUZZ_FILE}: {line}")


def test_an_unquoted_date_stays_a_string_as_pulumi_reads_it(scratch: Path) -> None:
    # Go yaml.v3 (the Pulumi CLI) hands `expires: 2027-06-30` to the program as a string.
    (scratch / FUZZ_FILE).write_text("config:\n  paif:waivers: [{expires: 2027-06-30}]\n")
    assert read_stack_file(scratch, FUZZ_STACK).values == {
        "paif:waivers": [{"expires": "2027-06-30"}]
    }


# --- 2. config values and the program's pre-flight checks ----------------------------------

PROD = load_example("prod")
DR = load_example("dr")
PROD_CONFIG = parse_stack_config(PROD, "Pulumi.prod.yaml")


def preflight(values: dict[str, Any], stack_file: str, primary: StackConfig | None) -> None:
    """What ``paif_components.program.run`` checks before it registers anything."""
    config = parse_stack_config(values, stack_file)
    args = PaifSiteArgs(config=config, stack_file=stack_file, primary=primary)
    validate_site(args)
    args.derived()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=mutated(PROD))
def test_mutated_primary_config_passes_or_names_the_path(values: dict[str, Any]) -> None:
    values.pop("__raw__")
    try:
        preflight(values, FUZZ_FILE, None)
    except ConfigError as error:
        _single_line_problems(error)
        assert all(p.path.startswith("paif:") for p in error.problems), error.problems
    except ComponentInputError as error:
        _one_line_per_problem(error)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=mutated(DR))
def test_mutated_dr_config_passes_or_names_the_path(values: dict[str, Any]) -> None:
    values.pop("__raw__")
    try:
        preflight(values, FUZZ_FILE, PROD_CONFIG)
    except ConfigError as error:
        _single_line_problems(error)
        assert all(p.path.startswith("paif:") for p in error.problems), error.problems
    except ComponentInputError as error:
        _one_line_per_problem(error)


def test_a_repeated_vgpu_profile_is_refused_before_it_clashes() -> None:
    # Found by the plan-level fuzzer: each profile becomes VM classes named after it.
    values = copy.deepcopy(PROD)
    values["paif:workloadDomain"]["vgpuProfiles"].append("nvidia_a100-80c")
    with pytest.raises(ComponentInputError) as info:
        preflight(values, FUZZ_FILE, None)
    assert str(info.value) == (
        "workload domain 'gpu-wld-01': workloadDomain.vgpuProfiles[2]: 'nvidia_a100-80c' is "
        "listed twice"
    )


# --- 3. whole plans -------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@settings(
    max_examples=PLAN_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(config=mutated(small_config(), raw=True))
def test_mutated_stack_plans_or_exits_2_naming_the_path(
    scratch: Path, config: dict[str, Any]
) -> None:
    (scratch / FUZZ_FILE).write_text(render_stack_file(config), encoding="utf-8")
    out = scratch / "out"
    shutil.rmtree(out, ignore_errors=True)
    code, stdout, stderr = run_cli(
        "plan", "--stack", FUZZ_STACK, "--project-dir", str(scratch), "--out", str(out),
        "--quiet", "--format", "none",
    )  # fmt: skip
    assert "Traceback" not in stdout + stderr
    assert "program failed" not in stderr, stderr
    if code == 2:
        assert stdout == ""
        lines = stderr.splitlines()
        assert lines, "exit 2 explains itself"
        for line in lines:
            assert ERROR_LINE.match(line), line
        assert not out.exists(), "nothing may be written when a stack fails"
    else:
        assert code in (0, 1), (code, stderr)
        plan = json.loads((out / FUZZ_STACK / "plan.json").read_text(encoding="utf-8"))
        assert plan["stack"] == FUZZ_STACK and plan["resources"]


# --- named cases the other test files do not cover -----------------------------------------


def test_dr_stack_whose_peer_has_no_stack_file(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"dr": DR})
    code, stdout, stderr = run_cli(
        "plan", "--stack", "dr", "--project-dir", str(project), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert stdout == ""
    assert stderr == (
        f"error: Pulumi.dr.yaml: paif:dr.peer.stack: names stack 'prod', which has no stack "
        f"file Pulumi.prod.yaml in {project} (stacks here: dr)\n"
    )
    assert not (tmp_path / "o").exists()


def test_dr_stack_whose_peer_config_is_broken_names_the_peer_file(tmp_path: Path) -> None:
    broken = copy.deepcopy(PROD) | {"paif:environment": "production"}
    project = write_project(tmp_path / "p", {"prod": broken, "dr": DR})
    code, _, stderr = run_cli(
        "plan", "--stack", "dr", "--project-dir", str(project), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert stderr.startswith("error: Pulumi.prod.yaml: paif:environment: Input should be ")
    assert not (tmp_path / "o").exists()


def test_a_failing_later_stack_leaves_no_plan_of_the_earlier_one(tmp_path: Path) -> None:
    broken = copy.deepcopy(PROD)
    broken["paif:tenants"][0]["quota"]["gpu"] = -1
    project = write_project(tmp_path / "p", {"prod": PROD, "qa": broken})
    code, stdout, stderr = run_cli(
        "plan", "--stack", "prod", "--stack", "qa", "--project-dir", str(project),
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2
    assert stdout == ""
    assert stderr == (
        "error: Pulumi.qa.yaml: paif:tenants[0].quota.gpu: Input should be greater than or "
        "equal to 0\n"
    )
    assert not (tmp_path / "o").exists()


def test_a_waiver_id_of_the_wrong_shape_is_a_config_error(tmp_path: Path) -> None:
    config = copy.deepcopy(PROD)
    config["paif:waivers"][0]["rule"] = "CAP-002"
    project = write_project(tmp_path / "p", {"prod": config})
    code, _, stderr = run_cli(
        "plan", "--stack", "prod", "--project-dir", str(project), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert stderr == (
        "error: Pulumi.prod.yaml: paif:waivers[0].rule: String should match pattern "
        "'^PAIF-[A-Z]+-\\d{3}$'\n"
    )


def test_a_waiver_for_an_unknown_rule_is_a_gov_001_finding(tmp_path: Path) -> None:
    """Decision: a well-formed id the catalogue does not know is a policy finding, not exit 2.

    The catalogue is the policy pack's (config models never import paif_policies, and ``pulumi up``
    runs without the pack), so PAIF-GOV-001 judges it: the waiver waives nothing (fail closed)
    and the finding blocks production (exit 1) while dev only reports it.
    """
    config = copy.deepcopy(PROD)
    config["paif:waivers"].append(
        {
            "rule": "PAIF-XYZ-999",
            "resource": "*",
            "reason": "a rule from a pack version we do not run",
            "owner": "platform-team@example.com",
            "expires": "2027-06-30",
        }
    )
    project = write_project(tmp_path / "p", {"prod": config})
    out = tmp_path / "o"
    code, stdout, stderr = run_cli(
        "plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out), "--quiet"
    )
    assert (code, stderr) == (1, "")
    message = (
        "paif:waivers[1] (PAIF-XYZ-999 on *) names unknown rule 'PAIF-XYZ-999'; it waives nothing"
    )
    assert message in stdout
    findings = json.loads((out / "prod" / "plan.json").read_text())["policy"]["violations"]
    failing = [
        (f["ruleId"], f["enforcement"], f["message"])
        for f in findings
        if not f.get("waived") and f["enforcement"] == "mandatory"
    ]
    assert failing == [("PAIF-GOV-001", "mandatory", message)]
