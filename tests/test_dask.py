"""Parallel extraction: inline, a local process pool and a Dask LocalCluster give the same graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS_FILES, FIXED_TIME
from test_incremental import no_post_build, quads  # noqa: F401  (fixture used by every test here)

from graph.incremental import cache_file
from graph.paths import CORPUS_DIR
from graph.pipeline import build

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")


def test_dask_local_cluster_and_process_pool_match_inline(tmp_path: Path) -> None:
    inline, pool, dask_out = tmp_path / "inline", tmp_path / "pool", tmp_path / "dask"
    report, _ = build([CORPUS_DIR], inline, workers=1, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    report, _ = build([CORPUS_DIR], pool, workers=2, timestamp=FIXED_TIME)
    assert report.ok, report.errors
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream:
            report, _ = build([CORPUS_DIR], dask_out, dask=client, timestamp=FIXED_TIME)
        assert report.ok, report.errors
        assert sorted(report.extras["extracted"]) == sorted(p.stem for p in CORPUS_FILES)
        # the cluster really ran the per-document step
        assert any("_process_batch" in str(task["key"]) for task in stream.data)
    expected = quads(inline / "graph.trig")
    assert len(expected) > 1000
    assert quads(pool / "graph.trig") == expected
    assert quads(dask_out / "graph.trig") == expected
    for f in CORPUS_FILES:  # the per-document outputs are byte-identical, not just equivalent
        data = cache_file(inline, f.stem).read_bytes()
        assert cache_file(pool, f.stem).read_bytes() == data
        assert cache_file(dask_out, f.stem).read_bytes() == data


def test_unreachable_dask_scheduler_is_one_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from graph.cli import main

    result = CliRunner().invoke(main, ["build", str(CORPUS_FILES[0]), "--out", str(tmp_path / "o"), "--quiet",
                                       "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "build failed" in result.output
