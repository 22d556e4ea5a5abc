"""Command line: thin commands that parse options, call one library function and format the result."""

from graph.cli import build as _build  # noqa: F401  (registers `build`)
from graph.cli.app import main

for _name in ("query", "analyze", "viz", "link", "check", "serve", "remove"):
    try:  # commands of stages under construction register themselves when their module exists
        __import__(f"graph.cli.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"graph.cli.{_name}":
            raise

__all__ = ["main"]
