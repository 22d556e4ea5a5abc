"""The --online step: Wikidata QIDs for organisations (search by label, restricted by class) and for
places the offline data could identify or place but not give a trusted QID (countries by ISO code;
cities by their GeoNames ID; cities and districts by name inside their parent's item).

Why cities by GeoNames ID first: offline, a city's QID comes from Natural Earth 4.0.0 alone, and its
GeoNames ID is the part two sources confirm. Wikidata's item with that GeoNames ID (P1566) either
agrees (the QID becomes two-source) or replaces the Natural Earth QID, and the report says so.

Why restricted and thresholded: a label search alone finds homonyms (a company and a village of
the same name); only items of the expected class count, and a name that fits several items stays
unlinked. Places are looked up level by level, so a city confirmed here can then be the parent a
district is looked up in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, SKOS

from graph.link.places import EntityInfo, PlaceDecision
from graph.link.reference import QidBasis, RefPlace
from graph.link.report import LinkOutcome, LinkReport
from graph.link.wikidata import WD, WikidataClient, bind_values, load_query
from graph.vocab import PlaceKind

__all__ = ["link_online"]

log = logging.getLogger(__name__)

BATCH = 40
_SUFFIX = {PlaceKind.DISTRICT: ["District", "County"], PlaceKind.CITY: ["City", "Prefecture"]}


def _score(matched: str, direct: bool) -> float:
    return (1.0 if matched == "label" else 0.9) * (1.0 if direct else 0.95)


def link_online(client: WikidataClient, infos: dict[URIRef, EntityInfo], orgs: dict[URIRef, EntityInfo],
                decisions: dict[URIRef, PlaceDecision], ids, w, report: LinkReport, *,
                threshold: float, progress: Callable[[str], None] | None = None
                ) -> dict[str, tuple[str | None, str | None, str]]:
    """Ask the endpoint; write accepted organisation links through `w` and their outcomes to `report`.

    Returns:
        For places: reference place key -> (QID, GeoNames ID or None, rule), for the caller to
        write with the offline links.

    Raises:
        WikidataError: the endpoint cannot be reached or fails.
    """
    _orgs_online(client, orgs, w, report, threshold=threshold, progress=progress)
    return _places_online(client, infos, decisions, ids, progress)


def _orgs_online(client: WikidataClient, orgs: dict[URIRef, EntityInfo], w, report: LinkReport, *,
                 threshold: float, progress: Callable[[str], None] | None) -> None:
    from graph.link import ORG_CLASSES, WIKIDATA_CLASSES

    search = load_query("search-by-label")
    by_cls: dict[object, list[tuple[URIRef, EntityInfo]]] = defaultdict(list)
    for iri, info in sorted(orgs.items()):
        cls = next(ORG_CLASSES[c] for c in sorted(info.classes) if c in ORG_CLASSES)
        by_cls[cls].append((iri, info))
    for cls, items in by_cls.items():
        classes = [(URIRef(WD + q),) for q in WIKIDATA_CLASSES[cls]]
        for start in range(0, len(items), BATCH):
            chunk = items[start:start + BATCH]
            names = sorted({n for _, info in chunk for n in info.names if len(n) > 2})
            q = bind_values(search, ["name"], [(Literal(n, lang="en"),) for n in names])
            q = bind_values(q, ["class"], classes)
            if progress:
                progress(f"wikidata: {cls.value} {start + 1}-{start + len(chunk)} of {len(items)}")
            rows = client.select(q)
            by_name: dict[str, dict[URIRef, float]] = defaultdict(dict)
            for r in rows:
                s = _score(str(r["matched"]), str(r.get("direct")).lower() == "true")
                item = r["item"]
                by_name[str(r["name"])][item] = max(s, by_name[str(r["name"])].get(item, 0.0))
            for iri, info in chunk:
                scores: dict[URIRef, float] = {}
                for n in info.names:
                    for item, s in by_name.get(n, {}).items():
                        scores[item] = max(s, scores.get(item, 0.0))
                ranked = sorted(scores.items(), key=lambda kv: (-kv[1], str(kv[0])))
                best = [it for it, s in ranked if s == ranked[0][1]] if ranked else []
                if ranked and ranked[0][1] >= threshold and len(best) == 1:
                    item, s = ranked[0]
                    w.link(iri, OWL.sameAs, item, set(), rule="online: Wikidata label + class", confidence=s,
                           source_iris=(client.endpoint,))
                    w.fact(iri, SKOS.exactMatch, item)
                    report.outcomes.append(LinkOutcome(info.label, cls.value, "linked",
                                                       {"wikidata": str(item).rsplit("/", 1)[-1]},
                                                       "online: label + class", qid_basis=QidBasis.WIKIDATA.value))
                elif len(best) > 1 and ranked[0][1] >= threshold:
                    report.outcomes.append(LinkOutcome(info.label, cls.value, "ambiguous",
                                                       reason=f"{len(best)} Wikidata items of that name and class"))
                else:
                    why = "no Wikidata item of that name and class" if not ranked else \
                        f"best match {ranked[0][1]:.2f} below threshold {threshold}"
                    report.outcomes.append(LinkOutcome(info.label, cls.value, "unlinked", reason=why))


def _places_online(client: WikidataClient, infos: dict[URIRef, EntityInfo], decisions: dict[URIRef, PlaceDecision],
                   ids, progress: Callable[[str], None] | None) -> dict[str, tuple[str | None, str | None, str]]:
    """QIDs for identified places that lack a trusted one: countries, then cities, then districts."""
    found = _cities_by_geonames(client, decisions, progress)
    places: dict[str, tuple[RefPlace, set[str]]] = {}
    for iri, d in sorted(decisions.items()):
        if d.status == "linked" and not d.place.qid and d.place.key not in found:
            entry = places.setdefault(d.place.key, (d.place, set()))
            entry[1].update(n for n in infos[iri].names if " of " not in n and "'" not in n and "(" not in n)
    for place, _ in list(places.values()):  # a district's parent city, so the district can be looked up in it
        parent = ids.idx.places.get(place.parent or "")
        if place.key not in ids.idx.places and parent is not None and not parent.qid:
            places.setdefault(parent.key, (parent, set()))

    countries = sorted((p.iso_code, key) for key, (p, _) in places.items()
                       if p.kind is PlaceKind.COUNTRY and p.iso_code)
    if countries:
        if progress:
            progress(f"wikidata: {len(countries)} countries by ISO 3166-1 code")
        q = bind_values(load_query("country-by-iso"), ["code"], [(Literal(code),) for code, _ in countries])
        items: dict[str, set[str]] = defaultdict(set)
        for r in client.select(q):
            items[str(r["code"])].add(str(r["item"]).removeprefix(WD))
        for code, key in countries:
            if len(items.get(code, ())) == 1:
                found[key] = (next(iter(items[code])), None, "online: Wikidata ISO 3166-1 code")

    query = load_query("place-in-parent")
    for level in (PlaceKind.CITY, PlaceKind.DISTRICT):
        todo = []
        for key, (place, names) in sorted(places.items()):
            if place.kind is not level or not place.parent or place.parent not in ids.idx.places:
                continue
            parent_qid = (found.get(place.parent) or (None,))[0] or ids.of(ids.idx.places[place.parent])[0]
            if not parent_qid:
                continue
            names = names | {place.name} | {f"{place.name} {s}" for s in _SUFFIX.get(place.kind, [])}
            todo.append((key, place, parent_qid, sorted(names)))
        if not todo:
            continue
        rows_in = [(URIRef(WD + pq), Literal(n, lang="en")) for _, _, pq, names in todo for n in names]
        if progress:
            progress(f"wikidata: {len(todo)} {level.value.lower()} places inside their parents")
        hits_by: dict[tuple[str, str], set[tuple[str, str | None]]] = defaultdict(set)
        for start in range(0, len(rows_in), BATCH):
            q = bind_values(query, ["parent", "name"], rows_in[start:start + BATCH])
            for r in client.select(q):
                gn = str(r["geonames"]) if r.get("geonames") is not None else None
                hits_by[(str(r["parent"]), str(r["name"]))].add((str(r["item"]).removeprefix(WD), gn))
        for key, place, parent_qid, names in todo:
            hits = {hit for n in names for hit in hits_by.get((WD + parent_qid, n), set())}
            qids = {q for q, _ in hits}
            if len(qids) > 1 and place.qid_candidate in qids:
                qids = {place.qid_candidate}  # two items of that name there; the offline candidate decides
            if len(qids) != 1:
                continue
            qid = qids.pop()
            gns = {gn for q, gn in hits if q == qid and gn}
            gid = gns.pop() if len(gns) == 1 and place.geonames_id is None else None
            rule = "online: Wikidata name inside parent" + (
                ", confirms the Natural Earth QID" if qid == place.qid_candidate else "")
            found[key] = (qid, gid, rule)
    return found


def _cities_by_geonames(client: WikidataClient, decisions: dict[URIRef, PlaceDecision],
                        progress: Callable[[str], None] | None) -> dict[str, tuple[str | None, str | None, str]]:
    """Wikidata's item for the GeoNames ID of each linked city whose QID is Natural Earth's alone (or missing).

    Only Natural Earth cities: their GeoNames IDs are confirmed by two sources. A GeoNames ID found
    by name inside a parent (a district) is not a key strong enough to pick a Wikidata item by.
    """
    todo: dict[str, RefPlace] = {}
    for d in decisions.values():
        p = d.place
        if (d.status == "linked" and p is not None and p.kind is PlaceKind.CITY and p.geonames_id
                and {"naturalearth", "geonames"} <= p.sources
                and (p.qid is None or p.qid_basis is QidBasis.NATURAL_EARTH_ONLY)):
            todo[p.key] = p
    if not todo:
        return {}
    if progress:
        progress(f"wikidata: {len(todo)} cities by GeoNames ID")
    gids = sorted({str(p.geonames_id) for p in todo.values()})
    items: dict[str, set[str]] = defaultdict(set)
    query = load_query("item-by-geonames")
    for start in range(0, len(gids), BATCH):
        q = bind_values(query, ["geonames"], [(Literal(g),) for g in gids[start:start + BATCH]])
        for r in client.select(q):
            items[str(r["geonames"])].add(str(r["item"]).removeprefix(WD))
    found: dict[str, tuple[str | None, str | None, str]] = {}
    for key, place in sorted(todo.items()):
        gid = str(place.geonames_id)
        qids = items.get(gid, set())
        offline = place.qid or place.qid_candidate
        ask = f"online: Wikidata's item with GeoNames ID {gid}"
        if offline in qids:  # several items may share the ID; the one Natural Earth names is among them
            found[key] = (offline, None, f"{ask} confirms the Natural Earth QID")
        elif len(qids) == 1:
            qid = next(iter(qids))
            why = f", replacing Natural Earth's {place.qid}" if place.qid else ""
            found[key] = (qid, None, f"{ask} is {qid}{why}")
        elif qids:
            log.info("%s: %d Wikidata items have GeoNames ID %s; QID left as it was", place.name, len(qids), gid)
    return found
