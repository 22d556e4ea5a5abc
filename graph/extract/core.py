"""Orchestrates extraction of one document (interim: names only; relations follow)."""

from __future__ import annotations

import re

from graph.extract.mentions import find_chunks
from graph.model import Document, Entity, Extraction, Mention
from graph.sentences import split_sentences


def extract(doc: Document) -> Extraction:
    sentences = split_sentences(doc.text)
    vocab = {w for w in re.findall(r"\b[a-z][a-z\-]+\b", doc.text)}
    entities: dict[str, Entity] = {}
    for s in sentences:
        for c in find_chunks(s.text, s.start, vocab):
            if c.cls is None:
                continue
            key = " ".join(w.lower() for w in c.words)
            ent = entities.setdefault(key, Entity(key=key, cls=c.cls, name=c.text, kind=c.kind))
            ent.aliases.add(c.text)
            ent.mentions.append(Mention(c.text, c.start, c.end, s.index))
    return Extraction(document=doc, sentences=sentences, entities=entities, relations=[])
