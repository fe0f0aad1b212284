"""The key findings: headline cards and the scorecard summary (``book/key_findings.md``)."""

from __future__ import annotations

from html import escape

import pandas as pd

from ci_eval.report.chapters.common import latest_wave, rows_of
from ci_eval.report.page import ARROWS, Page


def key_findings(page: Page, indicators: list[str] | None = None) -> str:
    """Headline numbers of the latest wave with their 95% CIs and change since baseline
    (``indicators``: the study's ``headline`` setting by default)."""
    if indicators is None:
        indicators = page.settings["headline"]
    wave = latest_wave(page)
    ind = page.table("indicators")
    overall = ind[(ind["domain"] == "overall") & (ind["wave"] == wave)]
    trends = page.table("trends") if page.has("trends") else pd.DataFrame()
    cards = []
    for indicator in indicators:
        rows = overall[overall["indicator"] == indicator]
        if rows.empty:
            continue
        row = rows_of(rows)[0]
        trend = "not_assessed"
        if not trends.empty:
            t = trends[(trends["indicator"] == indicator) & (trends["domain"] == "overall")]
            if not t.empty:
                trend = str(t.iloc[0]["trend"])
        who = page.universe(str(row["universe"]), str(row["survey"]))
        ci = page.ci_text(row)
        ci_text = f"<span class='ci-ci'>{escape(ci)}</span>" if ci else ""
        cards.append(
            "<div class='ci-card'>"
            f"<p class='ci-card-value'>{page.estimate_html(row)}</p>"
            f"<p class='ci-card-label'>{escape(page.label('indicator', indicator))}</p>"
            f"{ci_text}"
            f"<p class='ci-card-trend'><span aria-hidden='true'>{ARROWS[trend]}</span> "
            f"{escape(page.t('trend.' + trend))}</p>"
            f"<p class='ci-notes'>{escape(who)}</p>"
            "</div>"
        )
    legend = f"<p class='ci-notes'>{escape(page.legend())}</p>"
    return f"<div class='ci-cards'>{''.join(cards)}</div>{legend}"


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
