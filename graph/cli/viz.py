"""`parkgraph viz`: draw the graph, one entity's neighbourhood, or a canned query's result as an offline page."""

from __future__ import annotations

from pathlib import Path

import click

from graph.cli.app import main, parse_params
from graph.store import StoreError, open_store
from graph.visualize import VizError, iris_in_rows, load_view, neighbourhood, resolve_entity, restrict, write_page


@main.command("viz")
@click.option("--graph", "location", default="out", show_default=True,
              help="A build folder, an RDF file (.trig, .ttl, .nq, .nt) or a SPARQL server URL.")
@click.option("--focus", metavar="ENTITY", help="Draw only this entity's neighbourhood (an IRI, label or alias).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Facts to follow from --focus or from the --query result [default: 1 with --focus, 0 with --query].")
@click.option("--query", "query_name", metavar="NAME",
              help="Draw the entities named in the rows of this canned query (see `parkgraph query --list`).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of --query (repeatable).")
@click.option("--title", default=None, help="Page title [default: ParkGraph].")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write.")
def viz_cmd(location: str, focus: str | None, depth: int | None, query_name: str | None,
            params: tuple[str, ...], title: str | None, out_file: Path) -> None:
    """Write an interactive HTML page of the graph that works with no network.

    Colour and shape show the class, size the number of facts; click an entity or a fact to read
    the sentences behind it; filter by class or document; search by name.

    \b
    Example:
        parkgraph viz --graph out --focus "Wuhan" --depth 2 --out wuhan.html
    """
    if focus and query_name:
        raise click.UsageError("give --focus or --query, not both")
    if params and not query_name:
        raise click.UsageError("--param needs --query")
    store = None
    try:
        store = open_store(location)
        view = load_view(store)
        subtitle = f"{len(view.documents)} documents"
        if focus:
            iri = resolve_entity(view, focus)
            hops = 1 if depth is None else depth
            label = view.nodes[iri].label
            view = neighbourhood(view, [iri], hops)
            subtitle = f"Neighbourhood of {label}, {hops} fact{'s' if hops != 1 else ''} deep"
        elif query_name:
            from graph.query import QueryError, load_queries, run_canned

            try:
                queries = load_queries()
                if query_name not in queries:
                    raise click.ClickException(
                        f"{query_name}: no such canned query (known: {', '.join(sorted(queries))})")
                result = run_canned(store, queries[query_name], params=parse_params(params))
            except QueryError as exc:
                raise click.ClickException(str(exc)) from exc
            iris = iris_in_rows(result)
            view = neighbourhood(view, iris, depth) if depth else restrict(view, iris)
            subtitle = f"Query {query_name}: {len(result.rows)} rows"
        summary = write_page(out_file, view, title=title or "ParkGraph", subtitle=subtitle)
    except (StoreError, VizError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if store is not None and hasattr(store, "close"):
            store.close()
    click.echo(f"wrote {summary.path}: {summary.nodes} entities, {summary.edges} facts "
               f"({summary.bytes / 1e6:.1f} MB, works offline)")
