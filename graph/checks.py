"""Quality checks: SPARQL files in queries/checks/ whose rows are problems, each with a severity.

Why files: an analyst adds a check by writing one query with a header, without opening Python
(ROBOT's report queries and the Gene Ontology's SPARQL checks work the same way). The header::

    # title: Likely duplicate entities
    # severity: error | warning | info
    # message: {focusLabel} and {otherLabel} may be the same entity
    # description: why it matters (may continue on lines indented by two spaces)

The query must select ?focus (the entity at fault); ?sentence and ?document, when selected, are
shown under the message; every other selected variable may appear in the message as {name}.

A check about loops may add one more header line, a shortcut that never changes its answer::

    # cycles: pg:locatedIn pg:hostedIn ^pg:contains ^pg:hosts

The listed properties (`^` for one read backwards) are the edges of a directed graph, taken from
every graph but the reasoner's inferred one (whose chains and inverses add no new loop when the
inverses are listed); only an edge inside one of its strongly connected components can lie on a
loop. Those (?focus ?other) pairs go into the query as a VALUES block, so its property path runs
from a few candidates. Why: a path like `?other (pg:locatedIn|pg:hostedIn)+ ?focus` tested for
every fact walked 9,000 place hierarchies and took 175 s at 3,000 documents; finding the
components takes well under a second.

A check comparing names of nodes in one place may add the like::

    # contained-names: pg:locatedIn pg:hostedIn

The candidates are then the (?focus ?other) pairs, ?focus's IRI before ?other's, that share an
object of one of those properties (in any graph but the inferred one) and have rdfs:labels which,
lower-cased and stripped to letters a-z, digits and CJK ideographs, are at least 4 characters
long and contain one another: the normalisation likely-duplicates.rq writes in SPARQL, so the
query, which still decides every pair itself, finds what it finds without them. Why: the query
alone compares every pair of nodes per place, 1.3M pairs (5.4 s) at 3,000 documents and growing
with the square of the corpus; the candidates are found by a scan of the nodes and their labels.
"""

from __future__ import annotations

import enum
import logging
import re
import string
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.paths import CHECKS_DIR
from graph.sparql_text import sparql_iri, values_rows
from graph.store import Store
from graph.vocab import INFERRED_GRAPH

__all__ = ["Check", "CheckError", "Finding", "Severity", "contained_name_candidates", "load_checks", "run_check",
           "term_text"]

log = logging.getLogger(__name__)

_HEADER = re.compile(r"^#\s*([\w-]+):\s*(.*)$")


class CheckError(ValueError):
    """A check file that cannot be used; the message names the file and the problem."""


class Severity(str, enum.Enum):
    """How bad a finding is: only errors make `parkgraph check` exit non-zero."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    """One problem, in words an analyst can act on, with the text behind it.

    `source` names the rule that found it (`check:<file stem>`, `shape:<shape>`, `reason:<kind>`).
    """

    severity: Severity
    source: str
    title: str
    message: str
    focus: str | None = None
    sentence: str | None = None
    document: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "severity": self.severity.value,
            "source": self.source,
            "title": self.title,
            "message": self.message,
            "focus": self.focus,
            "sentence": self.sentence,
            "document": self.document,
        }


@dataclass(frozen=True)
class Check:
    """A parsed check file."""

    name: str
    path: Path
    title: str
    severity: Severity
    message: str
    description: str
    query: str
    cycles: tuple[tuple[str, bool], ...] = ()
    contained_names: tuple[str, ...] = ()


def load_checks(folder: Path = CHECKS_DIR) -> list[Check]:
    """Read and parse every `*.rq` in `folder`, sorted by name; fail fast on the first bad file.

    Raises:
        CheckError: a missing header field, an unknown severity, an unknown message placeholder,
            no ?focus, or a query that does not parse.
    """
    return [load_check(p) for p in sorted(folder.glob("*.rq"))]


def load_check(path: Path) -> Check:
    """Parse one check file (see the module docstring for its header).

    Raises:
        CheckError: the file is not a usable check.
    """
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            last = m.group(1).lower()
            fields[last] = m.group(2).strip()
        elif last and line.startswith("#  "):
            fields[last] += " " + line[1:].strip()
    for need in ("title", "severity", "message"):
        if not fields.get(need):
            raise CheckError(f"{path}: header has no '# {need}:' line")
    try:
        severity = Severity(fields["severity"].lower())
    except ValueError:
        raise CheckError(f"{path}: severity {fields['severity']!r} is not error, warning or info") from None
    try:
        # Parsing against an empty store is the exact parser the checks later run on.
        result = ox.Store().query(text)
        variables = {v.value for v in result.variables} if isinstance(result, ox.QuerySolutions) else set()
    except SyntaxError as exc:
        raise CheckError(f"{path}: SPARQL syntax error: {exc}") from exc
    if "focus" not in variables:
        raise CheckError(f"{path}: the query must SELECT ?focus (the entity at fault)")
    names = {f[1] for f in string.Formatter().parse(fields["message"]) if f[1]}
    unknown = names - variables
    if unknown:
        raise CheckError(f"{path}: message uses {sorted(unknown)} but the query does not select them")
    cycles = _cycle_edges(path, fields.get("cycles", ""), text) if "cycles" in fields else ()
    if cycles and "other" not in variables:
        raise CheckError(f"{path}: a '# cycles:' check must SELECT ?focus and ?other (the two ends of the fact)")
    contained: tuple[str, ...] = ()
    if "contained-names" in fields:
        edges = _cycle_edges(path, fields["contained-names"], text, header="contained-names")
        if any(back for _, back in edges):
            raise CheckError(f"{path}: '# contained-names:' lists properties, none read backwards (^)")
        if "other" not in variables:
            raise CheckError(f"{path}: a '# contained-names:' check must SELECT ?focus and ?other (the pair)")
        contained = tuple(iri for iri, _ in edges)
    return Check(
        name=path.stem,
        path=path,
        title=fields["title"],
        severity=severity,
        message=fields["message"],
        description=fields.get("description", ""),
        query=text,
        cycles=cycles,
        contained_names=contained,
    )


_PREFIX = re.compile(r"^\s*PREFIX\s+([\w-]*):\s*<([^>]*)>", re.I | re.M)


def _cycle_edges(path: Path, spec: str, query: str, *, header: str = "cycles") -> tuple[tuple[str, bool], ...]:
    """A `# cycles:` (or `# contained-names:`) header as (property IRI, read backwards) pairs, prefixes
    from the query's own."""
    prefixes = dict(_PREFIX.findall(query))
    edges = []
    for token in spec.split():
        backwards = token.startswith("^")
        name = token.lstrip("^")
        if name.startswith("<") and name.endswith(">"):
            iri = name[1:-1]
        elif ":" in name and name.split(":", 1)[0] in prefixes:
            prefix, local = name.split(":", 1)
            iri = prefixes[prefix] + local
        else:
            raise CheckError(f"{path}: '# {header}:' names {token!r}, not a property with a declared prefix")
        edges.append((iri, backwards))
    if not edges:
        raise CheckError(f"{path}: '# {header}:' lists no property")
    return tuple(edges)


def term_text(term: Node | None) -> str:
    """How a value reads in a message: a literal's text, a class or property's local name."""
    if term is None:
        return "?"
    if isinstance(term, Literal):
        return str(term)
    value = str(term)
    if isinstance(term, URIRef) and "#" in value:
        return value.rsplit("#", 1)[1]
    return value.rstrip("/").rsplit("/", 1)[-1]


def run_check(store: Store, check: Check) -> list[Finding]:
    """Run one check; every row becomes a Finding at the check's severity.

    Raises:
        graph.store.StoreError: the query fails on this store.
    """
    query = check.query
    if check.cycles:
        query = values_rows(query, ["focus", "other"], cycle_candidates(store, check.cycles))
    if check.contained_names:
        query = values_rows(query, ["focus", "other"], contained_name_candidates(store, check.contained_names))
    result = store.query(query)
    findings = []
    for row in result.rows:
        values = {k: term_text(v) for k, v in row.items()}
        for key in list(values):
            # a missing label falls back to the entity's IRI tail, so the message still names it
            if key.endswith("Label") and row.get(key) is None:
                base = key[: -len("Label")]
                values[key] = term_text(row.get(base) or row.get("focus"))
        sentence = row.get("sentence")
        document = row.get("document")
        findings.append(Finding(
            severity=check.severity,
            source=f"check:{check.name}",
            title=check.title,
            message=check.message.format_map(values),
            focus=str(row["focus"]) if row.get("focus") is not None else None,
            sentence=str(sentence) if sentence is not None and str(sentence) else None,
            document=str(document) if document is not None and str(document) else None,
        ))
    log.debug("check %s: %d rows", check.name, len(findings))
    return findings


def cycle_candidates(store: Store, edges: tuple[tuple[str, bool], ...]) -> list[tuple[URIRef, URIRef]]:
    """The (focus, other) facts of the forward properties in `edges` that lie inside one strongly
    connected component of the graph all of `edges` make (see the module docstring), sorted.

    Raises:
        graph.store.StoreError: the query fails on this store.
    """
    import networkx as nx

    props = " ".join(sparql_iri(iri) for iri, _ in edges)
    rows = store.query(
        f"SELECT DISTINCT ?a ?p ?b WHERE {{ VALUES ?p {{ {props} }} GRAPH ?g {{ ?a ?p ?b }} "
        f"FILTER(?g != {sparql_iri(str(INFERRED_GRAPH))} && isIRI(?b)) }}").rows
    backwards = {iri for iri, back in edges if back}
    forward = {iri for iri, back in edges if not back}
    g = nx.DiGraph()
    facts = []
    for row in rows:
        a, p, b = row["a"], str(row["p"]), row["b"]
        g.add_edge(*((b, a) if p in backwards else (a, b)))
        if p in forward:
            facts.append((a, b))
    component = {}
    for n, members in enumerate(nx.strongly_connected_components(g)):
        for node in members:
            component[node] = n
    return sorted({(a, b) for a, b in facts if component[a] == component[b]},
                  key=lambda t: (str(t[0]), str(t[1])))


_NOT_NAME = re.compile("[^a-z0-9\u4e00-\u9fff]")


def contained_name_candidates(store: Store, properties: tuple[str, ...]) -> list[tuple[URIRef, URIRef]]:
    """The (focus, other) pairs of a `# contained-names:` check (see the module docstring), sorted.

    Per shared object, each distinct name is tested against the shorter ones (`in` on short
    strings, in C), so the work is the square of the distinct names in one place, not a join of
    its nodes in the engine.

    Raises:
        graph.store.StoreError: the query fails on this store.
    """
    # a path of alternatives, not VALUES ?p: the engine joined VALUES with the labels first (6 s
    # against 0.1 s at 3,000 documents)
    path = "|".join(sparql_iri(iri) for iri in properties)
    rows = store.query(
        f"SELECT ?e ?place ?label WHERE {{ {{ SELECT DISTINCT ?e ?place WHERE {{ GRAPH ?g {{ ?e {path} ?place }} "
        f"FILTER(?g != {sparql_iri(str(INFERRED_GRAPH))}) }} }} "
        f"?e <http://www.w3.org/2000/01/rdf-schema#label> ?label }}").rows
    places: dict[Node, dict[str, set[Node]]] = {}
    for row in rows:
        if not isinstance(row["e"], URIRef):
            continue  # STR() of a blank node is an error in SPARQL: the query never pairs one
        name = _NOT_NAME.sub("", str(row["label"]).lower())
        if len(name) >= 4:
            places.setdefault(row["place"], {}).setdefault(name, set()).add(row["e"])
    pairs: set[tuple[Node, Node]] = set()
    for names in places.values():
        ordered = sorted(names, key=len)
        for i, longer in enumerate(ordered):
            holders = names[longer]
            related = [holders] + [names[short] for short in ordered[:i] if short in longer]
            for group in related:
                for a in holders:
                    for b in group:
                        if a != b:
                            pairs.add((a, b) if str(a) < str(b) else (b, a))
    return sorted(pairs, key=lambda t: (str(t[0]), str(t[1])))
