"""The kind of answer a question asks for, and the spans of that kind (``qa.kinds``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.kinds import an_amount, asks_money, expects, fits
from tests.conftest import run_qa


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the Ashby Fen treatment works cost?", "amount"),
        ("How many storm overflows does the trust operate?", "count"),
        ("When did Kestrel Motors open its Leeds plant?", "time"),
        ("In what year was the library built?", "time"),
        ("What time does the library close on Tuesday?", "time"),
        ("Which century saw the rise of the Mughal empire?", "time"),
        ("Why did leakage fall?", "reason"),
        ("How long does Boost mode last?", "measure"),
        ("How far from the boiler should the Hub be mounted?", "measure"),
        ("How often is the festival held?", None),  # "biennial", "rarely"
        ("Who opened the plant?", None),
        ("How much did revenue rise?", None),  # a change, not an amount of money
        ("When the vote failed, what did the Speaker do?", None),  # "when" opens a clause
        ("What is the time signature of the song?", None),
        # found by a review: a condition, not a time; a noun that only starts a word
        ("When should I use eco mode?", None),
        ("What day-care options are there?", None),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str | None) -> None:
    assert expects(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "span", "fit"),
    [
        ("count", "The board met eleven times.", "eleven", True),
        ("count", "It has 412 storm overflows.", "412", True),
        ("count", "The test flight was unmanned.", "unmanned", False),
        ("count", "A majority of members sit in government.", "majority", True),
        ("count", "They wrote to the council.", "the council", False),
        ("time", "It opened in September 2023.", "September 2023", True),
        ("time", "The station reopened at 7.15pm.", "7.15pm", True),
        (
            "time",
            "Committees are set up at the beginning of each session.",
            "beginning of each session",
            True,
        ),
        ("time", "The company is based in Coventry.", "Coventry", False),
        # found by a review: times said in words, and words that are not times
        ("time", "The shop opens at three o'clock.", "three o'clock", True),
        ("time", "It was repaired overnight.", "overnight", True),
        ("time", "He sold the farm upon retirement.", "upon retirement", True),
        ("time", "The pumps were replaced at the end of the war.", "at the end of the war", True),
        ("time", "Press the next button.", "the next button", False),
        ("time", "The office is on the first floor.", "the first floor", False),
        ("time", "It was a second fault.", "a second fault", False),
        ("count", "Nobody was hurt.", "Nobody", True),
        ("count", "A third of members agreed.", "A third", True),
        ("reason", "Leakage fell by 11 percent.", "11 percent", False),
        ("reason", "It cost £58 million.", "£58 million", False),
        ("reason", "It opened in March 2024.", "March 2024", False),
        ("reason", "It closed because of the war.", "the war", True),
        # found by a review: a measure is no reason either
        ("reason", "Leakage fell to 142 megalitres per day.", "142 megalitres per day", False),
        ("reason", "The trust repaired 18,250 leaks.", "18,250 leaks", False),
        ("reason", "It rose to 40 °C.", "40 °C", False),
        ("reason", "Sales held up in Germany.", "Germany", True),
        ("reason", "It read " + "2020 " * 16 + "zebra.", "2020 " * 16 + "zebra", False),
        (
            "reason",
            "The fall came from replacing 310 kilometres of mains.",
            "replacing 310 kilometres of mains",
            True,
        ),
        ("measure", "Boost mode ends after 30 minutes.", "30 minutes", True),
        ("measure", "The abbey is several centuries old.", "several centuries", True),
        ("measure", "Fix the Hub away from the boiler.", "the boiler", False),
        # runs of numbers, which a first regex took exponential time over (found by a review)
        ("reason", "It read " + "1.1.1.1." * 250 + "x.", "1.1.1.1." * 250 + "x", False),
        ("amount", "The works cost £58 million.", "£58 million", True),
        ("amount", "It serves 1.84 million customers.", "1.84 million", False),
    ],
)
def test_which_spans_are_of_a_kind(kind: str, text: str, span: str, fit: bool) -> None:
    start = text.index(span)
    assert fits(kind, text, start, start + len(span)) is fit  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("What is the salary of Corvala Water Trust's chief executive?", True),
        ("How much did it cost to build Levi's Stadium?", True),
        ("How much money did he raise?", True),
        ("How much is the avrage houshold bill?", True),
        # found by a review: not amounts of money
        ("What is the income tax rate?", False),
        ("What is the price-to-earnings ratio?", False),
        ("What was the bill's main provision?", False),
        ("What is the Budget Act?", False),
        ("How much oil did the company sell?", False),
        ("How much of the budget went to schools?", False),
        ("How much did revenue rise?", False),
    ],
)
def test_which_questions_ask_for_money(question: str, money: bool) -> None:
    assert asks_money(question) is money


@pytest.mark.parametrize(
    ("text", "span", "amount"),
    [
        ("It costs USD 500 a year.", "500", True),
        ("The price is 500 euros.", "500", True),
        ("He is paid 5.2 million Canadian dollars a year.", "5.2 million", True),
        ("The fee is Rs 500.", "500", True),
        ("Entry is free of charge.", "free", True),
        ("Late returns cost 25p per item.", "25p", True),
        # found by a review: a name or a word of the next sentence, a resolution, a mark
        ("She joined in 2021. Mark Lee left.", "2021", False),
        ("It records 1080p video.", "1080p", False),
        ("She scored 24 marks out of 30.", "24", False),
        ("The herd is free-roaming.", "free-roaming", False),
    ],
)
def test_what_is_an_amount_of_money(text: str, span: str, amount: bool) -> None:
    start = text.index(span)
    assert an_amount(text, start, start + len(span)) is amount


REVIEW = """Harbour Water annual review

Leakage fell by 11 percent during the year to 142 megalitres per day, the lowest level the \
company has recorded. The main reason for the fall was the replacement of 310 kilometres of \
old cast-iron mains. The company repaired 18,250 leaks in the year.

The new Ashby treatment works opened in September 2023 after three years of building. It was \
opened by the regional mayor, Carol Dunn, on a wet Tuesday morning.

The board met eleven times during the year. Most members of the board live in the valley.
"""


@pytest.mark.slow
def test_a_question_is_answered_by_a_span_of_the_kind_it_asks_for(tmp_path: Path) -> None:
    """Found by an audit: "Why did leakage fall?" was answered "11 percent", the reader's
    best span, with the reason one sentence on. Through the CLI, as a user asks: the answer
    is the reason (one of the reader's next choices); a question of another kind, or one
    whose best span is already of its kind, keeps the reader's best."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "review.txt").write_text(REVIEW, encoding="utf-8")
    index = ["--index-dir", str(tmp_path / "index")]
    assert run_qa("index", str(docs), *index, "--quiet").returncode == 0
    questions = {
        "Why did leakage fall?": "the replacement of 310 kilometres of old cast-iron mains",
        "By how much did leakage fall?": "11 percent",
        "When did the Ashby treatment works open?": "September 2023",
        "How many times did the board meet?": "eleven",
        "Who opened the Ashby treatment works?": "Carol Dunn",
    }
    done = run_qa("ask", "-", *index, "--json", input="\n".join(questions))
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert {g["question"]: g["short_answer"] for g in got} == questions
    for g in got:
        sentence = g["sentences"][0]["text"]
        assert g["short_answer"] in sentence
