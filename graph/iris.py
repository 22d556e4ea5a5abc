"""Minting of IRIs: the only module that turns names into identifiers.

Why: identity must be stable across runs, machines and incremental builds (same entity, same IRI),
so IRIs are pure functions of an entity's class and resolution key, or of a document id and offsets.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rdflib import URIRef

from graph.vocab import DOC, GRAPH, ID, EntityClass

__all__ = [
    "document_graph_iri",
    "document_iri",
    "entity_iri",
    "evidence_iri",
    "mention_iri",
    "sentence_iri",
    "slugify",
]

CLASS_SLUG = {
    EntityClass.PARK: "park",
    EntityClass.GOVERNMENT: "gov",
    EntityClass.POLICY: "policy",
    EntityClass.ENTERPRISE: "enterprise",
    EntityClass.PERSON: "person",
    EntityClass.ORGANIZATION: "org",
    EntityClass.PLACE: "place",
}


# Latin letters that NFKD does not take apart into an ASCII letter and a mark
_LATIN_EXTRA = str.maketrans({"ß": "ss", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Æ": "AE",
                              "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th", "Ð": "D", "ð": "d", "ı": "i"})


def slugify(text: str, *, max_len: int = 80) -> str:
    """Lowercase ASCII words joined by hyphens; long slugs are cut and suffixed with a short hash.

    Letters with no ASCII form (Chinese characters) would vanish, so two names that differ only in
    them ("中关村 Park", "雄安 Park") would share one IRI: such a slug ends with a hash of the text.

    Examples:
        >>> slugify("Xi’an High-tech Zone"), slugify("Zhōngguāncūn Park")
        ('xian-high-tech-zone', 'zhongguancun-park')
        >>> slugify("中关村 Park") != slugify("雄安 Park")
        True
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN_EXTRA))
    ascii_text = decomposed.encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’`]", "", ascii_text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if not slug:
        slug = "x" + hashlib.sha1(text.encode()).hexdigest()[:10]
    elif any(not ch.isascii() and unicodedata.category(ch).startswith("L") for ch in decomposed):
        slug += "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    if len(slug) > max_len:
        slug = slug[: max_len - 9].rstrip("-") + "-" + hashlib.sha1(slug.encode()).hexdigest()[:8]
    return slug


def entity_iri(cls: EntityClass, key: str, scope: str | None = None) -> URIRef:
    """IRI of an entity from its class and resolution key (and scope, for names that need one)."""
    path = f"{CLASS_SLUG[cls]}/{slugify(key)}"
    if scope:
        path += f"--{slugify(scope)}"
    return ID[path]


def document_iri(doc_id: str) -> URIRef:
    return DOC[doc_id]


def document_graph_iri(doc_id: str) -> URIRef:
    return GRAPH[f"doc/{doc_id}"]


def sentence_iri(doc_id: str, index: int) -> URIRef:
    return DOC[f"{doc_id}/sentence/{index}"]


def mention_iri(doc_id: str, start: int, end: int) -> URIRef:
    return DOC[f"{doc_id}/mention/{start}-{end}"]


def evidence_iri(doc_id: str, subject: str, predicate: str, obj: str, start: int) -> URIRef:
    digest = hashlib.sha1(f"{subject}|{predicate}|{obj}|{start}".encode()).hexdigest()[:16]
    return DOC[f"{doc_id}/evidence/{digest}"]


def amount_iri(doc_id: str, subject: str, start: int, end: int) -> URIRef:
    digest = hashlib.sha1(f"{subject}|{start}|{end}".encode()).hexdigest()[:12]
    return DOC[f"{doc_id}/amount/{digest}"]


def link_record_iri(*parts: str) -> URIRef:
    """IRI of the record (reified statement + provenance) of one external link.

    A hash of the link's subject, predicate and object, so the same link gets the same record IRI
    on every run.
    """
    digest = hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
    return GRAPH[f"links/record/{digest}"]
