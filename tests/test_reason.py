"""Reasoning: HermiT's entailments land in the inferred graph, and a contradiction planted in a
document is reported with that document's sentence."""

from __future__ import annotations

import time

import pytest
from fixtures.trip_graphs import dataset, entity_iris, load_spec
from rdflib import URIRef

from graph.reason import DOC_GRAPH_PREFIX, reason
from graph.validate import format_finding, validate
from graph.vocab import INFERRED_GRAPH, PG, RDF

PLANTED_TEXT = "Borealis Tech Co. is located in the Lanshan Robotics Park.\n"


def _planted(text: str, relation: dict, entities: list[dict]) -> dict:
    """The clean base graph plus one document whose extraction contradicts it."""
    return {"base": True, "documents": [{"name": "planted.txt", "text": text, "entities": entities,
                                         "relations": [relation]}]}


FIRM = {"id": "firm", "class": "Enterprise", "name": "Borealis Tech Co."}
PARK = {"id": "park", "class": "IndustrialPark", "name": "Lanshan Robotics Park"}


@pytest.fixture(scope="module")
def base_result():
    part = {"base": True, "add": (
        "<https://w3id.org/parkgraph/graph/doc/base> { <https://w3id.org/parkgraph/id/park/lanshan-robotics-park> "
        "pg:locatedIn <https://w3id.org/parkgraph/id/place/untyped-town> . }")}
    return reason(dataset(part)), entity_iris(part)


def test_transitive_and_inverse_and_superclass_inferences(base_result) -> None:
    result, iris = base_result
    assert result.consistent
    g = result.inferred
    park, district, city = iris["park"], iris["district"], iris["city"]
    assert (park, PG.locatedIn, city) in g, "locatedIn chain park -> district -> city not followed"
    assert (city, PG.contains, park) in g and (district, PG.contains, park) in g
    assert (iris["gov"], PG.issued, iris["plan"]) in g
    assert (park, PG.hosts, iris["firm"]) in g
    assert (iris["person"], RDF.type, PG.Agent) in g
    town = URIRef("https://w3id.org/parkgraph/id/place/untyped-town")
    assert (town, RDF.type, PG.Place) in g, "range of locatedIn did not type the untyped object"


def test_inferred_triples_never_repeat_asserted_ones(base_result) -> None:
    result, iris = base_result
    assert (iris["park"], PG.locatedIn, iris["district"]) not in result.inferred
    assert (iris["park"], RDF.type, PG.IndustrialPark) not in result.inferred


def test_planted_contradiction_is_explained_with_its_sentence() -> None:
    part = _planted(PLANTED_TEXT, {"s": "firm", "p": "locatedIn", "o": "park"}, [FIRM, PARK])
    ds = dataset(part)
    result = reason(ds)
    assert not result.consistent
    park = entity_iris(part)["park"]
    assert [c.entity for c in result.conflicts] == [park]
    assert {result.conflicts[0].class_a, result.conflicts[0].class_b} == {PG.IndustrialPark, PG.Place}
    # the rest of the graph still gets its entailments
    assert (entity_iris(part)["gov"], PG.issued, entity_iris(part)["plan"]) in result.inferred
    report = validate(ds, reasoning=result, run_reasoner=False)
    found = [f for f in report.findings if f.source == "reason:disjoint"]
    assert len(found) == 1, "\n".join(map(format_finding, report.findings))
    assert found[0].sentence == PLANTED_TEXT.strip()
    assert found[0].document == "planted.txt"
    assert "place" in found[0].message and "industrial park" in found[0].message
    assert not report.ok


def test_one_name_as_person_and_place_is_reported() -> None:
    spec = load_spec("disjoint-classes")
    ds = dataset(spec["bad"])
    report = validate(ds)
    person = str(entity_iris(spec["bad"])["person"])
    found = [f for f in report.findings if f.source == "reason:disjoint" and f.focus == person]
    assert found and "Mei Lin" in found[0].sentence and found[0].document == "base.txt"
    assert report.reasoning is not None and not report.reasoning.consistent


def test_clean_twin_is_consistent() -> None:
    part = _planted(PLANTED_TEXT, {"s": "firm", "p": "hostedIn", "o": "park"}, [FIRM, PARK])
    result = reason(dataset(part))
    assert result.consistent and result.conflicts == []


def test_corpus_reasoning_is_fast_and_consistent(corpus_build) -> None:
    started = time.perf_counter()
    result = reason(corpus_build.dataset)
    elapsed = time.perf_counter() - started
    assert result.consistent, [str(c.entity) for c in result.conflicts]
    assert elapsed < 10, f"reasoning on the bundled corpus took {elapsed:.1f} s"
    assert result.individuals > 50


def test_build_stores_inferred_graph_outside_document_graphs_and_graph_trig(corpus_build) -> None:
    """The inferred graph is queryable in the build's store, but graph.trig keeps only what the texts say."""
    from rdflib import Graph

    from graph.store import open_store

    ds = corpus_build.dataset  # parsed from graph.trig
    assert len(ds.graph(INFERRED_GRAPH)) == 0, "graph.trig must not carry the derived inferred graph"
    store = open_store(corpus_build.out_dir)
    rows = store.query("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", bindings={"g": INFERRED_GRAPH}).rows
    inferred = Graph()
    for r in rows:
        inferred.add((r["s"], r["p"], r["o"]))
    assert len(inferred) > 0, "the build did not store the inferred graph in DIR/store"
    doc_triples = set()
    for s, p, o, g in ds.quads((None, None, None, None)):
        if str(g).startswith(DOC_GRAPH_PREFIX):
            doc_triples.add((s, p, o))
    entailed = {t for t in inferred if t[0] != INFERRED_GRAPH}
    assert entailed and not (entailed & doc_triples), "an inferred triple repeats a document's assertion"
    fresh = reason(ds).inferred
    assert entailed == set(fresh), "the stored inferred graph differs from reasoning over the documents"


def test_summary_gives_hermit_the_same_answers_as_every_fact(corpus_build) -> None:
    """graph.abstraction is exact for this ontology: the same inferred graph, consistency and conflicts."""
    summary, full = reason(corpus_build.dataset), reason(corpus_build.dataset, summarise=False)
    assert summary.consistent and full.consistent
    assert summary.inferred == full.inferred
    part = _planted(PLANTED_TEXT, {"s": "firm", "p": "locatedIn", "o": "park"}, [FIRM, PARK])
    summary, full = reason(dataset(part)), reason(dataset(part), summarise=False)
    assert not summary.consistent and not full.consistent
    assert summary.conflicts == full.conflicts and summary.inferred == full.inferred


def test_ontology_outside_the_summary_profile_is_named() -> None:
    from rdflib import Graph

    from graph.abstraction import outside_profile
    from graph.build import ontology_graph
    from graph.vocab import OWL

    onto = ontology_graph()
    assert outside_profile(onto) is None
    onto.add((PG.hostedIn, RDF.type, OWL.FunctionalProperty))
    assert "FunctionalProperty" in (outside_profile(onto) or "")
    restricted = Graph()
    restricted.parse(data="""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix pg: <https://w3id.org/parkgraph/ontology#> .
        pg:IndustrialPark rdfs:subClassOf [ a owl:Restriction ; owl:onProperty pg:locatedIn ;
            owl:someValuesFrom pg:Place ] .""", format="turtle")
    assert outside_profile(restricted) is not None
