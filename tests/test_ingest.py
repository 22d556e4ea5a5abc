"""Ingest: plain text, Markdown and HTML become one text that every later offset points into."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graph.ingest import MAX_BYTES, IngestError, discover, doc_id_for, ingest_file, ingest_text
from graph.paths import CORPUS_DIR
from graph.sentences import split_sentences

CORPUS_FILES = sorted(CORPUS_DIR.glob("*.txt"))

HTML_PAGE = """<!doctype html>
<html><head><title>Park news</title>
<style>p { color: red } .Hidden { display: none }</style>
<script>var park = "Scripted Zone"; if (a < b) { alert("x"); }</script>
</head>
<body><h1>Harbour park opens</h1>
<p>The park&nbsp;opened on Tuesday &amp; 18 firms signed.</p>
<noscript>Enable JavaScript</noscript>
<p>It lies in <b>Riverside</b> District. A second sentence follows.</p>
</body></html>
"""

MARKDOWN = """source: https://example.org/news/a_b
# Big *news* from the park

The **Harbour Park** opened. See [the notice](https://example.org/notice).
- first item
- second item
"""


def assert_offsets_point_into(text: str) -> None:
    sentences = split_sentences(text)
    assert sentences, "no sentences found"
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_plain_text_source_line_is_metadata_and_offsets_are_kept() -> None:
    raw = "source: Example Daily, 3 May 2021\n\nHeadline here\n\nBody text. More body.\n"
    doc = ingest_text(raw, name="Plain Article.txt")
    assert doc.source == "Example Daily, 3 May 2021"
    assert "source:" not in doc.text and "Example Daily" not in doc.text
    # The source line is blanked, not cut, so offsets match the file's layout.
    assert len(doc.text) == len(raw)
    assert doc.text.index("Headline") == raw.index("Headline")
    assert doc.title == "Headline here"
    assert doc.doc_id == "plain-article"
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    assert_offsets_point_into(doc.text)


def test_text_without_source_line_and_windows_newlines() -> None:
    doc = ingest_text("Title line\r\n\r\nFirst sentence. Second one.\r\n", name="a.txt")
    assert doc.source is None
    assert "\r" not in doc.text
    assert doc.title == "Title line"


def test_html_drops_scripts_styles_and_markup() -> None:
    doc = ingest_text(HTML_PAGE, name="page.html")
    for hidden in ("Scripted Zone", "alert", "color: red", "display", "<", ">"):
        assert hidden not in doc.text
    assert "Enable JavaScript" not in doc.text
    assert "The park opened on Tuesday & 18 firms signed." in doc.text
    assert "It lies in Riverside District." in doc.text
    # Block elements end paragraphs, so the heading is its own sentence.
    texts = [s.text for s in split_sentences(doc.text)]
    assert "Harbour park opens" in texts
    assert_offsets_point_into(doc.text)


def test_markdown_markup_removed_and_source_kept() -> None:
    doc = ingest_text(MARKDOWN, name="note.md")
    assert doc.source == "https://example.org/news/a_b"
    assert doc.title == "Big news from the park"
    assert "The Harbour Park opened. See the notice." in doc.text
    for markup in ("**", "#", "](", "- first"):
        assert markup not in doc.text
    assert_offsets_point_into(doc.text)


@pytest.mark.parametrize("suffix", [".html", ".md", ".txt"])
def test_ingest_file_matches_ingest_text(tmp_path: Path, suffix: str) -> None:
    raw = HTML_PAGE if suffix == ".html" else MARKDOWN
    path = tmp_path / f"Doc{suffix}"
    path.write_text(raw, encoding="utf-8")
    from_file = ingest_file(path)
    from_text = ingest_text(raw, name=path.name, path=str(path))
    assert from_file == from_text
    assert from_file.path == str(path)


def test_utf8_bom_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffTitle\n\nBody.\n".encode())
    assert ingest_file(path).text.startswith("Title")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty document"),
        (b"  \n\t\n\n", "only whitespace"),
        (b"abc\x00def\x00", "binary file"),
        ("caf\u00e9 park".encode("latin-1"), "not valid UTF-8"),
        (b"<html><script>only()</script></html>", "only whitespace or markup"),
    ],
    ids=["empty", "whitespace", "binary", "latin-1", "html-without-text"],
)
def test_bad_content_raises_one_line_naming_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / ("bad.html" if content.startswith(b"<html>") else "bad.txt")
    path.write_bytes(content)
    with pytest.raises(IngestError) as err:
        ingest_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 40)
    with pytest.raises(IngestError, match="too large"):
        ingest_file(path, max_bytes=100)
    assert ingest_file(path, max_bytes=200).text.startswith("word")
    assert MAX_BYTES >= 1024 * 1024  # real articles must fit


def test_discover_reports_non_regular_files(tmp_path: Path) -> None:
    import os

    (tmp_path / "b.txt").write_text("Text.", encoding="utf-8")
    (tmp_path / "a.md").write_text("Text.", encoding="utf-8")
    (tmp_path / "skip.csv").write_text("x", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "folder.txt" / "inner.html").write_text("<p>x</p>", encoding="utf-8")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    files, problems = discover([tmp_path, tmp_path / "b.txt", tmp_path / "missing.txt"])
    assert [f.name for f in files] == ["a.md", "b.txt", "inner.html"]
    assert any("dangling.txt: broken symbolic link" in p for p in problems)
    assert any("pipe.txt: not a regular file" in p for p in problems)
    assert any("missing.txt: no such file" in p for p in problems)
    assert len(problems) == 3


def test_doc_id_is_stable_and_iri_safe() -> None:
    assert doc_id_for("Dev 01: Wuhan Park.TXT") == "dev-01-wuhan-park"
    assert doc_id_for("???.txt") == "document"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_ingest_golden(path: Path, goldens) -> None:
    doc = ingest_file(path)
    goldens.check_json(
        "ingest",
        f"{path.stem}.json",
        {
            "doc_id": doc.doc_id,
            "name": doc.name,
            "title": doc.title,
            "source": doc.source,
            "sha256": doc.sha256,
            "chars": len(doc.text),
        },
    )


def test_html_page_keeps_the_article_and_drops_page_furniture() -> None:
    """A news page: menus, footer and scripts are not text of the article; the <article> body and title are."""
    doc = ingest_file(Path(__file__).parent / "fixtures" / "probes" / "xiamen-page.html")
    assert doc.text.startswith("Blockchain park opens in Xiamen | Tech News\n\n")
    assert "The Xiamen Blockchain Industrial Park opened on Monday in Siming District." in doc.text
    for furniture in ("Login", "Copyright", "Beijing Office", "Alibaba Cloud Park"):
        assert furniture not in doc.text
