"""Names in questions and sentences, and look-alikes of them (qa.names)."""

from __future__ import annotations

import pytest

from qa.names import conflicts, mentioned_numbers, numbers, runs, unnamed, words_of_names


def test_names_are_runs_of_capitalised_words() -> None:
    assert runs("Who is the chief executive of Kestrel Aviation?") == [{"kestrel", "aviat"}]
    assert runs("The Broncos' Peyton Manning won Super Bowl 50.") == [
        {"bronco"}, {"peyton", "man"}, {"super", "bowl", "50"}
    ]  # fmt: skip
    assert runs("What is Dr Quinn Petrov's room?") == [{"quinn", "petrov"}]
    assert runs("When was Lock 9 built?", numbers=False) == [{"lock"}]
    assert words_of_names("Is it Quinn Sato?")["quinn"] == {"quinn", "sato"}


@pytest.mark.parametrize(
    ("question", "sentence", "conflict"),
    [
        # found by an audit: the van maker's chief executive given as the airline's
        ("Who heads Kestrel Aviation?", "Daniel Hart, chief executive of Kestrel Motors.", True),
        ("Who heads Kestrel Aviation?", "The airline's chief executive, Daniel Okafor.", False),
        ("Who heads Kestrel Aviation?", "Kestrel Aviation is not Kestrel Motors.", False),
        ("Who heads Kestrel?", "Daniel Hart, the chief executive of Kestrel Motors.", False),
        ("Who heads Kestrel Aviation?", "Kestrel said it would grow.", False),
        ("When did Peter Hart speak?", "Daniel Hart spoke on Tuesday.", True),
        ("Which room is Quinn Sato in?", "Quinn Petrov is in room 204.", True),
        ("What did Super Bowl 50 cost?", "Super Bowl XLIX cost more.", True),
        ("Where is Leeds?", "Leeds is in Yorkshire.", False),
    ],
)
def test_a_sentence_naming_a_look_alike_conflicts(
    question: str, sentence: str, conflict: bool
) -> None:
    assert conflicts(runs(question), sentence) is conflict


def test_a_title_cased_question_and_one_naming_two_people_are_read_right() -> None:
    """Found by a review: "What Room Is Ada Sato In?" made "Room" and "In" part of a name,
    and "Did Peter Hart work with Daniel Hart?" took the sentence about Peter Hart for a
    look-alike of Daniel Hart."""
    assert runs("What Room Is Ada Sato In?") == [] and runs("WHAT ROOM IS ADA SATO IN?") == []
    assert runs("Give Ada Sato's room.", question=True) == [{"ada", "sato"}]
    assert runs("What room is Professor Ada Sato in?", question=True) == [{"ada", "sato"}]
    asked = runs("Did Peter Hart work with Daniel Hart?", question=True)
    assert not conflicts(asked, "Peter Hart joined the firm in 2001.")


def test_numbers_are_compared_in_one_form_and_a_document_may_spell_them_out() -> None:
    """A question's number must be one its answer's document mentions (``qa.answer``): so
    "1,000" is "1000", "1.50" is "1.5", "3rd" is "3", "£85m" holds 85; "1,3" is two numbers,
    not one thousand and three; "9:00" gives 9 (not its "00"); a document may write "four",
    "third" or "World War II"."""
    assert numbers("Did 1,000 people pay £1.50 on the 3rd of May 1990?") == {
        "1000", "1.5", "3", "1990",
    }  # fmt: skip
    assert numbers("Besides 1,3 and 7, which digit? At 9:00 or 10.30?") == {
        "1",
        "3",
        "7",
        "9",
        "10.3",
    }
    assert numbers("The £85m hangar opened in the 1990s.") == {"85", "1990"}
    assert numbers("Who designed the T2 in E4 mode?") == {"2", "4"}
    said = mentioned_numbers("Four primes; the third war was World War II, in I think 1941.")
    assert {"4", "3", "2", "1941"} <= said and "1" not in said
    assert "2024" not in mentioned_numbers("Revenue in 20245 and 2.024 and 202 units.")


def test_a_document_that_never_names_the_question_s_name_is_told_apart() -> None:
    """A name's word must be in the document in some form: itself, a form one starts the
    other ("Europe" / "European"), or one letter apart ("Celeron" / "Céloron"); an
    abbreviation ("SP") is spelt out elsewhere and is not checked."""
    doc = "The European council met Pierre-Joseph Céloron de Blainville in Paris in 1749."

    def asks_unnamed(question: str) -> bool:
        return unnamed(question, runs(question, question=True), doc)

    assert not asks_unnamed("Who did Celeron meet in Europe?")
    assert not asks_unnamed("When did the SP meet in Paris?")
    assert not asks_unnamed("When did the council meet?")  # no name
    assert asks_unnamed("Who did Celeron meet in London?")
    assert asks_unnamed("When did Kestrel Motors open a plant?")


def test_a_number_is_found_in_the_forms_documents_write_it() -> None:
    """Found by a review: with the number rule, each of these questions was "not found"
    though its document gives the number in another form (a date, a clock time, a year's
    last two digits, a subscript, a compound word), and a phone number's groups counted
    as numbers the document had to mention."""
    for question, document in [
        ("What happened on 5 March 2024?", "On 2024-03-05 the plant opened."),
        ("Which trains leave at 9am?", "| Express | 09:00 |"),
        ("Is it open after 8pm?", "| Monday | 9:00 | 20:00 |"),
        ("Is the 9.30am bus late?", "The 9:30 bus is late."),
        ("What was profit in 2023/24?", "Profit in 2023/2024 rose."),
        ("What was revenue in FY24?", "Revenue in the fiscal year 2024 fell."),
        ("What happened in the 90s?", "In the 1990s it grew."),
        ("What changed in the 21st century?", "In the twenty-first century it changed."),
        ("How much CO2 does it emit?", "It emits 4 tonnes of CO₂."),
    ]:
        assert numbers(question) <= mentioned_numbers(document), (question, document)
    assert numbers("Whose number is +44 20 7946 0958?") == set()


def test_a_name_is_a_word_that_starts_capitalised_and_not_the_pronoun_i() -> None:
    """Found by a review: "How do I …?" named "I", so every document was one that never
    names it; "macOS", "iPhone" and "eBay" named "OS", "Phone" and "Bay"; "U.S." was not
    taken for the abbreviation it is."""
    document = "US regulators said the macOS update fixes eBay and iPhone bugs."
    for question in [
        "How do I update macOS?",
        "How do I reset my iPhone?",
        "When was eBay founded?",
        "What did U.S. regulators say?",
    ]:
        assert not unnamed(question, runs(question, question=True), document), question
    assert runs("How do I reset it?", question=True) == []
