"""The wheel carries everything the code looks for (ontology, queries, corpus, reference data) and works
away from the checkout.

Why unzip instead of a fresh venv: installing the dependencies again would take minutes; a wheel is a
zip laid out as site-packages, so putting the unpacked wheel first on PYTHONPATH (the venv still
supplies rdflib and friends) checks the same thing: graph.paths finds its files inside the package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (path,) = out.glob("parkgraph-*.whl")
    return path


def shipped(folder: str, pattern: str) -> list[str]:
    """Files of a checkout folder that the wheel must carry, as posix paths relative to ROOT."""
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob(pattern) if p.is_file())


def test_wheel_contains_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "graph/_share/ontology/parkgraph.ttl" in names
    expected = [f"graph/_share/{p}" for p in shipped("ontology", "*.ttl") + shipped("queries", "*.rq")]
    expected += shipped("graph/corpus", "*.txt") + shipped("graph/reference", "*.csv")
    expected += ["graph/reference/README.md"]
    assert len(shipped("graph/corpus", "*.txt")) >= 5 and shipped("graph/reference", "*.csv")
    missing = [n for n in expected if n not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert not [n for n in names if n.startswith(("tests/", "out")) or "__pycache__" in n]


def test_unpacked_wheel_finds_its_files_and_builds(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import graph, graph.paths as p
        site = Path(sys.argv[1]).resolve()
        assert Path(graph.__file__).resolve().is_relative_to(site), graph.__file__
        for f in (p.ONTOLOGY_FILE, p.QUERIES_DIR, p.CORPUS_DIR, p.REFERENCE_DIR):
            assert f.resolve().is_relative_to(site) and f.exists(), f
        assert p.ONTOLOGY_FILE.resolve().parent.parent.name == "_share"
        from graph.cli import main
        main(["build", "--out", sys.argv[2], "--quiet", "--workers", "1"])
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(site), str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(shipped('graph/corpus', '*.txt'))} documents" in proc.stdout, proc.stdout
    assert (tmp_path / "out" / "graph.trig").stat().st_size > 10_000
