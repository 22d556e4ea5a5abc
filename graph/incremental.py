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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graph.iris import document_graph_iri
from graph.vocab import META_GRAPH, ONTOLOGY_GRAPH

__all__ = [
    "MANIFEST_FILE",
    "DocEntry",
    "Manifest",
    "code_fingerprint",
    "load_manifest",
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
