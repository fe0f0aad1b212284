"""The mentoring gap: each indicator by domain, figures and tables (``book/mentoring_gap.md``)."""

from __future__ import annotations

from html import escape

import pandas as pd

from ci_eval.report.chapters.common import (
    indicators_of,
    latest_wave,
    localise,
    rows_of,
    table_notes,
)
from ci_eval.report.figure_files import COLOURS, new_figure
from ci_eval.report.format import CAUTION, is_hidden
from ci_eval.report.page import Page


def domain_figure(page: Page, indicator: str, domain: str) -> str:
    """Estimates of one indicator by the levels of one domain, latest wave, with 95% CIs."""
    wave = latest_wave(page)
    ind = page.table("indicators")
    rows = ind[(ind["indicator"] == indicator) & (ind["wave"] == wave)]
    rows = rows[(rows["domain"] == domain) | (rows["domain"] == "overall")]
    if rows.empty:
        return ""
    rows = pd.concat([rows[rows["domain"] == "overall"], rows[rows["domain"] == domain]])
    records = rows_of(rows)
    stat = str(records[0]["statistic"])
    scale = 100.0 if stat == "proportion" else 1.0
    fig = new_figure(7.0, 0.45 * len(records) + 1.2)
    ax = fig.add_subplot()
    names, described = [], []
    for i, row in enumerate(records):
        name = page.domain_label(str(row["domain"]), str(row["domain_value"]))
        names.append(name)
        y = len(records) - 1 - i
        symbol = str(row["symbol"])
        if is_hidden(symbol):
            ax.text(0, y, f" {symbol}", va="center", fontsize=10, fontweight="bold")
            described.append(f"{name}: {page.t('common.suppressed')}")
            continue
        est = row["estimate"] * scale
        colour = COLOURS[0] if row["domain"] != "overall" else COLOURS[1]
        ax.barh(y, est, color=colour, height=0.6, hatch="//" if symbol == CAUTION else None)
        ax.errorbar(
            est,
            y,
            xerr=[[est - row["ci_low"] * scale], [row["ci_high"] * scale - est]],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
        )
        text = page.value(row["estimate"], stat) + (" E" if symbol == CAUTION else "")
        described.append(f"{name}: {text}")
    ax.set_yticks(range(len(records)), list(reversed(names)))
    ax.set_xlabel(page.t("common.percent") if stat == "proportion" else page.t("common.value"))
    ax.set_xlim(left=0)
    localise(page, ax.xaxis)
    title = page.t(
        "figures.by_domain",
        indicator=page.label("indicator", indicator),
        domain=page.label("variable", domain),
        wave=wave,
    )
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(table_notes(page, rows)) + " " + page.t("figures.whiskers")
    return page.figure(fig, f"{indicator}-{domain}", alt, title, notes)


def domain_table(page: Page, indicator: str) -> str:
    """Every domain of one indicator in every wave: estimate, 95% CI, n."""
    ind = page.table("indicators")
    rows = ind[ind["indicator"] == indicator]
    waves = sorted(set(rows["wave"].astype(str)))
    headers = [page.t("common.group")]
    for wave in waves:
        headers += [
            f"{page.t('common.estimate')} {wave}",
            f"{page.t('common.ci95')} {wave}",
            f"{page.t('common.n')} {wave}",
        ]
    body = []
    keys = rows[["domain", "domain_value"]].drop_duplicates()
    keys = pd.concat([keys[keys["domain"] == "overall"], keys[keys["domain"] != "overall"]])
    for key in rows_of(keys):
        cells = [escape(page.domain_label(key["domain"], key["domain_value"]))]
        if key["domain"] != "overall":
            cells[0] = escape(page.label("variable", key["domain"])) + ": " + cells[0]
        for wave in waves:
            match = rows[
                (rows["wave"] == wave)
                & (rows["domain"] == key["domain"])
                & (rows["domain_value"] == key["domain_value"])
            ]
            if match.empty:
                cells += ["", "", ""]
                continue
            row = rows_of(match)[0]
            cells += [page.estimate_html(row), page.ci_html(row), page.number(row["n"])]
        body.append(cells)
    caption = page.label("indicator", indicator)
    return page.html_table(caption, headers, body, table_notes(page, rows))


def gap_sections(page: Page) -> str:
    """For each indicator of the gap outcomes: figures by domain (headline ones) and a table."""
    ind = page.table("indicators")
    blocks = []
    headline = set(page.settings["headline"])
    for indicator in indicators_of(
        page, survey=page.settings["people_survey"], outcomes=page.settings["gap_outcomes"]
    ):
        blocks.append(f"<h2>{escape(page.label('indicator', indicator))}</h2>")
        if indicator in headline:
            domains = ind[(ind["indicator"] == indicator) & (ind["domain"] != "overall")]
            for domain in dict.fromkeys(domains["domain"]):
                blocks.append(domain_figure(page, indicator, str(domain)))
        blocks.append(domain_table(page, indicator))
    return "\n".join(blocks)
