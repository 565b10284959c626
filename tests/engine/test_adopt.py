"""Day 2 on an existing site, with the real CLI and the Python language host: a stack set to
adopt finds what the site already holds (``existing_site.json``, played by the stand-in
provider), ``paif adopt`` shows what the first ``up`` will change and pins the import ids, the
``up`` imports (no create, no replace) and enforces the declared settings, a setting changed by
hand is drift in ``pulumi preview --refresh``, and ``destroy`` leaves every adopted object on the
site. The tests build on each other."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.harness import Project
from tests.engine.sites import (
    Layout,
    Site,
    engine_config,
    settle_database_hosts,
    stack_secrets,
    start_site,
)

HERE = Path(__file__).resolve().parent
SITE_TYPES = {
    "vsphere:index/computeCluster:ComputeCluster",
    "vsphere:index/contentLibrary:ContentLibrary",
    "vsphere:index/virtualMachineClass:VirtualMachineClass",
    "vsphere:index/zone:Zone",
    "vsphere:index/namespace:Namespace",
    "harbor:index/project:Project",
}
IMPORTED = {
    "vsphere:index/computeCluster:ComputeCluster": ["gpu-wld-01"],
    "vsphere:index/contentLibrary:ContentLibrary": ["gpu-wld-01-dlvm"],
    "harbor:index/project:Project": ["dev", "hr", "marketing"],
}


class ExistingSite:
    """The stand-in's copy of ``existing_site.json``: the site the stack adopts from."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def document(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())

    def state(self, type_: str, name: str) -> dict[str, Any]:
        [obj] = [
            o
            for o in self.document()["objects"]
            if o["type"] == type_ and o["state"]["name"] == name
        ]
        return obj["state"]

    def objects(self) -> set[tuple[str, str]]:
        return {(o["type"], o["id"]) for o in self.document()["objects"]}

    def edit(self, type_: str, name: str, **changes: Any) -> None:
        document = self.document()
        for obj in document["objects"]:
            if obj["type"] == type_ and obj["state"]["name"] == name:
                obj["state"].update(changes)
        self.path.write_text(json.dumps(document, indent=2))


@pytest.fixture(scope="module")
def existing(tmp_path_factory: pytest.TempPathFactory) -> ExistingSite:
    path = tmp_path_factory.mktemp("site") / "site.json"
    shutil.copy(HERE / "existing_site.json", path)
    return ExistingSite(path)


def adopting_config(site: Site) -> dict[str, Any]:
    """The prod example at staging (adopted objects retained, not protected: destroy runs),
    adopting every kind (what the provider cannot import is referenced)."""
    config = engine_config("prod", site)
    config["paif:environment"] = "staging"
    config["paif:ownership"] = {"default": "adopt"}
    return config


@pytest.fixture(scope="module")
def adopting(
    workspace: dict[str, Any],
    etcd: Any,
    namespaces: Layout,
    existing: ExistingSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Project, Site]]:
    site = start_site(etcd, "adopt", tmp_path_factory.mktemp("adopt-api"), namespaces)
    env = {**workspace["env"], "PAIF_STANDIN_SITE": str(existing.path)}
    project = Project.create(workspace["base"] / "adopt", env, workspace["pack"])
    project.init_stack("adopt", adopting_config(site), stack_secrets(site))
    try:
        yield project, site
    finally:
        site.stop()


def _paif(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    paif = Path(sys.executable).parent / "paif"
    return subprocess.run(
        [str(paif), *args, "--project-dir", str(project.directory)],
        cwd=project.directory,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _stack_file(project: Project, stack: str) -> dict[str, Any]:
    return yaml.safe_load((project.directory / f"Pulumi.{stack}.yaml").read_text())["config"]


def test_paif_adopt_shows_what_the_first_up_changes_and_pins_the_import_ids(
    adopting: tuple[Project, Site], existing: ExistingSite
) -> None:
    project, _ = adopting
    before = existing.document()
    result = _paif(project, "adopt", "--stack", "adopt")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Stack adopt (Pulumi.adopt.yaml): 5 object(s) to adopt, 8 referenced" in out
    assert (
        "computeCluster gpu-wld-01 (import id /dc-primary/host/gpu-wld-01): "
        "imported by the first `pulumi up`" in out
    ), out
    # What the site has that the stack does not declare: the first up changes it.
    assert 'drsAutomationLevel: declared "fullyAutomated", live "partiallyAutomated"' in out
    assert 'haAdmissionControlPolicy: declared "resourcePercentage", live "disabled"' in out
    assert "haAdmissionControlHostFailureTolerance: declared 1, live (not set)" in out
    assert '"automaticSync": true' in out and '"automaticSync": false' in out
    assert (
        "harborProjects marketing (import id /projects/7): imported by the first `pulumi up`\n"
        "      vulnerabilityScanning: declared true, live false" in out
    )
    assert (
        "harborProjects hr (import id /projects/8): imported by the first `pulumi up`\n"
        "      the live object matches the declared settings" in out
    )
    assert "referenced (looked up by name, never managed): namespaces dev-ns," in out
    # Nothing on the site changed: the preview only read it.
    assert existing.document() == before
    # The import ids are in the stack file now, as the site spells them.
    assert _stack_file(project, "adopt")["paif:ownership"]["importIds"] == {
        "computeCluster": {"gpu-wld-01": "/dc-primary/host/gpu-wld-01"},
        "contentLibrary": {"gpu-wld-01-dlvm": "5a1c7f0e-3b2d-4e6f-8a9b-0c1d2e3f4a5b"},
        "harborProjects": {"dev": "/projects/9", "hr": "/projects/8", "marketing": "/projects/7"},
    }
    # Not settled while differences remain: --exit-code says so, and writes nothing twice.
    again = _paif(project, "adopt", "--stack", "adopt", "--exit-code")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "wrote paif:ownership" not in again.stdout


def _ops(steps: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for step in steps["steps"]:
        state = step.get("newState") or step.get("oldState") or {}
        type_ = state.get("type") or step["urn"].split("::")[2].split("$")[-1]
        if type_ in SITE_TYPES:
            name = (state.get("inputs") or {}).get("name") or step["urn"].rsplit("::", 1)[-1]
            out.setdefault((type_, name), []).append(step["op"])
    return out


def test_up_imports_without_create_or_replace_and_enforces_the_declared_settings(
    adopting: tuple[Project, Site], existing: ExistingSite
) -> None:
    project, site = adopting
    objects = existing.objects()
    result, steps = project.preview_steps("adopt")
    assert result.returncode == 0, result.stderr[-4000:]
    ops = _ops(steps)
    # Importable kinds are imported (and updated where the site differs); nothing of the
    # site's kinds is created or replaced; VM classes, zone and namespaces are not declared.
    assert ops == {
        (type_, name): ["import", "update"]
        if (name, type_) != ("hr", "harbor:index/project:Project")
        and (name, type_) != ("dev", "harbor:index/project:Project")
        else ["import"]
        for type_, names in IMPORTED.items()
        for name in names
    }
    project.pulumi("up", "--stack", "adopt", "--yes", "--skip-preview")
    assert existing.objects() == objects, "the up created or deleted objects of the site"
    cluster = existing.state("vsphere:index/computeCluster:ComputeCluster", "gpu-wld-01")
    assert cluster["drsAutomationLevel"] == "fullyAutomated"
    assert cluster["haAdmissionControlPolicy"] == "resourcePercentage"
    assert cluster["haAdmissionControlHostFailureTolerance"] == 1
    library = existing.state("vsphere:index/contentLibrary:ContentLibrary", "gpu-wld-01-dlvm")
    assert library["subscription"]["automaticSync"] is True
    project_state = existing.state("harbor:index/project:Project", "marketing")
    assert project_state["vulnerabilityScanning"] is True
    # The tenants' Kubernetes objects went into the namespaces the site already had.
    assert site.supervisor.get("/api/v1/namespaces/marketing-ns/resourcequotas")["items"]
    state = json.loads(project.pulumi("stack", "export", "--stack", "adopt").stdout)
    adopted = [
        r for r in state["deployment"]["resources"] if r["type"] in SITE_TYPES and r.get("custom")
    ]
    assert len(adopted) == 5
    assert all(r.get("retainOnDelete") and r.get("importID") for r in adopted), adopted
    # DSM reports its databases' hosts; the stack carries them to what is wired to them.
    settle_database_hosts(project, "adopt", site.supervisor)
    project.pulumi("preview", "--stack", "adopt", "--expect-no-changes")


def test_a_setting_changed_by_hand_is_drift_that_preview_refresh_shows(
    adopting: tuple[Project, Site], existing: ExistingSite
) -> None:
    project, _ = adopting
    existing.edit(
        "vsphere:index/computeCluster:ComputeCluster", "gpu-wld-01", drsAutomationLevel="manual"
    )
    # Without --refresh the engine compares with its state: it sees nothing.
    project.pulumi("preview", "--stack", "adopt", "--expect-no-changes")
    drift = project.pulumi(
        "preview", "--stack", "adopt", "--refresh", "--expect-no-changes", "--diff", check=False
    )
    assert drift.returncode != 0
    assert "drsAutomationLevel" in drift.stdout and '"manual"' in drift.stdout, drift.stdout[-3000:]
    # The stack puts its setting back.
    project.pulumi("up", "--stack", "adopt", "--refresh", "--yes", "--skip-preview")
    cluster = existing.state("vsphere:index/computeCluster:ComputeCluster", "gpu-wld-01")
    assert cluster["drsAutomationLevel"] == "fullyAutomated"
    project.pulumi("preview", "--stack", "adopt", "--refresh", "--expect-no-changes")


def test_destroy_leaves_every_adopted_object_on_the_site(
    adopting: tuple[Project, Site], existing: ExistingSite
) -> None:
    project, site = adopting
    objects = existing.objects()
    project.pulumi("destroy", "--stack", "adopt", "--yes", "--skip-preview")
    assert existing.objects() == objects
    # What the stack created is gone.
    assert not site.supervisor.get("/api/v1/namespaces/marketing-ns/resourcequotas")["items"]
    state = json.loads(project.pulumi("stack", "export", "--stack", "adopt").stdout)
    assert not state["deployment"].get("resources")


def test_a_profile_the_hosts_do_not_offer_fails_the_preview_clearly(
    adopting: tuple[Project, Site],
) -> None:
    project, site = adopting
    config = copy.deepcopy(adopting_config(site))
    config["paif:workloadDomain"]["vgpuProfiles"].append("nvidia_a100-5c")
    project.init_stack("noprofile", config, stack_secrets(site))
    result = project.pulumi("preview", "--stack", "noprofile", check=False)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert (
        "Pulumi.noprofile.yaml: workload domain 'gpu-wld-01': workloadDomain.vgpuProfiles[2]: "
        "host 'esxi-gpu-01.primary.example.com' does not offer vGPU profile 'nvidia_a100-5c' "
        "(vCenter lists: nvidia_a100-10c, nvidia_a100-20c, nvidia_a100-40c, nvidia_a100-80c)"
    ) in text
    assert "Traceback" not in text
