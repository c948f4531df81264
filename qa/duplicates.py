"""Near-duplicate passages across documents: syndicated news repeats paragraphs, lightly edited.

Method (explicit, tested):
- Every sentence becomes a set of word 3-shingles (lower case, accents folded, punctuation
  dropped). MinHash signatures and LSH (datasketch) find candidate pairs from *different*
  documents; a pair is a near-duplicate when the exact Jaccard similarity of the two shingle
  sets is at least ``threshold`` (0.5: edits like "In spite of" -> "Despite" score 0.8,
  unrelated sentences about the same people below 0.25 on the seeds). Pairs join into groups.
- Two passages (chunks) of different documents are copies of each other when each has
  near-duplicates of at least half of its characters in the other; each records the other's
  span (its document's own offsets).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from qa.bm25 import fold
from qa.chunking import Chunk

Span = tuple[str, int, int]  # (document id, start, end)

SHINGLE_WORDS = 3
NUM_PERM = 64
MIN_COVERAGE = 0.5
_EMPTY = np.uint32(0xFFFFFFFF)
_WINDOW = 32  # a bucket member is compared with at most this many earlier members
_WORD = re.compile(r"\w+")
_HASH_BLOCK = 2048  # texts hashed at once: bounds the (shingles x NUM_PERM) array


def shingles(text: str) -> set[str]:
    words = _WORD.findall(fold(text))
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def signatures(texts: Sequence[str]) -> np.ndarray:
    """One MinHash signature (``NUM_PERM`` uint32 values) per text, from its 3-shingles.

    Stored beside the index (one row per sentence), so an update hashes only new sentences.
    A text without shingles gets the all-maximum row, which never matches anything.
    The values are datasketch's ``MinHash`` (scheme "affine32": SHA-1 32-bit hash,
    MurmurHash3 finaliser, permutations a * h + b mod 2^32 from its seeded generator),
    computed with NumPy over a block of texts at once: making one ``MinHash`` object per
    sentence cost more than the hashing itself (tests/test_duplicates.py checks the two agree).
    """
    from datasketch import MinHash
    from datasketch.hashfunc import sha1_hash32

    a, b = MinHash(num_perm=NUM_PERM, scheme="affine32").permutations.astype(np.uint32)
    out = np.full((len(texts), NUM_PERM), _EMPTY, dtype=np.uint32)
    for lo in range(0, len(texts), _HASH_BLOCK):
        sets = [shingles(t) for t in texts[lo : lo + _HASH_BLOCK]]
        keep = [i for i, s in enumerate(sets) if s]
        if not keep:
            continue
        hashes = np.fromiter(
            (sha1_hash32(x.encode()) for i in keep for x in sets[i]), dtype=np.uint32
        )
        sizes = np.array([len(sets[i]) for i in keep])
        with np.errstate(over="ignore"):
            permuted = _fmix32(hashes)[:, None] * a[None, :] + b[None, :]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        out[lo + np.array(keep)] = np.minimum.reduceat(permuted, starts, axis=0)
    return out


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (a bijection that spreads the input bits), as
    datasketch applies it before its affine permutations; uint32 arithmetic wraps."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return np.asarray(h ^ (h >> np.uint32(16)), dtype=np.uint32)


def sentence_groups(
    spans: Sequence[Span],
    sigs: np.ndarray,
    text_of: Callable[[Span], str],
    threshold: float = 0.5,
) -> list[list[Span]]:
    """Groups (of two or more) of near-identical sentences found in different documents.

    Candidates come from LSH banding of the signatures (bands and rows chosen by datasketch
    for ``threshold``), computed with NumPy over all sentences at once; each candidate pair
    is then confirmed by the exact Jaccard similarity of the two shingle sets.
    """
    from datasketch import MinHashLSH

    n = len(spans)
    if n < 2:
        return []
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    bands, rows = lsh.b, lsh.r
    valid = ~(sigs == _EMPTY).all(axis=1)
    weights = (np.uint64(0x9E3779B97F4A7C15) ** np.arange(1, rows + 1, dtype=np.uint64)).astype(
        np.uint64
    )
    candidates: set[tuple[int, int]] = set()
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = sigs[:, band * rows : (band + 1) * rows].astype(np.uint64)
            keys = (block * weights).sum(axis=1, dtype=np.uint64)
            order = np.argsort(keys, kind="stable")
            ordered = keys[order]
            same = np.flatnonzero(ordered[1:] == ordered[:-1])
            if not len(same):
                continue
            starts = same[np.r_[True, np.diff(same) > 1]]
            for first in starts.tolist():
                last = first + 1
                while last + 1 < n and ordered[last + 1] == ordered[first]:
                    last += 1
                members = sorted(int(i) for i in order[first : last + 1] if valid[i])
                for a, i in enumerate(members):
                    for j in members[max(0, a - _WINDOW) : a]:
                        if spans[i][0] != spans[j][0]:
                            candidates.add((j, i))
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sets: dict[int, set[str]] = {}

    def shingle_set(i: int) -> set[str]:
        if i not in sets:
            sets[i] = shingles(text_of(spans[i]))
        return sets[i]

    for j, i in sorted(candidates):
        if find(i) != find(j) and jaccard(shingle_set(i), shingle_set(j)) >= threshold:
            parent[find(i)] = find(j)
    groups: dict[int, list[Span]] = defaultdict(list)
    for i in sorted({k for pair in candidates for k in pair}):
        groups[find(i)].append(spans[i])
    return sorted(sorted(g) for g in groups.values() if len({doc for doc, _, _ in g}) > 1)


def passage_copies(chunks: Sequence[Chunk], groups: list[list[Span]]) -> dict[int, list[Span]]:
    """For each chunk, the chunks of other documents that are near-duplicates of it: each of
    the two has near-duplicates of at least half of its characters in the other."""
    twins: dict[Span, list[Span]] = {}
    for group in groups:
        for member in group:
            twins[member] = [m for m in group if m[0] != member[0]]
    holders: dict[Span, list[Chunk]] = defaultdict(list)  # sentence -> chunks containing it
    for chunk in chunks:
        for a, b in chunk.sentences:
            holders[(chunk.doc_id, a, b)].append(chunk)

    def coverage(chunk: Chunk) -> dict[int, float]:
        """Share of ``chunk``'s characters with a near-duplicate inside each other chunk."""
        covered: dict[int, int] = defaultdict(int)
        for a, b in chunk.sentences:
            others = {c.id for twin in twins.get((chunk.doc_id, a, b), []) for c in holders[twin]}
            for other in others:
                covered[other] += b - a
        total = sum(b - a for a, b in chunk.sentences) or 1
        return {other: n / total for other, n in covered.items()}

    by_id = {c.id: c for c in chunks}
    cover = {
        c.id: coverage(c) for c in chunks if any((c.doc_id, a, b) in twins for a, b in c.sentences)
    }
    copies: dict[int, list[Span]] = {}
    for chunk_id, shares in cover.items():
        best: dict[str, tuple[float, Span]] = {}  # one copy per document: the fullest one
        for other, share in shares.items():
            mutual = min(share, cover.get(other, {}).get(chunk_id, 0.0))
            if mutual < MIN_COVERAGE:
                continue
            c = by_id[other]
            if c.doc_id not in best or mutual > best[c.doc_id][0]:
                best[c.doc_id] = (mutual, (c.doc_id, c.start, c.end))
        if best:
            copies[chunk_id] = sorted(span for _, span in best.values())
    return copies
