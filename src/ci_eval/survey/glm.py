"""Generalised linear models on a survey design, as R ``survey``'s ``svyglm``.

The coefficients solve the sampling-weighted estimating equations ``sum_i w_i x_i (dmu_i/deta)
(y_i - mu_i) / V(mu_i) = 0`` (IRLS, :mod:`ci_eval.survey.irls`); their variance is design-based:

* Taylor designs (R's ``svy.varcoef``; Binder 1983): the sandwich ``A^-1 V A^-1`` with
  ``A = X' W X`` (W the working weights) and ``V`` the design covariance of the totals of the
  estimating-function contributions, computed by the design's ``vcov`` hook (so multistage
  structure, lonely-PSU rules and calibration adjustments apply);
* replicate designs (R's ``svyglm.svyrep.design``): the model is refitted under every column of
  replicate weights, starting from the full-sample fit, and the spread of the replicate
  coefficients gives the variance (``replicate_variance``, R's ``svrVar``).

Intervals and p-values use Student t with R's residual degrees of freedom, the design degrees of
freedom + 1 - the number of coefficients; the dispersion does not enter (the variance is already
design-based). Rows with a missing model variable, and rows outside a subset, leave the fit but
stay in the design.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from ci_eval.errors import ModelError
from ci_eval.survey.design_covariance import is_replicate
from ci_eval.survey.frames import critical_value
from ci_eval.survey.glm_family import Family, get_family
from ci_eval.survey.irls import EPSILON, MAXIT, IrlsFit, irls
from ci_eval.survey.irls_replicates import refit_replicates
from ci_eval.survey.model_frame import ModelFrame, model_frame

GLM_COLUMNS = (
    "term",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "p_value",
    "n",
)
ALIAS_TOL = 1e-9


@dataclass(frozen=True)
class GlmFit:
    """A survey-weighted GLM: coefficients with their design-based covariance.

    Attributes
    ----------
    formula, family : as given.
    terms : coefficient names (``Intercept``, ``x``, ``g[T.b]``).
    coef : (p,) coefficients.
    vcov : (p, p) design-based covariance of the coefficients.
    df_residual : R's residual degrees of freedom, ``degf(design) + 1 - p``.
    n : number of rows in the fit (rows with a missing model variable are left out).
    deviance : weighted deviance of the fit (weights scaled to mean 1, as R).
    iterations : IRLS steps of the full-sample fit.
    """

    formula: str
    family: str
    terms: tuple[str, ...]
    coef: np.ndarray
    vcov: np.ndarray
    df_residual: float
    n: int
    deviance: float
    iterations: int

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the coefficients."""
        return np.sqrt(np.maximum(np.diag(self.vcov), 0.0))

    def frame(self, conf_level: float = 0.95) -> pd.DataFrame:
        """The coefficient table: ``term, estimate, se, ci_low, ci_high, statistic, df,
        p_value, n`` (t intervals and tests on ``df_residual``; NaN when it is not positive).
        """
        if not 0 < conf_level < 1:
            raise ModelError(f"conf_level must lie between 0 and 1 (e.g. 0.95), got {conf_level!r}")
        se = self.se
        df = self.df_residual
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.coef / se
        if df > 0:
            crit = critical_value(conf_level, df)
            p = 2.0 * stats.t.sf(np.abs(t), df)
        else:
            crit, p = np.nan, np.full_like(t, np.nan)
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "estimate": self.coef,
                "se": se,
                "ci_low": self.coef - crit * se,
                "ci_high": self.coef + crit * se,
                "statistic": t,
                "df": np.full(len(self.terms), float(df)),
                "p_value": p,
                "n": np.full(len(self.terms), self.n, dtype=np.int64),
            },
            columns=list(GLM_COLUMNS),
        )


def fit_glm(
    design: Any,
    formula: str,
    family: str = "gaussian",
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
) -> GlmFit:
    """Fit ``formula`` on ``design`` with design-based variance (see the module docstring).

    ``epsilon`` and ``maxit`` are R's ``glm.control`` settings for IRLS (defaults as R, so the
    results are R's to rounding; ``epsilon=1e-14`` gives the fully converged fit).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0], "x": [0, 1, 2, 3, 4, 5],
    ...                    "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]})
    >>> fit = fit_glm(SurveyDesign(df, weights="w"), "y ~ x")
    >>> fit.terms, round(float(fit.coef[1]), 6), fit.df_residual
    (('Intercept', 'x'), 0.820513, 4.0)
    """
    subset = getattr(design, "_subset", None)
    if subset is None:
        return fit_model_frame(design, model_frame(design.data, formula), family, epsilon, maxit)
    # a subpopulation: as R, the model frame (and so the categories) is that of its rows
    positions = np.flatnonzero(subset)
    mf = model_frame(design.data.iloc[positions], formula)
    mf = replace(mf, rows=positions[mf.rows])
    return fit_model_frame(design, mf, family, epsilon, maxit)


def fit_model_frame(
    design: Any,
    mf: ModelFrame,
    family: str = "gaussian",
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
) -> GlmFit:
    """Fit a GLM to a prepared :class:`ModelFrame` (``fit_glm`` without the formula step)."""
    fam = get_family(family)
    problem = fam.check(mf.y)
    if problem:
        raise ModelError(
            f"model formula {mf.formula!r} with family={family!r}: {problem}; the response "
            f"{mf.response!r} has values from {np.min(mf.y):g} to {np.max(mf.y):g}"
        )
    w_all = np.asarray(design._w, dtype=float)
    w = w_all[mf.rows]
    _check_rank(mf, w)
    # R rescales the weights to mean one over the design's rows (a subset's rows) before fitting;
    # it changes only the deviance, and so, slightly, where IRLS stops
    subset = getattr(design, "_subset", None)
    scale = float(np.mean(w_all if subset is None else w_all[np.asarray(subset, dtype=bool)]))
    what = f"formula {mf.formula!r}"
    if not (epsilon > 0 and maxit >= 1):
        raise ModelError(f"glm needs epsilon > 0 and maxit >= 1, got {epsilon!r} and {maxit!r}")
    fit = irls(mf.X, mf.y, w / scale, fam, epsilon=epsilon, maxit=maxit, what=what)
    p = len(mf.terms)
    if is_replicate(design):
        vcov = _replicate_vcov(design, mf, fam, fit, epsilon, maxit, what)
        degf = float(design._degf())  # R: degf of the replicate design, before rows leave
    else:
        vcov = _taylor_vcov(design, mf, fit)
        degf = float(design._degf(mf.rows[w != 0]))  # R: degf(design[-nas, ])
    return GlmFit(
        formula=mf.formula,
        family=family,
        terms=mf.terms,
        coef=fit.coef,
        vcov=vcov,
        df_residual=degf + 1 - p,
        n=len(mf.rows),
        deviance=fit.deviance,
        iterations=fit.iterations,
    )


def _bread(X: np.ndarray, working_weights: np.ndarray) -> np.ndarray:
    """``(X' W X)^-1`` from the QR decomposition of ``W^(1/2) X``, as R's ``chol2inv(qr.R)``."""
    r = linalg.qr(X * np.sqrt(working_weights)[:, None], mode="r")[0][: X.shape[1]]
    r_inv = linalg.solve_triangular(r, np.eye(X.shape[1]))
    return r_inv @ r_inv.T


def _taylor_vcov(design: Any, mf: ModelFrame, fit: IrlsFit) -> np.ndarray:
    """R's ``svy.varcoef``: the design covariance of the coefficients' influence values."""
    influence = np.zeros((len(design.data), mf.X.shape[1]))
    influence[mf.rows] = (mf.X * fit.score[:, None]) @ _bread(mf.X, fit.working_weights)
    return design.vcov(influence, rows=mf.rows)


def _replicate_vcov(
    design: Any,
    mf: ModelFrame,
    fam: Family,
    fit: IrlsFit,
    epsilon: float,
    maxit: int,
    what: str,
) -> np.ndarray:
    """Refit under every replicate weight column (from the full-sample fit), then ``svrVar``."""
    repweights = np.asarray(design.repweights, dtype=float)[mf.rows]
    betas = refit_replicates(mf.X, mf.y, repweights, fam, fit.coef, epsilon, maxit, what)
    return np.asarray(design.replicate_variance(fit.coef, betas), dtype=float)


def _check_rank(mf: ModelFrame, w: np.ndarray) -> None:
    """Raise a :class:`ModelError` naming the terms that are linear combinations of the others."""
    X = mf.X[w > 0]
    p = X.shape[1]
    if X.shape[0] < p:
        raise ModelError(
            f"model formula {mf.formula!r} has {p} coefficients but only {X.shape[0]} rows "
            "with a positive weight and every model variable; simplify the model"
        )
    norms = np.linalg.norm(X, axis=0)
    if np.any(norms == 0):
        zero = [mf.terms[j] for j in np.flatnonzero(norms == 0)]
        raise ModelError(
            f"model formula {mf.formula!r}: the terms {zero} are zero in every row of the fit "
            "(a category without respondents?); drop or merge them"
        )
    _, r, piv = linalg.qr(X / norms, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > ALIAS_TOL * diag[0]))
    if rank < p:
        aliased = sorted(mf.terms[j] for j in piv[rank:])
        raise ModelError(
            f"model formula {mf.formula!r}: the terms {aliased} are linear combinations of the "
            "other terms in the rows of the fit (aliased); drop them or merge categories"
        )
