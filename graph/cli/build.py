"""`parkgraph build`: documents -> graph.trig (+ summary), incrementally and in parallel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from graph.cli.app import main
from graph.paths import CORPUS_DIR
from graph.pipeline import BuildReport, build

STORE_HELP = ("Also keep this SPARQL 1.1 server up to date (Query + Update + Graph Store Protocol), "
              "e.g. virtuoso+http://127.0.0.1:8890 or oxigraph+http://127.0.0.1:7878.")


@main.command("build")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Build folder to write (graph.trig, manifest.json, docs/, store/).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Extraction processes (default: all cores).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run extraction on a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786.")
@click.option("--store", "store_url", metavar="URL", default=None, help=STORE_HELP)
@click.option("--full", is_flag=True, help="Re-extract every document, even unchanged ones.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build_cmd(inputs: tuple[Path, ...], out_dir: Path, workers: int | None, dask_address: str | None,
              store_url: str | None, full: bool, quiet: bool) -> None:
    """Build or update the knowledge graph from FOLDER_OR_FILES (default: the bundled corpus).

    Incremental: unchanged documents are skipped, new ones added, changed ones replaced;
    use `parkgraph remove` to drop one.

    Example:
        parkgraph build graph/corpus --out out --workers 2
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
        report, _ = build(paths, out_dir, workers=n_workers, progress=progress, dask=dask_address,
                          store=store_url, full=full)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(f"{out_dir}: build failed: {exc}") from exc
    finally:
        if bar is not None:
            bar.close()
    print_report(report)
    if not report.ok:
        sys.exit(1)


def print_report(report: BuildReport) -> None:
    """The build summary: counts, summary lines from each stage, errors and the first warnings."""
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    if report.documents:
        graph_file = report.out_dir / "graph.trig"
        click.echo(f"built {graph_file}: {len(report.documents)} documents, {report.triples} triples")
        entities = sorted(report.entities_by_class.items())
        relations = sorted(report.relations_by_predicate.items())
        click.echo("entities: " + ", ".join(f"{k} {v}" for k, v in entities))
        click.echo("relations: " + ", ".join(f"{k} {v}" for k, v in relations))
        for line in report.extras.get("summary_lines", []):
            click.echo(line)
        if report.warnings:
            click.echo(f"warnings: {len(report.warnings)}")
            for w in report.warnings[:20]:
                click.echo(f"  {w}")
