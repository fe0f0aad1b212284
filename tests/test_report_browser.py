"""The built site in a real browser: no console errors, a screenshot of key findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from report_browser import browser, chromium_missing, console_errors, serve
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
