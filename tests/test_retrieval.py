"""Retrieval on the seeds: every answerable question finds its answer in the top 3."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.config import Settings
from qa.duplicates import jaccard, shingles
from qa.retrieval import QueryError, Searcher, clean_query
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
