"""UI pieces without a browser: safe upload names, escaping, citation links."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa.answer import NOT_FOUND, Answer, AnswerSentence, Citation
from qa.answer import apart as _apart
from qa.documents import Document
from qa.retrieval import Source
from qa.ui import App, render_answer, render_sources, safe_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.txt", "report.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("ﬁle 名前.TXT", "file 名前.txt"),
        ("a<b>|c.html", "a_b__c.html"),
        ("．．／．．／etc／passwd.txt", "passwd.txt"),  # fullwidth: NFKC makes it ../
        ("evil\u202etxt.exe", "evil_txt.exe"),  # RTL override, shown as "evilexe.txt"
        ("nul\x00byte.md", "nul_byte.md"),
        ("a..b...txt", "a.b.txt"),
        ("x" * 300 + ".pdf", "x" * 150 + ".pdf"),
        ("名" * 100 + ".txt", "名" * 50 + ".txt"),  # 150 UTF-8 bytes, under Linux's 255
    ],
)
def test_safe_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "..", "noext", "/", "....", "．．", "../..", "\u2024\u2024", ". .txt"]
)
def test_unusable_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        safe_name(bad)


def make_answer(text: str) -> tuple[Answer, dict[str, Document]]:
    doc = Document("d", "docs/a.txt", "A <title>", text, "h", "txt")
    start = text.index("Evil")
    end = len(text)
    passage = Source(doc.path, doc.title, 0, end)
    citation = Citation(1, doc.path, doc.title, start, end, None, None, passage, start, start + 4)
    sentence = AnswerSentence(text[start:end], 1, "Evil", 0, 4)
    return Answer(
        "q", f"{sentence.text} [1]", False, 0.9, "Evil", [sentence], [citation], [], 0.1
    ), {doc.path: doc}


def test_rendering_escapes_document_text_and_links_citations() -> None:
    answer, docs = make_answer("Intro. Evil <script>alert(1)</script> here.")
    html = render_answer(answer) + render_sources(answer, docs)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<mark class="qa-short">Evil</mark>' in html
    assert 'class="qa-cite" data-n="1"' in html
    assert 'id="qa-doc-1"' in html and 'id="qa-cite-1"' in html
    assert "A &lt;title&gt;" in html
    # a UI audit: an answer left on screen after the box was edited said nothing of which
    # question it answers; it now shows it above the answer
    asked = replace(answer, question="Who <b>is</b> evil?")
    assert '<p class="qa-file qa-asked">Who &lt;b&gt;is&lt;/b&gt; evil?</p>' in render_answer(asked)


def test_not_found_says_how_close_the_best_reading_came() -> None:
    """An abstention shows the score of the best answer read against the threshold, or that
    the reader found none: it does not claim the passages cannot answer."""
    answer, _ = make_answer("Intro. Evil here.")
    close = replace(
        answer,
        text=NOT_FOUND,
        abstained=True,
        confidence=0.38,
        sentences=[],
        abstain_reason="low_score",
        min_confidence=0.5275,  # the threshold the answer was judged by
    )
    html = render_answer(close)
    assert "Not found in these documents." in html and "scored 0.38, below the 0.53" in html
    nothing = replace(close, confidence=0.0, abstain_reason="no_span")
    assert "the reader found no answer in them" in render_answer(nothing)
    weak = replace(close, confidence=0.0)  # a real score clipped to 0 is still a score
    assert "scored 0.00, below the 0.53" in render_answer(weak)
    empty = replace(close, confidence=0.0, hits=[], abstain_reason="no_passages")
    assert "No passage of the index matched the question." in render_answer(empty)
    vetoed = replace(close, confidence=0.6, abstain_reason="low_odds")
    assert 'scored 0.60 (an answer needs 0.53), but the reader judged "no answer here"' in (
        render_answer(vetoed).replace("&quot;", '"')
    )
    assert "below" not in render_answer(answer)  # an answer shows its confidence only


def test_upload_refuses_unsupported_and_oversized_files(tmp_path: Path) -> None:
    from qa.config import Settings

    corpus = tmp_path / "corpus"
    app = App(Settings(index_dir=tmp_path / "ix"), corpus)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\0\0")
    assert "only .htm, .html, .markdown, .md, .pdf, .txt files" in app.add([str(exe)])
    binary = tmp_path / "fake.txt"
    binary.write_bytes(b"\0\1\2" * 100)
    assert "looks binary" in app.add([str(binary)])
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    assert "big.txt: 21.0 MB is over the 20 MB limit (QA_MAX_FILE_MB)" in app.add([str(big)])
    assert not corpus.exists() or not any(corpus.iterdir())
    assert app.add([]).startswith("Choose a file")


@pytest.mark.slow
def test_an_upload_never_replaces_a_document(tmp_path: Path) -> None:
    """A different file with a taken name is saved beside it; the same file again is not
    copied twice; names are shown as they are saved (no Markdown)."""
    from qa.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "__init__.txt").write_text("The Moonbeam Bakery opened in Lisbon in 1999.\n")
    app = App(Settings(index_dir=tmp_path / "ix"), corpus)
    upload = tmp_path / "upload" / "__init__.txt"
    upload.parent.mkdir()
    upload.write_text("Shopping list: eggs, flour, butter and two lemons.\n")
    status = app.add([str(upload)])
    assert "Added __init__.txt as __init__-2.txt (another __init__.txt is already there)." in status
    assert (corpus / "__init__.txt").read_text().startswith("The Moonbeam Bakery")
    assert (corpus / "__init__-2.txt").read_text().startswith("Shopping list")
    again = app.add([str(upload)])
    assert "__init__-2.txt is already in the documents." in again and "Indexed" not in again
    assert sorted(p.name for p in corpus.iterdir()) == ["__init__-2.txt", "__init__.txt"]


def test_a_document_changed_since_indexing_is_said(tmp_path: Path) -> None:
    """The sources show the indexed text; when the file changed on disk after indexing, the
    page says so and how to update (an audit found citations silently pointing at old text)."""
    from qa.config import Settings
    from qa.index import build

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    note = corpus / "bakery.txt"
    note.write_text("Bakery\n\nThe Moonbeam Bakery opened in Lisbon in 1999.\n")
    settings = Settings(index_dir=tmp_path / "ix")
    build(corpus, settings, progress=False)
    app = App(settings, corpus)
    _, sources, _, _ = app.ask("When did the Moonbeam Bakery open?", 3)
    assert "changed since" not in sources and "Moonbeam" in sources
    note.write_text("Bakery\n\nClosed for good.\n")
    _, sources, _, _ = app.ask("When did the Moonbeam Bakery open?", 3)
    assert "bakery.txt changed since it was indexed" in sources
    assert f"qa index {corpus} --index-dir {tmp_path / 'ix'}" in sources
    note.unlink()  # found by a UI audit: a deleted file was said to have "changed"
    _, sources, _, _ = app.ask("When did the Moonbeam Bakery open?", 3)
    assert "bakery.txt deleted since it was indexed" in sources
    assert "changed since" not in sources


def test_a_pdf_source_running_over_a_page_break_gives_both_pages(tmp_path: Path) -> None:
    """Found by a UI audit: a source card showed only the first page of a passage that
    runs onto the next one."""
    from fpdf import FPDF

    from qa.config import Settings
    from qa.index import build

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Ferry history\n\nThe ferry company was founded by")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Captain Eleanor Voss in 1889 with a borrowed steamboat.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf.output(str(corpus / "ferry.pdf"))
    settings = Settings(index_dir=tmp_path / "ix")
    build(corpus, settings, progress=False)
    answer, sources, _, _ = App(settings, corpus).ask("Who founded the ferry company?", 3)
    assert "Eleanor Voss" in answer and "pages 1–2" in sources


def test_a_score_is_never_shown_equal_to_the_threshold_it_missed() -> None:
    """A UI audit: 0.5261 against 0.5275 would read "scored 0.53, below the 0.53"."""
    assert _apart(0.5261, 0.5275) == ("0.526", "0.527")
    assert _apart(0.41, 0.5275) == ("0.41", "0.53")
    for score in (0.5, 0.52, 0.5251, 0.5269, 0.527, 0.5273):
        got, needs = _apart(score, 0.5275)
        assert got != needs and float(got) < float(needs), score


def test_serving_another_folder_than_the_index_holds_is_refused(tmp_path: Path) -> None:
    """Found by a UI audit: `qa serve --corpus Y` over an index of X emptied the index of X's
    documents at the first upload, without a word. It is now refused before serving."""
    from qa.cli import main

    x, y = tmp_path / "x", tmp_path / "y"
    x.mkdir()
    y.mkdir()
    (x / "a.txt").write_text("Alpha\n\nThe alpha note says the gate opens at nine.\n")
    ix = str(tmp_path / "ix")
    assert main(["index", str(x), "--index-dir", ix, "--quiet"]) == 0
    assert main(["serve", "--index-dir", ix, "--corpus", str(y)]) == 2


def test_two_sentences_of_one_passage_share_its_card() -> None:
    """Found by a UI audit: an answer citing two sentences of one passage showed the passage
    twice, as two identical cards. It is one card, both sentences marked, both links kept,
    and one "Whole document" holding both marks (each link opens it at its own)."""
    text = "The soup simmers for forty minutes. Add salt at the end. Serve hot."
    doc = Document("d", "docs/soup.txt", "Soup", text, "h", "txt")
    passage = Source(doc.path, doc.title, 0, len(text))
    first, second = (0, text.index(" Add")), (text.index("Add"), text.index(" Serve"))
    citations = [
        Citation(n, doc.path, doc.title, a, b, None, None, passage) for n, (a, b) in
        enumerate([first, second], 1)
    ]  # fmt: skip
    sentences = [AnswerSentence(text[a:b], n, None, None, None) for n, (a, b) in
                 enumerate([first, second], 1)]  # fmt: skip
    answer = Answer("q", "…", False, 0.9, None, sentences, citations, [], 0.1)
    html = render_sources(answer, {doc.path: doc})
    assert html.count('class="qa-source"') == 1 and html.count('class="qa-passage"') == 1
    assert 'data-n="1"' in html and 'data-n="2"' in html
    assert html.count('<mark class="qa-hl">') == 2 and html.count("<details") == 1
    assert 'id="qa-cite-1"' in html and 'id="qa-cite-2"' in html


@pytest.mark.parametrize("k", [2.7, 0, -1, float("nan"), "5"])
def test_passages_to_read_must_be_a_whole_number(k: object, tmp_path: Path) -> None:
    """Found by a UI audit: k=2.7 over the API was cut to 2 without a word, and k=0 raised
    inside the handler (Gradio's bare "Error"). Both now say what is wanted."""
    from qa.config import Settings

    app = App(Settings(index_dir=tmp_path / "none"), tmp_path)
    html, sources, _, raw = app.ask("Who founded the harbor?", k)  # type: ignore[arg-type]
    assert "whole number" in html and sources == "" and raw == "{}"


def test_serve_rebuilds_an_index_of_older_settings_before_the_page_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a UI audit: an index built by an older chunker was rebuilt on the first
    question, behind a spinner, explained only in the terminal. `qa serve` now rebuilds it
    before serving, with progress, so no question waits on it."""
    import json

    import qa.ui
    from qa.chunking import CHUNKER_VERSION
    from qa.cli import main

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Alpha\n\nThe alpha note says the gate opens at nine.\n")
    ix = tmp_path / "ix"
    assert main(["index", str(corpus), "--index-dir", str(ix), "--quiet"]) == 0
    manifest = json.loads((ix / "manifest.json").read_text())
    manifest["signature"]["chunker_version"] = CHUNKER_VERSION - 1
    (ix / "manifest.json").write_text(json.dumps(manifest))
    launched: list[bool] = []

    class Page:
        def queue(self, **_: object) -> Page:
            return self

        def launch(self, **_: object) -> None:
            launched.append(True)

    monkeypatch.setattr(qa.ui, "build_ui", lambda app: Page())
    monkeypatch.setattr(qa.ui.App, "warm_up", lambda self: None)
    assert main(["serve", "--index-dir", str(ix)]) == 0 and launched
    assert "rebuilding it from" in capsys.readouterr().err
    rebuilt = json.loads((ix / "manifest.json").read_text())
    assert rebuilt["signature"]["chunker_version"] == CHUNKER_VERSION


def test_a_reply_no_word_shows_is_said_before_the_sentence() -> None:
    """A "No" read off "is not related" marks no word of the sentence, so the answer says
    it first, in bold; a short answer marked in its sentence is not said twice."""
    answer, _ = make_answer("Intro. Evil is not related to good.")
    sentence = replace(answer.sentences[0], short_answer=None, short_start=None, short_end=None)
    said = replace(answer, short_answer="No", sentences=[sentence])
    html = render_answer(said)
    assert '<strong class="qa-reply">No.</strong> Evil is not related' in html
    assert "qa-reply" not in render_answer(answer)  # "Evil" is marked instead
    unsure = replace(said, short_answer=None)
    assert "qa-reply" not in render_answer(unsure)
