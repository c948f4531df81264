"""Crash safety and concurrency, done for real: ``qa index`` processes are SIGKILLed at several
points of an update, run two at a time, and searched while they write. Afterwards the index is
always the old one or the new one, whole, and searches return the right passages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa import ann
from qa.config import Settings
from qa.index import MANIFEST, Index, IndexCorrupt, build
from qa.retrieval import Searcher, _embedder
from tests.conftest import ROOT, SEEDS, run_qa

pytestmark = pytest.mark.slow

MARKER = "The Zorblatt observatory on Mount Quillan recorded a green comet in 1911."


def paragraphs() -> list[str]:
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [p for p in (q.strip() for q in text.split("\n\n")) if len(p) > 80]


def write_corpus(folder: Path, parts: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(parts):
        (folder / f"part{i:03d}.txt").write_text(text + "\n", encoding="utf-8")


def qa_index(folder: Path, index_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qa.cli",
            "index",
            str(folder),
            "--index-dir",
            str(index_dir),
            "--quiet",
        ],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check(index_dir: Path, settings: Settings) -> Index:
    """Open the index and check every invariant a search relies on."""
    index = Index.open(index_dir)
    ids = ann.vectors_of(index.faiss_index)[1].tolist()
    assert sorted(ids) == sorted(c.id for c in index.chunks)
    assert len(index.chunks) == index.manifest["counts"]["chunks"] == index.bm25.size
    assert len(index.documents) == index.manifest["counts"]["documents"]
    assert len(index.sentence_vectors) == sum(len(c.sentences) for c in index.chunks)
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start : c.end] == c.text
    searcher = Searcher(index, _embedder(settings), settings)
    for c in index.chunks[:: max(1, len(index.chunks) // 5)]:  # each passage finds itself
        assert c.id in [h.chunk_id for h in searcher.search(c.text, k=5)]
    return index


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("g")}


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Settings]:
    """An index of half the paragraphs (the old state) and the folder with all of them plus a
    marker document (the new state)."""
    root = tmp_path_factory.mktemp("crash")
    parts = paragraphs()
    old_corpus = root / "old"
    write_corpus(old_corpus, parts[: len(parts) // 2])
    settings = Settings(index_dir=root / "old-index")
    build(old_corpus, settings, _embedder(settings), progress=False)
    new_corpus = root / "new"
    write_corpus(new_corpus, [*parts[len(parts) // 2 :], MARKER])
    return new_corpus, settings.index_dir, settings


def kill_when(proc: subprocess.Popen[str], index_dir: Path, point: str, delay: float) -> str:
    """SIGKILL ``proc`` at ``point``: a time after start, when its new generation folder
    appears, or when the manifest switches to it (before old generations are cleaned up)."""
    before = generations(index_dir)
    manifest = (index_dir / MANIFEST).read_bytes()
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < 300:
        elapsed = time.monotonic() - started
        if point == "time" and elapsed >= delay:
            break
        if point == "generation" and generations(index_dir) - before:
            time.sleep(delay)
            break
        if point == "manifest" and (index_dir / MANIFEST).read_bytes() != manifest:
            break
        time.sleep(0.0005)
    if proc.poll() is not None:
        return "finished"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return "killed"


@pytest.mark.parametrize(
    ("point", "delay"),
    [
        ("time", 5.0),  # loading the model or embedding
        ("generation", 0.0),  # the new generation folder has just been created
        ("generation", 0.05),  # files of the new generation half-written
        ("manifest", 0.0),  # manifest switched, old generations not yet cleaned up
    ],
)
def test_sigkill_leaves_old_or_new_index(
    start: tuple[Path, Path, Settings], tmp_path: Path, point: str, delay: float
) -> None:
    corpus, old_index, settings = start
    index_dir = tmp_path / "index"
    shutil.copytree(old_index, index_dir)
    settings = settings.with_(index_dir=index_dir)
    old = Index.open(index_dir)

    outcome = kill_when(qa_index(corpus, index_dir), index_dir, point, delay)

    index = check(index_dir, settings)
    assert index.generation in {old.generation} | generations(index_dir)
    has_marker = any(MARKER in d.text for d in index.documents.values())
    if index.generation == old.generation:
        assert not has_marker and len(index.chunks) == len(old.chunks)
    else:
        assert has_marker and {d.path for d in index.documents.values()} == {
            f"{corpus}/{p.name}" for p in corpus.iterdir()
        }
    # the next run completes and clears what the killed one left behind
    rerun = qa_index(corpus, index_dir)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    final = check(index_dir, settings)
    assert any(MARKER in d.text for d in final.documents.values())
    assert len(generations(index_dir)) <= 2 and not list(index_dir.glob(".*.tmp"))
    print(
        f"{point}+{delay}: {outcome}, index afterwards: "
        f"{'old' if index.generation == old.generation else 'new'}"
    )


def test_two_writers_do_not_corrupt(start: tuple[Path, Path, Settings], tmp_path: Path) -> None:
    corpus, old_index, settings = start
    index_dir = tmp_path / "index"
    shutil.copytree(old_index, index_dir)
    first, second = qa_index(corpus, index_dir), qa_index(corpus, index_dir)
    errs = [p.communicate(timeout=600)[1] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, errs
    # one of them waited for the other, then found the index up to date
    assert any("being written by another process" in e for e in errs), errs
    assert any("up to date" in e for e in errs), errs
    index = check(index_dir, settings.with_(index_dir=index_dir))
    assert any(MARKER in d.text for d in index.documents.values())


def test_searches_keep_working_during_an_update(
    start: tuple[Path, Path, Settings], tmp_path: Path
) -> None:
    from qa.retrieval import open_searcher

    corpus, old_index, settings = start
    index_dir = tmp_path / "index"
    shutil.copytree(old_index, index_dir)
    settings = settings.with_(index_dir=index_dir)
    old = Index.open(index_dir).generation
    writer = qa_index(corpus, index_dir)
    seen: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def reader() -> None:
        while writer.poll() is None:
            try:
                searcher = open_searcher(settings)
                hits = searcher.search("green comet observatory Mount Quillan", k=3)
                found = any(MARKER in h.text for h in hits)
                seen.append((searcher.index.generation, found))
            except BaseException as exc:
                errors.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    _, err = writer.communicate(timeout=600)
    thread.join()
    assert writer.returncode == 0, err
    assert not errors, errors
    assert seen, "no search ran during the update"
    for generation, found in seen:  # the old index never has the marker, the new one always
        assert found == (generation != old), (generation, found)
    assert open_searcher(settings).index.generation != old


@pytest.mark.parametrize(
    "name",
    [
        "documents.jsonl",
        "chunks.jsonl",
        "duplicates.jsonl",
        "sentences.npy",
        "minhash.npy",
        "bm25/params.index.json",
        "bm25/vocab.index.json",
    ],
)
def test_every_damaged_file_is_named(
    start: tuple[Path, Path, Settings], tmp_path: Path, name: str
) -> None:
    _, old_index, _settings = start
    index_dir = tmp_path / "index"
    shutil.copytree(old_index, index_dir)
    data = index_dir / json.loads((index_dir / MANIFEST).read_text())["data"]
    target = data / name
    assert target.exists(), sorted(p.name for p in data.rglob("*"))
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(IndexCorrupt, match=rf"{name.split('/')[-1]}.*--rebuild"):
        Index.open(index_dir)
    proc = run_qa(
        "search", "comet", "--index-dir", str(index_dir), env={"HF_HUB_OFFLINE": "1"}, timeout=300
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert name.split("/")[-1] in proc.stderr and "--rebuild" in proc.stderr
