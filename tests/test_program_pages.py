"""The demo's private program pages as a manager reads them, and kept out of the public site.

Each page is opened in headless Chromium at desktop (1280 px) and phone (390 px) width: nothing
cut off or wider than its box, no console error; its text passes the language check of the
book (no variable or code name on either page, no English word and French typography on the
French one). The public site, built after every program's pages were written, holds no file
of the private folder and links none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci_eval.report.build import build_book
from ci_eval.report.pdf import pdf_available
from ci_eval.report.program_page import all_program_pages, program_page
from ci_eval.results import ResultsStore
from ci_eval.results.contract import program_table
from report_browser import (
    browser,
    chromium_missing,
    console_errors,
    layout_problems,
    open_page,
    serve,
)
from report_language import page_problems

pytestmark = pytest.mark.slow

MISSING = chromium_missing()


def _programs(store: Path) -> list[str]:
    """Three programs whose groups differ: the first, one of a pooled group (categories
    joined by "or"), and one of the smallest group."""
    results = ResultsStore(store)
    peers = results.read("benchmark_peers")
    pooled = peers[peers["peer_group"].str.contains(r"\+")]["peer_group"].iloc[0]
    smallest = peers.sort_values("programs")["peer_group"].iloc[0]
    chosen = {"P0001"}
    for label in (pooled, smallest):
        for name in results.names(private=True):
            table = results.read(name)
            if (table["peer_group"] == label).any():
                chosen.add(name.rsplit("/", 1)[-1])
                break
    return sorted(chosen)


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_the_program_pages_fit_and_read_in_their_language(demo_built):
    store = demo_built / "reports/2024"
    problems = []
    with browser() as driver:
        for program in _programs(store):
            paths = program_page(store, program, pdf=False)  # the PDFs: test_report_pdf.py
            with serve(paths[0].parent) as url:
                for path in paths:
                    lang = path.stem.rsplit("-", 1)[-1]
                    html = path.read_text(encoding="utf-8")
                    problems += [f"{path.name}: {p}" for p in page_problems(html, lang)]
                    assert not re.search(r"\w=\d", html.split("<body>")[1]), path  # codes
                    open_page(driver, f"{url}/{path.name}")
                    for width in (1280, 390):
                        problems += [
                            f"{program} {path.name} at {width} px: {p}"
                            for p in layout_problems(driver, width)
                        ]
                    problems += [f"{path.name}: console {e}" for e in console_errors(driver)]
    assert not problems, "\n".join(problems[:40])


def test_the_public_site_holds_no_file_of_the_private_folder(demo_built, tmp_path):
    store = demo_built / "reports/2024"
    written = all_program_pages(store, pdf=False)  # 820 PDFs would take minutes: one here
    if pdf_available():
        assert program_page(store, "P0001", pdf=True)[1].suffix == ".pdf"
    results = ResultsStore(store)
    assert set(written) == {n.rsplit("/", 1)[-1] for n in results.names(private=True)}
    for program, paths in written.items():
        assert {p.parent for p in paths} == {results.path(program_table(program)).parent}
    site = tmp_path / "site"
    build_book(store, site, edition="2024")
    private = {p.read_bytes() for p in (store / "private").rglob("*") if p.is_file()}
    shipped = [p for p in site.rglob("*") if p.is_file()]
    assert shipped and not [p for p in shipped if p.read_bytes() in private]
    assert not [p for p in shipped if p.name.startswith("benchmark")]
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "private/" not in text and "benchmark-en" not in text, page
