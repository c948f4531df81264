"""Retrieval on the seeds: every answerable question finds its answer in the top 3."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import qa
from qa.answer import Answerer
from qa.config import ConfigError, Settings
from qa.duplicates import jaccard, shingles
from qa.reader import DEFAULT_READER_DIR, Reader, Span
from qa.retrieval import QueryError, Searcher, clean_query, is_question
from tests.conftest import seeds_qa

pytestmark = pytest.mark.slow

ANSWERABLE = [q for q in seeds_qa() if q["answers"]]


@pytest.mark.parametrize("item", ANSWERABLE, ids=[str(q["question"]) for q in ANSWERABLE])
def test_answer_passage_in_top_3(seeds_settings: Settings, item: dict) -> None:  # type: ignore[type-arg]
    hits = qa.search(str(item["question"]), k=3, index_dir=seeds_settings.index_dir)
    assert [h.rank for h in hits] == [1, 2, 3]
    good = [
        h
        for h in hits
        if any(a.lower() in h.text.lower() for a in item["answers"])
        and any(Path(s.path).name in item["sources"] for s in h.sources)
    ]
    assert good, [h.text[:80] for h in hits]


def test_hits_point_at_exact_text(seeds_settings: Settings) -> None:
    searcher = Searcher.open(seeds_settings.index_dir, seeds_settings)
    docs = {d.path: d for d in searcher.index.documents.values()}
    for hit in searcher.search("Who was known as the Lion of Panjshir?", k=5):
        first, *copies = hit.sources
        assert docs[first.path].text[first.start : first.end] == hit.text
        for source in hit.sources:
            assert source.title == docs[source.path].title
        for copy in copies:  # a near-duplicate passage, at its own document's offsets
            text = docs[copy.path].text[copy.start : copy.end]
            assert jaccard(shingles(text), shingles(hit.text)) > 0.3
    scores = [h.score for h in searcher.search("Panjshir", k=5)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01\n\t"])
def test_empty_questions_are_refused_clearly(bad: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        clean_query(bad)


def test_a_pasted_terminal_colour_code_is_no_part_of_the_question() -> None:
    """Found in testing: "\x1b[31m" left "[31m" in the question, and "31" became a number
    the answer's document had to mention."""
    assert clean_query("\x1b[31m Who fled?\x1b[0m\x07") == "Who fled?"
    assert clean_query("\x1b[1;32mIs it 2021?") == "Is it 2021?"


def test_long_and_odd_questions_still_search(seeds_settings: Settings) -> None:
    searcher = Searcher.open(seeds_settings.index_dir, seeds_settings)
    assert searcher.search("Panjshir " * 20_000, k=2)
    assert searcher.search("¿Quién es Massoud? 誰ですか \x07", k=2)


def test_search_builds_default_index_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no seeds/ here: the shipped seeds are used
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    hits = qa.search("Who was known as the Lion of Panjshir?", k=1)
    assert "building it from" in capsys.readouterr().err
    assert (tmp_path / "vectors" / "manifest.json").exists()
    assert "Lion of Panjshir" in hits[0].text


def test_other_index_dir_without_index_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(qa.index.IndexMissing, match="qa index FOLDER --index-dir"):
        qa.search("anything", index_dir=tmp_path / "none")


class _FavouringReader:
    """A stand-in reader: sure of an answer only in passages containing ``word``."""

    folder = DEFAULT_READER_DIR  # whose calibration an answerer takes

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls = 0

    read_views = Reader.read_views  # over its own ``read_top``, as the real reader's

    def read_top(
        self, question: str, passages: Sequence[str], origins: object = None, n: int = 1
    ) -> list[list[Span]]:
        self.calls += 1
        spans: list[list[Span]] = []
        for n, text in enumerate(passages):
            sure = self.word in text
            start = text.find(self.word) if sure else 0
            end = start + (len(self.word) if sure else 1)
            p, na = (0.9, 1e-6) if sure else (1e-6, 0.9)
            spans.append([Span(n, start, end, text[start:end], 10.0 if sure else -10.0, p, na)])
        return spans


def test_rerank_moves_the_passage_the_reader_answers_from_to_the_top(
    seeds_settings: Settings,
) -> None:
    """``rerank=N``: the reader reads the top N in one batch and reorders them; the hits keep
    what it read, and ``ask`` uses that instead of reading the passages again."""
    question = "Who was known as the Lion of Panjshir?"
    unranked = seeds_settings.with_(rerank=0)
    plain = Searcher.open(unranked.index_dir, unranked).search(question, k=5)
    assert not any(h.read for h in plain)
    favoured = plain[3].text.split()[-1]  # a word of the 4th passage only
    reader = _FavouringReader(favoured)
    settings = seeds_settings.with_(rerank=5)
    searcher = Searcher.open(settings.index_dir, settings)
    searcher._reader = reader  # type: ignore[assignment]
    hits = searcher.search(question, k=5)
    assert reader.calls == 1 and all(h.read for h in hits)
    assert favoured in hits[0].text and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert {h.chunk_id for h in hits} == {h.chunk_id for h in plain}  # reordered, not replaced
    assert hits[0].span is not None and hits[0].span.text == favoured
    assert hits[0].scores["reader"] > 0 > hits[1].scores["reader"]
    assert [h.chunk_id for h in hits[1:]] == [h.chunk_id for h in plain if favoured not in h.text]
    answer = Answerer(searcher, reader).ask(question, k=5)  # type: ignore[arg-type]
    assert reader.calls == 2  # one read per question: the answer reused the search's
    assert answer.hits[0].chunk_id == hits[0].chunk_id


def test_dense_score_weighs_the_best_sentence(seeds_settings: Settings) -> None:
    """A passage's dense score is its cosine plus ``sentence_weight`` x its best sentence's:
    the weight changes the scores, and so the order, as the setting says."""
    question = "Which valley did the Taliban say they had captured?"
    orders = []
    for weight in (0.0, 2.5, 10.0):
        settings = seeds_settings.with_(mode="dense", rerank=0, sentence_weight=weight)
        hits = Searcher.open(settings.index_dir, settings).search(question, k=8)
        for h in hits:
            assert h.score == pytest.approx(h.scores["dense"] + weight * h.scores["sentence"])
        orders.append([h.chunk_id for h in hits])
        if weight == 10.0:  # the sentence decides when it weighs far more than the passage
            assert max(hits, key=lambda h: h.scores["sentence"]).chunk_id == hits[0].chunk_id
    assert orders[0] != orders[2]
    assert Settings.from_env({"QA_SENTENCE_WEIGHT": "1.5"}).sentence_weight == 1.5
    with pytest.raises(ConfigError, match="sentence_weight"):
        Settings(sentence_weight=-1.0)


@pytest.mark.parametrize(
    ("query", "question"),
    [
        ("Who was known as the Lion of Panjshir?", True),
        ("In what year was Massoud assassinated", True),
        ("Did the Taliban capture the valley", True),
        ("Name a district the Taliban claimed.", True),
        ("Massoud's father was known as the ____ of Panjshir.", True),
        ("Lion of Panjshir", False),
        ("Panjshir valley resistance Taliban", False),
        ("Ahmad Massoud refused to surrender to the Taliban.", False),  # a claim
        ("Massoud's father, who was known as the Lion of Panjshir, was killed in 2001.", False),
        ("Whoever holds the valley", False),
        ('He asked: "Who holds the valley?"', True),
        ("谁守住了山谷？", True),
    ],
)
def test_is_question(query: str, question: bool) -> None:
    assert is_question(query) is question


def test_only_questions_are_reranked(seeds_settings: Settings) -> None:
    """A keyword query or a claim has no answer span: the reader does not reorder its hits
    (it did worse than retrieval there); ``ask`` still reads them for its short answer."""
    settings = seeds_settings.with_(rerank=5)
    searcher = Searcher.open(settings.index_dir, settings)
    reader = _FavouringReader("Panjshir")
    searcher._reader = reader  # type: ignore[assignment]
    plain = Searcher.open(settings.index_dir, settings.with_(rerank=0))
    for query in ("Lion of Panjshir", "Massoud refused to surrender to the Taliban."):
        hits = searcher.search(query, k=5)
        assert reader.calls == 0 and not any(h.read for h in hits)
        assert [h.chunk_id for h in hits] == [h.chunk_id for h in plain.search(query, k=5)]
    assert all(h.read for h in searcher.search("Who is the Lion of Panjshir?", k=5))
    assert reader.calls == 1
    Answerer(searcher, reader).ask("Lion of Panjshir", k=5)  # type: ignore[arg-type]
    assert reader.calls == 2  # the answer read the passages the search left unread


def test_rerank_is_a_checked_setting() -> None:
    assert Settings.from_env({"QA_RERANK": "10"}).rerank == 10
    with pytest.raises(ConfigError, match="rerank"):
        Settings(rerank=-1)


def test_settings_refuse_values_no_caller_means() -> None:
    """NaN or infinite weights, text where a number goes, and an unknown on/off word."""
    for name in ("QA_ANSWER_ODDS_WEIGHT", "QA_MIN_ANSWER_ODDS", "QA_ANSWER_MARGIN"):
        for raw in ("nan", "inf", "-inf"):
            with pytest.raises(ConfigError, match="finite"):
                Settings.from_env({name: raw})
    with pytest.raises(ConfigError, match="whole number"):
        Settings(k="5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="QA_MERGE_DUPLICATES"):
        Settings.from_env({"QA_MERGE_DUPLICATES": "maybe"})
    assert Settings.from_env({"QA_MERGE_DUPLICATES": "Off"}).merge_duplicates is False
    assert Settings.from_env({"QA_MERGE_DUPLICATES": "yes"}).merge_duplicates is True


@pytest.mark.slow
def test_k_is_checked_in_the_python_api(seeds_settings: Settings) -> None:
    """The Python API refuses the k the CLI refuses, instead of an empty or cut list."""
    from qa import ask, search

    for k in (0, -1, "3", 2.5):
        with pytest.raises(QueryError, match="k"):
            search("Panjshir", k=k, index_dir=seeds_settings.index_dir)  # type: ignore[arg-type]
        with pytest.raises(QueryError, match="k"):
            ask("Where is Panjshir?", k=k, index_dir=seeds_settings.index_dir)  # type: ignore[arg-type]
    assert len(search("Panjshir", k=2, index_dir=seeds_settings.index_dir)) == 2
