"""Sentences: exact character spans into the document text, robust to news-English punctuation."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.ingest import ingest_file
from graph.paths import CORPUS_DIR
from graph.sentences import split_sentences

CORPUS_FILES = sorted(CORPUS_DIR.glob("*.txt"))


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_company_suffixes_and_decimals_do_not_end_a_sentence() -> None:
    assert texts("Acme Co., Ltd. moved in. Output grew 4.5% to 1.2 billion yuan. Done.") == [
        "Acme Co., Ltd. moved in.",
        "Output grew 4.5% to 1.2 billion yuan.",
        "Done.",
    ]


def test_closing_quote_after_full_stop_stays_with_its_sentence() -> None:
    assert texts('He said: “We will build it.” The park opened.') == [
        "He said: “We will build it.”",
        "The park opened.",
    ]


def test_initials_and_lowercase_continuations() -> None:
    assert texts("J. Smith spoke. It was e.g. fine. Next one!") == ["J. Smith spoke.", "It was e.g. fine.", "Next one!"]


def test_each_line_ends_a_sentence_and_blank_lines_give_nothing() -> None:
    assert texts("Headline without stop\n\n  Body sentence one. Body two?\n\n\n") == [
        "Headline without stop",
        "Body sentence one.",
        "Body two?",
    ]


def test_chinese_punctuation() -> None:
    assert texts("园区开业。企业入驻！") == ["园区开业。", "企业入驻！"]


def test_indices_are_consecutive_and_spans_trimmed() -> None:
    text = "  First one.   Second one.  \nThird"
    sentences = split_sentences(text)
    assert [s.index for s in sentences] == list(range(len(sentences)))
    for s in sentences:
        assert text[s.start : s.end] == s.text == s.text.strip()


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_sentences_golden(path: Path, goldens) -> None:
    doc = ingest_file(path)
    sentences = split_sentences(doc.text)
    for s in sentences:
        assert doc.text[s.start : s.end] == s.text
    goldens.check_json(
        "sentences",
        f"{path.stem}.json",
        [{"index": s.index, "start": s.start, "end": s.end, "text": s.text} for s in sentences],
    )
