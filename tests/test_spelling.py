"""Misspelt question words read as the documents' own (qa.spelling)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import ConfigError, Settings
from qa.spelling import Speller
from tests.conftest import run_qa

DOCS = [
    "Quinn Petrov is the harbor master. The treasurer is Tomas Berg. The teams meet at nine.",
    "Massoud was known as the Lion of Panjshir. The harbor opened in 1901. Lévy wrote it.",
    "The cat sat. A bat flew. A cut healed. The harbor master keeps the harbor log.",
]


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("Which room is Quinn Petorv in?", "Which room is Quinn Petrov in?"),  # swapped
        ("Who is the tresurer?", "Who is the treasurer?"),  # dropped
        ("Who was known as the Lion of Panjsihr?", "Who was known as the Lion of Panjshir?"),
        ("When did the HARBOUR open?", "When did the HARBOR open?"),  # added, case kept
        ("Who wrote about Lévvy?", "Who wrote about lévy?"),  # accents kept
    ],
)
def test_a_word_no_document_holds_is_read_as_the_nearest_one(question: str, read_as: str) -> None:
    assert Speller.of(DOCS).correct(question).casefold() == read_as.casefold()


@pytest.mark.parametrize(
    "question",
    [
        "Which room is Quinn Sato in?",  # a short word: "Sato" is not "Sat"
        "When do the teams meet?",  # the documents hold it
        "When does each team meet?",  # a form of a word they hold
        "What did the cet do?",  # short, and "cat", "cut" and "set" are as near
        "Who founded the Rangers?",  # nothing one edit away
        "What is the harbor's 2023 budget?",
    ],
)
def test_everything_else_is_left_as_written(question: str) -> None:
    assert Speller.of(DOCS).correct(question) == question


def test_no_correction_when_two_words_are_equally_near() -> None:
    """Sandu is one edit from Sands and from Sandy, each once: no telling which is meant."""
    speller = Speller.of(["Randy Sands met Sandy Rands."])
    assert speller.correct("Where is Sandu?") == "Where is Sandu?"
    assert Speller.of(["Sandy Sandy Sandy Randy"]).correct("Where is Sandu?") == "Where is Sandy?"


def test_spelling_can_be_turned_off() -> None:
    assert Settings.from_env({"QA_SPELLING": "off"}).spelling is False
    assert Settings().spelling is True
    with pytest.raises(ConfigError, match="QA_SPELLING must be"):
        Settings.from_env({"QA_SPELLING": "maybe"})


@pytest.mark.slow
def test_a_misspelt_question_is_answered_and_says_how_it_was_read(tmp_path: Path) -> None:
    """Found by audits: a typo in the word a question turns on ("Petorv") made the answer
    "not found". `qa ask` reads it as the documents' word, says so, and answers."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "staff.txt").write_text(
        "Harbor staff\n\nQuinn Petrov, the harbor master, works in room 204. The treasurer, "
        "Tomas Berg, works in room 211.\n",
        encoding="utf-8",
    )
    ix = str(tmp_path / "ix")
    assert run_qa("index", str(docs), "--index-dir", ix, "--quiet").returncode == 0
    asked = run_qa("ask", "Which room does Quinn Petorv work in?", "--index-dir", ix, "--json")
    answer = json.loads(asked.stdout)
    assert answer["read_as"] == "Which room does Quinn Petrov work in?"
    assert answer["short_answer"] in {"204", "room 204"}
    assert answer["question"].endswith("Petorv work in?")
    shown = run_qa("ask", "Who is the tresurer?", "--index-dir", ix).stdout
    assert shown.startswith("(read as: Who is the treasurer?)") and "Tomas Berg" in shown
    off = run_qa("ask", "Who is the tresurer?", "--index-dir", ix, env={"QA_SPELLING": "0"})
    assert "read as" not in off.stdout
    found = run_qa("search", "Quinn Petorv", "--index-dir", ix, "--json").stdout
    assert json.loads(found)["read_as"] == "Quinn Petrov"


def test_an_english_word_is_never_corrected() -> None:
    """Found by a review: "When did the plane land?" was read as "… the plan land?", as the
    documents held "plan" and not "plane". A whole word of the model's vocabulary is right."""
    from qa.embedding import resolve_model_dir
    from qa.retrieval import whole_words

    known = whole_words(resolve_model_dir(Settings().model))
    speller = Speller.of(["The plan was to land at the mouth. Kestrel Aviation."], known)
    assert speller.correct("When did the plane land? Which month?") == (
        "When did the plane land? Which month?"
    )
    assert speller.correct("Who runs Kestral Aviation?") == "Who runs Kestrel Aviation?"
