"""Secrets stay Pulumi secrets end to end and never reach anything the plan writes or prints.

Both example stacks are planned through the CLI with provider credentials declared
``{secure: ...}`` in their stack files, twice:

- as the files say: offline, secure values become ``offline-secret:<key>`` placeholders
  (prod first, then dr on its own, which reads prod's outputs from the out dir);
- with known plaintext test values given as config overrides for those secure keys
  (both stacks in one run, so dr reads prod's outputs from memory).

Then every written file (plan.json, manifests, policy reports, runbook, diagram) and the
terminal output is searched for each secret value, raw and inside any base64 blob, and for the
ciphertexts and placeholders. Separately, each place a secret lives is checked to be a secret
Output: provider inputs, Secret data, registry credentials, component and stack outputs.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import paif_cli.pipeline
from paif_cli.main import main
from paif_cli.offline.harbor import OFFLINE_ROBOT_SECRET_PREFIX
from paif_cli.offline.kubernetes import offline_kubeconfig
from paif_cli.record import StackPlan
from tests.support.stacks import load_example, write_project

SECRET = "[secret]"
SUPERVISOR_TOKEN = "supervisor-token-4e1f9a0b77"
# Plaintext test credentials, given as overrides of the keys the stack files declare secure.
PLAINTEXT: dict[str, str] = {
    "vsphere:password": "vsphere-Pa55-7f3a1c",
    "harbor:password": "harbor-Pa55-92b4de",
    "peerHarbor:password": "peer-harbor-Pa55-0c8e77",
    "kubernetes:kubeconfig": yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "sv", "cluster": {"server": "https://supervisor.example:6443"}}],
            "users": [{"name": "admin", "user": {"token": SUPERVISOR_TOKEN}}],
            "contexts": [{"name": "sv", "context": {"cluster": "sv", "user": "admin"}}],
            "current-context": "sv",
        }
    ),
}
# What `pulumi config set --secret` leaves in the file (never decrypted offline).
CIPHERTEXT = {key: f"v1:CIPHER{index}x9Qe2kLm" for index, key in enumerate(PLAINTEXT)}
PLAIN_CONFIG = {"vsphere:user": "administrator@vsphere.local", "harbor:username": "admin"}
# A credential left in plain text in the dr stack file: PAIF-SEC-004 names the key, never the value.
PLAINTEXT_IN_FILE = ("peerHarbor:password", "plain-peer-Pa55-31d0aa")

# Where each component keeps its secrets (output key → secret, or a mapping of secrets).
SECRET_COMPONENT_OUTPUTS: dict[str, tuple[str, ...]] = {
    "paif:registry:HarborProject": ("robotSecret",),
    "paif:registry:HarborReplicationReceiver": ("robotSecret",),
    "paif:data:PgvectorDatabase": ("connection",),
    "paif:vks:VksCluster": ("kubeconfig",),
    "paif:tenancy:Tenant": ("robotSecret", "databases.*"),
}
# Input keys that look like credentials but hold none (enums of the provider schemas).
# Names of fields that hold no credential: an auth method, a TLS mode, a Secret's name.
NOT_CREDENTIALS = {"authenticationMethod", "clientAuth", "secretName"}
CREDENTIAL_KEY = re.compile(
    r"(password|passwd|token|secret|api[-_]?key|private[-_]?key|kubeconfig)", re.I
)


def stack_config(stack: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    config = load_example(stack) | PLAIN_CONFIG
    config.update({key: {"secure": CIPHERTEXT[key]} for key in PLAINTEXT})
    config.update(extra)
    return config


def write_stacks(directory: Path, dr_extra: Mapping[str, Any] | None = None) -> Path:
    return write_project(
        directory, {"prod": stack_config("prod", {}), "dr": stack_config("dr", dr_extra or {})}
    )


@dataclass
class Run:
    out: Path
    terminal: str
    codes: list[int]
    plans: dict[str, StackPlan]

    def written(self) -> Iterator[tuple[Path, str]]:
        for path in sorted(self.out.rglob("*")):
            if path.is_file():
                yield path, path.read_bytes().decode("utf-8")

    def texts(self) -> Iterator[tuple[str, str]]:
        yield "terminal output", self.terminal
        for path, text in self.written():
            yield str(path.relative_to(self.out)), text


def run_cli(
    monkeypatch: pytest.MonkeyPatch, runs: list[list[str]], overrides: Mapping[str, Any]
) -> Run:
    """Run ``paif plan`` invocations; plan_stack gets ``overrides`` (in the workers of
    ``--jobs`` too: they fork from this process) and the plans ``paif`` writes are kept."""
    plans: dict[str, StackPlan] = {}
    real_plan_stack: Callable[..., StackPlan] = paif_cli.pipeline.plan_stack
    real_plan_stacks: Callable[..., dict[str, StackPlan]] = paif_cli.pipeline.plan_stacks

    def plan_stack(*args: Any, **kwargs: Any) -> StackPlan:
        return real_plan_stack(*args, config_overrides=dict(overrides) or None, **kwargs)

    def plan_stacks(*args: Any, **kwargs: Any) -> dict[str, StackPlan]:
        planned = real_plan_stacks(*args, **kwargs)
        plans.update(planned)
        return planned

    out = Path(runs[0][runs[0].index("--out") + 1])
    terminal = io.StringIO()
    codes = []
    with monkeypatch.context() as patch:
        patch.setattr(paif_cli.pipeline, "plan_stack", plan_stack)
        patch.setattr(paif_cli.pipeline, "plan_stacks", plan_stacks)
        for argv in runs:
            with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
                codes.append(main(argv))
    return Run(out, terminal.getvalue(), codes, plans)


@pytest.fixture(scope="module")
def monkeymodule() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory, monkeymodule: pytest.MonkeyPatch) -> Run:
    """As the files say (placeholders); dr separately, from prod's plan in the out dir."""
    base = tmp_path_factory.mktemp("secrets-offline")
    project = write_stacks(base / "project", {PLAINTEXT_IN_FILE[0]: PLAINTEXT_IN_FILE[1]})
    out = base / "out"
    common = ["--project-dir", str(project), "--out", str(out)]
    return run_cli(
        monkeymodule,
        [["plan", "--stack", "prod", *common], ["plan", "--stack", "dr", *common]],
        {},
    )


@pytest.fixture(scope="module")
def plaintext_run(
    tmp_path_factory: pytest.TempPathFactory, monkeymodule: pytest.MonkeyPatch
) -> Run:
    """Known plaintext values for every secure key; both stacks in one run; JSON findings."""
    base = tmp_path_factory.mktemp("secrets-plaintext")
    project = write_stacks(base / "project")
    argv = ["plan", "--stack", "prod", "--stack", "dr", "--project-dir", str(project)]
    return run_cli(
        monkeymodule, [[*argv, "--out", str(base / "out"), "--format", "json"]], PLAINTEXT
    )


# --- nothing leaks --------------------------------------------------------------------------


def _decoded_blobs(text: str) -> Iterator[str]:
    """Every base64 run in ``text``, decoded (dockerconfigjson auth, Secret data, ...)."""
    for token in re.findall(r"[A-Za-z0-9+/_-]{12,}={0,2}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(token + "=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue
            yield raw.decode("utf-8", errors="ignore")


def leaks(run: Run, needles: Mapping[str, str]) -> list[str]:
    found = []
    for where, text in run.texts():
        blobs = list(_decoded_blobs(text))
        for what, needle in needles.items():
            if needle in text:
                found.append(f"{what} in {where}")
            elif any(needle in blob for blob in blobs):
                found.append(f"{what} (base64) in {where}")
    return found


def robot_secrets(run: Run) -> dict[str, str]:
    """The secrets the offline Harbor answers for this run's robots (computed, never input)."""
    from types import SimpleNamespace

    from paif_cli.offline import COMPUTED

    answer = COMPUTED["harbor:index/robotAccount:RobotAccount"]
    out = {}
    for plan in run.plans.values():
        for record in plan.result.resources:
            if record.type == "harbor:index/robotAccount:RobotAccount":
                state = answer(SimpleNamespace(inputs=record.inputs, name=record.name))
                assert state["secret"].startswith(OFFLINE_ROBOT_SECRET_PREFIX)
                out[f"robot secret of {record.urn}"] = state["secret"]
    return out


def vks_kubeconfigs(run: Run) -> dict[str, str]:
    out = {}
    for plan in run.plans.values():
        for record in plan.result.resources:
            if record.type == "kubernetes:cluster.x-k8s.io/v1beta2:Cluster":
                metadata = record.inputs["metadata"]
                server = offline_kubeconfig(metadata["namespace"], metadata["name"])
                out[f"kubeconfig of {record.name}"] = yaml.safe_load(server)["clusters"][0][
                    "cluster"
                ]["server"]
    return out


def test_the_runs_plan_both_stacks(offline_run: Run, plaintext_run: Run) -> None:
    # The plain-text credential in dr's file is PAIF-SEC-004: the dr run fails the gate.
    assert offline_run.codes == [0, 1]
    assert plaintext_run.codes == [0]
    assert sorted(offline_run.plans) == sorted(plaintext_run.plans) == ["dr", "prod"]
    written = {str(p.relative_to(plaintext_run.out)) for p, _ in plaintext_run.written()}
    assert {
        "prod/plan.json", "dr/plan.json", "prod/policy.sarif", "prod/policy.md",
        "prod/policy.json", "prod/policy-junit.xml", "dr/failover-runbook.md",
        "policy-summary.md", "topology.svg",
    } <= written  # fmt: skip
    assert any(name.startswith("prod/secrets/supervisor/secret-") for name in written)


def test_no_plaintext_secret_is_written_or_printed(plaintext_run: Run) -> None:
    needles = {key: value for key, value in PLAINTEXT.items() if key != "kubernetes:kubeconfig"}
    needles["supervisor kubeconfig token"] = SUPERVISOR_TOKEN
    needles |= robot_secrets(plaintext_run) | vks_kubeconfigs(plaintext_run)
    needles["offline robot secret prefix"] = OFFLINE_ROBOT_SECRET_PREFIX
    needles["offline placeholder"] = "offline-secret:"
    assert len(needles) >= 10, needles
    assert leaks(plaintext_run, needles) == []


def test_no_ciphertext_placeholder_or_plain_file_value_is_written_or_printed(
    offline_run: Run,
) -> None:
    needles = {f"ciphertext of {key}": value for key, value in CIPHERTEXT.items()}
    needles["offline placeholder"] = "offline-secret:"
    needles["plain-text value in the dr file"] = PLAINTEXT_IN_FILE[1]
    needles["offline robot secret prefix"] = OFFLINE_ROBOT_SECRET_PREFIX
    needles |= robot_secrets(offline_run) | vks_kubeconfigs(offline_run)
    assert leaks(offline_run, needles) == []
    # The finding names the key, so the owner knows what to fix.
    sec_004 = [
        f
        for f in json.loads((offline_run.out / "dr" / "plan.json").read_text())["policy"][
            "violations"
        ]
        if f["ruleId"] == "PAIF-SEC-004"
    ]
    assert len(sec_004) == 1 and "peerHarbor:password" in sec_004[0]["message"]


def test_the_leak_search_finds_what_it_looks_for(plaintext_run: Run, tmp_path: Path) -> None:
    """A test that cannot fail is a defect: plant a value, raw and base64, and find it."""
    planted = copy.copy(plaintext_run)
    planted.terminal = "auth: " + base64.b64encode(b"robot:" + b"harbor-Pa55-92b4de").decode()
    planted.out = tmp_path
    (tmp_path / "x.md").write_text("vsphere-Pa55-7f3a1c")
    assert leaks(
        planted, {"h": PLAINTEXT["harbor:password"], "v": PLAINTEXT["vsphere:password"]}
    ) == [
        "h (base64) in terminal output",
        "v in x.md",
    ]


# --- every secret is a secret Output --------------------------------------------------------


def _records(run: Run, stack: str, type_: str) -> list[Any]:
    return [r for r in run.plans[stack].result.resources if r.type == type_]


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_provider_credentials_are_secret_inputs(plaintext_run: Run, stack: str) -> None:
    site = {"prod": "seoul-primary", "dr": "busan-dr"}[stack]
    providers = {
        r.name: r
        for r in plaintext_run.plans[stack].result.resources
        if r.type.startswith("pulumi:providers:")
    }
    expected = {
        f"{site}-vsphere": ("password",),
        f"{site}-harbor": ("password",),
        f"{site}-supervisor": ("kubeconfig",),
    }
    if stack == "prod":  # prod pushes replication to dr's Harbor
        expected[f"{site}-peer-harbor"] = ("password",)
    for name, keys in expected.items():
        record = providers[name]
        for key in keys:
            assert record.inputs[key] == SECRET, (name, key)
            assert key in record.secret_paths, (name, key)
    vks = [r for n, r in providers.items() if n.endswith("-provider")]
    assert vks, "each VKS cluster has its own kubernetes provider"
    for record in vks:
        assert record.inputs == {"kubeconfig": SECRET} and record.secret_paths == ["kubeconfig"]


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_credential_inputs_are_secret_everywhere(plaintext_run: Run, stack: str) -> None:
    """Any input named like a credential holds ``[secret]``, whatever component set it."""
    checked = []

    def walk(value: Any, path: str, record: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = f"{path}.{key}" if path else key
                credential = CREDENTIAL_KEY.search(key) and key not in NOT_CREDENTIALS
                if isinstance(child, str) and credential:
                    assert child == SECRET, (record.urn, child_path)
                    assert child_path in record.secret_paths, (record.urn, child_path)
                    checked.append((record.type, child_path))
                walk(child, child_path, record)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{path}[{index}]", record)

    for record in plaintext_run.plans[stack].result.resources:
        walk(record.inputs, "", record)
    assert ("harbor:index/registry:Registry", "accessSecret") in checked or stack == "dr"
    assert ("pulumi:providers:vsphere", "password") in checked


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_pull_secrets_hold_their_data_as_secrets(plaintext_run: Run, stack: str) -> None:
    secrets = [r for r in _records(plaintext_run, stack, "kubernetes:core/v1:Secret") if r.custom]
    declared = [r for r in secrets if "__read" not in r.inputs]
    pulls = [r for r in declared if r.name.endswith("-pull-secret")]
    assert len(pulls) == 3, [r.name for r in declared]  # one per tenant
    for record in pulls:
        assert record.inputs["stringData"] == SECRET
        assert record.secret_paths == ["stringData"]
    # The wired backend's copy of DSM's password and of its gateway token (app_wiring).
    (credentials,) = [r for r in declared if r not in pulls]
    assert credentials.name.endswith("-backend-credentials")
    assert credentials.inputs["data"] == SECRET
    assert credentials.secret_paths == ["data"]


def test_the_replication_registry_credential_is_secret(plaintext_run: Run) -> None:
    (registry,) = _records(plaintext_run, "prod", "harbor:index/registry:Registry")
    assert registry.inputs["accessSecret"] == SECRET
    # The robot's name is no secret (it is the peer robot's full name, a plain output).
    assert registry.inputs["accessId"].startswith("robot$replicate-from-")
    assert "accessSecret" in registry.secret_paths


def _at(outputs: Mapping[str, Any], key: str) -> list[Any]:
    if key.endswith(".*"):
        value = outputs.get(key[:-2])
        assert isinstance(value, dict), (key, value)
        return list(value.values())
    return [outputs[key]]


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_component_outputs_keep_secrets_secret(plaintext_run: Run, stack: str) -> None:
    plan = plaintext_run.plans[stack]
    seen: dict[str, int] = {}
    for record in plan.result.resources:
        keys = SECRET_COMPONENT_OUTPUTS.get(record.type)
        if keys is None:
            continue
        outputs = plan.result.resource_outputs[record.urn]
        for key in keys:
            for value in _at(outputs, key):
                assert value == SECRET, (record.urn, key, value)
        seen[record.type] = seen.get(record.type, 0) + 1
    expected = {
        "paif:registry:HarborProject": 3,
        "paif:data:PgvectorDatabase": 1,
        "paif:vks:VksCluster": 1,
        "paif:tenancy:Tenant": 3,
    }
    if stack == "prod":
        expected["paif:registry:HarborReplicationReceiver"] = 1
    assert seen == expected


@pytest.mark.parametrize("stack", ["prod", "dr"])
def test_stack_outputs_keep_secrets_secret(plaintext_run: Run, stack: str) -> None:
    plan = json.loads((plaintext_run.out / stack / "plan.json").read_text())
    assert plan["secretOutputs"] == ["tenants"]
    tenants = plan["outputs"]["tenants"]
    assert sorted(tenants) == ["dev", "hr", "marketing"]
    for tenant in tenants.values():
        assert tenant["robotSecret"] == SECRET
        assert all(value == SECRET for value in tenant["databases"].values())
    assert tenants["marketing"]["databases"] == {"kb-vectors": SECRET}


def test_a_stack_reference_keeps_the_peer_outputs_secret(run_pulumi: Any) -> None:
    """dr reads prod through a StackReference: prod's secret outputs stay secret there."""
    import pulumi

    from paif_cli.mock_runtime import PlanMocks

    def program() -> None:
        peer = pulumi.StackReference("prod")
        pulumi.export("tenants", peer.get_output("tenants"))
        pulumi.export("site", peer.get_output("site"))

    mocks = PlanMocks(
        stack_references={"prod": {"tenants": {"hr": {"robotSecret": "s3"}}, "site": "x"}},
        stack_reference_secrets={"prod": ["tenants"]},
    )
    result = run_pulumi(program, stack="dr", mocks=mocks)
    assert result.secret_outputs == ["tenants"]
    assert result.outputs == {"tenants": SECRET, "site": "x"}
