"""Time the book build on the demo's results store, against Sphinx alone on the same pages.

    python benchmarks/book_build.py [reports/2024]

Run `ci-eval run .` first. Three timings, in the same run on the same store: drawing every
page's blocks (both languages, in this process), Sphinx alone on the pages already drawn
(the floor: what any build of these pages with this theme costs), and the whole
``build_book``. It prints each and the ratio of the whole build to the Sphinx floor.
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
        started = time.perf_counter()
        build_book(store, work / "site", work=work / "book", edition="2024", settings=settings)
        whole = time.perf_counter() - started
    print(f"draw blocks (en + fr):        {drawn:6.1f} s")
    print(f"Sphinx alone (en + fr, floor): {sphinx:6.1f} s")
    ratio = whole / sphinx
    print(f"build_book (whole):           {whole:6.1f} s  = {ratio:.2f} x the Sphinx floor")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/2024").resolve())
