"""The example stacks as tests read and change them, and throwaway projects to plan."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from paif_components.config import StackConfig, parse_stack_config, read_stack_file
from paif_components.config.models import Tenant
from paif_components.context import SiteContext

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def load_example(stack: str) -> dict[str, Any]:
    """The ``config:`` mapping of an example stack file, as plain data to mutate in tests."""
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]


def load_stack(
    stack: str = "prod",
    edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    environment: str | None = None,
) -> StackConfig:
    """An example stack parsed; its raw values first get ``environment``, then ``edit``."""
    stack_file = read_stack_file(ROOT, stack)
    values = copy.deepcopy(stack_file.values)
    if environment is not None:
        values["paif:environment"] = environment
    if edit is not None:
        edit(values)
    return parse_stack_config(values, stack_file.file_name)


def raw_pair(pattern: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The example stacks' config with only paif:dr.pattern changed (plus gslb for A-A)."""
    prod, dr = copy.deepcopy(load_example("prod")), copy.deepcopy(load_example("dr"))
    for values in (prod, dr):
        values["paif:dr"]["pattern"] = pattern
        if pattern == "active-active":
            values["paif:dr"]["gslb"] = {"domain": "ai.example.com"}
    return prod, dr


def parse_pair(prod: dict[str, Any], dr: dict[str, Any]) -> tuple[StackConfig, StackConfig]:
    """The (primary, DR) stack configs of two raw ``config:`` mappings."""
    return (
        parse_stack_config(prod, "Pulumi.prod.yaml"),
        parse_stack_config(dr, "Pulumi.dr.yaml"),
    )


def marketing(cfg: StackConfig) -> Tenant:
    """The example stacks' first tenant, the one most tests build."""
    return next(t for t in cfg.tenants if t.name == "marketing")


def site_context(cfg: StackConfig, *, dr: bool = False) -> SiteContext:
    """The site facts of ``cfg``; ``dr=True`` also carries its DR role and pattern."""
    if dr:
        return SiteContext(
            site=cfg.site,
            environment=cfg.environment,
            harbor=cfg.harbor,
            workload_domain=cfg.workload_domain,
            role=cfg.dr.role,
            pattern=cfg.dr.pattern,
        )
    return SiteContext(
        site=cfg.site,
        environment=cfg.environment,
        harbor=cfg.harbor,
        workload_domain=cfg.workload_domain,
    )


def write_project(directory: Path, stacks: Mapping[str, Mapping[str, Any]]) -> Path:
    """A throwaway project: the real Pulumi.yaml and __main__.py plus the given stack configs."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", directory / "__main__.py")
    for name, config in stacks.items():
        (directory / f"Pulumi.{name}.yaml").write_text(
            yaml.safe_dump({"config": dict(config)}, sort_keys=False), encoding="utf-8"
        )
    return directory


def tenant_apps_args(cfg: StackConfig, cluster: str = "marketing-apps", **extra: Any) -> Any:
    """Marketing's apps in ``cluster`` as PaifTenant hands them to TenantApps: the site's
    gateway, and a stand-in value (a Pulumi secret) for every credential its wired apps read
    from the Supervisor or the stack's secrets."""
    import pulumi

    from paif_components.app_wiring import app_wiring
    from paif_components.tenant_apps import TenantAppsArgs

    tenant = marketing(cfg)
    gateway = cfg.network.resolved_gateway_url
    credentials = {
        app.name: {
            c.key: pulumi.Output.secret("c3RhbmQtaW4=")
            for c in app_wiring(tenant, app, gateway).credentials
        }
        for app in tenant.apps
    }
    return TenantAppsArgs(
        tenant=tenant,
        cluster=cluster,
        ctx=site_context(cfg, dr=True),
        gateway_url=gateway,
        credentials=credentials,
        **extra,
    )


def blocked_prod() -> dict[str, Any]:
    """The example prod stack with what four rules block (PAIF-HA-001, CAP-002, SEC-004,
    GOV-001): one replica, a GPU quota below the endpoints' peak, a plaintext password, an
    expired waiver."""
    config = copy.deepcopy(load_example("prod"))
    marketing = config["paif:tenants"][0]
    marketing["modelEndpoints"][0]["replicas"] = {"min": 1, "max": 10}
    marketing["quota"]["gpu"] = 3  # holds the minimum replicas (1 + 2), not the peak
    config["vsphere:password"] = "VMware1!VMware1!"
    config["paif:waivers"] = [
        {
            "rule": "PAIF-HA-006",
            "resource": "*",
            "reason": "database migration in progress",
            "owner": "dba",
            "expires": "2020-01-01",
        }
    ]
    return config
