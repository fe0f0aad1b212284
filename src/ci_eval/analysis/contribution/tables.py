"""Every contribution table of one spec and wave: estimates side by side, diagnostics, dose, gap.

For a binary exposure the ``contributions`` rows show the same comparison four ways, so that a
report can be honest about what a number means (a "53% more likely" that is an odds ratio over
raw levels of 67% and 62% is a risk ratio of 1.08):

- ``raw``: weighted outcome levels of the exposed and unexposed, their difference, risk ratio
  and odds ratio (no adjustment);
- ``regression``: the adjusted odds ratio (0/1 outcome) or difference (score) and the average
  marginal effect of the exposure in the outcome's units;
- ``gcomp``: standardised levels, risk ratio and difference (g-computation from that model);
- ``aipw``: the doubly robust levels, effect (``ate``) and risk ratio.

An exposure with more levels (ordered, e.g. relationship length) gets regression and g-computation
contrasts of each level (``high``) with the lowest (``low``) and the dose-response table.

One estimator is *primary* (``primary`` column): the one a report leads with, as the effect in
the outcome's own units (a difference in proportion for a 0/1 outcome, in scale points for a
score). It is ``[analysis] primary_estimator`` (default :data:`PRIMARY_ESTIMATOR`); an exposure
that estimator does not cover (AIPW needs a binary exposure) falls back to g-computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ci_eval.analysis.contribution.aipw import AIPWResult, aipw
from ci_eval.analysis.contribution.data import ContributionData, contribution_data
from ci_eval.analysis.contribution.dose import COLUMNS as DOSE_COLUMNS
from ci_eval.analysis.contribution.dose import dose_response
from ci_eval.analysis.contribution.evalue import e_values
from ci_eval.analysis.contribution.gap import gap_projection
from ci_eval.analysis.contribution.overlap import balance_table, overlap_table
from ci_eval.analysis.contribution.regression import (
    WeightedGLM,
    coefficient,
    contrast,
    fit_glm,
    standardised_means,
)
from ci_eval.analysis.indicators import statistic_of, universe_id
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.disclosure import DEFAULT_RULES
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import Contribution, ToCModel

COLUMNS = columns("contributions")
TABLES = ("contributions", "balance", "overlap", "dose_response", "gap_projection")
EMPTY_COLUMNS = {name: columns(name) for name in TABLES}
"""Columns of each contribution table (for an empty table when no spec produced rows)."""


ESTIMATORS = ("raw", "regression", "gcomp", "aipw")
"""The models of the ``model`` column, in the order a report lists them."""
PRIMARY_ESTIMATOR = "gcomp"
"""The default primary estimator: the adjusted, standardised (g-computation) difference."""
EFFECTS = {
    "raw": ("risk_difference", "mean_difference"),
    "regression": ("ame",),
    "gcomp": ("risk_difference", "mean_difference"),
    "aipw": ("ate",),
}
"""Each estimator's effect in the outcome's units (the measure a primary row has)."""


def contribution_id(spec: Contribution) -> str:
    """A stable id of a contribution spec: ``<outcome indicator>__<exposure>``."""
    return f"{spec.indicator}__{spec.exposure}"


def contribution_universe(spec: Contribution, model: ToCModel) -> str:
    """Who a spec's comparison is about, as a universe id (:func:`universe_id`).

    The exposure's universe when it is an indicator with one; for an item, the universe that
    every indicator scored from that item shares (the item is asked of them only); else the
    outcome indicator's universe.

    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "y", "label": {"en": "Y"}, "survey": "s", "items": ["q"],
    ...      "scoring": {"method": "value"}},
    ...     {"id": "long", "label": {"en": "L"}, "survey": "s", "items": ["length"],
    ...      "scoring": {"method": "threshold", "values": [3]}, "universe": "mentored == 1"}]})
    >>> spec = Contribution(indicator="y", exposure="length")
    >>> contribution_universe(spec, model), contribution_universe(
    ...     Contribution(indicator="y", exposure="other"), model)
    ('mentored_eq_1', 'all')
    """
    by_id = {i.id: i for i in model.indicators}
    if spec.exposure in by_id:
        found = {universe_id(by_id[spec.exposure])}
    else:
        found = {universe_id(i) for i in model.indicators if spec.exposure in i.items}
    if len(found) == 1 and found != {"all"}:
        return found.pop()
    return universe_id(by_id[spec.indicator]) if spec.indicator in by_id else "all"


@dataclass(frozen=True)
class ContributionTables:
    """The rows one spec and wave adds to each contribution table."""

    contributions: pd.DataFrame
    balance: pd.DataFrame
    overlap: pd.DataFrame
    dose_response: pd.DataFrame
    gap_projection: pd.DataFrame


class _Rows:
    def __init__(self, data: ContributionData, conf_level: float) -> None:
        self.rows: list[dict[str, object]] = []
        self.conf_level = conf_level
        w, y = data.w[data.keep], data.y[data.keep]
        mean = float(w @ y / w.sum())
        self.prevalence = mean
        self.sd = float(np.sqrt(w @ (y - mean) ** 2 / w.sum()))
        self.n = data.n

    def add(
        self,
        model: str,
        measure: str,
        values: tuple,
        levels: tuple[str, str],
        rr: tuple[float, float, float] | None = None,
    ) -> None:
        est, se, lo, hi, p = values
        if measure.startswith("level_"):
            ev = (float("nan"), float("nan"))
        else:
            ev = e_values(measure, est, lo, hi, prevalence=self.prevalence, sd=self.sd, rr=rr)
        self.rows.append(
            {
                "high": levels[0],
                "low": levels[1],
                "model": model,
                "measure": measure,
                "estimate": est,
                "se": se,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                "e_value": ev[0],
                "e_value_ci": ev[1],
                "n": self.n,
            }
        )


def _level(estimate: np.ndarray, vcov: np.ndarray, k: int, z: float) -> tuple:
    se = float(np.sqrt(max(vcov[k, k], 0.0)))
    return float(estimate[k]), se, float(estimate[k] - z * se), float(estimate[k] + z * se), np.nan


def contribution_tables(
    design: SurveyDesign,
    spec: Contribution,
    model: ToCModel,
    wave: str,
    codebook: Codebook | None = None,
    gap_indicator: str | None = None,
    gap_exposure: str | None = None,
    conf_level: float = 0.95,
    bins: int = 20,
    min_cell: int = DEFAULT_RULES.min_cell,
    primary: str = PRIMARY_ESTIMATOR,
) -> ContributionTables:
    """Estimate one contribution spec on one wave's design.

    The gap projection is made for the spec whose exposure is ``gap_exposure``, with the 0/1
    column ``gap_indicator`` marking who wanted the exposure and had none. ``primary`` names
    the estimator whose effect rows are marked ``primary`` (see :func:`primary_rows`).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"a": rng.integers(0, 2, 200), "w": 1.0})
    >>> df["y"] = (rng.random(200) < 0.3 + 0.3 * df["a"]).astype(float)
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "y", "label": {"en": "Y"}, "survey": "s", "items": ["q"],
    ...      "scoring": {"method": "threshold", "values": [1]}}],
    ...     "contributions": [{"indicator": "y", "exposure": "a"}]})
    >>> t = contribution_tables(SurveyDesign(df, weights="w"), model.contributions[0], model,
    ...                         "2024").contributions
    >>> sorted(set(t["model"])), "odds_ratio" in set(t["measure"])
    (['aipw', 'gcomp', 'raw', 'regression'], True)
    """
    outcome = model.indicator(spec.indicator)
    if spec.indicator not in design.data.columns:
        raise AnalysisError(
            f"contribution {contribution_id(spec)}: the outcome {spec.indicator!r} is not a "
            f"column of the scored {outcome.survey} data of wave {wave}"
        )
    binary = statistic_of(outcome, design.data[spec.indicator]) == "proportion"
    data = contribution_data(
        design, spec.indicator, spec.exposure, spec.adjust_for, binary, codebook
    )
    levels = data.levels
    smallest = min(int(((data.exposure == lv) & data.keep).sum()) for lv in levels)
    if smallest < min_cell:
        return _suppressed(spec, model, wave, data, f"an exposure group has n < {min_cell}")
    rows = _Rows(data, conf_level)
    adjusted = _model_rows(rows, design, data)
    balance = pd.DataFrame(columns=EMPTY_COLUMNS["balance"][2:])
    overlap = pd.DataFrame(columns=EMPTY_COLUMNS["overlap"][2:])
    dose = pd.DataFrame(columns=DOSE_COLUMNS)
    gap = pd.DataFrame()
    if len(levels) == 2:
        dr = _aipw_rows(rows, design, data)
        balance = balance_table(data, dr.propensity, dr.exposed)
        overlap = overlap_table(data, dr.propensity, dr.exposed, bins)
        if gap_indicator and spec.exposure == gap_exposure and gap_indicator in design.data:
            wanted = pd.to_numeric(design.data[gap_indicator], errors="coerce").to_numpy() == 1
            in_gap = wanted & data.keep & (data.exposure == levels[0])
            if in_gap.sum() >= min_cell:
                gap = gap_projection(design, data, adjusted, wanted, conf_level)
    elif _ordered(spec.exposure, codebook):
        dose = dose_response(design, data, adjusted, conf_level)
        small = dose["n"] < min_cell
        dose["suppressed"] = small
        dose["reason"] = np.where(small, f"n < {min_cell}", "")
        dose.loc[small, ["estimate", "se", "ci_low", "ci_high"]] = np.nan
    cid = contribution_id(spec)
    head = {"contribution": cid, "wave": str(wave)}
    contributions = pd.DataFrame(rows.rows).assign(
        contribution=cid,
        outcome=spec.indicator,
        exposure=spec.exposure,
        universe=contribution_universe(spec, model),
        adjust_for=[list(spec.adjust_for)] * len(rows.rows),
        wave=str(wave),
        suppressed=False,
        reason="",
    )
    contributions["primary"] = primary_rows(contributions, primary)
    contributions = contributions[COLUMNS]
    return ContributionTables(
        contributions=contributions,
        balance=_front(balance, head),
        overlap=_front(overlap, head),
        dose_response=_front(dose, head),
        gap_projection=_front(gap, head) if len(gap) else gap,
    )


def primary_rows(rows: pd.DataFrame, estimator: str = PRIMARY_ESTIMATOR) -> pd.Series:
    """Which of one spec's rows are its primary estimates: ``estimator``'s effect in the
    outcome's units (:data:`EFFECTS`), one per contrast; g-computation's when ``estimator``
    gave no row (AIPW on an exposure of more than two levels).

    >>> rows = pd.DataFrame({"model": ["raw", "gcomp", "gcomp"],
    ...                      "measure": ["risk_difference", "risk_ratio", "risk_difference"]})
    >>> primary_rows(rows, "gcomp").tolist(), primary_rows(rows, "aipw").tolist()
    ([False, False, True], [False, False, True])
    """
    if estimator not in EFFECTS:
        raise AnalysisError(
            f"primary estimator {estimator!r}: use one of {', '.join(map(repr, EFFECTS))}"
        )

    def of(name: str) -> pd.Series:
        return (rows["model"] == name) & rows["measure"].isin(EFFECTS[name])

    chosen = of(estimator)
    return chosen if chosen.any() else of(PRIMARY_ESTIMATOR)


def _interval(values: tuple) -> tuple[float, float, float]:
    """``(estimate, ci_low, ci_high)`` of an ``(estimate, se, low, high, p)`` tuple."""
    return values[0], values[2], values[3]


def _model_rows(rows: _Rows, design: SurveyDesign, data: ContributionData) -> WeightedGLM:
    """The raw, regression and g-computation rows; returns the adjusted outcome model."""
    levels, conf, binary = data.levels, rows.conf_level, data.binary
    L = len(levels)
    z = float(stats.norm.ppf(0.5 + conf / 2))
    diff = "risk_difference" if binary else "mean_difference"
    # raw: the exposure alone (its standardised levels are the weighted raw levels)
    raw = fit_glm(design, data.matrix()[:, :L], data.y, data.w, binary)
    raw_means = standardised_means(design, raw, [data.matrix(lv)[:, :L] for lv in levels], data.w)
    adjusted = fit_glm(design, data.matrix(), data.y, data.w, binary)
    g = standardised_means(design, adjusted, [data.matrix(lv) for lv in levels], data.w)
    for k in range(1, L):
        text = (f"{levels[k]}", f"{levels[0]}")  # the level compared, the reference
        raw_rr = contrast(raw_means.estimate, raw_means.vcov, k, 0, True, conf)
        g_rr = contrast(g.estimate, g.vcov, k, 0, True, conf)
        raw_ci, g_ci = (_interval(raw_rr), _interval(g_rr)) if binary else (None, None)
        g_diff = contrast(g.estimate, g.vcov, k, 0, False, conf)
        if L == 2:
            rows.add("raw", "level_exposed", _level(raw_means.estimate, raw_means.vcov, 1, z), text)
            rows.add(
                "raw", "level_unexposed", _level(raw_means.estimate, raw_means.vcov, 0, z), text
            )
        rows.add(
            "raw",
            diff,
            contrast(raw_means.estimate, raw_means.vcov, k, 0, False, conf),
            text,
            rr=raw_ci,
        )
        if binary:
            rows.add("raw", "risk_ratio", raw_rr, text)
            rows.add("raw", "odds_ratio", coefficient(raw, k, True, conf), text)
            rows.add("regression", "odds_ratio", coefficient(adjusted, k, True, conf), text)
        else:
            rows.add("regression", "mean_difference", coefficient(adjusted, k, False, conf), text)
        rows.add("regression", "ame", g_diff, text, rr=g_ci)
        if L == 2:
            rows.add("gcomp", "level_exposed", _level(g.estimate, g.vcov, 1, z), text)
            rows.add("gcomp", "level_unexposed", _level(g.estimate, g.vcov, 0, z), text)
        rows.add("gcomp", diff, g_diff, text, rr=g_ci)
        if binary:
            rows.add("gcomp", "risk_ratio", g_rr, text)
    return adjusted


def _aipw_rows(rows: _Rows, design: SurveyDesign, data: ContributionData) -> AIPWResult:
    """The doubly robust rows of a binary exposure; returns the AIPW result."""
    conf = rows.conf_level
    z = float(stats.norm.ppf(0.5 + conf / 2))
    text = (f"{data.levels[1]}", f"{data.levels[0]}")
    dr = aipw(design, data)
    means = dr.estimate  # (exposed, unexposed)
    rows.add("aipw", "level_exposed", _level(means, dr.vcov, 0, z), text)
    rows.add("aipw", "level_unexposed", _level(means, dr.vcov, 1, z), text)
    dr_rr = contrast(means, dr.vcov, 0, 1, True, conf)
    ratio_ci = _interval(dr_rr) if data.binary else None
    rows.add("aipw", "ate", contrast(means, dr.vcov, 0, 1, False, conf), text, rr=ratio_ci)
    if data.binary:
        rows.add("aipw", "risk_ratio", dr_rr, text)
    return dr


def _ordered(exposure: str, codebook: Codebook | None) -> bool:
    """An exposure is ordered unless its codebook entry says it is nominal."""
    if codebook is None or exposure not in codebook.variables:
        return True
    return codebook.variables[exposure].measure != "nominal"


def _suppressed(
    spec: Contribution, model: ToCModel, wave: str, data: ContributionData, reason: str
) -> ContributionTables:
    """One blank, suppressed row: too few respondents in an exposure group to estimate."""
    nan = float("nan")
    row = {
        "contribution": contribution_id(spec),
        "outcome": spec.indicator,
        "exposure": spec.exposure,
        "universe": contribution_universe(spec, model),
        "adjust_for": list(spec.adjust_for),
        "wave": str(wave),
        "high": "",
        "low": "",
        "model": "raw",
        "measure": "risk_difference" if data.binary else "mean_difference",
        "estimate": nan,
        "se": nan,
        "ci_low": nan,
        "ci_high": nan,
        "p_value": nan,
        "e_value": nan,
        "e_value_ci": nan,
        "n": data.n,
        "primary": True,
        "suppressed": True,
        "reason": reason,
    }
    empty = {k: pd.DataFrame(columns=v) for k, v in EMPTY_COLUMNS.items()}
    return ContributionTables(
        contributions=pd.DataFrame([row], columns=EMPTY_COLUMNS["contributions"]),
        balance=empty["balance"],
        overlap=empty["overlap"],
        dose_response=empty["dose_response"],
        gap_projection=empty["gap_projection"],
    )


def _front(frame: pd.DataFrame, head: dict[str, str]) -> pd.DataFrame:
    frame = frame.copy()
    for k, (name, value) in enumerate(head.items()):
        frame.insert(k, name, value)
    return frame
