"""Apps wired to their database, endpoints and secrets through the stack
(paif_components.app_wiring), and autoscaled by an HPA (§9.5.1), under the plan's mocks and
through ``paif plan``."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from paif_cli.offline.kubernetes import offline_secret_value
from paif_components.app_wiring import app_wiring, stack_secret_key, validate_app_wiring
from paif_components.autoscaling import app_hpa_spec
from paif_components.config import ConfigError, StackConfig
from paif_components.config.loader import OFFLINE_SECRET_PREFIX
from paif_components.config.models import App, AppConsumes, Tenant
from paif_components.dr.topology import derive_site
from paif_components.errors import ComponentInputError
from tests.support.schema_validation import validate_core_object
from tests.support.stacks import load_example, load_stack, write_project

BACKEND = 1  # the example's apps: frontend, backend


def marketing(stack: StackConfig | None = None) -> Tenant:
    return (stack or load_stack()).tenants[0]


def backend(tenant: Tenant | None = None) -> App:
    return (tenant or marketing()).apps[BACKEND]


def edited_app(tenant: Tenant, **consumes: Any) -> App:
    """The example backend with ``consumes`` keys (snake_case, values as config spells them)
    replaced, validated as config is."""
    app = backend(tenant)
    values = {**app.consumes.model_dump(), **consumes}
    return app.model_copy(update={"consumes": AppConsumes.model_validate(values)})


# --- rendering (pure) -----------------------------------------------------------------------


def test_the_example_backend_reads_its_database_and_chat_endpoint_by_reference() -> None:
    wiring = app_wiring(marketing(), backend(), "https://ai.example.com")
    env = {e["name"]: e["valueFrom"] for e in wiring.env}
    assert all(set(e) == {"name", "valueFrom"} for e in wiring.env), "no plain value anywhere"
    assert {n for n, v in env.items() if "configMapKeyRef" in v} == {
        "DATABASE_HOST",
        "DATABASE_PORT",
        "DATABASE_NAME",
        "DATABASE_USER",
        "DATABASE_SSLMODE",
        "LLAMA_CHAT_URL",
        "LLAMA_CHAT_MODEL",
        "PRODUCT_DOCS_KNOWLEDGE_BASE",
        "LOG_LEVEL",
    }
    assert env["DATABASE_HOST"] == {
        "configMapKeyRef": {"name": "backend-wiring", "key": "DATABASE_HOST"}
    }
    assert env["DATABASE_PASSWORD"] == {
        "secretKeyRef": {"name": "backend-credentials", "key": "database-password"}
    }
    assert env["LLAMA_CHAT_API_TOKEN"] == {
        "secretKeyRef": {"name": "backend-credentials", "key": "llama-chat-api-token"}
    }
    assert wiring.config == {
        "DATABASE_PORT": "5432",
        "DATABASE_NAME": "chat-history",
        "DATABASE_USER": "pgadmin",
        "DATABASE_SSLMODE": "verify-full",
        "LLAMA_CHAT_URL": "https://ai.example.com/v1",
        "LLAMA_CHAT_MODEL": "llama-chat",
        "PRODUCT_DOCS_KNOWLEDGE_BASE": "product-docs",
        "LOG_LEVEL": "info",
    }
    assert wiring.host_key == "DATABASE_HOST" and wiring.database == "chat-history"
    assert wiring.sources_annotation() == (
        "database-password=supervisor:marketing-ns/chat-history#password, "
        "llama-chat-api-token=supervisor:marketing-ns/chat-gateway-token#api_token"
    )


def test_stack_secrets_and_prefixes() -> None:
    tenant = marketing()
    app = edited_app(
        tenant,
        secrets={"SESSION_KEY": "marketingSession", "NGC_API_KEY": "nvidia:ngcKey"},
        database={"name": "chat-history", "envPrefix": "PG"},
        endpoints=[{"name": "llama-chat", "tokenSecret": "t", "envPrefix": "CHAT_"}],
    )
    wiring = app_wiring(tenant, app, "https://gw.example.com/")
    names = [e["name"] for e in wiring.env]
    assert names[:6] == ["PGHOST", "PGPORT", "PGNAME", "PGUSER", "PGSSLMODE", "PGPASSWORD"]
    assert {"CHAT_URL", "CHAT_MODEL", "CHAT_API_TOKEN", "SESSION_KEY", "NGC_API_KEY"} <= set(names)
    assert wiring.config["CHAT_URL"] == "https://gw.example.com/v1"
    stack = [c for c in wiring.credentials if c.source == "stack-secret"]
    assert [(c.key, c.name) for c in stack] == [
        ("SESSION_KEY", "apps:marketingSession"),
        ("NGC_API_KEY", "nvidia:ngcKey"),
    ]
    assert stack_secret_key("x") == "apps:x" and stack_secret_key("a:b") == "a:b"


def test_an_app_that_consumes_nothing_has_no_wiring() -> None:
    tenant = marketing()
    assert not app_wiring(tenant, tenant.apps[0], "https://ai.example.com").wired


# --- validation -----------------------------------------------------------------------------


def _fails(tenant: Tenant, app: App, *, gateway: str | None = "https://ai.example.com",
           secrets: frozenset[str] = frozenset()) -> str:  # fmt: skip
    with pytest.raises(ComponentInputError) as raised:
        validate_app_wiring(
            tenant, BACKEND, app, gateway_url=gateway, secret_keys=secrets, stack_file="P.yaml"
        )
    return str(raised.value)


def test_references_must_resolve_inside_the_tenant() -> None:
    tenant = marketing()
    message = _fails(tenant, edited_app(tenant, database={"name": "orders"}))
    assert "apps[1].consumes.database" in message and "'orders'" in message
    assert "chat-history" in message and "kb-vectors" in message
    message = _fails(tenant, edited_app(tenant, endpoints=[{"name": "gpt", "tokenSecret": "t"}]))
    assert "apps[1].consumes.endpoints[0].name" in message and "embeddings, llama-chat" in message
    message = _fails(tenant, edited_app(tenant, knowledge_bases=["faq"]))
    assert "apps[1].consumes.knowledgeBases[0]" in message and "product-docs" in message


def test_an_endpoint_needs_somewhere_to_reach_the_gateway() -> None:
    message = _fails(marketing(), backend(), gateway=None)
    assert "paif:network.gatewayUrl" in message and "paif:network.ingress.fqdn" in message


def test_stack_secrets_must_be_set_as_secrets() -> None:
    tenant = marketing()
    app = edited_app(tenant, secrets={"SESSION_KEY": "marketingSession"})
    message = _fails(tenant, app, secrets=frozenset({"apps:other"}))
    assert "apps[1].consumes.secrets.SESSION_KEY" in message
    assert "pulumi config set --secret apps:marketingSession <value>" in message
    assert "P.yaml does not set" in message
    validate_app_wiring(
        tenant,
        BACKEND,
        app,
        gateway_url="https://ai.example.com",
        secret_keys=frozenset({"apps:marketingSession"}),
    )


def test_two_entries_for_one_variable_are_refused() -> None:
    tenant = marketing()
    app = edited_app(tenant, config={"DATABASE_HOST": "elsewhere"})
    assert "DATABASE_HOST would be set twice" in _fails(tenant, app)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"DB_PASSWORD": "x"}, "DB_PASSWORD names a credential"),
        ({"DSN": "postgres://app:s3cret@db:5432/chat"}, "is a URL with a password"),
        ({"AUTH": "Bearer abcdefghijklmnopqrstuvwxyz012345"}, "Authorization header"),
    ],
)
def test_config_refuses_credentials(entry: dict[str, str], problem: str) -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["apps"][BACKEND]["consumes"]["config"] = entry

    with pytest.raises(ConfigError) as raised:
        load_stack(edit=edit)
    text = raised.value.render()
    assert "tenants[0].apps[1].consumes.config" in text and problem in text
    assert "list it under secrets" in text


def test_autoscaling_bounds_are_checked() -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["apps"][BACKEND]["autoscaling"] = {"maxReplicas": 1}

    with pytest.raises(ConfigError) as raised:
        load_stack(edit=edit)
    assert "apps[1].autoscaling.maxReplicas" in raised.value.render()
    assert "1 is below replicas 2" in raised.value.render()


# --- autoscaling ----------------------------------------------------------------------------


def test_the_hpa_scales_on_cpu_and_request_rate_gradually() -> None:
    spec = app_hpa_spec(backend())
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "backend",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    assert spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70},
            },
        },
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "http_requests_per_second"},
                "target": {"type": "AverageValue", "averageValue": "20"},
            },
        },
    ]
    assert spec["behavior"]["scaleUp"]["policies"] == [
        {"type": "Pods", "value": 1, "periodSeconds": 30}
    ]
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    frontend = app_hpa_spec(marketing().apps[0])
    assert [m["type"] for m in frontend["metrics"]] == ["Resource"]


def test_the_dr_derivation_scales_app_autoscalers_like_the_rest() -> None:
    prod, dr = load_stack("prod"), load_stack("dr")
    warm = derive_site(dr, prod, stack="dr").config.tenants[0]
    scaling = {a.name: a.autoscaling for a in warm.apps}
    assert scaling["backend"].max_replicas == 2 and scaling["frontend"].max_replicas == 2

    def failed_over(values: dict[str, Any]) -> None:
        values["paif:dr"]["failover"] = True

    full = derive_site(load_stack("dr", failed_over), prod, stack="dr").config.tenants[0]
    assert {a.name: a.autoscaling.max_replicas for a in full.apps} == {
        "frontend": 6,
        "backend": 6,
    }

    def pilot(values: dict[str, Any]) -> None:
        values["paif:dr"]["pattern"] = "pilot-light"

    def pilot_prod(values: dict[str, Any]) -> None:
        values["paif:dr"]["pattern"] = "pilot-light"

    none = derive_site(load_stack("dr", pilot), load_stack("prod", pilot_prod), stack="dr")
    assert none.config.tenants[0].apps == []


def test_the_app_quota_fits_the_autoscaling_maximum() -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["apps"][BACKEND]["autoscaling"]["maxReplicas"] = 48

    from paif_components.app_namespace import check_apps_fit

    tenant = marketing(load_stack(edit=edit))
    with pytest.raises(ComponentInputError) as raised:
        check_apps_fit(tenant, "marketing-apps", list(enumerate(tenant.apps)))
    assert "quota.pods" in str(raised.value) and "autoscaling.maxReplicas" in str(raised.value)


# --- the plan -------------------------------------------------------------------------------


def _manifests(out: Path, stack: str, target: str) -> dict[str, dict[str, Any]]:
    """A target's objects as ``paif plan`` wrote them: manifests/ and, apart, secrets/."""
    folders = [out / stack / kind / target for kind in ("manifests", "secrets")]
    docs = [yaml.safe_load(p.read_text()) for f in folders for p in sorted(f.glob("*.yaml"))]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs if d}


def test_the_plan_holds_the_wired_deployment_and_what_it_references(example_out: Path) -> None:
    objects = _manifests(example_out, "prod", "marketing-apps")
    deployment = objects["Deployment/backend"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    refs = {
        (kind, ref["name"], ref["key"])
        for e in container["env"]
        for kind, ref in e["valueFrom"].items()
    }
    for kind, name, key in refs:
        target = objects[f"{'ConfigMap' if kind == 'configMapKeyRef' else 'Secret'}/{name}"]
        assert key in target["data"], (kind, name, key)
    secret = objects["Secret/backend-credentials"]
    assert secret["data"] == {"database-password": "[secret]", "llama-chat-api-token": "[secret]"}
    config = objects["ConfigMap/backend-wiring"]["data"]
    assert config["DATABASE_HOST"] == "chat-history.marketing-ns.dsm.offline.invalid"
    for name in ("ConfigMap/backend-wiring", "Secret/backend-credentials", "Deployment/backend"):
        validate_core_object(objects[name])
    hpa = objects["HorizontalPodAutoscaler/backend"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    validate_core_object(hpa)
    dr = _manifests(example_out, "dr", "marketing-apps")
    assert dr["HorizontalPodAutoscaler/backend"]["spec"]["maxReplicas"] == 2
    assert "Secret/backend-credentials" in dr
    # Applied by hand, the copy is made with each value read where the stack reads it.
    readme = (example_out / "prod" / "secrets" / "README.md").read_text()
    assert (
        "create secret generic backend-credentials --from-literal=database-password="
        '"$(kubectl --context supervisor -n marketing-ns get secret chat-history '
        "-o jsonpath='{.data.password}' | base64 -d)\""
    ) in readme


def test_the_readme_reads_each_copied_key_where_the_stack_reads_it() -> None:
    from paif_cli.write import credential_sources

    sources = credential_sources(
        "prod",
        {
            "paif.vmware.com/credential-sources": (
                "DB=supervisor:t-ns/db#password, CA=supervisor:t-ns/tls#ca.crt, KEY=config:apps:key"
            )
        },
    )
    assert sources == {
        "DB": '"$(kubectl --context supervisor -n t-ns get secret db '
        "-o jsonpath='{.data.password}' | base64 -d)\"",
        # A dotted key is escaped for jsonpath, or kubectl would read .data.ca's crt.
        "CA": '"$(kubectl --context supervisor -n t-ns get secret tls '
        "-o jsonpath='{.data.ca\\.crt}' | base64 -d)\"",
        "KEY": '"$(pulumi config get --stack prod apps:key)"',
    }
    assert credential_sources("prod", {}) == {}


def test_the_supervisor_secrets_are_read_not_written(example_out: Path) -> None:
    plan = json.loads((example_out / "prod" / "plan.json").read_text())
    reads = sorted(
        r["urn"].rsplit("::", 1)[-1]
        for r in plan["resources"]
        if r["type"] == "kubernetes:core/v1:Secret" and r["urn"].endswith("-read")
    )
    assert reads == [
        "seoul-primary-marketing-chat-gateway-token-read",
        "seoul-primary-marketing-chat-history-read",
    ]
    manifests = example_out / "prod" / "manifests" / "supervisor"
    assert not [p for p in manifests.glob("*.yaml") if "chat-history-read" in p.name]


def test_a_stack_secret_reaches_the_copy_and_no_file(tmp_path: Path) -> None:
    from paif_cli.main import main

    config = load_example("prod")
    app = config["paif:tenants"][0]["apps"][BACKEND]
    app["consumes"]["secrets"] = {"SESSION_KEY": "marketingSession"}
    config["apps:marketingSession"] = {"secure": "v1:AAAAAAAAAAAAAAAAAAAAAAAA"}
    project = write_project(tmp_path / "p", {"prod": config})
    out = tmp_path / "out"
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out", str(out),
                 "--quiet", "--format", "none"])  # fmt: skip
    assert code == 0
    secret = _manifests(out, "prod", "marketing-apps")["Secret/backend-credentials"]
    assert secret["data"]["SESSION_KEY"] == "[secret]"
    assert (
        "SESSION_KEY=config:apps:marketingSession"
        in (secret["metadata"]["annotations"]["paif.vmware.com/credential-sources"])
    )
    readme = (out / "prod" / "secrets" / "README.md").read_text()
    assert (
        '--from-literal=SESSION_KEY="$(pulumi config get --stack prod apps:marketingSession)"'
        in (readme)
    )
    placeholder = offline_secret_value("marketing-ns", "chat-history", "password")
    values = (
        placeholder,
        base64.b64decode(placeholder).decode(),
        f"{OFFLINE_SECRET_PREFIX}apps:marketingSession",
    )
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not [v for v in values if v in text], path


def test_a_missing_stack_secret_stops_the_plan_with_its_path(tmp_path: Path) -> None:
    from paif_cli.main import main

    config = load_example("prod")
    config["paif:tenants"][0]["apps"][BACKEND]["consumes"]["secrets"] = {"K": "nowhere"}
    project = write_project(tmp_path / "p", {"prod": config})
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--out",
                 str(tmp_path / "out"), "--quiet", "--format", "none"])  # fmt: skip
    assert code == 2


def test_secret_files_put_no_credential_in_the_environment(run_pulumi: Any) -> None:
    from paif_components.tenant_apps import TenantApps, TenantAppsArgs, render_deployment
    from tests.support.stacks import site_context

    tenant = marketing()
    app = edited_app(tenant, secret_files="/var/run/secrets/app")
    tenant = tenant.model_copy(update={"apps": [tenant.apps[0], app]})
    args = TenantAppsArgs(
        tenant=tenant,
        cluster="marketing-apps",
        ctx=site_context(load_stack()),
        gateway_url="https://ai.example.com",
        credentials={"backend": {"database-password": "cA==", "llama-chat-api-token": "dA=="}},
    )
    pod = render_deployment(args, app)["template"]["spec"]
    container = pod["containers"][0]
    files = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    assert files == {
        "DATABASE_PASSWORD_FILE": "/var/run/secrets/app/database-password",
        "LLAMA_CHAT_API_TOKEN_FILE": "/var/run/secrets/app/llama-chat-api-token",
    }
    assert not [e for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})]
    assert {"name": "credentials", "mountPath": "/var/run/secrets/app", "readOnly": True} in (
        container["volumeMounts"]
    )
    assert {
        "name": "credentials",
        "secret": {"secretName": "backend-credentials", "defaultMode": 0o400},
    } in pod["volumes"]
    assert args.wiring(app).deployment_annotations() == {}
    assert "checkov.io/skip2" in args.wiring(backend()).deployment_annotations()

    def program() -> None:
        TenantApps("apps", args)

    records = {r.name: r for r in run_pulumi(program, stack="prod").resources}
    deployment = records["apps-backend"].inputs
    assert "checkov.io/skip2" not in deployment["metadata"]["annotations"]
    validate_core_object({"apiVersion": "apps/v1", "kind": "Deployment", **deployment})


def test_credentials_not_supplied_are_refused_before_anything_registers() -> None:
    from paif_components.tenant_apps import TenantAppsArgs, validate_tenant_apps
    from tests.support.stacks import site_context

    args = TenantAppsArgs(
        tenant=marketing(),
        cluster="marketing-apps",
        ctx=site_context(load_stack()),
        gateway_url="https://ai.example.com",
    )
    with pytest.raises(ComponentInputError) as raised:
        validate_tenant_apps(args)
    assert "apps[1].consumes" in str(raised.value)
    assert "database-password, llama-chat-api-token" in str(raised.value)
    validate_tenant_apps(args, credentials=False)
