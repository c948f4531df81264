"""What the short-answer reader costs: ``ask()`` latency on the seeds index, and the reader's
own share (one batch over the top-k passages), per precision.

Target: ask p50 <= 250 ms on 2 cores. Every seeds-qa question is asked ``--rounds`` times after
a warm-up; the reader is then timed alone on the same passages.

    python benchmarks/bench_reader.py [--rounds 5] [--precision fp32 bf16] [--rerank 0 10]

With ``--rerank N`` the reader reads the best N passages during the search (and ``ask`` reuses
them); the "read" column still times a separate read of the k passages answered from.

Each question is also asked, right after, with every candidate sentence encoded (as before
``ask`` encoded only those that can decide the answer): ``ask_every_sentence_ms_p50``, the
ratio of the two p50s, and how many of those answers differ from the default's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(precision: str, rounds: int, index_dir: Path, rerank: int) -> dict[str, object]:
    import qa.answer
    from qa.answer import Answer, Answerer
    from qa.config import Settings
    from qa.index import build
    from qa.retrieval import Searcher, _embedder

    settings = Settings(index_dir=index_dir, precision=precision, rerank=rerank)  # type: ignore[arg-type]
    embedder = _embedder(settings)
    index = build(ROOT / "seeds", settings, embedder, progress=False)
    answerer = Answerer(Searcher(index, embedder, settings))
    lines = (ROOT / "tests" / "data" / "seeds-qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    answerer.ask(questions[0])  # loads the models
    asks: list[float] = []
    every: list[float] = []
    reads: list[float] = []
    differ = 0
    deciding = qa.answer.OTHER_SENTENCES

    def shown(answer: Answer) -> tuple[object, ...]:
        return answer.abstained, answer.short_answer, answer.text, answer.citations

    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            answer = answerer.ask(question)
            asks.append((time.perf_counter() - started) * 1000)
            qa.answer.OTHER_SENTENCES = 10**9  # every candidate sentence encoded
            try:
                started = time.perf_counter()
                full = answerer.ask(question)
                every.append((time.perf_counter() - started) * 1000)
            finally:
                qa.answer.OTHER_SENTENCES = deciding
            differ += shown(answer) != shown(full)
            texts = [h.text for h in answer.hits]  # what ask's reader reads
            started = time.perf_counter()
            answerer.reader.read(question, texts)
            reads.append((time.perf_counter() - started) * 1000)
    return {
        "precision": precision,
        "rerank": rerank,
        "questions": len(asks),
        "ask_ms_p50": round(statistics.median(asks), 1),
        "ask_ms_p95": round(percentile(asks, 0.95), 1),
        "ask_every_sentence_ms_p50": round(statistics.median(every), 1),
        "ratio": round(statistics.median(asks) / statistics.median(every), 2),
        "answers_differ": differ,
        "read_ms_p50": round(statistics.median(reads), 1),
        "read_ms_p95": round(percentile(reads, 0.95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16"])
    parser.add_argument("--rerank", nargs="+", type=int, default=[0], help="rerank depths")
    args = parser.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        for precision in args.precision:
            for rerank in args.rerank:
                # one index per precision: the next depth finds it up to date
                result = run(precision, args.rounds, Path(tmp) / precision, rerank)
                result["torch_threads"] = torch.get_num_threads()
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
