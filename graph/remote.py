"""RemoteStore: the Store interface over a SPARQL 1.1 server (Query, Update, Graph Store Protocol).

Why: when the corpus outgrows one machine, build, query, link, check and viz point at Virtuoso,
Oxigraph server, Fuseki, GraphDB or Neptune with `--store URL` and use the same methods as the
embedded store. Parameters are bound by a VALUES block placed at the start of the query's WHERE
group, with every term serialised and checked by `sparql_term` — never by formatting user text
into the query.

URL forms (the part before `+` names the server's endpoint layout):
    virtuoso+http://host:8890   query and update at /sparql, graphs at /sparql-graph-crud
    oxigraph+http://host:7878   /query, /update, /store (also `parkgraph serve --writable`)
    fuseki+http://host:3030/ds  /ds/query, /ds/update, /ds/data
    http://host/path            one endpoint for query and update; graphs replaced by SPARQL Update
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.sparql_text import bind_values, inline_subselects, sparql_iri, sparql_term
from graph.store import QueryResult, StoreError

__all__ = ["RemoteStore", "bind_values", "sparql_term"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Endpoints:
    """Where a server takes queries, updates and Graph Store Protocol requests."""

    query: str
    update: str
    gsp: str | None = None
    gsp_param: str = "graph"
    union_param: bool = False


def endpoints_for(url: str) -> Endpoints:
    """Endpoint layout for a --store URL (see the module docstring).

    Raises:
        StoreError: an unknown flavour.
    """
    scheme, rest = url.split("://", 1)
    flavour, _, proto = scheme.rpartition("+")
    base = f"{proto}://{rest}".rstrip("/")
    if flavour == "virtuoso":
        root = base[: -len("/sparql")] if base.endswith("/sparql") else base
        return Endpoints(root + "/sparql", root + "/sparql", root + "/sparql-graph-crud",
                         gsp_param="graph-uri")
    if flavour == "oxigraph":
        return Endpoints(base + "/query", base + "/update", base + "/store", union_param=True)
    if flavour == "fuseki":
        return Endpoints(base + "/query", base + "/update", base + "/data")
    if flavour == "":
        return Endpoints(base, base)
    raise StoreError(f"{url}: unknown server flavour {flavour!r} (use virtuoso+, oxigraph+, fuseki+ or none)")


class RemoteStore:
    """A SPARQL 1.1 server behind the embedded Store's methods (query, update, graphs, put/drop...)."""

    read_only = False

    def __init__(self, endpoints: Endpoints, *, location: str, timeout: float = 300.0) -> None:
        self.endpoints = endpoints
        self.location = location
        self.timeout = timeout

    @classmethod
    def from_url(cls, url: str) -> RemoteStore:
        """A RemoteStore for a --store URL (see the module docstring for the forms)."""
        return cls(endpoints_for(url), location=url)

    def _request(self, method: str, url: str, *, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[bytes, str]:
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().splitlines()
            msg = " ".join(detail)[:500] if detail else exc.reason
            raise StoreError(f"{self.location}: HTTP {exc.code} from {url}: {msg}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"{self.location}: cannot reach {url} ({getattr(exc, 'reason', exc)})") from exc

    def _post_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        url = self.endpoints.query
        if self.endpoints.union_param:
            url += "?union-default-graph"
        body = urllib.parse.urlencode({"query": sparql}).encode()
        return self._request("POST", url, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": accept})

    def query(self, sparql: str, *, bindings: dict[str, Node | str] | None = None) -> QueryResult:
        """Run a query on the server; `bindings` go in as a VALUES block (see bind_values, which
        also writes STR() of a bound string as the string itself), and the embedded store's
        hash-join subqueries as plain patterns (see inline_subselects).

        Raises:
            StoreError: the server refused the query (its message is included) or is unreachable.
        """
        text = bind_values(inline_subselects(sparql), bindings or {})
        body, ctype = self._post_query(
            text, "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8")
        if "json" in ctype:
            return parse_results_json(body)
        g = Graph()
        g.parse(data=body.decode("utf-8"), format="nt" if "n-triples" in ctype else "turtle")
        rows = [{"s": s, "p": p, "o": o} for s, p, o in g]
        return QueryResult(variables=["s", "p", "o"], rows=rows)

    def query_serialized(self, sparql: str, *, accept: str | None = None) -> tuple[bytes, str]:
        """Run a query and return the server's own serialisation (for `parkgraph serve --store`)."""
        return self._post_query(sparql, accept or "application/sparql-results+json")

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update on the server.

        Raises:
            StoreError: the server refused it (read-only, no permission, bad syntax) or is unreachable.
        """
        body = urllib.parse.urlencode({"update": sparql}).encode()
        self._request("POST", self.endpoints.update, body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

    def _gsp_url(self, graph: str) -> str:
        assert self.endpoints.gsp is not None
        return f"{self.endpoints.gsp}?{urllib.parse.urlencode({self.endpoints.gsp_param: graph})}"

    def graphs(self) -> set[str]:
        """IRIs of the server's named graphs that hold at least one triple."""
        res = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return {str(r["g"]) for r in res.rows if isinstance(r.get("g"), URIRef)}

    def put_graph(self, graph: str, data: bytes, *, media_type: str = "text/turtle") -> None:
        """Replace a named graph (GSP PUT, or DROP + INSERT DATA where the server has no GSP)."""
        if self.endpoints.gsp:
            if not data.strip():
                self.drop_graph(graph)
                return
            self._request("PUT", self._gsp_url(graph), body=data, headers={"Content-Type": media_type})
            return
        g = Graph()
        g.parse(data=data.decode("utf-8"), format="turtle")
        triples = g.serialize(format="nt")
        name = sparql_iri(graph)
        self.update(f"DROP SILENT GRAPH {name} ; INSERT DATA {{ GRAPH {name} {{ {triples} }} }}")

    def get_graph(self, graph: str) -> bytes:
        """One named graph's triples as N-Triples."""
        res = self.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                         bindings={"g": URIRef(graph)})
        g = Graph()
        for r in res.rows:
            g.add((r["s"], r["p"], r["o"]))
        return g.serialize(format="nt").encode("utf-8")

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph; silent when the server does not have it."""
        self.update(f"DROP SILENT GRAPH {sparql_iri(graph)}")

    def delete_about(self, graph: str, subject: str) -> None:
        """Delete the triples of `graph` whose subject is `subject` (a document graph's meta entries)."""
        self.update(f"DELETE WHERE {{ GRAPH {sparql_iri(graph)} {{ {sparql_iri(subject)} ?p ?o }} }}")

    def add_quads(self, data: bytes) -> None:
        """Add N-Quads: one INSERT DATA per named graph (a GSP POST where the server has one)."""
        from collections import defaultdict

        by_graph: dict[str, list[str]] = defaultdict(list)
        for line in data.decode("utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            body, _, graph = line[:-1].rstrip().rpartition(" ")
            by_graph[graph.strip("<>")].append(body + " .")
        for graph, lines in by_graph.items():
            triples = "\n".join(lines) + "\n"
            if self.endpoints.gsp:
                self._request("POST", self._gsp_url(graph), body=triples.encode("utf-8"),
                              headers={"Content-Type": "text/turtle"})
            else:
                self.update(f"INSERT DATA {{ GRAPH {sparql_iri(graph)} {{ {triples} }} }}")

    def export(self) -> bytes:
        """The ParkGraph named graphs as N-Quads (the server's own system graphs left out)."""
        from graph.vocab import BASE

        res = self.query(
            "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), ?base)) }",
            bindings={"base": Literal(BASE)})
        lines = [" ".join(sparql_term(r[v]) for v in ("s", "p", "o", "g")) + " .\n" for r in res.rows]
        return "".join(lines).encode("utf-8")

    def flush(self) -> None:
        """Nothing to do: the server commits each request."""

    def close(self) -> None:
        """Nothing to release: each request opens its own connection."""

    def __len__(self) -> int:
        res = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(res.rows[0]["n"]) if res.rows else 0


def parse_results_json(body: bytes) -> QueryResult:
    """SPARQL 1.1 Query Results JSON -> QueryResult of rdflib terms (Virtuoso's typed-literal too)."""
    data = json.loads(body)
    if "boolean" in data:
        return QueryResult(boolean=bool(data["boolean"]))
    variables = list(data.get("head", {}).get("vars", []))
    rows = []
    for b in data.get("results", {}).get("bindings", []):
        rows.append({v: _json_term(b[v]) if v in b else None for v in variables})
    return QueryResult(variables=variables, rows=rows)


def _json_term(t: dict) -> Node:
    kind = t.get("type")
    if kind == "uri":
        return URIRef(t["value"])
    if kind == "bnode":
        return BNode(t["value"])
    lang = t.get("xml:lang")
    if lang:
        return Literal(t["value"], lang=lang)
    dt = t.get("datatype")
    return Literal(t["value"], datatype=URIRef(dt) if dt else None)
