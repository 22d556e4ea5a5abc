"""Analyze: project the RDF graph to networkx and run network analyses that return plain data.

Why networkx: analysts know it and the corpus-sized graphs are small; the one heavy step, community
detection, runs in C through graph.community. Everything is sorted before graphs are built, so the
same store gives the same results in every process (rdflib's triple order changes between runs).

Results can be written back into the build as the `.../graph/analysis` named graph (see
`analysis_graph` and `write_analysis`), so SPARQL can use them; document graphs are never touched.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Hashable, Iterable
from itertools import pairwise
from pathlib import Path

import networkx as nx
from rdflib import Graph, Literal, Namespace, URIRef

from graph.community import communities
from graph.paths import QUERIES_DIR
from graph.query import QueryError, parse_query_file, run_sparql
from graph.store import Store
from graph.vocab import ANALYSIS_GRAPH, BASE, PREFIXES, RDF, RDFS, XSD

__all__ = [
    "PGA",
    "AnalysisError",
    "analysis_graph",
    "centrality",
    "chain_sentences",
    "communities",
    "components",
    "isolated",
    "project",
    "shortest_chain",
    "sponsor_communities",
    "sponsor_network",
    "write_analysis",
]

log = logging.getLogger(__name__)

PGA = Namespace(BASE + "analysis#")
"""Vocabulary of analysis results (community, centrality, component), kept out of the ontology proper."""

ANALYSIS_QUERIES = QUERIES_DIR / "analysis"
SPONSOR_PREDICATES = ("establishedBy", "governs", "issuedBy")


class AnalysisError(ValueError):
    """An analysis that cannot run as asked (unknown entity, bad store); the message says which."""


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def project(store: Store, *, include_inferred: bool = False) -> nx.MultiDiGraph:
    """Project the store's entities and facts to a networkx MultiDiGraph.

    Nodes are entity IRIs with `type` (core class local name) and `label`; there is one edge per
    asserted fact, keyed by predicate local name, whose `evidence` is a sorted list of
    `{"file", "sentence", "confidence"}` dicts (empty for linked facts that have no sentence).

    Args:
        store: an open store.
        include_inferred: also project facts from the inferred named graph (default: asserted only).

    Raises:
        AnalysisError: the projection queries fail on this store.
    """
    try:
        ents = run_sparql(store, parse_query_file(ANALYSIS_QUERIES / "entities.rq").text,
                          include_inferred=include_inferred)
        facts = run_sparql(store, parse_query_file(ANALYSIS_QUERIES / "facts.rq").text,
                           include_inferred=include_inferred)
    except QueryError as exc:
        raise AnalysisError(f"{store.location}: cannot project graph: {exc}") from exc
    g = nx.MultiDiGraph()
    for row in sorted(ents.rows, key=lambda r: str(r["entity"])):
        iri = str(row["entity"])
        g.add_node(iri, type=_local(str(row["class"])), label=str(row["label"] or _local(iri)))
    evidence: dict[tuple[str, str, str], list[dict[str, object]]] = defaultdict(list)
    for row in facts.rows:
        key = (str(row["s"]), _local(str(row["p"])), str(row["o"]))
        ev = evidence[key]
        if row.get("sentence") is not None:
            conf = row.get("confidence")
            ev.append({"file": str(row["file"]), "sentence": str(row["sentence"]),
                       "confidence": float(conf) if conf is not None else None})
    for (s, p, o), ev in sorted(evidence.items()):
        for n in (s, o):
            if n not in g:
                g.add_node(n, type="Unknown", label=_local(n))
        unique = {(e["file"], e["sentence"]): e for e in ev}
        g.add_edge(s, o, key=p, predicate=p, evidence=[unique[k] for k in sorted(unique)])
    log.info("projected %d entities and %d facts", g.number_of_nodes(), g.number_of_edges())
    return g


def sponsor_network(g: nx.MultiDiGraph) -> nx.Graph:
    """Park–park network: parks linked by the government bodies that back both (bipartite projection).

    A body backs a park when it established or governs it, or issued a policy that concerns it. The
    edge `weight` is the number of shared sponsors and `sponsors` lists them.

    Examples:
        >>> g = nx.MultiDiGraph()
        >>> for n, t in [("p1", "IndustrialPark"), ("p2", "IndustrialPark"), ("gov", "GovernmentBody"),
        ...              ("pol", "Policy")]:
        ...     g.add_node(n, type=t, label=n)
        >>> g.add_edge("pol", "gov", key="issuedBy"); g.add_edge("pol", "p1", key="concerns")
        'issuedBy'
        'concerns'
        >>> g.add_edge("p2", "gov", key="establishedBy")
        'establishedBy'
        >>> sorted(sponsor_network(g).edges(data="weight"))
        [('p1', 'p2', 1)]
    """
    backers: dict[str, set[str]] = defaultdict(set)
    types = nx.get_node_attributes(g, "type")
    for s, o, p in g.edges(keys=True):
        if p == "establishedBy" and types.get(s) == "IndustrialPark" and types.get(o) == "GovernmentBody":
            backers[o].add(s)
        elif p == "governs" and types.get(o) == "IndustrialPark" and types.get(s) == "GovernmentBody":
            backers[s].add(o)
        elif p == "concerns" and types.get(o) == "IndustrialPark":
            for _, gov, key in g.out_edges(s, keys=True):
                if key == "issuedBy" and types.get(gov) == "GovernmentBody":
                    backers[gov].add(o)
    net = nx.Graph()
    parks = sorted(n for n, t in types.items() if t == "IndustrialPark")
    for park in parks:
        net.add_node(park, label=g.nodes[park].get("label", park))
    for gov in sorted(backers):
        members = sorted(backers[gov])
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if net.has_edge(a, b):
                    net[a][b]["weight"] += 1
                    net[a][b]["sponsors"].append(gov)
                else:
                    net.add_edge(a, b, weight=1, sponsors=[gov])
    return net


def sponsor_communities(g: nx.MultiDiGraph, *, seed: int = 0) -> list[dict[str, object]]:
    """Communities of the park–park sponsor network, one row per park (isolated parks left out).

    Returns:
        Rows `{community, park, label, degree, weight}` sorted by community then park.
    """
    net = sponsor_network(g)
    net.remove_nodes_from([n for n in list(net.nodes) if net.degree(n) == 0])
    rows = []
    for cid, members in enumerate(communities(net, seed=seed)):
        for park in members:
            rows.append({
                "community": cid, "park": park, "label": net.nodes[park].get("label", park),
                "degree": net.degree(park), "weight": net.degree(park, weight="weight"),
            })
    return rows


def centrality(
    g: nx.MultiDiGraph, *, types: Iterable[str] = ("GovernmentBody", "IndustrialPark"), seed: int = 0
) -> list[dict[str, object]]:
    """Degree, betweenness and closeness of entities of `types` in the undirected fact graph.

    Betweenness is exact up to 5,000 nodes and sampled (512 pivots, seeded) above that, where
    closeness is skipped (0); both need no numpy.

    Returns:
        Rows `{node, label, type, degree, betweenness, closeness}`, highest betweenness first.

    Examples:
        >>> g = nx.MultiDiGraph()
        >>> for n in "abc":
        ...     g.add_node(n, type="IndustrialPark", label=n)
        >>> _ = g.add_edge("a", "b", key="locatedIn"); _ = g.add_edge("b", "c", key="locatedIn")
        >>> [r["node"] for r in centrality(g)][:1]
        ['b']
    """
    wanted = set(types)
    simple = _simple(g)
    n = simple.number_of_nodes()
    if n == 0:
        return []
    k = None if n <= 5000 else 512
    between = nx.betweenness_centrality(simple, k=k, seed=seed, normalized=True)
    closeness = nx.closeness_centrality(simple) if n <= 5000 else {}
    rows = [
        {"node": v, "label": g.nodes[v].get("label", v), "type": g.nodes[v].get("type"),
         "degree": simple.degree(v), "betweenness": round(between[v], 6), "closeness": round(closeness.get(v, 0.0), 6)}
        for v in sorted(simple.nodes) if g.nodes[v].get("type") in wanted
    ]
    return sorted(rows, key=lambda r: (-r["betweenness"], -r["degree"], r["node"]))


def _simple(g: nx.MultiDiGraph) -> nx.Graph:
    simple = nx.Graph()
    simple.add_nodes_from(sorted(g.nodes))
    simple.add_edges_from(sorted((u, v) for u, v in g.edges() if u != v))
    return simple


def resolve(g: nx.MultiDiGraph, ref: str) -> str:
    """The node for `ref`: an IRI, or a label matched case-insensitively (exact, then unique substring).

    Raises:
        AnalysisError: no node or several nodes match.
    """
    if ref in g:
        return ref
    wanted = ref.casefold()
    exact = sorted(n for n, lab in g.nodes(data="label") if str(lab).casefold() == wanted)
    if len(exact) == 1:
        return exact[0]
    partial = exact or sorted(n for n, lab in g.nodes(data="label") if wanted in str(lab).casefold())
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AnalysisError(f"no entity named or identified by {ref!r}")
    raise AnalysisError(f"{ref!r} matches {len(partial)} entities, e.g. {', '.join(partial[:3])}; use an IRI")


def shortest_chain(g: nx.MultiDiGraph, source: str, target: str) -> list[dict[str, object]]:
    """The shortest chain of facts linking two entities, whatever the facts' direction.

    Args:
        g: the projected graph (see `project`).
        source: IRI or label of the first entity.
        target: IRI or label of the last entity.

    Returns:
        One row per fact along the chain: `{step, subject, subjectLabel, predicate, object,
        objectLabel, file, sentence}` (the first supporting sentence; empty for linked facts).

    Raises:
        AnalysisError: an entity is unknown or no chain joins them.

    Examples:
        >>> g = nx.MultiDiGraph()
        >>> for n in ("park", "city", "prov"):
        ...     g.add_node(n, type="Place", label=n.title())
        >>> _ = g.add_edge("park", "city", key="locatedIn", evidence=[])
        >>> _ = g.add_edge("city", "prov", key="locatedIn", evidence=[])
        >>> chain_sentences(shortest_chain(g, "Prov", "park"))
        ['City locatedIn Prov.', 'Park locatedIn City.']
    """
    a, b = resolve(g, source), resolve(g, target)
    try:
        path = nx.shortest_path(_simple(g), a, b)
    except nx.NetworkXNoPath:
        raise AnalysisError(f"no chain of facts links {source!r} and {target!r}") from None
    rows = []
    for step, (u, v) in enumerate(pairwise(path), start=1):
        options = [(u, v, k, d) for k, d in sorted(g.get_edge_data(u, v, default={}).items())]
        options += [(v, u, k, d) for k, d in sorted(g.get_edge_data(v, u, default={}).items())]
        s, o, p, data = options[0]
        ev = (data.get("evidence") or [{}])[0]
        rows.append({
            "step": step, "subject": s, "subjectLabel": g.nodes[s].get("label", s), "predicate": p,
            "object": o, "objectLabel": g.nodes[o].get("label", o),
            "file": ev.get("file"), "sentence": ev.get("sentence"),
        })
    return rows


def chain_sentences(chain: list[dict[str, object]]) -> list[str]:
    """A chain as readable lines: 'A predicate B.' followed by the source sentence where there is one."""
    lines = []
    for row in chain:
        line = f"{row['subjectLabel']} {row['predicate']} {row['objectLabel']}."
        if row.get("sentence"):
            line += f' ({row["file"]}: "{row["sentence"]}")'
        lines.append(line)
    return lines


def components(g: nx.MultiDiGraph) -> list[dict[str, object]]:
    """Connected components of the fact graph, largest first (singletons included).

    Returns:
        Rows `{component, size, node, label, type}`, one per entity.
    """
    parts = sorted((sorted(c) for c in nx.connected_components(_simple(g))), key=lambda c: (-len(c), c[0]))
    return [
        {"component": i, "size": len(part), "node": n, "label": g.nodes[n].get("label", n),
         "type": g.nodes[n].get("type")}
        for i, part in enumerate(parts) for n in part
    ]


def isolated(g: nx.MultiDiGraph) -> list[dict[str, object]]:
    """Entities that take part in no fact: mentioned, but connected to nothing.

    Examples:
        >>> g = nx.MultiDiGraph(); g.add_node("x", type="Person", label="X")
        >>> isolated(g)
        [{'node': 'x', 'label': 'X', 'type': 'Person'}]
    """
    return [{"node": n, "label": g.nodes[n].get("label", n), "type": g.nodes[n].get("type")}
            for n in sorted(g.nodes) if g.degree(n) == 0]


def analysis_graph(
    *,
    community_rows: list[dict[str, object]] | None = None,
    centrality_rows: list[dict[str, object]] | None = None,
    component_rows: list[dict[str, object]] | None = None,
) -> Graph:
    """Analysis results as RDF (for the `.../graph/analysis` named graph).

    Shape: `?park pga:sponsorCommunity pgac:<n>`, `pgac:<n> a pga:Community`;
    `?entity pga:betweenness / pga:closeness / pga:degree`; `?entity pga:component <n>`.
    """
    out = Graph()
    out.bind("pga", PGA)
    for row in community_rows or []:
        c = URIRef(f"{BASE}analysis/community/{row['community']}")
        out.add((c, RDF.type, PGA.Community))
        out.add((c, RDFS.label, Literal(f"sponsor community {row['community']}")))
        out.add((URIRef(str(row["park"])), PGA.sponsorCommunity, c))
    for row in centrality_rows or []:
        node = URIRef(str(row["node"]))
        out.add((node, PGA.degree, Literal(int(row["degree"]))))
        out.add((node, PGA.betweenness, Literal(str(row["betweenness"]), datatype=XSD.decimal)))
        out.add((node, PGA.closeness, Literal(str(row["closeness"]), datatype=XSD.decimal)))
    for row in component_rows or []:
        out.add((URIRef(str(row["node"])), PGA.component, Literal(int(row["component"]))))
    return out


def write_analysis(build_dir: Path, results: Graph) -> int:
    """Replace the analysis named graph inside `build_dir/graph.trig` with `results`, atomically.

    Why in graph.trig: `open_store` loads that one file, so SPARQL sees the results with no extra
    step; only the analysis graph changes, the document graphs are copied through untouched.

    Returns:
        The number of triples written to the analysis graph.

    Raises:
        AnalysisError: `build_dir` is not a build folder.
    """
    import pyoxigraph as ox

    from graph.pipeline import write_atomic

    trig = Path(build_dir) / "graph.trig"
    if not trig.is_file():
        raise AnalysisError(f"{build_dir}: --write needs a build folder with graph.trig")
    mem = ox.Store()
    mem.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    target = ox.NamedNode(str(ANALYSIS_GRAPH))
    if mem.contains_named_graph(target):
        mem.remove_graph(target)
    quads = []
    for s, p, o in sorted(results):
        quads.append(ox.Quad(_ox(s), _ox(p), _ox(o), target))
    mem.extend(quads)
    prefixes = {k: str(v) for k, v in PREFIXES.items()} | {"pga": str(PGA)}
    write_atomic(trig, lambda tmp: mem.dump(output=str(tmp), format=ox.RdfFormat.TRIG, prefixes=prefixes))
    return len(quads)


def _ox(term: object) -> object:
    from graph.store import to_oxigraph

    return to_oxigraph(term)  # type: ignore[arg-type]


def node_label(g: nx.MultiDiGraph, node: Hashable) -> str:
    """A node's label, or its IRI's last segment."""
    return str(g.nodes[node].get("label") or _local(str(node)))
