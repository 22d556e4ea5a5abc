"""Summarise the facts HermiT must classify: one representative individual per distinct "shape".

Why: HermiT's time and owlready2's memory grow with every individual, and a 3,000-document build
has about 40,000 entities and 340,000 triples HermiT would add back (most of them `locatedIn`
chains). The ontology, though, says little that crosses from one individual to another: subclasses,
domains and ranges, inverses, one transitive property and disjointness. Under such an ontology the
classes an individual belongs to depend only on its asserted classes and on which properties it
has as subject and as object, never on who is at the other end. So every individual with the same
(asserted classes, outgoing properties, incoming properties) gets the same classes, and one
representative per shape, linked to a fresh neighbour per property and direction, tells HermiT
everything it needs: the classes of each shape, and whether any shape falls into two disjoint
classes (the graph is consistent exactly when none does, since a neighbour's classes come from the
same domains and ranges). The relation entailments (inverses, transitive chains) follow from the
facts themselves and are computed directly.

This is the abstraction of Glimm et al., "Abstraction Refinement for Scalable Type Reasoning in
Ontology-Based Data Repositories" (2017), in the case where no refinement is needed. An ontology
with anything else (restrictions, property chains, functional or symmetric properties, sub-
properties, equivalences, individuals) is outside that case: `outside_profile` names the first
such axiom and the caller reasons over the full facts instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.term import Node

from graph.vocab import OWL, RDF, RDFS

__all__ = ["Summary", "outside_profile", "plain", "summarise", "transitive_closure"]

Triple = tuple[URIRef, URIRef, URIRef]

# Axioms the summary is exact for (anything in the RDF, RDFS and OWL namespaces not listed here
# sends the caller to the full facts); annotation properties from other vocabularies are ignored.
_STRUCTURE = {RDF.type, RDF.first, RDF.rest, RDFS.subClassOf, RDFS.domain, RDFS.range, OWL.inverseOf,
              OWL.disjointWith, OWL.members}
_ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo,
                OWL.versionIRI, OWL.priorVersion, OWL.deprecated}
_DECLARATIONS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                 OWL.Ontology, OWL.AllDisjointClasses, OWL.TransitiveProperty, RDFS.Class, RDF.Property}
_NAMED_OBJECT = {RDFS.subClassOf, RDFS.domain, RDFS.range, OWL.inverseOf, OWL.disjointWith}
_AXIOM_SPACES = (str(RDF), str(RDFS), str(OWL))


def plain(terms: tuple[Node, ...]) -> tuple[str, ...]:
    """A sort key of plain strings: sorting rdflib terms directly goes through their Python-level
    comparison methods, which made sorting 120,000 quads take 6 s."""
    return tuple(map(str.__str__, terms))


def outside_profile(onto: Graph) -> str | None:
    """The first axiom of `onto` the summary is not exact for, as text; None when it is exact.

    Examples:
        An ontology with `pg:hostedIn a owl:FunctionalProperty` returns a message naming that
        triple, because two parks hosting one firm would then make them the same individual.
    """
    for s, p, o in sorted(onto):
        if str(p).startswith(_AXIOM_SPACES) and p not in _STRUCTURE and p not in _ANNOTATIONS:
            return f"{s.n3()} {p.n3()} {o.n3()}"
        if p == RDF.type and str(o).startswith(_AXIOM_SPACES) and o not in _DECLARATIONS:
            return f"{s.n3()} {p.n3()} {o.n3()}"
        if p in _NAMED_OBJECT and not (isinstance(s, URIRef) and isinstance(o, URIRef)):
            return f"{s.n3()} {p.n3()} {o.n3()} (a class expression, not a named class)"
    return None


@dataclass
class Summary:
    """The facts HermiT sees (`facts`) and, for each representative, the individuals of its shape."""

    facts: list[Triple]
    members: dict[URIRef, list[URIRef]]

    def classes(self, added: Iterable[tuple[Node, Node, Node]]) -> list[Triple]:
        """HermiT's class assertions for representatives, copied to every individual of their shape."""
        out: list[Triple] = []
        for s, p, o in added:
            if p == RDF.type and isinstance(o, URIRef):
                out.extend((ind, RDF.type, o) for ind in self.members.get(s, ()))
        return out


def summarise(facts: Iterable[Triple], base: str) -> Summary:
    """One representative per (classes, outgoing properties, incoming properties) shape.

    Representatives and their neighbours are IRIs under `base` (numbered in sorted shape order, so
    the same facts give the same summary); they never leave the reasoner.
    """
    classes: dict[URIRef, set[URIRef]] = defaultdict(set)
    out_props: dict[URIRef, set[URIRef]] = defaultdict(set)
    in_props: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, p, o in facts:
        if p == RDF.type:
            classes[s].add(o)
        else:
            out_props[s].add(p)
            in_props[o].add(p)
    individuals = set(classes) | set(out_props) | set(in_props)
    shapes: dict[tuple, list[URIRef]] = defaultdict(list)
    for ind in sorted(individuals, key=str.__str__):
        key = (plain(sorted(classes.get(ind, ()), key=str.__str__)),
               plain(sorted(out_props.get(ind, ()), key=str.__str__)),
               plain(sorted(in_props.get(ind, ()), key=str.__str__)))
        shapes[key].append(ind)
    summary_facts: list[Triple] = []
    members: dict[URIRef, list[URIRef]] = {}
    for n, key in enumerate(sorted(shapes)):
        rep = URIRef(f"{base}shape/{n}")
        cls, outs, ins = key
        summary_facts.extend((rep, RDF.type, URIRef(c)) for c in cls)
        for i, p in enumerate(outs):
            summary_facts.append((rep, URIRef(p), URIRef(f"{base}shape/{n}/out/{i}")))
        for i, p in enumerate(ins):
            summary_facts.append((URIRef(f"{base}shape/{n}/in/{i}"), URIRef(p), rep))
        members[rep] = shapes[key]
    return Summary(summary_facts, members)


def transitive_closure(edges: Iterable[tuple[URIRef, URIRef]]) -> set[tuple[URIRef, URIRef]]:
    """Every (a, c) with a path of one or more edges from a to c (a itself only on a cycle).

    A breadth-first walk from each node; place hierarchies are shallow, so this is close to linear
    in the size of the closure it returns.
    """
    succ: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    closure: set[tuple[URIRef, URIRef]] = set()
    for start in succ:
        seen: set[URIRef] = set()
        todo = list(succ[start])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(succ.get(node, ()))
        closure.update((start, node) for node in seen)
    return closure
