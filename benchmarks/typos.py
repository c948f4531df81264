"""Misspelt questions: what a typo costs, and what reading it as the documents' word gives back.

Each held-out SQuAD question gets one typo in its longest word of 5+ letters (two letters
swapped, one dropped, one doubled, or one changed to a key beside it; seeded, so every run
makes the same typos). The questions, as written and misspelt, are asked with ``spelling``
off and on, through ``qa eval``'s pipeline and cached index. The clean rows show what the
correction costs questions without typos; SQuAD 2.0's unanswerable questions (``--squad`` a
2.0 file) show whether it makes the system answer what it should not.

    python benchmarks/typos.py [--squad FILE] [--holdout 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluation import (  # noqa: E402
    EvalError,
    Item,
    _evaluate_corpus,
    _parse_squad,
    held_out,
)

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))
#: keys beside each other on a QWERTY keyboard, for a changed letter
_NEAR = {
    a: b
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i, a in enumerate(row)
    for b in [row[max(0, i - 1) : i] + row[i + 1 : i + 2]]
}
_WORD = re.compile(r"[A-Za-z]{5,}")


def misspell(question: str, rng: random.Random) -> str:
    """``question`` with one typo inside its longest word of 5+ letters (as is, if none)."""
    words = list(_WORD.finditer(question))
    if not words:
        return question
    m = max(words, key=lambda w: len(w.group()))
    word = m.group()
    i = rng.randrange(1, len(word) - 1)  # not the first letter: typos rarely hit it
    kind = rng.choice(["swap", "drop", "double", "near"])
    if kind == "swap":
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "drop":
        typo = word[:i] + word[i + 1 :]
    elif kind == "double":
        typo = word[:i] + word[i] + word[i:]
    else:
        near = _NEAR.get(word[i].lower(), "") or "e"
        typo = word[:i] + rng.choice(near) + word[i + 1 :]
    return question[: m.start()] + typo + question[m.end() :]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--squad", type=Path, default=SHARED / "squad-v1.1-dev.json")
    p.add_argument("--holdout", type=int, default=4, help="the last N articles (default 4)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not args.squad.is_file():
        print(f"skipped: no SQuAD file at {args.squad} (give --squad or QA_SHARED_EVAL)")
        return 0
    try:
        corpus, items, titles = _parse_squad(args.squad)
        items = held_out(items, args.holdout, len(titles))
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    typos: list[Item] = [replace(i, question=misspell(i.question, rng)) for i in items]
    changed = sum(a.question != b.question for a, b in zip(items, typos, strict=True))
    print(f"{args.squad.name}, {len(items)} held-out questions, {changed} given a typo")
    keys = ["recall@5", "mrr@10", "exact_match", "f1", "has_answer_accuracy"]
    keys += ["no_answer_accuracy"]
    print("| questions | spelling | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 2) + "|")
    rows = {}
    for label, asked in (("as written", items), ("one typo", typos)):
        for spelling in (False, True):
            settings = Settings.from_env(spelling=spelling)
            scores = _evaluate_corpus(corpus, asked, settings, None, None, answers=True)
            rows[label, spelling] = scores
            cells = ["-" if scores.get(k) is None else f"{scores[k]:.4f}" for k in keys]
            print(f"| {label} | {'on' if spelling else 'off'} | " + " | ".join(cells) + " |")
            sys.stdout.flush()
    for key in ("recall@5", "f1"):
        typo_off, typo_on = rows["one typo", False][key], rows["one typo", True][key]
        clean = rows["as written", False][key]
        if typo_off is not None and clean:
            back = (typo_on - typo_off) / (clean - typo_off) if clean != typo_off else 0.0
            print(f"{key}: a typo costs {clean - typo_off:.4f}; spelling gives back {back:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
