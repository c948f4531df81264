"""``qa eval``: official SQuAD scoring, document-level ranking metrics, the three data formats,
the index cache, and errors without tracebacks. Third-party data comes from ../shared/eval."""

from __future__ import annotations

import json
import math
import random
import re
import string
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qa.cli import main
from qa.evaluation import (
    KEYS,
    EvalError,
    Item,
    Scores,
    _run,
    _sample,
    format_table,
    held_out,
    normalize_answer,
    of_articles,
    read_beir,
    read_squad,
    retrieval_metrics,
    squad_em_f1,
)
from tests.conftest import DATA, shared_file

ANSWER_KEYS = (
    "answer_sentence_hit@1",
    "exact_match",
    "f1",
    "no_answer_accuracy",
    "has_answer_accuracy",
    "source_accuracy",
)


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def scores(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict[str, Any], str]:
    code, out, err = run_eval(capsys, *args, "--json")
    assert code == 0, err
    result = json.loads(out)
    errors = result.pop("stderr")  # each averaged score's standard error
    assert list(result) == list(KEYS) and set(errors) <= set(KEYS)
    with capsys.disabled():  # shown with -s, kept out of the next captured output
        print(f"\n{' '.join(args)}: {result}")
    return result, err


def squad_subset(source: Path, target: Path, articles: slice) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    target.write_text(
        json.dumps({"version": data["version"], "data": data["data"][articles]}), encoding="utf-8"
    )
    return target


# --- official scoring -------------------------------------------------------------------------


def test_normalize_answer_is_the_official_one() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a day; the end.") == "apple day end"
    assert normalize_answer("Theory of an Anthem") == "theory of anthem"  # whole words only
    assert normalize_answer("U.S.-born") == "usborn"
    assert normalize_answer(" ... ") == ""


def test_squad_em_f1() -> None:
    assert squad_em_f1("the Denver Broncos", ["Denver Broncos"]) == (1.0, 1.0)
    em, f1 = squad_em_f1("Denver", ["Denver Broncos"])
    assert em == 0.0 and f1 == pytest.approx(2 / 3)
    # the best over the gold answers, for each score separately
    assert squad_em_f1("Broncos", ["Denver Broncos", "broncos."]) == (1.0, 1.0)
    em, f1 = squad_em_f1("Denver Broncos team", ["Panthers", "Broncos"])
    assert em == 0.0 and f1 == pytest.approx(0.5)
    # SQuAD 2.0: no gold answer means gold "", which only an empty prediction matches
    assert squad_em_f1("", []) == (1.0, 1.0)
    assert squad_em_f1("", ["", "the"]) == (1.0, 1.0)
    assert squad_em_f1("Paris", []) == (0.0, 0.0)
    assert squad_em_f1("", ["Paris"]) == (0.0, 0.0)


def _official_normalize(s: str) -> str:
    """evaluate-v1.1.py's normalize_answer, restated step by step as an independent oracle."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def _official_scores(prediction: str, golds: list[str]) -> tuple[float, float]:
    def f1(pred: str, gold: str) -> float:
        p, g = _official_normalize(pred).split(), _official_normalize(gold).split()
        same = sum((Counter(p) & Counter(g)).values())
        return (
            0.0
            if same == 0
            else 2 * (same / len(p)) * (same / len(g)) / (same / len(p) + same / len(g))
        )

    em = max(float(_official_normalize(prediction) == _official_normalize(g)) for g in golds)
    return em, max(f1(prediction, g) for g in golds)


@pytest.mark.parametrize(
    ("name", "published_em", "published_f1"),
    [
        ("bert_ensemble_google.json", 86.2, 92.2),
        ("logistic_regression_baseline_stanford.json", 40.1, 51.0),
    ],
)
def test_reference_predictions_score_as_published(
    name: str, published_em: float, published_f1: float
) -> None:
    """Published systems' predictions land near their full-dev figures. This is half the dev
    set (24 of 48 articles), measured: BERT 85.99 / 91.81, logistic regression 38.58 / 48.79
    (it answers 5,389 of the 5,397 questions), so within 2.5 points of the published ones."""
    data = json.loads(shared_file("squad-v1.1-dev.json").read_text(encoding="utf-8"))
    golds = {
        qa["id"]: [a["text"] for a in qa["answers"]]
        for article in data["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    path = shared_file(f"squad-v1.1-reference-predictions/{name}")
    predictions: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    covered = [q for q in golds if q in predictions]
    assert len(covered) > 0.99 * len(golds)
    per_question = [squad_em_f1(predictions[q], golds[q]) for q in covered]
    em = 100 * sum(e for e, _ in per_question) / len(covered)
    f1 = 100 * sum(f for _, f in per_question) / len(covered)
    print(f"{name}: {len(covered)} questions, EM {em:.2f} F1 {f1:.2f}")
    assert abs(em - published_em) <= 2.5 and abs(f1 - published_f1) <= 2.5
    # and question by question exactly what the official v1.1 functions give
    assert per_question == [_official_scores(predictions[q], golds[q]) for q in covered]


# --- ranking metrics and readers (no model) ---------------------------------------------------


def test_retrieval_metrics_rank_documents_by_first_appearance() -> None:
    # a repeated document does not take a rank; a merged hit's documents take one rank each,
    # in the order the hit lists them
    hits = [["a"], ["a"], ["b", "c"], ["d"]]
    m = retrieval_metrics(hits, {"c": 1.0})
    assert m == {
        "recall@1": 0.0,
        "recall@5": 1.0,
        "recall@10": 1.0,
        "mrr@10": pytest.approx(1 / 3),
        "ndcg@10": pytest.approx(1 / math.log2(4)),
    }
    graded = retrieval_metrics(hits, {"a": 2.0, "d": 1.0, "z": 1.0})
    assert graded["recall@1"] == pytest.approx(1 / 3) and graded["recall@5"] == pytest.approx(2 / 3)
    assert graded["mrr@10"] == 1.0
    ideal = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    assert graded["ndcg@10"] == pytest.approx((2 + 1 / math.log2(5)) / ideal)
    assert retrieval_metrics([["x"]] * 3, {"a": 1.0})["ndcg@10"] == 0.0
    # only the first ten documents count, however the hits group them
    assert retrieval_metrics([[str(i) for i in range(10)], ["z"]], {"z": 1.0})["recall@10"] == 0


def test_retrieval_metrics_agree_with_trec_eval() -> None:
    """recall@k, reciprocal rank within 10 and nDCG@10 equal trec_eval's (pytrec_eval) on
    random rankings with merged hits, repeats and graded judgements (0 = judged not relevant)."""
    import random

    import pytrec_eval

    rng = random.Random(7)
    for _ in range(200):
        docs = [f"d{i}" for i in range(25)]
        judged = rng.sample(docs, rng.randint(1, 12))
        qrel = {d: rng.choice([0, 1, 1, 2, 3]) for d in judged}
        if not any(qrel.values()):
            qrel[judged[0]] = 1
        hits = [rng.sample(docs, rng.choice([1, 1, 1, 2, 3])) for _ in range(rng.randint(1, 15))]
        ours = retrieval_metrics(hits, {d: float(g) for d, g in qrel.items()})
        ranking = list(dict.fromkeys(d for h in hits for d in h))
        run = {d: float(len(ranking) - r) for r, d in enumerate(ranking)}  # score falls by rank
        top10 = {d: run[d] for d in ranking[:10]}
        measures = {"recall.1,5,10", "ndcg_cut.10"}
        ref = pytrec_eval.RelevanceEvaluator({"q": qrel}, measures).evaluate({"q": run})["q"]
        rr = pytrec_eval.RelevanceEvaluator({"q": qrel}, {"recip_rank"}).evaluate({"q": top10})
        for n in (1, 5, 10):
            assert ours[f"recall@{n}"] == pytest.approx(ref[f"recall_{n}"]), (hits, qrel)
        assert ours["ndcg@10"] == pytest.approx(ref["ndcg_cut_10"]), (hits, qrel)
        assert ours["mrr@10"] == pytest.approx(rr["q"]["recip_rank"]), (hits, qrel)


def test_documents_are_ranked_from_enough_passages() -> None:
    """A document's chunks follow one another in the passage ranking: the ten documents that
    @10 scores come from a deeper search than ten passages."""

    class ThreeChunksEach:  # passages of d0, d0, d0, d1, d1, d1, ...
        def search(self, question: str, k: int = 5) -> list[SimpleNamespace]:
            return [SimpleNamespace(sources=[SimpleNamespace(path=f"d{n // 3}")]) for n in range(k)]

    item = Item("q", {"d9": 1.0}, None)
    result = _run([item], ThreeChunksEach(), 5, str, None, answers=False)  # type: ignore[arg-type]
    assert result["recall@10"] == 1.0 and result["mrr@10"] == pytest.approx(0.1)
    assert result["recall@5"] == 0.0


def test_scores_carry_each_mean_with_its_standard_error() -> None:
    """The error bar is the sample standard deviation over sqrt(questions), in the score's
    unit (percentage points for EM/F1); a score from one question has none."""
    result = Scores({"recall@5": [1.0, 0.0, 1.0, 1.0], "f1": [1.0, 0.5], "mrr@10": [0.5]}, 4)
    assert list(result) == list(KEYS) and json.loads(json.dumps(result)) == dict(result)
    assert result["recall@5"] == 0.75 and result.stderr["recall@5"] == 0.25  # 0.5 / sqrt(4)
    assert result["f1"] == 75.0 and result.stderr["f1"] == 25.0  # 35.36 / sqrt(2), in points
    assert result["mrr@10"] == 0.5 and "mrr@10" not in result.stderr
    result.timed([10.0, 20.0, 30.0])
    assert result["query_ms_p50"] == 20.0 and result["query_ms_p95"] == 29.0

    table = format_table(result).splitlines()
    assert table[2].split() == ["recall@5", "0.75", "±", "0.25"]
    assert table[4].split() == ["mrr@10", "0.5"] and table[0].split() == ["queries", "4"]
    assert len({line.index(line.split()[1]) + len(line.split()[1]) for line in table}) == 1


def test_limit_is_a_seeded_sample_in_file_order() -> None:
    items = [Item(f"question {i}", {}, ()) for i in range(50)]
    picked = _sample(items, 7, seed=3)
    assert picked == [i for i in items if i in random.Random(3).sample(items, 7)]
    assert _sample(items, 7, seed=3) == picked and _sample(items, 7, seed=4) != picked
    assert _sample(items, 500, seed=0) == items


def test_squad_reader_one_document_per_paragraph() -> None:
    corpus, items = read_squad(shared_file("squad-v2.0-halfdev.json"))
    assert len(corpus) == 301 and len(items) == 2828
    unanswerable = [i for i in items if not i.golds]
    assert len(unanswerable) == 1529 and all(not i.relevant for i in unanswerable)
    answerable = [i for i in items if i.golds]
    assert all(len(i.relevant) == 1 and next(iter(i.relevant)) in corpus for i in answerable)


def test_beir_reader(tmp_path: Path) -> None:
    (tmp_path / "qrels").mkdir()
    docs = [{"_id": "d/1", "title": "One", "text": "First."}, {"_id": "d2", "text": "Second."}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    queries = [{"_id": "q1", "text": "first?"}, {"_id": "q2", "text": "none?"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (tmp_path / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td/1\t2\nq1\td2\t0\nq2\td2\t0\nq9\td2\t1\n"
    )
    corpus, items = read_beir(tmp_path)
    names = {doc_id: name for name, (doc_id, _) in corpus.items()}
    assert names["d2"] == "d2.txt" and re.fullmatch(r"d_1-[0-9a-f]{8}\.txt", names["d/1"])
    assert corpus[names["d/1"]][1] == "One\nFirst."
    # q2 has no relevant document and q9 no query text: only q1 is evaluated
    assert items == [Item("first?", {"d/1": 2.0, "d2": 0.0}, None, query_id="q1")]


def test_beir_sets_built_from_squad_read_as_beir(tmp_path: Path) -> None:
    """benchmarks/beir_from_squad.py: documents of several paragraphs under their article's
    title, and the same questions as asked and cut to their keywords, one relevant each."""
    from benchmarks.beir_from_squad import build

    made = build(shared_file("squad-v1.1-dev.json"), tmp_path, per_doc=3, limit=30, seed=0)
    assert made == {"documents": 348, "queries": 30}
    asked, cut = read_beir(tmp_path / "questions"), read_beir(tmp_path / "keywords")
    assert len(asked[0]) == len(cut[0]) == 348 and len(asked[1]) == len(cut[1]) == 30
    for question, keywords in zip(asked[1], cut[1], strict=True):
        assert question.relevant == keywords.relevant and len(question.relevant) == 1
        words = keywords.question.lower().split()
        assert words and not {"what", "which", "the", "of", "?"} & set(words)
        assert set(words) <= {w.strip('?,."').lower() for w in question.question.split()}
    doc_id = next(iter(asked[1][0].relevant))
    text = next(text for d, text in asked[0].values() if d == doc_id)
    assert text.count("\n\n") == 2  # the title line, then three paragraphs


def test_repeated_ids_and_unanswered_v1_questions_are_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by an audit: a repeated BEIR _id was indexed twice under one id and a repeated
    query silently replaced; a v1.1 question without answers was scored as unanswerable
    unsaid. Repeats are now read as BEIR's loader reads them (the last line wins), and said."""
    (tmp_path / "qrels").mkdir()
    docs = [
        {"_id": "d1", "text": "Old."},
        {"_id": "d1", "text": "New."},
        {"_id": "d2", "text": "Two."},
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    queries = [{"_id": "q1", "text": "old?"}, {"_id": "q1", "text": "new?"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (tmp_path / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    corpus, items = read_beir(tmp_path)
    assert sorted(corpus.values()) == [("d1", "New."), ("d2", "Two.")]
    assert [i.question for i in items] == ["new?"]
    assert "repeated _ids" in capsys.readouterr().err
    squad = tmp_path / "v1.json"
    qas = [{"id": "a", "question": "Who?", "answers": []}]
    data = [{"title": "T", "paragraphs": [{"context": "Some text.", "qas": qas}]}]
    squad.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    read_squad(squad)
    assert "have no answers and no 'is_impossible'" in capsys.readouterr().err
    code, _, err = run_eval(capsys, "--squad", str(tmp_path / "none.json"), "--seed", "3")
    assert code == 2 and "without --limit every question is asked" in err


def _squad_file(path: Path, data: Any) -> Path:
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    return path


def test_squad_mistakes_are_named_where_they_are(tmp_path: Path) -> None:
    """Found by an audit: these said "bad or missing 'list' object has no attribute 'get'" or
    "string indices must be integers", with no place; eval and train-reader share the check."""
    from qa.train import read_examples

    good = {"question": "Who?", "answers": [{"text": "Some", "answer_start": 0}]}
    cases = [
        ([["not", "an", "article"]], "article 1: expected an object with 'title'"),
        ([{"title": "T", "paragraphs": {"context": "x"}}], "article 1 ('T'): expected a list"),
        ([{"title": "T", "paragraphs": [{"context": 123, "qas": [good]}]}],
         "article 1 ('T'), paragraph 1: expected text as 'context', got int '123'"),
        ([{"title": "T", "paragraphs": [{"context": "Some text.", "qas": [
            good, {"question": "When?", "answers": {"text": "x", "answer_start": 0}}]}]}],
         "paragraph 1, question 2: expected a list of {'text', 'answer_start'} as 'answers'"),
        ([{"title": "T", "paragraphs": [{"context": "Some text.", "qas": [
            {"question": "Who?", "answers": [{"text": "Some", "answer_start": "abc"}]}]}]}],
         "question 1: 'answer_start' must be a whole number, not 'abc'"),
        ([{"title": "T", "paragraphs": [{"context": "Some text.", "qas": [
            {"question": "   ", "answers": []}]}]}], "question 1: the question is empty"),
    ]  # fmt: skip
    for data, message in cases:
        squad = _squad_file(tmp_path / "bad.json", data)
        for read in (read_squad, read_examples):
            with pytest.raises(EvalError) as caught:
                read(squad)
            assert message in str(caught.value) and str(squad) in str(caught.value), caught.value
            assert str(caught.value).count("is not a SQuAD") <= 1


def test_squad_paragraphs_repeated_empty_or_with_empty_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by an audit: a file that repeats the paragraph under each question made one
    document per copy, so a question's own copy ranked second behind its twin; an empty
    paragraph was reported by its cache path; an empty answer text matched every sentence."""
    text = "The Eiffel Tower was completed in 1889 for the World's Fair in Paris."
    data = [{"title": "Paris", "paragraphs": [
        {"context": text, "qas": [{"question": "When was it completed?",
                                   "answers": [{"text": "1889", "answer_start": 34}]}]},
        {"context": text, "qas": [{"question": "What was it built for?",
                                   "answers": [{"text": "", "answer_start": 0},
                                               {"text": "the World's Fair", "answer_start": 42}]}]},
        {"context": "  ", "qas": [{"question": "Lost?", "answers": []}]},
        {"context": "A paragraph without questions.", "qas": []},
    ]}]  # fmt: skip
    corpus, items = read_squad(_squad_file(tmp_path / "rep.json", data))
    err = capsys.readouterr().err
    assert sorted(t for _, t in corpus.values()) == ["A paragraph without questions.", text]
    assert [i.question for i in items] == ["When was it completed?", "What was it built for?"]
    assert items[0].relevant == items[1].relevant and len(items[0].relevant) == 1
    assert items[1].golds == ("the World's Fair",)
    assert "1 paragraphs of" in err and "article 1 paragraph 3" in err and "cache" not in err
    assert "1 answers of" in err and "empty text" in err


def test_questions_of_some_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--articles`` asks only those articles' questions, ``--skip-articles`` none of theirs
    (a file split between fitting a calibration and scoring it); an unknown title is an error
    naming it, and the flags need --squad."""
    text = "The tower was completed in 1889."
    qas = [{"question": "When?", "answers": [{"text": "1889", "answer_start": 27}]}]
    data = [{"title": t, "paragraphs": [{"context": f"{text} ({t})", "qas": qas}]}
            for t in ("Paris", "Rome", "Oslo")]  # fmt: skip
    path = _squad_file(tmp_path / "three.json", data)
    _, items = read_squad(path)
    titles = ["Paris", "Rome", "Oslo"]
    assert [i.article for i in of_articles(path, titles, items, ["Rome"])] == [1]
    assert [i.article for i in of_articles(path, titles, items, (), ["Rome"])] == [0, 2]
    assert of_articles(path, titles, items) == items
    with pytest.raises(EvalError, match="no article titled 'Lima'"):
        of_articles(path, titles, items, ["Lima"])
    with pytest.raises(EvalError, match="articles chosen"):
        of_articles(path, titles, items, ["Rome"], ["Rome"])
    code, _, err = run_eval(capsys, "--seeds-qa", str(DATA / "seeds-qa.jsonl"), "--articles", "X")
    assert code == 2 and "--articles does not apply" in err


def test_beir_mistakes_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by an audit: judged documents missing from the corpus counted as misses without a
    word, an infinite score made ndcg NaN (invalid JSON), an empty corpus named a cache path."""
    folder = tmp_path / "b"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": "d1", "text": "One."}, {"_id": "d2", "text": ""}, {"_id": "d3", "text": "3."}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    queries = [{"_id": "q1", "text": "one?"}, {"_id": "q2", "text": "two?"}]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    qrels = folder / "qrels" / "test.tsv"
    qrels.write_text("q1\td1\t1\nq2\td2\t1\nq2\tdX\t1\n")
    _, items = read_beir(folder)
    err = capsys.readouterr().err
    assert len(items) == 2 and "2 relevant documents" in err and "d2, dX" in err
    assert "1 queries can find none" in err
    qrels.write_text("q2\td2\t1\n")
    with pytest.raises(EvalError, match="none of the relevant documents"):
        read_beir(folder)
    qrels.write_text("q1\td1\tinf\n")
    with pytest.raises(EvalError, match="line 1: the score must be a finite number"):
        read_beir(folder)
    qrels.write_text("query_id\tdoc_id\tscore\tx\n")
    with pytest.raises(EvalError, match="a header line must read query-id"):
        read_beir(folder)
    with pytest.raises(EvalError, match=r"--split can be: test"):
        read_beir(folder, split="dev")
    with pytest.raises(EvalError, match="is a file, not a folder"):
        read_beir(folder / "corpus.jsonl")
    (folder / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "text": ""}) + "\n")
    with pytest.raises(EvalError, match="no documents with text in"):
        read_beir(folder)


def test_an_interrupted_corpus_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by an audit: Ctrl-C while an eval wrote its corpus left a .tmp-corpus-* folder
    of partial files in the cache, never reused nor removed."""
    from qa.evaluation import _write_corpus

    corpus = {f"{n}.txt": (str(n), f"Document {n}.") for n in range(20)}
    real = Path.write_text
    written: list[Path] = []

    def interrupted(self: Path, *args: Any, **kwargs: Any) -> int:
        if len(written) == 5:
            raise KeyboardInterrupt
        written.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _write_corpus(corpus, tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(Path, "write_text", real)
    folder, _ = _write_corpus(corpus, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]
    assert len(list(folder.glob("*.txt"))) == 20


@pytest.mark.slow
def test_eval_beir_does_not_count_the_query_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As BEIR evaluates ArguAna and Quora, whose queries are corpus documents too: finding
    the query's own document is not a hit, and does not take a rank (found by an audit),
    unless the qrels judge it relevant to that query."""
    texts = {
        "1": "How do I learn to play the violin as an adult beginner?",
        "2": "What is the best way for an adult beginner to learn the violin?",
        "3": "How can I improve my chess openings quickly?",
        "4": "Which chess openings should a beginner study first?",
        "5": "What is the boiling point of water at high altitude?",
    }
    (tmp_path / "q" / "qrels").mkdir(parents=True)
    folder = tmp_path / "q"
    rows = [json.dumps({"_id": i, "title": "", "text": t}) for i, t in texts.items()]
    (folder / "corpus.jsonl").write_text("\n".join(rows) + "\n")
    queries = [json.dumps({"_id": i, "text": texts[i]}) for i in ("1", "3", "5")]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n")
    # query 5 is judged relevant on document 5 itself: that one is a hit (an audit found it
    # dropped); query 1 is judged 0 on its own document: that one is still no rank (a review)
    qrels = "query-id\tcorpus-id\tscore\n1\t2\t1\n1\t1\t0\n3\t4\t1\n5\t5\t1\n"
    (folder / "qrels" / "test.tsv").write_text(qrels)
    argv = ["--beir", str(folder), "--mode", "bm25", "--rerank", "0"]
    argv += ["--cache-dir", str(tmp_path / "cache")]
    result, _ = scores(capsys, *argv, "--precision", "fp32")
    assert result["recall@1"] == 1.0 and result["mrr@10"] == 1.0
    # the cached index is one of fp32 vectors: another precision builds its own
    _, err = scores(capsys, *argv, "--precision", "bf16")
    assert "using the cached index" not in err
    _, err = scores(capsys, *argv, "--precision", "fp32")
    assert "using the cached index" in err


# --- the command ------------------------------------------------------------------------------


@pytest.mark.slow
def test_eval_beir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(shared_file("squad-v1.1-dev.json").read_text(encoding="utf-8"))
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    corpus, queries, qrels = [], [], []
    for article in data["data"][:2]:
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}/{p}"  # a "/" the file name must not keep
            corpus.append({"_id": doc_id, "title": article["title"], "text": paragraph["context"]})
            queries += [
                {"_id": qa["id"], "text": qa["question"], "doc": doc_id} for qa in paragraph["qas"]
            ]
    picked = queries[:: len(queries) // 40][:40]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus))
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    qrels = ["query-id\tcorpus-id\tscore"] + [f"{q['_id']}\t{q['doc']}\t1" for q in picked]
    (folder / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n")

    result, _ = scores(capsys, "--beir", str(folder), "--cache-dir", str(tmp_path / "cache"))
    assert result["queries"] == 40
    assert all(result[key] is None for key in ANSWER_KEYS)
    assert result["recall@10"] > 0.8 and 0 < result["ndcg@10"] <= 1
    assert result["recall@1"] <= result["recall@5"] <= result["recall@10"]
    assert result["query_ms_p50"] > 0 and result["index_seconds"] > 0


@pytest.mark.slow
def test_eval_squad_and_cached_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    squad = squad_subset(shared_file("squad-v1.1-dev.json"), tmp_path / "s.json", slice(0, 2))
    args = ("--squad", str(squad), "--limit", "20", "--cache-dir", str(tmp_path / "cache"))
    first, err = scores(capsys, *args)
    assert "using the cached index" not in err and "indexed 99 documents" in err
    assert first["queries"] == 20 and first["recall@5"] > 0.8
    assert 0 <= first["exact_match"] <= first["f1"] <= 100
    assert first["no_answer_accuracy"] is None and first["source_accuracy"] is None
    assert 0 <= first["has_answer_accuracy"] <= 1 and 0 <= first["answer_sentence_hit@1"] <= 1

    second, err = scores(capsys, *args)
    assert "using the cached index" in err
    assert second["index_seconds"] == first["index_seconds"]
    timing = {"query_ms_p50", "query_ms_p95"}
    assert {k: v for k, v in second.items() if k not in timing} == {
        k: v for k, v in first.items() if k not in timing
    }


def test_held_out_questions_are_those_of_the_last_articles(tmp_path: Path) -> None:
    squad = squad_subset(shared_file("squad-v1.1-dev.json"), tmp_path / "s.json", slice(0, 3))
    _, items = read_squad(squad)
    held = held_out(items, 1)
    assert {i.article for i in held} == {2} and len(held) == sum(i.article == 2 for i in items)
    assert all(next(iter(i.relevant)).startswith("002-") for i in held)
    for bad in (0, 4):
        with pytest.raises(EvalError, match="--holdout must be between 1 and 3"):
            held_out(items, bad)
    # a last article without questions is still an article, as train-reader counts it: its
    # --holdout 1 holds out that article, so eval must not score the one before it (found
    # by an audit: eval scored questions the reader had been trained on)
    from qa.evaluation import _parse_squad
    from qa.train import read_examples, split

    data = json.loads(squad.read_text(encoding="utf-8"))
    data["data"].append({"title": "Appendix", "paragraphs": [{"context": "End.", "qas": []}]})
    squad.write_text(json.dumps(data), encoding="utf-8")
    _, items, titles = _parse_squad(squad)
    articles = len(titles)
    titles, examples = read_examples(squad)
    assert articles == len(titles) == 4 and split(titles, examples, 1)[1] == []
    with pytest.raises(EvalError, match="no questions in held-out"):
        held_out(items, 1, articles)
    assert {i.article for i in held_out(items, 2, articles)} == {2}


@pytest.mark.slow
def test_eval_squad_closed_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--gold-context: the reader reads each question's own paragraph; no retrieval, no index."""
    squad = squad_subset(shared_file("squad-v1.1-dev.json"), tmp_path / "s.json", slice(20, 24))
    args = ("--squad", str(squad), "--gold-context", "--holdout", "2", "--limit", "40")
    result, err = scores(capsys, *args, "--cache-dir", str(tmp_path / "cache"))
    assert "indexed" not in err and not (tmp_path / "cache").exists()
    assert result["queries"] == 40 and result["recall@5"] is None
    assert result["answer_sentence_hit@1"] is None and result["index_seconds"] is None
    assert 25 <= result["exact_match"] <= result["f1"] <= 100  # measured 35.0 / 47.0
    assert result["f1"] >= 35  # well above an untrained head, which picks near-random spans
    assert result["query_ms_p50"] is not None


@pytest.mark.slow
def test_eval_squad_v2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    squad = squad_subset(shared_file("squad-v2.0-halfdev.json"), tmp_path / "v2.json", slice(0, 1))
    picked = _sample(read_squad(squad)[1], 20, seed=0)
    assert any(i.golds for i in picked) and any(not i.golds for i in picked)
    result, _ = scores(capsys, "--squad", str(squad), "--limit", "20", "--cache-dir", str(tmp_path))
    assert isinstance(result["no_answer_accuracy"], float)
    assert isinstance(result["has_answer_accuracy"], float)
    assert 0 <= result["exact_match"] <= result["f1"] <= 100
    # closed: --limit samples among the answerable questions, the only ones read
    closed, err = scores(capsys, "--squad", str(squad), "--gold-context", "--limit", "8")
    assert closed["queries"] == 8 and "without an answer are not read" in err


@pytest.mark.slow
def test_eval_seeds_qa(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--seeds-qa", str(DATA / "seeds-qa.jsonl"), "--cache-dir", str(tmp_path))
    result, _ = scores(capsys, *args)
    assert result["queries"] == 12
    for key in ("source_accuracy", "has_answer_accuracy", "answer_sentence_hit@1", "recall@5"):
        assert isinstance(result[key], float) and 0 <= result[key] <= 1
    assert result["no_answer_accuracy"] == 1.0  # both unanswerable questions abstain

    code, out, _ = run_eval(capsys, *args)  # the human table, with error bars
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines] == list(KEYS)
    ends = {line.index(line.split()[1]) + len(line.split()[1]) for line in lines}
    assert len(ends) == 1  # aligned: the values end in one column
    assert lines[0].split() == ["queries", "12"] and lines[1].split()[1] == str(result["recall@1"])
    f1 = next(line.split() for line in lines if line.startswith("f1 "))
    assert f1[1] == str(result["f1"]) and f1[2] == "±" and 0 < float(f1[3]) < 50


def _bad_beir(tmp_path: Path) -> list[str]:
    (tmp_path / "corpus.jsonl").write_text('{"_id": "1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q", "text": "x?"}\n')
    return ["--beir", str(tmp_path)]  # no qrels/test.tsv


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "SQuAD file not found"),
        ("malformed", "is not valid JSON"),
        ("not-squad", "is not a SQuAD"),
        ("bad-seeds-line", "line 2"),
        ("seeds-strings", "line 1: 'answers' and 'sources' must be lists"),
        ("seeds-empty-question", "question 2 of"),
        ("seeds-no-sources", "an answerable question needs its 'sources'"),
        ("no-qrels", "BEIR qrels not found"),
        ("misplaced", "--split does not apply"),
        ("closed-beir", "--gold-context does not apply"),
    ],
)
def test_bad_input(
    case: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    args = {
        "missing": ["--squad", str(tmp_path / "nope.json")],
        "malformed": ["--squad", str(bad)],
        "not-squad": ["--squad", str(bad)],
        "bad-seeds-line": ["--seeds-qa", str(bad)],
        "seeds-strings": ["--seeds-qa", str(bad)],
        "seeds-empty-question": ["--seeds-qa", str(bad)],
        "seeds-no-sources": ["--seeds-qa", str(bad)],
        "no-qrels": _bad_beir(tmp_path),
        "misplaced": ["--squad", str(bad), "--split", "dev"],
        "closed-beir": [*_bad_beir(tmp_path), "--gold-context"],
    }[case]
    bad.write_text(
        {
            "malformed": '{"data": [',
            "not-squad": '{"data": [{"title": "x"}]}',
            "bad-seeds-line": '{"question": "q?", "answers": [], "sources": []}\n{"question": 1}\n',
            "seeds-strings": '{"question": "Where?", "answers": "Kabul", "sources": "a.txt"}\n',
            "seeds-empty-question": '{"question": "Who?", "answers": []}\n{"question": " ", '
            '"answers": []}\n',
            "seeds-no-sources": '{"question": "Who?", "answers": ["Massoud"]}\n',
        }.get(case, "{}")
    )
    code, out, err = run_eval(capsys, *args, "--cache-dir", str(tmp_path / "cache"))
    assert code == 2 and out == ""
    assert err.startswith("qa: error:") and message in err and "Traceback" not in err
