"""`parkgraph check`: reason, validate and report what is inconsistent or missing, in plain language."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from graph.checks import Severity
from graph.cli.app import main
from graph.validate import ValidateError, format_finding, load_graph, validate


@main.command("check")
@click.option("--graph", "location", default="out", show_default=True, type=click.Path(path_type=Path),
              help="A build folder (with graph.trig) or an RDF file (.trig, .ttl, .nq, .nt, .rdf).")
@click.option("--no-reason", is_flag=True,
              help="Skip the HermiT reasoner (no Java needed; consistency is then not decided).")
@click.option("--min-severity", type=click.Choice([s.value for s in Severity]), default="info",
              show_default=True, help="Show findings at this severity or worse.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check_cmd(location: Path, no_reason: bool, min_severity: str, as_json: bool) -> None:
    """Report contradictions (errors) and gaps (warnings) in a built graph, with the sentences behind them.

    Exits with status 1 only when an error-level problem is found, so a graph of honest but
    incomplete articles passes with warnings.

    Example:
        parkgraph check --graph out --min-severity warning
    """
    try:
        ds, store = load_graph(location)
        result = validate(ds, store=store, run_reasoner=not no_reason)
    except ValidateError as exc:
        raise click.ClickException(str(exc)) from exc
    limit = Severity(min_severity).rank
    shown = [f for f in result.findings if f.severity.rank <= limit]
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "summary": result.summary(),
                               "findings": [f.as_dict() for f in shown]}, indent=2, ensure_ascii=False))
    else:
        for f in shown:
            click.echo(format_finding(f))
        click.echo(result.summary())
    if not result.ok:
        sys.exit(1)
