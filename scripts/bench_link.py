"""Benchmark the link stage: reference table load, and offline linking of a build folder.

Usage: .venv/bin/python scripts/bench_link.py out   (a folder made by `parkgraph build`)
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Dataset

from graph.link import link_dataset
from graph.link.reference import reference_index


def main(folder: str) -> None:
    t0 = time.perf_counter()
    idx = reference_index()
    t1 = time.perf_counter()
    ds = Dataset()
    ds.parse(Path(folder) / "graph.trig", format="trig")
    t2 = time.perf_counter()
    links, report = link_dataset(ds, generated_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    t3 = time.perf_counter()
    print(f"reference table: {len(idx.places)} places in {t1 - t0:.2f} s")
    print(f"parse graph.trig: {len(ds)} quads in {t2 - t1:.2f} s")
    print(f"link: {len(report.outcomes)} entities, {len(links)} link triples in {t3 - t2:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
