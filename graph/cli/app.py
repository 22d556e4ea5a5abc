"""The `parkgraph` command group; each command lives in its own module of graph.cli."""

from __future__ import annotations

import logging

import click

from graph import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="parkgraph")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """ParkGraph: build, query, check, link and explore a knowledge graph of industrial parks.

    Example:
        parkgraph build graph/corpus --out out && parkgraph query --list
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--param key=value` options as a dict (shared by `query` and `viz`, so both read them alike).

    Raises:
        click.BadParameter: an item without `=` or without a key.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r}: expected key=value", param_hint="--param")
        out[key.strip()] = value
    return out
