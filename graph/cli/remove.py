"""`parkgraph remove`: drop documents (their named graph and meta entries) from a build."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graph.cli.app import main
from graph.cli.build import STORE_HELP, print_report
from graph.pipeline import build


@main.command("remove")
@click.argument("documents", nargs=-1, required=True)
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Build folder to remove the documents from.")
@click.option("--store", "store_url", metavar="URL", default=None, help=STORE_HELP)
def remove_cmd(documents: tuple[str, ...], out_dir: Path, store_url: str | None) -> None:
    """Remove DOCUMENTS (doc ids or file names) and the facts extracted from them.

    Example:
        parkgraph remove dev-01-wuhan-jianghan-park --out out
    """
    if not (out_dir / "manifest.json").is_file():
        raise click.ClickException(f"{out_dir}: not a build folder (no manifest.json); run `parkgraph build`")
    try:
        report, _ = build([], out_dir, remove=list(documents), store=store_url)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(f"{out_dir}: remove failed: {exc}") from exc
    print_report(report)
    if not report.ok:
        sys.exit(1)
