"""Build RDF: turn resolved extractions into named graphs with provenance.

Why one named graph per document: a document's facts can be replaced or removed as a unit
(incremental builds), and every triple's origin is the graph it sits in. Inferred facts, external
links and analysis results live in graphs of their own (see graph.vocab), never in a document's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from rdflib import Dataset, Graph, Literal, URIRef

from graph import __version__
from graph.iris import (
    amount_iri,
    document_graph_iri,
    document_iri,
    entity_iri,
    evidence_iri,
    mention_iri,
    sentence_iri,
)
from graph.model import Entity, Extraction
from graph.paths import ONTOLOGY_FILE
from graph.vocab import DCTERMS, META_GRAPH, ONTOLOGY_GRAPH, PG, PROV, RDF, RDFS, SKOS, XSD, bind_prefixes

__all__ = ["EXTRACTOR_VERSION", "assemble", "date_literal", "document_triples", "meta_triples", "ontology_graph"]

EXTRACTOR_VERSION = f"parkgraph-rules/{__version__}"


def date_literal(value: str) -> Literal:
    """A typed literal as precise as the text: YYYY -> gYear, YYYY-MM -> gYearMonth, else date."""
    if len(value) == 4:
        return Literal(value, datatype=XSD.gYear)
    if len(value) == 7:
        return Literal(value, datatype=XSD.gYearMonth)
    return Literal(value, datatype=XSD.date)


def iri_of(entity: Entity) -> URIRef:
    return entity_iri(entity.cls, entity.key, entity.scope)


def document_triples(ex: Extraction) -> Graph:
    """All triples extracted from one document: entities, facts, evidence, mentions, sentences.

    Returns a plain Graph; the caller decides which named graph it becomes.
    """
    doc = ex.document
    g = Graph()
    d = document_iri(doc.doc_id)
    g.add((d, RDF.type, PG.SourceDocument))
    g.add((d, PG.fileName, Literal(doc.name)))
    g.add((d, PG.contentHash, Literal(doc.sha256)))
    if doc.title:
        g.add((d, DCTERMS.title, Literal(doc.title)))
    if doc.source:
        g.add((d, DCTERMS.source, Literal(doc.source)))

    used_sentences: set[int] = set()
    iris = {key: iri_of(e) for key, e in ex.entities.items()}
    for key, ent in ex.entities.items():
        e = iris[key]
        g.add((e, RDF.type, ent.cls.iri))
        if ent.kind is not None:
            g.add((e, RDF.type, PG[ent.kind.value]))
        g.add((e, RDFS.label, Literal(ent.name)))
        for alias in ent.labels():
            g.add((e, SKOS.altLabel, Literal(alias)))
        g.add((e, PG.mentionedIn, d))
        for name, value in sorted(ent.attrs.items()):
            if name in ("issueDate", "launchDate"):
                g.add((e, PG[name], date_literal(value)))
            else:
                g.add((e, PG[name], Literal(value)))
        for m in ent.mentions:
            node = mention_iri(doc.doc_id, m.start, m.end)
            g.add((node, RDF.type, PG.Mention))
            g.add((node, PG.mentionOf, e))
            g.add((node, PG.surfaceForm, Literal(m.text)))
            g.add((node, PG.inSentence, sentence_iri(doc.doc_id, m.sentence)))
            g.add((node, PG.startOffset, Literal(m.start)))
            g.add((node, PG.endOffset, Literal(m.end)))
            used_sentences.add(m.sentence)

    for rel in ex.relations:
        s, o = iris[rel.subject], iris[rel.object]
        p = rel.predicate.iri
        g.add((s, p, o))
        ev = evidence_iri(doc.doc_id, str(s), str(p), str(o), rel.start)
        g.add((ev, RDF.type, PG.Evidence))
        g.add((ev, RDF.subject, s))
        g.add((ev, RDF.predicate, p))
        g.add((ev, RDF.object, o))
        g.add((ev, PG.inSentence, sentence_iri(doc.doc_id, rel.sentence)))
        g.add((ev, PG.startOffset, Literal(rel.start)))
        g.add((ev, PG.endOffset, Literal(rel.end)))
        g.add((ev, PG.confidence, Literal(f"{rel.confidence:.2f}", datatype=XSD.decimal)))
        g.add((ev, PG.rule, Literal(rel.rule)))
        g.add((ev, PROV.wasDerivedFrom, d))
        if rel.role:
            g.add((ev, PG.role, Literal(rel.role)))
        used_sentences.add(rel.sentence)

    for amt in ex.amounts:
        s = iris[amt.subject]
        node = amount_iri(doc.doc_id, str(s), amt.start, amt.end)
        g.add((s, PG.statesAmount, node))
        g.add((node, RDF.type, PG.Amount))
        g.add((node, PG.amount, Literal(str(amt.value), datatype=XSD.decimal)))
        g.add((node, PG.unit, Literal(amt.unit)))
        g.add((node, PG.text, Literal(amt.text)))
        if amt.currency:
            g.add((node, PG.currency, Literal(amt.currency)))
        if amt.qualifier:
            g.add((node, PG.qualifier, Literal(amt.qualifier)))
        g.add((node, PG.inSentence, sentence_iri(doc.doc_id, amt.sentence)))
        g.add((node, PG.startOffset, Literal(amt.start)))
        g.add((node, PG.endOffset, Literal(amt.end)))
        used_sentences.add(amt.sentence)

    for sent in ex.sentences:
        if sent.index not in used_sentences:
            continue
        node = sentence_iri(doc.doc_id, sent.index)
        g.add((node, RDF.type, PG.Sentence))
        g.add((node, PG.text, Literal(sent.text)))
        g.add((node, PG.sentenceIndex, Literal(sent.index)))
        g.add((node, PG.startOffset, Literal(sent.start)))
        g.add((node, PG.endOffset, Literal(sent.end)))
        g.add((node, PG.inDocument, d))
    return g


def meta_triples(ex: Extraction, generated_at: datetime) -> Graph:
    """PROV-O description of a document's named graph (lives in the meta graph)."""
    g = Graph()
    dg = document_graph_iri(ex.document.doc_id)
    g.add((dg, RDF.type, PG.DocumentGraph))
    g.add((dg, RDF.type, PROV.Entity))
    g.add((dg, PROV.wasDerivedFrom, document_iri(ex.document.doc_id)))
    g.add((dg, PROV.generatedAtTime, Literal(_iso(generated_at), datatype=XSD.dateTime)))
    g.add((dg, PG.extractorVersion, Literal(EXTRACTOR_VERSION)))
    g.add((dg, PG.contentHash, Literal(ex.document.sha256)))
    return g


def ontology_graph() -> Graph:
    """The ontology itself, so SPARQL can follow rdfs:subClassOf and labels of classes."""
    g = Graph()
    g.parse(ONTOLOGY_FILE, format="turtle")
    return g


def assemble(extractions: Iterable[Extraction], *, generated_at: datetime) -> Dataset:
    """A Dataset with one named graph per document, the meta graph and the ontology graph."""
    ds = Dataset()
    bind_prefixes(ds)
    onto = ds.graph(ONTOLOGY_GRAPH)
    for t in ontology_graph():
        onto.add(t)
    meta = ds.graph(META_GRAPH)
    for ex in extractions:
        target = ds.graph(document_graph_iri(ex.document.doc_id))
        for t in document_triples(ex):
            target.add(t)
        for t in meta_triples(ex, generated_at):
            meta.add(t)
    return ds


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
