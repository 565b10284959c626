"""What ``paif verify`` checks: the endpoints that run at the stack's site, and their limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paif_cli.load import load_stack
from paif_cli.verify.pais import PaisTarget
from paif_components.config import ConfigError, Problem, StackConfig
from paif_components.dr.topology import derive_site
from paif_components.model_endpoint import routing_name
from paif_components.observability.alerts import MonitoredEndpoint
from paif_components.program import load_peer_config
from paif_components.tenant_monitoring import monitored_endpoints


@dataclass(frozen=True)
class Target:
    """One endpoint to verify: where to send requests, as which model, held to what."""

    endpoint: MonitoredEndpoint
    kind: str  # completions | embeddings
    model: str
    url: str
    # An embedding's length when the stack declares it (model.dimensions).
    dimensions: int | None = None
    # The endpoint's rate limit (rateLimit.requestsPerMinute), which sample requests share
    # with the live traffic.
    requests_per_minute: int | None = None

    @property
    def subject(self) -> str:
        return f"{self.endpoint.tenant}/{self.endpoint.name}"


@dataclass(frozen=True)
class Deployment:
    stack: str
    stack_file: str
    config: StackConfig
    targets: tuple[Target, ...]
    # Tenants whose knowledge bases and agents PAIS should hold here (paif_cli.verify.pais).
    pais: tuple[PaisTarget, ...] = ()


def _problem(stack_file: str, path: str, message: str) -> ConfigError:
    return ConfigError(stack_file, [Problem(path, message)])


def load_deployment(
    project_dir: Path,
    stack: str,
    *,
    url: str | None = None,
    endpoint_urls: dict[str, str] | None = None,
    selection: list[str] | None = None,
) -> Deployment:
    """The stack's running endpoints (a DR stack's derived from its primary), with URLs.

    Raises ConfigError (exit 2) for a bad stack file, an endpoint selection naming no endpoint
    of the stack, or an endpoint without a URL.
    """
    loaded = load_stack(project_dir, stack)
    config, stack_file = loaded.config, loaded.stack_file
    name = stack_file.file_name
    primary = load_peer_config(config, project_dir) if config.dr.role == "dr" else None
    derived = derive_site(config, primary, stack=stack)
    observability = config.observability
    base = url or (
        f"https://{config.network.ingress.fqdn}" if config.network.ingress is not None else None
    )
    overrides = dict(endpoint_urls or {})
    kinds = {(t.name, e.name): e for t in derived.config.tenants for e in t.model_endpoints}
    targets = []
    for tenant in derived.config.tenants:
        for monitored in monitored_endpoints(tenant, observability, derived):
            subject = f"{tenant.name}/{monitored.name}"
            endpoint = kinds[(tenant.name, monitored.name)]
            where = overrides.pop(subject, None) or base
            if where is None:
                raise _problem(
                    name,
                    "paif:network.ingress.fqdn",
                    f"is not set, so endpoint {subject} has no URL: pass --url URL (or "
                    f"--endpoint-url {subject}=URL)",
                )
            targets.append(
                Target(
                    monitored,
                    endpoint.type,
                    routing_name(endpoint),
                    where.rstrip("/"),
                    endpoint.model.dimensions,
                    endpoint.rate_limit.requests_per_minute if endpoint.rate_limit else None,
                )
            )
    known = {t.subject for t in targets}
    for subject in [*(selection or []), *overrides]:
        if subject not in known:
            raise _problem(
                name,
                "paif:tenants",
                f"declares no endpoint {subject!r} running at {config.site.name} "
                f"(running here: {', '.join(sorted(known)) or 'none'})",
            )
    if selection:
        targets = [t for t in targets if t.subject in selection]
    pais = []
    # A selection of endpoints checks those endpoints only; the whole deployment, also what
    # PAIS holds of each tenant serving here (its knowledge bases and agents).
    for tenant in derived.config.tenants if not selection else ():
        serving = [t for t in targets if t.endpoint.tenant == tenant.name]
        if serving and (tenant.knowledge_bases or tenant.agents):
            pais.append(
                PaisTarget(
                    tenant=tenant.name,
                    url=serving[0].url,
                    knowledge_bases=tuple(k.name for k in tenant.knowledge_bases),
                    agents=tuple(a.name for a in tenant.agents),
                )
            )
    return Deployment(stack, name, config, tuple(targets), tuple(pais))
