"""Accessible HTML tables: a caption, header cells with ``scope``, and notes.

The report's tables are plain HTML (no images of tables, no layout tables): a
``<caption>`` names the table, column headers are ``<th scope="col">``, the first
cell of a row is ``<th scope="row">``, and the notes that say who is counted (the
denominator) and how non-answers were treated follow in a ``<p>`` tied to the
table with ``aria-describedby``.

>>> print(html_table("t1", "Demo", ["Group", "Share"], [["All", "55.8%"]], ["Among all."]))
<figure class="ci-table-figure">
<table class="ci-table" id="t1" aria-describedby="t1-notes">
<caption>Demo</caption>
<thead><tr><th scope="col">Group</th><th scope="col">Share</th></tr></thead>
<tbody>
<tr><th scope="row">All</th><td class="num">55.8%</td></tr>
</tbody>
</table>
<p class="ci-notes" id="t1-notes">Among all.</p>
</figure>
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

# A cell that holds a number, a percentage, an interval or a quality symbol: right-aligned.
NUMBER = re.compile(
    r"^(<abbr[^>]*>[xF]</abbr>|\u2014|[-\u2212<]?\s?[\d.,\u202f\u00a0%]+[^A-Za-z<]*(<sup>.*</sup>)?)$"
)


def html_table(
    table_id: str,
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] = (),
    *,
    header_groups: Sequence[tuple[str, int]] = (),
    download: tuple[str, str] | None = None,
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
    rows : sequence of sequences of str
        Cells as HTML (already escaped: cells may hold ``<sup>`` flags).
    notes : sequence of str
        Plain-text notes (denominator, missing answers, legend), escaped here.
    header_groups : sequence of (str, int)
        A first header row of column groups, each a title (escaped here) over that many
        columns, after the row headers' column (e.g. a wave over its estimate, CI and n).
    download : (str, str), optional
        A link under the table to its data: the URL (a CSV file) and the link's text.

    >>> html = html_table("t2", "Waves", ["Group", "%", "n", "%", "n"], [["All", "5", "9",
    ...     "6", "8"]], header_groups=[("2022", 2), ("2024", 2)], download=("t.csv", "CSV"))
    >>> '<thead><tr><td></td><th scope="colgroup" colspan="2">2022</th>' in html
    True
    >>> print(html.splitlines()[-2])
    <p class="ci-download"><a href="t.csv" download type="text/csv">CSV</a></p>
    """
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    if header_groups:
        groups = "".join(
            f'<th scope="colgroup" colspan="{span}">{escape(title)}</th>'
            for title, span in header_groups
        )
        head = f"<td></td>{groups}</tr><tr>{head}"
    body = []
    for row in rows:
        first, *rest = row
        cells = "".join(
            f'<td class="num">{cell}</td>' if NUMBER.match(cell) else f"<td>{cell}</td>"
            for cell in rest
        )
        body.append(f'<tr><th scope="row">{first}</th>{cells}</tr>')
    described = f' aria-describedby="{table_id}-notes"' if notes else ""
    parts = [
        '<figure class="ci-table-figure">',
        f'<table class="ci-table" id="{table_id}"{described}>',
        f"<caption>{escape(caption)}</caption>",
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *body,
        "</tbody>",
        "</table>",
    ]
    if notes:
        text = " ".join(escape(n) for n in notes)
        parts.append(f'<p class="ci-notes" id="{table_id}-notes">{text}</p>')
    if download:
        href, text = (escape(part) for part in download)
        parts.append(
            f'<p class="ci-download"><a href="{href}" download type="text/csv">{text}</a></p>'
        )
    parts.append("</figure>")
    return "\n".join(parts)
