"""PAIF-SEC-008 (images by digest or immutable tag) and PAIF-SEC-010 (pod hardening).

Each rule on compliant and violating tiny programs through the real analyzer, beside a
``paif:site:PaifSite`` stand-in with the site props; the components render what they render,
raw resources stand for what a component would refuse to.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paif_components.config.models import ImmutableTagRule, StackConfig
from paif_components.harbor_registry import HarborProject, HarborProjectArgs
from paif_components.model_endpoint import NIM_API_VERSION, PAIS_API_VERSION, ModelEndpoint
from paif_components.model_endpoint import ModelEndpointArgs as EndpointArgs
from paif_components.pod_security import API_ACCESS_ANNOTATION
from paif_components.tenant_apps import TenantApps
from paif_policies.rules import workloads
from tests.support.policy import ProgramResult, check, evaluate_records, run_site
from tests.support.stacks import load_stack, marketing, site_context, tenant_apps_args

HOST = "harbor.primary.example.com"
DIGEST = "sha256:" + "ab" * 32
SITE: dict[str, Any] = {
    "site": "seoul-primary",
    "environment": "prod",
    "waivers": [],
    "harborHost": HOST,
}
CONTAINERS = "spec.template.spec.containers[0]"


def run(build: Callable[[], None] = lambda: None, **site: Any) -> ProgramResult:
    return run_site({**SITE, **site}, build)


@pytest.fixture(scope="module")
def prod() -> StackConfig:
    return load_stack()


def harbor_project(cfg: StackConfig, rules: list[ImmutableTagRule] | None = None) -> None:
    tenant = marketing(cfg)
    if rules is not None:
        tenant = tenant.model_copy(
            update={"harbor": tenant.harbor.model_copy(update={"immutable_tags": rules})}
        )
    HarborProject("marketing-harbor", HarborProjectArgs(tenant=tenant, ctx=site_context(cfg)))


def endpoints_of(cfg: StackConfig) -> None:
    tenant, ctx = marketing(cfg), site_context(cfg)
    for endpoint in tenant.model_endpoints:
        ModelEndpoint(
            f"{tenant.name}-{endpoint.name}",
            EndpointArgs(tenant=tenant, endpoint=endpoint, ctx=ctx),
        )


def apps_of(cfg: StackConfig) -> None:
    TenantApps("marketing-apps", tenant_apps_args(cfg))


def model(name: str, ref: str) -> None:
    k8s.apiextensions.CustomResource(
        name,
        api_version=PAIS_API_VERSION,
        kind="ModelEndpoint",
        metadata={"name": name, "namespace": "marketing-ns"},
        spec={"model": {"ociRef": ref}},
    )


# --- PAIF-SEC-008 ---------------------------------------------------------------------------


def test_sec_008_the_example_passes(prod: StackConfig) -> None:
    """Apps by digest; models by version tag, which the project's immutability rule covers."""

    def build() -> None:
        harbor_project(prod)
        endpoints_of(prod)
        apps_of(prod)

    result = run(build)
    assert check(result, "PAIF-SEC-008") == []
    rules = [r for r in result.resources if r.type == workloads.HARBOR_IMMUTABLE_TAG_RULE_TYPE]
    assert [r.inputs for r in rules] == [
        {"projectId": rules[0].inputs["projectId"], "repoMatching": "**", "tagMatching": "*.*.*"}
    ]


def test_sec_008_a_version_tag_without_digest_or_immutability_fails_in_prod(
    prod: StackConfig,
) -> None:
    def build() -> None:
        harbor_project(prod, rules=[])
        endpoints_of(prod)

    ref = f"{HOST}/marketing/llama-3.1-8b-instruct:1.0.0"
    rows = check(run(build), "PAIF-SEC-008")
    assert rows[1] == (
        "mandatory",
        "marketing-llama-chat-endpoint",
        f"ModelEndpoint marketing-ns/llama-chat serves model {ref} by tag '1.0.0' without a "
        "digest, and no tag-immutability rule of Harbor project 'marketing' covers it: pin it "
        "by digest (repo:tag@sha256:…) or add tenants[].harbor.immutableTags",
    )
    assert len(rows) == 2
    # Outside production the same references are left alone (the objects carry their tier).
    dev = prod.model_copy(update={"environment": "dev"})

    def build_dev() -> None:
        harbor_project(dev, rules=[])
        endpoints_of(dev)

    assert check(run(build_dev, environment="dev"), "PAIF-SEC-008") == []


@pytest.mark.parametrize(
    ("rule", "covered"),
    [
        (ImmutableTagRule(tags="*.*.*"), True),
        (ImmutableTagRule(repositories="llama-*", tags="{1,2}.*.*"), True),
        (ImmutableTagRule(repositories="bge-*", tags="**"), False),
        (ImmutableTagRule(exclude_repositories="llama-*", tags="**"), False),
        (ImmutableTagRule(tags="v*"), False),
        (ImmutableTagRule(exclude_tags="latest"), True),
        (ImmutableTagRule(exclude_tags="1.*"), False),
    ],
)
def test_sec_008_which_immutability_rules_cover_a_tag(
    prod: StackConfig, rule: ImmutableTagRule, covered: bool
) -> None:
    def build() -> None:
        harbor_project(prod, rules=[rule])
        model("llama", f"{HOST}/marketing/llama-3.1-8b-instruct:1.0.0")

    assert (check(run(build), "PAIF-SEC-008") == []) is covered


def test_sec_008_disabled_rules_and_other_registries_do_not_count() -> None:
    def build() -> None:
        project = harbor.Project("marketing-project", name="marketing")
        harbor.ImmutableTagRule(
            "off", project_id=project.id, repo_matching="**", tag_matching="**", disabled=True
        )
        model("llama", f"{HOST}/marketing/llama:1.0.0")
        model("hub", "docker.io/library/nginx:1.27.0")
        model("unknown-project", f"{HOST}/finance/llama:1.0.0")

    assert check(run(build), "PAIF-SEC-008") == [
        (
            "mandatory",
            "hub",
            "ModelEndpoint marketing-ns/hub serves model docker.io/library/nginx:1.27.0 by tag "
            "'1.27.0' without a digest, and its registry docker.io is not this site's Harbor "
            f"({HOST}): pin it by digest (repo:tag@sha256:…) or add "
            "tenants[].harbor.immutableTags",
        ),
        (
            "mandatory",
            "llama",
            f"ModelEndpoint marketing-ns/llama serves model {HOST}/marketing/llama:1.0.0 by tag "
            "'1.0.0' without a digest, and no tag-immutability rule of Harbor project "
            "'marketing' covers it: pin it by digest (repo:tag@sha256:…) or add "
            "tenants[].harbor.immutableTags",
        ),
        (
            "mandatory",
            "unknown-project",
            f"ModelEndpoint marketing-ns/unknown-project serves model {HOST}/finance/llama:1.0.0 "
            "by tag '1.0.0' without a digest, and this stack declares no Harbor project "
            "'finance': pin it by digest (repo:tag@sha256:…) or add "
            "tenants[].harbor.immutableTags",
        ),
    ]


def test_sec_008_latest_and_untagged_fail_even_under_an_immutability_rule(
    prod: StackConfig,
) -> None:
    def edit(values: dict[str, Any]) -> None:
        apps = values["paif:tenants"][0]["apps"]
        apps[0]["image"] = f"{HOST}/marketing/chat-frontend:latest"
        apps[1]["image"] = f"{HOST}/marketing/chat-backend"

    cfg = load_stack(edit=edit)

    def build() -> None:
        harbor_project(cfg, rules=[ImmutableTagRule(tags="**")])
        apps_of(cfg)
        model("llama", f"{HOST}/marketing/llama:latest")
        model("pinned", f"{HOST}/marketing/llama:1.0.0@{DIGEST}")
        k8s.apiextensions.CustomResource(
            "nim",
            api_version=NIM_API_VERSION,
            kind="NIMService",
            metadata={"name": "nim", "namespace": "marketing-ns"},
            spec={"image": {"repository": f"{HOST}/marketing/bge"}},
        )

    digest = "pin it by digest (repo:tag@sha256:…)"
    assert check(run(build), "PAIF-SEC-008") == [
        (
            "mandatory",
            "llama",
            f"ModelEndpoint marketing-ns/llama serves model {HOST}/marketing/llama:latest by the "
            f"mutable tag 'latest'; {digest}",
        ),
        (
            "mandatory",
            "marketing-apps-backend",
            f"Deployment marketing-ns/backend runs image {HOST}/marketing/chat-backend "
            f"({CONTAINERS}) without a tag (pulls latest); {digest}",
        ),
        (
            "mandatory",
            "marketing-apps-frontend",
            f"Deployment marketing-ns/frontend runs image {HOST}/marketing/chat-frontend:latest "
            f"({CONTAINERS}) by the mutable tag 'latest'; {digest}",
        ),
        (
            "mandatory",
            "nim",
            f"NIMService marketing-ns/nim serves model {HOST}/marketing/bge without a tag (pulls "
            f"latest); {digest}",
        ),
    ]


def test_sec_008_mutable_tags_are_pack_config(prod: StackConfig) -> None:
    def build() -> None:
        harbor_project(prod, rules=[ImmutableTagRule(tags="**")])
        model("llama", f"{HOST}/marketing/llama:stable")

    result = run(build)
    assert check(result, "PAIF-SEC-008") == []
    assert check(
        result, "PAIF-SEC-008", {"PAIF-SEC-008": {"mutableTags": ["latest", "stable"]}}
    ) == [
        (
            "mandatory",
            "llama",
            f"ModelEndpoint marketing-ns/llama serves model {HOST}/marketing/llama:stable by the "
            "mutable tag 'stable'; pin it by digest (repo:tag@sha256:…)",
        )
    ]


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("**", "team/app", True),
        ("*", "team/app", False),
        ("*", "app", True),
        ("team/*", "team/app", True),
        ("*.*.*", "1.0.0", True),
        ("*.*.*", "1.0", False),
        ("v?.*", "v1.2", True),
        ("{a,b}-*", "b-x", True),
        ("{a,b}-*", "c-x", False),
        ("1.0.0+build", "1.0.0+build", True),
    ],
)
def test_harbor_patterns(pattern: str, value: str, matches: bool) -> None:
    assert (workloads.harbor_pattern(pattern).match(value) is not None) is matches


@given(st.text(alphabet="abc.-_/+", max_size=20))
def test_harbor_pattern_of_a_literal_matches_only_itself(text: str) -> None:
    assert workloads.harbor_pattern(text).match(text)
    assert not workloads.harbor_pattern(text).match(text + "x")


# --- PAIF-SEC-010 ---------------------------------------------------------------------------


def test_sec_010_the_example_apps_pass(prod: StackConfig) -> None:
    assert check(run(lambda: apps_of(prod)), "PAIF-SEC-010") == []


HARDENED_CONTAINER = {
    "name": "app",
    "image": f"{HOST}/marketing/app@{DIGEST}",
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def deployment(name: str, pod: dict[str, Any], annotations: dict[str, str] | None = None) -> None:
    k8s.apps.v1.Deployment(
        name,
        metadata={"name": name, "namespace": "marketing-ns", "annotations": annotations or {}},
        spec={
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
        },
    )


def test_sec_010_unhardened_pod_lists_every_gap() -> None:
    def build() -> None:
        deployment(
            "legacy",
            {
                "hostNetwork": True,
                "containers": [
                    {
                        "name": "app",
                        "image": f"{HOST}/marketing/app@{DIGEST}",
                        "securityContext": {
                            "runAsUser": 1000,
                            "privileged": True,
                            "capabilities": {"add": ["NET_ADMIN"]},
                        },
                    }
                ],
            },
        )

    assert check(run(build), "PAIF-SEC-010") == [
        (
            "mandatory",
            "legacy",
            "Deployment marketing-ns/legacy is not hardened: it shares the host's network "
            "namespace | the service-account token is mounted (automountServiceAccountToken is "
            "not false) though the workload does not ask for API access "
            f"({API_ACCESS_ANNOTATION}) | app: runAsNonRoot is not true; runAsUser 1000 is "
            "below 10000; runAsGroup unset is below 10000; the root filesystem is writable "
            "(readOnlyRootFilesystem); allowPrivilegeEscalation is not false; it is privileged; "
            "capabilities are not all dropped (drop: [ALL]); it adds capabilities NET_ADMIN; "
            "seccomp profile is unset, not RuntimeDefault",
        )
    ]


def test_sec_010_pod_level_settings_count_and_api_access_is_recorded() -> None:
    container = copy.deepcopy(HARDENED_CONTAINER)
    context = container["securityContext"]
    for key in ("runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile"):
        context.pop(key)
    pod_context = {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }

    def build() -> None:
        deployment(
            "operator",
            {"securityContext": pod_context, "containers": [container]},
            annotations={API_ACCESS_ANNOTATION: "true"},
        )
        deployment(
            "quiet",
            {
                "automountServiceAccountToken": False,
                "securityContext": pod_context,
                "containers": [container],
            },
        )

    assert check(run(build), "PAIF-SEC-010") == []


def test_sec_010_min_id_is_pack_config_and_other_kinds_are_seen() -> None:
    def build() -> None:
        k8s.batch.v1.CronJob(
            "nightly",
            metadata={"name": "nightly", "namespace": "marketing-ns"},
            spec={
                "schedule": "0 3 * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "automountServiceAccountToken": False,
                                "restartPolicy": "Never",
                                "containers": [HARDENED_CONTAINER],
                            }
                        }
                    }
                },
            },
        )

    result = run(build)
    assert check(result, "PAIF-SEC-010") == []
    assert check(result, "PAIF-SEC-010", {"PAIF-SEC-010": {"minId": 20000}}) == [
        (
            "mandatory",
            "nightly",
            "CronJob marketing-ns/nightly is not hardened: app: runAsUser 10001 is below 20000; "
            "runAsGroup 10001 is below 20000",
        )
    ]


def test_sec_010_a_cluster_namespace_must_enforce_restricted() -> None:
    def build() -> None:
        k8s.core.v1.Namespace(
            "apps-namespace",
            metadata={
                "name": "marketing-ns",
                "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                "annotations": {"paif.vmware.com/target": "marketing-apps"},
            },
        )

    assert check(run(build), "PAIF-SEC-010") == [
        (
            "mandatory",
            "apps-namespace",
            "namespace marketing-ns of VKS cluster marketing-apps enforces Pod Security baseline, "
            "not restricted (pod-security.kubernetes.io/enforce)",
        )
    ]


def test_sec_010_findings_take_the_usual_waivers() -> None:
    """A recorded exception (paif:waivers) moves the finding to PAIF-WAIVED, never a failure."""
    waiver = {
        "rule": "PAIF-SEC-010",
        "resource": "vendor-agent",
        "reason": "The vendor's monitoring agent needs host networking until its 2.0 release.",
        "owner": "platform-team@example.com",
        "expires": "2099-12-31",
    }

    def build() -> None:
        deployment("vendor-agent", {"hostNetwork": True, "containers": [HARDENED_CONTAINER]})

    result = run(build, waivers=[waiver])
    assert check(result, "PAIF-SEC-010") == []
    findings = evaluate_records([r.to_json() for r in result.resources])
    (waived,) = [f for f in findings if f.rule_id == "PAIF-SEC-010"]
    assert waived.waiver is not None
    assert waived.waiver.owner == "platform-team@example.com"
    assert "shares the host's network namespace" in waived.message
