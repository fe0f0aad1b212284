"""The data explorer of the demo book in real headless Chromium: pick an indicator and a
breakdown, and the chart and the table show the results table's numbers (to the displayed
precision), in each language's labels and number formats, suppressed cells as suppressed;
the CSV holds what the table shows; the address keeps the choice; no console error and no
request to any other host.

Run on a built edition from the shell (prints what is wrong, nothing when all is well)::

    python tests/test_report_explorer_browser.py reports/2024
"""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ci_eval.report.format import typeset
from ci_eval.results import ResultsStore
from report_browser import (
    browser,
    chromium_missing,
    console_errors,
    layout_problems,
    open_page,
    requested_urls,
    serve,
)
from report_language import page_problems

MISSING = chromium_missing()
SYMBOL_TITLES = {
    "en": {"F": "too unreliable to be published", "x": "suppressed to protect confidentiality"},
    "fr": {"F": "trop peu fiable pour être publié", "x": "confidentiel"},
}
# Captures the Blob the download button makes, instead of saving a file.
CAPTURE_CSV = """
window.__csv = null;
URL.createObjectURL = (blob) => { window.__csv = blob; return "about:blank"; };
HTMLAnchorElement.prototype.click = function () {};
"""


def pick(table: pd.DataFrame) -> tuple[str, str]:
    """A percent indicator of the first survey and a breakdown of it that holds a suppressed
    cell and a published one in every wave (what the test chooses in the page)."""
    rows = table[(table["statistic"] == "proportion") & (table["domain"] != "overall")]
    for (indicator, domain), group in rows.groupby(["indicator", "domain"], sort=False):
        if (group["suppressed"]).any() and (~group["suppressed"]).any():
            return str(indicator), str(domain)
    raise AssertionError("the demo store has no breakdown with a suppressed cell")


def expected(value: float, lang: str, percent: bool = False) -> str:
    """A percentage to one decimal as the book writes it, written out here independently."""
    text = f"{100 * value:.1f}"
    if lang == "fr":
        return text.replace(".", ",") + ("\u00a0%" if percent else "")
    return text + ("%" if percent else "")


def choose(driver: Any, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, f"ci-explorer-{name}")).select_by_value(value)


def wait_for_table(driver: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not driver.execute_script("return !!document.getElementById('ci-explorer-table')"):
        if time.monotonic() > end:
            raise TimeoutError("the explorer drew no table")
        time.sleep(0.05)


def shown(driver: Any) -> dict[str, Any]:
    """What the page shows: the table's rows (cell texts), the chart's value labels, the
    selected options' texts and the breakdown's options."""
    return driver.execute_script(
        """
        const rows = [...document.querySelectorAll('#ci-explorer-table tbody tr')]
          .filter(tr => !tr.classList.contains('ci-group'))
          .map(tr => [...tr.children].map(td => td.textContent));
        const abbr = [...document.querySelectorAll('#ci-explorer-table abbr')]
          .map(a => [a.textContent, a.title]);
        const values = [...document.querySelectorAll('svg.ci-explorer-svg text.ci-value')]
          .map(t => t.textContent);
        const text = id => { const s = document.getElementById(id);
                             return s.options[s.selectedIndex].text; };
        const labelled = [...document.querySelectorAll('.ci-explorer select, .ci-explorer input')]
          .every(c => document.querySelector(`label[for="${c.id}"]`));
        return {rows, abbr, values, labelled, hash: location.hash,
                indicator: text('ci-explorer-indicator'), by: text('ci-explorer-breakdown'),
                head: [...document.querySelectorAll('#ci-explorer-table thead tr:last-child th')]
                        .map(th => th.textContent)};
        """
    )


def csv_download(driver: Any) -> list[list[str]]:
    """Click the download button and read the CSV it makes (captured, not saved)."""
    driver.execute_script(CAPTURE_CSV)
    driver.execute_script("document.querySelector('.ci-explorer-download').click()")
    data = driver.execute_async_script(
        "const done = arguments[0];"
        "window.__csv.arrayBuffer().then(b => done(Array.from(new Uint8Array(b))));"
    )
    text = bytes(data).decode("utf-8")
    assert text.startswith("\ufeff")  # a byte-order mark: spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def view_problems(driver: Any, lang: str, table: pd.DataFrame, labels: pd.DataFrame) -> list[str]:
    """Choose the indicator and breakdown of :func:`pick` and compare what is shown with
    the rows of the results table ``table``."""
    indicator, domain = pick(table)
    choose(driver, "indicator", indicator)
    choose(driver, "breakdown", domain)
    view = shown(driver)
    problems = []

    def label(kind: str, id: str, parent: str = "") -> str:
        """A label of the labels table, in the page's typography (en dashes in ranges)."""
        rows = labels[(labels["kind"] == kind) & (labels["id"] == id)]
        if parent:
            rows = rows[rows["parent"] == parent]
        return typeset(str(rows[lang].iloc[0]), lang)

    if view["indicator"] != label("indicator", indicator):
        problems.append(f"{lang}: indicator shown as {view['indicator']!r}")
    if f"indicator={indicator}" not in view["hash"] or f"by={domain}" not in view["hash"]:
        problems.append(f"{lang}: the address does not hold the choice: {view['hash']}")
    if not view["labelled"]:
        problems.append(f"{lang}: a control without its label")
    mine = table[(table["indicator"] == indicator) & table["domain"].isin(["overall", domain])]
    waves = sorted(set(mine["wave"]))
    by_group = {row[0]: row for row in view["rows"]}
    chart = []
    for (dom, value), rows in mine.groupby(["domain", "domain_value"], sort=False):
        name = None if dom == "overall" else label("level", value, domain)
        row = by_group.get(name) if name else view["rows"][0]
        if row is None:
            problems.append(f"{lang}: no table row for {name!r}")
            continue
        for k, wave in enumerate(waves):
            cell = rows[rows["wave"] == wave].iloc[0]
            shown_estimate, shown_ci = row[1 + 3 * k], row[2 + 3 * k]
            if cell["symbol"] in ("F", "x"):
                want, ci = cell["symbol"], ""
                chart.append(f"{cell['symbol']} ({SYMBOL_TITLES[lang][cell['symbol']]})")
            else:
                want = expected(cell["estimate"], lang) + cell["symbol"]
                low, high = expected(cell["ci_low"], lang), expected(cell["ci_high"], lang)
                ci = f"{low} \u2013 {high}"
                flag = " E" if cell["symbol"] == "E" else ""
                chart.append(expected(cell["estimate"], lang, percent=True) + flag)
            if (shown_estimate, shown_ci) != (want, ci):
                problems.append(f"{lang}: {name} {wave}: {shown_estimate!r} {shown_ci!r}")
    if view["values"] != chart:
        problems.append(f"{lang}: the chart shows {view['values']} for {chart}")
    hidden = {s for s in mine["symbol"] if s in ("F", "x")}
    titles = {(s, SYMBOL_TITLES[lang][s]) for s in hidden}
    if not titles <= {tuple(a) for a in view["abbr"]}:
        problems.append(f"{lang}: suppressed cells not marked {titles}: {view['abbr']}")
    data = csv_download(driver)
    if [r[0] for r in data[1:]] != [r[0] for r in view["rows"]] or len(data[0]) != len(
        view["head"]
    ):
        problems.append(f"{lang}: the CSV is not the table: {data[:3]}")
    for line, row in zip(data[1:], view["rows"], strict=False):
        if line[1].replace(" ", "") != row[1].replace(" ", ""):  # "28.7 E" in the CSV
            problems.append(f"{lang}: CSV {line[:2]} for the table's {row[:2]}")
    return problems


def gap_view_problems(driver: Any, lang: str, table: pd.DataFrame, gaps: pd.DataFrame) -> list:
    """Choose an equity group (by region) with a withheld gap and compare the chart's
    differences with those of the results table ``gaps``."""
    percent = set(table.loc[table["statistic"] == "proportion", "indicator"])
    mine = gaps[gaps["indicator"].isin(percent)]
    groups = mine.groupby(["indicator", "group_variable", "group"], sort=False)
    found = next(
        (key, rows)
        for key, rows in groups
        if rows["suppressed"].any() and (~rows["suppressed"]).any()
    )
    (indicator, variable, group), rows = found
    choose(driver, "indicator", indicator)
    choose(driver, "breakdown", f"gap:{variable}:{group}")
    view = shown(driver)
    points, withheld = (" pts", "not published") if lang == "en" else ("\u00a0pt", "non publié")
    keys = list(dict.fromkeys(zip(rows["domain"], rows["domain_value"], strict=True)))
    keys.sort(key=lambda k: k[0] != "overall")
    want = []
    for domain, value in keys:
        for wave in sorted(set(rows["wave"])):
            row = rows[(rows["domain"] == domain) & (rows["domain_value"] == value)]
            row = row[row["wave"] == wave].iloc[0]
            text = f"{100 * row['difference']:+.1f}" + points
            want.append(
                withheld if row["suppressed"] else text.replace(".", "," if lang == "fr" else ".")
            )
    if view["values"] != want:
        return [f"{lang}: the equity chart shows {view['values']} for {want}"]
    return []


def explorer_problems(site: Path, store: Path) -> list[str]:
    """Everything :func:`view_problems` finds in each language, then reload the shared
    address, check the layout at 1280 and 390 px, the French words, the console and every
    request the pages made."""
    results = ResultsStore(store)
    table, labels = results.read("indicators"), results.read("labels")
    gaps = results.read("equity_gaps")
    problems = []
    with serve(site) as url, browser(network=True) as driver:
        driver.get("about:blank")
        requested_urls(driver)  # what the browser's own start page loaded is not the site's
        for lang in ("en", "fr"):
            open_page(driver, f"{url}/{lang}/explorer.html")
            wait_for_table(driver)
            problems += gap_view_problems(driver, lang, table, gaps)
            problems += view_problems(driver, lang, table, labels)
            address = driver.execute_script("return location.href")
            before = shown(driver)
            driver.get("about:blank")
            open_page(driver, address)
            wait_for_table(driver)
            again = shown(driver)
            if (again["indicator"], again["by"], again["rows"]) != (
                before["indicator"],
                before["by"],
                before["rows"],
            ):
                problems.append(f"{lang}: the shared address {address} shows another view")
            problems += [f"{lang}: {p}" for p in page_problems(driver.page_source, lang)]
            for width in (1280, 390):
                problems += [f"{lang} {width} px: {p}" for p in layout_problems(driver, width)]
            problems += [f"{lang}: console error {e}" for e in console_errors(driver)]
        requests = requested_urls(driver)
    if not any(r.endswith(".js") and "/_static/explorer/" in r for r in requests):
        problems.append("the network log did not record the explorer's data file")
    problems += [
        f"a request left the site: {r}"
        for r in requests
        if not r.startswith((url, "about:", "data:", "blob:"))
    ]
    return problems


@pytest.mark.slow
@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_the_explorer_shows_the_results_tables_numbers_offline(demo_built):
    store = demo_built / "reports/2024"
    problems = explorer_problems(store / "site", store)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.slow
@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_the_checks_see_a_wrong_number_and_a_request_to_another_host(demo_built, tmp_path):
    """The checks themselves: a table whose numbers differ from the page's, a page that
    loads an image from another host (a loopback address: nothing leaves the machine)."""
    store = demo_built / "reports/2024"
    results = ResultsStore(store)
    table, labels = results.read("indicators"), results.read("labels")
    wrong = table.assign(estimate=table["estimate"] + 0.01)
    with serve(store / "site") as url, browser() as driver:
        open_page(driver, f"{url}/en/explorer.html")
        wait_for_table(driver)
        problems = view_problems(driver, "en", wrong, labels)
    assert any("the chart shows" in p for p in problems), problems
    (tmp_path / "away.html").write_text('<img src="http://127.0.0.2:9/away.png" alt="">')
    with serve(tmp_path) as url, browser(network=True) as driver:
        driver.get(f"{url}/away.html")
        assert "http://127.0.0.2:9/away.png" in requested_urls(driver)


if __name__ == "__main__":
    edition = Path(sys.argv[1])
    print("\n".join(explorer_problems(edition / "site", edition)))
