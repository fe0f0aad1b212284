"""The theory-of-change diagram laid out by Graphviz: DOT text, then SVG and PDF files.

:func:`dot_text` turns the outcomes (boxes listing their indicators with the latest value
and trend) and the links (``leads_to``, with their evidence as an edge label) into DOT;
Graphviz's ``dot`` lays it out top to bottom so that edges join their nodes and cross as
little as it can. :func:`render` writes ``<name>.svg`` for the HTML page (shown as an
``<img>``: the PDF edition refuses inline ``<svg>``) and, if asked, ``<name>.pdf`` for the
PDF edition (:mod:`ci_eval.report.latex` shows the PDF beside an image). Both are
byte-identical across builds: the SVG loses Graphviz's version comment, the PDF's creation
date is ``SOURCE_DATE_EPOCH`` (0 when unset). Graphviz is the Debian package ``graphviz``.

>>> nodes = [Node("a", "Access", ["Outputs"], [("Had a mentor", "58.0% \u2191")]),
...          Node("b", "Belonging", ["Short-term outcomes"], [])]
>>> print(dot_text(nodes, [Edge("a", "b", "+0.3 points")]).splitlines()[-2])
  "a" -> "b" [label=<+0.3 points<BR ALIGN="LEFT"/>>];
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ci_eval.errors import ReportError
from ci_eval.report.figure_files import COLOURS

FONT = "DejaVu Sans"
"""The font the layout measures and the files name (the report's figures use it too)."""
FONT_ATTRIBUTE = f'font-family="{FONT}"'.encode()
"""How the SVG names it; a browser without it falls back to a font as wide (Verdana)."""

MISSING_DOT = (
    "the theory-of-change diagram is laid out by Graphviz, whose 'dot' program is not "
    "installed: install the Debian package graphviz (apt-get install graphviz; `make setup` "
    "does it when run as root) and build the report again"
)


@dataclass
class Node:
    """An outcome's box: its title, the small lines above it (its level), its indicators as
    (label, "value trend") pairs and any evidence lines under them."""

    id: str
    title: str
    above: list[str]
    rows: list[tuple[str, str]]
    evidence: list[str] = field(default_factory=list)


@dataclass
class Edge:
    """A link "``source`` leads to ``target``", with its evidence as ``label`` ('': none)."""

    source: str
    target: str
    label: str = ""


def _lines(text: str, width: int) -> str:
    """``text`` escaped for an HTML-like label, wrapped at ``width`` characters (left) at
    ordinary spaces only (never at the no-break space before a French colon or percent).

    >>> _lines("a b\u00a0: c", 4)
    'a<BR ALIGN="LEFT"/>b\xa0:<BR ALIGN="LEFT"/>c<BR ALIGN="LEFT"/>'
    """
    words, lines, line = [w for w in text.split(" ") if w], [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return '<BR ALIGN="LEFT"/>'.join(escape(x, quote=False) for x in lines) + '<BR ALIGN="LEFT"/>'


def _label(node: Node) -> str:
    """The node's HTML-like label: level, title, then one row per indicator."""
    level = escape(" · ".join(node.above), quote=False)
    cells = [
        f'<TR><TD COLSPAN="3" ALIGN="LEFT"><FONT POINT-SIZE="8" COLOR="#444444">{level}</FONT>'
        "</TD></TR>",
        f'<TR><TD COLSPAN="3" ALIGN="LEFT"><B>{_lines(node.title, 34)}</B></TD></TR>',
    ]
    for name, value in node.rows:
        cells.append(
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{_lines(name, 38)}</TD><TD WIDTH="8"></TD>'
            f'<TD ALIGN="RIGHT" VALIGN="TOP">{escape(value, quote=False)}</TD></TR>'
        )
    for line in node.evidence:
        cells.append(f'<TR><TD COLSPAN="3" ALIGN="LEFT"><I>{_lines(line, 46)}</I></TD></TR>')
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(cells)
        + "</TABLE>>"
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_text(nodes: list[Node], edges: list[Edge]) -> str:
    """The diagram as DOT text, top to bottom, nodes and edges in the given order."""
    lines = [
        "digraph theory_of_change {",
        f'  graph [rankdir=TB, nodesep=0.3, ranksep=0.5, pad=0.1, bgcolor="white", '
        f'fontname="{FONT}"];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#e8f1fa", color="{COLOURS[0]}", '
        f'fontname="{FONT}", fontsize=9, margin="0.1,0.06"];',
        f'  edge [color="#555555", arrowsize=0.7, fontname="{FONT}", fontsize=8, '
        f'fontcolor="#333333"];',
    ]
    lines += [f"  {_quote(n.id)} [label={_label(n)}];" for n in nodes]
    for e in edges:
        extra = f" [label=<{_lines(e.label, 32)}>]" if e.label else ""
        lines.append(f"  {_quote(e.source)} -> {_quote(e.target)}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str, fmt: str) -> bytes:
    """Graphviz's output for ``text`` in ``fmt`` (``svg``, ``pdf``)."""
    program = shutil.which("dot")
    if program is None:
        raise ReportError(MISSING_DOT)
    done = subprocess.run(
        [program, f"-T{fmt}"], input=text.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise ReportError(f"Graphviz could not draw the diagram: {done.stderr.decode().strip()}")
    return done.stdout


def stable_svg(svg: bytes) -> bytes:
    """Graphviz's SVG without its version comment and with a fixed title (ids are stable).

    >>> stable_svg(b'<!-- Generated by graphviz version 2.43.0 (0)\\n -->\\n<svg/>')
    b'<svg/>'
    """
    text = re.sub(rb"<!-- Generated by graphviz[^>]*-->\n", b"", svg)
    text = re.sub(rb"<!-- Title: .*? Pages: \d+ -->\n", b"", text)
    return text.replace(FONT_ATTRIBUTE, FONT_ATTRIBUTE[:-1] + b',Verdana,sans-serif"')


def stable_pdf(pdf: bytes, epoch: int | None = None) -> bytes:
    """Cairo's PDF with its creation date set to ``epoch`` (default ``SOURCE_DATE_EPOCH``,
    else 0), written in the same number of bytes so the cross-reference table stays right.

    >>> stable_pdf(b"/CreationDate (D:20261203093947Z)", 0)
    b'/CreationDate (D:19700101000000Z)'
    """
    if epoch is None:
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    stamp = time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime(epoch)).encode()

    def fixed(match: re.Match[bytes]) -> bytes:
        return match.group(1) + stamp + b")"

    return re.sub(rb"(/(?:CreationDate|ModDate) \()D:\d{14}Z\)", fixed, pdf)


def render(text: str, folder: str | Path, name: str, pdf: bool = False) -> Path:
    """Write ``<folder>/<name>.svg`` (and ``.pdf`` if ``pdf``) from DOT ``text``; returns the
    SVG's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.svg"
    path.write_bytes(stable_svg(_dot(text, "svg")))
    if pdf:
        path.with_suffix(".pdf").write_bytes(stable_pdf(_dot(text, "pdf")))
    return path
