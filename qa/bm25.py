"""Lexical retrieval with bm25s: exact names, dates and rare words that embeddings blur.

Text is lower-cased, accent-folded (so "Lévy" matches "Levy"), split into words, stripped of
English stop words and stemmed with Snowball; the same function serves chunks and questions.
bm25s saves its index as JSON and NumPy arrays (no pickle) in its own folder; beside it,
``tokens.txt`` keeps each chunk's tokens (one line per chunk, space-separated), so an update
re-indexes the unchanged chunks without tokenizing them again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

_WORD = re.compile(r"\w+", re.UNICODE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def fold(text: str) -> str:
    """Lower case without accents: the form both documents and questions are matched in."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if decomposed.isascii():  # the common case, and 30x faster than looking at each character
        return decomposed
    return _NON_ASCII.sub(_drop_combining, decomposed)


def _drop_combining(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    stop = _stopwords()
    stem = _stemmer().stemWords
    return [stem([w for w in _WORD.findall(fold(t)) if w not in stop]) for t in texts]


class BM25Index:
    """A bm25s index over chunk texts; results are positions in the chunk list."""

    TOKENS = "tokens.txt"

    def __init__(
        self, model: Any, tokens: list[list[str]] | None = None, folder: Path | None = None
    ) -> None:
        self.model = model
        self._tokens = tokens
        self._folder = folder

    @classmethod
    def build(
        cls, texts: Sequence[str], tokens: Sequence[list[str] | None] | None = None
    ) -> BM25Index:
        """Index ``texts``; ``tokens[i]``, where given, is text i already tokenized."""
        import bm25s

        known: list[list[str] | None] = list(tokens) if tokens is not None else [None] * len(texts)
        if len(known) != len(texts):
            raise ValueError("one token list (or None) per text")
        todo = [i for i, t in enumerate(known) if t is None]
        for i, words in zip(todo, tokenize([texts[i] for i in todo]), strict=True):
            known[i] = words
        corpus = [t if t is not None else [] for t in known]
        model = bm25s.BM25()
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model, corpus)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(str(folder), show_progress=False)
        if self._tokens is not None:
            lines = "".join(" ".join(words) + "\n" for words in self._tokens)
            (folder / self.TOKENS).write_text(lines, encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False), folder=folder)

    def corpus_tokens(self) -> list[list[str]] | None:
        """Each chunk's tokens, in chunk order; None if this index was saved without them."""
        if self._tokens is None and self._folder is not None:
            path = self._folder / self.TOKENS
            if path.exists():
                lines = path.read_text(encoding="utf-8").split("\n")[:-1]
                if len(lines) == self.size:
                    self._tokens = [line.split(" ") if line else [] for line in lines]
        return self._tokens

    @property
    def size(self) -> int:
        return int(self.model.scores.get("num_docs", 0)) if self.model.scores else 0

    def df(self, token: str) -> int:
        """How many chunks contain ``token`` (an already tokenized, stemmed word)."""
        vocab = self.model.vocab_dict or {}
        column = vocab.get(token)
        if column is None or not self.model.scores:
            return 0
        indptr = self.model.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(position, score) of the best ``k`` chunks sharing at least one word with the query."""
        tokens = tokenize([query])[0]
        k = min(k, self.size)
        if not tokens or k == 0:
            return []
        docs, scores = self.model.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
