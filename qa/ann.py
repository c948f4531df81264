"""Which FAISS index holds the passage vectors, chosen by corpus size (measured policy).

Small corpora get exact search (``IndexIDMap2(IndexFlatIP)``): up to ``FLAT_MAX`` = 50k
vectors a query takes 1 ms (10k) to ~11-28 ms (50k, depending on machine load) on one
core, small next to the model's forward pass, and recall is 1 by definition. Beyond it the
index is IVF (``IVF<nlist>,Flat``, inner product), chosen over HNSW by measurement
(benchmarks/bench_scale.py, benchmarks/RESULTS.md "Scale"; 384-dim clustered vectors):

* IVF keeps our 63-bit chunk ids and supports ``add_with_ids`` and ``remove_ids`` natively,
  so incremental updates need no side tables. FAISS HNSW cannot remove ids: with
  tombstones (an id selector at search time, compaction = full rebuild) it needed 5.7x
  IVF's build time at 100k (103 s vs 18 s), a 16% bigger index, and lower recall@10
  (0.95 with efSearch tuned on the test queries vs 0.997) for no latency gain
  (p50 0.42 ms vs 0.27 ms). At 1M, IVF answers in ~1.3 ms (flat: ~320 ms) at recall 0.995.
* ``nprobe`` (cells visited per query) is calibrated when the index is built: the smallest
  power of two (from 8) whose recall@10 against exact search reaches
  ``CALIBRATION_RECALL`` on a seeded sample of the index's own vectors (each one's
  neighbours among the others). FAISS 1.15 stores it in the index file; :func:`describe`
  also records it for the manifest and :func:`prepare` sets it again after loading.

Deletions in IVF scan the inverted lists once per call (~0.1 s per batch at 1M); batch them.
IVF keeps a hashtable direct map (id -> list position, ~16 bytes per vector) because hybrid
fusion reads the vector of a passage that BM25 found and the dense search did not
(``reconstruct``). Centroids are trained once: when the corpus has grown
or shrunk well past what they were trained for, :func:`should_rebuild` says so and
:func:`rebuild` makes a new index from the stored vectors (no re-embedding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: At or below this many vectors, exact search (measured crossover: benchmarks/RESULTS.md).
FLAT_MAX = 50_000
#: Recall@10 the calibrated ``nprobe`` must reach on the index's own vectors (target ~0.95
#: on unseen queries, with a margin for queries further from the data than its own points).
CALIBRATION_RECALL = 0.97
_CALIBRATION_QUERIES = 200
_MIN_NPROBE = 8
_TRAIN_PER_LIST = 40  # k-means sample per centroid (FAISS warns below 39)
_TRAIN_ITERATIONS = 10  # k-means passes: 1M vectors train in under a minute on 2 cores
_SEED = 1234
KINDS = ("flat", "ivf")
_HASHTABLE = 2  # faiss.DirectMap.Hashtable (the enum is not in FAISS's type stubs)


def choose_kind(n: int) -> str:
    """``"flat"`` (exact) up to ``FLAT_MAX`` vectors, ``"ivf"`` beyond."""
    return "flat" if n <= FLAT_MAX else "ivf"


def nlist_for(n: int) -> int:
    """IVF cells for ``n`` vectors: the power of two nearest ``4·sqrt(n)`` (FAISS guidance),
    at most one per 39 vectors so that k-means has enough points per centroid."""
    cells = 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))
    most = 2 ** math.floor(math.log2(max(n // 39, 1)))
    return int(max(1, min(cells, most)))


def new_index(
    dim: int,
    vectors: np.ndarray,
    ids: np.ndarray,
    kind: str | None = None,
    *,
    nlist: int | None = None,
    nprobe: int | None = None,
) -> Any:
    """A filled index of ``kind`` (default :func:`choose_kind`) with search parameters set.

    ``vectors`` must be L2-normalised float32 rows (inner product = cosine). For IVF,
    ``nprobe`` is calibrated unless given.
    """
    import faiss

    vectors = _as_vectors(vectors, dim)
    ids = _as_ids(ids, len(vectors))
    kind = kind or choose_kind(len(vectors))
    if kind == "flat":
        flat: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if len(ids):
            flat.add_with_ids(vectors, ids)
        return flat
    if kind != "ivf":
        raise ValueError(f"unknown index kind {kind!r} (one of {', '.join(KINDS)})")
    nlist = nlist or nlist_for(len(vectors))
    if len(vectors) < nlist:
        raise ValueError(f"an IVF index of {nlist} cells needs at least {nlist} vectors")
    index: Any = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(_SEED)
    sample = min(len(vectors), nlist * _TRAIN_PER_LIST)
    train = vectors[np.sort(rng.choice(len(vectors), sample, replace=False))]
    index.cp.seed = _SEED
    index.cp.niter = _TRAIN_ITERATIONS
    index.train(train)
    index.set_direct_map_type(_HASHTABLE)  # reconstruct(id) for fusion
    index.add_with_ids(vectors, ids)
    index.nprobe = nprobe or calibrate(index, vectors, ids)
    return index


def calibrate(index: Any, vectors: np.ndarray, ids: np.ndarray) -> int:
    """Smallest power-of-two ``nprobe`` whose recall@10 vs exact reaches the target."""
    import faiss

    k = 10
    n = len(vectors)
    rng = np.random.default_rng(_SEED)
    rows = rng.choice(n, min(_CALIBRATION_QUERIES, n), replace=False)
    queries = np.ascontiguousarray(vectors[rows])
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, exact_rows = flat.search(queries, k + 1)
    truth = [
        set(ids[r][ids[r] != ids[q]][:k].tolist()) for q, r in zip(rows, exact_rows, strict=True)
    ]
    nprobe = _MIN_NPROBE
    while nprobe < index.nlist:
        index.nprobe = nprobe
        _, found = index.search(queries, k + 1)
        hits = sum(
            len(t & set(f[f != ids[q]][:k].tolist()))
            for q, t, f in zip(rows, truth, found, strict=True)
        )
        if hits >= CALIBRATION_RECALL * sum(len(t) for t in truth):
            return nprobe
        nprobe *= 2
    return int(index.nlist)


def prepare(index: Any, params: Mapping[str, Any] | None = None) -> Any:
    """Set the search parameters on a loaded index (from :func:`describe`'s ``params``)."""

    ivf = _ivf(index)
    if ivf is not None:
        if ivf.direct_map.type != _HASHTABLE:  # files written without one
            ivf.set_direct_map_type(_HASHTABLE)
        wanted = (params or {}).get("nprobe")
        if wanted:
            ivf.nprobe = int(wanted)
        elif ivf.nprobe <= 1:  # not serialised by this FAISS build: a safe default
            ivf.nprobe = max(_MIN_NPROBE, ivf.nlist // 16)
    return index


def describe(index: Any) -> dict[str, Any]:
    """Kind and parameters, for the index manifest (``prepare(index, d)`` reads it back)."""
    ivf = _ivf(index)
    base = {"metric": "inner_product", "normalized": True, "ntotal": int(index.ntotal)}
    if ivf is None:
        return {"type": "flat", **base}
    return {"type": "ivf", **base, "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)}


def kind_of(index: Any) -> str:
    return "flat" if _ivf(index) is None else "ivf"


def add(index: Any, vectors: np.ndarray, ids: np.ndarray) -> None:
    """Add (or replace: ids already present are removed first) ``vectors`` under ``ids``."""
    vectors = _as_vectors(vectors, index.d)
    ids = _as_ids(ids, len(vectors))
    if not len(ids):
        return
    remove(index, ids)
    index.add_with_ids(vectors, ids)


def remove(index: Any, ids: np.ndarray | list[int]) -> int:
    """Remove ``ids`` (absent ones are ignored); returns how many vectors went."""
    import faiss

    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if not len(ids) or index.ntotal == 0:
        return 0
    if _ivf(index) is not None:  # the hashtable direct map removes by id list, no scan
        return int(index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
    return int(index.remove_ids(faiss.IDSelectorBatch(ids)))


def should_rebuild(index: Any) -> bool:
    """True when the index no longer fits its size: a flat one past ``FLAT_MAX``, an IVF
    one under half of it (the gap stops flapping), or IVF cells 4x off what
    :func:`nlist_for` gives now (about 16x growth or shrinkage since the build)."""
    n = int(index.ntotal)
    ivf = _ivf(index)
    if ivf is None:
        return n > FLAT_MAX
    if n < FLAT_MAX // 2:
        return True
    return not ivf.nlist / 4 < nlist_for(n) < ivf.nlist * 4


def rebuild(index: Any) -> Any:
    """A new index of the kind that fits the vectors ``index`` holds now (same ids)."""
    vectors, ids = vectors_of(index)
    return new_index(int(index.d), vectors, ids)


def vectors_of(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every stored vector and its id (read back from a flat or an IVF-Flat index)."""
    import faiss

    ivf = _ivf(index)
    if ivf is None:
        flat = faiss.downcast_index(index.index)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        return flat.reconstruct_n(0, flat.ntotal).reshape(-1, index.d), ids
    lists = ivf.invlists
    parts: list[np.ndarray] = []
    id_parts: list[np.ndarray] = []
    for number in range(ivf.nlist):
        size = lists.list_size(number)
        if not size:
            continue
        ids_ptr, codes_ptr = lists.get_ids(number), lists.get_codes(number)
        id_parts.append(faiss.rev_swig_ptr(ids_ptr, size).copy())
        codes = faiss.rev_swig_ptr(codes_ptr, size * lists.code_size).copy()
        parts.append(codes.view(np.float32).reshape(size, ivf.d))
        lists.release_ids(number, ids_ptr)
        lists.release_codes(number, codes_ptr)
    if not parts:
        return np.zeros((0, ivf.d), dtype=np.float32), np.zeros(0, dtype=np.int64)
    return np.vstack(parts), np.concatenate(id_parts).astype(np.int64)


def _ivf(index: Any) -> Any:
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _as_vectors(vectors: np.ndarray, dim: int) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    return vectors


def _as_ids(ids: np.ndarray, n: int) -> np.ndarray:
    ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    if len(ids) != n:
        raise ValueError(f"{len(ids)} ids for {n} vectors")
    return ids
