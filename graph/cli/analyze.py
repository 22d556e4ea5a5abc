"""`parkgraph analyze NAME`: network analyses of a built graph, as tables, or written back as RDF."""

from __future__ import annotations

from pathlib import Path

import click

from graph.cli.app import main
from graph.query import OutputFormat, render
from graph.store import QueryResult, StoreError, open_store

ANALYSES = ("sponsor-communities", "centrality", "chain", "components", "isolated")


def _as_result(rows: list[dict[str, object]]) -> QueryResult:
    from rdflib import Literal, URIRef

    def term(v: object) -> object:
        if v is None:
            return None
        return URIRef(v) if isinstance(v, str) and v.startswith(("http://", "https://")) else Literal(v)

    variables = list(rows[0]) if rows else []
    return QueryResult(variables, [{k: term(v) for k, v in r.items()} for r in rows])


@main.command("analyze")
@click.argument("name", type=click.Choice(ANALYSES))
@click.argument("entities", nargs=-1)
@click.option("--graph", "graph_path", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Build folder or RDF file.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in OutputFormat]), default="table",
              show_default=True)
@click.option("--inferred/--no-inferred", default=False, show_default=True,
              help="Also project facts from the inferred named graph.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for community detection.")
@click.option("--write", is_flag=True,
              help="Also store the result in the build folder's analysis named graph (in graph.trig).")
def analyze_cmd(name: str, entities: tuple[str, ...], graph_path: Path, fmt: str, inferred: bool, seed: int,
                write: bool) -> None:
    """Run the network analysis NAME: sponsor-communities, centrality, chain A B, components, isolated.

    `chain` takes two entities (IRIs or labels) and prints the shortest chain of facts as sentences.

    Example:
        parkgraph analyze chain "Huangpu Chain Valley" "Guangdong" --graph out
    """
    from graph import analyze as an

    try:
        g = an.project(open_store(graph_path), include_inferred=inferred)
        if name == "chain":
            if len(entities) != 2:
                raise click.UsageError("chain needs two entities: parkgraph analyze chain A B")
            rows = an.shortest_chain(g, entities[0], entities[1])
            if fmt == "table":
                for line in an.chain_sentences(rows):
                    click.echo(line)
                return
        elif name == "sponsor-communities":
            rows = an.sponsor_communities(g, seed=seed)
        elif name == "centrality":
            rows = an.centrality(g, seed=seed)
        elif name == "components":
            rows = an.components(g)
        else:
            rows = an.isolated(g)
        click.echo(render(_as_result(rows), fmt), nl=False)
        if write:
            kinds = {"sponsor-communities": "community_rows", "centrality": "centrality_rows",
                     "components": "component_rows"}
            if name not in kinds:
                raise click.ClickException(f"--write stores sponsor-communities, centrality or components, not {name}")
            n = an.write_analysis(graph_path, an.analysis_graph(**{kinds[name]: rows}))
            click.echo(f"wrote {n} triples to the analysis graph in {graph_path / 'graph.trig'}", err=True)
    except (an.AnalysisError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
