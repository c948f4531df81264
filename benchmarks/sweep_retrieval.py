"""Retrieval settings measured on SQuAD paragraphs: how the defaults were chosen.

Indexes the SQuAD file once per chunk size (cached, same pipeline as ``qa eval``), then runs a
deterministic sample of its questions through ``Searcher.search`` for each retrieval mode and
fusion setting, and prints recall@1/5/10, MRR@10 and nDCG@10 per row.

    python benchmarks/sweep_retrieval.py [--squad FILE] [--limit 1000] [--chunk-tokens 128 96]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluation import (  # noqa: E402
    _cached_index,
    _mapped,
    _write_corpus,
    default_cache_dir,
    read_squad,
    retrieval_metrics,
)
from qa.retrieval import Searcher  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))
GRID: list[dict[str, Any]] = [
    {"mode": "bm25"},
    {"mode": "dense"},
    *({"mode": "hybrid", "rrf_k": k, "candidates": 50} for k in (2, 5, 10, 20, 60)),
    {"mode": "hybrid", "rrf_k": 10, "candidates": 20},
    {"mode": "hybrid", "rrf_k": 10, "candidates": 100},
]


def run(searcher: Searcher, items: list[Any], doc_of: Any) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    started = time.perf_counter()
    for item in items:
        hits = searcher.search(item.question, k=10)
        docs = [[doc_of(s.path) for s in h.sources] for h in hits]
        for key, value in retrieval_metrics(docs, item.relevant).items():
            values.setdefault(key, []).append(value)
    out = {key: float(np.mean(v)) for key, v in values.items()}
    out["ms"] = (time.perf_counter() - started) * 1000 / len(items)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--chunk-tokens", type=int, nargs="+", default=[128])
    args = ap.parse_args()
    if not args.squad.exists():
        print(f"skipped: {args.squad} not found (pass --squad or set QA_SHARED_EVAL)")
        return 0
    corpus, items = read_squad(args.squad)
    items = [i for i in items if i.relevant]
    items = random.Random(0).sample(items, min(args.limit, len(items)))
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    folder, key = _write_corpus(corpus, cache)
    doc_of = _mapped(folder, corpus)
    print(f"{len(items)} questions of {args.squad.name}; document-level metrics\n")
    print("| chunk | mode | rrf_k | cand. | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | ms/q |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for tokens in args.chunk_tokens:
        base, _ = _cached_index(folder, key, Settings(chunk_tokens=tokens), cache)
        for row in GRID:
            settings = base.settings.with_(**row)
            searcher = Searcher(base.index, base.embedder, settings)
            m = run(searcher, items, doc_of)
            print(
                f"| {tokens} | {row['mode']} | {row.get('rrf_k', '')} | "
                f"{row.get('candidates', '')} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | "
                f"{m['recall@10']:.3f} | {m['mrr@10']:.3f} | {m['ndcg@10']:.3f} | {m['ms']:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
