"""`parkgraph serve` over real HTTP: SPARQL Protocol, read-only refusal, errors, the page in a browser."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXED_TIME
from test_incremental import no_post_build  # noqa: F401  (autouse)

from graph.paths import CORPUS_DIR
from graph.pipeline import build
from graph.serve import make_server
from graph.store import open_store

PARKS = ("PREFIX pg: <https://w3id.org/parkgraph/ontology#> "
         "SELECT ?p WHERE { ?p a pg:IndustrialPark } ORDER BY ?p")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serve")
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    return out


def _serve(location: Path, *, writable: bool) -> Iterator[str]:
    store = open_store(location)
    server = make_server(store, port=0, writable=writable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        store.close()


@pytest.fixture(scope="module")
def url(built: Path) -> Iterator[str]:
    yield from _serve(built, writable=False)


def http(method: str, url: str, *, data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_get_and_post_queries_give_the_same_json(url: str, built: Path) -> None:
    status, ctype, body = http("GET", f"{url}/query?" + urllib.parse.urlencode({"query": PARKS}))
    assert status == 200 and "sparql-results+json" in ctype
    got = [b["p"]["value"] for b in json.loads(body)["results"]["bindings"]]
    store = open_store(built)
    expected = [str(r["p"]) for r in store.query(PARKS).rows]
    store.close()
    assert got == expected and len(got) > 5
    form = urllib.parse.urlencode({"query": PARKS}).encode()
    _, _, body2 = http("POST", f"{url}/sparql", data=form,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    _, _, body3 = http("POST", f"{url}/query", data=PARKS.encode(),
                       headers={"Content-Type": "application/sparql-query"})
    assert json.loads(body2) == json.loads(body) == json.loads(body3)


@pytest.mark.parametrize(("accept", "kind"), [("text/csv", "csv"), ("application/sparql-results+xml", "xml"),
                                              ("text/tab-separated-values", "tsv")])
def test_result_format_follows_accept(url: str, accept: str, kind: str) -> None:
    status, ctype, body = http("GET", f"{url}/query?" + urllib.parse.urlencode({"query": PARKS}),
                               headers={"Accept": accept})
    assert status == 200 and ctype.startswith(accept)
    text = body.decode()
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["p"] and rows[1][0].startswith("https://w3id.org/parkgraph/id/park/")
    elif kind == "xml":
        assert "<sparql" in text and "/id/park/" in text
    else:
        assert text.splitlines()[0] == "?p"


def test_canned_question_over_http(url: str) -> None:
    status, _, body = http("GET", f"{url}/api/queries")
    questions = json.loads(body)
    assert status == 200 and {"name", "title", "question", "params"} <= set(questions[0])
    name = next(q["name"] for q in questions if not any(p["required"] for p in q["params"]))
    status, _, body = http("POST", f"{url}/api/run/{name}", data=b'{"params": {}}',
                           headers={"Content-Type": "application/json"})
    assert status == 200, body
    assert json.loads(body)["variables"]
    status, _, body = http("POST", f"{url}/api/run/no-such-question", data=b"{}")
    assert status == 404


def test_updates_are_refused_when_read_only(url: str) -> None:
    update = "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"
    for path, data, ctype in (("/update", urllib.parse.urlencode({"update": update}).encode(),
                               "application/x-www-form-urlencoded"),
                              ("/sparql", update.encode(), "application/sparql-update")):
        status, _, body = http("POST", url + path, data=data, headers={"Content-Type": ctype})
        assert status == 403 and b"read-only" in body
    status, _, _ = http("PUT", f"{url}/store?graph=urn:g", data=b"<urn:a> <urn:b> <urn:c> .",
                        headers={"Content-Type": "text/turtle"})
    assert status == 403
    _, _, body = http("GET", f"{url}/query?" + urllib.parse.urlencode({"query": "ASK { <urn:a> ?p ?o }"}))
    assert json.loads(body)["boolean"] is False


def test_malformed_query_gets_400_with_the_parser_message(url: str) -> None:
    status, ctype, body = http("GET", f"{url}/query?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE {"}))
    assert status == 400 and ctype.startswith("text/plain")
    assert b"syntax error" in body and b"1:" in body  # the position from the parser
    status, _, body = http("GET", f"{url}/query")
    assert status == 400 and b"query" in body


def test_writable_server_takes_updates_and_graph_store_requests(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    for base in _serve(copy, writable=True):
        update = urllib.parse.urlencode({"update": "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 1 } }"})
        assert http("POST", f"{base}/update", data=update.encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 204
        assert http("PUT", f"{base}/store?graph=urn:h", data=b"<urn:x> <urn:y> <urn:z> .",
                    headers={"Content-Type": "text/turtle"})[0] == 201
        status, _, body = http("GET", f"{base}/store?graph=urn:h")
        assert status == 200 and b"<urn:x> <urn:y> <urn:z>" in body
        assert http("DELETE", f"{base}/store?graph=urn:h")[0] == 204
        assert http("GET", f"{base}/store?graph=urn:h")[0] == 404
        # the same server works as a --store URL (Oxigraph's endpoint layout)
        remote = open_store("oxigraph+" + base)
        assert remote.query("ASK { <urn:a> <urn:b> ?o }").boolean is True


def test_page_lists_and_runs_canned_questions_in_a_browser(url: str) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not chrome or not driver_bin:
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
    try:
        driver.get(url + "/")
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#questions li")) > 3)
        item = driver.find_elements(By.CSS_SELECTOR, "#questions li")[0]
        item.find_element(By.CSS_SELECTOR, "button").click()
        wait.until(ec.presence_of_element_located((By.ID, "result-table")))
        assert "row(s)" in driver.find_element(By.ID, "status").text
        driver.find_element(By.ID, "sparql").clear()
        driver.find_element(By.ID, "sparql").send_keys("SELECT WHERE {")
        driver.find_element(By.ID, "run-sparql").click()
        wait.until(lambda d: "Error 400" in d.find_element(By.ID, "status").text)
    finally:
        driver.quit()


def test_cli_serve_answers_from_an_in_memory_copy(built: Path) -> None:
    """`parkgraph serve` (read-only) copies the store into memory and answers as the disk store does."""
    import socket
    import subprocess
    import sys
    import time

    from graph.query import load_queries, result_records, run_canned

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from graph.cli.app import main; main()", "serve",
                             "--graph", str(built), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "(read-only, in memory)" in line, line + proc.stderr.read()  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                status, _, body = http("GET", f"{base}/query?" + urllib.parse.urlencode({"query": PARKS}),
                                       headers={"Accept": "application/sparql-results+json"})
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        assert status == 200
        served = [b["p"]["value"] for b in json.loads(body)["results"]["bindings"]]
        disk = open_store(built)
        assert served == [str(r["p"]) for r in disk.query(PARKS).rows] and served
        # a canned question with evidence, through the copy's Store.query: same rows as on disk
        q = load_queries()["park-backers"]
        mem = disk.in_memory()
        assert result_records(run_canned(mem, q)) == result_records(run_canned(disk, q))
        assert mem.read_only
    finally:
        proc.terminate()
        proc.wait(timeout=10)
