"""graph.forked: a step in a forked child sees the parent's store and hands back its answer or its error."""

from __future__ import annotations

import os
import sys
import threading
import time

import pyoxigraph as ox
import pytest

from graph.forked import ForkedError, fork_call
from graph.paths import ONTOLOGY_FILE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")


def _count(store: ox.Store) -> int:
    return len(store)


def test_the_child_reads_the_parents_store_as_it_was_at_the_fork() -> None:
    store = ox.Store()
    store.load(ONTOLOGY_FILE.read_bytes(), format=ox.RdfFormat.TURTLE)
    before = len(store)
    job = fork_call("count", _count, store)
    assert job is not None
    # the parent changes its store at once; the child's copy-on-write view keeps the fork's state
    store.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("new")))
    assert job.result() == before
    assert len(store) == before + 1


def test_the_child_runs_while_a_thread_of_the_parent_is_busy() -> None:
    # the build forks while its store writer thread loads RocksDB: the child must not need that thread
    stop = threading.Event()
    worker = threading.Thread(target=lambda: stop.wait(10))
    worker.start()
    try:
        job = fork_call("sum", sum, range(1000))
        assert job is not None and job.result() == 499500
    finally:
        stop.set()
        worker.join()


def _fail() -> None:
    raise ValueError("page cannot be drawn")


def _die() -> None:
    os._exit(3)


def test_an_error_in_the_child_comes_back_with_its_message() -> None:
    job = fork_call("page", _fail)
    with pytest.raises(ForkedError, match="page: ValueError: page cannot be drawn"):
        job.result()


def test_a_child_that_dies_is_reported_with_its_exit_code() -> None:
    job = fork_call("page", _die)
    with pytest.raises(ForkedError, match="ended without an answer \\(exit code 3\\)"):
        job.result()


def test_cancel_stops_a_running_child() -> None:
    started = time.perf_counter()
    job = fork_call("sleep", time.sleep, 30)
    job.cancel()
    assert time.perf_counter() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)  # already reaped
