"""Ask a Wikidata SPARQL endpoint what the offline data lacks, politely and with an on-disk cache.

Why a plain SPARQL-protocol client: the public endpoint (query.wikidata.org) and a local test
server (oxigraph serve) speak the same protocol and the same JSON results, so the code that runs
in production is the code the tests run. Values reach a query as a SPARQL VALUES block written by
rdflib's term serialiser (the protocol has no other way to bind), never as spliced text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from graph import __version__
from graph.paths import QUERIES_DIR

__all__ = ["DEFAULT_ENDPOINT", "WD", "WDT", "WikidataClient", "WikidataError", "bind_values", "load_query"]

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
USER_AGENT = f"ParkGraph/{__version__} (https://w3id.org/parkgraph; entity linking) python-urllib"


class WikidataError(RuntimeError):
    """The endpoint cannot be reached or answers with an error; the message is one line."""


def load_query(name: str) -> str:
    """Text of queries/wikidata/<name>.rq, parsed once so a broken file fails at load time.

    Raises:
        WikidataError: the file is missing or is not valid SPARQL.
    """
    path = QUERIES_DIR / "wikidata" / f"{name}.rq"
    try:
        text = path.read_text(encoding="utf-8")
        prepareQuery(text)
    except OSError as exc:
        raise WikidataError(f"{path}: cannot read ({exc.strerror})") from exc
    except Exception as exc:  # rdflib raises pyparsing errors of several kinds
        raise WikidataError(f"{path}: not valid SPARQL ({exc})") from exc
    return text


def bind_values(query: str, variables: list[str], rows: list[tuple[Node, ...]]) -> str:
    """Put a VALUES block binding `variables` to `rows` at the start of the query's WHERE clause.

    Why: the SPARQL protocol has no parameter binding; VALUES is SPARQL's own, and each term is
    written by rdflib's N3 serialiser, which escapes it. At the start, so that an endpoint's
    planner joins from the bound values instead of scanning every label.

    Examples:
        >>> bind_values("SELECT ?x WHERE { ?x ?p ?n }", ["n"], [(Literal('a"b', lang="en"),)])
        'SELECT ?x WHERE { VALUES (?n) { ("a\\\\"b"@en) } ?x ?p ?n }'
    """
    m = re.search(r"WHERE\s*\{", query, flags=re.IGNORECASE)
    if m is None:
        raise WikidataError("query has no WHERE clause to bind values in")
    head = " ".join(f"?{v}" for v in variables)
    body = " ".join("(" + " ".join(t.n3() for t in row) + ")" for row in rows)
    return f"{query[: m.end()]} VALUES ({head}) {{ {body} }}{query[m.end():]}"


@dataclass
class WikidataClient:
    """A SPARQL endpoint client with a cache folder and a minimum interval between requests."""

    endpoint: str = DEFAULT_ENDPOINT
    cache_dir: Path | None = None
    min_interval: float = 1.0
    timeout: float = 30.0
    requests_made: int = 0
    _last: float = 0.0

    def select(self, query: str) -> list[dict[str, Node]]:
        """Run a SELECT and return its rows as dicts of rdflib terms.

        Raises:
            WikidataError: no network, a refused connection, an HTTP error or a malformed answer.
        """
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        cached = self.cache_dir / f"{key}.json" if self.cache_dir else None
        if cached is not None and cached.is_file():
            data = json.loads(cached.read_text(encoding="utf-8"))
        else:
            data = self._fetch(query)
            if cached is not None:
                from graph.pipeline import write_atomic

                write_atomic(cached, lambda tmp: tmp.write_text(json.dumps(data), encoding="utf-8"))
        return [{k: _term(v) for k, v in b.items()} for b in data.get("results", {}).get("bindings", [])]

    def _fetch(self, query: str) -> dict:
        wait = self.min_interval - (time.monotonic() - self._last)
        if wait > 0:
            time.sleep(wait)
        body = urllib.parse.urlencode({"query": query}).encode()
        req = urllib.request.Request(self.endpoint, data=body, method="POST", headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            raise WikidataError(f"{self.endpoint}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise WikidataError(
                f"cannot reach the Wikidata endpoint {self.endpoint} ({reason}); no network? "
                "Offline links are unchanged; run without --online or try again later"
            ) from exc
        finally:
            self._last = time.monotonic()
            self.requests_made += 1
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise WikidataError(f"{self.endpoint}: answer is not SPARQL JSON results") from exc


def _term(binding: dict) -> Node:
    if binding["type"] == "uri":
        return URIRef(binding["value"])
    if "xml:lang" in binding:
        return Literal(binding["value"], lang=binding["xml:lang"])
    if "datatype" in binding:
        return Literal(binding["value"], datatype=URIRef(binding["datatype"]))
    return Literal(binding["value"])
