"""A block's HTML as LaTeX, for the PDF edition.

The chapter blocks (:mod:`ci_eval.report.chapters`) draw HTML from a small vocabulary:
accessible tables (:mod:`ci_eval.report.html_table`), figures (``<figure class="ci-figure">``
from :mod:`ci_eval.report.figure_files`), cards, lists, headings and paragraphs. This module
reads that HTML (with :mod:`html.parser`) and writes the same content as LaTeX, so the PDF
shows what the site shows without a second drawing of each block:

- a table becomes a ``xltabular`` (a ``longtable`` that breaks across pages, repeats its
  header and fits the line width) with ``booktabs`` rules; numeric columns (the cells
  :func:`~ci_eval.report.html_table.html_table` marks ``num``) are right-aligned and the
  font is made smaller when the columns would not fit otherwise;
- a figure ``<img src="x.svg">`` is shown from the vector PDF saved beside it (``x.pdf``,
  see :func:`~ci_eval.report.figure_files.save_figure`), or a PNG;
- cards become framed boxes, three to a row; lists, headings, emphasis, code and links
  their LaTeX equivalents; a download link (``<a download>``) is left out; other
  elements give their content.

The characters LaTeX reserves are escaped; the non-Latin-1 characters the report uses
(arrows, the narrow no-break space of French numbers, ...) are declared once in
:data:`UNICODE` and set up in the document's preamble (:func:`unicode_preamble`), so the
prose that Sphinx writes gets them too.

>>> print(block_latex('<ul><li>55.8% of <em>all</em></li></ul>', Path(".")))
\\begin{itemize}
\\item 55.8\\% of \\emph{all}
\\end{itemize}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ci_eval.errors import ReportError

# Characters outside what pdfLaTeX's utf8 input and T1 fonts set by themselves.
UNICODE = {
    "\u202f": r"\nobreak\hspace{0.17em}\ignorespaces",
    "\u2009": r"\hspace{0.17em}",
    "\u2192": r"\ensuremath{\rightarrow}",
    "\u2190": r"\ensuremath{\leftarrow}",
    "\u2191": r"\ensuremath{\uparrow}",
    "\u2193": r"\ensuremath{\downarrow}",
    "\u2197": r"\ensuremath{\nearrow}",
    "\u2198": r"\ensuremath{\searrow}",
    "\u2212": r"\ensuremath{-}",
    "\u2264": r"\ensuremath{\leq}",
    "\u2265": r"\ensuremath{\geq}",
    "\u2248": r"\ensuremath{\approx}",
    "\u2260": r"\ensuremath{\neq}",
    "\u2026": r"\textellipsis{}",
    "\u03b1": r"\ensuremath{\alpha}",
    "\u03c7": r"\ensuremath{\chi}",
    "\u2713": r"\ensuremath{\checkmark}",
}
SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_\allowbreak{}",
    "~": r"\textasciitilde{}",
    "%": r"\%",
    "/": r"/\allowbreak{}",
    "`": r"\textasciigrave{}",
    "\n": " ",
}
VOID = {"img", "br", "hr", "wbr", "meta", "link", "input", "col", "source"}
HEADINGS = {"h1": "chapter", "h2": "section", "h3": "subsection", "h4": "subsubsection"}
INLINE = {
    "strong": r"\textbf",
    "b": r"\textbf",
    "em": r"\emph",
    "i": r"\emph",
    "code": r"\texttt",
    "kbd": r"\texttt",
    "sup": r"\textsuperscript",
    "sub": r"\textsubscript",
}
# How text of a class looks (the site's CSS classes, ci-eval.css)
CLASS_STYLE = {
    "ci-card-value": r"\Large\bfseries",
    "ci-card-label": r"\bfseries",
    "ci-ci": r"\small",
    "ci-card-trend": r"\small",
    "ci-card-change": r"\small",
    "ci-notes": r"\footnotesize",
}
TEXT_WIDTH_EM = 44.0  # the line width (6.5 in at 10 pt) in ems of the body font
CHAR_EM, WORD_EM, GAP_EM = 0.5, 0.6, 1.0  # a digit; a letter of a long word; between columns
SHORT = 24  # a text column no wider than this (in characters) is not wrapped
FONT_SIZES = [(1.0, ""), (0.9, r"\small"), (0.8, r"\footnotesize"), (0.7, r"\scriptsize")]
CARDS_PER_ROW, CARD_GAP = 3, 0.015  # the gap between cards, as a share of the line


def latex_text(text: str) -> str:
    """Plain text with LaTeX's reserved characters escaped (paths may break after ``/``).

    >>> latex_text("50% of {a_b} & ~c")
    '50\\\\% of \\\\{a\\\\_\\\\allowbreak{}b\\\\} \\\\& \\\\textasciitilde{}c'
    """
    return "".join(SPECIAL.get(char, char) for char in text)


def unicode_preamble() -> str:
    r"""The ``\DeclareUnicodeCharacter`` lines for :data:`UNICODE`.

    >>> unicode_preamble().splitlines()[2]
    '\\DeclareUnicodeCharacter{2192}{\\ensuremath{\\rightarrow}}'
    """
    return "\n".join(
        f"\\DeclareUnicodeCharacter{{{ord(char):04X}}}{{{latex}}}"
        for char, latex in UNICODE.items()
    )


# ---------------------------------------------------------------- reading the HTML
@dataclass
class Node:
    """An HTML element: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def elements(self, tag: str | None = None) -> list[Node]:
        """The child elements (of ``tag``)."""
        return [c for c in self.children if isinstance(c, Node) and tag in (None, c.tag)]

    def find(self, tag: str) -> Node | None:
        """The first descendant element ``tag``, depth first."""
        for child in self.elements():
            if child.tag == tag:
                return child
            found = child.find(tag)
            if found is not None:
                return found
        return None

    def text(self) -> str:
        """The text content, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    """The element tree of a fragment of HTML (under a ``root`` node).

    >>> parse_html("<p class='a'>x<br>y</p>").elements()[0].classes
    ['a']
    """
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# ---------------------------------------------------------------- writing LaTeX
def block_latex(html: str, root: Path) -> str:
    """The LaTeX of one block's HTML; images are found relative to ``root`` (the book)."""
    return _Writer(root).children(parse_html(html)).strip()


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root

    def children(self, node: Node) -> str:
        return "".join(
            self.inline_text(c) if isinstance(c, str) else self.node(c) for c in node.children
        )

    def inline_text(self, text: str) -> str:
        return latex_text(re.sub(r"[ \t\r\n]+", " ", text))

    def node(self, node: Node) -> str:
        if "download" in node.attrs:  # a download link means nothing on paper
            return ""
        if node.tag == "figure" and node.find("table") is not None:
            return self.table_figure(node)
        if node.tag == "figure" or node.tag == "img":
            return self.figure(node)
        if node.tag == "table":
            return _Table(self, node).latex()
        if "ci-cards" in node.classes:
            return self.cards(node)
        if node.tag in ("ul", "ol"):
            return self.itemize(node)
        if node.tag in HEADINGS:
            return f"\n\\{HEADINGS[node.tag]}{{{self.children(node).strip()}}}\n"
        if node.tag in ("p", "div", "section", "details", "dl", "dd", "blockquote"):
            return f"\n{self.styled(node, par=True)}\n"
        if node.tag in ("summary", "dt"):
            return f"\n\\textbf{{{self.children(node).strip()}}}\\par\n"
        return self.inline(node)

    def inline(self, node: Node) -> str:
        if node.tag in INLINE:
            return f"{INLINE[node.tag]}{{{self.children(node)}}}"
        if node.tag == "br":
            return "\\newline{}"
        if node.tag == "a":
            href = node.attrs.get("href", "")
            if re.match(r"https?://", href):
                url = re.sub(r"([%#\\{}])", r"\\\1", href)
                return f"\\href{{{url}}}{{{self.children(node)}}}"
            return self.children(node)
        if node.tag == "pre":
            return f"\n\\begin{{verbatim}}\n{node.text()}\n\\end{{verbatim}}\n"
        if node.tag in ("svg", "canvas", "script", "style", "iframe"):
            raise ReportError(
                f"the PDF edition cannot show an inline <{node.tag}>: save the drawing as a "
                "file with ci_eval.report.figure_files.save_figure (it writes the PDF too)"
            )
        return self.styled(node)

    def styled(self, node: Node, par: bool = False) -> str:
        """The content in its class's style; a paragraph ends inside the style's group."""
        styles = "".join(CLASS_STYLE[c] for c in node.classes if c in CLASS_STYLE)
        body = self.children(node).strip() + ("\\par" if par else "")
        return f"{{{styles} {body}}}" if styles else body

    def itemize(self, node: Node) -> str:
        env = "enumerate" if node.tag == "ol" else "itemize"
        items = [f"\\item {self.children(li).strip()}" for li in node.elements("li")]
        if not items:
            return ""
        return "\n".join([f"\n\\begin{{{env}}}", *items, f"\\end{{{env}}}\n"])

    def cards(self, node: Node) -> str:
        share = (1 - CARD_GAP * (CARDS_PER_ROW - 1)) / CARDS_PER_ROW
        width = f"\\dimexpr{share:.3f}\\linewidth-2\\fboxsep-2\\fboxrule\\relax"
        boxes = [
            f"\\fbox{{\\begin{{minipage}}[t]{{{width}}}\\raggedright "
            f"{self.children(card).strip()}\\end{{minipage}}}}"
            for card in node.elements()
        ]
        rows = [
            f"\\hspace{{{CARD_GAP}\\linewidth}}".join(boxes[i : i + CARDS_PER_ROW])
            for i in range(0, len(boxes), CARDS_PER_ROW)
        ]
        return "\n\\par\\medskip\\noindent " + "\\par\\medskip\\noindent ".join(rows) + "\\par\n"

    # ------------------------------------------------------------ figures
    def figure(self, node: Node) -> str:
        img = node if node.tag == "img" else node.find("img")
        if img is None:
            return f"\n{self.children(node)}\\par\n"
        path = self.companion(img.attrs.get("src", ""))
        caption = node.find("figcaption")
        lines = [
            "\n\\begin{center}\\begin{minipage}{\\linewidth}\\centering",
            f"\\includegraphics[max width=\\linewidth,max height=0.62\\textheight]{{{path}}}",
        ]
        if caption is not None:
            lines.append(f"\\par\\smallskip\\raggedright{{\\small {self.caption(caption)}}}")
        lines.append("\\end{minipage}\\end{center}\n")
        return "\n".join(lines)

    def caption(self, caption: Node) -> str:
        parts = []
        for child in caption.children:
            if isinstance(child, Node) and "ci-notes" in child.classes:
                parts.append(f"{{\\footnotesize {self.children(child).strip()}}}")
            else:
                parts.append(
                    self.inline_text(child) if isinstance(child, str) else self.node(child)
                )
        if not parts:
            return ""
        title, *notes = parts
        return f"\\textbf{{{title.strip()}}} " + "".join(notes).strip()

    def companion(self, src: str) -> str:
        """The PDF (or PNG) saved beside the image the page shows, as a LaTeX path."""
        stem = Path(src).with_suffix("")
        for suffix in (".pdf", ".png"):
            if (self.root / stem).with_suffix(suffix).exists():
                return f"{stem.as_posix()}{suffix}"
        raise ReportError(
            f"the PDF edition needs {stem}.pdf (or .png) beside {src} in {self.root}; "
            "save figures with ci_eval.report.figure_files.save_figure(..., pdf=True)"
        )

    # ------------------------------------------------------------ tables
    def table_figure(self, node: Node) -> str:
        notes = [self.children(p).strip() for p in node.elements() if p.tag != "table" and p.text()]
        out = "".join(_Table(self, t).latex() for t in node.elements("table"))
        if notes:
            out += "{\\footnotesize " + " ".join(notes) + "\\par}\n"
        return out


class _Table:
    """One HTML table as an ``xltabular`` with its column types and font size."""

    def __init__(self, writer: _Writer, node: Node) -> None:
        self.writer = writer
        caption = node.find("caption")
        self.caption = writer.children(caption).strip() if caption is not None else ""
        head = node.find("thead")
        bodies = node.elements("tbody") or [node]  # a group of rows is a <tbody> of its own
        self.head = [self.cells(tr) for tr in (head.elements("tr") if head else [])]
        self.body = [self.cells(tr) for b in bodies for tr in b.elements("tr")]
        # the rows that give the columns their type and width: not a group's heading row
        self.grid = [r for r in self.body if not (len(r) == 1 and r[0].attrs.get("colspan"))]
        self.columns = max((len(r) for r in self.head + self.body), default=0)
        self.numeric = [self.is_numeric(j) for j in range(self.columns)]
        self.widths = [self.width(j) for j in range(self.columns)]
        # "r": numbers, "l": short text on one line, "X": text that wraps to fit the line
        self.kinds = [
            "r" if num else ("l" if j > 0 and w <= SHORT else "X")
            for j, (num, w) in enumerate(zip(self.numeric, self.widths, strict=True))
        ]
        if self.needed() * FONT_SIZES[-1][0] > TEXT_WIDTH_EM:  # short text wraps too
            self.kinds = ["X" if kind == "l" else kind for kind in self.kinds]

    def cells(self, tr: Node) -> list[Node]:
        return [c for c in tr.elements() if c.tag in ("td", "th")]

    def is_numeric(self, j: int) -> bool:
        cells = [r[j] for r in self.grid if j < len(r) and r[j].text()]
        return j > 0 and bool(cells) and 2 * sum("num" in c.classes for c in cells) >= len(cells)

    def width(self, j: int) -> int:
        """The widest cell of column ``j`` in characters (headers: their longest word)."""
        body = [len(r[j].text()) for r in self.grid if j < len(r)]
        head = [max(map(len, r[j].text().split()), default=0) for r in self.head if j < len(r)]
        return max(body + head + [1])

    def longest_word(self, j: int) -> int:
        """The longest word of column ``j`` in characters (a wrapped cell's narrowest)."""
        words = [len(w) for r in self.head + self.grid if j < len(r) for w in r[j].text().split()]
        return max(words, default=1)

    def fixed(self) -> float:
        """The width of the columns that do not wrap, in ems of the table's font."""
        pairs = zip(self.widths, self.kinds, strict=True)
        return sum(CHAR_EM * w + GAP_EM for w, kind in pairs if kind != "X")

    def floors(self) -> list[float]:
        """The narrowest width of each wrapping column: its longest word (8 to 24 letters)."""
        wrapped = [j for j, kind in enumerate(self.kinds) if kind == "X"]
        return [WORD_EM * min(max(self.longest_word(j), 8), 24) + GAP_EM for j in wrapped]

    def needed(self) -> float:
        return self.fixed() + sum(self.floors())

    def font(self) -> tuple[str, list[float]]:
        """The font size that fits the columns on the line, and the wrapping columns'
        widths relative to their mean (``\\hsize``); a wrapping column is given at least
        its longest word."""
        fixed, floors = self.fixed(), self.floors()
        wrapped = [j for j, kind in enumerate(self.kinds) if kind == "X"]
        scale, size = next(
            ((scale, cmd) for scale, cmd in FONT_SIZES if self.needed() * scale <= TEXT_WIDTH_EM),
            FONT_SIZES[-1],
        )
        room = max(TEXT_WIDTH_EM / scale - fixed, sum(floors))
        wanted = [min(self.widths[j], 60) for j in wrapped]
        widths = [max(f, room * w / sum(wanted)) for f, w in zip(floors, wanted, strict=True)]
        extra = sum(widths) - room  # taken back from the columns above their floor
        loose = sum(w - f for w, f in zip(widths, floors, strict=True)) or 1
        widths = [w - extra * (w - f) / loose for w, f in zip(widths, floors, strict=True)]
        mean = sum(widths) / len(widths) if widths else 1
        return size, [w / mean for w in widths]

    def spec(self, shares: list[float]) -> str:
        spec, k = [], 0
        for kind in self.kinds:
            if kind == "X":
                spec.append(f">{{\\RaggedRight\\arraybackslash\\hsize={shares[k]:.3f}\\hsize}}X")
                k += 1
            else:
                spec.append(kind)
        return "@{}" + "".join(spec) + "@{}"

    def row(self, cells: list[Node], header: bool = False) -> str:
        out = []
        for j, cell in enumerate(cells):
            text = self.writer.children(cell).strip()
            span = int(cell.attrs.get("colspan", "1") or 1)
            if header and j < self.columns and self.kinds[j] != "X":
                kind = self.kinds[j]
                lines = self.header_lines(cell.text(), self.widths[j])
                text = (
                    f"\\begin{{tabular}}[b]{{@{{}}{kind}@{{}}}}"
                    + "\\\\".join(lines)
                    + "\\end{tabular}"
                )
            if span > 1:  # a group's heading row (its one cell spans the table): in bold
                text = f"\\multicolumn{{{span}}}{{@{{}}l}}{{\\textbf{{{text}}}}}"
            out.append(text)
        return " & ".join(out) + " \\\\"

    def header_lines(self, text: str, width: int) -> list[str]:
        """A numeric column's header broken into lines no wider than its cells."""
        lines: list[str] = []
        for word in text.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return [latex_text(line) for line in lines] or [""]

    def latex(self) -> str:
        if not self.columns:
            return ""
        size, shares = self.font()
        head = "\n".join(self.row(r, header=True) for r in self.head)
        caption = f"\\caption*{{\\textbf{{{self.caption}}}}}\\\\\n" if self.caption else ""
        top = f"\\toprule\n{head}\n\\midrule\n" if head else "\\toprule\n"
        return "".join(
            [
                f"\n\\begingroup{size}\\setlength{{\\tabcolsep}}{{4pt}}\n",
                f"\\begin{{xltabular}}{{\\linewidth}}{{{self.spec(shares)}}}\n",
                f"{caption}{top}\\endfirsthead\n",
                f"{top}\\endhead\n\\bottomrule\n\\endlastfoot\n",
                "\n".join(self.row(r) for r in self.body),
                "\n\\end{xltabular}\n\\endgroup\n",
            ]
        )
