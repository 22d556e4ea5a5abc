"""The same build-and-query suite on the embedded store and on real SPARQL servers started here.

Virtuoso (Debian's virtuoso-opensource) and Oxigraph server (PyPI's `oxigraph`) run on 127.0.0.1
from temporary folders; a server is skipped, with the reason, only when its program is missing.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS_FILES, FIXED_TIME
from rdflib import Literal, URIRef
from test_incremental import no_post_build  # noqa: F401  (autouse: document graphs only)

from graph.paths import CORPUS_DIR
from graph.pipeline import build
from graph.store import open_store

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _set(ini: str, section: str, key: str, value: str) -> str:
    pattern = re.compile(rf"(\[{re.escape(section)}\][^\[]*?^)\s*{key}\s*=[^\n]*", re.M | re.S)
    new, n = pattern.subn(lambda m: f"{m.group(1)}{key} = {value}", ini, count=1)
    assert n == 1, (section, key)
    return new


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory) -> Iterator[str]:
    """A Virtuoso on loopback: edited copy of Debian's ini, result cap raised, SPARQL updates allowed."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not binary or not isql or not VIRTUOSO_INI.is_file():
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    d = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text()
    for key, name in (("DatabaseFile", "virtuoso.db"), ("ErrorLogFile", "virtuoso.log"),
                      ("LockFile", "virtuoso.lck"), ("TransactionFile", "virtuoso.trx"),
                      ("xa_persistent_file", "virtuoso.pxa")):
        ini = _set(ini, "Database", key, str(d / name))
    ini = _set(ini, "TempDatabase", "DatabaseFile", str(d / "virtuoso-temp.db"))
    ini = _set(ini, "TempDatabase", "TransactionFile", str(d / "virtuoso-temp.trx"))
    ini = _set(ini, "Parameters", "ServerPort", f"127.0.0.1:{sql_port}")
    ini = _set(ini, "Parameters", "DirsAllowed", f"., {d}")
    ini = _set(ini, "HTTPServer", "ServerPort", f"127.0.0.1:{http_port}")
    # The stock 10000 silently truncates large results.
    ini = _set(ini, "SPARQL", "ResultSetMaxRows", "100000000")
    (d / "virtuoso.ini").write_text(ini)
    proc = subprocess.Popen([binary, "+foreground", "+configfile", str(d / "virtuoso.ini")], cwd=d,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{http_port}/sparql?query=ASK%7B%7D", proc, 90)
        grant = "GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"
        subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={grant}"], check=True,
                       capture_output=True, timeout=60)
        yield f"virtuoso+http://127.0.0.1:{http_port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    """Oxigraph server on loopback (read-write by default: fine for a test's own temporary store)."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(binary).exists():
        pytest.skip("Oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", proc, 30)
        yield f"oxigraph+http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("embedded")
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    return out


@pytest.fixture(scope="module", params=["embedded", "virtuoso", "oxigraph"])
def backend(request, tmp_path_factory, embedded: Path):
    """(name, store) with the corpus built into it through `parkgraph build --store URL` (or embedded)."""
    if request.param == "embedded":
        store = open_store(embedded)
        yield "embedded", store
        store.close()
        return
    url = request.getfixturevalue("virtuoso" if request.param == "virtuoso" else "oxigraph_server")
    out = tmp_path_factory.mktemp(f"build-{request.param}")
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME, store=url)
    assert report.ok, report.errors
    assert any(line.startswith(f"store {url}") for line in report.extras["summary_lines"])
    yield request.param, open_store(url)


def _norm(value) -> object:
    """A cell as plain Python, so servers' spellings of the same number compare equal."""
    if isinstance(value, Literal):
        py = value.toPython()
        if isinstance(py, (int, float)) or type(py).__name__ == "Decimal":
            return round(float(py), 6)
        return str(value)
    return None if value is None else str(value)


def _rows(result) -> list[tuple]:
    if result.boolean is not None:
        return [(result.boolean,)]
    return sorted((tuple(_norm(r.get(v)) for v in result.variables) for r in result.rows), key=repr)


def test_document_graphs_match_the_build(backend, embedded: Path) -> None:
    name, store = backend
    local = open_store(embedded)
    try:
        wanted = {g for g in local.graphs() if "/graph/doc/" in g}
        assert len(wanted) == len(CORPUS_FILES)
        assert wanted <= store.graphs()
        q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        for g in sorted(wanted):
            assert int(store.query(q, bindings={"g": URIRef(g)}).rows[0]["n"]) == \
                int(local.query(q, bindings={"g": URIRef(g)}).rows[0]["n"]), (name, g)
    finally:
        local.close()


def test_every_canned_question_answers_the_same(backend, embedded: Path) -> None:
    from graph.query import bind_params, load_queries, run_canned

    name, store = backend
    local = open_store(embedded)
    checked, wrong, errors = 0, [], {}
    try:
        for qname, query in load_queries().items():
            expected = run_canned(local, query)
            if _rows(_run(store, query, {}, errors)) != _rows(expected):
                wrong.append(qname)
            checked += 1
            for param in query.params:  # bound: a value drawn from the unbound answer
                values = [r.get(param.sample_column) for r in expected.rows if r.get(param.sample_column)]
                if not values:
                    continue
                raw = {param.name: str(values[0])}
                bind_params(query, raw)
                if _rows(_run(store, query, raw, errors)) != _rows(run_canned(local, query, params=raw)):
                    wrong.append(f"{qname} {raw}")
                checked += 1
    finally:
        local.close()
    assert checked >= 10
    assert not wrong, f"{name} answers differently from the embedded store: {wrong}; refused: {errors}"


def _run(store, query, raw, errors: dict[str, str]):
    from graph.query import QueryError, run_canned
    from graph.store import QueryResult

    try:
        return run_canned(store, query, params=raw)
    except QueryError as exc:
        errors[query.name] = str(exc)
        return QueryResult(boolean=False)


@pytest.mark.parametrize("text", ['plain', 'quote " } ) . # not a comment', "line\nbreak\t\\", "中文 ünï"])
def test_bound_literals_cannot_change_the_query(backend, text: str) -> None:
    name, store = backend
    # STR() of a bound value: Virtuoso 7.2 turned non-ASCII characters into '?' (graph.sparql_text.unwrap_str)
    res = store.query("SELECT ?x WHERE { BIND(STR(?v) AS ?x) }", bindings={"v": Literal(text)})
    assert [str(r["x"]) for r in res.rows] == [text], name


_PREFIXES = ("@prefix pg: <https://w3id.org/parkgraph/ontology#> .\n@prefix id: <https://w3id.org/parkgraph/id/> .\n"
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
             "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")


def _ask_with_graph(store, turtle: str, query: str, params: dict[str, str]):
    """Run canned `query` on `store` while a test graph of `turtle` (prefixes pg:, id:, rdfs:, skos:) is in it."""
    from graph.query import load_queries, run_canned

    graph = "https://w3id.org/parkgraph/graph/test-names"
    store.put_graph(graph, (_PREFIXES + turtle).encode())
    try:
        return run_canned(store, load_queries()[query], params=params)
    finally:
        store.drop_graph(graph)


@pytest.mark.parametrize(("given", "label"), [
    ("中关村", "中关村区块链产业园"),
    ("zhōngguāncūn", "Zhōngguāncūn Blockchain Park"),
    ("ZHŌNGGUĀNCŪN BLOCKCHAIN", "Zhōngguāncūn Blockchain Park"),
    ("zgc chain", "Zhōngguāncūn Blockchain Park"),  # an alias picks the entity; the label is its first
])
def test_a_non_ascii_name_finds_its_entity(backend, given: str, label: str) -> None:
    """entity-profile's `name` (a case-insensitive substring of a label or alias) with Chinese and accented text."""
    name, store = backend
    res = _ask_with_graph(store, 'id:test-zgc-park a pg:IndustrialPark ; pg:mentionedIn <urn:test:doc> ;\n'
                          '  rdfs:label "中关村区块链产业园", "Zhōngguāncūn Blockchain Park" ;\n'
                          '  skos:altLabel "ZGC Chain Park" .\n',
                          "entity-profile", {"name": given})
    assert {str(r["entity"]) for r in res.rows} == {"https://w3id.org/parkgraph/id/test-zgc-park"}, name
    assert {str(r["label"]) for r in res.rows} == {label}, name  # the label that matched


@pytest.mark.parametrize("given", ["海淀", "Haidian"])
def test_parks_in_a_place_named_by_its_alias(backend, given: str) -> None:
    """parks-in-place's `name` matches a place's alias (here its name in Chinese) as well as its label."""
    name, store = backend
    res = _ask_with_graph(store, 'id:test-chain-park a pg:IndustrialPark ; rdfs:label "Test Chain Park" ;\n'
                          '  pg:locatedIn id:test-haidian .\n'
                          'id:test-haidian rdfs:label "Haidian District" ; skos:altLabel "海淀区" .\n',
                          "parks-in-place", {"name": given})
    assert {(str(r["park"]), str(r["place"])) for r in res.rows} == {
        ("https://w3id.org/parkgraph/id/test-chain-park", "https://w3id.org/parkgraph/id/test-haidian")}, name


def test_remove_and_readd_on_the_server(backend, tmp_path: Path) -> None:
    name, store = backend
    if name == "embedded":
        pytest.skip("covered by tests/test_incremental.py")
    out = tmp_path / "out"
    url = store.location
    doc = CORPUS_FILES[0]
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME, store=url)
    assert report.ok, report.errors
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME, store=url)
    assert report.extras["skipped"] and not report.extras["extracted"]
    assert any("0 graphs replaced" in line for line in report.extras["summary_lines"])  # nothing re-sent
    report, _ = build([], out, remove=[doc.stem], store=url)
    assert report.ok, report.errors
    graph = f"https://w3id.org/parkgraph/graph/doc/{doc.stem}"
    assert graph not in store.graphs()
    meta = store.query("ASK { GRAPH ?m { ?g ?p ?o } }", bindings={
        "m": URIRef("https://w3id.org/parkgraph/graph/meta"), "g": URIRef(graph)})
    assert meta.boolean is False
    report, _ = build([doc], out, workers=1, timestamp=FIXED_TIME, store=url)
    assert report.ok, report.errors
    assert graph in store.graphs()


def test_large_results_are_not_truncated(backend) -> None:
    name, store = backend
    graph = "https://w3id.org/parkgraph/graph/test-large"
    n = 12_000
    data = "".join(f"<urn:x:{i}> <urn:x:p> \"{i}\" .\n" for i in range(n)).encode()
    store.put_graph(graph, data)
    try:
        res = store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", bindings={"g": URIRef(graph)})
        assert len(res.rows) == n, name
    finally:
        store.drop_graph(graph)
    assert graph not in store.graphs()
