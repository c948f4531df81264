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
from collections.abc import Sequence

from qa.bm25 import fold
from qa.chunking import Chunk

Span = tuple[str, int, int]  # (document id, start, end)

SHINGLE_WORDS = 3
NUM_PERM = 64
MIN_COVERAGE = 0.5
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(fold(text))
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def sentence_groups(
    sentences: Sequence[tuple[Span, str]], threshold: float = 0.5
) -> list[list[Span]]:
    """Groups (of two or more) of near-identical sentences found in different documents."""
    from datasketch import MinHash, MinHashLSH

    sets = [shingles(text) for _, text in sentences]
    keep = [i for i, s in enumerate(sets) if s]
    if len(keep) < 2:
        return []
    hashes = MinHash.bulk([[s.encode() for s in sets[i]] for i in keep], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    parent = list(range(len(sentences)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, mh in zip(keep, hashes, strict=True):
        for j in lsh.query(mh):
            same_doc = sentences[i][0][0] == sentences[j][0][0]
            if not same_doc and jaccard(sets[i], sets[j]) >= threshold:
                parent[find(i)] = find(j)
        lsh.insert(i, mh)
    groups: dict[int, list[Span]] = defaultdict(list)
    for i in keep:
        groups[find(i)].append(sentences[i][0])
    return [sorted(g) for g in groups.values() if len({doc for doc, _, _ in g}) > 1]


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
