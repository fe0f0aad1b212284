"""The key findings: the story of the edition (``book/key_findings.md``).

The sections and their order are the study's ``[report.key_findings]`` settings
(:mod:`ci_eval.results.report_settings`, completed by :attr:`Page.settings`):

- ``numbers``: the people survey's headline levels (latest wave, overall), each with the
  population it is counted among, its 95% CI and its change since the baseline in
  percentage points with the change's 95% CI (table ``trends``);
- ``contributions``: the *primary* adjusted estimate of a few contributions of mentoring
  (table ``contributions``), told in plain words, each with its covariates and the caveat
  that an association is not proof of cause;
- ``capacity``: the sector survey's capacity indicators (waitlists, demand, youth waiting),
  as cards like ``numbers``, counted among programs;
- ``equity``: the widest gap of one indicator between a group and everyone else (table
  ``equity_gaps``, latest wave).

Every number is read from the results tables, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import pandas as pd

from ci_eval.report.chapters.common import latest_wave, rows_of
from ci_eval.report.chapters.outcomes import _lower, comparison, covariates_text, effect
from ci_eval.report.format import format_change, format_range
from ci_eval.report.page import ARROWS, Page


def key_findings(page: Page) -> str:
    """The key-findings sections in the order of ``[report.key_findings] order``."""
    settings = page.settings["key_findings"]
    sections: dict[str, Callable[[Page, Any], str]] = {
        "numbers": number_cards,
        "contributions": contribution_findings,
        "capacity": capacity_cards,
        "equity": equity_finding,
    }
    blocks = [sections[kind](page, settings[kind]) for kind in settings["order"]]
    blocks = [b for b in blocks if b]
    if not blocks:
        return ""
    notes = [page.legend()]
    if {"numbers", "capacity"} & set(settings["order"]):
        notes.insert(0, page.t("findings.trend_note"))
    return "\n".join(blocks) + "".join(f"<p class='ci-notes'>{escape(n)}</p>" for n in notes)


def _section(page: Page, kind: str, body: str) -> str:
    title = escape(page.t(f"findings.{kind}.title", wave=latest_wave(page)))
    return f"<section class='ci-findings ci-findings-{kind}'><h2>{title}</h2>{body}</section>"


# ------------------------------------------------------------------ cards
def _overall(page: Page, indicator: str, table: str) -> dict[str, Any] | None:
    """The indicator's overall row of ``table`` in the latest wave."""
    if not page.has(table):
        return None
    frame = page.table(table)
    rows = frame[
        (frame["indicator"] == indicator)
        & (frame["domain"] == "overall")
        & (frame["wave"].astype(str) == latest_wave(page))
    ]
    return rows_of(rows)[0] if len(rows) else None


def change_text(page: Page, trend: dict[str, Any] | None, unit: str) -> str:
    """ "+4.8 pts since 2021 (95% CI +1.9 to +7.8)": the change since the baseline in the
    indicator's unit (points for a percentage), '' when the change is withheld."""
    if trend is None or bool(trend["suppressed"]) or pd.isna(trend["change"]):
        return ""

    def signed(value: float) -> str:
        text = format_change(float(value), unit, page.lang)
        return page.t("common.points", value=text) if unit == "percent" else text

    low, high = (format_change(float(trend[k]), unit, page.lang) for k in ("ci_low", "ci_high"))
    return page.t(
        "findings.change",
        change=signed(trend["change"]),
        baseline=trend["baseline_wave"],
        ci=page.t("scorecard.ci", low=low, high=high),
    )


def indicator_card(page: Page, indicator: str) -> str:
    """One card: the level, its label, its population, its CI, the change and the trend."""
    row = _overall(page, indicator, "indicators")
    if row is None:
        return ""
    unit = page.unit(indicator)
    trend = _overall(page, indicator, "trends")
    name = str(trend["trend"]) if trend is not None else "not_assessed"
    ci = page.ci_text(row)
    change = change_text(page, trend, unit)
    return (
        "<div class='ci-card'>"
        f"<p class='ci-card-value'>{page.estimate_html(row, unit=unit)}</p>"
        f"<p class='ci-card-label'>{escape(page.label('indicator', indicator))}</p>"
        f"<p class='ci-notes'>{escape(page.universe(str(row['universe']), str(row['survey'])))}"
        "</p>"
        + (f"<p class='ci-ci'>{escape(ci)}</p>" if ci else "")
        + (f"<p class='ci-card-change'>{escape(change)}</p>" if change else "")
        + f"<p class='ci-card-trend'><span aria-hidden='true'>{ARROWS[name]}</span> "
        f"{escape(page.t('trend.' + name))}</p>"
        "</div>"
    )


def _cards(page: Page, kind: str, indicators: list[str]) -> str:
    cards = [c for c in (indicator_card(page, i) for i in indicators) if c]
    if not cards:
        return ""
    return _section(page, kind, f"<div class='ci-cards'>{''.join(cards)}</div>")


def number_cards(page: Page, indicators: list[str]) -> str:
    """The people survey's headline numbers (``[report.key_findings] numbers``)."""
    return _cards(page, "numbers", indicators)


def capacity_cards(page: Page, indicators: list[str]) -> str:
    """The sector's capacity (``[report.key_findings] capacity``), counted among programs."""
    return _cards(page, "capacity", indicators)


# ------------------------------------------------------------------ contributions
def _words(page: Page, key: str) -> Any:
    """The entry at ``key`` of this language's words, or None (an optional phrase)."""
    node: Any = page.words
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def primary_row(page: Page, contribution: str) -> dict[str, Any] | None:
    """The contribution's primary estimate (``primary`` row) in the latest wave it has."""
    if not page.has("contributions"):
        return None
    frame = page.table("contributions")
    rows = frame[(frame["contribution"] == contribution) & frame["primary"]]
    rows = rows[~rows["suppressed"]]
    if rows.empty:
        return None
    return rows_of(rows[rows["wave"].astype(str) == max(rows["wave"].astype(str))])[0]


def _direction(row: dict[str, Any]) -> str:
    """``higher``, ``lower`` or ``unclear``: whether the CI of the difference excludes 0."""
    if row["ci_low"] > 0:
        return "higher"
    if row["ci_high"] < 0:
        return "lower"
    return "unclear"


def _sized(page: Page, row: dict[str, Any], direction: str) -> dict[str, Any]:
    """The size of a difference and its CI on the side the words give ("6.8 percentage
    points lower (95% CI: 2.9 – 13.1)"); a difference whose CI holds 0 keeps its sign."""
    statistic = "proportion" if str(row["measure"]) == "risk_difference" else "mean"
    flip = -1.0 if direction == "lower" else 1.0
    value = flip * float(row["estimate"])
    low, high = sorted(flip * float(row[k]) for k in ("ci_low", "ci_high"))
    size = effect(page, value, statistic)
    if direction == "unclear" and value > 0:
        size = f"+{size}"
    unit = "pp" if statistic == "proportion" else "score"
    count = round(abs(value) * (100 if unit == "pp" else 1), 2)
    bounds = format_range(effect(page, low, statistic), effect(page, high, statistic))
    return {
        "unit": unit,
        "size": page.t(f"findings.contributions.{unit}", value=size, count=count),
        "ci": page.t("common.ci_phrase", ci=bounds),
        "covariates": covariates_text(page, list(row["adjust_for"])),
        "wave": row["wave"],
    }


def contribution_sentence(page: Page, row: dict[str, Any]) -> str:
    """A primary estimate in plain words: "Young adults who had a mentor were 6.8
    percentage points (95% CI: 2.5 – 11.1) more likely than those who had none to rate
    their mental health as good or excellent, after accounting for ... (2024)."

    The groups (``findings.who.<exposure>``) and the outcome (``findings.outcome.<indicator>``)
    are phrases of the translation files; without them the sentence names the outcome and the
    comparison by their labels. Higher, lower or unclear: whether the CI excludes 0.
    """
    outcome, exposure = str(row["outcome"]), str(row["exposure"])
    direction = _direction(row)
    values = _sized(page, row, direction)
    unit = values.pop("unit")
    who = _words(page, f"findings.who.{exposure}")
    phrase = _words(page, f"findings.outcome.{outcome}")
    if isinstance(who, dict) and phrase:
        key, names = f"{unit}_{direction}", {"who": who["high"], "others": who["low"]}
        names["outcome"] = phrase
    else:
        key = f"labelled_{direction}"
        names = {"outcome": page.label("indicator", outcome)}
        names["comparison"] = _lower(comparison(page, row))
    text = page.t(f"findings.contributions.{key}", **names, **values)
    return text[:1].upper() + text[1:]


def contribution_findings(page: Page, contributions: list[str]) -> str:
    """The contribution headlines (``[report.key_findings] contributions``), with the
    caveat that they are associations."""
    rows = [r for r in (primary_row(page, c) for c in contributions) if r is not None]
    if not rows:
        return ""
    items = "".join(f"<li>{escape(contribution_sentence(page, r))}</li>" for r in rows)
    caveat = escape(page.t("findings.contributions.caveat"))
    return _section(
        page, "contributions", f"<ul class='ci-findings-list'>{items}</ul><p>{caveat}</p>"
    )


# ------------------------------------------------------------------ equity
def widest_gap(page: Page, indicator: str) -> dict[str, Any] | None:
    """The published overall equity gap of ``indicator`` in the latest wave in which a group
    is worst off: the largest difference against the indicator's good direction (for a
    "lower is better" indicator, the group with the most; else the one with the least);
    the largest in size when the indicator has no direction. None when no group is worse
    off than everyone else."""
    if not page.has("equity_gaps"):
        return None
    gaps = page.table("equity_gaps", latest=True)
    rows = gaps[(gaps["indicator"] == indicator) & (gaps["domain"] == "overall")]
    rows = rows[~rows["suppressed"] & rows["difference"].notna()]
    # a merged group ("1+2+3") is a comparison of its own, not a group left out
    rows = rows[~rows["group"].astype(str).str.contains("+", regex=False)]
    if rows.empty:
        return None
    trend = _overall(page, indicator, "trends")
    direction = str(trend["direction"]) if trend is not None else ""
    sign = {"lower_is_better": 1.0, "higher_is_better": -1.0}.get(direction)
    worst = rows["difference"] * sign if sign else rows["difference"].abs()
    if worst.max() <= 0:  # no group is worse off than everyone else
        return None
    return rows_of(rows.loc[[worst.idxmax()]])[0]


def _group_name(page: Page, variable: str, code: str) -> str:
    """A group in words: the variable's label for its "yes" ("At least one risk factor
    growing up"), else "variable: level" ("Indigenous identity: Métis")."""
    level = page.label("level", code, variable)
    name = page.label("variable", variable)
    if level.lower() == page.t("common.answer_yes").lower():
        return name
    return f"{name}{page.t('contributions.colon')}{level}"


def equity_finding(page: Page, indicator: str) -> str:
    """The widest equity gap of ``indicator`` (``[report.key_findings] equity``) in words."""
    row = widest_gap(page, indicator) if indicator else None
    if row is None:
        return ""
    ind = page.table("indicators")
    statistic = ind.loc[ind["indicator"] == indicator, "statistic"].iloc[0]
    digits = 1 if statistic == "proportion" else 2
    scale = 100.0 if statistic == "proportion" else 1.0
    low, high = (
        page.number(row[k] * scale, digits) for k in ("difference_ci_low", "difference_ci_high")
    )
    size = page.number(abs(row["difference"]) * scale, digits)
    text = page.t(
        "findings.equity.sentence",
        indicator=page.label("indicator", indicator),
        group=_group_name(page, str(row["group_variable"]), str(row["group"])),
        group_value=page.value(row["estimate_group"], str(statistic)),
        others_value=page.value(row["estimate_comparison"], str(statistic)),
        size=page.t("common.points", value=size) if statistic == "proportion" else size,
        ci=page.t("common.ci_phrase", ci=format_range(low, high)),
        wave=row["wave"],
    )
    note = escape(page.t("findings.equity.note"))
    return _section(page, "equity", f"<p>{escape(text)}</p><p class='ci-notes'>{note}</p>")


# ------------------------------------------------------------------ scorecard
def scorecard_summary(page: Page) -> str:
    """One sentence per survey, from its headline trend family ("n of N indicators improved
    ..."; N: the indicators with a good direction), latest wave."""
    if not page.has("trend_families"):
        return ""
    families = page.table("trend_families", latest=True)
    headline = families[families["family"].astype(str).str.startswith("headline:")]
    items = []
    for row in rows_of(headline.sort_values("survey")):
        # counted among the indicators with a good direction, so that the three add up to
        # the total (``steady`` also counts the indicators without one, which are not judged)
        total, improved, worsened = (
            int(row[k]) for k in ("with_direction", "improved", "worsened")
        )
        sentence = page.t(
            "scorecard.summary",
            survey=page.label("survey", str(row["survey"])),
            improved=improved,
            steady=max(total - improved - worsened - int(row["not_assessed"]), 0),
            worsened=worsened,
            total=total,
        )
        items.append(f"<li>{escape(sentence)}</li>")
    return f"<ul class='ci-summary'>{''.join(items)}</ul>"
