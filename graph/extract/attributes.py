"""Dates and amounts: when a policy was issued or a park launched, and the money and counts stated.

Why after relations: a date belongs to the act a sentence reports ("In April 2018, X launched Y"),
so it is attached to the entities of that sentence's issuedBy / establishedBy facts.
"""

from __future__ import annotations

import re
from decimal import Decimal

from graph.extract.lexicon import MONTHS
from graph.model import Amount, Extraction
from graph.vocab import EntityClass, Predicate

__all__ = ["attach_attributes", "find_dates"]

_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = re.compile(
    rf"(?<!by )(?<!until )(?<!before )\b(?:{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})|{_MONTH}\s+(\d{{4}})"
    rf"|(?:in|since) (\d{{4}}))\b"
)
_LAUNCHED = re.compile(r"\b(?:was|were|is) (?:inaugurated|launched|opened|founded|established|unveiled)\b")
_AMOUNT = re.compile(
    r"(?P<q>up to|more than|over|about|nearly|at least|around|as much as|exceeding|below|under|almost|"
    r"a maximum (?:reward |subsidy |grant )?of|a minimum of)?\s*"
    r"(?P<cur>US\$|\$|RMB\s?|¥)?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<mult>million|billion|trillion|thousand)?\s*"
    r"(?P<unit>yuan|RMB|dollars|US dollars|square metres|square meters|percent|%|"
    r"(?:(?:[a-z][a-z\-]+ ){0,2})(?:enterprises|companies|firms|start-ups|projects))?",
    re.IGNORECASE,
)
_MULT = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def find_dates(text: str) -> list[tuple[int, int, str]]:
    """Dates in a sentence as (start, end, ISO string at the precision given).

    Examples:
        >>> [d[2] for d in find_dates("In April 2018, on March 15, 2020, and in 2017; by 2025")]
        ['2018-04', '2020-03-15', '2017']
    """
    out = []
    for m in _DATE.finditer(text):
        if m.group(1):
            value = f"{int(m.group(3)):04d}-{MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}"
        elif m.group(4):
            value = f"{int(m.group(5)):04d}-{MONTHS[m.group(4).lower()]:02d}"
        else:
            value = m.group(6)
        if 1950 <= int(value[:4]) <= 2100:
            out.append((m.start(), m.end(), value))
    return out


def attach_attributes(ex: Extraction, *, per_sentence_keys: list[list[str]]) -> None:
    """Set issueDate / launchDate from the sentence of the fact, and collect stated amounts."""
    by_sentence: dict[int, list] = {}
    for r in ex.relations:
        by_sentence.setdefault(r.sentence, []).append(r)
    spans: dict[int, list[tuple[int, int]]] = {}
    named_in: dict[int, list[str]] = {}
    for key, ent in ex.entities.items():
        for m in ent.mentions:
            spans.setdefault(m.sentence, []).append((m.start, m.end))
            named_in.setdefault(m.sentence, []).append(key)
    for sent in ex.sentences:
        rels = by_sentence.get(sent.index, [])
        dates = [d for d in find_dates(sent.text) if not _inside(sent.start + d[0], spans.get(sent.index, []))]
        if dates:
            value = max(dates, key=lambda d: len(d[2]))[2]
            for r in rels:
                if r.predicate is Predicate.ISSUED_BY:
                    ex.entities[r.subject].attrs.setdefault("issueDate", value)
                elif r.predicate is Predicate.ESTABLISHED_BY:
                    ex.entities[r.subject].attrs.setdefault("launchDate", value)
            if _LAUNCHED.search(sent.text):
                for key in named_in.get(sent.index, []):
                    ent = ex.entities[key]
                    if ent.cls is EntityClass.PARK:
                        ent.attrs.setdefault("launchDate", value)
                        break
        _amounts(ex, sent, spans.get(sent.index, []), named_in.get(sent.index, []))


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _amounts(ex: Extraction, sent, spans, keys: list[str]) -> None:
    targets = [
        (min(m.start for m in ex.entities[k].mentions if m.sentence == sent.index), k, ex.entities[k])
        for k in sorted(set(keys))
        if ex.entities[k].cls in {EntityClass.POLICY, EntityClass.PARK}
    ]
    if not targets:
        return
    policies = [t for t in targets if t[2].cls is EntityClass.POLICY]
    subject = sorted(policies or targets)[0][1]
    for m in _AMOUNT.finditer(sent.text):
        unit = (m.group("unit") or "").lower()
        if unit and unit.split()[-1] in {"enterprises", "companies", "firms", "start-ups", "projects"}:
            unit = unit.split()[-1]  # "156 blockchain enterprises" counts enterprises
        cur = (m.group("cur") or "").strip()
        if not unit and not cur:
            continue
        start = sent.start + m.start("num") - (len(m.group("cur") or ""))
        if _inside(start, spans):
            continue
        value = Decimal(m.group("num").replace(",", ""))
        if m.group("mult"):
            value *= _MULT[m.group("mult").lower()]
        currency = None
        if unit in {"yuan", "rmb"} or cur in {"RMB", "¥"}:
            currency, unit_name = "CNY", "money"
        elif unit in {"dollars", "us dollars"} or cur in {"$", "US$"}:
            currency, unit_name = "USD", "money"
        elif unit in {"percent", "%"}:
            unit_name = "percent"
        else:
            unit_name = unit
        text = sent.text[m.start() : m.end()].strip()
        ex.amounts.append(Amount(subject=subject, value=Decimal(int(value)) if value == value.to_integral() else value,
                                 unit=unit_name, text=text, sentence=sent.index, start=sent.start + m.start(),
                                 end=sent.start + m.end(), currency=currency,
                                 qualifier=_qualifier(m.group("q"))))


def _qualifier(text: str | None) -> str | None:
    """Normalised qualifier: "a maximum reward of" is "up to", "a minimum of" is "at least"."""
    if not text:
        return None
    low = text.lower()
    if low.startswith("a maximum"):
        return "up to"
    if low.startswith("a minimum"):
        return "at least"
    return low
