"""Incremental update cost: one changed document in a corpus of 1,000, against a full build.

Both measured in one run, in one process with the model and spaCy already loaded, on SQuAD
paragraphs from ``../shared/eval`` (or ``--squad``) written as one .txt file each:

1. full build of N documents (``qa index --rebuild`` path),
2. one document edited, then ``qa index`` (incremental path), three times with a different
   document each time, median: target <= 2 % of (1),
3. one document added and one deleted, then ``qa index``,
4. nothing changed (up-to-date check).

    python benchmarks/bench_update.py [--squad FILE] [--docs 1000] [--precision auto|fp32|bf16]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_index import machine, squad_paragraphs  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.index import build  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))


def timed(corpus: Path, settings: Settings, embedder: Embedder, rebuild: bool = False) -> float:
    started = time.perf_counter()
    build(corpus, settings, embedder, progress=False, rebuild=rebuild)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    args = parser.parse_args()
    if not args.squad.exists():
        print(f"skipped: {args.squad} not found (pass --squad or set QA_SHARED_EVAL)")
        return 0
    paragraphs = squad_paragraphs(args.squad)[: args.docs + 1]
    settings = Settings(precision=args.precision)
    embedder = Embedder(settings)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "corpus")
        corpus.mkdir()
        warm = Path(tmp, "warm")
        warm.mkdir()
        (warm / "a.txt").write_text(paragraphs[-1][1], encoding="utf-8")
        timed(warm, settings.with_(index_dir=Path(tmp, "warm-ix")), embedder)  # load models
        for i, (_title, text, _) in enumerate(paragraphs[:-1]):
            (corpus / f"p{i:05d}.txt").write_text(text + "\n", encoding="utf-8")
        settings = settings.with_(index_dir=Path(tmp, "ix"))
        full = timed(corpus, settings, embedder, rebuild=True)
        runs = []
        for n in (1, 2, 3):  # three edits of different documents: the median is reported
            edited = corpus / f"p{n * len(paragraphs) // 4:05d}.txt"
            edited.write_text(edited.read_text(encoding="utf-8") + " An added sentence.\n")
            runs.append(timed(corpus, settings, embedder))
        one_changed = sorted(runs)[1]
        (corpus / "p00000.txt").unlink()
        (corpus / "new.txt").write_text(paragraphs[-1][1], encoding="utf-8")
        add_delete = timed(corpus, settings, embedder)
        nothing = timed(corpus, settings, embedder)
    print(f"machine: {machine()}, precision {embedder.precision}")
    print(f"documents: {len(paragraphs) - 1}")
    print(f"full build:                 {full:8.2f} s")
    print(
        f"one document changed:       {one_changed:8.2f} s  ratio {one_changed / full:.4f}"
        f"  (median of {', '.join(f'{r:.2f}' for r in runs)})"
    )
    print(f"one added + one deleted:    {add_delete:8.2f} s  ratio {add_delete / full:.4f}")
    print(f"nothing changed:            {nothing:8.2f} s  ratio {nothing / full:.4f}")
    verdict = "met" if one_changed / full <= 0.02 else "NOT met"
    print(f"target: one changed <= 0.02 of full -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
