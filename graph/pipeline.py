"""Pipeline: run ingest -> extract -> build over a set of files and write the build folder.

Why here: stages are pure functions; this is the one module that reads input files and writes
outputs, so atomic writes, progress and error reporting live in one place.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Dataset

from graph.build import assemble
from graph.extract import extract
from graph.ingest import IngestError, discover, ingest_file
from graph.model import Document, Extraction

__all__ = ["BuildReport", "build", "default_timestamp", "extract_documents", "write_atomic"]

log = logging.getLogger(__name__)

GRAPH_FILE = "graph.trig"


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
    """Write a file through a temporary sibling and rename it into place, so a crash never leaves half a file."""
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
            report.errors.append(f"{f}: same document id {doc.doc_id!r} as {seen_ids[doc.doc_id]}; rename one")
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


def build(
    inputs: list[Path],
    out_dir: Path,
    *,
    workers: int = 1,
    timestamp: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[BuildReport, Dataset | None]:
    """Build the knowledge graph of `inputs` into `out_dir/graph.trig`.

    Bad files are reported and skipped; the others still build. The graph file is replaced
    atomically, and only when at least one document was read.

    Returns:
        The report and the dataset (None when no document could be read).
    """
    report = BuildReport(out_dir=out_dir)
    docs = read_documents(inputs, report)
    if not docs:
        if not report.errors:
            report.errors.append(f"{', '.join(map(str, inputs))}: no documents found (.txt, .md, .html)")
        return report, None
    extractions = extract_documents(docs, workers=workers, progress=progress)
    stamp = timestamp or default_timestamp([Path(d.path) for d in docs])
    ds = assemble(extractions, generated_at=stamp)
    for ex in extractions:
        report.documents.append(ex.document.name)
        report.warnings.extend(f"{ex.document.name}: {w}" for w in ex.warnings)
        for ent in ex.entities.values():
            report.entities_by_class[ent.cls.value] += 1
        for rel in ex.relations:
            report.relations_by_predicate[rel.predicate.value] += 1
    report.triples = len(ds)
    write_atomic(out_dir / GRAPH_FILE, lambda tmp: ds.serialize(destination=str(tmp), format="trig"))
    return report, ds
