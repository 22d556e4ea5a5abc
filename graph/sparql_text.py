"""SPARQL text helpers: serialise bound terms, find group patterns, and prepare queries for the engine.

Why a module of its own: the embedded store and the remote store both need to read a query's
group structure (which `{` opens a WHERE group, an OPTIONAL, a subquery, a VALUES data block)
without a full SPARQL parser, and both must serialise bound values so that a value can never
change the query around it.

Two things here exist only for the planner of the embedded store (pyoxigraph), used when a query
has bound parameters (a selective question), and neither changes a query's answer
(tests/test_sparql_text.py runs every canned query and parameter both ways):

- `hint_values`: pyoxigraph substitutes bound parameters after it has planned the query, so a
  query bound to one park is planned as if it asked about every park. A one-row VALUES block
  at the start of the WHERE group, for variables that are *also* substituted, tells the planner
  which value to start from; it joins with the same value, so the rows are the same.
- `lateral_optionals`: an OPTIONAL whose body joins on two or more variables (the evidence of a
  fact: its subject and object) is evaluated by a hash join over every such fact in the graph,
  then probed; at 1M triples that is seconds even when the result has four rows. Wrapping it as
  `LATERAL { OPTIONAL { ... } }` (SEP-0006, which pyoxigraph supports) looks the evidence up once
  per row instead. Only OPTIONALs directly in the outer WHERE group whose body holds no nested
  group are rewritten: for those, LATERAL and OPTIONAL give the same rows (a FILTER in such a body
  sees the row's variables under both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from graph.errors import StoreError

__all__ = ["Group", "bind_values", "has_dataset_clause", "hint_values", "inline_subselects", "lateral_optionals",
           "scan_groups", "sparql_iri", "sparql_term", "unwrap_str", "values_rows", "wants_per_row"]

_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LITERAL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_WORD = re.compile(r"[A-Za-z]+")
_SUBQUERY = re.compile(r"(?:\s|#[^\n]*(?:\n|$))*SELECT\b", re.IGNORECASE)


def _uchar(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def sparql_iri(value: str) -> str:
    """`<value>`, refusing characters that could end the IRI early and change the query."""
    if not value or _IRI_BAD.search(value):
        raise StoreError(f"cannot bind {value!r}: not a valid IRI")
    return f"<{value}>"


def sparql_term(term: Node | str) -> str:
    """Serialise an rdflib term (or an IRI string, as Store.query accepts) as SPARQL/N-Triples text.

    IRIs with characters that could end the IRI are refused; literal text is escaped, so a
    bound value can never change the query around it.

    Raises:
        StoreError: a blank node, an invalid IRI or language tag.

    Examples:
        >>> sparql_term(Literal('say "hi"\\n'))
        '"say \\\\"hi\\\\"\\\\n"'
    """
    if isinstance(term, URIRef):
        return sparql_iri(str(term))
    if isinstance(term, Literal):
        text = "".join(_LITERAL_ESCAPES.get(ch, ch) for ch in str(term))
        # control and non-ASCII characters as \u escapes: some servers (Virtuoso) misread UTF-8 forms
        text = re.sub(r"[^\x20-\x7e]", _uchar, text)
        if term.language:
            if not _LANG.match(term.language):
                raise StoreError(f"cannot bind {term!r}: bad language tag")
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{sparql_iri(str(term.datatype))}'
        return f'"{text}"'
    if isinstance(term, BNode):
        raise StoreError("cannot bind a blank node to a query on a remote store")
    if isinstance(term, str):
        return sparql_term(_as_term(term))
    raise StoreError(f"cannot bind {term!r}")


def _as_term(value: Node | str) -> Node:
    """A bound value as an rdflib term: a str is an IRI when it looks like one (as Store.query takes it)."""
    if isinstance(value, Node):
        return value
    return URIRef(value) if value.startswith(("http://", "https://", "urn:")) else Literal(value)


@dataclass
class Group:
    """One `{ ... }` of a query: where it opens and closes, what it is, and what holds it.

    kind is "group" (a group graph pattern), "template" (a CONSTRUCT template) or "data" (a
    VALUES block); keyword is the word right before the brace (OPTIONAL, WHERE, UNION, EXISTS,
    LATERAL, ...) and keyword_at where that word starts; subquery is True for `{ SELECT ... }`.
    """

    open: int
    close: int
    kind: str
    parent: int | None
    keyword: str | None
    keyword_at: int | None
    subquery: bool


def scan_groups(sparql: str) -> list[Group]:
    """Every brace pair of `sparql`, in the order they open, skipping comments, strings and IRIs.

    Why not a parser: rdflib's parser is slow on large queries and drops positions; this scanner
    only needs to tell braces apart, and it is tested on every canned query.
    """
    i, n = 0, len(sparql)
    groups: list[Group] = []
    stack: list[int] = []  # indexes into groups of the open braces
    pending: str | None = None  # what the next "{" opens, when a keyword said so
    word: tuple[str, int] | None = None  # the last word, while nothing but space followed it
    while i < n:
        ch = sparql[i]
        if ch.isspace():
            i += 1
            continue
        end = _opaque_end(sparql, i)
        if end is not None:
            if ch != "#":  # a comment is like space; a string or an IRI ends the word before it
                word = None
            i = end
            continue
        if ch.isalpha() and (i == 0 or not (sparql[i - 1].isalnum() or sparql[i - 1] in "?$_:")):
            m = _WORD.match(sparql, i)
            assert m is not None
            upper = m.group().upper()
            if upper == "VALUES":
                pending = "data"
            elif upper == "CONSTRUCT" and not stack:
                rest = sparql[m.end():].lstrip()
                pending = None if rest.upper().startswith("WHERE") else "template"
            word = (upper, i)
            i = m.end()
            continue
        if ch == "{":
            parent = stack[-1] if stack else None
            kind = "data" if (parent is not None and groups[parent].kind == "data") else (pending or "group")
            pending = None
            groups.append(Group(open=i, close=-1, kind=kind, parent=parent,
                                keyword=word[0] if word else None, keyword_at=word[1] if word else None,
                                subquery=kind == "group" and bool(_SUBQUERY.match(sparql, i + 1))))
            stack.append(len(groups) - 1)
        elif ch == "}" and stack:
            groups[stack.pop()].close = i
        word = None
        i += 1
    return groups


def _where_group(groups: list[Group]) -> Group | None:
    """The outermost WHERE group (the first top-level group pattern)."""
    return next((g for g in groups if g.parent is None and g.kind == "group"), None)


def bind_values(sparql: str, bindings: dict[str, Node | str]) -> str:
    """The query with `bindings` pre-bound: a one-row VALUES block opens every group pattern.

    Why every group: SPARQL evaluates groups bottom-up, so a binding placed only at the top
    would not reach a FILTER inside OPTIONAL or a subquery; in every group it acts like
    pyoxigraph's substitution of the variable throughout the query.

    Raises:
        StoreError: a bad variable name or term, or no group pattern.
    """
    if not bindings:
        return sparql
    block = _values_block(bindings)
    sparql = unwrap_str(sparql, bindings)  # the values become constants: see unwrap_str
    # a group holding a subquery must hold nothing else; the subquery's own WHERE gets the block
    at = [g.open + 1 for g in scan_groups(sparql) if g.kind == "group" and not g.subquery]
    if not at:
        raise StoreError("cannot bind parameters: the query has no WHERE { ... } group")
    return _insert(sparql, [(a, block) for a in at])


def hint_values(sparql: str, bindings: dict[str, Node | str]) -> str:
    """The query with a one-row VALUES block for `bindings` at the start of its WHERE group only.

    For the embedded store, which also substitutes the same values (see the module docstring):
    alone, a top-level block would not reach subqueries, so this is a planner hint, not a binding.
    """
    if not bindings:
        return sparql
    at = _where_start(sparql)
    if at is None:
        return sparql
    return _insert(sparql, [(at, _values_block(bindings))])


def values_rows(sparql: str, variables: list[str], rows: list[tuple[Node | str, ...]]) -> str:
    """The query with a VALUES block of `rows` for `variables` at the start of its outer WHERE group.

    Unlike a binding, this restricts the answer to the rows given: a caller that has worked out
    which values can match (graph.checks' cycle candidates) lets the engine start from them.

    Raises:
        StoreError: a bad variable name or term, or no outer WHERE group.
    """
    for name in variables:
        if not _VAR.match(name):
            raise StoreError(f"cannot bind {name!r}: not a variable name")
    at = _where_start(sparql)
    if at is None:
        raise StoreError("cannot add VALUES: the query has no outer WHERE { ... } group")
    head = " ".join(f"?{n}" for n in variables)
    body = " ".join("(" + " ".join(sparql_term(t) for t in row) + ")" for row in rows)
    return _insert(sparql, [(at, f" VALUES ({head}) {{ {body} }} ")])


@lru_cache(maxsize=512)
def _where_start(sparql: str) -> int | None:
    """Index just inside the outer WHERE group's `{` (cached: the scan costs about as much as a
    small query on the embedded store, and canned queries repeat)."""
    where = _where_group(scan_groups(sparql))
    return None if where is None or where.subquery else where.open + 1


@lru_cache(maxsize=512)
def lateral_optionals(sparql: str) -> str:
    """The query with each plain OPTIONAL of its outer WHERE group looked up once per row (LATERAL).

    Plain: directly in the outer WHERE group, with no group nested in its body (see the module
    docstring for why those are the ones where LATERAL and OPTIONAL agree).
    """
    groups = scan_groups(sparql)
    where = _where_group(groups)
    if where is None:
        return sparql
    top = groups.index(where)
    nested = {g.parent for g in groups if g.parent is not None}
    edits: list[tuple[int, str]] = []
    for k, g in enumerate(groups):
        if g.parent == top and g.keyword == "OPTIONAL" and k not in nested and g.close > 0:
            assert g.keyword_at is not None
            edits += [(g.keyword_at, "LATERAL { "), (g.close + 1, " }")]
    return _insert(sparql, edits) if edits else sparql


_ONE_PATTERN = re.compile(r"^\s*SELECT\s+((?:[?$][A-Za-z_][A-Za-z0-9_]*\s+)+)WHERE\s*$", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=512)
def inline_subselects(sparql: str, bound: frozenset[str] | None = None) -> str:
    """The query with each `{ SELECT ?a ?b WHERE { triple patterns } }` replaced by its patterns,
    when one of those patterns reads a variable in `bound` (or always, when `bound` is None);
    otherwise the query unchanged.

    Why: such a subquery is how a canned query asks for a hash join when nothing selective is
    bound (the planner joins a subquery's whole result instead of looking each row up:
    fact-evidence unbound at 1M triples, 5.3 s -> 3.3 s in the engine). When a bound value is one
    a pattern starts from (a park, a subject), lookups from it are what is wanted, so the embedded
    store inlines them all before planning. A bound threshold (min_parks) is read by no pattern
    and keeps the scans. Same answer: a subquery is inlined only when it projects every variable
    of its patterns, so it has the patterns' solutions. Other servers get every one inlined: they
    plan on their own, and Virtuoso 7.2 estimates such subqueries as cross products and refuses.
    """
    groups = scan_groups(sparql)
    children: dict[int, list[int]] = {}
    for k, g in enumerate(groups):
        if g.parent is not None:
            children.setdefault(g.parent, []).append(k)
    edits: list[tuple[int, int, str]] = []
    reads_bound = False
    for k, g in enumerate(groups):
        inner = children.get(k, [])
        if not g.subquery or len(inner) != 1 or inner[0] in children:  # one WHERE group, nothing nested
            continue
        where = groups[inner[0]]
        body = sparql[where.open + 1:where.close]
        head = _ONE_PATTERN.match(sparql[g.open + 1:where.open])
        if head is None or any(w in body.upper() for w in ("FILTER", "BIND", "VALUES", "OPTIONAL", "#")):
            continue
        variables = set(_VARIABLE.findall(body))
        if variables != set(_VARIABLE.findall(head.group(1))):
            continue
        reads_bound = reads_bound or bound is None or bool(variables & bound)
        # braces only where the syntax needs them: Virtuoso 7.2 also misjudges a join of groups
        before = _strip_comments_before(sparql, g.open)
        bare = g.keyword is None and g.parent is not None and before[-1:] in ("{", "}", ".")
        patterns = body.strip().removesuffix(".").rstrip()  # its own final dot, if any, is ours now
        edits.append((g.open, g.close + 1, patterns + " ." if bare else "{ " + patterns + " }"))
    if not reads_bound:
        return sparql
    out, last = [], 0
    for start, end, text in edits:
        out += [sparql[last:start], text]
        last = end
    out.append(sparql[last:])
    return "".join(out)


def _strip_comments_before(sparql: str, at: int) -> str:
    """The text before `at` without trailing space and comment lines (what the syntax sees last)."""
    lines = sparql[:at].split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return "\n".join(lines).rstrip()


_PER_ROW = re.compile(r"^\s*#\s*plan\s*:\s*per-row\s*$", re.M)


@lru_cache(maxsize=512)
def wants_per_row(sparql: str) -> bool:
    """True when the query asks, by a `# plan: per-row` comment line, for lateral_optionals even
    when no parameter is bound.

    Why a comment: whether a lookup per row beats one hash join depends on the query (timeline
    unbound at 1M triples: 3.3 s hash-joined against 0.86 s per row, because its sentence OPTIONAL
    would join every mention in the graph; shared-sponsor unbound: per row 2.4x slower), so the
    query's author says so where the query is, and servers that do not know LATERAL never see it.
    """
    return bool(_PER_ROW.search(sparql))


def _values_block(bindings: dict[str, Node | str]) -> str:
    names = sorted(bindings)
    for name in names:
        if not _VAR.match(name):
            raise StoreError(f"cannot bind {name!r}: not a variable name")
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(sparql_term(bindings[n]) for n in names)
    return f" VALUES ({head}) {{ ({row}) }} "


def _insert(text: str, edits: list[tuple[int, str]]) -> str:
    """`text` with each (index, snippet) inserted; indexes refer to the original text."""
    parts, last = [], 0
    for at, snippet in sorted(edits, key=lambda e: e[0]):
        parts += [text[last:at], snippet]
        last = at
    parts.append(text[last:])
    return "".join(parts)


@lru_cache(maxsize=512)
def has_dataset_clause(sparql: str) -> bool:
    """True when a query names its own dataset (FROM / FROM NAMED before its first brace).

    Why: the merged default graph is only the default; a user's FROM <graph> must win over it.
    Cached: two regex passes over the text were a tenth of a millisecond query's time.
    """
    head = re.sub(r"<[^<>\s]*>", "<>", sparql)  # IRIs may hold '#' or braces-free text that looks like FROM
    head = re.sub(r"#[^\n]*", "", head).split("{", 1)[0]
    return re.search(r"\bFROM\b", head, re.IGNORECASE) is not None


def _opaque_end(sparql: str, i: int) -> int | None:
    """Where the comment, string or IRI that starts at `i` ends; None when none starts there.

    Why: a brace, a keyword or `STR(?v)` inside one of them is not query syntax, and both the brace
    scanner and unwrap_str must step over them the same way.
    """
    ch = sparql[i]
    if ch == "#":
        j = sparql.find("\n", i)
        return len(sparql) if j < 0 else j
    if ch in "'\"":
        quote = ch * 3 if sparql.startswith(ch * 3, i) else ch
        j = i + len(quote)
        while j < len(sparql) and not sparql.startswith(quote, j):
            j += 2 if sparql[j] == "\\" else 1
        return min(len(sparql), j + len(quote))
    if ch == "<":
        m = _IRIREF.match(sparql, i)
        return m.end() if m else None
    return None


def _code_mask(sparql: str) -> str:
    """`sparql` with every comment, string and IRI blanked out (same length), so a regex over it
    finds only query syntax, at the same positions as in the original text."""
    out = list(sparql)
    i = 0
    while i < len(sparql):
        end = _opaque_end(sparql, i)
        if end is None:
            i += 1
            continue
        out[i:end] = " " * (end - i)
        i = end
    return "".join(out)


def unwrap_str(sparql: str, bindings: dict[str, Node | str]) -> str:
    """The query with `STR(?v)` written as `?v` for each variable bound to a simple literal.

    Why: the same value either way (STR of a simple literal is that literal), but Virtuoso 7.2
    compiles STR() of a constant (which a bound value becomes) through a narrow string and turns
    every non-ASCII character into '?' (openlink/virtuoso-opensource#609), so a Chinese or
    accented name given to a canned question matched nothing there. Comparisons and LCASE on the
    bare constant keep their characters. bind_values applies it: that is where values become
    constants (the remote store; the embedded one substitutes values instead).

    Examples:
        >>> unwrap_str('SELECT * { FILTER(CONTAINS(LCASE(STR(?m)), LCASE(STR( ?name )))) }', {"name": "中关村"})
        'SELECT * { FILTER(CONTAINS(LCASE(STR(?m)), LCASE(?name))) }'
    """
    plain = [name for name, value in bindings.items()
             if _VAR.match(name) and isinstance(t := _as_term(value), Literal) and not (t.language or t.datatype)]
    if not plain:
        return sparql
    call = re.compile(r"\bSTR\s*\(\s*[?$](" + "|".join(map(re.escape, plain)) + r")\s*\)", re.IGNORECASE)
    edits = [(m.start(), m.end(), "?" + m.group(1)) for m in call.finditer(_code_mask(sparql))]
    for start, end, text in reversed(edits):
        sparql = sparql[:start] + text + sparql[end:]
    return sparql
