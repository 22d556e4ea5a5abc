"""`parkgraph query` (canned questions) and `parkgraph sparql` (your own SPARQL)."""

from __future__ import annotations

from pathlib import Path

import click

from graph.cli.app import main, parse_params
from graph.query import OutputFormat, QueryError, load_queries, render, run_canned, run_sparql
from graph.store import StoreError, open_store

_FORMATS = click.Choice([f.value for f in OutputFormat])


def _graph_options(command):
    """--graph, --format and --inferred, shared by `query` and `sparql` so both read a graph alike."""
    command = click.option("--inferred/--no-inferred", default=True, show_default=True,
                           help="Include the reasoner's inferred named graph.")(command)
    command = click.option("--format", "fmt", type=_FORMATS, default="table", show_default=True)(command)
    return click.option("--graph", "graph_path", default="out", show_default=True,
                        type=click.Path(path_type=Path), help="Build folder or RDF file (.trig, .ttl, .nq).")(command)


@main.command("query")
@click.argument("name", required=False)
@click.option("--list", "list_all", is_flag=True, help="List the canned questions and their parameters.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Query parameter (repeatable); IRIs in full or as pgid:park/..., pg:Class.")
@_graph_options
def query_cmd(name: str | None, list_all: bool, params: tuple[str, ...], graph_path: Path, fmt: str,
              inferred: bool) -> None:
    """Run the canned question NAME (see --list) on a built graph.

    Example:
        parkgraph query parks-in-place --param name=guangdong --graph out --format csv
    """
    try:
        queries = load_queries()
    except QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    if list_all or not name:
        for q in queries.values():
            click.echo(f"{q.name}: {q.title}")
            click.echo(f"    {q.question}")
            for p in q.params:
                need = "required" if p.required else "optional"
                click.echo(f"    --param {p.name}=<{p.type.value}> ({need}) {p.description}")
        return
    if name not in queries:
        raise click.ClickException(f"no canned query {name!r}; see `parkgraph query --list`")
    try:
        store = open_store(graph_path)
        result = run_canned(store, queries[name], params=parse_params(params), include_inferred=inferred)
    except (QueryError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(render(result, fmt), nl=False)


@main.command("sparql")
@click.argument("text", required=False)
@click.option("--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the query from this file instead.")
@_graph_options
def sparql_cmd(text: str | None, query_file: Path | None, graph_path: Path, fmt: str, inferred: bool) -> None:
    """Run your own SPARQL (TEXT or --file) on a built graph; the default graph holds every graph's triples once.

    Example:
        parkgraph sparql 'SELECT ?p WHERE { ?p a pg:IndustrialPark } ORDER BY ?p' --graph out
    """
    if (text is None) == (query_file is None):
        raise click.UsageError("give the query as TEXT or with --file, not both")
    sparql = query_file.read_text(encoding="utf-8") if query_file else str(text)
    if "PREFIX" not in sparql.upper():
        from graph.vocab import PREFIXES

        sparql = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items()) + sparql
    try:
        result = run_sparql(open_store(graph_path), sparql, include_inferred=inferred)
    except (QueryError, StoreError) as exc:
        where = f"{query_file}: " if query_file else ""
        raise click.ClickException(f"{where}{exc}") from exc
    click.echo(render(result, fmt), nl=False)
