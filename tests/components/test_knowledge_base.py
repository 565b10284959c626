"""KnowledgeBase and Agent configuration rendered as versioned ConfigMaps (§9.3.2 item 3)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from paif_components.config.models import StackConfig
from paif_components.errors import ComponentInputError
from paif_components.knowledge_base import (
    AGENT_TYPE,
    KNOWLEDGE_BASE_TYPE,
    Agent,
    AgentArgs,
    KnowledgeBase,
    KnowledgeBaseArgs,
    validate_agent,
    validate_knowledge_base,
)
from tests.support.programs import registered_before_error
from tests.support.schema_validation import manifest, validate_core_object
from tests.support.stacks import load_stack, site_context

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


def render_all(run_pulumi: Any, cfg: StackConfig) -> Any:
    ctx, tenant = site_context(cfg), cfg.tenants[0]

    def program() -> None:
        for kb in tenant.knowledge_bases:
            KnowledgeBase(
                f"{tenant.name}-{kb.name}",
                KnowledgeBaseArgs(tenant=tenant, knowledge_base=kb, ctx=ctx),
            )
        for agent in tenant.agents:
            Agent(f"{tenant.name}-{agent.name}", AgentArgs(tenant=tenant, agent=agent, ctx=ctx))

    return run_pulumi(program, stack="prod")


def config_map(result: Any, name: str) -> Any:
    matches = [r for r in result.resources if r.type == CONFIG_MAP and r.name == name]
    assert len(matches) == 1, [r.name for r in result.resources]
    return matches[0]


def test_knowledge_base_config_map(run_pulumi, prod) -> None:
    result = render_all(run_pulumi, prod)
    record = config_map(result, "marketing-product-docs-config")
    assert record.inputs["metadata"] == {
        "name": "kb-product-docs",
        "namespace": "marketing-ns",
        "labels": {
            "app.kubernetes.io/managed-by": "pulumi",
            "paif.vmware.com/environment": "prod",
            "paif.vmware.com/site": "seoul-primary",
            "paif.vmware.com/tier": "ai",
            "paif.vmware.com/tenant": "marketing",
            "paif.vmware.com/config": "knowledge-base",
            "paif.vmware.com/knowledge-base": "product-docs",
        },
        "annotations": {"paif.vmware.com/target": "supervisor"},
    }
    document = yaml.safe_load(record.inputs["data"]["knowledge-base.yaml"])
    assert document == {
        "apiVersion": "paif.vmware.com/v1alpha1",
        "kind": "KnowledgeBaseRecord",
        "metadata": {
            "name": "product-docs",
            "namespace": "marketing-ns",
            "tenant": "marketing",
            "site": "seoul-primary",
        },
        "spec": {
            "appliedThrough": ("POST /api/v1/control/knowledge-bases (+ .../{id}/indexes) of PAIS"),
            "knowledgeBase": {"name": "product-docs", "data_origin_type": "DATA_SOURCES"},
            "index": {"embeddings_model_endpoint": "embeddings"},
            "dataSource": {
                "type": "s3",
                "url": "s3://marketing-docs/products",
                "refresh": "0 3 * * *",
            },
            "embedding": {
                "endpoint": "embeddings",
                "routingName": "embeddings",
                "model": "harbor.primary.example.com/marketing/bge-large-en-v1.5:1.0.0",
            },
            "vectorStore": {
                "engine": "pgvector",
                "postgresCluster": "kb-vectors",
                "databaseName": "kb-vectors",
                "namespace": "marketing-ns",
                "passwordSecretRef": {"name": "kb-vectors"},
                "extension": "vector",
                "sslMode": "verify-full",
            },
        },
    }
    validate_core_object(manifest(record.inputs))
    component = next(r for r in result.resources if r.type == KNOWLEDGE_BASE_TYPE)
    assert record.parent == component.urn


def test_agent_config_map(run_pulumi, prod) -> None:
    result = render_all(run_pulumi, prod)
    record = config_map(result, "marketing-product-assistant-config")
    assert record.inputs["metadata"]["name"] == "agent-product-assistant"
    assert record.inputs["metadata"]["labels"]["paif.vmware.com/config"] == "agent"
    document = yaml.safe_load(record.inputs["data"]["agent.yaml"])
    assert document["kind"] == "AgentRecord"
    prompt = "You answer questions about our products using the product documentation only."
    assert document["spec"] == {
        "appliedThrough": "POST /api/v1/compatibility/openai/v1/assistants of PAIS",
        "agent": {"name": "product-assistant", "model": "llama-chat", "instructions": prompt},
        "completion": {
            "endpoint": "llama-chat",
            "routingName": "llama-chat",
            "model": "harbor.primary.example.com/marketing/llama-3.1-8b-instruct:1.0.0",
        },
        "knowledgeBases": ["product-docs"],
        "parameters": {"temperature": 0.2, "maxTokens": 1024},
    }
    validate_core_object(manifest(record.inputs))
    component = next(r for r in result.resources if r.type == AGENT_TYPE)
    assert record.parent == component.urn


def test_rendering_is_stable_for_review(run_pulumi, prod) -> None:
    first = config_map(render_all(run_pulumi, prod), "marketing-product-assistant-config")
    second = config_map(render_all(run_pulumi, prod), "marketing-product-assistant-config")
    assert first.inputs == second.inputs


def test_credentials_in_a_data_source_url_are_rejected(prod) -> None:
    def edit(values: dict[str, Any]) -> None:
        source = values["paif:tenants"][0]["knowledgeBases"][0]["dataSource"]
        source["type"] = "web"
        source["url"] = "https://bot:hunter2@wiki.example.com/products"

    cfg = load_stack(edit=edit)
    tenant = cfg.tenants[0]
    args = KnowledgeBaseArgs(
        tenant=tenant, knowledge_base=tenant.knowledge_bases[0], ctx=site_context(cfg)
    )
    with pytest.raises(ComponentInputError) as err:
        validate_knowledge_base(args)
    assert str(err.value) == (
        "tenant 'marketing': knowledgeBases[0].dataSource.url: carries credentials; keep "
        "connector credentials in a Kubernetes Secret, never in configuration (§9.6.3 identity)"
    )


def test_bad_refresh_cron_is_rejected() -> None:
    def edit(values: dict[str, Any]) -> None:
        values["paif:tenants"][0]["knowledgeBases"][0]["dataSource"]["refresh"] = "daily"

    cfg = load_stack(edit=edit)
    tenant = cfg.tenants[0]
    args = KnowledgeBaseArgs(
        tenant=tenant, knowledge_base=tenant.knowledge_bases[0], ctx=site_context(cfg)
    )
    error, records = registered_before_error(lambda: KnowledgeBase("kb", args))
    assert str(error) == (
        "tenant 'marketing': knowledgeBases[0].dataSource.refresh: 'daily' is not a 5-field "
        "cron expression"
    )
    assert records == []


def test_agent_on_another_tenants_endpoint_is_rejected(prod) -> None:
    tenant = prod.tenants[0]
    agent = tenant.agents[0].model_copy(update={"completion_endpoint": "embeddings"})
    with pytest.raises(ComponentInputError) as err:
        validate_agent(AgentArgs(tenant=tenant, agent=agent, ctx=site_context(prod)))
    assert str(err.value) == (
        "tenant 'marketing': agents[0].completionEndpoint: 'embeddings' is not a completions "
        "endpoint of this tenant"
    )
    stray = tenant.agents[0].model_copy(update={"knowledge_bases": ["hr-policies"]})
    with pytest.raises(ComponentInputError) as err:
        validate_agent(AgentArgs(tenant=tenant, agent=stray, ctx=site_context(prod)))
    assert str(err.value) == (
        "tenant 'marketing': agents[0].knowledgeBases: names knowledge base 'hr-policies', "
        "not declared"
    )


def test_oversized_prompt_is_rejected(prod) -> None:
    tenant = prod.tenants[0]
    agent = tenant.agents[0].model_copy(update={"system_prompt": "x" * (1024 * 1024)})
    with pytest.raises(ComponentInputError, match=r"over the 1 MiB ConfigMap limit$"):
        validate_agent(AgentArgs(tenant=tenant, agent=agent, ctx=site_context(prod)))
