"""How an app is told where its data and endpoints are: env from a ConfigMap and a Secret.

An app declares what it consumes (``tenants[].apps[].consumes``, paif_components.config.models):
the tenant's database, model endpoints, knowledge bases, plain config values and stack
secrets. The app runs in a VKS cluster; what it consumes lives in the tenant's Supervisor
namespace (DSM's PostgresCluster and the password Secret DSM writes next to it, the PAIS
gateway and its API-token Secrets). A VKS cluster is a Kubernetes API of its own and no
controller syncs Secrets from the Supervisor into it (a workload cluster's credentials reach
only its own API, not the Supervisor's), so the stack carries them: it reads each source Secret
through the Supervisor's API (``Secret.get``, as it reads a cluster's kubeconfig) and writes one
credentials Secret per app into the app namespace through the cluster's API. The values stay
Pulumi secrets from the read to the copy; the next ``pulumi up`` after DSM or the platform
team rotates a source updates the copy (pods pick a new value up on their next restart).

Per app that consumes anything, in its app namespace:

- ConfigMap ``<app>-wiring``: values that are not credentials: the database's host (once DSM
  reports it in ``status.connection``), port, name, user and sslmode; each endpoint's gateway
  URL and routing name; each knowledge base's name; the free ``config`` values;
- Secret ``<app>-credentials``: ``database-password`` (DSM's ``password``), one
  ``<endpoint>-api-token`` per endpoint (the PAIS API-token Secret's ``api_token``), and each
  stack secret under its environment variable's name; annotated with where each key came from
  (names, never values);
- the Deployment's container gets one ``env`` entry per value, each a ``valueFrom``
  (``configMapKeyRef``/``secretKeyRef``), never a plain ``value``. With ``secretFiles`` the
  credentials Secret is mounted read-only at that directory instead, one file per key, and
  each credential's variable becomes ``<NAME>_FILE`` holding the file's path (the convention
  of the official postgres image and others), so no credential is in the environment at all.
  checkov's CKV_K8S_35 prefers files; a Deployment that reads credentials from env records
  why with a ``checkov.io/skip2`` annotation.

Environment variables: ``<DB>HOST``, ``PORT``, ``NAME``, ``USER``, ``SSLMODE``, ``PASSWORD``
(prefix ``DATABASE_``); ``<EP>URL`` (the OpenAI-compatible base, ``.../v1``), ``<EP>MODEL``,
``<EP>API_TOKEN`` (prefix the endpoint's name, ``LLAMA_CHAT_``); ``<KB>KNOWLEDGE_BASE``; the
config and secret names as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from paif_components.config.models import App, Tenant
from paif_components.errors import ComponentInputError
from paif_components.model_endpoint import routing_name
from paif_components.pgvector_database import (
    DEFAULT_ADMIN_USERNAME,
    DSM_PASSWORD_KEY,
    POSTGRES_PORT,
)

WIRING_SUFFIX: Final = "-wiring"
CREDENTIALS_SUFFIX: Final = "-credentials"
DATABASE_PASSWORD_KEY: Final = "database-password"
# PAIS keeps an API token in a Secret of this type under this key (the PAIS Kubernetes API
# reference, BackendAuth.apiTokenRef); the platform team creates the app's token Secret so.
PAIS_API_TOKEN_TYPE: Final = "pais.vmware.com/api-token-credentials"
PAIS_API_TOKEN_KEY: Final = "api_token"
# §9.2.2: the gateway speaks the OpenAI API under /v1 (/v1/chat/completions, /v1/embeddings).
OPENAI_BASE_PATH: Final = "/v1"
CREDENTIALS_VOLUME: Final = "credentials"
# checkov CKV_K8S_35 ("prefer secrets as files"): skipped with the reason on an app that reads
# its credentials from env (skip1 is the API-access one, paif_components.pod_security).
ENV_SECRETS_SKIP: Final[dict[str, str]] = {
    "checkov.io/skip2": "CKV_K8S_35=credentials reach the container as env valueFrom "
    "secretKeyRef (apps[].consumes); set consumes.secretFiles to mount them as files instead"
}
# Apps' stack secrets live in their own config namespace: ``paif:`` holds only the stack's
# contract (paif_components.config), where an unknown key is a typo.
DEFAULT_SECRET_NAMESPACE: Final = "apps"


def wiring_config_map_name(app: App) -> str:
    return f"{app.name}{WIRING_SUFFIX}"


def credentials_secret_name(app: App) -> str:
    return f"{app.name}{CREDENTIALS_SUFFIX}"


def endpoint_token_key(endpoint: str) -> str:
    return f"{endpoint}-api-token"


def endpoint_env_prefix(name: str, prefix: str | None) -> str:
    return prefix if prefix is not None else re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_"


def knowledge_base_env(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_KNOWLEDGE_BASE"


def stack_secret_key(key: str) -> str:
    """``marketingToken`` -> ``apps:marketingToken``; a namespaced key stays as it is."""
    return key if ":" in key else f"{DEFAULT_SECRET_NAMESPACE}:{key}"


def gateway_base_url(gateway_url: str) -> str:
    return gateway_url.rstrip("/") + OPENAI_BASE_PATH


@dataclass(frozen=True)
class Credential:
    """One key of an app's credentials Secret and where its value comes from.

    ``source``: ``supervisor-secret`` (``namespace``/``name``, key ``source_key``, read from the
    Supervisor) or ``stack-secret`` (``name`` is the config key).
    """

    key: str
    source: str
    name: str
    source_key: str = ""
    namespace: str = ""

    def describe(self) -> str:
        if self.source == "stack-secret":
            return f"{self.key}=config:{self.name}"
        return f"{self.key}=supervisor:{self.namespace}/{self.name}#{self.source_key}"


@dataclass(frozen=True)
class Wiring:
    """What one app is wired to: ConfigMap values, credentials and the env that reads them."""

    app: App
    config: dict[str, str]
    # The ConfigMap key of the database host, filled from DSM's status.connection.
    host_key: str | None
    database: str | None
    credentials: tuple[Credential, ...]
    env: tuple[dict[str, Any], ...]

    @property
    def wired(self) -> bool:
        return bool(self.env)

    @property
    def config_map_name(self) -> str:
        return wiring_config_map_name(self.app)

    @property
    def secret_name(self) -> str:
        return credentials_secret_name(self.app)

    def sources_annotation(self) -> str:
        return ", ".join(c.describe() for c in self.credentials)

    def deployment_annotations(self) -> dict[str, str]:
        """What the Deployment records: why it reads credentials from env, when it does."""
        uses_env = any("secretKeyRef" in e.get("valueFrom", {}) for e in self.env)
        return dict(ENV_SECRETS_SKIP) if uses_env else {}


def _from_config_map(app: App, env: str) -> dict[str, Any]:
    return {
        "name": env,
        "valueFrom": {"configMapKeyRef": {"name": wiring_config_map_name(app), "key": env}},
    }


def _from_secret(app: App, env: str, key: str) -> dict[str, Any]:
    """The credential ``key`` as ``env``; with ``secretFiles``, ``<env>_FILE`` naming its file."""
    directory = app.consumes.secret_files
    if directory is not None:
        return {"name": f"{env}_FILE", "value": f"{directory}/{key}"}
    return {
        "name": env,
        "valueFrom": {"secretKeyRef": {"name": credentials_secret_name(app), "key": key}},
    }


def app_wiring(tenant: Tenant, app: App, gateway_url: str | None) -> Wiring:
    """The wiring of ``app`` (validated first: :func:`validate_app_wiring`)."""
    consumes = app.consumes
    config: dict[str, str] = {}
    credentials: list[Credential] = []
    env: list[dict[str, Any]] = []
    host_key = None
    database = consumes.database
    if database is not None:
        db = _database(tenant, database.name)
        p = database.env_prefix
        host_key = f"{p}HOST"
        config.update(
            {
                f"{p}PORT": str(POSTGRES_PORT),
                f"{p}NAME": db.name,
                f"{p}USER": DEFAULT_ADMIN_USERNAME,
                f"{p}SSLMODE": db.ssl_mode,
            }
        )
        env.append(_from_config_map(app, host_key))
        env += [_from_config_map(app, k) for k in (f"{p}PORT", f"{p}NAME", f"{p}USER")]
        env.append(_from_config_map(app, f"{p}SSLMODE"))
        credentials.append(
            Credential(
                DATABASE_PASSWORD_KEY,
                "supervisor-secret",
                db.name,
                DSM_PASSWORD_KEY,
                tenant.namespace,
            )
        )
        env.append(_from_secret(app, f"{p}PASSWORD", DATABASE_PASSWORD_KEY))
    endpoints = {e.name: e for e in tenant.model_endpoints}
    for consumed in consumes.endpoints:
        p = endpoint_env_prefix(consumed.name, consumed.env_prefix)
        config[f"{p}URL"] = gateway_base_url(gateway_url or "")
        config[f"{p}MODEL"] = routing_name(endpoints[consumed.name])
        env += [_from_config_map(app, f"{p}URL"), _from_config_map(app, f"{p}MODEL")]
        key = endpoint_token_key(consumed.name)
        credentials.append(
            Credential(
                key,
                "supervisor-secret",
                consumed.token_secret,
                PAIS_API_TOKEN_KEY,
                tenant.namespace,
            )
        )
        env.append(_from_secret(app, f"{p}API_TOKEN", key))
    for kb in consumes.knowledge_bases:
        config[knowledge_base_env(kb)] = kb
        env.append(_from_config_map(app, knowledge_base_env(kb)))
    for name, value in consumes.config.items():
        config[name] = value
        env.append(_from_config_map(app, name))
    for name, key in consumes.secrets.items():
        credentials.append(Credential(name, "stack-secret", stack_secret_key(key)))
        env.append(_from_secret(app, name, name))
    return Wiring(
        app=app,
        config=config,
        host_key=host_key,
        database=database.name if database is not None else None,
        credentials=tuple(credentials),
        env=tuple(env),
    )


def _database(tenant: Tenant, name: str) -> Any:
    for db in (*tenant.app_databases, *tenant.databases):
        if db.name == name:
            return db
    raise KeyError(name)


def validate_app_wiring(
    tenant: Tenant,
    index: int,
    app: App,
    *,
    gateway_url: str | None,
    secret_keys: frozenset[str],
    stack_file: str = "the stack file",
) -> None:
    """References resolve inside the tenant, names do not collide, stack secrets are set."""
    subject = f"tenant '{tenant.name}'"
    path = f"apps[{index}].consumes"
    consumes = app.consumes

    def fail(field: str, message: str) -> ComponentInputError:
        return ComponentInputError(subject, f"{path}.{field}", message)

    if consumes.database is not None:
        names = {d.name for d in (*tenant.app_databases, *tenant.databases)}
        if consumes.database.name not in names:
            raise fail(
                "database",
                f"names database {consumes.database.name!r}, which this tenant does not "
                f"declare (appDatabases/databases: {', '.join(sorted(names)) or 'none'})",
            )
    endpoints = {e.name for e in tenant.model_endpoints}
    for i, consumed in enumerate(consumes.endpoints):
        if consumed.name not in endpoints:
            raise fail(
                f"endpoints[{i}].name",
                f"names model endpoint {consumed.name!r}, which this tenant does not declare "
                f"({', '.join(sorted(endpoints)) or 'none'})",
            )
        if not gateway_url:
            raise fail(
                f"endpoints[{i}]",
                "the app calls a model endpoint, but the stack says nowhere where the ML API "
                "gateway answers: set paif:network.gatewayUrl (or paif:network.ingress.fqdn)",
            )
    kbs = {k.name for k in tenant.knowledge_bases}
    for i, kb in enumerate(consumes.knowledge_bases):
        if kb not in kbs:
            raise fail(
                f"knowledgeBases[{i}]",
                f"names knowledge base {kb!r}, which this tenant does not declare "
                f"({', '.join(sorted(kbs)) or 'none'})",
            )
    for name, key in consumes.secrets.items():
        full = stack_secret_key(key)
        if full not in secret_keys:
            raise fail(
                f"secrets.{name}",
                f"names stack secret {full!r}, which {stack_file} does not set as a secret: "
                f"pulumi config set --secret {full} <value>",
            )
    wiring = app_wiring(tenant, app, gateway_url)
    seen: dict[str, int] = {}
    for entry in wiring.env:
        seen[entry["name"]] = seen.get(entry["name"], 0) + 1
    duplicates = sorted(n for n, count in seen.items() if count > 1)
    if duplicates:
        raise fail(
            "config",
            f"environment variable(s) {', '.join(duplicates)} would be set twice: rename a "
            "config or secret entry, or set envPrefix on the database or endpoint",
        )


def wirings(tenant: Tenant, apps: Sequence[App], gateway_url: str | None) -> dict[str, Wiring]:
    """The wiring of each app that consumes anything, by app name."""
    out = {}
    for app in apps:
        wiring = app_wiring(tenant, app, gateway_url)
        if wiring.wired:
            out[app.name] = wiring
    return out


def supervisor_sources(wiring_of: Mapping[str, Wiring]) -> list[tuple[str, str]]:
    """(namespace, name) of every Supervisor Secret the apps read, each once, sorted."""
    return sorted(
        {
            (c.namespace, c.name)
            for w in wiring_of.values()
            for c in w.credentials
            if c.source == "supervisor-secret"
        }
    )
