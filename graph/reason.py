"""Reason: classify the graph with HermiT (via owlready2) and explain any inconsistency by its facts.

Why HermiT: it runs on the machine's Java 17 (Pellet's bundled jars do not, with owlready2 0.50+),
and it decides OWL 2 DL, so domain/range typing, transitive `locatedIn` chains and disjointness are
all checked by one engine. HermiT only answers "inconsistent", so the culprits are found directly:
every type an entity gets from its asserted classes and from the domains and ranges of its facts is
compared against the ontology's disjointness axioms (the same axioms HermiT used), which names the
facts to show an analyst. Inferred triples never go into a document's graph: the caller puts them in
the `graph/inferred` named graph.

Why HermiT sees a summary and not every fact: under this ontology an entity's classes depend only on
its own classes and the directions of its relations, so one representative per such shape gives the
same classes and the same verdict (graph.abstraction); at 3,000 documents that is a few hundred
individuals instead of 40,000, and reasoning went from 112 s to a few seconds. Chains and inverses
are then derived from the facts directly.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from graph.abstraction import outside_profile, plain, transitive_closure
from graph.abstraction import summarise as summarise_facts
from graph.vocab import DCTERMS, GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, OWL, PG, PROV, RDF, RDFS, Predicate

__all__ = [
    "Cause",
    "Conflict",
    "ReasonError",
    "ReasonResult",
    "Schema",
    "assertions",
    "find_conflicts",
    "graph_of",
    "inferred_ntriples",
    "ontology_of",
    "reason",
    "run_hermit",
]

log = logging.getLogger(__name__)

DOC_GRAPH_PREFIX = str(GRAPH["doc/"])
CORE_PREDICATES = tuple(p.iri for p in Predicate)
Triple = tuple[URIRef, URIRef, URIRef]
_NAMED_INDIVIDUAL = OWL.NamedIndividual


class ReasonError(RuntimeError):
    """The reasoner could not run (no Java, a crash); the message says what to fix."""


@dataclass(frozen=True)
class Cause:
    """Why an entity has a class: asserted in a document graph, or implied by one fact's domain/range.

    `predicate`/`other` are None for an asserted type; for a fact, the entity is the subject when
    `as_subject` is true (the class comes from the predicate's domain), else the object (range).
    """

    cls: URIRef
    graph: URIRef | None
    predicate: URIRef | None = None
    other: URIRef | None = None
    as_subject: bool = True

    def fact(self, entity: URIRef) -> tuple[URIRef, URIRef, URIRef] | None:
        """The (s, p, o) triple behind this cause, or None for an asserted type."""
        if self.predicate is None or self.other is None:
            return None
        if self.as_subject:
            return (entity, self.predicate, self.other)
        return (self.other, self.predicate, entity)


@dataclass(frozen=True)
class Conflict:
    """An entity that would belong to two disjoint classes, with the causes of each."""

    entity: URIRef
    class_a: URIRef
    class_b: URIRef
    causes_a: tuple[Cause, ...]
    causes_b: tuple[Cause, ...]


@dataclass
class ReasonResult:
    """What reasoning found: consistency, the conflicts that explain an inconsistency, new triples."""

    consistent: bool
    inferred: set[Triple]
    conflicts: list[Conflict] = field(default_factory=list)
    unexplained: bool = False
    seconds: float = 0.0
    individuals: int = 0
    asserted_triples: int = 0


@dataclass
class Schema:
    """The parts of the ontology that reasoning and explanation need, read once from its triples."""

    domain: dict[URIRef, set[URIRef]]
    range: dict[URIRef, set[URIRef]]
    inverse: dict[URIRef, URIRef]
    ancestors: dict[URIRef, set[URIRef]]
    disjoint: set[frozenset[URIRef]]
    transitive: frozenset[URIRef] = frozenset()

    @classmethod
    def from_graph(cls, onto: Graph) -> Schema:
        """Read domains, ranges, inverses, the subclass closure and disjoint pairs from an ontology graph."""
        domain: dict[URIRef, set[URIRef]] = defaultdict(set)
        rng: dict[URIRef, set[URIRef]] = defaultdict(set)
        for p, c in onto.subject_objects(RDFS.domain):
            if isinstance(c, URIRef):
                domain[p].add(c)
        for p, c in onto.subject_objects(RDFS.range):
            if isinstance(c, URIRef):
                rng[p].add(c)
        inverse: dict[URIRef, URIRef] = {}
        for p, q in onto.subject_objects(OWL.inverseOf):
            inverse[p], inverse[q] = q, p
        parents: dict[URIRef, set[URIRef]] = defaultdict(set)
        for c, sup in onto.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(sup, URIRef):
                parents[c].add(sup)
        classes = {c for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)} | set(parents)
        ancestors = {c: ancestors_of(c, parents) for c in classes}
        disjoint: set[frozenset[URIRef]] = set()
        for ax in onto.subjects(RDF.type, OWL.AllDisjointClasses):
            for lst in onto.objects(ax, OWL.members):
                members = [m for m in Collection(onto, lst) if isinstance(m, URIRef)]
                disjoint.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
        for a, b in onto.subject_objects(OWL.disjointWith):
            if isinstance(a, URIRef) and isinstance(b, URIRef):
                disjoint.add(frozenset((a, b)))
        transitive = frozenset(p for p in onto.subjects(RDF.type, OWL.TransitiveProperty) if isinstance(p, URIRef))
        return cls(dict(domain), dict(rng), inverse, ancestors, disjoint, transitive)

    def up(self, cls: URIRef) -> set[URIRef]:
        """The class and all its named superclasses."""
        return self.ancestors.get(cls, {cls})


def ancestors_of(start: Hashable, parents: Mapping[Hashable, Iterable[Hashable]]) -> set:
    """`start` and everything above it in `parents` (a class and its superclasses, reflexively)."""
    seen = {start}
    todo = [start]
    while todo:
        for sup in parents.get(todo.pop(), ()):
            if sup not in seen:
                seen.add(sup)
                todo.append(sup)
    return seen


def _is_doc_graph(name: Node) -> bool:
    return str(name).startswith(DOC_GRAPH_PREFIX)


class QuadSource(Protocol):
    """A graph reasoning can read: rdflib's Dataset, or a graph.store.Store (the same `quads` method)."""

    def quads(self, pattern: tuple) -> Iterator[tuple[Node, Node, Node, Node]]: ...


def _stated(ds: QuadSource, props: Iterable[URIRef],
            classes: Iterable[URIRef] = ()) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """Document-graph quads with one of `props` as predicate, or rdf:type one of `classes`.

    Indexed lookups, not a scan of every quad: the type lookups go class by class, because most
    rdf:type triples of a build type evidence, mention and sentence nodes the reasoner never needs.
    """
    patterns = [(None, prop, None, None) for prop in sorted(set(props))]
    patterns += [(None, RDF.type, cls, None) for cls in sorted(set(classes))]
    for pattern in patterns:
        for s, p, o, g in ds.quads(pattern):
            if g is not None and _is_doc_graph(g):
                yield s, p, o, g if type(g) is URIRef else URIRef(str(g))


def _relation_props(schema: Schema) -> set[URIRef]:
    return set(CORE_PREDICATES) | {schema.inverse[p] for p in CORE_PREDICATES if p in schema.inverse}


def assertions(ds: QuadSource, schema: Schema) -> list[tuple[URIRef, URIRef, URIRef, URIRef]]:
    """The facts the reasoner needs, as quads (s, p, o, document graph): entity types and core relations.

    Why so little: evidence, mention and sentence nodes and literal values add nothing to the
    classification but cost HermiT time, and xsd:gYear values are outside OWL 2's datatype map.
    Relations stated with an inverse property (`contains`) are kept as stated.
    """
    entity_classes = {c for c in schema.ancestors if str(c).startswith(str(PG))}
    wanted = entity_classes - _PROVENANCE_CLASSES
    out: set[tuple[URIRef, URIRef, URIRef, URIRef]] = set()
    for s, p, o, g in _stated(ds, _relation_props(schema), wanted):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            out.add((s, p, o, g))
    return sorted(out, key=plain)


def graph_of(ds: QuadSource, name: URIRef) -> Graph:
    """One named graph of `ds` as an rdflib Graph (a copy)."""
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, name)):
        g.add((s, p, o))
    return g


def ontology_of(ds: QuadSource) -> Graph:
    """The ontology graph `ds` carries, or the ontology file when it carries none."""
    onto = graph_of(ds, ONTOLOGY_GRAPH)
    if len(onto) == 0:
        from graph.build import ontology_graph

        onto = ontology_graph()
    return onto


_PROVENANCE_CLASSES = {PG.SourceDocument, PG.Sentence, PG.Mention, PG.Evidence, PG.Amount, PG.DocumentGraph}


def find_conflicts(quads: Iterable[tuple[URIRef, URIRef, URIRef, URIRef]], schema: Schema) -> list[Conflict]:
    """Entities whose asserted classes and fact-implied classes include two disjoint classes.

    This is the explanation HermiT cannot give: each conflict lists the type assertions and the
    facts (through rdfs:domain / rdfs:range, inverses included) that put the entity in each class.

    Examples:
        A policy "issued by" something typed as a park, under an ontology that makes the range of
        issuedBy disjoint with IndustrialPark, yields one Conflict naming that fact.
    """
    causes: dict[URIRef, list[Cause]] = defaultdict(list)
    for s, p, o, g in quads:
        if p == RDF.type:
            causes[s].append(Cause(o, g))
            continue
        pred, subj, obj = p, s, o
        if p not in schema.domain and p not in schema.range and p in schema.inverse:
            pred, subj, obj = schema.inverse[p], o, s  # `contains` stated: read it as `locatedIn`
        for c in schema.domain.get(pred, ()):
            causes[subj].append(Cause(c, g, p, o if subj == s else s, as_subject=subj == s))
        for c in schema.range.get(pred, ()):
            causes[obj].append(Cause(c, g, p, s if obj == o else o, as_subject=obj != o))
    conflicts: list[Conflict] = []
    for entity in sorted(causes):
        by_class: dict[URIRef, list[Cause]] = defaultdict(list)
        for cause in causes[entity]:
            for c in schema.up(cause.cls):
                by_class[c].append(cause)
        for pair in sorted(schema.disjoint, key=lambda fs: sorted(fs)):
            a, b = sorted(pair)
            if a in by_class and b in by_class:
                conflicts.append(Conflict(entity, a, b, tuple(sorted(set(by_class[a]), key=_cause_key)),
                                          tuple(sorted(set(by_class[b]), key=_cause_key))))
    return conflicts


def _cause_key(c: Cause) -> tuple[str, ...]:
    return (str(c.graph), str(c.predicate or ""), str(c.other or ""), str(c.cls))


# HermiT runs for a few seconds at most, so the JVM's optimising compiler never pays for itself:
# measured on the corpus graph on a loaded 2-core machine, C1 only (TieredStopAtLevel=1) took HermiT
# from 8.5-9.3 s to 2.1-3.5 s. owlready2 builds the java command line itself, so the flags go in
# through JAVA_TOOL_OPTIONS, which every JVM reads.
_JVM_FLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@contextmanager
def _quick_jvm() -> Iterator[None]:
    old = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = f"{old} {_JVM_FLAGS}" if old else _JVM_FLAGS
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("JAVA_TOOL_OPTIONS", None)
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = old


def run_hermit(onto: Graph, facts: Iterable[tuple[URIRef, URIRef, URIRef]]) -> tuple[bool, Graph]:
    """Run HermiT over the ontology plus `facts`; return (consistent, triples HermiT added).

    owlready2 is given N-Triples, never Turtle: measured with owlready2 0.51, a Turtle file loads
    as almost nothing (2 triples) without an error.

    Raises:
        ReasonError: Java is missing or HermiT failed for a reason other than inconsistency.
    """
    import owlready2

    data = Graph()
    for t in onto:
        data.add(t)
    individuals: set[URIRef] = set()
    for s, p, o in facts:
        data.add((s, p, o))
        individuals.add(s)
        if p != RDF.type:
            individuals.add(o)
    for ind in individuals:
        data.add((ind, RDF.type, _NAMED_INDIVIDUAL))
    world = owlready2.World()
    try:
        onto_iri = next(iter(onto.subjects(RDF.type, OWL.Ontology)), None) or PG
        ontology = world.get_ontology(str(onto_iri)).load(
            fileobj=io.BytesIO(data.serialize(format="nt", encoding="utf-8")), format="ntriples"
        )
        loaded = world.as_rdflib_graph()
        if len(loaded) < len(data) // 2:
            raise ReasonError(f"owlready2 loaded only {len(loaded)} of {len(data)} triples")
        before = set(loaded.triples((None, None, None)))
        try:
            with ontology, _quick_jvm():
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return False, Graph()
        except (OSError, owlready2.OwlReadyError) as exc:  # no java, a HermiT crash
            last = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            raise ReasonError(f"HermiT failed: {last}") from exc
        added = Graph()
        for t in loaded.triples((None, None, None)):
            if t not in before and t[0] in individuals:
                added.add(t)
        return True, added
    finally:
        world.close()


def reason(ds: Dataset | QuadSource, *, onto: Graph | None = None, summarise: bool = True) -> ReasonResult:
    """Classify the document graphs of `ds` with HermiT and return the triples they entail.

    The inferred graph holds: classes from domains and ranges (and every named superclass),
    `locatedIn` chains, and both directions of every relation that has an inverse. It never
    repeats a triple already asserted in a document graph. When the graph is inconsistent the
    conflicts are returned, and inference is rerun without the conflicting entities so that the
    rest of the graph still gets its entailments.

    Args:
        ds: a built dataset (document graphs; the ontology graph is used when `onto` is None): an
            rdflib Dataset or a graph.store.Store, read through the same `quads` method.
        onto: the ontology, when `ds` does not carry it.
        summarise: give HermiT one representative individual per shape (graph.abstraction) when
            the ontology allows it; False gives it every fact (same result, tests compare both).

    Raises:
        ReasonError: HermiT could not run.
    """
    started = time.perf_counter()
    if onto is None:
        onto = ontology_of(ds)
    schema = Schema.from_graph(onto)
    quads = assertions(ds, schema)
    asserted = {(s, p, o) for s, p, o, _ in quads}
    facts = sorted(asserted, key=plain)
    if summarise and (why := outside_profile(onto)) is not None:
        log.info("reasoning over every fact: the ontology has %s", why)
        summarise = False
    consistent, added = _classify(onto, facts, summarise)
    conflicts: list[Conflict] = []
    unexplained = False
    if not consistent:
        conflicts = find_conflicts(quads, schema)
        rest = _without_culprits(facts, conflicts)
        ok_rest, added = _classify(onto, rest, summarise) if conflicts else (False, [])
        if not ok_rest:
            unexplained = True
            added = []
            log.warning("graph inconsistent and the direct checks do not isolate why; no inferences kept")
        facts = rest
    # A triple a document states (in any form the reasoner input left out) is not an inference. Every
    # inferred triple is a class of an entity or a relation between entities, so `asserted` (all
    # such triples of the document graphs) is the whole of what could repeat.
    inferred = _complete(facts, added, schema) - asserted
    individuals = {s for s, _, _ in facts} | {o for _, p, o in facts if p != RDF.type}
    result = ReasonResult(
        consistent=consistent,
        inferred=inferred,
        conflicts=conflicts,
        unexplained=unexplained,
        seconds=time.perf_counter() - started,
        individuals=len(individuals),
        asserted_triples=len(facts),
    )
    log.info("reasoned over %d facts (%d individuals) in %.2f s: %s, %d inferred triples",
             len(facts), len(individuals), result.seconds, "consistent" if consistent else "INCONSISTENT",
             len(inferred))
    return result


def _classify(onto: Graph, facts: list[Triple], summarise: bool) -> tuple[bool, list[tuple[Node, Node, Node]]]:
    """HermiT's verdict and additions for `facts`: run on their summary, or on them all.

    From a summary only the classes come back (copied to every member of a shape); the relation
    entailments are left to `_complete`, which derives them from the facts either way.
    """
    if not summarise:
        consistent, added = run_hermit(onto, facts)
        return consistent, list(added)
    summary = summarise_facts(facts, str(GRAPH["reasoner/"]))
    consistent, added = run_hermit(onto, summary.facts)
    log.info("HermiT classified %d shapes standing for %d individuals", len(summary.members),
             sum(map(len, summary.members.values())))
    return consistent, summary.classes(added) if consistent else []


def _without_culprits(facts: list[tuple[URIRef, URIRef, URIRef]],
                      conflicts: list[Conflict]) -> list[tuple[URIRef, URIRef, URIRef]]:
    """The facts minus those that cause the conflicts, so the rest of the graph can still be reasoned over.

    A class the text gave the entity stays; the facts that drag it into a disjoint class go. An
    entity the texts name as two disjoint classes loses all its facts: no reading can be preferred.
    """
    drop: set[tuple[URIRef, URIRef, URIRef]] = set()
    drop_entities: set[URIRef] = set()
    for c in conflicts:
        named_a = any(x.predicate is None for x in c.causes_a)
        named_b = any(x.predicate is None for x in c.causes_b)
        if named_a and named_b:
            drop_entities.add(c.entity)
            continue
        for side, named in ((c.causes_a, named_a), (c.causes_b, named_b)):
            if not named:
                drop.update(f for f in (x.fact(c.entity) for x in side) if f is not None)
    return [t for t in facts if t not in drop and t[0] not in drop_entities and t[2] not in drop_entities]


def _complete(facts: list[Triple], added: Iterable[tuple[Node, Node, Node]], schema: Schema) -> set[Triple]:
    """Asserted facts plus HermiT's additions, closed under superclasses, inverses and transitivity.

    HermiT reports only the most specific classes, owlready2 stores only some inverse values, and
    a summary (graph.abstraction) yields classes only; the closure makes the inferred graph answer
    `?x a pg:Agent`, `?place pg:contains ?park` and `?park pg:locatedIn ?province` directly,
    without the query needing to know the ontology.
    """
    out: set[Triple] = set()
    relation_props = set(CORE_PREDICATES) | set(schema.inverse)
    chains: dict[URIRef, list[tuple[URIRef, URIRef]]] = defaultdict(list)
    for s, p, o in (*facts, *added):
        if p == RDF.type:
            if o == OWL.Thing or o == _NAMED_INDIVIDUAL or not str(o).startswith(str(PG)):
                continue
            for c in schema.up(o):
                if str(c).startswith(str(PG)):
                    out.add((s, RDF.type, c))
        elif p in relation_props and isinstance(o, URIRef):
            out.add((s, p, o))
            if p in schema.inverse:
                out.add((o, schema.inverse[p], s))
            if p in schema.transitive:
                chains[p].append((s, o))
            elif schema.inverse.get(p) in schema.transitive:
                chains[schema.inverse[p]].append((o, s))
    for p, edges in chains.items():
        back = schema.inverse.get(p)
        for a, c in transitive_closure(edges):
            out.add((a, p, c))
            if back is not None:
                out.add((c, back, a))
    return out


def inferred_ntriples(result: ReasonResult, ds: Dataset | QuadSource) -> bytes:
    """The inferred named graph as sorted N-Triples: the entailed triples plus their PROV-O description.

    The graph says which document graphs it was derived from and the build time of the newest,
    so rebuilding the same input gives the same bytes. Written as text directly: at 3,000
    documents the graph has hundreds of thousands of triples, and building an rdflib graph only
    to serialise it cost more than the reasoning.
    """
    from graph.vocab import META_GRAPH

    g = INFERRED_GRAPH
    about: list[tuple[Node, Node, Node]] = [
        (g, RDF.type, PROV.Entity),
        (g, DCTERMS.description, Literal(
            "Triples entailed by the ontology and the document graphs (HermiT via owlready2): classes from "
            "domains and ranges, superclasses, locatedIn chains and inverse relations.")),
    ]
    stamps = []
    for dg, *_ in sorted(ds.quads((None, RDF.type, PG.DocumentGraph, META_GRAPH)), key=plain):
        about.append((g, PROV.wasDerivedFrom, dg))
        stamps.extend(o for _, _, o, _ in ds.quads((dg, PROV.generatedAtTime, None, META_GRAPH)))
    if stamps:
        about.append((g, PROV.generatedAtTime, max(stamps, key=str)))
    # Every inferred term is an IRI (checked by rdflib and the engine on the way in): no escaping needed.
    lines = [f"<{s}> <{p}> <{o}> .\n" for s, p, o in result.inferred]
    lines += [f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in about]
    lines.sort()
    return "".join(lines).encode("utf-8")
