"""Pipeline: run ingest -> extract -> build over a set of files and write the build folder.

Why here: stages are pure functions; this is the one module that reads input files and writes
outputs, so atomic writes, progress and error reporting live in one place.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from graph.build import document_statements, meta_statements, nquad_lines
from graph.extract import extract
from graph.forked import ForkedError, fork_call
from graph.incremental import (
    BackgroundSync,
    DocEntry,
    Manifest,
    MemoryMirror,
    cache_file,
    code_fingerprint,
    load_manifest,
    memory_store,
    save_manifest,
    sync_store,
)
from graph.ingest import IngestError, discover, ingest_file
from graph.iris import document_graph_iri
from graph.model import Document, Extraction
from graph.paths import ONTOLOGY_FILE
from graph.store import Store, mark_current, open_build_store
from graph.vocab import META_GRAPH, ONTOLOGY_GRAPH

__all__ = [
    "BuildReport",
    "DocResult",
    "build",
    "default_timestamp",
    "extract_documents",
    "iter_documents",
    "process_document",
    "write_atomic",
]

log = logging.getLogger(__name__)

GRAPH_FILE = "graph.trig"
DASK_CONNECT_TIMEOUT = "10s"


@dataclass
class BuildReport:
    """What a build did: counts for the summary, and every problem met along the way."""

    out_dir: Path
    documents: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entities_by_class: Counter = field(default_factory=Counter)
    relations_by_predicate: Counter = field(default_factory=Counter)
    triples: int = 0
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def default_timestamp(files: Iterable[Path]) -> datetime:
    """Build time for PROV: SOURCE_DATE_EPOCH if set, else the newest input file's mtime.

    Why not now(): rebuilding the same input must give byte-identical output.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env and env.isdigit():
        return datetime.fromtimestamp(int(env), tz=timezone.utc)
    mtimes = [f.stat().st_mtime for f in files if f.exists()]
    return datetime.fromtimestamp(int(max(mtimes)) if mtimes else 0, tz=timezone.utc)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write a file through a temporary sibling and rename it into place.

    Why: a crash never leaves half a file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_documents(inputs: list[Path], report: BuildReport) -> list[Document]:
    files, problems = discover(inputs)
    report.errors.extend(problems)
    docs: list[Document] = []
    seen_ids: dict[str, str] = {}
    for f in files:
        try:
            doc = ingest_file(f)
        except IngestError as exc:
            report.errors.append(str(exc))
            continue
        if doc.doc_id in seen_ids:
            report.errors.append(
                f"{f}: same document id {doc.doc_id!r} as {seen_ids[doc.doc_id]}; rename one")
            continue
        seen_ids[doc.doc_id] = str(f)
        docs.append(doc)
    return docs


def extract_documents(
    docs: list[Document], *, workers: int = 1, progress: Callable[[int], None] | None = None
) -> list[Extraction]:
    """Run extraction on every document, in a process pool when workers > 1; order is kept."""
    if workers <= 1 or len(docs) < 2:
        out = []
        for d in docs:
            out.append(extract(d))
            if progress:
                progress(1)
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        out = []
        for ex in pool.map(extract, docs, chunksize=max(1, len(docs) // (workers * 8))):
            out.append(ex)
            if progress:
                progress(1)
        return out


@dataclass
class DocResult:
    """The output of the per-document step: the document's quads and the counts for the summary.

    Why quads as bytes: they cross process (or Dask worker) boundaries cheaply and go straight into
    the per-document cache file and the store.
    """

    doc_id: str
    name: str
    path: str
    sha256: str
    quads: bytes
    entities: dict[str, int]
    relations: dict[str, int]
    warnings: list[str]
    triples: bytes  # the same lines without graph names (N-Triples), for the store's merged view


def process_document(doc: Document, *, generated_at: datetime) -> DocResult:
    """Extract one document and turn it into its named graph plus its meta entries (sorted N-Quads).

    The unit of parallel work: a pure function of the document and the build time, so the
    output is identical whether it ran inline, in a process pool or on a Dask worker.
    """
    ex = extract(doc)
    graph = document_graph_iri(doc.doc_id)
    doc_lines = nquad_lines(document_statements(ex), graph)
    meta_lines = nquad_lines(meta_statements(ex, generated_at), META_GRAPH)
    quads = "".join(sorted(doc_lines | meta_lines)).encode("utf-8")
    # the same lines without their graph, for the store's merged view (cut here, where the graph
    # names are known, instead of by a regex over every batch in the store writer's thread); a
    # line's graph name is its last term, and a literal cannot hold " <...> .\n" (N-Triples escapes
    # its newlines), so cutting that text cuts only graph names
    triples = quads.replace(f" <{graph}> .\n".encode(), b" .\n").replace(f" <{META_GRAPH}> .\n".encode(), b" .\n")
    entities = Counter(e.cls.value for e in ex.entities.values())
    relations = Counter(r.predicate.value for r in ex.relations)
    return DocResult(
        doc_id=doc.doc_id,
        name=doc.name,
        path=doc.path,
        sha256=doc.sha256,
        quads=quads,
        triples=triples,
        entities=dict(sorted(entities.items())),
        relations=dict(sorted(relations.items())),
        warnings=list(ex.warnings),
    )


def _process_batch(docs: list[Document], generated_at: datetime) -> list[DocResult]:
    return [process_document(d, generated_at=generated_at) for d in docs]


def iter_documents(
    docs: Sequence[Document],
    *,
    generated_at: datetime,
    workers: int = 1,
    dask: object | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[DocResult]:
    """Run process_document over `docs` (inline, in a local process pool, or on a Dask cluster),
    yielding one DocResult at a time in the order of `docs`.

    Why a generator: the build hands each document's quads to the store writer while the next
    documents are still being extracted (`list(...)` for all at once).

    With a process pool the first document is processed here before the pool starts: that loads
    the gazetteers and lexicon caches (about a second) once, and forked workers inherit them
    instead of each loading its own.

    Args:
        docs: the documents, in output order.
        generated_at: PROV build time written into each document's meta entries.
        workers: local processes when > 1 (ignored with `dask`).
        dask: a dask.distributed scheduler address ("tcp://host:8786") or a Client.
        progress: called with the number of documents finished.

    Raises:
        RuntimeError: the Dask scheduler cannot be reached (from dask.distributed).
    """
    step = partial(process_document, generated_at=generated_at)
    if dask is not None:
        yield from _process_on_dask(list(docs), dask, generated_at, progress)
        return
    if workers <= 1 or len(docs) < 3:
        for d in docs:
            yield step(d)
            if progress:
                progress(1)
        return
    yield step(docs[0])
    if progress:
        progress(1)
    rest = docs[1:]
    # Chunks of at most 16 documents: results stream back steadily (the store writer and the
    # progress bar keep up) at a pickling cost that is small next to extraction.
    chunk = max(1, min(16, len(rest) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for res in pool.map(step, rest, chunksize=chunk):
            yield res
            if progress:
                progress(1)


def _process_on_dask(
    docs: list[Document], dask: object, generated_at: datetime, progress: Callable[[int], None] | None
) -> list[DocResult]:
    """The same per-document step as tasks on a Dask cluster, in batches to keep scheduler overhead low."""
    from distributed import Client, as_completed

    client = dask if isinstance(dask, Client) else Client(str(dask), timeout=DASK_CONNECT_TIMEOUT)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = max(1, min(64, len(docs) // (n_workers * 8) or 1))
        batches = [docs[i:i + size] for i in range(0, len(docs), size)]
        futures = client.map(_process_batch, batches, generated_at=generated_at, pure=False)
        order = {f.key: i for i, f in enumerate(futures)}
        results: list[list[DocResult] | None] = [None] * len(batches)
        for fut in as_completed(futures):
            results[order[fut.key]] = fut.result()
            if progress:
                progress(len(batches[order[fut.key]]))
        return [r for batch in results for r in (batch or [])]
    finally:
        if client is not dask:
            client.close()


def _resolve_removals(manifest: Manifest, names: Iterable[str], report: BuildReport) -> list[str]:
    """Doc ids for `names` (a doc id, file name or path); unknown names are errors."""
    ids = []
    for name in names:
        hit = [d for d, e in manifest.documents.items()
               if name in (d, e.file, Path(e.file).name) or Path(name).name == Path(e.file).name]
        if not hit:
            report.errors.append(f"{name}: no such document in {report.out_dir} (see its manifest.json)")
        ids.extend(hit)
    return sorted(set(ids))


def _stale_documents(manifest: Manifest, fresh: set[str], report: BuildReport) -> list[Document]:
    """Re-read documents built by earlier runs from their recorded files (the extraction code changed)."""
    docs = []
    for doc_id, entry in sorted(manifest.documents.items()):
        if doc_id in fresh:
            continue
        try:
            docs.append(ingest_file(Path(entry.file)))
        except IngestError as exc:
            report.warnings.append(f"{exc}; keeping its graph from the previous build")
    return docs


def build(
    inputs: list[Path],
    out_dir: Path,
    *,
    workers: int = 1,
    timestamp: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    dask: object | None = None,
    store: str | None = None,
    remove: Sequence[str] = (),
    full: bool = False,
) -> tuple[BuildReport, Path | None]:
    """Build (or update) the knowledge graph of `inputs` in `out_dir`.

    Incremental: documents already built with the same content and the same extraction code are
    skipped, new ones are added, changed ones replace their graph, and `remove` drops documents
    (by doc id or file name). Bad files are reported and skipped; the others still build. The
    graph file is replaced atomically, and only when the build has at least one document.

    Args:
        inputs: files and folders to add or refresh (may be empty when only removing).
        out_dir: the build folder (graph.trig, manifest.json, docs/, store/).
        workers: local extraction processes.
        timestamp: PROV build time for re-extracted documents (default: see default_timestamp).
        progress: called with the number of documents extracted.
        dask: a Dask scheduler address or Client; runs extraction there instead.
        store: a SPARQL server URL to bring up to date as well (graph.remote).
        remove: documents to drop.
        full: re-extract every document even when unchanged.

    Returns:
        The report, and the path of the graph file written (DIR/graph.trig), or None when nothing
        was built.
    """
    report = BuildReport(out_dir=out_dir)
    docs = read_documents(inputs, report) if inputs else []
    manifest = load_manifest(out_dir)
    fingerprint = code_fingerprint()
    if manifest.fingerprint and manifest.fingerprint != fingerprint:
        full = True
        log.info("extraction code changed since the last build: re-extracting every document")
    removed = _resolve_removals(manifest, remove, report)
    if remove and len(report.errors) > 0:
        return report, None  # an unknown name: change nothing rather than half of what was asked
    if not docs and not removed and not manifest.documents:
        if not report.errors:
            report.errors.append(f"{', '.join(map(str, inputs))}: no documents found (.txt, .md, .html)")
        return report, None
    read_ids = {d.doc_id for d in docs}
    if full:
        docs += _stale_documents(manifest, read_ids | set(removed), report)
    # in doc id order: the order of a fresh build's in-memory store (MemoryMirror)
    todo = sorted((d for d in docs if full or not _unchanged(d, manifest, out_dir)), key=lambda d: d.doc_id)
    todo_ids = {d.doc_id for d in todo}
    skipped = sorted(d.doc_id for d in docs if d.doc_id not in todo_ids)
    # Newest input of the whole build, so an incremental build dates its graphs like a clean rebuild.
    kept = [Path(e.file) for d, e in manifest.documents.items() if d not in removed and d not in read_ids]
    stamp = timestamp or default_timestamp([Path(d.path) for d in docs] + kept)
    seconds = report.extras.setdefault("seconds", {})
    clock = time.perf_counter()
    # The on-disk store is written from a thread while documents are extracted; everything that
    # reads the whole graph (post-build steps, graph.trig) reads an in-memory copy instead.
    local = open_build_store(out_dir)
    wanted = (set(manifest.documents) | read_ids) - set(removed)
    # nothing built before: every document is extracted, so the in-memory copy is loaded as they come
    mirror = MemoryMirror() if not manifest.documents and not removed else None
    sync = BackgroundSync(local, out_dir, wanted=wanted, mirror=mirror)
    try:
        sync.start()
        extracted: list[str] = []
        rewritten = []  # documents whose quads differ from the cached ones: their graphs must be replaced
        for res in iter_documents(todo, generated_at=stamp, workers=workers, dask=dask, progress=progress):
            target = cache_file(out_dir, res.doc_id)
            changed = not (target.is_file() and target.read_bytes() == res.quads)
            if changed:
                rewritten.append(res.doc_id)
                write_atomic(target, lambda tmp, data=res.quads: tmp.write_bytes(data))
            sync.document(res.doc_id, res.sha256, res.quads, changed=changed, triples=res.triples)
            manifest.documents[res.doc_id] = DocEntry(
                file=res.path, sha256=res.sha256, generated=stamp.isoformat(),
                entities=res.entities, relations=res.relations, warnings=res.warnings,
            )
            extracted.append(res.doc_id)
        seconds["extract"] = time.perf_counter() - clock
        for doc_id in removed:
            manifest.documents.pop(doc_id, None)
            cache_file(out_dir, doc_id).unlink(missing_ok=True)
        manifest.fingerprint = fingerprint
        save_manifest(out_dir, manifest)
        _summarise(report, manifest, extracted=extracted, skipped=skipped, removed=removed)
        if not manifest.documents:
            report.warnings.append(f"{out_dir}: no documents left in the build")
        ontology = ONTOLOGY_FILE.read_bytes()
        sync.finish(manifest, ontology=ontology)

        clock = time.perf_counter()
        mem = mirror.result([Manifest.graph_of(d) for d in sorted(manifest.documents)]) if mirror else None
        report.extras["memory store"] = "loaded during extraction" if mem is not None else "loaded from the cache"
        if mem is not None:
            mem.put_graph_sorted(str(ONTOLOGY_GRAPH), ontology)
        else:
            # from the cache files just written (page cache): holding every document's quads until
            # here would double the build's peak memory
            mem = memory_store(out_dir, manifest, ontology=ontology)
        report.triples = len(mem)
        seconds["memory store"] = time.perf_counter() - clock
        base = {str(META_GRAPH), str(ONTOLOGY_GRAPH)} | {Manifest.graph_of(d) for d in manifest.documents}

        def derived() -> None:
            # The derived graphs the post-build steps made (links, inferred) join the on-disk store,
            # which is then compacted (Store.settle: the canned queries ran 2-2.5x faster on it),
            # all in the store writer's thread while the checks and the page go on.
            for g in sorted(mem.graphs() - base):
                sync.put_graph(g, mem.get_graph(g))
            sync.settle()

        _post_build(mem, out_dir, report, stamp, derived=derived)

        clock = time.perf_counter()
        counts = sync.join()
        seconds["store sync (wait)"] = time.perf_counter() - clock
        for name, spent in sync.seconds.items():
            seconds[f"store {name} (background)"] = spent
        if (out_dir / GRAPH_FILE).is_file():
            mark_current(out_dir)
        log.info("store: %s", counts)
    except BaseException:
        sync.abort()
        raise
    finally:
        if mirror is not None:
            mirror.close()
        local.close()

    # Remote SPARQL server (--store URL): the same named graphs, replaced only where they differ.
    if store:
        _sync_remote(store, out_dir, manifest, report, changed=rewritten)
    return report, out_dir / GRAPH_FILE


def _post_build(store: Store, out_dir: Path, report: BuildReport, stamp: datetime, *,
                derived: Callable[[], None] = lambda: None) -> None:
    """Link, write graph.trig, draw the page, reason and check: each step reads the in-memory `store`.

    Why a store and not a parse of graph.trig: at 1,000 documents rdflib's parse alone cost more
    than extraction, and walking its Dataset was slower still. Each step is imported here, at call
    time, so a test or benchmark can replace it; none raises (a failure becomes a warning). Times
    go to report.extras["seconds"].

    The page is drawn in a forked child (graph.forked) while this process reasons and checks, so
    the two share the machine's cores; where forking is not safe it is drawn first, here.
    `derived` is called once the store holds every derived graph (after reasoning), to hand them on.
    """
    # DIR is what `score.py GOLD DIR` grades (it loads every RDF file under DIR): derived data must not
    # add core-predicate triples (locatedIn, governs, hostedIn, ...) between the documents' own entities.
    # Linking writes owl:sameAs / skos:exactMatch from our entities to external IRIs and states the
    # enrichment on those external IRIs only; the reasoner's inferred graph stays in the store.
    from graph.link import post_build as link_post_build
    from graph.validate import post_build as validate_post_build
    from graph.visualize import PAGE_FILE

    seconds = report.extras.setdefault("seconds", {})
    clock = time.perf_counter()
    link_post_build(store, out_dir, report, generated_at=stamp)
    seconds["post: link"] = time.perf_counter() - clock

    clock = time.perf_counter()
    write_atomic(out_dir / GRAPH_FILE, store.write_trig)
    seconds["graph.trig"] = time.perf_counter() - clock

    # The page shows the external identifiers, so it comes after linking; it must not show the
    # reasoner's inferences, so it reads the store as it is now, which is what graph.trig holds
    # (the child's copy-on-write view stays so while this process adds the inferred graph).
    at = len(report.extras.setdefault("summary_lines", []))
    page = fork_call("page", _draw_page, out_dir, store)
    if page is None:
        _merge_page(report, _draw_page(out_dir, store), at)
    once = _Once(derived)
    try:
        # Reason + validate: the inferred graph into the store (never graph.trig), DIR/check.txt, a
        # check summary in report.extras; never sets the exit code.
        clock = time.perf_counter()
        validate_post_build(store, out_dir, report, after_reasoning=once)
        seconds["post: reason+validate"] = time.perf_counter() - clock
        once()
    except BaseException:
        if page is not None:
            page.cancel()
        raise
    if page is not None:
        clock = time.perf_counter()
        try:
            _merge_page(report, page.result(), at)
        except ForkedError as exc:
            report.warnings.append(f"{out_dir / PAGE_FILE}: page not written ({exc})")
        seconds["post: page (wait)"] = time.perf_counter() - clock


class _Once:
    """Call `fn` the first time this is called, never again."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn: Callable[[], None] | None = fn

    def __call__(self) -> None:
        fn, self._fn = self._fn, None
        if fn is not None:
            fn()


def _draw_page(out_dir: Path, store: Store) -> tuple[list[str], list[str], float]:
    """The visualize step on a report of its own: (warnings, summary lines, seconds), which pickle."""
    from graph.visualize import post_build as viz_post_build

    clock = time.perf_counter()
    own = BuildReport(out_dir=out_dir)
    viz_post_build(out_dir, own, store=store)
    return own.warnings, own.extras.get("summary_lines", []), time.perf_counter() - clock


def _merge_page(report: BuildReport, page: tuple[list[str], list[str], float], at: int) -> None:
    """Put the page step's warnings and summary lines into the build report (lines where the step began)."""
    warnings, lines, spent = page
    report.warnings.extend(warnings)
    summary = report.extras.setdefault("summary_lines", [])
    summary[at:at] = lines
    report.extras.setdefault("seconds", {})["post: page"] = spent


def _unchanged(doc: Document, manifest: Manifest, out_dir: Path) -> bool:
    entry = manifest.documents.get(doc.doc_id)
    return entry is not None and entry.sha256 == doc.sha256 and cache_file(out_dir, doc.doc_id).is_file()


def _summarise(report: BuildReport, manifest: Manifest, *, extracted: list[str], skipped: list[str],
               removed: list[str]) -> None:
    """Fill the report from the manifest, so an incremental build reports the whole graph."""
    for doc_id in sorted(manifest.documents):
        entry = manifest.documents[doc_id]
        report.documents.append(Path(entry.file).name)
        report.entities_by_class.update(entry.entities)
        report.relations_by_predicate.update(entry.relations)
        report.warnings.extend(f"{Path(entry.file).name}: {w}" for w in entry.warnings)
    report.extras.update(extracted=extracted, skipped=skipped, removed=removed)
    report.extras.setdefault("summary_lines", []).append(
        f"incremental: {len(extracted)} extracted, {len(skipped)} unchanged (skipped), {len(removed)} removed"
    )


def _sync_remote(
    url: str, out_dir: Path, manifest: Manifest, report: BuildReport, *, changed: list[str]
) -> None:
    """Replace differing document graphs on the server, then copy the build's other graphs across."""
    from graph.store import StoreError, open_store

    try:
        remote = open_store(url)
        counts = sync_store(remote, out_dir, manifest, changed=changed, ontology=ONTOLOGY_FILE.read_bytes())
        local = open_store(out_dir)
        for g in sorted(local.graphs() - set(map(Manifest.graph_of, manifest.documents)) - {str(META_GRAPH)}):
            remote.put_graph(g, local.get_graph(g))
        local.close()
    except StoreError as exc:
        report.errors.append(f"{url}: {exc}")
        return
    report.extras.setdefault("summary_lines", []).append(
        f"store {url}: {counts['replaced']} graphs replaced, {counts['dropped']} dropped, "
        f"{counts['kept']} unchanged"
    )
