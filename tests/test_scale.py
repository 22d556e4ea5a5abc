"""Scale paths give the same results as the plain ones: N-Quads written directly, the store read
directly by linking and validation, the in-memory build store, the on-disk store filled from a thread."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import CORPUS_FILES, FIXED_TIME
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SH

from graph.build import document_statements, document_triples, meta_statements, meta_triples, nquad_lines
from graph.extract import extract
from graph.ingest import ingest_file
from graph.iris import document_graph_iri
from graph.model import Amount, Document, Entity, Extraction, Mention, Relation, Sentence
from graph.paths import SHAPES_FILE
from graph.store import Store, StoreError, open_store
from graph.vocab import INFERRED_GRAPH, META_GRAPH, EntityClass, Predicate


def _rdflib_lines(g: Graph, graph: URIRef) -> set[str]:
    """What the pipeline wrote before it wrote N-Quads itself: rdflib's N-Triples, placed in `graph`."""
    suffix = f" <{graph}> .\n"
    return {line[:-2].rstrip() + suffix for line in g.serialize(format="nt").splitlines() if line.endswith(" .")}


def _awkward_extraction() -> Extraction:
    """Literals rdflib escapes or normalises: quotes, backslashes, tabs, non-ASCII, decimals, dates."""
    text = 'He said "Park\\A"\tnow. It cost 1E+3 yuan; Zhōngguāncūn.'
    doc = Document(doc_id="awkward", name="awkward.txt", path="/x/awkward.txt", text=text,
                   sha256="0" * 64, source='src "quoted"', title="A\\B")
    park = Entity(key="park a", cls=EntityClass.PARK, name='Park "A"', aliases={"Zhōngguāncūn\\Park"},
                  mentions=[Mention(text='"Park\\A"', start=8, end=17, sentence=0)],
                  attrs={"launchDate": "2019-07", "issueDate": "2020-13-40", "note": "x\ty"})
    place = Entity(key="beijing", cls=EntityClass.PLACE, name="Beijing",
                   mentions=[Mention(text="Zhōngguāncūn", start=40, end=52, sentence=1)])
    return Extraction(
        document=doc,
        sentences=[Sentence(0, 0, 23, text[:23]), Sentence(1, 24, len(text), text[24:])],
        entities={"a": park, "b": place},
        relations=[Relation("a", Predicate.LOCATED_IN, "b", 0, 0, 23, 0.9, 'rule "q"', role="r\\1")],
        amounts=[Amount("a", Decimal("1E+3"), "yuan", "1E+3 yuan", 1, 32, 41, currency="CNY")],
    )


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_nquads_are_what_rdflib_serialises(path: Path) -> None:
    ex = extract(ingest_file(path))
    g = document_graph_iri(ex.document.doc_id)
    assert nquad_lines(document_statements(ex), g) == _rdflib_lines(document_triples(ex), g)
    stamp = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert nquad_lines(meta_statements(ex, stamp), META_GRAPH) == _rdflib_lines(meta_triples(ex, stamp), META_GRAPH)


def test_nquads_escape_and_normalise_literals_like_rdflib() -> None:
    ex = _awkward_extraction()
    g = document_graph_iri("awkward")
    lines = nquad_lines(document_statements(ex), g)
    assert lines == _rdflib_lines(document_triples(ex), g)
    assert any('"1000"^^<http://www.w3.org/2001/XMLSchema#decimal>' in line for line in lines)
    ox.parse("".join(sorted(lines)).encode(), format=ox.RdfFormat.N_QUADS)  # and it is valid N-Quads


def _store_of(ds: Dataset) -> Store:
    from graph.validate import store_from_dataset

    return store_from_dataset(ds)


def test_store_quads_match_dataset_quads(corpus_build) -> None:
    ds = corpus_build.dataset
    store = _store_of(ds)
    from graph.vocab import PG, RDF

    for pattern in [(None, RDF.type, PG.Sentence, None), (None, PG.locatedIn, None, None),
                    (None, None, None, META_GRAPH)]:
        assert set(store.quads(pattern)) == set(ds.quads(pattern)), pattern


def test_linking_reads_a_store_as_it_reads_a_dataset(corpus_build) -> None:
    from graph.link import link_dataset
    from graph.link.places import collect_entities

    ds = corpus_build.dataset
    store = _store_of(ds)
    assert collect_entities(store) == collect_entities(ds)
    from_ds, report_ds = link_dataset(ds, generated_at=FIXED_TIME)
    from_store, report_store = link_dataset(store, generated_at=FIXED_TIME)
    assert set(from_ds) == set(from_store)
    assert report_ds.lines(detail=50) == report_store.lines(detail=50)


def test_shacl_on_the_restricted_data_finds_what_the_full_data_finds(corpus_build) -> None:
    from graph.reason import ontology_of
    from graph.validate import data_graph, shacl_findings

    store = _store_of(corpus_build.dataset)
    onto = ontology_of(store)
    full, _ = data_graph(store)
    assert shacl_findings(store, onto) == shacl_findings(full, onto)


def test_shape_predicates_give_up_on_closed_and_sparql_shapes() -> None:
    from graph.validate import shape_predicates

    shapes = Graph().parse(SHAPES_FILE)
    preds = shape_predicates(shapes)
    assert preds is not None and URIRef("https://w3id.org/parkgraph/ontology#locatedIn") in preds
    closed = Graph().parse(SHAPES_FILE)
    closed.add((URIRef("https://w3id.org/parkgraph/shapes#LabelShape"), SH.closed, URIRef("urn:true")))
    assert shape_predicates(closed) is None


def test_load_graphs_fills_the_merged_view_and_refuses_unnamed_graphs() -> None:
    store = Store(ox.Store(), location="(memory)")
    data = (b'<http://a> <http://p> "x" <http://g1> .\n<http://a> <http://p> "x" <http://g2> .\n'
            b'<http://b> <http://p> <http://a> <http://g2> .\n')
    store.load_graphs(data, ["http://g1", "http://g2"])
    assert len(store) == 3
    assert len(store.query("SELECT * WHERE { ?s ?p ?o }").rows) == 2  # the merged view holds each triple once
    with pytest.raises(StoreError):
        store.load_graphs(b'<http://a> <http://p> "y" <http://g3> .\n', ["http://g1"])
    with pytest.raises(StoreError):
        store.load_graphs(data, ["http://g1", "http://g2", str(INFERRED_GRAPH)])
    assert len(store) == 3


def test_build_store_holds_graph_trig_plus_inferred(corpus_build) -> None:
    """The on-disk store (filled from a thread) holds what graph.trig holds, plus the inferred graph."""
    from graph.store import is_current

    out = corpus_build.out_dir
    assert is_current(out)
    store = open_store(out)
    try:
        in_store = {q for q in ox.parse(store.export(), format=ox.RdfFormat.N_QUADS)
                    if q.graph_name != ox.NamedNode(str(INFERRED_GRAPH))}
        assert store.graphs() >= {str(INFERRED_GRAPH)}
    finally:
        store.close()
    in_file = set(ox.parse(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG))
    strip = {q for q in in_file if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}
    assert strip == {q for q in in_store if not isinstance(q.subject, ox.BlankNode)
                     and not isinstance(q.object, ox.BlankNode)}
    assert len(in_file) == len(in_store)
