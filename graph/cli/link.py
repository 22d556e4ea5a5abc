"""`parkgraph link`: recompute the external links of an existing build and print the link report."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import click

from graph.cli.app import main
from graph.link import DEFAULT_ENDPOINT, LinkError, OnlineOptions, relink_build
from graph.paths import cache_dir as parkgraph_cache


@main.command("link")
@click.option("--graph", "graph_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Build folder whose links graph to rewrite.")
@click.option("--online", is_flag=True, help="Also ask a Wikidata SPARQL endpoint for what offline data lacks.")
@click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True, help="SPARQL endpoint for --online.")
@click.option("--cache", "cache_dir", default=None, type=click.Path(path_type=Path),
              help="Folder caching online answers (default: ~/.cache/parkgraph/wikidata, or "
                   "$PARKGRAPH_CACHE/wikidata; PARKGRAPH_CACHE=off caches nothing).")
@click.option("--rate", default=1.0, show_default=True, type=float, help="Seconds between online requests.")
@click.option("--threshold", default=0.8, show_default=True, type=float,
              help="Minimum match score for an online organisation link.")
def link_cmd(graph_dir: Path, online: bool, endpoint: str, cache_dir: Path | None, rate: float,
             threshold: float) -> None:
    """Link places (and, --online, organisations) to Wikidata, GeoNames and ISO 3166-2.

    Only the links graph of DIR/graph.trig is replaced, atomically; document graphs are untouched.

    Example:
        parkgraph link --graph out && parkgraph link --graph out --online --cache .cache/wikidata
    """
    options = None
    if online:
        root = parkgraph_cache()
        cache = cache_dir or (root / "wikidata" if root is not None else None)
        options = OnlineOptions(endpoint=endpoint, cache_dir=cache, min_interval=rate, threshold=threshold)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = datetime.fromtimestamp(int(epoch), tz=timezone.utc) if epoch and epoch.isdigit() else \
        datetime.now(timezone.utc).replace(microsecond=0)
    try:
        report = relink_build(graph_dir, generated_at=stamp, online=options,
                              progress=lambda msg: click.echo(msg, err=True))
    except LinkError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"linked {graph_dir / 'graph.trig'}")
    for line in report.lines():
        click.echo(line)
