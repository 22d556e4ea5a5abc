"""Extract: a Document -> typed entities and relations with evidence (rule-based, no model).

See graph/extract/mentions.py (names and their classes) and graph/extract/relations.py (facts).
"""

from __future__ import annotations

from graph.extract.core import extract

__all__ = ["extract"]
