"""Relation rules: patterns over a sentence whose names are replaced by typed placeholders.

Why masking: "⟦3:GOV⟧ and ⟦4:GOV⟧ jointly issued the ⟦5:POL⟧" is a short, readable pattern, whereas
the raw sentence holds two long ministry names; a rule written once covers every name of a class.
Each rule yields (subject, predicate, object) with the matched span as evidence and a confidence
that reflects how direct the wording is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graph.extract.lexicon import ROLE_WORDS
from graph.extract.table import EntityTable, Occurrence
from graph.gazetteer import gazetteer
from graph.model import Document, Relation, Sentence
from graph.vocab import EntityClass, PlaceKind, Predicate

__all__ = ["RelationContext", "extract_relations"]

CODE = {
    EntityClass.PARK: "PARK",
    EntityClass.GOVERNMENT: "GOV",
    EntityClass.POLICY: "POL",
    EntityClass.ENTERPRISE: "ENT",
    EntityClass.PERSON: "PER",
    EntityClass.ORGANIZATION: "ORG",
    EntityClass.PLACE: "PLC",
}


def E(*codes: str, name: str | None = None) -> str:
    body = rf"⟦\d+:(?:{'|'.join(codes)})⟧"
    return rf"(?P<{name}>{body})" if name else body


_SEP = r"(?:,? and |, | as well as |,? together with |, and |,? along with )(?:the (?:[a-z]+ )?)?"


def LIST(*codes: str, name: str) -> str:
    e = E(*codes)
    # after the first item, a bare place is an apposition ("the Government of X, Wuhan,"), not a co-actor
    rest = E(*[c for c in codes if c != "PLC"]) if len(codes) > 1 and "PLC" in codes else e
    # "A and the Shanghai-based B": a list item may carry its place
    return rf"(?P<{name}>{e}(?:{_SEP}(?:{E('PLC')}-based )?{rest})*)"


# an actor is not the object of a preposition ("headquartered in Hangzhou, opened ...")
NOT_OBJECT = r"(?<!\b[Ii]n )(?<!\bof )(?<!\bfrom )(?<!\bat )(?<!\bto )(?<!\bby )(?<!\bwith )"


GAP = r"(?:[^⟦.;]|(?<!['’]s )⟦\d+:PLC⟧)"  # words, possibly naming a place, but no other actor
ISSUE_VERBS = (r"(?:jointly |also |later |first |has |have |had |recently |formally |officially )*"
               r"(?:issued|released|published|promulgated|unveiled|introduced|rolled out|adopted|formulated|"
               r"put forward|wrote [^⟦.]{0,25}?into|followed [^⟦.]{0,40}?with)")
EST_VERBS = (r"(?:launched|inaugurated|built|set up|established|created|founded|opened|unveiled|co-built|"
             r"started|began building|broke ground on)")
HOST_VERBS = (r"(?:settled|settle|settles|stationed|moved|move|moves|moving|relocated|relocate|relocates|"
              r"located|based|headquartered|registered|opened|open|opens|set up|sets up|inaugurated|landed|"
              r"runs|run|established|sits|lies|operates|works|entered|enters|enter|joined|unveiled|launched|"
              r"housed)")


@dataclass
class RelationContext:
    """Document-wide state the rules share: the table, the facts so far, who governs which place."""

    doc: Document
    table: EntityTable
    sentences: list[Sentence]
    paragraph: list[int]
    relations: list[Relation]
    governed: dict[str, str] = field(default_factory=dict)  # place key -> government key
    default_issuer: dict[int, str] = field(default_factory=dict)  # paragraph -> government key
    last_policy_sentence: int = -10

    def relate(self, s: str, p: Predicate, o: str, sent: Sentence, start: int, end: int, conf: float, rule: str,
               role: str | None = None) -> None:
        if s == o:
            return
        self.relations.append(Relation(s, p, o, sent.index, start, end, conf, rule, role))

    def government_of(self, place_key: str, *, surface: str | None, sentence: Sentence, start: int, end: int,
                      explicit_name: str | None = None) -> str:
        """The government body of a place ("Guangdong Province issued" = the provincial government)."""
        existing = self.governed.get(place_key)
        table = self.table
        if existing is None:
            place = table.entities[place_key]
            name = explicit_name or _government_name(place.name, place.kind)
            # keyed by the place, so two same-named districts get two governments
            existing = table.add(EntityClass.GOVERNMENT, surface or name, start=start, end=end,
                                 sentence=sentence.index, name=name, record_mention=surface is not None,
                                 key=f"GovernmentBody:government of {place_key}")
            table.entities[existing].attrs["_governs_place"] = place_key
            self.governed[place_key] = existing
        elif surface:
            table.add(EntityClass.GOVERNMENT, surface, start=start, end=end, sentence=sentence.index, key=existing)
        self.relate(existing, Predicate.GOVERNS, place_key, sentence, start, end, 0.8, "place-as-actor")
        return existing


def _government_name(place_name: str, kind: PlaceKind | None) -> str:
    base = re.sub(r"\s+(Province|City|Municipality)$", "", place_name)
    if kind is PlaceKind.PROVINCE:
        entry = gazetteer().best(base)
        if entry is not None and base in {"Beijing", "Shanghai", "Tianjin", "Chongqing"}:
            return f"{base} Municipal Government"
        return f"{base} Provincial Government"
    if kind is PlaceKind.CITY:
        return f"{base} Municipal Government"
    return f"{place_name} Government"


@dataclass
class Masked:
    text: str
    occs: list[Occurrence]
    positions: list[int]  # masked index -> document offset

    def span(self, m: re.Match, group: int | str = 0) -> tuple[int, int]:
        a, b = m.span(group)
        return self.positions[a], self.positions[max(a, b - 1)] + 1

    def ids(self, m: re.Match, group: str) -> list[int]:
        return [int(x) for x in re.findall(r"⟦(\d+):", m.group(group) or "")]


def mask(sent: Sentence, occs: list[Occurrence]) -> Masked:
    """Replace each occurrence by ⟦i:CODE⟧ and drop quote marks; keep a map back to offsets."""
    out: list[str] = []
    pos: list[int] = []
    cursor = sent.start
    text = sent.text
    starts = {o.start for o in occs}
    ends = {o.end for o in occs}

    def copy(frm: int, to: int) -> None:
        """Copy plain text, dropping only the quote marks that wrap a name."""
        for k in range(frm, to):
            ch = text[k - sent.start]
            if ch in "“”\"" and (k + 1 in starts or k in ends):
                continue
            out.append(ch)
            pos.append(k)

    for i, o in enumerate(occs):
        if o.start < cursor:
            continue
        copy(cursor, o.start)
        token = f"⟦{i}:{CODE[o.cls]}⟧"
        if o.masked:
            token = f"{o.masked} {token}"
        if o.extra_keys:
            token = token + f" and ⟦{i}:{CODE[o.cls]}⟧" * len(o.extra_keys)
        out.extend(token)
        pos.extend([o.start] * (len(token) - 1) + [o.end - 1])
        cursor = o.end
    copy(cursor, sent.end)
    pos.append(sent.end)
    return Masked("".join(out), occs, pos)


def _keys(mk: Masked, m: re.Match, group: str) -> list[tuple[str, EntityClass]]:
    out = []
    seen_extra: dict[int, int] = {}
    for i in mk.ids(m, group):
        o = mk.occs[i]
        n = seen_extra.get(i, 0)
        seen_extra[i] = n + 1
        if n == 0:
            out.append((o.key, o.cls))
        elif n - 1 < len(o.extra_keys):
            k = o.extra_keys[n - 1]
            out.append((k, o.cls))
    return out


def extract_relations(ctx: RelationContext, sent: Sentence, occs: list[Occurrence]) -> None:
    """Apply every rule to one sentence, adding relations to ctx.relations."""
    mk = mask(sent, occs)
    actors = _drop_possessors(mk)
    for rule in (_issue, _unnamed_policy, _establish, _runs, _host, _host_passive):
        rule(ctx, sent, actors, actors.text)
    for rule in (_affiliation, _located, _concerns, _comention):
        rule(ctx, sent, mk, mk.text)


def _drop_possessors(mk: Masked) -> Masked:
    """ "⟦Beijing⟧'s ⟦Committee⟧" -> "⟦Committee⟧": a possessive place only qualifies the name after it."""
    keep_text: list[str] = []
    keep_pos: list[int] = []
    last = 0
    for m in re.finditer(r"⟦\d+:PLC⟧['’]s (?=⟦)", mk.text):
        keep_text.append(mk.text[last : m.start()])
        keep_pos.extend(mk.positions[last : m.start()])
        last = m.end()
    keep_text.append(mk.text[last:])
    keep_pos.extend(mk.positions[last:])
    return Masked("".join(keep_text), mk.occs, keep_pos)


# the subject continues a list that a preposition opened: "initiated by A, B and C, is headquartered in ..."
_CONTINUES = re.compile(r"\b(?:by|of|in|from|at|with|to) (?:the )?"
                        r"(?:⟦\d+:(?:ENT|ORG|GOV|PER)⟧(?:,? and (?:the )?|, ))*$")


def _starts_list(t: str, pos: int) -> bool:
    """A subject list must start a clause, not continue an object list ("initiated by A, B and C, is ...")."""
    return not _CONTINUES.search(t[:pos])


def _actor(ctx: RelationContext, key: str, cls: EntityClass, sent: Sentence, start: int, end: int) -> str | None:
    """An acting subject: a place stands for its government."""
    if cls is EntityClass.PLACE:
        return ctx.government_of(key, surface=None, sentence=sent, start=start, end=end)
    if cls in {EntityClass.GOVERNMENT, EntityClass.ORGANIZATION, EntityClass.ENTERPRISE}:
        return key
    return None


def _place_actor_alias(ctx: RelationContext, gov: str, key: str, cls: EntityClass, mk: Masked, m, group) -> None:
    if cls is EntityClass.PLACE:
        for i in mk.ids(m, group):
            o = mk.occs[i]
            if o.key == key and not o.anaphor:
                ctx.table.add_alias(gov, o.text)


def _issue(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    patterns = [
        (rf"{NOT_OBJECT}{LIST('GOV', 'ORG', 'PLC', name='s')}(?:, which [^,]*,)?{GAP}{{0,50}}?\b{ISSUE_VERBS}\b"
         rf"[^⟦.;]{{0,80}}?{LIST('POL', name='o')}", 0.9, "issued-active"),
        (rf"{E('POL', name='o')}{GAP}{{0,50}}?\b(?:issued|released|published|promulgated|unveiled|formulated)\b"
         rf"{GAP}{{0,40}}?\bby (?:the )?{LIST('GOV', 'ORG', 'PLC', name='s')}", 0.9, "issued-passive"),
        (rf"\b(?:released|issued|published)\b[^⟦.;]{{0,40}}?\bby (?:the )?{LIST('GOV', 'ORG', name='s')}"
         rf"[^⟦.;]{{0,25}}?\b(?:titled|entitled|called|named)\s+(?:the )?{E('POL', name='o')}", 0.9, "issued-titled"),
    ]
    found = False
    for pat, conf, rule in patterns:
        for m in re.finditer(pat, t):
            subjects = _keys(mk, m, "s")
            objects = _keys(mk, m, "o")
            a, b = mk.span(m)
            for sk, scls in subjects:
                actor = _actor(ctx, sk, scls, sent, a, b)
                if actor is None:
                    continue
                _place_actor_alias(ctx, actor, sk, scls, mk, m, "s")
                for ok, _ in objects:
                    ctx.relate(ok, Predicate.ISSUED_BY, actor, sent, a, b, conf, rule)
                    found = True
    # "documents ... from the X Bureau": X is the default issuer of the paragraph's documents
    m = re.search(rf"\b(?:documents?|policies|measures|plans|notices)\b{GAP}{{0,60}}?\bfrom (?:the )?"
                  rf"{E('GOV', 'ORG', name='s')}", t)
    if m:
        ctx.default_issuer[ctx.paragraph[sent.index]] = _keys(mk, m, "s")[0][0]
    issuer = ctx.default_issuer.get(ctx.paragraph[sent.index])
    if issuer and not found:
        for m in re.finditer(rf"{E('POL', name='o')}{GAP}{{0,30}}?\b(?:issued|released|published)\b(?! by)", t):
            a, b = mk.span(m)
            for ok, _ in _keys(mk, m, "o"):
                ctx.relate(ok, Predicate.ISSUED_BY, issuer, sent, sent.start, sent.end, 0.6, "issued-paragraph-source")
    if any(o.cls is EntityClass.POLICY for o in mk.occs):
        ctx.last_policy_sentence = sent.index


_UNNAMED = re.compile(
    rf"{NOT_OBJECT}{E('GOV', 'ORG', 'PLC', name='s')}{GAP}{{0,50}}?\b(?:jointly )?"
    rf"(?:issued|released|published|introduced|"
    rf"unveiled)\s+(?:a|an)\s+(?:new\s+)?(?P<kind>document|policy|notice|plan|circular|guideline|opinion|programme|"
    rf"action plan)\b(?P<rest>[^.;,]*)"
)


def _unnamed_policy(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    """ "X issued a document to create Y": an unnamed policy named after its issuer and purpose."""
    for m in _UNNAMED.finditer(t):
        (sk, scls), = _keys(mk, m, "s")
        a, b = mk.span(m)
        actor = _actor(ctx, sk, scls, sent, a, b)
        if actor is None:
            continue
        _place_actor_alias(ctx, actor, sk, scls, mk, m, "s")
        p_start = mk.positions[m.start("kind")]
        rest_end = mk.span(m, "rest")[1] if m.group("rest") else mk.span(m, "kind")[1]
        phrase = ctx.doc.text[p_start:rest_end].strip()
        # the date belongs on the policy as issueDate, not in its name
        phrase = re.sub(r"\s+(?:in|on)\s+(?:(?:early|late|mid-)\s*)?(?:[A-Z][a-z]+\s+)?(?:\d{1,2},?\s+)?\d{4}\b", "",
                        phrase)
        words = phrase.split()
        if len(words) > 16:
            phrase = " ".join(words[:16])
        issuer_name = re.sub(r"\s*\([^)]*\)$", "", ctx.table.entities[sk].name)
        name = f"{issuer_name} {phrase}"
        pol = ctx.table.add(EntityClass.POLICY, phrase, start=p_start, end=p_start + len(phrase),
                            sentence=sent.index, name=name)
        ctx.relate(pol, Predicate.ISSUED_BY, actor, sent, a, b, 0.8, "issued-unnamed")
        ctx.last_policy_sentence = sent.index
        later = [int(x) for x in re.findall(r"⟦(\d+):PARK⟧", t[m.start("kind"):])]
        in_phrase = set(mk.ids(m, "rest")) if m.group("rest") else set()
        for i in later:
            o = mk.occs[i]
            if o.cls is EntityClass.PARK:
                ctx.relate(pol, Predicate.CONCERNS, o.key, sent, a, b, 0.8, "unnamed-policy-target")
                if i in in_phrase and re.search(r"\bto (?:create|build|establish|set up|develop)\b", m.group("rest")):
                    ctx.relate(o.key, Predicate.ESTABLISHED_BY, actor, sent, a, b, 0.75, "policy-to-create")


def _establish(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    patterns = [
        (rf"{NOT_OBJECT}{LIST('GOV', 'ORG', 'PLC', name='s')}(?:, which [^,]*,)?{GAP}{{0,60}}?"
         rf"\b(?:jointly |also |has |had |"
         rf"have |first )*{EST_VERBS}\b[^⟦.;]{{0,25}}?{LIST('PARK', name='o')}", 0.85, "established-active"),
        (rf"{LIST('PARK', name='o')}(?:, (?:also known as|known as) [^,]*,)?{GAP}{{0,60}}?\b(?:is |was |will be |"
         rf"to be |being |are |were )?(?:jointly )?(?:developed|operated|run|managed|administered|built|co-built|"
         rf"guided|led|"
         rf"launched|established|set up|founded|created|sponsored)(?: and (?:developed|operated|run|managed|built))?"
         rf"(?: (?:in|on) [^⟦.;,]{{1,20}}?)?\s+by (?:the )?{LIST('GOV', 'ORG', 'PLC', name='s')}", 0.85,
         "established-passive"),
        (rf"{E('PARK', name='o')}[^⟦.;]{{0,60}}?\b(?:under the (?:guidance|leadership|supervision|direction) of|"
         rf"(?:is |was )?(?:guided|supervised|backed|sponsored) by) (?:the )?{LIST('GOV', 'ORG', name='s')}", 0.75,
         "established-guidance"),
        (rf"^{E('GOV', 'ORG', name='s')}(?:, which [^,]*,)?[^.;]*?\band (?:later |then |also )?"
         rf"(?:built|launched|set up|established|created|opened)\s+(?:the )?{E('PARK', name='o')}", 0.7,
         "established-coordinated"),
    ]
    for pat, conf, rule in patterns:
        for m in re.finditer(pat, t):
            a, b = mk.span(m)
            for sk, scls in _keys(mk, m, "s"):
                actor = _actor(ctx, sk, scls, sent, a, b)
                if actor is None:
                    continue
                _place_actor_alias(ctx, actor, sk, scls, mk, m, "s")
                for ok, _ in _keys(mk, m, "o"):
                    ctx.relate(ok, Predicate.ESTABLISHED_BY, actor, sent, a, b, conf, rule)
    # "BMW Brilliance, the park's largest tenant, ...": the company is in the park just named
    for m in re.finditer(rf"{E('ENT', 'ORG', name='s')}, the (?:park|zone|base)['’]s (?:largest |biggest |first |"
                         rf"main |anchor |newest )?(?:tenant|investor|resident)\b", t):
        park = ctx.table.recent(EntityClass.PARK)
        if park:
            a, b = mk.span(m)
            (sk, _), = _keys(mk, m, "s")
            ctx.relate(sk, Predicate.HOSTED_IN, park, sent, a, b, 0.75, "park-tenant-apposition")
    # "Its management committee, the X Committee, ..." -> the park just described is run by X
    m = re.match(rf"^Its (?:management|administrative) committee, (?:the )?{E('GOV', name='s')}", t)
    if m:
        park = ctx.table.recent(EntityClass.PARK)
        if park:
            a, b = mk.span(m)
            ctx.relate(park, Predicate.ESTABLISHED_BY, _keys(mk, m, "s")[0][0], sent, a, b, 0.8, "its-committee")


def _runs(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    pat = (rf"{E('GOV', 'ORG', name='s')},? which (?:also |now |still )?(?:runs|operates|manages|administers|oversees|"
           rf"governs|built)\s+(?:both )?(?:the )?{LIST('PARK', 'PLC', name='o')}")
    for m in re.finditer(pat, t):
        a, b = mk.span(m)
        (sk, _), = _keys(mk, m, "s")[:1] or [(None, None)]
        if sk is None:
            continue
        for ok, ocls in _keys(mk, m, "o"):
            if ocls is EntityClass.PLACE:
                ctx.relate(sk, Predicate.GOVERNS, ok, sent, a, b, 0.85, "administers")
            else:
                ctx.relate(ok, Predicate.ESTABLISHED_BY, sk, sent, a, b, 0.85, "runs")


def _host(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    tail = (rf"\s*{GAP}{{0,60}}?\b(?:has |have |had |will |to |also |now |later |first )*{HOST_VERBS}\b"
            rf"{GAP}{{0,60}}?\b(?:in|into|at|inside|to|within|on the ground in)\s+(?:the )?(?:(?:north|south|east|"
            rf"west|centre|center|heart|outskirts)(?: part)? of (?:the )?|downtown )?{E('PARK', 'PLC', name='o')}")
    with_clause = (rf"{LIST('ENT', 'ORG', 'PARK', name='s')}(?:, which [^,]*,|, (?:a|an|the) [^,]*,|"
                   rf", (?:jointly |newly )?(?:initiated|founded|established|set up|launched|backed|sponsored|led|"
                   rf"owned|run) by [^.;]*?,){tail}")
    plain = rf"{LIST('ENT', 'ORG', 'PARK', name='s')}{tail}"
    matches = list(re.finditer(with_clause, t)) + list(re.finditer(plain, t))
    for m in matches:
        if not _starts_list(t, m.start("s")):
            continue
        a, b = mk.span(m)
        objects = _keys(mk, m, "o")
        for sk, _ in _keys(mk, m, "s"):
            for ok, ocls in objects:
                if ocls is EntityClass.PARK:
                    ctx.relate(sk, Predicate.HOSTED_IN, ok, sent, a, b, 0.85, "hosted-verb")
                elif re.search(r"\b(?:located|based|headquartered|registered|sits|lies|unveiled|inaugurated|"
                               r"launched|opened|housed)\b", m.group()):
                    ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.8, "located-verb")
    pat = (rf"{E('ENT', 'ORG', 'PARK', name='s')}, (?:a|an|the) [^⟦,.]{{0,60}}?\b(?:lab|laboratory|firm|company|"
           rf"start-up|startup|institute|centre|center|developer|maker|provider|unit|subsidiary|branch|think tank|"
           rf"association|enterprise|zone|park|base|cluster|hub|area)\s+(?:in|at|inside|based in|located in)\s+"
           rf"(?:the )?{E('PARK', 'PLC', name='o')}")
    for m in re.finditer(pat, t):
        a, b = mk.span(m)
        (sk, _), = _keys(mk, m, "s")
        for ok, ocls in _keys(mk, m, "o"):
            pred = Predicate.HOSTED_IN if ocls is EntityClass.PARK else Predicate.LOCATED_IN
            ctx.relate(sk, pred, ok, sent, a, b, 0.8, "appositive-location")


def _host_passive(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    pat = (rf"{E('PARK', name='o')}(?:, which [^,]*,)?{GAP}{{0,40}}?\b(?:has |have |had |now |still |also )*"
           rf"(?:absorbed|attracted|houses|hosts|(?:is )?home to|gathered|brought in|lured|welcomed)\b[^⟦.;]{{0,80}}?"
           rf"{LIST('ENT', 'ORG', name='s')}")
    coordinated = (rf"^(?:The |the )?{E('PARK', name='o')}[^.;]*?\band (?:has |have |had |now |still |also )*"
                   rf"(?:absorbed|attracted|houses|hosts|(?:is )?home to|gathered|brought in|lured|welcomed)\b"
                   rf"[^⟦.;]{{0,80}}?{LIST('ENT', 'ORG', name='s')}")
    # "30 projects entered the park, including A and B": the listed companies are in the park
    entered = (rf"\b(?:entered|moved into|settled in|stationed in|signed agreements to settle in|joined)\s+"
               rf"(?:the )?{E('PARK', name='o')},? (?:including|such as|among them) {LIST('ENT', 'ORG', name='s')}")
    for pattern, conf, rule in ((pat, 0.8, "park-houses"), (coordinated, 0.8, "park-houses"),
                                (entered, 0.75, "entered-including")):
        for m in re.finditer(pattern, t):
            a, b = mk.span(m)
            (ok, _), = _keys(mk, m, "o")
            for sk, _ in _keys(mk, m, "s"):
                ctx.relate(sk, Predicate.HOSTED_IN, ok, sent, a, b, conf, rule)
    m = re.search(rf"\b(?:signatories|tenants|residents|occupants|newcomers)\s+"
                  rf"(?:include|includes|included|including|are)\s+"
                  rf"{LIST('ENT', 'ORG', name='s')}", t) or re.search(
        rf"\b(?:companies|enterprises|firms|tenants|projects) (?:have |had |has )?(?:already )?(?:signed (?:leases|up|"
        rf"contracts|agreements)|moved in|settled (?:in|there))[^⟦.;]{{0,40}}?,? (?:among them|including|such as) "
        rf"(?:the )?{LIST('ENT', 'ORG', name='s')}", t)
    if m:
        park = ctx.table.recent(EntityClass.PARK)
        if park:
            a, b = mk.span(m)
            for sk, _ in _keys(mk, m, "s"):
                ctx.relate(sk, Predicate.HOSTED_IN, park, sent, a, b, 0.6, "signatories")


_ROLE_WORD = r"(?:[a-z][a-z\-]*|CEO|CTO|CFO|COO)"
_ROLE = rf"(?P<role>(?:{_ROLE_WORD}\s+){{0,5}}?{_ROLE_WORD})"


def _affiliation(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    targets = ("ORG", "GOV", "PARK", "ENT", "PLC")
    patterns = [
        (rf"{E('PER', name='p')},? (?:the |a |an )?{_ROLE} (?:of|at|for|with|in) (?:the )?{E(*targets, name='o')}"
         rf"(?: and (?:the |a |an )?(?P<role2>(?:[a-z][a-z\-]*\s+){{0,4}}?[a-z][a-z\-]*) (?:of|at|for) (?:the )?"
         rf"{E(*targets, name='o2')})?", 0.9, "person-role-of"),
        (rf"{E('ORG', 'GOV', 'PARK', 'ENT', 'PLC', name='o')}['’]s {_ROLE},? {E('PER', name='p')}", 0.85,
         "org-role-person"),
        (rf"{E('PER', name='p')} (?:of|from) (?:the )?{E('ORG', 'GOV', 'PARK', 'ENT', name='o')}", 0.8,
         "person-of"),
        (rf"{E('PER', name='p')}, (?:the |its )?{E('ORG', 'GOV', 'PARK', 'ENT', name='o')}['’]s "
         rf"(?P<role>[a-z][a-z\- ]*?[a-z])(?=[,.;]| said| told| says|$)", 0.85, "person-org-role"),
        (rf"{E('PER', name='p')},? who (?:also |currently |now )?(?:heads|leads|chairs|runs|directs|manages|founded|"
         rf"co-founded|works (?:for|at)|is (?:the )?(?P<role>[a-z ]+?) (?:of|at)) (?:the )?{E(*targets, name='o')}",
         0.85, "person-who-heads"),
    ]
    for pat, conf, rule in patterns:
        for m in re.finditer(pat, t):
            groups = m.groupdict()
            role = groups.get("role")
            if rule in {"person-role-of", "org-role-person", "person-org-role"} and not _is_role(role):
                continue
            if rule == "person-who-heads" and not role:
                verb = re.search(r"who (?:also |currently |now )?(\w+)", m.group())
                role = {"heads": "head", "leads": "leader", "chairs": "chair", "runs": "head", "directs": "director",
                        "manages": "manager", "founded": "founder"}.get(verb.group(1) if verb else "")
            a, b = mk.span(m)
            (pk, _), = _keys(mk, m, "p")
            pairs = [("o", role)]
            if groups.get("o2") and _is_role(groups.get("role2")):
                pairs.append(("o2", groups.get("role2")))
            for g, r in pairs:
                for ok, ocls in _keys(mk, m, g):
                    target = ok
                    if ocls is EntityClass.PLACE:
                        target = ctx.government_of(ok, surface=None, sentence=sent, start=a, end=b)
                    ctx.relate(pk, Predicate.AFFILIATED_WITH, target, sent, a, b, conf, rule, role=r)
                    if r:
                        ctx.table.entities[pk].attrs.setdefault("role", r)


def _is_role(role: str | None) -> bool:
    return bool(role) and any(w.lower() in ROLE_WORDS for w in re.split(r"[\s\-]+", role))


def _located(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    gz = gazetteer()
    table = ctx.table
    # X in P ; X in P's Q
    for m in re.finditer(rf"{E('PARK', 'ORG', 'ENT', 'GOV', name='s')},? (?:located |based |situated )?in (?:the )?"
                         rf"(?:downtown |(?:north|south|east|west|centre|center|heart|outskirts)(?: part)? of "
                         rf"(?:the )?)?"
                         rf"{E('PLC', name='o')}(?:['’]s {E('PLC', name='o2')})?", t):
        a, b = mk.span(m)
        (sk, scls), = _keys(mk, m, "s")
        (ok, _), = _keys(mk, m, "o")
        if m.group("o2"):
            (o2, _), = _keys(mk, m, "o2")
            ctx.relate(sk, Predicate.LOCATED_IN, o2, sent, a, b, 0.85, "x-in-place")
            ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.6, "x-in-place")
            continue
        prefix = _name_prefix_place(table, sk)
        o_ent = table.entities[ok]
        if prefix and o_ent.kind is PlaceKind.PROVINCE and table.entities[prefix].kind is not PlaceKind.PROVINCE:
            ctx.relate(prefix, Predicate.LOCATED_IN, ok, sent, a, b, 0.75, "prefix-place-in-province")
            continue
        ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.85, "x-in-place")
    # "Shaoxing, a city in eastern Zhejiang, is now home to the X Park": the park is in that place
    for m in re.finditer(rf"{E('PLC', name='o')}(?:, {GAP}{{0,90}}?,)?,? (?:is |has become |became )?(?:now |also )?"
                         rf"home to (?:the )?{LIST('PARK', 'ENT', 'ORG', 'PLC', name='s')}", t):
        a, b = mk.span(m)
        (ok, _), = _keys(mk, m, "o")
        for sk, _ in _keys(mk, m, "s"):
            ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.8, "place-home-to")
    # a list item "Hangzhou: Xixi Valley Blockchain Industrial Park, launched ..."
    m = re.match(rf"^\s*(?:\d+\.\s*)?{E('PLC', name='o')}\s*[:：]\s*(?:the )?{LIST('PARK', name='s')}", t)
    if m:
        a, b = mk.span(m)
        (ok, _), = _keys(mk, m, "o")
        for sk, _ in _keys(mk, m, "s"):
            ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.75, "place-label-item")
    # "the Shanghai-based Wanxiang Blockchain Labs"
    for m in re.finditer(rf"{E('PLC', name='o')}-based {E('ENT', 'ORG', 'PARK', 'GOV', name='s')}", t):
        a, b = mk.span(m)
        (ok, _), = _keys(mk, m, "o")
        (sk, _), = _keys(mk, m, "s")
        ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.8, "place-based")
    # P's X
    for m in re.finditer(rf"{E('PLC', name='o')}['’]s {E('PLC', 'PARK', 'ORG', 'GOV', 'ENT', name='s')}", t):
        a, b = mk.span(m)
        (ok, _), = _keys(mk, m, "o")
        (sk, scls), = _keys(mk, m, "s")
        if scls is EntityClass.PLACE and _level(table.entities[sk].kind) >= _level(table.entities[ok].kind):
            continue
        ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.85, "possessive-place")
        table.add_alias(sk, ctx.doc.text[a:b])
    # District, City
    for m in re.finditer(rf"{E('PLC', name='s')}, {E('PLC', name='o')}", t):
        (sk, _), = _keys(mk, m, "s")
        (ok, _), = _keys(mk, m, "o")
        sk_kind, ok_kind = table.entities[sk].kind, table.entities[ok].kind
        if (sk_kind is PlaceKind.DISTRICT and ok_kind in {PlaceKind.CITY, PlaceKind.PROVINCE}) or (
            sk_kind is PlaceKind.CITY and ok_kind is PlaceKind.PROVINCE
            # "Suzhou City, Jiangsu Province": the text picks the province, so a city name found in
            # several provinces qualifies as long as one of them is the one named
            and re.sub(r"\s+Province$", "", table.entities[ok].name)
            in gz.provinces_of(re.sub(r"\s+City$", "", table.entities[sk].name))
        ):
            a, b = mk.span(m)
            ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.8, "place-comma-place")
            table.add_alias(sk, ctx.doc.text[a:b])
    # "The Government of X District, City": the district is in the city
    for m in re.finditer(rf"{E('GOV', name='s')}, {E('PLC', name='o')}", t):
        (gk, _), = _keys(mk, m, "s")
        (ok, _), = _keys(mk, m, "o")
        place = next((p for p, g in ctx.governed.items() if g == gk), None)
        if place and table.entities[place].kind is PlaceKind.DISTRICT and table.entities[ok].kind in {
            PlaceKind.CITY, PlaceKind.PROVINCE
        }:
            a, b = mk.span(m)
            ctx.relate(place, Predicate.LOCATED_IN, ok, sent, a, b, 0.8, "government-of-district-city")
    # X, capital of ... P ; X, the provincial capital
    for m in re.finditer(rf"{E('PLC', name='s')}, (?:the )?capital of (?:[a-z]+ )?(?:{E('PLC')}['’]s )?"
                         rf"{E('PLC', name='o')}", t):
        a, b = mk.span(m)
        ctx.relate(_keys(mk, m, "s")[0][0], Predicate.LOCATED_IN, _keys(mk, m, "o")[0][0], sent, a, b, 0.85,
                   "capital-of")
    for m in re.finditer(rf"{E('PLC', name='s')}, the provincial capital", t):
        a, b = mk.span(m)
        province = table.recent(EntityClass.PLACE, where=lambda e: e.kind is PlaceKind.PROVINCE)
        if province:
            ctx.relate(_keys(mk, m, "s")[0][0], Predicate.LOCATED_IN, province, sent, a, b, 0.75,
                       "provincial-capital")
    # In P, the X ...
    m = re.match(rf"^In {E('PLC', name='o')}, (?:the )?{E('GOV', 'ORG', 'PARK', 'ENT', name='s')}", t)
    if m:
        a, b = mk.span(m)
        sk, ok = _keys(mk, m, "s")[0][0], _keys(mk, m, "o")[0][0]
        prefix = _name_prefix_place(table, sk)
        if prefix and _level(table.entities[prefix].kind) < _level(table.entities[ok].kind):
            # "In Hubei, the Wuhan Municipal Bureau ...": Wuhan is in Hubei (and so is the bureau, through it);
            # "In Nanjing, the Jiangbei New Area Management Committee": the district and its body are in Nanjing
            ctx.relate(prefix, Predicate.LOCATED_IN, ok, sent, a, b, 0.7, "prefix-place-in-topic")
            if table.entities[prefix].kind is PlaceKind.DISTRICT:
                ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.75, "in-place-topic")
        elif not prefix or prefix == ok:
            ctx.relate(sk, Predicate.LOCATED_IN, ok, sent, a, b, 0.75, "in-place-topic")


def _level(kind: PlaceKind | None) -> int:
    order = {PlaceKind.DISTRICT: 0, PlaceKind.CITY: 1, PlaceKind.PROVINCE: 2, PlaceKind.COUNTRY: 3,
             PlaceKind.REGION: 4}
    return order.get(kind, 0) if kind else 0


def _name_prefix_place(table: EntityTable, key: str) -> str | None:
    name = table.entities[key].name
    for k, e in table.entities.items():
        if e.cls is EntityClass.PLACE and e.kind is not PlaceKind.COUNTRY and k != key and \
                (name.startswith(e.name + " ") or any(name.startswith(a + " ") for a in e.aliases)):
            return k
    return None


def _concerns(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    occs = mk.occs
    current_policy: Occurrence | None = None
    any_policy = False
    for o in occs:
        if o.cls is EntityClass.POLICY:
            current_policy = o
            any_policy = True
            continue
        if o.cls is EntityClass.PARK and current_policy is not None:
            if ";" in ctx.doc.text[current_policy.end : o.start]:
                continue  # another clause: "... issued the X in 2021; the MIIT also named the park ..."
            keys = (o.key, *o.extra_keys)
            for k in keys:
                ctx.relate(current_policy.key, Predicate.CONCERNS, k, sent, current_policy.start, o.end, 0.7,
                           "policy-names-park")
    # policy titles that contain a park's name
    for o in occs:
        if o.cls is not EntityClass.POLICY:
            continue
        title = ctx.table.entities[o.key].name.lower()
        for k, e in ctx.table.entities.items():
            if e.cls is EntityClass.PARK and len(e.name.split()) > 1 and e.name.lower() in title:
                ctx.relate(o.key, Predicate.CONCERNS, k, sent, o.start, o.end, 0.8, "title-names-park")
    if any_policy:
        return
    # the next sentence spells out what the policy gives the park's enterprises
    if sent.index - ctx.last_policy_sentence == 1 and ctx.paragraph[sent.index] == ctx.paragraph[
        ctx.last_policy_sentence
    ] and re.search(r"\b(?:subsid|support|apply|rent|allowance|reward|tax|fund|grant|voucher|carrier|listed|"
                    r"eligible|benefit|cover|exempt|discount)", t, re.I):
        policy = ctx.table.recent(EntityClass.POLICY)
        if policy is None:
            return
        for o in occs:
            if o.cls is EntityClass.PARK:
                for k in (o.key, *o.extra_keys):
                    ctx.relate(policy, Predicate.CONCERNS, k, sent, sent.start, sent.end, 0.6, "policy-benefits-park")
        if any(o.cls is EntityClass.PARK for o in occs):
            ctx.last_policy_sentence = sent.index


def _comention(ctx: RelationContext, sent: Sentence, mk: Masked, t: str) -> None:
    """A city and its province named in one sentence: reference data says which contains which."""
    gz = gazetteer()
    table = ctx.table
    places = {}
    spans = [(m.start, m.end) for k in table.in_sentence.get(sent.index, ()) if k in table.entities
             for m in table.entities[k].mentions if m.sentence == sent.index]
    for k in sorted(table.in_sentence.get(sent.index, ())):
        e = table.entities.get(k)
        if e is None or e.cls is not EntityClass.PLACE:
            continue
        # a place named only inside another name ("Jiangsu Blockchain Industry Alliance") is not
        # the sentence speaking of that place
        own = [m for m in e.mentions if m.sentence == sent.index]
        if own and all(any(a <= m.start and m.end <= b and (a, b) != (m.start, m.end) for a, b in spans)
                       for m in own):
            continue
        places[k] = e
    for k, e in places.items():
        if e.kind is not PlaceKind.CITY:
            continue
        province = gz.province_of(re.sub(r"\s+City$", "", e.name))
        if not province:
            continue
        for k2, e2 in places.items():
            if e2.kind is PlaceKind.PROVINCE and re.sub(r"\s+Province$", "", e2.name) == province:
                ctx.relate(k, Predicate.LOCATED_IN, k2, sent, sent.start, sent.end, 0.6, "reference-containment")
