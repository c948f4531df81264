"""A question's misspelt words, corrected to the documents' own words.

A typo in the word a question turns on ("Which room is Quinn Petorv in?") loses it to BM25 and
blurs its embedding, and the answer becomes "not found". A word of the question that no
document holds, whose stem no document holds either, and that is one edit (a letter added,
dropped, changed, or two swapped) from a word the documents do hold, is read as that word:
the most frequent one, when one is clearly the most frequent. Nothing else is touched: a
word the documents hold is never changed, nor one that is a form of one ("teams" for
"team"), nor a short word (fewer than ``MIN_LETTERS`` letters: "Sato" is not "Sat"), nor
a whole word of the embedding model's vocabulary, which is English spelt right ("plane" is
not "plan", "month" is not "mouth").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extract

from qa.bm25 import tokenize

#: a word as corrected: letters, with inner apostrophes or hyphens ("o'clock", "re-entry")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
#: shorter words are left alone: one edit from a short word is too often another word
MIN_LETTERS = 5
#: a correction is made only when its word is this many times as frequent as the next one
_CLEAR = 3


class Speller:
    """Corrections from one set of documents' words (built once per index)."""

    def __init__(self, counts: Counter[str], known: Collection[str] = ()) -> None:
        self.counts = counts
        self.known = known  # words that are right as written, wherever the documents are
        self._done: dict[str, str] = {}
        self.stems = set(tokenize([" ".join(counts)])[0]) if counts else set()
        self._by_length: dict[int, list[str]] = {}
        for word in counts:
            self._by_length.setdefault(len(word), []).append(word)

    @classmethod
    def of(cls, texts: Iterable[str], known: Collection[str] = ()) -> Speller:
        return cls(Counter(w for text in texts for w in _WORD.findall(text.lower())), known)

    def correct(self, question: str) -> str:
        """``question`` with each misspelt word replaced (the question itself when none is)."""
        return _WORD.sub(self._word, question)

    def _word(self, match: re.Match[str]) -> str:
        word = match.group()
        if word not in self._done:  # a question is read twice (answer, then search)
            self._done[word] = self._corrected(word)
        return self._done[word]

    def _corrected(self, word: str) -> str:
        folded = word.lower()
        if len(folded) < MIN_LETTERS or folded in self.counts or folded in self.known:
            return word
        stems = tokenize([folded])[0]
        if not stems or stems[0] in self.stems:  # a stop word, or a form of a known word
            return word
        fix = self._nearest(folded)
        if fix is None:
            return word
        if word.isupper():
            return fix.upper()
        return fix[0].upper() + fix[1:] if word[0].isupper() else fix

    def _nearest(self, folded: str) -> str | None:
        """The documents' word one edit from ``folded``, if one is clearly the likeliest."""
        near = [
            found
            for size in (len(folded) - 1, len(folded), len(folded) + 1)
            for found, _, _ in extract(
                folded,
                self._by_length.get(size, []),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=1,
                limit=None,
            )
        ]
        if not near:
            return None
        ranked = sorted(near, key=lambda w: -self.counts[w])
        best = ranked[0]
        if len(ranked) > 1 and self.counts[best] < _CLEAR * self.counts[ranked[1]]:
            return None  # "bat" or "cut" for "cat": no telling which
        return best
