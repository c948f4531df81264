"""Tests for qa.documents: fixtures are built in tmp_path, no model is loaded."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from fpdf import FPDF

from qa.config import ConfigError
from qa.documents import (
    DEFAULT_MAX_FILE_MB,
    SUPPORTED_SUFFIXES,
    Document,
    SkipFile,
    boilerplate_start,
    iter_files,
    load_file,
    load_folder,
    max_file_mb,
)

SEEDS = Path(__file__).parent.parent / "seeds"
SEED_000 = SEEDS / "000_e8a97ef5384fe853.txt"
SEED_001 = SEEDS / "001_b9ef325fcb274ffc.txt"

PARA = (
    "The city council met on Tuesday evening to debate the new budget, which includes "
    "funding for schools, roads and a long-delayed renovation of the central library."
)


def _load(path: Path) -> Document:
    return load_file(path, path.parent, "corpus")


def _collect(root: Path) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    return load_folder(root, warn=warnings.append), warnings


def _pdf(
    path: Path, pages: list[str], title: str | None = None, user_password: str | None = None
) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    pdf.output(str(path))
    return path


# --- seeds and the boilerplate rule -------------------------------------------------------


def test_seed_titles_and_ids() -> None:
    docs = load_folder(SEEDS)
    assert [d.path for d in docs] == [f"{SEEDS.as_posix()}/{p.name}" for p in (SEED_000, SEED_001)]
    assert docs[0].title.startswith("‘The Resistance has just begun’: Ahmad Massoud")
    assert docs[1].title.startswith("“I am the son of Ahmad Shah Massoud;")
    assert docs[0].id == hashlib.blake2b(SEED_000.name.encode(), digest_size=8).hexdigest()
    assert (
        docs[0].content_hash == hashlib.blake2b(SEED_000.read_bytes(), digest_size=16).hexdigest()
    )
    assert all(d.format == "txt" and d.pages == () and d.page_at(0) is None for d in docs)


def test_seed_000_is_unchanged() -> None:
    raw = SEED_000.read_text(encoding="utf-8")
    assert boilerplate_start(raw) == len(raw)
    assert _load(SEED_000).text == raw.rstrip()


def test_seed_001_loses_exactly_the_boilerplate_tail() -> None:
    raw = SEED_001.read_text(encoding="utf-8")
    doc = _load(SEED_001)
    assert raw.startswith(doc.text)  # offsets still map onto the original file
    assert doc.text.endswith("they are ready to fight but will never give up.")
    assert "The NRF has clearly indicated" in doc.text
    removed = [line for line in raw[len(doc.text) :].split("\n") if line.strip()]
    assert removed == [
        "Related Articles",
        "Leave a Reply",
        "Your email address will not be published.",
        "Back to top button",
    ]


def test_other_boilerplate_run_is_cut() -> None:
    text = f"Budget vote\n\n{PARA}\n\n{PARA}\nShare this:\nFacebook\nTwitter\nSubscribe now\n"
    assert text[: boilerplate_start(text)].rstrip() == f"Budget vote\n\n{PARA}\n\n{PARA}"


def test_single_short_last_line_is_kept() -> None:
    text = f"Budget vote\n\n{PARA}\n\nThe vote is on Monday.\n"
    assert boilerplate_start(text) == len(text)


def test_short_closing_lines_of_a_note_are_kept() -> None:
    """Short last lines are cut only when they read as page chrome."""
    note = f"Chess club minutes\n{PARA}\nTreasurer: Maria Lopez\nNext meeting: 14 March\n"
    assert boilerplate_start(note) == len(note)
    contact = f"Notes\n{PARA}\nEmail: maria@example.org\nHome address: 12 Main St\n"
    assert boilerplate_start(contact) == len(contact)
    shared = note + "Share this:\nFacebook\nTwitter\n"
    assert shared[: boilerplate_start(shared)] == note
    # lines that open like chrome but say more (found by an audit: the editor's name was cut)
    minutes = (
        f"Minutes of the Allotment Society\n\n{PARA}\n\nNext meeting: 14 April\n"
        "Contact us: clerk@allotments.example\nNewsletter editor: Thomas Hale\n"
        "Follow us on the notice board by the gate\n"
    )
    assert boilerplate_start(minutes) == len(minutes)


def test_html_inline_words_at_the_end_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "lighthouse.html"
    path.write_text(
        "<html><body><h1>Lighthouse</h1><p>The Skagen lighthouse was first lit in 1747 by "
        "keeper <b>Anders Holm</b>.</p></body></html>"
    )
    assert "first lit in 1747 by keeper Anders Holm." in _load(path).text  # one sentence


def test_text_of_only_short_lines_is_kept() -> None:
    poem = "Roses are red\nViolets are blue\nShort lines\nAll the way through\n"
    assert boilerplate_start(poem) == len(poem)
    assert boilerplate_start("") == 0


def test_boilerplate_trimmed_in_markdown(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"# My *notes*\n\n{PARA}\n\nTags: news\nBack to top\n", encoding="utf-8")
    doc = _load(path)
    assert doc.format == "md" and doc.title == "My *notes*"
    assert doc.text == f"# My *notes*\n\n{PARA}"
    assert doc.path == "corpus/note.md"


# --- text decoding ----------------------------------------------------------------------


def test_empty_and_whitespace_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\t\r\n")
    for name in ("empty.txt", "blank.md"):
        with pytest.raises(SkipFile, match="empty file"):
            _load(tmp_path / name)


def test_binary_named_txt_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SkipFile, match="looks binary"):
        _load(path)
    no_nul = bytes(b for b in range(1, 256)) * 40
    path.write_bytes(no_nul)
    with pytest.raises(SkipFile, match=r"looks binary|unknown text encoding"):
        _load(path)


def test_latin1_text(tmp_path: Path) -> None:
    text = (
        "Le café de la gare a fermé ses portes après trente années de service. "
        "Les habitués regrettent déjà les crêpes et le thé du matin.\n"
    ) * 5
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    doc = _load(path)
    assert "café" in doc.text and "crêpes" in doc.text and "thé" in doc.text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Price list\n\nCoffee costs 3 \u20ac and tea costs 2 \u20ac.\n", "cp1252"),
        ("Café note\n\nThe éclair costs 4 € – “delicious”.\n", "cp1252"),
        ("Der Bäcker in München verkauft Brötchen für 2 €.\n", "cp1252"),
        ("Привет, как дела? Это короткий текст на русском языке.\n", "cp1251"),
        ("Zażółć gęślą jaźń. Krótki polski tekst o mieście.\n", "cp1250"),
    ],
)
def test_short_legacy_files_keep_their_characters(tmp_path: Path, text: str, encoding: str) -> None:
    """Found by an audit: a short cp1252 note was read as cp775, its "€" shown as "Ć";
    cp1252 wins when it reads the bytes as cleanly, and other legacy encodings still work."""
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode(encoding))
    assert _load(path).text.strip() == text.strip()


def test_utf8_with_a_stray_byte_is_kept(tmp_path: Path) -> None:
    """One pasted cp1252 quote in a UTF-8 file costs that byte, not the whole document."""
    path = tmp_path / "fr.txt"
    path.write_bytes("Le café de Zoé, Hélène Côté.\nStray byte: ".encode() + b"\x92 end.\n")
    doc = _load(path)
    assert doc.text == "Le café de Zoé, Hélène Côté.\nStray byte: \ufffd end."


def test_utf8_with_a_pasted_pair_of_cp1252_quotes_is_kept(tmp_path: Path) -> None:
    """Found by an audit: two stray bytes in a short UTF-8 note made the whole file read as
    another encoding ("naĂŻve"); the note stays UTF-8 and loses only those two bytes."""
    path = tmp_path / "note.txt"
    path.write_bytes("The naïve gardener said ".encode() + b"\x93hello\x94 in 1977.\n")
    assert _load(path).text == "The naïve gardener said \ufffdhello\ufffd in 1977."


def test_utf16_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(f"Wide title\r\n{PARA}\rLast line here\r\n".encode("utf-16"))
    doc = _load(path)
    assert doc.text == f"Wide title\n{PARA}\nLast line here"
    assert doc.title == "Wide title"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path: Path, encoding: str) -> None:
    """Found by an audit: UTF-16 saved without a BOM was skipped as binary (its NUL bytes)."""
    path = tmp_path / "export.txt"
    text = f"Zoé's report\r\n{PARA} It cost 3 € — «cheap».\r\n"
    path.write_bytes(text.encode(encoding))
    doc = _load(path)
    assert doc.text == f"Zoé's report\n{PARA} It cost 3 € — «cheap»."
    assert doc.title == "Zoé's report"


def test_binary_with_nul_every_other_byte_is_skipped(tmp_path: Path) -> None:
    """Small 16-bit integers look like UTF-16 by their NULs but decode to control characters."""
    path = tmp_path / "samples.txt"
    path.write_bytes(bytes(b for n in range(4000) for b in ((n * 7) % 32, 0)))
    with pytest.raises(SkipFile, match="looks binary"):
        _load(path)


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfHello world\n")
    assert _load(path).text == "Hello world"


# --- HTML -------------------------------------------------------------------------------

ARTICLE_HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Council passes budget | Daily News</title>
<style>body {{ color: red; }}</style>
<script>var tracking = "SCRIPT_SECRET";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/world">NAV_WORLD</a></nav>
<article><h1>Council passes budget</h1>
<p>{PARA}</p><p>{PARA} The mayor called it a historic day for the town.</p>
<p>Residents will be able to comment on the plan until the end of the month, the clerk said,
and a second reading is scheduled for early spring.</p></article>
<footer>FOOTER_COPYRIGHT 2024 Daily News. All rights reserved.</footer>
<script>console.log("SCRIPT_TWO");</script>
</body></html>"""


def test_html_main_text_only(tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    doc = _load(path)
    assert doc.format == "html" and doc.title == "Council passes budget | Daily News"
    assert "historic day for the town" in doc.text and "second reading" in doc.text
    for junk in (
        "SCRIPT_SECRET",
        "SCRIPT_TWO",
        "NAV_WORLD",
        "FOOTER_COPYRIGHT",
        "color: red",
        "<p>",
    ):
        assert junk not in doc.text


def test_html_fallback_when_trafilatura_finds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qa.documents.trafilatura.extract", lambda *a, **k: None)
    path = tmp_path / "article.htm"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    doc = _load(path)
    assert "historic day for the town" in doc.text and "Council passes budget" in doc.text
    for junk in ("SCRIPT_SECRET", "SCRIPT_TWO", "NAV_WORLD", "FOOTER_COPYRIGHT", "color: red"):
        assert junk not in doc.text


def test_short_html_page_and_title_fallbacks(tmp_path: Path) -> None:
    path = tmp_path / "short.html"
    path.write_text(
        "<html><head><meta property='og:title' content='OG title'></head>"
        "<body><nav>Menu</nav><p>Tiny note.</p><script>x=1</script></body></html>"
    )
    doc = _load(path)
    assert doc.title == "OG title" and "Tiny note." in doc.text and "x=1" not in doc.text
    path.write_text("<body><h1>Heading one</h1><p>Body text.</p></body>")
    assert _load(path).title == "Heading one"


def test_html_declared_charset_and_malformed_markup(tmp_path: Path) -> None:
    path = tmp_path / "legacy.html"
    html = (
        "<?xml version='1.0' encoding='iso-8859-1'?><html><head>"
        "<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>"
        "<title>Caf\xe9</title></head><body><p>Un caf\xe9 cr\xe8me <b>bien <div>chaud"
        "</p></span></table>"
    )
    path.write_bytes(html.encode("latin-1"))
    doc = _load(path)
    assert doc.title == "Café" and "café crème" in doc.text and "chaud" in doc.text


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><head><script>x=1</script></head><body></body></html>")
    with pytest.raises(SkipFile):
        _load(path)
    path.write_text("<html><head><title>Only a title</title></head></html>")  # no body
    with pytest.raises(SkipFile, match="no text"):
        _load(path)


# --- PDF --------------------------------------------------------------------------------


def test_pdf_pages_and_offsets(tmp_path: Path) -> None:
    path = _pdf(
        tmp_path / "report.pdf",
        ["First page says hello.", "Second page says bye."],
        title="Annual Report",
    )
    doc = _load(path)
    assert doc.format == "pdf" and doc.title == "Annual Report"
    assert doc.pages[0] == 0 and len(doc.pages) == 2
    first, second = doc.text.index("hello"), doc.text.index("bye")
    assert doc.page_at(first) == 1 and doc.page_at(second) == 2
    assert doc.page_at(doc.pages[1]) == 2 and doc.page_at(doc.pages[1] - 1) == 1
    assert doc.text[doc.pages[1] :].startswith("Second page")


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    doc = _load(_pdf(tmp_path / "untitled.pdf", ["Quarterly summary", "More text."]))
    assert doc.title == "Quarterly summary"


def test_a_pdf_starting_with_wrapped_text_is_not_titled_by_its_first_line(tmp_path: Path) -> None:
    """Found by a UI audit: a PDF without a title in its metadata was titled "Harbor Authority
    Annual Report 2023. Page one is the introduction. The harbor authority manages", its
    first wrapped line. Now its first sentence, or the file name when none ends there."""
    report = "Harbor Authority Annual Report 2023. Page one is the introduction. " * 3
    doc = _load(_pdf(tmp_path / "harbor-report.pdf", [report]))
    assert doc.title == "Harbor Authority Annual Report 2023."
    prose = "The ferry timetable lists departures for every weekday of the summer season " * 3
    assert _load(_pdf(tmp_path / "ferry.pdf", [prose])).title == "ferry"


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    with pytest.raises(SkipFile, match=r"no text layer \(scanned PDF\?\)"):
        _load(_pdf(tmp_path / "scan.pdf", [""]))


def test_encrypted_pdf(tmp_path: Path) -> None:
    with pytest.raises(SkipFile, match="encrypted PDF"):
        _load(_pdf(tmp_path / "secret.pdf", ["Top secret."], user_password="pw"))


def test_broken_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(SkipFile, match=r"unreadable PDF|no text layer"):
        _load(path)


# --- folders ----------------------------------------------------------------------------


def test_folder_warnings_hidden_files_and_subdirs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Nested file\n")
    (tmp_path / "a.txt").write_text("Top file\n")
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / ".hidden.txt").write_text("secret\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("git internals\n")
    docs, warnings = _collect(tmp_path)
    root = tmp_path.as_posix()
    assert [d.path for d in docs] == [f"{root}/a.txt", f"{root}/sub/b.txt"]
    assert docs[1].id == hashlib.blake2b(b"sub/b.txt", digest_size=8).hexdigest()
    assert sorted(warnings) == [
        f"skipped {root}/empty.txt: empty file",
        f"skipped {root}/report.docx: unsupported format .docx",
    ]
    assert all(not p.name.startswith(".") for p in iter_files(tmp_path))


def test_a_file_name_that_is_not_utf8_is_skipped_alone(tmp_path: Path) -> None:
    """A name the file system gives as bytes that are not UTF-8 gets one warning; the rest of
    the folder is loaded."""
    (tmp_path / "good.txt").write_text("The Moonbeam Bakery opened in Lisbon in 1999.\n")
    try:
        (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("A second bakery.\n")
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system refuses names that are not UTF-8")
    docs, warnings = _collect(tmp_path)
    assert [Path(d.path).name for d in docs] == ["good.txt"]
    assert len(warnings) == 1 and "name is not valid UTF-8" in warnings[0]


def test_the_index_folder_among_the_documents_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A document\n")
    (tmp_path / "vectors" / "g1").mkdir(parents=True)
    (tmp_path / "vectors" / "g1" / "documents.txt").write_text("index data\n")
    docs = load_folder(tmp_path, warn=lambda _m: None, leave_out=tmp_path / "vectors")
    assert [Path(d.path).name for d in docs] == ["a.txt"]


def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "doc.txt").write_text("Looped document\n")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    (tmp_path / "link.txt").symlink_to(tmp_path / "sub" / "doc.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    result: list[tuple[list[Document], list[str]]] = []
    worker = threading.Thread(target=lambda: result.append(_collect(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert result, "load_folder hung on a symlink loop"
    docs, warnings = result[0]
    assert sorted(Path(d.path).name for d in docs) == ["doc.txt", "link.txt"]
    root = tmp_path.as_posix()
    assert sorted(warnings) == [
        f"skipped {root}/dangling.txt: broken link (its target does not exist)",
        f"skipped {root}/sub/loop: link loop (points back to a folder that contains it); "
        "not followed",
    ]


def test_link_to_another_folder_is_named_not_followed(tmp_path: Path) -> None:
    outside, corpus = tmp_path / "outside", tmp_path / "corpus"
    outside.mkdir()
    corpus.mkdir()
    (outside / "far.txt").write_text("Far away\n")
    (corpus / "near.txt").write_text("Close by\n")
    (corpus / "elsewhere").symlink_to(outside)
    docs, warnings = _collect(corpus)
    assert [Path(d.path).name for d in docs] == ["near.txt"]
    assert warnings == [
        f"skipped {corpus.as_posix()}/elsewhere: link to a folder; not followed "
        "(index that folder itself, or copy it in)"
    ]


def test_size_limit_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert max_file_mb({}) == DEFAULT_MAX_FILE_MB == 20
    assert max_file_mb({"QA_MAX_FILE_MB": "0.5"}) == 0.5
    for bad in ("0", "-1", "lots", "inf", "nan"):
        with pytest.raises(ConfigError, match="QA_MAX_FILE_MB must be a positive number"):
            max_file_mb({"QA_MAX_FILE_MB": bad})
    (tmp_path / "big.txt").write_text(PARA * 4000)  # 0.6 MB
    (tmp_path / "small.txt").write_text(PARA)
    monkeypatch.setenv("QA_MAX_FILE_MB", "0.5")
    docs, warnings = _collect(tmp_path)
    assert [Path(d.path).name for d in docs] == ["small.txt"]
    assert warnings == [
        f"skipped {tmp_path.as_posix()}/big.txt: 0.6 MB is over the 0.5 MB limit (QA_MAX_FILE_MB)"
    ]
    monkeypatch.setenv("QA_MAX_FILE_MB", "1")
    assert len(_collect(tmp_path)[0]) == 2
    monkeypatch.setenv("QA_MAX_FILE_MB", "zero")
    with pytest.raises(ConfigError):  # before any file is read, not once per file
        _collect(tmp_path)
    with pytest.raises(SkipFile, match=r"over the 0\.0001 MB limit"):
        load_file(tmp_path / "small.txt", tmp_path, "c", max_mb=0.0001)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_warns(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("cannot read\n")
    path.chmod(0)
    docs, warnings = _collect(tmp_path)
    assert docs == [] and "locked.txt: unreadable" in warnings[0]


def test_single_file_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SEEDS.parent)
    docs, warnings = _collect(Path("seeds") / SEED_000.name)
    assert warnings == [] and [d.path for d in docs] == [f"seeds/{SEED_000.name}"]
    assert docs[0].id == load_folder("seeds")[0].id


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"not found: .*nope"):
        load_folder(tmp_path / "nope")


def test_fifo_root_is_not_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotADirectoryError):
        load_folder(fifo)


def test_default_warning_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.docx").write_bytes(b"PK")
    assert load_folder(tmp_path, progress=True) == []
    assert "warning: skipped" in capsys.readouterr().err


def test_documents_are_frozen_and_suffixes_exact() -> None:
    doc = _load(SEED_000)
    with pytest.raises(AttributeError):
        doc.text = "changed"  # type: ignore[misc]
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"} == SUPPORTED_SUFFIXES


def test_a_sentence_running_over_a_page_break_stays_whole(tmp_path: Path) -> None:
    """Found by a UI audit: a sentence that went on over a page break was cut there ("The
    ferry company's founder was"), because pages were always joined as paragraphs."""
    from qa.chunking import split_sentences

    filler = "The ferry timetable lists departures for every weekday of the summer season. " * 3
    path = _pdf(
        tmp_path / "ferry.pdf",
        [
            filler + "The ferry company's founder was",
            "Captain Eleanor Voss, who bought the first steamboat in 1889.\n\nTimes vary.",
            "A page that ends a sentence.",
        ],
    )
    doc = _load(path)
    sentences = [doc.text[a:b] for a, b in split_sentences([doc.text])[0]]
    whole = next(s for s in sentences if "founder" in s)
    assert whole.endswith("steamboat in 1889.") and " ".join(whole.split()).startswith(
        "The ferry company's founder was Captain Eleanor Voss"
    )
    assert doc.page_at(doc.text.index("Captain")) == 2 and doc.text[doc.pages[1] :].startswith(
        "Captain"
    )
    assert doc.text[: doc.pages[2]].endswith("Times vary.\n\n")  # a finished page: a paragraph


def test_a_pdf_loses_its_running_header_and_footer(tmp_path: Path) -> None:
    """Found by an audit: a footer ("History - page 1") and the next page's header sat inside
    a sentence running over the page break, which was then read and cited as two."""
    from qa.chunking import split_sentences

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, "Kerrow Harbour Trust - Annual report 2024")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"History - page {self.page_no()}")

    pdf = Report()
    filler = "The timetable lists departures for every weekday of the summer season. " * 3
    for text in [
        filler + "The ferry company's founder was",
        "Captain Eleanor Voss, who bought the first steamboat in 1889.",
        "The harbour has 212 berths. Kerrow Harbour Trust - Annual report 2024 is free.",
    ]:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 10, text)
    pdf.output(str(tmp_path / "report.pdf"))
    doc = _load(tmp_path / "report.pdf")
    assert "History - page" not in doc.text  # the footer goes; the first header stays
    assert doc.text.startswith("Kerrow Harbour Trust - Annual report 2024\nThe timetable")
    assert doc.text.count("Kerrow Harbour Trust - Annual report 2024") == 2  # + page 3's own
    assert "Annual report 2024 is free." in doc.text  # the same words inside a page stay
    sentences = [" ".join(doc.text[a:b].split()) for a, b in split_sentences([doc.text])[0]]
    assert "The ferry company's founder was Captain Eleanor Voss, who bought the first " \
        "steamboat in 1889." in sentences  # fmt: skip
    assert doc.page_at(doc.text.index("Captain")) == 2
    # one page, or lines that differ from page to page, are not a running header
    assert _load(_pdf(tmp_path / "one.pdf", ["Page one.\nBody."])).text == "Page one.\nBody."
    two = _load(_pdf(tmp_path / "two.pdf", ["Alpha.\nBody one.", "Beta.\nBody two."]))
    assert two.text == "Alpha.\nBody one.\n\nBeta.\nBody two."
    # found by a review: a table's rows and totals look alike, page numbers aside, but their
    # numbers do not count the pages, so they stay
    rows = [f"Lock {p * 2}  1794\nmiddle\nTotal: {p * 7 + 3}" for p in range(3)]
    table = _load(_pdf(tmp_path / "table.pdf", rows))
    assert [table.text.count(f"Total: {p * 7 + 3}") for p in range(3)] == [1, 1, 1]


def test_a_justified_pdf_line_loses_its_widened_spaces() -> None:
    """Found by an audit: pypdf gives justified lines as "Fens.  This  report  covers", which
    spaCy did not split into two sentences, and a short answer read "40  percent"."""
    from qa.documents import _unjustified

    assert (
        _unjustified("Fens.  This  report  covers  the  year.")
        == "Fens. This report covers the year."
    )
    assert _unjustified("up  to  40  percent  of  homes") == "up to 40 percent of homes"
    table = "Revenue     412.6     389.1\nCosts  301.4  280.0\nLock 9  3.1 m  1801  Kerrow  yes"
    assert _unjustified(table) == table  # columns, not justified prose
