"""How deep the reader should rerank: recall@1/5 and MRR@10 by rerank depth and rank weight.

Each held-out question's best first-stage passages (``qa eval``'s pipeline and cached index,
no reranking) are read once by the reader, then the reranking of ``Searcher.rerank`` (reader
log-odds - weight x log(rank)) is replayed for every depth and weight, documents ranked from
the best ``DOCUMENT_DEPTH`` passages as ``qa eval`` ranks them. The reader must not have been
trained on the held-out articles. Measuring on other articles than the shipped reader's four
needs a reader trained without them, e.g. articles 1-6 of the v1.1 file moved to its end:

    python -c "import json,sys; d=json.load(open(sys.argv[1])); a=d['data'];
    d['data']=[a[0]]+a[7:]+a[1:7]; json.dump(d, open(sys.argv[2], 'w'))" SQUAD.json ROT.json
    qa train-reader --squad ROT.json --epochs 2 --lr 1e-4 --holdout 6 --out /tmp/rot-reader
    python benchmarks/rerank_depth.py --squad ROT.json --holdout 6 --reader /tmp/rot-reader

    python benchmarks/rerank_depth.py [--squad FILE] [--holdout 4] [--reader DIR]
        [--depths 5 8 10 15 20] [--weights 2 3 4 6]
"""

from __future__ import annotations

import argparse
import math
import os
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
    EvalError,
    _cached_index,
    _mapped,
    _parse_squad,
    _write_corpus,
    default_cache_dir,
    held_out,
    retrieval_metrics,
)
from qa.retrieval import RERANK_RANK_WEIGHT, is_question  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))


def replay(ranked: list[list[str]], odds: list[float], depth: int, weight: float) -> list[Any]:
    """The documents of each passage after the reader reorders the first ``depth``."""
    top = sorted(
        range(min(depth, len(ranked))), key=lambda i: -(odds[i] - weight * math.log(i + 1))
    )
    return [ranked[i] for i in top] + ranked[len(top) :]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    p.add_argument("--holdout", type=int, default=4, help="the last N articles (default 4)")
    p.add_argument("--reader", help="reader folder (default: the shipped one)")
    p.add_argument("--depths", type=int, nargs="+", default=[5, 8, 10, 15, 20])
    p.add_argument("--weights", type=float, nargs="+", default=[2, 3, RERANK_RANK_WEIGHT, 6])
    args = p.parse_args()
    if not args.squad.exists():
        print(f"SQuAD file not found: {args.squad} (set QA_SHARED_EVAL or --squad)")
        return 1
    settings = Settings.from_env(rerank=0, **({"reader": args.reader} if args.reader else {}))
    try:
        corpus, items, titles = _parse_squad(args.squad)
        items = held_out(items, args.holdout, len(titles))
    except EvalError as exc:
        print(f"error: {exc}")
        return 1
    items = [i for i in items if i.relevant]
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    folder, key = _write_corpus(corpus, cache)
    searcher, _ = _cached_index(folder, key, settings, cache)
    doc_of = _mapped(folder, corpus)
    deepest = max(args.depths)
    started = time.perf_counter()
    read: list[tuple[Any, list[list[str]], list[float], bool]] = []
    for item in items:
        hits = searcher.search(item.question, k=DOCUMENT_DEPTH)
        docs = [[doc_of(s.path) for s in h.sources] for h in hits]
        spans = searcher.reader.read(item.question, [h.text for h in hits[:deepest]])
        odds = [-50.0 if s is None else s.log_odds for s in spans]
        read.append((item, docs, odds, is_question(item.question)))
    seconds = time.perf_counter() - started
    where = f"{args.squad.name} (last {args.holdout} articles), reader {searcher.reader.folder}"
    print(f"{len(items)} held-out questions of {where}: {deepest} passages read in {seconds:.0f} s")
    print("| rerank depth | rank weight | R@1 | R@5 | R@10 | MRR@10 |")
    print("|---|---|---|---|---|---|")
    rows = [(0, 0.0)] + [(d, w) for d in args.depths for w in args.weights]
    for depth, weight in rows:
        values: dict[str, list[float]] = {}
        for item, docs, odds, question in read:
            ranked = replay(docs, odds, depth, weight) if question and depth else docs
            for name, value in retrieval_metrics(ranked, item.relevant).items():
                values.setdefault(name, []).append(value)
        m = {name: float(np.mean(v)) for name, v in values.items()}
        print(f"| {depth or 'off'} | {weight:g} | {m['recall@1']:.4f} | {m['recall@5']:.4f} | "
              f"{m['recall@10']:.4f} | {m['mrr@10']:.4f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
