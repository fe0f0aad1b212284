"""The data explorer (``book/explorer.md``): every published indicator, by who and when.

The page's block is a placeholder that ``book/_static/ci-explorer.js`` fills with the
controls (survey, indicator grouped by outcome of the theory of change, breakdown, waves),
a chart with 95% confidence intervals drawn as plain SVG, the table under it, and a CSV
download of what the table shows. The script draws from a data file written here when the
book is built, ``_static/explorer/explorer-<lang>.js``, an extract of the **public** results
tables ``indicators``, ``trends`` and ``equity_gaps`` only (:data:`TABLES`), already
suppressed: a withheld cell carries its symbol and no value (even if a value reached the
store by mistake), nothing is computed in the browser from respondent data, and no
program's private table is read. A breakdown is a
domain of ``indicators`` (its changes since the baseline from ``trends``) or an equity group
of ``equity_gaps`` by region (the group's and the comparison group's estimates and the
difference with its 95% CI, as the chapter's equity tables show them). Every word and
number of the extract is formatted here, by the book's own label and number machinery
(:class:`~ci_eval.report.page.Page`), so the explorer writes as the chapters do; the chart's
positions are the values in the indicator's unit, rounded to :data:`DECIMALS` places.

The file is deterministic (sorted keys, fixed rounding, no date), so two builds from the same
results give the same bytes. It is a script that sets ``window.ciEvalExplorer`` (loaded by
the page from its own site, so it works from a folder opened without a server, too).
"""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from ci_eval.errors import ReportError
from ci_eval.report.chapters.common import rows_of
from ci_eval.report.chapters.mentoring_gap import _codes_label
from ci_eval.report.chapters.scorecard import _outcomes
from ci_eval.report.figure_files import COLOURS
from ci_eval.report.format import (
    CAUTION,
    SYMBOL_TITLES,
    format_change,
    format_estimate,
    format_in_unit,
    format_range,
    is_hidden,
    unit_digits,
)
from ci_eval.report.page import ARROWS, Page
from ci_eval.results.contract import spec

TABLES = ("indicators", "trends", "equity_gaps")
"""The results tables the explorer embeds (public ones: checked when the file is written)."""
VALUES = ("estimate", "ci_low", "ci_high")
GAP_VALUES = ("difference", "difference_ci_low", "difference_ci_high")
"""The columns of a cell the chart places (none of them for a withheld cell)."""
DECIMALS = 4
"""Decimals of the chart's positions (in the indicator's unit: 29.4268 for 29.4268%)."""
WORDS = (
    "survey", "indicator", "breakdown", "waves", "none", "chart", "caption", "caption_all",
    "download", "change", "significance", "note", "empty", "file", "gaps", "domains",
    "gap_caption", "gap_axis", "gap_note",
)  # fmt: skip
"""The explorer's own words (``explorer.<key>`` of the translation files) the script uses."""


def _rounded(value: Any, scale: float) -> float | None:
    """A position for the chart, or None for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value) * scale, DECIMALS)


def _p_text(page: Page, p: Any) -> str:
    """``p = 0.161``, ``p < 0.001``; "" when there is no p-value."""
    if p is None or pd.isna(p):
        return ""
    if float(p) < 0.001:
        return page.t("explorer.p_below", value=page.number(0.001, 3))
    return page.t("explorer.p_equals", value=page.number(float(p), 3))


def _cell(page: Page, row: dict[str, Any], unit: str, digits: int) -> list[Any]:
    """One published cell: ``[wave, domain, value, estimate, low, high, symbol, estimate as
    the chart labels it, as the table shows it (HTML), as text (CSV), CI, n]``.

    A withheld cell has no value, only its symbol. Under the table's "%" header a percent
    and its CI are shown without their sign, as in the chapters' tables."""
    symbol = str(row["symbol"])
    scale = 100.0 if unit == "percent" else 1.0
    hidden = is_hidden(symbol)
    est, low, high = (None if hidden else _rounded(row[k], scale) for k in VALUES)
    stat = str(row["statistic"])
    label = format_estimate(
        row["estimate"], stat, page.lang, symbol=symbol, unit=unit, digits=digits
    )
    bare = {"symbol": symbol, "digits": digits}
    value = None if hidden else float(row["estimate"]) * scale
    html = format_estimate(value, "mean", page.lang, html=True, **bare)
    text = format_estimate(value, "mean", page.lang, **bare)
    ci = ""
    if not hidden:
        ci = format_range(*(page.number(row[k] * scale, digits) for k in ("ci_low", "ci_high")))
    key = [str(row[k]) for k in ("wave", "domain", "domain_value")]
    return [*key, est, low, high, symbol, label, html, text, ci, page.number(row["n"])]


def _change(page: Page, row: dict[str, Any], unit: str, digits: int) -> list[str]:
    """One change since the baseline: ``[domain, value, baseline wave, wave, change, its
    95% CI, trend's arrow, trend, p-value]``; a withheld change is "not published"."""
    key = [str(row[k]) for k in ("domain", "domain_value", "baseline_wave", "wave")]
    if bool(row["suppressed"]) or pd.isna(row["change"]):
        return [*key, page.t("common.suppressed"), "", "", "", ""]
    change = format_change(float(row["change"]), unit, page.lang, digits)
    if unit == "percent":
        change = page.t("common.points", value=change)
    low, high = (
        format_change(float(row[k]), unit, page.lang, digits) for k in ("ci_low", "ci_high")
    )
    trend = str(row["trend"])
    ci = page.t("scorecard.ci", low=low, high=high)
    word = page.t(f"trend.{trend}")
    return [*key, change, ci, ARROWS.get(trend, ""), word, _p_text(page, row["p_value"])]


def _gap_cell(page: Page, row: dict[str, Any], unit: str, digits: int) -> list[Any]:
    """One equity gap: ``[wave, domain, value, difference, low, high, symbol, difference as
    the chart labels it, as the table shows it (HTML), as text, its CI, n in the group,
    estimate in the group, in the comparison group]``; a withheld gap is "not published",
    as in the chapter's equity tables."""
    key = [str(row[k]) for k in ("wave", "domain", "domain_value")]
    n = page.number(row["n_group"])
    if bool(row["suppressed"]):
        word = page.t("common.suppressed")
        return [*key, None, None, None, "x", word, escape(word), word, "", n, "", "", ""]
    scale = 100.0 if unit == "percent" else 1.0
    values = [_rounded(row[k], scale) for k in GAP_VALUES]
    difference = format_change(float(row["difference"]), unit, page.lang, digits)
    if unit == "percent":
        difference = page.t("common.points", value=difference)
    ci = page.t(
        "scorecard.ci",
        **{
            bound: format_change(float(row[f"difference_ci_{bound}"]), unit, page.lang, digits)
            for bound in ("low", "high")
        },
    )
    flag = str(row["flag"]) if str(row["flag"]) == CAUTION else ""
    shown = {"unit": unit, "digits": digits}
    group = format_estimate(row["estimate_group"], "mean", page.lang, symbol=flag, **shown)
    html = format_estimate(
        row["estimate_group"], "mean", page.lang, symbol=flag, html=True, **shown
    )
    comparison = format_in_unit(row["estimate_comparison"], unit, page.lang, digits)
    texts = [difference, escape(difference), difference, ci, n, group, comparison, html]
    return [*key, *values, flag, *texts]


def _gaps(page: Page, gaps: pd.DataFrame, survey: str, unit: str, digits: int) -> list:
    """The equity groups of one indicator: each group (its codes' labels) against its
    comparison ("everyone else" for the complement of one category), with its gaps."""
    out = []
    keys = gaps[["group_variable", "group", "comparison"]].drop_duplicates()
    for variable, group, comparison in keys.itertuples(index=False):
        rows = gaps[(gaps["group_variable"] == variable) & (gaps["group"] == group)]
        codes = str(comparison).split("+")
        against = (
            _codes_label(page, variable, comparison)
            if len(codes) == 1 or "+" in str(group)
            else page.t("equity.everyone_else")
        )
        domains = [d for d in dict.fromkeys(rows["domain"].astype(str)) if d != "overall"]
        out.append(
            {
                "id": f"{variable}:{group}",
                "label": page.t(
                    "explorer.gap_option",
                    group=_codes_label(page, variable, group),
                    comparison=against,
                    by=", ".join(page.by(d, survey) for d in domains),
                ),
                "group": _codes_label(page, variable, group),
                "comparison": against,
                "cells": [_gap_cell(page, r, unit, digits) for r in rows_of(rows)],
            }
        )
    return out


def _indicator(
    page: Page, rows: pd.DataFrame, trends: pd.DataFrame, gaps: pd.DataFrame
) -> dict[str, Any]:
    """What the explorer knows of one indicator: its words, cells and changes."""
    first = rows_of(rows.head(1))[0]
    indicator, survey = str(first["indicator"]), str(first["survey"])
    unit = page.unit(indicator)
    overall = rows[rows["domain"] == "overall"]
    base = overall.sort_values("wave")["estimate"].dropna()
    digits = unit_digits(unit, float(base.iloc[0]) if len(base) else None)
    universe = str(first["universe"])
    notes = [page.universe(universe, survey)]
    notes += [page.missing_note(t) for t in sorted(set(rows["missing_treatment"].astype(str)))]
    domains = [d for d in dict.fromkeys(rows["domain"].astype(str)) if d != "overall"]
    mine = trends[trends["indicator"] == indicator]
    return {
        "label": page.label("indicator", indicator),
        "survey": survey,
        "outcome": str(first["outcome"]),
        "unit": unit,
        "overall": page.overall(universe, survey),
        "notes": notes,
        "breakdowns": domains,
        "cells": [_cell(page, r, unit, digits) for r in rows_of(rows)],
        "changes": [_change(page, r, unit, digits) for r in rows_of(mine)],
        "gaps": _gaps(page, gaps[gaps["indicator"] == indicator], survey, unit, digits),
    }


def _levels(page: Page, ind: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per survey, each breakdown's heading ("By gender") and its levels' labels."""
    out: dict[str, dict[str, Any]] = {}
    keys = ind.loc[ind["domain"] != "overall", ["survey", "domain", "domain_value"]]
    for survey, domain, value in keys.drop_duplicates().itertuples(index=False):
        entry = out.setdefault(str(survey), {}).setdefault(
            str(domain),
            {
                "label": page.by(str(domain), str(survey), heading=True),
                "by": page.by(str(domain), str(survey)),
                "levels": {},
            },
        )
        entry["levels"][str(value)] = page.label("level", str(value), str(domain))
    return out


def explorer_data(page: Page) -> dict[str, Any]:
    """The explorer's extract of the public tables, in ``page``'s language.

    Surveys in the store's order, each with its outcomes in the theory of change's order
    (the scorecard's headings) and their indicators; every indicator's cells (``indicators``)
    and changes since the baseline (``trends``), formatted as the book formats them.
    """
    ind = page.table("indicators")
    trends = page.table("trends") if page.has("trends") else pd.DataFrame(columns=["indicator"])
    gaps = page.table("equity_gaps") if page.has("equity_gaps") else spec("equity_gaps").empty()
    headings = _outcomes(page, ind)
    surveys = []
    for survey in dict.fromkeys(ind["survey"].astype(str)):
        mine = ind[ind["survey"] == survey]
        groups = []
        for outcome, heading in headings.items():
            ids = list(dict.fromkeys(mine.loc[mine["outcome"] == outcome, "indicator"]))
            if ids:
                groups.append({"label": heading, "indicators": [str(i) for i in ids]})
        surveys.append({"id": survey, "label": page.label("survey", survey), "outcomes": groups})
    indicators = {
        str(name): _indicator(page, rows, trends, gaps)
        for name, rows in ind.groupby("indicator", sort=False)
    }
    words = {key: page.t(f"explorer.{key}") for key in WORDS}
    words |= {
        "group": page.t("common.group"),
        "estimate": page.t("common.estimate"),
        "ci95": page.t("common.ci95"),
        "in_group": page.t("equity.in_group"),
        "in_comparison": page.t("equity.in_comparison"),
        "difference": page.t("equity.difference"),
        "equity_note": page.t("equity.note"),
        "n": page.t("common.n"),
        "suppressed": page.t("common.suppressed"),
        "percent": page.t("common.percent"),
        "value": page.t("common.value"),
        "legend": page.legend(),
        "abbreviations": page.t("layout.abbreviations"),
        "whiskers": page.t("figures.whiskers"),
        "unit_percent": page.t("layout.percent"),
    }
    return {
        "lang": page.lang,
        "words": words,
        "symbols": SYMBOL_TITLES[page.lang],
        "caution": CAUTION,
        "colours": COLOURS,
        "waves": [[w, page.label("wave", w)] for w in sorted(set(ind["wave"].astype(str)))],
        "surveys": surveys,
        "breakdowns": _levels(page, ind),
        "indicators": indicators,
    }


def data_script(data: dict[str, Any]) -> str:
    """The data file's text: one assignment of the extract, keys sorted, no spaces.

    >>> data_script({"b": 1.5, "a": "é"})
    'window.ciEvalExplorer = {"a":"é","b":1.5};\\n'
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/")  # never "</script>", wherever the file is put
    return f"window.ciEvalExplorer = {text};\n"


def write_data(page: Page) -> str:
    """Write ``_static/explorer/explorer-<lang>.js`` beside the book's figures; its URL."""
    for name in TABLES:
        if spec(name).private:
            raise ReportError(f"table {name!r} is a program's: never on the site")
    folder = Path(page.figures).parent / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"explorer-{page.lang}.js"
    path.write_text(data_script(explorer_data(page)), encoding="utf-8")
    return f"_static/explorer/{path.name}"


def explorer(page: Page) -> str:
    """The explorer's placeholder: the script fills it from the data file it names; without
    scripts (and on paper) it says where the explorer is."""
    if not page.has("indicators"):
        return ""
    url = write_data(page)
    return (
        f'<div class="ci-explorer" data-explorer="{escape(url)}">'
        f'<p class="ci-explorer-static">{escape(page.t("explorer.needs_script"))}</p></div>'
    )
