"""Doubly robust (augmented inverse probability weighted) effect of a binary exposure.

With survey weights ``w``, a propensity model ``e(x) = P(A = 1 | x)`` (weighted logistic
regression) and an outcome model per exposure group ``m_a(x)`` (weighted GLM fitted on that
group), the population means under exposure and non-exposure are (Robins, Rotnitzky & Zhao
1994; with survey weights as in Zanutto 2006 and Ridgeway et al. 2015)::

    mu_1 = sum_i w_i [m_1(x_i) + A_i (Y_i - m_1(x_i)) / e(x_i)] / sum_i w_i
    mu_0 = sum_i w_i [m_0(x_i) + (1 - A_i) (Y_i - m_0(x_i)) / (1 - e(x_i))] / sum_i w_i

and the effect is ``mu_1 - mu_0`` (and ``mu_1 / mu_0`` for a 0/1 outcome). The estimate is
consistent when either model is right. On a Taylor design its SE comes from the influence
values ``w_i (phi_a,i - mu_a) / W`` passed through the design's ``vcov`` (clusters, strata and
raking count); the estimation of the nuisance models adds nothing to first order because the
estimating function is orthogonal to them (Tsiatis 2006, §13). On a replicate design the whole
estimator is recomputed under every replicate (the three models refitted with its weights) and
the replicates give the variance. Propensities are bounded to
``[0.01, 0.99]`` so that no respondent dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ci_eval.analysis.contribution.data import ContributionData
from ci_eval.analysis.contribution.regression import (
    WeightedGLM,
    fit_glm,
    replicate_vcov,
    replicate_weights,
)
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


def propensity_model(design: SurveyDesign, data: ContributionData) -> WeightedGLM:
    """Weighted logistic regression of the exposure on the covariates."""
    exposed = (data.exposure == data.levels[-1]).astype(float)
    X = np.column_stack([np.ones(data.y.size), data.covariates])
    return fit_glm(design, X, exposed, data.w, binary=True)


def _means(
    data: ContributionData,
    e: np.ndarray,
    m1: np.ndarray,
    m0: np.ndarray,
    exposed: np.ndarray,
    w: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The AIPW means (exposed, unexposed) with weights ``w``, and the two ``phi`` columns."""
    a = exposed.astype(float)
    phi1 = m1 + a * (data.y - m1) / e
    phi0 = m0 + (1 - a) * (data.y - m0) / (1 - e)
    total = w.sum()
    return np.array([w @ phi1 / total, w @ phi0 / total]), phi1, phi0


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
    X = np.column_stack([np.ones(data.y.size), data.covariates])
    models = [
        propensity_model(design, data),
        fit_glm(design, X, data.y, data.w * exposed, data.binary),
        fit_glm(design, X, data.y, data.w * unexposed, data.binary),
    ]

    def estimate(params: list[np.ndarray | None], w: np.ndarray) -> tuple[np.ndarray, ...]:
        e_raw = np.where(data.keep, models[0].predict(X, params[0]), np.nan)
        e = np.clip(np.nan_to_num(e_raw, nan=0.5), BOUND, 1 - BOUND)
        m1, m0 = (model.predict(X, b) for model, b in zip(models[1:], params[1:], strict=True))
        return (*_means(data, e, m1, m0, exposed, w), e_raw)

    mu, phi1, phi0, e_raw = estimate([None, None, None], data.w)
    bounded = int(((e_raw < BOUND) | (e_raw > 1 - BOUND))[data.keep].sum())
    if design.is_replicate:
        W = replicate_weights(design, data.w)
        vcov = replicate_vcov(
            design, mu, lambda r: estimate([m.replicate_params[r] for m in models], W[:, r])[0]
        )
    else:
        w, total = data.w, data.w.sum()
        influence = np.column_stack([w * (phi1 - mu[0]) / total, w * (phi0 - mu[1]) / total])
        vcov = design.vcov(influence)
    return AIPWResult(mu, vcov, e_raw, exposed, bounded)
