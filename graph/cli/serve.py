"""`parkgraph serve`: the graph over the SPARQL 1.1 Protocol, with a query page."""

from __future__ import annotations

from pathlib import Path

import click

from graph.cli.app import main
from graph.store import Store, StoreError, open_store


@main.command("serve")
@click.option("--graph", "graph", default="out", show_default=True, metavar="DIR|FILE|URL",
              help="Build folder, RDF file or SPARQL server URL to serve.")
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Serve a SPARQL 1.1 server's graph instead (e.g. virtuoso+http://127.0.0.1:8890).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; 0.0.0.0 exposes the graph to the network).")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--writable", is_flag=True,
              help="Accept SPARQL Update and Graph Store writes (read-only by default).")
@click.option("--memory/--on-disk", default=True, show_default=True,
              help="Read-only: serve an in-memory copy of the build's store (2.5-5x faster on large "
                   "queries; costs about 2 s per 100k quads at start and the memory to hold them).")
def serve_cmd(graph: str, store_url: str | None, host: str, port: int, writable: bool, memory: bool) -> None:
    """Serve the graph: SPARQL endpoint at /query and /sparql, query page at /.

    Example:
        parkgraph serve --graph out --port 7878
    """
    from graph.query import QueryError
    from graph.serve import make_server

    location = store_url or (graph if "://" in graph else Path(graph))
    copied = False
    try:
        store = open_store(location)
        if memory and not writable and isinstance(store, Store):
            copied = True
            click.echo(f"loading {store.location} into memory (--on-disk to skip) ...", err=True)
            disk, store = store, store.in_memory()
            disk.close()  # the copy is all the server needs; release the folder's lock
        server = make_server(store, host=host, port=port, writable=writable)
    except (StoreError, QueryError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    mode = ("read-write" if writable else "read-only") + (", in memory" if copied else "")
    click.echo(f"serving {store.location} ({mode}) at {server.url}/  (SPARQL endpoint {server.url}/query)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
