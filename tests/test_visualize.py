"""The explorer page, tested in a real headless Chromium with the network closed.

Every expected number comes from the built store through SPARQL, never from the page's own data,
so a page that drops, duplicates or mislabels an entity or a fact fails.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import graph.visualize as visualize
from graph.cli import main
from graph.pipeline import build
from graph.store import open_store
from graph.vocab import EntityClass, Predicate

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Any request to the outside goes to a closed local port and fails; background services are off.
CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--disable-quic",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--window-size=1600,1000",
]

PREFIXES = """
PREFIX pg: <https://w3id.org/parkgraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
CORE = " ".join(f"pg:{c.value}" for c in EntityClass)
PREDICATES = " ".join(f"pg:{p.value}" for p in Predicate)
ENTITIES = PREFIXES + f"""
SELECT DISTINCT ?e ?c ?doc WHERE {{
  ?g a pg:DocumentGraph ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?doc .
  GRAPH ?g {{ ?e a ?c }} VALUES ?c {{ {CORE} }}
}}"""
FACTS = PREFIXES + f"""
SELECT DISTINCT ?s ?p ?o WHERE {{
  ?g a pg:DocumentGraph . GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {PREDICATES} }}
}}"""
MENTION_SENTENCES = PREFIXES + """
SELECT DISTINCT ?text WHERE { ?m pg:mentionOf ?e ; pg:inSentence ?s . ?s pg:text ?text }"""
EVIDENCE_SENTENCES = PREFIXES + """
SELECT DISTINCT ?text WHERE {
  ?ev a pg:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; pg:inSentence ?sent .
  ?sent pg:text ?text
}"""
HOSTILE_SENTENCE = PREFIXES + """
SELECT ?e ?text WHERE {
  ?m pg:mentionOf ?e ; pg:inSentence ?s . ?s pg:text ?text . FILTER(CONTAINS(?text, "onerror"))
} ORDER BY ?e ?text LIMIT 1"""

CRAFTED = """source: crafted feed <img src=x onerror="window.__pwned='source'">

Hostile <script>window.__pwned='title'</script> Industrial Park opens

The <img src=x onerror="window.__pwned='name'"> Industrial Park, located in Wuhan, was established by \
the People's Government of Jianghan District. Its operator said "<script>window.__pwned='quote'</script>" \
is only text.
"""


def expected_graph(location: Path) -> tuple[dict[str, str], dict[str, set[str]], set[tuple[str, str, str]]]:
    """(entity -> class, document -> entities, facts) read from the store, independently of the page."""
    store = open_store(location)
    cls: dict[str, str] = {}
    by_doc: dict[str, set[str]] = {}
    order = [c.value for c in EntityClass]
    for r in store.query(ENTITIES).rows:
        e, c = str(r["e"]), str(r["c"]).rsplit("#", 1)[1]
        if e not in cls or order.index(c) < order.index(cls[e]):
            cls[e] = c
        by_doc.setdefault(str(r["doc"]), set()).add(e)
    facts = {(str(r["s"]), str(r["p"]), str(r["o"])) for r in store.query(FACTS).rows}
    facts = {f for f in facts if f[0] in cls and f[2] in cls}
    store.close()
    return cls, by_doc, facts


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, logging console messages and every network request."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> None:
    """Load a page, wait until its layout has settled, and fail on console errors or outside requests."""
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    deadline = time.monotonic() + 60
    while not driver.execute_script("return !!(window.parkgraph && window.parkgraph.stable)"):
        assert time.monotonic() < deadline, "layout did not settle within 60 s"
        time.sleep(0.1)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors
    requested = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = [m["params"]["request"]["url"] for m in requested if m["method"] == "Network.requestWillBeSent"]
    assert urls, "the performance log saw no request at all (the page itself should be one)"
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [u for u in urls + resources if not u.startswith(("file://", "data:"))]
    assert not outside, f"requests left the machine: {outside}"


def drawn(driver) -> dict:
    return driver.execute_script("return window.parkgraph.drawnCounts()")


def click_canvas(driver, x: float, y: float) -> None:
    """A real mouse click at canvas coordinates (x, y) in CSS pixels."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("css selector", "#network canvas")
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(x - size["width"] / 2), int(y - size["height"] / 2)).click().perform()


def click_node(driver, node_id: str) -> None:
    """Centre and zoom on a node so nothing overlaps it, check vis agrees on the hit, then click it."""
    pos = driver.execute_script(
        """const n = window.parkgraph.network, id = arguments[0];
        n.focus(id, {scale: 1.6, animation: false});
        const p = n.canvasToDOM(n.getPositions([id])[id]);
        return [p.x, p.y, n.getNodeAt(p)];""", node_id)
    assert pos[2] == node_id, f"another node lies on top of {node_id}: {pos[2]}"
    click_canvas(driver, pos[0], pos[1])


def info_text(driver) -> str:
    return driver.execute_script("return document.getElementById('info').textContent")


def test_page_offline_counts_and_node_evidence(corpus_build, browser) -> None:
    """The build's page opens offline, draws exactly the graph, and a clicked node shows its sentences."""
    page = corpus_build.out_dir / "graph.html"
    assert page.is_file(), "parkgraph build did not write graph.html"
    classes, _, facts = expected_graph(corpus_build.out_dir)
    assert classes and facts, "the corpus build has no entities or facts to draw"
    open_page(browser, page)
    assert drawn(browser) == {"nodes": len(classes), "edges": len(facts)}
    in_page = browser.execute_script(
        "return window.parkgraph.nodes.get().map(n => [n.id, n.group])")
    assert dict(in_page) == classes
    edge_triples = browser.execute_script(
        "const d = window.parkgraph; return d.edges.get().map(e => [e.from, e.label, e.to])")
    assert {(s, f"https://w3id.org/parkgraph/ontology#{p}", o) for s, p, o in edge_triples} == facts

    # The entity in the most facts: click it on the canvas; its panel must quote a sentence naming it.
    degree = Counter(x for s, _, o in facts for x in (s, o))
    target = min(degree, key=lambda e: (-degree[e], e))
    sentences = {str(r["text"]) for r in open_store(corpus_build.out_dir).query(
        MENTION_SENTENCES, bindings={"e": target}).rows}
    click_node(browser, target)
    text = info_text(browser)
    assert browser.execute_script("return document.getElementById('info').dataset.id") == target
    assert any(s in text for s in sentences), f"no supporting sentence of {target} in the panel"
    browser.execute_script("window.parkgraph.network.fit({animation: false})")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "viz-corpus.png"))


def test_clicked_edge_shows_its_evidence(corpus_build, browser) -> None:
    """Clicking a fact's edge shows the sentence, document and confidence recorded for it."""
    open_page(browser, corpus_build.out_dir / "graph.html")
    # Find an edge whose midpoint vis itself resolves to that edge alone, then click it for real.
    hit = browser.execute_script(
        """const n = window.parkgraph.network;
        for (const e of window.parkgraph.edgeView.get()) {
          const p = n.getPositions([e.from, e.to]);
          const mid = {x: (p[e.from].x + p[e.to].x) / 2, y: (p[e.from].y + p[e.to].y) / 2};
          n.moveTo({position: mid, scale: 1.6, animation: false});
          const d = n.canvasToDOM(mid);
          if (n.getNodeAt(d) === undefined && n.getEdgeAt(d) === e.id) return [e.id, e.from, e.label, e.to, d.x, d.y];
        }
        return null;""")
    assert hit is not None, "no edge could be clicked without hitting another element"
    edge_id, s, p, o, x, y = hit
    click_canvas(browser, x, y)
    assert browser.execute_script("return document.getElementById('info').dataset.id") == edge_id
    sentences = {str(r["text"]) for r in open_store(corpus_build.out_dir).query(
        EVIDENCE_SENTENCES,
        bindings={"s": s, "p": f"https://w3id.org/parkgraph/ontology#{p}", "o": o}).rows}
    text = info_text(browser)
    assert sentences, f"the store has no evidence sentence for {s} {p} {o}"
    assert any(t in text for t in sentences)
    assert "confidence" in text


def test_filters_and_search(corpus_build, browser) -> None:
    """Unticking a class hides exactly its entities and their facts; a document filter keeps its own."""
    classes, by_doc, facts = expected_graph(corpus_build.out_dir)
    open_page(browser, corpus_build.out_dir / "graph.html")
    hide = Counter(classes.values()).most_common(1)[0][0]
    browser.find_element("css selector", f'#class-filter input[data-cls="{hide}"]').click()
    kept = {e for e, c in classes.items() if c != hide}
    assert drawn(browser) == {"nodes": len(kept), "edges": len({f for f in facts if f[0] in kept and f[2] in kept})}
    groups = browser.execute_script(
        "const d = window.parkgraph; return d.network.body.nodeIndices.map(id => d.nodes.get(id).group)")
    assert hide not in groups
    browser.find_element("css selector", f'#class-filter input[data-cls="{hide}"]').click()
    assert drawn(browser)["nodes"] == len(classes)

    browser.find_element("id", "docs-none").click()
    assert drawn(browser) == {"nodes": 0, "edges": 0}
    names = browser.execute_script("return window.parkgraph.data.documents.map(d => d.iri)")
    doc = max(by_doc, key=lambda d: (len(by_doc[d]), d))
    browser.find_element("css selector", f'#doc-filter input[data-doc="{names.index(doc)}"]').click()
    ids = browser.execute_script("return window.parkgraph.network.body.nodeIndices.slice()")
    assert set(ids) == by_doc[doc]
    browser.find_element("id", "docs-all").click()

    # Search: type a name, press Enter, and the entity's panel opens.
    label = browser.execute_script("return window.parkgraph.nodes.get(arguments[0]).name", ids[0])
    box = browser.find_element("id", "search")
    box.clear()
    box.send_keys(label + "\n")
    assert browser.execute_script("return document.getElementById('info').dataset.id") in {
        e for e in classes if browser.execute_script("return window.parkgraph.nodes.get(arguments[0]).name", e)
        == label}


def test_hostile_document_is_shown_as_text(tmp_path, browser) -> None:
    """Markup in a document's title, source and sentences is displayed literally and never runs."""
    src = tmp_path / "docs"
    src.mkdir()
    (src / "crafted.txt").write_text(CRAFTED, encoding="utf-8")
    out = tmp_path / "out"
    report, _ = build([src], out, workers=1)
    assert report.ok, report.errors
    row = open_store(out).query(HOSTILE_SENTENCE).rows
    assert row, "the crafted document yielded no entity mentioned in a hostile sentence"
    entity, sentence = str(row[0]["e"]), str(row[0]["text"])
    open_page(browser, out / "graph.html")
    click_node(browser, entity)
    assert sentence in info_text(browser)
    assert "<img src=x onerror=" in info_text(browser)
    state = browser.execute_script(
        """return {pwned: window.__pwned === undefined ? null : window.__pwned,
                   imgs: document.querySelectorAll('img').length,
                   scripts: document.querySelectorAll('script').length,
                   docTitle: document.querySelector('#doc-filter .row').title};""")
    assert state == {"pwned": None, "imgs": 0, "scripts": 3, "docTitle": state["docTitle"]}
    assert "<script>" in state["docTitle"]


def test_hostile_names_and_links_stay_inert(tmp_path, browser) -> None:
    """Names, aliases and identifiers that carry markup or javascript: URLs cannot run or link."""
    evil = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>'
    view = visualize.GraphView()
    view.nodes["https://w3id.org/parkgraph/id/park/x"] = visualize.Node(
        iri="https://w3id.org/parkgraph/id/park/x", cls=EntityClass.PARK, label=evil, aliases={evil + "-alias"},
        docs={"https://w3id.org/parkgraph/doc/d"},
        links=[("owl:sameAs", "javascript:window.__pwned=3"), ("owl:sameAs", "https://www.wikidata.org/wiki/Q1")])
    view.documents["https://w3id.org/parkgraph/doc/d"] = (evil, evil, evil)
    page = tmp_path / "evil.html"
    visualize.write_page(page, view, title=evil, subtitle=evil)
    open_page(browser, page)
    click_node(browser, "https://w3id.org/parkgraph/id/park/x")
    state = browser.execute_script(
        """return {pwned: window.__pwned === undefined ? null : window.__pwned,
                   title: document.title, h1: document.querySelector('h1').textContent,
                   heading: document.querySelector('#info h2').textContent.trim(),
                   hrefs: Array.from(document.querySelectorAll('#info a')).map(a => a.href)};""")
    assert state == {"pwned": None, "title": evil, "h1": evil, "heading": evil,
                     "hrefs": ["https://www.wikidata.org/wiki/Q1"]}
    assert "javascript:window.__pwned=3" in info_text(browser)


def test_cli_focus_and_query_draw_the_right_subgraph(corpus_build, browser, tmp_path) -> None:
    """--focus draws the entity and its neighbours; --query draws the entities its rows name."""
    classes, _, facts = expected_graph(corpus_build.out_dir)
    degree = Counter(x for s, _, o in facts for x in (s, o))
    target = min(degree, key=lambda e: (-degree[e], e))
    near = {target} | {o for s, _, o in facts if s == target} | {s for s, _, o in facts if o == target}
    page = tmp_path / "focus.html"
    run = CliRunner().invoke(main, ["viz", "--graph", str(corpus_build.out_dir), "--focus", target,
                                    "--depth", "1", "--out", str(page)])
    assert run.exit_code == 0, run.output
    open_page(browser, page)
    assert set(browser.execute_script("return window.parkgraph.nodes.getIds()")) == near
    assert drawn(browser)["edges"] == len({f for f in facts if f[0] in near and f[2] in near})
    assert browser.execute_script("return document.getElementById('info').dataset.id") == target

    from graph.query import load_queries, run_canned

    store = open_store(corpus_build.out_dir)
    rows = run_canned(store, load_queries()["park-tenants"]).rows
    store.close()
    named = {str(v) for r in rows for v in r.values() if str(v) in classes}
    assert named, "park-tenants returned no entity on the corpus"
    page = tmp_path / "query.html"
    run = CliRunner().invoke(main, ["viz", "--graph", str(corpus_build.out_dir), "--query", "park-tenants",
                                    "--out", str(page)])
    assert run.exit_code == 0, run.output
    open_page(browser, page)
    assert set(browser.execute_script("return window.parkgraph.nodes.getIds()")) == named


def test_cli_reports_unknown_entity_and_query(corpus_build, tmp_path) -> None:
    """Bad input is one clear line and a non-zero exit, and no page is written."""
    page = tmp_path / "x.html"
    run = CliRunner().invoke(main, ["viz", "--graph", str(corpus_build.out_dir), "--focus", "No Such Entity Zzz",
                                    "--out", str(page)])
    assert run.exit_code == 1 and "No Such Entity Zzz" in run.output and not page.exists()
    run = CliRunner().invoke(main, ["viz", "--graph", str(corpus_build.out_dir), "--query", "no-such-query",
                                    "--out", str(page)])
    assert run.exit_code == 1 and "no-such-query" in run.output and not page.exists()
    run = CliRunner().invoke(main, ["viz", "--graph", str(tmp_path / "missing"), "--out", str(page)])
    assert run.exit_code == 1 and "missing" in run.output


def test_layout_options_scale_with_size() -> None:
    """Big graphs get a bounded layout budget and no quadratic seeding; small ones the careful layout."""
    small, big = visualize.layout_options(50, 60), visualize.layout_options(5000, 7000)
    assert small["layout"]["improvedLayout"] and not big["layout"]["improvedLayout"]
    assert big["physics"]["stabilization"]["iterations"] < small["physics"]["stabilization"]["iterations"]
    assert big["edges"]["smooth"] is False and big["interaction"]["hideEdgesOnDrag"]


def test_build_page_keeps_the_most_mentioned_entities_above_its_cap(corpus_build, tmp_path) -> None:
    """A build page of a graph larger than its cap draws the entities named in the most documents,
    every fact between them, and says how many it left out."""
    import re

    shutil.copy(corpus_build.out_dir / "graph.trig", tmp_path / "graph.trig")
    view = visualize.load_view(open_store(tmp_path / "graph.trig"))
    summary = visualize.write_build_page(tmp_path, max_entities=12)
    assert (summary.nodes, summary.total) == (12, len(view.nodes)) and len(view.nodes) > 12
    html = (tmp_path / visualize.PAGE_FILE).read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="pg-data">(.*?)</script>', html, re.S).group(1))
    kept = visualize.most_mentioned(view, 12)
    assert sorted(n["id"] for n in data["nodes"]) == sorted(kept)
    docs = sorted(len(n.docs) for n in view.nodes.values())
    assert min(len(view.nodes[i].docs) for i in kept) == docs[-12]  # none left out was named more often
    assert len(data["edges"]) == sum(1 for e in view.edges.values() if e.s in kept and e.o in kept) > 0
    assert f"of {len(view.nodes):,}" in data["subtitle"]
    whole = visualize.write_build_page(tmp_path)  # the corpus is far below the default cap
    assert (whole.nodes, whole.total) == (len(view.nodes), len(view.nodes))


def test_build_page_drawn_beside_the_reasoner_shows_what_graph_trig_holds(corpus_build, tmp_path) -> None:
    """The build draws its page in a forked child while it reasons (graph.forked): the page is the one
    drawn from graph.trig alone, with none of the inferred graph the parent added meanwhile."""
    shutil.copy(corpus_build.out_dir / "graph.trig", tmp_path / "graph.trig")
    visualize.write_build_page(tmp_path)
    built = (corpus_build.out_dir / visualize.PAGE_FILE).read_bytes()
    assert built == (tmp_path / visualize.PAGE_FILE).read_bytes()
    assert any(line.startswith("page: ") for line in corpus_build.report.extras["summary_lines"])


def test_a_failing_page_step_is_a_build_warning(tmp_path, monkeypatch) -> None:
    from graph.paths import CORPUS_DIR

    def broken(*args, **kwargs):
        raise RuntimeError("no page today")

    monkeypatch.setattr(visualize, "write_build_page", broken)
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(sorted(CORPUS_DIR.glob("*.txt"))[0], src)
    report, graph_file = build([src], tmp_path / "out", workers=1)
    assert report.ok and graph_file.is_file()
    assert any("page not written (no page today)" in w for w in report.warnings), report.warnings
    assert not (tmp_path / "out" / visualize.PAGE_FILE).exists()
    assert (tmp_path / "out" / "check.txt").is_file()  # the steps beside it still ran
