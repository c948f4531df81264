"""The short-answer reader: an extractive span model over a question and a few passages.

transformers 5 has no question-answering pipeline, so the two halves of one are here: the
feature windows (question + a slice of the passage, ``max_tokens`` long, overlapping by
``stride`` tokens, with each token's character span) and the span decoding (the best start <=
end within ``max_answer_tokens``, mapped back to characters of the passage). Training
(qa/train.py) builds its windows with the same function, so what is learnt is what is read.

The shipped reader (``qa/models/reader``) is all-MiniLM-L6-v2 fine-tuned on SQuAD v1.1 dev by
``qa train-reader``; see its MODEL_CARD.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import tables
from qa.bm25 import tokenize
from qa.config import ConfigError, Settings
from qa.embedding import effective_precision
from qa.names import AUXILIARIES, WH_WORDS, stop_words, words_of_names

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: the reader shipped inside the package, used unless ``--reader`` / QA_READER says otherwise
DEFAULT_READER_DIR = Path(__file__).resolve().parent / "models" / "reader"
MAX_TOKENS = 384
STRIDE = 128
MAX_ANSWER_TOKENS = 30
MAX_QUESTION_TOKENS = 64
#: second choices kept per passage, for a question whose best span is of the wrong kind
#: ("Why did leakage fall?" answered "11 percent": see ``qa.kinds``)
ALTERNATIVES = 2


@dataclass(frozen=True)
class Window:
    """One model input: the question and a slice of passage ``passage``.

    ``offsets[i]`` is the character span in the passage of token i, or None for the question,
    the special tokens and padding (tokens that can never be part of an answer). Where
    ``pieces`` is given, an answer's tokens all share one piece number (one table cell).
    """

    passage: int
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int] | None]
    pieces: list[int] | None = None


@dataclass(frozen=True)
class Span:
    """The reader's answer in one passage.

    ``score`` is the start + end logit (comparable across passages of one question),
    ``probability`` the softmax probability of this span in its window (0..1) and
    ``no_answer`` the probability the window gives to "no answer here" ([CLS]).
    """

    passage: int
    start: int  # character offsets in the passage
    end: int
    text: str
    score: float
    probability: float
    no_answer: float
    #: 0 for the best span of its passage (or view), 1 for the next best that does not
    #: overlap it, …: a second choice, for when the best is of the wrong kind
    rank: int = 0
    view: int = 0  # which of ``views`` of its passage it was read in (``read_views``)

    @property
    def log_odds(self) -> float:
        """log(probability / no_answer): how much the reader prefers this span to "no answer
        here" in its window (a logit difference, so it compares across passages)."""
        return math.log(max(self.probability, 1e-30)) - math.log(max(self.no_answer, 1e-30))


def resolve_reader_dir(reader: str | Path | None) -> Path:
    """The folder of the configured reader; the packaged one when none is configured."""
    folder = DEFAULT_READER_DIR if reader in (None, "") else Path(str(reader)).expanduser()
    if not (folder / "config.json").is_file():
        where = "the packaged reader" if reader in (None, "") else "--reader / QA_READER"
        raise ConfigError(
            f"{where} {folder} is not a reader folder (no config.json); train one with "
            "`qa train-reader --squad FILE.json --out DIR` and point --reader at DIR"
        )
    return folder.resolve()


def windows(
    tokenizer: PreTrainedTokenizerBase,
    question: str,
    passages: Sequence[str],
    max_tokens: int = MAX_TOKENS,
    stride: int = STRIDE,
) -> list[Window]:
    """Every window of every passage, in passage order (a long passage gives several)."""
    if not passages:
        return []
    question = _cut_question(tokenizer, question)
    enc = tokenizer(
        [question] * len(passages),
        list(passages),
        truncation="only_second",
        max_length=max_tokens,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    out: list[Window] = []
    for i, passage in enumerate(enc["overflow_to_sample_mapping"]):
        sequence = enc.sequence_ids(i)
        offsets: list[tuple[int, int] | None] = [
            (int(a), int(b)) if s == 1 and b > a else None
            for s, (a, b) in zip(sequence, enc["offset_mapping"][i], strict=True)
        ]
        out.append(
            Window(int(passage), list(enc["input_ids"][i]), list(enc["token_type_ids"][i]), offsets)
        )
    return out


def _cut_question(tokenizer: PreTrainedTokenizerBase, question: str) -> str:
    """The question cut to ``MAX_QUESTION_TOKENS`` tokens, so a window always has room for the
    passage (a pasted essay as a question would otherwise leave none)."""
    enc = tokenizer(
        question,
        add_special_tokens=False,
        truncation=True,
        max_length=MAX_QUESTION_TOKENS,
        return_offsets_mapping=True,
    )
    offsets = enc["offset_mapping"]
    return question[: int(offsets[-1][1])] if offsets else question


def collate(batch: Sequence[Window], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Model inputs padded to the longest window of the batch (not to ``max_tokens``)."""
    import torch

    width = max(len(w.input_ids) for w in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, w in enumerate(batch):
        n = len(w.input_ids)
        ids[row, :n] = torch.tensor(w.input_ids)
        types[row, :n] = torch.tensor(w.token_type_ids)
        mask[row, :n] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Sequence[tuple[int, int] | None],
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
    pieces: Sequence[int] | None = None,
) -> tuple[int, int, float] | None:
    """Token indices (start, end) maximising start + end logit among passage tokens with
    start <= end < start + ``max_answer_tokens``, and that sum; None without passage tokens."""
    found = top_spans(start_logits, end_logits, offsets, max_answer_tokens, pieces, 1)
    return found[0] if found else None


def top_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Sequence[tuple[int, int] | None],
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
    pieces: Sequence[int] | None = None,
    n: int = 1,
) -> list[tuple[int, int, float]]:
    """The ``n`` best spans as ``best_span`` scores them, best first, each sharing no token
    with a better one (so a second choice is another answer, not the first one widened)."""
    count = len(offsets)
    allowed = np.array([o is not None for o in offsets], dtype=bool)
    if not allowed.any():
        return []
    start = np.where(allowed, start_logits[:count], -np.inf)
    end = np.where(allowed, end_logits[:count], -np.inf)
    scores = start[:, None] + end[None, :]
    i, j = np.indices((count, count))
    allowed_pairs = (j >= i) & (j - i < max_answer_tokens)
    if pieces is not None:
        piece = np.asarray(pieces)
        allowed_pairs &= piece[:, None] == piece[None, :]
    scores = np.where(allowed_pairs, scores, -np.inf)
    out: list[tuple[int, int, float]] = []
    while len(out) < n:
        flat = int(np.argmax(scores))
        s, e = divmod(flat, count)
        if not np.isfinite(scores[s, e]):
            break
        out.append((s, e, float(scores[s, e])))
        scores[(i <= e) & (j >= s)] = -np.inf  # every span sharing a token with this one
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return np.asarray(shifted / shifted.sum())


def decode(
    window: Window,
    passage: str,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
) -> Span | None:
    """The best span of one window as characters of its passage, with its probabilities."""
    found = decode_top(window, passage, start_logits, end_logits, max_answer_tokens, 1)
    return found[0] if found else None


def decode_top(
    window: Window,
    passage: str,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
    n: int = 1,
) -> list[Span]:
    """The ``n`` best spans of one window (``top_spans``), best first, ranked 0, 1, …"""
    size = len(window.input_ids)
    start_logits, end_logits = start_logits[:size], end_logits[:size]
    found = top_spans(start_logits, end_logits, window.offsets, max_answer_tokens, window.pieces, n)
    p_start, p_end = _softmax(start_logits), _softmax(end_logits)
    out = []
    for rank, (s, e, score) in enumerate(found):
        a, _ = window.offsets[s] or (0, 0)
        _, b = window.offsets[e] or (0, 0)
        out.append(
            Span(
                passage=window.passage,
                start=a,
                end=b,
                text=passage[a:b],
                score=score,
                probability=float(p_start[s] * p_end[e]),
                no_answer=float(p_start[0] * p_end[0]),
                rank=rank,
            )
        )
    return out


_WORDS = re.compile(r"\w+(?:[.,]\d+)*")  # a word, or a number with its decimals ("2.4")
_DECIMAL = re.compile(r"\d[.,]\d")


@dataclass(frozen=True)
class View:
    """What the reader reads for part of a document: ``text``, and the document offset of
    each of its characters (``origin[i]``, or -1 for words the view adds)."""

    text: str
    origin: Sequence[int]
    #: document ranges a span is widened to when it lies inside one: a table's short cells
    units: Sequence[tuple[int, int]] = ()

    def place(self, span: Span) -> tuple[int, int] | None:
        """The document characters a span of this view covers (None: only added words)."""
        inside = [o for o in self.origin[span.start : span.end] if o >= 0]
        if not inside:
            return None
        a, b = inside[0], inside[-1] + 1
        return next(((x, y) for x, y in self.units if x <= a and b <= y), (a, b))


#: a table cell of this many words or fewer is one value: an answer in it is all of it
#: ("Pay by cash", not "cash"; "about 12 months", not "12 months")
SHORT_CELL = 4


def _row_view(text: str, row: tables.Line, question: str | None = None) -> View | None:
    """A table row spelt out for the reader as a sentence, "The Lock is Lock 9, the Rise is
    3.1 m and the Built is 1801.": a reader trained on prose cannot tell which column a bare
    "| 3.1 m |" is in, nor which row. (Of 13 questions on three tables, this form's row gave
    12 right answers; "Lock 9 — Rise: 3.1 m; Built: 1801." 9, often the last column's.)

    When the ``question`` names a column ("close" for "Closes"), the row is spelt out with
    only its first cell, the cells the question quotes and the named columns: with "Opens
    9:00" beside "Closes 20:00" the reader answered the opening time (an audit)."""
    cells = tables.cells(text[row.start : row.end], row.start)
    if not cells:
        return None
    header = row.names
    if question is not None and header:
        kept, keys = _asked_columns(question, text, row, header)
        cells = [cell for cell in cells if kept is None or cell[0] in kept]
        if kept is not None and all(column in keys for column, _, _ in cells):
            return None  # the named columns are empty in this row: nothing to answer
    pieces: list[tuple[str, int]] = []  # (text, document offset or -1)
    for n, (column, cell, at) in enumerate(cells):
        name = header[column] if header and column < len(header) else ""
        if n:
            last = n == len(cells) - 1
            pieces.append(((" and " if last else ", ") if header else "; ", -1))
        if name and name != cell:
            pieces.append((f"{'the' if n else 'The'} {name} is ", -1))
        pieces.append((cell, at))
    pieces.append((".", -1))
    view_text = "".join(words for words, _ in pieces)
    origin = [o + i if o >= 0 else -1 for words, o in pieces for i in range(len(words))]
    short = [(at, at + len(cell)) for _, cell, at in cells if len(cell.split()) <= SHORT_CELL]
    return View(view_text, origin, short)


def _asked_columns(
    question: str, text: str, row: tables.Line, header: tuple[str, ...]
) -> tuple[set[int] | None, set[int]]:
    """The columns to spell out of ``row`` for ``question``: its first, the ones whose cell
    it quotes (these two are its keys, also returned), and the ones whose name it uses;
    None (all) when it names no column but keys."""
    terms = _terms(question) - stop_words()
    asked = {w for w in terms if not w[0].isdigit()}
    folded = " ".join(_WORDS.findall(question.casefold()))
    quoted = _quoted_cells(folded, text, row)
    found = tables.cells(text[row.start : row.end])
    # a cell the question quotes or uses a word of ("Saturday" for "Saturdays") tells
    # the rows apart: it is kept with the named columns
    keys = {0} | {
        c for c, cell, _ in found if _terms(cell) & quoted or _shared(_terms(cell), terms)
    }
    shared = {c: _shared(_terms(name), asked) for c, name in enumerate(header) if name}
    most = max(shared.values(), default=0)
    named = {c for c, n in shared.items() if n == most > 0}  # "T2 Plus", not "T2" beside it
    return (keys | named if named - keys else None), keys


def _shared(names: set[str], asked: set[str]) -> int:
    """How many of a column name's words the question uses, as a stem or a start of four
    letters or more ("child" / "Children")."""

    def alike(a: str, b: str) -> bool:
        return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))

    return sum(any(alike(a, b) for b in asked) for a in names)


def row_view(text: str, start: int, end: int) -> View | None:
    """``text[start:end]`` spelt out with its column names when it is one table row (not its
    header or rule), else None: the answer module scores such a sentence by this wording."""
    row = tables.row_at(text, start, end)
    return None if row is None else _row_view(text, row)


def views(text: str, start: int, end: int, question: str | None = None) -> list[View]:
    """What the reader reads for ``text[start:end]``: the passage and, when it holds rows of
    a pipe table, each row on its own with its column names (the rows barred from answers in
    the passage, so no span runs across them, but kept as its context).

    With a ``question``, only the rows it names are read: those with a cell it quotes ("Lock
    2", "1798") or one of its words that fewer than half the passage's rows hold (not the
    "Lock" of every row).
    A reader asked "When were the locks built?" of each row answers each row's year."""
    passage = text[start:end]
    lines = tables.in_span(text, start, end)
    rows = [line for line in lines if line.kind == "row"]  # a header names, a rule rules
    if not lines:
        return [_prose(passage, start)]
    if question is not None:
        rows = _named_rows(question, text, rows)
    out = [view for row in rows if (view := _row_view(text, row, question)) is not None]
    table = [(max(0, ln.start - start), min(ln.end, end) - start) for ln in lines]
    prose = _prose(passage, start, table)
    told = any(o >= 0 and not passage[i].isspace() for i, o in enumerate(prose.origin))
    return ([prose] if told else []) + out


def _named_rows(question: str, text: str, rows: list[tables.Line]) -> list[tables.Line]:
    """The rows the question names: by a cell it quotes ("Lock 2", "1798") or a word that
    fewer than half the rows hold (not the "Lock" of every row). A word of a name the
    question gives must come with the rest of that name: "Quinn Sato" does not name the row
    of "Quinn Petrov" (an audit got Quinn Petrov's room for a person not in the table)."""
    asked = _terms(question)
    names = words_of_names(question, numbers=False)  # "Kerrow Lock 9" names Lock 9's row
    words = [_terms(text[row.start : row.end]) for row in rows]
    seen = Counter(w for row in words for w in row)
    rare = max(2.0, len(rows) / 2)
    folded = " ".join(_WORDS.findall(question.casefold()))
    named = []
    for row, held in zip(rows, words, strict=True):
        clues = {w for w in held & asked if seen[w] < rare} | _quoted_cells(folded, text, row)
        if any(names.get(w, set()) <= held for w in clues):
            named.append(row)
    return named


def _quoted_cells(folded_question: str, text: str, row: tables.Line) -> set[str]:
    """The words of the row's cells that the question holds word for word ("Lock 2")."""
    out: set[str] = set()
    for _, cell, _ in tables.cells(text[row.start : row.end]):
        words = " ".join(_WORDS.findall(cell.casefold()))
        if words and re.search(rf"(?<!\S){re.escape(words)}(?!\S)", folded_question):
            out |= _terms(cell)
    return out


def _terms(text: str) -> set[str]:
    """Stemmed words, a decimal number kept whole: "3.1" is not the "3" of "Lock 3"."""
    words = _WORDS.findall(text.casefold())
    decimals = {w for w in words if _DECIMAL.search(w)}
    return set(tokenize([" ".join(w for w in words if w not in decimals)])[0]) | decimals


#: a sentence that asks: a FAQ's question, a heading ("## Can I use pods?", "**Q: Why?**"),
#: "Why does the bridge hum? …" in a paragraph; one that starts as a statement ("Shipping
#: is free over €50 — so why pay more?") answers, and is not one
_ASKING = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[.!?][\"”’')\]]\s))[ \t]*(?:#+[ \t]*|[*_]+|Q[:.][ \t]*)*"
    rf"(?:{WH_WORDS}|{AUXILIARIES})\b[^.!?\n]{{0,300}}\?[*_\"”')\]]*",
    re.MULTILINE | re.IGNORECASE,
)


def asks(sentence: str) -> bool:
    """Whether ``sentence`` is a question (a FAQ's heading, "**Q: Can I …?**")."""
    found = _ASKING.match(sentence)
    return found is not None and found.end() >= len(sentence.rstrip())


def _prose(passage: str, start: int, table: Sequence[tuple[int, int]] = ()) -> View:
    """The passage as the reader reads it, with its table rows (read on their own) and its
    asking lines barred from answers but read as context: the answer to "Can I use pods?" is
    under the heading that asks it, not in it (an audit got "pods?" from the heading)."""
    barred = list(table) + [(m.start(), m.end()) for m in _ASKING.finditer(passage)]
    if not barred:
        return View(passage, range(start, start + len(passage)))
    origin = list(range(start, start + len(passage)))
    for a, b in barred:
        origin[a:b] = [-1] * (b - a)
    return View(passage, origin)


def _only_original(window: Window, origin: Sequence[int] | None) -> Window:
    """``window`` with the tokens made only of added or barred characters (origin -1) barred
    from answers, and an answer kept within one run of consecutive document characters (one
    table cell; not across a barred line)."""
    if origin is None:
        return window
    runs: list[int] = []
    run = 0
    for i, at in enumerate(origin):
        if at < 0 or (i and origin[i - 1] != at - 1):
            run += 1
        runs.append(run)
    offsets: list[tuple[int, int] | None] = []
    pieces: list[int] = []
    for o in window.offsets:
        first = next((i for i in range(*o) if origin[i] >= 0), None) if o is not None else None
        offsets.append(None if first is None else o)
        pieces.append(-1 if first is None else runs[first])
    return replace(window, offsets=offsets, pieces=pieces)


class Reader:
    """A local extractive reader folder (AutoModelForQuestionAnswering + its tokenizer)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = resolve_reader_dir(settings.reader)
        self.precision = effective_precision(settings.precision)
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
        return self._tokenizer

    @property
    def model(self) -> PreTrainedModel:
        if self._model is None:
            self._model = load_model(self.folder)
        return self._model

    def read(
        self,
        question: str,
        passages: Sequence[str],
        origins: Sequence[Sequence[int] | None] | None = None,
    ) -> list[Span | None]:
        """The best span of each passage (None for an empty one), all windows in one batch.

        A passage longer than one window keeps its best-scoring window's span. Where
        ``origins[i]`` is given, a token whose characters all have origin -1 (words a view
        added, such as a table's column names) is never part of an answer.
        """
        return [top[0] if top else None for top in self.read_top(question, passages, origins)]

    def read_top(
        self,
        question: str,
        passages: Sequence[str],
        origins: Sequence[Sequence[int] | None] | None = None,
        n: int = 1,
    ) -> list[list[Span]]:
        """``read``, with up to ``n`` spans of each passage, best first (``Span.rank``); a
        span overlapping a better one (read in another window) is left out."""
        feats = windows(self.tokenizer, question, passages)
        if not feats:
            return [[] for _ in passages]
        if origins is not None:
            feats = [_only_original(w, origins[w.passage]) for w in feats]
        start, end = self.logits(feats)
        found: list[list[Span]] = [[] for _ in passages]
        for w, s, e in zip(feats, start, end, strict=True):
            found[w.passage].extend(decode_top(w, passages[w.passage], s, e, n=n))
        out: list[list[Span]] = []
        for spans in found:
            kept: list[Span] = []
            for span in sorted(spans, key=lambda sp: -sp.score):
                if len(kept) < n and all(span.end <= k.start or k.end <= span.start for k in kept):
                    kept.append(replace(span, rank=len(kept)))
            out.append(kept)
        return out

    def read_views(
        self, question: str, places: Sequence[tuple[str, int, int]], n: int = ALTERNATIVES + 1
    ) -> list[list[Span]]:
        """Every view's spans of each ``(document text, start, end)``, up to ``n`` of each
        (best first, ``Span.rank``), in one batch, with offsets relative to ``start`` as
        ``read`` gives them. A passage holding table rows is read as its prose and each row
        spelt out with its column names (``views``); the rows compete on their own, so the
        answer can weigh which row the question names."""
        seen = [views(text, start, end, question) for text, start, end in places]
        flat = [(n, v, view) for n, found in enumerate(seen) for v, view in enumerate(found)]
        out: list[list[Span]] = [[] for _ in places]
        texts = [view.text for _, _, view in flat]
        origins = [None if isinstance(view.origin, range) else view.origin for *_, view in flat]
        read = self.read_top(question, texts, origins, n)
        for (at, v, view), spans in zip(flat, read, strict=True):
            rank, placed = 0, set()
            for span in spans:
                where = view.place(span)
                if where is None and span.rank == 0:
                    break  # its best span is only added words: the view gave no answer
                if where is not None and where not in placed:  # two words of one short cell
                    placed.add(where)
                    text, start, _ = places[at]
                    out[at].append(
                        replace(
                            span, passage=at, start=where[0] - start, end=where[1] - start,
                            text=text[where[0] : where[1]], rank=rank, view=v,
                        )
                    )  # fmt: skip
                    rank += 1
        return out

    def logits(self, feats: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits (windows x longest window) from one forward pass."""
        import torch

        batch = collate(feats, int(self.tokenizer.pad_token_id or 0))
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            out = self.model(**batch)
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()


def load_model(folder: Path | str) -> PreTrainedModel:
    """The QA model in fp32 (weights are stored fp16; fp32 is the fast path on most CPUs)."""
    import torch
    import transformers
    from transformers import AutoModelForQuestionAnswering

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model: Any = AutoModelForQuestionAnswering.from_pretrained(
        str(folder), local_files_only=True, dtype=torch.float32
    )
    model.eval()
    return model  # type: ignore[no-any-return]


_READERS: dict[tuple[Path, str], Reader] = {}


def reader_for(settings: Settings) -> Reader:
    """One loaded reader per folder and precision, shared by every answerer of the process."""
    key = (resolve_reader_dir(settings.reader), effective_precision(settings.precision))
    cached = _READERS.get(key)
    if cached is None:
        cached = _READERS[key] = Reader(settings)
    return cached
