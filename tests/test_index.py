"""The index round-trips, detects changed settings, and names damaged files."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embedding import Embedder
from qa.index import (
    MANIFEST,
    Index,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    IndexProblem,
    build,
)
from qa.retrieval import open_searcher
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


def copy_index(settings: Settings, tmp_path: Path) -> Settings:
    target = tmp_path / "copy"
    shutil.copytree(settings.index_dir, target)
    return settings.with_(index_dir=target)


def test_round_trip(seeds_settings: Settings) -> None:
    index = Index.open(seeds_settings.index_dir)
    manifest = json.loads((seeds_settings.index_dir / MANIFEST).read_text())
    assert manifest["counts"]["documents"] == 2 == len(index.documents)
    assert manifest["counts"]["chunks"] == len(index.chunks) == index.faiss_index.ntotal
    assert manifest["signature"]["dim"] == 384
    assert set(manifest["documents"]) == {f"{SEEDS}/{p.name}" for p in SEEDS.glob("*.txt")}
    for chunk in index.chunks:
        doc = index.documents[chunk.doc_id]
        assert doc.text[chunk.start : chunk.end] == chunk.text
        vector = index.faiss_index.reconstruct(chunk.id)
        assert abs(float((vector**2).sum()) - 1.0) < 1e-4
    # inspectable: everything but the FAISS file is JSON, NumPy or plain text, nothing pickled
    data = seeds_settings.index_dir / manifest["data"]
    files = sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file())
    assert files == sorted(manifest["files"])
    expected = {"chunks.jsonl", "dense.faiss", "documents.jsonl", "bm25/params.index.json"}
    assert expected <= set(files)
    assert all(f.endswith((".json", ".jsonl", ".npy", ".faiss", ".txt")) for f in files)
    tokens = (data / "bm25" / "tokens.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert len(tokens) == len(index.chunks) and all(tokens)
    first = json.loads((data / "chunks.jsonl").read_text().splitlines()[0])
    assert {"id", "doc", "start", "end", "page", "sentences"} <= set(first)


def test_changed_chunker_settings_are_detected(seeds_settings: Settings) -> None:
    index = Index.open(seeds_settings.index_dir)
    embedder = Embedder(seeds_settings)
    index.check(seeds_settings, embedder.identity())
    other = seeds_settings.with_(chunk_tokens=64)
    with pytest.raises(IndexMismatch, match="chunk_tokens 128 vs now 64") as err:
        index.check(other, embedder.identity())
    assert "qa index" in str(err.value) and "--rebuild" in str(err.value)


def test_an_index_of_older_extracted_text_is_detected(seeds_settings: Settings) -> None:
    """Text read by older code (a PDF with its running footer, before TEXT_VERSION 2) is not
    the text the current code reads, so such an index must be rebuilt, not answered from."""
    index = Index.open(seeds_settings.index_dir)
    identity = Embedder(seeds_settings).identity()
    older = replace(
        index, manifest={**index.manifest, "signature": dict(index.manifest["signature"])}
    )
    older.manifest["signature"].pop("text_version")
    with pytest.raises(IndexMismatch, match="text_version None vs now 3"):
        older.check(seeds_settings, identity)


def test_changed_model_is_detected(seeds_settings: Settings, tmp_path: Path) -> None:
    """A model folder with one config value changed is another model."""
    source = Embedder(seeds_settings).model_dir
    model = tmp_path / "model"
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("*.safetensors"))
    (model / "model.safetensors").symlink_to(source / "model.safetensors")
    cfg = json.loads((model / "config_sentence_transformers.json").read_text())
    cfg["note"] = "changed"
    (model / "config_sentence_transformers.json").write_text(json.dumps(cfg))
    other = seeds_settings.with_(model=str(model))
    with pytest.raises(IndexMismatch, match="model_hash"):
        Index.open(seeds_settings.index_dir).check(other, Embedder(other).identity())


def test_the_same_model_under_another_path_is_the_same_model(
    seeds_settings: Settings, tmp_path: Path
) -> None:
    """Found by an audit: a copy of the model folder (or another spelling of its path) was
    "other settings" and had the index embedded again; the weights' hash decides."""
    link = tmp_path / "mini"
    link.symlink_to(Embedder(seeds_settings).model_dir)
    other = seeds_settings.with_(model=str(link))
    Index.open(seeds_settings.index_dir).check(other, Embedder(other).identity())


def test_mismatch_rebuilds_from_the_recorded_folder(
    seeds_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild says once what it does, and keeps the folder's path as it was given (an
    audit found "Rebuild it with: … Rebuilding it now" and every path turned absolute)."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SEEDS, tmp_path / "docs")
    settings = seeds_settings.with_(index_dir=Path("ix"))
    build(Path("docs"), settings, progress=False)
    searcher = open_searcher(settings.with_(chunk_tokens=96))
    err = capsys.readouterr().err
    assert "built with other settings (chunk_tokens 128 vs now 96): rebuilding it now" in err
    assert "Rebuild it with" not in err
    assert searcher.index.manifest["signature"]["chunk_tokens"] == 96
    assert searcher.search("Lion of Panjshir", k=1)
    assert all(d.path.startswith("docs/") for d in searcher.index.documents.values())


def test_mismatch_without_source_tells_the_command(
    seeds_settings: Settings, tmp_path: Path
) -> None:
    settings = copy_index(seeds_settings, tmp_path)
    manifest_path = settings.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["source"] = {"path": "gone", "absolute": str(tmp_path / "gone")}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="qa index gone --rebuild"):
        open_searcher(settings.with_(chunk_overlap=0))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_damaged_file_is_named(seeds_settings: Settings, tmp_path: Path, damage: str) -> None:
    settings = copy_index(seeds_settings, tmp_path)
    data = settings.index_dir / json.loads((settings.index_dir / MANIFEST).read_text())["data"]
    target = data / "dense.faiss"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "garbage":
        target.write_bytes(b"\0" * target.stat().st_size)
    else:
        target.unlink()
    with pytest.raises(IndexCorrupt, match=r"dense\.faiss.*--rebuild"):
        Index.open(settings.index_dir)


def test_damaged_manifest_is_named(seeds_settings: Settings, tmp_path: Path) -> None:
    settings = copy_index(seeds_settings, tmp_path)
    (settings.index_dir / MANIFEST).write_text('{"format": "qa-index", ')
    with pytest.raises(IndexCorrupt, match=r"manifest\.json"):
        Index.open(settings.index_dir)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="qa index"):
        Index.open(tmp_path)


def test_rebuild_replaces_generation_atomically(seeds_settings: Settings, tmp_path: Path) -> None:
    settings = copy_index(seeds_settings, tmp_path)
    before = Index.open(settings.index_dir).generation
    build(SEEDS, settings, progress=False, rebuild=True)
    after = Index.open(settings.index_dir)
    assert after.generation != before
    generations = sorted(p.name for p in settings.index_dir.iterdir() if p.is_dir())
    assert after.generation in generations and len(generations) <= 2
    assert not list(settings.index_dir.glob(".*.tmp"))


def test_a_build_deletes_only_its_own_generations(seeds_settings: Settings, tmp_path: Path) -> None:
    """The index folder may hold the user's own folders (even one named like "gallery"): a
    build removes only the old generations it wrote itself."""
    settings = copy_index(seeds_settings, tmp_path)
    (settings.index_dir / "gallery").mkdir()
    (settings.index_dir / "gallery" / "photo.jpg").write_bytes(b"\xff\xd8")
    for _ in range(3):
        build(SEEDS, settings, progress=False, rebuild=True)
    assert (settings.index_dir / "gallery" / "photo.jpg").read_bytes() == b"\xff\xd8"


def test_index_and_documents_are_kept_apart(seeds_settings: Settings, tmp_path: Path) -> None:
    """An index folder inside the documents is left out of them (indexing twice finds the same
    documents); documents inside the index folder, or an index "folder" that is a file, are
    refused before anything is written."""
    corpus = tmp_path / "notes"
    shutil.copytree(SEEDS, corpus)
    inside = seeds_settings.with_(index_dir=corpus / "index")
    first = build(corpus, inside, progress=False)
    assert len(first.documents) == 2
    again = build(corpus, inside, progress=False, rebuild=True)
    assert sorted(d.path for d in again.documents.values()) == sorted(
        d.path for d in first.documents.values()
    )
    with pytest.raises(IndexProblem, match="inside the index folder"):
        build(corpus, seeds_settings.with_(index_dir=corpus), progress=False)
    a_file = tmp_path / "afile.txt"
    a_file.write_text("not an index")
    with pytest.raises(IndexProblem, match="is a file, not an index folder"):
        build(corpus, seeds_settings.with_(index_dir=a_file), progress=False)
    fresh = tmp_path / "fresh-index"
    with pytest.raises(FileNotFoundError, match="document folder not found"):
        build(tmp_path / "missing", seeds_settings.with_(index_dir=fresh), progress=False)
    assert not fresh.exists()  # not even a lock file


def test_a_killed_writers_manifest_copy_is_removed_by_the_next_build(
    seeds_settings: Settings, tmp_path: Path
) -> None:
    """Found by an audit: a writer killed between writing the manifest's temporary copy and
    renaming it left `.manifest.json.<hex>.tmp` for good; the next build removes it (and
    nothing of the user's that merely looks alike)."""
    settings = copy_index(seeds_settings, tmp_path)
    stale = settings.index_dir / f".{MANIFEST}.a1b2c3.tmp"
    stale.write_text("{", encoding="utf-8")
    mine = settings.index_dir / f".{MANIFEST}.notes.tmp"
    mine.write_text("mine", encoding="utf-8")
    before = build(SEEDS, settings, progress=False)  # up to date: nothing else is written
    assert not before.written
    assert not stale.exists() and mine.read_text(encoding="utf-8") == "mine"
    stale.write_text("{", encoding="utf-8")
    build(SEEDS, settings, progress=False, rebuild=True)
    assert not stale.exists() and mine.read_text(encoding="utf-8") == "mine"
