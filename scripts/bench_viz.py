"""Benchmark the explorer page: time to a settled layout at 500 and 5,000 entities, in headless Chromium.

Why: the page must stay usable on big graphs; vis-network's physics is the cost, so this measures
it where users meet it (a real browser) on synthetic graphs of the same RDF shape as a build, made
through the same store -> load_view -> render_page path as `parkgraph viz`.

Reported per size (median of --repeat runs): Python time to read the store and render the page,
page size, time from navigation start to the first draw-ready data (ready), layout time from
handing the data to vis until physics is switched off (stabilizationIterationsDone), stabilisation
iterations spent, one full redraw after settling, and one class-filter toggle.

Example:
    .venv/bin/python scripts/bench_viz.py --sizes 500 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from graph.store import open_store
from graph.visualize import load_view, render_page

BASE = "https://w3id.org/parkgraph/"
PG = BASE + "ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
# Share of each class among entities, close to a corpus build.
MIX = {"Place": 0.25, "IndustrialPark": 0.25, "GovernmentBody": 0.15, "Policy": 0.12, "Enterprise": 0.13,
       "Person": 0.05, "Organization": 0.05}
SYLLABLES = ["hua", "xin", "gao", "tian", "hai", "jiang", "shan", "long", "feng", "guang", "ming", "kai", "yuan"]
CJK = "华新高天海江山龙丰光明开元"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--window-size=1600,1000"]


def _lit(text: object, datatype: str | None = None) -> str:
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"^^<{datatype}>' if datatype else f'"{s}"'


def synth_nquads(n_nodes: int, *, seed: int = 11) -> tuple[str, int, int]:
    """N-Quads for a graph of `n_nodes` entities, about 1.3 facts each, every fact with evidence.

    Returns:
        (nquads, entities, facts).
    """
    rng = random.Random(seed)
    n_docs = max(3, n_nodes // 20)
    by_class: dict[str, list[str]] = {c: [] for c in MIX}
    quads: list[str] = []
    docs = [f"{BASE}doc/synth-{i}" for i in range(n_docs)]
    for i, d in enumerate(docs):
        g = f"{BASE}graph/doc/synth-{i}"
        quads.append(f"<{g}> <{RDF}type> <{PG}DocumentGraph> <{BASE}graph/meta> .")
        quads.append(f"<{g}> <{PROV}wasDerivedFrom> <{d}> <{BASE}graph/meta> .")
        quads.append(f"<{d}> <{RDF}type> <{PG}SourceDocument> <{g}> .")
        quads.append(f"<{d}> <{PG}fileName> {_lit(f'synth-{i}.txt')} <{g}> .")
    home: dict[str, int] = {}
    cls_of: dict[str, str] = {}
    sentence_no = 0

    def sentence(doc_no: int, text: str) -> str:
        nonlocal sentence_no
        sentence_no += 1
        s = f"{docs[doc_no]}/sentence/{sentence_no}"
        g = f"{BASE}graph/doc/synth-{doc_no}"
        quads.extend([f"<{s}> <{RDF}type> <{PG}Sentence> <{g}> .", f"<{s}> <{PG}text> {_lit(text)} <{g}> .",
                      f"<{s}> <{PG}inDocument> <{docs[doc_no]}> <{g}> .",
                      f"<{s}> <{PG}startOffset> {_lit(0, 'http://www.w3.org/2001/XMLSchema#integer')} <{g}> ."])
        return s

    classes = [c for c, share in MIX.items() for _ in range(round(share * 1000))]
    for k in range(n_nodes):
        cls = classes[k * len(classes) // n_nodes]
        name = " ".join(rng.choice(SYLLABLES).title() for _ in range(2)) + f" {cls} {k} {rng.choice(CJK)}"
        e = f"{BASE}id/synth/{k}"
        by_class[cls].append(e)
        cls_of[e] = cls
        doc_no = home[e] = rng.randrange(n_docs)
        g = f"{BASE}graph/doc/synth-{doc_no}"
        quads.extend([f"<{e}> <{RDF}type> <{PG}{cls}> <{g}> .", f"<{e}> <{RDFS}label> {_lit(name)} <{g}> .",
                      f"<{e}> <{PG}mentionedIn> <{docs[doc_no]}> <{g}> ."])
        s = sentence(doc_no, f"The text mentions {name} here.")
        m = f"{e}/mention/{k}"
        quads.extend([f"<{m}> <{RDF}type> <{PG}Mention> <{g}> .", f"<{m}> <{PG}mentionOf> <{e}> <{g}> .",
                      f"<{m}> <{PG}inSentence> <{s}> <{g}> ."])
    rules = [("IndustrialPark", "locatedIn", "Place", 1.0), ("Place", "locatedIn", "Place", 0.6),
             ("Policy", "issuedBy", "GovernmentBody", 1.0), ("Policy", "concerns", "IndustrialPark", 1.2),
             ("IndustrialPark", "establishedBy", "GovernmentBody", 0.5),
             ("Enterprise", "hostedIn", "IndustrialPark", 1.0),
             ("Person", "affiliatedWith", "GovernmentBody", 1.0), ("GovernmentBody", "governs", "Place", 0.5)]
    facts = set()
    for dom, pred, rng_cls, rate in rules:
        for s_iri in by_class[dom]:
            for _ in range(int(rate) + (rng.random() < rate % 1)):
                o_iri = rng.choice(by_class[rng_cls])
                if o_iri != s_iri:
                    facts.add((s_iri, pred, o_iri))
    for n, (s_iri, pred, o_iri) in enumerate(sorted(facts)):
        doc_no = home[s_iri]
        g = f"{BASE}graph/doc/synth-{doc_no}"
        sent = sentence(doc_no, f"Fact {n}: one entity {pred} another.")
        ev = f"{docs[doc_no]}/evidence/{n}"
        quads.extend([
            f"<{s_iri}> <{PG}{pred}> <{o_iri}> <{g}> .",
            f"<{o_iri}> <{RDF}type> <{PG}{cls_of[o_iri]}> <{g}> .",
            f"<{o_iri}> <{PG}mentionedIn> <{docs[doc_no]}> <{g}> .",
            f"<{ev}> <{RDF}type> <{PG}Evidence> <{g}> .", f"<{ev}> <{RDF}subject> <{s_iri}> <{g}> .",
            f"<{ev}> <{RDF}predicate> <{PG}{pred}> <{g}> .", f"<{ev}> <{RDF}object> <{o_iri}> <{g}> .",
            f"<{ev}> <{PG}inSentence> <{sent}> <{g}> .",
            f"<{ev}> <{PG}confidence> {_lit(0.8, 'http://www.w3.org/2001/XMLSchema#decimal')} <{g}> .",
            f"<{ev}> <{PROV}wasDerivedFrom> <{docs[doc_no]}> <{g}> .",
        ])
    return "\n".join(quads) + "\n", n_nodes, len(facts)


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=opts)
    driver.set_script_timeout(120)
    return driver


def measure(driver, page: Path, timeout: float = 300) -> dict[str, float]:
    """Open the page and read the timings the page records about itself."""
    driver.get(page.resolve().as_uri())
    deadline = time.monotonic() + timeout
    while not driver.execute_script("return !!(window.parkgraph && window.parkgraph.stable)"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{page}: layout did not settle in {timeout} s")
        time.sleep(0.05)
    return driver.execute_script(
        """const a = window.parkgraph, n = a.network;
        const last = a.progress.length ? a.progress[a.progress.length - 1] : [0, 0, 0];
        let t = performance.now(); n.renderer._redraw(); const redraw = performance.now() - t;
        const box = document.querySelector('#class-filter input');
        t = performance.now(); box.click(); const filter = performance.now() - t; box.click();
        return {ready_ms: a.readyMs, layout_ms: a.layoutMs, settled_since_nav_ms: a.stableMs,
                iterations: last[1], budget: last[2], redraw_ms: redraw, filter_ms: filter,
                nodes: a.drawnCounts().nodes, edges: a.drawnCounts().edges};""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Also copy each page here (to look at it).")
    args = parser.parse_args()
    if not shutil.which("chromium"):
        sys.exit("chromium is not installed (apt-get install chromium chromium-driver)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    driver = _browser()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in args.sizes:
                text, _n_nodes, n_facts = synth_nquads(size)
                src = Path(tmp) / f"synth-{size}.nq"
                src.write_text(text, encoding="utf-8")
                t = time.perf_counter()
                view = load_view(open_store(src))
                t_load = time.perf_counter() - t
                t = time.perf_counter()
                html = render_page(view, title=f"synthetic {size}")
                t_render = time.perf_counter() - t
                page = Path(tmp) / f"synth-{size}.html"
                page.write_text(html, encoding="utf-8")
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(page, args.keep / page.name)
                runs = [measure(driver, page) for _ in range(args.repeat)]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(f"\n{size} entities, {n_facts} facts ({len(text.splitlines())} quads), "
                      f"page {len(html.encode()) / 1e6:.1f} MB; drawn {med['nodes']:.0f} nodes, "
                      f"{med['edges']:.0f} edges")
                print(f"  python: load_view {t_load:.2f} s, render_page {t_render:.2f} s")
                print(f"  browser (median of {args.repeat}): data ready {med['ready_ms'] / 1000:.2f} s after "
                      f"script start; layout settled {med['layout_ms'] / 1000:.2f} s after data handed to vis "
                      f"({med['iterations']:.0f}/{med['budget']:.0f} iterations); "
                      f"{med['settled_since_nav_ms'] / 1000:.2f} s after navigation start")
                print(f"  after settling: full redraw {med['redraw_ms']:.0f} ms, class-filter toggle "
                      f"{med['filter_ms']:.0f} ms; runs: "
                      + ", ".join(f"{r['settled_since_nav_ms'] / 1000:.2f}s" for r in runs))
    finally:
        driver.quit()
    print(f"\nload average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
