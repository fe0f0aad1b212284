"""Open a built site in headless Chromium (Debian's ``chromium`` + ``chromedriver``).

Used by tests/test_report_browser.py, and as a script to refresh the README's
screenshots from the demo report (site, image, page, width in CSS px)::

    python tests/report_browser.py reports/2024/site docs/key-findings.png
    python tests/report_browser.py reports/2024/site docs/explorer-en.png \
        "en/explorer.html#survey=youth&indicator=mentored_6_11&by=indigenous" 1280 1700

Selenium is pointed at /usr/bin/chromedriver explicitly, so it never looks for (or
downloads) a driver; the site is served by http.server on 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
]


def chromium_missing() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return (
            "Debian's chromium and chromium-driver are not installed "
            "(`make setup` installs them when run as root)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def browser(network: bool = False) -> Iterator[object]:
    """A headless Chromium driven by selenium, with a fresh profile, logging the console
    (and, with ``network``, every request the pages make: :func:`requested_urls`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ci-eval-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    logs = {"browser": "ALL", "performance": "ALL"} if network else {"browser": "ALL"}
    options.set_capability("goog:loggingPrefs", logs)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver: object) -> list[str]:
    """The SEVERE console messages logged since the last call."""
    # Chromium may probe the server root's /favicon.ico before it reads the icon the page
    # declares (every page links _static/favicon.svg): that probe is not the page's error
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and not re.search(r"//[^/]+/favicon\.ico ", e["message"])
    ]


def requested_urls(driver: object) -> list[str]:
    """Every URL the browser requested since the last call (Chrome's DevTools
    ``Network.requestWillBeSent`` events, from a :func:`browser` opened with ``network``)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


# What a reader would see as broken layout, measured in the page by report_layout.js
# (one line each):
# - a table, figure or image wider than the box that holds it: the nearest ancestor (or the
#   element itself) whose overflow is not visible, when its content is wider than its box
#   (scrollWidth > clientWidth), or the article when nothing in between clips or scrolls;
#   ``scroll_ok`` lets a box that scrolls (overflow auto/scroll) be wider (phone width);
# - a visible element that straddles a side of the window outside any scrolling box (cut
#   off: partly shown; a drawer slid wholly off the window is hidden, not cut);
# - the document itself scrolling sideways.
LAYOUT_JS = (Path(__file__).parent / "report_layout.js").read_text(encoding="utf-8")


def open_page(driver: object, url: str, timeout: float = 10.0) -> None:
    """Load ``url`` and wait until the document and its scripts have run."""
    import time

    driver.get(url)
    end = time.monotonic() + timeout
    while driver.execute_script("return document.readyState") != "complete":
        if time.monotonic() > end:
            raise TimeoutError(f"{url} did not finish loading in {timeout} s")
        time.sleep(0.05)


def layout_problems(driver: object, width: int) -> list[str]:
    """Resize the window to ``width`` CSS px and return what :data:`LAYOUT_JS` finds
    on the loaded page; below 768 px a table may scroll inside its own box."""
    import time

    driver.set_window_size(width, 1000)
    end = time.monotonic() + 5.0
    # the window's frame: make the viewport itself ``width`` wide (a loaded machine may
    # report the viewport of the previous size for a moment: measure again until it fits)
    while (inner := driver.execute_script("return window.innerWidth")) != width:
        if time.monotonic() > end:
            raise TimeoutError(f"the viewport stays {inner} px wide, not {width} px")
        frame = driver.get_window_size()["width"] - inner
        if 0 <= frame < width:
            driver.set_window_size(width + frame, 1000)
        time.sleep(0.05)
    return driver.execute_script(LAYOUT_JS, width < 768)


def screenshot(
    site: Path, out: Path, page: str = "en/key_findings.html", width: int = 1280, height: int = 0
) -> Path:
    """Save a screenshot of one page of a built site (``page`` may end with a ``#`` view of
    the explorer), ``width`` CSS px wide and ``height`` px tall (0: the window's 1000 px)."""
    with serve(site) as url, browser() as driver:
        open_page(driver, f"{url}/{page}")
        layout_problems(driver, width)  # sizes the viewport itself to ``width``
        if height:
            driver.set_window_size(driver.get_window_size()["width"], height)
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
    return out


if __name__ == "__main__":
    where, *size = sys.argv[3:] or ["en/key_findings.html"]
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2]), where, *map(int, size)))
