"""The one place that locates the project's declarative files (ontology, queries, corpus, reference data)
and its cache folder.

Why: in a checkout they live at the top level (`ontology/`, `queries/`) where people edit them; in an
installed wheel they are shipped inside the package (`graph/_share/`). Every other module asks here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "CHECKS_DIR",
    "CORPUS_DIR",
    "ONTOLOGY_FILE",
    "QUERIES_DIR",
    "REFERENCE_DIR",
    "SHAPES_FILE",
    "cache_dir",
    "share_dir",
]

_PACKAGE = Path(__file__).resolve().parent


def share_dir(name: str) -> Path:
    """Return the folder `name` (`ontology` or `queries`), installed copy first, then the checkout's.

    Raises:
        FileNotFoundError: if neither location has it (a broken install).
    """
    for candidate in (_PACKAGE / "_share" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ParkGraph data folder {name!r} not found next to {_PACKAGE}")


# The cache folder: $PARKGRAPH_CACHE, else $XDG_CACHE_HOME/parkgraph, else ~/.cache/parkgraph;
# PARKGRAPH_CACHE=off keeps nothing.
CACHE_ENV = "PARKGRAPH_CACHE"


def cache_dir() -> Path | None:
    """Where ParkGraph keeps what it can remake (the reference index, online answers); None when off.

    Read at call time, so a test or a user can point it elsewhere with the environment variable.
    """
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "parkgraph"


ONTOLOGY_DIR = share_dir("ontology")
ONTOLOGY_FILE = ONTOLOGY_DIR / "parkgraph.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = share_dir("queries")
CHECKS_DIR = QUERIES_DIR / "checks"
CORPUS_DIR = _PACKAGE / "corpus"
REFERENCE_DIR = _PACKAGE / "reference"
