"""The whole pipeline through the real command line: bad input, atomic output, determinism, stable IRIs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS_FILES, FIXED_TIME, compare_datasets
from rdflib import Dataset
from rdflib.namespace import PROV, RDF

from graph.ingest import MAX_BYTES, doc_id_for
from graph.iris import document_graph_iri, document_iri
from graph.paths import CORPUS_DIR
from graph.vocab import PG, EntityClass

PARKGRAPH = str(Path(sys.executable).with_name("parkgraph"))
GOOD = CORPUS_FILES[1]


BAD_CASES = {
    "empty.txt": "empty",
    "blank.md": "whitespace",
    "binary.txt": "binary",
    "latin1.txt": "UTF-8",
    "huge.txt": "too large",
    "dangling.txt": "broken symbolic link",
    "pipe.txt": "not a regular file",
    "unreadable.txt": "cannot read",
}


def make_bad(folder: Path, prefix: str = "", unreadable: str = "/proc/self/mem") -> list[Path]:
    """Write one file per kind of bad input (BAD_CASES, names prefixed) into `folder`.

    `unreadable` is a file the kernel refuses to read (EIO): root reads any file whatever its mode.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prefix}empty.txt").write_bytes(b"")
    (folder / f"{prefix}blank.md").write_bytes(b" \n\t \n\n")
    (folder / f"{prefix}binary.txt").write_bytes(b"PK\x03\x04\x00\x00\x14\x00" * 64)
    (folder / f"{prefix}latin1.txt").write_bytes("Zhongguancun Park, caf\u00e9 district.\n".encode("latin-1"))
    (folder / f"{prefix}huge.txt").write_bytes(b"Big text. " * (MAX_BYTES // 10 + 1))
    (folder / f"{prefix}dangling.txt").symlink_to(folder / "vanished.txt")
    os.mkfifo(folder / f"{prefix}pipe.txt")  # reading it would block forever: must be refused before reading
    (folder / f"{prefix}unreadable.txt").symlink_to(unreadable)
    return [folder / f"{prefix}{name}" for name in BAD_CASES]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PARKGRAPH, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    """One real `parkgraph build` of a good document beside every kind of bad one, in a folder and named."""
    root = tmp_path_factory.mktemp("bad")
    make_bad(root / "folder")
    shutil.copy(GOOD, root / "folder" / GOOD.name)
    # Another path to an unreadable file: two links to one target are one document to the build.
    named = make_bad(root / "named", prefix="named-", unreadable="/proc/thread-self/mem")
    proc = run_cli("build", str(root / "folder"), *map(str, named), "--out", str(root / "out"), "--quiet",
                   "--workers", "1")
    return proc, root


def test_bad_input_fails_the_run_but_good_files_build(bad_build) -> None:
    proc, root = bad_build
    assert proc.returncode != 0, proc.stdout + proc.stderr
    ds = Dataset()
    ds.parse(root / "out" / "graph.trig", format="trig")
    names = {str(g.identifier) for g in ds.graphs()}
    assert str(document_graph_iri(doc_id_for(GOOD.name))) in names
    for bad in BAD_CASES:
        assert str(document_graph_iri(doc_id_for(bad))) not in names
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("where", ["folder", "named"])
@pytest.mark.parametrize("name", list(BAD_CASES))
def test_each_bad_file_gets_one_clear_line(bad_build, where: str, name: str) -> None:
    proc, root = bad_build
    path = root / where / (name if where == "folder" else f"named-{name}")
    lines = [ln for ln in proc.stderr.splitlines() if ln.rstrip().split(":")[:2] == ["error", f" {path}"]]
    assert len(lines) == 1, f"expected one line about {path}, got {lines!r}\n{proc.stderr}"
    assert BAD_CASES[name] in lines[0], lines[0]


def test_no_readable_document_keeps_the_earlier_graph(tmp_path: Path, corpus_build) -> None:
    out = tmp_path / "out"
    shutil.copytree(corpus_build.out_dir, out)
    before = Dataset()
    before.parse(out / "graph.trig", format="trig")
    bad = make_bad(tmp_path / "bad")
    again = run_cli("build", str(tmp_path / "bad"), "--out", str(out), "--quiet", "--workers", "1")
    assert again.returncode != 0
    assert len([ln for ln in again.stderr.splitlines() if ln.startswith("error:")]) == len(bad), again.stderr
    # An incremental build may rewrite the folder from what it holds, but must never lose content;
    # build times are volatile (a rebuild stamps its own), so they are left out of the comparison.
    after = Dataset()
    after.parse(out / "graph.trig", format="trig")
    for ds in (before, after):
        ds.remove((None, PROV.generatedAtTime, None, None))
    assert compare_datasets(before, after) == []


def test_crash_while_writing_leaves_the_earlier_graph_whole(tmp_path: Path, monkeypatch, corpus_build) -> None:
    import graph.pipeline as pipeline
    from graph.cli import main

    out = tmp_path / "out"
    shutil.copytree(corpus_build.out_dir, out)
    before = (out / "graph.trig").read_bytes()
    real_write_atomic = pipeline.write_atomic
    crashed = []

    def crash_half_way(path: Path, write) -> None:
        if path.name != "graph.trig":
            return real_write_atomic(path, write)

        def write_half_then_fail(tmp: Path) -> None:
            write(tmp)
            data = tmp.read_bytes()
            tmp.write_bytes(data[: len(data) // 2])
            crashed.append(tmp)
            raise OSError(28, "No space left on device")

        return real_write_atomic(path, write_half_then_fail)

    monkeypatch.setattr(pipeline, "write_atomic", crash_half_way)
    result = CliRunner().invoke(main, ["build", str(GOOD), "--out", str(out), "--quiet", "--workers", "1"])
    assert crashed, "graph.trig was not written through write_atomic"
    assert result.exit_code != 0
    assert (out / "graph.trig").read_bytes() == before
    assert not list(out.glob(".graph.trig*")), "temporary file left behind"


def test_same_input_gives_byte_identical_output_across_processes(tmp_path: Path, corpus_build) -> None:
    # Another process, another hash seed, another worker count: the bytes must not change.
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    epoch = str(int(FIXED_TIME.timestamp()))
    proc = run_cli("build", str(CORPUS_DIR), "--out", str(tmp_path / "again"), "--quiet", "--workers", "2",
                   env={"PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": epoch})
    assert proc.returncode == 0, proc.stderr
    first = (corpus_build.out_dir / "graph.trig").read_bytes()
    second = (tmp_path / "again" / "graph.trig").read_bytes()
    assert len(first) > 10_000
    if first != second:
        import difflib

        diff = list(difflib.unified_diff(first.decode().splitlines(), second.decode().splitlines(), lineterm="", n=0))
        pytest.fail("graph.trig differs between two builds of the same input:\n" + "\n".join(diff[:30]))


def _entities_of(ds: Dataset, doc_id: str) -> dict[str, set[str]]:
    g = ds.graph(document_graph_iri(doc_id))
    classes = {c.iri for c in EntityClass}
    out: dict[str, set[str]] = {}
    for e in g.subjects(PG.mentionedIn, document_iri(doc_id)):
        out[str(e)] = {str(c) for c in g.objects(e, RDF.type) if c in classes}
    return out


@pytest.mark.parametrize("path", CORPUS_FILES[2:3], ids=[p.stem for p in CORPUS_FILES[2:3]])
def test_entities_keep_their_iris_when_documents_are_added(path: Path, tmp_path: Path, corpus_build) -> None:
    from graph.pipeline import build

    report, trig = build([path], tmp_path / "alone", workers=1, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    assert trig == tmp_path / "alone" / "graph.trig"
    alone = Dataset()
    alone.parse(trig, format="trig")
    doc_id = doc_id_for(path.name)
    by_itself = _entities_of(alone, doc_id)
    assert by_itself, f"{path.name}: no entities"
    assert _entities_of(corpus_build.dataset, doc_id) == by_itself
