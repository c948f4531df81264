"""Build BEIR-format sets from a SQuAD file, for `qa eval --beir` where no BEIR set is at hand.

BEIR's documents run to several passages and many of its queries are not questions (keywords,
titles, claims). These sets imitate both from the shared SQuAD file, which may not be copied
into the repository: each document is ``--per-doc`` consecutive paragraphs of an article under
the article's title, and a query is a question (``DIR/questions``) or the same question cut to
its content words (``DIR/keywords``: "Which NFL team represented the AFC at Super Bowl 50?" ->
"NFL team represented AFC Super Bowl 50"). A query's relevant document is the one holding its
paragraph. Nothing is written into the repository unless ``--out`` points there.

    python benchmarks/beir_from_squad.py --out /tmp/beir-squad [--squad FILE] [--limit 800]
    qa eval --beir /tmp/beir-squad/keywords --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluation import EvalError, squad_articles  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))
_WORD = re.compile(r"[\w'-]+")


def keywords(question: str, stop_words: frozenset[str]) -> str:
    """The question without its stop words (question words, auxiliaries, articles) or '?'."""
    return " ".join(w for w in _WORD.findall(question) if w.lower() not in stop_words)


def build(squad: Path, out: Path, per_doc: int, limit: int, seed: int) -> dict[str, int]:
    """Write ``out/questions`` and ``out/keywords``; returns what was written."""
    from spacy.lang.en.stop_words import STOP_WORDS

    articles = squad_articles(json.loads(squad.read_text(encoding="utf-8")), squad)
    corpus: list[dict[str, str]] = []
    queries: list[tuple[str, str, str]] = []  # (id, question, document id)
    for a, article in enumerate(articles):
        paragraphs = article["paragraphs"]
        for g in range(0, len(paragraphs), per_doc):
            doc_id = f"{a}-{g // per_doc}"
            group = paragraphs[g : g + per_doc]
            title = str(article.get("title", "")).replace("_", " ")
            text = "\n\n".join(p["context"] for p in group)
            corpus.append({"_id": doc_id, "title": title, "text": text})
            queries += [(q["id"], q["question"], doc_id) for p in group for q in p["qas"]]
    random.Random(seed).shuffle(queries)
    queries = queries[:limit] if limit else queries
    stop = frozenset(STOP_WORDS)
    documents = "\n".join(json.dumps(doc, ensure_ascii=False) for doc in corpus) + "\n"
    qrels = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, _, d in queries)]
    for kind in ("questions", "keywords"):
        folder = out / kind
        (folder / "qrels").mkdir(parents=True, exist_ok=True)
        (folder / "corpus.jsonl").write_text(documents, encoding="utf-8")
        rows = [
            {"_id": qid, "text": question if kind == "questions" else keywords(question, stop)}
            for qid, question, _ in queries
        ]
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        (folder / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    return {"documents": len(corpus), "queries": len(queries)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    ap.add_argument("--out", type=Path, required=True, help="folder to write the two sets into")
    ap.add_argument("--per-doc", type=int, default=3, help="paragraphs per document")
    ap.add_argument("--limit", type=int, default=800, help="questions sampled; 0 = all")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.squad.exists():
        print(f"skipped: {args.squad} not found (pass --squad or set QA_SHARED_EVAL)")
        return 0
    if args.per_doc < 1 or args.limit < 0:
        ap.error("--per-doc must be at least 1 and --limit at least 0")
    try:
        made = build(args.squad, args.out, args.per_doc, args.limit, args.seed)
    except (EvalError, ValueError, KeyError, TypeError) as exc:  # not a SQuAD file we can read
        print(f"beir_from_squad: {exc}", file=sys.stderr)
        return 1
    print(f"{made['documents']} documents, {made['queries']} queries in {args.out}/questions "
          f"and {args.out}/keywords")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
