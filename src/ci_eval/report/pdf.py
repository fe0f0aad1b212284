"""The PDF edition: Sphinx's LaTeX builder on the rendered pages, then pdfLaTeX.

Each language's rendered book (:func:`ci_eval.report.build.render_book` with ``pdf``)
holds every block twice, as raw HTML and as raw LaTeX (:mod:`ci_eval.report.latex`),
and every figure as SVG and PDF. After the HTML build, Sphinx's ``latex`` builder
reuses its doctrees (nothing is read twice) and writes ``_build/latex/<name>.tex``;
``pdflatex`` (Debian's texlive: ``texlive-latex-recommended``, ``texlive-latex-extra``,
``texlive-fonts-recommended``, ``texlive-lang-french``, ``lmodern``) runs until its
cross-references settle.

The PDF's bytes depend on the pages only: pdfTeX takes its dates from
``SOURCE_DATE_EPOCH`` with ``FORCE_SOURCE_DATE=1``, the trailer's ``/ID`` is empty
(``\\pdftrailerid{}``), the ``/PTEX.*`` keys that name included files and the TeX
version are suppressed, and the figures' PDFs carry no date
(:data:`ci_eval.report.figure_files.PDF_METADATA`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

from ci_eval.errors import ReportError
from ci_eval.report.latex import unicode_preamble

PDFLATEX = "pdflatex"
# Debian's packages of what the edition uses (the Makefile's `setup` installs them as root)
TEXLIVE = (
    "texlive-latex-recommended",
    "texlive-latex-extra",
    "texlive-fonts-recommended",
    "texlive-lang-french",
    "lmodern",
)
LATEX_DIR = Path("_build") / "latex"  # in a language's work folder; images are at ../../
MAX_PASSES = 5
RERUN = re.compile(r"Rerun to get|Rerun LaTeX|Label\(s\) may have changed|Table widths have")
PREAMBLE = r"""
\usepackage{booktabs}
\usepackage{ragged2e}
\usepackage{xltabular}
\usepackage[export]{adjustbox}
\graphicspath{{../../}}
\ifdefined\pdftrailerid \pdftrailerid{} \fi
\ifdefined\pdfsuppressptexinfo \pdfsuppressptexinfo=-1 \fi
\setcounter{tocdepth}{1}
\raggedbottom
"""
TITLE_PAGE = r"""
\hypersetup{pdftitle={%(title)s}, pdfauthor={%(author)s}, pageanchor=false}
\begin{titlepage}
\raggedright
\vspace*{0.25\textheight}
{\Huge\bfseries %(title)s\par}
\bigskip
{\Large %(subtitle)s\par}
\vfill
{\large %(author)s\par}
\end{titlepage}
\hypersetup{pageanchor=true}
"""
# The root page (the introduction) has the book's title, which Sphinx takes for the
# document's: after the contents it gets a chapter heading of its own.
CONTENTS = r"""
\sphinxtableofcontents
\chapter*{%(intro)s}\addcontentsline{toc}{chapter}{%(intro)s}\markboth{%(intro)s}{%(intro)s}
"""


def pdf_available() -> bool:
    """Whether ``pdflatex`` is on the ``PATH`` (the PDF edition is skipped otherwise)."""
    return shutil.which(PDFLATEX) is not None


def pdf_name(title: str, edition: str) -> str:
    """The PDF's file name: the title and edition in lower-case ASCII words.

    >>> pdf_name("L'état du mentorat", "2024")
    'l-etat-du-mentorat-2024.pdf'
    """
    ascii_text = unicodedata.normalize("NFKD", f"{title} {edition}").encode("ascii", "ignore")
    words = re.findall(r"[a-z0-9]+", ascii_text.decode().lower())
    return "-".join(words or ["report"]) + ".pdf"


def latex_settings(words: dict[str, Any], title: str, author: str, tex: str) -> dict[str, Any]:
    """The ``conf.py`` values of Sphinx's LaTeX builder for one language's edition.

    >>> words = {"book": {"subtitle": "S"}, "pdf": {"introduction": "Introduction"}}
    >>> s = latex_settings(words, "T 2024", "A", "t-2024.tex")
    >>> s["latex_documents"][0][:2], s["latex_engine"]
    (('intro', 't-2024.tex'), 'pdflatex')
    """
    from ci_eval.report.latex import latex_text

    subtitle = str(words.get("book", {}).get("subtitle", ""))
    title_page = TITLE_PAGE % {
        "title": latex_text(title),
        "subtitle": latex_text(subtitle),
        "author": latex_text(author),
    }
    return {
        "latex_engine": "pdflatex",
        "latex_documents": [("intro", tex, title, author, "manual")],
        "latex_domain_indices": False,
        "latex_use_xindy": False,
        "latex_elements": {
            "papersize": "letterpaper",
            "pointsize": "10pt",
            "extraclassoptions": "openany,oneside",
            "fontpkg": r"\usepackage{lmodern}",
            "fncychap": "",
            "preamble": PREAMBLE + unicode_preamble() + "\n",
            "maketitle": title_page,
            "tableofcontents": CONTENTS % {"intro": latex_text(words["pdf"]["introduction"])},
            "printindex": "",
            "makeindex": "",
        },
    }


def pdf_environment() -> dict[str, str]:
    """The environment of the PDF build: dates from ``SOURCE_DATE_EPOCH`` (default 0)."""
    return {
        **os.environ,
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"),
        "FORCE_SOURCE_DATE": "1",
    }


def build_pdf(work: Path, tex: str) -> Path:
    """Write ``work``'s LaTeX with Sphinx (reusing the HTML build's doctrees), then run
    pdfLaTeX until its references settle; returns the PDF. ``ReportError`` quotes the
    first LaTeX errors."""
    out = work / LATEX_DIR
    doctrees = work / "_build" / "html" / ".doctrees"
    command = [sys.executable, "-m", "sphinx", "-b", "latex", "-W", "--keep-going", "-q"]
    command += ["-d", str(doctrees), str(work), str(out)]
    done = subprocess.run(command, env=pdf_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ReportError(
            f"report stage: the LaTeX of {work} was not written (sphinx exit code "
            f"{done.returncode}):\n{(done.stdout + done.stderr)[-2000:]}"
        )
    for _ in range(MAX_PASSES):
        log = _pdflatex(out, tex)
        if not RERUN.search(log):
            break
    return out / Path(tex).with_suffix(".pdf")


def _pdflatex(folder: Path, tex: str) -> str:
    """One pdfLaTeX pass; returns its log."""
    command = [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex]
    done = subprocess.run(
        command, cwd=folder, env=pdf_environment(), capture_output=True, text=True, errors="replace"
    )
    log_path = folder / Path(tex).with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if done.returncode != 0:
        errors = [
            line for line in (log or done.stdout).splitlines() if line.startswith(("!", "./"))
        ]
        raise ReportError(
            f"report stage: pdflatex failed on {folder / tex} (exit code {done.returncode}):\n"
            + "\n".join(errors[:10])
            + f"\nThe whole log is {log_path}; a character pdfLaTeX lacks goes in "
            "ci_eval.report.latex.UNICODE."
        )
    return log
