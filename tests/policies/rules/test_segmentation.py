"""PAIF-MT-004 (network rules name their sources and ports) and PAIF-MT-005 (declared
destinations in production) on compliant and violating stacks, through the real analyzer."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from paif_cli.mock_runtime import ProgramResult
from paif_policies.rules.segmentation import network_rules
from tests.support.policy import check, plan, plan_rows, run_site
from tests.support.stacks import load_example

SITE: dict[str, Any] = {
    "site": "seoul-primary",
    "environment": "prod",
    "waivers": [],
    "harborHost": "harbor.primary.example.com",
    "backupLocations": {"s3-backup-dr": {"site": "busan-dr", "encrypted": True}},
}
APP = {"matchLabels": {"paif.vmware.com/tier": "app"}}
HTTPS = [{"protocol": "TCP", "port": 443}]


def network_policy(name: str, spec: dict[str, Any], target: str = "") -> None:
    metadata: dict[str, Any] = {"name": name, "namespace": "marketing-ns"}
    if target:
        metadata["annotations"] = {"paif.vmware.com/target": target}
    k8s.networking.v1.NetworkPolicy(f"{target}{name}", metadata=metadata, spec=spec)


def security_policy(name: str, rules: list[dict[str, Any]]) -> None:
    k8s.apiextensions.CustomResource(
        name,
        api_version="crd.nsx.vmware.com/v1alpha1",
        kind="SecurityPolicy",
        metadata={"name": name, "namespace": "marketing-ns"},
        spec={"priority": 10, "rules": rules},
    )


def run(build: Any, environment: str = "prod") -> ProgramResult:
    return run_site({**SITE, "environment": environment}, build)


# --- PAIF-MT-004 ----------------------------------------------------------------------------


def test_the_open_app_door_fails_naming_the_object() -> None:
    """The held-back case: ``ingress: [{}]`` (every source, every port)."""

    def build() -> None:
        network_policy("allow-app", {"podSelector": APP, "ingress": [{}]})

    assert check(run(build), "PAIF-MT-004") == [
        (
            "mandatory",
            "allow-app",
            "NetworkPolicy marketing-ns/allow-app: ingress[0] admits every source on every "
            "port; name the sources and ports (paif:network.appTier for the app tier)",
        )
    ]
    assert [row[0] for row in check(run(build, "dev"), "PAIF-MT-004")] == ["advisory"]


@pytest.mark.parametrize(
    ("peer", "ports", "found"),
    [
        ({"ipBlock": {"cidr": "0.0.0.0/0"}}, HTTPS, "admits every address (0.0.0.0/0)"),
        ({"ipBlock": {"cidr": "::/0"}}, HTTPS, "admits every address (::/0)"),
        ({"namespaceSelector": {}}, HTTPS, "admits every pod of every namespace"),
        (
            {"namespaceSelector": {}, "podSelector": {}},
            HTTPS,
            "admits every pod of every namespace",
        ),
        ({"podSelector": APP}, None, "on every port"),
        ({"podSelector": APP}, [{"protocol": "TCP"}], "on every port"),
    ],
)
def test_an_ingress_rule_open_to_everyone_or_every_port_fails(
    peer: dict[str, Any], ports: list[dict[str, Any]] | None, found: str
) -> None:
    rule: dict[str, Any] = {"from": [peer]}
    if ports is not None:
        rule["ports"] = ports

    def build() -> None:
        network_policy("allow-app", {"podSelector": APP, "ingress": [rule]})

    [(_, _, message)] = check(run(build), "PAIF-MT-004")
    assert message.startswith(f"NetworkPolicy marketing-ns/allow-app: ingress[0] {found}")


def test_named_sources_on_named_ports_pass() -> None:
    def build() -> None:
        network_policy(
            "allow-app",
            {
                "podSelector": APP,
                "ingress": [
                    {"from": [{"ipBlock": {"cidr": "10.10.0.32/28"}}], "ports": HTTPS},
                    {"from": [{"podSelector": APP}], "ports": HTTPS},
                    # every address but a few is still everyone else: judged by its cidr only
                    # when nothing is excepted
                    {
                        "from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                        "ports": HTTPS,
                    },
                ],
                "egress": [{"to": [{"podSelector": APP}], "ports": HTTPS}],
            },
        )

    assert check(run(build), "PAIF-MT-004") == []


def test_an_egress_rule_to_every_port_fails() -> None:
    def build() -> None:
        network_policy(
            "allow-app", {"podSelector": APP, "egress": [{"to": [{"podSelector": APP}]}]}
        )

    [(_, _, message)] = check(run(build), "PAIF-MT-004")
    assert message.startswith("NetworkPolicy marketing-ns/allow-app: egress[0] opens every port")


def test_an_nsx_rule_without_sources_fails_and_a_drop_rule_is_the_default_deny() -> None:
    applied = [{"podSelector": APP}]

    def build() -> None:
        security_policy(
            "marketing-segmentation",
            [
                {"name": "allow-app-ingress", "direction": "In", "action": "allow",
                 "appliedTo": applied},
                {"name": "allow-app-from-edge", "direction": "Ingress", "action": "Allow",
                 "appliedTo": applied, "from": [{"ipBlocks": [{"cidr": "10.10.0.32/28"}]}],
                 "ports": HTTPS},
                {"name": "default-deny-in", "direction": "In", "action": "drop",
                 "appliedTo": applied},
            ],
        )  # fmt: skip

    assert check(run(build), "PAIF-MT-004") == [
        (
            "mandatory",
            "marketing-segmentation",
            "SecurityPolicy marketing-ns/marketing-segmentation: rule 'allow-app-ingress' admits "
            "every source on every port; name the sources and ports (paif:network.appTier for "
            "the app tier)",
        )
    ]


# --- PAIF-MT-005 ----------------------------------------------------------------------------


def test_https_to_any_address_fails_in_production_listing_what_to_declare() -> None:
    def build() -> None:
        network_policy(
            "allow-ai",
            {
                "podSelector": {"matchLabels": {"paif.vmware.com/tier": "ai"}},
                "egress": [
                    {"to": [{"podSelector": APP}], "ports": HTTPS},
                    {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": HTTPS},
                ],
            },
        )
        network_policy("allow-dns", {"podSelector": {}, "egress": [{"ports": HTTPS}]})

    declare = (
        "declare paif:network.egress: dnsServers (the Supervisor workload network's DNS "
        "servers), harbor (the addresses of harbor.primary.example.com), backupLocations "
        "(s3-backup-dr: its object store), and modelStore and externalApis where the tenants "
        "use them"
    )
    assert check(run(build), "PAIF-MT-005") == [
        (
            "mandatory",
            "allow-ai",
            "NetworkPolicy marketing-ns/allow-ai lets workloads open connections to any address: "
            f"egress[1] (TCP 443 to every address (0.0.0.0/0)); {declare}",
        ),
        (
            "mandatory",
            "allow-dns",
            "NetworkPolicy marketing-ns/allow-dns lets workloads open connections to any "
            f"address: egress[0] (TCP 443 to any destination); {declare}",
        ),
    ]
    assert {row[0] for row in check(run(build, "staging"), "PAIF-MT-005")} == {"advisory"}


def test_an_app_namespace_of_a_vks_cluster_is_not_judged_for_destinations() -> None:
    def build() -> None:
        network_policy(
            "allow-backend-to-services",
            {"podSelector": APP, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                             "ports": HTTPS}]},
            target="marketing-apps",
        )  # fmt: skip

    assert check(run(build), "PAIF-MT-005") == []


def test_nsx_rules_to_any_destination_fail() -> None:
    def build() -> None:
        security_policy(
            "marketing-segmentation",
            [{"name": "allow-dns", "direction": "Out", "action": "allow",
              "appliedTo": [{"podSelector": {}}],
              "ports": [{"protocol": "UDP", "port": 53}]}],
        )  # fmt: skip

    [(_, _, message)] = check(run(build), "PAIF-MT-005")
    assert message.startswith(
        "SecurityPolicy marketing-ns/marketing-segmentation lets workloads open connections to "
        "any address: rule 'allow-dns' (UDP 53 to any destination); declare paif:network.egress"
    )


# --- the example stacks and the held-back production stack -----------------------------------


def test_every_rule_of_both_kinds_is_read() -> None:
    class Resource:
        props = {  # noqa: RUF012
            "kind": "SecurityPolicy",
            "spec": {"rules": [
                {"name": "a", "direction": "Egress", "action": "allow",
                 "to": [{"podSelector": APP}], "ports": HTTPS},
                {"direction": "In", "action": "allow", "sources": [{"podSelector": APP}]},
                {"name": "deny", "direction": "In", "action": "drop"},
            ]},
        }  # fmt: skip

    assert list(network_rules(Resource())) == [
        ("rule 'a'", "Out", [{"podSelector": APP}], HTTPS),
        ("rules[1]", "In", [{"podSelector": APP}], []),
    ]


def test_the_example_stacks_pass_both_rules(example_out: Path) -> None:
    for stack in ("prod", "dr"):
        planned = json.loads((example_out / stack / "plan.json").read_text())
        found = [
            v
            for v in planned["policy"]["violations"]
            if v["ruleId"] in ("PAIF-MT-004", "PAIF-MT-005")
        ]
        assert found == [], stack


@pytest.fixture(scope="module")
def prod_without_egress(tmp_path_factory: pytest.TempPathFactory) -> Any:
    config = copy.deepcopy(load_example("prod"))
    del config["paif:network"]["egress"]
    return plan(tmp_path_factory.mktemp("no-egress"), config)


def test_a_production_stack_without_egress_destinations_fails(prod_without_egress: Any) -> None:
    rows = plan_rows(prod_without_egress, "PAIF-MT-005")
    # Per tenant (marketing, hr, dev): allow-dns, allow-ai, allow-data and the SecurityPolicy;
    # blocking for the prod tenants, advice for dev, judged by its own tier (§9.1.1).
    assert len(rows) == 12
    by_tier = {
        e for e, message in rows if not any(f" {n}-ns/" in message for n in ("marketing", "hr"))
    }
    assert {e for e, message in rows if " dev-ns/" not in message} == {"mandatory"}
    assert by_tier == {"advisory"}
    assert any(
        message.startswith("NetworkPolicy marketing-ns/allow-ai lets workloads open connections")
        and "egress[2] (TCP 443 to every address (0.0.0.0/0))" in message
        and "harbor (the addresses of harbor.primary.example.com)" in message
        and "backupLocations (s3-backup-dr: its object store)" in message
        for _, message in rows
    )
    # The plan's verdict: exit 1 (mandatory findings), and no others than these.
    assert {f.rule_id for f in prod_without_egress.mandatory_failures} == {"PAIF-MT-005"}


def test_the_same_stack_outside_production_keeps_the_open_defaults_with_an_advisory(
    tmp_path: Path,
) -> None:
    config = copy.deepcopy(load_example("prod"))
    del config["paif:network"]["egress"]
    config["paif:environment"] = "staging"
    rows = plan_rows(plan(tmp_path, config), "PAIF-MT-005")
    assert len(rows) == 12 and {enforcement for enforcement, _ in rows} == {"advisory"}
