"""Near-duplicate passages: found across documents, merged into one hit, nothing lost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.duplicates import Span, jaccard, sentence_groups, shingles, signatures
from qa.index import Index, build
from qa.reader import Reader
from qa.reader import Span as ReaderSpan
from qa.retrieval import Searcher

EDITED = (
    "In spite of information warfare by the Taliban that it is negotiating with Northern "
    "Alliance resistance in Panjshir Valley, Ahmad Massoud, the leader of the National "
    "Resistance Front of Afghanistan, has said he will follow in his father’s footsteps.",
    "Despite information warfare by the Taliban that it is negotiating with Northern Alliance "
    "resistance in Panjshir Valley, Ahmad Massoud, the leader of the National Resistance Front "
    "of Afghanistan and son of Ahmad Shah Massoud has said he will follow in his father’s "
    "footsteps.",
)
RELATED_BUT_DIFFERENT = (
    "Massoud is the son of Ahmad Shah Massoud, who was known as the Lion of Panjshir.",
    "He told me: I am the son of Ahmad Shah Massoud; surrender is not part of my vocabulary.",
)


def groups(pairs: list[tuple[Span, str]]) -> list[list[Span]]:
    """sentence_groups over (span, text) pairs, hashing the texts here."""
    texts = dict(pairs)
    sigs = signatures([t for _, t in pairs])
    return sentence_groups([s for s, _ in pairs], sigs, texts.__getitem__)


def test_threshold_separates_edits_from_related_sentences() -> None:
    assert jaccard(*(shingles(t) for t in EDITED)) >= 0.5
    assert jaccard(*(shingles(t) for t in RELATED_BUT_DIFFERENT)) < 0.3
    spans = [(("a", 0, 1), EDITED[0]), (("b", 0, 1), EDITED[1])]
    assert groups(spans) == [[("a", 0, 1), ("b", 0, 1)]]
    related = [(("a", 0, 1), RELATED_BUT_DIFFERENT[0]), (("b", 0, 1), RELATED_BUT_DIFFERENT[1])]
    assert groups(related) == []


def test_signatures_are_datasketchs_minhash() -> None:
    """The NumPy signatures equal datasketch's own MinHash of the same shingles, value for
    value, across block boundaries, for empty texts and for texts of one or two words."""
    from datasketch import MinHash

    import qa.duplicates as dup

    texts = [*EDITED, *RELATED_BUT_DIFFERENT, "", "  ", "Kabul", "two words", "¿Qué pasó?"]
    texts += [f"sentence {i} about the valley and its {i % 7} districts" for i in range(40)]
    old_block = dup._HASH_BLOCK
    try:
        dup._HASH_BLOCK = 7  # several blocks, some starting with empty texts
        ours = signatures(texts)
    finally:
        dup._HASH_BLOCK = old_block
    assert ours.shape == (len(texts), dup.NUM_PERM) and ours.dtype == np.uint32
    for text, row in zip(texts, ours, strict=True):
        sh = shingles(text)
        if not sh:
            assert (row == 0xFFFFFFFF).all()
            continue
        ref = MinHash(num_perm=dup.NUM_PERM)
        ref.update_batch([x.encode() for x in sh])
        assert row.tolist() == ref.hashvalues.astype(np.uint32).tolist(), text
    assert (signatures(texts) == ours).all()


def test_same_document_repeats_are_not_groups() -> None:
    spans = [(("a", 0, 1), EDITED[0]), (("a", 5, 9), EDITED[0])]
    assert groups(spans) == []


PARAGRAPHS = [
    "The city council approved a new budget for the public libraries on Tuesday evening. "
    "The plan adds weekend opening hours at six branches and hires twelve librarians. "
    "Critics said the money should have gone to road repairs in the northern districts.",
    "Engineers finished testing the old river bridge after three months of inspections. "
    "They found corrosion in two of the steel cables but judged the structure safe. "
    "Heavy lorries will still be banned from crossing until the cables are replaced in May.",
    "A rare comet will be visible from the northern hemisphere early next week. "
    "Astronomers advise looking low on the western horizon about an hour after sunset. "
    "Binoculars help, but on a clear night the comet's tail can be seen with the naked eye.",
    "The museum opened an exhibition of medieval maps borrowed from private collections. "
    "The oldest map, drawn on calfskin around 1290, shows Jerusalem at the centre of the world. "
    "The exhibition runs until the end of March and entry is free on Sundays.",
]
OWN = [
    "Farmers reported the best wheat harvest in a decade thanks to a mild and wet spring. "
    "Prices for bread flour are expected to fall slightly before the end of the year.",
    "Snow closed the mountain roads for a second day and several villages lost power. "
    "Crews worked through the night to clear the passes before the weekend traffic.",
]


def edit(text: str) -> str:
    """A syndicated copy: the same paragraph, lightly reworded."""
    return (
        text.replace("approved", "passed")
        .replace("finished testing", "completed tests of")
        .replace("will be visible", "can be seen")
        .replace("opened", "has opened")
    )


def make_corpus(folder: Path) -> None:
    folder.mkdir()
    body = "\n\n".join(PARAGRAPHS)
    (folder / "original.txt").write_text(f"Original report\n\n{body}\n", "utf-8")
    syndicated = "\n\n".join(edit(p) for p in PARAGRAPHS[:3])
    (folder / "syndicated.txt").write_text(f"Syndicated copy\n\n{syndicated}\n", "utf-8")
    (folder / "partial.txt").write_text(f"Partial copy\n\n{OWN[1]}\n\n{PARAGRAPHS[1]}\n", "utf-8")
    (folder / "other.txt").write_text(f"Other news\n\n{OWN[0]}\n", "utf-8")


@pytest.mark.slow
def test_constructed_corpus_merges_known_duplicates(tmp_path: Path) -> None:
    make_corpus(tmp_path / "docs")
    settings = Settings(index_dir=tmp_path / "ix")
    build(tmp_path / "docs", settings, progress=False)
    merged = Searcher.open(settings=settings)
    plain = Searcher.open(settings=settings.with_(merge_duplicates=False))
    hits = merged.search("Which bridge did engineers test for three months?", k=3)
    top = {Path(s.path).name for s in hits[0].sources}
    assert {"original.txt", "syndicated.txt", "partial.txt"} <= top
    docs = {d.path: d for d in merged.index.documents.values()}
    for source in hits[0].sources:  # every source has its own offsets in its own text
        text = docs[source.path].text[source.start : source.end]
        assert "bridge" in text
    assert all(Path(s.path).name != "other.txt" for s in hits[0].sources)
    # the unmerged list repeats the same passage once per document
    plain_hits = plain.search("Which bridge did engineers test for three months?", k=3)
    assert len({Path(h.sources[0].path).name for h in plain_hits}) == 3


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "Which bridge did engineers test?",
        "comet visible next week",
        "What did the city council approve?",
        "wheat harvest",
        "roads closed by snow in the mountains",
        "steel cables corrosion lorries",
        "medieval maps exhibition",
    ],
)
def test_merging_never_drops_a_document(tmp_path: Path, question: str) -> None:
    make_corpus(tmp_path / "docs")
    settings = Settings(index_dir=tmp_path / "ix")
    build(tmp_path / "docs", settings, progress=False)
    for k in (1, 2, 3, 5):
        merged = Searcher.open(settings=settings).search(question, k=k)
        plain = Searcher.open(settings=settings.with_(merge_duplicates=False)).search(question, k=k)
        merged_docs = {s.path for h in merged for s in h.sources}
        assert {h.sources[0].path for h in plain} <= merged_docs


@pytest.mark.slow
def test_seeds_duplicates_are_found(seeds_settings: Settings) -> None:
    index = Index.open(seeds_settings.index_dir)
    docs = {d.id: d for d in index.documents.values()}
    pairs = [{docs[d].text[s:e] for d, s, e in group} for group in index.sentence_groups]
    assert any(
        any(t.startswith("In spite of information warfare") for t in p)
        and any(t.startswith("Despite information warfare") for t in p)
        for p in pairs
    )
    assert any(index.copies.values())
    hits = Searcher.open(seeds_settings.index_dir, seeds_settings).search(
        "Who was known as the Lion of Panjshir?", k=5
    )
    names = [Path(s.path).name for s in hits[0].sources]
    assert len(names) == 2 and len(set(names)) == 2


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_many_copies_still_give_k_distinct_passages(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by an audit: with every paragraph in 30 files, the 50 candidates of each retriever
    held 2-3 distinct passages, so merged search returned 3 hits for k = 10. Candidates are
    widened until k distinct passages are found; merging still drops no document."""
    docs = tmp_path / "docs"
    docs.mkdir()
    body = "\n\n".join(PARAGRAPHS)
    for n in range(12):
        (docs / f"copy{n:02d}.txt").write_text(f"Report {n}\n\n{body}\n\n{OWN[n % 2]}\n", "utf-8")
    settings = Settings(index_dir=tmp_path / "ix", candidates=8, mode=mode)
    build(docs, settings, progress=False)
    question = "Which bridge did engineers test?"
    if mode == "bm25":  # BM25 finds only passages sharing a word: one word from each
        question = "bridge council comet museum wheat snow"
    read: list[list[str]] = []
    real = Reader.read_top

    def recorded(
        self: Reader, q: str, texts: Sequence[str], origins: object = None, n: int = 1
    ) -> list[list[ReaderSpan]]:
        read.append(list(texts))
        return real(self, q, texts, origins, n)  # type: ignore[arg-type]

    monkeypatch.setattr(Reader, "read_top", recorded)
    for k in (4, 6):
        merged = Searcher.open(settings=settings).search(question, k=k)
        assert len(merged) == k and len({h.chunk_id for h in merged}) == k
        # a review found the reader reading every copy (2,400 passages for 600 files): each
        # distinct text is read once
        assert all(len(texts) == len(set(texts)) for texts in read)
        assert read or mode == "bm25"  # its keyword query is not reranked
        assert all(len(h.sources) >= 2 for h in merged[:1])
        plain = Searcher.open(settings=settings.with_(merge_duplicates=False)).search(question, k=k)
        assert {h.sources[0].path for h in plain} <= {s.path for h in merged for s in h.sources}
