"""Questions from a script: one ``qa ask`` process per question against one ``qa ask -`` for
all of them (the questions piped one per line), on the seeds index.

Each ``qa ask`` pays the start-up (importing torch, transformers and sentence-transformers,
loading the embedding model and the reader) before its answer; ``qa ask -`` pays it once.
Prints the seconds per question both ways and their ratio, measured in one run.

    python benchmarks/bench_cli_batch.py [--questions 12]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def qa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=True,
    )  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--questions", type=int, default=12, help="how many seeds-qa questions")
    args = p.parse_args()
    lines = (ROOT / "tests" / "data" / "seeds-qa.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    questions = questions[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        index = str(Path(tmp) / "index")
        qa("index", str(ROOT / "seeds"), "--index-dir", index, "--quiet")
        started = time.perf_counter()
        one_by_one = [qa("ask", "--json", q, "--index-dir", index).stdout for q in questions]
        apart = (time.perf_counter() - started) / len(questions)
        started = time.perf_counter()
        piped = qa("ask", "--json", "-", "--index-dir", index, stdin="\n".join(questions)).stdout
        together = (time.perf_counter() - started) / len(questions)
    same = [json.loads(o)["answer"] for o in one_by_one] == [
        json.loads(line)["answer"] for line in piped.splitlines()
    ]
    print(f"{len(questions)} questions on the seeds index")
    print(f"one `qa ask` per question: {apart:.2f} s per question")
    print(f"one `qa ask -` for all:    {together:.2f} s per question")
    print(f"ratio: {apart / together:.1f}x; same answers both ways: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
