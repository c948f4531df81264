"""The packaged model loads offline, gives unit vectors, and bf16 agrees with fp32."""

from __future__ import annotations

import numpy as np
import pytest

from qa.config import DEFAULT_MODEL, ConfigError, Settings
from qa.embedding import Embedder, effective_precision, model_hash, resolve_model_dir

TEXTS = [
    "How do plants make their food?",
    "Photosynthesis lets green plants turn sunlight, water and carbon dioxide into sugar.",
    "The stock market fell sharply on Monday after the bank reported losses.",
]


def test_identity_is_read_without_loading_the_model() -> None:
    embedder = Embedder(Settings())
    ident = embedder.identity()
    assert ident.dim == 384 and ident.max_tokens == 256
    assert ident.hash == model_hash(resolve_model_dir(DEFAULT_MODEL))
    assert embedder._model is None


def test_unknown_model_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="local folder"):
        Embedder(Settings(model=str(tmp_path / "nope")))


def test_bad_precision_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="precision"):
        Settings(precision="fp8")  # type: ignore[arg-type]


def test_auto_precision_resolves_to_a_real_one() -> None:
    assert effective_precision("auto") in {"fp32", "bf16"}
    assert effective_precision("fp32") == "fp32"


@pytest.mark.slow
def test_vectors_are_normalised_and_bf16_matches_fp32() -> None:
    fp32 = Embedder(Settings(precision="fp32")).encode(TEXTS)
    bf16 = Embedder(Settings(precision="bf16")).encode(TEXTS)
    assert fp32.shape == (3, 384) and fp32.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fp32, axis=1), 1.0, rtol=1e-5)
    cosines = (fp32 * bf16).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # the question is closest to the sentence that answers it
    assert int(np.argmax(fp32[1:] @ fp32[0])) == 0


@pytest.mark.slow
def test_empty_input_gives_empty_matrix() -> None:
    assert Embedder(Settings()).encode([]).shape == (0, 384)


@pytest.mark.slow
def test_sentence_vectors_pool_the_tokens_inside_each_sentence() -> None:
    """Each sentence vector is the mean of the passage's token embeddings lying wholly inside
    the sentence (all tokens where none does), from the passage's own forward pass."""
    import torch

    embedder = Embedder(Settings(precision="fp32"))
    passage = TEXTS[1] + " " + TEXTS[2]
    second = len(TEXTS[1]) + 1
    spans = [(0, len(TEXTS[1])), (second, len(passage)), (5, 5)]  # the last holds no token
    vectors, sentences = embedder.encode_passages([passage, TEXTS[0]], [spans, []])
    assert vectors.shape == (2, 384) and sentences.shape == (3, 384)
    with torch.inference_mode():
        out = embedder.model.encode([passage], output_value="token_embeddings")[0]
    tokens = out.float().numpy()
    offsets = embedder.tokens.offsets(passage, special=True)
    for (a, b), row in zip(spans, sentences, strict=True):
        inside = [i for i, (x, y) in enumerate(offsets) if y > x and a <= x and y <= b]
        mean = tokens[inside].mean(axis=0) if inside else tokens.mean(axis=0)
        np.testing.assert_allclose(row, mean / np.linalg.norm(mean), atol=1e-5)
    # a sentence is nearer its own passage's topic than the other sentence is
    assert float(sentences[0] @ embedder.encode([TEXTS[0]])[0]) > float(
        sentences[1] @ embedder.encode([TEXTS[0]])[0]
    )
