"""Incremental updates: only new and changed files are embedded, deleted ones vanish from
FAISS, BM25 and the duplicate groups, and the result equals a full rebuild."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa import ann, bm25
from qa.bm25 import tokenize
from qa.config import Settings
from qa.embedding import effective_precision
from qa.index import Index, build
from qa.retrieval import Searcher, _embedder
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow

EXTRA = {
    "lighthouse.txt": "The Skerry lighthouse was automated in 1987.\n\n"
    "Its keeper, Morag Flett, moved to Kirkwall and wrote a book about the storms.",
    "bakery.md": "# Bakery\n\nThe Pumpernickel Guild bakes rye bread in Aachen every Tuesday.",
}


class Counting:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, settings: Settings) -> None:
        self.inner = _embedder(settings)
        self.embedded: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode_passages(self, texts: Any, spans: Any, progress: bool = False) -> Any:
        self.embedded.extend(texts)
        return self.inner.encode_passages(texts, spans, progress=progress)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    for name, text in EXTRA.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run(corpus: Path, settings: Settings, **kw: Any) -> tuple[Index, Counting]:
    embedder = Counting(settings)
    index = build(corpus, settings, embedder, progress=False, **kw)  # type: ignore[arg-type]
    return index, embedder


def invariants(index: Index) -> None:
    """Every FAISS id has a chunk and every chunk an id; counts match the manifest."""
    ids = ann.vectors_of(index.faiss_index)[1].tolist()
    assert len(ids) == len(set(ids)) and set(ids) == {c.id for c in index.chunks}
    assert index.manifest["counts"]["chunks"] == len(index.chunks) == index.bm25.size
    assert index.manifest["counts"]["documents"] == len(index.documents)
    assert len(index.sentence_vectors) == sum(len(c.sentences) for c in index.chunks)
    for c in index.chunks:
        assert index.documents[c.doc_id].text[c.start : c.end] == c.text
    reopened = Index.open(index.path)  # what build returned is what is on disk
    assert reopened.chunks == index.chunks and reopened.copies == index.copies
    assert reopened.sentence_groups == index.sentence_groups
    assert reopened.documents == index.documents
    np.testing.assert_array_equal(reopened.sentence_vectors, index.sentence_vectors)
    np.testing.assert_array_equal(reopened.sentence_signatures, index.sentence_signatures)


def unique_hit(index: Index, settings: Settings, query: str) -> set[str]:
    searcher = Searcher(index, _embedder(settings), settings.with_(mode="bm25"))
    return {s.path.split("/")[-1] for hit in searcher.search(query, k=3) for s in hit.sources}


def test_unchanged_folder_is_not_rebuilt(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    first, _ = run(corpus, settings)
    again, embedder = run(corpus, settings)
    assert again.generation == first.generation and embedder.embedded == []


def test_add_change_delete(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    first, _ = run(corpus, settings)
    seed_chunks = {c.id for c in first.chunks if c.doc_id != _doc(first, "bakery.md")}
    vectors = {i: first.faiss_index.reconstruct(i) for i in seed_chunks}

    (corpus / "bakery.md").write_text(
        "# Bakery\n\nThe Pumpernickel Guild moved its rye bakery to Lübeck in 2019.",
        encoding="utf-8",
    )
    (corpus / "lighthouse.txt").unlink()
    (corpus / "new.txt").write_text("Quokkas live on Rottnest Island.", encoding="utf-8")
    index, embedder = run(corpus, settings)

    invariants(index)
    assert index.manifest["changes"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 2}
    # only the new and the changed file were embedded
    assert sorted(embedder.embedded) == sorted(
        [
            c.text
            for c in index.chunks
            if c.doc_id in {_doc(index, "bakery.md"), _doc(index, "new.txt")}
        ]
    )
    # unchanged chunks keep their ids and vectors
    kept = {c.id for c in index.chunks} & seed_chunks
    assert len(kept) == len(seed_chunks) - sum(
        1 for c in first.chunks if c.doc_id == _doc(first, "lighthouse.txt")
    )
    for i in kept:
        np.testing.assert_array_equal(index.faiss_index.reconstruct(i), vectors[i])
    # the deleted file is gone from FAISS and BM25; the changed one answers with its new text
    assert "lighthouse.txt" not in unique_hit(index, settings, "Skerry lighthouse Morag Flett")
    assert unique_hit(index, settings, "Lübeck rye bakery") == {"bakery.md"}
    assert unique_hit(index, settings, "Quokkas Rottnest") == {"new.txt"}


def test_deleting_a_copy_removes_it_from_duplicate_groups(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    first, _ = run(corpus, settings)
    assert first.sentence_groups and first.copies
    second = next(p.name for p in sorted(SEEDS.glob("*.txt"))[1:])
    gone = _doc(first, second)
    (corpus / second).unlink()
    index, embedder = run(corpus, settings)
    assert embedder.embedded == []
    invariants(index)
    assert any(span[0] == gone for spans in first.copies.values() for span in spans)
    assert index.sentence_groups == [] and index.copies == {}
    assert gone not in index.documents


def test_incremental_equals_full_rebuild(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "ix")
    run(corpus, settings)
    (corpus / "lighthouse.txt").write_text(
        "The Skerry lighthouse was automated in 1991 after a long campaign.", encoding="utf-8"
    )
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], corpus / "syndicated-copy.txt")
    updated, _ = run(corpus, settings)
    full, _ = run(corpus, Settings(index_dir=tmp_path / "full"), rebuild=True)
    assert [c.id for c in updated.chunks] == [c.id for c in full.chunks]
    assert updated.copies == full.copies and updated.sentence_groups == full.sentence_groups
    assert [d.id for d in updated.documents.values()] == [d.id for d in full.documents.values()]
    # bf16 sums in another order when the batch (and its padding) differs: cosine 0.99998
    atol = 1e-5 if effective_precision(settings.precision) == "fp32" else 3e-3
    for c in full.chunks:
        np.testing.assert_allclose(
            updated.faiss_index.reconstruct(c.id), full.faiss_index.reconstruct(c.id), atol=atol
        )
    np.testing.assert_allclose(updated.sentence_vectors, full.sentence_vectors, atol=atol)
    np.testing.assert_array_equal(updated.sentence_signatures, full.sentence_signatures)
    # BM25: the reused tokens are what tokenizing again gives, and it scores the same
    reopened = Index.open(updated.path)
    assert reopened.bm25.corpus_tokens() == tokenize([c.text for c in updated.chunks])
    for query in ("Skerry lighthouse 1991", "Nazary", "information warfare"):
        got = [(updated.chunks[i].id, round(s, 4)) for i, s in updated.bm25.search(query, 5)]
        want = [(full.chunks[i].id, round(s, 4)) for i, s in full.bm25.search(query, 5)]
        assert got == want
    invariants(updated)


def test_update_tokenizes_only_new_chunks_for_bm25(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged chunks' BM25 tokens come from tokens.txt; an index without it still updates."""
    settings = Settings(index_dir=tmp_path / "ix")
    run(corpus, settings)
    seen: list[str] = []

    def counting(texts: Any) -> list[list[str]]:
        seen.extend(texts)
        return tokenize(texts)

    monkeypatch.setattr(bm25, "tokenize", counting)
    (corpus / "new.txt").write_text("Quokkas live on Rottnest Island.", encoding="utf-8")
    index, embedder = run(corpus, settings)
    assert seen == embedder.embedded == ["Quokkas live on Rottnest Island."]

    # an index written before tokens.txt existed: every chunk is tokenized, nothing breaks
    data = index.path / index.generation
    (data / "bm25" / "tokens.txt").unlink()
    manifest = json.loads((index.path / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["bm25/tokens.txt"]
    (index.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (corpus / "new.txt").unlink()
    seen.clear()
    index, _ = run(corpus, settings)
    assert sorted(seen) == sorted(c.text for c in index.chunks)
    invariants(index)


def _doc(index: Index, name: str) -> str:
    return next(d.id for d in index.documents.values() if d.path.endswith("/" + name))


def test_updates_work_on_an_ivf_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the exact-search size the index is IVF, which supports removal too."""
    monkeypatch.setattr(ann, "FLAT_MAX", 8)
    settings = Settings(index_dir=tmp_path / "ix")
    first, _ = run(corpus, settings)
    assert first.manifest["index"]["type"] == "ivf" and len(first.chunks) > 8
    assert Index.open(settings.index_dir).faiss_index.nprobe == first.manifest["index"]["nprobe"]
    (corpus / "lighthouse.txt").unlink()
    (corpus / "bakery.md").write_text("# Bakery\n\nThe guild now bakes in Lübeck.", "utf-8")
    index, embedder = run(corpus, settings)
    invariants(index)
    assert index.manifest["index"]["type"] == "ivf"
    assert len(embedder.embedded) == 1
    dense = Searcher(index, _embedder(settings), settings.with_(mode="dense"))
    paths = {
        s.path for h in dense.search("Which city does the guild bake in?", 3) for s in h.sources
    }
    assert any(p.endswith("bakery.md") for p in paths)
    assert not any(p.endswith("lighthouse.txt") for p in paths)
