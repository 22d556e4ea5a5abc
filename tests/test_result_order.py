"""Python-side ORDER BY (graph.result_order) gives the engine's order, or declines."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.query import load_queries, result_records
from graph.result_order import order_rows, split_order
from graph.store import _DEFAULT, Store, open_store

QUERIES = load_queries()
XSD = "http://www.w3.org/2001/XMLSchema#"
P = ox.NamedNode("urn:p")


@pytest.fixture(scope="module")
def corpus_store(corpus_build):
    return open_store(corpus_build.out_dir)


def _store(values: dict[str, list]) -> Store:
    """A memory store where subject urn:s/<column>/<i> has value i of each column."""
    st = ox.Store()
    for column, terms in values.items():
        for i, term in enumerate(terms):
            st.add(ox.Quad(ox.NamedNode(f"urn:s/{column}/{i}"), P, term, _DEFAULT))
    return Store(st, location="memory")


def _lit(value: str, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(value)


TEXT_LIKE = [ox.NamedNode("urn:b"), ox.NamedNode("urn:a"), ox.BlankNode("x1"), ox.BlankNode("x0"),
             _lit("beta"), _lit("Alpha"), _lit("alpha", language="en"), _lit("alpha", language="zh"),
             _lit("园区"), _lit("true", "boolean"), _lit("false", "boolean"), _lit("2021-05-01", "date"),
             _lit("2021-05-01T10:00:00", "dateTime"), _lit("2020", "gYear"), _lit("x", "string"),
             _lit("z", language="en")]
NUMBERS = [_lit("10", "integer"), _lit("9", "integer"), _lit("-3", "integer"), _lit("2.5", "decimal"),
           _lit("2.25", "double"), _lit("1E3", "double"), _lit("-INF", "double"), _lit("7", "int"),
           ox.NamedNode("urn:n"), ox.BlankNode("n0")]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("terms", [TEXT_LIKE, NUMBERS], ids=["text-like", "numbers"])
def test_python_order_is_the_engine_order(terms, descending):
    store = _store({"c": terms})
    order = "DESC(?v)" if descending else "?v"
    q = f"SELECT ?s ?v WHERE {{ ?s <urn:p> ?v }} ORDER BY {order} ?s"
    engine = store.query(q, plan_hints=False)
    ours = store.query(split_order(q)[0])
    assert order_rows(ours.rows, ours.variables, split_order(q)[1])
    assert [r["s"] for r in ours.rows] == [r["s"] for r in engine.rows]
    assert [r["s"] for r in store.query(q).rows] == [r["s"] for r in engine.rows]


def test_unbound_sorts_first_and_numbers_by_value():
    store = _store({"c": [_lit("10", "integer"), _lit("9", "integer")]})
    q = "SELECT ?s ?v WHERE { { ?s <urn:p> ?v } UNION { BIND(<urn:none> AS ?s) } } ORDER BY ?v"
    assert [str(r["v"]) if r["v"] is not None else None for r in store.query(q).rows] == [None, "9", "10"]


@pytest.mark.parametrize("odd", [_lit("beta"), _lit("NaN", "double"), _lit("abc", "integer"), _lit("P1Y", "duration"),
                                 _lit("2021-05-01T10:00:00Z", "dateTime")])
def test_a_column_whose_order_is_not_modelled_is_left_to_the_engine(odd):
    store = _store({"c": [*NUMBERS[:4], odd, _lit("2021-05-01T09:00:00+08:00", "dateTime")]})
    q = "SELECT ?s ?v WHERE { ?s <urn:p> ?v } ORDER BY ?v ?s"
    text, keys = split_order(q)
    rows = store.query(text)
    assert not order_rows(rows.rows, rows.variables, keys)
    engine = store.query(q, plan_hints=False)
    assert [r["s"] for r in store.query(q).rows] == [r["s"] for r in engine.rows]


def test_split_order_takes_only_a_final_order_by_of_variables():
    q = "PREFIX x: <urn:x#>\nSELECT ?a ?b WHERE { ?a x:p ?b } GROUP BY ?a ?b ORDER BY ?a DESC( ?b )\n"
    text, keys = split_order(q)
    assert keys == (("a", False), ("b", True))
    assert text.rstrip().endswith("GROUP BY ?a ?b")
    assert split_order("SELECT DISTINCT * WHERE { ?a ?p ?b } ORDER BY ?b")[1] == (("b", False),)
    for declined in ("SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a LIMIT 5",
                     "SELECT ?a WHERE { ?a ?p ?b } ORDER BY STR(?a)",
                     "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a } }",
                     "SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a # last",
                     "CONSTRUCT { ?a ?p ?b } WHERE { ?a ?p ?b } ORDER BY ?a",
                     "SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a VALUES ?a { <urn:a> }",
                     "SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?b"):
        assert split_order(declined) is None, declined


def test_a_key_that_is_not_a_result_column_is_left_to_the_engine():
    store = _store({"c": [_lit("b"), _lit("a")]})
    q = "SELECT ?s WHERE { ?s <urn:p> ?v } ORDER BY ?v"
    assert [str(r["s"]) for r in store.query(q).rows] == ["urn:s/c/1", "urn:s/c/0"]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_canned_query_is_sorted_in_python_in_the_engine_order(corpus_store, name):
    query = QUERIES[name]
    split = split_order(query.text)
    assert split is not None, f"{name}: ORDER BY not taken off"
    engine = corpus_store.query(query.text, plan_hints=False)
    ours = corpus_store.query(split[0])
    assert order_rows(ours.rows, ours.variables, split[1]), f"{name}: left to the engine"
    names = [k for k, _ in split[1]]
    keys = lambda rows: [{k: r[k] for k in names} for r in result_records(rows)]  # noqa: E731
    assert keys(ours) == keys(engine)
    assert keys(corpus_store.query(query.text)) == keys(engine)
