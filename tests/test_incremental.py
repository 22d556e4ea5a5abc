"""Incremental builds: add, unchanged (skipped), changed, removed — equal to a clean rebuild, quad for quad."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import CORPUS_FILES, FIXED_TIME

import graph.pipeline as pipeline
from graph.incremental import cache_file, load_manifest
from graph.iris import document_graph_iri
from graph.store import open_store
from graph.vocab import META_GRAPH


def quads(path: Path) -> set[str]:
    """The quads of a TriG file as N-Quads lines, blank nodes canonicalised (RDFC) so they compare."""
    ds = ox.Dataset(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(ox.serialize(ds, format=ox.RdfFormat.N_QUADS).decode().splitlines())


def assert_same(expected: Path, actual: Path) -> None:
    exp, act = quads(expected), quads(actual)
    only_exp, only_act = sorted(exp - act)[:15], sorted(act - exp)[:15]
    assert not only_exp and not only_act, (
        "only in the clean rebuild:\n" + "\n".join(only_exp) + "\nonly in the incremental build:\n"
        + "\n".join(only_act))


POST_BUILD_MODULES = ("graph.link", "graph.validate", "graph.visualize", "graph.analyze")


@pytest.fixture(autouse=True)
def no_post_build(monkeypatch) -> None:
    """Skip the later stages' post-build steps (linking, reasoning, the page): these tests are about the
    document graphs, and the reasoner alone would cost seconds per build. The derived graphs are
    rebuilt from the document graphs by those steps (tests/test_pipeline.py covers them)."""
    import importlib

    for name in POST_BUILD_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, "post_build"):
            monkeypatch.setattr(module, "post_build", lambda *a, **k: None)


@pytest.fixture
def counting_extract(monkeypatch) -> list[str]:
    """Record every document the pipeline extracts (builds below run with one worker, in-process)."""
    seen: list[str] = []
    real = pipeline.extract

    def spy(doc):
        seen.append(doc.doc_id)
        return real(doc)

    monkeypatch.setattr(pipeline, "extract", spy)
    return seen


def run(src: list[Path] | Path, out: Path, **kw):
    report, _ = pipeline.build(src if isinstance(src, list) else [src], out, workers=1, timestamp=FIXED_TIME, **kw)
    assert report.ok, report.errors
    return report


def test_add_unchanged_changed_removed_equals_clean_rebuild(tmp_path: Path, counting_extract) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    first, second, third = CORPUS_FILES[:3]
    for f in (first, second):
        shutil.copy(f, src / f.name)

    # add: two documents, then a third one; only the new one is extracted
    run(src, out)
    assert sorted(counting_extract) == sorted(p.stem for p in (first, second))
    cached = cache_file(out, first.stem).stat().st_mtime_ns
    counting_extract.clear()
    shutil.copy(third, src / third.name)
    report = run(src, out)
    assert counting_extract == [third.stem]
    assert report.extras["skipped"] == sorted(p.stem for p in (first, second))
    assert cache_file(out, first.stem).stat().st_mtime_ns == cached  # not rewritten

    # unchanged: nothing is extracted, the graph is the same
    before = quads(out / "graph.trig")
    counting_extract.clear()
    run(src, out)
    assert counting_extract == []
    assert quads(out / "graph.trig") == before

    # changed: the edited document alone is re-extracted and replaces its graph
    edited = src / second.name
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThe park was later renamed.\n", encoding="utf-8")
    counting_extract.clear()
    run(src, out)
    assert counting_extract == [second.stem]
    assert load_manifest(out).documents[second.stem].sha256 != ""

    # removed: its named graph, meta entries and cached quads are gone
    (src / first.name).unlink()
    run([], out, remove=[first.name])
    assert first.stem not in load_manifest(out).documents
    assert not cache_file(out, first.stem).exists()
    store = open_store(out)
    assert str(document_graph_iri(first.stem)) not in store.graphs()
    ask = "ASK { GRAPH ?meta { ?g ?p ?o } }"
    assert store.query(ask, bindings={"meta": META_GRAPH, "g": document_graph_iri(first.stem)}).boolean is False
    store.close()

    # the result equals a clean rebuild of the same documents, quad for quad, and byte for byte
    # although the clean build loads its in-memory copy while it extracts (MemoryMirror) and the
    # incremental one from the cache files
    assert report.extras["memory store"] == "loaded from the cache"
    clean = tmp_path / "clean"
    assert run(src, clean).extras["memory store"] == "loaded during extraction"
    assert_same(clean / "graph.trig", out / "graph.trig")
    assert (clean / "graph.trig").read_bytes() == (out / "graph.trig").read_bytes()
    # and the embedded store holds exactly graph.trig
    store = open_store(out)
    assert store.read_only is False
    assert len(store) == len(quads(out / "graph.trig"))
    store.close()


def test_unchanged_document_keeps_its_entity_iris(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy(CORPUS_FILES[0], src / CORPUS_FILES[0].name)
    run(src, out)
    graph = str(document_graph_iri(CORPUS_FILES[0].stem))
    q = ("SELECT DISTINCT ?e WHERE { GRAPH ?g { ?e a ?c } "
         "FILTER(STRSTARTS(STR(?e), \"https://w3id.org/parkgraph/id/\")) }")

    def entities() -> set[str]:
        store = open_store(out)
        try:
            return {str(r["e"]) for r in store.query(q, bindings={"g": graph}).rows}
        finally:
            store.close()

    before = entities()
    assert before
    shutil.copy(CORPUS_FILES[1], src / CORPUS_FILES[1].name)
    run(src, out)
    assert entities() == before


def test_remove_command_and_unknown_document(tmp_path: Path) -> None:
    from graph.cli import main

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for f in CORPUS_FILES[:2]:
        shutil.copy(f, src / f.name)
    run(src, out)
    before = (out / "graph.trig").read_bytes()
    runner = CliRunner()
    bad = runner.invoke(main, ["remove", "no-such-doc", "--out", str(out)])
    assert bad.exit_code != 0
    assert "no-such-doc: no such document" in bad.output
    assert (out / "graph.trig").read_bytes() == before  # nothing changed
    ok = runner.invoke(main, ["remove", CORPUS_FILES[0].stem, "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "1 removed" in ok.output
    assert list(load_manifest(out).documents) == [CORPUS_FILES[1].stem]


def test_changed_extraction_code_rebuilds_everything(tmp_path: Path, counting_extract, monkeypatch) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy(CORPUS_FILES[0], src / CORPUS_FILES[0].name)
    run(src, out)
    counting_extract.clear()
    monkeypatch.setattr(pipeline, "code_fingerprint", lambda: "another-version")
    run(src, out)
    assert counting_extract == [CORPUS_FILES[0].stem]
