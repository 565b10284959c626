"""The per-stack program behind ``__main__.py``: config → providers → PaifSite → outputs.

Errors in config or component input become one ``pulumi.RunError`` naming the stack file and
the config path, raised before any resource is registered, so ``pulumi up`` prints a message
instead of a traceback and ``paif plan`` exits 2.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vsphere as vsphere
import pulumiverse_harbor as harbor

from paif_components import controllers
from paif_components.config import (
    ConfigError,
    StackConfig,
    parse_stack_config,
    plaintext_secret_keys,
    read_stack_file,
    runtime_config_values,
    stacks,
)
from paif_components.database_replication import (
    REPLICATION_PASSWORD_CONFIG,
    replication_password_problems,
)
from paif_components.errors import ComponentInputError
from paif_components.hardware import discover_domain
from paif_components.ownership import lookup_import_id
from paif_components.site import (
    PaifSite,
    PaifSiteArgs,
    adopted_objects,
    site_domains,
    validate_site,
    validate_site_hardware,
)


def load_peer_config(config: StackConfig, project_dir: Path) -> StackConfig | None:
    """The peer stack's config from this commit, so both sites stay in step.

    A DR stack must have its primary's file (its tenants come from there); a primary reads
    its DR peer's file when present (active-active's GSLB needs both entries).
    """
    if config.dr.peer is None:
        return None
    peer = config.dr.peer.stack.rsplit("/", 1)[-1]
    if config.dr.role != "dr" and not (project_dir / f"Pulumi.{peer}.yaml").is_file():
        return None
    stack_file = read_stack_file(project_dir, peer)
    return parse_stack_config(stack_file.values, stack_file.file_name)


def providers_for(config: StackConfig) -> dict[str, pulumi.ProviderResource]:
    """Explicit providers for this site; credentials come from their own config namespaces."""
    site = config.site.name
    vsphere_cfg = pulumi.Config("vsphere")
    k8s_cfg = pulumi.Config("kubernetes")
    harbor_cfg = pulumi.Config("harbor")
    return {
        "vsphere": vsphere.Provider(
            f"{site}-vsphere",
            vsphere_server=config.site.vcenter.server,
            user=vsphere_cfg.get("user"),
            password=vsphere_cfg.get_secret("password"),
            allow_unverified_ssl=vsphere_cfg.get_bool("allowUnverifiedSsl"),
        ),
        "kubernetes": k8s.Provider(
            f"{site}-supervisor",
            kubeconfig=k8s_cfg.get_secret("kubeconfig"),
            context=k8s_cfg.get("context"),
        ),
        "harbor": harbor.Provider(
            f"{site}-harbor",
            url=config.harbor.url,
            username=harbor_cfg.get("username"),
            password=harbor_cfg.get_secret("password"),
            # The provider defaults to skipping TLS verification; production must not.
            insecure=harbor_cfg.get_bool("insecure") or False,
        ),
    }


def ask_the_site(args: PaifSiteArgs, providers: dict[str, pulumi.ProviderResource]) -> PaifSiteArgs:
    """What the site says, before anything is declared: per workload-domain cluster, its hosts'
    vGPU profiles, GPUs and the depot's ESX images (paif_components.hardware), and the import id of
    every object the stack adopts without a pinned one (paif_components.ownership). A profile the
    hosts lack or an object to adopt that does not exist stops the program here, with nothing
    half-applied."""
    datacenter = args.config.site.vcenter.datacenter
    on_vsphere = pulumi.InvokeOptions(provider=providers["vsphere"])
    on_harbor = pulumi.InvokeOptions(provider=providers["harbor"])
    hardware = {
        cluster: discover_domain(datacenter, domain.hosts, on_vsphere)
        for cluster, domain in site_domains(args).items()
    }
    ids = {}
    for kind, name in adopted_objects(args):
        if args.config.ownership.pinned_id(kind, name) is None:
            ask = on_harbor if kind == "harborProjects" else on_vsphere
            ids[(kind, name)] = lookup_import_id(kind, name, datacenter=datacenter, opts=ask)
    surveyed = replace(args, hardware=hardware, import_ids=ids)
    validate_site_hardware(surveyed)  # run() validated the rest
    return surveyed


def run(project_dir: Path | None = None) -> PaifSite:
    """Build the stack; called by ``__main__.py`` under ``pulumi up`` and ``paif plan``."""
    project_dir = project_dir or Path.cwd()
    stack = pulumi.get_stack()
    stack_file = own_file = f"Pulumi.{stack}.yaml"
    values, secret_keys = runtime_config_values()
    namespace, key = REPLICATION_PASSWORD_CONFIG
    try:
        # A tenant-group stack builds from its platform stack's file (paif:layout).
        site_file = stacks.site_file(project_dir, stack, values, stack_file)
        stack_file = site_file.file_name
        config = parse_stack_config(site_file.values, stack_file)
        peer = load_peer_config(config, project_dir)
        primary = peer if config.dr.role == "dr" else None
        part = stacks.stack_part(stack, site_file, config, primary)
        replication_password = pulumi.Config(namespace).get_secret(key)
        args = PaifSiteArgs(
            config=config,
            primary=primary,
            stack_file=stack_file,
            plaintext_secret_keys=plaintext_secret_keys(values, secret_keys),
            peer_config=peer,
            secret_keys=secret_keys,
            replication_password=replication_password,
            part=None if part.kind == "whole" else part,
        )
        parts = validate_site(args)
        derived = args.derived()
        missing = replication_password_problems(
            # A tenant-group stack of a split site: the databases of its own tenants.
            (r for (tenant, _), r in derived.databases.items() if args.builds(tenant)),
            password_set=replication_password is not None,
            stack=pulumi.get_stack(),
        )
        if missing:  # the stack's own secret config, in its own file
            raise ConfigError(own_file, missing)
    except ConfigError as exc:
        raise pulumi.RunError(exc.render()) from None
    except ComponentInputError as exc:
        raise pulumi.RunError(exc.render(stack_file)) from None
    controllers.register(config.kubernetes.await_controllers)
    providers = providers_for(config)
    try:
        args = replace(ask_the_site(args, providers), checked=parts)
    except ComponentInputError as exc:
        raise pulumi.RunError(exc.render(stack_file)) from None
    peer_outputs = (
        pulumi.StackReference(config.dr.peer.stack)
        if config.dr.role == "dr" and config.dr.peer is not None
        else None
    )
    # A DR tenant group reads its tenants' outputs from the primary's group of the same tenants.
    peer_tenants = (
        pulumi.StackReference(part.primary_stack)
        if peer_outputs is not None
        and part.primary_stack is not None
        and part.primary_stack != config.dr.peer.stack  # type: ignore[union-attr]
        else None
    )
    pushes = (
        args.builds_platform and derived.registry is not None and bool(derived.registry.outbound)
    )
    try:
        site = PaifSite(
            config.site.name,
            args,
            opts=pulumi.ResourceOptions(providers=providers),
            peer_outputs=peer_outputs,
            peer_tenants=peer_tenants,
            peer_harbor=peer_harbor_provider(config) if pushes else None,
        )
    except ConfigError as exc:
        raise pulumi.RunError(exc.render()) from None
    except ComponentInputError as exc:
        raise pulumi.RunError(exc.render(stack_file)) from None
    for key, value in site.stack_outputs().items():
        pulumi.export(key, value)
    return site


def peer_harbor_provider(config: StackConfig) -> pulumi.ProviderResource | None:
    """A Harbor provider for the peer site, where this stack pushes replication."""
    if config.dr.peer is None or config.dr.pattern == "none":
        return None
    peer_cfg = pulumi.Config("peerHarbor")
    return harbor.Provider(
        f"{config.site.name}-peer-harbor",
        url=config.dr.peer.harbor_url,
        username=peer_cfg.get("username"),
        password=peer_cfg.get_secret("password"),
        insecure=False,
    )
