"""Store: where a built graph lives for querying — an embedded pyoxigraph store by default.

Why pyoxigraph: a Rust SPARQL engine with an on-disk store, measured at about 10x rdflib's in-memory
graph on load and far more on joins; rdflib stays the library for parsing, serialising and small
graphs. Callers use `open_store()` and the `Store` methods, never a backend directly, so a remote
SPARQL server (--store URL) can stand behind the same interface.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

__all__ = ["QueryResult", "Store", "StoreError", "open_store", "to_rdflib"]

log = logging.getLogger(__name__)

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


class StoreError(RuntimeError):
    """A graph that cannot be opened or a query that cannot run; the message says which and why."""


@dataclass
class QueryResult:
    """Rows of a SELECT as dicts of rdflib terms (None where unbound); or ASK's boolean."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node | None]] = field(default_factory=list)
    boolean: bool | None = None


def to_rdflib(term) -> Node | None:
    """Convert a pyoxigraph term to the equivalent rdflib term."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise StoreError(f"unsupported term {term!r}")


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
    """An embedded pyoxigraph store; queries see the union of all named graphs as default graph."""

    def __init__(self, ox_store: ox.Store, *, location: str) -> None:
        self._store = ox_store
        self.location = location

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that needs bulk operations."""
        return self._store

    def query(self, sparql: str, *, bindings: dict[str, Node | str] | None = None) -> QueryResult:
        """Run a SPARQL query; `bindings` substitute variables (never spliced into the text).

        Raises:
            StoreError: the query does not parse or fails to evaluate.
        """
        subs = {ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
        try:
            result = self._store.query(sparql, use_default_graph_as_union=True, substitutions=subs or None)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"query failed: {exc}") from exc
        if isinstance(result, bool):
            return QueryResult(boolean=result)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = [{v: to_rdflib(sol[v]) for v in variables} for sol in result]
            return QueryResult(variables=variables, rows=rows)
        # CONSTRUCT / DESCRIBE: triples as rows s, p, o
        rows = [{"s": to_rdflib(t.subject), "p": to_rdflib(t.predicate), "o": to_rdflib(t.object)} for t in result]
        return QueryResult(variables=["s", "p", "o"], rows=rows)

    def __len__(self) -> int:
        return len(self._store)


def open_store(location: str | Path | None = None) -> Store:
    """Open the graph at `location`: a build folder, an RDF file (TriG, Turtle, N-Quads...), or None for `out/`.

    A build folder's on-disk store (`DIR/store`) is (re)built from `DIR/graph.trig` when missing or
    older than the graph file.

    Raises:
        StoreError: nothing usable at `location`.
    """
    path = Path(location) if location is not None else Path("out")
    if path.is_dir():
        trig = path / GRAPH_FILE
        if not trig.is_file():
            raise StoreError(f"{path}: not a build folder (no {GRAPH_FILE}); run `parkgraph build` first")
        store_dir = path / STORE_DIR
        stamp = store_dir / ".loaded-from"
        current = f"{trig.stat().st_mtime_ns}:{trig.stat().st_size}"
        if store_dir.is_dir() and stamp.is_file() and stamp.read_text() == current:
            return Store(ox.Store(str(store_dir)), location=str(path))
        if store_dir.is_dir():
            import shutil

            shutil.rmtree(store_dir)
        st = ox.Store(str(store_dir))
        _load_file(st, trig)
        st.flush()
        stamp.write_text(current)
        return Store(st, location=str(path))
    if path.is_file():
        st = ox.Store()
        _load_file(st, path)
        return Store(st, location=str(path))
    raise StoreError(f"{path}: no such build folder or RDF file")


def _load_file(st: ox.Store, path: Path) -> None:
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise StoreError(f"{path}: unknown RDF format (use .trig, .ttl, .nq, .nt, .rdf)")
    try:
        st.bulk_load(path=str(path), format=fmt)
    except (SyntaxError, ValueError, OSError) as exc:
        raise StoreError(f"{path}: cannot load RDF ({exc})") from exc
