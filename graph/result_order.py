"""Sort a SELECT result in Python in the order the engine's ORDER BY would give.

Why: pyoxigraph's ORDER BY compares terms by decoding them from the store on every comparison.
On the on-disk store that is a RocksDB read per term per comparison, so ordering the 30,334-row
fact-evidence dump at 1M triples cost about 4 s, more than finding the rows. The rows have to be
decoded once anyway to leave the engine; sorting the decoded rows costs tens of milliseconds.

`split_order` takes the final `ORDER BY ?a DESC(?b) ...` off a query (only plain variables, and
only when nothing follows it); `order_rows` sorts the result rows by the same keys with the
comparison the engine uses (spareval's `cmp_terms`): unbound < blank node < IRI < literal; IRIs
and blank nodes by their string; literals by value where SPARQL defines an order and otherwise
by (lexical form, datatype, language). That last rule makes a mixed column non-transitive (a
number compares with a number by value but with a string by its text), so `order_rows` sorts only
columns whose literals are all numbers or all text-like, and returns False otherwise: the caller
then runs the query with its ORDER BY. Rows equal on every key keep the engine's order (the
engine sorts unstably, so no order was promised between them).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from graph.sparql_text import scan_groups

__all__ = ["order_rows", "split_order"]

_ORDER = re.compile(
    r"\bORDER\s+BY\s+((?:(?:ASC|DESC)\s*\(\s*[?$][A-Za-z_][A-Za-z0-9_]*\s*\)\s*|[?$][A-Za-z_][A-Za-z0-9_]*\s*)+)$",
    re.IGNORECASE)
_KEY = re.compile(r"(ASC|DESC)?\s*\(?\s*[?$]([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_SELECT = re.compile(r"^(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\b[^<]*<[^>]*>)*SELECT\b", re.IGNORECASE)

_INTEGERS = {XSD[t] for t in ("integer", "byte", "short", "int", "long", "unsignedByte", "unsignedShort",
                              "unsignedInt", "unsignedLong", "positiveInteger", "negativeInteger",
                              "nonPositiveInteger", "nonNegativeInteger")}
_NUMERIC = _INTEGERS | {XSD.decimal, XSD.float, XSD.double}
# date and time literals whose text order is their value order: no timezone, four-digit year
_TEMPORAL = {XSD.dateTime: re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$"),
             XSD.date: re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
             XSD.time: re.compile(r"^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$"),
             XSD.gYear: re.compile(r"^[0-9]{4}$"),
             XSD.gYearMonth: re.compile(r"^[0-9]{4}-[0-9]{2}$")}
# ordered by value in a way this module does not model (timezones, durations)
_UNMODELLED = {XSD.dateTimeStamp, XSD.gMonth, XSD.gDay, XSD.gMonthDay, XSD.duration,
               XSD.dayTimeDuration, XSD.yearMonthDuration}
_STRING = str(XSD.string)
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_TEXT, _NUMBER = "text", "number"


@lru_cache(maxsize=512)
def split_order(sparql: str) -> tuple[str, tuple[tuple[str, bool], ...]] | None:
    """(the query without its final ORDER BY, ((variable, descending), ...)), or None.

    None unless the query is a SELECT whose text ends in an ORDER BY of plain variables: a LIMIT,
    OFFSET or trailing VALUES after it, or an expression among the keys, keeps the engine's sort.
    """
    select = _SELECT.match(sparql)
    if select is None:
        return None
    groups = [g for g in scan_groups(sparql) if g.parent is None]
    if not groups or groups[-1].close < 0:
        return None
    end = groups[-1].close + 1
    tail = sparql[end:]
    if "#" in tail or '"' in tail or "'" in tail:
        return None
    m = _ORDER.search(tail.rstrip())
    if m is None:
        return None
    keys = tuple((k.group(2), (k.group(1) or "").upper() == "DESC") for k in _KEY.finditer(m.group(1)))
    # a key the SELECT clause does not name is no result column: the engine must sort (checked here
    # so that such a query is not run twice)
    head = sparql[select.end():groups[0].open]
    if not re.match(r"\s*(DISTINCT|REDUCED)?\s*\*", head, re.IGNORECASE) and any(
            not re.search(rf"[?$]{name}\b", head) for name, _ in keys):
        return None
    return sparql[:end + m.start()] + tail[m.end():], keys


def _literal_key(term: Literal) -> tuple[str, object] | None:
    """(comparison class, key) of one literal, or None when this module does not model its order."""
    dt, text = term.datatype, str(term)
    if dt in _NUMERIC:
        value = term.value  # int, Decimal or float as rdflib parsed it; the lexical form otherwise
        if isinstance(value, (int, Decimal, float)) and value == value:  # False for NaN
            return _NUMBER, value  # Python compares int, Decimal and float exactly with each other
        return None  # ill-typed or NaN: the engine's order around it is not a total order
    if dt in _UNMODELLED or (dt in _TEMPORAL and not _TEMPORAL[dt].match(text)):
        return None
    # text-like: strings, language strings, booleans, simple dates, other datatypes. The engine
    # compares these by value within a kind and by (text, datatype, language) across kinds;
    # for these kinds value order is text order, so the tuple gives both.
    datatype = str(dt) if dt is not None else (_STRING if term.language is None else _LANG_STRING)
    return _TEXT, (text, datatype, term.language or "")


def _column_key(rows: list[dict[str, Node | None]], name: str) -> dict[int, tuple] | None:
    """Sort key per distinct term of one column (by object identity), or None if not sortable."""
    keys: dict[int, tuple] = {}
    kinds: set[str] = set()
    for row in rows:
        term = row.get(name)
        ident = id(term)
        if ident in keys:
            continue
        if term is None:
            key: tuple = (0,)
        elif isinstance(term, BNode):
            key = (1, str(term))
        elif isinstance(term, URIRef):
            key = (2, str(term))
        elif isinstance(term, Literal):
            found = _literal_key(term)
            if found is None:
                return None
            kinds.add(found[0])
            key = (3, found[1])
        else:
            return None
        keys[ident] = key
    return None if len(kinds) > 1 else keys


def order_rows(rows: list[dict[str, Node | None]], variables: list[str],
               keys: tuple[tuple[str, bool], ...]) -> bool:
    """Sort `rows` in place by `keys` as the engine's ORDER BY would; False (rows untouched) when
    a key is not a result column or a column mixes numbers with text."""
    if any(name not in variables for name, _ in keys):
        return False
    columns = []
    for name, descending in keys:
        column = _column_key(rows, name)
        if column is None:
            return False
        columns.append((name, descending, column))
    for name, descending, column in reversed(columns):  # stable sorts, least significant key first
        rows.sort(key=lambda row, n=name, c=column: c[id(row.get(n))], reverse=descending)
    return True

