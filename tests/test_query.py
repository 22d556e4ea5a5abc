"""Canned queries: every file loads, has a golden answer on the corpus, and its parameters matter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.query import (
    CannedQuery,
    OutputFormat,
    QueryError,
    load_queries,
    parse_query_file,
    render,
    result_records,
    run_canned,
    run_sparql,
)
from graph.store import open_store

QUERIES = load_queries()


@pytest.fixture(scope="module")
def store(corpus_build):
    return open_store(corpus_build.out_dir)


def records(store, query: CannedQuery, params: dict[str, str] | None = None) -> list[dict]:
    rows = result_records(run_canned(store, query, params=params))
    # ORDER BY fixes the order only up to ties; compare as a sorted multiset.
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))


def test_at_least_the_issue_questions_are_canned():
    assert len(QUERIES) >= 15
    for q in QUERIES.values():
        assert q.title and q.question
        assert "PREFIX" in q.text


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_golden(store, goldens, name):
    rows = records(store, QUERIES[name])
    goldens.check_json("query", f"{name}.json", {"query": name, "rows": rows})


def _candidates(rows: list[dict], column: str) -> list[object]:
    """Values of `column` from the unbound answer, the ones that cover the fewest rows first."""
    counts: dict[str, int] = {}
    values: dict[str, object] = {}
    for r in rows:
        if r.get(column) is not None:
            key = json.dumps(r[column])
            counts[key] = counts.get(key, 0) + 1
            values[key] = r[column]
    return [values[k] for k in sorted(counts, key=lambda k: (counts[k], k))]


PARAMS = [(q.name, p.name) for q in QUERIES.values() for p in q.params]


@pytest.mark.parametrize(("name", "param"), PARAMS)
def test_parameter_changes_the_answer(store, name, param):
    query = QUERIES[name]
    p = query.param(param)
    unbound = records(store, query)
    assert unbound, f"{name} has no answer on the corpus, so {param} cannot be tested"
    candidates = _candidates(unbound, p.sample_column)
    assert candidates, f"{name}: column {p.sample_column} is empty"
    for value in candidates[:5]:
        bound = records(store, query, {param: str(value)})
        if bound and bound != unbound:
            break
    else:
        pytest.fail(f"{name}: no value of {param} from column {p.sample_column} changed the answer")


def test_question_one_names_the_four_guangdong_parks(store):
    rows = records(store, QUERIES["shared-sponsor"])
    guangdong = [r for r in rows if "guangdong" in (r["sponsorLabel"] or "").lower()]
    parks = {r["parkALabel"] for r in guangdong} | {r["parkBLabel"] for r in guangdong}
    expected = {
        "Guangzhou Blockchain International Innovation Center",
        "Huangpu Chain Valley",
        "Yuexiu International Blockchain Industrial Park",
        "Shenzhen Nanshan Science and Technology Park",
    }
    assert expected <= parks
    pairs = {frozenset((r["parkALabel"], r["parkBLabel"])) for r in guangdong}
    assert len({p for p in pairs if p <= expected}) == 6
    for r in guangdong:
        assert r["policy"] and r["file"], r
        assert all(name in r["sentence"] for name in expected), r["sentence"]


def test_sponsor_parameter_binds_an_iri(store):
    rows = records(store, QUERIES["shared-sponsor"])
    sponsor = rows[0]["sponsor"]
    bound = records(store, QUERIES["shared-sponsor"], {"sponsor": sponsor})
    assert bound and {r["sponsor"] for r in bound} == {sponsor}


def test_parks_in_place_follows_links_in_other_graphs(tmp_path):
    """A park is found under a province that only the links graph connects to its city."""
    trig = tmp_path / "mini.trig"
    trig.write_text(
        """
        @prefix pg: <https://w3id.org/parkgraph/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix park: <https://w3id.org/parkgraph/id/park/> .
        @prefix place: <https://w3id.org/parkgraph/id/place/> .
        <https://w3id.org/parkgraph/graph/doc/a> {
          park:p a pg:IndustrialPark ; rdfs:label "P Park" ; pg:locatedIn place:c .
          place:c a pg:Place, pg:City ; rdfs:label "C City" .
        }
        <https://w3id.org/parkgraph/graph/links> {
          place:c pg:locatedIn place:v .
          place:v a pg:Place, pg:Province ; rdfs:label "V Province" .
        }
        """,
        encoding="utf-8",
    )
    st = open_store(trig)
    q = QUERIES["parks-in-place"]
    by_iri = result_records(run_canned(st, q, params={"place": "pgid:place/v"}))
    assert [r["park"] for r in by_iri] == ["https://w3id.org/parkgraph/id/park/p"]
    by_name = result_records(run_canned(st, q, params={"name": "province"}))
    assert [r["placeLabel"] for r in by_name] == ["V Province"]


def test_no_inferred_leaves_out_the_inferred_graph(store):
    text = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/parkgraph/graph/inferred> { ?s ?p ?o } }"
        " ORDER BY ?n"
    )
    with_inf = run_sparql(store, text).rows[0]["n"].toPython()
    without = run_sparql(store, text, include_inferred=False).rows[0]["n"].toPython()
    assert without == 0
    if with_inf == 0:
        pytest.skip("this build has no inferred triples")
    union = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } ORDER BY ?n"
    assert run_sparql(store, union, include_inferred=False).rows[0]["n"].toPython() < (
        run_sparql(store, union).rows[0]["n"].toPython()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# title: t\n# question: q\nSELECT ?x WHERE { ?x ?p ?o }\n", "ORDER BY"),
        ("# title: t\n# question: q\nSELECT ?x WHERE { ?x ?p } ORDER BY ?x\n", "does not parse"),
        ("# question: q\nSELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x\n", "title"),
        ("# title: t\n# question: q\n# params: y (IRI, optional) - y\nSELECT ?x WHERE { ?x ?p ?y } ORDER BY ?x\n",
         "bind"),
        ("# title: t\n# question: q\n# params: y (thing) - y\nSELECT ?y WHERE { ?y ?p ?o } ORDER BY ?y\n", "type"),
    ],
)
def test_bad_query_files_fail_fast_with_their_name(tmp_path, text, message):
    path = tmp_path / "bad.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QueryError, match=message) as info:
        parse_query_file(path)
    assert "bad.rq" in str(info.value)


def test_bad_parameters_are_rejected(store):
    q = QUERIES["joint-policies"]
    with pytest.raises(QueryError, match="no parameter"):
        run_canned(store, q, params={"nope": "1"})
    with pytest.raises(QueryError, match="not a integer"):
        run_canned(store, q, params={"min_issuers": "many"})


def test_render_formats_agree(store):
    result = run_canned(store, QUERIES["most-mentioned"])
    as_json = json.loads(render(result, OutputFormat.JSON))
    as_csv = render(result, "csv").splitlines()
    table = render(result, "table").splitlines()
    assert len(as_json) == len(as_csv) - 1 == len(result.rows)
    assert table[-1] == f"({len(result.rows)} rows)"
    assert as_csv[0].split(",") == result.variables


def test_cli_query_list_and_run(corpus_build):
    runner = CliRunner()
    listing = runner.invoke(main, ["query", "--list"])
    assert listing.exit_code == 0
    for name in QUERIES:
        assert f"{name}: " in listing.output
    out = runner.invoke(main, ["query", "most-mentioned", "--graph", str(corpus_build.out_dir), "--format", "json",
                               "--param", "type=pg:IndustrialPark"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and {r["type"] for r in rows} == {"https://w3id.org/parkgraph/ontology#IndustrialPark"}


def test_cli_sparql_text_file_and_errors(corpus_build, tmp_path):
    runner = CliRunner()
    graph = str(corpus_build.out_dir)
    out = runner.invoke(main, ["sparql", "SELECT ?p WHERE { ?p a pg:IndustrialPark } ORDER BY ?p",
                               "--graph", graph, "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("p\n") and "/id/park/" in out.output
    rq = tmp_path / "mine.rq"
    rq.write_text("SELECT ?p WHERE { ?p ?q } ORDER BY ?p", encoding="utf-8")
    bad = runner.invoke(main, ["sparql", "--file", str(rq), "--graph", graph])
    assert bad.exit_code != 0 and "mine.rq" in bad.output
    missing = runner.invoke(main, ["query", "most-mentioned", "--graph", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "nowhere" in missing.output
    unknown = runner.invoke(main, ["query", "no-such-question", "--graph", graph])
    assert unknown.exit_code != 0 and "no-such-question" in unknown.output


def test_query_files_live_where_paths_says():
    from graph.paths import QUERIES_DIR

    assert {p.stem for p in Path(QUERIES_DIR).glob("*.rq")} == set(QUERIES)


def test_a_query_with_from_reads_the_graph_it_names(store):
    """The merged default graph is only a default: FROM <links> counts the links graph alone."""
    links = "<https://w3id.org/parkgraph/graph/links>"
    in_graph = run_sparql(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {links} {{ ?s ?p ?o }} }} ORDER BY ?n")
    with_from = run_sparql(store, f"SELECT (COUNT(*) AS ?n) FROM {links} WHERE {{ ?s ?p ?o }} ORDER BY ?n")
    everything = run_sparql(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } ORDER BY ?n")
    n = in_graph.rows[0]["n"].toPython()
    assert n > 0
    assert with_from.rows[0]["n"].toPython() == n < everything.rows[0]["n"].toPython()
