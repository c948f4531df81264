"""A reader's abstention rule: saved beside it, loaded with it, overridden by a setting, and
fitted by ``qa calibrate``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa import calibration
from qa.answer import ask
from qa.calibration import DEFAULT, Asked, Calibration, fit, for_settings, load, save
from qa.cli import main
from qa.config import ConfigError, Settings
from qa.reader import DEFAULT_READER_DIR

PARAGRAPHS = [
    "The Panjshir Valley lies north of Kabul. Its resistance was led by Ahmad Shah Massoud, "
    "who was killed on 9 September 2001.",
    "Wheat and barley grow on the northern plains, where the harvest begins in June.",
]


def test_a_reader_without_calibration_json_gets_the_built_in_rule(tmp_path: Path) -> None:
    assert load(tmp_path) is DEFAULT
    assert DEFAULT.fitted_on["note"].startswith("built-in defaults")


def test_a_saved_calibration_is_read_back_and_a_setting_overrides_it(tmp_path: Path) -> None:
    mine = Calibration(0.61, 0.03, 0.0, {"questions": 10}, {"f1": 70.0})
    path = save(tmp_path, mine)
    assert path == tmp_path / "calibration.json"
    assert load(tmp_path) == mine
    assert json.loads(path.read_text(encoding="utf-8"))["min_confidence"] == 0.61
    assert for_settings(Settings(), tmp_path) == mine
    overridden = for_settings(Settings(min_confidence=0.4), tmp_path)
    assert overridden.min_confidence == 0.4 and overridden.answer_odds_weight == 0.03
    assert overridden.fitted_on["overridden"] == ["min_confidence"]
    assert mine.score(0.5, 1e6) == pytest.approx(0.5 + 0.03 * calibration.ODDS_CLIP[1])


def test_a_broken_calibration_is_an_error_not_other_thresholds(tmp_path: Path) -> None:
    (tmp_path / "calibration.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="run `qa calibrate` again"):
        load(tmp_path)
    (tmp_path / "calibration.json").write_text(
        json.dumps({"min_confidence": 3, "answer_odds_weight": 0.01}), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="min_confidence must be in"):
        load(tmp_path)


def test_fit_takes_the_best_squad2_f1_that_keeps_the_seeds_right() -> None:
    """Answerable questions score high and are right; unanswerable ones score low: the rule
    fitted lies between them, and a seeds-qa question that must be answered bounds it."""
    score = np.array([0.8, 0.7, 0.75, 0.3, 0.35, 0.4])
    asked = Asked(score, np.zeros(6), np.array([1.0, 1, 1, 0, 0, 0]), score > 0.5)
    weight, threshold, seeds_ok = fit(asked)
    assert 0.4 < threshold <= 0.7 and seeds_ok
    measured = asked.measure(weight, threshold)
    assert measured["f1"] == 100.0 and measured["no_answer_accuracy"] == 1.0
    # a seeds question that must be answered at score 0.45 caps the threshold there
    seeds = Asked(np.array([0.45]), np.zeros(1), np.ones(1), np.array([True]))
    _, threshold, seeds_ok = fit(asked, seeds)
    assert seeds_ok and 0.4 < threshold <= 0.45


@pytest.mark.slow
def test_a_reader_folder_brings_its_own_thresholds(
    tmp_path: Path, seeds_settings: Settings
) -> None:
    """``--reader DIR`` uses DIR's calibration.json: the same reader with a threshold no
    answer reaches abstains on a question the shipped one answers."""
    question = "How many districts did the Taliban capture?"
    shipped = ask(question, index_dir=seeds_settings.index_dir)
    assert not shipped.abstained
    strict = tmp_path / "reader"
    shutil.copytree(DEFAULT_READER_DIR, strict)
    save(strict, Calibration(0.99, 0.0, 0.0))
    answer = ask(question, index_dir=seeds_settings.index_dir, reader=str(strict))
    assert answer.abstained and answer.abstain_reason == "low_score"
    assert answer.min_confidence == 0.99 and "below the" in answer.why_not_found()
    # a setting still overrides the folder's rule for one run
    loose = ask(question, index_dir=seeds_settings.index_dir, reader=str(strict),
                min_confidence=0.0)  # fmt: skip
    assert not loose.abstained


def tiny_squad2(path: Path) -> Path:
    qas = [
        {"id": "a", "question": "Who led the resistance in the Panjshir Valley?",
         "answers": [{"text": "Ahmad Shah Massoud",
                      "answer_start": PARAGRAPHS[0].index("Ahmad Shah Massoud")}]},
        {"id": "b", "question": "When was Massoud killed?",
         "answers": [{"text": "9 September 2001",
                      "answer_start": PARAGRAPHS[0].index("9 September 2001")}]},
        {"id": "c", "question": "Who founded the city of Kabul?", "is_impossible": True,
         "answers": []},
    ]  # fmt: skip
    wheat = [
        {"id": "d", "question": "When does the harvest begin?",
         "answers": [{"text": "June", "answer_start": PARAGRAPHS[1].index("June")}]},
        {"id": "e", "question": "What price does barley fetch?", "is_impossible": True,
         "answers": []},
    ]  # fmt: skip
    data = [
        {"title": "Panjshir", "paragraphs": [{"context": PARAGRAPHS[0], "qas": qas}]},
        {"title": "Wheat", "paragraphs": [{"context": PARAGRAPHS[1], "qas": wheat}]},
    ]
    path.write_text(json.dumps({"version": "v2.0", "data": data}), encoding="utf-8")
    return path


@pytest.mark.slow
def test_qa_calibrate_writes_the_rule_into_the_reader_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``qa calibrate --squad FILE --articles … --reader DIR``: asks the chosen articles'
    questions, fits, and saves calibration.json in DIR, saying what it measured there; the
    folder's reader then answers by it."""
    squad = tiny_squad2(tmp_path / "v2.json")
    reader = tmp_path / "reader"
    shutil.copytree(DEFAULT_READER_DIR, reader)
    seeds_qa = Path(__file__).resolve().parent / "data" / "seeds-qa.jsonl"
    args = ["calibrate", "--squad", str(squad), "--articles", "Panjshir", "--reader",
            str(reader), "--cache-dir", str(tmp_path / "cache"),
            "--seeds-qa", str(seeds_qa)]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert f"wrote {reader / 'calibration.json'}" in err and "no-answer accuracy" in err
    saved = load(reader)
    assert saved.fitted_on["questions"] == 3 and saved.fitted_on["unanswerable"] == 1
    assert saved.fitted_on["articles"] == ["Panjshir"]
    assert saved.fitted_on["seeds_qa"] == "seeds-qa.jsonl"
    assert saved.accuracies["seeds_qa_right"] == 1.0
    assert 0 <= saved.accuracies["no_answer_accuracy"] <= 1
    assert main([*args[:3], "--articles", "Nowhere", *args[5:]]) == 2
    assert "no file has an article titled 'Nowhere'" in capsys.readouterr().err
    # a title names an article of any one file: each file gives the chosen articles it has
    other = json.loads(squad.read_text(encoding="utf-8"))
    other["data"] = [dict(a, title="Barley") for a in other["data"] if a["title"] == "Wheat"]
    barley = tmp_path / "barley.json"
    barley.write_text(json.dumps(other), encoding="utf-8")
    asked = sum(len(p["qas"]) for a in other["data"] for p in a["paragraphs"])
    both = [*args[:2], str(squad), str(barley), "--articles", "Panjshir", "Barley", *args[5:]]
    assert main(both) == 0, capsys.readouterr().err
    assert load(reader).fitted_on["questions"] == 3 + asked
