"""The theory of change: the outcome diagram and the indicators of each outcome
(``book/theory_of_change.md``)."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from ci_eval.report.chapters.common import rows_of
from ci_eval.report.figure_files import figure_html
from ci_eval.report.format import format_change, format_estimate, unit_digits
from ci_eval.report.page import ARROWS, Page
from ci_eval.report.toc_graph import Edge, Node, dot_text, render

DIFFERENCES = ("ame", "risk_difference", "mean_difference")
"""The measures a link's evidence shows, by preference: the adjusted difference."""


def _latest(page: Page) -> dict[str, tuple[dict[str, Any], str]]:
    """Each indicator's overall row at its latest wave, and its trend there ('': none)."""
    ind = page.table("indicators")
    ind = ind[ind["domain"] == "overall"].sort_values("wave", kind="stable")
    trends = page.table("trends", latest=True) if page.has("trends") else pd.DataFrame()
    trend = {}
    if len(trends):
        overall = trends[trends["domain"] == "overall"]
        trend = dict(zip(overall["indicator"], overall["trend"], strict=False))
    rows = {str(r["indicator"]): r for r in rows_of(ind)}  # the last wave wins
    return {i: (row, str(trend.get(i, ""))) for i, row in rows.items()}


def _value(page: Page, indicator: str, row: dict[str, Any], trend: str) -> str:
    """``58.0% ↑``: the latest value in the indicator's unit and the trend's arrow."""
    unit = page.unit(indicator)
    estimate = row.get("estimate")
    reference = None if estimate is None or pd.isna(estimate) else float(estimate)
    text = format_estimate(
        estimate,
        str(row["statistic"]),
        page.lang,
        symbol=str(row["symbol"]),
        unit=unit,
        digits=unit_digits(unit, reference),
    )
    return f"{text} {ARROWS[trend]}" if trend else text


def _exposure(page: Page, exposure: str) -> str:
    """An exposure's label: the indicator's, else the codebook variable's."""
    label = page.label("indicator", exposure)
    return page.label("variable", exposure) if label == exposure else label


def _evidence_text(page: Page, group: pd.DataFrame, level: float | None) -> tuple[dict, str]:
    """A contribution's latest adjusted difference in words (its highest exposure level
    against the lowest when there are several); ``level``: the outcome indicator's latest
    value (it sets a score's decimals)."""
    latest = group[group["wave"] == group["wave"].max()]
    by_level = latest.sort_values("high", key=lambda h: pd.to_numeric(h, errors="coerce"))
    row = rows_of(by_level)[-1]
    unit = page.unit(str(row["outcome"]))
    digits = unit_digits(unit, level)
    change, low, high = (
        format_change(float(row[k]), unit, page.lang, digits)
        for k in ("estimate", "ci_low", "ci_high")
    )
    if unit == "percent":
        change = page.t("common.points", value=change)
    text = page.t(
        "toc.evidence_dose" if len(latest) > 1 else "toc.evidence",
        exposure=_exposure(page, str(row["exposure"])),
        indicator=page.label("indicator", str(row["outcome"])),
        change=change,
        ci=page.t("scorecard.ci", low=low, high=high),
    )
    return row, text


def _evidence(page: Page, latest: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(exposure's outcome, outcome's outcome, sentence) for each contribution's adjusted
    difference at its latest wave (regression; the first of :data:`DIFFERENCES` it has:
    points for a percentage), in the table's order. ``latest``: from :func:`_latest`."""
    if not (page.has("contributions") and page.has("toc_indicators")):
        return []
    rows = page.table("contributions")
    rows = rows[(rows["model"] == "regression") & rows["measure"].isin(DIFFERENCES)]
    rows = rows[~rows["suppressed"].astype(bool)]
    rank = rows["measure"].map({m: k for k, m in enumerate(DIFFERENCES)})
    keys = ["contribution", "wave", "high"]
    rows = rows.assign(rank=rank).sort_values("rank", kind="stable").drop_duplicates(keys)
    rows = rows.sort_index()
    model = page.table("toc_indicators")
    outcome_of = dict(zip(model["indicator"], model["outcome"], strict=True))
    found = []
    for _, group in rows.groupby("contribution", sort=False):
        indicator = str(group["outcome"].iloc[0])
        estimate = latest[indicator][0]["estimate"] if indicator in latest else None
        level = None if estimate is None or pd.isna(estimate) else float(estimate)
        row, text = _evidence_text(page, group, level)
        source, target = (outcome_of.get(str(row[k]), "") for k in ("exposure", "outcome"))
        found.append((source, target, text))
    return found


def toc_graph(page: Page) -> tuple[list[Node], list[Edge]]:
    """The diagram's boxes and links: each outcome (model order) with its level, its
    indicators' latest values and trends, and the evidence that does not sit on a link."""
    toc = page.table("toc_outcomes")
    indicators = page.table("toc_indicators") if page.has("toc_indicators") else pd.DataFrame()
    latest = _latest(page)
    links = {(str(r["outcome"]), str(t)) for r in rows_of(toc) for t in r["leads_to"]}
    evidence = _evidence(page, latest)
    on_edge = {(s, t): text for s, t, text in evidence if (s, t) in links}
    nodes = []
    for row in rows_of(toc):
        outcome = str(row["outcome"])
        members = (
            indicators[indicators["outcome"] == outcome]["indicator"] if len(indicators) else []
        )
        cells = [
            (page.label("indicator", i), _value(page, i, *latest[i]))
            for i in members
            if i in latest
        ]
        notes = [text for s, t, text in evidence if t == outcome and (s, t) not in links]
        level = page.t("levels." + str(row["level"]))
        nodes.append(Node(outcome, page.label("outcome", outcome), [level], cells, notes))
    edges = [
        Edge(str(r["outcome"]), str(t), on_edge.get((str(r["outcome"]), str(t)), ""))
        for r in rows_of(toc)
        for t in r["leads_to"]
    ]
    return nodes, edges


def toc_diagram(page: Page) -> str:
    """The theory of change laid out by Graphviz (:mod:`ci_eval.report.toc_graph`), saved as
    ``theory-of-change-<lang>.svg`` (and ``.pdf`` for the PDF edition); the alt text lists
    every link and every piece of evidence."""
    if not page.has("toc_outcomes"):
        return ""
    nodes, edges = toc_graph(page)
    path = render(
        dot_text(nodes, edges), page.figures, f"theory-of-change-{page.lang}", page.pdf_figures
    )
    title = {n.id: n.title for n in nodes}
    links = [f"{title[e.source]} \u2192 {title[e.target]}" for e in edges]
    found = [e.label for e in edges if e.label] + [x for n in nodes for x in n.evidence]
    alt = ". ".join([page.t("figures.toc"), "; ".join(links), *found]) + "."
    notes = page.t("toc.legend") + (" " + page.t("toc.evidence_note") if found else "")
    return figure_html(f"{page.figures_url}/{path.name}", alt, page.t("figures.toc"), notes)


def outcome_indicators_table(page: Page) -> str:
    """Each outcome with the indicators that measure it."""
    ind = page.table("indicators")[["outcome", "indicator", "survey", "universe"]]
    ind = ind.drop_duplicates()
    body = []
    for outcome, group in ind.groupby("outcome", sort=False):
        names = ", ".join(page.label("indicator", i) for i in group["indicator"])
        survey = ", ".join(page.label("survey", s) for s in dict.fromkeys(group["survey"]))
        body.append([escape(page.label("outcome", str(outcome))), escape(names), escape(survey)])
    headers = [page.t("toc.outcome"), page.t("toc.indicators"), page.t("toc.survey")]
    return page.html_table(page.t("toc.caption"), headers, body, [], source="indicators")
