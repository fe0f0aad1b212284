"""A program's private page as PDF, beside its HTML: ``benchmark-<lang>.pdf``.

The PDF shows what the HTML page shows, from the same HTML: the page's article is read by
:func:`ci_eval.report.latex.block_latex` (the converter of the book's PDF edition: tables as
``xltabular`` with ``booktabs`` rules, notes in small type) and set in a one-column letter-size
document in the page's language (``babel``), then ``pdflatex`` runs until its table widths
settle. It is written whenever the book's PDF edition can be (``pdflatex`` installed:
:func:`ci_eval.report.pdf.pdf_available`), and, as the edition, its bytes depend on the page
only (dates from ``SOURCE_DATE_EPOCH``, no trailer ``/ID``, no ``/PTEX`` keys).

>>> tex = page_latex('<article><h1>P1</h1><p>Peers: 5%</p></article>', "fr", "Programme P1")
>>> "\\\\usepackage[french]{babel}" in tex, "Peers: 5\\\\%" in tex
(True, True)
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ci_eval.report.latex import block_latex, latex_text, parse_html, unicode_preamble
from ci_eval.report.pdf import MAX_PASSES, RERUN, _pdflatex

BABEL = {"en": "english", "fr": "french"}
DOCUMENT = r"""\documentclass[10pt,letterpaper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[%(babel)s]{babel}
\usepackage[margin=1in]{geometry}
\usepackage{booktabs}
\usepackage{ragged2e}
\usepackage{xltabular}
\usepackage{graphicx}
\usepackage[export]{adjustbox}
\usepackage{hyperref}
\hypersetup{pdftitle={%(title)s}, pdfauthor={}, pdfcreator={ci-eval}, pdfproducer={}}
\ifdefined\pdftrailerid \pdftrailerid{} \fi
\ifdefined\pdfsuppressptexinfo \pdfsuppressptexinfo=-1 \fi
\setcounter{secnumdepth}{0}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
\newcommand{\chapter}[1]{{\LARGE\bfseries #1\par}\medskip}
%(unicode)s
\begin{document}
\RaggedRight
%(body)s
\end{document}
"""


def page_latex(html: str, lang: str, title: str) -> str:
    """The LaTeX document of a page's HTML (its ``<article>``, else the whole)."""
    tree = parse_html(html)
    article = tree.find("article")
    inner = html if article is None else _inner_html(html)
    return DOCUMENT % {
        "babel": BABEL.get(lang, "english"),
        "title": latex_text(title),
        "unicode": unicode_preamble(),
        "body": block_latex(inner, Path(".")),
    }


def _inner_html(html: str) -> str:
    """What lies between ``<article>`` and ``</article>``."""
    found = re.search(r"<article[^>]*>(.*)</article>", html, flags=re.S)
    return found.group(1) if found else html


def write_pdf(latex: str, path: Path) -> Path:
    """Typeset ``latex`` into ``path`` (written whole or not at all); the LaTeX runs in a
    temporary folder that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ci-eval-program-") as work:
        folder = Path(work)
        (folder / "page.tex").write_text(latex, encoding="utf-8")
        for _ in range(MAX_PASSES):
            if not RERUN.search(_pdflatex(folder, "page.tex")):
                break
        tmp = path.with_name(f".{path.name}.tmp")
        shutil.copyfile(folder / "page.pdf", tmp)
        os.replace(tmp, path)
    return path
