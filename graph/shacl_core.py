"""SHACL Core, for the constraints ParkGraph's shapes use, evaluated on an index of the store.

Why not pySHACL for every build: it walks an rdflib graph one triple lookup at a time, and a
build first has to copy the shape-relevant triples into that graph. At 10,000 documents this
was the largest post-build cost (172 s: 22M rdflib term comparisons, and 15-21 s of copying at
3,000). Here each predicate a shape reads is pulled from the store once, as engine terms, into
a subject -> objects map, and every constraint is a set operation on those maps (seconds at
10,000 documents). Only the values a value check must inspect become rdflib terms.

What it covers: targets sh:targetClass and sh:targetSubjectsOf; node shapes with sh:class,
sh:or and sh:property; property shapes whose sh:path is an IRI or an sh:alternativePath of IRIs,
with sh:minCount, sh:maxCount, sh:datatype, sh:pattern (sh:flags), sh:class, sh:minInclusive,
sh:maxInclusive and sh:or; sh:severity and sh:message. `compile_shapes` raises Unsupported,
naming the term, for anything else; graph.validate then runs pySHACL as before. Each check
mirrors pySHACL 0.40's own (datatype: same IRI and not ill-typed, as rdflib parses it; pattern:
match or search on the value's string; class: rdf:type then rdfs:subClassOf*), and
tests/test_shacl_core.py compares the results with pySHACL's on the corpus and on a graph that
trips every shape.

The data graph is what graph.validate gives pySHACL: the union of the document graphs plus the
ontology (so sh:class follows rdfs:subClassOf).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from graph.reason import DOC_GRAPH_PREFIX, ancestors_of
from graph.store import Store, to_oxigraph, to_rdflib

__all__ = ["Result", "Unsupported", "compile_shapes", "evaluate"]

# what a shape of each kind may say; anything else is beyond this module
_NODE_TERMS = {RDF.type, RDFS.label, RDFS.comment, SH.targetClass, SH.targetSubjectsOf, SH.property, SH["or"],
               SH["class"], SH.severity, SH.message, SH.datatype, SH.pattern, SH.flags, SH.name,
               SH.description, SH.order, SH.group}
_PROPERTY_TERMS = {RDF.type, RDFS.label, RDFS.comment, SH.path, SH.minCount, SH.maxCount, SH.datatype,
                   SH.pattern, SH.flags, SH["class"], SH.minInclusive, SH.maxInclusive, SH["or"],
                   SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group}
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


class Unsupported(Exception):
    """The shapes use a SHACL feature this module does not evaluate (the message names it)."""


@dataclass(frozen=True)
class Result:
    """One validation result, as pySHACL would report it (sh:value None where it gives none)."""

    focus: Node
    path: Node | None
    value: Node | None
    source: Node
    severity: URIRef
    message: str | None = None  # pySHACL's own text; the shapes' sh:message is used first


@dataclass
class _Shape:
    """The constraint parameters of one shape (a node shape when path is None)."""

    node: Node
    path: Node | None = None
    alternatives: tuple[URIRef, ...] = ()
    severity: URIRef = SH.Violation
    min_count: int | None = None
    max_count: int | None = None
    datatype: URIRef | None = None
    patterns: list[re.Pattern] = field(default_factory=list)
    classes: list[URIRef] = field(default_factory=list)
    min_inclusive: Literal | None = None
    max_inclusive: Literal | None = None
    ors: list[list[_Shape]] = field(default_factory=list)
    properties: list[_Shape] = field(default_factory=list)
    target_classes: list[URIRef] = field(default_factory=list)
    target_subjects_of: list[URIRef] = field(default_factory=list)


def compile_shapes(shapes: Graph) -> list[_Shape]:
    """The node shapes of `shapes` (those with a target), ready for `evaluate`.

    Raises:
        Unsupported: a shape uses a term this module does not evaluate.
    """
    roots = sorted({s for p in (SH.targetClass, SH.targetSubjectsOf) for s in shapes.subjects(p, None)}, key=str)
    for p in (SH.targetNode, SH.targetObjectsOf, SH.target, SH.sparql, SH.closed, SH.deactivated):
        if any(shapes.triples((None, p, None))):
            raise Unsupported(f"sh:{str(p).rsplit('#', 1)[-1]}")
    return [_shape(shapes, r, property_shape=False) for r in roots]


def _shape(shapes: Graph, node: Node, *, property_shape: bool) -> _Shape:
    allowed = _PROPERTY_TERMS if property_shape else _NODE_TERMS
    for p in set(shapes.predicates(node, None)):
        if p not in allowed:
            raise Unsupported(f"{p} on shape {node}")
    one = lambda p: shapes.value(node, p)  # noqa: E731
    shape = _Shape(node=node, severity=one(SH.severity) or SH.Violation)
    if property_shape:
        shape.path = one(SH.path)
        if isinstance(shape.path, URIRef):
            shape.alternatives = (shape.path,)
        else:
            alt = shapes.value(shape.path, SH.alternativePath)
            others = set(shapes.predicates(shape.path, None)) - {SH.alternativePath}
            items = list(Collection(shapes, alt)) if alt is not None else []
            if alt is None or others or not items or not all(isinstance(i, URIRef) for i in items):
                raise Unsupported(f"sh:path {shape.path} (only an IRI or an sh:alternativePath of IRIs)")
            shape.alternatives = tuple(items)
    for name in ("min_count", "max_count"):
        value = one(SH.minCount if name == "min_count" else SH.maxCount)
        if value is not None:
            setattr(shape, name, int(value))
    shape.datatype = one(SH.datatype)
    flags = 0
    for ch in str(one(SH.flags) or ""):
        flags |= _FLAGS.get(ch, 0)
    shape.patterns = [re.compile(str(p), flags) for p in shapes.objects(node, SH.pattern)]
    shape.classes = sorted(shapes.objects(node, SH["class"]), key=str)
    shape.min_inclusive = one(SH.minInclusive)
    shape.max_inclusive = one(SH.maxInclusive)
    shape.ors = [[_shape(shapes, m, property_shape=(m, SH.path, None) in shapes)
                  for m in Collection(shapes, lst)] for lst in shapes.objects(node, SH["or"])]
    shape.properties = [_shape(shapes, p, property_shape=True)
                        for p in sorted(shapes.objects(node, SH.property), key=str)]
    shape.target_classes = sorted(shapes.objects(node, SH.targetClass), key=str)
    shape.target_subjects_of = sorted(shapes.objects(node, SH.targetSubjectsOf), key=str)
    return shape


def _walk(shapes: Iterable[_Shape]) -> Iterator[_Shape]:
    for s in shapes:
        yield s
        yield from _walk(s.properties)
        for members in s.ors:
            yield from _walk(members)


class _Data:
    """The data graph, indexed: subject -> objects per predicate, and the class hierarchy."""

    def __init__(self, store: Store, onto: Graph, predicates: set[URIRef], classes: set[URIRef]) -> None:
        self.store = store
        self.onto = onto
        self._by_predicate: dict[URIRef, dict[object, set[object]]] = {}
        self._rdflib: dict[object, Node] = {}
        self._load(RDFS.subClassOf)
        self._supers: dict[object, set[object]] = {}
        sub = self._by_predicate[RDFS.subClassOf]
        for c in set(sub) | {o for objs in sub.values() for o in objs}:
            self._supers[c] = ancestors_of(c, sub)
        # only types a shape can tell apart (one pg:Mention type per mention would be most of them),
        # read class by class rather than filtered out of every type triple
        wanted = {to_oxigraph(c) for c in classes}
        if RDF.type in predicates:
            self._load(RDF.type)
        else:
            below = {c for c, ups in self._supers.items() if ups & wanted} | wanted
            self._load(RDF.type, objects=sorted(below, key=str))
        # each node's classes with all their superclasses, once per distinct set of types
        closures: dict[frozenset, frozenset] = {}
        self._classes: dict[object, frozenset] = {}
        for node, types in self._by_predicate[RDF.type].items():
            key = frozenset(types)
            if key not in closures:
                closures[key] = frozenset(c for t in key for c in self._supers.get(t, {t}))
            self._classes[node] = closures[key]
        for p in sorted(predicates - {RDF.type, RDFS.subClassOf}):
            self._load(p)
        self._checked: dict[tuple, bool] = {}

    def _load(self, p: URIRef, objects: list[object] | None = None) -> None:
        index: dict[object, set[object]] = {}
        pred = ox.NamedNode(str(p))
        for o in objects if objects is not None else [None]:
            for q in self.store.raw.quads_for_pattern(None, pred, o, None):
                g = q.graph_name
                if isinstance(g, ox.NamedNode) and g.value.startswith(DOC_GRAPH_PREFIX):
                    index.setdefault(q.subject, set()).add(q.object)
        for s, o in self.onto.subject_objects(p):
            index.setdefault(to_oxigraph(s), set()).add(to_oxigraph(o))
        self._by_predicate[p] = index

    def check(self, test, term: object, *args) -> bool:
        """`test(rdflib term, *args)`, once per distinct term (values repeat: confidences, units)."""
        key = (test, term, *args)
        ok = self._checked.get(key)
        if ok is None:
            ok = self._checked[key] = test(self.rdflib(term), *args)
        return ok

    def values(self, node: object, alternatives: tuple[URIRef, ...]) -> set[object]:
        out: set[object] = set()
        for p in alternatives:
            out |= self._by_predicate[p].get(node, set())
        return out

    def subjects_of(self, p: URIRef) -> set[object]:
        return set(self._by_predicate[p])

    def is_instance(self, node: object, cls: object) -> bool:
        return cls in self._classes.get(node, ())

    def instances(self, cls: object) -> set[object]:
        return {n for n, classes in self._classes.items() if cls in classes}

    def rdflib(self, term: object) -> Node:
        made = self._rdflib.get(term)
        if made is None:
            made = self._rdflib[term] = to_rdflib(term)  # type: ignore[assignment]
        return made  # type: ignore[return-value]


def evaluate(shapes: list[_Shape], store: Store, onto: Graph) -> list[Result]:
    """Every validation result of `shapes` on the store's document graphs plus `onto`."""
    predicates = {p for s in _walk(shapes) for p in (*s.alternatives, *s.target_subjects_of)}
    classes = {c for s in _walk(shapes) for c in (*s.classes, *s.target_classes)}
    data = _Data(store, onto, predicates, classes)
    results: list[Result] = []
    for shape in shapes:
        foci: set[object] = set()
        for cls in shape.target_classes:
            foci |= data.instances(to_oxigraph(cls))
        for p in shape.target_subjects_of:
            foci |= data.subjects_of(p)
        for focus in foci:
            results += _node_results(data, shape, focus)
    return results


def _node_results(data: _Data, shape: _Shape, focus: object) -> list[Result]:
    out = []
    for value in _failures(data, shape, focus, [focus]):
        f = data.rdflib(focus)
        out.append(Result(f, None, f if value is not None else None, shape.node, shape.severity))
    for prop in shape.properties:
        for value in _failures(data, prop, focus, list(data.values(focus, prop.alternatives))):
            out.append(Result(data.rdflib(focus), prop.path, data.rdflib(value) if value is not None else None,
                              prop.node, prop.severity))
    return out


def _conforms(data: _Data, shape: _Shape, node: object) -> bool:
    """Whether `node` conforms to `shape` (an sh:or member: its own checks and its properties')."""
    if shape.path is not None:
        return not any(True for _ in _failures(data, shape, node, list(data.values(node, shape.alternatives))))
    if any(True for _ in _failures(data, shape, node, [node])):
        return False
    return all(not any(True for _ in _failures(data, p, node, list(data.values(node, p.alternatives))))
               for p in shape.properties)


def _failures(data: _Data, shape: _Shape, focus: object, values: list[object]) -> Iterator[object | None]:
    """One item per failed check (the value, or None for a count), in pySHACL's sense of each."""
    if shape.min_count is not None and len(values) < shape.min_count:
        yield None
    if shape.max_count is not None and len(values) > shape.max_count:
        yield None
    if shape.datatype is not None:
        yield from (v for v in values if not data.check(_datatype_ok, v, shape.datatype))
    for pattern in shape.patterns:
        yield from (v for v in values if not data.check(_pattern_ok, v, pattern))
    for cls in shape.classes:
        c = to_oxigraph(cls)
        yield from (v for v in values if not data.is_instance(v, c))
    for bound, sign in ((shape.min_inclusive, 1), (shape.max_inclusive, -1)):
        if bound is not None:
            yield from (v for v in values if not data.check(_inclusive_ok, v, bound, sign))
    for members in shape.ors:
        yield from (v for v in values if not any(_conforms(data, m, v) for m in members))


def _datatype_ok(v: Node, datatype: URIRef) -> bool:
    """pySHACL's DatatypeConstraintComponent: same datatype IRI and, where rdflib parses it, well-typed."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == datatype:
        if getattr(v, "ill_typed", None) is True:
            return False
        value = v.value
        kinds = {XSD.string: (str, bytes), XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
                 XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}
        return isinstance(value, kinds[datatype]) if datatype in kinds else True
    if datatype == RDFS.Literal:
        return True
    if v.datatype is None and v.language is None and datatype == XSD.string:
        return isinstance(v.value, (str, bytes))
    return datatype == RDF.langString and bool(v.language)


def _pattern_ok(v: Node, pattern: re.Pattern) -> bool:
    if isinstance(v, BNode):
        return False
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString, XSD.string):
        text = str(v.value)
    else:
        text = str(v)
    return bool(pattern.match(text) or pattern.search(text))


def _inclusive_ok(v: Node, bound: Literal, sign: int) -> bool:
    """pySHACL's Min/MaxInclusive: only literals of the bound's kind (string or not) compare."""
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(v, Literal):
        return False
    if isinstance(bound.value, str) != isinstance(v.value, str):
        return False
    try:
        return sign * compare_literal(v, bound) >= 0
    except (TypeError, NotImplementedError):
        return False
