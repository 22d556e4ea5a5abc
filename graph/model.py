"""Typed records passed between pipeline stages.

Why: each stage is a plain function from one of these to the next (ingest -> Document,
extract -> Extraction, resolve -> ResolvedExtraction), so a stage can be tested from the stored
output of the stage before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from graph.vocab import EntityClass, PlaceKind, Predicate

__all__ = ["Amount", "Document", "Entity", "Extraction", "Mention", "Relation", "Sentence"]


@dataclass(frozen=True)
class Document:
    """One source document after ingest: plain text with the metadata the pipeline needs.

    `text` is the exact string that character offsets point into (after HTML/Markdown
    conversion); `sha256` is of that text, so an unchanged document is recognised on rebuild.
    """

    doc_id: str
    name: str
    path: str
    text: str
    sha256: str
    source: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a heading line) with its character span in the document text."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity's name: the surface text and where it stands."""

    text: str
    start: int
    end: int
    sentence: int


@dataclass
class Entity:
    """An entity as one document sees it, after in-document coreference.

    `key` is document-independent for names that identify their referent on their own, so that
    the same park or ministry in two documents resolves to one IRI; `scope` qualifies names that
    do not (a district known only by its bare name).
    """

    key: str
    cls: EntityClass
    name: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
    kind: PlaceKind | None = None
    scope: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    def labels(self) -> list[str]:
        """All surface forms other than the canonical name, sorted for reproducible output."""
        return sorted(a for a in self.aliases if a != self.name)


@dataclass(frozen=True)
class Relation:
    """A fact between two entities of one document, with the evidence that supports it."""

    subject: str
    predicate: Predicate
    object: str
    sentence: int
    start: int
    end: int
    confidence: float
    rule: str
    role: str | None = None


@dataclass(frozen=True)
class Amount:
    """A money amount or a count that the text states about an entity."""

    subject: str
    value: Decimal
    unit: str
    text: str
    sentence: int
    start: int
    end: int
    currency: str | None = None
    qualifier: str | None = None


@dataclass
class Extraction:
    """Everything extracted from one document: the input of resolve and build."""

    document: Document
    sentences: list[Sentence]
    entities: dict[str, Entity]
    relations: list[Relation]
    amounts: list[Amount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
