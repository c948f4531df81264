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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import ConfigError, Settings
from qa.embedding import effective_precision

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: the reader shipped inside the package, used unless ``--reader`` / QA_READER says otherwise
DEFAULT_READER_DIR = Path(__file__).resolve().parent / "models" / "reader"
MAX_TOKENS = 384
STRIDE = 128
MAX_ANSWER_TOKENS = 30
MAX_QUESTION_TOKENS = 64


@dataclass(frozen=True)
class Window:
    """One model input: the question and a slice of passage ``passage``.

    ``offsets[i]`` is the character span in the passage of token i, or None for the question,
    the special tokens and padding (tokens that can never be part of an answer).
    """

    passage: int
    input_ids: list[int]
    token_type_ids: list[int]
    offsets: list[tuple[int, int] | None]


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
) -> tuple[int, int, float] | None:
    """Token indices (start, end) maximising start + end logit among passage tokens with
    start <= end < start + ``max_answer_tokens``, and that sum; None without passage tokens."""
    n = len(offsets)
    allowed = np.array([o is not None for o in offsets], dtype=bool)
    if not allowed.any():
        return None
    start = np.where(allowed, start_logits[:n], -np.inf)
    end = np.where(allowed, end_logits[:n], -np.inf)
    scores = start[:, None] + end[None, :]
    i, j = np.indices((n, n))
    scores = np.where((j >= i) & (j - i < max_answer_tokens), scores, -np.inf)
    flat = int(np.argmax(scores))
    s, e = divmod(flat, n)
    return s, e, float(scores[s, e])


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
    n = len(window.input_ids)
    start_logits, end_logits = start_logits[:n], end_logits[:n]
    found = best_span(start_logits, end_logits, window.offsets, max_answer_tokens)
    if found is None:
        return None
    s, e, score = found
    a, _ = window.offsets[s] or (0, 0)
    _, b = window.offsets[e] or (0, 0)
    p_start, p_end = _softmax(start_logits), _softmax(end_logits)
    return Span(
        passage=window.passage,
        start=a,
        end=b,
        text=passage[a:b],
        score=score,
        probability=float(p_start[s] * p_end[e]),
        no_answer=float(p_start[0] * p_end[0]),
    )


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

    def read(self, question: str, passages: Sequence[str]) -> list[Span | None]:
        """The best span of each passage (None for an empty one), all windows in one batch.

        A passage longer than one window keeps its best-scoring window's span.
        """
        feats = windows(self.tokenizer, question, passages)
        if not feats:
            return [None] * len(passages)
        start, end = self.logits(feats)
        best: list[Span | None] = [None] * len(passages)
        for w, s, e in zip(feats, start, end, strict=True):
            span = decode(w, passages[w.passage], s, e)
            current = best[w.passage]
            if span is not None and (current is None or span.score > current.score):
                best[w.passage] = span
        return best

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
