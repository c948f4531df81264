"""Pipe tables found in a document's text (qa.tables)."""

from __future__ import annotations

from qa import tables

STAFF = (
    "The office moved in 2021.\n\nName | Role | Room\n--- | --- | ---\nQuinn Petrov | Harbor master"
    " | 204\nAda Lindqvist | Pilot | 207\n\nVisitors | sign in at the desk.\n"
)


def test_a_table_without_outer_pipes_is_found_by_its_rule() -> None:
    """Found by an audit: GFM's "Name | Room" over "--- | ---" was not seen as a table, so
    its rows were read as prose, without their column names. A blank line ends the table."""
    found = tables.lines(STAFF)[1]
    assert [(line.kind, STAFF[line.start : line.end]) for line in found] == [
        ("header", "Name | Role | Room"),
        ("rule", "--- | --- | ---"),
        ("row", "Quinn Petrov | Harbor master | 204"),
        ("row", "Ada Lindqvist | Pilot | 207"),
    ]
    assert {line.names for line in found} == {("Name", "Role", "Room")}
    row = STAFF.index("Ada")
    assert tables.row_at(STAFF, row, STAFF.index("\n", row)) == found[3]
    assert tables.row_at(STAFF, 0, 25) is None and not tables.has_table(STAFF, 0, 25)
    assert tables.has_table(STAFF, 0, len(STAFF))
    # a pipe in prose, with no rule under it, is not a table
    assert tables.row_at(STAFF, STAFF.index("Visitors"), len(STAFF) - 1) is None


def test_cells_keep_escaped_pipes_and_their_offsets() -> None:
    """Found by an audit: a cell holding "`a \\| b`" (GFM's escaped pipe) was split there."""
    line = "| `a \\| b` | pipes a into b |"
    assert [(c, t) for c, t, _ in tables.cells(line)] == [(0, "`a \\| b`"), (1, "pipes a into b")]
    for _, text, at in tables.cells(line, 100):
        assert line[at - 100 :].startswith(text)
    assert [(c, t) for c, t, _ in tables.cells("a | b")] == [(0, "a"), (1, "b")]
    assert [(c, t) for c, t, _ in tables.cells("| | x |")] == [(1, "x")]  # empty cell kept


def test_a_table_with_outer_pipes_needs_no_rule() -> None:
    """Extracted HTML tables without <th> are runs of "| … |" lines with no header."""
    text = "Capitals.\n| Oslo | Norway |\n| Lima | Peru |\nEnd.\n"
    found = tables.lines(text)[1]
    assert [(line.kind, line.names) for line in found] == [("row", None), ("row", None)]
    assert tables.in_span(text, text.index("Lima"), text.index("Lima") + 4) == [found[1]]
