"""Measure the system on third-party data: SQuAD v1.1/v2.0, BEIR, and ``seeds-qa.jsonl``.

Each evaluation indexes its corpus with the same pipeline users get (``qa.index.build``), into
a cache keyed by the corpus content and the index-relevant settings, then asks every question
through ``Searcher.search`` (retrieval metrics) and ``Answerer.ask`` (answer metrics).

Definitions (explicit, tested):
- Retrieval is scored on documents, not passages: the hits (the best ``DOCUMENT_DEPTH``
  passages, so that a document's several chunks do not crowd out ranks 2-10) are turned into a
  ranking of documents by first appearance, as trec_eval counts: every document takes a rank
  of its own, those of a hit that merged near-duplicate passages in the order it lists them,
  and a document seen before takes none (BEIR: nor the query's own document). recall@k =
  relevant documents in the first k ranks / all relevant documents (BEIR's definition),
  mrr@10 = 1 / rank of the first relevant one, ndcg@10 = DCG / ideal DCG with linear gain
  (binary for SQuAD and seeds-qa). Only questions with a
  relevant document are scored (an unanswerable question has none).
- exact_match / f1 follow the official SQuAD scripts (percentages, v2.0's rule that a question
  without gold answers has gold "" so that an empty prediction, i.e. abstaining, scores 100).
  The prediction is the short answer, else the first answer sentence, else "".
- SQuAD can be read in two settings so that retrieval and reading errors can be told apart:
  open (default: every paragraph is indexed, the answer comes from ``Answerer.ask``) and
  closed (``gold_context``: the reader reads the question's own paragraph, no retrieval;
  only exact_match / f1 and the reading time apply). ``holdout`` asks only the questions of
  the last N articles, those ``qa train-reader --holdout N`` kept out of training.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import random
import re
import secrets
import shutil
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from tqdm import tqdm

from qa.answer import Answer, Answerer
from qa.calibration import Calibration
from qa.config import Settings, default_corpus_dir
from qa.embedding import effective_precision
from qa.index import build, current_generation
from qa.retrieval import Searcher, _embedder, say

#: the result's keys, in this order (null where a score does not apply to the data)
# fmt: off
KEYS = (
    "queries", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
    "answer_sentence_hit@1", "exact_match", "f1", "no_answer_accuracy", "has_answer_accuracy",
    "source_accuracy", "index_seconds", "query_ms_p50", "query_ms_p95",
)
# fmt: on
#: passages searched per question to rank documents: a document's chunks follow one another
#: in the passage ranking, so ten passages can hold fewer than the ten documents @10 scores
DOCUMENT_DEPTH = 50
_PERCENT = frozenset({"exact_match", "f1"})
_PUNCTUATION = frozenset(string.punctuation)


class Scores(dict[str, Any]):
    """The result: exactly ``KEYS``, plus ``stderr``, each averaged score's standard error
    over the questions (same unit, absent where fewer than two questions count). On a few
    hundred questions a difference smaller than about two of these is noise."""

    def __init__(self, values: Mapping[str, Sequence[float]], queries: int) -> None:
        super().__init__(dict.fromkeys(KEYS))
        self["queries"] = queries
        self.stderr: dict[str, float] = {}
        for key, scores in values.items():
            scale = 100 if key in _PERCENT else 1
            self[key] = round(float(np.mean(scores)) * scale, 4)
            if len(scores) > 1:
                spread = float(np.std(scores, ddof=1)) / math.sqrt(len(scores))
                self.stderr[key] = round(spread * scale, 4)

    def timed(self, millis: Sequence[float]) -> None:
        """Set query_ms_p50 / p95 from the per-question times (none: left null)."""
        if millis:
            p50, p95 = np.percentile(millis, [50, 95])
            self["query_ms_p50"], self["query_ms_p95"] = round(p50, 1), round(p95, 1)


class EvalError(ValueError):
    """The evaluation data cannot be read; the message names the file and what is wrong."""


def default_cache_dir() -> Path:
    """``$QA_CACHE_DIR``, else ``~/.cache/qa/eval``: built indexes outlive one run."""
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "qa" / "eval")


# --- official SQuAD scoring -------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """The official SQuAD normalisation: lower case, no punctuation, no articles, one space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def squad_em_f1(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """Exact match (0 or 1) and token F1 (0..1), each the best over the gold answers.

    As in the official v2.0 script, golds that normalise to nothing are dropped and no gold
    at all means gold [""], where only an empty prediction scores 1.
    """
    golds = [g for g in golds if normalize_answer(g)] or [""]
    pred = normalize_answer(prediction).split()
    em = f1 = 0.0
    for gold in golds:
        truth = normalize_answer(gold).split()
        em = max(em, float(pred == truth))
        if not pred or not truth:
            f1 = max(f1, float(pred == truth))
            continue
        same = sum((Counter(pred) & Counter(truth)).values())
        if same:
            precision, recall = same / len(pred), same / len(truth)
            f1 = max(f1, 2 * precision * recall / (precision + recall))
    return em, f1


# --- ranking metrics --------------------------------------------------------------------------


def retrieval_metrics(
    hit_docs: Sequence[Sequence[str]], relevant: Mapping[str, float]
) -> dict[str, float]:
    """recall@1/5/10, mrr@10 and ndcg@10 of one question, from the documents of each hit.

    As trec_eval counts (and BEIR's published figures): every document takes a rank of its
    own, in the order of the hits and, inside a hit that merged near-duplicates, in the
    order it lists them; a document seen before takes none. Gains are the relevance grades,
    discounted by log2(rank + 1); the ideal ranking holds every judged relevant document.
    """
    ranking = list(dict.fromkeys(d for docs in hit_docs for d in docs))[:10]
    wanted = {d for d, g in relevant.items() if g > 0}
    if not wanted:
        raise ValueError("retrieval metrics need at least one relevant document")
    gains = [max(relevant.get(d, 0.0), 0.0) for d in ranking]
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    scores = {
        f"recall@{n}": len(wanted.intersection(ranking[:n])) / len(wanted) for n in (1, 5, 10)
    }
    scores["mrr@10"] = next((1 / (i + 1) for i, g in enumerate(gains) if g > 0), 0.0)
    scores["ndcg@10"] = sum(g / math.log2(i + 2) for i, g in enumerate(gains)) / idcg
    return scores


# --- readers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One question: its relevant documents (id -> gain) and gold answers.

    ``golds`` is None where there are no answers to score (BEIR) and empty for a question the
    documents do not answer.
    """

    question: str
    relevant: Mapping[str, float]
    golds: tuple[str, ...] | None
    article: int | None = None  # SQuAD: the article's position in the file
    query_id: str | None = None  # BEIR: a corpus document with this id is not counted


#: relative file path -> (document id, text): the corpus as it is written to disk
Corpus = dict[str, tuple[str, str]]


def squad_articles(data: Any, path: Path | str) -> list[Any]:
    """The articles of a parsed SQuAD file, or a clear error for another JSON shape."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise EvalError(
            f'{path} is not a SQuAD v1.1/v2.0 file: expected an object whose "data" is a list '
            "of articles"
        )
    articles: list[Any] = data["data"]
    return articles


@dataclass(frozen=True)
class SquadQuestion:
    """One question of a SQuAD file where it stands: ``qa eval`` and ``qa train-reader`` read
    files through the same checks, so they agree on what a file holds."""

    article: int
    paragraph: int
    context: str
    question: str
    golds: tuple[str, ...]  # empty: the paragraph does not answer it
    answer_start: int  # of golds[0]; -1 without answers


def squad_questions(
    path: Path | str,
) -> tuple[list[str], list[tuple[int, int, str]], list[SquadQuestion]]:
    """Article titles (every article, as ``--holdout`` counts them), the paragraphs with text
    as (article, paragraph, context), and every question, in file order. A structural mistake
    is one error naming the article, paragraph and question; an empty paragraph (its questions
    left out), an empty answer text and a question without answers that does not say
    ``is_impossible`` are warned about."""
    articles = squad_articles(_load_json(Path(path), "SQuAD file"), path)
    titles: list[str] = []
    paragraphs: list[tuple[int, int, str]] = []
    out: list[SquadQuestion] = []
    empty: list[str] = []
    empty_answers = unmarked = 0
    where = "the file"
    try:
        for a, article in enumerate(articles):
            where = f"article {a + 1}"
            _expect(article, dict, "an object with 'title' and 'paragraphs'")
            titles.append(str(article.get("title", a)))
            in_article = where = f"{where} ({titles[-1]!r})"
            for p, paragraph in enumerate(
                _expect(article.get("paragraphs"), list, "a list as 'paragraphs'")
            ):
                in_paragraph = where = f"{in_article}, paragraph {p + 1}"
                _expect(paragraph, dict, "an object with 'context' and 'qas'")
                context = _expect(paragraph.get("context"), str, "text as 'context'")
                questions = _expect(paragraph.get("qas", []), list, "a list as 'qas'")
                if not context.strip():
                    empty += [f"article {a + 1} paragraph {p + 1}"] if questions else []
                    continue
                paragraphs.append((a, p, context))
                for q, qa in enumerate(questions):
                    where = f"{in_paragraph}, question {q + 1}"
                    _expect(qa, dict, "an object with 'question' and 'answers'")
                    question = _expect(qa.get("question"), str, "text as 'question'")
                    if not question.split():
                        raise EvalError(f"{path}: {where}: the question is empty; remove it or "
                                        "give it text")  # fmt: skip
                    answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                    _expect(answers, list, "a list of {'text', 'answer_start'} as 'answers'")
                    texts: list[str] = []
                    start = -1
                    for answer in answers:
                        _expect(answer, dict, "{'text', 'answer_start'} in 'answers'")
                        text = _expect(answer.get("text"), str, "text as an answer's 'text'")
                        if not text.strip():
                            empty_answers += 1
                            continue
                        if not texts:
                            start = _answer_start(answer.get("answer_start"))
                        texts.append(text)
                    if not texts and "is_impossible" not in qa:
                        unmarked += 1
                    out.append(
                        SquadQuestion(a, p, context, question, tuple(dict.fromkeys(texts)), start)
                    )
    except _Shape as exc:
        raise EvalError(f"{path} is not a SQuAD v1.1/v2.0 file: {where}: {exc}") from None
    if empty:
        say(f"{len(empty)} paragraphs of {path} have no text; their questions are left out: "
            + ", ".join(empty[:5]) + (" …" if len(empty) > 5 else ""))  # fmt: skip
    if empty_answers:
        say(f"{empty_answers} answers of {path} have an empty text; they are left out")
    if unmarked:
        say(f"{unmarked} questions of {path} have no answers and no 'is_impossible': they are "
            "scored as questions the documents do not answer")  # fmt: skip
    return titles, paragraphs, out


class _Shape(ValueError):
    """A value of the wrong kind in a SQuAD file (caught and given its place)."""


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        got = "nothing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
        raise _Shape(f"expected {what}, got {got}")
    return value


def _answer_start(value: Any) -> int:
    if not isinstance(value, bool) and isinstance(value, (int, str)):
        try:
            return int(value)
        except ValueError:
            pass
    raise _Shape(f"'answer_start' must be a whole number, not {value!r}")


def read_squad(path: Path | str) -> tuple[Corpus, list[Item]]:
    """One document per paragraph; a question's relevant document is its own paragraph."""
    corpus, items, _ = _parse_squad(path)
    return corpus, items


def _parse_squad(path: Path | str) -> tuple[Corpus, list[Item], list[str]]:
    """``read_squad``'s corpus and questions, and the titles of every article of the file
    (with those that have no questions, as ``qa train-reader --holdout`` counts them). A
    paragraph text that occurs more than once (a file that repeats the paragraph under each
    of its questions) is one document, so every copy's questions find it."""
    titles, paragraphs, questions = squad_questions(path)
    corpus: Corpus = {}
    rel_of: dict[str, str] = {}
    for a, p, context in paragraphs:
        if context not in rel_of:
            slug = re.sub(r"[^A-Za-z0-9]+", "-", titles[a]).strip("-")
            rel = rel_of[context] = f"{a:03d}-{slug[:40] or 'article'}/{p:03d}.txt"
            corpus[rel] = (rel, context)
    items = [
        Item(q.question, {rel_of[q.context]: 1.0} if q.golds else {}, q.golds, q.article)
        for q in questions
    ]
    return corpus, _some(items, str(path)), titles


def read_beir(folder: Path | str, split: str = "test") -> tuple[Corpus, list[Item]]:
    """corpus.jsonl, queries.jsonl and qrels/<split>.tsv; only queries with qrels are kept."""
    folder = Path(folder)
    if not folder.is_dir():
        kind = "is a file, not a folder" if folder.exists() else "not found"
        raise EvalError(f"BEIR folder {kind}: {folder}")
    corpus: Corpus = {}
    docs: dict[str, str] = {}
    ids: list[str] = []
    for n, row in _jsonl(folder / "corpus.jsonl", "BEIR corpus"):
        try:
            doc_id, parts = str(row["_id"]), (row.get("title") or "", row.get("text") or "")
            ids.append(doc_id)
            text = "\n".join(_text(p).strip() for p in parts if _text(p).strip())
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalError(f"{folder}/corpus.jsonl line {n}: bad or missing {exc}") from None
        if text:
            docs[doc_id] = text  # as BEIR's loader reads them: a repeated _id's last line wins
    if not docs:
        raise EvalError(f"no documents with text in {folder}/corpus.jsonl")
    repeated = [d for d, n in Counter(ids).items() if n > 1]
    for doc_id, text in docs.items():
        corpus[_file_name(doc_id, corpus)] = (doc_id, text)
    queries: dict[str, str] = {}
    for n, row in _jsonl(folder / "queries.jsonl", "BEIR queries"):
        try:
            query_id = str(row["_id"])
            repeated += [f"query {query_id}"] if query_id in queries else []
            queries[query_id] = _text(row["text"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalError(f"{folder}/queries.jsonl line {n}: bad or missing {exc}") from None
    if repeated:
        say(f"repeated _ids in {folder}, the last line of each kept (as BEIR reads them): "
            + ", ".join(repeated[:10]) + (" …" if len(repeated) > 10 else ""))  # fmt: skip
    qrels: dict[str, dict[str, float]] = {}
    tsv = folder / "qrels" / f"{split}.tsv"
    if not tsv.exists() and (folder / "qrels").is_dir():
        splits = sorted(f.stem for f in (folder / "qrels").glob("*.tsv"))
        raise EvalError(f"BEIR qrels not found: {tsv} (--split can be: {', '.join(splits)})")
    for n, cells in enumerate(csv.reader(_read(tsv, "BEIR qrels").splitlines(), delimiter="\t"), 1):
        if not cells or (n == 1 and cells[0] == "query-id"):
            continue
        try:
            query_id, doc_id, score = cells
            gain = float(score)
        except ValueError:
            header = " (a header line must read query-id, corpus-id, score)" if n == 1 else ""
            raise EvalError(
                f"{tsv} line {n}: expected query-id, corpus-id, score{header}"
            ) from None
        if not math.isfinite(gain):
            raise EvalError(f"{tsv} line {n}: the score must be a finite number, not {score}")
        qrels.setdefault(query_id, {})[doc_id] = gain
    unknown = [q for q in qrels if q not in queries]
    if unknown:
        say(f"{len(unknown)} queries of {tsv} are not in queries.jsonl; skipped")
    items = [
        Item(queries[q], rel, None, query_id=q)
        for q, rel in qrels.items()
        if q in queries and any(g > 0 for g in rel.values())
    ]
    items = _some(items, f"{tsv} with a relevant document in queries.jsonl")
    judged = {d for i in items for d, g in i.relevant.items() if g > 0}
    absent = sorted(judged - docs.keys())
    if absent == sorted(judged):
        raise EvalError(f"none of the relevant documents of {tsv} is in {folder}/corpus.jsonl "
                        "with text")  # fmt: skip
    if absent:
        blind = sum(all(d not in docs for d, g in i.relevant.items() if g > 0) for i in items)
        shown = ", ".join(absent[:5]) + (" …" if len(absent) > 5 else "")
        say(f"{len(absent)} relevant documents of {tsv} are not in corpus.jsonl or have no "
            f"text ({shown}): they count as not found, as BEIR counts them ({blind} queries "
            "can find none of theirs)")  # fmt: skip
    return corpus, items


def read_seeds_qa(path: Path | str) -> list[Item]:
    """Lines of {"question", "answers", "sources"}; relevant documents are source file names."""
    items = []
    for n, row in _jsonl(Path(path), "seeds-qa file"):
        if not isinstance(row.get("answers", []), list) or not isinstance(
            row.get("sources", []), list
        ):
            raise EvalError(f"{path} line {n}: 'answers' and 'sources' must be lists")
        if row.get("answers") and not row.get("sources"):
            raise EvalError(f"{path} line {n}: an answerable question needs its 'sources'")
        try:
            golds = tuple(_text(a) for a in row["answers"])
            sources = {PurePath(_text(s)).name: 1.0 for s in row.get("sources", [])}
            items.append(Item(_text(row["question"]), sources if golds else {}, golds))
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalError(f"{path} line {n}: bad or missing {exc}") from None
    return _some(items, str(path))


def _some(items: list[Item], where: str) -> list[Item]:
    """Refuse an empty evaluation, or one with an empty question, before anything is
    indexed (naming the question, where ``ask`` would only say "the question is empty")."""
    if not items:
        raise EvalError(f"no questions in {where}")
    for n, item in enumerate(items, 1):
        if not item.question.split():
            which = f"query {item.query_id!r}" if item.query_id else f"question {n}"
            raise EvalError(f"{which} of {where} is empty; remove it or give it text")
    return items


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"text (got {type(value).__name__})")
    return value


def _file_name(doc_id: str, taken: Collection[str]) -> str:
    """A safe, unique .txt name for a document id (the id itself is kept in the corpus map)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", doc_id)[:80] or "doc"
    if safe != doc_id or f"{safe}.txt" in taken:
        safe += "-" + hashlib.blake2b(doc_id.encode(), digest_size=4).hexdigest()
    return f"{safe}.txt"


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a BOM is not part of the data
    except FileNotFoundError:
        raise EvalError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"cannot read the {what} {path}: {exc}") from None


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read(path, what))
    except json.JSONDecodeError as exc:
        raise EvalError(f"{path} is not valid JSON ({exc})") from None


def _jsonl(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(_read(path, what).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path} line {n} is not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise EvalError(f"{path} line {n} is not a JSON object")
        yield n, row


def _sample(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    """``Random(seed).sample`` of the questions in file order, kept in file order."""
    if limit is not None and limit < 1:
        raise EvalError(f"--limit must be positive, not {limit}")
    if limit is None or limit >= len(items):
        return items
    return [items[i] for i in sorted(random.Random(seed).sample(range(len(items)), limit))]


# --- cached corpus and index ------------------------------------------------------------------


def _digest(value: Any) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=8).hexdigest()


def _write_corpus(corpus: Corpus, cache_dir: Path) -> tuple[Path, str]:
    """The corpus as .txt files in a folder named by its content hash, written once."""
    key = _digest(sorted(corpus.items()))
    folder = cache_dir / f"corpus-{key}"
    if (folder / ".ids.json").exists():
        return folder, key
    tmp = cache_dir / f".tmp-corpus-{key}-{secrets.token_hex(3)}"
    try:
        for rel, (_, text) in corpus.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text, encoding="utf-8")
        ids = {rel: doc_id for rel, (doc_id, _) in corpus.items()}
        (tmp / ".ids.json").write_text(json.dumps(ids, ensure_ascii=False, indent=0), "utf-8")
        tmp.rename(folder)
    except OSError:  # another run wrote the same corpus meanwhile
        if not (folder / ".ids.json").exists():
            raise
    finally:  # also on Ctrl-C: no half-written corpus is left in the cache
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, key


def _cached_index(
    folder: Path, corpus_key: str, settings: Settings, cache_dir: Path
) -> tuple[Searcher, float | None]:
    """A searcher on the index of ``folder``, built or reused (we say which), and the seconds
    its build took, recorded beside it so a cached run reports the original figure."""
    precision = effective_precision(settings.precision)  # the vectors differ by precision
    key = _digest(
        {
            "corpus": corpus_key,
            "model": settings.model,
            "precision": precision,
            **settings.chunker_params(),
        }
    )
    settings = settings.with_(index_dir=cache_dir / f"index-{key}")
    info_path = cache_dir / f"index-{key}.json"
    embedder = _embedder(settings)
    _ = embedder.model  # load the weights first: index_seconds times the build, not this
    before = current_generation(settings.index_dir)
    started = time.perf_counter()
    index = build(folder, settings, embedder, progress=True, warn=say, rebuild=False)
    seconds: float | None = time.perf_counter() - started
    counts = f"{index.manifest['counts']['documents']} documents, "
    counts += f"{index.manifest['counts']['chunks']} chunks"
    if index.generation == before:
        info = _read_info(info_path)
        seconds = info.get("seconds") if info.get("generation") == index.generation else None
        built = f"built in {seconds:.1f} s" if seconds is not None else "build time unknown"
        say(f"using the cached index {settings.index_dir}/ ({counts}; {built})")
    else:
        info = {"seconds": seconds, "generation": index.generation, "source": str(folder)}
        info_path.write_text(json.dumps(info, indent=1), encoding="utf-8")
        say(f"indexed {counts} into {settings.index_dir}/ in {seconds:.1f} s")
    return Searcher(index, embedder, settings), seconds


def _read_info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


# --- running ----------------------------------------------------------------------------------


def _run(
    items: list[Item],
    searcher: Searcher,
    k: int,
    doc_of: Callable[[str], str],
    index_seconds: float | None,
    answers: bool = True,
    check_sources: bool = False,
) -> Scores:
    """Ask every question; retrieval metrics from the documents of the best ``DOCUMENT_DEPTH``
    passages, answer metrics from ask.

    query_ms times ``ask`` (retrieval included), or the search itself without answers.
    """
    answerer = Answerer(searcher) if answers else None
    searcher.search(items[0].question, k=max(DOCUMENT_DEPTH, k))  # warm-up, not measured
    if answerer is not None:
        answerer.ask(items[0].question, k=k)  # loads spaCy
    values: dict[str, list[float]] = defaultdict(list)
    millis: list[float] = []
    for item in tqdm(items, desc="evaluating", unit="q", file=sys.stderr, disable=None):
        if item.relevant:
            started = time.perf_counter()
            hits = searcher.search(item.question, k=max(DOCUMENT_DEPTH, k))
            if answerer is None:
                millis.append((time.perf_counter() - started) * 1000)
            # as BEIR evaluates (ignore_identical_ids): in ArguAna or Quora each query is also
            # a corpus document, and finding the query itself is not a hit; a document the
            # qrels judge for that query is kept (BEIR would drop it, a silent miss)
            docs = [
                [
                    d
                    for d in (doc_of(s.path) for s in hit.sources)
                    if d != item.query_id or item.relevant.get(d, 0) > 0  # unless relevant
                ]
                for hit in hits
            ]
            for key, value in retrieval_metrics(docs, item.relevant).items():
                values[key].append(value)
        if answerer is not None and item.golds is not None:
            started = time.perf_counter()
            answer = answerer.ask(item.question, k=k)
            millis.append((time.perf_counter() - started) * 1000)
            _score_answer(item, item.golds, answer, values, check_sources)
    result = Scores(values, len(items))
    result["index_seconds"] = None if index_seconds is None else round(index_seconds, 2)
    result.timed(millis)
    return result


def shown_answer(answer: Answer) -> str:
    """What EM/F1 score: the short answer, else the first answer sentence ("" abstaining)."""
    if answer.short_answer is not None:
        return answer.short_answer
    return answer.sentences[0].text if answer.sentences else ""


def _score_answer(
    item: Item,
    golds: tuple[str, ...],
    answer: Answer,
    values: dict[str, list[float]],
    check_sources: bool,
) -> None:
    """Add one answer's scores: EM/F1 always, the rest by whether the question has an answer."""
    first = answer.sentences[0].text if answer.sentences else ""
    em, f1 = squad_em_f1(shown_answer(answer), golds)
    values["exact_match"].append(em)
    values["f1"].append(f1)
    if not golds:
        values["no_answer_accuracy"].append(float(answer.abstained))
        return
    values["has_answer_accuracy"].append(float(not answer.abstained))
    hit = not answer.abstained and any(g.casefold() in first.casefold() for g in golds)
    values["answer_sentence_hit@1"].append(float(hit))
    if check_sources:
        cited = {PurePath(c.path).name for c in answer.citations}
        cited |= {PurePath(s.path).name for c in answer.citations for s in c.also_in}
        values["source_accuracy"].append(
            float(not answer.abstained and bool(cited & {*item.relevant}))
        )


def _mapped(folder: Path, corpus: Corpus) -> Callable[[str], str]:
    """Hit path -> document id (the path itself for a file not in the corpus map)."""
    ids = {f"{folder}/{rel}": doc_id for rel, (doc_id, _) in corpus.items()}
    return lambda path: ids.get(path, path)


def _evaluate_corpus(
    corpus: Corpus,
    items: list[Item],
    settings: Settings,
    k: int | None,
    cache_dir: Path | str | None,
    answers: bool,
) -> Scores:
    """Write the corpus, index it (or reuse the index) and run the questions."""
    cache = _cache(cache_dir)
    folder, key = _write_corpus(corpus, cache)
    searcher, seconds = _cached_index(folder, key, settings, cache)
    return _run(items, searcher, k or settings.k, _mapped(folder, corpus), seconds, answers)


def evaluate_squad(
    path: Path | str,
    settings: Settings,
    limit: int | None = None,
    seed: int = 0,
    k: int | None = None,
    cache_dir: Path | str | None = None,
    gold_context: bool = False,
    holdout: int | None = None,
    articles: Sequence[str] = (),
    skip_articles: Sequence[str] = (),
) -> Scores:
    """Retrieval and answer scores on a SQuAD v1.1 or v2.0 file (all paragraphs indexed), or
    with ``gold_context`` the reader's scores on each question's own paragraph. Only the
    questions of ``articles`` (titles) are asked where given, none of ``skip_articles``."""
    corpus, items, titles = _parse_squad(path)
    if holdout is not None:
        items = held_out(items, holdout, len(titles))
    items = of_articles(path, titles, items, articles, skip_articles)
    if gold_context:  # only answerable questions are read: --limit samples among them
        answerable = [i for i in items if i.golds and i.relevant]
        if len(answerable) < len(items):
            say(f"{len(items) - len(answerable)} questions without an answer are not read")
        answerable = _some(answerable, f"{path} with an answer (--gold-context reads only those)")
        return _run_closed(_sample(answerable, limit, seed), corpus, settings)
    items = _sample(items, limit, seed)
    return _evaluate_corpus(corpus, items, settings, k, cache_dir, answers=True)


def of_articles(
    path: Path | str,
    titles: Sequence[str],
    items: list[Item],
    keep: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> list[Item]:
    """The questions of the articles titled ``keep`` (all when empty), less those of ``skip``,
    of the file at ``path`` whose article titles are ``titles``: a file's articles split
    between fitting a calibration and scoring it."""
    if not keep and not skip:
        return items
    unknown = sorted((set(keep) | set(skip)) - set(titles))
    if unknown:
        raise EvalError(f"{path} has no article titled {', '.join(map(repr, unknown))}")
    chosen = [
        i
        for i in items
        if i.article is not None
        and (not keep or titles[i.article] in keep)
        and titles[i.article] not in skip
    ]
    return _some(chosen, f"{path}, articles chosen")


def held_out(items: list[Item], holdout: int, articles: int | None = None) -> list[Item]:
    """The questions of the last ``holdout`` of the file's ``articles`` (the split of ``qa
    train-reader``; without the count, the articles up to the last one with a question)."""
    if articles is None:
        articles = 1 + max((i.article for i in items if i.article is not None), default=-1)
    if not 1 <= holdout <= articles:
        raise EvalError(f"--holdout must be between 1 and {articles} articles, not {holdout}")
    first = articles - holdout
    return _some([i for i in items if i.article is not None and i.article >= first], "held-out")


def _run_closed(items: list[Item], corpus: Corpus, settings: Settings) -> Scores:
    """The reader on each (answerable) question's gold paragraph: exact_match, f1, read
    time."""
    from qa.reader import reader_for

    reader = reader_for(settings)
    texts = {rel: text for rel, (_, text) in corpus.items()}
    answerable = items
    reader.read(answerable[0].question, [texts[next(iter(answerable[0].relevant))]])  # warm-up
    values: dict[str, list[float]] = defaultdict(list)
    millis: list[float] = []
    for item in tqdm(answerable, desc="reading", unit="q", file=sys.stderr, disable=None):
        started = time.perf_counter()
        spans = reader.read(item.question, [texts[rel] for rel in item.relevant])
        millis.append((time.perf_counter() - started) * 1000)
        best = max((s for s in spans if s is not None), key=lambda s: s.score, default=None)
        em, f1 = squad_em_f1(best.text if best else "", item.golds or ())
        values["exact_match"].append(em)
        values["f1"].append(f1)
    result = Scores(values, len(answerable))
    result.timed(millis)
    return result


def evaluate_beir(
    folder: Path | str,
    settings: Settings,
    split: str = "test",
    limit: int | None = None,
    seed: int = 0,
    k: int | None = None,
    cache_dir: Path | str | None = None,
) -> Scores:
    """Retrieval scores on a BEIR dataset folder (answer keys are null: BEIR has no answers)."""
    corpus, items = read_beir(folder, split)
    items = _sample(items, limit, seed)
    return _evaluate_corpus(corpus, items, settings, k, cache_dir, answers=False)


def evaluate_seeds_qa(
    path: Path | str,
    settings: Settings,
    corpus: Path | str | None = None,
    k: int | None = None,
    cache_dir: Path | str | None = None,
) -> Scores:
    """Scores on a seeds-qa.jsonl file over a folder of documents (default seeds/)."""
    items = read_seeds_qa(path)
    folder = Path(corpus) if corpus is not None else default_corpus_dir()
    if not folder.is_dir():
        raise EvalError(f"corpus folder not found: {folder}")
    folder = folder.resolve()
    searcher, seconds = _cached_index(folder, f"folder:{folder}", settings, _cache(cache_dir))
    indexed = {_file_name_of(d.path) for d in searcher.index.documents.values()}
    missing = sorted({name for i in items for name in i.relevant} - indexed)
    if missing:
        say(f"sources not among the indexed documents of {folder} (they count as misses): "
            + ", ".join(missing))  # fmt: skip
    return _run(items, searcher, k or settings.k, _file_name_of, seconds, check_sources=True)


def _file_name_of(path: str) -> str:
    """seeds-qa lists sources by file name, wherever the corpus folder is."""
    return PurePath(path).name


def _cache(cache_dir: Path | str | None) -> Path:
    """The cache folder, created, as an absolute path (indexes record their source's path)."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvalError(f"cannot create the cache folder {cache}: {exc}") from None
    return cache.resolve()


def format_table(result: Mapping[str, Any]) -> str:
    """The scores as aligned columns, "-" where a score does not apply, and "± standard
    error" beside each score that has one (a ``Scores``)."""
    errors: Mapping[str, float] = getattr(result, "stderr", {})
    width = max(len(key) for key in result)
    return "\n".join(
        f"{key:<{width}}  {'-' if value is None else value:>10}"
        + (f"  ± {errors[key]}" if key in errors else "")
        for key, value in result.items()
    )


# --- calibrating abstention -------------------------------------------------------------------


def calibrate(
    files: Sequence[Path | str],
    settings: Settings,
    articles: Sequence[str] = (),
    skip_articles: Sequence[str] = (),
    seeds_qa: Path | str | None = None,
    limit: int | None = None,
    seed: int = 0,
    cache_dir: Path | str | None = None,
) -> tuple[Calibration, Path]:
    """Fit the abstention rule of ``settings``' reader on the questions of SQuAD ``files``
    (their chosen articles; every paragraph indexed) and, where given, seeds-qa over seeds/,
    and save it as ``calibration.json`` in the reader's folder (``qa.calibration``)."""
    from qa import calibration as cal
    from qa.reader import reader_for

    everything = settings.with_(**cal.ANSWER_ALL)
    cache = _cache(cache_dir)
    parts: list[cal.Asked] = []
    described: list[dict[str, Any]] = []
    parsed = [(path, *_parse_squad(path)) for path in files]
    every = {t for *_, titles in parsed for t in titles}
    unknown = sorted((set(articles) | set(skip_articles)) - every)
    if unknown:  # a title may name an article of any one of the files
        raise EvalError(f"no file has an article titled {', '.join(map(repr, unknown))}")
    for path, corpus, items, titles in parsed:
        keep = [t for t in articles if t in titles]
        if articles and not keep:
            continue  # none of the chosen articles is in this file
        skip = [t for t in skip_articles if t in titles]
        items = _sample(of_articles(path, titles, items, keep, skip), limit, seed)
        searcher, _ = _cached_index(*_write_corpus(corpus, cache), everything, cache)
        say(f"asking {len(items)} questions of {Path(path).name} with abstention off")
        parts.append(cal.ask_all(Answerer(searcher), items))
        unanswerable = sum(not i.golds for i in items)
        described.append(
            {"file": Path(path).name, "questions": len(items), "unanswerable": unanswerable}
        )
    fitting = cal.Asked(
        np.concatenate([p.score for p in parts]),
        np.concatenate([p.odds for p in parts]),
        np.concatenate([p.f1 for p in parts]),
        np.concatenate([p.answerable for p in parts]),
    )
    seeds = None
    if seeds_qa is not None:
        folder = default_corpus_dir().resolve()
        searcher, _ = _cached_index(folder, f"folder:{folder}", everything, cache)
        seeds = cal.ask_all(Answerer(searcher), read_seeds_qa(seeds_qa))
    weight, threshold, seeds_right = cal.fit(fitting, seeds)
    if seeds is not None and not seeds_right:
        say("no rule keeps every seeds-qa question right; the best F1 rule is kept")
    accuracies = fitting.measure(weight, threshold)
    if seeds is not None:
        accuracies["seeds_qa_right"] = seeds.measure(weight, threshold)["right"]
    fitted_on = {
        "files": described,
        "articles": list(articles) or "all",
        "skip_articles": list(skip_articles),
        "questions": len(fitting.f1),
        "unanswerable": int((~fitting.answerable).sum()),
        "seeds_qa": Path(seeds_qa).name if seeds_qa is not None else None,
        "objective": "best balanced F1 (the mean of answer F1 on answerable questions and "
        "no-answer accuracy on unanswerable ones) among the rules keeping every seeds-qa "
        "question right",
        "settings": {"mode": settings.mode, "k": settings.k, "rerank": settings.rerank},
    }
    found = Calibration(threshold, weight, 0.0, fitted_on, accuracies)
    folder = reader_for(settings).folder
    return found, cal.save(folder, found)
