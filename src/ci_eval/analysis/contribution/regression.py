"""Design-based regression of an outcome on the exposure and covariates, and standardisation.

The model is a survey-weighted GLM (logistic for a 0/1 outcome, linear for a score): the
coefficients solve ``sum_i w_i x_i (y_i - mu_i) = 0`` (canonical links, so Newton-Raphson on the
normal equations is Fisher scoring; McCullagh & Nelder 1989, §2.5). This is the same fit as
:meth:`ci_eval.survey.SurveyDesign.glm` (R ``svyglm``; the tests check the two agree), written
over model matrices because the standardised quantities below need the coefficients' influence
values, not only their covariance.

The design-based covariance of the coefficients is the sandwich ``A^-1 V A^-1`` with
``A = sum_i w_i v_i x_i x_i'`` and ``V`` the design covariance of the totals of the scores
``x_i (y_i - mu_i)`` (Binder 1983; R ``svyglm``), from the design's own ``vcov``, so strata,
clusters and raking count. The influence values of the coefficients feed every standardised
(g-computation) quantity: the mean outcome ``mu_a = sum_i w_i g(x_i(a)'b) / sum_i w_i`` with
everyone set to exposure level ``a`` has the linearisation
``w_i (g_i(a) - mu_a) / W + grad_a' IF_b,i`` (the delta method through ``b``), whose design
covariance gives SEs of levels, differences (the average marginal effect of the exposure) and
ratios (on the log scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign

MAX_STEPS = 50


@dataclass(frozen=True)
class WeightedGLM:
    """A fitted survey-weighted GLM with the influence values of its coefficients.

    ``influence`` is (n, p), already multiplied by the weights (the form ``design.vcov`` takes),
    zero outside the analysis sample; ``vcov`` is the design-based covariance of ``params``.
    """

    params: np.ndarray
    vcov: np.ndarray
    influence: np.ndarray
    binary: bool

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Mean outcome for model-matrix rows ``X``."""
        eta = X @ self.params
        return 1.0 / (1.0 + np.exp(-eta)) if self.binary else eta

    def derivative(self, X: np.ndarray) -> np.ndarray:
        """``d mu / d eta`` at ``X`` (``mu (1 - mu)`` for the logit link, 1 for identity)."""
        if not self.binary:
            return np.ones(X.shape[0])
        mu = self.predict(X)
        return mu * (1.0 - mu)


def fit_glm(
    design: SurveyDesign, X: np.ndarray, y: np.ndarray, w: np.ndarray, binary: bool
) -> WeightedGLM:
    """Fit the weighted GLM on the rows with ``w > 0`` and linearise it.

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
    rows = w > 0
    Xs, ys, ws = X[rows], y[rows], w[rows] / w[rows].mean()
    params = _newton(Xs, ys, ws, binary)
    fit = WeightedGLM(params, np.zeros((X.shape[1],) * 2), np.zeros_like(X), binary)
    v = fit.derivative(Xs)
    bread_inv = np.linalg.inv((Xs * (w[rows] * v)[:, None]).T @ Xs)
    ws = w[rows]
    influence = np.zeros_like(X)
    influence[rows] = (Xs * (ws * (ys - fit.predict(Xs)))[:, None]) @ bread_inv
    vcov = design.vcov(influence)
    return WeightedGLM(params, vcov, influence, binary)


def _newton(X: np.ndarray, y: np.ndarray, w: np.ndarray, binary: bool) -> np.ndarray:
    """Weighted least squares, or weighted logistic regression by Newton-Raphson."""
    beta = np.zeros(X.shape[1])
    for _ in range(MAX_STEPS if binary else 1):
        eta = X @ beta
        mu = 1.0 / (1.0 + np.exp(-eta)) if binary else eta
        v = mu * (1.0 - mu) if binary else np.ones_like(mu)
        info = (X * (w * v)[:, None]).T @ X
        try:
            step = np.linalg.solve(info, X.T @ (w * (y - mu)))
        except np.linalg.LinAlgError:
            raise AnalysisError(
                "the contribution model's predictors are collinear in the analysis sample (a "
                "covariate level that only one exposure group has?); drop it from adjust_for"
            ) from None
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 30:
            break
        if np.abs(step).max() < 1e-10:
            return beta
    if binary:
        raise AnalysisError(
            "the contribution model did not converge: an outcome level is perfectly predicted "
            "(separation); merge sparse covariate levels or drop a covariate from adjust_for"
        )
    return beta


@dataclass(frozen=True)
class Standardised:
    """Standardised means (one per column) with their influence values (n, m) and covariance."""

    estimate: np.ndarray
    influence: np.ndarray
    vcov: np.ndarray


def standardised_means(
    design: SurveyDesign, fit: WeightedGLM, matrices: list[np.ndarray], w: np.ndarray
) -> Standardised:
    """``mu_k = sum_i w_i g(X_k[i] b) / sum_i w_i`` for each model matrix ``X_k`` (g-computation).

    The influence values combine the averaging over the sample and the estimation of ``b``.
    """
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
