"""Retrieval settings measured on SQuAD paragraphs: how the defaults were chosen.

Indexes the SQuAD file once per chunk size (cached, same pipeline as ``qa eval``), then runs a
deterministic sample of its questions through ``Searcher.search`` for each retrieval mode and
fusion setting, and prints recall@1/5/10, MRR@10 and nDCG@10 per row. The first stage only
(no reranking by the reader) unless ``--rerank N``: the reader was trained on most of these
articles, so its reranking is measured on held-out ones (``qa eval --holdout``) instead.

    python benchmarks/sweep_retrieval.py [--squad FILE] [--limit 1000 | 0 for all]
        [--chunk-tokens 128 96] [--rerank 0]
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
    DOCUMENT_DEPTH,
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
    *({"mode": "dense", "sentence_weight": w} for w in (0.0, 1.0, 2.5)),
    *({"mode": "hybrid", "sentence_weight": w} for w in (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)),
    *({"mode": "hybrid", "rrf_k": k, "candidates": 50} for k in (1, 5, 10, 60)),
    {"mode": "hybrid", "rrf_k": 2, "candidates": 20},
    {"mode": "hybrid", "rrf_k": 2, "candidates": 100},
]


def run(searcher: Searcher, items: list[Any], doc_of: Any) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    started = time.perf_counter()
    for item in items:
        hits = searcher.search(item.question, k=DOCUMENT_DEPTH)  # documents ranked as qa eval
        docs = [[doc_of(s.path) for s in h.sources] for h in hits]
        for key, value in retrieval_metrics(docs, item.relevant).items():
            values.setdefault(key, []).append(value)
    out = {key: float(np.mean(v)) for key, v in values.items()}
    out["ms"] = (time.perf_counter() - started) * 1000 / len(items)
    return out


def _cell(row: dict[str, Any], name: str, settings: Settings) -> str:
    """A setting's value where it applies to the row's mode (blank where it does not)."""
    dense_only = name == "sentence_weight" and row["mode"] == "bm25"
    fused_only = name in {"rrf_k", "candidates"} and row["mode"] != "hybrid"
    return "" if dense_only or fused_only else f"{getattr(settings, name):g}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    ap.add_argument("--limit", type=int, default=1000, help="questions sampled; 0 = all")
    ap.add_argument("--chunk-tokens", type=int, nargs="+", default=[128])
    ap.add_argument("--rerank", type=int, default=0, help="reader rerank depth (0: first stage)")
    args = ap.parse_args()
    if not args.squad.exists():
        print(f"skipped: {args.squad} not found (pass --squad or set QA_SHARED_EVAL)")
        return 0
    corpus, items = read_squad(args.squad)
    items = [i for i in items if i.relevant]
    if args.limit:
        items = random.Random(0).sample(items, min(args.limit, len(items)))
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    folder, key = _write_corpus(corpus, cache)
    doc_of = _mapped(folder, corpus)
    print(f"{len(items)} questions of {args.squad.name}; document-level metrics\n")
    print("| chunk | mode | sent. w | rrf_k | cand. | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | ms/q |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for tokens in args.chunk_tokens:
        base, _ = _cached_index(folder, key, Settings(chunk_tokens=tokens), cache)
        for row in GRID:
            settings = base.settings.with_(rerank=args.rerank, **row)
            searcher = Searcher(base.index, base.embedder, settings)
            m = run(searcher, items, doc_of)
            print(
                f"| {tokens} | {row['mode']} | {_cell(row, 'sentence_weight', settings)} | "
                f"{_cell(row, 'rrf_k', settings)} | {_cell(row, 'candidates', settings)} | "
                f"{m['recall@1']:.3f} | {m['recall@5']:.3f} | "
                f"{m['recall@10']:.3f} | {m['mrr@10']:.3f} | {m['ndcg@10']:.3f} | {m['ms']:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
