"""plan.json's records: the document and its resources, written and read back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from paif_components.contract.finding import Finding
from paif_components.contract.plan import PlanDocument, ResourceRecord

SITE = ResourceRecord(
    urn="urn:pulumi:prod::paif::paif:site:PaifSite::seoul",
    type="paif:site:PaifSite",
    name="seoul",
    custom=False,
    inputs={"site": "seoul", "drRole": "primary"},
)
QUOTA = ResourceRecord(
    urn="urn:pulumi:prod::paif::paif:site:PaifSite$kubernetes:core/v1:ResourceQuota::q",
    type="kubernetes:core/v1:ResourceQuota",
    name="q",
    parent=SITE.urn,
    provider="urn:pulumi:prod::paif::pulumi:providers:kubernetes::k8s::id",
    inputs={"spec": {"hard": {"requests.nvidia.com/gpu": "4"}}},
    secret_paths=["spec.token"],
    protect=True,
    retain_on_delete=True,
    depends_on=[SITE.urn],
    aliases=["urn:old"],
    import_id="ns/q",
)
DOCUMENT = PlanDocument(
    stack="prod",
    project="paif",
    stack_file="Pulumi.prod.yaml",
    environment="prod",
    resources=[SITE, QUOTA],
    outputs={"site": "seoul", "password": "[secret]"},
    secret_outputs=["password"],
    findings=[Finding("PAIF-HA-001", "mandatory", QUOTA.urn, "1 < 2", "high")],
    estimates={"role": "primary", "rto": {"seconds": 900}},
)


def test_the_document_keeps_plan_json_s_order_and_names() -> None:
    document = DOCUMENT.to_json()
    assert list(document) == [
        "stack",
        "project",
        "stackFile",
        "environment",
        "resources",
        "outputs",
        "secretOutputs",
        "policy",
        "estimates",
    ]
    assert list(document["resources"][1]) == [
        "urn",
        "type",
        "name",
        "parent",
        "custom",
        "provider",
        "inputs",
        "secretPaths",
        "protect",
        "retainOnDelete",
        "dependsOn",
        "aliases",
        "importId",
    ]
    assert "importId" not in document["resources"][0]  # only an adopted object has one
    assert document["policy"] == {"violations": [DOCUMENT.findings[0].to_json()]}


ENGINE_OPTIONS = {
    "ignoreChanges": ["spec"],
    "deleteBeforeReplace": False,
    "additionalSecretOutputs": ["data"],
    "customTimeouts": {"create": 600.0},
    "propertyDependencies": {"spec": [SITE.urn]},
}


def test_engine_options_are_written_only_when_set_and_read_back() -> None:
    """Options the recorder does not record (a caller of the analyzer sets them): plan.json
    has none of them then, each that is set otherwise, and reads them back."""
    assert not set(ENGINE_OPTIONS) & set(QUOTA.to_json())
    live = replace(
        QUOTA,
        ignore_changes=("spec",),
        delete_before_replace=False,
        additional_secret_outputs=("data",),
        custom_timeouts={"create": 600.0},
        property_dependencies={"spec": (SITE.urn,)},
    )
    written = live.to_json()
    assert {key: written[key] for key in ENGINE_OPTIONS} == ENGINE_OPTIONS
    assert ResourceRecord.from_json(json.loads(json.dumps(written))) == live
    assert ResourceRecord.from_json(QUOTA.to_json()) == QUOTA


def test_round_trip_through_json_text() -> None:
    text = json.dumps(DOCUMENT.to_json())
    assert PlanDocument.from_json(json.loads(text)) == DOCUMENT
    assert json.dumps(PlanDocument.from_json(json.loads(text)).to_json()) == text


def test_an_older_or_partial_plan_still_loads() -> None:
    """``paif diff --base`` reads the plan an older checkout wrote: what is missing or not an
    object reads as empty."""
    raw: dict[str, Any] = {
        "stack": "dr",
        "resources": [{"urn": "u", "type": "t", "name": "n"}, "not a record"],
        "policy": {"violations": [{"ruleId": "R"}, 3]},
        "outputs": None,
    }
    document = PlanDocument.from_json(raw)
    assert document == PlanDocument(
        stack="dr",
        project="",
        stack_file="",
        environment="",
        resources=[ResourceRecord("u", "t", "n")],
        findings=[Finding("R", "", None, "")],
    )
    assert PlanDocument.from_json({}).resources == []


def test_the_example_plans_read_back_to_the_same_text(example_out: Path) -> None:
    """What ``paif plan`` wrote for the example pair, read and written again, is unchanged."""
    for stack in ("prod", "dr"):
        text = (example_out / stack / "plan.json").read_text(encoding="utf-8")
        document = PlanDocument.from_json(json.loads(text))
        assert document.stack == stack
        assert document.resources and document.stack_file == f"Pulumi.{stack}.yaml"
        assert json.loads(json.dumps(document.to_json())) == json.loads(text)
