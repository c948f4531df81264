"""Property tests: loaders and chunker on arbitrary input never do anything but their contract.

Loaders: any bytes under any supported name give a Document with real text, or a SkipFile
whose message fits on one line (it becomes the user's one-line warning). Chunker: any text
gives chunks that are exact, ordered slices of it and leave no visible character out.
"""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.chunking import Chunker
from qa.documents import Document, SkipFile, load_file

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf"]
WORDS = st.sampled_from(
    ["The", "council", "met", "on", "Tuesday", "café", "Кто", "名前", "مرحبا", "3.5", "e.g."]
)
SEPARATORS = st.sampled_from([" ", " ", "\n", "\n\n", ". ", "! ", "? ", "\t", "\r\n", "  \n "])
HTML_BITS = st.sampled_from(
    [
        "<html>",
        "<body>",
        "<p>",
        "</p>",
        "<div>",
        "<script>x=1</script>",
        "<!--",
        "-->",
        "<br>",
        "<title>",
        "</title>",
        "&amp;",
        "&#0;",
        "<![CDATA[",
        "]]>",
        "<meta\tcharset='latin-1'>",
    ]
)


def _prose(draw: st.DrawFn) -> str:
    """Words of several scripts, sentence ends, blank lines, CRLFs, and stray Unicode."""
    parts = draw(st.lists(st.one_of(WORDS, SEPARATORS, st.text(max_size=8)), max_size=80))
    return "".join(parts)


prose = st.composite(_prose)


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    """Raw noise, encoded prose (with or without a BOM), HTML soup, or a PDF-looking blob."""
    kind = draw(st.sampled_from(["raw", "text", "html", "pdf"]))
    if kind == "raw":
        return draw(st.binary(max_size=2048))
    if kind == "text":
        text = _prose(draw)
        encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "cp1252"]))
        data = text.encode(encoding, errors="replace")
        return (codecs.BOM_UTF8 + data) if draw(st.booleans()) and encoding == "utf-8" else data
    if kind == "html":
        parts = draw(st.lists(st.one_of(HTML_BITS, WORDS, SEPARATORS), max_size=60))
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
        return "".join(parts).encode(encoding, errors="replace")
    return b"%PDF-1." + draw(st.binary(max_size=1024)) + draw(st.sampled_from([b"", b"%%EOF"]))


@FUZZ
@given(data=file_bytes(), suffix=st.sampled_from(SUFFIXES))
def test_loaders_return_text_or_a_one_line_skip(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"fuzz{suffix}")
        path.write_bytes(data)
        try:
            doc = load_file(path, Path(tmp), "corpus")
        except SkipFile as exc:
            message = str(exc)
            assert message.strip() and "\n" not in message and len(message) < 500
            return
    assert isinstance(doc, Document) and isinstance(doc.text, str) and isinstance(doc.title, str)
    assert doc.text.strip() and doc.text == doc.text.rstrip()
    assert "\r" not in doc.text and not doc.text.startswith("\ufeff")
    assert list(doc.pages) == sorted(doc.pages) and all(p <= len(doc.text) for p in doc.pages)


@pytest.fixture(scope="module")
def chunker(token_counter) -> Chunker:  # type: ignore[no-untyped-def]
    return Chunker(token_counter, chunk_tokens=32, chunk_overlap=1)  # small: many chunks


@FUZZ
@given(text=st.one_of(st.text(max_size=600), prose()))
def test_chunks_are_exact_ordered_and_cover_the_text(chunker: Chunker, text: str) -> None:
    doc = Document("d", "corpus/d.txt", "d", text, "h", "txt")
    chunks = chunker.chunk([doc])
    covered = [False] * len(text)
    previous = (-1, -1)
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text == text[chunk.start : chunk.end] and chunk.doc_id == "d"
        assert (chunk.start, chunk.end) > previous  # in document order, no repeats
        previous = (chunk.start, chunk.end)
        spans = list(chunk.sentences)
        assert spans == sorted(spans) and spans[0][0] == chunk.start and spans[-1][1] == chunk.end
        for a, b in spans:
            assert chunk.start <= a < b <= chunk.end
            covered[a:b] = [True] * (b - a)
    missed = [ch for ch, seen in zip(text, covered, strict=True) if not seen and not ch.isspace()]
    assert not missed, f"characters left out of every chunk: {missed!r}"
