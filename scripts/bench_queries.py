"""Benchmark every canned query on synthetic graphs: embedded pyoxigraph store vs rdflib in memory.

For each size (default 100k and 1M quads) the script generates a graph with scripts/synth_graph.py,
loads it into a pyoxigraph store (as `parkgraph` does) and into an rdflib Dataset, and reports the
median latency of each canned query, unbound and with one parameter bound to a sample value, plus
the ratio. rdflib runs in a child process with a per-query time limit (reported as "> N s").
Community detection (graph.community.communities) is timed on the 1M graph's fact projection and
on its whole resource graph (every IRI a node, every IRI-to-IRI triple an edge: ~200k nodes).

Example:
    .venv/bin/python scripts/bench_queries.py --sizes 100000 1000000 --rdflib-timeout 60
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from synth_graph import generate  # noqa: E402

from graph.query import CannedQuery, bind_params, load_queries, result_records, run_sparql  # noqa: E402
from graph.store import open_store  # noqa: E402


def median_ms(fn, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, rows


def pick_param(store, q: CannedQuery) -> dict[str, str]:
    """One parameter bound to the sample value covering the fewest rows (what an analyst asks)."""
    for p in q.params:
        rows = result_records(run_sparql(store, q.text))
        values = [r.get(p.sample_column) for r in rows if r.get(p.sample_column) is not None]
        if values:
            counts: dict[str, int] = {}
            for v in values:
                counts[str(v)] = counts.get(str(v), 0) + 1
            median_value = sorted(counts, key=lambda k: (counts[k], k))[len(counts) // 2]
            return {p.name: median_value}
    return {}


def rdflib_worker(path: str, jobs: list[tuple[str, str, dict]], repeat: int, conn) -> None:
    from rdflib import Dataset

    from graph.store import to_rdflib  # noqa: F401  (same term model)

    ds = Dataset(default_union=True)
    t = time.perf_counter()
    ds.parse(path, format="nquads")
    conn.send(("loaded", time.perf_counter() - t))
    for key, text, bindings in jobs:
        times = []
        n = 0
        for _ in range(repeat):
            t = time.perf_counter()
            n = len(list(ds.query(text, initBindings=bindings)))
            times.append(time.perf_counter() - t)
        conn.send((key, statistics.median(times) * 1000, n))
    conn.send(("done", 0, 0))


def run_rdflib(path: Path, jobs, repeat: int, timeout: float) -> dict[str, tuple[float | None, int]]:
    """Run jobs in a child; a query that exceeds `timeout` kills the child and is reported as None."""
    results: dict[str, tuple[float | None, int]] = {}
    remaining = list(jobs)
    while remaining:
        parent, child = mp.Pipe()
        proc = mp.Process(target=rdflib_worker, args=(str(path), remaining, repeat, child))
        proc.start()
        if not parent.poll(1800):
            proc.kill()
            raise SystemExit("rdflib did not load the graph in 30 min")
        _, load_s = parent.recv()
        print(f"  rdflib loaded in {load_s:.1f} s", flush=True)
        done = 0
        while done < len(remaining):
            if not parent.poll(timeout * repeat + 5):
                key = remaining[done][0]
                results[key] = (None, 0)
                print(f"  rdflib {key}: > {timeout:.0f} s", flush=True)
                proc.kill()
                remaining = remaining[done + 1:]
                break
            msg = parent.recv()
            if msg[0] == "done":
                remaining = []
                break
            results[msg[0]] = (msg[1], msg[2])
            done += 1
        else:
            remaining = []
        proc.join(timeout=5)
    return results


def bench_size(triples: int, work: Path, repeat: int, timeout: float, skip_rdflib: bool) -> dict:
    path = work / f"synth-{triples}.nq"
    n = generate(path, triples=triples)
    print(f"== {n} quads ({path})", flush=True)
    t = time.perf_counter()
    store = open_store(path)
    print(f"  pyoxigraph loaded in {time.perf_counter() - t:.1f} s", flush=True)
    jobs = []
    rows = {}
    for q in load_queries().values():
        for variant, raw in (("unbound", {}), ("bound", pick_param(store, q))):
            if variant == "bound" and not raw:
                continue
            bindings = bind_params(q, raw)
            key = f"{q.name}[{variant}{': ' + ','.join(f'{k}={v}' for k, v in raw.items()) if raw else ''}]"
            ms, count = median_ms(lambda q=q, b=bindings: len(run_sparql(store, q.text, bindings=dict(b)).rows),
                                  repeat)
            rows[key] = {"oxigraph_ms": round(ms, 1), "rows": count}
            print(f"  oxigraph {key}: {ms:.1f} ms, {count} rows", flush=True)
            jobs.append((key, q.text, dict(bindings)))
    if not skip_rdflib:
        for key, (ms, _count) in run_rdflib(path, jobs, repeat, timeout).items():
            rows[key]["rdflib_ms"] = None if ms is None else round(ms, 1)
    for r in rows.values():
        rd = r.get("rdflib_ms")
        r["ratio"] = (f">{timeout * 1000 / r['oxigraph_ms']:.0f}" if rd is None and "rdflib_ms" in r
                      else (round(rd / r["oxigraph_ms"], 1) if rd else None))
    return {"quads": n, "queries": rows, "path": str(path)}


def bench_communities(path: Path) -> dict:
    import networkx as nx
    import pyoxigraph as ox

    from graph.analyze import project
    from graph.community import communities

    store = open_store(path)
    t = time.perf_counter()
    g = project(store)
    proj_s = time.perf_counter() - t
    t = time.perf_counter()
    parts = communities(g)
    facts_s = time.perf_counter() - t
    full = nx.Graph()
    for quad in store.raw.quads_for_pattern(None, None, None, None):
        if isinstance(quad.object, ox.NamedNode) and quad.predicate.value.endswith("#type") is False:
            full.add_edge(quad.subject.value, quad.object.value)
    t = time.perf_counter()
    parts_full = communities(full)
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    again = communities(full)
    repeat_s = time.perf_counter() - t
    return {
        "projection_s": round(proj_s, 2), "fact_graph_nodes": g.number_of_nodes(),
        "fact_graph_s": round(facts_s, 2), "fact_graph_communities": len(parts),
        "resource_graph_nodes": full.number_of_nodes(), "resource_graph_edges": full.number_of_edges(),
        "resource_graph_s": round(full_s, 2), "resource_graph_communities": len(parts_full),
        "deterministic": again == parts_full, "repeat_s": round(repeat_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/parkgraph-bench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rdflib-timeout", type=float, default=60.0, help="seconds per rdflib query")
    parser.add_argument("--skip-rdflib", action="store_true")
    parser.add_argument("--json", type=Path, help="also write all numbers here")
    args = parser.parse_args()
    report = {"sizes": []}
    for size in args.sizes:
        report["sizes"].append(bench_size(size, args.work, args.repeat, args.rdflib_timeout, args.skip_rdflib))
    largest = Path(report["sizes"][-1]["path"])
    report["communities"] = bench_communities(largest)
    print(json.dumps(report["communities"], indent=1))
    for entry in report["sizes"]:
        print(f"\n{entry['quads']} quads: query, oxigraph ms, rdflib ms, ratio, rows")
        for key, r in entry["queries"].items():
            rd = r.get("rdflib_ms")
            rd_text = f"> {args.rdflib_timeout:.0f} s" if rd is None and "rdflib_ms" in r else rd
            print(f"  {key:60s} {r['oxigraph_ms']:>9} {rd_text!s:>10} {r['ratio']!s:>7} {r['rows']:>7}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
