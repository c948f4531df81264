"""The short "Yes" or "No" read off a yes/no question's answer sentence (qa/replies.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.bm25 import tokenize
from qa.names import stop_words
from qa.replies import reply

DATA = Path(__file__).parent / "data"


def _weights(question: str) -> dict[str, float]:
    """Every content word of the question weighs the same (the index gives IDF instead)."""
    stop = stop_words()
    return {t: 1.0 for t in tokenize([question])[0] if t not in stop and len(t) > 1}


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # a negation of what the question asks about: "No"
        (
            "Did the trust pay a dividend this year?",
            "The board has decided not to pay a\ndividend this year; all surplus will be "
            "reinvested in the network.",
            "No",
        ),
        (
            "Is Kestrel Aviation related to Kestrel Motors?",
            "Kestrel Aviation is not related to the van maker Kestrel Motors, which opened a "
            "battery plant in Leeds two days earlier.",
            "No",
        ),
        # the negation must hold the question's main word: "join" is not "work", so no
        # reply, though "cannot join a 5 GHz network" implies one
        (
            "Does the T2 work with 5 GHz Wi-Fi?",
            "The T2 works only with 2.4 GHz\n   networks; it cannot join a 5 GHz network.",
            None,
        ),
        (
            "Did the strike affect park and ride services?",
            "Park and ride services, which are run by a different company, are not affected.",
            "No",
        ),
        # the sentence holds the question, nothing in it says no: "Yes"
        ("Did the trust pay a dividend?", "The trust paid a dividend of 3p a share.", "Yes"),
        (
            "Did Kestrel Motors open a plant in Leeds?",
            "Kestrel Motors opened its first UK battery plant in Leeds on Tuesday.",
            "Yes",
        ),
        ("Is the warranty 3 years?", "The T2 comes with a warranty of three years.", "Yes"),
        # a negation of something else than what is asked: still "Yes"
        ("Is the jug dishwasher safe?", "The jug is dishwasher safe; the base is not.", "Yes"),
        ("Did the trust pay a dividend?", "No one objected when the trust paid a dividend.", "Yes"),
        # not plainly either: no reply
        ("Is the warranty 2 years?", "The warranty is three years.", None),
        ("Is the library open on Wednesday?", "The library is closed on bank holidays.", None),
        ("Is the jug dishwasher safe?", "The jug is dishwasher safe, but the base is not.", None),
        ("Will the trust pay a dividend?", "The trust may pay a dividend next year.", None),
        ("Does the T2 work with Siri?", "The T2 works with Alexa if the Hub is online.", None),
        ("Did the trust pay a dividend?", "The trust did not hire new staff.", None),
        # what is negated is the clause's subject, not said of Massoud
        ("Did Massoud surrender?", "Massoud said surrender is not part of his vocabulary.", None),
        # "Did" parsed as the only verb: "increase" is still what is asked, and "fell" denies it
        ("Did Brenner AG's revenue increase in 2023?", "Brenner AG's revenue fell in 2023.", "No"),
        ("Is Sam Petrov still the captain?", "Sam Petrov captained the team for years.", None),
        ("Isn't the library open on Sunday?", "The library opens at 11:00 on Sunday.", None),
        ("Did Kestrel Aviation open a plant?", "Kestrel Motors opened a plant in Leeds.", None),
        # the opposite word, said of what is asked: "No"
        ("Is the museum open on Mondays?", "The museum is closed on Mondays.", "No"),
        ("Did the minister resign?", "The minister refused to resign.", "No"),
        ("Did the council approve the plan?", "The council rejected the plan.", "No"),
        # said of something else, or of another day, or twice negated: no reply
        ("Is the museum open on Mondays?", "The museum's café is closed on Mondays.", None),
        ("Is the museum open on Mondays?", "The museum is closed on Sundays.", None),
        ("Is smoking prohibited on balconies?", "Smoking is not permitted on balconies.", None),
        ("Did Kelso fail to meet its targets?", "Kelso failed to meet its targets.", None),
        # a code, the main word, a subject said as "it"
        ("Has the lift in Block A been repaired?", "The lift in Block B was repaired.", None),
        ("Is the rent going up this year?", "Rents will remain frozen this year.", None),
        ("Does the T2 work with Alexa?", "It works with Alexa and Google Assistant.", "Yes"),
        # a prefix that negates ("non-live"), a negation before the main verb, two negations
        ("Is Shingrix a live vaccine?", "Shingrix is a non-live, recombinant vaccine.", "No"),
        ("Have the findings been peer reviewed?", "They have not yet been peer reviewed.", "No"),
        ("Is flooding common here?", "Flooding here is not uncommon in spring.", None),
        ("Is the door unlocked?", "The door is unlocked from 8am.", "Yes"),
    ],
)
def test_reply(question: str, sentence: str, expected: str | None) -> None:
    assert reply(question, sentence, _weights(question)) == expected


def test_no_reply_without_question_words() -> None:
    assert reply("Is it?", "It is.", {}) is None


@pytest.mark.parametrize("name", [f"yes-no{n}.jsonl" for n in ("-dev", "", "-3", "-4")])
def test_replies_are_rarely_wrong_on_written_sets(name: str) -> None:
    """Four sets written for this (120, 150, 150, 150 question-sentence pairs, a third not
    settled by the sentence): a reply, when given, is right at least 9 times in 10, and
    is given for at least 15 in 100 of the pairs the sentence settles
    (``benchmarks/yes_no.py`` prints the figures)."""
    items = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    got = [reply(i["question"], i["sentence"], _weights(i["question"])) for i in items]
    given = [(g, i["gold"]) for g, i in zip(got, items, strict=True) if g is not None]
    settled = sum(i["gold"] != "Unclear" for i in items)
    right = sum(g == gold for g, gold in given)
    assert right >= 0.9 * len(given) and right >= 0.15 * settled, (right, len(given), settled)


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # found by a review: a wrong "Yes" where the sentence doubts, qualifies or is about
        # another subject, and a wrong "No" where it negates something else
        (
            "Was the suspect arrested?",
            "Police did not confirm that the suspect was arrested.",
            None,
        ),
        ("Is the treatment safe?", "Nothing suggests the treatment is safe.", None),
        ("Is the product vegan?", "The product is neither vegetarian nor vegan.", None),
        ("Was the suspect arrested?", "Was the suspect arrested?", None),
        (
            "Is the museum open on Mondays?",
            "The museum is open on Mondays and closed on Tuesdays.",
            None,
        ),
        ("Did the president sign the bill?", "The vice president signed the bill.", None),
        ("Is the museum open on Mondays?", "The museum shop is open on Mondays.", None),
        ("Did the trust pay a dividend?", "The trust's subsidiary paid a dividend.", None),
        ("Did the firm go bankrupt?", "The firm nearly went bankrupt in 2009.", None),
        ("Is the fee £10?", "The fee rose from £10 to £15 in April.", None),
        ("Is Jane Doe the CEO?", "Jane Doe, the former CEO, spoke at the event.", None),
        ("Is the museum open?", "The museum will open next year.", None),
        (
            "Is the jug dishwasher safe?",
            "The jug is dishwasher safe; the lid is unsafe in it.",
            "Yes",
        ),
        (
            "Is the drug approved for children?",
            "The drug is approved for adults; it has not been tested in children.",
            None,
        ),
        ("Is breakfast included?", "Breakfast is not included.", "No"),
        ("Did the reporter cover the story?", "The reporter uncovered the story.", None),
    ],
)
def test_reply_found_by_review(question: str, sentence: str, expected: str | None) -> None:
    assert reply(question, sentence, _weights(question)) == expected


def test_a_very_long_text_gets_no_reply() -> None:
    """Parsing is not linear in a sentence's length; a "sentence" of thousands of words is
    no sentence (the chunker never gives one) and gets no reply, at once."""
    assert reply("Is it safe?", "It is safe " + "and so on " * 400, _weights("Is it safe?")) is None
