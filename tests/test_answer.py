"""Answers: right sentences with consistent citations, and "not found" instead of guessing."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

import qa.answer
from qa.answer import (
    NOT_FOUND,
    Answer,
    Answerer,
    _a_name,
    _Candidate,
    _Read,
    answer_score,
    answerer,
    ask,
)
from qa.calibration import ODDS_CLIP, Calibration
from qa.config import ConfigError, Settings
from qa.duplicates import jaccard, shingles
from qa.evaluation import squad_em_f1
from qa.index import Index
from qa.reader import DEFAULT_READER_DIR, Reader, Span
from qa.retrieval import QueryError, Source
from tests.conftest import DATA, ROOT, run_qa, seeds_qa

QUESTIONS = seeds_qa()
ANSWERABLE = [q for q in QUESTIONS if q["answers"]]
UNANSWERABLE = [q for q in QUESTIONS if not q["answers"]]


def check_citations(answer: Answer, index: Index) -> None:
    """Every [n] in the text is citation n; citation n points at exactly its sentence."""
    marks = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert marks == list(range(1, len(answer.citations) + 1))
    assert [c.number for c in answer.citations] == marks
    assert [s.citation for s in answer.sentences] == marks
    docs = {d.path: d for d in index.documents.values()}
    for sentence, citation in zip(answer.sentences, answer.citations, strict=True):
        doc = docs[citation.path]
        assert doc.text[citation.start : citation.end] == sentence.text
        assert citation.passage.path == citation.path
        assert citation.passage.start <= citation.start < citation.end <= citation.passage.end
        for other in citation.also_in:  # the same sentence, or a lightly edited copy of it
            copy = docs[other.path].text[other.start : other.end]
            assert jaccard(shingles(copy), shingles(sentence.text)) >= 0.5
        if citation.answer_start is not None:
            assert citation.answer_end is not None
            assert citation.start <= citation.answer_start < citation.answer_end <= citation.end
            assert doc.text[citation.answer_start : citation.answer_end] == sentence.short_answer


@pytest.mark.slow
@pytest.mark.parametrize("item", QUESTIONS, ids=[str(q["question"]) for q in QUESTIONS])
def test_seed_questions(seeds_settings: Settings, item: dict) -> None:  # type: ignore[type-arg]
    answer = ask(str(item["question"]), index_dir=seeds_settings.index_dir)
    if not item["answers"]:
        assert answer.abstained and answer.text == NOT_FOUND
        assert answer.citations == [] and answer.hits, "closest passages are still shown"
        return
    assert not answer.abstained, answer.confidence
    check_citations(answer, answerer(seeds_settings).searcher.index)
    cited = {Path(c.path).name for c in answer.citations} | {
        Path(s.path).name for c in answer.citations for s in c.also_in
    }
    assert cited & set(item["sources"])


@pytest.mark.slow
def test_most_seed_answers_contain_the_gold_answer(seeds_settings: Settings) -> None:
    right = 0
    for item in ANSWERABLE:
        answer = ask(str(item["question"]), index_dir=seeds_settings.index_dir)
        right += any(a.lower() in answer.text.lower() for a in item["answers"])
    assert right >= len(ANSWERABLE) - 2, f"{right}/{len(ANSWERABLE)}"


@pytest.mark.slow
def test_short_answer_is_emphasised_in_its_sentence(seeds_settings: Settings) -> None:
    answer = ask("Where did President Ashraf Ghani flee to?", index_dir=seeds_settings.index_dir)
    assert answer.short_answer in {"the United Arab Emirates", "United Arab Emirates"}
    sentence = answer.sentences[0]
    assert sentence.short_start is not None and sentence.short_end is not None
    assert sentence.text[sentence.short_start : sentence.short_end] == answer.short_answer


@pytest.mark.slow
def test_the_shipped_reader_gives_the_right_short_answers(seeds_settings: Settings) -> None:
    """The short answer itself, not just its sentence, is a gold answer (SQuAD exact match)
    for most seeds questions, and always lies in the answer sentence at its offsets.

    Measured misses (benchmarks/RESULTS.md): "Commander Massoud, our national hero" for the
    father (what the letter calls him), "two days" for "two days before 9/11", and the list of
    districts."""
    right = []
    for item in ANSWERABLE:
        answer = ask(str(item["question"]), index_dir=seeds_settings.index_dir)
        assert answer.short_answer is not None, item["question"]
        sentence = answer.sentences[0]
        assert sentence.short_start is not None and sentence.short_end is not None
        assert sentence.text[sentence.short_start : sentence.short_end] == answer.short_answer
        if squad_em_f1(answer.short_answer, item["answers"])[0] == 1.0:
            right.append(answer.short_answer)
    assert len(right) >= len(ANSWERABLE) - 3, right
    assert {"August 16", "Ali Nazary", "Winston Churchill", "Washington Post"} <= set(right)


@pytest.mark.slow
def test_a_missing_reader_is_a_clear_cli_error(seeds_settings: Settings, tmp_path: Path) -> None:
    proc = run_qa(
        "ask",
        "Who?",
        "--reader",
        str(tmp_path / "none"),
        "--index-dir",
        str(seeds_settings.index_dir),
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("qa: error: --reader / QA_READER") and "Traceback" not in proc.stderr
    )


@pytest.mark.slow
def test_abstention_threshold_is_a_setting(seeds_settings: Settings) -> None:
    question = "Which newspaper published Massoud's op-ed?"
    assert not ask(question, index_dir=seeds_settings.index_dir).abstained
    strict = ask(question, index_dir=seeds_settings.index_dir, min_confidence=0.99)
    assert strict.abstained and strict.text == NOT_FOUND


@pytest.mark.slow
def test_reader_odds_join_the_abstention(seeds_settings: Settings) -> None:
    """The short answer's log-odds against "no answer here" are reported, and an answer below
    ``min_answer_odds`` is "not found" whatever the retrieval evidence."""
    question = "Which newspaper published Massoud's op-ed?"
    answer = ask(question, index_dir=seeds_settings.index_dir)
    floor = answerer(seeds_settings).calibration.min_answer_odds
    assert answer.reader_odds is not None and answer.reader_odds >= floor
    assert answer.to_json()["reader_odds"] == round(answer.reader_odds, 3)
    above = answer.reader_odds + 1
    strict = ask(question, index_dir=seeds_settings.index_dir, min_answer_odds=above)
    assert strict.abstained and strict.abstain_reason == "low_odds"
    # the reading that fell short is reported (an audit saw null odds beside "low_odds")
    assert strict.reader_odds == answer.reader_odds and strict.sentence_score is not None
    assert Settings.from_env({"QA_MIN_ANSWER_ODDS": "-2.5"}).min_answer_odds == -2.5


def test_the_answer_score_weighs_the_reader_odds() -> None:
    """Sentence score + weight x log-odds, the odds clipped so one reading cannot decide alone."""
    settings = Calibration(answer_odds_weight=0.02)
    assert answer_score(0.5, 10.0, settings) == pytest.approx(0.7)
    assert answer_score(0.5, -3.0, settings) == pytest.approx(0.44)
    assert answer_score(0.5, 1e6, settings) == pytest.approx(0.5 + 0.02 * ODDS_CLIP[1])
    assert answer_score(0.5, -1e6, settings) == pytest.approx(0.5 + 0.02 * ODDS_CLIP[0])
    assert answer_score(0.5, 10.0, Calibration(answer_odds_weight=0.0)) == 0.5
    assert Settings.from_env({"QA_ANSWER_ODDS_WEIGHT": "0.03"}).answer_odds_weight == 0.03


@pytest.mark.slow
def test_a_confident_reading_vouches_for_a_weaker_sentence(seeds_settings: Settings) -> None:
    """With a threshold above the answer sentence's own score, the answer is "not found" on
    the sentence alone and given once the reader's log-odds count: the decision uses both."""
    question = "Which NRF spokesman spoke to CNN?"
    answer = ask(question, index_dir=seeds_settings.index_dir)
    assert not answer.abstained and answer.reader_odds is not None and answer.reader_odds > 1
    weight = 0.02
    assert answer.sentence_score is not None
    threshold = answer.sentence_score + weight * min(answer.reader_odds, ODDS_CLIP[1]) / 2
    alone = ask(question, index_dir=seeds_settings.index_dir, min_confidence=threshold,
                answer_odds_weight=0.0)  # fmt: skip
    assert alone.abstained
    both = ask(question, index_dir=seeds_settings.index_dir, min_confidence=threshold,
               answer_odds_weight=weight)  # fmt: skip
    assert not both.abstained and both.short_answer == answer.short_answer


def test_the_deciding_sentences() -> None:
    """Those holding a reader span, every near-duplicate of them (a sentence and the same
    sentence with the "he ..." after it share a start), and the OTHER_SENTENCES best others by
    word overlap; nothing else."""

    def cand(path: str, start: int, end: int, overlap: float) -> _Candidate:
        place = Source(path, path, start, end)
        return _Candidate(f"{path} {start}-{end}", [(place, place)], overlap=overlap)

    holder = cand("a.txt", 0, 50, 0.1)
    holder.groups = {("b", 0, 50)}  # a near-duplicate at the start of b.txt
    twin, twin_and_next = cand("b.txt", 0, 50, 0.0), cand("b.txt", 0, 90, 0.0)
    others = [cand("c.txt", 100 * n, 100 * n + 50, n / 10) for n in range(6)]
    docs = {d: SimpleNamespace(path=f"{d}.txt", title=d, page_at=lambda start: None) for d in "ab"}
    answerer = Answerer.__new__(Answerer)
    answerer.searcher = SimpleNamespace(index=SimpleNamespace(documents=docs))  # type: ignore[assignment]
    span = Span(0, 10, 20, "x", 1.0, 0.9, 0.1)
    candidates = [*others, twin_and_next, holder, twin]
    deciding = answerer._deciding(candidates, [_Read(span, "a.txt", 10, 20)])
    best_others = others[-qa.answer.OTHER_SENTENCES :]
    assert deciding == [*best_others, twin_and_next, holder, twin]
    assert answerer._deciding(candidates, []) == best_others  # no span: the best others only


@pytest.mark.slow
def test_only_the_deciding_sentences_are_encoded(
    seeds_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Encoding candidate sentences is most of ask's cost, so only those whose score can
    change the answer are encoded; the answers are those of scoring every sentence."""
    fast = answerer(seeds_settings)
    full = Answerer(fast.searcher, fast.reader)
    embedder = fast.searcher.embedder
    encoded: list[int] = []

    def counting(texts: list[str], progress: bool = False) -> object:
        encoded.append(len(texts))
        return type(embedder).encode(embedder, texts, progress)

    monkeypatch.setattr(embedder, "encode", counting)
    fewer = every = 0
    for item in QUESTIONS:
        question = str(item["question"])
        got = fast.ask(question)
        fewer += encoded[-1]
        with monkeypatch.context() as scoring_all:
            scoring_all.setattr(qa.answer, "OTHER_SENTENCES", 10_000)
            want = full.ask(question)
        every += encoded[-1]
        assert (got.abstained, got.short_answer, got.text) == (
            want.abstained,
            want.short_answer,
            want.text,
        )
        assert [c.__dict__ for c in got.citations] == [c.__dict__ for c in want.citations]
        assert got.confidence == pytest.approx(want.confidence, abs=0.005)
    assert fewer < 0.8 * every


@pytest.mark.slow
def test_confidence_is_the_score_the_answer_was_judged_on(seeds_settings: Settings) -> None:
    """An answer is given exactly when its confidence reaches ``min_confidence``; "not found"
    shows how close the best reading came, and 0 when the reader found no span at all."""
    settings = answerer(seeds_settings).calibration
    for item in QUESTIONS:
        got = ask(str(item["question"]), index_dir=seeds_settings.index_dir)
        assert 0.0 <= got.confidence <= 1.0
        assert got.abstained == (got.confidence < settings.min_confidence), got.question
        # "Who won the 2022 FIFA World Cup?": the seeds never mention 2022
        reasons = {"low_score", "unmatched_number"} if got.abstained else {None}
        assert got.abstain_reason in reasons
        assert got.to_json()["abstain_reason"] == got.abstain_reason
        if not got.abstained:
            assert got.sentence_score is not None and got.reader_odds is not None
            expected = answer_score(got.sentence_score, got.reader_odds, settings)
            assert got.confidence == pytest.approx(min(expected, 1.0))
            assert got.to_json()["sentence_score"] == round(got.sentence_score, 4)
    unanswered = [ask(str(i["question"]), index_dir=seeds_settings.index_dir) for i in UNANSWERABLE]
    assert unanswered and all(0.0 < a.confidence < settings.min_confidence for a in unanswered)

    class NoSpans:  # a reader that finds nothing: every ask abstains, no sentence holds a span
        read_views = Reader.read_views
        folder = DEFAULT_READER_DIR  # whose calibration the answerer takes

        def read_top(
            self, question: str, passages: list[str], origins: object = None, n: int = 1
        ) -> list[list[Span]]:
            return [[] for _ in passages]

    blind = Answerer(answerer(seeds_settings.with_(rerank=0)).searcher, NoSpans())  # type: ignore[arg-type]
    for item in QUESTIONS:
        got = blind.ask(str(item["question"]))
        assert got.abstained and got.confidence == 0.0 and got.sentence_score is None
        assert got.abstain_reason == "no_span"


@pytest.mark.slow
def test_the_reader_odds_veto_says_so(seeds_settings: Settings) -> None:
    """An answer whose score clears ``min_confidence`` but whose reader log-odds do not clear
    ``min_answer_odds`` is withheld with its own reason, its confidence still shown."""
    question = "Who was known as the Lion of Panjshir?"
    answered = ask(question, index_dir=seeds_settings.index_dir)
    assert not answered.abstained and answered.reader_odds is not None
    vetoed = ask(
        question, index_dir=seeds_settings.index_dir, min_answer_odds=answered.reader_odds + 1
    )
    assert vetoed.abstained and vetoed.abstain_reason == "low_odds"
    assert vetoed.confidence == pytest.approx(answered.confidence)
    assert vetoed.confidence >= answerer(seeds_settings).calibration.min_confidence


@pytest.mark.slow
def test_empty_question_is_refused(seeds_settings: Settings) -> None:
    with pytest.raises(QueryError):
        ask("  \n ", index_dir=seeds_settings.index_dir)


@pytest.mark.slow
def test_ask_json_cli(seeds_settings: Settings) -> None:
    proc = run_qa(
        "ask",
        "--json",
        "Which NRF spokesman spoke to CNN?",
        "--index-dir",
        str(seeds_settings.index_dir),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["read_as"] is None  # no word was misspelt
    assert set(out) == {
        "question",
        "read_as",
        "answer",
        "short_answer",
        "abstained",
        "confidence",
        "reader_odds",
        "sentence_score",
        "abstain_reason",
        "seconds",
        "sentences",
        "citations",
        "passages",
    }
    assert out["abstained"] is False and "Ali Nazary" in out["answer"]
    citation = out["citations"][0]
    assert set(citation) == {
        "number",
        "path",
        "title",
        "start",
        "end",
        "page",
        "page_end",
        "passage",
        "answer_start",
        "answer_end",
        "also_in",
        "file",
    }
    text = Path(ROOT, citation["path"]).read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == out["sentences"][0]["text"]
    # found by an audit: "path" is relative to where qa index ran; "file" works from anywhere
    assert Path(citation["file"]).is_absolute()
    assert Path(citation["file"]).read_text(encoding="utf-8") == text
    assert set(out["sentences"][0]) == {
        "text",
        "citation",
        "short_answer",
        "short_start",
        "short_end",
    }


def test_answer_thresholds_are_checked_settings() -> None:
    """A confidence is shown as 0..1, so a threshold outside it is refused, not silently odd."""
    assert Settings.from_env({"QA_MIN_CONFIDENCE": "0.6"}).min_confidence == 0.6
    for bad in ({"min_confidence": 1.5}, {"min_confidence": -0.1}, {"answer_weight_dense": 2.0}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            Settings(**bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="answer_odds_weight"):
        Settings(answer_odds_weight=-1.0)


def test_a_joined_sentence_twins_only_with_the_next_sentence_there() -> None:
    """A pronoun run's near-duplicate elsewhere is that document's two sentences in a row,
    not its first sentence's twin up to any later sentence's twin (found by a review)."""
    from qa.answer import _run_twins

    assert _run_twins([("d2", 0, 30)], [("d2", 4000, 4050)], True) == []
    pairs = _run_twins(
        [("d2", 0, 30), ("d2", 3950, 3990)], [("d2", 31, 80), ("d2", 3991, 4050)], True
    )
    assert pairs == [("d2", 0, 80), ("d2", 3950, 4050)]
    assert _run_twins([("d2", 0, 30)], [("d2", 5, 9)], False) == [("d2", 5, 9)]


def _ask_corpus(tmp_path: Path, files: dict[str, str], question: str) -> tuple[Answer, Index]:
    """Index ``files`` (name -> text) in a folder of their own and ask ``question``."""
    from qa.index import build
    from qa.retrieval import Searcher, _embedder

    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    index = build(corpus, settings, _embedder(settings), progress=False)
    answer = Answerer(Searcher(index, _embedder(settings), settings)).ask(question)
    check_citations(answer, index)
    return answer, index


def _assert_short_answers(tmp_path: Path, index: Index, expected: list[tuple[str, str]]) -> None:
    """Ask each question of the index ``_ask_corpus`` built; check its citations and that
    its short answer is the expected one."""
    asker = answerer(Settings(index_dir=tmp_path / "index"))
    for question, short in expected:
        answer = asker.ask(question)
        check_citations(answer, index)
        assert answer.short_answer == short, (question, answer.text)


@pytest.mark.slow
def test_a_sentence_is_quoted_once_and_its_edited_copy_cited(tmp_path: Path) -> None:
    """Found by a citation audit: a pronoun sentence joined to the one before it lost its
    near-duplicate in the other file (both versions were quoted, "also in" stayed empty),
    and a sentence was quoted again as part of itself-plus-the-next."""
    answer, _ = _ask_corpus(
        tmp_path,
        {
            "a.txt": "Dam\n\nThe Selmark dam was completed in 1968 after nine years of "
            "construction. Its reservoir supplies drinking water to 240,000 people in the "
            "Corran valley.\n",
            "b.txt": "Local\n\nIn spite of delays, the Selmark dam was completed in 1968 after "
            "nine years of construction work. Its reservoir now supplies drinking water to "
            "240,000 people in the Corran valley.\n",
            "harbour.txt": "Harbour Notes\n\nThe harbour master of Quellport is Ingrid "
            "Faulkner.\nShe has held the post since 2011.\n",
        },
        "How many people does the Selmark reservoir supply with drinking water?",
    )
    assert answer.short_answer == "240,000" and len(answer.citations) == 1
    cited = {Path(answer.citations[0].path).name}
    cited |= {Path(o.path).name for o in answer.citations[0].also_in}
    assert cited == {"a.txt", "b.txt"}
    harbour = Answerer(qa.answer.open_searcher(Settings(index_dir=tmp_path / "index"))).ask(
        "Who is the harbour master of Quellport?"
    )
    assert harbour.short_answer == "Ingrid Faulkner"
    spans = [(c.path, c.start, c.end) for c in harbour.citations]
    for i, (p, a, b) in enumerate(spans):  # no two quotes share text
        assert all(p != q or b <= c or d <= a for q, c, d in spans[i + 1 :]), harbour.text


@pytest.mark.slow
def test_a_pronoun_does_not_reach_back_into_another_paragraph(tmp_path: Path) -> None:
    """ "He joined …" opening a paragraph is quoted alone, with its own page, not glued to
    the previous page's last sentence (the passage's page was the old one)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(
        0,
        8,
        "Museum guide\n\nThe Museum of Tallow in Drenford was founded in 1911. "
        "The museum's curator is Edmund Pryce.",
    )
    pdf.add_page()
    pdf.multi_cell(
        0,
        8,
        "He joined the museum in 2004 after twenty years at the Royal Wax Archive. "
        "The gift shop sells beeswax candles.",
    )
    corpus = tmp_path / "docs"
    corpus.mkdir()
    pdf.output(str(corpus / "guide.pdf"))
    from qa.index import build
    from qa.retrieval import Searcher, _embedder

    settings = Settings(index_dir=tmp_path / "index")
    index = build(corpus, settings, _embedder(settings), progress=False)
    answer = Answerer(Searcher(index, _embedder(settings), settings)).ask(
        "When did the curator join the museum?"
    )
    check_citations(answer, index)
    first = answer.citations[0]
    assert answer.short_answer == "2004"
    assert answer.sentences[0].text.startswith("He joined the museum in 2004")
    assert first.page == 2 and first.passage.page == index.documents[
        next(iter(index.documents))
    ].page_at(first.passage.start)


KERROW = (
    "The Lighthouse of Kerrow\n\nThe lighthouse at Kerrow Point was built by Emile Durand in "
    "1871. Its lamp used whale oil until 1903.\n\nKeepers lived there with their families; "
    "the last keeper, Siobhan Ni Bhriain, left in 1989.\n"
)


@pytest.mark.slow
def test_a_document_title_is_not_quoted_as_a_second_sentence(tmp_path: Path) -> None:
    """Found by an audit: "… left in 1989. [1] The Lighthouse of Kerrow [2]", the title line
    quoted because it shares the question's words, though it answers nothing."""
    answer, _ = _ask_corpus(
        tmp_path,
        {
            "kerrow.txt": KERROW,
            "other.txt": "Harbour Notes\n\nThe harbour master of Quellport is Ingrid Faulkner.\n",
        },
        "When did the last keeper of the Lighthouse of Kerrow leave?",
    )
    assert "1989" in answer.text
    assert all(s.text != "The Lighthouse of Kerrow" for s in answer.sentences), answer.text
    # the same as Markdown, whose title drops the heading's "#" (found by a review)
    (tmp_path / "md").mkdir()
    answer, _ = _ask_corpus(
        tmp_path / "md",
        {"kerrow.md": "# " + KERROW, "other.txt": "Harbour Notes\n\nThe harbour is calm.\n"},
        "When did the last keeper of the Lighthouse of Kerrow leave?",
    )
    assert "1989" in answer.text and "Lighthouse of Kerrow [" not in answer.text, answer.text


def test_a_heading_is_never_a_second_sentence() -> None:
    """Found by an audit: section headings ("Leakage and the network") and title lines
    ("Corvala Water Trust — Annual Report 2024") of a PDF were quoted as second sentences:
    they share the question's words but answer nothing. A second sentence ends as one does."""
    from qa.answer import _adds_to, _Candidate

    def cand(text: str, start: int) -> _Candidate:
        place = Source("report.pdf", "Corvala Water Trust — Annual Report 2024", start, start + 9)
        return _Candidate(text, [(place, place)], score=0.9)

    best = cand("Leakage fell by 11 percent during the year.", 0)
    for heading in ["Leakage and the network", "Corvala Water Trust — Annual Report 2024"]:
        assert not _adds_to(cand(heading, 100), best, 0.5)
    assert _adds_to(cand("Acoustic sensors found 2,300 leaks in the mains.", 100), best, 0.5)
    assert _adds_to(cand('The chair said it was "a turning point."', 100), best, 0.5)


CANAL = """<html><head><title>Kerrow Canal locks</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<h1>Kerrow Canal locks</h1>
<p>The Kerrow Canal climbs from the harbour to the upper basin through twelve locks built
between 1794 and 1802. Each lock was rebuilt in stone after the flood of 1881.</p>
<table><tr><th>Lock</th><th>Rise</th><th>Built</th></tr>
ROWS</table>
<p>The deepest lock is Lock 9, whose chamber was enlarged in 1910.</p>
<footer>Copyright 2024 Kerrow Heritage Trust</footer></body></html>
""".replace("ROWS", "".join(
    f"<tr><td>Lock {n}</td><td>{rise} m</td><td>{year}</td></tr>\n"
    for n, rise, year in [
        (1, 2.1, 1794), (2, 2.4, 1794), (3, 1.8, 1795), (4, 2.0, 1796), (5, 2.2, 1797),
        (6, 1.9, 1798), (7, 2.6, 1799), (8, 2.3, 1800), (9, 3.1, 1801), (10, 2.5, 1801),
    ]
))  # fmt: skip


@pytest.mark.slow
def test_a_question_about_a_table_row_is_answered_from_that_row(tmp_path: Path) -> None:
    """Found by an audit: asked "How high is Lock 9?" of an HTML table, the answer was
    "deepest", and "What is the rise of Lock 3?" was not found. Each row is read with its
    column names; the row asked about answers, alone, and prose still answers the rest."""
    from qa.index import build
    from qa.retrieval import Searcher, _embedder

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "canal.html").write_text(CANAL, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    index = build(corpus, settings, _embedder(settings), progress=False)
    answerer_ = Answerer(Searcher(index, _embedder(settings), settings))
    for question, short, row in [
        ("How high is Lock 9?", "3.1 m", "| Lock 9 |"),
        ("What is the rise of Lock 3?", "1.8 m", "| Lock 3 |"),
        ("When was Lock 7 built?", "1799", "| Lock 7 |"),
        ("Which lock was built in 1798?", "Lock 6", "| Lock 6 |"),
        ("when was lock 2 built", "1794", "| Lock 2 |"),
        ("When were the locks built?", "1794 and 1802", "The Kerrow Canal"),
        ("When was the chamber of Lock 9 enlarged?", "1910", "The deepest lock"),
    ]:
        answer = answerer_.ask(question)
        check_citations(answer, index)
        assert answer.short_answer == short, (question, answer.text)
        assert len(answer.sentences) == 1 and answer.sentences[0].text.startswith(row)
    (corpus / "fees.html").write_text(FEES, encoding="utf-8")
    index = build(corpus, settings, _embedder(settings), progress=False)
    answerer_ = Answerer(Searcher(index, _embedder(settings), settings))
    for question, short, row in [
        ("How much is the trail fee in summer?", "€8", "| Summer |"),  # was the next column's
        ("How much is the hut fee per night in October?", "€18", "| Shoulder |"),
    ]:
        answer = answerer_.ask(question)
        check_citations(answer, index)
        assert answer.short_answer == short, (question, answer.text)
        assert len(answer.sentences) == 1 and answer.sentences[0].text.startswith(row)


REPORTS = {
    "report_2023.txt": "Harbour Trust annual report 2023\n\nThe Harbour Trust's revenue was "
    "£31.2 million in 2023, up from £29.8 million. The trust employs 240 people.\n",
    "report_2024.txt": "Harbour Trust annual report 2024\n\nThe Harbour Trust's revenue rose "
    "to £34.5 million in 2024. Its chair is Ruth Ellery.\n",
}


@pytest.mark.slow
def test_a_number_the_question_gives_must_be_in_the_answers_document(tmp_path: Path) -> None:
    """Found by an audit: "What was Corvala Water Trust's revenue in 2021?", asked of a
    report on 2024, gave a nearby fact with high confidence. A sentence whose document never
    mentions a number the question gives (in digits, words or Roman numerals) cannot be the
    answer: another document's sentence that does answers, else none, with that reason.
    (On held-out SQuAD 2.0 this turned 38 answered unanswerable questions into abstentions,
    at the cost of 1 answerable one, and 1 of 701 on SQuAD v1.1.)"""
    from qa.answer import answerer

    answer, index = _ask_corpus(tmp_path, REPORTS, "What was the Harbour Trust's revenue in 2021?")
    assert answer.abstained and answer.abstain_reason == "unmatched_number", answer.text
    assert "never mentions 2021, which the question asks about" in answer.why_not_found(0.5)
    asker = answerer(Settings(index_dir=tmp_path / "index"))
    for question, short, path in [
        ("What was the Harbour Trust's revenue in 2023?", "£31.2 million", "report_2023.txt"),
        ("What was the Harbour Trust's revenue in 2024?", "£34.5 million", "report_2024.txt"),
    ]:
        answer = asker.ask(question)
        check_citations(answer, index)
        assert answer.short_answer == short, (question, answer.text)
        assert answer.citations[0].path.endswith(path)
    assert asker.ask("How many people does the trust employ?").short_answer == "240"


@pytest.mark.slow
def test_a_question_asking_for_money_is_answered_by_an_amount(tmp_path: Path) -> None:
    """Found by an audit: "What is the salary of Corvala Water Trust's chief executive?",
    of a report that gives none, answered "1.84 million" (its customers). A question asking
    for an amount of money is answered by a span that is one (a currency sign or word,
    pence, "free"), else not at all, with that reason. (Every answer to such a question in
    the two SQuAD files, 36 of them, is an amount by this test.)"""
    files = {
        "trust.txt": "Harbour Trust annual report\n\nThe Harbour Trust supplies water to 1.84 "
        "million customers. Its chief executive, Ruth Ellery, joined in 2021. The new "
        "treatment works cost £58 million and opened in May. A day ticket to the harbour "
        "museum costs 80p for children and nothing for members.\n"
    }
    answer, index = _ask_corpus(
        tmp_path, files, "What is the salary of the Harbour Trust's chief executive?"
    )
    assert answer.abstained and answer.short_answer is None, answer.text
    assert answer.abstain_reason in {"no_amount", "low_score"}
    from qa.answer import answerer

    asker = answerer(Settings(index_dir=tmp_path / "index"))
    for question, short in [
        ("How much did the new treatment works cost?", "£58 million"),
        ("How much does a day ticket cost for children?", "80p"),
        ("How many customers does the trust supply?", "1.84 million"),  # no money asked
    ]:
        got = asker.ask(question)
        check_citations(got, index)
        assert got.short_answer == short, (question, got.text)
    said = replace(answer, abstain_reason="no_amount").why_not_found(0.5)
    assert "asks for an amount of money, and no answer read in them is one" in said


@pytest.mark.parametrize(
    ("sentence", "reply"),
    [
        ("No. The T2 connects only to 2.4 GHz networks.", "No"),
        ("Yes, the T2 works with Alexa.", "Yes"),
        ("No. 10 Downing Street is open to visitors once a year.", None),  # found by a review
        ("Yes, Minister is available on DVD.", None),
        ("No one was hurt.", None),
    ],
)
def test_a_reply_opening_its_sentence(sentence: str, reply: str | None) -> None:
    cand = SimpleNamespace(text=sentence, table=False)
    question = SimpleNamespace(text="Is it?", weights={})
    entity, said = qa.answer.Answerer._reply(question, cand)  # type: ignore[arg-type]
    assert said == reply and (entity is None) == (reply is None)


BANKS = {
    "harrow.txt": "Harrow Bank history\n\nHarrow Bank was founded in 1850 by John Reed, a Leeds "
    "wool merchant. The bank opened its first branch in Bradford.\n",
    "kestrel.txt": "Kestrel Aviation history\n\nKestrel Aviation is a regional airline. It "
    "flies from East Midlands Airport to 28 destinations.\n",
}


@pytest.mark.slow
def test_a_sentence_whose_document_never_names_the_asked_name_counts_half(
    tmp_path: Path,
) -> None:
    """Found by an audit: "How much did the Thornby Reservoir dam project cost?" was answered
    with the cost of other flood defences, from an article that never names Thornby. A
    sentence whose document never names a name the question gives (in any form) has its
    score halved, so a confident nearby fact about something else is "not found"."""
    from qa.answer import answerer

    answer, _ = _ask_corpus(tmp_path, BANKS, "Who founded Harrow Bank?")
    assert answer.short_answer == "John Reed", answer.text
    asker = answerer(Settings(index_dir=tmp_path / "index"))
    for question in ["Who founded Wexford Bank?", "Where did Ryanair open its first branch?"]:
        assert asker.ask(question).abstained, question


STRIKE = """Leicester bus drivers to strike

Bus drivers in Leicester will strike for three days next week in a dispute over pay.

Unite's regional officer, James Okafor, said the drivers had been "left with no choice".
Helen Price, CityLink's managing director, said the offer was fair. The company runs 40
routes across the city.
"""


@pytest.mark.slow
def test_who_is_a_name_is_answered_by_the_description_beside_it(tmp_path: Path) -> None:
    """Found by an audit: "Who is James Okafor?" was "not found": the reader finds "Unite's
    regional officer" but rates "no answer here" higher, and elsewhere answers another
    person's name. For "Who is NAME?" only a span in apposition to the name answers (before
    it, "…, NAME", or after it, "NAME, …"), and the reader's odds do not veto it."""
    from qa.answer import answerer

    answer, index = _ask_corpus(tmp_path, {"strike.txt": STRIKE}, "Who is James Okafor?")
    assert answer.short_answer == "Unite's regional officer", answer.text
    asker = answerer(Settings(index_dir=tmp_path / "index"))
    answer = asker.ask("Who is Helen Price?")
    check_citations(answer, index)
    assert answer.short_answer == "CityLink's managing director", answer.text
    assert asker.ask("Who is Peter Quill?").abstained
    # a review: in a list of names, the one beside the name does not describe it
    assert _a_name("Mary Smith") and not _a_name("Unite's regional officer")


LOCKS = {
    "locks.txt": "The Kerrow Canal locks\n\nThe canal opened in 1794 with ten locks. Lock 3 was "
    "rebuilt in 1890 after a flood damaged its gates. The company refused to rebuild Lock 7, "
    "which has been dry since 1921.\n",
}


@pytest.mark.slow
@pytest.mark.xfail(
    reason="on an AMD EPYC host (fp32 and bf16 alike) 'Which lock was not rebuilt by the "
    "company?' scores 0.45 against the 0.5275 it needs and abstains; the rule it tests is "
    "measured again with the answer rules' benchmark",
    strict=False,
)
def test_a_question_about_what_is_not_so_needs_a_sentence_that_says_so(tmp_path: Path) -> None:
    """SQuAD 2.0's unanswerable questions often negate an answerable one ("Why did the
    operation succeed?" of "… failed because …"), and `ask` answered them from the sentence
    that answers the opposite. A sentence with no negative word ("not", "never", "refused",
    "unable", "except", …) counts half for a negated question."""
    from qa.answer import answerer

    answer, index = _ask_corpus(tmp_path, LOCKS, "Which lock did the company refuse to rebuild?")
    assert answer.short_answer == "Lock 7", answer.text
    asker = answerer(Settings(index_dir=tmp_path / "index"))
    answer = asker.ask("Which lock was not rebuilt by the company?")
    check_citations(answer, index)
    assert answer.short_answer == "Lock 7", answer.text
    assert asker.ask("Which lock was not damaged by a flood?").abstained


def test_what_counts_as_a_negated_question() -> None:
    """Found by a review: "What is the No. 1 song?", "a no-fly zone" and "Why won't it turn
    on?" (asking for a fix, answered by "Check the batteries.") were taken for questions
    about what is not so, and every answer sentence without a negative word was halved."""
    from qa.answer import _NEGATED, _NEGATIVE, _TROUBLE

    def negated(question: str) -> bool:
        return bool(_NEGATED.search(question)) and not _TROUBLE.match(question)

    for question in ["Which lock was not rebuilt?", "How many people didn't vote?",
                     "Who has never won?", "What can't be recycled?"]:  # fmt: skip
        assert negated(question), question
    for question in ["What is the No. 1 song?", "What does a no-fly zone mean?",
                     "Why won't it turn on?", "What if it doesn't charge?",
                     "Who won the Nobel prize?", "When did the Nor'easter hit?"]:  # fmt: skip
        assert not negated(question), question
    for sentence in ["The motion was declined.", "The east wing still stands.",
                     "It is closed on Wednesdays.", "It is unable to legislate."]:  # fmt: skip
        assert _NEGATIVE.search(sentence), sentence
    assert not _NEGATIVE.search("Lock 3 was rebuilt in 1890 after a flood.")


FERRY = """# Ferry office

The ferry office on Pier Road sells tickets and answers questions about sailings.

| Day | Opens | Closes |
|---|---|---|
| Monday | 8:00 | 18:00 |
| Tuesday | 8:30 | 21:00 |
| Wednesday | Closed | |
| Saturday | 10:00 | 14:00 |

Tickets are sold at the office and on board.

| Ticket | Adult | Child (under 12) |
|---|---|---|
| Single | £6.50 | £3.20 |
| Return | £11.00 | £5.40 |

Error codes on the ticket machine:

Code | Meaning | What to do
--- | --- | ---
E2 | No paper left | Ask at the office
E5 | Card reader fault | Pay by cash
"""


@pytest.mark.slow
def test_the_column_a_question_names_answers_in_a_row_of_two_values(tmp_path: Path) -> None:
    """Found by an audit: "What time does the library close on Tuesday?" gave the opening
    time of that row, the child's price gave the adult's, and "What does error code E4
    mean?" gave "No" (of "No connection to the Hub"). A question that names a column ("close"
    for "Closes", "children" for "Child") is read against the row's first cell and that
    column only."""
    answer, index = _ask_corpus(
        tmp_path, {"ferry.md": FERRY}, "What time does the ferry office close on Tuesday?"
    )
    assert answer.short_answer == "21:00", answer.text
    _assert_short_answers(
        tmp_path,
        index,
        [
            ("When does the office open on Saturday?", "10:00"),
            ("How much is a return ticket for a child?", "£5.40"),
            ("What does a single ticket cost for children?", "£3.20"),
            ("What does an adult pay for a return ticket?", "£11.00"),
            ("What does error code E2 mean?", "No paper left"),
            ("What should I do about error E5?", "Pay by cash"),
        ],
    )


OFFICE = """# Harbor Office staff

The Harbor Office moved to Dock Street in 2021. Each member of staff has a room upstairs.

Name | Role | Room
--- | --- | ---
Quinn Petrov | Harbor master | 204
Ada Lindqvist | Pilot | 207
Tomas Berg | Treasurer | 211
Mira Okafor | Clerk | 215

Visitors sign in at the front desk.
"""


@pytest.mark.slow
def test_a_markdown_table_without_outer_pipes_is_read_by_row(tmp_path: Path) -> None:
    """Found by an audit: GFM's table form without outer pipes was not seen as a table, so
    "Which room is Quinn Petrov in?" was not found; and "Quinn Sato", who is not in the
    table, was answered from Quinn Petrov's row (a shared first name)."""
    from qa.answer import answerer

    answer, index = _ask_corpus(tmp_path, {"office.md": OFFICE}, "Which room is Quinn Petrov in?")
    assert answer.short_answer == "204", answer.text
    _assert_short_answers(
        tmp_path,
        index,
        [
            ("What is Ada Lindqvist's role?", "Pilot"),
            ("Who is the treasurer?", "Tomas Berg"),
        ],
    )
    asker = answerer(Settings(index_dir=tmp_path / "index"))  # the one the helper used
    assert asker.ask("Which room is Quinn Sato in?").abstained


FEES = """<html><head><title>Trail fees</title></head><body>
<p>The Ostra Ridge Trail is a 23.5-kilometre route kept by the Ostra Valley Rangers.</p>
<table><tr><th>Season</th><th>Months</th><th>Trail fee</th><th>Hut fee per night</th></tr>
<tr><td>Summer</td><td>June to September</td><td>€8</td><td>€25</td></tr>
<tr><td>Shoulder</td><td>April, May and October</td><td>€5</td><td>€18</td></tr>
<tr><td>Winter</td><td>November to March</td><td>closed</td><td>closed</td></tr>
</table></body></html>
"""


@pytest.mark.slow
def test_a_faq_heading_is_not_the_answer(tmp_path: Path) -> None:
    """Found by an audit: a FAQ's question heading was the answer sentence ("pods?") and was
    quoted as a second sentence after the answer under it."""
    faq = (
        "# BrewMate 300 FAQ\n\n## Can I buy a spare jug?\n\nYes, spare glass jugs (part "
        "number BM-J18) cost €19.90 from the online shop.\n\n## Can I use the BrewMate 300 "
        "with pods?\n\nNo. The BrewMate 300 is a filter coffee maker and works only with "
        "ground coffee and paper filters.\n"
    )
    answer, _ = _ask_corpus(tmp_path, {"faq.md": faq}, "How much is a spare jug?")
    assert answer.short_answer == "€19.90" and len(answer.sentences) == 1
    from qa.answer import answerer

    pods = answerer(Settings(index_dir=tmp_path / "index")).ask(
        "Can I use the BrewMate 300 with pods?"
    )
    assert all(not s.text.rstrip().endswith("?") for s in pods.sentences), pods.text


@pytest.mark.slow
def test_a_yes_no_question_is_answered_by_its_sentence(tmp_path: Path) -> None:
    """Found by an audit: "Is the jug dishwasher safe?" showed the short answer "the base"
    (confidence 1.00), the opposite of what the sentence says. The sentence is the answer."""
    files = {
        "clean.md": "## Cleaning\n\nClean the filter basket and jug after every use with warm "
        "soapy water. The jug is dishwasher safe; the base is not.\n"
    }
    answer, _ = _ask_corpus(tmp_path, files, "Is the jug dishwasher safe?")
    assert not answer.abstained
    assert answer.sentences[0].text == "The jug is dishwasher safe; the base is not."
    # the reply is read off the sentence's grammar (qa/replies.py); no word of it is marked
    assert answer.short_answer == "Yes" and answer.sentences[0].short_start is None
    assert answer.citations[0].answer_start is None and answer.reader_odds is not None


@pytest.mark.slow
def test_a_yes_no_answer_keeps_the_bare_yes_or_no_before_its_sentence(tmp_path: Path) -> None:
    """Found by an audit: "Can I use coffee pods?" of a FAQ answering "No. The BrewMate 300
    takes ground coffee only; …" quoted the second sentence alone, without the "No." that
    answers. The reply is cited with the sentence it introduces."""
    faq = (
        "# BrewMate 300 FAQ\n\n## Can I use pods?\n\nNo. The BrewMate 300 takes ground coffee "
        "only; pods do not fit the filter basket.\n\n## Does it switch itself off?\n\nYes.\n"
        "The hot plate switches off 40 minutes after brewing ends, to save power.\n"
    )
    pods, index = _ask_corpus(tmp_path, {"faq.md": faq}, "Can I use coffee pods?")
    check_citations(pods, index)
    assert pods.sentences[0].text.startswith("No. The BrewMate 300 takes ground coffee only")
    assert pods.short_answer == "No" and pods.sentences[0].short_start == 0  # the "No" marked
    assert faq[pods.citations[0].answer_start : pods.citations[0].answer_end] == "No"
    from qa.answer import answerer

    off = answerer(Settings(index_dir=tmp_path / "index")).ask("Does the BrewMate switch off?")
    check_citations(off, index)
    assert off.sentences[0].text.startswith("Yes.\nThe hot plate switches off")
    assert off.short_answer == "Yes"
    what = answerer(Settings(index_dir=tmp_path / "index")).ask("What does the BrewMate take?")
    assert what.sentences[0].text.startswith("The BrewMate 300")  # not a yes/no question


@pytest.mark.parametrize(
    ("span", "shown"),
    [
        ("room 204.", "room 204"),
        ("Dock Street.", "Dock Street"),
        ("in Kabul,", "in Kabul"),
        ("the U.S.", "the U.S."),
        ("Apple Inc.", "Apple Inc."),
        ("1,000 watts", "1,000 watts"),
        ("-\\|-`", "-\\|-"),  # an audit: a backtick the span does not open
        ("`ls -l`", "`ls -l`"),
        ("the UK)", "the UK"),
        ("f(x)", "f(x)"),
    ],
)
def test_a_short_answer_drops_the_sentence_punctuation_it_ends_on(span: str, shown: str) -> None:
    """Found by a test of misspelt questions: the reader's span "room 204." kept the sentence's
    full stop. An abbreviation's stop stays."""
    from qa.answer import _unpunctuated

    text = f"It is {span} Then more."
    start = text.index(span)
    assert text[start : _unpunctuated(text, start, start + len(span))] == shown


@pytest.mark.slow
def test_look_alike_names_and_headlines_pick_the_right_article(tmp_path: Path) -> None:
    """Found by an audit on two news articles about look-alikes (tests/data/lookalikes,
    written by the audit): "Who is the chief executive of Kestrel Aviation?" was answered with
    the van maker Kestrel Motors' chief executive, and "Who opened the battery plant in
    Leeds?" with the airline's aside that it is not related to the van maker. A sentence
    naming a look-alike of the asked-about name now scores less (NAME_CONFLICT), and a
    sentence is credited with the question's words its article's headline holds
    (TITLE_SHARE): each fix answers one of the two."""
    files = {p.name: p.read_text(encoding="utf-8") for p in (DATA / "lookalikes").iterdir()}
    answer, index = _ask_corpus(tmp_path, files, "Who is the chief executive of Kestrel Aviation?")
    assert answer.short_answer == "Daniel Okafor", answer.text
    _assert_short_answers(
        tmp_path,
        index,
        [
            ("Who opened the battery plant in Leeds?", "Anna Whitfield"),
            ("Who is the chief executive of Kestrel Motors?", "Daniel Hart"),
            ("When was Kestrel Aviation founded?", "1998"),
        ],
    )


@pytest.mark.slow
def test_a_how_do_i_question_is_answered_by_its_instruction(tmp_path: Path) -> None:
    """Found by an audit of a manual's FAQ: "How do I reset the thermostat to factory
    settings?" was "not found", though its answer sits under that very question: the reader
    finds no span in an instruction, and the instruction shares few words with the question.
    A FAQ answer is now scored with its question, and a "How do I …?" question is answered
    by the best sentence, with no short answer."""
    faq = (
        "# Thermostat FAQ\n\n**How do I reset the thermostat to factory settings?**\n"
        "Hold the Mode and Back buttons together for 10 seconds, until the screen shows "
        '"rSt". Your schedules will be erased.\n\n**Can I use it with a heat pump?**\n'
        "Yes, with the Hub set to heat-pump mode.\n\nThe thermostat runs on two AA batteries.\n"
    )
    answer, _ = _ask_corpus(
        tmp_path, {"faq.md": faq}, "How do I reset the thermostat to factory settings?"
    )
    assert answer.sentences[0].text.startswith("Hold the Mode and Back buttons"), answer.text
    assert answer.short_answer is None and not answer.abstained
    from qa.answer import answerer

    asker = answerer(Settings(index_dir=tmp_path / "index"))
    assert asker.ask("How do I replace the fuse in the boiler?").abstained
    batteries = asker.ask("How many batteries does the thermostat take?")
    assert batteries.short_answer is not None and "two" in batteries.short_answer


def test_a_reply_belongs_to_the_line_it_starts() -> None:
    """Found by a review: "Is it dishwasher safe? No. The lid is BPA-free." gave the lid's
    sentence the "No." that answered the question before it."""
    from qa.answer import _HOW_TO, _REPLY

    def reply(text: str, sentence: str) -> str | None:
        found = _REPLY.search(text, 0, text.index(sentence))
        return found.group(1) if found else None

    assert reply("## Can I use pods?\n\nNo. The BrewMate takes", "The BrewMate") == "No."
    assert reply("Does it switch off?\n\nYes.\nThe hot plate", "The hot plate") == "Yes."
    assert reply("Is it dishwasher safe? No. The lid is BPA-free.", "The lid") is None
    assert reply("Does it take pods? Yes.\n\nThe jug holds", "The jug") is None
    assert _HOW_TO.match("How do I reset it?") and _HOW_TO.match("how to book a room")
    assert not _HOW_TO.match("How do you know it opened in 1801?")


def test_the_spans_that_compete_are_of_the_kind_asked() -> None:
    """``_of_kind``: a question of no kind keeps each passage's best span only (as before
    the reader gave next choices); a question of a kind keeps, in each passage and view,
    its best span of that kind; when none is of the kind, the best spans again."""
    text = "Leakage fell by eleven percent. The main reason was new mains. It cost £5m in 2023."

    def read(span: str, rank: int, hit: int = 0, view: int = 0) -> _Read:
        a = text.index(span)
        found = Span(0, a, a + len(span), span, 10.0 - rank, 0.5, 0.1, rank, view)
        return _Read(found, "d", a, a + len(span), hit)

    spans = [
        read("eleven percent", 0),
        read("new mains", 1),
        read("2023", 2),
        read("£5m", 0, hit=1),
        read("eleven percent", 0, hit=2, view=1),
    ]
    asker = Answerer.__new__(Answerer)
    asker.searcher = SimpleNamespace(
        index=SimpleNamespace(by_path={"d": SimpleNamespace(text=text)})
    )  # type: ignore[assignment]

    def kept(question: str) -> list[str]:
        profile = qa.answer.Question(question, {}, expects=qa.answer.expects(question))
        return [r.span.text for r in asker._of_kind(profile, spans)]

    assert kept("What fell?") == ["eleven percent", "£5m", "eleven percent"]
    assert kept("Why did leakage fall?") == ["new mains"]  # "£5m", "eleven percent": no reasons
    assert kept("When was it built?") == ["2023", "£5m"]  # "£5m" holds a digit: loose
    assert kept("How much did it cost?") == ["£5m"]
    assert kept("How many mains were laid?") == ["eleven percent", "£5m", "eleven percent"]
