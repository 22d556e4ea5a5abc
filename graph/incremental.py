"""Incremental builds: the manifest of a build folder, the per-document cache, and store syncing.

Why: a build folder remembers, per document, the content hash it was built from and the quads
that came out (`DIR/docs/<doc_id>.nq`). A rebuild re-extracts only new or changed documents, and a
store (embedded or remote) is brought up to date by replacing just the named graphs whose hash
differs. Entity IRIs are pure functions of class and key (graph.iris), so identity is stable
whichever documents were rebuilt. The cache is only trusted while the extraction code is the
same: a fingerprint of the code and reference data is part of the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graph.iris import document_graph_iri
from graph.vocab import META_GRAPH, ONTOLOGY_GRAPH

__all__ = [
    "MANIFEST_FILE",
    "BackgroundSync",
    "DocEntry",
    "Manifest",
    "code_fingerprint",
    "load_manifest",
    "memory_store",
    "save_manifest",
    "sync_store",
]

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
CACHE_DIR = "docs"
MANIFEST_VERSION = 1

_PACKAGE = Path(__file__).resolve().parent
# What an extraction's output depends on besides the document text.
_FINGERPRINT_PARTS = ("extract", "reference", "build.py", "iris.py", "model.py", "sentences.py",
                      "gazetteer.py", "ingest.py", "vocab.py")


@dataclass
class DocEntry:
    """What the build folder knows about one built document."""

    file: str
    sha256: str
    generated: str
    entities: dict[str, int] = field(default_factory=dict)
    relations: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """Doc id -> DocEntry, plus the code fingerprint the cached quads were made with."""

    fingerprint: str = ""
    documents: dict[str, DocEntry] = field(default_factory=dict)

    @staticmethod
    def graph_of(doc_id: str) -> str:
        return str(document_graph_iri(doc_id))


def cache_file(out_dir: Path, doc_id: str) -> Path:
    """Where a document's quads (its graph plus its meta entries) are kept between builds."""
    return out_dir / CACHE_DIR / f"{doc_id}.nq"


def code_fingerprint() -> str:
    """A hash of the extraction code and reference data: cached output is valid only for the same code."""
    h = hashlib.sha256()
    for part in _FINGERPRINT_PARTS:
        path = _PACKAGE / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc" or not f.exists():
                continue
            h.update(str(f.relative_to(_PACKAGE)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def load_manifest(out_dir: Path) -> Manifest:
    """Read DIR/manifest.json; a missing or unreadable one means "nothing built yet".

    Why lenient: the manifest is a cache index; losing it costs one full rebuild, not correctness.
    """
    path = out_dir / MANIFEST_FILE
    if not path.is_file():
        return Manifest()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != MANIFEST_VERSION:
            raise ValueError(f"manifest version {raw.get('version')!r}")
        docs = {k: DocEntry(**v) for k, v in raw.get("documents", {}).items()}
        return Manifest(fingerprint=raw.get("fingerprint", ""), documents=docs)
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("%s: unreadable manifest (%s); rebuilding everything", path, exc)
        return Manifest()


def save_manifest(out_dir: Path, manifest: Manifest) -> None:
    """Write DIR/manifest.json atomically, documents sorted so the file diffs cleanly."""
    from graph.pipeline import write_atomic

    data = {
        "version": MANIFEST_VERSION,
        "fingerprint": manifest.fingerprint,
        "documents": {k: asdict(manifest.documents[k]) for k in sorted(manifest.documents)},
    }
    text = json.dumps(data, ensure_ascii=False, indent=1)
    write_atomic(out_dir / MANIFEST_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))


_HASHES_QUERY = """
PREFIX pg: <https://w3id.org/parkgraph/ontology#>
SELECT ?g ?hash WHERE { GRAPH ?meta { ?g a pg:DocumentGraph ; pg:contentHash ?hash } }
"""


def stored_documents(store) -> dict[str, str]:
    """Document graph IRI -> content hash, as the store's meta graph records it."""
    res = store.query(_HASHES_QUERY, bindings={"meta": META_GRAPH})
    return {str(r["g"]): str(r["hash"]) for r in res.rows if r.get("g") is not None}


def sync_store(store, out_dir: Path, manifest: Manifest, *, changed: Iterable[str] = (),
               ontology: bytes | None = None) -> dict[str, int]:
    """Bring `store` (embedded or remote) in line with the build folder's manifest and cache.

    A document graph is replaced when the store lacks it, holds another content hash, or the
    document was re-extracted in this build (`changed`: new code may give new output for the
    same text); graphs of documents no longer in the manifest are dropped with their meta
    entries. Other graphs (links, inferred, analysis) are left to their own stages.

    Returns:
        Counts: replaced, dropped, kept.
    """
    held = stored_documents(store)
    wanted = {Manifest.graph_of(d): (d, e) for d, e in manifest.documents.items()}
    forced = {Manifest.graph_of(d) for d in changed}
    replaced = dropped = 0
    for g in sorted(set(held) - set(wanted)):
        store.drop_graph(g)
        store.delete_about(str(META_GRAPH), g)
        dropped += 1
    batch: list[tuple[str, bytes]] = []
    for g, (doc_id, entry) in sorted(wanted.items()):
        if held.get(g) == entry.sha256 and g not in forced:
            continue
        batch.append((g, cache_file(out_dir, doc_id).read_bytes()))
        if len(batch) >= 200:
            replaced += _replace(store, batch)
            batch = []
    replaced += _replace(store, batch)
    if ontology is not None:
        store.put_graph(str(ONTOLOGY_GRAPH), ontology)
    return {"replaced": replaced, "dropped": dropped, "kept": len(wanted) - replaced}


def _replace(store, batch: list[tuple[str, bytes]]) -> int:
    """Replace each document graph and its meta entries from its cached N-Quads."""
    if not batch:
        return 0
    meta = str(META_GRAPH)
    for g, _ in batch:
        store.drop_graph(g)
        store.delete_about(meta, g)
    store.add_quads(b"".join(data for _, data in batch))
    return len(batch)


def _load(store, batch: list[tuple[str, bytes, bytes | None]]) -> None:
    """Add document graphs (with their meta entries) through the fastest path the store offers."""
    data = b"".join(d for _, d, _ in batch)
    if hasattr(store, "load_graphs"):
        known = [t for _, _, t in batch if t is not None]
        triples = b"".join(known) if len(known) == len(batch) else None  # else load_graphs cuts them itself
        store.load_graphs(data, [g for g, _, _ in batch] + [str(META_GRAPH)], triples=triples)
    else:
        store.add_quads(data)


class MemoryMirror:
    """Loads the documents of a fresh build into an in-memory store from a thread, as they are extracted.

    Why: the post-build steps read an in-memory copy of the build; made after extraction from the
    cache files, it cost 4-6 s at 1,000 documents (63 s at 10,000) while both cores idled but one.
    Here the same bulk loads (pyoxigraph's loader does not hold the GIL) run during extraction,
    with the merged view loaded from the lines the workers already cut, not recomputed by a query.

    Only for a build whose every document is extracted in doc id order (nothing built before):
    an in-memory store lists quads in the order they were added, and graph.trig is written from it,
    so `result()` hands the store over only when it got exactly the documents `memory_store` would
    load, in its order; otherwise the build falls back to `memory_store`.
    """

    def __init__(self) -> None:
        import pyoxigraph as ox

        from graph.store import Store

        self.store = Store(ox.Store(), location="(memory)")
        self.graphs: list[str] = []
        self._jobs: queue.Queue[list[tuple[str, bytes, bytes | None]] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="memory-mirror", daemon=True)
        self._thread.start()

    def add(self, batch: list[tuple[str, bytes, bytes | None]]) -> None:
        """Queue a batch of (graph, N-Quads, N-Triples of the same lines) for loading."""
        self.graphs.extend(g for g, _, _ in batch)
        self._jobs.put(batch)

    def result(self, graphs: list[str]):
        """Wait for the loads; the store if it holds exactly `graphs` in that order, else None.

        Raises:
            graph.store.StoreError: a load failed.
        """
        self.close()
        if self._error is not None:
            raise self._error
        return self.store if self.graphs == graphs else None

    def close(self) -> None:
        """Stop the thread once the queued loads are done (also on an error in the build)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            batch = self._jobs.get()
            if batch is None:
                return
            if self._error is None:
                try:
                    _load(self.store, batch)
                except BaseException as exc:  # handed to the main thread by result()
                    self._error = exc


class BackgroundSync:
    """Brings the build's on-disk store in line with the build folder from a thread, fed document by document.

    Why: pyoxigraph's on-disk store writes about 10x slower than its in-memory one (20 s for 1,000
    documents here, more than their extraction). Its bulk loader does not hold the GIL, so the
    writes overlap extraction and the post-build steps, which read an in-memory copy instead.
    The result is what sync_store gives: graphs of documents no longer built dropped with their meta
    entries, new and changed document graphs replaced, every other graph but the ontology dropped
    (the post-build steps recompute links and inferences), the ontology replaced.

    Use: start(), document() per extracted document, finish(); then, while the post-build steps
    run, put_graph() for each derived graph and settle(); then join() (which re-raises anything the
    thread met) before closing the store. Only document() waits for the thread (at most two
    batches queued, which bounds the memory waiting for the loader); the calls after it never do,
    so the main thread goes on to the post-build steps while the last batches load.
    """

    # Documents per bulk load: the first load starts soon, then each batch doubles up to BATCH_MAX.
    # Every bulk load adds RocksDB files that overlap all earlier ones and must be compacted: at
    # 3,000 documents, loads of 100 took 57 s against 39 s for one load, and doubling batches 41 s.
    # The cap, with at most two batches queued, bounds the memory waiting for the loader (800
    # documents: about 130 MB of N-Quads with their merged-view lines).
    BATCH = 100
    BATCH_MAX = 800
    QUEUED = 2

    def __init__(self, store, out_dir: Path, *, wanted: Iterable[str], mirror: MemoryMirror | None = None) -> None:
        self.store = store
        self.mirror = mirror  # gets every batch of documents too
        self.out_dir = out_dir
        self.wanted = {Manifest.graph_of(d): d for d in wanted}
        self.held = stored_documents(store)
        self.done: set[str] = set()
        self.counts = {"replaced": 0, "dropped": 0, "kept": 0}
        self.seconds: dict[str, float] = {}  # time the thread spent on derived graphs and compaction
        self._batch: list[tuple[str, bytes, bytes | None]] = []
        self._batch_size = self.BATCH
        # (job, whether it holds a place among the QUEUED); None ends the thread
        self._jobs: queue.Queue[tuple[Callable[[], None], bool] | None] = queue.Queue()
        self._room = threading.Semaphore(self.QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="store-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()
        for g in sorted(set(self.held) - set(self.wanted)):
            self._put(lambda g=g: self._drop(g))

    def document(self, doc_id: str, sha256: str, quads: bytes, *, changed: bool,
                 triples: bytes | None = None) -> None:
        """Queue a document's graph for loading unless the store holds it already (same hash, unchanged).

        `triples`, when the caller has them, are the same lines without graph names (see
        Store.load_graphs): the thread then does no work that holds the GIL.
        """
        g = Manifest.graph_of(doc_id)
        self.done.add(g)
        if self.held.get(g) == sha256 and not changed:
            return
        self._batch.append((g, quads, triples))
        if len(self._batch) >= self._batch_size:
            self._flush_batch(wait=True)

    def finish(self, manifest: Manifest, *, ontology: bytes | None = None) -> None:
        """Queue the documents not extracted in this build that the store lacks, the ontology, the clean-up."""
        for g, doc_id in sorted(self.wanted.items()):
            entry = manifest.documents.get(doc_id)
            if g in self.done or entry is None or self.held.get(g) == entry.sha256:
                continue
            self._batch.append((g, cache_file(self.out_dir, doc_id).read_bytes(), None))
            if len(self._batch) >= self._batch_size:
                self._flush_batch(wait=True)  # from the cache files: bounded like extraction's batches
        self._flush_batch(wait=False)
        if ontology is not None:
            self._put(lambda: self.store.put_graph(str(ONTOLOGY_GRAPH), ontology))
        self._put(self._prune)

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Queue a derived graph (links, inferences) to replace its namesake in the store.

        Not put_graph_sorted: an on-disk store keeps its quads in key order whatever the order they
        came in, and sorting the 1.06M inferred triples of a 10,000-document build cost seconds.
        """
        self._put(lambda: self._timed("derived graphs", lambda: self.store.put_graph(
            graph, ntriples, media_type="application/n-triples")))

    def settle(self) -> None:
        """Queue the store's compaction (Store.settle): last, after every write."""
        self._put(lambda: self._timed("compaction", self.store.settle))

    def join(self) -> dict[str, int]:
        """Wait for the thread to finish every queued job; re-raise its error. Returns counts: replaced,
        dropped, kept."""
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.counts["kept"] = len(self.wanted) - self.counts["replaced"]
        return self.counts

    def abort(self) -> None:
        """Stop the thread after its current job (on an error in the main thread); the store stays as it was left."""
        if self._thread.is_alive():
            self._error = self._error or RuntimeError("store sync aborted")
            self._jobs.put(None)
            self._thread.join()

    def _flush_batch(self, *, wait: bool) -> None:
        batch, self._batch = self._batch, []
        if batch:
            if self.mirror is not None:
                self.mirror.add(batch)
            self._put(lambda: self._replace(batch), wait=wait)
            self._batch_size = min(self._batch_size * 2, self.BATCH_MAX)

    def _put(self, job: Callable[[], None], *, wait: bool = False) -> None:
        if self._error is not None:
            raise self._error
        if wait:
            self._room.acquire()
        self._jobs.put((job, wait))

    def _timed(self, name: str, job: Callable[[], None]) -> None:
        started = time.perf_counter()
        job()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, holds_room = item
            try:
                if self._error is None:  # after a failure, only drain the queue so no producer blocks
                    job()
            except BaseException as exc:  # handed to the main thread by join()
                self._error = exc
            finally:
                if holds_room:
                    self._room.release()

    def _prune(self) -> None:
        keep = set(self.wanted) | {str(META_GRAPH), str(ONTOLOGY_GRAPH)}
        for g in sorted(self.store.graphs() - keep):
            self.store.drop_graph(g)

    def _drop(self, g: str) -> None:
        self.store.drop_graph(g)
        self.store.delete_about(str(META_GRAPH), g)
        self.counts["dropped"] += 1

    def _replace(self, batch: list[tuple[str, bytes, bytes | None]]) -> None:
        for g, _, _ in batch:
            if g in self.held:  # a new document has no graph and no meta entries to remove
                self.store.drop_graph(g)
                self.store.delete_about(str(META_GRAPH), g)
        _load(self.store, batch)
        self.counts["replaced"] += len(batch)


def memory_store(out_dir: Path, manifest: Manifest, *, fresh: dict[str, bytes] | None = None,
                 ontology: bytes | None = None):
    """The build as an in-memory store: every document graph and meta entry from the cache, and the ontology.

    Why: the post-build steps (linking, the page, reasoning, checks) and graph.trig read the whole
    graph; pyoxigraph's in-memory store reads and writes it about 10x faster than the on-disk one,
    and holds exactly what the on-disk store holds once BackgroundSync is done. Documents are loaded
    in doc id order, so the same build gives the same store (and graph.trig) however it was reached.

    Args:
        out_dir: the build folder (its docs/ cache).
        manifest: the documents of the build.
        fresh: quads already in memory, by doc id (spares reading their cache files).
        ontology: the ontology file's bytes (Turtle).
    """
    import pyoxigraph as ox

    from graph.store import Store

    fresh = fresh or {}
    store = Store(ox.Store(), location="(memory)")
    data = b"".join(fresh.get(d) or cache_file(out_dir, d).read_bytes() for d in sorted(manifest.documents))
    store.raw.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
    if ontology is not None:
        store.put_graph_sorted(str(ONTOLOGY_GRAPH), ontology)
    store.rebuild_merged()
    return store
