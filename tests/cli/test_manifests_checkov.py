"""A widely used Kubernetes scanner, checkov, over both example plans' manifests.

checkov runs once per test session (it takes seconds to start) over one folder holding a copy
of ``out/prod/manifests``, ``out/dr/manifests`` and a canary: one Deployment as an app was
rendered before pods were hardened. The examples must pass every check; the canary must fail
the hardening checks, which shows the scanner really looked.

checkov lives in its own venv (``.venv/checkov``, ``make install``): it pins ``packaging<24``,
pulumi needs ``packaging>=26``. ``PAIF_CHECKOV`` may name another checkov executable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.stacks import ROOT

CHECKOV = Path(os.environ.get("PAIF_CHECKOV", ROOT / ".venv" / "checkov" / "bin" / "checkov"))
# The scanner's whole run, both stacks at once; measured 10-15 s on the 2-core CI machine.
CHECKOV_BUDGET_SECONDS = 120
CANARY = "canary"
# The checks an unhardened app Deployment fails (the 28 findings were these).
HARDENING_CHECKS = {
    "CKV_K8S_22",  # read-only root filesystem
    "CKV_K8S_23",  # root containers
    "CKV_K8S_29",  # pod and container security context
    "CKV_K8S_38",  # service-account token mounted
    "CKV_K8S_40",  # UID below 10000
    "CKV_K8S_43",  # image without digest
}
UNHARDENED = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "frontend", "namespace": "canary"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "frontend"}},
        "template": {
            "metadata": {"labels": {"app": "frontend"}},
            "spec": {
                "containers": [
                    {
                        "name": "frontend",
                        "image": "harbor.primary.example.com/marketing/chat-frontend:2.3.1",
                        "imagePullPolicy": "IfNotPresent",
                        "resources": {
                            "requests": {"cpu": "500m", "memory": "512Mi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                    }
                ]
            },
        },
    },
}


@dataclass(frozen=True)
class CheckovRun:
    root: Path
    report: dict[str, Any]
    seconds: float

    def checks(self, outcome: str) -> list[dict[str, Any]]:
        return list(self.report["results"][f"{outcome}_checks"])

    def stack_of(self, check: dict[str, Any]) -> str:
        return Path(check["file_abs_path"]).relative_to(self.root).parts[0]


@pytest.fixture(scope="session")
def checkov(example_out: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckovRun:
    if not CHECKOV.is_file():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make install`", pytrace=False)
    root = tmp_path_factory.mktemp("scan")
    for stack in ("prod", "dr"):
        shutil.copytree(example_out / stack / "manifests", root / stack)
        # The Secrets (placeholder values, kept apart from what is applied) are scanned too.
        shutil.copytree(example_out / stack / "secrets", root / stack / "secrets")
    (root / CANARY).mkdir()
    (root / CANARY / "deployment-frontend.yaml").write_text(yaml.safe_dump(UNHARDENED))
    start = time.monotonic()
    done = subprocess.run(
        [
            *(str(CHECKOV), "--framework", "kubernetes", "-d", str(root), "--skip-download"),
            *("--output", "json", "--no-fail-on-crash"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
        check=False,
    )
    seconds = time.monotonic() - start
    print(f"\ncheckov over both example stacks: {seconds:.1f} s")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert isinstance(report, dict), "one framework, one report"
    return CheckovRun(root, report, seconds)


def test_checkov_fails_nothing_in_either_example_stack(checkov: CheckovRun) -> None:
    failed = [
        (checkov.stack_of(c), c["check_id"], c["resource"])
        for c in checkov.checks("failed")
        if checkov.stack_of(c) != CANARY
    ]
    assert failed == []
    assert checkov.report["summary"]["parsing_errors"] == 0


def test_checkov_scanned_every_workload_of_both_stacks(
    checkov: CheckovRun, example_out: Path
) -> None:
    scanned = {(checkov.stack_of(c), c["resource"]) for c in checkov.checks("passed")}
    for stack in ("prod", "dr"):
        for path in (example_out / stack / "manifests").glob("*/*.yaml"):
            obj = yaml.safe_load(path.read_text())
            if obj["kind"] in ("Deployment", "Service", "ServiceAccount", "Ingress"):
                meta = obj["metadata"]
                resource = ".".join([obj["kind"], meta.get("namespace", "default"), meta["name"]])
                assert (stack, resource) in scanned, (stack, resource)
    # The hardening checks themselves passed on the app Deployments.
    passed = {
        c["check_id"]
        for c in checkov.checks("passed")
        if c["resource"] == "Deployment.marketing-ns.frontend"
    }
    assert passed >= HARDENING_CHECKS


def test_checkov_flags_an_unhardened_deployment(checkov: CheckovRun) -> None:
    canary = {c["check_id"] for c in checkov.checks("failed") if checkov.stack_of(c) == CANARY}
    assert canary >= HARDENING_CHECKS


def test_checkov_stays_within_its_time_budget(checkov: CheckovRun) -> None:
    assert checkov.seconds < CHECKOV_BUDGET_SECONDS
