"""Train a short-answer reader from a SQuAD-format file: ``qa train-reader``.

No extractive QA model can be installed here, so the packaged all-MiniLM-L6-v2 encoder gets a
span head (AutoModelForQuestionAnswering: only ``qa_outputs`` is new) and is fine-tuned on the
file's questions. The last ``holdout`` articles of the (first) file, and the articles of the
same titles in any other file, are kept out of training and scored at the end of every epoch
with the gold paragraph given (the "closed" setting), so the number printed is on articles the
reader never saw. SQuAD 2.0's unanswerable questions train the "no answer here" ([CLS])
output that joins the abstention decision at answer time. Windows come from
``qa.reader.windows``, the same function that reads at answer time; batches are grouped by
length so padding stays short on a CPU.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from qa.config import DEFAULT_MODEL, ConfigError
from qa.embedding import effective_precision, resolve_model_dir
from qa.evaluation import EvalError, squad_em_f1, squad_questions
from qa.reader import MAX_TOKENS, STRIDE, Window, collate, decode, load_model, windows
from qa.retrieval import say

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class Example:
    """One SQuAD question with its paragraph; the first gold answer is the training target.
    An unanswerable (SQuAD 2.0) question has no golds and ``answer_start`` -1."""

    article: int
    question: str
    context: str
    golds: tuple[str, ...]
    answer_start: int


@dataclass(frozen=True)
class TrainConfig:
    """What ``qa train-reader`` was run with (saved beside the weights and in the card)."""

    epochs: int = 2
    lr: float = 1e-4
    batch_size: int = 16
    warmup: float = 0.1
    weight_decay: float = 0.01
    holdout: int = 4
    seed: int = 0
    max_tokens: int = MAX_TOKENS
    stride: int = STRIDE
    base: str = DEFAULT_MODEL  # the encoder, or a reader folder to train further
    #: paragraphs of its own article that do not hold the answer, per answerable question on
    #: average (0.3: three questions in ten get one), read with target "no answer here"
    negatives: float = 0.0
    mix_base: float = 0.0  # share of the base reader's weights averaged into the result
    max_questions: int = 0  # a seeded sample of this many training questions; 0 = all
    #: leave out the questions a ``max_questions=N`` run with this seed drew, so a reader
    #: trained on them can go on (``--base``) to the rest without seeing any twice
    skip_questions: int = 0
    precision: str = "auto"  # bf16 autocast where the CPU (or GPU) has it, else fp32
    checkpoint_minutes: float = 5.0  # how often the run's state is saved for --resume


def read_examples(path: Path | str) -> tuple[list[str], list[Example]]:
    """Article titles and every question of a SQuAD v1.1/v2.0 file, in file order, read with
    the same checks and warnings as ``qa eval``."""
    titles, _, questions = squad_questions(path)
    examples: list[Example] = []
    misplaced = 0
    for q in questions:
        start = q.answer_start
        if q.golds and q.context[start : start + len(q.golds[0])] != q.golds[0]:
            misplaced += 1  # trained on, the span would teach other words
            continue
        examples.append(Example(q.article, q.question, q.context, q.golds, start))
    if misplaced:
        say(
            f"{misplaced} questions of {path} skipped: their answer_start does not point "
            "at their answer text in the paragraph"
        )
    if not any(e.golds for e in examples):
        raise EvalError(f"no answerable questions in {path}")
    return titles, examples


def split(
    titles: Sequence[str], examples: Sequence[Example], holdout: int
) -> tuple[list[Example], list[Example]]:
    """(training, held-out): the last ``holdout`` articles are held out, deterministically."""
    if not 0 <= holdout < len(titles):
        raise ConfigError(
            f"--holdout must be between 0 and {len(titles) - 1} (the file has "
            f"{len(titles)} articles), not {holdout}"
        )
    first_held = len(titles) - holdout
    train = [e for e in examples if e.article < first_held]
    held = [e for e in examples if e.article >= first_held]
    return train, held


def labelled_windows(
    tokenizer: PreTrainedTokenizerBase,
    example: Example,
    max_tokens: int = MAX_TOKENS,
    stride: int = STRIDE,
) -> list[tuple[Window, int, int]]:
    """Each window of the example with its answer's (start, end) token, (0, 0) ([CLS]) for a
    window that does not hold the whole answer, and for every window of an unanswerable one."""
    found = windows(tokenizer, example.question, [example.context], max_tokens, stride)
    if not example.golds:
        return [(w, 0, 0) for w in found]
    a = example.answer_start
    b = a + len(example.golds[0])
    out = []
    for w in found:
        inside = [(i, o) for i, o in enumerate(w.offsets) if o is not None]
        s = e = 0
        if inside and inside[0][1][0] <= a and inside[-1][1][1] >= b:
            s = max(i for i, o in inside if o[0] <= a)
            e = min(i for i, o in inside if o[1] >= b)
            if e < s:
                s = e = 0
        out.append((w, s, e))
    return out


def hard_negatives(
    examples: Sequence[Example], per_question: float, seed: int = 0
) -> list[Example]:
    """Unanswerable examples made the way the open setting meets them: an answerable question
    paired with the best BM25 paragraph of its own article that shares a word with it and
    holds none of its answers. ``per_question`` is the mean number per question: its whole
    part for each, its fraction by a seeded draw.

    At answer time the reader reads retrieved passages of the same documents, most of which
    do not answer: these teach it to say so ([CLS]) and to rank passages, which gold
    paragraphs alone never do.
    """
    from qa.bm25 import BM25Index

    if per_question <= 0:
        return []
    rng = random.Random(seed)
    by_article: dict[int, list[str]] = {}
    for e in examples:
        found = by_article.setdefault(e.article, [])
        if e.context not in found:
            found.append(e.context)
    indexes = {a: BM25Index.build(c) for a, c in by_article.items() if len(c) > 1}
    whole, part = int(per_question), per_question - int(per_question)
    out: list[Example] = []
    for e in examples:
        wanted = whole + (rng.random() < part)
        if not e.golds or not wanted or e.article not in indexes:
            continue
        golds = [g.casefold() for g in e.golds]
        contexts = by_article[e.article]
        taken = 0
        for i, _ in indexes[e.article].search(e.question, wanted + 10):
            text = contexts[i]
            if text == e.context or any(g in text.casefold() for g in golds):
                continue
            out.append(Example(e.article, e.question, text, (), -1))
            taken += 1
            if taken == wanted:
                break
    return out


def sample(examples: Sequence[Example], n: int, seed: int, skip: int = 0) -> list[Example]:
    """``n`` examples (0: all that are left) drawn without replacement by ``seed``, after the
    first ``skip`` draws, in file order. The draws are one seeded permutation, so ``skip=N``
    takes exactly the examples that ``n=N`` did not."""
    if skip <= 0 and not 0 < n < len(examples):
        return list(examples)
    order = random.Random(seed).sample(range(len(examples)), len(examples))
    keep = sorted(order[skip : skip + n] if n else order[skip:])
    return [examples[i] for i in keep]


def length_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, pool: int = 50
) -> list[list[int]]:
    """Shuffled batches of indices whose members have similar lengths: shuffle, sort inside
    pools of ``pool`` batches, cut, then shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    step = batch_size * pool
    for i in range(0, len(order), step):
        chunk = sorted(order[i : i + step], key=lambda j: lengths[j])
        batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def predict(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    pairs: Sequence[tuple[str, str]],
    precision: str = "fp32",
    batch_size: int = 64,
    progress: bool = False,
) -> list[tuple[str, bool]]:
    """The best answer text for each (question, context) pair (windows batched by length), and
    whether the reader prefers "no answer here" to it (the rule ``ask`` applies)."""
    import torch

    feats: list[tuple[int, Window]] = []
    for n, (question, context) in enumerate(pairs):
        feats += [(n, w) for w in windows(tokenizer, question, [context])]
    order = sorted(range(len(feats)), key=lambda i: len(feats[i][1].input_ids))
    best: list[tuple[float, str, bool]] = [(-math.inf, "", True)] * len(pairs)
    pad = int(tokenizer.pad_token_id or 0)
    model.train(False)
    device = next(model.parameters()).device
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for chunk in tqdm(chunks, desc="reading", unit="batch", file=sys.stderr, disable=not progress):
        batch = [feats[i][1] for i in chunk]
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"),
        ):
            out = model(**{k: v.to(device) for k, v in collate(batch, pad).items()})
        starts, ends = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
        for i, s, e in zip(chunk, starts, ends, strict=True):
            n, w = feats[i]
            span = decode(w, pairs[n][1], s, e)
            if span is not None and span.score > best[n][0]:
                best[n] = (span.score, span.text, span.no_answer >= span.probability)
    return [(text, abstains) for _, text, abstains in best]


def closed_scores(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[Example],
    precision: str = "fp32",
    progress: bool = False,
) -> dict[str, float]:
    """exact_match / f1 (percent) of the best span in each answerable question's gold
    paragraph, and, where there are unanswerable questions, how often the reader's no-answer
    output is right on each kind (``no_answer_accuracy``, ``has_answer_accuracy``)."""
    read = predict(
        model, tokenizer, [(e.question, e.context) for e in examples], precision, progress=progress
    )
    answerable = [(r, e) for r, e in zip(read, examples, strict=True) if e.golds]
    scores = [squad_em_f1(text, e.golds) for (text, _), e in answerable]
    em = 100 * float(np.mean([s[0] for s in scores])) if scores else 0.0
    f1 = 100 * float(np.mean([s[1] for s in scores])) if scores else 0.0
    result: dict[str, float] = {
        "questions": len(answerable),
        "exact_match": round(em, 2),
        "f1": round(f1, 2),
    }
    unanswerable = [
        abstains for (_, abstains), e in zip(read, examples, strict=True) if not e.golds
    ]
    if unanswerable:
        result["unanswerable"] = len(unanswerable)
        result["no_answer_accuracy"] = round(float(np.mean(unanswerable)), 3)
        answered = [not abstains for (_, abstains), _e in answerable]
        result["has_answer_accuracy"] = round(float(np.mean(answered)), 3) if answered else 0.0
    return result


def train_reader(
    squad: Path | str | Sequence[Path | str],
    out: Path | str,
    config: TrainConfig = TrainConfig(),
    progress: bool = True,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
    evaluate: Sequence[Path | str] = (),
    resume: bool = False,
) -> dict[str, Any]:
    """Fine-tune, score the held-out articles (and the ``evaluate`` files, closed) after each
    epoch, save fp16 safetensors to ``out`` with the tokenizer, ``training.json`` and a
    MODEL_CARD.md. The run's state is saved every ``checkpoint_minutes`` beside ``out``, so
    ``resume`` continues a run that was cut off. Returns the record."""
    import torch
    from transformers import AutoTokenizer

    out = Path(out)
    base = _check(config, out)
    base_record = _base_record(base)
    files = [squad] if isinstance(squad, str | Path) else list(squad)
    train, held, titles, held_titles = _data(files, config)
    held_out = len(held)
    trained_titles = set(titles) - set(held_titles)
    for file in evaluate:
        eval_titles, more = read_examples(file)
        shared = sorted(set(eval_titles) & trained_titles)
        if shared:
            log(f"warning: --eval {file} shares {len(shared)} article(s) with the training data "
                f"({', '.join(shared[:3])}…): its scores are not on unseen articles")  # fmt: skip
        held += more
    negatives = hard_negatives(train, config.negatives, config.seed)
    torch.manual_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    model: Any = load_model(base)  # transformers' .to is untyped
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = _training_precision(config.precision, device)
    model.to(device)
    feats = [
        f
        for e in [*train, *negatives]
        for f in labelled_windows(tokenizer, e, config.max_tokens, config.stride)
    ]
    no_answer = sum(not e.golds for e in train)
    log(
        f"training on {len(train)} questions"
        + (f" ({no_answer} unanswerable)" if no_answer else "")
        + (f" and {len(negatives)} paragraphs that do not answer them" if negatives else "")
        + f" ({len(feats)} windows) of {len(titles) - len(held_titles)} articles, {precision} "
        f"on {device}"
        + (
            f"; holding out {held_out} questions of {len(held_titles)}: {', '.join(held_titles)}"
            if held_titles
            else ""
        )
        + (
            f"; scoring {len(held) - held_out} questions of {', '.join(map(str, evaluate))}"
            if evaluate
            else ""
        )
    )
    steps_per_epoch = math.ceil(len(feats) / config.batch_size)
    optimizer, schedule = _optimizer(model, config, steps_per_epoch * config.epochs)
    state = Checkpoint(checkpoint_dir(out))
    epochs: list[dict[str, Any]] = []
    first_epoch, first_step, spent = 1, 0, 0.0
    losses: list[float] = []
    if resume:
        first_epoch, first_step, losses, epochs, spent = state.load(
            config, model, optimizer, schedule
        )
        log(f"resumed at epoch {first_epoch}, step {first_step} of {steps_per_epoch}")
    pad = int(tokenizer.pad_token_id or 0)
    lengths = [len(w.input_ids) for w, _, _ in feats]
    started = time.perf_counter() - spent
    last_saved = time.perf_counter()
    result: dict[str, Any] = {}
    for epoch in range(first_epoch, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        batches = length_batches(lengths, config.batch_size, random.Random(config.seed + epoch))
        skip = first_step if epoch == first_epoch else 0
        losses = losses if epoch == first_epoch else []
        bar = tqdm(
            range(skip, len(batches)),
            initial=skip,
            total=len(batches),
            desc=f"epoch {epoch}/{config.epochs}",
            unit="batch",
            file=sys.stderr,
            disable=not progress,
            mininterval=10 if not sys.stderr.isatty() else 0.1,
        )
        for step in bar:
            batch_idx = batches[step]
            batch = {
                k: v.to(device) for k, v in collate([feats[i][0] for i in batch_idx], pad).items()
            }
            starts = torch.tensor([feats[i][1] for i in batch_idx], device=device)
            ends = torch.tensor([feats[i][2] for i in batch_idx], device=device)
            with torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = model(**batch, start_positions=starts, end_positions=ends).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            if time.perf_counter() - last_saved >= 60 * config.checkpoint_minutes:
                elapsed = time.perf_counter() - started
                state.save(
                    config, model, optimizer, schedule, epoch, step + 1, losses, epochs, elapsed
                )
                last_saved = time.perf_counter()
        record: dict[str, Any] = {
            "epoch": epoch,
            "seconds": round(time.perf_counter() - t0, 1),
            "loss": round(float(np.mean(losses)), 4) if losses else 0.0,
        }
        if not math.isfinite(record["loss"]):
            raise ConfigError(
                f"training diverged in epoch {epoch} (the loss is {record['loss']}); "
                f"try a lower --lr than {config.lr:g}"
            )
        if held:
            record["held_out"] = closed_scores(model, tokenizer, held, precision, progress)
        epochs.append(record)
        log(f"epoch {epoch}: {json.dumps(record)}")
        result = _record(
            files, held_titles, train, held, feats, config, epochs, started, len(negatives)
        )
        result["evaluated_on"] = [Path(f).name for f in evaluate]
        if base_record:
            result["base_training"] = base_record
        model.to("cpu")
        save(model, tokenizer, out, result)  # each epoch: a long run leaves a usable reader
        model.to(device)
        elapsed = time.perf_counter() - started
        state.save(config, model, optimizer, schedule, epoch + 1, 0, [], epochs, elapsed)
    model.to("cpu")
    if config.mix_base:
        mix_weights(model, load_model(base), config.mix_base)
        mixed: dict[str, Any] = {"weight": config.mix_base}
        if held:
            mixed["held_out"] = closed_scores(model, tokenizer, held, precision)
        log(f"mixed with the base's weights: {json.dumps(mixed)}")
        result["mixed_with_base"] = mixed
        result["held_out"] = mixed.get("held_out")
        save(model, tokenizer, out, result)
    state.remove()
    log(f"saved the reader to {out}/")
    return result


def _check(config: TrainConfig, out: Path) -> Path:
    """The base model's folder, once every setting has been checked (before any time is spent)."""
    if config.epochs < 1 or config.batch_size < 1 or not 0 < config.lr < math.inf:
        raise ConfigError("--epochs, the batch size and the learning rate must be positive")
    if not 0 <= config.negatives < math.inf:
        raise ConfigError(f"--negatives must be 0 or more, not {config.negatives:g}")
    if config.max_questions < 0:
        raise ConfigError(f"--max-questions must be 0 (all) or more, not {config.max_questions}")
    if config.skip_questions < 0:
        raise ConfigError(f"--skip-questions must be 0 or more, not {config.skip_questions}")
    if config.precision not in ("auto", "bf16", "fp32"):
        raise ConfigError(f"--precision must be auto, bf16 or fp32, not {config.precision!r}")
    check_out(out)
    try:
        base = resolve_model_dir(config.base)
    except ConfigError:
        raise ConfigError(f"--base {config.base}: no model or reader folder there") from None
    if not (base / "config.json").is_file():
        raise ConfigError(f"--base {config.base}: no model there (config.json is missing)")
    if not 0 <= config.mix_base < 1:
        raise ConfigError(f"--mix-base must be at least 0 and below 1, not {config.mix_base}")
    if config.mix_base and not _is_reader(base):
        raise ConfigError(f"--mix-base needs --base to be a reader folder; {config.base} is not")
    return base


def _data(
    files: Sequence[Path | str], config: TrainConfig
) -> tuple[list[Example], list[Example], list[str], list[str]]:
    """(training sample, held-out questions, every title, held-out titles) of the files: the
    last ``holdout`` articles of the first file, and those titles in the others, held out."""
    titles, examples = read_examples(files[0])
    train, held = split(titles, examples, config.holdout)
    held_titles = titles[len(titles) - config.holdout :]
    for file in files[1:]:  # the same articles in the other files are held out too
        more_titles, more = read_examples(file)
        train += [e for e in more if more_titles[e.article] not in held_titles]
        held += [e for e in more if more_titles[e.article] in held_titles]
        titles += [t for t in more_titles if t not in titles]
    if not any(e.golds for e in train):
        raise ConfigError(
            f"no answerable question is left to train on in {files[0]} once the last "
            f"{config.holdout} article(s) are held out"
        )
    picked = sample(train, config.max_questions, config.seed, config.skip_questions)
    if not any(e.golds for e in picked):
        raise ConfigError(
            f"--skip-questions {config.skip_questions} leaves no answerable question of "
            f"{len(train)} to train on"
        )
    return picked, held, titles, held_titles


def _training_precision(precision: str, device: str) -> str:
    """bf16 where asked, or for ``auto`` on a GPU or a CPU with bf16 instructions."""
    if precision != "auto":
        return precision
    return "bf16" if device == "cuda" else effective_precision("auto")


def _optimizer(model: PreTrainedModel, config: TrainConfig, total: int) -> tuple[Any, Any]:
    """AdamW (no decay on biases and norms) and a linear warm-up then linear decay."""
    import torch

    warmup = max(1, int(config.warmup * total))
    no_decay = ("bias", "LayerNorm.weight", "norm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))),
    )
    return optimizer, schedule


def checkpoint_dir(out: Path) -> Path:
    """Where a run that writes ``out`` keeps its state: beside it, never inside the reader."""
    out = out.resolve()
    return out.with_name(f".{out.name}.checkpoint")


class Checkpoint:
    """A training run's state (weights, optimizer, schedule, position, RNG), written every few
    minutes as one file that replaces the last, so a run cut off loses minutes, not hours.
    Loaded with ``weights_only``: tensors and plain values, nothing executable."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "state.pt"

    def save(
        self,
        config: TrainConfig,
        model: PreTrainedModel,
        optimizer: Any,
        schedule: Any,
        epoch: int,
        step: int,
        losses: list[float],
        epochs: list[dict[str, Any]],
        seconds: float,
    ) -> None:
        import torch

        self.folder.mkdir(parents=True, exist_ok=True)
        state = {
            "config": json.dumps(asdict(config), sort_keys=True),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "epoch": epoch,
            "step": step,
            "losses": losses,
            "epochs": json.dumps(epochs),
            "seconds": seconds,
            "rng": torch.get_rng_state(),
        }
        tmp = self.file.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.file)

    def load(
        self, config: TrainConfig, model: PreTrainedModel, optimizer: Any, schedule: Any
    ) -> tuple[int, int, list[float], list[dict[str, Any]], float]:
        """(epoch, step, losses of that epoch, finished epochs, seconds spent), with the
        model, optimizer and schedule restored; a checkpoint of other settings is refused."""
        import torch

        if not self.file.is_file():
            raise ConfigError(f"--resume: no checkpoint at {self.file}; start without --resume")
        try:
            state = torch.load(self.file, weights_only=True)
        except Exception as exc:  # a truncated or foreign file
            raise ConfigError(f"--resume: cannot read {self.file}: {exc}") from None
        mine = json.loads(state["config"])
        theirs = asdict(config)
        changed = sorted(
            k for k in theirs if k != "checkpoint_minutes" and mine.get(k) != theirs[k]
        )
        if changed:
            raise ConfigError(
                f"--resume: the checkpoint at {self.file} was made with other settings "
                f"({', '.join(changed)}); give the same flags, or start without --resume"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        epochs: list[dict[str, Any]] = json.loads(state["epochs"])
        return (
            int(state["epoch"]),
            int(state["step"]),
            list(state["losses"]),
            epochs,
            float(state["seconds"]),
        )

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def mix_weights(model: PreTrainedModel, base: PreTrainedModel, share: float) -> None:
    """Set ``model``'s weights to (1 - share) x its own + share x ``base``'s, in place.

    Averaging a fine-tuned model with the one it started from (a weight-space ensemble,
    WiSE-FT) keeps much of what the last training taught without forgetting what the base
    knew: a last epoch with hard negatives teaches the shipped reader to rank passages but
    costs its spans 1.4 F1; the half-and-half average keeps most of the ranking and the spans.
    """
    import torch

    mine, theirs = model.state_dict(), base.state_dict()
    with torch.no_grad():
        for name, tensor in mine.items():
            if tensor.is_floating_point():
                tensor.mul_(1 - share).add_(theirs[name].to(tensor.dtype), alpha=share)


def _is_reader(folder: Path) -> bool:
    """Whether the folder holds a question-answering model (its span head can be averaged)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return any(a.endswith("ForQuestionAnswering") for a in config.get("architectures") or [])


def _base_record(base: Path) -> dict[str, Any] | None:
    """The training record of the reader that training continues from (None when starting
    from an encoder): kept in the new record, so the card can say how to rebuild both."""
    path = base / "training.json"
    if not path.is_file():
        return None
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return record


def _record(
    files: Sequence[Path | str],
    held_titles: Sequence[str],
    train: Sequence[Example],
    held: Sequence[Example],
    feats: Sequence[tuple[Window, int, int]],
    config: TrainConfig,
    epochs: list[dict[str, Any]],
    started: float,
    negatives: int = 0,
) -> dict[str, Any]:
    return {
        "data": " ".join(Path(f).name for f in files),
        "train_questions": len(train),
        "train_unanswerable": sum(not e.golds for e in train),
        "train_negatives": negatives,
        "train_windows": len(feats),
        "held_out_articles": list(held_titles),
        "held_out_questions": len(held),
        "held_out_unanswerable": sum(not e.golds for e in held),
        "config": asdict(config),
        "epochs": epochs,
        "train_seconds": round(time.perf_counter() - started, 1),
        "held_out": epochs[-1].get("held_out"),
    }


def save(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    out: Path,
    record: dict[str, Any],
) -> None:
    """fp16 safetensors (half the size; read back as fp32), tokenizer, record and card.

    Written into a new folder beside ``out`` that then takes its place, so an interrupted
    save leaves the previous reader (or nothing), never a half-written one that ``--reader``
    would load with a broken tokenizer. Where ``out`` cannot be replaced (a mount point, the
    current folder), the finished files are moved into it instead: a trained reader is never
    thrown away."""
    out = out.resolve()  # "." has no name to put beside it; a symlink's target is replaced
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    mask = _umask()
    tmp.chmod(0o777 & ~mask)  # mkdtemp's folder is private; a reader folder is not
    weights: Any = model  # transformers' dtype methods are untyped
    try:
        weights.half()
        try:
            model.save_pretrained(str(tmp), safe_serialization=True)
        finally:
            weights.float()
        tokenizer.save_pretrained(str(tmp))
        text = json.dumps(record, indent=1, allow_nan=False) + "\n"
        (tmp / "training.json").write_text(text, encoding="utf-8")
        (tmp / "MODEL_CARD.md").write_text(model_card(record), encoding="utf-8")
        for file in tmp.iterdir():  # the weights are written private; a reader is not
            file.chmod(0o666 & ~mask)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old-{tmp.name[-8:]}")
    cwd = Path.cwd()
    try:
        if out == cwd or out in cwd.parents:  # renaming the folder we are in would lose it
            raise OSError("the current folder")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except OSError:
        if old.exists() and not out.exists():
            old.rename(out)
        out.mkdir(parents=True, exist_ok=True)
        for file in tmp.iterdir():  # the last file written decides: training.json last
            os.replace(file, out / file.name)
        tmp.rmdir()
        return
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that training would fail on or that holds something else, before
    any time is spent: a file, a folder with files that are not a reader's (hidden ones such
    as .gitkeep aside), or a place where the reader cannot be written."""
    if out.is_file() or (out.exists() and not out.is_dir()):
        raise ConfigError(f"--out {out} is a file; give a folder for the reader")
    if out.is_dir():
        visible = [f for f in out.iterdir() if not f.name.startswith(".")]
        if visible and not (out / "training.json").is_file():
            raise ConfigError(
                f"--out {out} holds other files and no reader trained by qa; "
                "choose a new or empty folder (a reader folder is replaced)"
            )
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK) or (
        out.is_dir() and not os.access(out, os.W_OK | os.X_OK)
    ):
        raise ConfigError(f"--out {out}: cannot write there")


_HELD_COLUMNS = ("exact_match", "f1", "no_answer_accuracy", "has_answer_accuracy")


def _final_no_answer(held: dict[str, Any]) -> str:
    """The final no-answer and has-answer accuracy, where unanswerable questions were held out."""
    if held.get("no_answer_accuracy") is None:
        return ""
    return (
        f"; no-answer accuracy {held['no_answer_accuracy']}, "
        f"has-answer accuracy {held['has_answer_accuracy']}"
    )


def model_card(record: dict[str, Any]) -> str:
    """A short card: what the reader is, what it was trained on, how it scores, licences."""
    cfg = record["config"]
    held = record.get("held_out") or {}
    rows = "\n".join(
        f"| {e['epoch']} | {e['loss']} | {e['seconds'] / 60:.1f} | "
        + " | ".join(str((e.get("held_out") or {}).get(k, "-")) for k in _HELD_COLUMNS)
        + " |"
        for e in record["epochs"]
    )
    unanswerable = record.get("train_unanswerable", 0)
    taught = (
        f" ({unanswerable} of them unanswerable: their target is `[CLS]`, which teaches the "
        "no-answer output)"
        if unanswerable
        else ""
    )
    negatives = record.get("train_negatives", 0)
    if negatives:
        taught += (
            f", and {negatives} other paragraphs that do not answer them (the best BM25 match "
            "of the question's own article without its answer, target `[CLS]`: they teach it "
            "which passages do not answer, for reranking and abstention)"
        )
    if cfg.get("max_questions"):
        taught += f" (a seeded sample of {cfg['max_questions']} questions)"
    if cfg.get("skip_questions"):
        taught += (
            f" (the questions left once the {cfg['skip_questions']} of a "
            f"`--max-questions {cfg['skip_questions']}` run are set aside)"
        )
    held_no = record.get("held_out_unanswerable", 0)
    held_note = f" ({held_no} unanswerable)" if held_no else ""
    base = record.get("base_training")
    started = (
        f"\n- Started from: the reader in `{cfg['base']}` ({base['data']}, "
        f"{base['config']['epochs']} epochs, held-out F1 {(base.get('held_out') or {}).get('f1')})"
        ", whose weights this run trained further."
        if base
        else ""
    )
    reproduce = " then ".join(f"`{c}`" for c in _commands(record))
    mixed = record.get("mixed_with_base")
    if mixed:
        started += (
            f"\n- Weights: {1 - mixed['weight']:g} x the trained weights + {mixed['weight']:g} x "
            "the base reader's (a weight-space ensemble: it keeps what this run taught and what "
            "the base knew). The table's last row is before this average; the final scores "
            "below are after it."
        )
    return f"""# qa short-answer reader

An extractive question-answering reader: the {_encoder(record)} sentence encoder with a span
head (`BertForQuestionAnswering`), fine-tuned by `qa train-reader`. It reads a question and a
passage and points at the answer's first and last token; `[CLS]` means "not in this window".

## Training

- Data: `{record["data"]}`, {record["train_questions"]} questions{taught}
  ({record["train_windows"]} windows), all articles but the held-out ones.
- Scored: {record["held_out_questions"]} questions{held_note}
  of {", ".join([*record["held_out_articles"], *record.get("evaluated_on", [])])}.
- Settings: {cfg["epochs"]} epochs, AdamW lr {cfg["lr"]}, weight decay {cfg["weight_decay"]},
  batch {cfg["batch_size"]} grouped by length, {cfg["warmup"]:.0%} linear warm-up then linear
  decay, windows of {cfg["max_tokens"]} tokens with stride {cfg["stride"]}, seed {cfg["seed"]},
  {cfg.get("precision", "fp32")} autocast ("auto": bf16 where the CPU or GPU has it); weights
  stored as fp16 safetensors.
- Time: {record["train_seconds"] / 60:.1f} minutes.{started}

Reproduce: {reproduce}.

## Scores on the questions it was not trained on, gold paragraph given (closed setting)

Exact match and F1 are on the answerable questions (the best span, official SQuAD
normalisation, best over the gold answers); no-answer and has-answer accuracy, where there are
unanswerable questions, say how often "no answer here" wins exactly when it should.

| epoch | train loss | minutes | exact match | F1 | no-answer acc. | has-answer acc. |
|---|---|---|---|---|---|---|
{rows}

Final: exact match {held.get("exact_match", "-")}, F1 {held.get("f1", "-")}{_final_no_answer(held)}.

## Licences

- Base encoder: sentence-transformers/all-MiniLM-L6-v2, Apache-2.0.
- Training data: SQuAD v1.1 (Rajpurkar et al., 2016) and, where listed above, SQuAD 2.0
  (Rajpurkar, Jia and Liang, 2018), both CC BY-SA 4.0. The data itself is not distributed
  with this package; these weights are derived from it.
"""


def _encoder(record: dict[str, Any]) -> str:
    """The sentence encoder at the root of a chain of readers trained one from another."""
    base = record.get("base_training")
    return _encoder(base) if base else str(record["config"]["base"])


def _commands(record: dict[str, Any], out: str = "DIR") -> list[str]:
    """The ``qa train-reader`` commands that rebuild a reader, its base's first."""
    cfg, base = record["config"], record.get("base_training")
    flags = f" --max-questions {cfg['max_questions']}" if cfg.get("max_questions") else ""
    flags += f" --skip-questions {cfg['skip_questions']}" if cfg.get("skip_questions") else ""
    flags += f" --negatives {cfg['negatives']:g}" if cfg.get("negatives") else ""
    flags += f" --batch-size {cfg['batch_size']}" if cfg.get("batch_size", 16) != 16 else ""
    flags += f" --eval {' '.join(record['evaluated_on'])}" if record.get("evaluated_on") else ""
    flags += f" --base {cfg['base']}" if base or cfg.get("mix_base") else ""
    flags += f" --mix-base {cfg['mix_base']}" if cfg.get("mix_base") else ""
    before = _commands(base, out=str(cfg["base"])) if base else []
    return [
        *before,
        f"qa train-reader --squad {record['data']} --epochs {cfg['epochs']} --lr {cfg['lr']} "
        f"--holdout {cfg['holdout']}{flags} --out {out}",
    ]
