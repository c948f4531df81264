"""Indexing throughput against plain ``model.encode()``, and query latency over 10,000 passages.

Both figures are measured in one run on the same machine, from SQuAD paragraphs in
``../shared/eval`` (or ``--squad``):

1. The whole pipeline (load files, split sentences, chunk, embed, write FAISS + BM25 +
   manifest) on N paragraphs written as .txt files, divided by ``model.encode()`` alone on the
   very same chunk texts with the same batch size and precision. Target: >= 0.90.
2. Query latency (p50/p95 of ``Searcher.search``, k=5) over an index of 10,000 passages cut
   from the SQuAD paragraphs, for each retrieval mode, with SQuAD questions as queries.

    python benchmarks/bench_index.py [--squad FILE] [--docs 400] [--passages 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.chunking import Chunker  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.documents import Document  # noqa: E402
from qa.embedding import Embedder  # noqa: E402
from qa.index import Index, build, write  # noqa: E402
from qa.retrieval import Searcher  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))
OUT = ROOT / "benchmarks" / "out"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def squad_paragraphs(path: Path) -> list[tuple[str, str, list[str]]]:
    """(article title, paragraph text, questions) in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        (article["title"], p["context"], [q["question"] for q in p["qas"]])
        for article in data["data"]
        for p in article["paragraphs"]
    ]


def throughput(
    paragraphs: list[tuple[str, str, list[str]]], n: int, embedder: Embedder, rounds: int = 3
) -> dict[str, Any]:
    """Best of ``rounds`` interleaved runs each of plain ``model.encode()`` and of the whole
    build, after one untimed build that collects the chunk texts."""
    import torch

    picked = paragraphs[:n] if n else paragraphs
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "corpus")
        corpus.mkdir()
        for i, (_title, text, _) in enumerate(picked):
            (corpus / f"p{i:05d}.txt").write_text(text + "\n", encoding="utf-8")
        # A first build of seeds/ in this process loads spaCy and the model: start-up, not
        # throughput, so it is reported on its own.
        started = time.perf_counter()
        build(ROOT / "seeds", Settings(index_dir=Path(tmp, "warm")), embedder, progress=False)
        startup_s = time.perf_counter() - started
        settings = Settings(index_dir=Path(tmp, "index"))
        texts: list[str] = []

        def pipeline() -> float:
            nonlocal texts
            started = time.perf_counter()
            # rebuild: a second build of an unchanged folder is an incremental no-op
            build(corpus, settings, embedder, progress=False, rebuild=True)
            elapsed = time.perf_counter() - started
            texts = [c.text for c in Index.open(settings.index_dir).chunks]
            return elapsed

        def plain() -> float:
            started = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=embedder.precision == "bf16"):
                embedder.model.encode(texts, batch_size=settings.batch_size)
            return time.perf_counter() - started

        pipeline()  # not timed: collects the chunk texts and warms the caches
        pipeline_runs: list[float] = []
        encode_runs: list[float] = []
        for _ in range(rounds):  # interleaved, so a busy spell of the host hits both
            encode_runs.append(plain())
            pipeline_runs.append(pipeline())
    pipeline_s, encode_s = min(pipeline_runs), min(encode_runs)
    return {
        "documents": len(picked),
        "chunks": len(texts),
        "startup_s": round(startup_s, 2),
        "pipeline_s": round(pipeline_s, 2),
        "encode_s": round(encode_s, 2),
        "pipeline_passages_per_s": round(len(texts) / pipeline_s, 1),
        "encode_passages_per_s": round(len(texts) / encode_s, 1),
        "ratio": round(encode_s / pipeline_s, 3),
        # each round's encode run and build run are back to back: the median of their ratios
        # moves less with the host's speed than the ratio of the two best times
        "paired_ratios": [round(e / p, 3) for e, p in zip(encode_runs, pipeline_runs, strict=True)],
        "paired_ratio_median": round(
            statistics.median(e / p for e, p in zip(encode_runs, pipeline_runs, strict=True)), 3
        ),
    }


def passages_index(
    paragraphs: list[tuple[str, str, list[str]]], count: int, embedder: Embedder, index_dir: Path
) -> int:
    """An index of ``count`` passages (short sentence-aligned chunks of SQuAD paragraphs)."""
    docs = [
        Document(
            id=hashlib.blake2b(f"{i}".encode(), digest_size=8).hexdigest(),
            path=f"squad/{title}/{i}.txt",
            title=title,
            text=text,
            content_hash=hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
            format="txt",
        )
        for i, (title, text, _) in enumerate(paragraphs)
    ]
    chunks = Chunker(embedder.tokens, chunk_tokens=28, chunk_overlap=0).chunk(docs)[:count]
    texts = [c.text for c in chunks]
    key = hashlib.blake2b("\n".join(texts).encode(), digest_size=8).hexdigest()
    cache = OUT / f"passages-{key}-{embedder.identity().hash[:8]}"
    if Path(f"{cache}-s.npy").exists():
        vectors, sentences = np.load(f"{cache}-p.npy"), np.load(f"{cache}-s.npy")
    else:
        print(f"embedding {len(texts)} passages once (cached in {cache.name})…", file=sys.stderr)
        spans = [[(a - c.start, b - c.start) for a, b in c.sentences] for c in chunks]
        vectors, sentences = embedder.encode_passages(texts, spans, progress=True)
        OUT.mkdir(parents=True, exist_ok=True)
        np.save(f"{cache}-p.npy", vectors)
        np.save(f"{cache}-s.npy", sentences)
    settings = Settings(index_dir=index_dir)
    used = {c.doc_id for c in chunks}
    write(
        index_dir,
        "squad",
        settings,
        embedder.identity(),
        embedder.precision,
        [d for d in docs if d.id in used],
        chunks,
        vectors,
        sentences,
    )
    return len(chunks)


def latency(index_dir: Path, questions: list[str], embedder: Embedder) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in ("hybrid", "dense", "bm25"):
        searcher = Searcher(
            Index.open(index_dir), embedder, Settings(index_dir=index_dir, mode=mode)
        )
        searcher.search(questions[0], k=5)
        times = []
        for q in questions:
            started = time.perf_counter()
            searcher.search(q, k=5)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[mode] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    ap.add_argument("--squad2", type=Path, default=SHARED / "squad-v2.0-halfdev.json")
    ap.add_argument(
        "--docs", type=int, default=0, help="paragraphs for the throughput run (0: all)"
    )
    ap.add_argument(
        "--rounds", type=int, default=3, help="interleaved timed runs of each (best is kept)"
    )
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.squad.exists():
        print(f"skipped: {args.squad} not found (pass --squad or set QA_SHARED_EVAL)")
        return 0
    paragraphs = squad_paragraphs(args.squad)
    embedder = Embedder(Settings())
    result: dict[str, Any] = {"machine": machine(), "precision": embedder.precision}
    result["indexing"] = throughput(paragraphs, args.docs, embedder, args.rounds)
    if args.squad2.exists():
        paragraphs += squad_paragraphs(args.squad2)
    questions = [q for _, _, qs in paragraphs for q in qs]
    random.Random(0).shuffle(questions)
    with tempfile.TemporaryDirectory() as tmp:
        result["passages"] = passages_index(paragraphs, args.passages, embedder, Path(tmp))
        result["query_latency"] = latency(Path(tmp), questions[: args.queries], embedder)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    ix = result["indexing"]
    print(f"machine: {result['machine']} ({result['precision']})")
    print(
        f"indexing {ix['documents']} SQuAD paragraphs -> {ix['chunks']} chunks: "
        f"pipeline {ix['pipeline_passages_per_s']} passages/s, model.encode() "
        f"{ix['encode_passages_per_s']} passages/s, ratio {ix['ratio']:.3f} (target >= 0.90; "
        f"round by round {ix['paired_ratios']}, median {ix['paired_ratio_median']:.3f}); "
        f"first build in a fresh process (seeds/, loads spaCy) {ix['startup_s']} s"
    )
    for mode, lat in result["query_latency"].items():
        print(
            f"query latency over {result['passages']} passages, {mode:6}: "
            f"p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms ({args.queries} SQuAD questions, k=5)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
