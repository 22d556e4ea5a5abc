"""graph.shacl_core gives the findings pySHACL gives, on the corpus and on graphs built to trip shapes."""

from __future__ import annotations

import pytest
from fixtures.trip_graphs import TRIP_DIR, dataset, load_spec
from rdflib import Graph

from graph import shacl_core
from graph.paths import SHAPES_FILE
from graph.reason import ontology_of
from graph.store import open_store
from graph.validate import shacl_findings, store_from_dataset

SPECS = sorted(p.stem for p in TRIP_DIR.glob("*.json") if not p.stem.startswith("_"))

# values each check of the shipped shapes must judge as pySHACL does: ill-typed and well-typed
# decimals, a blank node and a word where a currency code belongs, confidences outside 0-1 and a
# string one, malformed and valid dates of each kind, a relation to a subclass instance (a City
# is a Place), to a literal and to an untyped node, and an untyped subject of a relation.
EDGES = """<https://w3id.org/parkgraph/graph/doc/base> {
  pgid:amount-x1 a pg:Amount ; pg:amount "12abc"^^xsd:decimal, "3"^^xsd:decimal ; pg:currency _:c, "usd", "CNY" .
  pgid:amount-x2 a pg:Amount ; pg:amount "7"^^xsd:integer .
  pgid:ev-e1 a pg:Evidence ; pg:confidence "1.5"^^xsd:decimal, "high" ; pg:inSentence pgid:park-k2 .
  pgid:ev-e2 a pg:Evidence ; pg:confidence "-0.1"^^xsd:decimal ; pg:inSentence _:s .
  pgid:policy-p1 a pg:Policy ; rdfs:label "P1"@en ;
      pg:issueDate "2021-13"^^xsd:gYearMonth, "20x1"^^xsd:gYear, "2021"^^xsd:gYear, "2021-02-30"^^xsd:date,
          "2021-02-03"^^xsd:date, "2021" ;
      pg:issuedBy pgid:place-p9, pgid:org-o1, pgid:gov-none ; pg:concerns pgid:place-p9, "somewhere" .
  pgid:place-p9 a pg:City ; rdfs:label "P9" .
  pgid:org-o1 a pg:Enterprise ; rdfs:label "O1" ; pg:launchDate "2020-01"^^xsd:gYearMonth .
  pgid:park-k1 a pg:IndustrialPark ; pg:locatedIn "Beijing", pgid:place-p9 ; pg:hostedIn pgid:park-k2 .
  pgid:park-k2 a pg:IndustrialPark, pg:Organization ; pg:establishedBy pgid:place-p9 .
  pgid:thing-t1 pg:locatedIn pgid:place-p9 ; pg:governs pgid:park-k1 ; pg:affiliatedWith pgid:org-o1 .
  pgid:person-q a pg:Person ; pg:affiliatedWith pgid:park-k1, pgid:place-p9 .
}"""


def _both(store, onto: Graph) -> tuple[list, list]:
    core = shacl_findings(store, onto)
    reference = shacl_findings(store, onto, engine="pyshacl")
    key = lambda f: (f.source, f.focus or "", f.message, f.sentence or "", f.document or "")  # noqa: E731
    return sorted(set(core), key=key), sorted(set(reference), key=key)


def test_the_shipped_shapes_are_within_what_it_covers():
    shapes = shacl_core.compile_shapes(Graph().parse(SHAPES_FILE, format="turtle"))
    assert len(shapes) == 13
    with pytest.raises(shacl_core.Unsupported, match="nodeKind"):
        shacl_core.compile_shapes(Graph().parse(data="""
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            <urn:s> sh:targetClass <urn:C> ; sh:property [ sh:path <urn:p> ; sh:nodeKind sh:IRI ] .""",
            format="turtle"))


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("part", ["bad", "good"])
def test_same_findings_as_pyshacl_on_trip_graphs(name, part):
    ds = dataset(load_spec(name)[part])
    core, reference = _both(store_from_dataset(ds), ontology_of(ds))
    assert core == reference


def test_same_findings_as_pyshacl_on_edge_values():
    ds = dataset({"base": True, "add": EDGES})
    core, reference = _both(store_from_dataset(ds), ontology_of(ds))
    assert len(reference) >= 15  # the graph trips many checks: the comparison is not vacuous
    assert core == reference


def test_same_findings_as_pyshacl_on_the_corpus(corpus_build):
    store = open_store(corpus_build.out_dir)
    core, reference = _both(store, ontology_of(store))
    assert core == reference
