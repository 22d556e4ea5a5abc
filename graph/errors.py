"""Errors shared by the stores and the SPARQL text helpers (a module of its own to avoid an import cycle)."""

from __future__ import annotations

__all__ = ["StoreError"]


class StoreError(RuntimeError):
    """A graph that cannot be opened or a query that cannot run; the message says which and why."""
