"""Pipe tables in a document's text: where their lines are, their cells and column names.

Markdown writes them, with or without the outer pipes ("| Lock | Rise |" or "Lock | Rise"
over a "--- | ---" rule), and HTML tables are extracted as "| Lock 9 | 3.1 m |" lines. A
reader trained on prose cannot tell which column a bare "| 3.1 m |" is in, so the reader
reads a row spelt out with its column names (``row_view``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Literal

#: a line with a pipe at both ends: a Markdown row, or an extracted HTML one
_PIPED = re.compile(r"[ \t]*\|.*\|[ \t]*")
#: the rule under a header ("|---|:--:|", "--- | ---"): dashes between pipes, one pipe at least
_RULE = re.compile(r"[ \t]*(?=.*\|)\|?(?:[ \t]*:?-+:?[ \t]*\|)*[ \t]*:?-+:?[ \t]*\|?[ \t]*")
#: a cell boundary: a pipe not escaped ("a \\| b" is one cell)
_PIPE = re.compile(r"(?<!\\)\|")

Kind = Literal["header", "rule", "row"]


@dataclass(frozen=True)
class Line:
    """One line of a table: its document offsets (without surrounding blanks), its kind, and
    its table's column names (None for a table without a header)."""

    start: int
    end: int
    kind: Kind
    names: tuple[str, ...] | None


def cells(line: str, base: int = 0) -> list[tuple[int, str, int]]:
    """A table line's non-empty cells: column number, text, offset of its start (+ ``base``).
    The outer pipes are optional; an escaped pipe ("\\|") stays inside its cell."""
    bounds = [m.start() for m in _PIPE.finditer(line)]
    stripped = line.strip()
    edges = [-1, *bounds, len(line)]
    if stripped.startswith("|"):
        edges = edges[1:]  # the outer pipe opens column 0
    if stripped.endswith("|") and not stripped.endswith("\\|") and len(edges) > 2:
        edges = edges[:-1]
    out = []
    for column, (a, b) in enumerate(pairwise(edges)):
        raw = line[a + 1 : b]
        if raw.strip():
            at = a + 1 + len(raw) - len(raw.lstrip())
            out.append((column, raw.strip(), base + at))
    return out


def _names(line: str) -> tuple[str, ...]:
    """A header line's column names by column number ("" for an empty one)."""
    found = cells(line)
    names = [""] * (max((c for c, _, _ in found), default=-1) + 1)
    for column, cell, _ in found:
        names[column] = cell
    return tuple(names)


@lru_cache(maxsize=256)
def lines(text: str) -> tuple[list[int], list[Line]]:
    """Every table line of ``text``, in order, and their starts (for bisecting). Found once
    per document text: a row's header is then a lookup, not a walk up the table (60 ms per
    passage of a 3,000-row table).

    A table is a header line with a pipe over a rule, and the lines with a pipe under it;
    or, without a rule, a run of lines with a pipe at both ends (an HTML table without
    ``<th>``). A blank line or a line without a pipe ends it."""
    spans: list[tuple[int, int]] = []
    at = 0
    for raw in text.split("\n"):
        spans.append((at, at + len(raw)))
        at += len(raw) + 1
    out: list[Line] = []
    n = 0
    while n < len(spans):
        a, b = spans[n]
        line = text[a:b]
        ruled = n + 1 < len(spans) and _PIPE.search(line) is not None
        ruled = ruled and _RULE.fullmatch(text[slice(*spans[n + 1])]) is not None
        if not ruled and not _PIPED.fullmatch(line):
            n += 1
            continue
        names = _names(line) if ruled else None
        out.append(_line(text, a, b, "header" if ruled else "row", names))
        n += 1
        if ruled:
            out.append(_line(text, *spans[n], "rule", names))
            n += 1
        while n < len(spans):
            a, b = spans[n]
            line = text[a:b]
            goes_on = (
                _PIPE.search(line) and line.strip() if names is not None else _PIPED.fullmatch(line)
            )
            if not goes_on:
                break
            out.append(_line(text, a, b, "rule" if _RULE.fullmatch(line) else "row", names))
            n += 1
    return [line.start for line in out], out


def _line(text: str, a: int, b: int, kind: Kind, names: tuple[str, ...] | None) -> Line:
    raw = text[a:b]
    start = a + len(raw) - len(raw.lstrip())
    return Line(start, start + len(raw.strip()), kind, names)


def in_span(text: str, start: int, end: int) -> list[Line]:
    """The table lines that overlap ``text[start:end]``."""
    starts, found = lines(text)
    first = max(0, bisect_right(starts, start) - 1)
    last = bisect_right(starts, end)
    return [line for line in found[first:last] if line.start < end and line.end > start]


def has_table(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a line of a table (read row by row)."""
    return bool(in_span(text, start, end))


def row_at(text: str, start: int, end: int) -> Line | None:
    """The table row (not a header or rule) that ``text[start:end]`` is, else None."""
    found = in_span(text, start, end)
    if len(found) != 1 or found[0].kind != "row":
        return None
    line = found[0]
    return line if text[start:end].strip() == text[line.start : line.end] else None
