"""Ingest: read source files (plain text, Markdown, HTML; UTF-8) into Documents, rejecting bad input.

Why a stage of its own: every later offset points into the text produced here, and every bad-input
rule (empty, binary, not UTF-8, too large) lives in one place with one clear message per file.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import stat
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from graph.model import Document

__all__ = [
    "MAX_BYTES",
    "SUFFIXES",
    "IngestError",
    "discover",
    "doc_id_for",
    "ingest_file",
    "ingest_text",
    "not_a_document_file",
]

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}


class IngestError(ValueError):
    """A file that cannot be read as a document; the message names the file and the problem."""


def discover(inputs: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into the sorted list of document files to read.

    Why report rather than skip: a broken link or a pipe named like a document is a file the user
    meant to include, so it gets a clear line instead of vanishing from the build.

    Returns:
        (files, problems): the files, and one message per input that does not exist or is not a
        regular file (a broken symbolic link, a FIFO, a socket or a device).
    """
    files: list[Path] = []
    problems: list[str] = []
    for item in inputs:
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                if p.suffix.lower() not in SUFFIXES or p.is_dir():
                    continue
                problem = not_a_document_file(p)
                if problem:
                    problems.append(problem)
                else:
                    files.append(p)
        else:
            problem = not_a_document_file(item)
            if problem:
                problems.append(problem)
            else:
                files.append(item)
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, list(dict.fromkeys(problems))


def not_a_document_file(path: Path) -> str | None:
    """Why `path` cannot be read as a document file, as one line naming it; None if it is a regular file.

    Why check first: reading a FIFO blocks forever, and a broken link would otherwise be reported as
    a missing file with no hint why.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return f"{path}: broken symbolic link (its target {os.readlink(path)} does not exist)"
        return f"{path}: no such file or folder"
    except OSError as exc:
        return f"{path}: cannot read file ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return f"{path}: not a regular file (a pipe, socket or device), cannot read it as a document"
    return None


def doc_id_for(name: str) -> str:
    """A stable, IRI-safe id from a file name (without suffix): the document's identity across builds."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", stem).lower()).strip("-")
    return slug or "document"


def ingest_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read one file into a Document.

    Raises:
        IngestError: unreadable, empty, binary, not UTF-8, or larger than `max_bytes`.
    """
    problem = not_a_document_file(path)
    if problem:
        raise IngestError(problem)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(f"{path}: file is too large ({size} bytes; the limit is {max_bytes})")
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:8192]:
        raise IngestError(f"{path}: binary file (contains NUL bytes), not a text document")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1]
        raise IngestError(f"{path}: not valid UTF-8 (byte {exc.start}: {bad!r})") from exc
    return ingest_text(text, name=path.name, path=str(path))


def ingest_text(text: str, *, name: str, path: str | None = None) -> Document:
    """Turn raw text (plain, Markdown or HTML by the name's suffix) into a Document.

    A first line `source: ...` is metadata, not article text: it is kept as the document's
    source and blanked (same length) so offsets still point into the original layout.

    Raises:
        IngestError: if nothing but whitespace remains.
    """
    suffix = Path(name).suffix.lower()
    if suffix in {".html", ".htm"}:
        text = html_to_text(text)
    elif suffix in {".md", ".markdown"}:
        text = markdown_to_text(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    source = None
    m = re.match(r"[ \t]*source:[ \t]*(.*)", text, flags=re.IGNORECASE)
    if m:
        source = m.group(1).strip() or None
        text = " " * m.end() + text[m.end():]
    if not text.strip():
        what = "empty document" if not text else "only whitespace or markup"
        raise IngestError(f"{path or name}: {what} (no text to read)")
    if _looks_binary(text):
        raise IngestError(f"{path or name}: binary content (mostly control characters), not a text document")
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        doc_id=doc_id_for(name),
        name=name,
        path=path or name,
        text=text,
        sha256=digest,
        source=source,
        title=title,
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\n\t\f\v")
    return controls > max(8, len(sample) // 20)


class _TextExtractor(HTMLParser):
    """Visible text by block; page furniture (menus, footers, forms) left out, and the article body
    kept apart so a page with an <article> or <main> gives just its title and that body."""

    BLOCK: ClassVar[set[str]] = {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title", "main",
        "blockquote", "figcaption", "td",
    }
    SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "template", "nav", "footer", "aside", "form",
                                "button", "select", "iframe", "svg"}
    BODY: ClassVar[set[str]] = {"article", "main"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.body: list[str] = []
        self._skip = 0
        self._in_title = False
        self._in_body = 0

    def _add(self, text: str) -> None:
        self.parts.append(text)
        if self._in_body:
            self.body.append(text)

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self._add("\n\n")
        if tag == "title":
            self._in_title = True
        if tag in self.BODY:
            self._in_body += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self._add("\n\n")
        if tag == "title":
            self._in_title = False
        if tag in self.BODY:
            self._in_body = max(0, self._in_body - 1)

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
        self._add(data)

    def text(self) -> str:
        """The article body (with the page title above it) when the page marks one, else every block."""
        if "".join(self.body).strip():
            return "".join(self.title).strip() + "\n\n" + "".join(self.body)
        return "".join(self.parts)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one paragraph per block element; scripts and styles dropped."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape(parser.text())
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip() + "\n"


def markdown_to_text(text: str) -> str:
    """Markdown with markup removed: headings, emphasis, links and list bullets become plain text."""
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](\S.*?)[*_](?![\w*])", r"\1", text)
    return re.sub(r"`([^`]*)`", r"\1", text)
