"""The on-disk index: FAISS vectors beside an inspectable manifest, written atomically.

Layout of an index folder (``vectors/`` by default)::

    manifest.json      settings, model identity, documents, counts, file checksums; written last
    <generation>/      one complete build, named by the manifest
        documents.jsonl  one document per line: id, path, title, format, hash, pages, text
        chunks.jsonl     one chunk per line: id, doc, start, end, page, sentences, and the
                         spans of other documents carrying a near-duplicate of it (copies)
        duplicates.jsonl one group of near-duplicate sentences per line: [doc, start, end]s
        dense.faiss      FAISS inner-product index keyed by the chunk ids: exact up to 50k
                         passages, IVF beyond (qa/ann.py; kind and nprobe in the manifest)
        minhash.npy      one MinHash signature per sentence, same rows (duplicate detection)
        sentences.npy    one vector per sentence of each chunk, in chunk order (token embeddings
                         of the chunk pooled over the sentence: a passage scores by its best
                         sentence too)
        bm25/            bm25s's own saved index (JSON + NumPy arrays), rows in chunk order,
                         and tokens.txt: each chunk's tokens, reused by updates
    lock               held while writing

A build writes a new generation folder, fsyncs it, then replaces ``manifest.json`` by an atomic
rename, so a reader (or a crash) sees the old index or the new one, whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from qa import ann
from qa.bm25 import BM25Index
from qa.chunking import CHUNKER_VERSION, Chunk, Chunker
from qa.config import Settings
from qa.documents import (
    SUPPORTED_KINDS,
    TEXT_VERSION,
    Document,
    file_hash,
    load_folder,
    max_file_mb,
)
from qa.duplicates import NUM_PERM, Span, passage_copies, sentence_groups, signatures
from qa.embedding import Embedder, ModelIdentity

FORMAT = "qa-index"
VERSION = 1
MANIFEST = "manifest.json"
GENERATION = re.compile(r"g\d{14}-[0-9a-f]{6}")  # the name of a build's folder
_MANIFEST_TMP = re.compile(re.escape(f".{MANIFEST}.") + r"[0-9a-f]{6}\.tmp")  # _atomic_write's
_FILES = (
    "documents.jsonl",
    "chunks.jsonl",
    "duplicates.jsonl",
    "dense.faiss",
    "sentences.npy",
    "minhash.npy",
    "bm25/params.index.json",
)


class IndexProblem(Exception):
    """Base of the errors a user can act on; the message says what to do."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    """The index was built with other model or chunker settings than the current ones."""

    def __init__(self, index_dir: Path, differences: list[str], source: dict[str, str]) -> None:
        self.index_dir = index_dir
        self.differences = differences
        self.source = source.get("path")
        absolute = source.get("absolute")
        self.source_dir = Path(absolute) if absolute else None
        command = f"qa index {self.source or 'FOLDER'} --rebuild --index-dir {index_dir}"
        super().__init__(
            f"the index in {index_dir} was built with other settings "
            f"({'; '.join(differences)}); its results would be wrong for the current ones. "
            f"Rebuild it with: {command}"
        )


class IndexBusy(IndexProblem):
    pass


def signature(settings: Settings, model: ModelIdentity) -> dict[str, Any]:
    """What must match between an index and the current settings for results to be right."""
    return {
        "model": model.name,
        "model_hash": model.hash,
        "dim": model.dim,
        "chunker_version": CHUNKER_VERSION,
        "text_version": TEXT_VERSION,
        "vectors": "passage+sentence",
        "duplicates": f"minhash{NUM_PERM}-lsh",
        **settings.chunker_params(),
    }


def differences(manifest: dict[str, Any], settings: Settings, model: ModelIdentity) -> list[str]:
    """How an index's manifest differs from what ``settings`` and ``model`` build ([]: none)."""
    built = manifest.get("signature", {})
    wanted = signature(settings, model)
    if built.get("model_hash") == model.hash:  # the same weights under another path
        wanted["model"] = built.get("model")
    return [
        f"{key} {built.get(key)!r} vs now {value!r}"
        for key, value in wanted.items()
        if built.get(key) != value
    ]


@dataclass
class Index:
    """An opened index: documents, chunks and vectors, addressed by stable chunk ids."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    faiss_index: Any
    bm25: BM25Index
    copies: dict[int, list[Span]]  # chunk id -> spans of other documents carrying it
    sentence_groups: list[list[Span]]  # near-duplicate sentences across documents
    sentence_vectors: np.ndarray  # rows: the sentences of each chunk, in chunk order
    sentence_signatures: np.ndarray  # MinHash of the same rows
    written: bool = False  # True when this run wrote it (False: opened as it was)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.chunks}
        self.by_path = {d.path: d for d in self.documents.values()}
        self.sentence_rows = _sentence_rows(self.chunks)
        counts = [len(c.sentences) for c in self.chunks]
        self.row_chunk = np.repeat(np.array([c.id for c in self.chunks], dtype=np.int64), counts)
        self._sentence_index: Any = None
        self._hashes: dict[tuple[str, int, int], str] = {}  # Index.changed's, by file stat
        self.group_of: dict[Span, int] = {
            member: number for number, group in enumerate(self.sentence_groups) for member in group
        }
        found: dict[str, set[tuple[int, int]]] = {}
        for c in self.chunks:
            found.setdefault(c.doc_id, set()).update(c.sentences)
        self._sentences = {doc: sorted(spans) for doc, spans in found.items()}

    def nearest_sentences(self, query: np.ndarray, k: int) -> list[int]:
        """Rows of the ``k`` sentences closest to ``query`` (FAISS exact inner product)."""
        import faiss

        if self._sentence_index is None:
            self._sentence_index = faiss.IndexFlatIP(self.sentence_vectors.shape[1])
            self._sentence_index.add(self.sentence_vectors)
        k = min(k, self._sentence_index.ntotal)
        if k == 0:
            return []
        _, rows = self._sentence_index.search(np.ascontiguousarray(query[None, :]), k)
        return [int(r) for r in rows[0] if r != -1]

    def sentences_in(self, doc_id: str, start: int, end: int) -> list[tuple[int, int]]:
        """The sentences of a document inside ``start:end`` (from its chunks), in order."""
        return [(a, b) for a, b in self._sentences.get(doc_id, []) if start <= a and b <= end]

    def twins(self, span: Span) -> list[Span]:
        """Near-duplicates of this sentence in other documents."""
        number = self.group_of.get(span)
        if number is None:
            return []
        return [m for m in self.sentence_groups[number] if m[0] != span[0]]

    @property
    def generation(self) -> str:
        return str(self.manifest["data"])

    def check(self, settings: Settings, model: ModelIdentity) -> None:
        """Raise :class:`IndexMismatch` unless this index fits ``settings`` and ``model``."""
        diffs = differences(self.manifest, settings, model)
        if diffs:
            raise IndexMismatch(self.path, diffs, self.manifest.get("source", {}))

    def _source(self) -> tuple[str, str] | None:
        """The indexed folder: its absolute path and the path as given (documents' paths
        start with it); None for an index that did not record it."""
        source = self.manifest.get("source", {})
        root, given = source.get("absolute"), source.get("path")
        return (root, given) if root and given else None

    def file(self, path: str) -> Path | None:
        """Where the document indexed as ``path`` is on disk (None if the index cannot say)."""
        if (source := self._source()) is None:
            return None
        root, given = source
        try:
            return Path(root) / PurePath(path).relative_to(given)
        except ValueError:
            return None

    def stale(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """These documents' files that changed since indexing, by what happened to them:
        "changed" (other bytes) and "deleted" (gone or moved); empty lists when none did."""
        changed = self.changed(paths)
        gone = [p for p in changed if (f := self.file(p)) is not None and not f.exists()]
        return {"changed": [p for p in changed if p not in gone], "deleted": gone}

    def changed(self, paths: Iterable[str]) -> list[str]:
        """Which of these documents' files are gone or no longer hold the bytes indexed, so
        offsets cited into them may point at other text until ``qa index`` runs again."""
        if self._source() is None:
            return []
        out = []
        for path in dict.fromkeys(paths):
            doc = self.by_path.get(path)
            if doc is None:
                continue
            file, same = self.file(path), False
            if file is not None:
                try:
                    stat = file.stat()
                    key = (path, stat.st_size, stat.st_mtime_ns)  # hashed once while unchanged
                    if key not in self._hashes:
                        big = stat.st_size > max_file_mb() * 2**20  # not indexable: changed
                        self._hashes[key] = "" if big else file_hash(file)
                    same = self._hashes[key] == doc.content_hash
                except OSError:
                    pass
            if not same:
                out.append(path)
        return out

    def search_vectors(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """(chunk id, inner product) of the ``k`` nearest chunks for each query vector."""
        k = min(k, self.faiss_index.ntotal)
        if k == 0:
            return [[] for _ in range(len(queries))]
        scores, ids = self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i != -1]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    @classmethod
    def open(cls, path: Path | str) -> Index:
        """Open the generation named by the manifest, verifying every file against it."""
        path = Path(path)
        manifest_path = path / MANIFEST
        if not manifest_path.exists():
            raise IndexMissing(f"no index in {path}/ (build one with: qa index FOLDER)")
        manifest = _read_manifest(manifest_path)
        data = path / str(manifest["data"])
        for name in _FILES:
            if name not in manifest["files"]:
                raise IndexCorrupt(_corrupt(path, path / MANIFEST, f"{name} is not listed"))
        for name, expected in manifest["files"].items():
            _verify(data / name, expected, path)
        try:
            documents = {
                d.id: d for d in (_doc_from_json(j) for j in _read_jsonl(data / "documents.jsonl"))
            }
            rows = _read_jsonl(data / "chunks.jsonl")
            chunks = [_chunk_from_json(j, documents) for j in rows]
            copies = {int(j["id"]): [_span(s) for s in j["copies"]] for j in rows if j["copies"]}
            groups = [[_span(s) for s in g] for g in _read_jsonl(data / "duplicates.jsonl")]
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(
                _corrupt(path, data / "chunks.jsonl", f"bad record: {exc}")
            ) from None
        faiss_index = ann.prepare(_read_faiss(data / "dense.faiss", path), manifest.get("index"))
        if faiss_index.ntotal != len(chunks) or len(chunks) != manifest["counts"]["chunks"]:
            raise IndexCorrupt(_corrupt(path, data / "dense.faiss", "counts do not match"))
        try:
            bm25 = BM25Index.load(data / "bm25")
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(_corrupt(path, data / "bm25", str(exc))) from None
        if bm25.size != len(chunks):
            raise IndexCorrupt(_corrupt(path, data / "bm25", "counts do not match"))
        try:
            sentences = np.load(data / "sentences.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(_corrupt(path, data / "sentences.npy", str(exc))) from None
        n_rows = sum(len(c.sentences) for c in chunks)
        if len(sentences) != n_rows:
            raise IndexCorrupt(_corrupt(path, data / "sentences.npy", "counts do not match"))
        try:
            minhash = np.load(data / "minhash.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(_corrupt(path, data / "minhash.npy", str(exc))) from None
        if minhash.shape != (n_rows, NUM_PERM):
            raise IndexCorrupt(_corrupt(path, data / "minhash.npy", "counts do not match"))
        return cls(
            path, manifest, documents, chunks, faiss_index, bm25, copies, groups, sentences, minhash
        )


def build(
    source: Path | str,
    settings: Settings,
    embedder: Embedder | None = None,
    progress: bool = True,
    warn: Callable[[str], None] | None = None,
    rebuild: bool = False,
) -> Index:
    """Bring the index in ``settings.index_dir`` up to date with the files under ``source``.

    Incremental by default: documents are compared with the current index by content hash
    (and extracted text), so only new and changed files are chunked and embedded, deleted ones
    are dropped from FAISS, BM25 and the duplicate groups, and unchanged ones keep their chunks
    and vectors. Nothing changed: the index is opened as it is. ``rebuild=True``, or an index
    built with other settings, builds everything anew. The whole run holds the writer lock, so
    a second writer waits and then sees the first one's result.
    """
    index_dir = Path(settings.index_dir)
    _check_places(Path(source), index_dir)
    embedder = embedder or Embedder(settings)
    model = embedder.identity()
    index_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(index_dir):
        docs = load_folder(source, warn=warn, progress=progress, leave_out=index_dir)
        if not docs:
            raise IndexProblem(
                f"no documents to index in {source} (supported: {SUPPORTED_KINDS}); "
                "the existing index, if any, was left as it was"
            )
        previous = None if rebuild else _compatible(settings, model)
        kept: dict[str, list[Chunk]] = {}
        if previous is not None:
            by_doc: dict[str, list[Chunk]] = {}
            for c in previous.chunks:
                by_doc.setdefault(c.doc_id, []).append(c)
            for d in docs:
                old = previous.documents.get(d.id)
                if old is not None and old.content_hash == d.content_hash and old.text == d.text:
                    kept[d.id] = by_doc.get(d.id, [])
            same_source = previous.manifest["source"]["absolute"] == str(Path(source).resolve())
            if same_source and len(kept) == len(docs) == len(previous.documents):
                _remove_manifest_copies(index_dir)
                return previous
        fresh = [d for d in docs if d.id not in kept]
        known = previous.documents if previous is not None else {}
        present = {d.id for d in docs}
        changes = {
            "added": sum(d.id not in known for d in fresh),
            "changed": sum(d.id in known for d in fresh),
            "removed": sum(i not in present for i in known),
            "unchanged": len(kept),
        }
        budget = min(settings.chunk_tokens, model.max_tokens)  # never past what the model reads
        new_chunks = Chunker(embedder.tokens, budget, settings.chunk_overlap).chunk(
            fresh, progress=progress
        )
        vectors, new_sentences = embedder.encode_passages(
            [c.text for c in new_chunks],
            [[(a - c.start, b - c.start) for a, b in c.sentences] for c in new_chunks],
            progress=progress,
        )
        fresh_chunks: dict[str, list[Chunk]] = {}
        for c in new_chunks:
            fresh_chunks.setdefault(c.doc_id, []).append(c)
        chunks = [c for d in docs for c in kept.get(d.id, fresh_chunks.get(d.id, []))]
        new_ids = np.array([c.id for c in new_chunks], dtype=np.int64)
        new_rows = _sentence_rows(new_chunks)
        new_minhash = signatures(_sentence_texts(new_chunks))
        sentence_source = {cid: new_sentences[a:b] for cid, (a, b) in new_rows.items()}
        minhash_source = {cid: new_minhash[a:b] for cid, (a, b) in new_rows.items()}
        kept_tokens: dict[int, list[str]] = {}
        if previous is None:
            dense = ann.new_index(model.dim, vectors, new_ids)
        else:
            dense = previous.faiss_index
            keep_ids = {c.id for cs in kept.values() for c in cs}
            ann.remove(dense, [c.id for c in previous.chunks if c.id not in keep_ids])
            ann.add(dense, vectors, new_ids)
            if ann.should_rebuild(dense):  # grown past exact search, or IVF cells off its size
                dense = ann.rebuild(dense)
            old_tokens = previous.bm25.corpus_tokens()  # None: saved before tokens.txt existed
            for pos, (cid, (a, b)) in enumerate(previous.sentence_rows.items()):  # chunk order
                if cid in keep_ids:
                    sentence_source[cid] = previous.sentence_vectors[a:b]
                    minhash_source[cid] = previous.sentence_signatures[a:b]
                    if old_tokens is not None:
                        kept_tokens[cid] = old_tokens[pos]
        parts = [sentence_source[c.id] for c in chunks]
        sentence_vectors = np.concatenate(parts) if parts else np.zeros((0, model.dim), np.float32)
        hashes = [minhash_source[c.id] for c in chunks]
        minhash = np.concatenate(hashes) if hashes else np.zeros((0, NUM_PERM), np.uint32)
        return _write_locked(
            index_dir,
            source,
            settings,
            model,
            embedder.precision,
            docs,
            chunks,
            dense,
            sentence_vectors,
            minhash,
            changes,
            kept_tokens,
        )


def _sentence_rows(chunks: Sequence[Chunk]) -> dict[int, tuple[int, int]]:
    """Chunk id -> its rows in the per-sentence arrays (the sentences of each chunk, in order)."""
    rows: dict[int, tuple[int, int]] = {}
    at = 0
    for c in chunks:
        rows[c.id] = (at, at + len(c.sentences))
        at += len(c.sentences)
    return rows


def _sentence_texts(chunks: Sequence[Chunk]) -> list[str]:
    """The text of every sentence row, in the order of :func:`_sentence_rows`."""
    return [c.text[a - c.start : b - c.start] for c in chunks for a, b in c.sentences]


def write(
    index_dir: Path,
    source: Path | str,
    settings: Settings,
    model: ModelIdentity,
    precision: str,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
) -> Index:
    """Write an index of ready-made chunks and vectors (benchmarks and tools use this)."""
    index_dir = Path(index_dir)
    _check_places(None, index_dir)  # the source is only recorded: it need not exist
    index_dir.mkdir(parents=True, exist_ok=True)
    dense = ann.new_index(model.dim, vectors, np.array([c.id for c in chunks], dtype=np.int64))
    with writer_lock(index_dir):
        return _write_locked(
            index_dir, source, settings, model, precision, docs, chunks, dense, sentence_vectors
        )


def _write_locked(
    index_dir: Path,
    source: Path | str,
    settings: Settings,
    model: ModelIdentity,
    precision: str,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    dense: Any,
    sentence_vectors: np.ndarray,
    minhash: np.ndarray | None = None,
    changes: dict[str, int] | None = None,
    tokens: dict[int, list[str]] | None = None,
) -> Index:
    """Write a new generation and switch the manifest to it; the old one stays until next time.
    The caller holds the writer lock. ``tokens``: BM25 tokens of chunks already tokenized."""
    import faiss

    previous = current_generation(index_dir) or ""
    generation = f"g{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"  # see GENERATION
    data = index_dir / generation
    data.mkdir()
    _write_jsonl(data / "documents.jsonl", (_doc_to_json(d) for d in docs))
    texts = {d.id: d.text for d in docs}
    if minhash is None:
        minhash = signatures(_sentence_texts(chunks))
    first_row: dict[Span, int] = {}
    for row, span in enumerate((c.doc_id, a, b) for c in chunks for a, b in c.sentences):
        first_row.setdefault(span, row)
    groups = sentence_groups(
        list(first_row),
        minhash[list(first_row.values())],
        lambda span: texts[span[0]][span[1] : span[2]],
        settings.dup_threshold,
    )
    copies = passage_copies(chunks, groups)
    _write_jsonl(data / "chunks.jsonl", (_chunk_to_json(c, copies.get(c.id, [])) for c in chunks))
    _write_jsonl(data / "duplicates.jsonl", ([list(m) for m in g] for g in groups))
    faiss.write_index(dense, str(data / "dense.faiss"))
    with (data / "sentences.npy").open("wb") as fh:
        np.save(fh, np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
    with (data / "minhash.npy").open("wb") as fh:
        np.save(fh, np.ascontiguousarray(minhash, dtype=np.uint32), allow_pickle=False)
    known = tokens or {}
    bm25 = BM25Index.build([c.text for c in chunks], [known.get(c.id) for c in chunks])
    bm25.save(data / "bm25")
    files = sorted(p for p in data.rglob("*") if p.is_file())
    for file in files:
        _fsync(file)
    _fsync(data / "bm25")
    _fsync(data)
    per_doc: dict[str, int] = {}
    for c in chunks:
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "data": generation,
        "source": {"path": str(source), "absolute": str(Path(source).resolve())},
        "signature": signature(settings, model),
        "model": {
            "name": model.name,
            "hash": model.hash,
            "dim": model.dim,
            "max_tokens": model.max_tokens,
            "precision": precision,
        },
        "chunker": settings.chunker_params(),
        "index": ann.describe(dense),
        "counts": {"documents": len(docs), "chunks": len(chunks)},
        "changes": changes or {"added": len(docs), "changed": 0, "removed": 0, "unchanged": 0},
        "files": {f.relative_to(data).as_posix(): _checksum(f) for f in files},
        "documents": {
            d.path: {
                "id": d.id,
                "content_hash": d.content_hash,
                "title": d.title,
                "format": d.format,
                "chunks": per_doc.get(d.id, 0),
            }
            for d in docs
        },
    }
    _atomic_write(index_dir / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
    _remove_old_generations(index_dir, keep={generation, previous})
    # what was just written and checksummed, without reading it back
    return Index(
        index_dir,
        manifest,
        {d.id: d for d in docs},
        list(chunks),
        dense,
        bm25,
        {cid: spans for cid, spans in copies.items() if spans},
        groups,
        np.ascontiguousarray(sentence_vectors, dtype=np.float32),
        np.ascontiguousarray(minhash, dtype=np.uint32),
        written=True,
    )


def _compatible(settings: Settings, model: ModelIdentity) -> Index | None:
    """The current index if it opens cleanly and was built with these settings, else None
    (a damaged or mismatched index is then rebuilt whole)."""
    try:
        index = Index.open(settings.index_dir)
        index.check(settings, model)
    except IndexProblem:
        return None
    return index


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer per index folder: a second one waits, and says why it waits."""
    lock = FileLock(str(index_dir / "lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"qa: {index_dir}/ is being written by another process; waiting…", file=sys.stderr)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _peek_manifest(index_dir: Path, *keys: str) -> str | None:
    """One value of the manifest, without verifying the index (None if there is none)."""
    try:
        value: Any = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        for key in keys:
            value = value[key]
        return str(value)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current_generation(index_dir: Path) -> str | None:
    """The generation the manifest names now (cheap: used to notice a rebuild)."""
    return _peek_manifest(index_dir, "data")


def recorded_source(index_dir: Path) -> Path | None:
    """The folder the index was built from, if it still exists."""
    path = _peek_manifest(index_dir, "source", "absolute")
    return Path(path) if path and Path(path).is_dir() else None


def _check_places(source: Path | None, index_dir: Path) -> None:
    """Refuse, before anything is written, an index folder that is a file, or that is (or
    holds) the documents: the index's own files would be read as documents."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexProblem(f"{index_dir} is a file, not an index folder")
    if source is None:
        return
    if not source.exists():
        raise FileNotFoundError(f"document folder not found: {source}")
    if source.resolve().is_relative_to(index_dir.resolve()):
        raise IndexProblem(
            f"the documents ({source}) are inside the index folder {index_dir}; "
            "give the index a folder of its own (--index-dir)"
        )


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    """Drop generations older than the previous one: a reader that read the old manifest a
    moment ago can still open its files, and half-written ones left by a crash go away.
    Only folders named like a generation are touched: anything else is the user's."""
    for child in index_dir.iterdir():
        if child.is_dir() and GENERATION.fullmatch(child.name) and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
    _remove_manifest_copies(index_dir)


def _remove_manifest_copies(index_dir: Path) -> None:
    """Drop the manifest's temporary copies that a writer killed before its rename left (the
    caller holds the writer lock, so no other writer is writing one)."""
    for child in index_dir.iterdir():
        if child.is_file() and _MANIFEST_TMP.fullmatch(child.name):
            child.unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checksum(path: Path) -> dict[str, Any]:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return {"bytes": path.stat().st_size, "blake2b": digest.hexdigest()}


def _corrupt(index_dir: Path, file: Path, why: str) -> str:
    return (
        f"the index file {file} is damaged ({why}); rebuild the index with: "
        f"qa index FOLDER --rebuild --index-dir {index_dir}"
    )


def _verify(file: Path, expected: dict[str, Any], index_dir: Path) -> None:
    if not file.exists():
        raise IndexCorrupt(_corrupt(index_dir, file, "missing"))
    if _checksum(file) != expected:
        raise IndexCorrupt(_corrupt(index_dir, file, "checksum does not match the manifest"))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError("not a qa index manifest")
        if manifest.get("version") != VERSION:
            raise ValueError(f"format version {manifest.get('version')}, expected {VERSION}")
        for key in ("data", "files", "signature", "counts"):
            manifest[key]
        return dict(manifest)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise IndexCorrupt(_corrupt(path.parent, path, str(exc))) from None


def _read_faiss(path: Path, index_dir: Path) -> Any:
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorrupt(_corrupt(index_dir, path, str(exc).splitlines()[0])) from None


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _doc_to_json(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "path": d.path,
        "title": d.title,
        "format": d.format,
        "content_hash": d.content_hash,
        "pages": list(d.pages),
        "text": d.text,
    }


def _doc_from_json(j: dict[str, Any]) -> Document:
    return Document(
        id=j["id"],
        path=j["path"],
        title=j["title"],
        text=j["text"],
        content_hash=j["content_hash"],
        format=j["format"],
        pages=tuple(j["pages"]),
    )


def _chunk_to_json(c: Chunk, copies: list[Span]) -> dict[str, Any]:
    return {
        "id": c.id,
        "doc": c.doc_id,
        "start": c.start,
        "end": c.end,
        "page": c.page,
        "sentences": [list(s) for s in c.sentences],
        "copies": [list(s) for s in copies],
    }


def _span(value: list[Any]) -> Span:
    doc, start, end = value
    return (str(doc), int(start), int(end))


def _chunk_from_json(j: dict[str, Any], docs: dict[str, Document]) -> Chunk:
    doc = docs[j["doc"]]
    return Chunk(
        id=int(j["id"]),
        doc_id=doc.id,
        start=j["start"],
        end=j["end"],
        text=doc.text[j["start"] : j["end"]],
        sentences=tuple((a, b) for a, b in j["sentences"]),
        page=j["page"],
    )
