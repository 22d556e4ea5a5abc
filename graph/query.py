"""Query: run canned questions (queries/*.rq) and ad-hoc SPARQL against a built graph.

Why files: analysts read and edit the questions without opening Python; each `.rq` carries a
machine-readable header (`# title:`, `# question:`, `# params:`) that drives `parkgraph query --list`,
parameter checking and the tests. Every query is parsed (and its parameters test-bound) when loaded,
so a broken file fails at once with its name rather than in the middle of an analysis.

Parameters are bound with pyoxigraph substitutions (SEP-0007), never spliced into text. The engine
requires a bound variable to be projected, so every parameter is also a result column.

The default graph a query sees is the embedded store's merged view (each triple of the document,
meta, ontology and links graphs once) plus the reasoner's inferred graph; `include_inferred=False`
leaves the inferred graph out. `GRAPH ?g` reaches every named graph. A remote server answers over
its own default graph (its union of graphs).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.paths import QUERIES_DIR
from graph.store import QueryResult, Store, StoreError
from graph.vocab import PREFIXES, XSD

__all__ = [
    "CannedQuery",
    "OutputFormat",
    "Param",
    "ParamType",
    "QueryError",
    "bind_params",
    "load_queries",
    "parse_query_file",
    "render",
    "result_records",
    "run_canned",
    "run_sparql",
]

log = logging.getLogger(__name__)

_HEADER = re.compile(r"^#\s*(title|question|params)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<spec>[^)]*)\)\s*(?:[-–]\s*(?P<doc>.*))?$"
)


class QueryError(ValueError):
    """A query file, parameter or query run that is wrong; the message names the file or parameter."""


class ParamType(str, Enum):
    """How a `--param key=value` string becomes an RDF term."""

    IRI = "IRI"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"


class OutputFormat(str, Enum):
    """Result formats of `parkgraph query`, `sparql` and `analyze`."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class Param:
    """One declared parameter: its name is also the result column it binds (the engine needs that).

    `sample` names the result column whose values are sensible arguments (the tests and the benchmark
    draw values from it); it defaults to the parameter's own name.
    """

    name: str
    type: ParamType
    required: bool = False
    sample: str = ""
    description: str = ""

    @property
    def sample_column(self) -> str:
        return self.sample or self.name


@dataclass(frozen=True)
class CannedQuery:
    """A parsed `.rq` file: header fields, parameters and the SPARQL text."""

    name: str
    title: str
    question: str
    text: str
    path: Path
    params: tuple[Param, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param:
        """The declared parameter `name`.

        Raises:
            QueryError: the query has no such parameter.
        """
        for p in self.params:
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query {self.name!r} has no parameter {name!r} (parameters: {allowed})")


def _parse_param(text: str, path: Path) -> Param:
    m = _PARAM.match(text.strip())
    if not m:
        raise QueryError(f"{path}: bad params line {text!r}; expected 'name (type, optional) - description'")
    parts = [p.strip() for p in m["spec"].split(",") if p.strip()]
    try:
        ptype = ParamType(parts[0])
    except (IndexError, ValueError):
        kinds = ", ".join(t.value for t in ParamType)
        raise QueryError(f"{path}: parameter {m['name']!r} needs a type ({kinds})") from None
    required, sample = False, ""
    for extra in parts[1:]:
        if extra == "required":
            required = True
        elif extra == "optional":
            required = False
        elif extra.startswith("sample "):
            sample = extra.split(None, 1)[1]
        else:
            raise QueryError(f"{path}: parameter {m['name']!r}: unknown option {extra!r}")
    return Param(m["name"], ptype, required, sample, (m["doc"] or "").strip())


def _strip_comments(text: str) -> str:
    # Only full-line comments are used in query files; '#' also occurs inside IRIs, so leave those.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


_DUMMY = {
    ParamType.IRI: ox.NamedNode("urn:parkgraph:check"),
    ParamType.STRING: ox.Literal("check"),
    ParamType.INTEGER: ox.Literal("1", datatype=ox.NamedNode(str(XSD.integer))),
    ParamType.DECIMAL: ox.Literal("1.0", datatype=ox.NamedNode(str(XSD.decimal))),
}


def parse_query_file(path: Path) -> CannedQuery:
    """Read one `.rq` file, check its header and its SPARQL, and return it.

    The SPARQL is checked by running it on an empty store twice, unbound and with every parameter
    bound to a dummy value: that catches syntax errors and parameters that are not projected.

    Args:
        path: the `.rq` file; its stem is the query's name.

    Returns:
        The parsed query.

    Raises:
        QueryError: missing title/question, a bad params line, a SELECT without ORDER BY, or SPARQL
            that does not parse; the message starts with the file name.
    """
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        m = _HEADER.match(line)
        if not m:
            continue
        if m[1] == "params":
            if m[2] and m[2].lower() != "none":
                params.append(_parse_param(m[2], path))
        else:
            header[m[1]] = m[2]
    for key in ("title", "question"):
        if not header.get(key):
            raise QueryError(f"{path}: header line '# {key}: ...' is missing")
    body = _strip_comments(text)
    if re.search(r"\bSELECT\b", body, re.I) and not re.search(
        r"\bORDER\s+BY\b[^{}]*$", body.strip(), re.I
    ):
        raise QueryError(f"{path}: a SELECT must end in ORDER BY (deterministic output)")
    empty = ox.Store()
    try:
        list_or_bool(empty.query(text))
        if params:
            subs = {ox.Variable(p.name): _DUMMY[p.type] for p in params}
            list_or_bool(empty.query(text, substitutions=subs))
    except (SyntaxError, ValueError, RuntimeError) as exc:
        raise QueryError(f"{path}: SPARQL does not parse or bind: {exc}") from exc
    return CannedQuery(
        name=path.stem, title=header["title"], question=header["question"], text=text,
        path=path, params=tuple(params),
    )


def list_or_bool(result: object) -> object:
    """Drain a pyoxigraph result so evaluation errors surface here."""
    return result if isinstance(result, bool) else list(result)  # type: ignore[call-overload]


def load_queries(directory: Path | None = None) -> dict[str, CannedQuery]:
    """Load every canned query in `directory` (default: the project's queries/), sorted by name.

    Only top-level `*.rq` files are canned questions; `checks/` holds validation queries.

    Raises:
        QueryError: the first file that does not parse, named.
    """
    folder = directory or QUERIES_DIR
    queries = {}
    for path in sorted(folder.glob("*.rq")):
        q = parse_query_file(path)
        queries[q.name] = q
    log.debug("loaded %d canned queries from %s", len(queries), folder)
    return queries


def _expand(value: str) -> str:
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return str(PREFIXES[prefix]) + local
    return value


def bind_params(query: CannedQuery, raw: dict[str, str]) -> dict[str, Node]:
    """Turn `--param key=value` strings into typed RDF terms for `query`.

    IRIs may be written in full or with a project prefix (`pgid:park/x`, `pg:IndustrialPark`).

    Raises:
        QueryError: an unknown parameter, a missing required one, or a value of the wrong type.

    Examples:
        >>> from pathlib import Path
        >>> q = CannedQuery("demo", "t", "q", "SELECT ?n WHERE {} ORDER BY ?n", Path("demo.rq"),
        ...                 (Param("n", ParamType.INTEGER),))
        >>> bind_params(q, {"n": "3"})["n"].toPython()
        3
    """
    bound: dict[str, Node] = {}
    for key, value in raw.items():
        p = query.param(key)
        if p.type is ParamType.IRI:
            iri = _expand(value.strip().strip("<>"))
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", iri):
                raise QueryError(f"parameter {key!r}: {value!r} is not an IRI")
            bound[key] = URIRef(iri)
        elif p.type is ParamType.STRING:
            bound[key] = Literal(value)
        else:
            try:
                number = int(value) if p.type is ParamType.INTEGER else Decimal(value)
            except (ValueError, ArithmeticError):
                raise QueryError(f"parameter {key!r}: {value!r} is not a {p.type.value}") from None
            dtype = XSD.integer if p.type is ParamType.INTEGER else XSD.decimal
            bound[key] = Literal(str(number), datatype=dtype)
    missing = [p.name for p in query.params if p.required and p.name not in bound]
    if missing:
        raise QueryError(f"query {query.name!r} needs parameter(s): {', '.join(missing)}")
    return bound


def run_sparql(
    store: Store,
    sparql: str,
    *,
    bindings: dict[str, Node | str] | None = None,
    include_inferred: bool = True,
) -> QueryResult:
    """Run SPARQL on `store`, optionally without the inferred named graph.

    Args:
        store: an open store (graph.store.open_store).
        sparql: the query text.
        bindings: values for variables (each must be projected by the query).
        include_inferred: False to leave out `.../graph/inferred` (asserted and linked facts only).

    Returns:
        The rows (or boolean) as rdflib terms.

    Raises:
        QueryError: the query does not parse or fails to run.
    """
    try:
        if isinstance(store, Store):
            return store.query(sparql, bindings=bindings, include_inferred=include_inferred)
        return store.query(sparql, bindings=bindings)
    except StoreError as exc:
        raise QueryError(str(exc)) from exc


def run_canned(
    store: Store,
    query: CannedQuery,
    *,
    params: dict[str, str] | None = None,
    include_inferred: bool = True,
) -> QueryResult:
    """Run a canned query with `--param`-style string parameters.

    Raises:
        QueryError: a bad parameter, or the query fails (message names the query).
    """
    bindings = bind_params(query, params or {})
    try:
        return run_sparql(store, query.text, bindings=dict(bindings), include_inferred=include_inferred)
    except QueryError as exc:
        raise QueryError(f"{query.path.name}: {exc}") from exc


def _plain(term: Node | None) -> object:
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.int, XSD.long):
        try:
            return int(term)
        except ValueError:
            return str(term)
    if isinstance(term, Literal) and term.datatype in (XSD.decimal, XSD.double, XSD.float):
        try:
            return float(term)
        except ValueError:
            return str(term)
    return str(term)


def result_records(result: QueryResult) -> list[dict[str, object]]:
    """Rows as plain dicts (IRIs and strings as str, numbers as numbers, unbound as None)."""
    return [{v: _plain(row.get(v)) for v in result.variables} for row in result.rows]


def _short(term: Node | None) -> str:
    if term is None:
        return ""
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(str(kv[1]))):
            if text.startswith(str(ns)):
                return f"{prefix}:{text[len(str(ns)):]}"
    return text


def render(result: QueryResult, fmt: OutputFormat | str = OutputFormat.TABLE, *, width: int = 60) -> str:
    """Format a result as an aligned text table, CSV or JSON (a list of row objects).

    Table cells shorten IRIs with the project prefixes and cut long text at `width` characters;
    CSV and JSON keep full values.

    Examples:
        >>> r = QueryResult(["n"], [{"n": Literal(1)}])
        >>> print(render(r, "csv").strip())
        n
        1
    """
    fmt = OutputFormat(fmt)
    if result.boolean is not None:
        value = "true" if result.boolean else "false"
        return json.dumps({"boolean": result.boolean}) + "\n" if fmt is OutputFormat.JSON else value + "\n"
    if fmt is OutputFormat.JSON:
        return json.dumps(result_records(result), ensure_ascii=False, indent=2) + "\n"
    if fmt is OutputFormat.CSV:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if row.get(v) is None else str(row.get(v)) for v in result.variables])
        return buf.getvalue()
    cells = [[_cut(_short(row.get(v)), width) for v in result.variables] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
