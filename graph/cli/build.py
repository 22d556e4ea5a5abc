"""`parkgraph build`: documents -> graph.trig (+ summary)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from graph.cli.app import main
from graph.paths import CORPUS_DIR
from graph.pipeline import build


@main.command("build")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Build folder to write (graph.trig and friends).")
@click.option("--workers", type=int, default=None, help="Extraction processes (default: all cores).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build_cmd(inputs: tuple[Path, ...], out_dir: Path, workers: int | None, quiet: bool) -> None:
    """Build the knowledge graph from FOLDER_OR_FILES (default: the bundled corpus).

    Example:
        parkgraph build graph/corpus --out out
    """
    paths = list(inputs) or [CORPUS_DIR]
    n_workers = workers or os.cpu_count() or 1
    bar = None
    progress = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(desc="extracting", unit="doc", file=sys.stderr, disable=None, leave=False)
        progress = bar.update
    try:
        report, _ = build(paths, out_dir, workers=n_workers, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    if report.documents:
        click.echo(f"built {out_dir / 'graph.trig'}: {len(report.documents)} documents, {report.triples} triples")
        click.echo("entities: " + ", ".join(f"{k} {v}" for k, v in sorted(report.entities_by_class.items())))
        click.echo("relations: " + ", ".join(f"{k} {v}" for k, v in sorted(report.relations_by_predicate.items())))
        for line in report.extras.get("summary_lines", []):
            click.echo(line)
        if report.warnings:
            click.echo(f"warnings: {len(report.warnings)}")
            for w in report.warnings[:20]:
                click.echo(f"  {w}")
    if not report.ok:
        sys.exit(1)
