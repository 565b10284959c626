"""The diagram as SVG text: each node and arrow a ``<g>`` with an ``id`` and ``data-*``
attributes, written in one deterministic pass over the laid-out topology.

The elements are written as text by one small writer (:class:`_Svg`, every attribute and text
escaped through :func:`_attr` and ``escape``) rather than built with ``xml.etree``:
ElementTree's serializer orders, escapes and spaces attributes its own way, and the file must
stay byte-identical from release to release so that a plan diff shows only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from paif_cli.diagram.layout import (
    COLORS,
    COLUMN_WIDTH,
    FONT,
    GAP_WIDTH,
    INNER_PAD,
    KIND_TAGS,
    LINE_HEIGHT,
    MARGIN,
    NODE_GAP,
    NODE_HEIGHT,
    ROW_SPACING,
    SITE_HEADER_HEIGHT,
    TENANT_PAD,
    TENANT_TITLE_HEIGHT,
    TITLE_HEIGHT,
    Box,
    fit,
    tenant_rows,
    text_width,
)
from paif_cli.diagram.model import (
    PATTERN_TITLES,
    Edge,
    Node,
    Site,
    Tenant,
    Topology,
    as_mapping,
    as_str,
    slug,
)


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _data(attrs: Mapping[str, str]) -> str:
    return "".join(f' data-{k}="{_attr(v)}"' for k, v in attrs.items())


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 12,
        weight: str = "normal",
        fill: str = "#1f2328",
        anchor: str = "start",
        width: float | None = None,
        italic: bool = False,
    ) -> None:
        bold = weight == "bold"
        shown = fit(value, size, width, bold=bold) if width is not None else value
        style = ' font-style="italic"' if italic else ""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" font-weight="{weight}" '
            f'fill="{fill}" text-anchor="{anchor}"{style}>{escape(shown)}</text>'
        )


def _node(svg: _Svg, node: Node, box: Box, boxes: dict[str, Box]) -> None:
    boxes[node.id] = box
    color = COLORS.get(node.kind, "#57606a")
    ghost = node.state in ("not-deployed", "restore", "declared", "stub")
    attrs = {"kind": node.kind, "state": node.state, **node.attrs}
    svg.add(f'<g id="{_attr(node.id)}" class="node {node.kind}"{_data(attrs)}>')
    svg.add(f"<title>{escape(node.label + (' — ' + node.detail if node.detail else ''))}</title>")
    dash = ' stroke-dasharray="5 3"' if ghost else ""
    fill = "#ffffff" if not ghost else "#f6f8fa"
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="4" '
        f'fill="{fill}" stroke="{color}" stroke-width="1.2"{dash}/>'
    )
    tag = KIND_TAGS.get(node.kind, "")
    text_x = box.x + 8
    if tag:
        svg.add(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="34" height="{box.h:.1f}" rx="4" '
            f'fill="{color}" opacity="{0.45 if ghost else 1}"/>'
        )
        svg.text(
            box.x + 17, box.mid_y + 4, tag, size=10, weight="bold", fill="#ffffff", anchor="middle"
        )
        text_x = box.x + 42
    label_fill = "#57606a" if ghost else "#1f2328"
    available = box.right - text_x - 6
    label = fit(node.label, 12, available * (0.7 if node.detail else 1.0), bold=True)
    svg.text(text_x, box.mid_y + 4, label, size=12, weight="bold", fill=label_fill)
    if node.detail:
        offset = text_width(label, 12, bold=True) + 8
        svg.text(
            text_x + offset,
            box.mid_y + 4,
            node.detail,
            size=11,
            fill="#57606a",
            width=available - offset,
            italic=ghost,
        )
    svg.add("</g>")


def _arrow(
    svg: _Svg,
    edge: Edge,
    start: tuple[float, float],
    end: tuple[float, float],
    label_at: tuple[float, float] | None,
    label_width: float,
) -> None:
    color = COLORS.get(edge.kind, "#57606a")
    attrs = {"kind": edge.kind, "from": edge.source, "to": edge.target, **edge.attrs}
    svg.add(f'<g id="{_attr(edge.id)}" class="link {edge.kind}"{_data(attrs)}>')
    svg.add(f"<title>{escape(edge.label)}</title>")
    dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
    marker = f' marker-end="url(#arrow-{edge.kind})"' if edge.kind != "dns-failover" else ""
    if edge.kind == "dns-failover":
        marker = ' marker-end="url(#arrow-dns)" marker-start="url(#arrow-dns)"'
    svg.add(
        f'<path d="M{start[0]:.1f},{start[1]:.1f} L{end[0]:.1f},{end[1]:.1f}" fill="none" '
        f'stroke="{color}" stroke-width="1.8"{dash}{marker}/>'
    )
    if label_at is not None and edge.label:
        svg.text(
            label_at[0],
            label_at[1],
            edge.label,
            size=10.5,
            fill=color,
            anchor="middle",
            width=label_width,
        )
    svg.add("</g>")


def _fmt_term(term: Mapping[str, Any]) -> str:
    label = as_str(term.get("label")) or as_str(term.get("key")) or "?"
    return f"{label} {term.get('duration') or term.get('seconds')}"


def _legend_lines(topology: Topology) -> list[tuple[str, str]]:
    """(style, text) lines of the estimate block; style: title | text | note."""
    lines: list[tuple[str, str]] = []
    estimate = topology.estimate
    pattern = PATTERN_TITLES.get(topology.pattern, topology.pattern)
    traffic = {
        "gslb": "Avi GSLB sends users to both sites",
        "dns": "users reach the primary; DNS switches to the DR site on failover",
        "single-site": "one site",
    }[topology.traffic]
    lines.append(("title", f"DR: {pattern} · {traffic}"))
    if estimate is None:
        lines.append(("note", "no RTO/RPO estimate in these plans (paif:dr.pattern none)"))
        return lines
    failover = estimate.failover
    source = f"estimate of stack {topology.estimate_stack}" if topology.estimate_stack else ""
    if failover is not None:
        source += f" · loss of {failover.source} → {failover.target}"
    lines.append(("note", source.strip(" ·")))
    objectives = as_mapping(estimate.objectives)
    for key, name, part in (("rto", "RTO", estimate.rto), ("rpo", "RPO", estimate.rpo)):
        if part is None:
            continue
        text = f"{name} ≈ {part.duration}  ({part.band}"
        if part.source_band:
            text += f"; §9.3 expects {part.source_band}"
        text += ")"
        objective = as_mapping(objectives.get(key))
        if objective.get("declared"):
            verdict = "met" if objective.get("met") else "NOT met"
            text += f" · declared {objective.get('declared')}: {verdict}"
        lines.append(("value", text))
    terms = [t for t in (estimate.rto.terms if estimate.rto else ()) if (t.get("seconds") or 0) > 0]
    terms.sort(key=lambda t: -float(t.get("seconds") or 0))
    if terms:
        lines.append(("text", "largest RTO terms: " + ", ".join(_fmt_term(t) for t in terms[:4])))
    rpo_terms = list(estimate.rpo.terms if estimate.rpo else ())
    rpo_terms.sort(key=lambda t: -float(t.get("seconds") or 0))
    if rpo_terms:
        lines.append(("text", "RPO set by: " + _fmt_term(rpo_terms[0])))
    unbounded = (estimate.rpo.unbounded if estimate.rpo else None) or ()
    if unbounded:
        lines.append(("text", "unbounded RPO: " + ", ".join(str(u) for u in unbounded)))
    return lines


def render_svg(topology: Topology) -> str:
    """The diagram as an SVG document (deterministic for the same topology)."""
    sites = topology.sites or [Site(name="(no site)", stack=None, role="primary", pattern="none")]
    columns = len(sites)
    width = MARGIN * 2 + columns * COLUMN_WIDTH + (columns - 1) * GAP_WIDTH
    xs = [MARGIN + i * (COLUMN_WIDTH + GAP_WIDTH) for i in range(columns)]
    svg = _Svg()
    boxes: dict[str, Box] = {}
    column_of: dict[str, int] = {}

    top = MARGIN + TITLE_HEIGHT
    edge_y = top + SITE_HEADER_HEIGHT
    # With a GSLB between the edge nodes, leave room under it for the replication labels.
    harbor_y = edge_y + NODE_HEIGHT + ROW_SPACING + (18 if topology.gslb else 0)
    tenants_y = harbor_y + NODE_HEIGHT + ROW_SPACING * 2
    rows = tenant_rows(sites)
    y = tenants_y
    row_boxes: list[tuple[str, dict[str, int], float, float]] = []
    for name, sizes in rows:
        items = sum(sizes.values())
        height = TENANT_TITLE_HEIGHT + TENANT_PAD
        height += items * (NODE_HEIGHT + NODE_GAP) if items else LINE_HEIGHT + NODE_GAP
        row_boxes.append((name, sizes, y, height))
        y += height + ROW_SPACING
    panel_bottom = max(y, tenants_y + LINE_HEIGHT) + INNER_PAD

    legend_lines = _legend_lines(topology)
    key_rows = 2
    legend_y = panel_bottom + 20
    legend_h = 34 + key_rows * 22 + 10 + len(legend_lines) * LINE_HEIGHT + 12
    height = legend_y + legend_h + MARGIN

    # Title.
    stacks = " ⇄ ".join(f"{s.stack} ({s.name})" if s.stack else f"{s.name} (peer)" for s in sites)
    svg.text(MARGIN, MARGIN + 20, "PAIF topology", size=19, weight="bold")
    title_width = text_width("PAIF topology", 19, bold=True) + 14
    svg.text(
        MARGIN + title_width,
        MARGIN + 20,
        stacks,
        size=14,
        fill="#57606a",
        width=width - MARGIN * 2 - title_width,
    )
    svg.text(
        MARGIN,
        MARGIN + 42,
        "Drawn by `paif plan` from plan.json: what each stack declares, offline.",
        size=11,
        fill="#57606a",
    )

    # Site panels.
    for index, site in enumerate(sites):
        x = xs[index]
        column_of[site.name] = index
        color = COLORS.get(site.role, COLORS["peer"])
        attrs = {
            "site": site.name,
            "stack": site.stack or "",
            "role": site.role,
            "pattern": site.pattern,
            "planned": "true" if site.planned else "false",
        }
        svg.add(f'<g id="{_attr(slug("site", site.name))}" class="site"{_data(attrs)}>')
        dash = "" if site.planned else ' stroke-dasharray="8 5"'
        bottom = panel_bottom if site.planned else harbor_y + NODE_HEIGHT + INNER_PAD
        svg.add(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{COLUMN_WIDTH}" height="{bottom - top:.1f}" '
            f'rx="8" fill="#f6f8fa" stroke="{color}" stroke-width="1.5"{dash}/>'
        )
        svg.add(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{COLUMN_WIDTH}" height="6" rx="3" '
            f'fill="{color}"/>'
        )
        role = {"primary": "PRIMARY", "dr": "DR SITE", "peer": "PEER"}.get(site.role, site.role)
        svg.text(x + INNER_PAD, top + 28, site.name, size=16, weight="bold")
        svg.text(
            x + COLUMN_WIDTH - INNER_PAD,
            top + 28,
            role,
            size=11,
            weight="bold",
            fill=color,
            anchor="end",
        )
        inner = COLUMN_WIDTH - INNER_PAD * 2
        if site.planned:
            line1 = (
                f"stack {site.stack} · {site.environment or '?'} · vCenter {site.vcenter or '?'}"
            )
            parts = []
            if site.workload_domain:
                parts.append(site.workload_domain)
            if site.gpu_summary:
                parts.append(site.gpu_summary)
            line2 = " · ".join(parts) or (
                f"Supervisor {site.supervisor}" if site.supervisor else ""
            )
        else:
            line1 = "not planned in this run (its own stack declares it)"
            line2 = ""
        svg.text(x + INNER_PAD, top + 45, line1, size=11, fill="#57606a", width=inner)
        if line2:
            svg.text(x + INNER_PAD, top + 60, line2, size=11, fill="#57606a", width=inner)
        node_w = COLUMN_WIDTH - INNER_PAD * 2
        if site.edge is not None:
            _node(svg, site.edge, Box(x + INNER_PAD, edge_y, node_w, NODE_HEIGHT), boxes)
        if site.harbor is not None:
            _node(svg, site.harbor, Box(x + INNER_PAD, harbor_y, node_w, NODE_HEIGHT), boxes)
        if site.planned:
            for name, sizes, row_y, row_h in row_boxes:
                tenant = site.tenants.get(name)
                if tenant is None:
                    continue
                _tenant_box(
                    svg, site, tenant, sizes, Box(x + INNER_PAD, row_y, node_w, row_h), boxes
                )
        svg.add("</g>")

    # GSLB nodes sit in the gap at the height of the edge nodes they send users to.
    for index, gslb in enumerate(topology.gslb):
        gap_x = xs[0] + COLUMN_WIDTH if columns > 1 else xs[0] + COLUMN_WIDTH - GAP_WIDTH
        box = Box(gap_x + 44, edge_y - 7 - index * 48, GAP_WIDTH - 88, 40)
        boxes[gslb.id] = box
        color = COLORS["gslb"]
        attrs = {
            "kind": "gslb",
            "name": gslb.name,
            "fqdn": " ".join(gslb.fqdns),
            "members": " ".join(gslb.members),
        }
        svg.add(f'<g id="{_attr(gslb.id)}" class="node gslb"{_data(attrs)}>')
        svg.add(f"<title>{escape('Avi GSLB ' + gslb.name + ' — ' + gslb.detail)}</title>")
        svg.add(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            f'rx="14" fill="#fff8f2" stroke="{color}" stroke-width="1.5"/>'
        )
        name = "GSLB " + (", ".join(gslb.fqdns) or gslb.name)
        svg.text(
            box.x + box.w / 2,
            box.y + 17,
            name,
            size=11.5,
            weight="bold",
            fill=color,
            anchor="middle",
            width=box.w - 12,
        )
        svg.text(
            box.x + box.w / 2,
            box.y + 32,
            gslb.detail,
            size=10,
            fill="#57606a",
            anchor="middle",
            width=box.w - 12,
        )
        svg.add("</g>")

    # Arrows.
    pair_count: dict[tuple[str, str], int] = {}
    for edge in topology.edges:
        low, high = sorted((edge.source, edge.target))
        pair_count[(low, high)] = pair_count.get((low, high), 0) + 1
    drawn: dict[tuple[str, str], int] = {}
    for edge in topology.edges:
        source, target = boxes.get(edge.source), boxes.get(edge.target)
        if source is None or target is None:
            continue
        low, high = sorted((edge.source, edge.target))
        key = (low, high)
        n = drawn.get(key, 0)
        drawn[key] = n + 1
        offset = 0.0
        if pair_count[key] > 1:
            offset = (n - (pair_count[key] - 1) / 2) * 9
        if edge.kind == "gslb-member":
            if target.x > source.x:
                start = (source.right, target.mid_y)
                end = (target.x - 3, target.mid_y)
            else:
                start = (source.x, target.mid_y)
                end = (target.right + 3, target.mid_y)
            label_at = ((start[0] + end[0]) / 2, target.mid_y - 6)
            _arrow(svg, edge, start, end, label_at, 60)
            continue
        if target.x > source.x:
            start = (source.right + 2, source.mid_y + offset)
            end = (target.x - 3, target.mid_y + offset)
        else:
            start = (source.x - 2, source.mid_y + offset)
            end = (target.right + 3, target.mid_y + offset)
        label_y = min(start[1], end[1]) - 5 if offset <= 0 else max(start[1], end[1]) + 13
        label_at = ((start[0] + end[0]) / 2, label_y)
        _arrow(svg, edge, start, end, label_at, abs(end[0] - start[0]) - 8)

    _legend(svg, topology, legend_lines, Box(MARGIN, legend_y, width - MARGIN * 2, legend_h))

    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" '
        f'data-stacks="{_attr(" ".join(topology.stacks))}" '
        f'data-pattern="{_attr(topology.pattern)}" '
        f'data-traffic="{topology.traffic}">'
    )
    title = f"<title>PAIF topology: {escape(stacks)}</title>"
    return (
        "\n".join(
            [
                head,
                title,
                _defs(),
                f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
                *svg.parts,
                "</svg>",
            ]
        )
        + "\n"
    )


def _defs() -> str:
    markers = []
    for kind in ("harbor-replication", "db-replication", "gslb-member", "dns"):
        color = COLORS[kind]
        markers.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{color}"/></marker>'
        )
    return "<defs>" + "".join(markers) + "</defs>"


def _tenant_box(
    svg: _Svg,
    site: Site,
    tenant: Tenant,
    sizes: Mapping[str, int],
    box: Box,
    boxes: dict[str, Box],
) -> None:
    attrs = {"site": site.name, "tenant": tenant.name, "namespace": tenant.namespace}
    svg.add(
        f'<g id="{_attr(slug("tenant", site.name, tenant.name))}" class="tenant"{_data(attrs)}>'
    )
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6" '
        f'fill="#ffffff" stroke="#d0d7de" stroke-width="1"/>'
    )
    title = f"tenant {tenant.name}"
    title_width = text_width(title, 12.5, bold=True)
    svg.text(box.x + 10, box.y + 18, title, size=12.5, weight="bold")
    svg.text(
        box.x + 10 + title_width + 10,
        box.y + 18,
        f"namespace {tenant.namespace}",
        size=11,
        fill="#57606a",
        width=box.w - title_width - 30,
    )
    y = box.y + TENANT_TITLE_HEIGHT
    if not any(sizes.values()):
        svg.text(
            box.x + 10,
            y + 12,
            "quota, RBAC and network policy only (no endpoints, clusters or databases)",
            size=10.5,
            fill="#57606a",
            italic=True,
            width=box.w - 20,
        )
    for kind in ("endpoint", "vks-cluster", "database"):
        nodes = sorted(tenant.section(kind), key=lambda node: node.label)
        for index in range(sizes[kind]):
            if index < len(nodes):
                _node(svg, nodes[index], Box(box.x + 8, y, box.w - 16, NODE_HEIGHT), boxes)
            y += NODE_HEIGHT + NODE_GAP
    svg.add("</g>")


def _legend(svg: _Svg, topology: Topology, lines: Sequence[tuple[str, str]], box: Box) -> None:
    estimate = topology.estimate
    rto = estimate.rto if estimate is not None else None
    rpo = estimate.rpo if estimate is not None else None
    attrs = {
        "pattern": topology.pattern,
        "traffic": topology.traffic,
        "rto-seconds": "" if rto is None or rto.seconds is None else f"{rto.seconds}",
        "rto-band": rto.band if rto is not None else "",
        "rpo-seconds": "" if rpo is None or rpo.seconds is None else f"{rpo.seconds}",
        "rpo-band": rpo.band if rpo is not None else "",
        "estimate-stack": topology.estimate_stack or "",
    }
    svg.add(f'<g id="legend" class="legend"{_data(attrs)}>')
    svg.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="8" '
        f'fill="#ffffff" stroke="#d0d7de"/>'
    )
    svg.text(box.x + 14, box.y + 22, "Legend", size=13, weight="bold")
    x, y = box.x + 14, box.y + 38
    keys = [
        ("endpoint", "AI endpoint (PAIS)"),
        ("vks-cluster", "VKS cluster"),
        ("database", "pgvector database (DSM)"),
        ("harbor", "Harbor registry"),
        ("edge-lb", "NSX edge load balancer"),
    ]
    step = (box.w - 28) / len(keys)
    for index, (kind, text) in enumerate(keys):
        kx = x + index * step
        color = COLORS[kind]
        svg.add(f'<rect x="{kx:.1f}" y="{y:.1f}" width="30" height="16" rx="3" fill="{color}"/>')
        svg.text(
            kx + 15, y + 12, KIND_TAGS[kind], size=9, weight="bold", fill="#ffffff", anchor="middle"
        )
        svg.text(kx + 36, y + 12, text, size=10.5, fill="#1f2328", width=step - 42)
    y += 22
    lines_key = [
        ("harbor-replication", False, "Harbor push replication"),
        ("db-replication", False, "database replication"),
        ("gslb-member", False, "GSLB member"),
        ("dns", True, "DNS switch / restore on failover"),
    ]
    step = (box.w - 28) / (len(lines_key) + 1)
    for index, (kind, dashed, text) in enumerate(lines_key):
        kx = x + index * step
        color = COLORS[kind]
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        svg.add(
            f'<path d="M{kx:.1f},{y + 8:.1f} L{kx + 34:.1f},{y + 8:.1f}" stroke="{color}" '
            f'stroke-width="1.8"{dash} marker-end="url(#arrow-{kind})"/>'
        )
        svg.text(kx + 42, y + 12, text, size=10.5, width=step - 48)
    kx = x + len(lines_key) * step
    svg.add(
        f'<rect x="{kx:.1f}" y="{y:.1f}" width="34" height="16" rx="3" fill="#f6f8fa" '
        f'stroke="#57606a" stroke-dasharray="5 3"/>'
    )
    svg.text(kx + 42, y + 12, "declared, not running here", size=10.5, width=step - 48)
    y += 32
    for style, text in lines:
        if style == "title":
            svg.text(x, y, text, size=12.5, weight="bold", width=box.w - 28)
        elif style == "value":
            svg.text(x, y, text, size=12.5, weight="bold", fill="#0969da", width=box.w - 28)
        elif style == "note":
            svg.text(x, y, text, size=10.5, fill="#57606a", width=box.w - 28, italic=True)
        else:
            svg.text(x, y, text, size=11, fill="#1f2328", width=box.w - 28)
        y += LINE_HEIGHT
    svg.add("</g>")
