"""Accessible HTML tables: a caption, header cells with ``scope``, and notes.

The report's tables are plain HTML (no images of tables, no layout tables): a
``<caption>`` names the table, column headers are ``<th scope="col">``, the first
cell of a row is ``<th scope="row">``, and the notes that say who is counted (the
denominator) and how non-answers were treated follow in a ``<p>`` tied to the
table with ``aria-describedby``. Columns of numbers are marked ``num`` (header too):
right-aligned with tabular figures. The figure that holds a table is its scroll box on a
phone; a table wider than the text column is marked ``ci-wide`` to take the margin
beside it at desktop width (the CSS is book/_static/ci-eval.css).

>>> print(html_table("t1", "Demo", ["Group", "Share"], [["All", "55.8%"]], ["Among all."]))
<figure class="ci-table-figure">
<table class="ci-table" id="t1" aria-describedby="t1-notes">
<caption>Demo</caption>
<thead><tr><th scope="col">Group</th><th scope="col" class="num">Share</th></tr></thead>
<tbody>
<tr><th scope="row">All</th><td class="num">55.8%</td></tr>
</tbody>
</table>
<p class="ci-notes" id="t1-notes">Among all.</p>
</figure>
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from html import escape

# A cell that holds a number, a percentage, an interval or a quality symbol: right-aligned.
NUMBER = re.compile(
    r"^(<abbr[^>]*>[xF]</abbr>|\u2014|[-\u2212<]?\s?[\d.,\u202f\u00a0%]+[^A-Za-z<]*(<sup>.*</sup>)?)$"
)


# About how many characters of a table's font fit the book's text column at desktop width
# (676 px at 0.9rem); a wider table is marked to use the margin beside it too.
TEXT_COLUMN_CHARS = 78
# A column of text wraps: it needs about its longest word, and at least this many characters.
WRAPPED_CHARS = 14


def _plain(cell: str) -> str:
    return re.sub(r"<[^>]+>", "", cell)


def numeric_columns(rows: Sequence[Sequence[str] | str]) -> set[int]:
    """The columns (after the row headers') whose filled cells are mostly numbers (a row
    given as one string heads a group of rows: it has no columns).

    >>> sorted(numeric_columns([["All", "5.1%", "text"], "By gender", ["Men", "4.2%", ""]]))
    [1]
    """
    rows = [r for r in rows if not isinstance(r, str)]
    columns = max((len(r) for r in rows), default=0)
    found = set()
    for j in range(1, columns):
        cells = [r[j] for r in rows if j < len(r) and r[j]]
        if cells and 2 * sum(bool(NUMBER.match(c)) for c in cells) >= len(cells):
            found.add(j)
    return found


def text_width(headers: Sequence[str], rows: Sequence[Sequence[str] | str]) -> int:
    """The width a table needs, in characters: each number column its widest cell (they
    do not wrap), each text column its longest word but at least :data:`WRAPPED_CHARS`
    (they wrap), a header its longest word, plus two for the padding between columns.

    >>> text_width(["Group", "%"], [["All young adults", "55.8%"]])
    23
    """
    numeric = numeric_columns(rows)
    rows = [r for r in rows if not isinstance(r, str)]
    total = 0
    for j in range(max([len(headers)] + [len(r) for r in rows])):
        cells = [_plain(r[j]) for r in rows if j < len(r)]
        head = max(map(len, headers[j].split()), default=0) if j < len(headers) else 0
        widest = max(map(len, cells), default=0)
        if j not in numeric:  # wraps: its longest word, up to WRAPPED_CHARS when it has them
            longest = max((len(w) for c in cells for w in c.split()), default=0)
            widest = min(widest, max(longest, WRAPPED_CHARS))
        total += max(widest, head, 1) + 2
    return total


def _row(row: Sequence[str], numeric: Collection[int]) -> str:
    first, *rest = row
    cells = "".join(
        f'<td class="num">{cell}</td>' if k in numeric or NUMBER.match(cell) else f"<td>{cell}</td>"
        for k, cell in enumerate(rest, start=1)
    )
    return f'<tr><th scope="row">{first}</th>{cells}</tr>'


def _body(rows: Sequence[Sequence[str] | str], numeric: Collection[int], span: int) -> list[str]:
    """The rows in one ``<tbody>``; a row given as a string heads a new ``<tbody>``."""
    body = ["<tbody>"]
    for row in rows:
        if isinstance(row, str):  # a group of rows: its own <tbody>, headed by the row
            if len(body) > 1:
                body += ["</tbody>", "<tbody>"]
            body.append(
                f'<tr class="ci-group"><th scope="rowgroup" colspan="{span}">{row}</th></tr>'
            )
            continue
        body.append(_row(row, numeric))
    return [*body, "</tbody>"]


def html_table(
    table_id: str,
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str] | str],
    notes: Sequence[str] = (),
    *,
    header_groups: Sequence[tuple[str, int]] = (),
    download: tuple[str, str] | Sequence[tuple[str, str]] | None = None,
    groups: Sequence[tuple[str, Sequence[Sequence[str]]]] = (),
    numeric: Collection[int] = (),
) -> str:
    """An accessible HTML table.

    Parameters
    ----------
    table_id : str
        A page-unique id (also names the notes paragraph).
    caption : str
        The table's title (plain text; escaped here).
    headers : sequence of str
        Column headers (plain text; escaped here).
    rows : sequence of sequences of str, or str
        Cells as HTML (already escaped: cells may hold ``<sup>`` flags). A row given as one
        string (HTML) heads the rows that follow it ("By gender"), across every column.
    notes : sequence of str
        Plain-text notes (denominator, missing answers, legend), escaped here.
    header_groups : sequence of (str, int)
        A first header row of column groups, each a title (escaped here) over that many
        columns, after the row headers' column (e.g. a wave over its estimate, CI and n).
    download : (str, str) or a sequence of them, optional
        Links under the table to its data: each the URL (a CSV file) and the link's text.
    groups : sequence of (heading, rows)
        Rows in labelled groups, after ``rows``: each group is a ``<tbody>`` whose first row
        is its heading (plain text, escaped here) across the table,
        ``<th scope="rowgroup">``.
    numeric : collection of int
        Columns (0 is the row header) aligned as numbers whatever their text (e.g. a change
        with its unit and interval); other cells are when they hold only a number.

    >>> html = html_table("t2", "Waves", ["Group", "%", "n", "%", "n"], [["All", "5", "9",
    ...     "6", "8"]], header_groups=[("2022", 2), ("2024", 2)], download=("t.csv", "CSV"))
    >>> '<thead><tr><td></td><th scope="colgroup" colspan="2">2022</th>' in html
    True
    >>> print(html.splitlines()[-2])
    <p class="ci-download"><a href="t.csv" download type="text/csv">CSV</a></p>
    >>> print(html_table("t3", "G", ["Indicator", "Now"], [], groups=[("Access", [["A", "5"]])]))
    <figure class="ci-table-figure">
    <table class="ci-table" id="t3">
    <caption>G</caption>
    <thead><tr><th scope="col">Indicator</th><th scope="col" class="num">Now</th></tr></thead>
    <tbody class="ci-group">
    <tr class="ci-group-heading"><th scope="rowgroup" colspan="2">Access</th></tr>
    <tr><th scope="row">A</th><td class="num">5</td></tr>
    </tbody>
    </table>
    </figure>
    """
    every = [*rows, *(row for _, members in groups for row in members)]
    numeric = set(numeric) | numeric_columns(every)
    head = "".join(
        f'<th scope="col" class="num">{escape(h)}</th>'
        if j in numeric
        else f'<th scope="col">{escape(h)}</th>'
        for j, h in enumerate(headers)
    )
    if header_groups:
        spans = "".join(
            f'<th scope="colgroup" colspan="{span}">{escape(title)}</th>'
            for title, span in header_groups
        )
        head = f"<td></td>{spans}</tr><tr>{head}"
    body = [] if groups and not rows else _body(rows, numeric, len(headers))
    for heading, members in groups:
        body += [
            '<tbody class="ci-group">',
            f'<tr class="ci-group-heading"><th scope="rowgroup" colspan="{len(headers)}">'
            f"{escape(heading)}</th></tr>",
            *(_row(row, numeric) for row in members),
            "</tbody>",
        ]
    described = f' aria-describedby="{table_id}-notes"' if notes else ""
    # a table wider than the text column may also take the margin beside it (the page's
    # contents fold away while it is on screen: book/_static/ci-eval.css and ci-eval.js)
    wide = " ci-wide" if text_width(headers, every) > TEXT_COLUMN_CHARS else ""
    parts = [
        f'<figure class="ci-table-figure{wide}">',
        f'<table class="ci-table" id="{table_id}"{described}>',
        f"<caption>{escape(caption)}</caption>",
        f"<thead><tr>{head}</tr></thead>",
        *body,
        "</table>",
    ]
    if notes:
        text = " ".join(escape(n) for n in notes)
        parts.append(f'<p class="ci-notes" id="{table_id}-notes">{text}</p>')
    links = [download] if isinstance(download, tuple) else list(download or [])
    if links:
        anchors = [
            f'<a href="{escape(href)}" download type="text/csv">{escape(text)}</a>'
            for href, text in links
        ]
        parts.append(f'<p class="ci-download">{" ".join(anchors)}</p>')
    parts.append("</figure>")
    return "\n".join(parts)
