"""The entity table of one document: in-document coreference, keys, aliases and recency.

Why a table: the same park is named in full once, then "the park", "it", an abbreviation or a
shorter form; the table gives every such mention one entity and keeps the order of mention that
anaphora resolution needs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from graph.model import Entity, Mention
from graph.vocab import EntityClass, PlaceKind

__all__ = ["EntityTable", "Occurrence", "name_key", "norm_text"]

_GENERIC = {"the", "of", "and", "in", "a", "an", "for", "on", "s", "province", "provincial", "city",
            "municipal", "municipality", "people", "peoples"}
_GENERIC_BY_CLASS = {
    EntityClass.PARK: {"park", "industrial"},
    EntityClass.PLACE: {"district", "county"},
}


@lru_cache(maxsize=1 << 16)
def norm_text(text: str) -> str:
    """Lowercase ASCII-ish form for alias lookup (quotes, apostrophes and punctuation folded).

    Cached: alias lookups normalise the same names over and over (by_prefix scans every entity name).
    """
    s = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    s = re.sub(r"'s\b", "", s)
    s = re.sub(r"[^\w\s-]", " ", s)
    s = re.sub(r"^the\s+", "", s.strip())
    return re.sub(r"\s+", " ", s).strip()


def name_key(cls: EntityClass, text: str) -> str:
    """Resolution key of a name: its distinctive words, sorted, so word-order variants meet.

    "Blockchain Center of Yunnan Province" and "Yunnan Provincial Blockchain Center" get one key.

    Examples:
        >>> name_key(EntityClass.PARK, "Yunnan Blockchain Center Park")
        'blockchain center yunnan'
    """
    words = norm_text(text).split()
    if cls is EntityClass.PERSON:
        return " ".join(words)
    generic = _GENERIC | _GENERIC_BY_CLASS.get(cls, set())
    kept = sorted({w for w in words if w not in generic})
    return " ".join(kept) or " ".join(words)


@dataclass
class Occurrence:
    """An entity occurrence in a sentence, as the relation rules see it (outer names and anaphors)."""

    key: str
    cls: EntityClass
    start: int
    end: int
    sentence: int
    text: str
    anaphor: bool = False
    masked: str | None = None  # replacement text for masking ("in ⟦k⟧" for "there")
    extra_keys: tuple[str, ...] = ()  # "either park" stands for several entities


class EntityTable:
    """Entities of one document with lookup by alias, acronym and recency."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.alias_index: dict[str, str] = {}
        self.history: list[str] = []  # keys in order of mention
        self.merged: dict[str, str] = {}  # folded entity -> the entity it became
        self.last_sentence: dict[str, int] = {}  # key -> last sentence it was named or referred to in
        self.in_sentence: dict[int, set[str]] = {}  # sentence -> keys named in it (an index, for speed)

    def add(
        self,
        cls: EntityClass,
        text: str,
        *,
        start: int,
        end: int,
        sentence: int,
        kind: PlaceKind | None = None,
        name: str | None = None,
        key: str | None = None,
        record_mention: bool = True,
        recent: bool = True,
    ) -> str:
        """Add a mention of a named entity (creating the entity if new) and return its key."""
        if key is None and cls is EntityClass.PLACE:
            # a bare "Futian District" after "Shenzhen's Futian District" is that district
            base = f"{cls.value}:{name_key(cls, name or text)} @"
            qualified = [k for k in self.entities if k.startswith(base)]
            if len(qualified) == 1:
                key = qualified[0]
        if key is None:
            known = self.alias_index.get(norm_text(text))
            if known and known in self.entities and self.entities[known].cls is cls and name is None:
                key = known  # a name already seen (an acronym, an "also known as" name)
        key = key or f"{cls.value}:{name_key(cls, name or text)}"
        ent = self.entities.get(key)
        if ent is None:
            ent = Entity(key=key, cls=cls, name=_clean_name(name or text), kind=kind)
            self.entities[key] = ent
        elif kind is not None and ent.kind is None:
            ent.kind = kind
        if record_mention:
            ent.aliases.add(_clean_name(text))
            ent.mentions.append(Mention(text=text, start=start, end=end, sentence=sentence))
            self.in_sentence.setdefault(sentence, set()).add(key)
        self.alias_index.setdefault(norm_text(text), key)
        if name:
            self.alias_index.setdefault(norm_text(name), key)
        if recent:
            self.history.append(key)
            self.last_sentence[key] = max(self.last_sentence.get(key, -1), sentence)
        return key

    def merge(self, src: str, dst: str) -> None:
        """Fold entity `src` into `dst` ("X, also known as Y"): one entity, all names and mentions."""
        if src == dst or src not in self.entities or dst not in self.entities:
            return
        a, b = self.entities.pop(src), self.entities[dst]
        b.aliases |= a.aliases | {a.name}
        b.mentions.extend(a.mentions)
        for alias, key in list(self.alias_index.items()):
            if key == src:
                self.alias_index[alias] = dst
        self.history = [dst if k == src else k for k in self.history]
        self.merged[src] = dst

    def canonical(self, key: str) -> str:
        while key in self.merged:
            key = self.merged[key]
        return key

    def add_alias(self, key: str, alias: str) -> None:
        self.entities[key].aliases.add(alias)
        self.alias_index.setdefault(norm_text(alias), key)

    def lookup(self, text: str) -> str | None:
        return self.alias_index.get(norm_text(text))

    def touch(self, key: str, sentence: int | None = None) -> None:
        """Record an anaphoric mention: it makes the entity the most recent of its class."""
        self.history.append(key)
        if sentence is not None:
            self.last_sentence[key] = max(self.last_sentence.get(key, -1), sentence)

    def recent(self, cls: EntityClass | set[EntityClass], *, where=None, skip: int = 0) -> str | None:
        """The most recently mentioned entity of a class (optionally matching `where`)."""
        classes = {cls} if isinstance(cls, EntityClass) else cls
        seen: set[str] = set()
        for key in reversed(self.history):
            if key in seen:
                continue
            seen.add(key)
            ent = self.entities.get(key)
            if ent is None or ent.cls not in classes:
                continue
            if where is not None and not where(ent):
                continue
            if skip:
                skip -= 1
                continue
            return key
        return None

    def by_prefix(self, words: list[str]) -> str | None:
        """The single non-place entity whose name starts with these words ("Silk Chain" -> "Silk Chain Technology")."""
        prefix = norm_text(" ".join(words)) + " "
        hits = {k for alias, k in self.alias_index.items() if alias.startswith(prefix) and k in self.entities}
        hits |= {k for k, e in self.entities.items() if norm_text(e.name).startswith(prefix)}
        if len(hits) == 1:
            key = hits.pop()
            if self.entities[key].cls is not EntityClass.PLACE:
                return key
        return None

    def person_by_surname(self, surname: str) -> str | None:
        return self.recent(
            EntityClass.PERSON, where=lambda e: e.name.split()[0].lower() == surname.lower() and len(e.name.split()) > 1
        )


def _clean_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().strip("“”\"'‘’ ,.;:")
    return re.sub(r"^(?:the|The)\s+", "", text)
