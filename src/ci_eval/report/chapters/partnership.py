"""Partnership health (``book/partnership.md``): the conditions of collective impact, the
network of the member organisations and youth voice, from the partner survey.

Every block reads the partnership tables of the results store (made by
:mod:`ci_eval.analysis.partnership_stage`): condition scores with their census CIs and
change since the baseline (``partnership_conditions``, ``partnership_trends``), the network's
metrics with their jackknife CIs (``partnership_network``) and its ties by sector
(``partnership_sector_ties``), and youth voice, a model indicator with its target
(``indicators``, ``targets``). Figures come first in each section, tables after. No member
organisation is named: the network is drawn by sector, and the tables hold sectors only.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from ci_eval.report.chapters.common import localise, rows_of, wrap
from ci_eval.report.figure_files import COLOURS, ci_bar, new_figure
from ci_eval.report.format import format_change, format_range, is_hidden
from ci_eval.report.page import ARROWS, Page

KINDS = ("condition", "precondition", "principle")
"""The kinds of condition, in the order the chapter shows them."""
NETWORK_METRICS = (
    "density",
    "backbone_tied",
    "cross_sector",
    "centralisation",
    "isolates",
    "mean_trust",
    "mean_value",
    "ties",
)
"""The network metrics the chapter shows, in order (the table holds more)."""
SHARES = ("density", "backbone_tied", "cross_sector", "centralisation")
"""Metrics shown as percentages."""
YOUTH_VOICE = "youth_on_leadership_table"
"""The model's indicator of youth voice (its target is the model's)."""


def _waves(page: Page) -> list[str]:
    return sorted(set(page.table("partnership_conditions")["wave"].astype(str)))


def _condition(page: Page, condition: str) -> str:
    return page.t(f"partnership.conditions.{condition}")


def _overall(page: Page) -> pd.DataFrame:
    table = page.table("partnership_conditions")
    order = {c: k for k, c in enumerate(KINDS)}
    overall = table[table["domain"] == "overall"]
    return overall.sort_values("kind", key=lambda k: k.map(order), kind="stable")


def _score(page: Page, row: dict[str, Any], digits: int = 2) -> str:
    """A score cell: the value, E when to be used with caution, x when not published."""
    symbol = str(row["symbol"])
    if is_hidden(symbol):
        return escape(symbol)
    flag = f"<sup>{escape(symbol)}</sup>" if symbol else ""
    return escape(page.number(row["estimate"], digits)) + flag


def _range(page: Page, low: float, high: float, digits: int = 2) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return escape(format_range(page.number(low, digits), page.number(high, digits)))


def _has(page: Page) -> bool:
    return page.has("partnership_conditions") and len(page.table("partnership_conditions")) > 0


# ------------------------------------------------------------------ the conditions
def partnership_conditions_figure(page: Page) -> str:
    """Each condition's score (1-5) in every wave, a dot per wave with its 95% CI."""
    if not _has(page):
        return ""
    overall = _overall(page)
    conditions = list(dict.fromkeys(overall["condition"]))
    waves = _waves(page)
    fig = new_figure(7.0, 0.42 * len(conditions) + 1.3)
    ax = fig.add_subplot()
    described = []
    step = 0.3 / max(len(waves) - 1, 1)
    for wi, wave in enumerate(waves):
        offset = ((len(waves) - 1) / 2 - wi) * step  # the first wave above, the latest below
        rows = overall[overall["wave"] == wave].set_index("condition")
        for k, condition in enumerate(conditions):
            y = len(conditions) - 1 - k + offset
            row = rows.loc[condition]
            if is_hidden(str(row["symbol"])):
                continue
            ax.errorbar(
                row["estimate"],
                y,
                xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
                fmt="o",
                color=COLOURS[wi % len(COLOURS)],
                ecolor=COLOURS[wi % len(COLOURS)],
                capsize=2,
                lw=1,
                markersize=5,
                label=wave if k == 0 else None,
            )
            described.append(
                f"{_condition(page, condition)} {wave}: {page.number(row['estimate'], 2)}"
            )
    labels = ["\n".join(wrap(_condition(page, c), 28)) for c in reversed(conditions)]
    ax.set_yticks(range(len(conditions)), labels)
    ax.set_xlim(1, 5)
    ax.set_xlabel(page.t("partnership.score_axis"))
    localise(page, ax.xaxis)
    kinds = overall.drop_duplicates("condition")["kind"].tolist()
    for k in range(1, len(kinds)):
        if kinds[k] != kinds[k - 1]:  # a rule between the conditions, pre-conditions, ...
            ax.axhline(len(conditions) - k - 0.5, color="#bbbbbb", lw=0.8)
    ax.legend(loc="upper left", frameon=False)
    title = page.t("partnership.conditions_figure")
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join([page.t("partnership.score_note"), page.t("partnership.whiskers")])
    return page.figure(fig, "partnership-conditions", alt, title, notes)


def _change_cells(page: Page, trend: dict[str, Any] | None) -> list[str]:
    """The change with its 95% CI, and the trend in words with its arrow."""
    if trend is None or trend["suppressed"] or pd.isna(trend["change"]):
        return ["", ""]
    change = escape(format_change(float(trend["change"]), "score", page.lang, 2))
    ci = _range(page, trend["ci_low"], trend["ci_high"])
    name = str(trend["trend"])
    return [f"{change} ({ci})", escape(f"{ARROWS[name]} {page.t('trend.' + name)}")]


def partnership_conditions_table(page: Page) -> str:
    """Every condition's score in each wave with its 95% CI, the change since the baseline
    and its trend (Benjamini-Hochberg within the conditions), grouped by kind."""
    if not _has(page):
        return ""
    overall = _overall(page)
    waves = _waves(page)
    trends = page.table("partnership_trends")
    trends = trends[trends["domain"] == "overall"]
    latest = {str(r["indicator"]): r for r in rows_of(trends[trends["wave"] == waves[-1]])}
    headers = [page.t("partnership.condition")]
    for _ in waves:
        headers += [page.t("partnership.score"), page.t("common.ci95"), page.t("common.n")]
    headers += [page.t("partnership.change"), page.t("partnership.trend")]
    groups = []
    for kind in KINDS:
        body = []
        for condition, rows in overall[overall["kind"] == kind].groupby("condition", sort=False):
            cells = [escape(_condition(page, str(condition)))]
            by_wave = {str(r["wave"]): r for r in rows_of(rows)}
            for wave in waves:
                row = by_wave.get(wave)
                if row is None:
                    cells += ["", "", ""]
                    continue
                hidden = is_hidden(str(row["symbol"]))
                ci = "" if hidden else _range(page, row["ci_low"], row["ci_high"])
                cells += [_score(page, row), ci, page.number(row["n"])]
            body.append(cells + _change_cells(page, latest.get(str(condition))))
        if body:
            groups.append((page.t(f"partnership.kinds.{kind}"), body))
    members = ", ".join(
        page.t("partnership.members_in", wave=w, count=page.number(n))
        for w, n in _members(page).items()
    )
    notes = [
        page.t("partnership.score_note"),
        page.t("partnership.census_note", members=members),
        page.t("partnership.trend_note", baseline=waves[0]),
        page.legend(),
    ]
    caption = page.t("partnership.conditions_table", baseline=waves[0])
    numeric = set(range(1, len(headers) - 1))
    return page.html_table(
        caption,
        headers,
        [],
        notes,
        source="partnership_conditions",
        header_groups=[(w, 3) for w in waves]
        + [(page.t("partnership.since", baseline=waves[0]), 2)],
        groups=groups,
        numeric=numeric,
    )


def _members(page: Page) -> dict[str, int]:
    """The members of each wave (the census's population)."""
    overall = page.table("partnership_conditions")
    overall = overall[overall["domain"] == "overall"].drop_duplicates("wave")
    return {str(r["wave"]): int(r["members"]) for r in rows_of(overall.sort_values("wave"))}


def partnership_sector_table(page: Page) -> str:
    """The conditions by sector in the latest wave: a column per sector with a published
    score, small cells not published (the disclosure rules of the indicators); the sectors
    with none are named in the note."""
    if not _has(page):
        return ""
    table = page.table("partnership_conditions")
    wave = _waves(page)[-1]
    rows = table[(table["wave"] == wave) & (table["domain"].isin(["overall", "sector"]))]
    by_sector = rows[rows["domain"] == "sector"]
    shown = set(by_sector.loc[~by_sector["suppressed"].astype(bool), "domain_value"])
    every = list(dict.fromkeys(by_sector["domain_value"]))
    sectors = [s for s in every if s in shown]
    hidden = [page.label("level", s, "sector") for s in every if s not in shown]
    headers = [page.t("partnership.condition"), page.t("common.overall")]
    headers += [page.label("level", s, "sector") for s in sectors]
    body: list[list[str] | str] = []
    for condition in dict.fromkeys(_overall(page)["condition"]):
        own = rows[rows["condition"] == condition]
        cells = [escape(_condition(page, str(condition)))]
        for domain, value in [("overall", ""), *(("sector", s) for s in sectors)]:
            match = own[(own["domain"] == domain) & (own["domain_value"] == value)]
            cells.append(_score(page, rows_of(match)[0]) if len(match) else "")
        body.append(cells)
    counts = rows[(rows["condition"] == rows["condition"].iloc[0]) & (rows["domain"] == "sector")]
    answered = "; ".join(
        page.t(
            "partnership.sector_count",
            sector=page.label("level", str(r["domain_value"]), "sector"),
            n=int(r["n"]),
            members=int(r["members"]),
        )
        for r in rows_of(counts)
    )
    notes = [page.t("partnership.sector_note", counts=answered)]
    if hidden:
        notes.append(
            page.t("partnership.sector_hidden", sectors=page.t("story.list_sep").join(hidden))
        )
    notes.append(page.legend())
    caption = page.t("partnership.sector_table", wave=wave)
    return page.html_table(
        caption,
        headers,
        body,
        notes,
        source="partnership_conditions",
        numeric=set(range(1, len(headers))),
    )


# ------------------------------------------------------------------ the network
def _sector_positions(sectors: list[str]) -> dict[str, tuple[float, float]]:
    """The sectors on a circle, the first at the top, clockwise."""
    count = len(sectors)
    return {
        s: (math.sin(2 * math.pi * k / count), math.cos(2 * math.pi * k / count))
        for k, s in enumerate(sectors)
    }


def partnership_network_figure(page: Page) -> str:
    """The network drawn by sector, one panel per wave: a circle per sector (its area the
    members), a line per pair of sectors (its width the ties between them). No organisation
    is named; :func:`partnership_sector_ties_table` gives the numbers."""
    if not page.has("partnership_sector_ties") or not len(page.table("partnership_sector_ties")):
        return ""
    ties = page.table("partnership_sector_ties")
    waves = sorted(set(ties["wave"].astype(str)))
    sectors = list(dict.fromkeys(ties["sector_a"]))  # in code order (each pairs with itself)
    where = _sector_positions(sectors)
    widest = max(float(ties["ties"].max()), 1.0)
    fig = new_figure(7.5, 3.6)
    axes = fig.subplots(1, len(waves), squeeze=False)[0]
    described = []
    for ax, wave in zip(axes, waves, strict=True):
        rows = ties[ties["wave"] == wave]
        for r in rows_of(rows[rows["sector_a"] != rows["sector_b"]]):
            if r["ties"] == 0:
                continue
            (x0, y0), (x1, y1) = where[r["sector_a"]], where[r["sector_b"]]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="#555555",
                lw=0.4 + 5 * r["ties"] / widest,
                alpha=0.6,
                zorder=1,
                solid_capstyle="round",
            )
        for r in rows_of(rows[rows["sector_a"] == rows["sector_b"]]):
            x, y = where[r["sector_a"]]
            size = 40 + 14 * float(r["members_a"])
            ax.scatter([x], [y], s=size, color=COLOURS[0], edgecolors="white", zorder=2)
            label = page.t(
                "partnership.sector_node",
                members=int(r["members_a"]),
                sector=page.label("level", r["sector_a"], "sector"),
            )
            ha = "left" if x > 0.3 else "right" if x < -0.3 else "center"
            va = "bottom" if y > 0.3 else "top" if y < -0.3 else "center"
            ax.text(x * 1.22, y * 1.16, "\n".join(wrap(label, 18)), ha=ha, va=va, fontsize=7.5)
        total = int(rows["ties"].sum())
        cross = int(rows.loc[rows["sector_a"] != rows["sector_b"], "ties"].sum())
        ax.set_title(page.t("partnership.network_panel", wave=wave, ties=total), fontsize=9)
        ax.set_xlim(-2.3, 2.3)
        ax.set_ylim(-1.75, 1.75)
        ax.set_aspect("equal")
        ax.axis("off")
        described.append(
            page.t(
                "partnership.network_alt",
                wave=wave,
                ties=total,
                cross=page.number(cross),
            )
        )
    title = page.t("partnership.network_figure")
    alt = f"{title}. " + " ".join(described)
    return page.figure(fig, "partnership-network", alt, title, page.t("partnership.network_notes"))


def partnership_sector_ties_table(page: Page) -> str:
    """The figure's numbers: each sector's members, ties within it and with other sectors,
    in each wave (the table ``partnership_sector_ties``)."""
    if not page.has("partnership_sector_ties") or not len(page.table("partnership_sector_ties")):
        return ""
    ties = page.table("partnership_sector_ties")
    waves = sorted(set(ties["wave"].astype(str)))
    sectors = list(dict.fromkeys(ties["sector_a"]))
    headers = [page.t("partnership.sector")]
    for _ in waves:
        headers += [
            page.t("partnership.members"),
            page.t("partnership.within"),
            page.t("partnership.cross_ties"),
        ]
    body = []
    for sector in sectors:
        cells = [escape(page.label("level", sector, "sector"))]
        for wave in waves:
            rows = ties[ties["wave"] == wave]
            own = rows[(rows["sector_a"] == sector) & (rows["sector_b"] == sector)]
            other = rows[(rows["sector_a"] == sector) ^ (rows["sector_b"] == sector)]
            members = int(own["members_a"].iloc[0]) if len(own) else 0
            cells += [
                page.number(members),
                page.number(int(own["ties"].sum())),
                page.number(int(other["ties"].sum())),
            ]
        body.append(cells)
    caption = page.t("partnership.sector_ties_table")
    notes = [page.t("partnership.sector_ties_note")]
    return page.html_table(
        caption,
        headers,
        body,
        notes,
        source="partnership_sector_ties",
        header_groups=[(w, 3) for w in waves],
    )


def _digits(metric: str) -> int:
    """Decimals of a metric that is not a share: ratings two, the count of isolates one
    (its interval is narrow), the count of ties none."""
    return 2 if metric.startswith("mean_") else 1 if metric == "isolates" else 0


def _metric_value(page: Page, metric: str, value: float, change: bool = False) -> str:
    """A metric's value (or change) as the table shows it: shares as percentages (changes
    in points), ratings with two decimals, counts whole."""
    if pd.isna(value):
        return ""
    if metric in SHARES:
        text = format_change(value, "percent", page.lang, 1) if change else page.percent(value)
        return page.t("common.points", value=text) if change else text
    digits = 2 if metric.startswith("mean_") else 0
    return (
        format_change(value, "number", page.lang, digits) if change else page.number(value, digits)
    )


def _metric_range(page: Page, metric: str, low: float, high: float) -> str:
    """A metric's CI in the table's unit (no unit: the column header gives it)."""
    if pd.isna(low) or pd.isna(high):
        return ""
    scale, digits = (100.0, 1) if metric in SHARES else (1.0, _digits(metric))
    return escape(format_range(page.number(low * scale, digits), page.number(high * scale, digits)))


def partnership_network_table(page: Page) -> str:
    """The network's metrics per wave with their 95% CIs, and their change since the
    baseline with its CI; the respondents-only network beside it shows whether non-response
    drives the finding."""
    if not page.has("partnership_network") or not len(page.table("partnership_network")):
        return ""
    table = page.table("partnership_network")
    waves = sorted(set(table["wave"].astype(str)))
    latest, baseline = waves[-1], waves[0]
    headers = [page.t("partnership.metric")]
    for _ in waves:
        headers += [page.t("common.estimate"), page.t("common.ci95")]
    headers += [page.t("partnership.change_short"), page.t("common.ci95")]
    groups = []
    for scope in ("reconstructed", "respondents"):
        rows = table[table["scope"] == scope]
        body = []
        for metric in NETWORK_METRICS:
            own = {str(r["wave"]): r for r in rows_of(rows[rows["metric"] == metric])}
            if not own:
                continue
            cells = [escape(page.t(f"partnership.metrics.{metric}"))]
            for wave in waves:
                r = own.get(wave)
                cells += [
                    escape(_metric_value(page, metric, r["value"])) if r else "",
                    _metric_range(page, metric, r["ci_low"], r["ci_high"]) if r else "",
                ]
            last = own.get(latest)
            if last is not None and latest != baseline:
                cells += [
                    escape(_metric_value(page, metric, last["change"], change=True)),
                    _metric_range(page, metric, last["change_ci_low"], last["change_ci_high"]),
                ]
            else:
                cells += ["", ""]
            body.append(cells)
        groups.append((page.t(f"partnership.scopes.{scope}"), body))
    notes = [page.t("partnership.network_note"), page.t("partnership.jackknife_note")]
    caption = page.t("partnership.network_table", baseline=baseline)
    groups_header = [(w, 2) for w in waves] + [(page.t("partnership.since", baseline=baseline), 2)]
    return page.html_table(
        caption,
        headers,
        [],
        notes,
        source="partnership_network",
        header_groups=groups_header,
        groups=groups,
        numeric=set(range(1, len(headers))),
    )


# ------------------------------------------------------------------ youth voice
def partnership_youth_voice(page: Page) -> str:
    """Youth-led organisations' share of the leadership table in each wave against the
    model's target (table ``targets``), with its CI."""
    ind = page.table("indicators")
    rows = ind[(ind["indicator"] == YOUTH_VOICE) & (ind["domain"] == "overall")]
    if rows.empty:
        return ""
    targets = page.table("targets") if page.has("targets") else pd.DataFrame()
    target = targets[targets["indicator"] == YOUTH_VOICE] if len(targets) else targets
    survey, universe = str(rows["survey"].iloc[0]), str(rows["universe"].iloc[0])
    headers = [
        page.t("partnership.wave"),
        page.t("layout.percent"),
        page.t("common.ci95"),
        page.t("common.n"),
        page.t("partnership.target"),
        page.t("partnership.on_track"),
    ]
    body = []
    for row in rows_of(rows.sort_values("wave")):
        goal = target[target["wave"] == row["wave"]] if len(target) else target
        goal_row = rows_of(goal)[0] if len(goal) else None
        cells = [
            escape(str(row["wave"])),
            page.estimate_cell(row, "proportion"),
            page.ci_html(row, "proportion", bare=True),
            page.number(row["n"]),
        ]
        if goal_row is None:
            cells += ["", ""]
        else:
            text = page.percent(goal_row["target"], 0)
            answer = "common.answer_yes" if goal_row["on_track"] else "common.answer_no"
            at_start = str(row["wave"]) == min(target["wave"].astype(str))  # nothing to judge
            cells += [
                escape(page.t("partnership.target_by", target=text, wave=goal_row["target_wave"])),
                "" if at_start else escape(page.t(answer)),
            ]
        body.append(cells)
    caption = page.label("indicator", YOUTH_VOICE)
    notes = [page.universe(universe, survey), page.t("partnership.youth_note"), page.legend()]
    return page.html_table(caption, headers, body, notes, source="indicators", numeric={1, 2, 3})


def partnership_youth_voice_figure(page: Page) -> str:
    """The share in each wave as a bar with its CI, and the target as a line."""
    ind = page.table("indicators")
    rows = ind[(ind["indicator"] == YOUTH_VOICE) & (ind["domain"] == "overall")]
    if rows.empty:
        return ""
    targets = page.table("targets") if page.has("targets") else pd.DataFrame()
    goal = targets[targets["indicator"] == YOUTH_VOICE] if len(targets) else targets
    fig = new_figure(7.0, 2.4)
    ax = fig.add_subplot()
    described = []
    records = rows_of(rows.sort_values("wave"))
    for k, row in enumerate(records):
        y = len(records) - 1 - k
        if is_hidden(str(row["symbol"])):
            ax.text(0, y, f" {row['symbol']}", va="center")
            continue
        ci_bar(ax, y, row, height=0.55, colour=COLOURS[k % len(COLOURS)], capsize=3)
        described.append(f"{row['wave']}: {page.percent(row['estimate'])}")
    if len(goal):
        value = 100 * float(goal["target"].iloc[0])
        ax.axvline(value, color=COLOURS[5], ls="--", lw=1.2)
        ax.text(
            value,
            len(records) - 0.45,
            " " + page.t("partnership.target_line", target=page.percent(value / 100, 0)),
            color=COLOURS[5],
            fontsize=8,
            va="bottom",
        )
        described.append(page.t("partnership.target_line", target=page.percent(value / 100, 0)))
    ax.set_yticks(range(len(records)), [str(r["wave"]) for r in reversed(records)])
    ax.set_xlim(0, max(50.0, float(np.nanmax(100 * rows["ci_high"])) + 5))
    ax.set_ylim(-0.6, len(records) - 0.1)
    ax.set_xlabel(page.t("common.percent"))
    localise(page, ax.xaxis)
    title = page.label("indicator", YOUTH_VOICE)
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(
        [
            page.universe(str(rows["universe"].iloc[0]), str(rows["survey"].iloc[0])),
            page.t("figures.whiskers"),
        ]
    )
    return page.figure(fig, "partnership-youth-voice", alt, title, notes)


# ------------------------------------------------------------------ named members
MOST_CONNECTED = 10
"""The most connected member organisations listed when the study allows names."""


def partnership_members_table(page: Page) -> str:
    """The most connected member organisations of the latest wave, by name: shown only when
    the study allows it (``[analysis.partnership] partner_names = true``, else the table
    ``partnership_members`` is empty and no organisation is named)."""
    if not page.has("partnership_members") or not len(page.table("partnership_members")):
        return ""
    rows = page.table("partnership_members", latest=True).head(MOST_CONNECTED)
    headers = [
        page.t("partnership.partner"),
        page.t("partnership.sector"),
        page.t("partnership.ties"),
        page.t("partnership.cross_ties"),
    ]
    body = [
        [
            escape(str(r["partner"])),
            escape(page.label("level", str(r["sector"]), "sector")),
            page.number(r["ties"]),
            page.number(r["cross_sector_ties"]),
        ]
        for r in rows_of(rows)
    ]
    caption = page.t("partnership.members_table", count=len(rows), wave=str(rows["wave"].iloc[0]))
    notes = [page.t("partnership.members_note")]
    return page.html_table(caption, headers, body, notes, source="partnership_members")
