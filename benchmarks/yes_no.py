"""Short "Yes" / "No" replies (``qa.replies``): how often a reply is given, and how often it
is right, on sets of (question, sentence, gold) where gold is "Yes", "No" or "Unclear" (the
sentence does not settle it; any reply to those is wrong).

A wrong "Yes" is worse than none (the sentence still answers), so precision comes first.
Every content word weighs the same here; ``ask`` weighs them by IDF in the index.

    python benchmarks/yes_no.py [FILE.jsonl ...] [--wrong]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.bm25 import tokenize  # noqa: E402
from qa.names import stop_words  # noqa: E402
from qa.replies import reply  # noqa: E402

DEFAULT = [ROOT / "tests" / "data" / f"yes-no{n}.jsonl" for n in ("-dev", "", "-3", "-4")]


def score(path: Path, show_wrong: bool) -> None:
    stop = stop_words()
    counts: Counter[tuple[str, str]] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        question = item["question"]
        weights = {t: 1.0 for t in tokenize([question])[0] if t not in stop and len(t) > 1}
        got = reply(question, item["sentence"], weights) or "none"
        counts[item["gold"], got] += 1
        if show_wrong and got not in {"none", item["gold"]}:
            print(f"  wrong: {got} (gold {item['gold']}): {question} | {item['sentence']}")
    given = sum(n for (_, got), n in counts.items() if got != "none")
    right = sum(n for (gold, got), n in counts.items() if got == gold)
    settled = sum(n for (gold, _), n in counts.items() if gold != "Unclear")
    unclear = sum(n for (gold, _), n in counts.items() if gold == "Unclear")
    wrongly = sum(n for (gold, got), n in counts.items() if gold == "Unclear" and got != "none")
    print(
        f"{path.name}: {sum(counts.values())} pairs; replies given {given}, right {right} "
        f"(precision {right / max(given, 1):.3f}); settled by the sentence {settled}, "
        f"replied right {right} (recall {right / max(settled, 1):.3f}); "
        f"unclear given a reply {wrongly} of {unclear}"
    )
    for gold in ("Yes", "No", "Unclear"):
        row = ", ".join(f"{got} {counts[gold, got]}" for got in ("Yes", "No", "none"))
        print(f"  gold {gold}: {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--wrong", action="store_true", help="print each wrong reply")
    args = parser.parse_args()
    for path in args.files:
        score(path, args.wrong)


if __name__ == "__main__":
    main()
