"""The theory of change: the outcome diagram and the indicators of each outcome
(``book/theory_of_change.md``)."""

from __future__ import annotations

from html import escape

from ci_eval.report.chapters.common import rows_of, wrap
from ci_eval.report.figure_files import COLOURS, new_figure
from ci_eval.report.page import Page


def toc_diagram(page: Page) -> str:
    """The outcomes by level, top (activities) to bottom (impact), with arrows for "leads to";
    the alt text lists every link."""
    if not page.has("toc_outcomes"):
        return ""
    toc = page.table("toc_outcomes")
    levels = list(dict.fromkeys(toc["level"]))
    pos: dict[str, tuple[float, float]] = {}
    for li, level in enumerate(levels):
        members = list(toc[toc["level"] == level]["outcome"])
        for k, outcome in enumerate(members):
            pos[outcome] = ((k + 0.5) / len(members), float(len(levels) - 1 - li))
    fig = new_figure(7.0, 1.05 * len(levels) + 0.3)
    ax = fig.add_subplot()
    links = []
    for row in rows_of(toc):
        for target in row["leads_to"]:
            (x0, y0), (x1, y1) = pos[row["outcome"]], pos[target]
            ax.annotate(
                "",
                xy=(x1, y1 + 0.28),
                xytext=(x0, y0 - 0.28),
                arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8},
            )
            links.append(
                f"{page.label('outcome', row['outcome'])} \u2192 {page.label('outcome', target)}"
            )
    for outcome, (x, y) in pos.items():
        text = "\n".join(wrap(page.label("outcome", outcome), 24))
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.4", "fc": "#e8f1fa", "ec": COLOURS[0]},
        )
    for li, level in enumerate(levels):
        ax.text(
            -0.02,
            len(levels) - 1 - li,
            page.t("levels." + level),
            ha="right",
            va="center",
            fontsize=8,
            fontweight="bold",
        )
    ax.set_xlim(-0.2, 1.0)
    ax.set_ylim(-0.6, len(levels) - 0.4)
    ax.set_axis_off()
    title = page.t("figures.toc")
    alt = f"{title}. " + "; ".join(links) + "."
    return page.figure(fig, "theory-of-change", alt, title)


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
    return page.html_table(page.t("toc.caption"), headers, body, [])
