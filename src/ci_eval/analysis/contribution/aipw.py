"""Doubly robust (augmented inverse probability weighted) effect of a binary exposure.

With survey weights ``w``, a propensity model ``e(x) = P(A = 1 | x)`` (weighted logistic
regression) and an outcome model per exposure group ``m_a(x)`` (weighted GLM fitted on that
group), the population means under exposure and non-exposure are (Robins, Rotnitzky & Zhao
1994; with survey weights as in Zanutto 2006 and Ridgeway et al. 2015)::

    mu_1 = sum_i w_i [m_1(x_i) + A_i (Y_i - m_1(x_i)) / e(x_i)] / sum_i w_i
    mu_0 = sum_i w_i [m_0(x_i) + (1 - A_i) (Y_i - m_0(x_i)) / (1 - e(x_i))] / sum_i w_i

and the effect is ``mu_1 - mu_0`` (and ``mu_1 / mu_0`` for a 0/1 outcome). The estimate is
consistent when either model is right. Its SE comes from the influence values
``w_i (phi_a,i - mu_a) / W`` passed through the design's ``vcov`` (clusters, strata and raking
count); the estimation of the nuisance models adds nothing to first order because the
estimating function is orthogonal to them (Tsiatis 2006, §13). Propensities are bounded to
``[0.01, 0.99]`` so that no respondent dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ci_eval.analysis.contribution.data import ContributionData
from ci_eval.analysis.contribution.regression import fit_glm
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign

BOUND = 0.01


@dataclass(frozen=True)
class AIPWResult:
    """Means under exposure (index 0) and non-exposure (index 1), their covariance, and the
    propensity scores (NaN outside the analysis sample)."""

    estimate: np.ndarray
    vcov: np.ndarray
    propensity: np.ndarray
    exposed: np.ndarray
    bounded: int


def propensity_scores(design: SurveyDesign, data: ContributionData) -> np.ndarray:
    """Weighted logistic regression of the exposure on the covariates; NaN outside the sample."""
    exposed = (data.exposure == data.levels[-1]).astype(float)
    X = np.column_stack([np.ones(data.y.size), data.covariates])
    fit = fit_glm(design, X, exposed, data.w, binary=True)
    return np.where(data.keep, fit.predict(X), np.nan)


def aipw(design: SurveyDesign, data: ContributionData) -> AIPWResult:
    """The AIPW means of the outcome with and without the exposure (its two levels).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.analysis.contribution.data import contribution_data
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 2.0, 4.0], "a": [0, 0, 1, 1, 0, 1],
    ...                    "w": 1.0})
    >>> d = SurveyDesign(df, weights="w")
    >>> result = aipw(d, contribution_data(d, "y", "a", [], binary=False))
    >>> np.round(result.estimate, 4).tolist()  # no covariates: the group means
    [4.0, 1.6667]
    """
    if len(data.levels) != 2:
        raise AnalysisError("the doubly robust estimate needs a binary exposure")
    exposed = (data.exposure == data.levels[1]) & data.keep
    unexposed = (data.exposure == data.levels[0]) & data.keep
    e_raw = propensity_scores(design, data)
    e = np.clip(np.nan_to_num(e_raw, nan=0.5), BOUND, 1 - BOUND)
    bounded = int(((e_raw < BOUND) | (e_raw > 1 - BOUND))[data.keep].sum())
    X = np.column_stack([np.ones(data.y.size), data.covariates])
    m1 = fit_glm(design, X, data.y, data.w * exposed, data.binary).predict(X)
    m0 = fit_glm(design, X, data.y, data.w * unexposed, data.binary).predict(X)
    a = exposed.astype(float)
    phi1 = m1 + a * (data.y - m1) / e
    phi0 = m0 + (1 - a) * (data.y - m0) / (1 - e)
    w, total = data.w, data.w.sum()
    mu = np.array([w @ phi1 / total, w @ phi0 / total])
    influence = np.column_stack([w * (phi1 - mu[0]) / total, w * (phi0 - mu[1]) / total])
    return AIPWResult(mu, design.vcov(influence), e_raw, exposed, bounded)
