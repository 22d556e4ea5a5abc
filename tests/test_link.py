"""Linking: places against the bundled reference data, homonyms, the report, enrichment queries,
and the --online path against a real SPARQL server (oxigraph serve) loaded with a Wikidata-shaped fixture."""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.cli import main
from graph.gazetteer import norm_place
from graph.link import LinkError, OnlineOptions, link_dataset
from graph.link.places import EntityInfo, resolve_place
from graph.link.reference import reference_index
from graph.paths import QUERIES_DIR, REFERENCE_DIR
from graph.store import open_store
from graph.vocab import LINKS_GRAPH, PG

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata" / "entities.ttl"
WD = "http://www.wikidata.org/entity/"
GN = "https://sws.geonames.org/"
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
    labels = _place_labels(ds)
    checked = 0
    for entity, label in labels.items():
        key = norm_place(label.split(" (")[0].removesuffix(" Province"))
        for qid in g.objects(entity, OWL.sameAs):
            q = str(qid).removeprefix(WD)
            if q in names_by_qid:
                assert key in names_by_qid[q], f"{label} linked to {q}, which the reference names {names_by_qid[q]}"
                checked += 1
        for gn in g.objects(entity, SKOS.exactMatch):
            if str(gn).startswith(GN) and str(gn)[len(GN):-1] in names_by_gn:
                assert key in names_by_gn[str(gn)[len(GN):-1]], f"{label} linked to GeoNames {gn}"
    assert checked >= 10, "too few places linked to check"


def test_every_covered_place_is_linked(links):
    """A place whose name fits exactly one reference city or province is linked to its QID and GeoNames ID."""
    ds, g = links
    ne_by_name: dict[str, list[dict]] = {}
    for r in _rows("naturalearth_populated_places_CN.csv"):
        ne_by_name.setdefault(norm_place(r["NAME_EN"] or r["NAME"]), []).append(r)
    prov = {norm_place(r["name"]): r for r in _rows("dr5hn_states.csv") if r["country_code"] == "CN"}
    for entity, label in _place_labels(ds).items():
        key = norm_place(label.removesuffix(" Province"))
        if key in prov:
            assert (entity, OWL.sameAs, URIRef(WD + prov[key]["wikiDataId"])) in g, label
            assert (entity, URIRef("http://www.wikidata.org/prop/direct/P300"), Literal(prov[key]["iso3166_2"])) in g
        elif len(ne_by_name.get(key, [])) == 1 and key not in prov:
            row = ne_by_name[key][0]
            assert (entity, SKOS.exactMatch, URIRef(f"{GN}{int(float(row['GEONAMEID']))}/")) in g, label
            assert (entity, OWL.sameAs, URIRef(WD + row["wikidataid"])) in g, label


def test_hangzhou_sanity(links):
    ds, g = links
    hz = [e for e, label in _place_labels(ds).items() if label == "Hangzhou"]
    assert hz, "the corpus names Hangzhou"
    assert (hz[0], OWL.sameAs, URIRef(WD + "Q4970")) in g
    assert (hz[0], SKOS.exactMatch, URIRef(GN + "1808926/")) in g


def test_homonyms_are_right_or_flagged(links):
    """No district is linked to a homonym whose city the entity's own text does not name."""
    ds, g = links
    idx = reference_index()
    for entity, label in _place_labels(ds).items():
        keys = {norm_place(label.split(" (")[0].removesuffix(" District"))}
        homonyms = {p.key for k in keys for p in idx.lookup(k) if p.kind.value == "District"}
        if len(homonyms) < 2:
            continue
        parents = set(g.objects(entity, PG.locatedIn))
        flagged = any(True for _ in g.objects(entity, SKOS.editorialNote))
        assert flagged or len(parents) == 1, f"{label}: neither placed once nor flagged"
        if parents:
            parent_label = str(g.value(next(iter(parents)), RDFS.label) or _place_labels(ds).get(next(iter(parents))))
            docs = {str(d) for ctx in ds.graphs() for d in ctx.objects(entity, PG.mentionedIn)}
            text = " ".join(str(t) for ctx in ds.graphs() for s in ctx.subjects(PG.inDocument, None)
                            for t in ctx.objects(s, PG.text) if str(ctx.value(s, PG.inDocument)) in docs)
            assert parent_label in text or parent_label in label, f"{label} placed in {parent_label}, not in its text"


def _info(name: str, *, classes=(PG.Place, PG.District), context=(), located=(), docs=()) -> EntityInfo:
    return EntityInfo(iri=URIRef("urn:x:" + norm_place(name)), classes=set(classes), label=name, names={name},
                      docs=set(docs), located_in=set(located), context_names=set(context))


@pytest.mark.parametrize(("context", "expect"), [
    ((), "ambiguous"),
    (("Guangzhou",), "Guangzhou"),
    (("Shanghai",), "Shanghai"),
    (("Guangzhou", "Shanghai"), "ambiguous"),
])
def test_huangpu_decided_by_context(context, expect):
    idx = reference_index()
    d = resolve_place(_info("Huangpu District", context=context), idx, {}, {})
    if expect == "ambiguous":
        assert d.status == "ambiguous" and len(d.candidates) >= 2
    else:
        assert d.status == "linked" and idx.places[d.place.parent].name == expect


def test_homonym_placed_by_document_or_fact():
    idx = reference_index()
    doc = URIRef("urn:doc")
    d = resolve_place(_info("Nanshan District", docs=[doc]), idx, {}, {doc: {"shenzhen"}})
    assert d.status == "linked" and idx.places[d.place.parent].name == "Shenzhen"
    assert resolve_place(_info("Xihu District"), idx, {}, {}).status == "ambiguous"
    city = _info("Hangzhou", classes=(PG.Place, PG.City))
    d = resolve_place(_info("Xihu District", located=[city.iri]), idx, {city.iri: city}, {})
    assert d.status == "linked" and idx.places[d.place.parent].name == "Hangzhou"
    d = resolve_place(_info("Yuhang District of Hangzhou City"), idx, {}, {})
    assert d.status == "linked" and d.place.name == "Yuhang"


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


def test_parks_by_province_through_enrichment(corpus_build):
    """parks-in-place finds a park in its province although no sentence of its document names the province."""
    store = open_store(corpus_build.out_dir)
    query = (QUERIES_DIR / "parks-in-place.rq").read_text(encoding="utf-8")
    provinces = store.query("""PREFIX pg: <https://w3id.org/parkgraph/ontology#>
        SELECT DISTINCT ?p WHERE { GRAPH <https://w3id.org/parkgraph/graph/links> { ?p a pg:Province } } ORDER BY ?p""")
    found = 0
    for row in provinces.rows:
        res = store.query(query, bindings={"place": row["p"]})
        for r in res.rows:
            label = store.query("""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                SELECT ?l WHERE { ?p rdfs:label ?l } ORDER BY ?l""", bindings={"p": row["p"]}).rows[0]["l"]
            docs_naming = store.query("""PREFIX pg: <https://w3id.org/parkgraph/ontology#>
                SELECT ?d WHERE { ?park pg:mentionedIn ?d . ?s pg:inDocument ?d ; pg:text ?t .
                  FILTER(CONTAINS(?t, STR(?l))) } ORDER BY ?d""", bindings={"park": r["park"], "l": label})
            if not docs_naming.rows:
                found += 1
    assert found >= 1, "no park reached its province through enrichment alone"


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
                             ("place/wuhan", PG.City, "Wuhan")]:
        e = URIRef(pgid + slug)
        g.add((e, RDF.type, cls))
        if cls in (PG.District, PG.City):
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
    assert same("place/jianghan-district") == {WD + "Q900020"}  # the one inside Wuhan
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
