"""``qa train-reader``: the SQuAD split, training labels, length-grouped batches, and one real
training step end to end on a tiny SQuAD file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import ConfigError, Settings
from qa.reader import Reader
from qa.train import Example, hard_negatives, length_batches, read_examples, split

PARAGRAPH = (
    "The Panjshir Valley lies north of Kabul. Its resistance was led by Ahmad Shah Massoud, "
    "who was killed on 9 September 2001."
)


def tiny_squad(path: Path, articles: int = 2) -> Path:
    """``articles`` articles of one paragraph and two questions each."""
    start = PARAGRAPH.index("Ahmad Shah Massoud")
    when = PARAGRAPH.index("9 September 2001")
    qas = [
        {"id": "a", "question": "Who led it?", "answers": [{"text": "Ahmad Shah Massoud",
                                                           "answer_start": start}]},
        {"id": "b", "question": "When was he killed?", "answers": [{"text": "9 September 2001",
                                                                   "answer_start": when}]},
    ]  # fmt: skip
    data = [
        {"title": f"Article {n}", "paragraphs": [{"context": PARAGRAPH, "qas": qas}]}
        for n in range(articles)
    ]
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    return path


def test_the_last_articles_are_held_out(tmp_path: Path) -> None:
    titles, examples = read_examples(tiny_squad(tmp_path / "s.json", articles=3))
    assert titles == ["Article 0", "Article 1", "Article 2"] and len(examples) == 6
    train, held = split(titles, examples, 1)
    assert {e.article for e in train} == {0, 1} and {e.article for e in held} == {2}
    assert PARAGRAPH[held[0].answer_start :].startswith(held[0].golds[0])
    with pytest.raises(ConfigError, match="holdout"):
        split(titles, examples, 3)


def test_length_batches_cover_every_window_once_in_similar_lengths() -> None:
    rng = random.Random(0)
    lengths = [rng.randint(20, 384) for _ in range(1000)]
    batches = length_batches(lengths, 16, random.Random(1), pool=10)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000)) and all(len(b) <= 16 for b in batches)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    shuffled = [list(range(n, min(n + 16, 1000))) for n in range(0, 1000, 16)]
    unsorted = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in shuffled)
    assert spread < unsorted / 4  # padding per batch stays short
    assert batches != length_batches(lengths, 16, random.Random(2), pool=10)


def test_train_reader_one_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two articles: one trains (one batch of two windows, one step), one is scored."""
    squad = tiny_squad(tmp_path / "tiny.json")
    out = tmp_path / "reader"
    args = ["--squad", str(squad), "--epochs", "1", "--holdout", "1", "--out", str(out)]
    code = main(["train-reader", *args, "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "training on 2 questions (2 windows) of 1 articles" in err
    assert "held-out (2 questions of Article 1, gold paragraph): exact_match" in err
    record = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert record["config"]["epochs"] == 1 and record["train_windows"] == 2
    assert len(record["epochs"]) == 1 and 0 <= record["held_out"]["f1"] <= 100
    assert "CC BY-SA 4.0" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    spans = Reader(Settings(reader=str(out))).read("Who led it?", [PARAGRAPH])
    assert spans[0] is not None and spans[0].text == PARAGRAPH[spans[0].start : spans[0].end]


def test_train_reader_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    squad = tiny_squad(tmp_path / "tiny.json")
    assert main(["train-reader", "--squad", str(squad), "--holdout", "2"]) == 2
    assert capsys.readouterr().err.startswith("qa: error: --holdout must be between 0 and 1")
    assert main(["train-reader", "--squad", str(tmp_path / "none.json")]) == 2
    assert "SQuAD file not found" in capsys.readouterr().err
    out = ["--holdout", "1", "--out", str(tmp_path / "r"), "--quiet"]
    assert main(["train-reader", "--squad", str(squad), "--negatives", "-2", *out]) == 2
    assert "--negatives must be 0 or more, not -2" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_train_reader_refuses_what_would_waste_or_lose_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by an audit: these trained a whole epoch, then crashed or saved a broken reader."""
    squad = tiny_squad(tmp_path / "tiny.json")
    base = ["train-reader", "--squad", str(squad), "--holdout", "1", "--quiet"]
    a_file = tmp_path / "afile"
    a_file.write_text("mine", encoding="utf-8")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine", encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text(
        json.dumps(
            {"data": [{"title": "Intro", "paragraphs": [{"context": PARAGRAPH, "qas": []}]},
                      *json.loads(squad.read_text(encoding="utf-8"))["data"][1:]]}
        ),
        encoding="utf-8",
    )  # fmt: skip
    cases = [
        ([*base, "--out", str(a_file)], "is a file"),
        ([*base, "--out", str(notes)], "holds other files"),
        ([*base, "--out", str(tmp_path / "r"), "--lr", "inf"], "learning rate must be positive"),
        ([*base, "--out", str(tmp_path / "r"), "--lr", "nan"], "learning rate must be positive"),
        (["train-reader", "--squad", str(empty), "--holdout", "1", "--out", str(tmp_path / "r")],
         "no answerable question is left to train on"),
    ]  # fmt: skip
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("qa: error:") and message in err, err
    assert a_file.read_text(encoding="utf-8") == "mine"
    assert [f.name for f in notes.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "r").exists()


def test_an_interrupted_save_leaves_the_previous_reader(tmp_path: Path) -> None:
    """The reader is written beside --out and then takes its place: a save stopped half-way
    leaves the reader that was there, whole, and no stray folder."""
    import qa.train

    squad = tiny_squad(tmp_path / "tiny.json")
    out = tmp_path / "reader"
    args = ["train-reader", "--squad", str(squad), "--holdout", "1", "--quiet", "--out", str(out)]
    assert main(args) == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}

    class Stop(KeyboardInterrupt):
        pass

    def interrupted(*_: object, **__: object) -> None:
        raise Stop

    import torch

    model = Reader(Settings(reader=str(out))).model
    tokenizer = Reader(Settings(reader=str(out))).tokenizer
    with torch.no_grad():  # new weights, so a save that got as far as them would show
        for weight in model.parameters():
            weight.add_(1.0)
    original = tokenizer.save_pretrained
    tokenizer.save_pretrained = interrupted  # type: ignore[method-assign]
    with pytest.raises(Stop):
        qa.train.save(model, tokenizer, out, {"epochs": []})
    tokenizer.save_pretrained = original  # type: ignore[method-assign]
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["reader", "tiny.json"]
    # a finished save replaces it, readable by others as a folder of files normally is
    qa.train.save(model, tokenizer, out, json.loads((out / "training.json").read_text()))
    assert (out / "model.safetensors").read_bytes() != before["model.safetensors"]
    assert all(f.stat().st_mode & 0o044 for f in [out, *out.iterdir()])
    assert sorted(f.name for f in tmp_path.iterdir()) == ["reader", "tiny.json"]


def test_a_reader_saved_into_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out . cannot be renamed away (the process is inside it): the files go into it."""

    squad = tiny_squad(tmp_path / "tiny.json")
    here = tmp_path / "here"
    here.mkdir()
    (here / ".gitkeep").write_text("", encoding="utf-8")  # hidden files do not block --out
    monkeypatch.chdir(here)
    args = ["train-reader", "--squad", str(squad), "--holdout", "1", "--quiet", "--out", "."]
    assert main(args) == 0
    assert (here / "training.json").is_file() and (here / "tokenizer.json").is_file()
    assert Reader(Settings(reader=str(here))).read("Who led it?", [PARAGRAPH])[0] is not None
    assert sorted(f.name for f in tmp_path.iterdir()) == ["here", "tiny.json"]


def test_bad_squad_shapes_and_misplaced_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON file of another shape says what a SQuAD file is (it said "bad or missing list
    indices must be integers"); a question whose answer_start misses its answer text is
    skipped, not trained on other words; a --base that is not there is named as --base."""
    odd = tmp_path / "odd.json"
    for shape in ("[]", '{"data": "nope"}'):
        odd.write_text(shape, encoding="utf-8")
        assert main(["train-reader", "--squad", str(odd), "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert 'expected an object whose "data" is a list' in err
        assert err.count("is not a SQuAD") == 1, err  # said once (it was said twice)
        assert main(["eval", "--squad", str(odd), "--cache-dir", str(tmp_path / "c")]) == 2
        assert 'expected an object whose "data" is a list' in capsys.readouterr().err
    squad = tiny_squad(tmp_path / "tiny.json", articles=2)
    bom = tmp_path / "bom.json"  # as qa eval reads it (found by an audit: it was refused)
    bom.write_bytes(b"\xef\xbb\xbf" + squad.read_bytes())
    assert read_examples(bom) == read_examples(squad)
    data = json.loads(squad.read_text(encoding="utf-8"))
    data["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 0
    squad.write_text(json.dumps(data), encoding="utf-8")
    _, examples = read_examples(squad)
    assert len(examples) == 3 and all(
        e.context[e.answer_start :].startswith(e.golds[0]) for e in examples
    )
    assert "1 questions of" in capsys.readouterr().err
    argv = ["train-reader", "--squad", str(squad), "--base", str(tmp_path / "nope")]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    assert "--base " in capsys.readouterr().err


def tiny_squad2(path: Path) -> Path:
    """SQuAD 2.0 style, two articles (one shares its title with tiny_squad's second), each with
    an answerable and an unanswerable question."""
    start = PARAGRAPH.index("Ahmad Shah Massoud")
    qas = [
        {"id": "c", "question": "Who led it?", "is_impossible": False,
         "answers": [{"text": "Ahmad Shah Massoud", "answer_start": start}]},
        {"id": "d", "question": "Who founded Kabul?", "is_impossible": True, "answers": []},
    ]  # fmt: skip
    data = [
        {"title": title, "paragraphs": [{"context": PARAGRAPH, "qas": qas}]}
        for title in ("Other", "Article 1")
    ]
    path.write_text(json.dumps({"version": "v2.0", "data": data}), encoding="utf-8")
    return path


def test_train_reader_on_v1_and_v2_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files: the first file's last article is held out, and the same article in the
    other; the SQuAD 2.0 file's unanswerable questions train and score no-answer accuracy."""
    _, examples = read_examples(tiny_squad2(tmp_path / "v2.json"))
    assert [e.golds for e in examples[:2]] == [("Ahmad Shah Massoud",), ()]
    out = tmp_path / "reader"
    files = [str(tiny_squad(tmp_path / "v1.json")), str(tmp_path / "v2.json")]
    code = main(["train-reader", "--squad", *files, "--epochs", "1", "--holdout", "1",
                 "--out", str(out), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "training on 4 questions (1 unanswerable) (4 windows) of 2 articles" in err
    assert "holding out 4 questions of 1: Article 1" in err
    assert "unanswerable: no_answer_accuracy" in err
    record = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert record["data"] == "v1.json v2.json"
    assert record["train_unanswerable"] == 1 and record["held_out_unanswerable"] == 1
    held = record["held_out"]
    assert held["questions"] == 3 and held["unanswerable"] == 1
    assert 0 <= held["no_answer_accuracy"] <= 1 and 0 <= held["has_answer_accuracy"] <= 1
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "1 of them unanswerable" in card and "SQuAD 2.0" in card
    assert f"no-answer accuracy {held['no_answer_accuracy']}, has-answer accuracy" in card


def test_hard_negatives_are_other_paragraphs_of_its_article_without_the_answer() -> None:
    """Each answerable question gets the best BM25 paragraph of its own article among those
    that do not contain one of its answers, as an unanswerable example (the open setting
    retrieves from the same documents); unanswerable questions get none, and a fraction per
    question gives that share of the questions one."""
    paragraphs = [
        "The Panjshir Valley lies north of Kabul; Massoud led its resistance.",
        "Kabul is the capital of Afghanistan and lies south of the Panjshir Valley.",
        "Massoud was born in the Panjshir Valley in 1953.",  # holds the answer: never a negative
        "Wheat grows on the plains of the north.",
        "The Panjshir Valley is in another article, and so never a negative here.",
    ]
    examples = [
        Example(0, "Who led the resistance in the Panjshir Valley?", paragraphs[0], ("Massoud",),
                paragraphs[0].index("Massoud")),
        Example(0, "What is the capital?", paragraphs[1], ("Kabul",), 0),
        Example(0, "When was he born?", paragraphs[2], ("1953",), paragraphs[2].index("1953")),
        Example(0, "What grows in the Panjshir Valley?", paragraphs[3], (), -1),
        Example(1, "Where is it?", paragraphs[4], ("another article",),
                paragraphs[4].index("another article")),
    ]  # fmt: skip
    negatives = hard_negatives(examples, 1)
    first = next(n for n in negatives if n.question == examples[0].question)
    assert first.context == paragraphs[1] and first.golds == () and first.answer_start == -1
    assert first.article == 0  # the article the question and the paragraph come from
    assert all(n.context != paragraphs[4] for n in negatives)
    assert all("Massoud" not in n.context for n in negatives if n.question == first.question)
    assert all(n.context != e.context for n in negatives for e in examples
               if e.question == n.question)  # fmt: skip
    assert not any(n.question == examples[3].question for n in negatives)
    # no other paragraph shares a word with "What is the capital?": no negative rather than noise
    assert not any(n.question == examples[1].question for n in negatives)
    assert hard_negatives(examples, 0) == []
    many = [Example(0, e.question, e.context, e.golds, e.answer_start) for e in examples[:1]] * 400
    share = len(hard_negatives([*many, *examples[1:4]], 0.25, seed=1)) / 400
    assert 0.18 < share < 0.32


def test_train_reader_with_negatives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--negatives 1``: each training question also reads another paragraph as no-answer."""
    squad = tmp_path / "two.json"
    other = "Farmers led by the council saw their wheat killed by frost on the plains."
    data = json.loads(tiny_squad(squad, articles=2).read_text(encoding="utf-8"))
    frost = {"id": "f", "question": "What killed the wheat?",
             "answers": [{"text": "frost", "answer_start": other.index("frost")}]}  # fmt: skip
    data["data"][0]["paragraphs"].append({"context": other, "qas": [frost]})
    squad.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "reader"
    code = main(["train-reader", "--squad", str(squad), "--epochs", "1", "--holdout", "1",
                 "--negatives", "1", "--out", str(out), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "training on 3 questions and 3 paragraphs that do not answer them (6 windows)" in err
    record = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert record["train_negatives"] == 3 and record["train_unanswerable"] == 0
    assert "--negatives 1" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert record["config"]["negatives"] == 1


def test_train_reader_continues_from_a_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--base DIR`` starts from that reader's weights, span head included (a near-zero
    learning rate leaves them as they were; a fresh head would be random), and the card
    rebuilds both: the base's command, then this one."""
    from safetensors.numpy import load_file

    squad = str(tiny_squad(tmp_path / "tiny.json"))
    first, second = tmp_path / "first", tmp_path / "second"
    common = ["train-reader", "--squad", squad, "--epochs", "1", "--holdout", "1", "--quiet"]
    assert main([*common, "--out", str(first)]) == 0
    assert main([*common, "--base", str(first), "--lr", "1e-12", "--out", str(second)]) == 0
    head = "qa_outputs.weight"
    before = load_file(str(first / "model.safetensors"))[head]
    after = load_file(str(second / "model.safetensors"))[head]
    assert (before == after).all()
    record = json.loads((second / "training.json").read_text(encoding="utf-8"))
    assert record["config"]["base"] == str(first)
    assert record["base_training"]["config"]["base"] == "all-MiniLM-L6-v2"
    card = (second / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "the all-MiniLM-L6-v2 sentence encoder" in card
    assert f"Started from: the reader in `{first}`" in card
    assert f"--holdout 1 --out {first}` then `qa train-reader" in card
    assert f"--base {first} --out DIR`" in card
    capsys.readouterr()
    assert main([*common, "--base", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "no model there (config.json is missing)" in capsys.readouterr().err


def test_train_reader_mixes_with_its_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--mix-base 0.5``: the saved weights are the average of the trained ones and the base
    reader's (the same run without it gives the trained ones; CPU training is repeatable), the
    record and card say so, and the final score is the mixed reader's."""
    import numpy as np
    from safetensors.numpy import load_file

    squad = str(tiny_squad(tmp_path / "tiny.json"))
    first, plain, mixed = tmp_path / "first", tmp_path / "plain", tmp_path / "mixed"
    common = ["train-reader", "--squad", squad, "--epochs", "1", "--holdout", "1", "--quiet"]
    assert main([*common, "--out", str(first)]) == 0
    further = [*common, "--base", str(first), "--lr", "1e-2"]
    assert main([*further, "--out", str(plain)]) == 0
    assert main([*further, "--mix-base", "0.5", "--out", str(mixed)]) == 0
    weights = [load_file(str(d / "model.safetensors")) for d in (first, plain, mixed)]
    moved = 0
    for name in weights[0]:
        a, b, m = (w[name].astype(np.float32) for w in weights)
        assert np.allclose(m, (a + b) / 2, rtol=2e-3, atol=1e-3), name
        moved += int(not np.allclose(a, b, atol=5e-3))
    assert moved  # the run did change the weights, so the average is not the base itself
    record = json.loads((mixed / "training.json").read_text(encoding="utf-8"))
    assert record["config"]["mix_base"] == 0.5
    assert record["held_out"] == record["mixed_with_base"]["held_out"]
    card = (mixed / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "--mix-base 0.5 --out DIR`" in card and "0.5 x the base reader's" in card
    capsys.readouterr()
    assert main([*common, "--mix-base", "0.5", "--out", str(tmp_path / "x")]) == 2
    assert "--mix-base needs --base to be a reader folder" in capsys.readouterr().err
    assert main([*further, "--mix-base", "1", "--out", str(tmp_path / "y")]) == 2
    assert "--mix-base must be at least 0 and below 1" in capsys.readouterr().err


def test_a_run_cut_off_resumes_where_its_checkpoint_left_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--resume`` continues from the last checkpoint (weights, optimizer, schedule, place
    in the epoch, RNG) and ends with the weights of a run that was never cut off; the
    checkpoint is removed once the reader is saved."""
    from safetensors.numpy import load_file

    from qa import train

    squad = str(tiny_squad(tmp_path / "tiny.json", articles=3))
    common = ["train-reader", "--squad", squad, "--epochs", "2", "--holdout", "1",
              "--batch-size", "1", "--precision", "fp32", "--checkpoint-minutes", "0",
              "--quiet"]  # fmt: skip
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main([*common, "--out", str(whole)]) == 0
    assert not train.checkpoint_dir(whole).exists()

    saves = []
    real_save = train.Checkpoint.save

    def save_then_die(self: train.Checkpoint, *args: object, **kwargs: object) -> None:
        real_save(self, *args, **kwargs)  # type: ignore[arg-type]
        saves.append(args[4:6])  # (epoch, step)
        if len(saves) == 6:  # epoch 2, after its first step
            raise KeyboardInterrupt

    monkeypatch.setattr(train.Checkpoint, "save", save_then_die)
    assert main([*common, "--out", str(cut)]) == 130
    assert saves[-1] == (2, 1) and train.checkpoint_dir(cut).is_dir()
    monkeypatch.setattr(train.Checkpoint, "save", real_save)
    capsys.readouterr()
    assert main([*common, "--out", str(cut), "--resume"]) == 0
    assert "resumed at epoch 2, step 1 of 4" in capsys.readouterr().err
    a, b = (load_file(str(d / "model.safetensors")) for d in (whole, cut))
    assert all((a[k] == b[k]).all() for k in a)
    record = json.loads((cut / "training.json").read_text(encoding="utf-8"))
    assert [e["epoch"] for e in record["epochs"]] == [1, 2]
    assert not train.checkpoint_dir(cut).exists()


def test_resume_refuses_a_missing_or_different_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    squad = str(tiny_squad(tmp_path / "tiny.json"))
    out = str(tmp_path / "r")
    common = ["train-reader", "--squad", squad, "--holdout", "1", "--out", out, "--quiet"]
    assert main([*common, "--resume"]) == 2
    assert "--resume: no checkpoint at" in capsys.readouterr().err
    from qa import train

    config = train.TrainConfig(holdout=1, epochs=1)
    model = train.load_model(train.resolve_model_dir("all-MiniLM-L6-v2"))
    optimizer, schedule = train._optimizer(model, config, 10)
    train.Checkpoint(train.checkpoint_dir(Path(out))).save(
        config, model, optimizer, schedule, 1, 1, [1.0], [], 1.0
    )
    assert main([*common, "--epochs", "1", "--lr", "0.001", "--resume"]) == 2
    assert "made with other settings (lr)" in capsys.readouterr().err


def test_max_questions_trains_on_a_seeded_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.train import sample

    titles, examples = read_examples(tiny_squad(tmp_path / "t.json", articles=5))
    picked = sample(examples, 4, seed=0)
    assert len(picked) == 4 and picked == sample(examples, 4, seed=0)
    assert picked == [e for e in examples if e in picked]  # file order kept
    assert sample(examples, 0, 0) == examples and sample(examples, 99, 0) == examples
    rest = sample(examples, 0, seed=0, skip=4)  # exactly the questions the sample left
    assert len(rest) == len(examples) - 4 and not set(map(id, rest)) & set(map(id, picked))
    assert sample(examples, 2, seed=0, skip=4) == [e for e in rest if e in sample(examples, 6, 0)]
    out = ["--out", str(tmp_path / "r"), "--quiet", "--holdout", "1", "--epochs", "1"]
    assert main(["train-reader", "--squad", str(tmp_path / "t.json"), "--max-questions", "3",
                 *out]) == 0  # fmt: skip
    assert "training on 3 questions" in capsys.readouterr().err
    assert main(["train-reader", "--squad", str(tmp_path / "t.json"), "--max-questions", "-1",
                 *out]) == 2  # fmt: skip
    assert "--max-questions must be 0 (all) or more" in capsys.readouterr().err
    assert main(["train-reader", "--squad", str(tmp_path / "t.json"), "--skip-questions", "2",
                 *out]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert f"training on {len(split(titles, examples, 1)[0]) - 2} questions" in err
    assert main(["train-reader", "--squad", str(tmp_path / "t.json"), "--skip-questions",
                 "9999", *out]) == 2  # fmt: skip
    assert "leaves no answerable question" in capsys.readouterr().err
