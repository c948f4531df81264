"""The ``qa`` command as a user runs it: JSON schema, progress, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.duplicates import jaccard, shingles
from tests.conftest import ROOT, SEEDS, run_qa

pytestmark = pytest.mark.slow


def test_search_json_schema(seeds_settings: Settings) -> None:
    proc = run_qa(
        "search",
        "--json",
        "Who was known as the Lion of Panjshir?",
        "-k",
        "3",
        "--index-dir",
        str(seeds_settings.index_dir),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"query", "read_as", "k", "index_dir", "hits"} and out["read_as"] is None
    assert out["k"] == 3 and len(out["hits"]) == 3
    for rank, hit in enumerate(out["hits"], 1):
        assert set(hit) == {"rank", "score", "text", "chunk_id", "sources", "scores"}
        assert hit["rank"] == rank and isinstance(hit["score"], float)
        assert isinstance(hit["chunk_id"], int)
        for n, src in enumerate(hit["sources"]):
            assert set(src) == {"path", "title", "start", "end", "page", "page_end"}
            text = Path(src["path"]).read_text(encoding="utf-8")[src["start"] : src["end"]]
            if n == 0:  # the passage itself; further sources are near-duplicates of it
                assert text == hit["text"]
            else:
                assert jaccard(shingles(text), shingles(hit["text"])) > 0.3
    assert "Lion of Panjshir" in out["hits"][0]["text"]


def test_index_dir_from_environment(seeds_settings: Settings) -> None:
    proc = run_qa(
        "search", "Panjshir", "-k", "1", env={"QA_INDEX_DIR": str(seeds_settings.index_dir)}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1. [")


def test_index_command_builds_with_progress(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Solar panels\nSolar panels turn sunlight into electricity.\n")
    (corpus / "empty.txt").write_text("")
    proc = run_qa("index", str(corpus), "--index-dir", str(tmp_path / "ix"))
    assert proc.returncode == 0, proc.stderr
    assert "chunking" in proc.stderr and "indexed 1 documents" in proc.stderr
    assert "empty.txt" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "ix" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/folder"], "no/such/folder"),
        (["search", "   "], "the question is empty"),
        (["search", "x", "--index-dir", "/tmp/qa-no-index-here"], "no index in"),
        (["search", "x", "--chunk-tokens", "4"], "chunk_tokens must be between"),
        (["search", "x", "--model", "/no/model"], "local folder"),
    ],
)
def test_user_mistakes_get_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], seeds_settings: Settings
) -> None:
    argv = (
        [*args]
        if "--index-dir" in args or args[0] == "index"
        else [*args, "--index-dir", str(seeds_settings.index_dir)]
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("qa: error:")


def test_empty_folder_does_not_replace_an_index(seeds_settings: Settings, tmp_path: Path) -> None:
    before = (seeds_settings.index_dir / "manifest.json").read_text()
    (tmp_path / "empty").mkdir()
    assert (
        main(["index", str(tmp_path / "empty"), "--index-dir", str(seeds_settings.index_dir)]) == 2
    )
    assert (seeds_settings.index_dir / "manifest.json").read_text() == before


def test_help_runs() -> None:
    proc = run_qa("--help")
    assert proc.returncode == 0 and "index" in proc.stdout and "search" in proc.stdout
    assert SEEDS.exists()


def test_index_again_is_a_no_op_until_something_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Tides\nThe moon's gravity raises the tides twice a day.\n")
    ix = str(tmp_path / "ix")
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    assert "indexed 1 documents" in capsys.readouterr().err
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    assert "up to date" in capsys.readouterr().err
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet", "--rebuild"]) == 0
    assert "indexed 1 documents" in capsys.readouterr().err
    (corpus / "b.txt").write_text("Volcanoes\nLava is molten rock that reaches the surface.\n")
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    assert "indexed 2 documents" in capsys.readouterr().err
    assert main(["search", "molten rock", "-k", "1", "--index-dir", ix]) == 0
    assert "b.txt" in capsys.readouterr().out


def test_readme_python_example_runs(seeds_settings: Settings, tmp_path: Path) -> None:
    """The first Python block of the README, run as a user would paste it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("## Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "QA_INDEX_DIR": str(seeds_settings.index_dir), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "United Arab Emirates" in proc.stdout and "False" in proc.stdout


def test_json_stays_valid_utf8_for_any_argument(seeds_settings: Settings) -> None:
    """A terminal can pass bytes that are not UTF-8; ``--json`` still prints valid UTF-8."""
    index, query = str(seeds_settings.index_dir), os.fsdecode(b"Panjshir \xff valley")
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "search", "--json", "--index-dir", index, query],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.decode("utf-8"))
    assert out["query"] == "Panjshir \ufffd valley" and out["hits"]


def test_ask_answers_many_questions_with_one_start_up(seeds_settings: Settings) -> None:
    """A script's questions, piped one per line to ``qa ask -``, are answered in one process
    (the model loads once; each ``qa ask`` had cost about 7 s of start-up). ``--json``
    prints one object per line; an empty question is an error line, the rest are answered,
    and the exit code says one failed."""
    index = str(seeds_settings.index_dir)
    questions = "Where did Ashraf Ghani flee to?\n\n  \nWho won the 2022 FIFA World Cup?\n"
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", "--json", "-", "Who is Ahmad Massoud's father?",
         "", "--index-dir", index],
        cwd=ROOT, input=questions, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.split("\n")[:-1]]  # JSON Lines: "\n"
    assert [line["question"] for line in lines] == [
        "Where did Ashraf Ghani flee to?",
        "Who won the 2022 FIFA World Cup?",
        "Who is Ahmad Massoud's father?",
        "",
    ]
    assert lines[0]["short_answer"] == "United Arab Emirates"
    assert lines[1]["abstained"] and lines[1]["abstain_reason"] == "unmatched_number"
    assert not lines[2]["abstained"]
    assert lines[3] == {"question": "", "error": "the question is empty"}
    assert "qa: error: question 4: the question is empty" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", "Where did Ashraf Ghani flee to?",
         "Who won the 2022 FIFA World Cup?", "Will Ahmad Massoud surrender to the Taliban?",
         "--index-dir", index],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first, second, third = proc.stdout.split("\nQ: ")
    assert first.startswith("Q: Where did Ashraf Ghani flee to?")
    assert "United Arab Emirates" in first
    assert second.startswith("Who won the 2022 FIFA World Cup?") and "Not found" in second
    # a yes/no question: the sentence answers, and the reply its grammar gives is short
    assert "won’t surrender to the Taliban" in third and "short answer: No  (" in third


def test_ask_reads_questions_that_are_not_utf8_and_refuses_two_dashes(
    seeds_settings: Settings,
) -> None:
    """Found by a review: a byte that is not UTF-8 on standard input ended `qa ask -` in a
    traceback, and '-' given twice read nothing the second time without a word."""
    index = str(seeds_settings.index_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", "--json", "-", "--index-dir", index],
        cwd=ROOT, input=b"Where did Ashraf Ghani flee to? caf\xe9\n", capture_output=True,
        timeout=600, env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.decode("utf-8").split("\n")[:-1]
    assert json.loads(line)["question"] == "Where did Ashraf Ghani flee to? caf\ufffd"
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", "-", "-", "--index-dir", index],
        cwd=ROOT, input=b"Who?\n", capture_output=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 2 and b"can be given once" in proc.stderr, proc.stderr
    assert b"Traceback" not in proc.stderr


def test_a_pdf_passage_gives_the_pages_it_runs_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by an audit: a passage that runs onto page 2 was cited as page 1 only."""
    from tests.test_documents import _pdf

    corpus = tmp_path / "docs"
    corpus.mkdir()
    _pdf(
        corpus / "report.pdf",
        ["Annual report of the Brackley Astronomy Society.",
         "The society's new telescope cost 4,200 pounds."],
    )  # fmt: skip
    ix = str(tmp_path / "ix")
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    assert main(["search", "--json", "telescope cost", "-k", "1", "--index-dir", ix]) == 0
    source = json.loads(capsys.readouterr().out)["hits"][0]["sources"][0]
    assert (source["page"], source["page_end"]) == (1, 2)
    assert main(["search", "telescope cost", "-k", "1", "--index-dir", ix]) == 0
    assert "report.pdf:" in (out := capsys.readouterr().out) and " p.1-2 " in out
    assert main(["ask", "--json", "How much did the telescope cost?", "--index-dir", ix]) == 0
    citation = json.loads(capsys.readouterr().out)["citations"][0]
    assert (citation["page"], citation["page_end"], citation["passage"]["page_end"]) == (2, 2, 2)


def test_a_file_changed_since_indexing_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by an audit: after a file was edited, search and ask cited offsets into the old
    text without a word. They now say which cited files changed until qa index runs again."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    tides = corpus / "tides.txt"
    tides.write_text("Tides\n\nThe moon's gravity raises the tides twice a day.\n")
    (corpus / "lava.txt").write_text("Volcanoes\n\nLava is molten rock that reaches the surface.\n")
    ix = str(tmp_path / "ix")
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "tides moon", "-k", "2", "--index-dir", ix]) == 0
    assert "changed since it was indexed" not in capsys.readouterr().err
    tides.write_text("Tides\n\nSomething else entirely now.\n")
    assert main(["search", "tides moon", "-k", "2", "--index-dir", ix]) == 0
    err = capsys.readouterr().err
    assert f"warning: {corpus}/tides.txt changed since it was indexed" in err
    assert "lava.txt" not in err
    tides.unlink()  # a UI audit: a deleted file was said to have "changed"
    assert main(["ask", "What raises the tides?", "--index-dir", ix]) == 0
    assert f"{corpus}/tides.txt deleted since it was indexed" in capsys.readouterr().err
    assert main(["index", str(corpus), "--index-dir", ix, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["search", "tides moon", "-k", "2", "--index-dir", ix]) == 0
    assert "changed since" not in capsys.readouterr().err


def test_an_abstention_says_how_close_it_came(seeds_settings: Settings) -> None:
    """Found by an audit: `qa ask` printed "Not found" and passages scored "[-7.194]" with no
    word on why or what the numbers are. It says how close the best reading came, as the UI
    does, and labels the passages' scores."""
    proc = run_qa(
        "ask", "What is the capital of Australia?", "--index-dir", str(seeds_settings.index_dir)
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Not found in these documents."
    assert lines[1].startswith("The closest passages are listed below; ")
    assert any(line.startswith("1. [reader ") or line.startswith("1. [match ") for line in lines)
