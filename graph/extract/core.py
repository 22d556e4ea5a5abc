"""Extract one document: names -> entities (with in-document coreference) -> relations -> attributes.

Why this order: relation rules work on a sentence in which every name and anaphor has been replaced
by a typed placeholder (see graph/extract/relations.py), so names must be known first; dates and
amounts then attach to the facts a sentence states.
"""

from __future__ import annotations

import itertools
import logging
import re

from graph.extract.attributes import attach_attributes
from graph.extract.lexicon import PLACE_HEADS, SURNAMES, head_class
from graph.extract.mentions import GENERIC_NAME_WORDS, Chunk, find_chunks, is_name_word
from graph.extract.relations import RelationContext, extract_relations
from graph.extract.table import EntityTable, Occurrence, name_key
from graph.gazetteer import gazetteer
from graph.model import Document, Extraction, Relation, Sentence
from graph.sentences import split_sentences
from graph.vocab import EntityClass, PlaceKind, Predicate

__all__ = ["extract"]

log = logging.getLogger(__name__)

_MEDIA_BEFORE = re.compile(
    r"(?:interview with|told|statistics of|reported by|reprint of an?|posted by:?|learned from|according to|"
    r"compiled by|published by)"
    r"\s*(?:the\s+)?(?:incomplete\s+)?(?:statistics\s+of\s+)?[“\"]?$",
    re.IGNORECASE,
)
_MEDIA_AFTER = re.compile(r"^[”\"]?\s+(?:learned|reported|found|said in a report|is an? (?:open )?\w*\s*"
                          r"(?:information |news |media )?(?:publishing )?(?:platform|outlet|website|newspaper|"
                          r"magazine|media))", re.IGNORECASE)
# a wire dateline names its agency: "CHONGQING, Jan. 5 (Xinhua) --"
_DATELINE_BEFORE = re.compile(r"^\s*[A-Z][A-Z '’\-]+,\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*\($")
_DATELINE_AFTER = re.compile(r"^\)\s*(?:--|—|–|-)")
_DIRECTION_BEFORE = re.compile(r"\b(?:central|eastern|western|northern|southern|north|south|east|west|"
                               r"north-?east(?:ern)?|north-?west(?:ern)?|south-?east(?:ern)?|south-?west(?:ern)?)\s+$")
_REPORT_HEAD = re.compile(r"^(?:Report|Survey|Census|Index|Whitepaper|Yearbook|Ranking|Study)$")
_LANDMARK_BEFORE = re.compile(r"\b(?:District|County|City|Province|New Area|Town|Village)['’]?,? home to the\s+$")
_EXEC_AFTER = re.compile(r"^['’]s\s+(?:chairman|chairwoman|ceo|founder|co-founder|president|chief executive)\b",
                         re.IGNORECASE)
_WORKS_AT_BEFORE = re.compile(r"\b(?:an?|the)\s+(?:senior\s+|chief\s+|principal\s+)?(?:analyst|researcher|economist|"
                              r"scientist|engineer|consultant|partner)\s+(?:at|with)\s+$")
_ENT_LIST_BEFORE = re.compile(
    r"(?:enterprises|companies|firms|giants|players|corporations|brands|tenants),?\s+(?:such as|like|including|"
    r"among them)\s+(?:[\w&’'.\- ]+,\s*)*(?:[\w&’'.\- ]+\s+and\s+)?$",
    re.IGNORECASE,
)
_ENT_VERB_AFTER = re.compile(
    r"^\s+(?:will |has |have |had |also |later |then |now |recently )*(?:open|opened|opens|set up|sets up|relocate|"
    r"relocated|relocates|move|moved|moves|settled|settles|stationed|signed|invested|launched its|established its|"
    r"built its)\b",
    re.IGNORECASE,
)
_ENT_APPOSITIVE = re.compile(
    r"^,\s+(?:a|an)\s+[^,.;]{0,60}?\b(?:start-up|startup|firm|company|enterprise|developer|maker|provider|giant|"
    r"group|bank|platform|unicorn|supplier|manufacturer|operator|conglomerate)\b|^,\s+which is headquartered"
    r"|^,\s+the (?:park|zone|base)['’]s (?:largest |biggest |first |main |anchor |newest )?(?:tenant|investor)\b",
    re.IGNORECASE,
)
_ORG_APPOSITIVE = re.compile(
    r"^,\s+(?:a|an)\s+[^,.;]{0,60}?\b(?:think tank|institute|lab|laboratory|association|alliance|university|"
    r"media outlet|outlet|newspaper|website|non-profit|ngo|research body)\b",
    re.IGNORECASE,
)
_PERSON_CONTEXT_AFTER = re.compile(r"^,\s+(?:the\s+|a\s+|an\s+)?(?:[a-z\-]+\s+){0,3}(?:director|head|chairman|"
                                   r"president|manager|founder|ceo|secretary|fellow|researcher|professor|"
                                   r"spokesperson|spokesman|mayor|governor|minister|analyst|economist)\b"
                                   r"|^\s+said\b")
# ... or a byline: "By Sarah Lin" on a line of its own
_PERSON_CONTEXT_BEFORE = re.compile(r"(?:\bsaid|\baccording to|\bEconomist|\bProfessor|\bDr\.?|\bMr\.?|\bMs\.?"
                                    r"|^\s*(?:By|Reported by|Written by|Author:|Editor:))\s+$")


def extract(doc: Document) -> Extraction:
    """Extract entities, relations, dates and amounts from one document.

    Args:
        doc: an ingested document.

    Returns:
        The document's Extraction; entity keys are document-independent where names allow.
    """
    sentences = split_sentences(doc.text)
    vocab = set(re.findall(r"\b[a-z][a-z\-]+\b", doc.text))
    paragraph = _paragraph_ids(doc.text, sentences)
    table = EntityTable()
    per_sentence: list[list[Occurrence]] = []
    relations: list[Relation] = []
    chunks_by_sentence = [find_chunks(s.text, s.start, vocab) for s in sentences]

    # Pass 1: classified names create entities, so that later unknown chunks can resolve to them.
    for s, chunks in zip(sentences, chunks_by_sentence):
        for c in chunks:
            if c.cls is not None:
                _prime(table, c, s)

    ctx = RelationContext(doc=doc, table=table, sentences=sentences, paragraph=paragraph, relations=relations)
    table.history.clear()
    for ent in table.entities.values():
        ent.mentions.clear()
    for s, chunks in zip(sentences, chunks_by_sentence):
        occs = _occurrences(table, ctx, s, chunks)
        per_sentence.append(occs)
        extract_relations(ctx, s, occs)

    _committee_policies(table, relations)
    _parks_of_local_governments(table, relations, ctx.governed)
    _qualify_places(table, relations)
    ex = Extraction(document=doc, sentences=sentences, entities={}, relations=[])
    _finalise(ex, table, relations)
    attach_attributes(ex, per_sentence_keys=[[o.key for o in occs] for occs in per_sentence])
    return ex


def _paragraph_ids(text: str, sentences: list[Sentence]) -> list[int]:
    ids = []
    para = 0
    last_end = 0
    for s in sentences:
        if "\n" in text[last_end : s.start]:
            para += 1
        ids.append(para)
        last_end = s.end
    return ids


def _prime(table: EntityTable, c: Chunk, s: Sentence) -> None:
    """First pass: register a classified name (and the parts it is made of) without mentions."""
    for part_cls, part_text, part_kind in _parts(c):
        key = table.add(part_cls, part_text, start=c.start, end=c.end, sentence=s.index, kind=part_kind,
                        record_mention=False)
        if c.acronym and part_text == c.text:
            table.add_alias(key, c.acronym)


def _parts(c: Chunk) -> list[tuple[EntityClass, str, PlaceKind | None]]:
    """A chunk as one or two names: "X Center of Y Institute" and "X District of Y City" are two."""
    assert c.cls is not None
    text = c.text
    m = re.match(r"^(?P<a>.+?) of (?:the )?(?P<b>[A-Z].+)$", text)
    if m and not c.quoted:
        a, b = m.group("a"), m.group("b")
        a_cls, a_kind = head_class(a.split())
        b_cls, b_kind = _class_of(b)
        if a_cls is EntityClass.PLACE and b_cls is EntityClass.PLACE:
            return [(EntityClass.PLACE, a, a_kind), (EntityClass.PLACE, b, b_kind)]
        if a_cls is EntityClass.PARK and b_cls is EntityClass.PARK and len(a.split()) > 1:
            # "Lingang Special Area of the China (Shanghai) Pilot Free Trade Zone": a park inside a park
            return [(a_cls, a, None), (b_cls, b, None)]
        if (
            a_cls in {EntityClass.ORGANIZATION, EntityClass.PARK}
            and b_cls in {EntityClass.ORGANIZATION, EntityClass.ENTERPRISE}
            and len(a.split()) > 1
            # "Academy of Information and Communications Technology": b names fields, not a body
            and not all(w.lower() in GENERIC_NAME_WORDS | {"and", "&"} for w in b.split())
        ):
            return [(a_cls, a, None), (b_cls, b, None)]
    return [(c.cls, text, c.kind)]


def _class_of(text: str) -> tuple[EntityClass | None, PlaceKind | None]:
    entry = gazetteer().best(text)
    if entry is not None:
        return EntityClass.PLACE, entry.kind
    return head_class(text.split())


def _occurrences(table: EntityTable, ctx: RelationContext, s: Sentence, chunks: list[Chunk]) -> list[Occurrence]:
    """All entity occurrences of a sentence, left to right: names, nested names, anaphors."""
    occs: list[Occurrence] = []
    text = ctx.doc.text
    history_before = len(table.history)
    implicit: list[tuple[int, str]] = []  # parks named inside a title: recent for "the park", not occurrences
    for c in chunks:
        before = text[max(s.start, c.start - 80) : c.start]
        after = text[c.end : min(s.end, c.end + 100)]
        cls, kind = c.cls, c.kind
        key: str | None = None
        if cls is EntityClass.PLACE and kind is PlaceKind.COUNTRY and _DIRECTION_BEFORE.search(before) \
                and not re.match(r"^['’]s\b", after):
            # "central China", "western China": a broad region; but "northwest China's Shaanxi" names the country
            continue
        if cls is None and _REPORT_HEAD.match(c.words[-1] if c.words else ""):
            continue  # "China Blockchain Enterprise Development Census Report": a publication, not a body
        if cls is None and _LANDMARK_BEFORE.search(before) and len(c.words) <= 3:
            cls = EntityClass.PLACE  # "Huangpu District, home to the Bund": a landmark, not "the Bund ... Hub"
        if cls is None:
            key = _resolve_unknown(table, c, before, after)
            if key is None:
                cls = _context_class(c, before, after)
                if cls is None:
                    continue
        if key is not None:
            ent = table.entities[key]
            table.add(ent.cls, c.text, start=c.start, end=c.end, sentence=s.index, key=key)
            occs.append(Occurrence(key, ent.cls, c.start, c.end, s.index, c.text))
            continue
        assert cls is not None
        c.cls, c.kind = cls, kind
        parts = _parts(c)
        if len(parts) == 2:
            occs.extend(_split_occurrences(table, ctx, c, parts, s))
            continue
        # lowercase "government" right after a place: "the Binhai New Area government"
        gov_after = re.match(r"^\s+government\b", after)
        if cls is EntityClass.PLACE and gov_after:
            place_key = table.add(cls, c.text, start=c.start, end=c.end, sentence=s.index, kind=kind)
            gov_text = text[c.start : c.end + gov_after.end()]
            gov_key = ctx.government_of(place_key, surface=gov_text, sentence=s, start=c.start,
                                        end=c.end + gov_after.end(), explicit_name=f"{c.text} Government")
            occs.append(Occurrence(gov_key, EntityClass.GOVERNMENT, c.start, c.end + gov_after.end(), s.index,
                                   gov_text))
            continue
        lower_gov = _LOWER_GOV.search(before)
        if lower_gov:  # "the government of X", "the management committee of X"
            occs.append(_lowercase_government(table, ctx, c, s, lower_gov))
            continue
        parent = _possessor_place(table, before) if cls is EntityClass.PLACE and kind is PlaceKind.DISTRICT else None
        explicit = f"Place:{name_key(cls, c.text)} @{parent}" if parent else None

        key = table.add(cls, c.text, start=c.start, end=c.end, sentence=s.index, kind=kind, key=explicit)
        if c.acronym:
            table.add_alias(key, c.acronym)
        occs.append(Occurrence(key, cls, c.start, c.span_end or c.end, s.index, c.text))
        _nested(table, ctx, c, key, s)
        if cls is EntityClass.POLICY:
            for pk, pe in list(table.entities.items()):
                if pe.cls is EntityClass.PARK and len(pe.name.split()) > 1 and pe.name.lower() in c.text.lower():
                    table.touch(pk)
                    implicit.append((c.start, pk))
    occs.extend(_list_members(table, s, chunks, occs, text))
    occs.extend(_anaphors(table, ctx, s, occs, history_before, implicit))
    occs.sort(key=lambda o: o.start)
    _known_as(table, text, occs)
    return occs


_LIST_SEP = re.compile(r"^\s*(?:,|,? and|,? or|,? as well as)\s*$")


def _list_members(table: EntityTable, s: Sentence, chunks: list[Chunk], occs: list[Occurrence],
                  text: str) -> list[Occurrence]:
    """An unknown name listed with companies is a company: "Huobi China, Ant Group and OKLink"."""
    taken = {(o.start, o.end) for o in occs}
    pending = [c for c in chunks if c.cls is None and (c.start, c.end) not in taken and len(c.words) <= 4
               and not any(w.lower() in {"china", "chinese"} for w in c.words[:1])]
    added: list[Occurrence] = []
    changed = True
    while changed and pending:
        changed = False
        known = sorted(occs + added, key=lambda o: o.start)
        for c in list(pending):
            for o in known:
                if o.cls not in {EntityClass.ENTERPRISE, EntityClass.ORGANIZATION} or o.anaphor:
                    continue
                between = text[o.end : c.start] if o.end <= c.start else text[c.end : o.start]
                if _LIST_SEP.match(between):
                    key = table.add(o.cls, c.text, start=c.start, end=c.end, sentence=s.index)
                    added.append(Occurrence(key, o.cls, c.start, c.end, s.index, c.text))
                    pending.remove(c)
                    changed = True
                    break
    return added


_KNOWN_AS = re.compile(
    r"^,?\s+(?:also |better |formerly |now |locally |commonly )?(?:known|referred to) as\s+(?:the\s+)?$"
)


def _known_as(table: EntityTable, text: str, occs: list[Occurrence]) -> None:
    """"X, also known as Y": Y is another name of X, not a second entity."""
    for a, b in itertools.pairwise(occs):
        if a.cls is EntityClass.PERSON or b.cls is EntityClass.PERSON:
            continue
        if _KNOWN_AS.match(text[a.end : b.start]):
            table.merge(b.key, a.key)
            b.key, b.cls = a.key, a.cls


def _split_occurrences(table, ctx, c: Chunk, parts, s: Sentence) -> list[Occurrence]:
    (a_cls, a_text, a_kind), (b_cls, b_text, b_kind) = parts
    a_start, a_end = c.start, c.start + len(a_text)
    b_start = c.start + len(c.text) - len(b_text)  # b runs to the end of the chunk
    b_end = b_start + len(b_text)
    a_key = table.add(a_cls, a_text, start=a_start, end=a_end, sentence=s.index, kind=a_kind)
    table.add_alias(a_key, c.text)
    b_key = table.add(b_cls, b_text, start=b_start, end=b_end, sentence=s.index, kind=b_kind)
    if a_cls is EntityClass.PLACE:
        ctx.relate(a_key, Predicate.LOCATED_IN, b_key, s, c.start, c.end, 0.9, "place-of-place")
        _nested(table, ctx, Chunk(b_start, b_end, b_text, b_text.split(), b_cls, b_kind), b_key, s)
        return [Occurrence(a_key, a_cls, a_start, a_end, s.index, a_text),
                Occurrence(b_key, b_cls, b_start, b_end, s.index, b_text)]
    _nested(table, ctx, Chunk(b_start, b_end, b_text, b_text.split(), b_cls, b_kind), b_key, s)
    if a_cls is EntityClass.PARK and b_cls is EntityClass.PARK:
        ctx.relate(a_key, Predicate.HOSTED_IN, b_key, s, c.start, c.end, 0.85, "park-of-park")
    # "X Center of Y Institute" is one actor in the sentence: the unit; the parent is nested.
    return [Occurrence(a_key, a_cls, c.start, c.end, s.index, c.text)]


_TITLE_ISSUER = re.compile(
    r"^(?:Notice|Circular|Opinions?|Decision|Reply|Announcement|Letter) of (?:the )?(?P<g>[A-Z].+?) on [A-Z]")


def _nested(table: EntityTable, ctx: RelationContext, c: Chunk, key: str, s: Sentence) -> None:
    """Names inside a name: a leading place ("Hangzhou ..."), "Government of X", a park inside a title."""
    gz = gazetteer()
    words = c.text.split()
    cls = c.cls
    text = c.text
    # "Notice of the General Office of the X People's Government on Issuing ...": the title names its issuer
    m = _TITLE_ISSUER.match(text)
    if cls is EntityClass.POLICY and m and head_class(m.group("g").split())[0] is EntityClass.GOVERNMENT:
        g_text = m.group("g")
        g_start = c.start + m.start("g")
        g_key = table.add(EntityClass.GOVERNMENT, g_text, start=g_start, end=g_start + len(g_text),
                          sentence=s.index)
        ctx.relate(key, Predicate.ISSUED_BY, g_key, s, c.start, c.end, 0.85, "title-issuer")
        _nested(table, ctx, Chunk(g_start, g_start + len(g_text), g_text, g_text.split(), EntityClass.GOVERNMENT,
                                  None), g_key, s)
    # Government of / People's Government of X ; X Government ; X Management Committee
    m = re.match(r"^(?:[Tt]he )?(?:People['’]s )?Government of (?P<p>.+)$", text)
    if cls is EntityClass.GOVERNMENT and m:
        p_text = m.group("p")
        p_start = c.start + text.index(p_text)
        p_key = table.add(EntityClass.PLACE, p_text, start=p_start, end=p_start + len(p_text), sentence=s.index,
                          kind=_place_kind(p_text))
        ctx.governed[p_key] = key
        ctx.relate(key, Predicate.GOVERNS, p_key, s, c.start, c.end, 0.9, "government-of")
        return
    m = re.match(r"^(?P<p>.+?)(?: (?:Provincial|Municipal|City|District|County|Prefectural))?"
                 r" (?:People['’]s )?(?:Government|Management Committee|Administrative Committee)$", text)
    if cls is EntityClass.GOVERNMENT and m:
        p_text = m.group("p")
        p_cls, p_kind = _class_of(p_text)
        if p_cls is EntityClass.PLACE:
            p_key = table.add(EntityClass.PLACE, p_text, start=c.start, end=c.start + len(p_text),
                              sentence=s.index, kind=p_kind)
            ctx.governed.setdefault(p_key, key)
            ctx.relate(key, Predicate.GOVERNS, p_key, s, c.start, c.end, 0.85, "place-government")
            return
        if p_cls in {EntityClass.PARK, EntityClass.ORGANIZATION} and len(p_text.split()) > 1:
            table.add(p_cls, p_text, start=c.start, end=c.start + len(p_text), sentence=s.index, kind=p_kind,
                      recent=False)
    m = re.match(r"^(?:[Tt]he )?(?:[Mm]anagement|[Aa]dministrative) [Cc]ommittee of (?P<p>.+)$", text)
    if cls is EntityClass.GOVERNMENT and m:
        p_text = m.group("p")
        p_cls, p_kind = _class_of(p_text)
        if p_cls is not None:
            p_start = c.start + text.index(p_text)
            p_key = table.add(p_cls, p_text, start=p_start, end=p_start + len(p_text), sentence=s.index, kind=p_kind,
                              recent=p_cls is not EntityClass.PARK)
            # the zone a committee runs may itself start with its city ("... of Wuhan Jianghan ... Zone")
            _nested(table, ctx, Chunk(p_start, p_start + len(p_text), p_text, p_text.split(), p_cls, p_kind), p_key, s)
        return
    if cls is EntityClass.PLACE and c.kind is not PlaceKind.DISTRICT:
        return
    # a leading place name: "Hangzhou Future Science City", "Loudi City ...", "Jianghan District ..."
    if cls is EntityClass.POLICY and words[:1] == ["China"]:
        return  # a national-style title ("China X Park Policy") does not target X's city as a place
    prefix = _leading_place(words)
    if prefix is None or cls is EntityClass.PERSON:
        return
    p_text, p_kind = prefix
    if p_text == text:
        return
    p_start = c.start + max(0, text.find(p_text))  # "China (Hangzhou) ..." names its place after "China"
    p_key = table.add(EntityClass.PLACE, p_text, start=p_start, end=p_start + len(p_text), sentence=s.index,
                      kind=p_kind)
    if cls is EntityClass.POLICY:
        ctx.relate(key, Predicate.CONCERNS, p_key, s, c.start, c.end, 0.6, "title-place")
    elif cls is EntityClass.PLACE:
        ctx.relate(key, Predicate.LOCATED_IN, p_key, s, c.start, c.end, 0.7, "name-prefix-place")
    elif cls is EntityClass.GOVERNMENT and re.search(r"(Management|Administrative) Committee$|Government$", text) \
            and gz.best(p_text) is None:
        ctx.governed.setdefault(p_key, key)
        ctx.relate(key, Predicate.GOVERNS, p_key, s, c.start, c.end, 0.7, "name-prefix-government")
    else:
        ctx.relate(key, Predicate.LOCATED_IN, p_key, s, c.start, c.end, 0.7, "name-prefix-place")


def _place_kind(text: str) -> PlaceKind | None:
    entry = gazetteer().best(text)
    if entry:
        return entry.kind
    last = text.split()[-1].lower()
    return PLACE_HEADS.get(last, PlaceKind.DISTRICT)


def _leading_place(words: list[str]) -> tuple[str, PlaceKind] | None:
    """The place a name starts with: a known city/province (not a bare district) or "X District/County/City".

    A leading "China" is skipped: "China (Hangzhou) Future ... Center" and "China Hangzhou ... Park"
    are in Hangzhou.
    """
    if len(words) > 2 and words[0] == "China":
        inner = [w.strip("()") for w in words[1:]]
        found = _leading_place(inner)
        return found if found and found[1] is not PlaceKind.COUNTRY else None
    if len(words) > 2 and words[1].startswith("(") and words[1].endswith(")"):
        # "Sino-German (Shenyang) ... Park": the bracketed place after a first word
        found = _leading_place([words[1].strip("()"), *words[2:]])
        if found and found[1] in {PlaceKind.CITY, PlaceKind.PROVINCE}:
            return found
    gz = gazetteer()
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        head = " ".join(words[:n])
        if n >= 2 and words[n - 1].lower() in {"district", "county", "city", "province", "prefecture"}:
            base = " ".join(words[: n - 1])
            if words[n - 1].lower() in {"city", "province"} and not gz.best(base):
                continue
            if not all(is_name_word(w) for w in words[:n]):
                continue
            return head, _place_kind(head) or PlaceKind.DISTRICT
        if n >= 2 and words[n - 2].lower() == "new" and words[n - 1].lower() == "area":
            return head, PlaceKind.DISTRICT
        entry = gz.best(head)
        if entry is not None and entry.kind in {PlaceKind.CITY, PlaceKind.PROVINCE} and n == 1:
            # "Wuhan Jianghan ..." -> Wuhan; a following district name is not known without a head noun
            return head, entry.kind
    return None


def _resolve_unknown(table: EntityTable, c: Chunk, before: str, after: str) -> str | None:
    """An unclassified name that refers to a known entity: alias, acronym, surname or short form."""
    key = table.lookup(c.text)
    if key:
        return key
    if len(c.words) == 1 and c.words[0].lower() in SURNAMES:
        key = table.person_by_surname(c.words[0])
        if key:
            return key
    if 1 <= len(c.words) <= 3:
        return table.by_prefix(c.words)
    return None


def _context_class(c: Chunk, before: str, after: str) -> EntityClass | None:
    """Class of an unknown name from the words around it (media, company lists, appositives, roles)."""
    words = c.words
    if not words or all(w.lower() in {"chinese", "china"} for w in words):
        return None
    if any(w[0].isdigit() for w in words):
        return None
    if _MEDIA_BEFORE.search(before) or _MEDIA_AFTER.match(after):
        return EntityClass.ORGANIZATION
    if _DATELINE_BEFORE.search(before) and _DATELINE_AFTER.match(after):  # "BEIJING, Jan. 5 (Xinhua) --"
        return EntityClass.ORGANIZATION
    if _EXEC_AFTER.match(after):  # "Bitmain's chairman"
        return EntityClass.ENTERPRISE
    if _WORKS_AT_BEFORE.search(before):  # "an analyst at Gartner"
        return EntityClass.ORGANIZATION
    if _ENT_LIST_BEFORE.search(before):
        return EntityClass.ENTERPRISE
    if _ENT_APPOSITIVE.match(after):
        return EntityClass.ENTERPRISE
    if _ORG_APPOSITIVE.match(after):
        return EntityClass.ORGANIZATION
    if 2 <= len(words) <= 3 and all(w[:1].isupper() and w[1:].islower() for w in words) and (
        _PERSON_CONTEXT_AFTER.match(after) or _PERSON_CONTEXT_BEFORE.search(before)
    ):
        return EntityClass.PERSON
    if _ENT_VERB_AFTER.match(after) and len(words) <= 3:
        return EntityClass.ENTERPRISE
    return None


_LOWER_GOV = re.compile(r"\b(?P<det>[Tt]he |[Ii]ts )?(?P<head>(?:people['’]s )?government|management committee|"
                        r"administrative committee|administration committee) of (?:the )?$")


def _lowercase_government(table: EntityTable, ctx: RelationContext, c: Chunk, s: Sentence, m: re.Match) -> Occurrence:
    """ "the government of Hangzhou High-tech Zone (Binjiang)": a government body, and X as what it governs."""
    head = m.group("head")
    start = c.start - (len(m.group()) - (len(m.group("det") or "")))
    surface = ctx.doc.text[start : c.end]
    if "government" in head:
        place = table.add(EntityClass.PLACE, c.text, start=c.start, end=c.end, sentence=s.index,
                          kind=c.kind if c.cls is EntityClass.PLACE else PlaceKind.DISTRICT)
        name = f"Government of {c.text}"
        gov = table.add(EntityClass.GOVERNMENT, surface, start=start, end=c.end, sentence=s.index, name=name)
        ctx.governed[place] = gov
        ctx.relate(gov, Predicate.GOVERNS, place, s, start, c.end, 0.85, "government-of")
        _nested(table, ctx, Chunk(c.start, c.end, c.text, c.words, EntityClass.PLACE, PlaceKind.DISTRICT), place, s)
    else:
        target_cls = c.cls or EntityClass.PARK
        target = table.add(target_cls, c.text, start=c.start, end=c.end, sentence=s.index, kind=c.kind,
                           recent=target_cls is not EntityClass.PARK)
        _nested(table, ctx, Chunk(c.start, c.end, c.text, c.words, target_cls, c.kind), target, s)
        name = f"{c.text} {head.title()}"
        gov = table.add(EntityClass.GOVERNMENT, surface, start=start, end=c.end, sentence=s.index, name=name)
        if target_cls is EntityClass.PLACE:
            ctx.governed.setdefault(target, gov)
            ctx.relate(gov, Predicate.GOVERNS, target, s, start, c.end, 0.8, "committee-of-place")
    return Occurrence(gov, EntityClass.GOVERNMENT, start, c.span_end or c.end, s.index, surface)


def _possessor_place(table: EntityTable, before: str) -> str | None:
    """The city in "Guangzhou's Huangpu District", so that same-named districts stay apart."""
    m = re.search(r"([A-Z][\w'’\-]*(?: [A-Z][\w'’\-]*)*)['’]s\s+$", before)
    if m and gazetteer().best(m.group(1)) is not None:
        return name_key(EntityClass.PLACE, m.group(1))
    return None


_ANAPHORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:the|its) (?P<owner>zone|park|area|base|district|city|county|province)['’]s "
                r"(?P<head>management committee|administrative committee|government)\b", re.I), "owner-body"),
    (re.compile(r"\b(?:either|both) parks?\b", re.I), "park-pair"),
    # "the Xiaoshan park": a park named earlier, by a word of its name
    (re.compile(r"\b[Tt]he (?P<word>[A-Z][a-z'’]+) (?:park|zone|base|valley|hub|center|centre)\b"), "park-named"),
    (re.compile(r"\b(?:the|this|that) (?:industrial |blockchain |software |new )?park\b", re.I), "park"),
    (re.compile(r"\bthe (?:zone|base|valley|hub|incubator|cluster|centre|center)\b", re.I), "park-head"),
    (re.compile(r"\bthe (?:port|pilot|new|free trade|demonstration) (?:area|zone)\b", re.I), "park-area"),
    (re.compile(r"\bthe (?:first|second|third) phase\b", re.I), "park"),
    # "there" as a place adverb ("will open a centre there"), not the existential "there are"
    (re.compile(r"\bthere\b(?! (?:is|are|was|were|has|have|had|will be|would be|remains?|seems?|exists?|appears?)\b)"),
     "there"),
    (re.compile(r"\bthe (?P<lvl>district|city|municipal|provincial|county) government\b", re.I), "gov-level"),
    (re.compile(r"\b[Ii]ts government\b"), "its-government"),
    (re.compile(r"\b(?:the|its|this) (?P<head>(?:management |administrative )?committee|bureau|ministry|"
                r"department|commission|office|administration)\b", re.I), "gov-head"),
    (re.compile(r"\b(?:the|this) (?:company|firm|group|enterprise|start-up|startup)\b", re.I), "enterprise"),
    (re.compile(r"\b(?:the|this) (?P<head>institute|association|alliance|laboratory|lab|university|academy|"
                r"think tank|federation|society)\b", re.I), "org-head"),
    (re.compile(r"\bthe (?P<head>plan|measures|guidance|policy|document|notice|rules|programme|program|"
                r"action plan|guidelines|regulations|opinions|circular)\b", re.I), "policy"),
    (re.compile(r"\b[Ii]t(?= (?:still |also |now |has |had |then |later |currently )*(?:houses|hosts|has absorbed|"
                r"absorbed|attracted|is home to))"), "it-park"),
    (re.compile(r"(?<=runs )it\b|(?<=operates )it\b|(?<=manages )it\b"), "it-park"),
    # "The X Park opened on Monday. It was built by the Y Government."
    (re.compile(r"\b[Ii]t(?= (?:was|is|has been|had been) (?:jointly |also |first )?(?:built|launched|established|"
                r"set up|developed|founded|created|opened|inaugurated|unveiled|operated|run|managed|co-built) "
                r"(?:[^.;]{0,30}? )?by\b)"), "it-park-passive"),
    (re.compile(r"\b[Ii]t(?= (?:also |later |then |has |had |jointly )*(?:released|issued|published|launched|"
                r"introduced|unveiled))"), "it-actor"),
]


def _anaphors(table: EntityTable, ctx: RelationContext, s: Sentence, named: list[Occurrence],
              history_before: int, implicit: list[tuple[int, str]] = ()) -> list[Occurrence]:
    """Resolve "the park", "its government", "the bureau", "it" ... to entities, as occurrences.

    An anaphor can only point back: it sees what earlier sentences named and what this sentence
    named before it, never a name that follows it.
    """
    out: list[Occurrence] = []
    taken = [(o.start, o.end) for o in named]
    full_history = table.history
    earlier = full_history[:history_before]
    for pattern, kind in _ANAPHORS:
        for m in pattern.finditer(s.text):
            start, end = s.start + m.start(), s.start + m.end()
            if any(a < end and start < b for a, b in taken):
                continue
            before = [(o.start, o.key) for o in named + out if o.start < start]
            before += [(pos + 1, k) for pos, k in implicit if pos < start]
            visible = earlier + [k for _, k in sorted(before)]
            table.history = list(visible)
            try:
                key, extra = _resolve_anaphor(table, ctx, kind, m, s, start)
            finally:
                created = table.history[len(visible) :]  # entities the resolution itself introduced
                table.history = full_history
                full_history.extend(created)
            if key is None:
                continue
            ent = table.entities[key]
            occ = Occurrence(key, ent.cls, start, end, s.index, m.group(), anaphor=True, extra_keys=extra)
            if kind == "there":
                occ.masked = "in"
            table.touch(key, s.index)
            out.append(occ)
            taken.append((start, end))
    return out


def _resolve_anaphor(table: EntityTable, ctx: RelationContext, kind: str, m: re.Match, s: Sentence,
                     start: int) -> tuple[str | None, tuple[str, ...]]:
    P = EntityClass
    if kind == "park":
        word = m.group().lower()
        if "software" in word:
            key = table.recent(P.PARK, where=lambda e: "software park" in e.name.lower())
            if key:
                return key, ()
        if word.endswith("park"):
            # a development zone or cooperation area is "the zone", not "the park"
            key = table.recent(P.PARK, where=lambda e: not re.search(r"\b(?:zone|area)\b", e.name.lower()))
            if key:
                return key, ()
        return table.recent(P.PARK), ()
    if kind == "park-named":
        word = m.group("word").lower()
        return table.recent(P.PARK, where=lambda e: word in e.name.lower().split()), ()
    if kind == "park-pair":
        first = table.recent(P.PARK)
        second = table.recent(P.PARK, skip=1)
        if first and second and m.group().lower().endswith("s"):
            return first, (second,)
        if first and second:
            return first, (second,)
        return first, ()
    if kind == "park-head":
        head = m.group().split()[-1].lower().replace("centre", "center")
        return table.recent(P.PARK, where=lambda e: e.name.lower().replace("centre", "center").endswith(head)), ()
    if kind == "park-area":
        tail = " ".join(m.group().lower().split()[1:])
        key = table.recent({P.PARK, P.PLACE}, where=lambda e: any(tail in a.lower() for a in {e.name, *e.aliases}))
        return key, ()
    if kind == "there":
        recent_park = table.recent(P.PARK)
        if recent_park and table.last_sentence.get(recent_park, -10) >= s.index - 2:
            return recent_park, ()
        return None, ()
    if kind == "gov-level":
        lvl = m.group("lvl").lower()
        kinds = {"district": {PlaceKind.DISTRICT}, "county": {PlaceKind.DISTRICT}, "city": {PlaceKind.CITY},
                 "municipal": {PlaceKind.CITY, PlaceKind.PROVINCE}, "provincial": {PlaceKind.PROVINCE}}[lvl]
        place = table.recent(P.PLACE, where=lambda e: e.kind in kinds)
        if place is None:
            return None, ()
        return ctx.government_of(place, surface=None, sentence=s, start=start, end=start + len(m.group())), ()
    if kind == "owner-body":
        owner_word, head = m.group("owner").lower(), m.group("head").lower()
        if owner_word in {"zone", "park", "area", "base"}:
            owner = table.recent(P.PARK)
            if owner is None:
                return None, ()
            name = f"{table.entities[owner].name} {head.title()}"
            gov = table.add(P.GOVERNMENT, name, start=start, end=start + len(m.group()), sentence=s.index,
                            name=name, record_mention=False)
            ctx.relate(owner, Predicate.ESTABLISHED_BY, gov, s, start, start + len(m.group()), 0.7, "owner-committee")
            return gov, ()
        kinds = {"district": {PlaceKind.DISTRICT}, "county": {PlaceKind.DISTRICT}, "city": {PlaceKind.CITY},
                 "province": {PlaceKind.PROVINCE}}[owner_word]
        place = table.recent(P.PLACE, where=lambda e: e.kind in kinds)
        if place is None:
            return None, ()
        return ctx.government_of(place, surface=None, sentence=s, start=start, end=start + len(m.group())), ()
    if kind == "its-government":
        place = _subject_place(table, ctx, s)
        if place is None:
            return None, ()
        return ctx.government_of(place, surface=None, sentence=s, start=start, end=start + len(m.group())), ()
    if kind == "gov-head":
        head = m.group("head").lower()
        word = head.split()[-1]
        return table.recent(P.GOVERNMENT, where=lambda e: word in e.name.lower()), ()
    if kind == "policy":
        head = m.group("head").lower()
        key = table.recent(P.POLICY, where=lambda e: head in e.name.lower())
        return key or table.recent(P.POLICY), ()
    if kind == "enterprise":
        return table.recent(P.ENTERPRISE), ()
    if kind == "org-head":
        head = m.group("head").lower()
        return table.recent(P.ORGANIZATION, where=lambda e: head in e.name.lower()), ()
    if kind == "it-park-passive":
        park = table.recent(P.PARK)
        # only when the park is the latest actor-like name: after a company, "It was founded by" is the company
        if park and table.recent({P.PARK, P.ENTERPRISE, P.ORGANIZATION, P.POLICY}) == park:
            return park, ()
        return None, ()
    if kind == "it-park":
        return table.recent(P.PARK), ()
    if kind == "it-actor":
        place = _place_subject_of_previous(table, ctx, s)
        if place is not None:  # "Wuhou District ... is not willing to lag behind. In 2022, it issued ..."
            return ctx.government_of(place, surface=None, sentence=s, start=start, end=start + len(m.group())), ()
        return table.recent({P.GOVERNMENT, P.ORGANIZATION, P.ENTERPRISE}), ()
    return None, ()


def _place_subject_of_previous(table: EntityTable, ctx: RelationContext, s: Sentence) -> str | None:
    """The place that opens the previous sentence as its subject, when that sentence names no other actor.

    Why: translated news makes a place the actor ("Wuhou District of Chengdu City is not willing to
    lag behind.") and then continues with "it issued ..."; the latest body named earlier is not meant.
    """
    if s.index == 0:
        return None
    prev = ctx.sentences[s.index - 1]
    first: tuple[int, str] | None = None
    for k in table.in_sentence.get(prev.index, ()):
        e = table.entities.get(k)
        if e is None:
            continue
        for m in e.mentions:
            if m.sentence != prev.index:
                continue
            if e.cls in {EntityClass.GOVERNMENT, EntityClass.ORGANIZATION, EntityClass.ENTERPRISE,
                         EntityClass.PERSON}:
                return None
            if first is None or m.start < first[0]:
                first = (m.start, k)
    if first is None or table.entities[first[1]].cls is not EntityClass.PLACE:
        return None
    opening = ctx.doc.text[prev.start : first[0]].strip().lower()
    return first[1] if opening in {"", "the"} else None


def _subject_place(table: EntityTable, ctx: RelationContext, s: Sentence) -> str | None:
    """The place an "its" points back to: the first place named in the previous sentence, else the latest."""
    if s.index > 0:
        prev = s.index - 1
        firsts = [
            (m.start, k)
            for k, e in table.entities.items()
            if e.cls is EntityClass.PLACE
            for m in e.mentions
            if m.sentence == prev
        ]
        if firsts:
            firsts.sort()
            # prefer the place the sentence is about: a district over a city named in its possessive
            keys = [k for _, k in firsts]
            for k in keys:
                if table.entities[k].kind is PlaceKind.DISTRICT:
                    return k
            return keys[0]
    return table.recent(EntityClass.PLACE)


def _committee_policies(table: EntityTable, relations: list[Relation]) -> None:
    """A park's management committee issues policies for its park: policy concerns park (weak evidence)."""
    runs: dict[str, list[str]] = {}
    for r in relations:
        if r.predicate is Predicate.ESTABLISHED_BY and r.object in table.entities and re.search(
            r"(?:Management|Administrative) Committee", table.entities[r.object].name, re.I
        ):
            runs.setdefault(r.object, []).append(r.subject)
    concerned = {(x.subject, x.object) for x in relations if x.predicate is Predicate.CONCERNS}
    for r in list(relations):
        if r.predicate is Predicate.ISSUED_BY and r.object in runs:
            for park in runs[r.object]:
                if (r.subject, park) not in concerned:
                    concerned.add((r.subject, park))
                    relations.append(Relation(r.subject, Predicate.CONCERNS, park, r.sentence, r.start, r.end, 0.55,
                                              "committee-policy-for-its-park"))


def _parks_of_local_governments(table: EntityTable, relations: list[Relation], governed: dict[str, str]) -> None:
    """A park that a local government built, and that the text places nowhere, is in that government's area."""
    place_of = {gov: place for place, gov in governed.items()}
    located = {r.subject for r in relations if r.predicate in {Predicate.LOCATED_IN, Predicate.HOSTED_IN}}
    for r in list(relations):
        if r.predicate is not Predicate.ESTABLISHED_BY or r.subject in located or r.object not in place_of:
            continue
        place = place_of[r.object]
        if table.entities.get(place) is None or table.entities[place].kind is PlaceKind.COUNTRY:
            continue
        relations.append(Relation(r.subject, Predicate.LOCATED_IN, place, r.sentence, r.start, r.end, 0.6,
                                  "built-by-local-government"))
        located.add(r.subject)


def _qualify_places(table: EntityTable, relations: list[Relation]) -> None:
    """Give district-level places the parent city the text states, so homonyms stay apart.

    "Huangpu District" of Guangzhou and of Shanghai become "Huangpu District (Guangzhou)" and
    "Huangpu District (Shanghai)"; a district whose parent the text never gives is scoped to the
    document, so it cannot be merged with a homonym elsewhere.
    """
    parents: dict[str, str] = {}
    for r in relations:
        if r.predicate is Predicate.LOCATED_IN and r.subject in table.entities and r.object in table.entities:
            s, o = table.entities[r.subject], table.entities[r.object]
            if s.cls is EntityClass.PLACE and s.kind is PlaceKind.DISTRICT and o.cls is EntityClass.PLACE and \
                    o.kind in {PlaceKind.CITY, PlaceKind.PROVINCE}:
                parents.setdefault(r.subject, r.object)
    for key, ent in table.entities.items():
        if ent.cls is not EntityClass.PLACE or ent.kind is not PlaceKind.DISTRICT:
            continue
        if gazetteer().best(ent.name) is not None and gazetteer().best(ent.name).kind is not PlaceKind.DISTRICT:
            continue
        parent = parents.get(key)
        if parent:
            pname = table.entities[parent].name
            ent.attrs["_parent_name"] = pname
            ent.scope = None
        else:
            ent.scope = "doc"


def _finalise(ex: Extraction, table: EntityTable, relations: list[Relation]) -> None:
    """Fix names, keys and scopes; drop entities never mentioned; deduplicate relations."""
    doc_id = ex.document.doc_id
    rename: dict[str, str] = {}
    final = {}
    relations = [
        Relation(table.canonical(r.subject), r.predicate, table.canonical(r.object), r.sentence, r.start, r.end,
                 r.confidence, r.rule, r.role)
        for r in relations
    ]
    for key, ent in table.entities.items():
        if not ent.mentions and not any(r.subject == key or r.object == key for r in relations):
            continue
        parent = ent.attrs.pop("_parent_name", None)
        place_key = ent.attrs.pop("_governs_place", None)
        if parent and f"({parent})" not in ent.name and not ent.name.startswith(parent + " "):
            ent.aliases.add(ent.name)
            ent.name = f"{ent.name} ({parent})"
        if place_key and place_key in table.entities:
            place = table.entities[place_key]
            pparent = place.attrs.get("_parent_name") or _paren(place.name)
            if pparent and f"({pparent})" not in ent.name:
                ent.aliases.add(ent.name)
                ent.name = f"{ent.name} ({pparent})"
            if place.scope == "doc":
                ent.scope = "doc"
        new_key = name_key(ent.cls, ent.name) if (parent or place_key) else key.split(":", 1)[1]
        if ent.scope == "doc":
            ent.scope = doc_id
        rename[key] = f"{ent.cls.value}:{new_key}|{ent.scope or ''}"
        final[key] = ent
    entities = {}
    for key, ent in final.items():
        nk = rename[key]
        if nk in entities:  # two in-document entities collapsed onto one key: merge
            other = entities[nk]
            other.aliases |= ent.aliases | {ent.name}
            other.mentions.extend(ent.mentions)
            continue
        ent.key = nk.split("|", 1)[0].split(":", 1)[1]
        ent.aliases = {a for a in ent.aliases if a and a != ent.name}
        ent.mentions.sort(key=lambda m: (m.start, m.end))
        dedup = []
        for m in ent.mentions:
            if not dedup or (m.start, m.end) != (dedup[-1].start, dedup[-1].end):
                dedup.append(m)
        ent.mentions = dedup
        entities[nk] = ent
    ex.entities = dict(sorted(entities.items()))
    seen = set()
    out = []
    for r in sorted(relations, key=lambda r: (r.start, r.subject, r.predicate.value, r.object, r.rule)):
        if r.subject not in rename or r.object not in rename:
            continue
        s, o = rename[r.subject], rename[r.object]
        if s == o:
            continue
        sig = (s, r.predicate, o, r.sentence)
        if sig in seen:
            continue
        seen.add(sig)
        out.append(Relation(s, r.predicate, o, r.sentence, r.start, r.end, r.confidence, r.rule, r.role))
    ex.relations = out


def _paren(name: str) -> str | None:
    m = re.search(r"\(([^)]+)\)$", name)
    return m.group(1) if m else None

