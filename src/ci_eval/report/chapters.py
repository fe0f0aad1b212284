"""The book's sections: each function reads the results store through a :class:`Page`
and returns the HTML of one block (tables and figures with their notes).

The chapters in ``book/*.md`` call these functions from hidden code cells, so the
pages hold prose (from the translation files) and these blocks only. Every block
states its denominator (the indicator's universe) and how "don't know / prefer not
to say" answers were treated, and shows suppressed and flagged estimates as symbols
with a legend.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ci_eval.report.figure_files import COLOURS, new_figure
from ci_eval.report.page import ARROWS, Page


def _localise(page: Page, axis: Any) -> None:
    """Tick labels with the language's decimal separator (``2,5`` in French)."""
    from matplotlib.ticker import FuncFormatter

    def tick(value: float, _pos: int | None = None) -> str:
        shortest = f"{round(float(value), 6):g}"
        digits = len(shortest.split(".")[1]) if "." in shortest and "e" not in shortest else 0
        return page.number(value, digits)

    axis.set_major_formatter(FuncFormatter(tick))


def _latest_wave(page: Page) -> str:
    return str(max(page.table("indicators")["wave"].astype(str)))


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def _notes(page: Page, rows: pd.DataFrame) -> list[str]:
    notes = []
    for universe in sorted(set(rows["universe"].astype(str))):
        notes.append(page.universe(universe))
    for treatment in sorted(set(rows["missing_treatment"].astype(str))):
        notes.append(page.missing_note(treatment))
    notes.append(page.legend())
    return notes


def indicators_of(page: Page, *, survey: str | None = None, outcomes: list[str] | None = None):
    """Indicator ids in the store's order, filtered by survey and/or outcome."""
    ind = page.table("indicators")
    if survey is not None:
        ind = ind[ind["survey"] == survey]
    if outcomes is not None:
        ind = ind[ind["outcome"].isin(outcomes)]
    return list(dict.fromkeys(ind["indicator"]))


# ---------------------------------------------------------------- key findings
def key_findings(page: Page, indicators: list[str]) -> str:
    """Headline numbers of the latest wave with their 95% CIs and change since baseline."""
    wave = _latest_wave(page)
    ind = page.table("indicators")
    overall = ind[(ind["domain"] == "overall") & (ind["wave"] == wave)]
    trends = page.table("trends") if page.has("trends") else pd.DataFrame()
    cards = []
    for indicator in indicators:
        rows = overall[overall["indicator"] == indicator]
        if rows.empty:
            continue
        row = _rows(rows)[0]
        trend = "not_assessed"
        if not trends.empty:
            t = trends[(trends["indicator"] == indicator) & (trends["domain"] == "overall")]
            if not t.empty:
                trend = str(t.iloc[0]["trend"])
        ci = page.ci_html(row)
        ci_text = f"<span class='ci-ci'>{page.t('common.ci95')} {ci}</span>" if ci else ""
        cards.append(
            "<div class='ci-card'>"
            f"<p class='ci-card-value'>{page.estimate_html(row)}</p>"
            f"<p class='ci-card-label'>{escape(page.label('indicator', indicator))}</p>"
            f"{ci_text}"
            f"<p class='ci-card-trend'><span aria-hidden='true'>{ARROWS[trend]}</span> "
            f"{escape(page.t('trend.' + trend))}</p>"
            f"<p class='ci-notes'>{escape(page.universe(str(row['universe'])))}</p>"
            "</div>"
        )
    legend = f"<p class='ci-notes'>{escape(page.legend())}</p>"
    return f"<div class='ci-cards'>{''.join(cards)}</div>{legend}"


def scorecard_summary(page: Page) -> str:
    """One sentence per survey: "n of N indicators improved ..."."""
    if not page.has("scorecard"):
        return ""
    card = page.table("scorecard")
    items = []
    for survey, group in card.groupby("survey", sort=True):
        counts = {str(r["trend"]): int(r["count"]) for r in _rows(group)}
        total = int(group["total"].iloc[0])
        items.append(
            "<li>"
            + escape(
                page.t(
                    "scorecard.summary",
                    survey=page.label("survey", str(survey)),
                    improved=counts.get("improved", 0),
                    steady=counts.get("steady", 0),
                    worsened=counts.get("worsened", 0),
                    total=total,
                )
            )
            + "</li>"
        )
    return f"<ul class='ci-summary'>{''.join(items)}</ul>"


# ---------------------------------------------------------------- domains
def domain_figure(page: Page, indicator: str, domain: str) -> str:
    """Estimates of one indicator by the levels of one domain, latest wave, with 95% CIs."""
    wave = _latest_wave(page)
    ind = page.table("indicators")
    rows = ind[(ind["indicator"] == indicator) & (ind["wave"] == wave)]
    rows = rows[(rows["domain"] == domain) | (rows["domain"] == "overall")]
    if rows.empty:
        return ""
    rows = pd.concat([rows[rows["domain"] == "overall"], rows[rows["domain"] == domain]])
    records = _rows(rows)
    stat = str(records[0]["statistic"])
    scale = 100.0 if stat == "proportion" else 1.0
    fig = new_figure(7.0, 0.45 * len(records) + 1.2)
    ax = fig.add_subplot()
    names, described = [], []
    for i, row in enumerate(records):
        name = page.domain_label(str(row["domain"]), str(row["domain_value"]))
        names.append(name)
        y = len(records) - 1 - i
        hidden = bool(row["suppressed"]) or row["flag"] == "F"
        if hidden:
            symbol = page.estimate_html(row).split(">")[1].split("<")[0]
            ax.text(0, y, f" {symbol}", va="center", fontsize=10, fontweight="bold")
            described.append(f"{name}: {page.t('common.suppressed')}")
            continue
        est = row["estimate"] * scale
        colour = COLOURS[0] if row["domain"] != "overall" else COLOURS[1]
        ax.barh(y, est, color=colour, height=0.6, hatch="//" if row["flag"] == "E" else None)
        ax.errorbar(
            est,
            y,
            xerr=[[est - row["ci_low"] * scale], [row["ci_high"] * scale - est]],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
        )
        text = page.value(row["estimate"], stat) + (" E" if row["flag"] == "E" else "")
        described.append(f"{name}: {text}")
    ax.set_yticks(range(len(records)), list(reversed(names)))
    ax.set_xlabel(page.t("common.percent") if stat == "proportion" else page.t("common.value"))
    ax.set_xlim(left=0)
    _localise(page, ax.xaxis)
    title = page.t(
        "figures.by_domain",
        indicator=page.label("indicator", indicator),
        domain=page.label("variable", domain),
        wave=wave,
    )
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(_notes(page, rows)) + " " + page.t("figures.whiskers")
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
    for key in _rows(keys):
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
            row = _rows(match)[0]
            cells += [page.estimate_html(row), page.ci_html(row), page.number(row["n"])]
        body.append(cells)
    caption = page.label("indicator", indicator)
    return page.html_table(caption, headers, body, _notes(page, rows))


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


def waves_figure(page: Page, indicators: list[str], name: str) -> str:
    """Overall proportions of several indicators, one bar per wave, with 95% CIs."""
    ind = page.table("indicators")
    rows = ind[
        ind["indicator"].isin(indicators)
        & (ind["domain"] == "overall")
        & (ind["statistic"] == "proportion")
    ]
    if rows.empty:
        return ""
    names = list(dict.fromkeys(rows["indicator"]))
    waves = sorted(set(rows["wave"].astype(str)))
    fig = new_figure(7.0, 0.5 * len(names) * len(waves) + 1.2)
    ax = fig.add_subplot()
    height = 0.8 / len(waves)
    described = []
    for wi, wave in enumerate(waves):
        for k, indicator in enumerate(names):
            match = rows[(rows["indicator"] == indicator) & (rows["wave"] == wave)]
            if match.empty:
                continue
            row = _rows(match)[0]
            y = len(names) - 1 - k + (len(waves) - 1 - wi) * height - 0.4 + height / 2
            label = page.label("indicator", indicator)
            if bool(row["suppressed"]) or row["flag"] == "F":
                ax.text(0, y, " F" if row["flag"] == "F" else " x", va="center")
                described.append(f"{label} {wave}: {page.t('common.suppressed')}")
                continue
            est = 100 * row["estimate"]
            ax.barh(
                y,
                est,
                height=height * 0.9,
                color=COLOURS[wi % len(COLOURS)],
                label=wave if k == 0 else None,
                hatch="//" if row["flag"] == "E" else None,
            )
            ax.errorbar(
                est,
                y,
                xerr=[[est - 100 * row["ci_low"]], [100 * row["ci_high"] - est]],
                fmt="none",
                ecolor="black",
                capsize=2,
                lw=1,
            )
            described.append(f"{label} {wave}: {page.value(row['estimate'], 'proportion')}")
    ax.set_yticks(
        range(len(names)),
        ["\n".join(_wrap(page.label("indicator", i), 30)) for i in reversed(names)],
    )
    ax.set_xlabel(page.t("common.percent"))
    ax.set_xlim(0, 100)
    _localise(page, ax.xaxis)
    ax.legend(loc="lower right", frameon=False)
    title = page.t("figures.by_wave")
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(_notes(page, rows)) + " " + page.t("figures.whiskers")
    return page.figure(fig, name, alt, title, notes)


def sector_sections(page: Page) -> str:
    """The organisation survey: proportions over waves, then one table per indicator."""
    survey = page.settings["sector_survey"]
    indicators = indicators_of(page, survey=survey)
    blocks = [waves_figure(page, indicators, "sector-waves")]
    for indicator in indicators:
        blocks.append(f"<h2>{escape(page.label('indicator', indicator))}</h2>")
        blocks.append(domain_table(page, indicator))
    return "\n".join(blocks)


# ---------------------------------------------------------------- contributions
EFFECTS = ("ate", "ame", "risk_difference", "mean_difference")
MODELS = ("raw", "regression", "gcomp", "aipw")


def _effects(page: Page) -> pd.DataFrame:
    """One effect per contribution, contrast and model (latest wave): the first measure of
    :data:`EFFECTS` the model gives, so every row of a forest plot is on the outcome's scale."""
    con = page.table("contributions", latest=True)
    con = con[con["measure"].isin(EFFECTS)].copy()
    con["rank"] = con["measure"].map({m: i for i, m in enumerate(EFFECTS)})
    con["model_order"] = con["model"].map({m: i for i, m in enumerate(MODELS)}).fillna(9)
    keys = ["contribution"] + (["contrast"] if "contrast" in con.columns else []) + ["model"]
    con = con.sort_values([*keys, "rank"], kind="stable").drop_duplicates(keys)
    order = [k for k in keys if k != "model"] + ["model_order"]
    return con.sort_values(order, kind="stable")


def _contribution_title(page: Page, row: dict[str, Any]) -> str:
    exposure = page.label("indicator", str(row["exposure"]))
    if exposure == str(row["exposure"]):  # not a yes/no indicator (e.g. an ordered exposure)
        return page.t(
            "contributions.title_labelled",
            outcome=page.label("indicator", str(row["outcome"])),
            contribution=page.label("contribution", str(row["contribution"])),
        )
    if len(exposure) > 1 and exposure[1].islower():  # "Had a mentor" -> "had a mentor"
        exposure = exposure[0].lower() + exposure[1:]
    return page.t(
        "contributions.title",
        outcome=page.label("indicator", str(row["outcome"])),
        exposure=exposure,
    )


def _contribution_titles(page: Page) -> dict[str, str]:
    """The title of every contribution spec, by its id (empty without a contributions table)."""
    if not page.has("contributions"):
        return {}
    con = page.table("contributions")
    return {
        row["contribution"]: _contribution_title(page, row)
        for row in _rows(con.drop_duplicates("contribution"))
    }


def forest_plot(page: Page) -> str:
    """Effects of each exposure on each outcome, by model, with 95% CIs (one panel each)."""
    if not page.has("contributions"):
        return ""
    effects = _effects(page)
    blocks = []
    for contribution, group in effects.groupby("contribution", sort=False):
        rows = _rows(group)
        fig = new_figure(7.0, 0.35 * len(rows) + 1.1)
        ax = fig.add_subplot()
        names, described = [], []
        for i, row in enumerate(rows):
            y = len(rows) - 1 - i
            name = page.t("models." + str(row["model"]))
            if "contrast" in row and str(row["contrast"]) not in ("1 vs 0", ""):
                name = f"{name}, {_contrast(page, row)}"
            names.append(name)
            colour = (
                COLOURS[MODELS.index(row["model"]) % len(COLOURS)]
                if row["model"] in MODELS
                else COLOURS[0]
            )
            ax.errorbar(
                row["estimate"],
                y,
                fmt="o",
                color=colour,
                capsize=3,
                xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
            )
            described.append(
                f"{name}: {page.number(row['estimate'], 3)} "
                f"({page.t('common.ci95')} {page.number(row['ci_low'], 3)} ; "
                f"{page.number(row['ci_high'], 3)})"
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(range(len(rows)), list(reversed(names)))
        ax.set_xlabel(page.t("figures.effect"))
        _localise(page, ax.xaxis)
        title = _contribution_title(page, rows[0])
        alt = f"{title}. " + "; ".join(described) + "."
        notes = page.t("contributions.note") + " " + page.t("figures.forest_note")
        blocks.append(page.figure(fig, f"forest-{contribution}", alt, title, notes))
    return "\n".join(blocks)


def _contrast(page: Page, row: dict[str, Any]) -> str:
    parts = str(row.get("contrast", "")).split(" vs ")
    if len(parts) != 2:
        return str(row.get("contrast", ""))
    exposure = str(row["exposure"])
    high, low = (page.label("level", p, exposure) for p in parts)
    return f"{high} / {low}"


def contributions_table(page: Page) -> str:
    """Every contribution estimate of the latest wave with its CI, p-value and E-value."""
    if not page.has("contributions"):
        return ""
    con = page.table("contributions", latest=True)
    order = {m: i for i, m in enumerate(MODELS)}
    con = con.assign(_m=con["model"].map(order).fillna(9))
    keys = ["contribution"] + (["contrast"] if "contrast" in con.columns else [])
    con = con.sort_values([*keys, "_m"], kind="stable")
    headers = [
        page.t(f"contributions.{h}")
        for h in ("outcome", "exposure", "model", "measure", "estimate", "ci", "p", "evalue", "n")
    ]
    body = []
    for row in _rows(con):
        exposure = page.label("indicator", str(row["exposure"]))
        if "contrast" in row and str(row["contrast"]) not in ("1 vs 0", ""):
            exposure = f"{exposure} ({_contrast(page, row)})"
        body.append(
            [
                escape(page.label("indicator", str(row["outcome"]))),
                escape(exposure),
                escape(page.t("models." + str(row["model"]))),
                escape(page.t("measures." + str(row["measure"]))),
                escape(page.number(row["estimate"], 3)),
                escape(f"{page.number(row['ci_low'], 3)} ; {page.number(row['ci_high'], 3)}"),
                escape(_p_value(page, row["p_value"])),
                escape(page.number(row["e_value"], 2)),
                escape(page.number(row["n"])),
            ]
        )
    wave = str(con["wave"].iloc[0]) if "wave" in con.columns and len(con) else ""
    return page.html_table(
        page.t("contributions.caption", wave=wave),
        headers,
        body,
        [page.t("contributions.note"), page.t("contributions.evalue_note")],
    )


def _p_value(page: Page, p: float) -> str:
    if p is None or pd.isna(p):
        return page.number(float("nan"))
    if p < 0.001:
        return "< " + page.number(0.001, 3)
    return page.number(p, 3)


def dose_response_figure(page: Page) -> str:
    """Outcome by exposure level (e.g. length of the relationship), latest wave, with 95% CIs."""
    if not page.has("dose_response"):
        return ""
    dose = page.table("dose_response", latest=True).sort_values(
        ["contribution", "order"], kind="stable"
    )
    exposures = {}
    if page.has("contributions"):
        con = page.table("contributions")
        exposures = dict(
            zip(
                con["contribution"],
                zip(con["outcome"], con["exposure"], strict=False),
                strict=False,
            )
        )
    blocks = []
    for contribution, group in dose.groupby("contribution", sort=True):
        rows = _rows(group)
        outcome, exposure = exposures.get(contribution, ("", ""))
        levels = [page.label("level", str(r["exposure_level"]), str(exposure)) for r in rows]
        fig = new_figure(6.0, 3.0)
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        est = np.array([r["estimate"] for r in rows])
        ax.errorbar(
            x,
            est,
            yerr=[est - [r["ci_low"] for r in rows], [r["ci_high"] for r in rows] - est],
            fmt="o-",
            color=COLOURS[0],
            capsize=3,
        )
        ax.set_xticks(x, levels)
        ax.set_ylabel(page.label("indicator", str(outcome)))
        _localise(page, ax.yaxis)
        title = page.t(
            "figures.dose",
            outcome=page.label("indicator", str(outcome)),
            exposure=page.label("variable", str(exposure)),
        )
        alt = (
            f"{title}. "
            + "; ".join(
                f"{level}: {page.number(r['estimate'], 1)}"
                for level, r in zip(levels, rows, strict=True)
            )
            + "."
        )
        blocks.append(
            page.figure(
                fig,
                f"dose-{contribution}",
                alt,
                title,
                page.t("contributions.note") + " " + page.t("figures.whiskers"),
            )
        )
    return "\n".join(blocks)


def gap_projection_table(page: Page) -> str:
    """What the outcome would be if the young people who wanted a mentor had had one."""
    if not page.has("gap_projection"):
        return ""
    gap = page.table("gap_projection", latest=True)
    names = _contribution_titles(page)
    headers = [
        page.t("contributions.outcome"),
        page.t("gap.population"),
        page.t("gap.scenario"),
        page.t("common.estimate"),
        page.t("common.ci95"),
        page.t("gap.change"),
    ]
    body = []
    for r in _rows(gap):
        population = str(r.get("population", "all"))
        change = (
            ""
            if r["scenario"] == "observed"
            else (
                f"{page.number(r['change'], 3)} ({page.number(r['change_ci_low'], 3)} ; "
                f"{page.number(r['change_ci_high'], 3)})"
            )
        )
        body.append(
            [
                escape(names.get(r["contribution"], str(r["contribution"]))),
                escape(page.t("gap.populations." + population)),
                escape(page.t("gap." + str(r["scenario"]))),
                escape(page.number(r["estimate"], 3)),
                escape(f"{page.number(r['ci_low'], 3)} ; {page.number(r['ci_high'], 3)}"),
                escape(change),
            ]
        )
    return page.html_table(page.t("gap.caption"), headers, body, [page.t("gap.note")])


def _covariate(page: Page, name: str) -> str:
    """``family_income=2`` as "Family income: $40,000 to $79,999"."""
    variable, _, code = name.partition("=")
    if not code:
        return page.label("variable", variable)
    return f"{page.label('variable', variable)}: {page.label('level', code, variable)}"


def _margin_level(page: Page, margin: str, level: str) -> str:
    """A cell of a (crossed) margin: ``age_band x gender_plus`` and ``1:2`` in words."""
    variables = [v.strip() for v in margin.split(" x ")]
    codes = level.split(":")
    if len(codes) != len(variables):
        return level
    return " \u00d7 ".join(page.label("level", c, v) for v, c in zip(variables, codes, strict=True))


def balance_table(page: Page) -> str:
    """Standardised mean differences of the covariates before and after adjustment."""
    if not page.has("balance"):
        return ""
    bal = page.table("balance", latest=True)
    names = _contribution_titles(page)
    headers = [
        page.t("balance.contribution"),
        page.t("balance.covariate"),
        page.t("balance.before"),
        page.t("balance.after"),
    ]
    body = [
        [
            escape(names.get(r["contribution"], str(r["contribution"]))),
            escape(_covariate(page, str(r["covariate"]))),
            escape(page.number(r["smd_before"], 3)),
            escape(page.number(r["smd_after"], 3)),
        ]
        for r in _rows(bal)
    ]
    return page.html_table(page.t("balance.caption"), headers, body, [page.t("balance.note")])


# ---------------------------------------------------------------- scorecard
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
        trend = _rows(t)[0]
        base = _rows(rows[rows["wave"] == str(trend["baseline_wave"])])
        now = _rows(rows[rows["wave"] == str(trend["wave"])])
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
                g = _rows(tg)[0]
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


# ---------------------------------------------------------------- theory of change
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
    for row in _rows(toc):
        for target in [t for t in str(row["leads_to"]).split(",") if t]:
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
        text = "\n".join(_wrap(page.label("outcome", outcome), 24))
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


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


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


# ---------------------------------------------------------------- methods
def _simple_table(
    page: Page,
    name: str,
    columns: list[str],
    caption: str,
    notes: list[str],
    digits: dict[str, int] | None = None,
    latest: bool = False,
) -> str:
    if not page.has(name):
        return ""
    frame = page.table(name, latest=latest)
    columns = [c for c in columns if c in frame.columns]
    digits = digits or {}
    body = []
    for row in _rows(frame):
        cells = []
        for col in columns:
            value = row[col]
            if col == "survey":
                cells.append(escape(page.label("survey", str(value))))
            elif col == "indicator":
                cells.append(escape(page.label("indicator", str(value))))
            elif col == "rule":
                cells.append(escape(page.words.get("rules", {}).get(str(value), str(value))))
            elif col == "margin":
                names = [page.label("variable", v.strip()) for v in str(value).split(" x ")]
                cells.append(escape(" \u00d7 ".join(names)))
            elif col == "level" and "margin" in row:
                cells.append(escape(_margin_level(page, str(row["margin"]), str(value))))
            elif isinstance(value, (bool, np.bool_)):
                cells.append(escape(page.t("common.answer_yes" if value else "common.answer_no")))
            elif isinstance(value, (int, float, np.integer, np.floating)):
                cells.append(escape(page.number(float(value), digits.get(col, 0))))
            else:
                cells.append(escape(str(value)))
        body.append(cells)
    headers = [page.t(f"methods.columns.{c}") for c in columns]
    return page.html_table(caption, headers, body, notes)


def weighting_table(page: Page) -> str:
    """Weighting diagnostics per survey wave (Kish design effect, effective n)."""
    return _simple_table(
        page,
        "weighting",
        [
            "survey",
            "wave",
            "n",
            "sum_weights",
            "kish_deff",
            "effective_n",
            "min",
            "max",
            "iterations",
            "converged",
            "trimmed",
        ],
        page.t("methods.weighting_caption"),
        [page.t("methods.weighting_note")],
        {"kish_deff": 2, "min": 2, "max": 2},
    )


def margins_table(page: Page) -> str:
    """Population margins: target shares, sample before and after weighting."""
    return _simple_table(
        page,
        "weighting_margins",
        ["survey", "wave", "margin", "level", "target", "before", "after"],
        page.t("methods.margins_caption"),
        [],
        {"target": 0, "before": 0, "after": 0},
        latest=True,
    )


def reliability_table(page: Page) -> str:
    """Cronbach's alpha of every scale, overall and by questionnaire language."""
    return _simple_table(
        page,
        "reliability",
        ["indicator", "wave", "language", "n", "items", "alpha", "ci_low", "ci_high"],
        page.t("methods.reliability_caption"),
        [page.t("methods.reliability_note")],
        {"alpha": 3, "ci_low": 3, "ci_high": 3},
    )


def quality_table(page: Page) -> str:
    """Responses excluded by each quality rule, in order."""
    return _simple_table(
        page,
        "quality",
        ["survey", "wave", "rule", "flagged", "excluded", "remaining"],
        page.t("methods.quality_caption"),
        [page.t("methods.quality_note")],
    )


def disclosure_text(page: Page, manifest: dict[str, Any]) -> str:
    """The disclosure rules in force for this edition."""
    rules = manifest.get("settings", {}).get("disclosure", {})
    values = {"min_cell": 10, "cv_caution": 16.5, "cv_suppress": 33.3, "min_peers": 5}
    values.update({k: v for k, v in rules.items() if k in values})
    text = page.t(
        "methods.disclosure",
        min_cell=page.number(values["min_cell"]),
        cv_caution=page.number(values["cv_caution"], 1),
        cv_suppress=page.number(values["cv_suppress"], 1),
        min_peers=page.number(values["min_peers"]),
    )
    return f"<p>{escape(text)}</p><p class='ci-notes'>{escape(page.legend())}</p>"


def read_manifest(page: Page) -> dict[str, Any]:
    """The run's manifest, or an empty one when the store has none (e.g. a test store)."""
    path = Path(page.store.root) / "manifest.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_tables(page: Page) -> str:
    """The manifest: inputs with their hashes, seeds, package versions, rows per stage."""
    manifest = read_manifest(page)
    if not manifest:
        return f"<p>{escape(page.t('repro.no_manifest'))}</p>"
    blocks = []
    inputs = manifest.get("inputs", {})
    body = [
        [escape(path), f"<code>{escape(str(h))[:16]}\u2026</code>"]
        for path, h in sorted(inputs.items())
    ]
    blocks.append(
        page.html_table(page.t("repro.inputs"), [page.t("repro.file"), "SHA-256"], body, [])
    )
    packages = manifest.get("packages", {})
    body = [[escape(n), escape(str(v))] for n, v in sorted(packages.items())]
    blocks.append(
        page.html_table(
            page.t("repro.packages"), [page.t("repro.package"), page.t("repro.version")], body, []
        )
    )
    rows = manifest.get("rows", {})
    body = []
    for stage, counts in rows.items():
        if stage == "tables":
            continue  # the tables' rows are in the store's index
        items = counts.items() if isinstance(counts, dict) else [("", counts)]
        for part, n in sorted(items):
            body.append([escape(f"{stage} {part}".strip()), escape(page.number(n))])
    blocks.append(
        page.html_table(page.t("repro.rows"), [page.t("repro.stage"), page.t("common.n")], body, [])
    )
    seed = manifest.get("seed")
    if seed is not None:
        blocks.append(f"<p>{escape(page.t('repro.seed', seed=seed))}</p>")
    return "\n".join(blocks)
