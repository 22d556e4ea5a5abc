"""Visualize: draw the graph's entities and facts as one self-contained HTML page that works offline.

Why this shape: pyvis builds the node and edge lists and vis-network draws them, but pyvis's own
pages fetch vis.js and Bootstrap from CDNs (blank with no network). So the page is rendered from our
own template with every script and style inlined (vis-network 9.1.2 as shipped in the pyvis wheel,
dual Apache-2.0/MIT licence), under a Content-Security-Policy that allows no network request and
only the page's own scripts (by hash). Names and sentences come from untrusted documents: they
travel as escaped JSON and the page writes them only as text, so markup in a document stays text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network
from rdflib import URIRef

from graph import __version__
from graph.store import QueryResult, Store, StoreError, open_store
from graph.vocab import PG, RDFS, SKOS, EntityClass, Predicate

if TYPE_CHECKING:
    from graph.pipeline import BuildReport

__all__ = [
    "CLASS_STYLE",
    "PREDICATE_COLOR",
    "Edge",
    "GraphView",
    "Node",
    "PageSummary",
    "VizError",
    "iris_in_rows",
    "layout_options",
    "load_view",
    "neighbourhood",
    "post_build",
    "render_page",
    "resolve_entity",
    "restrict",
    "write_build_page",
    "write_page",
]

log = logging.getLogger(__name__)

# Our own template, script, style and SPARQL ship inside the package next to this module; they are
# part of this stage's code rather than user-edited declarative files, so graph.paths does not list them.
ASSETS_DIR = Path(__file__).resolve().parent / "viz_assets"
VIS_VERSION = "vis-9.1.2"
PAGE_FILE = "graph.html"

# Okabe-Ito colours (readable by colour-blind users) and a distinct shape per class, so the legend
# works in greyscale too. Shapes with the label below the node, so size can show degree.
CLASS_STYLE: dict[EntityClass, tuple[str, str, str]] = {
    EntityClass.PARK: ("#D55E00", "hexagon", "Industrial park"),
    EntityClass.GOVERNMENT: ("#0072B2", "square", "Government body"),
    EntityClass.POLICY: ("#E69F00", "triangle", "Policy"),
    EntityClass.ENTERPRISE: ("#009E73", "dot", "Enterprise"),
    EntityClass.PERSON: ("#CC79A7", "star", "Person"),
    EntityClass.ORGANIZATION: ("#56B4E9", "diamond", "Organization"),
    EntityClass.PLACE: ("#8C8C8C", "triangleDown", "Place"),
}
PREDICATE_COLOR: dict[Predicate, str] = {
    Predicate.LOCATED_IN: "#A0A0A0",
    Predicate.ISSUED_BY: "#0072B2",
    Predicate.CONCERNS: "#E69F00",
    Predicate.ESTABLISHED_BY: "#D55E00",
    Predicate.HOSTED_IN: "#009E73",
    Predicate.AFFILIATED_WITH: "#CC79A7",
    Predicate.GOVERNS: "#56B4E9",
}
_CLASS_BY_IRI = {str(c.iri): c for c in EntityClass}
_PREDICATE_BY_IRI = {str(p.iri): p for p in Predicate}
_RDFS_LABEL = str(RDFS.label)
_SKOS_ALT = str(SKOS.altLabel)
_LOCAL = {str(PG): "", "http://www.w3.org/2002/07/owl#": "owl:",
          "http://www.w3.org/2004/02/skos/core#": "skos:"}

# Above this many nodes the page starts from seed_layout() instead of vis-network's own
# (quadratic) improvedLayout, and spends a small physics budget polishing it.
SEED_ABOVE = 300
# The build page draws at most this many entities: a browser lays out a few thousand nodes in
# seconds, while the whole graph of 10,000 documents (35,811 entities) made a 65 MB page that did not
# settle. Above it the page keeps the entities named in the most documents (then the best
# connected) and says so; `parkgraph viz --focus` draws any other entity's neighbourhood.
PAGE_ENTITIES = 2000

# Sentences listed per entity and per fact in the page; the rest are counted, so a hub entity
# mentioned a thousand times does not make the page huge.
MAX_SENTENCES = 25


class VizError(RuntimeError):
    """A page that cannot be drawn (unknown entity, broken asset, unreadable graph); the message says why."""


@dataclass
class Node:
    """An entity drawn as a node."""

    iri: str
    cls: EntityClass
    label: str = ""
    kinds: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    attrs: dict[str, set[str]] = field(default_factory=dict)
    docs: set[str] = field(default_factory=set)
    mentions: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Edge:
    """A fact `subject predicate object` drawn as an edge, with every piece of evidence for it."""

    s: str
    p: Predicate
    o: str
    docs: set[str] = field(default_factory=set)
    # (sentence IRI, start, end, confidence, rule, role, document IRI)
    evidence: list[tuple[str | None, int | None, int | None, float | None, str, str, str | None]] = field(
        default_factory=list
    )


@dataclass
class GraphView:
    """What a page draws: nodes, edges, and the documents and sentences they cite."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)
    # document IRI -> (file name, title, source); sentence IRI -> (text, document IRI, start offset)
    documents: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    sentences: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)
    focus: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PageSummary:
    """What was written, for the CLI and the build summary."""

    path: Path
    nodes: int
    edges: int
    bytes: int
    total: int = 0  # entities in the graph, when the page draws fewer (PAGE_ENTITIES)


def _query(store: Store, name: str) -> QueryResult:
    path = ASSETS_DIR / "queries" / f"{name}.rq"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VizError(f"{path}: cannot read query ({exc.strerror or exc})") from exc
    try:
        return store.query(text)
    except StoreError as exc:
        raise VizError(f"{path}: {exc}") from exc


def _int(term) -> int | None:
    try:
        return int(term) if term is not None else None
    except (TypeError, ValueError):
        return None


def _float(term) -> float | None:
    if term is None:
        return None
    try:
        return float(Decimal(str(term)))
    except (InvalidOperation, ValueError):
        return None


def _short(iri: str) -> str:
    for ns, prefix in _LOCAL.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri


def load_view(store: Store) -> GraphView:
    """Read everything the page shows from a store: entities, facts, evidence, mentions, links.

    Only document graphs supply nodes and edges (not the inferred graph), so the page shows what
    the documents say, each fact once, with all its evidence.

    Args:
        store: an open ParkGraph store.

    Returns:
        The whole graph as a GraphView.

    Raises:
        VizError: a query file is missing or a query fails.
    """
    view = GraphView()
    types: dict[str, set[str]] = {}
    for row in _query(store, "entities").rows:
        iri = str(row["entity"])
        types.setdefault(iri, set()).add(str(row["type"]))
        view.nodes.setdefault(iri, Node(iri=iri, cls=EntityClass.PLACE)).docs.add(str(row["doc"]))
    for iri, node in view.nodes.items():
        core = [c for c in EntityClass if str(c.iri) in types[iri]]
        # Two disjoint classes is a graph error that the checks report; draw it deterministically.
        # An entity typed only with a Place kind (City, Province...) is a Place.
        node.cls = core[0] if core else EntityClass.PLACE
        node.kinds = {_short(t) for t in types[iri] if t not in _CLASS_BY_IRI}
    labels: dict[str, list[str]] = {}
    for row in _query(store, "names").rows:
        node = view.nodes.get(str(row["entity"]))
        if node is None:
            continue
        prop, value = str(row["prop"]), str(row["value"])
        if prop == _RDFS_LABEL:
            labels.setdefault(node.iri, []).append(value)
        elif prop == _SKOS_ALT:
            node.aliases.add(value)
        else:
            node.attrs.setdefault(_short(prop), set()).add(value)
    for iri, node in view.nodes.items():
        names = sorted(labels.get(iri, []))
        # Documents may name an entity differently; the most frequent label wins, ties alphabetically.
        node.label = Counter(names).most_common(1)[0][0] if names else iri.rsplit("/", 1)[-1]
        node.aliases.update(names)
        node.aliases.discard(node.label)
    for row in _query(store, "facts").rows:
        s, o = str(row["s"]), str(row["o"])
        p = _PREDICATE_BY_IRI[str(row["p"])]
        if s not in view.nodes or o not in view.nodes:
            log.debug("fact %s %s %s: an end is not an entity of a core class; not drawn", s, p.value, o)
            continue
        edge = view.edges.setdefault((s, p.value, o), Edge(s=s, p=p, o=o))
        edge.docs.add(str(row["doc"]))
    for row in _query(store, "evidence").rows:
        p = _PREDICATE_BY_IRI.get(str(row["p"]))
        edge = view.edges.get((str(row["s"]), p.value, str(row["o"]))) if p else None
        if edge is None:
            continue
        edge.evidence.append(
            (
                str(row["sentence"]) if row["sentence"] is not None else None,
                _int(row["start"]),
                _int(row["end"]),
                _float(row["confidence"]),
                str(row["rule"] or ""),
                str(row["role"] or ""),
                str(row["doc"]) if row["doc"] is not None else None,
            )
        )
    for row in _query(store, "mentions").rows:
        node = view.nodes.get(str(row["entity"]))
        if node is not None:
            node.mentions.append((str(row["sentence"]), _int(row["start"]), _int(row["end"])))
    for row in _query(store, "sentences").rows:
        view.sentences[str(row["sentence"])] = (str(row["text"]), str(row["doc"]), _int(row["start"]))
    for row in _query(store, "documents").rows:
        doc = str(row["doc"])
        if doc not in view.documents:
            name = str(row["fileName"]) if row["fileName"] is not None else doc.rsplit("/", 1)[-1]
            view.documents[doc] = (name, str(row["title"] or ""), str(row["source"] or ""))
    for row in _query(store, "links").rows:
        node = view.nodes.get(str(row["entity"]))
        if node is not None:
            node.links.append((_short(str(row["prop"])), str(row["target"])))
    return view


def restrict(view: GraphView, iris: Iterable[str]) -> GraphView:
    """The subgraph induced by `iris`: those nodes and every edge between two of them.

    Examples:
        >>> v = GraphView(nodes={"a": Node("a", EntityClass.PARK), "b": Node("b", EntityClass.PLACE)})
        >>> v.edges[("a", "locatedIn", "b")] = Edge("a", Predicate.LOCATED_IN, "b")
        >>> sorted(restrict(v, ["a"]).nodes), len(restrict(v, ["a", "b"]).edges)
        (['a'], 1)
    """
    keep = {i for i in iris if i in view.nodes}
    out = GraphView(
        nodes={i: n for i, n in view.nodes.items() if i in keep},
        edges={k: e for k, e in view.edges.items() if e.s in keep and e.o in keep},
        documents=view.documents,
        sentences=view.sentences,
        focus=[f for f in view.focus if f in keep],
    )
    return out


def neighbourhood(view: GraphView, seeds: Iterable[str], depth: int) -> GraphView:
    """Nodes within `depth` facts of any seed (either direction), and the edges among them.

    Raises:
        VizError: depth is negative.

    Examples:
        >>> v = GraphView(nodes={k: Node(k, EntityClass.PLACE) for k in "abc"})
        >>> v.edges[("a", "locatedIn", "b")] = Edge("a", Predicate.LOCATED_IN, "b")
        >>> v.edges[("b", "locatedIn", "c")] = Edge("b", Predicate.LOCATED_IN, "c")
        >>> sorted(neighbourhood(v, ["a"], 1).nodes)
        ['a', 'b']
    """
    if depth < 0:
        raise VizError(f"depth must be 0 or more, not {depth}")
    adjacent: dict[str, set[str]] = {}
    for e in view.edges.values():
        adjacent.setdefault(e.s, set()).add(e.o)
        adjacent.setdefault(e.o, set()).add(e.s)
    start = [s for s in seeds if s in view.nodes]
    seen = dict.fromkeys(start, 0)
    todo = deque(start)
    while todo:
        cur = todo.popleft()
        if seen[cur] >= depth:
            continue
        for nxt in sorted(adjacent.get(cur, ())):
            if nxt not in seen:
                seen[nxt] = seen[cur] + 1
                todo.append(nxt)
    out = restrict(view, seen)
    out.focus = start
    return out


def resolve_entity(view: GraphView, ref: str) -> str:
    """The IRI of the entity `ref` names: an IRI, else an exact label, else an exact alias (any case).

    Raises:
        VizError: no entity or more than one entity has that name (the message lists candidates).
    """
    if ref in view.nodes:
        return ref
    if ref.startswith(("http://", "https://")):
        raise VizError(f"{ref}: no entity with this IRI in the graph")
    wanted = ref.casefold().strip()
    for pick in (lambda n: {n.label}, lambda n: n.aliases):
        hits = sorted(i for i, n in view.nodes.items()
                      if any(x.casefold().strip() == wanted for x in pick(n)))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise VizError(f"{ref!r} names {len(hits)} entities; give one IRI: " + ", ".join(hits[:8]))
    near = sorted(n.label for n in view.nodes.values() if wanted in n.label.casefold())[:5]
    hint = f" (did you mean: {'; '.join(near)})" if near else ""
    raise VizError(f"{ref!r}: no entity has this label or alias{hint}")


def iris_in_rows(result: QueryResult) -> list[str]:
    """Every IRI that appears in a query result's rows, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in result.rows:
        for term in row.values():
            if isinstance(term, URIRef):
                seen.setdefault(str(term), None)
    return list(seen)


def layout_options(n_nodes: int, n_edges: int) -> dict:
    """vis-network options: a physics layout that settles within a bounded time, then stops.

    Why these numbers: improvedLayout (Kamada-Kawai seeding) is quadratic and stalls above a few
    hundred nodes, so bigger graphs start from seed_layout() positions and only polish them; straight
    edges and hiding edges while dragging keep 5,000 nodes interactive; the stabilisation budget
    shrinks as the graph grows (scripts/bench_viz.py measures the result), and the page turns
    physics off once it is spent, so nothing moves after that.
    """
    big = n_nodes > 1500
    seeded = n_nodes > SEED_ABOVE
    iterations = 1000 if not seeded else 100 if n_nodes <= 1500 else 50
    return {
        "autoResize": True,
        "layout": {"improvedLayout": n_nodes <= 150, "randomSeed": 42},
        "nodes": {
            "font": {"size": 13, "face": "system-ui, WenQuanYi Micro Hei, sans-serif", "strokeWidth": 3,
                     "strokeColor": "#ffffff"},
            "borderWidth": 1,
            "scaling": {"min": 8, "max": 42,
                        "label": {"enabled": True, "min": 12, "max": 22, "drawThreshold": 5}},
        },
        "edges": {
            "smooth": False,
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.45}},
            "font": {"size": 10, "align": "middle", "color": "#555555", "strokeWidth": 3,
                     "face": "system-ui, WenQuanYi Micro Hei, sans-serif"},
            "width": 1.2,
            "selectionWidth": 2,
        },
        "groups": {c.value: {"color": {"background": col, "border": "#333333",
                                       "highlight": {"background": col, "border": "#000000"},
                                       "hover": {"background": col, "border": "#000000"}},
                             "shape": shape}
                   for c, (col, shape, _) in CLASS_STYLE.items()},
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -3000, "centralGravity": 0.35, "springLength": 100,
                          "springConstant": 0.04, "damping": 0.4, "avoidOverlap": 0 if seeded else 0.05,
                          # a coarser Barnes-Hut approximation: measured 4x cheaper per step at 5,000 nodes
                          "theta": 1.0 if seeded else 0.5},
            "minVelocity": 1.0,
            "maxVelocity": 40,
            "timestep": 0.5,
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 25, "fit": True},
        },
        "interaction": {"hover": not big, "tooltipDelay": 200, "hideEdgesOnDrag": big, "hideEdgesOnZoom": big,
                        "multiselect": False, "navigationButtons": False, "keyboard": False},
    }


def seed_layout(nodes: Iterable[str], links: Iterable[tuple[str, str]], *, spacing: float = 70.0
                ) -> dict[str, tuple[float, float]]:
    """Starting positions in linear time: each connected component as a radial tree, components packed in rows.

    Why: vis-network's physics costs O(n log n) per step in the browser, so at thousands of nodes
    a random start needs hundreds of slow steps; from a tree layout where neighbours are already
    close, a few dozen steps give a readable picture, then physics stops.

    Examples:
        >>> pos = seed_layout(["a", "b", "c", "d"], [("a", "b"), ("a", "c")])
        >>> pos["a"], round(abs(complex(*pos["b"]) - complex(*pos["a"])))
        ((0.0, 0.0), 70)
    """
    import math

    adjacent: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in links:
        if a in adjacent and b in adjacent and a != b:
            adjacent[a].add(b)
            adjacent[b].add(a)
    order = sorted(adjacent, key=lambda n: (-len(adjacent[n]), n))
    seen: set[str] = set()
    components: list[dict[str, tuple[float, float]]] = []
    for root in order:
        if root in seen:
            continue
        seen.add(root)
        children: dict[str, list[str]] = {root: []}
        depth = {root: 0}
        queue = deque([root])
        bfs = []
        while queue:
            cur = queue.popleft()
            bfs.append(cur)
            for nxt in sorted(adjacent[cur]):
                if nxt not in seen:
                    seen.add(nxt)
                    depth[nxt] = depth[cur] + 1
                    children[cur].append(nxt)
                    children[nxt] = []
                    queue.append(nxt)
        weight = {n: 1 for n in bfs}
        for n in reversed(bfs):
            weight[n] += sum(weight[c] for c in children[n])
        # Each subtree gets a wedge of the circle in proportion to its size, at radius = its depth.
        local = {root: (0.0, 0.0)}
        wedge = {root: (0.0, 2 * math.pi)}
        for n in bfs:
            lo, hi = wedge[n]
            total = sum(weight[c] for c in children[n]) or 1
            for c in children[n]:
                share = (hi - lo) * weight[c] / total
                wedge[c] = (lo, lo + share)
                mid = lo + share / 2
                local[c] = (depth[c] * spacing * math.cos(mid), depth[c] * spacing * math.sin(mid))
                lo += share
        components.append(local)
    # Shelf packing: biggest components first, rows about as wide as the whole picture is tall.
    sizes = [max(math.hypot(px, py) for px, py in c.values()) + spacing for c in components]
    width = math.sqrt(sum((2 * r) ** 2 for r in sizes)) * 1.2
    out: dict[str, tuple[float, float]] = {}
    x = y = row_h = 0.0
    for comp, r in zip(components, sizes):
        if x > 0 and x + 2 * r > width:
            x, y, row_h = 0.0, y + row_h, 0.0
        for n, (px, py) in comp.items():
            out[n] = (round(x + r + px - sizes[0], 1) + 0.0, round(y + r + py - sizes[0], 1) + 0.0)
        x += 2 * r
        row_h = max(row_h, 2 * r)
    return out


def _json_for_script(value: object) -> str:
    """JSON that is safe inside <script type="application/json">: no '<', '>' or '&' left to close the tag."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _asset(name: str) -> str:
    try:
        return (ASSETS_DIR / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise VizError(f"{ASSETS_DIR / name}: cannot read page asset ({exc.strerror or exc})") from exc


def _vis_asset(name: str) -> str:
    # vis-network as shipped inside the pyvis wheel (no copy in this repository, no CDN).
    try:
        return (resources.files("pyvis") / "lib" / VIS_VERSION / name).read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise VizError(f"pyvis/lib/{VIS_VERSION}/{name}: not found in the installed pyvis ({exc})") from exc


def _inline_safe(text: str, tag: str, what: str) -> str:
    if f"</{tag}" in text.lower():
        raise VizError(f"{what}: contains '</{tag}' and cannot be inlined")
    return text


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def _canvas_label(name: str, limit: int = 36) -> str:
    """The name drawn under a node: long policy titles are cut so they do not hide their neighbours.

    Examples:
        >>> _canvas_label("Measures for Upgrading Provincial Digital Economy Industrial Parks", 20)
        'Measures for Upgrad…'
    """
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _tooltip(node: Node, degree: int, n_docs: int) -> str:
    style = CLASS_STYLE[node.cls][2]
    kinds = f" ({', '.join(sorted(node.kinds))})" if node.kinds else ""
    lines = [node.label, f"{style}{kinds} · {degree} facts · {n_docs} document{'s' if n_docs != 1 else ''}"]
    if node.aliases:
        lines.append("also: " + "; ".join(sorted(node.aliases)[:5]))
    lines.append("click for evidence")
    return "\n".join(lines)


def _payload(view: GraphView, *, title: str, subtitle: str) -> dict:
    """The JSON the page script reads: pyvis's node and edge lists plus tables for the info panel."""
    doc_ids: list[str] = []
    doc_index: dict[str, int] = {}

    def doc(iri: str | None) -> int | None:
        if iri is None:
            return None
        if iri not in doc_index:
            doc_index[iri] = len(doc_ids)
            doc_ids.append(iri)
        return doc_index[iri]

    # Filter entries in file-name order, whichever node or sentence cites a document first.
    cited = set().union(*(n.docs for n in view.nodes.values()), *(e.docs for e in view.edges.values()))
    for d in sorted(cited, key=lambda d: (view.documents.get(d, (d, "", ""))[0], d)):
        doc(d)
    sent_index: dict[str, int] = {}
    sentences: list[list] = []

    def sentence(iri: str | None) -> int | None:
        if iri is None or iri not in view.sentences:
            return None
        if iri not in sent_index:
            text, in_doc, start = view.sentences[iri]
            sent_index[iri] = len(sentences)
            sentences.append([text, doc(in_doc), start])
        return sent_index[iri]

    degree = _degrees(view)
    seeds = seed_layout(view.nodes, ((e.s, e.o) for e in view.edges.values())) if len(view.nodes) > SEED_ABOVE else {}
    net = Network(directed=True)
    # pyvis checks node ids against a plain list (quadratic at thousands of nodes); a set-backed
    # list keeps its behaviour in linear time.
    net.node_ids = _IdList()
    details: dict[str, dict] = {}
    for iri in sorted(view.nodes):
        node = view.nodes[iri]
        docs = sorted(doc_index[d] for d in node.docs)
        place = dict(zip(("x", "y"), seeds[iri])) if iri in seeds else {}
        net.add_node(iri, label=_canvas_label(node.label), name=node.label, shape=CLASS_STYLE[node.cls][1],
                     group=node.cls.value, value=degree[iri] + 1, title=_tooltip(node, degree[iri], len(docs)),
                     docs=docs, **place)
        seen: set[str] = set()
        mentions = []
        for sent, start, end in node.mentions:
            idx = sentence(sent)
            if idx is None or sent in seen:
                continue
            seen.add(sent)
            mentions.append([idx, start, end])
        details[iri] = {
            "kinds": sorted(node.kinds),
            "aliases": sorted(node.aliases),
            "attrs": {k: sorted(v) for k, v in sorted(node.attrs.items())},
            "links": sorted(set(node.links)),
            "mentions": mentions[:MAX_SENTENCES],
            "moreMentions": max(0, len(mentions) - MAX_SENTENCES),
        }
    evidence: dict[str, list] = {}
    for n, key in enumerate(sorted(view.edges)):
        e = view.edges[key]
        eid = f"e{n}"
        hover = (f"{view.nodes[e.s].label}\n{e.p.value} →\n{view.nodes[e.o].label}\n"
                 f"{len(e.evidence)} evidence sentence(s) · click for evidence")
        net.add_edge(e.s, e.o, id=eid, label=e.p.value, title=hover, color=PREDICATE_COLOR[e.p],
                     docs=sorted(doc_index[d] for d in e.docs))
        ranked = sorted(e.evidence, key=lambda v: (-(v[3] or 0.0), str(v)))
        evidence[eid] = [[sentence(sent), start, end, conf, rule, role, doc(src)]
                         for sent, start, end, conf, rule, role, src in ranked[:MAX_SENTENCES]]
    entities_per_doc: Counter = Counter(d for n in view.nodes.values() for d in n.docs)
    documents = []
    for d in doc_ids:
        name, doc_title, source = view.documents.get(d, (d.rsplit("/", 1)[-1], "", ""))
        documents.append({"iri": d, "name": name, "title": doc_title, "source": source,
                          "entities": entities_per_doc[d]})
    class_counts = Counter(n.cls for n in view.nodes.values())
    pred_counts = Counter(e.p for e in view.edges.values())
    return {
        "title": title,
        "subtitle": subtitle,
        "classes": [{"name": c.value, "label": label, "color": col, "shape": shape, "count": class_counts[c],
                     "description": f"{label} ({c.value})"}
                    for c, (col, shape, label) in CLASS_STYLE.items()],
        "predicates": [{"name": p.value, "color": PREDICATE_COLOR[p], "count": pred_counts[p]}
                       for p in Predicate],
        "documents": documents,
        "sentences": sentences,
        "nodes": net.nodes,
        "edges": net.edges,
        "details": details,
        "evidence": evidence,
        "options": layout_options(len(net.nodes), len(net.edges)),
        "focus": [f for f in view.focus if f in view.nodes],
    }


class _IdList(list):
    """A list with set-speed `in`, for pyvis's node-id bookkeeping."""

    def __init__(self) -> None:
        super().__init__()
        self._set: set = set()

    def append(self, item) -> None:
        super().append(item)
        self._set.add(item)

    def __contains__(self, item) -> bool:
        return item in self._set


def render_page(view: GraphView, *, title: str = "ParkGraph", subtitle: str = "") -> str:
    """The complete HTML page for `view`: data, vis-network, styles and the explorer script, all inline.

    Returns:
        HTML text that requests nothing from any network when opened.

    Raises:
        VizError: a page asset is missing or cannot be inlined safely.
    """
    vis_js = _inline_safe(_vis_asset("vis-network.min.js"), "script", "vis-network.min.js")
    vis_css = _inline_safe(_vis_asset("vis-network.css"), "style", "vis-network.css")
    app_js = _inline_safe(_asset("app.js"), "script", "app.js")
    page_css = _inline_safe(_asset("page.css"), "style", "page.css")
    data_json = _json_for_script(_payload(view, title=title, subtitle=subtitle))
    # No source is allowed to load anything; only our two inline scripts (by hash) may run, so
    # even markup that slipped past escaping could neither execute nor phone home.
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "font-src data:",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    env = Environment(loader=FileSystemLoader(str(ASSETS_DIR)), autoescape=select_autoescape(["html"]))
    return env.get_template("page.html").render(
        title=title, subtitle=subtitle, csp=csp, generator=f"parkgraph {__version__}",
        vis_js=vis_js, vis_css=vis_css, app_js=app_js, page_css=page_css, data_json=data_json,
    )


def write_page(path: Path, view: GraphView, *, title: str = "ParkGraph", subtitle: str = "") -> PageSummary:
    """Render `view` and write it to `path` atomically.

    Raises:
        VizError: the page cannot be rendered or written.
    """
    from graph.pipeline import write_atomic  # the pipeline imports this module lazily; avoid a cycle

    html = render_page(view, title=title, subtitle=subtitle)
    try:
        write_atomic(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    except OSError as exc:
        raise VizError(f"{path}: cannot write page ({exc.strerror or exc})") from exc
    log.info("wrote %s: %d nodes, %d edges", path, len(view.nodes), len(view.edges))
    size = len(html.encode("utf-8"))
    return PageSummary(path=path, nodes=len(view.nodes), edges=len(view.edges), bytes=size)


def write_build_page(out_dir: Path, graph_file: str = "graph.trig", *, store: Store | None = None,
                     max_entities: int | None = PAGE_ENTITIES) -> PageSummary:
    """Draw the whole graph of a build folder to DIR/graph.html (at most `max_entities` entities:
    see PAGE_ENTITIES).

    Without `store`, reads the graph file into an in-memory store rather than DIR/store, so it
    never holds the on-disk store's lock while other steps run. The build passes the store it holds
    (before the reasoner adds its inferred graph), which has the same graphs as the file and
    spares loading it again.

    Raises:
        VizError: the graph cannot be read or the page cannot be written.
    """
    if store is None:
        try:
            store = open_store(out_dir / graph_file)
        except StoreError as exc:
            raise VizError(str(exc)) from exc
    view = load_view(store)
    subtitle = f"{len(view.documents)} documents"
    total = len(view.nodes)
    if max_entities is not None and total > max_entities:
        view = restrict(view, most_mentioned(view, max_entities))
        subtitle += (f" · the {max_entities:,} entities named in the most documents, of {total:,}"
                     " (parkgraph viz --focus NAME draws any other)")
    return replace(write_page(out_dir / PAGE_FILE, view, title="ParkGraph", subtitle=subtitle), total=total)


def most_mentioned(view: GraphView, n: int) -> list[str]:
    """The `n` entities named in the most documents; ties go to the best connected, then by IRI.

    Examples:
        >>> v = GraphView(nodes={i: Node(i, EntityClass.PARK, docs=set(d)) for i, d in
        ...                      [("a", "x"), ("b", "xy"), ("c", "x")]})
        >>> v.edges[("c", "locatedIn", "b")] = Edge("c", Predicate.LOCATED_IN, "b")
        >>> most_mentioned(v, 2)
        ['b', 'c']
    """
    degree = _degrees(view)
    return sorted(view.nodes, key=lambda i: (-len(view.nodes[i].docs), -degree[i], i))[:n]


def _degrees(view: GraphView) -> Counter:
    """Facts per entity, either end."""
    degree: Counter = Counter()
    for e in view.edges.values():
        degree[e.s] += 1
        degree[e.o] += 1
    return degree


def post_build(out_dir: Path, report: BuildReport, *, store: Store | None = None) -> None:
    """The build's visualize step: write DIR/graph.html; a failure becomes a warning, never an exception.

    Args:
        out_dir: the build folder.
        report: the build report (a summary line or a warning is added).
        store: the build's open store, holding what graph.trig holds (read from the file when None).
    """
    try:
        summary = write_build_page(out_dir, store=store)
    except Exception as exc:  # the page is a convenience: any failure, even a bug, must not fail the build
        log.warning("page not written: %s", exc, exc_info=not isinstance(exc, VizError))
        report.warnings.append(f"{out_dir / PAGE_FILE}: page not written ({exc})")
        return
    report.extras.setdefault("summary_lines", []).append(
        f"page: {summary.path} ({summary.nodes} entities"
        + (f" of {summary.total}, those named in the most documents" if summary.total > summary.nodes else "")
        + f", {summary.edges} facts; opens offline)"
    )
