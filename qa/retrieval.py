"""Questions in, passages out: each hit with every place (file, offsets, page) it comes from.

``search()`` is the one-line API; :class:`Searcher` is the class underneath it for callers that
keep an index open.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunking import Chunk
from qa.config import DEFAULT_INDEX_DIR, Settings, default_corpus_dir
from qa.embedding import Embedder
from qa.index import Index, IndexMismatch, IndexMissing, build, current_generation
from qa.names import AUXILIARIES, WH_WORDS
from qa.reader import Reader, Span, reader_for
from qa.spelling import Speller

MAX_QUERY_CHARS = 2_000  # the model reads 256 tokens; longer questions are cut, not refused
#: what one step of -log(retrieval rank) is worth against the reader's log-odds when
#: reranking; measured on held-out SQuAD articles (benchmarks/RESULTS.md, "Reranking")
RERANK_RANK_WEIGHT = 4.0
#: times the candidate depth is quadrupled when near-duplicate merging leaves fewer than k
#: distinct passages (a passage copied into many files fills the candidates with copies)
MAX_WIDENINGS = 2


#: what marks a question, as against a keyword query, a title or a claim: a wh-word among its
#: first three words ("Who ...", "In what year ...", not a relative clause further on), a
#: leading auxiliary verb or imperative ("Did ...", "Name ..."), a blank to fill, or a question
#: mark at the end (ASCII, full-width or Arabic; closing quotes and brackets may follow it)
_QUESTION = re.compile(
    r"[?？؟][\s\"'”’»)\]]*$|_{2,}"
    rf"|^\W*(?:\w+\W+){{0,2}}({WH_WORDS})\b"
    rf"|^\W*({AUXILIARIES}|name|list|give|identify)\b",
    re.IGNORECASE,
)


class QueryError(ValueError):
    """The question cannot be searched (empty, only whitespace or control characters)."""


@dataclass(frozen=True)
class Source:
    """One place a passage occurs: ``document_text[start:end]`` is the passage, from ``page``
    to ``page_end`` (PDF; a passage can run onto the next page)."""

    path: str
    title: str
    start: int
    end: int
    page: int | None = None
    page_end: int | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved passage. ``sources`` is a list: the same passage may occur in several files;
    ``text`` is exactly the first one's document text from ``start`` to ``end``."""

    text: str
    score: float
    rank: int
    sources: list[Source]
    chunk_id: int
    scores: dict[str, float] = field(default_factory=dict)
    #: every span the reader found in ``sources[0]``, when it read it: the passage's own and
    #: each table row's (``Reader.read_views``)
    spans: tuple[Span, ...] = ()
    read: bool = False  # the reader read this passage (no spans: it found none)

    @property
    def span(self) -> Span | None:
        """The reader's best span in the passage (None if unread or none found)."""
        return max(self.spans, key=lambda s: s.score, default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "chunk_id": self.chunk_id,
            "sources": [s.__dict__ for s in self.sources],
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }


@lru_cache(maxsize=4)
def whole_words(model_dir: Path) -> frozenset[str]:
    """The embedding model's vocabulary entries that are whole lower-case words (WordPiece's
    ``vocab.txt``): words a question may hold that no document does, and that are right."""
    vocab = model_dir / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    lines = vocab.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


#: a terminal control sequence ("\x1b[31m" sets red)
_TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def clean_query(query: str) -> str:
    """The question as the model should see it, or a :class:`QueryError` saying why not."""
    if not isinstance(query, str):
        raise QueryError("the question must be text")
    text = _TERMINAL_CODE.sub(" ", query)  # a pasted colour code's "[31m" is no question
    text = "".join(ch if ch.isprintable() or ch in "\t\n" else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise QueryError("the question is empty")
    return text[:MAX_QUERY_CHARS]


def is_question(query: str) -> bool:
    """Whether the query asks something the reader can answer from a passage. Only questions
    are reranked by the reader: a keyword query or a claim has no answer span to find, and
    the reader's odds then reorder passages worse than retrieval did (benchmarks/RESULTS.md,
    "Only questions are reranked")."""
    return bool(_QUESTION.search(query))


def check_k(k: object) -> None:
    """How many passages to return or read: a whole number from 1 (a QueryError otherwise)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise QueryError(f"k (passages) must be a whole number of at least 1, not {k!r}")


class Searcher:
    """An open index plus the model that embeds questions for it."""

    def __init__(
        self, index: Index, embedder: Embedder, settings: Settings, reader: Reader | None = None
    ) -> None:
        index.check(settings, embedder.identity())
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._reader = reader
        self._speller: Speller | None = None
        self._copies_by_doc: dict[int, dict[str, list[tuple[int, int]]]] = {}

    @property
    def reader(self) -> Reader:
        """The short-answer reader (loaded on first use: plain search may never need it)."""
        if self._reader is None:
            self._reader = reader_for(self.settings)
        return self._reader

    def read_as(self, question: str) -> str:
        """``question`` with its misspelt words read as the documents' own (``qa.spelling``;
        unchanged with ``spelling`` off). The word list is made on the first question."""
        if not self.settings.spelling:
            return question
        if self._speller is None:
            texts = (doc.text for doc in self.index.documents.values())
            self._speller = Speller.of(texts, whole_words(self.embedder.model_dir))
        return self._speller.correct(question)

    @classmethod
    def open(
        cls, index_dir: Path | str | None = None, settings: Settings | None = None
    ) -> Searcher:
        """Open an existing index; raises IndexMissing / IndexMismatch / IndexCorrupt."""
        settings = settings or Settings.from_env()
        if index_dir is not None:
            settings = settings.with_(index_dir=Path(index_dir))
        return cls(Index.open(settings.index_dir), _embedder(settings), settings)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` passages that best match the question, best first."""
        text = self.read_as(clean_query(query))
        check_k(k)
        mode = self.settings.mode
        query_vector = self.embedder.encode([text])[0] if mode in {"dense", "hybrid"} else None
        merge = self.settings.merge_duplicates
        # the reader reads the top ``rerank`` passages with their copies, merged or not, so
        # both lists are reordered alike and merging (afterwards) can drop no document
        rerank = self.settings.rerank if is_question(query) else 0  # uncut: its "?" is last
        depth = max(k, self.settings.candidates)
        for widen in range(MAX_WIDENINGS + 1):
            ranked, lexical, best_sentence = self._ranked(text, query_vector, depth)
            distinct = self._merge_duplicates(ranked) if merge or rerank else ranked
            # a passage copied into many files fills the candidates with its copies: look
            # deeper while that leaves too few distinct passages and there are more to see
            more = len(ranked) >= depth and depth < len(self.index.chunks)
            if len(distinct) >= max(k, rerank) or not more or widen == MAX_WIDENINGS:
                break
            depth *= 4
        bm25_scores = dict(lexical)
        reading = _prefix(ranked, distinct, rerank) if rerank else 0
        shown = _prefix(ranked, distinct, k) if merge else k
        pool = ranked[: max(reading, shown)]
        hits = []
        for rank, (chunk_id, score) in enumerate(pool, 1):
            scores = {"bm25": bm25_scores.get(chunk_id, 0.0)} if mode != "dense" else {}
            if query_vector is not None:
                scores["dense"] = self._cosine(query_vector, chunk_id)
                scores["sentence"] = best_sentence.get(chunk_id) or self._best_sentence(
                    query_vector, chunk_id
                )
            if mode == "hybrid":
                scores["fused"] = score
            hits.append(self._hit(rank, chunk_id, score, scores, copies=False))
        if reading and hits:
            read = self.rerank(text, hits[:reading])
            floor = read[-1].score  # the rest keep retrieval order below the reranked ones
            hits = read + [replace(h, score=min(h.score, floor)) for h in hits[len(read) :]]
        if merge:  # after reranking, which saw the list unmerged: so no document is dropped
            kept = {c for c, _ in self._merge_duplicates([(h.chunk_id, h.score) for h in hits])}
            hits = [h for h in hits if h.chunk_id in kept][:k]
            # every document carrying the passage, listed only for the hits returned
            return [
                replace(h, rank=r, sources=self._sources(h.chunk_id)) for r, h in enumerate(hits, 1)
            ]
        return hits[:k]

    def _ranked(
        self, text: str, query_vector: np.ndarray | None, depth: int
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], dict[int, float]]:
        """The mode's ranking of the best ``depth`` candidates of each retriever, the BM25
        list, and the best-sentence cosines found on the way."""
        dense: list[tuple[int, float]] = []
        best_sentence: dict[int, float] = {}
        lexical: list[tuple[int, float]] = []
        if query_vector is not None:
            dense, best_sentence = self._dense(query_vector, depth)
        if self.settings.mode in {"bm25", "hybrid"}:
            chunks = self.index.chunks
            lexical = [(chunks[i].id, s) for i, s in self.index.bm25.search(text, depth)]
        if self.settings.mode == "dense":
            return dense, lexical, best_sentence
        if self.settings.mode == "bm25":
            return lexical, lexical, best_sentence
        return rrf([dense, lexical], self.settings.rrf_k), lexical, best_sentence

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        """The hits reordered by the reader, read in one batch; each keeps the span read.

        A passage's reader evidence is log(P(best span) / P(no answer here)), the reader's
        own odds that the passage answers (sharper for a reader trained with
        ``qa train-reader --negatives``); it is added to ``RERANK_RANK_WEIGHT`` x
        -log(retrieval rank), so the reader reorders what retrieval is unsure of without
        discarding its order.
        """
        if not hits:
            return hits
        first: dict[str, Hit] = {}
        for hit in hits:  # a hit's text is its first source's; copies are read once
            first.setdefault(hit.text, hit)
        found = self.reader.read_views(question, self.places(list(first.values())))
        read = dict(zip(first, found, strict=True))
        scored = []
        for hit in hits:
            hit = replace(hit, spans=tuple(read[hit.text]), read=True)
            odds = -50.0 if hit.span is None else hit.span.log_odds
            score = odds - RERANK_RANK_WEIGHT * math.log(hit.rank)
            scored.append((score, replace(hit, scores={**hit.scores, "reader": odds})))
        scored.sort(key=lambda sh: -sh[0])
        return [replace(h, rank=r, score=s) for r, (s, h) in enumerate(scored, 1)]

    def places(self, hits: Sequence[Hit]) -> list[tuple[str, int, int]]:
        """Each hit as (its first source's document text, start, end): what the reader reads
        (``Reader.read_views``), so a table row in a passage keeps its column names."""
        return [
            (self.index.by_path[h.sources[0].path].text, h.sources[0].start, h.sources[0].end)
            for h in hits
        ]

    def _merge_duplicates(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Drop a passage that is a near-duplicate of a better-ranked one: that one lists its
        document among its sources, so no document is lost, only the repetition."""
        index = self.index
        kept: list[tuple[int, float]] = []
        for chunk_id, score in ranked:
            chunk = index.by_id[chunk_id]
            copied = chunk_id in index.copies and any(
                self._copy_of(chunk, index.by_id[other]) for other, _ in kept
            )
            if not copied:
                kept.append((chunk_id, score))
        return kept

    def _copy_of(self, chunk: Chunk, other: Chunk) -> bool:
        """Each of the two passages is recorded as carried by the other's document, there."""

        def carried(a: Chunk, b: Chunk) -> bool:
            return any(s < b.end and b.start < e for s, e in self._copies_in(a.id, b.doc_id))

        return chunk.doc_id != other.doc_id and carried(chunk, other) and carried(other, chunk)

    def _copies_in(self, chunk_id: int, doc_id: str) -> list[tuple[int, int]]:
        """The spans of ``doc_id`` recorded as carrying the passage (grouped once per passage:
        a passage copied into hundreds of files is checked against one of them at a time)."""
        by_doc = self._copies_by_doc.get(chunk_id)
        if by_doc is None:
            by_doc = self._copies_by_doc[chunk_id] = {}
            for doc, s, e in self.index.copies.get(chunk_id, []):
                by_doc.setdefault(doc, []).append((s, e))
        return by_doc.get(doc_id, [])

    def _dense(
        self, query_vector: np.ndarray, depth: int
    ) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """Passages ranked by cosine of the whole passage plus ``sentence_weight`` x that of
        its best sentence: a question is mostly answered by one sentence, which the passage's
        one vector dilutes (benchmarks/RESULTS.md, "Retrieval settings").

        Candidates are the ``depth`` nearest passages and the passages of the ``3 * depth``
        nearest sentences; the best-sentence cosines are returned too, for the hit's scores.
        """
        index = self.index
        whole = dict(index.search_vectors(query_vector[None, :], depth)[0])
        scanned = {
            int(index.row_chunk[r]) for r in index.nearest_sentences(query_vector, 3 * depth)
        }
        candidates = set(whole) | scanned
        best = {c: self._best_sentence(query_vector, c) for c in candidates}
        weight = self.settings.sentence_weight
        scored = [
            (c, (whole[c] if c in whole else self._cosine(query_vector, c)) + weight * best[c])
            for c in candidates
        ]
        scored.sort(key=lambda cs: (-cs[1], cs[0]))
        return scored[:depth], best

    def _best_sentence(self, query_vector: np.ndarray, chunk_id: int) -> float:
        """Cosine of the passage's best sentence (elementwise: no BLAS threads that would spin
        against the model's own on a small CPU)."""
        start, end = self.index.sentence_rows[chunk_id]
        if end <= start:
            return 0.0
        return float((self.index.sentence_vectors[start:end] * query_vector).sum(axis=1).max())

    def _cosine(self, query_vector: np.ndarray, chunk_id: int) -> float:
        return float((self.index.faiss_index.reconstruct(chunk_id) * query_vector).sum())

    def _hit(
        self, rank: int, chunk_id: int, score: float, scores: dict[str, float], copies: bool
    ) -> Hit:
        chunk = self.index.by_id[chunk_id]
        sources = self._sources(chunk_id, copies)
        return Hit(chunk.text, score, rank, sources, chunk_id, scores)

    def _sources(self, chunk_id: int, copies: bool = True) -> list[Source]:
        """The passage's own place, then (``copies``) its near-duplicates in other files."""
        chunk = self.index.by_id[chunk_id]
        doc = self.index.documents[chunk.doc_id]
        last = doc.page_at(chunk.end - 1)
        sources = [Source(doc.path, doc.title, chunk.start, chunk.end, chunk.page, last)]
        for doc_id, start, end in self.index.copies.get(chunk_id, []) if copies else []:
            other = self.index.documents[doc_id]
            pages = other.page_at(start), other.page_at(end - 1)
            sources.append(Source(other.path, other.title, start, end, *pages))
        return sources


def _prefix(ranked: list[tuple[int, float]], distinct: list[tuple[int, float]], n: int) -> int:
    """How much of the unmerged ranking holds its first ``n`` passages that are not copies of
    one another (``distinct``, in order), the copies of each among them included."""
    if len(distinct) <= n:
        return len(ranked)
    following = distinct[n][0]  # the first passage beyond them
    return next(i for i, (c, _) in enumerate(ranked) if c == following)


def rrf(rankings: list[list[tuple[int, float]]], k: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings an item appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


_EMBEDDERS: dict[tuple[str, str, int], Embedder] = {}
_SEARCHERS: dict[tuple[Path, Settings], Searcher] = {}


def _embedder(settings: Settings) -> Embedder:
    """One loaded model per (model, precision, batch): loading it is the slow part."""
    key = (settings.model, settings.precision, settings.batch_size)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = Embedder(settings)
    return _EMBEDDERS[key]


def say(message: str) -> None:
    print(f"qa: {message}", file=sys.stderr, flush=True)


def open_searcher(settings: Settings, source: Path | str | None = None) -> Searcher:
    """A searcher on ``settings.index_dir``, building or rebuilding the index when needed.

    No index yet: the default folder is built from ``seeds/`` (or ``source``) and we say so;
    another folder without an index is an error naming the command to build it. An index built
    with other model or chunker settings is rebuilt from the folder it was built from.
    """
    key = (settings.index_dir.resolve(), settings)
    cached = _SEARCHERS.get(key)
    if cached is not None and current_generation(settings.index_dir) == cached.index.generation:
        return cached
    try:
        searcher = Searcher.open(settings=settings)
    except IndexMissing:
        if source is None and settings.index_dir != DEFAULT_INDEX_DIR:
            raise IndexMissing(
                f"no index in {settings.index_dir}/; build one with: "
                f"qa index FOLDER --index-dir {settings.index_dir}"
            ) from None
        corpus = Path(source) if source is not None else default_corpus_dir()
        say(f"no index in {settings.index_dir}/ yet: building it from {corpus}/")
        build(corpus, settings, _embedder(settings), warn=say)
        searcher = Searcher.open(settings=settings)
    except IndexMismatch as exc:
        corpus_dir = exc.source_dir
        if corpus_dir is None or not corpus_dir.is_dir():
            raise
        given = Path(exc.source) if exc.source else None
        if given is not None and given.is_dir() and given.resolve() == corpus_dir.resolve():
            corpus_dir = given  # as it was indexed, so the documents' paths stay as they were
        say(f"the index in {settings.index_dir} was built with other settings "
            f"({'; '.join(exc.differences)}): rebuilding it now from {corpus_dir}/")  # fmt: skip
        build(corpus_dir, settings, _embedder(settings), warn=say)
        searcher = Searcher.open(settings=settings)
    _SEARCHERS[key] = searcher
    return searcher


def search(
    query: str, k: int = 5, index_dir: Path | str | None = None, **settings: Any
) -> list[Hit]:
    """The ``k`` best passages for ``query`` from the index in ``index_dir`` (default vectors/).

    Extra keyword arguments are :class:`~qa.config.Settings` fields (model, precision, ...).
    """
    config = Settings.from_env(index_dir=index_dir, **settings)
    return open_searcher(config).search(query, k=k)
