"""The scorecard: each indicator's baseline, latest value, change, trend and target."""

from __future__ import annotations

from html import escape

import pandas as pd

from ci_eval.report.chapters.common import rows_of
from ci_eval.report.page import ARROWS, Page


def _change(page: Page, change: float, statistic: str) -> str:
    """A change with its sign; a proportion's change in percentage points."""
    if statistic == "proportion":
        text = page.t("common.points", value=page.number(100 * change, 1))
    else:
        text = page.value(change, statistic)
    return text if text.startswith("-") else f"+{text}"


def scorecard_table(page: Page) -> str:
    """Every indicator overall: baseline, now, change, trend, significance, flags, target."""
    ind = page.table("indicators")
    overall = ind[ind["domain"] == "overall"]
    trends = page.table("trends")
    trends = trends[trends["domain"] == "overall"]
    targets = page.table("targets") if page.has("targets") else pd.DataFrame()
    headers = [
        page.t("scorecard." + h)
        for h in ("indicator", "baseline", "now", "change", "trend", "q", "target")
    ]
    body = []
    for indicator in dict.fromkeys(overall["indicator"]):
        rows = overall[overall["indicator"] == indicator]
        t = trends[trends["indicator"] == indicator]
        if t.empty:
            continue
        trend = rows_of(t)[0]
        base = rows_of(rows[rows["wave"] == str(trend["baseline_wave"])])
        now = rows_of(rows[rows["wave"] == str(trend["wave"])])
        stat = str(rows["statistic"].iloc[0])
        change = ""
        if not trend["suppressed"] and not pd.isna(trend["change"]):
            change = escape(_change(page, float(trend["change"]), stat))
        q = (
            ""
            if pd.isna(trend["q_value"]) or trend["suppressed"]
            else escape(page.number(trend["q_value"], 3))
        )
        target = ""
        if not targets.empty:
            tg = targets[targets["indicator"] == indicator]
            if "wave" in tg.columns:
                tg = tg[tg["wave"].astype(str) == str(trend["wave"])]
            if not tg.empty:
                g = rows_of(tg)[0]
                state = page.t("scorecard.on_track" if g["on_track"] else "scorecard.off_track")
                target = escape(f"{page.value(g['target'], stat)} ({g['target_wave']}, {state})")
        name = str(trend["trend"])
        body.append(
            [
                escape(page.label("indicator", indicator)),
                page.estimate_html(base[0]) if base else "",
                page.estimate_html(now[0]) if now else "",
                change,
                f"<span aria-hidden='true'>{ARROWS[name]}</span> {escape(page.t('trend.' + name))}",
                q,
                target,
            ]
        )
    notes = [page.t("scorecard.note"), page.legend()]
    return page.html_table(page.t("scorecard.caption"), headers, body, notes)
