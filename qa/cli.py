"""The ``qa`` command: index a folder, search it. User mistakes get one line, not a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import DEFAULT_MODEL, MODES, PRECISIONS, ConfigError, Settings, default_corpus_dir
from qa.evaluation import (
    EvalError,
    evaluate_beir,
    evaluate_seeds_qa,
    evaluate_squad,
    format_table,
)
from qa.index import Index, IndexProblem, build
from qa.retrieval import Hit, QueryError, clean_query, open_searcher, say

if TYPE_CHECKING:
    from qa.answer import Answer


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="index folder (default: $QA_INDEX_DIR or vectors/)",
    )
    parser.add_argument("--model", help="local sentence-transformers model folder ($QA_MODEL)")
    parser.add_argument(
        "--precision", choices=PRECISIONS, help="embedding precision ($QA_PRECISION)"
    )
    parser.add_argument("--chunk-tokens", type=int, help="chunk budget in model tokens")
    parser.add_argument("--chunk-overlap", type=int, help="sentences repeated between chunks")
    parser.add_argument("--batch-size", type=int, help="embedding batch size")


def _question_options(parser: argparse.ArgumentParser, k_help: str) -> None:
    """What ``search`` and ``ask`` both take."""
    parser.add_argument("-k", type=int, default=None, help=k_help)
    parser.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    parser.add_argument("--mode", choices=MODES, help="retrieval: hybrid (default), dense or bm25")
    _rerank_option(parser)
    _common(parser)


def _rerank_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rerank",
        type=int,
        metavar="N",
        help="for a question, the reader reads the best N passages and reorders them (a keyword "
        "query or a claim keeps retrieval's order); 0 = off ($QA_RERANK)",
    )


def _reader_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reader",
        metavar="DIR",
        help="short-answer reader folder ($QA_READER; default: the one shipped in the package)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="qa", description="Private question answering over your own documents."
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ix = sub.add_parser("index", help="(re)build the index from a folder of documents")
    ix.add_argument("folder", nargs="?", type=Path, help="documents folder (default: seeds/)")
    ix.add_argument("--rebuild", action="store_true", help="build anew even if nothing changed")
    ix.add_argument("--quiet", action="store_true", help="no progress bars")
    _common(ix)

    se = sub.add_parser("search", help="the passages that best match a question")
    se.add_argument("query", type=_typed_text, help="the question or keywords")
    _question_options(se, "number of passages (default 5)")
    _reader_option(se)

    ak = sub.add_parser("ask", help="answer a question with cited sentences")
    ak.add_argument(
        "questions",
        nargs="+",
        type=_typed_text,
        metavar="question",
        help="the question; several are answered in turn, and '-' reads one per line from "
        "standard input (the model loads once: a script's 100 questions take seconds, not "
        "100 start-ups). Options go before or after all the questions, not between them",
    )
    _question_options(ak, "passages to read (default 5)")
    _reader_option(ak)

    sv = sub.add_parser("serve", help="start the browser UI (http://127.0.0.1:7860)")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=7860)
    sv.add_argument(
        "--corpus",
        type=Path,
        help="folder of documents uploads go to (default: the one the index was built from, "
        "else seeds/)",
    )
    _reader_option(sv)
    _common(sv)

    ev = sub.add_parser("eval", help="measure retrieval and answers on SQuAD, BEIR or seeds-qa")
    data = ev.add_mutually_exclusive_group(required=True)
    data.add_argument("--squad", type=Path, metavar="FILE", help="SQuAD v1.1 or v2.0 JSON file")
    data.add_argument(
        "--beir", type=Path, metavar="DIR", help="BEIR folder (corpus/queries .jsonl, qrels/)"
    )
    data.add_argument(
        "--seeds-qa", type=Path, metavar="FILE", help="JSON lines: question, answers, sources"
    )
    ev.add_argument("--corpus", type=Path, help="documents for --seeds-qa (default: seeds/)")
    ev.add_argument("--split", help="BEIR qrels split (default: test)")
    ev.add_argument("--limit", type=int, help="a random sample of N questions (seeded)")
    ev.add_argument("--seed", type=int, help="seed of the --limit sample (default 0)")
    ev.add_argument("-k", type=int, default=None, help="passages read per question (default 5)")
    ev.add_argument(
        "--cache-dir",
        type=Path,
        help="evaluation corpora and indexes (default: $QA_CACHE_DIR or ~/.cache/qa/eval)",
    )
    ev.add_argument("--json", action="store_true", help="one JSON object of scores")
    ev.add_argument("--mode", choices=MODES, help="retrieval: hybrid (default), dense or bm25")
    _rerank_option(ev)
    ev.add_argument(
        "--gold-context",
        action="store_true",
        help="--squad: the reader reads each question's own paragraph (no retrieval)",
    )
    ev.add_argument(
        "--holdout",
        type=int,
        metavar="N",
        help="--squad: ask only the questions of the last N articles (those train-reader "
        "kept out); every paragraph is still indexed",
    )
    _article_options(ev)
    _reader_option(ev)
    _common(ev)

    ca = sub.add_parser(
        "calibrate",
        help="fit when `ask` abstains to a reader, saved as calibration.json in its folder",
    )
    ca.add_argument(
        "--squad",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="SQuAD file(s) to fit on, best with unanswerable questions (SQuAD 2.0); every "
        "paragraph is indexed",
    )
    ca.add_argument(
        "--seeds-qa",
        type=Path,
        metavar="FILE",
        help="JSON lines over seeds/ whose every question must stay right (answered or not)",
    )
    ca.add_argument("--limit", type=int, help="a random sample of N questions per file")
    ca.add_argument(
        "--cache-dir",
        type=Path,
        help="evaluation corpora and indexes (default: $QA_CACHE_DIR or ~/.cache/qa/eval)",
    )
    _article_options(ca)
    _reader_option(ca)
    _common(ca)

    tr = sub.add_parser("train-reader", help="train a short-answer reader on a SQuAD file")
    tr.add_argument(
        "--squad",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="SQuAD v1.1/v2.0 JSON file(s); v2.0's unanswerable questions teach 'no answer'",
    )
    tr.add_argument("--epochs", type=int, default=2, help="passes over the data (default 2)")
    tr.add_argument("--out", type=Path, default=Path("reader"), help="output folder (./reader)")
    tr.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (default 1e-4)")
    tr.add_argument("--batch-size", type=int, default=16, help="windows per step (default 16)")
    tr.add_argument(
        "--negatives",
        type=float,
        default=0.0,
        metavar="N",
        help="per question on average, N paragraphs of its own article (best BM25 matches "
        "without its answer) taught as 'no answer here'; 0.3 gives three questions in ten one "
        "(default 0)",
    )
    tr.add_argument(
        "--max-questions",
        type=int,
        default=0,
        metavar="N",
        help="train on a seeded sample of N questions (default 0: all)",
    )
    tr.add_argument(
        "--skip-questions",
        type=int,
        default=0,
        metavar="N",
        help="leave out the N questions that --max-questions N (same --seed) trains on: with "
        "--base that reader, train it on the rest (default 0)",
    )
    tr.add_argument(
        "--eval",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="SQuAD file(s) of other articles scored (gold paragraph given) after each epoch",
    )
    tr.add_argument(
        "--precision",
        choices=["auto", "bf16", "fp32"],
        default="auto",
        help="auto: bf16 autocast where the CPU or GPU has it (default auto)",
    )
    tr.add_argument(
        "--checkpoint-minutes",
        type=float,
        default=5.0,
        metavar="M",
        help="save the run's state every M minutes beside --out (default 5)",
    )
    tr.add_argument(
        "--resume",
        action="store_true",
        help="continue the run that was writing --out from its last checkpoint (same flags)",
    )
    tr.add_argument(
        "--holdout",
        type=int,
        default=4,
        help="last N articles kept out and scored, with the same articles in other files "
        "(default 4)",
    )
    tr.add_argument(
        "--base",
        default=DEFAULT_MODEL,
        metavar="DIR",
        help="start from this encoder or reader folder: a reader (e.g. the shipped one) is "
        f"trained further, on your own questions for instance (default {DEFAULT_MODEL})",
    )
    tr.add_argument(
        "--mix-base",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="with a reader as --base: average the result with it, SHARE of the base's weights "
        "(e.g. 0.5; default 0, no averaging)",
    )
    tr.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _article_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--articles",
        nargs="+",
        default=[],
        metavar="TITLE",
        help="--squad: ask only the questions of these articles (every paragraph is indexed)",
    )
    p.add_argument(
        "--skip-articles",
        nargs="+",
        default=[],
        metavar="TITLE",
        help="--squad: do not ask the questions of these articles (e.g. those calibrated on)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        index_dir=args.index_dir,
        model=args.model,
        precision=args.precision,
        chunk_tokens=args.chunk_tokens,
        chunk_overlap=args.chunk_overlap,
        batch_size=args.batch_size,
        k=getattr(args, "k", None),
        mode=getattr(args, "mode", None),
        rerank=getattr(args, "rerank", None),
        reader=getattr(args, "reader", None),
    )


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    folder = args.folder or default_corpus_dir()
    started = time.perf_counter()
    index = build(folder, settings, progress=not args.quiet, warn=say, rebuild=args.rebuild)
    counts = index.manifest["counts"]
    model = index.manifest["model"]
    if not index.written:
        say(
            f"{settings.index_dir}/ is up to date ({counts['documents']} documents, "
            f"{counts['chunks']} chunks); use --rebuild to build it anew"
        )
        return 0
    changes = index.manifest.get("changes", {})
    what = ", ".join(f"{changes[k]} {k}" for k in ("added", "changed", "removed") if changes.get(k))
    say(
        f"indexed {counts['documents']} documents, {counts['chunks']} chunks into "
        f"{settings.index_dir}/ in {time.perf_counter() - started:.1f} s "
        f"({what or 'rebuilt'}; {model['name']}, {model['precision']})"
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    settings = _settings(args)
    searcher = open_searcher(settings)
    hits = searcher.search(args.query, k=settings.k)
    _warn_changed(searcher.index, [s.path for h in hits for s in h.sources])
    asked = clean_query(args.query)
    read_as = corrected if (corrected := searcher.read_as(asked)) != asked else None
    if args.json:
        out = {
            "query": args.query,
            "read_as": read_as,
            "k": settings.k,
            "index_dir": str(settings.index_dir),
            "hits": [h.to_json() for h in hits],
        }
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        if read_as:
            print(f"(read as: {read_as})\n")
        print("\n\n".join(_format_hit(h) for h in hits) if hits else "no passages in the index")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer each question in turn. One question prints as it always has (``--json``: one
    indented object); several, or any read from standard input, print one after another
    under "Q: …" (``--json``: one object per line, JSON Lines). A question that cannot be
    asked (empty) is reported and the others are still answered."""
    from qa.answer import answerer

    settings = _settings(args)
    questions = _questions(args.questions)
    if not questions:
        raise QueryError("no question given: standard input held only blank lines")
    many = len(questions) > 1 or "-" in args.questions
    asker = answerer(settings)
    failed = 0
    warned: set[str] = set()
    for n, question in enumerate(questions, 1):
        try:
            answer = asker.ask(question, k=settings.k)
        except QueryError as exc:
            if not many:
                raise
            failed += 1
            print(f"qa: error: question {n}: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False))
            continue
        _warn_changed(asker.searcher.index, [p for p in answer.paths() if p not in warned])
        warned.update(answer.paths())  # a stale file is warned about once, not per question
        if args.json:
            indent = None if many else 1
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=indent), flush=many)
            continue
        if many:
            print(("\n" if n > 1 else "") + f"Q: {question}\n")
        _print_answer(answer)
        sys.stdout.flush()
    return 2 if failed else 0


def _questions(given: list[str]) -> list[str]:
    """The questions of the command line, with '-' replaced by standard input's lines (blank
    ones skipped; bytes that are not UTF-8 become U+FFFD, as in an argument)."""
    if given.count("-") > 1:
        raise QueryError("'-' (questions from standard input) can be given once")
    out: list[str] = []
    for question in given:
        if question != "-":
            out.append(question)
            continue
        raw = getattr(sys.stdin, "buffer", None)  # None: a text stream put in its place
        text = raw.read().decode("utf-8", "replace") if raw is not None else sys.stdin.read()
        text = text.removeprefix("\ufeff")
        out += [line.strip() for line in text.split("\n") if line.strip()]
    return out


def _print_answer(answer: Answer) -> None:
    if answer.read_as:
        print(f"(read as: {answer.read_as})\n")
    print(answer.text)
    if answer.short_answer:  # a PDF's answer may hold a line break: "5.3\nmillion euros"
        short = " ".join(answer.short_answer.split())
        print(f"\nshort answer: {short}  (confidence {answer.confidence:.2f})")
    elif not answer.abstained:  # a yes/no question: the sentence is the answer
        print(f"\n(confidence {answer.confidence:.2f})")
    if answer.abstained:
        print(answer.why_not_found())
        print("\nclosest passages:" if answer.hits else "")
        for hit in answer.hits[:3]:
            print(_format_hit(hit))
        return
    print("\nsources:")
    for c in answer.citations:
        also = f" (also in: {', '.join(s.path for s in c.also_in)})" if c.also_in else ""
        page = _pages(c.page, c.page_end)
        print(f"[{c.number}] {c.title} — {c.path}:{c.start}-{c.end}{page}{also}")


def cmd_serve(args: argparse.Namespace) -> int:
    from qa.ui import serve

    serve(_settings(args), host=args.host, port=args.port, corpus=args.corpus)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    settings = _settings(args)
    misplaced = [
        flag
        for flag, value, applies in (
            ("--corpus", args.corpus, args.seeds_qa),
            ("--split", args.split, args.beir),
            ("--limit", args.limit, not args.seeds_qa),
            ("--seed", args.seed, not args.seeds_qa),
            ("--gold-context", args.gold_context or None, args.squad),
            ("--holdout", args.holdout, args.squad),
            ("--articles", args.articles or None, args.squad),
            ("--skip-articles", args.skip_articles or None, args.squad),
        )
        if value is not None and not applies
    ]
    if misplaced:
        raise EvalError(f"{', '.join(misplaced)} does not apply to this kind of evaluation data")
    if args.index_dir is not None:
        say("eval keeps its own indexes in --cache-dir; --index-dir is not used")
    if args.seed is not None and args.limit is None:
        say("--seed picks the --limit sample; without --limit every question is asked")
    common = {"k": settings.k, "cache_dir": args.cache_dir}
    sample = {"limit": args.limit, "seed": args.seed or 0}
    if args.squad:
        result = evaluate_squad(
            args.squad,
            settings,
            **sample,
            **common,
            gold_context=args.gold_context,
            holdout=args.holdout,
            articles=args.articles,
            skip_articles=args.skip_articles,
        )
    elif args.beir:
        result = evaluate_beir(args.beir, settings, split=args.split or "test", **sample, **common)
    else:
        result = evaluate_seeds_qa(args.seeds_qa, settings, corpus=args.corpus, **common)
    if args.json:  # each score's standard error beside the scores
        print(json.dumps({**result, "stderr": getattr(result, "stderr", {})}, indent=1))
    else:
        print(format_table(result))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from qa.evaluation import calibrate

    settings = _settings(args)
    found, path = calibrate(
        args.squad,
        settings,
        articles=args.articles,
        skip_articles=args.skip_articles,
        seeds_qa=args.seeds_qa,
        limit=args.limit,
        cache_dir=args.cache_dir,
    )
    got = found.accuracies
    say(
        f"wrote {path}: min_confidence {found.min_confidence:g}, answer_odds_weight "
        f"{found.answer_odds_weight:g}; on the {found.fitted_on['questions']} questions fitted "
        f"on: F1 {got['f1']}, no-answer accuracy {got.get('no_answer_accuracy', '-')}, "
        f"has-answer accuracy {got['has_answer_accuracy']}"
    )
    return 0


def cmd_train_reader(args: argparse.Namespace) -> int:
    from qa.train import TrainConfig, train_reader

    config = TrainConfig(
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        holdout=args.holdout,
        seed=args.seed,
        negatives=args.negatives,
        base=args.base,
        mix_base=args.mix_base,
        max_questions=args.max_questions,
        skip_questions=args.skip_questions,
        precision=args.precision,
        checkpoint_minutes=args.checkpoint_minutes,
    )
    result = train_reader(
        args.squad,
        args.out,
        config,
        progress=not args.quiet,
        log=say,
        evaluate=args.eval,
        resume=args.resume,
    )
    held = result.get("held_out")
    if held:
        scored = [*result["held_out_articles"], *result.get("evaluated_on", [])]
        say(
            f"held-out ({result['held_out_questions']} questions of "
            f"{', '.join(scored)}, gold paragraph): "
            f"exact_match {held['exact_match']}, f1 {held['f1']}"
            + (
                f"; unanswerable: no_answer_accuracy {held['no_answer_accuracy']}, "
                f"has_answer_accuracy {held['has_answer_accuracy']}"
                if "no_answer_accuracy" in held
                else ""
            )
        )
    say(f"use it: qa ask --reader {args.out} QUESTION  (or QA_READER={args.out})")
    return 0


def _warn_changed(index: Index, paths: list[str]) -> None:
    """Say when a cited file changed or was deleted after it was indexed: its offsets may be
    stale."""
    for what, files in index.stale(paths).items():
        if files:
            they = "it was" if len(files) == 1 else "they were"
            say(f"warning: {', '.join(files)} {what} since {they} indexed; citations into "
                f"{'it' if len(files) == 1 else 'them'} may point at other text until you run "
                "qa index again")  # fmt: skip


def _pages(page: int | None, page_end: int | None) -> str:
    """ " p.3", or " p.3-4" for a passage that runs onto the next page; "" without pages."""
    if not page:
        return ""
    return f" p.{page}" + (f"-{page_end}" if page_end and page_end != page else "")


def _format_hit(hit: Hit) -> str:
    where = ", ".join(
        f"{s.path}:{s.start}-{s.end}{_pages(s.page, s.page_end)}" for s in hit.sources
    )
    title = hit.sources[0].title if hit.sources else ""
    # a reranked passage is ordered by the reader's log-odds that it answers (+: it does)
    reader = hit.scores.get("reader")
    score = f"reader {reader:+.2f}" if reader is not None else f"match {hit.score:.3f}"
    return f"{hit.rank}. [{score}] {where}  — {title}\n   {hit.text}"


COMMANDS = {
    "index": cmd_index,
    "search": cmd_search,
    "ask": cmd_ask,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "train-reader": cmd_train_reader,
    "calibrate": cmd_calibrate,
}


def _typed_text(value: str) -> str:
    """An argument as text: bytes the terminal sent that are not UTF-8 become U+FFFD, so
    ``--json`` output stays valid UTF-8."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.command:
        p.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except (
        IndexProblem,
        QueryError,
        ConfigError,
        EvalError,
        FileNotFoundError,
        NotADirectoryError,
    ) as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = "the index" if args.command != "train-reader" else f"{args.out}/"
        print(f"qa: interrupted; {kept} was left as it was", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
