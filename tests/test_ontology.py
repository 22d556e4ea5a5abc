"""The ontology: loadable by owlready2, described, covering graph.vocab, and consistent with the corpus under HermiT."""

from __future__ import annotations

import io
import itertools

import owlready2
import pytest
from rdflib import Graph, URIRef

from graph.paths import ONTOLOGY_FILE
from graph.reason import Schema, assertions, run_hermit
from graph.vocab import DCTERMS, OWL, PG, RDF, EntityClass, PlaceKind, Predicate


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def test_owlready2_loads_every_triple_from_ntriples(onto: Graph) -> None:
    """owlready2 0.51 reads a Turtle file as almost nothing without an error, so it gets N-Triples."""
    world = owlready2.World()
    try:
        data = onto.serialize(format="nt", encoding="utf-8")
        world.get_ontology("https://w3id.org/parkgraph/ontology").load(fileobj=io.BytesIO(data), format="ntriples")
        loaded = len(world.as_rdflib_graph())
        assert loaded >= len(onto) * 0.95, f"owlready2 loaded {loaded} of {len(onto)} triples"
        names = {c.name for c in world.classes()}
        assert {c.value for c in EntityClass} <= names
    finally:
        world.close()


def test_ontology_metadata(onto: Graph) -> None:
    ont = next(onto.subjects(RDF.type, OWL.Ontology))
    assert onto.value(ont, DCTERMS.title), "no dcterms:title"
    assert onto.value(ont, OWL.versionInfo), "no owl:versionInfo"
    assert onto.value(ont, DCTERMS.license), "no dcterms:license"


@pytest.mark.parametrize("name", [c.value for c in EntityClass] + [k.value for k in PlaceKind])
def test_vocab_class_declared(onto: Graph, name: str) -> None:
    assert (PG[name], RDF.type, OWL.Class) in onto


@pytest.mark.parametrize("name", [p.value for p in Predicate])
def test_vocab_property_declared(onto: Graph, name: str) -> None:
    assert (PG[name], RDF.type, OWL.ObjectProperty) in onto


def test_core_classes_pairwise_disjoint(onto: Graph) -> None:
    schema = Schema.from_graph(onto)
    for a, b in itertools.combinations([c.iri for c in EntityClass], 2):
        assert frozenset((a, b)) in schema.disjoint, f"{a} and {b} are not declared disjoint"


def test_located_in_is_transitive_with_inverse(onto: Graph) -> None:
    assert (PG.locatedIn, RDF.type, OWL.TransitiveProperty) in onto
    assert Schema.from_graph(onto).inverse[PG.locatedIn] == PG.contains


def test_ontology_alone_is_consistent(onto: Graph) -> None:
    consistent, _ = run_hermit(onto, [])
    assert consistent


def test_ontology_with_corpus_graph_is_consistent(onto: Graph, corpus_build) -> None:
    """Entities, their classes and the core relations of the built corpus (evidence, mention and
    sentence nodes left out: they cannot contradict and only slow HermiT)."""
    quads = assertions(corpus_build.dataset, Schema.from_graph(onto))
    facts = {(s, p, o) for s, p, o, _ in quads}
    assert sum(1 for _, p, _ in facts if p != RDF.type) > 0, "the corpus graph has no relations"
    consistent, added = run_hermit(onto, facts)
    assert consistent
    assert any(isinstance(o, URIRef) for _, _, o in added)
