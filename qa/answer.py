"""Answers with citations: the sentences that answer a question, and where each comes from.

Policy (explicit, tested):
- Candidate sentences are the sentences of the retrieved passages (offsets kept).
- Each is scored by ``answer_weight_dense`` x cosine(question, sentence) with the same
  embedding model, plus the rest x the IDF-weighted share of the question's words it contains.
  Only the sentences whose score can decide the answer are encoded (``Answerer._score``).
- The short answer comes from the reader (qa/reader.py): it reads the retrieved passages in
  one batch and points at the best span of each. The spans compete on the reader's score
  plus ``SENTENCE_WEIGHT`` x the score of the sentence holding them; the winner's sentence is
  the answer sentence, with the span emphasised inside it.
- The winner is the answer only when the evidence is strong enough: its sentence's score
  (retrieval) plus ``answer_odds_weight`` x the reader's log-odds that the span, not "no
  answer here" ([CLS]), is right must reach ``min_confidence``, and the log-odds must reach
  ``min_answer_odds``. Otherwise the answer is "not found", with the closest passages shown
  as such: never a confident wrong answer. The ``confidence`` reported is that answer score
  (clipped to 0..1), so an answer is given exactly when it reaches ``min_confidence``.
- A yes/no question ("Is the jug dishwasher safe?") is answered by its sentence: the reader
  can only point at words, and those it points at ("the base") would read as its answer. The
  short answer is "Yes" or "No" where the sentence says so plainly (qa/replies.py), else none.
- Citation numbers follow the order of the answer's sentences; citation n is the n-th source
  in the list, and identical sentences found in several files are one citation with
  ``also_in`` sources.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from qa import calibration
from qa.bm25 import tokenize
from qa.calibration import Calibration
from qa.config import Settings
from qa.documents import Document
from qa.kinds import Kind, an_amount, expects, fits
from qa.names import (
    AUXILIARIES,
    WH_WORDS,
    conflicts,
    mentioned_numbers,
    numbers,
    runs,
    stop_words,
    unnamed,
)
from qa.reader import Reader, Span, asks, reader_for, row_view
from qa.replies import Reply, reply
from qa.retrieval import Hit, Searcher, Source, clean_query, open_searcher
from qa.tables import has_table

NOT_FOUND = "Not found in these documents."

#: why an answer was withheld: nothing retrieved; the reader found no span in the passages;
#: the best answer's score fell below ``min_confidence``; or it cleared that but the reader's
#: log-odds fell below ``min_answer_odds``; or its document never mentions a number the
#: question gives ("revenue in 2021" of a report on 2024); or it asks for an amount of money
#: and no answer read is one ("How much is her salary?" of "1.84 million customers")
AbstainReason = Literal[
    "no_passages", "no_span", "low_score", "low_odds", "unmatched_number", "no_amount"
]

_WORD = re.compile(r"\w+")
#: "Who is James Okafor?": a name, all of the question after "is", asked to be described
#: (not "Who is Ahmad Massoud's father?"). The reader trained on SQuAD rarely
#: saw one; it finds the description but with odds below "no answer", or answers another name
_WHO_IS = re.compile(
    r"^\W*(?i:who)\s+(?i:is|was)\s+(?P<name>[A-Z][\w.'’-]*"
    r"(?:\s+(?:[A-Z][\w.'’-]*|de|da|di|du|van|von|der|den|la|le|al|bin|of))*?)\s*\??\s*$"
)
#: what joins a description to the name it describes: "Unite's regional officer, James
#: Okafor", "James Okafor, Unite's regional officer", "Massoud, who was known as the Lion …"
_BEFORE_NAME = re.compile(r"\s*,\s*")
_AFTER_NAME = re.compile(
    r"\s*(?:,\s*(?:who\s+(?:is|was)\s+)?|\s(?:is|was)\s+)(?:known\s+as\s+)?(?:the\s+|an?\s+)?"
)
#: a question that asks about what is not so ("Which lock was not rebuilt?"); lower case,
#: so not "What is the No. 1 song?", "a no-fly zone" nor a "Nor'easter"
_NEGATED = re.compile(
    r"\b(?:no(?!\.?\s*\d)|not|never|none|nothing|nobody|neither|nor|cannot)\b(?![-'’])|n't\b"
)
#: asking for a cause or a fix, not for what is not so: "Why won't it turn on?" is answered
#: by "Check that the batteries are charged."
_TROUBLE = re.compile(r"^\W*(?:why|what\s+if|how\s+(?:do|can|should)\s+(?:i|we|you))\b", re.I)
#: a sentence that says something is not so, or only so, or otherwise: it can answer a
#: negated question ("unable to legislate", "lacks", "all except Lock 3", "still stands")
_NEGATIVE = re.compile(
    r"\b(?:no|not|never|none|nothing|nobody|neither|nor|without|cannot|lack(?:s|ed|ing)?"
    r"|fail(?:s|ed|ing)?|except|instead|rather|only|refus(?:e|es|ed)|den(?:y|ies|ied)"
    r"|reject(?:s|ed)?|absent|exclud(?:e|es|ed|ing)|prevent(?:s|ed)?|avoid(?:s|ed)?"
    r"|neglect(?:s|ed)?|ignor(?:e|es|ed)|unless|other\s+than|un(?:able|known|like|likely"
    r"|clear|successful|sure|aware|available|paid|fit|usual|til|less|touched)"
    r"|miss(?:es|ed|ing)?|omit(?:s|ted)?|declin(?:e|es|ed)|forbid(?:s|den)?|prohibit(?:s|ed)?"
    r"|ban(?:s|ned)?|barred|abstain(?:s|ed)?|remain(?:s|ed)?|still|closed?|stop(?:s|ped)?"
    r"|abandon(?:s|ed)?|postpon(?:e|es|ed)|cancel(?:s|led|ed)?|halt(?:s|ed)?|against)\b|n't\b",
    re.I,
)
#: a question answered yes or no ("Is the jug dishwasher safe?"), not "which …", nor a
#: choice ("Is it the jug or the base?"): the reader can only point at words, and the words
#: it points at ("the base") would read as the answer. Such an answer is its sentence.
_YES_NO = re.compile(rf"^\W*(?:{AUXILIARIES})(?:n't)?\b(?!.*\b(?:{WH_WORDS}|or)\b)", re.IGNORECASE)
#: a bare reply that starts its line and ends where the sentence starts ("No. The jug …",
#: "Yes.\nThe plate …"); not one that answered the question before it on its line
_REPLY = re.compile(r"^[ \t]*((?:yes|no)[.!])[ \t]*\n?[ \t]*$", re.IGNORECASE | re.MULTILINE)
#: a sentence opening with its reply: "No. The T2 connects only …", "Yes, it does." (not
#: "No. 10 Downing Street", nor "Yes, Minister", a title)
_OPENING_REPLY = re.compile(r"(yes|no)(?:(?=[.!]\s)(?!\.\s*\d)|(?=,\s+(?-i:[a-z])))", re.I)
#: a question asking for steps to follow: "How do I reset …?", "How can we book …?", "How to …"
_HOW_TO = re.compile(
    r"^\W*how\s+(?:(?:do|can|should)\s+(?:i|we|you)(?!\s+(?:know|tell)\b)|to)\b", re.IGNORECASE
)
_PRONOUN_START = re.compile(
    r"^\W*(he|she|they|it|this|these|that|those|his|her|their|its)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Question:
    """What the answer module reads off a question before looking at any passage."""

    text: str
    weights: dict[str, float]  # content-word stem -> IDF in this index
    names: list[set[str]] = field(default_factory=list)  # its names' words ("Kestrel Aviation")
    numbers: set[str] = field(default_factory=set)  # the numbers it gives ("2021", "3")
    negated: bool = False  # it asks what is not so (not a yes/no question)
    expects: Kind | None = None  # the kind of answer it asks for (``qa.kinds``)


@dataclass(frozen=True)
class Citation:
    """Citation ``number``: the sentence ``start:end`` in the document at ``path``."""

    number: int
    path: str
    title: str
    start: int
    end: int
    page: int | None
    page_end: int | None  # the page of its last character (PDF)
    passage: Source  # the retrieved passage the sentence was found in
    answer_start: int | None = None  # the short answer inside the document, if any
    answer_end: int | None = None
    also_in: list[Source] = field(default_factory=list)
    #: the file's absolute path, for a script run elsewhere than where ``qa index`` ran
    #: (``path`` is as indexed, relative to that folder); None if the index cannot say
    file: str | None = None


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
    #: the answer score (``answer_score``, clipped to 0..1) of the best reading: an answer is
    #: given when it reaches ``min_confidence`` (and its log-odds ``min_answer_odds``); when
    #: abstaining, how close the best one came (0 when the reader found no span at all)
    confidence: float
    short_answer: str | None
    sentences: list[AnswerSentence]
    citations: list[Citation]
    hits: list[Hit]  # the passages read (the closest ones when abstaining)
    seconds: float
    #: the short answer's log-odds against "no answer here", and its sentence's own score
    #: (retrieval, 0..1); when abstaining, the best reading's, which fell short
    reader_odds: float | None = None
    sentence_score: float | None = None
    #: why it abstained (None when it answered), so no caller has to guess it from the numbers
    abstain_reason: AbstainReason | None = None
    #: the question as it was read, when a misspelt word was corrected (``qa.spelling``)
    read_as: str | None = None
    #: the answer score an answer needed (the reader's calibration, or the setting given)
    min_confidence: float = 0.0

    def why_not_found(self, min_confidence: float | None = None) -> str:
        """What an abstention says after "Not found": how close the best reading came, not
        that nothing answers ("" when it answered)."""
        if min_confidence is None:
            min_confidence = self.min_confidence
        if not self.abstained:
            return ""
        if self.abstain_reason == "no_passages":
            return "No passage of the index matched the question."
        got, needs = apart(self.confidence, min_confidence)
        scored = f"the best answer read in them scored {got}"
        why = {
            "no_span": "the reader found no answer in them",
            "low_score": f"{scored}, below the {needs} an answer needs",
            "low_odds": f"{scored} (an answer needs {needs}), but the reader "
            'judged "no answer here" more likely than the answer it found',
            "unmatched_number": "the best answer read in them comes from a document that "
            + _unmentioned(sorted(numbers(self.question), key=float)),
            "no_amount": "the question asks for an amount of money, and no answer read in "
            "them is one",
        }.get(self.abstain_reason or "")
        return f"The closest passages are listed below; {why}." if why else ""

    def paths(self) -> list[str]:
        """Every file the answer shows: its citations', then the passages' (copies too)."""
        cited = [c.path for c in self.citations]
        return cited + [s.path for h in self.hits for s in h.sources]

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "read_as": self.read_as,
            "answer": self.text,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "reader_odds": _rounded(self.reader_odds, 3),
            "sentence_score": _rounded(self.sentence_score),
            "abstain_reason": self.abstain_reason,
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


def apart(score: float, threshold: float) -> tuple[str, str]:
    """Both numbers with the fewest decimals (2 to 4) that show them differ: "scored 0.53,
    below the 0.53" would contradict itself (0.5261 against 0.5275)."""
    for digits in (2, 3, 4):
        a, b = f"{score:.{digits}f}", f"{threshold:.{digits}f}"
        if a != b:
            break
    return a, b


def _to_comma(text: str, end: int, limit: int) -> int:
    """``end`` moved to the comma that closes its phrase, when one does within five words
    ("CityLink" → "CityLink's managing director" of "Helen Price, CityLink's managing
    director, said …"); else ``end``."""
    comma = text.find(",", end, limit)
    rest = text[end:comma]
    return (
        comma if comma >= 0 and len(rest.split()) <= 5 and not re.search(r"[.;:!?]", rest) else end
    )


def _a_name(span: str) -> bool:
    """Whether ``span`` is a name and nothing else: in "Mary Smith, John Brown and James
    Okafor", "Mary Smith" is beside "John Brown" but does not describe him."""
    words = set(tokenize([span])[0])
    return bool(words) and any(words <= name for name in runs(span))


def _unmentioned(asked: list[str]) -> str:
    if len(asked) == 1:
        return f"never mentions {asked[0]}, which the question asks about"
    return f"does not mention every number the question gives ({', '.join(asked)})"


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class _Candidate:
    text: str
    sources: list[tuple[Source, Source]]  # (sentence place, passage it came from)
    score: float = 0.0
    overlap: float = 0.0  # IDF-weighted share of the question's words it contains
    damping: float = 1.0  # its score's factor: NAME_CONFLICT when it names a look-alike
    words: set[str] = field(default_factory=set)  # the stems its score reads (``_score``)
    entity: tuple[str, int, int] | None = None  # short answer and its offsets in ``text``
    reader: Span | None = None  # the reader's span that made it the answer
    wording: str = ""  # what its score reads, when not ``text``: a table row with its columns
    table: bool = False  # a line of a table (its header too)
    reply: Reply | None = None  # "Yes" or "No" to a yes/no question, said by ``text``

    groups: set[tuple[str, int, int]] = field(default_factory=set)  # near-duplicate spans
    twin_places: set[tuple[str, int]] = field(default_factory=set)
    later: list[Source] = field(default_factory=list)

    def add(self, place: Source, passage: Source) -> None:
        if all(s.path != place.path or s.start != place.start for s, _ in self.sources):
            self.sources.append((place, passage))


@dataclass(frozen=True)
class _Read:
    """A reader span placed in its document: ``path`` text ``start:end``."""

    span: Span
    path: str
    start: int
    end: int
    hit: int = 0  # which retrieved passage it was read in


def _holder(ranked: list[_Candidate], read: _Read) -> tuple[_Candidate, int] | None:
    """The candidate sentence holding the span's start, and which of its places that is."""
    for cand in ranked:
        for n, (place, _) in enumerate(cand.sources):
            if place.path == read.path and place.start <= read.start < place.end:
                return cand, n
    return None


#: what ends a span but not its answer: the sentence's full stop after a number or a word
#: ("room 204." is "room 204"), a comma, a colon; not the stop of "U.S." or "Inc."
_TRAILING = re.compile(r"(?:(?<=\d)|(?<=[a-zß-öø-ÿ]{3}))\.$|[,;:]$")


#: a closing mark and what opens it: one the span does not open is not part of it
_CLOSERS = {'"': '"', "”": "“", "`": "`", ")": "(", "]": "["}  # not ’: "the Joneses’"


def _unopened(span: str, opener: str, closer: str) -> bool:
    """Whether ``span`` closes more than it opens (a quote or backtick: an odd count)."""
    if opener == closer:
        return span.count(closer) % 2 == 1
    return span.count(closer) > span.count(opener)


def _unpunctuated(text: str, start: int, end: int) -> int:
    """Where the short answer ``text[start:end]`` ends without its trailing punctuation, or
    a closing quote, backtick or bracket it does not open ("-|-`" is "-|-")."""
    while end - start > 1:
        last = text[end - 1]
        opener = _CLOSERS.get(last)
        unopened = opener is not None and _unopened(text[start:end], opener, last)
        if not unopened and not _TRAILING.search(text, start, end):
            break
        end -= 1
        while end - start > 1 and text[end - 1].isspace():
            end -= 1
    return end


def _adds_to(other: _Candidate, best: _Candidate, margin: float) -> bool:
    """Whether ``other`` is worth quoting after ``best``: it scores within the margin, is
    not a table row (a row answers for its own row only) nor a question, and says more than
    a headline does: four words or more, ending as a sentence does. A heading or a title
    line ("Corvala Water Trust — Annual Report 2024", "Leakage and the network") matches the
    question's topic but answers nothing; an audit found them quoted as second sentences.
    Nor may it repeat any of ``best``'s text (a sentence and the same sentence with the "She
    …" after it are one quote, not two)."""
    if other.score < margin or len(_WORD.findall(other.text)) < 4 or other.table:
        return False
    ending = other.text.rstrip(" *_\"”’')]")
    if ending.endswith("?") or not ending.endswith((".", "!", "…")):  # asks, or a heading
        return False
    return not any(
        o.path == b.path and o.start < b.end and b.start < o.end
        for o, _ in other.sources
        for b, _ in best.sources
    )


_Place = tuple[str, int, int]  # (document id, start, end), as the index's sentence groups
_TWIN_GAP = 3  # characters between two sentences that follow one another (a space, "\n\n")


def _run_twins(first: list[_Place], last: list[_Place], joined: bool) -> list[_Place]:
    """Near-duplicates of a candidate sentence in other documents. A pronoun sentence joined
    to the sentence before it ("The dam was completed in 1968. Its reservoir …") has a twin
    where both of its sentences have one in the same document: from the first's start to the
    last's end, the same run there."""
    if not joined:
        return last
    return [
        (doc, s, e2)
        for doc, s, e in first
        for doc2, s2, e2 in last
        if doc2 == doc and 0 <= s2 - e <= _TWIN_GAP  # the next sentence there, not any later
    ]


#: how many sentences beyond those holding reader spans get a full score (``_deciding``)
OTHER_SENTENCES = 4

#: what a sentence's score (0..1) is worth in reader logits when spans of different passages
#: compete; measured on held-out SQuAD articles (benchmarks/RESULTS.md, "Reader")
SENTENCE_WEIGHT = 20.0


#: what a question word in a sentence's document headline, not in the sentence, counts for
#: when spans of different sentences compete, as a share of that word in the sentence
TITLE_SHARE = 0.5
#: a headline: 2 to 12 words, not ending as a sentence does (a SQuAD paragraph file's
#: "title" is its first 200 characters, which is no headline)
_HEADLINE = re.compile(r"\S+(?:\s+\S+){1,11}(?<![.!?])")

#: a sentence naming a look-alike of the question's name, not the name ("Kestrel Motors" for
#: "Kestrel Aviation"), has its score multiplied by this (``qa.names.conflicts``)
NAME_CONFLICT = 0.5
#: the factor of a sentence whose document never names a name the question gives
#: (``names.unnamed``); on held-out SQuAD 2.0 (replayed) 0.5 took no-answer accuracy from
#: 0.277 to 0.367 for 0.026 of has-answer accuracy, which a higher ``min_confidence``
#: buys for only 0.01 (benchmarks/RESULTS.md, "Numbers and names the documents never give")
NAME_MISSING = 0.5
#: the factor of a sentence that says nothing is not so, for a question that asks what is
#: not so: it likely answers the opposite question ("Why did the operation succeed?" of
#: "… failed because …"). Replayed on held-out SQuAD 2.0 this took no-answer accuracy
#: from 0.365 to 0.510 for 0.004 of has-answer accuracy and 0.03 v1.1 F1
#: (benchmarks/RESULTS.md, "Negated questions")
NEGATION_MISMATCH = 0.5


def answer_score(sentence_score: float, log_odds: float, calibration: Calibration) -> float:
    """The evidence an answer is judged on: its sentence's score (retrieval) plus
    ``answer_odds_weight`` x the reader's clipped log-odds that the span, not "no answer
    here", is right. One score instead of two vetoes lets a strong reading vouch for a
    weakly worded sentence and the other way round (fitted per reader: qa/calibration.py)."""
    return calibration.score(sentence_score, log_odds)


class Answerer:
    """Chooses answer sentences from a searcher's passages and cites them."""

    def __init__(self, searcher: Searcher, reader: Reader | None = None) -> None:
        self.searcher = searcher
        self.settings = searcher.settings
        self.reader = reader if reader is not None else reader_for(self.settings)
        #: the abstention rule of this reader (its calibration.json, with any setting given)
        self.calibration = calibration.for_settings(self.settings, self.reader.folder)

    def ask(self, question: str, k: int | None = None) -> Answer:
        started = time.perf_counter()
        asked = clean_query(question)
        text = self.searcher.read_as(asked)
        read_as = text if text != asked else None
        hits = self.searcher.search(text, k=self.settings.k if k is None else k)
        profile = self.profile(text)
        candidates = self._candidates(hits)
        spans = self._of_kind(profile, self._read(text, hits))
        if candidates:
            self._score(profile, candidates, spans)
        chosen, score, reason, best = self._choose(profile, candidates, spans)
        if not chosen:
            seconds = time.perf_counter() - started
            why: AbstainReason = (reason or "no_span") if hits else "no_passages"
            odds, sentence = best or (None, None)  # how the best reading fell short
            return Answer(
                question, NOT_FOUND, True, score, None, [], [], hits, seconds,
                reader_odds=odds, sentence_score=sentence, abstain_reason=why, read_as=read_as,
                min_confidence=self.calibration.min_confidence,
            )  # fmt: skip
        answer = self._compose(question, chosen, score, hits, time.perf_counter() - started)
        return replace(answer, read_as=read_as)

    def profile(self, question: str) -> Question:
        """Content words with their IDF here (the word-overlap half of a sentence's score)."""
        bm25 = self.searcher.index.bm25
        n = max(bm25.size, 1)
        stop = stop_words()
        stems = {t for t in tokenize([question])[0] if t not in stop and len(t) > 1}
        weights = {t: math.log(1 + n / (1 + bm25.df(t))) for t in stems}
        # a yes/no question may give a number the documents contradict ("Is the warranty
        # 2 years?" of "three years"): its sentence answers it
        yes_no = _YES_NO.match(question) is not None
        asked = set() if yes_no else numbers(question)
        negated = _NEGATED.search(question) is not None
        negated = negated and not yes_no and not _TROUBLE.match(question)
        kind = expects(question)
        return Question(question, weights, runs(question, question=True), asked, negated, kind)

    def _candidates(self, hits: list[Hit]) -> list[_Candidate]:
        """Sentences of the passages; identical ones (chunk overlap, copied text) are one
        candidate with several sources. A sentence that opens with a pronoun brings the
        sentence before it, which says who "he" is."""
        index = self.searcher.index
        by_text: dict[str, _Candidate] = {}
        for hit in hits:
            for passage in hit.sources:  # a merged hit: every copy's own wording competes
                self._add_sentences(by_text, index.by_path[passage.path], passage)
        return list(by_text.values())

    def _add_sentences(
        self, by_text: dict[str, _Candidate], doc: Document, passage: Source
    ) -> None:
        """The sentences of one passage of ``doc`` as candidates."""
        index = self.searcher.index
        run: tuple[int, int] | None = None  # the sentence "he", "this", ... refer to
        previous_end = 0
        asked = ""  # the FAQ question just before this sentence, if it follows one
        lookback = max(0, passage.start - 1_000)  # the sentence before the passage may be it
        for a, b in index.sentences_in(doc.id, lookback, passage.end):
            same_paragraph = "\n\n" not in doc.text[previous_end:a]
            heading = asked if doc.text.count("\n", previous_end, a) <= 2 else ""
            asked = doc.text[a:b] if asks(doc.text[a:b]) else ""
            previous_end = b
            if run is None or not same_paragraph or not _PRONOUN_START.match(doc.text[a:b]):
                run = (a, b)  # a sentence of its own (a new paragraph starts afresh)
            start = run[0]
            if a < passage.start:
                continue
            sentence = doc.text[start:b]
            cand = by_text.setdefault(" ".join(sentence.split()), _Candidate(sentence, []))
            if has_table(doc.text, start, b):
                cand.table = True
                if (row := row_view(doc.text, start, b)) is not None:
                    cand.wording = row.text
            elif heading:  # a FAQ's answer is scored as about its question
                cand.wording = f"{heading.strip()} {sentence}"
            page = doc.page_at(start)
            shown = passage if start >= passage.start else replace(passage, start=start, page=page)
            cand.add(Source(doc.path, doc.title, start, b, page, doc.page_at(b - 1)), shown)
            joined = start < a
            first = index.twins((doc.id, *run)) if joined else []  # else the same as last
            cand.groups.update(_run_twins(first, index.twins((doc.id, a, b)), joined))

    def _merge_near_duplicates(self, ranked: list[_Candidate]) -> list[_Candidate]:
        """Near-duplicate sentences (lightly edited copies) become one candidate: the best
        scoring wording, citing every document that carries one of them."""
        kept: list[_Candidate] = []
        for cand in ranked:
            places = {(s.path, s.start) for s, _ in cand.sources}
            home = next((k for k in kept if k.twin_places & places), None)
            if home is not None:
                for place, passage in cand.sources:
                    home.add(place, passage)
                continue
            for place in self._twins(cand):
                cand.twin_places.add((place.path, place.start))
                cand.later.append(place)
            kept.append(cand)
        for cand in kept:
            for place in cand.later:
                cand.add(place, place)
        return kept

    def _twins(self, cand: _Candidate) -> list[Source]:
        """Where the candidate's near-duplicate sentences are, in other documents."""
        places: list[Source] = []
        for doc_id, s, e in sorted(cand.groups):
            twin = self.searcher.index.documents[doc_id]
            places.append(Source(twin.path, twin.title, s, e, twin.page_at(s), twin.page_at(e - 1)))
        return places

    def _score(self, question: Question, candidates: list[_Candidate], spans: list[_Read]) -> None:
        """Each candidate's word overlap with the question, and its cosine to the question
        where the score can decide the answer.

        Encoding the sentences is most of what ``ask`` costs, so only these are encoded: every
        sentence holding a reader span and its near-duplicates (their scores pick and gate the
        answer), and the ``OTHER_SENTENCES`` others with the most overlap (where a second
        answer sentence is looked for). The rest keep their overlap half as the score, a lower
        bound of their full one.
        """
        total = sum(question.weights.values()) or 1.0
        w = self.settings.answer_weight_dense
        index = self.searcher.index
        for cand in candidates:
            cand.words = set(tokenize([cand.wording or cand.text])[0])
            cand.overlap = sum(v for t, v in question.weights.items() if t in cand.words) / total
            if conflicts(question.names, cand.wording or cand.text):
                cand.damping = NAME_CONFLICT  # about a look-alike of what is asked about
            if question.negated and not _NEGATIVE.search(cand.wording or cand.text):
                cand.damping *= NEGATION_MISMATCH  # about what is so, asked what is not
            if question.names and all(
                unnamed(question.text, question.names, index.by_path[place.path].text)
                for place, _ in cand.sources
            ):
                cand.damping *= NAME_MISSING  # its document never names what is asked about
            if question.numbers and not any(
                question.numbers <= mentioned_numbers(index.by_path[place.path].text)
                for place, _ in cand.sources
            ):
                cand.damping = 0.0  # "revenue in 2021" of a report that never says 2021
            cand.score = (1 - w) * cand.overlap * cand.damping
        self._encode(question, self._deciding(candidates, spans))

    def _encode(self, question: Question, candidates: list[_Candidate]) -> None:
        """Complete the candidates' scores with their cosine to the question."""
        if not candidates:
            return
        texts = [c.wording or c.text for c in candidates]
        vectors = self.searcher.embedder.encode([question.text, *texts])
        cosines = (vectors[1:] * vectors[0]).sum(axis=1)  # elementwise: no spinning BLAS threads
        w = self.settings.answer_weight_dense
        for cand, cos in zip(candidates, cosines, strict=True):
            cand.score = float(w * max(cos, 0.0) + (1 - w) * cand.overlap) * cand.damping

    def _deciding(self, candidates: list[_Candidate], spans: list[_Read]) -> list[_Candidate]:
        """The candidates whose full score can change the answer (see ``_score``), in order."""
        at: dict[tuple[str, int], list[_Candidate]] = {}  # a sentence and "he ..." share a start
        for cand in candidates:
            for place, _ in cand.sources:
                at.setdefault((place.path, place.start), []).append(cand)
        deciding = {id(cand) for cand in candidates if any(_holder([cand], read) for read in spans)}
        for cand in candidates:  # a near-duplicate of a holder may become the holder's wording
            twins = [t for p in self._twins(cand) for t in at.get((p.path, p.start), [])]
            if id(cand) in deciding or any(id(twin) in deciding for twin in twins):
                deciding.update([id(cand), *map(id, twins)])
        others = sorted((c for c in candidates if id(c) not in deciding), key=lambda c: -c.overlap)
        deciding.update(id(c) for c in others[:OTHER_SENTENCES])
        return [c for c in candidates if id(c) in deciding]

    def _read(self, question: str, hits: list[Hit]) -> list[_Read]:
        """The reader's best span in each retrieved passage, and in each table row of one
        (one batch), best first.

        The reader reads ``hit.text``, which is its first source's document text from
        ``start`` to ``end`` (``Searcher.places``), so a span's offsets plus ``start`` are
        offsets into the document.
        """
        hits = [hit for hit in hits if hit.sources]
        places = self.searcher.places(hits)
        unread = [n for n, h in enumerate(hits) if not h.read]  # reranking read most of them
        spans = [list(h.spans) for h in hits]
        if unread:
            read = self.reader.read_views(question, [places[n] for n in unread])
            for n, views in zip(unread, read, strict=True):
                spans[n] = views
        found = [
            _Read(span, hit.sources[0].path, start + span.start, start + span.end, n)
            for n, (hit, (_, start, _), read) in enumerate(zip(hits, places, spans, strict=True))
            for span in read
            if span.text.strip()
        ]
        return sorted(found, key=lambda r: -r.span.score)

    def _of_kind(self, question: Question, spans: list[_Read]) -> list[_Read]:
        """The spans that compete to answer: the reader's best in each passage and table row
        it read; or, when the question asks for a kind of answer (``qa.kinds``), the best
        span of that kind in each, down to the reader's next choices ("Why did leakage
        fall?": not "11 percent" but "the replacement of 310 kilometres of old cast-iron
        mains" one sentence on). When no span is of the kind, the best ones, as before."""
        best = [r for r in spans if r.span.rank == 0]
        kind = question.expects
        if kind is None:
            return best
        docs = self.searcher.index.by_path
        chosen: dict[tuple[int, int], _Read] = {}
        for read in sorted(spans, key=lambda r: r.span.rank):
            where = (read.hit, read.span.view)
            if where not in chosen and fits(kind, docs[read.path].text, read.start, read.end):
                chosen[where] = read
        kept = {id(r) for r in chosen.values()}
        return [r for r in spans if id(r) in kept] or best

    def _choose(
        self, question: Question, candidates: list[_Candidate], spans: list[_Read]
    ) -> tuple[list[_Candidate], float, AbstainReason | None, tuple[float, float] | None]:
        """The sentence holding the best span, and a second sentence nearly as good, or
        nothing when unsure; with the best span's answer score, clipped to 0..1, and the
        reason when nothing is chosen.

        Spans of different passages compete on the reader's score plus ``SENTENCE_WEIGHT`` x
        their sentence's score: the reader's logits alone compare passages poorly. The best
        one is the answer if its ``answer_score`` (sentence score and reader log-odds
        together) reaches ``min_confidence`` and its log-odds ``min_answer_odds``; otherwise
        nothing is. (The entity-era check that a short answer fits the asked-about
        noun is not applied to reader spans: on held-out SQuAD it rejected 4 answers in 10.)
        """
        ranked = self._merge_near_duplicates(sorted(candidates, key=lambda c: -c.score))
        placed = [(read, found) for read in spans if (found := _holder(ranked, read))]
        if _HOW_TO.match(question.text):
            return self._choose_steps(ranked, placed)
        described = self._descriptions(question.text, placed)
        if described:
            placed = described  # a description set beside the name answers
        if not placed:
            return [], 0.0, "no_span", None
        # "1.84 million" (customers) is no salary. ``_of_kind`` kept only amounts where
        # there were any; this removes the spans it fell back to when there were none
        if question.expects == "amount":
            docs = self.searcher.index.by_path
            placed = [(r, c) for r, c in placed if an_amount(docs[r.path].text, r.start, r.end)]
            if not placed:
                return [], 0.0, "no_amount", None
        titled = self._title_words(question, [c.sources[n][0].title for _, (c, n) in placed])

        def worth(p: tuple[_Read, tuple[_Candidate, int]]) -> float:
            read, (cand, n) = p
            topic = titled.get(cand.sources[n][0].title, {})
            share = sum(v for t, v in topic.items() if t not in cand.words)  # said by the title
            sentence = cand.score + TITLE_SHARE * (1 - self.settings.answer_weight_dense) * share
            return read.span.score + SENTENCE_WEIGHT * sentence

        read, (cand, n) = max(placed, key=worth)
        odds = read.span.log_odds
        score = answer_score(cand.score, odds, self.calibration)
        shown = min(max(score, 0.0), 1.0)  # a threshold in 0..1 decides the same on either
        best = (odds, cand.score)
        if score < self.calibration.min_confidence:
            return [], shown, "unmatched_number" if cand.damping == 0 else "low_score", best
        if odds < self.calibration.min_answer_odds and not described:
            return [], shown, "low_odds", best
        cand.sources.insert(0, cand.sources.pop(n))  # cite the copy the span was read in
        yes_no = _YES_NO.match(question.text) is not None
        if yes_no:
            cand.sources[0] = (self._with_reply(cand.sources[0][0]), cand.sources[0][1])
        place = cand.sources[0][0]
        cand.text = self._doc_text(place)
        end = min(read.end, place.end)  # a span running past its sentence is cut there
        a, b = read.start - place.start, _unpunctuated(cand.text, read.start - place.start,
                                                       end - place.start)  # fmt: skip
        cand.entity = (cand.text[a:b], a, b)
        cand.reader = read.span
        if yes_no:  # the sentence answers; no span of it is "the answer", but a reply may be
            cand.entity, cand.reply = self._reply(question, cand)
        return self._with_second(cand, ranked), shown, None, best

    def _descriptions(
        self, question: str, placed: list[tuple[_Read, tuple[_Candidate, int]]]
    ) -> list[tuple[_Read, tuple[_Candidate, int]]] | None:
        """For "Who is NAME?", the spans in apposition to NAME in their sentence ("Unite's
        regional officer, James Okafor"), or None for any other question. When there are
        any, one of them answers, even when the reader's odds favour "no answer here": the
        sentence's own syntax says the span describes the name."""
        asked = _WHO_IS.match(question)
        if asked is None or not runs(asked["name"]):
            return None
        name = re.compile(rf"\b{re.escape(asked['name'])}\b", re.IGNORECASE)
        out = []
        for read, (cand, n) in placed:
            place = cand.sources[n][0]
            text = self.searcher.index.by_path[place.path].text
            for m in name.finditer(text, place.start, place.end):
                before = read.end <= m.start() and _BEFORE_NAME.fullmatch(text, read.end, m.start())
                after = m.end() <= read.start and _AFTER_NAME.fullmatch(text, m.end(), read.start)
                end = _to_comma(text, read.end, place.end)
                if (before or after) and not _a_name(text[read.start : end]):
                    out.append((replace(read, end=end), (cand, n)))
                    break
        return out

    def _with_second(self, cand: _Candidate, ranked: list[_Candidate]) -> list[_Candidate]:
        """``cand`` and a second sentence nearly as good, if there is one."""
        margin = cand.score - self.settings.answer_margin
        other = next((c for c in ranked if c is not cand and _adds_to(c, cand, margin)), None)
        if other is not None and other.score >= self.calibration.min_confidence:
            return [cand, other]
        return [cand]

    def _choose_steps(
        self, ranked: list[_Candidate], placed: list[tuple[_Read, tuple[_Candidate, int]]]
    ) -> tuple[list[_Candidate], float, AbstainReason | None, tuple[float, float] | None]:
        """``_choose`` for "How do I …?": the answer is an instruction, a whole sentence
        that a reader trained to point at names and numbers finds no span in ("Hold the Mode
        and Back buttons together for 10 seconds"). The best scoring sentence that does not
        itself ask is the answer, with no short answer; a span the reader found in it adds
        its log-odds to the answer score, as for any answer."""
        cand = next((c for c in ranked if not asks(c.text) and not c.table), None)
        if cand is None:
            return [], 0.0, "no_span", None
        inside = [(read, n) for read, (c, n) in placed if c is cand]
        read, n = max(inside, key=lambda rn: rn[0].span.score, default=(None, 0))
        odds = read.span.log_odds if read is not None else 0.0
        score = answer_score(cand.score, odds, self.calibration)
        shown = min(max(score, 0.0), 1.0)
        if score < self.calibration.min_confidence:
            return [], shown, "low_score", (odds, cand.score)
        cand.sources.insert(0, cand.sources.pop(n))
        cand.text = self._doc_text(cand.sources[0][0])
        cand.reader = read.span if read is not None else None
        return self._with_second(cand, ranked), shown, None, (odds, cand.score)

    @staticmethod
    def _reply(
        question: Question, cand: _Candidate
    ) -> tuple[tuple[str, int, int] | None, Reply | None]:
        """The short reply to a yes/no question: the bare "Yes." or "No." that opens the
        sentence (``_with_reply``), marked in it; else one its grammar says plainly
        (``qa.replies``), which no word of it shows; else none."""
        bare = _OPENING_REPLY.match(cand.text)
        if bare:
            said: Reply = "Yes" if bare[1].lower() == "yes" else "No"
            return (bare[1], 0, bare.end()), said
        if cand.table:
            return None, None  # a row's cells are no sentence to parse
        return None, reply(question.text, cand.text, question.weights)

    def _with_reply(self, place: Source) -> Source:
        """``place`` with the bare "Yes." or "No." just before it, which answers a yes/no
        question the sentence explains ("No." / "The BrewMate takes ground coffee only")."""
        doc = self.searcher.index.by_path[place.path]
        bare = _REPLY.search(doc.text, max(0, place.start - 12), place.start)
        if bare is None:
            return place
        return replace(place, start=bare.start(1), page=doc.page_at(bare.start(1)))

    @staticmethod
    def _title_words(question: Question, titles: list[str]) -> dict[str, dict[str, float]]:
        """The question's words each title holds, with their share of the question's
        weight, for titles that are headlines (``_HEADLINE``); a sentence is about what its
        document's headline says ("The airline's chief executive, Daniel Okafor" under
        "Kestrel Aviation unveils …" answers who heads Kestrel Aviation)."""
        total = sum(question.weights.values()) or 1.0
        out: dict[str, dict[str, float]] = {}
        for title in set(titles):
            if _HEADLINE.fullmatch(title):
                words = set(tokenize([title])[0])
                out[title] = {t: v / total for t, v in question.weights.items() if t in words}
        return out

    def _doc_text(self, place: Source) -> str:
        """The exact document text at ``place`` (a candidate's wording may be another copy's)."""
        doc = self.searcher.index.by_path[place.path]
        return doc.text[place.start : place.end]

    def _compose(
        self,
        question: str,
        chosen: list[_Candidate],
        confidence: float,
        hits: list[Hit],
        seconds: float,
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
                    page_end=place.page_end,
                    passage=passage,
                    answer_start=place.start + span[1] if span else None,
                    answer_end=place.start + span[2] if span else None,
                    also_in=[p for p, _ in others],
                    file=str(f) if (f := self.searcher.index.file(place.path)) else None,
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
            confidence,
            best.entity[0] if best.entity else best.reply,
            sentences,
            citations,
            hits,
            seconds,
            best.reader.log_odds if best.reader else None,
            best.score,
            min_confidence=self.calibration.min_confidence,
        )


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
