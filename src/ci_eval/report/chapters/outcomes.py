"""Outcomes and the contribution of mentoring (``book/outcomes.md``).

The page leads with one *primary* estimate per outcome and comparison: the ``primary`` rows of
the ``contributions`` table (``[analysis] primary_estimator``, see
:mod:`ci_eval.analysis.contribution.tables`), shown in the outcome's units (percentage points
for a yes/no outcome, the score's own points for a score, :data:`UNITS`) as a forest plot per
unit and a compact table. The other estimators (unadjusted, doubly robust, odds and risk
ratios), the E-values, the overlap of the propensity scores and the largest covariate
imbalance follow in a ``<details>`` section; then the dose-response figure and the projection
of closing the gap, worded as what would follow *if* the association were causal.
"""

from __future__ import annotations

import functools
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from ci_eval.report.chapters.common import localise, rows_of, wrap
from ci_eval.report.figure_files import COLOURS, new_figure
from ci_eval.report.format import format_range
from ci_eval.report.page import Page

UNITS = {"proportion": (100.0, 1), "mean": (1.0, 2)}
"""How an effect is shown, by the outcome's statistic: the factor to its unit (percentage
points for a proportion, the score's points for a mean) and the digits shown."""
RATIO_DIGITS = 2
"""Digits of odds ratios, risk ratios and E-values."""
OTHER_ESTIMATES = (
    ("raw", "difference"),
    ("aipw", "ate"),
    ("regression", "odds_ratio"),
    ("gcomp", "risk_ratio"),
)
"""The columns of the other-estimators table: (model, measure); ``difference`` is the model's
difference in proportion or in mean."""


# ------------------------------------------------------------------ words
def _lower(text: str) -> str:
    """``Not mentored`` -> ``not mentored`` inside a sentence (an acronym stays as it is).

    >>> _lower("Not mentored"), _lower("SWEMWBS score")
    ('not mentored', 'SWEMWBS score')
    """
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _named(page: Page, name: str) -> str:
    """The label of an indicator, else of a codebook variable (an exposure may be either)."""
    label = page.label("indicator", name)
    return label if label != name else page.label("variable", name)


def _population(page: Page, universe: str) -> str:
    """Who a comparison is about, as a phrase to follow "among" (the contributions are
    estimated on the people survey, whose ``all`` is its population)."""
    return _lower(page.population(universe, str(page.settings["people_survey"])))


def _group(page: Page, row: dict[str, Any], key: str) -> tuple[str, bool]:
    """The name of the group ``row[key]`` ("high" or "low") and whether the model named it
    (the contribution's ``levels``) rather than the exposure's codebook."""
    code = str(row[key])
    named = page.label("level", code, str(row["contribution"]))
    if named != code:
        return named, True
    return page.label("level", code, str(row["exposure"])), False


def comparison(page: Page, row: dict[str, Any]) -> str:
    """Who is compared with whom, and among whom, in words.

    "Mentored vs not mentored"; "Structured (program) mentor vs informal mentors only, among
    young adults who had a mentor"; an exposure without model-named groups is named first
    ("Length of the relationship: 1 to 2 years vs less than 1 year, among ...").
    """
    if not str(row["high"]):  # suppressed: no contrast was estimated
        text = page.label("contribution", str(row["contribution"]))
    else:
        (high, named), (low, _) = _group(page, row, "high"), _group(page, row, "low")
        text = page.t("contributions.versus", high=high, low=_lower(low))
        if not named:
            text = (
                f"{_named(page, str(row['exposure']))}{page.t('contributions.colon')}{_lower(text)}"
            )
    universe = str(row.get("universe") or "all")
    if universe != "all":
        text = page.t("contributions.among", comparison=text, who=_population(page, universe))
    return text


def _and_list(page: Page, items: list[str]) -> str:
    """``a, b and c`` in the page's language."""
    if len(items) < 2:
        return "".join(items)
    return page.t("contributions.and_list", head=", ".join(items[:-1]), last=items[-1])


def covariates_text(page: Page, variables: list[str]) -> str:
    """The adjustment covariates in words: "family income, region, gender and age band"."""
    return _and_list(page, [_lower(page.label("variable", v)) for v in variables])


# ------------------------------------------------------------------ numbers
def _statistic(page: Page, indicator: str) -> str:
    """``proportion`` or ``mean``: how the outcome indicator is estimated."""
    ind = page.table("indicators")
    rows = ind.loc[ind["indicator"] == indicator, "statistic"]
    return "proportion" if len(rows) and rows.iloc[0] == "proportion" else "mean"


def effect(page: Page, value: float, statistic: str) -> str:
    """A difference in the outcome's units: ``6.8`` (points) for a proportion of 0.068."""
    scale, digits = UNITS[statistic]
    return page.number(value * scale, digits)


def level(page: Page, value: float, statistic: str) -> str:
    """An outcome level: a percentage for a proportion, else the score."""
    if statistic == "proportion":
        return page.percent(value, UNITS["proportion"][1])
    return page.number(value, UNITS["mean"][1])


def interval(page: Page, low: str, high: str) -> str:
    """The bounds of a CI, as every table of the report writes them: "2.5 – 11.1"."""
    return format_range(low, high)


def _described(page: Page, name: str, row: dict[str, Any], show: Any) -> str:
    """A figure's point in words, for its alt text: "name: 6.8 (95% CI 2.5 to 11.1)"."""
    bounds = interval(page, show(row["ci_low"]), show(row["ci_high"]))
    ci = f"{page.t('common.ci95')} {bounds}"
    return f"{name}{page.t('contributions.colon')}{show(row['estimate'])} ({ci})"


def primary_estimates(page: Page) -> pd.DataFrame:
    """The latest wave's primary estimates, in the model's order, with the ``statistic`` of
    each outcome (empty without a contributions table)."""
    if not page.has("contributions"):
        return pd.DataFrame()
    con = page.table("contributions", latest=True)
    con = con[con["primary"]].copy()
    con["statistic"] = [_statistic(page, str(o)) for o in con["outcome"]]
    return con


def _by_unit(estimates: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The estimates in one group per unit, yes/no outcomes first."""
    return [
        (s, estimates[estimates["statistic"] == s])
        for s in UNITS
        if (estimates["statistic"] == s).any()
    ]


# ------------------------------------------------------------------ blocks
def adjustment_covariates(page: Page) -> str:
    """What the adjusted estimates account for, per comparison, from the model's
    ``adjust_for`` (as the contributions table records it): a paragraph, or a list when the
    comparisons differ."""
    estimates = primary_estimates(page)
    if estimates.empty:
        return ""
    by_set: dict[tuple[str, ...], list[str]] = {}
    for row in rows_of(estimates.drop_duplicates("contribution")):
        key = tuple(row["adjust_for"])
        text = comparison(page, row)
        if text not in by_set.setdefault(key, []):
            by_set[key].append(text)
    if len(by_set) == 1:
        (variables,) = by_set
        text = page.t(
            "contributions.adjusted_for", covariates=covariates_text(page, list(variables))
        )
        return f"<p>{escape(text)}</p>"
    items = []
    for variables, names in by_set.items():
        covariates = covariates_text(page, list(variables)) or page.t("contributions.nothing")
        items.append(
            "<li>"
            + escape(
                page.t(
                    "contributions.adjusted_item",
                    comparisons="; ".join(names),
                    covariates=covariates,
                )
            )
            + "</li>"
        )
    return f"<p>{escape(page.t('contributions.adjusted_intro'))}</p>\n<ul>{''.join(items)}</ul>"


def forest_plot(page: Page) -> str:
    """The primary estimates with their 95% CIs, one figure per unit (percentage points for
    yes/no outcomes, score points for scores), with a zero line."""
    estimates = primary_estimates(page)
    if estimates.empty:
        return ""
    shown = estimates[~estimates["suppressed"].astype(bool)]
    return "\n".join(_forest(page, group, stat) for stat, group in _by_unit(shown))


def _row_label(page: Page, row: dict[str, Any]) -> str:
    outcome = page.label("indicator", str(row["outcome"]))
    return page.t("contributions.row", outcome=outcome, comparison=_lower(comparison(page, row)))


FOREST_WIDTH, FOREST_WRAP = 5.0, 56
"""Width (inches) of a forest plot and the characters of a row label's line: each label sits
above its interval across the whole width, so it stays readable on a phone."""


def _forest(page: Page, frame: pd.DataFrame, statistic: str) -> str:
    rows = rows_of(frame)
    scale, _ = UNITS[statistic]
    labels = ["\n".join(wrap(_row_label(page, r), FOREST_WRAP)) for r in rows]
    slots = np.array([0.19 * (label.count("\n") + 1) + 0.32 for label in labels])  # inches
    y = -(np.cumsum(slots) - 0.14)  # each interval near the bottom of its slot
    fig = new_figure(FOREST_WIDTH, slots.sum() + 0.8)
    ax = fig.add_subplot()
    est = np.array([r["estimate"] for r in rows]) * scale
    low = np.array([r["ci_low"] for r in rows]) * scale
    high = np.array([r["ci_high"] for r in rows]) * scale
    ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", color=COLOURS[0], capsize=3)
    ax.axvline(0, color="grey", lw=1, ls="--")
    for label, at in zip(labels, y, strict=True):
        ax.annotate(
            label, (0, at), xycoords=("axes fraction", "data"), xytext=(2, 6),
            textcoords="offset points", ha="left", va="bottom", fontsize=10,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )  # fmt: skip
    for r, at, right in zip(rows, y, high, strict=True):  # the value, after its interval
        ax.annotate(
            effect(page, r["estimate"], statistic), (right, at), xytext=(5, 0),
            textcoords="offset points", ha="left", va="center", fontsize=9, color=COLOURS[0],
        )  # fmt: skip
    span = max(high.max(), 0) - min(low.min(), 0)
    ax.set_xlim(min(low.min(), 0) - 0.05 * span, max(high.max(), 0) + 0.14 * span)
    ax.set_ylim(-slots.sum() - 0.02, 0.02)
    ax.set_yticks([])
    ax.spines[["left", "top", "right"]].set_visible(False)
    ax.set_xlabel(page.t(f"contributions.axis.{statistic}"))
    localise(page, ax.xaxis)
    wave = str(rows[0]["wave"])
    caption = page.t(f"contributions.forest_caption.{statistic}", wave=wave)
    show = functools.partial(effect, page, statistic=statistic)
    described = [_described(page, _row_label(page, r), r, show) for r in rows]
    alt = f"{caption}. " + "; ".join(described) + "."
    notes = page.t("contributions.forest_note", estimator=_estimator(page, frame))
    return page.figure(fig, f"forest-{statistic}", alt, caption, notes)


def _estimator(page: Page, frame: pd.DataFrame) -> str:
    """The primary estimator of these rows (the published ones), in words."""
    published = frame[~frame["suppressed"].astype(bool)]
    models = list(dict.fromkeys(published["model"].astype(str)))
    return _and_list(page, [page.t(f"models.{m}") for m in models])


def contributions_table(page: Page) -> str:
    """The primary estimates as compact tables (one per unit): outcome, comparison, the two
    groups' adjusted levels, the difference and its 95% CI, n."""
    estimates = primary_estimates(page)
    if estimates.empty:
        return ""
    levels = _levels(page)
    return "\n".join(
        _primary_table(page, group, stat, levels) for stat, group in _by_unit(estimates)
    )


Pair = tuple[str, str, str, str]
"""A contrast's key: (contribution, model, high level, low level)."""


def _levels(page: Page) -> dict[Pair, tuple[float, float]]:
    """The adjusted levels of the two groups of each contrast (latest wave): the models'
    ``level_exposed`` and ``level_unexposed`` rows, and for an ordered exposure the
    g-computation levels of the ``dose_response`` table."""
    con = page.table("contributions", latest=True)
    found: dict[Pair, dict[str, float]] = {}
    for r in rows_of(con[con["measure"].isin(["level_exposed", "level_unexposed"])]):
        key = (str(r["contribution"]), str(r["model"]), str(r["high"]), str(r["low"]))
        found.setdefault(key, {})[str(r["measure"])] = r["estimate"]
    pairs = {k: (v["level_exposed"], v["level_unexposed"]) for k, v in found.items() if len(v) == 2}
    if page.has("dose_response"):
        dose = page.table("dose_response", latest=True)
        for cid, group in dose.groupby("contribution"):
            at = dict(zip(group["exposure_level"].astype(str), group["estimate"], strict=True))
            for high in at:
                for low in at:
                    pairs.setdefault((str(cid), "gcomp", high, low), (at[high], at[low]))
    return pairs


def _primary_table(
    page: Page, frame: pd.DataFrame, statistic: str, levels: dict[Pair, tuple[float, float]]
) -> str:
    body = []
    for r in rows_of(frame):
        # the regression's average marginal effect is the contrast of g-computation's levels
        model = "gcomp" if r["model"] == "regression" else str(r["model"])
        key = (str(r["contribution"]), model, str(r["high"]), str(r["low"]))
        exposed, unexposed = levels.get(key, (np.nan, np.nan))
        pair = (
            page.t(
                "contributions.pair",
                high=level(page, exposed, statistic),
                low=level(page, unexposed, statistic),
            )
            if not (pd.isna(exposed) or pd.isna(unexposed))
            else page.number(float("nan"))
        )
        if r["suppressed"]:
            diff = ci = page.t("common.suppressed")
        else:
            diff = effect(page, r["estimate"], statistic)
            ci = interval(
                page, effect(page, r["ci_low"], statistic), effect(page, r["ci_high"], statistic)
            )
        cells = [
            page.label("indicator", str(r["outcome"])),
            comparison(page, r),
            pair,
            diff,
            ci,
            page.number(r["n"]),
        ]
        body.append([escape(c) for c in cells])
    headers = [page.t(f"contributions.{h}") for h in ("outcome", "comparison", "levels")]
    headers += [
        page.t(f"contributions.difference.{statistic}"),
        page.t("common.ci95"),
        page.t("common.n"),
    ]
    wave = str(frame["wave"].iloc[0])
    notes = [page.t("contributions.levels_note"), page.t("contributions.missing_note")]
    return page.html_table(
        page.t(f"contributions.caption.{statistic}", wave=wave),
        headers,
        body,
        notes,
        source="contributions",
    )


def estimator_details(page: Page) -> str:
    """The other estimators and the sensitivity figures (E-values, overlap, imbalance), in a
    ``<details>`` section."""
    estimates = primary_estimates(page)
    if estimates.empty:
        return ""
    parts = [_other_estimators(page, estimates), _sensitivity(page, estimates)]
    summary = escape(page.t("contributions.details"))
    return (
        f'<details class="ci-details"><summary>{summary}</summary>\n'
        + "\n".join(p for p in parts if p)
        + "\n</details>"
    )


def _other_estimators(page: Page, estimates: pd.DataFrame) -> str:
    con = page.table("contributions", latest=True)
    found = {
        (str(r["contribution"]), str(r["high"]), str(r["model"]), str(r["measure"])): r
        for r in rows_of(con)
    }
    body = []
    for r in rows_of(estimates):
        stat = str(r["statistic"])
        cells = [escape(_row_label(page, r))]
        for model, measure in OTHER_ESTIMATES:
            names = (
                ("risk_difference", "mean_difference") if measure == "difference" else (measure,)
            )
            hit = next(
                (
                    found[k]
                    for m in names
                    if (k := (str(r["contribution"]), str(r["high"]), model, m)) in found
                ),
                None,
            )
            cells.append(_with_ci(page, hit, stat, ratio=measure.endswith("ratio")))
        body.append(cells)
    headers = [page.t("contributions.outcome_comparison")] + [
        page.t(f"contributions.other.{model}_{measure}") for model, measure in OTHER_ESTIMATES
    ]
    notes = [page.t("contributions.other_note", estimator=_estimator(page, estimates))]
    return page.html_table(
        page.t("contributions.other_caption", wave=_wave(estimates)),
        headers,
        body,
        notes,
        source="contributions",
    )


def _with_ci(page: Page, row: dict[str, Any] | None, statistic: str, ratio: bool) -> str:
    """An estimate with its CI below it, as a cell's HTML ("6.8 <br>(2.5 to 11.1)"); an em
    dash when absent."""
    if row is None or row["suppressed"] or pd.isna(row["estimate"]):
        return page.number(float("nan"))

    def show(value: float) -> str:
        return page.number(value, RATIO_DIGITS) if ratio else effect(page, value, statistic)

    ci = interval(page, show(row["ci_low"]), show(row["ci_high"]))
    return f"{escape(show(row['estimate']))} <br>({escape(ci)})"  # a space for the PDF


def _wave(frame: pd.DataFrame) -> str:
    return str(frame["wave"].iloc[0]) if len(frame) else ""


def _overlap(page: Page) -> dict[str, float]:
    """Overlap of the exposed and unexposed propensity distributions (the latest wave), by
    contribution: the sum over bins of the smaller share (1 = identical, 0 = disjoint)."""
    if not page.has("overlap"):
        return {}
    ov = page.table("overlap", latest=True)
    if ov.empty:
        return {}
    wide = ov.pivot_table(
        index=["contribution", "bin_low"], columns="group", values="share", aggfunc="sum"
    )
    if not {"exposed", "unexposed"} <= set(wide.columns):
        return {}
    smaller = np.minimum(wide["exposed"], wide["unexposed"])
    return smaller.groupby(level="contribution").sum().to_dict()


def _imbalance(page: Page) -> dict[str, tuple[float, float]]:
    """The largest absolute standardised mean difference before and after weighting."""
    if not page.has("balance"):
        return {}
    bal = page.table("balance", latest=True)
    worst = bal.assign(b=bal["smd_before"].abs(), a=bal["smd_after"].abs()).groupby("contribution")
    return {c: (g["b"].max(), g["a"].max()) for c, g in worst}


def _sensitivity(page: Page, estimates: pd.DataFrame) -> str:
    overlap, imbalance = _overlap(page), _imbalance(page)
    body = []
    for r in rows_of(estimates):
        cid = str(r["contribution"])
        before, after = imbalance.get(cid, (np.nan, np.nan))
        cells = [
            _row_label(page, r),
            page.number(r["e_value"], RATIO_DIGITS),
            page.number(r["e_value_ci"], RATIO_DIGITS),
            page.percent(overlap.get(cid, np.nan), 0),
            f"{page.number(before, RATIO_DIGITS)} \u2192 {page.number(after, RATIO_DIGITS)}",
        ]
        body.append([escape(c) for c in cells])
    keys = ("outcome_comparison", "evalue", "evalue_ci", "overlap", "imbalance")
    headers = [page.t(f"contributions.{k}") for k in keys]
    notes = [page.t(f"contributions.{k}_note") for k in ("evalue", "overlap", "smd")]
    return page.html_table(
        page.t("contributions.sensitivity_caption", wave=_wave(estimates)),
        headers,
        body,
        notes,
        source="contributions",
    )


def dose_response_figure(page: Page) -> str:
    """The outcome expected at each level of an ordered exposure (e.g. the length of the
    relationship), standardised for the covariates, latest wave, with 95% CIs."""
    if not page.has("dose_response"):
        return ""
    dose = page.table("dose_response", latest=True).sort_values(
        ["contribution", "order"], kind="stable"
    )
    specs = {}
    if page.has("contributions"):
        con = page.table("contributions", latest=True)
        specs = {str(r["contribution"]): r for r in rows_of(con.drop_duplicates("contribution"))}
    return "\n".join(
        _dose(page, str(cid), rows_of(group), specs.get(str(cid)))
        for cid, group in dose.groupby("contribution", sort=True)
    )


def _dose(
    page: Page, contribution: str, rows: list[dict[str, Any]], spec: dict[str, Any] | None
) -> str:
    outcome = str(spec["outcome"]) if spec else ""
    exposure = str(spec["exposure"]) if spec else ""
    statistic = _statistic(page, outcome) if outcome else "mean"
    scale = 100.0 if statistic == "proportion" else 1.0
    levels = [page.label("level", str(r["exposure_level"]), exposure) for r in rows]
    fig = new_figure(6.0, 3.4)
    ax = fig.add_subplot()
    x = np.arange(len(rows))
    est = np.array([r["estimate"] for r in rows], dtype=float) * scale
    low = np.array([r["ci_low"] for r in rows], dtype=float) * scale
    high = np.array([r["ci_high"] for r in rows], dtype=float) * scale
    ax.errorbar(x, est, yerr=[est - low, high - est], fmt="o-", color=COLOURS[0], capsize=4)
    ax.set_xticks(x, ["\n".join(wrap(level_, 16)) for level_ in levels])
    ax.set_xlim(-0.5, len(rows) - 0.5)
    ax.set_xlabel("\n".join(wrap(_named(page, exposure), 60)))
    ax.set_ylabel("\n".join(wrap(page.t(f"contributions.dose_axis.{statistic}"), 28)))
    localise(page, ax.yaxis)
    outcome_label = page.label("indicator", outcome)
    caption = page.t(
        "contributions.dose_caption",
        outcome=outcome_label,
        exposure=_lower(_named(page, exposure)),
        wave=str(rows[0]["wave"]),
    )
    universe = str(spec.get("universe") or "all") if spec else "all"
    notes = page.t(
        "contributions.dose_note",
        covariates=covariates_text(page, list(spec["adjust_for"])) if spec else "",
        who=_population(page, universe),
    )
    show = functools.partial(level, page, statistic=statistic)
    described = [_described(page, name, r, show) for name, r in zip(levels, rows, strict=True)]
    alt = f"{caption}. " + "; ".join(described) + "."
    return page.figure(fig, f"dose-{contribution}", alt, caption, notes)


def gap_projection_table(page: Page) -> str:
    """What the outcome would be if the association were causal and the young people who
    wanted a mentor had had one: observed and projected levels, and the projected change."""
    if not page.has("gap_projection"):
        return ""
    gap = page.table("gap_projection", latest=True)
    if gap.empty:
        return ""
    specs = {}
    if page.has("contributions"):
        con = page.table("contributions", latest=True)
        specs = {str(r["contribution"]): r for r in rows_of(con.drop_duplicates("contribution"))}
    body = []
    for (cid, population), group in gap.groupby(["contribution", "population"], sort=False):
        by = {str(r["scenario"]): r for r in rows_of(group)}
        observed, projected = by.get("observed"), by.get("if_mentored")
        if observed is None or projected is None:
            continue
        outcome = str(specs[cid]["outcome"]) if cid in specs else str(cid)
        stat = _statistic(page, outcome)
        change = page.t(
            "contributions.with_ci",
            estimate=effect(page, projected["change"], stat),
            ci=interval(
                page,
                effect(page, projected["change_ci_low"], stat),
                effect(page, projected["change_ci_high"], stat),
            ),
        )
        cells = [
            page.label("indicator", outcome),
            page.t(f"gap.populations.{population}"),
            level(page, observed["estimate"], stat),
            level(page, projected["estimate"], stat),
            change,
        ]
        body.append([escape(c) for c in cells])
    headers = [
        page.t(f"gap.{h}") for h in ("outcome", "population", "observed", "projected", "change")
    ]
    return page.html_table(
        page.t("gap.caption", wave=_wave(gap)),
        headers,
        body,
        [page.t("gap.note")],
        source="gap_projection",
    )
