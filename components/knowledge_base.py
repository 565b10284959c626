"""Knowledge bases and agents of a tenant: configuration records (§9.3.2 item 3).

§9.3.2 item 3: PAIS configuration — model endpoints, agent prompts and parameters, knowledge
base data-source connections — is exported through the PAIS API where it can be, and otherwise
managed as code (IaC/GitOps). PAIS 2.0 keeps knowledge bases, their indexes and data sources,
and agents behind its REST API (``schemas/SOURCES.md``, "PAIS kinds", [REST]), not as
Kubernetes objects: the API authenticates a person's OIDC access token and assigns the ids
(an agent names its index by id), and its published reference leaves the values of some
required fields out (the index refresh policy's types, ``text_splitting``, an agent's
session summarisation strategy) and the data sources' shape entirely. No Pulumi provider
drives it. So the library does not apply them: each is a **configuration record** — a YAML
document in a ConfigMap of the tenant namespace, versioned with the stack, reviewed in a pull
request, recreated from the same commit at the DR site — that a person (PAIS's Data Indexing
and Retrieval and Agent Builder UIs) or a pipeline with an access token applies through that
API. The record names each value by the API field it is for, where the reference names one.

Record shapes (ours, ``apiVersion: paif.vmware.com/v1alpha1``)::

    kind: KnowledgeBaseRecord
    spec:
      appliedThrough: POST /api/v1/control/knowledge-bases (+ .../{id}/indexes) of PAIS
      knowledgeBase: {name, data_origin_type}    # KnowledgeBaseCreateRequest
      index: {embeddings_model_endpoint}          # IndexCreateRequest: the routing name
      dataSource: {type, url, refresh}            # where documents come from, re-index cron
      embedding: {endpoint, routingName, model}   # the tenant's embeddings endpoint
      vectorStore:                                # the tenant's pgvector database (DSM)
        engine: pgvector
        postgresCluster, databaseName, namespace
        passwordSecretRef: {name}                 # DSM's Secret of the database
        extension: vector
        sslMode: verify-full                      # the database's ssl_mode (TLS required)

    kind: AgentRecord
    spec:
      appliedThrough: POST /api/v1/compatibility/openai/v1/assistants of PAIS
      agent: {name, model, instructions}          # AgentCreateRequest (instructions: the prompt)
      completion: {endpoint, routingName, model}
      knowledgeBases: [...]                       # index_id: PAIS assigns it; by name here
      parameters: {temperature, maxTokens}        # the record's; no AgentCreateRequest field

``paif verify`` checks over HTTP what it can of them after deployment (the knowledge base is
available and indexed, the agent exists and answers). Data-source URLs never carry credentials:
connector secrets belong in Kubernetes Secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from paif_components import yaml_text
from paif_components.config.models import Agent as AgentConfig
from paif_components.config.models import KnowledgeBase as KnowledgeBaseConfig
from paif_components.config.models import ModelEndpoint as EndpointConfig
from paif_components.config.models import Tenant
from paif_components.context import SiteContext, target_annotations
from paif_components.contract import tokens
from paif_components.contract.annotations import TENANT_LABEL
from paif_components.errors import ComponentInputError
from paif_components.model_endpoint import routing_name
from paif_components.tenant_namespace import TIER_AI
from paif_components.validation import validate_unless_done
from paif_components.vks_cluster import TIER_LABEL

KNOWLEDGE_BASE_TYPE: Final = tokens.PAIF_KNOWLEDGE_BASE
AGENT_TYPE: Final = tokens.PAIF_AGENT
CONFIG_API_VERSION: Final = "paif.vmware.com/v1alpha1"
CONFIG_LABEL: Final = "paif.vmware.com/config"
KNOWLEDGE_BASE_RECORD: Final = "KnowledgeBaseRecord"
AGENT_RECORD: Final = "AgentRecord"
# The PAIS REST operations a person or pipeline applies the records with (SOURCES.md [REST]).
KNOWLEDGE_BASE_API: Final = "POST /api/v1/control/knowledge-bases (+ .../{id}/indexes) of PAIS"
AGENT_API: Final = "POST /api/v1/compatibility/openai/v1/assistants of PAIS"
KNOWLEDGE_BASE_KEY: Final = "knowledge-base.yaml"
AGENT_KEY: Final = "agent.yaml"
# Kubernetes stores a ConfigMap in etcd, capped at 1 MiB.
CONFIGMAP_MAX_BYTES: Final = 1024 * 1024


def knowledge_base_config_map_name(kb: KnowledgeBaseConfig) -> str:
    return f"kb-{kb.name}"


def agent_config_map_name(agent: AgentConfig) -> str:
    return f"agent-{agent.name}"


def _dump(document: dict[str, Any]) -> str:
    return yaml_text.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _endpoint(tenant: Tenant, name: str) -> EndpointConfig | None:
    return next((e for e in tenant.model_endpoints if e.name == name), None)


def _typed_endpoint(tenant: Tenant, name: str, kind: str, field: str) -> EndpointConfig:
    endpoint = _endpoint(tenant, name)
    if endpoint is None or endpoint.type != kind:
        raise ComponentInputError(
            f"tenant '{tenant.name}'", field, f"{name!r} is not a {kind} endpoint of this tenant"
        )
    return endpoint


def _database_ssl_mode(tenant: Tenant, name: str) -> str:
    """The sslmode the tenant's vector database ``name`` requires of its clients."""
    database = next((d for d in tenant.databases if d.name == name), None)
    if database is None:
        raise ComponentInputError(
            f"tenant '{tenant.name}'",
            "knowledgeBases.database",
            f"names database {name!r}, not declared",
        )
    return database.ssl_mode


def _endpoint_ref(endpoint: EndpointConfig) -> dict[str, str]:
    return {
        "endpoint": endpoint.name,
        "routingName": routing_name(endpoint),
        "model": endpoint.model.ref,
    }


def _labels(ctx: SiteContext, tenant: Tenant, kind: str, name: str) -> dict[str, str]:
    return {
        **ctx.labels,
        TIER_LABEL: TIER_AI,
        TENANT_LABEL: tenant.name,
        CONFIG_LABEL: kind,
        f"paif.vmware.com/{kind}": name,
    }


def _list_path(items: Sequence[Any], name: str, key: str) -> str:
    """The config path (``key[i]``) of the item named ``name``, as errors name the field."""
    index = next((i for i, item in enumerate(items) if item.name == name), 0)
    return f"{key}[{index}]"


def _document(
    kind: str, name: str, tenant: Tenant, ctx: SiteContext, spec: dict[str, Any]
) -> dict[str, Any]:
    """The envelope both kinds share: which tenant and site the document belongs to."""
    return {
        "apiVersion": CONFIG_API_VERSION,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": tenant.namespace,
            "tenant": tenant.name,
            "site": ctx.site.name,
        },
        "spec": spec,
    }


def _check_size(subject: str, field: str, text: str) -> None:
    if len(text.encode()) > CONFIGMAP_MAX_BYTES:
        raise ComponentInputError(
            subject, field, f"renders {len(text.encode())} bytes, over the 1 MiB ConfigMap limit"
        )


# --- knowledge base -------------------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeBaseArgs:
    """One knowledge base of a tenant (its database and embeddings endpoint are the tenant's)."""

    tenant: Tenant
    knowledge_base: KnowledgeBaseConfig
    ctx: SiteContext
    # The PostgresCluster holding the database at this site (a DR copy has its own name).
    database_cluster: str | None = None


def _kb_path(args: KnowledgeBaseArgs) -> str:
    return _list_path(args.tenant.knowledge_bases, args.knowledge_base.name, "knowledgeBases")


def knowledge_base_document(args: KnowledgeBaseArgs) -> dict[str, Any]:
    """The KnowledgeBase document stored in the ConfigMap."""
    tenant, kb, ctx = args.tenant, args.knowledge_base, args.ctx
    embedding = _typed_endpoint(
        tenant, kb.embedding_endpoint, "embeddings", f"{_kb_path(args)}.embeddingEndpoint"
    )
    source = kb.data_source
    spec = {
        "appliedThrough": KNOWLEDGE_BASE_API,
        "knowledgeBase": {
            "name": kb.name,
            "data_origin_type": "DATA_SOURCES" if source is not None else "LOCAL_FILES",
        },
        "index": {"embeddings_model_endpoint": routing_name(embedding)},
        "dataSource": (
            None
            if source is None
            else {"type": source.type, "url": source.url, "refresh": source.refresh}
        ),
        "embedding": _endpoint_ref(embedding),
        "vectorStore": {
            "engine": "pgvector",
            "postgresCluster": args.database_cluster or kb.database,
            "databaseName": kb.database,
            "namespace": tenant.namespace,
            # A reference, never the password: the Secret DSM writes for the PostgresCluster,
            # holding it under ``password`` (pgvector_database.DSM_PASSWORD_KEY), so only its
            # name is written. ConfigMap scanners read any ``key:``, ``secret:`` or
            # ``password:`` line as a credential (trivy KSV-01010, KSV-0109).
            "passwordSecretRef": {"name": args.database_cluster or kb.database},
            "extension": "vector",
            # §9.6.3: the knowledge base connects over TLS as its database requires.
            "sslMode": _database_ssl_mode(tenant, kb.database),
        },
    }
    return _document(KNOWLEDGE_BASE_RECORD, kb.name, tenant, ctx, spec)


def validate_knowledge_base(args: KnowledgeBaseArgs) -> None:
    """The references must resolve inside the tenant; data-source URLs carry no secrets."""
    tenant, kb = args.tenant, args.knowledge_base
    subject, path = f"tenant '{tenant.name}'", _kb_path(args)
    if kb.database not in {d.name for d in tenant.databases}:
        raise ComponentInputError(
            subject, f"{path}.database", f"names database {kb.database!r}, not declared"
        )
    _typed_endpoint(tenant, kb.embedding_endpoint, "embeddings", f"{path}.embeddingEndpoint")
    if kb.data_source is not None:
        parts = urlsplit(kb.data_source.url)
        if parts.username or parts.password:
            raise ComponentInputError(
                subject,
                f"{path}.dataSource.url",
                "carries credentials; keep connector credentials in a Kubernetes Secret, "
                "never in configuration (§9.6.3 identity)",
            )
        if len(kb.data_source.refresh.split()) != 5:
            raise ComponentInputError(
                subject,
                f"{path}.dataSource.refresh",
                f"{kb.data_source.refresh!r} is not a 5-field cron expression",
            )
    _check_size(subject, path, _dump(knowledge_base_document(args)))


class _ConfigDocument(pulumi.ComponentResource):
    """A document rendered as one versioned ConfigMap in the tenant namespace.

    KnowledgeBase and Agent differ only in the document, its key and its labels.
    """

    config_map_name: str
    document: dict[str, Any]

    def _render(
        self,
        name: str,
        *,
        ctx: SiteContext,
        tenant: Tenant,
        component: str,
        item: str,
        config_map_name: str,
        key: str,
        document: dict[str, Any],
    ) -> None:
        self.document = document
        self.config_map_name = config_map_name
        k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self.config_map_name,
                namespace=tenant.namespace,
                labels=_labels(ctx, tenant, component, item),
                annotations=target_annotations(),
            ),
            data={key: _dump(self.document)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"configMap": self.config_map_name, "namespace": tenant.namespace})


class KnowledgeBase(_ConfigDocument):
    """A knowledge base's configuration record, a versioned ConfigMap in the tenant namespace
    for a person or pipeline to apply through the PAIS API (module doc)."""

    def __init__(
        self, name: str, args: KnowledgeBaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_knowledge_base, args)
        super().__init__(KNOWLEDGE_BASE_TYPE, name, None, opts)
        kb = args.knowledge_base
        self._render(
            name,
            ctx=args.ctx,
            tenant=args.tenant,
            component="knowledge-base",
            item=kb.name,
            config_map_name=knowledge_base_config_map_name(kb),
            key=KNOWLEDGE_BASE_KEY,
            document=knowledge_base_document(args),
        )


# --- agent ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentArgs:
    """One agent of a tenant (its completions endpoint and knowledge bases are the tenant's)."""

    tenant: Tenant
    agent: AgentConfig
    ctx: SiteContext


def _agent_path(args: AgentArgs) -> str:
    return _list_path(args.tenant.agents, args.agent.name, "agents")


def agent_document(args: AgentArgs) -> dict[str, Any]:
    """The Agent document stored in the ConfigMap."""
    tenant, agent, ctx = args.tenant, args.agent, args.ctx
    completion = _typed_endpoint(
        tenant, agent.completion_endpoint, "completions", f"{_agent_path(args)}.completionEndpoint"
    )
    spec = {
        "appliedThrough": AGENT_API,
        "agent": {
            "name": agent.name,
            "model": routing_name(completion),
            "instructions": agent.system_prompt,
        },
        "completion": _endpoint_ref(completion),
        "knowledgeBases": list(agent.knowledge_bases),
        "parameters": {"temperature": agent.temperature, "maxTokens": agent.max_tokens},
    }
    return _document(AGENT_RECORD, agent.name, tenant, ctx, spec)


def validate_agent(args: AgentArgs) -> None:
    """The completion endpoint and knowledge bases must be the tenant's own."""
    tenant, agent = args.tenant, args.agent
    subject, path = f"tenant '{tenant.name}'", _agent_path(args)
    _typed_endpoint(tenant, agent.completion_endpoint, "completions", f"{path}.completionEndpoint")
    known = {k.name for k in tenant.knowledge_bases}
    for kb in agent.knowledge_bases:
        if kb not in known:
            raise ComponentInputError(
                subject, f"{path}.knowledgeBases", f"names knowledge base {kb!r}, not declared"
            )
    _check_size(subject, path, _dump(agent_document(args)))


class Agent(_ConfigDocument):
    """An agent's configuration record (prompt, model, knowledge bases, parameters), a
    versioned ConfigMap for a person or pipeline to apply through the PAIS API."""

    def __init__(
        self, name: str, args: AgentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_unless_done(validate_agent, args)
        super().__init__(AGENT_TYPE, name, None, opts)
        agent = args.agent
        self._render(
            name,
            ctx=args.ctx,
            tenant=args.tenant,
            component="agent",
            item=agent.name,
            config_map_name=agent_config_map_name(agent),
            key=AGENT_KEY,
            document=agent_document(args),
        )
