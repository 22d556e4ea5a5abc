"""The SPARQL text helpers: brace scanning, and planner hints that must never change an answer."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal, URIRef

from graph.query import ParamType, bind_params, load_queries, result_records
from graph.sparql_text import (
    hint_values,
    inline_subselects,
    lateral_optionals,
    scan_groups,
    unwrap_str,
    wants_per_row,
)
from graph.store import open_store

QUERIES = load_queries()


@pytest.fixture(scope="module")
def store(corpus_build):
    return open_store(corpus_build.out_dir)


def test_scan_groups_tells_groups_from_strings_iris_comments_and_values():
    q = ('SELECT * WHERE { ?s <urn:x#y> "a { b" . # { not a group\n'
         ' VALUES ?v { 1 } OPTIONAL { ?s ?p ?o } { SELECT ?s WHERE { ?s ?p 1 } } }')
    groups = scan_groups(q)
    assert [(g.kind, g.keyword, g.subquery) for g in groups] == [
        ("group", "WHERE", False), ("data", None, False), ("group", "OPTIONAL", False),
        ("group", None, True), ("group", "WHERE", False)]
    assert all(q[g.open] == "{" and q[g.close] == "}" for g in groups)
    assert groups[2].parent == 0 and groups[4].parent == 3


def test_unwrap_str_only_for_simple_literals_and_only_in_query_syntax():
    q = ('SELECT * WHERE { # STR(?name) in a comment\n ?s <urn:STR(?name)> "STR(?name)" . '
         'FILTER(CONTAINS(LCASE(STR(?m)), LCASE(str( $name )))) FILTER(STR(?iri) != STR(?tagged)) }')
    out = unwrap_str(q, {"name": Literal("中关村"), "iri": URIRef("urn:x"), "tagged": Literal("x", lang="zh")})
    assert "LCASE(?name)" in out and "LCASE(STR(?m))" in out
    assert out.count("STR(?name)") == 3  # the comment, the IRI and the string are left as written
    assert "STR(?iri) != STR(?tagged)" in out  # STR of an IRI or a tagged literal is another value
    assert unwrap_str(q, {}) == q


def test_unwrap_str_keeps_every_canned_answer(store):
    """A string parameter drawn from the answer: the rewritten text gives the same rows."""
    checked = 0
    for name, query in QUERIES.items():
        strings = [p for p in query.params if p.type == ParamType.STRING]
        if not strings:
            continue
        full = store.query(query.text)
        for p in strings:
            values = [r[p.sample_column] for r in full.rows if r.get(p.sample_column) is not None]
            if not values:
                continue
            bound = {p.name: Literal(str(values[0]))}
            rewritten = unwrap_str(query.text, bound)
            assert rewritten != query.text or "STR(?" + p.name not in query.text, name
            assert store.query(rewritten, bindings=bound).rows == store.query(query.text, bindings=bound).rows, name
            checked += 1
    assert checked >= 4


def test_lateral_wraps_only_plain_optionals_of_the_outer_group():
    q = ("SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s <urn:a> ?a } "
         "OPTIONAL { { ?s <urn:b> ?b } UNION { ?s <urn:c> ?b } } "
         "{ SELECT ?s WHERE { ?s ?p ?o OPTIONAL { ?s <urn:d> ?d } } } }")
    out = lateral_optionals(q)
    assert out.count("LATERAL") == 1
    assert "LATERAL { OPTIONAL { ?s <urn:a> ?a } }" in out


def test_inline_subselects_when_bound_and_only_where_the_subquery_keeps_every_variable():
    q = ("SELECT * WHERE { { SELECT ?e ?s WHERE { ?e <urn:s> ?s } } "
         "OPTIONAL { SELECT ?e ?o WHERE { ?e <urn:o> ?o } } "
         "{ SELECT ?e WHERE { ?e <urn:t> ?hidden } } "
         "{ SELECT ?e ?f WHERE { ?e <urn:f> ?f FILTER(?f > 1) } } }")
    assert inline_subselects(q, frozenset({"threshold"})) == q  # no pattern reads it: scans stay
    dotted = "SELECT * WHERE { ?x <urn:a> ?s . { SELECT ?e ?s WHERE { ?e <urn:s> ?s . } } ?e <urn:b> ?x }"
    assert inline_subselects(dotted) == "SELECT * WHERE { ?x <urn:a> ?s . ?e <urn:s> ?s . ?e <urn:b> ?x }"
    out = inline_subselects(q, frozenset({"s"}))
    assert "WHERE { ?e <urn:s> ?s . OPTIONAL { ?e <urn:o> ?o } " in out  # braces only where needed
    assert "{ SELECT ?e WHERE { ?e <urn:t> ?hidden } }" in out  # ?hidden would change the rows
    assert "{ SELECT ?e ?f WHERE { ?e <urn:f> ?f FILTER(?f > 1) } }" in out
    # the canned query written this way turns back into plain patterns and per-row OPTIONALs
    plain = lateral_optionals(inline_subselects(QUERIES["fact-evidence"].text, frozenset({"object"})))
    assert "SELECT ?ev" not in plain and plain.count("LATERAL { OPTIONAL {") == 4


def test_per_row_is_asked_by_its_own_comment_line_only():
    assert wants_per_row("# title: t\n# plan: per-row\nSELECT * WHERE { ?s ?p ?o }")
    assert not wants_per_row('SELECT * WHERE { ?s ?p "# plan: per-row" }')
    assert not wants_per_row("# plan: per-row is what the others do not ask for\nSELECT * { ?s ?p ?o }")
    assert wants_per_row(QUERIES["timeline"].text) and not wants_per_row(QUERIES["shared-sponsor"].text)


def test_hint_values_opens_the_outer_group_with_escaped_terms():
    q = "SELECT ?x ?n WHERE { ?x <urn:name> ?n }"
    out = hint_values(q, {"n": Literal('a" } DROP ALL #'), "x": URIRef("urn:x")})
    assert out.startswith('SELECT ?x ?n WHERE { VALUES (?n ?x) { ("a\\" } DROP ALL #" <urn:x>) }')
    assert scan_groups(out)[0].close == len(out) - 1  # the value did not open or close a group


CASES = [(q.name, None) for q in QUERIES.values()] + [(q.name, p.name) for q in QUERIES.values() for p in q.params]


@pytest.mark.parametrize(("name", "param"), CASES)
def test_plan_hints_never_change_an_answer(store, name, param):
    """Every canned query, unbound and with each parameter bound to a value from its answer."""
    query = QUERIES[name]
    values = [None]
    if param:
        column = query.param(param).sample_column
        rows = result_records(store.query(query.text))
        values = sorted({json.dumps(r[column]) for r in rows if r.get(column) is not None})[:3]
        assert values, f"{name}: no sample for {param}"
        values = [json.loads(v) for v in values]
    for value in values:
        bindings = dict(bind_params(query, {param: str(value)})) if param else {}
        hinted = result_records(store.query(query.text, bindings=dict(bindings)))
        plain = result_records(store.query(query.text, bindings=dict(bindings), plan_hints=False))
        key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)  # noqa: E731
        assert sorted(hinted, key=key) == sorted(plain, key=key), f"{name} {param}={value}"
