"""Names: what damping a sentence about another name does on SQuAD. ``--rule conflict``
(``qa.answer.NAME_CONFLICT``): the sentence names "Kestrel Motors" for a question about
"Kestrel Aviation". ``--rule missing`` (``qa.answer.NAME_MISSING``): its document never names
a name the question gives. A factor of 1.0 is no damping.

Asks the held-out questions of each file once per factor, through ``qa eval``'s pipeline and
cached index, and prints the answer and abstention scores side by side.

    python benchmarks/name_conflicts.py [--rule conflict|missing] [--factors 1.0 0.5]
        [--files v1.1 v2.0]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa.answer  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.evaluation import evaluate_squad  # noqa: E402

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))
FILES = {"v1.1": ("squad-v1.1-dev.json", 4), "v2.0": ("squad-v2.0-halfdev.json", 3)}
KEYS = ["exact_match", "f1", "has_answer_accuracy", "no_answer_accuracy", "mrr@10"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rule", choices=["conflict", "missing"], default="conflict")
    p.add_argument("--factors", type=float, nargs="+", default=[1.0, 0.5])
    p.add_argument("--files", nargs="+", choices=sorted(FILES), default=sorted(FILES))
    args = p.parse_args()
    print("| file | factor | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 2) + "|")
    for name in args.files:
        path, holdout = FILES[name]
        if not (SHARED / path).is_file():
            print(f"skipped {name}: no {SHARED / path} (set QA_SHARED_EVAL)")
            continue
        for factor in args.factors:
            setattr(qa.answer, f"NAME_{args.rule.upper()}", factor)
            scores = evaluate_squad(SHARED / path, Settings.from_env(), holdout=holdout)
            cells = ["-" if scores.get(k) is None else f"{scores[k]:.4f}" for k in KEYS]
            print(f"| {name} | {factor} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
