"""Find candidate names in a sentence and guess their class from head nouns and reference data.

Why rules: names of parks, bureaus and policies in this kind of text are capitalised noun phrases
whose last noun says what they are ("... Chain Valley", "... Bureau", "... Measures"); a chunker plus
head nouns finds them on unseen articles, where generic NER models mislabel most of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graph.extract.lexicon import (
    FUNCTION_WORDS,
    MONTHS,
    POLICY_HEADS,
    SURNAMES,
    TITLE_WORDS,
    WEEKDAYS,
    head_class,
    is_pinyin_word,
)
from graph.gazetteer import gazetteer
from graph.vocab import EntityClass, PlaceKind

__all__ = ["Chunk", "Token", "find_chunks", "tokenize"]

_TOKEN = re.compile(
    r"People['’]s\b|[A-Za-z0-9\u00C0-\u024F](?:[A-Za-z0-9&\-\u00C0-\u024F]|['’](?![sS]\b)(?=[A-Za-z]))*"
    r"|['’][sS]\b|[“”\"‘’()\[\],;:—–.!?《》「」]|\S"
)
CONNECTORS = {"of", "and", "for", "on", "&"}
# Adjectives that start official names as often as ordinary phrases.
NAME_ADJECTIVES = {"central", "national", "local", "provincial", "municipal", "new", "general", "main", "major",
                   "international", "first", "second", "third", "senior"}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass
class Chunk:
    """A candidate name: its tokens' span, surface text, and the class the rules gave it."""

    start: int
    end: int
    text: str
    words: list[str]
    cls: EntityClass | None = None
    kind: PlaceKind | None = None
    quoted: bool = False
    acronym: str | None = None
    nested: list[Chunk] = field(default_factory=list)
    first_token: int = 0
    last_token: int = 0
    span_end: int | None = None  # end including a defined abbreviation "(MIIT)"


def tokenize(text: str, offset: int = 0) -> list[Token]:
    return [Token(m.group(), m.start() + offset, m.end() + offset) for m in _TOKEN.finditer(text)]


def is_name_word(tok: str) -> bool:
    """Capitalised word, acronym, or camel-case brand (iSoftStone); not a month or weekday."""
    if not tok or not tok[0].isalnum():
        return False
    low = tok.lower()
    # full month names are dates; three-letter forms ("Jun", "Jan") are also pinyin given names
    if (low in MONTHS and len(low) > 3 and low not in {"march", "may"}) or low in WEEKDAYS or low == "sept":
        return False
    if low in {"march", "may"} and tok[0].isupper():
        return False
    if tok[0].isupper():
        return True
    return tok[0].islower() and any(c.isupper() for c in tok[1:]) and tok.isalpha()


def is_acronym(tok: str) -> bool:
    return 2 <= len(tok) <= 8 and tok.replace("&", "").isalpha() and tok.upper() == tok


def person_like(words: list[str]) -> bool:
    """Two or three words that read as a Chinese personal name: a surname then pinyin given name(s)."""
    if not 2 <= len(words) <= 3:
        return False
    if words[0].lower() not in SURNAMES:
        return False
    if not all(w[:1].isupper() and w[1:].islower() for w in words):
        return False
    if not all(is_pinyin_word(w) for w in words[1:]):
        return False
    gz = gazetteer()
    return not (gz.lookup(" ".join(words)) or gz.lookup(words[1]) or gz.lookup("".join(words)))


def find_chunks(sentence: str, offset: int, lowercase_vocabulary: set[str]) -> list[Chunk]:
    """Candidate names of one sentence, each classified where its form allows.

    Args:
        sentence: the sentence text.
        offset: the sentence's start in the document, so chunk spans are document offsets.
        lowercase_vocabulary: words seen in lowercase anywhere in the document; a capitalised
            sentence-initial word from it is an ordinary word, not a name.
    """
    tokens = tokenize(sentence, offset)
    chunks: list[Chunk] = []
    quoted_spans = _quoted_spans(tokens)
    title_spans = []
    for qs, qe in quoted_spans:
        inner = tokens[qs + 1 : qe]
        chunk = _quoted_chunk(inner) if len(inner) <= 30 else None
        if chunk is not None:
            chunk.text = sentence[chunk.start - offset : chunk.end - offset]
            chunk.first_token, chunk.last_token = qs + 1, qe - 1
            chunks.append(chunk)
            title_spans.append((qs, qe))
    # quotes around speech are read as ordinary text; only titles and names are taken whole
    inside_quotes = {i for qs, qe in title_spans for i in range(qs, qe + 1)}

    i = 0
    n = len(tokens)
    while i < n:
        if i in inside_quotes or not is_name_word(tokens[i].text):
            i += 1
            continue
        j = i
        end = i
        while j + 1 < n:
            nxt = tokens[j + 1]
            if j + 1 in inside_quotes:
                break
            if is_name_word(nxt.text):
                end = j = j + 1
                continue
            if nxt.low in CONNECTORS and j + 2 < n:
                if person_like(_untitled([t.text for t in tokens[i : j + 1]])):
                    break  # "(Professor) Tang Yi of Nanjing University": a person, then the body
                k = j + 2
                if nxt.low in {"of", "for", "on"} and tokens[k].low == "the" and k + 1 < n:
                    k += 1
                if k in inside_quotes or not is_name_word(tokens[k].text):
                    break
                if nxt.low == "and" and not _and_joins(tokens, i, j, k, lowercase_vocabulary):
                    break
                if nxt.low in {"of", "for", "on"} and gazetteer().lookup(tokens[k].text) and _is_place_only(
                    tokens, k
                ) and head_class([t.text for t in tokens[i : j + 1]])[0] is None:
                    break
                end = j = k
                continue
            if nxt.text == "(":
                close = next((c for c in range(j + 2, min(n, j + 8)) if tokens[c].text == ")"), None)
                if close is None:
                    break
                inner = tokens[j + 2 : close]
                if len(inner) == 1 and is_acronym(inner[0].text) and inner[0].text.isupper():
                    break  # an abbreviation being defined: handled below
                if inner and all(is_name_word(t.text) for t in inner):
                    end = j = close
                    continue
                break
            break
        if tokens[end].low in {"co", "ltd", "inc", "corp"}:
            # "Co., Ltd." belongs to the company name: extend over its dots and comma
            rest = sentence[tokens[end].end - offset :]
            m_suffix = re.match(r"\.(?:,\s*(?:Ltd|Limited)\.?)?", rest)
            if m_suffix:
                stop = tokens[end].end + m_suffix.end()
                while end + 1 < n and tokens[end + 1].end <= stop:
                    end += 1
        chunk_tokens = tokens[i : end + 1]
        while chunk_tokens and chunk_tokens[-1].text == ",":
            chunk_tokens = chunk_tokens[:-1]
        chunk_tokens = _trim(chunk_tokens, i, tokens, lowercase_vocabulary)
        based = _BASED.match(chunk_tokens[0].text) if len(chunk_tokens) > 1 else None
        if based and gazetteer().lookup(based.group(1)):
            # "the Shanghai-based Wanxiang Blockchain Labs": a place, then the name proper
            t0 = chunk_tokens[0]
            place = _make_chunk([Token(based.group(1), t0.start, t0.start + len(based.group(1)))], sentence, offset)
            place.first_token = place.last_token = tokens.index(t0, i)
            chunks.append(place)
            chunk_tokens = chunk_tokens[1:]
        if chunk_tokens:
            first = tokens.index(chunk_tokens[0], i)
            chunk = _make_chunk(chunk_tokens, sentence, offset)
            chunk.first_token, chunk.last_token = first, first + len(chunk_tokens) - 1
            nxt_i = chunk.last_token + 1
            later = sentence[chunk.end - offset :]
            if _DOC_NUMBER.match(later):  # "Min Zheng Ban [2021] No. 23": a document number, not a name
                i = end + 1
                continue
            short = re.match(r"\s*\((?:hereinafter|hereafter)\s+(?:referred to as|called|abbreviated as|the)\s+"
                             r"[“\"'‘]([^”\"'’]{2,60})[”\"'’]\)", later)
            native = _NATIVE_NAME.match(later)
            if short:
                chunk.acronym = short.group(1)
                chunk.span_end = chunk.end + short.end()
            elif native:  # "Zhongguancun Science Park (中关村科技园区)": the name in Chinese, an alias
                chunk.acronym = native.group(1).strip()
                chunk.span_end = chunk.end + native.end()
            elif (
                nxt_i + 2 < n
                and tokens[nxt_i].text == "("
                and tokens[nxt_i + 2].text == ")"
                and is_acronym(tokens[nxt_i + 1].text)
            ):
                chunk.acronym = tokens[nxt_i + 1].text
                chunk.span_end = tokens[nxt_i + 2].end
            chunks.append(chunk)
        i = end + 1
    chunks.sort(key=lambda c: c.start)
    return chunks


_BASED = re.compile(r"^([A-Z][A-Za-z'’]+)-based$")
# A name in Chinese script in brackets right after an English name, as English-language Chinese news
# gives it (CJK unified ideographs, their extension A and compatibility forms, and the middle dot).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NATIVE_NAME = re.compile(rf"\s*[(（]\s*([{_CJK}][{_CJK}·・ ]{{1,39}})\s*[)）]")
_DOC_NUMBER = re.compile(r"\s*[\[〔【(（]\s*(?:19|20)\d\d\s*[\]〕】)）]\s*(?:No\.?|Number|第)")


def _is_place_only(tokens: list[Token], k: int) -> bool:
    """True when the name after a connector is a bare place (not the start of a longer name)."""
    return not (k + 1 < len(tokens) and is_name_word(tokens[k + 1].text))


GENERIC_NAME_WORDS = {
    "science", "technology", "information", "industry", "industrial", "economy", "economic", "digital", "data",
    "blockchain", "research", "development", "trade", "logistics", "finance", "financial", "innovation",
    "privacy", "computing", "culture", "education", "health", "energy", "environment", "commerce", "resources",
    "security", "transport", "communications", "software", "internet", "network", "reform", "planning",
}


def _and_joins(tokens: list[Token], i: int, j: int, k: int, vocab: set[str] = frozenset()) -> bool:
    """Decide whether "X and Y" is one name ("Blockchain and Digital Economy Park") or two."""
    left = [t.text for t in tokens[i : j + 1]]
    right_words = []
    m2 = k
    while m2 < len(tokens) and is_name_word(tokens[m2].text):
        right_words.append(tokens[m2].text)
        m2 += 1
    if "of" in [w.lower() for w in left[1:]]:
        # "Bureau of Economy and Information Technology": the head came before "of"
        if right_words and all(w.lower() in GENERIC_NAME_WORDS for w in right_words):
            return True  # "Academy of Information and Communications Technology": fields, not a new name
        right_cls = head_class(right_words)[0] if right_words else None
        return right_cls not in {EntityClass.GOVERNMENT, EntityClass.ORGANIZATION, EntityClass.PARK,
                                 EntityClass.PLACE, EntityClass.POLICY} and not gazetteer().lookup(right_words[0])
    if head_class(left)[0] is not None and left[-1].lower() not in {"science", "information", "industry"}:
        return False
    # "Blockchain and Digital Economy Park" joins; "Tencent and JD Technology" is a list of two names
    if len(left) == 1 and left[0].lower() not in vocab and left[0].lower() not in GENERIC_NAME_WORDS:
        return False
    if right_words and head_class(right_words)[0] is EntityClass.ENTERPRISE:
        return False
    if gazetteer().lookup(" ".join(left)) or person_like(left):
        return False
    if len(left) == 1 and left[0].lower() in FUNCTION_WORDS:
        return False
    # the right side must go on to a head noun, otherwise this is a list of names
    m = k
    while m + 1 < len(tokens) and (is_name_word(tokens[m + 1].text) or tokens[m + 1].low in {"of", "and"}):
        m += 1
    right = [t.text for t in tokens[k : m + 1]]
    while right and right[-1].lower() in {"of", "and"}:
        right.pop()  # "... Committee and is located": the trailing "and" starts a new clause
    if head_class(right)[0] is None and not (tokens[i].low in {"ministry", "department", "bureau"} or "of" in [
        t.low for t in tokens[i : j + 1]
    ]):
        return False
    return not gazetteer().lookup(tokens[k].text) or len(right) > 1


def _untitled(words: list[str]) -> list[str]:
    """Words without leading titles ("Professor", "Dr.")."""
    while words and words[0].lower().strip(".") in TITLE_WORDS:
        words = words[1:]
    return words


def _trim(chunk: list[Token], i: int, tokens: list[Token], vocab: set[str]) -> list[Token]:
    """Drop leading function words, titles and sentence-initial ordinary words."""
    out = list(chunk)
    if gazetteer().lookup(" ".join(t.text for t in out)):
        return out
    while out:
        w = out[0].text
        low = w.lower()
        at_start = out[0] is tokens[0] or (tokens.index(out[0]) > 0 and tokens[tokens.index(out[0]) - 1].text in
                                            {"“", '"', "(", ":", "—", "–"})
        if low in FUNCTION_WORDS or low in TITLE_WORDS:
            rest = [t.text for t in out[1:]]
            if low in NAME_ADJECTIVES and rest and head_class(rest)[0] is not None:
                break  # "Central Network Information Office", "National ... Commission"
            out.pop(0)
            continue
        if at_start and low in vocab and len(out) > 1 and not gazetteer().lookup(w):
            out.pop(0)
            continue
        break
    while out and out[-1].low in CONNECTORS | {"the"}:
        out.pop()
    if len(out) == 1 and out[0].text.isdigit():
        return []
    return out


def _make_chunk(toks: list[Token], sentence: str, offset: int) -> Chunk:
    text = sentence[toks[0].start - offset : toks[-1].end - offset]
    words = []
    depth = 0
    for t in toks:  # a trailing qualifier in brackets ("Zone (Binjiang)") is not the head noun
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        elif depth == 0 and t.text not in {",", "."}:
            words.append(t.text)
    chunk = Chunk(start=toks[0].start, end=toks[-1].end, text=text, words=words)
    _classify(chunk)
    return chunk


def _classify(chunk: Chunk) -> None:
    gz = gazetteer()
    words = chunk.words
    entry = gz.best(chunk.text) or (gz.best(" ".join(words)) if words else None)
    if entry is not None and not (entry.kind is PlaceKind.DISTRICT and len(words) == 1):
        chunk.cls, chunk.kind = EntityClass.PLACE, entry.kind
        return
    if len(words) == 1 and words[0].isupper() and len(words[0]) > 3:
        entry = gz.best(words[0].title())
        if entry is not None and entry.kind is not PlaceKind.DISTRICT:
            chunk.cls, chunk.kind = EntityClass.PLACE, entry.kind
            return
    cls, kind = head_class(words)
    if cls is EntityClass.PLACE and len(words) == 1:
        cls, kind = None, None
    if cls is EntityClass.POLICY and not chunk.quoted and len(words) == 1:
        cls = None  # a bare "Plan" or "Guidance" is an anaphor, resolved later
    if cls is None and person_like(words):
        cls = EntityClass.PERSON
    chunk.cls, chunk.kind = cls, kind


def _quoted_spans(tokens: list[Token]) -> list[tuple[int, int]]:
    spans = []
    open_i = None
    for idx, t in enumerate(tokens):
        if t.text in {"“", "《", "「"}:
            open_i = idx
        elif t.text in {"”", "》", "」"} and open_i is not None:
            spans.append((open_i, idx))
            open_i = None
        elif t.text == '"':
            if open_i is None:
                open_i = idx
            else:
                spans.append((open_i, idx))
                open_i = None
    return [(s, e) for s, e in spans if e - s > 1]


def _quoted_chunk(inner: list[Token]) -> Chunk | None:
    """A quoted title: a policy if it carries a policy noun, else a name if it is capitalised."""
    ordinal = bool(inner) and re.fullmatch(r"\d+(?:st|nd|rd|th)", inner[0].text) is not None  # "14th Five-Year Plan"
    if not inner or not (is_name_word(inner[0].text) or (ordinal and len(inner) > 1 and is_name_word(inner[1].text))):
        return None
    words = [t.text for t in inner]
    text_start, text_end = inner[0].start, inner[-1].end
    if any(t.text in {",", ";"} for t in inner) and not any(w.lower() in POLICY_HEADS for w in words):
        return None
    caps = [w for w in words if w[:1].isalpha()]
    lows = {w.lower() for w in words}
    chunk = Chunk(start=text_start, end=text_end, text="", words=words, quoted=True)
    if lows & POLICY_HEADS and len(caps) >= 2 and sum(w[0].isupper() for w in caps) >= len(caps) * 0.6:
        chunk.cls = EntityClass.POLICY
        return chunk
    if not all(w[0].isupper() or w.lower() in {"of", "and", "for", "the", "on", "in", "&"} for w in caps):
        return None
    cls, kind = head_class(words)
    if cls is None and person_like(words):
        cls = EntityClass.PERSON
    chunk.cls, chunk.kind = cls, kind
    if cls is None and len(words) > 4:
        return None
    return chunk
