"""Calibrate the abstention threshold (``min_confidence``) on unanswerable questions.

Asks a deterministic sample of the SQuAD 2.0-style file's questions (about half of which the
paragraphs do not answer) and the seeds-qa questions once with the threshold off, records each
answer's confidence, and prints no-answer and has-answer accuracy for a range of thresholds:
either alone is trivial, so the default is the threshold with the best mean of the two.

    python benchmarks/calibrate_abstention.py [--squad2 FILE] [--limit 600]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer import Answerer  # noqa: E402
from qa.config import Settings, default_corpus_dir  # noqa: E402
from qa.evaluation import (  # noqa: E402
    _cached_index,
    _write_corpus,
    default_cache_dir,
    read_seeds_qa,
    read_squad,
)
from qa.retrieval import Searcher  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))


def confidences(searcher: Searcher, questions: list[tuple[str, bool]]) -> list[tuple[float, bool]]:
    """(confidence, answerable) per question; confidence -1 where the answer abstained anyway
    (the reader found no span, or preferred "no answer here"), which no threshold can undo."""
    answerer = Answerer(
        Searcher(searcher.index, searcher.embedder, searcher.settings.with_(min_confidence=0.0))
    )
    out = []
    for question, answerable in questions:
        answer = answerer.ask(question)
        out.append((-1.0 if answer.abstained else answer.confidence, answerable))
    return out


def table(name: str, scored: list[tuple[float, bool]], thresholds: np.ndarray) -> None:
    print(
        f"\n{name}: {sum(a for _, a in scored)} answerable, "
        f"{sum(not a for _, a in scored)} unanswerable"
    )
    print("| min_confidence | no_answer_accuracy | has_answer_accuracy | mean |")
    print("|---|---|---|---|")
    for t in thresholds:
        no = [c < t for c, a in scored if not a]
        has = [c >= t for c, a in scored if a]
        no_acc = float(np.mean(no)) if no else float("nan")
        has_acc = float(np.mean(has)) if has else float("nan")
        print(f"| {t:.3f} | {no_acc:.3f} | {has_acc:.3f} | {np.nanmean([no_acc, has_acc]):.3f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--squad2", type=Path, default=SHARED / "squad-v2.0-halfdev.json")
    ap.add_argument("--limit", type=int, default=600)
    args = ap.parse_args()
    thresholds = np.arange(0.30, 0.801, 0.025)
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    seeds_items = read_seeds_qa(ROOT / "tests" / "data" / "seeds-qa.jsonl")
    corpus = {
        p.name: (p.name, p.read_text(encoding="utf-8"))
        for p in default_corpus_dir().iterdir()
        if p.suffix == ".txt"
    }
    folder, key = _write_corpus(corpus, cache)
    seeds, _ = _cached_index(folder, key, Settings(), cache)
    table(
        "seeds-qa",
        confidences(seeds, [(i.question, bool(i.golds)) for i in seeds_items]),
        thresholds,
    )
    if not args.squad2.exists():
        print(f"\nskipped SQuAD 2.0: {args.squad2} not found")
        return 0
    corpus2, items = read_squad(args.squad2)
    items = random.Random(0).sample(items, min(args.limit, len(items)))
    folder, key = _write_corpus(corpus2, cache)
    searcher, _ = _cached_index(folder, key, Settings(), cache)
    table(
        args.squad2.name,
        confidences(searcher, [(i.question, bool(i.golds)) for i in items]),
        thresholds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
