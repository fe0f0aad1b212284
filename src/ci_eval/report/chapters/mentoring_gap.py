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
from ci_eval.report.figure_files import COLOURS, ci_bar, new_figure
from ci_eval.report.format import CAUTION, format_range, is_hidden
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
        name = page.domain_label(
            str(row["domain"]), str(row["domain_value"]), str(row["universe"]), str(row["survey"])
        )
        names.append(name)
        y = len(records) - 1 - i
        symbol = str(row["symbol"])
        if is_hidden(symbol):
            ax.text(0, y, f" {symbol}", va="center", fontsize=10, fontweight="bold")
            described.append(f"{name}: {page.t('common.suppressed')}")
            continue
        colour = COLOURS[0] if row["domain"] != "overall" else COLOURS[1]
        ci_bar(ax, y, row, height=0.6, colour=colour, capsize=3, scale=scale)
        text = page.value(row["estimate"], stat) + (" E" if symbol == CAUTION else "")
        described.append(f"{name}: {text}")
    ax.set_yticks(range(len(records)), list(reversed(names)))
    ax.set_xlabel(page.t("common.percent") if stat == "proportion" else page.t("common.value"))
    ax.set_xlim(left=0)
    localise(page, ax.xaxis)
    title = page.t(
        "figures.by_domain",
        indicator=page.label("indicator", indicator),
        by=page.by(domain, str(records[0]["survey"])),
        wave=wave,
    )
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(table_notes(page, rows)) + " " + page.t("figures.whiskers")
    return page.figure(fig, f"{indicator}-{domain}", alt, title, notes)


def domain_table(page: Page, indicator: str) -> str:
    """Every domain of one indicator in every wave: a column group per wave of the
    estimate (its unit in the header), the 95% CI as one range, and n."""
    ind = page.table("indicators")
    rows = ind[ind["indicator"] == indicator]
    waves = sorted(set(rows["wave"].astype(str)))
    statistic = str(rows["statistic"].iloc[0]) if len(rows) else "mean"
    unit = page.t("layout.percent" if statistic == "proportion" else "common.estimate")
    headers = [page.t("common.group")]
    for _ in waves:
        headers += [unit, page.t("common.ci95"), page.t("common.n")]
    body: list[list[str] | str] = []
    keys = rows[["domain", "domain_value"]].drop_duplicates()
    keys = pd.concat([keys[keys["domain"] == "overall"], keys[keys["domain"] != "overall"]])
    survey = str(rows["survey"].iloc[0]) if len(rows) else ""
    universe = str(rows["universe"].iloc[0]) if len(rows) else ""
    domain = "overall"
    for key in rows_of(keys):
        if key["domain"] != domain:  # the rows of each domain under "By gender"
            domain = key["domain"]
            body.append(escape(page.by(domain, survey, heading=True)))
        cells = [escape(page.domain_label(key["domain"], key["domain_value"], universe, survey))]
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
            cells += [
                page.estimate_cell(row, statistic),
                page.ci_html(row, statistic, bare=True),
                page.number(row["n"]),
            ]
        body.append(cells)
    caption = page.label("indicator", indicator)
    notes = [*table_notes(page, rows), page.t("layout.abbreviations")]
    groups = [(wave, 3) for wave in waves]
    return page.html_table(caption, headers, body, notes, source="indicators", header_groups=groups)


def gap_sections(page: Page) -> str:
    """For each indicator of the gap outcomes: figures by domain (headline ones), then its
    table; then who is left out (the equity tables), so that figures come before tables."""
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
    blocks.append(equity_sections(page))
    return "\n".join(blocks)


def _codes_label(page: Page, variable: str, codes: str) -> str:
    """A group's codes (``"1+2+3"``) as its labels, joined with " / "."""
    return " / ".join(page.label("level", code, variable) for code in str(codes).split("+"))


def _gap_cells(page: Page, row: dict, statistic: str) -> list[str]:
    """Group and comparison estimates, the difference (points for a proportion) and the
    ratio, each with its 95% CI; "not published" when the row is suppressed."""
    if bool(row["suppressed"]):
        return [escape(page.t("common.suppressed"))] + [""] * 3
    scale, digits = (100.0, 1) if statistic == "proportion" else (1.0, 2)

    def span(low: float, high: float, digits: int) -> str:
        return format_range(page.number(low, digits), page.number(high, digits))

    difference = page.t("common.points", value=page.number(row["difference"] * scale, digits))
    if statistic != "proportion":
        difference = page.number(row["difference"], digits)
    ratio = page.t("equity.times", value=page.number(row["ratio"], 2))
    flag = " E" if str(row["flag"]) == CAUTION else ""
    low, high = row["difference_ci_low"] * scale, row["difference_ci_high"] * scale
    return [
        escape(page.value(row["estimate_group"], statistic) + flag),
        escape(page.value(row["estimate_comparison"], statistic)),
        escape(f"{difference} ({span(low, high, digits)})"),
        escape(f"{ratio} ({span(row['ratio_ci_low'], row['ratio_ci_high'], 2)})"),
    ]


def equity_table(page: Page, indicator: str) -> str:
    """The equity gaps of one indicator in the latest wave: each group against the rest."""
    if not page.has("equity_gaps"):
        return ""
    gaps = page.table("equity_gaps", latest=True)
    rows = gaps[(gaps["indicator"] == indicator) & (gaps["domain"] == "overall")]
    if rows.empty:
        return ""
    ind = page.table("indicators")
    statistic, survey = ind.loc[ind["indicator"] == indicator, ["statistic", "survey"]].iloc[0]
    headers = [page.t(f"equity.{k}") for k in ("group", "in_group", "in_comparison")]
    headers += [page.t("equity.difference"), page.t("equity.ratio")]
    body: list[list[str] | str] = []
    variable = ""
    for row in rows_of(rows):
        if str(row["group_variable"]) != variable:  # each variable's groups under "By ..."
            variable = str(row["group_variable"])
            body.append(escape(page.by(variable, str(survey), heading=True)))
        group = _codes_label(page, variable, row["group"])
        # the complement of one category reads "everyone else"; a declared comparison its name
        codes = str(row["comparison"]).split("+")
        comparison = (
            _codes_label(page, variable, row["comparison"])
            if len(codes) == 1 or "+" in str(row["group"])
            else page.t("equity.everyone_else")
        )
        cells = _gap_cells(page, row, str(statistic))
        body.append([escape(group), cells[0], f"{cells[1]} ({escape(comparison)})", *cells[2:]])
    caption = page.t(
        "equity.caption", indicator=page.label("indicator", indicator), wave=latest_wave(page)
    )
    return page.html_table(caption, headers, body, [page.t("equity.note")], source="equity_gaps")


def equity_sections(page: Page) -> str:
    """Who is left out: the equity gaps of the headline gap indicators, latest wave."""
    headline = set(page.settings["headline"])
    blocks = [
        equity_table(page, indicator)
        for indicator in indicators_of(
            page, survey=page.settings["people_survey"], outcomes=page.settings["gap_outcomes"]
        )
        if indicator in headline
    ]
    blocks = [b for b in blocks if b]
    if not blocks:
        return ""
    title, body = escape(page.t("equity.title")), escape(page.t("equity.body"))
    intro = f"<h2>{title}</h2><p>{body}</p>"
    return intro + "\n".join(blocks)
