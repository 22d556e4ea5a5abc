"""Serve a graph over the SPARQL 1.1 Protocol, with an offline query page for people.

Why the standard library's ThreadingHTTPServer: the endpoint is a thin shell around the store
(pyoxigraph evaluates and serialises), so no web framework is needed, nothing listens on more
than loopback unless asked, and the page loads no script from a CDN.

Routes:
    GET|POST /query, /sparql   SPARQL 1.1 Query (GET ?query=, POST form or application/sparql-query);
                               results as JSON, XML, CSV or TSV by Accept; updates sent here are
                               treated as on /update
    POST /update               SPARQL 1.1 Update (403 unless writable)
    GET|PUT|POST|DELETE /store Graph Store Protocol, ?graph=IRI (writes 403 unless writable)
    GET /                      the query page;  GET /api/queries  the canned questions (JSON)
    POST /api/run/NAME         run a canned question with JSON {"params": {...}} (values are bound)
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files

from graph.store import StoreError

__all__ = ["MAX_BODY", "SparqlServer", "make_server"]

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"
READ_ONLY = "this endpoint is read-only (start it with --writable to allow updates and graph writes)"


class SparqlServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the store, the canned queries and the write switch."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], store, *, writable: bool = False,
                 queries: dict | None = None) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.writable = writable
        self.queries = queries or {}
        # one writer at a time: a GSP PUT is drop + load, which must not interleave with another
        self.write_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def make_server(store, *, host: str = "127.0.0.1", port: int = 7878, writable: bool = False,
                queries: dict | None = None) -> SparqlServer:
    """A server for `store` bound to host:port (port 0 picks a free one); call serve_forever().

    Args:
        store: an embedded Store or a RemoteStore (graph.store.open_store).
        host: address to listen on; loopback by default so the graph is not exposed by accident.
        port: TCP port, 0 for any free port.
        writable: accept SPARQL Update and Graph Store writes.
        queries: canned questions (graph.query.load_queries()); loaded when None.

    Raises:
        OSError: the address is in use or cannot be bound.
        graph.query.QueryError: a canned query file does not parse.
    """
    if queries is None:
        from graph.query import load_queries

        queries = load_queries()
    return SparqlServer((host, port), store, writable=writable, queries=queries)


def page_html() -> bytes:
    """The query page (a package file, so it ships in the wheel)."""
    return files("graph").joinpath("serve_page.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    server_version = "ParkGraph"

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- plumbing ------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY} bytes")
            return None
        return self.rfile.read(length) if length else b""

    def _route(self) -> tuple[str, dict[str, list[str]]]:
        parts = urllib.parse.urlsplit(self.path)
        return parts.path.rstrip("/") or "/", urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def _media(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    # -- verbs ---------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path, params = self._route()
        if path == "/":
            self._send(HTTPStatus.OK, page_html(), "text/html; charset=utf-8")
        elif path == "/api/queries":
            self._send(HTTPStatus.OK, json.dumps(_describe(self.server.queries)).encode(), "application/json")
        elif path in ("/query", "/sparql"):
            if "update" in params:
                self._error(HTTPStatus.BAD_REQUEST, "SPARQL Update must be sent with POST")
            elif "query" not in params:
                self._error(HTTPStatus.BAD_REQUEST, "missing the 'query' parameter")
            else:
                self._query(params["query"][0])
        elif path == "/store":
            self._gsp_get(params)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def do_POST(self) -> None:
        path, params = self._route()
        body = self._body()
        if body is None:
            return
        media = self._media()
        form = {}
        if media == FORM:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if path in ("/query", "/sparql", "/update"):
            if media == "application/sparql-update" or "update" in form or path == "/update":
                direct = media == "application/sparql-update"
                self._update(body.decode("utf-8") if direct else (form.get("update") or [""])[0])
            elif media == "application/sparql-query":
                self._query(body.decode("utf-8"))
            elif "query" in form:
                self._query(form["query"][0])
            else:
                self._error(HTTPStatus.BAD_REQUEST,
                            "send a query as application/sparql-query or a 'query' form field")
        elif path.startswith("/api/run/"):
            self._run_canned(urllib.parse.unquote(path[len("/api/run/"):]), body)
        elif path == "/store":
            self._gsp_write("POST", params, body)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")

    def do_PUT(self) -> None:
        path, params = self._route()
        body = self._body()
        if body is None:
            return
        if path != "/store":
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "PUT is only for /store (Graph Store Protocol)")
            return
        self._gsp_write("PUT", params, body)

    def do_DELETE(self) -> None:
        path, params = self._route()
        if path != "/store":
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "DELETE is only for /store (Graph Store Protocol)")
            return
        self._gsp_write("DELETE", params, b"")

    # -- handlers ------------------------------------------------------------------------------
    def _query(self, sparql: str) -> None:
        try:
            body, ctype = self.server.store.query_serialized(sparql, accept=self.headers.get("Accept"))
        except StoreError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self._send(HTTPStatus.OK, body, ctype)

    def _update(self, sparql: str) -> None:
        if not self.server.writable:
            self._error(HTTPStatus.FORBIDDEN, READ_ONLY)
            return
        if not sparql.strip():
            self._error(HTTPStatus.BAD_REQUEST, "empty update")
            return
        try:
            with self.server.write_lock:
                self.server.store.update(sparql)
        except StoreError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")

    def _graph_param(self, params: dict[str, list[str]]) -> str | None:
        graph = (params.get("graph") or [None])[0]
        if graph is None and "default" not in params:
            self._error(HTTPStatus.BAD_REQUEST, "name a graph with ?graph=IRI")
        elif graph is None:
            self._error(HTTPStatus.BAD_REQUEST, "the default graph is the merged view of all graphs; name one")
        return graph

    def _gsp_get(self, params: dict[str, list[str]]) -> None:
        graph = self._graph_param(params)
        if graph is None:
            return
        try:
            data = self.server.store.get_graph(graph)
        except StoreError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        if not data.strip() and graph not in self.server.store.graphs():
            self._error(HTTPStatus.NOT_FOUND, f"no graph {graph}")
            return
        self._send(HTTPStatus.OK, data, "application/n-triples")

    def _gsp_write(self, method: str, params: dict[str, list[str]], body: bytes) -> None:
        if not self.server.writable:
            self._error(HTTPStatus.FORBIDDEN, READ_ONLY)
            return
        graph = self._graph_param(params)
        if graph is None:
            return
        store = self.server.store
        media = self._media() or "text/turtle"
        try:
            with self.server.write_lock:
                existed = graph in store.graphs()
                if method == "DELETE":
                    if not existed:
                        self._error(HTTPStatus.NOT_FOUND, f"no graph {graph}")
                        return
                    store.drop_graph(graph)
                elif method == "PUT":
                    store.put_graph(graph, body, media_type=media)
                else:
                    _append(store, graph, body, media)
        except (StoreError, SyntaxError, ValueError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        status = HTTPStatus.NO_CONTENT if existed or method == "DELETE" else HTTPStatus.CREATED
        self._send(status, b"", "text/plain")

    def _run_canned(self, name: str, body: bytes) -> None:
        from graph.query import QueryError, result_records, run_canned

        query = self.server.queries.get(name)
        if query is None:
            self._error(HTTPStatus.NOT_FOUND, f"no canned question {name!r}")
            return
        try:
            payload = json.loads(body or b"{}")
            raw = {k: str(v) for k, v in (payload.get("params") or {}).items() if str(v).strip()}
            result = run_canned(self.server.store, query, params=raw)
        except (ValueError, AttributeError, QueryError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        out = {"name": name, "variables": result.variables, "rows": result_records(result),
               "boolean": result.boolean}
        self._send(HTTPStatus.OK, json.dumps(out, ensure_ascii=False).encode("utf-8"), "application/json")


def _append(store, graph: str, body: bytes, media: str) -> None:
    """GSP POST: merge `body` into `graph` (parsed by rdflib, so any RDF syntax it reads works)."""
    from rdflib import Graph

    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld"}.get(media, "turtle")
    g = Graph()
    g.parse(data=body.decode("utf-8"), format=fmt)
    quads = "".join(line[:-2].rstrip() + f" <{graph}> .\n"
                    for line in g.serialize(format="nt").splitlines() if line.endswith(" ."))
    store.add_quads(quads.encode("utf-8"))


def _describe(queries: dict) -> list[dict]:
    """The canned questions for the page: name, title, question, parameters and text."""
    out = []
    for name, q in sorted(queries.items()):
        params = [{"name": p.name, "type": p.type.value, "required": p.required, "description": p.description}
                  for p in q.params]
        out.append({"name": name, "title": q.title, "question": q.question, "params": params, "text": q.text})
    return out
