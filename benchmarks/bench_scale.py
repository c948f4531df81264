"""Dense search at scale on one machine: exact (flat) vs IVF vs HNSW-with-tombstones.

Synthetic, L2-normalised 384-dim float32 vectors. ``--data clustered`` (default) is a
mixture of Gaussians (cosine ~0.7 to its centre, uneven cluster sizes) resembling sentence
embeddings; ``--data uniform`` (random directions) is the pessimistic worst case for any
approximate index. Queries are fresh draws from the same distribution, never stored vectors.

For each size and kind: build time, index memory (serialised bytes, and the RSS growth
while building), single-query k=10 latency p50/p95, recall@10 against exact search, and
deletion: remove 1% of the ids, then search again (recall against exact search over what
is left, and a count of removed ids returned, which must be 0).

IVF uses qa.ann (nprobe calibrated at build). HNSW cannot remove ids, so it is measured
with tombstones (an id selector excluding removed ids at search time; compaction = rebuild)
and its efSearch is tuned on the query set itself (an advantage IVF does not get).

    python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import ann

DIM = 384
K = 10


def synthetic(n: int, kind: str, seed: int) -> np.ndarray:
    """``n`` normalised rows, made in blocks to keep the scratch memory small.

    Clustered: 50 topics x 40 subtopics (subtopics of one topic at cosine ~0.6, as related
    passages are), uneven sizes, each vector at cosine ~0.7 to its subtopic centre.
    """
    rng = np.random.default_rng(seed)
    fixed = np.random.default_rng(7)
    topics = fixed.standard_normal((50, 1, DIM)).astype(np.float32)
    centres = (topics + 0.8 * fixed.standard_normal((50, 40, DIM)).astype(np.float32)).reshape(
        -1, DIM
    )
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = fixed.lognormal(0.0, 1.0, len(centres))
    weights /= weights.sum()
    out = np.empty((n, DIM), dtype=np.float32)
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        noise = rng.standard_normal((hi - lo, DIM), dtype=np.float32)
        if kind == "clustered":
            picked = rng.choice(len(centres), hi - lo, p=weights)
            block = centres[picked] + noise / np.sqrt(DIM)
        else:
            block = noise
        out[lo:hi] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def serialised_bytes(index: Any) -> int:
    import faiss

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "i.faiss")
        faiss.write_index(index, str(path))
        return path.stat().st_size


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(
        len(set(f[f != -1].tolist()) & set(t[t != -1].tolist()))
        for f, t in zip(found, truth, strict=True)
    )
    return hits / max(1, int((truth != -1).sum()))


def latencies(
    search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray
) -> tuple[list[float], np.ndarray]:
    """One query at a time, as the app searches; returns ms per query and the ids found."""
    times: list[float] = []
    rows = []
    for q in queries:
        started = time.perf_counter()
        rows.append(search(q[None, :]))
        times.append((time.perf_counter() - started) * 1000)
    return times, np.vstack(rows)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


def exact(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> np.ndarray:
    import faiss

    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    _, rows = flat.search(queries, K)
    return np.where(rows >= 0, ids[np.maximum(rows, 0)], -1)


def hnsw_index(vectors: np.ndarray, ids: np.ndarray) -> Any:
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT))
    faiss.downcast_index(index.index).hnsw.efConstruction = 40
    index.add_with_ids(vectors, ids)
    return index


def measure(
    kind: str,
    vectors: np.ndarray,
    ids: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    gone: np.ndarray,
    truth_after: np.ndarray,
) -> dict[str, Any]:
    import faiss

    before = rss()
    started = time.perf_counter()
    index = hnsw_index(vectors, ids) if kind == "hnsw" else ann.new_index(DIM, vectors, ids, kind)
    build_s = time.perf_counter() - started
    grown = rss() - before
    size = serialised_bytes(index)
    params: dict[str, Any] = {}
    tombstones: Any = None
    if kind == "hnsw":
        hnsw = faiss.downcast_index(index.index).hnsw
        for ef in (16, 32, 64, 128, 256, 512):  # tuned on the queries themselves
            hnsw.efSearch = ef
            _, found = index.search(queries, K)
            if recall(found, truth) >= 0.95:
                break
        params = {"M": 32, "efConstruction": 40, "efSearch": ef}

        def search(q: np.ndarray) -> np.ndarray:
            sp = faiss.SearchParametersHNSW(efSearch=ef, sel=tombstones)
            return np.asarray(index.search(q, K, params=sp)[1])
    else:
        params = {k: v for k, v in ann.describe(index).items() if k in {"nlist", "nprobe"}}

        def search(q: np.ndarray) -> np.ndarray:
            return np.asarray(index.search(q, K)[1])

    times, found = latencies(search, queries)
    started = time.perf_counter()
    if kind == "hnsw":
        batch = faiss.IDSelectorBatch(gone)
        tombstones = faiss.IDSelectorNot(batch)
        tombstones.referenced = batch  # keep the inner selector alive
        removed = len(gone)
    else:
        removed = ann.remove(index, gone)
    remove_ms = (time.perf_counter() - started) * 1000
    times_after, found_after = latencies(search, queries)
    result = {
        "kind": kind,
        "n": len(vectors),
        "params": params,
        "build_s": round(build_s, 2),
        "index_mb": round(size / 1e6, 1),
        "rss_growth_mb": round(grown / 1e6, 1),
        "p50_ms": round(pct(times, 50), 3),
        "p95_ms": round(pct(times, 95), 3),
        "recall_at_10": round(recall(found, truth), 4),
        "remove_1pct_ms": round(remove_ms, 1),
        "removed": removed,
        "p50_after_remove_ms": round(pct(times_after, 50), 3),
        "recall_after_remove": round(recall(found_after, truth_after), 4),
        "removed_ids_returned": int(np.isin(found_after, gone).sum()),
    }
    return result


def run_size(n: int, data: str, n_queries: int, kinds: list[str]) -> list[dict[str, Any]]:
    vectors = synthetic(n, data, seed=n)
    ids = np.random.default_rng(n + 1).choice(2**62, n, replace=False).astype(np.int64)
    queries = synthetic(n_queries, data, seed=10**9 + n)
    truth = exact(vectors, ids, queries)
    gone_rows = np.random.default_rng(n + 2).choice(n, max(1, n // 100), replace=False)
    gone = ids[gone_rows]
    keep = np.ones(n, dtype=bool)
    keep[gone_rows] = False
    truth_after = exact(vectors[keep], ids[keep], queries)
    out = []
    for kind in kinds:
        row = measure(kind, vectors, ids, queries, truth, gone, truth_after)
        print(json.dumps(row), file=sys.stderr, flush=True)
        out.append(row)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'kind':5} {'n':>9} {'params':24} {'build s':>8} {'index MB':>9} {'RSS +MB':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'R@10':>6} {'rm1% ms':>8} {'p50 rm':>7} {'R@10 rm':>7} "
        f"{'dead':>4}"
    )
    lines = [head]
    for r in rows:
        params = ",".join(f"{k}={v}" for k, v in r["params"].items())
        lines.append(
            f"{r['kind']:5} {r['n']:>9,} {params:24} {r['build_s']:>8.2f} {r['index_mb']:>9.1f} "
            f"{r['rss_growth_mb']:>8.1f} {r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f} "
            f"{r['recall_at_10']:>6.3f} {r['remove_1pct_ms']:>8.1f} "
            f"{r['p50_after_remove_ms']:>7.2f} {r['recall_after_remove']:>7.3f} "
            f"{r['removed_ids_returned']:>4}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000,100000,1000000")
    ap.add_argument("--kinds", default="flat,ivf,hnsw")
    ap.add_argument("--hnsw-max", type=int, default=100_000, help="skip HNSW above this size")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--data", choices=("clustered", "uniform"), default="clustered")
    ap.add_argument("--quick", action="store_true", help="10k and 50k, 50 queries")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="FAISS threads (default 1: one question per request; 2 OpenMP threads on a busy\n"
        "2-core machine were measured 2.5x slower for single flat queries)",
    )
    args = ap.parse_args()
    import faiss

    faiss.omp_set_num_threads(args.threads)

    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.queries = [10_000, 50_000], 50
    rows: list[dict[str, Any]] = []
    for n in sizes:
        kinds = [k for k in args.kinds.split(",") if k != "hnsw" or n <= args.hnsw_max]
        rows.extend(run_size(n, args.data, args.queries, kinds))
    bad = [r for r in rows if r["removed_ids_returned"] or r["removed"] != max(1, r["n"] // 100)]
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"data": args.data, "rows": rows, "load": load}, indent=1))
    else:
        print(
            f"{args.data} vectors, dim {DIM}, k={K}, {args.queries} single queries, "
            f"{faiss.omp_get_max_threads()} threads, load average {load:.2f} at the end"
        )
        print(table(rows))
        for n in sorted({r["n"] for r in rows}):
            flat = next((r for r in rows if r["n"] == n and r["kind"] == "flat"), None)
            for r in rows:
                if flat and r["n"] == n and r["kind"] != "flat":
                    print(
                        f"{n:>9,}: {r['kind']} is {flat['p50_ms'] / r['p50_ms']:.1f}x faster "
                        f"than flat at p50, recall@10 {r['recall_at_10']:.3f}, "
                        f"build {r['build_s'] / max(flat['build_s'], 1e-3):.0f}x flat's"
                    )
    if bad:
        print(f"FAILED: deletions not honoured in {len(bad)} rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
