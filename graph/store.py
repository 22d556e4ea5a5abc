"""Store: where a built graph lives for querying — an embedded pyoxigraph store by default.

Why pyoxigraph: a Rust SPARQL engine with an on-disk store, measured at about 10x rdflib's in-memory
graph on load and far more on joins; rdflib stays the library for parsing, serialising and small
graphs. Callers use `open_store()` and the `Store` methods, never a backend directly, so a remote
SPARQL server (--store URL) can stand behind the same interface.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from graph.errors import StoreError
from graph.result_order import order_rows, split_order
from graph.sparql_text import (
    bind_values,
    has_dataset_clause,
    hint_values,
    inline_subselects,
    lateral_optionals,
    wants_per_row,
)
from graph.vocab import INFERRED_GRAPH

__all__ = [
    "GRAPH_FILE",
    "STORE_DIR",
    "QueryResult",
    "Store",
    "StoreError",
    "is_store_url",
    "load_rdf_file",
    "open_build_store",
    "open_store",
    "to_rdflib",
]

log = logging.getLogger(__name__)

_DEFAULT = ox.DefaultGraph()
_INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
_LAYOUT = "merged-v2"  # the default graph holds every named graph's triples once, the inferred graph's too

GRAPH_FILE = "graph.trig"
STORE_DIR = "store"
RDF_FORMATS = {
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


@dataclass
class QueryResult:
    """Rows of a SELECT as dicts of rdflib terms (None where unbound); or ASK's boolean."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node | None]] = field(default_factory=list)
    boolean: bool | None = None


def _iri(value: str) -> URIRef:
    # pyoxigraph has validated the IRI already; URIRef() would check every character again, which
    # was a fifth of the cost of turning a result into rdflib terms
    return str.__new__(URIRef, value)


_DATATYPES: dict[str, URIRef] = {}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_STRING_IRI = URIRef(_XSD_STRING)


def _string_literal(value: str, lang: str | None, datatype: URIRef | None, ill_typed: bool | None) -> Literal:
    # The same object Literal(value, lang=...) or Literal(value, datatype=XSD.string) builds, without
    # rdflib's lexical parsing and datatype checks: strings are most of a result's terms and their
    # construction was most of the embedded store's overhead over raw pyoxigraph (amounts at 1M:
    # 169 ms against 123 ms). tests/test_store.py compares both constructions (and the plain
    # literal _as_parsed makes).
    lit = str.__new__(Literal, value)
    lit._language = lang
    lit._datatype = datatype
    lit._value = value
    lit._ill_typed = ill_typed
    return lit


def to_rdflib(term) -> Node | None:
    """Convert a pyoxigraph term to the equivalent rdflib term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return _string_literal(term.value, term.language, None, None)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return _string_literal(term.value, None, _XSD_STRING_IRI, False)
        datatype = _DATATYPES.get(dt)
        if datatype is None:
            datatype = _DATATYPES[dt] = URIRef(dt)
        return Literal(term.value, datatype=datatype)
    raise StoreError(f"unsupported term {term!r}")


_GRAPH_TAIL = re.compile(rb" <([^<>\s]*)> \.\n")


def _as_parsed(term) -> Node:
    """A pyoxigraph term as rdflib's parsers give it: a simple literal stays plain (to_rdflib types it
    xsd:string, which rdflib does not equate with the plain literal a parsed file holds)."""
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value == _XSD_STRING:
        return _string_literal(term.value, None, None, None)  # what Literal(term.value) builds
    return to_rdflib(term)


def to_oxigraph(term: Node | str):
    """Convert an rdflib term (or an IRI string) to pyoxigraph, for parameter bindings."""
    if isinstance(term, str) and not isinstance(term, (URIRef, Literal, BNode)):
        return ox.NamedNode(term) if term.startswith(("http://", "https://", "urn:")) else ox.Literal(term)
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise StoreError(f"cannot bind {term!r}")


class Store:
    """An embedded pyoxigraph store: one named graph per document (and meta, ontology, links, inferred).

    The default graph is a merged view kept by every write method: each triple of the named graphs
    once (the inferred graph's too). Why: the same entity is typed and labelled in every document
    that names it, and a union default graph returns a triple once per graph that holds it, which
    multiplied rows and slowed the canned queries about 6x at 100k triples; one graph rather than
    "view + inferred" also spares the engine a union on every pattern. `include_inferred=False`
    falls back to the union of the other named graphs (slower, rare). GRAPH ?g still reaches each
    document's own graph for provenance.
    """

    def __init__(self, ox_store: ox.Store, *, location: str, read_only: bool = False) -> None:
        self._store = ox_store
        self.location = location
        self.read_only = read_only

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that needs bulk operations."""
        return self._store

    def query(self, sparql: str, *, bindings: dict[str, Node | str] | None = None,
              include_inferred: bool = True, plan_hints: bool = True) -> QueryResult:
        """Run a SPARQL query; `bindings` substitute variables (never spliced into the text).

        Args:
            sparql: the query text.
            bindings: values for variables.
            include_inferred: False to leave the reasoner's inferred graph out of the default graph.
            plan_hints: False to run the text as given, without the planner hints of
                graph.sparql_text (same rows; tests compare both ways).

        Raises:
            StoreError: the query does not parse or fails to evaluate.
        """
        try:
            return self._answer(sparql, bindings, include_inferred, plan_hints)
        except StoreError as exc:
            # a read-only view of a store whose writer (a running build or server) has since
            # compacted the files it was reading: RocksDB reports one missing; a fresh view has it
            if not (self.read_only and "no such file" in str(exc).lower()):
                raise
            log.info("%s changed under a read-only view; reopening it", self.location)
            self._store = _open_read_only(Path(self.location) / STORE_DIR)
            return self._answer(sparql, bindings, include_inferred, plan_hints)

    def _answer(self, sparql: str, bindings: dict[str, Node | str] | None, include_inferred: bool,
                plan_hints: bool) -> QueryResult:
        subs = {ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
        # Same answer, better plan (graph.sparql_text). Only for bound queries, or those that ask for it
        # with a `# plan: per-row` line: an unbound one usually returns most of its evidence, which one
        # hash join reads faster than a lookup per row (shared-sponsor unbound: 2.4x slower). LATERAL
        # first: both scans are cached per text, and the hinted text is new for every value.
        planned = sparql
        if plan_hints and (bindings or wants_per_row(sparql)):
            planned = lateral_optionals(inline_subselects(sparql, frozenset(bindings or ())))
        if plan_hints and bindings:
            with suppress(StoreError):  # a value the hint cannot spell (a blank node): substitution alone
                planned = hint_values(planned, bindings)
        # the final ORDER BY sorted here, on terms decoded once (graph.result_order)
        order = split_order(planned) if plan_hints else None
        if order is not None:
            result = self._select(order[0], sparql, subs, bindings, include_inferred)
            if result.boolean is None and order_rows(result.rows, result.variables, order[1]):
                return result
        return self._select(planned, sparql, subs, bindings, include_inferred)

    def _select(self, planned: str, sparql: str, subs: dict, bindings: dict[str, Node | str] | None,
                include_inferred: bool) -> QueryResult:
        """Run `planned` (the text `sparql` with planner hints) and convert its result."""
        if has_dataset_clause(sparql):  # the query's own FROM / FROM NAMED say which graphs it reads
            run = self._store.query
        else:
            run = partial(self._store.query, default_graph=_DEFAULT)
            if not include_inferred:  # the other named graphs as a union; GRAPH ?g must not reach it either
                others = [g for g in self._store.named_graphs() if g != _INFERRED]
                run = partial(self._store.query, default_graph=others, named_graphs=others)
        try:
            try:
                result = run(planned, substitutions=subs or None)
            except RuntimeError as exc:
                # pyoxigraph substitutes only projected variables; others go in as a VALUES block
                if not subs or "projection" not in str(exc):
                    raise
                result = run(bind_values(sparql, bindings or {}))
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc
        if isinstance(result, (bool, ox.QueryBoolean)):
            return QueryResult(boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            # One rdflib term per distinct engine term: results repeat the same IRIs and labels on
            # many rows, and building rdflib terms (a Literal parses its lexical form) dominated the
            # cost of large results (20x faster conversion with this per-query cache).
            made: dict = {None: None}

            def term(t):
                r = made.get(t, made)
                if r is made:
                    r = made[t] = to_rdflib(t)
                return r

            try:  # the engine reads lazily: a failure can come while iterating
                rows = [dict(zip(variables, map(term, sol))) for sol in result]  # in variable order
            except OSError as exc:
                raise StoreError(f"query failed: {exc}") from exc
            return QueryResult(variables=variables, rows=rows)
        # CONSTRUCT / DESCRIBE: triples as rows s, p, o
        rows = [{"s": to_rdflib(t.subject), "p": to_rdflib(t.predicate), "o": to_rdflib(t.object)}
                for t in result]
        return QueryResult(variables=["s", "p", "o"], rows=rows)

    def query_serialized(self, sparql: str, *, accept: str | None = None) -> tuple[bytes, str]:
        """Run a query and serialise its result for HTTP: (body, media type), chosen by `accept`.

        Why: the SPARQL endpoint hands the engine's own serialisation straight to the client,
        with no round trip through rdflib terms.

        Raises:
            StoreError: the query does not parse or fails to evaluate.
        """
        try:
            if has_dataset_clause(sparql):
                result = self._store.query(sparql)
            else:
                result = self._store.query(sparql, default_graph=_DEFAULT)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc
        if isinstance(result, ox.QueryTriples):
            fmt = negotiate_rdf(accept)
            return result.serialize(format=fmt), fmt.media_type
        fmt = negotiate_results(accept)
        return result.serialize(format=fmt), fmt.media_type

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (transactional).

        Raises:
            StoreError: the update does not parse or fails.
        """
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"update failed: {exc}") from exc
        # An update may touch any graph (or the view itself): recompute the merged view.
        self.rebuild_merged()

    def rebuild_merged(self) -> None:
        """Recompute the merged default graph from the named graphs (after a bulk load or an update)."""
        self._store.clear_graph(ox.DefaultGraph())
        self._store.update(
            "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")

    def _merge(self, quads: list[ox.Quad]) -> None:
        """Add the triples of named-graph quads to the merged view."""
        self._store.extend([ox.Quad(q.subject, q.predicate, q.object) for q in quads if q.graph_name != _DEFAULT])

    def _unmerge(self, quads: list[ox.Quad]) -> None:
        """Remove from the merged view the triples of `quads` (about to be deleted) held by no other graph."""
        leaving: dict[tuple, set] = {}
        for q in quads:
            if q.graph_name != _DEFAULT:
                leaving.setdefault((q.subject, q.predicate, q.object), set()).add(q.graph_name)
        for (s, p, o), graphs in leaving.items():
            held = {q.graph_name for q in self._store.quads_for_pattern(s, p, o, None)} - {_DEFAULT}
            if held <= graphs:
                self._store.remove(ox.Quad(s, p, o))

    def quads(self, pattern: tuple = (None, None, None, None)) -> Iterator[tuple[Node, Node, Node, URIRef]]:
        """Quads of the named graphs matching `pattern` (s, p, o, graph; None matches anything), as rdflib terms.

        Why: rdflib's `Dataset.quads` shape, so a stage written against it (reasoning, linking,
        validation) reads a build's store directly instead of a re-parsed graph.trig, which cost
        more than extraction itself at 1,000 documents. The merged default graph is never
        returned: every triple comes with the named graph that holds it.
        """
        if isinstance(pattern[0], Literal) or (pattern[1] is not None and not isinstance(pattern[1], URIRef)):
            return  # rdflib finds nothing for a literal subject or a predicate that is not an IRI
        s, p, o, g = (None if t is None else to_oxigraph(URIRef(t) if i == 3 else t) for i, t in enumerate(pattern))
        # One rdflib term per distinct engine term, as in query(): predicates and graph names repeat on
        # every quad, and making a term cost more than the lookup (assertions for the reasoner at
        # 3,000 documents: 4.2 s)
        made: dict = {}

        def term(t):
            r = made.get(t)
            if r is None:
                if len(made) > 100_000:  # bounded: a scan of the whole store must not keep every term
                    made.clear()
                r = made[t] = _as_parsed(t)
            return r

        for q in self._store.quads_for_pattern(s, p, o, g):
            graph = q.graph_name
            if graph != _DEFAULT:
                yield term(q.subject), term(q.predicate), term(q.object), term(graph)

    def graphs(self) -> set[str]:
        """IRIs of the named graphs in the store."""
        return {g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}

    def put_graph(self, graph: str, data: bytes, *, media_type: str = "text/turtle") -> None:
        """Replace the named graph `graph` with `data` (Turtle / N-Triples unless `media_type` says else).

        Blank nodes get canonical labels (RDFC, prefixed by a hash of the graph name) instead of
        the parser's random ones, so graph.trig dumped from the store is byte-identical across builds.

        Raises:
            StoreError: `data` does not parse.
        """
        self._put(graph, data, media_type, ordered=False)

    def put_graph_sorted(self, graph: str, data: bytes, *, media_type: str = "text/turtle") -> None:
        """put_graph, adding the graph's quads in sorted order (same canonical blank-node labels).

        Why: an in-memory store lists quads in the order they were added, and the build writes
        graph.trig from one; parse order and the parser's random blank-node labels must not reach
        the file, or two builds of the same input would differ in bytes.

        Raises:
            StoreError: `data` does not parse.
        """
        self._put(graph, data, media_type, ordered=True)

    def _put(self, graph: str, data: bytes, media_type: str, *, ordered: bool) -> None:
        g = ox.NamedNode(graph)
        fmt = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.TURTLE
        if fmt == ox.RdfFormat.N_TRIPLES and b"_:" not in data:
            # No blank node to relabel: the engine loads the text itself. Building a Python object per
            # quad, twice, cost 17 s for the 370,000 inferred triples of a 3,000-document build; this
            # path takes about 4 s. Sorted lines give a fixed order; the parse first, so a bad input
            # leaves the old graph in place.
            if ordered:
                data = b"\n".join(sorted(line for line in data.splitlines() if line.strip())) + b"\n"
            try:
                for _ in ox.parse(data, format=fmt):
                    pass
            except (SyntaxError, ValueError) as exc:
                raise StoreError(f"graph {graph}: cannot parse {media_type} ({exc})") from exc
            self._drop_named(g)
            # Bulk loads, the merged view straight from the same text: transactional loads cost about
            # 50 us a triple on disk (the 1.06M inferred triples of a 10,000-document build: over 10 min)
            self._store.bulk_load(input=data, format=fmt, to_graph=g)
            self._store.bulk_load(input=data, format=fmt, to_graph=_DEFAULT)
            return
        try:
            quads = [ox.Quad(t.subject, t.predicate, t.object, g) for t in ox.parse(data, format=fmt)]
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"graph {graph}: cannot parse {media_type} ({exc})") from exc
        if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads):
            ds = ox.Dataset(quads)
            ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
            tag = hashlib.sha1(graph.encode()).hexdigest()[:8]

            def relabel(term):
                return ox.BlankNode(f"g{tag}{term.value}") if isinstance(term, ox.BlankNode) else term

            quads = [ox.Quad(relabel(q.subject), q.predicate, relabel(q.object), g) for q in ds]
        if ordered:
            quads.sort(key=str)
        self._drop_named(g)
        self._store.extend(quads)
        self._merge(quads)

    def _drop_named(self, g: ox.NamedNode) -> None:
        """Remove a named graph and, from the merged view, the triples only it held.

        One update in the engine, not a lookup per triple from Python: replacing the inferred graph
        of a rebuilt 3,000-document build means 370,000 triples.
        """
        if self._store.contains_named_graph(g):
            self._store.update(
                f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != <{g.value}>) }} }}")
            self._store.remove_graph(g)

    def get_graph(self, graph: str) -> bytes:
        """The triples of one named graph as N-Triples (empty when the graph does not exist)."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph and its triples; silent when it does not exist."""
        self._drop_named(ox.NamedNode(graph))

    def delete_about(self, graph: str, subject: str) -> None:
        """Delete every triple of `graph` whose subject is `subject` (a document graph's meta entries)."""
        quads = list(self._store.quads_for_pattern(ox.NamedNode(subject), None, None, ox.NamedNode(graph)))
        self._unmerge(quads)
        for q in quads:
            self._store.remove(q)

    def add_quads(self, data: bytes) -> None:
        """Add N-Quads to the store (bulk path: no transaction, much faster for large inputs).

        Raises:
            StoreError: `data` does not parse.
        """
        try:
            quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot parse N-Quads ({exc})") from exc
        named = [q for q in quads if q.graph_name != _DEFAULT]
        self._store.bulk_extend(named + [ox.Quad(q.subject, q.predicate, q.object) for q in quads])

    def load_graphs(self, data: bytes, graphs: Iterable[str], *, triples: bytes | None = None) -> None:
        """Bulk-load N-Quads whose every line is in one of `graphs`, and their triples into the merged view.

        Why: add_quads turns every quad into a Python object; this hands both loads to pyoxigraph's
        bulk loader, which does not hold the GIL, so a build can fill its on-disk store from a
        background thread while it extracts (about 3x faster at 1,000 documents, and off the
        critical path). The merged view gets the same lines with the graph name cut, so `graphs`
        must name every graph in `data`; it is for document graphs (the reasoner's graph goes in with put_graph).

        `triples`, when the caller has them (the build's per-document step writes both), are the
        same lines without graph names; the caller vouches that they match `data` and lie in
        `graphs`, and the regex pass over the bytes (which holds the GIL) is skipped.

        Raises:
            StoreError: `data` does not parse, or a line lies in a graph not in `graphs`.
        """
        names = {str(g).encode() for g in graphs}
        if str(INFERRED_GRAPH).encode() in names:
            raise StoreError("load_graphs is for document graphs; put the inferred graph with put_graph")
        if triples is None:
            # One pass over the bytes: the last term of each line is its graph (raw newlines end lines only).
            stray = set(_GRAPH_TAIL.findall(data)) - names
            triples, n = _GRAPH_TAIL.subn(b" .\n", data)
            if stray or n != data.count(b"\n"):
                raise StoreError(
                    f"load_graphs: lines outside the graphs given ({sorted(stray)[:3] or 'no graph name'})")
        try:
            # the merged view first: a line in an unnamed graph fails here, before any named graph changed
            self._store.bulk_load(input=triples, format=ox.RdfFormat.N_TRIPLES)
            self._store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot load N-Quads ({exc})") from exc

    def export(self) -> bytes:
        """Every named graph as N-Quads (the default graph is only the merged view of them)."""
        return ox.serialize(self._named_quads(), format=ox.RdfFormat.N_QUADS)

    def _named_quads(self, *, skip: frozenset = frozenset()):
        """Every quad of the named graphs but `skip`, graph by graph in name order.

        Why by graph: a scan of the whole store also walks the merged view (as many quads again) and
        tests each one in Python (1.7 against 1.1 s at 1,000 documents), and TriG written graph by
        graph has one block per graph, whatever order the quads were loaded in.
        """
        for g in sorted(self._store.named_graphs(), key=lambda n: n.value):
            if g not in skip:
                yield from self._store.quads_for_pattern(None, None, None, g)

    def write_trig(self, path: Path) -> None:
        """Serialise the whole dataset as TriG with the project's prefixes."""
        from graph.vocab import BASE

        # Entity and document IRIs stay in full: their slashes would be escaped in prefixed names.
        prefixes = {
            "pg": BASE + "ontology#",
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "owl": "http://www.w3.org/2002/07/owl#",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "prov": "http://www.w3.org/ns/prov#",
            "dcterms": "http://purl.org/dc/terms/",
        }
        # The reasoner's inferred graph is derived data: it lives in the store for queries, never in
        # graph.trig, which holds what the documents say (plus links) and is what evaluators score.
        quads = self._named_quads(skip=frozenset({_INFERRED}))
        ox.serialize(quads, str(path), format=ox.RdfFormat.TRIG, prefixes=prefixes)

    def in_memory(self) -> Store:
        """A read-only copy of this store held in memory: the named graphs, the inferred graph and
        the merged view, as they are.

        Why: pyoxigraph's on-disk store answers large queries 2.5-5x slower than its in-memory one
        (each pattern lookup opens a RocksDB iterator; measured at 100k and 1M triples), so a
        long-running read-only server pays the copy once (about 2 s per 100k quads) and every
        query after it runs faster.
        """
        mem = ox.Store()
        mem.bulk_load(input=self._store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        return Store(mem, location=self.location, read_only=True)

    def flush(self) -> None:
        """Make writes durable (a no-op for in-memory stores)."""
        self._store.flush()

    def settle(self) -> None:
        """Flush, then compact the on-disk store (RocksDB) into few files.

        Why: bulk loads leave many overlapping files, and every lookup probes each of them; a
        1,000-document build's store had 66 files and answered the canned queries 2-2.5x slower
        than after compaction (amounts 175 -> 73 ms, timeline 814 -> 323 ms). Compacting it cost
        2.2 s, so a build does it once, at the end, before anyone queries the store.
        """
        self._store.flush()
        self._store.optimize()

    def close(self) -> None:
        """Release the on-disk store (its lock), so another Store can open the same folder."""
        self._store = None  # type: ignore[assignment]

    def __len__(self) -> int:
        """Quads in the named graphs (the merged view is not counted twice)."""
        merged = self._store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=_DEFAULT)
        return len(self._store) - int(next(iter(merged))["n"].value)


def negotiate_results(accept: str | None) -> ox.QueryResultsFormat:
    """The SPARQL results format for an HTTP Accept header (JSON unless XML, CSV or TSV is asked for)."""
    for media in _accepted(accept):
        fmt = ox.QueryResultsFormat.from_media_type(media)
        if fmt is not None:
            return fmt
    return ox.QueryResultsFormat.JSON


def negotiate_rdf(accept: str | None) -> ox.RdfFormat:
    """The RDF format for a CONSTRUCT/DESCRIBE result (Turtle unless another RDF format is asked for)."""
    for media in _accepted(accept):
        fmt = ox.RdfFormat.from_media_type(media)
        if fmt is not None and fmt.supports_datasets is False:
            return fmt
    return ox.RdfFormat.TURTLE


def _accepted(accept: str | None) -> list[str]:
    """Media types of an Accept header, highest q first (stable for equal q)."""
    items = []
    for i, part in enumerate((accept or "").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            items.append((-q, i, media.lower()))
    return [m for _, _, m in sorted(items)]


def is_store_url(location: str | Path | None) -> bool:
    """True for a SPARQL server address (http(s)://, optionally with a flavour: virtuoso+http://...)."""
    return isinstance(location, str) and "://" in location and location.split("://")[0].split("+")[-1] in (
        "http", "https")


def open_store(location: str | Path | None = None) -> Store:
    """Open the graph at `location`: a build folder, an RDF file, a SPARQL server URL, or None for `out/`.

    A build folder's on-disk store (`DIR/store`) is (re)built from `DIR/graph.trig` when missing or
    older than the graph file. When another process holds the store (a running `parkgraph
    serve`), it is opened read-only instead. A URL (`http://...`, or `virtuoso+http://...`,
    `oxigraph+http://...`, `fuseki+http://...`) gives a graph.remote.RemoteStore with the same methods.

    Raises:
        StoreError: nothing usable at `location`.
    """
    if is_store_url(location):
        from graph.remote import RemoteStore

        return RemoteStore.from_url(str(location))  # type: ignore[return-value]
    path = Path(location) if location is not None else Path("out")
    if path.is_dir():
        trig = path / GRAPH_FILE
        if not trig.is_file():
            raise StoreError(f"{path}: not a build folder (no {GRAPH_FILE}); run `parkgraph build` first")
        store_dir = path / STORE_DIR
        if store_dir.is_dir() and is_current(path):
            disk, read_only = _open_disk(store_dir)
            return Store(disk, location=str(path), read_only=read_only)
        if store_dir.is_dir():
            shutil.rmtree(store_dir)
        st = ox.Store(str(store_dir))
        load_rdf_file(st, trig)
        store = Store(st, location=str(path))
        store.rebuild_merged()
        store.settle()
        mark_current(path)
        return store
    if path.is_file():
        store = Store(ox.Store(), location=str(path))
        load_rdf_file(store.raw, path)
        store.rebuild_merged()
        return store
    raise StoreError(f"{path}: no such build folder or RDF file")


def open_build_store(out_dir: Path) -> Store:
    """The build folder's on-disk store for writing: current with graph.trig, or new and empty.

    Raises:
        StoreError: the store is held by another process (stop `parkgraph serve` first).
    """
    if (out_dir / GRAPH_FILE).is_file():
        store = open_store(out_dir)
        if not store.read_only:
            return store
        raise StoreError(f"{out_dir / STORE_DIR}: in use by another process; stop it (parkgraph serve?) "
                         "and retry")
    store_dir = out_dir / STORE_DIR
    if store_dir.exists():
        shutil.rmtree(store_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return Store(ox.Store(str(store_dir)), location=str(out_dir))


def _stamp(path: Path) -> str:
    trig = path / GRAPH_FILE
    st = trig.stat()
    # the layout tag makes a store written by an older ParkGraph (another merged view) reload
    return f"{_LAYOUT}:{st.st_mtime_ns}:{st.st_size}"


def is_current(path: Path) -> bool:
    """True when DIR/store was loaded from (or written together with) the present DIR/graph.trig."""
    stamp = path / STORE_DIR / ".loaded-from"
    return stamp.is_file() and (path / GRAPH_FILE).is_file() and stamp.read_text() == _stamp(path)


def mark_current(path: Path) -> None:
    """Record that DIR/store holds exactly DIR/graph.trig."""
    (path / STORE_DIR / ".loaded-from").write_text(_stamp(path))


def _open_disk(store_dir: Path) -> tuple[ox.Store, bool]:
    try:
        return ox.Store(str(store_dir)), False
    except OSError as exc:
        if "lock" not in str(exc).lower():
            raise StoreError(f"{store_dir}: cannot open store ({exc})") from exc
        log.info("%s is in use by another process; opening it read-only", store_dir)
        return _open_read_only(store_dir), True


def _open_read_only(store_dir: Path) -> ox.Store:
    # The writer may be compacting files the read-only opener is about to read (often right after
    # a build's bulk loads): RocksDB then reports a missing file. A moment later it opens.
    attempts = 10
    while True:
        try:
            return ox.Store.read_only(str(store_dir))
        except (OSError, RuntimeError) as again:
            attempts -= 1
            if "no such file" not in str(again).lower() or not attempts:
                raise StoreError(f"{store_dir}: cannot open store read-only ({again})") from again
            time.sleep(0.2)


def load_rdf_file(st: ox.Store, path: Path) -> None:
    """Bulk-load an RDF file; triples of a plain-graph format go into a named graph called after the file."""
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StoreError(f"{path}: unknown RDF format (use .trig, .ttl, .nq, .nt, .rdf)")
    target = None if fmt.supports_datasets else ox.NamedNode(path.resolve().as_uri())
    try:
        st.bulk_load(path=str(path), format=fmt, to_graph=target)
    except (SyntaxError, ValueError, OSError) as exc:
        raise StoreError(f"{path}: cannot load RDF ({exc})") from exc
    if target is None:
        # TriG/N-Quads may hold triples outside any graph: give them the file's graph, since the
        # default graph is rebuilt as the merged view of the named graphs.
        loose = list(st.quads_for_pattern(None, None, None, _DEFAULT))
        if loose:
            name = ox.NamedNode(path.resolve().as_uri())
            st.bulk_extend([ox.Quad(q.subject, q.predicate, q.object, name) for q in loose])
            st.clear_graph(_DEFAULT)
