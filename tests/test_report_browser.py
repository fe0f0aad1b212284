"""The built site in a real browser: no console errors, a screenshot of key findings; every
page of the demo and synthetic books at desktop and phone width (no table or figure wider
than its box at 1280 px, nothing cut off and no sideways scrolling at 390 px); each table's
CSV link is its public results table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci_eval.results import ResultsStore
from report_browser import (
    browser,
    chromium_missing,
    console_errors,
    layout_problems,
    open_page,
    serve,
)
from report_synthetic import built_site

pytestmark = pytest.mark.slow

MISSING = chromium_missing()


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_pages_open_without_console_errors_and_key_findings_screenshot(tmp_path_factory):
    site = built_site(tmp_path_factory)
    pages = ["index.html"] + [
        f"{lang}/{name}.html"
        for lang in ("en", "fr")
        for name in ("intro", "key_findings", "mentoring_gap", "outcomes", "theory_of_change")
    ]
    with serve(site) as url, browser() as driver:
        for page in pages:
            driver.get(f"{url}/{page}")
            assert driver.execute_script("return document.readyState") == "complete"
            assert console_errors(driver) == [], page
            broken = driver.execute_script(
                "return Array.from(document.images)"
                ".filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)"
            )
            assert broken == [], f"{page}: images that did not load: {broken}"
        driver.get(f"{url}/fr/key_findings.html")
        assert driver.execute_script("return document.documentElement.lang") == "fr"
        driver.get(f"{url}/en/key_findings.html")
        cards = driver.execute_script("return document.querySelectorAll('.ci-card').length")
        assert cards >= 2
        shot = Path(tmp_path_factory.mktemp("shots")) / "key-findings.png"
        driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def site_pages(site: Path) -> list[str]:
    """Every page of a built site: the language chooser and each language's pages."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob("*/*.html"))
    return ["index.html", *pages]


def layout_and_console(site: Path) -> list[str]:
    """Load every page at desktop (1280 px) and phone (390 px) width: what
    :func:`report_browser.layout_problems` finds, and every console error."""
    problems = []
    with serve(site) as url, browser() as driver:
        for page in site_pages(site):
            open_page(driver, f"{url}/{page}")
            for width in (1280, 390):
                problems += [f"{page} at {width} px: {p}" for p in layout_problems(driver, width)]
            problems += [f"{page}: console error {e}" for e in console_errors(driver)]
    return problems


def download_problems(site: Path, store: Path) -> list[str]:
    """Every table's CSV link leads to a copy of a public results table, byte for byte;
    no program's private table is in the site."""
    problems = []
    public = ResultsStore(store)
    for html in site.glob("*/*.html"):
        links = re.findall(r'<a href="([^"]+)" download type="text/csv"', html.read_text())
        for href in links:
            target = html.parent / href
            name = target.stem
            if not target.exists():
                problems.append(f"{html.name}: {href} is not in the site")
            elif name not in public.names(private=False):
                problems.append(f"{html.name}: {href} is not a public results table")
            elif target.read_bytes() != public.path(name, ".csv").read_bytes():
                problems.append(f"{html.name}: {href} differs from the results table {name}")
    private = {p.name for p in (store / "private").rglob("*.csv")}
    shipped = {p.name for p in site.rglob("*.csv")}
    if private & shipped - {p.name for p in (store / "tables").glob("*.csv")}:
        problems.append(f"private tables in the site: {sorted(private & shipped)}")
    return problems


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_every_page_of_the_demo_book_fits_at_desktop_and_phone_width(demo_built):
    site = demo_built / "reports/2024/site"
    problems = layout_and_console(site)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_every_page_of_the_synthetic_book_fits_at_desktop_and_phone_width(tmp_path_factory):
    problems = layout_and_console(built_site(tmp_path_factory))
    assert not problems, "\n".join(problems[:40])


def test_every_table_of_the_demo_book_offers_its_public_results_table(demo_built):
    store = demo_built / "reports/2024"
    links = list((store / "site").glob("*/_static/tables/*.csv"))
    assert {p.parent.parent.parent.name for p in links} == {"en", "fr"}
    problems = download_problems(store / "site", store)
    assert not problems, "\n".join(problems[:40])


def test_the_layout_probe_sees_a_table_wider_than_its_box(tmp_path):
    """The check itself: a page with a clipped table, a page that scrolls sideways."""
    if MISSING is not None:
        pytest.skip(MISSING)
    wide = "<tr>" + "".join(f"<td>column{i}</td>" for i in range(40)) + "</tr>"
    (tmp_path / "clipped.html").write_text(
        '<html><body><article style="width:600px">'
        f'<figure style="overflow-x:auto"><table>{wide}</table></figure></article></body></html>'
    )
    (tmp_path / "sideways.html").write_text(
        f"<html><body><article><table>{wide}</table></article></body></html>"
    )
    with serve(tmp_path) as url, browser() as driver:
        driver.get(f"{url}/clipped.html")
        desktop, phone = layout_problems(driver, 1280), layout_problems(driver, 390)
        driver.get(f"{url}/sideways.html")
        sideways = layout_problems(driver, 390)
    assert any("px box" in p for p in desktop), desktop
    assert not any("px box" in p for p in phone), phone  # may scroll in its own box there
    assert any("scrolls sideways" in p for p in sideways), sideways
    assert any("cut off" in p for p in sideways), sideways
