"""The users' workflows with the real Pulumi CLI (docs/engine.md), in order: preview with the
pack, the gate, up twice, the DR stack on prod's real outputs, secrets, destroy, an upgrade of
tenant roles, and a failure half-way through an update. The tests share one backend and build
on each other."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.cluster import ROOT
from tests.engine.harness import Project
from tests.engine.sites import (
    APP_TOKEN,
    SECRETS,
    Site,
    engine_config,
    new_project,
    settle_database_hosts,
    stack_secrets,
    start_site,
)

# Types whose provider runs here for real (docs/engine.md lists them and the stand-in's).
REAL = ("kubernetes:", "pulumi:providers:kubernetes")


@pytest.fixture(scope="module")
def project(workspace: dict[str, Any], sites: dict[str, Site]) -> Project:
    project = new_project(workspace, "paif")
    project.init_stack("prod", engine_config("prod", sites["prod"]), stack_secrets(sites["prod"]))
    project.init_stack("dr", engine_config("dr", sites["dr"]), stack_secrets(sites["dr"]))
    return project


def _registered(steps: Any) -> set[tuple[str, str]]:
    """(type, URN) of what a preview of a new stack would create or read (``Resource.get``)."""
    out = set()
    for step in steps["steps"]:
        if step["op"] in ("create", "read"):
            state = step.get("newState") or {}
            out.add((state.get("type") or step["urn"].split("::")[2].split("$")[-1], step["urn"]))
    return out


def _planned(out: Path, stack: str) -> set[tuple[str, str]]:
    plan = json.loads((out / stack / "plan.json").read_text())
    return {(r["type"], r["urn"]) for r in plan["resources"]}


def test_preview_with_the_pack_passes_and_creates_what_paif_plan_records(project: Project) -> None:
    result, steps = project.preview_steps("prod", "--policy-pack", str(project.pack))
    assert result.returncode == 0, result.stderr[-4000:]
    created = _registered(steps)
    code, out = project.paif_plan("prod")
    assert code == 0
    planned = _planned(out, "prod")
    engine_only = {t for t in created if t[0] != "pulumi:pulumi:Stack"} - planned
    assert engine_only == set()
    assert planned - created == set()
    assert {t for t, _ in created if t.startswith(REAL)}, "nothing went through the real provider"


def _broken(config: dict[str, Any]) -> dict[str, Any]:
    endpoint = config["paif:tenants"][0]["modelEndpoints"][0]
    endpoint["replicas"]["min"] = 1
    return config


def test_the_real_gate_blocks_one_replica_and_paif_plan_agrees(
    workspace: dict[str, Any], sites: dict[str, Site], tmp_path: Path
) -> None:
    project = new_project(workspace, "gate")
    # Stacks share the backend's project namespace: this one is "gate", from prod's config.
    broken = _broken(engine_config("prod", sites["prod"]))
    project.init_stack("gate", broken, stack_secrets(sites["prod"]))
    result = project.pulumi(
        "preview", "--stack", "gate", "--policy-pack", str(project.pack), check=False
    )
    assert result.returncode != 0
    # The CLI's own policy summary: the pack blocked the preview on this rule, at mandatory level.
    assert re.search(r"\[mandatory\].*PAIF-HA-001", result.stdout), result.stdout[-4000:]
    code, _ = project.paif_plan("gate")
    assert code == 1

    config = tmp_path / "advisory.json"
    config.write_text(json.dumps({"PAIF-HA-001": "advisory"}))
    relaxed = ("--policy-pack", str(project.pack), "--policy-pack-config", str(config))
    result = project.pulumi("preview", "--stack", "gate", *relaxed, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"\[advisory\].*PAIF-HA-001", result.stdout), result.stdout[-4000:]
    code, _ = project.paif_plan("gate", extra=("--policy-pack-config", str(config)))
    assert code == 0


def _held_back(config: dict[str, Any]) -> dict[str, Any]:
    """Issue 20's held-back case: warm standby whose vector database is restored from hourly
    backups, against an RPO objective of 2 minutes."""
    config["paif:dr"]["objectives"] = {"rto": "1h", "rpo": "2m"}
    config["paif:tenants"][0]["databases"][0]["dr"] = {"mechanism": "backup-restore"}
    return config


HELD_BACK = (
    "database marketing/kb-vectors (mechanism 'backup-restore'): RPO 1 h exceeds the "
    "objective 2 min"
)


def test_the_real_gate_names_a_database_whose_mechanism_misses_the_rpo_and_paif_plan_agrees(
    workspace: dict[str, Any], sites: dict[str, Site]
) -> None:
    project = new_project(workspace, "heldback")
    config = _held_back(engine_config("prod", sites["prod"]))
    project.init_stack("heldback", config, stack_secrets(sites["prod"]))
    result = project.pulumi(
        "preview", "--stack", "heldback", "--policy-pack", str(project.pack), check=False
    )
    assert result.returncode != 0
    text = result.stdout
    assert re.search(r"\[mandatory\].*PAIF-DR-003", text), text[-4000:]
    assert HELD_BACK in " ".join(text.split()), text[-4000:]
    code, out = project.paif_plan("heldback")
    assert code == 1
    plan = json.loads((out / "heldback" / "plan.json").read_text())
    messages = [v["message"] for v in plan["policy"]["violations"] if v["ruleId"] == "PAIF-DR-003"]
    assert any(m.startswith(HELD_BACK) for m in messages), messages


def test_up_then_a_second_preview_shows_no_changes(
    project: Project, sites: dict[str, Site]
) -> None:
    project.pulumi(
        "up", "--stack", "prod", "--yes", "--skip-preview", "--policy-pack", str(project.pack)
    )
    # The objects are in the API server, as the program declared them.
    supervisor, apps = sites["prod"].supervisor, sites["prod"].clusters["marketing-apps"]
    quota = supervisor.get("/api/v1/namespaces/marketing-ns/resourcequotas")
    assert quota and quota["items"], "no ResourceQuota reached the API server"
    endpoints = supervisor.get(
        "/apis/pais.vmware.com/v1alpha1/namespaces/marketing-ns/modelendpoints"
    )
    assert endpoints and len(endpoints["items"]) == 2
    # The tenant's apps and their fence went to the VKS cluster's own API server, not the
    # Supervisor's namespace of the same name (issue 13).
    assert _names(apps, "/apis/apps/v1/namespaces/marketing-ns/deployments") == {
        "backend",
        "frontend",
    }
    assert _names(apps, "/apis/networking.k8s.io/v1/namespaces/marketing-ns/networkpolicies") == {
        "default-deny",
        "allow-dns",
        "allow-ingress-to-frontend",
        "allow-frontend-to-backend",
        "allow-backend-from-frontend",
        "allow-backend-to-services",
    }
    assert _names(apps, "/api/v1/namespaces/marketing-ns/resourcequotas") == {
        "marketing-apps-quota"
    }
    assert _names(apps, "/api/v1/namespaces/marketing-ns/limitranges") == {"marketing-apps-limits"}
    assert _names(supervisor, "/apis/apps/v1/namespaces/marketing-ns/deployments") == set()
    _assert_backend_is_wired(supervisor, apps)
    # Until DSM reports where a database is, what is wired to it waits for the host (and a
    # preview cannot know it); once reported, a refresh and an up carry it through.
    assert "DATABASE_HOST" not in _wiring(apps)
    settle_database_hosts(project, "prod", supervisor)
    assert _wiring(apps)["DATABASE_HOST"] == "chat-history.marketing-ns.dsm.example"
    configuration = supervisor.get(
        "/apis/pais.vmware.com/v1alpha1/namespaces/marketing-ns/paisconfigurations/default"
    )
    assert configuration["spec"]["database"]["host"] == "kb-vectors.marketing-ns.dsm.example"
    project.pulumi("preview", "--stack", "prod", "--expect-no-changes", "--diff")


def test_a_preview_that_skips_checkpoints_writes_nothing_and_plans_the_same(
    project: Project, workspace: dict[str, Any], sites: dict[str, Site]
) -> None:
    """The documented previews set PULUMI_SKIP_CHECKPOINTS (docs/benchmarks.md): after the `up`
    above, a preview with it and one without leave the stack's state file as it was, and
    plan the same steps (here a change: one more replica at peak for an endpoint)."""
    state = workspace["backend"] / ".pulumi" / "stacks" / "paif" / "prod.json"
    before = state.read_bytes()
    config = engine_config("prod", sites["prod"])
    config["paif:tenants"][0]["modelEndpoints"][1]["replicas"] = {"min": 2, "max": 3}
    path = project.directory / "Pulumi.prod.yaml"
    saved = path.read_text()
    document = yaml.safe_load(saved)
    # The paif: keys only: the secrets stay the ones `config set --secret` encrypted.
    document["config"].update({k: v for k, v in config.items() if k.startswith("paif:")})
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        runs = {
            skip: project.pulumi(
                "preview", "--stack", "prod", "--json",
                env={**project.env, **({"PULUMI_SKIP_CHECKPOINTS": "true"} if skip else {})},
            )
            for skip in (True, False)
        }  # fmt: skip
    finally:
        path.write_text(saved)
    steps = {skip: _steps(json.loads(run.stdout)) for skip, run in runs.items()}
    assert steps[True] == steps[False]
    assert [op for op, _ in steps[True] if op != "same"], "the change planned nothing"
    assert state.read_bytes() == before


def _steps(preview: Any) -> list[tuple[str, str]]:
    return sorted((step["op"], step["urn"]) for step in preview["steps"])


def _wiring(apps: Any) -> dict[str, str]:
    return apps.get("/api/v1/namespaces/marketing-ns/configmaps/backend-wiring")["data"]


def _assert_backend_is_wired(supervisor: Any, apps: Any) -> None:
    """The example backend reads its database and the chat endpoint through the stack (issue
    23): on the VKS cluster, a Deployment whose every variable comes from the wiring ConfigMap
    or the credentials Secret, that Secret holding the values copied from the Supervisor Secrets
    (DSM's password, the PAIS API token), an HPA per app; PAIS configured in the Supervisor."""
    deployment = apps.get("/apis/apps/v1/namespaces/marketing-ns/deployments/backend")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env and all("valueFrom" in e and "value" not in e for e in env), env
    refs = {
        e["name"]: (r["name"], r["key"])
        for e in env
        for r in [e["valueFrom"].get("secretKeyRef") or e["valueFrom"]["configMapKeyRef"]]
    }
    assert refs["DATABASE_PASSWORD"] == ("backend-credentials", "database-password")
    assert refs["LLAMA_CHAT_API_TOKEN"] == ("backend-credentials", "llama-chat-api-token")
    assert refs["LLAMA_CHAT_URL"] == ("backend-wiring", "LLAMA_CHAT_URL")
    secret = apps.get("/api/v1/namespaces/marketing-ns/secrets/backend-credentials")
    copied = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert copied == {
        "database-password": "dsm-admin-of-chat-history",
        "llama-chat-api-token": APP_TOKEN,
    }
    wiring = apps.get("/api/v1/namespaces/marketing-ns/configmaps/backend-wiring")["data"]
    assert wiring["LLAMA_CHAT_URL"] == "https://ai.example.com/v1"
    assert not set(copied.values()) & set(wiring.values()), wiring
    assert _names(
        apps, "/apis/autoscaling/v2/namespaces/marketing-ns/horizontalpodautoscalers"
    ) == {"backend", "frontend"}
    assert _names(
        supervisor, "/apis/pais.vmware.com/v1alpha1/namespaces/marketing-ns/paisconfigurations"
    ) == {"default"}


def _names(api: Any, path: str) -> set[str]:
    listing = api.get(path) or {"items": []}
    return {item["metadata"]["name"] for item in listing["items"]}


def test_the_dr_stack_reads_prods_real_outputs(project: Project, sites: dict[str, Site]) -> None:
    project.pulumi(
        "up", "--stack", "dr", "--yes", "--skip-preview", "--policy-pack", str(project.pack)
    )
    prod = json.loads(project.pulumi("stack", "output", "--stack", "prod", "--json").stdout)
    state = json.loads(project.pulumi("stack", "export", "--stack", "dr").stdout)
    refs = [
        r for r in state["deployment"]["resources"] if r["type"] == "pulumi:pulumi:StackReference"
    ]
    assert len(refs) == 1
    outputs = refs[0]["outputs"]["outputs"]
    assert outputs["modelRefs"] == prod["modelRefs"]
    settle_database_hosts(project, "dr", sites["dr"].supervisor, "--policy-pack", str(project.pack))
    project.pulumi("preview", "--stack", "dr", "--expect-no-changes")


def _provider_types(project: Project, stack: str) -> dict[str, set[str]]:
    """Custom resource types of a stack's state by provider package, reads apart."""
    state = json.loads(project.pulumi("stack", "export", "--stack", stack).stdout)
    out: dict[str, set[str]] = {}
    for resource in state["deployment"]["resources"]:
        if not resource.get("custom") or resource["type"].startswith("pulumi:"):
            continue
        provider_type = resource["provider"].split("::")[2].split("$")[-1]
        package = provider_type.removeprefix("pulumi:providers:")
        key = f"{package} (read)" if resource.get("external") else package
        out.setdefault(key, set()).add(resource["type"])
    return out


def _documented_types() -> dict[str, set[str]]:
    """The lists in docs/engine.md: ``<!-- types: KEY -->`` then one ``- `type``` per line."""
    out: dict[str, set[str]] = {}
    key = None
    for line in (ROOT / "docs" / "engine.md").read_text().splitlines():
        if line.startswith("<!-- types: "):
            key = line.removeprefix("<!-- types: ").removesuffix(" -->")
            out[key] = set()
        elif key is not None and line.startswith("- `"):
            out[key].add(line.split("`")[1])
        elif key is not None and line.strip():
            key = None
    return out


def test_every_resource_type_went_through_the_provider_the_docs_name(project: Project) -> None:
    """docs/engine.md lists which types the real Kubernetes provider created or read and which
    the stand-in answered; both stacks' states after `up` must say exactly that."""
    seen: dict[str, set[str]] = {}
    for stack in ("prod", "dr"):
        for key, types in _provider_types(project, stack).items():
            seen.setdefault(key, set()).update(types)
    assert {"kubernetes", "vsphere", "harbor", "postgresql"} <= set(seen), sorted(seen)
    listing = "\n".join(
        f"<!-- types: {k} -->\n" + "\n".join(f"- `{t}`" for t in sorted(v))
        for k, v in sorted(seen.items())
    )
    assert _documented_types() == seen, f"docs/engine.md should list:\n{listing}"


def _files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_secrets_appear_nowhere_in_plaintext(
    project: Project, workspace: dict[str, Any], sites: dict[str, Site]
) -> None:
    outputs = project.pulumi("stack", "output", "--stack", "prod", "--json").stdout
    kubeconfig_marker = sites["prod"].supervisor.url
    # The stack's secrets, and the Supervisor Secrets' values the program copies into the apps'
    # credentials Secrets (issue 23), plain or base64 as a Secret's data holds them.
    copied = [APP_TOKEN, "dsm-admin-of-chat-history"]
    values = [*SECRETS.values(), *copied, *(base64.b64encode(v.encode()).decode() for v in copied)]
    for value in values:
        assert value not in outputs
        for path in _files_under(workspace["backend"], project.directory):
            text = path.read_bytes()
            assert value.encode() not in text, f"{value} in {path}"
    # The kubeconfig is secret config: the stack file and the state hold it encrypted only.
    state = (workspace["backend"]).rglob("prod.json")
    for path in state:
        assert kubeconfig_marker.encode() not in path.read_bytes(), path


def test_destroy_refuses_the_protected_resources(project: Project) -> None:
    result = project.pulumi("destroy", "--stack", "dr", "--yes", "--skip-preview", check=False)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "protected" in text
    protected = re.findall(r"resource \"?(urn:pulumi:[^\s\"]+)\"? cannot be deleted", text)
    state = json.loads(project.pulumi("stack", "export", "--stack", "dr").stdout)
    marked = {r["urn"] for r in state["deployment"]["resources"] if r.get("protect")}
    assert marked, "nothing is protected in a prod-tier stack"
    assert set(protected) <= marked


def _set_roles(project: Project, stack: str, roles: str | None) -> None:
    """Edit ``tenants[].roles`` in the stack file, keeping its encrypted secrets."""
    path = project.directory / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for tenant in document["config"]["paif:tenants"]:
        if roles is None:
            tenant.pop("roles", None)
        else:
            tenant["roles"] = roles
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def test_a_live_stack_moves_from_builtin_to_scoped_roles(
    workspace: dict[str, Any], etcd: Any, namespaces: Any, tmp_path: Path
) -> None:
    """Upgrading: a RoleBinding's roleRef cannot change in place, so the provider replaces each
    binding, and the groups end up bound to the new Roles (issue 13)."""
    site = start_site(etcd, "roles", tmp_path, namespaces)
    api = site.supervisor
    bindings = "/apis/rbac.authorization.k8s.io/v1/namespaces/marketing-ns/rolebindings"
    try:
        project = new_project(workspace, "roles")
        project.init_stack("roles", engine_config("prod", site), stack_secrets(site))
        _set_roles(project, "roles", "builtin")
        project.pulumi("up", "--stack", "roles", "--yes", "--skip-preview")
        before = {b["metadata"]["name"]: b["roleRef"] for b in api.get(bindings)["items"]}
        assert before["marketing-admin"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "admin",
        }
        _set_roles(project, "roles", None)
        project.pulumi(
            "up", "--stack", "roles", "--yes", "--skip-preview", "--policy-pack", str(project.pack)
        )
        after = {b["metadata"]["name"]: b["roleRef"] for b in api.get(bindings)["items"]}
        assert after == {
            f"marketing-{kind}": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": f"marketing-{kind}",
            }
            for kind in ("admin", "edit", "view")
        }
        roles = api.get("/apis/rbac.authorization.k8s.io/v1/namespaces/marketing-ns/roles")
        assert {r["metadata"]["name"] for r in roles["items"]} == set(after)
        settle_database_hosts(project, "roles", api, "--policy-pack", str(project.pack))
        project.pulumi("preview", "--stack", "roles", "--expect-no-changes")
    finally:
        site.stop()


def test_an_api_server_lost_mid_update_fails_clearly_and_a_second_up_completes(
    workspace: dict[str, Any], etcd: Any, namespaces: Any, tmp_path: Path
) -> None:
    site = start_site(etcd, "failure", tmp_path, namespaces)
    api = site.supervisor
    try:
        project = new_project(workspace, "failure")
        project.init_stack("failure", engine_config("prod", site), stack_secrets(site))
        runner = _Background(project)
        runner.start("up", "--stack", "failure", "--yes", "--skip-preview")
        _wait_for(lambda: bool(api.get("/api/v1/namespaces/marketing-ns/resourcequotas")["items"]))
        api.stop()
        result = runner.result()
        assert result.returncode != 0
        text = result.stdout + result.stderr
        assert "Traceback" not in text, text[-3000:]
        assert re.search(r"connection refused|connect: connection refused|unreachable", text), text[
            -3000:
        ]
        api.start()
        project.pulumi("up", "--stack", "failure", "--yes", "--skip-preview")
        settle_database_hosts(project, "failure", api)
        project.pulumi("preview", "--stack", "failure", "--expect-no-changes")
    finally:
        site.stop()


class _Background:
    """``Project.pulumi`` in a thread, so the test can break the world while it runs."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._result: subprocess.CompletedProcess[str] | None = None

    def start(self, *args: str) -> None:
        import threading

        def run() -> None:
            self._result = self.project.pulumi(*args, check=False)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self) -> subprocess.CompletedProcess[str]:
        self._thread.join(timeout=900)
        assert self._result is not None
        return self._result


def _wait_for(condition: Any, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the API server may not have the namespace yet
            pass
        time.sleep(0.2)
    raise AssertionError("the update never reached the API server")
