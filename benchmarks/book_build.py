"""Time the book build on the demo's results store, against Sphinx alone on the same pages.

    python benchmarks/book_build.py [reports/2024]

Run `ci-eval run .` first. Four timings, in the same run on the same store: drawing every
page's blocks (both languages, in this process), Sphinx alone on the pages already drawn
(the floor: what any build of these pages with this theme costs), the whole ``build_book``
without the PDF edition, and with it (when pdflatex is installed). It prints each, the
ratio of the HTML build to the Sphinx floor and what the PDF edition adds.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ci_eval.report.build import DEFAULT_BOOK, book_settings, build_book, render_book
from ci_eval.report.format import LANGUAGES
from ci_eval.report.page import Page, load_translations
from ci_eval.report.pdf import pdf_available


def main(store: Path) -> None:
    words = load_translations(DEFAULT_BOOK / "i18n")
    settings = book_settings(DEFAULT_BOOK)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        folders = []
        for lang in LANGUAGES:
            page = Page(store, lang, words, work / lang, settings=settings)
            folders.append(render_book(DEFAULT_BOOK, work / lang, page, list(LANGUAGES), "2024"))
        drawn = time.perf_counter() - started
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(f), str(f / "out")]
            )
            for f in folders
        ]
        for process in processes:
            process.wait()
        sphinx = time.perf_counter() - started
        whole = timed_build(store, work, settings, pdf=False)
        with_pdf = timed_build(store, work, settings, pdf=True) if pdf_available() else None
    print(f"draw blocks (en + fr):        {drawn:6.1f} s")
    print(f"Sphinx alone (en + fr, floor): {sphinx:6.1f} s")
    ratio = whole / sphinx
    print(f"build_book, HTML only:        {whole:6.1f} s  = {ratio:.2f} x the Sphinx floor")
    if with_pdf is None:
        print("build_book with the PDF:      skipped (pdflatex not installed)")
    else:
        added = with_pdf - whole
        print(
            f"build_book with the PDF:      {with_pdf:6.1f} s  (the PDF edition adds {added:.1f} s)"
        )


def timed_build(store: Path, work: Path, settings: dict, pdf: bool) -> float:
    """Seconds of one ``build_book`` into ``work`` (with or without the PDF edition)."""
    started = time.perf_counter()
    build_book(store, work / "site", work=work / "book", edition="2024", settings=settings, pdf=pdf)
    return time.perf_counter() - started


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/2024").resolve())
