"""The dense-index policy: IVF keeps ids, forgets removed ones, and stays close to exact."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from qa import ann

DIM = 32


def clustered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).standard_normal((40, DIM)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, DIM), np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors = clustered(5000, 0)
    ids = np.random.default_rng(1).choice(2**62, len(vectors), replace=False).astype(np.int64)
    return vectors, ids, clustered(100, 2)


def exact(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    flat = ann.new_index(DIM, vectors, ids, "flat")
    return np.asarray(flat.search(queries, k)[1])


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True)) / truth.size


def test_kind_follows_size() -> None:
    assert ann.choose_kind(1_000) == "flat"
    assert ann.choose_kind(ann.FLAT_MAX) == "flat"
    assert ann.choose_kind(ann.FLAT_MAX + 1) == "ivf"
    assert ann.nlist_for(5000) * 39 <= 5000  # k-means gets enough points per cell
    assert ann.nlist_for(1_000_000) == 4096


def test_ivf_is_close_to_exact_and_keeps_ids(data: tuple[np.ndarray, ...]) -> None:
    vectors, ids, queries = data
    index = ann.new_index(DIM, vectors, ids, "ivf")
    assert ann.describe(index)["type"] == "ivf"
    assert index.ntotal == len(ids)
    _, found = index.search(queries, 10)
    assert recall(found, exact(vectors, ids, queries, 10)) >= 0.9
    assert set(found.ravel().tolist()) <= set(ids.tolist())
    _, self_hit = index.search(vectors[:20], 1)  # a stored vector finds itself, by its id
    assert self_hit[:, 0].tolist() == ids[:20].tolist()


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_removed_ids_are_never_returned(kind: str, data: tuple[np.ndarray, ...]) -> None:
    vectors, ids, queries = data
    index = ann.new_index(DIM, vectors, ids, kind)
    gone = ids[::10]
    assert ann.remove(index, gone) == len(gone)
    assert ann.remove(index, gone) == 0  # already gone: nothing else goes
    assert index.ntotal == len(ids) - len(gone)
    # the removed vectors themselves as queries: their own ids must not come back
    _, found = index.search(np.vstack([vectors[::10], queries]), 50)
    assert not np.isin(found, gone).any()
    keep = np.ones(len(ids), dtype=bool)
    keep[::10] = False
    truth = exact(vectors[keep], ids[keep], queries, 10)
    _, after = index.search(queries, 10)
    assert recall(after, truth) >= 0.9


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_add_replaces_and_extends(kind: str, data: tuple[np.ndarray, ...]) -> None:
    vectors, ids, _ = data
    index = ann.new_index(DIM, vectors[:4000], ids[:4000], kind)
    ann.add(index, vectors[4000:], ids[4000:])  # new ids
    ann.add(index, vectors[:10][::-1], ids[:10])  # same ids, new vectors: replaced, not doubled
    assert index.ntotal == len(ids)
    _, found = index.search(vectors[:10][::-1], 1)
    assert found[:, 0].tolist() == ids[:10].tolist()
    _, found = index.search(vectors[4000:4020], 1)
    assert found[:, 0].tolist() == ids[4000:4020].tolist()


def test_round_trip_keeps_search_parameters(data: tuple[np.ndarray, ...], tmp_path: Path) -> None:
    vectors, ids, queries = data
    index = ann.new_index(DIM, vectors, ids, "ivf", nprobe=24)
    params = ann.describe(index)
    assert params["nprobe"] == 24
    faiss.write_index(index, str(tmp_path / "dense.faiss"))
    loaded = ann.prepare(faiss.read_index(str(tmp_path / "dense.faiss")), params)
    assert ann.describe(loaded) == params
    np.testing.assert_array_equal(index.search(queries, 10)[1], loaded.search(queries, 10)[1])
    faiss.extract_index_ivf(loaded).nprobe = 1  # as a FAISS that does not store it reads it
    assert ann.describe(ann.prepare(loaded, params))["nprobe"] == 24
    assert ann.describe(ann.prepare(loaded))["nprobe"] == 24  # nothing to change it


def test_flat_round_trip_and_rebuild_advice(data: tuple[np.ndarray, ...], tmp_path: Path) -> None:
    vectors, ids, _ = data
    flat = ann.new_index(DIM, vectors, ids)
    assert ann.describe(flat)["type"] == "flat"
    faiss.write_index(flat, str(tmp_path / "f.faiss"))
    loaded = ann.prepare(faiss.read_index(str(tmp_path / "f.faiss")), ann.describe(flat))
    assert ann.describe(loaded) == ann.describe(flat)
    assert not ann.should_rebuild(flat)
    ivf = ann.new_index(DIM, vectors, ids, "ivf")
    assert ann.should_rebuild(ivf)  # 5,000 vectors belong in a flat index


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_vectors_read_back_for_a_rebuild(kind: str, data: tuple[np.ndarray, ...]) -> None:
    vectors, ids, _ = data
    index = ann.new_index(DIM, vectors, ids, kind)
    ann.remove(index, ids[:100])
    got, got_ids = ann.vectors_of(index)
    order = np.argsort(got_ids)
    want = np.argsort(ids[100:])
    np.testing.assert_array_equal(got_ids[order], ids[100:][want])
    np.testing.assert_array_equal(got[order], vectors[100:][want])
    rebuilt = ann.rebuild(index)
    assert ann.describe(rebuilt)["type"] == "flat" and rebuilt.ntotal == len(ids) - 100


def test_bad_input_is_refused(data: tuple[np.ndarray, ...]) -> None:
    vectors, ids, _ = data
    with pytest.raises(ValueError, match="ids for"):
        ann.new_index(DIM, vectors, ids[:10])
    with pytest.raises(ValueError, match="unknown index kind"):
        ann.new_index(DIM, vectors, ids, "hnsw")
    with pytest.raises(ValueError, match="needs at least"):
        ann.new_index(DIM, vectors[:100], ids[:100], "ivf", nlist=256)
