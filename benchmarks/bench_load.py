"""Load on the running UI: N questions at once through Gradio's HTTP API, on 127.0.0.1.

Builds a seeds index in a temporary folder, starts ``python app.py`` with each queue
setting under test (``QA_CONCURRENCY``: answering workers; ``QA_QUEUE_SIZE``: questions
allowed to wait, 0 = no limit), waits for a first answer, then fires every question at
once (one client thread each, raw HTTP to ``/gradio_api/call/ask``) and reports throughput,
p50/p95 latency (submit to answer), errors, and questions with no answer (dropped). Every
answer must be for its own question (the JSON output echoes it), so a mixed-up response
counts as an error too. Bounded: ``--timeout`` seconds per run; unanswered = dropped.

    python benchmarks/bench_load.py [--questions 200] [--configs 1:0,2:0,4:0,1:100] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_startup import free_port, wait_200  # noqa: E402

VARIANTS = (
    "{q}",
    "{q_lower}",
    "Please tell me: {q}",
    "{q_bare}",
    "According to the documents, {q_lower}",
    "Quick question. {q}",
    "{q} Answer briefly.",
    "I was wondering: {q_lower}",
    "Can you find out {q_lower}",
    "{q_upper}",
    "Do the documents say {q_lower}",
    "{q} (cite the source)",
    "Hi! {q}",
    "One thing I need to know: {q_lower}",
    "{q_bare}, please",
    "Tell me {q_lower}",
    "From the articles: {q}",
)


def questions(n: int) -> list[str]:
    """``n`` distinct questions: the seeds-qa set and the UI's examples, paraphrased."""
    lines = (ROOT / "tests" / "data" / "seeds-qa.jsonl").read_text(encoding="utf-8").splitlines()
    base = [json.loads(line)["question"] for line in lines if line.strip()]
    base += [
        "Who was known as the Lion of Panjshir?",
        "Where did President Ashraf Ghani flee to?",
        "Which newspaper published Massoud's op-ed?",
        "What did the Taliban claim to have captured?",
    ]
    out: list[str] = []
    for variant in VARIANTS:
        for q in base:
            bare = q.rstrip("?")
            text = variant.format(q=q, q_lower=q[0].lower() + q[1:], q_bare=bare, q_upper=q.upper())
            if text not in out:
                out.append(text)
    while len(out) < n:  # more than the variants give: number the repeats
        out.append(f"{out[len(out) % len(base)]} ({len(out)})")
    return out[:n]


@dataclass
class Outcome:
    question: str
    seconds: float | None = None  # submit to answer; None if no answer arrived
    error: str = ""
    answer: dict[str, Any] = field(default_factory=dict)


def ask(base: str, question: str, timeout: float) -> Outcome:
    """One question through ``/gradio_api/call/ask``: POST it, then read the event stream."""
    out = Outcome(question)
    started = time.perf_counter()
    try:
        body = json.dumps({"data": [question, 5]}).encode()
        post = urllib.request.Request(
            f"{base}/gradio_api/call/ask", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(post, timeout=timeout) as response:
            event_id = json.loads(response.read())["event_id"]
        with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event_id}", timeout=timeout) as r:
            event = ""
            for raw in r:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in {"complete", "error"}:
                    data = line.split(":", 1)[1].strip()
                    if event == "error":
                        out.error = f"error event: {data[:200]}"
                        return out
                    outputs = json.loads(data)
                    out.answer = json.loads(outputs[3]) if outputs[3] else {}
                    out.seconds = time.perf_counter() - started
                    if not out.answer:  # the UI showed a message instead of an answer
                        out.error = f"no answer: {outputs[0][:200]}"
                    elif out.answer.get("question") != question:
                        out.error = f"answer for another question: {out.answer.get('question')!r}"
                    return out
        out.error = "stream ended without an answer"
    except (OSError, ValueError, KeyError, IndexError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def fire(base: str, texts: list[str], timeout: float) -> tuple[list[Outcome], float]:
    """Every question at once, one thread each; returns the outcomes and the wall time."""
    results: list[Outcome | None] = [None] * len(texts)
    start = threading.Barrier(len(texts) + 1)

    def worker(i: int) -> None:
        start.wait()
        results[i] = ask(base, texts[i], timeout)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(texts))]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    deadline = began + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
    wall = time.perf_counter() - began
    return [
        r or Outcome(texts[i], error="dropped: no answer in time") for i, r in enumerate(results)
    ], wall


def start_server(
    index_dir: Path, concurrency: int, queue_size: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_CONCURRENCY": str(concurrency),
        "QA_QUEUE_SIZE": str(queue_size),
    }
    serve = ("--index-dir", str(index_dir))
    proc = subprocess.Popen(
        [sys.executable, "app.py", *("--host", "127.0.0.1", "--port", str(port)), *serve],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_200(base + "/", proc)
        first = ask(base, "Who warmed up the model?", 300)  # the model loads in the background
        if first.error:
            raise RuntimeError(f"the server did not answer: {first.error}")
    except BaseException:
        stop(proc)
        raise
    return proc, base


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def build_index(index_dir: Path) -> None:
    target = ("--index-dir", str(index_dir))
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", str(ROOT / "seeds"), "--quiet", *target],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def run(
    index_dir: Path, concurrency: int, queue_size: int, n: int, timeout: float
) -> dict[str, Any]:
    proc, base = start_server(index_dir, concurrency, queue_size)
    try:
        outcomes, wall = fire(base, questions(n), timeout)
    finally:
        stop(proc)
    answered = [o.seconds for o in outcomes if o.seconds is not None and not o.error]
    errors = [o.error for o in outcomes if o.error]
    ms = sorted(s * 1000 for s in answered)
    return {
        "concurrency": concurrency,
        "queue_size": queue_size,
        "questions": n,
        "answered": len(answered),
        "errors": len(errors),
        "dropped": sum(e.startswith("dropped") for e in errors),
        "error_kinds": sorted({e[:80] for e in errors})[:5],
        "wall_s": round(wall, 2),
        "throughput_qps": round(len(answered) / wall, 2),
        "p50_ms": round(statistics.median(ms)) if ms else None,
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))]) if ms else None,
        "not_found": sum(bool(o.answer.get("abstained")) for o in outcomes),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument(
        "--configs",
        default="1:0,2:0,4:0,8:0,1:100",
        help="CONCURRENCY:QUEUE_SIZE pairs to run, each against a fresh server",
    )
    ap.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    ap.add_argument("--index-dir", type=Path, help="reuse this seeds index instead of building")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    configs = [tuple(int(v) for v in c.split(":")) for c in args.configs.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index_dir or Path(tmp, "index")
        if args.index_dir is None:
            build_index(index_dir)
        for concurrency, queue_size in configs:
            row = run(index_dir, concurrency, queue_size, args.questions, args.timeout)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{args.questions} questions at once through /gradio_api/call/ask, 2 cores")
        print(
            f"{'concurrency':>11} {'queue':>6} {'answered':>8} {'errors':>6} {'dropped':>7} "
            f"{'q/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'wall s':>7} {'load':>5}"
        )
        for r in rows:
            print(
                f"{r['concurrency']:>11} {r['queue_size'] or 'none':>6} {r['answered']:>8} "
                f"{r['errors']:>6} {r['dropped']:>7} {r['throughput_qps']:>6.2f} "
                f"{r['p50_ms'] or 0:>7} {r['p95_ms'] or 0:>7} {r['wall_s']:>7.1f} "
                f"{r['load_average']:>5.2f}"
            )
            for kind in r["error_kinds"]:
                print(f"{'':>11} error: {kind}")
        base = rows[0]
        for r in rows[1:]:
            if r["throughput_qps"] and base["throughput_qps"]:
                print(
                    f"concurrency {r['concurrency']} vs {base['concurrency']}: "
                    f"{r['throughput_qps'] / base['throughput_qps']:.2f}x throughput, "
                    f"p50 {(r['p50_ms'] or 0) / max(1, base['p50_ms'] or 1):.2f}x"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
