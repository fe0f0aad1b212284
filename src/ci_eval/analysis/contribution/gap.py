"""Closing the gap: the outcome expected if the young people who wanted a mentor had one.

The gap group ``G`` is the unexposed respondents of the analysis sample who say they wanted a
mentor and had none. From the adjusted outcome model (g-computation; Robins 1986) with
predictions ``m_1`` (exposed) and ``m_0`` (not exposed):

- ``population = "gap"``: observed mean outcome of ``G``, and ``mean_G m_1``, the level expected
  had they been mentored;
- ``population = "all"``: the observed mean of the whole analysis sample, and the mean if each
  gap respondent gained their model-based effect ``m_1 - m_0``.

Every quantity is a ratio of weighted totals linearised together with the model coefficients
(the delta method), and its SE comes from the design's ``vcov`` (on a replicate design: every
quantity recomputed under each replicate, the model refitted with its weights); ``change`` is
the scenario minus the observed level, with its own interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ci_eval.analysis.contribution.data import ContributionData
from ci_eval.analysis.contribution.regression import (
    WeightedGLM,
    replicate_vcov,
    replicate_weights,
)
from ci_eval.results.contract import columns
from ci_eval.survey import SurveyDesign

COLUMNS = columns("gap_projection")[2:]  # without contribution and wave


def gap_projection(
    design: SurveyDesign,
    data: ContributionData,
    fit: WeightedGLM,
    gap: np.ndarray,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The ``gap_projection`` rows of one binary-exposure contribution.

    ``gap`` marks (True) the respondents who wanted a mentor and had none.
    """
    z = stats.norm.ppf(0.5 + conf_level / 2)
    unexposed = data.levels[0]
    G = (gap & data.keep & (data.exposure == unexposed)).astype(float)
    X1, X0 = data.matrix(data.levels[-1]), data.matrix(unexposed)
    est, vcov = _estimates(design, data, fit, G, X1, X0)
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))
    rows = []
    for population, (i, j) in (("gap", (0, 1)), ("all", (2, 3))):
        diff = est[j] - est[i]
        se_diff = float(np.sqrt(max(vcov[i, i] + vcov[j, j] - 2 * vcov[i, j], 0.0)))
        n = int(G.sum()) if population == "gap" else data.n
        for scenario, k in (("observed", i), ("if_mentored", j)):
            change = 0.0 if scenario == "observed" else diff
            half = 0.0 if scenario == "observed" else z * se_diff
            rows.append(
                {
                    "population": population,
                    "scenario": scenario,
                    "estimate": est[k],
                    "se": float(se[k]),
                    "ci_low": est[k] - z * se[k],
                    "ci_high": est[k] + z * se[k],
                    "change": change,
                    "change_ci_low": change - half,
                    "change_ci_high": change + half,
                    "n": n,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _levels(
    fit: WeightedGLM,
    params: np.ndarray,
    G: np.ndarray,
    X1: np.ndarray,
    X0: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
) -> list[float]:
    """Gap observed, gap if mentored, all observed, all with the gap closed (weights ``w``)."""
    m1, m0 = fit.predict(X1, params), fit.predict(X0, params)
    wg = w * G
    pairs = ((wg, y), (wg, m1), (w, y), (w, y + G * (m1 - m0)))
    return [float(weights @ values / weights.sum()) for weights, values in pairs]


def _estimates(
    design: SurveyDesign,
    data: ContributionData,
    fit: WeightedGLM,
    G: np.ndarray,
    X1: np.ndarray,
    X0: np.ndarray,
) -> tuple[list[float], np.ndarray]:
    """The four levels of :func:`_levels` and their design-based covariance."""
    w, y = data.w, data.y
    if design.is_replicate:
        est = _levels(fit, fit.params, G, X1, X0, y, w)
        W, betas = replicate_weights(design, w), fit.replicate_params
        vcov = replicate_vcov(
            design,
            np.asarray(est),
            lambda r: np.asarray(_levels(fit, betas[r], G, X1, X0, y, W[:, r])),
        )
        return est, vcov
    m1, m0 = fit.predict(X1), fit.predict(X0)
    d1 = X1 * fit.derivative(X1)[:, None]
    d0 = X0 * fit.derivative(X0)[:, None]
    cols, est = [], []

    def add(weights: np.ndarray, values: np.ndarray, grad_rows: np.ndarray | None) -> None:
        total = weights.sum()
        mu = float(weights @ values / total)
        u = weights * (values - mu) / total
        if grad_rows is not None:
            u = u + fit.influence @ ((weights[:, None] * grad_rows).sum(axis=0) / total)
        est.append(mu)
        cols.append(u)

    wg = w * G
    add(wg, y, None)  # gap group, observed
    add(wg, m1, d1)  # gap group, if mentored
    add(w, y, None)  # everyone, observed
    add(w, y + G * (m1 - m0), G[:, None] * (d1 - d0))  # everyone, gap closed
    return est, design.vcov(np.column_stack(cols))
