"""Validation: every SHACL shape and SPARQL check is silent on good graphs and fires on one built to trip it.

Rules are discovered from ontology/shapes.ttl and queries/checks/*.rq, so adding a rule adds its
tests; each needs tests/fixtures/trip/<rule>.json (see tests/fixtures/trip_graphs.py).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.trip_graphs import TRIP_DIR, dataset, entity_iris, load_spec
from rdflib import Graph
from rdflib.namespace import SH

from graph.checks import CheckError, Severity, load_check, load_checks
from graph.paths import SHAPES_FILE
from graph.validate import ValidationReport, format_finding, load_graph, validate
from graph.vocab import RDF

SEVERITY = {SH.Violation: Severity.ERROR, SH.Warning: Severity.WARNING, SH.Info: Severity.INFO}


def _shape_rules() -> dict[str, Severity]:
    """Named node shapes -> their worst severity (the node's own or its property shapes')."""
    g = Graph().parse(SHAPES_FILE, format="turtle")
    rules = {}
    for shape in g.subjects(RDF.type, SH.NodeShape):
        sevs = [g.value(shape, SH.severity)] + [g.value(p, SH.severity) for p in g.objects(shape, SH.property)]
        ranked = [SEVERITY[s] for s in sevs if s is not None] or [Severity.ERROR]
        rules[f"shape:{str(shape).rsplit('#', 1)[-1]}"] = min(ranked, key=lambda s: s.rank)
    return rules


RULES = {**_shape_rules(), **{f"check:{c.name}": c.severity for c in load_checks()}}
RULE_IDS = sorted(RULES)


def _spec_name(rule: str) -> str:
    return rule.split(":", 1)[1]


@functools.cache
def _validated(name: str, part: str) -> ValidationReport:
    return validate(dataset(load_spec(name)[part]), run_reasoner=False)


def test_rules_were_discovered() -> None:
    assert sum(r.startswith("shape:") for r in RULES) >= 10
    assert sum(r.startswith("check:") for r in RULES) >= 5


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_has_a_trip_fixture(rule: str) -> None:
    path = TRIP_DIR / f"{_spec_name(rule)}.json"
    assert path.is_file(), f"{rule}: add {path} (a graph that trips it and its repaired twin)"
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert {"about", "expect", "bad", "good"} <= set(spec)


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_fires_on_its_trip_graph(rule: str) -> None:
    name = _spec_name(rule)
    spec = load_spec(name)
    expected = str(entity_iris(spec["bad"])[spec["expect"]])
    hits = [f for f in _validated(name, "bad").findings if f.source == rule]
    assert hits, f"{rule} did not fire on tests/fixtures/trip/{name}.json"
    mine = [f for f in hits if f.focus == expected]
    assert mine, f"{rule} fired on {[f.focus for f in hits]}, expected {expected}"
    for f in mine:
        assert f.severity is RULES[rule]
        assert "{" not in f.message and "}" not in f.message, f.message
        assert f.document, f"{rule}: finding names no document"
        if spec.get("expect_sentence", True):
            assert f.sentence, f"{rule}: finding quotes no sentence"
            texts = "\n".join(d["text"] for d in _docs(spec["bad"]))
            assert f.sentence in texts


def _docs(part: dict) -> list[dict]:
    from fixtures.trip_graphs import documents

    return documents(part)


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_is_silent_on_the_repaired_twin(rule: str) -> None:
    name = _spec_name(rule)
    hits = [format_finding(f) for f in _validated(name, "good").findings if f.source == rule]
    assert not hits, "\n".join(hits)


def test_base_graph_is_clean() -> None:
    report = validate(dataset(load_spec("_base")), run_reasoner=False)
    assert report.findings == [], "\n".join(format_finding(f) for f in report.findings)


@pytest.fixture(scope="module")
def corpus_validation(corpus_build) -> ValidationReport:
    ds, store = load_graph(corpus_build.out_dir)
    return validate(ds, store=store, run_reasoner=False)


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_on_the_bundled_corpus(rule: str, corpus_validation: ValidationReport) -> None:
    """Errors must be silent on the corpus; warnings may fire (the articles are incomplete) but
    each must name its entity and the document, and quote a sentence when there is one."""
    hits = [f for f in corpus_validation.findings if f.source == rule]
    if RULES[rule] is Severity.ERROR:
        assert not hits, "extraction mistake or wrong rule:\n" + "\n".join(format_finding(f) for f in hits)
    for f in hits:
        assert f.focus and f.document and "{" not in f.message, format_finding(f)


def test_corpus_passes_check(corpus_validation: ValidationReport) -> None:
    errors = [format_finding(f) for f in corpus_validation.findings if f.severity is Severity.ERROR]
    assert corpus_validation.ok, "\n".join(errors)


def test_build_runs_the_checks(corpus_build) -> None:
    report_file = corpus_build.out_dir / "check.txt"
    assert report_file.is_file()
    first = report_file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("check: 0 errors")
    assert any(line.startswith("check: ") for line in corpus_build.report.extras["summary_lines"])


def test_check_file_without_severity_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    head = "# title: t\n# severity: error\n# message: m\n"
    cases = [
        ("# title: t\n# message: {focus}\nSELECT ?focus WHERE { ?focus ?p ?o } ORDER BY ?focus\n", "severity"),
        ("# title: t\n# severity: error\n# message: {nope}\nSELECT ?focus WHERE { ?focus ?p ?o }\n", "nope"),
        (head + "SELECT ?focus WHERE { ?focus ?p }\n", "syntax"),
        (head + "# cycles: ex:in\nSELECT ?focus ?other WHERE { ?focus ?p ?other }\n",
         r"bad\.rq: '# cycles:' names 'ex:in'"),
        (head + "# cycles: <urn:x:in>\nSELECT ?focus WHERE { ?focus ?p ?o }\n",
         r"bad\.rq: .*must SELECT \?focus and \?other"),
        (head + "# contained-names: ^<urn:x:in>\nSELECT ?focus ?other WHERE { ?focus ?p ?other }\n",
         r"bad\.rq: '# contained-names:' lists properties, none read backwards"),
        (head + "# contained-names: <urn:x:in>\nSELECT ?focus WHERE { ?focus ?p ?o }\n",
         r"bad\.rq: .*contained-names.*must SELECT \?focus and \?other"),
    ]
    for text, message in cases:
        bad.write_text(text)
        with pytest.raises(CheckError, match=message):
            load_check(bad)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "parkgraph"), *args],
                          capture_output=True, text=True, timeout=120)


def test_check_command_exit_codes(corpus_build, tmp_path: Path) -> None:
    ok = _cli("check", "--graph", str(corpus_build.out_dir), "--no-reason")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 errors" in ok.stdout
    bad_file = tmp_path / "planted.trig"
    dataset(load_spec("IssuedByShape")["bad"]).serialize(bad_file, format="trig")
    bad = _cli("check", "--graph", str(bad_file), "--no-reason", "--min-severity", "error")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "The Lanshan Robotics Park issued the Plan for Robotics Growth." in bad.stdout
    assert "document: extra.txt" in bad.stdout
    missing = _cli("check", "--graph", str(tmp_path / "nothing-here"))
    assert missing.returncode == 1 and "nothing-here" in missing.stderr


def test_cycle_shortcut_finds_what_the_plain_query_finds() -> None:
    """The `# cycles:` header only narrows where the path starts: the same findings with and
    without it, on the trip graph and on a loop closed through the inferred graph (a `contains`
    statement the reasoner turns around)."""
    import copy
    import dataclasses

    from graph.checks import CHECKS_DIR, run_check
    from graph.reason import inferred_ntriples, reason
    from graph.validate import store_from_dataset
    from graph.vocab import INFERRED_GRAPH

    check = load_check(CHECKS_DIR / "containment-cycle.rq")
    assert check.cycles, "containment-cycle.rq lost its '# cycles:' header"
    plain = dataclasses.replace(check, cycles=())
    spec = load_spec("containment-cycle")
    through_inverse = copy.deepcopy(spec["good"])  # district locatedIn city; the city is said to be inside it
    through_inverse["add"] = ("<https://w3id.org/parkgraph/graph/doc/base> { "
                              "<https://w3id.org/parkgraph/id/place/lanshan-district> pg:contains "
                              "<https://w3id.org/parkgraph/id/place/qinghe-city> . }")
    for part, expect in ((spec["bad"], "district"), (through_inverse, "district"), (spec["good"], None)):
        ds = dataset(part)
        store = store_from_dataset(ds)
        result = reason(store)
        store.put_graph_sorted(str(INFERRED_GRAPH), inferred_ntriples(result, store),
                               media_type="application/n-triples")
        fast, slow = run_check(store, check), run_check(store, plain)
        assert fast == slow
        focus = {f.focus for f in fast}
        if expect is None:
            assert not fast
        else:
            assert str(entity_iris(part)[expect]) in focus


def test_contained_names_shortcut_finds_what_the_plain_query_finds(corpus_build) -> None:
    """The `# contained-names:` header only narrows which pairs likely-duplicates.rq compares: the
    same findings with and without it, on its trip graph (bad and good) and on the corpus, whose
    duplicates are pairs of different classes and places the query must still tell apart."""
    import dataclasses

    from graph.checks import CHECKS_DIR, contained_name_candidates, run_check
    from graph.store import open_store
    from graph.validate import store_from_dataset

    check = load_check(CHECKS_DIR / "likely-duplicates.rq")
    assert check.contained_names, "likely-duplicates.rq lost its '# contained-names:' header"
    plain = dataclasses.replace(check, contained_names=())
    spec = load_spec("likely-duplicates")
    stores = [store_from_dataset(dataset(spec["bad"])), store_from_dataset(dataset(spec["good"])),
              open_store(corpus_build.out_dir)]
    found = []
    for store in stores:
        fast, slow = run_check(store, check), run_check(store, plain)
        assert fast == slow
        found.append(len(fast))
        candidates = contained_name_candidates(store, check.contained_names)
        assert {f.focus for f in fast} <= {str(a) for a, _ in candidates}
    assert found[0] > 0 and found[1] == 0
