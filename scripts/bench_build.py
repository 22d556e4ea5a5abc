"""Benchmark builds and queries at scale on a synthetic corpus (see scripts/synth_corpus.py).

Reports, per corpus size: bare extraction time (ingest + sentences + extract, one process, the
same text); build time and documents/second with 1 and 2 workers, without the post-build steps
(linking, page, reasoning, checks) and with them, each stage timed; the ratio of build time to bare
extraction; peak memory (RSS) of each build; store and graph.trig size; then the latency of every
canned question on the embedded store, raw pyoxigraph, rdflib in memory and Oxigraph server.

Every build runs in a fresh (spawned) process, so its peak RSS and its first-call costs (gazetteer
loading) are its own. Progress goes to stdout, one line per step.

Usage:
    python scripts/bench_build.py --docs 1000 [--docs 10000] [--work /tmp/bench] [--rdflib-timeout 60]
        [--no-queries] [--no-checks] [--builds w1,w2,w1+post,w2+post] [--rounds N]
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queries import paired_median_ms, raw_run
from synth_corpus import make_corpus

from graph.query import load_queries, run_canned
from graph.store import open_store

POST_BUILD = ("graph.link", "graph.validate", "graph.visualize", "graph.analyze")
# (module, function, label): stages inside reason+validate, timed by wrapping them; the build itself
# reports the others in report.extras["seconds"].
STAGES = (
    ("graph.validate", "reason", "  reason (HermiT)"),
    ("graph.validate", "shacl_findings", "  SHACL"),
    ("graph.validate", "run_check", "  SPARQL checks"),
)


def no_post_build() -> None:
    for name in POST_BUILD:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, "post_build"):
            module.post_build = lambda *a, **k: None


def _timers(times: dict[str, float]) -> None:
    """Wrap each stage function so its cumulative wall time lands in `times`."""
    for modname, attr, label in STAGES:
        owner = importlib.import_module(modname)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, name, None)
        if fn is None:
            continue

        def timed_fn(*a, _fn=fn, _label=label, **k):
            t = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                times[_label] = times.get(_label, 0.0) + time.perf_counter() - t

        setattr(owner, name, timed_fn)


def _child_build(corpus: str, out: str, workers: int, post: bool, checks: bool, conn) -> None:
    from graph.pipeline import build

    if not post:
        no_post_build()
    if not checks:
        import graph.validate

        graph.validate.run_check = lambda *a, **k: []
    times: dict[str, float] = {}
    _timers(times)
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    report, _ = build([Path(corpus)], Path(out), workers=workers)
    elapsed = time.perf_counter() - t
    conn.send({
        "ok": report.ok, "errors": report.errors[:3], "seconds": elapsed, "triples": report.triples,
        "stages": {**report.extras.get("seconds", {}), **times},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_mb_workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "summary": report.extras.get("summary_lines", [])[:3],
    })


def _child_extract(corpus: str, conn) -> None:
    from graph.extract import extract
    from graph.ingest import ingest_file

    t = time.perf_counter()
    for f in sorted(Path(corpus).glob("*.txt")):
        extract(ingest_file(f))
    conn.send({"seconds": time.perf_counter() - t,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def in_child(target, *args) -> dict:
    """Run `target(*args, conn)` in a spawned process and return what it sends."""
    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def timed(fn, repeat: int = 3) -> float:
    """Best of `repeat` runs; a run over a second is not repeated."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        if best > 1.0:
            break
    return best


def say(*parts) -> None:
    print(*parts, flush=True)


def _rdflib_worker(trig: str, names: list[str], conn) -> None:
    from rdflib import Dataset

    ds = Dataset(default_union=True)
    t = time.perf_counter()
    ds.parse(trig, format="trig")
    conn.send(("load", time.perf_counter() - t))
    queries = load_queries()
    for name in names:
        t = time.perf_counter()
        list(ds.query(queries[name].text))
        conn.send((name, time.perf_counter() - t))
    conn.send(("done", 0))


def rdflib_latencies(trig: Path, names: list[str], timeout: float) -> dict[str, float | None]:
    """rdflib in-memory timings in a child process; a query over `timeout` is cut off (None) and the
    child is restarted (reloading the graph) for the questions after it."""
    out: dict[str, float | None] = {n: None for n in names}
    todo = list(names)
    while todo:
        parent, child = mp.Pipe()
        proc = mp.get_context("fork").Process(target=_rdflib_worker, args=(str(trig), todo, child))
        proc.start()
        done: list[str] = []
        loaded = False
        while True:
            if not parent.poll(timeout if loaded else max(600.0, timeout)):
                break
            key, value = parent.recv()
            if key == "done":
                break
            loaded = True
            out[key] = value
            if key != "load":
                done.append(key)
        proc.kill()
        proc.join()
        todo = todo[len(done) + 1:]  # the one that timed out stays None
    return out


def oxigraph_server(trig: Path, work: Path):
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    location = work / "oxigraph-server"
    shutil.rmtree(location, ignore_errors=True)
    subprocess.run([binary, "load", "--location", str(location), "--file", str(trig)], check=True,
                   capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    return proc, f"oxigraph+http://127.0.0.1:{port}"


def bench(n_docs: int, work: Path, rdflib_timeout: float, *, reuse: bool = False, queries: bool = True,
          builds: tuple[str, ...] = ("w1", "w2", "w1+post", "w2+post"), checks: bool = True,
          rounds: int = 1) -> dict:
    res: dict = {"documents": n_docs}
    corpus = work / f"corpus-{n_docs}"
    if not corpus.is_dir():
        say(f"writing corpus-{n_docs}")
        make_corpus(n_docs, corpus)
    out = work / f"out-{n_docs}-w2"
    if reuse and (out / "graph.trig").is_file():
        return query_bench(res, out, work, rdflib_timeout)
    # Rounds alternate bare extraction and the builds, and each build is set against the bare run of
    # its own round: this machine's speed drifts by 20-40% over minutes, which a single bare run taken
    # first would put into every ratio.
    bares: list[float] = []
    for round_no in range(1, rounds + 1):
        bare = in_child(_child_extract, str(corpus))
        bares.append(bare["seconds"])
        res["bare_extract_rss_mb"] = bare["peak_rss_mb"]
        say(f"{n_docs} docs: bare extraction {bare['seconds']:.1f} s ({n_docs / bare['seconds']:.1f} docs/s)"
            + (f", round {round_no}/{rounds}" if rounds > 1 else ""))
        for name in builds:
            workers, post = int(name[1]), name.endswith("+post")
            target = work / f"out-{n_docs}-w{workers}"  # the w2 build is the one queried
            r = in_child(_child_build, str(corpus), str(target), workers, post, checks)
            assert r["ok"], r["errors"]
            r["over_bare"] = r["seconds"] / bare["seconds"]
            r["store_mb"] = du(target / "store") / 1e6
            r["graph_trig_mb"] = du(target / "graph.trig") / 1e6
            earlier = res.get(name, {})
            r["rounds_s"] = [*earlier.get("rounds_s", []), r["seconds"]]
            r["rounds_over_bare"] = [*earlier.get("rounds_over_bare", []), r["over_bare"]]
            res[name] = r  # the details of the last round; seconds and ratio: medians over the rounds
            say(f"{n_docs} docs: build {name}: {r['seconds']:.1f} s, {n_docs / r['seconds']:.1f} docs/s, "
                f"{r['over_bare']:.2f}x bare extraction, peak RSS {r['peak_rss_mb']:.0f} MB "
                f"(workers {r['peak_rss_mb_workers']:.0f} MB), store {r['store_mb']:.0f} MB, {r['triples']} quads")
            for label, secs in r["stages"].items():
                say(f"    {label:24} {secs:8.2f} s")
    res["bare_extract_s"] = statistics.median(bares)
    res["bare_rounds_s"] = bares
    for name in builds:
        r = res[name]
        r["seconds"] = statistics.median(r["rounds_s"])
        r["over_bare"] = statistics.median(r["rounds_over_bare"])
        r["docs_per_s"] = n_docs / r["seconds"]
        if rounds > 1:
            say(f"{n_docs} docs: build {name}: median {r['seconds']:.1f} s, median {r['over_bare']:.2f}x bare "
                f"extraction (rounds: {', '.join(f'{x:.2f}x' for x in r['rounds_over_bare'])})")
    if not queries:
        return res
    return query_bench(res, out, work, rdflib_timeout)


def query_bench(res: dict, out: Path, work: Path, rdflib_timeout: float) -> dict:
    """Latency of every canned question on each engine; a question over 20 s embedded is not retried."""
    queries = load_queries()
    store = open_store(out)
    proc, url = oxigraph_server(out / "graph.trig", work)
    remote = open_store(url)
    lat: dict[str, dict[str, float | None]] = {}
    slow: set[str] = set()
    try:
        for name, q in queries.items():
            row = lat.setdefault(name, {})
            # embedded and raw alternate (see bench_queries.paired_median_ms); raw is the same
            # on-disk store queried directly: its default graph is the merged view too
            (emb_ms, _), (raw_ms, _) = paired_median_ms(
                lambda q=q: len(run_canned(store, q).rows), lambda q=q: raw_run(store.raw, q.text, {}), 3)
            row["embedded_ms"], row["raw_pyoxigraph_ms"] = emb_ms, raw_ms
            if row["embedded_ms"] > 20_000:
                slow.add(name)
                say(name, "embedded", round(row["embedded_ms"]), "ms: too slow to time on the other engines")
                row["oxigraph_server_ms"] = None
                continue
            row["oxigraph_server_ms"] = 1000 * timed(lambda q=q: run_canned(remote, q))
            say(name, {k: round(v, 2) for k, v in row.items()})
    finally:
        proc.terminate()
        store.close()
    rd = rdflib_latencies(out / "graph.trig", [n for n in queries if n not in slow], rdflib_timeout)
    res["rdflib_load_s"] = rd.pop("load", None)
    for name, value in rd.items():
        lat[name]["rdflib_ms"] = None if value is None else 1000 * value
    for name in slow:
        lat[name]["rdflib_ms"] = None
    res["queries"] = lat
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, action="append", help="corpus size (repeatable); default 1000")
    ap.add_argument("--work", type=Path, default=Path("/tmp/parkgraph-bench"))
    ap.add_argument("--reuse", action="store_true", help="query an earlier build in --work instead of building")
    ap.add_argument("--no-queries", action="store_true", help="time the builds only")
    ap.add_argument("--builds", default="w1,w2,w1+post,w2+post",
                    help="builds to time: wN (N workers, no post-build steps), wN+post (with them)")
    ap.add_argument("--no-checks", action="store_true",
                    help="with +post builds, skip the SPARQL checks (queries/checks/, timed by bench_queries.py)")
    ap.add_argument("--rdflib-timeout", type=float, default=60.0, help="seconds per rdflib query before giving up")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time bare extraction and every build this many times, alternating; report medians")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for n in args.docs or [1000]:
        res = bench(n, args.work, args.rdflib_timeout, reuse=args.reuse, queries=not args.no_queries,
                    builds=tuple(b.strip() for b in args.builds.split(",") if b.strip()), checks=not args.no_checks,
                    rounds=args.rounds)
        print(json.dumps({k: v for k, v in res.items() if k != "queries"}, indent=1))
        (args.work / f"bench-{n}.json").write_text(json.dumps(res, indent=1))
        if "queries" not in res:
            continue
        head = ("query", "embedded", "raw ox", "ratio", "server", "rdflib", "rdflib/emb")
        print("{:24} {:>9} {:>9} {:>6} {:>9} {:>10} {:>10}".format(*head))
        for name, row in res["queries"].items():
            emb, raw, srv, rdf = (row.get(k) for k in ("embedded_ms", "raw_pyoxigraph_ms", "oxigraph_server_ms",
                                                       "rdflib_ms"))
            if raw is None:
                print(f"{name:24} {emb:9.0f}  (too slow: other engines not timed)")
                continue
            rdf_s = f"{rdf:10.1f}" if rdf is not None else "   timeout"
            speed = f"{rdf / emb:10.1f}" if rdf is not None else f">{args.rdflib_timeout * 1000 / emb:9.0f}"
            print(f"{name:24} {emb:9.2f} {raw:9.2f} {emb / raw:6.2f} {srv:9.2f} {rdf_s} {speed}")


if __name__ == "__main__":
    main()
