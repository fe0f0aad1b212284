"""Design-based regression of an outcome on the exposure and covariates, and standardisation.

The model is a survey-weighted GLM (logistic for a 0/1 outcome, linear for a score), fitted by
:func:`ci_eval.survey.glm.fit_matrix` (statsmodels' ``GLM``, R ``svyglm``'s variance) to the
model matrices of :mod:`~ci_eval.analysis.contribution.data`, run to full convergence
(``epsilon = 1e-14``, and the working weights of the converged coefficients in the sandwich) so
that the estimates do not depend on where IRLS stops.

Every standardised (g-computation) quantity is a smooth function of weighted totals and the
coefficients ``b``: the mean outcome with everyone set to exposure level ``a`` is
``mu_a = sum_i w_i g(x_i(a)'b) / sum_i w_i``. Its design-based variance is

* on a Taylor design, the design covariance of its linearisation
  ``w_i (g_i(a) - mu_a) / W + grad_a' IF_b,i`` (the delta method through ``b``, with the
  coefficients' influence values ``IF_b``; Binder 1983), from the design's ``vcov``, so strata,
  clusters and raking count;
* on a replicate design, the replicate variance of the whole estimator recomputed with every
  column of replicate weights and the coefficients refitted under it (R ``svyglm`` on an
  ``svyrep.design`` for the model, ``withReplicates`` for what is derived from it).

Differences (the average marginal effect of the exposure) and ratios (on the log scale) of the
standardised levels take their covariance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ci_eval.errors import AnalysisError, ConvergenceError
from ci_eval.survey import SurveyDesign
from ci_eval.survey.glm import SurveyGlmResults, fit_matrix

EPSILON = 1e-14  # IRLS to full convergence (R's glm.control(epsilon)); see the module docstring
MAXIT = 100
SEPARATED = 30.0  # a logit coefficient this large means fitted probabilities of 0 or 1


@dataclass(frozen=True)
class WeightedGLM:
    """A fitted contribution model: the survey GLM and whether its link is the logit.

    ``influence`` (Taylor designs) is (n, p), already multiplied by the weights (the form
    ``design.vcov`` takes), zero outside the analysis sample; ``replicate_params`` (replicate
    designs) is (R, p); ``vcov`` is the design-based covariance of ``params``.
    """

    results: SurveyGlmResults
    binary: bool

    @property
    def params(self) -> np.ndarray:
        return self.results.params

    @property
    def vcov(self) -> np.ndarray:
        return self.results.vcov

    @property
    def influence(self) -> np.ndarray | None:
        return self.results.influence

    @property
    def replicate_params(self) -> np.ndarray | None:
        return self.results.replicate_params

    def predict(self, X: np.ndarray, params: np.ndarray | None = None) -> np.ndarray:
        """Mean outcome for model-matrix rows ``X`` (at ``params``, the fit's by default)."""
        eta = X @ (self.params if params is None else params)
        return 1.0 / (1.0 + np.exp(-eta)) if self.binary else eta

    def derivative(self, X: np.ndarray, params: np.ndarray | None = None) -> np.ndarray:
        """``d mu / d eta`` at ``X`` (``mu (1 - mu)`` for the logit link, 1 for identity)."""
        if not self.binary:
            return np.ones(X.shape[0])
        mu = self.predict(X, params)
        return mu * (1.0 - mu)


def fit_glm(
    design: SurveyDesign, X: np.ndarray, y: np.ndarray, w: np.ndarray, binary: bool
) -> WeightedGLM:
    """Fit the weighted GLM on the rows with ``w > 0`` (``w``: the design's weights times the
    analysis-sample indicator) and get its design-based variance.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 3.0, 2.0, 5.0]})
    >>> d = SurveyDesign(df.assign(w=1.0), weights="w")
    >>> X = np.column_stack([np.ones(4), df["x"]])
    >>> fit = fit_glm(d, X, df["y"].to_numpy(), np.ones(4), binary=False)
    >>> np.round(fit.params, 4).tolist()
    [1.1, 1.1]
    """
    if np.linalg.matrix_rank(X[w > 0]) < X.shape[1]:
        raise AnalysisError(
            "the contribution model's predictors are collinear in the analysis sample (a "
            "covariate level that only one exposure group has?); drop it from adjust_for"
        )
    family = "binomial" if binary else "gaussian"
    separated = AnalysisError(
        "the contribution model did not converge: an outcome level is perfectly predicted "
        "(separation); merge sparse covariate levels or drop a covariate from adjust_for"
    )
    try:
        results = fit_matrix(
            design, X, y, w, family, EPSILON, MAXIT, "the contribution model", polish=True
        )
    except ConvergenceError:
        raise separated from None
    if binary and np.abs(results.params).max() > SEPARATED:
        raise separated
    return WeightedGLM(results, binary)


def replicate_weights(design: SurveyDesign, w: np.ndarray) -> np.ndarray:
    """(n, R) replicate analysis weights times the factor by which ``w`` differs from the
    sampling weights (the analysis sample, an exposure group): replicate ``r``'s ``w``."""
    sw = design.sampling_weights
    factor = np.divide(w, sw, out=np.zeros(len(w)), where=sw != 0)
    return design.repweights * factor[:, None]


def replicate_vcov(
    design: SurveyDesign, estimate: np.ndarray, replicate: Callable[[int], np.ndarray]
) -> np.ndarray:
    """R's ``svrVar`` of an estimator whose value under replicate ``r`` is ``replicate(r)``."""
    reps = np.array([replicate(r) for r in range(design.n_replicates)])
    return np.asarray(design.replicate_variance(estimate, reps), dtype=float)


@dataclass(frozen=True)
class Standardised:
    """Standardised means (one per column) with their covariance, and their influence values
    (n, m) on a Taylor design (None on a replicate design)."""

    estimate: np.ndarray
    influence: np.ndarray | None
    vcov: np.ndarray


def _standardised(
    fit: WeightedGLM, params: np.ndarray, matrices: list[np.ndarray], w: np.ndarray
) -> np.ndarray:
    total = w.sum()
    return np.array([w @ fit.predict(X, params) / total for X in matrices])


def standardised_means(
    design: SurveyDesign, fit: WeightedGLM, matrices: list[np.ndarray], w: np.ndarray
) -> Standardised:
    """``mu_k = sum_i w_i g(X_k[i] b) / sum_i w_i`` for each model matrix ``X_k`` (g-computation).

    The variance combines the averaging over the sample and the estimation of ``b`` (see the
    module docstring).
    """
    if design.is_replicate:
        est = _standardised(fit, fit.params, matrices, w)
        W, betas = replicate_weights(design, w), fit.replicate_params
        vcov = replicate_vcov(
            design, est, lambda r: _standardised(fit, betas[r], matrices, W[:, r])
        )
        return Standardised(est, None, vcov)
    total = w.sum()
    est, cols = [], []
    for X in matrices:
        g = fit.predict(X)
        mu = float(w @ g / total)
        grad = (X * (w * fit.derivative(X))[:, None]).sum(axis=0) / total
        cols.append(w * (g - mu) / total + fit.influence @ grad)
        est.append(mu)
    influence = np.column_stack(cols)
    return Standardised(np.asarray(est), influence, design.vcov(influence))


def contrast(
    estimate: np.ndarray, vcov: np.ndarray, i: int, j: int, ratio: bool, conf_level: float
) -> tuple[float, float, float, float, float]:
    """Difference ``e_i - e_j`` or ratio ``e_i / e_j`` (delta method on the log scale):
    ``(estimate, se, ci_low, ci_high, p_value)``.

    >>> contrast(np.array([0.6, 0.5]), np.diag([0.001, 0.001]), 0, 1, False, 0.95)[:2]
    (0.09999999999999998, 0.044721359549995794)
    """
    z = stats.norm.ppf(0.5 + conf_level / 2)
    if ratio:
        a, b = estimate[i], estimate[j]
        var = vcov[i, i] / a**2 + vcov[j, j] / b**2 - 2 * vcov[i, j] / (a * b)
        se_log = float(np.sqrt(max(var, 0.0)))
        log = float(np.log(a / b))
        p = float(2 * stats.norm.sf(abs(log) / se_log)) if se_log > 0 else float("nan")
        return (
            float(a / b),
            se_log * float(a / b),
            float(np.exp(log - z * se_log)),
            float(np.exp(log + z * se_log)),
            p,
        )
    diff = float(estimate[i] - estimate[j])
    se = float(np.sqrt(max(vcov[i, i] + vcov[j, j] - 2 * vcov[i, j], 0.0)))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return diff, se, diff - z * se, diff + z * se, p


def coefficient(
    fit: WeightedGLM, k: int, exponentiate: bool, conf_level: float
) -> tuple[float, float, float, float, float]:
    """Coefficient ``k`` (as an odds ratio when ``exponentiate``): estimate, se, CI, p."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    b, se = float(fit.params[k]), float(np.sqrt(max(fit.vcov[k, k], 0.0)))
    p = float(2 * stats.norm.sf(abs(b) / se)) if se > 0 else float("nan")
    if exponentiate:
        return (
            float(np.exp(b)),
            float(np.exp(b)) * se,
            float(np.exp(b - z * se)),
            float(np.exp(b + z * se)),
            p,
        )
    return b, se, b - z * se, b + z * se, p
