"""The scorecard (``book/scorecard.md``): every indicator by outcome of the theory of change.

Each row shows the survey's estimate at the baseline wave and at the latest wave in the
indicator's unit (a percent, a score, a count; :func:`ci_eval.report.format.unit_digits`
gives the decimals, the same for the values and the change), the change with its 95%
confidence interval (in percentage points for a percent; table ``trends``), the trend with
how many of the indicator's subgroups improved (table ``trend_families``), the model's
external baseline with its source, and the target with progress towards it (``targets``).
The model's external baseline (e.g. 55.8% from an earlier national survey) is not the
survey's own baseline estimate (57.2%): each has its own column, and the note says which
one progress towards a target is measured from.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from ci_eval.report.chapters.common import rows_of
from ci_eval.report.format import format_change, format_in_unit, unit_digits
from ci_eval.report.page import ARROWS, Page

COLUMNS = ("indicator", "baseline", "latest", "change", "trend", "external", "target")
"""The scorecard's columns, in order (their headers are ``scorecard.columns.<name>``)."""
SOURCES = ("trends", "targets", "toc_indicators")
"""The public results tables of the scorecard's numbers, offered under it as CSV: the changes
since the baseline, the targets, the external baselines."""


def _first(frame: pd.DataFrame) -> dict[str, Any] | None:
    rows = rows_of(frame)
    return rows[0] if rows else None


def _change_cell(page: Page, trend: dict[str, Any], unit: str, digits: int) -> str:
    """``+4.8 pts`` with its 95% CI under it; blank when the change is withheld."""
    if trend["suppressed"] or pd.isna(trend["change"]):
        return ""
    change = format_change(float(trend["change"]), unit, page.lang, digits)
    if unit == "percent":
        change = page.t("common.points", value=change)
    low, high = (
        format_change(float(trend[k]), unit, page.lang, digits) for k in ("ci_low", "ci_high")
    )
    ci = page.t("scorecard.ci", low=low, high=high)
    return f"{escape(change)}<br><span class='ci-ci'>{escape(ci)}</span>"


def _subgroups(page: Page, families: pd.DataFrame, indicator: str) -> str:
    """ "5 of 12 subgroups improved" from the indicator's subgroup family."""
    row = _first(families[families["family"] == f"subgroups:{indicator}"])
    if row is None or int(row["with_direction"]) == 0:
        return ""
    text = page.t(
        "scorecard.subgroups", count=int(row["improved"]), total=int(row["with_direction"])
    )
    return f"<br><span class='ci-ci'>{escape(text)}</span>"


def _trend_cell(page: Page, trend: dict[str, Any], families: pd.DataFrame) -> str:
    name = str(trend["trend"])
    arrow = f"<span aria-hidden='true'>{ARROWS[name]}</span>"
    subgroups = _subgroups(page, families, str(trend["indicator"]))
    return f"{arrow} {escape(page.t('trend.' + name))}{subgroups}"


def _external_cell(page: Page, model: dict[str, Any] | None, unit: str, sources: list[str]):
    """The model's external baseline, its wave and a note number for its source."""
    if model is None or pd.isna(model["baseline"]):
        return ""
    text = format_in_unit(float(model["baseline"]), unit, page.lang)
    if model["baseline_wave"]:
        text = page.t("scorecard.external_value", value=text, wave=model["baseline_wave"])
    source = str(model["baseline_source"])
    if source:  # in the page's language where the model gives it per language
        indicator = str(model["indicator"])
        named = page.label("source", indicator, "baseline")
        source = source if named == indicator else named
    if not source:
        return escape(text)
    if source not in sources:
        sources.append(source)
    return f"{escape(text)}<sup>{sources.index(source) + 1}</sup>"


def _target_cell(page: Page, target: dict[str, Any] | None, unit: str) -> str:
    """``60.0% by 2024`` and whether it is reached, or on track to be."""
    if target is None:
        return ""
    value = format_in_unit(float(target["target"]), unit, page.lang)
    text = page.t("scorecard.target_value", value=value, wave=target["target_wave"])
    if not target["assessed"]:
        return escape(text)
    due = str(target["wave"]) >= str(target["target_wave"])  # waves are years
    if target["on_track"]:
        state = "reached" if due else "on_track"
    else:
        state = "missed" if due else "off_track"
    return f"{escape(text)}<br><span class='ci-ci'>{escape(page.t('scorecard.' + state))}</span>"


def _outcomes(page: Page, indicators: pd.DataFrame) -> dict[str, str]:
    """Each outcome's heading ("Young people have mentors (outputs)"), in the model's order
    (``toc_outcomes``, which gives the level), then any other outcome of the store."""
    toc = page.table("toc_outcomes") if page.has("toc_outcomes") else pd.DataFrame()
    level = dict(zip(toc["outcome"], toc["level"], strict=True)) if len(toc) else {}
    order = dict.fromkeys([*level, *indicators["outcome"].astype(str)])
    return {
        outcome: page.t(
            "scorecard.group",
            outcome=page.label("outcome", outcome),
            level=page.t(f"levels.{level[outcome]}").lower(),
        )
        if outcome in level
        else page.label("outcome", outcome)
        for outcome in order
    }


def _row(page: Page, trend: dict[str, Any], tables: dict[str, pd.DataFrame], sources: list[str]):
    indicator = str(trend["indicator"])
    overall = tables["indicators"]
    mine = overall[overall["indicator"] == indicator]
    base = _first(mine[mine["wave"] == str(trend["baseline_wave"])])
    now = _first(mine[mine["wave"] == str(trend["wave"])])
    unit = page.unit(indicator)
    reference = None if base is None or pd.isna(base["estimate"]) else float(base["estimate"])
    digits = unit_digits(unit, reference)
    model = _first(tables["model"][tables["model"]["indicator"] == indicator])
    targets = tables["targets"]
    target = _first(
        targets[(targets["indicator"] == indicator) & (targets["wave"] == str(trend["wave"]))]
    )

    def estimate(row: dict[str, Any] | None) -> str:
        return "" if row is None else page.estimate_html(row, unit=unit, digits=digits)

    return [
        escape(page.label("indicator", indicator)),
        estimate(base),
        estimate(now),
        _change_cell(page, trend, unit, digits),
        _trend_cell(page, trend, tables["families"]),
        _external_cell(page, model, unit, sources),
        _target_cell(page, target, unit),
    ]


def _tables(page: Page) -> dict[str, pd.DataFrame]:
    """The overall rows of the tables the scorecard reads (empty frames for absent ones)."""

    def read(name: str, latest: bool = False) -> pd.DataFrame:
        return page.table(name, latest=latest) if page.has(name) else pd.DataFrame()

    indicators = page.table("indicators")
    trends = page.table("trends", latest=True)
    targets = read("targets")
    model = read("toc_indicators")
    return {
        "indicators": indicators[indicators["domain"] == "overall"],
        "trends": trends[trends["domain"] == "overall"],
        "families": read("trend_families", latest=True).reindex(
            columns=["family", "improved", "with_direction"]
        ),
        "targets": targets.reindex(
            columns=["indicator", "wave", "target", "target_wave", "on_track", "assessed"]
        ),
        "model": model.reindex(
            columns=["indicator", "baseline", "baseline_wave", "baseline_source"]
        ),
    }


def scorecard_table(page: Page) -> str:
    """Every indicator with a trend, grouped by outcome of the theory of change."""
    tables = _tables(page)
    trends = tables["trends"]
    if trends.empty:
        return ""
    overall = tables["indicators"]
    outcome_of = dict(zip(overall["indicator"], overall["outcome"], strict=True))
    sources: list[str] = []
    groups = []
    for outcome, heading in _outcomes(page, tables["indicators"]).items():
        members = [t for t in rows_of(trends) if outcome_of.get(t["indicator"]) == outcome]
        if members:
            groups.append((heading, [_row(page, t, tables, sources) for t in members]))
    first = rows_of(trends)[0]
    waves = {"baseline": str(first["baseline_wave"]), "wave": str(first["wave"])}
    headers = [page.t(f"scorecard.columns.{c}", **waves) for c in COLUMNS]
    notes = [page.t("scorecard.note", **waves), page.t("scorecard.external_note")]
    notes.append(page.legend())
    table = page.html_table(
        page.t("scorecard.caption", **waves),
        headers,
        [],
        notes,
        groups=groups,
        numeric=(1, 2, 3),
        source=[name for name in SOURCES if page.has(name)],
    )
    # a source is cited by its title, in the language it was published in
    cited = [
        page.t("scorecard.source", number=k + 1, source=f"<cite>{escape(s)}</cite>")
        for k, s in enumerate(sources)
    ]
    return table + (f'\n<p class="ci-sources">{" ".join(cited)}</p>' if cited else "")


def _family_sentence(page: Page, row: dict[str, Any]) -> str:
    """ "0 of 13 indicators improved, 3 worsened, the others showed no significant change;
    4 indicators without a better direction are described, not judged (1 increased)"."""
    count = {k: int(row[k]) for k in ("improved", "worsened", "not_assessed", "increased",
                                      "decreased", "total", "with_direction")}  # fmt: skip
    total = count["with_direction"]
    parts = [page.t("scorecard.families.improved", count=count["improved"], total=total)]
    parts.append(page.t("scorecard.families.worsened", count=count["worsened"]))
    if count["not_assessed"]:
        parts.append(page.t("scorecard.families.not_assessed", count=count["not_assessed"]))
    if count["improved"] + count["worsened"] + count["not_assessed"] < total:
        parts.append(page.t("scorecard.families.others"))
    text = page.t("scorecard.families.join").join(parts)
    neutral = count["total"] - total
    if neutral:
        moved = [
            page.t(f"scorecard.families.{k}", count=count[k])
            for k in ("increased", "decreased")
            if count[k]
        ]
        described = page.t("scorecard.families.neutral", count=neutral)
        if moved:
            described += f" ({page.t('scorecard.families.join').join(moved)})"
        text += page.t("scorecard.families.then") + described
    return page.t(
        "scorecard.families.sentence",
        survey=page.label("survey", str(row["survey"])),
        baseline=row["baseline_wave"],
        wave=row["wave"],
        counts=text,
    )


def scorecard_families(page: Page) -> str:
    """Per survey, how many of its headline indicators improved since the baseline ("N of M
    improved"; M: the indicators with a better direction), from table ``trend_families``."""
    if not page.has("trend_families"):
        return ""
    families = page.table("trend_families", latest=True)
    headline = families[families["family"].astype(str).str.startswith("headline:")]
    items = [
        f"<li>{escape(_family_sentence(page, row))}</li>"
        for row in rows_of(headline.sort_values("survey"))
    ]
    return f"<ul class='ci-summary'>{''.join(items)}</ul>" if items else ""
