"""Shared fixtures: the bundled corpus, one corpus build per session, and golden files per stage.

Golden files live in tests/golden/<stage>/<doc>.<ext>. `pytest --update-goldens` rewrites them from
the current code (review the diff before committing); without it a missing or different golden
fails the test with a readable diff. RDF goldens are compared as graphs (isomorphism per named
graph), so blank-node labels and serialisation order never cause a failure.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import XSD
from rdflib.term import Node

from graph.paths import CACHE_ENV, CORPUS_DIR

GOLDEN_DIR = Path(__file__).parent / "golden"
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.txt"))
# Pinned so goldens and repeated builds do not depend on file modification times.
FIXED_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="session", autouse=True)
def _reference_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reference index cache of this test run (and of the commands it starts), not the user's."""
    import os

    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/<stage>/ files from the current code instead of comparing.",
    )


@dataclass
class CorpusBuild:
    """A build of the bundled corpus: its folder, report, and the parsed graph.trig."""

    out_dir: Path
    report: object  # graph.pipeline.BuildReport
    dataset: Dataset


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> CorpusBuild:
    """The bundled corpus built once per session through the real pipeline (post-build hooks included)."""
    from graph.pipeline import build  # imported here so a broken extractor fails tests, not collection

    out = tmp_path_factory.mktemp("corpus-build")
    report, _ = build([CORPUS_DIR], out, workers=1, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    ds = Dataset()
    ds.parse(out / "graph.trig", format="trig")
    return CorpusBuild(out_dir=out, report=report, dataset=ds)


class Goldens:
    """Compare stage outputs with tests/golden/<stage>/ files, or rewrite them with --update-goldens."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def path(self, stage: str, name: str) -> Path:
        return GOLDEN_DIR / stage / name

    def check_json(self, stage: str, name: str, data: object) -> None:
        """Fail with a unified diff when `data` differs from golden/<stage>/<name>."""
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        path = self.path(stage, name)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run `pytest --update-goldens` and review it")
        expected = path.read_text(encoding="utf-8")
        if expected != text:
            diff = "".join(
                list(difflib.unified_diff(
                    expected.splitlines(True), text.splitlines(True), "expected", "actual", n=2
                ))[:120]
            )
            pytest.fail(f"{path} differs (run `pytest --update-goldens` if the change is intended):\n{diff}")

    def check_dataset(self, stage: str, name: str, actual: Dataset) -> None:
        """Fail unless every named graph of `actual` is isomorphic to the golden TriG's; show the difference."""
        path = self.path(stage, name)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            actual.serialize(destination=str(path), format="trig")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run `pytest --update-goldens` and review it")
        expected = Dataset()
        expected.parse(path, format="trig")
        problems = compare_datasets(expected, actual)
        if problems:
            pytest.fail(f"{path} differs (run `pytest --update-goldens` if intended):\n" + "\n".join(problems))


def canonical(term: Node) -> Node:
    """One lexical form per value for numbers: TriG writes decimal 3000000 as `3000000.0`."""
    if isinstance(term, Literal) and term.datatype == XSD.decimal and isinstance(term.value, Decimal):
        return Literal(format(term.value.normalize(), "f"), datatype=XSD.decimal)
    if isinstance(term, Literal) and term.datatype == XSD.double and isinstance(term.value, float):
        return Literal(repr(term.value), datatype=XSD.double)
    return term


def named_graphs(ds: Dataset) -> dict[URIRef, Graph]:
    """The non-empty named graphs of a dataset by name (the default graph included if non-empty)."""
    out: dict[URIRef, Graph] = {}
    for g in ds.graphs():
        if len(g):
            copy = Graph()
            for s, p, o in g:
                copy.add((s, p, canonical(o)))
            out[g.identifier] = copy
    return out


def compare_datasets(expected: Dataset, actual: Dataset, *, limit: int = 40) -> list[str]:
    """Human-readable differences between two datasets, graph by graph; empty when they match."""
    exp, act = named_graphs(expected), named_graphs(actual)
    problems = [f"graph only in expected: {g}" for g in sorted(set(exp) - set(act))]
    problems += [f"graph only in actual: {g}" for g in sorted(set(act) - set(exp))]
    for name in sorted(set(exp) & set(act)):
        if to_isomorphic(exp[name]) == to_isomorphic(act[name]):
            continue
        _, only_exp, only_act = graph_diff(to_isomorphic(exp[name]), to_isomorphic(act[name]))
        problems.append(f"graph {name}:")
        problems += [f"  only in expected: {' '.join(t.n3() for t in tr)}" for tr in sorted(only_exp)[:limit]]
        problems += [f"  only in actual:   {' '.join(t.n3() for t in tr)}" for tr in sorted(only_act)[:limit]]
    return problems


@pytest.fixture
def goldens(request: pytest.FixtureRequest) -> Iterator[Goldens]:
    """Golden-file checker; `pytest --update-goldens` turns every check into a rewrite."""
    yield Goldens(update=bool(request.config.getoption("--update-goldens")))
