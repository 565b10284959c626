"""The topology diagram ``paif plan`` writes: both sites of a DR pair in one SVG.

Drawn from what the plans declare (plan.json), not from the config, so the picture shows what
``pulumi up`` would build: each site with its edge entry and Harbor, each tenant with its model
endpoints, VKS clusters and pgvector databases, Harbor push replication and database
replication as arrows with their direction, the Avi GSLB in front of both sites
(active-active) or the DNS switch (pilot light, warm standby), and the RTO/RPO estimate
(``estimates``) in the legend.

Pure Python, no Graphviz: the layout is fixed (one column per site, tenants aligned across
sites so replication arrows run straight), so the output is deterministic and diffable. Every
node (``class="node <kind>"``) and arrow (``class="link <kind>"``) is a ``<g>`` with an ``id``
and ``data-*`` attributes (``data-kind``, ``data-site``, ``data-tenant``,
``data-from``/``data-to``...) that tests and tools can read with any XML parser.

What the parts mean is the source document's: §9.2 (HA: endpoints, VKS, pgvector), §9.3 (DR
patterns, RTO/RPO bands), §9.4 (tenants), §9.6.1 (edge).

The package, by idea: :mod:`.model` (what is shown), :mod:`.extract` (plan.json to model),
:mod:`.layout` (geometry, colours, text widths) and :mod:`.svg` (the SVG text).
"""

from __future__ import annotations

from collections.abc import Iterable

from paif_cli.diagram.extract import extract_topology
from paif_cli.diagram.layout import fit, text_width
from paif_cli.diagram.model import TOPOLOGY_FILE, Topology
from paif_cli.diagram.svg import render_svg
from paif_components.contract.plan import PlanDocument

__all__ = [
    "TOPOLOGY_FILE",
    "Topology",
    "extract_topology",
    "fit",
    "render_svg",
    "render_topology",
    "text_width",
]


def render_topology(documents: Iterable[PlanDocument]) -> str:
    """plan.json documents → SVG text."""
    return render_svg(extract_topology(list(documents)))
