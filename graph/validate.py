"""Validate: SHACL shapes, SPARQL quality checks and the reasoner's verdict, as findings an analyst can read.

Why three engines: SHACL (ontology/shapes.ttl; graph.shacl_core, or pySHACL for shapes beyond
it) states what every node must have or may point to; SPARQL checks (queries/checks/*.rq) catch
patterns across nodes (duplicates, cycles, weak evidence); HermiT (graph.reason) decides logical
consistency. Each finding names the entity, the problem, and the sentence and document behind it,
and has a severity: only error-level findings (contradictions) fail `parkgraph check`; gaps that
honest articles leave are warnings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph import shacl_core
from graph.checks import CheckError, Finding, Severity, load_checks, run_check, term_text
from graph.paths import CHECKS_DIR, SHAPES_FILE
from graph.reason import (
    DOC_GRAPH_PREFIX,
    Cause,
    Conflict,
    QuadSource,
    ReasonError,
    ReasonResult,
    ancestors_of,
    inferred_ntriples,
    ontology_of,
    reason,
)
from graph.store import Store, StoreError, open_store
from graph.vocab import INFERRED_GRAPH, PG, PROV, RDF, RDFS, EntityClass

__all__ = [
    "GRAPH_FILE",
    "REPORT_FILE",
    "DocGraphs",
    "ValidateError",
    "ValidationReport",
    "format_finding",
    "load_graph",
    "post_build",
    "shacl_findings",
    "shape_predicates",
    "validate",
]

log = logging.getLogger(__name__)

GRAPH_FILE = "graph.trig"
REPORT_FILE = "check.txt"
CORE_CLASSES = tuple(c.iri for c in EntityClass)


class ValidateError(RuntimeError):
    """A graph or a shapes/check file that cannot be used; the message names it and the problem."""


@dataclass
class ValidationReport:
    """All findings of one validation run, errors first, with timings and the reasoner's result."""

    findings: list[Finding] = field(default_factory=list)
    reasoning: ReasonResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def ok(self) -> bool:
        """True when no error-level problem was found (warnings are allowed)."""
        return self.count(Severity.ERROR) == 0

    def summary(self) -> str:
        """One line: how many errors, warnings and notes, and the reasoner's verdict."""
        parts = [
            f"{self.count(Severity.ERROR)} errors",
            f"{self.count(Severity.WARNING)} warnings",
            f"{self.count(Severity.INFO)} notes",
        ]
        line = "check: " + ", ".join(parts)
        if self.reasoning is not None:
            r = self.reasoning
            verdict = "consistent" if r.consistent else "INCONSISTENT"
            line += f"; reasoner: {verdict}, {len(r.inferred)} inferred triples ({r.seconds:.1f} s)"
        return line


def format_finding(f: Finding) -> str:
    """A finding as a few plain lines: severity and message, then the sentence and its document."""
    lines = [f"{f.severity.value.upper():7} {f.message}  [{f.source}]"]
    if f.sentence:
        text = f.sentence if len(f.sentence) <= 300 else f.sentence[:297] + "..."
        lines.append(f'        sentence: "{text}"')
    if f.document:
        lines.append(f"        document: {f.document}")
    return "\n".join(lines)


class DocGraphs:
    """The union of a dataset's document graphs, read on demand with rdflib Graph-style lookups.

    Why not a copied Graph: copying every document triple into rdflib took longer than the SHACL run
    at 200 documents, while findings need only a few lookups each. Works over anything with
    rdflib's `quads` method: an rdflib Dataset or a graph.store.Store.
    """

    def __init__(self, source: QuadSource) -> None:
        self.source = source

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[tuple[Node, Node, Node]]:
        seen = set()
        for s, p, o, g in self.source.quads((*pattern, None)):
            if g is not None and str(g).startswith(DOC_GRAPH_PREFIX) and (s, p, o) not in seen:
                seen.add((s, p, o))
                yield s, p, o

    def objects(self, subject: Node | None, predicate: Node | None) -> Iterator[Node]:
        return (o for _, _, o in self.triples((subject, predicate, None)))

    def subjects(self, predicate: Node | None, obj: Node | None) -> Iterator[Node]:
        return (s for s, _, _ in self.triples((None, predicate, obj)))

    def value(self, subject: Node | None = None, predicate: Node | None = None,
              obj: Node | None = None) -> Node | None:
        """The missing one of subject / object for the given pattern (any, if several), else None."""
        for s, _, o in self.triples((subject, predicate, obj)):
            return o if obj is None else s
        return None

    def __contains__(self, triple: tuple[Node, Node, Node]) -> bool:
        return next(self.triples(triple), None) is not None


class _Lookup:
    """Labels, classes and supporting sentences of nodes, read from the asserted document graphs."""

    def __init__(self, data: Graph | DocGraphs, onto: Graph) -> None:
        self.g = data
        self.onto = onto

    def label(self, node: Node | None) -> str:
        if node is None:
            return "?"
        if isinstance(node, Literal):
            return str(node)
        labels = sorted(str(x) for x in self.g.objects(node, RDFS.label))
        return f"“{labels[0]}”" if labels else term_text(node)

    def core_class(self, node: Node | None) -> URIRef | None:
        if node is None:
            return None
        types = set(self.g.objects(node, RDF.type))
        return next((c for c in CORE_CLASSES if c in types), None)

    def class_label(self, cls: URIRef | None) -> str:
        if cls is None:
            return "untyped node"
        labels = sorted(str(x) for x in self.onto.objects(cls, RDFS.label))
        return labels[0].lower() if labels else term_text(cls)

    def evidence(self, s: Node, p: Node, o: Node) -> tuple[str | None, str | None]:
        """The first sentence (by document, then position) stating the fact s p o, and its file."""
        found = []
        for ev in self.g.subjects(RDF.subject, s):
            if (ev, RDF.predicate, p) in self.g and (ev, RDF.object, o) in self.g:
                found.append(self.evidence_node(ev))
        found.sort(key=lambda t: (t[1] or "", t[0] or ""))
        return found[0] if found else (None, None)

    def evidence_node(self, ev: Node) -> tuple[str | None, str | None]:
        sent = next(iter(self.g.objects(ev, PG.inSentence)), None)
        text = next(iter(self.g.objects(sent, PG.text)), None) if sent is not None else None
        doc = next(iter(self.g.objects(ev, PROV.wasDerivedFrom)), None)
        return (str(text) if text is not None else None, self.file_of(doc))

    def file_of(self, doc: Node | None) -> str | None:
        if doc is None:
            return None
        name = next(iter(self.g.objects(doc, PG.fileName)), None)
        return str(name) if name is not None else str(doc)

    def mention(self, entity: Node, doc_graph: Node | None = None) -> tuple[str | None, str | None]:
        """The first sentence that names `entity` (in `doc_graph`'s document when given), and its file."""
        found = []
        for m in self.g.subjects(PG.mentionOf, entity):
            for sent in self.g.objects(m, PG.inSentence):
                doc = next(iter(self.g.objects(sent, PG.inDocument)), None)
                idx = next(iter(self.g.objects(sent, PG.sentenceIndex)), None)
                text = next(iter(self.g.objects(sent, PG.text)), None)
                file = self.file_of(doc)
                position = int(idx) if idx is not None else 0
                found.append((file or "", position, str(text) if text else None, file))
        if doc_graph is not None:
            wanted = str(doc_graph).rsplit("/", 1)[-1]
            mine = [f for f in found if f[3] and _doc_slug(self.g, f[3]) == wanted]
            found = mine or found
        if not found:
            return None, None
        found.sort()
        return found[0][2], found[0][3]


def _doc_slug(g: Graph | DocGraphs, file: str) -> str | None:
    for doc in g.subjects(PG.fileName, Literal(file)):
        return str(doc).rsplit("/", 1)[-1]
    return None


def data_graph(ds: Dataset | QuadSource, predicates: set[URIRef] | None = None) -> tuple[Graph, Graph]:
    """(asserted data, ontology): the union of the document graphs, and the ontology graph.

    Why only document graphs: validation judges what the texts say; inferred types would hide
    nothing but would double every message, and external links are judged by the linker.

    Args:
        ds: an rdflib Dataset or a graph.store.Store.
        predicates: copy only triples with these predicates (all when None).
    """
    onto = ontology_of(ds)
    data = Graph()
    if predicates is None:
        data.addN((s, p, o, data) for s, p, o, g in ds.quads((None, None, None, None))
                  if g is not None and str(g).startswith(DOC_GRAPH_PREFIX))
        return data, onto
    classes = _classes_below(onto, predicates)
    for prop in sorted(predicates):
        data.addN((s, p, o, data) for s, p, o, g in ds.quads((None, prop, None, None))
                  if g is not None and str(g).startswith(DOC_GRAPH_PREFIX)
                  and (p != RDF.type or o in classes))
    return data, onto


def _classes_below(onto: Graph, iris: set[URIRef]) -> set[Node]:
    """Classes that are, or are subclasses of, a class among `iris`: the only types a shape can tell apart.

    Why: sh:targetClass and sh:class ask whether a node is an instance of a named class (or of a
    subclass); a type outside those (pg:Mention, one per mention) can change no result.
    """
    parents: dict[Node, set[Node]] = {}
    for c, sup in onto.subject_objects(RDFS.subClassOf):
        parents.setdefault(c, set()).add(sup)
    out = set()
    for c in set(parents) | set(iris):
        if ancestors_of(c, parents) & iris:
            out.add(c)
    return out


def shape_predicates(shapes: Graph) -> set[URIRef] | None:
    """The predicates SHACL validation with `shapes` can read, or None when it may read any.

    Why: pySHACL's cost grows with the data graph, and most document triples (mentions, sentence
    text, offsets) are read by no shape. SHACL Core reads a node's values only along the shapes'
    paths (and sh:targetSubjectsOf / sh:targetObjectsOf), and classes through rdf:type and
    rdfs:subClassOf, so every IRI in the shapes graph plus those two covers it. sh:closed
    (reads every property of a node) and SPARQL-based constraints (read anything) make it None.
    """
    if any(shapes.triples((None, SH.closed, None))) or any(shapes.triples((None, SH.sparql, None))) \
            or any(shapes.triples((None, SH.target, None))):
        return None
    # Subjects and objects: a path, target or class is always one; predicates are only SHACL's own terms.
    iris = {t for s, _, o in shapes for t in (s, o) if isinstance(t, URIRef)}
    if RDF.type in iris:  # a shape reads rdf:type as a value (sh:path rdf:type): keep every triple
        return None
    return iris | {RDF.type, RDFS.subClassOf}


def shacl_findings(data: Graph | QuadSource, onto: Graph, *, shapes_file: Path = SHAPES_FILE,
                   engine: str = "auto") -> list[Finding]:
    """Validate the document graphs against the shapes file; one Finding per validation result.

    The ontology is added to the data graph so that sh:class follows rdfs:subClassOf.

    Args:
        data: the asserted data as a Graph, or a Dataset / Store whose document graphs are read
            (only the triples the shapes can read, see shape_predicates).
        onto: the ontology graph.
        shapes_file: the SHACL shapes.
        engine: "auto" evaluates a Store with graph.shacl_core when the shapes stay within what it
            covers (pySHACL otherwise, and for an rdflib graph); "pyshacl" always uses pySHACL.

    Raises:
        ValidateError: the shapes file is missing or does not parse.
    """
    shapes = Graph()
    try:
        shapes.parse(shapes_file, format="turtle")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidateError(f"{shapes_file}: cannot read SHACL shapes ({exc})") from exc
    if isinstance(data, Store) and engine == "auto":
        try:
            compiled = shacl_core.compile_shapes(shapes)
        except shacl_core.Unsupported as exc:
            log.info("%s: %s is beyond graph.shacl_core; validating with pySHACL", shapes_file, exc)
        else:
            look = _Lookup(DocGraphs(data), onto)
            return [_shacl_finding(r, shapes, look) for r in shacl_core.evaluate(compiled, data, onto)]
    results, look = _pyshacl_results(data, onto, shapes)
    return [_shacl_finding(r, shapes, look) for r in results]


def _pyshacl_results(data: Graph | QuadSource, onto: Graph,
                     shapes: Graph) -> tuple[list[shacl_core.Result], _Lookup]:
    """pySHACL's validation results, in shacl_core's form, and the lookups for their findings."""
    import pyshacl

    if isinstance(data, Graph):
        combined = Graph()
        for t in data:
            combined.add(t)
        look = _Lookup(data, onto)
    else:
        combined, _ = data_graph(data, shape_predicates(shapes))
        look = _Lookup(DocGraphs(data), onto)
    for t in onto:
        combined.add(t)
    _, results, _ = pyshacl.validate(combined, shacl_graph=shapes, inference="none", allow_warnings=True)
    out = []
    for res in results.subjects(RDF.type, SH.ValidationResult):
        one = partial(results.value, res)
        out.append(shacl_core.Result(focus=one(SH.focusNode), path=one(SH.resultPath), value=one(SH.value),
                                     source=one(SH.sourceShape), severity=one(SH.resultSeverity),
                                     message=str(one(SH.resultMessage) or "") or None))
    return out, look


def _shacl_finding(result: shacl_core.Result, shapes: Graph, look: _Lookup) -> Finding:
    focus, path, value, source, sev = result.focus, result.path, result.value, result.source, result.severity
    named = source
    while isinstance(named, BNode):  # property shapes are blank nodes: report their node shape
        named = shapes.value(None, SH.property, named)
    template = shapes.value(source, SH.message) or shapes.value(named, SH.message)
    title = shapes.value(named, RDFS.label) or term_text(named)
    subject = focus
    sentence: str | None = None
    document: str | None = None
    if focus is not None and (focus, RDF.type, PG.Evidence) in look.g:
        subject = look.g.value(focus, RDF.subject)
        sentence, document = look.evidence_node(focus)
    elif focus is not None and (focus, RDF.type, PG.Amount) in look.g:
        subject = look.g.value(None, PG.statesAmount, focus)
        sent = look.g.value(focus, PG.inSentence)
        sentence = str(look.g.value(sent, PG.text)) if sent is not None else None
        document = look.file_of(look.g.value(sent, PG.inDocument)) if sent is not None else None
    elif isinstance(value, URIRef) and isinstance(path, URIRef):
        sentence, document = look.evidence(focus, path, value)
    if sentence is None and subject is not None:
        sentence, document = look.mention(subject)
    values = {
        "focus": look.label(subject),
        "focusClass": look.class_label(look.core_class(subject)),
        "value": look.label(value) if value is not None else "?",
        "valueClass": look.class_label(look.core_class(value)),
        "path": term_text(path) if path is not None else "?",
    }
    message = (str(template).format_map(_Missing(values)) if template
               else result.message or f"{title}: {term_text(focus)}")
    severity = {SH.Violation: Severity.ERROR, SH.Warning: Severity.WARNING}.get(sev, Severity.INFO)
    return Finding(
        severity=severity,
        source=f"shape:{term_text(named)}",
        title=str(title),
        message=message,
        focus=str(subject) if subject is not None else None,
        sentence=sentence,
        document=document,
    )


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def conflict_findings(result: ReasonResult, data: Graph | DocGraphs, onto: Graph) -> list[Finding]:
    """Turn the reasoner's conflicts into error findings that quote the sentence causing them.

    The quoted sentence is the one behind the class the entity was not named as (the fact whose
    domain or range drags it into a second class): that is the sentence an analyst must reread.
    """
    look = _Lookup(data, onto)
    findings = []
    for c in result.conflicts:
        side = c.causes_b if _asserted(c.causes_a) or not _asserted(c.causes_b) else c.causes_a
        primary = next((x for x in side if x.predicate is not None), side[0])
        fact = primary.fact(c.entity)
        sentence, document = look.evidence(*fact) if fact is not None else (None, None)
        if sentence is None:
            sentence, document = look.mention(c.entity, primary.graph)
        findings.append(Finding(
            severity=Severity.ERROR,
            source="reason:disjoint",
            title="Contradiction found by the reasoner",
            message=_conflict_message(c, look),
            focus=str(c.entity),
            sentence=sentence,
            document=document,
        ))
    if result.unexplained:
        findings.append(Finding(
            severity=Severity.ERROR,
            source="reason:inconsistent",
            title="Graph inconsistent",
            message="HermiT finds the graph inconsistent, and no single entity's classes explain it; "
            "look for facts that combine through locatedIn chains or inverse properties",
        ))
    return findings


def _asserted(causes: Iterable[Cause]) -> bool:
    return any(x.predicate is None for x in causes)


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _conflict_message(c: Conflict, look: _Lookup) -> str:
    name = look.label(c.entity)

    def doc_of(x: Cause) -> str:
        return look.file_of(URIRef(str(x.graph).replace("/graph/doc/", "/doc/"))) or "?" if x.graph else "?"

    def why(causes: tuple[Cause, ...], cls: URIRef) -> str:
        named = sorted({doc_of(x) for x in causes if x.predicate is None})
        if named:  # what the text called it is reason enough; domain/range echoes would only add noise
            return f"{_a(look.class_label(cls))}, as {', '.join(named)} name{'s' if len(named) == 1 else ''} it"
        parts = []
        for x in causes:
            fact = f"{name} {term_text(x.predicate)} {look.label(x.other)}" if x.as_subject else \
                f"{look.label(x.other)} {term_text(x.predicate)} {name}"
            parts.append(f"{fact} ({doc_of(x)})")
        return f"{_a(look.class_label(cls))}, because " + "; ".join(dict.fromkeys(parts))

    return (f"{name} cannot be both {why(c.causes_a, c.class_a)}, and {why(c.causes_b, c.class_b)}: "
            "the ontology declares these classes disjoint")


def store_from_dataset(ds: Dataset) -> Store:
    """An in-memory pyoxigraph store holding `ds`, for running the SPARQL checks on a fresh build."""
    st = ox.Store()
    st.bulk_load(input=ds.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
    store = Store(st, location="(memory)")
    store.rebuild_merged()
    return store


def validate(
    ds: Dataset | None = None,
    *,
    store: Store | None = None,
    run_reasoner: bool = True,
    reasoning: ReasonResult | None = None,
    shapes_file: Path = SHAPES_FILE,
    checks_dir: Path = CHECKS_DIR,
) -> ValidationReport:
    """Run the reasoner, the SHACL shapes and every SPARQL check over a built dataset.

    Args:
        ds: the built dataset (document graphs, meta and ontology graphs); may be None with `store`.
        store: the same graph in a Store, which every step reads (made from `ds` when None).
        run_reasoner: False skips HermiT (no Java needed); consistency is then not decided.
        reasoning: a result already computed for `ds`, to avoid reasoning twice.
        shapes_file: the SHACL shapes.
        checks_dir: the folder of check queries.

    Raises:
        ValidateError: a shapes or check file is unusable, or a check query fails.
    """
    report = ValidationReport()
    if store is None:
        if ds is None:
            raise ValidateError("nothing to validate: give a dataset or a store")
        store = store_from_dataset(ds)
    # Everything below reads the store: the document graphs of a large build are never copied whole.
    onto = ontology_of(store)
    data = DocGraphs(store)
    findings: list[Finding] = []
    if reasoning is None and run_reasoner:
        started = time.perf_counter()
        try:
            reasoning = reason(store, onto=onto)
        except ReasonError as exc:
            findings.append(Finding(Severity.WARNING, "reason:unavailable", "Reasoner not run",
                                    f"consistency was not decided: {exc}"))
        report.seconds["reason"] = time.perf_counter() - started
    report.reasoning = reasoning
    if reasoning is not None:
        findings.extend(conflict_findings(reasoning, data, onto))
    started = time.perf_counter()
    findings.extend(shacl_findings(store, onto, shapes_file=shapes_file))
    report.seconds["shacl"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        checks = load_checks(checks_dir)
    except CheckError as exc:
        raise ValidateError(str(exc)) from exc
    for check in checks:
        try:
            findings.extend(run_check(store, check))
        except StoreError as exc:
            raise ValidateError(f"{check.path}: {exc}") from exc
    report.seconds["checks"] = time.perf_counter() - started
    findings = list(dict.fromkeys(findings))
    findings.sort(key=lambda f: (f.severity.rank, f.source, f.focus or "", f.message))
    report.findings = findings
    return report


def load_graph(location: Path) -> tuple[Dataset, Store]:
    """Open a build folder or an RDF file as (rdflib dataset, query store).

    Raises:
        ValidateError: no build folder or readable RDF file at `location`.
    """
    path = Path(location)
    file = path / GRAPH_FILE if path.is_dir() else path
    if not file.is_file():
        raise ValidateError(f"{path}: no build folder (with {GRAPH_FILE}) or RDF file here; "
                            "run `parkgraph build` first")
    fmt = {".trig": "trig", ".ttl": "turtle", ".nq": "nquads", ".nt": "nt", ".rdf": "xml", ".owl": "xml"}.get(
        file.suffix.lower())
    if fmt is None:
        raise ValidateError(f"{file}: unknown RDF format (use .trig, .ttl, .nq, .nt, .rdf)")
    ds = Dataset()
    try:
        if fmt in ("trig", "nquads"):
            ds.parse(file, format=fmt)
            store = open_store(path)
        else:
            # a plain graph file: read it as one document graph so the checks see its facts
            ds.graph(URIRef(DOC_GRAPH_PREFIX + file.stem)).parse(file, format=fmt)
            store = store_from_dataset(ds)
    except (OSError, SyntaxError, ValueError, StoreError) as exc:
        raise ValidateError(f"{file}: cannot read RDF ({exc})") from exc
    return ds, store


def post_build(store: Store, out_dir: Path, report, *, after_reasoning: Callable[[], None] | None = None) -> None:
    """The build's last step: reason over the build's store, keep the inferred graph there, run the checks.

    The inferred graph replaces `graph/inferred` in the store (graph.trig never holds it, see
    Store.write_trig); DIR/check.txt gets the full findings and `report.extras["summary_lines"]` a
    summary. `after_reasoning` is called once the store holds the inferred graph (or reasoning
    failed), before the checks: the build then copies the derived graphs to its on-disk store
    while the checks run. Never raises: a failure here becomes a build warning, because a graph
    that was built is still worth keeping when, say, Java is missing.
    """
    from graph.pipeline import write_atomic

    lines = report.extras.setdefault("summary_lines", [])
    try:
        reasoning: ReasonResult | None = None
        try:
            reasoning = reason(store)
        except ReasonError as exc:
            report.warnings.append(f"reasoner not run: {exc}")
        if reasoning is not None:
            # sorted: an in-memory store keeps the order quads were added in (see Store.put_graph_sorted)
            store.put_graph_sorted(str(INFERRED_GRAPH), inferred_ntriples(reasoning, store),
                                   media_type="application/n-triples")
            store.flush()
        if after_reasoning is not None:
            after_reasoning()
        result = validate(store=store, reasoning=reasoning, run_reasoner=False)
        text = "\n".join([result.summary(), *(format_finding(f) for f in result.findings)]) + "\n"
        write_atomic(out_dir / REPORT_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        report.extras["validation"] = result
        lines.append(f"{result.summary()} (details: {out_dir / REPORT_FILE})")
        for f in result.findings:
            if f.severity is Severity.ERROR:
                lines.append("  " + format_finding(f).replace("\n", "\n  "))
    except Exception as exc:  # a broken check must not lose a built graph
        log.exception("reason/validate step failed")
        report.warnings.append(f"reason/validate step failed: {exc}")
