"""PAIF-SEC-014: credentials reach pods only from Secrets, never in a ConfigMap or a plain env
value; the example stacks' wired apps pass, held-back cases fail, offline and live."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from paif_components.secret_values import looks_like_a_secret_value
from tests.support.policy import ProgramResult, check, run_site

RULE = "PAIF-SEC-014"
SITE: dict[str, Any] = {"site": "seoul-primary", "environment": "prod", "waivers": []}
NAMESPACE = "marketing-apps-ns"
DB_PASSWORD = "Chat-History-Pw-7f3a9c"


def deployment(name: str, env: list[dict[str, Any]]) -> None:
    k8s.apps.v1.Deployment(
        name,
        metadata={"name": name, "namespace": NAMESPACE},
        spec={
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": "h/p/r:1", "env": env}]},
            },
        },
    )


def run(build: Any) -> ProgramResult:
    return run_site(SITE, build)


def test_the_examples_pass(example_out: Path) -> None:
    """The wired examples: every credential is a secretKeyRef (paif plan exits 0 with the
    whole pack; here the rule itself reports nothing on the prod plan's records)."""
    import json

    records = json.loads((example_out / "prod" / "plan.json").read_text())["resources"]
    assert check(records, RULE) == []


def test_wired_by_reference_passes() -> None:
    def build() -> None:
        k8s.core.v1.Secret(
            "creds",
            metadata={"name": "backend-credentials", "namespace": NAMESPACE},
            data={"database-password": pulumi.Output.secret(base64.b64encode(b"x" * 12).decode())},
        )
        k8s.core.v1.ConfigMap(
            "wiring",
            metadata={"name": "backend-wiring", "namespace": NAMESPACE},
            data={"DATABASE_HOST": "db.example.com", "LOG_LEVEL": "info"},
        )
        deployment(
            "backend",
            [
                {
                    "name": "DATABASE_PASSWORD",
                    "valueFrom": {
                        "secretKeyRef": {"name": "backend-credentials", "key": "database-password"}
                    },
                },
                {"name": "LOG_LEVEL", "value": "info"},
            ],
        )

    assert check(run(build), RULE) == []


def test_held_back_cases_fail() -> None:
    """A Pulumi secret rendered into a ConfigMap and an env value, a URL with a password, a
    bearer token, and a Secret's value copied out: each named with its path."""

    def build() -> None:
        token = pulumi.Output.secret("gateway-token-value")
        k8s.core.v1.ConfigMap(
            "leaky",
            metadata={"name": "backend-config", "namespace": NAMESPACE},
            data={
                "dsn": "postgresql://pgadmin:s3cret-pw@chat-history:5432/chat",
                "gateway": token,
                "model": "llama-chat",
            },
        )
        deployment(
            "backend",
            [
                {"name": "GATEWAY", "value": token},
                {"name": "HEADERS", "value": "Authorization: Bearer abcdefghijklmnop0123456789"},
                {"name": "MODEL", "value": "llama-chat"},
            ],
        )

    assert check(run(build), RULE) == [
        (
            "mandatory",
            "backend",
            "Deployment marketing-apps-ns/backend passes secret values as plain env values: "
            "GATEWAY (spec.template.spec.containers[0].env[0].value) is a Pulumi secret rendered "
            "in plain text; HEADERS (spec.template.spec.containers[0].env[1].value) holds an "
            "Authorization header's credential. They are stored readable in the object: read "
            "them from a Secret instead (env[].valueFrom.secretKeyRef)",
        ),
        (
            "mandatory",
            "leaky",
            "ConfigMap marketing-apps-ns/backend-config holds secret values: data.dsn is a URL "
            "with a password (postgresql://pgadmin:…@…); data.gateway is a Pulumi secret "
            "rendered in plain text. A ConfigMap is readable to anyone who may get it: put the "
            "value in a Secret and reference it (valueFrom.secretKeyRef, a secret volume)",
        ),
    ]


def test_a_value_copied_out_of_a_secret_is_found_live() -> None:
    """Live, the analyzer hands the policy plaintext: a ConfigMap value equal to a Secret's
    value is a copy of the credential, whatever the key is called."""

    def build() -> None:
        k8s.core.v1.Secret(
            "creds",
            metadata={"name": "backend-credentials", "namespace": NAMESPACE},
            data={"database-password": pulumi.Output.secret("placeholder")},
        )
        k8s.core.v1.ConfigMap(
            "copy",
            metadata={"name": "backend-config", "namespace": NAMESPACE},
            data={"db": "placeholder"},
        )

    live = [r.to_json() for r in run(build).resources]
    for record in live:
        if record["name"] == "creds":
            record["inputs"]["data"] = {
                "database-password": base64.b64encode(DB_PASSWORD.encode()).decode()
            }
            record["secretPaths"] = []
        if record["name"] == "copy":
            record["inputs"]["data"] = {"db": DB_PASSWORD}
    assert check(live, RULE) == [
        (
            "mandatory",
            "copy",
            "ConfigMap marketing-apps-ns/backend-config holds secret values: data.db is the "
            "value of a Secret of this stack. A ConfigMap is readable to anyone who may get "
            "it: put the value in a Secret and reference it (valueFrom.secretKeyRef, a secret "
            "volume)",
        )
    ]


def test_outside_production_it_advises() -> None:
    def build() -> None:
        k8s.core.v1.ConfigMap(
            "leaky",
            metadata={"name": "c", "namespace": NAMESPACE},
            data={"dsn": "mysql://u:p4ss@h/db"},
        )

    rows = check(run_site({**SITE, "environment": "dev"}, build), RULE)
    assert [r[0] for r in rows] == ["advisory"]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "holds a PEM private key"),
        ("-----BEGIN CERTIFICATE-----\nMIIE", None),
        ("https://ai.example.com/v1", None),
        ("https://user@host/x", None),
        ("amqp://guest:guest@rabbit:5672/", "is a URL with a password (amqp://guest:…@…)"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXZhbHVl", "holds a JSON Web Token"),
        ("Basic dXNlcjpwYXNzd29yZDEyMzQ1", "holds an Authorization header's credential"),
        ("info", None),
    ],
)
def test_what_reads_as_a_credential(value: str, why: str | None) -> None:
    assert looks_like_a_secret_value(value) == why
