"""When ``ask`` abstains, fitted to one reader and saved beside it: ``calibration.json``.

An answer is given when its sentence score (retrieval) + ``answer_odds_weight`` x the reader's
clipped log-odds that the span, not "no answer here", is right reaches ``min_confidence``, and
the log-odds reach ``min_answer_odds``. Log-odds are the reader's own scale, so these numbers
belong to the reader they were fitted on: a reader folder carries them, ``--reader OTHER``
brings its own, and a ``Settings`` value (flag or ``QA_*``) overrides one for a run.

``qa calibrate`` fits them: every question of the chosen SQuAD articles (and seeds-qa) is
asked once with abstention off, recording the sentence score, the log-odds and the F1 of the
answer shown; each rule of a grid is then replayed exactly (a rule only accepts or refuses the
answer already chosen). The rule kept has the best balanced F1 (the mean of the answer F1 on
answerable questions, an abstention scoring 0, and the no-answer accuracy on unanswerable
ones: unlike SQuAD 2.0's F1 it does not depend on how many of the questions fitted on are
unanswerable) among those that keep every seeds-qa question right, when any does.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import ConfigError, Settings

if TYPE_CHECKING:
    from qa.answer import Answerer
    from qa.evaluation import Item

FILE = "calibration.json"
#: the reader's log-odds are clipped to this range in the answer score: a huge value says
#: little more than a large one, and one outlier should not decide alone
ODDS_CLIP = (-10.0, 20.0)
#: the rules ``fit`` tries: odds weight x threshold (the odds floor stays at 0: the reader
#: must favour its span over "no answer here")
WEIGHTS = tuple(round(float(w), 4) for w in np.arange(0.0, 0.1001, 0.0025))
THRESHOLDS = tuple(round(float(t), 4) for t in np.arange(0.20, 0.90, 0.0025))


@dataclass(frozen=True)
class Calibration:
    """The abstention rule of one reader, with where it was fitted and what it gave there."""

    min_confidence: float = 0.5275
    answer_odds_weight: float = 0.0175
    min_answer_odds: float = 0.0
    fitted_on: dict[str, Any] = field(default_factory=dict)
    accuracies: dict[str, float] = field(default_factory=dict)

    def score(self, sentence_score: float, log_odds: float) -> float:
        """The evidence an answer is judged on (see the module's docstring)."""
        low, high = ODDS_CLIP
        return sentence_score + self.answer_odds_weight * min(max(log_odds, low), high)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: a reader folder without calibration.json (one trained before calibrations were saved)
DEFAULT = Calibration(fitted_on={"note": "built-in defaults: this reader has no calibration"})


def load(folder: Path) -> Calibration:
    """The calibration saved in a reader folder; the built-in defaults where it has none. A
    file that is there but unreadable is an error, not silently other thresholds."""
    path = folder / FILE
    if not path.is_file():
        return DEFAULT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Calibration(
            min_confidence=float(data["min_confidence"]),
            answer_odds_weight=float(data["answer_odds_weight"]),
            min_answer_odds=float(data.get("min_answer_odds", 0.0)),
            fitted_on=dict(data.get("fitted_on") or {}),
            accuracies=dict(data.get("accuracies") or {}),
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc!s}; run `qa calibrate` again") from None
    if not 0 <= found.min_confidence <= 1 or found.answer_odds_weight < 0:
        raise ConfigError(f"{path}: min_confidence must be in [0, 1] and the weight >= 0")
    return found


def save(folder: Path, calibration: Calibration) -> Path:
    """Write ``calibration.json`` into the reader folder atomically (never half a file)."""
    text = json.dumps(calibration.to_json(), indent=1, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{FILE}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / FILE


def for_settings(settings: Settings, folder: Path) -> Calibration:
    """The reader folder's calibration with any value the settings give instead."""
    found = load(folder)
    given = {
        name: value
        for name in ("min_confidence", "answer_odds_weight", "min_answer_odds")
        if (value := getattr(settings, name)) is not None
    }
    if not given:
        return found
    values = {**found.to_json(), **given}
    values["fitted_on"] = {**found.fitted_on, "overridden": sorted(given)}
    return Calibration(**values)


# --- fitting ----------------------------------------------------------------------------------


@dataclass
class Asked:
    """Each question asked once with abstention off, as arrays."""

    score: np.ndarray  # sentence score of the answer; nan where no span was found at all
    odds: np.ndarray
    f1: np.ndarray  # of the short answer shown, 0..1
    answerable: np.ndarray

    def answered(self, weight: float, threshold: float, min_odds: float = 0.0) -> np.ndarray:
        odds = np.clip(self.odds, *ODDS_CLIP)
        with np.errstate(invalid="ignore"):
            ok = (self.score + weight * odds >= threshold) & (self.odds >= min_odds)
        return np.asarray(ok & ~np.isnan(self.score), dtype=bool)

    def measure(self, weight: float, threshold: float, min_odds: float = 0.0) -> dict[str, float]:
        """F1 (SQuAD 2.0 style, percent), no-answer and has-answer accuracy of one rule."""
        ok = self.answered(weight, threshold, min_odds)
        no, has = ~ok[~self.answerable], ok[self.answerable]
        f1 = np.where(self.answerable, self.f1 * ok, ~ok)
        out = {"f1": round(100 * float(np.mean(f1)), 2) if len(f1) else 0.0}
        answered_f1 = float(np.mean((self.f1 * ok)[self.answerable])) if len(has) else 0.0
        balanced = (answered_f1 + float(np.mean(no))) / 2 if len(no) else answered_f1
        out["balanced_f1"] = round(100 * balanced, 2)
        out["has_answer_accuracy"] = round(float(np.mean(has)), 3) if len(has) else 0.0
        if len(no):
            out["no_answer_accuracy"] = round(float(np.mean(no)), 3)
        out["right"] = round(float(np.mean(ok == self.answerable)), 3) if len(ok) else 0.0
        return out


def ask_all(answerer: Answerer, items: Sequence[Item]) -> Asked:
    """Ask each question with the answerer (whose calibration should answer everything)."""
    from qa.evaluation import shown_answer, squad_em_f1

    rows = []
    for item in items:
        answer = answerer.ask(item.question)
        odds = answer.reader_odds
        found = not answer.abstained and odds is not None and answer.sentence_score is not None
        f1 = squad_em_f1(shown_answer(answer), item.golds)[1] if item.golds else 0.0
        rows.append(
            (
                answer.sentence_score if found else np.nan,
                odds if found else -1e9,
                f1,
                bool(item.golds),
            )
        )
    cols = (
        [np.array(c, dtype=float) for c in zip(*rows, strict=True)] if rows else [np.zeros(0)] * 4
    )
    return Asked(cols[0], cols[1], cols[2], cols[3].astype(bool))


#: a calibration that answers every question a span was found for (for ``ask_all``)
ANSWER_ALL = {"min_confidence": 0.0, "answer_odds_weight": 0.0, "min_answer_odds": -1e9}


def fit(fitting: Asked, seeds: Asked | None = None) -> tuple[float, float, bool]:
    """(odds weight, threshold, whether seeds-qa stayed all right) of the rule with the best
    balanced F1 on ``fitting`` among those keeping every seeds-qa question right (among all
    rules when none does)."""
    best: tuple[float, float, float, bool] | None = None
    for weight in WEIGHTS:
        for threshold in THRESHOLDS:
            seeds_ok = seeds is None or bool(
                np.all(seeds.answered(weight, threshold) == seeds.answerable)
            )
            f1 = fitting.measure(weight, threshold)["balanced_f1"]
            key = (seeds_ok, f1)
            if best is None or key > (best[3], best[2]):
                best = (weight, threshold, f1, seeds_ok)
    assert best is not None
    return best[0], best[1], best[3]
