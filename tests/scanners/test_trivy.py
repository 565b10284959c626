"""trivy config over the example stacks' manifests: zero failed checks (issue 13).

The real scanner (``make trivy`` builds it from the Go module proxy into ``.tools/bin``; another
binary through ``PAIF_TRIVY``) with its own embedded checks, offline. Each manifest is scanned
alone: scanning a folder, trivy v0.74.0 applies its kind-selected checks KSV-0039 (LimitRange)
and KSV-0040 (ResourceQuota) to every object with a ``spec`` once one file of the folder has
that kind (``pkg/iac/rego/scanner.go``, ``isPolicyApplicable``; aquasecurity/trivy#8635), which
is no finding about the object. The trusted registries of KSV-0125 are the sites' Harbors, read
from the stack files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.support.stacks import ROOT, load_example

STACKS = ("prod", "dr")
TRIVY = Path(os.environ.get("PAIF_TRIVY", ROOT / ".tools" / "bin" / "trivy"))


@pytest.fixture(scope="session")
def trivy() -> Path:
    assert TRIVY.is_file(), f"{TRIVY} is missing: run `make trivy` (or set PAIF_TRIVY)"
    return TRIVY


@pytest.fixture(scope="session")
def config_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """trivy's ``--config-data`` folder: the Harbor hosts as KSV-0125's trusted registries."""
    hosts = sorted({urlsplit(load_example(s)["paif:harbor"]["url"]).hostname for s in STACKS})
    folder = tmp_path_factory.mktemp("trivy-data")
    data = {"ksv0125": {"trusted_registries": hosts}}
    (folder / "data.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def scan(trivy: Path, data: Path, cache: Path, manifest: Path) -> dict:
    done = subprocess.run(
        [
            str(trivy),
            "config",
            "--quiet",
            "--skip-check-update",
            "--cache-dir",
            str(cache),
            "--config-data",
            str(data),
            "--format",
            "json",
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"trivy failed on {manifest}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def failures(report: dict) -> Iterator[tuple[str, str, str]]:
    for result in report.get("Results") or []:
        for finding in result.get("Misconfigurations") or []:
            if finding["Status"] == "FAIL":
                yield result["Target"], finding["ID"], finding["Message"]


# trivy v0.74.0's KSV-01010 takes any ConfigMap value of 3 to 20 capitals or digits for a passport
# number (`patternForIbanAndPassport`, "^[A-Z0-9<]{3,20}$", in its embedded rule), so an app's
# wiring ConfigMap that holds its database port ("5432") is a finding there. A port is no
# personal data; the wiring's credentials live in its Secret, which PAIF-SEC-014 holds by value.
# Only a finding whose every flagged key holds a number is set aside, so a username, an e-mail
# address or a key in a ConfigMap still fails.
NUMERIC_VALUE = re.compile(r"^[0-9]+$")


def only_numbers_flagged(manifest: Path, check: str, message: str) -> bool:
    if check != "KSV-01010":
        return False
    # The message ends with the flagged keys as a Rego set: '{"KEY", "OTHER"}'.
    flagged = re.findall(r'"([^"]*)"', message.rpartition(" '")[2])
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")).get("data") or {}
    return bool(flagged) and all(NUMERIC_VALUE.match(str(data.get(k, ""))) for k in flagged)


def checks_run(report: dict) -> int:
    return sum(
        r["MisconfSummary"]["Successes"] + r["MisconfSummary"]["Failures"]
        for r in report.get("Results") or []
    )


def test_trivy_reports_zero_failed_checks_on_every_example_manifest(
    trivy: Path, config_data: Path, example_out: Path, tmp_path: Path
) -> None:
    # What is applied, and the Secrets kept apart from it (out/<stack>/secrets/).
    manifests = sorted(
        p
        for s in STACKS
        for d in ("manifests", "secrets")
        for p in (example_out / s / d).rglob("*.yaml")
    )
    kinds = {yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] for p in manifests}
    cache = tmp_path / "cache"
    assert {"Deployment", "LimitRange", "ResourceQuota", "Role", "RoleBinding"} <= kinds
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda p: scan(trivy, config_data, cache, p), manifests))
    found = [
        f"{path.relative_to(example_out)}: {check} {message}"
        for path, report in zip(manifests, reports, strict=True)
        for _, check, message in failures(report)
        if not only_numbers_flagged(path, check, message)
    ]
    assert found == []
    # Every manifest was checked, not skipped as an unknown file type.
    assert all(checks_run(report) > 0 for report in reports)


@pytest.mark.parametrize(
    ("document", "check"),
    [
        (
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "people", "namespace": "marketing-ns"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "admin",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ops"}
                ],
            },
            "KSV-0111",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": {"name": "limits", "namespace": "marketing-ns"},
                "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]},
            },
            "KSV-0039",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "kb", "namespace": "marketing-ns"},
                "data": {
                    "kb.yaml": "vectorStore:\n  passwordSecretRef: {name: kb, key: password}\n"
                },
            },
            "KSV-01010",
        ),
    ],
    ids=["admin-binding", "limitrange-without-bounds", "configmap-key-field"],
)
def test_trivy_finds_what_the_library_no_longer_renders(
    trivy: Path, config_data: Path, tmp_path: Path, document: dict, check: str
) -> None:
    """The scanner is live: the shapes the example had before issue 13 still fail."""
    manifest = tmp_path / "object.yaml"
    manifest.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert check in {
        found for _, found, _ in failures(scan(trivy, config_data, tmp_path / "cache", manifest))
    }
