"""The reader's halves: feature windows with character offsets, span decoding, loading."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.config import ConfigError, Settings
from qa.embedding import resolve_model_dir
from qa.reader import (
    DEFAULT_READER_DIR,
    MAX_ANSWER_TOKENS,
    Reader,
    Span,
    best_span,
    decode,
    decode_top,
    resolve_reader_dir,
    row_view,
    top_spans,
    views,
    windows,
)
from qa.train import Example, labelled_windows


@cache
def tokenizer() -> Any:
    """The encoder's own tokenizer (the reader's is a copy of it); no weights are loaded."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("all-MiniLM-L6-v2")))


WORD = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=12
)
SPACE = st.sampled_from([" ", "  ", "\n", " \t "])


@st.composite
def passage_and_answer(draw: st.DrawFn) -> tuple[str, int, int]:
    """A passage of words and an answer: a run of whole words inside it (character span)."""
    words = draw(st.lists(WORD, min_size=1, max_size=60))
    gaps = draw(st.lists(SPACE, min_size=len(words), max_size=len(words)))
    first = draw(st.integers(0, len(words) - 1))
    last = draw(st.integers(first, min(len(words) - 1, first + 5)))
    text, start, end = "", 0, 0
    for i, (word, gap) in enumerate(zip(words, gaps, strict=True)):
        if i == first:
            start = len(text)
        text += word
        if i == last:
            end = len(text)
        text += gap
    return text, start, end


@settings(max_examples=60, deadline=None)
@given(passage_and_answer(), st.sampled_from([384, 40]))
def test_labelled_span_decodes_to_the_answer_text(case: tuple[str, int, int], width: int) -> None:
    """Training labels and answer-time decoding agree: the tokens labelled as the answer,
    decoded through the offset mapping, give back exactly the document's slice."""
    passage, start, end = case
    answer = passage[start:end]
    example = Example(0, "what is it?", passage, (answer,), start)
    labelled = labelled_windows(tokenizer(), example, max_tokens=width, stride=16)
    found = [(w, s, e) for w, s, e in labelled if (s, e) != (0, 0)]
    size = len(tokenizer()(answer, add_special_tokens=False)["input_ids"])
    if 0 < size <= 16:  # always wholly inside a window (stride 16)
        assert found, "some window holds the whole answer"
    for window, s, e in found:
        start_logits = np.full(len(window.input_ids), -10.0)
        end_logits = np.full(len(window.input_ids), -10.0)
        start_logits[s], end_logits[e] = 10.0, 10.0
        span = decode(window, passage, start_logits, end_logits, max_answer_tokens=width)
        assert span is not None
        assert span.text == passage[span.start : span.end]
        assert (span.start, span.end) == (start, end)


@settings(max_examples=60, deadline=None)
@given(
    passage_and_answer(),
    st.integers(0, 2**32 - 1),
    st.integers(1, 8),
)
def test_best_span_obeys_order_length_and_passage(
    case: tuple[str, int, int], seed: int, cap: int
) -> None:
    """Whatever the logits, the span starts before it ends, is at most ``cap`` tokens, lies in
    the passage (never the question or a special token) and is the best such pair."""
    passage = case[0]
    window = windows(tokenizer(), "which one?", [passage])[0]
    rng = np.random.default_rng(seed)
    start_logits = rng.normal(size=len(window.input_ids))
    end_logits = rng.normal(size=len(window.input_ids))
    found = best_span(start_logits, end_logits, window.offsets, cap)
    allowed = [i for i, o in enumerate(window.offsets) if o is not None]
    if not allowed:
        assert found is None
        return
    assert found is not None
    s, e, score = found
    assert s <= e < s + cap and s in allowed and e in allowed
    brute = max(
        start_logits[i] + end_logits[j] for i in allowed for j in allowed if i <= j < i + cap
    )
    assert score == pytest.approx(brute)
    span = decode(window, passage, start_logits, end_logits, cap)
    assert span is not None and span.text == passage[span.start : span.end]
    assert 0 < span.probability <= 1 and 0 < span.no_answer <= 1


@settings(max_examples=60, deadline=None)
@given(
    passage_and_answer(),
    st.integers(0, 2**32 - 1),
    st.integers(1, 8),
    st.integers(1, 4),
    st.booleans(),
)
def test_next_choices_are_the_best_other_spans_in_order(
    case: tuple[str, int, int], seed: int, cap: int, n: int, cells: bool
) -> None:
    """``top_spans``: each span is the best allowed pair (within ``cap`` tokens and one
    piece, a table cell) sharing no token with those before it, as a brute force finds it;
    ``decode_top`` gives them as characters of the passage, ranked 0, 1, …"""
    passage = case[0]
    window = windows(tokenizer(), "which one?", [passage])[0]
    rng = np.random.default_rng(seed)
    size = len(window.input_ids)
    start_logits, end_logits = rng.normal(size=size), rng.normal(size=size)
    pieces = list(rng.integers(0, 3, size=size)) if cells else None
    found = top_spans(start_logits, end_logits, window.offsets, cap, pieces, n)
    allowed = [i for i, o in enumerate(window.offsets) if o is not None]
    pairs = {
        (i, j): start_logits[i] + end_logits[j]
        for i in allowed
        for j in allowed
        if i <= j < i + cap and (pieces is None or pieces[i] == pieces[j])
    }
    expected: list[tuple[int, int]] = []
    while len(expected) < n:
        free = [p for p in pairs if all(p[1] < s or e < p[0] for s, e in expected)]
        if not free:
            break
        expected.append(max(free, key=lambda p: pairs[p]))
    assert [(s, e) for s, e, _ in found] == expected
    assert [score for *_, score in found] == pytest.approx([pairs[p] for p in expected])
    window = replace(window, pieces=pieces)
    spans = decode_top(window, passage, start_logits, end_logits, cap, n)
    assert [sp.rank for sp in spans] == list(range(len(found)))
    for sp, (s, e, _) in zip(spans, found, strict=True):
        assert (sp.start, sp.end) == (window.offsets[s][0], window.offsets[e][1])  # type: ignore[index]
        assert sp.text == passage[sp.start : sp.end]


def test_long_passage_gets_overlapping_windows() -> None:
    passage = " ".join(f"word{i}" for i in range(900))
    feats = windows(tokenizer(), "which word?", [passage, "short one"])
    assert [w.passage for w in feats].count(0) > 1 and feats[-1].passage == 1
    first, second = feats[0], feats[1]
    assert all(len(w.input_ids) <= 384 for w in feats)
    ends = {o for o in first.offsets if o is not None}
    starts = {o for o in second.offsets if o is not None}
    assert len(ends & starts) == 128  # the stride: tokens shared by neighbouring windows
    covered = {o for w in feats if w.passage == 0 for o in w.offsets if o is not None}
    assert min(a for a, _ in covered) == 0 and max(b for _, b in covered) == len(passage)


def test_unanswerable_questions_teach_no_answer() -> None:
    """Every window of an unanswerable question has [CLS] (0, 0) as its target."""
    paragraph = "The Panjshir Valley lies north of Kabul. Its resistance was led by Massoud. "
    example = Example(0, "Who founded Kabul?", paragraph * 12, (), -1)  # several windows
    labelled = labelled_windows(tokenizer(), example, 128, 32)
    assert len(labelled) > 1 and all((s, e) == (0, 0) for _, s, e in labelled)


def test_an_overlong_question_is_cut_and_the_passage_still_read() -> None:
    passage = "The lighthouse was automated in 1987."
    feats = windows(tokenizer(), "when was it automated? " * 5000, [passage])
    assert len(feats) == 1 and len(feats[0].input_ids) <= 384
    question_tokens = sum(1 for t in feats[0].token_type_ids if t == 0) - 2  # [CLS], [SEP]
    assert question_tokens <= 64
    covered = {o for o in feats[0].offsets if o is not None}
    assert max(b for _, b in covered) == len(passage)


def test_answers_longer_than_the_cap_are_not_chosen() -> None:
    window = windows(tokenizer(), "q?", [" ".join(["x"] * 80)])[0]
    start_logits = np.zeros(len(window.input_ids))
    end_logits = np.zeros(len(window.input_ids))
    first = window.offsets.index(next(o for o in window.offsets if o is not None))
    start_logits[first] = 50.0
    end_logits[first + MAX_ANSWER_TOKENS + 5] = 50.0  # the best pair, but too long
    found = best_span(start_logits, end_logits, window.offsets)
    assert found is not None and found[1] - found[0] < MAX_ANSWER_TOKENS


def test_a_missing_reader_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="train-reader"):
        resolve_reader_dir(tmp_path / "nowhere")
    assert resolve_reader_dir(None) == DEFAULT_READER_DIR.resolve()
    assert Settings.from_env({"QA_READER": str(tmp_path)}).reader == str(tmp_path)


def test_the_shipped_reader_is_small_fp16_with_a_card() -> None:
    import json

    from safetensors import safe_open

    weights = DEFAULT_READER_DIR / "model.safetensors"
    assert weights.stat().st_size < 60_000_000
    with safe_open(str(weights), "pt") as fh:
        dtypes = {str(fh.get_tensor(name).dtype) for name in fh.keys()}  # noqa: SIM118
    assert dtypes == {"torch.float16"}
    card = (DEFAULT_READER_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in card and "exact match" in card
    record = json.loads((DEFAULT_READER_DIR / "training.json").read_text(encoding="utf-8"))
    assert record["held_out_questions"] > 0 and record["held_out"]["f1"] > 0


@pytest.mark.slow
def test_the_shipped_reader_reads_offline() -> None:
    reader = Reader(Settings())
    passages = [
        "The NRF spokesman Ali Nazary told CNN that the fight would go on.",
        "",
        "In a letter dated August 16, Massoud asked Lévy for help against the Taliban.",
    ]
    spans = reader.read("Which NRF spokesman spoke to CNN?", passages)
    assert spans[1] is None
    assert spans[0] is not None and spans[0].text == "Ali Nazary"
    date = reader.read("On what date did Massoud write his letter to Lévy?", passages[2:])[0]
    assert date is not None and date.text == "August 16"
    assert passages[2][date.start : date.end] == date.text


@pytest.mark.slow
def test_the_reader_gives_its_next_choices() -> None:
    """``read_top``: the reader's best span, then others that do not overlap it. Asked why
    leakage fell, its best is the amount it fell by; the reason is among its next choices,
    for ``answer`` to take (``qa.kinds``)."""
    reader = Reader(Settings())
    passage = (
        "Leakage fell by 11 percent during the year to 142 megalitres per day. The main "
        "reason for the fall was the replacement of 310 kilometres of old cast-iron mains."
    )
    (spans,) = reader.read_top("Why did leakage fall?", [passage], n=3)
    assert [s.rank for s in spans] == [0, 1, 2]
    assert spans[0].text.startswith("11 percent")  # the amount, not the reason
    assert spans[0] == reader.read("Why did leakage fall?", [passage])[0]
    assert any("replacement of 310 kilometres" in s.text for s in spans[1:])
    for k, span in enumerate(spans):
        assert passage[span.start : span.end] == span.text
        assert all(span.end <= o.start or o.end <= span.start for o in spans[:k])
        assert span.score <= spans[0].score


TABLE = (
    "Locks of the canal.\n| Lock | Rise | Built |\n|---|---|---|\n| Lock 1 | 2.1 m | 1794 |\n"
    "| Lock 2 | 2.4 m | 1794 |\n| Lock 10 | 2.5 m | |\nThe deepest is Lock 2.\n"
)


def test_a_table_row_is_read_with_its_column_names() -> None:
    """Found by an audit: a bare "| Lock 9 | 3.1 m |" row gave the reader no column names and
    let a span run across rows. Each row is read spelt out; every character of the view that
    came from the document maps back to it, the added names to -1."""
    row = TABLE.index("| Lock 2")
    view = row_view(TABLE, row, TABLE.index("\n", row))
    assert (
        view is not None
        and view.text == "The Lock is Lock 2, the Rise is 2.4 m and the Built is 1794."
    )
    for char, origin in zip(view.text, view.origin, strict=True):
        assert origin == -1 or TABLE[origin] == char
    assert view.text[view.origin.index(TABLE.index("2.4 m")) :].startswith("2.4 m")
    end_row = TABLE.index("| Lock 10")
    assert (
        row_view(TABLE, end_row, TABLE.index("\n", end_row)).text
        == "The Lock is Lock 10 and the Rise is 2.5 m."
    )  # type: ignore[union-attr]
    header = TABLE.index("| Lock |")
    assert row_view(TABLE, header, TABLE.index("\n", header)) is None  # names, not an answer
    rule = TABLE.index("|---")
    assert row_view(TABLE, rule, TABLE.index("\n", rule)) is None
    assert row_view(TABLE, 0, TABLE.index("\n")) is None  # prose


def test_a_passage_with_a_table_is_read_as_prose_and_the_rows_asked_about() -> None:
    """The rows are barred in the passage's own view (read as context, no span in or across
    them), and
    a row is read when the question quotes one of its cells or a word few rows share."""
    prose, *rows = views(TABLE, 0, len(TABLE), "When was Lock 2 built?")
    assert prose.text == TABLE
    barred = {i for i, o in enumerate(prose.origin) if o < 0}
    assert barred == {i for i, ch in enumerate(TABLE) if TABLE.index("| Lock |") <= i <
                      TABLE.index("\nThe deepest") and ch != "\n"}  # fmt: skip
    assert len(views(TABLE, TABLE.index("| Lock |"), TABLE.index("\nThe deepest"))) == 3
    assert [r.text for r in rows] == ["The Lock is Lock 2 and the Built is 1794."]  # "built"
    assert [r.text for r in views(TABLE, 0, len(TABLE), "Which lock rises 2.5 m?")[1:]] == [
        "The Lock is Lock 10 and the Rise is 2.5 m."
    ]
    # "lock" is in every row and names none of them; unasked, every row is read
    assert len(views(TABLE, 0, len(TABLE), "When were the locks built?")) == 1
    assert len(views(TABLE, 0, len(TABLE))) == 4
    middle = TABLE.index("| Lock 2")  # a passage starting mid-table keeps the table's header
    assert views(TABLE, middle, len(TABLE), "Lock 2")[1].text.startswith("The Lock is Lock 2")
    # a review: "3.1" counted as the word "3", so "Who keeps Lock 3?" read Lock 9's row too
    keepers = "| Lock | Rise | Keeper |\n|---|---|---|\n| Lock 3 | 3.6 m | |\n" + "".join(
        f"| Lock {n} | {rise} m | Ned |\n" for n, rise in ((4, 2.0), (5, 2.2), (6, 1.9), (9, 3.1))
    )
    assert [v.text for v in views(keepers, 0, len(keepers), "Who keeps Lock 3?")] == [
        "The Lock is Lock 3 and the Rise is 3.6 m."
    ]
    no_header = "| Oslo | Norway |\n| Lima | Peru |\n"
    assert [v.text for v in views(no_header, 0, len(no_header))] == ["Oslo; Norway.", "Lima; Peru."]


def test_a_column_the_question_names_is_read_alone_with_the_rows_first_cell() -> None:
    """Found by an audit: "What time does the library close on Tuesday?" read "the Opens is
    9:00 and the Closes is 20:00" and answered 9:00. A column the question names (by a stem,
    or a start of four letters: "children" / "Child") is read with the row's first cell and
    the cells it quotes; a row with that column empty is not read; stop words and numbers
    name no column; of two named columns, the one the question names more of is read."""
    hours = (
        "| Day | Opens | Closes |\n|---|---|---|\n| Tuesday | 9:00 | 20:00 |\n"
        "| Wednesday | Closed | |\n| Saturday | 10:00 | 16:00 |\n"
    )

    def rows(text: str, question: str) -> list[str]:
        return [v.text for v in views(text, 0, len(text), question)]

    assert rows(hours, "What time does it close on Tuesday?") == [
        "The Day is Tuesday and the Closes is 20:00."
    ]
    wednesday = "The Day is Wednesday and the Opens is Closed."
    assert rows(hours, "Is it open on Wednesday?") == [wednesday]
    # the question quotes the Closes cell: it names no other column, the whole row is read
    assert rows(hours, "Which day does it close at 16:00?") == [
        "The Day is Saturday, the Opens is 10:00 and the Closes is 16:00."
    ]
    fees = "| Charge | Adults | Children (under 16) |\n|---|---|---|\n| Lost card | £2.50 | £1 |\n"
    assert rows(fees, "What does a lost card cost for a child?") == [
        "The Charge is Lost card and the Children (under 16) is £1."
    ]
    codes = "Code | Meaning | What to do\n--- | --- | ---\nE4 | No link | Move it closer\n"
    meaning = "The Code is E4 and the Meaning is No link."
    assert rows(codes, "What does error code E4 mean?") == [meaning]
    # a review: "Saturday" does not quote the cell "Saturdays", yet it tells the rows apart
    branches = (
        "| Branch | Day | Opens | Closes |\n|---|---|---|---|\n"
        "| Kirkgate | Weekdays | 9:00 | 17:30 |\n| Kirkgate | Saturdays | 10:00 | 16:00 |\n"
    )
    assert rows(branches, "When does Kirkgate close on a Saturday?")[-1] == (
        "The Branch is Kirkgate, the Day is Saturdays and the Closes is 16:00."
    )
    specs = "| Item | T2 | T2 Plus |\n|---|---|---|\n| Battery life | 18 months | 12 months |\n"
    assert rows(specs, "How long do the batteries last in the T2 Plus?") == [
        "The Item is Battery life and the T2 Plus is 12 months."
    ]


def test_an_answer_inside_a_short_table_cell_is_the_whole_cell() -> None:
    """Found in testing: "What should I do about error E5?" was answered "cash" from the cell
    "Pay by cash". A cell of up to four words is one value; a longer one keeps the span."""
    text = "Code | Meaning | Do\n--- | --- | ---\nE5 | Card fault | Pay by cash or a voucher\n"
    row = text.index("E5")
    view = row_view(text, row, text.index("\n", row))
    assert view is not None
    fault = view.text.index("fault")
    span = Span(0, fault, fault + len("fault"), "fault", 1.0, 1.0, 0.0)
    assert view.place(span) == (text.index("Card fault"), text.index(" | Pay"))
    cash = view.text.index("cash")
    span = Span(0, cash, cash + len("cash"), "cash", 1.0, 1.0, 0.0)
    assert view.place(span) == (text.index("cash"), text.index("cash") + len("cash"))


def test_a_line_that_asks_is_context_but_never_the_answer() -> None:
    """Found by an audit of a FAQ: "Can I use the BrewMate 300 with pods?" was answered
    "pods?", from the heading asking it. Such a line stays in what the reader reads (the
    answer under it needs it) but no span may start or end in it, nor run across it."""
    text = "Intro.\n\n## Can I buy a spare jug?\n\nYes, jugs cost €19.90 each.\n"
    (view,) = views(text, 0, len(text))
    assert view.text == text
    heading = text.index("## Can")
    barred = [i for i, o in enumerate(view.origin) if o < 0]
    assert barred == list(range(heading, text.index("\n", heading)))
    # found by a review: a question inside a paragraph was quoted as the answer, and a
    # statement ending in a rhetorical question ("… so why pay more?") lost its answer
    prose = "It spans the river. Why does it hum in a wind? The Trust has paid since 1971."
    origin = views(prose, 0, len(prose))[0].origin
    barred = "".join(ch for ch, o in zip(prose, origin, strict=True) if o < 0)
    assert barred == "Why does it hum in a wind?"
    shop = "Shipping is free on every order over €50 — so why pay more?"
    assert views(shop, 0, len(shop))[0].origin == range(len(shop))


def test_a_name_the_question_gives_must_match_the_whole_name_in_a_row() -> None:
    """Found by an audit: "Which room is Quinn Sato in?" (no such person) was answered from
    Quinn Petrov's row, which shares the rare word "Quinn". A name's other words must be in
    the row too; titles, possessives and the question's first word are not part of a name."""
    staff = "Staff rooms.\n\nName | Room\n--- | ---\n" + "".join(
        f"{name} | {room}\n"
        for name, room in [("Quinn Petrov", 204), ("Ada Lindqvist", 207), ("Tomas Berg", 211)]
    )

    def rows(question: str) -> list[str]:
        return [v.text for v in views(staff, 0, len(staff), question)[1:]]

    petrov = ["The Name is Quinn Petrov and the Room is 204."]
    assert rows("Which room is Quinn Sato in?") == []
    assert rows("Which room is Quinn Petrov in?") == petrov
    assert rows("What is Dr Quinn Petrov's room?") == petrov
    assert rows("Where does Quinn sit?") == petrov  # a first name alone still names the row
    assert rows("Who is in room 207?") == ["The Name is Ada Lindqvist and the Room is 207."]
