"""Time every canned question about one entity on a real build: its most-cited and a median entity.

Why: scripts/bench_queries.py binds each parameter to a median value of a synthetic graph, where no
entity is much more cited than another. A real corpus has entities named in thousands of sentences
(a province, a flagship park), and a question about one of those is where a lookup started from
the wrong side multiplies: on a synthetic 10,000-document build, park-policies about its most-cited
park took 25 s until its evidence was looked up from the policy's side (0.7-0.9 s). This script finds such
cases on any build folder.

For each canned query and each IRI parameter it knows the class of (PARAM_CLASS; others are
listed as skipped), it binds the parameter to the entity of that class with the most mentions,
then to the median one, and reports rows and the median of --repeat runs (one run when a run
takes over 10 s).

Example:
    .venv/bin/python scripts/bench_bound.py out --json /tmp/bound.json
    .venv/bin/python scripts/bench_bound.py /tmp/out-10000 park-policies joint-policies
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.query import ParamType, load_queries, run_canned
from graph.store import Store, open_store
from graph.vocab import PG

# The class of entity each IRI parameter of the canned queries names.
PARAM_CLASS = {
    "entity": "IndustrialPark", "subject": "IndustrialPark", "park": "IndustrialPark",
    "object": "GovernmentBody", "gov": "GovernmentBody", "issuer": "GovernmentBody",
    "sponsor": "GovernmentBody", "tenant": "Enterprise", "place": "Place", "person": "Person",
    "policy": "Policy",
}
SLOW_S = 10.0  # past this, one run is enough


def cited(store: Store, cls: str) -> list[tuple[str, int]]:
    """The most-cited and the median entity of class pg:`cls`: (IRI, number of mentions)."""
    rows = store.query(
        f"PREFIX pg: <{PG}> SELECT ?e (COUNT(?m) AS ?n) WHERE {{ ?e a pg:{cls} . ?m pg:mentionOf ?e }} "
        "GROUP BY ?e ORDER BY DESC(?n) ?e").rows
    ranked = [(str(r["e"]), int(r["n"])) for r in rows]
    return [ranked[0], ranked[len(ranked) // 2]] if ranked else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", type=Path, help="build folder (or RDF file)")
    ap.add_argument("queries", nargs="*", help="canned query names (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write the rows here")
    args = ap.parse_args()
    store = open_store(args.graph)
    picks: dict[str, list[tuple[str, int]]] = {}
    results = []
    for name, q in sorted(load_queries().items()):
        if args.queries and name not in args.queries:
            continue
        for p in q.params:
            if p.type is not ParamType.IRI:
                continue
            cls = PARAM_CLASS.get(p.name)
            if cls is None:
                print(f"{name}: parameter {p.name} skipped (no class known for it)", flush=True)
                continue
            if cls not in picks:
                picks[cls] = cited(store, cls)
            for which, (iri, mentions) in zip(("most-cited", "median"), picks[cls]):
                times, rows = [], 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    rows = len(run_canned(store, q, params={p.name: iri}).rows)
                    times.append(time.perf_counter() - t)
                    if times[-1] > SLOW_S:
                        break
                ms = statistics.median(times) * 1000
                results.append({"query": name, "param": p.name, "which": which, "value": iri,
                                 "mentions": mentions, "rows": rows, "ms": round(ms, 1)})
                print(f"{name:20s} {p.name:8s} {which:10s} {mentions:6d} mentions {rows:8d} rows "
                      f"{ms:10.1f} ms  {iri}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
