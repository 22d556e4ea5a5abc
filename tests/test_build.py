"""Extract and build goldens per corpus document, and provenance of the facts in a corpus build.

Each stage is checked from the stored output of the stage before it (graphrag's habit): the build
golden is produced from the *stored* extraction golden, so a change in the extractor fails only the
extract golden, and a change in RDF building fails only the build golden.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CORPUS_FILES, FIXED_TIME, GOLDEN_DIR
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from graph.ingest import ingest_file
from graph.iris import document_graph_iri, document_iri
from graph.model import Amount, Entity, Extraction, Mention, Relation, Sentence
from graph.vocab import DOC, GRAPH, META_GRAPH, PG, EntityClass, PlaceKind, Predicate, bind_prefixes

IDS = [p.stem for p in CORPUS_FILES]
CORE_PREDICATES = {p.iri for p in Predicate}
# A document graph holds only what was read from its document: no links, no inferred or analysis terms.
DOC_GRAPH_NAMESPACES = (str(PG), str(RDF), str(RDFS), str(SKOS), str(PROV), str(DCTERMS))


def _plain(value: object) -> object:
    """JSON-friendly form of a model field value (enums by value, sets sorted, Decimals as text)."""
    if isinstance(value, (EntityClass, PlaceKind, Predicate)):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def extraction_to_json(ex: Extraction) -> dict:
    """The extract stage's output as stable JSON (entities by key; relations and amounts in text order)."""
    return {
        "doc_id": ex.document.doc_id,
        "sha256": ex.document.sha256,
        "entities": {key: _plain(ex.entities[key]) for key in sorted(ex.entities)},
        "relations": sorted((_plain(r) for r in ex.relations), key=lambda r: json.dumps(r, sort_keys=True)),
        "amounts": sorted((_plain(a) for a in ex.amounts), key=lambda a: json.dumps(a, sort_keys=True)),
        "warnings": list(ex.warnings),
    }


def extraction_from_json(data: dict, path: Path) -> Extraction:
    """Rebuild an Extraction from its golden JSON, the document from the corpus file and the stored sentences."""
    doc = ingest_file(path)
    assert doc.sha256 == data["sha256"], f"{path} changed since the extract golden was written"
    stored = json.loads((GOLDEN_DIR / "sentences" / f"{path.stem}.json").read_text(encoding="utf-8"))
    entities = {}
    for key, e in data["entities"].items():
        fields = dict(e)
        fields["cls"] = EntityClass(e["cls"])
        fields["kind"] = PlaceKind(e["kind"]) if e.get("kind") else None
        fields["aliases"] = set(e["aliases"])
        fields["mentions"] = [Mention(**m) for m in e["mentions"]]
        entities[key] = Entity(**fields)
    relations = [Relation(**{**r, "predicate": Predicate(r["predicate"])}) for r in data["relations"]]
    amounts = [Amount(**{**a, "value": Decimal(a["value"])}) for a in data["amounts"]]
    return Extraction(
        document=doc,
        sentences=[Sentence(**s) for s in stored],
        entities=entities,
        relations=relations,
        amounts=amounts,
        warnings=list(data["warnings"]),
    )


def document_dataset(ex: Extraction) -> Dataset:
    """What the pipeline writes for one document: its named graph and its entries in the meta graph."""
    from graph.build import document_triples, meta_triples

    ds = Dataset()
    bind_prefixes(ds)
    doc_graph = ds.graph(document_graph_iri(ex.document.doc_id))
    for t in document_triples(ex):
        doc_graph.add(t)
    meta = ds.graph(META_GRAPH)
    for t in meta_triples(ex, FIXED_TIME):
        if t[1] != PG.extractorVersion:  # the version string changes with every release, not with the data
            meta.add(t)
    return ds


@pytest.mark.parametrize("path", CORPUS_FILES, ids=IDS)
def test_extract_golden(path: Path, goldens) -> None:
    from graph.extract import extract

    ex = extract(ingest_file(path))
    data = extraction_to_json(ex)
    # Round trip: the golden must hold everything build needs, or the build golden would test less.
    if not goldens.update:
        assert extraction_to_json(extraction_from_json(json.loads(json.dumps(data)), path)) == data
    goldens.check_json("extract", f"{path.stem}.json", data)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=IDS)
def test_build_golden_from_stored_extraction(path: Path, goldens) -> None:
    stored = GOLDEN_DIR / "extract" / f"{path.stem}.json"
    if not stored.exists():
        pytest.fail(f"no golden file {stored}; run `pytest --update-goldens` and review it")
    ex = extraction_from_json(json.loads(stored.read_text(encoding="utf-8")), path)
    goldens.check_dataset("build", f"{path.stem}.trig", document_dataset(ex))


# Provenance, on the real corpus build -------------------------------------------------------------


def _doc_graphs(ds: Dataset) -> dict[str, object]:
    prefix = str(GRAPH["doc/"])
    return {str(g.identifier)[len(prefix):]: g for g in ds.graphs() if str(g.identifier).startswith(prefix)}


def _texts(corpus_build) -> dict[str, str]:
    """Document text by doc id, re-read from the files the build names (pg:fileName)."""
    out = {}
    for path in CORPUS_FILES:
        doc = ingest_file(path)
        out[doc.doc_id] = doc.text
    assert set(out) == set(_doc_graphs(corpus_build.dataset)), "every corpus file has one document graph"
    return out


def test_every_fact_has_evidence_that_points_into_its_sentence(corpus_build) -> None:
    texts = _texts(corpus_build)
    checked = 0
    for doc_id, g in _doc_graphs(corpus_build.dataset).items():
        text, doc = texts[doc_id], document_iri(doc_id)
        facts = {(s, p, o) for s, p, o in g if p in CORE_PREDICATES}
        for s, p, o in facts:
            evidence = set(g.subjects(RDF.subject, s)) & set(g.subjects(RDF.object, o))
            evidence &= set(g.subjects(RDF.predicate, p))
            assert evidence, f"{doc_id}: fact {s} {p} {o} has no evidence node"
        for ev in g.subjects(RDF.type, PG.Evidence):
            assert (g.value(ev, RDF.subject), g.value(ev, RDF.predicate), g.value(ev, RDF.object)) in facts
            assert g.value(ev, PROV.wasDerivedFrom) == doc
            sent = g.value(ev, PG.inSentence)
            s_start, s_end = g.value(sent, PG.startOffset).toPython(), g.value(sent, PG.endOffset).toPython()
            assert str(g.value(sent, PG.text)) == text[s_start:s_end], f"{sent}: text is not the document's"
            assert g.value(sent, PG.inDocument) == doc
            e_start, e_end = g.value(ev, PG.startOffset).toPython(), g.value(ev, PG.endOffset).toPython()
            assert s_start <= e_start < e_end <= s_end, f"{ev}: offsets {e_start}-{e_end} outside its sentence"
            confidence = g.value(ev, PG.confidence)
            assert confidence.datatype == XSD.decimal and 0 <= confidence.toPython() <= 1
            assert g.value(ev, PG.rule) is not None
            checked += 1
    assert checked >= len(texts), f"only {checked} evidence nodes in the whole corpus: is extraction working?"


def test_mentions_are_the_text_at_their_offsets(corpus_build) -> None:
    texts = _texts(corpus_build)
    for doc_id, g in _doc_graphs(corpus_build.dataset).items():
        mentions = list(g.subjects(RDF.type, PG.Mention))
        assert mentions, f"{doc_id}: no mentions"
        for m in mentions:
            start, end = g.value(m, PG.startOffset).toPython(), g.value(m, PG.endOffset).toPython()
            assert str(g.value(m, PG.surfaceForm)) == texts[doc_id][start:end]
            sent = g.value(m, PG.inSentence)
            assert g.value(sent, PG.startOffset).toPython() <= start < end <= g.value(sent, PG.endOffset).toPython()
            entity = g.value(m, PG.mentionOf)
            assert (entity, PG.mentionedIn, document_iri(doc_id)) in g


def test_document_graphs_are_described_with_prov_in_the_meta_graph(corpus_build) -> None:
    ds = corpus_build.dataset
    meta = ds.graph(META_GRAPH)
    texts = _texts(corpus_build)
    for doc_id in _doc_graphs(ds):
        dg = document_graph_iri(doc_id)
        assert (dg, RDF.type, PG.DocumentGraph) in meta
        assert meta.value(dg, PROV.wasDerivedFrom) == document_iri(doc_id)
        stamp = meta.value(dg, PROV.generatedAtTime)
        assert isinstance(stamp, Literal) and stamp.datatype == XSD.dateTime and stamp.toPython() == FIXED_TIME
        assert meta.value(dg, PG.extractorVersion) is not None
        import hashlib

        expected = hashlib.sha256(texts[doc_id].encode("utf-8")).hexdigest()
        assert str(meta.value(dg, PG.contentHash)) == expected
        assert str(ds.graph(dg).value(document_iri(doc_id), PG.contentHash)) == expected


def test_nothing_in_a_document_graph_comes_from_another_document(corpus_build) -> None:
    for doc_id, g in _doc_graphs(corpus_build.dataset).items():
        doc = document_iri(doc_id)
        own = str(DOC[f"{doc_id}/"])
        assert set(g.subjects(RDF.type, PG.SourceDocument)) == {doc}
        for link in (PG.mentionedIn, PG.inDocument, PROV.wasDerivedFrom):
            assert set(g.objects(None, link)) <= {doc}, f"{doc_id}: {link} points at another document"
        for s, p, o in g:
            assert str(p).startswith(DOC_GRAPH_NAMESPACES), f"{doc_id}: foreign predicate {p}"
            for node in (s, o):
                if isinstance(node, URIRef) and str(node).startswith(str(DOC)) and node != doc:
                    assert str(node).startswith(own), f"{doc_id}: node {node} belongs to another document"
