"""paif:network as tenant namespaces see it: the edge's sources, the app ports, the routes out."""

from __future__ import annotations

from typing import Any

from paif_components.tenant_network import Egress, NamespaceNetwork, Route, namespace_network
from tests.support.stacks import load_stack


def test_the_prod_example_names_every_source_and_destination() -> None:
    network = namespace_network(load_stack("prod").network)
    assert network == NamespaceNetwork(
        app_ports=(443,),  # network.ingress.backendPort
        edge_cidrs=("10.10.0.32/28",),
        edge_namespaces=(),
        egress=Egress(
            dns_servers=("10.10.0.2/32",),
            ai=(
                Route("harbor", ("10.10.5.10/32",)),
                Route("api-marketing-docs", ("10.30.4.0/24",), (443,)),
            ),
            data=(Route("backup-s3-backup-dr", ("10.20.8.0/24",)),),
        ),
    )


def test_the_dr_example_declares_its_own_addresses() -> None:
    network = namespace_network(load_stack("dr").network)
    assert network.edge_cidrs == ("10.20.0.32/28",)
    assert network.egress is not None
    assert network.egress.ai[0] == Route("harbor", ("10.20.5.10/32",))
    assert network.egress.dns_servers == ("10.20.0.2/32",)


def _edit(**network: Any) -> Any:
    def edit(values: dict[str, Any]) -> None:
        values["paif:network"] = {**values["paif:network"], **network}

    return edit


def _external(values: dict[str, Any]) -> None:
    network = values["paif:network"]
    for key in ("ingress", "adminSourceCidrs", "managementCidrs"):
        network.pop(key)
    network["edge"] = "external"


def test_app_ports_default_to_the_edge_backend_port_then_443() -> None:
    def backend(port: int) -> Any:
        def edit(values: dict[str, Any]) -> None:
            values["paif:network"]["ingress"]["backendPort"] = port

        return edit

    assert load_stack("prod", backend(8443)).network.app_ports == (8443,)
    no_edge = load_stack("prod", _external)
    assert no_edge.network.app_ports == (443,)
    stated = load_stack("prod", _edit(appTier={"sourceCidrs": [], "ports": [9443, 8443, 9443]}))
    assert stated.network.app_ports == (8443, 9443)


def test_an_external_edge_keeps_app_tier_and_egress() -> None:
    """They describe the network, not the edge this stack would manage."""
    network = namespace_network(load_stack("prod", _external).network)
    assert network.edge_cidrs == ("10.10.0.32/28",)
    assert network.egress is not None


def test_without_egress_the_namespaces_keep_the_open_defaults() -> None:
    def drop(values: dict[str, Any]) -> None:
        values["paif:network"].pop("egress")

    assert namespace_network(load_stack("prod", drop).network).egress is None
