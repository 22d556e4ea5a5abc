"""Sentence splitting with character offsets into the document text.

Why not a library: the texts are news English with company suffixes ("Co., Ltd."), decimals and
quotes that close after the full stop; a small rule set handles them, keeps exact offsets, and
needs no model download.
"""

from __future__ import annotations

import re

from graph.model import Sentence

__all__ = ["split_sentences"]

_ABBREVIATIONS = {
    "co", "ltd", "inc", "corp", "no", "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gov", "dept",
    "e.g", "i.e", "u.s", "u.k", "approx", "est", "fig", "vol", "rev",
}
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a plausible start;
# Chinese full-width stops need no space after them (Chinese text has none).
_END = re.compile(
    r"[.!?。！？]+[\"'”’)\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9\u4e00-\u9fff])"
    r"|[。！？]+[”’」』)）]*(?=\S)"
)


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences; every line break that ends a paragraph or heading also ends one.

    Examples:
        >>> [s.text for s in split_sentences("Huawei Co., Ltd. moved in. It grew 4.5% in 2020.")]
        ['Huawei Co., Ltd. moved in.', 'It grew 4.5% in 2020.']
    """
    sentences: list[Sentence] = []
    for block in re.finditer(r"[^\n]+", text):
        start = block.start()
        chunk = block.group()
        cursor = 0
        for m in _END.finditer(chunk):
            before = chunk[cursor:m.start()]
            word = re.search(r"([A-Za-z][A-Za-z.]*)$", before)
            if word and m.group().startswith(".") and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
                continue
            if word and len(word.group(1)) == 1 and word.group(1).isupper():
                continue  # an initial: "J. Smith"
            _add(sentences, text, start + cursor, start + m.end())
            cursor = m.end()
        _add(sentences, text, start + cursor, start + len(chunk))
    return sentences


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(index=len(out), start=start, end=end, text=text[start:end]))
